// The volume grid renderer: the one small interface every panel draws a 2-D slice through.
// DOM cells for small grids (numbers in cells, hover per cell, screen-reader titles); one
// canvas for large ones (AlexNet's 227x227 input), so nothing freezes. The next issue can
// swap the canvas path for something faster without touching the panels.
import { el, fmt, full, short } from "../dom.js";
import { color, faded, ink, packed, palette, typeScale } from "./colors.js";
import { CELL_TYPE, cellText, numberFont, numbersFor } from "./numbers.js";

// Above this many cells in a panel, its grids draw on canvas.
export const CANVAS_THRESHOLD = 4000;
const MARK_KINDS = ["current", "seen", "pair", "pinned"];

/** A figure captioned `caption`, appended to `container`: the frame of one slice's grid. */
export function sliceFigure(container, caption) {
  const figure = el("figure", "slice");
  figure.append(el("figcaption", "", caption));
  container.append(figure);
  return figure;
}

/**
 * A grid of `rows` x `cols` cells under `parent`.
 * options: {label, cell (px), canvas (bool), onCell(type, r, c)} with type enter|leave|click.
 * Returns {el, draw(get, {maxAbs, isPad, title, said}), setField(taps), setMarks(kind, cells), setActive(on),
 * box(r, c), boxes(cells)}: box is where cell (r, c) is on screen now (client px), null when not
 * drawn; boxes answers a list of cells at once.
 */
export function createGrid(parent, options) {
  const grid = options.canvas ? canvasGrid(options) : domGrid(options);
  parent.append(grid.el);
  return grid;
}

