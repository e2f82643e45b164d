// The one rule for numbers in cells, for every grid (DOM or canvas) and the 3-D blocks: a grid
// (a view, a block) shows all its numbers at ONE type size, the largest that fits its longest
// number, or none at all. Numbers in a few short cells only would read as blanks elsewhere.
// Except for a few long ones among short ones (a value typed in by hand): those show OVERFLOW,
// as a spreadsheet shows "###", and the rest keep their numbers (numbersFor).

import { full } from "../dom.js";

const DIGIT = 0.62; // a monospace digit's width, in ems
export const NUMBERS_FROM = 24; // CSS px a zoomable canvas's cell needs before it gets a number
/** The flat grids' type (DOM cells, numbers from 18 px cells) and the 3-D blocks'. */
export const CELL_TYPE = Object.freeze({ from: 18, max: 13, min: 8, fill: 0.5, inset: 3 });

/**
 * The type size (CSS px) for numbers of up to `longest` characters in cells `cell` px wide, or
 * 0 for none. Options: `from` (the smallest cell that gets numbers), `max` (the largest type),
 * `min` (the smallest), `fill` (the type's share of the cell) and `inset` (px kept clear).
 * The defaults are the zoomable canvases'; the DOM grids and the blocks pass CELL_TYPE.
 */
export function numberFont(cell, longest, { from = NUMBERS_FROM, max = 13, min = 7, fill = 0.36, inset = 2 } = {}) {
  if (cell < from || !longest) return 0;
  const base = Math.max(min, Math.min(max, cell * fill));
  const font = Math.min(base, (cell - inset) / (longest * DIGIT));
  return font >= min ? font : 0;
}

/** The smallest cell (CSS px) that shows numbers of up to `longest` characters with `type`. */
export function cellFor(longest, { from = NUMBERS_FROM, min = 7, inset = 2 } = {}) {
  return Math.max(from, Math.ceil(min * Math.max(1, longest) * DIGIT + inset));
}

// A canvas grid of up to this many cells says its values in its name (a bigger one, a
// misfit's whole input, says its size: a screen reader cannot page through 40,000 numbers)
export const SAID_CELLS = 144;

/**
 * A canvas's `values` (row-major, `rows` x `cols`) in words, row by row and in full (dom.js
 * full): a canvas has no cells a screen reader can read, so a small one says them after its
 * name, as a DOM grid's cells too small for their numbers say theirs.
 */
export function valuesSaid(values, rows, cols, isPad = () => false) {
  const text = (v, r, c) => (v === null ? "not computed yet"
    : isPad(r, c) ? `${full(v)} (zero padding)` : full(v));
  const lines = [];
  for (let r = 0; r < rows; r += 1) {
    const line = values.slice(r * cols, (r + 1) * cols).map((v, c) => text(v, r, c));
    lines.push(`row ${r}: ${line.join(", ")}`);
  }
  return lines.join("; ");
}

/** What a cell shows in place of a number longer than its grid's type is sized for. */
const OVERFLOW = "#";
/** The share of a grid's cells that may show OVERFLOW rather than blank the grid. */
const OUTLIERS = 0.1;

/**
 * The type for a grid's numbers of `lengths` characters: `{font, limit}`, where `fontFor(n)`
 * gives the type size for numbers of n characters (0: none fits) and cells longer than
 * `limit` show OVERFLOW. The longest number sets the type when it fits; when it does not, a
 * tenth of the cells at most may overflow so that the rest keep their numbers.
 */
export function numbersFor(lengths, fontFor) {
  let longest = 0;
  for (const n of lengths) longest = Math.max(longest, n);
  const font = fontFor(longest);
  if (font || !lengths.length) return { font, limit: longest };
  const sorted = Float64Array.from(lengths).sort();
  const limit = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * (1 - OUTLIERS)))];
  return { font: fontFor(limit), limit };
}

/**
 * A cell's text under `numbersFor`'s `limit`. A fraction one digit too long is rounded to one
 * significant digit where that fits (-0.081 among 0.098s reads -0.08, as a narrow spreadsheet
 * column shows it; the cell's title and label hold it whole); a longer number shows OVERFLOW.
 */
export function cellText(text, limit) {
  if (text.length <= limit) return text;
  const value = Number(text);
  const rounded = Number(value.toPrecision(1));
  // a whole part rounded away (1234 as 1000), or made up (0.96 as 1, among the grid's true
  // 1s): never
  if (!(Math.abs(value) < 1 && Math.abs(rounded) < 1)) return OVERFLOW;
  return String(rounded).length <= limit ? String(rounded) : OVERFLOW;
}
