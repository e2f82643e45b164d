// Transport: buttons, scrubber, speed, loop and the keyboard (Space, Left, Right, Home, End; P
// pins the current neuron, X an input cell of its field, Shift+arrows and [ ] move the pin,
// Escape unpins).
import { $on, announce, el, equalsText, qs, thousands } from "./dom.js";
import { closeDrawer, drawerOpen } from "./drawer.js";
import { foldUnfolded } from "./fold.js";
import { pinFits, pinName, pinTarget, positionOf, stepOf } from "./focus.js";
import { bindSwipe } from "./touch.js";

const TYPING = 'input:not([type="checkbox"]):not([type="range"]):not([type="button"]), select, textarea';

/** Wire the transport to `commit(changes, how)` and its pin keys to `pinning` (pinning.js); the
 * player owns the timer. Returns `go(t, how)`, the one way to move the playhead to a step. */
export function bindTransport(app, player, commit, { pin: pinTo, unpin, toggle }) {
  const total = () => app.model?.total ?? 1;
  // a step asked for is the one shown: it lets go of a pin and of the neuron under a pointer
  // that rests on the picture (moving the pointer hovers again)
  const go = (t, how = "push") => {
    // no layer drawn yet: its step count unknown, a step would clamp the link's t to 0
    if (!app.model) return;
    app.hover = null;
    // said, as Escape's is: a pin let go unsaid was a pin lost without a word
    if (app.state.pin) announce("Unpinned: stepping follows the playhead");
    commit({ t: Math.max(0, Math.min(total() - 1, t)), pin: "" }, how);
  };
  // nothing to step, play or pin (a misfit, a refused layer): said, where a key did nothing
  // (Space said "Playing" and nothing moved)
  const stepless = () => qs("#t-play").disabled;
  const sayStepless = () => announce(app.unfit ? noSteps(app.unfit) : "No steps: no layer is drawn");
  const play = () => {
    if (stepless()) return sayStepless();
    // from the last step, played again from the first: playing keeps a pin, so this does too
    if (!player.playing && app.state.t >= total() - 1 && !app.state.loop) commit({ t: 0 }, "replace");
    player.toggle();
    announce(player.playing ? "Playing" : `Paused at step ${thousands(app.state.t + 1)}`);
  };
  $on(qs("#t-first"), "click", () => go(0));
  $on(qs("#t-back"), "click", () => go(app.state.t - 1));
  $on(qs("#t-forward"), "click", () => go(app.state.t + 1));
  $on(qs("#t-last"), "click", () => go(total() - 1));
  $on(qs("#t-play"), "click", play);
  // A drag's moves are previews (history.js), and the player holds still under it: it plays on
  // from where the drag lets go (a change; or a pointer let go where it began, which makes none)
  const scrub = qs("#t-scrub");
  const letGo = () => player.hold(false);
  $on(scrub, "input", (event) => {
    player.hold(true);
    go(Number(event.target.value), "preview");
  });
  $on(scrub, "change", (event) => {
    go(Number(event.target.value));
    letGo();
  });
  for (const type of ["pointerup", "pointercancel"]) $on(window, type, letGo);
  $on(scrub, "keyup", letGo);
  $on(scrub, "blur", letGo);
  bindSwipe(qs("#transport"), (n) => go(app.state.t + n));
  const clamp = (v, n) => Math.max(0, Math.min(n - 1, v));
  // what the pointer rests on, of `kind`, when it is a cell of the drawn layer: the key pins
  // the cell the page is describing, not the playhead's
  const hovered = (kind) => (app.hover?.kind === kind && pinFits(app.hover, app.model) ? app.hover : null);
  const pinCurrent = () => {
    if (!app.model) return;
    const hover = hovered("output");
    toggle(hover ? { kind: "output", i: hover.i, j: hover.j, d: hover.d }
      : { kind: "output", ...positionOf(app.model.outShape, app.state.order, app.state.t) });
  };
  // The keyboard's way to any neuron: from the pinned one (else the playhead's), Shift+arrows
  // move the pin a row or column, [ and ] a depth slice.
  const movePin = (di, dj, dd) => {
    if (!app.model) return;
    const [h2, w2, k] = app.model.outShape;
    const pinned = pinTarget(app.state.pin);
    if (pinned?.kind === "input" && pinFits(pinned, app.model)) { // a pinned cell moves in the input
      // it is pinned through every depth slice: [ and ] have none to move it to (said: silence
      // told a screen reader nothing)
      if (dd) return announce(`${pinName(pinned)} is pinned through every depth slice: [ and ] move a pinned neuron`);
      const [h, w] = app.model.inputShape;
      const to = { kind: "input", row: clamp(pinned.row + di, h), col: clamp(pinned.col + dj, w) };
      if (to.row === pinned.row && to.col === pinned.col) sayEdge(pinned, di, dj, 0);
      else pinTo(to);
      return;
    }
    const kept = pinned?.kind === "output" && pinFits(pinned, app.model);
    const from = kept ? pinned : positionOf(app.model.outShape, app.state.order, app.state.t);
    const to = { kind: "output", i: clamp(from.i + di, h2), j: clamp(from.j + dj, w2), d: clamp(from.d + dd, k) };
    // a pin at the edge stays: said, where the same "Pinned ..." again told a screen reader
    // nothing of why it did not move
    if (kept && to.i === from.i && to.j === from.j && to.d === from.d) sayEdge(from, di, dj, dd);
    else pinTo(to);
  };
  const sayEdge = (target, di, dj, dd) => {
    const [first, what] = di ? [di < 0, "row"] : dj ? [dj < 0, "column"] : [dd < 0, "depth slice"];
    announce(`${pinName(target)} is already in the ${first ? "first" : "last"} ${what}`);
  };
  // The keyboard's way to an input cell: X pins the one the pointer rests on, else the cell
  // at the corner of the field drawn (the hovered neuron's, the pinned one's, else the
  // playhead's), nearest the input where the corner is padding; Shift+arrows then move it, X
  // again lets it go.
  const pinInput = () => {
    if (!app.model) return;
    const pinned = pinTarget(app.state.pin);
    const hover = hovered("input");
    if (hover) return toggle({ kind: "input", row: hover.row, col: hover.col });
    if (pinned?.kind === "input" && pinFits(pinned, app.model)) return unpin();
    // the neuron whose field is drawn: the one the pointer rests on, else the pinned one
    const from = hovered("output") ?? (pinned?.kind === "output" && pinFits(pinned, app.model) ? pinned
      : positionOf(app.model.outShape, app.state.order, app.state.t));
    const [h, w] = app.model.inputShape;
    const { geometry: { height, width }, pads } = app.model;
    return pinTo({ kind: "input", row: clamp(from.i * height.stride - pads.top, h),
      col: clamp(from.j * width.stride - pads.left, w) });
  };
  $on(document, "keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.target;
    // an open drawer first, from any field (focus outside it: its own Escape did not run)
    if (event.key === "Escape" && drawerOpen()) {
      closeDrawer();
      return;
    }
    // and the phone's "More" tray, from any of its controls (its speed and theme menus
    // among them, which the typing check below passes over)
    if (event.key === "Escape" && foldUnfolded()) {
      event.preventDefault();
      return;
    }
    // The Go to box keeps its focus after a jump, but a one-line box has no use for Page Up and
    // Down: they stay a presenter's remote's back and next (a remote cannot send Escape). So on
    // a closed menu, which they would change (a preset Tabbed to became another layer in front
    // of a class), and so are Left and Right there, which a remote sends too and which changed
    // the menu as well (a second instructor review: the preset, the theme, the speed); its Up
    // and Down still choose
    const pageKey = event.key === "PageUp" || event.key === "PageDown";
    const sideKey = event.key === "ArrowLeft" || event.key === "ArrowRight";
    const remoteKeeps = target instanceof Element
      && ((pageKey && target.matches("input, select")) || (sideKey && target.matches("select")));
    if (target instanceof Element && target.matches(TYPING) && !remoteKeeps) return;
    const onScrubber = target instanceof Element && target.id === "t-scrub";
    const actions = {
      " ": play,
      ArrowLeft: () => go(app.state.t - 1),
      ArrowRight: () => go(app.state.t + 1),
      // a presenter's remote sends these for its back and next buttons
      PageUp: () => go(app.state.t - 1),
      PageDown: () => go(app.state.t + 1),
      Home: () => go(0),
      End: () => go(total() - 1),
      Escape: () => unpin(),
      // the keyboard's click on a neuron: pin the playhead's (again: unpin); P too (Caps Lock)
      p: () => pinCurrent(),
      P: () => pinCurrent(),
      // an input cell of the neuron's field
      x: () => pinInput(),
      X: () => pinInput(),
    };
    const moves = { ArrowUp: [-1, 0, 0], ArrowDown: [1, 0, 0], ArrowLeft: [0, -1, 0], ArrowRight: [0, 1, 0] };
    // each key that steps or pins, on a layer with no steps, says why nothing happens (Space
    // too, through play, after a focused button's own press)
    const stepOrPin = (event.shiftKey && moves[event.key]) || event.key === "[" || event.key === "]"
      || (actions[event.key] && event.key !== "Escape" && event.key !== " ");
    if (stepOrPin && stepless()) {
      event.preventDefault();
      sayStepless();
      return;
    }
    if (event.shiftKey && moves[event.key] && !onScrubber) {
      event.preventDefault();
      movePin(...moves[event.key]);
      return;
    }
    if (event.key === "[" || event.key === "]") {
      event.preventDefault();
      movePin(0, 0, event.key === "[" ? -1 : 1);
      return;
    }
    const action = actions[event.key];
    // On the scrubber the browser already moves it with arrows/Home/End; Space still plays, and
    // Page Up/Down stay the remote's back and next (the range input's own went a tenth of the
    // layer at a time, Page Down backwards)
    if (!action || (onScrubber && !ALWAYS_OURS.has(event.key))) return;
    if (event.key === " " && target instanceof Element && target.matches('input[type="checkbox"]')) return;
    // Space on a focused button is that button's own press (Step forward steps, Copy link
    // copies), as everywhere else, and a disclosure's or a link's (the bank's "Edit the
    // weights" opens); elsewhere (the page, a panel, the scrubber) it plays
    if (event.key === " " && target instanceof Element && target.closest(OWN_SPACE)) return;
    event.preventDefault();
    action();
  });
  return go;
}

