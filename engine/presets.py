"""Named layers: every configuration the CS231n notes talk about, ready to build.

Each preset's ``description`` says in our own words which fact of the notes it shows, with the
notes' numbers; every one of those facts is in the notes' Convolutional Layer section,
https://cs231n.github.io/convolutional-networks/#conv. Where the notes give numbers (the 1-D
example) the preset holds them; where they give only sizes, the values come from seeded fills
(the same every time) and ``choices`` says what the preset picked that the notes leave open.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from engine.errors import LayerError
from engine.geometry import LayerShape, Padding, resolve
from engine.layer import Activation, Connectivity, Layer, build_layer, weight_shape
from engine.tensors import BIAS_INTEGERS, INPUT_INTEGERS, WEIGHT_INTEGERS, Fill, FloatArray

DEFAULT_PRESET = "cs231n-demo"

# Large layers get floats: integers 0..2 on 227x227x3 would read no better by hand, and
# floats look like the images and trained filters the notes describe.
INPUT_FLOATS = Fill("uniform", low=0.0, high=1.0)
WEIGHT_FLOATS = Fill("normal", mean=0.0, std=0.1)
BIAS_FLOATS = Fill("uniform", low=0.0, high=0.1)


@dataclass(frozen=True)
class Preset:
    """A named layer from the notes.

    ``x``, ``weights`` and ``bias`` are explicit values, flat and row-major in the layer's
    shapes ((H, W, D), the weights' shape, the bias's shape), or None to use the fills.
    ``default_step`` is the step (in ``depth_slice`` order) the page opens at.
    """

    name: str
    title: str
    description: str  # the fact of the notes it shows, in our own words
    shape: LayerShape
    choices: str = ""  # what the preset chose where the notes leave it open
    x: tuple[float, ...] | None = None
    weights: tuple[float, ...] | None = None
    bias: tuple[float, ...] | None = None
    input_fill: Fill = field(default=INPUT_INTEGERS)
    weight_fill: Fill = field(default=WEIGHT_INTEGERS)
    bias_fill: Fill = field(default=BIAS_INTEGERS)
    connectivity: Connectivity = "shared"
    activation: Activation = "none"
    default_step: int = 0

    def explicit_values(self) -> tuple[FloatArray | None, FloatArray | None, FloatArray | None]:
        """The explicit ``(x, weights, bias)`` in the engine's shapes, None where filled.

        >>> x, w, b = PRESETS["one-d-stride-1"].explicit_values()
        >>> x.shape, w.shape, b.shape
        ((1, 5, 1), (1, 1, 3, 1), (1,))
        """
        s = self.shape
        x = None if self.x is None else np.reshape(self.x, s.input_shape)
        weights = bias = None
        if self.weights is not None or self.bias is not None:
            # Local weights' shape depends on the output size, so only a valid layer has one.
            geometry = resolve(s)
            wshape = weight_shape(geometry, self.connectivity)
            bshape = (s.filters,) if self.connectivity == "shared" else geometry.output_shape
            if self.weights is not None:
                weights = np.reshape(self.weights, wshape)
            if self.bias is not None:
                bias = np.reshape(self.bias, bshape)
        return (
            None if x is None else x.astype(np.float64),
            None if weights is None else weights.astype(np.float64),
            None if bias is None else bias.astype(np.float64),
        )


def _one_d(stride: int, description: str, output: str) -> Preset:
    """The notes' 1-D figure: a 5-wide input, a 3-wide filter, padding 1 on the left/right."""
    return Preset(
        name=f"one-d-stride-{stride}",
        title=f"1-D example, stride {stride}: output {output}",
        description=description,
        # One row: height 1 with a 1-tall filter, so padding only goes left and right.
        shape=LayerShape(1, 5, 1, 1, 1, 3, stride_h=1, stride_w=stride,
                         padding=Padding(0, 0, 1, 1)),
        choices="input [1, 2, -1, 1, -3], weights [1, 0, -1] and bias 0 from the notes' figure",
        x=(1.0, 2.0, -1.0, 1.0, -3.0),
        weights=(1.0, 0.0, -1.0),
        bias=(0.0,),
    )


