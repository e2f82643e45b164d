// The "Real images" panel: a sample image (or an upload) as the layer's input, a filter bank as
// its filters, and each filter's activation map before and after ReLU.
//
// The image and the bank are the page state's `image` and `bank` keys, so they live in the
// URL like every other control and the server resolves them by name (`input.image`,
// `filters.bank`). The maps are drawn from the page's own forward answer, and every size comes
// from the API (the image endpoint's shape, the bank's count, size and values, the forward's
// output): nothing here works a size out, and a filter's first step is numbered as focus.js
// numbers every step. An upload cannot go in a URL: its pixels stay in this tab
// (and are sent with each request), and the panel says so. The state's `upload` names which of
// the tab's uploads it shows, and each history entry keeps its own (history.js), so Back
// after a second upload shows the first again.
import { api, ApiError } from "./api.js";
import { overBudgetLead, whyButton } from "./controls.js";
import { $on, clear, el, qs, shortened } from "./dom.js";
import { stepOf } from "./focus.js";
import { crop } from "./model.js";
import { formatEdits, parseEdits } from "./spec.js";
import { drawImage, renderGallery } from "./render/gallery.js";

const UPLOAD = "upload";
const FALLBACK_SAMPLE = "vertical-edge";
// What choosing an image makes of the rest of the layer: every filter visits every pixel
// once, without padding, and ReLU shows what each map keeps.
export const IMAGE_LAYER = Object.freeze({
  sh: 1, sw: 1, dh: 1, dw: 1, pt: 0, pb: 0, pl: 0, pr: 0, fit: "error", conn: "shared", act: "relu",
});
// The uploads a tab holds for its history entries, the latest first kept.
const MOST_UPLOADS = 8;
const UPLOAD_NOTE = "Your upload stays in this tab: the server does not keep it and a link cannot carry it (a link to this view reopens with a sample image).";

const panel = {
  app: null, commit: null,
  samples: [], banks: [],
  uploads: new Map(), // the tab's uploaded images by number: {label, input: {shape, values}}
  latest: 0, // the number of the last one (0: none yet)
  ready: null, // the sample and bank lists' fetch
};

const show = (text) => {
  qs("#image-message").textContent = text;
};
const busy = (on) => qs("#images-panel")?.setAttribute("aria-busy", on ? "true" : "false");
const bankByName = (name) => panel.banks.find((b) => b.name === name) ?? null;
// A new input keeps the filters' edits, a new bank the input's: the others named the old cells.
const keepFilterEdits = (text) => formatEdits(parseEdits(text).filter((e) => e.target !== "X"));
const keepInputEdits = (text) => formatEdits(parseEdits(text).filter((e) => e.target === "X"));

/** The upload `state` shows (its `upload`), as a spec's input ({shape, values}), or null when
 * the tab does not hold it. */
export function uploadedInput(state) {
  return panel.uploads.get(state?.upload)?.input ?? null;
}

/** Whether `state`'s input is one of the tab's uploads. */
export const showsUpload = (state) => state.image === UPLOAD;

/** Whether `state` shows an upload the tab does not hold (the page reloaded since, or one too
 * many were made since): a history entry's, which then opens as a link to an upload does. */
export const lostUpload = (state) => showsUpload(state) && !uploadedInput(state);

/** State sizes of sample `name`, from the image endpoint's answer (its shape after resizing). */
async function imageSizes(name) {
  const [h, w, d] = (await api.image(name)).shape;
  return { h, w, d };
}

/** State sizes of bank `name`, from the bank endpoint's answer. */
/** Whether the server lists filter bank `name` (any name while the list is not to be had). */
export const knownBank = (name) => !panel.banks.length || Boolean(bankByName(name));

/** What a link naming filter bank `name`, which the server does not list, is told. */
export const unknownBankNote = (name) =>
  `The link's filter bank "${shortened(name)}" is unknown here; the layer's own filters are shown.`;

function bankSizes(name) {
  const bank = bankByName(name);
  if (!bank) return null;
  return { k: bank.count, fh: bank.size, fw: bank.size, d: bank.values[0][0][0].length, conn: "shared" };
}

/** The state changes for choosing sample `name` ("" lets go of the image). */
async function imageChanges(name, state) {
  if (!name) return { image: "" };
  const upload = name === UPLOAD ? { upload: panel.latest } : {};
  const sizes = name === UPLOAD ? uploadSizes(panel.latest) : await imageSizes(name);
  return { image: name, ...upload, ...sizes, ...IMAGE_LAYER, edits: keepFilterEdits(state.edits), t: 0, pin: "" };
}

