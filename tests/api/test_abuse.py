"""Abuse cases through the whole app: each is answered 4xx in the one error shape, allocates
little while being refused, and leaves no memory behind when repeated.

Memory is measured with tracemalloc (Python and NumPy allocations), not timed: how fast the
answers come is measured by ``benchmarks/bench_load.py`` against a real server.
"""

from __future__ import annotations

import asyncio
import gc
import json
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.errors import BodyLimit, Limit
from app.layer_cache import LAYERS, LayerCache
from app.main import app, create_app

MB = 2**20
LAYER = {"input": {"shape": [5, 5, 3]}, "filters": {"count": 2, "size": 3}, "stride": 2,
         "padding": 1}
JSON = {"content-type": "application/json"}


def png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data).to_bytes(4, "big")
    return len(data).to_bytes(4, "big") + kind + data + crc


def bomb_png(side: int) -> bytes:
    """A valid PNG whose header claims ``side x side`` pixels, in a few hundred bytes."""
    header = side.to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0])  # 8-bit greyscale
    rows = zlib.compress(b"\0" * (side + 1) * 16, 9)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(
        b"IDAT", rows) + png_chunk(b"IEND", b"")


def measure(call: Callable[[], Any], repeats: int = 20) -> tuple[int, int]:
    """(peak bytes allocated by one call, bytes still held after ``repeats`` more calls)."""
    call()  # warm-up: first-call imports and caches are not growth
    tracemalloc.start()
    try:
        call()
        _, peak = tracemalloc.get_traced_memory()
        # A refused body can sit in a reference cycle (exception -> traceback -> frame ->
        # request) until the cyclic collector runs: collectable, so not counted as kept.
        gc.collect()
        tracemalloc.reset_peak()
        start, _ = tracemalloc.get_traced_memory()
        for _ in range(repeats):
            call()
        gc.collect()
        end, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, end - start


def refused_as(response: Any, status: int, loc_start: list[str]) -> dict[str, Any]:
    assert response.status_code == status, response.text
    entry: dict[str, Any] = response.json()["detail"][0]
    assert {"loc", "msg", "type"} <= set(entry)
    assert entry["loc"][: len(loc_start)] == loc_start, entry
    return entry


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


# ----------------------------------------------------------------------------- JSON bodies


CASES: dict[str, tuple[str, bytes, int, list[str], str]] = {
    # name: (path, body, status, loc prefix, word in the message)
    "10^9-element input shape": (
        "/api/forward",
        json.dumps({"input": {"shape": [1000, 1000, 1000]},
                    "filters": {"count": 1, "size": 1}}).encode(),
        422, ["body", "input", "shape"], "CONVSCOPE_MAX_ELEMENTS"),
    "10^9-element input, steps": (
        "/api/steps",
        json.dumps({"layer": {"input": {"shape": [1000, 1000, 1000]},
                              "filters": {"count": 1, "size": 1}}}).encode(),
        422, ["body", "layer", "input", "shape"], "CONVSCOPE_MAX_ELEMENTS"),
    "10^9-element input, backward": (
        "/api/backward",
        json.dumps({"layer": {"input": {"shape": [1000, 1000, 1000]},
                              "filters": {"count": 1, "size": 1}}}).encode(),
        422, ["body", "layer", "input", "shape"], "CONVSCOPE_MAX_ELEMENTS"),
    "huge count": (
        "/api/steps", json.dumps({"layer": LAYER, "count": 10**18}).encode(),
        422, ["body", "count"], "CONVSCOPE_MAX_STEPS"),
    "count past int64": (
        "/api/steps", b'{"layer": ' + json.dumps(LAYER).encode() + b', "count": '
        + b"9" * 400 + b"}", 422, ["body"], ""),
    "deeply nested JSON": ("/api/forward", b"[" * 100_000, 422, ["body"], "depth"),
    # nested just under the parser's limit (1024): the error's echo of the value must not
    # walk all of it (it hit Python's recursion limit and answered 500)
    "970-deep stride": (
        "/api/geometry", b'{"input": {"shape": [5, 5, 3]}, "filters": {"count": 2, "size": 3}, '
        b'"stride": ' + b"[" * 970 + b"]" * 970 + b"}", 422, ["body", "stride"], "[[[["),
    "970-deep unknown field": (
        "/api/geometry", b'{"input": {"shape": [5, 5, 3]}, "filters": {"count": 2, "size": 3}, '
        b'"strides": ' + b"[" * 970 + b"]" * 970 + b"}", 422, ["body", "strides"],
        "no such field"),
    "deeply nested values": (
        "/api/forward", b'{"input": {"shape": [5, 5, 3], "values": ' + b"[" * 5000
        + b"]" * 5000 + b"}}", 422, ["body"], ""),
    "NaN": ("/api/forward", b'{"input": {"shape": [5, 5, 3], "values": [[[NaN]]]}}', 422,
            ["body", "input", "values", 0, 0, 0], "JSON has no NaN"),
    "Infinity": ("/api/forward", b'{"input": {"shape": [5, 5, 3]}, "stride": Infinity}', 422,
                 ["body", "stride"], "JSON has no NaN"),
    "1e999": ("/api/forward", b'{"input": {"shape": [5, 5, 3]}, "stride": 1e999}', 422,
              ["body", "stride"], "too large for a float"),
    "a tiny output of a huge padded input": (
        "/api/forward",
        # 41.7M elements (under the limit), but a 6144x6144 padded input to write out.
        json.dumps({"input": {"shape": [2048, 2048, 1]}, "filters": {"count": 1, "size": 1},
                    "stride": 4096, "padding": 2048, "fit": "floor"}).encode(),
        422, ["body", "padding"], "CONVSCOPE_MAX_WORK"),
}


