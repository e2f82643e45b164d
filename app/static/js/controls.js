// The control form: shows a state, reports what the person changed, and shows API errors
// beside the control that caused them. It never renders volumes and never keeps state.
import { el, qs, qsa, thousands, $on } from "./dom.js";
import { bindDrawer, drawerOpen, flagDrawer, openDrawer } from "./drawer.js";
import { cellName, pageWords, parseCellName, parseEdits } from "./spec.js";
import { takesNumber, wholeFor } from "./state.js";

const NUMBER_FIELDS = {
  "#in-h": "h", "#in-w": "w", "#in-d": "d", "#f-k": "k", "#f-fh": "fh", "#f-fw": "fw",
  "#stride-h": "sh", "#stride-w": "sw", "#dilation-h": "dh", "#dilation-w": "dw", "#pad-top": "pt", "#pad-bottom": "pb",
  "#pad-left": "pl", "#pad-right": "pr", "#seed": "seed",
};
const CHOICE_FIELDS = {
  "#fit": "fit", "#activation": "act", "#connectivity": "conn", "#fill": "fill",
  "#order": "order", "#mode": "mode",
};

// Which error slot (and which inputs) a spec field's error belongs to.
const ERROR_SLOTS = [
  ["input.values", "#error-data", []],
  // one size of the three ("input.shape[0] is 0") marks its own box
  ["input.shape.0", "#error-input", ["#in-h"]],
  ["input.shape.1", "#error-input", ["#in-w"]],
  ["input.shape.2", "#error-input", ["#in-d"]],
  ["input", "#error-input", ["#in-h", "#in-w", "#in-d"]],
  ["filters.values", "#error-data", []],
  ["filters.bias", "#error-data", []],
  ["filters.count", "#error-filters", ["#f-k"]],
  ["filters", "#error-filters", ["#f-f", "#f-fh", "#f-fw"]],
  ["stride", "#error-stride", ["#stride", "#stride-h", "#stride-w"]],
  ["padding", "#error-padding", ["#pad", "#pad-top", "#pad-bottom", "#pad-left", "#pad-right"]],
  ["dilation", "#error-dilation", ["#dilation", "#dilation-h", "#dilation-w"]],
  ["fit", "#error-fit", ["#fit"]],
  ["activation", "#error-neurons", ["#activation"]],
  ["connectivity", "#error-neurons", ["#connectivity"]],
  ["fill", "#error-data", ["#fill", "#seed"]],
  ["edit", "#error-data", ["#edit-cell", "#edit-value"]],
  ["edits", "#error-data", ["#edit-cell", "#edit-value"]],
];

// The spec field each number box feeds, so a refusal lands in that box's error slot.
const FIELD_OF_BOX = {
  "#in-h": "input", "#in-w": "input", "#in-d": "input", "#f-k": "filters.count",
  "#f-f": "filters.size", "#f-fh": "filters.size", "#f-fw": "filters.size",
  "#stride": "stride", "#stride-h": "stride", "#stride-w": "stride",
  "#dilation": "dilation", "#dilation-h": "dilation", "#dilation-w": "dilation",
  "#pad": "padding", "#pad-top": "padding", "#pad-bottom": "padding", "#pad-left": "padding",
  "#pad-right": "padding", "#seed": "fill",
};

/** Fill the preset picker from /api/presets (titles and names are server text: textContent). */
export function fillPresets(presets) {
  const select = qs("#preset");
  // Shown while the layer has moved away from its preset: the picker then names no preset,
  // so picking that preset again is a change and brings it back. Never a choice in the list.
  const own = el("option", "", "Your own layer");
  own.value = "";
  own.disabled = true;
  own.hidden = true;
  own.id = "preset-own";
  select.append(own);
  for (const preset of presets) {
    const option = document.createElement("option");
    option.value = preset.name;
    option.textContent = preset.title;
    select.append(option);
  }
}

