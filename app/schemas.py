"""Request and answer schemas of the REST API (docs/design.md, "REST API").

Requests are strict: ``true`` is not an int, ``"3"`` is not a number, unknown fields are
refused, NaN and Infinity are refused. Sizes are at least 1 and padding at least 0 here;
the server's upper limits live in :mod:`app.config` because they are deployment choices.
Answers that carry big arrays (forward, steps, backward) are documented by these models but
written straight to orjson (see :mod:`app.encoding`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from app.encoding import MAX_MAGNITUDE
from app.images import SAMPLES
from engine.backward import GRADIENTS, Gradient
from engine.filterbanks import BANKS
from engine.presets import PRESETS
from engine.tensors import BOUNDED_KINDS, CONSTANT_KINDS

STRICT = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False, frozen=True)

# Upper bounds are the server's settings (app/config.py), which a deployment chooses: the
# types carry the setting's name (``x-limit``) and app/openapi.py writes the value in force
# as ``maximum`` when it builds the OpenAPI document, so a generated client refuses what the
# server refuses. The server itself checks them in app/convert.py (one message per field).
LIMIT = "x-limit"


def limit(setting: str) -> dict[str, Any]:
    """The schema marker of a bound taken from the named :class:`app.config.Settings` field."""
    return {LIMIT: setting}


def _whole(value: Any) -> Any:
    """``2.0`` as ``2``: JSON Schema's ``integer`` is any number with no fraction, so a client
    true to the document may send it; ``2.5``, ``true`` and ``"2"`` stay refused. A float
    beyond 2**53 stays a float, refused as such: as a whole number, 1e30 would be quoted back
    as 1,000,000,000,000,000,019,884,624,838,656."""
    if isinstance(value, float) and value.is_integer() and abs(value) <= 2**53:
        return int(value)
    return value


# The constraints go first, so the schema states them as ``minimum``/``maximum``.
WHOLE = BeforeValidator(_whole)
Side = Annotated[int, Field(ge=1, json_schema_extra=limit("max_side")), WHOLE]
PadSide = Annotated[int, Field(ge=0, json_schema_extra=limit("max_side")), WHOLE]
# 2**53 - 1: the largest integer a JavaScript client (and a float JSON Schema bound) holds
# exactly. The document states it as every other whole number's maximum, so a client true to
# it does not send 1e300, which JSON Schema calls an integer and no field here takes. Only
# stated: the server's own checks (a step past the last, a cell outside the input) refuse
# larger numbers with the bound that matters, which the schema cannot know.
MAX_WHOLE = 2**53 - 1
PositiveInt = Annotated[int, Field(ge=1, json_schema_extra={"maximum": MAX_WHOLE}), WHOLE]
NonNegativeInt = Annotated[int, Field(ge=0, json_schema_extra={"maximum": MAX_WHOLE}), WHOLE]
# Every number a client gives is capped (app.encoding says why); a fill's bounds so, too,
# can never overflow numpy's int64 draws.
Bounded = Annotated[float, Field(ge=-MAX_MAGNITUDE, le=MAX_MAGNITUDE)]
# One number for both axes, the same in a list of one (as padding takes it), or one per axis.
PerAxis = (
    Side
    | Annotated[list[Side], Field(min_length=1, max_length=1)]
    | Annotated[list[Side], Field(min_length=2, max_length=2)]
)
# One number for every side, one per side of a list of one, [ph, pw] per axis, or
# [top, bottom, left, right]: a oneOf of fixed-length arrays, so the schema says the lengths.
PaddingSpec = (
    PadSide
    | Annotated[list[PadSide], Field(min_length=1, max_length=1)]
    | Annotated[list[PadSide], Field(min_length=2, max_length=2)]
    | Annotated[list[PadSide], Field(min_length=4, max_length=4)]
)
# [H, W, D]: each a side but the depth, bounded by its own setting.
InputShape = Annotated[
    list[PositiveInt],
    Field(min_length=3, max_length=3, json_schema_extra={"prefixItems": [
        {"type": "integer", "minimum": 1, **limit("max_side"), "title": "H"},
        {"type": "integer", "minimum": 1, **limit("max_side"), "title": "W"},
        {"type": "integer", "minimum": 1, **limit("max_depth"), "title": "D"},
    ]}),
]


def _given(*names: str) -> dict[str, Any]:
    """A JSON Schema clause: these properties are present and not null."""
    return {"required": list(names),
            "properties": {name: {"not": {"type": "null"}} for name in names}}


def _not_both(first: str, second: str) -> dict[str, Any]:
    """A JSON Schema clause: not both of these properties given (null is not given)."""
    return {"not": _given(first, second)}


class StrictModel(BaseModel):
    model_config = STRICT


def examples(*bodies: dict[str, Any]) -> ConfigDict:
    """The schema's ``examples``: what /docs fills "Try it out" with, so it runs as given."""
    return ConfigDict(json_schema_extra={"examples": list(bodies)})


# The notes' demo (5x5x3 input, two 3x3 filters, stride 2, padding 1), the docs' example layer.
DEMO_LAYER: dict[str, Any] = {
    "input": {"shape": [5, 5, 3]}, "filters": {"count": 2, "size": 3}, "stride": 2, "padding": 1,
}


# ----------------------------------------------------------------------------- requests


class CompactArray(StrictModel):
    """An array as ``{"dtype", "shape", "data": base64 of little-endian bytes}``."""

    dtype: Literal["float32", "float64"] = Field(description="how each number is stored")
    shape: Annotated[list[PositiveInt], Field(min_length=1, max_length=6)] = Field(
        description="the array's shape, no axis empty; `data` holds exactly prod(shape) numbers"
    )
    data: str = Field(
        pattern=r"^[A-Za-z0-9+/]*={0,2}$",
        description="base64 of the numbers' little-endian bytes, row-major (C order), with or "
        "without its trailing '=' padding; its decoded length must be prod(shape) times 4 "
        "(float32) or 8 (float64)",
    )


# Nested lists are checked (ragged, non-numbers, NaN) by app.encoding.decode_nested, which
# knows the field's name; a compact object is the alternative.
ArrayIn = list[Any] | CompactArray


