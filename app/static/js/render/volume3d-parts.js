// The 3-D view's smaller parts: the labels drawn around a block, and the pointer gestures
// that turn, move and zoom it.
import { palette } from "./colors.js";

// The block's sizes beside its edges (width on top, height on the left, depth below) and the
// name of the slice it is cut open at.
/** The sizes of `block` beside its edges and the name of the slice it is cut open at. */
export function labels(ctx, P, block, names, cut) {
  const { cols, rows, extent } = block;
  const mid = (a, b) => {
    const p = P.point(...a);
    const q = P.point(...b);
    return [(p[0] + q[0]) / 2, (p[1] + q[1]) / 2];
  };
  const pick = (edges, score) => edges.map(([a, b]) => mid(a, b)).reduce((best, m) => (score(m) < score(best) ? m : best));
  const corners = [[0, 0], [0, 1], [1, 0], [1, 1]];
  const top = pick(corners.map(([y, z]) => [[0, y * rows, z * extent], [cols, y * rows, z * extent]]), ([, y]) => y);
  const left = pick(corners.map(([x, z]) => [[x * cols, 0, z * extent], [x * cols, rows, z * extent]]), ([x]) => x);
  const low = pick(corners.map(([x, y]) => [[x * cols, y * rows, 0], [x * cols, y * rows, extent]]), ([, y]) => -y);
  ctx.font = "12px system-ui, sans-serif";
  ctx.textBaseline = "middle";
  // on a pale backing, so a label stays readable over the block when zoomed in
  const say = (text, x, y, align) => {
    const w = ctx.measureText(text).width;
    const left = Math.max(2, align === "center" ? x - w / 2 : align === "right" ? x - w : x);
    ctx.fillStyle = palette.panel;
    ctx.globalAlpha = 0.8;
    ctx.fillRect(left - 3, y - 8, w + 6, 16);
    ctx.globalAlpha = 1;
    ctx.fillStyle = palette.ink;
    ctx.textAlign = "left";
    ctx.fillText(text, left, y);
  };
  say(`${names.x} = ${cols}`, top[0], top[1] - 11, "center");
  say(`${names.z} = ${block.depth}`, low[0], low[1] + 12, "center");
  say(`${names.y} = ${rows}`, left[0] - 6, left[1], "right");
  // the cut slice's name under its lower left corner
  const corner = P.point(0, rows, cut * block.spacing);
  ctx.font = "bold 12px ui-monospace, monospace";
  say(`${names.slice}[:, :, ${cut}]`, corner[0] - 2, corner[1] + 12, "right");
}

// Pointer input: one finger or the mouse turns (Shift or the middle button moves), two fingers
// pinch to zoom and move, the wheel zooms at the pointer; a mouse moving with no button down
// hovers, and a press that barely moves (a click, a tap) points.
const TAP = 4; // px a press may move and still be a click

/**
 * Bind `canvas`'s pointer and wheel input to turn(dx, dy), move(dx, dy), zoomAt(factor, [x,
 * y]) and point(type, [x, y]) with type "hover", "leave" or "click" (canvas CSS px).
 */
export function bindGestures(canvas, { turn, move, zoomAt, point: onPoint = () => {} }) {
  // in the canvas's content box (inside its border), where its drawing is
  const where = (event) => {
    const box = canvas.getBoundingClientRect();
    return [event.clientX - box.left - canvas.clientLeft, event.clientY - box.top - canvas.clientTop];
  };
  canvas.addEventListener("wheel", (event) => {
    event.preventDefault();
    // a trackpad pinch arrives as a wheel event with ctrlKey and small deltas
    zoomAt(Math.exp(-event.deltaY * (event.ctrlKey ? 0.01 : 0.002)), where(event));
  }, { passive: false });
  const pointers = new Map();
  let pinch = null;
  let press = null; // where a one-pointer press started, until it moves too far to be a click
  const spread = () => {
    const [a, b] = Array.from(pointers.values());
    return { d: Math.hypot(a[0] - b[0], a[1] - b[1]), mid: [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2] };
  };
  canvas.addEventListener("pointerdown", (event) => {
    pointers.set(event.pointerId, where(event));
    canvas.setPointerCapture(event.pointerId);
    press = pointers.size === 1 ? where(event) : null;
    if (pointers.size === 2) pinch = spread();
  });
  canvas.addEventListener("pointermove", (event) => {
    const before = pointers.get(event.pointerId);
    if (!before) {
      if (event.pointerType === "mouse") onPoint("hover", where(event));
      return;
    }
    const point = where(event);
    if (press && Math.hypot(point[0] - press[0], point[1] - press[1]) > TAP) press = null;
    pointers.set(event.pointerId, point);
    if (pointers.size === 2 && pinch) {
      const now = spread();
      if (pinch.d > 0) zoomAt(now.d / pinch.d, now.mid);
      move(now.mid[0] - pinch.mid[0], now.mid[1] - pinch.mid[1]);
      pinch = now;
      return;
    }
    const [dx, dy] = [point[0] - before[0], point[1] - before[1]];
    if (event.shiftKey || event.buttons === 4) move(dx, dy);
    else turn(dx, dy);
  });
  const up = (event) => {
    pointers.delete(event.pointerId);
    if (pointers.size < 2) pinch = null;
  };
  canvas.addEventListener("pointerup", (event) => {
    const tapped = press && pointers.size === 1;
    up(event);
    press = null;
    if (tapped) onPoint("click", where(event));
  });
  canvas.addEventListener("pointercancel", (event) => {
    up(event);
    press = null;
  });
  canvas.addEventListener("pointerleave", (event) => {
    if (!pointers.size && event.pointerType === "mouse") onPoint("leave", where(event));
  });
}