/** Show `state` in the form; `modified` says it has moved away from its preset. */
export function showState(state, presets, modified) {
  for (const [selector, key] of Object.entries(NUMBER_FIELDS)) qs(selector).value = String(state[key]);
  for (const [selector, key] of Object.entries(CHOICE_FIELDS)) qs(selector).value = state[key];
  // The "both axes" boxes show a number only while the two axes agree; otherwise what each
  // axis has, greyed (a placeholder), as the notes write a 1-D layer's filter: 1x3.
  // The greyed text is said in words on hover (a title): "0,1" alone does not say which
  // number is which axis.
  const both = (selector, same, value, apart, words) => {
    qs(selector).value = same ? String(value) : "";
    qs(selector).placeholder = same ? "" : apart;
    qs(selector).title = same ? "" : `${words}; a number here sets both (More settings sets each)`;
    // four sides' padding ("0,1,2,0") is twice what the three-digit box shows: it read
    // "0,1,2," with the last side cut off; css/wide.css widens a box marked so
    qs(selector).classList.toggle("long-apart", !same && apart.length > 5);
  };
  both("#f-f", state.fh === state.fw, state.fh, `${state.fh}x${state.fw}`,
    `The filter is ${state.fh} tall and ${state.fw} wide`);
  both("#stride", state.sh === state.sw, state.sh, `${state.sh},${state.sw}`,
    `Stride ${state.sh} down the rows, ${state.sw} along the columns`);
  both("#dilation", state.dh === state.dw, state.dh, `${state.dh},${state.dw}`,
    `Dilation ${state.dh} down the rows, ${state.dw} along the columns`);
  const symmetric = state.pt === state.pb && state.pb === state.pl && state.pl === state.pr;
  // per axis (rows, columns) where each axis has the same both sides, as the API takes it
  const perAxis = state.pt === state.pb && state.pl === state.pr;
  both("#pad", symmetric, state.pt,
    perAxis ? `${state.pt},${state.pl}` : `${state.pt},${state.pb},${state.pl},${state.pr}`,
    perAxis ? `Padding ${state.pt} above and below, ${state.pl} left and right`
      : `Padding ${state.pt} above, ${state.pb} below, ${state.pl} left, ${state.pr} right`);
  const preset = presets.find((p) => p.name === state.preset);
  // what the preset picked where the notes leave it open, said with it: a student took
  // Example 2's K=5 (its 905 parameters) for the notes' own figure
  const description = !preset ? ""
    : preset.choices ? `${preset.description} Our choices, not the notes': ${preset.choices}.`
      : preset.description;
  const sources = [state.image && `image "${state.image}"`, state.bank && `filter bank "${state.bank}"`].filter(Boolean);
  const own = qs("#preset-own");
  // an image or a bank is the layer's own: the preset it started from is no longer its story
  // (named short, as the picker's narrow box shows them: the description says it in full)
  if (own) {
    const named = [state.image && `Image "${state.image}"`, state.bank && `bank "${state.bank}"`].filter(Boolean).join(", ");
    own.textContent = named ? named.charAt(0).toUpperCase() + named.slice(1)
      : preset ? `Your own layer, from: ${preset.title}` : "Your own layer";
  }
  qs("#preset").value = preset && !modified && !sources.length ? preset.name : "";
  qs("#preset-description").textContent = sources.length
    ? `Your layer: ${sources.join(" and ")} (from Real images below), with the settings shown here.`
    // the preset's words describe its own sizes and values: "each 3x3x3 filter moves ... two
    // cells at a time" stood beside an engineer's 3x3x8 filters at stride 1
    : modified ? `Your own layer, started from the preset "${preset.title}" with your own sizes or values.`
      : description;
  const edits = parseEdits(state.edits);
  const cells = edits.slice(0, 6).map((e) => `${cellName(e)} = ${e.value}`).join(", ");
  qs("#edits-list").textContent = edits.length
    ? `${edits.length} edited value${edits.length > 1 ? "s" : ""}: ${cells}${edits.length > 6 ? ", ..." : ""}`
    : "";
  qs("#t-speed").value = String(state.speed);
  qs("#t-loop").checked = state.loop;
}

/**
 * Report changes: `onChange(changes, retyped)` with state keys (`retyped`: a number box's own
 * refusal was on show, and the number is now one a layer has), `onPreset(name)`,
 * `onEdit(cellText, valueText)`, `onResetEdits()`.
 */
