"""Forward-pass benchmark: GFLOP/s of the conv kernels against a big matmul on this machine.

Run ``.venv/bin/python -m benchmarks.bench_forward`` (or ``python benchmarks/bench_forward.py``).
For each layer and dtype it prints the best round's time (see ``--rounds``/``--burst``) of

* ``forward``   -- ``engine.conv.forward(layer, dtype)`` as a library call: one GEMM that
  BLAS spreads over the cores;
* ``threads``   -- the same call under engine threads, the policy the API server runs
  (``engine.threads.use_engine_threads``): BLAS single-threaded, each core copying and
  multiplying its own bands of output rows;
* ``columns``   -- building the im2col matrix alone (a copy of ``windows``), and
* ``gemm``      -- the matrix product alone on prebuilt columns, which split ``forward``;
* ``textbook``  -- plain im2col for comparison, from the same float64 layer arrays as
  ``forward`` (cast inside the timer): ``ascontiguousarray`` of the windows, a GEMM, then a
  separate bias pass;
* ``indexed``   -- the im2col most people meet first, CS231n's ``im2col_indices``: fancy
  indexing into a ``(D, Hp, Wp)`` input (index arrays built outside the timer), a
  ``(K, DFF) @ (DFF, P)`` GEMM, and a transpose back to ``(H2, W2, K)``,

each as GFLOP/s (2 * multiply-adds / time) and as a share of a 2048x2048 matmul of the same
dtype timed in the same run. Every call is timed in the steady state of a caller repeating it
(see ``benchmarks._timing.round_times``); the float32 AlexNet forward is also timed cold,
right after the matmul has flushed the caches, and its per-round share is printed with its
spread. The targets: float32 AlexNet conv1 ``forward`` >= 50 % of the matmul, and float64
AlexNet conv1 well under 100 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

if __package__ in (None, ""):  # run as a script: make the checkout importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._timing import (
    ALEXNET_CONV1,
    Case,
    cpu_seconds,
    first_call_times,
    others_share,
    round_times,
)
from engine import threads
from engine.conv import forward, windows
from engine.geometry import LayerShape
from engine.layer import Layer, build_layer
from engine.tensors import Fill

TARGET_SHARE = 0.50  # float32 AlexNet conv1 forward / 2048^2 matmul (issue 2 asked 40 %)
FLOAT64_ALEXNET_BUDGET_S = 0.100
MATMUL_SIZE = 2048
BUSY_SHARE = 0.05  # other processes' share of the CPU above which the figures are suspect


CASES = (
    ALEXNET_CONV1,
    Case("VGG conv1_1 224x224x3 K=64 F=3 P=1", LayerShape.square(224, 3, 64, 3, padding=1)),
    Case("56x56x64 K=64 F=3 P=1", LayerShape.square(56, 64, 64, 3, padding=1)),
)


def gflops(flops: float, seconds: float) -> float:
    """GFLOP/s.

    >>> gflops(2e9, 0.5)
    4.0
    """
    return flops / seconds / 1e9


def matmul_call(dtype: npt.DTypeLike) -> Callable[[], object]:
    """A square ``MATMUL_SIZE`` matmul: the machine's practical BLAS peak."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((MATMUL_SIZE, MATMUL_SIZE)).astype(dtype)
    b = rng.standard_normal((MATMUL_SIZE, MATMUL_SIZE)).astype(dtype)
    out = np.empty_like(a)
    return lambda: np.matmul(a, b, out=out)


def make_layer(shape: LayerShape) -> Layer:
    normal = Fill("normal", seed=0)
    return build_layer(shape, input_fill=normal, weight_fill=normal, bias_fill=normal)


