// The geometry bar: the notes' formula per axis with the server's numbers, green or red, the
// server's explanation and its suggestions as buttons; and the neuron/parameter counts.
import { clear, el, qs, thousands } from "../dom.js";

/**
 * Draw `answer` (the /api/geometry reply: `height`/`width` null only when the layer is invalid
 * before any axis is worked out, `error` a {field, message} or null). `onSuggestion(suggestion)`
 * is called when a suggestion button is pressed; this function itself changes nothing.
 */
export function renderGeometry(answer, onSuggestion) {
  const bar = qs("#geometry-bar");
  bar.dataset.fits = answer.valid && answer.fits ? "yes" : "no";
  for (const axis of ["height", "width"]) {
    const node = qs(`#geometry-${axis}`);
    const info = answer[axis];
    const letter = axis === "height" ? "H" : "W";
    node.textContent = info?.arithmetic
      ? `${axis} (${letter}2): ${info.arithmetic}${outcome(info)}`
      : `${axis}: —`;
    node.dataset.fits = info && !info.fits ? "no" : "yes";
  }
  const explain = qs("#geometry-explain");
  explain.textContent = [answer.error?.message, ...answer.notes].filter(Boolean).join(" ");
  const box = qs("#geometry-suggestions");
  clear(box);
  for (const suggestion of answer.suggestions) {
    const button = el("button", "suggestion", suggestion.text);
    button.type = "button";
    button.addEventListener("click", () => onSuggestion(suggestion));
    box.append(button);
  }
  renderCounts(answer.counts);
}

function outcome(info) {
  if (info.fits) return " ✓";
  if (info.output) return ` → ${info.output} used`;
  return " ✗ not an integer";
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
