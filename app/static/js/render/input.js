// The input volume: every depth slice of the padded input as a grid, padding drawn distinctly,
// the focused receptive field outlined on every slice at once (local in space, full in depth).
import { createGrid } from "./grid.js";
import { fmt } from "../dom.js";

/**
 * Build the input panel for `model` under `container`; `onCell(type, r, c, d)` reports hover
 * and clicks in padded coordinates. Returns {update(focus)}.
 */
export function createInputView(container, model, onCell) {
  const { xp, pads, maxAbs } = model;
  const [hp, wp, depth] = xp.shape;
  const canvas = hp * wp * depth > 4000;
  const room = container.clientWidth || 420;
  const cell = canvas ? Math.max(1, Math.min(4, Math.floor(room / wp))) : Math.max(16, Math.min(34, Math.floor(260 / wp)));
  const isPad = (r, c) => r < pads.top || r >= hp - pads.bottom || c < pads.left || c >= wp - pads.right;
  const grids = [];
  for (let d = 0; d < depth; d += 1) {
    const figure = document.createElement("figure");
    figure.className = "slice";
    const caption = document.createElement("figcaption");
    caption.textContent = `X[:, :, ${d}]`;
    figure.append(caption);
    container.append(figure);
    const grid = createGrid(figure, {
      rows: hp, cols: wp, cell, canvas,
      label: `Input depth slice ${d}`,
      onCell: (type, r, c) => onCell(type, r, c, d),
    });
    grid.draw((r, c) => xp.at(r, c, d), {
      maxAbs, isPad,
      title: (r, c, v) => (isPad(r, c) ? `zero padding Xp[${r},${c},${d}] = 0`
        : `X[${r - pads.top},${c - pads.left},${d}] = ${fmt(v)} (Xp[${r},${c},${d}])`),
    });
    grids.push(grid);
  }
  return {
    update(focus) {
      grids.forEach((grid, d) => {
        grid.setField(focus.step ? focus.step.taps : null);
        grid.setMarks("pinned", focus.inputCell ? [focus.inputCell] : []);
        const pair = focus.pair && focus.pair.channel === d ? [focus.pair.input] : [];
        grid.setMarks("pair", pair);
      });
    },
  };
}
