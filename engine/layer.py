"""A conv layer with its numbers: geometry plus input, weights and biases.

Shapes follow the notes so their expressions hold literally:

* input ``x``: ``(H, W, D)``; ``x_padded``: ``(H + pad_top + pad_bottom, W + ..., D)``
* shared weights: ``(K, Fh, Fw, D)`` and bias ``(K,)`` -- one filter per depth slice
* local weights: ``(H2, W2, K, Fh, Fw, D)`` and bias ``(H2, W2, K)`` -- every neuron its own
  (the notes' Locally-Connected Layer)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import InitVar, dataclass
from functools import cached_property
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from engine import rounding
from engine.edits import Edit, apply_edits, check_edits, edit_filters, edit_input
from engine.errors import LayerError, listing
from engine.geometry import Geometry, LayerShape, Padding, resolve
from engine.tensors import (
    INPUT_INTEGERS,
    STREAM_BIAS,
    STREAM_INPUT,
    STREAM_WEIGHTS,
    WEIGHT_INTEGERS,
    Fill,
    FloatArray,
    bias_fill_for,
    fill,
)
from engine.windows import windows

Connectivity = Literal["shared", "local"]
Activation = Literal["none", "relu"]


@dataclass(frozen=True, eq=False)
class Layer:
    """A conv layer ready to compute. Build one with :func:`build_layer`.

    Its arrays are read-only: a layer keeps what it works out from them (the padded input,
    the windows), so a value written into ``x`` by hand after a first use would be half seen.
    Change a layer by building it again with ``edits`` (or other values)."""

    geometry: Geometry
    x: FloatArray  # (H, W, D)
    weights: FloatArray  # shared (K, Fh, Fw, D) | local (H2, W2, K, Fh, Fw, D)
    bias: FloatArray  # shared (K,) | local (H2, W2, K)
    connectivity: Connectivity = "shared"
    activation: Activation = "none"
    # x inside its padding, when x is a view into it (build_layer makes them so): the layer
    # then holds its input once, where a padded copy beside x doubled what a cached layer
    # weighs (benchmarks/README.md has the figures)
    padded: InitVar[FloatArray | None] = None

    def __post_init__(self, padded: FloatArray | None) -> None:
        if padded is not None:
            object.__setattr__(self, "x_padded", padded)  # the cached property, made

    def __repr__(self) -> str:
        """The layer in one line: its sizes, connectivity and activation (its arrays, printed
        whole, ran to 17,820 characters for AlexNet conv1 in a notebook).

        >>> build_layer(LayerShape.square(5, 3, 2, 3, stride=2, padding=1))  # doctest: +ELLIPSIS
        Layer(5x5x3 -> 3x3x2: 2 filters 3x3x3, stride 2x2, padding [1, 1, 1, 1], ..., shared, ...)
        """
        s, g = self.shape, self.geometry
        sizes = "x".join(map(str, s.input_shape)), "x".join(map(str, g.output_shape))
        return (f"Layer({sizes[0]} -> {sizes[1]}: {s.filters} filters "
                f"{s.filter_height}x{s.filter_width}x{s.depth}, stride {s.stride_h}x{s.stride_w}, "
                f"padding {g.padding.as_list()}, dilation {s.dilation_h}x{s.dilation_w}, "
                f"{self.connectivity}, activation {self.activation!r})")

    @property
    def shape(self) -> LayerShape:
        return self.geometry.shape

    @cached_property
    def x_padded(self) -> FloatArray:
        """The input with the zero padding applied (fit="pad" extras included), read-only as
        the layer's other arrays."""
        padded = pad_input(self.x, self.geometry.padding)
        padded.flags.writeable = False
        return padded

    @cached_property
    def windows(self) -> npt.NDArray[np.floating[Any]]:
        """Every receptive field, the read-only view ``(H2, W2, Fh, Fw, D)`` of ``x_padded``
        that :func:`engine.windows.windows` makes; made once per layer, as a single step would
        otherwise spend a good part of its time making it again."""
        return windows(self.x_padded, self.geometry)

    @cached_property
    def sums_exact(self) -> bool:
        """Whether every sum of the layer is exact in float64, in any order (whole numbers,
        and other multiples of a power of two small enough: :func:`rounding.sums_exact`);
        engine/rounding.py leaves such a layer's sums as they are."""
        taps = self.geometry.counts.weights_per_neuron
        return rounding.sums_exact(self.x, self.weights, self.bias, taps, np.float64)

    @cached_property
    def weight_sizes(self) -> npt.NDArray[np.floating[Any]]:
        """Each neuron's sum of ``|w|`` over its filter, ``(K,)`` shared or ``(H2, W2, K)``
        locally connected: what its rounding bound scales with (engine/rounding.py)."""
        taps = self.geometry.counts.weights_per_neuron
        sizes: npt.NDArray[np.floating[Any]] = np.abs(self.weights).reshape(
            *self.weights.shape[:-3], taps).sum(axis=-1)
        sizes.flags.writeable = False
        return sizes

    @cached_property
    def coarse_bounds(self) -> npt.NDArray[np.floating[Any]]:
        """Each neuron's rounding bound with the input's largest ``|x|`` for its window's,
        shaped as :attr:`weight_sizes`: a sum above it is above its own bound too, so only
        the sums under it need their own window's (engine/rounding.py)."""
        taps = self.geometry.counts.weights_per_neuron
        largest = float(np.abs(self.x).max(initial=0.0))
        bounds = rounding.rounding_bound(largest, self.weight_sizes, self.bias, taps, np.float64)
        bounds.flags.writeable = False
        return bounds

    def neuron_sum(self, window: npt.NDArray[np.floating[Any]],
                   weights: npt.NDArray[np.floating[Any]], bias: float) -> float:
        """One neuron's pre-activation as the notes write it, ``np.sum(window * W) + b``,
        settled by the rule :meth:`settle` keeps for whole arrays (engine/rounding.py), here
        for one sum from its own products: the references' (``forward_naive``,
        ``backward_naive``) way to the numbers every vectorised path gives. Without it a
        flat patch under a zero-sum filter read +-1e-17 in the reference and 0 in the
        forward, and ReLU let a whole gradient through one and not the other."""
        products = window * weights
        pre = float(np.sum(products) + bias)
        if not self.sums_exact and abs(pre) <= float(rounding.terms_bound(
                np.sum(np.abs(products)), bias, products.size, np.float64)):
            return 0.0
        return pre

    def settle(
        self, pre: npt.NDArray[np.floating[Any]], at: Any,
        extremes_of: Callable[[npt.NDArray[np.bool_]], tuple[npt.ArrayLike, npt.ArrayLike]],
        terms_of: Callable[[npt.NDArray[np.bool_]], npt.ArrayLike],
    ) -> npt.NDArray[np.floating[Any]]:
        """``pre``, float64 sums of the neurons ``at`` indexes in :attr:`weight_sizes` and
        :attr:`bias` (``...``: all of them), with each sum that rounding cannot tell from 0
        set to 0, in place (engine/rounding.py). ``extremes_of(near)`` gives the largest and
        the least ``|x|`` of each sum's window, and ``terms_of(near)`` its products' sizes
        (``sum |x * w|``), each array broadcasting to ``pre``'s shape, asked only for the
        sums ``near`` marks (elsewhere any value): those still near 0. A layer whose sums
        are exact is left as it is.

        Every bound is worked out over the whole of ``pre`` and only the last one is applied
        through the mask: a mask picking millions of sums (a layer whose every output is
        near 0) cost more to index with, pass after pass, than the bounds' arithmetic."""
        if self.sums_exact:
            return pre
        coarse = self.coarse_bounds[at]
        if pre.size == 1 and abs(pre.item()) > np.asarray(coarse).item():
            return pre  # a single step: plain floats, most often far from 0
        size = np.abs(pre)
        near = size <= coarse
        if not near.any():
            return pre
        sizes, biases = self.weight_sizes[at], self.bias[at]
        taps = self.geometry.counts.weights_per_neuron
        largest, least = extremes_of(near)
        near &= size <= rounding.rounding_bound(largest, sizes, biases, taps, pre.dtype)
        if not near.any():
            return pre
        # under the bound with the window's least |x|: under the products' own sizes' too
        settled = near & (size <= rounding.rounding_bound(least, sizes, biases, taps,
                                                          pre.dtype))
        unsure = near & ~settled
        if unsure.any():
            # the window's largest |x| stood for every tap's: held against the products' own
            # sizes, a large input under a zero weight no longer hides a small sum
            settled |= unsure & (size <= rounding.terms_bound(terms_of(unsure), biases, taps,
                                                              pre.dtype))
        pre[settled] = 0
        return pre

    @cached_property
    def padding_windows(self) -> npt.NDArray[np.bool_]:
        """Every receptive field's padding mask, the read-only view ``(H2, W2, Fh, Fw)``
        (True where a tap falls in the zero padding) of a map of the padded input, gathered
        as :attr:`windows` is: one fancy index gives a range of steps its masks."""
        g = self.geometry
        p, s = g.padding, g.shape
        padding = np.ones(g.padded_shape[:2], dtype=bool)
        padding[p.top : p.top + s.height, p.left : p.left + s.width] = False
        padding.flags.writeable = False
        # The map's one value per cell, seen at every depth (no copy), as x_padded is laid out.
        volume = np.broadcast_to(padding[:, :, None], g.padded_shape)
        return windows(volume, g)[..., 0].astype(bool, copy=False)  # a view still

    def filter_at(self, i: int, j: int, d: int) -> FloatArray:
        """The (Fh, Fw, D) weights neuron (i, j, d) uses."""
        chosen: FloatArray = (
            self.weights[d] if self.connectivity == "shared" else self.weights[i, j, d]
        )
        return chosen

    def bias_at(self, i: int, j: int, d: int) -> float:
        return float(self.bias[d] if self.connectivity == "shared" else self.bias[i, j, d])


