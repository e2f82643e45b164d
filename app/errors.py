"""Every refusal the API answers, in FastAPI's one shape, through one path.

``{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}``. Code that refuses a request
raises a :class:`Refusal` (status, loc, msg, type); the engine raises its own domain error,
:class:`engine.errors.LayerError`; Starlette raises its 404s and 405s. :func:`on_refusal`, the
one handler, turns each into a :class:`Refusal` (:func:`as_refusal`) and answers it;
:class:`BodyLimit`, which runs before any handler, answers its 413 the same way. Request
validation (pydantic's list of errors) has its own handler, in the same shape.
The ``type`` strings are listed in docs/design.md ("Errors").
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import validation
from app.config import ServerLimit, Settings, setting_name, settings_for
from app.encoding import OrjsonResponse
from engine.errors import LayerError
from engine.geometry import GeometryError, Suggestion


def detail(loc: list[str | int], msg: str, kind: str, **ctx: Any) -> dict[str, Any]:
    """One entry of a ``detail`` list.

    Examples
    --------
    >>> detail(["body", "stride"], "does not fit", "layer_error")
    {'loc': ['body', 'stride'], 'msg': 'does not fit', 'type': 'layer_error'}
    """
    entry: dict[str, Any] = {"loc": loc, "msg": _long_numbers_cut(msg), "type": kind}
    if ctx:
        entry["ctx"] = ctx
    return entry


# A number a message quotes is cut past this many characters (digits and thousands commas),
# as validation cuts the values it echoes: a stride of 10**4200 was quoted digit by digit,
# 11 KB of message.
# Only a number: a run of digits, or digits grouped by thousands (a list written without
# spaces, [1,2,3,...], is not one).
_LONG_NUMBER = re.compile(
    rf"\d{{{validation.SHOWN_CHARS + 1},}}|\d{{1,3}}(?:,\d{{3}}){{{validation.SHOWN_CHARS // 4},}}")


def _long_numbers_cut(msg: str) -> str:
    """``msg`` with each number longer than 60 characters cut, its length said.

    >>> _long_numbers_cut("stride " + "1" + "0" * 99 + " is too large")
    'stride 1000000000000000000000000... (100 digits) is too large'
    """
    def cut(match: re.Match[str]) -> str:
        digits = sum(c.isdigit() for c in match.group())
        return f"{match.group()[:25]}... ({digits} digits)"

    return _LONG_NUMBER.sub(cut, msg)


def answer(status: int, entries: list[dict[str, Any]],
           headers: Mapping[str, str] | None = None) -> Response:
    """The error response: ``{"detail": entries}`` with ``status``."""
    return OrjsonResponse({"detail": entries}, status_code=status, headers=headers)


class Refusal(HTTPException):
    """A request the API refuses: its HTTP ``status``, where (``loc``), why (``msg``) and which
    failure (``type``, one string per kind of failure everywhere), plus optional ``ctx``.

    An :class:`HTTPException`, so FastAPI lets it through untouched when it rises while a body
    is read (the body limit raises it there) instead of turning it into a 400.

    Examples
    --------
    >>> Refusal(404, ["path", "name"], "no preset 'x'", "not_found").entry()
    {'loc': ['path', 'name'], 'msg': "no preset 'x'", 'type': 'not_found'}
    """

    def __init__(
        self, status: int, loc: Sequence[str | int], msg: str, type: str,
        ctx: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None,
        also: Sequence[Refusal] = (),
    ) -> None:
        super().__init__(status, msg, headers)
        self.loc = list(loc)
        self.msg = msg
        self.type = type
        self.ctx = dict(ctx or {})
        self.also = tuple(also)  # other fields refused with it, one entry each

    def entry(self) -> dict[str, Any]:
        return detail(self.loc, self.msg, self.type, **self.ctx)

    def entries(self) -> list[dict[str, Any]]:
        """Its entry and those of the fields refused with it: the answer's ``detail``."""
        return [self.entry(), *(other.entry() for other in self.also)]

    def response(self) -> Response:
        return answer(self.status_code, self.entries(), self.headers)


