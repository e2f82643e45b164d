"""Request and answer schemas of the REST API (docs/design.md, "REST API").

Requests are strict: ``true`` is not an int, ``"3"`` is not a number, unknown fields are
refused, NaN and Infinity are refused. Sizes are at least 1 and padding at least 0 here;
the server's upper limits live in :mod:`app.config` because they are deployment choices.
Answers that carry big arrays (forward, steps, backward) are documented by these models but
written straight to orjson (see :mod:`app.encoding`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from app.config import Settings
from app.images import SAMPLES
from engine.filterbanks import BANKS

STRICT = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False, frozen=True)

PositiveInt = Annotated[int, Field(ge=1)]
NonNegativeInt = Annotated[int, Field(ge=0)]
# Fill bounds are capped so a fill can never overflow float64 or numpy's int64 draws.
FillNumber = Annotated[float, Field(ge=-1e15, le=1e15)]
PerAxis = PositiveInt | Annotated[list[PositiveInt], Field(min_length=2, max_length=2)]


def _padding_length(value: list[int]) -> list[int]:
    if len(value) not in (2, 4):
        raise ValueError(
            f"{value} has {len(value)} numbers: give one, two (per axis) "
            "or four (top, bottom, left, right)"
        )
    return value


PaddingSpec = NonNegativeInt | Annotated[list[NonNegativeInt], AfterValidator(_padding_length)]


class StrictModel(BaseModel):
    model_config = STRICT


# ----------------------------------------------------------------------------- requests


class CompactArray(StrictModel):
    """An array as ``{"dtype", "shape", "data": base64 of little-endian bytes}``."""

    dtype: Literal["float32", "float64"]
    shape: Annotated[list[NonNegativeInt], Field(max_length=6)]
    data: str


# Nested lists are checked (ragged, non-numbers, NaN) by app.encoding.decode_nested, which
# knows the field's name; a compact object is the alternative.
ArrayIn = list[Any] | CompactArray


class FillSpec(StrictModel):
    """How to make an array's values; ``low``/``high`` default per role (input 0..2,
    weights -1..1, biases 0..1, upstream -1..1)."""

    kind: Literal["integers", "uniform", "normal", "zeros", "ones"] = "integers"
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 0
    low: FillNumber | None = None
    high: FillNumber | None = None
    mean: FillNumber = 0.0
    std: Annotated[float, Field(ge=0, le=1e15)] = 1.0

    @model_validator(mode="after")
    def _low_not_above_high(self) -> FillSpec:
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"low {self.low} is above high {self.high}")
        return self


def _known(kind: str, names: tuple[str, ...]) -> AfterValidator:
    """A name one of ``names`` (an enum in the schema), else an error listing them."""

    def check(name: str) -> str:
        if name not in names:
            raise PydanticCustomError(
                "unknown_name", "no {kind} '{name}'; known: {known}",
                {"kind": kind, "name": name, "known": ", ".join(names)},
            )
        return name

    return AfterValidator(check)


SampleName = Annotated[str, _known("sample image", tuple(SAMPLES)),
                       WithJsonSchema({"type": "string", "enum": list(SAMPLES)})]
BankName = Annotated[str, _known("filter bank", tuple(BANKS)),
                     WithJsonSchema({"type": "string", "enum": list(BANKS)})]


class ImageSourceSpec(StrictModel):
    """A sample image by name (``GET /api/images``), resolved on the server."""

    name: SampleName
    scale: Literal["unit", "byte"] = Field("unit", description="unit: 0..1; byte: 0..255")
    max_side: PositiveInt | None = Field(
        None, description="resize so the longer side is at most this (default and upper "
        "bound: the server's max_image_side)"
    )


class InputSpec(StrictModel):
    shape: Annotated[list[PositiveInt], Field(min_length=3, max_length=3)] = Field(
        description="[H, W, D]"
    )
    values: ArrayIn | None = Field(None, description="(H, W, D) numbers; else `fill` makes them")
    fill: FillSpec | None = None
    image: ImageSourceSpec | None = Field(
        None, description="a sample image instead of `values`; `shape` must be its [H, W, 3]"
    )


class FiltersSpec(StrictModel):
    count: PositiveInt = Field(description="K, the number of filters (the output depth)")
    size: PerAxis = Field(description="F, or [Fh, Fw]")
    values: ArrayIn | None = Field(
        None, description="shared (K, Fh, Fw, D) or local (H2, W2, K, Fh, Fw, D)"
    )
    fill: FillSpec | None = None
    bias: ArrayIn | None = Field(None, description="shared (K,) or local (H2, W2, K)")
    bias_fill: FillSpec | None = None
    bank: BankName | None = Field(
        None,
        description="a filter bank (`GET /api/filter-banks`) instead of `values`, its biases "
        "unless `bias` is given; `count`, `size` and the input depth must be the bank's",
    )


# The schema states the default bound; a server configured lower refuses more (app.convert).
MAX_EDITS: int = Settings.model_fields["max_edits"].default


class EditSpec(StrictModel):
    """One hand-typed value laid over an array after its fill (or explicit values)."""

    array: Literal["input", "filters", "bias"] = Field(
        description="input (H, W, D) unpadded; filters shared (K, Fh, Fw, D) or local "
        "(H2, W2, K, Fh, Fw, D); bias shared (K,) or local (H2, W2, K)"
    )
    index: Annotated[list[NonNegativeInt], Field(min_length=1, max_length=6)] = Field(
        description="the cell, one number per axis of the array; checked against its shape"
    )
    value: float


class LayerSpec(StrictModel):
    """A conv layer: hyperparameters plus values or fills for its arrays."""

    input: InputSpec
    filters: FiltersSpec
    stride: PerAxis = 1
    padding: PaddingSpec = Field(0, description="P, [ph, pw] or [top, bottom, left, right]")
    dilation: PerAxis = Field(1, description="1 = none (PyTorch's convention)")
    fit: Literal["error", "floor", "pad"] = "error"
    connectivity: Literal["shared", "local"] = "shared"
    activation: Literal["none", "relu"] = "none"
    edits: Annotated[list[EditSpec], Field(max_length=MAX_EDITS)] = Field(
        default_factory=list,
        description="values set by hand over the arrays, applied in order (a later edit of "
        f"the same cell wins); at most the server's max_edits ({MAX_EDITS})",
    )


class UpstreamSpec(StrictModel):
    """The gradient of the loss with respect to the layer's output (after the activation)."""

    values: ArrayIn | None = Field(None, description="(H2, W2, K); else `fill` makes it")
    fill: FillSpec | None = None


