// The panels beside a misfit's input picture: a layer that does not fit still has its filters
// (shared filters need no output size), and the arithmetic and output panels say what is
// missing instead of going blank: the window that hangs off the edge, with the cells it would
// read that are not there, and why there is no output volume (whole neurons only). Every
// figure comes from the geometry answer and /api/input; the page works out no size.
import { tensor } from "../api.js";
import { clear, counted, el, equalsText, exactText } from "../dom.js";
import { editedCells } from "../model.js";
import { maxAbsOf } from "./colors.js";
import { createFiltersView } from "./filters.js";

/**
 * The window the input picture outlines in red, per axis, from `geometry`'s figures: on an
 * axis that hangs, the next window after the whole ones; on one that fits, its last whole
 * window (as the picture draws it). Each axis is {index, start, stop (exclusive), step (the
 * dilation), padded (the padded input's size), missing (cells past the edge)}; null when no
 * window hangs (the next one would start after the input's last cell).
 */
function hangingWindow(geometry) {
  const axis = (info) => {
    const hangs = info.overhang_start !== null;
    if (!hangs && info.whole_windows === 0) return null;
    const index = hangs ? info.whole_windows : info.whole_windows - 1;
    const start = hangs ? info.overhang_start : index * info.stride;
    return { index, start, stop: start + info.span, step: info.dilation, padded: info.padded_size, missing: hangs ? info.overhang : 0 };
  };
  const rows = axis(geometry.height);
  const cols = axis(geometry.width);
  return rows && cols && (rows.missing || cols.missing) ? { rows, cols } : null;
}

/** `a–b` for one cell or a run of them (`a` alone when they are the same). */
const run = (a, b) => (a === b ? `${a}` : `${a}–${b}`);
const slice = ({ start, stop, step }) => `${start}:${stop}${step > 1 ? `:${step}` : ""}`;
/** How many of a window's taps `start, start+step, ... < stop` lie before `end`. */
const tapsBefore = ({ start, stop, step }, end) => {
  let n = 0;
  for (let at = start; at < Math.min(stop, end); at += step) n += 1;
  return n;
};

/**
 * Draw the filters of a misfit into `container` from the /api/input answer (`filters` and
 * `bias` null when locally connected), the weights and biases its spec's `edits` set marked;
 * `shape` is the #filters-shape node. Returns the view or null.
 */
export function drawMisfitFilters(container, shape, answer, edits) {
  clear(container);
  if (!answer.filters) {
    shape.textContent = "";
    container.append(el("p", "misfit-empty", "Locally connected: every output position has its own"
      + " filters, and this layer has no positions until it fits."));
    return null;
  }
  const filters = tensor(answer.filters);
  const model = {
    filters, bias: tensor(answer.bias), conn: "shared", wMaxAbs: maxAbsOf(filters.data), edited: editedCells(edits),
  };
  const [k, ...each] = filters.shape;
  shape.textContent = `${k} x ${each.join("x")}`;
  const view = createFiltersView(container, model, () => {});
  view.update({ position: null });
  return view;
}

/**
 * The arithmetic panel of a misfit, into `container`: the hanging window's rows and columns
 * and the cells it misses, the NumPy slice that comes out short, and that no step exists
 * until a suggestion (the formula strip's buttons; `onSuggestions()` takes the reader there)
 * makes it fit. `depth` is the padded input's depth.
 */
