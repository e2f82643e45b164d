// The volume view: the input and the output drawn as blocks of stacked depth slices, beside
// (in place of) the flat slices when the state's `view` is "3d". The receptive field is a box
// through the input's full depth, the current neuron a cell on its depth slice of the output
// (cut open there), and in depth-column order the whole depth column is boxed. Drag turns both
// blocks together, the wheel or a pinch zooms, Shift+drag moves; numbers appear on cells big
// enough to hold them. Each block view has two canvases: the block itself, drawn again only
// when what it shows changes (a turn, a zoom, its cut, its cells while paused), and over it a
// small one sized to the highlights (field box, neuron, depth column), which is all a playing
// frame redraws, with the cells the steps recoloured since the block was drawn: Chromium
// copies a changed canvas whole for the compositor, so the large one must not change.
import { el, qs } from "../dom.js";
import { pinText, positionOf, stepOf } from "../focus.js";
import {
  fieldSaid, inputCellSaid, inputCellText, inputGradientText, neuronSaid, outputCellText, upstreamCellText,
} from "../linking.js";
import { cellRect, cellSize, createBlock, cssPixels, outline, strokeBounds } from "./block.js";
import { CELL_TYPE, cellFor } from "./numbers.js";
import { palette } from "./colors.js";
import { Camera, fitOf, projection } from "./projection.js";
import { bindGestures, drawLabels, labels } from "./volume3d-parts.js";
import { applyZoom, watchZoom } from "../zoomlink.js";
import { PHONE } from "../fold.js";

const REDRAW_ABOVE = 20000; // neurons between two playheads past which the output is recoloured whole
// The overlay redraws the block under the cells recoloured since the block was last drawn
// (while playing); past this share of the view, or this many cells, the block is drawn whole
// again instead (one frame's full copy, rather than a large overlay copied every frame).
const REGION_SHARE = 0.1;
const REGION_CELLS = 4000;

/**
 * The 3-D view as an overlay of main.js: a toggle in #view-tools that commits {view} and a
 * block view in #input-panel and #output-panel. Returns {build(model, state), update(focus,
 * state, playback), clear()}.
 */
