"""The OpenAPI document, with the bounds of the settings in force.

The request types mark the fields a server setting bounds (``x-limit: "max_side"``, see
:func:`app.schemas.limit`); this module writes each setting's value beside its marker as
``maximum`` (``maxItems`` on a list) when the document is first asked for, so the document
states exactly the limits this server enforces, whatever its ``CONVSCOPE_*`` variables say.
FastAPI's own validation error schemas are replaced by the one error shape every refusal uses
(``ErrorResult``).
"""

from __future__ import annotations

import copy
import zlib
from collections.abc import Callable
from functools import partial
from typing import Any, cast

import orjson
from fastapi import FastAPI, HTTPException
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import ValidationError
from starlette.routing import BaseRoute

from app.config import Settings, setting_name
from app.errors import Limit, Refusal
from app.schemas import LIMIT, InverseRequest, LayerSpec, StepsRequest
from engine.errors import LayerError

FASTAPI_ERROR = "#/components/schemas/HTTPValidationError"
OUR_ERROR = "#/components/schemas/ErrorResult"


# The document's own introduction (/docs shows it above the operations): what a first request
# needs, in the order a newcomer asks. tests/api/test_openapi.py sends its example and checks
# the numbers it states.
GUIDE = """\
Every number the page at [`/`](/) draws comes from these endpoints. The subject is
[the CS231n notes' section on the conv layer](https://cs231n.github.io/convolutional-networks/#conv);
the presets (`GET /api/presets`) are its examples.

**One request, one whole layer.** Nothing is kept between requests: each one carries the layer
spec, so its answer can be had again from the request alone. A spec needs the sizes
(`input.shape` [H, W, D], `filters.count` K and `filters.size` F, or `values` that give them);
every other field has a default, the numbers being seeded fills of whole numbers. The notes'
demo layer:

```json
{"input": {"shape": [5, 5, 3]}, "filters": {"count": 2, "size": 3}, "stride": 2, "padding": 1}
```

Sent to `POST /api/forward`, it answers a 3x3x2 output whose `V[0,0,:]` is `[-6.0, -1.0]`.
`{"preset": "cs231n-demo"}` is the same layer, and fields sent beside a preset apply over its
own.

**Shapes.** Input (H, W, D), filters (K, Fh, Fw, D), output (H2, W2, K), so the notes'
NumPy expressions hold as written. A step computes one neuron: `POST /api/steps` numbers
them filter by filter (`order` `depth_slice`) or position by position (`depth_column`), and
`position` [i, j, d] names a neuron without working out its number.

**Answers.** Arrays are nested JSON lists of the float64 results unless `encoding=compact`
asks for base64 float32 (`{"dtype", "shape", "data"}`), about a quarter the size for
real-valued layers.

**Refusals.** Every error answer has one shape, `{"detail": [{"loc", "msg", "type"}]}`, with
one entry per wrong field: `loc` is the field's path in the body, `msg` says what was sent and
what would be taken, and `type` names the failure the same way on every endpoint.

- 422: a field is wrong, or over this server's limits (stated below as each field's
  `maximum`; the work budget is in `LayerSpec`). A layer whose sizes do not fit is refused
  with the arithmetic, and `POST /api/geometry` answers it (200, `valid: false`) with the
  changes that would fit.
- 413: a body over the size limit; 415: a body not sent as `application/json` (its
  Content-Type, charset or Content-Encoding; a body that is not valid JSON is a 422); 408: a
  body that stopped arriving.
- 503: busy; try again after `Retry-After` seconds.

A 422 or 413 over one of this server's limits names it in `ctx` (`limit`, `setting`); one over
the work or element budget, over an image's pixels or over a body's declared bytes also gives
`needed`, in the limit's units, so `needed / limit` says how far over it is.
"""


