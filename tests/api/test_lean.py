"""The lean request path (app/lean.py) answers exactly what FastAPI's own handler answers:
the same status, headers and bytes for good requests and for every kind of refusal, and it
is the path a valid request takes; a spec it has read before (app.layer_cache.SPECS) answers
the same bytes again, under the same checks."""

from __future__ import annotations

import asyncio
import base64
import gc
import json
import weakref
from collections.abc import Iterator
from typing import Any

import fastapi.routing
import numpy as np
import orjson
import pytest
from api_helpers import ALEXNET, compact, square
from fastapi.testclient import TestClient
from starlette.requests import ClientDisconnect, Request

from app import answers as answers_module
from app import routing
from app.answers import FilterAnswers
from app.config import Settings, get_settings
from app.convert import build
from app.encoding import CompactText, dumps, encode
from app.layer_cache import SPECS, LayerCache, SpecMemo, resolved
from app.lean import LeanPlan, OrjsonRequest
from app.main import create_app
from app.schemas import ForwardResult, LayerSpec, StepResult, StepsResult
from engine.geometry import LayerShape
from engine.layer import build_layer
from engine.tensors import Fill

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


# ----------------------------------------------------------------------------- the spec memo


@pytest.mark.parametrize(("method", "path", "body", "headers"),
                         [case for case in CASES if case[0] == "POST"])
def test_a_spec_read_before_answers_the_same_bytes_again(
    pair: tuple[TestClient, TestClient], method: str, path: str, body: Any,
    headers: dict[str, str],
) -> None:
    """The second and third sending of a body (whose spec SPECS then holds: the next test
    checks that) answer what FastAPI's handler answers, byte for byte."""
    lean, full = pair
    theirs = _send(full, method, path, body, headers)
    for _ in range(3):
        mine = _send(lean, method, path, body, headers)
        assert (mine.status_code, mine.content) == (theirs.status_code, theirs.content)


@pytest.mark.usefixtures("cold_caches")
def test_a_valid_spec_is_read_once_and_then_found_by_its_bytes(
    pair: tuple[TestClient, TestClient],
) -> None:
    lean, _ = pair
    spec = square(7, 2, 3, 3, stride=2, input={"shape": [7, 7, 2], "fill": {"seed": 9017}})
    raw = json.dumps(spec).encode()
    assert SPECS.spec(raw) is None
    assert _send(lean, "POST", "/api/forward", raw, JSON).status_code == 200
    known = SPECS.spec(raw)
    assert known is not None and known.input.fill is not None and known.input.fill.seed == 9017
    # In a steps body it is keyed by the layer's JSON as orjson writes it back.
    body = {"layer": {**spec, "stride": 1}, "position": [4, 4, 2]}
    assert _send(lean, "POST", "/api/steps", body, JSON).json()["start"] == 2 * 25 + 4 * 5 + 4
    assert SPECS.spec(orjson.dumps(body["layer"])) is not None


def test_a_known_spec_is_checked_again_under_other_settings(
    pair: tuple[TestClient, TestClient],
) -> None:
    lean, full = pair
    assert _send(lean, "POST", "/api/forward", DEMO, JSON).status_code == 200  # now known
    for client in pair:
        client.app.dependency_overrides[get_settings] = lambda: Settings(max_side=4)  # type: ignore[attr-defined]
    mine, theirs = (_send(c, "POST", "/api/forward", DEMO, JSON) for c in (lean, full))
    assert mine.status_code == 422 and mine.content == theirs.content


def test_a_known_spec_still_prices_each_request(pair: tuple[TestClient, TestClient]) -> None:
    """The memo skips reading the spec again, never the request's own cost."""
    lean, full = pair
    settings = Settings(max_work=1_000_000_000)  # one object: the memo's key
    for client in pair:
        client.app.dependency_overrides[get_settings] = lambda: settings  # type: ignore[attr-defined]
    cheap = {"layer": ALEXNET, "start": 5}
    dear = {"layer": ALEXNET, "start": 5, "count": 1000, "upstream": {}}
    assert _send(lean, "POST", "/api/steps", cheap, JSON).status_code == 200
    known = SPECS.spec(orjson.dumps(ALEXNET))
    assert known is not None and SPECS.derived(known, settings) is not None
    mine, theirs = (_send(c, "POST", "/api/steps", dear, JSON) for c in (lean, full))
    assert mine.status_code == 422 and "CONVSCOPE_MAX_WORK" in mine.json()["detail"][0]["msg"]
    assert mine.content == theirs.content


