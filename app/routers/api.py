"""The REST API under /api (docs/design.md, "REST API").

Each handler: schema in, limits checked by :mod:`app.convert` and :mod:`app.costs` before any
array exists, one engine call, schema out (:mod:`app.answers`). Answers with big arrays go
straight to orjson; engine refusals rise as :class:`engine.errors.LayerError` and
:mod:`app.errors` turns them into 422s.
"""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from app import answers, convert, costs
from app.cli import package_version
from app.config import SettingsDep
from app.encoding import Encoding, OrjsonResponse, dumps, encode
from app.engine_threads import engine_workers
from app.errors import OVER_LIMIT, Refusal, unknown_name
from app.routing import OrjsonRoute
from app.schemas import (
    BackwardRequest,
    BackwardResult,
    ErrorResult,
    ForwardResult,
    GeometryResult,
    HealthResult,
    InputResult,
    InverseRequest,
    InverseResult,
    LayerSpec,
    PresetResult,
    StepsRequest,
    StepsResult,
    name_in_path,
)
from engine import conv, trace
from engine.backward import GRADIENTS, gradients
from engine.geometry import Geometry
from engine.layer import pad_input
from engine.presets import PRESETS

# Every refusal a body-reading route may answer, declared so the OpenAPI schema (and the
# clients generated from it) know the error shape; 422 is FastAPI's own, restated in ours.
REFUSALS: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorResult, "description": "The body is over CONVSCOPE_MAX_BODY_BYTES"},
    415: {"model": ErrorResult, "description": "The body is not sent as application/json"},
    422: {"model": ErrorResult, "description": "The request or its layer is refused: the "
          "field and the reason (a limit names its CONVSCOPE_ setting)"},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResult, "description": "No such preset; the message lists the known ones"},
    422: {"model": ErrorResult, "description": "A preset this server's limits refuse (type "
          "over_limit: its sizes, each with the CONVSCOPE_ setting it passes)"},
}

router = APIRouter(prefix="/api", tags=["api"], route_class=OrjsonRoute)

EncodingQuery = Annotated[
    Encoding, Query(description="json: nested lists; compact: base64 float32 (smaller, faster)")
]


@router.get("/health", response_model=HealthResult)
async def health() -> Response:
    """Liveness and the server's version."""
    # Its bytes are fixed for the life of the process: no model, no thread, no encoding.
    return Response(_HEALTH, media_type="application/json")


_HEALTH = dumps(HealthResult(status="ok", version=package_version()))


@router.get("/presets")
def presets(settings: SettingsDep) -> list[PresetResult]:
    """The preset layers (the notes' examples) as layer specs: those this server's size
    limits hold (a server started with smaller limits lists fewer, and names a missing one's
    sizes at /api/presets/{name})."""
    return [answers.preset_result(preset) for preset in PRESETS.values()
            if answers.preset_refused(preset, settings) is None]


@router.get("/presets/{name}", responses=NOT_FOUND)
def preset(name: Annotated[str, name_in_path("preset", PRESETS)],
           settings: SettingsDep) -> PresetResult:
    """One preset by name; 404 lists the known names, 422 (over_limit) says which of its
    sizes this server's limits refuse."""
    if name not in PRESETS:
        raise unknown_name("preset", name, PRESETS)
    refused = answers.preset_refused(PRESETS[name], settings)
    if refused is not None:
        raise Refusal(422, ["path", "name"], f"{name} is over this server's limits, so it is "
                      f"not published here: {refused}", OVER_LIMIT)
    return answers.preset_result(PRESETS[name])


@router.post("/geometry", responses=REFUSALS)
def geometry(spec: LayerSpec, settings: SettingsDep) -> GeometryResult:
    """Sizes with their arithmetic, fit outcome, suggestions and counts; a misfit is 200."""
    return answers.geometry_result(spec, settings)


@router.post("/forward", response_model=ForwardResult, responses=REFUSALS)
def forward(
    spec: LayerSpec, settings: SettingsDep, request: Request, encoding: EncodingQuery = "json"
) -> Response:
    """The whole forward pass: padded input, filters, biases, output before/after activation."""
    # a layer that fits by its fit policy answers with its suggestions marked: priced with
    # the pass, and marked before it runs, so a refusal comes before the work
    layer = convert.build(spec, settings, answers.forward_priced(encoding, settings))
    geometry = answers.geometry_marked(layer.geometry, spec, settings)
    # float64 whatever the encoding: compact answers are these numbers rounded to float32 (a
    # float32 pass kept ~5 digits, and a page showing 4-5 digits read one value in the output
    # and another in the arithmetic). No Winograd: each neuron is the sum of its own products,
    # as its step says, where Winograd's rounding follows the largest input of its tile.
    result = conv.forward(layer, np.float64, engine_workers(request))
    pre = None if layer.activation == "none" else encode(result.pre, encoding)
    return OrjsonResponse({  # ForwardResult's fields, in its order
        "padded_input": encode(layer.x_padded, encoding),
        "filters": encode(layer.weights, encoding),
        "bias": encode(layer.bias, encoding),
        "output_pre": pre,
        "output": encode(result.post, encoding),
        "geometry": geometry,
    })