function domGrid({ rows, cols, label, cell: baseCell, onCell }) {
  // large type (css/theme.css's --type-scale) grows the cells and their numbers together
  const scale = typeScale();
  const cell = Math.round(baseCell * scale);
  const root = el("div", "grid");
  // a table to a screen reader (rows of cells, each read with its row and column), a CSS
  // grid on screen: the rows are `display: contents`, so the cells lay out as the grid's own
  root.setAttribute("role", "table");
  root.setAttribute("aria-label", label);
  root.setAttribute("aria-rowcount", String(rows));
  root.setAttribute("aria-colcount", String(cols));
  root.style.gridTemplateColumns = `repeat(${cols}, ${cell}px)`;
  root.style.gridAutoRows = `${cell}px`;
  // the type's share of the cell grows too, as the zoom canvases' does: the cells grow only
  // as far as the panel's room allows, so in a short window they grew by nothing and the
  // numbers, a fixed share of them, came out no larger in large type
  const type = { ...CELL_TYPE, max: CELL_TYPE.max * scale, fill: CELL_TYPE.fill * scale };
  const fontPx = Math.max(type.min, Math.min(type.max, cell * type.fill));
  root.style.fontSize = `${fontPx}px`;
  // One type size for the whole grid, the largest that fits its longest number (never under
  // 8 px); when that one does not fit, no cell shows a number (a grid with numbers in some
  // cells only reads as blanks where the values are long), unless a few long ones overflow
  // (render/numbers.js numbersFor). The full value is in the title.
  const fontFor = (longest) => numberFont(cell, longest, type);
  const cells = [];
  for (let r = 0; r < rows; r += 1) {
    const row = el("div", "grid-row");
    row.setAttribute("role", "row");
    row.setAttribute("aria-rowindex", String(r + 1));
    for (let c = 0; c < cols; c += 1) {
      const node = el("span", "cell");
      node.setAttribute("role", "cell");
      node.setAttribute("aria-colindex", String(c + 1));
      node.dataset.r = String(r);
      node.dataset.c = String(c);
      cells.push(node);
      row.append(node);
    }
    root.append(row);
  }
  const box = el("div", "field-box");
  box.setAttribute("aria-hidden", "true");
  box.hidden = true;
  root.append(box);
  const at = (r, c) => cells[r * cols + c];
  const marked = new Map(MARK_KINDS.map((kind) => [kind, []]));
  let field = [];
  let titleOf = null;
  // Titles are written when the pointer reaches a cell, not on every draw: a playing
  // AlexNet redraws 363 products a frame.
  root.addEventListener("mouseover", (event) => {
    const node = event.target.closest(".cell");
    if (!node || !titleOf) return;
    const value = node.dataset.value === "" ? null : Number(node.dataset.value);
    node.title = titleOf(Number(node.dataset.r), Number(node.dataset.c), value);
  });
  bindHover(root, onCell, (event) => {
    const node = event.target.closest(".cell");
    return node && root.contains(node) ? [Number(node.dataset.r), Number(node.dataset.c)] : null;
  });
  return {
    el: root,
    // `lengths`: the text lengths of every grid drawn alike (a filter's slices), so they
    // share one type size and one overflow limit; by default this grid's own
    draw(get, { maxAbs, isPad = () => false, isUnread = () => false, title = null, lengths: alike = null }) {
      const values = [];
      const lengths = [];
      for (let n = 0; n < rows * cols; n += 1) {
        const value = get(Math.floor(n / cols), n % cols);
        const text = value === null ? "" : short(value);
        values.push([value, text]);
        if (value !== null) lengths.push(text.length);
      }
      const { font, limit } = numbersFor(alike ?? lengths, fontFor);
      const fontSize = font && font !== fontPx ? `${font}px` : "";
      for (let n = 0; n < rows * cols; n += 1) {
        const node = cells[n];
        const [value, text] = values[n];
        const pad = isPad(Math.floor(n / cols), n % cols);
        // what the colours say, for a screen reader: a padding zero is not the input's, a
        // blank neuron is one not computed yet, and a cell too small for its number (or
        // showing "#") says the number all the same, in full (dom.js full: a student checks
        // the arithmetic with it); set as a label changes, not every frame
        const shown = font ? cellText(text, limit) : "";
        const said = pad ? `${text} (zero padding)` : value === null ? "not computed yet"
          : shown === text ? null : full(value);
        if (said !== node.said) {
          if (said === null) node.removeAttribute("aria-label");
          else node.setAttribute("aria-label", said);
          node.said = said;
        }
        node.classList.toggle("pad", pad);
        node.classList.toggle("empty", value === null);
        node.style.background = value === null || pad ? "" : color(value, maxAbs);
        // a cell no neuron reads (the stride passes over it): its number struck through
        node.classList.toggle("unread", !pad && isUnread(Math.floor(n / cols), n % cols));
        node.style.color = value === null ? "" : ink(value, maxAbs);
        node.textContent = shown;
        node.style.fontSize = fontSize;
        node.dataset.value = value === null ? "" : String(value);
      }
      titleOf = title ?? ((r, c, v) => fmt(v));
    },
    setField(taps) {
      for (const [r, c] of field) {
        at(r, c)?.classList.remove("in-field");
        at(r, c)?.removeAttribute("aria-describedby");
      }
      field = taps ?? [];
      for (const [r, c] of field) {
        at(r, c)?.classList.add("in-field");
        // what the outline shows, for a screen reader (index.html's #said-in-field)
        at(r, c)?.setAttribute("aria-describedby", "said-in-field");
      }
      placeBox(box, field.map(([r, c]) => at(r, c)).filter(Boolean));
    },
    setMarks(kind, list) {
      // the current neuron is said to be current (aria-current), as its outline shows
      const current = kind === "current";
      for (const [r, c] of marked.get(kind)) {
        at(r, c)?.classList.remove(`mark-${kind}`);
        if (current) at(r, c)?.removeAttribute("aria-current");
      }
      marked.set(kind, list ?? []);
      for (const [r, c] of marked.get(kind)) {
        at(r, c)?.classList.add(`mark-${kind}`);
        if (current) at(r, c)?.setAttribute("aria-current", "true");
      }
    },
    setActive(on) {
      root.classList.toggle("active", on);
    },
    box(r, c) {
      const node = at(r, c);
      const rect = node?.getBoundingClientRect();
      return rect && rect.width > 0 ? rect : null;
    },
    boxes(cells) {
      return cells.map(([r, c]) => this.box(r, c));
    },
  };
}

