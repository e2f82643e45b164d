// A volume drawn as a block of stacked depth slices. Its slices and its four sides are kept as
// one-pixel-per-cell bitmaps, made once per layer (a cell that changes rewrites one pixel);
// a frame draws only the faces that face the eye, each slice as one affine drawImage and each
// side in a few strips, so it costs about the same at 5x5x3 and at 55x55x96. A block can be
// cut open at a depth slice: the slices in front of the cut are drawn as glass, so the cut
// slice (the current neuron's, or a hovered product's) shows with its numbers. A paint may
// cover a small region of the view only (a canvas whose device pixel (0, 0) is the view's
// `origin`): the 3-D view redraws the cells a playing step recoloured that way.
import { short } from "../dom.js";
import { faded, ink, packed, palette, typeScale } from "./colors.js";
import { CELL_TYPE, numberFont } from "./numbers.js";

const GLASS = 0.22; // opacity of the slices in front of the cut
const STRIP_ERROR = 0.8; // CSS px a side strip may stray from the exact perspective
const LINES_FROM = 7; // CSS px a cell needs before its edges are drawn

function bitmap(width, height) {
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(width, height);
  // rows y0..y1 changed since the last paint: only those are copied to the canvas
  return { canvas, ctx, image, words: new Uint32Array(image.data.buffer), y0: 0, y1: height - 1 };
}

function touch(b, y) {
  b.y0 = Math.min(b.y0, y);
  b.y1 = Math.max(b.y1, y);
}

/**
 * The block of a rows x cols x depth volume: `value(r, c, k)` is a number or null (not
 * computed yet: white), `isPad(r, c)` marks zero padding, hatched and numbered `padValue`
 * (null: no number, as a gradient keeps none there), colours scale to +-`maxAbs`, and a
 * value that counts for nothing (`isStruck(r, c, k)`: a dV the ReLU shuts) is faded, as the
 * flat canvases fade it. Each depth slice is `spacing` cells deep, so shallow volumes still
 * look like blocks.
 */