def kernel_parts(layer: Layer, dtype: npt.DTypeLike) -> dict[str, Callable[[], object]]:
    """The timed variants for one layer (see the module docstring).

    ``columns`` and ``gemm`` repeat what ``engine.conv.conv2d`` does, in its layout: a
    ``(positions, FFD + 1)`` column matrix (the last column all ones for the bias) times a
    ``(FFD + 1, K)`` kernel.
    """
    g = layer.geometry
    xp = layer.x_padded.astype(dtype)
    k, per_neuron = g.shape.filters, g.counts.weights_per_neuron
    positions = g.out_height * g.out_width
    weights = layer.weights.astype(dtype).reshape(k, per_neuron).T  # (FFD, K)
    bias = layer.bias.astype(dtype)
    kernel = np.vstack([weights, bias[None, :]])  # (FFD + 1, K)
    view = windows(xp, g)  # (H2, W2, Fh, Fw, D)

    def columns() -> npt.NDArray[Any]:
        cols = np.empty((positions, per_neuron + 1), dtype)
        cols[:, per_neuron] = 1
        np.copyto(cols[:, :per_neuron].reshape(view.shape), view)
        return cols

    built = columns()

    def textbook() -> npt.NDArray[Any]:
        # From the layer's own (float64) arrays, cast inside the timer as `forward` does, so
        # the two rows compare like with like.
        x_cast = layer.x_padded.astype(dtype, copy=False)
        w_cast = layer.weights.astype(dtype, copy=False).reshape(k, per_neuron).T  # (FFD, K)
        cols = np.ascontiguousarray(windows(x_cast, g)).reshape(positions, per_neuron)
        out: npt.NDArray[Any] = cols @ w_cast
        out += layer.bias.astype(dtype, copy=False)
        return out.reshape(g.output_shape)

    channel, row, col = im2col_indices(layer)

    def indexed() -> npt.NDArray[Any]:
        x_dhw = layer.x_padded.astype(dtype, copy=False).transpose(2, 0, 1)  # (D, Hp, Wp)
        cols = x_dhw[channel, row, col]  # (D*Fh*Fw, P), one gather per element
        w_rows = layer.weights.astype(dtype, copy=False).transpose(0, 3, 1, 2).reshape(k, -1)
        out = w_rows @ cols + layer.bias.astype(dtype, copy=False)[:, None]  # (K, P)
        return np.ascontiguousarray(out.reshape(k, g.out_height, g.out_width).transpose(1, 2, 0))

    return {
        "forward": lambda: forward(layer, dtype),
        "columns": columns,
        "gemm": lambda: built @ kernel,
        "textbook": textbook,
        "indexed": indexed,
    }


def im2col_indices(layer: Layer) -> tuple[npt.NDArray[Any], ...]:
    """CS231n's ``get_im2col_indices`` for an undilated layer: (channel, row, col) arrays.

    ``x[channel, row, col]`` for ``x`` of shape ``(D, Hp, Wp)`` is the ``(D*Fh*Fw, P)`` column
    matrix, rows ordered (d, fi, fj) and columns (i, j).
    """
    g = layer.geometry
    fh, fw, depth = g.filter_shape[1:]
    h2, w2 = g.out_height, g.out_width
    row_in = np.tile(np.repeat(np.arange(fh), fw), depth)[:, None]  # (DFF, 1)
    col_in = np.tile(np.arange(fw), fh * depth)[:, None]
    row_out = g.height.stride * np.repeat(np.arange(h2), w2)[None, :]  # (1, P)
    col_out = g.width.stride * np.tile(np.arange(w2), h2)[None, :]
    channel = np.repeat(np.arange(depth), fh * fw)[:, None]
    return channel, row_in + row_out, col_in + col_out


def run(rounds: int, burst: int, warmup: int) -> bool:
    """Print the table; True when the targets are met.

    Per dtype, the matmul and every (layer, variant) are timed in one round robin
    (:func:`benchmarks._timing.round_times`); each figure is the best round. The matmul and
    the library variants run under BLAS's threads, ``threads`` under engine threads (the
    server's policy, :func:`engine.threads.use_engine_threads`), switched every round.
    """
    print(
        f"cores: {os.cpu_count()}, numpy {np.__version__}; best of {rounds} rounds, "
        f"each the fastest of {burst} back-to-back calls after {warmup} untimed"
    )
    met = True
    for dtype in (np.float32, np.float64):
        name = np.dtype(dtype).name
        library: dict[str, Callable[[], object]] = {"matmul": matmul_call(dtype)}
        engine: dict[str, Callable[[], object]] = {}
        flops = {"matmul": 2 * MATMUL_SIZE**3}
        for case in CASES:
            layer = make_layer(case.shape)
            for variant, call in kernel_parts(layer, dtype).items():
                library[f"{case.name}|{variant}"] = call
            engine[f"{case.name}|threads"] = library[f"{case.name}|forward"]
            for variant in (*variant_names(), "threads"):
                flops[f"{case.name}|{variant}"] = 2 * layer.geometry.counts.multiply_adds
        alexnet = f"{CASES[0].name}|threads"
        start, before = time.perf_counter(), cpu_seconds()
        per_round: dict[str, list[float]] = {key: [] for key in (*library, *engine)}
        for _ in range(rounds):
            threads.use_blas_threads()
            for key, times in round_times(library, 1, warmup, burst).items():
                per_round[key] += times
            engine_threads_settled()
            for key, times in round_times(engine, 1, warmup, burst).items():
                per_round[key] += times
        threads.use_blas_threads()
        library_alexnet = f"{CASES[0].name}|forward"
        cold = min(first_call_times(library["matmul"], library[library_alexnet], rounds))
        others = others_share(before, cpu_seconds(), time.perf_counter() - start)
        seconds = {key: min(times) for key, times in per_round.items()}
        peak = gflops(flops["matmul"], seconds["matmul"])
        print(f"\n{name}: {MATMUL_SIZE}x{MATMUL_SIZE} matmul {peak:.1f} GFLOP/s")
        # A 100 ms matmul rarely finds the quiet gap a 2 ms layer does: load inflates ratios.
        warning = "  <- busy machine: ratios unreliable" if others > BUSY_SHARE else ""
        print(f"  other processes used {others:.0%} of the CPU while timing{warning}")
        print(f"  {'layer':40} {'variant':9} {'ms':>8} {'GFLOP/s':>8} {'of matmul':>9}")
        for key in sorted(per_round, key=row_order)[1:]:
            layer_name, variant = key.split("|")
            rate = gflops(flops[key], seconds[key])
            # Building columns does no arithmetic: its time is what it costs the forward.
            figures = (
                f"{'-':>8} {'-':>9}" if variant == "columns" else f"{rate:8.1f} {rate / peak:9.0%}"
            )
            print(f"  {layer_name:40} {variant:9} {seconds[key] * 1e3:8.2f} {figures}")
        cold_rate = gflops(flops[library_alexnet], cold)
        print(
            f"  {CASES[0].name:40} {'cold':9} {cold * 1e3:8.2f} {cold_rate:8.1f} "
            f"{cold_rate / peak:9.0%}  (forward right after the matmul flushed the caches)"
        )
        shares = [
            gflops(flops[alexnet], t) / gflops(flops["matmul"], m)
            for t, m in zip(per_round[alexnet], per_round["matmul"], strict=True)
        ]
        met &= report_target(
            name,
            seconds[alexnet],
            gflops(flops[alexnet], seconds[alexnet]) / peak,
            shares,
            bool(warning),
        )
    return met