def _spec(seed: int, **rest: Any) -> LayerSpec:
    return LayerSpec.model_validate(square(5, 1, 1, 3, input={"shape": [5, 5, 1],
                                                              "fill": {"seed": seed}}, **rest))


def test_the_spec_memo_is_bounded_and_forgets_the_oldest() -> None:
    memo = SpecMemo(entries=2)
    specs = [_spec(seed) for seed in range(3)]
    settings = Settings()
    for n, spec in enumerate(specs):
        memo.remember(b"%d" % n, spec)
        memo.keep(spec, settings, n)
    assert [memo.spec(b"%d" % n) for n in range(3)] == [None, specs[1], specs[2]]
    assert [memo.derived(spec, settings) for spec in specs] == [None, 1, 2]
    assert memo.derived(_spec(1), settings) is None  # an equal spec, but another object


def test_the_spec_memo_keeps_no_explicit_values_and_no_long_bodies() -> None:
    memo = SpecMemo(entries=4, max_key_bytes=100)
    with_values = LayerSpec.model_validate({"input": {"values": [[[1.0]]]},
                                            "filters": {"count": 1, "size": 1}})
    memo.remember(b"values", with_values)
    memo.remember(b"x" * 101, _spec(0))
    assert memo.spec(b"values") is None and memo.spec(b"x" * 101) is None


# ----------------------------------------------------------------------------- plain answers


def test_answers_written_as_plain_data_keep_their_schemas_fields_in_order(
    pair: tuple[TestClient, TestClient],
) -> None:
    lean, _ = pair
    steps = _send(lean, "POST", "/api/steps", {"layer": DEMO, "start": 1, "upstream": {}},
                  JSON).json()
    assert list(steps) == list(StepsResult.model_fields)
    assert list(steps["steps"][0]) == list(StepResult.model_fields)
    forward = _send(lean, "POST", "/api/forward", DEMO, JSON).json()
    assert list(forward) == list(ForwardResult.model_fields)


@pytest.mark.parametrize("encoding", ["json", "compact"])
def test_a_cached_layers_filter_is_written_once_and_the_same_every_time(
    encoding: str,
) -> None:
    spec = LayerSpec.model_validate(square(9, 2, 3, 3, input={"shape": [9, 9, 2],
                                                              "fill": {"seed": 4242}}))
    layer = build(spec, Settings())  # from fills: cached, read-only
    answers = FilterAnswers(max_bytes=10_000)
    first = answers.weights(layer, 2, layer.weights[2], encoding)  # type: ignore[arg-type]
    again = answers.weights(layer, 2, layer.weights[2], encoding)  # type: ignore[arg-type]
    assert again is first
    assert dumps({"w": first}) == dumps({"w": encode(layer.weights[2], encoding)})  # type: ignore[arg-type]


def test_filter_answers_are_bounded_and_skip_layers_that_can_change() -> None:
    spec = LayerSpec.model_validate(square(9, 2, 8, 3, input={"shape": [9, 9, 2],
                                                              "fill": {"seed": 4243}}))
    layer = build(spec, Settings())
    answers = FilterAnswers(max_bytes=600)  # one filter's 18 weights as JSON is ~100 bytes
    for d in range(8):
        answers.weights(layer, d, layer.weights[d], "json")
    assert 0 < answers._answers.held <= 600 and len(answers._answers) < 8
    loose = build_layer(layer.geometry)  # not from the cache: its arrays are writable
    made = answers.weights(loose, 0, loose.weights[0], "json")
    assert isinstance(made, np.ndarray)  # written as it comes, nothing kept


