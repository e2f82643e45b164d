"""engine/geometry.py against brute-force window counting and the notes' formula."""

from __future__ import annotations

import itertools
import re
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import engine.geometry as engine_geometry
from engine.geometry import (
    MOST_SUGGESTIONS,
    Fit,
    GeometryError,
    LayerShape,
    Padding,
    Suggestion,
    _with_unread,
    applied,
    axis_output,
    resolve,
    resolve_axis,
    suggest,
)


def count_windows(padded: int, span: int, stride: int) -> int:
    """How many windows of ``span`` cells fit in ``padded`` cells, sliding by ``stride``."""
    count, start = 0, 0
    while start + span <= padded:
        count += 1
        start += stride
    return count


def unseen_by_brute_force(
    size: int, pad_before: int, filter_size: int, stride: int, dilation: int, out: int
) -> tuple[int, ...]:
    touched = {
        k * stride + a * dilation - pad_before for k in range(out) for a in range(filter_size)
    }
    return tuple(n for n in range(size) if n not in touched)


# ----------------------------------------------------------------------------- the formula


def test_axis_output_is_the_notes_formula_for_symmetric_padding() -> None:
    for w, f, s, p in itertools.product(range(1, 16), range(1, 8), range(1, 5), range(0, 4)):
        if f > w + 2 * p:
            continue
        assert axis_output(w, f, s, p, p) == Fraction(w - f + 2 * p, s) + 1


def test_axis_output_counts_the_windows_that_fit_when_it_is_whole() -> None:
    for n, f, s, before, after, d in itertools.product(
        range(1, 13), range(1, 5), range(1, 4), range(3), range(3), range(1, 3)
    ):
        span = d * (f - 1) + 1
        padded = n + before + after
        if span > padded:
            continue
        exact = axis_output(n, f, s, before, after, d)
        fits = (padded - span) % s == 0
        assert (exact.denominator == 1) == fits
        if fits:
            assert exact == count_windows(padded, span, s)


def test_each_axis_uses_its_own_sizes() -> None:
    # Height: (7 - 3 + 1 + 2)/1 + 1 = 8; width: (9 - 2*(2 - 1) - 1 + 0 + 0)/3 + 1 = 3.
    shape = LayerShape(7, 9, 2, 4, 3, 2, stride_h=1, stride_w=3,
                       padding=Padding(1, 2, 0, 0), dilation_w=2)
    geometry = resolve(shape)
    assert geometry.output_shape == (8, 3, 4)
    assert geometry.padded_shape == (10, 9, 2)
    assert geometry.height.arithmetic == "(7 - 3 + 1 + 2)/1 + 1 = 8"
    assert geometry.width.span == 3


# ----------------------------------------------------------------------------- fit policies


MISFITS = [
    (n, f, s, p)
    for n, f, s, p in itertools.product(range(3, 15), range(1, 6), range(2, 5), range(0, 3))
    if f <= n + 2 * p and (n + 2 * p - f) % s != 0
]


def test_there_are_misfits_to_check() -> None:
    assert len(MISFITS) > 100


@pytest.mark.parametrize("dilation", [1, 2])
def test_fit_floor_drops_the_last_positions_and_reports_unseen_cells(dilation: int) -> None:
    for n, f, s, p in MISFITS:
        span = dilation * (f - 1) + 1
        if span > n + 2 * p:
            continue
        shape = LayerShape.square(n, 1, 1, f, stride=s, padding=p, dilation=dilation, fit="floor")
        geometry = resolve(shape)
        out = count_windows(n + 2 * p, span, s)
        assert geometry.out_height == geometry.out_width == out
        assert geometry.width.extra_padding == 0
        expected = unseen_by_brute_force(n, p, f, s, dilation, out)
        assert geometry.width.unseen == expected
        assert geometry.height.unseen == expected


@pytest.mark.parametrize("seed", range(4))
def test_unseen_cells_equal_the_brute_force_walk_on_random_axes(seed: int) -> None:
    # every fit policy, padding on both sides, strides wider than the filter (gaps between
    # windows), dilation holes: the per-class count against the set of every tap
    rng = np.random.default_rng(seed)
    checked = 0
    for _ in range(300):
        n, f, s, d = (int(v) for v in rng.integers(1, [40, 8, 7, 4]))
        before, after = (int(v) for v in rng.integers(0, 5, 2))
        fit = ("floor", "pad", "error")[int(rng.integers(3))]
        shape = LayerShape(1, n, 1, 1, 1, f, stride_w=s, dilation_w=d,
                           padding=Padding(0, 0, before, after), fit=fit)
        try:
            width = resolve(shape).width
        except GeometryError:
            continue
        assert width.unseen == unseen_by_brute_force(n, before, f, s, d, width.output), shape
        checked += 1
    assert checked > 150



@pytest.mark.parametrize("seed", range(2))
def test_a_misfits_skipped_cells_are_what_its_whole_windows_leave_unread(seed: int) -> None:
    # a layer that does not fit has no neurons, so no `unseen`; its picture hatches the cells
    # its whole windows leave unread: the brute-force walk over them, fit="floor"'s unseen
    rng = np.random.default_rng(100 + seed)
    checked = 0
    for _ in range(300):
        n, f, s, d = (int(v) for v in rng.integers(1, [40, 8, 7, 4]))
        before, after = (int(v) for v in rng.integers(0, 5, 2))
        shape = LayerShape(1, n, 1, 1, 1, f, stride_w=s, dilation_w=d,
                           padding=Padding(0, 0, before, after))
        width = resolve_axis(shape, "width")
        if width.fits:
            assert width.skipped == ()
            continue
        whole = width.whole_windows
        if not whole:  # the filter spans more than the padded input: no window to speak of
            assert width.skipped == ()
            continue
        assert width.skipped == unseen_by_brute_force(n, before, f, s, d, whole), shape
        assert width.skipped == resolve_axis(replace(shape, fit="floor"), "width").unseen
        # of them, those before the last whole window's last tap (the page hatches those as
        # stepped over, the rest as past the windows)
        last_tap = (whole - 1) * s + (f - 1) * d  # in the padded input
        between = [i for i in width.skipped if i + before < last_tap]
        assert width.skipped_between == len(between), shape
        assert width.requested_padded_size == n + before + after
        checked += 1
    assert checked > 50


def test_fit_floor_on_the_notes_4_5_case_leaves_the_last_column_unseen() -> None:
    # Windows at 0, 2, 4, 6 cover columns 0..8; column 9 is never looked at.
    geometry = resolve(LayerShape.square(10, 1, 1, 3, stride=2, fit="floor"))
    assert geometry.out_width == 4
    assert geometry.width.unseen == (9,)


def test_fit_pad_adds_the_fewest_bottom_right_zeros_that_make_it_fit() -> None:
    for n, f, s, p in MISFITS:
        geometry = resolve(LayerShape.square(n, 1, 1, f, stride=s, padding=p, fit="pad"))
        start = count_windows(n + 2 * p, f, s) * s  # the window hanging off the end
        # PyTorch's ceil_mode rule: it is kept when it starts on the input (or before it),
        # with the fewest zeros that make it whole; one starting in the padding after the
        # input (requested or added) would see none of it, so what is left needs no zeros.
        extra = start + f - (n + 2 * p) if start < n + p else 0
        assert geometry.width.extra_padding == extra
        assert geometry.height.extra_padding == extra
        assert geometry.out_width == count_windows(n + 2 * p + extra, f, s)
        assert geometry.padding == Padding(p, p + extra, p, p + extra)
        out = geometry.out_width
        assert geometry.width.unseen == unseen_by_brute_force(n, p, f, s, 1, out)
        if f >= s:  # windows overlap or touch, so padding the end leaves no cell unseen
            assert geometry.width.unseen == ()


