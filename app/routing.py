"""How the API's routes run: JSON bodies read by orjson after the Content-Type rule, and each
handler's work placed by its price, on the event loop or in the thread pool.

A thread-pool round trip costs more CPU than a whole cheap request (an AlexNet single step,
the demo's forward pass), so the API's plain-function handlers run on the event loop first.
Every handler prices its work before doing any (:func:`app.costs.check_budget`), and that
check calls :func:`check_inline`: work priced over :data:`INLINE_WORK` stops the handler with
:class:`Offload`, and it starts again in the thread pool, where nothing stops it. Nothing
has been built by then, so the second start repeats only the reading of the spec.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import functools
import inspect
import weakref
from collections.abc import Callable, Coroutine
from contextlib import AsyncExitStack
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

import anyio
import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.routing import APIRoute, APIRouter, request_response
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from app.config import setting_name
from app.encoding import OrjsonResponse
from app.errors import Refusal
from app.lean import (
    Handler,
    LeanPlan,
    OrjsonRequest,
    listed_numbers,
    query_names,
    refuse_non_json,
    refuse_unknown_query,
)

# The most work a request may do on the event loop, in the cost model's units: ten times
# its fixed cost of a request (app.costs.REQUEST: routing, validation, the answer's envelope),
# so a thread-pool round trip would be a large share of any request under it, and the loop is
# never held long (the heavy requests, an AlexNet forward say, are priced far above it).
INLINE_WORK = 200_000_000
# A body of more nested numbers than this starts in the thread pool: its handler would decode
# them on the event loop only to be priced over INLINE_WORK and decode them again there.
INLINE_LISTED_NUMBERS = 20_000
# The API's routes answer through :class:`app.lean.LeanPlan` where they can; False builds
# them with FastAPI's own handler alone (the tests compare the two).
LEAN = True

_on_event_loop: ContextVar[bool] = ContextVar("on_event_loop", default=False)
# The running app's gate for heavy work, taken from the request's lifespan state by the
# route (:meth:`OrjsonRoute.asgi_app`); None where no lifespan ran (plain thread pool).
_heavy_work: ContextVar[HeavyWork | None] = ContextVar("heavy_work", default=None)
HEAVY_WORK = "heavy_work"  # its key in the lifespan state

P = ParamSpec("P")
R = TypeVar("R")


class HeavyWork:
    """How heavy requests (those :func:`check_inline` sends off the event loop) compute:
    ``at_once`` of them at a time, each on a thread, with at most ``waiting`` more waiting
    their turn, and any further one refused with 503 at once.

    Each request's work is priced and capped (app/costs.py), but without this many clients
    at once would each get a thread of the pool (40 by default) and its arrays: memory grew
    with the clients, and every answer slowed. A CPU-bound request gains nothing from
    running beside more than a core's worth of others.

    A turn lasts until the answer is sent, not until it is computed: a heavy answer (an
    AlexNet forward in JSON is tens of megabytes) stays in memory while a client reads it,
    so freeing the turn at the end of the computation let the next one start beside it, and
    clients that read slowly held one answer each. A turn is freed once its answer has been
    sent, or given up on by :class:`app.encoding.OrjsonResponse` when the client takes none
    of it for a while (an answer never sent frees it when dropped). So memory stays bounded by
    ``at_once`` answers; a client that reads slowly but steadily keeps its turn as long as it
    reads (a proxy in front that buffers answers takes it off the app).
    """

    def __init__(self, at_once: int, waiting: int) -> None:
        self.limiter = anyio.CapacityLimiter(at_once)
        self.waiting = waiting

    def busy(self) -> Refusal:
        """The refusal of a request that finds every turn taken and the queue full."""
        return Refusal(
            503, [], f"the server is busy: {self.limiter.total_tokens:g} heavy requests compute "
            f"at once and {self.waiting} more wait their turn already "
            f"({setting_name('heavy_requests')}, {setting_name('waiting_requests')}); try again "
            "shortly",
            "server_busy", headers={"Retry-After": "1"},
        )

    async def run(self, work: Callable[[], R]) -> R:
        """``work()`` on a thread once one of the ``at_once`` turns is free; a
        :class:`~starlette.responses.Response` it returns holds the turn until it is sent
        (see the class docstring)."""
        limiter = self.limiter
        if limiter.available_tokens < 1 and limiter.statistics().tasks_waiting >= self.waiting:
            raise self.busy()
        turn = _Turn(limiter)
        await limiter.acquire_on_behalf_of(turn)
        try:
            # The pool's own limiter is not the gate: the turn is held already.
            result = await anyio.to_thread.run_sync(work)
        except BaseException:
            turn.free()
            raise
        if isinstance(result, Response):
            turn.free_when_sent(result)
        else:
            turn.free()
        return result


class _Turn:
    """One heavy request's token of :class:`HeavyWork`'s limiter, freed exactly once, on the
    event loop's thread (the limiter is not thread-safe, and a finalizer may run on any)."""

    def __init__(self, limiter: anyio.CapacityLimiter) -> None:
        self._limiter = limiter
        self._held = True
        self._loop = asyncio.get_running_loop()

    def free(self) -> None:
        if self._held:
            self._held = False
            self._limiter.release_on_behalf_of(self)

    def free_when_sent(self, answer: Response) -> None:
        """Freed by the answer once sent or given up on (:class:`app.encoding.OrjsonResponse`),
        or, for one never sent or of another kind, when it is dropped."""
        loop = self._loop

        def soon() -> None:
            with contextlib.suppress(RuntimeError):  # the loop closed: nothing left to free
                loop.call_soon_threadsafe(self.free)

        if isinstance(answer, OrjsonResponse):
            answer.release = self.free  # called on the loop's thread, at the end of sending
        weakref.finalize(answer, soon)


