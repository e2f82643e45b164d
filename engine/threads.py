"""Splitting a large kernel over threads the caller owns: :class:`Workers`.

The engine keeps no threads, pools or buffers of its own between calls. A kernel called
without ``workers`` makes one big GEMM and lets BLAS spread it over the cores. A caller that
wants more (the API server) creates a :class:`Workers`, runs BLAS single-threaded while it
exists (``threadpoolctl.threadpool_limits(1, "blas")``: BLAS's thread count is the
process's, so only the process's owner should set it) and passes it to the kernels: a large
kernel then cuts its output rows into parts, and each thread both builds and multiplies its
parts' cache-sized bands of columns. With BLAS threads one core copies the column matrix
while the other waits, and then the GEMM reads columns the other core wrote; split this way
both cores copy and each band stays in the cache of the core that uses it
(``benchmarks/bench_forward.py`` times both ways, figures in ``benchmarks/README.md``).
:meth:`Workers.run` gives each thread fixed parts, :meth:`Workers.share` lets the threads draw
parts until none are left (the cores of a virtual machine need not run alike).
"""

from __future__ import annotations

import math
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from itertools import pairwise
from types import TracebackType
from typing import Any, Generic, TypeVar

import numpy as np
import numpy.typing as npt

Part = TypeVar("Part")
Result = TypeVar("Result")

# Below this much work a kernel stays on the calling thread: handing part of a small layer to
# another thread costs more than the part itself.
SPLIT_MULTIPLY_ADDS = 2**20


