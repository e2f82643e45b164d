"""Layer specs to engine objects and back, with every server limit checked first.

The order matters: the spec's integers are checked against the side/depth/filter limits
before :func:`engine.geometry.resolve` runs, and the request's cost (multiply-adds and array
elements, from the geometry alone) is checked against the budget before any array is made.
So ``input.shape = [1000000000, 1, 1]`` is refused in microseconds, allocating nothing.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from app.config import Settings
from app.encoding import Encoding, FloatArray, decode_compact, decode_nested, encode
from app.schemas import (
    ArrayIn,
    AxisResult,
    CompactArray,
    CountsResult,
    FillSpec,
    FiltersSpec,
    GeometryResult,
    InputSpec,
    LayerErrorResult,
    LayerSpec,
    PresetResult,
    StepResult,
    StepsResult,
    SuggestionResult,
)
from engine.backward import weight_gradient_contribution, weight_gradient_running
from engine.errors import LayerError
from engine.geometry import (
    AxisGeometry,
    Geometry,
    GeometryError,
    LayerShape,
    Padding,
    Suggestions,
    resolve,
    suggest,
)
from engine.layer import Layer, bias_shape, build_layer, weight_shape
from engine.presets import Preset
from engine.tensors import (
    BIAS_INTEGERS,
    INPUT_INTEGERS,
    STREAM_UPSTREAM,
    WEIGHT_INTEGERS,
    Fill,
    fill,
)
from engine.trace import StepRange

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
    for field, what, value, limit, env in checks:
        if value > limit:
            raise LayerError(
                field, f"{what} is {value:,}, over this server's limit of {limit:,} "
                f"(CONVSCOPE_{env})",
            )
    return LayerShape(h, w, d, spec.filters.count, fh, fw, sh, sw, padding, dh, dw, spec.fit)


# Work units are roughly nanoseconds of one core: a multiply-add or an array element is ~1.
# Writing a number into a JSON answer costs far more (orjson + the socket): a 37.7M-number
# forward answer took 16 s, ~400 ns a number; an inverse-map tap ~10 us (1,050,625 taps:
# 8.3 s for the engine to list them as objects, 1.7 s to write them). Without these weights a
# request with a tiny output but a huge padded input, or a wide dilated filter's inverse map,
# was "cheap" by multiply-adds and then spent seconds on its answer.
WRITE_COST = 400
TAP_COST = 10_000


@dataclass(frozen=True)
class Item:
    """One part of a request's cost, blamed on the spec field that drives it."""

    field: str
    what: str
    elements: int = 0  # array elements materialised
    multiply_adds: int = 0
    in_layer: bool = True  # False for request fields beside the layer (``count``)
    written: int = 0  # work units spent writing the answer (numbers x WRITE_COST)

    @property
    def work(self) -> int:
        return self.elements + self.multiply_adds + self.written


Cost = Callable[[Geometry, str], list[Item]]


def _layer_items(g: Geometry, connectivity: str) -> list[Item]:
    """What building a layer materialises: input, padded input, weights, biases."""
    h, w, d = g.shape.height, g.shape.width, g.shape.depth
    hp, wp, _ = g.padded_shape
    weight_field = "connectivity" if connectivity == "local" else "filters"
    return [
        Item("input.shape", "input", elements=h * w * d),
        Item("padding", "padded input", elements=hp * wp * d),
        Item(weight_field, f"{connectivity} weights",
             elements=math.prod(weight_shape(g, connectivity))),  # type: ignore[arg-type]
        Item(weight_field, f"{connectivity} biases",
             elements=math.prod(bias_shape(g, connectivity))),  # type: ignore[arg-type]
    ]


def _written(items: list[Item]) -> list[Item]:
    """The same items, each also charged for writing its array into the answer."""
    return [replace(item, written=item.elements * WRITE_COST) for item in items]


