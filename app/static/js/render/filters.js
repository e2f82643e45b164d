// The filters: K rows of D slices plus a bias, the focused neuron's filter highlighted. In a
// locally connected layer every position has its own weights, so the panel shows the focused
// position's set and redraws as the field moves.
import { createGrid } from "./grid.js";
import { el, fmt } from "../dom.js";

/** Build the filters panel; `onCell(type, k, r, c, ch)`. Returns {update(focus)}. */
export function createFiltersView(container, model, onCell) {
  const { filters, bias, conn, wMaxAbs } = model;
  const local = conn === "local";
  const [k, fh, fw, depth] = filters.shape.slice(local ? 2 : 0);
  const canvas = k * fh * fw * depth > 4000;
  const cell = canvas ? Math.max(2, Math.min(6, Math.floor(60 / fw))) : Math.max(16, Math.min(30, Math.floor(120 / fw)));
  const rows = [];
  for (let f = 0; f < k; f += 1) {
    const row = el("div", "filter");
    row.setAttribute("role", "group");
    row.setAttribute("aria-label", `Filter ${f}`);
    const name = el("span", "filter-name", `W${f}`);
    row.append(name);
    const grids = [];
    for (let ch = 0; ch < depth; ch += 1) {
      grids.push(createGrid(row, {
        rows: fh, cols: fw, cell, canvas,
        label: `Filter ${f} depth slice ${ch}`,
        onCell: (type, r, c) => onCell(type, f, r, c, ch),
      }));
    }
    const biasText = el("span", "bias");
    row.append(biasText);
    container.append(row);
    rows.push({ row, name, grids, biasText });
  }
  let drawnAt = null;
  const draw = (i, j) => {
    const w = local ? filters.slice(i, j) : filters;
    const b = local ? bias.slice(i, j) : bias;
    rows.forEach(({ name, grids, biasText }, f) => {
      name.textContent = local ? `W[${i},${j},${f}]` : `W${f}`;
      grids.forEach((grid, ch) => grid.draw((r, c) => w.at(f, r, c, ch), {
        maxAbs: wMaxAbs,
        title: (r, c, v) => `${local ? `W[${i},${j},${f}]` : `W${f}`}[${r},${c},${ch}] = ${fmt(v)}`,
      }));
      biasText.textContent = `${local ? `b[${i},${j},${f}]` : `b${f}`} = ${fmt(b.at(f))}`;
    });
  };
  if (!local) draw(0, 0);
  return {
    update(focus) {
      const at = focus.position ?? { i: 0, j: 0, d: -1 };
      if (local && drawnAt !== `${at.i},${at.j}`) {
        draw(at.i, at.j);
        drawnAt = `${at.i},${at.j}`;
      }
      rows.forEach(({ row, grids }, f) => {
        const active = f === at.d;
        row.classList.toggle("active", active);
        row.setAttribute("aria-current", active ? "true" : "false");
        grids.forEach((grid, ch) => {
          grid.setActive(active);
          const pair = active && focus.pair && focus.pair.channel === ch ? [focus.pair.tap] : [];
          grid.setMarks("pair", pair);
        });
      });
    },
  };
}