def with_limits(node: Any, settings: Settings) -> Any:
    """``node`` with ``maximum`` written beside every ``x-limit`` marker, and FastAPI's error
    schema references pointed at ours.

    Examples
    --------
    >>> with_limits({"type": "integer", "x-limit": "max_side"}, Settings(max_side=64))
    {'type': 'integer', 'x-limit': 'max_side', 'maximum': 64}
    """
    if isinstance(node, list):
        return [with_limits(item, settings) for item in node]
    if not isinstance(node, dict):
        return node
    found = {key: with_limits(value, settings) for key, value in node.items()}
    if LIMIT in found:  # a list's bound is on its length
        bound = "maxItems" if found.get("type") == "array" else "maximum"
        found[bound] = getattr(settings, found[LIMIT])
    if found.get("$ref") == FASTAPI_ERROR:
        found["$ref"] = OUR_ERROR
    return found


def document(app: FastAPI, settings: Settings) -> dict[str, Any]:
    """The app's OpenAPI document under ``settings``."""
    raw = get_openapi(
        title=app.title, version=app.version, summary=app.summary, description=GUIDE,
        routes=[_without_head(route) for route in app.routes],
    )
    found: dict[str, Any] = with_limits(raw, settings)
    schemas = found.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    if "LayerSpec" in schemas:  # the budgets JSON Schema cannot state, as numbers
        schemas["LayerSpec"]["description"] += _budgets(settings)
    for path, operations in found.get("paths", {}).items():
        if path.startswith("/api/"):
            for method, operation in operations.items():
                _with_shared_refusals(method, operation.setdefault("responses", {}))
    _with_answered_examples(found, settings)
    _with_refused_examples(found, settings)
    _with_transport_examples(app, found, settings)
    _with_handler_refusal_examples(app, found, settings)
    return found


def _with_transport_examples(app: FastAPI, found: dict[str, Any], settings: Settings) -> None:
    """The 408, 413, 415 and 503 every API operation may answer, each with the refusal this
    server sends, made by the objects that send it under the app's own configuration: the
    body limit of its middleware list (the path's limit, the idle seconds), the JSON reader's
    Content-Type check, and a heavy-requests gate of the settings' size."""
    from app.engine_threads import worker_count
    from app.errors import BodyLimit
    from app.images import UPLOAD_PATH
    from app.lean import refuse_non_json
    from app.routing import HeavyWork

    limits = [BodyLimit(None, *m.args, **m.kwargs)  # type: ignore[arg-type]
              for m in app.user_middleware if cast(Any, m.cls) is BodyLimit]
    not_json = _refusal_detail(partial(refuse_non_json, "text/plain"))
    made: dict[str, Callable[[str], dict[str, Any] | None]] = {
        "408": lambda path: {"detail": limits[0].late().entries()} if limits else None,
        # a body declared twice as long as the path takes, as a client's Content-Length says it
        "413": lambda path: ({"detail": _over_bytes(limits[0].limit_of(path)).entries()}
                             if limits else None),
        "415": lambda path: None if path == UPLOAD_PATH else not_json,  # its bytes' own
        "503": lambda path: {"detail": HeavyWork(worker_count(settings.heavy_requests),
                                                 settings.waiting_requests).busy().entries()},
    }
    for path, operations in found.get("paths", {}).items():
        for operation in operations.values() if path.startswith("/api/") else ():
            for status, response in operation.get("responses", {}).items():
                shown = made[status](path) if status in made else None
                content = response.get("content", {}).get("application/json")
                if shown is not None and content is not None and "example" not in content:
                    content["example"] = shown


# A request each GET operation's 422 example refuses: a query parameter it does not take. An
# operation with query parameters is sent its first one misspelt; one without, a name a
# reader might try (a path's own name, or encoding).
def _query_mistake(path: str, takes: frozenset[str]) -> bytes:
    """The query string :func:`_with_handler_refusal_examples` shows ``path`` refusing.

    >>> _query_mistake("/api/images/{name}", frozenset({"scale", "encoding"}))
    b'encodign=compact'
    >>> _query_mistake("/api/presets/{name}", frozenset())
    b'name=cs231n-demo'
    >>> _query_mistake("/api/health", frozenset())
    b'encoding=compact'
    """
    if "encoding" in takes:
        return b"encodign=compact"
    if takes:
        first = min(takes)
        return f"{first[:-2]}{first[-1]}{first[-2]}=1".encode()
    return b"name=cs231n-demo" if path.endswith("{name}") else b"encoding=compact"


