// The input volume: every depth slice of the padded input as a grid, padding drawn distinctly,
// the focused receptive field outlined on every slice at once (local in space, full in depth).
// Big inputs draw on zoomable canvases that share one viewport (zoom one slice, zoom all).
// The cells are as big as the panel allows; a deep input scrolls inside the panel.
// In backward mode each slice's gradient dX is drawn under it, laid out as the padded input
// (its padding hatched and blank: a gradient reaches it, but no input holds it), the field
// outlined on it too: the cells the focused neuron's dV reaches.
import { createGrid, CANVAS_THRESHOLD, sliceFigure } from "./grid.js";
import {
  CAPTION, fitCell, fitSide, GAP, gridRoom, keepInView, numbersCell, onOneScreen, PAIR_GAP,
  projectedCell, roomOf, wholeSlicesCell, widthCell,
} from "./fit.js";
import { viewHeight, Viewport, zoomBar } from "./viewport.js";
import { createZoomGrid } from "./zoom.js";
import { counted, el } from "../dom.js";
import { typeScale } from "./colors.js";
import { fieldSaid, inputCellSaid, inputCellText, inputGradientText } from "../linking.js";

/**
 * Build the input panel for `model` under `container`; `onCell(type, r, c, d)` reports hover
 * and clicks in padded coordinates. Returns {update(focus, follow, still), box(r, c, d),
 * boxes(cells, d)}: box is where padded cell (r, c) of slice d is on screen (client px), null
 * when it is not drawn.
 */
