// The "Real images" panel: a sample image or an upload, a filter bank (editable), and every
// filter's activation map before/after ReLU from /api/forward. Clicking a map turns the page's
// layer into image + bank and moves the playhead to that filter's first step.
//
// The page's one state object still owns the layer: image layers are registered as presets
// named "img.<sample>.<bank>", so the URL keeps the sample's and bank's names, and edited
// weights ride in the URL's `edits` like any other hand edit. An uploaded image cannot live in
// a URL; its preset is "img.upload.<bank>" and a link to it reopens with a sample instead.
import { api, ApiError, tensor } from "./api.js";
import { $on, qs } from "./dom.js";
import { stateFromPreset } from "./state.js";
import { drawImage, renderGallery } from "./render/gallery.js";

const PREFIX = "img.";
const UPLOAD = "upload";
const FALLBACK_SAMPLE = "vertical-edge";

const panel = {
  app: null, commit: null,
  samples: [], banks: [],
  image: null, // {source: sample name or "upload", label, input: {shape, values}}
  bank: null, // the chosen bank's API answer
  weights: null, // {values, bias}: the bank's numbers as edited in the text box
  seq: 0,
};

const show = (text) => {
  qs("#image-message").textContent = text;
};

const bankByName = (name) => panel.banks.find((b) => b.name === name) ?? null;

/** The preset name of an image layer, and back. */
export function presetName(source, bank) {
  return `${PREFIX}${source}.${bank}`;
}

export function parsePresetName(name) {
  if (!String(name).startsWith(PREFIX)) return null;
  const rest = name.slice(PREFIX.length);
  const dot = rest.indexOf(".");
  if (dot < 0) return null;
  return { source: rest.slice(0, dot), bank: rest.slice(dot + 1) };
}

/** The layer spec of image + bank (the API's shapes, dropped in unchanged). */
function layerOf(image, bank, weights, activation) {
  return {
    input: { shape: image.input.shape, values: image.input.values },
    filters: { count: bank.count, size: bank.size, values: weights.values, bias: weights.bias },
    stride: 1, padding: 0, dilation: 1, fit: "error", connectivity: "shared", activation,
  };
}

/** Register (or replace) the preset for image + bank with the bank's own numbers. */
function register(image, bank) {
  const name = presetName(image.source, bank.name);
  const preset = {
    name,
    title: `Image: ${image.label} × ${bank.title}`,
    description: `${image.label} through the ${bank.title} bank: ${bank.explanation}`,
    choices: "stride 1, no padding, ReLU",
    default_step: 0,
    layer: layerOf(image, bank, { values: bank.values, bias: bank.bias }, "relu"),
  };
  const presets = panel.app.presets;
  const at = presets.findIndex((p) => p.name === name);
  if (at >= 0) presets[at] = preset;
  else presets.push(preset);
  const select = qs("#preset");
  if (select && !Array.from(select.options).some((o) => o.value === name)) {
    const option = document.createElement("option");
    option.value = name;
    option.textContent = preset.title;
    select.append(option);
  }
  return preset;
}

/** The edits ("W0.1.2.0=-3;b1=0.5") that turn the bank's numbers into the edited ones. */
function editsFrom(bank, weights) {
  const parts = [];
  const [k, f] = [bank.count, bank.size];
  for (let d = 0; d < k; d += 1) {
    for (let r = 0; r < f; r += 1) {
      for (let c = 0; c < f; c += 1) {
        for (let ch = 0; ch < 3; ch += 1) {
          const v = weights.values[d][r][c][ch];
          if (v !== bank.values[d][r][c][ch]) parts.push(`W${d}.${r}.${c}.${ch}=${v}`);
        }
      }
    }
    if (weights.bias[d] !== bank.bias[d]) parts.push(`b${d}=${weights.bias[d]}`);
  }
  return parts.join(";");
}

async function loadSample(name) {
  const answer = await api.image(name);
  const label = panel.samples.find((s) => s.name === name)?.name ?? name;
  return { source: name, label, input: answer.input };
}