def _handler_refusals(
    found: dict[str, Any], settings: Settings,
) -> dict[tuple[str, str, str], list[tuple[str, Callable[[], object]]]]:
    """(method, path, status) -> each refused request as it is sent and a call of the code
    that refuses it (the handler itself, or the one function it refuses with); ``found`` is
    the document, whose layer example the layer refusals change."""
    from app import images as decoding
    from app.errors import body_entries
    from app.routers import api, images

    over = settings.max_image_side + 1

    def refused_layer(changes: dict[str, Any]) -> Callable[[], object]:
        # the request example's layer with ``changes``, validated as FastAPI validates a body
        # and refused through the same entries (app.errors.on_validation_error)
        def refuse() -> object:
            examples = found.get("components", {}).get("schemas", {}).get(
                "LayerSpec", {}).get("examples") or [{}]
            sent = {**examples[0], **changes}
            try:
                LayerSpec.model_validate(sent)
            except ValidationError as error:
                wrong = [{**e, "loc": ("body", *e["loc"])} for e in error.errors()]
                return body_entries(wrong, sent, settings)
            return None
        return refuse

    # a PNG header declaring 50,000 x 50,000 pixels: refused before anything is decoded
    bomb = (b"\x89PNG\r\n\x1a\n" + (13).to_bytes(4, "big") + b"IHDR"
            + (50_000).to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0]))
    bomb += zlib.crc32(bomb[12:]).to_bytes(4, "big")
    return {
        ("get", "/api/presets/{name}", "404"): [
            ("GET /api/presets/alexnet", lambda: api.preset("alexnet", settings))],
        # a server whose limits refuse AlexNet's sizes (none by default)
        ("get", "/api/presets/{name}", "422"): [
            ("GET /api/presets/alexnet-conv1", lambda: api.preset("alexnet-conv1", settings))],
        ("get", "/api/filter-banks/{name}", "404"): [
            ("GET /api/filter-banks/edges", lambda: images.filter_bank("edges"))],
        ("get", "/api/images/{name}", "404"): [
            ("GET /api/images/edges", lambda: images.sample("edges", settings))],
        ("get", "/api/images/{name}", "422"): [
            (f"?max_side={over}: over this server's limit",
             lambda: images.sample("scene", settings, max_side=over))],
        ("post", "/api/images", "415"): [
            ("sent as text/plain", lambda: images.refuse_non_image("text/plain")),
            ("a GIF's bytes", lambda: decoding.sniff(b"GIF89a")),
        ],
        ("post", "/api/images", "422"): [
            ("an empty body", lambda: decoding.probe(b"", settings.max_image_pixels)),
            ("a PNG whose header declares 50000x50000 pixels",
             lambda: decoding.probe(bomb, settings.max_image_pixels)),
            (f"?max_side={over}: over this server's limit",
             lambda: images.fitted_side(over, settings)),
        ],
        ("post", "/api/geometry", "422"): [("the example with stride 0",
                                            refused_layer({"stride": 0}))],
        ("post", "/api/input", "422"): [("the example with stride 0",
                                         refused_layer({"stride": 0}))],
    }


