// Following the playhead on a phone. The panels are one column there and the window shows
// about one of them, so "the current one in view" means: the panel the reader is on (the one
// they last touched, or else the one that fills most of the window) stays theirs, and as the
// steps advance the page scrolls just enough to keep that panel's current thing between the
// window's top and the fixed transport: the receptive field in the input, the active filter,
// the NumPy line and sums, the current neuron in the output (the block in the 3-D view). The
// panels keep their own scrolled lists in view already (render/fit.js keepInView); this only
// moves the page, never to another panel, never while a finger is down or the reader has just
// scrolled, and never on the first drawing (a link opens where the reader expects: at the top).
// On a wider window the picture is one screen and nothing here runs.
import { $on, qs } from "./dom.js";
import { PHONE } from "./fold.js";

const PANELS = ["input", "filters", "arithmetic", "backward", "output"].map((name) => `#${name}-panel`);
const QUIET_MS = 700; // after the reader's own scroll or touch, the page is theirs this long
const PLAYING_MS = 150; // while playing, measure at most this often: a scroll a frame would shake
const MARGIN = 8; // px kept between the current thing and the band's edges

/** The part of the window the picture can use: from its top to the transport's. */
function band() {
  const transport = qs("#transport")?.getBoundingClientRect();
  return { top: 0, bottom: transport && transport.height ? transport.top : window.innerHeight };
}

const seenIn = (box, outer) => box.top >= outer.top - 1 && box.bottom <= outer.bottom + 1;
const overlap = (box, outer) => Math.max(0, Math.min(box.bottom, outer.bottom) - Math.max(box.top, outer.top));

function union(a, b) {
  if (!a || !b) return a ?? b ?? null;
  const left = Math.min(a.left, b.left);
  const top = Math.min(a.top, b.top);
  return new DOMRect(left, top, Math.max(a.right, b.right) - left, Math.max(a.bottom, b.bottom) - top);
}

const rectOf = (node) => {
  const rect = node?.getBoundingClientRect();
  return rect && rect.width > 0 && rect.height > 0 ? rect : null;
};

/**
 * Where the current thing of `panel` is on screen: `boxes`, any one of which showing is enough
 * (the field is outlined on every depth slice), best first, and `clip`, the box that cuts them
 * (a grid's scrolling panel body, else the panel).
 */
function targetsOf(panel, views, focus, depth) {
  const name = panel.id.replace("-panel", "");
  const body = rectOf(panel.querySelector(".panel-body"));
  const whole = rectOf(panel);
  const block = panel.querySelector(".volume3d:not([hidden]) canvas");
  if (block && (name === "input" || name === "output")) return { boxes: [rectOf(block)], clip: whole };
  const step = focus.step;
  const p = focus.position;
  if (name === "input" && step?.taps?.length) {
    const [r0, c0] = step.taps[0];
    const [r1, c1] = step.taps[step.taps.length - 1];
    const boxes = [];
    for (let ch = 0; ch < depth; ch += 1) {
      boxes.push(union(views.input.box(r0, c0, ch), views.input.box(r1, c1, ch)));
    }
    return { boxes, clip: body };
  }
  if (name === "filters" && p) return { boxes: [views.filters.filterBox?.(p.d)], clip: body };
  if (name === "output" && p) return { boxes: [views.output.box(p.i, p.j, p.d)], clip: body };
  if (name === "arithmetic") return { boxes: [union(rectOf(qs("#numpy-line")), rectOf(qs("#sums")))], clip: whole };
  if (name === "backward") return { boxes: [rectOf(qs("#backward-step"))], clip: whole };
  return { boxes: [], clip: whole };
}

/**
 * The follower, as an overlay of main.js (`views()` returns the panels' views, `model()` the
 * layer's): update(focus, state, playback) after every render.
 */
export function createFollow({ views, model }) {
  const phone = window.matchMedia(PHONE);
  let current = null; // the panel the reader is on; null: the one filling most of the band
  let lastT = null;
  let quietUntil = 0;
  let fingers = 0;
  let ownY = null; // where the page's own last scroll left it
  let looked = 0; // when the page last measured where the current thing is
  let wasPlaying = false;

  const readerMoved = () => {
    quietUntil = performance.now() + QUIET_MS;
    current = null;
  };
  $on(window, "scroll", () => {
    if (ownY !== null && Math.abs(window.scrollY - ownY) < 1) return;
    ownY = null;
    readerMoved();
  }, { passive: true });
  $on(window, "wheel", readerMoved, { passive: true });
  // a tap is no scroll (a flick's glide afterwards is, through its scroll events)
  for (const type of ["touchstart", "touchend", "touchcancel"]) {
    $on(window, type, (event) => { fingers = event.touches.length; }, { passive: true });
  }
  // a touch or click in a panel makes it the reader's
  $on(document, "pointerdown", (event) => {
    const panel = event.target instanceof Element ? event.target.closest(PANELS.join(", ")) : null;
    if (panel) current = panel;
  }, { capture: true, passive: true });

  function pick(area) {
    let best = null;
    let most = 0;
    for (const selector of PANELS) {
      const panel = qs(selector);
      const rect = panel && !panel.hidden ? rectOf(panel) : null;
      const seen = rect ? overlap(rect, area) : 0;
      if (seen > most) [best, most] = [panel, seen];
    }
    return best;
  }

  return {
    update(focus, state, playback) {
      const t = state.t;
      // a step, or the player stopping (its last steps may have come between two looks)
      const moved = (lastT !== null && t !== lastT) || (wasPlaying && !playback.playing);
      lastT = t;
      wasPlaying = playback.playing;
      const v = views();
      if (!moved || !v || !phone.matches || state.pin || fingers > 0) return;
      const now = performance.now();
      if (now < quietUntil || (playback.playing && now - looked < PLAYING_MS)) return;
      looked = now;
      const area = band();
      if (!current || current.hidden) current = pick(area);
      if (!current) return;
      const { boxes, clip } = targetsOf(current, v, focus, model()?.xp.shape[2] ?? 0);
      // what the panel itself shows, not scrolled away inside it (a deep input's slices scroll there)
      const shown = boxes.filter((box) => box && (!clip || overlap(box, clip) >= Math.min(box.height, clip.height) - 1));
      if (!shown.length || shown.some((box) => seenIn(box, area))) return;
      const box = shown[0];
      let dy = 0;
      if (box.bottom > area.bottom - MARGIN) dy = box.bottom - (area.bottom - MARGIN);
      // never past its top: a box taller than the band shows from its top
      dy = Math.min(dy, box.top - (area.top + MARGIN));
      if (box.top < area.top + MARGIN) dy = box.top - (area.top + MARGIN);
      if (Math.abs(dy) < 1) return;
      window.scrollBy({ top: dy, behavior: "instant" });
      ownY = window.scrollY;
    },
  };
}
