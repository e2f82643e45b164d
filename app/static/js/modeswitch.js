// The backward pass one press away: a toggle in #view-tools beside the 3-D view's that
// commits {mode}. A student looking for the gradients found them only at the foot of the
// settings drawer, a scroll below a 720 px window.
import { el, qs } from "./dom.js";

/** The toggle as an overlay of main.js (see there): update and clear keep it pressed while
 * the state is in backward mode. */
export function createModeSwitch({ commit, getState }) {
  const toggle = el("button", "view-toggle", "Backward");
  toggle.type = "button";
  toggle.id = "mode-backward";
  toggle.title = "Show the backward pass: dW, db, dV and dX (the settings' Mode)";
  const sync = () => toggle.setAttribute("aria-pressed", getState()?.mode === "backward" ? "true" : "false");
  sync();
  toggle.addEventListener("click", () => {
    commit({ mode: getState().mode === "backward" ? "forward" : "backward" });
    sync(); // said at once: a layer that does not fit renders no update
  });
  qs("#view-tools")?.append(toggle);
  return { update: sync, clear: sync };
}
