"""Hand edits over a layer's fills (engine/edits.py, build_layer's ``edits``)."""

from __future__ import annotations

import numpy as np
import pytest

from engine.conv import forward
from engine.edits import Edit, apply_edits, edit_input
from engine.errors import LayerError
from engine.geometry import LayerShape, Padding
from engine.layer import build_layer, make_filters, make_input, pad_input

DEMO = LayerShape.square(5, 3, 2, 3, stride=2, padding=1)


def test_edits_set_exactly_the_named_cells_over_the_fills() -> None:
    plain = build_layer(DEMO)
    edits = [Edit("input", (1, 2, 0), 5.0), Edit("filters", (0, 0, 1, 2), -1.0),
             Edit("bias", (1,), 3.0)]
    edited = build_layer(DEMO, edits=edits)
    x, w, b = plain.x.copy(), plain.weights.copy(), plain.bias.copy()
    x[1, 2, 0], w[0, 0, 1, 2], b[1] = 5.0, -1.0, 3.0
    np.testing.assert_array_equal(edited.x, x)
    np.testing.assert_array_equal(edited.weights, w)
    np.testing.assert_array_equal(edited.bias, b)
    # the padded input carries the edit one row and one column in (padding 1)
    assert edited.x_padded[2, 3, 0] == 5.0


def test_an_edited_layer_computes_what_the_same_explicit_values_compute() -> None:
    plain = build_layer(DEMO)
    x = plain.x.copy()
    x[4, 4, 2] = -7.0
    edited = build_layer(DEMO, edits=[Edit("input", (4, 4, 2), -7.0)])
    explicit = build_layer(DEMO, x=x, weights=plain.weights, bias=plain.bias)
    np.testing.assert_array_equal(forward(edited).post, forward(explicit).post)
    assert not np.array_equal(forward(edited).post, forward(plain).post)


def test_a_later_edit_of_the_same_cell_wins() -> None:
    layer = build_layer(DEMO, edits=[Edit("bias", (0,), 9.0), Edit("bias", (1,), 4.0),
                                     Edit("bias", (0,), -2.0)])
    assert layer.bias.tolist() == [-2.0, 4.0]


def test_edits_over_explicit_values_leave_the_callers_array_alone() -> None:
    x = np.ones((5, 5, 3))
    layer = build_layer(DEMO, x=x, edits=[Edit("input", (0, 0, 0), 8.0)])
    assert layer.x[0, 0, 0] == 8.0
    assert x[0, 0, 0] == 1.0


def test_local_weights_are_indexed_by_position_then_filter() -> None:
    # local weights (H2, W2, K, Fh, Fw, D) = (3, 3, 2, 3, 3, 3); bias (H2, W2, K)
    layer = build_layer(DEMO, connectivity="local",
                        edits=[Edit("filters", (2, 1, 1, 0, 2, 2), 6.0),
                               Edit("bias", (0, 2, 1), -5.0)])
    assert layer.weights[2, 1, 1, 0, 2, 2] == 6.0
    assert layer.bias[0, 2, 1] == -5.0


@pytest.mark.parametrize(
    ("edits", "field", "reason"),
    [
        ([Edit("input", (5, 0, 0), 1.0)], "edits.0.index",
         "edits[0].index [5, 0, 0] is outside input of shape [5, 5, 3]: row 5 is not in 0..4"),
        ([Edit("bias", (0,), 1.0), Edit("filters", (0, 0, 1), 1.0)], "edits.1.index",
         "edits[1].index [0, 0, 1] has 3 numbers but filters of shape [2, 3, 3, 3] needs 4"),
        ([Edit("bias", (2,), 1.0)], "edits.0.index",
         "edits[0].index [2] is outside bias of shape [2]: filter 2 is not in 0..1"),
        ([Edit("filters", (1, 0, 3, 0), 1.0)], "edits.0.index",
         "edits[0].index [1, 0, 3, 0] is outside filters of shape [2, 3, 3, 3]: "
         "column 3 is not in 0..2"),
        ([Edit("input", (-1, 0, 0), 1.0)], "edits.0.index",
         "edits[0].index [-1, 0, 0] is outside input of shape [5, 5, 3]: row -1 is not in 0..4"),
        ([Edit("bias", (0,), float("nan"))], "edits.0.value", "nan is not a finite number"),
    ],
)
def test_a_bad_edit_is_refused_naming_its_number_and_the_arrays_shape(
    edits: list[Edit], field: str, reason: str
) -> None:
    with pytest.raises(LayerError) as caught:
        build_layer(DEMO, edits=edits)
    assert (caught.value.field, caught.value.reason) == (field, reason)


