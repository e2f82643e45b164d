// Connection lines drawn over the panels, as the CS231n demo draws them: the four corners of the
// receptive field on each input depth slice to the same corners of that slice of the active
// filter, then the filter to the neuron it computes (under the arithmetic panel between
// them, as the sum it feeds); in depth-column order a fan from the field
// to the whole depth column; a hovered product's lines to its input cell and weight; a hovered
// weight's every input cell so far. One SVG fixed over the viewport that never takes the
// pointer. Every end point is read from the panels' own cells when drawing (their box()), so
// the lines follow any layout, scroll, zoom or resize without knowing any of them.
import { counted } from "../dom.js";

const SVG = "http://www.w3.org/2000/svg";
// Between two drawings while playing: as often as the big canvases repaint when fast (zoom.js);
// the eye follows no more, and every drawing measures the page.
const FAST_INTERVAL = 45;
// The scrolling containers a cell can be hidden in, one per panel.
const CONTAINERS = { input: "#input-grids", filters: "#filter-grids", output: "#output-grids", arithmetic: "#products" };
const CORNER_SLICES = 4; // up to this input depth, a flat view's beam is four corner lines a slice
const MIN_MARK = 3; // px: the smallest square marking a cell a hovered weight multiplied
const GROUPS = ["weight", "fan", "beam", "out", "pair"];

const svgEl = (tag, className) => {
  const node = document.createElementNS(SVG, tag);
  if (className) node.setAttribute("class", className);
  return node;
};

/** The smallest box holding boxes `a` and `b` (either may be null). */
function union(a, b) {
  if (!a || !b) return a ?? b ?? null;
  const left = Math.min(a.left, b.left);
  const top = Math.min(a.top, b.top);
  return new DOMRect(left, top, Math.max(a.right, b.right) - left, Math.max(a.bottom, b.bottom) - top);
}

/** Whether `box` (a block's point too: a box of no size) lies at least partly in `area`. */
const within = (box, area) => Boolean(box) && box.right >= area.left && box.left <= area.right
  && box.bottom >= area.top && box.top <= area.bottom;

/** `box` cut to `clip`; null when nothing of it is left. */
function cut(box, clip) {
  if (!box) return null;
  if (!clip) return box;
  const left = Math.max(box.left, clip.left);
  const top = Math.max(box.top, clip.top);
  const right = Math.min(box.right, clip.right);
  const bottom = Math.min(box.bottom, clip.bottom);
  return right > left && bottom > top ? new DOMRect(left, top, right - left, bottom - top) : null;
}

/**
 * The segment joining boxes `a` and `b` along the line between their centres, from a's edge to
 * b's edge (so each end touches its box), or null when the boxes overlap.
 */
function connector(a, b) {
  const ax = a.left + a.width / 2;
  const ay = a.top + a.height / 2;
  const dx = b.left + b.width / 2 - ax;
  const dy = b.top + b.height / 2 - ay;
  // the fraction of the centre-to-centre line inside a box of half-sizes (hw, hh)
  const inside = (hw, hh) => Math.min(dx ? hw / Math.abs(dx) : Infinity, dy ? hh / Math.abs(dy) : Infinity);
  const from = inside(a.width / 2, a.height / 2);
  const to = 1 - inside(b.width / 2, b.height / 2);
  if (!(from < to)) return null;
  return [ax + dx * from, ay + dy * from, ax + dx * to, ay + dy * to];
}

/**
 * Segment `at` ([x1, y1, x2, y2], ending inside the convex `quad`) cut where it enters the
 * quad; null when it starts inside.
 */