@pytest.mark.parametrize("name", CASES)
def test_abuse_is_refused_without_allocating_or_keeping_memory(
    client: TestClient, name: str
) -> None:
    path, body, status, loc, word = CASES[name]

    def call() -> Any:
        return client.post(path, content=body, headers=JSON)

    entry = refused_as(call(), status, loc)
    assert word in entry["msg"]
    assert "input" not in entry  # the body is never echoed back
    peak, kept = measure(call)
    # The request body itself is at most 600 kB; a refusal that had started the work would
    # allocate the layer (gigabytes here).
    assert peak < 8 * MB, f"{name}: one refusal allocated {peak / MB:.1f} MiB at its peak"
    assert kept < 512 * 1024, f"{name}: 20 refusals left {kept / 1024:.0f} KiB behind"


def test_a_wide_filters_geometry_is_answered_without_walking_its_taps(
    client: TestClient,
) -> None:
    # 8193 positions of a 4096-wide filter per axis: walking every tap of every position
    # made 67 million, which the budget had to refuse; counting windows per cell is
    # O(positions + cells), so the answer comes in small memory
    narrower = iter(range(4096, 0, -1))  # a new shape each call: the app remembers a shape's

    def call() -> Any:
        body = {"input": {"shape": [4096, 4096, 1]},
                "filters": {"count": 1, "size": next(narrower)}, "padding": 4096}
        return client.post("/api/geometry", content=json.dumps(body).encode(), headers=JSON)

    answer = call().json()
    assert answer["output_shape"] == [8193, 8193, 1]  # (4096 - 4096 + 2*4096)/1 + 1
    assert answer["height"]["unseen"] == answer["width"]["unseen"] == []
    peak, _ = measure(call)
    assert peak < 8 * MB, f"the answer allocated {peak / MB:.1f} MiB at its peak"


def test_the_inverse_of_a_huge_layer_is_answered_from_its_geometry_alone(
    client: TestClient,
) -> None:
    # Which neurons read a cell is arithmetic on the sizes: a 10^9-element input (VGG-sized
    # layers were refused too, their seeded input priced and made) is answered in small
    # memory, as /api/geometry answers it
    cells = iter(range(1000))  # a new body each call

    def call() -> Any:
        body = {"layer": {"input": {"shape": [1001, 1001, 1000]},
                          "filters": {"count": 7, "size": 3}, "stride": 2},
                "cell": [next(cells), 500]}
        return client.post("/api/inverse", content=json.dumps(body).encode(), headers=JSON)

    answer = call().json()
    # row 0 is read by output row 0 only (tap 0); column 500 by columns 249 (tap 2), 250 (0)
    assert [(t["i"], t["j"], t["tap_row"], t["tap_col"]) for t in answer["taps"]] == [
        (0, 249, 0, 2), (0, 250, 0, 0)]
    assert answer["filters"] == 7
    peak, kept = measure(call)
    assert peak < 8 * MB, f"the answer allocated {peak / MB:.1f} MiB at its peak"
    assert kept < 512 * 1024