// What Space presses itself when focused, not the player's key.
const OWN_SPACE = "button, summary, a[href], [role=button]";

// Keys the page answers even with the scrubber focused.
// The range input uses arrows, Home and End; the pin keys are ours (as [ and ] are), and so
// is Escape, which lets a pin go.
const ALWAYS_OURS = new Set([" ", "PageUp", "PageDown", "p", "P", "x", "X", "Escape"]);

// The controls that step: disabled while the layer does not fit (it has no steps).
const STEPPERS = ["#t-first", "#t-back", "#t-play", "#t-forward", "#t-last", "#t-scrub", "#t-goto-input"];
// A misfit's note in the transport (made only while one is shown, as fold.js makes "More"
// only on a phone: a hidden button would be a control no one can reach) and what its button does.
let note = null;
let toSuggestions = () => {};

/** What the misfit note's "Suggestions" button does (take the reader to them). */
export function onSuggestions(handler) {
  toSuggestions = handler;
}

/** Show the playhead and the play/pause state; for a misfit (`app.unfit`, its geometry
 * answer) the stepping controls disabled and, after the step's label, the reason and a way to
 * the suggestions. */
export function showTransport(app, playing) {
  const unfit = app.unfit ?? null;
  const reason = unfit ? noSteps(unfit) : "";
  // nothing to step through: a misfit, or a refused layer with no last good one drawn
  const stopped = Boolean(unfit) || !app.model;
  for (const id of STEPPERS) if (qs(id).disabled !== stopped) qs(id).disabled = stopped;
  if ((note?.dataset.reason ?? "") !== reason) {
    note?.remove();
    note = unfit ? misfitNote(reason) : null;
    if (note) qs("#t-label").after(note);
  }
  const total = app.model?.total ?? 0;
  const scrub = qs("#t-scrub");
  scrub.max = String(Math.max(0, total - 1));
  scrub.value = String(app.state?.t ?? 0);
  // the step said once the player stops: a focused slider's every new value is read out,
  // which while playing was a stream of speech, five steps a second or one a frame (the
  // pause says where it stopped)
  const valueText = playing ? "playing" : `step ${(app.state?.t ?? 0) + 1} of ${total}`;
  if (scrub.getAttribute("aria-valuetext") !== valueText) scrub.setAttribute("aria-valuetext", valueText);
  const label = qs("#t-label");
  // in parts, each kept whole: where the row has no room for the line, the pin goes under
  // the step (css/wide.css), and only a pinned neuron's own step can be left out
  const parts = total ? [`step ${thousands((app.state?.t ?? 0) + 1)} of ${thousands(total)}`, ...pinNote(app)] : [];
  const text = parts.join("");
  if (label.title !== text) {
    label.replaceChildren(...parts.map((part, n) => el("span", `t-part${n}`, part)));
    label.title = text; // whole, where a narrow transport leaves a part out
  }
  if (total && label.dataset.reserved !== String(total)) reserveStepWidth(label, total);
  const button = qs("#t-play");
  // the name says what a press does; aria-pressed as well read "Pause, pressed"
  button.setAttribute("aria-label", playing ? "Pause" : "Play");
  button.textContent = playing ? "Pause" : "Play";
}