export function into([x1, y1, x2, y2], quad) {
  const [dx, dy] = [x2 - x1, y2 - y1];
  let first = Infinity;
  quad.forEach(([px, py], n) => {
    const [qx, qy] = quad[(n + 1) % quad.length];
    const [ex, ey] = [qx - px, qy - py];
    const det = dx * ey - dy * ex;
    if (Math.abs(det) < 1e-12) return;
    const t = ((px - x1) * ey - (py - y1) * ex) / det; // along the segment
    const u = ((px - x1) * dy - (py - y1) * dx) / det; // along the edge
    if (t >= 0 && t <= 1 && u >= 0 && u <= 1) first = Math.min(first, t);
  });
  return first > 0 && first < 1 ? [x1, y1, x1 + dx * first, y1 + dy * first] : null;
}

/** The box of `boxes` whose centre is nearest the centre of `to`. */
function nearest(boxes, to) {
  const gap = (b) => Math.hypot(b.left + b.width / 2 - to.left - to.width / 2, b.top + b.height / 2 - to.top - to.height / 2);
  return boxes.reduce((best, b) => (gap(b) < gap(best) ? b : best));
}

/** A point [x, y] as a box of no size (a line to it ends on it), or null. */
const dot = (p) => (p ? new DOMRect(p[0], p[1], 0, 0) : null);
/** The mean of points [[x, y], ...]. */
const middle = (points) => [0, 1].map((n) => points.reduce((sum, p) => sum + p[n], 0) / points.length);
const tenth = (x) => Math.round(x * 10) / 10;
const centre = (box) => [box.left + box.width / 2, box.top + box.height / 2];
const corners = (box) => ({
  tl: [box.left, box.top], tr: [box.right, box.top], br: [box.right, box.bottom], bl: [box.left, box.bottom],
});

/** A line from the middle of a field's face `field` (its corners, in order round it) to the
 * middle of filter slice `slice` (a box), drawn between their edges: from middle to middle it
 * covered the field's middle number and the slice's. */
function beamBetween(field, slice) {
  const from = middle(field);
  const whole = [...from, ...centre(slice)];
  const ended = into(whole, Object.values(corners(slice))) ?? whole;
  const back = into([ended[2], ended[3], ...from], field);
  return back ? [back[2], back[3], ended[2], ended[3]] : ended;
}

/** A path (rule evenodd) of all the window but `node`'s box, out to whole pixels (a line
 * clipped at a fraction of one left a faint pixel on the panel's border): the whole window
 * when there is no node, or it has no box (not shown). */
function outsideOf(node) {
  const all = "M-1e5 -1e5H1e5V1e5H-1e5Z";
  const box = node?.getBoundingClientRect();
  if (!box?.width || !box.height) return all;
  const [left, top] = [Math.floor(box.left), Math.floor(box.top)];
  const [right, bottom] = [Math.ceil(box.right), Math.ceil(box.bottom)];
  return `${all}M${left} ${top}H${right}V${bottom}H${left}Z`;
}

/** Whether the filters panel sits below the input panel rather than beside it. */
function stackedPanels() {
  const input = document.querySelector("#input-panel")?.getBoundingClientRect();
  const filters = document.querySelector("#filters-panel")?.getBoundingClientRect();
  return Boolean(input && filters && filters.top >= input.bottom - 1);
}

/**
 * The connections overlay; `views()` answers the page's current views (input, filters,
 * arithmetic, output), each with box(...) telling where a cell is on screen; `volumes()` the
 * 3-D view's anchors (volume3d.js) while the blocks stand in for the input and output grids,
 * else null: the lines then end on the blocks' projected corners and cell centres; `commit`
 * changes the state (the Lines switch). Returns the overlay hooks main.js calls: {build(model, state),
 * update(focus, state, playback)}.
 */
