"""Where the API's handlers run (app/routing.py): cheap work on the event loop, work priced
over INLINE_WORK in the thread pool, and the same answer either way."""

from __future__ import annotations

import asyncio
import functools
import io
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio
import numpy as np
import orjson
import pytest
from api_helpers import ALEXNET, square
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from PIL import Image
from starlette.responses import Response

from app import answers, encoding, main, routing
from app.config import Settings
from app.main import create_app
from engine import conv, trace


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _places(monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> list[bool]:
    """Whether each call of ``owner.name`` from now on runs on the event loop."""
    places: list[bool] = []
    real = getattr(owner, name)

    def recording(*args: Any, **kwargs: Any) -> Any:
        places.append(_on_event_loop())
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, recording)
    return places


@pytest.fixture
def forward_places(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each conv.forward call of a request ran on the event loop."""
    return _places(monkeypatch, conv, "forward")


def test_a_cheap_forward_runs_on_the_event_loop(
    client: TestClient, forward_places: list[bool]
) -> None:
    response = client.post("/api/forward", json=square(5, 3, 2, 3, stride=2, padding=1))
    assert response.status_code == 200
    assert forward_places == [True]


def test_a_forward_priced_over_the_inline_limit_runs_in_the_thread_pool(
    client: TestClient, forward_places: list[bool]
) -> None:
    response = client.post("/api/forward?encoding=compact", json=ALEXNET)
    assert response.status_code == 200
    assert response.json()["output"]["shape"] == [55, 55, 96]
    assert forward_places == [False]  # stopped before the engine ran, then run once, off-loop


def test_an_alexnet_single_step_runs_on_the_event_loop(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The page's most frequent request: a round trip through the thread pool would cost more
    # than the step itself.
    places = _places(monkeypatch, trace, "steps")
    response = client.post("/api/steps", json={"layer": ALEXNET, "position": [54, 54, 95]})
    assert response.status_code == 200, response.text
    assert response.json()["steps"][0]["t"] == 55 * 55 * 96 - 1  # the last neuron
    assert places == [True]


@pytest.mark.parametrize("input_shape", [None, [600, 600, 3]], ids=["alexnet", "misfit"])
def test_a_geometry_answer_runs_where_its_own_price_says_not_where_the_forward_would(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, input_shape: list[int] | None
) -> None:
    # The page asks for the geometry at every change of the layer. AlexNet's forward (and a
    # 600x600 misfit's input, which the page draws) is priced over INLINE_WORK, and the answer
    # says whether this server would compute it (over_limit): that price moved the cheap
    # geometry answer to the thread pool, after it had run once on the event loop.
    places = _places(monkeypatch, answers, "check_unmade")
    spec = ALEXNET if input_shape is None else {**ALEXNET, "input": {"shape": input_shape}}
    answer = client.post("/api/geometry", json=spec).json()
    assert (answer["valid"], answer["over_limit"]) == (input_shape is None, None)
    assert places == [True]
    # its own price still decides: over the limit, the whole answer runs in the thread pool
    places.clear()
    monkeypatch.setattr(routing, "INLINE_WORK", 0)
    assert client.post("/api/geometry", json=spec).json() == answer
    assert places == [False]


@pytest.mark.usefixtures("cold_caches")
def test_a_cached_layers_steps_run_on_the_event_loop_though_building_it_would_not(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Filling this layer's 802,816 inputs is priced over INLINE_WORK, a range of its steps
    # far under it. Every request is priced with the build (it is refused or not whatever the
    # cache holds), and that price sent each of them to the thread pool, the layer's cached.
    places = _places(monkeypatch, trace, "steps")
    layer = {"input": {"shape": [224, 224, 16]}, "filters": {"count": 16, "size": 3},
             "padding": 1}
    found = [client.post("/api/steps", json={"layer": layer, "start": start, "count": 32,
                                             "encoding": "compact"}).json()
             for start in (1000, 1000, 5000)]
    assert places == [False, True, True]  # built off the loop, then taken from the cache
    assert found[1] == found[0] and found[2]["start"] == 5000
    # the work still to do decides: with no room on the loop, the cached layer's leave it too
    monkeypatch.setattr(routing, "INLINE_WORK", 0)
    client.post("/api/steps", json={"layer": layer, "start": 0})
    assert places[-1] is False


def test_the_inline_limit_decides_and_the_answer_is_the_same(
    client: TestClient, forward_places: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = square(7, 2, 3, 3, padding=1)
    inline = client.post("/api/forward", json=spec).json()
    monkeypatch.setattr(routing, "INLINE_WORK", 0)  # everything is too much for the loop now
    offloaded = client.post("/api/forward", json=spec).json()
    assert forward_places == [True, False]
    assert offloaded == inline


@pytest.mark.parametrize(("method", "path"), [
    ("POST", "/api/steps"), ("POST", "/api/steps/"), ("POST", "/api/stepsx"),
    ("GET", "/api/steps"), ("GET", "/api/health/"), ("HEAD", "/api/health"),
    ("GET", "/api/presets/cs231n-demo"), ("GET", "/api/images"), ("POST", "/api/images"),
    ("DELETE", "/api/images"), ("GET", "/static/nothing.js"), ("GET", "/api"), ("GET", "/"),
    ("GET", "/openapi.json"),
])
def test_the_path_table_and_early_rejections_route_as_fastapi_does(method: str, path: str
                                                                   ) -> None:
    # The app finds parameter-free paths in a table and its own routes skip the regex for
    # paths that do not begin with theirs; the same app with neither, every route asked in
    # turn by FastAPI's router, must answer every path the same way.
    body = {"layer": square(5, 3, 2, 3, stride=2, padding=1)}
    answers = []
    for lean in (True, False):
        app = create_app(Settings())
        assert isinstance(app.router.middleware_stack, routing.PathTable)
        if not lean:
            app.router.middleware_stack = app.router.app
        for route in app.router.routes:
            if isinstance(route, routing.OrjsonRoute):
                assert route.direct
                route.direct = lean
        with TestClient(app, follow_redirects=False) as client:
            answer = client.request(method, path, json=body if method == "POST" else None)
        answers.append((answer.status_code, answer.content, answer.headers.multi_items()))
    assert answers[0] == answers[1]
    assert answers[0][0] in (200, 307, 404, 405, 415)


@pytest.mark.parametrize(("method", "path"), [("POST", "/api/steps"), ("HEAD", "/api/health")])
def test_a_route_the_table_finds_sees_the_scope_the_scan_gives_it(method: str, path: str
                                                                 ) -> None:
    # The table calls the route's app without matching its path again: the scope the route
    # then reads (its endpoint, itself, the path parameters, the router) must be the scan's.
    seen = []
    for table in (True, False):
        app = create_app(Settings())
        if not table:
            app.router.middleware_stack = app.router.app
        route = next(r for r in app.router.routes
                     if isinstance(r, APIRoute) and r.path == path and method in r.methods)
        inner = route.app

        async def spy(scope: Any, receive: Any, send: Any, inner: Any = inner) -> None:
            seen.append({key: scope[key] for key in ("endpoint", "route", "path_params",
                                                     "router")})
            await inner(scope, receive, send)

        route.app = spy
        with TestClient(app) as client:
            body = {"layer": {"preset": "cs231n-demo"}} if method == "POST" else None
            assert client.request(method, path, json=body).status_code == 200
        seen[-1]["app"] = app
    table, scan = seen
    assert table["route"] is not scan["route"]  # two apps: compared by what they are
    for found in (table, scan):
        assert found["route"].path == path and method in found["route"].methods
        assert found["endpoint"] is found["route"].endpoint
        assert found["router"] is found["app"].router
        assert found["path_params"] == {}


def test_the_path_table_leaves_out_routes_another_would_take_first() -> None:
    async def endpoint() -> None:  # never called: the table is only looked at
        return None

    wide = APIRoute("/api/{anything}", endpoint, methods=["GET"])
    post = APIRoute("/api/steps", endpoint, methods=["POST"])
    get = APIRoute("/api/steps", endpoint, methods=["GET"])
    # /api/{anything} in front takes GET /api/steps: only the POST route is looked up
    assert routing.exact_paths([wide, post, get]) == {"/api/steps": (post,)}
    assert routing.exact_paths([get, wide, post]) == {"/api/steps": (get, post)}


def test_fastapis_own_telemetry_is_off_unless_the_settings_ask() -> None:
    assert main.telemetry(False) == {
        "telemetry": {"tracing": False, "metrics": False, "logs": False}}
    assert main.telemetry(True) == {}
    assert create_app(Settings())._telemetry["tracing"] is False  # type: ignore[attr-defined]
    assert create_app(Settings(telemetry=True))._telemetry["tracing"] is True  # type: ignore[attr-defined]


def _layers(app: Any) -> list[str]:
    names, layer = [], app.build_middleware_stack()
    while layer is not app.router:
        names.append(type(layer).__name__)
        layer = layer.app
    return names


def test_the_middleware_stack_keeps_only_layers_with_work_to_do() -> None:
    # FastAPI's own body limit (ConvScope has one per path) and its exception telemetry
    # (while its OpenTelemetry is off) would pass every request straight through.
    assert _layers(create_app(Settings())) == [
        "ServerErrorMiddleware", "SecurityHeaders", "BodyLimit", "ExceptionMiddleware",
        "AsyncExitStackMiddleware"]
    assert "ExceptionTelemetryMiddleware" in _layers(create_app(Settings(telemetry=True)))


# ----------------------------------------------------------------------------- heavy requests


def test_heavy_work_runs_at_most_its_turns_at_once_and_refuses_past_its_queue() -> None:
    gate = routing.HeavyWork(at_once=1, waiting=1)
    release = threading.Event()
    running: list[int] = []
    most = 0

    def work(n: int) -> int:
        nonlocal most
        running.append(n)
        most = max(most, len(running))
        release.wait(5)
        running.remove(n)
        return n

    async def main() -> tuple[list[int], routing.Refusal]:
        results: list[int] = []
        async with anyio.create_task_group() as group:
            async def one(n: int) -> None:
                results.append(await gate.run(functools.partial(work, n)))
            group.start_soon(one, 1)
            group.start_soon(one, 2)  # waits for the first's turn
            await anyio.sleep(0.2)
            with pytest.raises(routing.Refusal) as refused:  # the queue is full
                await gate.run(functools.partial(work, 3))
            release.set()
        return results, refused.value

    results, refusal = anyio.run(main)
    assert sorted(results) == [1, 2] and most == 1
    assert refusal.status_code == 503 and refusal.type == "server_busy"
    assert refusal.headers == {"Retry-After": "1"}
    assert "CONVSCOPE_WAITING_REQUESTS" in refusal.msg


def test_a_heavy_answer_holds_its_turn_until_it_is_dropped() -> None:
    # An answer still being sent is memory the next heavy request would add to: its turn
    # stays taken while the answer lives, and is given back when it is dropped.
    gate = routing.HeavyWork(at_once=1, waiting=0)

    async def main() -> list[str]:
        said: list[str] = []

        async def attempt() -> Response | None:
            try:
                answer = await gate.run(lambda: Response(b"x" * 1000))
            except routing.Refusal as refusal:
                said.append(refusal.type)
                return None
            said.append("answered")
            return answer

        held = await attempt()
        await attempt()  # refused: the first answer is alive
        await anyio.sleep(0.2)
        await attempt()  # still refused: nothing but its answer's end frees a turn
        del held
        await anyio.sleep(0.01)  # the finalizer frees the turn on the loop's next pass
        await attempt()  # answered
        return said

    assert anyio.run(main) == ["answered", "server_busy", "server_busy", "answered"]


def test_a_heavy_answer_frees_its_turn_once_sent_though_something_still_holds_it() -> None:
    # freed by a finalizer alone, a turn waited for the last reference to go (a logging
    # handler's exc_info, a cycle until the next collection): the next request got a 503
    gate = routing.HeavyWork(at_once=1, waiting=0)

    async def main() -> list[str]:
        said: list[str] = []

        async def send(message: dict[str, Any]) -> None:
            pass

        async def receive() -> dict[str, Any]:
            raise AssertionError("an answer reads nothing")

        kept = await gate.run(lambda: encoding.OrjsonResponse({"a": 1}))
        for _ in range(2):
            try:
                await gate.run(lambda: encoding.OrjsonResponse({"b": 2}))
                said.append("answered")
            except routing.Refusal as refusal:
                said.append(refusal.type)
            await kept({"type": "http"}, receive, send)  # sent: its turn is free, kept or not
        assert kept is not None
        return said

    assert anyio.run(main) == ["server_busy", "answered"]


def test_a_heavy_answer_whose_client_takes_not_even_its_start_is_given_up_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # uvicorn waits for a client to read before it takes any message, the first one too: a
    # heavy answer's client that read nothing held the turn for good
    monkeypatch.setattr(encoding, "PIECE_SECONDS", 0.2)
    gate = routing.HeavyWork(at_once=1, waiting=0)

    async def stalled(message: dict[str, Any]) -> None:
        await anyio.sleep_forever()

    async def receive() -> dict[str, Any]:
        raise AssertionError("an answer reads nothing")

    async def main() -> str:
        answer = await gate.run(lambda: encoding.OrjsonResponse({"a": 1}))
        with anyio.fail_after(5):
            await answer({"type": "http"}, receive, stalled)
        try:
            await gate.run(lambda: encoding.OrjsonResponse({"b": 2}))
        except routing.Refusal as refusal:
            return refusal.type
        return "answered"

    assert anyio.run(main) == "answered"


def test_an_answer_its_client_stops_reading_is_given_up_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a client that never reads kept its whole answer, and its heavy turn, for good
    monkeypatch.setattr(encoding, "PIECE_SECONDS", 0.2)
    answer = encoding.OrjsonResponse({"values": list(range(3 * encoding.PIECE // 8))})
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        if len(sent) == 2:  # the start and one piece taken; then nothing more is read
            await anyio.sleep_forever()
        sent.append(message)

    async def receive() -> dict[str, Any]:
        raise AssertionError("an answer reads nothing")

    async def main() -> float:
        began = anyio.current_time()
        with anyio.fail_after(5):
            await answer({"type": "http"}, receive, send)
        return anyio.current_time() - began

    took = anyio.run(main)
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert sent[1]["more_body"] is True  # unfinished: the server closes the connection
    assert 0.2 <= took < 2


def _upload() -> bytes:
    buffer = io.BytesIO()
    pixels = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    Image.fromarray(pixels, "RGB").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("path", ["/api/forward", "/api/images"])
def test_a_heavy_answer_being_sent_keeps_the_next_heavy_request_waiting(path: str) -> None:
    # Through the app: the first AlexNet forward's (or image upload's) answer is computed but
    # its client has not taken it; with one turn and no queue, a second one is refused, and
    # once the first answer is sent a third is answered. (The upload's answer was once made
    # after its turn had ended.)
    app = create_app(Settings(heavy_requests=1, waiting_requests=0))
    body = orjson.dumps(ALEXNET) if path == "/api/forward" else _upload()
    media = b"application/json" if path == "/api/forward" else b"image/png"

    async def request(taken: anyio.Event | None = None) -> int:
        status = 0
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                await anyio.sleep_forever()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif taken is not None:
                await taken.wait()  # a client slow to read the answer

        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "POST", "scheme": "http", "path": path, "raw_path": b"",
            "query_string": b"encoding=compact", "root_path": "", "client": ("127.0.0.1", 1),
            "server": ("127.0.0.1", 80), "state": dict(state),
            "headers": [(b"content-type", media),
                        (b"content-length", str(len(body)).encode())],
        }
        await app(scope, receive, send)
        return status

    async def main() -> tuple[int, int, int]:
        taken = anyio.Event()
        statuses: list[int] = []
        async with anyio.create_task_group() as group:
            async def first() -> None:
                statuses.append(await request(taken))
            group.start_soon(first)
            with anyio.fail_after(10):
                while app_turns().available_tokens:  # until the first holds the turn
                    await anyio.sleep(0.01)
            await anyio.sleep(0.3)  # computed by now or soon: either way its turn is held
            second = await request()
            taken.set()
        third = await request()
        return statuses[0], second, third

    state: dict[str, Any] = {}

    def app_turns() -> anyio.CapacityLimiter:
        return state[routing.HEAVY_WORK].limiter  # type: ignore[no-any-return]

    async def with_lifespan() -> tuple[int, int, int]:
        async with app.router.lifespan_context(app) as made:
            state.update(made or {})
            return await main()

    assert anyio.run(with_lifespan) == (200, 503, 200)


def test_a_heavy_request_past_the_servers_turns_is_a_503_and_a_cheap_one_is_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # One heavy request computes (held in its forward pass) and none may wait: a second
    # AlexNet forward is refused at once; the demo's forward, on the event loop, is answered
    started, release = threading.Event(), threading.Event()
    real = conv.forward

    def held(*args: Any, **kwargs: Any) -> Any:
        if not _on_event_loop():
            started.set()
            release.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(conv, "forward", held)
    app = create_app(Settings(heavy_requests=1, waiting_requests=0))
    with TestClient(app) as client, ThreadPoolExecutor(1) as pool:
        first = pool.submit(client.post, "/api/forward?encoding=compact", json=ALEXNET)
        assert started.wait(10)
        second = client.post("/api/forward?encoding=compact", json=ALEXNET)
        cheap = client.post("/api/forward", json=square(5, 3, 2, 3, stride=2, padding=1))
        release.set()
        assert first.result(10).status_code == 200
    assert second.status_code == 503 and second.headers["retry-after"] == "1"
    assert second.json()["detail"][0]["type"] == "server_busy"
    assert cheap.status_code == 200
    # /docs shows this server's own 503
    responses = app.openapi()["paths"]["/api/forward"]["post"]["responses"]
    assert responses["503"]["content"]["application/json"]["example"] == second.json()


def test_a_large_answer_goes_to_the_server_in_pieces_a_small_one_whole() -> None:
    # A whole 20 MB body handed to uvicorn at once is copied into its write buffer and kept
    # there for a slow client; in pieces, uvicorn waits for the client between them.
    big = encoding.OrjsonResponse({"values": list(range(3 * encoding.PIECE // 8))})
    small = encoding.OrjsonResponse({"values": [1, 2, 3]})

    def sent_by(response: encoding.OrjsonResponse) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            messages.append(message)

        async def receive() -> dict[str, Any]:
            raise AssertionError("an answer reads nothing")

        anyio.run(response, {"type": "http"}, receive, send)
        return messages

    start, *pieces = sent_by(big)
    assert start["type"] == "http.response.start"
    length = int(dict(start["headers"])[b"content-length"])
    assert length == len(big.body) > 2 * encoding.PIECE
    assert len(pieces) == -(-length // encoding.PIECE) >= 3
    assert all(len(p["body"]) <= encoding.PIECE for p in pieces)
    assert b"".join(bytes(p["body"]) for p in pieces) == big.body
    assert [p["more_body"] for p in pieces] == [True] * (len(pieces) - 1) + [False]
    assert [m.get("more_body", False) for m in sent_by(small)[1:]] == [False]
