// Wires the page: state <-> URL <-> controls, data from the API, views, player, keyboard.
// Render functions only draw; every state change goes through commit().
import { api, ApiError, filtersPassing, limitsPassed, tensor } from "./api.js";
import { bindControls, clearErrors, editedSlice, fieldOf, fillPresets, overBudget, overBudgetLead, showError, showState, startEdit, whyButton } from "./controls.js";
import { $on, announce, clear, counted, el, fmt, listed, qs, shortened, thousands } from "./dom.js";
import { bindExplanations } from "./explanations.js";
import { focusFor, pinFits, pinName, pinTarget, pinText, positionOf, stepOf } from "./focus.js";
import { dropPendingUrl, entryOf, writeUrl } from "./history.js";
import { createLinking } from "./linking.js";
import { createPinning } from "./pinning.js";
import { bindGoto } from "./goto.js";
import { applyZoom, watchZoom, zoomOfViews } from "./zoomlink.js";
import { buildModel, changedNeurons, gradientsOf } from "./model.js";
import { Player } from "./player.js";
import { cellName, editsOutside, formatEdits, layerSpec, parseCellName, parseEdits, unreadEdits } from "./spec.js";
import { changesForSuggestion, DEFAULTS, FIELD_KEYS, fieldOfKey, layerChanged, stateFromPreset, withChanges } from "./state.js";
import { StepCache } from "./steps.js";
import { IMAGE_LAYER, imagesReady, initImages, knownBank, knownImage, layerSettled, lostUpload, showLayer, showNoLayer, showsUpload, stateOfLink, unknownBankNote, unknownImageNote, uploadedInput } from "./images.js";
import { fromQuery, givenKeys, partialLink, presentationOf, refusedKeys, toQuery } from "./url.js";
import { createArithmeticView, hush } from "./render/arithmetic.js";
import { createModeSwitch } from "./modeswitch.js";
import { createBackwardView } from "./render/backward.js";
import { onRoomChange } from "./render/fit.js";
import { markOverflowing } from "./render/overflow.js";
import { splitFiltersColumn } from "./render/split.js";
import { maxAbsOf, renderLegend } from "./render/colors.js";
import { createFiltersView } from "./render/filters.js";
import { fitCounts, misfitSummary, renderGeometry, watchCounts } from "./render/geometry.js";
import { createInputView } from "./render/input.js";
import { drawMisfit } from "./render/misfit.js";
import { drawMisfitArithmetic, drawMisfitFilters, drawMisfitOutput } from "./render/misfit-panels.js";
import { createOutputView } from "./render/output.js";
import { createConnections } from "./render/connections.js";
import { createVolume3d } from "./render/volume3d.js";
import { bindTransport, onSuggestions, showTransport } from "./transport.js";
import { bindFold } from "./fold.js";
import { createFollow } from "./follow.js";
import { createEmbed } from "./embed.js";
import { createLook } from "./theme.js";

// The link keys of the layer's sizes (the strip's f arrives as fh and fw): a link giving any of
// them without a preset leaves the rest of the layer at the API's defaults.
const LINK_SIZES = ["h", "w", "d", "k", "fh", "fw"];

const app = { state: null, presets: [], spec: null, drawnKey: null, drawnSizes: null, model: null, misfit: null, unfit: null, views: null, builtHidden: new Set(), cache: null, wholeKept: null, hover: null, tap: null, weight: null, seq: 0, controller: null, dropped: "", linkNote: "", fixNote: "", linkStep: true, changed: [], formulaSeq: -1, edited: null };
// play/pause redraws: the products get their numbers back when the player stops; a screen
// reader hears that the steps ran out (it heard "Playing", and nothing of the steps since)
const player = new Player({
  tick,
  onChange: (playing, ended) => {
    render();
    if (ended && app.model) {
      announce(`Stopped at the last step, ${thousands(app.state.t + 1)} of ${thousands(app.model.total)}`);
    }
  },
});

/**
 * Views drawn beside the panels (connection lines, the 3-D volumes, an embedding parent):
 * each may have build(model, state), called when a layer is built, update(focus, state,
 * playback), called on every render with playback = { playing, fast }, clear(), called
 * when the layer does not fit (there is no model then), and layout(state), called first on
 * every render and answering the panel views ("input", "output") it is drawn in place of:
 * those are not updated while hidden, and are built again when they show if they were
 * built hidden (they size their cells to a room they could not measure). They only draw or
 * report; a change of state goes through commit().
 */
const overlays = [];
overlays.push(createEmbed({ app, player, commit }));
// before the lines: the page scrolls to the current neuron first, then they are drawn there
overlays.push(createFollow({ views: () => app.views, model: () => app.model }));
overlays.push(createModeSwitch({ commit, getState: () => app.state }));
const volume3d = createVolume3d({ commit, getState: () => app.state,
  onInputCell: (...cell) => onInputCell(...cell), onOutputCell: (...cell) => onOutputCell(...cell) });
overlays.push(createConnections({ views: () => app.views, commit, volumes: () => volume3d.anchors() }));
overlays.push(volume3d);

// the theme and type size: a change repaints the canvases from the data already here
// (two frames on: a type size change folds the transport (fold.js, on its resize observer,
// after this frame's layout), and views fitted before that measured the panels it left
// shorter: a page switched to large type drew smaller cells than one opened in it)
const look = createLook(qs("#view-tools"), { commit: (changes) => commit(changes), redraw: () => {
  requestAnimationFrame(() => requestAnimationFrame(() => {
    fitCounts();  // grown or not, with or without the multiply-adds: the row's room changed
    if (app.misfit) drawMisfitPanels();
    if (!app.model || !app.forward) return;
    build(app.model.spec, app.model.geometry, app.forward, app.grads);
    render();
  }));
} });

const presetOf = (state) => app.presets.find((p) => p.name === state.preset) ?? null;
const modified = (state) => {
  const preset = presetOf(state);
  return preset ? layerChanged(stateFromPreset(preset), state) : false;
};

/**
 * Where a misfit's message goes: beside the size the reader just changed when changing it
 * back could fix the layer (H made 6 marked S, the server's first field), else the server's.
 * One of H, W and D marks its own box (input.shape.0 for H).
 */
function misfitField(error, changed = []) {
  if (changed.includes("preset")) return error.field;
  for (const key of changed) {
    const field = fieldOfKey(key);
    if (!field || !error.fields?.includes(field)) continue;
    return field === "input.shape" ? `${field}.${FIELD_KEYS[field].indexOf(key)}` : field;
  }
  return error.field;
}

// Keys that only move the view: changing them needs no form update.
const VIEW_ONLY = new Set(["t", "pin", "theme", "large", "lines", "zoom", "cam"]);

/** Apply `changes`; push a history entry unless `how` is "replace" or "preview" (js/history.js).
 * `fixing`: the page's own mending of a link (a step past the end), not a reader's step. */
