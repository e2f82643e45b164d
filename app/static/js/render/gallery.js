// The image panel's drawings: the picture itself, and each filter's activation map before and
// after ReLU with the fraction of zeros ReLU leaves. Pure drawing: every number comes from
// /api/forward (output_pre and output); nothing here changes state.
//
// One canvas pixel per neuron (scaled up in CSS, pixelated), coloured on the page's diverging
// scale; a filter's two maps share one scale, the largest |value| of its map before ReLU, so
// "after" is "before" with the negative half turned white. A layer without ReLU has one map
// per filter, its output.
import { clear, el, fmt, thousands } from "../dom.js";
import { rgb } from "./colors.js";

const DISPLAY_SIDE = 176; // CSS px of a map's longer side

/** Draw an (H, W, 3) Tensor of pixel values (unit scale 0..1) on `canvas` as the picture. */
export function drawImage(canvas, image) {
  const [h, w] = image.shape;
  drawPixels(canvas, h, w, (n) => [0, 1, 2].map((ch) => Math.round(image.data[n * 3 + ch] * 255)));
}

/** The largest |value| of map `d` in an (H2, W2, K) Tensor (0 when all are zero). */
function mapMaxAbs(volume, d) {
  const [h2, w2, k] = volume.shape;
  let best = 0;
  for (let n = 0; n < h2 * w2; n += 1) best = Math.max(best, Math.abs(volume.data[n * k + d]));
  return best;
}

/** How many neurons of map `d` are exactly zero. */
function zerosOf(volume, d) {
  const [h2, w2, k] = volume.shape;
  let zeros = 0;
  for (let n = 0; n < h2 * w2; n += 1) if (volume.data[n * k + d] === 0) zeros += 1;
  return zeros;
}

/**
 * Fill `container` with one figure per filter: name, explanation, the map before ReLU and
 * after, and the fraction of zeros after. `pre` and `post` are (H2, W2, K) Tensors (`pre`
 * null when the layer has no activation: one map, the output);
 * `onPick(d)` is called when a person clicks a map (or its button) to step through filter d.
 */
export function renderGallery(container, { pre, post, names, explanations }, onPick) {
  clear(container);
  const [h2, w2, k] = post.shape;
  for (let d = 0; d < k; d += 1) {
    const name = names[d] ?? `filter ${d}`;
    const figure = el("figure", "gallery-item");
    figure.dataset.filter = String(d);
    figure.append(el("figcaption", "gallery-name", `${d}: ${name}`));
    if (explanations[d]) figure.append(el("p", "gallery-explain", explanations[d]));
    const maxAbs = mapMaxAbs(pre ?? post, d);
    const maps = el("div", "gallery-maps");
    const shown = pre ? [["before ReLU", pre], ["after ReLU", post]] : [["output", post]];
    for (const [label, volume] of shown) {
      const box = el("div", "gallery-map");
      const canvas = el("canvas", "map");
      canvas.setAttribute("role", "img");
      canvas.setAttribute("aria-label", `${name} activation map ${label}`);
      canvas.dataset.maxAbs = String(maxAbs);
      canvas.title = `${name}, ${label}: click to step through this filter`;
      drawMap(canvas, volume, d, maxAbs || 1);
      canvas.addEventListener("click", () => onPick(d));
      box.append(canvas, el("span", "gallery-label", label));
      maps.append(box);
    }
    figure.append(maps);
    const zeros = zerosOf(post, d);
    const fraction = zeros / (h2 * w2);
    const stats = el("p", "gallery-zeros", `zeros${pre ? " after ReLU" : ""}: ${(fraction * 100).toFixed(1)}% (${thousands(zeros)} of ${thousands(h2 * w2)}); ${maxAbs ? `scale ±${fmt(maxAbs)}` : "every value 0"}`);
    stats.dataset.zeros = String(zeros);
    figure.append(stats);
    const button = el("button", "gallery-step", `Step through ${name}`);
    button.type = "button";
    button.addEventListener("click", () => onPick(d));
    figure.append(button);
    container.append(figure);
  }
}

function drawMap(canvas, volume, d, maxAbs) {
  const [h2, w2, k] = volume.shape;
  drawPixels(canvas, h2, w2, (n) => rgb(volume.data[n * k + d], maxAbs));
}

/** One canvas pixel per cell of an h x w grid: `colourOf(n)` is [r, g, b] of cell n (row-major). */
function drawPixels(canvas, h, w, colourOf) {
  canvas.width = w;
  canvas.height = h;
  size(canvas, h, w);
  const context = canvas.getContext("2d");
  const pixels = context.createImageData(w, h);
  for (let n = 0; n < h * w; n += 1) {
    const [r, g, b] = colourOf(n);
    pixels.data.set([r, g, b, 255], n * 4);
  }
  context.putImageData(pixels, 0, 0);
}

function size(canvas, h, w) {
  // Whole multiples of the pixel size keep every neuron the same size on screen.
  const scale = Math.max(1, Math.floor(DISPLAY_SIDE / Math.max(h, w)));
  canvas.style.width = `${w * scale}px`;
  canvas.style.height = `${h * scale}px`;
}
