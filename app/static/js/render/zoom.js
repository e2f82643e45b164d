// Zoomable canvas grids for big volumes (AlexNet's 227x227 input, its 96 maps of 55x55).
// Each grid keeps a one-pixel-per-cell bitmap; painting scales the visible part of it onto its
// canvas, so a frame costs the same at any size. Level of detail: colours when zoomed out,
// grid lines, then numbers once a cell is big enough to hold one. The view (scale and corner)
// is a Viewport from viewport.js; pointer input is pointer.js's.
import { announce, el, short } from "../dom.js";
import { faded, ink, packed, palette, typeScale } from "./colors.js";
import { bindKeys, bindPointer } from "./pointer.js";
import { NUMBERS_FROM, SAID_CELLS, cellText, numberFont, numbersFor, valuesSaid } from "./numbers.js";
import { LOCATOR } from "./viewport.js";

const LINES_FROM = 7;
export const LABEL_FONT = 11; // px of the names over cells (setLabels), before large type
const MARK_KINDS = ["current", "seen", "pair", "pinned"];
// the marks a person looks for on a whole volume: the neuron stepped to and the one pinned
const LOCATED = ["current", "pinned"];

/** A ring of LOCATOR px, over a halo, centred on the box (x, y, w, h) when it is smaller;
 * kept inside `within` ([x0, y0, x1, y1], its map's tile) where that has room for it: a ring
 * centred on a neuron at a map's edge ran over the next map's name. Returns the ring's box
 * (null: none drawn). */
function locate(ctx, x, y, w, h, within = null) {
  if (Math.max(w, h) >= LOCATOR) return null;
  let left = Math.round(x + w / 2 - LOCATOR / 2) + 0.5; // on the pixel grid: a sharp line
  let top = Math.round(y + h / 2 - LOCATOR / 2) + 0.5;
  if (within && within[2] - within[0] >= LOCATOR && within[3] - within[1] >= LOCATOR) {
    left = Math.min(Math.max(left, within[0]), within[2] - LOCATOR);
    top = Math.min(Math.max(top, within[1]), within[3] - LOCATOR);
  }
  haloed(ctx, left, top, LOCATOR, LOCATOR);
  return [left, top, left + LOCATOR, top + LOCATOR];
}

/** The mark's outline over a halo of the other tone, so it shows on any colour. */
function haloed(ctx, x, y, w, h) {
  for (const [style, width] of [[palette.halo, 4], [palette.mark, 2]]) {
    ctx.strokeStyle = style;
    ctx.lineWidth = width;
    ctx.strokeRect(x, y, w, h);
  }
}

// One animation frame paints every grid that changed since the last one, except grids that
// asked for fewer paints (setMinInterval) and painted too recently: they wait a frame or two.
const dirty = new Set();
let frame = 0;
function schedule(grid) {
  dirty.add(grid);
  if (!frame) {
    frame = requestAnimationFrame((now) => {
      frame = 0;
      const grids = Array.from(dirty);
      dirty.clear();
      for (const g of grids) {
        if (now - g.painted < g.minInterval) schedule(g);
        else {
          g.painted = now;
          g.paint();
        }
      }
    });
  }
}

/**
 * A zoomable grid of `rows` x `cols` cells under `parent`, drawn through `view`. `get(r, c)`
 * answers a number, null (not computed yet: white) or undefined (no cell: a gap).
 * options: {label, view, onCell(type, r, c)}. Same interface as render/grid.js's grids:
 * {el, draw(get, {maxAbs, isPad, isStruck}), setCells(cells, get), setField(taps), setMarks(kind, cells),
 * setActive(on), box(r, c), boxes(cells)}.
 */
