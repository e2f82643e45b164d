"""What a request would cost, from the geometry alone, and the refusal when it is too much.

Each ``*_cost`` lists what an endpoint would do, item by item, each blamed on the spec field
that drives it, so :func:`check_budget` can refuse before any array exists and name the field
to change. Sizes come from the resolved :class:`~engine.geometry.Geometry` (its output sizes,
spans and counts). What prices resolving itself (:func:`resolve_cost`, the suggested layers'
:func:`trials_cost`, and :func:`input_cost`, priced before its layer is resolved) has only
the :class:`~engine.geometry.LayerShape`: it bounds the positions from above
(:func:`_most_positions`), through the geometry module's own formula.

The unit of work is one multiply-add of the engine's matrix product, the cheapest thing a
request does; every other weight below says how many of those one piece of work is worth.
``benchmarks/bench_costs.py`` times a spread of requests against these estimates (its table
is in ``benchmarks/README.md``): the weights are what keeps time/estimate within one order of
magnitude, from a 5x5 geometry to the server's limits.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from app.config import Settings
from app.encoding import Encoding, wrapped
from app.errors import FILTERS_PASS, OVER_LIMIT
from app.images import Layout
from app.lru import weighed_memo
from app.routing import check_inline
from app.schemas import ArrayIn, CompactArray, LayerSpec
from engine.backward import BAND_ELEMENTS, GRADIENTS, Gradient
from engine.errors import LayerError, counted
from engine.geometry import (
    MOST_SUGGESTIONS,
    SEARCH,
    Geometry,
    LayerShape,
    axis_output,
    filter_size_candidates,
    span_of,
    unread_walk_limit,
)
from engine.layer import Connectivity, bias_shape, weight_shape
from engine.trace import Order, step_number

# --------------------------------------------------------------------------- weights
# Array work is memory-bound. An element of a freshly allocated array costs most (the
# kernel maps its pages in on first touch), one drawn by a seeded fill more (a temporary
# integer array too); an element computed into memory already in use (the kernel's reused
# column buffer, an element-wise pass) far less. The locally connected kernel multiplies
# one small matrix per position, at element-wise speed.
MULTIPLY_ADD = 1
LOCAL_MULTIPLY_ADD = 20
ELEMENT = 100
FILLED = 500
TOUCHED = 8
# A window gradient of the backward pass: written by a thin product (K multiply-adds per
# value, often few) and added back onto dX along short rows, one strided add per tap.
WINDOW_GRADIENT = 40
# Writing the answer. JSON pays per number (digits, separators) and per innermost list
# (orjson opens and closes each), so a (40, 40, 3) array costs more than a (1, 1, 4800) one;
# a large array whose innermost lists hold one number each is written in rows and wrapped
# (app.encoding.WrappedText), a copy and a replace of its text, per number. Compact is
# float32 bytes in base64, plus a fixed cost per array (its copy, its base64 text and its
# object) that dominates a step's small arrays.
JSON_NUMBER = 430
JSON_LIST = 1_500
JSON_WRAPPED = 350
COMPACT_NUMBER = 210
COMPACT_ARRAY = 60_000
# Reading a request's explicit values: nested JSON lists become Python floats, then an array.
PARSED_NUMBER = 4_400
PARSED_COMPACT = 150
# Python-level work: one step of a range (its objects, expression, mask and arrays' wrappers,
# more with its weight gradients), one output row or column's slice text, one inverse tap
# object or tap tried, one layer the geometry answer tries while looking for fits.
STEP = 500_000
STEP_GRADIENT = 350_000
SLICE_TEXT = 15_000
TAP = 15_000
CANDIDATE = 60_000
# Where a dilation's holes are wider than the input, each padding the suggestions try checks
# every window for a tap on the input (a few small array passes per window); and each
# suggestion's unread cells are counted tap by tap or cell by cell (a bincount's passes).
HOLED_WINDOW = 600
UNREAD_CELL = 1_000
# The geometry's count of input cells no window sees: a few small integer arrays over the
# window positions and the input's cells along each axis, and the unseen ones listed.
RESOLVE_CELL = 3_500
# A suggestion's layer priced, to say whether this server would compute it: its forward's cost
# items made and summed, in Python.
SUGGESTION_PRICED = 6_000_000
# An uploaded image's pixels: a PNG is inflated and converted whole, then resized; a JPEG is
# decoded already scaled down (the decoder's draft mode), so each of its pixels costs little.
PNG_PIXEL = 300
JPEG_PIXEL = 15
# ...and its compressed bytes are inflated first: a noisy photo's are about as many as its
# pixel values, a flat picture's next to none (benchmarks/README.md, "Cost model").
PNG_BYTE = 100
# ...and row by row: the decoder's own work per row (its filter byte, a callback) is most of
# a tall strip's time, which its pixels alone under-priced many times over
# (benchmarks/README.md, "Figures behind the code's choices").
PNG_ROW = 1_500
# ...and chunk by chunk: Pillow reads each chunk's header (and keeps a private one's bytes) in
# Python, dearer than a megapixel's rows (benchmarks/README.md, "Figures behind the code's
# choices").
PNG_CHUNK = 80_000
# A JPEG's compressed bytes are Huffman-decoded however small the scale it is decoded at; a
# buffered JPEG's (a progressive frame, or one component a scan: Layout.buffered) dearer, each
# scan's bits read into coefficients kept for the next. Its decoder keeps every 8x8 block of
# coefficients at full resolution (fresh memory, read again to make the output) and walks all
# of a scan's blocks per scan, even a scan of nothing but end-of-band runs
# (benchmarks/README.md, "Figures behind the code's choices").
JPEG_BYTE = 180
PROGRESSIVE_BYTE = 650
HELD_BLOCK = 1_500
SCAN_BLOCK = 100
# A held block's 64 16-bit coefficients take the memory of 16 float64 elements.
HELD_BLOCK_ELEMENTS = 16
# A request's fixed cost: routing, validation, middleware, the answer's envelope, weighed
# against the other weights as bench_costs.py measures them (benchmarks/README.md).
REQUEST = 20_000_000

# How an endpoint is asked for its arrays compact: /api/steps in its body, the rest in the query.
QUERY_COMPACT = "?encoding=compact"
BODY_COMPACT = '"encoding": "compact"'


@dataclass
class Item:
    """One part of a request's cost, blamed on the spec field that drives it.

    A value: nothing assigns to an item once made (memoised prices share theirs), and a
    changed one is a copy (:meth:`advised`). Not a frozen dataclass all the same: its
    ``__init__`` sets each field through ``object.__setattr__``, several times the cost of a
    plain assignment, and a forward's price makes a dozen items, a geometry answer's two dozen.
    """

    field: str
    what: str
    work: int  # weighted units: one is a multiply-add of the engine's product (design "Costs")
    elements: int = 0  # array elements materialised (against max_elements)
    in_layer: bool = True  # False for request fields beside the layer (``count``)
    # The refusal's ``type`` when this item is the dearest of a request over a limit: an
    # upload's pixels and its parts (chunks, bytes, scans) are refused as different failures.
    kind: str = OVER_LIMIT
    # What else would cut it, when its field is not the way (a backward's gradient: `parts`)
    advice: str = ""
    # Its work written compact, for arrays written as JSON (None: no encoding changes it): a
    # refusal says what that would cost, and when asking for compact alone would pass the
    # budget; ``compact_asked`` is how its endpoint is asked for compact
    compact_work: int | None = None
    compact_asked: str = QUERY_COMPACT
    # A cost every request pays whatever its sizes (its field's advice would be false)
    fixed: bool = False
    # Making the layer's arrays, which a layer taken from the cache has done already: priced
    # all the same (a request is refused or not whatever the cache holds), but not counted
    # where its handler runs (check_budget's ``built``)
    builds: bool = False

    def advised(self, advice: str) -> Item:
        """This item with ``advice`` instead of its own: its fields copied as they are
        (``dataclasses.replace`` would check and pass every field to ``__init__`` again).

        >>> Item("f", "w", 1).advised("; do less").advice
        '; do less'
        """
        copied = object.__new__(Item)
        copied.__dict__.update(self.__dict__, advice=advice)
        return copied


def request_item(field: str = "input.shape") -> Item:
    """The request's fixed cost: the dearest part only of a budget set below one request."""
    return Item(field, "the request itself", REQUEST, fixed=True,
                advice="; every request costs that, whatever its sizes, so this server's "
                       "budget is below one request")


