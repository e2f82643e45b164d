"""Every error the API answers, in FastAPI's one shape.

``{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}`` for engine refusals (422),
request-validation failures (422), bodies over the limit (413) and unknown presets (404).
Engine errors are translated here once; handlers just let them rise.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from fastapi import FastAPI, Request
from fastapi import HTTPException as ApiHTTPException
from fastapi.exceptions import RequestValidationError
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.encoding import OrjsonResponse
from engine.errors import LayerError
from engine.geometry import GeometryError


def detail(loc: list[str | int], msg: str, kind: str, **ctx: Any) -> dict[str, Any]:
    """One entry of a ``detail`` list.

    Examples
    --------
    >>> detail(["body", "stride"], "does not fit", "layer_error")
    {'loc': ['body', 'stride'], 'msg': 'does not fit', 'type': 'layer_error'}
    """
    entry: dict[str, Any] = {"loc": loc, "msg": msg, "type": kind}
    if ctx:
        entry["ctx"] = ctx
    return entry


def layer_error_detail(error: LayerError) -> dict[str, Any]:
    """An engine refusal as a detail entry; a geometry misfit also carries its suggestions."""
    loc: list[str | int] = ["body", *error.field.split(".")]
    if isinstance(error, GeometryError) and (
        error.suggestions.changes or error.suggestions.notes
    ):
        return detail(
            loc, error.reason, "layer_error",
            suggestions=[
                {"field": s.field, "value": s.value, "output": list(s.output), "text": s.text}
                for s in error.suggestions.changes
            ],
            notes=list(error.suggestions.notes),
        )
    return detail(loc, error.reason, "layer_error")


async def on_layer_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LayerError)  # registered for LayerError only (typing narrowing)
    return OrjsonResponse({"detail": [layer_error_detail(exc)]}, status_code=422)


NON_FINITE_TOKENS = ("NaN", "-Infinity", "Infinity")


def _non_finite_token(body: object, position: object) -> str | None:
    """The NaN/Infinity literal at ``position`` of a refused JSON body, if that is what it is.

    Python's json writes these literals and users send them; orjson (rightly) refuses them,
    and its "unexpected character" alone would leave the user guessing.
    """
    if not isinstance(position, int) or not isinstance(body, str | bytes):
        return None
    text = body[position : position + 9]
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return next((token for token in NON_FINITE_TOKENS if text.startswith(token)), None)


def _validation_entry(error: dict[str, Any], body: object = None) -> dict[str, Any]:
    # Drop "input" (it would echo a whole 2 MB array back) and "url"; stringify ctx values,
    # which pydantic may fill with exception objects.
    entry = detail(list(error["loc"]), str(error["msg"]), str(error["type"]))
    ctx = error.get("ctx")
    if error["type"] == "json_invalid" and ctx:
        position = error["loc"][-1] if error["loc"] else None
        token = _non_finite_token(body, position)
        entry["msg"] = (
            f"the body is not valid JSON: {token} at character {position} is not a number: "
            "every value must be finite"
            if token
            else f"the body is not valid JSON: {ctx.get('error')}"
        )
    elif ctx:
        entry["ctx"] = {key: str(value) for key, value in ctx.items()}
    return entry


async def on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return OrjsonResponse(
        {"detail": [_validation_entry(dict(error), exc.body) for error in exc.errors()]},
        status_code=422,
    )


def _http_entry(request: Request, exc: HTTPException) -> dict[str, Any]:
    """Starlette's plain-text refusals (unknown path, wrong method, ...) as a detail entry
    that names what was wrong: the path, the method."""
    path = request.url.path
    if exc.status_code == 404:
        return detail(["path"], f"nothing at {path}", "not_found")
    if exc.status_code == 405:
        allowed = Headers(exc.headers or {}).get("allow", "")  # Starlette spells it "Allow"
        return detail(["method"], f"{request.method} is not allowed on {path} (allowed: "
                      f"{allowed})", "method_not_allowed")
    if exc.status_code == 413:
        return detail(["body"], str(exc.detail), "body_too_large")
    return detail([], str(exc.detail), "http_error")


METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> str:
    """Every method some route serves at this path, for a 405's ``Allow`` header.

    Starlette's router names only the first route that matched the path, so a path with a
    GET route and a POST route would claim to allow one of them. Asking the router whether
    each method would match fully works whatever nesting of routers FastAPI builds.
    """
    routes = request.app.router.routes
    # A mounted app (StaticFiles) refuses with the mount's root_path in its scope: match
    # from the app's own root again.
    scope = {**request.scope, "root_path": request.scope.get("app_root_path", "")}
    # A Mount matches every method; the one mounted here is StaticFiles, which reads GET/HEAD.
    mounted = any(isinstance(r, Mount) and r.matches(scope)[0] == Match.FULL for r in routes)
    allowed = [
        method for method in METHODS
        if (mounted and method in ("GET", "HEAD")) or any(
            route.matches({**scope, "method": method})[0] == Match.FULL
            for route in routes if not isinstance(route, Mount)
        )
    ]
    return ", ".join(allowed)


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    headers = exc.headers
    if exc.status_code == 405:
        headers = {**(exc.headers or {}), "Allow": allowed_methods(request)}
        exc = HTTPException(405, exc.detail, headers)
    body: Any = exc.detail
    if not isinstance(body, list):
        body = [_http_entry(request, exc)]
    return OrjsonResponse({"detail": body}, status_code=exc.status_code, headers=headers)


class BodyTooLarge(ApiHTTPException):
    """A request body over the limit (FastAPI re-raises HTTPExceptions met reading a body)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, [detail(
            ["body"], f"the body is over this server's limit of {limit:,} bytes "
            "(CONVSCOPE_MAX_BODY_BYTES)", "body_too_large",
        )])


class BodyLimit:
    """413 for request bodies over ``max_bytes``: from Content-Length before a byte is read,
    and by counting the chunks of a body sent without one (it stops at the limit).

    POSTs to the paths in ``exempt_posts`` pass unlimited: their handlers enforce a cap of
    their own while they read (image uploads: ``max_upload_bytes``). Starlette's own limiter
    answers in plain text; this one answers in the API's shape.

    Examples
    --------
    >>> limit = BodyLimit(lambda scope, receive, send: None, 10, exempt_posts={"/api/images"})
    >>> limit.max_bytes, limit.exempt({"type": "http", "method": "POST", "path": "/api/images"})
    (10, True)
    >>> limit.exempt({"type": "http", "method": "POST", "path": "/api/forward"})
    False
    """

    def __init__(
        self, app: ASGIApp, max_bytes: int, exempt_posts: Collection[str] = ()
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.exempt_posts = frozenset(exempt_posts)

    def exempt(self, scope: Scope) -> bool:
        """Whether the request passes without this limit: not HTTP, or an exempt POST."""
        if scope["type"] != "http":
            return True
        return scope.get("method") == "POST" and scope.get("path") in self.exempt_posts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.exempt(scope):
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge:
            # Raised where no exception handler sees it (FastAPI's own body read does).
            if started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        error = BodyTooLarge(self.max_bytes)
        await OrjsonResponse({"detail": error.detail}, status_code=413)(scope, receive, send)


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(LayerError, on_layer_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(HTTPException, on_http_error)