def test_fit_error_refuses_a_misfit_with_the_arithmetic() -> None:
    with pytest.raises(GeometryError) as caught:
        resolve(LayerShape.square(10, 1, 1, 3, stride=2))
    assert caught.value.field == "stride"
    assert "(10 - 3 + 2*0)/2 + 1 = 4.5 is not an integer" in caught.value.reason
    assert caught.value.suggestions.changes  # a refusal always comes with a way out


def test_whole_sizes_are_the_same_under_every_fit_policy() -> None:
    for fit in ("error", "floor", "pad"):
        geometry = resolve(LayerShape.square(7, 1, 1, 3, stride=2, fit=fit))
        assert geometry.output_shape == (3, 3, 1)
        assert geometry.height.extra_padding == 0 and geometry.height.unseen == ()


# ----------------------------------------------------------------------------- suggestions


def apply(shape: LayerShape, change: Suggestion) -> LayerShape:
    """Assign a suggestion's value to its spec field, as a client would (the tests' own copy
    of engine.geometry.applied, which the unread counts use)."""
    value = change.value
    if change.field == "padding":
        assert isinstance(value, int | list)
        return replace(shape, padding=Padding.of(value))
    if change.field == "stride":
        sh, sw = (value, value) if isinstance(value, int) else value
        assert isinstance(sh, int) and isinstance(sw, int)
        return replace(shape, stride_h=sh, stride_w=sw)
    if change.field == "filters.size":
        fh, fw = (value, value) if isinstance(value, int) else value
        assert isinstance(fh, int) and isinstance(fw, int)
        return replace(shape, filter_height=fh, filter_width=fw)
    if change.field == "dilation":
        dh, dw = (value, value) if isinstance(value, int) else value
        assert isinstance(dh, int) and isinstance(dw, int)
        return replace(shape, dilation_h=dh, dilation_w=dw)
    if change.field == "input.shape":
        assert isinstance(value, list) and value[2] == shape.depth
        return replace(shape, height=value[0], width=value[1])
    assert change.field == "fit"
    return replace(shape, fit=value)  # type: ignore[arg-type]


# Filters wider than the padded input, and dilated ones, have suggestions too.
TOO_WIDE = [(3, 5, 1, 0, 1), (4, 7, 1, 1, 1), (6, 3, 1, 0, 3), (5, 4, 2, 0, 2), (2, 9, 3, 1, 1)]


@pytest.mark.parametrize(
    ("n", "f", "s", "p", "d"), [(*m, 1) for m in MISFITS[::7]] + [(9, 3, 2, 0, 2)] + TOO_WIDE
)
def test_every_suggestion_fits_when_applied(n: int, f: int, s: int, p: int, d: int) -> None:
    shape = LayerShape.square(n, 2, 1, f, stride=s, padding=p, dilation=d)
    found = suggest(shape)
    assert found.changes
    for change in found.changes:
        geometry = resolve(apply(shape, change))
        assert (geometry.out_height, geometry.out_width) == change.output
        if change.field != "fit":
            # A change of a size fits exactly: no policy needed.
            assert geometry.height.fits and geometry.width.fits


@pytest.mark.parametrize("seed", range(3))
def test_suggestions_do_not_depend_on_the_layers_own_fit_policy(seed: int) -> None:
    # what a fit-policy suggestion's layer is told of is read off the misfit's own list
    # (app.convert.told_by_policy): that holds only while suggest ignores the policy asked for
    rng = np.random.default_rng(700 + seed)
    compared = 0
    for _ in range(60):
        n, f, s, d, pb, pa = (int(v) for v in rng.integers(1, [40, 12, 7, 4, 5, 5]))
        shape = replace(LayerShape.square(n, 1, 1, f, stride=s, dilation=d),
                        padding=Padding(pb, pa, pa, pb))
        found = suggest(shape)
        for policy in ("floor", "pad"):
            assert suggest(replace(shape, fit=policy)) == found, (n, f, s, d, pb, pa, policy)
        compared += bool(found.changes)
    assert compared > 10  # misfits among them: the comparisons were not all of empty lists


@pytest.mark.parametrize("policy", ["floor", "pad"])
def test_a_window_too_wide_under_a_fit_policy_is_offered_what_fits_under_it(policy: Fit) -> None:
    # 5 cells, an 8-wide filter at stride 3: under "floor" padding 2 already makes room (9
    # cells: one window, 1 cell dropped), where an exact fit needs 3; the policy's layer was
    # offered the exact fits only
    shape = LayerShape.square(5, 3, 2, 8, stride=3, fit=policy)
    with pytest.raises(GeometryError) as refused:
        resolve(shape)
    changes = refused.value.suggestions.changes
    paddings = [c.value for c in changes if c.field == "padding"]
    assert paddings[0] == 2, changes
    assert next(c.value for c in suggest(replace(shape, fit="error")).changes
                if c.field == "padding") == 3
    for change in changes:  # each offered fits under the layer's own policy, as it says
        geometry = resolve(apply(shape, change))
        assert (geometry.out_height, geometry.out_width) == change.output, change


@pytest.mark.parametrize("seed", range(2))
def test_every_suggestion_to_a_policys_misfit_fits_under_the_policy(seed: int) -> None:
    rng = np.random.default_rng(900 + seed)
    offered = 0
    for _ in range(60):
        n, f, s, d, p = (int(v) for v in rng.integers(1, [12, 14, 5, 3, 3]))
        for policy in ("floor", "pad"):
            shape = LayerShape.square(n, 1, 1, f, stride=s, padding=p, dilation=d, fit=policy)
            try:
                resolve(shape)
                continue
            except GeometryError as misfit:
                changes = misfit.suggestions.changes
            for change in changes:
                geometry = resolve(apply(shape, change))
                assert (geometry.out_height, geometry.out_width) == change.output, (shape, change)
            offered += len(changes)
    assert offered > 20


def test_a_misfit_whose_fitting_axis_reads_nothing_says_why_no_change_is_offered() -> None:
    # the API review's layer: the width fits (2 cells, padding 1 a side, stride 3: windows at
    # padding columns only), so every change that fixes the height left a layer reading no
    # input, each dropped, and the refusal offered nothing and said nothing of why
    shape = LayerShape(2, 2, 1, 1, 4, 1, stride_h=1, stride_w=3, padding=Padding(0, 0, 1, 1))
    with pytest.raises(GeometryError) as refused:
        resolve(shape)
    found = refused.value.suggestions
    assert found.changes == ()
    assert len(found.notes) == 1 and "the width's windows, as given, read no input cell" in (
        found.notes[0])
    # one that reads the input along the width is offered its changes, with no such note
    reads = replace(shape, padding=Padding(0, 0, 0, 0))
    with pytest.raises(GeometryError) as refused:
        resolve(reads)
    assert refused.value.suggestions.changes
    assert not any("read no input" in n for n in refused.value.suggestions.notes)


def test_a_misfit_on_one_axis_is_offered_oblong_sizes_that_fit_it() -> None:
    # height 10 wants an even filter at stride 2, width 9 an odd one: no square size fits both
    shape = LayerShape(10, 9, 1, 1, 3, 3, stride_h=2, stride_w=2)
    found = suggest(shape).changes
    fixes = {(c.field, str(c.value)): c.output for c in found}
    assert fixes[("filters.size", "[2, 3]")] == (5, 4)
    assert fixes[("filters.size", "[4, 3]")] == (4, 4)
    assert fixes[("input.shape", "[9, 9, 1]")] == (4, 4)
    for change in found:
        geometry = resolve(apply(shape, change))
        assert (geometry.out_height, geometry.out_width) == change.output


