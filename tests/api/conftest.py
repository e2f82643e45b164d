"""Shared fixtures for the REST API tests: a TestClient and small spec builders."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app import answers, layer_cache
from app.config import Settings, get_settings
from app.main import app


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client
    app.dependency_overrides.clear()


@pytest.fixture
def override_settings() -> Iterator[Any]:
    """Call with Settings fields to run the app under those limits for one test."""

    def apply(**fields: Any) -> Settings:
        settings = Settings(**fields)
        app.dependency_overrides[get_settings] = lambda: settings
        return settings

    yield apply
    app.dependency_overrides.clear()


@pytest.fixture
def cold_caches() -> Iterator[None]:
    """The process's remembered specs, layers, geometries and geometry answers forgotten
    before and after the test: one that counts what a request reads, resolves or builds
    must not find them done by an earlier test (or by itself, run again)."""

    def forget() -> None:
        layer_cache.SPECS.clear()
        layer_cache.LAYERS.clear()
        layer_cache.resolved.cache_clear()  # type: ignore[attr-defined]
        answers.geometry_answer.cache_clear()  # type: ignore[attr-defined]

    forget()
    yield
    forget()
