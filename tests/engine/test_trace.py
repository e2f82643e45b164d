"""Tests for engine/trace.py: step numbering, single steps, ranges, expressions, the inverse.

Expectations come from the notes, hand arithmetic and naive loops written here, never from
the code under test.
"""

from __future__ import annotations

import itertools
from dataclasses import FrozenInstanceError, fields, replace
from functools import partial
from typing import Any

import numpy as np
import pytest
from engine_helpers import random_layer as make_random_layer

from engine.conv import forward
from engine.errors import LayerError
from engine.geometry import LayerShape, Padding, resolve
from engine.layer import Layer, build_layer
from engine.trace import (
    MAX_STEPS,
    ORDERS,
    Order,
    Step,
    expression,
    inverse,
    step,
    step_number,
    step_position,
    steps,
)

# Seeded normal floats with weights and biases from seeds of their own: no ties or zeros
# that could hide a wrong index. (The fixture below is called random_layer, hence the alias.)
_layer = partial(make_random_layer, seed_step=100)


# Small layers covering every geometry feature: per-side padding, unequal strides, dilation,
# non-square inputs and filters, fit policies, local connectivity, ReLU.
RANDOM_LAYERS = {
    "square-p1": lambda: _layer(LayerShape.square(7, 3, 2, 3, stride=1, padding=1), 1),
    "notes-11x11x4": lambda: _layer(LayerShape.square(11, 4, 2, 5, stride=2), 2),
    "non-square-per-side-padding": lambda: _layer(
        LayerShape(9, 6, 2, 3, 3, 2, stride_h=2, stride_w=1, padding=Padding(2, 0, 0, 1)), 3
    ),
    "dilated": lambda: _layer(
        LayerShape(9, 10, 2, 2, 3, 2, stride_h=1, stride_w=2, padding=Padding(1, 1, 2, 0),
                   dilation_h=2, dilation_w=3), 4
    ),
    "fit-pad": lambda: _layer(LayerShape.square(10, 2, 3, 3, stride=2, fit="pad"), 5),
    "fit-floor": lambda: _layer(LayerShape.square(10, 2, 2, 3, stride=2, fit="floor"), 6),
    "local-relu": lambda: _layer(
        LayerShape(6, 5, 3, 2, 3, 2, stride_h=1, stride_w=1, padding=Padding(1, 0, 1, 1)), 7,
        connectivity="local", activation="relu",
    ),
    # Padding wider than the filter: windows wholly in the top, bottom, left or right padding.
    "padding-wider-than-filter": lambda: _layer(
        LayerShape(3, 4, 1, 2, 2, 2, padding=Padding(3, 4, 3, 2), dilation_w=2), 9
    ),
    "shared-relu-dilated-padded": lambda: _layer(
        LayerShape.square(8, 2, 3, 3, stride=2, padding=2, dilation=2, fit="floor"), 8,
        activation="relu",
    ),
}


@pytest.fixture(params=sorted(RANDOM_LAYERS))
def random_layer(request: pytest.FixtureRequest) -> Layer:
    return RANDOM_LAYERS[request.param]()


def _padded(layer: Layer) -> np.ndarray:
    """The zero-padded input, built by hand rather than with layer.x_padded."""
    g = layer.geometry
    s, p = g.shape, g.padding
    xp = np.zeros((s.height + p.top + p.bottom, s.width + p.left + p.right, s.depth))
    xp[p.top : p.top + s.height, p.left : p.left + s.width] = layer.x
    return xp


def _naive_pre(layer: Layer) -> np.ndarray:
    """The notes' loops, scalar by scalar: (H2, W2, K) before the activation."""
    g = layer.geometry
    s = g.shape
    xp = _padded(layer)
    h2, w2, k = g.output_shape
    out = np.zeros((h2, w2, k))
    for i, j, d in itertools.product(range(h2), range(w2), range(k)):
        w = layer.weights[d] if layer.connectivity == "shared" else layer.weights[i, j, d]
        total = layer.bias[d] if layer.connectivity == "shared" else layer.bias[i, j, d]
        for a, b, c in itertools.product(
            range(s.filter_height), range(s.filter_width), range(s.depth)
        ):
            total += xp[i * s.stride_h + a * s.dilation_h, j * s.stride_w + b * s.dilation_w, c] * (
                w[a, b, c]
            )
        out[i, j, d] = total
    return out


def _all_steps(layer: Layer, order: Order) -> list[Step]:
    return [step(layer, t, order) for t in range(layer.geometry.steps)]


# ----------------------------------------------------------------------------- numbering


def test_depth_slice_order_walks_filter_zero_row_major_before_filter_one() -> None:
    g = resolve(LayerShape.square(5, 3, 2, 3, stride=2, padding=1))  # output 3x3x2
    got = [step_position(g, t, "depth_slice") for t in range(18)]
    want = [(i, j, 0) for i in range(3) for j in range(3)]
    want += [(i, j, 1) for i in range(3) for j in range(3)]
    assert got == want