# An array's axes, each named by the setting that bounds its length (None: no one setting
# does, as an output's H2, which padding can take past max_side).
Axes = tuple["str | None", ...]
VOLUME: Axes = ("max_side", "max_side", "max_depth")  # (H, W, D)
SHARED_FILTERS: Axes = ("max_filters", "max_side", "max_side", "max_depth")  # (K, Fh, Fw, D)
LOCAL_FILTERS: Axes = (None, None, *SHARED_FILTERS)  # (H2, W2, K, Fh, Fw, D)
SHARED_BIAS: Axes = ("max_filters",)  # (K,)
OUTPUT: Axes = (None, None, "max_filters")  # (H2, W2, K): a local bias, an upstream gradient


def _bound(setting: str | None) -> dict[str, Any]:
    return {} if setting is None else limit(setting)


def _one_of(schemas: list[dict[str, Any]]) -> dict[str, Any]:
    return schemas[0] if len(schemas) == 1 else {"anyOf": schemas}


def nested(*shapes: Axes, bounded: bool = True) -> WithJsonSchema:
    """The schema of nested lists of one of ``shapes``, no axis empty and each as long as its
    setting allows, around numbers (within +-1e15 where ``bounded``, as decode_nested takes
    them): stated so a generated client refuses the rest (raggedness and the shape the layer
    needs are the descriptions' to say).

    >>> schema = nested(SHARED_BIAS).json_schema
    >>> schema["x-limit"], schema["items"]["maximum"]
    ('max_filters', 1000000000000000.0)
    """
    number: dict[str, Any] = {"type": "number"}
    if bounded:
        number |= {"minimum": -MAX_MAGNITUDE, "maximum": MAX_MAGNITUDE}
    schemas = []
    for axes in shapes:
        node = number
        for setting in reversed(axes):
            node = {"type": "array", "minItems": 1, "items": node, **_bound(setting)}
        schemas.append(node)
    return WithJsonSchema(_one_of(schemas))


def compact(*shapes: Axes) -> WithJsonSchema:
    """:class:`CompactArray`'s schema with its ``shape`` one of ``shapes``: as many axes, each
    within its setting (a generic shape of 1 to 6 axes let a client send a 1-D input).

    >>> shape = compact(VOLUME).json_schema["properties"]["shape"]
    >>> shape["minItems"], shape["maxItems"], shape["prefixItems"][2]["x-limit"]
    (3, 3, 'max_depth')
    """
    schema = CompactArray.model_json_schema()
    described = schema["properties"]["shape"].get("description")

    def shape_of(axes: Axes) -> dict[str, Any]:
        n = {"type": "array", "minItems": len(axes), "maxItems": len(axes)}
        # axes no setting bounds (an answer's) take plain items: schemathesis reads an
        # answer's prefixItems as draft 7's tuple form and calls the schema invalid
        if not any(axes):
            return n | {"items": {"type": "integer", "minimum": 1}}
        return n | {"items": False, "prefixItems": [
            {"type": "integer", "minimum": 1, **_bound(setting)} for setting in axes]}

    shape_schemas = [shape_of(axes) for axes in shapes]
    schema["properties"]["shape"] = {**_one_of(shape_schemas), "description": described}
    return WithJsonSchema(schema)


# The arrays a layer spec takes, by their axes: a volume (H, W, D), filters shared
# (K, Fh, Fw, D) or local (H2, W2, K, Fh, Fw, D), biases shared (K,) or local (H2, W2, K).
VolumeIn = Annotated[list[Any], nested(VOLUME)] | Annotated[CompactArray, compact(VOLUME)]
FiltersIn = (Annotated[list[Any], nested(SHARED_FILTERS, LOCAL_FILTERS)]
             | Annotated[CompactArray, compact(SHARED_FILTERS, LOCAL_FILTERS)])
BiasIn = (Annotated[list[Any], nested(SHARED_BIAS, OUTPUT)]
          | Annotated[CompactArray, compact(SHARED_BIAS, OUTPUT)])
UpstreamIn = Annotated[list[Any], nested(OUTPUT)] | Annotated[CompactArray, compact(OUTPUT)]


def _plain(value: float) -> float | int:
    """A number as people write it: ``5.0`` -> ``5``.

    >>> _plain(5.0), _plain(0.5)
    (5, 0.5)
    """
    return int(value) if float(value).is_integer() else value


class FillSpec(StrictModel):
    """How to make an array's values (seeded, so the same spec gives the same numbers)."""

    kind: Literal["integers", "uniform", "normal", "zeros", "ones"] = Field(
        "integers", description="integers: whole numbers in [low, high], both ends included "
        "(so at least one whole number must lie in it: low 0.2 with high 0.8 is refused); "
        "uniform: floats in [low, high), every one `low` when they are equal; normal: `mean` "
        "and `std`; zeros; ones"
    )
    # up to MAX_WHOLE, so every client reads the same seed the server does
    seed: Annotated[int, Field(ge=0, le=MAX_WHOLE), WHOLE] = Field(
        0, description="random seed, 0 to 2**53 - 1"
    )
    low: Bounded | None = Field(
        None, description="lowest value of an integers or uniform fill (normal, zeros and ones "
        "ignore it); must be <= `high` there, with a whole number in [low, high] for an "
        "integers fill; default per role: input 0, weights -1, biases 0, upstream -1"
    )
    high: Bounded | None = Field(
        None, description="highest value of an integers or uniform fill (normal, zeros and ones "
        "ignore it); must be >= `low` there, with a whole number in [low, high] for an "
        "integers fill; default per role: input 2, weights 1, biases 1, upstream 1"
    )
    # null is "not given" here as for low and high: a spec over a preset's (app.preset_specs)
    # resets the preset's mean with null
    mean: Bounded | None = Field(
        None, description="mean of a normal fill (the other kinds ignore it); default 0"
    )
    std: Annotated[float, Field(ge=0, le=MAX_MAGNITUDE)] | None = Field(
        None, description="standard deviation of a normal fill (the other kinds ignore it); "
        "default 1"
    )

    @model_validator(mode="after")
    def _low_not_above_high(self) -> FillSpec:
        # only the kinds that draw between the bounds: the others ignore them (as their
        # descriptions say, and as app.convert.fill_of checks the merged bounds)
        if (self.kind in BOUNDED_KINDS and self.low is not None
                and self.high is not None and self.low > self.high):
            raise PydanticCustomError(
                "low_above_high", "low {low} is above high {high}: give low <= high",
                # whole bounds as ints: the message reads "low 5", not "low 5.0"
                {"low": _plain(self.low), "high": _plain(self.high)},
            )
        return self