export function createVolume3d({ commit, getState, onInputCell = () => {}, onOutputCell = () => {} }) {
  const camera = new Camera();
  const toggle = el("button", "view-toggle", "3-D view");
  toggle.type = "button";
  toggle.id = "view-3d";
  toggle.setAttribute("aria-pressed", "false");
  const TITLE = "Draw the input and output volumes as blocks (drag to turn them)";
  toggle.title = TITLE;
  toggle.addEventListener("click", () => {
    // waiting for a layer that fits (see clear): kept in the Tab order, so a keyboard reader
    // reaches it and hears why, but a press changes nothing
    if (toggle.getAttribute("aria-disabled") === "true") return;
    commit({ view: getState().view === "3d" ? "flat" : "3d" });
    // said here too: with no layer to draw (a misfit) no update follows
    toggle.setAttribute("aria-pressed", getState().view === "3d" ? "true" : "false");
  });
  // backward mode: the blocks coloured with the gradients instead, dX on the input and dV
  // on the output (state `blocks`), as the flat view draws them under the values
  const gradients = el("button", "view-toggle", "Gradients");
  gradients.type = "button";
  gradients.id = "blocks-gradients";
  gradients.hidden = true;
  gradients.title = "Colour the blocks with the gradients: dX on the input, dV on the output";
  gradients.addEventListener("click", () => {
    commit({ blocks: getState().blocks === "gradients" ? "values" : "gradients" });
  });
  qs("#view-tools")?.append(toggle, gradients);
  // a hovered cell says what the flat grids' cells say, and reports to the same handlers
  // the lines leave the input block to the right and reach the output block from the left
  const input = createBlockView(qs("#input-panel"), "input", "Zoom to the field", camera, {
    away: -1,
    onCell: onInputCell,
    text: (r, c, k) => (drawsGradients ? inputGradientText : inputCellText)(model, r, c, k),
  });
  const output = createBlockView(qs("#output-panel"), "output", "Zoom to the neuron", camera, {
    away: 1,
    onCell: onOutputCell,
    // computed: reached by the playhead, or the pinned neuron, whose value the arithmetic shows
    text: (i, j, d) => (drawsGradients ? upstreamCellText(model, i, j, d)
      : outputCellText(model, i, j, d, stepOf(model.out.shape, getState().order, i, j, d) <= limit
        || getState().pin === pinText({ kind: "output", i, j, d }))),
  });
  // the angle is in the link (state `cam`): a turn is written once it has settled, and a
  // link's (or Back's) angle is turned to when it differs from the one last written or read
  let angle = null;
  let settling = 0;
  camera.onChange(() => {
    clearTimeout(settling);
    settling = setTimeout(() => {
      const text = camera.text;
      if (text === getState().cam) return;
      angle = text;
      commit({ cam: text }, "replace");
    }, 300);
  });
  // the zoom is in the link too (state `zoom`, as the flat views keep it: zoomlink.js): a
  // zoom by hand is written once settled, a link's (or Back's) applied when the blocks are
  // made and whenever it differs from the one last written or read
  const blocks = { input: { viewport: input.viewport }, output: { viewport: output.viewport } };
  let zoomSeen = null;
  watchZoom(blocks, (zoom) => {
    if (zoom === getState().zoom) return;
    zoomSeen = zoom;
    commit({ zoom }, "replace");
  });
  let model = null;
  let made = null; // the model the blocks were made for (made lazily, when first shown)
  let limit = null; // the last step drawn as computed on the output (Infinity: all)
  let drawsGradients = false; // the blocks made show dX and dV (wantsGradients when made)

  // what the state asks the blocks to show: the gradients, when backward mode has them
  const wantsGradients = (state) => state.mode === "backward" && state.blocks === "gradients"
    && Boolean(model?.upstream);

  function make(state) {
    // the same layer drawn again with the other colours (the gradients switch) keeps its
    // blocks' zoom and pan: the same cells, where the reader left them
    const same = made === model;
    made = model;
    // new blocks are whole: the link's zoom is applied to them at the next update (blocks
    // made again for a type size or theme, from build, came back whole under a zoomed link)
    zoomSeen = null;
    drawsGradients = wantsGradients(state);
    limit = state.mode === "backward" ? Infinity : state.t;
    const { xp, out, pads } = model;
    const order = state.order;
    const [hp, wp, depth] = xp.shape;
    const [h2, w2, k] = out.shape;
    const isPad = model.isPad;
    // the block is the padded input: its sides are Hp and Wp (as Xp is in the expressions),
    // not the H and W of the strip; dX is the input's own, its padding hatched and blank
    const padded = pads.top || pads.bottom || pads.left || pads.right;
    const [inputValue, inputMax, padValue] = drawsGradients
      ? [(r, c, d) => model.dx.at(r - pads.top, c - pads.left, d), model.dxMaxAbs, null]
      : [(r, c, d) => xp.at(r, c, d), model.maxAbs, 0];
    input.setBlock(createBlock({ rows: hp, cols: wp, depth, value: inputValue, maxAbs: inputMax, isPad, padValue }),
      { x: padded ? "Wp" : "W", y: padded ? "Hp" : "H", z: "D", slice: drawsGradients ? "dX" : padded ? "Xp" : "X" },
      { said: drawsGradients ? "input gradient dX" : "input volume", keepView: same });
    const computed = (i, j, d) => (stepOf(out.shape, order, i, j, d) <= limit ? out.at(i, j, d) : null);
    const [outputValue, outputMax] = drawsGradients
      ? [(i, j, d) => model.upstream.at(i, j, d), model.upMaxAbs] : [computed, model.outMaxAbs];
    // a dV the ReLU shuts adds to nothing: faded, as the flat view strikes it through
    const isStruck = drawsGradients ? model.shut : undefined;
    output.setBlock(createBlock({ rows: h2, cols: w2, depth: k, value: outputValue, maxAbs: outputMax, isStruck }),
      { x: "W2", y: "H2", z: "K", slice: drawsGradients ? "dV" : "V" },
      { said: drawsGradients ? "upstream gradient dV" : "output volume", keepView: same });
  }

  // recolour the neurons whose computed state changed between two playheads
  function advance(state) {
    const next = state.mode === "backward" ? Infinity : state.t;
    if (drawsGradients) return; // dV is given whole, whatever the step
    if (next === limit) return;
    const before = limit;
    limit = next;
    const block = output.block;
    if (Number.isFinite(before) && Number.isFinite(next) && Math.abs(next - before) <= REDRAW_ABOVE) {
      const cells = [];
      for (let s = Math.min(before, next) + 1; s <= Math.max(before, next); s += 1) {
        const p = positionOf(model.out.shape, state.order, s);
        cells.push([p.i, p.j, p.d]);
      }
      block.refresh(cells);
    } else {
      block.refreshAll();
    }
  }

  return {
    build(next, state) {
      model = next;
      made = null;
      toggle.removeAttribute("aria-disabled");
      toggle.title = TITLE;
      if (state.view === "3d") make(state);
    },
    /**
     * Show the blocks or the flat slices, before the panels draw; answers the flat views the
     * blocks are drawn in place of (main.js leaves them be meanwhile).
     */
    layout(state) {
      const on = state.view === "3d";
      // called on every render (every frame while playing): write only a change
      const root = qs("#app");
      if (root.dataset.view !== (on ? "3d" : "flat")) {
        toggle.setAttribute("aria-pressed", on ? "true" : "false");
        root.dataset.view = on ? "3d" : "flat";
      }
      input.show(on);
      output.show(on);
      const offered = on && state.mode === "backward" && Boolean(model?.upstream);
      if (gradients.hidden === offered) gradients.hidden = !offered;
      const pressed = state.blocks === "gradients" ? "true" : "false";
      if (gradients.getAttribute("aria-pressed") !== pressed) gradients.setAttribute("aria-pressed", pressed);
      return on ? ["input", "output"] : [];
    },
    /**
     * Where the connection lines (connections.js) end on the blocks, in client px, or null
     * when the blocks are not shown: field(r0, c0, r1, c1, ch) the corners {tl, tr, br, bl}
     * of the field's rectangle of padded cells r0..r1 x c0..c1 on the face of input slice ch
     * toward the eye (null unless all are on the canvas); fieldCorners(...) the full-depth
     * box's corners on the canvas; neuron(i, j, d) the {centre, quad} of the neuron's cell on
     * its slice's front plane, where it is outlined (null unless all on the canvas); inputCell
     * (r, c, ch) a cell's centre on the slice's front plane, where a hovered product's is,
     * and cells([[r, c], ...], ch) their corners there, where a hovered weight's are.
     */
    anchors() {
      if (getState().view !== "3d" || !model || made !== model || !input.block) return null;
      const corners = (r0, c0, r1, c1, z) => [[c0, r0, z], [c1 + 1, r0, z], [c1 + 1, r1 + 1, z], [c0, r1 + 1, z]];
      return {
        field(r0, c0, r1, c1, ch) {
          const found = input.where(corners(r0, c0, r1, c1, input.nearZ(ch)));
          if (found.some((p) => !p)) return null;
          const [tl, tr, br, bl] = found;
          return { tl, tr, br, bl };
        },
        fieldCorners(r0, c0, r1, c1) {
          const { extent } = input.block;
          return input.where([...corners(r0, c0, r1, c1, 0), ...corners(r0, c0, r1, c1, extent)]).filter(Boolean);
        },
        // each cell's corners on slice ch's front plane, where the block is cut open to show
        // a hovered weight's cells (null for a cell not wholly on the canvas)
        cells(list, ch) {
          const z = ch * input.block.spacing;
          const found = input.where(list.flatMap(([r, c]) => corners(r, c, r, c, z)));
          return list.map((_, n) => {
            const quad = found.slice(4 * n, 4 * n + 4);
            return quad.every(Boolean) ? quad : null;
          });
        },
        // on the plane the block is cut open at to show it (inputHighlight's pair)
        inputCell: (r, c, ch) => input.where([[c + 0.5, r + 0.5, ch * input.block.spacing]])[0],
        neuron(i, j, d) {
          const z = d * output.block.spacing;
          const [centre, ...quad] = output.where([[j + 0.5, i + 0.5, z], ...corners(i, j, i, j, z)]);
          return centre && quad.every(Boolean) ? { centre, quad } : null;
        },
      };
    },
    /**
     * A layer that does not fit: no blocks, and the flat misfit drawing in their place. The
     * toggle waits, aria-disabled (not disabled: that would drop it from the Tab order and
     * hide its reason from a keyboard), keeping the reader's choice (pressed for a 3-D
     * link): the blocks come back once the layer fits.
     */
    clear() {
      model = null;
      made = null;
      toggle.setAttribute("aria-disabled", "true");
      toggle.setAttribute("aria-pressed", getState().view === "3d" ? "true" : "false");
      toggle.title = "The blocks draw a layer that fits: this one is drawn flat, and the 3-D view"
        + " comes back once it fits";
      qs("#app").dataset.view = "flat";
      gradients.hidden = true;
      input.show(false);
      output.show(false);
    },
    update(focus, state, { playing, fast }) {
      if (state.view !== "3d" || !model) return;
      if (state.cam !== angle) {
        angle = state.cam;
        if (camera.text !== angle) camera.turnTo(angle);
      }
      if (made !== model || drawsGradients !== wantsGradients(state)) make(state);
      if (state.zoom !== zoomSeen) {
        zoomSeen = state.zoom;
        applyZoom(blocks, state.zoom);
      }
      advance(state);
      const still = !playing;
      const steady = !focus.inputCell && !focus.pair;
      input.focusOn(inputHighlight(input.block, focus, model, drawsGradients), { quiet: fast, follow: steady, describe: still });
      const hl = outputHighlight(output.block, focus, state.order, model, drawsGradients);
      // Playing fast in depth-column order, the neuron changes slice at every step: the block
      // stays cut where it was (cut at each frame's neuron, it would be drawn whole every frame,
      // and a cut running through the slices 60 times a second reads as flicker); the depth
      // column's box and the neuron's outline show where the neuron is, and a pause cuts the
      // block at it again.
      if (fast && state.order === "depth_column") hl.cut = output.cut;
      output.focusOn(hl, { quiet: fast, follow: !focus.inputCell, describe: still });
    },
  };
}

