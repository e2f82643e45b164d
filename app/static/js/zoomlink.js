// The zoom of the big volumes in the link: how far in from the whole volume the input's and
// the output's viewports are ("i4_o8": a comma would be escaped in the link), so a shared
// view opens zoomed as it was. Where they look is not kept: it follows the playhead or the
// pinned neuron, as it does when zooming by hand, so the link's step is what the view shows.
import { FORMS } from "./state.js";

const VOLUMES = { i: "input", o: "output" };

/** The zoom text of `views`' viewports ("" when every volume shows whole). */
function zoomText(views) {
  const parts = [];
  for (const [key, name] of Object.entries(VOLUMES)) {
    const view = views[name]?.viewport;
    if (view && view.factor > 1.01) parts.push(`${key}${Number(view.factor.toFixed(2))}`);
  }
  return parts.join("_");
}

/** Zoom `views`' viewports as `text` says; parts it cannot read, or volumes drawn whole
 * (small layers have no viewport), are left alone, unless `whole`: then a volume `text` does
 * not name goes back to whole (Back to an entry whose link had no zoom for it). Where they
 * look is the next render's: it follows the entry's field or neuron (not the region a
 * viewport followed last: on Back, that is the entry left's). */
export function applyZoom(views, text, { whole = false } = {}) {
  const factors = factorsOf(text);
  for (const [key, name] of Object.entries(VOLUMES)) {
    const view = views[name]?.viewport;
    const factor = factors[key] ?? (whole ? 1 : null);
    if (!view || factor === null || Math.abs(factor - view.factor) < 0.005) continue;
    view.zoomAt(factor / view.factor);
  }
}

/** The factors a zoom text names, by volume letter ({i: 4, o: 8}). */
function factorsOf(text) {
  const factors = {};
  for (const part of FORMS.zoom[0].test(text || "") ? text.split("_") : []) {
    const m = /^([io])(\d+(?:\.\d+)?)$/.exec(part);
    if (m) factors[m[1]] = Number(m[2]);
  }
  return factors;
}

/** The volumes zoom `text` names that `views` draw whole (no viewport: small layers), by
 * name, and the text without them: such a part does nothing, and kept it would ride in every
 * link copied from the view. */
export function zoomOfViews(views, text) {
  const factors = factorsOf(text);
  const whole = Object.keys(factors).filter((key) => !views[VOLUMES[key]]?.viewport);
  const kept = Object.entries(factors).filter(([key]) => !whole.includes(key));
  return { whole: whole.map((key) => VOLUMES[key]), kept: kept.map(([key, f]) => `${key}${f}`).join("_") };
}

/** Call `onZoom(text)` once a zoom of `views`' viewports has settled (pans that keep the
 * zoom give the same text). */
export function watchZoom(views, onZoom) {
  let timer = 0;
  for (const name of Object.values(VOLUMES)) {
    views[name]?.viewport?.onChange(() => {
      clearTimeout(timer);
      timer = setTimeout(() => onZoom(zoomText(views)), 250);
    });
  }
}
