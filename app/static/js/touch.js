// Touch on phones: a horizontal swipe across the transport steps (left: the next step, as a
// page turns; right: the one before). Taps on its buttons are ordinary clicks, pinching a
// zoomable volume is render/pointer.js's, and a tap on a cell pins it through the same click
// path as a mouse.
import { $on } from "./dom.js";

const MIN_SWIPE = 40; // CSS px: shorter moves are taps or wobbles
const NOT_FROM = 'input[type="range"], select, input[type="number"], input[type="text"], textarea';

/** Call `step(+1)` or `step(-1)` when a finger swipes left or right across `area`. */
export function bindSwipe(area, step) {
  // vertical moves still scroll the page; horizontal ones come here instead of panning
  area.style.touchAction = "pan-y";
  let start = null;
  $on(area, "pointerdown", (event) => {
    const fromControl = event.target instanceof Element && event.target.closest(NOT_FROM);
    start = event.pointerType === "touch" && event.isPrimary && !fromControl ? [event.clientX, event.clientY] : null;
  });
  $on(area, "pointercancel", () => {
    start = null;
  });
  $on(area, "pointerup", (event) => {
    if (!start || !event.isPrimary) return;
    const dx = event.clientX - start[0];
    const dy = event.clientY - start[1];
    start = null;
    if (Math.abs(dx) >= MIN_SWIPE && Math.abs(dx) > 2 * Math.abs(dy)) step(dx < 0 ? 1 : -1);
  });
}