/** The input block's highlights, and what a screen reader hears of them: of the values, or
 * (`gradients`) of dX, as the block draws it. */
function inputHighlight(block, focus, model, gradients) {
  const step = focus.step;
  // cut open at a hovered product's or weight's slice, to show its cells
  const cut = focus.pair ? focus.pair.channel : focus.weight ? focus.weight.ch : 0;
  const z = cut * block.spacing;
  const field = step && step.rows.length && step.cols.length
    ? { r0: step.rows[0], r1: step.rows.at(-1), c0: step.cols[0], c1: step.cols.at(-1) } : null;
  const dilated = field && (step.rows.length < field.r1 - field.r0 + 1 || step.cols.length < field.c1 - field.c0 + 1);
  return {
    cut,
    field,
    span: field ? Math.max(field.r1 - field.r0, field.c1 - field.c0) + 1 : 1,
    anchor: field ? [(field.c0 + field.c1 + 1) / 2, (field.r0 + field.r1 + 1) / 2, z]
      : focus.inputCell ? [focus.inputCell[1] + 0.5, focus.inputCell[0] + 0.5, z] : null,
    // a pinned cell is drawn on the slice the block is cut open at: its value there
    label: field ? `${fieldSaid(step.rows, step.cols)}, all ${block.depth} depth slices`
      : focus.inputCell ? `${focus.hovered ? "" : "pinned "}cell ${(gradients ? inputGradientText : inputCellSaid)(model, ...focus.inputCell, cut)} on depth slice ${cut}` : "",
    draw(ctx, P) {
      if (field) {
        outline(ctx, P, [field.c0, field.r0, 0], [field.c1 + 1, field.r1 + 1, block.extent], { color: palette.mark, width: 2, halo: true });
        cellRect(ctx, P, field.r0, field.c0, field.r1, field.c1, z, { color: palette.mark, width: 2.5 });
        if (dilated) for (const [r, c] of step.taps) cellRect(ctx, P, r, c, r, c, z, { color: palette.mark, width: 1, halo: false });
      }
      if (focus.inputCell) {
        const [r, c] = focus.inputCell;
        cellRect(ctx, P, r, c, r, c, z, { color: palette.mark, width: 2.5 });
      }
      if (focus.pair) {
        const [r, c] = focus.pair.input;
        cellRect(ctx, P, r, c, r, c, z, { color: palette.pair, width: 2.5 });
      }
    },
  };
}