def test_a_misfit_on_one_axis_is_offered_strides_that_keep_the_axis_that_fits() -> None:
    # the API review's layer: 33x21, a 3x4 filter at strides 2 and 3. The height fits (16);
    # the width does not ((21 - 4)/3 + 1 = 6.67). "stride 1" was offered, making the height
    # 31; stride 1 along the width alone keeps it 16
    shape = LayerShape(33, 21, 1, 1, 3, 4, stride_h=2, stride_w=3)
    strides = {str(c.value): c.output for c in suggest(shape).changes if c.field == "stride"}
    assert strides == {"[2, 1]": (16, 18)}
    # the other way round, and a stride that equals the other axis's is written as one
    # number: 20 tall at stride 3 under a 4-tall filter ((20 - 4)/3 + 1 = 6.33), 21 wide at
    # stride 2 (10); the height's nearest whole fits are strides 2 and 4
    turned = LayerShape(20, 21, 1, 1, 4, 3, stride_h=3, stride_w=2)
    strides = {str(c.value): c.output for c in suggest(turned).changes if c.field == "stride"}
    assert strides == {"2": (9, 10), "[4, 2]": (5, 10)}
    for change in suggest(turned).changes:
        geometry = resolve(apply(turned, change))
        assert (geometry.out_height, geometry.out_width) == change.output


def test_suggestions_for_alexnet_224_include_the_three_extra_pixels() -> None:
    shape = LayerShape.square(224, 3, 96, 11, stride=4)
    found = suggest(shape)
    fixes = {(c.field, str(c.value)): c.output for c in found.changes}
    assert fixes[("padding", "[0, 3, 0, 3]")] == (55, 55)
    assert fixes[("fit", "pad")] == (55, 55)


# ----------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"height": 0}, "input.shape", "height is 0"),
        ({"width": -3}, "input.shape", "width is -3"),
        ({"depth": 0}, "input.shape", "depth is 0"),
        ({"filters": 0}, "filters.count", "number of filters is 0"),
        ({"filter_height": 0}, "filters.size", "filter height is 0"),
        ({"stride_w": 0}, "stride", "horizontal stride is 0"),
        ({"dilation_h": 0}, "dilation", "vertical dilation is 0"),
        ({"padding": Padding(0, 0, -1, 0)}, "padding", "left padding is -1"),
        ({"fit": "crop"}, "fit", "'crop'"),
    ],
)
def test_impossible_values_are_refused_naming_the_field(
    changes: dict[str, object], field: str, words: str
) -> None:
    shape = replace(LayerShape.square(5, 3, 2, 3, stride=2, padding=1), **changes)  # type: ignore[arg-type]
    with pytest.raises(GeometryError) as caught:
        resolve(shape)
    assert caught.value.field == field
    assert words in caught.value.reason


def test_filter_larger_than_the_padded_input_is_refused_with_the_sizes() -> None:
    with pytest.raises(GeometryError) as caught:
        resolve(LayerShape.square(4, 1, 1, 7, padding=1))
    assert caught.value.field == "filters.size"
    assert "spans 7" in caught.value.reason and "6" in caught.value.reason


def test_dilated_filter_spanning_past_the_input_is_refused() -> None:
    # A 3-wide filter at dilation 3 spans 7 cells; the input is 6.
    with pytest.raises(GeometryError) as caught:
        resolve(LayerShape.square(6, 1, 1, 3, dilation=3))
    assert caught.value.field == "filters.size"
    assert "spans 7" in caught.value.reason


def test_padding_with_three_numbers_is_refused() -> None:
    with pytest.raises(GeometryError) as caught:
        Padding.of((1, 2, 3))
    assert caught.value.field == "padding"


def test_padding_forms_expand_per_side() -> None:
    assert Padding.of(2) == Padding(2, 2, 2, 2)
    assert Padding.of((1, 3)) == Padding(1, 1, 3, 3)
    assert Padding.of([1, 2, 3, 4]) == Padding(1, 2, 3, 4)
    assert Padding(1, 2, 3, 4).along("height") == (1, 2)
    assert Padding(1, 2, 3, 4).along("width") == (3, 4)


def test_fit_pad_never_adds_a_window_that_sees_only_added_zeros() -> None:
    # Width 3, a 1-wide filter at stride 3: ceil((3 - 1)/3 + 1) = 2 windows, but the second
    # would start at column 3, wholly in the added zeros; like PyTorch's ceil_mode, drop it.
    geometry = resolve(LayerShape(1, 3, 1, 1, 1, 1, stride_h=1, stride_w=3, fit="pad"))
    assert geometry.out_width == 1
    assert geometry.width.extra_padding == 0
    assert geometry.width.unseen == (1, 2)


# ----------------------------------------------------------------------------- a misfit's picture


def test_the_notes_4_5_case_has_four_whole_windows_and_a_fifth_hanging_off_by_one() -> None:
    # W=10, F=3, S=2, P=0: windows at columns 0, 2, 4, 6 end at 9 (columns 0..8 used); the
    # fifth would start at 8 and need columns 8, 9, 10: one past the end. floor leaves
    # column 9 out; pad adds one zero column so the fifth fits.
    width = resolve_axis(LayerShape.square(10, 1, 1, 3, stride=2), "width")
    assert width.whole_windows == 4
    assert width.overhang_start == 8
    assert width.overhang == 1
    assert width.floor_drops == 1
    assert width.pad_adds == 1


def test_alexnet_at_224_hangs_off_by_the_three_pixels_the_notes_guess() -> None:
    # (224 - 11)/4 + 1 = 54.25: 54 windows, the last at 53*4 = 212 ending at 222; the 55th
    # starts at 216 and needs up to 226, three past 223; column 223 is left out by floor.
    axis = resolve_axis(LayerShape.square(224, 3, 96, 11, stride=4), "height")
    assert (axis.whole_windows, axis.overhang_start, axis.overhang) == (54, 216, 3)
    assert (axis.floor_drops, axis.pad_adds) == (1, 3)


def test_padding_counts_in_the_positions_and_only_the_requested_padding() -> None:
    # 5 + 1 + 1 = 7 padded cells, F=2, S=2: (7 - 2)/2 + 1 = 3.5; windows at 0, 2, 4 (ending
    # at 5); the fourth, at 6, would start on the padding after the input (cells 1..5) and
    # see none of it, so no fit policy adds it (PyTorch's ceil_mode gives 3 too). With six
    # inputs (cells 1..6) and F=3 the fourth starts at 6, on the input, and needs cell 8.
    for fit in ("error", "pad", "floor"):
        axis = resolve_axis(LayerShape.square(5, 1, 1, 2, stride=2, padding=1, fit=fit), "width")
        assert (axis.whole_windows, axis.overhang_start, axis.overhang) == (3, None, 0)
        assert (axis.floor_drops, axis.pad_adds) == (1, 0)
        wider = resolve_axis(LayerShape.square(6, 1, 1, 3, stride=2, padding=1, fit=fit), "width")
        assert (wider.whole_windows, wider.overhang_start, wider.overhang) == (3, 6, 1)
        assert (wider.floor_drops, wider.pad_adds) == (1, 1)


def test_an_axis_that_fits_has_nothing_hanging_off() -> None:
    axis = resolve_axis(LayerShape.square(7, 1, 1, 3, stride=2), "width")
    assert axis.whole_windows == axis.output == 3
    assert (axis.overhang_start, axis.overhang, axis.floor_drops, axis.pad_adds) == (None, 0, 0, 0)


