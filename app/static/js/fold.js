// The transport on a phone: fixed at the bottom of the window, it must leave the picture most of
// an 844 px screen, so it keeps two rows (the step's label; back, play, forward, the scrubber)
// and folds the rest (first, last, speed, loop, the typed go-to and the view tools) behind a
// "More" button. The button exists only while the phone layout or large type applies: on a
// wider window in normal type everything is in one strip and there is nothing to unfold. The transport's
// height is published as the CSS variable --transport-height, which the phone layout pads the
// page's bottom with, so nothing ever lies hidden under it (and follow.js keeps the current
// neuron above it).
import { $on, announce, el, qs } from "./dom.js";

/**
 * The windows that get the one-column phone layout, a phone held either way (not the short
 * half in an embed=1 frame): the media of css/phone.css's link, which base.html sets.
 */
export const PHONE = qs("#phone-css").media;

const FOLDED = ["t-first", "t-last", "t-speed", "t-loop", "t-goto", "view-tools"];

// Folds the unfolded controls away (true), or does nothing (false): Escape's first use, set
// by bindFold.
let foldAway = () => false;

/** Fold the transport's unfolded controls away; true if there were any (Escape does this
 * before it lets a pin go). */
export function foldUnfolded() {
  return foldAway();
}
// with large type on a wide window: first and last (Home and End do it too), the typed go-to
// and the view tools; the first three stay on the row where it has room for them (the
// transport's class shows-jumps, set by bindFold's sayLarge: a 1920 px projector)
const JUMPS = ["t-first", "t-last", "t-goto"];
// and on a window narrower than 1000 px (or wider, where they would take "More" to a row of
// its own: bindFold's speedWraps), speed and loop as well (the transport's class
// folds-speed, which css/convscope.css reads): there they took the transport a second row
// (on an 800x600 screen, 140 px of the 600; in an 800x450 or 720x405 slide's frame, "More"
// alone on a row of its own). A frame under 700 px keeps them: its step label, never cut
// there (css/embed.css), needs the room "More" would take from it on the row ("step 5,002
// of 290" at 640 px), and its transport is two rows anyway.
const NARROW_LARGE = window.matchMedia("(max-width: 999px)");
const FRAME_ROOM = window.matchMedia("(min-width: 700px)");
const twoRowFrame = () => !FRAME_ROOM.matches && document.body.classList.contains("embed");
const narrowLarge = () => NARROW_LARGE.matches && !twoRowFrame();
// what "More" folds in large type, as the transport's classes say (bindFold's sayLarge sets
// them): the jumps where the row has no room for them, speed and loop where folds-speed
const largeFolded = () => {
  const classes = qs("#transport").classList;
  return [...(classes.contains("shows-jumps") ? [] : JUMPS), "view-tools",
    ...(classes.contains("folds-speed") ? ["t-speed", "t-loop"] : [])];
};
// the least width (rem) the scrubber keeps beside the jumps shown in large type: they are not
// worth a scrubber too short to drag along
const SCRUB_KEPT = 15;

/**
 * Fold the transport's extra controls behind a "More" button while `PHONE` matches; with
 * large type (`data-large` on <html>, the classroom option) on a wider window, fold only the
 * first and last step and the view and sharing tools: in type 1.4 times larger they took two
 * more rows of a 1280x720 projection, which the panels need, and a lecture seldom uses them.
 */
