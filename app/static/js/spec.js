// State -> the API's layer spec (docs/design.md). Hand-edited values go as the spec's sparse
// `edits`, a sample image and a filter bank by name: the server lays them over its own arrays,
// so a request stays a few hundred bytes whatever the layer's size, and never carries an
// array the page derived. Only an upload, which the server does not keep, sends its pixels.
import { stateFromPreset } from "./state.js";

// Whole numbers in each role's own range are the server's defaults (0..2, -1..1, 0..1), so
// an integers fill sends its kind and seed alone; real numbers are -1..1 in every role here.
const FLOAT_FILLS = {
  input: { kind: "uniform", low: -1, high: 1 },
  filters: { kind: "uniform", low: -1, high: 1 },
  bias: { kind: "uniform", low: -1, high: 1 },
};

const same = (a, b, keys) => keys.every((key) => a[key] === b[key]);

/**
 * The layer spec for `state`, keeping a preset's explicit values while they still fit.
 * `upload` is the tab's uploaded image ({shape, values}) when `state.image` is "upload".
 */
export function layerSpec(state, preset, upload = null) {
  const from = preset ? stateFromPreset(preset) : null;
  const layer = preset?.layer;
  const sameFill = from && same(state, from, ["fill", "seed"]);
  const keepInput = sameFill && same(state, from, ["h", "w", "d"]);
  const keepFilters = sameFill && same(state, from, ["d", "k", "fh", "fw", "conn"])
    && (state.conn === "shared" || same(state, from, ["h", "w", "sh", "sw", "dh", "dw", "pt", "pb", "pl", "pr", "fit"]));
  const fillOf = (role, presetFill) => {
    if (sameFill && presetFill) return presetFill;
    return state.fill === "integers" ? { kind: "integers", seed: state.seed } : { ...FLOAT_FILLS[role], seed: state.seed };
  };
  const symmetric = state.pt === state.pb && state.pb === state.pl && state.pl === state.pr;
  const shape = [state.h, state.w, state.d];
  const size = state.fh === state.fw ? state.fh : [state.fh, state.fw];
  let input = { shape, values: keepInput ? layer.input.values ?? null : null, fill: fillOf("input", layer?.input?.fill) };
  if (state.image === "upload" && upload) input = { shape, values: upload.values };
  else if (state.image && state.image !== "upload") input = { shape, image: { name: state.image } };
  const filters = state.bank
    ? { count: state.k, size, bank: state.bank }
    : {
      count: state.k,
      size,
      values: keepFilters ? layer.filters.values ?? null : null,
      fill: fillOf("filters", layer?.filters?.fill),
      bias: keepFilters ? layer.filters.bias ?? null : null,
      bias_fill: fillOf("bias", layer?.filters?.bias_fill),
    };
  return {
    input,
    filters,
    stride: state.sh === state.sw ? state.sh : [state.sh, state.sw],
    padding: symmetric ? state.pt : [state.pt, state.pb, state.pl, state.pr],
    dilation: state.dh === state.dw ? state.dh : [state.dh, state.dw],
    fit: state.fit,
    connectivity: state.conn,
    activation: state.act,
    edits: specEdits(parseEdits(state.edits)),
  };
}

const ARRAYS = { X: "input", W: "filters", b: "bias" };

/** The spec's `edits` list for parsed edits (the same order: a later edit of a cell wins). */
function specEdits(edits) {
  return edits.map((e) => ({ array: ARRAYS[e.target], index: e.index, value: e.value }));
}

/** Parse "X1.2.0=5;W0.0.1.2=-1;b1=3" into [{target, index, value}]. */
export function parseEdits(text) {
  const edits = [];
  for (const part of String(text || "").split(";")) {
    const match = /^([XWb])([\d.]*)=(-?[\d.eE+-]+)$/.exec(part.trim());
    if (!match) continue;
    const index = match[2] === "" ? [] : match[2].split(".").map(Number);
    const value = Number(match[3]);
    if (Number.isFinite(value) && index.every(Number.isInteger)) edits.push({ target: match[1], index, value });
  }
  return edits;
}