/** State sizes of the tab's upload, from the upload endpoint's answer. */
function uploadSizes(number) {
  const [h, w, d] = panel.uploads.get(number).input.shape;
  return { h, w, d };
}

/** The state changes for choosing bank `name` ("" lets go of the bank). */
function bankChanges(name, state) {
  if (!name) return { bank: "" };
  return { bank: name, ...bankSizes(name), act: "relu", edits: keepInputEdits(state.edits), t: 0, pin: "" };
}

/**
 * A state opened from a link, with the sizes its image and bank really have (from the API).
 * An upload is not in a new tab: the sample takes its place, and the panel says so; a name the
 * server does not know is dropped, and the panel says that too.
 */
export async function stateOfLink(state, notes = [], given = {}) {
  await panel.ready;
  let next = { ...state };
  const tell = (text) => {
    show(text);
    notes.push(text); // said at the top too (the panel is below the fold, and not embedded)
  };
  // the link's own sizes that the image or the bank replaces (`given`: the keys it named)
  const unused = [];
  const sets = (sizes, what) => {
    const said = new Set(unused.flatMap(([keys]) => keys)); // d: the image's and the bank's
    const keys = Object.keys(sizes).filter((key) => key in given && given[key] !== sizes[key] && !said.has(key));
    if (keys.length) unused.push([keys, sizes, what]);
    return sizes;
  };
  // the link's sizes were its upload's: the sample's replace them without a word of their own
  const lost = lostUpload(next);
  if (lost) {
    tell(`An uploaded image cannot be kept in a link: showing the sample "${FALLBACK_SAMPLE}" instead.`);
    next.image = FALLBACK_SAMPLE;
  }
  if (next.image && next.image !== UPLOAD) {
    try {
      if (!knownImage(next.image)) throw new Error("no such sample");
      const sizes = await imageSizes(next.image);
      next = { ...next, ...(lost ? sizes : sets(sizes, `the image "${next.image}"`)) };
    } catch {
      tell(unknownImageNote(next.image));
      next.image = "";
    }
  }
  if (next.bank) {
    const sizes = bankSizes(next.bank);
    if (sizes) next = { ...next, ...sets(sizes, `the bank "${next.bank}"`) };
    else {
      tell(unknownBankNote(next.bank));
      next.bank = "";
    }
  }
  for (const [keys, sizes, what] of unused) {
    const said = (values) => keys.map((key) => `${key}=${values[key]}`).join(", ");
    tell(`The link's ${said(given)} ${keys.length > 1 ? "are" : "is"} not used: ${what} sets ${said(sizes)}.`);
  }
  return next;
}

/**
 * Whether sample `name` is one the server lists (the upload too), once the lists are in: a link
 * naming another is not asked for (a 404 in the console) nor given the image layer's settings.
 */
export function knownImage(name) {
  return name === UPLOAD || !panel.samples.length || panel.samples.some((s) => s.name === name);
}

/** What a link naming sample `name`, which the server does not list, is told. */
export const unknownImageNote = (name) =>
  `The link's image "${shortened(name)}" is unknown here: the layer's own numbers are shown.`;

/** The sample and bank lists, fetched (what `knownImage` and `stateOfLink` read). */
export const imagesReady = () => panel.ready;

/** The bank's own numbers with the state's filter edits on top, for the text box. */
function bankText(bank, edits) {
  const values = structuredClone(bank.values);
  const bias = [...bank.bias];
  for (const e of parseEdits(edits)) {
    if (e.target === "W" && e.index.length === 4) {
      const [d, r, c, ch] = e.index;
      if (values[d]?.[r]?.[c]?.[ch] !== undefined) values[d][r][c][ch] = e.value;
    } else if (e.target === "b" && e.index.length === 1 && e.index[0] < bias.length) bias[e.index[0]] = e.value;
  }
  return JSON.stringify({ values, bias });
}

/**
 * Draw the panel for the page's layer: `model` is its forward answer as tensors, `state` the
 * page state. Called once per layer load; the maps are the model's own numbers.
 */
export function showLayer(model, state) {
  if (!qs("#images-panel")) return;
  const bank = showChoices(state);
  if (state.image || state.bank) {
    const x = crop(model); // the input as the server holds it, edits included
    const preview = qs("#image-preview");
    preview.closest("figure").hidden = !state.image;
    if (state.image) drawImage(preview, x);
    qs("#image-shape").textContent = state.image ? x.shape.join("x") : "";
    const names = bank?.names ?? [];
    renderGallery(qs("#image-gallery"), { pre: model.pre, post: model.out, names, explanations: bank?.explanations ?? [] },
      (d) => pick(model, d));
  }
}