function commit(changes, how = "push", fixing = false) {
  const before = app.state;
  const next = withChanges(before, changes);
  app.state = next;
  // a frame's note of what its link left out goes at its first step: the course page's
  // author saw it as the frame opened, and in a slide's frame it takes the picture's room
  // (the page's own move to the last step, for a link's t past the end, is no step: the
  // note saying so, and every other, went with it)
  if (next.embed && next.t !== before.t && !fixing) qs("#embed-note").textContent = "";
  writeUrl(next, how);
  look.apply(next);
  if (!Object.keys(changes).every((key) => VIEW_ONLY.has(key))) {
    app.changed = Object.keys(changes);
    showState(next, app.presets, modified(next));
    player.setSpeed(next.speed);
  }
  if (needsReload(before, next)) reload();
  else render();
}

/** `changes`, and when they reorder the steps the playhead's step in the new order: the same
 * neuron stays in view (a setting that only reorders must not change the neuron studied). */
function sameNeuron(changes) {
  const model = app.model;
  if (!changes.order || changes.order === app.state.order || !model) return changes;
  const { i, j, d } = positionOf(model.outShape, app.state.order, app.state.t);
  return { ...changes, t: stepOf(model.outShape, changes.order, i, j, d) };
}

const needsReload = (a, b) => layerChanged(a, b) || a.order !== b.order || a.mode !== b.mode || a.preset !== b.preset
  || (showsUpload(b) && a.upload !== b.upload); // another of the tab's uploads

function tick(n = 1) {
  const model = app.model;
  if (!model) return false;
  if (app.state.t >= model.total - 1) {
    if (!app.state.loop) return false;
    commit({ t: 0 }, "replace");
    return true;
  }
  commit({ t: Math.min(model.total - 1, app.state.t + n) }, "replace");
  return true;
}

function onApiError(error) {
  if (error.name === "AbortError") return;
  // One refusal per layer: the forward and the first steps go out together and are refused
  // for the same reason; saying it twice beside the control helps nobody.
  if (app.refused === app.seq) return;
  app.refused = app.seq;
  if (dropBadEdits(error)) return;
  const list = error instanceof ApiError ? error.detail : [{ loc: [], msg: String(error) }];
  for (const detail of list) {
    const lead = overBudgetLead(detail);
    showError(fieldOf(detail.loc), lead ?? detail.msg, null, lead === null ? null : detail.msg);
  }
  qs("#app").classList.add("stale");
  // the formula and the counts faded only where they are the last layer's (refused before
  // the geometry came): this layer's were faded to 3:1 as if they were old
  qs("#app").classList.toggle("old-formula", app.formulaSeq !== app.seq);
  // the panels say nothing of a refusal: blank on a first visit, the last layer otherwise
  const note = qs("#refused-note");
  // only a layer over this server's limits is one a larger layer's server would compute
  const overLimits = limitsPassed(error) !== null;
  note.textContent = `${app.model ? "The picture is the last layer the server computed, faded:"
    : "Nothing to draw:"} the server would not compute this layer (why is in red above).`;
  if (overLimits) {
    // the count the server says passes, one press away: the reason's long sentence says it too
    const fewer = filtersPassing(error);
    if (fewer !== null) {
      // backward mode's count is its gradients' where theirs is the smaller: the red reason
      // says the forward's, so both are said
      const forward = error.detail.map((d) => d.ctx?.filters_pass).find(Number.isInteger);
      const gradients = fewer === error.filtersPass && forward !== undefined && forward !== fewer;
      const button = fewerFiltersButton(fewer, gradients);
      const counts = gradients ? ` (${thousands(forward)} for the forward alone, ${thousands(fewer)} with its gradients)` : "";
      note.append(` This server computes it with fewer filters${counts}: `, button, '. As it is, a server started with larger limits computes it (README, "Configuration").');
    } else {
      note.append(' This server computes a smaller layer, and a server started with larger limits computes this one as it is (README, "Configuration").');
    }
  }
  note.hidden = false;
  showTransport(app, player.playing); // no layer drawn yet: nothing to step through
}

/** "Draw it with N filters": the count of filters this server computes, one press away
 * (`gradients`: the count is the backward pass's, the smaller). */
function fewerFiltersButton(fewer, gradients) {
  const button = el("button", "refused-fix", `Draw it with ${counted(fewer, "filter")}`);
  button.type = "button";
  const asked = app.state.k;
  button.addEventListener("click", () => {
    // the note and its button go once the layer is drawn: the focus waits where the layer's
    // words will be (it fell to the body, where a screen reader says nothing), and the count
    // beside K says it is not the one asked for (the refusal went, and K changed without a
    // word on screen)
    app.fixNote = `Drawn with ${thousands(fewer)} of the ${thousands(asked)} filters asked for: the most this server computes${gradients ? ", gradients included" : ""}.`;
    qs("#arithmetic-panel").focus({ preventScroll: true });
    applySuggestion({ field: "filters.count", value: fewer });
  });
  return button;
}

/** What the page says of a link's preset the server does not list: one its limits leave
 * out (a server started with smaller limits lists fewer, and its page says which and why:
 * it was "not one of ours"), or no preset at all. */
function unlistedPresetNote(name) {
  const shown = shortened(name);
  const instead = "the default layer is shown with the link's other settings.";
  const leftOut = JSON.parse(document.body.dataset.presetsLeftOut || "{}");
  if (Object.hasOwn(leftOut, name)) return `The link's preset "${shown}" is over this server's limits (${leftOut[name]}): ${instead}`;
  return `The link's preset "${shown}" is not one of ours: ${instead}`;
}