/** The output block's highlights, and what a screen reader hears of the neuron: its value,
 * or (`gradients`) its dV, as the block draws it. */
function outputHighlight(block, focus, order, model, gradients) {
  const p = focus.position;
  const cut = p ? p.d : 0;
  const z = cut * block.spacing;
  return {
    cut,
    neuron: p,
    anchor: p ? [p.j + 0.5, p.i + 0.5, z] : null,
    label: p ? `${focus.pinned ? "pinned" : "current"} neuron ${gradients ? upstreamCellText(model, p.i, p.j, p.d) : neuronSaid(model, p)} on depth slice ${p.d}` : "",
    draw(ctx, P) {
      if (p && order === "depth_column") {
        outline(ctx, P, [p.j, p.i, 0], [p.j + 1, p.i + 1, block.extent], { color: palette.active, width: 2, halo: true });
      }
      for (const [i, j] of focus.seen ?? []) cellRect(ctx, P, i, j, i, j, z, { color: palette.seen, width: 2, halo: false });
      if (p) {
        const corners = cellRect(ctx, P, p.i, p.j, p.i, p.j, z, { color: palette.mark, width: 3 });
        // a neuron a few pixels wide (AlexNet zoomed out) gets a ring the eye can find
        const [a, , c] = corners;
        if (Math.hypot(c[0] - a[0], c[1] - a[1]) < 10) ring(ctx, [(a[0] + c[0]) / 2, (a[1] + c[1]) / 2]);
      }
    },
  };
}

/**
 * One panel's block: its canvas, zoom and pan, pointer input and paint. `onCell(type, r, c,
 * k)` hears the cell under the pointer ("enter", "leave", "click"), as a flat grid's handler
 * does, and `text(r, c, k)` is what the readout says about it.
 */
