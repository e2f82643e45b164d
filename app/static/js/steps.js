// Steps are fetched in ranges around the playhead and cached per layer, never all at once:
// AlexNet conv1 has 290,400 of them. A miss first asks for a short range starting at the
// wanted step (as quick to answer as a single step), then the larger ranges ahead of it;
// fetches that no longer cover the playhead are cancelled, and far-away steps are dropped.
import { api, limitsPassed, tensor } from "./api.js";

// The longest range this server answers: its max_steps setting, rendered into the page.
const maxCount = () => Number(document.body.dataset.maxSteps) || 1;
const BYTES_PER_REQUEST = 1_000_000; // one answer stays under ~1 MB: quick to send and to parse
const PRIORITY_COUNT = 32; // a miss's first range: as fast to serve as a single step
const MAX_IN_FLIGHT = 3;
const KEEP = 6000; // steps kept around the playhead (~40 MB of AlexNet steps at most)
// Above this many values per step the steps travel in the compact encoding (base64 float32).
const COMPACT_ABOVE = 100;

export class StepCache {
  /**
   * `body` is the /api/steps body without start/count: {layer, order, upstream?};
   * `valuesPerStep` the numbers one step carries; `onArrive(error)` after each range;
   * `playhead` the step on show, whose ranges come first.
   */
  constructor(body, total, valuesPerStep, onArrive, playhead = 0) {
    const compact = valuesPerStep > COMPACT_ABOVE;
    this.body = compact ? { ...body, encoding: "compact" } : body;
    this.total = total;
    // compact: 4 bytes a value as base64 (x 4/3); JSON: ~20 characters a value
    const bytesPerStep = valuesPerStep * (compact ? 5.4 : 20) + 400;
    this.limit = maxCount();
    this.chunk = Math.max(1, Math.min(this.limit, Math.floor(BYTES_PER_REQUEST / bytesPerStep)));
    this.steps = new Map(); // t -> step (arrays decoded on first use)
    this.pending = []; // {start, stop, controller}
    this.onArrive = onArrive;
    this.error = null;
    this.closed = false;
    // where the ranges ahead start until the player says (ensure): the first range's arrival
    // asks for them, and from step 0 a link to a late step fetched ranges it never shows
    this.playhead = playhead;
    this.keep = playhead;
    this.ahead = this.chunk;
  }

  /**
   * The step if it has arrived; otherwise undefined, and a short range starting at `t` is on
   * its way (the server answers 32 steps as fast as one).
   */
  get(t) {
    const found = this.steps.get(t);
    if (found !== undefined || this.closed || t < 0 || t >= this.total) return found;
    if (!this.isPending(t)) this.fetchRange(t, Math.min(this.total, t + Math.min(PRIORITY_COUNT, this.limit)), true);
    return undefined;
  }

  /**
   * Make sure the steps t, t + every, ... up to t + ahead are here or coming, in ranges.
   * `every` > 1 when playing fast: the player shows every n-th step, so only those are
   * fetched. Fetches that cover none of [t, t + ahead] nor `keep` (a hovered or pinned step
   * on show) are stale and cancelled.
   */
  ensure(t, ahead = this.ahead, keep = t, every = 1) {
    if (this.closed || t < 0 || t >= this.total) return;
    this.playhead = t;
    this.keep = keep;
    this.every = every;
    this.ahead = Math.max(this.chunk, Math.min(ahead, 20 * this.chunk * every));
    const stop = Math.min(this.total, t + this.ahead + 1);
    for (const fetch of this.pending) {
      const holdsKeep = fetch.start <= keep && keep < fetch.stop;
      if (!holdsKeep && (fetch.stop <= t || fetch.start >= stop)) fetch.controller.abort();
    }
    this.pending = this.pending.filter((f) => !f.controller.signal.aborted);
    // A miss's own short range goes first, alone: a big range beside it would be parsed on
    // the same thread while the wanted step waits. Its arrival calls ensure again.
    if (this.pending.some((f) => f.wanted)) return;
    // the first missing step at or after t, range by range, while there is room
    let next = t;
    while (this.pending.filter((f) => !f.wanted).length < MAX_IN_FLIGHT) {
      while (next < stop && (this.steps.has(next) || this.isPending(next))) next += every;
      if (next >= stop) break;
      this.fetchRange(next, Math.min(this.total, next + this.chunk * every), false, every);
    }
  }

