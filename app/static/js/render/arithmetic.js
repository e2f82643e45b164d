// The arithmetic of the focused step, every number from the server: the elementwise products,
// the per-channel partial sums, "+ bias = value", ReLU, and the notes-style NumPy line. The
// same text goes to an aria-live region for screen readers. Also the backward-mode panel.
import { createGrid, sliceFigure } from "./grid.js";
import { Viewport } from "./viewport.js";
import { createZoomGrid } from "./zoom.js";
import { clear, el, fmt, qs, thousands } from "../dom.js";
import { maxAbsOf, typeScale } from "./colors.js";
import { fitCell, gridRoom, heightUnderCap, numbersCell, projectedCell, slicesHeight } from "./fit.js";
import { CELL_TYPE, NUMBERS_FROM, cellFor } from "./numbers.js";

// The arithmetic's live region: the forward step's words, then the backward view's, written
// once both are known and only when they change. Written again, the same words are read again:
// toggling Loop or Lines redrew the step, and a screen reader heard the whole step anew.
const spoken = { forward: "", backward: "", queued: false };
function speak(part, words) {
  spoken[part] = words;
  if (part === "forward") spoken.backward = ""; // the backward view, when shown, speaks next
  if (spoken.queued) return;
  spoken.queued = true;
  queueMicrotask(() => {
    spoken.queued = false;
    const live = qs("#arithmetic-live");
    const text = spoken.backward ? `${spoken.forward} Backward: ${spoken.backward}.` : spoken.forward;
    if (live.textContent !== text) live.textContent = text;
  });
}

/**
 * Build the arithmetic panel; `onTap(type, r, c, ch)` for hovering a product. Returns
 * {update(focus, activation, fast), box(r, c, ch)} (box: a product's place on screen, or null).
 */
