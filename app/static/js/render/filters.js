// The filters: K rows of D slices plus a bias, the focused neuron's filter highlighted. In a
// locally connected layer every position has its own weights, so the panel shows the focused
// position's set and redraws as the field moves. Many filters scroll inside the panel, the
// active one kept in its view.
import { createGrid, sliceFigure, CANVAS_THRESHOLD } from "./grid.js";
import { CAPTION, gridRoom, keepInView, numbersCell, onOneScreen, projectedCell, roomOf } from "./fit.js";
import { el, fmt, short } from "../dom.js";
import { CELL_TYPE, cellFor } from "./numbers.js";
import { packed, palette, typeScale } from "./colors.js";

/**
 * Build the filters panel; `onCell(type, k, r, c, ch)` hears enter, leave and click. Returns
 * {update(focus), box(k, r, c, ch), filterBox(k)}: where a weight, and filter k's whole row
 * (its slices and bias), are on screen (client px), null when not drawn. `captions` names
 * each depth slice over its grid (sliceCaption); backward mode, whose filters share their
 * column with the weight gradient, gives that line to the numbers (render/split.js).
 */
export function createFiltersView(container, model, onCell, { captions = true } = {}) {
  const { filters, conn } = model;
  const [k, fh, fw, depth] = filters.shape.slice(conn === "local" ? 2 : 0);
  return k * fh * fw * depth > CANVAS_THRESHOLD
    ? bankView(container, model, onCell)
    : domView(container, model, onCell, captions);
}

function domView(container, model, onCell, captions) {
  const { filters, bias, conn, wMaxAbs, edited } = model;
  const local = conn === "local";
  const [k, fh, fw, depth] = filters.shape.slice(local ? 2 : 0);
  // in large type, cells a hall reads if the panel has room for them
  const numbers = numbersNeed(filters, fh * fw * depth);
  const caption = captions ? CAPTION : 0;
  const cell = domCell(k, fh, fw, depth, caption, gridRoom(container), Math.max(numbers, projectedCell()),
    projectedCell() > 0 && onOneScreen(container), numbers);
  const named = captions ? sliceCaption(container, sliceWidth(fw, cell) * typeScale(), local, k, depth) : null;
  const rows = [];
  for (let f = 0; f < k; f += 1) {
    const row = el("div", "filter");
    row.setAttribute("role", "group");
    row.setAttribute("aria-label", `Filter ${f}`);
    const name = el("span", "filter-name", `W${f}`);
    row.append(name);
    const grids = [];
    for (let ch = 0; ch < depth; ch += 1) {
      grids.push(createGrid(named ? sliceFigure(row, named(f, ch)) : row, {
        rows: fh, cols: fw, cell,
        label: `Filter ${f} depth slice ${ch}`,
        onCell: (type, r, c) => onCell(type, f, r, c, ch),
      }));
    }
    const biasText = el("span", "bias");
    row.append(biasText);
    container.append(row);
    rows.push({ row, name, grids, biasText });
  }
  let drawnAt = null;
  let shown = { d: -1, pair: "" };
  rows.forEach(({ row }) => row.setAttribute("aria-current", "false"));
  const draw = (i, j) => {
    const w = local ? filters.slice(i, j) : filters;
    const b = local ? bias.slice(i, j) : bias;
    rows.forEach(({ name, grids, biasText }, f) => {
      // one type size for a filter's slices where the cells were sized for its numbers: a
      // slice whose -0.25s did not fit drew none beside one of the same filter that showed
      // its 0.5s; cells too small for them (a short window) leave each slice what fits it
      const lengths = cell >= numbers ? Array.from(w.slice(f).data, (v) => short(v).length) : null;
      name.textContent = local ? `W[${i},${j},${f}]` : `W${f}`;
      grids.forEach((grid, ch) => grid.draw((r, c) => w.at(f, r, c, ch), {
        maxAbs: wMaxAbs, lengths,
        title: (r, c, v) => `${local ? `W[${i},${j},${f}]` : `W${f}`}[${r},${c},${ch}] = ${fmt(v)}`,
      }));
      biasText.textContent = `${local ? `b[${i},${j},${f}]` : `b${f}`} = ${fmt(b.at(f))}`;
      // the weights and the bias set by hand, marked (a locally connected layer's, at the
      // position shown)
      const own = local ? [i, j, f].join() : f;
      grids.forEach((grid, ch) => grid.setMarks("edited", edited.weights(own, ch)));
      biasText.classList.toggle("edited", edited.bias(own));
    });
  };
  if (!local) draw(0, 0);
  return {
    update(focus) {
      const at = focus.position ?? { i: 0, j: 0, d: -1 };
      if (local && drawnAt !== `${at.i},${at.j}`) {
        draw(at.i, at.j);
        drawnAt = `${at.i},${at.j}`;
      }
      // only the rows whose state changes are touched: 96 filters x 3 canvases otherwise
      // repaint every frame while AlexNet plays
      const pairKey = focus.pair ? `${at.d}:${focus.pair.channel}:${focus.pair.tap}` : "";
      const touched = new Set([shown.d, at.d].filter((f) => f >= 0 && f < rows.length));
      if (shown.pair === pairKey && shown.d === at.d) return;
      if (at.d !== shown.d && at.d >= 0 && at.d < rows.length) keepInView(container, rows[at.d].row);
      for (const f of touched) {
        const { row, grids } = rows[f];
        const active = f === at.d;
        row.classList.toggle("active", active);
        row.setAttribute("aria-current", active ? "true" : "false");
        grids.forEach((grid, ch) => {
          grid.setActive(active);
          const pair = active && focus.pair && focus.pair.channel === ch ? [focus.pair.tap] : [];
          grid.setMarks("pair", pair);
        });
      }
      shown = { d: at.d, pair: pairKey };
    },
    box: (f, r, c, ch) => rows[f]?.grids[ch]?.box(r, c) ?? null,
    filterBox(f) {
      const rect = rows[f]?.row.getBoundingClientRect();
      return rect && rect.width > 0 ? rect : null;
    },
  };
}

