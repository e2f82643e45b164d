// A layer that does not fit, drawn instead of blanked: the input inside its requested padding,
// the last window that fits whole (black), the next one hanging off the edge (red, its missing
// cells dashed), the cells fit="floor" would drop (hatched) and the zeros fit="pad" would add
// (blue, in place), and the cells a stride longer than the window jumps over (hatched too). Every position comes from the geometry answer's per-axis figures; the page
// works out no size. Large inputs draw the corner where the misfit happens, zoomed, beside the
// whole input.
import { clear, counted, el, short } from "../dom.js";
import { color, ink, palette, resolveColor, typeScale } from "./colors.js";
import { createGrid, sliceFigure } from "./grid.js";

// The picture's colours are css/misfit.css's and theme.css's custom properties, read at draw
// time so a theme change only needs a redraw.
const COLOR_VARS = {
  pad: "--pad-b", // requested zero padding, as the input panel draws it
  padInk: "--pad-ink",
  added: "--misfit-added", // zeros fit="pad" would add
  addedInk: "--misfit-added-ink",
  hatch: "--misfit-hatch", // cells fit="floor" would drop
  whole: "--mark", // the last window that fits whole
  overhang: "--misfit-overhang", // the window hanging off the edge
  tint: "--misfit-overhang-tint",
  bar: "--misfit-bar", // a whole window on a ruler
  edge: "--ink",
};
let COLORS = {};

function readColors() {
  const css = (name) => {
    const [r, g, b, a] = resolveColor(`var(${name})`);
    return `rgba(${r}, ${g}, ${b}, ${a})`;
  };
  COLORS = Object.fromEntries(Object.entries(COLOR_VARS).map(([key, name]) => [key, css(name)]));
  COLORS.line = palette.grid;
}

// Cells per axis drawn whole; past that, the corner where the windows run out, zoomed.
const MAX_WHOLE = 40;
const LANE = 7;

/** One axis's plan from its geometry figures and the padded input's size along it. */
function axisPlan(info, padded) {
  const last = info.whole_windows > 0 ? (info.whole_windows - 1) * info.stride : null;
  const extent = padded + Math.max(info.overhang, info.pad_adds);
  const from = extent > MAX_WHOLE ? Math.max(0, (last ?? 0) - info.stride) : 0;
  // overlapping windows go on separate lanes of the ruler, so each one's span shows
  const lanes = Math.min(4, Math.max(1, Math.ceil(info.span / info.stride)));
  return { info, padded, last, extent, from, to: extent, lanes };
}

/**
 * Draw the misfit of `geometry` (a /api/geometry answer with `valid` false and both axes) over
 * `xp`, the /api/input answer's padded input as a Tensor (Hp, Wp, D), with `padding` its
 * [top, bottom, left, right] and `maxAbs` its colour scale, under `container` (emptied first).
 * Returns the main canvas; its dataset holds where cell (row0, col0) sits (x0, y0) and the
 * cell size, so a test can find any cell's pixels.
 */
export function drawMisfit(container, geometry, xp, padding, maxAbs) {
  clear(container);
  readColors();
  const [hp, wp, depth] = xp.shape;
  const rows = axisPlan(geometry.height, hp);
  const cols = axisPlan(geometry.width, wp);
  const zoomed = rows.from > 0 || cols.from > 0;
  // the cells past the input's edge (where the next window hangs, or fit="pad" adds zeros)
  // are named apart: "rows 208–226" of a 224-tall input read as rows it has
  const range = (from, to) => (to > from ? `${from}–${to}` : `${from}`);
  const span = (plan) => `${range(plan.from, plan.padded - 1)}${plan.to > plan.padded ? ` (${range(plan.padded, plan.to - 1)} past the edge)` : ""}`;
  const figure = sliceFigure(container, zoomed
    ? `X[:, :, 0], rows ${span(rows)} and columns ${span(cols)}${padding.some((p) => p > 0) ? " of the padded input" : ""}`
    : `X[:, :, 0]${padding.some((p) => p > 0) ? " with its zero padding" : ""}${depth > 1 ? ` (the ${depth} slices share its windows)` : ""}`);
  figure.classList.add("misfit");
  // The words go beside the picture where the panel is wide, under it where it is narrow.
  const body = el("div", "misfit-body");
  const words = el("div", "misfit-words");
  body.append(words);
  figure.append(body);
  // the picture fits the panel: its width (less the words' column, when they fit beside it),
  // and its height where the panel's is bounded (an empty container of a page that grows
  // with its content has none to give)
  const width = container.clientWidth || 420;
  const room = [width >= 640 ? width - 300 : width, container.clientHeight > 200 ? container.clientHeight - 32 : 480];
  const canvas = paint(rows, cols, (r, c) => xp.at(r, c, 0), padding, maxAbs, room);
  canvas.setAttribute("role", "img");
  // the picture's words are the list beside it (notes()), read once, not again as its label
  canvas.setAttribute("aria-label", "The padded input with the windows that fit and the one that does not, described in the list");
  body.prepend(canvas);
  const axes = [geometry.height, geometry.width];
  words.append(key({
    whole: axes.every((a) => a.whole_windows > 0),
    overhang: axes.some((a) => a.overhang_start !== null),
    hatch: axes.some((a) => a.floor_drops > 0 || a.skipped.length > 0),
    added: axes.some((a) => a.pad_adds > 0),
    pad: padding.some((p) => p > 0),
  }), notes(geometry));
  if (zoomed) overview(words, xp, padding, maxAbs, rows, cols);
  // a picture taller than its panel (readable cells win over fitting, in paint) shows its
  // foot, where the window off the edge is; the rows scrolled past are ones that fit
  const below = canvas.getBoundingClientRect().bottom - container.getBoundingClientRect().bottom;
  if (below > 0) container.scrollTop += below + FOOT_GAP;
  return canvas;
}