export function createInputView(container, model, onCell) {
  const { xp, pads, maxAbs, isPad, dx } = model;
  const [hp, wp, depth] = xp.shape;
  // each slice is drawn with its padding: Xp, as the expressions name it
  const padded = pads.top || pads.bottom || pads.left || pads.right;
  // In backward mode each depth slice's dX is drawn under it, the two one column (a pair) of
  // the wrapped row (side by side, dX[:, :, 0] came under X[:, :, 1] where three slices did
  // not fill their rows evenly): a pair is fitted as one slice twice as tall, with its two
  // captions and the gap between
  const count = dx ? 2 * depth : depth; // grids drawn
  const canvas = hp * wp * count > CANVAS_THRESHOLD;
  const pairRows = dx ? 2 * hp : hp;
  const captions = dx ? { caption: 2 * CAPTION + PAIR_GAP + 2 } : {}; // + the second frame
  // the rows and columns no window reads (the server's `unseen`, input indices: a stride
  // longer than the window, dilation's holes, what fit="floor" drops), in the padded input
  const { height, width } = model.geometry;
  const unreadRows = new Set(height.unseen.map((i) => i + pads.top));
  const unreadCols = new Set(width.unseen.map((i) => i + pads.left));
  const isUnread = (r, c) => unreadRows.has(r) || unreadCols.has(c);
  const room = roomOf(container);
  const note = el("p", "slices-note");
  note.hidden = true;
  if (unreadRows.size || unreadCols.size) {
    const rows = unreadRows.size ? counted(unreadRows.size, "row") : "";
    const cols = unreadCols.size ? counted(unreadCols.size, "column") : "";
    container.append(el("p", "slices-note unread-note", `${[rows, cols].filter(Boolean).join(" and ")} of the`
      + ` input no neuron reads: ${canvas ? "faded" : "struck through"}.`));
  }
  container.append(note);
  let view = null;
  if (canvas) {
    const ratio = hp / wp;
    // (pairs down to 80 px a side: at 120 three pairs of AlexNet's ran past a 1440x900 panel)
    const side = fitSide(depth, dx ? 2 * ratio : ratio, room, { min: dx ? 80 : 120, max: 420, bar: 34, lines: dx ? 2 : 1 });
    view = new Viewport(hp, wp, side, viewHeight(side * ratio));
    container.append(zoomBar(view, "input"));
  }
  // numbers need 18 px cells on screen: below that a slice shrinks to the panel's width
  // instead. A DOM grid's cells grow with large type, so they are fitted to the room before
  // they grow, and 18 px is fewer px before.
  const cells = canvas ? room : gridRoom(container);
  // in large type what a hall reads (the panel scrolls for the slices that do not fit)
  const least = canvas ? numbersCell(true) : Math.max(numbersCell(), projectedCell());
  const noteText = count === 1 ? "The slice is larger than the panel: scroll it for the rest."
    : `${counted(depth, "depth slice")}${dx ? ` and ${depth === 1 ? "its gradient" : "their gradients"}` : ""}, the field outlined on each: scroll this panel for the rest.`;
  let cell = fitCell(depth, pairRows, wp, cells, { min: least - 1, max: 40, ...captions });
  if (cell < least) {
    // A canvas's slices all fit or all shrink (it zooms). DOM grids that cannot all fit keep
    // their numbers readable, and the panel scrolls under the note saying so: its line is
    // room the grids do not have.
    if (!canvas) {
      note.textContent = noteText;
      note.hidden = false;
      const spare = { ...cells, height: cells.height - outerHeight(note) / typeScale() };
      cell = wholeSlicesCell(depth, pairRows, wp, spare, { least, max: 40, ...captions });
      // a phone's column, one slice to a row and scrolled anyway: each slice takes the
      // column's width (NumPy's example drew 18 px cells, under a finger's 24, in 210 of 361 px)
      const oneAcross = 2 * (wp * (cell + 1) + 1) + GAP > spare.width;
      if (oneAcross && !onOneScreen(container)) cell = Math.max(cell, widthCell(wp, spare, 40));
    } else {
      cell = widthCell(wp, cells, least);
    }
  }
  const grids = [];
  const gradients = [];
  const figures = [];
  const columns = [];
  for (let d = 0; d < depth; d += 1) {
    const column = dx ? el("div", "map-pair") : container;
    if (dx) container.append(column);
    columns.push(column);
    const figure = sliceFigure(column, `${padded ? "Xp" : "X"}[:, :, ${d}]`);
    const options = {
      rows: hp, cols: wp, cell, label: `Input depth slice ${d}`, view,
      onCell: (type, r, c) => onCell(type, r, c, d),
    };
    const grid = canvas ? createZoomGrid(figure, options) : createGrid(figure, options);
    grid.draw((r, c) => xp.at(r, c, d), {
      maxAbs, isPad, isStruck: isUnread,
      title: (r, c) => inputCellText(model, r, c, d),
    });
    grids.push(grid);
    figures.push(figure);
  }
  // the cells set by hand, marked on their slices (padded coordinates, as the grids are)
  grids.forEach((grid, d) => grid.setMarks("edited",
    model.edited.input(d).map(([r, c]) => [r + pads.top, c + pads.left])));
  for (let d = 0; dx && d < depth; d += 1) {
    const figure = sliceFigure(columns[d], `dX[:, :, ${d}]`);
    figure.classList.add("gradient");
    const grid = (canvas ? createZoomGrid : createGrid)(figure, {
      rows: hp, cols: wp, cell, label: `Input gradient depth slice ${d}`, view,
      onCell: (type, r, c) => onCell(type, r, c, d),
    });
    // the padding's cells blank: a gradient reaches them, but no input holds it (a 0 there
    // read as the gradient's value)
    grid.draw((r, c) => (isPad(r, c) ? null : dx.at(r - pads.top, c - pads.left, d)), {
      maxAbs: model.dxMaxAbs, isPad, isStruck: isUnread,
      title: (r, c) => inputGradientText(model, r, c, d),
    });
    gradients.push(grid);
  }
  const scrolls = container.scrollHeight > container.clientHeight + 4;
  note.textContent = noteText;
  note.hidden = !scrolls;
  let shownChannel = -1;
  let followedField = "";
  return {
    viewport: view, // null for DOM grids, which show every cell
    update(focus, follow = false, still = true) {
      const taps = focus.step ? focus.step.taps : null;
      if (view && follow && taps && taps.length) {
        const [r0, c0] = taps[0];
        const [r1, c1] = taps[taps.length - 1];
        view.follow(r0, c0, r1, c1);
      }
      const field = focus.step?.rows.length && focus.step.cols.length ? focus.step : null;
      grids.forEach((grid, d) => {
        // a canvas says the field and the pinned cell, its value too (not while playing: a
        // label changing at every step is noise)
        if (canvas && still) {
          grid.describe(focus.inputCell ? `${focus.hovered ? "" : "pinned "}cell ${inputCellSaid(model, ...focus.inputCell, d)}`
            : field ? fieldSaid(field.rows, field.cols) : "");
        }
        grid.setField(taps);
        grid.setMarks("pinned", focus.inputCell ? [focus.inputCell] : []);
        const pair = focus.pair && focus.pair.channel === d ? [focus.pair.input] : [];
        grid.setMarks("pair", pair);
      });
      gradients.forEach((grid, d) => {
        if (canvas && still) {
          grid.describe(focus.inputCell ? inputGradientText(model, ...focus.inputCell, d)
            : field ? fieldSaid(field.rows, field.cols) : "");
        }
        grid.setField(taps);
        grid.setMarks("pinned", focus.inputCell ? [focus.inputCell] : []);
      });
      // a hovered product's depth slice comes into the panel's view
      const channel = focus.pair ? focus.pair.channel : -1;
      if (channel !== shownChannel && channel >= 0) keepInView(container, figures[channel]);
      shownChannel = channel;
      // a field that moved out of a tall input's view is brought back into it, on the slice
      // most in view (the output and the filters keep their current map and filter in view;
      // a 40-row input's field stepped below the panel's edge): once per new field, so a
      // reader scrolling the panel is not pulled back
      const fieldKey = taps && taps.length ? `${taps[0]}:${taps.at(-1)}` : "";
      if (!view && follow && channel < 0 && fieldKey && fieldKey !== followedField) {
        keepInView(container, mostInView(container, grids)?.fieldBox());
      }
      followedField = fieldKey;
    },
    box: (r, c, d) => grids[d]?.box(r, c) ?? null,
    boxes: (cells, d) => grids[d]?.boxes(cells) ?? cells.map(() => null),
  };
}

/** Of DOM `grids`, the one showing the most of its height in `scroller`'s view. */
function mostInView(scroller, grids) {
  const { top, bottom } = scroller.getBoundingClientRect();
  let best = null;
  let most = 0;
  for (const grid of grids) {
    const rect = grid.el.getBoundingClientRect();
    const shown = Math.min(rect.bottom, bottom) - Math.max(rect.top, top);
    if (shown > most) [best, most] = [grid, shown];
  }
  return best;
}

/** A node's height with its vertical margins (px). */
function outerHeight(node) {
  const style = getComputedStyle(node);
  return node.offsetHeight + parseFloat(style.marginTop) + parseFloat(style.marginBottom);
}
