// The arithmetic of the focused step, every number from the server: the elementwise products,
// the per-channel partial sums, "+ bias = value", ReLU, and the notes-style NumPy line. The
// same text goes to an aria-live region for screen readers (the backward view's, render/
// backward.js, after it).
import { createGrid, sliceFigure } from "./grid.js";
import { Viewport } from "./viewport.js";
import { createZoomGrid } from "./zoom.js";
import { clear, counted, el, fmt, qs, short, thousands } from "../dom.js";
import { maxAbsOf, typeScale } from "./colors.js";
import { fitCell, gridRoom, heightUnderCap, numbersCell, projectedCell } from "./fit.js";
import { CELL_TYPE, NUMBERS_FROM, cellFor } from "./numbers.js";
import { dxSumLines } from "./dx-sum.js";
import { PHONE } from "../fold.js";

// A slice of products of up to this many says its values in its name, as well as by its
// cursor: a 5x5 slice's 25 numbers are read at once, an 11x11's 121 are not.
const SAID_SLICE = 25;

// whether the pointer can hover (a mouse), or only tap (a finger): what the products' hint says,
// and how the backward panel says a pinned cell is let go (render/backward.js)
export const HOVER = window.matchMedia("(hover: hover)");
const UPRIGHT = window.matchMedia("(orientation: portrait)");

// The arithmetic's live region: the forward step's words, then the backward view's, written
// once both are known and only when they change. Written again, the same words are read again:
// toggling Loop or Lines redrew the step, and a screen reader heard the whole step anew.
// And written once the steps rest: held for SETTLE ms after the last, so an arrow key held
// down (twenty steps in a second and a half) is not twenty steps' words queued for speech.
const SETTLE = 250;
const spoken = { forward: "", backward: "", timer: 0 };
export function speak(part, words) {
  spoken[part] = words;
  if (part === "forward") spoken.backward = ""; // the backward view, when shown, speaks next
  clearTimeout(spoken.timer);
  spoken.timer = setTimeout(() => {
    const live = qs("#arithmetic-live");
    const said = spoken.backward ? `${spoken.forward} Backward: ${spoken.backward}.` : spoken.forward;
    // the layer asked for was refused and the picture is the last one drawn, faded: its
    // numbers are said as that layer's, not as the new one's
    const text = said && qs("#app").classList.contains("stale") ? `Last layer drawn (the new one was refused): ${said}` : said;
    if (live.textContent !== text) live.textContent = text;
  }, SETTLE);
}

