"""Forward-pass benchmark: the engine's conv against PyTorch's on the CPU and a big matmul.

Run ``.venv/bin/python -m benchmarks.bench_forward`` (or ``python benchmarks/bench_forward.py``).
PyTorch is the ``bench`` extra (``.venv/bin/pip install -e '.[bench]'``), never needed by the
app or its tests; without it the ``torch`` rows are left out and their targets not judged.

For each layer and dtype, every variant runs on the same layer arrays in that dtype, built
outside the timer:

* ``workers``  -- ``engine.conv.conv2d`` with a :class:`engine.threads.Workers` of ``n``
  threads, as the API server runs it: BLAS single-threaded, each thread copying and
  multiplying its own bands of output rows;
* ``winograd`` -- the same with ``winograd=True``: Winograd's kernels where a layer fits one
  (56x56x64 and AlexNet conv1; VGG conv1_1 is too shallow), fewer multiplies but rounding
  that follows a tile's largest input, which is why the server does not ask for them;
* ``blas``     -- ``conv2d`` without workers, as a library call: one GEMM that BLAS spreads
  over ``n`` threads;
* ``torch``    -- ``torch.nn.functional.conv2d`` on the same padded input as an NCHW tensor
  (``(1, D, Hp, Wp)``, weights ``(K, D, Fh, Fw)``), with ``n`` threads;
* ``columns``  -- building the im2col matrix alone (a copy of ``windows``), and
* ``gemm``     -- the matrix product alone on prebuilt columns, which split ``blas``;
* ``textbook`` -- plain im2col: ``ascontiguousarray`` of the windows, a GEMM, a bias pass;
* ``indexed``  -- CS231n's ``im2col_indices``: fancy indexing into a ``(D, Hp, Wp)`` input
  (index arrays built outside the timer), ``(K, DFF) @ (DFF, P)``, transpose back,

each as GFLOP/s (2 * multiply-adds / time) and as a share of a 2048x2048 matmul of the same
dtype timed in the same run. ``n`` is PyTorch's own thread count (``torch.get_num_threads()``,
one per core unless told otherwise) or ``--threads``; every variant gets the same.

Timing: in each round every variant takes its turn (``--warmup`` untimed calls, then the
fastest of ``--burst`` timed ones; see ``benchmarks._timing.round_times``), so load from
other processes slows a round of all of them rather than one variant. The table shows the
median over ``--rounds`` rounds; each engine/torch ratio is the median of the per-round
ratios. The targets: ``workers`` / ``torch`` <= 1.0 in float32 and <= 0.8 in float64 on
all three layers, and float32 AlexNet conv1 ``workers`` >= 50 % of the matmul.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from threadpoolctl import threadpool_info, threadpool_limits

if __package__ in (None, ""):  # run as a script: make the checkout importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._timing import (
    ALEXNET_CONV1,
    Case,
    cpu_seconds,
    others_share,
    round_times,
)
from engine.conv import conv2d
from engine.geometry import LayerShape
from engine.layer import Layer, build_layer
from engine.tensors import Fill
from engine.threads import Workers
from engine.windows import windows

TARGET_SHARE = 0.50  # float32 AlexNet conv1 workers / 2048^2 matmul
TORCH_RATIO = {"float32": 1.0, "float64": 0.8}  # engine (workers) time / torch time, at most
MATMUL_SIZE = 2048
BUSY_SHARE = 0.05  # other processes' share of the CPU above which the figures are suspect
# OpenBLAS's and OpenMP's idle threads spin for a while after their last call; the next
# group of variants waits this long so it is not timed against them.
SETTLE_SECONDS = 0.2

CASES = (
    ALEXNET_CONV1,
    Case("56x56x64 K=64 F=3 P=1", LayerShape.square(56, 64, 64, 3, padding=1)),
    Case("VGG conv1_1 224x224x3 K=64 F=3 P=1", LayerShape.square(224, 3, 64, 3, padding=1)),
)

Call = Callable[[], object]


def gflops(flops: float, seconds: float) -> float:
    """GFLOP/s.

    >>> gflops(2e9, 0.5)
    4.0
    """
    return flops / seconds / 1e9


def matmul_call(dtype: npt.DTypeLike) -> Call:
    """A square ``MATMUL_SIZE`` matmul: the machine's practical BLAS peak."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((MATMUL_SIZE, MATMUL_SIZE)).astype(dtype)
    b = rng.standard_normal((MATMUL_SIZE, MATMUL_SIZE)).astype(dtype)
    out = np.empty_like(a)
    return lambda: np.matmul(a, b, out=out)


