// The whole UI state: ONE plain object of strings, numbers and booleans, so it serialises to
// the URL and every view is a link. Nothing else holds view state.

export const DEFAULTS = Object.freeze({
  preset: "cs231n-demo",
  h: 5, w: 5, d: 3,
  k: 2, fh: 3, fw: 3,
  sh: 2, sw: 2, dh: 1, dw: 1,
  pt: 1, pb: 1, pl: 1, pr: 1,
  fit: "error", act: "none", conn: "shared",
  fill: "integers", seed: 0,
  edits: "", // "X1.2.0=5;W0.0.1.2=-1;b1=3": hand-typed values, sent as the spec's `edits`
  image: "", // a sample image's name as the input, or "upload" (the tab's own upload)
  bank: "", // a filter bank's name as the filters
  order: "depth_slice", mode: "forward",
  t: 0, speed: 2, loop: false,
  pin: "", // "o1.0.0" (output neuron) or "x3.4" (input cell X[3,4,:], unpadded)
  embed: false, // the picture and the transport only, for an iframe (embed.js)
  theme: "auto", // "auto" follows the system's prefers-color-scheme (js/theme.js)
  large: false, // large type, for projection
  lines: true, // the connection lines over the panels (render/connections.js)
  view: "flat", // "3d": the input and output drawn as blocks (render/volume3d.js)
  blocks: "values", // "gradients": in backward mode, the blocks coloured with dX and dV
  zoom: "", // "i4_o8": the big input and output zoomed in from whole (zoomlink.js)
  cam: "", // "45_20": the 3-D view turned and tilted, in degrees ("" its first angle)
});

// The least each number of the state may be (a padding, the seed and a step may be 0): what
// the sizes mean, not a server's limit. A link's or a box's number below it, or not whole, is
// said on the page rather than sent to be refused; so is one over this server's limit
// (MOST_OF below, wholeFor).
export const LEAST = Object.freeze({
  h: 1, w: 1, d: 1, k: 1, fh: 1, fw: 1, sh: 1, sw: 1, dh: 1, dw: 1,
  pt: 0, pb: 0, pl: 0, pr: 0, seed: 0, t: 0,
});

// The server setting that bounds each size (rendered into the page's body as data-max-side,
// -depth and -filters, as the server's settings say): more is refused there, so it is said
// on the page, and the boxes' max is the same number.
const MOST_OF = {
  h: "maxSide", w: "maxSide", fh: "maxSide", fw: "maxSide", sh: "maxSide", sw: "maxSide",
  dh: "maxSide", dw: "maxSide", pt: "maxSide", pb: "maxSide", pl: "maxSide", pr: "maxSide",
  d: "maxDepth", k: "maxFilters",
};

/** The largest number the state key `key` may be on this server (a step or a seed: any). */
export function mostFor(key) {
  const most = Number(globalThis.document?.body?.dataset[MOST_OF[key]]);
  return most > 0 ? most : Number.MAX_SAFE_INTEGER;
}

/** Whether `value` is a number the state key `key` can take on this server. */
export function wholeFor(key, value) {
  return Number.isSafeInteger(value) && value >= LEAST[key] && value <= mostFor(key);
}

/** What a number key takes, in words: "a whole number, 1 to 4,096". */
export function takesNumber(key) {
  if (key === "t") return "a step, 0 or more";
  // the largest always said: "0 or more" refused a seed of 1e20, which is (2**53 - 1 is the
  // most a seed, or any number the page keeps whole, can be)
  return `a whole number, ${LEAST[key]} to ${mostFor(key).toLocaleString("en-US")}`;
}

// The 3-D view's tilt either way, in degrees (render/projection.js): past it the blocks
// would be seen upside down.
export const MOST_TILT = 83;

// The forms of the text keys a link can get wrong, what each takes in words, and what else a
// value of the form must be: a zoom (zoomlink.js) and a 3-D view's angles
// (render/projection.js). Read there with the same form.
export const FORMS = Object.freeze({
  zoom: [/^[io]\d+(?:\.\d+)?(?:_[io]\d+(?:\.\d+)?)*$/, "how far the input and output are zoomed in, as i4_o8"],
  cam: [/^(-?\d+(?:\.\d+)?)_(-?\d+(?:\.\d+)?)$/,
    `the 3-D view's turn and tilt in degrees, as 45_20, the tilt -${MOST_TILT} to ${MOST_TILT}`,
    ([, , tilt]) => Math.abs(Number(tilt)) <= MOST_TILT],
});

export const CHOICES = Object.freeze({
  fit: ["error", "floor", "pad"],
  act: ["none", "relu"],
  conn: ["shared", "local"],
  fill: ["integers", "uniform"],
  order: ["depth_slice", "depth_column"],
  mode: ["forward", "backward"],
  theme: ["auto", "light", "dark"],
  view: ["flat", "3d"],
  blocks: ["values", "gradients"],
});

