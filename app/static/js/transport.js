// Transport: buttons, scrubber, speed, loop and the keyboard (Space, Left, Right, Home, End).
import { $on, qs, thousands } from "./dom.js";
import { bindSwipe } from "./touch.js";

const TYPING = 'input:not([type="checkbox"]):not([type="range"]):not([type="button"]), select, textarea';

/** Wire the transport to `commit(changes, how)`; the player owns the timer. */
export function bindTransport(app, player, commit) {
  const total = () => app.model?.total ?? 1;
  const go = (t, how = "push") => commit({ t: Math.max(0, Math.min(total() - 1, t)), pin: "" }, how);
  const play = () => {
    if (!player.playing && app.state.t >= total() - 1 && !app.state.loop) go(0, "replace");
    player.toggle();
  };
  $on(qs("#t-first"), "click", () => go(0));
  $on(qs("#t-back"), "click", () => go(app.state.t - 1));
  $on(qs("#t-forward"), "click", () => go(app.state.t + 1));
  $on(qs("#t-last"), "click", () => go(total() - 1));
  $on(qs("#t-play"), "click", play);
  $on(qs("#t-scrub"), "input", (event) => go(Number(event.target.value), "replace"));
  $on(qs("#t-scrub"), "change", (event) => go(Number(event.target.value)));
  bindSwipe(qs("#transport"), (n) => go(app.state.t + n));
  $on(document, "keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.target;
    if (target instanceof Element && target.matches(TYPING)) return;
    const onScrubber = target instanceof Element && target.id === "t-scrub";
    const actions = {
      " ": play,
      ArrowLeft: () => go(app.state.t - 1),
      ArrowRight: () => go(app.state.t + 1),
      Home: () => go(0),
      End: () => go(total() - 1),
      Escape: () => commit({ pin: "" }),
    };
    const action = actions[event.key];
    // On the scrubber the browser already moves it with arrows/Home/End; Space still plays.
    if (!action || (onScrubber && event.key !== " ")) return;
    if (event.key === " " && target instanceof Element && target.matches('input[type="checkbox"]')) return;
    // Space on a button outside the transport (the settings drawer's, an explanation's) is
    // that button's own press
    if (event.key === " " && target instanceof Element && target.closest("button") && !target.closest("#transport")) return;
    event.preventDefault();
    action();
  });
}

/** Show the playhead and the play/pause state. */
export function showTransport(app, playing) {
  const total = app.model?.total ?? 0;
  const scrub = qs("#t-scrub");
  scrub.max = String(Math.max(0, total - 1));
  scrub.value = String(app.state?.t ?? 0);
  scrub.setAttribute("aria-valuetext", `step ${(app.state?.t ?? 0) + 1} of ${total}`);
  qs("#t-label").textContent = total ? `step ${thousands((app.state?.t ?? 0) + 1)} of ${thousands(total)}` : "";
  const button = qs("#t-play");
  button.setAttribute("aria-label", playing ? "Pause" : "Play");
  button.setAttribute("aria-pressed", playing ? "true" : "false");
  button.textContent = playing ? "Pause" : "Play";
}
