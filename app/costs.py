"""What a request would cost, from the geometry alone, and the refusal when it is too much.

Each ``*_cost`` lists the arrays an endpoint would materialise and the arithmetic it would do,
each item blamed on the spec field that drives it, so :func:`check_budget` can refuse before
any array exists and name the field to change.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

from app.config import Settings
from engine.errors import LayerError
from engine.geometry import Geometry, LayerShape
from engine.layer import bias_shape, weight_shape

# Work units are roughly nanoseconds of one core: a multiply-add or an array element is ~1.
# Writing a number into a JSON answer costs far more (orjson + the socket), and an inverse-map
# tap more again (the engine lists it as an object, then it is written); the two weights are
# those measured costs in the same units (the figures are in benchmarks/README.md).
# Without them a request with a tiny output but a huge padded input, or a wide dilated
# filter's inverse map, was "cheap" by multiply-adds and then spent seconds on its answer.
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


def check_steps(count: int, settings: Settings) -> None:
    """Refuse a range longer than the server's ``max_steps`` before anything is built."""
    if count > settings.max_steps:
        raise LayerError(
            "count", f"count {count:,} is over this server's limit of {settings.max_steps:,} "
            "steps per request (CONVSCOPE_MAX_STEPS): ask for the rest in further ranges",
        )
