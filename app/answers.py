"""Engine objects as the API's answers: the geometry, the presets, a range of steps."""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import orjson

from app.config import Settings
from app.convert import (
    all_marked,
    check_unmade,
    input_priced,
    read,
    resolve_priced,
    suggested_layers,
    unchecked_note,
)
from app.costs import (
    Cost,
    Item,
    MostFilters,
    backward_cost,
    budget_passed,
    budget_refusal,
    check_budget,
    forward_cost,
    most_filters,
    resolve_cost,
    trials_cost,
)
from app.encoding import Encoding, FloatArray, as_json, dumps, encode
from app.errors import FILTERS_PASS, OVER_LIMIT, suggestion_fields
from app.layer_cache import ANSWER_WEIGHT, LAYERS, MEMO_UNITS
from app.lru import BoundedLRU, weighed_memo
from app.preset_specs import preset_spec
from app.schemas import (
    AxisResult,
    CountsResult,
    GeometryResult,
    LayerErrorResult,
    LayerSpec,
    PresetResult,
    SuggestionResult,
)
from engine.backward import Gradient, step_weight_gradients
from engine.errors import LayerError
from engine.geometry import (
    AxisGeometry,
    Geometry,
    GeometryError,
    LayerShape,
    Suggestion,
    Suggestions,
    layout_notes,
    suggest,
)
from engine.layer import Layer
from engine.presets import PRESETS, Preset
from engine.trace import StepRange

# ----------------------------------------------------------------------------- geometry answer

# The gradients the page's backward mode asks /api/backward for; a geometry answer's
# backward_over_limit prices that request.
PAGE_GRADIENTS: frozenset[Gradient] = frozenset({"dx", "db"})


def _axis_result(axis: AxisGeometry) -> AxisResult:
    return AxisResult(
        axis=axis.axis, size=axis.size, filter_size=axis.filter_size, stride=axis.stride,
        dilation=axis.dilation, pad_before=axis.pad_before, pad_after=axis.pad_after,
        exact=float(axis.exact), arithmetic=axis.arithmetic, fits=axis.fits,
        output=axis.output, extra_padding=axis.extra_padding, unseen=list(axis.unseen),
        skipped=list(axis.skipped), span=axis.span, whole_windows=axis.whole_windows,
        overhang_start=axis.overhang_start, overhang=axis.overhang,
        floor_drops=axis.floor_drops, pad_adds=axis.pad_adds,
        padded_size=axis.requested_padded_size, skipped_between=axis.skipped_between,
    )


def _suggestions(found: Suggestions) -> tuple[list[SuggestionResult], list[str]]:
    return [SuggestionResult(**suggestion_fields(s)) for s in found.changes], list(found.notes)


def _counts(shape: LayerShape, g: Geometry | None) -> CountsResult:
    """The counts; those that need the output size are null when the layer does not fit."""
    c = None if g is None else g.counts
    return CountsResult(
        neurons=None if c is None else c.neurons,
        weights_per_neuron=shape.weights_per_neuron,
        weights_shared=shape.weights_shared,
        parameters_shared=shape.parameters_shared,
        parameters_local=None if c is None else c.parameters_local,
        multiply_adds=None if c is None else c.multiply_adds,
        im2col=None if c is None else [shape.weights_per_neuron, c.receptive_fields],
    )


def _answer_weight(answer: GeometryResult) -> int:
    """As :func:`app.layer_cache.unseen_weight` weighs a geometry: its own fields (an answer's
    weigh far more) and its axes' lists of cells."""
    axes = [axis for axis in (answer.height, answer.width) if axis is not None]
    return ANSWER_WEIGHT + sum(len(a.unseen) + len(a.skipped) for a in axes)


def geometry_marked(g: Geometry, spec: LayerSpec, settings: Settings,
                    unchecked: str | None = None) -> GeometryResult:
    """The geometry answer of a layer that resolved, its suggestions (a fit policy's layer
    has some) saying what would still refuse them applied (:func:`app.convert.all_marked`),
    the request having priced the marking with its work (:func:`marking_cost`);
    ``unchecked``: a note saying that checking them was over the budget, so only what needs
    no pricing is marked (:func:`app.convert.unchecked_note`)."""
    answer = geometry_answer(g)
    if not answer.suggestions:
        return answer
    # the remembered answer is the geometry's: the marks are made on a copy
    found = all_marked(_unmarked(answer), g.shape, settings, spec, checked=unchecked is None)
    return answer.model_copy(update={
        "suggestions": [SuggestionResult(**suggestion_fields(s)) for s in found],
        "notes": answer.notes if unchecked is None else [*answer.notes, unchecked]})


