"""Backpropagation through a conv layer: dL/dx, dL/dW and dL/db from dL/d(output).

A point of the notes made computable: with shared weights each neuron has its own weight
gradient, and a depth slice's filter gets the sum of its neurons' gradients
(https://cs231n.github.io/convolutional-networks/#conv, parameter sharing).
:func:`weight_gradient_contribution` is one neuron's gradient,
:func:`weight_gradient_running` the sum so far over its depth slice, and :func:`backward` the
whole layer at once.

Shapes: upstream and pre-activation ``(H2, W2, K)``; ``dx`` ``(H, W, D)`` (the original,
unpadded input); ``dw``/``db`` as the layer's weights/biases (shared ``(K, Fh, Fw, D)``/``(K,)``,
local ``(H2, W2, K, Fh, Fw, D)``/``(H2, W2, K)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from engine import threads
from engine.conv import forward
from engine.conv import windows as _conv_windows
from engine.errors import LayerError
from engine.layer import Layer
from engine.tensors import FloatArray
from engine.trace import Order, step_position

Windows = npt.NDArray[np.floating[Any]]  # (H2, W2, Fh, Fw, D); float64, as layers are


@dataclass(frozen=True, eq=False)
class Gradients:
    """The gradients of a loss with respect to the layer's input, weights and biases."""

    dx: FloatArray  # (H, W, D): w.r.t. the original input, padding cropped away
    dw: FloatArray  # shared (K, Fh, Fw, D) | local (H2, W2, K, Fh, Fw, D)
    db: FloatArray  # shared (K,) | local (H2, W2, K)


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
    return _conv_windows(layer.x_padded, layer.geometry)


def _through_activation(layer: Layer, upstream: FloatArray) -> FloatArray:
    """dL/d(pre): ReLU lets the gradient through where it let the value through.

    The pre-activation is only needed (and only computed, by the forward kernel) for ReLU.
    """
    if layer.activation == "relu":
        return upstream * (forward(layer).pre > 0)
    return upstream


# ----------------------------------------------------------------------------- whole layer


def backward(layer: Layer, upstream: npt.ArrayLike) -> Gradients:
    """Gradients of the layer given ``upstream`` = dL/d(output after the activation).

    Vectorised over positions: dW is one contraction of the upstream with the windows of the
    padded input; dX scatters the column gradient back with a loop over the Fh*Fw taps only
    (within one tap the positions never overlap, so plain slice ``+=`` is exact).

    Parameters
    ----------
    layer : Layer
    upstream : array_like, shape (H2, W2, K)

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
    g = layer.geometry
    up = _upstream(layer, upstream)  # (H2, W2, K)
    windows = _windows(layer)  # (H2, W2, Fh, Fw, D)
    dpre = _through_activation(layer, up)  # (H2, W2, K)
    weights = layer.weights
    if layer.connectivity == "shared":
        db = dpre.sum(axis=(0, 1))  # (K,)
        dw_spec, dcols_spec = "ijk,ijabc->kabc", "ijk,kabc->ijabc"  # dw (K, Fh, Fw, D)
    else:
        db = dpre.copy()  # (H2, W2, K)
        dw_spec, dcols_spec = "ijk,ijabc->ijkabc", "ijk,ijkabc->ijabc"  # dw (H2, W2, K, ...)
    # Two independent GEMMs: under engine threads (engine/threads.py) they run side by side.
    dw, dcols = threads.run_parts(
        lambda operands: np.einsum(*operands, optimize=True),
        [(dw_spec, dpre, windows), (dcols_spec, dpre, weights)],
        multiply_adds=g.counts.multiply_adds,
    )
    # dcols: (H2, W2, Fh, Fw, D), the gradient of every window; scatter it tap by tap. Depth
    # goes first in the accumulator so each strided add runs along whole rows of positions
    # instead of D-long runs, which are short when D is (3 on a colour input).
    s = g.shape
    h2, w2 = g.out_height, g.out_width
    hp, wp, depth = g.padded_shape
    dxp = np.zeros((depth, hp, wp))  # (D, Hp, Wp)
    by_depth = np.moveaxis(dcols, 4, 0)  # (D, H2, W2, Fh, Fw), a view
    for a in range(s.filter_height):
        r0 = a * s.dilation_h
        rows = slice(r0, r0 + (h2 - 1) * s.stride_h + 1, s.stride_h)
        for b in range(s.filter_width):
            c0 = b * s.dilation_w
            cols = slice(c0, c0 + (w2 - 1) * s.stride_w + 1, s.stride_w)
            dxp[:, rows, cols] += by_depth[:, :, :, a, b]
    p = g.padding
    dx = np.moveaxis(dxp[:, p.top : p.top + s.height, p.left : p.left + s.width], 0, 2)  # (H, W, D)
    return Gradients(np.ascontiguousarray(dx), dw, db)


def backward_naive(layer: Layer, upstream: npt.ArrayLike) -> Gradients:
    """The reference: one neuron at a time, in the notes' loop style.

    Each neuron ``(i, j, d)`` recomputes its own pre-activation, gates the upstream through
    the activation, and adds ``g * window`` to its filter's gradient and ``g * filter`` to
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
                pre = np.sum(window * w) + layer.bias_at(i, j, d)
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


