// The address bar follows the state: a new history entry for a change a person makes, the same
// entry rewritten while playing or scrubbing. Rewrites land at most 4 times a second: browsers
// throttle (and warn about) hundreds of history calls a second, and the address needs only the
// last of a burst.
import { toQuery } from "./url.js";

let timer = null;
let pending = null;

/** Show `state` in the address bar: push a history entry unless `how` is "replace". */
export function writeUrl(state, how) {
  // An embedded frame's entries would join the host page's history (its Back button would
  // step the frame), so a frame only ever rewrites its one entry.
  if (how !== "replace" && !state.embed) {
    flushUrl(); // the entry being left keeps its own latest state
    const query = toQuery(state);
    // the view already shown (a step asked for twice, First at the first step): a second
    // entry would make Back seem to do nothing
    if (query !== location.search) history.pushState(null, "", query);
    return;
  }
  pending = state;
  if (timer === null) timer = setTimeout(flushUrl, 250);
}

/** Write a batched replace now. */
function flushUrl() {
  clearTimeout(timer);
  timer = null;
  if (pending) history.replaceState(null, "", toQuery(pending));
  pending = null;
}

/** Forget a batched replace: after back/forward it belongs to the entry just left, not this one. */
export function dropPendingUrl() {
  clearTimeout(timer);
  timer = null;
  pending = null;
}