def pad_input(x: FloatArray, padding: Padding) -> FloatArray:
    """``x`` ``(H, W, D)`` inside zeros, ``padding`` cells on each side (``x`` itself, not a
    copy, when there are none).

    >>> pad_input(np.ones((1, 2, 1)), Padding(1, 0, 0, 2))[:, :, 0].tolist()
    [[0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0]]
    >>> x = np.ones((2, 2, 1))
    >>> pad_input(x, Padding()) is x
    True
    """
    if padding.is_zero:
        return x
    H, W, D = x.shape
    p = padding
    # zeros + one slice assignment: np.pad's general machinery is slower, on every request.
    padded = np.zeros((p.top + H + p.bottom, p.left + W + p.right, D), dtype=x.dtype)
    padded[p.top : p.top + H, p.left : p.left + W, :] = x  # (Hp, Wp, D)
    return padded


def make_input(
    shape: LayerShape,
    x: FloatArray | None = None,
    input_fill: Fill = INPUT_INTEGERS,
    edits: Sequence[Edit] = (),
) -> FloatArray:
    """The input ``(H, W, D)`` of a layer of ``shape``, exactly as :func:`build_layer` makes
    it (explicit values or the fill, then the input's edits), whether or not the geometry
    works out: what a picture of a misfit draws.

    >>> shape = LayerShape.square(10, 1, 1, 3, stride=2)  # (10 - 3)/2 + 1 = 4.5
    >>> make_input(shape, edits=[Edit("input", (0, 0, 0), 9.0)]).shape
    (10, 10, 1)
    """
    # checked before the fill is made, as build_layer checks: given values, then edits
    given = checked_values([("input.values", x, shape.input_shape)])
    if edits:
        check_edits(edits, {"input": shape.input_shape})
    made = given.get("input.values")
    if made is None:
        made = fill(shape.input_shape, input_fill, STREAM_INPUT)
    return edit_input(made, edits) if edits else made


