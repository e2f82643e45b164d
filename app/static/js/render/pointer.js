// Pointer input on a zoomable grid's canvas: wheel and pinch zoom, drag to pan, and the cell
// under the pointer reported as enter / leave / click (a drag is not a click).

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
  canvas.addEventListener("pointerdown", (event) => {
    pointers.set(event.pointerId, where(event));
    canvas.setPointerCapture(event.pointerId);
    dragged = false;
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
        view.panBy(dx, dy);
        return;
      }
      pointers.set(event.pointerId, before); // below the drag threshold: keep the origin
    }
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