def _with_handler_refusal_examples(app: FastAPI, found: dict[str, Any],
                                   settings: Settings) -> None:
    """The refusals each operation's handler (or its route's query check) sends, shown in
    /docs as this server sends them: every GET's 422 for a query parameter it does not take
    (made by the check its route runs, with the route's own parameters), and the 404s, the
    upload's 415 and 422, and geometry's and input's 422 of :func:`_handler_refusals`. One
    example is the response's ``example``; several are its ``examples``, named by what was
    sent."""
    from app.lean import query_names, refuse_unknown_query

    made = _handler_refusals(found, settings)
    for route in app.routes:
        if (isinstance(route, APIRoute) and route.path.startswith("/api/")
                and "GET" in (route.methods or ())):
            takes = query_names(route.dependant)
            mistake = _query_mistake(route.path, takes)
            made.setdefault(("get", route.path, "422"), []).insert(0, (
                f"?{mistake.decode()}: a parameter it does not take",
                partial(refuse_unknown_query, mistake, takes)))
    for (method, path, status), requests in made.items():
        response = found.get("paths", {}).get(path, {}).get(method, {}).get(
            "responses", {}).get(status)
        if response is None:
            continue
        shown = [(summary, detail) for summary, call in requests
                 if (detail := _refusal_detail(call)) is not None]
        content = response.setdefault("content", {}).setdefault("application/json", {})
        if response.get("description") == "Validation Error":  # FastAPI's words
            response["description"] = QUERY_REFUSED["description"]
        if len(shown) == 1:
            content["example"] = shown[0][1]
        elif shown:
            content["examples"] = {summary: {"summary": summary, "value": detail}
                                   for summary, detail in shown}


def _over_bytes(limit: Limit) -> Refusal:
    """The example 413: a body declared twice as long as ``limit`` takes."""
    return limit.refusal(2 * limit.max_bytes)


def _refusal_detail(call: Callable[[], object]) -> dict[str, Any] | None:
    """The answer's body of the refusal ``call`` raises or returns (entries), or None when it
    refuses nothing (a server whose limits let the request through)."""
    try:
        entries = call()
    except Refusal as refused:
        return {"detail": refused.entries()}
    if isinstance(entries, list) and entries:
        return {"detail": entries}
    return None


def _answered_examples(settings: Settings) -> dict[str, tuple[str, Callable[[Any], Any]]]:
    """The operations whose answer to their request's example is small enough to show, with
    the schema holding that example and the handler that answers it."""
    from app.routers import api  # the routes import this module's app's pieces

    return {
        "/api/geometry": ("LayerSpec", lambda body: api.geometry(
            LayerSpec.model_validate(body), settings).model_dump(mode="json")),
        "/api/steps": ("StepsRequest", lambda body: orjson.loads(api.steps(
            StepsRequest.model_validate(body), settings).body)),
        "/api/inverse": ("InverseRequest", lambda body: orjson.loads(api.inverse(
            InverseRequest.model_validate(body), settings).body)),
    }


# The operations whose 422 shows the refusal of their request's example made a misfit (the
# notes' case of a stride that does not fit), with where their body holds the layer.
REFUSED_EXAMPLES = {"/api/forward": ("LayerSpec", None), "/api/steps": ("StepsRequest", "layer"),
                    "/api/inverse": ("InverseRequest", "layer"),
                    "/api/backward": ("BackwardRequest", "layer")}
MISFIT = {"stride": 3}  # over the demo's 5x5 input with padding 1: (5 - 3 + 2)/3 + 1 = 7/3


def _with_refused_examples(found: dict[str, Any], settings: Settings) -> None:
    """Each of :data:`REFUSED_EXAMPLES`' operations with its 422's example: the server's own
    refusal of its request's example with :data:`MISFIT` laid over the layer, made by the
    code every handler reads a layer with (``app.convert.build``), so the example is one this
    server sends: the arithmetic, the fields that could fix it, its suggestions."""
    from app.convert import build  # imports the routing, which this module's app assembles
    from app.errors import layer_refusal

    schemas = found.get("components", {}).get("schemas", {})
    for path, (schema, at) in REFUSED_EXAMPLES.items():
        operation = found.get("paths", {}).get(path, {}).get("post")
        sent = schemas.get(schema, {}).get("examples")
        if operation is None or not sent or "422" not in operation["responses"]:
            continue
        layer = sent[0] if at is None else sent[0][at]
        try:
            build(LayerSpec.model_validate({**layer, **MISFIT}), settings, at=at)
        except LayerError as error:
            refusal = layer_refusal(error)
        else:
            continue  # no refusal to show
        content = operation["responses"]["422"].setdefault("content", {})
        content.setdefault("application/json", {})["example"] = {"detail": refusal.entries()}


