// Pointer input on a zoomable grid's canvas: wheel and pinch zoom, drag to pan, and the cell
// under the pointer reported as enter / leave / click (a drag is not a click). The keyboard's
// way to the same zoom and pan: bindKeys.

/** Bind `canvas` to `view`; `onCell(type, r, c)` hears "enter", "leave" (-1, -1) and "click". */
export function bindPointer(canvas, view, onCell) {
  const where = (event) => {
    const box = canvas.getBoundingClientRect();
    return [event.clientX - box.left, event.clientY - box.top];
  };
  canvas.addEventListener("wheel", (event) => {
    event.preventDefault();
    const [px, py] = where(event);
    // a trackpad pinch arrives as a wheel event with ctrlKey and small deltas
    view.zoomAt(Math.exp(-event.deltaY * (event.ctrlKey ? 0.01 : 0.002)), px, py);
  }, { passive: false });
  const pointers = new Map();
  let dragged = false;
  let pinch = null;
  let last = null;
  // Where the page scrolls under a finger (touch-action pan-y: the phone layout, css/phone.css),
  // a one-finger drag that goes further up or down than sideways is the page's: it pans
  // nothing, not even in the moves before the browser takes it over (AlexNet's input slices
  // fill a phone's screen, and a swipe on them moved the picture, never the page).
  let scrolling = null; // null undecided, else true (the page's) or false (a pan)
  let start = null;
  canvas.addEventListener("pointerdown", (event) => {
    pointers.set(event.pointerId, where(event));
    canvas.setPointerCapture(event.pointerId);
    dragged = false;
    start = pointers.size === 1 ? where(event) : null;
    scrolling = event.pointerType === "touch" && getComputedStyle(canvas).touchAction === "pan-y"
      ? null : false;
    if (pointers.size === 2) {
      const [a, b] = Array.from(pointers.values());
      pinch = Math.hypot(a[0] - b[0], a[1] - b[1]);
    }
  });
  canvas.addEventListener("pointermove", (event) => {
    const point = where(event);
    const before = pointers.get(event.pointerId);
    if (before) {
      pointers.set(event.pointerId, point);
      if (pointers.size === 2 && pinch) {
        const [a, b] = Array.from(pointers.values());
        const distance = Math.hypot(a[0] - b[0], a[1] - b[1]);
        view.zoomAt(distance / pinch, (a[0] + b[0]) / 2, (a[1] + b[1]) / 2);
        pinch = distance;
        dragged = true;
        return;
      }
      const [dx, dy] = [point[0] - before[0], point[1] - before[1]];
      if (dragged || Math.abs(dx) + Math.abs(dy) > 3) {
        dragged = true;
        if (scrolling === null && start) scrolling = Math.abs(point[1] - start[1]) > Math.abs(point[0] - start[0]);
        if (!scrolling) view.panBy(dx, dy);
        return;
      }
      pointers.set(event.pointerId, before); // below the drag threshold: keep the origin
    }
    if (event.pointerType === "touch") return; // a finger has no hover (render/grid-shared.js)
    const cell = view.cellAt(...point);
    const key = cell ? cell.join(",") : null;
    if (key === last) return;
    last = key;
    if (cell) onCell("enter", ...cell);
    else onCell("leave", -1, -1);
  });
  const up = (event) => {
    pointers.delete(event.pointerId);
    if (pointers.size < 2) pinch = null;
  };
  canvas.addEventListener("pointerup", (event) => {
    up(event);
    if (!dragged) {
      const cell = view.cellAt(...where(event));
      if (cell) onCell("click", ...cell);
    }
  });
  canvas.addEventListener("pointercancel", up);
  canvas.addEventListener("pointerleave", () => {
    if (last !== null) onCell("leave", -1, -1);
    last = null;
  });
}

/**
 * Arrows pan `view` and + and - zoom it as its buttons do while `node` (a grid drawn through it)
 * has the focus; they stop there, so they neither step the layer nor move the pin (Space
 * still plays). Only the first grid bound to a view is in the tab order: the grids of one
 * view (the input's slices, the output's maps) pan and zoom together, so one stop serves them
 * all (AlexNet's 96 maps would be 96).
 */
export function bindKeys(node, view, onArrow = null) {
  if (view.keyed) return;
  view.keyed = true;
  node.tabIndex = 0;
  node.setAttribute("aria-keyshortcuts", "ArrowLeft ArrowRight ArrowUp ArrowDown + -");
  node.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const arrow = ARROWS[event.key];
    // Shift+arrows move the pin (js/pinning.js); "+" is Shift+= on most keyboards
    if (event.shiftKey && arrow) return;
    // `onArrow(dx, dy)` takes them where given (a cursor over the cells, which the view
    // follows); else a quarter of the view a press, the way the arrow points (the cells move
    // the other way)
    if (arrow && onArrow) onArrow(...arrow);
    else if (arrow) view.panBy((-arrow[0] * view.width) / 4, (-arrow[1] * view.height) / 4);
    else if (event.key === "+" || event.key === "=") view.zoomKeeping(2);
    else if (event.key === "-" || event.key === "_") view.zoomKeeping(0.5);
    else return;
    event.preventDefault();
    event.stopPropagation();
  });
}

/** The arrow keys' directions [x, y], for the views that take them (here, and the 3-D blocks). */
export const ARROWS = Object.freeze({
  ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1],
});