def forward_cost(g: Geometry, connectivity: str) -> list[Item]:
    """Forward pass: the layer, its window columns, the output before and after activation;
    the answer carries the padded input, weights, biases and outputs."""
    c = g.counts
    positions = g.out_height * g.out_width
    layer = _layer_items(g, connectivity)
    return [
        layer[0],
        *_written(layer[1:]),
        Item("input.shape", "window columns", elements=positions * c.weights_per_neuron),
        Item("filters.count", "outputs", elements=2 * c.neurons, multiply_adds=c.multiply_adds,
             written=2 * c.neurons * WRITE_COST),
    ]


def backward_cost(g: Geometry, connectivity: str) -> list[Item]:
    """Backward pass: the forward's arrays plus upstream, dX and dW (two multiply-adds each);
    the answer carries dX, dW and db."""
    c = g.counts
    layer = _layer_items(g, connectivity)
    positions = g.out_height * g.out_width
    return [
        *layer,
        Item("input.shape", "window columns", elements=positions * c.weights_per_neuron),
        Item("filters.count", "outputs", elements=2 * c.neurons, multiply_adds=c.multiply_adds),
        Item("filters.count", "upstream gradient", elements=c.neurons),
        Item("padding", "input gradient", elements=math.prod(g.padded_shape),
             multiply_adds=c.multiply_adds,
             written=g.shape.height * g.shape.width * g.shape.depth * WRITE_COST),
        *(replace(item, what=item.what.replace("weights", "weight gradients")
                  .replace("biases", "bias gradients"))
          for item in _written(layer[2:4])),
        Item("filters.count", "weight gradient products", multiply_adds=c.multiply_adds),
    ]


def steps_cost(count: int, with_upstream: bool) -> Cost:
    """A range of ``count`` steps: per step its window, weights, products (and with
    ``upstream`` its gradient and running sum); the running sums read whole depth slices."""

    def cost(g: Geometry, connectivity: str) -> list[Item]:
        c = g.counts
        n = min(count, g.steps)
        per_step = 4 if with_upstream else 3
        # Each step's arrays are written into the answer too (plus D channel sums).
        numbers = n * (per_step * c.weights_per_neuron + g.shape.depth)
        items = [
            *_layer_items(g, connectivity),
            Item("count", "step arrays", elements=n * per_step * c.weights_per_neuron,
                 multiply_adds=n * c.weights_per_neuron, in_layer=False,
                 written=numbers * WRITE_COST),
        ]
        if with_upstream:
            positions = g.out_height * g.out_width
            filters = min(n, g.shape.filters)  # one running sum is started per filter touched
            items.append(Item("filters.count", "upstream gradient", elements=c.neurons))
            if connectivity == "shared":
                items.append(Item("count", "running weight-gradient sums", in_layer=False,
                                  multiply_adds=2 * filters * positions * c.weights_per_neuron))
        return items

    return cost


def layer_cost(g: Geometry, connectivity: str) -> list[Item]:
    """Just building the layer."""
    return _layer_items(g, connectivity)


def inverse_cost(g: Geometry, connectivity: str) -> list[Item]:
    """The inverse map: the layer, and at most ``min(outputs, taps)`` hits per axis, each
    pair of hits one tap object in the answer."""
    hits = min(g.out_height, g.shape.filter_height) * min(g.out_width, g.shape.filter_width)
    return [*_layer_items(g, connectivity),
            Item("filters.size", "taps listed", written=hits * TAP_COST)]


def _path(item: Item, at: str | None) -> str:
    return f"{at}.{item.field}" if at and item.in_layer else item.field


def check_budget(items: list[Item], settings: Settings, at: str | None = None) -> None:
    """Refuse a request whose cost is over a limit, naming the field that drives it.

    ``at`` is where the layer spec sits in the request body (``"layer"``), if not at the top.
    """
    elements = sum(item.elements for item in items)
    work = sum(item.work for item in items)
    if elements > settings.max_elements:
        big = max(items, key=lambda item: item.elements)
        raise LayerError(
            _path(big, at),
            f"this request would materialise {elements:,} numbers ({big.what}: "
            f"{big.elements:,}), over this server's limit of {settings.max_elements:,} "
            "(CONVSCOPE_MAX_ELEMENTS)",
        )
    if work > settings.max_work:
        big = max(items, key=lambda item: item.work)
        raise LayerError(
            _path(big, at),
            f"this request would cost {work:,} units of work (multiply-adds, array elements, "
            f"and {WRITE_COST} a number written into the answer; {big.what}: "
            f"{big.work:,}), over this server's work budget of "
            f"{settings.max_work:,} (CONVSCOPE_MAX_WORK)",
        )


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