def test_depth_column_order_visits_every_filter_at_a_position_before_moving_on() -> None:
    g = resolve(LayerShape.square(5, 3, 2, 3, stride=2, padding=1))
    got = [step_position(g, t, "depth_column") for t in range(18)]
    want = [(i, j, d) for i in range(3) for j in range(3) for d in range(2)]
    assert got == want


@pytest.mark.parametrize("order", ORDERS)
def test_step_number_inverts_step_position_for_every_step(
    random_layer: Layer, order: Order
) -> None:
    g = random_layer.geometry
    seen = set()
    for t in range(g.steps):
        i, j, d = step_position(g, t, order)
        assert step_number(g, i, j, d, order) == t
        seen.add((i, j, d))
    h2, w2, k = g.output_shape
    assert seen == set(itertools.product(range(h2), range(w2), range(k)))


@pytest.mark.parametrize("t", [-1, 18, 1000])
def test_step_out_of_range_is_refused_naming_start_and_the_valid_range(t: int) -> None:
    g = resolve(LayerShape.square(5, 3, 2, 3, stride=2, padding=1))
    with pytest.raises(LayerError) as caught:
        step_position(g, t, "depth_slice")
    assert caught.value.field == "start"
    assert "0 to 17" in caught.value.reason
    assert str(t) in caught.value.reason


def test_step_number_refuses_a_position_outside_the_output() -> None:
    g = resolve(LayerShape.square(5, 3, 2, 3, stride=2, padding=1))
    with pytest.raises(LayerError) as caught:
        step_number(g, 0, 3, 0, "depth_slice")
    assert caught.value.field == "position.1"  # j: the output is 3x3x2
    assert "j = 3 is out of range" in caught.value.reason
    assert "j runs from 0 to 2" in caught.value.reason


def test_unknown_order_is_refused_naming_order() -> None:
    layer = build_layer(LayerShape.square(5, 3, 2, 3, stride=2, padding=1))
    with pytest.raises(LayerError) as caught:
        step(layer, 0, "zigzag")  # type: ignore[arg-type]
    assert caught.value.field == "order"


def test_alexnet_conv1_has_290400_steps_and_ends_at_54_54_95() -> None:
    layer = build_layer(LayerShape.square(227, 3, 96, 11, stride=4))
    g = layer.geometry
    assert g.steps == 55 * 55 * 96 == 290_400
    for order in ORDERS:
        assert step_position(g, 290_399, order) == (54, 54, 95)
    last = step(layer, 290_399)
    by_hand = np.sum(layer.x[216:227, 216:227, :] * layer.weights[95]) + layer.bias[95]
    assert last.row_start == 216 and last.row_stop == 227
    assert last.pre == pytest.approx(by_hand, rel=1e-12)
    assert last.expression == "V[54,54,95] = np.sum(X[216:227,216:227,:] * W95) + b95"


# ----------------------------------------------------------------------------- single steps


@pytest.mark.parametrize("order", ORDERS)
def test_every_step_sums_its_products_plus_bias_and_all_steps_reassemble_the_output(
    random_layer: Layer, order: Order
) -> None:
    want = _naive_pre(random_layer)
    got = np.full(random_layer.geometry.output_shape, np.nan)
    for s in _all_steps(random_layer, order):
        assert s.products.sum() + s.bias == pytest.approx(s.pre, rel=1e-12, abs=1e-12)
        np.testing.assert_allclose(s.channel_sums, s.products.sum(axis=(0, 1)), rtol=1e-12)
        assert s.post == (max(s.pre, 0.0) if random_layer.activation == "relu" else s.pre)
        got[s.i, s.j, s.d] = s.pre
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("order", ORDERS)
def test_a_steps_sums_add_its_products_one_by_one_in_the_order_shown(
    random_layer: Layer, order: Order
) -> None:
    # exactly (==) what a person adding the shown products left to right gets: each channel
    # sum runs over the window row by row, and pre adds the channel sums in order
    for s in _all_steps(random_layer, order):
        fh, fw, depth = s.products.shape
        by_hand = []
        for c in range(depth):
            total = 0.0
            for r in range(fh):
                for q in range(fw):
                    total += float(s.products[r, q, c])
            by_hand.append(total)
        assert s.channel_sums.tolist() == by_hand
        pre = 0.0
        for total in by_hand:
            pre += total
        # a sum rounding cannot tell from 0 is settled to 0 (engine.rounding)
        assert s.pre in (pre + s.bias, 0.0)


def test_a_step_whose_products_cancel_sums_them_in_the_order_shown() -> None:
    # products [1e12, -1e12, 0.1] along one row: left to right, 1e12 - 1e12 is exactly 0 and
    # the sum 0.1; a reduction adding 1e12 + 0.1 first kept 0.0999755859375
    layer = build_layer(LayerShape(1, 3, 1, 1, 1, 3),
                        x=np.array([[1e12], [-1e12], [0.1]]).reshape(1, 3, 1),
                        weights=np.ones((1, 1, 3, 1)), bias=np.zeros(1))
    one = step(layer, 0)
    assert one.products.ravel().tolist() == [1e12, -1e12, 0.1]
    assert one.channel_sums.tolist() == [0.1]
    assert one.pre == 0.1 == float(forward(layer).pre[0, 0, 0])