/** Forget the words not yet said: the layer they were about is gone (a misfit drawn). */
export function hush() {
  clearTimeout(spoken.timer);
  spoken.forward = "";
  spoken.backward = "";
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
  // two lines kept for it, hovered or not, so a hover moves nothing
  // ...and on an upright phone's one column for every layer: a tapped product's input and
  // weight cells are a screen or more above it there, out of sight with the lines drawn to
  // them. A window held sideways (or a laptop zoomed to 200 %) keeps its two lines for the
  // products: its panels are capped at its short height, and the demo's third row was cut.
  const readable = big || (window.matchMedia(PHONE).matches && UPRIGHT.matches);
  const readout = qs("#product-readout");
  readout.hidden = !readable;
  readout.textContent = "";
  // Stepping must not move the products: a code line or sum a line longer than the last took
  // them down a line, and the next step back up (the demo at 1024x768 in large type, every
  // third step 22 px). The code keeps the room of its longest form from the first step on,
  // the sums the tallest room a step's have taken; both start afresh with each layer.
  const line = qs("#numpy-line");
  const sums = qs("#sums");
  line.style.minHeight = "";
  sums.style.minHeight = "";
  // shown at its end (below), a tall sum says that its first terms are above: its first line
  // was sliced under the code with no sign of the rest (css: .sums.more-above). One handler
  // per element, replaced with each layer's view.
  const markAbove = () => sums.classList.toggle("more-above", sums.scrollTop > 2);
  sums.onscroll = markAbove;
  let codeKept = false;
  let sumsKept = 0;
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
      // a slice's values in its name where they are few (Example 2's 3x3); a big one's
      // arrows read them one by one (AlexNet's name listed 121 at full precision)
      say: !big || fh * fw <= SAID_SLICE, cursor: big,
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
      // no step's arithmetic (an input cell hovered or pinned): no empty code box or product
      // grids, their room kept (a hover must not move the panel under the pointer)
      const shown = Boolean(step) || Boolean(focus.loading);
      code.style.visibility = shown ? "" : "hidden";
      const edit = qs("#edit-pinned");
      const goto = qs("#goto-pinned");
      // a pin's button that goes (its pin let go, or stepped to) while focused would leave
      // the focus on the body: the panel it was in takes it, and the keys still step
      const going = (button, hide) => hide && !button.hidden && document.activeElement === button;
      if (going(edit, !focus.editable) || going(goto, focus.stepTo == null)) qs("#arithmetic-panel").focus();
      edit.hidden = !focus.editable;
      if (focus.editable) edit.textContent = `Edit ${focus.editable}`;
      goto.hidden = focus.stepTo == null;
      if (focus.stepTo != null) goto.textContent = `Step to it (step ${thousands(focus.stepTo + 1)})`;
      for (const figure of figures) figure.style.visibility = step ? "" : "hidden";
      // ...except on a phone (css/phone.css), where only a tap pins an input cell, and the
      // room kept for no step was a panel's height of blank between the cell's note and
      // the output that marks its readers
      qs("#arithmetic-panel").classList.toggle("no-step", !shown);
      // a pinned cell stays put while the pointer roams: no room kept for a code line that a
      // hover will not bring back (a blank band under the panel's words)
      qs("#arithmetic-panel").classList.toggle("cell-pinned", !shown && Boolean(focus.inputCell) && !focus.hovered);
      if (!step) {
        code.textContent = focus.loading ? "loading step…" : "";
        line.title = "";
        sums.textContent = "";
        sums.removeAttribute("data-rounded");
        sums.classList.remove("more-above");
        grids.forEach((grid) => grid.draw(() => null, { maxAbs: 1 }));
        readout.textContent = "";
        if (focus.inputCell && !focus.loading) {
          // a hovered input cell: no one neuron's arithmetic, but who reads the cell
          const [r, c] = focus.inputCell;
          const { top, bottom, left, right } = model.pads;
          // the input's own index first (what an edit and a pin name), the padded one after
          const padded = top || bottom || left || right;
          const cell = padded ? `X[${r - top},${c - left},:] (Xp[${r},${c},:])` : `X[${r},${c},:]`;
          const n = focus.seen.length;
          sums.textContent = n
            ? `${cell} is read by the neurons at ${readersText(focus.seen)}, through every filter (marked on the output)`
            : `${cell} is read by no neuron: ${focus.covered
              ? "it falls between the taps of the dilated windows over it" : "no window covers it"}`;
          // backward mode: what its gradient adds up, each reader's dV times the weight that
          // met the cell
          const taps = model.upstream && model.inverse.get(`${r - top},${c - left}`)?.taps;
          if (taps && n) {
            sums.append(...dxSumLines(model, focus.inputCell, taps).map((text) => el("span", "dx-sum", text)));
          }
        }
        if (focus.seen && !focus.loading) { // not "seen by 0" before the answer comes
          const n = focus.seen.length;
          // the positions in words: on the output they are marked by colour alone (WCAG 1.3.1)
          speak("forward", n ? `Input cell seen by ${readersText(focus.seen)}` : "Input cell seen by no neuron");
        }
        return;
      }
      if (!codeKept) {
        codeKept = true;
        code.replaceChildren(...breakable(longestForm(step.expression, model)));
        line.style.minHeight = `${line.getBoundingClientRect().height}px`;
      }
      code.replaceChildren(...breakable(step.expression));
      line.title = codeWords(step, model);
      const maxAbs = maxAbsOf(step.products.data);
      // the slices' numbers in one type size, as a filter's are (one slice of shorter
      // numbers was drawn larger than its neighbours, in grids of the same size)
      const lengths = Array.from(step.products.data, (v) => short(v).length);
      grids.forEach((grid, ch) => {
        grid.draw((r, c) => step.products.at(r, c, ch), {
          maxAbs, title: (r, c) => productText(step, r, c, ch), lengths,
        });
        grid.setMarks("pair", focus.pair && focus.pair.channel === ch ? [focus.pair.tap] : []);
      });
      if (readable) {
        // the canvases' cells are too small for a product's digits: the hovered one is
        // written here at once (the canvas's title came a second late, if at all)
        const pair = focus.pair;
        readout.textContent = pair
          ? productLine(step, pair.tap[0], pair.tap[1], pair.channel)
          : `${HOVER.matches ? "Hover" : "Tap"} a product for its input × weight.`;
        readout.classList.toggle("hint", !pair);
        // whole, where a narrow panel cuts the names
        readout.title = pair ? productText(step, pair.tap[0], pair.tap[1], pair.channel) : "";
      }
      sums.textContent = sumsText(step, activation);
      // rounded terms: the panel says to how many decimals (they add up to the shown value
      // but for the last digit)
      const places = decimalsOf(step);
      const exact = [...step.channelSums, step.bias, step.pre].every((v) => places === null || Number(v.toFixed(places)) === v);
      const added = shownTotal(step, places);
      if (exact) sums.removeAttribute("data-rounded");
      else {
        // where the shown terms miss the shown value (the "≈"), what they do add to: a
        // student adding them by hand gets that, and should not suspect the sum (said as
        // briefly as the decimals were: a longer note squeezed large type's product line)
        sums.dataset.rounded = added === null
          ? `rounded to ${counted(places, "decimal")}` : `rounded; terms add to ${added}`;
      }
      // read aloud, a deep layer's slice sums would be a list no one follows (Example 2's 20):
      // their count is said, and the panel shows them
      const tall = sums.getBoundingClientRect().height;
      if (tall > sumsKept) {
        sumsKept = tall;
        sums.style.minHeight = `${tall}px`;
      }
      // a deep layer's sums outgrow their box (Example 2's 20 in large type at 1280x720): it
      // scrolls, and opened at its top it hid "= value", the neuron's number; show its end
      // the "more above" line first: added after, its height left the end 20 px short
      sums.classList.toggle("more-above", sums.scrollHeight - sums.clientHeight > 2);
      sums.scrollTop = sums.scrollHeight;
      markAbove();
      const brief = step.channelSums.length > SAID_SUMS;
      speak("forward", `Step ${thousands(step.t + 1)}: ${step.expression}. ${sumsText(step, activation, brief)}`);
    },
    box: (r, c, ch) => grids[ch]?.box(r, c) ?? null,
  };
}

