"""3x3 stride-1 convolutions by Winograd's minimal filtering, F(4x4, 3x3): 36 multiplies per
4x4 outputs and input channel, where im2col + GEMM does 144 (F(2x2, 3x3), 16 per 2x2 where
im2col does 36, is kept beside it).

Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks" (2015). The padded input is
cut into overlapping ``a x a`` tiles (``a = m + 2``, stride ``m``), each tile and each filter
is transformed (``V = B^T d B``, ``U = G g G^T``), the ``a*a`` transformed points are as many
independent GEMMs ``(tiles, D) @ (D, K)``, and ``Y = A^T M A`` gives each tile's ``m x m``
outputs. All three transforms are small constant matrices applied as one GEMM each, so every
step runs in BLAS.

Only worth it when the GEMMs are big enough to hide the transforms: :func:`fits` says when.
The larger tile costs accuracy: F(4x4) on the usual points 0, +-1, +-2 (coefficients up to 8
and down to 1/24) has rounding errors about twenty times those of F(2x2), whose coefficients
are 0, +-1 and +-1/2. In float64 that still leaves errors near 1e-12 of the direct sum, so
float64 takes it. In float32 it would not stay within 1e-4 of the sum on 32-deep layers;
float32 takes F(4x4) on the points 0, +-1, 2 and -1/2 instead: the points change the
rounding, not the multiplies (Barabasz et al., "Error analysis and improving the accuracy of
Winograd convolution for deep neural networks", 2020), and these give about eight times
F(2x2)'s errors, half the 1e-4 on those layers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view
from numpy.polynomial import polynomial

from engine import threads
from engine.geometry import Geometry
from engine.threads import Workers

Array = npt.NDArray[np.floating[Any]]
Buffer = Callable[[tuple[int, ...], np.dtype[Any]], Array]


def _constant(rows: npt.ArrayLike) -> npt.NDArray[np.float64]:
    matrix = np.array(rows, dtype=np.float64)
    matrix.flags.writeable = False  # shared by every call: nobody may change it
    return matrix


@dataclass(frozen=True, eq=False)
class Minimal:
    """One F(m x m, 3x3): its 1-D transforms and, made once, their 2-D (Kronecker) forms.

    ``bt`` (a, a) transforms inputs, ``g`` (a, 3) filters, ``at`` (m, a) outputs, ``a = m + 2``;
    ``into`` (a*a, a*a), ``filters`` (a*a, 9) and ``out_of`` (m*m, a*a) are the same on
    flattened tiles, where point ``(p, q)`` is row ``a*p + q``. ``bias_point`` is the
    transformed point every output takes with weight 1 (``A^T``'s column of ones, in both
    directions): the bias added there once reaches every output of the tile.
    """

    bt: npt.NDArray[np.float64]
    g: npt.NDArray[np.float64]
    at: npt.NDArray[np.float64]
    into: npt.NDArray[np.float64]
    filters: npt.NDArray[np.float64]
    out_of: npt.NDArray[np.float64]
    bias_point: int

    @property
    def outputs(self) -> int:
        """``m``: outputs per tile side."""
        return int(self.at.shape[0])

    @property
    def tile(self) -> int:
        """``a = m + 2``: inputs per tile side."""
        return int(self.bt.shape[0])


def _minimal(bt: npt.ArrayLike, g: npt.ArrayLike, at: npt.ArrayLike) -> Minimal:
    b1, g1, a1 = (_constant(m) for m in (bt, g, at))
    ones = int(np.flatnonzero((a1 == 1).all(axis=0))[0])
    return Minimal(
        bt=b1,
        g=g1,
        at=a1,
        into=_constant(np.kron(b1, b1)),
        filters=_constant(np.kron(g1, g1)),
        out_of=_constant(np.kron(a1, a1)),
        bias_point=b1.shape[0] * ones + ones,
    )


def from_points(points: Sequence[float], outputs: int) -> Minimal:
    """F(m, 3) on ``points``, m + 1 distinct finite interpolation points, and infinity: the
    Toom-Cook construction (Lavin & Gray, section 4). Other points give the same multiplies
    and other rounding; the tests and ``benchmarks/README.md`` compare sets with it.

    >>> f = from_points([0, 1, -1, 2, -2, 0.5, -0.5], 6)
    >>> d, g = np.arange(8.0), np.array([1.0, 0.0, -2.0])
    >>> (f.at @ ((f.g @ g) * (f.bt @ d))).round(12)  # d[j] - 2 d[j + 2]
    array([-4., -5., -6., -7., -8., -9.])
    """
    finite = np.array(points, dtype=np.float64)
    if finite.size != outputs + 1 or np.unique(finite).size != finite.size:
        raise ValueError(f"F({outputs}, 3) needs {outputs + 1} distinct points, not {points}")
    a = outputs + 2
    powers = np.arange(outputs)
    at = np.zeros((outputs, a))
    at[:, :-1] = finite[None, :] ** powers[:, None]
    at[-1, -1] = 1
    g = np.zeros((a, 3))
    bt = np.zeros((a, a))
    for i, p in enumerate(finite):
        others = np.delete(finite, i)
        g[i] = p ** np.arange(3) / np.prod(p - others)
        bt[i, :-1] = polynomial.polyfromroots(others)  # prod(x - q), ascending powers
    g[-1, -1] = 1
    bt[-1] = polynomial.polyfromroots(finite)
    return _minimal(bt, g, at)


# F(2, 3) in one dimension: 2 outputs of a 3-tap filter from 4 inputs with 4 multiplies.
F2 = _minimal(
    bt=[[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]],
    g=np.array([[2, 0, 0], [1, 1, 1], [1, -1, 1], [0, 0, 2]]) / 2,
    at=[[1, 1, 1, 0], [0, 1, -1, -1]],
)
# F(4, 3): 4 outputs from 6 inputs with 6 multiplies (interpolation points 0, +-1, +-2).
F4 = _minimal(
    bt=[
        [4, 0, -5, 0, 1, 0],
        [0, -4, -4, 1, 1, 0],
        [0, 4, -4, -1, 1, 0],
        [0, -2, -1, 2, 1, 0],
        [0, 2, -1, -2, 1, 0],
        [0, 4, 0, -5, 0, 1],
    ],
    g=np.array([[6, 0, 0], [-4, -4, -4], [-4, 4, -4], [1, 2, 4], [1, -2, 4], [0, 0, 24]]) / 24,
    at=[[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]],
)
# F(4, 3) on the points 0, 1, -1, 2, -1/2 (and infinity, the last row and column): the same
# multiplies as F4, smaller rounding errors in float32 (the module docstring).
F4_SINGLE = _minimal(
    bt=[
        [2, 3, -4, -3, 2, 0],
        [0, 2, 5, 1, -2, 0],
        [0, 2, 1, -5, 2, 0],
        [0, -1, -2, 1, 2, 0],
        [0, -32, 16, 32, -16, 0],
        [0, 2, 3, -4, -3, 2],
    ],
    g=np.array([[15, 0, 0], [5, 5, 5], [5, -5, 5], [1, 2, 4], [2, -1, 0.5], [0, 0, 15]]) / 30,
    at=np.array(
        [[8, 8, 8, 8, 8, 0], [0, 8, -8, 16, -4, 0], [0, 8, 8, 32, 2, 0], [0, 8, -8, 64, -1, 8]]
    )
    / 8,
)
# F(6, 3): 6 outputs from 8 inputs with 8 multiplies (points 0, +-1, +-2, +-1/2), the
# matrices Lavin's wincnn generates. engine.winograd_strided takes it along one dimension, where
# its rounding stays within a few times the direct sum's.
F6 = _minimal(
    bt=[
        [1, 0, -21 / 4, 0, 21 / 4, 0, -1, 0],
        [0, 1, 1, -17 / 4, -17 / 4, 1, 1, 0],
        [0, -1, 1, 17 / 4, -17 / 4, -1, 1, 0],
        [0, 1 / 2, 1 / 4, -5 / 2, -5 / 4, 2, 1, 0],
        [0, -1 / 2, 1 / 4, 5 / 2, -5 / 4, -2, 1, 0],
        [0, 2, 4, -5 / 2, -5, 1 / 2, 1, 0],
        [0, -2, 4, 5 / 2, -5, -1 / 2, 1, 0],
        [0, -1, 0, 21 / 4, 0, -21 / 4, 0, 1],
    ],
    g=np.array(
        [
            [90, 0, 0],
            [-20, -20, -20],
            [-20, 20, -20],
            [1, 2, 4],
            [1, -2, 4],
            [64, 32, 16],
            [64, -32, 16],
            [0, 0, 90],
        ]
    )
    / 90,
    at=np.array(
        [
            [32, 32, 32, 32, 32, 32, 32, 0],
            [0, 32, -32, 64, -64, 16, -16, 0],
            [0, 32, 32, 128, 128, 8, 8, 0],
            [0, 32, -32, 256, -256, 4, -4, 0],
            [0, 32, 32, 512, 512, 2, 2, 0],
            [0, 32, -32, 1024, -1024, 1, -1, 32],
        ]
    )
    / 32,
)
# F(5, 3) on 0, +-1, +-2, 1/2: fills a 55-wide output (AlexNet conv1's) with whole tiles, and of
# the points with as few multiplies tried in benchmarks/README.md, these round least.
F5 = from_points([0, 1, -1, 2, -2, 1 / 2], 5)
# Below these depths the GEMMs are too thin to pay for the transforms (VGG conv1_1, D = 3,
# runs faster as im2col).
MIN_DEPTH = 16
MIN_FILTERS = 16
# Bytes of one transformed band (a*a points x tiles x channels) a thread works on at a time,
# sized to stay in its core's cache.
BAND_BYTES = 2**20
# The most multiply-adds of one GEMM of transform_columns: OpenBLAS's small-product kernel
# takes products of up to a million.
TRANSFORM_MULTIPLY_ADDS = 2**19


def transform_columns(matrix: Array, values: Array, out: Array) -> None:
    """``np.matmul(matrix, values, out=out)`` for a small transform (``matrix`` a few rows and
    columns) applied to a great many columns, in column blocks of at most
    :data:`TRANSFORM_MULTIPLY_ADDS` multiply-adds.

    One GEMM with a 5x7 ``matrix`` and tens of thousands of columns falls to BLAS's general
    path, which packs ``values`` in panels made for large products; OpenBLAS (on AVX-512
    CPUs) has a kernel for small products, taken under a million multiply-adds, that skips
    the packing, and a block's columns stay in cache (figures in ``benchmarks/README.md``).

    A 5x7 transform takes blocks of 14,979 columns, so 40,000 columns are three blocks:

    >>> m = np.arange(35.0).reshape(5, 7)
    >>> v = np.arange(7.0 * 40_000).reshape(7, 40_000) % 11
    >>> out = np.empty((5, 40_000))
    >>> transform_columns(m, v, out)
    >>> bool(np.array_equal(out, m @ v))
    True
    """
    rows, inner = matrix.shape
    width = values.shape[1]
    block = max(1, TRANSFORM_MULTIPLY_ADDS // (rows * inner))
    for start in range(0, width, block):
        stop = min(width, start + block)
        np.matmul(matrix, values[:, start:stop], out=out[:, start:stop])


def minimal_for(dtype: np.dtype[Any]) -> Minimal:
    """F(4x4, 3x3): on the usual points in float64, on those that round less otherwise (see
    the module docstring).

    >>> minimal_for(np.dtype(np.float64)) is F4, minimal_for(np.dtype(np.float32)) is F4_SINGLE
    (True, True)
    """
    return F4 if dtype == np.float64 else F4_SINGLE


def fits(geometry: Geometry) -> bool:
    """Whether a layer is 3x3, stride 1, undilated and deep and large enough for Winograd.

    >>> from engine.geometry import LayerShape, resolve
    >>> fits(resolve(LayerShape.square(56, 64, 64, 3, padding=1)))
    True
    >>> fits(resolve(LayerShape.square(224, 3, 64, 3, padding=1)))  # VGG conv1_1: too shallow
    False
    """
    s = geometry.shape
    return (
        (s.filter_height, s.filter_width) == (3, 3)
        and (s.stride_h, s.stride_w, s.dilation_h, s.dilation_w) == (1, 1, 1, 1)
        and s.depth >= MIN_DEPTH
        and s.filters >= MIN_FILTERS
        and threads.worth_splitting(geometry.counts.multiply_adds)
    )


def conv3x3(
    x_padded: Array,
    weights: Array,
    bias: Array,
    geometry: Geometry,
    workers: Workers,
    minimal: Minimal | None = None,
) -> Array:
    """The layer's ``(H2, W2, K)`` output by F(m x m, 3x3); ``geometry`` must :func:`fits`.

    Arrays as :func:`engine.conv.conv2d` takes them, already in the result's dtype, which
    picks the transforms (:func:`minimal_for`) unless ``minimal`` is given. Its many small
    GEMMs per band run on the workers' threads with BLAS single-threaded: threaded by BLAS
    instead, each would make BLAS's threads meet, and on a busy machine those meetings cost
    more than the multiplies (``engine.conv.conv2d`` without workers keeps im2col's one big
    GEMM).
    """
    height, width, k = geometry.output_shape
    depth = x_padded.shape[2]
    dtype = x_padded.dtype
    minimal = minimal_for(dtype) if minimal is None else minimal
    m, a = minimal.outputs, minimal.tile
    rows, cols = -(-height // m), -(-width // m)  # tiles down and across
    # Tiles need m*rows + 2 input rows; an output size that is not a multiple of m gets zero
    # rows/cols. Rows a fit="floor" layer never reads are left out the same way.
    need = (m * rows + 2, m * cols + 2)
    if x_padded.shape[:2] != need:
        grown = np.zeros((*need, depth), dtype)
        h, w = min(need[0], x_padded.shape[0]), min(need[1], x_padded.shape[1])
        grown[:h, :w] = x_padded[:h, :w]
        x_padded = grown
    tiles = sliding_window_view(x_padded, (a, a), axis=(0, 1))[::m, ::m]  # (rows, cols, D, a, a)
    into, filters, out_of = (
        t.astype(dtype) for t in (minimal.into, minimal.filters, minimal.out_of)
    )
    # (a*a, D, K): the transformed filters, point-major, filters in the last axis
    taps = weights.transpose(1, 2, 3, 0).reshape(9, depth * k)
    u = np.empty((a * a, depth * k), dtype)
    transform_columns(filters, taps, u)
    u = u.reshape(a * a, depth, k)
    out = np.empty((rows, m, cols, m, k), dtype)  # (m*rows, m*cols, K) in tile order
    per_row = a * a * cols * max(depth, k) * dtype.itemsize
    band = max(1, BAND_BYTES // per_row)

    def work(span: tuple[int, int]) -> None:
        _tile_rows(
            tiles, u, bias, (into, out_of), minimal.bias_point, out, span, band, workers.scratch
        )

    workers.run(
        work,
        threads.split_evenly(rows, workers.count),
        multiply_adds=geometry.counts.multiply_adds,
    )
    full = out.reshape(m * rows, m * cols, k)
    if full.shape[:2] == (height, width):
        return full
    return np.ascontiguousarray(full[:height, :width])


def _tile_rows(
    tiles: Array,
    u: Array,
    bias: Array,
    transforms: tuple[Array, Array],
    bias_point: int,
    out: Array,
    span: tuple[int, int],
    band: int,
    buffer: Buffer,
) -> None:
    """Tile rows ``span`` into ``out`` (``(rows, m, cols, m, K)``), ``band`` rows at a time."""
    top, bottom = span
    cols, depth, a = tiles.shape[1], tiles.shape[2], tiles.shape[3]
    points, k, m = a * a, u.shape[2], out.shape[1]
    into, out_of = transforms
    n_max = min(band, bottom - top) * cols
    # Two regions of one scratch buffer, each reused: tiles then M in the first, V then Y in
    # the second.
    size = points * n_max * max(depth, k)
    scratch = buffer((2 * size,), u.dtype)
    first, second = scratch[:size], scratch[size:]
    for start in range(top, bottom, band):
        stop = min(bottom, start + band)
        n = (stop - start) * cols
        d = first[: points * n * depth].reshape(a, a, stop - start, cols, depth)
        np.copyto(d, tiles[start:stop].transpose(3, 4, 0, 1, 2))
        v = second[: points * n * depth].reshape(points, n * depth)
        np.matmul(into, d.reshape(points, n * depth), out=v)
        product = first[: points * n * k].reshape(points, n, k)
        np.matmul(v.reshape(points, n, depth), u, out=product)
        product[bias_point] += bias
        y = second[: m * m * n * k].reshape(m * m, n * k)
        transform_columns(out_of, product.reshape(points, n * k), y)
        # (m, m, rows, cols, K) -> the rows' outputs in (rows, m, cols, m, K)
        np.copyto(out[start:stop].transpose(1, 3, 0, 2, 4), y.reshape(m, m, stop - start, cols, k))
