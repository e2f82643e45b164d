// The volume grid renderer: the one small interface every panel draws a 2-D slice through.
// DOM cells for small grids (render/grid-dom.js: numbers in cells, hover per cell,
// screen-reader titles); one canvas for large ones (render/grid-canvas.js: AlexNet's 227x227
// input), so nothing freezes. Either can be swapped for something faster without touching
// the panels.
import { el } from "../dom.js";
import { canvasGrid } from "./grid-canvas.js";
import { domGrid } from "./grid-dom.js";

// Above this many cells in a panel, its grids draw on canvas.
export const CANVAS_THRESHOLD = 4000;

/** A figure captioned `caption`, appended to `container`: the frame of one slice's grid. */
export function sliceFigure(container, caption) {
  const figure = el("figure", "slice");
  figure.append(el("figcaption", "", caption));
  container.append(figure);
  return figure;
}

/**
 * A grid of `rows` x `cols` cells under `parent`.
 * options: {label, cell (px), canvas (bool), onCell(type, r, c)} with type enter|leave|click.
 * Returns {el, draw(get, {maxAbs, isPad, title, said}), setField(taps), setMarks(kind, cells), setActive(on),
 * box(r, c), boxes(cells)}: box is where cell (r, c) is on screen now (client px), null when not
 * drawn; boxes answers a list of cells at once.
 */
export function createGrid(parent, options) {
  const grid = options.canvas ? canvasGrid(options) : domGrid(options);
  parent.append(grid.el);
  return grid;
}