def test_steps_reassembled_equal_engine_conv_forward(random_layer: Layer) -> None:
    result = forward(random_layer)
    pre = np.full(random_layer.geometry.output_shape, np.nan)
    post = np.full(random_layer.geometry.output_shape, np.nan)
    for s in _all_steps(random_layer, "depth_column"):
        pre[s.i, s.j, s.d], post[s.i, s.j, s.d] = s.pre, s.post
    np.testing.assert_allclose(pre, result.pre, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(post, result.post, rtol=1e-10, atol=1e-12)


def test_step_window_and_weights_are_the_padded_slice_and_the_neurons_filter(
    random_layer: Layer,
) -> None:
    sh = random_layer.geometry.shape
    xp = _padded(random_layer)
    for s in _all_steps(random_layer, "depth_slice"):
        rows = [s.i * sh.stride_h + a * sh.dilation_h for a in range(sh.filter_height)]
        cols = [s.j * sh.stride_w + b * sh.dilation_w for b in range(sh.filter_width)]
        np.testing.assert_array_equal(s.window, xp[np.ix_(rows, cols)])
        assert (s.row_start, s.row_stop - 1, s.row_step) == (rows[0], rows[-1], sh.dilation_h)
        assert (s.col_start, s.col_stop - 1, s.col_step) == (cols[0], cols[-1], sh.dilation_w)
        if random_layer.connectivity == "local":
            np.testing.assert_array_equal(s.weights, random_layer.weights[s.i, s.j, s.d])
            assert s.bias == random_layer.bias[s.i, s.j, s.d]
        else:
            np.testing.assert_array_equal(s.weights, random_layer.weights[s.d])
            assert s.bias == random_layer.bias[s.d]


def test_padding_mask_and_input_field_pick_exactly_the_non_padding_taps(
    random_layer: Layer,
) -> None:
    sh, p = random_layer.geometry.shape, random_layer.geometry.padding
    for s in _all_steps(random_layer, "depth_slice"):
        rows = [s.row_start + a * sh.dilation_h - p.top for a in range(sh.filter_height)]
        cols = [s.col_start + b * sh.dilation_w - p.left for b in range(sh.filter_width)]
        want_mask = np.array(
            [[not (0 <= r < sh.height and 0 <= c < sh.width) for c in cols] for r in rows]
        )
        np.testing.assert_array_equal(s.padding_mask, want_mask)
        assert (s.window[s.padding_mask] == 0).all()
        inside_rows = [r for r in rows if 0 <= r < sh.height]
        inside_cols = [c for c in cols if 0 <= c < sh.width]
        if not inside_rows or not inside_cols:
            assert s.input_rows is None and s.input_cols is None
            continue
        assert s.input_rows == (inside_rows[0], inside_rows[-1] + 1, sh.dilation_h)
        assert s.input_cols == (inside_cols[0], inside_cols[-1] + 1, sh.dilation_w)
        # The bounds' slice reads exactly the window's non-padding values.
        seen = random_layer.x[slice(*s.input_rows), slice(*s.input_cols), :]
        np.testing.assert_array_equal(seen, s.window[~s.padding_mask].reshape(seen.shape))


def test_cs231n_demo_corner_step_masks_the_first_row_and_column_of_padding() -> None:
    layer = build_layer(LayerShape.square(5, 3, 2, 3, stride=2, padding=1))
    first = step(layer, 0)
    assert first.padding_mask.tolist() == [
        [True, True, True],
        [True, False, False],
        [True, False, False],
    ]
    assert (first.input_rows, first.input_cols) == ((0, 2, 1), (0, 2, 1))
    last_of_filter_zero = step(layer, 8)  # (2, 2, 0): the bottom-right corner
    assert last_of_filter_zero.padding_mask.tolist() == [
        [False, False, True],
        [False, False, True],
        [True, True, True],
    ]
    assert (last_of_filter_zero.input_rows, last_of_filter_zero.input_cols) == (
        (3, 5, 1), (3, 5, 1)
    )


def test_field_wholly_in_padding_has_no_input_bounds() -> None:
    layer = build_layer(LayerShape.square(3, 1, 1, 2, stride=1, padding=2))
    corner = step(layer, 0)  # padded rows 0:2 are original rows -2, -1
    assert corner.input_rows is None and corner.input_cols is None
    assert corner.padding_mask.all() and corner.pre == corner.bias


def test_dilated_field_whose_taps_straddle_the_input_holds_no_input_cell() -> None:
    # Padded 5 wide, taps at padded 0 and 4 = original -1 and 3: both in the padding.
    layer = build_layer(LayerShape.square(3, 1, 1, 2, stride=1, padding=1, dilation=4))
    only = step(layer, 0)
    assert only.input_rows is None and only.padding_mask.all()


def test_a_layers_windows_view_is_made_once_read_only_and_holds_each_field() -> None:
    layer = build_layer(LayerShape.square(5, 3, 2, 3, stride=2, padding=1))
    view = layer.windows
    assert layer.windows is view  # cached: steps of one layer share it
    assert view.shape == (3, 3, 3, 3, 3) and not view.flags.writeable
    np.testing.assert_array_equal(view[1, 2], _padded(layer)[2:5, 4:7, :])


def test_step_arrays_are_read_only() -> None:
    layer = build_layer(LayerShape.square(5, 3, 2, 3, stride=2, padding=1))
    s = step(layer, 4)
    with pytest.raises(ValueError, match="read-only"):
        s.window[0, 0, 0] = 99.0
    assert not layer.x_padded.flags.writeable  # as every array of a layer (engine.layer)
    # a range's step numbers and positions too (they were writable beside its read-only
    # numbers): every array of a range is a snapshot
    found = steps(layer, 2, 5)
    for name in ("t", "i", "j", "d", "row_start", "col_start"):
        with pytest.raises(ValueError, match="read-only"):
            getattr(found, name)[0] = 7


def test_a_layers_padding_windows_mark_each_fields_padding() -> None:
    # padding 2 on top, 0 at the bottom, 1 left and right: 7x5 padded, 3x3 windows, stride 2,
    # a 3x2 output
    layer = build_layer(LayerShape(5, 3, 1, 1, 3, 3, 2, 2, Padding(2, 0, 1, 1)))
    view = layer.padding_windows
    assert layer.padding_windows is view and not view.flags.writeable
    assert view.shape == (3, 2, 3, 3)
    assert view[0, 0].astype(int).tolist() == [[1, 1, 1], [1, 1, 1], [1, 0, 0]]
    assert view[2, 1].astype(int).tolist() == [[0, 0, 1], [0, 0, 1], [0, 0, 1]]


def test_steps_and_ranges_are_frozen_and_hold_every_field() -> None:
    layer = build_layer(LayerShape.square(5, 3, 2, 3, stride=2, padding=1))
    found = steps(layer, 3, 4)
    for made in (found, found.item(1), step(layer, 4)):
        assert set(vars(made)) == {f.name for f in fields(made)}
        with pytest.raises(FrozenInstanceError):
            made.order = "depth_column"  # type: ignore[misc]


# ----------------------------------------------------------------------------- ranges


@pytest.mark.parametrize("order", ORDERS)
def test_steps_range_equals_single_steps_one_by_one(random_layer: Layer, order: Order) -> None:
    total = random_layer.geometry.steps
    for start in range(0, total, 7):
        batch = steps(random_layer, start, 7, order)
        assert len(batch) == min(7, total - start)
        for k, got in enumerate(batch):
            want = step(random_layer, start + k, order)
            assert (got.t, got.order, got.i, got.j, got.d) == (
                want.t, want.order, want.i, want.j, want.d,
            )
            assert (got.row_start, got.row_stop, got.row_step) == (
                want.row_start, want.row_stop, want.row_step,
            )
            assert (got.col_start, got.col_stop, got.col_step) == (
                want.col_start, want.col_stop, want.col_step,
            )
            assert (got.input_rows, got.input_cols) == (want.input_rows, want.input_cols)
            assert got.expression == want.expression
            np.testing.assert_array_equal(got.padding_mask, want.padding_mask)
            np.testing.assert_array_equal(got.window, want.window)
            np.testing.assert_array_equal(got.weights, want.weights)
            np.testing.assert_array_equal(got.products, want.products)
            np.testing.assert_allclose(got.channel_sums, want.channel_sums, rtol=1e-13)
            assert got.bias == want.bias
            assert got.pre == pytest.approx(want.pre, rel=1e-13, abs=1e-13)
            assert got.post == pytest.approx(want.post, rel=1e-13, abs=1e-13)


@pytest.mark.parametrize("every", [2, 3, 5, 13])
@pytest.mark.parametrize("order", ORDERS)
def test_every_nth_range_equals_single_steps_and_the_naive_loops_at_those_t(
    random_layer: Layer, order: Order, every: int
) -> None:
    total = random_layer.geometry.steps
    want_pre = _naive_pre(random_layer)
    xp = _padded(random_layer)
    sh = random_layer.geometry.shape
    for start in (0, 1, total // 3, total - 1):
        batch = steps(random_layer, start, 7, order, every)
        wanted = list(range(start, min(start + 7 * every, total), every))  # the naive range
        assert batch.t.tolist() == wanted and batch.every == every
        for got, t in zip(batch, wanted, strict=True):
            want = step(random_layer, t, order)
            assert (got.t, got.i, got.j, got.d) == (t, want.i, want.j, want.d)
            assert (got.i, got.j, got.d) == _naive_position(random_layer, t, order)
            assert (got.row_start, got.col_start) == (want.row_start, want.col_start)
            assert (got.input_rows, got.input_cols) == (want.input_rows, want.input_cols)
            assert got.expression == want.expression
            np.testing.assert_array_equal(got.padding_mask, want.padding_mask)
            np.testing.assert_array_equal(got.products, want.products)
            rows = [got.i * sh.stride_h + a * sh.dilation_h for a in range(sh.filter_height)]
            cols = [got.j * sh.stride_w + b * sh.dilation_w for b in range(sh.filter_width)]
            np.testing.assert_array_equal(got.window, xp[np.ix_(rows, cols)])
            assert got.pre == pytest.approx(want_pre[got.i, got.j, got.d], rel=1e-12, abs=1e-12)
            assert got.post == want.post


def _naive_position(layer: Layer, t: int, order: Order) -> tuple[int, int, int]:
    """Step t's neuron, found by walking the order as docs/design.md defines it."""
    h2, w2, k = layer.geometry.output_shape
    if order == "depth_slice":
        walk = [(i, j, d) for d in range(k) for i in range(h2) for j in range(w2)]
    else:
        walk = [(i, j, d) for i in range(h2) for j in range(w2) for d in range(k)]
    return walk[t]


def test_every_fifth_step_of_the_cs231n_demo_by_hand() -> None:
    layer = build_layer(LayerShape.square(5, 3, 2, 3, stride=2, padding=1))  # 3x3x2: 18 steps
    # t = 1, 6, 11, 16. depth_slice: t = d*9 + i*3 + j; depth_column: t = (i*3 + j)*2 + d.
    by_slice = steps(layer, 1, 4, "depth_slice", every=5)
    assert list(zip(by_slice.i.tolist(), by_slice.j.tolist(), by_slice.d.tolist(),
                    strict=True)) == [(0, 1, 0), (2, 0, 0), (0, 2, 1), (2, 1, 1)]
    by_column = steps(layer, 1, 4, "depth_column", every=5)
    assert list(zip(by_column.i.tolist(), by_column.j.tolist(), by_column.d.tolist(),
                    strict=True)) == [(0, 0, 1), (1, 0, 0), (1, 2, 1), (2, 2, 0)]
    # Step 6 in depth_slice order is (2, 0, 0): padded rows 4:7, columns 0:3.
    assert by_slice.item(1).expression == "V[2,0,0] = np.sum(Xp[4:7,:3,:] * W0) + b0"
    assert by_slice.item(1).pre == pytest.approx(
        float(np.sum(layer.x_padded[4:7, 0:3, :] * layer.weights[0]) + layer.bias[0])
    )
    # Asking for more than the trace holds stops at its end: 2, 5, ..., 17.
    assert steps(layer, 2, 100, every=3).t.tolist() == [2, 5, 8, 11, 14, 17]


def test_a_dilated_steps_input_bounds_carry_the_dilation() -> None:
    # 5 wide, F=3, dilation 2, padding 1: position 0's taps sit at original -1, 1 and 3, so
    # taps 1 and 2 read X[1] and X[3]: (1, 4, 2), not the rows 1 to 3.
    layer = build_layer(LayerShape.square(5, 1, 1, 3, stride=1, padding=1, dilation=2))
    first = step(layer, 0)
    assert (first.input_rows, first.input_cols) == ((1, 4, 2), (1, 4, 2))
    assert first.padding_mask[0].all() and not first.padding_mask[1:, 1:].any()
    assert layer.x[1:4:2, 1:4:2, 0].tolist() == first.window[1:, 1:, 0].tolist()


def test_steps_refuses_every_below_one_naming_every() -> None:
    layer = build_layer(LayerShape.square(5, 3, 2, 3, stride=2, padding=1))
    with pytest.raises(LayerError) as caught:
        steps(layer, 0, 3, every=0)
    assert caught.value.field == "every"


def test_steps_range_arrays_have_a_leading_step_axis() -> None:
    layer = build_layer(LayerShape.square(227, 3, 96, 11, stride=4))
    batch = steps(layer, 1000, MAX_STEPS, "depth_column")
    assert batch.window.shape == (1000, 11, 11, 3)
    assert batch.products.shape == batch.weights.shape == (1000, 11, 11, 3)
    assert batch.channel_sums.shape == (1000, 3)
    assert batch.padding_mask.shape == (1000, 11, 11)
    assert batch.pre.shape == batch.post.shape == batch.bias.shape == (1000,)
    # Step 1000 in depth-column order is filter 1000 % 96 = 40 at position 1000 // 96 = 10.
    assert (batch.i[0], batch.j[0], batch.d[0]) == (0, 10, 40)
    full = forward(layer).pre
    np.testing.assert_allclose(batch.pre, full[batch.i, batch.j, batch.d], rtol=1e-10)


def test_steps_count_is_clipped_at_the_end_of_the_trace() -> None:
    layer = build_layer(LayerShape.square(5, 3, 2, 3, stride=2, padding=1))  # 18 steps
    batch = steps(layer, 15, 10)
    assert batch.t.tolist() == [15, 16, 17]
    assert batch.total == 18 and batch.start == 15


@pytest.mark.parametrize(("start", "count", "field"), [
    (0, 0, "count"), (0, -3, "count"), (0, MAX_STEPS + 1, "count"),
    (18, 1, "start"), (-1, 1, "start"),
])
def test_steps_refuses_bad_count_or_start_naming_the_field(
    start: int, count: int, field: str
) -> None:
    layer = build_layer(LayerShape.square(5, 3, 2, 3, stride=2, padding=1))
    with pytest.raises(LayerError) as caught:
        steps(layer, start, count)
    assert caught.value.field == field


# ----------------------------------------------------------------------------- expressions

NOTES_LINES = {
    (0, 0, 0): "V[0,0,0] = np.sum(X[:5,:5,:] * W0) + b0",
    (1, 0, 0): "V[1,0,0] = np.sum(X[2:7,:5,:] * W0) + b0",
    (2, 0, 0): "V[2,0,0] = np.sum(X[4:9,:5,:] * W0) + b0",
    (3, 0, 0): "V[3,0,0] = np.sum(X[6:11,:5,:] * W0) + b0",
    (0, 0, 1): "V[0,0,1] = np.sum(X[:5,:5,:] * W1) + b1",
    (1, 0, 1): "V[1,0,1] = np.sum(X[2:7,:5,:] * W1) + b1",
    (2, 0, 1): "V[2,0,1] = np.sum(X[4:9,:5,:] * W1) + b1",
    (3, 0, 1): "V[3,0,1] = np.sum(X[6:11,:5,:] * W1) + b1",
    (0, 1, 1): "V[0,1,1] = np.sum(X[:5,2:7,:] * W1) + b1",
    (2, 3, 1): "V[2,3,1] = np.sum(X[4:9,6:11,:] * W1) + b1",
}


def _notes_layer() -> Layer:
    # X.shape (11,11,4), F=5, S=2, P=0, two filters (the notes compute W0 and W1).
    return _layer(LayerShape.square(11, 4, 2, 5, stride=2), 11)


def test_notes_numpy_example_expressions_come_out_exactly_as_printed() -> None:
    layer = _notes_layer()
    for (i, j, d), line in NOTES_LINES.items():
        assert expression(layer, i, j, d) == line
        t = step_number(layer.geometry, i, j, d, "depth_slice")
        assert step(layer, t).expression == line


def test_notes_expressions_evaluated_against_x_w0_b0_give_the_output() -> None:
    layer = _notes_layer()
    want = _naive_pre(layer)
    names = {
        "np": np, "X": layer.x,
        "W0": layer.weights[0], "b0": layer.bias[0],
        "W1": layer.weights[1], "b1": layer.bias[1],
    }
    for (i, j, d), line in NOTES_LINES.items():
        target, right = line.split(" = ", 1)
        assert target == f"V[{i},{j},{d}]"
        assert eval(right, names) == pytest.approx(want[i, j, d], rel=1e-12)
    # The whole line as a statement fills V as the notes say.
    names["V"] = np.zeros((4, 4, 2))
    for line in NOTES_LINES.values():
        exec(line, names)
    for i, j, d in NOTES_LINES:
        assert names["V"][i, j, d] == pytest.approx(want[i, j, d], rel=1e-12)


def test_padded_layer_expression_names_xp_and_evaluates_against_the_padded_input() -> None:
    layer = _layer(LayerShape.square(5, 3, 2, 3, stride=2, padding=1), 12)
    want = _naive_pre(layer)
    assert expression(layer, 0, 0, 0) == "V[0,0,0] = np.sum(Xp[:3,:3,:] * W0) + b0"
    assert expression(layer, 2, 1, 1) == "V[2,1,1] = np.sum(Xp[4:7,2:5,:] * W1) + b1"
    names = {"np": np, "Xp": _padded(layer), "W0": layer.weights[0], "W1": layer.weights[1],
             "b0": layer.bias[0], "b1": layer.bias[1]}
    for t in range(layer.geometry.steps):
        s = step(layer, t)
        assert eval(s.expression.split(" = ", 1)[1], names) == pytest.approx(want[s.i, s.j, s.d])


def test_a_relu_layers_expression_applies_it_and_evaluates_to_the_output_after_it() -> None:
    shape = LayerShape.square(5, 3, 2, 3, stride=2, padding=1)
    plain = _layer(shape, 14)
    layer = build_layer(plain.geometry, x=plain.x, weights=plain.weights, bias=plain.bias,
                        activation="relu")
    want = np.maximum(_naive_pre(layer), 0)  # V after the ReLU, by the notes' loops
    assert expression(layer, 0, 0, 0) == "V[0,0,0] = np.maximum(np.sum(Xp[:3,:3,:] * W0) + b0, 0)"
    names = {"np": np, "Xp": _padded(layer), "W0": layer.weights[0], "W1": layer.weights[1],
             "b0": layer.bias[0], "b1": layer.bias[1]}
    negative = 0
    for t in range(layer.geometry.steps):
        s = step(layer, t)
        assert eval(s.expression.split(" = ", 1)[1], names) == pytest.approx(want[s.i, s.j, s.d])
        assert s.post == pytest.approx(want[s.i, s.j, s.d])
        negative += s.pre < 0
    assert 0 < negative < layer.geometry.steps  # the ReLU changed some values, not all


def test_fit_pad_extra_rows_alone_make_the_expression_name_xp() -> None:
    layer = _layer(LayerShape.square(10, 1, 1, 3, stride=2, fit="pad"), 13)  # pads 1 at end
    assert layer.geometry.padding == Padding(0, 1, 0, 1)
    assert expression(layer, 4, 4, 0) == "V[4,4,0] = np.sum(Xp[8:11,8:11,:] * W0) + b0"


def test_dilated_expression_writes_start_stop_and_step_and_evaluates() -> None:
    layer = _layer(LayerShape.square(9, 2, 1, 3, stride=1, dilation=2), 14)  # output 5x5
    assert expression(layer, 0, 0, 0) == "V[0,0,0] = np.sum(X[0:5:2,0:5:2,:] * W0) + b0"
    assert expression(layer, 1, 4, 0) == "V[1,4,0] = np.sum(X[1:6:2,4:9:2,:] * W0) + b0"
    want = _naive_pre(layer)
    names = {"np": np, "X": layer.x, "W0": layer.weights[0], "b0": layer.bias[0]}
    for i, j in itertools.product(range(5), range(5)):
        right = expression(layer, i, j, 0).split(" = ", 1)[1]
        assert eval(right, names) == pytest.approx(want[i, j, 0], rel=1e-12)


def test_dilation_on_one_axis_only_adds_a_step_on_that_axis() -> None:
    shape = replace(LayerShape.square(9, 1, 1, 3), dilation_w=3)  # span 7 wide
    layer = _layer(shape, 15)
    assert expression(layer, 6, 2, 0) == "V[6,2,0] = np.sum(X[6:9,2:9:3,:] * W0) + b0"


def test_locally_connected_expression_uses_the_neurons_own_weights_and_bias() -> None:
    layer = _layer(LayerShape.square(5, 2, 2, 3, stride=1), 16, connectivity="local")
    assert expression(layer, 0, 0, 1) == "V[0,0,1] = np.sum(X[:3,:3,:] * W[0,0,1]) + b[0,0,1]"
    want = _naive_pre(layer)
    names = {"np": np, "X": layer.x, "W": layer.weights, "b": layer.bias}
    for t in range(layer.geometry.steps):
        s = step(layer, t, "depth_column")
        assert eval(s.expression.split(" = ", 1)[1], names) == pytest.approx(want[s.i, s.j, s.d])


def test_expression_refuses_a_position_outside_the_output() -> None:
    with pytest.raises(LayerError) as caught:
        expression(_notes_layer(), 4, 0, 0)
    assert caught.value.field == "position.0"


def test_an_axis_of_one_tap_takes_no_step_in_the_expression_whatever_its_dilation() -> None:
    # one row of taps dilated 2 along the rows read Xp[6:7:2, ...]: a step on one axis only,
    # with no second tap for it to skip to (the arithmetic review)
    layer = _layer(LayerShape(7, 9, 1, 1, 1, 3, dilation_h=2, dilation_w=2), 3)
    i, j = 6, 2
    line = expression(layer, i, j, 0)
    assert line == f"V[{i},{j},0] = np.sum(X[{i}:{i + 1},{j}:{j + 5}:2,:] * W0) + b0"
    x = layer.x_padded
    window = x[i:i + 1, j:j + 5:2, :]  # the line's own slices select the step's window
    np.testing.assert_array_equal(window, step(layer, step_number(layer.geometry, i, j, 0)).window)


# ----------------------------------------------------------------------------- inverse


def _brute_force_inverse(layer: Layer, row: int, col: int) -> list[tuple[int, int, int, int]]:
    g = layer.geometry
    s, p = g.shape, g.padding
    hits = []
    for i, j in itertools.product(range(g.out_height), range(g.out_width)):
        for a, b in itertools.product(range(s.filter_height), range(s.filter_width)):
            r = i * s.stride_h + a * s.dilation_h - p.top
            c = j * s.stride_w + b * s.dilation_w - p.left
            if (r, c) == (row, col):
                hits.append((i, j, a, b))
    return sorted(hits)


def _brute_force_covered(layer: Layer, row: int, col: int) -> bool:
    """Whether some window's span (its first tap to its last, gaps included) holds the cell."""
    g = layer.geometry
    s, p = g.shape, g.padding
    return any(
        i * s.stride_h <= row + p.top < i * s.stride_h + g.height.span
        and j * s.stride_w <= col + p.left < j * s.stride_w + g.width.span
        for i, j in itertools.product(range(g.out_height), range(g.out_width))
    )


def test_inverse_agrees_with_a_brute_force_scan_of_every_position(random_layer: Layer) -> None:
    s = random_layer.geometry.shape
    for row, col in itertools.product(range(s.height), range(s.width)):
        found = inverse(random_layer.geometry, row, col)
        got = [(t.i, t.j, t.tap_row, t.tap_col) for t in found.taps]
        assert got == _brute_force_inverse(random_layer, row, col)
        assert (found.row, found.col, found.filters) == (row, col, s.filters)
        assert found.covered == _brute_force_covered(random_layer, row, col)
        assert found.covered or not got  # a cell a tap reads is inside that window's span


def test_inverse_tells_a_dilations_gap_from_a_cell_no_window_reaches() -> None:
    # taps 0 and 2 of windows starting at 0, 2 and 4 (stride 2) along each axis of an 8x8
    # input: cells 1, 3 and 5 fall in gaps, 7 in no window
    g = resolve(LayerShape.square(8, 1, 1, 2, stride=2, dilation=2, fit="floor"))
    assert (g.out_width, g.width.span) == (3, 3)
    gap, beyond = inverse(g, 1, 1), inverse(g, 0, 7)
    assert (gap.taps, gap.covered) == ((), True)
    assert (beyond.taps, beyond.covered) == ((), False)
    assert inverse(g, 2, 2).covered and len(inverse(g, 2, 2).taps) == 4


def test_inverse_tap_points_at_the_cell_inside_the_steps_window() -> None:
    layer = _layer(LayerShape.square(7, 2, 2, 3, stride=2, padding=1, dilation=2, fit="floor"), 17)
    for row, col in itertools.product(range(7), range(7)):
        for tap in inverse(layer.geometry, row, col).taps:
            s = step(layer, step_number(layer.geometry, tap.i, tap.j, 1))
            np.testing.assert_array_equal(s.window[tap.tap_row, tap.tap_col], layer.x[row, col])
            assert not s.padding_mask[tap.tap_row, tap.tap_col]


def test_alexnet_centre_cell_is_seen_by_three_rows_and_three_columns_of_neurons() -> None:
    g = resolve(LayerShape.square(227, 3, 96, 11, stride=4))
    # Rows i with 4i <= 113 <= 4i + 10: i = 26, 27, 28 (taps 9, 5, 1); columns likewise.
    found = inverse(g, 113, 113)
    assert [(t.i, t.j, t.tap_row, t.tap_col) for t in found.taps] == [
        (i, j, 113 - 4 * i, 113 - 4 * j) for i in (26, 27, 28) for j in (26, 27, 28)
    ]
    assert found.filters == 96


def test_inverse_of_a_cell_no_window_reaches_is_empty() -> None:
    g = resolve(LayerShape.square(10, 1, 1, 3, stride=2, fit="floor"))  # drops col 9
    assert inverse(g, 0, 9).taps == ()
    assert len(inverse(g, 0, 8).taps) == 1


@pytest.mark.parametrize(("row", "col"), [(-1, 0), (0, 5), (5, 0), (2, -3)])
def test_inverse_refuses_a_cell_outside_the_input_naming_cell(row: int, col: int) -> None:
    g = resolve(LayerShape.square(5, 3, 2, 3, stride=2, padding=1))
    with pytest.raises(LayerError) as caught:
        inverse(g, row, col)
    axis = 0 if not 0 <= row < 5 else 1
    assert caught.value.field == f"cell.{axis}"
    name, value = ("row", row) if axis == 0 else ("column", col)
    assert caught.value.reason == (f"{name} = {value} is out of range: the input is 5x5, so "
                                   f"{name} runs from 0 to 4")


@pytest.mark.parametrize("padding", [Padding(0, 0, 1, 1), Padding(1, 1, 0, 0), Padding(0, 1, 0, 0),
                                     Padding(0, 0, 0, 2)])
def test_a_layer_padded_on_any_one_side_reads_the_padded_input_xp(padding: Padding) -> None:
    # the notes' 1-D example pads its columns alone: X[...] there would slice the input
    # without its zeros and read the wrong cells
    layer = build_layer(LayerShape(5, 5, 1, 1, 3, 3, padding=padding))
    assert step(layer, 0).expression == "V[0,0,0] = np.sum(Xp[:3,:3,:] * W0) + b0"
    unpadded = build_layer(LayerShape(5, 5, 1, 1, 3, 3))
    assert step(unpadded, 0).expression == "V[0,0,0] = np.sum(X[:3,:3,:] * W0) + b0"


@pytest.mark.parametrize(("call", "field"), [
    (lambda layer: step(layer, 3.0), "start"),
    (lambda layer: step(layer, True), "start"),  # was taken for step 1
    (lambda layer: steps(layer, 0, 2.0), "count"),
    (lambda layer: steps(layer, 0, 2, every=1.5), "every"),
    (lambda layer: step_number(layer, 0, 1.0, 0), "position"),
    (lambda layer: inverse(layer, 0.0, 1), "cell"),
])
def test_a_step_cell_or_count_that_is_not_a_whole_number_is_refused_by_name(
    call: Any, field: str
) -> None:
    # a float gave a TypeError naming nothing ("only int indices permitted")
    layer = build_layer(LayerShape.square(5, 3, 2, 3, stride=2, padding=1))
    with pytest.raises(LayerError) as caught:
        call(layer)
    assert caught.value.field == field
    assert "must be a whole number" in caught.value.reason


def test_the_functions_of_the_sizes_alone_take_a_layer_or_its_geometry() -> None:
    # a layer given to inverse or step_position failed on a missing attribute
    layer = build_layer(LayerShape.square(5, 3, 2, 3, stride=2, padding=1))
    g = layer.geometry
    assert inverse(layer, 1, 0) == inverse(g, 1, 0)
    assert inverse(layer, 1, 0).taps  # the cell is read: the comparison is not of nothing
    assert step_position(layer, 10) == step_position(g, 10) == (0, 1, 1)
    assert step_number(layer, 0, 1, 1) == step_number(g, 0, 1, 1) == 10
