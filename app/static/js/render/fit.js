// Sizing the picture to its panel: the panels share one screen, so each view asks how big its
// cells can be for its slices to fill the room it has, and keeps the slice that matters (the
// active filter, the current neuron's map) in view by scrolling its own panel, never the page.

import { typeScale } from "./colors.js";

export const GAP = 6; // px between slices (the grids' CSS gap, 0.4rem, rounded down)
export const CAPTION = 16; // px of a slice's caption line
export const PAIR_GAP = 6; // px between a slice and its gradient under it (css/convscope.css .map-pair)

/**
 * The room a panel body offers: its box, or (a phone, where panels grow with their content
 * and the page scrolls) the window's width and most of its height. On one screen (the
 * panels' grid) a short body is all the room there is, however short: the weight gradient,
 * half the filters column in backward mode, gets little more than 100 px on a laptop.
 */
export function roomOf(container) {
  const width = container.clientWidth || Math.min(window.innerWidth - 24, 420);
  const tall = container.clientHeight >= 120 || (onOneScreen(container) && container.clientHeight > 0);
  const height = tall ? container.clientHeight : Math.round(window.innerHeight * 0.6);
  return { width, height };
}

/** Whether `container`'s panel is one of the panels sharing one screen (their grid), not a
 * phone's column that the page scrolls. */
export function onOneScreen(container) {
  const panels = container.closest("#volumes");
  return panels !== null && getComputedStyle(panels).display === "grid";
}

/**
 * On a phone, the px of height `container` (a panel body) has before its panel reaches the
 * height css/phone.css caps it at and the body scrolls: the cap less what else the panel
 * holds. Infinity on one screen (the grid gives the body its room) or in an uncapped panel.
 */
export function heightUnderCap(container) {
  const panel = container.closest(".panel");
  if (!panel || onOneScreen(container)) return Infinity;
  const style = getComputedStyle(panel);
  const cap = parseFloat(style.maxHeight);
  if (!Number.isFinite(cap)) return Infinity;
  const padding = parseFloat(style.paddingTop) + parseFloat(style.paddingBottom);
  const border = parseFloat(style.borderTopWidth) + parseFloat(style.borderBottomWidth);
  const content = style.boxSizing === "border-box" ? cap - padding - border : cap;
  const others = panel.clientHeight - padding - container.offsetHeight;
  return Math.max(0, content - others);
}

/**
 * The room a panel body offers DOM grids, in the px their `cell` option is given in: a DOM
 * grid multiplies its cells by large type's scale (render/grid-dom.js), so cells fitted to this
 * room fill the panel once grown, instead of overflowing it by that factor.
 */
export function gridRoom(container) {
  const { width, height } = roomOf(container);
  const scale = typeScale();
  return { width: width / scale, height: height / scale };
}

/**
 * The least cell (px, before large type grows it) of the grids a hall reads in large type:
 * 24, 34 px on screen (their panels scroll for the rest); 0 in normal type.
 */
export function projectedCell() {
  return typeScale() > 1 ? PROJECTED : 0;
}

const PROJECTED = 24;

/**
 * The smallest cell (px, as a grid's `cell` option) whose numbers can be read: 18 px on
 * screen. A DOM grid grows its cells by large type's scale, so fewer px before it grows; a
 * canvas (`canvas` true) draws its cells as given.
 */
export function numbersCell(canvas = false) {
  return canvas ? 18 : Math.ceil(18 / typeScale());
}

/**
 * The px of height `count` slices of `rows` x `cols` cells take at `cell` px, wrapped into
 * rows of slices across `width` px (Infinity when one is wider). `border` is the px of the
 * lines between a grid's cells, `frame` of the line around it (a canvas grid has the frame
 * alone); a caption wider than its grid (`captionWidth` px on one line) wraps to a second line.
 */
export function slicesHeight(count, rows, cols, width, cell, { border = 1, frame = border, caption = CAPTION, captionWidth = 0 } = {}) {
  const wide = cols * (cell + border) - border + 2 * frame;
  const tall = rows * (cell + border) - border + 2 * frame + (wide < captionWidth ? 2 * caption : caption);
  const across = Math.floor((width + GAP) / (wide + GAP));
  if (across < 1) return Infinity;
  return Math.ceil(count / across) * (tall + GAP) - GAP;
}

/**
 * The largest cell size (px, from `max` down to `min`) at which `count` slices of `rows` x
 * `cols` cells, wrapped into rows of slices, fit `room` ({width, height}); `min` when none
 * does (the panel then scrolls). Options as slicesHeight's.
 */