// The readers of an input cell named one by one up to this many; more are a count and a range.
const NAMED_READERS = 6;

/**
 * The output positions (i, j) that read an input cell, as words: "V[0,0,:], V[0,1,:] and
 * V[1,1,:] (3 positions)", or past NAMED_READERS "121 positions, V[0:11,0:11,:]": the rows
 * and columns they fill, every row with every column, as slices ("0:5:2" where a dilated
 * layer's readers are every other one; the count alone where they are not such a grid).
 */
export function readersText(seen) {
  const sorted = [...seen].sort(([a, b], [c, d]) => a - c || b - d);
  const n = sorted.length;
  const count = counted(n, "position");
  const name = ([i, j]) => `V[${i},${j},:]`;
  if (n <= NAMED_READERS) {
    const names = sorted.map(name);
    const listed = n === 1 ? names[0] : `${names.slice(0, -1).join(", ")} and ${names[n - 1]}`;
    return `${listed} (${count})`;
  }
  const rows = span(sorted.map(([i]) => i));
  const cols = span(sorted.map(([, j]) => j));
  return rows && cols && rows.size * cols.size === n ? `${count}, V[${rows.text},${cols.text},:]` : count;
}

/** Whole numbers as an evenly spaced run, in the notes' NumPy slices: {size, text} ("3:8",
 * "0:9:2"), else null. */
function span(values) {
  const kept = [...new Set(values)].sort((a, b) => a - b);
  const [first, last] = [kept[0], kept[kept.length - 1]];
  if (kept.length === 1) return { size: 1, text: String(first) };
  const by = kept[1] - first;
  if (kept.some((v, k) => v !== first + k * by)) return null;
  return { size: kept.length, text: by === 1 ? `${first}:${last + 1}` : `${first}:${last + 1}:${by}` };
}

/** "Xp[34,146,0] = 0.4382 × W0[2,2,0] = -0.0797 → -0.03493": one product and its factors. */
function productText(step, r, c, ch) {
  const [x, w] = factorNames(step, r, c, ch);
  return `${x} = ${fmt(step.window.at(r, c, ch))} × ${w} = ${fmt(step.weights.at(r, c, ch))}`
    + ` → ${fmt(step.products.at(r, c, ch))}`;
}

/** "0.4382 × -0.0797 = -0.03493  (Xp[34,146,0] × W0[2,2,0])": the numbers first, so a
 * narrow panel cuts the names (the title holds them) and never the product. */
function productLine(step, r, c, ch) {
  const [x, w] = factorNames(step, r, c, ch);
  return `${fmt(step.window.at(r, c, ch))} × ${fmt(step.weights.at(r, c, ch))}`
    + ` = ${fmt(step.products.at(r, c, ch))}  (${x} × ${w})`;
}

