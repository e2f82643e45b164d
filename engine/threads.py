"""How the engine uses the machine's cores: BLAS's threads, or its own split of the output rows.

Two policies, one process-wide switch:

* **BLAS threads** (the default, what importing the engine changes nothing about): a kernel
  makes one big GEMM and BLAS spreads it over the cores.
* **Engine threads** (:func:`use_engine_threads`; the server turns it on): BLAS runs
  single-threaded and a large kernel splits its output rows into one part per core, each part
  built *and* multiplied by the same thread.

Why the second exists (``python -m benchmarks.bench_forward``; figures in
benchmarks/README.md): for AlexNet conv1 in float32 the GEMM alone runs near the machine's
matmul peak but the whole forward well below it: one thread copies the 4.4 MB column matrix
while the other core idles, then BLAS's threads multiply columns that one core has just
written. With each thread building and multiplying its own bands of rows, both cores copy and
the bands stay in the cache of the core that uses them. It is process-wide because BLAS's
thread count is.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from itertools import pairwise
from typing import Any, TypeVar

from threadpoolctl import ThreadpoolController

Part = TypeVar("Part")
Result = TypeVar("Result")

# Below this much work a kernel stays on the calling thread: handing part of a small layer to
# another thread costs more than it saves.
SPLIT_MULTIPLY_ADDS = 2**20

_lock = threading.Lock()
_workers = 1  # threads a large kernel splits its work over; 1 = BLAS's own threads decide
_pool: ThreadPoolExecutor | None = None  # the workers beyond the calling thread
_blas_limit: Any = None  # threadpoolctl's limiter while engine threads are on, to restore


def engine_workers() -> int:
    """How many threads a large kernel splits its output rows over (1: it does not split).

    >>> use_blas_threads(); engine_workers()
    1
    """
    return _workers


def worth_splitting(multiply_adds: int) -> bool:
    """Whether work of this size should be split over the engine threads (if they are on).

    >>> worth_splitting(105_415_200), worth_splitting(2 * 3 * 3 * 3 * 3 * 3)  # AlexNet, demo
    (True, False)
    """
    return multiply_adds >= SPLIT_MULTIPLY_ADDS


def use_engine_threads(workers: int | None = None) -> int:
    """Make BLAS single-threaded process-wide and split large kernels over ``workers`` threads.

    ``workers`` defaults to the number of cores; ``1`` keeps every request on its own thread
    (right for a server running one process per core). Calling it again with the same count
    changes nothing. Returns the count in force.

    >>> use_engine_threads(2), engine_workers()
    (2, 2)
    >>> use_blas_threads(); engine_workers()
    1
    """
    global _workers, _pool, _blas_limit
    count = workers if workers is not None else (os.cpu_count() or 1)
    if count < 1:
        raise ValueError(f"workers must be at least 1, not {count}")
    with _lock:
        if _blas_limit is None:
            _blas_limit = ThreadpoolController().limit(limits=1, user_api="blas")
        if count != _workers or (count > 1) != (_pool is not None):
            if _pool is not None:
                _pool.shutdown(wait=False)
            _pool = (
                ThreadPoolExecutor(count - 1, thread_name_prefix="convscope-engine")
                if count > 1
                else None
            )
            _workers = count
    return count


def use_blas_threads() -> None:
    """Back to the default: BLAS's own thread count restored, kernels not split."""
    global _workers, _pool, _blas_limit
    with _lock:
        if _blas_limit is not None:
            _blas_limit.restore_original_limits()
            _blas_limit = None
        if _pool is not None:
            _pool.shutdown(wait=False)
            _pool = None
        _workers = 1


@contextmanager
def policy(workers: int | None) -> Iterator[None]:
    """Engine threads (``workers``) or BLAS threads (``None``) inside, the previous policy after.

    >>> with policy(3):
    ...     engine_workers()
    3
    """
    engine_before = _blas_limit is not None
    workers_before = _workers
    if workers is None:
        use_blas_threads()
    else:
        use_engine_threads(workers)
    try:
        yield
    finally:
        if engine_before:
            use_engine_threads(workers_before)
        else:
            use_blas_threads()


def run_parts(
    work: Callable[[Part], Result], parts: Sequence[Part], *, multiply_adds: int | None = None
) -> list[Result]:
    """``[work(part) for part in parts]``: the first part on the calling thread, the rest on
    the pool when engine threads are on.

    With ``multiply_adds`` (the size of the whole job) too small to be
    :func:`worth_splitting`, everything runs on the calling thread. Returns when all parts
    are done; the first exception raised by any part is re-raised.

    >>> run_parts(lambda n: n * n, [1, 2, 3])
    [1, 4, 9]
    """
    pool = _pool
    small = multiply_adds is not None and not worth_splitting(multiply_adds)
    if pool is None or len(parts) < 2 or small:
        return [work(part) for part in parts]
    futures = [pool.submit(work, part) for part in parts[1:]]
    results: list[Result] = []
    error: BaseException | None = None
    try:
        results.append(work(parts[0]))
    except BaseException as exc:  # re-raised below, once the other parts have finished
        error = exc
    for future in futures:  # wait for every part: none may outlive the arrays it writes
        failure = future.exception()
        if error is None and failure is not None:
            error = failure
        elif failure is None:
            results.append(future.result())
    if error is not None:
        raise error
    return results


def split_evenly(count: int, parts: int) -> list[tuple[int, int]]:
    """``range(count)`` cut into at most ``parts`` contiguous ``(start, stop)`` spans.

    >>> split_evenly(55, 2)
    [(0, 28), (28, 55)]
    >>> split_evenly(1, 4)
    [(0, 1)]
    """
    parts = max(1, min(parts, count))
    bounds = [round(i * count / parts) for i in range(parts + 1)]
    return [(a, b) for a, b in pairwise(bounds) if b > a]
