"""engine/presets.py: every preset builds (or is refused as the notes say) with the notes' numbers.

The numbers come from the notes' Convolutional Layer section:
https://cs231n.github.io/convolutional-networks/#conv
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest

from engine.errors import LayerError
from engine.geometry import GeometryError, Padding, resolve
from engine.presets import DEFAULT_PRESET, PRESETS, Preset, build_preset

# Output (H2, W2, K) of every valid preset, worked out by hand with (W - F + 2P)/S + 1.
EXPECTED_OUTPUT = {
    "one-d-stride-1": (1, 5, 1),  # width (5 - 3 + 2)/1 + 1 = 5
    "one-d-stride-2": (1, 3, 1),  # width (5 - 3 + 2)/2 + 1 = 3
    "seven-stride-1": (5, 5, 1),  # (7 - 3)/1 + 1
    "seven-stride-2": (3, 3, 1),  # (7 - 3)/2 + 1
    "cs231n-demo": (3, 3, 2),  # (5 - 3 + 2)/2 + 1
    "example-1": (32, 32, 12),  # (32 - 5 + 4)/1 + 1
    "example-2": (16, 16, 5),  # (16 - 3 + 2)/1 + 1
    "numpy-example": (4, 4, 2),  # (11 - 5)/2 + 1
    "alexnet-conv1": (55, 55, 96),  # (227 - 11)/4 + 1
    "common-3-1-1": (8, 8, 2),  # (8 - 3 + 2)/1 + 1
}
# The refused presets and the fractional size their message must show.
INVALID = {
    "ten-stride-2-invalid": "(10 - 3 + 2*0)/2 + 1 = 4.5",
    "alexnet-224": "(224 - 11 + 2*0)/4 + 1 = 54.25",
}
SMALL = ["one-d-stride-1", "one-d-stride-2", "seven-stride-1", "seven-stride-2", "cs231n-demo",
         "numpy-example", "common-3-1-1"]
LARGE = ["example-1", "example-2", "alexnet-conv1"]


def test_every_preset_is_listed_as_valid_or_invalid() -> None:
    assert set(PRESETS) == set(EXPECTED_OUTPUT) | set(INVALID)
    assert set(SMALL) | set(LARGE) == set(EXPECTED_OUTPUT)


def test_preset_keys_are_their_names_and_unique() -> None:
    names = [preset.name for preset in PRESETS.values()]
    assert names == list(PRESETS)
    assert len(set(names)) == len(names)
    assert len({preset.title for preset in PRESETS.values()}) == len(PRESETS)


@pytest.mark.parametrize("name", sorted(EXPECTED_OUTPUT))
def test_valid_preset_builds_with_the_hand_computed_output(name: str) -> None:
    layer = build_preset(name)
    assert layer.geometry.output_shape == EXPECTED_OUTPUT[name]
    shape = PRESETS[name].shape
    assert layer.x.shape == (shape.height, shape.width, shape.depth)
    assert 0 <= PRESETS[name].default_step < layer.geometry.steps


@pytest.mark.parametrize(("name", "arithmetic"), sorted(INVALID.items()))
def test_invalid_preset_is_refused_with_the_fractional_size(name: str, arithmetic: str) -> None:
    with pytest.raises(GeometryError) as caught:
        build_preset(name)
    assert caught.value.field == "stride"
    assert arithmetic in caught.value.reason
    assert "not an integer" in caught.value.reason


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_description_is_a_sentence(name: str) -> None:
    # tests/test_own_words.py checks that no description copies a run of the notes' words.
    description = PRESETS[name].description
    assert description.strip() == description and len(description) > 20
    assert description.endswith(".")


def test_default_preset_is_the_cs231n_demo() -> None:
    assert DEFAULT_PRESET == "cs231n-demo"
    assert DEFAULT_PRESET in PRESETS


def test_unknown_preset_is_refused_naming_every_known_one() -> None:
    with pytest.raises(LayerError) as caught:
        build_preset("lenet")
    assert caught.value.field == "name"
    assert "'lenet'" in caught.value.reason
    for name in PRESETS:
        assert name in caught.value.reason


@pytest.mark.parametrize("stride", [1, 2])
def test_one_d_presets_hold_the_figures_numbers(stride: int) -> None:
    layer = build_preset(f"one-d-stride-{stride}")
    assert layer.x.ravel().tolist() == [1.0, 2.0, -1.0, 1.0, -3.0]
    assert layer.weights.ravel().tolist() == [1.0, 0.0, -1.0]
    assert layer.bias.tolist() == [0.0]
    # Padding only left and right: the padded row is [0, 1, 2, -1, 1, -3, 0].
    assert layer.x_padded.ravel().tolist() == [0.0, 1.0, 2.0, -1.0, 1.0, -3.0, 0.0]


def test_cs231n_demo_uses_the_demos_integer_ranges() -> None:
    layer = build_preset("cs231n-demo")
    assert set(np.unique(layer.x)) <= {0.0, 1.0, 2.0}
    assert set(np.unique(layer.weights)) <= {-1.0, 0.0, 1.0}
    assert set(np.unique(layer.bias)) <= {0.0, 1.0}
    # Seeded fills of 75 and 54 cells draw every value of their range.
    assert len(np.unique(layer.x)) == 3 and len(np.unique(layer.weights)) == 3


@pytest.mark.parametrize("name", SMALL)
def test_small_presets_are_whole_numbers(name: str) -> None:
    layer = build_preset(name)
    for array in (layer.x, layer.weights, layer.bias):
        np.testing.assert_array_equal(array, np.round(array))


@pytest.mark.parametrize("name", LARGE)
def test_large_presets_are_floats(name: str) -> None:
    layer = build_preset(name)
    for array in (layer.x, layer.weights):
        assert not np.array_equal(array, np.round(array))
    assert layer.x.min() >= 0.0 and layer.x.max() < 1.0


@pytest.mark.parametrize("name", sorted(EXPECTED_OUTPUT))
def test_building_a_preset_twice_gives_the_same_numbers(name: str) -> None:
    first, second = build_preset(name), build_preset(name)
    np.testing.assert_array_equal(first.x, second.x)
    np.testing.assert_array_equal(first.weights, second.weights)
    np.testing.assert_array_equal(first.bias, second.bias)


def test_preset_is_frozen() -> None:
    preset: Preset = PRESETS["cs231n-demo"]
    with pytest.raises(AttributeError):
        preset.name = "other"  # type: ignore[misc]


def test_alexnet_224_fits_when_padded_three_extra_pixels() -> None:
    shape = replace(PRESETS["alexnet-224"].shape, fit="pad")
    geometry = resolve(shape)
    assert geometry.output_shape == (55, 55, 96)
    # (224 + 3 - 11)/4 + 1 = 55: the 3 pixels of padding the notes suspect (#conv).
    assert geometry.height.extra_padding == 3 and geometry.width.extra_padding == 3


def test_one_d_stride_1_says_what_it_gives_unpadded() -> None:
    # its description's claim, read from it: unpadded, the 3-wide filter fits
    # (5 - 3)/1 + 1 = 3 times (#conv, "Use of zero-padding")
    preset = PRESETS["one-d-stride-1"]
    said = re.search(r"Unpadded \(P=0\) it would give only (\d+)", preset.description)
    assert said, preset.description
    shape = replace(preset.shape, padding=Padding(0, 0, 0, 0))
    assert resolve(shape).output_shape == (1, int(said[1]), 1)


def test_common_3_1_1s_paddings_keep_the_size_at_stride_1() -> None:
    # its description's pairs, read from it: P = (F - 1)/2 at S=1 keeps its 8x8 input's size
    preset = PRESETS["common-3-1-1"]
    pairs = [(int(f), int(p)) for f, p in re.findall(r"F=(\d+) with P=(\d+)",
                                                      preset.description)]
    assert len(pairs) == 2, preset.description
    common = preset.shape
    for size, padding in [(common.filter_height, common.padding.top), *pairs]:
        shape = replace(common, filter_height=size, filter_width=size,
                        padding=Padding.of(padding))
        assert resolve(shape).output_shape == (8, 8, common.filters), (size, padding)