def _with_answered_examples(found: dict[str, Any], settings: Settings) -> None:
    """Each of :func:`_answered_examples`' operations with its 200 answer's example: the
    server's own answer to the request's example (made by the handler that serves it, so
    /docs shows real numbers and never ones the server would not send), where the schema
    generator wrote zeros and empty strings."""
    schemas = found.get("components", {}).get("schemas", {})
    for path, (schema, answer) in _answered_examples(settings).items():
        operation = found.get("paths", {}).get(path, {}).get("post")
        sent = schemas.get(schema, {}).get("examples")
        if operation is None or not sent:
            continue
        try:
            shown = answer(sent[0])
        except (LayerError, HTTPException, ValidationError):  # this server refuses it
            continue  # (its limits or budget are below the demo's): no example is true
        content = operation["responses"]["200"].setdefault("content", {})
        content.setdefault("application/json", {})["example"] = shown


def _budgets(settings: Settings) -> str:
    """The per-request budgets in force, for the layer spec's description.

    >>> print(_budgets(Settings(max_work=10**9, max_elements=1000)))
    <BLANKLINE>
    <BLANKLINE>
    This server: CONVSCOPE_MAX_WORK = 1,000,000,000 and CONVSCOPE_MAX_ELEMENTS = 1,000.
    """
    return (f"\n\nThis server: {setting_name('max_work')} = {settings.max_work:,} and "
            f"{setting_name('max_elements')} = {settings.max_elements:,}.")


def _refusal(description: str, **extra: Any) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": OUR_ERROR}}}, **extra}


# What the API's layers answer for any operation, whatever its handler: the routes refuse an
# unknown or repeated query parameter (app.routing.OrjsonRoute), the body limit a body that
# stops arriving (app.errors.BodyLimit), and the heavy requests' gate a request that finds it
# full (app.routing.HeavyWork; any handler that reads a layer prices it and may be heavy).
QUERY_REFUSED = _refusal("A query parameter this endpoint does not take, or one given twice")
BODY_STOPPED = _refusal(f"The body stopped arriving: nothing came for "
                        f"{setting_name('body_seconds')} (30 s by default); the connection is "
                        "closed")
BUSY = _refusal(
    f"The server is busy: {setting_name('heavy_requests')} heavy requests compute at once and "
    f"{setting_name('waiting_requests')} more wait already; try again after Retry-After "
    "seconds",
    headers={"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}},
)


def _with_shared_refusals(method: str, responses: dict[str, Any]) -> None:
    """Add to an API operation's ``responses`` the refusals its handler does not declare,
    each its own copy: an example written into one is this document's alone (a shared one
    showed the first app's 30 s to an app of 0.3 s)."""
    shared = {"422": QUERY_REFUSED, **({"408": BODY_STOPPED, "503": BUSY} if method == "post"
                                       else {})}
    for status, refusal in shared.items():
        if status not in responses:
            responses[status] = copy.deepcopy(refusal)


def _without_head(route: BaseRoute) -> BaseRoute:
    """``route`` as the document states it: every GET answers HEAD too
    (:func:`app.routing.add_routes`), which is not an operation of its own."""
    if isinstance(route, APIRoute) and route.methods and {"GET", "HEAD"} <= route.methods:
        stated = copy.copy(route)
        stated.methods = route.methods - {"HEAD"}
        return stated
    return route


def install(app: FastAPI, settings: Settings) -> None:
    """Serve :func:`document` as the app's ``/openapi.json`` (built once, on first use)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(app, settings)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