Cost = Callable[[Geometry, LayerSpec], Sequence[Item]]


# --------------------------------------------------------------------------- building blocks


def made(field: str, what: str, n: int, weight: int = ELEMENT, in_layer: bool = True,
         builds: bool = False) -> Item:
    """``n`` array elements materialised, each worth ``weight``; ``builds``: the layer's own
    (:attr:`Item.builds`)."""
    return Item(field, what, n * weight, elements=n, in_layer=in_layer, builds=builds)


def written(field: str, what: str, shape: tuple[int, ...], encoding: Encoding) -> Item:
    """An array of ``shape`` written into the answer.

    >>> written("x", "x", (4, 3), "json").work == 12 * JSON_NUMBER + 4 * JSON_LIST
    True
    >>> written("x", "x", (64, 64, 1), "json").work == 4096 * (JSON_NUMBER + JSON_WRAPPED)
    True
    """
    n = math.prod(shape)
    if encoding == "compact":
        return Item(field, f"{what} (compact)", n * COMPACT_NUMBER + COMPACT_ARRAY)
    if wrapped(shape):
        lists_work = n * JSON_WRAPPED
    else:
        lists_work = (n // shape[-1] if shape and shape[-1] else 0) * JSON_LIST
    return Item(field, f"{what} (JSON)", n * JSON_NUMBER + lists_work,
                compact_work=n * COMPACT_NUMBER + COMPACT_ARRAY)


def _read(values: ArrayIn | None, field: str, n: int, in_layer: bool = True) -> list[Item]:
    """Explicit values in the body: parsed (already, when this runs) and checked;
    ``in_layer``: ``field`` is the layer's (not a field beside it, as ``upstream.values``)."""
    return _read_kind(_value_kind(values), field, n, in_layer)


def _read_kind(kind: str | None, field: str, n: int, in_layer: bool = True) -> list[Item]:
    if kind is None:
        return []
    if kind == "compact":
        return [made(field, "values read from the request", n, PARSED_COMPACT, in_layer)]
    return [made(field, NESTED_READ, n, PARSED_NUMBER, in_layer)]


# What reading nested values is called: the refusal whose dearest item it is says to send
# them compact (:func:`_compact_advice`).
NESTED_READ = "values read from the request (nested lists)"


def _resolve_cells(shape: LayerShape, outputs: tuple[int, int]) -> int:
    """Positions and input cells the unseen-cell count walks for ``outputs`` (H2, W2)."""
    return outputs[0] + shape.height + outputs[1] + shape.width


def _candidates(shape: LayerShape) -> int:
    """Layers :func:`engine.geometry.suggest` tries: paddings up to a window's span, strides,
    filter sizes and dilations near the current ones (asymmetric paddings up to the stride),
    TensorFlow's "same" padding and two input sizes."""
    span = min(max(span_of(shape.filter_height, shape.dilation_h),
                   span_of(shape.filter_width, shape.dilation_w)), SEARCH)
    s = max(shape.stride_h, shape.stride_w)
    sizes = max(len(filter_size_candidates(shape, axis)) for axis in ("height", "width"))
    return (span + 1) + (s + 3) + 3 * s + sizes + (max(shape.dilation_h, shape.dilation_w) + 3) + 3


def _holed_windows(shape: LayerShape) -> int:
    """Windows the padding search checks tap by tap: along an axis whose dilation is wider
    than its input, every window of every padding that fits from the least that reaches a
    window's span to a span's worth (an arithmetic series), as engine.geometry's
    ``_reads_input`` walks them; 0 elsewhere.

    >>> _holed_windows(LayerShape(2, 2, 1, 1, 2, 2, dilation_h=4095, dilation_w=4095))
    8396802
    """
    total = 0
    for axis in ("height", "width"):
        size, f, stride, dilation = shape.along(axis)
        if size >= dilation:
            continue
        span = span_of(f, dilation)
        top = min(span - 1, SEARCH)
        low = max(0, -(-(span - size) // 2))
        if low <= top:
            # the paddings' window counts are an arithmetic series: as many as the paddings
            # times the middle one's, the formula's windows with `low` before and `top` after
            total += (top - low + 1) * math.floor(axis_output(size, f, stride, low, top, dilation))
    return total


def _geometry_items(shape: LayerShape, outputs: tuple[int, int], fits: bool) -> list[Item]:
    """Resolving the geometry (once per request, at most: the app remembers a shape's), and
    when it does not fit exactly the suggestions, which resolve it under both fit policies."""
    cells = _resolve_cells(shape, outputs)
    resolves = 1 if fits else 3  # a misfit: resolved under both fit policies too
    items = [Item("input.shape", "positions and cells walked resolving the geometry",
                  resolves * cells * RESOLVE_CELL, elements=cells)]
    if not fits:
        items.append(Item("filters.size", "layers tried for suggestions",
                          _candidates(shape) * CANDIDATE))
        holed = _holed_windows(shape)
        if holed:  # the dilation makes these: a smaller one is the cut to advise
            items.append(Item("dilation", "windows of the paddings tried checked for a tap on "
                              "the input", holed * HOLED_WINDOW))
        items += [
            # each suggestion's taps or cells counted for the input it leaves unread, up to
            # the limit past which the count is not made
            Item("filters.size", "suggestions' layers walked for their unread cells",
                 MOST_SUGGESTIONS * unread_walk_limit(shape) * UNREAD_CELL),
        ]
    return items


# Prices remembered per memo: a page asks about the same few layers over and over.
PRICES_KEPT = 1024


def _by_shape(g: Geometry, *rest: object) -> tuple[object, ...]:
    """A remembered price's key: the geometry's shape stands for it (see ``weighed_memo``)."""
    return (g.shape, *rest)


def _request_items(g: Geometry, spec: LayerSpec, *, arrays: bool = True) -> list[Item]:
    """What every layer request costs before its endpoint's own work: the fixed part,
    explicit values read from the body, resolving the geometry, and (``arrays``) building
    the layer."""
    return list(_layer_items(g, spec.connectivity, _value_kinds(spec), arrays))


def _value_kinds(spec: LayerSpec) -> tuple[str | None, str | None, str | None]:
    """How the input, weights and biases came (:func:`_value_kind`)."""
    return (_value_kind(spec.input.values), _value_kind(spec.filters.values),
            _value_kind(spec.filters.bias))


def _value_kind(values: ArrayIn | None) -> str | None:
    """How explicit values came (None: a fill makes them), which is all the price reads."""
    if values is None:
        return None
    return "compact" if isinstance(values, CompactArray) else "json"


@weighed_memo(PRICES_KEPT, weight=lambda _: 1, key=_by_shape)
def _layer_items(g: Geometry, connectivity: Connectivity,
                 kinds: tuple[str | None, str | None, str | None],
                 arrays: bool) -> tuple[Item, ...]:
    """:func:`_request_items`, remembered: a pure function of the layer's shape, the
    connectivity and how each array's values came, which a page sends again and again."""
    s = g.shape
    fits = g.height.fits and g.width.fits
    weights_n = math.prod(weight_shape(g, connectivity))
    biases_n = math.prod(bias_shape(g, connectivity))
    inputs_n = s.height * s.width * s.depth
    x_kind, weights_kind, bias_kind = kinds
    read = (
        request_item(),
        *_read_kind(x_kind, "input.values", inputs_n),
        *_read_kind(weights_kind, "filters.values", weights_n),
        *_read_kind(bias_kind, "filters.bias", biases_n),
        *_geometry_items(s, (g.out_height, g.out_width), fits),
    )
    if not arrays:
        return read
    return (
        *read,
        made("input.shape", "the input", inputs_n, ELEMENT if x_kind else FILLED, builds=True),
        made(_padded_field(g.shape), "the padded input", math.prod(g.padded_shape), builds=True),
        made(_weights_field(s, connectivity), f"{connectivity} weights", weights_n,
             ELEMENT if weights_kind else FILLED, builds=True),
        made(_biases_field(connectivity), f"{connectivity} biases", biases_n,
             ELEMENT if bias_kind else FILLED, builds=True),
    )


# Whole numbers no larger than this in every array keep a layer's every sum exact at any size
# the limits allow (taps * |x| * |w| far under 2**53): engine.rounding.sums_exact's case.
EXACT_WHOLE = 2**10


def may_round(spec: LayerSpec) -> bool:
    """Whether a layer's sums may round, so that the engine checks the ones near 0 against
    their products' sizes (engine/rounding.py): unless every array is a fill of small whole
    numbers (integers, zeros, ones: the default fills) and every edit a small whole number.
    Values sent, a sample image or a bank may hold fractions: priced as rounding.

    >>> from app.schemas import LayerSpec
    >>> spec = {"input": {"shape": [5, 5, 3]}, "filters": {"count": 2, "size": 3}}
    >>> may_round(LayerSpec.model_validate(spec))
    False
    >>> spec["input"]["fill"] = {"kind": "normal"}
    >>> may_round(LayerSpec.model_validate(spec))
    True
    """
    f = spec.filters
    if (spec.input.values is not None or spec.input.image is not None or f.values is not None
            or f.bias is not None or f.bank is not None):
        return True
    fills = (spec.input.fill, f.fill, f.bias_fill)
    if any(fill is not None and not _small_whole(fill.kind, fill.low, fill.high)
           for fill in fills):
        return True
    return any(not (float(e.value).is_integer() and abs(e.value) <= EXACT_WHOLE)
               for e in spec.edits)


def _small_whole(kind: str, low: float | None, high: float | None) -> bool:
    """Whether a fill makes whole numbers no larger than :data:`EXACT_WHOLE`."""
    if kind in ("zeros", "ones"):
        return True
    return kind == "integers" and all(
        bound is None or abs(bound) <= EXACT_WHOLE for bound in (low, high))


def _kernel_items(g: Geometry, spec: LayerSpec) -> list[Item]:
    """The forward kernel: window columns and the product. Shared weights make one GEMM;
    locally connected ones a batched product of one window per position, element-wise
    speed."""
    c = g.counts
    positions = g.out_height * g.out_width
    shared = spec.connectivity == "shared"
    per_madd = MULTIPLY_ADD if shared else LOCAL_MULTIPLY_ADD
    columns = positions * c.weights_per_neuron
    # The GEMM reads its columns once whatever K is: with few filters (one 65x65 filter: a
    # matrix-vector product) that read, not the multiply-adds, is its time.
    read = columns * TOUCHED if shared else 0
    product = c.multiply_adds * per_madd + read
    # sums near 0 are checked against their products' sizes (engine/rounding.py): where
    # every one is near 0 and its window's values differ, the windows again and a second
    # product of the same size; never where every sum is exact
    check = ([Item(_outputs_field(g.shape), "the rounding check of the sums near 0 (at most "
                   "their windows again and a second product)", columns * TOUCHED + product)]
             if may_round(spec) else [])
    return [
        made(_padded_field(g.shape), f"receptive fields copied for the matrix product "
             f"({positions:,} positions x {c.weights_per_neuron:,} weights)",
             columns, TOUCHED),
        Item(_outputs_field(g.shape), f"the matrix product's {c.multiply_adds:,} multiply-adds",
             product),
        *check,
        # a refusal names the dearest item for work or for elements: each says what it counts
        Item(_outputs_field(g.shape), f"the layer's outputs ({c.neurons:,} neurons, two numbers "
             "each in memory)", 2 * c.neurons * ELEMENT, elements=2 * c.neurons),
    ]


def _outputs_field(shape: LayerShape) -> str:
    """The field a refusal of the outputs' size blames: the padding where it makes the output
    positions (:func:`_padded_field`: a 1x1 input padded by 4,096 was told to be smaller),
    else fewer filters, or, with one filter already, a smaller input ("a smaller
    filters.count would cut" a count of 1)."""
    if _padded_field(shape) == "padding":
        return "padding"
    return "filters.count" if shape.filters > 1 else "input.shape"


def _padded_field(shape: LayerShape) -> str:
    """The field that makes a layer's padded input (and so its output positions) large: its
    padding when that adds more than the input holds along an axis, else the input's size
    (AlexNet's, padding 0: "a smaller padding would cut" it was no advice).

    >>> from engine.geometry import LayerShape
    >>> _padded_field(LayerShape.square(5, 1, 1, 3, padding=3000))
    'padding'
    """
    p = shape.padding
    padded = p.top + p.bottom > shape.height or p.left + p.right > shape.width
    return "padding" if padded else "input.shape"


def _weights_field(shape: LayerShape, connectivity: Connectivity) -> str:
    """The field a refusal of a layer's weights blames: a locally connected layer's
    connectivity (shared weights are one filter bank, not one per position), else the
    largest of the shared weights' factors K x (Fh x Fw) x D, the leaf a client changes
    ("filters", the object, was named, with no field to make smaller).

    >>> from engine.geometry import LayerShape
    >>> [_weights_field(LayerShape.square(227, 3, 96, 11, stride=4), "shared"),
    ...  _weights_field(LayerShape.square(56, 64, 256, 3, padding=1), "shared"),
    ...  _weights_field(LayerShape.square(8, 512, 4, 3), "shared")]
    ['filters.size', 'filters.count', 'input.shape']
    """
    if connectivity == "local":
        return "connectivity"
    factors = {"filters.size": shape.filter_height * shape.filter_width,
               "filters.count": shape.filters, "input.shape": shape.depth}
    return max(factors, key=factors.__getitem__)


def _biases_field(connectivity: Connectivity) -> str:
    """The field a refusal of a layer's biases blames: one per filter when shared."""
    return "connectivity" if connectivity == "local" else "filters.count"


# --------------------------------------------------------------------------- endpoints


def forward_cost(encoding: Encoding) -> Cost:
    """Forward pass: the layer, its kernel, and the answer (padded input, weights, biases,
    outputs before and after the activation) in ``encoding``."""

    def cost(g: Geometry, spec: LayerSpec) -> list[Item]:
        outputs = [written(_outputs_field(g.shape), "the output", g.output_shape, encoding)]
        if spec.activation != "none":
            outputs.append(written("activation", "the output before the activation",
                                   g.output_shape, encoding))
        return [
            *_request_items(g, spec),
            *_kernel_items(g, spec),
            written(_padded_field(g.shape), "the padded input", g.padded_shape, encoding),
            written(_weights_field(g.shape, spec.connectivity), "weights",
                    weight_shape(g, spec.connectivity), encoding),
            written(_biases_field(spec.connectivity), "biases",
                    bias_shape(g, spec.connectivity), encoding),
            *outputs,
        ]

    return cost


# The forward in its cheapest encoding (the page's first request, and the dearest
# endpoint's): what a suggestion's mark prices its layer at; a fit policy's layer adds
# marking the exact fits it is told of, in its forward and its geometry's over_limit
# (app.answers.forward_priced) and in a fit suggestion's mark (app.convert.marked).
FORWARD_COMPACT = forward_cost("compact")


def backward_cost(
    encoding: Encoding, upstream_values: ArrayIn | None = None, upstream_filled: bool = False,
    parts: Collection[Gradient] = GRADIENTS,
) -> Cost:
    """Backward pass: the layer, the upstream gradient, and the ``parts`` asked for: dW (its
    product with the windows, shared weights' band by band in a reused buffer), dX (the
    window gradients' product, added back onto a padded dX), db (a sum); the answer carries
    them, and the upstream gradient when a fill made it (``upstream_filled``: a constant one,
    ones or zeros, is made as plainly as a copy of values sent)."""

    def cost(g: Geometry, spec: LayerSpec) -> list[Item]:
        c = g.counts
        positions = g.out_height * g.out_width
        local = spec.connectivity == "local"
        per_madd = LOCAL_MULTIPLY_ADD if local else MULTIPLY_ADD
        weights = weight_shape(g, spec.connectivity)
        weight_field = _weights_field(g.shape, spec.connectivity)
        window_gradients = positions * c.weights_per_neuron
        # shared weights work band by band through one reused buffer per product
        # (engine.backward.BAND_ELEMENTS); a local layer's products are made whole
        row = g.out_width * c.weights_per_neuron
        buffer = min(window_gradients, max(row, BAND_ELEMENTS))
        items = [
            *_request_items(g, spec),
            *_upstream_made(upstream_values, upstream_filled, c.neurons),
            # the ReLU's gate: where the forward's pre-activation is positive
            *(_kernel_items(g, spec) if spec.activation == "relu" else []),
        ]
        if "dw" in parts:
            items += [skippable("dw", parts, item) for item in [
                Item("filters.count", "weight gradient product", c.multiply_adds * per_madd),
                made(weight_field, "weight gradients", math.prod(weights)),
                written(weight_field, "weight gradients", weights, encoding),
            ]]
            if not local:
                items.append(skippable("dw", parts, Item(
                    "filters.size", "window columns copied for the weight gradients",
                    window_gradients * TOUCHED, elements=buffer)))
        if "dx" in parts:
            items += [skippable("dx", parts, item) for item in [
                Item("filters.count", "window gradient product", c.multiply_adds * per_madd),
                made("filters.size", "window gradients", window_gradients) if local else
                Item("filters.size", "window gradients written",
                     window_gradients * WINDOW_GRADIENT, elements=buffer),
                Item("filters.size", "window gradients added back",
                     window_gradients * WINDOW_GRADIENT),
                made(_padded_field(g.shape), "the padded input gradient",
                     math.prod(g.padded_shape)),
                written("input.shape", "the input gradient", g.shape.input_shape, encoding),
            ]]
        if "db" in parts:
            items.append(written(_biases_field(spec.connectivity), "bias gradients",
                                 bias_shape(g, spec.connectivity), encoding))
        if upstream_filled:
            items.append(written("filters.count", "the upstream gradient", g.output_shape,
                                 encoding))
        return items

    return cost


def _upstream_made(values: ArrayIn | None, filled: bool, neurons: int) -> list[Item]:
    """The upstream gradient of a backward or a range of steps: its values read from the
    body, or drawn by a fill (``filled``), or a constant (ones, zeros) made as plainly as a
    copy of the values sent."""
    # upstream sits beside the layer in the body, not in it
    return [*_read(values, "upstream.values", neurons, in_layer=False),
            made("filters.count", "the upstream gradient", neurons, FILLED if filled else ELEMENT)]


def skippable(part: Gradient, parts: Collection[Gradient], item: Item) -> Item:
    """A backward's ``item`` that only the gradient ``part`` costs: a refusal it drives says
    that ``parts`` (those asked for) without ``part`` skips it, unless ``part`` is all that
    was asked for.

    >>> skippable("dw", ["dx", "dw"], Item("f", "w", 1)).advice
    '; "parts": ["dx"] skips it (the dw gradient)'
    >>> skippable("dw", ["dw"], Item("f", "w", 1)).advice
    ''
    """
    others = [other for other in GRADIENTS if other in parts and other != part]
    if not others:
        return item
    listed = ", ".join(f'"{other}"' for other in others)
    return item.advised(f'; "parts": [{listed}] skips it (the {part} gradient)')


def steps_range(total: int, start: int, count: int, every: int) -> int:
    """How many steps ``start, start + every, ...`` holds, ``count`` of them clipped at the
    end of the trace.

    >>> steps_range(total=100, start=10, count=5, every=30)  # 10, 40, 70
    3
    """
    if start >= total:
        return 0
    return min(count, (total - 1 - start) // every + 1)


def _running_walk(g: Geometry, order: Order, start: int, n: int,
                  every: int) -> tuple[int, int, int]:
    """(positions walked, filters touched, filter positions summed) by the running weight
    gradient of ``n`` steps from ``start``, ``every`` apart, as
    :func:`engine.backward.step_weight_gradients` runs them: the window columns of positions
    0 up to the last wanted one of any filter, and each touched filter's products up to its
    own last wanted position.

    >>> from engine.geometry import LayerShape, resolve
    >>> g = resolve(LayerShape(4, 4, 1, 3, 3, 3, 1, 1))  # 2x2 outputs, 3 filters: 12 steps
    >>> _running_walk(g, "depth_slice", 1, 3, 4)  # steps 1, 5, 9: position 1 of each filter
    (2, 3, 6)
    >>> _running_walk(g, "depth_column", 0, 2, 7)  # steps 0 and 7: filter 0 at 0, 1 at 2
    (3, 2, 4)
    """
    if n == 0:
        return 0, 0, 0
    positions, k = g.out_height * g.out_width, g.shape.filters
    # one step needs no every (which may be past any int64); more are within the trace
    steps = start + (every if n > 1 else 0) * np.arange(n)
    if order == "depth_slice":  # step t is filter t // positions, position t % positions
        filters, at = np.divmod(steps, positions)
    else:  # depth_column: filter t % K, position t // K
        at, filters = np.divmod(steps, k)
    last = np.full(k, -1)
    np.maximum.at(last, filters, at)
    return int(at.max()) + 1, int((last >= 0).sum()), int((last + 1).sum())


def _step_of(g: Geometry, position: list[int], order: Order) -> int:
    """Neuron ``position``'s step, where the range is priced from. A position outside the
    output is priced as step 0: the handler refuses it after the layer's own checks (its
    edits among them), before the layer's arrays (and an upstream's) are made. A depth past
    the filters alone is priced at the last filter, where the position is in a layer of the
    fewest filters that hold it: the count a refusal says passes (``most_filters``, which
    prices fewer filters than the position's) is then one whose last filter passes too.

    >>> from engine.geometry import resolve, LayerShape
    >>> g = resolve(LayerShape.square(5, 1, 4, 3))  # 3x3x4 output
    >>> [_step_of(g, [1, 2, d], "depth_column") for d in (3, 9)]
    [23, 23]
    >>> _step_of(g, [3, 0, 0], "depth_slice")
    0
    """
    i, j, d = position
    height, width, filters = g.output_shape
    if not (0 <= i < height and 0 <= j < width and d >= 0):
        return 0
    return step_number(g, i, j, min(d, filters - 1), order)


@lru_cache(maxsize=1024)
def _step_items(filter_height: int, filter_width: int, depth: int, lines: int, n: int,
                upstream: bool, encoding: Encoding) -> tuple[Item, ...]:
    """The work of ``n`` steps themselves (of ``filter_height`` x ``filter_width`` x ``depth``
    windows, over ``lines`` output rows and columns), remembered: a few integers, which a
    page stepping through one layer sends again and again."""
    taps = filter_height * filter_width * depth
    arrays = 5 if upstream else 3  # window, weights, products (+ dW, running dW)
    # A step's arrays are a window each: fewer steps cut them, and once the range is a
    # single step only a smaller filter does (the request's count is not the layer's).
    per_step, of_layer = ("count", False) if n > 1 else ("filters.size", True)
    return (
        Item("count", "steps", n * (STEP + (STEP_GRADIENT if upstream else 0)), in_layer=False),
        made(per_step, "step arrays", n * (arrays + 1) * taps,  # + the gather's copy
             in_layer=of_layer),
        # Each step's arrays (and its channel sums) go into the answer; its padding mask is
        # always a JSON list of lists.
        Item(per_step, "step arrays written",
             _steps_written(n, arrays, (filter_height, filter_width, depth), encoding),
             in_layer=of_layer,
             compact_work=None if encoding == "compact" else _steps_written(
                 n, arrays, (filter_height, filter_width, depth), "compact"),
             compact_asked=BODY_COMPACT),
        # The expressions' slice texts are made once per output row and column.
        Item("count", "slice texts", lines * SLICE_TEXT, in_layer=False),
    )


def _steps_written(n: int, arrays: int, window: tuple[int, int, int], encoding: Encoding) -> int:
    """The work of writing ``n`` steps' ``arrays`` windows, channel sums and padding masks."""
    depth = window[2]
    return n * (arrays * written("", "", window, encoding).work
                + written("", "", (depth,), encoding).work
                # the mask: JSON lists of true/false, in either encoding
                + 2 * written("", "", window[:2], "json").work)


def steps_cost(
    start: int, count: int, every: int, order: Order, upstream: bool, encoding: Encoding,
    position: list[int] | None = None, upstream_values: ArrayIn | None = None,
    upstream_filled: bool = False,
) -> Cost:
    """A range of steps from ``start`` (or from neuron ``position``): per step its window,
    weights, products and channel sums, its objects, and its arrays in the answer; with
    ``upstream`` (its ``upstream_values`` read from the body, or made: drawn by a fill when
    ``upstream_filled``, else a constant), each step's dW and
    its filter's running sum, which walks every touched filter's positions up to its last
    wanted one."""

    def cost(g: Geometry, spec: LayerSpec) -> Sequence[Item]:
        s = g.shape
        taps = s.weights_per_neuron
        first = start if position is None else _step_of(g, position, order)
        n = steps_range(g.steps, first, count, every)
        kinds = _value_kinds(spec)
        # without upstream, where the range starts makes no difference beyond n
        base = _range_items(g, spec.connectivity, kinds, n, upstream, encoding)
        if not upstream:
            return base
        items = list(base)
        items += _upstream_made(upstream_values, upstream_filled, g.steps)
        if spec.connectivity == "shared":
            walked, touched, filter_positions = _running_walk(g, order, first, n, every)
            # the walk is the range's length, or where it starts: the first step's own walk
            # half of it or more blames the start (count 2 far into a filter blamed count,
            # and count 1 was refused as well)
            alone = _running_walk(g, order, first, 1, 1)[0] if n > 1 else walked
            walk_field = ("count" if 2 * alone < walked else
                          "start" if position is None else "position")
            relu = spec.activation == "relu"
            items += [
                # how far the walk goes is where the range ends in its filters: a
                # longer range, or for one step where it starts
                made(walk_field, "window columns walked for the running sums",
                     walked * taps, in_layer=False),
                # per filter, up to its own last position: contributions, their
                # cumulative sum, the carry (3 passes); with ReLU, every position walked
                # times every touched filter's weights once, for the pre > 0 mask
                # (and where sums may round, as many again to check those near 0)
                Item("count", "running weight-gradient sums",
                     filter_positions * taps * 3 * TOUCHED
                     + (walked * taps * touched * MULTIPLY_ADD if relu else 0)
                     * (2 if relu and may_round(spec) else 1),
                     in_layer=False),
            ]
        return items

    return cost


@weighed_memo(PRICES_KEPT, weight=lambda _: 1, key=_by_shape)
def _range_items(g: Geometry, connectivity: Connectivity,
                 kinds: tuple[str | None, str | None, str | None], n: int, upstream: bool,
                 encoding: Encoding) -> tuple[Item, ...]:
    """What a range of ``n`` steps costs before any running weight gradient, remembered: a
    pure function of the layer's shape and a few values, which a page stepping through a
    layer sends again and again."""
    shape = g.shape
    return (
        *_layer_items(g, connectivity, kinds, True),
        # the layer's map of which padded cells are padding, whose windows give each
        # step its mask (made once per layer, one byte a cell)
        made("padding", "padding map", g.padded_shape[0] * g.padded_shape[1]),
        *_step_items(shape.filter_height, shape.filter_width, shape.depth,
                     g.out_height + g.out_width, n, upstream, encoding),
    )


def layer_cost(g: Geometry, spec: LayerSpec) -> list[Item]:
    """Just building the layer."""
    return _request_items(g, spec)


def inverse_cost(g: Geometry, spec: LayerSpec) -> list[Item]:
    """The inverse map: the geometry alone (no array of the layer is made), and at most
    ``min(outputs, taps)`` hits per axis, each pair of hits one tap object in the answer."""
    s = g.shape
    hits = min(g.out_height, s.filter_height) * min(g.out_width, s.filter_width)
    return [*_request_items(g, spec, arrays=False),
            Item("filters.size", "taps listed", (s.filter_height + s.filter_width) * TAP
                 + hits * TAP)]


def input_cost(
    shape: LayerShape, spec: LayerSpec, encoding: Encoding,
    filters_read: tuple[int, int] = (0, 0),
) -> list[Item]:
    """The input (``/api/input``): made (or read) and edited, padded as requested and
    written, and a shared layer's filters and biases made and written. No geometry is
    resolved but a locally connected layer's, without a misfit's suggestions (to check its
    weights' values and edits), so a misfit costs what a layer that fits does;
    ``filters_read`` counts the filter and the bias values the body gave (decoded by then),
    each read at its own kind's price, as every layer endpoint reads them.

    >>> spec = LayerSpec.model_validate({"input": {"shape": [10, 10, 1]},
    ...                                  "filters": {"count": 1, "size": 3}, "stride": 2})
    >>> shape = LayerShape.square(10, 1, 1, 3, stride=2)
    >>> [item.elements for item in input_cost(shape, spec, "json")]
    [0, 100, 100, 0, 10, 0, 0]
    """
    inputs_n = shape.height * shape.width * shape.depth
    padded = shape.requested_padded_shape
    items = [
        request_item(),
        *_read(spec.input.values, "input.values", inputs_n),
        made("input.shape", "the input", inputs_n,
             ELEMENT if spec.input.values is not None else FILLED),
        made(_padded_field(shape), "the padded input", math.prod(padded)),
        written(_padded_field(shape), "the padded input", padded, encoding),
    ]
    items += [*_read(spec.filters.values, "filters.values", filters_read[0]),
              *_read(spec.filters.bias, "filters.bias", filters_read[1])]
    if spec.connectivity != "shared":  # resolved once (app.convert.layer_input)
        items += _geometry_items(shape, _most_positions(shape)[0], fits=True)
    if spec.connectivity == "shared":
        filters_n = math.prod(shape.filter_shape) + shape.filters
        weights_field = _weights_field(shape, "shared")
        items += [
            made(weights_field, "filters and biases", filters_n,
                 ELEMENT if spec.filters.values is not None else FILLED),
            written(weights_field, "filters", shape.filter_shape, encoding),
            written(_biases_field("shared"), "biases", (shape.filters,), encoding),
        ]
    return items


def image_cost(
    kind: str, declared: tuple[int, int], max_side: int, encoding: Encoding,
    size: int = 0, layout: Layout | None = None,
) -> list[Item]:
    """An uploaded ``kind`` ("PNG" or "JPEG") image of ``declared`` (width, height) and
    ``size`` bytes, checked before it is decoded: reading a PNG's chunks (``layout``, as
    :func:`app.images.read_layout` counts them) and inflating its bytes, or decoding a
    JPEG's bytes and, for a progressive one, holding its coefficients and walking them scan
    by scan; decoding and resizing its pixels, and writing the answer's (H, W, 3) values,
    the longer side at most ``max_side``.

    >>> sum(i.work for i in image_cost("PNG", (10, 20), 5, "json")) - REQUEST > 200 * PNG_PIXEL
    True
    """
    width, height = declared
    layout = layout or Layout()
    pixels = width * height
    ratio = min(1.0, max_side / max(width, height, 1))
    out = (max(1, round(height * ratio)), max(1, round(width * ratio)), 3)

    def pixels_item(what: str, work: int) -> Item:
        return Item("body", what, work, kind="image_too_many_pixels")

    def parts_item(what: str, work: int, elements: int = 0) -> Item:
        return Item("body", what, work, elements=elements, kind="image_too_complex")

    return [
        pixels_item("the request itself", REQUEST),
        pixels_item(f"{kind} pixels decoded ({width}x{height} = {pixels:,})",
                    pixels * (PNG_PIXEL if kind == "PNG" else JPEG_PIXEL)),
        parts_item("PNG bytes inflated", size * PNG_BYTE if kind == "PNG" else 0),
        pixels_item(f"PNG rows decoded ({height:,})", height * PNG_ROW if kind == "PNG" else 0),
        parts_item(f"PNG chunks read ({layout.chunks:,})", layout.chunks * PNG_CHUNK),
        parts_item(f"JPEG bytes decoded ({size:,}, {layout.scans:,} "
                   f"scan{'' if layout.scans == 1 else 's'})",
                   size * (PROGRESSIVE_BYTE if layout.buffered else JPEG_BYTE)
                   if kind == "JPEG" else 0),
        parts_item(f"JPEG coefficients held ({layout.blocks_held:,} blocks)",
                   layout.blocks_held * HELD_BLOCK,
                   elements=layout.blocks_held * HELD_BLOCK_ELEMENTS),
        parts_item(f"JPEG blocks walked by its scans ({layout.scans:,} scans, "
                   f"{layout.blocks_scanned:,} blocks)", layout.blocks_scanned * SCAN_BLOCK),
        replace(made("body", "pixels as numbers", math.prod(out)), kind="image_too_many_pixels"),
        replace(written("body", "pixels", out, encoding), kind="image_too_many_pixels"),
    ]


@lru_cache(maxsize=1024)
def resolve_cost(shape: LayerShape) -> tuple[Item, ...]:
    """Resolving the geometry itself, checked before it runs: the engine counts, along each
    axis, the windows over every input cell to list the cells no neuron sees (``O(out +
    N)`` per axis, whatever the filter size); a layer that does not fit exactly is also
    answered with suggestions, which resolve it twice more and try candidates by the
    filter size.

    Examples
    --------
    A 3-tap filter on 7 cells has 5 positions per axis, and each axis has 7 cells:

    >>> [item.elements for item in resolve_cost(LayerShape.square(7, 1, 1, 3))][1]
    24
    """
    outputs, fits = _most_positions(shape)
    return (request_item(),
            *_geometry_items(shape, outputs, fits))


def _most_positions(shape: LayerShape) -> tuple[tuple[int, int], bool]:
    """At most how many positions (H2, W2) resolving ``shape`` walks, under any fit policy,
    and whether the formula's are whole (not: a misfit, or a filter wider than its padded
    input). The formula rounded up: ``fit="pad"``'s count before it drops a window that
    would start past the input, which resolving works out (this prices that work, so it
    cannot ask it).

    >>> _most_positions(LayerShape.square(10, 1, 1, 3, stride=2))  # 4.5
    ((5, 5), False)
    """
    outputs = []
    fits = True
    for axis in ("height", "width"):
        size, f, stride, dilation = shape.along(axis)
        before, after = shape.padding.along(axis)
        exact = axis_output(size, f, stride, before, after, dilation)
        fits = fits and exact.denominator == 1 and exact >= 1
        outputs.append(max(0, math.ceil(exact)))
    return (outputs[0], outputs[1]), fits


def suggested_cost(shape: LayerShape, trials: Sequence[LayerShape],
                   by_policy: bool = False) -> list[Item]:
    """Resolving ``shape`` (whose suggestions these are) and then each suggested layer in
    ``trials`` (each fits, exactly or by its fit policy: one walk) to price its
    forward, checked once the suggestions are known and before any trial is resolved.

    >>> trial = LayerShape.square(9, 1, 1, 3, stride=1)  # 7 positions and 9 cells an axis
    >>> [item.elements for item in suggested_cost(LayerShape.square(9, 1, 1, 3, stride=2),
    ...                                           [trial, trial])][-1]
    64
    """
    return [*resolve_cost(shape), trials_cost(trials, by_policy)]


def trials_cost(trials: Sequence[LayerShape], by_policy: bool = False) -> Item:
    """Resolving and pricing each suggested layer in ``trials``: :func:`suggested_cost`
    without resolving the layer they are suggested for (a forward has priced that).
    ``by_policy``: the layer fits by its fit policy, and the suggestions are the exact fits
    it is told of, which a layer that fits exactly does not have (blamed on ``fit``)."""
    cells = sum(_resolve_cells(t, _most_positions(t)[0]) for t in trials)
    what = f"{counted(len(trials), 'suggested layer')} resolved and priced"
    if by_policy:
        what += (" (the exact fits a layer that fits by its fit policy is told of: one of "
                 "them applied has none)")
    return Item("fit" if by_policy else "filters.size", what,
                cells * RESOLVE_CELL + len(trials) * SUGGESTION_PRICED, elements=cells)


# --------------------------------------------------------------------------- checks


def _path(item: Item, field: str, at: str | None) -> str:
    return f"{at}.{field}" if at and item.in_layer else field


def as_sent(field: str, spec: LayerSpec | None) -> str:
    """``field`` as ``spec`` sent it: a size read from values is blamed on the values (a
    smaller array cuts it; the size itself was never sent).

    >>> spec = LayerSpec.model_validate({"input": {"values": [[[1.0]]]},
    ...                                  "filters": {"count": 1, "size": 1}})
    >>> as_sent("input.shape", spec), as_sent("filters.count", spec)
    ('input.values', 'filters.count')
    """
    if spec is None:
        return field
    if field == "input.shape" and spec.input.shape is None and spec.input.values is not None:
        return "input.values"
    if (field in ("filters.count", "filters.size") and spec.filters.values is not None
            and getattr(spec.filters, field.removeprefix("filters.")) is None):
        return "filters.values"
    return field


def check_budget(items: Sequence[Item], settings: Settings, at: str | None = None,
                 spec: LayerSpec | None = None, built: bool = False,
                 most: MostFilters | None = None) -> None:
    """Refuse a request whose cost is over a limit, naming the field that drives it; a
    request within them whose work still to do is priced over :data:`app.routing.INLINE_WORK`
    moves to the thread pool (:func:`app.routing.check_inline`).

    ``at`` is where the layer spec sits in the request body (``"layer"``), if not at the top;
    ``spec`` the layer whose sizes its values may give instead (:func:`as_sent`); ``built``:
    the layer comes from the cache, so the items that build it are not work still to do;
    ``most``: how many filters would pass, said where a refusal blames their count.
    """
    elements, work = _totals(items)
    refused = _refusal(items, elements, work, settings, at, "this request", spec, most)
    if refused is not None:
        raise refused
    if built:
        work -= sum(item.work for item in items if item.builds)
    check_inline(work)  # too much for the event loop: the handler moves to the thread pool


def budget_refusal(items: Sequence[Item], settings: Settings, subject: str,
                   spec: LayerSpec | None = None,
                   most: MostFilters | None = None) -> LayerError | None:
    """The refusal another request, priced at ``items``, would get (``subject`` says which),
    or None: a geometry answer's ``over_limit``. Only priced: where the asking handler runs
    is its own price's to decide, not the one of the request it speaks of.

    >>> from app.config import Settings
    >>> cost = [Item("input.shape", "outputs", 10, elements=10)]
    >>> budget_refusal(cost, Settings(max_elements=9), "drawing it").reason[:44]
    'drawing it would materialise 10 numbers, ove'
    >>> budget_refusal(cost, Settings(), "drawing it") is None
    True
    """
    return _refusal(items, *_totals(items), settings, None, subject, spec, most)


def _refusal(items: Sequence[Item], elements: int, work: int, settings: Settings,
             at: str | None, subject: str, spec: LayerSpec | None,
             most: MostFilters | None = None) -> LayerError | None:
    """The refusal of ``items`` (``elements`` numbers and ``work`` units in all) under
    ``settings``' limits, or None; ``subject`` is what the message says would cost it."""
    if elements > settings.max_elements:
        big = max(items, key=lambda item: item.elements)
        field = as_sent(big.field, spec)
        fewer = _filters_passing(field, big, most)
        limit = settings.limit("max_elements")
        return LayerError(
            _path(big, field, at),
            f"{subject} would materialise {elements:,} numbers, over this server's limit "
            f"of {limit.value:,} ({limit.setting}); the most, {big.elements:,}, "
            f"are {big.what}{_advice(field, big, fewer)}{big.advice}", kind=big.kind,
            ctx=limit.needing(elements) | _passing_ctx(fewer),
        )
    if work > settings.max_work:
        big = _dearest(items, settings.max_work)
        field = as_sent(big.field, spec)
        fewer = _filters_passing(field, big, most)
        cheaper = _compact_advice(big)
        passes = _compact_passes(items, work, settings, said=big.compact_work is not None)
        budget = settings.limit("max_work")
        return LayerError(
            _path(big, field, at),
            f"{subject} would cost {work:,} units of work (each part weighed against one "
            f"multiply-add of the engine's matrix product, so more than its multiply-adds; "
            f'docs/design.md "Costs"), over this server\'s work budget of '
            f"{budget.value:,} ({budget.setting}); the most, {big.work:,}, goes to "
            f"{big.what}{_advice(field, big, fewer)}{cheaper}{big.advice}{passes}",
            kind=big.kind, ctx=budget.needing(work) | _passing_ctx(fewer),
        )
    return None


def _dearest(items: Sequence[Item], budget: int) -> Item:
    """The part a refusal over ``budget`` blames: the dearest, unless that is a fixed cost
    (the request itself) the budget holds, when the dearest of the rest, which a smaller
    request cuts (under a budget of 50,000,000 a forward was blamed on its 20,000,000 fixed
    cost, said to be "below one request").

    >>> items = [request_item(), Item("filters.count", "outputs", 15_000_000)]
    >>> _dearest(items, 30_000_000).what, _dearest(items, 10_000_000).what
    ('outputs', 'the request itself')
    """
    rest = [item for item in items if not item.fixed]
    if rest and sum(item.work for item in items if item.fixed) <= budget:
        return max(rest, key=lambda item: item.work)
    return max(items, key=lambda item: item.work)


def _filters_passing(field: str, item: Item, most: MostFilters | None) -> int | None:
    """How many filters would pass, where the refusal blames their count (``item`` the
    dearest part, sent as ``field``) and ``most`` can tell; else None. Bisected once, for
    the sentence and the ``ctx`` alike."""
    if field != "filters.count" or most is None or item.fixed:
        return None
    return most()


def _passing_ctx(fewer: int | None) -> dict[str, int]:
    """A refusal's ``ctx`` with the count of filters that passes, for a client (the page's
    "Draw it with N filters") that should not read it out of the sentence; none where not
    even one does."""
    return {FILTERS_PASS: fewer} if fewer else {}


def _totals(items: Sequence[Item]) -> tuple[int, int]:
    """The numbers made and the work done, summed."""
    elements = work = 0
    for item in items:  # one pass: every request is priced, the cheapest too
        elements += item.elements
        work += item.work
    return elements, work


def budget_passed(items: Sequence[Item], settings: Settings) -> tuple[str, str] | None:
    """Which of this server's budgets ``items`` pass, in a few words and by its setting's
    name, for a suggestion that would be refused once applied (:func:`check_budget` says
    it in full); None when none.

    >>> from app.config import Settings
    >>> cost = [Item("input.shape", "outputs", 10, elements=10)]
    >>> budget_passed(cost, Settings(max_elements=9))
    ("over this server's limit of 9 numbers, CONVSCOPE_MAX_ELEMENTS", 'CONVSCOPE_MAX_ELEMENTS')
    >>> budget_passed(cost, Settings(max_work=9))
    ("over this server's work budget of 9, CONVSCOPE_MAX_WORK", 'CONVSCOPE_MAX_WORK')
    >>> budget_passed(cost, Settings()) is None
    True
    """
    elements, work = _totals(items)
    if elements > settings.max_elements:
        limit = settings.limit("max_elements")
        return (f"over this server's limit of {limit.value:,} numbers, {limit.setting}",
                limit.setting)
    if work > settings.max_work:
        budget = settings.limit("max_work")
        return (f"over this server's work budget of {budget.value:,}, {budget.setting}",
                budget.setting)
    return None


# Fields whose smaller value makes a request cheaper (a smaller stride makes it dearer).
_SIZES = ("input.shape", "padding", "filters.size", "filters.count", "count", "dilation")


def _compact_advice(item: Item) -> str:
    """What to do about an answer's array written as JSON: ask for it compact, which costs
    what its ``compact_work`` says; about values sent as nested lists: send them compact,
    read for about a thirtieth (PARSED_COMPACT against PARSED_NUMBER).

    >>> _compact_advice(Item("input.shape", "the padded input (JSON)", 100, compact_work=11))
    '; written compact (?encoding=compact) it would cost 11'
    """
    if item.what == NESTED_READ:
        return ('; sent compact ({"dtype", "shape", "data"}, README "Compact encoding"), they '
                "are read for about a thirtieth")
    if item.compact_work is None:
        return ""
    return f"; written compact ({item.compact_asked}) it would cost {item.compact_work:,}"


def _compact_passes(items: Sequence[Item], work: int, settings: Settings,
                    said: bool = False) -> str:
    """Where the answer is asked for as JSON and compact alone brings the work under the
    budget, that it would (the dearest item need not be an array written: AlexNet's running
    sums were, while its steps' arrays written compact halved the rest); ``said``: the
    dearest item's own compact cost was said, and with it how to ask.

    >>> from app.config import Settings
    >>> items = [Item("count", "running sums", 6),
    ...          Item("count", "steps", 4, compact_work=2, compact_asked=BODY_COMPACT)]
    >>> _compact_passes(items, 10, Settings(max_work=9))
    '; asked for compact ("encoding": "compact") the request would cost 8, within it'
    >>> _compact_passes(items, 10, Settings(max_work=9), said=True)
    '; asked for compact the request would cost 8, within it'
    >>> _compact_passes(items, 10, Settings(max_work=7))
    ''
    """
    cheaper = [item for item in items if item.compact_work is not None]
    saved = sum(item.work - (item.compact_work or 0) for item in cheaper)
    compact = work - saved
    if saved <= 0 or compact > settings.max_work:
        return ""
    asked = "" if said else f" ({cheaper[0].compact_asked})"
    return f"; asked for compact{asked} the request would cost {compact:,}, within it"


def _advice(field: str, item: Item | None = None, fewer: int | None = None) -> str:
    """What to do about the dearest ``item``, when its field is a size (or where a walk
    starts) and no size cuts it (a request's fixed cost); for the filters' count, how many
    pass (``fewer``).

    >>> _advice("padding"), _advice("activation"), _advice("start")
    (', which a smaller padding would cut', '', ', which an earlier start would cut')
    >>> _advice("input.shape", request_item())
    ''
    >>> _advice("filters.count", fewer=115)
    ', which a smaller filters.count would cut (at most 115 filters pass)'
    >>> _advice("filters.count", fewer=0)
    ', which a smaller filters.count would cut, though not enough: even 1 filter is over'
    """
    if item is not None and item.fixed:
        return ""
    if field == "filters.count" and fewer == 0:  # it cuts the work, never enough
        return f", which a smaller {field} would cut, though not enough: even 1 filter is over"
    if field == "filters.count" and fewer is not None:
        filters = "1 filter passes" if fewer == 1 else f"at most {fewer:,} filters pass"
        return f", which a smaller {field} would cut ({filters})"
    if field in ("start", "position"):  # the running sums walk a filter's positions to it
        return f", which an earlier {field} would cut"
    if field in ("input.values", "filters.values"):  # sizes read from the values (as_sent)
        return f", which smaller {field} would cut"
    return f", which a smaller {field} would cut" if field in _SIZES else ""


# How many filters a refused layer could have within the budget (0: not even one; None: its
# filters are not counted by filters.count), asked only once a refusal blames their count.
MostFilters = Callable[[], "int | None"]


def most_filters(cost: Cost, g: Geometry, spec: LayerSpec, settings: Settings) -> MostFilters:
    """How many filters ``g``'s layer could have and be priced by ``cost`` within
    ``settings``' budgets: the largest K under its own, found by bisection (the price grows
    with K) and each candidate priced as a request would be: 0 where not even one passes.
    Filters given by values or a bank are counted by them, not by ``filters.count``: None.

    >>> from app.schemas import LayerSpec
    >>> from engine.geometry import resolve, LayerShape
    >>> g = resolve(LayerShape.square(5, 1, 8, 3))
    >>> spec = LayerSpec.model_validate({"input": {"shape": [5, 5, 1]},
    ...                                  "filters": {"count": 8, "size": 3}})
    >>> priced = lambda g, spec: [Item("filters.count", "outputs", 100 * g.shape.filters)]
    >>> most_filters(priced, g, spec, Settings(max_work=350))()
    3
    """

    def within(k: int) -> bool:
        trial = Geometry(replace(g.shape, filters=k), g.height, g.width)  # K moves no axis
        sent = spec.model_copy(update={"filters": spec.filters.model_copy(update={"count": k})})
        elements, work = _totals(cost(trial, sent))
        return elements <= settings.max_elements and work <= settings.max_work

    def most() -> int | None:
        if spec.filters.values is not None or spec.filters.bank is not None:
            return None
        low, high = 0, g.shape.filters - 1  # low: passes (0: none known); high + 1 does not
        while low < high:
            middle = (low + high + 1) // 2
            if within(middle):
                low = middle
            else:
                high = middle - 1
        return low

    return most


def check_listed(listed: int, settings: Settings) -> None:
    """Refuse a body that lists more numbers than reading them is worth, before it is parsed:
    ``listed`` counts its commas, one a number in nested lists and more than the numbers
    anywhere else. Reading a number is priced as every endpoint that uses values prices it
    (PARSED_NUMBER); parsed first, 2 million of them in an 8 MB body took a second of CPU, half
    of it on the event loop, before /api/geometry (which prices no values) answered."""
    work = listed * PARSED_NUMBER
    if work > settings.max_work:
        budget = settings.limit("max_work")
        raise LayerError(
            "", f"this body lists about {listed:,} numbers: reading them would cost {work:,} "
            f"units of work, over this server's work budget of {budget.value:,} "
            f'({budget.setting}); send large arrays compact ({{"dtype", "shape", "data": '
            'base64}, the README\'s "Compact encoding") or fewer of them', kind=OVER_LIMIT,
            ctx=budget.needing(work),
        )


def check_steps(count: int, settings: Settings) -> None:
    """Refuse a range longer than the server's ``max_steps`` before anything is built."""
    if count > settings.max_steps:
        limit = settings.limit("max_steps")
        raise LayerError(
            "count", f"count {count:,} is over this server's limit of {limit.value:,} "
            f"steps per request ({limit.setting}): ask for the rest in further ranges",
            kind=OVER_LIMIT, ctx=limit.ctx,
        )
