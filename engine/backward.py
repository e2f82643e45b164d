"""Backpropagation through a conv layer: dL/dx, dL/dW and dL/db from dL/d(output).

A point of the notes made computable: with shared weights each neuron has its own weight
gradient, and a depth slice's filter gets the sum of its neurons' gradients
(https://cs231n.github.io/convolutional-networks/#conv, parameter sharing).
:func:`step_weight_gradients` gives, for a range of steps, each neuron's own gradient and the
sum so far over its depth slice (:func:`weight_gradient_contribution` and
:func:`weight_gradient_running` for one step), and :func:`backward` the whole layer at once.

Shapes: upstream and pre-activation ``(H2, W2, K)``; ``dx`` ``(H, W, D)`` (the original,
unpadded input); ``dw``/``db`` as the layer's weights/biases (shared ``(K, Fh, Fw, D)``/``(K,)``,
local ``(H2, W2, K, Fh, Fw, D)``/``(H2, W2, K)``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from engine import threads
from engine.conv import forward
from engine.errors import LayerError
from engine.layer import Layer
from engine.rounding import window_extremes
from engine.tensors import FloatArray
from engine.threads import Workers
from engine.trace import Order, StepRange, steps

Windows = npt.NDArray[np.floating[Any]]  # (H2, W2, Fh, Fw, D); float64, as layers are


@dataclass(frozen=True, eq=False)
class Gradients:
    """The gradients of a loss with respect to the layer's input, weights and biases."""

    dx: FloatArray  # (H, W, D): w.r.t. the original input, padding cropped away
    dw: FloatArray  # shared (K, Fh, Fw, D) | local (H2, W2, K, Fh, Fw, D)
    db: FloatArray  # shared (K,) | local (H2, W2, K)


# The gradients a backward pass can compute, by the names the API's `parts` takes.
Gradient = Literal["dx", "dw", "db"]
GRADIENTS: tuple[Gradient, ...] = ("dx", "dw", "db")


# ----------------------------------------------------------------------------- helpers