export function createConnections({ views, commit, volumes = () => null }) {
  const svg = svgEl("svg", "connections");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const groups = Object.fromEntries(GROUPS.map((name) => [name, svgEl("g", `conn-${name}`)]));
  // the filter -> neuron line passes under the arithmetic panel between them (clipped to
  // everything but its box): drawn across it, it ran through the gaps between the sum, the
  // products' captions and their grids, as if it struck them out
  const around = svgEl("clipPath");
  around.id = "conn-out-around";
  around.setAttribute("clipPathUnits", "userSpaceOnUse");
  const aroundPath = svgEl("path");
  aroundPath.setAttribute("clip-rule", "evenodd");
  around.append(aroundPath);
  const defs = svgEl("defs");
  defs.append(around);
  groups.out.setAttribute("clip-path", `url(#${around.id})`);
  svg.append(defs, ...Object.values(groups));
  const weightPath = svgEl("path", "conn-cells");
  const weightMark = svgEl("rect", "conn-weight-mark");
  const weightLine = svgEl("line", "conn-weight-line");
  groups.weight.append(weightLine);
  // a hovered weight's cells and outline mark grids, so they lie over them (css/connections.css)
  // on a layer of their own; every line stays under the grids, off their numbers
  const marks = svgEl("svg", "connection-marks");
  marks.setAttribute("aria-hidden", "true");
  marks.setAttribute("focusable", "false");
  const weightMarks = svgEl("g", "conn-weight");
  weightMarks.append(weightPath, weightMark);
  marks.append(weightMarks);
  // what a hovered weight's red cells mean, beside it (HTML: it wraps and has a background)
  const note = document.createElement("p");
  note.className = "conn-note hidden";
  note.setAttribute("aria-live", "polite");
  const reduce = window.matchMedia?.("(prefers-reduced-motion: reduce)");
  const toggle = lineSwitch(commit);
  // in the transport before any layer is fitted to the panels (put there at the first build,
  // it made the transport a row taller after the panels were measured), and after the look's
  // switches, which main.js makes after this
  queueMicrotask(() => document.querySelector("#view-tools")?.append(toggle));
  let model = null;
  let latest = null; // the last update's {focus, state, playback}
  let frame = 0;
  let drawn = -Infinity;

  const schedule = () => {
    if (!frame && latest) frame = requestAnimationFrame(draw);
  };
  // anything that moves a cell without a render: scrolling (any element, hence capture),
  // resizing, zooming or panning a canvas, a panel growing
  const options = { capture: true, passive: true };
  for (const type of ["scroll", "wheel", "pointerup"]) document.addEventListener(type, schedule, options);
  document.addEventListener("pointermove", (event) => event.buttons && schedule(), options);
  window.addEventListener("resize", schedule);
  const resized = typeof ResizeObserver === "function" ? new ResizeObserver(schedule) : null;

  /** The visible part of a panel's container (its scroll area), in client px. */
  const clipOf = (name) => {
    const node = document.querySelector(CONTAINERS[name]);
    if (!node) return null;
    const rect = node.getBoundingClientRect();
    const style = getComputedStyle(node);
    return style.overflowX === "visible" && style.overflowY === "visible" ? null : rect;
  };

  // a pool of <line>s per group: reused frame to frame, extra ones removed
  function lines(group, segments) {
    const node = groups[group];
    const have = node.querySelectorAll("line");
    segments.forEach(({ at, data }, n) => {
      const line = have[n] ?? node.appendChild(svgEl("line"));
      const [x1, y1, x2, y2] = at;
      line.setAttribute("x1", x1.toFixed(1));
      line.setAttribute("y1", y1.toFixed(1));
      line.setAttribute("x2", x2.toFixed(1));
      line.setAttribute("y2", y2.toFixed(1));
      for (const [key, value] of Object.entries(data)) line.dataset[key] = String(value);
    });
    for (let n = segments.length; n < have.length; n += 1) have[n].remove();
  }

  function draw(now) {
    frame = 0;
    const { focus, state, playback } = latest;
    // hidden when switched off, when no layer is drawn (a misfit) or its panels are stale, and
    // while playing for a reader who asked for less motion (they come back on pause)
    const v = views();
    const stale = document.querySelector("#app")?.classList.contains("stale");
    const hide = !v || !model || !state.lines || stale || (playback.playing && reduce?.matches);
    svg.classList.toggle("hidden", Boolean(hide));
    marks.classList.toggle("hidden", Boolean(hide));
    if (hide) {
      note.classList.add("hidden");
      return;
    }
    if (playback.playing && now - drawn < FAST_INTERVAL) {
      schedule();
      return;
    }
    drawn = now;
    const clips = Object.fromEntries(Object.keys(CONTAINERS).map((name) => [name, clipOf(name)]));
    const step = focus.step;
    const three = volumes();
    const beams = [];
    const outs = [];
    const fans = [];
    const fields = [];
    if (step) {
      const { d: k, i, j } = step;
      const [r0, c0] = step.taps[0];
      const [r1, c1] = step.taps[step.taps.length - 1];
      const [fh, fw, depth] = model.filterShape;
      // A slice's beam needs most of its field and of its filter slice on screen: lines to
      // cells scrolled away only pile up at an edge. A deep input (D = 20) gets one line per
      // slice, centre to centre, not four: eighty lines would hide the numbers. Playing fast,
      // the first slice on screen only: the least that still shows the path.
      const screen = new DOMRect(0, 0, window.innerWidth, window.innerHeight);
      const shown = (box, clip) => {
        const part = cut(cut(box, clip), screen);
        return part && part.width * part.height >= 0.5 * box.width * box.height ? part : null;
      };
      for (let ch = 0; ch < depth && three; ch += 1) {
        // on the block: from the middle of the field's face on the slice, one line a slice.
        // Four corner lines a slice (twelve for three slices) crossed the block's numbers on
        // their way out and hid them; the field's box already shows its corners
        const quad = three.field(r0, c0, r1, c1, ch);
        const slice = quad && shown(union(v.filters.box(k, 0, 0, ch), v.filters.box(k, fh - 1, fw - 1, ch)), clips.filters);
        if (!slice) continue;
        beams.push({ at: beamBetween(Object.values(quad), slice), data: { slice: ch, corner: "centre" } });
        if (playback.fast) break;
      }
      // Panels stacked in one column (a phone): a slice's beam runs down across the slices
      // below it, and four corner lines a slice hid their numbers; one line a slice is enough.
      const stacked = stackedPanels();
      const centreOnly = depth > CORNER_SLICES || stacked;
      for (let ch = 0; ch < depth && !three; ch += 1) {
        const wholeField = union(v.input.box(r0, c0, ch), v.input.box(r1, c1, ch));
        const field = cut(wholeField, clips.input);
        if (!field) continue;
        fields.push(field);
        const seen = shown(wholeField, clips.input);
        const slice = seen && shown(union(v.filters.box(k, 0, 0, ch), v.filters.box(k, fh - 1, fw - 1, ch)), clips.filters);
        if (!slice) continue;
        if (centreOnly) {
          beams.push({ at: beamBetween(Object.values(corners(seen)), slice), data: { slice: ch, corner: "centre" } });
        } else {
          const a = corners(seen);
          const b = corners(slice);
          for (const corner of ["tl", "tr", "br", "bl"]) beams.push({ at: [...a[corner], ...b[corner]], data: { slice: ch, corner } });
        }
        if (playback.fast) break;
      }
      const filter = cut(v.filters.filterBox(k), clips.filters);
      // on a block, a line to a neuron aims at its cell's centre and stops at the cell's edge
      // (the number in it stays readable)
      const block = three?.neuron(i, j, k);
      const neuron = three ? dot(block?.centre) : cut(v.output.box(i, j, k), clips.output);
      // on a phone's one column the neuron is two panels below its filter: a line to it
      // while either is scrolled away only streaks the arithmetic between (as the fan's),
      // on a block as on a grid
      const bothShown = !stacked || (cut(filter, screen) && within(neuron, screen));
      const toward = filter && neuron && bothShown ? connector(filter, neuron) : null;
      const out = toward && three ? into(toward, block.quad) : toward;
      if (out) outs.push({ at: out, data: { d: k } });
      if (three && state.order === "depth_column" && !playback.fast && neuron) {
        // from the field box's corner nearest the neuron, to each cell of its depth column
        const ends = three.fieldCorners(r0, c0, r1, c1).map(dot);
        const source = ends.length ? centre(nearest(ends, neuron)) : null;
        for (let d = 0; d < model.outShape[2] && source; d += 1) {
          const cell = three.neuron(i, j, d);
          const at = cell ? into([...source, ...cell.centre], cell.quad) : null;
          if (at) fans.push({ at, data: { d, current: d === k ? 1 : 0 } });
        }
      }
      // the fan only between ends in the window: on a phone's one column the field and the
      // column are a screen apart, and K lines to off-screen cells only streak the panels between
      const source = !three && fields.length && neuron ? nearest(fields, neuron) : null;
      if (!three && state.order === "depth_column" && !playback.fast && cut(source, screen) && cut(neuron, screen)) {
        // from the slice's field nearest the column: the fan crosses as little as it can
        const depthOut = model.outShape[2];
        for (let d = 0; d < depthOut; d += 1) {
          const cell = cut(cut(v.output.box(i, j, d), clips.output), screen);
          const at = cell ? connector(source, cell) : null;
          if (at) fans.push({ at, data: { d, current: d === k ? 1 : 0 } });
        }
      }
    }
    lines("beam", beams);
    aroundPath.setAttribute("d", outsideOf(document.querySelector("#arithmetic-panel")));
    lines("out", outs);
    lines("fan", fans);
    const pairs = playback.fast ? [] : pairLines(v, focus, clips, three);
    lines("pair", pairs);
    const weight = playback.fast ? null : focus.weight;
    drawWeight(v, weight, clips, three, focus.position);
    // a hover's own lines stand out: the step's lines step back meanwhile
    svg.classList.toggle("hovering", Boolean(weight || pairs.length));
  }

  function pairLines(v, focus, clips, three) {
    const pair = focus.pair;
    if (!pair || !focus.position) return [];
    const { channel: ch, tap: [r, c], input: [xr, xc] } = pair;
    const product = cut(v.arithmetic.box(r, c, ch), clips.arithmetic);
    if (!product) return [];
    const found = [];
    const input = three ? dot(three.inputCell(xr, xc, ch)) : cut(v.input.box(xr, xc, ch), clips.input);
    const weight = cut(v.filters.box(focus.position.d, r, c, ch), clips.filters);
    const toInput = input && connector(product, input);
    const toWeight = weight && connector(product, weight);
    if (toInput) found.push({ at: toInput, data: { to: "input", r: xr, c: xc, ch } });
    if (toWeight) found.push({ at: toWeight, data: { to: "weight", r, c, ch } });
    return found;
  }

  // the hovered weight outlined, every input cell it multiplied so far, a line from one to
  // the other, and a note saying what they mean
  function drawWeight(v, weight, clips, three, position) {
    groups.weight.classList.toggle("hidden", !weight);
    weightMarks.classList.toggle("hidden", !weight);
    note.classList.toggle("hidden", !weight);
    if (!weight) return;
    const { k, r, c, ch, cells } = weight;
    // AlexNet's filter slides over 3,025 positions: one measurement of the grid, then numbers
    const parts = [];
    let all = null;
    // on a block (cut open at the weight's slice): each cell's quadrilateral, or a small
    // square where it is too small to see
    for (const quad of three ? three.cells(cells, ch) : []) {
      if (!quad) continue;
      const xs = quad.map(([x]) => x);
      const ys = quad.map(([, y]) => y);
      const box = new DOMRect(Math.min(...xs), Math.min(...ys), Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys));
      all = union(all, box);
      if (box.width >= MIN_MARK && box.height >= MIN_MARK) {
        parts.push(`M${quad.map(([x, y]) => `${tenth(x)} ${tenth(y)}`).join("L")}z`);
      } else {
        const [x, y] = middle(quad);
        parts.push(`M${tenth(x - MIN_MARK / 2)} ${tenth(y - MIN_MARK / 2)}h${MIN_MARK}v${MIN_MARK}h${-MIN_MARK}z`);
      }
    }
    for (const found of three ? [] : v.input.boxes(cells, ch)) {
      const box = cut(found, clips.input);
      if (!box) continue;
      all = union(all, box);
      // a zoomed-out canvas has cells under a pixel: each mark is drawn at least MIN_MARK wide
      const gx = Math.max(0, (MIN_MARK - box.width) / 2);
      const gy = Math.max(0, (MIN_MARK - box.height) / 2);
      const w = tenth(box.width + 2 * gx);
      parts.push(`M${tenth(box.left - gx)} ${tenth(box.top - gy)}h${w}v${tenth(box.height + 2 * gy)}h${-w}z`);
    }
    const path = parts.join("");
    weightPath.setAttribute("d", path || "M0 0");
    weightPath.dataset.cells = cells.map(([xr, xc]) => `${xr},${xc}`).join(" ");
    weightPath.dataset.channel = String(ch);
    const mark = cut(v.filters.box(k, r, c, ch), clips.filters);
    weightMark.classList.toggle("hidden", !mark);
    const link = mark && all ? connector(mark, all) : null;
    weightLine.classList.toggle("hidden", !link);
    if (link) {
      ["x1", "y1", "x2", "y2"].forEach((key, n) => weightLine.setAttribute(key, link[n].toFixed(1)));
    }
    // named as the step's NumPy line names the filter (W0; a local neuron's own W[i,j,d])
    const local = model.conn === "local" && position;
    const at = `[${r},${c},${ch}]`;
    const name = local ? `this neuron's W[${position.i},${position.j},${position.d}]${at}` : `W${k}${at}`;
    const many = counted(cells.length, "cell");
    // the cells are the padded input's (some may be its zeros), as the NumPy line names it
    const { top, bottom, left, right } = model.pads;
    const input = top || bottom || left || right ? "Xp" : "X";
    note.textContent = model.conn === "local"
      ? `${name} multiplies ${many} of ${input}[:, :, ${ch}]: no other neuron uses it.`
      : `${name} multiplied the ${many} of ${input}[:, :, ${ch}] in red so far, one for each neuron of`
        + ` V[:, :, ${k}]: its gradient dW[${k}]${at} adds up over all of them.`;
    if (!mark) return;
    for (const [key, value] of [["x", mark.left], ["y", mark.top], ["width", mark.width], ["height", mark.height]]) {
      weightMark.setAttribute(key, value.toFixed(1));
    }
    // above the weight's whole filter (the numbers it is about stay in view), inside the window
    const row = cut(v.filters.filterBox(k), clips.filters) ?? mark;
    const room = document.documentElement.clientWidth;
    note.style.left = `${Math.max(4, Math.min(mark.left, room - note.offsetWidth - 4))}px`;
    note.style.top = `${Math.max(4, row.top - note.offsetHeight - 6)}px`;
  }

  return {
    build(built) {
      model = built;
      // inside #app, the element Fullscreen shows: appended to the body, the lines were
      // left out of the fullscreen view (fixed over the viewport either way)
      if (!svg.isConnected) (document.querySelector("#app") ?? document.body).append(svg, marks, note);
      resized?.disconnect();
      for (const selector of Object.values(CONTAINERS)) {
        const node = document.querySelector(selector);
        if (node) resized?.observe(node);
      }
      // the 3-D view's blocks: shown (or sized) after a drawing, their anchors move
      for (const node of document.querySelectorAll(".volume3d")) resized?.observe(node);
      const app = document.querySelector("#app");
      if (app) resized?.observe(app);
    },
    update(focus, state, playback) {
      latest = { focus, state, playback };
      toggle.pressed(state.lines);
      schedule();
    },
  };
}