@router.post("/input", response_model=InputResult, responses=REFUSALS)
def layer_input(
    spec: LayerSpec, settings: SettingsDep, encoding: EncodingQuery = "json"
) -> Response:
    """The input inside its requested padding and the shared filters, for any layer, a misfit
    too (its geometry is not resolved): what a picture of a layer that does not fit draws."""
    made = convert.layer_input(spec, settings, encoding)
    return OrjsonResponse(InputResult.model_construct(
        padded_input=encode(pad_input(made.x, made.padding), encoding),
        padding=made.padding.as_list(),
        filters=None if made.weights is None else encode(made.weights, encoding),
        bias=None if made.bias is None else encode(made.bias, encoding),
    ))


@router.post("/steps", response_model=StepsResult, responses=REFUSALS)
def steps(body: StepsRequest, settings: SettingsDep) -> Response:
    """Steps ``start, start+every, ...`` (one neuron each; ``position`` [i, j, d] may name the
    first); with ``upstream``, each step's dW contribution and its filter's running sum."""
    if body.start is not None and body.position is not None:  # before any work is priced
        raise Refusal(422, ["body", "position"], f"give start or position, not both: start "
                      f"{body.start} and position {body.position} were sent",
                      "start_and_position")
    costs.check_steps(body.count, settings)
    up = body.upstream
    cost = costs.steps_cost(body.start or 0, body.count, body.every, body.order, up is not None,
                            body.encoding, body.position, None if up is None else up.values,
                            up is not None and up.drawn)
    start = 0

    def position_checked(g: Geometry) -> None:
        """The position is checked once the layer's own checks pass and before its arrays
        exist; its step, worked out then, starts the range."""
        nonlocal start
        start = first_step(body, g)

    layer = convert.build(body.layer, settings, cost, at="layer", then=position_checked)
    upstream = None if up is None else convert.upstream_array(up.values, up.fill, layer)
    found = trace.steps(layer, start, body.count, body.order, body.every, settings.max_steps)
    return OrjsonResponse(answers.steps_result(layer, found, upstream, body.encoding))


def first_step(body: StepsRequest, geometry: Geometry) -> int:
    """The range's first t: ``start``, or the step of neuron ``position`` (0 if neither)."""
    if body.position is None:
        return body.start or 0
    i, j, d = body.position
    return trace.step_number(geometry, i, j, d, body.order)


@router.post("/inverse", response_model=InverseResult, responses=REFUSALS)
def inverse(body: InverseRequest, settings: SettingsDep) -> Response:
    """Every output position whose receptive field holds the input cell, with the tap."""
    g = convert.geometry(body.layer, settings, costs.inverse_cost, at="layer")
    found = trace.inverse(g, body.cell[0], body.cell[1])
    # Plain dicts straight to orjson: a pydantic model per tap costs more than writing the tap,
    # and a wide dilated filter can list a million taps.
    return OrjsonResponse({
        "row": found.row, "col": found.col, "filters": found.filters,
        "taps": [{"i": i, "j": j, "tap_row": tap_row, "tap_col": tap_col}
                 for i, tap_row in found.rows for j, tap_col in found.cols],
        "covered": found.covered,
    })


@router.post("/backward", response_model=BackwardResult, responses=REFUSALS)
def backward(
    body: BackwardRequest, settings: SettingsDep, request: Request, encoding: EncodingQuery = "json"
) -> Response:
    """Gradients of the loss for the input, weights and biases, given the upstream gradient;
    ``parts`` names the ones to compute (all three when left out), the others are null."""
    # an upstream a fill drew comes back (a check by hand needs its numbers); not one that
    # was sent, nor a constant one (ones, zeros)
    filled = body.gradient.drawn
    parts = frozenset(body.parts)
    layer = convert.build(
        body.layer, settings, costs.backward_cost(encoding, body.gradient.values, filled, parts),
        at="layer",
    )
    upstream = convert.upstream_array(body.gradient.values, body.gradient.fill, layer)
    grads = gradients(layer, upstream, parts, engine_workers(request))
    return OrjsonResponse(BackwardResult.model_construct(
        **{part: encode(grads[part], encoding) if part in grads else None for part in GRADIENTS},
        upstream=encode(upstream, encoding) if filled else None,
    ))