/**
 * Names for the `k` filters' `depth` slices, as NumPy indexes them: `(f, ch) => "W0[:,:,1]"`,
 * in the longest form whose longest caption a slice `width` px on screen holds (a caption
 * wider than its grid would widen the slice and wrap the filter's row). A locally connected
 * layer's filter is named by its position (`W[i,j,d]`, which moves with the field), so its
 * slices say their index alone. One character is measured (the type is monospace).
 */
function sliceCaption(container, width, local, k, depth) {
  const probe = sliceFigure(container, "0");
  const text = probe.querySelector("figcaption");
  text.style.whiteSpace = "nowrap";
  text.style.width = "max-content";
  const perChar = text.getBoundingClientRect().width;
  probe.remove();
  return captionForm((caption) => caption.length * perChar <= width, !local, k, depth);
}

/**
 * The one form all `depth` slices of `k` filters are named in (one for all, as Example 2's
 * 20 slices went from "[:,:,9]" to "10" when each took the longest it fitted): the filter's
 * name and the index (`named`), the index alone (`[:,:,1]`, under a name said elsewhere),
 * else the depth's number; the longest whose widest caption `fits`.
 */
function captionForm(fits, named, k, depth) {
  const forms = [...(named ? [(f, ch) => `W${f}[:,:,${ch}]`] : []), (f, ch) => `[:,:,${ch}]`];
  return forms.find((form) => fits(form(k - 1, depth - 1))) ?? ((f, ch) => String(ch));
}

/**
 * The cell size (px) at which the K filters (a line for name and bias, then the D slices,
 * wrapped) fill the panel's room: up to 36 px, at least the numbers' 18 px (`least`, less for
 * a wide filter) unless a wide filter needs less. When the K do not fit even so the panel
 * scrolls through them, but the active one must still fit whole: the biggest cell at which
 * one filter does, numbers or not; in large type on one screen (`hall`) never under `least`
 * where the numbers show at `least` (the panel scrolls through the active filter's wrapped
 * slices instead).
 * `need` is the least cell wanted (the weights' numbers, or large type's), `numbers` the
 * weights' numbers' alone.
 */