_SEEDED_INTEGERS = "seeded integer fills: inputs 0..2, weights -1..1, biases 0..1"
_SEEDED_FLOATS = (
    "seeded float fills: inputs uniform in [0, 1), weights normal with std 0.1, "
    "biases uniform in [0, 0.1)"
)

_ALL: tuple[Preset, ...] = (
    _one_d(1, "A 3-wide filter over a 5-wide input padded by 1 on each side gives 5 outputs: "
              "the output is as wide as the input. Unpadded (P=0) it would give only 3; at "
              "stride 1, P = (F - 1)/2 keeps the size for any odd F.", "[-2, 2, 1, 2, 1]"),
    _one_d(2, "At stride 2 the filter moves 2 cells per output, so the same padded input gives "
              "3 outputs instead of 5.", "[-2, 1, 1]"),
    Preset(
        name="seven-stride-1",
        title="7x7 input, 3x3 filter, stride 1, pad 0: 5x5 output",
        description="A 3x3 filter fits 5 times along each side of an unpadded 7x7 input at "
        "stride 1: (7 - 3)/1 + 1 = 5.",
        shape=LayerShape.square(7, 1, 1, 3, stride=1, padding=0),
        choices=f"depth 1, one filter; {_SEEDED_INTEGERS}",
    ),
    Preset(
        name="seven-stride-2",
        title="7x7 input, 3x3 filter, stride 2, pad 0: 3x3 output",
        description="The same 7x7 input and 3x3 filter at stride 2 give 3x3: (7 - 3)/2 + 1 = 3.",
        shape=LayerShape.square(7, 1, 1, 3, stride=2, padding=0),
        choices=f"depth 1, one filter; {_SEEDED_INTEGERS}",
    ),
    Preset(
        name="ten-stride-2-invalid",
        title="W=10, F=3, S=2, P=0: (10 - 3 + 0)/2 + 1 = 4.5, invalid",
        description="W=10, F=3, P=0 at stride 2 gives (10 - 3 + 0)/2 + 1 = 4.5 positions, not "
        "a whole number, so the notes call this layer invalid.",
        shape=LayerShape.square(10, 1, 1, 3, stride=2, padding=0, fit="error"),
        choices=f"10x10x1, one filter; {_SEEDED_INTEGERS}",
    ),
    Preset(
        name="cs231n-demo",
        title="The notes' demo: 5x5x3 input, two 3x3x3 filters, stride 2, pad 1",
        description="The notes' animated demo: each 3x3x3 filter moves over the padded input "
        "two cells at a time, and every output number is the filter's dot product with the "
        "input window under it, plus the bias.",
        shape=LayerShape.square(5, 3, 2, 3, stride=2, padding=1),
        choices=_SEEDED_INTEGERS,
    ),
    Preset(
        name="example-1",
        title="Example 1: 32x32x3 input, 5x5x3 filters: 75 weights each",
        description="A 32x32x3 input (a CIFAR-10 sized colour image) with 5x5 filters: each "
        "neuron sees a 5x5x3 window, 5*5*3 = 75 weights plus one bias.",
        shape=LayerShape.square(32, 3, 12, 5, stride=1, padding=2),
        choices=f"K=12 (the notes' 'e.g., 12 filters'), S=1, P=2 (keeps 32x32); {_SEEDED_FLOATS}",
        input_fill=INPUT_FLOATS, weight_fill=WEIGHT_FLOATS, bias_fill=BIAS_FLOATS,
    ),
    Preset(
        name="example-2",
        title="Example 2: 16x16x20 input, 3x3x20 filters: 180 connections each",
        description="A 16x16x20 input with 3x3 filters: each neuron connects to 3*3*20 = 180 "
        "inputs, local across width and height but through all 20 channels.",
        shape=LayerShape.square(16, 20, 5, 3, stride=1, padding=1),
        choices=f"K=5 (our choice: the notes give this example no filter count), S=1, P=1 "
        f"(keeps 16x16); {_SEEDED_FLOATS}",
        input_fill=INPUT_FLOATS, weight_fill=WEIGHT_FLOATS, bias_fill=BIAS_FLOATS,
    ),
    Preset(
        name="numpy-example",
        title="NumPy example: 11x11x4 input, F=5, S=2, P=0, two filters: 4x4x2",
        description="The notes' NumPy walk-through: an 11x11x4 input, 5x5x4 filters W0 and W1, "
        "stride 2, no padding, so each activation map is (11 - 5)/2 + 1 = 4 wide and tall. "
        "Here V[i, j, d] is row i, column j; the walk-through names its first index x and "
        "moves it across the width, so its V[1,0,0] is one row down on this page. The layer "
        "is square, so every expression and number is the same.",
        shape=LayerShape.square(11, 4, 2, 5, stride=2, padding=0),
        choices=f"K=2 (the notes' W0 and W1); {_SEEDED_INTEGERS}",
    ),
    Preset(
        name="alexnet-conv1",
        title="AlexNet conv1: 227x227x3, 96 filters of 11x11x3, stride 4: 55x55x96",
        description="AlexNet's first layer (ImageNet 2012 winner): 227x227x3 images, 96 "
        "filters of 11x11x3 at stride 4 with no padding, (227 - 11)/4 + 1 = 55, so 55x55x96.",
        shape=LayerShape.square(227, 3, 96, 11, stride=4, padding=0),
        choices=_SEEDED_FLOATS,
        input_fill=INPUT_FLOATS, weight_fill=WEIGHT_FLOATS, bias_fill=BIAS_FLOATS,
    ),
    Preset(
        name="alexnet-224",
        title="AlexNet as the paper states it: 224x224x3 does not fit (54.25)",
        description="The AlexNet paper says 224x224 inputs, but (224 - 11)/4 + 1 = 54.25 is not "
        "whole; the notes suspect 3 pixels of padding the paper leaves out.",
        shape=LayerShape.square(224, 3, 96, 11, stride=4, padding=0, fit="error"),
        choices=f"refused under fit='error'; fit='pad' adds the 3 pixels; {_SEEDED_FLOATS}",
        input_fill=INPUT_FLOATS, weight_fill=WEIGHT_FLOATS, bias_fill=BIAS_FLOATS,
    ),
    Preset(
        name="common-3-1-1",
        title="The common setting F=3, S=1, P=1: 8x8x3 keeps its size",
        description="F=3, S=1, P=1 is a setting the notes call common: it keeps the input's "
        "width and height, as P = (F - 1)/2 does at stride 1 for any odd F (F=5 with P=2, "
        "F=7 with P=3).",
        shape=LayerShape.square(8, 3, 2, 3, stride=1, padding=1),
        choices=f"8x8x3 input, two filters; {_SEEDED_INTEGERS}",
    ),
)

