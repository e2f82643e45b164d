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
  const m = /^([ox])([\d.]+)$/.exec(pin || "");
  if (!m) return null;
  const n = m[2].split(".").map(Number);
  if (m[1] === "o" && n.length === 3) return { kind: "output", i: n[0], j: n[1], d: n[2] };
  if (m[1] === "x" && n.length === 2) return { kind: "input", row: n[0], col: n[1] };
  return null;
}

/** The pin text for a target (the inverse of pinTarget). */
export function pinText(target) {
  if (target.kind === "output") return `o${target.i}.${target.j}.${target.d}`;
  return `x${target.row}.${target.col}`;
}

/**
 * The focus for `target` ({kind: "step", t} | {kind: "output", i, j, d} | {kind: "input",
 * row, col}); `getStep(t)` and `getInverse(row, col)` return cached server answers or
 * undefined (and fetch them). `tap` ({r, c, ch}) marks one product's input cell and weight.
 */
export function focusFor(target, model, order, getStep, getInverse, tap) {
  const focus = { t: null, position: null, step: null, loading: false, inputCell: null, seen: null, pair: null };
  if (target.kind === "input") {
    focus.inputCell = [target.row + model.pads.top, target.col + model.pads.left];
    const inverse = getInverse(target.row, target.col);
    focus.loading = inverse === undefined;
    focus.seen = inverse ?? [];
    return focus;
  }
  focus.t = target.kind === "step" ? target.t : stepOf(model.outShape, order, target.i, target.j, target.d);
  focus.position = positionOf(model.outShape, order, focus.t);
  focus.step = getStep(focus.t) ?? null;
  focus.loading = focus.step === null;
  if (tap && focus.step) {
    focus.pair = { channel: tap.ch, tap: [tap.r, tap.c], input: [focus.step.rows[tap.r], focus.step.cols[tap.c]] };
  }
  return focus;
}