def test_a_decompression_bomb_png_is_refused_before_decoding(client: TestClient) -> None:
    bomb = bomb_png(100_000)  # 10^10 pixels claimed, under 2 kB sent
    assert len(bomb) < 2000

    def call() -> Any:
        return client.post("/api/images", content=bomb, headers={"content-type": "image/png"})

    entry = refused_as(call(), 422, ["body"])
    assert "100000" in entry["msg"].replace(",", "")  # names the claimed size
    peak, kept = measure(call)
    assert peak < 8 * MB  # 10^10 greyscale pixels would be 10 GB
    assert kept < 512 * 1024


def test_a_png_with_a_chunk_before_its_header_is_refused_unpriced_undecoded(
    client: TestClient,
) -> None:
    # A tEXt chunk before IHDR: our own header reader looks for IHDR at byte 12 only, and the
    # upload was priced as 0 pixels while Pillow read (and decoded) 6324 x 6324 16-bit RGBA,
    # under the pixel limit: 19 s and 3.4 GB of memory for one request. The standard puts
    # IHDR first; a file that does not is refused before Pillow reads it (its header parser
    # took seconds over a file of many chunks, on the event loop).
    side = (6324).to_bytes(4, "big")
    header = side + side + bytes([16, 6, 0, 0, 0])
    sly = b"\x89PNG\r\n\x1a\n" + png_chunk(b"tEXt", b"a\0b") + png_chunk(
        b"IHDR", header) + png_chunk(b"IDAT", zlib.compress(b"", 9)) + png_chunk(b"IEND", b"")

    def call() -> Any:
        return client.post("/api/images", content=sly, headers={"content-type": "image/png"})

    entry = refused_as(call(), 422, ["body"])
    assert entry["type"] == "image_corrupt"
    assert "its IHDR chunk is not first" in entry["msg"], entry["msg"]
    peak, _ = measure(call, repeats=3)
    assert peak < 8 * MB


# ----------------------------------------------------------------------------- 100 MB bodies