def test_a_filter_narrower_than_the_stride_has_no_window_to_hang_off() -> None:
    # W=11, F=1, S=3: windows at 0, 3, 6, 9; the next would start at 12, past the end, and
    # pad would drop it too (it sees only zeros); column 10 is left out.
    axis = resolve_axis(LayerShape(1, 11, 1, 1, 1, 1, stride_w=3), "width")
    assert (axis.whole_windows, axis.overhang_start, axis.overhang) == (4, None, 0)
    assert (axis.floor_drops, axis.pad_adds) == (1, 0)


def test_a_filter_wider_than_the_input_hangs_off_from_the_first_cell() -> None:
    # 2 cells, F=3: no whole window; the first needs one cell more; no fit policy helps.
    axis = resolve_axis(LayerShape(1, 2, 1, 1, 1, 3), "width")
    assert (axis.whole_windows, axis.overhang_start, axis.overhang) == (0, 0, 1)
    assert (axis.floor_drops, axis.pad_adds) == (0, 0)


@pytest.mark.parametrize(("n", "f", "s", "p"), MISFITS[::3])
def test_a_misfits_figures_match_windows_slid_by_hand(n: int, f: int, s: int, p: int) -> None:
    axis = resolve_axis(LayerShape.square(n, 1, 1, f, stride=s, padding=p), "width")
    padded = n + 2 * p
    whole = count_windows(padded, f, s)
    assert axis.whole_windows == whole
    last_end = (whole - 1) * s + f  # one past the last whole window's last cell
    assert axis.floor_drops == padded - last_end
    next_start = whole * s
    if next_start < p + n:  # it starts on the input (a start in the padding after: none)
        assert axis.overhang_start == next_start
        assert axis.overhang == next_start + f - padded
        assert next_start + f - padded == axis.pad_adds
    else:
        assert (axis.overhang_start, axis.overhang, axis.pad_adds) == (None, 0, 0)
    floor = resolve(LayerShape.square(n, 1, 1, f, stride=s, padding=p, fit="floor"))
    padded_fit = resolve(LayerShape.square(n, 1, 1, f, stride=s, padding=p, fit="pad"))
    assert floor.out_width == whole
    assert padded_fit.width.extra_padding == axis.pad_adds


# ----------------------------------------------------------------------------- one resolution


def test_a_misfit_carries_both_axes_and_names_every_failing_one() -> None:
    shape = LayerShape(10, 9, 1, 1, 3, 3, 2, 2)  # height 4.5 (misfit), width 4 (fits)
    with pytest.raises(GeometryError) as caught:
        resolve(shape)
    error = caught.value
    assert error.axes is not None
    height, width = error.axes
    assert (height.axis, height.output, height.exact) == ("height", 0, Fraction(9, 2))
    assert (width.axis, width.output, width.fits) == ("width", 4, True)
    assert error.reason.startswith("height: (10 - 3 + 2*0)/2 + 1 = 4.5")
    assert "width:" not in error.reason
    with pytest.raises(GeometryError) as both:
        resolve(LayerShape.square(10, 1, 1, 3, stride=2))
    assert "height: " in both.value.reason and "; width: " in both.value.reason


def test_a_misfit_lists_the_fields_its_suggestions_show_can_fix_it() -> None:
    with pytest.raises(GeometryError) as caught:
        resolve(LayerShape.square(10, 1, 1, 3, stride=2))
    fields = caught.value.fields
    assert fields[0] == "stride"
    # no dilation helps here: at stride 2 a 10-wide input needs an even span, and 2d + 1 is odd
    assert set(fields) == {"stride", "padding", "filters.size", "input.shape", "fit"}
    assert set(fields) == {s.field for s in caught.value.suggestions.changes}
    assert "dilation" not in caught.value.reason
    sizes = [s.value for s in caught.value.suggestions.changes if s.field == "input.shape"]
    assert sizes == [[9, 9, 1], [11, 11, 1]]


def test_a_filter_wider_than_the_input_is_refused_with_ways_to_fit() -> None:
    with pytest.raises(GeometryError) as caught:
        resolve(LayerShape.square(3, 1, 1, 5))
    fixes = {(s.field, str(s.value)): s.output for s in caught.value.suggestions.changes}
    assert fixes[("padding", "1")] == (1, 1)  # (3 - 5 + 2)/1 + 1
    assert fixes[("filters.size", "3")] == (1, 1) and fixes[("filters.size", "2")] == (2, 2)
    assert fixes[("input.shape", "[5, 5, 1]")] == (1, 1)
    # dilation is already 1: making it larger only widens the filter, so it is not named
    assert caught.value.fields[0] == "filters.size"
    assert "dilation" not in caught.value.fields and "dilation" not in caught.value.reason


def reads_input(n: int, f: int, s: int, d: int, before: int, after: int) -> bool:
    """Whether some tap of some window along an axis lands on one of its ``n`` input cells
    (tap t of window k at k*s + t*d in the padded axis, the input at before..before+n-1)."""
    out = (n + before + after - d * (f - 1) - 1) // s + 1
    return any(before <= k * s + t * d < before + n for k in range(out) for t in range(f))


@pytest.mark.parametrize("seed", range(4))
def test_input_size_suggestions_are_the_nearest_sizes_that_fit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(150):
        n, f, s, d, pb, pa = (int(v) for v in rng.integers(1, [40, 12, 7, 4, 5, 5]))
        shape = replace(LayerShape.square(n, 1, 1, f, stride=s, dilation=d),
                        padding=Padding(pb, pa, pa, pb))
        found = [c.value for c in suggest(shape).changes if c.field == "input.shape"]
        # brute force: each axis's fitting sizes by the formula, nearest first; an axis
        # that fits keeps its size; pairs by least change, square ones first
        options = []
        for before, after in ((pb, pa), (pa, pb)):
            fits = [m for m in range(1, 200) if m + before + after >= d * (f - 1) + 1
                    and (m + before + after - d * (f - 1) - 1) % s == 0]
            ranked = sorted(fits, key=lambda m: (abs(m - n), m))
            options.append(ranked[:1] if ranked[0] == n else ranked[:2])
        pairs = sorted(((h, w) for h in options[0] for w in options[1] if (h, w) != (n, n)),
                       key=lambda p: (p[0] != p[1], abs(p[0] - n) + abs(p[1] - n), p))
        # ... less a layer that reads none of its input (every tap on padding)
        expected = [[h, w, 1] for h, w in pairs[:2]
                    if reads_input(h, f, s, d, pb, pa) and reads_input(w, f, s, d, pa, pb)]
        assert found == expected, (n, f, s, d, pb, pa)


@pytest.mark.parametrize("seed", range(4))
def test_filter_size_suggestions_are_the_nearest_sizes_that_fit(seed: int) -> None:
    # a 1x1 filter at stride 8 on 16 cells was offered no size (8 fits) and its misfit did
    # not name filters.size: the search looked only five sizes past the layer's own
    rng = np.random.default_rng(100 + seed)
    for _ in range(150):
        n, f, s, d, pb, pa = (int(v) for v in rng.integers(1, [60, 12, 12, 4, 5, 5]))
        shape = replace(LayerShape.square(n, 1, 1, f, stride=s, dilation=d),
                        padding=Padding(pb, pa, pa, pb))
        found = [c.value for c in suggest(shape).changes if c.field == "filters.size"]
        # brute force over every size whose span fits the padded input, nearest first
        options = []
        for before, after in ((pb, pa), (pa, pb)):
            padded = n + before + after
            fits = [g for g in range(1, padded + 1) if d * (g - 1) + 1 <= padded
                    and (padded - d * (g - 1) - 1) % s == 0]
            ranked = sorted(fits, key=lambda g: (abs(g - f), g))
            options.append(ranked[:1] if ranked[:1] == [f] else ranked[:2])
        pairs = sorted(((h, w) for h in options[0] for w in options[1] if (h, w) != (f, f)),
                       key=lambda p: (p[0] != p[1], abs(p[0] - f) + abs(p[1] - f), p))
        expected = [h if h == w else [h, w] for h, w in pairs[:2]
                    if reads_input(n, h, s, d, pb, pa) and reads_input(n, w, s, d, pa, pb)]
        assert found == expected, (n, f, s, d, pb, pa)
        if expected:  # a misfit names every field a suggestion changes
            with pytest.raises(GeometryError) as misfit:
                resolve(shape)
            assert "filters.size" in misfit.value.fields, (n, f, s, d, pb, pa)