/**
 * The cells' colour key, small, after the Lines switch's: the colour scale's panel is under
 * the picture, out of sight on a projector, in a frame and in fullscreen. Its colours are
 * css/theme.css's scale, so it follows the theme.
 */
function scaleKey() {
  const key = document.createElement("span");
  key.id = "scale-key";
  key.className = "scale-key";
  key.setAttribute("role", "img");
  key.setAttribute("aria-label", "Cell colours: purple below zero, grey at zero, orange above,"
    + " each panel scaled to its own largest value");
  key.title = key.getAttribute("aria-label");
  const below = document.createElement("i");
  below.className = "scale-below";
  const above = document.createElement("i");
  above.className = "scale-above";
  key.append("−", below, "0", above, "+");
  return key;
}

/**
 * The Lines switch for the view toolbar, with its key: what each kind of line joins (a line
 * over the panels without one would leave the reader guessing).
 */
function lineSwitch(commit) {
  const wrap = document.createElement("span");
  wrap.className = "lines-switch";
  const button = document.createElement("button");
  button.type = "button";
  button.id = "lines-toggle";
  button.textContent = "Lines";
  button.setAttribute("aria-pressed", "true");
  // an entry of its own, as the theme, large type and the 3-D view make (one Back undid the
  // lines and the change before them together)
  button.addEventListener("click", () => commit({ lines: button.getAttribute("aria-pressed") !== "true" }));
  const key = document.createElement("span");
  key.id = "lines-key";
  key.className = "lines-key";
  for (const [kind, text] of [["beam", "field to filter"], ["out", "filter to neuron"], ["pair", "hovered product or weight"]]) {
    const swatch = document.createElement("i");
    swatch.className = `swatch-${kind}`;
    key.append(swatch, document.createTextNode(` ${text} `));
  }
  // said on the button too, where a narrow toolbar has no room for the key (css/wide.css),
  // and its description to a screen reader: the key's own text, read as one, ran together
  // ("field to filter filter to neuron ...") without its colours
  button.title = "Show or hide the lines: grey from the field to the filter, orange from the"
    + " filter to the neuron, red to a hovered product's or weight's cells";
  wrap.append(button, key, scaleKey());
  wrap.pressed = (on) => button.setAttribute("aria-pressed", on ? "true" : "false");
  // Where the key would take the switch onto a row of its own (under about 1270 px: at
  // 1024x768 the picture began 35 px lower), it is left out and the button's title and
  // description say it. Measured with the key shown each time, so the choice is stable;
  // on a resize or a type size's change, never from a ResizeObserver on the row it changes.
  let measuring = 0;
  const fitKey = () => {
    measuring = 0;
    // the tools' row; with the tools folded in large type (the colour key alone left out of
    // them), the transport's own
    const folded = document.querySelector("#transport.folded-tools");
    const first = folded ? folded.querySelector("#t-play") : wrap.parentElement?.firstElementChild;
    if (!first || first === wrap || !wrap.offsetParent) return;
    // the lines' key gives way first, then the colours' (the shorter, and the panel under
    // the picture has it too)
    const top = (node) => node.getBoundingClientRect().top;
    const wraps = () => top(wrap) > top(first) + first.offsetHeight / 2;
    wrap.classList.remove("keyless", "scaleless");
    wrap.classList.toggle("keyless", wraps());
    wrap.classList.toggle("scaleless", wraps());
  };
  const later = () => { if (!measuring) measuring = requestAnimationFrame(fitKey); };
  window.addEventListener("resize", later);
  const changes = new MutationObserver(later);
  changes.observe(document.documentElement, { attributes: true, attributeFilter: ["data-large"] });
  // the toolbar filled in by the other views, and unfolded from "More" in large type
  const transport = document.querySelector("#transport");
  if (transport) changes.observe(transport, { attributes: true, attributeFilter: ["class"] });
  const tools = document.querySelector("#view-tools");
  if (tools) changes.observe(tools, { childList: true });
  // and the step label's room, reserved once per layer (js/transport.js): measured before
  // it, the key stayed and took a second row at 900x1200 in large type
  const label = document.querySelector("#t-label");
  if (label) changes.observe(label, { attributes: true, attributeFilter: ["style"] });
  later();
  return wrap;
}
