"""ConvScope's conv engine: the CS231n conv layer in NumPy, usable without the server.

Volumes are ``(H, W, D)`` arrays and filters ``(K, Fh, Fw, D)``, so the notes' expressions hold
literally. A notebook session, the notes' NumPy example (11x11x4, F=5, S=2, P=0):

>>> import numpy as np
>>> import engine
>>> layer = engine.build_preset("numpy-example")
>>> layer.geometry.output_shape
(4, 4, 2)
>>> V = engine.forward(layer).post
>>> X, W0, b0 = layer.x, layer.weights[0], layer.bias[0]
>>> bool(np.isclose(V[1, 0, 0], np.sum(X[2:7, :5, :] * W0) + b0))
True
>>> step = engine.step(layer, 4)  # row-major: steps 0..3 are row 0
>>> step.expression
'V[1,0,0] = np.sum(X[2:7,:5,:] * W0) + b0'
>>> engine.resolve(engine.LayerShape.square(227, 3, 96, 11, stride=4)).counts.parameters_shared
34944
"""

from __future__ import annotations

from engine.backward import (
    Gradients,
    StepGradients,
    backward,
    backward_naive,
    step_weight_gradients,
    weight_gradient_contribution,
    weight_gradient_running,
)
from engine.conv import (
    ForwardResult,
    activate,
    conv2d,
    forward,
    forward_naive,
    local2d,
)
from engine.edits import Edit, apply_edits, edit_filters, edit_input
from engine.errors import LayerError
from engine.geometry import (
    AxisGeometry,
    Counts,
    Geometry,
    GeometryError,
    LayerShape,
    Padding,
    Suggestion,
    Suggestions,
    axis_output,
    layout_notes,
    resolve,
    suggest,
)
from engine.layer import (
    Activation,
    Connectivity,
    Layer,
    build_layer,
    make_filters,
    make_input,
    pad_input,
)
from engine.presets import DEFAULT_PRESET, PRESETS, Preset, build_preset
from engine.tensors import Fill, fill
from engine.threads import Workers
from engine.trace import (
    ORDERS,
    Inverse,
    Order,
    Step,
    StepRange,
    Tap,
    expression,
    inverse,
    step,
    step_number,
    step_position,
    steps,
)
from engine.windows import windows

__all__ = [
    "DEFAULT_PRESET",
    "ORDERS",
    "PRESETS",
    "Activation",
    "AxisGeometry",
    "Connectivity",
    "Counts",
    "Edit",
    "Fill",
    "ForwardResult",
    "Geometry",
    "GeometryError",
    "Gradients",
    "Inverse",
    "Layer",
    "LayerError",
    "LayerShape",
    "Order",
    "Padding",
    "Preset",
    "Step",
    "StepGradients",
    "StepRange",
    "Suggestion",
    "Suggestions",
    "Tap",
    "Workers",
    "activate",
    "apply_edits",
    "axis_output",
    "backward",
    "backward_naive",
    "build_layer",
    "build_preset",
    "conv2d",
    "edit_filters",
    "edit_input",
    "expression",
    "fill",
    "forward",
    "forward_naive",
    "inverse",
    "layout_notes",
    "local2d",
    "make_filters",
    "make_input",
    "pad_input",
    "resolve",
    "step",
    "step_number",
    "step_position",
    "step_weight_gradients",
    "steps",
    "suggest",
    "weight_gradient_contribution",
    "weight_gradient_running",
    "windows",
]
