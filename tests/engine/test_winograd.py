"""Winograd's F(2x2, 3x3) and F(4x4, 3x3) give the notes' loops' numbers on their layers."""

from __future__ import annotations

import numpy as np
import pytest
from engine_helpers import assert_forward_equals_the_loops, random_layer

from engine import winograd
from engine.conv import forward, forward_naive
from engine.geometry import LayerShape, Padding
from engine.threads import Workers

# Every layer winograd.fits: even and odd output sizes (a ragged last tile row and column),
# asymmetric padding, no padding, the minimum depth and filter count.
SHAPES = [
    LayerShape.square(31, 16, 24, 3, padding=1),  # 31x31: odd both ways
    LayerShape(29, 30, 17, 19, 3, 3, padding=Padding(2, 0, 1, 3)),  # 29x32
    LayerShape(33, 40, 32, 16, 3, 3),  # 31x38, unpadded
    LayerShape(18, 64, 16, 16, 3, 3, padding=Padding(1, 1, 1, 1), fit="floor"),  # 18x64
]


@pytest.mark.parametrize("count", [1, 2, 3])
@pytest.mark.parametrize("index", range(len(SHAPES)))
def test_winograd_layers_equal_the_notes_loops(index: int, count: int) -> None:
    layer = random_layer(SHAPES[index], seed=80 + index, seed_step=1)
    assert winograd.fits(layer.geometry)
    assert_forward_equals_the_loops(layer, count, winograd=True)


@pytest.mark.parametrize(
    "shape",
    [
        LayerShape.square(224, 3, 64, 3, padding=1),  # VGG conv1_1: too shallow
        LayerShape.square(56, 64, 8, 3, padding=1),  # too few filters
        LayerShape.square(57, 64, 64, 3, stride=2, padding=1),
        LayerShape.square(56, 64, 64, 3, padding=2, dilation=2),
        LayerShape.square(56, 64, 64, 5, padding=2),
        LayerShape.square(7, 16, 16, 3, padding=1),  # too small to pay for the transforms
    ],
)
def test_other_layers_keep_im2col(shape: LayerShape) -> None:
    assert not winograd.fits(random_layer(shape).geometry)


def test_without_workers_the_layer_runs_as_one_blas_gemm(monkeypatch: pytest.MonkeyPatch) -> None:
    # BLAS threading Winograd's many small GEMMs would make its threads meet for each one.
    def refuse(*args: object) -> None:
        raise AssertionError("conv3x3 called without workers")

    monkeypatch.setattr(winograd, "conv3x3", refuse)
    layer = random_layer(SHAPES[0], seed=4, seed_step=1)
    assert winograd.fits(layer.geometry)
    np.testing.assert_allclose(
        forward(layer, winograd=True).pre, forward_naive(layer).pre, rtol=1e-10, atol=1e-10
    )


@pytest.mark.parametrize("band_bytes", [1, 20_000, 10**9])
def test_bands_of_any_height_cover_every_tile_row_once(
    monkeypatch: pytest.MonkeyPatch, band_bytes: int
) -> None:
    monkeypatch.setattr(winograd, "BAND_BYTES", band_bytes)
    layer = random_layer(SHAPES[1], seed=9, seed_step=1)
    expected = forward_naive(layer).pre
    with Workers(2) as workers:
        got = forward(layer, workers=workers, winograd=True).pre
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)


def test_the_transforms_are_the_published_ones() -> None:
    # 1-D F(2, 3) on one tile: [d0..d3] with filter [g0, g1, g2] gives the two outputs
    # d0*g0 + d1*g1 + d2*g2 and d1*g0 + d2*g1 + d3*g2.
    d = np.array([3.0, -1.0, 2.0, 5.0])
    g = np.array([0.5, 2.0, -1.0])
    f2 = winograd.F2
    np.testing.assert_allclose(
        f2.at @ ((f2.g @ g) * (f2.bt @ d)), [np.dot(d[:3], g), np.dot(d[1:], g)]
    )


@pytest.mark.parametrize("f4", [winograd.F4, winograd.F4_SINGLE], ids=["F4", "F4_SINGLE"])
def test_f4_gives_a_hand_worked_one_dimensional_tile(f4: winograd.Minimal) -> None:
    # 1-D F(4, 3): [1, 2, 0, -1, 3, 1] with filter [1, 0, -2] slides to
    #   1*1 + 2*0 + 0*(-2) = 1,   2*1 + 0*0 + (-1)*(-2) = 4,
    #   0*1 + (-1)*0 + 3*(-2) = -6,   (-1)*1 + 3*0 + 1*(-2) = -3.
    d = np.array([1.0, 2.0, 0.0, -1.0, 3.0, 1.0])
    g = np.array([1.0, 0.0, -2.0])
    np.testing.assert_allclose(f4.at @ ((f4.g @ g) * (f4.bt @ d)), [1, 4, -6, -3], atol=1e-12)