def resolve_cost(shape: LayerShape) -> list[Item]:
    """Resolving the geometry itself: the engine walks every tap of every window position
    along each axis to find the input cells no neuron sees (``O(out * F)`` per axis), which a
    4096-wide filter over 12288 padded cells makes 33 million taps.

    Examples
    --------
    A 3-tap filter on 7 cells has 5 positions; one more is allowed for (fit="pad"):

    >>> [item.elements for item in resolve_cost(LayerShape.square(7, 1, 1, 3))]
    [18, 18]
    """
    items = []
    for axis in ("height", "width"):
        size, f, stride, dilation = shape.along(axis)
        before, after = shape.padding.along(axis)
        span = dilation * (f - 1) + 1
        padded = size + before + after
        out = (padded - span) // stride + 2 if padded >= span else 0  # +1, +1 for fit="pad"
        items.append(Item("filters.size", f"window taps along the {axis}", elements=out * f))
    return items


def geometry(spec: LayerSpec, settings: Settings) -> Geometry:
    """The spec's geometry after the side limits (raises :class:`GeometryError` on a misfit)."""
    shape = layer_shape(spec, settings)
    check_budget(resolve_cost(shape), settings)
    return resolve(shape)


class LayerCache:
    """Recently built layers whose arrays all come from fills, keyed by their spec.

    The page asks for one step at a time of the same layer: rebuilding AlexNet conv1 (three
    seeded fills, 190,000 numbers) was ~3 ms of a ~5 ms single-step request, so a server
    that rebuilt it answered steps at a third of its health rate. A fill is a pure function
    of the spec, so the layer can be reused; its arrays are made read-only first, so no
    request can change what another sees. Specs with explicit values are not cached (their
    key would be the values themselves). Bounded by elements held, not by entries, and
    thread-safe (handlers run in a thread pool).
    """

    def __init__(self, max_elements: int) -> None:
        self.max_elements = max_elements
        self._layers: OrderedDict[str, tuple[Layer, int]] = OrderedDict()
        self._held = 0
        self._lock = threading.Lock()

    @staticmethod
    def key(spec: LayerSpec) -> str | None:
        explicit = (spec.input.values, spec.filters.values, spec.filters.bias)
        return None if any(v is not None for v in explicit) else spec.model_dump_json()

    def get(self, key: str) -> Layer | None:
        with self._lock:
            found = self._layers.get(key)
            if found is None:
                return None
            self._layers.move_to_end(key)
            return found[0]

    def put(self, key: str, layer: Layer) -> None:
        size = layer.x.size * 2 + layer.weights.size + layer.bias.size  # x, x_padded, W, b
        if size > self.max_elements:
            return
        for array in (layer.x, layer.x_padded, layer.weights, layer.bias):
            array.flags.writeable = False
        with self._lock:
            if key in self._layers:
                return
            self._layers[key] = (layer, size)
            self._held += size
            while self._held > self.max_elements:
                _, (_, dropped) = self._layers.popitem(last=False)
                self._held -= dropped


# 4M elements (32 MB of float64): AlexNet conv1 holds ~0.38M, so a class's worth of layers.
LAYERS = LayerCache(max_elements=4_000_000)


