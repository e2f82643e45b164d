// State <-> query string. Every key of DEFAULTS round-trips; unknown keys and bad values are
// left out (and said, refusedKeys), so any link opens *some* sensible view.
import { shortened } from "./dom.js";
import { CHOICES, DEFAULTS, FORMS, LAYER_KEYS, SPEEDS, takesNumber, wholeFor } from "./state.js";

// Links from before images were state keys named an image layer as a preset
// "img.<sample or upload>.<bank>"; they open as the same image and bank.
const LEGACY_IMAGE = /^img\.([^.]+)\.(.+)$/;

/** {image, bank} of a legacy image-layer preset name, or null. */
function legacyImage(preset) {
  const m = LEGACY_IMAGE.exec(preset ?? "");
  return m ? { image: m[1], bank: m[2] } : null;
}

const SHORTHANDS = [
  ["f", ["fh", "fw"]], ["s", ["sh", "sw"]], ["p", ["pt", "pb", "pl", "pr"]], ["dil", ["dh", "dw"]],
];

// The layer keys a link leaves out when empty (no edits, no image, no bank): a link that
// names the rest still names its whole layer (partialLink).
const EMPTY_OMITTED = ["edits", "image", "bank"];

/**
 * The query string ("?preset=...&t=3") for a state: every key of the layer, and the view's
 * keys (step, speed, theme...) where they differ from the default, so a copied link stays
 * short enough to read and paste (every key written made one of about 370 characters). A
 * link naming the whole layer opens every key it leaves out at the default (fromQuery).
 */
export function toQuery(state) {
  const params = new URLSearchParams();
  for (const key of Object.keys(DEFAULTS)) {
    const value = state[key];
    const layer = key === "preset" || LAYER_KEYS.includes(key);
    if (layer ? EMPTY_OMITTED.includes(key) && value === "" : value === DEFAULTS[key]) continue;
    if (typeof value === "boolean") params.set(key, value ? "1" : "0");
    else params.set(key, String(value));
  }
  return `?${params.toString()}`;
}

const FLAGS = new Map([["1", true], ["true", true], ["0", false], ["false", false]]);

// A number key's value as a link writes it: digits only. Number() also reads "0x10" (16),
// "1e1" (10) and "5.0", a typo's look, as whole numbers.
const digits = (raw) => /^\d+$/.test(raw);

/** A link key's value as the state holds it, or undefined when the link's text is not one. */
function readKey(key, raw) {
  const fallback = DEFAULTS[key];
  if (key === "speed") return SPEEDS.includes(Number(raw)) ? Number(raw) : undefined;
  if (typeof fallback === "number") {
    // a size that no layer has (s=0, h=2.5), or one over this server's limit (wholeFor),
    // is left out here, and the page says so
    const value = Number(raw);
    return digits(raw) && wholeFor(key, value) ? value : undefined;
  }
  // own keys only: `?loop=toString` found the object's method (a function in the state)
  if (typeof fallback === "boolean") return FLAGS.has(raw) ? FLAGS.get(raw) : undefined;
  if (CHOICES[key]) return CHOICES[key].includes(raw) ? raw : undefined;
  if (FORMS[key]) {
    const [form, , fits = () => true] = FORMS[key];
    const found = form.exec(raw);
    return raw === "" || (found && fits(found)) ? raw : undefined;
  }
  return raw;
}

/** What a link key takes, for a value it cannot use. */
function takes(key) {
  if (CHOICES[key]) return CHOICES[key].join(" or ");
  if (FORMS[key]) return FORMS[key][1];
  if (key === "speed") return `${SPEEDS.slice(0, -1).join(", ")} or ${SPEEDS.at(-1)} steps a second`;
  if (typeof DEFAULTS[key] === "boolean") return "1 or 0";
  return takesNumber(key);
}

/**
 * A query string's keys, each with its last value: a key added to the end of a copied link
 * (which names every key) is the one that counts, as `&embed=1` on a link says it should.
 */
export function linkParams(search) {
  return new Map(new URLSearchParams(search));
}

/**
 * The keys a query string names, each parsed and checked as a full link's are (a bad value is
 * left out, so the default or the preset's own stands). An old image-layer preset name gives
 * its image and bank instead of a preset.
 */
