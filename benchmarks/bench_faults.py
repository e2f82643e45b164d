"""Memory benchmark: minor page faults of a repeated AlexNet conv1 forward.

Run ``.venv/bin/python -m benchmarks.bench_faults`` (or ``python benchmarks/bench_faults.py``).
It prints the minor page faults per float32 forward of AlexNet conv1 (normal fills: the
strided Winograd path) with two engine workers, after a few warm-up forwards, in a fresh
interpreter (whether freed memory goes back to the OS depends on the heap's history). Target:
under 100 per forward. Column bands allocated afresh on a pool thread were handed back to the
OS after each call and faulted in again on the next (about 650 a forward); each worker
thread's scratch (``engine.threads.Workers.scratch``) keeps them.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 100

MEASURE = """
import resource, sys, numpy as np
from engine.conv import forward
from engine.geometry import LayerShape
from engine.layer import build_layer
from engine.tensors import Fill
from engine.threads import Workers
from threadpoolctl import threadpool_limits
normal = Fill("normal", seed=0)
layer = build_layer(LayerShape.square(227, 3, 96, 11, stride=4), input_fill=normal,
                    weight_fill=normal)
calls = int(sys.argv[1])
with threadpool_limits(1, "blas"), Workers(2) as workers:
    for _ in range(3):
        forward(layer, np.float32, workers)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(calls):
        forward(layer, np.float32, workers)
    print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / calls)
"""


def faults_per_forward(calls: int) -> float:
    """The minor page faults per forward, measured in a fresh interpreter."""
    ran = subprocess.run([sys.executable, "-c", MEASURE, str(calls)], capture_output=True,
                         text=True, check=True, timeout=600, cwd=ROOT)
    return float(ran.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=20, help="forwards measured")
    parser.add_argument("--runs", type=int, default=3, help="fresh interpreters, each measured")
    args = parser.parse_args(argv)
    figures = [faults_per_forward(args.calls) for _ in range(args.runs)]
    worst = max(figures)
    print(f"AlexNet conv1 float32 forward, 2 workers: minor page faults per forward "
          f"{', '.join(f'{f:.1f}' for f in figures)} (worst {worst:.1f}; target < {TARGET}, "
          f"ratio {worst / TARGET:.2f})")
    return 0 if worst < TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
