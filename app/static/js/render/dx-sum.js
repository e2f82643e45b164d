// What a focused input cell's gradient adds up, in backward mode: dX[x,y,ch] is the sum, over
// every neuron that reads the cell, of that neuron's dV (nothing where the ReLU shuts it)
// times the weight that met the cell. The readers and their taps are the API's (/api/inverse),
// the sum's value the API's dX: the page lists the terms a student checks it by.
import { fmt } from "../dom.js";

const MOST_TERMS = 4; // terms written out a channel; the rest are counted
const MOST_CHANNELS = 3; // channels written out; the rest are said to follow alike

/**
 * The lines that add up dX at padded-input cell (r, c) of `model`: one per channel, each
 * `dX[x,y,ch] = (dV)(w) + ... = value`, `taps` being the inverse answer's
 * [{i, j, tap_row, tap_col}] (a tap of every filter).
 */
export function dxSumLines(model, [r, c], taps) {
  const { upstream, pre, filters, conn, dx, pads } = model;
  const k = upstream.shape[2];
  const depth = dx.shape[2];
  const [x, y] = [r - pads.top, c - pads.left];
  const weight = conn === "local"
    ? (i, j, d, a, b, ch) => filters.at(i, j, d, a, b, ch) : (i, j, d, a, b, ch) => filters.at(d, a, b, ch);
  const lines = [];
  for (let ch = 0; ch < Math.min(depth, MOST_CHANNELS); ch += 1) {
    const terms = [];
    let shut = 0;
    for (const { i, j, tap_row: a, tap_col: b } of taps) {
      for (let d = 0; d < k; d += 1) {
        if (pre && pre.at(i, j, d) <= 0) shut += 1;
        else terms.push(`(${fmt(upstream.at(i, j, d))})(${fmt(weight(i, j, d, a, b, ch))})`);
      }
    }
    const more = terms.length - MOST_TERMS;
    const shown = more > 0 ? [...terms.slice(0, MOST_TERMS), `… ${more} more`] : terms;
    const shuts = shut ? `; ${shut} dV shut by the ReLU` : "";
    lines.push(`dX[${x},${y},${ch}] = ${shown.length ? shown.join(" + ") : "0"} = ${fmt(dx.at(x, y, ch))}${shuts}`);
  }
  if (depth > MOST_CHANNELS) lines.push(`… and so on to dX[${x},${y},${depth - 1}]`);
  return lines;
}