async function reload() {
  // what the reload that asked for this one says of edits left out stays said if this one
  // leaves out more (a locally connected layer's are judged in two turns: before its
  // geometry and against it); "" when no edit was just left out
  app.droppedSaid = app.dropped;
  // a link's edit outside the layer's own sizes is left out before anything is sent (sent,
  // it came back a 422, a red line in the console); the state without it reloads
  if (dropEdits(editsOutside(app.state))) return;
  const seq = ++app.seq;
  app.controller?.abort();
  app.cache?.cancel();
  hush(); // the last layer's words not yet said: said now, they would be about a layer gone
  const controller = new AbortController();
  app.controller = controller;
  const state = app.state;
  // the link's own step is this first layer's to check, whatever comes of it (a misfit, a
  // refusal): a layer changed on the page later takes its last step without a word
  const linkStep = app.linkStep;
  app.linkStep = false;
  clearErrors();
  qs("#refused-note").hidden = true;
  if (app.dropped) showError("edit", app.dropped);
  if (app.linkNote) showError("link", app.linkNote);
  if (app.fixNote) showError("filters.count", app.fixNote, []); // marks no box: K is fine
  app.fixNote = "";
  app.dropped = "";
  app.linkNote = "";
  qs("#app").setAttribute("aria-busy", "true");
  try {
    const spec = layerSpec(state, presetOf(state), uploadedInput(state));
    app.spec = spec; // what the page asks the API for: the share tools' API call sends it too
    // The layer drawn already (only the mode or the step order changed, or a refused layer
    // was changed back): its geometry and forward are the API's answers for this very spec,
    // which they are functions of alone, so they are taken as they came, not asked again
    // (a large layer's forward answer is megabytes).
    const key = JSON.stringify(spec);
    const drawn = app.model && app.drawnKey === key ? { geometry: app.model.geometry, forward: app.forward } : null;
    // The geometry first: a layer that does not fit has no forward to ask for (asking anyway
    // put a refused request in the browser's console for every misfit), and the first steps
    // go out with the forward as soon as the geometry says how many there are.
    // A locally connected layer's weight and bias edits need the output size to be judged:
    // the geometry is asked without them (they change no size), and they are checked against
    // its answer before anything else is sent (sent, a bad one came back a 422).
    const judged = state.conn === "local" ? { ...spec, edits: spec.edits.filter((e) => e.array === "input") } : spec;
    let asked = judged;
    let geometry = drawn ? drawn.geometry : await api.geometry(judged, controller.signal);
    if (seq !== app.seq) return;
    // a misfit's weight and bias edits are checked on the axes it has (the page checked them
    // too), and its suggestions must see them (a smaller filter cuts a weight edit): asked
    // again with every edit, as the share tools send it
    if (!geometry.valid && asked.edits.length !== spec.edits.length) {
      asked = spec;
      geometry = await api.geometry(spec, controller.signal);
      if (seq !== app.seq) return;
    }
    if (geometry.valid && state.conn === "local" && dropEdits(editsOutside(state, geometry.output_shape))) return;
    showParameters(geometry, state.conn); // first: the counts row fits itself to what it shows
    app.sentEdits = asked.edits; // what a suggestion's "edits.<n>" counts in
    renderGeometry(withCellNames(geometry, asked.edits), applySuggestion, (suggestion) => changesForSuggestion(suggestion, state) !== null);
    // the formula and counts are this layer's: a refusal from now on leaves them unfaded
    app.formulaSeq = seq;
    qs("#app").classList.remove("old-formula");
    if (!geometry.valid) {
      showError(misfitField(geometry.error, app.changed), misfitSummary(geometry, state.embed));
      await showMisfit(spec, geometry, seq, controller.signal);
      if (seq === app.seq) showNoLayer(state, "this layer does not fit (above: the arithmetic, and what would fit)");
      return;
    }
    // a layer that fits is no misfit, drawn or refused: the last misfit's panels go (a
    // suggestion over this server's budget, applied, left "No steps: the layer does not
    // fit" and its arithmetic beside the refusal of a layer that fits); whether one was
    // shown is kept, for the new layer's words
    const fromMisfit = app.unfit !== null;
    forgetMisfit();
    // too large for this server: the geometry says so, and the forward (refused the same
    // way, a red line in the console) is not asked for
    refuseOverLimit(geometry, state.mode === "backward");
    // the new layer's steps, asked for now, are used once its views are built: before, a
    // render would draw them into the last layer's grids (another depth: a TypeError)
    const cache = stepCache(spec, geometry, state);
    // backward mode's whole pass, beside the forward: the upstream gradient drawn whole
    // under the output, and each map's db
    const [forward, grads] = await Promise.all([
      drawn ? drawn.forward : api.forward(spec, controller.signal),
      state.mode === "backward" ? wholeBackward(spec, key, state, controller.signal, geometry) : null,
    ]).catch((error) => {
      cache.cancel();
      controller.abort(); // the whole backward too: nothing will draw it
      throw error;
    });
    if (seq !== app.seq) return cache.cancel();
    app.cache = cache;
    const before = app.drawnKey;
    app.drawnKey = null; // until the layer is drawn: a build that throws leaves no key
    build(spec, geometry, forward, grads);
    app.drawnKey = key;
    // a new layer, said: its first step's words could be the last layer's (S 2 to 4 took the
    // demo from 18 steps to 8 without a word); not the page's first, nor a mode or order;
    // and a layer after a misfit, even the one drawn before it (a suggestion back to it went
    // from "No steps" to a drawn layer without a word). An edit, a seed or a fill changes
    // values alone: said as that, not as a new layer
    const sizes = JSON.stringify([geometry.height, geometry.width, geometry.padded_shape,
      geometry.output_shape, state.conn]);
    // a first layer drawn after the page's first was refused is said too (its button or a
    // smaller size drew it without a word)
    if ((before !== null && (before !== key || fromMisfit)) || (before === null && app.refused !== undefined)) {
      const [h2, w2, k] = geometry.output_shape;
      const { edited } = app;
      const changed = edited ? `, ${counted(edited.length, "neuron")} changed` : "";
      announce(sizes === app.drawnSizes && !fromMisfit ? `New values: output ${h2}x${w2}x${k} recomputed${changed}`
        : `New layer: output ${h2}x${w2}x${k}, ${thousands(geometry.steps)} steps`);
    }
    app.drawnSizes = sizes;
    qs("#app").classList.remove("stale");
    // a step or a pin the layer does not have (the layer shrank, or a link named them)
    const fixes = {};
    if (app.state.t > app.model.total - 1) {
      fixes.t = app.model.total - 1;
      // said when the link asked for it (a layer made smaller on the page takes its last step)
      if (linkStep) {
        showError("link", `The link's t=${app.state.t} (step ${thousands(app.state.t + 1)}) is past this layer's ${thousands(app.model.total)} steps: the last is shown.`);
      }
    }
    const pinned = pinTarget(app.state.pin);
    if (app.state.pin && !pinFits(pinned, app.model)) {
      fixes.pin = "";
      // said, as a link's unknown key is: a pin that silently went looked like a page that
      // ignores its links
      const [h2, w2, k] = app.model.outShape;
      showError("link", pinned
        ? `${pinName(pinned)} is not in this layer (its output is ${h2}x${w2}x${k}, its input ${app.model.inputShape.join("x")}): nothing is pinned.`
        : `The pin "${app.state.pin}" names no neuron (o<i>.<j>.<d>) or input cell (x<row>.<col>): nothing is pinned.`);
    } else if (pinned && pinText(pinned) !== app.state.pin) fixes.pin = pinText(pinned); // V2.3.1 -> o2.3.1
    // a link's zoom of a volume this layer draws whole (flat: the blocks zoom whatever their
    // size) does nothing: said and left out, as a step past the end is
    const zoomed = linkStep && app.state.view !== "3d" ? zoomOfViews(app.views, app.state.zoom) : null;
    if (zoomed?.whole.length) {
      fixes.zoom = zoomed.kept;
      showError("link", `The link's zoom=${shortened(app.state.zoom)} was left out for the ${zoomed.whole.join(" and ")}: this layer draws ${zoomed.whole.length > 1 ? "them" : "it"} whole, with no zoom.`);
    }
    if (Object.keys(fixes).length) commit(fixes, "replace", true);
    else render();
  } catch (error) {
    if (seq === app.seq) {
      onApiError(error);
      showNoLayer(state, "the server refused this layer (above: why)");
    }
  } finally {
    if (seq === app.seq) {
      qs("#app").setAttribute("aria-busy", "false");
      layerSettled();
    }
  }
}

