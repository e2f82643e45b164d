"""Recently built layers, reused across requests for the same fill-only spec, and recently
resolved geometries."""

from __future__ import annotations

import threading
from collections import OrderedDict
from functools import lru_cache

from app.schemas import LayerSpec
from engine.geometry import Geometry, LayerShape, resolve
from engine.layer import Layer


@lru_cache(maxsize=1024)
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

    The page asks for one step at a time of the same layer: rebuilding AlexNet conv1 (three
    seeded fills, 190,000 numbers) was most of a single-step request, so a server that
    rebuilt it answered steps at a fraction of health's rate. A fill is a pure function
    of the spec, so the layer can be reused; its arrays are made read-only first, so no
    request can change what another sees. Hand edits, a sample image's name and a filter
    bank's name are part of the spec (a few bytes each), so such a layer has its own key and
    is cached like any other; specs with explicit values are not cached (their key would be
    the values themselves). Bounded by elements held, not by entries, and thread-safe
    (handlers run in a thread pool).
    """

    def __init__(self, max_elements: int) -> None:
        self.max_elements = max_elements
        self._layers: OrderedDict[str, tuple[Layer, int]] = OrderedDict()
        self._held = 0
        self._lock = threading.Lock()

    @staticmethod
    def key(spec: LayerSpec) -> str | None:
        explicit = (spec.input.values, spec.filters.values, spec.filters.bias)
        return None if any(v is not None for v in explicit) else spec.model_dump_json()

    def get(self, key: str) -> Layer | None:
        with self._lock:
            found = self._layers.get(key)
            if found is None:
                return None
            self._layers.move_to_end(key)
            return found[0]

    def put(self, key: str, layer: Layer) -> None:
        size = layer.x.size * 2 + layer.weights.size + layer.bias.size  # x, x_padded, W, b
        if size > self.max_elements:
            return
        for array in (layer.x, layer.x_padded, layer.weights, layer.bias):
            array.flags.writeable = False
        with self._lock:
            if key in self._layers:
                return
            self._layers[key] = (layer, size)
            self._held += size
            while self._held > self.max_elements:
                _, (_, dropped) = self._layers.popitem(last=False)
                self._held -= dropped


# 4M elements (32 MB of float64): AlexNet conv1 holds ~0.38M, so a class's worth of layers.
LAYERS = LayerCache(max_elements=4_000_000)
