// Steps are fetched in ranges around the playhead and cached per layer, never all at once:
// AlexNet conv1 has 290,400 of them.
import { api, tensor } from "./api.js";

const MAX_COUNT = 1000; // the API's limit per request
const VALUES_PER_REQUEST = 40000; // keeps one answer to a few hundred kB

export class StepCache {
  /** `body` is the /api/steps body without start/count: {layer, order, upstream?}. */
  constructor(body, total, valuesPerStep, onArrive) {
    this.body = body;
    this.total = total;
    this.chunk = Math.max(1, Math.min(MAX_COUNT, Math.floor(VALUES_PER_REQUEST / Math.max(1, valuesPerStep))));
    this.steps = new Map();
    this.pending = new Map();
    this.onArrive = onArrive;
    this.controller = new AbortController();
    this.error = null;
  }

  /** The step if it has arrived; otherwise undefined (and it is on its way). */
  get(t) {
    const found = this.steps.get(t);
    if (found === undefined) this.ensure(t);
    return found;
  }

  /** Start fetching the range holding `t` (and the next one, to play ahead). */
  ensure(t) {
    if (t < 0 || t >= this.total) return;
    const start = Math.floor(t / this.chunk) * this.chunk;
    this.fetchRange(start);
    const next = start + this.chunk;
    if (next < this.total && t - start > this.chunk / 2) this.fetchRange(next);
  }

  fetchRange(start) {
    if (this.pending.has(start) || this.steps.has(start)) return;
    const count = Math.min(this.chunk, this.total - start);
    const request = api.steps({ ...this.body, start, count }, this.controller.signal)
      .then((answer) => {
        for (const raw of answer.steps) {
          const step = normStep(raw);
          this.steps.set(step.t, step);
        }
        this.pending.delete(start);
        this.onArrive(null);
      })
      .catch((error) => {
        this.pending.delete(start);
        if (error.name === "AbortError") return;
        this.error = error;
        this.onArrive(error);
      });
    this.pending.set(start, request);
  }

  cancel() {
    this.controller.abort();
  }
}

/** One step of /api/steps in the page's own shape (arrays as Tensors, taps listed). */
export function normStep(raw) {
  const range = ([start, stop, step]) => {
    const out = [];
    for (let n = start; n < stop; n += step) out.push(n);
    return out;
  };
  const rows = range(raw.rows); // padded-input rows of the taps
  const cols = range(raw.cols);
  return {
    t: raw.t,
    i: raw.i,
    j: raw.j,
    d: raw.d,
    rows,
    cols,
    taps: rows.flatMap((r) => cols.map((c) => [r, c])),
    window: tensor(raw.window),
    weights: tensor(raw.weights),
    products: tensor(raw.products),
    channelSums: Array.from(tensor(raw.channel_sums).data),
    bias: raw.bias,
    pre: raw.pre,
    post: raw.post,
    expression: raw.expression,
    upstream: raw.upstream ?? null,
    contribution: tensor(raw.weight_gradient ?? null),
    running: tensor(raw.weight_gradient_running ?? null),
  };
}
