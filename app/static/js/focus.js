// The focus: which neuron (or input cell) the panels show. Hover, a pinned cell and the
// animation's playhead all become a focus through this ONE function, so they highlight alike.

/** Step number of output (i, j, d) in `order` (index bookkeeping, mirrors engine/trace.py). */
export function stepOf(outShape, order, i, j, d) {
  const [h2, w2, k] = outShape;
  return order === "depth_slice" ? (d * h2 + i) * w2 + j : (i * w2 + j) * k + d;
}

/** Output (i, j, d) that step `t` computes in `order`. */
export function positionOf(outShape, order, t) {
  const [h2, w2, k] = outShape;
  let d;
  let position;
  if (order === "depth_slice") {
    d = Math.floor(t / (h2 * w2));
    position = t % (h2 * w2);
  } else {
    position = Math.floor(t / k);
    d = t % k;
  }
  return { i: Math.floor(position / w2), j: position % w2, d };
}

/** Parse a pin ("o1.0.0" output neuron, "x3.4" original input cell) into a target. */
export function pinTarget(pin) {
  // "V2.3.1" and "X3.4", as the page names them, read as "o2.3.1" and "x3.4" (a link typed
  // from the notes' V[2,3,1] was let go)
  const m = /^([oxv])([\d.]+)$/i.exec(pin || "");
  if (!m) return null;
  const kind = m[1].toLowerCase() === "x" ? "input" : "output";
  const n = m[2].split(".").map(Number);
  if (kind === "output" && n.length === 3) return { kind, i: n[0], j: n[1], d: n[2] };
  if (kind === "input" && n.length === 2) return { kind, row: n[0], col: n[1] };
  return null;
}

/** True when `target` (a pinTarget, or null) names a neuron or an input cell `model` has:
 * a pin made on a bigger layer, or typed into a link, may not. */
export function pinFits(target, model) {
  const inside = (n, size) => Number.isInteger(n) && n >= 0 && n < size;
  if (target?.kind === "output") {
    const [h2, w2, k] = model.outShape;
    return inside(target.i, h2) && inside(target.j, w2) && inside(target.d, k);
  }
  if (target?.kind === "input") {
    const [h, w] = model.inputShape;
    return inside(target.row, h) && inside(target.col, w);
  }
  return false;
}

/** The pin text for a target (the inverse of pinTarget). */
export function pinText(target) {
  if (target.kind === "output") return `o${target.i}.${target.j}.${target.d}`;
  return `x${target.row}.${target.col}`;
}

/** A target as the page names it to a reader: V[i,j,d], or X[row,col,:]. */
export function pinName(target) {
  if (target.kind === "output") return `V[${target.i},${target.j},${target.d}]`;
  return `X[${target.row},${target.col},:]`;
}

/**
 * The padded-input cells that weight (r, c, ch) of filter k multiplied, one per neuron of
 * depth slice k computed by step `upTo` (in `order`): the cells its gradient dW[k][r, c, ch]
 * sums over. In a locally connected layer the weight is the neuron's own, so there is one at
 * most. Window starts mirror engine/trace.py (rows i*Sh + r*dh), as stepOf mirrors its order.
 */
function weightCells(model, order, upTo, { k, r, c, ch }, position = null) {
  const [h2, w2] = model.outShape;
  const { height, width } = model.geometry;
  const at = (i, j) => [i * height.stride + r * height.dilation, j * width.stride + c * width.dilation, ch];
  if (model.conn === "local") {
    const p = position;
    return p && p.d === k && stepOf(model.outShape, order, p.i, p.j, k) <= upTo ? [at(p.i, p.j)] : [];
  }
  const cells = [];
  for (let i = 0; i < h2; i += 1) {
    for (let j = 0; j < w2; j += 1) if (stepOf(model.outShape, order, i, j, k) <= upTo) cells.push(at(i, j));
  }
  return cells;
}

/**
 * The focus for `target` ({kind: "step", t} | {kind: "output", i, j, d} | {kind: "input",
 * row, col}); `getStep(t)` and `getInverse(row, col)` return cached server answers (an
 * inverse as {seen, taps, covered}) or undefined (and fetch them). `tap` ({r, c, ch}) marks
 * one product's input cell and weight; `weight` ({k, r, c, ch}, a hovered weight) gets the
 * input cells it multiplied up to step `playhead` as focus.weight.cells.
 */
export function focusFor(target, model, order, getStep, getInverse, tap, weight = null, playhead = 0) {
  const focus = { t: null, position: null, step: null, loading: false, inputCell: null, seen: null, covered: null, pair: null, weight: null };
  if (target.kind === "input") {
    focus.inputCell = [target.row + model.pads.top, target.col + model.pads.left];
    const inverse = getInverse(target.row, target.col);
    focus.loading = inverse === undefined;
    focus.seen = inverse?.seen ?? [];
    focus.covered = inverse?.covered ?? null;
    return focus;
  }
  focus.t = target.kind === "step" ? target.t : stepOf(model.outShape, order, target.i, target.j, target.d);
  focus.position = positionOf(model.outShape, order, focus.t);
  focus.step = getStep(focus.t) ?? null;
  focus.loading = focus.step === null;
  if (weight) focus.weight = { ...weight, cells: weightCells(model, order, playhead, weight, focus.position) };
  if (tap && focus.step) {
    focus.pair = { channel: tap.ch, tap: [tap.r, tap.c], input: [focus.step.rows[tap.r], focus.step.cols[tap.c]] };
  }
  return focus;
}
