"""Layer specs to engine objects, with every server limit checked first.

The order matters: the spec's integers are checked against the side/depth/filter limits
before :func:`engine.geometry.resolve` runs, and the request's cost (multiply-adds and array
elements, from the geometry alone: :mod:`app.costs`) is checked against the budget before any
array is made. So ``input.shape = [1000000000, 1, 1]`` is refused in microseconds, allocating
nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from app.config import Settings
from app.costs import Cost, check_budget, layer_cost, resolve_cost
from app.encoding import FloatArray, decode_compact, decode_nested
from app.layer_cache import LAYERS, LayerCache, resolved
from app.schemas import ArrayIn, CompactArray, FillSpec, LayerSpec
from app.sources import named_arrays
from engine.edits import Edit
from engine.errors import LayerError
from engine.geometry import Geometry, GeometryError, LayerShape, Padding
from engine.layer import Layer, build_layer
from engine.tensors import (
    BIAS_INTEGERS,
    INPUT_INTEGERS,
    STREAM_UPSTREAM,
    WEIGHT_INTEGERS,
    Fill,
    fill,
)

# The upstream gradient's default: small signed integers, so dW is checkable by hand.
UPSTREAM_INTEGERS = Fill("integers", low=-1, high=1)


# ----------------------------------------------------------------------------- field paths


@contextmanager
def within(prefix: str | None) -> Iterator[None]:
    """Re-raise engine errors with their field under ``prefix`` (``stride`` -> ``layer.stride``).

    Engine fields are paths inside a layer spec; in ``/api/steps`` the spec sits under
    ``layer``, and the client needs the full path to find the field.
    """
    if not prefix:
        yield
        return
    try:
        yield
    except GeometryError as error:
        raise GeometryError(f"{prefix}.{error.field}", error.reason, error.suggestions) from None
    except LayerError as error:
        raise LayerError(f"{prefix}.{error.field}", error.reason) from None


# ----------------------------------------------------------------------------- limits


def _pair(value: int | list[int]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (value[0], value[1])


def layer_shape(spec: LayerSpec, settings: Settings) -> LayerShape:
    """The spec's hyperparameters, each checked against the server's limits.

    Examples
    --------
    >>> from app.schemas import FiltersSpec, InputSpec
    >>> spec = LayerSpec(input=InputSpec(shape=[7, 7, 1]), filters=FiltersSpec(count=1, size=3))
    >>> layer_shape(spec, Settings()).filter_width
    3
    """
    h, w, d = spec.input.shape
    fh, fw = _pair(spec.filters.size)
    sh, sw = _pair(spec.stride)
    dh, dw = _pair(spec.dilation)
    padding = Padding.of(spec.padding)
    side = settings.max_side
    checks = [
        ("input.shape", "height", h, side, "MAX_SIDE"),
        ("input.shape", "width", w, side, "MAX_SIDE"),
        ("input.shape", "depth", d, settings.max_depth, "MAX_DEPTH"),
        ("filters.count", "the number of filters", spec.filters.count, settings.max_filters,
         "MAX_FILTERS"),
        ("filters.size", "the filter height", fh, side, "MAX_SIDE"),
        ("filters.size", "the filter width", fw, side, "MAX_SIDE"),
        ("stride", "the vertical stride", sh, side, "MAX_SIDE"),
        ("stride", "the horizontal stride", sw, side, "MAX_SIDE"),
        ("dilation", "the vertical dilation", dh, side, "MAX_SIDE"),
        ("dilation", "the horizontal dilation", dw, side, "MAX_SIDE"),
        *(("padding", f"the {name} padding", value, side, "MAX_SIDE")
          for name, value in zip(("top", "bottom", "left", "right"), padding.as_list(),
                                 strict=True)),
    ]
    if len(spec.edits) > settings.max_edits:
        checks.append(("edits", "the number of edits", len(spec.edits), settings.max_edits,
                        "MAX_EDITS"))
    for field, what, value, limit, env in checks:
        if value > limit:
            raise LayerError(
                field, f"{what} is {value:,}, over this server's limit of {limit:,} "
                f"(CONVSCOPE_{env})",
            )
    return LayerShape(h, w, d, spec.filters.count, fh, fw, sh, sw, padding, dh, dw, spec.fit)


# ----------------------------------------------------------------------------- arrays


def array_in(values: ArrayIn | None, field: str) -> FloatArray | None:
    """Request values (nested lists or compact) as a float64 array, or None for a fill."""
    if values is None:
        return None
    if isinstance(values, CompactArray):
        return decode_compact(values.dtype, values.shape, values.data, field)
    return decode_nested(values, field)


def fill_of(spec: FillSpec | None, default: Fill) -> Fill:
    """A request fill on top of its role's default (so ``low``/``high`` may be left out)."""
    if spec is None:
        return default
    low = default.low if spec.low is None else spec.low
    high = default.high if spec.high is None else spec.high
    return Fill(spec.kind, spec.seed, low, high, spec.mean, spec.std)


# ----------------------------------------------------------------------------- layers


def geometry(spec: LayerSpec, settings: Settings) -> Geometry:
    """The spec's geometry after the side limits (raises :class:`GeometryError` on a misfit)."""
    shape = layer_shape(spec, settings)
    check_budget(resolve_cost(shape), settings)
    return resolved(shape)


def build(
    spec: LayerSpec, settings: Settings, cost: Cost = layer_cost, at: str | None = None
) -> Layer:
    """A layer ready to compute, once its cost under ``cost`` is within the budget.

    ``at`` is where the spec sits in the request body, so errors name the full path. Layers
    made only from fills come from :data:`LAYERS` when built recently.
    """
    with within(at):
        g = geometry(spec, settings)
    check_budget(cost(g, spec), settings, at)
    key = LayerCache.key(spec)
    cached = LAYERS.get(key) if key is not None else None
    if cached is not None:
        return cached
    with within(at):
        layer = _build(spec, settings)
    if key is not None:
        LAYERS.put(key, layer)
    return layer


def _build(spec: LayerSpec, settings: Settings) -> Layer:
    named = named_arrays(spec, settings)
    return build_layer(
        layer_shape(spec, settings),
        x=array_in(spec.input.values, "input.values") if named.x is None else named.x,
        weights=(array_in(spec.filters.values, "filters.values") if named.weights is None
                 else named.weights),
        bias=array_in(spec.filters.bias, "filters.bias") if named.bias is None else named.bias,
        input_fill=fill_of(spec.input.fill, INPUT_INTEGERS),
        weight_fill=fill_of(spec.filters.fill, WEIGHT_INTEGERS),
        bias_fill=fill_of(spec.filters.bias_fill, BIAS_INTEGERS),
        connectivity=spec.connectivity,
        activation=spec.activation,
        edits=[Edit(e.array, tuple(e.index), e.value) for e in spec.edits],
    )


def upstream_array(
    values: ArrayIn | None, how: FillSpec | None, layer: Layer, field: str = "upstream"
) -> FloatArray:
    """The upstream gradient ``(H2, W2, K)``: given values (shape-checked) or a fill."""
    shape = layer.geometry.output_shape
    array = array_in(values, f"{field}.values")
    if array is None:
        return fill(shape, fill_of(how, UPSTREAM_INTEGERS), STREAM_UPSTREAM)
    if array.shape != shape:
        raise LayerError(
            f"{field}.values",
            f"values have shape {list(array.shape)} but the layer's output is {list(shape)}",
        )
    return array
