// The DOM grid (render/grid.js createGrid): a cell per value, its number in it, hover per
// cell and a title written when the pointer reaches it, rows and cells a screen reader reads.
import { el, fmt, full, readsAs, short } from "../dom.js";
import { color, ink, typeScale } from "./colors.js";
import { bindHover, MARK_KINDS } from "./grid-shared.js";
import { CELL_TYPE, cellText, numberFont, numbersFor } from "./numbers.js";

// the largest cell (px on screen) whose field ring is a thin line (css/convscope.css .grid.fine)
const FINE_CELL = 14;

/** A DOM grid of `rows` x `cols` cells; options and answer as render/grid.js createGrid's. */
export function domGrid({ rows, cols, label, cell: baseCell, onCell }) {
  // large type (css/theme.css's --type-scale) grows the cells and their numbers together
  const scale = typeScale();
  const cell = Math.round(baseCell * scale);
  const root = el("div", "grid");
  // cells too small for the field's 3 px rings (.cell.in-field) take a 1 px one: at Example 1's
  // 9 px the rings left a 3 px dot of each cell's colour, the window a black mesh
  root.classList.toggle("fine", cell < FINE_CELL);
  // a table to a screen reader (rows of cells, each read with its row and column), a CSS
  // grid on screen: the rows are `display: contents`, so the cells lay out as the grid's own.
  // Its headers, hidden on screen, give each cell the array's own 0-based indices ("row 4",
  // "column 3": Xp[4,3] in the padded input); a table's own positions count from 1 (Xp[4,3]
  // was "row 5, column 4")
  root.setAttribute("role", "table");
  root.setAttribute("aria-label", label);
  const header = (role, text) => {
    const node = el("span", "visually-hidden", text);
    node.setAttribute("role", role);
    return node;
  };
  const heads = el("div", "grid-row");
  heads.setAttribute("role", "row");
  // the corner, the rows' headers' own header: what they count ("row", read before each of
  // them, was "row, row 4")
  heads.append(header("columnheader", "index from 0"));
  for (let c = 0; c < cols; c += 1) heads.append(header("columnheader", `column ${c}`));
  root.append(heads);
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
    row.append(header("rowheader", `row ${r}`));
    for (let c = 0; c < cols; c += 1) {
      const node = el("span", "cell");
      node.setAttribute("role", "cell");
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
  // AlexNet redraws 363 products a frame. The cell under the pointer is written again by each
  // draw: hovering a neuron past the playhead draws its value, and its title said "not yet
  // computed" beside it.
  let pointed = null;
  const writeTitle = (node) => {
    const value = node.dataset.value === "" ? null : Number(node.dataset.value);
    node.title = titleOf(Number(node.dataset.r), Number(node.dataset.c), value);
  };
  root.addEventListener("mouseover", (event) => {
    pointed = event.target.closest(".cell");
    if (pointed && titleOf) writeTitle(pointed);
  });
  root.addEventListener("mouseleave", () => {
    pointed = null;
  });
  bindHover(root, onCell, (event) => {
    const node = event.target.closest(".cell");
    return node && root.contains(node) ? [Number(node.dataset.r), Number(node.dataset.c)] : null;
  });
  return {
    el: root,
    // `lengths`: the text lengths of every grid drawn alike (a filter's slices), so they
    // share one type size and one overflow limit; by default this grid's own
    draw(get, { maxAbs, isPad = () => false, isStruck = () => false, title = null, lengths: alike = null }) {
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
        // showing "#", or a number rounded to fit: 5e-3 for 0.0049566) says the number all the
        // same, in full (dom.js full: a student checks the arithmetic with it); set as a label
        // changes, not every frame
        const shown = font ? cellText(text, limit) : "";
        const whole = shown === text && readsAs(text, value);
        const said = pad ? `${text} (zero padding)` : value === null ? "not computed yet"
          : whole ? null : full(value);
        if (said !== node.said) {
          if (said === null) node.removeAttribute("aria-label");
          else node.setAttribute("aria-label", said);
          node.said = said;
        }
        node.classList.toggle("pad", pad);
        node.classList.toggle("empty", value === null);
        node.style.background = value === null || pad ? "" : color(value, maxAbs);
        // a value that counts for nothing (an input cell no neuron reads, a dV the ReLU shuts):
        // its number struck through
        node.classList.toggle("struck", !pad && isStruck(Math.floor(n / cols), n % cols));
        node.style.color = value === null ? "" : ink(value, maxAbs);
        node.textContent = shown;
        node.style.fontSize = fontSize;
        node.dataset.value = value === null ? "" : String(value);
      }
      titleOf = title ?? ((r, c, v) => fmt(v));
      if (pointed) writeTitle(pointed);
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
    /** The field's outline, while one is shown. */
    fieldBox() {
      return box.hidden ? null : box;
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