class StepsRequest(StrictModel):
    layer: LayerSpec
    start: NonNegativeInt = Field(
        0, description="the first step's number t; 0 when neither start nor position is given"
    )
    position: Annotated[list[NonNegativeInt], Field(min_length=3, max_length=3)] | None = Field(
        None, description="[i, j, d] instead of start: begin at the step that computes output "
        "neuron (i, j, d) in `order`; give start or position, not both"
    )
    count: PositiveInt = Field(1, description="at most the server's max_steps (1000)")
    order: Literal["depth_slice", "depth_column"] = "depth_slice"
    upstream: UpstreamSpec | None = None
    encoding: Literal["json", "compact"] = "json"
    every: PositiveInt = Field(
        1, description="every n-th step: start, start+every, ... (`count` of them, clipped at "
        "the end); a page playing fast fetches only the steps it will show"
    )


class InverseRequest(StrictModel):
    layer: LayerSpec
    cell: Annotated[list[NonNegativeInt], Field(min_length=2, max_length=2)] = Field(
        description="[row, col] in the original (unpadded) input"
    )


class BackwardRequest(StrictModel):
    layer: LayerSpec
    upstream: UpstreamSpec = Field(default_factory=UpstreamSpec)


# ----------------------------------------------------------------------------- answers

ArrayOut = list[Any] | CompactArray


class HealthResult(BaseModel):
    status: Literal["ok"]
    version: str


class PresetResult(BaseModel):
    name: str
    title: str
    description: str = Field(description="what the preset shows of the CS231n notes, in our words")
    choices: str = Field(description="what the preset chose where the notes leave it open")
    default_step: int = Field(description="the step (depth_slice order) a page opens at")
    layer: LayerSpec


class AxisResult(BaseModel):
    axis: Literal["height", "width"]
    size: int
    filter_size: int
    stride: int
    dilation: int
    pad_before: int
    pad_after: int
    exact: float = Field(description="the formula's value before any fit policy")
    arithmetic: str = Field(description="e.g. `(10 - 3 + 2*0)/2 + 1 = 4.5`")
    fits: bool
    output: int = Field(description="positions used (0 when the layer does not fit)")
    extra_padding: int = Field(description='rows/columns fit="pad" added at the bottom/right')
    unseen: list[int] = Field(description="input indices no neuron looks at")


class SuggestionResult(BaseModel):
    field: str
    value: int | str | list[int]
    output: list[int]
    text: str


class CountsResult(BaseModel):
    neurons: int
    weights_per_neuron: int
    weights_shared: int
    parameters_shared: int
    parameters_local: int
    multiply_adds: int


class LayerErrorResult(BaseModel):
    field: str
    message: str