def forward_priced(encoding: Encoding, settings: Settings,
                   marks: Sequence[Item] | None = None) -> Cost:
    """What a forward in ``encoding`` costs: the pass and, for a layer that fits by its fit
    policy, marking its suggestions (:func:`marking_cost`, or ``marks`` when the caller has
    priced them already). The forward is priced by it, and a geometry answer's ``over_limit``
    is its refusal, so the two cannot disagree."""
    pass_cost = forward_cost(encoding)
    return lambda g, spec: [
        *pass_cost(g, spec), *(marking_cost(g, settings) if marks is None else marks)]


def marking_cost(g: Geometry, settings: Settings) -> list[Item]:
    """What :func:`geometry_marked` adds to a request that has resolved and priced ``g``:
    nothing for a layer that fits exactly, else its suggested layers resolved and priced. A
    forward answers with the marked geometry, and prices this with its own work, so a layer
    that fits only by its fit policy is refused before the pass runs, never after it."""
    answer = geometry_answer(g)
    if not answer.suggestions:
        return []
    return [trials_cost(suggested_layers(_unmarked(answer), g.shape, settings), by_policy=True)]


def _unmarked(answer: GeometryResult) -> list[Suggestion]:
    """The remembered answer's suggestions as the engine made them (not yet marked)."""
    return [Suggestion(s.field, s.value, (s.output[0], s.output[1]), s.text)
            for s in answer.suggestions]


@weighed_memo(MEMO_UNITS, _answer_weight)
def geometry_answer(g: Geometry) -> GeometryResult:
    """The geometry answer of a layer that resolved (under its fit policy), its suggestions
    not yet marked (:func:`geometry_marked`).

    Remembered per geometry (a frozen value; a page asks about the same layer again and
    again, and every forward answer carries this one): the answer is never changed once made.
    """
    shape = g.shape
    fits = g.height.fits and g.width.fits
    # fit="pad"/"floor" made it work; still say which exact fits are near.
    changes, notes = ([], []) if fits else _suggestions(suggest(shape))
    # another fit policy that gives the same output changes nothing (pad adds no window that
    # would start after the input, so pad and floor can agree)
    changes = [c for c in changes
               if not (c.field == "fit" and list(c.output) == list(g.output_shape[:2]))]
    blind = [a.axis for a in (g.height, g.width) if len(a.unseen) == a.size]
    if blind:  # valid, and yet its windows hold nothing but zeros
        notes = [*notes, f"no window reads an input cell ({' or '.join(blind)}: every tap lands "
                 "in the zero padding or steps over the input), so every output is its bias "
                 "alone (before the activation) and the input gets no gradient"]
    return GeometryResult(
        valid=True, error=None, fits=fits,
        output_shape=list(g.output_shape), padded_shape=list(g.padded_shape),
        padding=g.padding.as_list(), steps=g.steps,
        height=_axis_result(g.height), width=_axis_result(g.width),
        suggestions=changes, notes=[*layout_notes(shape), *notes], counts=_counts(shape, g),
    )


def misfit_answer(shape: LayerShape, error: GeometryError) -> GeometryResult:
    """The geometry answer of a layer that does not fit: each axis's arithmetic from the
    refusal itself (nothing is resolved again), what would fit, and what does not depend on
    the output size: the counts, the padding asked for and the input inside it."""
    changes, notes = _suggestions(error.suggestions)
    axes = error.axes
    return GeometryResult(
        valid=False,
        error=LayerErrorResult(field=error.field, message=error.reason, fields=list(error.fields)),
        fits=False, output_shape=None, padded_shape=list(shape.requested_padded_shape),
        padding=shape.padding.as_list(), steps=0,
        height=None if axes is None else _axis_result(axes[0]),
        width=None if axes is None else _axis_result(axes[1]),
        suggestions=changes, notes=[*layout_notes(shape), *notes],
        counts=_counts(shape, None),
    )


