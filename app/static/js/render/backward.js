// The backward view's panel: dV at the focused neuron (the server's `upstream`), the step's
// contribution to the weight gradient, and the running dW[d] it adds to, with the filter's db
// so far; its sentence is read after the forward step's (render/arithmetic.js speak).
import { createGrid } from "./grid.js";
import { clear, el, fmt, qs, thousands } from "../dom.js";
import { maxAbsOf, typeScale } from "./colors.js";
import { fitCell, gridRoom, onOneScreen, slicesHeight } from "./fit.js";
import { HOVER, readableCell, speak, windowCellName } from "./arithmetic.js";

// px of a weight-gradient group's padding across, and of the gap between its name's line and
// its slices (css/convscope.css .filter)
const PADDING = 10;
const ROW_GAP = 4;

/**
 * The backward panel: dV at the focused neuron, its contribution, and the running dW[d].
 * `onLeast({all, first, whole})` hears, before the grids are fitted, the least height on screen
 * the panel's body needs for them at the numbers' least cell: `all` for every group, `first`
 * for the step's contribution alone, `whole` each height that ends under a whole row of
 * slices, least first (render/split.js sets the filters column's split from them).
 */
export function createBackwardView(container, model, onLeast = () => {}) {
  const [fh, fw, depth] = model.filterShape;
  const canvas = fh * fw * depth > 4000;
  clear(container);
  const group = (title, label) => {
    const row = el("div", "filter");
    row.setAttribute("role", "group");
    row.setAttribute("aria-label", label);
    row.append(el("span", "filter-name", title));
    container.append(row);
    return { row, grids: [] };
  };
  // Locally connected neurons share no weights: a neuron's dW[i,j,d] is its step's
  // contribution and nothing adds to it, so there is no running sum to show (the panel's
  // explanation says so, css/convscope.css)
  const local = model.conn === "local";
  qs("#backward-panel").classList.toggle("local", local);
  container.style.removeProperty("max-height"); // endOnWholeRow's, of the last room
  // the step's text keeps room for its longest form (with ReLU it also says whether the
  // gradient passes) before the first step arrives: the grids are fitted to what is left. The
  // form itself is measured (two lines' room, three with ReLU, was a line short in large type)
  // (--longest, css/convscope.css; measured whole, not as a short window's flex shrinks it:
  // css/wide.css lets it give way there, down to two lines)
  const text = qs("#backward-step");
  text.style.removeProperty("--longest");
  text.style.flex = "none";
  text.textContent = longestText(model, local);
  text.style.setProperty("--longest", `${text.offsetHeight}px`);
  text.style.flex = "";
  text.textContent = "";
  // named in its longest form while the names are measured (the last step's number)
  const contribution = group(local ? "this step" : `step ${thousands(model.total)} adds`, "Contribution");
  // named in its longest form while the names are measured: a name that wraps is measured so
  const running = local ? null : group(runningName(model), "Running weight gradient");
  const parts = [[contribution, "Contribution"], ...(running ? [[running, "Running weight gradient"]] : [])];
  // Each group's slices under its name's own line: what the names, the groups' padding and
  // the gap between them take is measured while the groups are empty, and each group's
  // slices are fitted to its share of the rest (before large type grows them, as elsewhere),
  // down to the numbers' own least: 18 px on screen, in large type too (a hall's 34 px put
  // two of the three slices in a row, and the running dW under the panel's foot)
  const scale = typeScale();
  // the names keep their longest forms' height: a shorter one took a line less
  // than the slices were fitted and ended under, and their last row was cut at the foot
  for (const part of [contribution, running]) {
    if (!part) continue;
    const name = part.row.querySelector(".filter-name");
    name.style.minHeight = `${name.offsetHeight}px`;
  }
  // the longest form was a measure, not a step's: until one is shown its name says no
  // filter and no db (an input cell pinned first showed "running dW[1] (db[1] = -9)", a
  // filter and a sum of no step)
  const unnamed = () => {
    if (!local) contribution.row.querySelector(".filter-name").textContent = "this step";
    if (running) running.row.querySelector(".filter-name").textContent = "running dW";
  };
  const rows = [...container.querySelectorAll(".filter")];
  const names = (rows.at(-1).getBoundingClientRect().bottom - rows[0].getBoundingClientRect().top) / scale;
  unnamed();
  const across = gridRoom(container).width - PADDING;
  // down to the numbers' least, but never a slice wider than the panel: AlexNet's 11-wide
  // slices at that least were 320 px in a 260 px panel at 1280x720, cut at their tenth
  // column (and their values, longer than the least allows for, showed no numbers there)
  const least = Math.max(1, Math.min(readableCell(model, false), Math.floor((across - 1) / fw) - 1));
  if (!canvas) {
    // a slice's 1 px lines do not grow with large type, its cells do (render/grid-dom.js)
    const border = 1 / scale;
    const group = slicesHeight(depth, fh, fw, across, Math.round(least * scale) / scale, { border, caption: 0 }) + ROW_GAP;
    // and the least for the step's contribution alone (its name's line and its slices), which
    // a column too short for both keeps whole while the running sum scrolls under it
    const firstName = rows[0].getBoundingClientRect().height / scale;
    // and each height at which the body ends under a whole row of slices, the contribution's
    // rows and then the running sum's (render/split.js shares what the column has over the
    // leasts in these steps; endOnWholeRow ends the body on the row as drawn)
    const ends = (before, shown) => Math.ceil((before + slicesHeight(shown, fh, fw, across, Math.round(least * scale) / scale, { border, caption: 0 }) + ROW_GAP) * scale);
    const whole = new Set();
    for (let shown = 1; shown <= depth; shown += 1) {
      whole.add(ends(firstName, shown));
      if (running) whole.add(ends(names + group, shown));
    }
    onLeast({
      all: Math.ceil((names + parts.length * group) * scale),
      first: Math.ceil((firstName + group) * scale),
      whole: [...whole].sort((a, b) => a - b),
    });
  }
  const room = gridRoom(container);
  const share = { width: across, height: (room.height - names) / parts.length - ROW_GAP };
  const cell = canvas ? canvasCell(depth, fh, fw, share, scale)
    : fitCell(depth, fh, fw, share, { min: least, max: 40, caption: 0 });
  // A cell's sum is its title, which a finger never shows: a click or a tap on one writes it
  // in the step's sentence instead (a sum is shorter than the sentence's longest form, whose
  // room is kept), for each step after while it stays tapped; leaving the grids gives the
  // sentence back. `shown` is the last update's step, its sentence and its cells' sums. The
  // tapped cell keeps a pinned cell's outline, so the sum says which cell it is about.
  let tapped = null; // {n, r, c, ch}: group n's cell
  let shown = null; // {sentence, sum(n, r, c, ch)}
  const say = () => {
    if (!shown) return;
    text.textContent = tapped ? shown.sum(tapped.n, tapped.r, tapped.c, tapped.ch) : shown.sentence;
  };
  const tap = (cell) => {
    const gridOf = ({ n, ch }) => parts[n][0].grids[ch];
    if (tapped) gridOf(tapped).setMarks("pinned", []);
    tapped = cell;
    if (tapped) gridOf(tapped).setMarks("pinned", [[tapped.r, tapped.c]]);
    say();
  };
  for (const [n, [part, label]] of parts.entries()) {
    for (let ch = 0; ch < depth; ch += 1) {
      const onCell = (type, r, c) => {
        if (type === "enter") return; // a hover has the title
        tap(type === "click" ? { n, r, c, ch } : null);
      };
      part.grids.push(createGrid(part.row, { rows: fh, cols: fw, cell, canvas, label: `${label} depth slice ${ch}`, onCell }));
    }
  }
  endOnWholeRow(container);
  // every grid drawn empty: no earlier step's numbers left to read as this one's
  const blank = () => {
    for (const [part] of parts) part.grids.forEach((grid) => grid.draw(() => null, { maxAbs: 1 }));
    unnamed();
  };
  return {
    /** `still`: not playing, when a canvas grid says its values (render/grid-canvas.js `said`). */
    update(focus, activation, still = true) {
      const relu = activation === "relu";
      const step = focus.step;
      shown = null;
      if (focus.inputCell) {
        // an input cell in focus is no step: nothing is loading, and the last step's grids
        // would read as this cell's
        const [r, c] = focus.inputCell;
        text.textContent = cellText(r - model.pads.top, c - model.pads.left, focus.hovered);
        blank();
        return;
      }
      if (step?.refusedLimits) {
        text.textContent = refusedText(step, local);
        speak("backward", text.textContent);
        blank();
        return;
      }
      if (!step || !step.running) {
        text.textContent = step ? "" : "loading step…";
        return;
      }
      const sentence = stepText(step, relu, local);
      const into = local ? `dW[${step.i},${step.j},${step.d}]` : `dW[${step.d}]`;
      speak("backward", sentence); // read after the forward step's words
      // named by its number, as the transport's label names a pinned neuron's: the panel
      // follows a pin or a hovered neuron, and "this step" did not say which one
      contribution.row.querySelector(".filter-name").textContent = local ? into
        : `step ${thousands(step.t + 1)} adds`;
      if (running) running.row.querySelector(".filter-name").textContent = runningName(model, step);
      const tensors = [step.contribution, step.running];
      // a cell's title is its sum to check by hand: the step's term, dV times the input cell
      // it met, from the server's numbers (a bare "[1,2,0] = -0.44" said neither)
      const titles = [
        (r, c, ch, v) => contributionText(step, into, relu, local, r, c, ch, v),
        (r, c, ch, v) => `running ${into}[${r},${c},${ch}] = ${fmt(v)} after step ${thousands(step.t + 1)}`,
      ];
      shown = { sentence, sum: (n, r, c, ch) => titles[n](r, c, ch, tensors[n].at(r, c, ch)) };
      say();
      for (const [n, [part]] of parts.entries()) {
        const tensor = tensors[n];
        const maxAbs = maxAbsOf(tensor.data);
        part.grids.forEach((grid, ch) => grid.draw((r, c) => tensor.at(r, c, ch), {
          maxAbs, title: (r, c, v) => titles[n](r, c, ch, v), said: still,
        }));
      }
    },
  };
}

