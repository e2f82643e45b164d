"""Strided layers whose filter spans about three strides across (AlexNet conv1: 11 wide, stride
4): the width stride folded into depth, then Winograd's F(m, 3) along the width.

Output column ``j`` reads input columns ``S*j .. S*j + Fw - 1``. Cut the columns into groups of
``S`` and stack each group in depth: the folded input has ``S*D`` channels, and the filter, padded
with zero columns to ``3*S``, becomes three folded taps that move one folded column per output.
Along the width that is a stride-1 conv with a 3-tap filter, which F(m, 3) computes with m + 2
multiplies per m outputs where the direct sum needs 3m. The height is left to im2col: each of the
m + 2 transformed points is one GEMM ``(positions, Fh*S*D) @ (Fh*S*D, K)``, and a position's
``Fh*S*D`` values are one contiguous run of the transformed input.

:func:`minimal_for` picks m from 4, 5 and 6 (``winograd.F4_SINGLE``, ``F5``, ``F6``) for the
fewest transformed points per output row, the last tile's overhang counted. AlexNet conv1 (55
outputs across) takes F(5, 3): 11 whole tiles, GEMMs with ``k = 11*12 = 132``, 185 multiplies
per output and filter where im2col does 363 (the zero columns included). Only one dimension is
transformed, so the rounding stays within a few times the direct sum's (on AlexNet conv1 in
float32, about three times its root-mean-square error; ``benchmarks/README.md``). :func:`fits`
says which layers take this path; ``engine.conv.conv2d`` calls it with workers.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import numpy.typing as npt

from engine import threads, winograd
from engine.geometry import Geometry
from engine.threads import Workers
from engine.winograd import Minimal

Array = npt.NDArray[np.floating[Any]]

TAPS = 3  # folded taps F(m, 3) handles
# Below this many values per GEMM row (Fh*S*D) the products are too thin to pay for the
# transforms (and im2col's own rows are short enough to copy fast).
MIN_RUN = 64
MIN_FILTERS = 16
# The F(m, 3) a layer may take, fewest outputs per tile (least rounding) first.
CHOICES = (winograd.F4_SINGLE, winograd.F5, winograd.F6)
# The most scratch one thread's band (and the filters) may take. A thread takes its whole span
# as one band when it fits: with two threads, each NumPy call is a chance to wait for the GIL,
# so fewer, larger calls win over cache-sized bands here.
BAND_BYTES = 8 * 2**20


def fits(geometry: Geometry) -> bool:
    """Whether a strided, undilated layer folds into three taps across and is big enough.

    >>> from engine.geometry import LayerShape, resolve
    >>> fits(resolve(LayerShape.square(227, 3, 96, 11, stride=4)))  # AlexNet conv1
    True
    >>> fits(resolve(LayerShape.square(229, 3, 64, 7, stride=2, padding=3)))  # 4 taps across
    False
    >>> fits(resolve(LayerShape.square(224, 3, 64, 3, padding=1)))  # stride 1: nothing to fold
    False
    """
    s = geometry.shape
    return (
        s.stride_w >= 2
        and -(-s.filter_width // s.stride_w) == TAPS
        and (s.dilation_h, s.dilation_w) == (1, 1)
        and s.filter_height * s.stride_w * s.depth >= MIN_RUN
        and s.filters >= MIN_FILTERS
        and threads.worth_splitting(geometry.counts.multiply_adds)
    )


def minimal_for(width: int) -> Minimal:
    """The F(m, 3) of :data:`CHOICES` that transforms the fewest points for ``width`` outputs
    across (``ceil(width / m)`` tiles of m + 2), the smaller m on a tie.

    >>> [minimal_for(w).outputs for w in (55, 56, 7, 10)]  # AlexNet conv1's 55: 11 tiles of 5
    [5, 6, 4, 5]
    """
    return min(CHOICES, key=lambda f: (-(-width // f.outputs) * f.tile, f.outputs))


def conv_strided(
    x_padded: Array,
    weights: Array,
    bias: Array,
    geometry: Geometry,
    workers: Workers,
    minimal: Minimal | None = None,
) -> Array:
    """The layer's ``(H2, W2, K)`` output, width folded and F(m, 3) along it; ``geometry``
    must :func:`fit <fits>`.

    Arrays as :func:`engine.conv.conv2d` takes them, already in the result's dtype; the
    transforms are :func:`minimal_for` the output width unless ``minimal`` (any 1-D F(m, 3)) is
    given. Each thread takes a span of output rows; the calling thread first transforms the
    filters, once, which the others wait for only after transforming their inputs.
    """
    dtype = x_padded.dtype
    minimal = minimal_for(geometry.out_width) if minimal is None else minimal
    plan = _Plan(geometry, minimal, dtype)
    out = np.empty(geometry.output_shape, dtype)
    height = geometry.out_height
    band = plan.band(min(workers.scratch_bytes, BAND_BYTES), height)
    # Held until the first part has made the transformed filters (or failed to).
    ready = threading.Lock()
    ready.acquire()
    filters: list[Array] = []

    def work(span: tuple[int, int]) -> None:
        top, bottom = span
        scratch = workers.scratch((plan.filter_values + plan.band_values(band),), dtype)
        rest = scratch[plan.filter_values :]
        if top == 0:  # the first part, which Workers.run starts on the calling thread
            # Before its windows: the other threads are still waking up meanwhile, and the
            # transform is short, so they find the filters ready when their windows are done.
            try:
                filters.append(_filters(plan, weights, scratch[: plan.filter_values]))
            finally:
                ready.release()  # on failure too: the others must not wait for filters
        for start in range(top, bottom, band):
            band_span = (start, min(bottom, start + band))
            windows = _windows(plan, x_padded, band_span, rest)
            if not filters:
                with ready:  # wait for the first part's filters
                    pass
            if not filters:
                return  # the first part failed and raises
            _outputs(plan, windows, filters[0], bias, out, band_span, rest)

    workers.run(
        work,
        threads.split_evenly(height, workers.count),
        multiply_adds=plan.multiply_adds,
    )
    return out


class _Plan:
    """The sizes and transforms every band of one call shares."""

    def __init__(self, geometry: Geometry, minimal: Minimal, dtype: np.dtype[Any]) -> None:
        s = geometry.shape
        self.dtype = dtype
        self.outputs, self.points = minimal.outputs, minimal.tile  # m, a
        self.bt, self.g, self.at = (t.astype(dtype) for t in (minimal.bt, minimal.g, minimal.at))
        self.bias_point = minimal.bias_point // (self.points + 1)  # the 1-D column of ones
        self.stride_h, self.stride = s.stride_h, s.stride_w
        self.filter_height, self.filter_width, self.depth = s.filter_height, s.filter_width, s.depth
        self.channels = s.stride_w * s.depth  # depth of the folded input
        self.run = s.filter_height * self.channels  # one GEMM row: a position's window
        self.filters = s.filters
        self.width = geometry.out_width
        self.tiles = -(-self.width // self.outputs)  # F(m, 3) tiles across
        # Folded columns the tiles read: m per tile and the last tile's 2 more.
        self.folded = self.outputs * self.tiles + TAPS - 1
        # The transformed filters, and the folded ones they are made from.
        self.filter_values = (self.points + TAPS) * self.run * self.filters
        per_output = s.filter_height * s.filter_width * s.depth
        self.multiply_adds = geometry.out_height * self.width * s.filters * per_output

    def reach(self, rows: int) -> int:
        """Input rows a band of ``rows`` output rows reads."""
        return self.stride_h * (rows - 1) + self.filter_height

    def sizes(self, rows: int) -> tuple[int, int, int, int]:
        """Values in a band's scratch regions: folded input, transformed tiles, windows (the
        outputs reuse them once the products are made), products."""
        a, tiles, reach = self.points, self.tiles, self.reach(rows)
        return (
            self.folded * reach * self.channels,
            a * tiles * reach * self.channels,
            max(a * self.run, self.outputs * self.filters) * rows * tiles,
            a * rows * tiles * self.filters,
        )

    def band_values(self, rows: int) -> int:
        """Scratch values a band of ``rows`` output rows needs."""
        return sum(self.sizes(rows))

    def band(self, budget: int, height: int) -> int:
        """The most output rows, up to ``height``, whose scratch (the filters' included) fits
        ``budget`` bytes, at least one: the regions grow linearly with the rows."""
        one, two = (
            (self.filter_values + self.band_values(rows)) * self.dtype.itemsize for rows in (1, 2)
        )
        return max(1, min(height, 1 + (budget - one) // (two - one)))


def _filters(plan: _Plan, weights: Array, scratch: Array) -> Array:
    """(a, Fh*S*D, K): the filters folded like the input (zero columns up to 3*S) and
    transformed along the width, point-major, filters in the last axis."""
    k, fh, fw = plan.filters, plan.filter_height, plan.filter_width
    size = plan.points * plan.run * k
    # (Fh, 3*S, D, K): each filter row's columns, zeros after the last; as (Fh, 3, S*D*K) a
    # filter row's three folded taps, which one batch of GEMMs (one per row) transforms.
    taps = scratch[size:].reshape(fh, TAPS * plan.stride, plan.depth, k)
    np.copyto(taps[:, :fw], weights.transpose(1, 2, 3, 0))
    taps[:, fw:] = 0
    u = scratch[:size]
    per_tap = plan.channels * k
    np.matmul(
        plan.g,
        taps.reshape(fh, TAPS, per_tap),
        out=_view(u, (fh, plan.points, per_tap), (per_tap, fh * per_tap, 1)),
    )
    return u.reshape(plan.points, plan.run, k)


def _windows(plan: _Plan, x_padded: Array, span: tuple[int, int], scratch: Array) -> Array:
    """(a, rows*tiles, Fh*S*D): each output position's window in the band ``span``, transformed
    along the width, one row per position (i, q) at each point."""
    top, bottom = span
    rows, reach = bottom - top, plan.reach(bottom - top)
    a, m, tiles, channels, run = plan.points, plan.outputs, plan.tiles, plan.channels, plan.run
    folded_size, transformed_size, _, _ = plan.sizes(rows)

    # (folded, reach, S*D): the band's input rows folded, one folded column after another,
    # zero columns added so that every tile is whole. A tile is then a columns in a row, each
    # a contiguous block, and a position's window in a transformed tile (Fh rows of S*D
    # values) one contiguous run.
    folded = scratch[:folded_size].reshape(plan.folded, reach, channels)
    stride, first = plan.stride, plan.stride_h * top
    whole = min(plan.folded, x_padded.shape[1] // stride)  # folded columns x has whole
    rows_in = x_padded[first : first + reach]
    _copy_runs(
        folded[:whole],
        rows_in[:, : whole * stride].reshape(reach, whole, channels).transpose(1, 0, 2),
    )
    if whole < plan.folded:
        folded[whole:] = 0
        part = min(x_padded.shape[1] - whole * stride, stride)  # a partial last column
        if part > 0:
            edge = folded[whole].reshape(reach, stride, plan.depth)
            np.copyto(edge[:, :part], rows_in[:, whole * stride : whole * stride + part])

    # (a, tiles, reach*S*D): every tile transformed along the width, as one batch of GEMMs.
    block = reach * channels
    transformed = scratch[folded_size : folded_size + transformed_size]
    tile_blocks = _view(folded, (tiles, a, block), (m * block, block, 1))
    np.matmul(
        plan.bt, tile_blocks, out=_view(transformed, (tiles, a, block), (block, tiles * block, 1))
    )

    # Position (i, q)'s window at point p: Fh rows of S*D from row S_h*i of tile q.
    start = folded_size + transformed_size
    windows = scratch[start : start + a * rows * tiles * run].reshape(a, rows, tiles, run)
    np.copyto(
        windows,
        _view(
            transformed, (a, rows, tiles, run), (tiles * block, plan.stride_h * channels, block, 1)
        ),
    )
    return windows.reshape(a, rows * tiles, run)


def _outputs(
    plan: _Plan,
    windows: Array,
    u: Array,
    bias: Array,
    out: Array,
    span: tuple[int, int],
    scratch: Array,
) -> None:
    """The band ``span``'s outputs into ``out`` (``(H2, W2, K)``): the products at every point,
    transformed back."""
    top, bottom = span
    rows = bottom - top
    a, m, tiles, k, width = plan.points, plan.outputs, plan.tiles, plan.filters, plan.width
    folded_size, transformed_size, _, products_size = plan.sizes(rows)
    products = scratch[-products_size:].reshape(a, rows * tiles, k)
    np.matmul(windows, u, out=products)
    products[plan.bias_point] += bias  # A^T's column of ones: every output takes it once

    # y[j, i, q] is output (top + i, m*q + j), in the windows' memory (no longer needed); a
    # last tile that hangs over the edge is copied on its own.
    start = folded_size + transformed_size
    y = scratch[start : start + m * rows * tiles * k].reshape(m, rows * tiles * k)
    winograd.transform_columns(plan.at, products.reshape(a, rows * tiles * k), y)
    by_tile = y.reshape(m, rows, tiles, k).transpose(1, 2, 0, 3)  # (rows, tiles, m, K)
    whole = width // m
    target = out[top:bottom]
    np.copyto(target[:, : whole * m].reshape(rows, whole, m, k), by_tile[:, :whole])
    if whole < tiles:
        np.copyto(target[:, whole * m :], by_tile[:, whole, : width - whole * m])


def _view(base: Array, shape: tuple[int, ...], strides: tuple[int, ...]) -> Array:
    """A view of the contiguous ``base`` with ``strides`` counted in values, not bytes."""
    itemsize = base.itemsize
    return np.ndarray(shape, base.dtype, buffer=base, strides=tuple(s * itemsize for s in strides))


def _copy_runs(target: Array, source: Array) -> None:
    """``np.copyto(target, source)`` for arrays whose last axis is contiguous in both: each run
    along it is moved as one opaque item, which NumPy copies whole instead of value by value
    (a folded column's S*D values are a short run)."""
    run = np.dtype((np.void, target.shape[-1] * target.itemsize))
    if target.strides[-1] == source.strides[-1] == target.itemsize and target.dtype == source.dtype:
        np.copyto(target.view(run)[..., 0], source.view(run)[..., 0])
    else:
        np.copyto(target, source)
