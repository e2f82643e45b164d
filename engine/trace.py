"""The forward pass one neuron at a time: lazy steps, ranges of steps, and the inverse map.

A *step* is one output neuron ``V[i, j, d]`` computed the notes' way,
``V[i,j,d] = np.sum(X[rows, cols, :] * Wd) + bd``, with every intermediate kept for display.
AlexNet conv1 has 290,400 of them, so a step is a pure function of ``(layer, t)`` and never
materialised in bulk: :func:`step` costs ``O(Fh*Fw*D)`` and :func:`steps` computes at most
its ``limit`` (:data:`MAX_STEPS` unless the caller says) in one vectorised call.

Two orders number the steps (``H2, W2, K`` = the output shape):

* ``depth_slice``: every position of filter 0 in row-major order, then filter 1, ...
  ``t = d*H2*W2 + i*W2 + j``
* ``depth_column``: all K filters at (0, 0), then at (0, 1), ... (the notes' depth column)
  ``t = (i*W2 + j)*K + d``
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal, NamedTuple, TypeVar

import numpy as np
import numpy.typing as npt

from engine.conv import activate
from engine.errors import LayerError, check_whole
from engine.geometry import AxisGeometry, Geometry, span_of
from engine.layer import Layer
from engine.rounding import window_extremes
from engine.tensors import FloatArray

Order = Literal["depth_slice", "depth_column"]
ORDERS: tuple[Order, ...] = ("depth_slice", "depth_column")

# The longest range :func:`steps` makes unless its caller allows more (the app passes its
# server's max_steps setting): AlexNet's 1000 steps are ~9 MB of float64 arrays.
MAX_STEPS = 1000

IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]
_T = TypeVar("_T", int, IntArray)  # a step number or an array of them


# ----------------------------------------------------------------------------- numbering


def _check_order(order: str) -> None:
    if order not in ORDERS:
        raise LayerError("order", f"{order!r} is not one of {', '.join(ORDERS)}")


def _geometry_of(where: Geometry | Layer) -> Geometry:
    """The geometry of ``where``: the functions that need the sizes alone take a layer too
    (a layer given to them failed on a missing attribute)."""
    return where.geometry if isinstance(where, Layer) else where


def _check_start(geometry: Geometry, t: int) -> None:
    check_whole("start", "step", t)
    total = geometry.steps
    if not 0 <= t < total:
        raise LayerError(
            "start", f"start {t} is out of range: this layer has {total} steps, 0 to {total - 1}"
        )


def _check_position(geometry: Geometry, i: int, j: int, d: int) -> None:
    """Refuse an output index outside the volume at ``position.<axis>``: 0 is i, 1 j, 2 d."""
    h2, w2, k = geometry.output_shape
    # every request asks (some twice): the quick answer, for plain ints inside the volume
    if type(i) is type(j) is type(d) is int and 0 <= i < h2 and 0 <= j < w2 and 0 <= d < k:
        return
    for axis, value in (("i", i), ("j", j), ("d", d)):
        check_whole("position", axis, value)
    _refuse_outside("position", f"the output is {h2}x{w2}x{k}",
                    (("i", i, h2), ("j", j, w2), ("d", d, k)))


def _refuse_outside(field: str, volume: str, axes: tuple[tuple[str, int, int], ...]) -> None:
    """Refuse every axis of ``axes`` ((name, value, size) each) out of range, one entry each,
    at ``<field>.<axis>``; ``volume`` says what the index points into."""
    outside = [
        LayerError(f"{field}.{axis}", f"{name} = {value} is out of range: {volume}, so {name} "
                   f"runs from 0 to {size - 1}")
        for axis, (name, value, size) in enumerate(axes)
        if not 0 <= value < size
    ]
    if outside:
        raise LayerError.of(outside)


def _positions(geometry: Geometry, t: _T, order: Order) -> tuple[_T, _T, _T]:
    """``(i, j, d)`` of in-range step numbers ``t``: one int or an array of them.

    One ``np.unravel_index`` either way (``t`` is an index into the output volume laid out
    in the order's nesting), so the single step and the range share this.
    """
    h2, w2, k = geometry.output_shape
    if order == "depth_slice":
        d, i, j = np.unravel_index(t, (k, h2, w2))
    else:
        i, j, d = np.unravel_index(t, (h2, w2, k))
    return i, j, d  # type: ignore[return-value]


def step_position(geometry: Geometry | Layer, t: int, order: Order = "depth_slice",
                  ) -> tuple[int, int, int]:
    """The output index ``(i, j, d)`` step ``t`` computes.

    Parameters
    ----------
    geometry : Geometry
        The resolved layer; its output is ``(H2, W2, K)``.
    t : int
        Step number, ``0 <= t < H2*W2*K``.
    order : {"depth_slice", "depth_column"}
        How steps are numbered (see the module docstring).

    Returns
    -------
    tuple of int
        ``(i, j, d)``: output row, column and filter.

    Raises
    ------
    LayerError
        ``field="start"`` when ``t`` is out of range (the message gives the range),
        ``field="order"`` for an unknown order.

    Examples
    --------
    >>> from engine.geometry import LayerShape, resolve
    >>> g = resolve(LayerShape.square(5, 3, 2, 3, stride=2, padding=1))  # output 3x3x2
    >>> step_position(g, 10), step_position(g, 10, "depth_column")
    ((0, 1, 1), (1, 2, 0))
    """
    _check_order(order)
    geometry = _geometry_of(geometry)
    _check_start(geometry, t)
    i, j, d = _positions(geometry, int(t), order)
    return int(i), int(j), int(d)


def step_number(geometry: Geometry | Layer, i: int, j: int, d: int,
                order: Order = "depth_slice") -> int:
    """The step that computes output ``(i, j, d)``: the inverse of :func:`step_position`.

    Raises
    ------
    LayerError
        ``field="position.0"`` (``.1``, ``.2``) when ``i`` (``j``, ``d``) lies outside the
        output volume; the message gives its range.

    Examples
    --------
    >>> from engine.geometry import LayerShape, resolve
    >>> g = resolve(LayerShape.square(227, 3, 96, 11, stride=4))  # output 55x55x96
    >>> step_number(g, 54, 54, 95), step_number(g, 0, 1, 0, "depth_column")
    (290399, 96)
    """
    _check_order(order)
    geometry = _geometry_of(geometry)
    _check_position(geometry, i, j, d)
    h2, w2, k = geometry.output_shape
    if order == "depth_slice":
        return (d * h2 + i) * w2 + j
    return (i * w2 + j) * k + d


# ----------------------------------------------------------------------------- expressions


def _slice_text(start: int, taps: int, dilation: int) -> str:
    """``:5``, ``2:7`` or, dilated, ``0:5:2``: the notes' slices, stop always written. One tap
    has no gaps to skip, so its slice takes no step, whatever the dilation.

    >>> _slice_text(0, 5, 1), _slice_text(2, 3, 2), _slice_text(6, 1, 2)
    (':5', '2:7:2', '6:7')
    """
    stop = start + span_of(taps, dilation)
    if dilation == 1 or taps == 1:
        return f"{start or ''}:{stop}"
    # With a step the start is written too: ``:5:2`` reads as a typo.
    return f"{start}:{stop}:{dilation}"


Bounds = tuple[int, int, int] | None  # (start, stop, step) in the original input, or None


def _axis_described(axis: AxisGeometry, index: int) -> tuple[Bounds, str]:
    """Along ``axis``, the window of output ``index``: where its taps meet the original input
    (:func:`_axis_field`) and its slice of the padded one (:func:`_slice_text`)."""
    start = index * axis.stride  # its tap 0, in the padded input
    return (_axis_field(start, axis.size, axis.filter_size, axis.dilation, axis.pad_before),
            _slice_text(start, axis.filter_size, axis.dilation))


def _windows_described(
    layer: Layer, i: list[int], j: list[int], d: list[int]
) -> tuple[tuple[Bounds, ...], tuple[Bounds, ...], tuple[str, ...]]:
    """For each neuron ``(i[k], j[k], d[k])``: where its window meets the original input
    (``input_rows`` and ``input_cols``, both None for a window wholly in padding) and its
    NumPy line (see :func:`expression`).

    One pass over the neurons; each distinct output row and column is worked out once, as a
    range revisits a few of them.
    """
    geometry = layer.geometry
    array = "X" if geometry.padding.is_zero else "Xp"
    # V is the output after the activation, so a ReLU layer's line applies it (as activate)
    before, after = ("np.maximum(", ", 0)") if layer.activation == "relu" else ("", "")
    shared = layer.connectivity == "shared"
    # output row (column) -> (its taps' bounds in the input, its slice of the padded input)
    rows: dict[int, tuple[Bounds, str]] = {}
    cols: dict[int, tuple[Bounds, str]] = {}
    input_rows: list[Bounds] = []
    input_cols: list[Bounds] = []
    lines: list[str] = []
    for a, b, c in zip(i, j, d, strict=True):
        row = rows.get(a)
        if row is None:
            row = rows[a] = _axis_described(geometry.height, a)
        col = cols.get(b)
        if col is None:
            col = cols[b] = _axis_described(geometry.width, b)
        # A window with no input row (or column) holds no input cell at all.
        inside = row[0] is not None and col[0] is not None
        input_rows.append(row[0] if inside else None)
        input_cols.append(col[0] if inside else None)
        if shared:
            lines.append(f"V[{a},{b},{c}] = {before}np.sum({array}[{row[1]},{col[1]},:] * W{c}) "
                         f"+ b{c}{after}")
        else:
            lines.append(f"V[{a},{b},{c}] = {before}np.sum({array}[{row[1]},{col[1]},:] "
                         f"* W[{a},{b},{c}]) + b[{a},{b},{c}]{after}")
    return tuple(input_rows), tuple(input_cols), tuple(lines)


def expression(layer: Layer, i: int, j: int, d: int) -> str:
    """The NumPy line that computes output ``(i, j, d)``, in the notes' style.

    Slices index the padded input ``Xp`` when the layer has any padding, else ``X``; a start
    of 0 is left out, the stop is always written, the depth is ``:``; dilation adds the step.
    Shared layers name filter ``d`` ``Wd`` and its bias ``bd``; locally connected layers use
    the neuron's own ``W[i,j,d]`` and ``b[i,j,d]``. ``V`` is the output after the
    activation, so a ReLU layer's line is wrapped in ``np.maximum(..., 0)``.

    Examples
    --------
    >>> from engine.geometry import LayerShape
    >>> from engine.layer import build_layer
    >>> notes = build_layer(LayerShape.square(11, 4, 2, 5, stride=2))
    >>> expression(notes, 2, 3, 1)
    'V[2,3,1] = np.sum(X[4:9,6:11,:] * W1) + b1'
    >>> demo = build_layer(LayerShape.square(5, 3, 2, 3, stride=2, padding=1))
    >>> expression(demo, 0, 1, 0)
    'V[0,1,0] = np.sum(Xp[:3,2:5,:] * W0) + b0'
    >>> relu = build_layer(LayerShape.square(5, 3, 2, 3, stride=2, padding=1), activation="relu")
    >>> expression(relu, 0, 1, 0)
    'V[0,1,0] = np.maximum(np.sum(Xp[:3,2:5,:] * W0) + b0, 0)'
    """
    _check_position(layer.geometry, i, j, d)
    return _windows_described(layer, [i], [j], [d])[2][0]


# ----------------------------------------------------------------------------- one step


def _read_only(*arrays: npt.NDArray[np.generic]) -> None:
    """Make a range's arrays read-only: a Step is a snapshot. Each is the range's own (a
    gather copies), so no view is needed to leave the layer's arrays as they were."""
    for array in arrays:
        array.setflags(write=False)  # array.flags would make a flags object each time


_D = TypeVar("_D")


def _made(cls: type[_D], fields: dict[str, object]) -> _D:
    """An instance of the frozen dataclass ``cls`` holding ``fields`` (every field it has,
    by name) as its attributes.

    Its generated ``__init__`` sets each field through ``object.__setattr__``, which for
    the two dozen fields of a step and of a range costs more than the step's arithmetic;
    the instance is as frozen either way.
    """
    made = object.__new__(cls)
    object.__setattr__(made, "__dict__", fields)
    return made


@dataclass(frozen=True, eq=False)
class Step:
    """One neuron's forward computation, every intermediate kept (arrays are read-only).

    Receptive field bounds in the padded input ``Xp``: rows
    ``row_start:row_stop:row_step``, columns likewise (steps are the dilations). In the
    original input ``X``: ``input_rows`` and ``input_cols`` are ``(start, stop, step)`` of the
    taps that land inside it, each starting and ending on a tap (so ``X[start:stop:step]`` is
    exactly the window's non-padding part), or both None when the field lies wholly in padding.

    Examples
    --------
    >>> from engine.geometry import LayerShape
    >>> from engine.layer import build_layer
    >>> corner = step(build_layer(LayerShape.square(5, 3, 2, 3, stride=2, padding=1)), 6)
    >>> (corner.i, corner.j), corner.input_rows, corner.input_cols  # bottom-left corner
    ((2, 0), (3, 5, 1), (0, 2, 1))
    >>> corner.padding_mask.astype(int).tolist()
    [[1, 0, 0], [1, 0, 0], [1, 1, 1]]
    """

    t: int
    order: Order
    i: int
    j: int
    d: int  # the filter index
    row_start: int
    row_stop: int
    row_step: int
    col_start: int
    col_stop: int
    col_step: int
    input_rows: Bounds
    input_cols: Bounds
    padding_mask: BoolArray  # (Fh, Fw): True where the tap falls in zero padding
    window: FloatArray  # (Fh, Fw, D): the input values under the filter
    weights: FloatArray  # (Fh, Fw, D): the weights this neuron uses
    products: FloatArray  # (Fh, Fw, D): window * weights
    channel_sums: FloatArray  # (D,): products summed over each input channel
    bias: float
    pre: float  # channel_sums.sum() + bias
    post: float  # after the activation
    expression: str


def step(layer: Layer, t: int, order: Order = "depth_slice") -> Step:
    """Step ``t`` of the forward pass: one output neuron, in ``O(Fh*Fw*D)``.

    The one-step range of :func:`steps`, so a step and a range never disagree.

    Parameters
    ----------
    layer : Layer
        The layer; its input is ``(H, W, D)`` and its output ``(H2, W2, K)``.
    t : int
        Step number, ``0 <= t < H2*W2*K``.
    order : {"depth_slice", "depth_column"}
        How steps are numbered.

    Returns
    -------
    Step
        Window ``(Fh, Fw, D)``, weights ``(Fh, Fw, D)``, products ``(Fh, Fw, D)``,
        channel sums ``(D,)``, bias, pre- and post-activation value, the NumPy expression.

    Examples
    --------
    >>> import numpy as np
    >>> from engine.geometry import LayerShape
    >>> from engine.layer import build_layer
    >>> layer = build_layer(LayerShape.square(5, 3, 2, 3, stride=2, padding=1))
    >>> s = step(layer, 4)
    >>> (s.i, s.j, s.d), s.expression
    ((1, 1, 0), 'V[1,1,0] = np.sum(Xp[2:5,2:5,:] * W0) + b0')
    >>> by_hand = np.sum(layer.x_padded[2:5, 2:5, :] * layer.weights[0]) + layer.bias[0]
    >>> bool(np.isclose(s.pre, by_hand))
    True
    >>> step(layer, 0).padding_mask.astype(int).tolist()
    [[1, 1, 1], [1, 0, 0], [1, 0, 0]]
    """
    return steps(layer, t, 1, order).item(0)


# ----------------------------------------------------------------------------- ranges


@dataclass(frozen=True, eq=False)
class StepRange:
    """Steps ``start, start + every, ...`` computed together; every array has a leading n axis.

    ``item(k)`` (or iterating) gives the k-th one as a :class:`Step`, so callers that want
    one object per step do not index the arrays themselves.
    """

    order: Order
    start: int
    every: int
    total: int  # the layer's number of steps, H2*W2*K
    t: IntArray  # (n,)
    i: IntArray  # (n,)
    j: IntArray  # (n,)
    d: IntArray  # (n,)
    row_start: IntArray  # (n,); row_stop = row_start + row_span
    col_start: IntArray  # (n,)
    row_span: int  # dilation*(Fh - 1) + 1 cells
    col_span: int
    row_step: int  # the dilations
    col_step: int
    input_rows: tuple[Bounds, ...]  # per step, as in Step
    input_cols: tuple[Bounds, ...]
    padding_mask: BoolArray  # (n, Fh, Fw)
    window: FloatArray  # (n, Fh, Fw, D)
    weights: FloatArray  # (n, Fh, Fw, D)
    products: FloatArray  # (n, Fh, Fw, D)
    channel_sums: FloatArray  # (n, D)
    bias: FloatArray  # (n,)
    pre: FloatArray  # (n,)
    post: FloatArray  # (n,)
    expressions: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.t.shape[0])

    def __iter__(self) -> Iterator[Step]:
        return (self.item(k) for k in range(len(self)))

    def item(self, k: int) -> Step:
        """The k-th step of the range (``0 <= k < len(self)``) as a :class:`Step`.

        Examples
        --------
        >>> from engine.geometry import LayerShape
        >>> from engine.layer import build_layer
        >>> layer = build_layer(LayerShape.square(5, 3, 2, 3, stride=2, padding=1))
        >>> one = steps(layer, 2, 3, "depth_column").item(1)
        >>> one.t, (one.i, one.j, one.d), one.input_rows, one.input_cols
        (3, (0, 1, 1), (0, 2, 1), (1, 4, 1))
        """
        if not 0 <= k < len(self):
            raise IndexError(f"item {k} of a range of {len(self)} steps")
        # ndarray.item: the Python number straight away, no NumPy scalar on the way
        row_start, col_start = self.row_start.item(k), self.col_start.item(k)
        return _made(Step, {
            "t": self.t.item(k), "order": self.order,
            "i": self.i.item(k), "j": self.j.item(k), "d": self.d.item(k),
            "row_start": row_start, "row_stop": row_start + self.row_span,
            "row_step": self.row_step,
            "col_start": col_start, "col_stop": col_start + self.col_span,
            "col_step": self.col_step,
            "input_rows": self.input_rows[k], "input_cols": self.input_cols[k],
            "padding_mask": self.padding_mask[k],
            "window": self.window[k],
            "weights": self.weights[k],
            "products": self.products[k],
            "channel_sums": self.channel_sums[k],
            "bias": self.bias.item(k), "pre": self.pre.item(k), "post": self.post.item(k),
            "expression": self.expressions[k],
        })