def _known(kind: str, names: tuple[str, ...]) -> AfterValidator:
    """A name one of ``names`` (an enum in the schema), else an error listing them."""

    def check(name: str) -> str:
        if name not in names:
            raise PydanticCustomError(
                "unknown_name", "there is no {kind} of that name; known: {known}",
                {"kind": kind, "known": ", ".join(names)},
            )
        return name

    return AfterValidator(check)


def name_in_path(kind: str, names: Iterable[str]) -> Any:
    """A ``{name}`` path parameter's declaration (``Annotated[str, name_in_path(...)]``) for a
    name among ``names``: an enum in the schema, so a generated client offers them; an
    unknown one is the handler's 404, which lists them."""
    known = list(names)
    return Path(description=f"the {kind}'s name: one of {', '.join(known)}",
                json_schema_extra={"enum": known})


SampleName = Annotated[str, _known("sample image", tuple(SAMPLES)),
                       WithJsonSchema({"type": "string", "enum": list(SAMPLES)})]
BankName = Annotated[str, _known("filter bank", tuple(BANKS)),
                     WithJsonSchema({"type": "string", "enum": list(BANKS)})]
PresetName = Annotated[str, _known("preset", tuple(PRESETS)),
                       WithJsonSchema({"type": "string", "enum": list(PRESETS)})]


ImageSide = Annotated[int, Field(ge=1, json_schema_extra=limit("max_image_side")), WHOLE]


class ImageSourceSpec(StrictModel):
    """A sample image by name (``GET /api/images``), resolved on the server."""

    name: SampleName = Field(description="the sample's name")
    scale: Literal["unit", "byte"] = Field("unit", description="unit: 0..1; byte: 0..255")
    max_side: ImageSide | None = Field(
        None, description="resize so the longer side is at most this (default and upper "
        "bound: the server's max_image_side)"
    )


class InputSpec(StrictModel):
    """The input volume: its size and its numbers (``shape``, ``values`` or both)."""

    # That shape or values is given is LayerSpec's rule (not a preset's patch's): _SIZED
    model_config = ConfigDict(**STRICT, json_schema_extra=_not_both("values", "image"))

    shape: InputShape | None = Field(
        None, description="[H, W, D]; may be left out when `values` are given (read from "
        "their shape); when both are given they must agree"
    )
    values: VolumeIn | None = Field(
        None, description="(H, W, D) numbers; else `fill` makes them (given, `fill` is unused)"
    )
    fill: FillSpec | None = Field(
        None, description="how to make the numbers when neither `values` nor an `image` is "
        "given (with either, unused); default integers 0..2, seed 0"
    )
    image: ImageSourceSpec | None = Field(
        None, description="a sample image instead of `values`; `shape` must be its [H, W, 3]"
    )


class FiltersSpec(StrictModel):
    """The filters: how many, their size (``count`` and ``size``, or ``values``), their
    weights and biases."""

    # That count and size, or values, are given is LayerSpec's rule (not a patch's): _SIZED
    model_config = ConfigDict(**STRICT, json_schema_extra=_not_both("values", "bank"))

    count: Annotated[int, Field(ge=1, json_schema_extra=limit("max_filters")), WHOLE] | None = (
        Field(
        None, description="K, the number of filters (the output depth); may be left out "
        "when `values` are given; when both are given they must agree"
    ))
    size: PerAxis | None = Field(
        None, description="F, [F], or [Fh, Fw]; may be left out when `values` are given; when "
        "both are given they must agree"
    )
    values: FiltersIn | None = Field(
        None, description="shared (K, Fh, Fw, D) or local (H2, W2, K, Fh, Fw, D); D must be "
        "the input's depth; else `fill` makes them (given, `fill` is unused)"
    )
    fill: FillSpec | None = Field(
        None, description="how to make the weights without `values` or a `bank` (with "
        "either, unused); default integers -1..1, seed 0"
    )
    bias: BiasIn | None = Field(
        None, description="shared (K,) or local (H2, W2, K); left out, `bias_fill` makes them"
    )
    bias_fill: FillSpec | None = Field(
        None, description="how to make the biases without `bias` or a `bank` (which brings "
        "its own; with either, unused); default zeros where the filters' `values` are given "
        "(a filter you give whole gets no bias you did not give), else integers 0..1, seed 0"
    )
    bank: BankName | None = Field(
        None,
        description="a filter bank (`GET /api/filter-banks`) instead of `values`, its biases "
        "unless `bias` is given; `count`, `size` and the input depth must be the bank's",
    )


def _lengths(*lengths: int) -> dict[str, Any]:
    """A JSON Schema clause: a list of one of these lengths."""
    exact = [{"minItems": n, "maxItems": n} for n in lengths]
    return exact[0] if len(exact) == 1 else {"anyOf": exact}


class EditSpec(StrictModel):
    """One hand-typed value laid over an array after its fill (or explicit values)."""

    # an index has one number per axis of its array: the schema says which lengths each
    # array's indices take (which of two, shared or local, is the layer's connectivity)
    model_config = ConfigDict(**STRICT, json_schema_extra={"anyOf": [
        {"properties": {"array": {"const": array}, "index": _lengths(*lengths)}}
        for array, lengths in (("input", (3,)), ("filters", (4, 6)), ("bias", (1, 3)))
    ]})

    array: Literal["input", "filters", "bias"] = Field(
        description="input (H, W, D) unpadded; filters shared (K, Fh, Fw, D) or local "
        "(H2, W2, K, Fh, Fw, D); bias shared (K,) or local (H2, W2, K)"
    )
    index: Annotated[list[NonNegativeInt], Field(min_length=1, max_length=6)] = Field(
        description="the cell, one number per axis of the array (input 3, filters 4 shared or 6 "
        "local, bias 1 shared or 3 local); checked against its shape"
    )
    value: Bounded = Field(description="the cell's new value")