/** Throw the refusal the geometry answer says the layer's drawing would get (`over_limit`:
 * the forward's for a layer that fits, the input's for a misfit), as if the request had
 * been sent and refused, so it is said the same way without a refused request. */
function refuseOverLimit(geometry, backward = false) {
  if (!geometry.over_limit) return;
  const error = overLimitError(geometry.over_limit);
  // backward mode draws the gradients too: the count of filters offered must pass their
  // budget as well (the forward's alone drew the layer with its gradients refused)
  if (backward) error.filtersPass = geometry.backward_over_limit?.filters_pass ?? null;
  throw error;
}

/** A geometry answer's `over_limit` or `backward_over_limit` as the refusal its request gets. */
function overLimitError(over) {
  const ctx = { limit: over.limit, setting: over.setting, needed: over.needed };
  if (over.filters_pass != null) ctx.filters_pass = over.filters_pass;
  return new ApiError(422, [{ loc: ["body", ...over.field.split(".")], msg: over.message, type: "over_limit", ctx }]);
}

/** The layer's parameters, shared or local: they need no output size, so a misfit and a
 * layer refused for its size keep them. */
function showParameters(geometry, conn) {
  const counts = geometry.counts;
  const params = conn === "local" ? counts?.parameters_local : counts?.parameters_shared;
  qs("#count-params").textContent = params == null ? "—" : thousands(params);
  // the other connectivity's parameters in brackets after them, to compare (this one's are
  // the Parameters count itself); the unshared ones of a misfit, one set per output
  // position it does not have, are left out rather than read "(— unshared)"
  qs("#count-shared").parentElement.hidden = conn !== "local" || counts?.parameters_shared == null;
  qs("#count-local").parentElement.hidden = conn === "local" || counts?.parameters_local == null;
}

const PANEL_GRIDS = ["#input-grids", "#filter-grids", "#output-grids", "#products", "#backward-grids"];

/**
 * A layer that does not fit has no output, so nothing to step through: the panels of the last
 * layer are emptied (they would show another layer's numbers); the input panel draws the
 * misfit from the geometry answer and the input the API makes for it, the filters panel its
 * filters (they need no output size), and the arithmetic and output panels say what is missing.
 */
async function showMisfit(spec, geometry, seq, signal) {
  player.pause();
  app.model = null;
  app.misfit = null;
  app.unfit = geometry;
  app.views = null;
  app.cache = null;
  emptyPanels(); // the legend too: a misfit's own are drawn with it (drawMisfitPanels)
  qs("#count-output").textContent = "—";
  qs("#backward-panel").hidden = true;
  showGradientWords(false, null);
  app.legendView = null;
  for (const id of ["#edit-pinned", "#goto-pinned"]) qs(id).hidden = true; // no layer drawn: no pin to act on
  for (const overlay of overlays) overlay.clear?.();
  showTransport(app, false);
  if (!geometry.height || !geometry.width) {
    qs("#app").classList.add("stale"); // refused before any axis was worked out: nothing to draw
    return;
  }
  // an input too large for this server: a misfit's geometry says so (its over_limit is
  // the input's refusal), and the input is not asked for
  refuseOverLimit(geometry);
  const answer = await api.input(spec, signal);
  if (seq !== app.seq) return;
  qs("#app").classList.add("misfit"); // for styles (and tests): the page shows a misfit
  app.misfit = { geometry, answer, edits: spec.edits };
  drawMisfitPanels();
  qs("#app").classList.remove("stale");
}

/**
 * What the input and output panels say of backward mode's whole pass, before the views take
 * the panels' room: what dX, dV and db are (`#app.backward`), or why they are not drawn; a
 * misfit (`model` null) draws neither.
 */
function showGradientWords(backward, model) {
  // backward mode draws the output whole (the backward pass starts from it), gradients or not
  qs("#app").classList.toggle("backward-mode", backward);
  qs("#app").classList.toggle("backward", Boolean(model?.upstream));
  // with a ReLU, the dV it shuts (pre-activation not positive) are struck through: they add
  // to nothing, and db is the sum of the rest
  const struck = model?.pre ? " A dV the ReLU shuts is struck through, or faded." : "";
  const gated = model?.pre ? " (where the ReLU let it through)" : "";
  qs("#db-words").textContent = (model?.conn === "local"
    ? `Each neuron's own bias gets its dV${gated}.`
    : `db[d] adds up map d of dV${gated}.`) + struck;
  const refused = qs("#gradients-refused");
  const unsaid = refused.hidden;
  refused.hidden = !(backward && model?.gradientsRefused);
  refused.textContent = refused.hidden ? "" : `dV, db and dX are not drawn: ${model.gradientsRefused}.`;
  // the forward drawn, the gradients over the limits: the count they pass, one press away
  // (only the forward's refusal offered one)
  const fewer = refused.hidden ? null : model.gradientsFewer;
  if (fewer) refused.append(" With fewer filters they are: ", fewerFiltersButton(fewer, true), ".");
  // said once as it comes, as a step's words are: shown only, a screen reader heard nothing
  if (unsaid && !refused.hidden) announce(refused.textContent);
  // a refusal said in a few words keeps the server's own sentence one press away
  if (!refused.hidden && model.gradientsWhy) refused.append(" ", ...whyButton(model.gradientsWhy));
}

/** The input panel's caption: its size, and its padded size when padding grows it. */
function inputCaption(geometry, xp) {
  const size = `${geometry.height.size}x${geometry.width.size}x${xp.shape[2]}`;
  const padded = xp.shape[0] !== geometry.height.size || xp.shape[1] !== geometry.width.size;
  return padded ? `${size}, padded ${xp.shape.join("x")}` : size;
}

/** Empty the panels of the misfit shown, if one is: the layer asked for now fits. */
function forgetMisfit() {
  if (app.unfit === null) return;
  app.misfit = null;
  app.unfit = null;
  qs("#app").classList.remove("misfit");
  emptyPanels();
  showTransport(app, false);
}

/** The panels' grids, captions, arithmetic words and legend, emptied: a misfit's or the last
 * layer's, not this one's. */
function emptyPanels() {
  for (const id of PANEL_GRIDS) clear(qs(id));
  qs("#edit-effect").hidden = true; // the last layer's edit, said of panels that are gone
  for (const id of ["#input-shape", "#filters-shape", "#output-shape", "#numpy-code", "#sums", "#arithmetic-live"]) {
    qs(id).textContent = "";
  }
  clear(qs("#legend"));
}

