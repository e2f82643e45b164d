// Linking between the panels: hovering a cell shows its neuron, clicking pins it (or opens the
// cell's number for editing). Hover, pin and playhead all end in the page's one focus path.
import { editedSlice, startEdit } from "./controls.js";
import { fmt, full } from "./dom.js";

/**
 * What hovering padded-input cell (r, c) of depth slice `d` of `model` shows (a flat grid's
 * title, the 3-D view's readout): its name in X and in the padded Xp, and its value.
 */
export function inputCellText({ xp, pads, isPad }, r, c, d) {
  return isPad(r, c) ? `zero padding Xp[${r},${c},${d}] = 0`
    : `X[${r - pads.top},${c - pads.left},${d}] = ${fmt(xp.at(r, c, d))} (Xp[${r},${c},${d}])`;
}

/** A cell of the input's gradient (backward mode), at padded-input cell (r, c). */
export function inputGradientText({ dx, pads, isPad }, r, c, d) {
  return isPad(r, c) ? `zero padding Xp[${r},${c},${d}]: no gradient kept`
    : `dX[${r - pads.top},${c - pads.left},${d}] = ${fmt(dx.at(r - pads.top, c - pads.left, d))}`;
}

/** What hovering output neuron (i, j, d) shows: its value once `computed`. */
export function outputCellText({ out }, i, j, d, computed) {
  return `V[${i},${j},${d}] = ${computed ? fmt(out.at(i, j, d)) : "not yet computed"}`;
}

/** A cell of the upstream gradient (backward mode): its name, value, whether the ReLU shuts
 * it (its neuron's pre-activation not positive: it adds nothing), and the bias gradient it
 * goes into: its map's db[d], or a locally connected neuron's own db[i,j,d]. */
export function upstreamCellText({ upstream, db, conn, pre, shut }, i, j, d) {
  const into = conn === "local" ? `db[${i},${j},${d}] = ${fmt(db.at(i, j, d))}`
    : `the map's db[${d}] = ${fmt(db.at(d))}`; // its map's sum, not this cell's: one db per filter
  const gate = shut(i, j, d) ? `the ReLU shuts it: pre ${fmt(pre.at(i, j, d))} ≤ 0; ` : "";
  return `dV[${i},${j},${d}] = ${fmt(upstream.at(i, j, d))} (${gate}${into})`;
}

/**
 * What a screen reader hears of the neuron (i, j, d) in focus on a canvas or a block, which
 * have no cells to read: its name and value in full (dom.js full, as a flat cell too small
 * for its number says it).
 */
export const neuronSaid = ({ out }, { i, j, d }) => `V[${i},${j},${d}] = ${full(out.at(i, j, d))}`;

/** The receptive field's rows and columns (the padded input's, in order), as a canvas or a
 * block says it: "rows 5-11, every 3rd" where a dilated filter skips the rows between (it said
 * "rows 5-11", cells the filter never reads among them). */
export const fieldSaid = (rows, cols) => `receptive field rows ${runSaid(rows)}, columns ${runSaid(cols)} of the padded input`;

const runSaid = (run) => {
  const [first, last] = [run[0], run.at(-1)];
  const every = run.length > 1 ? run[1] - first : 1;
  return `${first}-${last}${every > 1 ? `, every ${ordinal(every)}` : ""}`;
};

const ordinal = (n) => {
  const tens = n % 100 >= 11 && n % 100 <= 13;
  return `${n}${tens ? "th" : ({ 1: "st", 2: "nd", 3: "rd" })[n % 10] ?? "th"}`;
};

/** The same of padded-input cell (r, c) on depth slice `d` (a pinned input cell). */
export const inputCellSaid = ({ xp, pads }, r, c, d) =>
  `X[${r - pads.top},${c - pads.left},${d}] = ${full(xp.at(r, c, d))}`;

/**
 * The views' cell handlers. `app` is the page's app object (state, model, hover, tap, weight);
 * `render` redraws, `pinning` pins (pinning.js), `currentFocus` answers the focus being shown.
 */
export function createLinking({ app, render, pinning, currentFocus }) {
  function setHover(target) {
    app.hover = target;
    render();
  }

  function onOutputCell(type, i, j, d) {
    if (type === "enter") setHover({ kind: "output", i, j, d });
    else if (type === "leave") setHover(null);
    else pinning.toggle({ kind: "output", i, j, d });
  }

  function onInputCell(type, r, c, d) {
    const { pads, xp, isPad } = app.model;
    const row = r - pads.top;
    const col = c - pads.left;
    if (type === "leave" || isPad(r, c)) return setHover(null);
    if (type === "enter") return setHover({ kind: "input", row, col });
    // the pinned cell clicked in another depth slice: the edit moves to that slice, the pin
    // stays (a second click on the same slice lets it go)
    const slice = editedSlice(row, col);
    const elsewhere = app.state.pin === `x${row}.${col}` && slice !== null && slice !== d;
    if (!elsewhere) pinning.toggle({ kind: "input", row, col });
    // A click pins, as X does, and readies the edit without opening it: the drawer would
    // cover the output, where the cell's readers are marked (on a phone, the whole screen).
    // The arithmetic's "Edit X[row,col,:]" (or More settings) opens it at this cell.
    startEdit(`X[${row},${col},${d}]`, fmt(xp.at(r, c, d)), { open: false });
  }

  // Hovering a weight shows every input cell it multiplied so far (focus.weight); the
  // neuron in focus stays the same.
  function onFilterCell(type, k, r, c, ch) {
    if (type !== "click") {
      const before = app.weight;
      app.weight = type === "enter" ? { k, r, c, ch } : null;
      if (before !== app.weight) render();
      return;
    }
    const focus = currentFocus();
    const p = focus.position ?? { i: 0, j: 0 };
    const name = app.model.conn === "local" ? `W[${p.i},${p.j},${k}][${r},${c},${ch}]` : `W${k}[${r},${c},${ch}]`;
    startEdit(name, fmt(app.model.weightAt(p.i, p.j, k, r, c, ch)));
  }

  // A product shows its input and weight while hovered, and from a click or a tap too: a
  // finger has no hover, and a tap (a click) cleared it, so a phone never showed one.
  function onTap(type, r, c, ch) {
    app.tap = type === "leave" ? null : { r, c, ch };
    render();
  }

  return { onInputCell, onOutputCell, onFilterCell, onTap };
}
