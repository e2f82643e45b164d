"""How the API's JSON routes read a request: the Content-Type rule, orjson bodies, and the
lean path that answers a valid request without FastAPI's per-request dependency solving.

FastAPI's request handler rebuilds each request's parameters from its dependency tree:
cache keys, scopes, the exit stacks, every parameter looked up by alias. For the API's
handlers (a JSON body, the settings, sometimes the request and a query parameter) that
costs more than a cheap request's own work (an AlexNet single step, the demo's forward).
:class:`LeanPlan` reads what a handler's signature asks for once, when the route is built,
and then answers a request by reading the body, validating it with the route's own body
field and calling the handler. Anything it does not take on (a body that is empty, not
JSON or not valid, a bad query parameter, a settings override with parameters of its own)
goes to FastAPI's handler with the same request, so every refusal is FastAPI's, shaped by
:mod:`app.errors`, byte for byte as before.

A layer spec (a whole body, or a body's ``layer``) that arrives as the same bytes as one
validated recently is not validated again: :data:`app.layer_cache.SPECS` hands out that
spec, and with it what the handlers worked out from it.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Coroutine
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qsl

import orjson
from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import request_params_to_args
from fastapi.routing import APIRoute, serialize_response
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from app import body_guard
from app.config import settings_for
from app.errors import Refusal, media_type, sent_as, unsupported_media
from app.json_body import LARGE_BODY_BYTES, read_json
from app.layer_cache import SPECS
from app.schemas import LayerSpec
from app.validation import cut_short

Handler = Callable[[Request], Coroutine[Any, Any, Response]]

# How many numbers the body the lean path read may hold as nested JSON lists (its commas:
# a compact array's base64 and a remembered spec have next to none), for
# :func:`app.routing.priced`: nested values decode at Python speed, so a body of many starts
# off the event loop.
listed_numbers: ContextVar[int] = ContextVar("listed_numbers", default=0)

async def guard(raw: bytes, data: Any, app: Any) -> None:
    """:func:`app.body_guard.check` for a body large enough to make validation dear (a small
    one cannot hold enough keys or edits to, and walking every cheap request's body would cost
    it more than validation's own work)."""
    if len(raw) > body_guard.CHECK_BYTES:
        body_guard.check(data, (await settings_for(app)).limit("max_edits"))


class OrjsonRequest(Request):
    """A request whose JSON body orjson parses: it refuses NaN/Infinity literals and
    nesting deeper than 1024 levels with a ``JSONDecodeError`` (FastAPI answers 422),
    where the stdlib parser accepts NaN and hits RecursionError (a 400 or worse).

    Its body is read by a plain loop over ``receive``, as Starlette's ``body`` reads it
    (the same messages, the same ``ClientDisconnect``, the body kept for a second read)
    but without the async generator in between, which costs a cheap request more than
    parsing its JSON.
    """

    async def body(self) -> bytes:
        if not hasattr(self, "_body"):
            if self._stream_consumed:
                raise RuntimeError("Stream consumed")
            chunks: list[bytes] = []
            while not self._stream_consumed:
                message = await self._receive()
                if message["type"] == "http.request":
                    if not message.get("more_body", False):
                        self._stream_consumed = True
                    chunks.append(message.get("body", b""))
                elif message["type"] == "http.disconnect":
                    self._is_disconnected = True
                    raise ClientDisconnect()
            self._body = b"".join(chunks)
        return self._body

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            raw = await self.body()
            data = read_json(raw)
            await guard(raw, data, self.app)
            self._json = data
        return self._json


def query_names(dependant: Dependant) -> frozenset[str]:
    """The query parameters a route's handler (and its dependencies) declare."""
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= query_names(sub)
    return frozenset(names)


def refuse_unknown_query(
    query_string: bytes, allowed: frozenset[str], body: frozenset[str] = frozenset()
) -> None:
    """422 for a query parameter the endpoint does not take, as the body's unknown fields
    are refused: a misspelt ``?encodign=compact`` would otherwise answer JSON unasked.

    >>> refuse_unknown_query(b"encoding=compact", frozenset({"encoding"}))
    >>> try:
    ...     refuse_unknown_query(b"encodign=compact", frozenset({"encoding"}))
    ... except Refusal as refusal:
    ...     print(refusal.loc, refusal.msg)
    ['query', 'encodign'] encodign is not a query parameter of this endpoint; it takes encoding

    A name the endpoint takes in its JSON body (``body``) is pointed there. A parameter given
    twice is refused too (which one counts would be a guess: ``?encoding=json&encoding=compact``).
    """
    seen: set[str] = set()
    for name, _ in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if name not in allowed:
            takes = ", ".join(sorted(allowed)) or "none"
            there = f"; {name} goes in the JSON body here" if name in body else ""
            name = cut_short(name)
            raise Refusal(422, ["query", name], f"{name} is not a query parameter of this "
                          f"endpoint; it takes {takes}{there}", "extra_forbidden")
        if name in seen:
            raise Refusal(422, ["query", name], f"the query gives {name} more than once: give "
                          "it once", "duplicate_parameter")
        seen.add(name)


def no_unknown_query(request: Request) -> None:
    """:func:`refuse_unknown_query` as a dependency, for routes that are not
    :class:`app.routing.OrjsonRoute` (which checks before its handler runs)."""
    if request.scope["query_string"]:
        route = request.scope["route"]
        refuse_unknown_query(request.scope["query_string"], query_names(route.dependant))


def refuse_non_json(content_type: str | None) -> None:
    """415 for a body sent without a content type or as anything but JSON
    (``application/json`` or ``*/*+json``), saying what to send.

    Without this FastAPI would hand the raw bytes to the schema and answer a puzzling 422
    ("should be a valid dictionary"); docs/design.md promises the 415.

    Examples
    --------
    >>> refuse_non_json("application/json; charset=utf-8")
    >>> try:
    ...     refuse_non_json(None)
    ... except Refusal as refusal:
    ...     print(refusal.status_code, refusal.loc, refusal.type)
    415 ['header', 'content-type'] unsupported_media_type

    JSON is UTF-8 (RFC 8259): a body said to be in another charset is refused, not misread.

    >>> try:
    ...     refuse_non_json("application/json; charset=latin-1")
    ... except Refusal as refusal:
    ...     print(refusal.msg)
    the body is sent in charset 'latin-1'; JSON is read as UTF-8: send charset=utf-8, or no charset
    """
    media, params = media_type(content_type)
    main, _, sub = media.partition("/")
    if main == "application" and (sub == "json" or sub.endswith("+json")):
        if params:
            _refuse_other_charset(params)
        return
    raise unsupported_media(f"{sent_as(media)}; this endpoint reads JSON: send the header "
                            "Content-Type: application/json")


UTF8_CHARSETS = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})


