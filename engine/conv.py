"""The conv layer's forward pass: vectorised kernels and the notes' loops as their reference.

Shapes (see ``docs/design.md``)::

    x_padded  (Hp, Wp, D)            the input with its zero padding
    windows   (H2, W2, Fh, Fw, D)    neuron (i, j)'s receptive field, a read-only view
    shared    weights (K, Fh, Fw, D), bias (K,)
    local     weights (H2, W2, K, Fh, Fw, D), bias (H2, W2, K)
    output    (H2, W2, K)

The shared kernel is im2col + GEMM: each output is the sum of its own window's products, so its
rounding is that of its own numbers (and a layer of whole numbers comes out exact). On request
(``winograd=True``, with workers) deep 3x3 stride-1 layers take Winograd's minimal filtering
instead, see ``engine.winograd``, and strided layers whose filters span three strides across,
AlexNet conv1's among them, take it along the width, see ``engine.winograd_strided``: fewer
multiplies, but an output's rounding error then grows with the largest input of its whole tile,
so one huge input can move neurons that never read it. The columns are built in the layout
BLAS wants -- one C-contiguous ``(positions, Fh*Fw*D + 1)`` matrix, filled by a single copy
whose inner run is a whole contiguous filter row ``Fw*D`` -- and multiplied as
``(positions x FFD) @ (FFD x K)``, whose result already *is* the ``(H2, W2, K)`` output: no
transpose, no copy of the output. The bias rides in the GEMM as a column of ones, which
saves a full pass over the output (for VGG conv1_1, FFD = 27, that pass would cost as much
as the multiply). Given :class:`engine.threads.Workers`, a large layer's output rows are
split over its threads, each building and multiplying its own bands (``engine.threads`` says why).

Shallow layers with unit width stride (VGG conv1_1: a 3x3x3 filter) take the columns
tap-major instead: a ``(Fh*Fw*D + 1, positions)`` matrix handed to BLAS transposed. Position
by position a window's contiguous runs are only ``Fw*D`` values long (9 for VGG conv1_1), and
copying runs that short costs about as much per run as per value; tap by tap, each run is a
whole output row of one tap's inputs, read from a depth-first copy of the input.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from engine import winograd, winograd_strided
from engine.errors import LayerError
from engine.geometry import Geometry
from engine.layer import Activation, Layer
from engine.rounding import sums_exact
from engine.threads import Workers
from engine.windows import along, check_shape, windows

Array = npt.NDArray[np.floating[Any]]
# Scratch for a kernel's part: ``buffer(shape, dtype)`` gives an uninitialised array.
Buffer = Callable[[tuple[int, ...], np.dtype[Any]], Array]

# Cap on the column matrix one GEMM sees when BLAS threads it: the benchmarked layers run as
# one GEMM (AlexNet conv1 in float64 needs 9 MB); a huge layer is cut into bands of output rows
# instead of allocating gigabytes.
COLUMN_BYTES = 64 * 2**20
# With workers: the column band each thread builds and multiplies at a time, sized to stay in
# its core's cache (AlexNet conv1 in float32: 13 output rows). Tap-major columns take smaller
# bands: their GEMMs (k = 28 for VGG conv1_1) write 2-3 values per column value, and a band's
# output then stays in the cache too (benchmarks/README.md has the figures).
BAND_BYTES = 2**20
TAP_MAJOR_BAND_BYTES = 2**18
# Windows whose rows (Fw*D values) are at most this long are copied tap-major (see the module
# docstring); longer ones position by position, which moves them whole.
TAP_MAJOR_RUN = 24
# Window cells the settling pass's last bound (:func:`_terms`) gathers at a time, to size the
# products of the sums still near 0.
TERMS_PIECE = 2**20


@dataclass(frozen=True, eq=False)
class ForwardResult:
    """A layer's output before and after its activation, both ``(H2, W2, K)``.

    With ``activation="none"`` ``post`` is the same array as ``pre``.
    """

    pre: Array  # (H2, W2, K)
    post: Array  # (H2, W2, K)


def _float_dtype(*arrays: Array) -> np.dtype[Any]:
    """The arrays' common dtype, or float64 if that is not a float (integer fills, say)."""
    dtype = np.result_type(*arrays)
    return dtype if np.issubdtype(dtype, np.floating) else np.dtype(np.float64)


