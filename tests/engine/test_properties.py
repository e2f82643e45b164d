"""Property tests of the engine over random layers (hypothesis, bounded examples).

For random valid layers -- per-axis sizes, strides, dilations, four-sided padding, every fit
policy, shared and local connectivity, ReLU or not -- the forward pass equals a reference
written here from the notes' definition, every step's numbers add up to the forward output,
and the geometry agrees with a brute-force walk of the window positions. Random invalid
layers raise the engine's domain error (:class:`engine.errors.LayerError`), never anything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from engine.conv import forward, forward_naive
from engine.errors import LayerError
from engine.geometry import LayerShape, Padding, resolve
from engine.layer import Layer, build_layer
from engine.tensors import Fill
from engine.trace import expression, inverse, step_position, steps

PROPERTY = settings(
    max_examples=60,
    deadline=None,  # timing belongs in benchmarks/
    derandomize=True,  # CI failures reproduce
    suppress_health_check=[HealthCheck.too_slow],
)

Fit = Literal["error", "floor", "pad"]


# ----------------------------------------------------------------------------- brute force


@dataclass(frozen=True)
class Walk:
    """What sliding one window along one padded axis does, found by trying every start."""

    starts: list[int]  # start of each window in the padded axis (extra padding included)
    extra: int  # zero cells fit="pad" must add after the end
    unseen: list[int]  # original-input indices no tap touches


def walk(size: int, f: int, stride: int, dilation: int, before: int, after: int,
         fit: Fit) -> Walk | None:
    """Slide a dilated ``f``-tap window by ``stride`` over ``before + size + after`` cells.

    None when the layer is refused: the window is wider than the padded axis, or (with
    ``fit="error"``) no window ends exactly at the last cell.
    """
    padded = before + size + after
    span = dilation * (f - 1) + 1
    if span > padded:
        return None
    inside = [p for p in range(0, padded) if p % stride == 0 and p + span <= padded]
    exact = inside[-1] + span == padded
    if fit == "error" and not exact:
        return None
    starts = inside
    if fit == "pad" and not exact:
        # One more window, overrunning into added zeros; kept only if it starts on the input
        # or before it (one starting in the padding after the input sees none of it).
        nxt = inside[-1] + stride
        if nxt < before + size:
            starts = [*inside, nxt]
    extra = max(0, starts[-1] + span - padded)
    touched = {p + a * dilation - before for p in starts for a in range(f)}
    unseen = [i for i in range(size) if i not in touched]
    return Walk(starts, extra, unseen)


def reference_forward(layer: Layer, walks: tuple[Walk, Walk]) -> np.ndarray:
    """The notes' definition, tap by tap: ``V[i,j,d] = sum Xp[r, c, :] * W[d, a, b, :] + b[d]``.

    The padded input is built here from the layer's ``x`` and the brute-force walks, not taken
    from the engine.
    """
    rows, cols = walks
    g = layer.geometry
    x = layer.x  # (H, W, D)
    h, w, depth = x.shape
    top, bottom, left, right = g.shape.padding.as_list()
    xp = np.zeros((top + h + bottom + rows.extra, left + w + right + cols.extra, depth))
    xp[top:top + h, left:left + w, :] = x
    fh, fw = g.shape.filter_height, g.shape.filter_width
    dh, dw = g.shape.dilation_h, g.shape.dilation_w
    k = g.shape.filters
    out = np.zeros((len(rows.starts), len(cols.starts), k))
    for i, r0 in enumerate(rows.starts):
        for j, c0 in enumerate(cols.starts):
            for d in range(k):
                if layer.connectivity == "shared":
                    weights, bias = layer.weights[d], layer.bias[d]
                else:
                    weights, bias = layer.weights[i, j, d], layer.bias[i, j, d]
                total = 0.0
                for a in range(fh):
                    for b in range(fw):
                        for c in range(depth):
                            total += xp[r0 + a * dh, c0 + b * dw, c] * weights[a, b, c]
                out[i, j, d] = total + bias
    return out


# ----------------------------------------------------------------------------- strategies


@st.composite
def axes(draw: Any, fit: Fit) -> tuple[int, int, int, int, int, int]:
    """(size, f, stride, dilation, before, after) along one axis; with fit="error" the
    size is chosen so that the windows end exactly at the last cell."""
    f = draw(st.integers(1, 4))
    stride = draw(st.integers(1, 3))
    dilation = draw(st.integers(1, 2))
    before, after = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    span = dilation * (f - 1) + 1
    windows = draw(st.integers(1, 4))
    leftover = 0 if fit == "error" else draw(st.integers(0, stride - 1))
    size = (windows - 1) * stride + span + leftover - before - after
    assume(size >= 1)
    return size, f, stride, dilation, before, after


@st.composite
def valid_layers(draw: Any) -> tuple[LayerShape, str, str, int]:
    fit: Fit = draw(st.sampled_from(["error", "floor", "pad"]))
    h, fh, sh, dh, top, bottom = draw(axes(fit))
    w, fw, sw, dw, left, right = draw(axes(fit))
    shape = LayerShape(
        height=h, width=w, depth=draw(st.integers(1, 3)), filters=draw(st.integers(1, 3)),
        filter_height=fh, filter_width=fw, stride_h=sh, stride_w=sw,
        padding=Padding(top, bottom, left, right), dilation_h=dh, dilation_w=dw, fit=fit,
    )
    connectivity = draw(st.sampled_from(["shared", "local"]))
    activation = draw(st.sampled_from(["none", "relu"]))
    return shape, connectivity, activation, draw(st.integers(0, 2**32 - 1))


def build(shape: LayerShape, connectivity: str, activation: str, seed: int) -> Layer:
    # Real-valued random fills (not the small integer defaults), so a tap summed twice or
    # skipped cannot cancel out by luck.
    return build_layer(
        shape,
        input_fill=Fill("normal", seed=seed),
        weight_fill=Fill("uniform", seed=seed + 1, low=-1, high=1),
        bias_fill=Fill("uniform", seed=seed + 2, low=-1, high=1),
        connectivity=connectivity,  # type: ignore[arg-type]
        activation=activation,  # type: ignore[arg-type]
    )


def walks_of(shape: LayerShape) -> tuple[Walk, Walk]:
    p = shape.padding
    rows = walk(shape.height, shape.filter_height, shape.stride_h, shape.dilation_h,
                p.top, p.bottom, shape.fit)
    cols = walk(shape.width, shape.filter_width, shape.stride_w, shape.dilation_w,
                p.left, p.right, shape.fit)
    assert rows is not None and cols is not None  # valid_layers draws only layers that work
    return rows, cols


# ----------------------------------------------------------------------------- properties


@PROPERTY
@given(valid_layers())
def test_geometry_agrees_with_a_brute_force_walk_of_window_positions(
    drawn: tuple[LayerShape, str, str, int],
) -> None:
    shape = drawn[0]
    rows, cols = walks_of(shape)
    g = resolve(shape)
    assert g.output_shape == (len(rows.starts), len(cols.starts), shape.filters)
    assert (g.height.extra_padding, g.width.extra_padding) == (rows.extra, cols.extra)
    assert list(g.height.unseen) == rows.unseen
    assert list(g.width.unseen) == cols.unseen
    assert g.steps == len(rows.starts) * len(cols.starts) * shape.filters


@PROPERTY
@given(valid_layers())
def test_forward_equals_the_tap_by_tap_reference(drawn: tuple[LayerShape, str, str, int]) -> None:
    layer = build(*drawn)
    expected = reference_forward(layer, walks_of(layer.geometry.shape))
    result = forward(layer)
    np.testing.assert_allclose(result.pre, expected, rtol=1e-12, atol=1e-12)
    relu = np.maximum(expected, 0) if layer.activation == "relu" else expected
    np.testing.assert_allclose(result.post, relu, rtol=1e-12, atol=1e-12)
    # ... and the engine's own loops (the notes' code) say the same.
    np.testing.assert_allclose(forward_naive(layer).pre, expected, rtol=1e-12, atol=1e-12)


@PROPERTY
@given(valid_layers(), st.sampled_from(["depth_slice", "depth_column"]))
def test_steps_sum_to_the_forward_output_and_cover_every_neuron_once(
    drawn: tuple[LayerShape, str, str, int], order: Literal["depth_slice", "depth_column"]
) -> None:
    layer = build(*drawn)
    out = forward(layer)
    total = layer.geometry.steps
    found = steps(layer, 0, total, order)
    seen = np.zeros(layer.geometry.output_shape, dtype=int)
    for s in found:
        seen[s.i, s.j, s.d] += 1
        assert (s.i, s.j, s.d) == step_position(layer.geometry, s.t, order)
        np.testing.assert_allclose(s.products, s.window * s.weights, rtol=0, atol=0)
        np.testing.assert_allclose(s.channel_sums, s.products.sum(axis=(0, 1)), atol=1e-12)
        assert s.pre == pytest.approx(s.channel_sums.sum() + s.bias, abs=1e-12)
        assert s.pre == pytest.approx(out.pre[s.i, s.j, s.d], abs=1e-12)
        assert s.post == pytest.approx(out.post[s.i, s.j, s.d], abs=1e-12)
        # Taps in the padding read zeros.
        assert not s.window[s.padding_mask].any()
    assert (seen == 1).all()


@PROPERTY
@given(valid_layers())
def test_every_neurons_numpy_line_evaluates_to_the_tap_by_tap_reference(
    drawn: tuple[LayerShape, str, str, int],
) -> None:
    # the line the page shows and the API sends, run as Python against arrays built here
    layer = build(*drawn)
    rows, cols = walks_of(layer.geometry.shape)
    want = reference_forward(layer, (rows, cols))
    if layer.activation == "relu":
        want = np.maximum(want, 0)
    top, bottom, left, right = layer.geometry.shape.padding.as_list()
    h, w, depth = layer.x.shape  # padded as the reference pads it: fit="pad"'s cells too
    xp = np.zeros((top + h + bottom + rows.extra, left + w + right + cols.extra, depth))
    xp[top:top + h, left:left + w, :] = layer.x
    names: dict[str, Any] = {"np": np, "X": layer.x, "Xp": xp, "W": layer.weights,
                             "b": layer.bias}
    if layer.connectivity == "shared":
        names |= {f"W{d}": layer.weights[d] for d in range(layer.geometry.shape.filters)}
        names |= {f"b{d}": layer.bias[d] for d in range(layer.geometry.shape.filters)}
    for i, j, d in np.ndindex(*want.shape):
        line = expression(layer, i, j, d)
        target, right = line.split(" = ", 1)
        assert target == f"V[{i},{j},{d}]"
        assert eval(right, names) == pytest.approx(want[i, j, d], abs=1e-12), line


@PROPERTY
@given(valid_layers())
def test_the_neurons_that_read_an_input_cell_are_those_a_brute_force_walk_finds(
    drawn: tuple[LayerShape, str, str, int],
) -> None:
    shape = drawn[0]
    rows, cols = walks_of(shape)
    g = resolve(shape)
    p = shape.padding
    for row, col in np.ndindex(shape.height, shape.width):
        brute = sorted(
            (i, j, a, b)
            for i, start_r in enumerate(rows.starts) for a in range(shape.filter_height)
            if start_r + a * shape.dilation_h - p.top == row
            for j, start_c in enumerate(cols.starts) for b in range(shape.filter_width)
            if start_c + b * shape.dilation_w - p.left == col
        )
        found = inverse(g, row, col)
        assert [(t.i, t.j, t.tap_row, t.tap_col) for t in found.taps] == brute


@st.composite
def invalid_layers(draw: Any) -> tuple[LayerShape, set[str], str]:
    """A layer broken in one way, the fields the refusal may name, and the way."""
    base: dict[str, Any] = dict(height=6, width=6, depth=1, filters=1, filter_height=3,
                                filter_width=3)
    how = draw(st.sampled_from(["non_positive", "negative_padding", "too_wide", "misfit"]))
    if how == "non_positive":
        name = draw(st.sampled_from(["height", "width", "depth", "filters", "filter_height",
                                     "filter_width", "stride_h", "stride_w", "dilation_h",
                                     "dilation_w"]))
        fields = {"height": "input.shape", "width": "input.shape", "depth": "input.shape",
                  "filters": "filters.count", "filter_height": "filters.size",
                  "filter_width": "filters.size", "stride_h": "stride", "stride_w": "stride",
                  "dilation_h": "dilation", "dilation_w": "dilation"}
        return LayerShape(**{**base, name: draw(st.integers(-3, 0))}), {fields[name]}, how
    if how == "negative_padding":
        sides = [0, 0, 0, 0]
        sides[draw(st.integers(0, 3))] = draw(st.integers(-3, -1))
        return LayerShape(**base, padding=Padding(*sides)), {"padding"}, how
    if how == "too_wide":
        # A (dilated) filter wider than the padded input.
        f = draw(st.integers(7, 12))
        return LayerShape(**{**base, "filter_width": f}, fit=draw(
            st.sampled_from(["error", "floor", "pad"]))), {"filters.size"}, how
    # misfit: (W - F + P_total)/S + 1 not an integer under fit="error".
    size = draw(st.integers(4, 12))
    f = draw(st.integers(1, 3))
    stride = draw(st.integers(2, 4))
    assume((size - f) % stride != 0)
    return LayerShape(height=size, width=size, depth=1, filters=1, filter_height=f,
                      filter_width=f, stride_h=stride, stride_w=stride), {"stride"}, how


@PROPERTY
@given(invalid_layers())
def test_invalid_layers_raise_the_domain_error_naming_the_field(
    drawn: tuple[LayerShape, set[str], str],
) -> None:
    shape, fields, how = drawn
    if how in ("too_wide", "misfit"):
        # Invalid by the brute-force walk too, not just by the engine's say-so.
        p = shape.padding
        assert None in (
            walk(shape.height, shape.filter_height, shape.stride_h, shape.dilation_h,
                 p.top, p.bottom, shape.fit),
            walk(shape.width, shape.filter_width, shape.stride_w, shape.dilation_w,
                 p.left, p.right, shape.fit),
        )
    with pytest.raises(LayerError) as refusal:
        build_layer(shape)
    assert refusal.value.field in fields
    assert refusal.value.reason
