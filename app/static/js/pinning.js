// Pinning: the one way a click, a tap or a key pins a neuron or an input cell, lets it go, and
// says so (the transport's label shows the pin but is not read out).
import { announce } from "./dom.js";
import { pinName, pinText } from "./focus.js";

/** `pin(target)`, `unpin()` and `toggle(target)` over the page's state, through `commit`. */
export function createPinning(app, commit) {
  const pin = (target) => {
    // pinned already: said again, not committed again (a second history entry)
    if (app.state.pin !== pinText(target)) commit({ pin: pinText(target) });
    announce(`Pinned ${pinName(target)}`);
  };
  const unpin = () => {
    if (!app.state.pin) return; // nothing pinned: nothing to commit, or Back would seem to do nothing once
    commit({ pin: "" });
    announce("Unpinned");
  };
  const toggle = (target) => (app.state.pin === pinText(target) ? unpin() : pin(target));
  return { pin, unpin, toggle };
}
