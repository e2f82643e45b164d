"""A least-recently-used map bounded by the total size of what it holds, thread-safe.

The server keeps built layers (:data:`app.layer_cache.LAYERS`), the written filters of step
answers (:data:`app.answers.FILTERS`) and recently read specs (:data:`app.layer_cache.SPECS`)
this way: each entry has its own size (elements, bytes, or 1), the total stays under a budget,
and handlers in the thread pool read and add at once.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedLRU(Generic[K, V]):
    """Values by key, the least recently used dropped first while their sizes sum over
    ``capacity``.

    Examples
    --------
    >>> held = BoundedLRU[str, str](capacity=3)
    >>> held.put("a", "A", 2), held.put("b", "B", 1), held.get("a")
    (True, True, 'A')
    >>> held.put("c", "C", 1)  # over 3: "b", used least recently, goes
    True
    >>> held.get("b"), held.get("a"), held.get("c")
    (None, 'A', 'C')
    >>> held.put("huge", "H", 4), held.get("huge")  # larger than the whole budget: not kept
    (False, None)
    >>> held.put("a", "A2", 2), held.put("a", "A2", 2, replace=True), held.get("a"), held.held
    (False, True, 'A2', 3)
    """

    def __init__(self, capacity: int, on_drop: Callable[[V], object] | None = None) -> None:
        self.capacity = capacity
        self.on_drop = on_drop  # told of each value dropped for room, under the lock
        self._entries: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._held = 0
        self._lock = threading.Lock()

    @property
    def held(self) -> int:
        """The sizes of the values kept, summed (never over ``capacity``)."""
        return self._held

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[K]:
        """The keys, least recently used first (a copy: others may add meanwhile)."""
        with self._lock:
            return iter(list(self._entries))

    def clear(self) -> None:
        """Drop every value (``on_drop`` is not told: none was dropped for room)."""
        with self._lock:
            self._entries.clear()
            self._held = 0

    def get(self, key: K) -> V | None:
        """The value kept under ``key`` (now the most recently used), else None."""
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            self._entries.move_to_end(key)
            return found[0]

    def put(self, key: K, value: V, size: int, replace: bool = False) -> bool:
        """Keep ``value`` under ``key`` unless the key is kept already (and not to be
        replaced) or ``size`` alone is over the budget; then drop the least recently used
        until the total fits. Whether ``value`` was kept."""
        if size > self.capacity:
            return False
        with self._lock:
            if key in self._entries:
                if not replace:
                    return False
                self._held -= self._entries.pop(key)[1]
            self._entries[key] = (value, size)
            self._held += size
            while self._held > self.capacity:
                _, (old, dropped) = self._entries.popitem(last=False)
                self._held -= dropped
                if self.on_drop is not None:
                    self.on_drop(old)
            return True


def weighed_memo(
    capacity: int,
    weight: Callable[[V], int],
    key: Callable[..., Hashable] = lambda *args: args,
) -> Callable[[Callable[..., V]], Callable[..., V]]:
    """``functools.lru_cache`` for a pure function of hashable arguments, bounded by the
    summed ``weight`` of the results it keeps rather than by their count: a geometry of a
    4096-wide layer with a huge stride lists thousands of unseen cells, and 1,024 of them held
    390 MB. Exceptions are not remembered; ``cache_clear`` empties it, as lru_cache's does.

    ``key`` picks what the result depends on from the arguments (all of them by default):
    a price worked out from a :class:`~engine.geometry.Geometry` is keyed by its shape, which
    hashes in a few integers where the geometry would hash its every unseen cell.

    Examples
    --------
    >>> @weighed_memo(capacity=5, weight=len)
    ... def letters(n):
    ...     return "x" * n
    >>> letters(3) is letters(3), len(letters.cache)
    (True, 1)
    >>> letters(4); list(letters.cache)  # 3 + 4 > 5: the older goes
    'xxxx'
    [(4,)]
    >>> letters(9); list(letters.cache)  # heavier than the whole budget: made, not kept
    'xxxxxxxxx'
    [(4,)]
    >>> @weighed_memo(capacity=5, weight=len, key=lambda text, times: (len(text), times))
    ... def repeated(text, times):
    ...     return text * times
    >>> repeated("ab", 2), repeated("cd", 2), list(repeated.cache)  # keyed by length alone
    ('abab', 'abab', [(2, 2)])
    """

    def wrap(function: Callable[..., V]) -> Callable[..., V]:
        held = BoundedLRU[Hashable, V](capacity)

        @functools.wraps(function)
        def remembered(*args: object) -> V:
            at = key(*args)
            found = held.get(at)
            if found is None:
                found = function(*args)
                held.put(at, found, weight(found))
            return found

        remembered.cache = held  # type: ignore[attr-defined]
        remembered.cache_clear = held.clear  # type: ignore[attr-defined]
        return remembered

    return wrap
