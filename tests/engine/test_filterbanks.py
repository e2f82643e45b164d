"""Filter banks: shapes by the notes' rule (full depth), hand-checked responses, read-only data."""

from __future__ import annotations

import numpy as np
import pytest

from engine.errors import LayerError
from engine.filterbanks import BANKS, KERNELS, centred, grey, make_bank
from engine.geometry import LayerShape
from engine.layer import build_layer
from engine.presets import PRESETS


def respond(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The valid (no padding, stride 1) response by explicit loops: the notes' dot products."""
    h, w, _ = x.shape
    k, f, _, _ = weights.shape
    out = np.zeros((h - f + 1, w - f + 1, k))
    for i in range(h - f + 1):
        for j in range(w - f + 1):
            for d in range(k):
                out[i, j, d] = sum(
                    x[i + r, j + c, ch] * weights[d, r, c, ch]
                    for r in range(f) for c in range(f) for ch in range(3)
                )
    return out


def test_every_bank_is_k_by_f_by_f_by_3_with_one_name_and_explanation_per_filter() -> None:
    for name, b in BANKS.items():
        k = len(b.names)
        assert b.weights.shape == (k, b.size, b.size, 3), name
        assert b.bias.shape == (k,)
        assert len(b.explanations) == k
        assert all(len(e) > 10 for e in b.explanations)
        assert b.size % 2 == 1  # odd: every filter has a centre


def test_the_issue_lists_filters_are_all_there() -> None:
    wanted = {"sobel-x", "sobel-y", "prewitt-x", "prewitt-y", "laplacian", "gaussian-blur",
              "box-blur", "sharpen", "edge-0", "edge-45", "edge-90", "edge-135", "red-green",
              "blue-yellow", "identity-red"}
    assert wanted <= set(KERNELS)
    in_banks = {n for b in BANKS.values() for n in b.names}
    assert wanted <= in_banks


def test_grey_filters_weight_the_kernel_a_quarter_half_quarter_over_r_g_b() -> None:
    sobel_x = BANKS["sobel"].weights[0]
    kernel = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    for ch, share in enumerate((0.25, 0.5, 0.25)):
        np.testing.assert_array_equal(sobel_x[:, :, ch], kernel * share)


def test_grey_filters_give_exact_zeros_on_flat_areas_so_relu_counts_them() -> None:
    # Sums of +-w*x that cancel on paper must cancel in floats too, whatever the order,
    # or ReLU keeps a 1e-17 residue and the page miscounts its zeros.
    from engine.conv import forward

    x = np.ones((8, 8, 3))
    x[:, :4] = 0.0
    shape = LayerShape(height=8, width=8, depth=3, filters=2, filter_height=3, filter_width=3)
    b = BANKS["sobel"]
    layer = build_layer(shape, x=x, weights=np.array(b.weights), bias=np.array(b.bias),
                        activation="relu")
    post = forward(layer).post
    assert int((post[:, :, 0] == 0).sum()) == 6 * 4  # all but output columns 2 and 3
    assert int((post[:, :, 1] == 0).sum()) == 36


def test_sobel_x_on_a_vertical_edge_is_four_on_the_two_columns_that_straddle_it() -> None:
    # Columns 0..3 black, 4..7 white. A 3-wide window at output column j covers input
    # columns j..j+2; Sobel-x's column sums are -4, 0, +4 and the channel shares sum to 1,
    # so the response is 4 * (x[j+2] - x[j]): 4 at j = 2, 3 (covering the edge), 0 elsewhere.
    x = np.zeros((6, 8, 3))
    x[:, 4:, :] = 1.0
    out = respond(x, BANKS["sobel"].weights)
    expected_row = [0, 0, 4, 4, 0, 0]
    for i in range(4):
        np.testing.assert_allclose(out[i, :, 0], expected_row, atol=1e-12)
    np.testing.assert_allclose(out[:, :, 1], 0, atol=1e-12)  # Sobel-y sees no vertical change


def test_the_engine_layer_computes_the_same_responses_as_the_loops() -> None:
    from engine.conv import forward

    rng = np.random.default_rng(4)
    x = rng.uniform(0, 1, size=(9, 7, 3))
    for b in BANKS.values():
        shape = LayerShape(height=9, width=7, depth=3, filters=b.count,
                           filter_height=b.size, filter_width=b.size)
        layer = build_layer(shape, x=x, weights=np.array(b.weights), bias=np.array(b.bias))
        np.testing.assert_allclose(forward(layer).post, respond(x, b.weights), atol=1e-12)


def test_oriented_edges_each_prefer_their_own_direction() -> None:
    # A ramp rising along direction theta (up = smaller row): value = c*cos - r*sin.
    edges = BANKS["oriented-edges"]
    r, c = np.mgrid[0:5, 0:5].astype(float)
    for k, theta in enumerate((0, 45, 90, 135)):
        t = np.radians(theta)
        ramp = np.repeat((c * np.cos(t) - r * np.sin(t))[:, :, None], 3, axis=2)
        out = respond(ramp, edges.weights)[1, 1]  # the centre neuron
        assert int(np.argmax(out)) == k, (theta, out)


def test_colour_blobs_tell_red_from_green_and_blue_from_yellow() -> None:
    blobs = BANKS["color-blobs"]  # red-green, green-red, blue-yellow, yellow-blue
    colours = {"red": (1, 0, 0), "green": (0, 1, 0), "blue": (0, 0, 1), "yellow": (1, 1, 0)}
    answers = {}
    for name, rgb in colours.items():
        x = np.broadcast_to(np.array(rgb, dtype=float), (5, 5, 3))
        answers[name] = respond(x, blobs.weights)[0, 0]
    # The 5x5 binomial envelope sums to 1, so a flat colour gets its channel weights summed.
    np.testing.assert_allclose(answers["red"], [1, -1, -0.5, 0.5])
    np.testing.assert_allclose(answers["green"], [-1, 1, -0.5, 0.5])
    np.testing.assert_allclose(answers["blue"], [0, 0, 1, -1])
    np.testing.assert_allclose(answers["yellow"], [0, 0, -1, 1])


def test_blurs_keep_a_flat_image_flat_and_edge_detectors_give_zero_on_it() -> None:
    x = np.full((5, 5, 3), 0.7)
    np.testing.assert_allclose(respond(x, BANKS["blur"].weights), 0.7)
    np.testing.assert_allclose(respond(x, BANKS["sharpen"].weights), 0.7)
    for name in ("sobel", "prewitt", "laplacian", "oriented-edges"):
        np.testing.assert_allclose(respond(x, BANKS[name].weights), 0, atol=1e-12)


def test_identity_bank_returns_the_image_channels() -> None:
    x = np.random.default_rng(1).uniform(size=(4, 3, 3))
    np.testing.assert_allclose(respond(x, BANKS["identity"].weights), x)


def test_a_3x3_kernel_centred_in_5x5_gives_the_3x3_response_one_pixel_further_in() -> None:
    x = np.random.default_rng(2).uniform(size=(9, 9, 3))
    small = respond(x, KERNELS["laplacian"].weights[None])
    big = respond(x, centred(KERNELS["laplacian"].weights, 5)[None])
    np.testing.assert_allclose(big, small[1:-1, 1:-1])


def test_banks_are_read_only() -> None:
    with pytest.raises(ValueError, match="read-only"):
        BANKS["sobel"].weights[0, 0, 0, 0] = 5.0
    # and so are the engine's tables of them: no caller can change what another one reads
    for table in (BANKS, KERNELS, PRESETS):
        with pytest.raises(TypeError):
            table["sobel"] = table[next(iter(table))]  # type: ignore[index]


def test_an_unknown_kernel_is_refused_with_the_known_names() -> None:
    with pytest.raises(LayerError, match="unknown filters"):
        make_bank("x", "x", "x", ["sobel-x", "nope"])
    with pytest.raises(LayerError, match="cannot centre"):
        centred(grey(np.ones((3, 3))), 4)
