// The model the views draw: one layer's forward answer as tensors, with the numbers the views
// share (padding, shapes, colour scales). Built once per layer; the views never change it.
import { Tensor, tensor } from "./api.js";
import { maxAbsOf } from "./render/colors.js";

/** The geometry's padding as {top, bottom, left, right}. */
const padsOf = (geometry) => {
  const [top, bottom, left, right] = geometry.padding;
  return { top, bottom, left, right };
};

/** The original input inside the padded one (data slicing, no arithmetic on values): the
 * image panel draws the picture from it. `model.inputShape` and `model.pads` are the API's. */
export function crop({ xp, pads, inputShape }) {
  const [h, w, d] = inputShape;
  const data = new Float64Array(h * w * d);
  for (let r = 0; r < h; r += 1) {
    for (let c = 0; c < w; c += 1) {
      for (let ch = 0; ch < d; ch += 1) data[(r * w + c) * d + ch] = xp.at(r + pads.top, c + pads.left, ch);
    }
  }
  return new Tensor([h, w, d], data);
}

/**
 * The model of layer `spec` (connectivity `conn`) from its geometry and forward answers, and
 * in backward mode the whole backward pass's parts `grads` (`gradientsOf`: dV, the page's
 * fill, db and dX; or `{refused}`); null otherwise.
 */
export function buildModel(spec, geometry, forward, conn, grads = null) {
  const xp = tensor(forward.padded_input);
  const filters = tensor(forward.filters);
  const out = tensor(forward.output);
  const pads = padsOf(geometry);
  // the input's own rows and columns, as the API gives them, inside the padding
  const [h, w] = [geometry.height.size, geometry.width.size];
  const pre = tensor(forward.output_pre); // null when the activation is none
  return {
    spec, geometry, xp, filters, out, bias: tensor(forward.bias), conn, pre,
    // the ReLU's gate on neuron (i, j, d), the complement of the engine's `pre > 0`: a
    // gradient it shuts reaches none of db, dW and dX
    shut: pre ? (i, j, d) => pre.at(i, j, d) <= 0 : () => false,
    // weight (a, b, ch) of the filter neuron (i, j, d) applies: its depth slice's shared
    // filter, or (locally connected) the neuron's own
    weightAt: conn === "local" ? (i, j, d, a, b, ch) => filters.at(i, j, d, a, b, ch)
      : (i, j, d, a, b, ch) => filters.at(d, a, b, ch),
    pads, inputShape: [h, w, xp.shape[2]],
    isPad: (r, c) => r < pads.top || r >= pads.top + h || c < pads.left || c >= pads.left + w,
    outShape: out.shape, filterShape: filters.shape.slice(-3), total: geometry.steps,
    maxAbs: maxAbsOf(xp.data), wMaxAbs: maxAbsOf(filters.data), outMaxAbs: maxAbsOf(out.data),
    inverse: new Map(), // "row,col" of an input cell: {seen: [[i, j], ...], taps, covered} (main.js getInverse)
    edited: editedCells(spec.edits, conn === "local"),
    ...upstreamOf(grads),
  };
}

/**
 * The neurons whose values differ between `before` and `after`, models of one layer whose
 * values alone differ (an edit, set or taken back): [{i, j, d, was, now}], in the output's
 * (i, j, d) order. Compared as the output panel draws them, after the activation (a sum that
 * stays under 0 under ReLU changed no output).
 */
export function changedNeurons(before, after) {
  const [, w2, k] = after.outShape;
  const was = before.out.data;
  const now = after.out.data;
  const changed = [];
  for (let n = 0; n < now.length; n += 1) {
    if (was[n] !== now[n]) changed.push({ i: Math.floor(n / (w2 * k)), j: Math.floor(n / k) % w2, d: n % k, was: was[n], now: now[n] });
  }
  return changed;
}

/**
 * The values set by hand in a spec's `edits`, grouped once for the views that mark them:
 * `input(d)` the [row, col]s of input depth slice d (the input's own, unpadded);
 * `weights(f, ch)` those of filter f's depth slice ch; `bias(f)` true if b_f was set. A
 * locally connected layer's filter is named by its neuron, `f` as "i,j,d"; a shared one's
 * by its number. Unknown arrays and edits of cells past the shapes are left to the server.
 */
export function editedCells(edits = [], local = false) {
  const input = new Map(); // d -> [[r, c], ...]
  const weights = new Map(); // "f/ch" -> [[r, c], ...]
  const biases = new Set(); // f
  const add = (map, key, cell) => map.set(key, [...(map.get(key) ?? []), cell]);
  for (const { array, index } of edits) {
    if (array === "input") add(input, index[2], index.slice(0, 2));
    const [filter, [r, c, ch]] = local ? [index.slice(0, 3).join(), index.slice(3)] : [index[0], index.slice(1)];
    if (array === "filters") add(weights, `${filter}/${ch}`, [r, c]);
    if (array === "bias") biases.add(local ? index.join() : index[0]);
  }
  return {
    input: (d) => input.get(d) ?? [],
    weights: (f, ch) => weights.get(`${f}/${ch}`) ?? [],
    bias: (f) => biases.has(f),
  };
}

/**
 * The whole backward pass's parts the page draws, decoded once: the upstream gradient dV,
 * the bias gradient db and the input's gradient dX (H, W, D), with dV's and dX's colour
 * scales (dW is not asked for: the weight gradient panel walks it step by step).
 */
export function gradientsOf(answer) {
  const upstream = tensor(answer.upstream);
  const dx = tensor(answer.dx);
  return {
    upstream, db: tensor(answer.db), dx,
    upMaxAbs: upstream ? maxAbsOf(upstream.data) : 1, dxMaxAbs: dx ? maxAbsOf(dx.data) : 1,
  };
}

/** A model's gradient fields from `grads` (gradientsOf's, `{refused, why, fewer}` or null):
 * nulls and the reason where there are none (`why`: the server's sentence, where `refused`
 * says it in a few words), and the count of filters that would pass. */
function upstreamOf(grads) {
  const none = { upstream: null, db: null, dx: null, upMaxAbs: 1, dxMaxAbs: 1 };
  const { key: _, refused = null, why = null, fewer = null, ...parts } = grads ?? {}; // key: main.js's, for reuse
  return {
    ...none, ...(refused ? {} : parts), gradientsRefused: refused, gradientsWhy: why, gradientsFewer: fewer,
  };
}
