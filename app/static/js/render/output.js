// The output volume: K activation maps that fill in as steps complete, the focused neuron
// marked, and (when an input cell is focused) every neuron that sees that cell.
import { createGrid } from "./grid.js";
import { fmt } from "../dom.js";

/**
 * Build the output panel; `stepOf(i, j, d)` numbers neurons in the current order and
 * `onCell(type, i, j, d)` reports hover/clicks. Returns {update(focus, t, showAll)}.
 */
export function createOutputView(container, model, stepOf, onCell) {
  const { out, outMaxAbs } = model;
  const [h2, w2, k] = out.shape;
  const canvas = h2 * w2 * k > 4000;
  const cell = canvas ? Math.max(1, Math.min(4, Math.floor(160 / w2))) : Math.max(18, Math.min(34, Math.floor(200 / w2)));
  const grids = [];
  for (let d = 0; d < k; d += 1) {
    const figure = document.createElement("figure");
    figure.className = "slice";
    const caption = document.createElement("figcaption");
    caption.textContent = `V[:, :, ${d}]`;
    figure.append(caption);
    container.append(figure);
    grids.push(createGrid(figure, {
      rows: h2, cols: w2, cell, canvas,
      label: `Output activation map ${d}`,
      onCell: (type, i, j) => onCell(type, i, j, d),
    }));
  }
  let drawn = null;
  return {
    update(focus, t, showAll) {
      const key = showAll ? "all" : String(t);
      if (drawn !== key) {
        grids.forEach((grid, d) => grid.draw(
          (i, j) => (showAll || stepOf(i, j, d) <= t ? out.at(i, j, d) : null),
          { maxAbs: outMaxAbs, title: (i, j, v) => `V[${i},${j},${d}] = ${v === null ? "not yet computed" : fmt(v)}` },
        ));
        drawn = key;
      }
      const p = focus.position;
      grids.forEach((grid, d) => {
        grid.setMarks("current", p && p.d === d ? [[p.i, p.j]] : []);
        grid.setMarks("seen", focus.seen ? focus.seen.map(([i, j]) => [i, j]) : []);
        grid.setActive(Boolean(p && p.d === d));
      });
    },
  };
}