def make_filters(
    shape: LayerShape,
    weights: FloatArray | None = None,
    bias: FloatArray | None = None,
    weight_fill: Fill = WEIGHT_INTEGERS,
    bias_fill: Fill | None = None,
    edits: Sequence[Edit] = (),
) -> tuple[FloatArray, FloatArray]:
    """The shared filters ``(K, Fh, Fw, D)`` and biases ``(K,)`` of a layer of ``shape``,
    exactly as :func:`build_layer` makes them (values or fills, then the filters' and biases'
    edits), whether or not the geometry works out: shared filters need no output size, so a
    misfit has them too (a locally connected layer's need one set per output position).

    >>> shape = LayerShape.square(10, 1, 2, 3, stride=2)  # (10 - 3)/2 + 1 = 4.5
    >>> w, b = make_filters(shape, edits=[Edit("bias", (1,), 5.0)])
    >>> w.shape, b.tolist()[1]
    ((2, 3, 3, 1), 5.0)
    """
    one_per_filter = (shape.filters,)
    # checked before any fill is made, as build_layer checks: every wrong given array at
    # once, then the edits
    given = checked_values([("filters.values", weights, shape.filter_shape),
                            ("filters.bias", bias, one_per_filter)])
    if edits:
        check_edits(edits, {"filters": shape.filter_shape, "bias": one_per_filter})
    w = given.get("filters.values")
    if w is None:
        w = fill(shape.filter_shape, weight_fill, STREAM_WEIGHTS)
    b = given.get("filters.bias")
    if b is None:
        b = fill(one_per_filter, bias_fill or bias_fill_for(weights is not None), STREAM_BIAS)
    return edit_filters(w, b, edits) if edits else (w, b)