def test_a_filter_answer_lets_its_layer_go_and_is_not_taken_for_another_layers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cache = LayerCache(max_elements=400)  # room for one of these layers (381 elements)
    monkeypatch.setattr(answers_module, "LAYERS", cache)
    layer, other = (build_layer(resolved(LayerShape.square(9, 2, 3, 3)), input_fill=Fill(
        "uniform", seed=seed)) for seed in (4244, 4245))
    cache.put("layer", layer)
    answers = FilterAnswers(max_bytes=100_000)
    # an answer of another layer under this layer's key: what a reused id would leave
    answers._answers.put((id(layer), 0, "json"),
                         (weakref.ref(other), orjson.Fragment(b"[0]")), 3)
    written = answers.weights(layer, 0, layer.weights[0], "json")
    assert orjson.dumps(written) == dumps(layer.weights[0])
    assert answers.weights(layer, 0, layer.weights[0], "json") is written  # now kept
    gone = weakref.ref(layer)
    del layer, written
    cache.put("another", other)  # the layer cache lets the layer go for room
    gc.collect()
    assert gone() is None  # its filter answer did not keep it alive


def test_an_orjson_request_reads_its_body_as_starlette_does() -> None:
    def messages(*sent: dict[str, Any]) -> Any:
        queue = list(sent)

        async def receive() -> dict[str, Any]:
            return queue.pop(0)

        return receive

    scope = {"type": "http", "method": "POST", "path": "/", "headers": []}
    chunked = ({"type": "http.request", "body": b'{"a": ', "more_body": True},
               {"type": "http.request", "body": b"", "more_body": True},
               {"type": "http.request", "body": b"[1]}"})

    async def read(kind: type[Request]) -> tuple[bytes, bytes, bool]:
        request = kind(scope, messages(*chunked))
        return await request.body(), await request.body(), request._stream_consumed

    assert asyncio.run(read(OrjsonRequest)) == asyncio.run(read(Request)) == (
        b'{"a": [1]}', b'{"a": [1]}', True)

    async def cut(kind: type[Request]) -> bool:
        request = kind(scope, messages(chunked[0], {"type": "http.disconnect"}))
        with pytest.raises(ClientDisconnect):
            await request.body()
        return request._is_disconnected

    assert asyncio.run(cut(OrjsonRequest)) and asyncio.run(cut(Request))


