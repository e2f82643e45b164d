// The settings drawer: the controls that are not in the strip, one click away. It opens from its
// toggle (a button, so Enter and Space work) and closes from its Close button or Escape; focus
// goes into it on opening and back to where it came from (the toggle, or a button that opened
// it at a cell) on closing, so a keyboard never gets lost.
import { $on, qs } from "./dom.js";
import { PHONE } from "./fold.js";

const FOCUSABLE = "input, select, textarea, button, a[href]";
let opener = null; // the element that had the focus when the drawer opened

/** True while the drawer is open. */
export function drawerOpen() {
  return !qs("#drawer").hidden;
}

/** Open the drawer; `focus` (an element inside it) gets the focus, else its first control. */
export function openDrawer(focus = null) {
  const drawer = qs("#drawer");
  if (drawer.hidden) opener = drawer.contains(document.activeElement) ? null : document.activeElement;
  drawer.hidden = false;
  qs("#drawer-toggle").setAttribute("aria-expanded", "true");
  qs("#drawer-toggle").removeAttribute("data-alert");
  // its first field, or on a phone its Close button: focusing a field there raises the
  // on-screen keyboard over a drawer that is only being looked at
  const first = window.matchMedia(PHONE).matches ? qs("#drawer-close")
    : drawer.querySelector(`fieldset :is(${FOCUSABLE})`);
  (focus ?? first)?.focus();
}

/** Close the drawer and give the focus back to its toggle (unless `keepFocus`: the focus is
 * on its way somewhere else). */
export function closeDrawer({ keepFocus = false } = {}) {
  const drawer = qs("#drawer");
  if (drawer.hidden) return;
  const inside = drawer.contains(document.activeElement);
  drawer.hidden = true;
  qs("#drawer-toggle").setAttribute("aria-expanded", "false");
  if (keepFocus || !(inside || document.activeElement === document.body)) return;
  // back to the button that opened it, while it can still take the focus
  const back = opener?.isConnected && opener.offsetParent !== null ? opener : qs("#drawer-toggle");
  opener = null;
  back.focus();
}

/** Wire the toggle, the Close button and Escape. */
export function bindDrawer() {
  $on(qs("#drawer-toggle"), "click", () => (drawerOpen() ? closeDrawer() : openDrawer()));
  $on(qs("#drawer-close"), "click", closeDrawer);
  $on(qs("#drawer"), "keydown", (event) => {
    if (event.key !== "Escape") return;
    // the document's Escape (unpin) is for the picture, not for a reader leaving the drawer
    event.stopPropagation();
    closeDrawer();
  });
  // The drawer lies over the panels' right side (a phone's whole width): focus Tabbed out of
  // it would land on controls it hides, so it closes as the focus leaves, from the drawer or
  // from its toggle. It stays open for the toggle only where the toggle shows beside it.
  const leaving = (event) => {
    const next = event.relatedTarget;
    if (!drawerOpen() || !(next instanceof Element) || qs("#drawer").contains(next)) return;
    if (next.id === "drawer-toggle" && !covered(next)) return;
    closeDrawer({ keepFocus: true });
  };
  $on(qs("#drawer"), "focusout", leaving);
  $on(qs("#drawer-toggle"), "focusout", leaving);
}

/** True where the open drawer lies over some of `element`. */
function covered(element) {
  const over = qs("#drawer").getBoundingClientRect();
  const box = element.getBoundingClientRect();
  return box.right > over.left && box.left < over.right && box.bottom > over.top && box.top < over.bottom;
}

/**
 * Say on the toggle that a message waits in the closed drawer (a refusal shown beside a
 * control the strip does not hold), so it is not missed.
 */
export function flagDrawer(slot) {
  if (!drawerOpen() && qs("#drawer").contains(slot)) qs("#drawer-toggle").dataset.alert = "yes";
}