class Workers:
    """``count`` threads large kernels may split their work over: the calling thread and a
    pool of ``count - 1``, plus each thread's scratch memory, kept until :meth:`close`.

    Several threads may call kernels with the same ``Workers`` at once: each part runs on one
    thread at a time and uses that thread's own scratch. Run BLAS single-threaded while
    kernels use it (see the module docstring); the answers are the same either way.

    >>> with Workers(2) as workers:
    ...     workers.count, workers.run(lambda n: n * n, [1, 2, 3])
    (2, [1, 4, 9])
    """

    def __init__(self, count: int, *, scratch_bytes: int = 8 * 2**20) -> None:
        if count < 1:
            raise ValueError(f"count must be at least 1, not {count}")
        self.count = count
        # The largest buffer one thread keeps for the next call. Allocating it afresh on a
        # pool thread let glibc hand its pages back to the OS after each call, so every call
        # faulted them in again. Large enough for a thread's whole share of AlexNet conv1 in
        # engine.winograd_strided, in float64 too: there one band per thread beats bands sized
        # to the cache, whose extra NumPy calls each risk a wait for the GIL.
        self.scratch_bytes = scratch_bytes
        self._local = threading.local()
        # The pool: threads taking parts from one queue. Lighter than a ThreadPoolExecutor,
        # whose submit and futures cost each part more than a short kernel can spare.
        self._queue: queue.SimpleQueue[_Task[Any, Any] | None] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._serve, name=f"convscope-engine_{i}", daemon=True)
            for i in range(count - 1)
        ]
        for thread in self._threads:
            thread.start()

    def _serve(self) -> None:
        while (task := self._queue.get()) is not None:
            task.run()

    def run(
        self,
        work: Callable[[Part], Result],
        parts: Sequence[Part],
        *,
        multiply_adds: int | None = None,
    ) -> list[Result]:
        """``[work(part) for part in parts]``: the first part on the calling thread, the rest
        on the pool, unless ``multiply_adds`` (the whole job's size) is too small to be
        :func:`worth_splitting`.

        Returns when every part is done; the first exception of any part is re-raised then.
        """
        small = multiply_adds is not None and not worth_splitting(multiply_adds)
        if not self._threads or len(parts) < 2 or small:
            return [work(part) for part in parts]
        tasks = [_Task(work, part) for part in parts[1:]]
        for task in tasks:
            self._queue.put(task)
        results: list[Result] = []
        error: BaseException | None = None
        try:
            results.append(work(parts[0]))
        except BaseException as exc:  # re-raised below, once the other parts have finished
            error = exc
        for task in tasks:  # wait for every part: none may outlive the arrays it writes
            task.done.acquire()
            if task.error is not None:
                error = error or task.error
            else:
                results.append(task.result)  # type: ignore[arg-type]
        if error is not None:
            raise error
        return results

    def share(
        self,
        work: Callable[[Iterator[Part]], object],
        parts: Sequence[Part],
        *,
        multiply_adds: int | None = None,
    ) -> None:
        """Every part done by whichever thread is free: ``work(parts)`` runs once on each
        thread, all of them drawing from one iterator, so each part is taken by one thread,
        and a thread takes the next part as soon as it is done with its last (the calling
        thread alone if ``multiply_adds`` is too small to be :func:`worth_splitting`).

        A thread whose core runs slower (a virtual CPU that also serves interrupts, say) simply
        takes fewer parts, where :meth:`run`'s fixed parts would all wait for it. ``work`` may
        set up per-thread state once before drawing. The first exception of any thread is
        re-raised once every thread has stopped.

        >>> done = []
        >>> with Workers(2) as workers:
        ...     workers.share(lambda parts: done.extend(p * p for p in parts), [1, 2, 3])
        >>> sorted(done)
        [1, 4, 9]
        """
        pending = iter(parts)  # shared: a list iterator hands each item out once (the GIL)
        small = multiply_adds is not None and not worth_splitting(multiply_adds)
        if not self._threads or len(parts) < 2 or small:
            work(pending)
            return
        self.run(lambda _: work(pending), range(min(self.count, len(parts))))

    def scratch(self, shape: tuple[int, ...], dtype: np.dtype[Any]) -> npt.NDArray[Any]:
        """An uninitialised array, this thread's own buffer when it fits ``scratch_bytes``.

        The caller uses it only until its kernel call returns: the next call on the same
        thread gets the same memory.

        >>> with Workers(1) as workers:
        ...     a = workers.scratch((2, 3), np.dtype(np.float64))
        ...     b = workers.scratch((3, 2), np.dtype(np.float32))
        >>> bool(np.shares_memory(a, b)), b.shape, b.dtype
        (True, (3, 2), dtype('float32'))
        """
        nbytes = math.prod(shape) * dtype.itemsize
        if nbytes > self.scratch_bytes:
            return np.empty(shape, dtype)
        kept: npt.NDArray[np.uint8] | None = getattr(self._local, "buffer", None)
        if kept is None or kept.nbytes < nbytes:
            kept = self._local.buffer = np.empty(nbytes, np.uint8)
        return kept[:nbytes].view(dtype).reshape(shape)

    def close(self) -> None:
        """Stop the pool's threads once their parts are done (the calling thread's scratch
        goes with this object); later calls run every part on the calling thread."""
        threads, self._threads = self._threads, []
        for _ in threads:
            self._queue.put(None)
        for thread in threads:
            thread.join()

    def __enter__(self) -> Workers:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def run_parts(
    work: Callable[[Part], Result],
    parts: Sequence[Part],
    workers: Workers | None,
    *,
    multiply_adds: int | None = None,
) -> list[Result]:
    """``workers.run(...)`` when there are workers, else every part on the calling thread.

    >>> run_parts(lambda n: -n, [1, 2], None)
    [-1, -2]
    """
    if workers is None:
        return [work(part) for part in parts]
    return workers.run(work, parts, multiply_adds=multiply_adds)


def worth_splitting(multiply_adds: int) -> bool:
    """Whether work of this size should be split over threads.

    >>> worth_splitting(105_415_200), worth_splitting(2 * 3 * 3 * 3 * 3 * 3)  # AlexNet, demo
    (True, False)
    """
    return multiply_adds >= SPLIT_MULTIPLY_ADDS


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


class _Task(Generic[Part, Result]):
    """One part for a pool thread: ``done`` is held until the part has run."""

    __slots__ = ("done", "error", "part", "result", "work")

    def __init__(self, work: Callable[[Part], Result], part: Part) -> None:
        self.work, self.part = work, part
        self.result: Result | None = None
        self.error: BaseException | None = None
        self.done = threading.Lock()
        self.done.acquire()

    def run(self) -> None:
        try:
            self.result = self.work(self.part)
        except BaseException as exc:  # handed to the caller, which re-raises it
            self.error = exc
        finally:
            self.done.release()