export function bindControls({ onChange, onPreset, onEdit, onResetEdits }) {
  describeByErrors();
  // A box's number that no layer has (not whole, or a stride of 0) is refused here, beside
  // the box itself, which alone is marked (its slot's other boxes hold numbers a layer has);
  // `key` is the state key it sets (the first, for a box that sets several), `changesOf` the
  // state changes a good number makes.
  let refusedBox = null;
  const number = (node, key, changesOf) => {
    const value = Number(node.value);
    if (node.value.trim() === "" || !wholeFor(key, value)) {
      clearErrors();
      // a number box's text that is no number at all (letters, 600 nines) reads as "": said
      // so, where the refusal quoted "" beside a box full of digits
      const got = node.validity?.badInput ? ": what was typed is not a number" : `, not "${node.value}"`;
      showError(FIELD_OF_BOX[`#${node.id}`] ?? "input",
        `${node.labels[0].textContent} must be ${takesNumber(key)}${got}`, [`#${node.id}`]);
      refusedBox = node;
      return;
    }
    // the refusal still on show (no layer has been drawn since): the number typed right may
    // be the layer's own again, which changes nothing and so cleared nothing
    const retyped = refusedBox?.getAttribute("aria-invalid") === "true";
    refusedBox = null;
    onChange(changesOf(value), retyped);
  };
  for (const [selector, key] of Object.entries(NUMBER_FIELDS)) {
    $on(qs(selector), "change", (event) => number(event.target, key, (value) => ({ [key]: value })));
  }
  for (const [selector, key] of Object.entries(CHOICE_FIELDS)) {
    $on(qs(selector), "change", (event) => {
      onChange({ [key]: event.target.value });
    });
  }
  $on(qs("#f-f"), "change", (event) => number(event.target, "fh", (value) => ({ fh: value, fw: value })));
  for (const [selector, [a, b]] of [["#stride", ["sh", "sw"]], ["#dilation", ["dh", "dw"]]]) {
    $on(qs(selector), "change", (event) => number(event.target, a, (value) => ({ [a]: value, [b]: value })));
  }
  $on(qs("#pad"), "change", (event) => number(event.target, "pt", (value) => ({ pt: value, pb: value, pl: value, pr: value })));
  $on(qs("#preset"), "change", (event) => {
    onPreset(event.target.value);
  });
  $on(qs("#t-speed"), "change", (event) => onChange({ speed: Number(event.target.value) }));
  $on(qs("#t-loop"), "change", (event) => onChange({ loop: event.target.checked }));
  const edit = () => onEdit(qs("#edit-cell").value, qs("#edit-value").value);
  $on(qs("#edit-apply"), "click", edit);
  $on(qs("#edit-value"), "keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      edit();
    }
  });
  $on(qs("#edit-reset"), "click", () => onResetEdits());
  $on(qs("#controls"), "submit", (event) => event.preventDefault());
  releaseControlsUsedByPointer();
  bindDrawer();
}

/** Each box described by the error slot its refusals land in (a box marked invalid then
 * says why when it is reached again, not "invalid" alone: WCAG 3.3.1). */
function describeByErrors() {
  const slots = new Map();
  for (const [, slot, boxes] of ERROR_SLOTS) {
    for (const box of boxes) slots.set(box, new Set([...(slots.get(box) ?? []), slot.slice(1)]));
  }
  for (const [box, ids] of slots) {
    const node = qs(box);
    const had = (node.getAttribute("aria-describedby") ?? "").split(" ").filter(Boolean);
    node.setAttribute("aria-describedby", [...new Set([...had, ...ids])].join(" "));
  }
}

/**
 * A control used with the mouse or a finger gives the keys back to the page: it kept the
 * focus, so the next Right or Space (a step, Play) pressed that button again, changed the
 * preset or the speed, or unticked Loop, where a presenter's remote meant play. One worked
 * with the keyboard keeps it: there the arrows and Space are how one picks. So do buttons
 * that open something (aria-expanded), for their own keys.
 */
function releaseControlsUsedByPointer() {
  $on(document, "click", (event) => {
    const button = event.target instanceof Element ? event.target.closest("button") : null;
    if (button && event.detail > 0 && !button.hasAttribute("aria-expanded")) button.blur();
  });
  let pointed = null;
  $on(document, "pointerdown", (event) => {
    const hit = event.target instanceof Element
      ? event.target.closest('select, input[type="checkbox"], label') : null;
    pointed = hit instanceof HTMLLabelElement ? hit.control : hit;
  }, { capture: true });
  $on(document, "keydown", () => {
    pointed = null;
  }, { capture: true });
  $on(document, "change", (event) => {
    if (event.target === pointed) event.target.blur();
  });
}

/**
 * Put a cell name in the edit box and focus the value in the opened drawer (a click on a
 * cell); with `open` false the box is only filled, ready for when the drawer is opened.
 */
export function startEdit(cellName, current, { open = true } = {}) {
  qs("#edit-cell").value = cellName;
  const value = qs("#edit-value");
  value.value = current;
  if (!open) return;
  openDrawer(value);
  value.select();
}

/** The depth slice of input cell (row, col) the edit box names, else null. */
export function editedSlice(row, col) {
  const cell = parseCellName(qs("#edit-cell").value);
  const [r, c, d] = cell?.target === "X" ? cell.index : [];
  return r === row && c === col ? d : null;
}

/** Clear every error slot. */
export function clearErrors() {
  for (const node of qsa(".field-error, #embed-note")) node.textContent = "";
  for (const node of qsa("[aria-invalid]")) node.removeAttribute("aria-invalid");
  qs("#drawer-toggle").removeAttribute("data-alert");
}