def weight_shape(geometry: Geometry, connectivity: Connectivity) -> tuple[int, ...]:
    """The weights' shape for a connectivity: (K, Fh, Fw, D) or (H2, W2, K, Fh, Fw, D)."""
    if connectivity == "shared":
        return geometry.filter_shape
    return (geometry.out_height, geometry.out_width, *geometry.filter_shape)


def bias_shape(geometry: Geometry, connectivity: Connectivity) -> tuple[int, ...]:
    if connectivity == "shared":
        return (geometry.shape.filters,)
    return geometry.output_shape


# The axes of each array a layer takes, by its number of dimensions, for refusals.
_AXES = {
    "input.values": {3: "(H, W, D)"},
    "filters.values": {4: "(K, Fh, Fw, D)", 6: "(H2, W2, K, Fh, Fw, D)"},
    "filters.bias": {1: "(K,)", 3: "(H2, W2, K)"},
}


def _wrong_shape(field: str, given: tuple[int, ...], shape: tuple[int, ...]) -> str:
    """Why values of shape ``given`` are not the ``shape`` the layer needs at ``field``.

    >>> _wrong_shape("filters.values", (2, 3, 5, 5), (2, 5, 5, 3))  # PyTorch's layout
    "filters.values has shape [2, 3, 5, 5] but the layer needs (K, Fh, Fw, D) = [2, 5, 5, 3]: \
its Fh is 3 (not 5) and D is 5 (not 3): every filter is as deep as the input; \
[2, 3, 5, 5] is PyTorch's (K, D, Fh, Fw) order: give weight.permute(0, 2, 3, 1)"
    """
    axes = _AXES.get(field, {}).get(len(shape))
    needs = f"{axes} = {list(shape)}" if axes else f"{list(shape)}"
    reason = f"{field} has shape {list(given)} but the layer needs {needs}"
    names = re.findall(r"\w+", axes) if axes else []
    if len(names) == len(given):  # the axes that differ, by name: where a size was read from
        # the values themselves, the needed shape agrees with them but for the depth
        reason += ": its " + listing([f"{name} is {g} (not {s})" for name, g, s
                                      in zip(names, given, shape, strict=True) if g != s])
        if field == "filters.values" and given[-1] != shape[-1]:
            reason += ": every filter is as deep as the input"
    if field == "filters.values" and len(shape) == 4 and len(given) == 4:
        k, fh, fw, depth = shape
        # the input's depth second and a square filter after it (sizes read from such values
        # take Fh and Fw from its second and third numbers, so compare with the depth too)
        if given == (k, depth, fh, fw) or given[1] == depth != given[3] == given[2]:
            reason += (f"; {list(given)} is PyTorch's (K, D, Fh, Fw) order: give "
                       "weight.permute(0, 2, 3, 1)")
    return reason


def _checked_values(field: str, values: FloatArray, shape: tuple[int, ...]) -> FloatArray:
    """The layer's own float64 copy of explicit ``values`` (the caller's array is never kept:
    a later change to it would reach the layer only until the layer had been used)."""
    if np.iscomplexobj(values):
        raise LayerError(field, "values must be real numbers, not complex")
    try:
        array = np.array(values, dtype=np.float64)  # a copy
    except (TypeError, ValueError) as error:
        raise LayerError(field, f"values must be numbers ({error})") from None
    if array.shape != shape:
        raise LayerError(field, _wrong_shape(field, array.shape, shape))
    if not np.isfinite(array).all():
        raise LayerError(field, "values must be finite numbers (no NaN or Infinity)")
    return array


