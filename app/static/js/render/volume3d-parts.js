// The 3-D view's smaller parts: the labels drawn around a block, and the pointer gestures
// that turn, move and zoom it.
import { palette, typeScale } from "./colors.js";
import { ARROWS } from "./pointer.js";

// The block's sizes beside its edges and the name of the slice it is cut open at, each
// outside the block's silhouette (so never on the field box or the cut slice's numbers), on
// the side `away` (-1 left, 1 right) from the connection lines, on an opaque panel-coloured
// backing so a line crossing one never hides it.
/**
 * Draw the sizes of `block` beside its edges and the name of the slice it is cut open at;
 * answers the labels [{text, font, box: [x0, y0, x1, y1]}] (box in canvas CSS px).
 */
export function labels(ctx, P, block, names, cut, { away = -1, width = Infinity, height = Infinity } = {}) {
  const { cols, rows, extent } = block;
  const box8 = [];
  for (const x of [0, cols]) for (const y of [0, rows]) for (const z of [0, extent]) box8.push(P.point(x, y, z));
  const outline = convexHull(box8);
  const centre = outline.reduce(([a, b], [x, y]) => [a + x / outline.length, b + y / outline.length], [0, 0]);
  // the silhouette edge parallel to an axis whose outward normal points most away from the lines
  const edgeOf = (ends) => {
    let best = null;
    for (const [a, b] of ends) {
      const [p, q] = [P.point(...a), P.point(...b)];
      const m = [(p[0] + q[0]) / 2, (p[1] + q[1]) / 2];
      const rim = onOutline(outline, p, q);
      if (!rim) {
        // seen end-on (no edge of this axis on the silhouette): out from the centre instead
        const d = [m[0] - centre[0], m[1] - centre[1]];
        const len = Math.hypot(...d) || 1;
        const score = (d[0] / len) * away - 2;
        if (!best || score > best.score) best = { m, n: [d[0] / len, d[1] / len], score };
        continue;
      }
      let n = [q[1] - p[1], p[0] - q[0]];
      const len = Math.hypot(...n) || 1;
      n = [n[0] / len, n[1] / len];
      if (n[0] * (m[0] - centre[0]) + n[1] * (m[1] - centre[1]) < 0) n = [-n[0], -n[1]];
      const score = n[0] * away;
      if (!best || score > best.score) best = { m, n, score };
    }
    return best;
  };
  const pairs = [[0, 0], [0, 1], [1, 0], [1, 1]];
  const placed = [];
  ctx.textBaseline = "middle";
  ctx.textAlign = "left";
  // large type grows them as it grows the page's text (a hall read the blocks' numbers but
  // not their 12 px sizes and slice name); a label with no room beside a block that fills
  // its narrow panel (1024x768) is tried smaller, down to 12 px, rather than left out
  const most = Math.round(12 * typeScale());
  const say = (text, font, at, dir) => {
    for (let px = most; ; px = Math.max(12, px - 2)) {
      ctx.font = font(px);
      const box = room(ctx.measureText(text).width + 6, px + 4, at, dir);
      if (box) {
        const label = { text, font: font(px), box };
        drawLabels(ctx, [label]);
        placed.push(label);
        return;
      }
      if (px <= 12) return;
    }
  };
  // out along dir from `at` until clear of the block and of the labels already placed
  const room = (w, h, at, dir) => {
    for (let t = 2; t < 400; t += 2) {
      let x = at[0] + dir[0] * t - w / 2;
      let y = at[1] + dir[1] * t - h / 2;
      x = Math.max(1, Math.min(width - w - 1, x));
      y = Math.max(1, Math.min(height - h - 1, y));
      const r = [x, y, x + w, y + h];
      if (!rectMeetsPolygon(r, outline) && !placed.some((o) => overlaps(o.box, r))) return r;
    }
    return null;
  };
  const plain = (px) => `${px}px system-ui, sans-serif`;
  const axes = [
    [`${names.y} = ${rows}`, pairs.map(([x, z]) => [[x * cols, 0, z * extent], [x * cols, rows, z * extent]])],
    [`${names.x} = ${cols}`, pairs.map(([y, z]) => [[0, y * rows, z * extent], [cols, y * rows, z * extent]])],
    [`${names.z} = ${block.depth}`, pairs.map(([x, y]) => [[x * cols, y * rows, 0], [x * cols, y * rows, extent]])],
  ];
  for (const [text, ends] of axes) {
    const edge = edgeOf(ends);
    if (edge) say(text, plain, edge.m, edge.n);
  }
  // the cut slice's name by its lower corner on the side away from the lines
  const z = cut * block.spacing;
  const corner = [[0, rows, z], [cols, rows, z]].map((p) => P.point(...p))
    .reduce((a, b) => ((b[0] - a[0]) * away > 0 ? b : a));
  const d = [corner[0] - centre[0], corner[1] - centre[1]];
  const len = Math.hypot(...d) || 1;
  say(`${names.slice}[:, :, ${cut}]`, (px) => `bold ${px}px ui-monospace, monospace`, corner, [d[0] / len, d[1] / len]);
  return placed;
}