def test_a_moved_misfit_keeps_its_axes_and_prefixes_every_field() -> None:
    with pytest.raises(GeometryError) as caught:
        resolve(LayerShape.square(10, 1, 1, 3, stride=2))
    moved = caught.value.moved("layer")
    assert moved.field == "layer.stride"
    assert all(name.startswith("layer.") for name in moved.fields)
    assert moved.axes == caught.value.axes and moved.suggestions == caught.value.suggestions


def test_build_layer_uses_a_resolved_geometry_without_resolving_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import engine.layer

    geometry = resolve(LayerShape.square(5, 3, 2, 3, stride=2, padding=1))

    def refuse(shape: LayerShape) -> None:
        raise AssertionError("resolved a second time")

    monkeypatch.setattr(engine.layer, "resolve", refuse)
    layer = engine.layer.build_layer(geometry)
    assert layer.geometry is geometry
    assert layer.x_padded.shape == (7, 7, 3) and layer.weights.shape == (2, 3, 3, 3)


def test_counts_that_need_no_output_size_are_on_the_shape() -> None:
    shape = LayerShape.square(227, 3, 96, 11, stride=4)
    counts = resolve(shape).counts
    assert shape.weights_per_neuron == counts.weights_per_neuron == 363
    assert shape.weights_shared == counts.weights_shared == 34_848
    assert shape.parameters_shared == counts.parameters_shared == 34_944


# Everything else uses ``AxisGeometry.span`` / ``span_of``.
SPAN_FORMULA = re.compile(r"dilation\w*\s*\*\s*\(\s*[\w.]+\s*-\s*1\s*\)\s*\+\s*1")


def test_the_span_formula_is_written_in_geometry_alone() -> None:
    root = Path(__file__).resolve().parents[2]
    found = {
        str(path.relative_to(root))
        for folder in ("app", "engine")
        for path in (root / folder).rglob("*.py")
        if path.name != "geometry.py"
        for line in path.read_text().splitlines()
        if SPAN_FORMULA.search(line.split("#", 1)[0])  # code, not a comment
    }
    assert found == set()
    geometry = (root / "engine" / "geometry.py").read_text()
    code = [line for line in geometry.splitlines() if SPAN_FORMULA.search(line)
            and not line.lstrip().startswith(("#", "out ="))]
    assert len(code) == 1 and "return" in code[0]


@pytest.mark.parametrize(
    ("shape", "paddings", "note"),
    [
        # one padding for all four sides fits neither; 2 rows each side fit the height's
        # formula, but its first window (2 tall) would read only padding: 1 row after, and
        # 1 column each side
        (LayerShape(10, 6, 1, 1, 2, 2, stride_h=3, stride_w=3), [([0, 1, 1, 1], (4, 3))],
         "no symmetric padding fits the height: none of 0..1 works (with more, the outermost "
         "windows would read only padding)"),
        # the notes' 1-D example at stride 3: the height of 1 keeps its padding 0
        (LayerShape(1, 5, 1, 1, 1, 3, stride_h=3, stride_w=3, padding=Padding(0, 0, 1, 1)),
         [([0, 2], (1, 3))], None),
        # no same-both-sides padding fits the height; the width takes 1 each side, and
        # TensorFlow's "same" is offered after it
        (LayerShape(11, 25, 1, 1, 4, 3, stride_h=2, stride_w=3),
         [([0, 1, 1, 1], (5, 9)), ([1, 2, 1, 1], (6, 9))],
         "no symmetric padding fits the height: (11 - 4 + 2P)/2 is not whole for any P"),
    ],
)
def test_padding_is_suggested_axis_by_axis_when_no_one_padding_fits_both(
    shape: LayerShape, paddings: list[tuple[list[int], tuple[int, int]]], note: str | None
) -> None:
    found = suggest(shape)
    offered = [c for c in found.changes if c.field == "padding"]
    assert [(c.value, c.output) for c in offered] == paddings
    for change in offered:
        geometry = resolve(apply(shape, change))
        assert (geometry.out_height, geometry.out_width) == change.output
    assert list(found.notes) == ([] if note is None else [note])


@pytest.mark.parametrize("seed", range(3))
def test_a_padding_is_suggested_whenever_one_fits(seed: int) -> None:
    # brute force over every padding of up to max(F, S) rows or columns a side
    rng = np.random.default_rng(seed)
    tried = 0
    while tried < 150:
        fh, fw = (int(v) for v in rng.integers(1, 6, size=2))
        sh, sw = (int(v) for v in rng.integers(1, 5, size=2))
        h, w = int(rng.integers(fh, 20)), int(rng.integers(fw, 20))
        shape = LayerShape(h, w, 1, 1, fh, fw, stride_h=sh, stride_w=sw)
        if resolve_axis(shape, "height").fits and resolve_axis(shape, "width").fits:
            continue
        tried += 1
        most = max(fh, fw, sh, sw)

        def reads_input(n: int, f: int, s: int, before: int, after: int) -> bool:
            # whole, and every window reaches the input: the first ends on it, the last
            # starts on it or before (windows start at 0, s, 2s, ... of the padded axis)
            out = axis_output(n, f, s, before, after, 1)
            if out.denominator != 1 or out < 1:
                return False
            starts = [k * s for k in range(int(out))]
            return starts[0] + f - 1 >= before and starts[-1] <= before + n - 1

        any_fits = any(
            reads_input(h, fh, sh, t, b) and reads_input(w, fw, sw, left, right)
            for t, b, left, right in itertools.product(range(most + 1), repeat=4)
        )
        paddings = [c for c in suggest(shape).changes if c.field == "padding"]
        assert bool(paddings) == any_fits, shape
        for change in paddings:
            geometry = resolve(apply(shape, change))
            assert (geometry.out_height, geometry.out_width) == change.output


def every_window_reads(n: int, f: int, s: int, d: int, before: int, after: int) -> bool:
    """An exact fit along an axis each of whose windows has a tap on the input (the cells
    ``before .. before + n - 1`` of the padded axis), by listing every tap."""
    out = axis_output(n, f, s, before, after, d)
    if out.denominator != 1 or out < 1:
        return False
    return all(any(before <= k * s + tap * d < before + n for tap in range(f))
               for k in range(int(out)))