function createBlockView(panel, name, zoomLabel, camera, { away, onCell, text }) {
  const box = el("div", "volume3d");
  box.id = `${name}-3d`;
  box.hidden = true;
  const bar = el("div", "volume3d-bar");
  const reset = el("button", "", "Reset view");
  // two blocks, two buttons of the same words: the name says whose view
  // the visible words first, so a speech user's "click Reset view" finds it (WCAG 2.5.3)
  reset.setAttribute("aria-label", `Reset view of the ${name} block`);
  const closer = el("button", "", zoomLabel);
  for (const button of [reset, closer]) button.type = "button";
  // a finger has no wheel and no Shift: two fingers pinch and move the block; where the page
  // scrolls (the phone layout, css/phone.css) an up-or-down drag scrolls it instead of turning
  const phone = window.matchMedia(PHONE).matches;
  const hint = !window.matchMedia("(pointer: coarse)").matches
    ? "drag to turn · wheel or pinch to zoom · Shift+drag to move"
    : phone ? "drag sideways to turn · pinch to zoom · two fingers to move"
      : "drag to turn · pinch to zoom · two fingers to move";
  const hints = el("span", "volume3d-hint", hint);
  bar.append(reset, closer, hints);
  const stage = el("div", "volume3d-stage");
  const canvas = document.createElement("canvas");
  canvas.className = "volume3d-block";
  canvas.setAttribute("role", "img");
  // its keys, said with its name when the focus comes to it (the hint shows them, but is
  // text beside the block that a screen reader reaching the block does not hear)
  const keys = el("span", "visually-hidden", "Keys: arrows turn the block, + and − zoom, Shift+arrows move it");
  keys.id = `${name}-3d-keys`;
  canvas.setAttribute("aria-describedby", keys.id);
  // the highlights, over the block (the pointer goes through to the block)
  const marks = document.createElement("canvas");
  marks.className = "volume3d-marks";
  marks.setAttribute("aria-hidden", "true");
  stage.append(canvas, marks);
  const readout = el("p", "zoom-readout volume3d-readout");
  readout.setAttribute("aria-live", "off");
  readout.hidden = true;
  box.append(bar, stage, readout, keys);
  panel?.append(box);
  const view = {
    block: null, names: null, zoom: 1, pan: [0, 0], fit: null, width: 0, height: 0, ratio: 1, border: [0, 0], hl: null, quiet: false,
    paints: 0, numbers: 0, labels: [], said: "", // what a screen reader hears it is
    drawn: null, // what the block canvas shows: {block, key}
    region: null, // [x0, y0, x1, y1] CSS px: where the overlay redraws the block's recoloured cells
    // the overlay: device px [x0, y0, x1, y1] it covers, and the highlights it last drew
    over: { paints: 0, rect: null, place: "", size: "", hl: null },
  };
  let frame = 0;
  const schedule = () => {
    if (!frame && !box.hidden) frame = requestAnimationFrame(paint);
  };
  // zooms made by hand (wheel, pinch, the two buttons) are heard by the link (viewport)
  const zoomListeners = [];
  const zoomedByHand = () => zoomListeners.forEach((listener) => listener());
  let wanted = null; // a zoom asked for before the block had its fit (made when first shown)
  function applyWanted() {
    if (wanted === null || !view.fit) return;
    view.zoom = Math.max(1, Math.min(maxZoom(), wanted));
    view.pan = [0, 0];
    wanted = null;
    if (view.zoom > 1) centre();
    schedule();
  }
  const maxZoom = () => Math.max(2, 90 / view.fit.scale);
  const project = (angles = camera) => projection(view.block, angles, view.fit.scale * view.zoom, [
    view.width / 2 + view.pan[0] + view.zoom * view.fit.shift[0],
    view.height / 2 + view.pan[1] + view.zoom * view.fit.shift[1],
  ]);

  function zoomAt(factor, [qx, qy]) {
    const zoom = Math.max(1, Math.min(maxZoom(), view.zoom * factor));
    const [cx, cy] = [view.width / 2, view.height / 2];
    view.pan = zoom === 1 ? [0, 0] : [
      qx - cx - (zoom * (qx - cx - view.pan[0])) / view.zoom,
      qy - cy - (zoom * (qy - cy - view.pan[1])) / view.zoom,
    ];
    view.zoom = zoom;
    schedule();
  }

  // bring the anchor (field or neuron) to the centre
  function centre() {
    const anchor = view.hl?.anchor;
    if (!anchor) return;
    const [x, y] = project().point(...anchor);
    view.pan = [view.pan[0] + view.width / 2 - x, view.pan[1] + view.height / 2 - y];
  }

  // The canvas's pixels are the device pixels its content box covers on screen, as the
  // ResizeObserver reports them: a box of 345.6 CSS px shown as 345 device px holding a
  // 346 px bitmap would be resampled (blurred, and a costlier compositing than a copy).
  let device = null; // [width, height] in device px, from the observer
  function resize() {
    const [width, height] = [canvas.clientWidth, canvas.clientHeight];
    if (!width || !height) return;
    view.ratio = window.devicePixelRatio || 1;
    // the observer's device px where they are the CSS box times the ratio (to the rounding of
    // the CSS box, which clientWidth rounds to whole px): an emulated ratio (a browser's
    // device mode, headless Chromium's) may report CSS px there, and a 2x view drawn into
    // them came out twice its size, its marks off their cells
    const expected = [width * view.ratio, height * view.ratio];
    const trusted = device && device.every((n, i) => Math.abs(n - expected[i]) <= view.ratio + 1);
    const [w, h] = trusted ? device : expected.map(Math.round);
    // drawn in CSS px that are exactly the canvas's pixels over the ratio
    Object.assign(view, { width: w / view.ratio, height: h / view.ratio });
    // the overlay sits in the block canvas's content box, inside its border
    view.border = [canvas.clientLeft, canvas.clientTop];
    canvas.width = w;
    canvas.height = h;
    view.drawn = null; // a canvas sized again is blank
    if (view.block) view.fit = fitOf(view.block, view.width, view.height, away);
    applyWanted();
    schedule();
  }
  const sizes = new ResizeObserver(([entry]) => {
    const box = entry.devicePixelContentBoxSize?.[0];
    device = box && box.inlineSize && box.blockSize ? [box.inlineSize, box.blockSize] : null;
    resize();
  });
  try {
    sizes.observe(canvas, { box: "device-pixel-content-box" });
  } catch {
    sizes.observe(canvas); // a browser without it: the content box, rounded
  }

  // turning keeps a zoomed-in view on its field or neuron
  camera.onChange((before) => {
    if (view.block && view.fit && view.zoom > 1 && view.hl?.anchor) {
      const [x0, y0] = project(before).point(...view.hl.anchor);
      const [x1, y1] = project().point(...view.hl.anchor);
      view.pan = [view.pan[0] + x0 - x1, view.pan[1] + y0 - y1];
    }
    schedule();
  });

  // the cell drawn at canvas point (x, y): the faces facing the eye of the part behind the
  // cut (solid) first, then those of the glass in front of it; inverted through the very
  // projection the paint uses, so it is exact at any turn and zoom
  function pick(x, y) {
    const { block } = view;
    if (!block || !view.fit) return null;
    const P = project();
    const { rows, cols, depth, spacing } = block;
    const cut = view.hl?.cut ?? 0;
    const parts = cut > 0 ? [[cut, depth], [0, cut]] : [[0, depth]];
    const e = 1e-6;
    for (const [k0, k1] of parts) {
      const [z0, z1] = [k0 * spacing, k1 * spacing];
      const faces = [[2, z0, 0, 0, -1], [2, z1, 0, 0, 1], [0, 0, -1, 0, 0], [0, cols, 1, 0, 0], [1, 0, 0, -1, 0], [1, rows, 0, 1, 0]];
      for (const [axis, value, ...normal] of faces) {
        if (!P.facing(...normal)) continue;
        const at = P.onPlane(x, y, axis, value);
        if (!at) continue;
        const [px, py, pz] = at;
        if (px < -e || px > cols + e || py < -e || py > rows + e || pz < z0 - e || pz > z1 + e) continue;
        const clamp = (v, lo, hi) => Math.max(lo, Math.min(hi, Math.floor(v)));
        return [clamp(py, 0, rows - 1), clamp(px, 0, cols - 1), clamp(pz / spacing, k0, k1 - 1)];
      }
    }
    return null;
  }

  let hovered = null; // "r,c,k" of the cell under the pointer
  // a tapped cell's readout: kept while the focus stays where the tap put it (its label,
  // drawn as the tap's events were handled), as a finger has no hover to leave
  let tapped = null;
  // a click (or a tap, which brings no hover first: a browser's emulated mouse does the same
  // for a flat grid) is over the cell it points at first, then pins it
  function point(type, [x, y], pointerType) {
    const cell = type === "leave" ? null : pick(x, y);
    const key = cell ? cell.join(",") : null;
    if (key !== hovered) {
      hovered = key;
      showReadout(cell ? text(...cell) : "");
      if (cell) onCell("enter", ...cell);
      else onCell("leave", -1, -1, -1);
    }
    if (type === "click" && cell) onCell("click", ...cell);
    if (type === "click" && pointerType === "touch") {
      // the tap's hover ends with it: left on, the tapped neuron stayed in the arithmetic
      // after its pin was released, and the playhead's steps were not shown
      hovered = null;
      onCell("leave", -1, -1, -1);
      tapped = cell ? { label: view.hl?.label } : null;
    }
  }

  function showReadout(said) {
    readout.textContent = said;
    readout.hidden = !said;
    canvas.title = said;
  }

  bindGestures(canvas, {
    turn: (dx, dy) => camera.turn(-dx * 0.01, dy * 0.01),
    move: (dx, dy) => {
      view.pan = [view.pan[0] + dx, view.pan[1] + dy];
      schedule();
    },
    zoomAt: (factor, at) => {
      if (!view.fit) return;
      zoomAt(factor, at);
      zoomedByHand();
    },
    point,
  });
  // the block takes keys while it has the focus (volume3d-parts.js): the hint says which when
  // the keyboard brought it there (a press focuses it too, and a hint of another length
  // would move the block under the dragging pointer)
  canvas.addEventListener("focus", () => {
    if (canvas.matches(":focus-visible")) hints.textContent = "arrows turn · + and − zoom · Shift+arrows move";
  });
  canvas.addEventListener("blur", () => {
    hints.textContent = hint;
  });
  reset.addEventListener("click", () => {
    view.zoom = 1;
    view.pan = [0, 0];
    camera.reset();
    schedule();
    zoomedByHand();
  });
  closer.addEventListener("click", () => {
    if (!view.fit) return;
    // cells big enough for their numbers, and the whole field in view if it can be
    const span = view.hl?.span ?? 1;
    // (numbers first: a narrow one-screen panel cannot hold a big field at number size; the
    // size the longest number around the anchor needs, as the blocks' type rule has it)
    const [x, y] = view.hl?.anchor ?? [0, 0];
    const reach = span / 2 + 1;
    const near = view.block.longestIn(Math.floor(y - reach), Math.ceil(y + reach), Math.floor(x - reach), Math.ceil(x + reach));
    const cell = Math.min(44, Math.max(cellFor(near, CELL_TYPE) + 1, (0.8 * Math.min(view.width, view.height)) / span));
    // a cell's size on screen at the anchor, per unit of zoom (the face is foreshortened)
    const P = project();
    const [ax, ay, az] = view.hl?.anchor ?? [0, 0, 0];
    const perZoom = cellSize(P.point(ax, ay, az), P.point(ax + 1, ay, az), P.point(ax, ay + 1, az)) / view.zoom;
    view.zoom = Math.max(1, Math.min(maxZoom(), cell / perZoom));
    view.pan = [0, 0];
    centre();
    schedule();
    zoomedByHand();
  });

  function paint() {
    frame = 0;
    if (box.hidden || !view.block) return;
    if (!view.fit) resize();
    if (!view.fit) return;
    const P = project();
    const cut = view.hl?.cut ?? 0;
    const { block } = view;
    // everything the block canvas's pixels depend on but its cells
    const key = [camera.yaw, camera.pitch, view.zoom, ...view.pan, view.width, view.height, view.ratio, cut, view.quiet].join();
    const pending = block.pending;
    let whole = view.drawn?.block !== block || view.drawn.key !== key || pending === null
      || (pending.length > 0 && !view.quiet) || pending.length > REGION_CELLS;
    if (!whole && pending.length) {
      // playing (no numbers): the recoloured cells are redrawn on the overlay, until they
      // cover too much of the view
      view.region = join(view.region, cellsBounds(P, block, pending));
      block.pending = [];
      const [x0, y0, x1, y1] = view.region;
      whole = (x1 - x0) * (y1 - y0) > REGION_SHARE * view.width * view.height;
    }
    if (whole) paintBlock(P, cut, key);
    paintMarks(P, cut);
  }

  // the block and its labels on the block canvas
  function paintBlock(P, cut, key) {
    const ctx = canvas.getContext("2d");
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.setTransform(view.ratio, 0, 0, view.ratio, 0, 0);
    view.numbers = view.block.paint(ctx, P, { cut, numbers: !view.quiet, ratio: view.ratio, width: view.width, height: view.height });
    view.labels = labels(ctx, P, view.block, view.names, cut, { away, width: view.width, height: view.height });
    view.block.pending = [];
    view.drawn = { block: view.block, key };
    view.region = null;
    view.paints += 1;
  }

  // the highlights on the overlay, sized to them (and to the region of recoloured cells,
  // drawn there as the block canvas would draw it: on the panel's colour, as the canvas
  // shows it, so the overlay's pixels replace the stale ones below instead of blending)
  function paintMarks(P, cut) {
    const { ratio } = view;
    const draw = (ctx) => view.hl?.draw(ctx, P);
    const css = join(strokeBounds(draw), view.region);
    const rect = css && clip(deviceRect(css, ratio), [0, 0, canvas.width, canvas.height]);
    const over = view.over;
    if (!rect) {
      over.rect = null;
      if (!marks.hidden) marks.hidden = true;
      return;
    }
    const [x0, y0, x1, y1] = rect;
    const [w, h] = [x1 - x0, y1 - y0];
    // a size kept while it fits and is not far too large: resizing costs a layout
    if (w > marks.width || h > marks.height || w * h * 4 < marks.width * marks.height) {
      marks.width = w + 32;
      marks.height = h + 32;
    }
    // its CSS size from its pixels whether or not they changed: the canvas's first 300x150
    // px, kept when the first highlight fitted them, were shown at 300x150 CSS px, so on a
    // screen of 2 or 3 device px to the CSS px every mark came out that many times too big
    const size = `${marks.width / ratio}px ${marks.height / ratio}px`;
    if (size !== over.size) {
      [marks.style.width, marks.style.height] = size.split(" ");
      over.size = size;
    }
    if (marks.hidden) marks.hidden = false;
    // (left and top, not a transform: a layer placed by a transform at a fraction of a pixel,
    // where the panel's text may put the block canvas, is drawn blurred; written only when it
    // moved)
    const place = [view.border[0] + x0 / ratio, view.border[1] + y0 / ratio];
    if (place.join() !== over.place) {
      marks.style.left = `${place[0]}px`;
      marks.style.top = `${place[1]}px`;
      over.place = place.join();
    }
    const ctx = marks.getContext("2d");
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, marks.width, marks.height);
    // nothing past the block canvas's edge (the overlay may be larger than the rect)
    ctx.save();
    ctx.beginPath();
    ctx.rect(0, 0, w, h);
    ctx.clip();
    const at = { ratio, origin: [x0, y0] };
    const region = view.region && clip(deviceRect(view.region, ratio), rect);
    if (region) {
      const [rx0, ry0, rx1, ry1] = region;
      ctx.save();
      ctx.beginPath();
      ctx.rect(rx0 - x0, ry0 - y0, rx1 - rx0, ry1 - ry0);
      ctx.clip();
      ctx.fillStyle = palette.panel;
      ctx.fillRect(rx0 - x0, ry0 - y0, rx1 - rx0, ry1 - ry0);
      cssPixels(ctx, at);
      view.block.paint(ctx, P, { cut, numbers: false, ratio, origin: at.origin, width: view.width, height: view.height });
      cssPixels(ctx, at);
      drawLabels(ctx, view.labels);
      ctx.restore();
    }
    cssPixels(ctx, at);
    draw(ctx);
    ctx.restore();
    over.hl = view.hl;
    over.rect = rect;
    over.paints += 1;
  }

  // for tests and tools: where things are drawn, in client (page) coordinates
  const client = (points) => {
    const rect = canvas.getBoundingClientRect();
    const [left, top] = [rect.left + canvas.clientLeft, rect.top + canvas.clientTop];
    return points.map(([x, y]) => [left + x, top + y]);
  };
  // where block points [x, y, z] are drawn now, in client px; null for one off the canvas
  function where(points) {
    if (box.hidden || !view.block || !view.fit) return points.map(() => null);
    const P = project();
    const inside = ([x, y]) => x >= 0 && y >= 0 && x <= view.width && y <= view.height;
    const drawn = points.map((p) => P.point(...p));
    const found = client(drawn);
    return found.map((p, n) => (inside(drawn[n]) ? p : null));
  }
  // the depth plane of slice k that faces the eye (its front, or its back turned around)
  const nearZ = (k) => (project().facing(0, 0, -1) ? k : k + 1) * view.block.spacing;

  box.volume3d = {
    /** The 8 corners of cell (r, c) of depth slice k as drawn now. */
    corners(r, c, k) {
      const P = project();
      const zs = [k * view.block.spacing, (k + 1) * view.block.spacing];
      return client(zs.flatMap((z) => [[c, r], [c + 1, r], [c + 1, r + 1], [c, r + 1]].map(([x, y]) => P.point(x, y, z))));
    },
    probe() {
      const P = project();
      const { block, hl } = view;
      const f = hl?.field;
      const n = hl?.neuron;
      const box3 = (a, b) => client([a[2], b[2]].flatMap((z) => [[a[0], a[1]], [b[0], a[1]], [b[0], b[1]], [a[0], b[1]]].map(([x, y]) => P.point(x, y, z))));
      const over = view.over.rect;
      return {
        yaw: camera.yaw, pitch: camera.pitch, zoom: view.zoom, pan: [...view.pan], cut: hl?.cut ?? 0, paints: view.paints, numbers: view.numbers, font: block.font,
        // the overlay: how often it was drawn, the client box it covers (null: hidden) and
        // whether it redraws recoloured cells of the block
        marks: {
          paints: view.over.paints, region: Boolean(view.region),
          box: over ? client([[over[0] / view.ratio, over[1] / view.ratio], [over[2] / view.ratio, over[3] / view.ratio]]).flat() : null,
          // what it shows: the field's rows and columns, the neuron [i, j, d]
          field: view.over.hl?.field ? [view.over.hl.field.r0, view.over.hl.field.r1, view.over.hl.field.c0, view.over.hl.field.c1] : null,
          neuron: view.over.hl?.neuron ? [view.over.hl.neuron.i, view.over.hl.neuron.j, view.over.hl.neuron.d] : null,
        },
        rows: block.rows, cols: block.cols, depth: block.depth, spacing: block.spacing,
        field: f ? { rows: [f.r0, f.r1], cols: [f.c0, f.c1], box: box3([f.c0, f.r0, 0], [f.c1 + 1, f.r1 + 1, block.extent]) } : null,
        // the size and slice labels' fonts and boxes [x0, y0, x1, y1]
        labels: view.labels.map(({ text, font, box }) => ({ text, font, box: client([box.slice(0, 2), box.slice(2)]).flat() })),
        neuron: n ? { i: n.i, j: n.j, d: n.d, corners: client([[n.j, n.i], [n.j + 1, n.i], [n.j + 1, n.i + 1], [n.j, n.i + 1]].map(([x, y]) => P.point(x, y, n.d * block.spacing))) } : null,
      };
    },
  };

  return {
    get block() {
      return view.block;
    },
    /** The zoom as zoomlink.js reads and sets it: how far in from the whole block (where it
     * looks follows the field or the neuron, as a flat view's does). */
    viewport: {
      get factor() {
        return view.zoom;
      },
      zoomAt(factor) {
        wanted = view.zoom * factor;
        applyWanted();
      },
      onChange(listener) {
        zoomListeners.push(listener);
      },
    },
    /** The slice the block is cut open at now. */
    get cut() {
      return view.hl?.cut ?? 0;
    },
    where,
    nearZ,
    /** Draw `block` (`names`: its edges' and slice's letters); `said` names it to a screen
     * reader, and `keepView` keeps the zoom and pan (the same cells in other colours). */
    setBlock(block, names, { said, keepView = false }) {
      view.block = block;
      view.names = names;
      view.said = said;
      block.refreshAll();
      view.fit = view.width ? fitOf(block, view.width, view.height, away) : null;
      if (!keepView) {
        view.zoom = 1;
        view.pan = [0, 0];
      }
      canvas.setAttribute("aria-label", `${said} in 3-D, ${block.rows}x${block.cols}x${block.depth}`);
      schedule();
    },
    show(on) {
      if (box.hidden === !on) return;
      box.hidden = !on;
      if (on) resize();
    },
    focusOn(hl, { quiet, follow, describe }) {
      view.hl = hl;
      if (tapped && hl.label !== tapped.label) {
        tapped = null;
        showReadout("");
      }
      view.quiet = quiet;
      if (view.fit && follow && view.zoom > 1.05 && hl.anchor) {
        const [x, y] = project().point(...hl.anchor);
        const m = 0.1 * Math.min(view.width, view.height);
        if (x < m || y < m || x > view.width - m || y > view.height - m) centre();
      }
      if (describe && view.block) {
        const { rows, cols, depth } = view.block;
        canvas.setAttribute("aria-label", `${view.said} in 3-D, ${rows}x${cols}x${depth}${hl.label ? `: ${hl.label}` : ""}`);
      }
      schedule();
    },
  };
}