/** Draw labels placed by labels() again, as they were (on a region of the view redrawn). */
export function drawLabels(ctx, placed) {
  ctx.textBaseline = "middle";
  ctx.textAlign = "left";
  for (const { text, font, box: [x0, y0, x1, y1] } of placed) {
    ctx.font = font;
    ctx.fillStyle = palette.panel;
    ctx.fillRect(x0, y0, x1 - x0, y1 - y0);
    ctx.fillStyle = palette.ink;
    ctx.fillText(text, x0 + 3, (y0 + y1) / 2);
  }
}

function convexHull(points) {
  const ordered = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const cross = (o, a, b) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const half = (seq) => {
    const chain = [];
    for (const p of seq) {
      while (chain.length >= 2 && cross(chain.at(-2), chain.at(-1), p) <= 0) chain.pop();
      chain.push(p);
    }
    return chain.slice(0, -1);
  };
  return [...half(ordered), ...half(ordered.reverse())];
}

// whether segment p-q lies along the outline (an edge of the silhouette), within a pixel
function onOutline(outline, p, q) {
  const near = (a, b) => Math.hypot(a[0] - b[0], a[1] - b[1]) < 1;
  return outline.some((a, n) => {
    const b = outline[(n + 1) % outline.length];
    return (near(a, p) && near(b, q)) || (near(a, q) && near(b, p));
  });
}

const overlaps = (a, b) => a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];

// separating axes: an axis-aligned rectangle against a convex polygon
function rectMeetsPolygon([x0, y0, x1, y1], polygon) {
  const rect = [[x0, y0], [x1, y0], [x1, y1], [x0, y1]];
  const axes = [[1, 0], [0, 1]];
  for (let n = 0; n < polygon.length; n += 1) {
    const [a, b] = [polygon[n], polygon[(n + 1) % polygon.length]];
    axes.push([b[1] - a[1], a[0] - b[0]]);
  }
  const span = (pts, [ax, ay]) => {
    const dots = pts.map(([x, y]) => x * ax + y * ay);
    return [Math.min(...dots), Math.max(...dots)];
  };
  return axes.every((axis) => {
    const [a0, a1] = span(rect, axis);
    const [b0, b1] = span(polygon, axis);
    return a0 < b1 && b0 < a1;
  });
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
  // Where the page scrolls under a finger (touch-action pan-y: the phone layout), a one-finger
  // drag is the page's once it has gone further up or down than sideways: it turns nothing,
  // not even in the moves before the browser takes it over.
  let scrolling = null; // null undecided, else true (the page's) or false (a turn)
  let start = null;
  canvas.addEventListener("pointerdown", (event) => {
    pointers.set(event.pointerId, where(event));
    canvas.setPointerCapture(event.pointerId);
    press = pointers.size === 1 ? where(event) : null;
    start = press;
    scrolling = event.pointerType === "touch" && getComputedStyle(canvas).touchAction === "pan-y"
      ? null : false;
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
    if (scrolling === null && start) {
      const [sx, sy] = [point[0] - start[0], point[1] - start[1]];
      if (Math.hypot(sx, sy) <= TAP) return;
      scrolling = Math.abs(sy) > Math.abs(sx);
    }
    if (scrolling) return;
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
    if (tapped) onPoint("click", where(event), event.pointerType);
  });
  canvas.addEventListener("pointercancel", (event) => {
    up(event);
    press = null;
  });
  canvas.addEventListener("pointerleave", (event) => {
    if (!pointers.size && event.pointerType === "mouse") onPoint("leave", where(event));
  });
  // The keyboard's way in, the pointer's gestures in steps: arrows turn, Shift+arrows move,
  // + and - zoom about the centre. Handled here, they do not also step the layer or move the
  // pin (the page's keys, transport.js); Space still plays.
  canvas.tabIndex = 0;
  canvas.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const arrow = ARROWS[event.key];
    const centre = [canvas.clientWidth / 2, canvas.clientHeight / 2];
    if (arrow && event.shiftKey) move(arrow[0] * KEY_MOVE, arrow[1] * KEY_MOVE);
    else if (arrow) turn(arrow[0] * KEY_TURN, arrow[1] * KEY_TURN);
    else if (event.key === "+" || event.key === "=") zoomAt(KEY_ZOOM, centre);
    else if (event.key === "-" || event.key === "_") zoomAt(1 / KEY_ZOOM, centre);
    else return;
    event.preventDefault();
    event.stopPropagation();
  });
}

// One key press: the drag `turn` hears for 15 degrees (it turns 0.01 rad a px), a move of 24
// px, and a zoom of a quarter.
const KEY_TURN = (15 * Math.PI) / 180 / 0.01;
const KEY_MOVE = 24;
const KEY_ZOOM = 1.25;