def _upstream(layer: Layer, upstream: npt.ArrayLike) -> FloatArray:
    """``upstream`` as a float64 ``(H2, W2, K)`` array, or a LayerError saying what is wrong."""
    expected = layer.geometry.output_shape
    try:
        array = np.asarray(upstream, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise LayerError("upstream.values", f"not an array of numbers ({exc})") from exc
    if array.shape != expected:
        raise LayerError(
            "upstream.values",
            f"upstream has shape {list(array.shape)} but the layer's output is "
            f"{list(expected)} (H2, W2, K)",
        )
    if not np.isfinite(array).all():
        raise LayerError("upstream.values", "values must be finite numbers (no NaN or Infinity)")
    return array


def _windows(layer: Layer) -> Windows:
    """Read-only view ``(H2, W2, Fh, Fw, D)`` of every receptive field in the padded input."""
    windows: Windows = layer.windows
    return windows


def _through_activation(
    layer: Layer, upstream: FloatArray, workers: Workers | None = None
) -> FloatArray:
    """dL/d(pre): ReLU lets the gradient through where it let the value through.

    The pre-activation is only needed (and only computed, by the forward kernel) for ReLU.
    """
    if layer.activation == "relu":
        return upstream * (forward(layer, workers=workers).pre > 0)
    return upstream


# ----------------------------------------------------------------------------- whole layer


def backward(
    layer: Layer, upstream: npt.ArrayLike, workers: Workers | None = None
) -> Gradients:
    """Gradients of the layer given ``upstream`` = dL/d(output after the activation).

    Vectorised over positions: dW is one contraction of the upstream with the windows of the
    padded input; dX scatters the column gradient back with a loop over the Fh*Fw taps only
    (within one tap the positions never overlap, so plain slice ``+=`` is exact).
    :func:`gradients` computes some of them only.

    Parameters
    ----------
    layer : Layer
    upstream : array_like, shape (H2, W2, K)
    workers : Workers, optional
        Threads the two contractions (dW and the column gradient) of a large layer run on
        side by side, BLAS single-threaded meanwhile; without, one after the other, each
        threaded by BLAS.

    Returns
    -------
    Gradients
        ``dx`` (H, W, D), ``dw`` and ``db`` in the layer's weight and bias shapes.

    Raises
    ------
    LayerError
        ``upstream.values`` when the upstream is not a finite ``(H2, W2, K)`` array.

    Examples
    --------
    The notes' 1-D example: input [1, 2, -1, 1, -3], filter [1, 0, -1], padding 1, stride 1.

    >>> from engine.geometry import LayerShape, Padding
    >>> from engine.layer import build_layer
    >>> shape = LayerShape(1, 5, 1, 1, 1, 3, padding=Padding(0, 0, 1, 1))
    >>> layer = build_layer(shape, x=np.array([1, 2, -1, 1, -3.]).reshape(1, 5, 1),
    ...                     weights=np.array([1, 0, -1.]).reshape(1, 1, 3, 1), bias=np.zeros(1))
    >>> grads = backward(layer, np.ones((1, 5, 1)))
    >>> grads.dx.ravel().tolist(), grads.dw.ravel().tolist(), grads.db.tolist()
    ([1.0, 0.0, 0.0, 0.0, -1.0], [3.0, 0.0, -1.0], [5.0])
    """
    return Gradients(**gradients(layer, upstream, GRADIENTS, workers))


def gradients(
    layer: Layer, upstream: npt.ArrayLike, wanted: Collection[Gradient] = GRADIENTS,
    workers: Workers | None = None,
) -> dict[Gradient, FloatArray]:
    """The gradients named in ``wanted``, as :func:`backward` computes them, and no other:
    dX alone skips dW's product (half the work), db alone both products.

    Examples
    --------
    >>> from engine.geometry import LayerShape
    >>> from engine.layer import build_layer
    >>> layer = build_layer(LayerShape.square(5, 3, 2, 3, stride=2, padding=1))
    >>> up = np.arange(18.).reshape(3, 3, 2)
    >>> some = gradients(layer, up, ["db", "dx"])
    >>> sorted(some), bool(np.array_equal(some["dx"], backward(layer, up).dx))
    (['db', 'dx'], True)
    """
    g = layer.geometry
    up = _upstream(layer, upstream)  # (H2, W2, K)
    dpre = _through_activation(layer, up, workers)  # (H2, W2, K)
    found: dict[Gradient, FloatArray] = {}
    if "db" in wanted:  # shared (K,): summed over positions; local (H2, W2, K): its own
        found["db"] = dpre.sum(axis=(0, 1)) if layer.connectivity == "shared" else dpre.copy()
    if "dw" not in wanted and "dx" not in wanted:
        return found
    windows = _windows(layer)  # (H2, W2, Fh, Fw, D)
    if layer.connectivity == "shared":
        # Two independent products: given workers they run side by side.
        jobs: dict[Gradient, Callable[[], FloatArray]] = {
            "dw": lambda: _shared_weight_gradient(windows, dpre),
            "dx": lambda: _shared_input_gradient(layer, dpre),
        }
        asked: list[Gradient] = [part for part in ("dw", "dx") if part in wanted]
        done = threads.run_parts(lambda part: jobs[part](), asked, workers,
                                 multiply_adds=g.counts.multiply_adds)
        products = dict(zip(asked, done, strict=True))
    else:
        products = _local_gradients(layer, windows, dpre, wanted)
    if "dw" in products:
        found["dw"] = products["dw"]
    if "dx" in products:
        s = g.shape
        p = g.padding
        dxp = products["dx"]  # (D, Hp, Wp)
        found["dx"] = np.ascontiguousarray(
            np.moveaxis(dxp[:, p.top : p.top + s.height, p.left : p.left + s.width], 0, 2))
    return found


# Elements (float64: 8 MB) of the reused buffer each product of the shared-weight backward
# works through a band of output rows in: a whole layer's window columns, or their gradients,
# hold Fh*Fw values per input value (353 MB for one 81x81 filter on a 162x162 input).
BAND_ELEMENTS = 2**20


def _band_rows(out_height: int, per_row: int) -> int:
    """Output rows per band, so a band's ``per_row``-element rows fill at most the buffer.

    >>> _band_rows(55, 55 * 363), _band_rows(82, 82 * 6561), _band_rows(3, 10)
    (52, 1, 3)
    """
    return max(1, min(out_height, BAND_ELEMENTS // per_row))


def _tap_cells(first: int, count: int, stride: int, tap: int, dilation: int) -> slice:
    """The padded input's cells tap ``tap`` reads along one axis for output positions
    ``first .. first + count - 1``: one per position, a stride apart (never overlapping, so
    one slice ``+=`` adds a tap's gradients back).

    >>> _tap_cells(0, 3, 2, 1, 1), _tap_cells(2, 2, 4, 2, 3)
    (slice(1, 6, 2), slice(14, 19, 4))
    """
    start = first * stride + tap * dilation
    return slice(start, start + (count - 1) * stride + 1, stride)


def _shared_weight_gradient(windows: Windows, dpre: FloatArray) -> FloatArray:
    """dW ``(K, Fh, Fw, D)``: each band of output rows' window columns, copied into one reused
    buffer, times their upstream gradients, summed over the bands."""
    h2, w2, fh, fw, depth = windows.shape
    k = dpre.shape[2]
    per_neuron = fh * fw * depth
    rows = _band_rows(h2, w2 * per_neuron)
    columns = np.empty((rows, w2, fh, fw, depth))
    dw = np.zeros((k, per_neuron))
    product = np.empty_like(dw)
    for top in range(0, h2, rows):
        n = min(rows, h2 - top)
        band = columns[:n]
        np.copyto(band, windows[top : top + n])
        np.matmul(dpre[top : top + n].reshape(n * w2, k).T, band.reshape(n * w2, per_neuron),
                  out=product)
        dw += product
    return dw.reshape(k, fh, fw, depth)


def _shared_input_gradient(layer: Layer, dpre: FloatArray) -> FloatArray:
    """dX of the padded input, depth first ``(D, Hp, Wp)``: band by band of output rows and
    filter row by filter row, the windows' gradients (the filters' weights times each
    position's upstream) in a reused buffer, added back tap by tap.

    Within one tap the positions never overlap, so each tap is one plain slice ``+=``. Depth
    goes first in the accumulator and the buffer is tap-major, so each add runs along whole
    rows of positions instead of D-long runs, which are short when D is (3 on a colour input).
    """
    g = layer.geometry
    s = g.shape
    h2, w2, k = dpre.shape
    fh, fw, depth = s.filter_height, s.filter_width, s.depth
    hp, wp, _ = g.padded_shape
    dxp = np.zeros((depth, hp, wp))
    # (Fh, Fw*D, K): each filter row's weights, one GEMM per filter row and band
    by_row = np.ascontiguousarray(layer.weights.transpose(1, 2, 3, 0)).reshape(fh, fw * depth, k)
    rows = _band_rows(h2, fw * depth * w2)
    buffer = np.empty(rows * w2 * fw * depth)
    for top in range(0, h2, rows):
        n = min(rows, h2 - top)
        upstream_t = dpre[top : top + n].reshape(n * w2, k).T  # (K, n*W2), a view BLAS reads
        block = buffer[: fw * depth * n * w2].reshape(fw * depth, n * w2)
        for a in range(fh):
            np.matmul(by_row[a], upstream_t, out=block)
            band_rows = _tap_cells(top, n, s.stride_h, a, s.dilation_h)
            _add_row_back(dxp, band_rows, block.reshape(fw, depth, n, w2), s.stride_w,
                          s.dilation_w)
    return dxp


def _add_row_back(
    dxp: FloatArray, rows: slice, grads: FloatArray, stride: int, dilation: int
) -> None:
    """Add one filter row's window gradients ``grads`` ``(Fw, D, n, W2)`` onto the padded dX
    ``(D, Hp, Wp)`` at ``rows``: tap b of position j goes to column ``j*stride + b*dilation``.

    One slice ``+=`` per tap (a tap's positions never share a column), or per position when
    there are fewer positions across than taps (a position's taps never share one either): a
    2047-wide filter over one output position was 2047 Python-level adds a filter row, each
    of one number.

    Stride 1, overlapping windows: 2 taps over 3 positions (by tap), then 3 taps over 2
    positions (by position), the same sums either way:

    >>> dxp = np.zeros((1, 1, 4))
    >>> _add_row_back(dxp, slice(0, 1), np.arange(1., 7.).reshape(2, 1, 1, 3), 1, 1)
    >>> dxp[0, 0].tolist()  # [b0j0, b1j0 + b0j1, b1j1 + b0j2, b1j2]
    [1.0, 6.0, 8.0, 6.0]
    >>> dxp[:] = 0
    >>> _add_row_back(dxp, slice(0, 1), np.arange(1., 7.).reshape(3, 1, 1, 2), 1, 1)
    >>> dxp[0, 0].tolist()  # [b0j0, b0j1 + b1j0, b1j1 + b2j0, b2j1]
    [1.0, 5.0, 9.0, 6.0]
    """
    fw, _, _, w2 = grads.shape
    if fw <= w2:
        for b in range(fw):
            dxp[:, rows, _tap_cells(0, w2, stride, b, dilation)] += grads[b]
    else:
        for j in range(w2):
            start = j * stride
            taps = slice(start, start + (fw - 1) * dilation + 1, dilation)
            dxp[:, rows, taps] += np.moveaxis(grads[:, :, :, j], 0, -1)  # (D, n, Fw)


def _local_gradients(
    layer: Layer, windows: Windows, dpre: FloatArray, wanted: Collection[Gradient]
) -> dict[Gradient, FloatArray]:
    """dW ``(H2, W2, K, Fh, Fw, D)`` and the padded dX ``(D, Hp, Wp)`` of locally connected
    weights, those ``wanted``: every position its own filters, so one batched product each,
    the window gradients then added back a filter row at a time."""
    found: dict[Gradient, FloatArray] = {}
    if "dw" in wanted:
        found["dw"] = np.einsum("ijk,ijabc->ijkabc", dpre, windows, optimize=True)
    if "dx" not in wanted:
        return found
    g = layer.geometry
    s = g.shape
    h2 = g.out_height
    hp, wp, depth = g.padded_shape
    dcols = np.einsum("ijk,ijkabc->ijabc", dpre, layer.weights, optimize=True)
    dxp = np.zeros((depth, hp, wp))
    by_depth = np.moveaxis(dcols, 4, 0)  # (D, H2, W2, Fh, Fw), a view
    for a in range(s.filter_height):
        rows = _tap_cells(0, h2, s.stride_h, a, s.dilation_h)
        # (Fw, D, H2, W2): filter row a's taps first, as the shared weights' are
        _add_row_back(dxp, rows, np.moveaxis(by_depth[:, :, :, a, :], 3, 0), s.stride_w,
                      s.dilation_w)
    found["dx"] = dxp
    return found


def backward_naive(layer: Layer, upstream: npt.ArrayLike) -> Gradients:
    """The reference: one neuron at a time, in the notes' loop style.

    Each neuron ``(i, j, d)`` recomputes its own pre-activation (settled near 0 as the
    forward's is: :meth:`~engine.layer.Layer.neuron_sum`), gates the upstream through the
    activation, and adds ``g * window`` to its filter's gradient and ``g * filter`` to
    the input cells it looked at.

    Examples
    --------
    >>> from engine.geometry import LayerShape
    >>> from engine.layer import build_layer
    >>> layer = build_layer(LayerShape.square(5, 3, 2, 3, stride=2, padding=1))
    >>> up = np.arange(18.).reshape(3, 3, 2)
    >>> fast, slow = backward(layer, up), backward_naive(layer, up)
    >>> bool(np.allclose(fast.dx, slow.dx) and np.allclose(fast.dw, slow.dw))
    True
    """
    g = layer.geometry
    s = g.shape
    up = _upstream(layer, upstream)
    xp = layer.x_padded
    dxp = np.zeros(g.padded_shape)
    dw = np.zeros(layer.weights.shape)
    db = np.zeros(layer.bias.shape)
    span_h, span_w = g.height.span, g.width.span
    for d in range(s.filters):
        for i in range(g.out_height):
            for j in range(g.out_width):
                r, c = i * s.stride_h, j * s.stride_w
                rows = slice(r, r + span_h, s.dilation_h)
                cols = slice(c, c + span_w, s.dilation_w)
                window = xp[rows, cols, :]  # (Fh, Fw, D)
                w = layer.filter_at(i, j, d)
                pre = layer.neuron_sum(window, w, layer.bias_at(i, j, d))
                grad = up[i, j, d]
                if layer.activation == "relu" and pre <= 0:
                    grad = 0.0
                if layer.connectivity == "shared":
                    dw[d] += grad * window
                    db[d] += grad
                else:
                    dw[i, j, d] += grad * window
                    db[i, j, d] += grad
                dxp[rows, cols, :] += grad * w
    p = g.padding
    dx = dxp[p.top : p.top + s.height, p.left : p.left + s.width, :]
    return Gradients(np.ascontiguousarray(dx), dw, db)


# ----------------------------------------------------------------------------- step by step


@dataclass(frozen=True, eq=False)
class StepGradients:
    """The weight gradients of a range of steps: one row per step, in the range's order."""

    upstream: FloatArray  # (n,): dL/dV[i, j, d] at each step's neuron
    contribution: FloatArray  # (n, Fh, Fw, D): the step's own dW, dpre[i, j, d] * window
    running: FloatArray  # (n, Fh, Fw, D): its filter's dW summed over its steps up to this one
    bias_running: FloatArray  # (n,): its filter's db (its dpre) summed over the same steps


# Window columns copied at once by the running sums (float64: 16 MB), so a layer with huge
# depth slices is walked in chunks instead of copied whole.
_CHUNK_ELEMENTS = 2**21


def step_weight_gradients(
    layer: Layer, upstream: npt.ArrayLike, found: StepRange
) -> StepGradients:
    """Each step's weight-gradient contribution and its filter's running sum, for a range.

    In both orders a filter's steps visit the positions row-major, so "its steps up to t" are
    its positions up to step t's own. Each filter the range touches is walked once, over its
    positions up to its last wanted one, summing ``dpre[p, d] * window(p)`` and reading the
    sum at the wanted positions: the work is the same whatever the range's ``every``. At a
    filter's last step the sum is ``backward(...).dw[d]``: the notes' depth-slice gradients
    added up into one filter. Locally connected neurons share nothing, so there the running
    sum is the step's own contribution.

    Parameters
    ----------
    layer : Layer
    upstream : array_like, shape (H2, W2, K)
        dL/d(output after the activation).
    found : StepRange
        The steps, from :func:`engine.trace.steps` on this layer.

    Returns
    -------
    StepGradients
        ``upstream`` (n,), ``contribution`` and ``running`` (n, Fh, Fw, D), and
        ``bias_running`` (n,): the filter's db so far, the same positions' dpre summed.

    Raises
    ------
    LayerError
        ``upstream.values`` when the upstream is not a finite ``(H2, W2, K)`` array.

    Examples
    --------
    >>> from engine.geometry import LayerShape
    >>> from engine.layer import build_layer
    >>> from engine.trace import steps
    >>> layer = build_layer(LayerShape.square(3, 1, 1, 2), x=np.arange(9.).reshape(3, 3, 1))
    >>> grads = step_weight_gradients(layer, np.ones((2, 2, 1)), steps(layer, 1, 2, every=2))
    >>> grads.running[0, ..., 0].tolist()  # windows at (0, 0) and (0, 1)
    [[1.0, 3.0], [7.0, 9.0]]
    >>> bool(np.array_equal(grads.running[1], backward(layer, np.ones((2, 2, 1))).dw[0]))
    True
    >>> grads.bias_running.tolist()  # two positions, then all four
    [2.0, 4.0]
    """
    up = _upstream(layer, upstream)  # (H2, W2, K)
    at = up[found.i, found.j, found.d]  # (n,)
    if layer.connectivity == "local":
        dpre = at * (found.pre > 0) if layer.activation == "relu" else at  # (n,)
        own = dpre[:, None, None, None] * found.window  # (n, Fh, Fw, D)
        return StepGradients(at, own, own, np.asarray(dpre, dtype=np.float64))
    g = layer.geometry
    positions = found.i * g.out_width + found.j  # (n,): row-major within a depth slice
    return StepGradients(at, *_running_sums(layer, up, positions, found.d))


def _rows_extremes(
    cols: npt.NDArray[np.floating[Any]], near: npt.NDArray[np.bool_]
) -> tuple[npt.NDArray[np.floating[Any]], npt.NDArray[np.floating[Any]]]:
    """The largest and the least ``|x|`` of the window of each row of an ``(m, F)`` array of
    sums over the ``(m, taps)`` windows ``cols``, each ``(m, 1)``, worked out for the rows
    where ``near`` marks a sum (0 elsewhere)."""
    rows = near.any(axis=1)
    largest, least = np.zeros((len(cols), 1)), np.zeros((len(cols), 1))
    largest[rows, 0], least[rows, 0] = window_extremes(cols[rows])
    return largest, least


def _rows_terms(
    cols: npt.NDArray[np.floating[Any]], weights: npt.NDArray[np.floating[Any]],
    near: npt.NDArray[np.bool_],
) -> npt.NDArray[np.floating[Any]]:
    """``sum |x * w|`` of each sum of an ``(m, F)`` array of sums of the ``(m, taps)``
    windows ``cols`` under the ``(F, taps)`` filters ``weights``, worked out for the rows
    where ``near`` marks a sum (0 elsewhere): one matrix product, as engine/conv.py's."""
    rows = near.any(axis=1)
    found = np.zeros(near.shape)
    found[rows] = np.abs(cols[rows]) @ np.abs(weights).T
    return found


def _running_sums(
    layer: Layer, up: FloatArray, positions: npt.NDArray[np.intp], filters: npt.NDArray[np.intp]
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Shared weights: ``(contribution, running)`` ``(n, Fh, Fw, D)`` and the running db
    ``(n,)`` of the steps at ``positions`` of ``filters`` ``(n,)``; see
    :func:`step_weight_gradients`.

    A filter's wanted positions cut its depth slice into runs, each ending at one of them:
    a run's dW is one matrix-vector product over its window columns, and a running sum is
    the runs so far. Each position of a filter is read once, up to its last wanted one.
    """
    g = layer.geometry
    w2, k = g.out_width, g.shape.filters
    taps = g.counts.weights_per_neuron  # Fh*Fw*D
    windows = _windows(layer)  # (H2, W2, Fh, Fw, D)
    touched = sorted(set(filters.tolist()))
    wanted = {f: np.flatnonzero(filters == f) for f in touched}  # its steps: positions rise
    at = {f: positions[wanted[f]] for f in touched}  # (steps of f,)
    needed = max(int(at[f][-1]) for f in touched) + 1  # positions 0 .. needed - 1 are read
    dpre = up.reshape(-1, k)  # (H2*W2, K), rows in row-major position order
    relu = layer.activation == "relu"
    chosen = np.array(touched)  # (F,): the touched filters, to index their sizes and biases
    weights = layer.weights[touched].reshape(len(touched), taps)  # (F, taps)
    bias = layer.bias[touched]  # (F,)
    own = np.empty((len(positions), taps))
    running = np.empty((len(positions), taps))
    bias_running = np.empty(len(positions))
    so_far = np.zeros((len(touched), taps))  # (F, taps): each filter's dW so far
    bias_so_far = np.zeros(len(touched))  # (F,): each filter's db so far
    # Every touched filter reads the positions before the first wanted one: one product
    # sums them for all filters at once (depth_column ranges start all K filters there).
    common = min(int(at[f][0]) for f in touched)
    chunk = max(1, _CHUNK_ELEMENTS // max(taps, len(touched)))
    for p0 in range(0, needed, chunk):
        p1 = min(needed, p0 + chunk)
        flat = np.arange(p0, p1)
        cols = windows[flat // w2, flat % w2].reshape(p1 - p0, taps)  # (m, taps): a copy
        grads = dpre[p0:p1, touched]  # (m, F)
        if relu:  # gradient only where pre > 0, settled as the forward's and the steps' are
            rows = functools.partial(_rows_extremes, cols)  # the |x| range of rows near 0
            terms = functools.partial(_rows_terms, cols, weights)  # their products' sizes
            pre = layer.settle(cols @ weights.T + bias, chosen, rows, terms)
            grads = grads * (pre > 0)
        shared = max(0, min(p1, common) - p0)
        so_far += grads[:shared].T @ cols[:shared]  # (F, taps)
        bias_so_far += grads[:shared].sum(axis=0)
        by_filter = np.ascontiguousarray(grads.T)  # (F, m): contiguous rows for BLAS
        for column, f in enumerate(touched):
            end = min(p1, int(at[f][-1]) + 1) - p0  # this chunk's positions f still needs
            if end <= shared:
                continue
            grad, total = by_filter[column], so_far[column]  # total: a view, summed in place
            run = shared  # the current run starts here
            first, past = np.searchsorted(at[f], [p0, p1])  # f's steps in this chunk
            for step, position in zip(wanted[f][first:past].tolist(),
                                      at[f][first:past].tolist(), strict=True):
                stop = position - p0 + 1
                total += grad[run:stop] @ cols[run:stop]  # (taps,)
                bias_so_far[column] += grad[run:stop].sum()
                running[step] = total
                bias_running[step] = bias_so_far[column]
                own[step] = grad[stop - 1] * cols[stop - 1]
                run = stop
            if run < end:  # carried into the next chunk
                total += grad[run:end] @ cols[run:end]
                bias_so_far[column] += grad[run:end].sum()
    shape = (len(positions), *windows.shape[2:])
    return own.reshape(shape), running.reshape(shape), bias_running


def weight_gradient_contribution(
    layer: Layer, upstream: npt.ArrayLike, t: int, order: Order = "depth_slice"
) -> FloatArray:
    """Step ``t``'s own weight gradient: ``dpre[i, j, d] * window(i, j)``, shape (Fh, Fw, D).

    ``(i, j, d)`` is step ``t``'s neuron in ``order``. With ReLU, ``dpre`` is zero where the
    neuron's pre-activation is not positive. One step of :func:`step_weight_gradients`.

    Examples
    --------
    >>> from engine.geometry import LayerShape
    >>> from engine.layer import build_layer
    >>> layer = build_layer(LayerShape.square(3, 1, 1, 2), x=np.arange(9.).reshape(3, 3, 1))
    >>> weight_gradient_contribution(layer, np.full((2, 2, 1), 2.0), 3)[..., 0].tolist()
    [[8.0, 10.0], [14.0, 16.0]]
    """
    own: FloatArray = step_weight_gradients(layer, upstream, steps(layer, t, 1, order)).contribution
    return np.asarray(own[0], dtype=np.float64)


def weight_gradient_running(
    layer: Layer, upstream: npt.ArrayLike, t: int, order: Order = "depth_slice"
) -> FloatArray:
    """The sum, shape (Fh, Fw, D), of the weight gradients of filter d's steps up to ``t``.

    ``d`` is step ``t``'s filter; one step of :func:`step_weight_gradients`.

    Examples
    --------
    >>> from engine.geometry import LayerShape
    >>> from engine.layer import build_layer
    >>> layer = build_layer(LayerShape.square(3, 1, 1, 2), x=np.arange(9.).reshape(3, 3, 1))
    >>> up = np.ones((2, 2, 1))
    >>> weight_gradient_running(layer, up, 1)[..., 0].tolist()  # windows at (0,0) and (0,1)
    [[1.0, 3.0], [7.0, 9.0]]
    >>> bool(np.array_equal(weight_gradient_running(layer, up, 3), backward(layer, up).dw[0]))
    True
    """
    running: FloatArray = step_weight_gradients(layer, upstream, steps(layer, t, 1, order)).running
    return np.asarray(running[0], dtype=np.float64)