/** Draw (again: the theme, type size or room changed) the panels of the misfit shown. */
function drawMisfitPanels() {
  const { geometry, answer, edits } = app.misfit;
  const xp = tensor(answer.padded_input);
  drawMisfit(qs("#input-grids"), geometry, xp, answer.padding, maxAbsOf(xp.data));
  // the scales a misfit draws: its input's, and its shared filters' (a locally connected
  // layer's need the output size: none); the last layer's listed dV, dX and products
  const filters = tensor(answer.filters);
  renderLegend(qs("#legend"), [["input", maxAbsOf(xp.data)],
    ...(filters ? [["weights", maxAbsOf(filters.data)]] : [])], { padding: answer.padding.some(Boolean) });
  const { height, width } = geometry;
  qs("#input-shape").textContent = `${inputCaption(geometry, xp)}: does not fit`;
  drawMisfitFilters(qs("#filter-grids"), qs("#filters-shape"), answer, edits);
  drawMisfitArithmetic(qs("#products"), geometry, xp.shape[2], showSuggestions);
  drawMisfitOutput(qs("#output-grids"), geometry, answer.filters?.shape[0] ?? null);
}

/** Take the reader to the formula strip's suggestions (the first one focused). */
function showSuggestions() {
  const first = qs("#geometry-suggestions .suggestion") ?? qs("#geometry-bar");
  first.scrollIntoView({ block: "nearest" });
  if (first.matches("button")) first.focus();
}

/**
 * An edit whose cell is not in the layer (the server's 422 names `edits.<n>.index`, e.g. after
 * the input shrank) is dropped, and the page says which; true when that was the refusal.
 */
function dropBadEdits(error) {
  return dropEdits(new Set((error instanceof ApiError ? error.detail : [])
    .filter((d) => d.loc?.at(-1) === "index" && d.loc.at(-3) === "edits").map((d) => d.loc.at(-2))));
}

const TARGETS = { input: "X", filters: "W", bias: "b" };

/**
 * `geometry` with its suggestions' "edit 0" (the API numbers the edits of the spec it was
 * sent, `sent`) named as the page names that edit, "edit X[5,5,0]".
 */
function withCellNames(geometry, sent) {
  const edits = sent.map((e) => ({ target: TARGETS[e.array], index: e.index }));
  if (!edits.length || !geometry.suggestions?.length) return geometry;
  const named = (text) => text.replace(/\b(edits? )((?:\d+(?:, | and )?)+)(?=, outside it)/,
    (_, word, list) => word + list.replace(/\d+/g, (n) => (edits[n] ? cellName(edits[n]) : n)));
  return { ...geometry, suggestions: geometry.suggestions.map((s) => ({ ...s, text: named(s.text) })) };
}

/** Leave the edits at the places `bad` holds out of the state, saying which: true if any. */
function dropEdits(bad) {
  if (!bad.size) return false;
  const edits = parseEdits(app.state.edits);
  const names = edits.filter((_, n) => bad.has(n)).map(cellName);
  // the edit never reached the layer: it is left out of the link, not undone
  const one = names.length === 1;
  // an edit of the other connectivity's form (W0[0,0,0] on a locally connected layer) says
  // which form this layer's weights and biases take
  const local = app.state.conn === "local";
  const forms = edits.some((e, n) => bad.has(n) && e.target !== "X"
    && e.index.length !== { W: local ? 6 : 4, b: local ? 3 : 1 }[e.target])
    ? ` This layer's weights are ${local ? "W[i,j,d][row,col,depth] and its biases b[i,j,d]" : "W0[row,col,depth] and its biases b0"}.`
    : "";
  app.dropped = [app.droppedSaid, `${listed(names)} ${one ? "is not a cell" : "are not cells"}`
    + ` of this layer: ${one ? "that edit is" : "those edits are"} left out.${forms}`].filter(Boolean).join(" ");
  commit({ edits: formatEdits(edits.filter((_, n) => !bad.has(n))) }, "replace");
  return true;
}

/** The upstream gradient dL/dV backward mode uses, in its steps and its whole pass alike:
 * seeded whole numbers from -1 to 1, standing in for the layer above's gradient. */
const upstreamFill = (state) => ({ fill: { kind: "integers", seed: state.seed, low: -1, high: 1 } });

/**
 * Backward mode's whole pass (dV, db, dX), or `{refused}` saying why there is none: a layer
 * the forward's budget lets through may pass the backward's (priced on its own: dX's product
 * and its adding back), and its steps, dW included, are still drawn without it.
 */
function wholeBackward(spec, specKey, state, signal, geometry) {
  // the same layer and upstream as the last whole pass asked for (another step order, a
  // rebuild, Backward off and on again): the parts it drew (a third pass's work, asked again
  // for nothing), kept while forward mode builds without them
  // (`specKey`: reload's JSON of the spec, an uploaded image's megabytes written out once)
  const key = `${specKey} ${JSON.stringify(upstreamFill(state))}`;
  if (app.wholeKept?.key === key) return Promise.resolve(app.wholeKept);
  const kept = (whole) => {
    if (whole.key) app.wholeKept = whole;
    return whole;
  };
  const refused = (error) => {
    if (error.name === "AbortError") throw error;
    // the limit it passes, as the server names it (CONVSCOPE_MAX_WORK, _MAX_ELEMENTS, ...)
    const limits = limitsPassed(error);
    // over the limits, the same request is refused again: kept under its key, so another
    // step order asks nothing (another refused request, a red line in the console); any
    // other failure may pass next time
    if (!limits) return { refused: `the server did not compute the whole backward pass (${error.message})` };
    // how far over a budget, where the refusal says (the server's sentence behind "Why?")
    const [over, why] = error.detail.map((detail) => [overBudget(detail), detail.msg])
      .find(([said]) => said !== null) ?? [null, null];
    return {
      refused: over ? `the whole backward pass is ${over}`
        : `the whole backward pass is over this server's limits${limits.length ? ` (${limits.join(", ")})` : ""}`,
      why,
      fewer: filtersPassing(error),
      key,
    };
  };
  // over the limits by the geometry's word: not asked (it was, and refused: a red line in
  // the console)
  if (geometry.backward_over_limit) return Promise.resolve(kept(refused(overLimitError(geometry.backward_over_limit))));
  // dW is walked step by step in its own panel: the whole pass's is not asked for (a locally
  // connected layer's is one filter per neuron: 10 MB of the 10.2 MB answer for 64x64x3 and
  // 16 3x3 filters, compact)
  return api.backward(spec, upstreamFill(state), ["dx", "db"], signal)
    .then((answer) => kept({ ...gradientsOf(answer), key }), (error) => kept(refused(error)));
}

/** Whether specs `a` and `b` differ in their edits alone (the same sizes, fills and arrays). */
function valuesOnlyEdited(a, b) {
  return JSON.stringify(a.edits) !== JSON.stringify(b.edits)
    && JSON.stringify({ ...a, edits: [] }) === JSON.stringify({ ...b, edits: [] });
}