# A whole layer's input and filters say their sizes (or give values that do).
_SIZED = {
    "input": {"anyOf": [_given("shape"), _given("values")]},
    "filters": {"anyOf": [_given("count", "size"), _given("values")]},
}


def _preset_or_arrays(schema: dict[str, Any]) -> None:
    """LayerSpec's schema: a preset's name, or whole input and filters. With a preset, they
    are patches over the preset's and may give any of their fields."""
    schema["required"] = [name for name in schema.get("required", [])
                          if name not in ("input", "filters")]
    whole = _given("input", "filters")
    whole["properties"] = {name: {**whole["properties"][name], **rule}
                           for name, rule in _SIZED.items()}
    schema["anyOf"] = [_given("preset"), whole]
    schema["examples"] = [DEMO_LAYER, {"preset": "alexnet-conv1", "activation": "relu"}]


class LayerSpec(StrictModel):
    """A conv layer: hyperparameters plus values or fills for its arrays.

    Rules the schema cannot state: each axis must fit (the output-size formula gives a whole
    number >= 1 under ``fit: "error"``; ``/api/geometry`` shows the arithmetic), the filters'
    depth is the input's, given values must have the shapes the sizes say, edits must index
    cells of their arrays, and the request must be within the server's work budget
    (``CONVSCOPE_MAX_WORK``) and make at most ``CONVSCOPE_MAX_ELEMENTS`` array elements (its
    inputs, weights, outputs and gradients together). A layer that breaks
    one is refused with a 422 naming the field.
    """

    model_config = ConfigDict(**STRICT, json_schema_extra=_preset_or_arrays)

    preset: PresetName | None = Field(
        None, description="a preset's name (GET /api/presets): its layer is the base, and the "
        "other fields given here apply over it: objects merge field by field (input.fill.seed "
        "alone changes the seed), any other value replaces the preset's, and null means what "
        "it means without a preset (values: null lets the fill make the array; a size nulled "
        "must then come from values). Without a preset, input and filters are required"
    )
    input: InputSpec = Field(description="the input volume")
    filters: FiltersSpec = Field(description="the filters")
    stride: PerAxis = Field(1, description="S, [S], or [Sh, Sw]")
    padding: PaddingSpec = Field(
        0, description="P (every side), [P], [ph, pw] (per axis) or [top, bottom, left, right]"
    )
    dilation: PerAxis = Field(
        1, description="d, [d] or [dh, dw]: the distance between a filter's taps, so 1 = none "
        "(PyTorch's convention); the CS231n notes count the cells skipped, so their dilation "
        "1 is 2 here"
    )
    fit: Literal["error", "floor", "pad"] = Field(
        "error", description="when an axis does not fit: error refuses (and suggests fixes), "
        "floor drops the last positions, pad adds zeros at the bottom/right so that one more "
        "window fits (none when that window would start after the input's last cell, in the "
        "padding after it, where it would read no input: then pad keeps the positions floor "
        "keeps, as PyTorch's ceil_mode does)"
    )
    connectivity: Literal["shared", "local"] = Field(
        "shared", description="shared: one filter per output depth slice; local: every "
        "neuron its own weights (locally connected)"
    )
    activation: Literal["none", "relu"] = Field("none", description="applied after the bias")
    # The bound is the server's max_edits (x-limit: the document states the one in force);
    # app.convert refuses a longer list naming the setting.
    edits: Annotated[list[EditSpec], Field(json_schema_extra=limit("max_edits"))] = Field(
        default_factory=list,
        description="values set by hand over the arrays, applied in order (a later edit of "
        "the same cell wins); at most the server's max_edits",
    )

    @model_validator(mode="before")
    @classmethod
    def _over_preset(cls, data: Any) -> Any:
        """A spec naming a preset, expanded over the preset's own before anything reads it."""
        if isinstance(data, dict) and data.get("preset") is not None:
            from app.preset_specs import over_preset  # it builds LayerSpecs: imported late

            return over_preset(data)
        return data


class UpstreamSpec(StrictModel):
    """The gradient of the loss with respect to the layer's output (after the activation).

    ``{}`` (neither field) is ones: the loss is the sum of the outputs.
    """

    values: UpstreamIn | None = Field(
        None, description="(H2, W2, K); else `fill` makes it (given, `fill` is unused)"
    )
    fill: FillSpec | None = Field(
        None, description="how to make it; left out: ones; a fill's default range is -1..1"
    )

    @property
    def drawn(self) -> bool:
        """A fill draws its numbers: not sent as values, nor a constant (ones, zeros)."""
        fill = self.fill
        return self.values is None and fill is not None and fill.kind not in CONSTANT_KINDS


class StepsRequest(StrictModel):
    """A range of steps (one output neuron each) of a layer."""

    model_config = ConfigDict(json_schema_extra={
        "examples": [{"layer": DEMO_LAYER, "position": [1, 2, 0]}],
        **_not_both("start", "position"),
    })

    layer: LayerSpec = Field(description="the layer")
    start: NonNegativeInt | None = Field(
        None, description="the first step's number t (below the layer's step count H2*W2*K); 0 "
        "when neither start nor position is given (null is not given)"
    )
    position: Annotated[list[NonNegativeInt], Field(min_length=3, max_length=3)] | None = Field(
        None, description="[i, j, d] instead of start: begin at the step that computes output "
        "neuron (i, j, d) in `order` (inside the output); give start or position, not both"
    )
    count: Annotated[int, Field(ge=1, json_schema_extra=limit("max_steps")), WHOLE] = Field(
        1, description="how many steps (clipped at the last step)"
    )
    order: Literal["depth_slice", "depth_column"] = Field(
        "depth_slice", description="depth_slice: all positions of filter 0, then filter 1, "
        "...; depth_column: all K filters at position (0, 0), then (0, 1), ..."
    )
    upstream: UpstreamSpec | None = Field(
        None, description="with it, each step also carries its weight-gradient contribution; "
        "`{}` is an upstream of ones"
    )
    encoding: Literal["json", "compact"] = Field(
        "json", description="json: nested lists; compact: base64 float32 arrays"
    )
    # the one whole number past any layer's bound the server would otherwise take (an every
    # past the last step answers the start step alone), so the document's maximum is enforced
    every: Annotated[int, Field(ge=1, le=MAX_WHOLE), WHOLE] = Field(
        1, description="every n-th step: start, start+every, ... (`count` of them, clipped at "
        "the end); a page playing fast fetches only the steps it will show"
    )