// the CSS px box of the cells' cubes (every face they are drawn on) as projected
function cellsBounds(P, block, cells) {
  const { spacing } = block;
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [r, c, k] of cells) {
    for (const z of [k * spacing, (k + 1) * spacing]) {
      for (const [x, y] of [[c, r], [c + 1, r], [c, r + 1], [c + 1, r + 1]]) {
        const [u, v] = P.point(x, y, z);
        x0 = Math.min(x0, u);
        y0 = Math.min(y0, v);
        x1 = Math.max(x1, u);
        y1 = Math.max(y1, v);
      }
    }
  }
  // a pixel of antialiasing, and the cell and slice lines drawn on their edges
  return [x0 - 2, y0 - 2, x1 + 2, y1 + 2];
}

// the smallest box holding both (either may be null)
function join(a, b) {
  if (!a || !b) return a ?? b;
  return [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])];
}

// a CSS px box as whole device pixels covering it
function deviceRect([x0, y0, x1, y1], ratio) {
  return [Math.floor(x0 * ratio), Math.floor(y0 * ratio), Math.ceil(x1 * ratio), Math.ceil(y1 * ratio)];
}

// box a inside box b, or null when nothing is left
function clip(a, b) {
  const c = [Math.max(a[0], b[0]), Math.max(a[1], b[1]), Math.min(a[2], b[2]), Math.min(a[3], b[3])];
  return c[0] < c[2] && c[1] < c[3] ? c : null;
}

function ring(ctx, [x, y]) {
  for (const [color, width] of [[palette.halo, 4], [palette.mark, 2]]) {
    ctx.strokeStyle = color;
    ctx.lineWidth = width;
    ctx.beginPath();
    ctx.arc(x, y, 9, 0, 2 * Math.PI);
    ctx.stroke();
  }
}
