// The output volume: K activation maps that fill in as steps complete, the focused neuron
// marked, and (when an input cell is focused) every neuron that sees that cell. A big output
// is ONE zoomable canvas holding every map as a tile (an atlas): hundreds of canvases would
// cost the browser more per frame than drawing them. Moving the playhead recolours only the
// neurons between the old and the new step, so playing AlexNet conv1 costs a few cells a frame.
// Both fill the panel's room; maps that do not fit scroll inside it, the current one kept in view.
// In backward mode each map's upstream gradient dV is drawn under it (given whole: the
// backward pass starts from it), with its bias gradient db: in a shared layer's captions, in
// each cell's text where the biases are one a neuron or the maps are one canvas.
import { createGrid, CANVAS_THRESHOLD, sliceFigure } from "./grid.js";
import { viewHeight, Viewport, zoomBar } from "./viewport.js";
import { createZoomGrid } from "./zoom.js";
import { HOVER } from "./arithmetic.js";
import {
  CAPTION, fitCell, gridRoom, keepInView, numbersCell, PAIR_GAP, projectedCell, roomOf,
  wholeSlicesCell,
} from "./fit.js";
import { el, fmt, thousands } from "../dom.js";
import { neuronSaid, outputCellText, upstreamCellText } from "../linking.js";
import { positionOf } from "../focus.js";
import { faded, typeScale } from "./colors.js";

// Past this many neurons between two playheads, the whole output is redrawn instead.
const REDRAW_ABOVE = 20000;
const GAP = 2; // cells between tiles
const LABEL_PX = 14; // an atlas tile's name's line on screen, before large type grows it

/**
 * How an atlas of `k` tiles of `h2` x `w2` cells fits `width` x `tall` px: `across` tiles to
 * a row at `scale` px a cell, `band` rows over each tile row for names `label` px tall
 * (none: 0, the plain gap), `top` of them over the first.
 */
function tiling(k, h2, w2, width, tall, label) {
  let best = { scale: 0, across: 1, band: GAP, top: 0 };
  for (let n = 1; n <= k; n += 1) {
    const down = Math.ceil(k / n);
    const across = width / (n * (w2 + GAP) - GAP);
    const fit = (band) => Math.min(across, tall / ((label ? band : 0) + down * (h2 + band) - band));
    // the band is rows, so its px shrink with the scale it costs: grown until it holds the
    // names at the scale it leaves (a row more each round, from below)
    let band = GAP;
    while (label && band * fit(band) < label && band < h2) band += Math.max(1, Math.ceil(label / fit(band)) - band);
    const scale = fit(band);
    if (scale > best.scale) best = { scale, across: n, band, top: label ? band : 0 };
  }
  return best;
}

/**
 * Build the output panel; `order` numbers the neurons (see focus.js) and `onCell(type, i, j,
 * d)` reports hover/clicks. Returns {update(focus, t, showAll, follow), box(i, j, d)}: box is
 * where neuron (i, j, d) is on screen (client px), null when it is not drawn.
 */
export function createOutputView(container, model, order, stepOf, onCell) {
  const { out } = model;
  const [h2, w2, k] = out.shape;
  const big = h2 * w2 * k * (model.upstream ? 2 : 1) > CANVAS_THRESHOLD; // dV's maps too
  return big
    ? atlasView(container, model, order, stepOf, onCell)
    : domView(container, model, stepOf, onCell);
}

/** The upstream gradient's maps as the output panel draws them under the output's (null
 * outside backward mode): `caption(d)` names map d, and for shared filters its bias gradient
 * (a locally connected layer's biases are one a neuron: each cell's text says its own);
 * `shut(i, j, d)`: the ReLU stops that dV (its neuron's pre-activation is not positive), so
 * it reaches neither db nor dW nor dX: struck through, or faded on a canvas. */
function upstreamMaps(model) {
  const { upstream, db } = model;
  if (!upstream) return null;
  const local = model.conn === "local";
  return {
    tensor: upstream,
    maxAbs: model.upMaxAbs,
    shut: model.shut,
    caption: (d) => (local ? [`dV[:, :, ${d}]`] : [`dV[:, :, ${d}]`, `db[${d}] = ${fmt(db.at(d))}`]),
    lines: local ? 1 : 2,
    text: (i, j, d) => upstreamCellText(model, i, j, d),
  };
}

