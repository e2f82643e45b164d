// The transport on a phone: fixed at the bottom of the window, it must leave the picture most of
// an 844 px screen, so it keeps two rows (the step's label; back, play, forward, the scrubber)
// and folds the rest (first, last, speed, loop and the view tools) behind a "More" button. The
// button exists only while the phone layout applies: on a wider window everything is in one
// strip and there is nothing to unfold. The transport's height is published as the CSS
// variable --transport-height, which the phone layout pads the page's bottom with, so nothing
// ever lies hidden under it (and follow.js keeps the current neuron above it).
import { $on, el, qs } from "./dom.js";

/** The windows that get the one-column phone layout, a phone held either way (convscope.css says the same). */
export const PHONE = "(max-width: 760px), (max-height: 460px)";

const FOLDED = ["t-first", "t-last", "t-speed", "t-loop", "view-tools"];

/** Fold the transport's extra controls behind a "More" button while `PHONE` matches. */
export function bindFold() {
  const transport = qs("#transport");
  const phone = window.matchMedia(PHONE);
  const toggle = el("button", "fold-toggle", "More");
  toggle.type = "button";
  toggle.id = "t-more";
  toggle.title = "First and last step, speed, loop, and the view and sharing tools";
  toggle.setAttribute("aria-label", "More step and view controls");
  toggle.setAttribute("aria-controls", FOLDED.join(" "));
  const fold = (folded) => {
    transport.classList.toggle("folded", folded);
    toggle.setAttribute("aria-expanded", folded ? "false" : "true");
  };
  $on(toggle, "click", () => fold(!transport.classList.contains("folded")));
  const sync = () => {
    if (phone.matches) {
      // after the scrubber: the reading (and Tab) order of the row it ends
      qs("#t-scrub").after(toggle);
      fold(true);
    } else {
      toggle.remove();
      transport.classList.remove("folded");
    }
  };
  $on(phone, "change", sync);
  sync();
  const root = document.documentElement;
  new ResizeObserver(() => {
    root.style.setProperty("--transport-height", `${Math.ceil(transport.getBoundingClientRect().height)}px`);
  }).observe(transport);
}
