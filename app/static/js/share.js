// Sharing tools in the transport's #view-tools: copy the view's link, copy an iframe snippet of
// it, copy the view as a REST call, fullscreen, and (in an embedded frame) a link out to the
// full page.
import { $on, el, qs } from "./dom.js";
import { toQuery } from "./url.js";
import { curlCommand, inverseCall, overPreset, stepsCall } from "./apicall.js";
import { pinFits, pinTarget } from "./focus.js";

// The snippet's size: the demo's four panels whole, none scrolling (at 960 wide the input's
// third slice and the products' last were under their panels' feet); a host page changes
// it freely.
const EMBED_SIZE = Object.freeze({ width: 1024, height: 640 });
// a finger's screen: its copy is a long press's menu, not a key
const COARSE = window.matchMedia("(pointer: coarse)");

/** The full URL of `state`'s view, embedded or not. */
function viewUrl(state, embed) {
  return `${location.origin}${location.pathname}${toQuery({ ...state, embed })}`;
}

/** Text for an HTML attribute value in double quotes. */
const attr = (text) => String(text).replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");

/** A short description of the layer, for the iframe's title (read out by screen readers). */
function layerTitle(state) {
  const both = (a, b) => (a === b ? `${a}` : `${a}x${b}`);
  const pads = [state.pt, state.pb, state.pl, state.pr];
  const padding = pads.every((p) => p === pads[0]) ? `${pads[0]}` : `[${pads.join(", ")}]`;
  const dilation = state.dh === 1 && state.dw === 1 ? "" : `, dilation ${both(state.dh, state.dw)}`;
  return `ConvScope: ${state.h}x${state.w}x${state.d} input, ${state.k} filter${state.k === 1 ? "" : "s"} ${state.fh}x${state.fw}, `
    + `stride ${both(state.sh, state.sw)}, padding ${padding}${dilation}`;
}

/** The iframe snippet that embeds `state`'s view. */
function embedCode(state) {
  const { width, height } = EMBED_SIZE;
  return `<iframe src="${attr(viewUrl(state, true))}" width="${width}" height="${height}" `
    + `title="${attr(layerTitle(state))}" loading="lazy" allowfullscreen></iframe>`;
}

/**
 * The view as a curl command: the step on show from /api/steps (JSON, with the layer the page
 * sends, named by its preset where it has one), a pinned input cell's readers from
 * /api/inverse, or, for a layer that does not fit, its /api/geometry answer, which says why.
 * Null before any layer is asked for.
 */
function apiCall(app) {
  if (!app.spec) return null;
  const preset = app.presets.find((p) => p.name === app.state.preset) ?? null;
  const api = `${location.origin}/api`;
  if (app.model && app.cache) {
    const t = Math.min(app.state.t, app.model.total - 1);
    // a pinned neuron is the one the arithmetic shows: its call, not the playhead's; a
    // pinned input cell, its readers' (the arithmetic names them)
    const pinned = pinTarget(app.state.pin);
    const fits = pinFits(pinned, app.model);
    if (fits && pinned.kind === "input") {
      return curlCommand(`${api}/inverse`, inverseCall(app.cache.body.layer, preset, [pinned.row, pinned.col]));
    }
    const neuron = fits && pinned.kind === "output" ? [pinned.i, pinned.j, pinned.d] : null;
    return curlCommand(`${api}/steps`, stepsCall(app.cache.body, t, preset, neuron));
  }
  return curlCommand(`${api}/geometry`, preset ? overPreset(app.spec, preset) : app.spec);
}

/**
 * The share tools, appended to #view-tools; `app` is the page's app object, `framers` the
 * origins the server lets frame the page (none: copying the embed code says so). Returns
 * {update(state, playback)}, which keeps the fullscreen label and the way out current.
 */
