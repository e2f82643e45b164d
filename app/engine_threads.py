"""The server's engine threads: one :class:`engine.threads.Workers` for the app's lifetime.

The app owns the process, so it sets what is process-wide: while it runs, BLAS is
single-threaded (its thread count is the process's) and large convolutions split their rows
over the app's own workers instead (``engine/threads.py`` says why). Both are undone when the
app stops, so a process that builds an app without running it keeps its BLAS as it was.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI, Request
from threadpoolctl import threadpool_limits

from app.config import Settings
from app.routing import HEAVY_WORK, HeavyWork
from engine.threads import Workers


def worker_count(setting: int) -> int:
    """Threads one large convolution is split over: ``setting``, or one per core for 0.

    >>> worker_count(3), worker_count(0) == (os.cpu_count() or 1)
    (3, True)
    """
    return setting or os.cpu_count() or 1


State = dict[str, Workers | HeavyWork]


def lifespan(settings: Settings) -> Callable[[FastAPI], AbstractAsyncContextManager[State]]:
    """The app's lifespan: its workers and its gate for heavy requests
    (:class:`app.routing.HeavyWork`) in the lifespan state (each request's ``state``), and
    single-threaded BLAS while it runs.

    Lifespan state rather than ``app.state``: two runs of one app object (two test clients,
    say) each get their own, and the app object itself never changes.
    """

    @asynccontextmanager
    async def running(app: FastAPI) -> AsyncIterator[State]:
        with (threadpool_limits(limits=1, user_api="blas"),
              Workers(worker_count(settings.engine_threads)) as pool):
            heavy = HeavyWork(worker_count(settings.heavy_requests), settings.waiting_requests)
            yield {"engine_workers": pool, HEAVY_WORK: heavy}

    return running


def engine_workers(request: Request) -> Workers | None:
    """The running app's workers (None when the app was built but its lifespan not started,
    as by a TestClient used outside ``with``: the engine then lets BLAS thread)."""
    workers: Workers | None = getattr(request.state, "engine_workers", None)
    return workers