export function createArithmeticView(container, model, onTap) {
  const [fh, fw, depth] = model.filterShape;
  // Small windows are DOM cells; bigger ones (AlexNet's 11x11x3 = 363 products) are canvases
  // with 32 px cells, numbers in every cell whatever the volumes' zoom: repainting 363 DOM
  // cells costs a playing frame more than its budget.
  const big = fh * fw * depth > 100;
  // the canvases' cells: 32 px, or less in a narrow panel, so the whole window shows. A layer
  // of whole numbers keeps 24 px, where its products (a few digits) still show, and the panel
  // scrolls; other products ("-0.034") need more than a narrow panel's fitted cell gives, so
  // cutting columns off would buy no numbers.
  const fitted = Math.floor(((container.clientWidth || 400) - 4) / fw);
  const zoomCell = Math.min(32, Math.max(wholeValued(model) ? NUMBERS_FROM : MIN_ZOOM_CELL, fitted));
  const grids = [];
  clear(container);
  const figures = Array.from({ length: depth }, (_, ch) => sliceFigure(container, `products, slice ${ch}`));
  // the DOM grids fitted to the panel's room before large type grows them (as the volumes'
  // are), so a short window shows every slice, but never so small that
  // the numbers leave the cells (below that the panel scrolls). A caption wider than its
  // grid wraps (css/convscope.css): its width on one line is measured while the figures are
  // empty.
  const captionWidth = oneLineWidth(figures[0]?.querySelector("figcaption")) / typeScale();
  // on a phone, no taller than the panel's cap leaves them, and down to the numbers' own
  // least in large type: grown past the cap to a hall's cells, their last row was cut (large
  // type at 200 % zoom: two rows of three shown, the third under the panel's foot)
  const room = gridRoom(container);
  const capped = heightUnderCap(container) / typeScale();
  const across = { width: room.width - SLACK, height: Math.min(room.height, capped) }; // fitCell's gap is 0.4rem rounded down
  const least = readableCell(model, capped === Infinity);
  const cell = fitCell(depth, fh, fw, across, { min: least, max: 40, captionWidth });
  for (let ch = 0; ch < depth; ch += 1) {
    const figure = figures[ch];
    const options = {
      rows: fh, cols: fw, cell, label: `Products depth slice ${ch}`, expose: true,
      view: big ? new Viewport(fh, fw, fw * zoomCell, fh * zoomCell) : null,
      onCell: (type, r, c) => onTap(type, r, c, ch),
    };
    grids.push(big ? createZoomGrid(figure, options) : createGrid(figure, options));
  }
  return {
    update(focus, activation, fast = false) {
      for (const grid of grids) {
        grid.setQuiet?.(fast);
        grid.setMinInterval?.(fast ? 45 : 0);
      }
      const step = focus.step;
      const code = qs("#numpy-code");
      const sums = qs("#sums");
      // no step's arithmetic (an input cell hovered or pinned): no empty code box or product
      // grids, their room kept (a hover must not move the panel under the pointer)
      const shown = Boolean(step) || Boolean(focus.loading);
      code.style.visibility = shown ? "" : "hidden";
      const edit = qs("#edit-pinned");
      edit.hidden = !focus.editable;
      if (focus.editable) edit.textContent = `Edit ${focus.editable}`;
      const goto = qs("#goto-pinned");
      goto.hidden = focus.stepTo == null;
      if (focus.stepTo != null) goto.textContent = `Step to it (step ${thousands(focus.stepTo + 1)})`;
      for (const figure of figures) figure.style.visibility = step ? "" : "hidden";
      if (!step) {
        code.textContent = focus.loading ? "loading step…" : "";
        sums.textContent = "";
        sums.removeAttribute("data-rounded");
        grids.forEach((grid) => grid.draw(() => null, { maxAbs: 1 }));
        if (focus.inputCell && !focus.loading) {
          // a hovered input cell: no one neuron's arithmetic, but who reads the cell
          const [r, c] = focus.inputCell;
          const { top, bottom, left, right } = model.pads;
          // the input's own index first (what an edit and a pin name), the padded one after
          const padded = top || bottom || left || right;
          const cell = padded ? `X[${r - top},${c - left},:] (Xp[${r},${c},:])` : `X[${r},${c},:]`;
          const n = focus.seen.length;
          sums.textContent = n
            ? `${cell} is read by the neurons at ${n} position${n === 1 ? "" : "s"}, through every filter (marked on the output)`
            : `${cell} is read by no neuron: no window covers it`;
        }
        if (focus.seen) {
          const n = focus.seen.length;
          speak("forward", `Input cell seen by ${n} position${n === 1 ? "" : "s"}`);
        }
        return;
      }
      // a narrow column breaks the line after a comma or an opening parenthesis, never inside
      // an index such as "2:5" (<wbr>s do not go into the text a reader copies)
      code.replaceChildren(...step.expression.split(/(?<=[,(])/).flatMap((part, n) => (n ? [el("wbr"), part] : [part])));
      const maxAbs = maxAbsOf(step.products.data);
      const letter = step.expression.includes("Xp[") ? "Xp" : "X";
      grids.forEach((grid, ch) => {
        grid.draw((r, c) => step.products.at(r, c, ch), {
          maxAbs,
          title: (r, c, v) => `${letter}[${step.rows[r]},${step.cols[c]},${ch}] = ${fmt(step.window.at(r, c, ch))}`
            + ` × w[${r},${c},${ch}] = ${fmt(step.weights.at(r, c, ch))} → ${fmt(v)}`,
        });
        grid.setMarks("pair", focus.pair && focus.pair.channel === ch ? [focus.pair.tap] : []);
      });
      sums.textContent = sumsText(step, activation);
      // rounded terms: the panel says to how many decimals (they add up to the shown value
      // but for the last digit)
      const places = decimalsOf(step);
      const exact = [...step.channelSums, step.bias, step.pre].every((v) => places === null || Number(v.toFixed(places)) === v);
      if (exact) sums.removeAttribute("data-rounded");
      else sums.dataset.rounded = `rounded to ${places} decimal${places === 1 ? "" : "s"}`;
      // read aloud, a deep layer's slice sums would be a list no one follows (Example 2's 20):
      // their count is said, and the panel shows them
      const brief = step.channelSums.length > SAID_SUMS;
      speak("forward", `Step ${step.t + 1}: ${step.expression}. ${sumsText(step, activation, brief)}`);
    },
    box: (r, c, ch) => grids[ch]?.box(r, c) ?? null,
  };
}

/**
 * The decimals a step's sum line shows its numbers to: null for whole numbers (shown whole),
 * else one number of decimals for all, the largest term's five significant digits, so the
 * terms add up by hand to the value shown (0.7048 + 0.6394 + (-1.3262) + 0.0081 = 0.0261;
 * to four digits each, 0.7048 + 0.6394 + (-1.326) + 0.008082 did not make 0.02612).
 */
function decimalsOf(step) {
  const values = [...step.channelSums, step.bias, step.pre];
  if (values.every(Number.isInteger)) return null;
  const largest = Math.max(...values.map(Math.abs));
  return Math.min(10, Math.max(0, 4 - Math.floor(Math.log10(largest))));
}

/**
 * "(3) + (-2) + (1) + bias (1) = 3; ReLU(3) = 3": per-slice partial sums, bias, value. When
 * the rounded terms do not add up to the rounded value (-0.16231 against -0.16233), the sign
 * is "≈": a reader adding them by hand is told to expect the last digit off.
 */
function sumsText(step, activation, brief = false) {
  // Only the server's numbers: the slice sums (`brief`: how many), the bias and the value it
  // computed.
  const places = decimalsOf(step);
  const show = (v) => {
    if (places === null) return fmt(v);
    const text = v.toFixed(places).replace(/^-(0\.?0*)$/, "$1");
    // a term exact to fewer decimals is written with them: -5 and 2.5 beside 0.7048, not
    // -5.0000 (the rounded ones keep every place, so they still add up by hand)
    return Number(text) === v ? String(v) : text;
  };
  const parts = brief ? [`The ${step.channelSums.length} depth slices' sums`]
    : step.channelSums.map((v) => `(${show(v)})`);
  const units = (v) => Math.round(Number(v.toFixed(places)) * 10 ** places); // as shown
  const adds = places === null
    || [...step.channelSums, step.bias].reduce((sum, v) => sum + units(v), 0) === units(step.pre);
  let text = `${parts.join(" + ")} + bias (${show(step.bias)}) ${adds ? "=" : "≈"} ${show(step.pre)}`;
  if (activation === "relu") text += `; ReLU(${show(step.pre)}) = ${show(step.post)}`;
  return text;
}

/** px `node`'s text takes on one line (0 for no node). */
function oneLineWidth(node) {
  if (!node) return 0;
  node.style.whiteSpace = "nowrap";
  const width = node.scrollWidth;
  node.style.whiteSpace = "";
  return width;
}

/**
 * The smallest cell (px, before large type grows it) the arithmetic's grids shrink to so as to
 * fit their panel: the numbers there are the ones a reader checks by hand, so their cells keep
 * room for them (render/numbers.js): a layer of whole numbers has products and sums of a few
 * digits ("-10"), any other shows numbers of up to five characters ("-0.51", "9e-3"). In large
 * type they are what a hall reads: projectedCell() at least, and the panel scrolls for the rest.
 */
function readableCell(model, hall = true) {
  const scale = typeScale();
  const numbers = Math.max(numbersCell(), Math.ceil(cellFor(wholeValued(model) ? 3 : 5, CELL_TYPE) / scale));
  return hall ? Math.max(numbers, projectedCell()) : numbers;
}

/** Whether the layer's input, filters and biases are whole numbers (so are its products). */
function wholeValued(model) {
  // judged on the arrays' first SAMPLE values: a huge input need not be read whole to size cells
  return [model.xp, model.filters, model.bias]
    .every((t) => !t || t.data.subarray(0, SAMPLE).every(Number.isInteger));
}

const SAMPLE = 100_000;

// the smallest products canvas cell before the panel scrolls instead
const MIN_ZOOM_CELL = 8;

// The most slice sums the live region reads out one by one.
const SAID_SUMS = 8;

// px kept spare across a row of product slices: the gaps' fractions of a pixel
const SLACK = 2;

// px of a weight-gradient group's padding across, and of the gap between its name's line and
// its slices (css/convscope.css .filter)
const PADDING = 10;
const ROW_GAP = 4;

/**
 * The backward panel: dV at the focused neuron, its contribution, and the running dW[d].
 * `onLeast(px)` hears, before the grids are fitted, the least height on screen the panel's
 * body needs for them at the numbers' least cell (render/split.js sets the filters column's
 * split from it).
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
  // the step's text keeps room for its longest form (with ReLU it also says whether the
  // gradient passes) before the first step arrives: the grids are fitted to what is left. The
  // form itself is measured (two lines' room, three with ReLU, was a line short in large type)
  const text = qs("#backward-step");
  text.style.minHeight = "";
  text.textContent = longestText(model, local);
  text.style.minHeight = `${text.offsetHeight}px`;
  text.textContent = "";
  const contribution = group("this step", "Contribution");
  const running = local ? null : group("running dW", "Running weight gradient");
  const parts = [[contribution, "Contribution"], ...(running ? [[running, "Running weight gradient"]] : [])];
  // Each group's slices under its name's own line: what the names, the groups' padding and
  // the gap between them take is measured while the groups are empty, and each group's
  // slices are fitted to its share of the rest (before large type grows them, as elsewhere),
  // down to the numbers' own least: 18 px on screen, in large type too (a hall's 34 px put
  // two of the three slices in a row, and the running dW under the panel's foot)
  const scale = typeScale();
  const rows = [...container.querySelectorAll(".filter")];
  const names = (rows.at(-1).getBoundingClientRect().bottom - rows[0].getBoundingClientRect().top) / scale;
  const least = readableCell(model, false);
  const across = gridRoom(container).width - PADDING;
  if (!canvas) {
    const group = slicesHeight(depth, fh, fw, across, least, { caption: 0 }) + ROW_GAP;
    onLeast(Math.ceil((names + parts.length * group) * scale));
  }
  const room = gridRoom(container);
  const share = { width: across, height: (room.height - names) / parts.length - ROW_GAP };
  const cell = canvas ? 3 : fitCell(depth, fh, fw, share, { min: least, max: 40, caption: 0 });
  for (const [part, label] of parts) {
    for (let ch = 0; ch < depth; ch += 1) {
      part.grids.push(createGrid(part.row, { rows: fh, cols: fw, cell, canvas, label: `${label} depth slice ${ch}` }));
    }
  }
  return {
    update(focus, activation) {
      const relu = activation === "relu";
      const step = focus.step;
      if (focus.inputCell) {
        // an input cell in focus is no step: nothing is loading, and the last step's grids
        // would read as this cell's
        const [r, c] = focus.inputCell;
        text.textContent = `X[${r - model.pads.top},${c - model.pads.left},:] is in focus, `
          + "not a step: let it go (Escape) for the step's share of dW";
        for (const [part] of parts) part.grids.forEach((grid) => grid.draw(() => null, { maxAbs: 1 }));
        return;
      }
      if (!step || !step.running) {
        text.textContent = step ? "" : "loading step…";
        return;
      }
      text.textContent = stepText(step, relu, local);
      const into = local ? `dW[${step.i},${step.j},${step.d}]` : `dW[${step.d}]`;
      speak("backward", text.textContent); // read after the forward step's words
      contribution.row.querySelector(".filter-name").textContent = local ? into : "this step";
      if (running) running.row.querySelector(".filter-name").textContent = `running ${into}`;
      const tensors = [step.contribution, step.running];
      for (const [n, [part]] of parts.entries()) {
        const tensor = tensors[n];
        const maxAbs = maxAbsOf(tensor.data);
        part.grids.forEach((grid, ch) => grid.draw((r, c) => tensor.at(r, c, ch), {
          maxAbs, title: (r, c, v) => `[${r},${c},${ch}] = ${fmt(v)}`,
        }));
      }
    },
  };
}

/** The backward step's sentence: dV at the neuron (the server's `upstream`), with ReLU
 * whether it passes (only where pre > 0), and what the step adds to dW. */
function stepText({ i, j, d, upstream, pre }, relu, local) {
  const at = `${i},${j},${d}`;
  const dv = `dV[${at}] = ${fmt(upstream)}`;
  const into = local ? `dW[${at}]` : `dW[${d}]`;
  const adds = local ? `${into} = ${fmt(upstream)} × window` : `this step adds ${fmt(upstream)} × window to ${into}`;
  if (!relu) return `${dv}: ${adds}`;
  if (pre > 0) return `${dv} and ReLU passes it (pre ${fmt(pre)} > 0): ${adds}`;
  return `${dv} but ReLU blocks it (pre ${fmt(pre)} ≤ 0): ${local ? `${into} = 0` : `this step adds 0 to ${into}`}`;
}

/** The longest sentence a step of `model` can have: its last neuron's indices, dV = -1 (the
 * page's upstream is integers -1..1, main.js) and (with ReLU) the pre-activation of the
 * longest number. */
function longestText(model, local) {
  const [h2, w2, k] = model.outShape;
  const pre = model.pre ? Array.from(model.pre.data.subarray(0, TEXT_SAMPLE), Math.abs)
    .reduce((a, b) => (fmt(b).length > fmt(a).length ? b : a), 1) : 0;
  const step = { i: h2 - 1, j: w2 - 1, d: k - 1, upstream: -1, pre };
  return stepText(step, model.pre !== null, local);
}

// the pre-activations looked through for the longest number (their lengths vary little)
const TEXT_SAMPLE = 2000;
