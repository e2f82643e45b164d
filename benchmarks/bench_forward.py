"""Forward-pass benchmark: GFLOP/s of the conv kernels against a big matmul on this machine.

Run ``.venv/bin/python -m benchmarks.bench_forward`` (or ``python benchmarks/bench_forward.py``).
For each layer and dtype it prints the best time of ``--repeats`` runs (after warm-up) of

* ``forward``   -- ``engine.conv.forward(layer, dtype)``, the path the API takes;
* ``columns``   -- building the im2col matrix alone (a copy of ``windows``), and
* ``gemm``      -- the matrix product alone on prebuilt columns, which split ``forward``;
* ``textbook``  -- plain im2col for comparison, from the same float64 layer arrays as
  ``forward`` (cast inside the timer): ``ascontiguousarray`` of the windows, a GEMM, then a
  separate bias pass,

each as GFLOP/s (2 * multiply-adds / time) and as a share of a 2048x2048 matmul of the same
dtype timed in the same run. The target: float32 AlexNet conv1 ``forward`` >= 40 % of the
matmul (50 % aimed for), and float64 AlexNet conv1 well under 100 ms.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

if __package__ in (None, ""):  # run as a script: make the checkout importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._timing import ALEXNET_CONV1, Case, best_times, cpu_seconds, others_share
from engine.conv import forward, windows
from engine.geometry import LayerShape
from engine.layer import Layer, build_layer
from engine.tensors import Fill

TARGET_SHARE = 0.40  # float32 AlexNet conv1 forward / 2048^2 matmul
AIM_SHARE = 0.50
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

    return {
        "forward": lambda: forward(layer, dtype),
        "columns": columns,
        "gemm": lambda: built @ kernel,
        "textbook": textbook,
    }


def run(repeats: int, warmup: int) -> bool:
    """Print the table; True when the targets are met.

    Per dtype, the matmul and every (layer, variant) are timed in one round robin.
    """
    print(f"cores: {os.cpu_count()}, numpy {np.__version__}, best of {repeats} after {warmup}")
    met = True
    for dtype in (np.float32, np.float64):
        name = np.dtype(dtype).name
        calls: dict[str, Callable[[], object]] = {"matmul": matmul_call(dtype)}
        flops = {"matmul": 2 * MATMUL_SIZE**3}
        for case in CASES:
            layer = make_layer(case.shape)
            for variant, call in kernel_parts(layer, dtype).items():
                calls[f"{case.name}|{variant}"] = call
                flops[f"{case.name}|{variant}"] = 2 * layer.geometry.counts.multiply_adds
        start, before = time.perf_counter(), cpu_seconds()
        seconds = best_times(calls, repeats, warmup)
        others = others_share(before, cpu_seconds(), time.perf_counter() - start)
        peak = gflops(flops["matmul"], seconds["matmul"])
        print(f"\n{name}: {MATMUL_SIZE}x{MATMUL_SIZE} matmul {peak:.1f} GFLOP/s")
        # A 100 ms matmul rarely finds the quiet gap a 2 ms layer does: load inflates ratios.
        warning = "  <- busy machine: ratios unreliable" if others > BUSY_SHARE else ""
        print(f"  other processes used {others:.0%} of the CPU while timing{warning}")
        print(f"  {'layer':40} {'variant':9} {'ms':>8} {'GFLOP/s':>8} {'of matmul':>9}")
        for key in list(calls)[1:]:
            layer_name, variant = key.split("|")
            rate = gflops(flops[key], seconds[key])
            # Building columns does no arithmetic: its time is what it costs the forward.
            figures = (
                f"{'-':>8} {'-':>9}" if variant == "columns" else f"{rate:8.1f} {rate / peak:9.0%}"
            )
            print(f"  {layer_name:40} {variant:9} {seconds[key] * 1e3:8.2f} {figures}")
        alexnet = f"{CASES[0].name}|forward"
        met &= report_target(
            name, seconds[alexnet], gflops(flops[alexnet], seconds[alexnet]) / peak, bool(warning)
        )
    return met


def report_target(dtype: str, seconds: float, share: float, busy: bool = False) -> bool:
    """Print PASS/FAIL for AlexNet conv1's forward in ``dtype``."""
    if dtype == "float32":
        ok = share >= TARGET_SHARE
        aim = "aim met" if share >= AIM_SHARE else f"aim {AIM_SHARE:.0%} not met"
        verdict = f"{'PASS' if ok else 'FAIL'}: {share:.0%} of matmul >= {TARGET_SHARE:.0%} ({aim})"
    else:
        ok = seconds < FLOAT64_ALEXNET_BUDGET_S
        verdict = (
            f"{'PASS' if ok else 'FAIL'}: {seconds * 1e3:.1f} ms < "
            f"{FLOAT64_ALEXNET_BUDGET_S * 1e3:.0f} ms"
        )
    caveat = " (busy machine: rerun when quiet)" if busy else ""
    print(f"  >> AlexNet conv1 {dtype} forward {verdict}{caveat}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeats", type=int, default=20, help="timed runs per variant")
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs first")
    parser.add_argument(
        "--strict", action="store_true", help="exit with status 1 when a target is missed"
    )
    args = parser.parse_args(argv)
    met = run(args.repeats, args.warmup)
    return 1 if args.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())