class InverseRequest(StrictModel):
    """Which output neurons see one input cell."""

    model_config = examples({"layer": DEMO_LAYER, "cell": [3, 3]})

    layer: LayerSpec = Field(description="the layer")
    cell: Annotated[list[NonNegativeInt], Field(min_length=2, max_length=2)] = Field(
        description="[row, col] in the original (unpadded) input; inside the input"
    )


def _each_once(parts: list[Gradient]) -> list[Gradient]:
    """``parts`` with no name twice (the schema's uniqueItems), else an error naming it."""
    twice = sorted({part for part in parts if parts.count(part) > 1})
    if twice:
        raise PydanticCustomError(
            "named_twice", "{twice} named more than once: name each gradient once",
            {"twice": ", ".join(twice)},
        )
    return parts


class BackwardRequest(StrictModel):
    """A layer and the upstream gradient for its backward pass."""

    model_config = examples({"layer": DEMO_LAYER, "upstream": {}, "parts": ["dx", "db"]})

    layer: LayerSpec = Field(description="the layer")
    # null as left out, as /api/steps takes null (there for "no upstream"; here, ones)
    upstream: UpstreamSpec | None = Field(
        default=None,
        description="dL/dV of the output after the activation; left out, null or `{}`: ones",
    )

    parts: Annotated[
        list[Gradient],
        Field(min_length=1, max_length=len(GRADIENTS), json_schema_extra={"uniqueItems": True}),
        AfterValidator(_each_once),
    ] = Field(
        default=list(GRADIENTS),  # pydantic copies a list default for each request
        description="the gradients to compute, each named once; the answer's others are null. "
        "Only these are computed and priced: dx alone skips dw's product, db alone both "
        "products (a ReLU layer still runs its forward: the gate); left out: all three",
    )

    @property
    def gradient(self) -> UpstreamSpec:
        """The upstream as given, ones (``{}``) when left out or null."""
        return UpstreamSpec() if self.upstream is None else self.upstream


# ----------------------------------------------------------------------------- answers

# The answers' arrays, nested lists (of any numbers: a product may pass 1e15) or compact,
# by their axes as the requests' are.
ANY_VOLUME: Axes = (None, None, None)
ANY_FILTERS: tuple[Axes, Axes] = ((None,) * 4, (None,) * 6)
ANY_BIAS: tuple[Axes, Axes] = ((None,), (None,) * 3)
VolumeOut = (Annotated[list[Any], nested(ANY_VOLUME, bounded=False)]
             | Annotated[CompactArray, compact(ANY_VOLUME)])
FiltersOut = (Annotated[list[Any], nested(*ANY_FILTERS, bounded=False)]
              | Annotated[CompactArray, compact(*ANY_FILTERS)])
BiasOut = (Annotated[list[Any], nested(*ANY_BIAS, bounded=False)]
           | Annotated[CompactArray, compact(*ANY_BIAS)])
VectorOut = (Annotated[list[Any], nested(ANY_BIAS[0], bounded=False)]
             | Annotated[CompactArray, compact(ANY_BIAS[0])])
# The answers' fixed-length lists, stated as such: [a, b], [a, b, c] and [top, bottom, left,
# right] (shapes, slices as [start, stop, step], paddings).
Two = Annotated[list[int], Field(min_length=2, max_length=2)]
Three = Annotated[list[int], Field(min_length=3, max_length=3)]
Four = Annotated[list[int], Field(min_length=4, max_length=4)]


class HealthResult(BaseModel):
    """The server is up."""

    status: Literal["ok"] = Field(description="always ok")
    version: str = Field(description="the server's package version")


class PresetResult(BaseModel):
    """One of the notes' example layers."""

    name: str = Field(description="the preset's key, as in /api/presets/{name}")
    title: str = Field(description="a one-line title")
    description: str = Field(description="what the preset shows of the CS231n notes, in our words")
    choices: str = Field(description="what the preset chose where the notes leave it open")
    default_step: int = Field(description="the step (depth_slice order) a page opens at")
    layer: LayerSpec = Field(description="the layer spec a client sends for it")