// px left under a picture scrolled to its foot
const FOOT_GAP = 8;

// px of a cell (grown by large type) whose numbers read from across a room, not just drawn
const READABLE_CELL = 20;

function paint(rows, cols, at, padding, maxAbs, [roomWidth, roomHeight]) {
  const [top, bottom, left, right] = padding;
  const nr = rows.to - rows.from;
  const nc = cols.to - cols.from;
  const x0 = rows.lanes * LANE + 8;
  const y0 = cols.lanes * LANE + 8;
  const across = Math.floor((Math.min(roomWidth, 640) - x0 - 6) / nc);
  const down = Math.floor((Math.min(roomHeight, 560) - y0 - 6) / nr);
  // The height gives way before the numbers do: a picture that fits its panel's height only
  // at unreadable cells (16 px, 8 px digits, in large type at 1280x720 under the formula
  // bar's suggestions) takes the cells its numbers need where the width has them, and the
  // panel scrolls to its legend.
  const readable = Math.min(across, Math.round(READABLE_CELL * typeScale()));
  const cell = Math.max(4, Math.min(32, Math.max(readable, Math.min(across, down))));
  const canvas = document.createElement("canvas");
  canvas.className = "misfit-canvas";
  canvas.width = x0 + nc * cell + 6;
  canvas.height = y0 + nr * cell + 6;
  Object.assign(canvas.dataset, { x0, y0, cell, row0: rows.from, col0: cols.from });
  const ctx = canvas.getContext("2d");
  const x = (c) => x0 + (c - cols.from) * cell;
  const y = (r) => y0 + (r - rows.from) * cell;
  const addedRows = rows.padded + rows.info.pad_adds;
  const addedCols = cols.padded + cols.info.pad_adds;
  // Numbers are written when the longest one shown fits its cell (never under 8 px), all or
  // none, so a cell without a number never reads as an empty one; the added zeros always.
  // Large type (typeScale) grows them as far as the cells allow.
  const grow = typeScale();
  const fontPx = Math.max(8, Math.min(13 * grow, cell * 0.42 * grow));
  const fontFor = (text) => (cell >= 14 ? Math.min(fontPx, (cell - 3) / (text.length * 0.62)) : 0);
  let longest = "";
  for (let r = rows.from; r < Math.min(rows.to, rows.padded); r += 1) {
    for (let c = cols.from; c < Math.min(cols.to, cols.padded); c += 1) {
      const text = short(at(r, c));
      if (text.length > longest.length) longest = text;
    }
  }
  const valueFont = fontFor(longest);
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  // the numbers are written once the hatch is drawn, over it: its lines crossed the digits
  const numbers = [];
  for (let r = rows.from; r < rows.to; r += 1) {
    for (let c = cols.from; c < cols.to; c += 1) {
      const inside = r < rows.padded && c < cols.padded;
      const added = !inside && r < addedRows && c < addedCols;
      if (!inside && !added) continue;
      const value = inside ? at(r, c) : 0;
      const pad = inside && (r < top || r >= rows.padded - bottom || c < left || c >= cols.padded - right);
      const background = added ? COLORS.added : pad ? COLORS.pad : color(value, maxAbs);
      ctx.fillStyle = background;
      ctx.fillRect(x(c), y(r), cell, cell);
      if (cell >= 8) {
        ctx.strokeStyle = COLORS.line;
        ctx.lineWidth = 1;
        ctx.strokeRect(x(c) + 0.5, y(r) + 0.5, cell - 1, cell - 1);
      }
      const text = short(value);
      const font = added ? fontFor(text) : valueFont;
      if (font >= 8) {
        const fill = added ? COLORS.addedInk : pad ? COLORS.padInk : ink(value, maxAbs);
        numbers.push([text, font, fill, background, x(c) + cell / 2, y(r) + cell / 2 + 1]);
      }
    }
  }
  // what no whole window reads: the cells after the last one, and those a stride longer than
  // the window jumps over (the answer's `skipped`, input indices: moved past the padding)
  const between = (plan) => plan.info.skipped.map((i) => i + plan.info.pad_before)
    .filter((p) => p >= plan.from && p < plan.padded - plan.info.floor_drops);
  hatch(ctx, cell, [
    [y(rows.padded - rows.info.floor_drops), y(rows.padded), x(cols.from), x(cols.padded)],
    [y(rows.from), y(rows.padded), x(cols.padded - cols.info.floor_drops), x(cols.padded)],
    ...between(rows).map((r) => [y(r), y(r + 1), x(cols.from), x(cols.padded)]),
    ...between(cols).map((c) => [y(rows.from), y(rows.padded), x(c), x(c + 1)]),
  ]);
  // each number over an outline of its cell's own colour, which clears the hatching's
  // stripes from around its strokes (they crossed the digits, worst in the dark theme)
  ctx.lineJoin = "round";
  for (const [text, font, fill, background, tx, ty] of numbers) {
    ctx.font = `${font}px system-ui, sans-serif`;
    ctx.strokeStyle = background;
    ctx.lineWidth = Math.max(2, font / 4);
    ctx.strokeText(text, tx, ty);
    ctx.fillStyle = fill;
    ctx.fillText(text, tx, ty);
  }
  const field = (r, c) => [x(c), y(r), cols.info.span * cell, rows.info.span * cell];
  if (rows.last !== null && cols.last !== null) {
    ctx.strokeStyle = COLORS.whole;
    ctx.lineWidth = 2;
    ctx.setLineDash([]);
    const [fx, fy, fw, fh] = field(rows.last, cols.last);
    ctx.strokeRect(fx, fy, fw, fh);
  }
  const hangRow = rows.info.overhang_start ?? rows.last;
  const hangCol = cols.info.overhang_start ?? cols.last;
  const hangs = rows.info.overhang_start !== null || cols.info.overhang_start !== null;
  if (hangs && hangRow !== null && hangCol !== null) {
    overhang(ctx, field(hangRow, hangCol), [x(cols.from), y(rows.from), x(cols.padded), y(rows.padded)], cell);
  }
  ruler(ctx, cols, x, (a, b, lane) => [a, 4 + lane * LANE, b - a, LANE - 2], [x(cols.padded), 2, 1, y0 - 4]);
  ruler(ctx, rows, y, (a, b, lane) => [4 + lane * LANE, a, LANE - 2, b - a], [2, y(rows.padded), x0 - 4, 1]);
  return canvas;
}