export function createShareTools({ app, framers = [] }) {
  const tools = qs("#view-tools");
  const group = el("span", "share-tools");
  group.setAttribute("role", "group");
  group.setAttribute("aria-label", "Share");
  const button = (id, text, className) => {
    const node = el("button", className, text);
    node.type = "button";
    node.id = id;
    group.append(node);
    return node;
  };
  const copyLink = button("copy-link", "Copy link", "share-copy");
  // short words: with a third copy button the row at 1280 px took the lines' toggle and
  // legend onto a row of its own, 34 px off the picture; the names say the rest
  const copyEmbed = button("copy-embed", "Copy embed", "share-copy");
  copyEmbed.setAttribute("aria-label", "Copy embed code");
  const copyCall = button("copy-call", "Copy curl", "share-copy");
  copyCall.setAttribute("aria-label", "Copy curl command: the API call of what is on show");
  copyCall.title = "Copy what is on show as a curl command for the REST API";
  const fullscreen = button("fullscreen", "Fullscreen", "share-fullscreen");
  // short: in a frame it shares the transport's one row
  const out = el("a", "share-out", "ConvScope ↗");
  out.id = "open-full";
  out.title = "Open this view in ConvScope, in a new tab";
  out.setAttribute("aria-label", "Open in ConvScope (new tab)");
  out.target = "_blank";
  out.rel = "noopener";
  group.append(out);
  // Said politely, once per copy; the field appears only where the clipboard is refused
  // (plain http on a LAN address is not a secure context, so it has no clipboard API).
  const status = el("span", "share-status");
  status.id = "share-status";
  status.setAttribute("aria-live", "polite");
  const fallback = el("span", "share-fallback");
  fallback.hidden = true;
  const label = el("label", "", "To copy:");
  label.htmlFor = "share-text";
  const field = el("textarea", "share-text");
  field.id = "share-text";
  field.readOnly = true;
  field.rows = 3;
  fallback.append(label, field);
  group.append(status, fallback);
  tools.append(group);

  let cleared = null;
  // a warning (the clipboard refused) lies over the row after the share tools: it goes once
  // the focus moves on, where it hid the next three controls' focus rings for 12 s
  // The copy field goes with it (it stayed open under the row), and on Escape, which gives
  // the focus back to the button that asked
  let asker = null;
  const closeFallback = () => {
    status.textContent = "";
    fallback.hidden = true;
  };
  document.addEventListener("focusin", (event) => {
    if (!group.contains(event.target)) closeFallback();
  });
  $on(field, "keydown", (event) => {
    if (event.key !== "Escape") return;
    event.stopPropagation(); // the page's Escape (let go of a pin) is not this one's
    closeFallback();
    asker?.focus();
  });
  const say = (text, done = true) => {
    status.textContent = text;
    status.classList.toggle("done", done);
    clearTimeout(cleared);
    // a warning stays long enough to be read
    cleared = setTimeout(() => { status.textContent = ""; }, done ? 4000 : 12000);
  };
  // A copy that went as asked is told on the button pressed, for a moment: the status, a
  // box under the row, covered the keys' help line for seconds (screen readers still hear
  // the status, which .done keeps out of sight).
  const names = new Map(); // button -> its own label, while it says "Copied"
  const confirm = (node) => {
    if (!names.has(node)) {
      names.set(node, node.textContent);
      node.style.width = `${node.getBoundingClientRect().width}px`; // the row keeps its place
    }
    node.textContent = "Copied";
    clearTimeout(node.copiedTimer);
    node.copiedTimer = setTimeout(() => {
      node.textContent = names.get(node);
      node.style.width = "";
      names.delete(node);
    }, 1500);
  };

  async function copy(text, what, warning = "", node = null) {
    try {
      await navigator.clipboard.writeText(text);
      fallback.hidden = true;
      say(`Copied the ${what}.${warning ? ` ${warning}` : ""}`, !warning);
      if (!warning && node) confirm(node);
    } catch {
      asker = node;
      field.value = text;
      fallback.hidden = false;
      field.focus();
      field.select();
      // a touch screen has no keys to press (a phone was told Ctrl+C)
      const how = COARSE.matches ? "touch and hold it, then choose Copy"
        : `press ${/Mac|iPhone|iPad/.test(navigator.platform) ? "Cmd+C" : "Ctrl+C"}`;
      say(`The browser did not allow copying: the ${what} is selected, ${how}.`, false);
    }
  }

  $on(copyLink, "click", () => copy(viewUrl(app.state, false), "link", "", copyLink));
  // the frame shows only on sites the server names (README, "Embedding"): by default none,
  // and the snippet would show the browser's refusal where the lecture's slide should be
  const framing = () => (framers.length ? "" : "This server lets no site show it in a"
    + " frame yet: start it with CONVSCOPE_FRAME_ANCESTORS set to your course site's origin.");
  $on(copyEmbed, "click", () => copy(embedCode(app.state), "embed code", framing(), copyEmbed));
  $on(copyCall, "click", () => {
    const command = apiCall(app);
    if (command) copy(command, "API call", "", copyCall);
    else say("No layer yet: the call is ready once the page has asked for one.", false);
  });

  // The picture area (#app) goes fullscreen; css/embed.css shows it as embed mode does.
  fullscreen.hidden = !document.fullscreenEnabled;
  const showFullscreen = () => {
    const on = document.fullscreenElement === qs("#app");
    // the name says the state ("Exit fullscreen"); aria-pressed too read "Exit fullscreen, pressed"
    fullscreen.textContent = on ? "Exit fullscreen" : "Fullscreen";
  };
  showFullscreen();
  $on(document, "fullscreenchange", showFullscreen);
  // Browsers leave fullscreen on Escape themselves; where the key reaches the page instead
  // (a headless or kiosk browser), it leaves too.
  $on(document, "keydown", (event) => {
    if (event.key === "Escape" && document.fullscreenElement) document.exitFullscreen();
  });
  $on(fullscreen, "click", () => {
    if (document.fullscreenElement) document.exitFullscreen();
    else qs("#app").requestFullscreen().catch((error) => say(`Fullscreen refused: ${error.message}`, false));
  });

  // The way out of a frame to the whole page, at this view: written when about to be used,
  // not on every frame of playing.
  const aim = () => { out.href = viewUrl(app.state, false); };
  for (const type of ["pointerenter", "focus", "pointerdown"]) $on(out, type, aim);

  return {
    update(state, playback) {
      if (!playback.playing && state.embed) aim();
    },
  };
}
