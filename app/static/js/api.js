// The page's only way to the engine: the public REST API under /api. Arrays come back either
// as nested lists or in the compact encoding; both become a Tensor {shape, data}.

export class ApiError extends Error {
  /** `detail` is FastAPI's list of {loc, msg, type}; `status` the HTTP status. */
  constructor(status, detail) {
    const list = Array.isArray(detail) ? detail : [{ loc: [], msg: String(detail), type: "error" }];
    super(list.map((d) => d.msg).join("; "));
    this.status = status;
    this.detail = list;
  }
}

// The error types of a refusal by this server's limits alone (docs/design.md, "Errors"): the
// request may be right, and a server with larger CONVSCOPE_ settings would answer it.
const OVER_LIMITS = new Set(["over_limit", "image_too_many_pixels", "image_too_complex"]);

/**
 * The limits a refusal by this server's limits alone names, as the server names them
 * (["CONVSCOPE_MAX_WORK"], or [] where it names none); null for any other failure.
 */
export function limitsPassed(error) {
  if (!(error instanceof ApiError) || !error.detail.every((d) => OVER_LIMITS.has(d.type))) return null;
  return [...new Set(error.message.match(/CONVSCOPE_[A-Z_]+/g) ?? [])];
}

/**
 * The most filters a refusal says would pass (its entries' `ctx.filters_pass`, and the
 * `filtersPass` the page adds for a second budget the layer must pass), the fewest where
 * more than one says; null where none says it (filters given by values or a bank, a refusal
 * that blames no count).
 */
export function filtersPassing(error) {
  if (!(error instanceof ApiError)) return null;
  const said = [...error.detail.map((d) => d.ctx?.filters_pass), error.filtersPass].filter(Number.isInteger);
  return said.length ? Math.min(...said) : null;
}

/**
 * One request to the API: `init` is fetch's own (method, headers, body, signal). The answer's
 * JSON, or an ApiError that says why there is none; an abort is passed on as it is.
 */
export async function fetchJson(path, init = {}) {
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, `the server did not answer (${error.message})`);
  }
  let answer = null;
  try {
    answer = await response.json();
  } catch (error) {
    // An abort can land while the body is still arriving (a newer request replaced this one):
    // that is an abort, not a bad answer.
    if (error.name === "AbortError") throw error;
    throw new ApiError(response.status, `the server sent something that is not JSON (${response.status})`);
  }
  if (!response.ok) throw new ApiError(response.status, answer?.detail ?? response.statusText);
  return answer;
}

/** A JSON request: `body` (when given) goes out as JSON. */
function call(method, path, body, signal) {
  return fetchJson(path, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
  });
}

export const api = {
  presets: (signal) => call("GET", "/api/presets", undefined, signal),
  geometry: (layer, signal) => call("POST", "/api/geometry", layer, signal),
  forward: (layer, signal) => call("POST", "/api/forward?encoding=compact", layer, signal),
  /** The input inside its requested padding and the shared filters, for any layer (a misfit too). */
  input: (layer, signal) => call("POST", "/api/input?encoding=compact", layer, signal),
  steps: (body, signal) => call("POST", "/api/steps", body, signal),
  inverse: (layer, cell, signal) => call("POST", "/api/inverse", { layer, cell }, signal),
  /** The gradients named in `parts` ("dx", "dw", "db"): the others are neither computed nor sent. */
  backward: (layer, upstream, parts, signal) =>
    call("POST", "/api/backward?encoding=compact", { layer, upstream, parts }, signal),
  images: (signal) => call("GET", "/api/images", undefined, signal),
  image: (name, signal) => call("GET", `/api/images/${encodeURIComponent(name)}?encoding=compact`, undefined, signal),
  filterBanks: (signal) => call("GET", "/api/filter-banks", undefined, signal),
  /** Upload an image file's bytes as they are (the server reads PNG, JPEG, ... from them). */
  upload: async (file, signal) =>
    fetchJson("/api/images?encoding=compact", {
      method: "POST",
      headers: { "content-type": file.type || "application/octet-stream" },
      body: await file.arrayBuffer(),
      signal,
    }),
};

/** A read-only n-d array: `shape` and row-major `data`; `at(...index)` reads one value. */
export class Tensor {
  constructor(shape, data) {
    this.shape = shape;
    this.data = data;
    this.strides = shape.map((_, axis) => shape.slice(axis + 1).reduce((a, b) => a * b, 1));
  }

  at(...index) {
    let offset = 0;
    for (let axis = 0; axis < index.length; axis += 1) offset += index[axis] * this.strides[axis];
    return this.data[offset];
  }

  /** The sub-array at a leading index, sharing data: t.slice(k) of (K, F, F, D) is (F, F, D). */
  slice(...lead) {
    let offset = 0;
    for (let axis = 0; axis < lead.length; axis += 1) offset += lead[axis] * this.strides[axis];
    const shape = this.shape.slice(lead.length);
    const size = shape.reduce((a, b) => a * b, 1);
    return new Tensor(shape, this.data.subarray(offset, offset + size));
  }

  /** Back to nested lists (for sending values to the API). */
  toNested() {
    const build = (axis, offset) => {
      if (axis === this.shape.length) return this.data[offset];
      const out = [];
      for (let n = 0; n < this.shape[axis]; n += 1) out.push(build(axis + 1, offset + n * this.strides[axis]));
      return out;
    };
    return build(0, 0);
  }
}

/** A Tensor from either encoding (or a bare number, as a 0-d tensor). */
export function tensor(value) {
  if (value === null || value === undefined) return null;
  if (typeof value === "number") return new Tensor([], Float64Array.of(value));
  if (!Array.isArray(value) && typeof value.data === "string") return decodeCompact(value);
  const shape = [];
  for (let level = value; Array.isArray(level); level = level[0]) shape.push(level.length);
  const flat = value.flat(Infinity).map((v) => (typeof v === "boolean" ? Number(v) : v));
  return new Tensor(shape, Float64Array.from(flat));
}

const DTYPES = { float32: Float32Array, float64: Float64Array, int32: Int32Array, int64: BigInt64Array, bool: Uint8Array, uint8: Uint8Array };

/** Bytes of a base64 string: the browser's own decoder when it has one, else a plain loop. */
function base64Bytes(text) {
  if (typeof Uint8Array.fromBase64 === "function") return Uint8Array.fromBase64(text);
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let n = 0; n < binary.length; n += 1) bytes[n] = binary.charCodeAt(n);
  return bytes;
}

function decodeCompact({ dtype, shape, data }) {
  const bytes = base64Bytes(data);
  const Kind = DTYPES[dtype] ?? Float32Array;
  let array = new Kind(bytes.buffer, 0, bytes.byteLength / Kind.BYTES_PER_ELEMENT);
  if (Kind === BigInt64Array) array = Float64Array.from(array, Number);
  return new Tensor(shape, array);
}
