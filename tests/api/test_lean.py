"""The lean request path (app/lean.py) answers exactly what FastAPI's own handler answers:
the same status, headers and bytes for good requests and for every kind of refusal, and it
is the path a valid request takes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import fastapi.routing
import pytest
from api_helpers import ALEXNET, square
from fastapi.testclient import TestClient

from app import routing
from app.config import Settings, get_settings
from app.lean import LeanPlan
from app.main import create_app

JSON = {"content-type": "application/json"}
DEMO = square(5, 3, 2, 3, stride=2, padding=1)
MISFIT = square(10, 1, 1, 3, stride=2)  # (10 - 3)/2 + 1 = 4.5

# (method, path, body, headers): good requests of every route, then refusals of every kind.
CASES: list[tuple[str, str, Any, dict[str, str]]] = [
    ("GET", "/api/health", None, {}),
    ("GET", "/api/presets", None, {}),
    ("GET", "/api/presets/cs231n-demo", None, {}),
    ("GET", "/api/presets/nope", None, {}),
    ("POST", "/api/geometry", DEMO, JSON),
    ("POST", "/api/geometry", MISFIT, JSON),
    ("POST", "/api/forward", DEMO, JSON),
    ("POST", "/api/forward?encoding=compact", DEMO, JSON),
    ("POST", "/api/forward", {**DEMO, "activation": "relu"}, JSON),
    ("POST", "/api/steps", {"layer": ALEXNET, "position": [54, 54, 95]}, JSON),
    ("POST", "/api/steps", {"layer": DEMO, "start": 3, "count": 4, "every": 2,
                            "upstream": {}, "encoding": "compact"}, JSON),
    ("POST", "/api/inverse", {"layer": DEMO, "cell": [1, 0]}, JSON),
    ("POST", "/api/backward?encoding=compact", {"layer": DEMO}, JSON),
    # refusals: body, JSON, schema, query, handler, engine, budget
    ("POST", "/api/forward", b"", JSON),
    ("POST", "/api/forward", b"not json", JSON),
    ("POST", "/api/forward", b'{"input": {"shape": [NaN, 5, 3]}}', JSON),
    ("POST", "/api/forward", b"[" * 5000, JSON),
    ("POST", "/api/forward", DEMO, {}),
    ("POST", "/api/forward", DEMO, {"content-type": "text/plain"}),
    ("POST", "/api/forward?encoding=xml", DEMO, JSON),
    ("POST", "/api/forward", {**DEMO, "padding": [1, 2, 3]}, JSON),
    ("POST", "/api/forward", {**DEMO, "filters": {"count": 2, "size": -3}, "extra": 1}, JSON),
    ("POST", "/api/forward", MISFIT, JSON),
    ("POST", "/api/steps", {"layer": DEMO, "start": 1, "position": [0, 0, 0]}, JSON),
    ("POST", "/api/steps", {"layer": DEMO, "position": [9, 0, 0]}, JSON),
    ("POST", "/api/steps", {"start": 1}, JSON),
    ("POST", "/api/forward", square(4096, 4096, 4096, 3), JSON),
]


def _client(lean: bool, monkeypatch: pytest.MonkeyPatch, settings: Settings) -> TestClient:
    monkeypatch.setattr(routing, "LEAN", lean)
    return TestClient(create_app(settings))


@pytest.fixture
def pair(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, TestClient]]:
    """The app with lean routes and the same app with FastAPI's handlers only."""
    settings = Settings(max_body_bytes=4000)
    with _client(True, monkeypatch, settings) as lean, _client(
        False, monkeypatch, settings
    ) as full:
        yield lean, full


def _send(client: TestClient, method: str, path: str, body: Any,
          headers: dict[str, str]) -> Any:
    content = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    return client.request(method, path, content=content, headers=headers)


@pytest.mark.parametrize(("method", "path", "body", "headers"), CASES)
def test_the_lean_path_answers_the_same_bytes_as_fastapi(
    pair: tuple[TestClient, TestClient], method: str, path: str, body: Any,
    headers: dict[str, str],
) -> None:
    lean, full = pair
    mine, theirs = (_send(c, method, path, body, headers) for c in (lean, full))
    assert mine.status_code == theirs.status_code
    assert mine.content == theirs.content
    assert mine.headers.multi_items() == theirs.headers.multi_items()


def test_a_body_over_the_limit_is_the_same_413(pair: tuple[TestClient, TestClient]) -> None:
    body = {"layer": DEMO, "start": 0, "pad": "x" * 5000}
    answers = [_send(c, "POST", "/api/steps", body, JSON) for c in pair]
    assert [a.status_code for a in answers] == [413, 413]
    assert answers[0].content == answers[1].content


def test_a_settings_override_reaches_the_lean_path(
    pair: tuple[TestClient, TestClient],
) -> None:
    lean, full = pair
    for client in pair:
        client.app.dependency_overrides[get_settings] = lambda: Settings(max_side=4)  # type: ignore[attr-defined]
    mine, theirs = (_send(c, "POST", "/api/forward", DEMO, JSON) for c in (lean, full))
    assert mine.status_code == 422
    assert "CONVSCOPE_MAX_SIDE" in mine.json()["detail"][0]["msg"]  # 5 > 4
    assert mine.content == theirs.content


def test_a_valid_request_skips_fastapis_dependency_solving(
    pair: tuple[TestClient, TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    lean, _ = pair
    calls: list[str] = []
    real = fastapi.routing.solve_dependencies

    async def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs["request"].url.path)
        return await real(*args, **kwargs)

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", counting)
    good = _send(lean, "POST", "/api/steps", {"layer": DEMO, "start": 2}, JSON)
    assert good.json()["steps"][0]["t"] == 2
    assert calls == []
    bad = _send(lean, "POST", "/api/steps", {"layer": DEMO, "start": -2}, JSON)
    assert bad.status_code == 422
    assert calls == ["/api/steps"]  # a refusal is FastAPI's own


def test_routes_with_path_parameters_keep_fastapis_handler() -> None:
    app = create_app(Settings())
    plans = {route.path: LeanPlan.of(route) for route in app.routes
             if isinstance(route, routing.OrjsonRoute)}
    assert plans["/api/presets/{name}"] is None
    steps = plans["/api/steps"]
    assert steps is not None
    assert (steps.body_name, steps.request_name) == ("body", None)
    assert [name for name, _ in steps.dependencies] == ["settings"]
    forward = plans["/api/forward"]
    assert forward is not None
    assert forward.query_defaults == {"encoding": "json"}
