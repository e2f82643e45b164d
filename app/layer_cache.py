"""Recently built layers, reused across requests for the same fill-only spec, recently
resolved geometries, and recently read specs with what was worked out from them."""

from __future__ import annotations

import math
import threading
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.config import Settings
from app.lru import BoundedLRU, weighed_memo
from app.schemas import LayerSpec
from engine.geometry import Geometry, LayerShape, resolve
from engine.layer import Layer


def unseen_weight(g: Geometry) -> int:
    """What a remembered geometry weighs: its own fields, and its unseen cells' ints."""
    return GEOMETRY_WEIGHT + len(g.height.unseen) + len(g.width.unseen)


# The memos of geometries and of their answers weigh what they keep in the memory of one
# unseen cell's int (about 38 bytes): a geometry's own fields weigh about 16 of them, its
# answer's about 260 (benchmarks/README.md, "Figures behind the code's choices"). Each memo
# keeps at most MEMO_UNITS of them, about 20 MB: thousands of small layers, or a few dozen
# of 4096-wide layers whose stride leaves thousands of cells unseen.
GEOMETRY_WEIGHT = 16
ANSWER_WEIGHT = 260
MEMO_UNITS = 2**19


@weighed_memo(MEMO_UNITS, unseen_weight)
def resolved(shape: LayerShape) -> Geometry:
    """:func:`engine.geometry.resolve`, remembered per shape.

    A page asks about the same layer request after request, and resolving walks both axes
    for unseen cells; a :class:`Geometry` is frozen, so one can serve every request. A misfit
    raises as ``resolve`` does, every time (exceptions are not remembered).

    Examples
    --------
    >>> shape = LayerShape.square(5, 3, 2, 3, stride=2, padding=1)
    >>> resolved(shape) is resolved(shape), resolved(shape).output_shape
    (True, (3, 3, 2))
    """
    return resolve(shape)


