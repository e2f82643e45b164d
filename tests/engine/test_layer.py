"""Layers as a notebook user builds them: the arrays a layer keeps, and what it refuses
before making any."""

from __future__ import annotations

import numpy as np
import pytest

from engine import build_layer, forward
from engine.edits import Edit
from engine.errors import LayerError
from engine.geometry import LayerShape, resolve
from engine.presets import build_preset
from engine.tensors import Fill


def test_a_layers_arrays_cannot_be_changed_after_it_is_built() -> None:
    # A value written into x after a first forward was half seen: the padded input kept the
    # old one, the bias the new (the demo's V[0,0,0] read -4, neither -6 nor -7).
    layer = build_preset("cs231n-demo")
    before = forward(layer).post[0, 0, 0]
    for array in (layer.x, layer.weights, layer.bias, layer.x_padded):
        with pytest.raises(ValueError, match="read-only"):
            array.flat[0] = 5.0
    assert forward(layer).post[0, 0, 0] == before
    # the way to change it: edits, on a new layer
    edited = build_layer(layer.geometry, x=layer.x, weights=layer.weights, bias=layer.bias,
                         edits=[Edit("input", (0, 0, 0), 5.0), Edit("bias", (0,), 3.0)])
    assert forward(edited).post[0, 0, 0] == -7.0  # the README's edited demo


@pytest.mark.parametrize("padding", [0, 1])
def test_a_layer_keeps_its_own_copy_of_the_values_it_was_given(padding: int) -> None:
    shape = LayerShape.square(5, 3, 2, 3, stride=2, padding=padding)
    mine = np.arange(75, dtype=np.float64).reshape(5, 5, 3)
    layer = build_layer(shape, x=mine)
    mine[0, 0, 0] = 1000.0  # the caller's array stays the caller's, writable
    assert layer.x[0, 0, 0] == 0.0 and mine.flags.writeable
    assert layer.x_padded[padding, padding, 0] == 0.0


@pytest.mark.parametrize(("padding", "fit", "padded"), [
    (0, "error", (7, 7)), (2, "error", (11, 11)), (0, "pad", (9, 9)),  # (7 - 3)/3 + 1: 2 more
])
def test_a_layer_holds_its_input_once_x_a_view_of_its_padded_input(
    padding: int, fit: str, padded: tuple[int, int]
) -> None:
    # a padded copy beside x doubled what a cached layer weighs: a 224x224x64 input with
    # padding 1 did not fit the app's layer cache, and each of its steps built it again
    x = np.arange(1, 99.0).reshape(7, 7, 2)  # no zero among them
    layer = build_layer(LayerShape.square(7, 2, 3, 3, stride=3 if fit == "pad" else 1,
                                          padding=padding, fit=fit),  # type: ignore[arg-type]
                        x=x)
    assert layer.x_padded.shape == (*padded, 2)
    assert np.shares_memory(layer.x, layer.x_padded)
    assert np.array_equal(layer.x, x)
    assert np.array_equal(layer.x_padded[padding:padding + 7, padding:padding + 7], x)
    # the rest is the zero padding, fit="pad"'s extra row and column at the bottom and right
    assert np.count_nonzero(layer.x_padded) == layer.x.size
    assert not layer.x.flags.writeable and not layer.x_padded.flags.writeable


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"x": np.zeros((5, 5, 3))}, "input.values"),
    ({"weights": np.zeros((2, 3, 3, 4))}, "filters.values"),
    ({"edits": [Edit("input", (5000, 0, 0), 1.0)]}, "edits.0.index"),
])
def test_wrong_values_and_edits_are_refused_before_any_fill_is_made(
    kwargs: dict[str, object], field: str, filled: list[tuple[int, ...]]
) -> None:
    # 400x400x3 locally connected: 4.3 GB of weights were filled before the refusal
    shape = LayerShape.square(400, 3, 64, 3, padding=1)
    with pytest.raises(LayerError) as caught:
        build_layer(shape, connectivity="local", **kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert filled == []
    # the patched fill is the one build_layer uses: a layer that is right fills all three
    build_layer(LayerShape.square(5, 3, 2, 3), connectivity="local")
    assert len(filled) == 3


@pytest.mark.parametrize(("fill", "field"), [
    (Fill("integer", low=0, high=9), "fill.kind"),  # a misspelt kind drew normal noise
    (Fill("normal", mean=float("nan")), "fill.mean"),
    (Fill("uniform", low=-np.inf), "fill.low"),
    (Fill("integers", high=1e30), "fill.high"),
])
def test_a_fill_that_cannot_be_made_names_its_field(fill: Fill, field: str) -> None:
    with pytest.raises(LayerError) as caught:
        build_layer(LayerShape.square(5, 3, 2, 3), input_fill=fill)
    assert caught.value.field == field


def test_values_that_are_not_real_numbers_name_their_field() -> None:
    shape = LayerShape.square(2, 1, 1, 1)
    with pytest.raises(LayerError, match="complex") as caught:
        build_layer(shape, x=np.ones((2, 2, 1), dtype=complex))
    assert caught.value.field == "input.values"
    with pytest.raises(LayerError, match="numbers") as caught:
        build_layer(shape, x=np.array([[["a"], ["b"]], [["c"], ["d"]]]))
    assert caught.value.field == "input.values"


def test_weights_given_without_a_bias_get_zero_biases() -> None:
    # a filter given whole is one its caller knows: a seeded bias beside it shifted every
    # output they checked; made weights keep their seeded biases, and a fill asked for is made
    shape = LayerShape.square(4, 1, 3, 1)
    given = build_layer(shape, weights=np.ones((3, 1, 1, 1)))
    made = build_layer(shape)
    assert given.bias.tolist() == [0.0, 0.0, 0.0]
    assert made.bias.tolist() != [0.0, 0.0, 0.0]
    asked = build_layer(shape, weights=np.ones((3, 1, 1, 1)),
                        bias_fill=Fill("integers", low=0, high=1))
    assert asked.bias.tolist() == made.bias.tolist()
    np.testing.assert_array_equal(forward(given).pre, np.repeat(given.x, 3, axis=2))


def test_a_layer_and_its_geometry_print_in_a_few_lines() -> None:
    # a notebook printed AlexNet conv1's arrays whole (17,820 characters), and a floor-fitted
    # 10,000-wide geometry its 6,666 unseen cells (79,088)
    alexnet = build_preset("alexnet-conv1")
    assert repr(alexnet) == ("Layer(227x227x3 -> 55x55x96: 96 filters 11x11x3, stride 4x4, "
                             "padding [0, 0, 0, 0], dilation 1x1, shared, activation 'none')")
    wide = resolve(LayerShape.square(10000, 1, 1, 1, stride=3, fit="floor"))
    assert len(wide.width.unseen) == 6666 and len(repr(wide)) < 2000
    assert "unseen=<6666 cells, 1 to 9998>" in repr(wide.width)
    few = resolve(LayerShape.square(10, 1, 1, 3, stride=2, fit="floor"))
    assert "unseen=(9,)" in repr(few.width)  # a few are listed