def geometry_result(spec: LayerSpec, settings: Settings) -> GeometryResult:
    """The geometry answer; a misfit is described (``valid: false``) rather than raised."""
    found = read(spec, settings)
    shape = found.shape
    try:
        g: Geometry | None = resolve_priced(shape, settings, spec)
    except GeometryError as error:
        g, misfit = None, error
    check_unmade(spec, found, g, settings)
    if g is None:
        # the request that draws a misfit: its input and filters, compact, as the page asks
        over = _refused(input_priced(found, spec, "compact"), settings, spec,
                        "drawing this layer's input")
        return misfit_answer(shape, misfit).model_copy(update={"over_limit": over})
    marks = marking_cost(g, settings)  # the suggested layers listed once, for both prices
    checking = [*resolve_cost(g.shape), *marks]
    # a fit policy's layer whose exact fits cost more to check than the budget holds is
    # still explained, its suggestions unchecked (it was refused whole); its forward, which
    # marks them, is refused as over_limit says
    passed = budget_passed(checking, settings)
    if passed is None:  # checked as the work that runs (off the event loop when heavy)
        check_budget(checking, settings, spec=spec)
    answer = geometry_marked(g, spec, settings,
                             unchecked=None if passed is None else unchecked_note(
                                 checking, passed[1]))
    # the forward in its cheapest encoding: what the page asks for, and the dearest of the
    # page's first requests (a step or the input alone costs less; a backward is priced on
    # its own)
    forward = forward_priced("compact", settings, marks)
    over = _refused(forward(g, spec), settings, spec, "computing this layer",
                    most_filters(forward, g, spec, settings))
    # the backward pass the page asks for in backward mode (its dW is walked step by step),
    # priced on its own: a layer the forward's budget lets through may pass this one
    backward = backward_cost("compact", None, True, PAGE_GRADIENTS)
    backward_over = _refused(backward(g, spec), settings, spec,
                             "computing this layer's dX and db",
                             most_filters(backward, g, spec, settings))
    if over is None and backward_over is None:
        return answer
    # the remembered answer is shared: a copy says it
    return answer.model_copy(update={"over_limit": over, "backward_over_limit": backward_over})


def _refused(items: Sequence[Item], settings: Settings, spec: LayerSpec, subject: str,
             most: MostFilters | None = None) -> LayerErrorResult | None:
    """The refusal (``over_limit``) a request priced at ``items`` would get, or None;
    ``most``: how many filters would pass, said where it blames their count."""
    refused = budget_refusal(items, settings, subject, spec, most)
    if refused is None:
        return None
    return LayerErrorResult(field=refused.field, message=refused.reason, fields=[refused.field],
                            filters_pass=refused.ctx.get(FILTERS_PASS),
                            limit=refused.ctx["limit"], setting=refused.ctx["setting"],
                            needed=refused.ctx["needed"])


# ----------------------------------------------------------------------------- presets


def preset_refused(preset: Preset, settings: Settings) -> str | None:
    """Why ``settings``' size limits refuse ``preset``'s layer (each size over one, with its
    setting), or None: a smaller server lists only the presets its own schema's bounds hold
    (it listed AlexNet's 227-high input under a max_side of 100)."""
    return _preset_refused(preset.name, settings)


@lru_cache(maxsize=64)  # a process has one Settings (frozen): its presets' answers, once
def _preset_refused(name: str, settings: Settings) -> str | None:
    try:
        read(preset_spec(PRESETS[name]), settings)
    except LayerError as error:
        if error.kind == OVER_LIMIT:
            return "; ".join(each.reason for each in error.each())
        raise
    return None


def preset_result(preset: Preset) -> PresetResult:
    return PresetResult(
        name=preset.name, title=preset.title, description=preset.description,
        choices=preset.choices, default_step=preset.default_step, layer=preset_spec(preset),
    )


# ----------------------------------------------------------------------------- steps answer


