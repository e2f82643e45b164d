"""F(2x2, 3x3): the Winograd kernel gives the notes' loops' numbers on the layers it takes."""

from __future__ import annotations

import numpy as np
import pytest
from engine_helpers import random_layer

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
    expected = forward_naive(layer).pre
    with Workers(count) as workers:
        got64 = forward(layer, workers=workers).pre
        got32 = forward(layer, np.float32, workers).pre
    assert got64.shape == expected.shape and got64.flags.c_contiguous
    np.testing.assert_allclose(got64, expected, rtol=1e-10, atol=1e-10)
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, expected, rtol=1e-4, atol=1e-4)


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
        forward(layer).pre, forward_naive(layer).pre, rtol=1e-10, atol=1e-10
    )


@pytest.mark.parametrize("band_bytes", [1, 20_000, 10**9])
def test_bands_of_any_height_cover_every_tile_row_once(
    monkeypatch: pytest.MonkeyPatch, band_bytes: int
) -> None:
    monkeypatch.setattr(winograd, "BAND_BYTES", band_bytes)
    layer = random_layer(SHAPES[1], seed=9, seed_step=1)
    expected = forward_naive(layer).pre
    with Workers(2) as workers:
        got = forward(layer, workers=workers).pre
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)


def test_the_transforms_are_the_published_ones() -> None:
    # 1-D F(2, 3) on one tile: [d0..d3] with filter [g0, g1, g2] gives the two outputs
    # d0*g0 + d1*g1 + d2*g2 and d1*g0 + d2*g1 + d3*g2.
    d = np.array([3.0, -1.0, 2.0, 5.0])
    g = np.array([0.5, 2.0, -1.0])
    bt, gm, at = winograd.BT, winograd.G, winograd.AT
    np.testing.assert_allclose(at @ ((gm @ g) * (bt @ d)), [np.dot(d[:3], g), np.dot(d[1:], g)])