def asgi_post(
    path: str, headers: list[tuple[bytes, bytes]], chunks: Iterator[bytes]
) -> tuple[int, bytes, int]:
    """Drive the whole ASGI app directly: (status, body, request bytes the app pulled).

    Directly rather than through TestClient, so a 100 MB body is produced lazily, one chunk
    per ``receive()``, and the test can count how much of it the server read.
    """
    pulled = 0
    sent: list[dict[str, Any]] = []
    pending = iter(chunks)

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        chunk = next(pending, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        pulled += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(),
             "root_path": "", "query_string": b"", "headers": headers,
             "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}
    asyncio.run(app(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body, pulled


def hundred_mb() -> Iterator[bytes]:
    block = b" " * MB
    for _ in range(100):
        yield block


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_a_100_mb_body_is_413_after_reading_at_most_the_limit(declared: bool) -> None:
    limit = Settings().max_body_bytes
    headers = [(b"content-type", b"application/json")]
    if declared:
        headers.append((b"content-length", str(100 * MB).encode()))

    def call() -> tuple[int, bytes, int]:
        return asgi_post("/api/forward", headers, hundred_mb())

    status, body, pulled = call()
    assert status == 413
    entry = json.loads(body)["detail"][0]
    assert entry["loc"] == ["body"] and entry["type"] == "body_too_large"
    assert "CONVSCOPE_MAX_BODY_BYTES" in entry["msg"]
    # Content-Length: refused before a byte is read; chunked: at the first chunk past it.
    assert pulled == 0 if declared else limit < pulled <= limit + MB
    peak, kept = measure(call, repeats=3)
    assert peak < limit + 2 * MB  # never more than the limit held at once
    assert kept < 512 * 1024


def test_a_100_mb_upload_is_413_without_reading_it() -> None:
    headers = [(b"content-type", b"image/png"), (b"content-length", str(100 * MB).encode())]
    status, body, pulled = asgi_post("/api/images", headers, hundred_mb())
    assert status == 413
    assert json.loads(body)["detail"][0]["type"] == "body_too_large"
    assert pulled == 0


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_a_body_that_stops_arriving_is_a_408_that_closes_the_connection(declared: bool) -> None:
    # Half the body comes at once and the rest never does: refused when its time is up,
    # not held for as long as the client likes.
    body = json.dumps({"layer": {"input": {"size": [5, 5, 3]}}}).encode()
    headers = [(b"content-type", b"application/json")]
    if declared:
        headers.append((b"content-length", str(len(body)).encode()))
    sent: list[dict[str, Any]] = []
    chunks = iter([body[:10]])

    async def receive() -> dict[str, Any]:
        chunk = next(chunks, None)
        if chunk is None:
            await asyncio.sleep(3600)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": "/api/geometry",
             "raw_path": b"/api/geometry", "root_path": "", "query_string": b"",
             "headers": headers, "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}
    app_ = create_app(Settings(body_seconds=0.3))
    began = time.monotonic()
    asyncio.run(asyncio.wait_for(app_(scope, receive, send), 10))
    took = time.monotonic() - began
    start = next(m for m in sent if m["type"] == "http.response.start")
    entry = json.loads(b"".join(m.get("body", b"") for m in sent[1:]))["detail"][0]
    assert start["status"] == 408 and (b"connection", b"close") in start["headers"]
    assert entry["type"] == "body_timeout" and entry["loc"] == ["body"]
    assert "0.3 seconds" in entry["msg"] and "CONVSCOPE_BODY_SECONDS" in entry["msg"]
    assert 0.3 <= took < 3
    # /docs shows this server's own 408
    responses = app_.openapi()["paths"]["/api/geometry"]["post"]["responses"]
    assert responses["408"]["content"]["application/json"]["example"] == {"detail": [entry]}


def test_a_body_that_keeps_arriving_slowly_is_not_late() -> None:
    # the deadline is for a body that stops, not for a slow one: a 10 MiB upload over a slow
    # phone link takes longer than the deadline and keeps arriving
    async def reading_app(scope: Any, receive: Any, send: Any) -> None:
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"done"})

    # 1.2 s in all, four deadlines, each chunk 0.05 s after the last: a quarter of a second
    # to spare for a busy machine's late wake-ups (at 0.15 s apart it failed under load)
    answered = chunked_through(reading_app, [(b" ", True)] * 23 + [(b"{}", False)], 0.05, 0.3)
    assert answered[0]["status"] == 200 and answered[1]["body"] == b"done"


def chunked_through(app_: Any, chunks: list[tuple[bytes, bool]], every: float, seconds: float,
                    ) -> list[dict[str, Any]]:
    """What ``app_`` sends behind a BodyLimit of ``seconds``, its body's chunks arriving
    ``every`` seconds."""
    answered: list[dict[str, Any]] = []
    pending = iter(chunks)

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(every)
        chunk, more = next(pending)
        return {"type": "http.request", "body": chunk, "more_body": more}

    async def send(message: MutableMapping[str, Any]) -> None:
        answered.append(dict(message))

    limited = BodyLimit(app_, Limit(100, "X"), seconds=seconds)
    scope = {"type": "http", "method": "POST", "path": "/api/forward",
             "headers": [(b"transfer-encoding", b"chunked")]}
    asyncio.run(limited(scope, receive, send))
    return answered


def test_a_refusal_says_connection_close_once() -> None:
    # a chunked body over the limit: the 413 carries the header, and the middleware that adds
    # it to early answers must not add a second
    sent: list[dict[str, Any]] = []
    chunks = iter([b"[" + b"1," * 60, b"1]"])

    async def receive() -> dict[str, Any]:
        chunk = next(chunks, b"")
        return {"type": "http.request", "body": chunk, "more_body": bool(chunk)}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": "/api/forward",
             "raw_path": b"/api/forward", "root_path": "", "query_string": b"",
             "headers": [(b"content-type", b"application/json"),
                         (b"transfer-encoding", b"chunked")],
             "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}
    asyncio.run(create_app(Settings(max_body_bytes=100))(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 413
    assert [value for name, value in start["headers"] if name == b"connection"] == [b"close"]


def test_the_body_deadline_ends_when_the_body_is_whole() -> None:
    # A body that arrives in time is answered however long the answer then takes: the
    # deadline is for the body alone.
    async def slow_app(scope: Any, receive: Any, send: Any) -> None:
        while (await receive()).get("more_body"):
            pass
        await asyncio.sleep(0.5)  # past the deadline
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"done"})

    answered = chunked_through(slow_app, [(b"{", True), (b"}", False)], 0.05, 0.3)
    assert answered[0]["status"] == 200 and answered[1]["body"] == b"done"


def test_a_refusal_given_before_the_body_is_read_closes_the_connection() -> None:
    # kept open, uvicorn read the client's next request as the rest of the unread body, and
    # the client waited for an answer that never came
    with TestClient(create_app(Settings(max_body_bytes=100))) as client:
        spec = json.dumps({"input": {"shape": [5, 5, 3]}, "filters": {"count": 2, "size": 3}})
        unread = {
            "wrong type": client.post("/api/forward", content=spec,
                                      headers={"content-type": "text/plain"}),
            "over the limit": client.post("/api/forward", content=spec + " " * 100,
                                          headers={"content-type": "application/json"}),
            "compressed": client.post("/api/forward", content=spec, headers={
                "content-type": "application/json", "content-encoding": "gzip"}),
            "no such path": client.post("/api/nothing", content=spec,
                                        headers={"content-type": "application/json"}),
        }
        read = {
            "answered": client.post("/api/geometry", content=spec,
                                    headers={"content-type": "application/json"}),
            "refused after reading": client.post("/api/geometry", content=spec[:-1],
                                                 headers={"content-type": "application/json"}),
        }
    assert {name: (r.status_code, r.headers.get("connection")) for name, r in unread.items()} == {
        "wrong type": (415, "close"), "over the limit": (413, "close"),
        "compressed": (415, "close"), "no such path": (404, "close")}
    assert {name: (r.status_code, r.headers.get("connection")) for name, r in read.items()} == {
        "answered": (200, None), "refused after reading": (422, None)}


# ----------------------------------------------------------------------------- layer cache


def test_repeated_layers_are_built_once_and_cannot_be_changed(client: TestClient) -> None:
    body = {"layer": {**LAYER, "input": {"shape": [5, 5, 3], "fill": {"seed": 12345}}},
            "start": 0, "count": 2}
    first = client.post("/api/steps", json=body).json()
    key = next(k for k in LAYERS._layers if '"seed":12345' in k)
    layer = LAYERS.get(key)
    assert layer is not None
    assert not layer.x.flags.writeable and not layer.x_padded.flags.writeable
    assert not layer.weights.flags.writeable and not layer.bias.flags.writeable
    assert client.post("/api/steps", json=body).json() == first


def test_the_layer_cache_is_bounded_by_elements() -> None:
    from engine.geometry import LayerShape
    from engine.layer import build_layer

    cache = LayerCache(max_elements=1000)
    # x 75 (unpadded, it is its padded input), the padding map's 25 bytes as 4, W 54, b 2:
    # 135 elements
    small = build_layer(LayerShape.square(5, 3, 2, 3))
    for n in range(10):
        cache.put(f"layer {n}", build_layer(LayerShape.square(5, 3, 2, 3)))
    held = [key for key in cache._layers]
    assert held == [f"layer {n}" for n in range(3, 10)]  # 7 x 135 <= 1000 < 8 x 135
    assert cache.get("layer 0") is None
    big = build_layer(LayerShape.square(20, 3, 1, 3))  # 2*1200 + ... > 1000
    cache.put("big", big)
    assert cache.get("big") is None
    assert cache.holds(cache.get("layer 9")) and not cache.holds(small)
    # one input cell inside padding 15: 961 padded cells and their map, not 2 elements
    padded = build_layer(LayerShape.square(1, 1, 1, 1, padding=15))
    cache.put("padded", padded)
    assert cache.get("padded") is None and cache.get("layer 9") is not None


def test_layers_with_explicit_values_are_not_cached(client: TestClient) -> None:
    values = [[[float(r * 5 + c)] * 3 for c in range(5)] for r in range(5)]
    spec = {**LAYER, "input": {"shape": [5, 5, 3], "values": values}}
    before = len(LAYERS._layers)
    assert client.post("/api/forward", json=spec).status_code == 200
    assert len(LAYERS._layers) == before


def test_a_small_body_limit_applies_to_every_json_endpoint() -> None:
    with TestClient(create_app(Settings(max_body_bytes=100))) as small:
        for path in ("/api/geometry", "/api/forward", "/api/steps", "/api/inverse",
                     "/api/backward"):
            response = small.post(path, content=b" " * 101, headers=JSON)
            assert response.status_code == 413, path


@pytest.mark.parametrize("path", ["/api/presets/", "/api/images/", "/api/filter-banks/"])
def test_a_long_unknown_name_is_not_echoed_whole(client: TestClient, path: str) -> None:
    answer = client.get(path + "k" * 20_000)
    assert answer.status_code == 404
    [entry] = answer.json()["detail"]
    assert "kkkk... (cut)" in entry["msg"] and len(entry["msg"]) < 1_000


def test_a_long_unknown_field_name_is_not_echoed_whole(client: TestClient) -> None:
    body = {"input": {"shape": [5, 5, 3]}, "filters": {"count": 2, "size": 3}, "k" * 100_000: 1}
    answer = client.post("/api/geometry", json=body)
    assert answer.status_code == 422
    [entry] = answer.json()["detail"]
    assert entry["loc"][0] == "body" and entry["loc"][1].endswith("k... (cut)")
    assert len(answer.content) < 2_000


def test_body_deadlines_cancel_only_overdue_tasks_and_keep_nothing_after_them() -> None:
    from app.errors import Deadlines

    async def main() -> tuple[bool, bool, bool, bool, int]:
        deadlines = Deadlines(0.01)
        late = asyncio.create_task(asyncio.sleep(5))
        kept = asyncio.create_task(asyncio.sleep(0.2))
        forgotten = asyncio.create_task(asyncio.sleep(0.2))
        deadlines.watch(late, 0.05)
        deadlines.watch(kept, 5)
        deadlines.watch(forgotten, 0.05)
        deadlines.forget(forgotten)  # its body came whole: no deadline from now
        with pytest.raises(asyncio.CancelledError):
            await late
        await kept  # not cancelled: not due yet
        deadlines.done(kept)
        await forgotten
        # the 408 is answered once; a request over keeps nothing of its lateness
        first, again = deadlines.was_late(late), deadlines.was_late(late)
        other = asyncio.create_task(asyncio.sleep(5))
        deadlines.watch(other, 0.02)
        with pytest.raises(asyncio.CancelledError):
            await other
        deadlines.done(other)
        return first, again, deadlines.was_late(kept), deadlines.was_late(other), len(
            deadlines._due)

    assert asyncio.run(main()) == (True, False, False, False, 0)


def test_remembered_geometries_are_bounded_by_their_unseen_cells() -> None:
    from app.answers import geometry_answer
    from app.layer_cache import GEOMETRY_WEIGHT, MEMO_UNITS, resolved
    from engine.geometry import LayerShape

    # a 4096-wide input under one window and a stride past it: 4,095 unseen cells an axis.
    # 1,024 such geometries, remembered by count, held 390 MB.
    resolved.cache_clear()
    shapes = [LayerShape.square(4096 + n, 1, 1, 1, stride=4096, fit="floor") for n in range(100)]
    for shape in shapes:
        assert len(resolved(shape).width.unseen) >= 4095
    held = resolved.cache  # type: ignore[attr-defined]
    assert held.held <= MEMO_UNITS
    assert 50 < len(held) < 100  # the oldest went, the newest stayed
    assert (shapes[-1],) in list(held) and (shapes[0],) not in list(held)
    # a geometry of no unseen cells weighs its own fields: a thousand of them fit
    resolved.cache_clear()
    for n in range(1024):
        resolved(LayerShape.square(5 + n, 1, 1, 1))
    assert len(held) == 1024 and held.held == 1024 * GEOMETRY_WEIGHT >= 1024 * 10
    # an answer weighs sixteen geometries: about 2,000 fit, not the 9,000 that held 94 MB
    answers = geometry_answer.cache  # type: ignore[attr-defined]
    geometry_answer.cache_clear()  # type: ignore[attr-defined]
    for n in range(2200):
        geometry_answer(resolved(LayerShape.square(5 + n, 1, 1, 1)))
    assert 1800 < len(answers) < 2200
    resolved.cache_clear()
    geometry_answer.cache_clear()  # type: ignore[attr-defined]