function domView(container, model, stepOf, onCell) {
  const { out, outMaxAbs } = model;
  const [h2, w2, k] = out.shape;
  const upstream = upstreamMaps(model);
  // In backward mode each map's dV is drawn under it, the two one column (a pair) of the
  // panel's wrapped row: side by side in one row, dV[:, :, 1] came under V[:, :, 0] where
  // the maps did not fill their rows evenly. A pair is fitted as one slice twice as tall,
  // with its three caption lines (two for a locally connected layer's) and the gap between.
  const rows = upstream ? 2 * h2 : h2;
  const caption = upstream ? (1 + upstream.lines) * CAPTION + PAIR_GAP + 2 : CAPTION; // + its frame
  // as the input's: fitted before large type grows them, never under the numbers' 18 px (in
  // large type what a hall reads), and when the maps do not all fit, the whole ones shown get
  // the room (the panel scrolls to the current one)
  const room = gridRoom(container);
  const least = Math.max(numbersCell(), projectedCell());
  const fitted = fitCell(k, rows, w2, room, { min: least - 1, max: 48, caption });
  const cell = fitted >= least ? fitted : wholeSlicesCell(k, rows, w2, room, { least, max: 48, caption });
  const grids = [];
  const upGrids = [];
  for (let d = 0; d < k; d += 1) {
    const column = upstream ? el("div", "map-pair") : container;
    if (upstream) container.append(column);
    const figure = sliceFigure(column, `V[:, :, ${d}]`);
    grids.push(createGrid(figure, {
      rows: h2, cols: w2, cell, label: `Output activation map ${d}`,
      onCell: (type, i, j) => onCell(type, i, j, d),
    }));
    if (!upstream) continue;
    const below = sliceFigure(column, "");
    below.classList.add("upstream");
    below.querySelector("figcaption").append(...upstream.caption(d).map((line) => el("span", "", line)));
    const grid = createGrid(below, {
      rows: h2, cols: w2, cell, label: `Upstream gradient map ${d}`,
      onCell: (type, i, j) => onCell(type, i, j, d),
    });
    grid.draw((i, j) => upstream.tensor.at(i, j, d), {
      maxAbs: upstream.maxAbs, title: (i, j) => upstream.text(i, j, d),
      isStruck: (i, j) => upstream.shut(i, j, d),
    });
    upGrids.push(grid);
  }
  let drawn = null;
  let shownMap = -1;
  return {
    /** Tab the neurons an edit changed ([{i, j, d}], main.js showEditEffect's), as the
     * edited cells are. */
    markChanged(changed) {
      grids.forEach((grid, d) => grid.setMarks("edited", changed.filter((n) => n.d === d).map(({ i, j }) => [i, j])));
    },
    update(focus, t, showAll) {
      // the neuron whose arithmetic is shown (pinned or hovered) past the playhead shows its
      // value too: the arithmetic said 22 beside an empty cell
      const p = focus.position;
      const ahead = p && focus.t > t ? p : null;
      const key = showAll ? "all" : `${t}:${ahead ? `${ahead.i},${ahead.j},${ahead.d}` : ""}`;
      const isAhead = (i, j, d) => ahead !== null && ahead.i === i && ahead.j === j && ahead.d === d;
      if (drawn !== key) {
        grids.forEach((grid, d) => grid.draw(
          (i, j) => (showAll || stepOf(i, j, d) <= t || isAhead(i, j, d) ? out.at(i, j, d) : null),
          { maxAbs: outMaxAbs, title: (i, j, v) => outputCellText(model, i, j, d, v !== null) },
        ));
        drawn = key;
      }
      [...grids, ...upGrids].forEach((grid, n) => {
        const d = n % k;
        grid.setMarks("current", p && p.d === d ? [[p.i, p.j]] : []);
        grid.setMarks("seen", focus.seen ? focus.seen.map(([i, j]) => [i, j]) : []);
        grid.setActive(Boolean(p && p.d === d));
      });
      if (p && p.d !== shownMap) {
        const figure = grids[p.d].el.parentElement;
        keepInView(container, figure.closest(".map-pair") ?? figure); // with its dV, if any
      }
      shownMap = p ? p.d : -1;
    },
    box: (i, j, d) => grids[d]?.box(i, j) ?? null,
  };
}