export function fitCell(count, rows, cols, room, { min, max, border = 1, caption = CAPTION, captionWidth = 0 }) {
  for (let cell = max; cell > min; cell -= 1) {
    if (slicesHeight(count, rows, cols, room.width, cell, { border, caption, captionWidth }) <= room.height) return cell;
  }
  return min;
}

/**
 * The cell of `count` DOM slices (`rows` x `cols`) that do not all fit `room` at the `least`
 * px their numbers need: the largest, up to `max`, at which as many WHOLE slices fit as at
 * `least` (the panel scrolls for the rest either way, so the slices it shows get the room: on
 * a projector in large type they were kept at the least, with room to spare); a slice wider
 * than the panel at `least` shrinks to its width.
 */
export function wholeSlicesCell(count, rows, cols, room, { least, max, caption = CAPTION }) {
  for (let shown = count - 1; shown >= 1; shown -= 1) {
    const cell = fitCell(shown, rows, cols, room, { min: least - 1, max, caption });
    if (cell >= least) return cell;
  }
  return widthCell(cols, room, least);
}

/** The cell of a slice `cols` wide that cannot fit `room` at `least` px: as wide as the room
 * allows (never under 6 px), so the slice keeps to the panel's width. */
export function widthCell(cols, room, least) {
  return Math.max(6, Math.min(least, Math.floor((room.width - 1) / cols) - 1));
}

/**
 * The largest square-ish side (px) of `count` canvases of aspect `ratio` (height / width),
 * each under a `bar` px tall row of buttons shared by all, that fit `room` wrapped; between
 * `min` and `max`.
 */
export function fitSide(count, ratio, room, { min, max, bar = 0, lines = 1 }) {
  let best = min;
  for (let across = 1; across <= count; across += 1) {
    const down = Math.ceil(count / across);
    // each canvas has a 1 px border on every side; `lines` canvases a column (a slice and
    // its gradient under it, PAIR_GAP apart), each under its caption
    const byWidth = (room.width - GAP * (across - 1)) / across - 2;
    const each = lines * (CAPTION + 2) + (lines - 1) * PAIR_GAP + GAP;
    const byHeight = ((room.height - bar - down * each) / down) / ratio;
    best = Math.max(best, Math.min(byWidth, byHeight));
  }
  return Math.floor(Math.max(min, Math.min(max, best)));
}

// px keepInView leaves above a node it scrolls to
export const IN_VIEW_GAP = 4;

/**
 * Scroll `scroller` (a panel body) so `node` is inside it, at its top when it has to move (the
 * slice's caption first); the page itself never scrolls for this. Cheap when it is already
 * in view: one measure of each.
 */
export function keepInView(scroller, node) {
  if (!scroller || !node) return;
  const outer = scroller.getBoundingClientRect();
  const inner = node.getBoundingClientRect();
  if (inner.top < outer.top || inner.bottom > outer.bottom) {
    // below a sticky zoom bar, if the panel has one
    const bar = scroller.querySelector(":scope > .zoom-bar")?.offsetHeight ?? 0;
    scroller.scrollTop = Math.max(0, inner.top - outer.top + scroller.scrollTop - bar - IN_VIEW_GAP);
  }
  if (inner.left < outer.left || inner.right > outer.right) {
    scroller.scrollLeft = Math.max(0, inner.left - outer.left + scroller.scrollLeft - 8);
  }
}

/**
 * Call `relayout()` when the panels' room changes (a window resized, a phone turned, an
 * explanation hidden: explanations.js sends a resize, the picture in or out of fullscreen),
 * once it has settled: their width, and their bodies' heights where the screen holds them (on
 * a phone the page scrolls, and a height change there is the address bar's).
 */
export function onRoomChange(relayout) {
  const panels = document.querySelector("#volumes");
  const bodies = [...panels.querySelectorAll(".panel-body")];
  const key = () => {
    const grid = getComputedStyle(panels).display === "grid";
    const heights = grid ? bodies.map((body) => Math.round(body.clientHeight / 8)).join(":") : "";
    return `${panels.clientWidth}x${heights}`;
  };
  let last = key();
  let timer = 0;
  const settled = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const now = key();
      if (now === last) return;
      last = now;
      relayout();
    }, 200);
  };
  window.addEventListener("resize", settled);
  // fullscreen folds the controls away (css/embed.css): the panels grow with no resize where
  // the window already filled the screen (a projector's browser in F11 or a kiosk)
  document.addEventListener("fullscreenchange", settled);
}
