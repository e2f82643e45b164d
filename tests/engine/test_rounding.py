"""engine/rounding.py: a sum that rounding cannot tell from 0 is 0 in the forward, in every
step and in the gradients' ReLU gates alike, whatever order each adds its products in."""

from __future__ import annotations

import numpy as np
import pytest
from engine_helpers import random_layer

from engine import conv
from engine.backward import backward, backward_naive, step_weight_gradients
from engine.conv import forward, forward_naive
from engine.geometry import LayerShape
from engine.layer import Layer, build_layer
from engine.rounding import rounding_bound, sums_exact, window_extremes
from engine.trace import steps

SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float)


def flat_patches_layer(connectivity: str = "shared") -> Layer:
    """A 12x16 'image' of k/255 values, two rows of flat colour patches and a noisy strip,
    under Sobel-x and Sobel-y over three channels, with ReLU: every neuron over a flat patch
    is 0 in exact arithmetic, and floating point leaves it a few units of 1e-17."""
    rng = np.random.default_rng(5)
    x = np.empty((12, 16, 3))
    x[:6] = np.array([30, 100, 90]) / 255
    x[6:] = np.array([100, 90, 30]) / 255
    x[:, 12:] = rng.integers(0, 256, (12, 4, 3)) / 255
    weights = np.stack([np.repeat(SOBEL_X[:, :, None], 3, axis=2),
                        np.repeat(SOBEL_X.T[:, :, None], 3, axis=2)])
    shape = LayerShape(12, 16, 3, 2, 3, 3)
    if connectivity == "local":
        weights = np.broadcast_to(weights, (10, 14, 2, 3, 3, 3)).copy()
        return build_layer(shape, x=x, weights=weights, bias=np.zeros((10, 14, 2)),
                           connectivity="local", activation="relu")
    return build_layer(shape, x=x, weights=weights, bias=np.zeros(2), activation="relu")


def test_sums_exact_looks_at_every_value() -> None:
    ones = np.ones((1, 3))
    values = np.zeros(1000)
    assert sums_exact(values, ones, np.zeros(1), 3, np.float64)
    values[-1] = 0.1  # past the values its sample takes first: no power of two's multiple
    assert not sums_exact(values, ones, np.zeros(1), 3, np.float64)
    values[-1], values[1] = 0, 0.1  # between them
    assert not sums_exact(values, ones, np.zeros(1), 3, np.float64)
    values[1] = 0.375  # three eighths: exact
    assert sums_exact(values, ones, np.zeros(1), 3, np.float64)
    assert not sums_exact(values, ones, np.array([2.0**-4]), 3, np.float64)  # a bias between
    assert sums_exact(values, ones, np.array([2.0**-3]), 3, np.float64)  # its steps, or not


def test_sums_exact_needs_every_partial_sum_inside_the_significand() -> None:
    # as whole numbers of the products' lowest bit, no sum passes |x| max * sum |w| + |b|
    ones = np.ones((2, 3))
    big = np.array([2.0**50, 1.0, -(2.0**50)])
    assert sums_exact(big * 2, ones, np.zeros(2), 3, np.float64)  # 3 * 2**51 < 2**53
    assert not sums_exact(big * 4, ones, np.zeros(2), 3, np.float64)  # 3 * 2**52
    assert not sums_exact(big, ones, np.zeros(2), 3, np.float32)  # 24 bits
    assert sums_exact(np.array([4.0, 1.0, -4.0]), ones, np.zeros(2), 3, np.float32)
    # a product below the smallest subnormal's step rounds
    assert not sums_exact(np.array([2.0**-600]), np.array([[2.0**-600]]), np.zeros(1), 1,
                          np.float64)
    # a filter's sum of |w| counts, not its largest |w|: 2**50 * 4 * (1 + 1) reaches 2**53
    quarters = np.array([2.0**50, 0.25])
    assert not sums_exact(quarters, np.ones((1, 2)), np.zeros(1), 2, np.float64)
    assert sums_exact(quarters, np.ones((2, 1)), np.zeros(2), 1, np.float64)


@pytest.mark.parametrize(("values", "exact"), [
    ([1e15, 0.5, -1e15], 0.5), ([1000.0, 2.0**-40, -1000.0], 2.0**-40)])
def test_an_exact_sum_is_never_settled_however_small_against_its_terms(
    values: list[float], exact: float
) -> None:
    # the arithmetic review's layers: within the rounding bound of their terms (2.66 for the
    # first), set to 0 by the forward, the steps and ReLU's gate, though float64 adds them
    # exactly in any order, as PyTorch's conv2d does
    layer = build_layer(LayerShape(1, 3, 1, 1, 1, 3), x=np.array(values).reshape(1, 3, 1),
                        weights=np.ones((1, 1, 3, 1)), bias=np.zeros(1), activation="relu")
    assert forward(layer).pre.ravel().tolist() == [exact]
    assert steps(layer, 0, 1).pre.tolist() == [exact]
    assert backward(layer, np.ones((1, 1, 1))).dx.ravel().tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("connectivity", ["shared", "local"])