def _refuse_other_charset(params: str) -> None:
    """415 for a JSON content type's ``charset`` parameter other than UTF-8."""
    for param in params.split(";"):
        name, _, value = param.partition("=")
        charset = value.strip().strip('"').lower()
        # US-ASCII is a subset of UTF-8: such a body reads the same; an empty charset says none
        if name.strip().lower() == "charset" and charset and charset not in UTF8_CHARSETS:
            raise unsupported_media(f"the body is sent in charset {charset!r}; JSON is read "
                                    "as UTF-8: send charset=utf-8, or no charset")


def _plain(dependency: Dependant) -> bool:
    """A dependency FastAPI would call with no arguments and nothing to clean up after."""
    call = dependency.call
    return (
        call is not None
        and not (dependency.path_params or dependency.query_params or dependency.header_params
                 or dependency.cookie_params or dependency.body_params
                 or dependency.dependencies)
        and all(name is None for name in _special_names(dependency))
        and not (inspect.isgeneratorfunction(call) or inspect.isasyncgenfunction(call))
    )


def _special_names(dependant: Dependant) -> tuple[str | None, ...]:
    """The parameters FastAPI fills from the connection itself, but the request."""
    return (dependant.websocket_param_name, dependant.http_connection_param_name,
            dependant.response_param_name, dependant.background_tasks_param_name,
            dependant.security_scopes_param_name)