def test_f6_gives_a_hand_worked_one_dimensional_tile() -> None:
    # 1-D F(6, 3): [1, 2, 0, -1, 3, 1, 0, 2] with filter [1, 0, -2] slides to
    #   1 - 0 = 1,  2 + 2 = 4,  0 - 6 = -6,  -1 - 2 = -3,  3 - 0 = 3,  1 - 4 = -3.
    d = np.array([1.0, 2.0, 0.0, -1.0, 3.0, 1.0, 0.0, 2.0])
    g = np.array([1.0, 0.0, -2.0])
    f6 = winograd.F6
    np.testing.assert_allclose(
        f6.at @ ((f6.g @ g) * (f6.bt @ d)), [1, 4, -6, -3, 3, -3], atol=1e-12
    )


@pytest.mark.parametrize(
    "minimal",
    [winograd.F2, winograd.F4, winograd.F4_SINGLE, winograd.F6],
    ids=["F2", "F4", "F4_SINGLE", "F6"],
)
def test_two_dimensional_transforms_equal_the_loops_on_random_tiles(
    minimal: winograd.Minimal,
) -> None:
    rng = np.random.default_rng(3)
    a, m = minimal.tile, minimal.outputs
    tile, taps = rng.standard_normal((a, a)), rng.standard_normal((3, 3))
    into, filters, out_of = minimal.into, minimal.filters, minimal.out_of
    got = (out_of @ ((filters @ taps.ravel()) * (into @ tile.ravel()))).reshape(m, m)
    want = [[np.sum(tile[i : i + 3, j : j + 3] * taps) for j in range(m)] for i in range(m)]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    # The bias point is the one every output reads with weight 1.
    np.testing.assert_array_equal(out_of[:, minimal.bias_point], np.ones(m * m))


@pytest.mark.parametrize(
    ("points", "published"),
    [([0, 1, -1, 2, -0.5], winograd.F4_SINGLE), ([0, 1, -1, 2, -2, 0.5, -0.5], winograd.F6)],
    ids=["F4_SINGLE", "F6"],
)
def test_toom_cook_on_the_same_points_gives_the_published_transforms(
    points: list[float], published: winograd.Minimal
) -> None:
    built = winograd.from_points(points, published.outputs)
    # Rows of B^T and G may be scaled against each other; each point's product may not.
    rng = np.random.default_rng(11)
    for _ in range(5):
        d, g = rng.standard_normal(published.tile), rng.standard_normal(3)
        np.testing.assert_allclose(
            (built.g @ g) * (built.bt @ d), (published.g @ g) * (published.bt @ d), atol=1e-12
        )
    np.testing.assert_array_equal(built.at, published.at)


def test_toom_cook_refuses_repeated_or_missing_points() -> None:
    with pytest.raises(ValueError, match="needs 5 distinct points"):
        winograd.from_points([0, 1, 1, 2, -1], 4)
    with pytest.raises(ValueError, match="needs 7 distinct points"):
        winograd.from_points([0, 1, -1, 2, -2], 6)


def test_each_dtype_takes_its_points() -> None:
    # On the usual points F(4x4)'s rounding costs float32 its last digits; float64 has them to
    # spare. float32 takes points that round less.
    assert winograd.minimal_for(np.dtype(np.float64)) is winograd.F4
    assert winograd.minimal_for(np.dtype(np.float32)) is winograd.F4_SINGLE


def test_float32_rounds_less_on_the_chosen_points_than_on_the_usual_ones() -> None:
    # 576-term sums of unit normals: root-mean-square error against float64 im2col, per set of
    # transforms (the same multiplies for both F(4x4)s).
    layer = random_layer(LayerShape.square(24, 64, 16, 3, padding=1), seed=5, seed_step=1)
    exact = forward(layer).pre
    x, w, b = (a.astype(np.float32) for a in (layer.x_padded, layer.weights, layer.bias))
    transforms = {"F2": winograd.F2, "F4": winograd.F4, "F4_SINGLE": winograd.F4_SINGLE}
    rms = {}
    with Workers(1) as workers:
        for name, minimal in transforms.items():
            got = winograd.conv3x3(x, w, b, layer.geometry, workers, minimal)
            rms[name] = float(np.sqrt(np.mean((got - exact) ** 2)))
    assert rms["F2"] < rms["F4_SINGLE"] < 0.8 * rms["F4"]
    assert rms["F4_SINGLE"] < 6 * rms["F2"]


@pytest.mark.parametrize("seed", range(6))
def test_random_layers_winograd_takes_equal_the_notes_loops(seed: int) -> None:
    # Seeded random shapes beside the hand-picked ones: sizes, depths, filter counts and
    # padding on each side drawn until the layer is one winograd.fits
    rng = np.random.default_rng(4000 + seed)
    while True:
        h, w = (int(v) for v in rng.integers(6, 41, 2))
        d, k = (int(v) for v in rng.integers(16, 41, 2))
        pads = Padding(*(int(v) for v in rng.integers(0, 3, 4)))
        shape = LayerShape(h, w, d, k, 3, 3, padding=pads, fit="floor")
        layer = random_layer(shape, seed=seed, seed_step=1)
        if winograd.fits(layer.geometry):
            break
    assert_forward_equals_the_loops(layer, int(rng.integers(1, 4)), winograd=True)