export function drawMisfitArithmetic(container, geometry, depth, onSuggestions) {
  clear(container);
  const box = el("div", "misfit-arithmetic");
  box.id = "misfit-arithmetic";
  const hang = hangingWindow(geometry);
  const h = geometry.height;
  const w = geometry.width;
  if (hang) {
    const { rows, cols } = hang;
    box.append(el("h3", "", `No step: the ${tooWide(geometry) ? "first" : "next"} window hangs off the edge`));
    const missing = [];
    if (rows.missing) missing.push(`row${rows.missing > 1 ? "s" : ""} ${run(rows.padded, rows.stop - 1)}`);
    if (cols.missing) missing.push(`column${cols.missing > 1 ? "s" : ""} ${run(cols.padded, cols.stop - 1)}`);
    const gone = `${missing.join(" and ")} ${rows.missing + cols.missing > 1 ? "are" : "is"} not there`;
    const read = (what, { start, stop }) => `${what}${start === stop - 1 ? "" : "s"} ${run(start, stop - 1)}`;
    box.append(el("p", "", `V[${rows.index},${cols.index},:] would read ${read("row", rows)}`
      + ` and ${read("column", cols)} of the ${rows.padded}x${cols.padded}x${depth}`
      + `${rows.padded === h.size && cols.padded === w.size ? "" : " padded"} input:`
      + ` ${gone} (dashed red on the input).`));
    const got = [tapsBefore(rows, rows.padded), tapsBefore(cols, cols.padded), depth];
    const want = [h.filter_size, w.filter_size, depth];
    const code = el("p", "numpy");
    // the padded input is Xp, as in the arithmetic panel; with no padding it is X itself
    const letter = rows.padded === h.size && cols.padded === w.size ? "X" : "Xp";
    code.append(el("code", "", `${letter}[${slice(rows)}, ${slice(cols)}, :]  # ${got.join("x")}, but W0 is ${want.join("x")}`));
    box.append(code);
  } else if ([h, w].some((axis) => axis.skipped.length > 0)) {
    box.append(el("h3", "", "No step: the windows leave cells unseen"));
    const jumps = [h, w].some((axis) => axis.skipped_between > 0);
    box.append(el("p", "", "The last whole window ends before the padded input does, and the next one"
      + ` would start after the input's last cell${jumps ? ", and some cells between the windows are read by none of them" : ""}:`
      + " the hatched cells are read by no neuron."));
  } else {
    // every input cell is read: what no window reaches is padding after the input
    box.append(el("h3", "", "No step: the windows stop short of the padding's end"));
    box.append(el("p", "", "Every input cell is read, but the last whole window ends before the padded"
      + " input does, and the next one would start after the input's last cell: the hatched cells"
      + " are padding no neuron reads."));
  }
  const fix = el("p", "misfit-fix");
  const button = el("button", "misfit-fix-button", geometry.suggestions.length ? "Show the suggestions" : "Show why");
  button.type = "button";
  button.addEventListener("click", onSuggestions);
  const rule = tooWide(geometry) ? "A layer needs one whole window or more along each axis" : "A layer has whole neurons only";
  fix.append(`${rule} (H2 ${equalsText(h.exact)}, W2 ${equalsText(w.exact)}): no step until it`
    + " fits. Apply a suggestion from the red formula strip, or change H, W, F, S or P. ", button);
  box.append(fix);
  container.append(box);
}

/** Whether an axis's formula gives less than one window: its filter spans more than the
 * padded input (the server's `exact`, never re-derived). */
const tooWide = (geometry) => geometry.height.exact < 1 || geometry.width.exact < 1;

/** Why a layer whose filter spans more than its padded input has no neuron: the formula's
 * figure under one is no count of neurons ("-1 x -1 neurons" read as one), so each such axis
 * is named with its figure, the filter's span and the padded input's size (the server's). */
function noWindowText(h, w) {
  const wide = [["H2", h, "row"], ["W2", w, "column"]].filter(([, axis]) => axis.exact < 1);
  const figures = wide.map(([name, axis]) => `${name} ${equalsText(axis.exact)}`).join(" and ");
  const spans = wide.map(([, axis, unit]) => counted(axis.span, unit)).join(" and ");
  const padded = wide.map(([, axis, unit]) => counted(axis.padded_size, unit)).join(" and ");
  return `Empty: no window fits in the padded input, so the formula's ${figures}`
    + ` count${wide.length === 1 ? "s" : ""} no neurons: the filter spans ${spans}, the padded`
    + ` input has only ${padded}.`;
}

/** The output panel of a misfit, into `container`: why it is empty, and what each fit policy
 * (from the geometry answer's suggestions) would make of it; `k` is the filter count or null. */
export function drawMisfitOutput(container, geometry, k) {
  clear(container);
  const box = el("div", "misfit-empty");
  box.id = "misfit-output";
  const h = geometry.height;
  const w = geometry.width;
  box.append(el("p", "", tooWide(geometry) ? noWindowText(h, w)
    : `Empty: the formula gives ${exactText(h.exact)} x ${exactText(w.exact)} neurons per depth`
      + " slice, and an output volume has whole rows and columns of them."));
  const fits = geometry.suggestions.filter((s) => s.field === "fit");
  const said = { floor: "the hatched cells dropped", pad: "the blue zeros added" };
  if (fits.length) {
    box.append(el("p", "", "A fit policy would make one:"));
    const list = el("ul", "");
    for (const s of fits) {
      const size = [...s.output, ...(k ? [k] : [])].join("x");
      list.append(el("li", "", `fit="${s.value}": ${size}${said[s.value] ? `, ${said[s.value]}` : ""}`));
    }
    box.append(list);
  }
  container.append(box);
}