def unknown_name(what: str, name: str, known: Iterable[str]) -> Refusal:
    """The 404 of a path ``name`` that names no ``what``, listing the names there are.

    >>> unknown_name("preset", "x", ["a", "b"]).entry()
    {'loc': ['path', 'name'], 'msg': "no preset 'x'; known: a, b", 'type': 'unknown_name'}
    """
    return Refusal(404, ["path", "name"], f"no {what} {validation.cut_short(name)!r}; known: "
                   f"{', '.join(known)}", "unknown_name")


def media_type(content_type: str | None) -> tuple[str, str]:
    """A Content-Type header's media type, lower case, and its parameters (after the first
    ``;``); ``("", "")`` for no header.

    >>> media_type("Application/JSON; charset=utf-8")
    ('application/json', ' charset=utf-8')
    """
    media, _, params = (content_type or "").partition(";")
    return media.strip().lower(), params


def unsupported_media(msg: str) -> Refusal:
    """The 415 of a body the endpoint does not read: ``msg`` says what was sent (see
    :func:`sent_as`) and what to send."""
    return Refusal(415, ["header", "content-type"], msg, "unsupported_media_type")


def sent_as(media: str) -> str:
    """What the body was said to be, for a 415's message; ``""``: no Content-Type.

    >>> sent_as("text/plain"), sent_as("")
    ("the body is sent as 'text/plain'", 'the body has no Content-Type')
    """
    return f"the body is sent as {media!r}" if media else "the body has no Content-Type"


# The ``type`` of every refusal of a request over one of this server's limits (a size, the
# number of edits, the elements or work a request would take): the request may be right, and
# a server with higher CONVSCOPE_ settings would answer it. Images' limits name their part.
OVER_LIMIT = "over_limit"
# The ``ctx`` key of an over_limit refusal that blames the filters' count: how many pass.
FILTERS_PASS = "filters_pass"


def _loc(field: str) -> list[str | int]:
    """``["body", *field path]``, list positions as ints like pydantic's own locs:
    edits.1.index -> "body", "edits", 1, "index"; "" (the body as a whole) -> "body"."""
    return ["body", *(int(p) if p.isdigit() else p for p in field.split(".") if p)]


def suggestion_fields(s: Suggestion) -> dict[str, Any]:
    """A suggestion as the API writes it (schema ``SuggestionResult``), in a geometry answer
    and in a misfit's 422 alike."""
    return {"field": s.field, "value": s.value, "output": list(s.output), "text": s.text,
            "leave_out": list(s.leave_out), "also": dict(s.also), "limit": s.limit,
            "limit_words": s.limit_words}


def layer_refusal(error: LayerError) -> Refusal:
    """An engine refusal as a 422 at ``["body", *field path]``; a geometry misfit also
    carries in ``ctx`` the locs of every field that could fix it (``fields``, the blamed
    ``loc`` first: a misfit has one loc, though padding or the filter size may fix it as well
    as the stride), its suggestions and notes; a budget's refusal, how many filters pass
    (:data:`FILTERS_PASS`) where it blames their count."""
    ctx: dict[str, Any] = dict(error.ctx)
    if isinstance(error, GeometryError) and (
        error.suggestions.changes or error.suggestions.notes
    ):
        ctx |= {
            "fields": [_loc(field) for field in error.fields],
            "suggestions": [suggestion_fields(s) for s in error.suggestions.changes],
            "notes": list(error.suggestions.notes),
        }
    also = [layer_refusal(other) for other in error.also]
    return Refusal(422, _loc(error.field), error.reason, error.kind, ctx, also=also)