def test_a_refused_body_is_parsed_once_with_the_collector_paused_when_large(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An 8 MB body of empty lists was parsed twice (the lean path, then FastAPI's handler to
    # say why it is refused), each time with the cyclic collector running over millions of
    # new lists: 4 s of the event loop, where one paused parse takes a tenth of that.
    import app.lean as lean

    parses: list[bool] = []
    loads = orjson.loads

    def counted(raw: bytes) -> Any:
        parses.append(gc.isenabled())
        return loads(raw)

    monkeypatch.setattr(lean.orjson, "loads", counted)
    big = {**DEMO, "zz": [[] for _ in range(lean.LARGE_BODY_BYTES)]}  # 3 bytes each: over it
    small = {**DEMO, "zz": 1}
    with TestClient(create_app()) as client:
        for body, paused in ((big, True), (small, False)):
            parses.clear()
            answer = client.post("/api/geometry", content=orjson.dumps(body), headers=JSON)
            assert answer.status_code == 422
            assert answer.json()["detail"][0]["loc"] == ["body", "zz"]
            assert parses == [not paused], parses
    assert gc.isenabled()


def test_a_body_of_many_listed_numbers_is_decoded_once_in_the_thread_pool(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # its handler started on the event loop, decoded the values, was priced over the loop's
    # share and started again in the thread pool, decoding them a second time; the same
    # numbers sent compact (base64, decoded at C speed) stay on the loop
    import threading

    import app.convert as convert_module

    decoded: list[str] = []  # the thread of each decoding of given values
    array_in = convert_module.array_in

    def counted(values: Any, field: str) -> Any:
        if values is not None:
            decoded.append(threading.current_thread().name)
        return array_in(values, field)

    monkeypatch.setattr(convert_module, "array_in", counted)
    x = np.random.default_rng(0).normal(size=(120, 120, 3)).round(3)
    listed = {"input": {"values": x.tolist()}, "filters": {"count": 4, "size": 3}}
    assert orjson.dumps(listed).count(b",") > routing.INLINE_LISTED_NUMBERS
    small = {"input": {"values": x[:8, :8].tolist()}, "filters": {"count": 4, "size": 3}}
    packed = {"input": {"values": compact(x)}, "filters": {"count": 4, "size": 3}}
    assert len(orjson.dumps(packed)) > 2**17
    with TestClient(create_app()) as client:
        loop_thread = client.portal.call(lambda: threading.current_thread().name)  # type: ignore[union-attr]
        for spec, values, where in ((listed, x, "pool"), (small, x[:8, :8], "loop"),
                                    (packed, x, "loop")):
            decoded.clear()
            answer = client.post("/api/forward", json=spec)
            assert answer.status_code == 200
            assert np.allclose(answer.json()["padded_input"], values)
            assert len(decoded) == 1, decoded
            assert (decoded[0] == loop_thread) == (where == "loop"), (decoded, loop_thread)


def test_a_body_listing_more_numbers_than_reading_is_worth_is_refused_before_parsing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 2 million nested numbers (8 MB) took a second of CPU, half of it parsing on the event
    # loop, before /api/geometry, which prices no values, answered 200
    import app.lean as lean
    from app.costs import PARSED_NUMBER

    parses: list[int] = []
    loads = orjson.loads
    monkeypatch.setattr(lean.orjson, "loads", lambda raw: parses.append(1) or loads(raw))
    settings = Settings(max_work=200_000 * PARSED_NUMBER)  # 200,000 numbers' reading
    with TestClient(create_app(settings)) as client:
        client.app.dependency_overrides[get_settings] = lambda: settings  # type: ignore[attr-defined]
        for (h, w), status in (((400, 475), 200), ((420, 500), 422)):
            parses.clear()
            spec = {"input": {"values": [[[0.0]] * w] * h}, "filters": {"count": 1, "size": 1}}
            answer = client.post("/api/geometry", content=orjson.dumps(spec), headers=JSON)
            assert answer.status_code == status, answer.text
            if status == 422:
                (entry,) = answer.json()["detail"]
                # over the work budget: the type every other such refusal has
                assert entry["loc"] == ["body"] and entry["type"] == "over_limit"
                # one comma a number, one fewer in the values, two in the rest of the spec
                assert f"lists about {h * w + 1:,} numbers" in entry["msg"]
                assert "CONVSCOPE_MAX_WORK" in entry["msg"] and "compact" in entry["msg"]
                assert parses == []  # refused from its bytes
            else:
                assert answer.json()["output_shape"] == [h, w, 1]


def test_a_body_is_refused_for_its_listed_numbers_only_past_the_budget() -> None:
    from app.costs import PARSED_NUMBER, check_listed
    from engine.errors import LayerError

    settings = Settings(max_work=1000 * PARSED_NUMBER)
    check_listed(1000, settings)  # what the budget reads, exactly
    with pytest.raises(LayerError, match="lists about 1,001 numbers"):
        check_listed(1001, settings)


def test_a_large_filters_compact_answer_is_its_own_and_outlives_its_layer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A filter over a piece of text is written when the answer is: the kept answer must hold
    # its own values, not a view of the layer's weights (which would keep them all alive).
    cache = LayerCache(max_elements=1_200_000)  # room for one of these layers
    monkeypatch.setattr(answers_module, "LAYERS", cache)
    layer = build_layer(resolved(LayerShape.square(520, 1, 2, 520)),
                        input_fill=Fill("uniform", seed=4246))
    cache.put("layer", layer)
    answers = FilterAnswers(max_bytes=10**7)
    written = answers.weights(layer, 1, layer.weights[1], "compact")
    assert isinstance(written["data"], CompactText)
    assert answers.weights(layer, 1, layer.weights[1], "compact") is written
    expected = base64.b64encode(layer.weights[1].astype(np.float32).tobytes()).decode()
    root = layer.weights
    while isinstance(root.base, np.ndarray):
        root = root.base
    weights, gone = weakref.ref(root), weakref.ref(layer)
    del layer, root
    cache.put("another", build_layer(resolved(LayerShape.square(700, 1, 1, 3))))
    gc.collect()
    assert gone() is None  # the layer cache let the layer go for room
    assert weights() is None  # and its weights with it
    assert orjson.loads(dumps({"w": written}))["w"]["data"] == expected