/** The factors' names as the step's NumPy line names their arrays: the input's cell, and the
 * weight as a cell of the filter it multiplies by ("W1[2,0,1]"; a locally connected neuron's
 * own "W[1,1,0][2,0,1]"), so a hover and the line above it say the same thing. */
function factorNames(step, r, c, ch) {
  const filter = step.expression.match(/\* (W\d+|W\[[\d,]+\])\)/)?.[1] ?? "W";
  return [windowCellName(step, r, c, ch), `${filter}[${r},${c},${ch}]`];
}

/** The input cell at tap (r, c) of slice `ch` of the step's window, named as its NumPy line
 * names the input: "Xp[2,4,0]" under padding, else "X[2,4,0]". */
export function windowCellName(step, r, c, ch) {
  return `${inputName(step)}[${step.rows[r]},${step.cols[c]},${ch}]`;
}

/** The input as the step's NumPy line names it: "Xp" under padding, else "X". */
const inputName = (step) => (step.expression.includes("Xp[") ? "Xp" : "X");

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
 * What a step's terms add to as shown, rounded to `places` decimals, where that is not its
 * shown value ("-0.16231" beside -0.16233); null where they add up to it (or are whole).
 */
function shownTotal(step, places) {
  if (places === null) return null;
  const units = (v) => Math.round(Number(v.toFixed(places)) * 10 ** places); // as shown
  const sum = [...step.channelSums, step.bias].reduce((total, v) => total + units(v), 0);
  return sum === units(step.pre) ? null : (sum / 10 ** places).toFixed(places);
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
  const adds = shownTotal(step, places) === null;
  let text = `${parts.join(" + ")} + bias (${show(step.bias)}) ${adds ? "=" : "≈"} ${show(step.pre)}`;
  if (activation === "relu") text += `; ReLU(${show(step.pre)}) = ${show(step.post)}`;
  return text;
}

/**
 * The step's NumPy line in words, its title: "V[2,1,0]" and "Xp[4:7,2:5,:]" say row, column
 * and depth by their places alone, which the page said nowhere near the line.
 */
function codeWords(step, model) {
  const { i, j, d } = step;
  // the taps' rows (columns) in the padded input, in order, evenly apart
  const span = (taps) => {
    const by = taps.length > 1 ? taps[1] - taps[0] : 1;
    const first = `${taps[0]} to ${taps.at(-1)}`;
    return by === 1 ? first : `${first} in steps of ${by}`;
  };
  const input = inputName(step) === "Xp" ? "the padded input Xp (X inside its zero padding)"
    : "the input X";
  const depth = model.xp.shape[2];
  const weights = model.conn === "local"
    ? `W[${i},${j},${d}] and b[${i},${j},${d}]: this neuron's own weights and bias`
    : `W${d} and b${d}: filter ${d} and its bias`;
  const stepped = /:\d+:\d/.test(step.expression) ? ", a:b:s every s-th from a" : "";
  return `V[${i},${j},${d}]: the neuron in row ${i}, column ${j} of activation map ${d}. `
    + `Its window: rows ${span(step.rows)} and columns ${span(step.cols)} of ${input}, through `
    + `${depth === 1 ? "its one depth slice" : `all ${depth} depth slices`} (:). ${weights}. `
    + `Indexes are [row, column, depth], from 0; a:b stops before b${stepped}.`;
}

/** The code line's parts with a break allowed after each comma or opening parenthesis (a
 * narrow column then breaks between indexes, never inside one such as "2:5"; <wbr>s do not
 * go into the text a reader copies). */
function breakable(expression) {
  return expression.split(/(?<=[,(])/).flatMap((part, n) => (n ? [el("wbr"), part] : [part]));
}

/** `expression` (the server's code line of a step) as long as any step of `model` can make
 * it: a slice's numbers as many digits as the padded input's larger side, the others (the
 * neuron's indices, the filter's number) as the largest index, and a slice's start, left out
 * when 0, written. Only its room is taken, never shown. */
function longestForm(expression, model) {
  const [hp, wp] = model.xp.shape;
  const [h2, w2, k] = model.outShape;
  const widest = (n) => "9".repeat(String(n).length);
  return expression
    .replace(/(?<=[[,]):(?=\d)/g, "0:")
    .replace(/\d+(?=:)|(?<=:)\d+/g, widest(Math.max(hp, wp)))
    .replace(/(?<![\d:])\d+(?![\d:])/g, widest(Math.max(h2, w2, k) - 1));
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
export function readableCell(model, hall = true) {
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
