// A panel whose body runs on below its foot says so: with overlay scrollbars (macOS, phones,
// most projected laptops) nothing showed that a panel scrolled until someone tried it, and a
// 960x540 frame in large type cut the weight gradient's third slice in half with no sign of
// the rest. The panel gets `more-below` while there is more under its body's foot, and its
// stylesheet draws a small "more below" tag there (css/convscope.css); scrolled to the end,
// the tag goes.

/**
 * Watch every panel body under `root`. Cheap while playing: the check runs when a body or one
 * of its children changes size, when a body's children are replaced (a layout built again)
 * and when it scrolls, never on a step's new numbers.
 */
export function markOverflowing(root) {
  for (const body of root.querySelectorAll(".panel-body")) watch(body);
}

function watch(body) {
  const panel = body.closest(".panel");
  if (!panel) return;
  const check = () => {
    const below = body.scrollHeight - body.clientHeight - body.scrollTop > SLACK;
    if (panel.classList.contains("more-below") !== below) panel.classList.toggle("more-below", below);
    // A body that scrolls is a tab stop of its own, so a keyboard reaches what is under its
    // foot or past its side (Up and Down scroll it; Left and Right still step the layer).
    // Chromium makes every scroller one; other browsers, and axe's scrollable-region-focusable
    // rule, need the tabindex. A body squeezed to a sliver (a pinned neuron's arithmetic in an
    // 800x450 frame in large type left the products 2 px) shows nothing to scroll through: out
    // of the tab order (its focus ring was a line under the tag). A screen reader still reads
    // what it holds.
    const scrolls = below || body.scrollTop > 0 || body.scrollWidth - body.clientWidth > SLACK;
    const sliver = below && body.clientHeight < SLIVER;
    const tabIndex = sliver ? "-1" : scrolls ? "0" : null;
    if (body.getAttribute("tabindex") !== tabIndex) {
      if (tabIndex === null) body.removeAttribute("tabindex");
      else body.setAttribute("tabindex", tabIndex);
    }
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

// px of content under the foot that do not count: a cell's or a border's fraction of a pixel
const SLACK = 2;
// px of a body's height under which it shows not even a line of what it holds
const SLIVER = 16;