/**
 * End a scrolling `body`, on one screen, under the last row of slices it shows whole: the
 * split's share (render/split.js) and the least cell leave it a height between two rows, and
 * a 960x540 frame in large type showed the contribution's third slice cut in half at the
 * foot. The next row now starts wholly under the foot, the px left empty, and the panel says
 * "more below" (render/overflow.js). A body shorter than its first row is left as it is.
 */
function endOnWholeRow(body) {
  if (!onOneScreen(body) || body.scrollHeight <= body.clientHeight + WHOLE_SLACK) return;
  const top = body.getBoundingClientRect().top - body.scrollTop;
  const ends = [...body.querySelectorAll(".grid")].map((grid) => grid.getBoundingClientRect().bottom - top);
  const shown = ends.filter((end) => end <= body.clientHeight);
  if (shown.length === 0 || shown.length === ends.length) return;
  body.style.maxHeight = `${Math.ceil(Math.max(...shown)) + WHOLE_SLACK}px`;
}

// px kept under a whole row's last line: its fraction of a pixel, less than the gap to the next
const WHOLE_SLACK = 2;

/**
 * The cell (px on screen) of a deep filter's canvas slices: as large as `share` (px before
 * large type grows them) holds them all, up to 40 px, at least 3 px (the panel scrolls past
 * that). They were 3 px in any room, so render/grid-canvas.js's numbers (from 18 px
 * cells) could never show; with over 4,000 cells a slice group they still need a room of
 * some 1.3 million px², but the cells now grow as far as the room allows. A canvas grid's
 * cells have no lines between them, only its 1 px frame, and large type does not grow them
 * (it grows the gaps between them): each cell on screen is tried in `share`'s units.
 */