class AxisResult(BaseModel):
    """The output-size formula along one axis, with this layer's numbers."""

    axis: Literal["height", "width"] = Field(description="which axis")
    size: int = Field(description="N, the input's size along this axis")
    filter_size: int = Field(description="F along this axis")
    stride: int = Field(description="S along this axis")
    dilation: int = Field(description="dilation along this axis (1 = none)")
    pad_before: int = Field(description="padding requested at the top/left")
    pad_after: int = Field(description="padding requested at the bottom/right")
    exact: float = Field(description="the formula's value before any fit policy")
    arithmetic: str = Field(description="e.g. `(10 - 3 + 2*0)/2 + 1 = 4.5`")
    fits: bool = Field(
        description="the formula gives a whole number >= 1 on this axis (no fit policy needed)"
    )
    output: int = Field(description="positions used (0 when this axis does not work)")
    extra_padding: int = Field(description='rows/columns fit="pad" added at the bottom/right')
    unseen: list[int] = Field(description="input indices no neuron looks at")
    skipped: list[int] = Field(
        description="where this axis does not fit (`output` 0): the input indices no whole "
        "window reads, past the last one and between them (a stride longer than the window, "
        'dilation\'s holes), which fit="floor" would leave unseen; [] where it has an output '
        "(see `unseen`) or no whole window"
    )
    # A picture of a misfit: positions along this axis of the input padded as requested
    # (fit="pad" extras not included), whatever the fit policy.
    span: int = Field(description="cells one window covers along this axis, dilation holes "
                      "included")
    whole_windows: int = Field(
        description="windows lying wholly inside the padded input: `exact` rounded down "
        '(what fit="floor" keeps); 0 when the filter spans more than the padded input'
    )
    overhang_start: int | None = Field(
        description="where the window after the last whole one starts (an index of the "
        "padded input), the one that hangs off the end; null when the axis fits, or when "
        "that window would start after the input's last cell (in the padding after it)"
    )
    overhang: int = Field(
        description="cells that window needs past the end of the padded input (0: none)"
    )
    floor_drops: int = Field(
        description="cells at the end of the padded input no whole window reaches: what "
        'fit="floor" leaves out (0 when no window fits whole)'
    )
    pad_adds: int = Field(
        description='zero cells fit="pad" adds at the bottom (height) or right (width); 0 '
        "when the axis fits or padding cannot help (the filter spans more than the input, or "
        "the next window would start past the input's end)"
    )
    padded_size: int = Field(
        description="size + pad_before + pad_after: the input in the padding requested "
        '(fit="pad" adds extra_padding to it)'
    )
    skipped_between: int = Field(
        description="how many of `skipped` lie before the last whole window's end (stepped "
        "over by a stride longer than the window, or in dilation's holes), not past it"
    )


class SuggestionResult(BaseModel):
    """A change of one spec field that makes the layer fit. Applied by assignment, with
    ``leave_out`` dropped and ``also`` set, it gives a layer of ``output``; one with a
    ``limit`` this server then refuses to compute."""

    field: str = Field(description="the spec field's dotted path, e.g. `filters.size`")
    value: int | str | list[int] = Field(
        description="the field's complete new value: apply it by assignment (`input.shape` "
        "[H, W, D], an oblong `filters.size` [Fh, Fw])"
    )
    output: Two = Field(description="[H2, W2] the change gives")
    text: str = Field(
        description="the change in words, ending with what `limit`, `leave_out` and `also` "
        "say, in words"
    )
    leave_out: list[str] = Field(
        description="what of the request's own layer refuses the change applied alone: "
        "`input.image` or `input.values` (which fix the input's size), `filters.bank` or "
        "`filters.values` (the filters'), a locally connected layer's `filters.values` or "
        "`filters.bias` made for another output size, each to give as null with it (the same "
        "as leaving it out, except over a `preset`, whose own would stay), and `edits.<n>`, "
        "an edit whose cell the changed layer does not have, to drop from `edits`; empty "
        "when none"
    )
    also: dict[str, int | list[int]] = Field(
        description="fields to set with it, which what `leave_out` drops was giving: "
        "`filters.count` and `filters.size` where only `filters.values` stated them; empty "
        "when none"
    )
    limit: Literal["CONVSCOPE_MAX_SIDE", "CONVSCOPE_MAX_ELEMENTS", "CONVSCOPE_MAX_WORK"] | None = (
        Field(description="the setting of this server the changed layer would pass: a side "
              "over max_side, or the element or work budget of computing it (the changed "
              "layer's own geometry answer has `over_limit`); null when within them, or when "
              "checking the suggested layers was itself over the work budget (a note says so, "
              "and only max_side is marked)")
    )
    limit_words: str | None = Field(
        description="what `text` says of `limit`, the words inside its brackets (`over this "
        "server's work budget of 5,000,000,000, CONVSCOPE_MAX_WORK`), for a client that "
        "shows the change and the limit apart; null with `limit`"
    )


class CountsResult(BaseModel):
    """How many neurons, weights and parameters; null where the output size is needed but
    the layer does not fit."""

    neurons: int | None = Field(description="H2 * W2 * K (null: the layer does not fit)")
    weights_per_neuron: int = Field(description="Fh * Fw * D, the connections of one neuron")
    weights_shared: int = Field(description="Fh * Fw * D * K, the shared filters' weights")
    parameters_shared: int = Field(description="the shared weights plus K biases")
    parameters_local: int | None = Field(
        description="H2 * W2 * K * (Fh * Fw * D + 1): every neuron its own weights and bias "
        "(null: the layer does not fit)"
    )
    multiply_adds: int | None = Field(
        description="neurons * weights_per_neuron (null: the layer does not fit)"
    )
    im2col: list[int] | None = Field(
        description="[Fh * Fw * D, H2 * W2]: the matrix im2col stretches the input into, one "
        "column per receptive field (the notes' X_col, [363, 3025] for AlexNet conv1); the "
        "filters stretched into rows are [K, Fh * Fw * D] and their product, [K, H2 * W2], "
        "is the output before its reshape (null: the layer does not fit)"
    )


class LayerErrorResult(BaseModel):
    """Why a layer is invalid."""

    field: str = Field(description="the spec field to point at, e.g. `stride`")
    message: str = Field(description="why, with the numbers of every axis that fails")
    fields: list[str] = Field(
        default_factory=list,
        description="the spec fields a suggestion shows can fix it (the first is `field`, "
        "the one blamed): padding, stride, filters.size, dilation, input.shape or fit",
    )
    filters_pass: int | None = Field(
        None, description="an over_limit refusal that blames filters.count: the most filters "
        "this layer can have within the server's limits (its 422's `ctx.filters_pass`); null "
        "otherwise, and where no count passes",
    )
    limit: int | None = Field(
        None, description="an over_limit refusal: this server's limit it passes (its 422's "
        "`ctx.limit`); null otherwise",
    )
    setting: str | None = Field(
        None, description="an over_limit refusal: the setting that sets `limit`, "
        "CONVSCOPE_... (its 422's `ctx.setting`); null otherwise",
    )
    needed: int | None = Field(
        None, description="an over_limit refusal over the element or work budget: what the "
        "request would need, in `limit`'s units (numbers held at once, or units of work), so "
        "`needed / limit` says how far over it is (its 422's `ctx.needed`); null otherwise",
    )