class GeometryResult(BaseModel):
    """The layer's geometry; an invalid layer is described (``valid: false``), not refused."""

    valid: bool
    error: LayerErrorResult | None
    fits: bool
    output_shape: list[int] | None = Field(description="[H2, W2, K]")
    padded_shape: list[int] | None
    padding: list[int] | None = Field(description="applied [top, bottom, left, right]")
    steps: int
    height: AxisResult | None
    width: AxisResult | None
    suggestions: list[SuggestionResult]
    notes: list[str]
    counts: CountsResult | None


class ForwardResult(BaseModel):
    padded_input: ArrayOut = Field(description="(Hp, Wp, D)")
    filters: ArrayOut = Field(description="shared (K, Fh, Fw, D) or local (H2, W2, K, Fh, Fw, D)")
    bias: ArrayOut
    output_pre: ArrayOut | None = Field(
        description="(H2, W2, K) before the activation; null when the activation is none "
        "(it would repeat `output`)"
    )
    output: ArrayOut = Field(description="(H2, W2, K)")
    geometry: GeometryResult


class StepResult(BaseModel):
    t: int
    i: int
    j: int
    d: int
    rows: list[int] = Field(description="[start, stop, step] in the padded input")
    cols: list[int]
    input_rows: list[int] | None = Field(
        description="[start, stop, step] of the taps inside the original input, like rows (step"
        " = dilation: [1, 4, 2] is taps on rows 1 and 3); null if the window is all padding"
    )
    input_cols: list[int] | None
    padding_mask: list[list[bool]] = Field(description="(Fh, Fw): taps in the zero padding")
    window: ArrayOut = Field(description="(Fh, Fw, D)")
    weights: ArrayOut
    products: ArrayOut
    channel_sums: ArrayOut = Field(description="(D,)")
    bias: float
    pre: float
    post: float
    expression: str
    upstream: float | None = Field(
        None, description="with upstream: dV[i,j,d], the gradient at this neuron's output"
    )
    weight_gradient: ArrayOut | None = Field(
        None, description="with upstream: this step's dW contribution (Fh, Fw, D)"
    )
    weight_gradient_running: ArrayOut | None = Field(
        None, description="with upstream: its filter's dW summed over its steps so far"
    )


class StepsResult(BaseModel):
    total: int
    start: int = Field(description="the first step's t (the one position names, if given)")
    order: Literal["depth_slice", "depth_column"]
    steps: list[StepResult]


class TapResult(BaseModel):
    i: int
    j: int
    tap_row: int
    tap_col: int


class InverseResult(BaseModel):
    row: int
    col: int
    filters: int = Field(description="every filter at each position sees the cell")
    taps: list[TapResult]


class BackwardResult(BaseModel):
    dx: ArrayOut = Field(description="(H, W, D)")
    dw: ArrayOut = Field(description="like the weights")
    db: ArrayOut = Field(description="like the biases")


# ----------------------------------------------------------------------------- errors


class ErrorEntry(BaseModel):
    """One reason a request was refused: where (``loc``), why (``msg``), what kind (``type``)."""

    loc: list[str | int] = Field(description='e.g. ["body", "layer", "stride"] or ["path"]')
    msg: str
    type: str = Field(description="e.g. layer_error, body_too_large, json_invalid, not_found")
    ctx: dict[str, Any] | None = Field(
        None, description="details: a geometry misfit's suggestions and notes, a limit's value"
    )


class ErrorResult(BaseModel):
    """Every refusal the server answers, whatever its status code."""

    detail: list[ErrorEntry]


# ----------------------------------------------------------------------- images, filter banks


class SampleImageResult(BaseModel):
    name: str
    description: str
    height: int
    width: int


class ImageInput(BaseModel):
    """Drops into a layer spec as its ``input``: ``shape`` [H, W, 3] and compact ``values``."""

    shape: list[int] = Field(description="[H, W, 3]")
    values: ArrayOut = Field(description="(H, W, 3) pixel values on the chosen scale")


class ImageResult(BaseModel):
    """An image as an ordinary layer input."""

    name: str | None = Field(description="the sample's name; null for an upload")
    format: Literal["PNG", "JPEG"]
    original_shape: list[int] = Field(description="[height, width] before resizing")
    shape: list[int] = Field(description="[H, W, 3] after resizing")
    scale: Literal["unit", "byte"] = Field(description="unit: values in [0, 1]; byte: 0..255")
    input: ImageInput


class FilterBankResult(BaseModel):
    """A named filter bank in the layer spec's shapes (``filters.values``, ``filters.bias``)."""

    name: str
    title: str
    explanation: str
    count: int = Field(description="K")
    size: int = Field(description="F (each filter is F x F x 3)")
    names: list[str] = Field(description="one per filter")
    explanations: list[str] = Field(description="one line per filter")
    values: list[Any] = Field(description="(K, F, F, 3) weights")
    bias: list[float] = Field(description="(K,)")
