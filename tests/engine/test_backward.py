"""engine/backward.py against naive loops, numerical gradients and hand arithmetic."""

from __future__ import annotations

import importlib
from collections.abc import Callable

import numpy as np
import pytest
from engine_helpers import one_d_layer, random_layer

from engine.backward import (
    GRADIENTS,
    Gradients,
    backward,
    backward_naive,
    gradients,
    step_weight_gradients,
    weight_gradient_contribution,
    weight_gradient_running,
)
from engine.conv import forward
from engine.errors import LayerError
from engine.geometry import Geometry, LayerShape, Padding
from engine.layer import Activation, Connectivity, Layer, build_layer
from engine.tensors import Fill, FloatArray
from engine.trace import steps

# Shapes that exercise every path: stride, dilation, asymmetric padding, rectangular filters,
# and both fit policies that change the geometry ("pad" adds, "floor" leaves cells unseen).
SHAPES = {
    "demo": LayerShape.square(5, 3, 2, 3, stride=2, padding=1),
    "stride-1": LayerShape.square(6, 2, 3, 3, stride=1, padding=1),
    "rect-strides": LayerShape(
        7, 8, 2, 2, 3, 2, stride_h=2, stride_w=3, padding=Padding(1, 1, 2, 1)
    ),
    "dilated": LayerShape(8, 8, 2, 2, 3, 2, stride_h=1, stride_w=2, dilation_h=2, dilation_w=3),
    "fit-pad": LayerShape.square(10, 2, 2, 3, stride=2, fit="pad"),
    "fit-floor": LayerShape.square(10, 2, 2, 3, stride=4, fit="floor"),
    # fewer positions across than taps, the windows overlapping: dX added back by position
    "wide-filter": LayerShape(6, 5, 2, 2, 4, 5, padding=Padding(1, 1, 1, 1)),
    # ...and dilated: a position's taps two columns apart (one position across)
    "wide-dilated": LayerShape(6, 5, 2, 2, 3, 3, dilation_w=2, padding=Padding(1, 1, 0, 0)),
}
# The spread of every random layer's biases here (inputs and weights have 1).
BIAS_STD = 0.5
MODES: list[tuple[Connectivity, Activation]] = [
    ("shared", "none"), ("shared", "relu"), ("local", "none"), ("local", "relu"),
]


def upstream_for(layer: Layer, seed: int = 1) -> FloatArray:
    return np.random.default_rng(seed).normal(size=layer.geometry.output_shape)


def forward_gather(
    geometry: Geometry, x: FloatArray, w: FloatArray, b: FloatArray,
    connectivity: Connectivity, activation: Activation,
) -> FloatArray:
    """An independent forward pass: pad by hand, gather every window by fancy indexing.

    Neuron (i, j)'s tap (a, c) reads padded cell (i*Sh + a*dh, j*Sw + c*dw): docs/design.md's
    receptive field written as index arithmetic, not as a sliding-window view.
    """
    s, p = geometry.shape, geometry.padding
    xp = np.pad(x, ((p.top, p.bottom), (p.left, p.right), (0, 0)))
    h2, w2, _ = geometry.output_shape
    rows = np.arange(h2)[:, None] * s.stride_h + np.arange(s.filter_height) * s.dilation_h
    cols = np.arange(w2)[:, None] * s.stride_w + np.arange(s.filter_width) * s.dilation_w
    windows = xp[rows[:, None, :, None], cols[None, :, None, :]]  # (H2, W2, Fh, Fw, D)
    if connectivity == "shared":
        pre = np.einsum("ijabc,kabc->ijk", windows, w) + b
    else:
        pre = np.einsum("ijabc,ijkabc->ijk", windows, w) + b
    out: FloatArray = np.maximum(pre, 0.0) if activation == "relu" else pre
    return out