function domCell(k, fh, fw, depth, caption, room, need = 0, hall = false, numbers = 0) {
  const least = leastCell(fw);
  // a slice wider than the panel counted as one across and "fitted": a 640x360 frame drew a
  // misfit's 3x3 weights at 36 px in a 91 px panel, scrolled sideways, where 28 px fit whole
  const fits = (cell, oneLine, count = k) => sliceWidth(fw, cell) <= room.width - 12
    && rowsHeight(count, fh, fw, depth, room.width, cell, caption) <= room.height
    && (!oneLine || slicesAcross(fw, room.width, cell) >= depth);
  // first cells big enough for the weights' own numbers (`need`: a Sobel slice's -0.25 took
  // more than the 18 px whole numbers do, and side by side its slices kept 27 px, so two of
  // three drew none while the panel had room below for wrapped ones)
  for (const oneLine of [true, false]) {
    for (let cell = 36; cell >= need && cell > least; cell -= 1) if (fits(cell, oneLine)) return cell;
  }
  // in large type on one screen (`hall`) what a hall reads is the active filter: the projected
  // cell or more, its slices wrapped as they must, while the other filters scroll (as the
  // input's slices do); a phone's page scrolls instead, its filters kept whole
  if (hall) {
    for (let cell = 36; cell >= projectedCell(); cell -= 1) if (fits(cell, false, 1)) return cell;
    // short of that, the active filter alone still as big as it fits whole, where that is
    // bigger than all K fit at: large type beside backward mode's weight gradients drew the
    // demo's 3x3x3 weights at 18 px, smaller than normal type's 27, to keep both in view
    const biggest = (count) => {
      for (let cell = projectedCell() - 1; cell > least; cell -= 1) if (fits(cell, false, count)) return cell;
      return 0;
    };
    const one = biggest(1);
    if (one > biggest(k)) return one;
  }
  // weights whose numbers need more room than all filters leave (a bank's -0.25s): as in a
  // hall, the active filter as big as it fits whole and the others scrolled to, rather than
  // every slice too small for its numbers (blank cells a student cannot multiply by hand)
  if (numbers > least) {
    for (const oneLine of [true, false]) {
      for (let cell = 36; cell >= numbers; cell -= 1) if (fits(cell, oneLine, 1)) return cell;
    }
  }
  // a filter's slices side by side if they can be, else the biggest cells that fit; on one
  // screen in large type the biggest cells first, wrapped or not (side by side in a 1280x720 projection the
  // demo's weights took 22 px, smaller than in normal type, the panel half empty below them)
  for (const oneLine of hall ? [false] : [true, false]) {
    for (let cell = 36; cell > least; cell -= 1) if (fits(cell, oneLine)) return cell;
  }
  // In large type numbers that show at the least cell are never made smaller than normal
  // type draws them: shrinking until the active filter fitted whole drew a 960x540 frame's
  // 3x3x3 weights at 13 px, too small for any number, where normal type shows them at 18 px.
  // A hall's active filter keeps the numbers' least cell, its slices wrapped, and the panel
  // scrolls (as the input's do). Weights whose numbers need more than that (Example 2's
  // 0.03349s) show none at the least cell either: their filter still fits whole
  if (hall && numbers <= least) return least;
  for (let cell = least; cell > 4; cell -= 1) if (fits(cell, false, 1)) return cell;
  return least;
}

/** The least cell (px, before large type grows it) domCell gives a filter `fw` wide. */
const leastCell = (fw) => Math.max(Math.ceil(10 / typeScale()), Math.min(numbersCell(), Math.floor(120 / fw)));

/** How many slices `fw` wide at `cell` px a row of a panel `width` px wide holds (at least 1). */
const slicesAcross = (fw, width, cell) => Math.max(1, Math.floor((width - 12) / (fw * (cell + 1) + 1 + 5)));

/** The px (before large type grows them) `count` filters take in a panel `width` px wide at
 * `cell` px: a line for the name and bias, then the slices wrapped, each under a `caption`
 * px line (0 without captions), and the gaps between
 * (css/convscope.css .filter and .filters, in rem, which large type grows). A grid's cells
 * grow by large type's scale but its 1 px lines do not: grown with them, they made a 3x3
 * filter 8 px taller in large type than it is, and the weight gradient's contribution was
 * left 4 px short in a 1280x720 projection (render/split.js). */
/** One slice's width (px, before large type grows it) at `cell`: its cells and borders. */
function sliceWidth(fw, cell) {
  const scale = typeScale();
  return (fw * (Math.round(cell * scale) + 1) + 1) / scale;
}

function rowsHeight(count, fh, fw, depth, width, cell, caption) {
  const scale = typeScale();
  const rows = Math.ceil(depth / slicesAcross(fw, width, cell));
  // each slice under its caption line, if it has one (sliceCaption)
  const grid = (fh * (Math.round(cell * scale) + 1) + 1) / scale + caption;
  return count * (FILTER_LINE + rows * grid + (rows - 1) * SLICE_GAP) + (count - 1) * FILTER_GAP;
}

