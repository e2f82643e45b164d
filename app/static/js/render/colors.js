// A colour-blind-safe diverging scale (ColorBrewer PuOr): purple below zero, white at zero,
// orange above. Purple/orange stay distinct under the common colour-vision deficiencies.
import { clear, el, fmt } from "../dom.js";

const STOPS = [
  [-1, [84, 39, 136]],
  [-0.5, [178, 171, 210]],
  [0, [247, 247, 247]],
  [0.5, [253, 184, 99]],
  [1, [179, 88, 6]],
];

/** [r, g, b] for `value` on a scale symmetric about zero reaching +-`maxAbs`. */
export function rgb(value, maxAbs) {
  const x = maxAbs > 0 ? Math.max(-1, Math.min(1, value / maxAbs)) : 0;
  for (let n = 1; n < STOPS.length; n += 1) {
    const [x1, c1] = STOPS[n];
    if (x <= x1) {
      const [x0, c0] = STOPS[n - 1];
      const f = (x - x0) / (x1 - x0);
      return [0, 1, 2].map((k) => Math.round(c0[k] + f * (c1[k] - c0[k])));
    }
  }
  return STOPS[STOPS.length - 1][1];
}

// 1024 shades of the scale packed as RGBA bytes in one 32-bit word (ImageData's byte order),
// so filling a 290,400-cell bitmap is a table look-up per cell, not a colour computation.
const SHADES = 1024;
const PACKED = (() => {
  const table = new Uint32Array(SHADES);
  const bytes = new Uint8Array(table.buffer);
  for (let n = 0; n < SHADES; n += 1) {
    const [r, g, b] = rgb((n / (SHADES - 1)) * 2 - 1, 1);
    bytes.set([r, g, b, 255], n * 4);
  }
  return table;
})();

/** `value`'s colour as one packed RGBA word, for writing into a Uint32Array over ImageData. */
export function packed(value, maxAbs) {
  const x = maxAbs > 0 ? value / maxAbs : 0;
  const n = Math.round(((Math.max(-1, Math.min(1, x)) + 1) / 2) * (SHADES - 1));
  return PACKED[Number.isNaN(n) ? SHADES >> 1 : n];
}

/** A packed RGBA word for a plain [r, g, b]. */
export function packRgb([r, g, b]) {
  return new Uint32Array(Uint8Array.of(r, g, b, 255).buffer)[0];
}

/** CSS colour for `value`. */
export function color(value, maxAbs) {
  const [r, g, b] = rgb(value, maxAbs);
  return `rgb(${r} ${g} ${b})`;
}

/** A text colour that stays readable on `color(value, maxAbs)`. */
export function ink(value, maxAbs) {
  return maxAbs > 0 && Math.abs(value / maxAbs) > 0.6 ? "#fff" : "#111";
}

/** The largest |value| in a typed array or list (1 when all are zero, to avoid dividing by 0). */
export function maxAbsOf(values) {
  let best = 0;
  for (let n = 0; n < values.length; n += 1) {
    const v = Math.abs(values[n]);
    if (v > best) best = v;
  }
  return best || 1;
}

/**
 * Draw the legend: the gradient from -max to +max, and each panel's own max (`ranges` is
 * [[name, maxAbs], ...]): every panel scales to its largest |value| so small weights show.
 */
export function renderLegend(container, ranges) {
  clear(container);
  const bar = el("div", "legend-bar");
  const stops = STOPS.map(([x]) => `${color(x, 1)} ${((x + 1) / 2) * 100}%`).join(", ");
  bar.style.background = `linear-gradient(to right, ${stops})`;
  bar.setAttribute("role", "img");
  bar.setAttribute("aria-label", "Colour scale from minus max (purple) through 0 (white) to plus max (orange)");
  const ticks = el("div", "legend-ticks");
  ticks.append(el("span", "", "−max"), el("span", "", "0"), el("span", "", "+max"));
  const scale = el("div", "legend-scale");
  scale.append(bar, ticks);
  const list = el("p", "legend-ranges", ranges.map(([name, max]) => `${name}: ${typeof max === "number" ? `max ±${fmt(max)}` : max}`).join(" · "));
  const pad = el("span", "legend-pad", "zero padding");
  container.append(scale, list, pad);
}