  isPending(t) {
    return this.pending.some((f) => f.start <= t && t < f.stop && (t - f.start) % f.every === 0);
  }

  /**
   * Fetch steps start, start + every, ... below stop; `wanted` marks a miss's own request
   * (see get).
   */
  fetchRange(start, stop, wanted = false, every = 1) {
    const controller = new AbortController();
    const fetch = { start, stop, controller, wanted, every };
    this.pending.push(fetch);
    const count = Math.ceil((stop - start) / every);
    const body = every > 1 ? { ...this.body, start, count, every } : { ...this.body, start, count };
    const arrived = (answer, refusedLimits = null) => {
      this.pending = this.pending.filter((f) => f !== fetch);
      for (const raw of answer.steps) this.steps.set(raw.t, lazyStep(raw, refusedLimits));
      this.evict();
      if (!this.closed) this.onArrive(null);
      if (!this.closed) this.ensure(this.playhead, this.ahead, this.keep, this.every);
    };
    api.steps(body, controller.signal)
      .then((answer) => arrived(answer), (error) => {
        // Backward mode: a step's running dW walks its filter's positions up to it, so late in
        // a big layer's filter a range may be over this server's limits where its forward is
        // not. Its steps are asked again without the upstream, and say why they carry no dW
        // (the whole page was refused, faded as a layer the server would not compute).
        const limits = this.body.upstream ? limitsPassed(error) : null;
        if (!limits) throw error;
        const { upstream, ...forward } = body;
        return api.steps(forward, controller.signal).then((answer) => arrived(answer, limits));
      })
      .catch((error) => {
        this.pending = this.pending.filter((f) => f !== fetch);
        if (error.name === "AbortError" || this.closed) return;
        this.error = error;
        this.onArrive(error);
      });
  }

  /** Drop the steps farthest from the playhead once more than KEEP are held. */
  evict() {
    if (this.steps.size <= KEEP) return;
    const far = Array.from(this.steps.keys()).sort(
      (a, b) => Math.abs(b - this.playhead) - Math.abs(a - this.playhead),
    );
    for (const t of far.slice(0, this.steps.size - KEEP)) this.steps.delete(t);
  }

  cancel() {
    this.closed = true;
    for (const fetch of this.pending) fetch.controller.abort();
    this.pending = [];
  }
}

/**
 * One step of /api/steps in the page's own shape. Its arrays are decoded the first time they
 * are read, so a range of a thousand compact steps costs only what the page shows.
 */
function lazyStep(raw, refusedLimits = null) {
  const range = ([start, stop, step]) => {
    const out = [];
    for (let n = start; n < stop; n += step) out.push(n);
    return out;
  };
  const rows = range(raw.rows); // padded-input rows of the taps
  const cols = range(raw.cols);
  const step = {
    t: raw.t,
    i: raw.i,
    j: raw.j,
    d: raw.d,
    rows,
    cols,
    bias: raw.bias,
    pre: raw.pre,
    post: raw.post,
    expression: raw.expression,
    upstream: raw.upstream ?? null,
    biasRunning: raw.bias_gradient_running ?? null, // its filter's db so far
    // backward mode, its dW over this server's limits: the limits it passes (fetchRange)
    refusedLimits,
  };
  const lazy = (name, make) => {
    Object.defineProperty(step, name, {
      configurable: true,
      enumerable: true,
      get() {
        const value = make();
        Object.defineProperty(step, name, { value, enumerable: true });
        return value;
      },
    });
  };
  lazy("taps", () => rows.flatMap((r) => cols.map((c) => [r, c])));
  lazy("window", () => tensor(raw.window));
  lazy("weights", () => tensor(raw.weights));
  lazy("products", () => tensor(raw.products));
  lazy("channelSums", () => Array.from(tensor(raw.channel_sums).data));
  lazy("contribution", () => tensor(raw.weight_gradient ?? null));
  lazy("running", () => tensor(raw.weight_gradient_running ?? null));
  return step;
}

