"""Strided layers folded into depth and F(m, 3) along the width give the notes' loops' numbers."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from engine_helpers import assert_forward_equals_the_loops, random_layer

from engine import conv, winograd, winograd_strided
from engine.conv import forward, forward_naive
from engine.geometry import GeometryError, LayerShape, Padding, resolve
from engine.threads import Workers

# F(5, 3) on other points, with as many multiplies and more rounding error.
OTHER_F5 = winograd.from_points([0, 1, -1, 2, -2, 1.5], 5)

# Every layer winograd_strided.fits, each with another way for the width to come out:
SHAPES = [
    # AlexNet's filter and stride: 13 outputs, 3 tiles of 5 with the last hanging over by 2;
    # the input ends in a partial group of 3 columns and zero columns follow.
    LayerShape.square(59, 3, 24, 11, stride=4),
    # 5 wide, stride 2: one zero column per filter; 18 outputs, 3 whole tiles of 6.
    LayerShape(41, 39, 8, 16, 5, 5, stride_h=2, stride_w=2),
    # 6 wide, stride 2: three taps exactly, no zero column; padded.
    LayerShape.square(36, 6, 20, 6, stride=2, padding=1),
    # A 5x7 filter, stride 1 down and 3 across, asymmetric padding, the last column dropped.
    LayerShape(
        30, 50, 5, 16, 5, 7, stride_h=1, stride_w=3, padding=Padding(0, 0, 2, 1), fit="floor"
    ),
    # fit="floor" leaves input columns the tiles never read: no zero columns at all.
    LayerShape.square(74, 3, 24, 11, stride=4, fit="floor"),
]


@pytest.mark.parametrize("count", [1, 2, 3])
@pytest.mark.parametrize("index", range(len(SHAPES)))
def test_strided_layers_equal_the_notes_loops(index: int, count: int) -> None:
    layer = random_layer(SHAPES[index], seed=60 + index, seed_step=1)
    assert winograd_strided.fits(layer.geometry)
    assert_forward_equals_the_loops(layer, count, winograd=True)


def test_a_hand_worked_row() -> None:
    # One row [1, 2, ..., 9], a filter 5 wide that adds its first and last inputs, stride 2
    # (three folded taps of 2), bias 0.5: outputs 1 + 5, 3 + 7 and 5 + 9, plus the bias.
    g = resolve(LayerShape(1, 9, 1, 1, 1, 5, stride_w=2))
    x = np.arange(1.0, 10.0).reshape(1, 9, 1)
    w = np.array([1.0, 0, 0, 0, 1]).reshape(1, 1, 5, 1)
    with Workers(1) as workers:
        got = winograd_strided.conv_strided(x, w, np.array([0.5]), g, workers)
    np.testing.assert_allclose(got.ravel(), [6.5, 10.5, 14.5], atol=1e-12)


@pytest.mark.parametrize("band_bytes", [1, 150_000, 10**9])
def test_bands_of_any_height_cover_every_output_row_once(
    monkeypatch: pytest.MonkeyPatch, band_bytes: int
) -> None:
    monkeypatch.setattr(winograd_strided, "BAND_BYTES", band_bytes)
    layer = random_layer(SHAPES[3], seed=7, seed_step=1)
    with Workers(2) as workers:
        got = forward(layer, workers=workers, winograd=True).pre
    np.testing.assert_allclose(got, forward_naive(layer).pre, rtol=1e-10, atol=1e-10)


def test_float32_on_alexnet_conv1_rounds_like_the_direct_sum() -> None:
    # 363-term sums of unit normals, outputs up to about 100: the transforms round more than
    # im2col's direct sums, but within a few times their error, and F(6, 3) on its points
    # (F(5, 3): 55 across is 11 whole tiles) rounds less than on others with as many multiplies.
    layer = random_layer(LayerShape.square(227, 3, 96, 11, stride=4), seed=2, seed_step=1)
    exact = forward(layer).pre
    x, w, b = (a.astype(np.float32) for a in (layer.x_padded, layer.weights, layer.bias))
    with Workers(2) as workers:
        folded = winograd_strided.conv_strided(x, w, b, layer.geometry, workers)
    direct = conv.conv2d(x, w, b, layer.geometry)
    rms = {
        name: float(np.sqrt(np.mean((got - exact) ** 2)))
        for name, got in (("folded", folded), ("direct", direct))
    }
    assert winograd_strided.minimal_for(layer.geometry.out_width) is winograd.F5
    with Workers(1) as workers:  # F(5, 3) on 0, +-1, +-2, 3/2
        other = winograd_strided.conv_strided(x, w, b, layer.geometry, workers, OTHER_F5)
    rms["other points"] = float(np.sqrt(np.mean((other - exact) ** 2)))
    assert rms["direct"] < rms["folded"] < 5 * rms["direct"]
    assert rms["folded"] < 0.5 * rms["other points"]
    assert np.abs(folded - exact).max() < 1e-5 * np.abs(exact).max()


def test_without_workers_the_layer_runs_as_one_blas_gemm(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> None:
        raise AssertionError("conv_strided called without workers")

    monkeypatch.setattr(winograd_strided, "conv_strided", refuse)
    layer = random_layer(SHAPES[0], seed=4, seed_step=1)
    np.testing.assert_allclose(
        forward(layer, winograd=True).pre, forward_naive(layer).pre, rtol=1e-10, atol=1e-10
    )


def test_a_failure_making_the_filters_is_raised_not_waited_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The other threads wait for the first part's filters: if making them fails, they must
    # stop waiting and the error must reach the caller.
    def broken(*args: object) -> None:
        raise MemoryError("no room for the filters")

    monkeypatch.setattr(winograd_strided, "_filters", broken)
    layer = random_layer(SHAPES[0], seed=4, seed_step=1)
    outcome: list[BaseException] = []

    def call() -> None:
        with Workers(3) as workers:
            try:
                forward(layer, workers=workers, winograd=True)
            except MemoryError as error:
                outcome.append(error)

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive(), "the forward pass hung"
    assert [str(e) for e in outcome] == ["no room for the filters"]


@pytest.mark.parametrize(
    "shape",
    [
        LayerShape.square(227, 3, 96, 11, stride=1, fit="floor"),  # stride 1: nothing to fold
        LayerShape.square(229, 3, 64, 7, stride=2, padding=3),  # four taps across
        LayerShape.square(224, 3, 64, 3, stride=2, padding=1, fit="floor"),  # two taps
        LayerShape.square(59, 1, 24, 11, stride=4),  # rows of 44 values: too thin
        LayerShape.square(59, 3, 8, 11, stride=4),  # too few filters
        LayerShape.square(27, 3, 24, 11, stride=4),  # too small to pay for the transforms
        LayerShape.square(67, 3, 24, 11, stride=4, dilation=2, fit="floor"),
        LayerShape.square(56, 64, 64, 3, padding=1),  # Winograd in two dimensions instead
    ],
)
def test_other_layers_take_another_kernel(shape: LayerShape) -> None:
    assert not winograd_strided.fits(random_layer(shape).geometry)


def test_both_winograd_kernels_never_claim_one_layer() -> None:
    for shape in SHAPES:
        assert not winograd.fits(resolve(shape))


@pytest.mark.parametrize("minimal", winograd_strided.CHOICES, ids=lambda f: f"F({f.outputs},3)")
def test_every_tile_size_equals_the_loops(minimal: winograd.Minimal) -> None:
    layer = random_layer(SHAPES[2], seed=21, seed_step=1)
    with Workers(2) as workers:
        got = winograd_strided.conv_strided(
            layer.x_padded, layer.weights, layer.bias, layer.geometry, workers, minimal
        )
    np.testing.assert_allclose(got, forward_naive(layer).pre, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(
    ("width", "outputs"),
    # Transformed points per output row, tiles x (m + 2): 55 across takes 11 tiles of 5 (77)
    # over 10 of 6 (80) and 14 of 4 (84); 56 takes 10 of 6 (80) over 12 of 5 and 14 of 4 (84);
    # 7 takes 2 of 4 (12) over 2 of 5 (14); 12 takes 2 of 6 (16); 10 takes 2 of 5 (14).
    [(55, 5), (56, 6), (7, 4), (12, 6), (10, 5)],
)
def test_the_tile_size_wastes_the_fewest_transformed_points(width: int, outputs: int) -> None:
    assert winograd_strided.minimal_for(width).outputs == outputs


@pytest.mark.parametrize("seed", range(6))
def test_random_layers_strided_winograd_takes_equal_the_notes_loops(seed: int) -> None:
    # Seeded random shapes beside the hand-picked ones: strides, filter sizes (three folded
    # taps across), depths, padding on each side and both fit policies, drawn until the layer
    # is one winograd_strided.fits
    rng = np.random.default_rng(5000 + seed)
    while True:
        sw, sh = int(rng.integers(2, 5)), int(rng.integers(1, 5))
        fw, fh = int(rng.integers(2 * sw + 1, 3 * sw + 1)), int(rng.integers(1, 12))
        h, w = int(rng.integers(fh, 70)), int(rng.integers(fw, 90))
        d, k = int(rng.integers(1, 9)), int(rng.integers(16, 33))
        pads = Padding(*(int(v) for v in rng.integers(0, 3, 4)))
        fit = str(rng.choice(["floor", "pad"]))
        shape = LayerShape(h, w, d, k, fh, fw, stride_h=sh, stride_w=sw, padding=pads,
                           fit=fit)  # type: ignore[arg-type]
        try:
            layer = random_layer(shape, seed=seed, seed_step=1)
        except GeometryError:
            continue
        if winograd_strided.fits(layer.geometry):
            break
    assert_forward_equals_the_loops(layer, int(rng.integers(1, 4)), winograd=True)