// px before large type grows them (1 rem = 16 px): a filter's padding (0.3rem), its name's
// line (0.78rem type, a line of 1.2) and the two row gaps under it (0.4rem); the gap between
// its rows of slices (0.2rem), and between filters (0.3rem)
const FILTER_LINE = 16 * (0.3 + 0.78 * 1.2 + 0.4);
const SLICE_GAP = 16 * 0.2;
const FILTER_GAP = 16 * 0.3;

/**
 * The px on screen the filters panel's body needs in a panel `width` px wide (on screen) at
 * the least cell domCell gives their numbers: `{all, one}`, for the K filters and for the
 * active one alone, and `tall(n)` for the first n of the `count`; null for a bank (one canvas,
 * which scrolls).
 */
export function filtersNeed(model, width) {
  const { filters, conn } = model;
  const [k, fh, fw, depth] = filters.shape.slice(conn === "local" ? 2 : 0);
  if (k * fh * fw * depth > CANVAS_THRESHOLD) return null;
  const scale = typeScale();
  const cell = Math.max(numbersNeed(filters, fh * fw * depth), leastCell(fw));
  // backward mode's filters, the split's, have no captions (createFiltersView)
  const tall = (count) => Math.ceil(rowsHeight(count, fh, fw, depth, width / scale, cell, 0) * scale);
  return { all: tall(k), one: tall(1), count: k, tall };
}

/**
 * The cell (px, before large type grows it) the weights' numbers need: a filter's longest cell
 * text (render/numbers.js) in the middle filter, over the first SAMPLE weights (a filter's
 * slices share one type size; a bank's few filters of long numbers should not shrink the
 * readable ones, as they did: its Sobel filters' -0.25s blank beside its blobs' 0.0156s).
 */
function numbersNeed(filters, perFilter) {
  const longest = [];
  const data = filters.data.subarray(0, SAMPLE);
  for (let start = 0; start < data.length; start += perFilter) {
    let most = 1;
    for (const v of data.subarray(start, start + perFilter)) most = Math.max(most, short(v).length);
    longest.push(most);
  }
  longest.sort((a, b) => a - b);
  return Math.ceil(cellFor(longest[Math.floor(longest.length / 2)] ?? 1, CELL_TYPE) / typeScale());
}

const SAMPLE = 20_000;
// The tallest canvas of a bank (px): far under the 65,535 a side browsers draw, at any zoom.
const PIECE_PX = 16_384;

/**
 * A big filter bank (AlexNet's 96 x 11x11x3) on ONE canvas, a row per filter: its name, its
 * D slices and its bias. The active filter is outlined by a positioned box, so a frame that
 * moves the highlight repaints nothing else.
 */