def test_no_edit_is_applied_when_a_later_one_is_refused() -> None:
    x, w, b = np.zeros((2, 2, 1)), np.zeros((1, 1, 1, 1)), np.zeros(1)
    with pytest.raises(LayerError):
        apply_edits(x, w, b, [Edit("input", (0, 0, 0), 1.0), Edit("input", (2, 0, 0), 1.0)])
    assert not x.any()


def test_untouched_arrays_are_passed_through_without_a_copy() -> None:
    x, w, b = np.zeros((2, 2, 1)), np.zeros((1, 1, 1, 1)), np.zeros(1)
    x2, w2, b2 = apply_edits(x, w, b, [Edit("bias", (0,), 1.0)])
    assert x2 is x and w2 is w and b2 is not b and b2[0] == 1.0


def test_a_misfits_input_is_the_input_its_fitting_neighbour_builds() -> None:
    # The same spec at stride 1 fits: its layer's input, edits included, is the misfit's.
    edits = [Edit("input", (9, 9, 0), 7.0), Edit("filters", (0, 0, 0, 0), 5.0)]
    misfit = make_input(LayerShape.square(10, 1, 1, 3, stride=2), edits=edits)
    fitting = build_layer(LayerShape.square(10, 1, 1, 3, stride=1), edits=edits)
    np.testing.assert_array_equal(misfit, fitting.x)
    assert misfit[9, 9, 0] == 7.0


def test_a_misfits_input_edit_outside_it_is_refused_under_its_own_number() -> None:
    # the field said once, where the reason starts with it
    with pytest.raises(LayerError, match=r"^edits\[1\]\.index \[10, 0, 0\] is outside input"):
        edit_input(np.zeros((10, 10, 1)),
                   [Edit("bias", (99,), 1.0), Edit("input", (10, 0, 0), 1.0)])


@pytest.mark.parametrize("make, edit", [
    (make_input, Edit("input", (0, 10, 0), 1.0)),
    (make_filters, Edit("filters", (0, 0, 0, 1), 1.0)),
    (make_filters, Edit("bias", (2,), 1.0)),
])
def test_a_misfits_arrays_refuse_an_edit_of_no_cell_before_any_fill(
    make: object, edit: Edit, filled: list[tuple[int, ...]]
) -> None:
    # As build_layer does: a refusal costs no fill (a big input's fill is the dear part).
    misfit = LayerShape.square(10, 1, 2, 3, stride=2)
    with pytest.raises(LayerError, match=r"^edits\[0\]\.index \[.* is outside"):
        make(misfit, edits=[edit])  # type: ignore[operator]
    assert filled == []
    make(misfit)  # type: ignore[operator]
    assert filled  # the same call without the edit does fill (so the patch is the one used)


def test_a_misfits_filters_refuse_wrong_values_and_bias_together() -> None:
    with pytest.raises(LayerError) as refused:
        make_filters(LayerShape.square(10, 1, 2, 3, stride=2),
                     weights=np.zeros((2, 3, 3, 2)), bias=np.zeros(3))
    error = refused.value
    assert {error.field, *(e.field for e in error.also)} == {"filters.values", "filters.bias"}


def test_padding_places_the_input_inside_zeros_on_each_side() -> None:
    x = np.arange(6.0).reshape(2, 3, 1)
    padded = pad_input(x, Padding(1, 2, 0, 1))
    assert padded.shape == (5, 4, 1)
    np.testing.assert_array_equal(padded[1:3, 0:3, 0], x[:, :, 0])
    assert padded.sum() == x.sum()  # everything else is zero
