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
    // A body squeezed to a sliver (a pinned neuron's arithmetic in an 800x450 frame in large
    // type left the products 2 px) shows nothing to scroll through: out of the tab order,
    // where Chromium puts every scroller (its focus ring was a line under the tag). A screen
    // reader still reads what it holds.
    const sliver = below && body.clientHeight < SLIVER;
    if (sliver && !("sliver" in body.dataset)) {
      body.dataset.sliver = "";
      body.tabIndex = -1;
    } else if (!sliver && "sliver" in body.dataset) {
      delete body.dataset.sliver;
      body.removeAttribute("tabindex");
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
