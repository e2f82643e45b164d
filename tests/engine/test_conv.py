"""engine/conv.py: the notes' worked examples, and the vectorised kernels against the loops."""

from __future__ import annotations

import numpy as np
import pytest
from engine_helpers import assert_notes_numpy_expressions, one_d_layer, random_layer
from threadpoolctl import threadpool_limits

from engine import conv, winograd, winograd_strided
from engine.conv import activate, conv2d, forward, forward_naive, local2d
from engine.errors import LayerError
from engine.geometry import Fit, LayerShape, Padding, resolve
from engine.layer import Activation, Connectivity, build_layer
from engine.threads import Workers
from engine.windows import windows

# --------------------------------------------------------------------- the notes' examples


def test_notes_numpy_example_matches_each_expression_written_in_the_notes() -> None:
    # X (11, 11, 4), F=5, S=2, P=0 -> V (4, 4, 2). Integer values keep every sum exact, so
    # the comparison is equality, whatever order the kernel adds in.
    rng = np.random.default_rng(231)
    X = rng.integers(-3, 4, size=(11, 11, 4)).astype(np.float64)
    W0 = rng.integers(-2, 3, size=(5, 5, 4)).astype(np.float64)
    W1 = rng.integers(-2, 3, size=(5, 5, 4)).astype(np.float64)
    b0, b1 = 1.0, -2.0
    layer = build_layer(
        LayerShape.square(11, 4, 2, 5, stride=2),
        x=X,
        weights=np.stack([W0, W1]),
        bias=np.array([b0, b1]),
    )
    for V in (forward(layer).pre, forward_naive(layer).pre):
        assert V.shape == (4, 4, 2)
        assert_notes_numpy_expressions(V, X, W0, W1, b0, b1)


# By hand, on the padded input [0, 1, 2, -1, 1, -3, 0] with weights [1, 0, -1]:
#   start 0: 0*1 + 1*0 + 2*(-1)  = -2
#   start 1: 1*1 + 2*0 + (-1)*(-1) = 2
#   start 2: 2*1 + (-1)*0 + 1*(-1) = 1
#   start 3: (-1)*1 + 1*0 + (-3)*(-1) = 2
#   start 4: 1*1 + (-3)*0 + 0*(-1) = 1
# Stride 2 keeps starts 0, 2, 4: -2, 1, 1.
@pytest.mark.parametrize(
    ("stride", "expected"), [(1, [-2.0, 2.0, 1.0, 2.0, 1.0]), (2, [-2.0, 1.0, 1.0])]
)
def test_notes_one_dimensional_example_gives_the_figures_outputs(
    stride: int, expected: list[float]
) -> None:
    layer = one_d_layer(stride)
    assert forward(layer).pre.ravel().tolist() == expected
    assert forward_naive(layer).pre.ravel().tolist() == expected


@pytest.mark.parametrize(("stride", "size"), [(1, 5), (2, 3)])
def test_notes_seven_by_seven_input_with_three_by_three_filter(stride: int, size: int) -> None:
    layer = random_layer(LayerShape.square(7, 1, 1, 3, stride=stride), seed=7)
    pre = forward(layer).pre
    assert pre.shape == (size, size, 1)
    # The last neuron's field is the bottom-right 3x3 corner in both cases: 2*2 + 3 = 7.
    corner = np.sum(layer.x[4:7, 4:7, :] * layer.weights[0]) + layer.bias[0]
    np.testing.assert_allclose(pre[-1, -1, 0], corner, rtol=1e-12)


# ------------------------------------------------------------ vectorised against the loops

CASES = {
    "square": LayerShape.square(9, 3, 4, 3, stride=2, padding=1),
    "asymmetric padding": LayerShape(6, 7, 2, 3, 3, 3, padding=Padding(2, 0, 1, 3)),
    "stride per axis": LayerShape(9, 10, 2, 2, 3, 2, stride_h=3, stride_w=2),
    "dilation per axis": LayerShape(11, 9, 2, 3, 3, 2, dilation_h=2, dilation_w=3),
    "stride and dilation": LayerShape(14, 12, 3, 2, 3, 3, 3, 2, Padding(1, 2, 0, 1), 2, 1),
    "non-square filter": LayerShape(8, 8, 3, 5, 2, 5, padding=Padding(0, 0, 2, 2)),
    "one by one filter": LayerShape(5, 6, 7, 3, 1, 1),
    "filter as big as input": LayerShape(4, 5, 2, 3, 4, 5),
    "fit pad": LayerShape.square(10, 2, 3, 3, stride=2, fit="pad"),
    "fit floor": LayerShape.square(10, 2, 3, 3, stride=2, fit="floor"),
    "fit pad, asymmetric": LayerShape(11, 10, 2, 2, 4, 3, 3, 4, Padding(1, 0, 0, 2), fit="pad"),
    "fit floor, dilated": LayerShape(12, 11, 2, 2, 3, 2, 2, 3, Padding(0, 1, 1, 0), 2, 2, "floor"),
}