def central_differences(
    loss: Callable[[FloatArray, FloatArray, FloatArray], float], layer: Layer, eps: float = 1e-6
) -> Gradients:
    """d loss / d(x, w, b) at the layer's values, entry by entry, by central differences."""
    arrays = [layer.x.copy(), layer.weights.copy(), layer.bias.copy()]
    grads = [np.zeros_like(a) for a in arrays]
    for array, grad in zip(arrays, grads, strict=True):
        for index in np.ndindex(array.shape):
            keep = array[index]
            array[index] = keep + eps
            plus = loss(*arrays)
            array[index] = keep - eps
            minus = loss(*arrays)
            array[index] = keep
            grad[index] = (plus - minus) / (2 * eps)
    return Gradients(*grads)


def numerical_gradients(layer: Layer, upstream: FloatArray) -> Gradients:
    """Central differences of L = sum(upstream * forward(x, w, b)) for every entry."""

    def loss(x: FloatArray, w: FloatArray, b: FloatArray) -> float:
        out = forward_gather(layer.geometry, x, w, b, layer.connectivity, layer.activation)
        return float(np.sum(upstream * out))

    return central_differences(loss, layer)


def assert_gradients_close(got: Gradients, want: Gradients, rtol: float, atol: float) -> None:
    np.testing.assert_allclose(got.dx, want.dx, rtol=rtol, atol=atol)
    np.testing.assert_allclose(got.dw, want.dw, rtol=rtol, atol=atol)
    np.testing.assert_allclose(got.db, want.db, rtol=rtol, atol=atol)


def pre_activation(layer: Layer) -> FloatArray:
    return forward_gather(
        layer.geometry, layer.x, layer.weights, layer.bias, layer.connectivity, "none"
    )


@pytest.mark.parametrize(("connectivity", "activation"), MODES)
@pytest.mark.parametrize("name", list(SHAPES))
def test_vectorised_backward_equals_naive_loops(
    name: str, connectivity: Connectivity, activation: Activation
) -> None:
    layer = random_layer(SHAPES[name], 3, connectivity, activation, bias_std=BIAS_STD)
    up = upstream_for(layer)
    fast, slow = backward(layer, up), backward_naive(layer, up)
    assert fast.dx.shape == layer.x.shape
    assert fast.dw.shape == layer.weights.shape
    assert fast.db.shape == layer.bias.shape
    assert_gradients_close(fast, slow, rtol=1e-10, atol=1e-12)


SUBSETS = [("dx",), ("dw",), ("db",), ("dx", "db"), ("dw", "db"), ("dx", "dw")]


@pytest.mark.parametrize("wanted", SUBSETS)
@pytest.mark.parametrize(("connectivity", "activation"), MODES)
@pytest.mark.parametrize("name", ["demo", "dilated", "wide-filter"])
def test_gradients_computes_the_parts_wanted_as_the_loops_do(
    name: str, connectivity: Connectivity, activation: Activation, wanted: tuple[str, ...]
) -> None:
    layer = random_layer(SHAPES[name], 11, connectivity, activation, bias_std=BIAS_STD)
    up = upstream_for(layer)
    got = gradients(layer, up, wanted)  # type: ignore[arg-type]
    slow = backward_naive(layer, up)
    assert sorted(got) == sorted(wanted)
    for part in wanted:
        np.testing.assert_allclose(got[part], getattr(slow, part), rtol=1e-10, atol=1e-12)  # type: ignore[index]


@pytest.mark.parametrize("connectivity", ["shared", "local"])
def test_gradients_runs_no_product_it_was_not_asked_for(
    connectivity: Connectivity, monkeypatch: pytest.MonkeyPatch
) -> None:
    # dX alone never runs dW's product, nor dW alone dX's; db alone runs neither
    module = importlib.import_module("engine.backward")
    ran: list[str] = []
    einsum = np.einsum

    def counted(name: str, work: Callable[..., FloatArray]) -> Callable[..., FloatArray]:
        def run(*args: object, **kwargs: object) -> FloatArray:
            ran.append(name)
            return work(*args, **kwargs)
        return run

    monkeypatch.setattr(module, "_shared_weight_gradient",
                        counted("dw", module._shared_weight_gradient))
    monkeypatch.setattr(module, "_shared_input_gradient",
                        counted("dx", module._shared_input_gradient))
    # the local products are two einsums, told apart by their subscripts
    local = {"ijk,ijabc->ijkabc": "dw", "ijk,ijkabc->ijabc": "dx"}
    monkeypatch.setattr(module.np, "einsum", lambda spec, *a, **k: (
        counted(local[spec], einsum) if spec in local else einsum)(spec, *a, **k))
    layer = random_layer(SHAPES["demo"], 3, connectivity, "relu", bias_std=BIAS_STD)
    up = upstream_for(layer)
    for wanted, runs in ((["dx"], ["dx"]), (["dw"], ["dw"]), (["db"], []),
                         (list(GRADIENTS), ["dw", "dx"])):
        ran.clear()
        gradients(layer, up, wanted)  # type: ignore[arg-type]
        assert sorted(ran) == runs, wanted