def conv2d(
    x_padded: Array,
    weights: Array,
    bias: Array,
    geometry: Geometry,
    workers: Workers | None = None,
    view: Array | None = None,
    *,
    winograd: bool = False,
) -> Array:
    """The shared-weight conv layer: ``V[i, j, d] = sum(window(i, j) * W[d]) + b[d]``.

    Vectorised as im2col + GEMM (see the module docstring for the layout). The result has
    the dtype of ``x_padded`` and ``weights`` combined, so float32 in gives float32 out;
    ``bias`` is cast to it.

    Parameters
    ----------
    x_padded : ndarray, shape (Hp, Wp, D)
    weights : ndarray, shape (K, Fh, Fw, D)
    bias : ndarray, shape (K,)
    geometry : Geometry
    workers : Workers, optional
        Threads to split a large layer's output rows over (BLAS single-threaded meanwhile);
        without, one GEMM that BLAS threads.
    view : ndarray, shape (H2, W2, Fh, Fw, D), optional
        ``windows(x_padded, geometry)`` where the caller has it already (a layer keeps its own).
    winograd : bool
        With ``workers``, take Winograd's minimal filtering where the layer fits a kernel of
        it (not for a layer of whole numbers, whose im2col sums are exact). Faster on deep
        layers, but each output's rounding then scales with its tile's largest input rather
        than its own (module docstring); the server leaves it off. Without workers it is
        ignored: BLAS threading Winograd's many small GEMMs would make its threads meet for
        each one.

    Returns
    -------
    ndarray, shape (H2, W2, K)
        The pre-activation output.

    Examples
    --------
    The notes' 1-D example: input [1, 2, -1, 1, -3], one zero each side, filter [1, 0, -1].

    >>> from engine.geometry import LayerShape, Padding, resolve
    >>> g = resolve(LayerShape(1, 5, 1, 1, 1, 3, padding=Padding(0, 0, 1, 1)))
    >>> xp = np.array([0, 1, 2, -1, 1, -3, 0.0]).reshape(1, 7, 1)
    >>> conv2d(xp, np.array([1, 0, -1.0]).reshape(1, 1, 3, 1), np.zeros(1), g).ravel()
    array([-2.,  2.,  1.,  2.,  1.])
    """
    height, width, k = geometry.output_shape
    check_shape("input.values", "padded input values", x_padded.shape, geometry.padded_shape)
    check_shape("filters.values", "weights", weights.shape, geometry.filter_shape)
    check_shape("filters.bias", "biases", bias.shape, (k,))
    dtype = _float_dtype(x_padded, weights)
    minimal = _minimal_filtering(geometry) if winograd and workers is not None else None
    # Winograd's transforms round (their coefficients include 1/6 and 1/24), so a layer of whole
    # numbers would come out as 15.000000000000002 where its sum is 15, and ReLU would pass a
    # neuron whose sum is 0. im2col's GEMM adds such a layer's products exactly (whole
    # numbers up to 2**53 in float64, 2**24 in float32), which is what someone checking by
    # hand expects.
    per_neuron = geometry.counts.weights_per_neuron  # Fh * Fw * D
    if (minimal is not None and workers is not None
            and not sums_exact(x_padded, weights, bias, per_neuron, dtype)):
        x, w, b = (a.astype(dtype, copy=False) for a in (x_padded, weights, bias))
        return minimal(x, w, b, geometry, workers)

    # (FFD + 1, K): the filters as columns, the biases as the last row (the ones column's
    # partner). Built as (K, FFD + 1) rows and handed over transposed, which BLAS takes as a
    # flag, where a transposing copy would be one more pass over the filters.
    kernel = np.concatenate(
        [weights.reshape(k, per_neuron), bias.reshape(k, 1)], axis=1, dtype=dtype
    ).T

    out = np.empty((height * width, k), dtype)  # (H2*W2, K), viewed as (H2, W2, K) at the end
    row_bytes = width * (per_neuron + 1) * dtype.itemsize
    # product(spans, band, buffer): the output rows of every span, band rows per GEMM
    product: Callable[[Iterable[tuple[int, int]], int, Buffer], None]
    band_bytes = BAND_BYTES
    if tap_major(geometry):
        band_bytes = TAP_MAJOR_BAND_BYTES
        x = x_padded.astype(dtype, copy=False)

        def product(spans: Iterable[tuple[int, int]], band: int, buffer: Buffer) -> None:
            _rows_product_tap_major(x, geometry, kernel, out, spans, band, buffer)

    else:
        view = windows(x_padded, geometry) if view is None else view  # (H2, W2, Fh, Fw, D)

        def product(spans: Iterable[tuple[int, int]], band: int, buffer: Buffer) -> None:
            _rows_product(view, kernel, out, spans, band, buffer)

    if workers is None:
        # One GEMM (or a few, for a huge layer) that BLAS spreads over the cores.
        band = min(height, max(1, COLUMN_BYTES // row_bytes))
        product(_bands(height, band), band, np.empty)
    else:
        # The threads take bands of output rows that stay in a core's cache (and are at most
        # one thread's share, so that every thread gets some), each copying and multiplying
        # its bands in its own scratch, until none are left (small layers stay on the
        # calling thread).
        band = min(-(-height // workers.count), max(1, band_bytes // row_bytes))
        workers.share(
            lambda spans: product(spans, band, workers.scratch),
            _bands(height, band),
            multiply_adds=geometry.counts.multiply_adds,
        )
    return out.reshape(height, width, k)


def _minimal_filtering(
    geometry: Geometry,
) -> Callable[[Array, Array, Array, Geometry, Workers], Array] | None:
    """The Winograd kernel for a layer that fits one, else None (im2col)."""
    if winograd.fits(geometry):
        # Deep 3x3 stride-1 layers: Winograd's F(4x4, 3x3) needs 36 multiplies per 4x4
        # outputs where im2col needs 144, and its transforms cost less than that saves
        # (engine/winograd.py).
        return winograd.conv3x3
    if winograd_strided.fits(geometry):
        # Strided layers three strides wide (AlexNet conv1): the stride folded into depth
        # and F(m, 3) along the width; AlexNet conv1 takes F(5, 3), 185 multiplies per
        # output and filter where im2col does 363 (engine/winograd_strided.py).
        return winograd_strided.conv_strided
    return None


def _bands(height: int, band: int) -> list[tuple[int, int]]:
    """``range(height)`` in spans of ``band`` rows, the last one shorter.

    >>> _bands(55, 20)
    [(0, 20), (20, 40), (40, 55)]
    """
    return [(top, min(height, top + band)) for top in range(0, height, band)]


def tap_major(geometry: Geometry) -> bool:
    """Whether :func:`conv2d` builds this layer's columns tap-major (module docstring).

    >>> from engine.geometry import LayerShape, resolve
    >>> tap_major(resolve(LayerShape.square(224, 3, 64, 3, padding=1)))  # VGG conv1_1
    True
    >>> tap_major(resolve(LayerShape.square(227, 3, 96, 11, stride=4)))  # AlexNet conv1
    False
    """
    s = geometry.shape
    return s.stride_w == 1 and s.filter_width * s.depth <= TAP_MAJOR_RUN


def _rows_product(
    view: Array,
    kernel: Array,
    out: Array,
    spans: Iterable[tuple[int, int]],
    band: int,
    buffer: Buffer,
) -> None:
    """The output rows of each span of at most ``band`` rows in ``spans`` (drawn one at a
    time: other threads may draw from the same iterator) into ``out``, one GEMM per span.

    ``view`` is the ``(H2, W2, Fh, Fw, D)`` windows, ``kernel`` the ``(FFD + 1, K)`` filters
    with the bias row, ``out`` the ``(H2*W2, K)`` result; ``buffer(shape, dtype)`` gives the
    uninitialised ``(band, W2, FFD + 1)`` column buffer, set up once for all the spans.
    """
    width = view.shape[1]
    per_neuron = kernel.shape[0] - 1
    columns = buffer((band, width, per_neuron + 1), kernel.dtype)
    columns[..., per_neuron] = 1  # the ones column: the bias rides in the GEMM
    for top, bottom in spans:
        rows = bottom - top
        cols = columns[:rows]
        # One copy into the row-major (Fh, Fw, D) layout: for undilated filters each run of
        # Fw*D values is contiguous in x_padded as well, so the copy moves whole filter rows.
        target = cols[..., :per_neuron].reshape(rows, width, *view.shape[2:])  # a view
        np.copyto(target, view[top:bottom])
        product = out[top * width : bottom * width]
        np.matmul(cols.reshape(rows * width, per_neuron + 1), kernel, out=product)


def _rows_product_tap_major(
    x_padded: Array,
    geometry: Geometry,
    kernel: Array,
    out: Array,
    spans: Iterable[tuple[int, int]],
    band: int,
    buffer: Buffer,
) -> None:
    """:func:`_rows_product` with tap-major columns, for each span of at most ``band`` rows in
    ``spans`` (drawn one at a time: other threads may draw from the same iterator).

    The columns come from a depth-first ``(D, rows, Wp)`` copy of the input rows a span reads,
    made by the thread that uses it; one buffer holds the copy and the ``(FFD + 1, rows, W2)``
    columns, set up once for all the spans."""
    h, w = geometry.height, geometry.width
    fh, fw = geometry.shape.filter_height, geometry.shape.filter_width
    depth, padded_width, width = x_padded.shape[2], x_padded.shape[1], w.output
    per_neuron = kernel.shape[0] - 1
    reach = (band - 1) * h.stride + h.span  # input rows a full band reads
    planes_size = depth * reach * padded_width
    scratch = buffer((planes_size + (per_neuron + 1) * band * width,), kernel.dtype)
    planes = scratch[:planes_size].reshape(depth, reach, padded_width)
    # (D, band, W2, Fh, Fw): each tap's inputs for one output row are a run of W2 values.
    view = sliding_window_view(planes, (h.span, w.span), axis=(1, 2))[
        :, :: h.stride, : (width - 1) * w.stride + 1 : w.stride, :: h.dilation, :: w.dilation
    ]
    columns = scratch[planes_size:].reshape(per_neuron + 1, band, width)
    columns[per_neuron] = 1  # the ones row: the bias rides in the GEMM
    # Rows in the kernel's (Fh, Fw, D) order; slicing a band below keeps both views.
    taps = columns[:per_neuron].reshape(fh, fw, depth, band, width)
    for top, bottom in spans:
        rows = bottom - top
        first, needed = top * h.stride, (rows - 1) * h.stride + h.span
        np.copyto(planes[:, :needed], x_padded[first : first + needed].transpose(2, 0, 1))
        np.copyto(taps[:, :, :, :rows], view[:, :rows].transpose(3, 4, 0, 1, 2))
        cols = columns[:, :rows].reshape(per_neuron + 1, rows * width)
        np.matmul(cols.T, kernel, out=out[top * width : bottom * width])


def local2d(
    x_padded: Array, weights: Array, bias: Array, geometry: Geometry, view: Array | None = None
) -> Array:
    """The locally connected layer: every neuron has its own filter and bias.

    ``V[i, j, d] = sum(window(i, j) * W[i, j, d]) + b[i, j, d]``, as one batched matmul over
    the ``H2*W2`` positions. Dtype-preserving like :func:`conv2d`.

    Parameters
    ----------
    x_padded : ndarray, shape (Hp, Wp, D)
    weights : ndarray, shape (H2, W2, K, Fh, Fw, D)
    bias : ndarray, shape (H2, W2, K)
    geometry : Geometry
    view : ndarray, shape (H2, W2, Fh, Fw, D), optional
        ``windows(x_padded, geometry)`` where the caller has it already.

    Returns
    -------
    ndarray, shape (H2, W2, K)

    Examples
    --------
    Two positions of a 1x3 input, each with its own 1x2 filter:

    >>> from engine.geometry import LayerShape, resolve
    >>> g = resolve(LayerShape(1, 3, 1, 1, 1, 2))
    >>> xp = np.array([1.0, 2.0, 3.0]).reshape(1, 3, 1)
    >>> w = np.array([[1.0, 1.0], [10.0, -1.0]]).reshape(1, 2, 1, 1, 2, 1)
    >>> local2d(xp, w, np.array([0.0, 0.5]).reshape(1, 2, 1), g).ravel()  # 1+2, 20-3+0.5
    array([ 3. , 17.5])
    """
    height, width, k = geometry.output_shape
    check_shape(
        "filters.values", "weights", weights.shape, (height, width, *geometry.filter_shape)
    )
    check_shape("filters.bias", "biases", bias.shape, (height, width, k))
    dtype = _float_dtype(x_padded, weights)
    per_neuron = geometry.counts.weights_per_neuron
    positions = height * width
    if view is None:
        view = windows(x_padded, geometry)
    cols = view.reshape(positions, per_neuron, 1)  # (P, FFD, 1)
    filters = weights.reshape(positions, k, per_neuron)  # (P, K, FFD)
    out: Array = np.matmul(filters, cols, dtype=dtype)[..., 0]  # (P, K)
    out += bias.reshape(positions, k)
    return out.reshape(height, width, k)


def activate(pre: Array, activation: Activation) -> Array:
    """Apply the activation: ``"none"`` returns ``pre`` itself, ``"relu"`` ``max(pre, 0)``.

    Examples
    --------
    >>> activate(np.array([-1.5, 0.0, 2.0]), "relu")
    array([0., 0., 2.])
    """
    if activation == "none":
        return pre
    if activation == "relu":
        return np.maximum(pre, 0)
    raise LayerError("activation", f"{activation!r} is not 'none' or 'relu'")


# The dtypes the kernels compute in (BLAS's and the settling rule's).
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def forward(
    layer: Layer, dtype: npt.DTypeLike = np.float64, workers: Workers | None = None, *,
    winograd: bool = False,
) -> ForwardResult:
    """The layer's output in ``dtype``, by the vectorised kernel for its connectivity.

    ``workers`` lets a large shared-weight layer split its rows over threads, and ``winograd``
    lets it take Winograd's kernels, which round differently (:func:`conv2d`). In float64 a
    sum that rounding cannot tell from 0 comes out as 0 (:func:`settled`), as the same
    neuron's step and gradient take it.

    Examples
    --------
    AlexNet conv1 (the notes' real-world example) in float32:

    >>> from engine.geometry import LayerShape
    >>> from engine.layer import build_layer
    >>> layer = build_layer(LayerShape.square(227, 3, 96, 11, stride=4), activation="relu")
    >>> result = forward(layer, np.float32)
    >>> result.pre.shape, result.post.dtype, bool((result.post >= 0).all())
    ((55, 55, 96), dtype('float32'), True)
    """
    if np.dtype(dtype) not in _FLOATS:  # an int dtype came back float64, float16 crawled
        raise LayerError("dtype", f"{np.dtype(dtype)} is not float32 or float64: the kernels "
                         "compute in one of those")
    x = layer.x_padded.astype(dtype, copy=False)
    # The layer keeps the windows of its padded input (steps read them): a pass in the
    # input's own dtype reuses them rather than build the strided view again.
    view = layer.windows if x is layer.x_padded else None
    arrays = (x, layer.weights.astype(dtype, copy=False), layer.bias.astype(dtype, copy=False),
              layer.geometry)
    pre = (conv2d(*arrays, workers, view=view, winograd=winograd) if layer.connectivity == "shared"
           else local2d(*arrays, view=view))
    return ForwardResult(pre, activate(settled(layer, pre), layer.activation))


def settled(layer: Layer, pre: Array) -> Array:
    """``pre`` (the whole output, ``(H2, W2, K)``) with each sum that rounding cannot tell
    from 0 set to 0, in place, as every step and gradient settles the same neuron's
    (engine/rounding.py): found against the input's largest ``|x|`` first, then against
    those neurons' own windows' extremes, then their products' own sizes. Cheap where no sum
    is near 0: one pass over the output.

    >>> from engine.geometry import LayerShape
    >>> from engine.layer import build_layer
    >>> flat = np.full((3, 3, 1), 0.1)  # a flat patch under a filter whose weights add to 0
    >>> w = np.array([0.3, -0.1, -0.2]).reshape(1, 1, 3, 1)
    >>> layer = build_layer(LayerShape(3, 3, 1, 1, 1, 3), x=flat, weights=w, bias=np.zeros(1))
    >>> float(np.sum(flat[0, :, 0] * w.ravel()))  # the sum as NumPy adds it
    -6.938893903907228e-18
    >>> forward(layer).pre.ravel().tolist()
    [0.0, 0.0, 0.0]
    """
    if pre.size == 0 or pre.dtype != np.float64:
        return pre  # float32's bound (n * 1e-7 of the terms) would reach values that matter

    # Each gives a map over the output that layer.settle's masks read (no sort and no index
    # per sum, which a layer whose every output is near 0 paid more for than its arithmetic):
    # the extremes for every position (a separable reduction: cheaper than picking), the
    # products' sizes only for the positions with a sum still near 0.
    def extremes_of(near: npt.NDArray[np.bool_]) -> tuple[Array, Array]:
        largest, least = _windows_extremes(layer)  # every position's: cheaper than picking
        return largest[:, :, None], least[:, :, None]

    def terms_of(near: npt.NDArray[np.bool_]) -> Array:
        i, j = np.nonzero(near.any(axis=2))
        found = np.zeros(pre.shape)
        found[i, j] = _terms(layer, i, j)
        return found

    return layer.settle(pre, ..., extremes_of, terms_of)


def _terms(layer: Layer, rows: npt.NDArray[np.intp], cols: npt.NDArray[np.intp]) -> Array:
    """The sizes of the products of every neuron at output positions ``(rows, cols)``,
    ``sum |x * w|`` over its window (engine/rounding.py), ``(n, K)``: the windows' ``|x|``
    (gathered a piece at a time) times every filter's ``|w|``, one matrix product a piece as
    the forward's own (each neuron its own weights when locally connected)."""
    taps = layer.geometry.counts.weights_per_neuron
    view = layer.windows  # (H2, W2, Fh, Fw, D)
    piece = max(1, TERMS_PIECE // taps)
    shared = layer.connectivity == "shared"
    filters = np.abs(layer.weights.reshape(-1, taps)).T if shared else None  # (taps, K)
    sizes = np.empty((len(rows), layer.geometry.shape.filters))
    for top in range(0, len(rows), piece):
        at = slice(top, top + piece)
        cells = np.abs(view[rows[at], cols[at]].reshape(-1, taps))  # (m, taps)
        if filters is not None:
            sizes[at] = cells @ filters
        else:  # (m, K, taps): each position's own filters
            own = np.abs(layer.weights[rows[at], cols[at]].reshape(len(cells), -1, taps))
            sizes[at] = np.einsum("mt,mkt->mk", cells, own)
    return sizes


def _windows_extremes(layer: Layer) -> tuple[Array, Array]:
    """The largest and the least ``|x|`` of every output position's window, each ``(H2, W2)``:
    the padded input's extremes over its depth, reduced along a window's width and then its
    height (a window's extremes are its rows' extremes'), so each position reads ``Fh + Fw``
    numbers rather than its ``Fh * Fw`` (one 64x64 filter: 128 against 4,096), and no window
    is gathered. The gathered windows of a layer whose every output is near 0 were its im2col
    matrix again (hundreds of MB at the element limit)."""
    h, w = layer.geometry.height, layer.geometry.width
    size = np.abs(layer.x_padded)
    found = []
    for depth, reduce in ((size.max(axis=2), np.max), (size.min(axis=2), np.min)):
        rows = reduce(along(depth, w, 1), axis=2)  # (Hp, W2, Fw) -> (Hp, W2)
        found.append(reduce(along(rows, h, 0), axis=2))  # (H2, W2, Fh) -> (H2, W2)
    return found[0], found[1]


def forward_naive(layer: Layer) -> ForwardResult:
    """The notes' loops, one neuron at a time, in float64: the reference for :func:`forward`.

    Each neuron is literally ``np.sum(Xp[rows, cols, :] * W) + b`` with the weights and bias
    it uses (``W[d]``, ``b[d]`` shared; its own when locally connected), a sum that rounding
    cannot tell from 0 being 0 as everywhere else (:meth:`~engine.layer.Layer.neuron_sum`).

    Examples
    --------
    >>> from engine.geometry import LayerShape
    >>> from engine.layer import build_layer
    >>> layer = build_layer(LayerShape.square(5, 3, 2, 3, stride=2, padding=1))
    >>> bool(np.array_equal(forward_naive(layer).pre, forward(layer).pre))
    True
    """
    g = layer.geometry
    height, width, k = g.output_shape
    sh, sw = g.height.stride, g.width.stride
    dh, dw = g.height.dilation, g.width.dilation
    Xp = layer.x_padded  # (Hp, Wp, D)
    V = np.zeros((height, width, k))  # (H2, W2, K)
    for d in range(k):
        for i in range(height):
            for j in range(width):
                rows = slice(i * sh, i * sh + g.height.span, dh)
                cols = slice(j * sw, j * sw + g.width.span, dw)
                V[i, j, d] = layer.neuron_sum(Xp[rows, cols, :], layer.filter_at(i, j, d),
                                              layer.bias_at(i, j, d))
    return ForwardResult(V, activate(V, layer.activation))
