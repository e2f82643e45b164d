"""Every number of the CS231n conv-layer notes, reproduced through the engine.

Each test names the fact it checks in our own words; the expected values are the notes' own
numbers, all from the notes' Convolutional Layer section:
https://cs231n.github.io/convolutional-networks/#conv
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from engine_helpers import assert_notes_numpy_expressions

from engine.backward import backward
from engine.conv import forward
from engine.geometry import GeometryError, LayerShape, Padding, resolve
from engine.layer import build_layer
from engine.presets import PRESETS, build_preset
from engine.tensors import Fill
from engine.windows import windows


def test_typical_first_layer_filter_is_5x5x3() -> None:
    # The notes' typical first-layer filter: 5 wide, 5 tall, 3 colour channels deep.
    layer = build_preset("example-1")
    assert layer.weights.shape[1:] == (5, 5, 3)


def test_seven_by_seven_input_gives_5x5_at_stride_1_and_3x3_at_stride_2() -> None:
    # 7x7 input, 3x3 filter, no padding: 5x5 at stride 1, 3x3 at stride 2.
    assert resolve(LayerShape.square(7, 1, 1, 3, stride=1)).output_shape[:2] == (5, 5)
    assert resolve(LayerShape.square(7, 1, 1, 3, stride=2)).output_shape[:2] == (3, 3)
    assert forward(build_preset("seven-stride-1")).post.shape == (5, 5, 1)
    assert forward(build_preset("seven-stride-2")).post.shape == (3, 3, 1)


def test_one_d_example_outputs_by_hand() -> None:
    # The figure: input [1, 2, -1, 1, -3] padded to [0, 1, 2, -1, 1, -3, 0], weights
    # [1, 0, -1], bias 0. Window at c gives xp[c] - xp[c + 2]:
    # 0-2, 1-(-1), 2-1, -1-(-3), 1-0 = -2, 2, 1, 2, 1; stride 2 keeps c = 0, 2, 4.
    assert forward(build_preset("one-d-stride-1")).post.ravel().tolist() == [-2, 2, 1, 2, 1]
    assert forward(build_preset("one-d-stride-2")).post.ravel().tolist() == [-2, 1, 1]


def test_zero_padding_of_1_keeps_the_1d_example_at_5_and_without_it_gives_3() -> None:
    # The 1-D figure: with padding 1 the 5-wide input gives 5 outputs; unpadded, only 3.
    padded = PRESETS["one-d-stride-1"].shape
    assert resolve(padded).out_width == 5
    assert resolve(replace(padded, padding=Padding())).out_width == 3


@pytest.mark.parametrize("f", [3, 5, 7])
@pytest.mark.parametrize("w", [7, 12, 32])
def test_padding_f_minus_1_over_2_at_stride_1_preserves_size(f: int, w: int) -> None:
    # At S=1, P=(F-1)/2 keeps the output as wide and tall as the input.
    geometry = resolve(LayerShape.square(w, 3, 4, f, stride=1, padding=(f - 1) // 2))
    assert geometry.output_shape == (w, w, 4)


def test_common_setting_f3_s1_p1_preserves_size() -> None:
    # F=3, S=1, P=1: the setting the notes call common (it keeps the size).
    layer = build_preset("common-3-1-1")
    assert forward(layer).post.shape[:2] == layer.x.shape[:2]


def test_w10_f3_s2_p0_is_refused_as_4_5() -> None:
    # W=10, F=3, P=0, S=2: (10-3+0)/2+1 = 4.5 is not whole, so the notes call it invalid.
    with pytest.raises(GeometryError) as caught:
        resolve(LayerShape.square(10, 1, 1, 3, stride=2, padding=0))
    assert caught.value.field == "stride"
    assert "(10 - 3 + 2*0)/2 + 1 = 4.5 is not an integer" in caught.value.reason
    # The notes list three ways a library may react: refuse, pad up to a fit, or crop
    # down to one. These are the other two.
    padded = resolve(LayerShape.square(10, 1, 1, 3, stride=2, fit="pad"))
    cropped = resolve(LayerShape.square(10, 1, 1, 3, stride=2, fit="floor"))
    assert (padded.out_width, padded.width.extra_padding) == (5, 1)
    assert (cropped.out_width, cropped.width.unseen) == (4, (9,))


def test_alexnet_conv1_is_55x55x96() -> None:
    # AlexNet conv1: (227 - 11)/4 + 1 = 55 and K=96 filters, so the output is 55x55x96.
    geometry = resolve(LayerShape.square(227, 3, 96, 11, stride=4, padding=0))
    assert geometry.width.arithmetic == "(227 - 11 + 2*0)/4 + 1 = 55"
    assert geometry.output_shape == (55, 55, 96)


def test_alexnet_neurons_look_at_11x11x3_regions_shared_by_a_depth_column() -> None:
    # Every one of the 55*55*96 neurons sees an 11x11x3 window; the 96 neurons of one depth
    # column share that window and differ only in their filter.
    layer = build_preset("alexnet-conv1")
    fields = windows(layer.x_padded, layer.geometry)
    assert fields.shape == (55, 55, 11, 11, 3)
    # Neuron (i, j, d) = sum(field(i, j) * W[d]) + b[d] for every d: one region, 96 filters.
    i, j = 20, 31
    expected = np.einsum("abc,kabc->k", fields[i, j], layer.weights) + layer.bias
    np.testing.assert_allclose(forward(layer).pre[i, j, :], expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(fields[i, j], layer.x[4 * i : 4 * i + 11, 4 * j : 4 * j + 11])


def test_alexnet_parameter_counts_with_and_without_sharing() -> None:
    # Unshared: 290,400 neurons (55*55*96) with 363 weights (11*11*3) and a bias each,
    # 290400 * 364 = 105,705,600 parameters. Shared: 96*11*11*3 = 34,848 weights plus 96
    # biases, 34,944 parameters.
    counts = build_preset("alexnet-conv1").geometry.counts
    assert counts.neurons == 290_400
    assert counts.weights_per_neuron == 363
    assert counts.parameters_local == 105_705_600
    assert counts.weights_shared == 34_848
    assert counts.parameters_shared == 34_944


def test_alexnet_as_one_matrix_product_of_the_stretched_fields() -> None:
    # The notes' im2col: each 11x11x3 field stretched into a column of 363 gives X_col,
    # [363 x 3025] (55*55 fields); the filters as rows give W_row, [96 x 363]; their product,
    # [96 x 3025], reshaped is the 55x55x96 output.
    layer = build_preset("alexnet-conv1")
    counts = layer.geometry.counts
    x_col = windows(layer.x_padded, layer.geometry).reshape(-1, 363).T
    w_row = layer.weights.reshape(96, -1)
    assert x_col.shape == (363, 3025) == (counts.weights_per_neuron, counts.receptive_fields)
    assert w_row.shape == (96, 363)
    product = w_row @ x_col + layer.bias[:, None]
    np.testing.assert_allclose(product.T.reshape(55, 55, 96), forward(layer).pre,
                               rtol=1e-10, atol=1e-12)


def test_alexnet_depth_slices_are_55x55() -> None:
    # A 55x55x96 output holds 96 depth slices of 55x55 each.
    output = forward(build_preset("alexnet-conv1")).post
    assert output.shape[2] == 96
    assert output[:, :, 0].shape == (55, 55)


def test_alexnet_224_is_not_an_integer_and_three_extra_pixels_fix_it() -> None:
    # The paper's 224 gives (224 - 11)/4 + 1 = 54.25, not whole; the notes guess 3 unmentioned
    # pixels of padding, which make it 55.
    with pytest.raises(GeometryError) as caught:
        build_preset("alexnet-224")
    assert "(224 - 11 + 2*0)/4 + 1 = 54.25 is not an integer" in caught.value.reason
    padded = resolve(replace(PRESETS["alexnet-224"].shape, fit="pad"))
    assert padded.output_shape == (55, 55, 96)
    assert padded.padding == Padding(0, 3, 0, 3)
    by_hand = resolve(LayerShape(224, 224, 3, 96, 11, 11, 4, 4, Padding(0, 3, 0, 3)))
    assert by_hand.output_shape == (55, 55, 96)


def test_example_1_has_75_weights_and_1_bias_per_neuron() -> None:
    # Example 1: a 5x5 filter on 3 channels, 5*5*3 = 75 weights and one bias per neuron.
    layer = build_preset("example-1")
    assert layer.geometry.counts.weights_per_neuron == 75
    assert layer.weights[0].size == 75 and layer.bias[:1].size == 1
    # Its 12 filters (the preset's choice): 12 * (75 + 1) parameters.
    assert layer.geometry.counts.parameters_shared == 12 * 76


def test_example_2_has_180_connections_per_neuron() -> None:
    # Example 2: a 3x3 filter on 20 channels, 3*3*20 = 180 inputs per neuron.
    layer = build_preset("example-2")
    assert layer.geometry.counts.weights_per_neuron == 180
    assert layer.weights.shape[1:] == (3, 3, 20)


def test_numpy_example_is_4x4_and_its_expressions_hold() -> None:
    # The NumPy walk-through: 11x11x4 input, F=5, S=2, P=0, (11 - 5)/2 + 1 = 4.
    layer = build_preset("numpy-example")
    V = forward(layer).post
    assert V.shape == (4, 4, 2)
    X = layer.x  # P=0, so X is also the padded input
    W0, W1 = layer.weights
    b0, b1 = layer.bias
    # The notes' V[...] = np.sum(...) lines (the code, not prose).
    assert_notes_numpy_expressions(V, X, W0, W1, b0, b1)
    # Each filter, W0 among them, is 5x5x4.
    assert W0.shape == (5, 5, 4)


def test_summary_formulas_hold_for_every_valid_preset() -> None:
    # The notes' summary: W2=(W1-F+2P)/S+1, H2 likewise, D2=K; F*F*D1 weights per filter,
    # (F*F*D1)*K weights and K biases in all.
    checked = 0
    for preset in PRESETS.values():
        s = preset.shape
        if not s.padding.is_symmetric or s.stride_h != s.stride_w:
            continue
        try:
            geometry = resolve(s)
        except GeometryError:
            continue
        f, p, st, k = s.filter_width, s.padding.top, s.stride_w, s.filters
        assert geometry.output_shape == (
            (s.height - f + 2 * p) // st + 1, (s.width - f + 2 * p) // st + 1, k
        )
        assert geometry.counts.weights_per_neuron == f * f * s.depth
        assert geometry.counts.weights_shared == f * f * s.depth * k
        assert geometry.counts.parameters_shared == f * f * s.depth * k + k
        checked += 1
    assert checked >= 8  # the square, symmetrically padded presets that fit


def test_depth_slice_gradients_are_added_up_into_one_filter() -> None:
    # With shared weights, the weight gradient of a depth slice's filter is the sum of the
    # gradients its neurons would get each on their own. A locally connected layer whose
    # every neuron holds the shared filter computes those per-neuron gradients; summed over
    # each depth slice they are the shared layer's.
    shared = build_layer(
        LayerShape.square(5, 3, 2, 3, stride=2, padding=1),
        input_fill=Fill("normal", seed=1), weight_fill=Fill("normal", seed=1),
        bias_fill=Fill("normal", seed=1), activation="relu",
    )
    h2, w2, _ = shared.geometry.output_shape
    local = build_layer(
        shared.shape, x=shared.x, activation="relu", connectivity="local",
        weights=np.broadcast_to(shared.weights, (h2, w2, *shared.weights.shape)).copy(),
        bias=np.broadcast_to(shared.bias, (h2, w2, 2)).copy(),
    )
    up = np.random.default_rng(2).normal(size=(h2, w2, 2))
    np.testing.assert_allclose(forward(local).post, forward(shared).post, rtol=1e-12)
    per_neuron, summed = backward(local, up), backward(shared, up)
    np.testing.assert_allclose(per_neuron.dw.sum(axis=(0, 1)), summed.dw, rtol=1e-12)
    np.testing.assert_allclose(per_neuron.db.sum(axis=(0, 1)), summed.db, rtol=1e-12)
    np.testing.assert_allclose(per_neuron.dx, summed.dx, rtol=1e-12)
