// What a focused input cell's gradient adds up, in backward mode: dX[row,col,ch] is the sum,
// over every neuron that reads the cell, of that neuron's dV (nothing where the ReLU shuts
// it) times the weight that met the cell. The readers and their taps are the API's
// (/api/inverse), the sum's value the API's dX: the page lists the terms a student checks it by.
import { fmt } from "../dom.js";

const MOST_TERMS = 12; // terms written out a channel (a small layer's whole sum); the rest counted
const MOST_CHANNELS = 3; // channels written out; the rest are said to follow alike
const MOST_READERS = 6; // readers named with their taps; the rest are counted

/**
 * The lines that add up dX at padded-input cell (r, c) of `model`: what the terms are, the
 * readers in the terms' order (each with the tap its filters meet the cell at), then one
 * line per channel, `dX[row,col,ch] = (dV)(w) + ... = value`; `taps` is the inverse
 * answer's [{i, j, tap_row, tap_col}] (a tap of every filter).
 */
export function dxSumLines(model, [r, c], taps) {
  const { upstream, dx, pads, shut, weightAt } = model;
  const k = upstream.shape[2];
  const depth = dx.shape[2];
  const [row, col] = [r - pads.top, c - pads.left];
  // every (reader, filter) term in order, the ReLU's shut ones in their place (adding 0):
  // counted, and the first few kept to be written out (a wide filter's cell has a million)
  const shown = [];
  let closed = 0;
  for (const { i, j, tap_row: a, tap_col: b } of taps) {
    for (let d = 0; d < k; d += 1) {
      const off = shut(i, j, d);
      if (off) closed += 1;
      if (shown.length < MOST_TERMS) shown.push([i, j, d, a, b, off]);
    }
  }
  const count = taps.length * k;
  const shuts = closed ? `; ${closed} dV shut by the ReLU` : "";
  const named = taps.slice(0, MOST_READERS).map(({ i, j, tap_row: a, tap_col: b }) => `V[${i},${j},d] at tap [${a},${b}]`);
  if (taps.length > MOST_READERS) named.push(`… ${taps.length - MOST_READERS} more`);
  const lines = [
    // a locally connected neuron's weights are its own, W[i,j,d], as the filters panel names them
    `dX adds up each reader's dV times the weight that met the cell, (dV[i,j,d])(${
      model.conn === "local" ? "W[i,j,d]" : "Wd"}[tap,ch]), reader by reader and d = 0 to ${k - 1} for each:`,
    `readers: ${named.join(", ")}`,
  ];
  for (let ch = 0; ch < Math.min(depth, MOST_CHANNELS); ch += 1) {
    const name = `dX[${row},${col},${ch}]`;
    const total = dx.at(row, col, ch);
    if (closed === count) { // nothing reaches it: every reader's gradient is shut
      // a reader is a position; each has a dV per filter (two filters were "both its readers")
      const readers = taps.length === 1 ? "its one reader" : `its ${taps.length} readers`;
      const filters = k === 1 ? "" : `, at ${k === 2 ? "both" : `all ${k}`} filters`;
      lines.push(`${name} = 0: the ReLU shuts the dV of ${readers}${filters}`);
      continue;
    }
    let sum = 0;
    const terms = shown.map(([i, j, d, a, b, off]) => {
      if (off) return "0 (shut)";
      const [g, w] = [upstream.at(i, j, d), weightAt(i, j, d, a, b, ch)];
      sum += g * w;
      return `(${fmt(g)})(${fmt(w)})`;
    });
    // the terms not written out, by what they add up to (the API's total less the shown)
    // the rest as one term of its own value: "… 6 more, adding up to 1 = 0" read as 1 = 0
    if (count > MOST_TERMS) terms.push(`(${count - MOST_TERMS} terms more: ${fmt(total - sum)})`);
    lines.push(`${name} = ${terms.join(" + ")} = ${fmt(total)}${shuts}`);
  }
  if (depth > MOST_CHANNELS) lines.push(`… and so on to dX[${row},${col},${depth - 1}]`);
  return lines;
}
