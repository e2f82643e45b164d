"""Named layers: every configuration the CS231n notes talk about, ready to build.

Each preset's ``description`` is a sentence of the notes quoted exactly, so the page can show
what the notes say beside what the engine computes. Where the notes give numbers (the 1-D
example) the preset holds them; where they give only sizes, the values come from seeded fills
(the same every time) and ``choices`` says what the preset picked that the notes leave open.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
    description: str  # one sentence of the notes, quoted exactly
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
        x = None if self.x is None else np.reshape(self.x, (s.height, s.width, s.depth))
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
    _one_d(1, "This worked out so because our receptive fields were 3 and we used zero "
              "padding of 1.", "[-2, 2, 1, 2, 1]"),
    _one_d(2, "then the filters jump 2 pixels at a time as we slide them around.",
           "[-2, 1, 1]"),
    Preset(
        name="seven-stride-1",
        title="7x7 input, 3x3 filter, stride 1, pad 0: 5x5 output",
        description="For example for a 7×7 input and a 3×3 filter with stride 1 and pad 0 we "
        "would get a 5×5 output.",
        shape=LayerShape.square(7, 1, 1, 3, stride=1, padding=0),
        choices=f"depth 1, one filter; {_SEEDED_INTEGERS}",
    ),
    Preset(
        name="seven-stride-2",
        title="7x7 input, 3x3 filter, stride 2, pad 0: 3x3 output",
        description="With stride 2 we would get a 3×3 output.",
        shape=LayerShape.square(7, 1, 1, 3, stride=2, padding=0),
        choices=f"depth 1, one filter; {_SEEDED_INTEGERS}",
    ),
    Preset(
        name="ten-stride-2-invalid",
        title="W=10, F=3, S=2, P=0: (10 - 3 + 0)/2 + 1 = 4.5, invalid",
        description="Therefore, this setting of the hyperparameters is considered to be invalid",
        shape=LayerShape.square(10, 1, 1, 3, stride=2, padding=0, fit="error"),
        choices=f"10x10x1, one filter; {_SEEDED_INTEGERS}",
    ),
    Preset(
        name="cs231n-demo",
        title="The notes' demo: 5x5x3 input, two 3x3x3 filters, stride 2, pad 1",
        description="During the forward pass, we slide (more precisely, convolve) each filter "
        "across the width and height of the input volume and compute dot products between the "
        "entries of the filter and the input at any position.",
        shape=LayerShape.square(5, 3, 2, 3, stride=2, padding=1),
        choices=_SEEDED_INTEGERS,
    ),
    Preset(
        name="example-1",
        title="Example 1: 32x32x3 input, 5x5x3 filters: 75 weights each",
        description="For example, suppose that the input volume has size [32x32x3], (e.g., an "
        "RGB CIFAR-10 image).",
        shape=LayerShape.square(32, 3, 12, 5, stride=1, padding=2),
        choices=f"K=12 (the notes' 'e.g., 12 filters'), S=1, P=2 (keeps 32x32); {_SEEDED_FLOATS}",
        input_fill=INPUT_FLOATS, weight_fill=WEIGHT_FLOATS, bias_fill=BIAS_FLOATS,
    ),
    Preset(
        name="example-2",
        title="Example 2: 16x16x20 input, 3x3x20 filters: 180 connections each",
        description="Suppose an input volume had size [16x16x20].",
        shape=LayerShape.square(16, 20, 5, 3, stride=1, padding=1),
        choices=f"K=5 (as in the notes' figure), S=1, P=1 (keeps 16x16); {_SEEDED_FLOATS}",
        input_fill=INPUT_FLOATS, weight_fill=WEIGHT_FLOATS, bias_fill=BIAS_FLOATS,
    ),
    Preset(
        name="numpy-example",
        title="NumPy example: 11x11x4 input, F=5, S=2, P=0, two filters: 4x4x2",
        description="The output volume would therefore have spatial size (11-5)/2+1 = 4, giving "
        "a volume with width and height of 4.",
        shape=LayerShape.square(11, 4, 2, 5, stride=2, padding=0),
        choices=f"K=2 (the notes' W0 and W1); {_SEEDED_INTEGERS}",
    ),
    Preset(
        name="alexnet-conv1",
        title="AlexNet conv1: 227x227x3, 96 filters of 11x11x3, stride 4: 55x55x96",
        description="The Krizhevsky et al. architecture that won the ImageNet challenge in 2012 "
        "accepted images of size [227x227x3].",
        shape=LayerShape.square(227, 3, 96, 11, stride=4, padding=0),
        choices=_SEEDED_FLOATS,
        input_fill=INPUT_FLOATS, weight_fill=WEIGHT_FLOATS, bias_fill=BIAS_FLOATS,
    ),
    Preset(
        name="alexnet-224",
        title="AlexNet as the paper states it: 224x224x3 does not fit (54.25)",
        description="My own best guess is that Alex used zero-padding of three extra pixels "
        "that he does not mention in the paper.",
        shape=LayerShape.square(224, 3, 96, 11, stride=4, padding=0, fit="error"),
        choices=f"refused under fit='error'; fit='pad' adds the 3 pixels; {_SEEDED_FLOATS}",
        input_fill=INPUT_FLOATS, weight_fill=WEIGHT_FLOATS, bias_fill=BIAS_FLOATS,
    ),
    Preset(
        name="common-3-1-1",
        title="The common setting F=3, S=1, P=1: 8x8x3 keeps its size",
        description="A common setting of the hyperparameters is F=3,S=1,P=1.",
        shape=LayerShape.square(8, 3, 2, 3, stride=1, padding=1),
        choices=f"8x8x3 input, two filters; {_SEEDED_INTEGERS}",
    ),
)

PRESETS: dict[str, Preset] = {preset.name: preset for preset in _ALL}


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
    engine.geometry.GeometryError: stride: width: (10 - 3 + 2*0)/2 + 1 = 4.5 is not an integer...
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