@pytest.mark.parametrize("band", [1, 40, 300])
@pytest.mark.parametrize("name", list(SHAPES))
def test_shared_backward_in_bands_of_output_rows_equals_naive_loops(
    name: str, band: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Real layers' products run band by band (one band is the tests' small layers' whole):
    # a buffer of a few elements makes one output row a band, and rows that straddle bands
    # must add up the same
    monkeypatch.setattr(importlib.import_module("engine.backward"), "BAND_ELEMENTS", band)
    layer = random_layer(SHAPES[name], 7, "shared", "relu", bias_std=BIAS_STD)
    up = upstream_for(layer)
    assert_gradients_close(backward(layer, up), backward_naive(layer, up), rtol=1e-10,
                           atol=1e-12)


@pytest.mark.parametrize(("connectivity", "activation"), MODES)
@pytest.mark.parametrize("name", ["demo", "rect-strides", "dilated", "fit-pad"])
def test_backward_equals_central_differences(
    name: str, connectivity: Connectivity, activation: Activation
) -> None:
    layer = random_layer(SHAPES[name], 5, connectivity, activation, bias_std=BIAS_STD)
    pre = pre_activation(layer)
    if activation == "relu":
        # The test only means something if ReLU both passes and blocks, and central
        # differences are only valid away from the kink at 0.
        assert (pre > 0).any() and (pre < 0).any()
        assert np.abs(pre).min() > 1e-3
    up = upstream_for(layer)
    expected = numerical_gradients(layer, up)
    for method in (backward, backward_naive):
        assert_gradients_close(method(layer, up), expected, rtol=1e-6, atol=1e-7)


def _correlate(x: FloatArray, k: FloatArray) -> FloatArray:
    """Valid cross-correlation of ``x`` (H, W, C) with ``k`` (Fh, Fw, C, O) at stride 1, in
    loops: out[y, z, o] = sum of x[y + r, z + s, c] * k[r, s, c, o]."""
    fh, fw, _, out_depth = k.shape
    rows, cols = x.shape[0] - fh + 1, x.shape[1] - fw + 1
    out = np.zeros((rows, cols, out_depth))
    for y in range(rows):
        for z in range(cols):
            out[y, z] = np.einsum("rsc,rsco->o", x[y:y + fh, z:z + fw], k)
    return out


@pytest.mark.parametrize("name", ["demo", "rect-strides", "stride-1", "wide-filter"])
def test_both_gradients_are_convolutions_again(name: str) -> None:
    # What the page's backward note says (the notes, #conv): with dV spread out by the
    # stride, dW[d] is the padded input correlated with its map d, and dX is that dV
    # convolved with each filter turned half a turn (correlated with it flipped).
    layer = random_layer(SHAPES[name], 3)
    up = upstream_for(layer)
    grads = backward(layer, up)
    g, (h2, w2, k) = layer.geometry, layer.geometry.output_shape
    sh, sw = g.height.stride, g.width.stride
    fh, fw = g.shape.filter_height, g.shape.filter_width
    spread = np.zeros(((h2 - 1) * sh + 1, (w2 - 1) * sw + 1, k))
    spread[::sh, ::sw] = up
    # dW[d][r, s, c] = sum over (y, z) of Xp[y + r, z + s, c] * spread[y, z, d]
    xp = np.asarray(layer.x_padded)
    dw = np.zeros_like(grads.dw)
    for r in range(fh):
        for s in range(fw):
            window = xp[r:r + spread.shape[0], s:s + spread.shape[1]]  # (., ., C)
            dw[:, r, s, :] = np.einsum("yzc,yzd->dc", window, spread)
    np.testing.assert_allclose(dw, grads.dw, atol=1e-12)
    # dXp = spread, padded by a filter less one each side, correlated with the flipped filters
    padded = np.pad(spread, ((fh - 1, fh - 1), (fw - 1, fw - 1), (0, 0)))
    flipped = layer.weights[:, ::-1, ::-1, :].transpose(1, 2, 0, 3)  # (Fh, Fw, K, D)
    dxp = _correlate(padded, flipped)
    p = g.padding
    full = np.zeros(g.padded_shape)
    full[: dxp.shape[0], : dxp.shape[1]] = dxp  # cells past the last window get nothing
    own = full[p.top : p.top + g.shape.height, p.left : p.left + g.shape.width]
    np.testing.assert_allclose(own, grads.dx, atol=1e-12)


def test_one_d_example_gradients_by_hand() -> None:
    # Padded input [0, 1, 2, -1, 1, -3, 0]; window j covers padded cells j..j+2.
    # dW[a] = sum_j up[j] * xp[j + a]; dx[n] = sum of the taps w[a] whose cell is n + 1.
    layer = one_d_layer(stride=1)
    up = np.array([1.0, 2, 3, 4, 5]).reshape(1, 5, 1)
    grads = backward(layer, up)
    # dW[0] = 1*0 + 2*1 + 3*2 + 4*(-1) + 5*1 = 9
    # dW[1] = 1*1 + 2*2 + 3*(-1) + 4*1 + 5*(-3) = -9
    # dW[2] = 1*2 + 2*(-1) + 3*1 + 4*(-3) + 5*0 = -9
    assert grads.dw.ravel().tolist() == [9.0, -9.0, -9.0]
    assert grads.db.tolist() == [15.0]
    # dx[n] = up[n+1]*w[0] + up[n]*w[1] + up[n-1]*w[2] (out-of-range terms absent)
    # = [2 - 0, 3 - 1, 4 - 2, 5 - 3, 0 - 4]
    assert grads.dx.ravel().tolist() == [2.0, 2.0, 2.0, 2.0, -4.0]


def test_one_d_stride_2_scatters_only_to_visited_windows() -> None:
    # Windows start at padded cells 0, 2, 4; up = [1, 10, 100].
    layer = one_d_layer(stride=2)
    grads = backward(layer, np.array([1.0, 10, 100]).reshape(1, 3, 1))
    # dx at original n (padded n+1): taps hitting it: window k, tap a with 2k + a = n + 1.
    # n=0: (k0,a1)->0; n=1: (k0,a2)->-1 , (k1,a0)->10; n=2: (k1,a1)->0;
    # n=3: (k1,a2)->-10, (k2,a0)->100; n=4: (k2,a1)->0
    assert grads.dx.ravel().tolist() == [0.0, 9.0, 0.0, 90.0, 0.0]
    # dW[a] = 1*xp[a] + 10*xp[2+a] + 100*xp[4+a] with xp = [0, 1, 2, -1, 1, -3, 0]
    assert grads.dw.ravel().tolist() == [0 + 20 + 100, 1 - 10 - 300, 2 + 10 + 0]


def test_fit_floor_leaves_unseen_input_cells_without_gradient() -> None:
    layer = random_layer(SHAPES["fit-floor"], 0, "shared", "none", bias_std=BIAS_STD)
    geometry = layer.geometry
    assert geometry.height.unseen  # the case is only interesting if some rows are dropped
    grads = backward(layer, upstream_for(layer))
    assert np.all(grads.dx[list(geometry.height.unseen), :, :] == 0)
    assert np.all(grads.dx[:, list(geometry.width.unseen), :] == 0)
    seen_rows = [r for r in range(layer.x.shape[0]) if r not in geometry.height.unseen]
    assert np.all(np.abs(grads.dx[seen_rows][:, seen_rows]).sum(axis=2) > 0)


def test_fit_pad_gradient_is_for_the_original_input() -> None:
    layer = random_layer(SHAPES["fit-pad"], 0, "shared", "none", bias_std=BIAS_STD)
    assert layer.geometry.height.extra_padding == 1  # (10 - 3)/2 + 1 = 4.5 -> 5 needs one row
    grads = backward(layer, upstream_for(layer))
    assert grads.dx.shape == (10, 10, 2)


def test_relu_with_every_neuron_off_gives_zero_gradients() -> None:
    shape = LayerShape.square(4, 2, 2, 3, padding=1)
    layer = build_layer(
        shape, input_fill=Fill("ones"), weight_fill=Fill("ones"),
        bias=np.array([-100.0, -100.0]), activation="relu",
    )
    grads = backward(layer, np.ones(layer.geometry.output_shape))
    assert not grads.dx.any() and not grads.dw.any() and not grads.db.any()


def test_relu_with_every_neuron_on_equals_no_activation() -> None:
    shape = LayerShape.square(4, 2, 2, 3, padding=1)
    kwargs = {"input_fill": Fill("ones"), "weight_fill": Fill("ones"), "bias": np.ones(2)}
    relu = backward(build_layer(shape, activation="relu", **kwargs), np.ones((4, 4, 2)))  # type: ignore[arg-type]
    none = backward(build_layer(shape, **kwargs), np.ones((4, 4, 2)))  # type: ignore[arg-type]
    np.testing.assert_array_equal(relu.dx, none.dx)
    np.testing.assert_array_equal(relu.dw, none.dw)


@pytest.mark.parametrize("bad", [np.ones((3, 3)), np.ones((3, 3, 3)), np.ones((2, 3, 2))])
def test_upstream_of_wrong_shape_is_refused_naming_upstream_values(bad: FloatArray) -> None:
    layer = random_layer(SHAPES["demo"], 0, "shared", "none", bias_std=BIAS_STD)
    for method in (backward, backward_naive):
        with pytest.raises(LayerError) as caught:
            method(layer, bad)
        assert caught.value.field == "upstream.values"
        assert "[3, 3, 2]" in caught.value.reason


def test_upstream_with_nan_is_refused() -> None:
    layer = random_layer(SHAPES["demo"], 0, "shared", "none", bias_std=BIAS_STD)
    up = np.ones((3, 3, 2))
    up[1, 1, 0] = np.nan
    with pytest.raises(LayerError) as caught:
        backward(layer, up)
    assert caught.value.field == "upstream.values"


# ----------------------------------------------------------------------------- steps


def positions(layer: Layer, order: str) -> list[tuple[int, int, int]]:
    """(i, j, d) of every step, written out from docs/design.md's definition of the orders."""
    h2, w2, k = layer.geometry.output_shape
    if order == "depth_slice":
        return [(i, j, d) for d in range(k) for i in range(h2) for j in range(w2)]
    return [(i, j, d) for i in range(h2) for j in range(w2) for d in range(k)]


def window_at(layer: Layer, i: int, j: int) -> FloatArray:
    s = layer.shape
    r, c = i * s.stride_h, j * s.stride_w
    return layer.x_padded[r : r + layer.geometry.height.span : s.dilation_h,
                          c : c + layer.geometry.width.span : s.dilation_w, :]


@pytest.mark.parametrize("activation", ["none", "relu"])
@pytest.mark.parametrize("order", ["depth_slice", "depth_column"])
@pytest.mark.parametrize("name", ["demo", "rect-strides", "dilated"])
def test_step_contribution_is_upstream_times_window(
    name: str, order: str, activation: Activation
) -> None:
    layer = random_layer(SHAPES[name], 2, "shared", activation, bias_std=BIAS_STD)
    up = upstream_for(layer)
    pre = pre_activation(layer)
    for t, (i, j, d) in enumerate(positions(layer, order)):
        gate = 1.0 if activation == "none" or pre[i, j, d] > 0 else 0.0
        expected = up[i, j, d] * gate * window_at(layer, i, j)
        got = weight_gradient_contribution(layer, up, t, order)  # type: ignore[arg-type]
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("connectivity", ["shared", "local"])
@pytest.mark.parametrize("order", ["depth_slice", "depth_column"])
def test_contributions_of_all_steps_add_up_to_dw(connectivity: Connectivity, order: str) -> None:
    layer = random_layer(SHAPES["rect-strides"], 4, connectivity, "relu", bias_std=BIAS_STD)
    up = upstream_for(layer)
    dw = backward_naive(layer, up).dw
    total = np.zeros_like(dw)
    for t, (i, j, d) in enumerate(positions(layer, order)):
        step = weight_gradient_contribution(layer, up, t, order)  # type: ignore[arg-type]
        if connectivity == "shared":
            total[d] += step
        else:
            total[i, j, d] += step
    np.testing.assert_allclose(total, dw, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("activation", ["none", "relu"])
@pytest.mark.parametrize("order", ["depth_slice", "depth_column"])
@pytest.mark.parametrize("name", ["demo", "rect-strides", "fit-pad"])
def test_running_sum_is_the_filters_steps_so_far_and_ends_at_dw(
    name: str, order: str, activation: Activation
) -> None:
    layer = random_layer(SHAPES[name], 6, "shared", activation, bias_std=BIAS_STD)
    up = upstream_for(layer)
    dw = backward_naive(layer, up).dw
    steps = positions(layer, order)
    so_far = np.zeros_like(dw)
    last_step = {d: t for t, (_, _, d) in enumerate(steps)}
    for t, (_, _, d) in enumerate(steps):
        so_far[d] += weight_gradient_contribution(layer, up, t, order)  # type: ignore[arg-type]
        running = weight_gradient_running(layer, up, t, order)  # type: ignore[arg-type]
        np.testing.assert_allclose(running, so_far[d], rtol=1e-10, atol=1e-12)
        if t == last_step[d]:
            np.testing.assert_allclose(running, dw[d], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("activation", ["none", "relu"])
@pytest.mark.parametrize("order", ["depth_slice", "depth_column"])
@pytest.mark.parametrize("name", ["demo", "rect-strides", "fit-pad"])
def test_running_db_ends_at_each_filters_db(name: str, order: str, activation: Activation) -> None:
    layer = random_layer(SHAPES[name], 6, "shared", activation, bias_std=BIAS_STD)
    up = upstream_for(layer)
    db = backward_naive(layer, up).db
    order_steps = positions(layer, order)
    last_step = {d: t for t, (_, _, d) in enumerate(order_steps)}
    found = steps(layer, 0, len(order_steps), order)  # type: ignore[arg-type]
    running = step_weight_gradients(layer, up, found).bias_running
    for d, t in last_step.items():
        assert running[t] == pytest.approx(db[d], rel=1e-10, abs=1e-12)


def brute_force_running(
    layer: Layer, up: FloatArray, order: str
) -> tuple[list[FloatArray], list[FloatArray], list[float]]:
    """Every step's own dW, its filter's dW so far and its db so far, one neuron at a time:
    the gate from a pre-activation summed here, the window sliced by hand, the sums kept
    per filter."""
    pre = pre_activation(layer)
    own, running, bias_running = [], [], []
    so_far: dict[int, FloatArray] = {}
    bias_so_far: dict[int, float] = {}
    for i, j, d in positions(layer, order):
        gate = 1.0 if layer.activation == "none" or pre[i, j, d] > 0 else 0.0
        mine = up[i, j, d] * gate * window_at(layer, i, j)
        own.append(mine)
        if layer.connectivity == "local":
            running.append(mine)
            bias_running.append(up[i, j, d] * gate)
            continue
        so_far[d] = so_far.get(d, 0.0) + mine
        bias_so_far[d] = bias_so_far.get(d, 0.0) + up[i, j, d] * gate
        running.append(so_far[d])
        bias_running.append(bias_so_far[d])
    return own, running, bias_running


@pytest.mark.parametrize("every", [1, 3, 7])
@pytest.mark.parametrize(("connectivity", "activation"), MODES)
@pytest.mark.parametrize("order", ["depth_slice", "depth_column"])
@pytest.mark.parametrize("name", ["demo", "rect-strides", "dilated", "fit-pad"])
def test_range_gradients_equal_a_brute_force_per_step_sum(
    name: str, order: str, connectivity: Connectivity, activation: Activation, every: int
) -> None:
    layer = random_layer(SHAPES[name], 8, connectivity, activation, bias_std=BIAS_STD)
    up = upstream_for(layer)
    own, running, bias_running = brute_force_running(layer, up, order)
    total = layer.geometry.steps
    for start in (0, 5, total // 2):
        found = steps(layer, start, 9, order, every)  # type: ignore[arg-type]
        got = step_weight_gradients(layer, up, found)
        for k, t in enumerate(found.t.tolist()):
            assert got.upstream[k] == up[found.i[k], found.j[k], found.d[k]]
            np.testing.assert_allclose(got.contribution[k], own[t], rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(got.running[k], running[t], rtol=1e-10, atol=1e-12)
            assert got.bias_running[k] == pytest.approx(bias_running[t], rel=1e-10, abs=1e-12)


def test_running_sums_walked_in_small_chunks_equal_the_brute_force(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A chunk of 40 numbers holds 3 of these 12-number windows: positions 0 to 12 take 5.
    # (engine.backward the attribute is the function; the module is looked up by name.)
    monkeypatch.setattr(importlib.import_module("engine.backward"), "_CHUNK_ELEMENTS", 40)
    layer = random_layer(SHAPES["rect-strides"], 10, "shared", "relu", bias_std=BIAS_STD)
    up = upstream_for(layer)
    own, running, bias_running = brute_force_running(layer, up, "depth_column")
    found = steps(layer, 3, 12, "depth_column", every=2)
    got = step_weight_gradients(layer, up, found)
    for k, t in enumerate(found.t.tolist()):
        np.testing.assert_allclose(got.contribution[k], own[t], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(got.running[k], running[t], rtol=1e-10, atol=1e-12)
        assert got.bias_running[k] == pytest.approx(bias_running[t], rel=1e-10, abs=1e-12)


def test_running_sum_for_local_connectivity_is_the_steps_own_contribution() -> None:
    layer = random_layer(SHAPES["demo"], 7, "local", "none", bias_std=BIAS_STD)
    up = upstream_for(layer)
    dw = backward(layer, up).dw
    for t, (i, j, d) in enumerate(positions(layer, "depth_column")):
        running = weight_gradient_running(layer, up, t, "depth_column")
        np.testing.assert_allclose(running, dw[i, j, d], rtol=1e-12, atol=1e-12)


def test_depth_column_order_visits_every_filter_before_moving() -> None:
    # Step 1 in depth_column order is filter 1 at (0, 0); in depth_slice order, filter 0 at (0, 1).
    layer = build_layer(LayerShape.square(5, 3, 2, 3, stride=2, padding=1))
    up = np.zeros((3, 3, 2))
    up[0, 0, 1] = 1.0
    np.testing.assert_array_equal(
        weight_gradient_contribution(layer, up, 1, "depth_column"), layer.x_padded[0:3, 0:3, :]
    )
    assert not weight_gradient_contribution(layer, up, 1, "depth_slice").any()


@pytest.mark.parametrize("t", [-1, 18, 1000])
def test_step_outside_the_trace_is_refused(t: int) -> None:
    layer = build_layer(LayerShape.square(5, 3, 2, 3, stride=2, padding=1))  # 3*3*2 = 18 steps
    with pytest.raises(LayerError) as caught:
        weight_gradient_running(layer, np.ones((3, 3, 2)), t)
    assert caught.value.field == "start"
    assert "0 to 17" in caught.value.reason


def test_unknown_order_is_refused() -> None:
    layer = build_layer(LayerShape.square(5, 3, 2, 3, stride=2, padding=1))
    with pytest.raises(LayerError) as caught:
        weight_gradient_contribution(layer, np.ones((3, 3, 2)), 0, "zigzag")  # type: ignore[arg-type]
    assert caught.value.field == "order"


@pytest.mark.parametrize(("connectivity", "activation"), MODES)
def test_backward_is_the_gradient_of_engine_conv_forward(
    connectivity: Connectivity, activation: Activation
) -> None:
    # Same check as above, but the loss goes through engine.conv.forward, so backward and the
    # forward the page shows agree on the layer (padding, strides, ReLU gate).
    layer = random_layer(SHAPES["rect-strides"], 8, connectivity, activation, bias_std=BIAS_STD)
    up = upstream_for(layer)

    def loss(x: FloatArray, w: FloatArray, b: FloatArray) -> float:
        changed = build_layer(layer.shape, x=x, weights=w, bias=b,
                              connectivity=connectivity, activation=activation)
        return float(np.sum(up * forward(changed).post))

    assert_gradients_close(
        backward(layer, up), central_differences(loss, layer), rtol=1e-6, atol=1e-7
    )


@pytest.mark.parametrize("connectivity", ["shared", "local"])
@pytest.mark.parametrize("name", ["demo", "rect-strides", "dilated"])
def test_relu_gradients_are_zero_where_a_whole_number_sum_is_exactly_zero(
    name: str, connectivity: Connectivity
) -> None:
    # The page's layers are whole numbers (the default fills), so many neurons sum to exactly
    # 0, where ReLU's gradient is 0 (backward_naive's pre <= 0). A gate written "pre >= 0"
    # in the steps' running sums was caught by no test of normal floats, which never tie.
    layer = build_layer(SHAPES[name], input_fill=Fill("integers", low=0, high=1),
                        bias_fill=Fill("integers", low=0, high=0), connectivity=connectivity,
                        activation="relu")
    pre = pre_activation(layer)
    assert (pre == 0).sum() >= 2, "the layer must have neurons whose sum is exactly 0"
    up = upstream_for(layer)
    want = backward_naive(layer, up)
    assert_gradients_close(backward(layer, up), want, rtol=1e-12, atol=1e-12)
    for order in ("depth_slice", "depth_column"):
        own, running, bias_running = brute_force_running(layer, up, order)
        found = steps(layer, 0, layer.geometry.steps, order)  # type: ignore[arg-type]
        got = step_weight_gradients(layer, up, found)
        for k in range(len(found)):
            np.testing.assert_allclose(got.contribution[k], own[k], rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(got.running[k], running[k], rtol=1e-10, atol=1e-12)
            # a tie's gate shuts the db sum too
            assert got.bias_running[k] == pytest.approx(bias_running[k], rel=1e-10, abs=1e-12)


@pytest.mark.parametrize("seed", range(8))
def test_random_layers_backward_and_step_gradients_equal_the_loops(seed: int) -> None:
    # Seeded random shapes beside the fixed SHAPES: sizes, oblong filters, strides, dilations,
    # padding on each side, fit policies, both connectivities and activations
    rng = np.random.default_rng(6000 + seed)
    while True:
        h, w = (int(v) for v in rng.integers(2, 13, 2))
        fh, fw = (int(v) for v in rng.integers(1, 5, 2))
        sh, sw, dh, dw = (int(v) for v in rng.integers(1, [4, 4, 3, 3]))
        shape = LayerShape(h, w, int(rng.integers(1, 4)), int(rng.integers(1, 4)), fh, fw,
                           stride_h=sh, stride_w=sw, dilation_h=dh, dilation_w=dw,
                           padding=Padding(*(int(v) for v in rng.integers(0, 3, 4))),
                           fit=str(rng.choice(["error", "floor", "pad"])))  # type: ignore[arg-type]
        connectivity, activation = MODES[int(rng.integers(len(MODES)))]
        try:
            layer = random_layer(shape, seed, connectivity, activation, bias_std=BIAS_STD)
        except LayerError:
            continue
        break
    up = upstream_for(layer, seed)
    assert_gradients_close(backward(layer, up), backward_naive(layer, up), rtol=1e-10, atol=1e-12)
    order = str(rng.choice(["depth_slice", "depth_column"]))
    own, running, bias_running = brute_force_running(layer, up, order)
    total = layer.geometry.steps
    found = steps(layer, int(rng.integers(total)), 20, order, int(rng.integers(1, 4)))  # type: ignore[arg-type]
    got = step_weight_gradients(layer, up, found)
    for k, t in enumerate(found.t.tolist()):
        np.testing.assert_allclose(got.contribution[k], own[t], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(got.running[k], running[t], rtol=1e-10, atol=1e-12)
        assert got.bias_running[k] == pytest.approx(bias_running[t], rel=1e-10, abs=1e-12)