def build(
    spec: LayerSpec, settings: Settings, cost: Cost = layer_cost, at: str | None = None
) -> Layer:
    """A layer ready to compute, once its cost under ``cost`` is within the budget.

    ``at`` is where the spec sits in the request body, so errors name the full path. Layers
    made only from fills come from :data:`LAYERS` when built recently.
    """
    with within(at):
        g = geometry(spec, settings)
    check_budget(cost(g, spec.connectivity), settings, at)
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
    return build_layer(
        layer_shape(spec, settings),
        x=array_in(spec.input.values, "input.values"),
        weights=array_in(spec.filters.values, "filters.values"),
        bias=array_in(spec.filters.bias, "filters.bias"),
        input_fill=fill_of(spec.input.fill, INPUT_INTEGERS),
        weight_fill=fill_of(spec.filters.fill, WEIGHT_INTEGERS),
        bias_fill=fill_of(spec.filters.bias_fill, BIAS_INTEGERS),
        connectivity=spec.connectivity,
        activation=spec.activation,
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


# ----------------------------------------------------------------------------- geometry answer


def _axis_result(axis: AxisGeometry) -> AxisResult:
    return AxisResult(
        axis=axis.axis, size=axis.size, filter_size=axis.filter_size, stride=axis.stride,
        dilation=axis.dilation, pad_before=axis.pad_before, pad_after=axis.pad_after,
        exact=float(axis.exact), arithmetic=axis.arithmetic, fits=axis.fits,
        output=axis.output, extra_padding=axis.extra_padding, unseen=list(axis.unseen),
    )


def _suggestions(found: Suggestions) -> tuple[list[SuggestionResult], list[str]]:
    changes = [
        SuggestionResult(field=s.field, value=s.value, output=list(s.output), text=s.text)
        for s in found.changes
    ]
    return changes, list(found.notes)


def geometry_result(spec: LayerSpec, settings: Settings) -> GeometryResult:
    """The geometry answer; a misfit is described (``valid: false``) rather than raised."""
    shape = layer_shape(spec, settings)
    check_budget(resolve_cost(shape), settings)
    try:
        g = resolve(shape)
    except GeometryError as error:
        # Show each axis's arithmetic anyway: resolving with fit="floor" only skips the
        # refusal, the formula's exact value per axis is the same.
        try:
            floored: Geometry | None = resolve(replace(shape, fit="floor"))
        except GeometryError:
            floored = None
        changes, notes = _suggestions(error.suggestions)
        axes: dict[str, Any] = {"height": None, "width": None}
        if floored is not None:
            axes = {
                name: _axis_result(ax if ax.fits else replace(ax, output=0, extra_padding=0,
                                                                 unseen=()))
                for name, ax in (("height", floored.height), ("width", floored.width))
            }
        return GeometryResult(
            valid=False, error=LayerErrorResult(field=error.field, message=error.reason),
            fits=False, output_shape=None, padded_shape=None, padding=None, steps=0,
            suggestions=changes, notes=notes, counts=None, **axes,
        )
    c = g.counts
    fits = g.height.fits and g.width.fits
    # fit="pad"/"floor" made it work; still say which exact fits are near.
    changes, notes = ([], []) if fits else _suggestions(suggest(shape))
    changes = [c for c in changes if not (c.field == "fit" and c.value == shape.fit)]
    return GeometryResult(
        valid=True, error=None, fits=fits,
        output_shape=list(g.output_shape), padded_shape=list(g.padded_shape),
        padding=g.padding.as_list(), steps=g.steps,
        height=_axis_result(g.height), width=_axis_result(g.width),
        suggestions=changes, notes=notes,
        counts=CountsResult(
            neurons=c.neurons, weights_per_neuron=c.weights_per_neuron,
            weights_shared=c.weights_shared, parameters_shared=c.parameters_shared,
            parameters_local=c.parameters_local, multiply_adds=c.multiply_adds,
        ),
    )


# ----------------------------------------------------------------------------- presets


def _per_axis(h: int, w: int) -> int | list[int]:
    return h if h == w else [h, w]


def _fill_spec(how: Fill) -> FillSpec:
    return FillSpec(
        kind=how.kind, seed=how.seed, low=float(how.low), high=float(how.high),
        mean=float(how.mean), std=float(how.std),
    )


def _values(array: FloatArray | None) -> list[Any] | None:
    return None if array is None else array.tolist()


def preset_spec(preset: Preset) -> LayerSpec:
    """A preset as the layer spec a client would send for it.

    Examples
    --------
    >>> from engine.presets import PRESETS
    >>> spec = preset_spec(PRESETS["alexnet-conv1"])
    >>> spec.input.shape, spec.filters.count, spec.filters.size, spec.stride
    ([227, 227, 3], 96, 11, 4)
    """
    s = preset.shape
    explicit = (preset.x, preset.weights, preset.bias)
    x, weights, bias = (
        preset.explicit_values() if any(v is not None for v in explicit) else (None, None, None)
    )
    p = s.padding
    return LayerSpec(
        input=InputSpec(
            shape=[s.height, s.width, s.depth], values=_values(x),
            fill=_fill_spec(preset.input_fill),
        ),
        filters=FiltersSpec(
            count=s.filters, size=_per_axis(s.filter_height, s.filter_width),
            values=_values(weights), fill=_fill_spec(preset.weight_fill),
            bias=_values(bias), bias_fill=_fill_spec(preset.bias_fill),
        ),
        stride=_per_axis(s.stride_h, s.stride_w),
        padding=p.top if p.is_symmetric else p.as_list(),
        dilation=_per_axis(s.dilation_h, s.dilation_w),
        fit=s.fit, connectivity=preset.connectivity, activation=preset.activation,
    )


def preset_result(preset: Preset) -> PresetResult:
    return PresetResult(
        name=preset.name, title=preset.title, description=preset.description,
        choices=preset.choices, default_step=preset.default_step, layer=preset_spec(preset),
    )


# ----------------------------------------------------------------------------- steps answer


def check_steps(count: int, settings: Settings) -> None:
    """Refuse a range longer than the server's ``max_steps`` before anything is built."""
    if count > settings.max_steps:
        raise LayerError(
            "count", f"count {count:,} is over this server's limit of {settings.max_steps:,} "
            "steps per request (CONVSCOPE_MAX_STEPS): ask for the rest in further ranges",
        )


def _weight_gradients(
    layer: Layer, upstream: FloatArray, found: StepRange
) -> list[tuple[FloatArray, FloatArray]]:
    """Each step's dW contribution and its filter's running sum, in O(range) engine calls.

    The engine's running sum reads a whole depth slice, so it is called once per filter the
    range touches (at that filter's first step here); later steps of the same filter add
    their own contribution, which is what the engine's sum would add between them.
    """
    running: dict[int, FloatArray] = {}
    out = []
    for t, d in zip(found.t.tolist(), found.d.tolist(), strict=True):
        own = weight_gradient_contribution(layer, upstream, t, found.order)
        if layer.connectivity == "local":
            total = own  # locally connected neurons share nothing: nothing to add up
        elif d in running:
            total = running[d] + own
        else:
            total = weight_gradient_running(layer, upstream, t, found.order)
        running[d] = total
        out.append((own, total))
    return out


def steps_result(
    layer: Layer, found: StepRange, upstream: FloatArray | None, encoding: Encoding
) -> StepsResult:
    """The steps answer (built unvalidated: it is written straight to orjson)."""
    gradients = _weight_gradients(layer, upstream, found) if upstream is not None else None
    steps = []
    for k, s in enumerate(found):
        own, total = gradients[k] if gradients is not None else (None, None)
        steps.append(StepResult.model_construct(
            t=s.t, i=s.i, j=s.j, d=s.d,
            rows=[s.row_start, s.row_stop, s.row_step],
            cols=[s.col_start, s.col_stop, s.col_step],
            input_rows=None if s.input_rows is None else list(s.input_rows),
            input_cols=None if s.input_cols is None else list(s.input_cols),
            padding_mask=s.padding_mask.tolist(),
            window=encode(s.window, encoding),
            weights=encode(s.weights, encoding),
            products=encode(s.products, encoding),
            channel_sums=encode(s.channel_sums, encoding),
            bias=s.bias, pre=s.pre, post=s.post, expression=s.expression,
            upstream=None if upstream is None else float(upstream[s.i, s.j, s.d]),
            weight_gradient=None if own is None else encode(own, encoding),
            weight_gradient_running=None if total is None else encode(total, encoding),
        ))
    return StepsResult.model_construct(
        total=found.total, start=found.start, order=found.order, steps=steps
    )