export function bindFold() {
  const transport = qs("#transport");
  const root = document.documentElement;
  const phone = window.matchMedia(PHONE);
  const toggle = el("button", "fold-toggle", "More");
  toggle.type = "button";
  toggle.id = "t-more";
  toggle.setAttribute("aria-label", "More step and view controls");
  let mode = "";
  const folded = () => transport.classList.contains(mode === "phone" ? "folded" : "folded-tools");
  const fold = (on) => {
    transport.classList.toggle("folded", on && mode === "phone");
    transport.classList.toggle("folded-tools", on && mode === "large");
    toggle.setAttribute("aria-expanded", on ? "false" : "true");
    if (on && mode === "large") sayLarge();
  };
  $on(toggle, "click", () => fold(!folded()));
  foldAway = () => {
    if (!mode || folded()) return false;
    foldKeepingFocus();
    return true;
  };
  // On a phone the unfolded tray covers the picture: a touch on anything else (the output a
  // finger pins) folds it away, and the touch does what it does as well. It stayed open over
  // two fifths of the screen.
  $on(document, "pointerdown", (event) => {
    if (mode === "phone" && !folded() && !transport.contains(event.target)) foldKeepingFocus();
  });
  // ...and so does a view chosen in it (Backward, the 3-D view, the blocks' gradients): the
  // reader asked to see it, and the tray stayed over the gradients just asked for
  $on(qs("#view-tools"), "click", (event) => {
    const chosen = event.target.closest?.(".view-toggle");
    if (mode !== "phone" || folded() || !chosen) return;
    foldKeepingFocus();
    // the focus leaves the button for "More", so its new state is not heard from it: said
    // (once the press has set it)
    requestAnimationFrame(() => announce(
      `${chosen.textContent.trim()} ${chosen.getAttribute("aria-pressed") === "true" ? "on" : "off"}`));
  });
  // Folding away the control a keyboard is on would leave the focus on <body> (where the next
  // Space plays the layer): it moves to "More", which unfolds the control again. A control
  // a pointer used (Large type, which folds its own tools) leaves it on <body>, where Space
  // plays, as after any control a pointer used.
  const foldKeepingFocus = () => {
    const active = document.activeElement;
    const within = (mode === "phone" ? FOLDED : largeFolded()).some((id) => qs(`#${id}`)?.contains(active));
    fold(true);
    if (within && active.matches(":focus-visible")) toggle.focus();
    else if (within) active.blur();
  };
  // Fullscreen chosen from the unfolded tools shows the picture: the tools fold away again
  // (they took three rows of a projected 1280x720 screen)
  $on(document, "fullscreenchange", () => {
    if (document.fullscreenElement && mode) foldKeepingFocus();
  });
  // what "More" unfolds in large type: its title and aria-controls (folding speed and loop
  // adds two)
  const sayLarge = () => {
    const speed = narrowLarge() || (!twoRowFrame() && speedWraps());
    transport.classList.toggle("folds-speed", speed);
    const jumps = !speed && !twoRowFrame() && jumpsFit();
    transport.classList.toggle("shows-jumps", jumps);
    const more = `${jumps ? "" : "first and last step, go to, "}${speed ? "speed and loop, " : ""}the view and sharing tools (3-D view, lines, theme, large type, links)`;
    toggle.title = more.charAt(0).toUpperCase() + more.slice(1);
    toggle.setAttribute("aria-controls", largeFolded().join(" "));
  };
  // What `probe(key)` finds with the transport folded as in large type and its classes and
  // the colour key's (`key`, the lines switch) as `arrange(key)` sets them, which are then
  // put back: the two measures below, each of the row as it would be.
  const measured = (arrange, probe) => {
    const key = transport.querySelector(".lines-switch");
    const keyClass = key?.className, transportClass = transport.className;
    transport.classList.add("folded-tools"); // as it is folded, unfolded now or not
    arrange(key);
    const found = probe(key);
    if (key) key.className = keyClass;
    transport.className = transportClass;
    return found;
  };
  // whether `node` has wrapped under the play button's row
  const belowPlay = (node) => {
    const play = qs("#t-play");
    return node.getBoundingClientRect().top > play.getBoundingClientRect().top + play.offsetHeight / 2;
  };
  // Whether first, last and the typed go-to, shown, keep "More" and the colour key on the
  // play button's row and leave the scrubber SCRUB_KEPT rem: at 1920x1080 in large type they
  // did with room to spare, folded all the same. Measured with them shown each time (and the
  // key's colours, which render/connections.js would otherwise leave out first).
  const jumpsFit = () => toggle.isConnected && measured((key) => {
    key?.classList.remove("scaleless");
    transport.classList.add("shows-jumps");
  }, (key) => {
    const rem = parseFloat(getComputedStyle(root).fontSize);
    return !belowPlay(toggle) && !(key && belowPlay(key))
      && qs("#t-scrub").getBoundingClientRect().width >= SCRUB_KEPT * rem;
  });
  // Where speed and loop, shown, would take "More" to a row of its own with the colour key
  // left out (render/connections.js gives the key way first, by its own measure): the step
  // label of a layer of millions of neurons, never cut (css/wide.css), leaves them no room at
  // 1024x768 in large type. Measured with them shown each time, so the choice is stable.
  const speedWraps = () => toggle.isConnected && measured((key) => {
    key?.classList.add("keyless", "scaleless");
    transport.classList.remove("folds-speed", "shows-jumps"); // the jumps ask after speed
  }, () => belowPlay(toggle));
  const sync = () => {
    const now = phone.matches ? "phone" : root.hasAttribute("data-large") ? "large" : "";
    if (now === mode) {
      if (mode === "large") sayLarge();
      return;
    }
    mode = now;
    fold(false);
    if (mode === "phone") {
      // after the step's label (and a misfit's note, which transport.js puts right after
      // the label): the reading and Tab order of the rows it ends, where the note's
      // "Suggestions", drawn above it, was reached after it
      toggle.title = "First and last step, speed, loop, go to, and the view and sharing tools";
      toggle.setAttribute("aria-controls", FOLDED.join(" "));
      qs("#t-label").after(toggle);
      fold(true);
    } else if (mode === "large") {
      // at the end of the one row, just before the tools it unfolds
      sayLarge();
      qs("#view-tools").before(toggle);
      foldKeepingFocus(); // large type ticked from the keyboard: its box folds away
    } else {
      toggle.remove();
    }
  };
  $on(phone, "change", sync);
  $on(NARROW_LARGE, "change", sync);
  $on(FRAME_ROOM, "change", sync);
  new MutationObserver(sync).observe(root, { attributes: true, attributeFilter: ["data-large"] });
  // what speedWraps measures changes with the window's width and the step label's reserve
  // (js/transport.js sets it once per layer, as its style's --step-width)
  $on(window, "resize", () => { if (mode === "large") sayLarge(); });
  new MutationObserver(() => { if (mode === "large") sayLarge(); })
    .observe(qs("#t-label"), { attributes: true, attributeFilter: ["style"] });
  sync();
  new ResizeObserver(() => {
    root.style.setProperty("--transport-height", `${Math.ceil(transport.getBoundingClientRect().height)}px`);
  }).observe(transport);
}