/**
 * Under the output, what the last edit did (`changed`: changedNeurons' list of the `total`
 * neurons; null: no edit made this layer, the line goes): a student checking an edit by hand
 * saw the colours rescale and no list of the neurons whose values moved.
 */
function showEditEffect(changed, total) {
  const line = qs("#edit-effect");
  line.hidden = changed === null;
  if (changed === null) return;
  const SHOWN = 3;
  const named = changed.slice(0, SHOWN).map(({ i, j, d, was, now }) => `V[${i},${j},${d}] ${fmt(was)} → ${fmt(now)}`);
  // where the list goes on past what is named, where the rest are: a weight or an input cell
  // reaches its window's positions in every map (AlexNet: 9 positions x 96 maps), a filter's
  // weight or bias every position of its map
  const positions = new Set(changed.map(({ i, j }) => `${i},${j}`)).size;
  const maps = new Set(changed.map(({ d }) => d)).size;
  const where = changed.length > SHOWN ? ` (${counted(positions, "position")} in ${counted(maps, "map")})` : "";
  const more = changed.length > SHOWN ? `, and ${thousands(changed.length - SHOWN)} more` : "";
  line.textContent = changed.length
    ? `The edit changed ${thousands(changed.length)} of the ${thousands(total)} neurons${where}: ${named.join(", ")}${more}.`
    : `The edit changed none of the ${thousands(total)} neurons' values.`;
}

/** The step cache of a layer (its first range is asked for at once, beside the forward). */
function stepCache(spec, geometry, state) {
  const backward = state.mode === "backward";
  const body = { layer: spec, order: state.order };
  if (backward) body.upstream = upstreamFill(state);
  const { height, width } = geometry;
  const perStep = height.filter_size * width.filter_size * state.d * (backward ? 5 : 3);
  const t = Math.min(state.t, geometry.steps - 1);
  const cache = new StepCache(body, geometry.steps, perStep, (error) => {
    if (error) onApiError(error);
    else if (app.cache === cache) render();
  }, t);
  cache.get(t);
  return cache;
}

function build(spec, geometry, forward, grads = null) {
  const state = app.state;
  const previous = app.model;
  const model = buildModel(spec, geometry, forward, state.conn, grads);
  // an edit's effect, neuron by neuron, against the layer drawn before it; kept while the
  // same layer is drawn again (a mode, a new room), gone with the next layer
  if (JSON.stringify(previous?.spec) !== JSON.stringify(spec)) {
    app.edited = previous && valuesOnlyEdited(previous.spec, spec) ? changedNeurons(previous, model) : null;
  }
  const { xp, out, filterShape: fshape } = model;
  app.model = model;
  app.forward = forward;
  app.grads = grads;
  app.misfit = null;
  app.unfit = null;
  qs("#app").classList.remove("misfit");
  app.hover = null;
  app.tap = null;
  app.weight = null;
  const backward = state.mode === "backward";
  if (!app.cache || app.cache.closed || app.cache.body.layer !== spec) app.cache = stepCache(spec, geometry, state);
  for (const id of PANEL_GRIDS) clear(qs(id));
  qs("#input-shape").textContent = inputCaption(geometry, xp);
  qs("#filters-shape").textContent = `${state.k} x ${fshape.join("x")}${state.conn === "local" ? " at each position" : ""}`;
  qs("#output-shape").textContent = out.shape.join("x");
  qs("#count-output").textContent = out.shape.join(" x ");
  qs("#backward-panel").hidden = !backward;
  showGradientWords(backward, model);
  showLayer(model, state);
  showLegend(model, state);
  // the weight gradient first: its least height sets the filters column's split, which the
  // filters are fitted to (render/split.js)
  const backwardView = backward
    ? createBackwardView(qs("#backward-grids"), model, (least) => splitFiltersColumn(model, least)) : null;
  app.views = {
    input: createInputView(qs("#input-grids"), model, onInputCell),
    filters: createFiltersView(qs("#filter-grids"), model, onFilterCell, { captions: !backward }),
    arithmetic: createArithmeticView(qs("#products"), model, onTap),
    output: createOutputView(qs("#output-grids"), model, state.order, (i, j, d) => stepOf(model.outShape, state.order, i, j, d), onOutputCell),
    backward: backwardView,
  };
  // the link's zoom (built again for a new room, the views keep it), then the zooms to come
  const views = app.views;
  applyZoom(views, state.zoom);
  watchZoom(views, (zoom) => {
    if (app.views === views && zoom !== app.state.zoom) commit({ zoom }, "replace");
  });
  for (const overlay of overlays) overlay.build?.(model, state);
  app.builtHidden = hiddenViews(state);
  showEditEffect(app.edited, out.data.length);
  views.output.markChanged?.(app.edited ?? []);
}

/** The panel views an overlay is drawn in place of now (see `overlays`); lays overlays out. */
const hiddenViews = (state) => new Set(overlays.flatMap((overlay) => overlay.layout?.(state) ?? []));

function getInverse(row, col) {
  const model = app.model;
  const key = `${row},${col}`;
  if (model.inverse.has(key)) return model.inverse.get(key) ?? undefined;
  model.inverse.set(key, null);
  api.inverse(model.spec, [row, col]).then((answer) => {
    // the positions that read the cell, (backward mode's dX sum) each one's tap, and whether
    // a cell no tap reads lies in a dilation's gaps
    const seen = new Map(answer.taps.map((tap) => [`${tap.i},${tap.j}`, [tap.i, tap.j]]));
    model.inverse.set(key, { seen: Array.from(seen.values()), taps: answer.taps, covered: answer.covered });
    if (app.model === model) render();
  }, onApiError);
  return undefined;
}

/** The one focus path: hover beats a pin beats the playhead. */
function currentFocus() {
  const pinned = pinTarget(app.state.pin);
  const target = app.hover ?? pinned ?? { kind: "step", t: app.state.t };
  const focus = focusFor(target, app.model, app.state.order, (t) => app.cache.get(t), getInverse,
    app.tap, app.weight, app.state.t);
  focus.hovered = Boolean(app.hover); // what a label says of an input cell: hovered, or pinned
  focus.pinned = !app.hover && pinned?.kind === "output"; // and of a neuron
  // a pinned input cell can be edited whatever the pointer rests on (the button must not
  // vanish from under a keyboard's focus)
  const fits = pinned && pinFits(pinned, app.model);
  // not in a frame: the settings it would open are not there
  focus.editable = fits && pinned.kind === "input" && !app.state.embed ? pinName(pinned) : null;
  // a pinned neuron the playhead is not on can be stepped to (the output fills up to it)
  const step = fits && pinned.kind === "output" ? stepOf(app.model.outShape, app.state.order, pinned.i, pinned.j, pinned.d) : null;
  focus.stepTo = step !== null && step !== app.state.t ? step : null;
  return focus;
}