function bankView(container, model, onCell) {
  const { filters, bias, conn, wMaxAbs } = model;
  const local = conn === "local";
  const [k, fh, fw, depth] = filters.shape.slice(local ? 2 : 0);
  // The names and biases: the first of these plans whose row fits the panel's width with the
  // slices at 2 px a weight, their columns as wide as the longest label (the shared biases'
  // own; a local layer's change with the position: as long as fmt() writes any, -0.0001234).
  // The page's type size (large type grows it) and smaller down to 11 px, "b5 = 0.03269";
  // then, in a narrow panel, 10 and 9 px (a 960x640 frame cut AlexNet's biases mid-digit);
  // the values alone at 9 and 8 px, their row's W<k> naming them (a misfit's 149 px column
  // showed "b0 = 0.0"); no bias column at all (a 640x360 frame's 109 px: the arithmetic
  // says the active bias). Where none fits (a bank 768 deep) 11 px and the names, the panel
  // scrolling sideways: smaller type would only crowd the rows.
  const measure = document.createElement("canvas").getContext("2d");
  const gap = 6;
  const room = roomOf(container).width;
  const named = (f, v) => `b${f} = ${fmt(v)}`;
  const valueOnly = (_, v) => fmt(v);
  // each kind's longest label, found once (the plans measure it at several sizes)
  const longest = (label) => (local ? label(k - 1, -0.0001234)
    : Array.from({ length: k }, (_, f) => label(f, bias.at(f)))
      .reduce((a, b) => (b.length > a.length ? b : a), ""));
  const longestOf = new Map([named, valueOnly].map((label) => [label, longest(label)]));
  // In large type a hall reads the names first: the biases go by value alone, then go (the
  // arithmetic says the active one), before the type drops under 11 px (AlexNet's labels
  // came out at 8 px in a 1024x768 projection).
  const plans = [];
  const top = Math.round(11 * typeScale());
  if (typeScale() > 1) {
    for (let px = top; px >= 11; px -= 1) plans.push([px, named]);
    for (let px = top; px >= 11; px -= 1) plans.push([px, valueOnly]);
    for (let px = top; px >= 11; px -= 1) plans.push([px, null]);
  }
  for (let px = top; px >= 9; px -= 1) plans.push([px, named]);
  plans.push([9, valueOnly], [8, valueOnly], [9, null]);
  const planned = ([px, label]) => {
    const font = `${px}px ui-monospace, 'DejaVu Sans Mono', monospace`;
    measure.font = font;
    const textWidth = (text) => Math.ceil(measure.measureText(text).width);
    const name = textWidth(`W${k - 1}${local ? "*" : ""}`) + 6; // drawn at x = 2, then 4 px of gap
    const biasW = label ? textWidth(longestOf.get(label)) + 4 : 0;
    return { px, font, label, name, biasW, fits: name + biasW + depth * (2 * fw + gap) <= room };
  };
  let chosen = null;
  for (const plan of plans) {
    chosen = planned(plan);
    if (chosen.fits) break;
  }
  if (!chosen.fits) chosen = planned([11, named]);
  const { px, font, name, biasW, label: biasLabel } = chosen;
  // as big as the panel's width allows (with the name and the bias), 2 to 6 px a weight
  const byWidth = Math.floor((room - name - biasW - depth * gap) / (depth * fw));
  const cell = Math.max(2, Math.min(6, Math.floor(48 / Math.max(fh, fw)), byWidth));
  const sliceW = fw * cell;
  // a row is at least a line of its name and bias tall: 192 filters of 1x7 at 2-6 px a row
  // wrote their names over each other; the slices sit in the middle of a taller row
  const body = Math.max(fh * cell, px + 2);
  const inset = Math.floor((body - fh * cell) / 2);
  const rowH = body + gap;
  const width = name + depth * (sliceW + gap) + biasW;
  const height = k * rowH;
  // a line over the slices' columns naming each depth slice, as the DOM view's captions do
  // (sliceCaption), kept at the top while the list scrolls; the bank's own label says it
  const head = el("div", "bank-head");
  head.setAttribute("aria-hidden", "true");
  Object.assign(head.style, { width: `${width}px`, height: `${px + 8}px`, font });
  // centred over its slice, into half the gap either side; each row says its filter's name
  const x0 = (ch) => name + ch * (sliceW + gap);
  measure.font = font;
  const form = captionForm((caption) => measure.measureText(caption).width <= sliceW + gap - 2, false, k, depth);
  for (let ch = 0; ch < depth; ch += 1) {
    const caption = el("span", "", form(0, ch));
    Object.assign(caption.style, { left: `${x0(ch) - gap / 2}px`, width: `${sliceW + gap}px` });
    head.append(caption);
  }
  const wrap = el("div", "bank");
  wrap.setAttribute("role", "img");
  wrap.setAttribute("aria-label", `Filters: ${k} filters of ${fh}x${fw}x${depth}, one row each: its name, its depth slices 0 to ${depth - 1} left to right${biasLabel ? ", then the bias" : ""}`);
  wrap.dataset.labelPx = String(px); // the names' type size, for tools that check the page
  // Canvases of at most PIECE_PX each, stacked without a gap: a browser draws no canvas over
  // 65,535 px a side, and 2,731 filters or more on one left the panel blank.
  const per = Math.max(1, Math.floor(PIECE_PX / rowH)); // filters a canvas
  const canvases = Array.from({ length: Math.ceil(k / per) }, (_, n) => {
    const piece = document.createElement("canvas");
    piece.width = width;
    piece.height = Math.min(per, k - n * per) * rowH;
    piece.dataset.first = String(n * per);
    return piece;
  });
  const canvas = canvases[0]; // the bank's top: where a place is measured from
  const box = el("div", "bank-active");
  box.hidden = true;
  wrap.append(...canvases, box);
  container.append(head, wrap);
  const draw = (i, j) => {
    const w = local ? filters.slice(i, j) : filters;
    const b = local ? bias.slice(i, j) : bias;
    for (const piece of canvases) {
      const context = piece.getContext("2d");
      context.fillStyle = palette.panel;
      context.fillRect(0, 0, width, piece.height);
      context.imageSmoothingEnabled = false;
      context.font = font;
      context.textBaseline = "middle";
    }
    const image = canvas.getContext("2d").createImageData(fw, fh);
    const words = new Uint32Array(image.data.buffer);
    const tile = document.createElement("canvas");
    tile.width = fw;
    tile.height = fh;
    const tctx = tile.getContext("2d");
    for (let f = 0; f < k; f += 1) {
      const ctx = canvases[Math.floor(f / per)].getContext("2d");
      const y = (f % per) * rowH + gap / 2 + inset;
      ctx.fillStyle = palette.ink;
      ctx.fillText(local ? `W${f}*` : `W${f}`, 2, y + (fh * cell) / 2);
      for (let ch = 0; ch < depth; ch += 1) {
        for (let r = 0; r < fh; r += 1) {
          for (let c = 0; c < fw; c += 1) words[r * fw + c] = packed(w.at(f, r, c, ch), wMaxAbs);
        }
        tctx.putImageData(image, 0, 0);
        ctx.drawImage(tile, x0(ch), y, sliceW, fh * cell);
      }
      ctx.fillStyle = palette.ink;
      if (biasLabel) ctx.fillText(biasLabel(f, b.at(f)), x0(depth), y + (fh * cell) / 2);
    }
  };
  // hover and click report (filter, r, c, ch), like the DOM grids
  const locate = (event) => {
    const row = Math.floor(event.offsetY / rowH); // in its own canvas
    const f = Number(event.target.dataset.first) + row;
    const y = event.offsetY - row * rowH - gap / 2 - inset;
    for (let ch = 0; ch < depth; ch += 1) {
      const x = event.offsetX - x0(ch);
      if (x >= 0 && x < sliceW && y >= 0 && y < fh * cell && f < k) {
        return [f, Math.floor(y / cell), Math.floor(x / cell), ch];
      }
    }
    return null;
  };
  wrap.addEventListener("click", (event) => {
    const at = event.target instanceof HTMLCanvasElement ? locate(event) : null;
    if (at) onCell("click", ...at);
  });
  let hovered = null;
  const hover = (at) => {
    const key = at ? at.join(",") : null;
    if (key === hovered) return;
    hovered = key;
    if (at) onCell("enter", ...at);
    else onCell("leave", -1, -1, -1, -1);
  };
  for (const piece of canvases) {
    piece.addEventListener("mousemove", (event) => {
      const at = locate(event);
      piece.title = at ? `W${at[0]}[${at[1]},${at[2]},${at[3]}]` : "";
      hover(at);
    });
    piece.addEventListener("mouseleave", () => hover(null));
  }
  // client px of a canvas point (the canvas is drawn 1:1, but CSS may scale it)
  const place = (x, y, w, h) => {
    const rect = canvas.getBoundingClientRect();
    if (!rect.width) return null;
    const s = rect.width / width;
    return new DOMRect(rect.left + x * s, rect.top + y * s, w * s, h * s);
  };
  let drawnAt = null;
  let shown = -1;
  return {
    update(focus) {
      const at = focus.position ?? { i: 0, j: 0, d: -1 };
      const key = local ? `${at.i},${at.j}` : "shared";
      if (drawnAt !== key) {
        draw(at.i, at.j);
        drawnAt = key;
      }
      if (at.d === shown) return;
      shown = at.d;
      box.hidden = at.d < 0;
      Object.assign(box.style, { top: `${at.d * rowH}px`, height: `${rowH}px`, width: `${width}px` });
      const scroller = container;
      // keep the active filter in the scrolled list's view, under the slices' line, without
      // scrolling the page
      const under = head.offsetHeight;
      // the row's top in the scrolled list: under the line and the bank's border
      const top = wrap.getBoundingClientRect().top - scroller.getBoundingClientRect().top
        + scroller.scrollTop + wrap.clientTop + at.d * rowH;
      if (top < scroller.scrollTop + under || top + rowH > scroller.scrollTop + scroller.clientHeight) {
        scroller.scrollTop = Math.max(0, top - under - (scroller.clientHeight - under) / 2);
      }
    },
    box: (f, r, c, ch) => (f < k && ch < depth
      ? place(x0(ch) + c * cell, f * rowH + gap / 2 + inset + r * cell, cell, cell) : null),
    filterBox: (f) => (f < k ? place(0, f * rowH, width, rowH) : null),
  };
}
