// The view as one REST call: the curl command that asks the server for the step on show, with
// the layer the page itself sends. A layer made from a preset names the preset and gives only
// what differs from it (the server lays a spec naming a preset over the preset's own:
// docs/design.md), so the command for the demo's fifth step is a line, not a page of numbers.

/**
 * `target` (a layer spec) as a spec naming `preset`, with only the fields that differ from the
 * preset's layer (`preset.layer`); objects differ field by field, and a field the preset gives
 * that `target` leaves out or nulls is sent as null (its default: a fill instead of values).
 * A layer of sizes of its own says every size, first: an engineer's ResNet stem typed over
 * the demo read `{"preset": "cs231n-demo", "input": {"shape": [224, 224, 3]}, ...}` with its
 * stride left to the demo's (and a misfit's its cause); the preset then gives the values.
 */
export function overPreset(target, preset) {
  const changed = difference(preset.layer, target);
  if (!SIZES.some(([key, inner]) => (inner ? changed[key]?.[inner] : changed[key]) !== undefined)) {
    return { preset: preset.name, ...changed };
  }
  const sized = { preset: preset.name };
  for (const [key, inner] of SIZES) {
    if (inner) sized[key] = { ...sized[key], [inner]: target[key][inner] };
    else sized[key] = target[key];
  }
  // the rest as it differs, inside the objects after their sizes
  for (const [key, value] of Object.entries(changed)) {
    sized[key] = isObject(value) && isObject(sized[key]) ? { ...sized[key], ...value } : value;
  }
  return sized;
}

// A layer's sizes, [field] or [object, field], in the spec's order: said together or not at all.
const SIZES = [["input", "shape"], ["filters", "count"], ["filters", "size"], ["stride"],
  ["padding"], ["dilation"]];

function difference(base, target) {
  const out = {};
  for (const key of new Set([...Object.keys(base ?? {}), ...Object.keys(target)])) {
    const [was, now] = [base?.[key] ?? null, target[key] ?? null];
    if (key === "preset") continue;
    if (isObject(was) && isObject(now)) {
      const inner = difference(was, now); // a field left out and a null are the same
      if (Object.keys(inner).length) out[key] = inner;
    } else if (!same(was, now)) {
      out[key] = now;
    }
  }
  return out;
}

const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The /api/steps body for step `t` of the page's step cache body `{layer, order, upstream?,
 * encoding?}`, its layer named by `preset` where it has one. JSON answers: a reader runs it.
 */
export function stepsCall(cacheBody, t, preset, position = null) {
  const { layer, order, upstream } = cacheBody;
  const body = { layer: preset ? overPreset(layer, preset) : layer };
  // a pinned neuron by its place, as the notes name it; else the playhead's step
  if (position) body.position = position;
  else body.start = t;
  if (order !== "depth_slice") body.order = order;
  if (upstream) body.upstream = upstream;
  return body;
}

/** The /api/inverse body for input cell [row, col] (unpadded) of `layer`, named by `preset`
 * where it has one: the neurons that read the cell, and through which taps. */
export function inverseCall(layer, preset, cell) {
  return { layer: preset ? overPreset(layer, preset) : layer, cell };
}

/** A shell command that posts `body` as JSON to `url` (single-quoted for any POSIX shell). */
export function curlCommand(url, body) {
  const json = JSON.stringify(body).replace(/'/g, "'\\''");
  return `curl -s -X POST '${url}' -H 'Content-Type: application/json' -d '${json}'`;
}