def _axis_field(start: int, size: int, taps: int, dilation: int, pad: int) -> Bounds:
    """One axis of the window whose tap 0 is at padded ``start``: ``(start, stop, step)`` in
    the original input of its taps inside the input, None if none is.

    Arithmetic on the tap indices: the taps inside the input are one contiguous run.
    """
    first = start - pad  # tap 0 in the original input; negative inside the leading padding
    low = min(taps, max(0, -(first // dilation)))  # the first tap at >= 0
    stop = max(low, min(taps, (size - 1 - first) // dilation + 1))  # past the last tap < size
    if low == stop:
        return None
    # The run starts and ends on a tap, so X[start:stop:step] is exactly its cells.
    return first + low * dilation, first + (stop - 1) * dilation + 1, dilation


def steps(
    layer: Layer, start: int, count: int, order: Order = "depth_slice", every: int = 1,
    limit: int = MAX_STEPS,
) -> StepRange:
    """Steps ``start, start + every, ...`` (``count`` of them) in one vectorised call.

    Parameters
    ----------
    layer : Layer
        The layer; output ``(H2, W2, K)``.
    start : int
        First step, ``0 <= start < H2*W2*K``.
    count : int
        How many, ``1 <= count <= limit``; clipped at the end of the trace.
    order : {"depth_slice", "depth_column"}
        How steps are numbered.
    every : int
        The distance between two steps of the range, ``>= 1`` (1: consecutive steps).
    limit : int
        The longest range the caller allows (a policy: the app passes its ``max_steps``).

    Returns
    -------
    StepRange
        Arrays with a leading axis of the ``n`` steps of
        ``np.arange(start, min(start + count*every, H2*W2*K), every)``.

    Raises
    ------
    LayerError
        ``field="count"`` for a count outside 1..limit, ``field="every"`` below 1,
        ``field="start"`` for a start out of range, ``field="order"`` for an unknown order.

    Examples
    --------
    >>> from engine.geometry import LayerShape
    >>> from engine.layer import build_layer
    >>> layer = build_layer(LayerShape.square(5, 3, 2, 3, stride=2, padding=1))  # 18 steps
    >>> r = steps(layer, 16, 5)
    >>> len(r), r.window.shape, r.i.tolist(), r.j.tolist(), r.d.tolist()
    (2, (2, 3, 3, 3), [2, 2], [1, 2], [1, 1])
    >>> r.item(1).expression
    'V[2,2,1] = np.sum(Xp[4:7,4:7,:] * W1) + b1'
    >>> steps(layer, 1, 4, every=5).t.tolist()
    [1, 6, 11, 16]
    """
    _check_order(order)
    check_whole("count", "count", count)
    check_whole("every", "every", every)
    if not 1 <= count <= limit:
        raise LayerError("count", f"count {count} is out of range: ask for 1 to {limit} steps")
    if every < 1:
        raise LayerError("every", f"every {every} is out of range: 1 (every step) or more")
    geometry = layer.geometry
    _check_start(geometry, start)
    total = geometry.steps
    s = geometry.shape
    # a stride past the last step takes the start alone, whatever it is: clipped, it stays
    # a NumPy integer (2**63 would make arange's steps floats)
    every = min(every, total)
    t = np.arange(start, min(start + count * every, total), every)  # (n,)
    i, j, d = _positions(geometry, t, order)  # (n,) each
    row_start, col_start = i * s.stride_h, j * s.stride_w  # (n,)

    # (n, Fh, Fw, D): one fancy index into the strided view gathers every window at once,
    # and the same index into the padding map's windows gathers their masks. A single step
    # takes views instead, cheaper than a gather of one (its axis of one kept by a slice, the
    # others indexed by number): the layer's arrays are read-only, so a view is as much a
    # snapshot as a copy (the window and mask are still copied whole, as C-contiguous arrays
    # are what an answer writes natively).
    at_i: IntArray | slice
    at_j: IntArray | int
    at_d: IntArray | int
    filters: IntArray | slice
    if len(t) > 1:
        at_i, at_j, at_d, filters = i, j, d, d
    else:
        i0, d0 = i.item(0), d.item(0)
        at_i, at_j, at_d, filters = slice(i0, i0 + 1), j.item(0), d0, slice(d0, d0 + 1)
    window = np.ascontiguousarray(layer.windows[at_i, at_j], dtype=np.float64)
    mask = np.ascontiguousarray(layer.padding_windows[at_i, at_j])  # (n, Fh, Fw)
    if layer.connectivity == "shared":
        weights = layer.weights[filters]  # (n, Fh, Fw, D)
        bias = layer.bias[filters]  # (n,)
    else:
        weights = layer.weights[at_i, at_j, at_d]  # (n, Fh, Fw, D): each neuron its own
        bias = layer.bias[at_i, at_j, at_d]  # (n,)
    products = window * weights  # (n, Fh, Fw, D)
    # Added one after another in the window's reading order (row by row), as a person
    # checking the answer adds them: a running sum's last term. A reduction (sum, einsum)
    # adds in blocks of its own, which can differ from the shown order by far more than the
    # last digit where large products cancel ([1e12, -1e12, 0.1] gave 0.09997...).
    taps = products.reshape(len(t), -1, s.depth)  # (n, Fh*Fw, D)
    channel_sums = np.ascontiguousarray(np.add.accumulate(taps, axis=1)[:, -1])  # (n, D)
    pre = np.add.accumulate(channel_sums, axis=1)[:, -1] + bias  # (n,): the channels in order
    # a sum rounding cannot tell from 0 is 0, as the forward's and the gradient's are
    # (each bound for every step of the range: its window and products are at hand)
    layer.settle(pre, d if layer.connectivity == "shared" else (i, j, d),
                 lambda near: window_extremes(window),
                 lambda near: np.abs(products).reshape(len(t), -1).sum(axis=1))

    # The only Python loops: a string and the input bounds per step.
    rows, cols, depths = i.tolist(), j.tolist(), d.tolist()
    input_rows, input_cols, expressions = _windows_described(layer, rows, cols, depths)
    post = np.asarray(activate(pre, layer.activation), dtype=np.float64)
    _read_only(mask, window, weights, products, channel_sums, bias, pre, post, t, i, j, d,
               row_start, col_start)
    return _made(StepRange, {
        "order": order, "start": start, "every": every, "total": total,
        "t": t, "i": i, "j": j, "d": d,
        "row_start": row_start, "col_start": col_start,
        "row_span": geometry.height.span, "col_span": geometry.width.span,
        "row_step": s.dilation_h, "col_step": s.dilation_w,
        "input_rows": input_rows, "input_cols": input_cols,
        "padding_mask": mask, "window": window, "weights": weights, "products": products,
        "channel_sums": channel_sums, "bias": bias, "pre": pre, "post": post,
        "expressions": expressions,
    })


# ----------------------------------------------------------------------------- inverse


class Tap(NamedTuple):
    """Output position ``(i, j)`` whose window holds the cell, at tap ``(tap_row, tap_col)``.

    The tap indexes the window (and the filter): the cell is ``window[tap_row, tap_col, :]``.
    A named tuple, not a frozen dataclass: a wide filter lists hundreds of thousands of taps,
    and a tuple is the cheaper to make.
    """

    i: int
    j: int
    tap_row: int
    tap_col: int


@dataclass(frozen=True)
class Inverse:
    """Every output position whose receptive field holds the original input cell (row, col).

    All ``filters`` filters at each position see the cell, through their own weights at the
    tap. Empty ``taps`` means no neuron looks at the cell: ``covered`` then says why. True:
    the cell lies inside some window's span along both axes, so it falls in the gaps between
    a dilated filter's taps; False: no window reaches it (an edge the stride skipped).
    """

    row: int
    col: int
    filters: int
    # ``(output index, tap index)`` along each axis: every pair of a row hit and a column hit
    # is one tap, so a wide filter's hundreds of thousands of taps need not be objects
    rows: tuple[tuple[int, int], ...]
    cols: tuple[tuple[int, int], ...]
    covered: bool  # inside some window's span along both axes (with or without a tap on it)

    @property
    def taps(self) -> tuple[Tap, ...]:
        """Every tap, row-major by ``(i, j)``."""
        return tuple(Tap(i, j, tap_row, tap_col)
                     for i, tap_row in self.rows for j, tap_col in self.cols)


def _axis_hits(cell: int, taps: int, stride: int, dilation: int, out: int) -> list[tuple[int, int]]:
    """``(output index, tap index)`` pairs along one axis; ``cell`` in padded coordinates."""
    hits = []
    for tap in range(taps):
        offset = cell - tap * dilation  # where the window would have to start
        index, rest = divmod(offset, stride)
        if offset >= 0 and rest == 0 and index < out:
            hits.append((index, tap))
    return sorted(hits)


def _axis_covered(cell: int, axis: AxisGeometry) -> bool:
    """Whether padded ``cell`` lies inside the span of some window along ``axis``: the last
    window starting at or before it is the only one that can reach it furthest."""
    index = min(cell // axis.stride, axis.output - 1)
    return index * axis.stride <= cell < index * axis.stride + axis.span


def inverse(geometry: Geometry | Layer, row: int, col: int) -> Inverse:
    """The output positions that read original input cell ``(row, col)``, with their taps.

    Arithmetic per axis (``O(Fh + Fw)`` to find the hits, ``O(Fh*Fw)`` to list them), never a
    scan of the output, and the geometry alone: no array of the layer is read. With dilation
    only taps that land exactly on the cell count.

    Raises
    ------
    LayerError
        at ``cell.0`` or ``cell.1`` (both, when both are) for a cell outside the ``(H, W)``
        input.

    Examples
    --------
    >>> from engine.geometry import LayerShape, resolve
    >>> g = resolve(LayerShape.square(5, 3, 2, 3, stride=2, padding=1))
    >>> [(t.i, t.j, t.tap_row, t.tap_col) for t in inverse(g, 1, 0).taps]
    [(0, 0, 2, 1), (1, 0, 0, 1)]
    >>> holed = resolve(LayerShape.square(5, 1, 1, 2, dilation=3))  # taps 0 and 3: output 2x2
    >>> inverse(holed, 3, 4).taps, inverse(holed, 2, 2).taps, inverse(holed, 2, 2).covered
    ((Tap(i=0, j=1, tap_row=1, tap_col=1),), (), True)
    >>> skipped = resolve(LayerShape.square(5, 1, 1, 1, stride=2))  # reads rows 0, 2 and 4
    >>> inverse(skipped, 1, 0).taps, inverse(skipped, 1, 0).covered
    ((), False)
    """
    geometry = _geometry_of(geometry)
    for axis, value in (("row", row), ("column", col)):
        check_whole("cell", axis, value)
    s, p = geometry.shape, geometry.padding
    _refuse_outside("cell", f"the input is {s.height}x{s.width}",
                    (("row", row, s.height), ("column", col, s.width)))
    rows = _axis_hits(row + p.top, s.filter_height, s.stride_h, s.dilation_h,
                      geometry.out_height)
    cols = _axis_hits(col + p.left, s.filter_width, s.stride_w, s.dilation_w,
                      geometry.out_width)
    covered = (_axis_covered(row + p.top, geometry.height)
               and _axis_covered(col + p.left, geometry.width))
    return Inverse(row, col, s.filters, tuple(rows), tuple(cols), covered)
