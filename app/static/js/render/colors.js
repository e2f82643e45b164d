// A colour-blind-safe diverging scale: purple below zero, orange above (ColorBrewer PuOr on the
// light theme). Purple/orange stay distinct under the common colour-vision deficiencies. The
// five stops and the canvas colours come from css/theme.css (readTheme), so a theme is CSS only.
import { clear, el, fmt } from "../dom.js";

// The scale's positions; their colours are theme.css's --scale-* properties, in this order.
const STOP_AT = [-1, -0.5, 0, 0.5, 1];
const STOP_VARS = ["--scale-neg", "--scale-neg-mid", "--scale-zero", "--scale-pos-mid", "--scale-pos"];
// Today's light values, used until (or if) the stylesheet answers.
let STOPS = [
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
const packTable = () => {
  const table = new Uint32Array(SHADES);
  const bytes = new Uint8Array(table.buffer);
  for (let n = 0; n < SHADES; n += 1) {
    const [r, g, b] = rgb((n / (SHADES - 1)) * 2 - 1, 1);
    bytes.set([r, g, b, 255], n * 4);
  }
  return table;
};
let PACKED = packTable();

/** `value`'s colour as one packed RGBA word, for writing into a Uint32Array over ImageData. */
export function packed(value, maxAbs) {
  const x = maxAbs > 0 ? value / maxAbs : 0;
  const n = Math.round(((Math.max(-1, Math.min(1, x)) + 1) / 2) * (SHADES - 1));
  return PACKED[Number.isNaN(n) ? SHADES >> 1 : n];
}

/** A packed RGBA word half way to the page's colour: a canvas cell that counts for nothing. */
export function faded(word) {
  const half = (shift) => ((((word >>> shift) & 255) + ((palette.gapWord >>> shift) & 255)) >> 1) << shift;
  return (half(0) | half(8) | half(16) | (255 << 24)) >>> 0;
}

/** A packed RGBA word for a plain [r, g, b]. */
function packRgb([r, g, b]) {
  return new Uint32Array(Uint8Array.of(r, g, b, 255).buffer)[0];
}

/** CSS colour for `value`. */
export function color(value, maxAbs) {
  const [r, g, b] = rgb(value, maxAbs);
  return `rgb(${r} ${g} ${b})`;
}

/** A text colour that stays readable on `color(value, maxAbs)`. */
export function ink(value, maxAbs) {
  return inkOn(rgb(value, maxAbs));
}

/**
 * Black or white, whichever contrasts more with `[r, g, b]`. Pure black and white give every
 * background at least 4.58:1 (the worst case is a luminance of 0.179, where the two tie), so
 * numbers in cells pass WCAG AA on any colour of either theme's scale.
 */
function inkOn(color3) {
  return luminance(color3) > 0.179 ? "#000" : "#fff";
}

/** WCAG relative luminance of an sRGB [r, g, b] (0-255). */
export function luminance([r, g, b]) {
  const lin = (v) => {
    const c = v / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
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
 * [[name, maxAbs], ...]): every panel scales to its largest |value| so small weights show;
 * `padding`: the layer draws zero padding (hatched), so the hatch is named.
 */
export function renderLegend(container, ranges, { padding = true } = {}) {
  clear(container);
  const bar = el("div", "legend-bar");
  const stops = STOPS.map(([x]) => `${color(x, 1)} ${((x + 1) / 2) * 100}%`).join(", ");
  bar.style.background = `linear-gradient(to right, ${stops})`;
  bar.setAttribute("role", "img");
  bar.setAttribute("aria-label", "Colour scale from minus max (purple) through 0 (neutral grey) to plus max (orange)");
  const ticks = el("div", "legend-ticks");
  ticks.append(el("span", "", "−max"), el("span", "", "0"), el("span", "", "+max"));
  const scale = el("div", "legend-scale");
  scale.append(bar, ticks);
  const list = el("p", "legend-ranges", ranges.map(([name, max]) => `${name}: ${typeof max === "number" ? `max ±${fmt(max)}` : max}`).join(" · "));
  container.append(scale, list);
  // the hatch's key, where a hatch is drawn (AlexNet conv1 has no padding)
  if (padding) container.append(el("span", "legend-pad", "zero padding"));
}

/**
 * The canvas colours of the current theme (CSS strings), and the packed words the bitmaps use
 * for padding, cells not computed yet and the gaps between tiles. Canvas code reads these at
 * draw time, never at import, so a theme change only needs a redraw.
 */
export const palette = {
  ink: "#1b1b1b", muted: "#555", panel: "#fff", page: "#f3f2ef", line: "#c9c9c9",
  mark: "#000", halo: "#fff", seen: "#0072b2", pair: "#d10", active: "#b35806",
  grid: "rgba(0, 0, 0, 0.18)",
  padWord: packRgb([205, 205, 205]), emptyWord: packRgb([255, 255, 255]), gapWord: packRgb([243, 242, 239]),
};

// Large type's factor (css/theme.css --type-scale: 1, or more for projection), read with the
// colours, so text drawn on canvases grows with the page's.
let TYPE_SCALE = 1;

/** The page's type scale (large type), as of the last readTheme(). */
export const typeScale = () => TYPE_SCALE;

let probe = null;

/** The [r, g, b, a] a CSS colour expression (e.g. "var(--ink)") comes to on this page. */
export function resolveColor(expression) {
  if (!probe) {
    probe = document.createElement("span");
    probe.hidden = true;
    // forced colours (Windows high contrast) rewrite an element's colour to the system's
    // text colour: every scale stop read the same, and each canvas was one flat block
    probe.style.forcedColorAdjust = "none";
    document.body.append(probe);
  }
  probe.style.color = "";
  probe.style.color = expression;
  const parts = getComputedStyle(probe).color.match(/[\d.]+/g)?.map(Number) ?? [0, 0, 0];
  return [parts[0], parts[1], parts[2], parts.length > 3 ? parts[3] : 1];
}

/**
 * Read the look from the stylesheet (after a theme or type-size change): the value scale,
 * `palette` and `typeScale()`.
 */
export function readTheme() {
  const three = (name) => resolveColor(`var(${name})`).slice(0, 3);
  const css = (name) => {
    const [r, g, b, a] = resolveColor(`var(${name})`);
    return a < 1 ? `rgba(${r}, ${g}, ${b}, ${a})` : `rgb(${r}, ${g}, ${b})`;
  };
  TYPE_SCALE = Number(getComputedStyle(document.documentElement).getPropertyValue("--type-scale")) || 1;
  STOPS = STOP_AT.map((x, n) => [x, three(STOP_VARS[n])]);
  PACKED = packTable();
  const ink3 = three("--ink");
  Object.assign(palette, {
    ink: css("--ink"), muted: css("--muted"), panel: css("--panel"), page: css("--page"), line: css("--line"),
    mark: css("--mark"), halo: css("--mark-halo"), seen: css("--mark-seen"), pair: css("--mark-pair"),
    active: css("--active"),
    // grid lines: the ink at low opacity, so they read on both themes
    grid: `rgba(${ink3[0]}, ${ink3[1]}, ${ink3[2]}, 0.22)`,
    padWord: packRgb(three("--pad-b")), emptyWord: packRgb(three("--cell")), gapWord: packRgb(three("--page")),
  });
  return palette;
}