/**
 * The places (in `parseEdits`' list) of the state's edits that name no cell of the arrays
 * the state's own sizes give the spec: the input [h, w, d], and shared filters [k, fh, fw, d]
 * and biases [k]. A locally connected layer's weights and biases have one set per output
 * position, a size the server works out: their output axes are judged once `outShape`
 * ([H2, W2, K], the geometry answer's) is given.
 */
export function editsOutside(state, outShape = null) {
  const shapes = { X: [state.h, state.w, state.d] };
  if (state.conn === "shared") Object.assign(shapes, { W: [state.k, state.fh, state.fw, state.d], b: [state.k] });
  else {
    // before the geometry answer (or for a misfit) the output's size is not known: any index
    // from 0 up is taken on those axes, and the filter, row, column and depth are checked
    const [h2, w2] = outShape ?? [null, null];
    Object.assign(shapes, { W: [h2, w2, state.k, state.fh, state.fw, state.d], b: [h2, w2, state.k] });
  }
  const outside = new Set();
  parseEdits(state.edits).forEach((edit, n) => {
    const shape = shapes[edit.target];
    const inside = shape && shape.length === edit.index.length
      && edit.index.every((v, axis) => v >= 0 && (shape[axis] === null || v < shape[axis]));
    if (shape && !inside) outside.add(n);
  });
  return outside;
}

/** The parts of an edits text that `parseEdits` leaves out, each not one cell's edit. */
export function unreadEdits(text) {
  return String(text || "").split(";").map((part) => part.trim())
    .filter((part) => part && parseEdits(part).length === 0);
}

/** The edits as text, one per cell (a later edit of the same cell replaces the earlier). */
export function formatEdits(edits) {
  const byCell = new Map();
  for (const e of edits) byCell.set(`${e.target}${e.index.join(".")}`, e.value);
  return Array.from(byCell, ([cell, value]) => `${cell}=${value}`).join(";");
}

/** Parse what a person types ("X[1,2,0]", "W0[0,1,2]", "W[1,1,0][0,0,2]", "b1") to {target, index}. */
export function parseCellName(text) {
  const t = String(text).replace(/\s+/g, "");
  let m = /^X\[(\d+),(\d+),(\d+)\]$/.exec(t);
  if (m) return { target: "X", index: m.slice(1).map(Number) };
  m = /^W(\d+)\[(\d+),(\d+),(\d+)\]$/.exec(t);
  if (m) return { target: "W", index: m.slice(1).map(Number) };
  m = /^W\[(\d+),(\d+),(\d+)\]\[(\d+),(\d+),(\d+)\]$/.exec(t);
  if (m) return { target: "W", index: m.slice(1).map(Number) };
  m = /^b(\d+)$/.exec(t);
  if (m) return { target: "b", index: [Number(m[1])] };
  m = /^b\[(\d+),(\d+),(\d+)\]$/.exec(t);
  if (m) return { target: "b", index: m.slice(1).map(Number) };
  return null;
}

/** The name a person types for an edit's cell (parseCellName's inverse): "X[1,2,0]", "W0[0,1,2]", "b1". */
export function cellName({ target, index }) {
  const list = (part) => `[${part.join(",")}]`;
  if (target === "W" && index.length === 4) return `W${index[0]}${list(index.slice(1))}`;
  if (target === "W" && index.length === 6) return `W${list(index.slice(0, 3))}${list(index.slice(3))}`;
  if (target === "b" && index.length === 1) return `b${index[0]}`;
  return `${target}${list(index)}`;
}

// The spec's field paths as the page's boxes name them: a server message beside the H box
// says "H is 0", not "input.shape[0] is 0" (the API's words stay the API's).
const PAGE_NAMES = [
  // after "a smaller" the name takes no article ("a smaller the input size would cut")
  ["a smaller input.shape", "a smaller input"], ["a smaller filters.size", "a smaller filter size F"],
  ["a smaller filters.count", "fewer filters K"],
  ["input.shape[0]", "H"], ["input.shape[1]", "W"], ["input.shape[2]", "D"],
  ["input.shape", "the input size"], ["filters.count", "K"],
  ["filters.size", "the filter size F"],
];

/** `text` (a server message) with the spec's field paths in the page's names. */
export function pageWords(text) {
  return PAGE_NAMES.reduce((said, [path, name]) => said.replaceAll(path, name), text);
}