/**
 * The panel for a layer with no maps to draw, `why` (it does not fit, or the server refused
 * it): its choices as the state has them, and no picture or map of the layer shown before.
 */
export function showNoLayer(state, why) {
  if (!qs("#images-panel")) return;
  showChoices(state);
  if (!(state.image || state.bank)) return;
  qs("#image-preview").closest("figure").hidden = true;
  qs("#image-shape").textContent = "";
  const gallery = qs("#image-gallery");
  clear(gallery);
  gallery.append(el("p", "gallery-none", `No activation maps: ${why}.`));
}

/** The panel's choices, notes and bank box for `state`; its bank, or null. */
function showChoices(state) {
  const option = qs(`#image-sample option[value="${UPLOAD}"]`);
  const upload = panel.uploads.get(state.upload);
  if (option && upload && showsUpload(state)) option.textContent = upload.label; // Back's
  qs("#image-sample").value = state.image;
  qs("#image-bank").value = state.bank;
  const note = qs("#image-upload-note");
  note.dataset.general ??= note.textContent.replace(/\s+/g, " ").trim();
  // a status: written only when it changes (written again, it was read again at every layer)
  const said = showsUpload(state) ? UPLOAD_NOTE : note.dataset.general;
  if (note.textContent.replace(/\s+/g, " ").trim() !== said) note.textContent = said;
  note.classList.toggle("active", showsUpload(state));
  const bank = bankByName(state.bank);
  qs("#bank-explain").textContent = bank ? bank.explanation : "";
  qs("#bank-edit").hidden = !bank;
  if (bank) {
    qs("#bank-shape").textContent = `${bank.count} x ${bank.size}x${bank.size}x3`;
    qs("#bank-weights").value = bankText(bank, state.edits);
  }
  const shown = Boolean(state.image || state.bank);
  qs("#images-body").hidden = !shown;
  qs("#images-hint").hidden = shown;
  return bank;
}

/** The page's layer load is over, drawn or not (a misfit, a refusal): the panel is no longer
 * busy with it, once its own controls are bound (a layer drawn before the sample and bank
 * lists came said the panel was ready, and a file chosen then was never read). */
export function layerSettled() {
  panel.ready?.then(() => busy(false));
}

/** Step through filter d: its first neuron in depth-slice order, counted on the API's output shape. */
function pick(model, d) {
  panel.commit({ order: "depth_slice", t: stepOf(model.outShape, "depth_slice", 0, 0, d), pin: "" });
  // to the transport, the panels below it: the step's label and Play stay in sight (scrolled
  // to the panels, the student saw neither which step it was nor how to play it)
  qs("#transport")?.scrollIntoView({ block: "start" });
  // and the keyboard with them: the gallery (its button included) is drawn again
  qs("#t-play")?.focus({ preventScroll: true });
}

/** Parse the text box: {values: (K, F, F, 3), bias: (K,)} of finite numbers, same shape as the bank. */
function parseWeights(text, bank) {
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { error: `the weights are not valid JSON (${error.message})` };
  }
  const { count: k, size: f } = bank;
  const isNumber = (v) => typeof v === "number" && Number.isFinite(v);
  const okShape = Array.isArray(parsed?.values) && parsed.values.length === k
    && parsed.values.every((w) => Array.isArray(w) && w.length === f && w.every((row) => Array.isArray(row)
      && row.length === f && row.every((cell) => Array.isArray(cell) && cell.length === 3 && cell.every(isNumber))));
  if (!okShape) return { error: `"values" must be ${k} filters of ${f}x${f}x3 numbers (K, F, F, 3)` };
  if (!Array.isArray(parsed.bias) || parsed.bias.length !== k || !parsed.bias.every(isNumber)) {
    return { error: `"bias" must be ${k} numbers` };
  }
  return { weights: { values: parsed.values, bias: parsed.bias } };
}

/** The edits ("W0.1.2.0=-3;b1=0.5") that turn the bank's numbers into the typed ones. */
function editsFrom(bank, weights) {
  const parts = [];
  weights.values.forEach((filter, d) => filter.forEach((row, r) => row.forEach((cell, c) => cell.forEach((v, ch) => {
    if (v !== bank.values[d][r][c][ch]) parts.push(`W${d}.${r}.${c}.${ch}=${v}`);
  }))));
  weights.bias.forEach((v, d) => {
    if (v !== bank.bias[d]) parts.push(`b${d}=${v}`);
  });
  return parts.join(";");
}