function placeBox(box, nodes) {
  if (!nodes.length) {
    box.hidden = true;
    return;
  }
  const top = Math.min(...nodes.map((n) => n.offsetTop));
  const left = Math.min(...nodes.map((n) => n.offsetLeft));
  const bottom = Math.max(...nodes.map((n) => n.offsetTop + n.offsetHeight));
  const right = Math.max(...nodes.map((n) => n.offsetLeft + n.offsetWidth));
  // 2 px past the field's cells on every side, border included (.field-box is border-box):
  // its 3 px border straddles the field's edge, 1 px inside the cells
  Object.assign(box.style, {
    top: `${top - 2}px`, left: `${left - 2}px`,
    width: `${right - left + 4}px`, height: `${bottom - top + 4}px`,
  });
  box.hidden = false;
}

// A canvas grid of up to this many cells says its values in its name (a bigger one, a
// misfit's whole input, says its size: a screen reader cannot page through 40,000 numbers)
const SAID_CELLS = 144;

function canvasGrid({ rows, cols, label, cell, onCell }) {
  const root = el("div", "grid canvas-grid");
  root.setAttribute("role", "img");
  const named = `${label}, ${rows}x${cols} cells`;
  root.setAttribute("aria-label", named);
  const base = document.createElement("canvas");
  base.width = cols;
  base.height = rows;
  base.className = "grid-base";
  // the numbers, where the cells hold them (numbers.js: the DOM grids' rule, and their type
  // grown by large type as far as the cells allow, as the 3-D blocks' is), in device pixels
  const type = { ...CELL_TYPE, max: CELL_TYPE.max * typeScale() };
  const fontFor = (longest) => numberFont(cell, longest, type);
  const ratio = window.devicePixelRatio || 1;
  const numbers = cell >= CELL_TYPE.from ? document.createElement("canvas") : null;
  if (numbers) {
    numbers.width = Math.round(cols * cell * ratio);
    numbers.height = Math.round(rows * cell * ratio);
    numbers.className = "grid-numbers";
  }
  const overlay = document.createElement("canvas");
  overlay.width = cols * cell;
  overlay.height = rows * cell;
  overlay.className = "grid-overlay";
  const layers = [base, numbers, overlay].filter(Boolean);
  for (const canvas of layers) {
    canvas.style.width = `${cols * cell}px`;
    canvas.style.height = `${rows * cell}px`;
  }
  root.append(...layers);
  const marks = new Map(MARK_KINDS.map((kind) => [kind, []]));
  let field = [];
  const paint = () => {
    const ctx = overlay.getContext("2d");
    ctx.clearRect(0, 0, overlay.width, overlay.height);
    const styles = { seen: palette.seen, pinned: palette.mark, pair: palette.pair, current: palette.mark };
    for (const kind of MARK_KINDS) {
      ctx.strokeStyle = styles[kind];
      ctx.lineWidth = Math.max(1, cell / 4);
      for (const [r, c] of marks.get(kind)) ctx.strokeRect(c * cell, r * cell, cell, cell);
    }
    if (field.length) {
      const rs = field.map(([r]) => r);
      const cs = field.map(([, c]) => c);
      const r0 = Math.min(...rs);
      const c0 = Math.min(...cs);
      ctx.strokeStyle = palette.mark;
      ctx.lineWidth = 2;
      ctx.strokeRect(c0 * cell - 1, r0 * cell - 1,
        (Math.max(...cs) - c0 + 1) * cell + 2, (Math.max(...rs) - r0 + 1) * cell + 2);
    }
  };
  // every number at one type size or none, a few long ones as "#" (numbers.js numbersFor)
  function drawNumbers(values, maxAbs) {
    const ctx = numbers.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, cols * cell, rows * cell);
    const texts = values.map((v) => (v === null ? "" : short(v)));
    const { font, limit } = numbersFor(texts.filter(Boolean).map((t) => t.length), fontFor);
    if (!font) return;
    ctx.font = `${font}px ui-monospace, "DejaVu Sans Mono", monospace`;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    values.forEach((v, n) => {
      if (v === null) return;
      ctx.fillStyle = ink(v, maxAbs);
      ctx.fillText(cellText(texts[n], limit), (n % cols + 0.5) * cell, (Math.floor(n / cols) + 0.5) * cell);
    });
  }
  bindHover(root, onCell, (event) => {
    const box = overlay.getBoundingClientRect();
    const r = Math.floor(((event.clientY - box.top) / box.height) * rows);
    const c = Math.floor(((event.clientX - box.left) / box.width) * cols);
    return r >= 0 && r < rows && c >= 0 && c < cols ? [r, c] : null;
  });
  return {
    el: root,
    // `said` false (playing): the name keeps the values it said, as a zoomable canvas keeps
    // its words while playing (a label changing at every step is noise to a screen reader)
    draw(get, { maxAbs, isPad = () => false, isUnread = () => false, said = true }) {
      const ctx = base.getContext("2d");
      const image = ctx.createImageData(cols, rows);
      const words = new Uint32Array(image.data.buffer);
      for (let r = 0; r < rows; r += 1) {
        for (let c = 0; c < cols; c += 1) {
          const value = get(r, c);
          const pad = isPad(r, c);
          const word = pad ? palette.padWord : value === null ? palette.emptyWord : packed(value, maxAbs);
          words[r * cols + c] = !pad && isUnread(r, c) ? faded(word) : word;
        }
      }
      ctx.putImageData(image, 0, 0);
      const say = said && rows * cols <= SAID_CELLS;
      if (!numbers && !say) return;
      const values = [];
      for (let r = 0; r < rows; r += 1) for (let c = 0; c < cols; c += 1) values.push(get(r, c));
      if (numbers) drawNumbers(values, maxAbs);
      const text = (v, n) => (v === null ? "not computed yet"
        : isPad(Math.floor(n / cols), n % cols) ? `${full(v)} (zero padding)` : full(v));
      // a canvas has no cells a screen reader can read: a small one says its values after its
      // name, row by row and in full (dom.js full), as a DOM grid's cells too small for their
      // numbers say theirs and a zoomable canvas its focused cell's (zoom.js describe)
      if (say) {
        const lines = [];
        for (let r = 0; r < rows; r += 1) {
          const line = values.slice(r * cols, (r + 1) * cols).map((v, c) => text(v, r * cols + c));
          lines.push(`row ${r}: ${line.join(", ")}`);
        }
        const said = `${named}: ${lines.join("; ")}`;
        if (root.getAttribute("aria-label") !== said) root.setAttribute("aria-label", said);
      }
    },
    setField(taps) {
      field = taps ?? [];
      paint();
    },
    setMarks(kind, list) {
      marks.set(kind, list ?? []);
      paint();
    },
    setActive(on) {
      root.classList.toggle("active", on);
    },
    box(r, c) {
      return this.boxes([[r, c]])[0];
    },
    boxes(cells) {
      const rect = overlay.getBoundingClientRect();
      const sx = rect.width / cols;
      const sy = rect.height / rows;
      return cells.map(([r, c]) => (rect.width && r >= 0 && r < rows && c >= 0 && c < cols
        ? new DOMRect(rect.left + c * sx, rect.top + r * sy, sx, sy) : null));
    },
  };
}

// One hover/click path for both renderers: reports (r, c) changes, not every mouse move.
function bindHover(root, onCell, locate) {
  if (!onCell) return;
  let last = null;
  root.addEventListener("mousemove", (event) => {
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
