"""Layers and checks shared by the engine tests.

Imported as ``engine_helpers`` (pytest puts this folder on ``sys.path``); the name differs
from ``tests/api/api_helpers.py`` so the two never shadow each other in one run.
"""

from __future__ import annotations

import numpy as np

from engine.conv import forward, forward_naive
from engine.geometry import LayerShape, Padding
from engine.layer import Activation, Connectivity, Layer, build_layer
from engine.tensors import Fill, FloatArray
from engine.threads import Workers


def random_layer(
    shape: LayerShape,
    seed: int = 0,
    connectivity: Connectivity = "shared",
    activation: Activation = "none",
    *,
    seed_step: int = 0,
    bias_std: float = 1.0,
) -> Layer:
    """A layer of seeded normal floats, so no two products cancel and no tie hides an index.

    The input draws from ``seed``, the weights from ``seed + seed_step`` and the biases from
    ``seed + 2 * seed_step`` with standard deviation ``bias_std``.
    """
    return build_layer(
        shape,
        input_fill=Fill("normal", seed=seed),
        weight_fill=Fill("normal", seed=seed + seed_step),
        bias_fill=Fill("normal", seed=seed + 2 * seed_step, std=bias_std),
        connectivity=connectivity,
        activation=activation,
    )


def one_d_layer(stride: int) -> Layer:
    """The notes' 1-D figure: input [1, 2, -1, 1, -3], one zero each side, weights [1, 0, -1]."""
    return build_layer(
        LayerShape(1, 5, 1, 1, 1, 3, stride_w=stride, padding=Padding(0, 0, 1, 1)),
        x=np.array([1.0, 2.0, -1.0, 1.0, -3.0]).reshape(1, 5, 1),
        weights=np.array([1.0, 0.0, -1.0]).reshape(1, 1, 3, 1),
        bias=np.zeros(1),
    )


def assert_notes_numpy_expressions(
    V: FloatArray, X: FloatArray, W0: FloatArray, W1: FloatArray, b0: float, b1: float
) -> None:
    """The notes' numpy example (X 11x11x4, F=5, S=2, P=0): each line they write holds in V."""
    assert V[0, 0, 0] == np.sum(X[:5, :5, :] * W0) + b0
    assert V[1, 0, 0] == np.sum(X[2:7, :5, :] * W0) + b0
    assert V[2, 0, 0] == np.sum(X[4:9, :5, :] * W0) + b0
    assert V[3, 0, 0] == np.sum(X[6:11, :5, :] * W0) + b0
    assert V[0, 0, 1] == np.sum(X[:5, :5, :] * W1) + b1
    assert V[1, 0, 1] == np.sum(X[2:7, :5, :] * W1) + b1
    assert V[2, 0, 1] == np.sum(X[4:9, :5, :] * W1) + b1
    assert V[3, 0, 1] == np.sum(X[6:11, :5, :] * W1) + b1
    assert V[0, 1, 1] == np.sum(X[:5, 2:7, :] * W1) + b1
    assert V[2, 3, 1] == np.sum(X[4:9, 6:11, :] * W1) + b1


def assert_forward_equals_the_loops(layer: Layer, threads: int, *, winograd: bool = False) -> None:
    """The layer's forward pass with ``threads`` workers (and ``winograd``, see
    :func:`engine.conv.conv2d`) equals the notes' loops: float64 to 1e-10 and C-contiguous,
    float32 (a float32 result) to 1e-4."""
    expected = forward_naive(layer).pre
    with Workers(threads) as workers:
        got64 = forward(layer, workers=workers, winograd=winograd).pre
        got32 = forward(layer, np.float32, workers, winograd=winograd).pre
    assert got64.shape == expected.shape and got64.flags.c_contiguous
    np.testing.assert_allclose(got64, expected, rtol=1e-10, atol=1e-10)
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, expected, rtol=1e-4, atol=1e-4)