/**
 * Keep the step's part as wide as its widest text, "step T of T" (the digits are tabular):
 * grown a digit at a time ("step 9" to "step 10"), it took the scrubber beside it a few px
 * narrower each time, so the thumb moved under a reader's pointer. Measured in the part's own
 * type and kept in em, so large type scales it; once per layer (per total).
 */
function reserveStepWidth(label, total) {
  const widest = el("span", "t-part0", `step ${thousands(total)} of ${thousands(total)}`);
  widest.style.position = "absolute";
  widest.style.visibility = "hidden";
  label.append(widest);
  const { width } = widest.getBoundingClientRect();
  const size = parseFloat(getComputedStyle(widest).fontSize);
  widest.remove();
  if (!width || !size) return; // not laid out (hidden): measured on a later call
  label.style.setProperty("--step-width", `${(width / size).toFixed(3)}em`);
  label.dataset.reserved = String(total);
}

/** [" · pinned V[2,1,1]", " (step 20)"] while a neuron is pinned (the panels show it, not
 * the playhead's), [" · pinned X[3,4,:]"] for an input cell; [] otherwise. */
function pinNote(app) {
  const target = pinTarget(app.state?.pin);
  const model = app.model;
  if (!target || !model || !pinFits(target, model)) return [];
  const pinned = ` · pinned ${pinName(target)}`;
  if (target.kind !== "output") return [pinned];
  const { i, j, d } = target;
  return [pinned, ` (step ${thousands(stepOf(model.outShape, app.state.order, i, j, d) + 1)})`];
}

function misfitNote(reason) {
  const node = el("p", "t-misfit");
  node.id = "t-misfit";
  node.dataset.reason = reason;
  const text = el("span", "", reason);
  text.id = "t-misfit-text";
  const button = el("button", "", "Suggestions");
  button.type = "button";
  button.id = "t-misfit-fix";
  button.title = "The formula strip's suggestions: each makes the layer fit";
  $on(button, "click", () => toSuggestions());
  node.append(text, button);
  return node;
}

/** One line for a misfit's transport: no steps, and the outputs that are not whole. */
function noSteps(geometry) {
  const failing = [["H2", geometry.height], ["W2", geometry.width]]
    .filter(([, info]) => info && !info.fits && info.exact !== null && info.exact !== undefined)
    .map(([name, info]) => `${name} ${equalsText(info.exact)}`);
  return `No steps: the layer does not fit${failing.length ? ` (${failing.join(", ")})` : ""}.`;
}