async function onUpload(file) {
  show("");
  if (!file) return;
  busy(true);
  try {
    const answer = await api.upload(file);
    const [h0, w0] = answer.original_shape;
    const [h, w] = answer.shape;
    panel.latest += 1;
    panel.uploads.set(panel.latest, { label: `your upload (${file.name})`, input: answer.input });
    for (const number of panel.uploads.keys()) {
      if (panel.uploads.size <= MOST_UPLOADS) break;
      panel.uploads.delete(number); // the oldest: Back that far reopens with a sample, and says so
    }
    let option = qs(`#image-sample option[value="${UPLOAD}"]`);
    if (!option) {
      option = document.createElement("option");
      option.value = UPLOAD;
      qs("#image-sample").append(option);
    }
    option.textContent = panel.uploads.get(panel.latest).label;
    show(h0 !== h || w0 !== w ? `Your ${answer.format} of ${h0}x${w0} (H x W) was resized to ${h}x${w}.` : "");
    panel.commit(await imageChanges(UPLOAD, panel.app.state));
  } catch (error) {
    busy(false);
    showRefusal(error);
  }
}

/** Why an upload was refused: over this server's limits in a few words ("Too big for this
 * server: 1.2 times the pixels it reads from one image."), the server's sentence behind
 * "Why?"; any other refusal in the server's words. */
function showRefusal(error) {
  if (!(error instanceof ApiError)) return show(String(error));
  const lead = error.detail.map(overBudgetLead).find((said) => said !== null) ?? null;
  if (lead === null) return show(`Refused: ${error.message}`);
  show(lead);
  qs("#image-message").append(" ", ...whyButton(error.message));
}

function bind() {
  const choose = async (changesOf) => {
    show("");
    busy(true);
    try {
      panel.commit(await changesOf(panel.app.state));
    } catch (error) {
      busy(false);
      show(error.message);
    }
  };
  $on(qs("#image-sample"), "change", (event) => {
    qs("#image-upload").value = "";
    return choose((state) => imageChanges(event.target.value, state));
  });
  $on(qs("#image-upload"), "change", (event) => onUpload(event.target.files[0]));
  $on(qs("#image-bank"), "change", (event) => choose((state) => bankChanges(event.target.value, state)));
  $on(qs("#bank-apply"), "click", () => {
    const bank = bankByName(panel.app.state.bank);
    const parsed = parseWeights(qs("#bank-weights").value, bank);
    qs("#bank-weights").setAttribute("aria-invalid", parsed.error ? "true" : "false");
    if (parsed.error) return show(parsed.error);
    show("");
    const typed = editsFrom(bank, parsed.weights);
    panel.commit({ edits: [keepInputEdits(panel.app.state.edits), typed].filter(Boolean).join(";") });
  });
  $on(qs("#bank-reset"), "click", () => {
    // the box and its message too: with no weight edit to drop nothing is drawn again, and a
    // refused text stayed in the box under its error
    const bank = bankByName(panel.app.state.bank);
    const edits = keepInputEdits(panel.app.state.edits);
    if (bank) qs("#bank-weights").value = bankText(bank, edits);
    qs("#bank-weights").setAttribute("aria-invalid", "false");
    show("");
    panel.commit({ edits });
  });
}

function fill(select, items, label) {
  for (const item of items) {
    const option = document.createElement("option");
    option.value = item.name;
    option.textContent = label(item);
    select.append(option);
  }
}

/**
 * Mount the panel. `app` is the page's app object (its `state`), `commit` its one way to
 * change state. The sample and bank lists load beside the page; a link that names an image or
 * a bank waits for them in `stateOfLink`.
 */
export function initImages({ app, commit }) {
  panel.app = app;
  panel.commit = commit;
  panel.ready = qs("#images-panel") ? setup() : Promise.resolve();
}

async function setup() {
  try {
    [panel.samples, panel.banks] = await Promise.all([api.images(), api.filterBanks()]);
  } catch (error) {
    show(error.message);
    return;
  }
  // sizes H x W, as every panel says them (the list said 96x72 beside panels of 72x96x3)
  fill(qs("#image-sample"), panel.samples, (s) => `${s.name} (${s.height}x${s.width})`);
  fill(qs("#image-bank"), panel.banks, (b) => `${b.title} (${b.count} x ${b.size}x${b.size}x3)`);
  bind();
  if (panel.app.state) {
    qs("#image-sample").value = panel.app.state.image;
    qs("#image-bank").value = panel.app.state.bank;
  }
}