def make_layer(shape: LayerShape) -> Layer:
    normal = Fill("normal", seed=0)
    return build_layer(shape, input_fill=normal, weight_fill=normal, bias_fill=normal)


def library_parts(layer: Layer, dtype: npt.DTypeLike) -> dict[str, Call]:
    """The variants timed under BLAS's threads (see the module docstring).

    ``columns`` and ``gemm`` repeat what ``engine.conv.conv2d`` does, in its layout: a
    ``(positions, FFD + 1)`` column matrix (the last column all ones for the bias) times a
    ``(FFD + 1, K)`` kernel.
    """
    g = layer.geometry
    xp, w, b = (a.astype(dtype) for a in (layer.x_padded, layer.weights, layer.bias))
    k, per_neuron = g.shape.filters, g.counts.weights_per_neuron
    positions = g.out_height * g.out_width
    kernel = np.vstack([w.reshape(k, per_neuron).T, b[None, :]])  # (FFD + 1, K)
    view = windows(xp, g)  # (H2, W2, Fh, Fw, D)

    def columns() -> npt.NDArray[Any]:
        cols = np.empty((positions, per_neuron + 1), dtype)
        cols[:, per_neuron] = 1
        np.copyto(cols[:, :per_neuron].reshape(view.shape), view)
        return cols

    built = columns()

    def textbook() -> npt.NDArray[Any]:
        cols = np.ascontiguousarray(windows(xp, g)).reshape(positions, per_neuron)
        out: npt.NDArray[Any] = cols @ w.reshape(k, per_neuron).T
        out += b
        return out.reshape(g.output_shape)

    channel, row, col = im2col_indices(layer)
    x_dhw = xp.transpose(2, 0, 1)  # (D, Hp, Wp), a view
    w_rows = w.transpose(0, 3, 1, 2).reshape(k, -1)  # (K, D*Fh*Fw)

    def indexed() -> npt.NDArray[Any]:
        cols = x_dhw[channel, row, col]  # (D*Fh*Fw, P), one gather per element
        out = w_rows @ cols + b[:, None]  # (K, P)
        return np.ascontiguousarray(out.reshape(k, g.out_height, g.out_width).transpose(1, 2, 0))

    return {
        "blas": lambda: conv2d(xp, w, b, g),
        "columns": columns,
        "gemm": lambda: built @ kernel,
        "textbook": textbook,
        "indexed": indexed,
    }


def workers_call(
    layer: Layer, dtype: npt.DTypeLike, workers: Workers, *, winograd: bool = False
) -> Call:
    """``conv2d`` split over ``workers``, as the server calls it (BLAS single-threaded), or
    with Winograd's kernels as well."""
    xp, w, b = (a.astype(dtype) for a in (layer.x_padded, layer.weights, layer.bias))
    return lambda: conv2d(xp, w, b, layer.geometry, workers, winograd=winograd)


def torch_call(layer: Layer, dtype: npt.DTypeLike, torch: Any) -> Call:
    """PyTorch's conv2d on the layer's own padded input and filters, in NCHW."""
    g = layer.geometry
    x = torch.from_numpy(np.ascontiguousarray(layer.x_padded.astype(dtype).transpose(2, 0, 1)))
    w = torch.from_numpy(np.ascontiguousarray(layer.weights.astype(dtype).transpose(0, 3, 1, 2)))
    b = torch.from_numpy(layer.bias.astype(dtype))
    x = x[None]  # (1, D, Hp, Wp): the padding is already in it
    stride = (g.height.stride, g.width.stride)
    dilation = (g.height.dilation, g.width.dilation)
    conv = torch.nn.functional.conv2d

    def call() -> object:
        with torch.inference_mode():
            return conv(x, w, b, stride=stride, dilation=dilation)

    return call


def torch_equals_engine(layer: Layer, dtype: npt.DTypeLike, torch: Any) -> bool:
    """Whether PyTorch's output, back in ``(H2, W2, K)``, matches the engine's: a benchmark
    of the wrong convolution would be no comparison."""
    got = torch_call(layer, dtype, torch)().numpy()[0].transpose(1, 2, 0)  # type: ignore[attr-defined]
    xp, w, b = (a.astype(dtype) for a in (layer.x_padded, layer.weights, layer.bias))
    want = conv2d(xp, w, b, layer.geometry)
    tolerance = 1e-3 if np.dtype(dtype) == np.float32 else 1e-9
    return bool(np.allclose(got, want, rtol=tolerance, atol=tolerance))


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


