// The address bar follows the state: a new history entry for a change a person makes, the same
// entry rewritten while playing or scrubbing. Rewrites land at most 4 times a second: browsers
// throttle (and warn about) hundreds of history calls a second, and the address needs only the
// last of a burst.
import { toQuery } from "./url.js";

let timer = null;
let pending = null;
// The entry's address before a gesture's previews (the scrubber dragged, or moved by its keys)
// rewrote it: the entry the gesture's end leaves keeps it. Written into the entry instead, the
// gesture's last preview made the new entry's address the old one's, so none was pushed and
// Back left the page.
let beforeGesture = null;

/**
 * Show `state` in the address bar: push a history entry, unless `how` is "replace" (playback:
 * the entry rewritten, and left with its latest state) or "preview" (a gesture under way: the
 * entry rewritten until the gesture's push, which gives it its address from before back).
 */
export function writeUrl(state, how) {
  // An embedded frame's entries would join the host page's history (its Back button would
  // step the frame), so a frame only ever rewrites its one entry.
  if (how !== "replace" && how !== "preview" && !state.embed) {
    if (beforeGesture !== null) {
      const back = beforeGesture;
      dropPendingUrl();
      history.replaceState(history.state, "", back);
    } else {
      flushUrl(); // the entry being left keeps its own latest state
    }
    const query = toQuery(state);
    // the view already shown (a step asked for twice, First at the first step): a second
    // entry would make Back seem to do nothing
    if (query !== location.search) history.pushState(entryOf(state), "", query);
    return;
  }
  if (how === "preview") beforeGesture ??= pending ? toQuery(pending) : location.search;
  else beforeGesture = null; // the entry itself moved on (playback): its latest is its own
  pending = state;
  if (timer === null) timer = setTimeout(flushUrl, 250);
}

/** What an entry keeps beside its address: which of the tab's uploads it shows (a link cannot
 * carry one; images.js). */
export const entryOf = (state) => ({ upload: state.upload ?? null });

/** Write a batched replace now. */
function flushUrl() {
  clearTimeout(timer);
  timer = null;
  if (pending) history.replaceState(entryOf(pending), "", toQuery(pending));
  pending = null;
}

/** Forget a batched replace: after back/forward it belongs to the entry just left, not this one. */
export function dropPendingUrl() {
  clearTimeout(timer);
  timer = null;
  pending = null;
  beforeGesture = null;
}
