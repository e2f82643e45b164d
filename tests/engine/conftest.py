"""Shared fixtures of the engine tests."""

from __future__ import annotations

import pytest

import engine.layer


@pytest.fixture
def filled(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, ...]]:
    """The shapes engine.layer's fills make, in order, while the test runs (a test that a
    refusal comes before any fill asserts this stays empty)."""
    shapes: list[tuple[int, ...]] = []
    real_fill = engine.layer.fill

    def counted(shape: tuple[int, ...], *rest: object) -> object:
        shapes.append(shape)
        return real_fill(shape, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(engine.layer, "fill", counted)
    return shapes