def variant_names() -> tuple[str, ...]:
    """Every variant in the table, in table order."""
    return ("workers", "winograd", "blas", "torch", "columns", "gemm", "textbook", "indexed")


def row_order(key: str) -> tuple[int, int]:
    """Table order: the matmul first, then by layer as in CASES, then by variant."""
    if key == "matmul":
        return (-1, 0)
    layer_name, variant = key.split("|")
    cases = [case.name for case in CASES]
    return (cases.index(layer_name), variant_names().index(variant))


def settle() -> None:
    """Spin until the previous group's idle threads have gone to sleep.

    Spinning rather than sleeping: after a sleep the first calls run slower, and the groups
    would not start alike.
    """
    deadline = time.perf_counter() + SETTLE_SECONDS
    while time.perf_counter() < deadline:
        pass


def blas_kernel() -> str:
    """Which BLAS and kernel NumPy runs, and whether the environment chose the kernel.

    OpenBLAS picks its kernels by the CPU unless ``OPENBLAS_CORETYPE`` names some; a machine
    may set it (an older OpenBLAS misreads some CPUs), and then every GEMM here runs that
    kernel (Haswell's on a CPU with AVX-512 halves float32's speed): the figures then measure
    the machine's setting. Unset it in the benchmark's command alone to measure NumPy's own
    choice.
    """
    found = [
        f"{info.get('internal_api')} {info.get('version')} ({info.get('architecture')} kernels)"
        for info in threadpool_info()
        if info.get("user_api") == "blas" and "numpy" in str(info.get("filepath", ""))
    ]
    pinned = [f"{name}={os.environ[name]}" for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
              if name in os.environ]
    line = f"numpy's BLAS: {', '.join(found) or 'unknown'}"
    if pinned:
        line += f"; set by the environment: {' '.join(pinned)}"
    return line


@contextmanager
def nothing() -> Iterator[None]:
    yield


def run(rounds: int, burst: int, warmup: int, threads: int | None, cpu_time: bool = False) -> bool:
    """Print the tables; True when every judged target is met."""
    torch = load_torch()
    count = threads or (torch.get_num_threads() if torch else os.cpu_count() or 1)
    if torch:
        torch.set_num_threads(count)
    version = f"torch {torch.__version__}" if torch else "no torch (pip install -e '.[bench]')"
    if cpu_time and count != 1:
        raise SystemExit("--cpu-time times one thread's CPU: use it with --threads 1")
    clock = time.thread_time if cpu_time else time.perf_counter
    print(
        f"cores: {os.cpu_count()}, threads for every variant: {count}; numpy {np.__version__}, "
        f"{version}\nmedian of {rounds} rounds, each the fastest of {burst} back-to-back calls "
        f"after {warmup} untimed; {'CPU time of the calling thread' if cpu_time else 'wall time'}"
    )
    print(blas_kernel())
    met = True
    with Workers(count) as workers:
        for dtype in (np.float32, np.float64):
            met &= run_dtype(np.dtype(dtype), rounds, burst, warmup, count, workers, torch, clock)
    return met


