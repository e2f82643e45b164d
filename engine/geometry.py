"""Conv layer geometry: the one output-size formula, fit policies, suggestions and counts.

Everything that needs an output size calls :func:`axis_output`; nothing else in the project
writes the formula down. Per axis::

    out = (N + P_before + P_after - dilation*(F - 1) - 1) / S + 1

which with symmetric padding and no dilation is the notes' ``(W - F + 2P)/S + 1``.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field, fields, replace
from fractions import Fraction
from functools import cached_property
from typing import Any, Literal

import numpy as np

from engine.errors import LayerError, check_whole, listing

Fit = Literal["error", "floor", "pad"]
Axis = Literal["height", "width"]

FIT_POLICIES: tuple[Fit, ...] = ("error", "floor", "pad")


class GeometryError(LayerError):
    """A layer whose sizes do not work out.

    ``field`` names the spec field the page should point at (``"stride"``,
    ``"filters.size"`` ...), ``reason`` says why with the numbers for every axis that fails,
    ``fields`` lists every spec field whose change could fix it, ``suggestions`` lists changes
    that would fit, and ``axes`` holds both axes' results (height, width; a failing axis has
    ``output`` 0), so an answer that explains the misfit needs no second resolution.
    """

    def __init__(
        self,
        field: str,
        reason: str,
        suggestions: Suggestions | None = None,
        axes: tuple[AxisGeometry, AxisGeometry] | None = None,
        fields: tuple[str, ...] = (),
    ) -> None:
        super().__init__(field, reason)
        self.suggestions = suggestions or Suggestions((), ())
        self.axes = axes
        self.fields = fields or (field,)

    def moved(self, prefix: str) -> GeometryError:
        """The same error with its fields under ``prefix`` (``stride`` -> ``layer.stride``)."""
        return GeometryError(
            f"{prefix}.{self.field}", self.reason, self.suggestions, self.axes,
            tuple(f"{prefix}.{name}" for name in self.fields),
        )


@dataclass(frozen=True)
class Padding:
    """Zero padding per side, in cells."""

    top: int = 0
    bottom: int = 0
    left: int = 0
    right: int = 0

    @classmethod
    def of(cls, spec: int | tuple[int, ...] | list[int] | Padding) -> Padding:
        """Padding from one number, ``(ph, pw)`` per axis, or ``(top, bottom, left, right)``.

        >>> Padding.of(1)
        Padding(top=1, bottom=1, left=1, right=1)
        >>> Padding.of((0, 1))
        Padding(top=0, bottom=0, left=1, right=1)
        """
        if isinstance(spec, Padding):
            return spec
        # any one number (a NumPy int too; a float is refused by name when resolved)
        if isinstance(spec, (int, numbers.Number)):
            return cls(spec, spec, spec, spec)
        values = tuple(spec)
        if len(values) == 1:
            return cls(values[0], values[0], values[0], values[0])
        if len(values) == 2:
            return cls(values[0], values[0], values[1], values[1])
        if len(values) == 4:
            return cls(*values)
        raise GeometryError(
            "padding",
            f"{list(values)} has {len(values)} numbers: give one, two (per axis) "
            "or four (top, bottom, left, right)",
        )

    def along(self, axis: Axis) -> tuple[int, int]:
        """(before, after) padding along ``axis``."""
        return (self.top, self.bottom) if axis == "height" else (self.left, self.right)

    @property
    def is_symmetric(self) -> bool:
        return self.top == self.bottom == self.left == self.right

    @property
    def is_zero(self) -> bool:
        """No padding on any side: the padded input is the input itself."""
        return self.top == self.bottom == self.left == self.right == 0

    def as_list(self) -> list[int]:
        return [self.top, self.bottom, self.left, self.right]


@dataclass(frozen=True)
class LayerShape:
    """The hyperparameters of a conv layer: everything but the numbers in it.

    ``height x width x depth`` input, ``filters`` filters of ``filter_height x filter_width x
    depth``, stride and dilation per axis (dilation 1 = none, PyTorch's convention).
    """

    height: int
    width: int
    depth: int
    filters: int
    filter_height: int
    filter_width: int
    stride_h: int = 1
    stride_w: int = 1
    padding: Padding = field(default_factory=Padding)
    dilation_h: int = 1
    dilation_w: int = 1
    fit: Fit = "error"

    @classmethod
    def square(
        cls,
        size: int,
        depth: int,
        filters: int,
        filter_size: int,
        stride: int = 1,
        padding: int = 0,
        dilation: int = 1,
        fit: Fit = "error",
    ) -> LayerShape:
        """The notes' square layer: W x W x D input, K filters of F x F x D.

        >>> LayerShape.square(227, 3, 96, 11, stride=4).filter_width
        11
        """
        return cls(
            size, size, depth, filters, filter_size, filter_size, stride, stride,
            Padding.of(padding), dilation, dilation, fit,
        )

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """(H, W, D)."""
        return self.height, self.width, self.depth

    @property
    def filter_shape(self) -> tuple[int, int, int, int]:
        """(K, Fh, Fw, D): the shared filters, which need no output size."""
        return self.filters, self.filter_height, self.filter_width, self.depth

    @property
    def requested_padded_shape(self) -> tuple[int, int, int]:
        """(H + top + bottom, W + left + right, D): the input in the padding asked for (a
        geometry's ``padded_shape`` adds what fit="pad" appends), known before resolving."""
        p = self.padding
        return self.height + p.top + p.bottom, self.width + p.left + p.right, self.depth

    @property
    def weights_per_neuron(self) -> int:
        """Fh * Fw * D: the notes' "connections" of one neuron."""
        return self.filter_height * self.filter_width * self.depth

    @property
    def weights_shared(self) -> int:
        """Fh * Fw * D * K: the weights of the shared filters."""
        return self.weights_per_neuron * self.filters

    @property
    def parameters_shared(self) -> int:
        """The shared weights plus K biases."""
        return self.weights_shared + self.filters

    def along(self, axis: Axis) -> tuple[int, int, int, int]:
        """(input size, filter size, stride, dilation) along ``axis``."""
        if axis == "height":
            return self.height, self.filter_height, self.stride_h, self.dilation_h
        return self.width, self.filter_width, self.stride_w, self.dilation_w


# The unseen cells an axis's repr lists one by one; past this many it counts them.
UNSEEN_SHOWN = 8


@dataclass(frozen=True)
class AxisGeometry:
    """The outcome of the output-size formula along one axis."""

    axis: Axis
    size: int
    filter_size: int
    stride: int
    dilation: int
    pad_before: int
    pad_after: int  # as requested; fit="pad" adds ``extra_padding`` after this
    exact: Fraction  # the formula's value before any fit policy
    output: int  # the number of positions actually used
    extra_padding: int  # zero rows/columns fit="pad" added at the bottom/right
    unseen: tuple[int, ...]  # original-input indices no neuron looks at

    def __repr__(self) -> str:
        """Every field, the unseen cells counted past a few (a floor-fitted 10,000-wide axis
        at stride 3 listed 6,666 of them, 79,088 characters of a notebook's output).

        >>> resolve_axis(LayerShape.square(10000, 1, 1, 1, stride=3, fit="floor"), "width")
        ... # doctest: +ELLIPSIS
        AxisGeometry(axis='width', ..., unseen=<6666 cells, 1 to 9998>)
        """
        shown = [f"{f.name}={getattr(self, f.name)!r}" for f in fields(self) if f.name != "unseen"]
        unseen = (repr(self.unseen) if len(self.unseen) <= UNSEEN_SHOWN
                  else f"<{len(self.unseen)} cells, {self.unseen[0]} to {self.unseen[-1]}>")
        return f"AxisGeometry({', '.join(shown)}, unseen={unseen})"

    @property
    def fits(self) -> bool:
        """The formula gives a whole number of positions (no fit policy needed)."""
        return self.exact.denominator == 1 and self.exact >= 1

    @cached_property
    def span(self) -> int:
        """Cells one window covers, holes from dilation included."""
        return span_of(self.filter_size, self.dilation)

    @cached_property
    def padded_size(self) -> int:
        return self.size + self.pad_before + self.pad_after + self.extra_padding

    @property
    def arithmetic(self) -> str:
        """The formula with this axis's numbers, e.g. ``(10 - 3 + 2*0)/2 + 1 = 4.5``; "≈" where
        the decimal shown is rounded (``(5 - 3 + 2*1)/3 + 1 ≈ 2.333``)."""
        text = format_number(self.exact)
        return f"{formula_text(self)} {'=' if Fraction(text) == self.exact else '≈'} {text}"

    # What a misfit looks like, for a picture of it. Positions are in the input padded as
    # requested (fit="pad" extras not included), so they hold whatever the fit policy is.

    @property
    def requested_padded_size(self) -> int:
        """The input with the requested padding, before anything fit="pad" adds."""
        return self.size + self.pad_before + self.pad_after

    @property
    def whole_windows(self) -> int:
        """Windows lying wholly inside the padded input: ``exact`` rounded down (what
        fit="floor" keeps), 0 when the filter spans more than the padded input.

        >>> resolve_axis(LayerShape.square(10, 1, 1, 3, stride=2), "width").whole_windows
        4
        """
        return _positions(self.requested_padded_size, self.size + self.pad_before, self.span,
                          self.stride, self.exact, "floor")[0]

    @property
    def overhang_start(self) -> int | None:
        """Where the window after the last whole one starts, the one hanging off the end;
        None when the axis fits, or when that window would start past the input's last cell
        (in the padding after it: it would see nothing of the input).

        >>> resolve_axis(LayerShape.square(10, 1, 1, 3, stride=2), "width").overhang_start
        8
        """
        if self.fits:
            return None
        start = self.whole_windows * self.stride
        return start if start < self.size + self.pad_before else None

    @property
    def overhang(self) -> int:
        """Cells the overhanging window needs past the end (0 when there is none).

        >>> resolve_axis(LayerShape.square(10, 1, 1, 3, stride=2), "width").overhang
        1
        """
        start = self.overhang_start
        return 0 if start is None else start + self.span - self.requested_padded_size

    @property
    def floor_drops(self) -> int:
        """Cells at the end of the padded input that no whole window reaches: what
        fit="floor" leaves out (0 when no window fits whole).

        >>> resolve_axis(LayerShape.square(10, 1, 1, 3, stride=2), "width").floor_drops
        1
        """
        whole = self.whole_windows
        if whole == 0:
            return 0
        return self.requested_padded_size - ((whole - 1) * self.stride + self.span)

    @property
    def skipped(self) -> tuple[int, ...]:
        """Original-input indices no whole window reads along an axis that does not fit
        (``output`` 0): the cells past the last whole window and any between windows (a stride
        longer than the window, dilation's holes), what fit="floor" would leave unseen. ()
        where the axis has an output (its ``unseen`` lists them) or no whole window.

        >>> resolve_axis(LayerShape.square(56, 1, 1, 1, stride=2), "width").skipped[-3:]
        (51, 53, 55)
        >>> resolve_axis(LayerShape.square(10, 1, 1, 3, stride=2), "width").skipped
        (9,)
        """
        whole = self.whole_windows
        if self.output or not whole:
            return ()
        return _unseen(self.size, self.pad_before, self.span, self.stride, self.dilation, whole)

    @property
    def skipped_between(self) -> int:
        """How many of :attr:`skipped` come before the last whole window's end: the cells a
        stride longer than the window, or dilation's holes, step over, rather than those
        past the last window (:attr:`floor_drops` counts those, the padding there too).

        >>> resolve_axis(LayerShape.square(9, 1, 1, 1, stride=3), "width").skipped_between
        4
        """
        tail = self.requested_padded_size - self.floor_drops
        return sum(1 for i in self.skipped if i + self.pad_before < tail)

    @property
    def pad_adds(self) -> int:
        """Zero cells fit="pad" adds at the bottom/right (0 when the axis fits, or when
        padding cannot help: the filter spans more than the padded input, or the next window
        would start past the input's last cell, in the padding after it).

        >>> resolve_axis(LayerShape.square(10, 1, 1, 3, stride=2), "width").pad_adds
        1
        """
        return _positions(self.requested_padded_size, self.size + self.pad_before, self.span,
                          self.stride, self.exact, "pad")[1]


def axis_output(
    size: int, filter_size: int, stride: int, pad_before: int, pad_after: int, dilation: int = 1
) -> Fraction:
    """The output-size formula, exactly: ``(N + P_b + P_a - d*(F-1) - 1)/S + 1``.

    >>> axis_output(227, 11, 4, 0, 0)
    Fraction(55, 1)
    >>> float(axis_output(10, 3, 2, 0, 0))
    4.5
    """
    # (room + S)/S rather than room/S + 1: one Fraction instead of two (suggest asks often)
    room = size + pad_before + pad_after - span_of(filter_size, dilation)
    return Fraction(room + stride, stride)


def format_number(value: Fraction) -> str:
    """``55`` for whole numbers, else a short decimal (``4.5``, ``3.333``); where three
    decimals would round it to a whole number (a huge stride's), the first decimals that do
    not, and one more (``2.00025``, ``1.00024``: not the float's seventeen digits).

    >>> [format_number(Fraction(n, d)) for n, d in ((55, 1), (9, 2), (10, 3), (8001, 4000))]
    ['55', '4.5', '3.333', '2.00025']
    >>> format_number(Fraction(4094, 4093)), format_number(Fraction(10**17 + 1, 10**9))
    ('1.00024', '100000000.0')
    """
    if value.denominator == 1:
        return str(value.numerator)
    text = f"{float(value):.3f}".rstrip("0")
    places = 3
    while text.endswith(".") and places < 15:
        places += 1
        text = f"{float(value):.{places}f}".rstrip("0")
    if text.endswith("."):  # closer to a whole number than a float tells apart
        return repr(float(value))
    return text if places == 3 else f"{float(value):.{places + 1}f}".rstrip("0")


def formula_text(axis: AxisGeometry) -> str:
    """The left side of the formula in the notes' notation where it applies."""
    n, f, s, d = axis.size, axis.filter_size, axis.stride, axis.dilation
    before, after = axis.pad_before, axis.pad_after
    f_text = str(f) if d == 1 else f"({d}*({f} - 1) + 1)"
    if before == after:
        return f"({n} - {f_text} + 2*{before})/{s} + 1"
    return f"({n} - {f_text} + {before} + {after})/{s} + 1"


_UNIT = {"height": ("tall", "rows"), "width": ("wide", "columns")}


def _misfit_reason(axis: AxisGeometry) -> str:
    adjective, _ = _UNIT[axis.axis]
    pad = (
        str(axis.pad_before)
        if axis.pad_before == axis.pad_after
        else f"{axis.pad_before} before and {axis.pad_after} after"
    )
    dilated = f" with dilation {axis.dilation}" if axis.dilation != 1 else ""
    return (
        f"{axis.axis}: {axis.arithmetic} is not an integer: {_a(axis.filter_size)}-{adjective} "
        f"filter{dilated} at stride {axis.stride} does not fit {_a(axis.size)}-{adjective} "
        f"input with padding {pad}"
    )


def _a(number: int) -> str:
    """'a 3' but 'an 11', 'an 8', 'an 18'."""
    text = str(number)
    spoken_vowel = text.startswith("8") or text in ("11", "18") or (
        text.startswith(("11", "18")) and len(text) % 3 == 2
    )
    return f"{'an' if spoken_vowel else 'a'} {text}"


def _check_positive(shape: LayerShape) -> LayerShape:
    """``shape`` checked, in Python ints (NumPy ones converted as they are checked)."""
    plain = True
    checks = [
        ("input.shape", "height", shape.height),
        ("input.shape", "width", shape.width),
        ("input.shape", "depth", shape.depth),
        ("filters.count", "the number of filters", shape.filters),
        ("filters.size", "filter height", shape.filter_height),
        ("filters.size", "filter width", shape.filter_width),
        ("stride", "vertical stride", shape.stride_h),
        ("stride", "horizontal stride", shape.stride_w),
        ("dilation", "vertical dilation", shape.dilation_h),
        ("dilation", "horizontal dilation", shape.dilation_w),
    ]
    for field_name, what, value in checks:
        check_whole(field_name, what, value, GeometryError)
        plain = plain and type(value) is int
        if value < 1:
            raise GeometryError(field_name, f"{what} is {value}; it must be at least 1")
    if not isinstance(shape.padding, Padding):
        raise GeometryError("padding", f"padding is {shape.padding!r}; LayerShape takes a "
                            "Padding (Padding.of(1), Padding(top, bottom, left, right))")
    for side, value in zip(
        ("top", "bottom", "left", "right"), shape.padding.as_list(), strict=True
    ):
        check_whole("padding", f"{side} padding", value, GeometryError)
        plain = plain and type(value) is int
        if value < 0:
            raise GeometryError("padding", f"{side} padding is {value}; it cannot be negative")
    if shape.fit not in FIT_POLICIES:
        raise GeometryError("fit", f"{shape.fit!r} is not one of {', '.join(FIT_POLICIES)}")
    return shape if plain else _as_ints(shape)


def _unseen(
    size: int, pad_before: int, span: int, stride: int, dilation: int, out: int
) -> tuple[int, ...]:
    """Original indices that no window tap touches (edge left over, or dilation holes).

    Counted per residue class modulo the dilation, in ``O(out + size)`` whatever the filter
    size: a window starting at ``a`` taps ``a, a + d, ..., a + (F-1)*d``, which is the run of
    ``F`` consecutive cells ``a // d .. a // d + F - 1`` of class ``a % d`` (cell ``c`` is
    number ``c // d`` of class ``c % d``). Each run adds 1 where it starts and -1 where it
    ends; a running sum along each class then counts the windows over every cell.

    >>> _unseen(10, 0, 3, 2, 1, 4)  # the notes' 4.5 case under fit="floor": column 9
    (9,)
    >>> _unseen(9, 0, 5, 4, 2, 2)  # F=3, dilation 2, stride 4: taps 0, 2, 4 and 4, 6, 8
    (1, 3, 5, 7)
    """
    taps = (span - 1) // dilation + 1  # F
    per_class = -(-size // dilation)  # cells of the longest class
    starts = np.arange(out) * stride - pad_before  # (out,), may be negative
    first = np.clip(starts // dilation, 0, per_class)
    last = np.clip(starts // dilation + taps, 0, per_class)
    row = (starts % dilation) * (per_class + 1)  # each class a row of per_class + 1 marks
    length = dilation * (per_class + 1)
    marks = np.bincount(row + first, minlength=length) - np.bincount(row + last, minlength=length)
    counts = np.cumsum(marks.reshape(dilation, per_class + 1), axis=1)[:, :per_class]
    cells = np.arange(size)
    return tuple(int(i) for i in np.flatnonzero(counts[cells % dilation, cells // dilation] == 0))


def span_of(filter_size: int, dilation: int) -> int:
    """Cells one window covers along an axis, holes from dilation included.

    >>> span_of(3, 2)
    5
    """
    return dilation * (filter_size - 1) + 1


def _too_wide_reason(axis: AxisGeometry) -> str:
    adjective, unit = _UNIT[axis.axis]
    dilated = f" (dilation {axis.dilation})" if axis.dilation != 1 else ""
    padded = axis.requested_padded_size
    # the span is at least 2 here, the padded input may be 1: "the 1 row"
    return (
        f"{axis.axis}: the {axis.filter_size}-{adjective} filter{dilated} spans {axis.span} "
        f"{unit}, more than the {padded} {unit if padded != 1 else unit[:-1]} of the padded input "
        f"({axis.size} + {axis.pad_before} + {axis.pad_after})"
    )


def _positions(
    padded: int, input_end: int, span: int, stride: int, exact: Fraction, fit: Fit
) -> tuple[int, int]:
    """(positions used, zero cells added at the end) under ``fit``, along one axis of
    ``padded`` cells whose input ends before cell ``input_end`` (the padding after it
    follows); (0, 0) when nothing works (``fit="error"`` and a fractional ``exact``, or a
    window wider than the padded input)."""
    if span > padded:
        return 0, 0
    if exact.denominator == 1:
        return exact.numerator, 0
    if fit == "floor":
        return math.floor(exact), 0
    if fit == "pad":
        out = math.ceil(exact)
        # A window that would start after the input's last cell (in the padding after it,
        # requested or added) sees nothing of the input: drop it, as PyTorch's ceil_mode does.
        if (out - 1) * stride >= input_end:
            out -= 1
        return out, max(0, (out - 1) * stride + span - padded)
    return 0, 0  # fit="error": refused by resolve, with the suggestions


def resolve_axis(shape: LayerShape, axis: Axis) -> AxisGeometry:
    """Apply the formula and the fit policy along one axis.

    Never raises: an axis that cannot work has ``output`` 0 (and no unseen cells), and
    :func:`resolve` refuses the layer naming every such axis.
    """
    size, f, stride, dilation = shape.along(axis)
    before, after = shape.padding.along(axis)
    span = span_of(f, dilation)
    exact = axis_output(size, f, stride, before, after, dilation)
    out, extra = _positions(size + before + after, size + before, span, stride, exact, shape.fit)
    return AxisGeometry(
        axis, size, f, stride, dilation, before, after, exact, out, extra,
        _unseen(size, before, span, stride, dilation, out) if out else (),
    )


def _misfit_field(shape: LayerShape) -> str:
    return "stride" if shape.stride_h > 1 or shape.stride_w > 1 else "padding"


def _refusal(shape: LayerShape, height: AxisGeometry, width: AxisGeometry) -> GeometryError:
    """The refusal of a layer with at least one failing axis, naming each (height first, as
    every (H, W) pair here is written) and every field that could fix it."""
    failing = [a for a in (height, width) if a.output == 0]
    too_wide = [a for a in failing if a.span > a.requested_padded_size]
    reasons = [_too_wide_reason(a) if a in too_wide else _misfit_reason(a) for a in failing]
    found = suggest(shape, shape.fit)
    offered = [change.field for change in found.changes]
    field_name = _misfit_field(shape)
    if too_wide:
        # the filter is too wide, but where no filter size fits the other axis (an odd span
        # at stride 2 under dilation 2) what is blamed is a field that does fit it
        field_name = "filters.size" if "filters.size" in offered or not offered else offered[0]
    # the fields a suggestion changes: each is shown to fix it (the blamed one first)
    fields = tuple(dict.fromkeys([field_name, *offered]))
    fix = listing(fields, "or")
    reason = "; ".join(reasons) + f". Changing {fix} could make it fit"
    # what a framework would make of the layer, said here and not only among the suggestions:
    # an engineer checking a ResNet stem (224, 7x7, stride 2, padding 3: 112.5) expects 112
    floor = next((c for c in found.changes if c.field == "fit" and c.value == "floor"), None)
    if floor is not None:
        reason += f' (fit "floor", what PyTorch does, gives {floor.output[0]}x{floor.output[1]})'
    return GeometryError(field_name, reason, found, (height, width), fields)


@dataclass(frozen=True)
class Counts:
    """How many neurons, weights and parameters the layer has (the notes' arithmetic)."""

    neurons: int  # H2 * W2 * K
    weights_per_neuron: int  # Fh * Fw * D: the notes' "connections"
    weights_shared: int  # Fh * Fw * D * K
    parameters_shared: int  # weights_shared + K biases
    parameters_local: int  # H2 * W2 * K * (Fh * Fw * D + 1): every neuron its own
    multiply_adds: int  # neurons * weights_per_neuron
    receptive_fields: int  # H2 * W2: the columns of im2col's matrix, Fh * Fw * D rows each


@dataclass(frozen=True)
class Geometry:
    """A resolved layer: both axes, the effective padding and the counts.

    Frozen, so the sizes derived from the axes are worked out once, on first use: a request
    reads the output shape and the number of steps a dozen times (pricing, the steps, the
    answer), and the server keeps one geometry per layer for request after request.
    """

    shape: LayerShape
    height: AxisGeometry
    width: AxisGeometry

    @property
    def out_height(self) -> int:
        return self.height.output

    @property
    def out_width(self) -> int:
        return self.width.output

    @cached_property
    def output_shape(self) -> tuple[int, int, int]:
        """(H2, W2, K)."""
        return self.height.output, self.width.output, self.shape.filters

    @cached_property
    def padding(self) -> Padding:
        """The padding actually applied: the requested one plus what fit="pad" added
        (worked out once: every step's expression and input bounds read it)."""
        p = self.shape.padding
        return Padding(
            p.top, p.bottom + self.height.extra_padding, p.left, p.right + self.width.extra_padding
        )

    @cached_property
    def padded_shape(self) -> tuple[int, int, int]:
        return self.height.padded_size, self.width.padded_size, self.shape.depth

    @property
    def filter_shape(self) -> tuple[int, int, int, int]:
        """(K, Fh, Fw, D)."""
        return self.shape.filter_shape

    @cached_property
    def steps(self) -> int:
        """One step per output neuron."""
        return self.out_height * self.out_width * self.shape.filters

    @cached_property
    def counts(self) -> Counts:
        s = self.shape
        per_neuron = s.weights_per_neuron
        neurons = self.steps
        return Counts(
            neurons=neurons,
            weights_per_neuron=per_neuron,
            weights_shared=s.weights_shared,
            parameters_shared=s.parameters_shared,
            parameters_local=neurons * (per_neuron + 1),
            multiply_adds=neurons * per_neuron,
            receptive_fields=self.out_height * self.out_width,
        )


def resolve(shape: LayerShape) -> Geometry:
    """Check a layer's hyperparameters and work out its geometry.

    Raises :class:`GeometryError` (naming the field and the reason, with suggestions where
    the sizes do not fit) for anything that cannot be a conv layer under ``shape.fit``.

    >>> g = resolve(LayerShape.square(227, 3, 96, 11, stride=4))
    >>> g.output_shape, g.counts.neurons, g.counts.parameters_local
    ((55, 55, 96), 290400, 105705600)
    >>> resolve(LayerShape.square(10, 1, 1, 3, stride=2))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    engine.geometry.GeometryError: stride: height: (10 - 3 + 2*0)/2 + 1 = 4.5 is not an integer: ...
    """
    shape, height, width = _axes(shape)
    if height.output == 0 or width.output == 0:
        raise _refusal(shape, height, width)
    return Geometry(shape, height, width)


def resolve_if_fits(shape: LayerShape) -> Geometry | None:
    """:func:`resolve`'s geometry, or None where it would refuse the sizes, without working
    out the refusal (its suggestions try dozens of layers): for a caller that needs to know
    only whether the layer has an output, and of what size.

    >>> resolve_if_fits(LayerShape.square(10, 1, 1, 3, stride=2)) is None
    True
    >>> resolve_if_fits(LayerShape.square(10, 1, 1, 3, stride=2, fit="floor")).output_shape
    (4, 4, 1)
    """
    shape, height, width = _axes(shape)
    return Geometry(shape, height, width) if height.output and width.output else None


def _axes(shape: LayerShape) -> tuple[LayerShape, AxisGeometry, AxisGeometry]:
    """``shape`` checked, in plain ints, and both its axes, each output 0 where its sizes do
    not fit."""
    shape = _check_positive(shape)
    return shape, resolve_axis(shape, "height"), resolve_axis(shape, "width")


_SIZES = ("height", "width", "depth", "filters", "filter_height", "filter_width", "stride_h",
          "stride_w", "dilation_h", "dilation_w")


def _as_ints(shape: LayerShape) -> LayerShape:
    """A checked ``shape`` with Python ints for the NumPy ones it was given: they leaked into
    every size worked out from them (``output_shape`` read ``(np.int64(5), ...)``).

    >>> type(_as_ints(LayerShape.square(np.int64(5), 1, 1, 3)).height).__name__
    'int'
    """
    sizes: dict[str, Any] = {name: int(getattr(shape, name)) for name in _SIZES}
    return replace(shape, padding=Padding(*(int(side) for side in shape.padding.as_list())),
                   **sizes)


# ----------------------------------------------------------------------------- suggestions


@dataclass(frozen=True)
class Suggestion:
    """A change to one spec field that makes the layer fit.

    ``value`` is the field's complete new value in the spec's own form, so a client applies a
    suggestion by assignment: ``spec[field] = value``. Where that alone is not enough (the
    engine finds none such; a server marks them, its limits and the request's own arrays in
    view), ``leave_out`` names the spec's fields or edits to drop with it, ``also`` the fields
    to set with it, ``limit`` the server's setting its layer would pass, and ``limit_words``
    the words ``text`` says it in, inside brackets (a page may show them shorter).
    """

    field: str
    value: int | str | list[int]
    output: tuple[int, int]  # (H2, W2) the change gives
    text: str
    leave_out: tuple[str, ...] = ()
    also: tuple[tuple[str, int | tuple[int, int]], ...] = ()
    limit: str | None = None
    limit_words: str | None = None


@dataclass(frozen=True)
class Suggestions:
    """Changes that make a layer fit, and notes on what cannot (``"no symmetric padding..."``)."""

    changes: tuple[Suggestion, ...]
    notes: tuple[str, ...]


def _fits(
    shape: LayerShape,
    *,
    padding: Padding | None = None,
    dilation: int | None = None,
    filter_sizes: tuple[int, int] | None = None,
    sizes: tuple[int, int] | None = None,
    strides: tuple[int, int] | None = None,
) -> tuple[int, int] | None:
    """(H2, W2) when ``shape`` fits (under its fit policy: exactly, without one), else None;
    with ``padding``, or a square ``dilation``, or ``filter_sizes`` (Fh, Fw), ``strides``
    (Sh, Sw) or input ``sizes`` (H, W), in place of its own. :func:`suggest` asks
    this of thousands of candidates for a large filter, so none is built as a LayerShape: that
    cost more than the arithmetic."""
    pads = shape.padding if padding is None else padding
    outs = []
    axes: tuple[Axis, Axis] = ("height", "width")
    for n, axis in enumerate(axes):
        size, f, s, d = shape.along(axis)
        out = _axis_fits(
            size if sizes is None else sizes[n],
            f if filter_sizes is None else filter_sizes[n],
            s if strides is None else strides[n],
            *pads.along(axis),
            d if dilation is None else dilation,
            shape.fit,
        )
        if out is None:
            return None
        outs.append(out)
    return outs[0], outs[1]


def _axis_fits(
    size: int, f: int, stride: int, before: int, after: int, dilation: int,
    fit: Fit = "error",
) -> int | None:
    """The output size along one axis under ``fit`` (by default a whole number >= 1 from the
    formula: an exact fit), else None.

    >>> _axis_fits(10, 3, 2, 0, 0, 1), _axis_fits(11, 3, 2, 0, 0, 1), _axis_fits(3, 5, 1, 0, 0, 1)
    (None, 5, None)
    >>> _axis_fits(10, 3, 2, 0, 0, 1, "floor"), _axis_fits(3, 5, 1, 0, 0, 1, "floor")
    (4, None)
    """
    span = span_of(f, dilation)
    exact = axis_output(size, f, stride, before, after, dilation)
    out, _ = _positions(size + before + after, size + before, span, stride, exact, fit)
    return out or None


def _reads_input(size: int, f: int, dilation: int, stride: int, before: int, out: int) -> bool:
    """Whether each of ``out`` windows along an axis reads the input: the first ends on it
    (less padding before than the window spans), the last starts on it or before (the rule
    ``fit="pad"`` adds windows by), and, where the dilation's holes are wider than the input,
    some tap of every window lands on it. More padding fits the formula too, but gives
    neurons that read nothing but zeros, which no suggestion offers.

    >>> _reads_input(28, 1, 1, 2, 0, 14), _reads_input(28, 1, 1, 2, 0, 15)  # 28 + 1 after
    (True, False)
    >>> _reads_input(6, 2, 1, 5, 2, 2), _reads_input(6, 2, 1, 5, 1, 2)  # 2 before a 2-tap
    (False, True)
    >>> _reads_input(3, 2, 4, 1, 1, 1)  # taps 0 and 4 around the input's 1..3
    False
    """
    span = span_of(f, dilation)
    last = before + size - 1  # the input's last cell, in the padded axis
    if not (before < span and (out - 1) * stride <= last):
        return False
    if size >= dilation:  # every window that overlaps the input has a tap on it
        return True
    starts = np.arange(out) * stride
    first_tap = np.maximum(0, -((starts - before) // dilation))  # the first at or after `before`
    return bool(np.all((first_tap < f) & (starts + first_tap * dilation <= last)))


def _padding_fits(shape: LayerShape, padding: Padding) -> tuple[int, int] | None:
    """(H2, W2) when ``padding`` makes ``shape`` fit and every window reaches the input."""
    out = _fits(shape, padding=padding)
    return out if out is not None and _every_window_reads(shape, padding, out) else None


def _every_window_reads(shape: LayerShape, padding: Padding, out: tuple[int, int]) -> bool:
    """Whether each of ``out`` (H2, W2) windows of ``shape`` under ``padding`` reads the
    input along both axes (:func:`_reads_input`)."""
    axes: tuple[Axis, Axis] = ("height", "width")
    for axis, n in zip(axes, out, strict=True):
        size, f, stride, dilation = shape.along(axis)
        if not _reads_input(size, f, dilation, stride, padding.along(axis)[0], n):
            return False
    return True


def _axis_paddings(
    shape: LayerShape, axis: Axis, max_pad: int
) -> tuple[tuple[int, int] | None, str]:
    """(before, after) padding that makes ``axis`` fit, or None, and why no padding the same
    on both sides does ("" when one does).

    The axis's own padding when it fits already; else the same on both sides, nearest its
    own; else its own with the fewest extra rows or columns (at most a stride's worth past
    what a window too wide for the axis lacks: the next stride's window fits by then), after
    it, or as many before as the last window needs to start on the input; else the pair
    nearest its own of up to ``GRID`` (and a stride) a side. No padding offered gives a
    window that reads only padding (:func:`_reads_input`).

    >>> s = LayerShape(1, 5, 1, 1, 1, 3, stride_h=3, stride_w=3, padding=Padding(0, 0, 1, 1))
    >>> _axis_paddings(s, "height", 3), _axis_paddings(s, "width", 3)  # the notes' 1-D, S=3
    (((0, 0), ''), ((2, 2), ''))
    >>> _axis_paddings(LayerShape.square(10, 1, 1, 3, stride=2), "width", 3)
    ((0, 1), '(10 - 3 + 2P)/2 is not whole for any P')
    """
    size, f, stride, dilation = shape.along(axis)
    before, after = shape.padding.along(axis)
    span = span_of(f, dilation)

    def fits(pad_before: int, pad_after: int) -> bool:
        out = _axis_fits(size, f, stride, pad_before, pad_after, dilation, shape.fit)
        return out is not None and _reads_input(size, f, dilation, stride, pad_before, out)

    top = min(max_pad, span - 1)  # more: the first window reads only padding
    symmetric = [v for v in range(top + 1) if fits(v, v)]
    reason = ""
    if not symmetric:
        reason = (f"({size} - {span} + 2P)/{stride} is not whole for any P"
                  if (size - span) % 2 and stride % 2 == 0 else
                  f"none of 0..{top} works (with more, the outermost windows would read only "
                  "padding)")
    if fits(before, after):
        return (before, after), reason
    if symmetric:
        nearest = min(symmetric, key=lambda v: (abs(v - before), v))
        return (nearest, nearest), reason
    # a window wider than the padded axis first needs the rows or columns it lacks (a
    # dilated 2-tap filter spanning 10 on 8 cells: 2 more, where one stride's worth is 1)
    lacking = max(0, span - (size + before + after))
    for extra in range(max(1, lacking), lacking + min(stride, SEARCH) + 1):
        out = _axis_fits(size, f, stride, before, after + extra, dilation, shape.fit)
        if out is None:
            continue
        # all after, unless the last window would then start past the input: as many of
        # them before as it needs (the output depends on the total alone)
        shift = max(0, (out - 1) * stride - (before + size - 1))
        if shift <= extra and fits(before + shift, after + extra - shift):
            return (before + shift, after + extra - shift), reason
    # None of those (its own padding before already as wide as a window, or a dilation's
    # holes stepping over the input): the pair nearest its own on a small grid
    reach = min(span - 1, GRID)
    grid = ((b, a) for b in range(reach + 1) for a in range(reach + min(stride, GRID) + 1))
    nearest_pair = min((pair for pair in grid if fits(*pair)), default=None,
                       key=lambda pair: (abs(pair[0] - before) + abs(pair[1] - after), pair))
    return nearest_pair, reason


def _axis_fits_as_is(shape: LayerShape, axis: Axis) -> bool:
    size, f, stride, dilation = shape.along(axis)
    return _axis_fits(size, f, stride, *shape.padding.along(axis), dilation,
                      shape.fit) is not None


def _padding_suggestion(trial: Padding, out: tuple[int, int]) -> Suggestion:
    """A padding per axis as a suggestion: ``[rows, columns]`` when each axis is symmetric."""
    if trial.top == trial.bottom and trial.left == trial.right:
        value: int | list[int] = [trial.top, trial.left]
        text = f"padding {value} (rows, columns)"
    else:
        value = trial.as_list()
        text = f"padding {value} (top, bottom, left, right)"
    return Suggestion("padding", value, out, f"{text} gives {out[0]}x{out[1]}")


def same_padding(shape: LayerShape) -> Suggestion | None:
    """TensorFlow's "same" padding of ``shape`` (its own padding aside) as a suggestion that
    says so, or None where it would give a window that reads no input (a dilated filter's
    taps around an input smaller than its holes).

    >>> same_padding(LayerShape.square(65, 8, 4, 3, dilation=4)).text
    'padding 4, "same" as TensorFlow pads it, gives 65x65'
    >>> same_padding(LayerShape(1, 5, 1, 1, 1, 4)).text  # an even filter: the odd zero after
    'padding [0, 0, 1, 2] (top, bottom, left, right), "same" as TensorFlow pads it, gives 1x5'
    """
    same = _same_padding(shape)
    out = _padding_fits(shape, same)
    if out is None:
        return None
    found = (Suggestion("padding", same.top, out, f"padding {same.top} gives {out[0]}x{out[1]}")
             if same.is_symmetric else _padding_suggestion(same, out))
    return replace(found, text=found.text.replace(
        " gives", ', "same" as TensorFlow pads it, gives'))


def same_with_floor(shape: LayerShape) -> Suggestion | None:
    """TensorFlow's "same" where its padding leaves part of a stride over, so that only
    fit="floor" gives TensorFlow's ceil(N/S) outputs: that padding and fit, as a suggestion
    (of the padding; its text names the fit too). None where the padding fits exactly
    (:func:`same_padding` says it) or floor gives other sizes.

    >>> same_with_floor(LayerShape.square(28, 1, 1, 1, stride=2)).text  # a 1x1 downsample
    'padding 0 with fit "floor", "same" as TensorFlow pads it, gives 14x14'
    """
    same = _same_padding(shape)
    if _fits(shape, padding=same) is not None:
        return None
    try:
        floored = resolve(replace(shape, padding=same, fit="floor"))
    except GeometryError:
        return None
    out = floored.out_height, floored.out_width
    if out != (-(-shape.height // shape.stride_h), -(-shape.width // shape.stride_w)):
        return None
    if not _every_window_reads(shape, same, out):  # as same_padding offers none such
        return None
    value: int | list[int] = same.top if same.is_symmetric else same.as_list()
    return Suggestion("padding", value, out, f'padding {value} with fit "floor", "same" as '
                      f"TensorFlow pads it, gives {out[0]}x{out[1]}")


def _same_padding(shape: LayerShape) -> Padding:
    """TensorFlow's "SAME" padding: per axis the fewest zeros for ``ceil(N/S)`` outputs, half
    before and the odd one after. Its outputs keep what PyTorch's floor gives a layer whose
    symmetric padding leaves half a window (ResNet's 7x7 stride-2 stem on 224: 112).

    >>> _same_padding(LayerShape.square(224, 3, 64, 7, stride=2, padding=3))
    Padding(top=2, bottom=3, left=2, right=3)
    """
    def axis(name: Axis) -> tuple[int, int]:
        size, f, stride, dilation = shape.along(name)
        total = max(0, (-(-size // stride) - 1) * stride + span_of(f, dilation) - size)
        return total // 2, total - total // 2

    return Padding(*axis("height"), *axis("width"))


def _nearest(current: int, candidates: range, limit: int | None = None) -> list[int]:
    """``candidates`` nearest ``current`` first (the smaller on a tie), the first ``limit``."""
    return sorted(candidates, key=lambda v: (abs(v - current), v))[:limit]


# The most candidates one suggestion search tries: a stride, filter size or dilation of a
# million (a notebook's typo) made the searches walk a million candidates for seconds.
SEARCH = 4096
# Each side's reach in the last padding search of an axis (every pair on the grid tried)
GRID = 16


def _around(current: int, top: int) -> range:
    """The candidates from 1 to ``top`` within :data:`SEARCH` of ``current``.

    >>> _around(3, 6), _around(10**6, 10**6 + 3)
    (range(1, 7), range(995904, 1000004))
    """
    return range(max(1, current - SEARCH), min(top, current + SEARCH) + 1)


def suggest(shape: LayerShape, under: Fit = "error") -> Suggestions:
    """Nearby paddings, strides, filter sizes, dilations, input sizes and fit policies that
    make ``shape`` fit: exactly (the default), or ``under`` a fit policy, whatever the policy
    ``shape`` itself asks for. A layer that works under its policy is told the exact fits
    near it; one that does not (a window wider than its padded input) is offered what fits
    under its policy: under "floor", the least padding that makes room for the window.

    >>> found = suggest(LayerShape.square(10, 1, 1, 3, stride=2))
    >>> found.notes
    ('no symmetric padding fits: (10 - 3 + 2P)/2 is not whole for any P',)
    >>> for s in found.changes:
    ...     print(s.field, s.value, s.output)
    padding [0, 1, 0, 1] (5, 5)
    stride 1 (8, 8)
    filters.size 2 (5, 5)
    filters.size 4 (4, 4)
    input.shape [9, 9, 1] (4, 4)
    input.shape [11, 11, 1] (5, 5)
    fit pad (5, 5)
    fit floor (4, 4)
    """
    shape = replace(shape, fit=under)  # what each candidate is tried under
    found: list[Suggestion] = []
    notes: list[str] = []
    p = shape.padding
    # no more than a window spans: more, and the first window reads only padding
    max_pad = min(max(span_of(shape.filter_height, shape.dilation_h),
                      span_of(shape.filter_width, shape.dilation_w)) - 1, SEARCH)

    both: tuple[Axis, Axis] = ("height", "width")
    fitting = [axis for axis in both if _axis_fits_as_is(shape, axis)]
    if len(fitting) == 1:
        # One axis fits: only the other is padded, so a 1-D layer stays one row (padding all
        # four sides by 2 made the notes' 1-D example 5 rows tall).
        failing: Axis = "width" if fitting == ["height"] else "height"
        pads, reason = _axis_paddings(shape, failing, max_pad)
        if reason:
            notes.append(f"no symmetric padding fits the {failing}: {reason}")
        if pads is not None:
            trial = Padding(*pads, p.left, p.right) if failing == "height" else Padding(
                p.top, p.bottom, *pads)
            out = _padding_fits(shape, trial)
            if out is None:
                # the axis that fits reads no input as given (padding wider than its window,
                # a layer that fits never refuses for): its own nearest padding that reads
                kept, _ = _axis_paddings(shape, fitting[0], max_pad)
                if kept is not None:
                    trial = Padding(*pads, *kept) if failing == "height" else Padding(
                        *kept, *pads)
                    out = _padding_fits(shape, trial)
            if out is not None:
                found.append(_padding_suggestion(trial, out))
        symmetric = []
    else:
        symmetric = [
            (v, out) for v in range(0, max_pad + 1)
            if (out := _padding_fits(shape, Padding.of(v))) is not None
        ]
    if symmetric:
        for v, out in sorted(symmetric, key=lambda item: abs(item[0] - p.top))[:2]:
            found.append(Suggestion("padding", v, out, f"padding {v} gives {out[0]}x{out[1]}"))
    elif len(fitting) != 1:
        # One padding for all four sides fits neither axis together: each axis on its own
        # (its own padding if it fits, else the same rows or columns both sides, else the
        # fewest extra after), then both at once.
        axis_pads = []
        unsymmetric = {}
        for axis in ("height", "width"):
            pads, reason = _axis_paddings(shape, axis, max_pad)
            axis_pads.append(pads)
            if reason:
                unsymmetric[axis] = reason
        if unsymmetric:
            reasons = list(dict.fromkeys(unsymmetric.values()))
            where = "" if len(unsymmetric) == 2 else f" the {next(iter(unsymmetric))}"
            notes.append(f"no symmetric padding fits{where}: {'; '.join(reasons)}")
        (h_pads, w_pads) = axis_pads
        if h_pads is not None and w_pads is not None:
            trial = Padding(*h_pads, *w_pads)
            out = _padding_fits(shape, trial)
            if out is not None:  # each axis fits on its own, so both do
                found.append(_padding_suggestion(trial, out))

    # Where no padding the same on both sides fits, the asymmetric one frameworks use: TF's.
    offered = same_padding(shape)
    if (any(note.startswith("no symmetric padding") for note in notes)
            and offered is not None and Padding.of(offered.value) != p):  # type: ignore[arg-type]
        # labelled where a padding found above is the same one, else offered after them
        at = next((n for n, s in enumerate(found)
                   if s.field == "padding" and s.value == offered.value), None)
        if at is None:
            found.append(offered)
        else:
            found[at] = offered

    max_stride = max(shape.stride_h, shape.stride_w) + 3
    own = (shape.stride_h, shape.stride_w)
    if len(fitting) == 1:
        # the failing axis's stride alone, as a filter size is: one stride for both changed
        # the axis that fits (a height of 16 became 31 for a width's sake)
        at = 1 if fitting == ["height"] else 0
        candidates = [(own[0], v) if at else (v, own[1])
                      for v in _nearest(own[at], _around(own[at], max_stride)) if v != own[at]]
    else:
        candidates = [(v, v) for v in _nearest(own[1], _around(own[1], max_stride))
                      if (v, v) != own]
    pairs = [(pair, out) for pair in candidates
             if (out := _fits(shape, strides=pair)) is not None][:2]
    for pair, out in pairs:
        found.append(_pair_suggestion("stride", "stride", pair, out))

    for pair in _filter_sizes(shape):
        out = _fits(shape, filter_sizes=pair)
        if out is not None:
            found.append(_pair_suggestion("filters.size", "filter size", pair, out))

    for pair, out in _dilations(shape):
        found.append(_pair_suggestion("dilation", "dilation", pair, out))

    for h, w in _input_sizes(shape):
        out = _fits(shape, sizes=(h, w))
        if out is not None:
            found.append(Suggestion("input.shape", [h, w, shape.depth], out,
                                    f"input {h}x{w} gives {out[0]}x{out[1]}"))

    policies: tuple[tuple[Fit, str], ...] = (
        ("pad", "adds zero rows/columns at the bottom/right"),
        ("floor", "drops the last positions, as PyTorch does"),
    )
    for policy, verb in policies:
        # axis by axis, not resolve(): a layer the policy cannot fit would be refused, and
        # its refusal would ask for suggestions again
        policed = replace(shape, fit=policy)
        axes = [resolve_axis(policed, axis) for axis in ("height", "width")]
        height, width = (a.output for a in axes)
        if policy == "pad" and not any(a.extra_padding for a in axes):
            continue  # no window starts inside the input past the last whole one: as "floor"
        if height and width:
            found.append(Suggestion("fit", policy, (height, width),
                                    f'fit "{policy}" {verb}: {height}x{width}'))
    said = tuple(s for s in (_with_unread(shape, s) for s in found) if s is not None)
    if found and not said:  # each change left an axis that fits reading no input cell
        blind = [axis for axis in fitting if not _axis_reads(shape, axis)]
        if blind:
            which = "that axis's" if len(blind) == 1 else "those axes'"
            notes.append(f"no change is offered: the {' and '.join(blind)}'s windows, as "
                         "given, read no input cell (every tap lands in the padding or "
                         "between the cells), and every change that fits keeps them so; "
                         f"change {which} padding or stride as well")
    return Suggestions(said, tuple(notes))


def layout_notes(shape: LayerShape) -> tuple[str, ...]:
    """A word where the input's ``(H, W, D)`` reads like a channels-first ``(C, H, W)`` shape
    sent as it is (PyTorch's layout, depth first): a square picture's two equal sides last
    (``[64, 56, 56]``), or a few channels first before two large sides (``[3, 224, 320]``).
    Such a layer may well fit, and then every size of it is wrong without a word.

    Advisory only: a tall, narrow input as deep as it is wide is a layer too.

    >>> layout_notes(LayerShape.square(227, 3, 96, 11, stride=4))
    ()
    >>> for part in layout_notes(LayerShape(64, 56, 56, 64, 3, 3))[0].split("; "):
    ...     print(part)
    input.shape [64, 56, 56] is read (H, W, D): 64 rows, 56 columns, 56 channels
    if it is PyTorch's (C, H, W), the same input is [56, 56, 64] here
    """
    h, w, d = shape.input_shape
    square_last = w == d != h and d >= CHANNELS_FIRST_SIDE
    few_first = h <= 4 and min(w, d) >= CHANNELS_FIRST_SIDE * h
    if not (square_last or few_first):
        return ()
    return (f"input.shape [{h}, {w}, {d}] is read (H, W, D): {h} rows, {w} columns, {d} "
            f"channels; if it is PyTorch's (C, H, W), the same input is [{w}, {d}, {h}] here",)


# The least side of a picture :func:`layout_notes` takes a channels-first shape's last two
# numbers for (MNIST's 28 and CIFAR's 32 are well above it; a toy layer's 5 or 7 is not).
CHANNELS_FIRST_SIDE = 8


def _axis_reads(shape: LayerShape, axis: Axis) -> bool:
    """Whether some window of ``shape`` along an ``axis`` that fits reads an input cell."""
    size, f, stride, dilation = shape.along(axis)
    before, after = shape.padding.along(axis)
    out = _axis_fits(size, f, stride, before, after, dilation, shape.fit)
    return out is not None and _seen_cells(size, f, stride, dilation, before, out) > 0


# The most changes :func:`suggest` offers: two paddings (TensorFlow's "same" replaces one, or
# joins the one asymmetric padding), two each of strides, filter sizes, dilations and input
# sizes, and the two fit policies.
MOST_SUGGESTIONS = 12


def unread_walk_limit(shape: LayerShape) -> int:
    """The most a suggestion's unread cells may cost to count (:func:`_with_unread`): twice
    the layer's own cells and dilations, and a little for a tiny layer. A price can rely on
    it: a dearer count (a suggested layer far larger than this one, with many windows and
    many cells) is not made.

    >>> unread_walk_limit(LayerShape.square(7, 3, 1, 3, stride=3))
    96
    """
    return 2 * (shape.height + shape.width + shape.dilation_h + shape.dilation_w) + 64


def applied(shape: LayerShape, suggestion: Suggestion) -> LayerShape:
    """``shape`` with ``suggestion``'s change made, as a client assigning its value would.

    >>> applied(LayerShape.square(7, 3, 1, 3, stride=3), Suggestion("stride", 2, (3, 3), ""))
    ... # doctest: +ELLIPSIS
    LayerShape(height=7, width=7, depth=3, filters=1, ..., stride_h=2, stride_w=2, ...)
    """
    value = suggestion.value
    if isinstance(value, str):  # a fit policy
        return replace(shape, fit=value)  # type: ignore[arg-type]
    if suggestion.field == "padding":
        return replace(shape, padding=Padding.of(value))
    first, second = (value, value) if isinstance(value, int) else (value[0], value[1])
    match suggestion.field:
        case "stride":
            return replace(shape, stride_h=first, stride_w=second)
        case "dilation":
            return replace(shape, dilation_h=first, dilation_w=second)
        case "filters.size":
            return replace(shape, filter_height=first, filter_width=second)
        case "input.shape":
            return replace(shape, height=first, width=second)
    raise ValueError(f"no such suggestion field: {suggestion.field}")


def _with_unread(shape: LayerShape, suggestion: Suggestion) -> Suggestion | None:
    """``suggestion``, its text saying how many input cells its layer never reads (a stride
    longer than the window skips rows; a smaller filter can leave an edge); None when it
    reads none of them (every tap of every window on padding or between the input's cells:
    a layer that computes nothing of its input is no fix).

    >>> seven = LayerShape.square(7, 3, 1, 3, stride=3)  # the notes' stride-3 misfit
    >>> _with_unread(seven, Suggestion("stride", 4, (2, 2), "stride 4 gives 2x2")).text
    'stride 4 gives 2x2; 13 of 49 input cells unread'
    """
    fixed = applied(shape, suggestion)
    axes: tuple[Axis, Axis] = ("height", "width")
    # per axis the cheaper count: its taps one by one, or the walk over its cells
    along = [(*fixed.along(axis), fixed.padding.along(axis)[0], out)
             for axis, out in zip(axes, suggestion.output, strict=True)]
    if sum(min(out * f, size + d) for size, f, _, d, _, out in along) > unread_walk_limit(shape):
        return replace(suggestion, text=f"{suggestion.text}; unread input cells not counted")
    seen = [_seen_cells(*axis) for axis in along]
    cells = fixed.height * fixed.width
    unread = cells - seen[0] * seen[1]
    if not unread:
        return suggestion
    if unread == cells:
        return None
    return replace(suggestion, text=f"{suggestion.text}; {unread:,} of {cells:,} input cells "
                   "unread")


def _seen_cells(size: int, f: int, stride: int, dilation: int, before: int, out: int) -> int:
    """Input cells along an axis that some tap of ``out`` windows reads: the taps listed
    when there are fewer of them than cells to walk, else the walk of :func:`_unseen`.

    >>> _seen_cells(7, 3, 4, 1, 0, 2), _seen_cells(61441, 15, 1, 4096, 0, 1)  # row 3; 15 taps
    (6, 15)
    """
    if out * f < size + dilation:
        taps = (np.arange(out) * stride - before)[:, None] + np.arange(f) * dilation  # (out, f)
        return int(np.unique(taps[(taps >= 0) & (taps < size)]).size)
    span = span_of(f, dilation)
    return size - len(_unseen(size, before, span, stride, dilation, out))


def _pair_suggestion(field: str, noun: str, pair: tuple[int, int],
                     out: tuple[int, int]) -> Suggestion:
    """A change of a (height, width) setting: one number where both are the same ("stride 2
    gives ..."), else both ("filter size 3x6 gives ..."), as a client sends them."""
    first, second = pair
    value: int | list[int] = first if first == second else [first, second]
    text = f"{first}" if first == second else f"{first}x{second}"
    return Suggestion(field, value, out, f"{noun} {text} gives {out[0]}x{out[1]}")


def _filter_sizes(shape: LayerShape) -> list[tuple[int, int]]:
    """Up to two nearest filter sizes (Fh, Fw), other than the layer's own, that fit it: an
    axis that fits keeps its size, a failing one tries its nearest (a 10x9 input at stride 2
    takes 2x3 or 4x3: no square size fits both).

    >>> _filter_sizes(LayerShape(10, 9, 1, 1, 3, 3, stride_h=2, stride_w=2))
    [(2, 3), (4, 3)]
    """
    options = []
    for axis in ("height", "width"):
        size, f, stride, dilation = shape.along(axis)
        before, after = shape.padding.along(axis)
        fitting = [v for v in _nearest(f, filter_size_candidates(shape, axis))
                   if _axis_fits(size, v, stride, before, after, dilation, shape.fit) is not None]
        options.append(fitting[:1] if fitting[:1] == [f] else fitting[:2])
    return _closest_pairs(options, (shape.filter_height, shape.filter_width))


def filter_size_candidates(shape: LayerShape, axis: Axis) -> range:
    """The filter sizes :func:`suggest` tries along ``axis``: within two strides of the
    layer's own (or of the widest that fits, for a wider one) and 5 past it, no wider than
    the padded input, no further than :data:`SEARCH`. The sizes that fit an axis step by at
    most the stride (``d(F - 1)`` must be ``N - 1`` less a multiple of it), so the nearest on
    each side are among them: a 1x1 filter at stride 8 on 16 cells is offered 8, which the
    five sizes past it missed.

    >>> filter_size_candidates(LayerShape.square(16, 1, 1, 1, stride=8), "width")
    range(1, 17)
    """
    size, f, stride, dilation = shape.along(axis)
    before, after = shape.padding.along(axis)
    widest = (size + before + after - 1) // dilation + 1  # its span fills the padded input
    reach = min(2 * stride, SEARCH)
    # a filter wider than the padded input looks down from the widest that fits in it
    return range(max(1, min(f, widest) - reach), min(widest, f + reach + 5) + 1)


def _dilations(shape: LayerShape) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Up to two nearest dilations (dh, dw), other than the layer's own, that fit it, each
    with the (H2, W2) it gives: an axis that fits keeps its dilation, a failing one tries its
    nearest up to 3 past it (a 5x5 input at strides 2 and 3 with padding 1 and a 2-tap filter
    takes dilation 2 on its height and 3 on its width: the nearest square one is 6).

    >>> shape = LayerShape(5, 5, 1, 1, 2, 2, stride_h=2, stride_w=3, padding=Padding.of(1),
    ...                    dilation_h=1, dilation_w=2)
    >>> _dilations(shape)
    [((2, 3), (3, 2)), ((4, 3), (2, 2))]
    """
    options: list[list[int]] = []
    outs: list[dict[int, int]] = []
    for axis in ("height", "width"):
        size, f, stride, dilation = shape.along(axis)
        before, after = shape.padding.along(axis)
        fitting = {v: out for v in _nearest(dilation, _around(dilation, dilation + 3))
                   if (out := _axis_fits(size, f, stride, before, after, v, shape.fit))
                   is not None}
        ranked = list(fitting)
        options.append(ranked[:1] if ranked[:1] == [dilation] else ranked[:2])
        outs.append(fitting)
    return [((dh, dw), (outs[0][dh], outs[1][dw]))
            for dh, dw in _closest_pairs(options, (shape.dilation_h, shape.dilation_w))]


def _input_sizes(shape: LayerShape) -> list[tuple[int, int]]:
    """Up to two nearest input sizes (H, W), other than the layer's own, that fit it: an axis
    that fits keeps its size, a failing one tries its nearest.

    >>> _input_sizes(LayerShape.square(10, 1, 1, 3, stride=2))  # 9 and 11 both give whole numbers
    [(9, 9), (11, 11)]
    >>> _input_sizes(LayerShape.square(3, 1, 1, 5))  # the filter needs 5
    [(5, 5), (6, 6)]
    """
    options = []
    for axis in ("height", "width"):
        size, f, stride, dilation = shape.along(axis)
        before, after = shape.padding.along(axis)
        # The sizes that fit are first, first + S, first + 2S, ...: first is the least size
        # with (N + P - span) a multiple of S and N + P >= span (one output).
        base = span_of(f, dilation) - before - after
        first = base if base >= 1 else base + -(-(1 - base) // stride) * stride
        near = max(0, round((size - first) / stride))
        fitting = sorted((first + k * stride for k in range(max(0, near - 2), near + 3)),
                         key=lambda n: (abs(n - size), n))
        options.append(fitting[:1] if fitting[:1] == [size] else fitting[:2])
    return _closest_pairs(options, (shape.height, shape.width))


def _closest_pairs(
    options: list[list[int]], now: tuple[int, int], limit: int = 2
) -> list[tuple[int, int]]:
    """Up to ``limit`` (height, width) pairs from each axis's ``options``, other than ``now``:
    the least change first; a square ``now`` keeps square pairs first.

    >>> _closest_pairs([[2, 4], [2, 4]], (3, 3)), _closest_pairs([[5, 6], [5, 6]], (3, 3))
    ([(2, 2), (4, 4)], [(5, 5), (6, 6)])
    """
    square = now[0] == now[1]
    pairs = [(h, w) for h in options[0] for w in options[1] if (h, w) != now]
    return sorted(pairs, key=lambda p: (
        square and p[0] != p[1], abs(p[0] - now[0]) + abs(p[1] - now[1]), p
    ))[:limit]