// The speeds the transport offers (steps a second; the speed menu's options,
// templates/_transport.html): a link's other speed would leave the menu blank.
export const SPEEDS = Object.freeze([1, 2, 5, 20, 100, 300, 1000]);

// The keys that change the layer (and so the data); the rest only change the view.
export const LAYER_KEYS = Object.freeze([
  "h", "w", "d", "k", "fh", "fw", "sh", "sw", "dh", "dw", "pt", "pb", "pl", "pr",
  "fit", "act", "conn", "fill", "seed", "edits", "image", "bank",
]);

// The keys an image or a bank fixes: setting one of them by hand lets go of the name.
const IMAGE_FIXES = ["h", "w", "d"];
const BANK_FIXES = ["k", "fh", "fw", "d", "conn"];

/**
 * A copy of `state` with `changes` applied (state objects are never mutated in place). A
 * change to a size the image or bank decides drops the image or bank: the layer goes back to
 * its fills rather than asking the server for a picture of the wrong size.
 */
export function withChanges(state, changes) {
  const next = { ...state, ...changes };
  const moved = (keys) => keys.some((key) => key in changes && changes[key] !== state[key]);
  if (!("image" in changes) && moved(IMAGE_FIXES)) next.image = "";
  if (!("bank" in changes) && moved(BANK_FIXES)) next.bank = "";
  return next;
}

/** True when a change from `before` to `after` needs new data from the server. */
export function layerChanged(before, after) {
  return LAYER_KEYS.some((key) => before[key] !== after[key]);
}

/** The control values a preset's layer spec stands for. */
export function stateFromPreset(preset) {
  const spec = preset.layer;
  const [h, w, d] = spec.input.shape;
  const [fh, fw] = pair(spec.filters.size);
  const [sh, sw] = pair(spec.stride ?? 1);
  const [dh, dw] = pair(spec.dilation ?? 1);
  const [pt, pb, pl, pr] = sides(spec.padding ?? 0);
  const inputFill = spec.input.fill ?? { kind: "integers", seed: 0 };
  return {
    ...DEFAULTS,
    preset: preset.name,
    h, w, d, k: spec.filters.count, fh, fw, sh, sw, dh, dw, pt, pb, pl, pr,
    fit: spec.fit ?? "error",
    act: spec.activation ?? "none",
    conn: spec.connectivity ?? "shared",
    fill: inputFill.kind === "integers" ? "integers" : "uniform",
    seed: inputFill.seed ?? 0,
    image: spec.input.image?.name ?? "",
    bank: spec.filters.bank ?? "",
  };
}

/** [h, w] from an int or a pair. */
export function pair(value) {
  return Array.isArray(value) ? [value[0], value[1]] : [value, value];
}

/** [top, bottom, left, right] from an int, [ph, pw] or four numbers. */
export function sides(value) {
  if (!Array.isArray(value)) return [value, value, value, value];
  if (value.length === 2) return [value[0], value[0], value[1], value[1]];
  if (value.length === 1) return [value[0], value[0], value[0], value[0]];
  return [value[0], value[1], value[2], value[3]];
}

/** The state keys that set each size field of a layer spec, in the spec's order (axes, sides). */
export const FIELD_KEYS = Object.freeze({
  "input.shape": ["h", "w", "d"], "filters.size": ["fh", "fw"], stride: ["sh", "sw"],
  dilation: ["dh", "dw"], padding: ["pt", "pb", "pl", "pr"], fit: ["fit"],
});

/** The spec field state key `key` sets (one of FIELD_KEYS), or null. */
export const fieldOfKey = (key) => Object.keys(FIELD_KEYS).find((field) => FIELD_KEYS[field].includes(key)) ?? null;

/**
 * The state changes a geometry suggestion ({field, value}) stands for in `state`, or null for an
 * unknown field or one `state` cannot take (a new input size for an image).
 */
export function changesForSuggestion({ field, value }, state) {
  const axes = (field) => {
    const [a, b] = FIELD_KEYS[field];
    const [h, w] = pair(value);
    return { [a]: h, [b]: w };
  };
  const changes = {
    padding: () => {
      const [pt, pb, pl, pr] = sides(value);
      return { pt, pb, pl, pr };
    },
    stride: () => axes("stride"),
    "filters.size": () => axes("filters.size"),
    dilation: () => axes("dilation"),
    // an image decides its own size: a new size would let go of it, which no button should
    // do unasked (the size boxes still can)
    "input.shape": () => (state.image ? null : { h: value[0], w: value[1] }),
    fit: () => ({ fit: value }),
    // the count a refusal over the budget says passes (main.js, the refused note's button)
    "filters.count": () => ({ k: value }),
  }[field];
  return changes ? changes() : null;
}