def as_refusal(request: Request, exc: Exception) -> Refusal:
    """Any refusal as a :class:`Refusal`: itself, an engine error, or Starlette's plain-text
    404/405 (which then name what was wrong: the path, the method)."""
    if isinstance(exc, Refusal):
        return exc
    if isinstance(exc, LayerError):
        return layer_refusal(exc)
    assert isinstance(exc, HTTPException)  # registered for these three only (typing narrowing)
    path = request.url.path
    if exc.status_code == 404:
        stripped = path.rstrip("/")
        known = stripped != path and any(
            getattr(route, "path", None) == stripped for route in request.app.routes)
        hint = f": the path is {stripped}, with no slash at the end" if known else ""
        return Refusal(404, ["path"], f"nothing at {path}{hint}", "not_found",
                       headers=exc.headers)
    if exc.status_code == 405:
        allowed = allowed_methods(request)
        return Refusal(405, ["method"], f"{request.method} is not allowed on {path} (allowed: "
                       f"{allowed})", "method_not_allowed",
                       headers={**(exc.headers or {}), "Allow": allowed})
    return Refusal(exc.status_code, [], str(exc.detail), "http_error", headers=exc.headers)


async def on_refusal(request: Request, exc: Exception) -> Response:
    """The one handler of refusals: see :func:`as_refusal`."""
    return as_refusal(request, exc).response()


NON_FINITE_TOKENS = ("NaN", "-Infinity", "Infinity")


def non_finite_token(body: object, position: object) -> tuple[str, int] | None:
    """The NaN/Infinity literal at ``position`` of a refused JSON body, if that is what it is,
    and where it starts (orjson points past a minus sign, at the ``I`` of ``-Infinity``).

    Python's json writes these literals and users send them; orjson (rightly) refuses them,
    and its "unexpected character" alone would leave the user guessing.

    >>> non_finite_token('[-Infinity]', 2), non_finite_token('[NaN]', 1)
    (('-Infinity', 1), ('NaN', 1))
    """
    if not isinstance(position, int) or not isinstance(body, str | bytes):
        return None
    start = max(0, position - 1)
    text = body[start : position + 9]
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    if position > 0 and text.startswith("-Infinity"):
        return "-Infinity", start
    text = text[position - start:]
    token = next((token for token in NON_FINITE_TOKENS if text.startswith(token)), None)
    return None if token is None else (token, position)


def where_in(body: object, position: object) -> str:
    r"""" at line L, column C" of character ``position`` of a JSON body ("" when unknown): a
    parser's own words ("expected 'null'" for a body starting with n) say little without it.

    >>> where_in(b'{"a": 1,\n "b": x}', 15), where_in(None, 3)
    (' at line 2, column 7', '')
    """
    if not isinstance(position, int) or not isinstance(body, str | bytes):
        return ""
    before = body[:position]
    text = before.decode("utf-8", "replace") if isinstance(before, bytes) else before
    line, line_start = text.count("\n") + 1, text.rfind("\n") + 1
    return f" at line {line}, column {len(text) - line_start + 1}"


def _validation_entry(error: dict[str, Any], body: object = None) -> dict[str, Any]:
    # Drop "input" (it would echo a whole 2 MB array back) and "url"; stringify ctx values
    # JSON has no word for, which pydantic may fill with exception objects (a bound stays the
    # number it is: {"ge": 1}, where a client read "1")
    entry = detail(list(error["loc"]), str(error["msg"]), str(error["type"]))
    ctx = error.get("ctx")
    if error["type"] == "json_invalid" and ctx:
        position = error["loc"][-1] if error["loc"] else None
        found = non_finite_token(body, position)
        said = str(ctx.get("error"))
        if found:
            token, at = found
            entry["msg"] = (f"the body is not valid JSON: {token} at character {at} is not a "
                            "number: every value must be finite")
        elif "infinity when parsed" in said:  # 1e400: past a float's largest, about 1.8e308
            entry["msg"] = (f"the body is not valid JSON: the number at character {position} is "
                            "too large for a float (about 1.8e308 at most): every value must "
                            "be finite")
        else:
            entry["msg"] = f"the body is not valid JSON{where_in(body, position)}: {said}"
    elif ctx:
        entry["ctx"] = {key: value if _json_number_or_text(value) else str(value)
                        for key, value in ctx.items()}
    return entry


