"""Hand-typed values over a layer's arrays: a short list of (array, index, value).

A person who changes one number should not have to send the whole array again: the edit
names the cell, and the layer is rebuilt from its fills (or explicit values) with the edits
laid on top. Indices address the arrays as :class:`engine.layer.Layer` holds them:

* ``input``: the unpadded input ``(H, W, D)``
* ``filters``: shared ``(K, Fh, Fw, D)`` or local ``(H2, W2, K, Fh, Fw, D)``
* ``bias``: shared ``(K,)`` or local ``(H2, W2, K)``

Edits are applied in order, so a later edit of the same cell wins.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from engine.errors import LayerError, counted, written
from engine.tensors import FloatArray

EditTarget = Literal["input", "filters", "bias"]
EDIT_TARGETS: tuple[EditTarget, ...] = ("input", "filters", "bias")


# What each number of an edit's index counts, by array and its number of axes (shared or
# locally connected filters and biases).
AXIS_NAMES: Mapping[tuple[str, int], tuple[str, ...]] = MappingProxyType({
    ("input", 3): ("row", "column", "depth"),
    ("filters", 4): ("filter", "row", "column", "depth"),
    ("filters", 6): ("output row", "output column", "filter", "row", "column", "depth"),
    ("bias", 1): ("filter",),
    ("bias", 3): ("output row", "output column", "filter"),
})


@dataclass(frozen=True)
class Edit:
    """One cell of one array set to ``value``."""

    array: EditTarget
    index: tuple[int, ...]
    value: float


# An array's shape for checking edits: None for an axis whose size is not known yet (a
# locally connected misfit's output positions), where any index from 0 up is taken.
Shape = tuple[int | None, ...]


def check_edit(n: int, edit: Edit, shape: Shape) -> None:
    """Refuse edit number ``n`` unless its index names a cell of an array of ``shape``.

    The refusal's field is ``edits.<n>.index`` (or ``.array``/``.value``), and its reason
    quotes the index and the shape, so the person sees which edit and why.

    >>> try:
    ...     check_edit(2, Edit("bias", (3,), 1.0), (2,))
    ... except LayerError as refused:
    ...     print(refused.field)
    ...     print(refused.reason)
    edits.2.index
    edits[2].index [3] is outside bias of shape [2]: filter 3 is not in 0..1
    >>> try:
    ...     check_edit(0, Edit("bias", (9, 9, 5), 1.0), (None, None, 1))
    ... except LayerError as refused:
    ...     print(refused.reason)
    edits[0].index [9, 9, 5] is outside bias of shape [?, ?, 1]: filter 5 is not in 0..0
    """
    if edit.array not in EDIT_TARGETS:
        raise LayerError(f"edits.{n}.array", f"{edit.array!r} is not one of {list(EDIT_TARGETS)}")
    if not math.isfinite(edit.value):
        raise LayerError(f"edits.{n}.value", f"{edit.value} is not a finite number")
    sizes = ", ".join("?" if size is None else str(size) for size in shape)
    index, where = list(edit.index), f"{edit.array} of shape [{sizes}]"
    field = f"edits.{n}.index"
    said = written(field)  # named in the reason too: a list of edits has many indices
    if len(index) != len(shape):
        raise LayerError(
            field, f"{said} {index} has {counted(len(index), 'number')} but {where} needs "
            f"{len(shape)}", kind="wrong_length",
            # the lengths as data, with the keys a list's own wrong length gives them
            ctx={"actual_length": len(index), "min_length": len(shape),
                 "max_length": len(shape)},
        )
    names = AXIS_NAMES.get((edit.array, len(shape)), ())
    outside = [f"{names[axis] if axis < len(names) else f'axis {axis}'} {i} is "
               + ("below 0" if size is None else f"not in 0..{size - 1}")
               for axis, (i, size) in enumerate(zip(index, shape, strict=True))
               if not (i >= 0 if size is None else 0 <= i < size)]
    if outside:
        raise LayerError(field, f"{said} {index} is outside {where}: {', '.join(outside)}")


def apply_edits(
    x: FloatArray, weights: FloatArray, bias: FloatArray, edits: Sequence[Edit]
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Copies of ``x``, ``weights`` and ``bias`` with ``edits`` applied in order.

    Every edit is checked before any is applied; arrays no edit touches are returned as they
    are (not copied), so a caller's arrays are never written to.

    >>> import numpy as np
    >>> x, w, b = np.zeros((2, 2, 1)), np.zeros((1, 1, 1, 1)), np.zeros(1)
    >>> x2, _, b2 = apply_edits(x, w, b, [Edit("input", (1, 0, 0), 5.0),
    ...                                     Edit("bias", (0,), 3.0), Edit("bias", (0,), -1.0)])
    >>> x2[:, :, 0].tolist(), b2.tolist(), float(x.sum())
    ([[0.0, 0.0], [5.0, 0.0]], [-1.0], 0.0)
    """
    out = _apply({"input": x, "filters": weights, "bias": bias}, list(enumerate(edits)))
    return out["input"], out["filters"], out["bias"]