@pytest.mark.parametrize("connectivity", ["shared", "local"])
@pytest.mark.parametrize("activation", ["none", "relu"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_vectorised_forward_matches_the_notes_loops(
    name: str, connectivity: Connectivity, activation: Activation
) -> None:
    layer = random_layer(
        CASES[name], seed=len(name), connectivity=connectivity, activation=activation
    )
    fast, slow = forward(layer), forward_naive(layer)
    assert fast.pre.shape == slow.pre.shape == layer.geometry.output_shape
    np.testing.assert_allclose(fast.pre, slow.pre, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(fast.post, slow.post, rtol=1e-12, atol=1e-12)


def random_shape(rng: np.random.Generator) -> LayerShape:
    """Any valid layer up to 12x12: the filter span never exceeds the padded input."""
    padding = Padding(*(int(p) for p in rng.integers(0, 3, size=4)))
    axes = []
    for before, after in ((padding.top, padding.bottom), (padding.left, padding.right)):
        size = int(rng.integers(1, 13))
        dilation = int(rng.integers(1, 4))
        longest = (size + before + after - 1) // dilation + 1  # span <= padded size
        axes.append(
            (size, int(rng.integers(1, min(longest, 5) + 1)), int(rng.integers(1, 4)), dilation)
        )
    (h, fh, sh, dh), (w, fw, sw, dw) = axes
    depth, filters = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    fit: Fit = "pad" if rng.random() < 0.5 else "floor"
    return LayerShape(h, w, depth, filters, fh, fw, sh, sw, padding, dh, dw, fit)


@pytest.mark.parametrize("seed", range(40))
def test_vectorised_forward_matches_the_loops_on_random_layers(seed: int) -> None:
    rng = np.random.default_rng(seed)
    connectivity: Connectivity = "local" if seed % 3 == 0 else "shared"
    activation: Activation = "relu" if seed % 2 else "none"
    layer = random_layer(random_shape(rng), seed, connectivity, activation)
    np.testing.assert_allclose(
        forward(layer).post, forward_naive(layer).post, rtol=1e-12, atol=1e-12
    )


def test_conv2d_cut_into_bands_of_rows_still_matches_the_loops(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A column budget of one output row forces one GEMM per band; 3 rows' worth -> 3 bands
    # plus a short last one for the 10 rows here.
    layer = random_layer(LayerShape.square(12, 3, 4, 3, padding=0), seed=3)
    row_bytes = 10 * (3 * 3 * 3 + 1) * 8
    for budget in (row_bytes, 3 * row_bytes):
        monkeypatch.setattr(conv, "COLUMN_BYTES", budget)
        np.testing.assert_allclose(
            forward(layer).pre, forward_naive(layer).pre, rtol=1e-12, atol=1e-12
        )


def test_local_layer_with_every_neuron_holding_the_same_filter_equals_the_shared_layer() -> None:
    shape = LayerShape(7, 8, 3, 2, 3, 2, stride_w=2, padding=Padding(1, 0, 1, 1))
    shared = random_layer(shape, seed=11)
    h2, w2, k = shared.geometry.output_shape
    local_weights = np.broadcast_to(shared.weights, (h2, w2, *shared.weights.shape))
    local_bias = np.broadcast_to(shared.bias, (h2, w2, k))
    local = local2d(shared.x_padded, local_weights.copy(), local_bias.copy(), shared.geometry)
    np.testing.assert_allclose(local, forward(shared).pre, rtol=1e-12, atol=1e-12)


def test_local_layer_neurons_use_their_own_weights() -> None:
    layer = random_layer(LayerShape.square(6, 2, 3, 3), seed=5, connectivity="local")
    pre = forward(layer).pre
    i, j, d = 2, 1, 2
    own = np.sum(layer.x[i : i + 3, j : j + 3, :] * layer.weights[i, j, d]) + layer.bias[i, j, d]
    np.testing.assert_allclose(pre[i, j, d], own, rtol=1e-12)


# ------------------------------------------------------------------------- fit policies


def test_fit_pad_adds_zero_columns_on_the_right_for_the_last_position() -> None:
    # (10 - 3)/2 + 1 = 4.5: "pad" gives 5 positions, the last one at columns 8, 9 and a zero.
    layer = random_layer(LayerShape.square(10, 2, 1, 3, stride=2, fit="pad"), seed=2)
    pre = forward(layer).pre
    assert pre.shape == (5, 5, 1)
    X, W0, b0 = layer.x, layer.weights[0], layer.bias[0]
    expected = np.sum(X[:3, 8:10, :] * W0[:, :2, :]) + b0  # the zero column adds nothing
    np.testing.assert_allclose(pre[0, 4, 0], expected, rtol=1e-12)


def test_fit_floor_ignores_the_input_columns_no_window_reaches() -> None:
    # "floor" keeps 4 positions (starts 0, 2, 4, 6): row and column 9 are never read.
    shape = LayerShape.square(10, 2, 2, 3, stride=2, fit="floor")
    layer = random_layer(shape, seed=4)
    changed = layer.x.copy()
    changed[9, :, :] = 100.0
    changed[:, 9, :] = -100.0
    other = build_layer(shape, x=changed, weights=layer.weights, bias=layer.bias)
    assert forward(layer).pre.shape == (4, 4, 2)
    np.testing.assert_array_equal(forward(other).pre, forward(layer).pre)


# ------------------------------------------------------------------ dtypes and activation


@pytest.mark.parametrize("connectivity", ["shared", "local"])
def test_float32_forward_is_float32_and_close_to_float64(connectivity: Connectivity) -> None:
    layer = random_layer(CASES["stride and dilation"], seed=32, connectivity=connectivity)
    single, double = forward(layer, np.float32), forward(layer, np.float64)
    assert single.pre.dtype == np.float32 and single.post.dtype == np.float32
    assert double.pre.dtype == np.float64
    np.testing.assert_allclose(single.pre, double.pre, rtol=1e-4, atol=1e-4)


def test_alexnet_conv1_float32_matches_float64_and_has_the_notes_shape() -> None:
    layer = random_layer(LayerShape.square(227, 3, 96, 11, stride=4), seed=2012)
    single, double = forward(layer, np.float32).pre, forward(layer, np.float64).pre
    assert single.shape == (55, 55, 96)
    # 363-term sums of unit normals are ~19 in size; float32 keeps ~7 digits of them.
    np.testing.assert_allclose(single, double, rtol=1e-3, atol=1e-3)
    # One neuron by the notes' own expression: output (54, 3, 95) starts at row 216, col 12.
    X, W95, b95 = layer.x, layer.weights[95], layer.bias[95]
    np.testing.assert_allclose(
        double[54, 3, 95], np.sum(X[216:227, 12:23, :] * W95) + b95, rtol=1e-12
    )


def test_integer_inputs_give_a_float64_result() -> None:
    g = resolve(LayerShape.square(4, 1, 1, 2))
    xp = np.arange(16).reshape(4, 4, 1)
    # Typed for floats, but integer arrays (a caller's np.arange) must not give integer sums.
    out = conv2d(xp, np.ones((1, 2, 2, 1), dtype=np.int64), np.array([1]), g)  # type: ignore[arg-type]
    assert out.dtype == np.float64
    assert out[0, 0, 0] == 0 + 1 + 4 + 5 + 1


def test_relu_zeroes_negative_outputs_and_keeps_positive_ones() -> None:
    layer = random_layer(LayerShape.square(6, 2, 3, 3), seed=9, activation="relu")
    result = forward(layer)
    assert (result.pre < 0).any() and (result.pre > 0).any()  # both signs occur
    np.testing.assert_array_equal(result.post, np.where(result.pre > 0, result.pre, 0.0))


def test_no_activation_leaves_the_output_unchanged() -> None:
    pre = np.array([[[-1.0, 2.0]]])
    assert activate(pre, "none") is pre


def test_unknown_activation_is_refused_naming_the_field() -> None:
    with pytest.raises(LayerError) as caught:
        activate(np.zeros(3), "tanh")  # type: ignore[arg-type]
    assert caught.value.field == "activation"
    assert "'tanh'" in caught.value.reason


# ------------------------------------------------------------------------------ windows


def test_windows_are_the_receptive_fields_with_stride_and_dilation() -> None:
    g = resolve(LayerShape(9, 11, 2, 1, 2, 3, 3, 2, Padding(), 2, 3))
    xp = np.arange(9 * 11 * 2, dtype=np.float64).reshape(9, 11, 2)
    view = windows(xp, g)
    # Spans: 2*(2-1)+1 = 3 rows, 3*(3-1)+1 = 7 columns; H2 = (9-3)/3+1 = 3, W2 = (11-7)/2+1 = 3.
    assert view.shape == (3, 3, 2, 3, 2)
    # Output (2, 1): rows 6, 8 (stride 3, dilation 2), columns 2, 5, 8 (stride 2, dilation 3).
    np.testing.assert_array_equal(view[2, 1], xp[np.ix_([6, 8], [2, 5, 8])])


def test_windows_is_a_read_only_view_of_the_input() -> None:
    g = resolve(LayerShape.square(5, 2, 1, 3))
    xp = np.zeros((5, 5, 2))
    view = windows(xp, g)
    assert np.shares_memory(view, xp)
    with pytest.raises(ValueError, match="read-only"):
        view[0, 0, 0, 0, 0] = 1.0


def test_windows_refuses_an_input_of_the_wrong_shape() -> None:
    g = resolve(LayerShape.square(5, 2, 1, 3, padding=1))
    with pytest.raises(LayerError) as caught:
        windows(np.zeros((5, 5, 2)), g)
    assert caught.value.field == "input.values"
    assert "[5, 5, 2]" in caught.value.reason and "[7, 7, 2]" in caught.value.reason


def test_conv2d_refuses_weights_of_the_wrong_shape() -> None:
    g = resolve(LayerShape.square(5, 2, 4, 3))
    with pytest.raises(LayerError) as caught:
        conv2d(np.zeros((5, 5, 2)), np.zeros((4, 3, 3, 3)), np.zeros(4), g)
    assert caught.value.field == "filters.values"


@pytest.mark.parametrize(
    "shape",
    [
        LayerShape.square(24, 16, 16, 3, padding=1),  # Winograd F(4x4, 3x3) would take it
        LayerShape.square(227, 3, 96, 11, stride=4),  # AlexNet conv1: strided Winograd would
    ],
    ids=["3x3", "alexnet"],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_layer_of_whole_numbers_gets_exact_sums_with_workers(
    shape: LayerShape, dtype: type
) -> None:
    # Asked for, Winograd's rounding gave 15.000000000000002 for 15, and ReLU passed neurons
    # whose sum is 0 (the backward's db then counted them). The exact sums, in integers:
    layer = build_layer(shape, activation="relu")  # the default fills are whole numbers
    exact = np.einsum("ijfgd,kfgd->ijk", layer.windows.astype(np.int64),
                      layer.weights.astype(np.int64)) + layer.bias.astype(np.int64)
    assert (exact == 0).any()  # sums of exactly 0, the ones rounding would push across ReLU
    with Workers(2) as workers, threadpool_limits(1, "blas"):
        result = forward(layer, dtype, workers, winograd=True)
    np.testing.assert_array_equal(result.pre, exact)
    np.testing.assert_array_equal(result.post, np.maximum(exact, 0))


@pytest.mark.parametrize(
    ("shape", "cell", "neuron"),
    [
        # Winograd F(4x4, 3x3) fits it: V[3, 3] shares a tile with X[0, 0] and never reads it
        (LayerShape.square(24, 16, 16, 3, padding=1), (0, 0), (3, 3)),
        # strided Winograd fits this one: V[0, 4] (columns 16-26) shares X[0, 9]'s tile of 5
        (LayerShape.square(59, 3, 24, 11, stride=4), (0, 9), (0, 4)),
    ],
    ids=["3x3", "strided"],
)
def test_workers_sum_each_neurons_own_products_unless_winograd_is_asked_for(
    shape: LayerShape, cell: tuple[int, int], neuron: tuple[int, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Winograd's rounding error scales with the largest input of a whole tile: one value of
    # 1e15 moved a neighbour that never reads it by 30. The server's forward sums each
    # neuron's own products (tests/api/test_api_exact.py checks it through the API).
    drawn = random_layer(shape, seed=12, seed_step=1)
    x = drawn.x.copy()
    x[cell] = 1e15  # every channel
    layer = build_layer(shape, x=x, weights=drawn.weights, bias=drawn.bias)
    own = forward_naive(layer).pre[neuron]
    with Workers(2) as workers, threadpool_limits(1, "blas"):
        asked = forward(layer, workers=workers, winograd=True).pre[neuron]
        for kernel in ((winograd, "conv3x3"), (winograd_strided, "conv_strided")):
            monkeypatch.setattr(*kernel, lambda *args: pytest.fail("Winograd not asked for"))
        default = forward(layer, workers=workers).pre[neuron]
    np.testing.assert_allclose(default, own, rtol=1e-12, atol=1e-12)
    assert np.abs(asked - own).max() > 1e-3  # the tradeoff winograd=True makes


@pytest.mark.parametrize("dtype", [np.int32, np.float16, np.complex128])
def test_forward_refuses_a_dtype_its_kernels_do_not_compute_in(dtype: type) -> None:
    # an int dtype came back float64 without a word, and float16 was taken at a crawl
    layer = build_layer(LayerShape.square(5, 3, 2, 3, stride=2, padding=1))
    with pytest.raises(LayerError) as caught:
        forward(layer, dtype)
    assert caught.value.field == "dtype"
    assert forward(layer, np.float32).pre.dtype == np.float32  # the two it computes in
    assert forward(layer, np.float64).pre.dtype == np.float64
