"""Presets as layer specs, and a layer spec that names a preset expanded over it.

A client may send ``{"preset": "alexnet-conv1", "activation": "relu"}`` for a layer: the
preset's own spec (what ``GET /api/presets/{name}`` lists) is the base, and every field the
request gives applies over it: objects merge field by field, any other value replaces the
preset's (:func:`merged_over`). :func:`over_preset` does this before the spec is validated, so
everything after reads one ordinary :class:`app.schemas.LayerSpec`.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from app.encoding import FloatArray
from app.schemas import FillSpec, FiltersSpec, InputSpec, LayerSpec
from engine.presets import DEFAULT_PRESET, PRESETS, Preset
from engine.tensors import BOUNDED_KINDS, Fill


def preset_spec(preset: Preset) -> LayerSpec:
    """A preset as the layer spec a client would send for it.

    Examples
    --------
    >>> spec = preset_spec(PRESETS["alexnet-conv1"])
    >>> spec.input.shape, spec.filters.count, spec.filters.size, spec.stride
    ([227, 227, 3], 96, 11, 4)
    """
    s = preset.shape
    explicit = (preset.x, preset.weights, preset.bias)
    x, weights, bias = (
        preset.explicit_values() if any(v is not None for v in explicit) else (None, None, None)
    )
    p = s.padding
    return LayerSpec(
        input=InputSpec(
            shape=list(s.input_shape), values=_values(x),
            fill=_fill_spec(preset.input_fill),
        ),
        filters=FiltersSpec(
            count=s.filters, size=_per_axis(s.filter_height, s.filter_width),
            values=_values(weights), fill=_fill_spec(preset.weight_fill),
            bias=_values(bias), bias_fill=_fill_spec(preset.bias_fill),
        ),
        stride=_per_axis(s.stride_h, s.stride_w),
        padding=p.top if p.is_symmetric else p.as_list(),
        dilation=_per_axis(s.dilation_h, s.dilation_w),
        fit=s.fit, connectivity=preset.connectivity, activation=preset.activation,
    )


@cache  # the presets are constants: each one's JSON is made once per process
def _preset_json(name: str) -> dict[str, Any]:
    return preset_spec(PRESETS[name]).model_dump(mode="json", exclude_none=True)


def over_preset(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` (a layer spec's JSON naming a preset) applied over that preset's spec.

    A name that is not a preset's keeps the default preset as the base, so that the spec's
    only error is the name's own (``preset``: there is no preset of that name).

    Examples
    --------
    >>> merged = over_preset({"preset": "alexnet-conv1", "activation": "relu",
    ...                       "input": {"fill": {"kind": "uniform", "seed": 3}}})
    >>> merged["input"]["shape"], merged["input"]["fill"]["seed"], merged["stride"]
    ([227, 227, 3], 3, 4)
    >>> merged["activation"], merged["filters"]["count"]
    ('relu', 96)
    """
    name = data.get("preset")
    known = name if isinstance(name, str) and name in PRESETS else DEFAULT_PRESET
    merged: dict[str, Any] = merged_over(_preset_json(known), data)
    return merged


def merged_over(base: Any, patch: Any) -> Any:
    """``patch`` over ``base``, neither changed: objects merge key by key, recursively; any
    other value, null included, replaces the base's.

    Unlike RFC 7396's merge patch, null does not remove a key: a null means what it means in
    a spec without a preset (a nullable field's null is "not given"; elsewhere it is refused),
    so a spec naming a preset is valid exactly where the schema says it is.

    >>> merged_over({"a": 1, "b": {"c": 2, "d": 3}}, {"b": {"c": None, "e": 4}, "f": [5]})
    {'a': 1, 'b': {'c': None, 'd': 3, 'e': 4}, 'f': [5]}
    """
    if not isinstance(patch, dict) or not isinstance(base, dict):
        return patch
    merged = dict(base)
    for key, value in patch.items():
        merged[key] = merged_over(merged.get(key), value)
    return merged


def _values(array: FloatArray | None) -> list[Any] | None:
    return None if array is None else array.tolist()


def _fill_spec(how: Fill) -> FillSpec:
    """A preset's fill as a client sends it: each kind's own parameters only (bounds where it
    draws between them, mean and std for normal), the rest left to the role's defaults, so a
    client that turns a normal fill into ``integers`` draws the weights from -1..1, not from
    the input's 0..2."""
    bounded, normal = how.kind in BOUNDED_KINDS, how.kind == "normal"
    return FillSpec(
        kind=how.kind, seed=how.seed,
        low=float(how.low) if bounded else None, high=float(how.high) if bounded else None,
        mean=float(how.mean) if normal else None, std=float(how.std) if normal else None,
    )


def _per_axis(h: int, w: int) -> int | list[int]:
    return h if h == w else [h, w]
