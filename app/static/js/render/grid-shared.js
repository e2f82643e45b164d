// What the DOM and the canvas grids (render/grid-dom.js, render/grid-canvas.js) share: the
// kinds of mark they draw on cells, and the one path that reports the pointer on a cell.

// the marks a grid puts on its cells (a DOM grid's as classes, a canvas grid's on its overlay);
// "edited", a value set by hand, is a DOM grid's corner mark alone: a canvas's cells are too
// small for one, and its overlay has no style for it
export const MARK_KINDS = ["current", "seen", "pair", "pinned", "edited"];

// One hover/click path for both renderers: reports (r, c) changes, not every mouse move.
export function bindHover(root, onCell, locate) {
  if (!onCell) return;
  let last = null;
  // A finger has no hover: a tap's compatibility mousemove set one that no mouseleave ever
  // cleared, so the neuron a tap unpinned stayed in the arithmetic instead of the step's.
  let touch = false;
  const byFinger = (event) => {
    touch = event.pointerType === "touch";
  };
  root.addEventListener("pointerdown", byFinger);
  root.addEventListener("pointermove", byFinger);
  root.addEventListener("mousemove", (event) => {
    if (touch) return;
    const where = locate(event);
    const key = where ? where.join(",") : null;
    if (key === last) return;
    last = key;
    if (where) onCell("enter", ...where);
    else onCell("leave", -1, -1);
  });
  root.addEventListener("mouseleave", () => {
    last = null;
    onCell("leave", -1, -1);
  });
  root.addEventListener("click", (event) => {
    const where = locate(event);
    if (where) onCell("click", ...where);
  });
}