def edit_input(x: FloatArray, edits: Sequence[Edit]) -> FloatArray:
    """A copy of the input ``x`` with the input's edits among ``edits`` applied in order;
    the others are left alone (a misfit has no weights to edit). Edits keep their numbers
    in the list, so a refusal names the same ``edits.<n>`` a whole layer's would.

    >>> import numpy as np
    >>> x = np.zeros((1, 2, 1))
    >>> edit_input(x, [Edit("bias", (7,), 1.0), Edit("input", (0, 1, 0), 2.0)]).ravel().tolist()
    [0.0, 2.0]
    """
    numbered = [(n, edit) for n, edit in enumerate(edits) if edit.array == "input"]
    return _apply({"input": x}, numbered)["input"]


def edit_filters(
    weights: FloatArray, bias: FloatArray, edits: Sequence[Edit]
) -> tuple[FloatArray, FloatArray]:
    """Copies of the shared ``weights`` ``(K, Fh, Fw, D)`` and ``bias`` ``(K,)`` with the
    filters' and biases' edits among ``edits`` applied in order (the input's left alone): a
    misfit's filters, which need no output size. Edits keep their numbers in the list.

    >>> import numpy as np
    >>> w, b = edit_filters(np.zeros((1, 1, 1, 1)), np.zeros(1),
    ...                     [Edit("input", (0, 0, 0), 9.0), Edit("bias", (0,), 2.0)])
    >>> float(w.sum()), b.tolist()
    (0.0, [2.0])
    """
    numbered = [(n, edit) for n, edit in enumerate(edits) if edit.array != "input"]
    out = _apply({"filters": weights, "bias": bias}, numbered)
    return out["filters"], out["bias"]


def check_edits(edits: Sequence[Edit], shapes: Mapping[str, Shape]) -> None:
    """Refuse every edit of ``edits`` (numbered by its place in the list) that names no cell
    of its array, all at once; edits of arrays ``shapes`` leaves out are not looked at.

    >>> check_edits([Edit("input", (0, 0, 0), 1.0), Edit("bias", (2,), 1.0)], {"input": (1, 1, 1)})
    """
    _check([(n, e) for n, e in enumerate(edits) if e.array in shapes], shapes)


def _check(numbered: list[tuple[int, Edit]], shapes: Mapping[str, Shape]) -> None:
    wrong = []
    for n, edit in numbered:
        try:
            check_edit(n, edit, shapes.get(edit.array, ()))
        except LayerError as error:
            wrong.append(error)
    if wrong:
        raise LayerError.of(wrong)


def _apply(
    arrays: dict[str, FloatArray], numbered: list[tuple[int, Edit]]
) -> dict[str, FloatArray]:
    """``arrays`` with the (number, edit) pairs applied in order: every edit checked before
    any is applied (every wrong one refused at once), and only the arrays an edit touches
    copied."""
    _check(numbered, {name: array.shape for name, array in arrays.items()})
    touched = {edit.array for _, edit in numbered}
    out = {name: array.copy() if name in touched else array for name, array in arrays.items()}
    for _, edit in numbered:  # in order: a later edit of the same cell wins
        out[edit.array][edit.index] = edit.value
    return out