def test_a_large_input_under_a_zero_weight_does_not_hide_a_small_sum(connectivity: str) -> None:
    # the API review's layer: 1e11 * 0 + 1e-5 * 1 is 1e-5 exactly (no product rounds), but
    # the window's largest |x| times the filter's sum of |w| made the bound 6.7e-5: the
    # forward, the step and ReLU's gate said 0 and the gradients 0, where torch gives 1e-5,
    # dW [1e11, 1e-5] and db 1
    x = np.array([1e11, 1e-5]).reshape(1, 2, 1)
    weights = np.array([0.0, 1.0]).reshape(1, 1, 2, 1)
    bias = np.zeros(1)
    if connectivity == "local":
        weights, bias = weights.reshape(1, 1, 1, 1, 2, 1), bias.reshape(1, 1, 1)
    layer = build_layer(LayerShape(1, 2, 1, 1, 1, 2), x=x, weights=weights, bias=bias,
                        connectivity=connectivity, activation="relu")  # type: ignore[arg-type]
    assert not layer.sums_exact  # the exact-layer rule does not apply: 1e-5 is no dyadic
    assert forward(layer).pre.ravel().tolist() == [1e-5]
    assert steps(layer, 0, 1).pre.tolist() == [1e-5]
    found = backward(layer, np.ones((1, 1, 1)))
    assert found.dw.ravel().tolist() == [1e11, 1e-5] and found.db.ravel().tolist() == [1.0]
    if connectivity == "shared":
        running = step_weight_gradients(layer, np.ones((1, 1, 1)), steps(layer, 0, 1))
        assert running.running.ravel().tolist() == [1e11, 1e-5]


def test_a_sum_within_its_own_products_rounding_is_still_settled() -> None:
    # the third pass only narrows the bound to the products' own sizes: 0.1 + 0.2 - 0.3 under
    # weights 1 leaves 5.6e-17, within (3 + 1) * eps * 0.6, and is 0 on every path
    x = np.array([0.1, 0.2, -0.3, 1e9]).reshape(1, 4, 1)
    weights = np.array([1.0, 1.0, 1.0, 0.0]).reshape(1, 1, 4, 1)
    layer = build_layer(LayerShape(1, 4, 1, 1, 1, 4), x=x, weights=weights, bias=np.zeros(1),
                        activation="relu")
    assert float(np.sum(x.ravel() * weights.ravel())) != 0  # what adding leaves
    assert forward(layer).pre.ravel().tolist() == [0.0]
    assert steps(layer, 0, 1).pre.tolist() == [0.0]


def test_the_bound_is_the_sums_worst_rounding_and_scales_with_its_window() -> None:
    # 27 products and a bias, each term at most 1 * |w|: (27 + 1) * 2**-52 * (1 * 24 + 0)
    assert rounding_bound(1.0, 24.0, 0.0, 27, np.float64) == 28 * 2.0**-52 * 24
    assert rounding_bound(1e-20, 24.0, 0.5, 27, np.float64) == 28 * 2.0**-52 * (24e-20 + 0.5)


@pytest.mark.parametrize("connectivity", ["shared", "local"])
def test_flat_patches_come_out_zero_and_every_path_agrees(connectivity: str) -> None:
    layer = flat_patches_layer(connectivity)
    pre = forward(layer).pre
    flat = np.zeros(pre.shape, dtype=bool)
    flat[:, :10, 0] = True  # Sobel-x never leaves a patch of one colour per row
    flat[:4, :10, 1] = flat[6:, :10, 1] = True  # Sobel-y is 0 away from the edge
    # summed as the notes write them, in NumPy's own order, the patches leave noise: the case
    # at hand
    h2, w2, k = layer.geometry.output_shape
    raw = np.array([[[np.sum(layer.windows[i, j] * layer.filter_at(i, j, d))
                      + layer.bias_at(i, j, d) for d in range(k)] for j in range(w2)]
                    for i in range(h2)])
    assert (raw[flat] != 0).any() and np.abs(raw[flat]).max() < 1e-15
    assert (pre[flat] == 0).all()
    # the reference loops settle them as the forward does, and agree with it elsewhere
    loops = forward_naive(layer).pre
    assert (loops[flat] == 0).all()
    np.testing.assert_allclose(loops, pre, rtol=1e-12, atol=0)
    assert (np.abs(pre[:, 10:, :]) > 1e-3).mean() > 0.9  # real responses are left alone
    # every step's own sum says the same, one at a time or in any range
    total = layer.geometry.steps
    whole = steps(layer, 0, total, limit=total)
    np.testing.assert_array_equal(whole.pre == 0, pre[whole.i, whole.j, whole.d] == 0)
    np.testing.assert_array_equal(np.sign(whole.pre), np.sign(pre[whole.i, whole.j, whole.d]))
    for t in (0, 3, 17, 140, 200):
        one = steps(layer, t, 1)
        assert np.sign(one.pre[0]) == np.sign(pre[one.i[0], one.j[0], one.d[0]])


