// The geometry bar: the notes' formula per axis with the server's numbers, green or red, the
// server's explanation and its suggestions as buttons; and the neuron/parameter counts.
import { clear, el, qs, thousands } from "../dom.js";

/**
 * Draw `answer` (the /api/geometry reply). `onSuggestion(suggestion)` is called when a
 * suggestion button is pressed; this function itself changes nothing.
 */
export function renderGeometry(answer, onSuggestion) {
  const bar = qs("#geometry-bar");
  const axes = answer.axes ?? answer;
  const fits = Boolean(answer.valid !== false && answer.fits !== false);
  bar.dataset.fits = fits ? "yes" : "no";
  for (const axis of ["height", "width"]) {
    const node = qs(`#geometry-${axis}`);
    const info = axes[axis];
    const letter = axis === "height" ? "H" : "W";
    node.textContent = info?.arithmetic
      ? `${axis} (${letter}2): ${info.arithmetic}${outcome(info)}`
      : `${axis}: —`;
    node.dataset.fits = info && info.fits === false ? "no" : "yes";
  }
  const explain = qs("#geometry-explain");
  const reasons = [];
  if (answer.error) reasons.push(errorText(answer.error));
  for (const note of answer.notes ?? []) reasons.push(note);
  explain.textContent = reasons.join(" ");
  const box = qs("#geometry-suggestions");
  clear(box);
  for (const suggestion of answer.suggestions ?? []) {
    const button = el("button", "suggestion", suggestion.text);
    button.type = "button";
    button.addEventListener("click", () => onSuggestion(suggestion));
    box.append(button);
  }
  renderCounts(answer.counts);
}

function outcome(info) {
  if (info.fits !== false) return " ✓";
  if (info.output) return ` → ${info.output} used`;
  return " ✗ not an integer";
}

function errorText(error) {
  if (typeof error === "string") return error;
  if (Array.isArray(error)) return error.map((d) => d.msg).join(" ");
  return error.message ?? error.msg ?? JSON.stringify(error);
}

function renderCounts(counts) {
  const set = (id, value) => {
    qs(id).textContent = value === undefined || value === null ? "—" : thousands(value);
  };
  set("#count-neurons", counts?.neurons);
  set("#count-weights", counts?.weights_per_neuron);
  set("#count-shared", counts?.parameters_shared);
  set("#count-local", counts?.parameters_local);
}
