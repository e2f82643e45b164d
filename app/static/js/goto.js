// "Go to": the transport's box where a reader types the step, the neuron or the input cell to
// show. On AlexNet conv1's 290,400 steps the scrubber moves hundreds of steps a pixel and the
// keys one neuron at a time; a typed V[10,20,5] goes there at once.
import { $on, announce, qs, thousands } from "./dom.js";
import { pinFits, pinName, stepOf } from "./focus.js";

const NUMBER = String.raw`(\d{1,3}(?:,\d{3})+|\d+)`; // thousands separated as the label writes them
// "step 9" as the label says it (not "t": a link's t counts from 0, the label from 1)
const STEP = new RegExp(String.raw`^(?:step)?${NUMBER}$`, "i");
const NEURON = /^v[[(]?(\d+),(\d+),(\d+)[\])]?$/i;
const CELL = /^x[[(]?(\d+),(\d+)(?:,(\d+|:))?[\])]?$/i;

/**
 * What `text` asks of `model` (its outShape, inputShape and total steps) in `order`: a step as
 * the transport counts them (1 to total, "15,696" or "15696"), a neuron V[i,j,d] or an input
 * cell X[row,col] (or X[row,col,:], X[row,col,d]). Returns {t} (0-based) for a step or a
 * neuron (the neuron's step), {target} for an input cell (it is pinned: no step shows a cell
 * alone), or {error} saying what is wrong and what would do.
 */
export function readGoto(text, model, order) {
  const typed = text.replace(/\s+/g, "");
  const [h2, w2, k] = model.outShape;
  const [h, w, depth] = model.inputShape;
  const ask = `Type a step (1 to ${thousands(model.total)}), a neuron V[i,j,d] or an input cell X[row,col]`;
  if (!typed) return { error: ask };
  let m = STEP.exec(typed);
  if (m) {
    const n = Number(m[1].replaceAll(",", ""));
    if (n >= 1 && n <= model.total) return { t: n - 1 };
    return { error: `There is no step ${thousands(n)}: this layer's steps run from 1 to ${thousands(model.total)}` };
  }
  m = NEURON.exec(typed);
  if (m) {
    const [i, j, d] = m.slice(1).map(Number);
    const target = { kind: "output", i, j, d };
    if (!pinFits(target, model)) {
      return { error: `${pinName(target)} is outside the output volume ${h2}x${w2}x${k} (i 0 to ${h2 - 1}, j 0 to ${w2 - 1}, d 0 to ${k - 1})` };
    }
    return { t: stepOf(model.outShape, order, i, j, d), target };
  }
  m = CELL.exec(typed);
  if (m) {
    const target = { kind: "input", row: Number(m[1]), col: Number(m[2]) };
    const slice = m[3] === undefined || m[3] === ":" ? 0 : Number(m[3]);
    if (!pinFits(target, model) || slice >= depth) {
      const name = `X[${m[1]},${m[2]}${m[3] === undefined ? "" : `,${m[3]}`}]`;
      return { error: `${name} is outside the input volume ${h}x${w}x${depth} (rows 0 to ${h - 1}, columns 0 to ${w - 1}, depth 0 to ${depth - 1})` };
    }
    return { target };
  }
  return { error: ask };
}

/**
 * Wire the box (#t-goto) to the page: `toStep(t, target)` moves the playhead (to a neuron's
 * step when `target` is one), `pinning.pin(target)` pins an input cell. A wrong entry is
 * refused in the box's own message and the entry stays, to be corrected.
 */
export function bindGoto(app, { toStep, pinning }) {
  const form = qs("#t-goto");
  const input = qs("#t-goto-input");
  const refuse = (message) => {
    input.setCustomValidity(message);
    input.setAttribute("aria-invalid", "true");
    input.reportValidity(); // the browser's bubble, gone in seconds: said aloud as well
    announce(message);
  };
  $on(input, "input", () => {
    input.setCustomValidity("");
    input.removeAttribute("aria-invalid");
  });
  // Escape gives the keys back to the page (Space plays, arrows step), as the box holds
  // them while it has the focus: to the arithmetic panel, as "Step to it" does (a blur left
  // the focus on the body, where a screen reader has nothing to say)
  $on(input, "keydown", (event) => {
    if (event.key !== "Escape") return;
    qs("#arithmetic-panel").focus({ preventScroll: true });
    if (document.activeElement === input) input.blur(); // the panel not shown (an embed's)
  });
  $on(form, "submit", (event) => {
    event.preventDefault();
    // a new layer on its way: read against the one drawn, V[54,54,95] was "outside the
    // output volume 3x3x2" while AlexNet loaded
    if (!app.model || qs("#app").getAttribute("aria-busy") === "true") return refuse("The layer is still loading: try again once it is drawn");
    if (app.unfit) return refuse("This layer has no steps: it does not fit");
    const asked = readGoto(input.value, app.model, app.state.order);
    if (asked.error) return refuse(asked.error);
    input.setCustomValidity("");
    input.removeAttribute("aria-invalid");
    if (asked.t === undefined) pinning.pin(asked.target);
    else toStep(asked.t, asked.target ?? null);
    input.select(); // the next entry replaces this one; Escape returns to the player
  });
}
