// The geometry bar: the notes' formula per axis with the server's numbers, green, amber (a
// fit policy made the layer) or red, the
// server's explanation and its suggestions as buttons; and the neuron/parameter counts.
import { clear, el, equalsText, qs, thousands } from "../dom.js";
import { pageWords } from "../spec.js";
import { PHONE } from "../fold.js";

/**
 * Draw `answer` (the /api/geometry reply: `height`/`width` null only when the layer is invalid
 * before any axis is worked out, `error` a {field, message} or null). `onSuggestion(suggestion)`
 * is called when a suggestion button is pressed; this function itself changes nothing. Only
 * the suggestions `usable(suggestion)` allows get a button.
 */
export function renderGeometry(answer, onSuggestion, usable = () => true) {
  const bar = qs("#geometry-bar");
  // "policy": the formula is not whole, but a fit policy makes the layer (it draws): told
  // apart from a refused layer's red
  const policy = answer.valid && !answer.fits;
  bar.dataset.fits = answer.valid && answer.fits ? "yes" : policy ? "policy" : "no";
  for (const axis of ["height", "width"]) {
    const node = qs(`#geometry-${axis}`);
    const info = answer[axis];
    const letter = axis === "height" ? "H" : "W";
    node.textContent = info?.arithmetic
      ? `${axis} (${letter}2): ${info.arithmetic}${outcome(info)}`
      : `${axis}: —`;
    node.dataset.fits = info && !info.fits ? (policy ? "policy" : "no") : "yes";
  }
  const explain = qs("#geometry-explain");
  explain.textContent = [answer.error?.message, ...answer.notes].filter(Boolean).map((text) => sentence(pageWords(text))).join(" ");
  const box = qs("#geometry-suggestions");
  clear(box);
  for (const suggestion of answer.suggestions.filter(usable)) {
    const button = el("button", "suggestion", suggestionLabel(suggestion));
    button.type = "button";
    if (suggestion.limit) {
      button.classList.add("over-limit");
      button.title = suggestion.text; // the limit in the server's words, its setting named
    }
    button.addEventListener("click", () => {
      // the button goes with the misfit: the focus waits on the bar, which then reads the
      // layer that fits (on <body> the next Space would play it)
      if (button.contains(document.activeElement)) bar.focus();
      onSuggestion(suggestion);
    });
    box.append(button);
  }
  renderCounts(answer.counts, answer.output_shape);
}

/**
 * A suggestion's words on its button: a change this server would refuse once applied says so
 * in a few words, where the server's text names the budget and its setting ("over this
 * server's work budget of 5,000,000,000, CONVSCOPE_MAX_WORK"), a figure and a name a student
 * cannot act on, said again on every such button (nine of them for a 2048x2048 input); the
 * title keeps them whole.
 */
function suggestionLabel({ text, limit_words: words }) {
  return words ? text.replace(` (${words})`, " (too big for this server)") : text;
}

/**
 * A short note for the control a misfit blames: the failing axes' outputs, pointing to the
 * geometry bar, which holds the whole explanation (repeating it beside the control showed the
 * same long message twice on one screen); `embedded`, to the full page, where the bar is.
 */
export function misfitSummary(answer, embedded = false) {
  const failing = ["height", "width"]
    .map((axis) => [axis === "height" ? "H2" : "W2", answer[axis]])
    .filter(([, info]) => info && !info.fits && info.exact !== null && info.exact !== undefined);
  if (failing.length === 0) return answer.error.message;
  const outputs = failing.map(([name, info]) => `${name} ${equalsText(info.exact)}`).join(", ");
  const where = embedded ? "the full page (ConvScope ↗) says" : "the formula bar says";
  return `${outputs}: the layer does not fit; ${where} why and what would fit`;
}

/** The server's message and notes are clauses; on the bar they read one after another. */
function sentence(text) {
  const capital = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

function outcome(info) {
  if (info.fits) return " ✓";
  if (info.output) return ` → ${info.output} used`;
  // below one (a whole number or not): the filter spans more than the padded input
  return info.exact < 1 ? " ✗ no window fits" : " ✗ not an integer";
}

function renderCounts(counts, outputShape) {
  const set = (id, value) => {
    qs(id).textContent = value === undefined || value === null ? "—" : thousands(value);
  };
  // from the geometry as the other counts are: a layer refused after it kept the last
  // drawn layer's output size beside the new layer's neurons
  qs("#count-output").textContent = outputShape ? outputShape.join(" x ") : "—";
  set("#count-neurons", counts?.neurons);
  set("#count-weights", counts?.weights_per_neuron);
  set("#count-madds", counts?.multiply_adds);
  set("#count-unique", counts?.weights_shared);
  set("#count-shared", counts?.parameters_shared);
  set("#count-local", counts?.parameters_local);
  fitCounts();
}

/** Fit the counts again whenever their row's width changes: a scrollbar that comes with the
 * panels changes it without resizing the window (at 1024 px the row then took two lines). */
export function watchCounts() {
  let width = 0;
  new ResizeObserver(([entry]) => {
    const now = Math.round(entry.contentRect.width);
    if (now === width) return; // its height changes as it fits itself: not a new room
    width = now;
    fitCounts();
  }).observe(qs(".counts"));
}

/**
 * The counts kept to one line, but on a phone (at 1024 px the multiply-adds took them two, and the panels a
 * line less). In large type they grow with the page where the row still keeps one line (at
 * 1920 px: the notes' AlexNet numbers are what a hall is shown, and were the smallest text on
 * the screen), and keep the page's normal type where it would not. The multiply-adds, the one
 * count the notes do not list, shows only where the row has room for it too; the answer's
 * `counts.multiply_adds` has it everywhere.
 */
export function fitCounts() {
  const row = qs(".counts");
  const item = qs("#count-madds").parentElement;
  const top = (node) => node.getBoundingClientRect().top;
  // on a phone the row wraps (css/phone.css): every count shows, in the page's normal type
  const phone = window.matchMedia(PHONE).matches;
  const wraps = () => {
    if (phone) return false;
    const shown = [...row.children].filter((node) => !node.hidden);
    return shown.length > 1 && top(shown.at(-1)) > top(shown[0]) + 1;
  };
  // grow: 1 the large type, 0 the page's normal type, between them a share of the way
  const fit = (grow) => {
    row.classList.toggle("grown", grow === 1);
    row.style.fontSize = grow > 0 && grow < 1 ? `calc(0.78rem * (${grow} + ${1 - grow} / var(--type-scale)))` : "";
    item.hidden = false;
    if (!wraps()) return true;
    item.hidden = true;
    if (!wraps()) return true;
    item.hidden = false; // the row wraps all the same: hidden for nothing
    return false;
  };
  // At 1280 px AlexNet's counts took two lines grown, and the normal type was the smallest
  // text on a projected screen: the largest share of the way that keeps one line (found in
  // five halvings; the multiply-adds, which the notes do not list, give way first)
  if (phone || !document.documentElement.hasAttribute("data-large")) {
    fit(0);
    return;
  }
  if (fit(1)) return;
  let [low, high] = [0, 1];
  for (let n = 0; n < 5; n += 1) {
    const grow = (low + high) / 2;
    if (fit(grow)) low = grow;
    else high = grow;
  }
  fit(low);
}