async function chooseBank(name) {
  const bank = bankByName(name);
  if (!bank) return;
  panel.bank = bank;
  panel.weights = { values: bank.values, bias: bank.bias };
  qs("#bank-explain").textContent = bank.explanation;
  qs("#bank-weights").value = JSON.stringify(panel.weights);
  qs("#bank-shape").textContent = `${bank.count} x ${bank.size}x${bank.size}x3`;
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

/** Recompute and draw every map for the current image and weights. */
async function refresh() {
  if (!panel.image || !panel.bank) return;
  const seq = ++panel.seq;
  const { image, bank, weights } = panel;
  qs("#images-panel").setAttribute("aria-busy", "true");
  drawImage(qs("#image-preview"), tensor(image.input.values));
  const [h, w] = image.input.shape;
  qs("#image-shape").textContent = `${h}x${w}x3`;
  try {
    const forward = await api.forward(layerOf(image, bank, weights, "relu"));
    if (seq !== panel.seq) return;
    const pre = tensor(forward.output_pre);
    const post = tensor(forward.output);
    renderGallery(qs("#image-gallery"), { pre, post, names: bank.names, explanations: bank.explanations }, pick);
  } catch (error) {
    if (seq === panel.seq) show(error.message);
  } finally {
    if (seq === panel.seq) qs("#images-panel").setAttribute("aria-busy", "false");
  }
}

/** Step through filter d: the page's layer becomes image + bank, at d's first step. */
function pick(d) {
  const { image, bank, weights } = panel;
  const preset = register(image, bank);
  const state = stateFromPreset(preset);
  const [h, w] = image.input.shape;
  const f = bank.size;
  const first = d * (h - f + 1) * (w - f + 1); // depth_slice order: filter d's first neuron
  const keep = { mode: panel.app.state.mode, speed: panel.app.state.speed, loop: panel.app.state.loop };
  panel.commit({ ...state, ...keep, order: "depth_slice", t: first, pin: "", edits: editsFrom(bank, weights) });
  qs("#input-panel")?.scrollIntoView({ block: "start" });
}

async function onUpload(file) {
  show("");
  if (!file) return;
  try {
    const answer = await api.upload(file);
    const [h0, w0] = answer.original_shape;
    const [h, w] = answer.shape;
    panel.image = { source: UPLOAD, label: `your upload (${file.name})`, input: answer.input };
    show(h0 !== h || w0 !== w ? `Your ${w0}x${h0} ${answer.format} was resized to ${w}x${h}.` : "");
    await refresh();
  } catch (error) {
    show(error instanceof ApiError ? `Refused: ${error.message}` : String(error));
  }
}

function bind() {
  $on(qs("#image-sample"), "change", async (event) => {
    show("");
    qs("#image-upload").value = "";
    try {
      panel.image = await loadSample(event.target.value);
      await refresh();
    } catch (error) {
      show(error.message);
    }
  });
  $on(qs("#image-upload"), "change", (event) => onUpload(event.target.files[0]));
  $on(qs("#image-bank"), "change", async (event) => {
    show("");
    await chooseBank(event.target.value);
    await refresh();
  });
  $on(qs("#bank-apply"), "click", async () => {
    const parsed = parseWeights(qs("#bank-weights").value, panel.bank);
    if (parsed.error) return show(parsed.error);
    show("");
    panel.weights = parsed.weights;
    await refresh();
  });
  $on(qs("#bank-reset"), "click", async () => {
    await chooseBank(panel.bank.name);
    await refresh();
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
 * Mount the panel. `app` is the page's app object (its `presets` list and `state`), `commit`
 * its one way to change state. Call after the presets are fetched and before the first load:
 * a link to an image layer needs its preset registered first.
 */
export async function initImages({ app, commit }) {
  panel.app = app;
  panel.commit = commit;
  if (!qs("#images-panel")) return;
  const wanted = parsePresetName(new URLSearchParams(location.search).get("preset") ?? "");
  const ready = setup(wanted);
  // Only a link to an image layer has to wait; otherwise the panel fills in beside the page.
  if (wanted) await ready;
}

async function setup(wanted) {
  try {
    [panel.samples, panel.banks] = await Promise.all([api.images(), api.filterBanks()]);
  } catch (error) {
    show(error.message);
    return;
  }
  fill(qs("#image-sample"), panel.samples, (s) => `${s.name} (${s.width}x${s.height})`);
  fill(qs("#image-bank"), panel.banks, (b) => `${b.title} (${b.count} x ${b.size}x${b.size}x3)`);
  bind();
  // A link to an image layer: register its preset before the page loads the layer.
  let sampleName = FALLBACK_SAMPLE;
  let bankName = panel.banks[0]?.name;
  if (wanted && bankByName(wanted.bank)) {
    bankName = wanted.bank;
    if (panel.samples.some((s) => s.name === wanted.source)) sampleName = wanted.source;
  }
  qs("#image-sample").value = sampleName;
  qs("#image-bank").value = bankName;
  try {
    panel.image = await loadSample(sampleName);
    await chooseBank(bankName);
    if (wanted && bankByName(wanted.bank)) {
      // An upload cannot come back from a link: the same preset name, the sample's pixels.
      const image = wanted.source === UPLOAD ? { ...panel.image, source: UPLOAD } : panel.image;
      register(image, panel.bank);
      if (wanted.source === UPLOAD) show(`An uploaded image cannot be kept in a link: showing the sample "${sampleName}" instead.`);
    }
  } catch (error) {
    show(error.message);
    return;
  }
  refresh();
}
