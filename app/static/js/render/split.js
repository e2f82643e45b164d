// Backward, the filters and the weight gradient share the filters column (css/convscope.css).
// A fixed share left one or the other short: two fifths to the filters scrolled W1 out of
// their panel at 1280x800 while the weight gradient had room to spare, and in large type at
// 1280x720 three fifths left dW's grids under its text. So the split is set from what each
// needs: the weight gradient its groups at the numbers' least cell, the filters all K at
// theirs; what is left over is shared two to three. When both do not fit, the weight
// gradient gets its need and the filters as many whole filters as fit what is left, if the
// active one does (the others scroll, as they do in large type; the rest goes to the weight
// gradient). When not even that fits, but the active filter and the step's contribution
// both do, each gets its need and what is left over is shared in proportion to what each
// still lacks, each share cut down to whole filters or whole rows of the weight gradient's
// slices: in large type at 1280x720 with ReLU (a four-line step text) the two fifths cut the
// contribution's last row by 4 px and the running sum's first under it, and all that was
// left over went to the filters (a 1440x900 frame in large type showed W1 cut in half and
// none of the running sum, which 200 px more would have shown a row of; the weight
// gradient's share now gives it that row). When not even that fits, the filters get the
// active filter's need, whole (a 960x540 frame in large type cut its wrapped slices' second
// row by 20 px), and the weight gradient the rest, its text whole and its grids scrolling;
// failing that too, the stylesheet's two fifths.
import { filtersNeed } from "./filters.js";
import { IN_VIEW_GAP, onOneScreen } from "./fit.js";
import { qs } from "../dom.js";
import { typeScale } from "./colors.js";

/**
 * Set the filters column's split for `model` (the filters panel's height, as --filters-rows
 * on #volumes) from `dwLeast`, the px on screen the weight gradient's body needs (`all` its
 * groups, `first` the step's contribution alone: render/backward.js onLeast); no split (the
 * stylesheet's two to three) on a phone's column or for a bank of filters on a canvas.
 */
export function splitFiltersColumn(model, dwLeast) {
  const volumes = qs("#volumes");
  volumes.style.removeProperty("--filters-rows");
  const grids = qs("#filter-grids");
  if (!onOneScreen(grids)) return;
  const filters = qs("#filters-panel");
  const backward = qs("#backward-panel");
  const need = filtersNeed(model, grids.clientWidth);
  if (!need) return;
  // each panel's head, explanation and text: its height less its body's
  const fixed = (panel, body) => panel.offsetHeight - qs(body).clientHeight;
  const column = filters.offsetHeight + backward.offsetHeight;
  const fixedF = fixed(filters, "#filter-grids");
  const all = fixedF + need.all + SLACK;
  const one = fixedF + need.one + SLACK;
  const dwFixed = fixed(backward, "#backward-grids");
  // the weight gradient's panel at most `most` px tall that ends under a whole row of its
  // slices (render/backward.js onLeast), `least` when none is that short
  const dwWhole = (most, least) => Math.max(least, ...dwLeast.whole.map((h) => dwFixed + h + SLACK).filter((h) => h <= most));
  const dw = dwFixed + dwLeast.all + SLACK;
  const first = dwFixed + dwLeast.first + SLACK;
  const spare = column - all - dw;
  // the most whole filters a panel at most `most` px tall shows: a height between two
  // filters' ends showed the next one's top rows and cut its last (W1 at 1366x768 with ReLU,
  // 7 px), so the weight gradient, which fits its cells to its room, takes the rest. Filters
  // that scroll are scrolled to with a gap above them (fit.js keepInView), kept too
  const whole = (most) => {
    const tall = (count) => fixedF + need.tall(count) + SLACK + IN_VIEW_GAP;
    let count = Math.max(1, need.count - 1);
    while (count > 1 && tall(count) > most) count -= 1;
    return Math.min(tall(count), most);
  };
  let height;
  if (spare >= 0) height = all + (spare * 2) / 5;
  // in large type the active filter is fitted alone, as big as its room lets it, the others
  // scrolled to (render/filters.js domCell): the room over the active filter's need and the
  // weight gradient's is shared two to three, as spare room is (cut to whole filters at the
  // least cell, with a ReLU's longer step text in large type at 1440x900 the demo's weights
  // fell from 25 px to 18 px, while the weight gradient's grids left 60 px unused)
  else if (column - dw >= one) {
    height = typeScale() > 1 ? one + ((column - dw - one) * 2) / 5 : whole(column - dw);
  }
  else if (column - first >= one) {
    // the px over both leasts, in proportion to what each lacks of its whole need
    const left = column - first - one;
    const lacks = { filters: all - one, dw: dw - first };
    const share = first + (left * lacks.dw) / (lacks.filters + lacks.dw);
    // what the filters' whole ones leave goes to the weight gradient, which ends its body
    // under its last whole row (render/backward.js endOnWholeRow)
    height = whole(column - dwWhole(share, first));
  }
  else if (column - dwFixed - SLACK >= one + IN_VIEW_GAP) height = one + IN_VIEW_GAP;
  else return;
  volumes.style.setProperty("--filters-rows", `${Math.floor(height)}px`);
}

// px kept over each need: the rows' and the cells' fractions of a pixel
const SLACK = 2;