def test_a_filters_running_db_is_the_same_however_its_range_is_asked() -> None:
    # the running sums gated by their own products' sums: a range of one step at the end of
    # a filter summed a different db than a range of a hundred ending there, and than the
    # whole backward (-7, -9 and -9 on the reviewer's layer)
    layer = flat_patches_layer()
    rng = np.random.default_rng(9)
    upstream = rng.integers(-1, 2, size=layer.geometry.output_shape).astype(float)
    grads = backward(layer, upstream)
    per_slice = layer.geometry.out_height * layer.geometry.out_width
    for d in (0, 1):
        last = (d + 1) * per_slice - 1
        for start, count in ((last, 1), (last - 99, 100), (d * per_slice, per_slice)):
            found = steps(layer, start, count, limit=per_slice)
            running = step_weight_gradients(layer, upstream, found)
            assert running.bias_running[-1] == grads.db[d], (d, start, count)
            np.testing.assert_allclose(running.running[-1], grads.dw[d], atol=1e-12)


def test_whole_numbers_and_float32_are_left_as_they_add() -> None:
    # whole numbers add exactly; a bound on a big whole-number layer could reach values of
    # a few units, so such a layer is never settled
    x = np.full((3, 5, 1), 1e12)
    x[0, 0, 0] = 1e12 + 3
    layer = build_layer(LayerShape(3, 5, 1, 1, 3, 3), x=x, weights=np.ones((1, 3, 3, 1)),
                        bias=np.array([-9e12]))
    assert forward(layer).pre[0, 0, 0] == 3.0
    # float32's bound is n * 1e-7 of the terms: it would reach values that matter
    flat = flat_patches_layer()
    assert (forward(flat, np.float32).pre[:, :10, 0] != 0).any()


@pytest.mark.parametrize("shape", [
    LayerShape.square(9, 3, 2, 3, stride=2, padding=1),
    LayerShape(8, 11, 2, 1, 2, 3, stride_h=1, stride_w=2, dilation_h=3, dilation_w=2),
    LayerShape.square(12, 1, 1, 5),
])
def test_the_settling_pass_finds_each_windows_extremes_and_its_sizes_a_piece_at_a_time(
    shape: LayerShape, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the windows of the sums near 0 were gathered whole (at the element limit, every
    # output of a zero input under one 64x64 filter: 440 MB); the pieces and the depth's
    # largest and least |x| must give each window's own, and the pieces' products' sizes
    # each neuron's own sum of |x * w|
    layer = random_layer(shape, seed=7, seed_step=1)
    h2, w2, k = layer.geometry.output_shape
    rows, cols = np.divmod(np.arange(h2 * w2), w2)
    largest, least = window_extremes(layer.windows[rows, cols])
    taps = layer.geometry.counts.weights_per_neuron
    cells = np.abs(layer.windows[rows, cols].reshape(-1, 1, taps))
    sizes = (cells * np.abs(layer.weights.reshape(1, k, taps))).sum(axis=2)
    found = conv._windows_extremes(layer)
    np.testing.assert_array_equal(found[0].ravel(), largest)
    np.testing.assert_array_equal(found[1].ravel(), least)
    monkeypatch.setattr(conv, "TERMS_PIECE", 2 * shape.filter_height * shape.filter_width)
    np.testing.assert_allclose(conv._terms(layer, rows, cols), sizes, rtol=1e-12)


def test_the_reference_loops_gate_relu_on_the_settled_sums_as_the_backward_does() -> None:
    # a flat 0.1 under weights -0.3, 0.1, 0.2 (which add up to 2.8e-17, not 0): the notes'
    # loops read +6.9e-18 and let ReLU pass a whole gradient the backward blocks
    layer = build_layer(LayerShape(3, 3, 1, 1, 1, 3), x=np.full((3, 3, 1), 0.1),
                        weights=-np.array([0.3, -0.1, -0.2]).reshape(1, 1, 3, 1),
                        bias=np.zeros(1), activation="relu")
    window = layer.windows[0, 0]
    assert np.sum(window * layer.weights[0]) != 0  # the noise the rule settles
    up = np.ones((3, 1, 1))
    fast, slow = backward(layer, up), backward_naive(layer, up)
    assert forward_naive(layer).pre.tolist() == forward(layer).pre.tolist() == [[[0.0]]] * 3
    for name in ("dx", "dw", "db"):
        np.testing.assert_array_equal(getattr(slow, name), getattr(fast, name), err_msg=name)
    assert not slow.dw.any()  # ReLU shut: nothing reaches dW