@pytest.mark.parametrize("seed", range(3))
def test_a_padded_dilated_misfit_names_padding_whenever_one_fits(seed: int) -> None:
    # The API review's misfits, whose fields left out padding though one fitted: an axis
    # that fits as given but reads no input (2 rows before a 1-tall filter), or whose own
    # padding before a dilated filter steps over the input. Brute force over every padding
    # of up to 3 a side, against an independent walk of each window's taps.
    rng = np.random.default_rng(100 + seed)
    tried = fixable = 0
    while tried < 150:
        h, w, fh, fw = (int(v) for v in rng.integers(1, 9, size=4))
        sh, sw = (int(v) for v in rng.integers(1, 5, size=2))
        dh, dw = (int(v) for v in rng.choice([1, 1, 2, 3], size=2))
        own = Padding(*(int(v) for v in rng.integers(0, 3, size=4)))
        shape = LayerShape(h, w, 1, 1, fh, fw, stride_h=sh, stride_w=sw, dilation_h=dh,
                           dilation_w=dw, padding=own)
        try:
            resolve(shape)
            continue
        except GeometryError as misfit:
            refused = misfit
        tried += 1
        any_fits = any(
            every_window_reads(h, fh, sh, dh, t, b) and every_window_reads(w, fw, sw, dw, le, r)
            for t, b, le, r in itertools.product(range(4), repeat=4)
        )
        paddings = [c for c in refused.suggestions.changes if c.field == "padding"]
        fixable += any_fits
        if any_fits:
            assert "padding" in refused.fields and paddings, shape
        for change in paddings:
            fixed = apply(shape, change)
            geometry = resolve(fixed)
            assert (geometry.out_height, geometry.out_width) == change.output
            p = fixed.padding
            assert every_window_reads(h, fh, sh, dh, p.top, p.bottom), (shape, change)
            assert every_window_reads(w, fw, sw, dw, p.left, p.right), (shape, change)
    assert fixable > 30


def test_a_fitting_axis_that_reads_nothing_as_given_is_padded_too() -> None:
    # 9x9, a 3x1 filter at stride 3 down: the height misses ((9 + 4 - 3)/3 + 1 = 4.33) and
    # the width "fits" with 2 columns of padding before a 1-wide filter, whose first two
    # windows read only padding: padding was not offered. Both axes are now padded.
    shape = LayerShape(9, 9, 1, 1, 3, 1, stride_h=3, padding=Padding(2, 2, 2, 1))
    with pytest.raises(GeometryError) as refused:
        resolve(shape)
    assert "padding" in refused.value.fields
    paddings = {str(c.value): c.output for c in refused.value.suggestions.changes
                if c.field == "padding"}
    assert paddings == {"[0, 0]": (3, 9)}
    # a dilated 2-tap filter over one row (taps 3 apart) whose own padding 1 a side leaves
    # both taps off the row: one more row after it and none before puts tap 0 on it
    dilated = LayerShape(1, 5, 1, 1, 2, 4, stride_h=4, stride_w=4, dilation_h=3,
                         padding=Padding(1, 1, 1, 1))
    with pytest.raises(GeometryError) as refused:
        resolve(dilated)
    assert refused.value.fields[:1] == ("padding",)
    offered = [c for c in refused.value.suggestions.changes if c.field == "padding"]
    assert [(c.value, c.output) for c in offered] == [([0, 3, 1, 2], (1, 2))]


def test_fit_pad_is_not_suggested_where_it_adds_nothing() -> None:
    # 7 wide, filter 2, stride 4: windows at 0 and 4; the next would start at 8, past the
    # input, so "pad" adds no column and gives what "floor" gives
    found = suggest(LayerShape.square(7, 1, 1, 2, stride=4))
    fits = {c.value: c.output for c in found.changes if c.field == "fit"}
    assert fits == {"floor": (2, 2)}
    # nor does padding: [0, 3, 0, 3] fits the formula with a third window at 8, wholly in
    # the padding after the input
    assert [c for c in found.changes if c.field == "padding"] == []


def test_a_rounded_output_size_is_written_with_approximately_equals() -> None:
    # the notes' 1-D example at stride 3: (5 - 3 + 2)/3 + 1 = 7/3, not 2.333
    with pytest.raises(GeometryError) as caught:
        resolve(LayerShape(1, 5, 1, 1, 1, 3, stride_h=1, stride_w=3, padding=Padding(0, 0, 1, 1)))
    assert "width: (5 - 3 + 2*1)/3 + 1 ≈ 2.333 is not an integer" in caught.value.reason
    # a decimal that is exact keeps "="
    assert "= 4.5 is not" in _misfit_reason(LayerShape.square(10, 1, 1, 3, stride=2))


def test_a_size_near_whole_past_a_servers_strides_keeps_the_digits_that_show_it() -> None:
    # the engine takes any stride: (300,002 - 1)/300,000 + 1 is 2.0000033..., written
    # to its first decimal that is not 0 and one more, not the float's seventeen digits
    shape = LayerShape(300_002, 1, 1, 1, 1, 1, stride_h=300_000, stride_w=1)
    assert "height: (300002 - 1 + 2*0)/300000 + 1 ≈ 2.0000033 is not an integer" in (
        _misfit_reason(shape))


def _misfit_reason(shape: LayerShape) -> str:
    with pytest.raises(GeometryError) as caught:
        resolve(shape)
    return caught.value.reason


def test_a_one_row_layer_is_padded_along_its_width_alone() -> None:
    # Padding all four sides by 2 made the notes' 1-D example (one row) five rows tall.
    shape = LayerShape(1, 5, 1, 1, 1, 3, stride_h=1, stride_w=3, padding=Padding(0, 0, 1, 1))
    paddings = [s for s in suggest(shape).changes if s.field == "padding"]
    assert [(s.value, s.output) for s in paddings] == [([0, 2], (1, 3))]
    assert paddings[0].text == "padding [0, 2] (rows, columns) gives 1x3"


