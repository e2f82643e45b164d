"""The engine's one exception family: every refusal names the spec field and the reason."""

from __future__ import annotations


class LayerError(ValueError):
    """A layer the engine will not compute. ``field`` is a spec path, ``reason`` a sentence."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