export function createBlock({
  rows, cols, depth, value, maxAbs, isPad = () => false, padValue = 0, isStruck = () => false,
}) {
  const side = Math.max(rows, cols);
  const extent = Math.max(0.35 * side, Math.min(1.5 * depth, 1.2 * side));
  const spacing = extent / depth;
  const slices = bitmap(cols, rows * depth); // slice k is rows k*rows .. (k+1)*rows - 1
  const sides = { left: bitmap(depth, rows), right: bitmap(depth, rows), top: bitmap(cols, depth), bottom: bitmap(cols, depth) };
  const word = (r, c, k) => {
    if (isPad(r, c)) return palette.padWord;
    const v = value(r, c, k);
    if (v === null) return palette.emptyWord;
    return isStruck(r, c, k) ? faded(packed(v, maxAbs)) : packed(v, maxAbs);
  };
  const write = (r, c, k) => {
    const w = word(r, c, k);
    slices.words[(k * rows + r) * cols + c] = w;
    touch(slices, k * rows + r);
    if (c === 0) {
      sides.left.words[r * depth + k] = w;
      touch(sides.left, r);
    }
    if (c === cols - 1) {
      sides.right.words[r * depth + k] = w;
      touch(sides.right, r);
    }
    if (r === 0) {
      sides.top.words[k * cols + c] = w;
      touch(sides.top, k);
    }
    if (r === rows - 1) {
      sides.bottom.words[k * cols + c] = w;
      touch(sides.bottom, k);
    }
  };
  const block = {
    rows, cols, depth, spacing, extent, value, maxAbs, isPad,
    font: 0, // the type size of the numbers last drawn (one for the whole block), 0: none
    // the cells recoloured since the painter last took them ([[r, c, k], ...]; null: all)
    pending: null,
    /** Recolour every cell from `value`. */
    refreshAll() {
      for (let k = 0; k < depth; k += 1) for (let r = 0; r < rows; r += 1) for (let c = 0; c < cols; c += 1) write(r, c, k);
      block.pending = null;
    },
    /** The longest number (characters) in rows r0..r1, columns c0..c1 (clamped), every slice. */
    longestIn(r0, r1, c0, c1) {
      let longest = 0;
      for (let r = Math.max(0, r0); r <= Math.min(rows - 1, r1); r += 1) {
        for (let c = Math.max(0, c0); c <= Math.min(cols - 1, c1); c += 1) {
          for (let k = 0; k < depth; k += 1) {
            const v = isPad(r, c) ? padValue : value(r, c, k);
            if (v !== null) longest = Math.max(longest, short(v).length);
          }
        }
      }
      return longest;
    },
    /** Recolour the cells [[r, c, k], ...] (e.g. the neurons a step completed). */
    refresh(cells) {
      for (const [r, c, k] of cells) write(r, c, k);
      if (block.pending) block.pending.push(...cells);
    },
    /**
     * Draw the block on `ctx` (CSS px, scaled by `ratio`, less the device-pixel `origin` of
     * the region `ctx` covers) through projection `P`, cut open at slice `cut`; `numbers`
     * draws values on cells big enough to hold them in the `width` x `height` view. Answers
     * how many numbers it drew.
     */
    paint(ctx, P, { cut = 0, numbers = false, ratio = 1, origin = [0, 0], width = 0, height = 0 }) {
      const at = { ratio, origin };
      for (const b of [slices, ...Object.values(sides)]) {
        if (b.y1 >= b.y0) b.ctx.putImageData(b.image, 0, 0, 0, b.y0, b.canvas.width, b.y1 - b.y0 + 1);
        b.y0 = Infinity;
        b.y1 = -1;
      }
      const parts = [[cut, depth, 1]];
      if (cut > 0) parts.push([0, cut, GLASS]);
      // the farther part first, so the nearer one is painted over it
      parts.sort((a, b) => P.farness(((b[0] + b[1]) / 2) * spacing) - P.farness(((a[0] + a[1]) / 2) * spacing));
      for (const [k0, k1, alpha] of parts) {
        ctx.globalAlpha = alpha;
        drawPart(ctx, P, k0, k1, at);
        ctx.globalAlpha = 1;
        cssPixels(ctx, at);
        lines(ctx, P, k0, k1, alpha === 1);
        outline(ctx, P, [0, 0, k0 * spacing], [cols, rows, k1 * spacing], { color: palette.ink, width: alpha === 1 ? 1.2 : 0.8, hidden: false });
      }
      // the numbers last: the glass in front of the cut would only blur them
      block.font = 0;
      return numbers ? drawNumbers(ctx, P, cut, depth, width, height) : 0;
    },
  };

  // one affine image: source rect (sx, sy, sw, sh) of `b` onto o + x*u + y*v
  function image(ctx, b, [sx, sy, sw, sh], o, u, v, { ratio, origin }) {
    ctx.setTransform(ratio * u[0], ratio * u[1], ratio * v[0], ratio * v[1], ratio * o[0] - origin[0], ratio * o[1] - origin[1]);
    ctx.drawImage(b.canvas, sx, sy, sw, sh, 0, 0, sw, sh);
  }

  const sub = (a, b) => [a[0] - b[0], a[1] - b[1]];
  const per = (a, b, n) => [(a[0] - b[0]) / n, (a[1] - b[1]) / n];

  function drawPart(ctx, P, k0, k1, at) {
    ctx.imageSmoothingEnabled = false;
    const z0 = k0 * spacing;
    const z1 = k1 * spacing;
    const plane = (k, z) => {
      const o = P.point(0, 0, z);
      image(ctx, slices, [0, k * rows, cols, rows], o, sub(P.point(1, 0, z), o), sub(P.point(0, 1, z), o), at);
    };
    if (P.facing(0, 0, -1)) plane(k0, z0);
    if (P.facing(0, 0, 1)) plane(k1 - 1, z1);
    // a side spans depth, where the scale changes: strips of it, each nearly affine
    const overlap = ctx.globalAlpha === 1 ? 1 : 0.1;
    const strips = (corner, across, b, rect) => {
      const far = sub(P.point(...corner(z1, across)), P.point(...corner(z1, 0)));
      const near = sub(P.point(...corner(z0, across)), P.point(...corner(z0, 0)));
      const stray = Math.hypot(...sub(far, near));
      const n = Math.max(1, Math.min(160, Math.ceil(stray / STRIP_ERROR)));
      for (let s = 0; s < n; s += 1) {
        const ka = k0 + ((k1 - k0) * s) / n;
        const kb = k0 + ((k1 - k0) * (s + 1)) / n;
        // longer than its share, so no seam shows between strips: by a whole strip when the
        // part is opaque (the next one paints over the overlap; strips a pixel wide have
        // edges as wide as themselves), by a hair under glass (an overlap would show darker)
        const kc = Math.min(k1, kb + (kb - ka) * overlap);
        const km = (ka + kb) / 2;
        const o = P.point(...corner(ka * spacing, 0));
        const depthStep = per(P.point(...corner(kb * spacing, 0)), o, kb - ka);
        const acrossStep = per(P.point(...corner(km * spacing, across)), P.point(...corner(km * spacing, 0)), across);
        rect(ctx, b, ka, kc - ka, o, depthStep, acrossStep, at);
      }
    };
    // left/right sides: depth along the bitmap's x, rows along its y
    const xSide = (x, b) => strips((z, y) => [x, y, z], rows, b,
      (c, bm, ka, kw, o, d, a, r) => image(c, bm, [ka, 0, kw, rows], o, d, a, r));
    const ySide = (y, b) => strips((z, x) => [x, y, z], cols, b,
      (c, bm, ka, kw, o, d, a, r) => image(c, bm, [0, ka, cols, kw], o, a, d, r));
    if (P.facing(-1, 0, 0)) xSide(0, sides.left);
    if (P.facing(1, 0, 0)) xSide(cols, sides.right);
    if (P.facing(0, -1, 0)) ySide(0, sides.top);
    if (P.facing(0, 1, 0)) ySide(rows, sides.bottom);
    cssPixels(ctx, at);
  }

  // the depth slices' edges on the sides, always (they show the stacking), and the cells'
  // edges on every face once cells are big enough to tell apart
  function lines(ctx, P, k0, k1, solid) {
    const z0 = k0 * spacing;
    const z1 = k1 * spacing;
    const cell = Math.hypot(...sub(P.point(1, 0, z0), P.point(0, 0, z0)));
    const deep = Math.hypot(...sub(P.point(0, 0, z0 + spacing), P.point(0, 0, z0)));
    const cells = [];
    const slabs = [];
    const add = (list, a, b) => list.push([P.point(...a), P.point(...b)]);
    const plane = (z) => {
      for (let c = 1; c < cols; c += 1) add(cells, [c, 0, z], [c, rows, z]);
      for (let r = 1; r < rows; r += 1) add(cells, [0, r, z], [cols, r, z]);
    };
    if (cell >= LINES_FROM && P.facing(0, 0, -1)) plane(z0);
    if (cell >= LINES_FROM && P.facing(0, 0, 1)) plane(z1);
    for (const [x, nx] of [[0, -1], [cols, 1]]) {
      if (!P.facing(nx, 0, 0)) continue;
      if (deep >= 3) for (let k = k0 + 1; k < k1; k += 1) add(slabs, [x, 0, k * spacing], [x, rows, k * spacing]);
      if (cell >= LINES_FROM) for (let r = 1; r < rows; r += 1) add(cells, [x, r, z0], [x, r, z1]);
    }
    for (const [y, ny] of [[0, -1], [rows, 1]]) {
      if (!P.facing(0, ny, 0)) continue;
      if (deep >= 3) for (let k = k0 + 1; k < k1; k += 1) add(slabs, [0, y, k * spacing], [cols, y, k * spacing]);
      if (cell >= LINES_FROM) for (let c = 1; c < cols; c += 1) add(cells, [c, y, z0], [c, y, z1]);
    }
    ctx.lineWidth = 1;
    ctx.strokeStyle = palette.grid;
    path(ctx, cells);
    ctx.strokeStyle = palette.ink;
    ctx.globalAlpha = solid ? 0.5 : 0.25;
    path(ctx, slabs);
    ctx.globalAlpha = 1;
  }

  // the numbers of the visible cells of the part's faces, screen-aligned so they read upright
  function drawNumbers(ctx, P, k0, k1, width, height) {
    const z0 = k0 * spacing;
    const z1 = k1 * spacing;
    // each face: [n, m, corner(a, b) -> [x, y, z], cell(a, b) -> [r, c, k]]
    const faces = [];
    if (P.facing(0, 0, -1)) faces.push([rows, cols, (r, c) => [c, r, z0], (r, c) => [r, c, k0]]);
    if (P.facing(0, 0, 1)) faces.push([rows, cols, (r, c) => [c, r, z1], (r, c) => [r, c, k1 - 1]]);
    const xFace = (x, to) => [rows, k1 - k0, (r, k) => [x, r, (k0 + k) * spacing], (r, k) => [r, to, k0 + Math.floor(k)]];
    const yFace = (y, to) => [k1 - k0, cols, (k, c) => [c, y, (k0 + k) * spacing], (k, c) => [to, c, k0 + Math.floor(k)]];
    if (P.facing(-1, 0, 0)) faces.push(xFace(0, 0));
    if (P.facing(1, 0, 0)) faces.push(xFace(cols, cols - 1));
    if (P.facing(0, -1, 0)) faces.push(yFace(0, 0));
    if (P.facing(0, 1, 0)) faces.push(yFace(rows, rows - 1));
    const inView = ([x, y]) => x > -40 && y > -40 && x < width + 40 && y < height + 40;
    // the visible cells of every face big enough for numbers, then ONE type size for them all
    // (numbers.js: the flat grids' rule), from the longest number and the smallest such face
    const shown = [];
    let longest = 0;
    for (const [n, m, corner, cell] of faces) {
      // the cell's size on screen, from the first cell (a face is nearly affine)
      const size = cellSize(P.point(...corner(0, 0)), P.point(...corner(1, 0)), P.point(...corner(0, 1)));
      if (size < CELL_TYPE.from || n * m > 60000) continue;
      const texts = [];
      for (let a = 0; a < n; a += 1) {
        for (let b = 0; b < m; b += 1) {
          const centre = P.point(...corner(a + 0.5, b + 0.5));
          if (!inView(centre)) continue;
          const [r, c, k] = cell(a, b);
          const v = isPad(r, c) ? padValue : value(r, c, k);
          if (v === null) continue;
          const text = short(v);
          longest = Math.max(longest, text.length);
          texts.push([centre, v, text]);
        }
      }
      shown.push([size, texts]);
    }
    // a face too small for the block's longest number shows none
    // large type (typeScale) grows the numbers as the flat grids' (render/grid.js) and the
    // labels around the block (12 to 17 px) grow, as far as the cells allow: their share of
    // the cell too, for a cap alone left them at half the cell, as small as in normal type
    const scale = typeScale();
    const type = { ...CELL_TYPE, max: CELL_TYPE.max * scale, fill: CELL_TYPE.fill * scale };
    const fonts = shown.map(([size]) => numberFont(size, longest, type));
    const font = Math.min(...fonts.filter((f) => f > 0));
    if (!Number.isFinite(font)) return 0;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.font = `${font}px ui-monospace, "DejaVu Sans Mono", monospace`;
    let drawn = 0;
    shown.forEach(([, texts], n) => {
      if (!fonts[n]) return;
      for (const [centre, v, text] of texts) {
        ctx.fillStyle = ink(v, maxAbs);
        ctx.fillText(text, centre[0], centre[1]);
        drawn += 1;
      }
    });
    block.font = font;
    return drawn;
  }

  return block;
}

