// State <-> query string. Every key of DEFAULTS round-trips; unknown keys are ignored and bad
// values fall back to the default, so any link opens *some* sensible view.
import { CHOICES, DEFAULTS } from "./state.js";

// Links from before images were state keys named an image layer as a preset
// "img.<sample or upload>.<bank>"; they open as the same image and bank.
const LEGACY_IMAGE = /^img\.([^.]+)\.(.+)$/;

/** {image, bank} of a legacy image-layer preset name, or null. */
export function legacyImage(preset) {
  const m = LEGACY_IMAGE.exec(preset ?? "");
  return m ? { image: m[1], bank: m[2] } : null;
}

const SHORTHANDS = [
  ["f", ["fh", "fw"]], ["s", ["sh", "sw"]], ["p", ["pt", "pb", "pl", "pr"]], ["dil", ["dh", "dw"]],
];

/** The query string ("?preset=...&t=3") for a state. */
export function toQuery(state) {
  const params = new URLSearchParams();
  for (const key of Object.keys(DEFAULTS)) {
    const value = state[key];
    if (typeof value === "boolean") params.set(key, value ? "1" : "0");
    else params.set(key, String(value));
  }
  return `?${params.toString()}`;
}

/**
 * The keys a query string names, each parsed and checked as a full link's are (a bad value is
 * left out, so the default or the preset's own stands). An old image-layer preset name gives
 * its image and bank instead of a preset.
 */
export function givenKeys(search) {
  const params = new URLSearchParams(search);
  const given = {};
  // The strip's own letters for every axis at once: f (filter size), s (stride; links from
  // before per-axis strides said so too), p (padding, all four sides) and dil (dilation); a
  // per-axis key given beside one wins.
  for (const [old, keys] of SHORTHANDS) {
    const value = Number(params.get(old));
    if (params.has(old) && Number.isInteger(value)) for (const key of keys) given[key] = value;
  }
  for (const [key, fallback] of Object.entries(DEFAULTS)) {
    if (!params.has(key)) continue;
    const raw = params.get(key);
    if (typeof fallback === "number") {
      const value = Number(raw);
      // the sizes go to the server, which says what is wrong with them; a step is a count
      const fine = key === "t" ? Number.isInteger(value) && value >= 0 : Number.isFinite(value);
      if (raw.trim() !== "" && fine) given[key] = value;
    } else if (typeof fallback === "boolean") {
      given[key] = raw === "1" || raw === "true";
    } else if (CHOICES[key]) {
      if (CHOICES[key].includes(raw)) given[key] = raw;
    } else {
      given[key] = raw;
    }
  }
  const legacy = legacyImage(given.preset);
  if (legacy) {
    Object.assign(given, legacy);
    delete given.preset;
  }
  return given;
}

/** The state a query string describes, or null when it names no layer at all. */
export function fromQuery(search) {
  const params = new URLSearchParams(search);
  if (!params.has("h") && !params.has("preset")) return null;
  return { ...DEFAULTS, ...givenKeys(search) };
}

/**
 * The presentation keys of a query string ({embed, theme, large, view}), which every link
 * carries whether or not it names a layer: `?embed=1` alone opens the default layer embedded,
 * and `?preset=alexnet-conv1&view=3d` that preset in 3-D.
 */
export function presentationOf(search) {
  const params = new URLSearchParams(search);
  const flag = (key) => ["1", "true"].includes(params.get(key) ?? "");
  const choice = (key) => (CHOICES[key].includes(params.get(key)) ? params.get(key) : DEFAULTS[key]);
  return { embed: flag("embed"), large: flag("large"), theme: choice("theme"), view: choice("view") };
}

/**
 * True for a link written by hand rather than copied: it names any of the state's keys but
 * not the sizes (no `h`). The preset it names (or the default one) then gives every key the
 * link leaves out, and the keys it names count as in a full link: `?t=4` is the default
 * layer at its fifth step (it opened at the first).
 */
export function partialLink(search) {
  const params = new URLSearchParams(search);
  const shorthands = new Set(SHORTHANDS.map(([key]) => key));
  return !params.has("h") && [...params.keys()].some((key) => key in DEFAULTS || shorthands.has(key));
}