/** Diagonal lines over each [top, bottom, left, right] box (empty boxes are skipped). */
function hatch(ctx, cell, boxes) {
  ctx.save();
  ctx.beginPath();
  let any = false;
  for (const [t, b, l, r] of boxes) {
    if (b > t && r > l) {
      ctx.rect(l, t, r - l, b - t);
      any = true;
    }
  }
  if (any) {
    ctx.clip();
    const { width, height } = ctx.canvas;
    const gap = Math.max(5, Math.round(cell / 3));
    ctx.strokeStyle = COLORS.hatch;
    ctx.lineWidth = 2;
    ctx.beginPath();
    for (let d = -height; d < width; d += gap) {
      ctx.moveTo(d, height);
      ctx.lineTo(d + height, 0);
    }
    ctx.stroke();
  }
  ctx.restore();
}

/** The window hanging off the edge: solid red inside the padded input, dashed outside, its
 * missing cells tinted and dashed one by one. `inside` is [left, top, right, bottom]. */
function overhang(ctx, [fx, fy, fw, fh], [il, it, ir, ib], cell) {
  ctx.save();
  ctx.beginPath();
  ctx.rect(il, it, ir - il, ib - it);
  ctx.clip();
  ctx.strokeStyle = COLORS.overhang;
  ctx.lineWidth = 3;
  ctx.strokeRect(fx, fy, fw, fh);
  ctx.restore();
  ctx.save();
  ctx.beginPath();
  ctx.rect(0, 0, ctx.canvas.width, ctx.canvas.height);
  ctx.rect(il, it, ir - il, ib - it);
  ctx.clip("evenodd");
  ctx.fillStyle = COLORS.tint;
  ctx.fillRect(fx, fy, fw, fh);
  ctx.strokeStyle = COLORS.overhang;
  ctx.setLineDash([4, 3]);
  ctx.lineWidth = 1;
  for (let cy = fy; cy < fy + fh; cy += cell) {
    for (let cx = fx; cx < fx + fw; cx += cell) ctx.strokeRect(cx + 0.5, cy + 0.5, cell - 1, cell - 1);
  }
  ctx.lineWidth = 3;
  ctx.strokeRect(fx, fy, fw, fh);
  ctx.restore();
}