export function givenKeys(search) {
  const params = linkParams(search);
  const given = {};
  // The strip's own letters for every axis at once: f (filter size), s (stride; links from
  // before per-axis strides said so too), p (padding, all four sides) and dil (dilation); a
  // per-axis key given beside one wins.
  for (const [old, keys] of SHORTHANDS) {
    const value = Number(params.get(old));
    const fine = digits(params.get(old) ?? "") && wholeFor(keys[0], value);
    if (params.has(old) && fine) for (const key of keys) given[key] = value;
  }
  for (const key of Object.keys(DEFAULTS)) {
    if (!params.has(key)) continue;
    const value = readKey(key, params.get(key));
    if (value !== undefined) given[key] = value;
  }
  const legacy = legacyImage(given.preset);
  if (legacy) {
    Object.assign(given, legacy);
    delete given.preset;
  }
  return given;
}

// Keys sites add to the links they pass on (utm_source, fbclid...).
const TRACKING = /^(utm_.*|fbclid|gclid|mc_eid|ref)$/;

/**
 * What a link says that the page leaves out, in words ("p=same (a whole number)", "kernel
 * (no such key)"), so a hand-typed link's mistake is said rather than silently replaced.
 */
export function refusedKeys(search) {
  const pairs = [...new URLSearchParams(search)];
  const lastAt = new Map(pairs.map(([key], at) => [key, at]));
  const shorthands = new Map(SHORTHANDS);
  const said = [];
  for (const [at, [key, raw]] of pairs.entries()) {
    const shown = `${shortened(key)}=${shortened(raw)}`;
    // a key given again: the page reads the last. A view's key added to a copied link
    // (embed, large, t) is how one adjusts it: nothing to say; an earlier layer key of another
    // value (an edits= dropped) is said, as the layer then is not the one it described
    if (at !== lastAt.get(key)) {
      const dropped = raw !== pairs[lastAt.get(key)][1] && (LAYER_KEYS.includes(key) || key === "preset");
      if (dropped) said.push(`${shown} (${shortened(key)} given again later: the last is used)`);
      continue;
    }
    if (shorthands.has(key)) {
      const first = shorthands.get(key)[0];
      if (!digits(raw) || !wholeFor(first, Number(raw))) said.push(`${shown} (${takesNumber(first)})`);
    } else if (!(key in DEFAULTS)) {
      // a course site's or a mail's tracking keys are not the reader's mistake
      if (!TRACKING.test(key)) said.push(`${shortened(key)} (no such key)`);
    } else if (readKey(key, raw) === undefined) {
      said.push(`${shown} (${takes(key)})`);
    }
  }
  return said;
}

/** The state a query string describes, or null when it names no layer at all. */
export function fromQuery(search) {
  const params = linkParams(search);
  if (!params.has("h") && !params.has("preset")) return null;
  return { ...DEFAULTS, ...givenKeys(search) };
}

/**
 * The presentation keys of a query string ({embed, theme, large, view}), which every link
 * carries whether or not it names a layer: `?embed=1` alone opens the default layer embedded,
 * and `?preset=alexnet-conv1&view=3d` that preset in 3-D.
 */
export function presentationOf(search) {
  const params = linkParams(search);
  const flag = (key) => ["1", "true"].includes(params.get(key) ?? "");
  const choice = (key) => (CHOICES[key].includes(params.get(key)) ? params.get(key) : DEFAULTS[key]);
  return { embed: flag("embed"), large: flag("large"), theme: choice("theme"), view: choice("view") };
}

// The keys of a layer every link copied from the page carries (a layer's edits, image and
// bank may be empty, and a link may leave them out).
const SPEC_KEYS = LAYER_KEYS.filter((key) => !["edits", "image", "bank"].includes(key));

/**
 * True for a link written by hand rather than copied: it names some of the state's keys but
 * not every key of the layer. The preset it names (or, when it gives sizes but no preset, the
 * API's own defaults over the default layer; or else the default layer) then gives every key
 * the link leaves out, and the keys it names count as in a full link: `?t=4` is the default
 * layer at its fifth step (it opened at the first), and `?preset=seven-stride-1&h=7` that
 * preset with a 7-high input (it took the rest from the default layer, stride 2 and all).
 */
export function partialLink(search) {
  const params = linkParams(search);
  const shorthands = new Set(SHORTHANDS.map(([key]) => key));
  if (![...params.keys()].some((key) => key in DEFAULTS || shorthands.has(key))) return false;
  const given = givenKeys(search);
  return SPEC_KEYS.some((key) => !(key in given));
}