def weight_gradient_contribution(
    layer: Layer, upstream: npt.ArrayLike, t: int, order: Order = "depth_slice"
) -> FloatArray:
    """Step ``t``'s own weight gradient: ``dpre[i, j, d] * window(i, j)``, shape (Fh, Fw, D).

    ``(i, j, d)`` is step ``t``'s neuron in ``order``. With ReLU, ``dpre`` is zero where the
    neuron's pre-activation is not positive.

    Examples
    --------
    >>> from engine.geometry import LayerShape
    >>> from engine.layer import build_layer
    >>> layer = build_layer(LayerShape.square(3, 1, 1, 2), x=np.arange(9.).reshape(3, 3, 1))
    >>> weight_gradient_contribution(layer, np.full((2, 2, 1), 2.0), 3)[..., 0].tolist()
    [[8.0, 10.0], [14.0, 16.0]]
    """
    i, j, d = step_position(layer.geometry, t, order)
    up = _upstream(layer, upstream)
    window = _windows(layer)[i, j]  # (Fh, Fw, D)
    grad = up[i, j, d]
    if layer.activation == "relu":
        pre = np.sum(window * layer.filter_at(i, j, d)) + layer.bias_at(i, j, d)
        grad = grad if pre > 0 else 0.0
    return np.asarray(grad * window, dtype=np.float64)


def weight_gradient_running(
    layer: Layer, upstream: npt.ArrayLike, t: int, order: Order = "depth_slice"
) -> FloatArray:
    """The sum, shape (Fh, Fw, D), of the weight gradients of filter d's steps up to ``t``.

    ``d`` is step ``t``'s filter. In both orders a filter's steps visit the positions
    row-major, so "its steps up to t" are its positions up to step t's own: every full row
    above, and the row so far. At the filter's last step the sum is ``backward(...).dw[d]``:
    the notes' depth-slice gradients "added up" into one filter. Locally connected neurons
    share nothing, so there the running sum is the step's own contribution.

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
    if layer.connectivity == "local":
        return weight_gradient_contribution(layer, upstream, t, order)
    i, j, d = step_position(layer.geometry, t, order)
    up = _upstream(layer, upstream)
    windows = _windows(layer)  # (H2, W2, Fh, Fw, D)
    # Full rows 0..i-1, then row i up to column j: no copy of the strided view needed.
    parts = ((windows[:i], up[:i, :, d]), (windows[i : i + 1, : j + 1], up[i : i + 1, : j + 1, d]))
    total = np.zeros(windows.shape[2:])  # (Fh, Fw, D)
    weights, bias = layer.weights[d], layer.bias[d]
    for part, grad in parts:
        if layer.activation == "relu":
            pre = np.einsum("ijabc,abc->ij", part, weights, optimize=True) + bias  # (rows, cols)
            grad = grad * (pre > 0)
        total += np.einsum("ij,ijabc->abc", grad, part, optimize=True)
    return total