// the transport's way to a step (bindTransport's, at boot)
let goToStep = () => {};

/** Move the playhead to step `t` (the pin goes: the playhead shows it), said with the neuron
 * `target` it computes when there is one. */
function stepTo(t, target = null) {
  goToStep(t);
  announce(`Step ${thousands(t + 1)}${target ? `: ${pinName(target)}` : ""}`);
}

/** Move the playhead to the pinned neuron's step. */
function stepToPinned() {
  if (!app.model) return;
  const t = currentFocus().stepTo;
  if (t !== null) stepTo(t, pinTarget(app.state.pin));
}

/** Open the drawer at a value of the pinned input cell: the slice a click named, else 0. */
function editPinned() {
  const target = pinTarget(app.state.pin);
  // the drawer lives outside a frame's and fullscreen's picture: nowhere to open it there
  if (target?.kind !== "input" || !app.model || app.state.embed || document.fullscreenElement) return;
  const { pads, xp } = app.model;
  const named = editedSlice(target.row, target.col);
  const d = named !== null && named < xp.shape[2] ? named : 0;
  startEdit(`X[${target.row},${target.col},${d}]`, fmt(xp.at(target.row + pads.top, target.col + pads.left, d)));
}

/** The colour scales drawn: the gradients', in backward mode, each on its own too; in the
 * 3-D view (entered without a rebuild), the blocks' own: the values', or the gradients' in
 * their place (`blocks`). */
function showLegend(model, state) {
  const steps = state.mode === "backward" ? [["products and dW", "per step"]] : [["products", "per step"]];
  const view = legendKey(state);
  const weights = ["weights", model.wMaxAbs];
  const values = [["input", model.maxAbs], weights, ["output", model.outMaxAbs]];
  const dv = ["dV", model.upMaxAbs];
  const dx = ["dX", model.dxMaxAbs];
  const volumes = !model.upstream || view === "3d" ? values
    : view === "3d gradients" ? [dx, weights, dv] : [...values, dv, dx];
  const { top, bottom, left, right } = model.pads;
  renderLegend(qs("#legend"), [...volumes, ...steps], { padding: Boolean(top || bottom || left || right) });
  app.legendView = view;
}

/** What the legend depends on besides the layer: the view, and what the blocks show. */
const legendKey = (state) => (state.view !== "3d" ? "flat"
  : state.mode === "backward" && state.blocks === "gradients" ? "3d gradients" : "3d");

function render() {
  const model = app.model;
  showTransport(app, player.playing);
  if (!model || !app.views) return;
  const state = app.state;
  if (app.legendView !== legendKey(state)) showLegend(model, state);
  const hidden = hiddenViews(state);
  if ([...app.builtHidden].some((name) => !hidden.has(name))) build(app.model.spec, app.model.geometry, app.forward, app.grads);
  const focus = currentFocus();
  // zoomed in, the volumes follow the playhead or the pinned neuron (into view, when it is
  // not: a link's pin, or a pin the playhead has left), never a hovered one
  const follow = !app.hover;
  const still = !player.playing;
  if (!hidden.has("input")) app.views.input.update(focus, follow, still);
  app.views.filters.update(focus);
  qs("#arithmetic-live").setAttribute("aria-live", player.playing ? "off" : "polite");
  // above 20 steps a second the products are colours; numbers return on pause
  const fast = player.playing && state.speed > 20;
  app.views.arithmetic.update(focus, state.act, fast);
  if (!hidden.has("output")) app.views.output.update(focus, state.t, state.mode === "backward", follow, fast, still);
  app.views.backward?.update(focus, state.act, still);
  for (const overlay of overlays) overlay.update?.(focus, state, { playing: player.playing, fast });
  // play ahead: two seconds of steps at the current speed
  app.cache.ensure(state.t, player.playing ? Math.ceil(state.speed * 2) : 0, focus.t ?? state.t,
    player.playing ? player.stride : 1);
  if (focus.step && !app.rendered) {
    app.rendered = true;
    // after the canvases' own paint callbacks of the same frame: everything is drawn then
    requestAnimationFrame(() => performance.mark("convscope:first-render"));
  }
  if (focus.step) qs("#app").dataset.shownStep = String(focus.step.t);
}

// ---- linking: hover shows, click pins (both through the focus above)

const pinning = createPinning(app, commit);
const { onInputCell, onOutputCell, onFilterCell, onTap } = createLinking({ app, render, pinning, currentFocus });

// ---- controls

function applySuggestion(suggestion) {
  const changes = changesForSuggestion(suggestion, app.state);
  if (!changes) return;
  // the edits it says to leave out go with it, unsaid: the reader chose that by pressing it
  // (left to the layer's check, each came back as a red "not a cell of this layer")
  const cells = new Set((suggestion.leave_out ?? []).filter((path) => path.startsWith("edits."))
    .map((path) => app.sentEdits?.[Number(path.slice("edits.".length))])
    .filter(Boolean).map((e) => `${TARGETS[e.array]}${e.index.join(".")}`));
  const kept = cells.size
    ? { edits: formatEdits(parseEdits(app.state.edits).filter((e) => !cells.has(`${e.target}${e.index.join(".")}`))) }
    : {};
  // the step and the pin stay, as when the change is typed: an instructor fixing a layer
  // mid-explanation keeps the neuron being explained where the new layer has it (a pin it
  // does not have goes, and the page says why)
  commit({ ...changes, ...kept });
}

/** A control's changes; `retyped`: a number box's refusal is on show (controls.js). */
function onControlChange(changes, retyped = false) {
  const before = app.state;
  commit(sameNeuron(changes));
  // The box's refusal took the place of the layer's own words (a misfit's, a link's): the
  // layer's number typed back changes nothing, and the refusal stayed beside a good number.
  // Drawn again, the layer says what it says (its forward is not asked for again).
  if (retyped && !needsReload(before, app.state)) reload();
}

function onEdit(cellText, valueText) {
  clearErrors();
  const cell = parseCellName(cellText);
  const value = Number(valueText);
  // the forms the layer's connectivity takes: a locally connected neuron's own weights and bias
  const forms = app.state.conn === "local" ? "W[i,j,d][row,col,depth] or b[i,j,d]" : "W0[row,col,depth] or b0";
  if (!cell) return showError("edit", `"${cellText}" is not a cell name: write X[row,col,depth], ${forms}`, ["#edit-cell"]);
  // the server's bound on every number it is sent; the box gives "" for what it cannot read
  // as a number (1e400 among them)
  const most = document.body.dataset.maxMagnitude;
  if (valueText.trim() === "" || Number.isNaN(value)) return showError("edit", `type a number from -${most} to ${most} to set`, ["#edit-value"]);
  if (!(Math.abs(value) <= Number(most))) return showError("edit", `${valueText.trim()} is out of range: this server takes numbers from -${most} to ${most}`, ["#edit-value"]);
  const outside = outsideTheLayer(cell);
  if (outside) return showError("edit", outside, ["#edit-cell"]);
  const edits = [...parseEdits(app.state.edits), { ...cell, value }];
  // the pin stays: a pinned input cell's readers, or a pinned neuron, are what the reader
  // chose to watch the new number change
  commit({ edits: formatEdits(edits) });
}