def _json_number_or_text(value: object) -> bool:
    """Whether JSON writes ``value`` as itself: text, a bool or a finite number.

    >>> [_json_number_or_text(v) for v in (1, 2.5, "x", True, float("inf"), ValueError())]
    [True, True, True, True, False, False]
    """
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, (str, int))


def body_entries(errors: Sequence[Any], body: object, settings: Settings,
                 ) -> list[dict[str, Any]]:
    """The refusal's entries for pydantic's ``errors`` of a request ``body`` (the first
    :data:`MOST_ERRORS` of them): one per wrong field, in the field's words
    (:func:`app.validation.clean`)."""
    return [_validation_entry(e, body)
            for e in validation.clean(list(errors[:MOST_ERRORS]), body, settings)]


# A refusal lists at most MOST_ENTRIES fields, read from pydantic's first MOST_ERRORS errors
# (a union field's one entry comes from several).
MOST_ERRORS = 1000
MOST_ENTRIES = 100


async def on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    from app import body_guard  # both refuse through this module
    from app.lean import query_names

    settings = await settings_for(request.app)
    try:
        # a small body skipped the guard before validation (app.lean.guard); refused, it
        # gets the answer a large one with the same fault gets
        body_guard.check(exc.body, settings.limit("max_edits"))
    except Refusal as refusal:
        return refusal.response()
    raw = exc.errors()
    entries = body_entries(raw, exc.body, settings)
    if len(entries) > MOST_ENTRIES or len(raw) > MOST_ERRORS:
        # a body wrong in thousands of places (a list of edits that are not objects): the
        # first say what is wrong; the rest would only be a bigger answer (and reading them
        # all, seconds of the event loop)
        # how many: exactly, unless there were more errors than were read
        many = f"{'at least ' if len(raw) > MOST_ERRORS else ''}{len(entries):,}"
        entries = [*entries[:MOST_ENTRIES], {
            "loc": ["body"], "type": "too_many_errors",
            "msg": f"the body is wrong in {many} places, more than the "
                   f"{min(len(entries), MOST_ENTRIES)} listed here; mend these and send it "
                   "again to see the rest",
        }]
    dependant = getattr(request.scope.get("route"), "dependant", None)
    takes = query_names(dependant) if dependant else frozenset()
    for entry in entries:
        # a query parameter sent in the body (/api/steps takes encoding there, the rest not)
        if (entry["type"] == "extra_forbidden" and len(entry["loc"]) == 2
                and entry["loc"][1] in takes):
            name = entry["loc"][1]
            entry["msg"] += f"; {name} goes in the query string here: ?{name}=..."
    return answer(422, entries)


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


# ----------------------------------------------------------------------------- body limit


# Headers of a refusal sent before the body was read: the connection closes after it. Kept
# open, the server would read the client's next request as the rest of the unread body, and
# the client would wait for an answer that never comes (RFC 9112, 9.6: a server that does
# not read a body closes the connection).
UNREAD = {"Connection": "close"}
# How long a request's body may go with none of it arriving (BodyLimit), unless the settings
# say.
BODY_SECONDS = 30.0


@dataclass(frozen=True)
class Limit:
    """A request-body limit in bytes and the setting that sets it (the refusal names it)."""

    max_bytes: int
    setting: str

    def refusal(self, sent: int | None = None) -> Refusal:
        """The 413 of a body over the limit. ``sent``: the bytes its Content-Length declares,
        given in the sentence and as ``ctx.needed`` (as a budget's refusal gives what it
        needed), so a client can say how far over it is; unknown for a chunked body, which is
        stopped once past the limit.

        >>> Limit(10, "CONVSCOPE_MAX_BODY_BYTES").refusal(25).entries()[0]["ctx"]
        {'limit': 10, 'setting': 'CONVSCOPE_MAX_BODY_BYTES', 'needed': 25}
        """
        limit = ServerLimit(self.max_bytes, self.setting)
        size = "" if sent is None else f" ({sent:,} bytes)"
        return Refusal(413, ["body"], f"the body{size} is over this server's limit of "
                       f"{self.max_bytes:,} bytes ({self.setting})", "body_too_large",
                       limit.ctx if sent is None else limit.needing(sent), headers=UNREAD)