@pytest.mark.parametrize("kwargs", [
    {"stride": 10**6}, {"stride": 10**18}, {"dilation": 10**7}, {"filter_size": 10**6},
])
def test_a_misfit_with_an_absurd_size_is_refused_after_a_bounded_search(
    kwargs: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # a notebook's typo: the suggestion searches walked every candidate up to it (stride
    # 10**6: 5 s; 10**7: 46 s; 10**18 never returned). Each search now tries at most SEARCH
    # candidates around the value, a few searches an axis: the count of exact-fit trials
    # stays bounded whatever the size (the search's time is benchmarks/bench_costs.py's)
    tried = [0]
    real = engine_geometry._axis_fits

    def counted(*args: int) -> tuple[int, int] | None:
        tried[0] += 1
        return real(*args)

    monkeypatch.setattr(engine_geometry, "_axis_fits", counted)
    size = kwargs.pop("filter_size", 3)
    with pytest.raises(GeometryError):
        resolve(LayerShape.square(5, 1, 1, size, **kwargs))
    assert 0 < tried[0] <= 8 * engine_geometry.SEARCH


@pytest.mark.parametrize(("make", "field"), [
    (lambda: LayerShape.square(5 / 2, 3, 2, 3), "input.shape"),
    (lambda: LayerShape.square(5, 1, 1, 3, stride=(2, 1)), "stride"),
    (lambda: LayerShape(5, 5, 1, 1, 3, 3, padding=1), "padding"),
    (lambda: LayerShape.square(5, 1, 1, 3, padding=Padding.of("1")), "padding"),
])
def test_a_size_of_the_wrong_type_names_its_field(make: Any, field: str) -> None:
    # a float, a tuple or an int padding gave a TypeError or AttributeError deep in the
    # arithmetic (a notebook user's first mistakes)
    with pytest.raises(GeometryError) as caught:
        resolve(make())
    assert caught.value.field == field


def test_numpy_integers_are_whole_numbers_too() -> None:
    assert resolve(LayerShape.square(np.int64(5), 1, 1, 3)).output_shape == (3, 3, 1)


@pytest.mark.parametrize("seed", range(3))
def test_no_padding_suggested_gives_a_window_that_reads_only_padding(seed: int) -> None:
    # 28 wide, a 1x1 filter at stride 2 (a ResNet downsample) was offered [0, 1, 0, 1]: its
    # 15th neuron across read the one column of padding and nothing else
    rng = np.random.default_rng(300 + seed)
    offered = 0
    for _ in range(300):
        # dilations past the input's size too: a window can straddle it with no tap on it
        n, f, s, d = (int(v) for v in rng.integers(1, [40, 8, 6, 7]))
        n = n if rng.random() < 0.7 else int(rng.integers(1, 6))
        shape = LayerShape(n, n + int(rng.integers(0, 3)), 1, 1, f, f, stride_h=s, stride_w=s,
                           dilation_h=d, dilation_w=d)
        for change in suggest(shape).changes:
            if change.field != "padding":
                continue
            g = resolve(apply(shape, change))
            for axis in (g.height, g.width):
                on_input = range(axis.pad_before, axis.pad_before + axis.size)
                for k in range(axis.output):  # every window has a tap on the input
                    taps = (k * axis.stride + t * axis.dilation for t in range(axis.filter_size))
                    assert any(tap in on_input for tap in taps), (shape, change.text, k)
            offered += 1
    assert offered > 50
    # taps 0 and 4 around a 3-cell input: padding 1 (1x1) and 2 (3x3) fit the formula but
    # read only padding; two columns after the input alone let tap 0 read its first cell
    dilated = suggest(LayerShape(3, 3, 1, 1, 2, 2, dilation_h=4, dilation_w=4))
    assert [c.value for c in dilated.changes if c.field == "padding"] == [[0, 2, 0, 2]]
    downsample = suggest(LayerShape.square(28, 1, 1, 1, stride=2))
    assert [c for c in downsample.changes if c.field == "padding"] == []


def _unread_cells(shape: LayerShape) -> int:
    """Input cells no tap of any window reads, by marking every tap of every window."""
    g = resolve(shape)
    read = np.zeros((g.padded_shape[0], g.padded_shape[1]), dtype=bool)
    for i in range(g.out_height):
        for j in range(g.out_width):
            read[i * shape.stride_h:i * shape.stride_h + g.height.span:shape.dilation_h,
                 j * shape.stride_w:j * shape.stride_w + g.width.span:shape.dilation_w] = True
    top, left = g.padding.top, g.padding.left
    return int((~read[top:top + shape.height, left:left + shape.width]).sum())


@pytest.mark.parametrize("seed", range(2))
def test_a_suggestion_says_how_many_input_cells_its_layer_never_reads(seed: int) -> None:
    # the notes' 7x7 input, 3x3 filter, stride 3 was offered stride 4 (2x2, row and column 3
    # unread) and filter size 1 (9 of 49 cells read) with no word of it
    rng = np.random.default_rng(500 + seed)
    noted = 0
    for _ in range(150):
        n, f, s, d = (int(v) for v in rng.integers(1, [30, 6, 6, 4]))
        shape = LayerShape(n, n + int(rng.integers(0, 3)), 1, 1, f, f, stride_h=s, stride_w=s,
                           dilation_h=d, dilation_w=d)
        changes = suggest(shape).changes
        assert len(changes) <= MOST_SUGGESTIONS
        for change in changes:
            fixed = apply(shape, change)
            unread, cells = _unread_cells(fixed), fixed.height * fixed.width
            said = re.search(r"; ([\d,]+) of ([\d,]+) input cells unread$",
                             change.text)
            if unread == 0:
                assert said is None, change.text
                continue
            assert said is not None, (shape, change.text, unread)
            assert said.groups() == (f"{unread:,}", f"{cells:,}")
            noted += 1
    assert noted > 100
    seven = {c.text for c in suggest(LayerShape.square(7, 3, 1, 3, stride=3)).changes}
    assert "stride 4 gives 2x2; 13 of 49 input cells unread" in seven
    assert "filter size 1 gives 3x3; 40 of 49 input cells unread" in seven
    assert "stride 2 gives 3x3" in seven  # reads every cell: nothing added


@pytest.mark.parametrize("shape", [
    # a 1x1 input under a 15x15 filter at dilation 4096: inputs of 57,345 offered
    LayerShape(1, 1, 1, 1, 15, 15, dilation_h=4096, dilation_w=4096),
    LayerShape.square(4096, 1, 1, 16, stride=7, dilation=4096),
])
def test_suggestions_of_huge_layers_count_their_unread_cells_by_their_taps(
    shape: LayerShape,
) -> None:
    # an input of 61,441 cells a side with one window of 16 taps: counting its taps costs 16,
    # walking its cells 65,537 (such counts were left out, and their absence read as "all read")
    for change in suggest(shape).changes:
        fixed = apply(shape, change)
        assert applied(shape, change) == fixed
        g = resolve(fixed)
        unseen = [len(unseen_by_brute_force(size, before, f, s, d, out)) for size, before, f, s,
                  d, out in [(fixed.height, g.padding.top, fixed.filter_height, fixed.stride_h,
                              fixed.dilation_h, g.out_height),
                             (fixed.width, g.padding.left, fixed.filter_width, fixed.stride_w,
                              fixed.dilation_w, g.out_width)]]
        cells = fixed.height * fixed.width
        unread = cells - (fixed.height - unseen[0]) * (fixed.width - unseen[1])
        if unread:
            assert change.text.endswith(f"; {unread:,} of {cells:,} input cells unread")
        else:
            assert "unread" not in change.text, change.text


def test_tensorflows_same_padding_is_labelled_where_it_is_the_padding_found() -> None:
    # the README's 10 wide, 3x3, stride 2: the padding found is TensorFlow's "same" too
    found = suggest(LayerShape.square(10, 1, 1, 3, stride=2))
    paddings = [c for c in found.changes if c.field == "padding"]
    assert [(c.value, c.text) for c in paddings] == [
        ([0, 1, 0, 1], 'padding [0, 1, 0, 1] (top, bottom, left, right), "same" as TensorFlow '
         "pads it, gives 5x5")]


def test_tensorflows_same_padding_is_offered_where_it_differs_from_the_others() -> None:
    # ResNet's 7x7 stride-2 stem on 224 with padding 3 is 112.5 across: only [3, 4, 3, 4]
    # (113) was offered, not the [2, 3, 2, 3] TensorFlow pads with, which keeps 112
    stem = LayerShape.square(224, 3, 64, 7, stride=2, padding=3)
    same = [s for s in suggest(stem).changes if "same" in s.text]
    assert [(s.field, s.value, s.output) for s in same] == [("padding", [2, 3, 2, 3], (112, 112))]
    assert same[0].text == ('padding [2, 3, 2, 3] (top, bottom, left, right), "same" as '
                            "TensorFlow pads it, gives 112x112")


@pytest.mark.parametrize("seed", range(2))
def test_a_same_padding_suggestion_gives_ceil_n_over_s_on_random_misfits(seed: int) -> None:
    rng = np.random.default_rng(200 + seed)
    offered = 0
    for _ in range(200):
        n, f, s, d = (int(v) for v in rng.integers(1, [60, 8, 5, 3]))
        shape = LayerShape(n, n, 1, 1, f, f, stride_h=s, stride_w=s, dilation_h=d, dilation_w=d,
                           padding=Padding.of(int(rng.integers(0, 4))))
        try:
            resolve(shape)
            continue
        except GeometryError:
            pass
        for change in suggest(shape).changes:
            if "same" not in change.text:
                continue
            value = change.value
            assert isinstance(value, list)
            # [rows, columns] where each axis is even, else [top, bottom, left, right]
            top, bottom, left, right = (value[0], value[0], value[1], value[1]) if len(
                value) == 2 else value
            fitted = resolve(replace(shape, padding=Padding(top, bottom, left, right)))
            assert fitted.output_shape[:2] == (-(-n // s), -(-n // s)) == change.output, shape
            assert bottom - top in (0, 1) and right - left in (0, 1)
            offered += 1
    assert offered > 10


def test_a_layer_with_two_strides_or_dilations_is_offered_its_width_ones_for_both_axes() -> None:
    # height stride 3, width stride 2 on 11: stride 2 on both axes fits (5x5); the search
    # starts at the width's own value, which the height does not have
    strides = LayerShape(11, 11, 1, 1, 3, 3, stride_h=3, stride_w=2)
    assert ("stride", 2, (5, 5)) in [(c.field, c.value, c.output) for c in suggest(strides).changes]
    # dilation 1 down, 3 across a 10x10 input at stride 3: dilation 3 on both gives 2x2
    dilations = LayerShape(10, 10, 1, 1, 3, 3, stride_h=3, stride_w=3, dilation_h=1, dilation_w=3)
    offered = [(c.field, c.value, c.output) for c in suggest(dilations).changes]
    assert ("dilation", 3, (2, 2)) in offered


def _symmetric_padding_fits(n: int, f: int, s: int, d: int, p: int) -> bool:
    """Brute force: padding p both sides gives whole positions, each with a tap on the input."""
    span = (f - 1) * d + 1
    if (n + 2 * p - span) % s or n + 2 * p < span:
        return False
    starts = range(0, n + 2 * p - span + 1, s)
    return all(any(p <= a + t * d < p + n for t in range(f)) for a in starts)


@pytest.mark.parametrize("seed", range(2))
def test_a_note_that_no_symmetric_padding_fits_names_the_range_it_searched(seed: int) -> None:
    # "none of 0..N works (with more, the outermost windows would read only padding)": every
    # P up to N fails, and N + 1 is where the first window reads padding alone. Oblong
    # filters: a search that went to the wider axis's span said "none of 0..2" of a 2-wide
    # axis, where 2 zeros were past that point.
    rng = np.random.default_rng(700 + seed)
    said = 0
    for _ in range(600):
        n, fh, fw, s, d = (int(v) for v in rng.integers(1, [30, 6, 6, 6, 4]))
        shape = LayerShape(n, n, 1, 1, fh, fw, stride_h=s, stride_w=s, dilation_h=d,
                           dilation_w=d)
        for note in suggest(shape).notes:
            searched = re.search(r"fits the (height|width): none of 0\.\.(\d+) works", note)
            if searched is None:
                continue
            f, top = (fh if searched[1] == "height" else fw), int(searched[2])
            assert not any(_symmetric_padding_fits(n, f, s, d, p) for p in range(top + 1)), note
            assert top + 1 == (f - 1) * d + 1, (shape, note)  # padding a span: all zeros
            said += 1
    assert said > 10


def test_a_count_past_the_limit_is_said_not_to_be_made() -> None:
    # a suggestion far larger than its layer (the price allows each count twice the layer's
    # own cells): "not counted", never a text that reads as every cell read
    seven = LayerShape.square(7, 3, 1, 3)
    huge = Suggestion("input.shape", [5000, 5000, 3], (4998, 4998), "input 5000x5000 gives ...")
    text = _with_unread(seven, huge).text
    assert text == "input 5000x5000 gives ...; unread input cells not counted"


def test_the_requested_padded_shape_adds_each_sides_own_padding() -> None:
    # known before resolving (the input's price); fit="pad"'s extra rows are not in it
    shape = LayerShape(5, 7, 3, 1, 3, 3, padding=Padding(0, 1, 2, 3), fit="pad")
    assert shape.requested_padded_shape == (6, 12, 3)
    assert resolve(shape).padded_shape[1] >= 12


def test_a_too_wide_filter_no_filter_size_fixes_blames_a_field_that_does() -> None:
    # 6 cells at stride 2 under dilation 2 need an odd span's complement to be even: no F
    # fits the height, yet the refusal blamed filters.size and listed it among the fixes
    shape = LayerShape(6, 6, 1, 1, 3, 3, stride_h=2, stride_w=2, dilation_h=2, dilation_w=3)
    with pytest.raises(GeometryError) as caught:
        resolve(shape)
    offered = [change.field for change in caught.value.suggestions.changes]
    assert "filters.size" not in offered
    assert caught.value.field == offered[0] == "padding"
    assert "filters.size" not in caught.value.fields
    assert "Changing padding or input.shape could make it fit" in caught.value.reason


def test_no_suggestion_gives_a_layer_that_reads_none_of_its_input() -> None:
    # dilation 4 on a 3x3 input padded by 1 at stride 2: the one window's taps 0 and 4 are
    # both padding ("9 of 9 input cells unread" was offered as a fix)
    shape = replace(LayerShape.square(3, 1, 1, 2, stride=2, dilation=3), padding=Padding.of(1))
    texts = [change.text for change in suggest(shape).changes]
    assert texts and not any("9 of 9" in text for text in texts), texts
    assert not any(change.field == "dilation" and change.value == 4
                   for change in suggest(shape).changes)


def test_a_dilation_per_axis_is_suggested_where_each_axis_needs_its_own() -> None:
    # 5x5, a 2-tap filter at strides 2 and 3 with padding 1: dilation [2, 3] fits, and only
    # square dilations were tried, so the misfit never named dilation as a fix
    shape = LayerShape(5, 5, 1, 1, 2, 2, stride_h=2, stride_w=3, padding=Padding.of(1),
                       dilation_h=1, dilation_w=2)
    with pytest.raises(GeometryError) as caught:
        resolve(shape)
    offered = {(c.field, str(c.value)): c.output for c in caught.value.suggestions.changes}
    assert offered[("dilation", "[2, 3]")] == (3, 2)
    assert resolve(replace(shape, dilation_h=2, dilation_w=3)).output_shape == (3, 2, 1)
    assert "dilation" in caught.value.fields


def test_a_padding_is_found_for_a_window_wider_than_its_axis_by_more_than_a_stride() -> None:
    # a 2-tap filter at dilation 9 spans 10 columns of 8: no symmetric padding reads the
    # input, and the search tried only one stride's worth (1) of extra columns, so padding
    # was never named, though 2 more columns fit
    shape = LayerShape(3, 8, 1, 1, 3, 2, dilation_h=1, dilation_w=9, fit="pad")
    with pytest.raises(GeometryError) as caught:
        resolve(shape)
    paddings = [c for c in caught.value.suggestions.changes if c.field == "padding"]
    assert [c.value for c in paddings] == [[0, 0, 0, 2]]
    fixed = resolve(replace(shape, padding=Padding(0, 0, 0, 2)))
    assert fixed.output_shape[:2] == paddings[0].output == (1, 1)
    assert "padding" in caught.value.fields


def test_numpy_ints_are_sizes_and_come_back_as_python_ints() -> None:
    # padding=np.int64(1) gave "'numpy.int64' object is not iterable", and NumPy strides
    # leaked into every size worked out from them: (np.int64(3), np.int64(3), 1)
    g = resolve(LayerShape.square(5, 1, 1, 3, stride=np.int64(2), padding=np.int64(1)))
    assert g.output_shape == (3, 3, 1)
    assert {type(n) for n in g.output_shape} == {int}
    listed = resolve(LayerShape.square(np.int64(5), 1, 1, 3, padding=np.array([1, 1, 0, 0])))
    assert listed.output_shape == (5, 3, 1) and type(listed.out_height) is int


def test_a_float_padding_is_refused_at_the_padding_field() -> None:
    # it was a TypeError ("'float' object is not iterable") naming no field
    with pytest.raises(GeometryError) as caught:
        resolve(LayerShape.square(5, 1, 1, 3, padding=1.0))  # type: ignore[arg-type]
    assert caught.value.field == "padding"
    assert "1.0 (float)" in caught.value.reason