class GeometryResult(BaseModel):
    """The layer's geometry; an invalid layer is described (``valid: false``), not refused."""

    valid: bool = Field(
        description="the layer can be computed (under its fit policy); false: `error` says "
        "why and `suggestions` what would work"
    )
    error: LayerErrorResult | None = Field(description="why the layer is invalid; else null")
    fits: bool = Field(
        description="both axes fit exactly, with no fit policy needed; false when "
        'fit="floor"/"pad" made the layer work, or when it is invalid'
    )
    output_shape: Three | None = Field(description="[H2, W2, K]; null when invalid")
    padded_shape: Three = Field(
        description="[Hp, Wp, D] of the padded input; when invalid, of the input in the "
        "padding asked for"
    )
    padding: Four = Field(
        description="applied [top, bottom, left, right] (fit=\"pad\" extras included); when "
        "invalid, the padding asked for"
    )
    steps: int = Field(description="one step per output neuron: H2 * W2 * K (0 when invalid)")
    height: AxisResult | None = Field(description="the height axis")
    width: AxisResult | None = Field(description="the width axis")
    suggestions: list[SuggestionResult] = Field(
        description="single-field changes that make the layer fit: exact fits (padding, "
        "stride, filter size, dilation, input size) and the fit policies that would work; "
        "empty when the layer fits exactly"
    )
    notes: list[str] = Field(
        description="what cannot fit (e.g. no symmetric padding), and an input shape that "
        "reads like PyTorch's channels-first (C, H, W), [64, 56, 56] say, sent as (H, W, D); "
        "and where checking the suggested layers against this server's budget was itself "
        "over it, that they were not checked"
    )
    counts: CountsResult = Field(description="neurons, weights and parameters")
    over_limit: LayerErrorResult | None = Field(
        None, description="/api/geometry only: the refusal (422, type over_limit) this server "
        "gives /api/forward?encoding=compact for the layer, when its arrays, kernel and answer "
        "pass the element or work budget (CONVSCOPE_MAX_ELEMENTS, CONVSCOPE_MAX_WORK): the "
        "layer is valid but too large to compute here; null when within them. Its message "
        "says \"computing this layer would ...\" where the forward's says \"this request "
        "would ...\"; field and figures are the same. A step or the input of the same layer "
        "costs less; a backward (its products are about twice the forward's), a long range of "
        "steps or a JSON answer is priced on its own and may pass the budget where the "
        "forward does not. For a misfit (valid false): the refusal /api/input?encoding=compact "
        "gives, the request that draws a misfit (its message says \"drawing this layer's "
        "input would ...\"); null when the server draws it"
    )
    backward_over_limit: LayerErrorResult | None = Field(
        None, description="/api/geometry only, for a valid layer: the refusal (422, type "
        "over_limit) this server gives the backward pass the page asks for, "
        "/api/backward?encoding=compact with parts [\"dx\", \"db\"] and an upstream fill, "
        "when it passes the element or work budget; null when within them, and for a misfit "
        "(which has no backward pass). Its message says \"computing this layer's dX and db "
        "would ...\" where the backward's says \"this request would ...\"; field and figures "
        "are the same. Priced on its own, it may be set where over_limit is null; asking for "
        "dW as well adds its own product, and upstream values sent cost their reading"
    )


# Said where a sum is answered: the settling of sums near 0 (engine/rounding.py)
NEAR_ZERO = (
    "; a sum within its own rounding bound of 0, (n + 1) * eps * (sum |x * w| + |b|) for its n "
    "products, is exactly 0, here, in every step and in the ReLU gates alike (a flat patch under "
    "a filter whose weights add up to 0 is 0, not +-1e-17), so a true sum smaller than that "
    "bound reads 0 too (1 - 1 + 1e-17); a layer whose every sum is exact (whole numbers, "
    "halves) is never settled"
)


class ForwardResult(BaseModel):
    """The whole forward pass."""

    padded_input: VolumeOut = Field(description="(Hp, Wp, D), the input with its zero padding")
    filters: FiltersOut = Field(description="shared (K, Fh, Fw, D) or local (H2, W2, K, Fh, Fw, D)")
    bias: BiasOut = Field(description="shared (K,) or local (H2, W2, K)")
    output_pre: VolumeOut | None = Field(
        description="(H2, W2, K) before the activation; null when the activation is none "
        "(it would repeat `output`)" + NEAR_ZERO
    )
    output: VolumeOut = Field(description="(H2, W2, K)" + NEAR_ZERO)
    geometry: GeometryResult = Field(description="the layer's geometry, as /api/geometry")


class InputResult(BaseModel):
    """A layer's input inside its requested zero padding, and its shared filters, whether or
    not its geometry works out: what a picture of a misfit draws."""

    padded_input: VolumeOut = Field(
        description="(H + top + bottom, W + left + right, D): the input, its fill, values, "
        'image and input edits as /api/forward makes them, inside the requested padding (no '
        'fit="pad" extras: the geometry\'s `pad_adds` says how many there would be)'
    )
    padding: Four = Field(description="the requested [top, bottom, left, right]")
    filters: FiltersOut | None = Field(
        description="(K, Fh, Fw, D): the shared filters as /api/forward makes them (values, "
        "fill or bank, and the filters' edits); they need no output size, so a misfit has them "
        "too. null for a locally connected layer (one set per output position)",
    )
    bias: BiasOut | None = Field(
        description="(K,): the shared biases; null when `filters` is null"
    )