/**
 * Why `cell` is not one of the drawn layer's cells (null when it is, or when the state's
 * layer is not the one drawn: the server then says), against the shapes of the arrays the
 * API sent: a cell the page knows to be outside is not sent only to be refused.
 */
function outsideTheLayer(cell) {
  // the drawn layer only: while another is on its way (H just changed), the server judges
  const drawn = app.model && JSON.stringify(app.model.spec)
    === JSON.stringify(layerSpec(app.state, presetOf(app.state), uploadedInput(app.state)));
  if (!drawn) return null;
  const arrays = {
    X: ["the input is", app.model.inputShape],
    W: ["the filters are", app.model.filters.shape],
    b: ["the biases are", app.model.bias.shape],
  };
  const [what, shape] = arrays[cell.target];
  const fits = shape.length === cell.index.length && cell.index.every((v, axis) => v < shape[axis]);
  return fits ? null : `${cellName(cell)} is not a cell of this layer: ${what} ${shape.join("x")}, counted from 0`;
}

function onPreset(name) {
  const preset = app.presets.find((p) => p.name === name);
  if (!preset) return;
  // the reader's ways of looking stay (the lines too: a new preset turned them back on)
  const keep = { order: app.state.order, mode: app.state.mode, speed: app.state.speed, loop: app.state.loop, embed: app.state.embed, theme: app.state.theme, large: app.state.large, view: app.state.view, lines: app.state.lines };
  player.pause();
  commit({ ...stateFromPreset(preset), ...keep, t: 0, pin: "", edits: "" });
}

async function boot() {
  // the look first, before any request: a forced theme should not flash the other one
  look.apply(look.initial({ ...DEFAULTS, ...presentationOf(location.search) }));
  goToStep = bindTransport(app, player, commit, pinning);
  bindGoto(app, { toStep: stepTo, pinning });
  onSuggestions(showSuggestions);
  bindFold();
  bindExplanations();
  // the views size their cells to the panels' room: when it changes, they are built again
  watchCounts();
  markOverflowing(qs("#volumes"));
  onRoomChange(() => {
    if (app.misfit) drawMisfitPanels();
    if (!app.model || app.misfit) return;
    build(app.model.spec, app.model.geometry, app.forward, app.grads);
    render();
  });
  try {
    app.presets = await api.presets();
  } catch (error) {
    onApiError(error);
  }
  fillPresets(app.presets);
  initImages({ app, commit });
  const fallback = app.presets.find((p) => p.name === DEFAULTS.preset) ?? app.presets[0];
  let state = fromQuery(location.search);
  const notes = []; // what the link asked for that is not shown, said once the layer is
  if (partialLink(location.search)) {
    const given = givenKeys(location.search);
    const named = app.presets.find((p) => p.name === given.preset);
    if (!named && given.preset) notes.push(unlistedPresetNote(given.preset));
    if (!named) delete given.preset; // an unknown preset: the default layer, under its own name
    if (given.image || given.bank) await imagesReady(); // the lists the names are checked against
    if (given.image && !knownImage(given.image)) {
      notes.push(unknownImageNote(given.image));
      delete given.image; // nor the image layer's settings it would have brought
    }
    if (given.bank && !knownBank(given.bank)) {
      notes.push(unknownBankNote(given.bank));
      delete given.bank; // nor the ReLU a bank's layer takes
    }
    const preset = named ?? fallback;
    // sizes without a preset: what they leave out is the API's own default (stride 1, no
    // padding...), as the same fields sent to the API would have it, over the default layer
    const bare = !named && preset && LINK_SIZES.some((key) => key in given)
      ? { ...preset, layer: { input: preset.layer.input, filters: preset.layer.filters } }
      : preset;
    const base = bare ? stateFromPreset(bare) : { ...DEFAULTS };
    // an image or a bank on the layer the image panel would make for it, then the link's keys
    const panelLayer = given.image ? IMAGE_LAYER : given.bank ? { act: "relu" } : {};
    state = { ...base, ...panelLayer, ...given };
  }
  if (state && (state.image || state.bank)) state = await stateOfLink(state, notes, givenKeys(location.search));
  const refused = refusedKeys(location.search);
  const unread = state ? unreadEdits(state.edits) : [];
  if (unread.length) {
    refused.push(`edits ${listed(unread.map((part) => `"${shortened(part)}"`))} (each X<row>.<col>.<depth>=<number>, W<filter>.<row>.<col>.<depth>=<number> or b<filter>=<number>)`);
    state = { ...state, edits: formatEdits(parseEdits(state.edits)) };
  }
  if (refused.length) notes.push(`The link's ${listed(refused)} ${refused.length > 1 ? "were" : "was"} left out.`);
  app.linkNote = notes.join(" ");
  // a link that names no layer (`?embed=1`) keeps its presentation too
  app.state = look.initial({ ...(state ?? (fallback ? stateFromPreset(fallback) : { ...DEFAULTS })), ...presentationOf(location.search) });
  look.apply(app.state);
  history.replaceState(entryOf(app.state), "", toQuery(app.state));
  showState(app.state, app.presets, modified(app.state));
  player.setSpeed(app.state.speed);
  bindControls({ onChange: onControlChange, onPreset, onEdit, onResetEdits: () => commit({ edits: "" }) });
  $on(qs("#edit-pinned"), "click", editPinned);
  $on(qs("#goto-pinned"), "click", stepToPinned);
  $on(window, "popstate", async () => {
    // a batched write belongs to the entry just left: it must not land on this one; nor may
    // playback go on from it (its next steps rewrote the entry Back had just brought back)
    dropPendingUrl();
    if (player.playing) player.pause();
    // the entry's step is shown, as a step asked for is (transport.js go): not the neuron under
    // a pointer resting on the picture, nor the zoomed views following that one
    app.hover = null;
    const before = app.state;
    const entry = fromQuery(location.search);
    app.state = entry ? { ...entry, upload: history.state?.upload ?? null } : before;
    if (lostUpload(app.state)) app.state = await stateOfLink(app.state); // a sample, and said
    look.apply(app.state);
    showState(app.state, app.presets, modified(app.state));
    player.setSpeed(app.state.speed);
    if (needsReload(before, app.state)) return reload();
    // the entry's zoom too (a layer built again applies its link's zoom itself), whatever the
    // entry left said: a zoom not yet written (its 250 ms timer running) is undone, not
    // written into this entry
    if (app.views) applyZoom(app.views, app.state.zoom, { whole: true });
    render();
  });
  await reload();
}

boot();
