"""Shared fixtures for the REST API tests: a TestClient and small spec builders."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

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