function canvasCell(depth, fh, fw, share, scale) {
  const options = { border: 0, frame: 1 / scale, caption: 0 };
  for (let cell = 40; cell > LEAST_CANVAS_CELL; cell -= 1) {
    if (slicesHeight(depth, fh, fw, share.width, cell / scale, options) <= share.height) return cell;
  }
  return LEAST_CANVAS_CELL;
}

// px on screen of a canvas slice's cell in a room too small for all of them
const LEAST_CANVAS_CELL = 3;

/** The backward step's sentence: dV at the neuron (the server's `upstream`), with ReLU
 * whether it passes (only where pre > 0), and what the step adds to dW. */
function stepText({ i, j, d, upstream, pre }, relu, local) {
  const at = `${i},${j},${d}`;
  const dv = `dV[${at}] = ${fmt(upstream)}`;
  // the bias gradient too: a shared filter's db[d] sums its map's dV, a locally connected
  // neuron's own db[i,j,d] is its dV (a touch screen and a screen reader had it nowhere else)
  const into = local ? `dW[${at}]` : `dW[${d}]`;
  const bias = local ? `db[${at}]` : `db[${d}]`;
  // in Python's words, as the arithmetic's code line is (a shared filter's is no longer than
  // the sentence was before it named db; the grids are fitted under the longest form anyway)
  const adds = local ? `${into} = ${fmt(upstream)} × window, ${bias} = ${fmt(upstream)}`
    : `${into} += ${fmt(upstream)} × window, ${bias} += ${fmt(upstream)}`;
  if (!relu) return `${dv}: ${adds}`;
  if (pre > 0) return `${dv} and ReLU passes it (pre ${fmt(pre)} > 0): ${adds}`;
  // a zero dV has nothing to block: the gate is said shut, not that it stopped anything (no
  // longer than the blocking sentence the panel's room is measured for)
  const gate = upstream === 0 ? "and ReLU shuts it" : "but ReLU blocks it";
  const none = local ? `${into} = 0, ${bias} = 0` : `${into} and ${bias} += 0`;
  return `${dv} ${gate} (pre ${fmt(pre)} ≤ 0): ${none}`;
}