function atlasView(container, model, order, stepOf, onCell) {
  const { out, outMaxAbs } = model;
  const [h2, w2, k] = out.shape;
  const upstream = upstreamMaps(model);
  // as many tiles to a row as make them biggest in the panel's room (less the zoom bar and
  // the readout under the atlas; in backward mode, shared by the output's atlas and dV's,
  // each under a caption line: its 16 px, its margins and the panel's gap before it, all
  // grown by large type)
  const room = roomOf(container);
  // the panel's width, however narrow: at 200 px at least, a tablet's 194 px output column
  // scrolled its atlas sideways
  const width = Math.max(80, room.width - 4);
  const scale = typeScale();
  const bars = 60 * scale; // the zoom bar and the readout, both grown by large type
  const captions = 2 * (CAPTION + 16) * scale;
  // (down to 48 px each: a 1024x768 frame in large type left the two atlases 53 px)
  const tall = upstream ? Math.max(48, (room.height - bars - captions) / 2) : Math.max(200, room.height - bars);
  // each tile's name over it, in a band of rows as tall as its line on screen (an atlas of
  // twelve unnamed tiles said which map is which only on hover), unless the band would
  // shrink the tiles by more than a fifth: then the gaps are the plain ones
  const named = tiling(k, h2, w2, width, tall, LABEL_PX * scale);
  const plain = tiling(k, h2, w2, width, tall, 0);
  const { across, band, top, scale: best } = named.scale >= 0.8 * plain.scale ? named : plain;
  const down = Math.ceil(k / across);
  const pitch = h2 + band; // rows from one tile row's top to the next's
  const rows = top + down * pitch - band;
  const cols = across * (w2 + GAP) - GAP;
  // one view for both atlases: zooming or panning the output's moves dV's alike, so the
  // same neurons stay side by side
  const view = new Viewport(rows, cols, width, viewHeight(Math.min(tall, rows * best)));
  container.append(zoomBar(view, upstream ? "output and upstream gradient maps" : "output maps"));
  const readout = el("p", "zoom-readout");
  readout.setAttribute("aria-live", "off");
  // off the neurons, what a tile's short name means while the tiles are too narrow for the
  // full one: "V5" read as a neuron's (an instructor review), where the demo's maps say
  // V[:, :, 5]. The atlas tells which of the names (labels' texts) it drew, as it zooms.
  // Said of any tile, d ("Tile V5 is ..." read as about the map shown, at a step of V0; and
  // the first and last tiles' names took more than a 1920 px projection's line)
  const hover = `${HOVER.matches ? "Hover" : "Tap"} a neuron for its value`;
  let idle = hover;
  const say = (text) => {
    readout.textContent = text || idle;
    readout.classList.toggle("hint", !text);
  };
  const namesDrawn = (form) => {
    idle = form > 0 ? `Tile ${tileNames("V", "d")[form]} is the map V[:, :, d]` : hover;
    if (readout.classList.contains("hint")) say("");
  };
  say("");
  const tileOf = (d) => [top + Math.floor(d / across) * pitch, (d % across) * (w2 + GAP)];
  const locate = (r, c) => {
    if (r < top) return null;
    const tr = Math.floor((r - top) / pitch);
    const tc = Math.floor(c / (w2 + GAP));
    const i = r - top - tr * pitch;
    const j = c - tc * (w2 + GAP);
    const d = tr * across + tc;
    return i < h2 && j < w2 && d < k ? { i, j, d } : null;
  };
  // each tile's name over its first cell (render/zoom.js setLabels)
  const labels = (name) => (top ? Array.from({ length: k }, (_, d) => {
    const [r, c] = tileOf(d);
    return { r, c, cols: w2, rows: band, texts: tileNames(name, d) };
  }) : []);
  const outputLabels = labels("V");
  // every tile's cells at once, straight from a volume's flat (H2, W2, K) `data`; `shown(s)`
  // says whether the neuron of step s is drawn computed, `shut(i, j, d)` whether it is faded
  const fillTiles = (words, wordOf, data, shown, shut = () => false) => {
    words.fill(wordOf(undefined));
    const empty = wordOf(null);
    for (let d = 0; d < k; d += 1) {
      const [r0, c0] = tileOf(d);
      for (let i = 0; i < h2; i += 1) {
        let at = (r0 + i) * cols + c0;
        for (let j = 0; j < w2; j += 1, at += 1) {
          const word = shown(stepOf(i, j, d)) ? wordOf(data[(i * w2 + j) * k + d]) : empty;
          words[at] = shut(i, j, d) ? faded(word) : word;
        }
      }
    }
  };
  let limit = null; // the last step drawn as computed (Infinity: all)
  const get = (r, c) => {
    const at = locate(r, c);
    if (!at) return undefined;
    return stepOf(at.i, at.j, at.d) <= limit ? out.at(at.i, at.j, at.d) : null;
  };
  const caption = (text) => {
    const line = el("p", "atlas-caption", text);
    line.setAttribute("aria-hidden", "true"); // the atlas's own label says it
    container.append(line);
  };
  if (upstream) caption("V: the output");
  const grid = createZoomGrid(container, {
    rows, cols, view, onLabels: namesDrawn,
    label: `Output volume: ${k} activation maps of ${h2}x${w2}, ${across} to a row`,
    onCell: (type, r, c) => {
      const at = locate(r, c);
      say(at && type !== "leave"
        ? outputCellText(model, at.i, at.j, at.d, stepOf(at.i, at.j, at.d) <= limit) : "");
      if (at) onCell(type, at.i, at.j, at.d);
      else onCell("leave", -1, -1, -1);
    },
  });
  grid.setLabels(outputLabels);
  // where map d's tiles are, for tests and tools: its first cell at row top + floor(d /
  // across) * pitch, column (d % across) * (w2 + gap)
  grid.el.dataset.tiles = `${top} ${pitch} ${w2 + GAP} ${across}`;
  let upGrid = null;
  if (upstream) {
    caption("dV: upstream gradient");
    upGrid = createZoomGrid(container, {
      rows, cols, view,
      label: `Upstream gradient dV: ${k} maps of ${h2}x${w2}, ${across} to a row, as the output's`,
      onCell: (type, r, c) => {
        const at = locate(r, c);
        say(at && type !== "leave" ? upstream.text(at.i, at.j, at.d) : "");
        if (at) onCell(type, at.i, at.j, at.d);
        else onCell("leave", -1, -1, -1);
      },
    });
    upGrid.setLabels(labels("dV"));
    const getUp = (r, c) => {
      const at = locate(r, c);
      return at ? upstream.tensor.at(at.i, at.j, at.d) : undefined;
    };
    upGrid.fill((words, wordOf) => fillTiles(words, wordOf, upstream.tensor.data, () => true,
      upstream.shut), getUp, upstream.maxAbs);
  }
  container.append(readout);
  const toAtlas = (i, j, d) => {
    const [r0, c0] = tileOf(d);
    return [r0 + i, c0 + j];
  };
  let shownMap = -1;
  const grids = upGrid ? [grid, upGrid] : [grid];
  return {
    viewport: view,
    update(focus, t, showAll, follow = false, fast = false, still = true) {
      grid.setMinInterval(fast ? 45 : 0);
      const next = showAll ? Infinity : t;
      if (limit !== next) {
        const before = limit;
        limit = next;
        if (before !== null && Number.isFinite(before) && Number.isFinite(next)
          && Math.abs(next - before) <= REDRAW_ABOVE) {
          // only the neurons between the two playheads change colour
          const cells = [];
          for (let s = Math.min(before, next) + 1; s <= Math.max(before, next); s += 1) {
            const p = positionOf(out.shape, order, s);
            cells.push(toAtlas(p.i, p.j, p.d));
          }
          grid.setCells(cells, get);
        } else {
          grid.fill((words, wordOf) => fillTiles(words, wordOf, out.data, (s) => s <= limit), get, outMaxAbs);
        }
      }
      const p = focus.position;
      const seen = [];
      if (focus.seen) {
        for (let d = 0; d < k; d += 1) for (const [i, j] of focus.seen) seen.push(toAtlas(i, j, d));
      }
      for (const g of grids) {
        g.setMarks("current", p ? [toAtlas(p.i, p.j, p.d)] : []);
        g.setMarks("seen", seen);
      }
      // the neuron in focus and its value (computed: the arithmetic shows it), while still
      if (still) {
        // a neuron past the playhead (pinned or hovered ahead) is not on the map yet: said so,
        // where "current neuron" with its value read as the picture's
        const ahead = p && !showAll && focus.t > t ? ` (step ${thousands(focus.t + 1)}: not on the map yet)` : "";
        // a pinned neuron is said as one, as the step's label says it ("current" read as the
        // playhead's)
        const which = focus.pinned ? "pinned neuron" : ahead ? "neuron in focus" : "current neuron";
        grid.describe(p ? `${which} ${neuronSaid(model, p)}${ahead}` : "");
        upGrid?.describe(p ? `its upstream gradient ${upstream.text(p.i, p.j, p.d)}` : "");
      }
      if (p && p.d !== shownMap) {
        const [r0, c0] = tileOf(p.d);
        for (const g of grids) g.setFrames([[r0, c0, r0 + h2 - 1, c0 + w2 - 1]]);
        shownMap = p.d;
      }
      if (follow && p) {
        const [r, c] = toAtlas(p.i, p.j, p.d);
        view.follow(r, c, r, c);
      } else if (follow && focus.seen?.length) {
        // an input cell in focus: its readers, in the playhead's map (they sit at the same
        // positions in every map). Followed by nothing, a link's zoomed view opened about the
        // atlas's middle, maps away from the view it was made from.
        let [i0, j0, i1, j1] = [Infinity, Infinity, -1, -1];
        for (const [i, j] of focus.seen) {
          [i0, j0, i1, j1] = [Math.min(i0, i), Math.min(j0, j), Math.max(i1, i), Math.max(j1, j)];
        }
        const { d } = positionOf(out.shape, order, Math.min(t, h2 * w2 * k - 1));
        view.follow(...toAtlas(i0, j0, d), ...toAtlas(i1, j1, d));
      }
    },
    box: (i, j, d) => (i < h2 && j < w2 && d < k ? grid.box(...toAtlas(i, j, d)) : null),
  };
}

/** Tile `d`'s names, longest first, as an atlas draws the one that fits (render/zoom.js). */
const tileNames = (name, d) => [`${name}[:, :, ${d}]`, `${name}${d}`, `${d}`];
