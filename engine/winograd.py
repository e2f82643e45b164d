"""3x3 stride-1 convolutions by Winograd's minimal filtering F(2x2, 3x3): 16 multiplies per 2x2
outputs and input channel where im2col + GEMM does 36.

Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks" (2015). The padded input is
cut into overlapping 4x4 tiles (stride 2), each tile and each filter is transformed
(``V = B^T d B``, ``U = G g G^T``), the 16 transformed points are 16 independent GEMMs
``(tiles, D) @ (D, K)``, and ``Y = A^T M A`` gives each tile's 2x2 outputs. All three
transforms are small constant matrices applied as one GEMM each, so every step runs in BLAS.

Only worth it when the GEMMs are big enough to hide the transforms: :func:`fits` says when.
The result equals :func:`engine.conv.conv2d`'s up to rounding (the transforms' coefficients
are 0, +-1 and +-1/2, so errors stay of the order of the direct sum's).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from engine import threads
from engine.geometry import Geometry
from engine.threads import Workers

Array = npt.NDArray[np.floating[Any]]
Buffer = Callable[[tuple[int, ...], np.dtype[Any]], Array]



def _constant(rows: list[list[float]]) -> npt.NDArray[np.float64]:
    matrix = np.array(rows, dtype=np.float64)
    matrix.flags.writeable = False  # shared by every call: nobody may change it
    return matrix


# F(2, 3) in one dimension: 2 outputs of a 3-tap filter from 4 inputs with 4 multiplies.
BT = _constant([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]])  # inputs
G = _constant([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]])  # filter
AT = _constant([[1, 1, 1, 0], [0, 1, -1, -1]])  # outputs
# The 2-D transforms on flattened tiles: point (a, b) of a 4x4 tile is row 4*a + b.
INPUT_TRANSFORM = _constant(np.kron(BT, BT).tolist())  # (16, 16): V = this @ tile
FILTER_TRANSFORM = _constant(np.kron(G, G).tolist())  # (16, 9): U = this @ filter
OUTPUT_TRANSFORM = _constant(np.kron(AT, AT).tolist())  # (4, 16): 2x2 outputs = this @ M
# Every output of a tile takes point (1, 1) of M with weight 1, so the bias added there once
# reaches all four.
BIAS_POINT = 5
# Below these depths the 16 GEMMs are too thin to pay for the transforms (VGG conv1_1, D = 3,
# runs faster as im2col).
MIN_DEPTH = 16
MIN_FILTERS = 16
# Bytes of one transformed band (16 points x tiles x channels) a thread works on at a time,
# sized to stay in its core's cache.
BAND_BYTES = 2**20


def fits(geometry: Geometry) -> bool:
    """Whether a layer is 3x3, stride 1, undilated and deep and large enough for F(2x2, 3x3).

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
    x_padded: Array, weights: Array, bias: Array, geometry: Geometry, workers: Workers
) -> Array:
    """The layer's ``(H2, W2, K)`` output by F(2x2, 3x3); ``geometry`` must :func:`fits`.

    Arrays as :func:`engine.conv.conv2d` takes them, already in the result's dtype. Its
    twenty-odd small GEMMs per band run on the workers' threads with BLAS single-threaded:
    threaded by BLAS instead, each would make BLAS's threads meet, and on a busy machine those
    meetings cost more than the multiplies (``engine.conv.conv2d`` without workers keeps
    im2col's one big GEMM).
    """
    height, width, k = geometry.output_shape
    depth = x_padded.shape[2]
    dtype = x_padded.dtype
    rows, cols = -(-height // 2), -(-width // 2)  # tiles down and across
    # Tiles need 2*rows + 2 input rows; a layer with an odd output size gets a zero row/col.
    # Rows a fit="floor" layer never reads are left out the same way.
    need = (2 * rows + 2, 2 * cols + 2)
    if x_padded.shape[:2] != need:
        grown = np.zeros((*need, depth), dtype)
        h, w = min(need[0], x_padded.shape[0]), min(need[1], x_padded.shape[1])
        grown[:h, :w] = x_padded[:h, :w]
        x_padded = grown
    tiles = sliding_window_view(x_padded, (4, 4), axis=(0, 1))[::2, ::2]  # (rows, cols, D, 4, 4)
    # (16, D*K): the transformed filters, point-major, filters in the last axis
    taps = weights.transpose(1, 2, 3, 0).reshape(9, depth * k)
    u = np.matmul(FILTER_TRANSFORM.astype(dtype), taps).reshape(16, depth, k)
    transforms = (INPUT_TRANSFORM.astype(dtype), OUTPUT_TRANSFORM.astype(dtype))
    out = np.empty((rows, 2, cols, 2, k), dtype)  # (2*rows, 2*cols, K) in tile order
    per_row = 16 * cols * max(depth, k) * dtype.itemsize
    band = max(1, BAND_BYTES // per_row)

    workers.run(
        lambda span: _tile_rows(tiles, u, bias, transforms, out, span, band, workers.scratch),
        threads.split_evenly(rows, workers.count),
        multiply_adds=geometry.counts.multiply_adds,
    )
    full = out.reshape(2 * rows, 2 * cols, k)
    if full.shape[:2] == (height, width):
        return full
    return np.ascontiguousarray(full[:height, :width])


def _tile_rows(
    tiles: Array,
    u: Array,
    bias: Array,
    transforms: tuple[Array, Array],
    out: Array,
    span: tuple[int, int],
    band: int,
    buffer: Buffer,
) -> None:
    """Tile rows ``span`` into ``out`` (``(rows, 2, cols, 2, K)``), ``band`` rows at a time."""
    top, bottom = span
    cols, depth, k = tiles.shape[1], tiles.shape[2], u.shape[2]
    bt, at = transforms
    n_max = min(band, bottom - top) * cols
    # Two regions of one scratch buffer, each reused: tiles then M in the first, V then Y in
    # the second.
    size = 16 * n_max * max(depth, k)
    scratch = buffer((2 * size,), u.dtype)
    first, second = scratch[:size], scratch[size:]
    for start in range(top, bottom, band):
        stop = min(bottom, start + band)
        n = (stop - start) * cols
        d = first[: 16 * n * depth].reshape(4, 4, stop - start, cols, depth)
        np.copyto(d, tiles[start:stop].transpose(3, 4, 0, 1, 2))
        v = second[: 16 * n * depth].reshape(16, n * depth)
        np.matmul(bt, d.reshape(16, n * depth), out=v)
        m = first[: 16 * n * k].reshape(16, n, k)
        np.matmul(v.reshape(16, n, depth), u, out=m)
        m[BIAS_POINT] += bias
        y = second[: 4 * n * k].reshape(4, n * k)
        np.matmul(at, m.reshape(16, n * k), out=y)
        # (2, 2, rows, cols, K) -> the rows' outputs in (rows, 2, cols, 2, K)
        np.copyto(
            out[start:stop].transpose(1, 3, 0, 2, 4), y.reshape(2, 2, stop - start, cols, k)
        )