/**
 * Why a step carries no dW (js/steps.js): its backward part was over this server's limits,
 * which for a shared filter is its running sum, walked over the filter's positions up to the
 * step's own (the forward step is drawn; an earlier step of the filter walks less).
 */
function refusedText(step, local) {
  const named = step.refusedLimits.length ? ` (${step.refusedLimits.join(", ")})` : "";
  if (local) return `dW[${step.i},${step.j},${step.d}] is not drawn at this step: it is over this server's limits${named}.`;
  return `dW[${step.d}] is not drawn at this step: its running sum, walked over filter ${step.d}'s `
    + `positions up to V[${step.i},${step.j},${step.d}], is over this server's limits${named}; `
    + "an earlier step of the filter draws it.";
}

/** One cell of the step's dW contribution as a sum to check: "dW[0][1,2,0] += dV (-1) ×
 * Xp[3,4,0] (2) = -2", or that the ReLU let nothing through. */
function contributionText(step, into, relu, local, r, c, ch, value) {
  const cell = `${into}[${r},${c},${ch}] ${local ? "=" : "+="}`;
  if (relu && !(step.pre > 0)) return `${cell} 0: ReLU passes no dV (pre ${fmt(step.pre)} ≤ 0)`;
  const input = `${windowCellName(step, r, c, ch)} (${fmt(step.window.at(r, c, ch))})`;
  return `${cell} dV (${fmt(step.upstream)}) × ${input} = ${fmt(value)}`;
}

/**
 * The running sums' name: dW[d], whose grids follow, and the one number of the filter's db so
 * far (the server's `bias_gradient_running`: the dV of its steps so far, gated by the ReLU).
 * Without a step, the longest a step of `model` can have: its last filter, and the page's
 * upstream of integers -1..1 (main.js) summed over all its positions, negative.
 */
function runningName(model, step = null) {
  const [h2, w2, k] = model.outShape;
  const [d, db] = step ? [step.d, step.biasRunning] : [k - 1, -h2 * w2];
  // at the filter's last position the sum has every step: the whole pass's dW[d] and db[d]
  // (nothing said so, and the next step went on to another filter)
  if (step && db !== null && step.i === h2 - 1 && step.j === w2 - 1) return `dW[${d}] complete (db[${d}] = ${fmt(db)})`;
  return db === null ? `running dW[${d}]` : `running dW[${d}] (db[${d}] so far = ${fmt(db)})`;
}

/** The longest sentence a step of `model` can have: its last neuron's indices, dV = -1 (the
 * page's upstream is integers -1..1, main.js) and (with ReLU) the pre-activation of the
 * longest number. */
function longestText(model, local) {
  const [h2, w2, k] = model.outShape;
  const pre = model.pre ? Array.from(model.pre.data.subarray(0, TEXT_SAMPLE), Math.abs)
    .reduce((a, b) => (fmt(b).length > fmt(a).length ? b : a), 1) : 0;
  const step = { i: h2 - 1, j: w2 - 1, d: k - 1, upstream: -1, pre };
  // ...or a pinned input cell's, where that is longer (it was cut after "for the")
  const [h, w] = model.inputShape;
  return [stepText(step, model.pre !== null, local), cellText(h - 1, w - 1, false)]
    .reduce((a, b) => (b.length > a.length ? b : a));
}

/** An input cell in focus instead of a step: why the grids are empty, and the way back to the
 * step's (a hover ends when the pointer leaves; a pin with Escape, or a second tap). */
function cellText(row, col, hovered) {
  const cell = `X[${row},${col},:]`;
  if (hovered) return `${cell} is hovered: a cell, not a step, so no dW`;
  return `${cell} is pinned: a cell, not a step (${HOVER.matches ? "Escape" : "tap it again"} lets it go)`;
}

// the pre-activations looked through for the longest number (their lengths vary little)
const TEXT_SAMPLE = 2000;