# a read-only view: the engine keeps no state a caller could change
PRESETS: Mapping[str, Preset] = MappingProxyType({preset.name: preset for preset in _ALL})


def build_preset(name: str) -> Layer:
    """The layer of preset ``name``.

    Raises
    ------
    LayerError
        ``field="name"`` for an unknown preset (the message lists the known ones).
    GeometryError
        For the presets the notes call invalid (``ten-stride-2-invalid``, ``alexnet-224``).

    Examples
    --------
    >>> layer = build_preset("alexnet-conv1")
    >>> layer.geometry.output_shape, layer.geometry.counts.parameters_shared
    ((55, 55, 96), 34944)
    >>> build_preset("ten-stride-2-invalid")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    engine.geometry.GeometryError: stride: height: (10 - 3 + 2*0)/2 + 1 = 4.5 is not an integer...
    """
    preset = PRESETS.get(name)
    if preset is None:
        raise LayerError("name", f"unknown preset {name!r}; known: {', '.join(PRESETS)}")
    x, weights, bias = preset.explicit_values()
    return build_layer(
        preset.shape,
        x=x,
        weights=weights,
        bias=bias,
        input_fill=preset.input_fill,
        weight_fill=preset.weight_fill,
        bias_fill=preset.bias_fill,
        connectivity=preset.connectivity,
        activation=preset.activation,
    )