def variant_names() -> tuple[str, ...]:
    """Every variant in the table, in table order (:func:`kernel_parts` and ``threads``)."""
    return ("forward", "threads", "columns", "gemm", "textbook", "indexed")


def row_order(key: str) -> tuple[int, int]:
    """Table order: the matmul first, then by layer as in CASES, then by variant."""
    if key == "matmul":
        return (-1, 0)
    layer_name, variant = key.split("|")
    cases = [case.name for case in CASES]
    return (cases.index(layer_name), variant_names().index(variant))


# OpenBLAS's idle threads spin for ~0.1 s after their last GEMM before they sleep; switching
# to engine threads right after the matmul would time the engine's threads against them.
SETTLE_SECONDS = 0.2


def engine_threads_settled() -> None:
    """Switch to engine threads and wait until BLAS's idle threads have gone to sleep.

    The wait spins rather than sleeps: a forward right after a sleep ran measurably slower
    than one right after other work (benchmarks/README.md), and the library variants never
    sleep before their turn.
    """
    threads.use_engine_threads()
    deadline = time.perf_counter() + SETTLE_SECONDS
    while time.perf_counter() < deadline:
        pass


def report_target(
    dtype: str, seconds: float, share: float, round_shares: list[float], busy: bool = False
) -> bool:
    """Print PASS/FAIL for AlexNet conv1's forward in ``dtype`` under engine threads.

    For float32 both the best-round share and the median of the per-round shares (each
    round's forward against that round's matmul, so a slow spell of the machine slows both)
    must reach the target.
    """
    if dtype == "float32":
        median = statistics.median(round_shares)
        ok = share >= TARGET_SHARE and median >= TARGET_SHARE
        verdict = (
            f"{'PASS' if ok else 'FAIL'}: {share:.0%} of matmul (median of rounds {median:.0%}, "
            f"range {min(round_shares):.0%}-{max(round_shares):.0%}) >= {TARGET_SHARE:.0%}"
        )
    else:
        ok = seconds < FLOAT64_ALEXNET_BUDGET_S
        verdict = (
            f"{'PASS' if ok else 'FAIL'}: {seconds * 1e3:.1f} ms < "
            f"{FLOAT64_ALEXNET_BUDGET_S * 1e3:.0f} ms"
        )
    caveat = " (busy machine: rerun when quiet)" if busy else ""
    print(f"  >> AlexNet conv1 {dtype} forward (threads) {verdict}{caveat}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=10, help="turns of every variant")
    parser.add_argument("--burst", type=int, default=5, help="timed calls per turn")
    parser.add_argument("--warmup", type=int, default=1, help="untimed calls per turn first")
    parser.add_argument(
        "--strict", action="store_true", help="exit with status 1 when a target is missed"
    )
    args = parser.parse_args(argv)
    met = run(args.rounds, args.burst, args.warmup)
    return 1 if args.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())