def run_dtype(
    dtype: np.dtype[Any],
    rounds: int,
    burst: int,
    warmup: int,
    count: int,
    workers: Workers,
    torch: Any,
    clock: Callable[[], float] = time.perf_counter,
) -> bool:
    """Time and print one dtype's table and verdicts."""
    # Three groups, each under its own BLAS thread count, taking turns every round.
    groups: list[tuple[Callable[[], AbstractContextManager[Any]], dict[str, Call]]] = [
        (lambda: threadpool_limits(count, "blas"), {"matmul": matmul_call(dtype)}),
        (lambda: threadpool_limits(1, "blas"), {}),
        (nothing, {}),
    ]
    flops = {"matmul": 2 * MATMUL_SIZE**3}
    for case in CASES:
        layer = make_layer(case.shape)
        for variant, call in library_parts(layer, dtype).items():
            groups[0][1][f"{case.name}|{variant}"] = call
        groups[1][1][f"{case.name}|workers"] = workers_call(layer, dtype, workers)
        groups[1][1][f"{case.name}|winograd"] = workers_call(layer, dtype, workers, winograd=True)
        if torch:
            if not torch_equals_engine(layer, dtype, torch):
                raise SystemExit(f"torch and the engine disagree on {case.name} in {dtype}")
            groups[2][1][f"{case.name}|torch"] = torch_call(layer, dtype, torch)
        for variant in variant_names():
            flops[f"{case.name}|{variant}"] = 2 * layer.geometry.counts.multiply_adds
    start, before = time.perf_counter(), cpu_seconds()
    per_round: dict[str, list[float]] = {key: [] for _, calls in groups for key in calls}
    for _ in range(rounds):
        for limits, calls in groups:
            with limits():
                settle()
                for key, times in round_times(calls, 1, warmup, burst, clock).items():
                    per_round[key] += times
    others = others_share(before, cpu_seconds(), time.perf_counter() - start)
    seconds = {key: statistics.median(times) for key, times in per_round.items()}
    peak = gflops(flops["matmul"], seconds["matmul"])
    print(f"\n{dtype.name}: {MATMUL_SIZE}x{MATMUL_SIZE} matmul {peak:.1f} GFLOP/s")
    warning = "  <- busy machine: figures unreliable" if others > BUSY_SHARE else ""
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
    alexnet = f"{CASES[0].name}|workers"
    shares = [
        gflops(flops[alexnet], t) / gflops(flops["matmul"], m)
        for t, m in zip(per_round[alexnet], per_round["matmul"], strict=True)
    ]
    met = report_share(dtype.name, shares, bool(warning))
    if torch:
        met &= report_torch(dtype.name, per_round, bool(warning))
    return met


def report_share(dtype: str, round_shares: list[float], busy: bool) -> bool:
    """PASS/FAIL for float32 AlexNet conv1 ``workers`` against the matmul (median of rounds)."""
    if dtype != "float32":
        return True
    median = statistics.median(round_shares)
    ok = median >= TARGET_SHARE
    caveat = " (busy machine: rerun when quiet)" if busy else ""
    print(
        f"  >> AlexNet conv1 float32 workers {'PASS' if ok else 'FAIL'}: {median:.0%} of matmul "
        f"(median of rounds; range {min(round_shares):.0%}-{max(round_shares):.0%}) "
        f">= {TARGET_SHARE:.0%}{caveat}"
    )
    return ok


def report_torch(dtype: str, per_round: dict[str, list[float]], busy: bool) -> bool:
    """The engine against PyTorch per layer: median of the per-round time ratios."""
    target = TORCH_RATIO[dtype]
    caveat = " (busy machine: rerun when quiet)" if busy else ""
    print(f"  {'engine / torch, median of rounds':40} {'workers':>9} {'winograd':>9} "
          f"{'blas':>8}  target (workers)")
    met = True
    for case in CASES:
        torch_times = per_round[f"{case.name}|torch"]
        ratios = {
            variant: statistics.median(
                t / u for t, u in zip(per_round[f"{case.name}|{variant}"], torch_times, strict=True)
            )
            for variant in ("workers", "winograd", "blas")
        }
        ok = ratios["workers"] <= target
        met &= ok
        print(
            f"  {case.name:40} {ratios['workers']:8.2f}x {ratios['winograd']:8.2f}x "
            f"{ratios['blas']:7.2f}x  "
            f"<= {target}x {'PASS' if ok else 'FAIL'}{caveat}"
        )
    return met


def load_torch() -> Any:
    """PyTorch if the ``bench`` extra is installed, else None."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=10, help="turns of every variant")
    parser.add_argument("--burst", type=int, default=5, help="timed calls per turn")
    parser.add_argument("--warmup", type=int, default=1, help="untimed calls per turn first")
    parser.add_argument(
        "--threads", type=int, default=None,
        help="threads for every variant (default: torch.get_num_threads(), else the cores)",
    )
    parser.add_argument(
        "--cpu-time", action="store_true",
        help="with --threads 1: time each call by its thread's CPU time, which load from other "
        "processes does not inflate (a busy machine)",
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit with status 1 when a target is missed"
    )
    args = parser.parse_args(argv)
    met = run(args.rounds, args.burst, args.warmup, args.threads, args.cpu_time)
    return 1 if args.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())