/** One axis's windows as bars beside the grid: the whole ones grey, the next one red (dashed
 * past the edge), and a tick where the padded input ends. `place(a, b, lane)` makes a bar's
 * rectangle from its start and end pixels. */
function ruler(ctx, plan, pixel, place, edge) {
  const { info, from, to, lanes } = plan;
  ctx.save();
  ctx.fillStyle = COLORS.bar;
  for (let k = 0; k < info.whole_windows; k += 1) {
    const a = k * info.stride;
    if (a + info.span <= from || a >= to) continue;
    ctx.fillRect(...place(pixel(Math.max(a, from)), pixel(Math.min(a + info.span, to)) - 1, k % lanes));
  }
  const start = info.overhang_start;
  if (start !== null) {
    const lane = info.whole_windows % lanes;
    ctx.fillStyle = COLORS.overhang;
    ctx.fillRect(...place(pixel(Math.max(start, from)), pixel(plan.padded), lane));
    ctx.strokeStyle = COLORS.overhang;
    ctx.setLineDash([3, 2]);
    ctx.lineWidth = 1;
    const [bx, by, bw, bh] = place(pixel(plan.padded), pixel(start + info.span) - 1, lane);
    ctx.strokeRect(bx + 0.5, by + 0.5, bw - 1, bh - 1);
  }
  ctx.fillStyle = COLORS.edge;
  ctx.fillRect(...edge);
  ctx.restore();
}

/** The key to what is drawn: the rulers' bars, which every axis draws, then the kinds
 * `shown` marks true, nothing else. */
function key(shown) {
  const list = el("ul", "misfit-key");
  const kinds = [["whole", "last window that fits"], ["overhang", "next window, off the edge"],
    ["hatch", "no whole window reads"], ["added", 'fit="pad" adds zeros'], ["pad", "zero padding"]];
  const drawn = [["bar", "a window's rows (left) and columns (above)"], ...kinds.filter(([name]) => shown[name])];
  for (const [kind, text] of drawn) {
    const item = el("li", "");
    item.append(el("span", `misfit-swatch swatch-${kind}`), el("span", "", text));
    list.append(item);
  }
  return list;
}

/** The misfit in words, per axis, from the answer's figures. */
function describe(geometry) {
  return ["height", "width"].map((axis) => {
    const info = geometry[axis];
    const unit = axis === "height" ? "row" : "column";
    const units = (n) => counted(n, unit);
    if (info.fits) return `${axis}: fits, ${counted(info.whole_windows, "window")}.`;
    const parts = [`${axis}: ${info.arithmetic}, so ${counted(info.whole_windows, "whole window")}`];
    if (info.overhang_start !== null) {
      const which = info.whole_windows ? "the next" : "the first";
      parts.push(`${which} starts at ${unit} ${info.overhang_start} and needs ${units(info.overhang)} past the edge`);
    } else {
      parts.push("the next would start after the input's last cell");
    }
    const jumped = info.skipped_between;
    if (jumped) {
      const why = info.stride > info.span
        ? `the stride, ${info.stride}, is longer than the window's ${info.span}`
        : `dilation ${info.dilation} leaves holes the other windows do not fill`;
      parts.push(`${units(jumped)} before the last whole window's end ${jumped === 1 ? "is" : "are"} read by none: ${why}`);
    }
    if (info.floor_drops) parts.push(`fit="floor" drops ${units(info.floor_drops)}`);
    if (info.pad_adds) parts.push(`fit="pad" adds ${units(info.pad_adds)} of zeros`);
    else if (info.whole_windows) parts.push('fit="pad" adds no zeros: a window starting after the input would read only zeros');
    else parts.push("no fit policy helps: the filter spans more than the padded input");
    return `${parts.join("; ")}.`;
  });
}

function notes(geometry) {
  const list = el("ul", "misfit-notes");
  for (const line of describe(geometry)) list.append(el("li", "", line));
  return list;
}

/** The whole padded input small, the zoomed corner outlined on it. */
function overview(container, xp, padding, maxAbs, rows, cols) {
  const [hp, wp] = xp.shape;
  const [top, bottom, left, right] = padding;
  const figure = sliceFigure(container, "the whole padded input; the box is the corner drawn large");
  const cell = Math.max(1, Math.floor(200 / Math.max(hp, wp)));
  const grid = createGrid(figure, { rows: hp, cols: wp, cell, canvas: true, label: "Whole input, depth slice 0" });
  const isPad = (r, c) => r < top || r >= hp - bottom || c < left || c >= wp - right;
  grid.draw((r, c) => xp.at(r, c, 0), { maxAbs, isPad });
  grid.setField([[rows.from, cols.from], [Math.min(rows.to, hp) - 1, Math.min(cols.to, wp) - 1]]);
}
