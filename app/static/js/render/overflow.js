// A panel whose body runs on below its foot says so: with overlay scrollbars (macOS, phones,
// most projected laptops) nothing showed that a panel scrolled until someone tried it, and a
// 960x540 frame in large type cut the weight gradient's third slice in half with no sign of
// the rest. The panel gets `more-below` while there is more under its body's foot, and its
// stylesheet draws a small "more below" tag there (css/convscope.css); scrolled to the end,
// the tag goes.

// what a panel scrolls its contents in: its body, and in the 3-D view its block's box
const BODIES = ".panel-body, .volume3d";

/**
 * Watch every panel body under `root`, and every 3-D block's box (render/volume3d.js: in the 3-D
 * view it holds what the flat body did). Cheap while playing: the check runs when a body or one
 * of its children changes size, when a body's children are replaced (a layout built again)
 * and when it scrolls, never on a step's new numbers.
 */
export function markOverflowing(root) {
  for (const body of root.querySelectorAll(BODIES)) watch(body);
  for (const words of root.querySelectorAll(".panel > .what, #backward-step")) watchWords(words);
}

/**
 * A panel's explanation squeezed by a short window (css/wide.css: the picture keeps its least
 * height and the words give way), or the backward step's sentence after them, scrolls in what
 * is left: it gets `cut`, which draws "more" at its foot over the cut line, and is a tab
 * stop while it scrolls, so a keyboard reaches the rest too. Squeezed under one line it shows
 * nothing whole: `sliver` hides it (its room kept, so the layout does not move), and it is no
 * tab stop. Nothing changes while it fits.
 */
function watchWords(words) {
  const check = () => {
    const cut = words.scrollHeight - words.clientHeight - words.scrollTop > SLACK;
    const sliver = cut && words.clientHeight < parseFloat(getComputedStyle(words).lineHeight);
    const tabIndex = !sliver && (cut || words.scrollTop > 0) ? "0" : null;
    if (words.classList.contains("cut") !== cut) words.classList.toggle("cut", cut);
    if (words.classList.contains("sliver") !== sliver) words.classList.toggle("sliver", sliver);
    setTabIndex(words, tabIndex);
  };
  new ResizeObserver(check).observe(words);
  words.addEventListener("scroll", check, { passive: true });
}

// per watched body, whether it has more under its foot: a panel with two (its flat body and
// its 3-D box, one of them hidden) says "more below" when either has
const below = new WeakMap();

function watch(body) {
  const panel = body.closest(".panel");
  if (!panel) return;
  const check = () => {
    const more = body.scrollHeight - body.clientHeight - body.scrollTop > SLACK;
    below.set(body, more);
    const any = [...panel.querySelectorAll(BODIES)].some((b) => below.get(b));
    if (panel.classList.contains("more-below") !== any) panel.classList.toggle("more-below", any);
    // A body that scrolls is a tab stop of its own, so a keyboard reaches what is under its
    // foot or past its side (Up and Down scroll it; Left and Right still step the layer).
    // Chromium makes every scroller one; other browsers, and axe's scrollable-region-focusable
    // rule, need the tabindex. A body squeezed to a sliver (a pinned neuron's arithmetic in an
    // 800x450 frame in large type left the products 2 px) shows nothing to scroll through: out
    // of the tab order (its focus ring was a line under the tag). A screen reader still reads
    // what it holds.
    const scrolls = more || body.scrollTop > 0 || body.scrollWidth - body.clientWidth > SLACK;
    const sliver = more && body.clientHeight < SLIVER;
    setTabIndex(body, sliver ? "-1" : scrolls ? "0" : null);
  };
  const sizes = new ResizeObserver(check);
  const observe = () => {
    sizes.disconnect();
    sizes.observe(body);
    for (const child of body.children) sizes.observe(child);
  };
  new MutationObserver(() => {
    observe();
    check();
  }).observe(body, { childList: true });
  body.addEventListener("scroll", check, { passive: true });
  observe();
}

/** Set `node`'s tabindex to `tabIndex` (none for null), touching the DOM only on a change. */
function setTabIndex(node, tabIndex) {
  if (node.getAttribute("tabindex") === tabIndex) return;
  if (tabIndex === null) node.removeAttribute("tabindex");
  else node.setAttribute("tabindex", tabIndex);
}

// px of content under the foot that do not count: a cell's or a border's fraction of a pixel
const SLACK = 2;
// px of a body's height under which it shows not even a line of what it holds
const SLIVER = 16;