@dataclass(frozen=True)
class LeanPlan:
    """What a route's handler takes, read once: its body field (one model, not embedded),
    its query fields, the name of its ``Request`` parameter and its argument-free
    dependencies (by parameter name)."""

    route: APIRoute
    body_name: str | None
    request_name: str | None
    dependencies: tuple[tuple[str, Callable[[], Any]], ...]
    # Every query field has a default that needs no validation, so a request without a
    # query string takes the defaults as FastAPI would.
    query_defaults: dict[str, Any] | None
    # Where the body holds a layer spec: it is one ("body"), or it has one as "layer".
    spec_at: Literal["body", "layer"] | None = None

    @classmethod
    def of(cls, route: APIRoute) -> LeanPlan | None:
        """The plan of ``route``, or None where its handler asks for more than a plan takes."""
        dependant = route.dependant
        body = route.body_field
        if (
            dependant.path_params or dependant.header_params or dependant.cookie_params
            or any(name is not None for name in _special_names(dependant))
            or not all(_plain(d) and d.name for d in dependant.dependencies)
            or len(dependant.body_params) > 1 or route._embed_body_fields
            or (body is not None and not _is_model(body.field_info.annotation))
            or route.status_code is not None
            or not isinstance(route.response_class, DefaultPlaceholder)
        ):
            return None
        queries = dependant.query_params
        defaults = None
        if all(not q.field_info.is_required() and not q.field_info.validate_default
               for q in queries):
            defaults = {q.name: q.default for q in queries}
        return cls(
            route,
            body_name=None if body is None else dependant.body_params[0].name,
            request_name=dependant.request_param_name,
            dependencies=tuple((d.name, d.call) for d in dependant.dependencies
                               if d.name and d.call),
            query_defaults=defaults,
            spec_at=None if body is None else _spec_at(body.field_info.annotation),
        )

    async def body(self, request: Request) -> Any:
        """The route's body, validated, or None where FastAPI's handler must say why not (an
        empty body, not JSON, not valid). Raises the body limit's 413."""
        assert self.route.body_field is not None
        try:
            raw = await request.body()
        except HTTPException:  # the body limit's 413, as FastAPI lets it through
            raise
        except Exception:  # cut short: FastAPI's handler says why
            return None
        listed = raw.count(b",") if len(raw) > LARGE_BODY_BYTES else 0
        listed_numbers.set(listed)
        if listed:
            # imported here: app.costs imports the routing, which imports this module
            from app.costs import check_listed

            check_listed(listed, await settings_for(request.app))
        if self.spec_at == "body":
            known = SPECS.spec(raw)
            if known is not None:
                return known
        try:
            data = read_json(raw)
        except Exception:  # empty, not JSON: FastAPI's handler says why
            return None
        await guard(raw, data, request.app)
        if isinstance(request, OrjsonRequest):
            request._json = data  # FastAPI's handler, if it must say why, reads it once
        layer = None  # the JSON of the body's layer, when a spec read from it may be kept
        if (self.spec_at == "layer" and len(raw) <= SPECS.max_key_bytes
                and isinstance(data, dict) and isinstance(data.get("layer"), dict)):
            try:
                layer = orjson.dumps(data["layer"])
            except TypeError:  # nested too deep for orjson: validation will say so
                layer = None
            known = None if layer is None else SPECS.spec(layer)
            if known is not None:  # validated as it is (a model instance) with the rest
                data, layer = {**data, "layer": known}, None
        body, errors = self.route.body_field.validate(data, {}, loc=("body",))
        if errors:
            return None
        if self.spec_at == "body":
            SPECS.remember(raw, body)
        elif layer is not None:
            SPECS.remember(layer, body.layer)
        return body

    def handler(self, full: Handler) -> Handler:
        """The route's request handler: the lean path, and ``full`` (FastAPI's handler) for
        whatever the lean path does not accept."""
        route = self.route
        body_field = route.body_field
        endpoint = route.dependant.call
        assert endpoint is not None
        overrides = route.dependency_overrides_provider
        assert isinstance(route.response_class, DefaultPlaceholder)
        response_class: type[Response] = route.response_class.value

        async def lean(request: Request) -> Response:
            values: dict[str, Any] = {}
            if body_field is not None:
                refuse_non_json(request.headers.get("content-type"))
                if not isinstance(request, OrjsonRequest):
                    request = OrjsonRequest(request.scope, request.receive)
                body = await self.body(request)
                if body is None:
                    return await full(request)
                assert self.body_name is not None
                values[self.body_name] = body
            for name, call in self.dependencies:
                if overrides is not None and call in overrides.dependency_overrides:
                    call = overrides.dependency_overrides[call]
                    if inspect.signature(call).parameters:
                        return await full(request)
                found = call()
                values[name] = await found if inspect.isawaitable(found) else found
            if self.request_name is not None:
                values[self.request_name] = request
            if route.dependant.query_params:
                if request.scope["query_string"] or self.query_defaults is None:
                    params, errors = request_params_to_args(
                        route.dependant.query_params, request.query_params)
                    if errors:
                        return await full(request)
                    values.update(params)
                else:
                    values.update({name: copy.deepcopy(value)
                                   for name, value in self.query_defaults.items()})
            raw = await endpoint(**values)
            if isinstance(raw, Response):
                return raw
            # As FastAPI answers a handler that returns a model (or plain data).
            field = route.response_field
            content = await serialize_response(
                field=field, response_content=raw,
                include=route.response_model_include, exclude=route.response_model_exclude,
                by_alias=route.response_model_by_alias,
                exclude_unset=route.response_model_exclude_unset,
                exclude_defaults=route.response_model_exclude_defaults,
                exclude_none=route.response_model_exclude_none,
                dump_json=field is not None,
            )
            if field is None:
                return response_class(content)
            return Response(content, media_type="application/json")

        return lean


def _is_model(annotation: Any) -> bool:
    return inspect.isclass(annotation) and issubclass(annotation, BaseModel)


def _spec_at(annotation: Any) -> Literal["body", "layer"] | None:
    """Where a body of this model holds a layer spec, if it holds one."""
    if annotation is LayerSpec:
        return "body"
    layer = annotation.model_fields.get("layer") if _is_model(annotation) else None
    return "layer" if layer is not None and layer.annotation is LayerSpec else None
