// The output volume: K activation maps that fill in as steps complete, the focused neuron
// marked, and (when an input cell is focused) every neuron that sees that cell. Big outputs
// draw on zoomable canvases sharing one viewport; moving the playhead recolours only the
// neurons between the old and the new step, so playing AlexNet conv1 costs a few cells a frame.
import { createGrid, CANVAS_THRESHOLD } from "./grid.js";
import { createZoomGrid, Viewport, zoomBar } from "./zoom.js";
import { el, fmt } from "../dom.js";
import { positionOf } from "../focus.js";

// Past this many neurons between two playheads, every map is redrawn instead.
const REDRAW_ABOVE = 20000;

/**
 * Build the output panel; `order` numbers the neurons (see focus.js) and `onCell(type, i, j,
 * d)` reports hover/clicks. Returns {update(focus, t, showAll, follow)}.
 */
export function createOutputView(container, model, order, stepOf, onCell) {
  const { out, outMaxAbs } = model;
  const [h2, w2, k] = out.shape;
  const canvas = h2 * w2 * k > CANVAS_THRESHOLD;
  let view = null;
  if (canvas) {
    const side = Math.max(96, Math.min(168, w2 * 3));
    const ratio = h2 / w2;
    view = new Viewport(h2, w2, ratio > 1 ? Math.round(side / ratio) : side, ratio > 1 ? side : Math.round(side * ratio));
    container.append(zoomBar(view, "output maps"));
  }
  const cell = Math.max(18, Math.min(34, Math.floor(200 / w2)));
  const grids = [];
  for (let d = 0; d < k; d += 1) {
    const figure = el("figure", "slice");
    figure.append(el("figcaption", "", `V[:, :, ${d}]`));
    container.append(figure);
    const options = {
      rows: h2, cols: w2, cell, label: `Output activation map ${d}`, view,
      onCell: (type, i, j) => onCell(type, i, j, d),
    };
    grids.push(canvas ? createZoomGrid(figure, options) : createGrid(figure, options));
  }
  let limit = null; // the last step drawn as computed (Infinity: all)
  const getter = (d) => (i, j) => (stepOf(i, j, d) <= limit ? out.at(i, j, d) : null);
  const title = (d) => (i, j, v) => `V[${i},${j},${d}] = ${v === null ? "not yet computed" : fmt(v)}`;
  const redraw = () => grids.forEach((grid, d) => grid.draw(getter(d), { maxAbs: outMaxAbs, title: title(d) }));
  let marked = { current: [], seen: [] };
  return {
    update(focus, t, showAll, follow = false) {
      const next = showAll ? Infinity : t;
      if (limit !== next) {
        const before = limit;
        limit = next;
        const small = canvas && before !== null && Number.isFinite(before) && Number.isFinite(next)
          && Math.abs(next - before) <= REDRAW_ABOVE;
        if (small) {
          // only the neurons between the two playheads change colour
          const byMap = new Map();
          for (let s = Math.min(before, next) + 1; s <= Math.max(before, next); s += 1) {
            const p = positionOf(out.shape, order, s);
            if (!byMap.has(p.d)) byMap.set(p.d, []);
            byMap.get(p.d).push([p.i, p.j]);
          }
          for (const [d, cells] of byMap) grids[d].setCells(cells, getter(d));
        } else {
          redraw();
        }
      }
      const p = focus.position;
      if (view && follow && p) view.follow(p.i, p.j, p.i, p.j);
      const seen = focus.seen ? focus.seen.map(([i, j]) => [i, j]) : [];
      const current = p ? [p.d] : [];
      // touch only the maps whose marks change: with 96 maps that is most of a frame's work
      const touched = new Set([...marked.current, ...current, ...(seen.length || marked.seen.length ? grids.keys() : [])]);
      for (const d of touched) {
        const grid = grids[d];
        grid.setMarks("current", p && p.d === d ? [[p.i, p.j]] : []);
        grid.setMarks("seen", seen);
        grid.setActive(Boolean(p && p.d === d));
      }
      marked = { current, seen };
    },
  };
}