class LayerCache:
    """Recently built layers whose arrays come from fills (and edits), keyed by their spec.

    The page asks for one step at a time of the same layer, and rebuilding AlexNet conv1
    (three seeded fills, 190,000 numbers) costs far more than a step's own arithmetic
    (363 products). A fill is a pure function
    of the spec, so the layer can be reused; its arrays are read-only (every layer's are),
    so no request can change what another sees. Hand edits, a sample image's name and a filter
    bank's name are part of the spec (a few bytes each), so such a layer has its own key and
    is cached like any other; specs with explicit values are not cached (their key would be
    the values themselves). Bounded by elements held, not by entries, and thread-safe
    (handlers run in a thread pool).
    """

    def __init__(self, max_elements: int) -> None:
        self.max_elements = max_elements
        self._layers = BoundedLRU[str, Layer](max_elements)
        self._held: weakref.WeakSet[Layer] = weakref.WeakSet()  # every layer put here

    @staticmethod
    def key(spec: LayerSpec) -> str | None:
        explicit = (spec.input.values, spec.filters.values, spec.filters.bias)
        # without the preset's name: a spec that names one is expanded already, and the same
        # layer sent both ways is one layer
        return None if any(v is not None for v in explicit) else spec.model_dump_json(
            exclude={"preset"})

    def get(self, key: str) -> Layer | None:
        return self._layers.get(key)

    @staticmethod
    def size(layer: Layer) -> int:
        """The elements ``layer`` holds once a request has used it: the padded input (x is a
        view of its cells, as :func:`engine.layer.build_layer` makes it; else x counts too),
        W and b, and the padding map that steps make once per layer (a byte a cell, counted
        as an eighth of an element). The padded input is not x's size: a 1x1 input inside
        padding 2400 is 23 million cells, which counted as x's one left 23 MB a request
        behind in a cache that thought it held four elements.

        >>> from engine.geometry import LayerShape
        >>> from engine.layer import build_layer
        >>> LayerCache.size(build_layer(LayerShape.square(1, 1, 1, 1, padding=2)))
        31
        """
        cells = math.prod(layer.geometry.padded_shape[:2])
        padded = cells * layer.geometry.padded_shape[2]
        x = 0 if np.may_share_memory(layer.x, layer.x_padded) else layer.x.size
        return x + padded + -(-cells // 8) + layer.weights.size + layer.bias.size

    def put(self, key: str, layer: Layer) -> None:
        size = self.size(layer)
        if size > self.max_elements:
            return
        self._layers.put(key, layer, size)
        self._held.add(layer)

    def holds(self, layer: Layer) -> bool:
        """Whether ``layer`` was put here (and lives on): one a later request may get again."""
        return layer in self._held

    def clear(self) -> None:
        """Drop every layer (a test that counts what a request builds starts cold)."""
        self._layers.clear()
        self._held = weakref.WeakSet()


# 4M elements (32 MB of float64): AlexNet conv1 holds ~0.2M, so a class's worth of layers.
LAYERS = LayerCache(max_elements=4_000_000)


@dataclass
class _Read:
    spec: LayerSpec
    work: tuple[Settings, Any] | None = None  # one attribute: replaced whole, never torn


class SpecMemo:
    """Fill-only layer specs read recently, by the JSON bytes they came as, each with what
    was worked out from it under the server's settings.

    The page names the same layer in request after request (every step of a walk through
    it), and validating the spec, reading its sizes against the limits, resolving its
    geometry and writing its layer-cache key are pure functions of those bytes and the
    settings: together more than the rest of a single step. So the lean request path
    (:mod:`app.lean`) hands out the spec validated from the same bytes before, the very same
    object, and :func:`app.convert.build` finds by that object what it derived under the
    same settings (the request's own cost is still checked every time). Specs are frozen
    models; only fill-only ones are kept (the few bytes of a fill, edits or a name, never
    explicit values: their arrays are not shared between requests), and only up to
    ``max_key_bytes`` of JSON each, ``entries`` of them. Thread-safe.

    Examples
    --------
    >>> memo = SpecMemo(entries=2)
    >>> spec = LayerSpec.model_validate({"input": {"shape": [5, 5, 1]},
    ...                                  "filters": {"count": 1, "size": 3}})
    >>> memo.remember(b"raw", spec)
    >>> memo.spec(b"raw") is spec, memo.spec(b"other")
    (True, None)
    >>> settings = Settings()
    >>> memo.keep(spec, settings, "worked out")
    >>> memo.derived(spec, settings), memo.derived(spec, Settings())
    ('worked out', None)
    """

    def __init__(self, entries: int, max_key_bytes: int = 16 * 1024) -> None:
        self.entries = entries
        self.max_key_bytes = max_key_bytes
        # id(spec): the spec is held while its entry is, so ids stay unique
        self._by_spec: dict[int, _Read] = {}
        self._by_bytes = BoundedLRU[bytes, _Read](
            capacity=entries, on_drop=self._forget)
        self._lock = threading.Lock()

    def spec(self, raw: bytes) -> LayerSpec | None:
        """The spec validated from exactly these bytes before, if it is still kept."""
        found = self._by_bytes.get(raw)
        return None if found is None else found.spec

    def remember(self, raw: bytes, spec: LayerSpec) -> None:
        """Keep ``spec``, validated from ``raw``, if it is a fill-only spec of a few bytes."""
        if len(raw) > self.max_key_bytes or LayerCache.key(spec) is None:
            return
        with self._lock:  # every put is made here: nothing comes between the look and it
            if self._by_bytes.get(raw) is not None:
                return
            read = _Read(spec)
            self._by_spec[id(spec)] = read
            self._by_bytes.put(raw, read, 1)

    def _forget(self, read: _Read) -> None:
        """Drop the spec index of ``read``, an entry dropped for room (under the lock)."""
        if self._by_spec.get(id(read.spec)) is read:
            del self._by_spec[id(read.spec)]

    def derived(self, spec: LayerSpec, settings: Settings) -> Any:
        """What :meth:`keep` was given for this very spec object and settings, else None."""
        found = self._by_spec.get(id(spec))
        if found is None or found.spec is not spec or found.work is None:
            return None
        kept_settings, derived = found.work
        return derived if kept_settings is settings else None

    def clear(self) -> None:
        """Forget every spec (a test that counts what a request reads starts cold)."""
        with self._lock:
            self._by_bytes.clear()
            self._by_spec.clear()

    def keep(self, spec: LayerSpec, settings: Settings, derived: Any) -> None:
        """Remember ``derived``, worked out from ``spec`` under ``settings`` (a spec not kept
        by :meth:`remember` is not remembered: nothing would find it)."""
        with self._lock:
            found = self._by_spec.get(id(spec))
            if found is not None and found.spec is spec:
                found.work = (settings, derived)


# A page's layers, a class's worth: 256 specs of at most 16 KiB of JSON each.
SPECS = SpecMemo(entries=256)
