// The canvas grid (render/grid.js createGrid): one pixel a value on a base canvas grown by
// CSS, the numbers on a layer of their own where the cells hold them, and the marks and the
// field on an overlay; a small one says its values in its name.
import { el, short } from "../dom.js";
import { faded, ink, packed, palette, typeScale } from "./colors.js";
import { bindHover, MARK_KINDS } from "./grid-shared.js";
import { CELL_TYPE, SAID_CELLS, cellText, numberFont, numbersFor, valuesSaid } from "./numbers.js";

/** A canvas grid of `rows` x `cols` cells; options and answer as render/grid.js createGrid's. */
export function canvasGrid({ rows, cols, label, cell, onCell }) {
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
      if (!styles[kind]) continue;
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
    draw(get, { maxAbs, isPad = () => false, isStruck = () => false, said = true }) {
      const ctx = base.getContext("2d");
      const image = ctx.createImageData(cols, rows);
      const words = new Uint32Array(image.data.buffer);
      for (let r = 0; r < rows; r += 1) {
        for (let c = 0; c < cols; c += 1) {
          const value = get(r, c);
          const pad = isPad(r, c);
          const word = pad ? palette.padWord : value === null ? palette.emptyWord : packed(value, maxAbs);
          words[r * cols + c] = !pad && isStruck(r, c) ? faded(word) : word;
        }
      }
      ctx.putImageData(image, 0, 0);
      const say = said && rows * cols <= SAID_CELLS;
      if (!numbers && !say) return;
      const values = [];
      for (let r = 0; r < rows; r += 1) for (let c = 0; c < cols; c += 1) values.push(get(r, c));
      if (numbers) drawNumbers(values, maxAbs);
      if (say) {
        const said = `${named}: ${valuesSaid(values, rows, cols, isPad)}`;
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