/**
 * Set `ctx` to draw in the view's CSS px: scaled by `ratio`, less the device-pixel `origin` of
 * the region the canvas covers ([0, 0]: the whole view).
 */
export function cssPixels(ctx, { ratio, origin = [0, 0] }) {
  ctx.setTransform(ratio, 0, 0, ratio, -origin[0], -origin[1]);
}

/**
 * The box [x0, y0, x1, y1] (CSS px) that `draw(ctx)` strokes on, its lines' widths included,
 * or null when it strokes nothing: found by drawing on a stand-in context that only records
 * (outline, cellRect and ring draw with moveTo, lineTo and arc).
 */
export function strokeBounds(draw) {
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  let width = 0;
  const at = (x, y, r = 0) => {
    x0 = Math.min(x0, x - r);
    y0 = Math.min(y0, y - r);
    x1 = Math.max(x1, x + r);
    y1 = Math.max(y1, y + r);
  };
  const recorder = {
    lineWidth: 1, strokeStyle: "", fillStyle: "",
    beginPath() {},
    setLineDash() {},
    stroke() {
      width = Math.max(width, this.lineWidth);
    },
    moveTo: (x, y) => at(x, y),
    lineTo: (x, y) => at(x, y),
    arc: (x, y, r) => at(x, y, r),
  };
  draw(recorder);
  if (!(x0 <= x1)) return null;
  const pad = width / 2 + 1; // half the widest line, and a pixel of antialiasing
  return [x0 - pad, y0 - pad, x1 + pad, y1 + pad];
}