async def run_heavy(work: Callable[[], R]) -> R:
    """``work()`` off the event loop: through the running app's :class:`HeavyWork`, or in
    the thread pool where no lifespan ran."""
    heavy = _heavy_work.get()
    if heavy is None:
        return await run_in_threadpool(work)
    return await heavy.run(work)


def heavy_work_of(scope: Scope) -> None:
    """Make the running app's :class:`HeavyWork` (in ``scope``'s lifespan state) the one
    :func:`run_heavy` uses for this request."""
    state = scope.get("state")
    if state is not None:
        _heavy_work.set(state.get(HEAVY_WORK))


class Offload(Exception):
    """The handler's priced work is too much for the event loop: run it in the thread pool."""


def check_inline(work: int) -> None:
    """Stop a handler running on the event loop whose priced ``work`` is over
    :data:`INLINE_WORK` (elsewhere, and in direct calls, it does nothing).

    Examples
    --------
    >>> check_inline(10 * INLINE_WORK)  # not on the event loop: nothing to do
    """
    if work > INLINE_WORK and _on_event_loop.get():
        raise Offload


def priced(endpoint: Callable[P, R]) -> Callable[P, Coroutine[Any, Any, R]]:
    """``endpoint`` (a plain function) as a coroutine that runs it on the event loop, or in
    the thread pool once its price says it is too much work for the loop.

    Examples
    --------
    >>> def handler(body, settings=None):
    ...     return body
    >>> run = priced(handler)
    >>> inspect.iscoroutinefunction(run), inspect.signature(run)  # what FastAPI reads
    (True, <Signature (body, settings=None)>)
    """

    @functools.wraps(endpoint)
    async def run(*args: P.args, **kwargs: P.kwargs) -> R:
        if listed_numbers.get() > INLINE_LISTED_NUMBERS:
            return await run_heavy(functools.partial(endpoint, *args, **kwargs))
        token = _on_event_loop.set(True)
        try:
            return endpoint(*args, **kwargs)
        except Offload:
            pass
        finally:
            _on_event_loop.reset(token)
        return await run_heavy(functools.partial(endpoint, *args, **kwargs))

    return run


def _in_exit_stacks(full: Handler) -> Handler:
    """FastAPI's handler ``full`` with the two exit stacks its ASGI wrapper gives it (its
    dependencies and uploads close on them); the lean path needs neither."""

    async def run(request: Request) -> Response:
        scope = request.scope
        async with AsyncExitStack() as request_stack:
            scope["fastapi_inner_astack"] = request_stack
            async with AsyncExitStack() as function_stack:
                scope["fastapi_function_astack"] = function_stack
                return await full(request)

    return run


class OrjsonRoute(APIRoute):
    """The API's routes: plain-function handlers placed by :func:`priced`, bodies read with
    :class:`OrjsonRequest` once the content type says JSON, and answered through
    :class:`LeanPlan` where the handler's parameters allow it (FastAPI's own handler
    otherwise, and for every request the lean path does not accept)."""

    # Set on the copies the app holds in its own route list (:func:`add_routes`).
    direct = False

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = priced(endpoint)
        super().__init__(path, endpoint, **kwargs)
        self.app = self.asgi_app()

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        # The router asks every route in front of the one that matches, each a regex and
        # FastAPI's own look-ups. A route the app holds directly whose path has no parameters
        # (its pattern is ^path$) cannot match a path that does not begin with its own.
        if (self.direct and not self.param_convertors and scope["type"] == "http"
                and not scope.get("root_path") and not scope["path"].startswith(self.path)):
            return Match.NONE, {}
        return super().matches(scope)

    def asgi_app(self) -> ASGIApp:
        """The route's ASGI app: a query parameter the handler does not take is refused, as
        an unknown body field is; the rest is :meth:`_answer_app`'s."""
        allowed = query_names(self.dependant)
        model = self.body_field.field_info.annotation if self.body_field is not None else None
        body = frozenset(getattr(model, "model_fields", ()))
        inner = self._answer_app()

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["query_string"]:  # a plain request pays nothing for the check
                refuse_unknown_query(scope["query_string"], allowed, body)
            heavy_work_of(scope)
            await inner(scope, receive, send)

        return app

    def _answer_app(self) -> ASGIApp:
        """With a lean plan: the request straight to its handler, whose refusals rise to the
        app's exception middleware (the same handlers FastAPI's per-route wrapper would call,
        on the same scope); FastAPI's handler, for what the lean path does not accept, runs
        in the exit stacks its own wrapper would open. Without one: FastAPI's wrapper around
        :meth:`get_route_handler`."""
        plan = LeanPlan.of(self) if LEAN else None
        if plan is None:
            return request_response(self.get_route_handler())
        handler = plan.handler(_in_exit_stacks(super().get_route_handler()))

        async def lean(scope: Scope, receive: Receive, send: Send) -> None:
            response = await handler(OrjsonRequest(scope, receive, send))
            await response(scope, receive, send)

        return lean

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        full = super().get_route_handler()
        plan = LeanPlan.of(self) if LEAN else None
        if plan is not None:
            return plan.handler(full)
        if self.body_field is None:
            return full

        async def with_orjson(request: Request) -> Response:
            refuse_non_json(request.headers.get("content-type"))
            return await full(OrjsonRequest(request.scope, request.receive))

        return with_orjson


