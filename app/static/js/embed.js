// Embedding: `?embed=1` shows the picture and the transport only (css/embed.css), and a parent
// page may drive the frame with postMessage. Who may do that is the server's frame-ancestors
// setting, which the page carries as <body data-frame-ancestors>: one setting decides both
// who may frame the page and whose messages it obeys.
import { $on } from "./dom.js";
import { createShareTools } from "./share.js";
import { presentationOf } from "./url.js";

const PREFIX = "convscope:";
const DEFAULT_PORTS = { "http:": "80", "https:": "443" };
// An origin pattern as app/config.py accepts it: scheme://[*.]host[:port]
const PATTERN = /^(https?):\/\/(\*\.)?([^/:]+)(?::(\d+))?$/;

/** The frame-ancestors origins the server rendered into the page ("self" for its own). */
function configuredOrigins(root = document.body) {
  return (root.dataset.frameAncestors ?? "").split(/\s+/).filter(Boolean);
}

/**
 * True when `origin` (a message's, e.g. "https://lms.example.edu:8443") is one that `patterns`
 * allow, read as CSP reads frame-ancestors: "self" is this page's origin, `*.` any subdomain,
 * and a missing port the scheme's default. An opaque origin ("null") is never allowed.
 */
export function originAllowed(origin, patterns, self = location.origin) {
  let url;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  const port = url.port || DEFAULT_PORTS[url.protocol];
  return patterns.some((pattern) => {
    if (pattern === "self") return origin === self;
    const m = PATTERN.exec(pattern.toLowerCase());
    if (!m || `${m[1]}:` !== url.protocol || (m[4] ?? DEFAULT_PORTS[url.protocol]) !== port) return false;
    return m[2] ? url.hostname.endsWith(`.${m[3]}`) : url.hostname === m[3];
  });
}

/** The origin part of a URL, or "" (an empty or odd referrer). */
const originOf = (href) => {
  try {
    return new URL(href).origin;
  } catch {
    return "";
  }
};

/**
 * The embedding overlay: keeps <body class="embed"> with the state, obeys an allowed parent's
 * `convscope:step|play|pause` messages and tells the parent `convscope:ready` ({total}) when a
 * layer is built (total 0 for a misfit) and `convscope:stepped` ({t, i, j, d, value}) when the
 * playhead's step is shown.
 * `app` is the page's app object, `player` its Player, `commit(changes, how)` its one way to
 * change state.
 */
export function createEmbed({ app, player, commit }) {
  const patterns = configuredOrigins();
  const framed = window.parent !== window;
  let embedded = presentationOf(location.search).embed;
  document.body.classList.toggle("embed", embedded);
  let sent = null; // the t of the last `stepped` message
  let heard = ""; // the origin of the last message obeyed
  let waiting = null; // a message that came before the first layer was built

  // Where the parent is, known three ways (Chromium and Safari say it outright, a referrer
  // usually does, a message certainly); failing all, each configured origin but wildcards:
  // postMessage delivers only to the one the parent really has. Never "*".
  function parentOrigins() {
    const known = location.ancestorOrigins?.[0] || originOf(document.referrer) || heard;
    if (known) return originAllowed(known, patterns) ? [known] : [];
    return patterns.filter((p) => p === "self" || !p.includes("*")).map((p) => (p === "self" ? location.origin : p));
  }

  function tell(message) {
    if (!framed) return;
    for (const origin of parentOrigins()) window.parent.postMessage(message, origin);
  }

  function obey(data) {
    const total = app.model.total;
    if (data.type === "convscope:step") {
      if (!Number.isInteger(data.t)) {
        console.warn(`ConvScope: convscope:step needs a whole number t, got ${JSON.stringify(data.t)}`);
        return;
      }
      app.hover = null; // as a step from the page's own transport (js/transport.js)
      sent = null; // answered even when it is the step on show: a deck re-syncing hears back
      commit({ t: Math.max(0, Math.min(total - 1, data.t)), pin: "" }, "replace");
    } else if (data.type === "convscope:play") {
      // as the Play button does: from the start again when the last step is showing
      if (!player.playing && app.state.t >= total - 1 && !app.state.loop) commit({ t: 0, pin: "" }, "replace");
      player.play();
    } else if (data.type === "convscope:pause") {
      player.pause();
    }
  }

  if (framed) {
    $on(window, "message", (event) => {
      const data = event.data;
      if (!originAllowed(event.origin, patterns)) return;
      if (typeof data !== "object" || data === null || typeof data.type !== "string" || !data.type.startsWith(PREFIX)) return;
      heard = event.origin;
      if (app.model) obey(data);
      else waiting = data;
    });
  }

  const share = createShareTools({ app, framers: configuredOrigins() });

  return {
    // a layer that does not fit: drawn too (the misfit and why), with no steps
    clear() {
      sent = null;
      share.update(app.state, { playing: false });
      tell({ type: "convscope:ready", total: 0 });
    },
    build(model) {
      sent = null;
      tell({ type: "convscope:ready", total: model.total });
      if (waiting) {
        const data = waiting;
        waiting = null;
        // after this build's first render, which the commit inside obey() would otherwise race
        queueMicrotask(() => obey(data));
      }
    },
    update(focus, state, playback) {
      if (state.embed !== embedded) {
        embedded = state.embed;
        document.body.classList.toggle("embed", embedded);
      }
      share.update(state, playback);
      // the playhead's step, also while a hovered neuron is the one on show
      const step = focus.step?.t === state.t ? focus.step : app.cache?.get(state.t);
      if (!step || sent === state.t) return;
      sent = state.t;
      tell({ type: "convscope:stepped", t: step.t, i: step.i, j: step.j, d: step.d, value: step.post });
    },
  };
}
