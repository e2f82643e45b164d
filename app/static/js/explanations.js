// The panels' explanations: shown until the reader hides them with the panel's "?" button, and
// kept hidden on the next visit (localStorage, not the URL: it is the reader's habit, not the
// view a link shares). The same button shows them again.
import { $on, qsa } from "./dom.js";

const KEY = "convscope:explanations-hidden";

function hiddenSet() {
  try {
    return new Set(JSON.parse(localStorage.getItem(KEY) ?? "[]"));
  } catch {
    return new Set(); // storage refused (private mode) or unreadable: show everything
  }
}

function save(hidden) {
  try {
    localStorage.setItem(KEY, JSON.stringify([...hidden]));
  } catch {
    // nothing to do: the choice then lasts this visit only
  }
}

/** Wire every `.explain-toggle` (aria-controls names its explanation) and apply the saved choice. */
export function bindExplanations() {
  const hidden = hiddenSet();
  for (const button of qsa(".explain-toggle")) {
    const id = button.getAttribute("aria-controls");
    const text = document.getElementById(id);
    if (!text) continue;
    const show = (on) => {
      text.hidden = !on;
      button.setAttribute("aria-expanded", on ? "true" : "false");
      button.setAttribute("aria-label", `${on ? "Hide" : "Show"} the explanation of ${button.dataset.about}`);
    };
    show(!hidden.has(id));
    $on(button, "click", () => {
      const on = text.hidden;
      show(on);
      if (on) hidden.delete(id);
      else hidden.add(id);
      save(hidden);
      // the panels' room changed: views that size themselves to it hear a resize
      window.dispatchEvent(new Event("resize"));
    });
  }
}
