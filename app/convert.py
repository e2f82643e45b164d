"""Layer specs to engine objects, with every server limit checked first.

The order matters: the spec's integers are checked against the side/depth/filter limits
before :func:`engine.geometry.resolve` runs, and the request's cost (multiply-adds and array
elements, from the geometry alone: :mod:`app.costs`) is checked against the budget before any
array is made. So ``input.shape = [1000000000, 1, 1]`` is refused in microseconds, allocating
nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import cast

from app.config import ServerLimit, Settings, setting_name
from app.costs import (
    FORWARD_COMPACT,
    Cost,
    Item,
    budget_passed,
    check_budget,
    input_cost,
    layer_cost,
    most_filters,
    resolve_cost,
    suggested_cost,
    trials_cost,
)
from app.encoding import Encoding, FloatArray, decode_compact, decode_nested
from app.errors import OVER_LIMIT
from app.layer_cache import LAYERS, SPECS, LayerCache, resolved
from app.schemas import ArrayIn, CompactArray, FillSpec, LayerSpec
from app.sources import check_names, image_shape_said, named_arrays
from engine.edits import Edit, Shape, check_edits
from engine.errors import LayerError, counted, listing, refuse_all
from engine.geometry import (
    Geometry,
    GeometryError,
    LayerShape,
    Padding,
    Suggestion,
    Suggestions,
    applied,
    resolve_if_fits,
)
from engine.layer import (
    Layer,
    bias_shape,
    build_layer,
    checked_values,
    make_filters,
    make_input,
    weight_shape,
)
from engine.presets import PRESETS
from engine.tensors import (
    BIAS_INTEGERS,
    BOUNDED_KINDS,
    INPUT_INTEGERS,
    STREAM_UPSTREAM,
    WEIGHT_INTEGERS,
    Fill,
    bias_fill_for,
    fill,
)

# The upstream gradient's fills: ``{}`` is ones (dL/dV = 1, the loss being the sum of the
# outputs: what a reader expects, and every gradient is then a plain count or sum); a fill
# that names only its kind (``integers``, ``uniform``) draws from -1..1.
UPSTREAM_DEFAULT = Fill("ones")
UPSTREAM_INTEGERS = Fill("integers", low=-1, high=1)


# ----------------------------------------------------------------------------- field paths


@contextmanager
def within(prefix: str | None) -> Iterator[None]:
    """Re-raise engine errors with their field under ``prefix`` (``stride`` -> ``layer.stride``).

    Engine fields are paths inside a layer spec; in ``/api/steps`` the spec sits under
    ``layer``, and the client needs the full path to find the field.
    """
    if not prefix:
        yield
        return
    try:
        yield
    except LayerError as error:
        raise error.moved(prefix) from None


# ----------------------------------------------------------------------------- arrays


def array_in(values: ArrayIn | None, field: str) -> FloatArray | None:
    """Request values (nested lists or compact) as a float64 array, or None for a fill."""
    if values is None:
        return None
    if isinstance(values, CompactArray):
        return decode_compact(values.dtype, values.shape, values.data, field)
    return decode_nested(values, field)


def fill_of(spec: FillSpec | None, default: Fill, field: str = "fill") -> Fill:
    """A request fill on top of its role's default (so ``low``, ``high``, ``mean`` and ``std``
    may be left out).

    The bounds are checked once merged: ``{"low": 5}`` on a role whose default ``high`` is 2
    is refused here, naming ``field`` (the fill's path in the spec).
    """
    if spec is None:
        return default
    low = default.low if spec.low is None else spec.low
    high = default.high if spec.high is None else spec.high
    mean = default.mean if spec.mean is None else spec.mean
    std = default.std if spec.std is None else spec.std
    made = Fill(spec.kind, spec.seed, low, high, mean, std)
    if spec.kind in BOUNDED_KINDS and low > high:
        named = "low" if spec.low is not None else "high"
        raise LayerError(f"{field}.{named}", f"low {low:g} is above high {high:g} (a bound "
                         f"left out is the default, {default.low:g}..{default.high:g}): give "
                         "low <= high", kind="low_above_high")
    if spec.kind == "integers" and math.ceil(low) > math.floor(high):
        raise LayerError(f"{field}.low", f"{field} has no whole number in [{low:g}, "
                         f"{high:g}]: an integers fill draws whole numbers, so give low and "
                         "high with one between them", kind="no_whole_number")
    return made


@dataclass(frozen=True)
class Arrays:
    """A spec's explicit arrays, decoded once (None where a fill makes them)."""

    x: FloatArray | None
    weights: FloatArray | None
    bias: FloatArray | None

    @classmethod
    def of(cls, spec: LayerSpec) -> Arrays:
        return cls(
            array_in(spec.input.values, "input.values"),
            array_in(spec.filters.values, "filters.values"),
            array_in(spec.filters.bias, "filters.bias"),
        )


# ----------------------------------------------------------------------------- sizes


def _pair(value: int | list[int]) -> tuple[int, int]:
    """A per-axis field (``3``, ``[3]`` or ``[3, 5]``) as (height, width)."""
    return (value, value) if isinstance(value, int) else (value[0], value[-1])


def _wrong_axes(field: str, sent: object, shape: tuple[int, ...], wanted: str) -> LayerError:
    """The refusal of values with the wrong number of axes: a compact array's at its
    ``shape``, a list of the wrong length there as anywhere (``wrong_length``); nested
    lists', at the values."""
    said = f"{field} have {counted(len(shape), 'dimension')} (shape {list(shape)}); {wanted}"
    if isinstance(sent, CompactArray):
        return LayerError(f"{field}.shape", said, kind="wrong_length")
    return LayerError(field, said)


def _input_shape(spec: LayerSpec, arrays: Arrays, settings: Settings) -> tuple[int, int, int]:
    """``input.shape``, or the shape of ``input.values`` when only they are given."""
    given = spec.input.shape
    x = arrays.x
    if x is not None and x.ndim != 3:
        raise _wrong_axes("input.values", spec.input.values, x.shape,
                          "the input is (H, W, D): give 3")
    if given is None:
        if x is None:
            if spec.input.image:  # its shape is known: said, as a wrong one's is (at this
                # server's limit where its max_side is over it, refused beside: layer_shape)
                raise LayerError("input.shape", "no input size: an input.image needs "
                                 f"input.shape, {image_shape_said(spec.input.image, settings)}",
                                 kind="missing")
            raise LayerError("input.shape", "no input size: give input.shape [H, W, D] or "
                             "input.values (the shape is then read from them)", kind="missing")
        _no_empty_axis("input.values", x.shape, ("height", "width", "depth"))
        h, w, d = x.shape
        return int(h), int(w), int(d)
    if x is not None and list(x.shape) != given:
        raise LayerError("input.values", f"input.values has shape {list(x.shape)} but input.shape "
                         f"is {given}: {_leave_out('input.shape', spec, 'input.values')}, or make "
                         "them agree")
    return given[0], given[1], given[2]


def _leave_out(field: str, spec: LayerSpec, values: str) -> str:
    """How to take a size from the values instead: leave it out, or, where a preset gives
    it (and leaving it out keeps the preset's), give it null; or, over a preset, whose
    values a new size does not fit, give the values null (a fill makes arrays of the sizes
    asked for: what changing a preset's size means)."""
    if spec.preset is None:
        return f"leave {field} out"
    it = "them" if " and " in field else "it"
    return (f"give {field} null (leaving {it} out keeps preset {spec.preset}'s), give {values} "
            f"null (a fill then makes them the size asked for)")


def _no_empty_axis(field: str, shape: tuple[int, ...], axes: tuple[str, ...]) -> None:
    """Refuse, at ``field``, values some of whose ``axes`` (the shape's last ones) are empty:
    the sizes are read from them, so the refusal names them rather than a size never sent."""
    empty = [name for name, n in zip(axes, shape[-len(axes):], strict=True) if n == 0]
    if empty:
        raise LayerError(field, f"{field} has shape {list(shape)}: its {listing(empty)} "
                         f"{'is' if len(empty) == 1 else 'are'} 0; every axis needs at least 1")


def _filter_sizes(spec: LayerSpec, arrays: Arrays, depth: int | None = None
                  ) -> tuple[int, int, int]:
    """(K, Fh, Fw) from ``filters.count``/``size``, or from ``filters.values`` where left out.
    ``depth``, the input's where it was read, is named too when values that disagree with
    the sizes are not as deep as the input either (said alone, it came only on the next try).
    """
    f = spec.filters
    w = arrays.weights
    if w is None:
        if f.count is None or f.size is None:
            left_out = [name for name, value in (("filters.count", f.count),
                                                 ("filters.size", f.size)) if value is None]
            # a bank names its filters, not their sizes: values cannot come with it
            how = ("give it (a filters.bank needs the spec to state its sizes)" if f.bank
                   else "give it, or filters.values (the sizes are then read from the values' "
                   "shape)")
            raise LayerError.of([LayerError(field, f"no {field}: {how}", kind="missing")
                                 for field in left_out])
        return (f.count, *_pair(f.size))
    dims = 4 if spec.connectivity == "shared" else 6
    if w.ndim != dims:
        layout = "(K, Fh, Fw, D)" if dims == 4 else "(H2, W2, K, Fh, Fw, D)"
        other = {6: ("local", "a locally connected layer's"), 4: ("shared", "shared")}.get(w.ndim)
        hint = (f"; for {other[1]} weights, give connectivity \"{other[0]}\""
                if other else "")
        raise _wrong_axes("filters.values", f.values, w.shape,
                          f"{spec.connectivity} filters are {layout}{hint}")
    if f.count is None or f.size is None:  # sizes read from the values: name them if empty
        _no_empty_axis("filters.values", w.shape[-4:], ("count", "height", "width", "depth"))
    held = int(w.shape[-4]), int(w.shape[-3]), int(w.shape[-2])
    # both at once: fixing one then met the other's refusal
    disagree: list[tuple[str, str, int | list[int]]] = []
    if f.count is not None and f.count != held[0]:
        disagree.append((f"{counted(held[0], 'filter')}", "filters.count", f.count))
    if f.size is not None and _pair(f.size) != held[1:]:
        disagree.append((f"{held[1]}x{held[2]} filters", "filters.size", f.size))
    if disagree:
        advice = _leave_out(listing([n for _, n, _ in disagree]), spec, "filters.values")
        held_depth = int(w.shape[-1])
        shallow = ("" if depth is None or held_depth == depth else
                   f"; and they are {held_depth} deep where the input is {depth} (every "
                   "filter is as deep as the input)")
        raise LayerError("filters.values", f"values hold {listing([h for h, _, _ in disagree])} "
                         f"(shape {list(w.shape)}) but " + listing(
                             [f"{name} is {given}" for _, name, given in disagree])
                         + f": {advice}, or make them agree{shallow}")
    return held


def layer_shape(spec: LayerSpec, settings: Settings, arrays: Arrays | None = None) -> LayerShape:
    """The spec's hyperparameters, each checked against the server's limits; sizes left out
    are read from the values given (``arrays``, decoded once by the caller).

    Examples
    --------
    >>> from app.schemas import FiltersSpec, InputSpec
    >>> spec = LayerSpec(input=InputSpec(shape=[7, 7, 1]), filters=FiltersSpec(count=1, size=3))
    >>> layer_shape(spec, Settings()).filter_width
    3
    """
    arrays = arrays or Arrays.of(spec)
    # the input's and the filters' sizes refused together: "{input: {}, filters: {}}" named
    # input.shape alone, and filters.count and filters.size only on the next try
    wrong: list[LayerError] = []
    sizes: list[tuple[int, int, int] | None] = []
    readers: tuple[Callable[[], tuple[int, int, int]], ...] = (
        lambda: _input_shape(spec, arrays, settings),
        lambda: _filter_sizes(spec, arrays, sizes[0][2] if sizes[0] else None))
    for read_sizes in readers:
        try:
            sizes.append(read_sizes())
        except LayerError as error:
            wrong += [error, *error.also]
            sizes.append(None)
    input_shape, filters = sizes
    sh, sw = _pair(spec.stride)
    dh, dw = _pair(spec.dilation)
    padding = Padding.of(spec.padding)
    # the numbers over a limit refused with sizes that could not be read: a spec told only
    # that its input.shape was missing was then refused for its stride
    over = _over_limits(spec, settings, input_shape, filters, (sh, sw), (dh, dw), padding)
    if wrong or over:
        raise LayerError.of([*wrong, *over])
    assert input_shape is not None and filters is not None  # read, or refused above
    (h, w, d), (count, fh, fw) = input_shape, filters
    return LayerShape(h, w, d, count, fh, fw, sh, sw, padding, dh, dw, spec.fit)


# One limit check: (where, what, value, the limit).
_Check = tuple[str, str, int, ServerLimit]


def _over_limits(
    spec: LayerSpec, settings: Settings, input_shape: tuple[int, int, int] | None,
    filters: tuple[int, int, int] | None, stride: tuple[int, int], dilation: tuple[int, int],
    padding: Padding,
) -> list[LayerError]:
    """One refusal per number sent over a server limit, at that number's own path (the
    input's and the filters' sizes where they were read: None, not).

    A number sent in a list is refused at its item (``input.shape.1``, ``stride.0``), as
    validation refuses a list's wrong items; one number sent for every axis or side is quoted
    once, as it was sent ("padding is 5,000", not four sides the client never wrote). Sizes
    read from values are refused at the values.
    """
    side = settings.limit("max_side")
    checks: list[_Check] = []
    if input_shape is not None:
        h, w, d = input_shape
        at_shape = "input.shape" if spec.input.shape is not None else "input.values"
        checks += [
            *_items(at_shape, spec.input.shape, ("the input's height", "the input's width"),
                    (h, w), side),
            (_item(at_shape, spec.input.shape, 2), "the input's depth", d,
             settings.limit("max_depth")),
        ]
    # read, or (the other one missing) each number sent, still checked on its own
    count, sizes = ((filters[0], filters[1:]) if filters is not None else
                    (spec.filters.count, None if spec.filters.size is None
                     else _pair(spec.filters.size)))
    at_filters = "filters.values" if spec.filters.values is not None else None
    if count is not None:
        checks.append((at_filters if spec.filters.count is None and at_filters
                       else "filters.count", "the number of filters", count,
                       settings.limit("max_filters")))
    if sizes is not None:
        checks += _items(at_filters if spec.filters.size is None and at_filters
                         else "filters.size", spec.filters.size,
                         ("the filter height", "the filter width"), sizes, side)
    checks += [
        *_items("stride", spec.stride, ("the vertical stride", "the horizontal stride"),
                stride, side),
        *_items("dilation", spec.dilation, ("the vertical dilation", "the horizontal dilation"),
                dilation, side),
        *_padding_items(spec.padding, padding, side),
        *_image_side_checks(spec, settings),
    ]
    if len(spec.edits) > settings.max_edits:
        checks.append(("edits", "the number of edits", len(spec.edits),
                       settings.limit("max_edits")))
    return _refused(checks)


def _image_side_checks(spec: LayerSpec, settings: Settings) -> list[_Check]:
    """The sample image's max_side against this server's limit, where one is sent."""
    image = spec.input.image
    if image is None or image.max_side is None:
        return []
    return [("input.image.max_side", "the image's max_side", image.max_side,
             settings.limit("max_image_side"))]


def _refused(checks: list[_Check]) -> list[LayerError]:
    """One refusal per path with a number over its limit."""
    # each path once, with every number there over a limit (an input's height and width
    # read from its values), grouped by limit
    over: dict[str, dict[ServerLimit, list[str]]] = {}
    for where, what, value, limit in checks:
        if value > limit.value:
            over.setdefault(where, {}).setdefault(limit, []).append(f"{what} is {value:,}")
    # ctx: the first limit a path passes (an input's depth and sides pass two at once)
    return [
        LayerError(where, "; ".join(limit.over(parts) for limit, parts in limits.items()),
                   kind=OVER_LIMIT, ctx=next(iter(limits)).ctx)
        for where, limits in over.items()
    ]


def _item(field: str, sent: list[int] | None, index: int) -> str:
    """The path of item ``index`` of a list sent at ``field`` (the field itself if none)."""
    return f"{field}.{index}" if isinstance(sent, list) else field


def _items(
    field: str, sent: int | list[int] | None, whats: tuple[str, str],
    values: tuple[int, int], limit: ServerLimit,
) -> list[_Check]:
    """A per-axis field's checks: at each item of a list of two or more, else as sent."""
    if isinstance(sent, list) and len(sent) > 1:
        return [(f"{field}.{i}", what, value, limit)
                for i, (what, value) in enumerate(zip(whats, values, strict=True))]
    if sent is None:  # read from values
        return [(field, what, value, limit) for what, value in zip(whats, values, strict=True)]
    return [(field, field, values[0], limit)]  # one number for both axes


def _padding_items(sent: int | list[int], padding: Padding, limit: ServerLimit) -> list[_Check]:
    """Padding's checks at the item that sets each side: one number, per axis, or per side."""
    if isinstance(sent, int) or len(sent) == 1:
        return [("padding", "padding", padding.top, limit)]
    sides = padding.as_list()
    if len(sent) == 2:
        return [(f"padding.{i}", f"the {axis} padding", sides[2 * i], limit)
                for i, axis in enumerate(("vertical", "horizontal"))]
    return [(f"padding.{i}", f"the {name} padding", value, limit)
            for i, (name, value) in enumerate(zip(("top", "bottom", "left", "right"), sides,
                                                  strict=True))]


# ----------------------------------------------------------------------------- one pass


@dataclass(frozen=True)
class Read:
    """A layer spec read once: its sizes, its explicit arrays decoded, its fills."""

    shape: LayerShape
    arrays: Arrays
    input_fill: Fill
    weight_fill: Fill
    bias_fill: Fill


def read(spec: LayerSpec, settings: Settings) -> Read:
    """Decode the spec's arrays, read its sizes (limits checked) and its fills; nothing is
    resolved or made yet."""
    _one_source(spec)
    arrays = Arrays.of(spec)
    return Read(
        layer_shape(spec, settings, arrays),
        arrays,
        fill_of(spec.input.fill, INPUT_INTEGERS, "input.fill"),
        fill_of(spec.filters.fill, WEIGHT_INTEGERS, "filters.fill"),
        # none named: 0 beside the caller's own weights, else seeded (the engine's rule)
        bias_fill_for(spec.filters.values is not None) if spec.filters.bias_fill is None
        else fill_of(spec.filters.bias_fill, BIAS_INTEGERS, "filters.bias_fill"),
    )


def _one_source(spec: LayerSpec) -> None:
    """Refuse values given beside a named image or bank, before either's sizes are compared
    with anything (the values' shape against input.shape sent the user to leave the shape
    out, which the image then needed)."""
    if spec.input.image is not None and spec.input.values is not None:
        raise LayerError("input.image", "give the input's `values` or an `image`, not both"
                         + _preset_values(spec, "x", "input", "image"))
    if spec.filters.bank is not None and spec.filters.values is not None:
        raise LayerError("filters.bank", "give the filters' `values` or a `bank`, not both"
                         + _preset_values(spec, "weights", "filters", "bank"))


def _preset_values(spec: LayerSpec, array: str, field: str, instead: str) -> str:
    """Where the values beside a named image or bank are the preset's (a request that sent
    only the name was told to give one or the other), how to let go of them.

    >>> from app.preset_specs import over_preset
    >>> spec = LayerSpec.model_validate(over_preset(
    ...     {"preset": "one-d-stride-2", "input": {"image": {"name": "checkerboard"}}}))
    >>> print(_preset_values(spec, "x", "input", "image")[2:])
    preset one-d-stride-2 gives the input's values: send "input": {"values": null, ...} with \
the image
    """
    preset = PRESETS.get(spec.preset) if spec.preset is not None else None
    if preset is None or getattr(preset, array) is None:
        return ""
    return (f"; preset {spec.preset} gives the {field}'s values: send "
            f'"{field}": {{"values": null, ...}} with the {instead}')


def resolve_priced(shape: LayerShape, settings: Settings, spec: LayerSpec) -> Geometry:
    """The geometry, once resolving it is known to be within the budget (the unseen-cell
    walk is priced by :func:`app.costs.resolve_cost`). Raises :class:`GeometryError`, each of
    whose suggestions says what would still refuse it applied (:func:`marked`)."""
    check_budget(resolve_cost(shape), settings, spec=spec)
    try:
        return resolved(shape)
    except GeometryError as error:
        raise _marked(error, shape, settings, spec) from None


def _marked(error: GeometryError, shape: LayerShape, settings: Settings,
            spec: LayerSpec) -> GeometryError:
    """``error`` with its suggestions :func:`marked`, and blaming a field the spec can change
    as sent: filters.size, where a bank or values give the filters, was blamed though
    padding alone fixed the layer."""
    changes = error.suggestions.changes
    trials = suggested_cost(shape, suggested_layers(changes, shape, settings))
    # a budget too small to check them keeps the misfit's explanation: the suggestions are
    # given, marked past max_side alone, and said to be unchecked (a 2x2 misfit was refused
    # whole, its suggestions' checks over a budget of 50,000,000)
    unchecked = budget_passed(trials, settings)
    notes = error.suggestions.notes
    if unchecked is None:  # checked as the work that runs (off the event loop when heavy)
        check_budget(trials, settings, spec=spec)
    else:
        notes = (*notes, unchecked_note(trials, unchecked[1]))
    found = Suggestions(tuple(all_marked(changes, shape, settings, spec,
                                         checked=unchecked is None)), notes)
    field, fields = error.field, error.fields
    works = [s.field for s in found.changes if not s.leave_out]
    if works and field not in works:
        field = works[0]
        fields = tuple(dict.fromkeys([field, *fields]))
    if found == error.suggestions and field == error.field:
        return error
    return GeometryError(field, error.reason, found, error.axes, fields)


def all_marked(found: Sequence[Suggestion], shape: LayerShape, settings: Settings,
               spec: LayerSpec, checked: bool = True) -> list[Suggestion]:
    """Each of ``found`` (``shape``'s suggestions, or the exact fits a layer that fits by its
    fit policy is told of) :func:`marked`; the caller has priced resolving their layers with
    its own work (:func:`app.costs.suggested_cost`, :func:`app.answers.marking_cost`).
    ``checked``: False where that price is itself over the budget, so only what needs no
    pricing is marked (:func:`unchecked_note` says so)."""
    if not checked:
        return [marked(s, shape, settings, spec, priced=False) for s in found]
    return [marked(s, shape, settings, spec,
                   told_by_policy(found, s) if s.field == "fit" else ()) for s in found]


def told_by_policy(found: Sequence[Suggestion], fit: Suggestion) -> list[Suggestion]:
    """The exact fits the layer the fit-policy suggestion ``fit`` (one of ``found``) makes is
    told of, which its forward resolves and prices to mark them: ``found`` without the fit
    policies of the same output. The engine's suggestions do not depend on the layer's own
    fit policy, and a geometry answer leaves out another policy giving its output
    (:func:`app.answers.geometry_answer`)."""
    return [s for s in found if not (s.field == "fit" and tuple(s.output) == tuple(fit.output))]


def suggested_layers(found: Sequence[Suggestion], shape: LayerShape,
                     settings: Settings) -> list[LayerShape]:
    """The layers :func:`marked` resolves to mark ``found`` (``shape``'s suggestions): each
    but those past ``max_side``, which are marked unresolved."""
    return [applied(shape, s) for s in found
            if not _past_side(s.value, s.field, settings.max_side)]


def unchecked_note(trials: Sequence[Item], setting: str) -> str:
    """The note of a misfit whose suggested layers were not checked against this server's
    budget (``setting``), checking them being over it."""
    elements, work = sum(i.elements for i in trials), sum(i.work for i in trials)
    cost = (f"{elements:,} numbers" if setting == setting_name("max_elements")
            else f"{work:,} units of work")
    return ("Whether this server computes each suggested layer was not checked: resolving "
            f"and pricing them would cost {cost}, over its budget ({setting}); a suggestion "
            "past its max_side is still marked")


def marked(suggestion: Suggestion, shape: LayerShape, settings: Settings,
           spec: LayerSpec, told: Sequence[Suggestion] = (), priced: bool = True) -> Suggestion:
    """``suggestion`` (to ``shape``, the layer ``spec`` asks for) with what would still refuse
    it applied, in its text and its fields: a side past ``max_side`` or a layer past the
    element or work budget (``limit``: the engine knows no server's limits, and offers a 1x1
    input under a widely dilated filter an input 57,345 cells a side), and the spec's own
    arrays and edits it would have to leave out (``leave_out``, :func:`left_out`). Resolving
    the suggested layer is priced by the caller (:func:`all_marked`). A fit policy's layer
    is priced with marking the exact fits it would be ``told`` of, as its forward is.
    ``priced``: False where checking the budget was itself over it (only ``max_side`` and
    what to leave out are marked).

    >>> from engine.geometry import resolve
    >>> spec = LayerSpec.model_validate({"input": {"shape": [10, 10, 1]}, "stride": 2,
    ...     "filters": {"count": 1, "size": 3},
    ...     "edits": [{"array": "input", "index": [9, 9, 0], "value": 5}]})
    >>> shape = LayerShape.square(10, 1, 1, 3, stride=2)
    >>> try:
    ...     resolve(shape)
    ... except GeometryError as misfit:
    ...     found = [marked(s, shape, Settings(max_side=10), spec)
    ...              for s in misfit.suggestions.changes]
    >>> for s in found:  # doctest: +ELLIPSIS
    ...     if s.leave_out or s.limit:
    ...         print(s.leave_out, s.limit, s.text)
    ('edits.0',) None input 9x9 gives 4x4 (and leave out edit 0, outside it)
    () CONVSCOPE_MAX_SIDE input 11x11 gives 5x5 (over this server's limit of 10 a side, ...)
    >>> small = Settings(max_elements=500)  # stride 1 (8x8 outputs) is over it, 7 (2x2) not
    >>> [marked(Suggestion("stride", v, (0, 0), f"stride {v}"), shape, small, spec).text
    ...  for v in (1, 7)]
    ["stride 1 (over this server's limit of 500 numbers, CONVSCOPE_MAX_ELEMENTS)", 'stride 7']
    """
    side = settings.limit("max_side")
    left = left_out(suggestion.field, suggestion.value, spec, suggestion.output)
    passed: tuple[str, str] | None = None  # the limit it passes: (in words, its setting)
    if _past_side(suggestion.value, suggestion.field, side.value):
        passed = (f"over this server's limit of {side.value:,} a side, {side.setting}",
                  side.setting)
    elif priced:  # its layer priced as the geometry answer prices one for its over_limit,
        # without the arrays it leaves out (reading listed values is much of a price)
        items = [*FORWARD_COMPACT(resolved(applied(shape, suggestion)),
                                  _without(spec, left.paths))]
        if told:
            items.append(trials_cost(suggested_layers(told, shape, settings), by_policy=True))
        passed = budget_passed(items, settings)
    if passed is not None:
        words, setting = passed
        suggestion = replace(suggestion, limit=setting, limit_words=words,
                             text=f"{suggestion.text} ({words})")
    if left.text:
        suggestion = replace(suggestion, text=suggestion.text + left.text,
                             leave_out=left.paths, also=left.also)
    return suggestion


def _without(spec: LayerSpec, paths: Sequence[str]) -> LayerSpec:
    """``spec`` with the arrays at ``paths`` (``input.values``, ``filters.bias``, ...) made
    null: what a suggestion's layer is priced as (edits are not priced by their cells)."""
    nulls: dict[str, dict[str, None]] = {}
    for path in paths:
        part, _, name = path.partition(".")
        if part in ("input", "filters"):
            nulls.setdefault(part, {})[name] = None
    if not nulls:
        return spec
    return spec.model_copy(update={part: getattr(spec, part).model_copy(update=fields)
                                   for part, fields in nulls.items()})


def _past_side(value: int | str | list[int], field: str, max_side: int) -> bool:
    """Whether a suggestion's ``value`` for ``field`` has a side past ``max_side``."""
    if isinstance(value, str):  # a fit policy
        return False
    sides = [value] if isinstance(value, int) else value
    # an input's shape is [H, W, D]: its depth has a limit of its own, never changed here
    return max(sides[:2] if field == "input.shape" else sides) > max_side


@dataclass(frozen=True)
class LeftOut:
    """What else applying a suggestion takes, where the spec's own arrays refuse it alone:
    the spec's fields and edits to leave out (``"input.image"``, ``"edits.0"``), the fields
    to set instead (the filters' count that values gave), and both in words."""

    paths: tuple[str, ...] = ()
    also: tuple[tuple[str, int | tuple[int, int]], ...] = ()
    text: str = ""


def left_out(field: str, value: int | str | list[int], spec: LayerSpec,
             output: Sequence[int] = ()) -> LeftOut:
    """What else applying the suggestion to set ``field`` to ``value`` (giving ``output``,
    [H2, W2]) takes (" (and leave out ...)"): a sample image or values fix the input's size,
    a bank or values the filters', a locally connected layer's values its output's, and an
    edit whose cell the new sizes' arrays do not have is refused. Over a preset, a field is
    given null (left out, the preset's would stay). The sizes the dropped filter values gave
    and the spec does not state are set instead (``also``). (The page, applying it, leaves
    them out.)"""
    parts: dict[str, str] = {}  # path: in words, each path once
    local = spec.connectivity == "local"
    if local and output:
        made = [(name, sizes) for name, sizes in (
            ("filters.values", _leading(spec.filters.values)),
            ("filters.bias", _leading(spec.filters.bias))) if sizes is not None]
        parts |= {name: f"{name}, made for a {sizes[0]}x{sizes[1]} output"
                  for name, sizes in made if list(sizes) != list(output[:2])}
    if field == "input.shape" and (spec.input.image is not None or spec.input.values is not None):
        given = "input.image" if spec.input.image is not None else "input.values"
        parts.setdefault(given, f"{given}, which fixes the input's size")
    if field == "filters.size" and (spec.filters.bank is not None
                                    or spec.filters.values is not None):
        given = "filters.bank" if spec.filters.bank is not None else "filters.values"
        parts.setdefault(given, f"{given}, which fixes the filters' size")
    cut = _edits_cut(field, value, spec, output)
    if not parts and not cut:
        return LeftOut()
    said = []
    if parts:  # over a preset, leaving a field out keeps the preset's: null resets it
        verb = "leave out" if spec.preset is None else "give null for"
        said.append(f"{verb} {listing(list(parts.values()))}")
    if cut:
        said.append(f"leave out edit{'' if len(cut) == 1 else 's'} "
                    f"{listing([str(n) for n in cut])}, outside it")
    also = _sizes_given(spec, field) if "filters.values" in parts else ()
    then = "; then give " + listing([f"{name} {value}" for name, value in also]) if also else ""
    return LeftOut((*parts, *(f"edits.{n}" for n in cut)), also,
                   f" (and {' and '.join(said)}{then})")


def _sizes_given(spec: LayerSpec, field: str) -> tuple[tuple[str, int | tuple[int, int]], ...]:
    """The filters' count and size the spec's ``filters.values`` gave and the spec does not
    state, which dropping the values takes away (the size where the suggestion does not set
    it: ``field``)."""
    held = _filter_sizes_of(spec.filters.values, spec.connectivity == "local")
    if held is None:
        return ()
    count, fh, fw = held
    also: list[tuple[str, int | tuple[int, int]]] = []
    if spec.filters.count is None:
        also.append(("filters.count", count))
    if spec.filters.size is None and field != "filters.size":
        also.append(("filters.size", fh if fh == fw else (fh, fw)))
    return tuple(also)


def _filter_sizes_of(values: ArrayIn | None, local: bool) -> tuple[int, int, int] | None:
    """(K, Fh, Fw) of explicit filter values, from their nesting or compact shape (shared
    (K, Fh, Fw, D); locally connected (H2, W2, K, Fh, Fw, D)); None when not that deep.

    >>> import numpy as np
    >>> _filter_sizes_of(np.zeros((2, 3, 5, 1)).tolist(), False)
    (2, 3, 5)
    >>> _filter_sizes_of(np.zeros((4, 4, 5, 3, 3, 1)).tolist(), True)
    (5, 3, 3)
    >>> _filter_sizes_of(CompactArray(dtype="float32", shape=[4, 4, 7, 1, 2, 1], data=""), True)
    (7, 1, 2)
    """
    first = 2 if local else 0
    sizes = _leading_sizes(values, first + 3)
    return None if sizes is None else (sizes[first], sizes[first + 1], sizes[first + 2])


def _edits_cut(field: str, value: int | str | list[int], spec: LayerSpec,
               output: Sequence[int]) -> list[int]:
    """The spec's edits whose cell the suggested layer's arrays do not have: the input's or
    shared filters' rows and columns past a new size, and a locally connected layer's
    weights and biases past its new output (or taps past its new filter size)."""
    array, axes, sizes = "", (0, 1), [0, 0]
    if field == "input.shape" and isinstance(value, list):
        array, sizes = "input", value[:2]
    elif field == "filters.size" and not isinstance(value, str) and spec.connectivity == "shared":
        array, axes, sizes = "filters", (1, 2), list(_pair(value))
    cut = {n for n, e in enumerate(spec.edits) if e.array == array and len(e.index) > axes[1]
           and any(e.index[axis] >= size for axis, size in zip(axes, sizes, strict=True))}
    if spec.connectivity == "local" and output:  # a set of weights and a bias per position
        taps = _pair(value) if field == "filters.size" and not isinstance(value, str) else None
        cut |= {n for n, e in enumerate(spec.edits)
                if e.array in ("filters", "bias") and len(e.index) >= 2
                and (e.index[0] >= output[0] or e.index[1] >= output[1]
                     or (e.array == "filters" and taps is not None and len(e.index) == 6
                         and (e.index[3] >= taps[0] or e.index[4] >= taps[1])))}
    return sorted(cut)


def _leading(values: ArrayIn | None) -> tuple[int, int] | None:
    """The first two sizes of explicit values (a locally connected layer's (H2, W2)), or
    None."""
    sizes = _leading_sizes(values, 2)
    return None if sizes is None else (sizes[0], sizes[1])


def _leading_sizes(values: ArrayIn | None, n: int) -> list[int] | None:
    """The first ``n`` sizes of explicit values, from their compact shape or their nesting
    (first items followed down); None when not given or not that deep.

    >>> _leading_sizes([[[1.0], [2.0]]], 2), _leading_sizes([[1.0]], 3)
    ([1, 2], None)
    """
    if isinstance(values, CompactArray):
        shape = values.shape[:n]
    else:
        shape, level = [], values
        while isinstance(level, list) and level and len(shape) < n:
            shape.append(len(level))
            level = level[0]
    return shape if len(shape) == n else None


def edits_of(spec: LayerSpec) -> list[Edit]:
    """The spec's edits as the engine takes them."""
    return [Edit(e.array, tuple(e.index), e.value) for e in spec.edits]


def edit_shapes(
    spec: LayerSpec, shape: LayerShape, g: Geometry | None
) -> dict[str, Shape]:
    """The shapes of the arrays an edit may name: the input, and the weights and biases. A
    misfit's (``g`` None) locally connected ones are one set per output position, a number
    it does not have: those axes are None (any index from 0 up; the filter, row, column and
    depth are still checked)."""
    shapes: dict[str, Shape] = {"input": shape.input_shape}
    if g is not None:
        shapes |= {"filters": weight_shape(g, spec.connectivity),
                   "bias": bias_shape(g, spec.connectivity)}
    elif spec.connectivity == "shared":
        shapes |= {"filters": shape.filter_shape, "bias": (shape.filters,)}
    else:
        shapes |= {"filters": (None, None, *shape.filter_shape),
                   "bias": (None, None, shape.filters)}
    return shapes


def geometry(
    spec: LayerSpec, settings: Settings, cost: Cost | None = None, at: str | None = None
) -> Geometry:
    """The spec's geometry alone, for answers that need no arrays (the inverse map) and for
    tools: read (limits checked, explicit values decoded), resolved and priced, the request
    under ``cost`` when given, its edits checked against the layer's shapes; nothing is made.
    Raises :class:`GeometryError` on a misfit."""
    with within(at):
        found = read(spec, settings)
        g = resolve_priced(found.shape, settings, spec)
    if cost is not None:
        check_budget(cost(g, spec), settings, at, spec=spec,
                     most=most_filters(cost, g, spec, settings))
    with within(at):
        check_unmade(spec, found, g, settings)
    return g


# Each array an edit names, and the field its explicit values are given at.
_VALUES_FIELD = {"input": "input.values", "filters": "filters.values", "bias": "filters.bias"}


def check_unmade(spec: LayerSpec, found: Read, g: Geometry | None, settings: Settings) -> None:
    """Refuse, without making any array, what making the layer's arrays would refuse: named
    images and banks that do not fit the sizes, explicit values of the wrong shape, edits
    outside the arrays (``g`` None: a misfit, whose arrays that need an output size are not
    checked). A geometry that says ``valid`` is then one the other endpoints compute."""
    shapes = edit_shapes(spec, found.shape, g)
    given = {"input": found.arrays.x, "filters": found.arrays.weights, "bias": found.arrays.bias}
    refuse_all(
        lambda: check_names(spec, found.shape, settings),
        # a locally connected misfit's weights have axes of unknown size (None): not checked
        lambda: checked_values([(_VALUES_FIELD[array], given[array], cast(tuple[int, ...], shape))
                                for array, shape in shapes.items() if None not in shape]),
        lambda: check_edits(edits_of(spec), shapes),
    )


def _check_names_and_edits(spec: LayerSpec, found: Read, g: Geometry | None,
                           settings: Settings) -> None:
    """Refuse, at once, named arrays that do not fit the sizes and edits of no cell, before
    a named image or bank is decoded (``g`` None: arrays that need the output size are not
    checked)."""
    refuse_all(lambda: check_names(spec, found.shape, settings),
               lambda: check_edits(edits_of(spec), edit_shapes(spec, found.shape, g)))


def build(
    spec: LayerSpec, settings: Settings, cost: Cost = layer_cost, at: str | None = None,
    then: Callable[[Geometry], object] | None = None,
) -> Layer:
    """A layer ready to compute, once its cost under ``cost`` is within the budget.

    One pass: the spec is read once, its geometry resolved once and priced, and the arrays
    are made on that geometry (``layer.geometry`` is the one answers report). ``at`` is
    where the spec sits in the request body, so errors name the full path. Layers made only
    from fills come from :data:`LAYERS` when built recently. A spec the lean path found in
    :data:`~app.layer_cache.SPECS` was read, limit-checked and resolved under these settings
    before: that part is reused (resolving was priced then; the request's cost, which
    includes it, is checked every time). ``then(geometry)``, if given, checks the rest of the
    request once the layer's own checks have passed, before its arrays are made.
    """
    derived: tuple[Read, Geometry, str | None] | None = SPECS.derived(spec, settings)
    if derived is None:
        with within(at):
            found = read(spec, settings)
            g = resolve_priced(found.shape, settings, spec)
        derived = (found, g, LayerCache.key(spec))
        SPECS.keep(spec, settings, derived)
    found, g, key = derived
    cached = LAYERS.get(key) if key is not None else None
    check_budget(cost(g, spec), settings, at, spec=spec, built=cached is not None,
                 most=most_filters(cost, g, spec, settings))
    if cached is not None:
        if then is not None:
            then(g)
        return cached
    with within(at):
        # (build_layer checks the edits again, before its fills: it is the engine's own guard)
        _check_names_and_edits(spec, found, g, settings)
    if then is not None:
        then(g)
    with within(at):
        # Named arrays (a sample image, a filter bank) are decoded only now, past the budget.
        named = named_arrays(spec, found.shape, settings)
        given = found.arrays
        layer = build_layer(
            g,
            x=given.x if named.x is None else named.x,
            weights=given.weights if named.weights is None else named.weights,
            bias=given.bias if named.bias is None else named.bias,
            input_fill=found.input_fill,
            weight_fill=found.weight_fill,
            bias_fill=found.bias_fill,
            connectivity=spec.connectivity,
            activation=spec.activation,
            edits=edits_of(spec),
        )
    if key is not None:
        LAYERS.put(key, layer)
    return layer


@dataclass(frozen=True)
class LayerInput:
    """What a layer has whether or not its geometry works out: the input ``(H, W, D)``, its
    requested padding, and the shared filters ``(K, Fh, Fw, D)`` and biases ``(K,)`` (None
    for a locally connected layer, whose weights need the output size)."""

    x: FloatArray
    padding: Padding
    weights: FloatArray | None
    bias: FloatArray | None


def input_priced(found: Read, spec: LayerSpec, encoding: Encoding) -> list[Item]:
    """What :func:`layer_input` costs for the spec ``found`` read: a misfit's geometry answer
    prices it too (its ``over_limit``), as the request that draws the misfit."""
    given = found.arrays
    filters_read = (0 if given.weights is None else given.weights.size,
                    0 if given.bias is None else given.bias.size)
    return input_cost(found.shape, spec, encoding, filters_read)


def layer_input(spec: LayerSpec, settings: Settings, encoding: Encoding) -> LayerInput:
    """The spec's input and requested padding, and its shared filters and biases, made as
    :func:`build` makes them (values or fills, a named image or bank, the edits) without
    resolving the geometry: a misfit has them too (a locally connected layer's is resolved,
    without a misfit's suggestions, only to check its weights' values and edits). Limits and
    the cost (:func:`app.costs.input_cost`) are checked first."""
    found = read(spec, settings)
    given = found.arrays
    check_budget(input_priced(found, spec, encoding), settings, spec=spec)
    local = spec.connectivity != "shared"
    if local:
        # its weights and biases are not made, but refused as the other endpoints refuse them
        # when the layer fits (one set per output position: a misfit's cannot be checked),
        # before anything is made; a misfit's suggestions are not this answer's
        check_unmade(spec, found, resolve_if_fits(found.shape), settings)
    else:  # (make_input and make_filters each check only their own arrays' edits)
        _check_names_and_edits(spec, found, None, settings)
    named = named_arrays(spec, found.shape, settings)
    edits = edits_of(spec)
    x = make_input(found.shape, given.x if named.x is None else named.x, found.input_fill, edits)
    if local:
        return LayerInput(x, found.shape.padding, None, None)
    weights, bias = make_filters(
        found.shape,
        given.weights if named.weights is None else named.weights,
        given.bias if named.bias is None else named.bias,
        found.weight_fill,
        found.bias_fill,
        edits,
    )
    return LayerInput(x, found.shape.padding, weights, bias)


def upstream_array(
    values: ArrayIn | None, how: FillSpec | None, layer: Layer, field: str = "upstream"
) -> FloatArray:
    """The upstream gradient ``(H2, W2, K)``: given values (shape-checked) or a fill.

    ``"upstream": {}`` (neither values nor fill) is ones: the gradient of the sum of the
    outputs, so each bias gradient counts its filter's positions.
    """
    shape = layer.geometry.output_shape
    array = array_in(values, f"{field}.values")
    if array is None:
        made = UPSTREAM_DEFAULT if how is None else fill_of(how, UPSTREAM_INTEGERS,
                                                            f"{field}.fill")
        return fill(shape, made, STREAM_UPSTREAM)
    if array.shape != shape:
        raise LayerError(
            f"{field}.values",
            f"{field}.values has shape {list(array.shape)} but the layer's output is "
            f"(H2, W2, K) = {list(shape)}",
        )
    return array