/** Add `said` to `slot`'s messages, and `reason` behind a "Why?" button after it: the
 * server's end with no stop, and two ran together ("... (CONVSCOPE_MAX_SIDE) the input's
 * width ..."). */
function say(slot, said, reason = null) {
  const before = slot.textContent.trim(); // a hidden reason's words end it, stop or none
  if (before) slot.append(/[.!?:]$/.test(before) ? " " : "; ");
  slot.append(said);
  if (reason !== null) slot.append(" ", ...whyButton(reason));
}

/** A "Why?" button and the words it shows and hides: `reason`, a refusal's own sentence, in
 * the page's names. */
export function whyButton(reason) {
  const button = el("button", "why", "Why?");
  button.type = "button";
  button.setAttribute("aria-expanded", "false");
  // the server's sentence starts small ("computing this layer would ..."): here it stands alone
  const said = pageWords(reason);
  const words = el("span", "why-text", said.charAt(0).toUpperCase() + said.slice(1));
  words.hidden = true;
  $on(button, "click", () => {
    words.hidden = !words.hidden;
    button.setAttribute("aria-expanded", String(!words.hidden));
  });
  return [button, words];
}

// What each budget holds a request to, after "N times" (`who` the server): a refusal over one
// says how far over in these words, and the server's sentence (units of work weighed against
// multiply-adds, the setting's name, the part that costs most) waits behind "Why?".
const BUDGET_WORDS = {
  CONVSCOPE_MAX_ELEMENTS: (who) => `the numbers ${who} holds at once`,
  CONVSCOPE_MAX_WORK: (who) => `the work ${who} does for one request`,
  CONVSCOPE_MAX_IMAGE_PIXELS: (who) => `the pixels ${who} reads from one image`,
  // a body's declared bytes (its Content-Length): a chunked one's total is never known
  CONVSCOPE_MAX_UPLOAD_BYTES: (who) => `the bytes ${who} takes in one upload`,
  CONVSCOPE_MAX_BODY_BYTES: (who) => `the bytes ${who} takes in one request`,
};

/**
 * How far over one of this server's budgets a refusal is, from its `ctx` ("17 times the
 * numbers this server holds at once", `who` naming the server); null for any other refusal
 * (only a refusal by a limit gives what it needed: over_limit, or an upload's own types).
 */
export function overBudget(detail, who = "this server") {
  const { needed, limit, setting } = detail.ctx ?? {};
  const what = BUDGET_WORDS[setting];
  if (!what || !(limit > 0 && needed > limit)) return null;
  const times = needed / limit;
  // "1.0 times" would read as not over at all
  const how = times < 1.05 ? "just over"
    : times < 9.95 ? `${times.toFixed(1)} times` : `${thousands(Math.round(times))} times`;
  return `${how} ${what(who)}`;
}

/** A refusal over one of this server's budgets, said first in a few words ("Too big for
 * this server: 17 times the numbers it holds at once."); null for any other refusal. */
export function overBudgetLead(detail) {
  const over = overBudget(detail, "it");
  return over === null ? null : `Too big for this server: ${over}.`;
}

/** Show `message` beside the control for spec field `field` ("stride", "filters.size", ...),
 * marking `boxes` (selectors) invalid: by default every box of the field's slot. A `reason`
 * (the server's own sentence, where `message` says it in a few words) is shown on request. */
export function showError(field, message, boxes = null, reason = null) {
  const slot = ERROR_SLOTS.find(([prefix]) => field === prefix || field.startsWith(`${prefix}.`));
  const target = qs(slot ? slot[1] : "#error-general");
  const said = pageWords(message);
  say(target, said, reason);
  // a frame shows no controls, so none of their messages: a link's mistake, or the refused
  // layer the transport points "above" to, were silent there (css/embed.css shows the note)
  const note = qs("#embed-note");
  if (note) say(note, said, reason);
  flagDrawer(target);
  // a reason inside the closed drawer is said under the strip too: with nothing drawn (a link
  // to a refused layer) the toggle's dot alone left the page blank and silent
  if (!drawerOpen() && qs("#drawer").contains(target)) say(qs("#error-general"), `More settings: ${said}`, reason);
  for (const selector of boxes ?? (slot ? slot[2] : [])) qs(selector).setAttribute("aria-invalid", "true");
}

/**
 * The spec field of a FastAPI error `loc` (["body", "layer", "filters", "size"] ->
 * "filters.size"; a list index stays: ["body", "input", "shape", 0] -> "input.shape.0").
 */
export function fieldOf(loc) {
  return (loc ?? []).filter((p) => p !== "body" && p !== "layer").map(String).join(".");
}
