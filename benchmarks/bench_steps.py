"""Steps benchmark: engine time of one trace step and of a 1000-step range.

Run ``.venv/bin/python -m benchmarks.bench_steps`` (or ``python benchmarks/bench_steps.py``).
For AlexNet conv1 and the CS231n demo, in both orders, it prints

* ``step``       -- median of ``--calls`` calls of ``engine.trace.step(layer, t)`` at seeded
  random ``t`` on a layer whose padded input is already built (target <= 50 us), its ratio
  to the target, and the fastest call (``best``: what the code costs when nothing else runs,
  useful on a loaded machine);
* ``cold step``  -- the same on a fresh ``Layer`` each call, so the padding (``x_padded``) is
  paid too, as an API request that builds its layer pays it;
* ``range``      -- median of ``--repeats`` calls of ``engine.trace.steps(layer, start,
  1000)`` (clipped to the trace for the 18-step demo), and its cost per step;
* ``upstream``   -- AlexNet conv1 only: median of ``--repeats`` calls of a 1000-step range
  with its weight gradients (``engine.backward.step_weight_gradients``: each step's dW and
  its filter's running sum), every step and every 50th step, the two taking turns. What
  ``/api/steps`` with ``upstream`` computes; the running sums are one walk per filter the
  range touches, so every 50th step should cost about what every step costs (it touches
  17 filters instead of 1 in depth_slice order; depth_column touches all 96 either way).

The median, not the minimum: a step is one request's worth of work, and the median is what
a user scrubbing through the trace typically waits.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from functools import partial
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make the checkout importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._timing import ALEXNET_CONV1, Case, timings
from engine.backward import step_weight_gradients
from engine.geometry import LayerShape
from engine.layer import Layer, build_layer
from engine.tensors import FloatArray
from engine.trace import MAX_STEPS, ORDERS, Order, step, steps

STEP_TARGET_S = 50e-6


CASES = (
    ALEXNET_CONV1,
    Case("CS231n demo 5x5x3 K=2 F=3 S=2 P=1", LayerShape.square(5, 3, 2, 3, stride=2, padding=1)),
)


def fresh(layer: Layer) -> Layer:
    """The same layer without its cached padded input."""
    return Layer(
        layer.geometry, layer.x, layer.weights, layer.bias, layer.connectivity, layer.activation
    )


def _step(layer: Layer, order: Order, t: int) -> object:
    return step(layer, t, order)


def _cold_step(layer: Layer, order: Order, t: int) -> object:
    return step(fresh(layer), t, order)


def _range(layer: Layer, order: Order, start: int) -> object:
    return steps(layer, start, MAX_STEPS, order)


def _with_upstream(
    layer: Layer, upstream: FloatArray, order: Order, every: int, start: int
) -> object:
    found = steps(layer, start, MAX_STEPS, order, every)
    return step_weight_gradients(layer, upstream, found)


def upstream_rows(repeats: int, rng: np.random.Generator) -> None:
    """Print the ``upstream`` rows: every step against every 50th, interleaved."""
    layer = build_layer(ALEXNET_CONV1.shape)
    upstream = rng.integers(-1, 2, size=layer.geometry.output_shape).astype(np.float64)
    total = layer.geometry.steps
    header = f"{'upstream, AlexNet conv1':40} {'order':13} {'every':>6} {'ms':>9} {'/every 1':>9}"
    print()
    print(header)
    print("-" * len(header))
    for order in ORDERS:
        starts = rng.integers(0, total - 50 * MAX_STEPS, size=repeats).tolist()
        times: dict[int, list[float]] = {1: [], 50: []}
        for start in starts:  # the two take turns, so load bursts slow both alike
            for every, spent in times.items():
                spent.extend(timings(partial(_with_upstream, layer, upstream, order, every),
                                     [start]))
        one = statistics.median(times[1])
        for every, spent in times.items():
            median = statistics.median(spent)
            print(f"{'1000 steps + dW, running dW':40} {order:13} {every:6d} "
                  f"{median * 1e3:9.2f} {median / one:9.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=3000, help="single steps timed per row")
    parser.add_argument("--repeats", type=int, default=50, help="range calls timed per row")
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    print(f"numpy {np.__version__}; medians; target: one step <= {STEP_TARGET_S * 1e6:.0f} us")
    header = (
        f"{'layer':40} {'order':13} {'step us':>8} {'/target':>8} {'best us':>8} {'cold us':>8} "
        f"{'range n':>8} {'range ms':>9} {'us/step':>8}"
    )
    print(header)
    print("-" * len(header))
    worst = 0.0
    for case in CASES:
        layer = build_layer(case.shape)
        total = layer.geometry.steps
        for order in ORDERS:
            ts = rng.integers(0, total, size=args.calls).tolist()
            for t in ts[:50]:  # warm-up, and build layer.x_padded once
                step(layer, t, order)
            single = timings(partial(_step, layer, order), ts)
            one, best = statistics.median(single), min(single)
            cold = statistics.median(
                timings(partial(_cold_step, layer, order), ts[: max(1, args.calls // 10)])
            )
            starts = rng.integers(0, max(1, total - MAX_STEPS), size=args.repeats).tolist()
            n = len(steps(layer, starts[0], MAX_STEPS, order))
            span = statistics.median(timings(partial(_range, layer, order), starts))
            worst = max(worst, one)
            print(
                f"{case.name:40} {order:13} {one * 1e6:8.1f} {one / STEP_TARGET_S:8.2f} "
                f"{best * 1e6:8.1f} "
                f"{cold * 1e6:8.1f} {n:8d} {span * 1e3:9.2f} {span / n * 1e6:8.2f}"
            )
    upstream_rows(max(3, args.repeats // 5), rng)
    verdict = "meets" if worst <= STEP_TARGET_S else "MISSES"
    print(f"slowest single step {worst * 1e6:.1f} us: {verdict} the {STEP_TARGET_S * 1e6:.0f} us "
          f"target ({worst / STEP_TARGET_S:.2f} of it)")
    return 0 if worst <= STEP_TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