def add_routes(app: FastAPI, router: APIRouter) -> None:
    """Serve ``router``'s routes from ``app``'s own route list.

    ``app.include_router`` keeps the router as one entry that matches the path against every
    route of the router and, once one matches, matches it again to pick the route: twice the
    routing per request. Routes an ``APIRouter`` built already carry its prefix, tags and
    route class (these routers have no dependencies of their own), so the app holds copies
    of them directly, each answering through a handler that reads ``app``'s dependency
    overrides (the tests' settings) as included routes do.
    """
    for route in router.routes:
        if isinstance(route, APIRoute):
            methods = route.methods or set()
            route = copy.copy(route)
            route.dependency_overrides_provider = app
            if "GET" in methods:
                # HEAD wherever GET is served (RFC 9110): the same handler, and the server
                # sends the headers alone (the OpenAPI document leaves these operations out)
                route.methods = methods | {"HEAD"}
            if isinstance(route, OrjsonRoute):
                route.direct = True
                route.app = route.asgi_app()
            else:
                route.app = request_response(route.get_route_handler())
        app.router.routes.append(route)


class PathTable:
    """The app router's routing, with the routes whose paths have no parameters looked up
    by their path first.

    Starlette's router asks each route in turn whether it matches, so a request for the
    API's eighth route paid for the seven in front of it. Each path's routes are kept in
    the router's order, and only those no route in front of them could take fully (checked
    when the table is made), so the first of them that takes the request is the one the
    router's own scan would pick; a table route serving the request's method is called as
    the scan would call it, without matching its path again. Anything else (no such route,
    none serving the method, a ``root_path``, an included router's context in the scope,
    form limits or FastAPI's own request telemetry, which the scan records) goes to the scan
    as before. The table is made again when the routes change.
    ``form_limits`` is read with a default: FastAPI releases without it have none to apply.
    """

    def __init__(self, router: APIRouter) -> None:
        self.router = router
        self.scan = router.app
        self._made_from: tuple[list[BaseRoute], int] | None = None
        self._table: dict[str, tuple[Route, ...]] = {}

    def table(self) -> dict[str, tuple[Route, ...]]:
        routes = self.router.routes
        if self._made_from is None or self._made_from[0] is not routes or (
                self._made_from[1] != len(routes)):
            self._table = exact_paths(routes)
            self._made_from = (routes, len(routes))
        return self._table

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] == "http" and not scope.get("root_path")
                and "fastapi.telemetry" not in scope
                and "fastapi" not in scope  # an included router's context: its own matching
                and not getattr(self.router, "form_limits", None)):
            for route in self.table().get(scope["path"], ()):
                if scope["method"] not in (route.methods or ()):  # the table's have methods
                    continue  # another route of the path may serve it, else the scan's 405
                # What ``route.matches`` finds for its parameter-free path (``^path$``
                # matches it whole) and a method it serves, and what ``route.handle`` then
                # does, without the regex and FastAPI's and Starlette's scope look-ups.
                child_scope = {"endpoint": route.endpoint,
                               "path_params": dict(scope.get("path_params", {}))}
                if isinstance(route, APIRoute):
                    child_scope["route"] = route
                if "router" not in scope:
                    scope["router"] = self.router
                scope.update(child_scope)
                await route.app(scope, receive, send)
                return
        await self.scan(scope, receive, send)


def exact_paths(routes: list[BaseRoute]) -> dict[str, tuple[Route, ...]]:
    """Each parameter-free route path, with its routes in order, leaving out any route that
    a route in front of it (of another path) would take fully for one of its methods."""
    table: dict[str, list[Route]] = {}
    for k, route in enumerate(routes):
        if not isinstance(route, Route) or route.param_convertors or not route.methods:
            continue
        probes = [{"type": "http", "path": route.path, "root_path": "", "method": method,
                   "headers": [], "query_string": b""} for method in route.methods]
        shadowed = any(
            earlier.matches(probe)[0] is Match.FULL
            for earlier in routes[:k]
            if not (isinstance(earlier, Route) and earlier.path == route.path)
            for probe in probes
        )
        if not shadowed:
            table.setdefault(route.path, []).append(route)
    return {path: tuple(found) for path, found in table.items()}