class StepResult(BaseModel):
    """One step: output neuron (i, j, d) computed from its receptive field."""

    t: int = Field(description="the step number in the request's order")
    i: int = Field(description="output row")
    j: int = Field(description="output column")
    d: int = Field(description="output depth slice (the filter)")
    rows: Three = Field(description="[start, stop, step] in the padded input")
    cols: Three = Field(description="[start, stop, step] in the padded input")
    input_rows: Three | None = Field(
        description="[start, stop, step] of the taps inside the original input, like rows (step"
        " = dilation: [1, 4, 2] is taps on rows 1 and 3); null, with input_cols, when the "
        "window holds no input cell: its rows or its columns (either is enough) all fall in "
        "the padding"
    )
    input_cols: Three | None = Field(
        description="[start, stop, step] of the taps inside the original input, like cols; "
        "null, with input_rows, when the window holds no input cell (see input_rows)"
    )
    padding_mask: list[list[bool]] = Field(description="(Fh, Fw): taps in the zero padding")
    window: VolumeOut = Field(description="(Fh, Fw, D), the receptive field's numbers")
    weights: VolumeOut = Field(description="(Fh, Fw, D), the filter's weights")
    products: VolumeOut = Field(description="(Fh, Fw, D), window times weights")
    channel_sums: VectorOut = Field(description="(D,), the products summed per input channel")
    bias: float = Field(description="the neuron's bias")
    pre: float = Field(description="the sum of the products plus the bias" + NEAR_ZERO)
    post: float = Field(description="`pre` after the activation")
    expression: str = Field(description="the notes' NumPy expression of this neuron")
    upstream: float | None = Field(
        description="with upstream: dV[i,j,d], the gradient at this neuron's output"
    )
    weight_gradient: VolumeOut | None = Field(
        description="with upstream: this step's dW contribution (Fh, Fw, D)"
    )
    weight_gradient_running: VolumeOut | None = Field(
        description="with upstream: its filter's dW summed over its steps so far"
    )
    bias_gradient_running: float | None = Field(
        description="with upstream: its filter's db summed over its steps so far (the "
        "dV of those neurons, each gated by ReLU where there is one); a locally connected "
        "neuron's own db"
    )


class StepsResult(BaseModel):
    """A range of steps."""

    total: int = Field(description="the layer's step count, H2 * W2 * K")
    start: int = Field(description="the first step's t (the one position names, if given)")
    order: Literal["depth_slice", "depth_column"] = Field(description="the order of the steps")
    steps: list[StepResult] = Field(description="the steps of the range")


class TapResult(BaseModel):
    """One output position that sees the cell, and where in its filter."""

    i: int = Field(description="output row")
    j: int = Field(description="output column")
    tap_row: int = Field(description="the filter row that touches the cell")
    tap_col: int = Field(description="the filter column that touches the cell")


class InverseResult(BaseModel):
    """The output positions whose receptive field holds one input cell."""

    row: int = Field(description="the cell's row in the original input")
    col: int = Field(description="the cell's column in the original input")
    filters: int = Field(description="every filter at each position sees the cell")
    taps: list[TapResult] = Field(description="one per output position that sees the cell")
    covered: bool = Field(
        description="whether the cell lies inside some window's span along both axes, taps "
        "or not: with no taps, true means it falls in the gaps of a dilated filter, false "
        "that no window reaches it (an edge the stride skips)"
    )


class BackwardResult(BaseModel):
    """The gradients of the loss."""

    dx: VolumeOut | None = Field(description="(H, W, D); null when `parts` leaves it out")
    dw: FiltersOut | None = Field(description="like the weights; null when `parts` leaves it out")
    db: BiasOut | None = Field(description="like the biases; null when `parts` leaves it out")
    upstream: VolumeOut | None = Field(
        description="(H2, W2, K): the upstream gradient used, when `upstream.fill` drew "
        "it (so a check by hand has its numbers); null when its values were sent or it is "
        "constant (`{}` or a fill of ones or zeros)"
    )


# ----------------------------------------------------------------------------- errors


class ErrorEntry(BaseModel):
    """One reason a request was refused: where (``loc``), why (``msg``), what kind (``type``)."""

    loc: list[str | int] = Field(description='e.g. ["body", "layer", "stride"] or ["path"]')
    msg: str = Field(description="why, with the value received and what would be accepted")
    type: str = Field(description="e.g. layer_error, over_limit, body_too_large, json_invalid, "
                      "not_found")
    ctx: dict[str, Any] | None = Field(
        None, description="details: a geometry misfit's `fields` (the locs of every field "
        "that could make it fit, `loc` first), `suggestions` and `notes`; a limit's value; "
        "an over_limit refusal's `limit` and `setting`, and over the element or work budget "
        "`needed` (what the request would need, in the limit's units); one that blames "
        "filters.count, `filters_pass`: how many pass"
    )


class ErrorResult(BaseModel):
    """Every refusal the server answers, whatever its status code."""

    detail: list[ErrorEntry] = Field(description="one entry per wrong field")


# ----------------------------------------------------------------------- images, filter banks


class SampleImageResult(BaseModel):
    """A sample image."""

    name: str = Field(description="its key, as in /api/images/{name}")
    description: str = Field(description="what it shows")
    height: int = Field(description="its height in pixels")
    width: int = Field(description="its width in pixels")


class ImageInput(BaseModel):
    """Drops into a layer spec as its ``input``: ``shape`` [H, W, 3] and compact ``values``."""

    shape: Three = Field(description="[H, W, 3]")
    values: VolumeOut = Field(description="(H, W, 3) pixel values on the chosen scale; compact "
                             "as float64, so that sent back they are the server's own numbers")


class ImageResult(BaseModel):
    """An image as an ordinary layer input."""

    name: str | None = Field(description="the sample's name; null for an upload")
    format: Literal["PNG", "JPEG"] = Field(description="the image's file format")
    original_shape: Two = Field(description="[height, width] before resizing")
    shape: Three = Field(description="[H, W, 3] after resizing")
    scale: Literal["unit", "byte"] = Field(description="unit: values in [0, 1]; byte: 0..255")
    input: ImageInput = Field(description="drops into a layer spec as its `input`")


class FilterBankResult(BaseModel):
    """A named filter bank in the layer spec's shapes (``filters.values``, ``filters.bias``)."""

    name: str = Field(description="its key, as in /api/filter-banks/{name}")
    title: str = Field(description="a one-line title")
    explanation: str = Field(description="what the bank does")
    count: int = Field(description="K")
    size: int = Field(description="F (each filter is F x F x 3)")
    names: list[str] = Field(description="one per filter")
    explanations: list[str] = Field(description="one line per filter")
    values: Annotated[list[Any], nested(ANY_FILTERS[0], bounded=False)] = Field(
        description="(K, F, F, 3) weights")
    bias: list[float] = Field(description="(K,)")