def checked_values(
    given: Sequence[tuple[str, FloatArray | None, tuple[int, ...]]],
) -> dict[str, FloatArray]:
    """The layer's own copies of the arrays given as (field, values or None, the shape the
    layer needs there), by field; every wrong one refused at once. What :func:`build_layer`
    checks, for callers that check a layer without making it.

    >>> try:
    ...     checked_values([("filters.bias", np.zeros(3), (2,)), ("input.values", None, (1,))])
    ... except LayerError as refused:
    ...     print(refused.reason)
    filters.bias has shape [3] but the layer needs (K,) = [2]: its K is 3 (not 2)
    """
    checked: dict[str, FloatArray] = {}
    wrong = []
    for field, values, shape in given:
        if values is not None:
            try:
                checked[field] = _checked_values(field, values, shape)
            except LayerError as error:
                wrong.append(error)
    if wrong:
        raise LayerError.of(wrong)
    return checked


def build_layer(
    geometry: Geometry | LayerShape,
    *,
    x: FloatArray | None = None,
    weights: FloatArray | None = None,
    bias: FloatArray | None = None,
    input_fill: Fill = INPUT_INTEGERS,
    weight_fill: Fill = WEIGHT_INTEGERS,
    bias_fill: Fill | None = None,
    connectivity: Connectivity = "shared",
    activation: Activation = "none",
    edits: Sequence[Edit] = (),
) -> Layer:
    """Make the arrays of a layer: explicit values where given, fills elsewhere, then
    ``edits`` laid over them in order (:mod:`engine.edits`; a later edit of a cell wins).
    Without ``bias`` or ``bias_fill`` the biases are 0 beside given ``weights``, else seeded
    (:func:`~engine.tensors.bias_fill_for`).

    ``geometry`` is a resolved :class:`Geometry` (a caller that already resolved it, to
    price the work first, passes it so it is not resolved again) or a :class:`LayerShape`,
    resolved here.

    >>> layer = build_layer(LayerShape.square(5, 3, 2, 3, stride=2, padding=1))
    >>> layer.x.shape, layer.x_padded.shape, layer.weights.shape, layer.bias.shape
    ((5, 5, 3), (7, 7, 3), (2, 3, 3, 3), (2,))
    >>> edited = build_layer(layer.shape, edits=[Edit("filters", (1, 0, 2, 0), -4.0)])
    >>> float(edited.weights[1, 0, 2, 0]), bool(edited.x_padded[1, 1, 0] == layer.x[0, 0, 0])
    (-4.0, True)
    """
    if isinstance(geometry, LayerShape):
        geometry = resolve(geometry)
    shape = geometry.shape
    if connectivity not in ("shared", "local"):
        raise LayerError("connectivity", f"{connectivity!r} is not 'shared' or 'local'")
    if activation not in ("none", "relu"):
        raise LayerError("activation", f"{activation!r} is not 'none' or 'relu'")
    wanted = (
        ("input.values", x, input_fill, shape.input_shape, STREAM_INPUT),
        ("filters.values", weights, weight_fill, weight_shape(geometry, connectivity),
         STREAM_WEIGHTS),
        ("filters.bias", bias, bias_fill or bias_fill_for(weights is not None),
         bias_shape(geometry, connectivity), STREAM_BIAS),
    )
    # Everything that can be wrong is checked before any fill is made (a locally connected
    # layer's weights may be gigabytes): the given values, every wrong one at once, then the
    # edits against the shapes.
    given = checked_values([(field, values, array_shape)
                            for field, values, _, array_shape, _ in wanted])
    if edits:
        check_edits(edits, {"input": shape.input_shape, "filters": wanted[1][3],
                            "bias": wanted[2][3]})
    x_made, weights_made, bias_made = (
        given[field] if field in given else fill(array_shape, how, stream)
        for field, _, how, array_shape, stream in wanted
    )
    if edits:
        x_made, weights_made, bias_made = apply_edits(x_made, weights_made, bias_made, edits)
    # the input made inside its padding, and x the view of its cells (without padding, x is
    # the padded input itself): every use of a layer reads the padded input
    p = geometry.padding
    padded = pad_input(x_made, p)
    for array in (padded, weights_made, bias_made):
        array.flags.writeable = False
    return Layer(
        geometry=geometry,
        x=padded[p.top : p.top + shape.height, p.left : p.left + shape.width],
        weights=weights_made,
        bias=bias_made,
        connectivity=connectivity,
        activation=activation,
        padded=padded,
    )