export function createZoomGrid(parent, { rows, cols, label, view, onCell, onLabels = null, expose = false, say = false, cursor = false }) {
  const root = el("div", "grid canvas-grid zoom-grid");
  root.setAttribute("role", "img");
  const named = `${label}, ${rows}x${cols} cells`;
  root.setAttribute("aria-label", named);
  const canvas = document.createElement("canvas");
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.round(view.width * ratio);
  canvas.height = Math.round(view.height * ratio);
  canvas.style.width = `${view.width}px`;
  canvas.style.height = `${view.height}px`;
  root.append(canvas);
  parent.append(root);
  const bitmap = document.createElement("canvas");
  bitmap.width = cols;
  bitmap.height = rows;
  const bctx = bitmap.getContext("2d");
  const image = bctx.createImageData(cols, rows);
  const words = new Uint32Array(image.data.buffer);
  let bitmapDirty = false;
  let values = () => null;
  let padAt = () => false;
  let scaleMax = 1;
  let field = [];
  let frames = [];
  let labels = [];
  let labelForm = null; // the form of the names last drawn (paintLabels), told to onLabels
  let titleOf = null;
  let alike = null; // the lengths the numbers' type is sized for (draw's `lengths`)
  let quiet = false; // colours only for now (see setQuiet)
  const marks = new Map(MARK_KINDS.map((kind) => [kind, []]));
  const ctx = canvas.getContext("2d");

  const grid = {
    el: root,
    // `lengths`: the text lengths of every grid drawn alike (a step's product slices), so
    // they share one type size; by default the numbers in this grid's view
    draw(get, { maxAbs, isPad = () => false, isStruck = () => false, title = null, lengths = null }) {
      values = get;
      alike = lengths;
      titleOf = title;
      padAt = isPad;
      scaleMax = maxAbs;
      const drawn = expose || say ? [] : null;
      for (let r = 0; r < rows; r += 1) {
        for (let c = 0; c < cols; c += 1) {
          const v = get(r, c);
          const pad = isPad(r, c);
          // a value that counts for nothing (an input cell no neuron reads, a dV the ReLU
          // shuts): half way to the page's colour
          words[r * cols + c] = !pad && isStruck(r, c) ? faded(word(v, pad)) : word(v, pad);
          drawn?.push(v);
        }
      }
      // `expose`: the numbers drawn, row-major, for tests and tools that read the page
      if (expose) root.dataset.values = drawn.join(" ");
      // `say`: a small one (a step's products) says its values in its name, as a small canvas
      // grid does; playing fast (setQuiet), its name alone: values kept from the step where
      // it went quiet would be another step's
      if (say && rows * cols <= SAID_CELLS) grid.describe(quiet ? "" : valuesSaid(drawn, rows, cols, isPad));
      bitmapDirty = true;
      schedule(grid);
    },
    /**
     * Rewrite the bitmap directly: `write(words, wordOf)` stores `wordOf(value)` at
     * `r * cols + c` (a tight loop beats a call per cell for 300,000 cells); `get` answers
     * the numbers drawn when zoomed in.
     */
    fill(write, get, maxAbs) {
      values = get;
      scaleMax = maxAbs;
      write(words, (value) => word(value, false));
      bitmapDirty = true;
      schedule(grid);
    },
    /** Recolour only `cells` ([[r, c], ...]) from `get` (e.g. the outputs a step completed). */
    setCells(cells, get) {
      values = get;
      for (const [r, c] of cells) words[r * cols + c] = word(get(r, c), padAt(r, c));
      bitmapDirty = true;
      schedule(grid);
    },
    setField(taps) {
      field = taps ?? [];
      schedule(grid);
    },
    setMarks(kind, list) {
      marks.set(kind, list ?? []);
      schedule(grid);
    },
    setActive(on) {
      root.classList.toggle("active", on);
    },
    /**
     * Say `text` after the grid's name (the cell in focus and its value, dom.js full: a canvas
     * has no cells a screen reader can read); "" says the name alone.
     */
    describe(text) {
      const said = text ? `${named}: ${text}` : named;
      if (root.getAttribute("aria-label") !== said) root.setAttribute("aria-label", said);
    },
    /**
     * Colours only while `on`: a player showing 60 steps a second gets no readable number
     * from redrawing hundreds of them each frame; they come back when it stops.
     */
    setQuiet(on) {
      if (quiet === on) return;
      quiet = on;
      schedule(grid);
    },
    /**
     * Names written over cells: [{r, c, cols, rows, texts}, ...], each in the `rows` over
     * cell (r, c), as wide as `cols` cells: the first of `texts` that fits (longest first),
     * none when the rows are shorter on screen than a line (zoomed out past them). The
     * grid's `onLabels(form)` is told which of `texts` it drew whenever that changes (-1:
     * none).
     */
    setLabels(list) {
      labels = list ?? [];
      schedule(grid);
    },
    /** Outline rectangles [[r0, c0, r1, c1], ...] (inclusive), e.g. the active tile. */
    setFrames(list) {
      frames = list ?? [];
      schedule(grid);
    },
    /**
     * Where cell (r, c) is on screen (client px), cut to the part inside the canvas; null
     * when the zoomed view does not show it.
     */
    box: (r, c) => cellBox(canvas.getBoundingClientRect(), r, c),
    /** box() of many cells [[r, c], ...], the canvas measured once. */
    boxes(cells) {
      const rect = canvas.getBoundingClientRect();
      return cells.map(([r, c]) => cellBox(rect, r, c));
    },
    paint,
    painted: -Infinity,
    minInterval: 0,
    /**
     * Paint at most every `ms` (0: every frame). While AlexNet plays, the big canvases
     * (the output atlas, the products) repaint at ~20 Hz: copying megabytes of canvas to the
     * screen 60 times a second costs more than a frame, and no eye follows them that fast.
     */
    setMinInterval(ms) {
      grid.minInterval = ms;
    },
  };

  function cellBox(rect, r, c) {
    if (!rect.width) return null;
    const s = view.scale * (rect.width / view.width);
    const left = Math.max(rect.left, rect.left + (c - view.x) * s);
    const top = Math.max(rect.top, rect.top + (r - view.y) * s);
    const right = Math.min(rect.right, rect.left + (c + 1 - view.x) * s);
    const bottom = Math.min(rect.bottom, rect.top + (r + 1 - view.y) * s);
    return right > left && bottom > top ? new DOMRect(left, top, right - left, bottom - top) : null;
  }

  // null: not computed yet (white); undefined: no cell here (a gap between tiles)
  function word(value, pad) {
    if (pad) return palette.padWord;
    if (value === undefined) return palette.gapWord; // the page's colour: between tiles of an atlas
    return value === null ? palette.emptyWord : packed(value, scaleMax);
  }

  function paint() {
    if (bitmapDirty) {
      bctx.putImageData(image, 0, 0);
      bitmapDirty = false;
    }
    const { scale, x, y } = view;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.fillStyle = palette.page;
    ctx.fillRect(0, 0, view.width, view.height);
    // the visible cells, whole ones only, drawn from the bitmap at `scale` px per cell
    const c0 = Math.max(0, Math.floor(x));
    const r0 = Math.max(0, Math.floor(y));
    const c1 = Math.min(cols, Math.ceil(x + view.width / scale));
    const r1 = Math.min(rows, Math.ceil(y + view.height / scale));
    const px = (c) => (c - x) * scale;
    const py = (r) => (r - y) * scale;
    ctx.drawImage(bitmap, c0, r0, c1 - c0, r1 - r0, px(c0), py(r0), (c1 - c0) * scale, (r1 - r0) * scale);
    if (scale >= LINES_FROM) {
      ctx.strokeStyle = palette.grid;
      ctx.lineWidth = 1;
      ctx.beginPath();
      for (let c = c0; c <= c1; c += 1) {
        ctx.moveTo(px(c), py(r0));
        ctx.lineTo(px(c), py(r1));
      }
      for (let r = r0; r <= r1; r += 1) {
        ctx.moveTo(px(c0), py(r));
        ctx.lineTo(px(c1), py(r));
      }
      ctx.stroke();
    }
    let numbers = scale >= NUMBERS_FROM && !quiet;
    root.dataset.scale = scale.toFixed(2);
    // the cells in view, [first row, first column, last row, last column], for tests and tools
    root.dataset.view = [view.y, view.x, view.y + view.height / view.scale - 1, view.x + view.width / view.scale - 1]
      .map((v, n) => (n < 2 ? Math.floor(v) : Math.ceil(v))).join(" ");
    // and the view's top-left corner in cells, exactly (negative where a whole grid is
    // centred with room around it)
    root.dataset.corner = `${view.y.toFixed(3)} ${view.x.toFixed(3)}`;
    if (numbers) {
      // one type size for the whole view (setting a canvas font is slow): the largest that
      // fits the longest number, down to 7 px; when even that does not fit, no cell gets a
      // number (numbers in some cells only read as blanks where the values are long), unless
      // a few long ones overflow (render/numbers.js numbersFor)
      const cells = [];
      const lengths = [];
      for (let r = r0; r < r1; r += 1) {
        for (let c = c0; c < c1; c += 1) {
          // padding is 0, but where the view says it holds nothing (null: dX's padding)
          const got = values(r, c);
          const v = padAt(r, c) && got !== null ? 0 : got;
          if (v === null || v === undefined) continue;
          const text = short(v);
          cells.push([r, c, v, text]);
          lengths.push(text.length);
        }
      }
      // large type (typeScale) grows them as far as the cells allow
      const grow = typeScale();
      const { font, limit } = numbersFor(alike ?? lengths, (n) => numberFont(scale, Math.max(1, n), { max: 13 * grow, fill: 0.36 * grow }));
      numbers = font > 0;
      root.dataset.numberPx = numbers ? font.toFixed(2) : "0"; // for tests and tools
      ctx.font = `${font}px ui-monospace, "DejaVu Sans Mono", monospace`;
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      for (const [r, c, v, text] of numbers ? cells : []) {
        ctx.fillStyle = ink(v, scaleMax);
        ctx.fillText(cellText(text, limit), px(c) + scale / 2, py(r) + scale / 2);
      }
    }
    root.dataset.numbers = numbers ? "yes" : "no";
    const line = Math.max(1.5, Math.min(4, scale / 5));
    const markStyles = { seen: palette.seen, pinned: palette.mark, pair: palette.pair, current: palette.mark };
    for (const kind of MARK_KINDS) {
      ctx.strokeStyle = markStyles[kind];
      ctx.lineWidth = line;
      for (const [r, c] of marks.get(kind)) ctx.strokeRect(px(c), py(r), scale, scale);
    }
    // each in its map's tile where the tile is framed (the active filter's)
    const tileOf = (r, c) => {
      const frame = frames.find(([r0, c0, r1, c1]) => r >= r0 && r <= r1 && c >= c0 && c <= c1);
      return frame ? [px(frame[1]), py(frame[0]), px(frame[3]) + scale, py(frame[2]) + scale] : null;
    };
    const rings = [];
    for (const kind of LOCATED) {
      for (const [r, c] of marks.get(kind)) {
        const tile = tileOf(r, c);
        const ring = locate(ctx, px(c), py(r), scale, scale, tile);
        if (ring) rings.push({ ring, tile });
      }
    }
    root.dataset.rings = JSON.stringify(rings); // for tests and tools
    ctx.strokeStyle = palette.active;
    ctx.lineWidth = 2;
    for (const [fr0, fc0, fr1, fc1] of frames) {
      ctx.strokeRect(px(fc0) - 2, py(fr0) - 2, (fc1 - fc0 + 1) * scale + 4, (fr1 - fr0 + 1) * scale + 4);
    }
    if (field.length) {
      let fr0 = Infinity; let fc0 = Infinity; let fr1 = -1; let fc1 = -1;
      for (const [r, c] of field) {
        fr0 = Math.min(fr0, r); fr1 = Math.max(fr1, r);
        fc0 = Math.min(fc0, c); fc1 = Math.max(fc1, c);
      }
      // one pixel outside the field's cells, but on the canvas: at the view's edge the box
      // lost its top or left side and read as an L
      const x0 = Math.max(px(fc0) - 1, 1); const y0 = Math.max(py(fr0) - 1, 1);
      const x1 = Math.min(px(fc1) + scale + 1, view.width - 1);
      const y1 = Math.min(py(fr1) + scale + 1, view.height - 1);
      if (x1 > x0 && y1 > y0) haloed(ctx, x0, y0, x1 - x0, y1 - y0); // else out of view
      // a dilated filter's taps, each outlined within the box (as the flat grids and the 3-D
      // block mark them): the box alone took in the cells between them
      if (field.length < (fr1 - fr0 + 1) * (fc1 - fc0 + 1)) {
        ctx.strokeStyle = palette.mark;
        ctx.lineWidth = 1;
        for (const [r, c] of field) ctx.strokeRect(px(c) + 0.5, py(r) + 0.5, scale - 1, scale - 1);
      }
      locate(ctx, px(fc0), py(fr0), (fc1 - fc0 + 1) * scale, (fr1 - fr0 + 1) * scale);
    }
    paintLabels(px, py, scale); // last: a ring or frame drawn over a map's name crossed it
  }

  function paintLabels(px, py, scale) {
    const font = LABEL_FONT * typeScale();
    const drawn = [];
    let form = -1; // none drawn
    if (labels.length && labels[0].rows * scale >= font + 2) {
      ctx.font = `${font}px ui-monospace, "DejaVu Sans Mono", monospace`;
      ctx.textAlign = "left";
      ctx.textBaseline = "bottom";
      ctx.fillStyle = palette.muted;
      const inView = labels.map((label) => ({ ...label, x: px(label.c), y: py(label.r) - 1 }))
        .filter(({ x, y, cols: wide }) => !(x + wide * scale < 0 || x > view.width || y < 0
          || y - font > view.height));
      // One form for every name (the longest that each fits), with half a line to spare:
      // names that filled their tiles ran into the next ("V[:, :, 12]V[:, :, 13]"), and a
      // row of "V[:, :, 9]" beside "V10" read as two kinds of map.
      const fits = ({ cols: wide, texts }) => texts.findIndex(
        (t) => ctx.measureText(t).width + font / 2 <= wide * scale);
      form = inView.reduce((most, label) => {
        const at = fits(label);
        return most < 0 || at < 0 ? -1 : Math.max(most, at);
      }, 0);
      for (const { x, y, texts } of form < 0 ? [] : inView) {
        const text = texts[form];
        // on the band's own colour, over the rings and frames: the first neuron's locator
        // ring crossed the first map's name
        ctx.fillStyle = palette.page;
        ctx.fillRect(x, y - font, ctx.measureText(text).width, font);
        ctx.fillStyle = palette.muted;
        ctx.fillText(text, x, y);
        drawn.push(text);
      }
    }
    root.dataset.labels = drawn.join(" | "); // the names in view, for tests and tools
    if (form !== labelForm) {
      labelForm = form;
      onLabels?.(form);
    }
  }

  view.onChange(() => schedule(grid));
  let at = null; // the keyboard's cell (cursor)
  if (cursor) {
    root.setAttribute("aria-description", "the arrow keys read its cells one at a time");
    // focused from the keyboard, the cursor starts on the corner and says it: the first
    // arrow moves from there (it landed on the corner whatever its direction); a click's
    // focus leaves it to the pointer
    root.addEventListener("focus", () => {
      if (!at && root.matches(":focus-visible")) moveCursor(0, 0);
    });
    root.addEventListener("blur", () => {
      if (at) onCell?.("leave", -1, -1);
      at = null;
    });
  }
  // the hovered cell's full text (e.g. "X[..] = 0.3 × W0[..] = -0.1 → -0.03") as the tooltip
  bindPointer(canvas, view, (type, r, c) => {
    if (type === "enter") canvas.title = titleOf ? titleOf(r, c, values(r, c)) : "";
    else if (type === "leave") canvas.title = ""; // off the cells (the clear band round them)
    onCell?.(type, r, c);
  });
  bindKeys(root, view, cursor ? moveCursor : null);
  schedule(grid);
  return grid;

  // `cursor`: the arrows move over the cells as the pointer would (a step's products, which
  // a keyboard could not read one by one: a canvas has no cells), each said with its title
  function moveCursor(dx, dy) {
    const [r, c] = at ? [at[0] + dy, at[1] + dx] : [0, 0];
    at = [Math.max(0, Math.min(rows - 1, r)), Math.max(0, Math.min(cols - 1, c))];
    view.follow(at[0], at[1], at[0], at[1]);
    onCell?.("enter", ...at);
    if (titleOf) announce(titleOf(...at, values(...at)));
  }
}