# Methods whose bodies no route reads: their requests pass without counting.
_BODILESS = frozenset({"GET", "HEAD", "OPTIONS"})


class BodyLimit:
    """413 for request bodies over their path's limit (``paths``, else ``default``): from
    Content-Length before a byte is read, and by counting the chunks of a body sent without
    one (it stops at the limit). Handlers read bodies whole: no second limit anywhere. A body
    sent with a Content-Encoding (gzip) is refused with a 415 before it is read. A body of
    which nothing arrives for ``seconds`` (from the request's start, or from its last chunk)
    is refused with a 408 and the connection closed: a client that sends its headers and
    then stops would otherwise hold its connection, and the handler waiting for it, for as
    long as it liked. (Idle time, not the whole body's: a 10 MiB upload over a slow phone
    link takes longer than the deadline, and keeps arriving.)

    Pure ASGI, and a body with a Content-Length within the limit is not counted (the server
    delivers no more bytes than it declares), so most requests cost one scan of the headers
    and the deadline.

    Examples
    --------
    >>> limit = BodyLimit(None, Limit(10, "A"), {"/api/images": Limit(20, "B")}, seconds=30)
    >>> limit.limit_of("/api/images").max_bytes, limit.limit_of("/api/forward").max_bytes
    (20, 10)
    """

    def __init__(self, app: ASGIApp, default: Limit, paths: Mapping[str, Limit] | None = None,
                 seconds: float = BODY_SECONDS) -> None:
        self.app = app
        self.default = default
        self.paths = dict(paths or {})
        self.seconds = seconds
        self._deadlines = Deadlines(min(1.0, seconds / 4))

    def limit_of(self, path: str) -> Limit:
        return self.paths.get(path, self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in _BODILESS:
            await self.app(scope, receive, send)
            return
        limit = self.limit_of(scope["path"])
        length: bytes | None = None
        chunked = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                length = value
            elif name == b"transfer-encoding":
                chunked = True
            elif name == b"content-encoding" and value.strip().lower() not in (b"", b"identity"):
                # a gzip'd body would be read as (invalid) JSON, and a limit counted on the
                # compressed bytes would not bound what it unpacks to
                await encoded_refusal(value).response()(scope, receive, send)
                return
        if length is not None and length.isdigit() and int(length) > limit.max_bytes:
            await limit.refusal(int(length)).response()(scope, receive, send)
            return
        if length is not None and not chunked and length.strip() == b"0":
            await self.app(scope, receive, send)  # nothing to wait for, nothing left unread
            return
        await self._within(None if length is not None and not chunked else limit,
                           scope, receive, send)

    async def _within(self, limit: Limit | None, scope: Scope, receive: Receive, send: Send,
                      ) -> None:
        """The app, its body counted against ``limit`` (None: not counted), each chunk due
        within :attr:`seconds` of the last. The deadline holds until the body's last chunk
        arrives and is lifted then: what the app does next (computing, reading the disconnect)
        has no deadline. An answer begun before then closes the connection."""
        received = 0
        started = whole = False
        task = asyncio.current_task()
        deadlines = self._deadlines
        if task is not None:
            deadlines.watch(task, self.seconds)

        async def counting_receive() -> Message:
            nonlocal received, whole
            message = await receive()
            if message["type"] == "http.request":
                if limit is not None:
                    received += len(message.get("body", b""))
                    if received > limit.max_bytes:
                        raise limit.refusal()
                if not message.get("more_body", False):
                    whole = True
                    deadlines.forget(task)
                elif task is not None:
                    deadlines.watch(task, self.seconds)  # it arrives: the wait starts again
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            if not started and message["type"] == "http.response.start":
                started = True  # an answer is under way: no 408 now
                headers = message.get("headers", ())
                # answered before the body was read (a 415, a 404): see UNREAD
                if not whole and not any(name == b"connection" for name, _ in headers):
                    message = {**message, "headers": [*headers, (b"connection", b"close")]}
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except asyncio.CancelledError:
            if task is None or not deadlines.was_late(task) or started:
                raise
            task.uncancel()  # the deadline's own cancel, and only that one: answered here
            await self.late().response()(scope, receive, send)
        except Refusal as refusal:
            # Raised where no exception handler saw it (read outside a route).
            if started or refusal.status_code != 413:
                raise
            await refusal.response()(scope, receive, send)
        finally:
            deadlines.done(task)

    def late(self) -> Refusal:
        return Refusal(408, ["body"], f"the body stopped arriving: nothing came for "
                       f"{self.seconds:g} seconds ({setting_name('body_seconds')}); send it whole",
                       "body_timeout", headers=UNREAD)


class Deadlines:
    """Cancels the tasks of requests whose bodies are overdue, checked every ``every`` seconds by
    one timer per event loop while any of its requests is waiting.

    A timer (or a cancel scope) per request would cost every request, most of whose bodies
    come with their headers; watching one is a dict entry. A deadline is met up to
    ``every`` seconds late. (One app can serve several loops at once, each in its own thread:
    test clients do; each loop's timer cancels only its own tasks.)
    """

    def __init__(self, every: float) -> None:
        self.every = every
        self._due: dict[asyncio.Task[Any], float] = {}
        self._late: set[asyncio.Task[Any]] = set()
        self._sweepers: dict[asyncio.AbstractEventLoop, asyncio.TimerHandle] = {}

    def watch(self, task: asyncio.Task[Any], seconds: float) -> None:
        loop = task.get_loop()
        self._due[task] = loop.time() + seconds
        if loop not in self._sweepers:
            self._sweepers[loop] = loop.call_later(self.every, self._sweep, loop)

    def forget(self, task: asyncio.Task[Any] | None) -> None:
        """No deadline for ``task`` from now (a cancel already made still counts as late)."""
        self._due.pop(task, None)  # type: ignore[arg-type]

    def done(self, task: asyncio.Task[Any] | None) -> None:
        """``task``'s request is over: nothing of it is kept."""
        if task is not None:
            self._due.pop(task, None)
            self._late.discard(task)

    def was_late(self, task: asyncio.Task[Any]) -> bool:
        """Whether the deadline cancelled ``task`` (once: the answer is then the 408)."""
        if task in self._late:
            self._late.discard(task)
            return True
        return False

    def _sweep(self, loop: asyncio.AbstractEventLoop) -> None:
        now, left = loop.time(), False
        for task, due in list(self._due.items()):
            if task.get_loop() is not loop:
                continue
            if due <= now:
                self._due.pop(task, None)
                self._late.add(task)
                task.cancel()
            else:
                left = True
        if left:
            self._sweepers[loop] = loop.call_later(self.every, self._sweep, loop)
        else:
            self._sweepers.pop(loop, None)


def encoded_refusal(encoding: bytes) -> Refusal:
    """415 for a body sent compressed (``Content-Encoding: gzip``): bodies are read as sent."""
    said = encoding.decode("latin-1").strip()
    return Refusal(415, ["header", "content-encoding"], f"the body is sent with Content-Encoding "
                   f"{said!r}; this server reads bodies as sent: send it without a "
                   "Content-Encoding", "unsupported_media_type", headers=UNREAD)


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(HTTPException, on_refusal)  # Refusal is one
    app.add_exception_handler(LayerError, on_refusal)
    app.add_exception_handler(RequestValidationError, on_validation_error)
