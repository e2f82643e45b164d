"""What the engine benchmarks time and how: the layer cases, call timers, the machine's load.

Shared by ``bench_forward.py`` and ``bench_steps.py``. The leading underscore keeps ``make
bench`` from running it as a benchmark of its own.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from engine.geometry import LayerShape


@dataclass(frozen=True)
class Case:
    """A named layer shape to time."""

    name: str
    shape: LayerShape


ALEXNET_CONV1 = Case(
    "AlexNet conv1 227x227x3 K=96 F=11 S=4", LayerShape.square(227, 3, 96, 11, stride=4)
)


def timings(run: Callable[[int], object], arguments: list[int]) -> list[float]:
    """Seconds of each call ``run(a)`` for ``a`` in ``arguments``, each timed on its own.

    >>> len(timings(lambda a: None, [1, 2, 3]))
    3
    """
    times = []
    for argument in arguments:
        start = time.perf_counter()
        run(argument)
        times.append(time.perf_counter() - start)
    return times


def round_times(
    calls: dict[str, Callable[[], object]],
    rounds: int,
    warmup: int,
    burst: int = 1,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, list[float]]:
    """Per round, the fastest of ``burst`` back-to-back timed calls of each, in seconds.

    The calls take turns (round robin), so a burst of load from another process slows one
    round of all of them rather than every repeat of one. Within its turn a call first runs
    ``warmup`` times untimed, so it is timed in the steady state a caller repeating it sees
    (its arrays in cache), not in the state the previous call left behind: after a 2048^2
    matmul has streamed 48 MB through the caches, the first conv that follows pays cache
    misses that no request in the server pays (the ``cold`` row shows how much). The minimum
    is kept because noise only ever adds time.

    >>> times = round_times({"a": lambda: None, "b": lambda: None}, rounds=3, warmup=1)
    >>> sorted(times), len(times["a"])
    (['a', 'b'], 3)
    """
    per_round: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            for _ in range(warmup):
                call()
            fastest = float("inf")
            for _ in range(burst):
                start = clock()
                call()
                fastest = min(fastest, clock() - start)
            per_round[name].append(fastest)
    return per_round


def first_call_times(
    before: Callable[[], object], call: Callable[[], object], rounds: int
) -> list[float]:
    """Seconds of ``call`` timed right after an untimed ``before``, ``rounds`` times.

    The cold-cache figure beside :func:`round_times`' steady one.

    >>> len(first_call_times(lambda: None, lambda: None, rounds=2))
    2
    """
    times = []
    for _ in range(rounds):
        before()
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return times


def cpu_seconds() -> tuple[float, float]:
    """(busy CPU seconds of the whole machine, CPU seconds of this process) so far.

    The machine's figure comes from ``/proc/stat`` (Linux); elsewhere it is NaN.
    """
    own = os.times()
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return float("nan"), own.user + own.system
    ticks = [int(v) for v in fields]
    idle = ticks[3] + ticks[4]  # idle + iowait
    hz = os.sysconf("SC_CLK_TCK")
    return (sum(ticks[:8]) - idle) / hz, own.user + own.system


def others_share(before: tuple[float, float], after: tuple[float, float], wall: float) -> float:
    """The share of all cores other processes kept busy between two :func:`cpu_seconds`.

    >>> others_share((10.0, 4.0), (13.0, 6.0), wall=1.0) * (os.cpu_count() or 1)
    1.0
    """
    machine = after[0] - before[0]
    own = after[1] - before[1]
    return max(0.0, machine - own) / (wall * (os.cpu_count() or 1))