class FilterAnswers:
    """Each filter of a cached layer as a step answer writes its ``weights``, made once.

    A walk through a layer shows one filter's weights step after step (every position of
    filter 0, then filter 1, ...), and writing them is a third of a single step's answer
    (AlexNet's 363 weights as JSON: more than the step's own arithmetic). A layer from
    :data:`app.layer_cache.LAYERS` never changes (a layer's arrays are read-only), so its filters'
    answers are kept, by layer object and filter: JSON as an ``orjson.Fragment`` (the bytes
    orjson would write for the array), compact as its object. Layers that are not cached
    (explicit values, locally connected weights per neuron) are written as they come.

    Bounded by the bytes kept; thread-safe. An answer refers to its layer weakly: a 1x1
    filter's few bytes must not keep a layer of millions of inputs alive once the layer
    cache has let it go (the bound counts the answers' bytes, not their layers').
    """

    def __init__(self, max_bytes: int) -> None:
        # by layer id and filter; the weak reference tells a reused id from its layer
        self._answers = BoundedLRU[tuple[int, int, str], tuple[weakref.ref[Layer], Any]](
            max_bytes)

    def weights(self, layer: Layer, d: int, weights: FloatArray, encoding: Encoding) -> Any:
        """Filter ``d``'s ``weights`` (``layer.weights[d]``) in ``encoding``."""
        if layer.connectivity != "shared" or not LAYERS.holds(layer):
            return encode(weights, encoding)
        key = (id(layer), d, encoding)
        found = self._answers.get(key)
        if found is not None and found[0]() is layer:
            return found[1]
        if encoding == "json":
            written = dumps(weights)
            answer: Any = orjson.Fragment(bytes(written))  # bytes already: no CompactText
            size = len(written)
        else:
            # its own float32 copy: a large filter's text is written later, from the values it
            # holds, which must not be a view keeping every filter of a dead layer alive
            answer = encode(weights.astype(np.float32), encoding)
            size = len(answer["data"])
        # an answer of an earlier layer under the same id (it has died) gives way
        self._answers.put(key, (weakref.ref(layer), answer), size, replace=found is not None)
        return answer


# 16 MB: every filter of a few AlexNet conv1 layers as JSON (~0.7 MB each).
FILTERS = FilterAnswers(max_bytes=16_000_000)


def steps_result(
    layer: Layer, found: StepRange, upstream: FloatArray | None, encoding: Encoding
) -> dict[str, Any]:
    """The steps answer: :class:`StepsResult`'s fields in its order, as plain data written
    straight to orjson (a model per step cost more than a single step's own work). Read
    from the range's arrays, each step's numbers by index: a :class:`~engine.trace.Step`
    object per step would only be taken apart again."""
    gradients = None if upstream is None else step_weight_gradients(layer, upstream, found)
    # the per-step numbers as Python ints and floats, each array converted once
    t, i, j, d = (found.t.tolist(), found.i.tolist(), found.j.tolist(), found.d.tolist())
    rows, cols = found.row_start.tolist(), found.col_start.tolist()
    bias_running: list[float] = [] if gradients is None else gradients.bias_running.tolist()
    bias, pre, post = found.bias.tolist(), found.pre.tolist(), found.post.tolist()
    row_span, row_step = found.row_span, found.row_step
    col_span, col_step = found.col_span, found.col_step
    steps = []
    for k in range(len(found)):
        input_rows, input_cols = found.input_rows[k], found.input_cols[k]
        steps.append({  # StepResult's fields, in its order
            "t": t[k], "i": i[k], "j": j[k], "d": d[k],
            "rows": [rows[k], rows[k] + row_span, row_step],
            "cols": [cols[k], cols[k] + col_span, col_step],
            "input_rows": None if input_rows is None else list(input_rows),
            "input_cols": None if input_cols is None else list(input_cols),
            # a bool array: JSON lists of true/false, in either encoding
            "padding_mask": as_json(found.padding_mask[k]),
            "window": encode(found.window[k], encoding),
            "weights": FILTERS.weights(layer, d[k], found.weights[k], encoding),
            "products": encode(found.products[k], encoding),
            "channel_sums": encode(found.channel_sums[k], encoding),
            "bias": bias[k], "pre": pre[k], "post": post[k], "expression": found.expressions[k],
            "upstream": None if gradients is None else float(gradients.upstream[k]),
            "weight_gradient": None if gradients is None else encode(
                gradients.contribution[k], encoding),
            "weight_gradient_running": None if gradients is None else encode(
                gradients.running[k], encoding),
            "bias_gradient_running": None if gradients is None else bias_running[k],
        })
    return {"total": found.total, "start": found.start, "order": found.order, "steps": steps}