/**
 * The room a cell drawn from screen point `o` with neighbouring corners `u` and `v` (a
 * parallelogram) has for a number: its narrower width, so a foreshortened face, whose cells
 * are long thin slivers, counts as small.
 */
export function cellSize(o, u, v) {
  const a = [u[0] - o[0], u[1] - o[1]];
  const b = [v[0] - o[0], v[1] - o[1]];
  const longer = Math.max(Math.hypot(...a), Math.hypot(...b));
  return longer > 0 ? Math.abs(a[0] * b[1] - a[1] * b[0]) / longer : 0;
}

/**
 * Outline the box from corner `a` to corner `b` ([x, y, z] each): edges the eye can see solid,
 * the others dashed (or left out when `hidden` is false).
 */
export function outline(ctx, P, a, b, { color, width = 2, hidden = true, halo = false }) {
  const xs = [a[0], b[0]];
  const ys = [a[1], b[1]];
  const zs = [a[2], b[2]];
  const seen = { x: [P.facing(-1, 0, 0), P.facing(1, 0, 0)], y: [P.facing(0, -1, 0), P.facing(0, 1, 0)], z: [P.facing(0, 0, -1), P.facing(0, 0, 1)] };
  const front = [];
  const back = [];
  for (let i = 0; i < 2; i += 1) {
    for (let j = 0; j < 2; j += 1) {
      // along x at (y_i, z_j), along y at (x_i, z_j), along z at (x_i, y_j)
      const edges = [
        [[xs[0], ys[i], zs[j]], [xs[1], ys[i], zs[j]], seen.y[i] || seen.z[j]],
        [[xs[i], ys[0], zs[j]], [xs[i], ys[1], zs[j]], seen.x[i] || seen.z[j]],
        [[xs[i], ys[j], zs[0]], [xs[i], ys[j], zs[1]], seen.x[i] || seen.y[j]],
      ];
      for (const [p, q, visible] of edges) (visible ? front : back).push([P.point(...p), P.point(...q)]);
    }
  }
  const stroke = (list, dash) => {
    if (!list.length) return;
    ctx.setLineDash(dash);
    haloStroke(ctx, list, color, width, halo);
  };
  if (hidden) stroke(back, [4, 3]);
  stroke(front, []);
  ctx.setLineDash([]);
}

/** Outline cell rectangle rows r0..r1, columns c0..c1 (inclusive) on the depth plane `z`. */
export function cellRect(ctx, P, r0, c0, r1, c1, z, { color, width = 2, halo = true }) {
  const corners = [[c0, r0], [c1 + 1, r0], [c1 + 1, r1 + 1], [c0, r1 + 1]].map(([x, y]) => P.point(x, y, z));
  haloStroke(ctx, corners.map((p, n) => [p, corners[(n + 1) % 4]]), color, width, halo);
  return corners;
}

/** Stroke the segments in `color`, over a wider halo line that keeps them visible on any cell. */
function haloStroke(ctx, segments, color, width, halo) {
  if (halo) {
    ctx.strokeStyle = palette.halo;
    ctx.lineWidth = width + 2.5;
    path(ctx, segments);
  }
  ctx.strokeStyle = color;
  ctx.lineWidth = width;
  path(ctx, segments);
}

function path(ctx, segments) {
  ctx.beginPath();
  for (const [p, q] of segments) {
    ctx.moveTo(p[0], p[1]);
    ctx.lineTo(q[0], q[1]);
  }
  ctx.stroke();
}
