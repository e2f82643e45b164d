// The view shared by a panel's zoomable grids: the scale (CSS px per cell) and the cell at the
// top-left corner, clamped so the grid never leaves the view, and the zoom buttons that move it.
// All grids of a panel draw through one Viewport, so zooming the input zooms every depth slice alike.
import { el } from "../dom.js";
import { NUMBERS_FROM } from "./numbers.js";

const MAX_SCALE = 64;
// px across under which a mark or a field gets a ring of this size around it (render/zoom.js):
// AlexNet's current neuron is a 3 px outline on its whole 55x55 map, its field 7 px on the
// 227x227 input
export const LOCATOR = 16;
// A view's least and most CSS height: a strip one row deep and 4,096 wide fitted to a panel's
// width was a canvas 0 px tall (a blank picture, zoom stuck at 0 px a cell), and a column
// 2,000 deep a canvas 80,000 px tall, past what a browser draws (65,535 device px a side).
const LEAST_VIEW = 40;
const MOST_VIEW = 8192;

/** A view's CSS height for a grid drawn `px` tall at its fitted size, kept to what a canvas
 * can show and a person can zoom into. */
export const viewHeight = (px) => Math.min(MOST_VIEW, Math.max(LEAST_VIEW, Math.round(px)));
// CSS px kept clear around the whole grid at its fitting scale: the marks drawn around an
// edge cell sit partly outside it, and were cut by the view's edge. A cell's outline needs
// a few px; where cells are smaller than LOCATOR, its ring and 2 px halo reach LOCATOR / 2 + 2
// past the cell's centre.
const FIT_INSET = 3;
const RING_INSET = LOCATOR / 2 + 2;

/** Scale (CSS px per cell) and the cell at the top-left corner, shared by a panel's grids. */
export class Viewport {
  constructor(rows, cols, width, height) {
    Object.assign(this, { rows, cols, width, height });
    this.listeners = new Set();
    this.fit();
  }

  get fitScale() {
    const whole = Math.min(this.width / this.cols, this.height / this.rows);
    const inset = whole < LOCATOR ? RING_INSET : FIT_INSET;
    // never more than a quarter of a side: a strip of one row 4,096 wide is a canvas a few px
    // tall, and the whole inset took its height below 0 (-20 px a cell, zoom stuck)
    const fit = (px, cells) => (px - 2 * Math.min(inset, px / 4)) / cells;
    return Math.min(fit(this.width, this.cols), fit(this.height, this.rows));
  }

  /** How far in from the whole grid (1: the whole grid in view). */
  get factor() {
    return this.scale / this.fitScale;
  }

  /** The whole grid in view. */
  fit() {
    this.set(this.fitScale, 0, 0);
  }

  /** Set scale and corner, clamped so the grid never leaves the view. */
  set(scale, x, y) {
    this.scale = Math.max(this.fitScale, Math.min(MAX_SCALE, scale));
    const clampAxis = (v, cells, px) => {
      const visible = px / this.scale;
      return visible >= cells ? (cells - visible) / 2 : Math.max(0, Math.min(cells - visible, v));
    };
    this.x = clampAxis(x, this.cols, this.width);
    this.y = clampAxis(y, this.rows, this.height);
    for (const listener of this.listeners) listener();
  }

  /** Zoom by `factor` keeping the cell under CSS point (px, py) where it is. */
  zoomAt(factor, px = this.width / 2, py = this.height / 2) {
    const cx = this.x + px / this.scale;
    const cy = this.y + py / this.scale;
    const scale = Math.max(this.fitScale, Math.min(MAX_SCALE, this.scale * factor));
    this.set(scale, cx - px / scale, cy - py / scale);
  }

  /**
   * Zoom by `factor` about the centre, then bring back into view the region it last followed
   * (the field or neuron): zoomed about its centre, a paused view showed empty cells and lost
   * it off screen. The zoom buttons' and keys' zoom.
   */
  zoomKeeping(factor) {
    this.zoomAt(factor);
    if (this.anchor) this.follow(...this.anchor);
  }

  panBy(dx, dy) {
    this.set(this.scale, this.x - dx / this.scale, this.y - dy / this.scale);
  }

  /** The cell [r, c] under CSS point (px, py), or null outside the grid. */
  cellAt(px, py) {
    const r = Math.floor(this.y + py / this.scale);
    const c = Math.floor(this.x + px / this.scale);
    return r >= 0 && r < this.rows && c >= 0 && c < this.cols ? [r, c] : null;
  }

  /**
   * When zoomed in, bring rows r0..r1, columns c0..c1 into view (centred) if they are not;
   * they stay the region a zoom button keeps in view.
   */
  follow(r0, c0, r1, c1) {
    this.anchor = [r0, c0, r1, c1];
    const inside = r0 >= this.y && c0 >= this.x
      && r1 + 1 <= this.y + this.height / this.scale && c1 + 1 <= this.x + this.width / this.scale;
    if (inside || this.scale <= this.fitScale) return;
    this.set(this.scale, (c0 + c1 + 1) / 2 - this.width / this.scale / 2,
      (r0 + r1 + 1) / 2 - this.height / this.scale / 2);
  }

  onChange(listener) {
    this.listeners.add(listener);
  }
}

/** Zoom buttons (in, out, fit) for `view`, labelled for `what` ("input", "output maps"). */
export function zoomBar(view, what) {
  const bar = el("div", "zoom-bar");
  bar.setAttribute("role", "group");
  bar.setAttribute("aria-label", `Zoom ${what}`);
  const button = (text, label, action) => {
    const b = el("button", "zoom-button", text);
    b.type = "button";
    b.setAttribute("aria-label", label);
    b.title = label;
    b.addEventListener("click", action);
    bar.append(b);
    return b;
  };
  button("+", `Zoom in on the ${what}`, () => view.zoomKeeping(2));
  button("−", `Zoom out of the ${what}`, () => view.zoomKeeping(0.5));
  button("Fit", `Fit the whole ${what}`, () => view.fit());
  const level = el("span", "zoom-level");
  bar.append(level);
  const show = () => {
    level.textContent = `${view.scale >= 10 ? Math.round(view.scale) : view.scale.toFixed(1)} px per cell`
      + (view.scale >= NUMBERS_FROM ? ", numbers shown" : "");
  };
  view.onChange(show);
  show();
  return bar;
}
