"""Cost model benchmark: each request's estimate (app/costs.py) against its measured time.

Run ``.venv/bin/python benchmarks/bench_costs.py`` (``--quick`` for one timed run per row,
``--strict`` to exit 1 on a missed target, ``--only forward`` for some rows). Every request
goes through the real app in process, straight over ASGI (no HTTP client, no socket):
parsing, validation, building the layer, the engine, encoding the answer. The budget is
lifted for the run (and the body limit, for the rows that send explicit values), so rows over
the budget run too and show whether the model prices them as well as the cheap ones.

Time is the process's CPU time (every thread of it, the kernel's page-ins included), median
of a few runs after an untimed one (three, up to 15 for a row of a few milliseconds), each a
new layer's first request (below): on a quiet machine a request's wall time is at most that,
and under load from other processes it is the figure that stays put. Wall time is printed
beside it.

The estimate of a row is what the server itself checked against ``max_work``: the bench
wraps ``app.costs.check_budget`` wherever a module imported it and keeps the largest total
one request passed, so a handler that prices with the wrong function shows up here.
Each request varies its fill seeds, so the layer cache never answers and every run builds,
and the app's per-shape caches (resolved geometries, geometry answers, the prices' layer
parts) are emptied before each run: every run pays what a new layer's first request pays,
which is what the estimate prices (a repeat of a shape costs less, never more).

Targets (docs/design.md, "Costs"):
- time / estimate stays within one order of magnitude over all rows (max/min <= 10);
- a request whose estimate is within the budget (``max_work``) takes under 1 s.

Rows marked ``fixed`` are endpoints whose work nothing in the request scales (shipped sample
images, capped at ``max_image_side``; the filter banks): the server does not price them.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import functools
import inspect
import io
import itertools
import json
import statistics
import sys
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from PIL import Image

from app import answers, costs, layer_cache
from app.config import Settings, get_settings
from app.main import create_app

Json = dict[str, Any]
BUDGET = Settings().max_work


# ----------------------------------------------------------------------------- requests


@dataclass
class Case:
    """One request: ``body`` is JSON (a dict) or raw bytes sent as ``content_type``."""

    name: str
    method: str
    path: str
    body: Json | bytes | None = None
    content_type: str = "application/json"
    reseed: bool = True  # vary the fill seeds per run (defeats the layer cache)
    expect: int = 200
    fixed: bool = False  # nothing in the request scales its work: the server does not price it
    times: list[float] = field(default_factory=list)  # CPU seconds of the whole process
    walls: list[float] = field(default_factory=list)  # wall-clock seconds
    estimate: int | None = None


def layer(
    size: int | list[int], depth: int, filters: int, f: int | list[int], **options: Any
) -> Json:
    """A layer spec: ``size`` x ``size`` x ``depth`` input, ``filters`` filters of ``f``."""
    h, w = (size, size) if isinstance(size, int) else size
    spec: Json = {"input": {"shape": [h, w, depth]}, "filters": {"count": filters, "size": f}}
    spec.update(options)
    return spec


def with_values(spec: Json, compact: bool) -> Json:
    """``spec`` with explicit input values (nested lists or compact float32) for its input."""
    h, w, d = spec["input"]["shape"]
    x = np.random.default_rng(0).integers(0, 3, size=(h, w, d)).astype(np.float32)
    values: Any
    if compact:
        import base64
        values = {"dtype": "float32", "shape": [h, w, d],
                  "data": base64.b64encode(x.tobytes()).decode("ascii")}
    else:
        values = x.tolist()
    out = copy.deepcopy(spec)
    out["input"]["values"] = values
    return out


def upstream_values(shape: tuple[int, int, int]) -> list[Any]:
    """An upstream gradient of ``shape`` as nested JSON lists of small whole numbers."""
    values: list[Any] = np.random.default_rng(2).integers(-2, 3, size=shape).tolist()
    return values


def png(width: int, height: int, noisy: bool) -> bytes:
    """A PNG: flat (compresses to almost nothing, so many pixels fit the upload limit) or
    noisy (every byte random)."""
    if noisy:
        pixels = np.random.default_rng(1).integers(0, 256, (height, width, 3), dtype=np.uint8)
        image = Image.fromarray(pixels)
    else:
        image = Image.new("RGB", (width, height), (200, 30, 60))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def jpeg(width: int, height: int, noise: float = 0.0, **options: Any) -> bytes:
    """A JPEG of smooth gradients (a photo's size on the wire, not noise's), plus Gaussian
    ``noise`` (a photo's grain: more bytes to decode); ``options`` for Pillow's save."""
    rows = np.linspace(0, 255, height, dtype=np.float32)[:, None]
    cols = np.linspace(0, 255, width, dtype=np.float32)[None, :]
    pixels = np.stack([rows + 0 * cols, cols + 0 * rows, (rows + cols) / 2], axis=-1)
    if noise:
        pixels += np.random.default_rng(1).normal(0, noise, pixels.shape).astype(np.float32)
    buffer = io.BytesIO()
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(buffer, "JPEG", quality=90,
                                                                   **options)
    return buffer.getvalue()


def repeated_scan(data: bytes, times: int) -> bytes:
    """A progressive JPEG with its third scan (an AC band of one component, a few dozen
    bytes of end-of-band runs when the picture is smooth) repeated ``times`` more times:
    each walks all of that component's blocks again."""
    starts, at = [], 2
    while data[at + 1] != 0xD9:  # to EOI
        end = at + 2 + int.from_bytes(data[at + 2 : at + 4], "big")
        if data[at + 1] == 0xDA:  # its data runs to the next marker not 0xFF00 or RSTn
            while data[end] != 0xFF or data[end + 1] == 0 or 0xD0 <= data[end + 1] <= 0xD7:
                end += 1
            starts.append((at, end))
        at = end
    start, end = starts[2]
    return data[:end] + data[start:end] * times + data[end:]


def padded_png(chunks: int) -> bytes:
    """A 1x1 PNG with ``chunks`` empty private chunks after its IHDR, each read by Pillow."""
    plain = png(1, 1, False)
    empty = (0).to_bytes(4, "big") + b"zzZz" + zlib.crc32(b"zzZz").to_bytes(4, "big")
    return plain[:33] + empty * chunks + plain[33:]


DEMO = layer(5, 3, 2, 3, stride=2, padding=1)  # the CS231n demo
SMALL = layer(32, 3, 8, 5, padding=2)
ALEXNET = layer(227, 3, 96, 11, stride=4)
ALEXNET_OUTPUT = (55, 55, 96)  # (227 - 11) / 4 + 1 = 55 a side, one slice per filter
VGG = layer(224, 3, 64, 3, padding=1)
MID = layer(56, 64, 64, 3, padding=1)
DILATED = layer(64, 8, 16, 3, dilation=4)
WIDE = layer(128, 1, 1, 65)  # one 65x65 filter: 64x64 positions x 4,225 taps each
DEEP = layer(1, 4096, 4096, 1)  # the depth and filter limits: 16.8M weights
TALL = layer([4096, 64], 1, 4, 3, padding=1)  # the side limit: a 4096-row input
PADDED = layer(7, 1, 1, 3, padding=1000, stride=1002)  # 3x3 output of a 2007x2007 padded input
LOCAL = layer(32, 3, 8, 5, connectivity="local")
RELU = {**ALEXNET, "activation": "relu"}


def near_zero(size: int, depth: int, filters: int, f: int, stripes: bool) -> Json:
    """A layer whose every output is near 0 and not exact: under zero-sum filters, an input
    of 0.1 everywhere (flat: settled by the windows' extremes), or of columns of 0 and 0.1
    under filters whose every other column sums to 0 (each window holds a 0, so every sum
    needs its products' own sizes: the rounding bound's worst case, engine/rounding.py)."""
    weights = np.random.default_rng(0).normal(size=(filters, f, f, depth))
    for first in (0, 1) if stripes else ():
        columns = weights[:, :, first::2, :]
        columns -= columns.mean(axis=(1, 2, 3), keepdims=True)
    if not stripes:
        weights -= weights.mean(axis=(1, 2, 3), keepdims=True)
    spec = layer(size, depth, filters, f)
    if stripes:
        import base64

        x = np.zeros((size, size, depth))
        x[:, 1::2, :] = 0.1
        spec["input"]["values"] = {"dtype": "float64", "shape": [size, size, depth],
                                   "data": base64.b64encode(x.tobytes()).decode("ascii")}
    else:
        spec["input"]["fill"] = {"kind": "uniform", "low": 0.1, "high": 0.1}
    spec["filters"]["values"] = weights.tolist()
    spec["filters"]["bias"] = [0.0] * filters
    return spec


def post(name: str, path: str, body: Json, **kwargs: Any) -> Case:
    return Case(name, "POST", path, body, **kwargs)


def steps(spec: Json, count: int, **options: Any) -> Json:
    return {"layer": spec, "count": count, **options}


def cases() -> list[Case]:
    """The spread of requests, from tiny to the server's limits."""
    compact = "?encoding=compact"
    up: Json = {"upstream": {}}
    return [
        # forward: every option that changes the work, both encodings
        post("forward demo json", "/api/forward", DEMO),
        post("forward 32x32x3 K8 F5 json", "/api/forward", SMALL),
        post("forward AlexNet conv1 json", "/api/forward", ALEXNET),
        post("forward AlexNet conv1 compact", "/api/forward" + compact, ALEXNET),
        post("forward AlexNet conv1 relu compact", "/api/forward" + compact, RELU),
        post("forward VGG conv1_1 compact", "/api/forward" + compact, VGG),
        post("forward VGG conv1_1 json", "/api/forward", VGG),
        post("forward 56x56x64 K64 F3 compact", "/api/forward" + compact, MID),
        post("forward dilation 4 json", "/api/forward", DILATED),
        post("forward 65x65 filter compact", "/api/forward" + compact, WIDE),
        post("forward depth 4096 K4096 compact", "/api/forward" + compact, DEEP),
        post("forward depth 4096 K4096 json", "/api/forward", DEEP),
        post("forward 4096x64 input json", "/api/forward", TALL),
        # fits by its fit policy: the answer marks its suggestions, each layer resolved
        post("forward 4096 F1 stride 7 floor json", "/api/forward",
             layer(4096, 1, 1, 1, stride=7, fit="floor")),
        # every output near 0 (the rounding bound's worst case), a wide filter and many
        *(post(f"forward near 0 {kind} {name} compact",
               "/api/forward" + compact, near_zero(*sizes, stripes=kind == "stripes"),
               reseed=False)
          for kind in ("flat", "stripes")
          for name, sizes in (("65x65 filter", (128, 1, 1, 65)),
                              ("K96 F11 S1", (227, 3, 96, 11)))),
        post("forward padding 1000 compact", "/api/forward" + compact, PADDED),
        post("forward padding 1000 json", "/api/forward", PADDED),
        post("forward local 32x32x3 json", "/api/forward", LOCAL),
        post("forward local 32x32x3 compact", "/api/forward" + compact, LOCAL),
        post("forward AlexNet values json", "/api/forward" + compact,
             with_values(ALEXNET, compact=False), reseed=False),
        post("forward AlexNet values compact", "/api/forward" + compact,
             with_values(ALEXNET, compact=True), reseed=False),
        # steps: every 1 and > 1, with and without upstream, both orders, both encodings
        post("steps demo 1", "/api/steps", steps(DEMO, 1)),
        post("steps demo 18 upstream", "/api/steps", steps(DEMO, 18, **up)),
        post("steps AlexNet 1 json", "/api/steps", steps(ALEXNET, 1)),
        post("steps AlexNet 1000 json", "/api/steps", steps(ALEXNET, 1000)),
        post("steps AlexNet 1000 compact", "/api/steps",
             steps(ALEXNET, 1000, encoding="compact")),
        post("steps AlexNet 1000 column compact", "/api/steps",
             steps(ALEXNET, 1000, order="depth_column", encoding="compact")),
        post("steps AlexNet 1000 upstream compact", "/api/steps",
             steps(ALEXNET, 1000, encoding="compact", **up)),
        post("steps AlexNet 1000 upstream json", "/api/steps", steps(ALEXNET, 1000, **up)),
        post("steps AlexNet 1000 column upstream compact", "/api/steps",
             steps(ALEXNET, 1000, order="depth_column", encoding="compact", **up)),
        post("steps AlexNet 1000 every 50 compact", "/api/steps",
             steps(ALEXNET, 1000, every=50, encoding="compact")),
        post("steps AlexNet 1000 every 50 upstream compact", "/api/steps",
             steps(ALEXNET, 1000, every=50, encoding="compact", **up)),
        post("steps AlexNet 1000 every 50 upstream json", "/api/steps",
             steps(ALEXNET, 1000, every=50, **up)),
        post("steps AlexNet 1000 every 290 column upstream json", "/api/steps",
             steps(ALEXNET, 1000, every=290, order="depth_column", **up)),
        post("steps AlexNet 1000 every 290 upstream json", "/api/steps",
             steps(ALEXNET, 1000, every=290, **up)),
        # the upstream gradient's 290,400 values in the body (3 MB of JSON)
        post("steps AlexNet 10 upstream values json", "/api/steps",
             steps(ALEXNET, 10, upstream={"values": upstream_values(ALEXNET_OUTPUT)})),
        post("steps AlexNet 1000 relu upstream compact", "/api/steps",
             steps(RELU, 1000, encoding="compact", **up)),
        post("steps dilation 4 1000 upstream json", "/api/steps", steps(DILATED, 1000, **up)),
        post("steps local 1000 upstream json", "/api/steps", steps(LOCAL, 1000, **up)),
        post("steps 65x65 filter 1000 upstream compact", "/api/steps",
             steps(WIDE, 1000, encoding="compact", **up)),
        post("steps depth 4096 1000 upstream compact", "/api/steps",
             steps(DEEP, 1000, encoding="compact", **up)),
        post("steps 4096x64 every 7 upstream json", "/api/steps",
             steps(TALL, 1000, every=7, **up)),
        # geometry, inverse, backward
        post("geometry demo", "/api/geometry", DEMO),
        post("geometry misfit (suggestions)", "/api/geometry", layer(10, 1, 1, 3, stride=2)),
        post("geometry 4096 F2048 fit pad", "/api/geometry",
             layer(4096, 1, 1, 2048, stride=3, fit="pad")),
        # a misfit with the most suggestion candidates a 4096 input allows, and a layer
        # whose windows miss most of the input (thousands of unseen cells listed)
        post("geometry 4096 F4000 misfit", "/api/geometry", layer(4096, 1, 1, 4000, stride=7)),
        # the widest filter-size search: two strides each side reach the whole input
        post("geometry 4096 F2 stride 4000 misfit", "/api/geometry",
             layer(4096, 1, 1, 2, stride=4000)),
        post("geometry 4096 F1 stride 7 floor", "/api/geometry",
             layer(4096, 1, 1, 1, stride=7, fit="floor")),
        # a filter far wider than its input (taps 4,095 apart on 2 cells): its suggestion
        # search tries a padding per cell of the span, and its suggested inputs are 4,097 wide
        post("geometry too wide, dilation 4095 (suggestions)", "/api/geometry",
             layer(2, 1, 1, 2, dilation=4095)),
        # suggestions whose layers' unread cells are counted tap by tap: inputs of 61,441
        post("geometry 4096 F16 dilation 4096 misfit", "/api/geometry",
             layer(4096, 1, 1, 16, stride=7, dilation=4096)),
        post("input misfit json", "/api/input", layer(10, 1, 1, 3, stride=2)),
        # resolved (no suggestions) to check its weights' values and edits
        post("input local 4096x64 misfit json", "/api/input",
             {**layer([4096, 64], 1, 4, 3, stride=2), "connectivity": "local"}),
        post("input AlexNet 224 compact", "/api/input" + compact,
             layer(224, 3, 96, 11, stride=4)),
        post("input AlexNet 224 json", "/api/input", layer(224, 3, 96, 11, stride=4)),
        post("input padding 1000 json", "/api/input", PADDED),
        post("input 4096x64 json", "/api/input", TALL),
        post("inverse AlexNet", "/api/inverse", {"layer": ALEXNET, "cell": [100, 100]}),
        post("inverse 65x65 filter", "/api/inverse", {"layer": WIDE, "cell": [64, 64]}),
        post("inverse 573x573 filter (328,329 taps)", "/api/inverse",
             {"layer": layer(1146, 1, 1, 573), "cell": [573, 573]}),
        post("inverse 4096x64 F3 dilation 2", "/api/inverse",
             {"layer": layer([4096, 64], 1, 1, [1024, 3], dilation=[2, 1]),
              "cell": [2048, 30]}),
        post("backward demo json", "/api/backward", {"layer": DEMO}),
        post("backward AlexNet json", "/api/backward", {"layer": ALEXNET}),
        post("backward AlexNet compact", "/api/backward" + compact, {"layer": ALEXNET}),
        post("backward AlexNet relu compact", "/api/backward" + compact, {"layer": RELU}),
        post("backward 56x56x64 compact", "/api/backward" + compact, {"layer": MID}),
        post("backward dilation 4 json", "/api/backward", {"layer": DILATED}),
        post("backward local 32x32x3 json", "/api/backward", {"layer": LOCAL}),
        # parts: only the gradients asked for are computed and priced (the page asks for
        # dx and db); a ReLU's db alone is the forward's gate and a sum
        post("backward AlexNet relu dx, db compact", "/api/backward" + compact,
             {"layer": RELU, "parts": ["dx", "db"]}),
        post("backward AlexNet dw compact", "/api/backward" + compact,
             {"layer": ALEXNET, "parts": ["dw"]}),
        post("backward AlexNet relu db json", "/api/backward", {"layer": RELU, "parts": ["db"]}),
        post("backward local 32x32x3 dx, db compact", "/api/backward" + compact,
             {"layer": LOCAL, "parts": ["dx", "db"]}),
        post("backward depth 4096 compact", "/api/backward" + compact, {"layer": DEEP}),
        # one wide filter: 44 million window values, the shared-weight backward's band buffers
        post("backward one 81x81 filter compact", "/api/backward" + compact,
             {"layer": layer(162, 1, 1, 81)}),
        post("backward one 110x110 filter compact", "/api/backward" + compact,
             {"layer": layer(220, 1, 1, 110)}),
        # one position whose window is all padding but one cell: 4.2 million taps, dX added
        # back by position (by tap, it was one Python-level add per tap: 10-15 s)
        post("backward one position, 2047x2047 filter compact", "/api/backward" + compact,
             {"layer": layer(1, 1, 1, 2047, padding=1023)}),
        post("backward local one position, 2047x2047 filter compact",
             "/api/backward" + compact,
             {"layer": layer(1, 1, 1, 2047, padding=1023, connectivity="local")}),
        # images and filter banks
        Case("image sample compact", "GET", "/api/images/scene", reseed=False, fixed=True),
        Case("image sample json", "GET", "/api/images/scene?encoding=json", reseed=False,
             fixed=True),
        Case("upload 64x64 PNG json", "POST", "/api/images?encoding=json", png(64, 64, True),
             "image/png", reseed=False),
        Case("upload 1700x1700 noisy PNG", "POST", "/api/images", png(1700, 1700, True),
             "image/png", reseed=False),
        Case("upload 6000x6000 flat PNG", "POST", "/api/images", png(6000, 6000, False),
             "image/png", reseed=False),
        Case("upload 6000x6000 JPEG", "POST", "/api/images", jpeg(6000, 6000),
             "image/jpeg", reseed=False),
        Case("upload 4000x3000 noisy JPEG", "POST", "/api/images", jpeg(4000, 3000, 12),
             "image/jpeg", reseed=False),
        # a progressive JPEG's decoder keeps every block and walks them scan by scan
        Case("upload 4000x3000 noisy progressive JPEG", "POST", "/api/images",
             jpeg(4000, 3000, 12, progressive=True), "image/jpeg", reseed=False),
        Case("upload 6300x6300 4:4:4 progressive JPEG", "POST", "/api/images",
             jpeg(6300, 6300, progressive=True, subsampling=0), "image/jpeg", reseed=False),
        Case("upload 3000x3000 progressive JPEG, a scan 90 times", "POST", "/api/images",
             repeated_scan(jpeg(3000, 3000, progressive=True, subsampling=0), 90),
             "image/jpeg", reseed=False),
        # Pillow reads each chunk in Python
        Case("upload 1x1 PNG of 9,000 empty chunks", "POST", "/api/images", padded_png(9000),
             "image/png", reseed=False),
        # a tall strip: the decoder's work per row, and a resize by a factor of 10,000
        Case("upload 1x2000000 flat PNG", "POST", "/api/images", png(1, 2_000_000, False),
             "image/png", reseed=False),
        Case("filter banks", "GET", "/api/filter-banks", reseed=False, fixed=True),
        Case("filter bank first-layer", "GET", "/api/filter-banks/first-layer", reseed=False,
             fixed=True),
    ]


# ----------------------------------------------------------------------------- running


_SEEDS = itertools.count(1)


def reseeded(body: Json) -> Json:
    """``body`` with fresh fill seeds, so the layer cache cannot answer it."""
    out = copy.deepcopy(body)
    spec = out.get("layer", out)
    seed = next(_SEEDS)
    spec.setdefault("input", {}).setdefault("fill", {})["seed"] = seed
    spec["filters"].setdefault("fill", {})["seed"] = seed
    return out


def shape_caches() -> list[Any]:
    """The app's caches of answers per shape or geometry (functools caches of pure functions
    of frozen values): emptied before each timed run, so none of a run's work is skipped."""
    return [
        value
        for module in (answers, costs, layer_cache)
        for value in vars(module).values()
        if callable(getattr(value, "cache_clear", None))
        and getattr(value, "__module__", None) == module.__name__
    ]


class Estimates:
    """Records the largest total each request passed to ``app.costs.check_budget``."""

    def __init__(self) -> None:
        self.largest: int | None = None
        original = costs.check_budget
        signature = inspect.signature(original)

        @functools.wraps(original)
        def recording(*args: Any, **kwargs: Any) -> None:
            # bound by check_budget's own signature, whatever parameters it gains (a fixed
            # copy of it broke the bench when it gained spec=)
            bound = signature.bind(*args, **kwargs)
            # this request's own price: another's (a geometry answer's over_limit) goes
            # through costs.budget_refusal
            total = sum(item.work for item in bound.arguments["items"])
            self.largest = total if self.largest is None else max(self.largest, total)
            original(*args, **kwargs)

        self._patched = [module for module in list(sys.modules.values())
                         if getattr(module, "check_budget", None) is original]
        self._original = original
        for module in self._patched:
            module.check_budget = recording  # type: ignore[attr-defined]

    def close(self) -> None:
        """Put ``check_budget`` back where it was replaced (a test runs the bench in process)."""
        for module in self._patched:
            module.check_budget = self._original  # type: ignore[attr-defined]


async def start(app: Any) -> tuple[dict[str, Any], asyncio.Event]:
    """Run the app's lifespan (its engine workers, as a server would) until the returned
    event is set; the lifespan state is what each request's scope carries."""
    state: dict[str, Any] = {}
    started, stop = asyncio.Event(), asyncio.Event()
    asked = False

    async def receive() -> dict[str, Any]:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "lifespan.startup"}
        await stop.wait()
        return {"type": "lifespan.shutdown"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "lifespan.startup.complete":
            started.set()
        elif message["type"] == "lifespan.startup.failed":
            raise SystemExit(f"the app did not start: {message.get('message')}")

    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": state}
    task = asyncio.get_running_loop().create_task(app(scope, receive, send))
    started_or_done = asyncio.ensure_future(started.wait())
    await asyncio.wait([task, started_or_done], return_when=asyncio.FIRST_COMPLETED)
    _LIFESPAN.append(task)  # keep a reference while the loop runs it
    return state, stop


_LIFESPAN: list[asyncio.Task[Any]] = []


async def call(app: Any, case: Case, body: bytes, state: dict[str, Any]) -> tuple[int, bytes]:
    """(status, the answer's first bytes) of one request through the ASGI app."""
    path, _, query = case.path.partition("?")
    headers = [(b"host", b"bench")]
    if case.method == "POST":
        headers += [(b"content-type", case.content_type.encode()),
                    (b"content-length", str(len(body)).encode())]
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
        "method": case.method, "scheme": "http", "path": path, "raw_path": path.encode(),
        "query_string": query.encode(), "headers": headers, "client": ("127.0.0.1", 1),
        "server": ("bench", 80), "root_path": "", "state": dict(state),
    }
    sent = False
    status, head = 0, b""

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)  # the request is over: wait for a disconnect never sent
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, head
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body" and len(head) < 300:
            head += message.get("body", b"")[:300]

    await app(scope, receive, send)
    return status, head


# A row of a few milliseconds is at the mercy of one collection or one preemption: it runs
# until it has had this much time or FAST_REPEATS runs, so its median is of more than three.
FAST_SECONDS = 0.1
FAST_REPEATS = 15


def run_case(app: Any, loop: asyncio.AbstractEventLoop, state: dict[str, Any],
             estimates: Estimates, case: Case, repeats: int, row_seconds: float) -> None:
    """One untimed warm-up, then ``repeats`` timed runs (fewer for a slow row, up to
    FAST_REPEATS for a fast one)."""
    spent = 0.0
    caches = shape_caches()
    most = max(repeats, FAST_REPEATS) if repeats > 1 else repeats
    for run in range(most + 1):
        if run > repeats and spent > FAST_SECONDS:
            return
        if isinstance(case.body, dict):
            data = json.dumps(reseeded(case.body) if case.reseed else case.body).encode()
        else:
            data = case.body or b""
        estimates.largest = None
        for cache in caches:
            cache.cache_clear()
        began, cpu = time.perf_counter(), time.process_time()
        status, answer = loop.run_until_complete(call(app, case, data, state))
        took, wall = time.process_time() - cpu, time.perf_counter() - began
        if status != case.expect:
            raise SystemExit(f"{case.name}: status {status}, expected {case.expect}: "
                             f"{answer[:300]!r}")
        case.estimate = estimates.largest
        if run:  # the first run warms up
            case.times.append(took)
            case.walls.append(wall)
            spent += wall
        elif wall > row_seconds:
            case.times.append(took)  # too slow to repeat: its one run is its figure
            case.walls.append(wall)
            return
        if spent > row_seconds:
            return


def report(rows: list[Case], budget: int) -> bool:
    """Print the table and the verdict; True when both targets hold."""
    priced = [c for c in rows if c.estimate]
    ratios = {c.name: statistics.median(c.times) / c.estimate for c in priced}  # type: ignore[operator]
    low = min(ratios.values())
    print(f"{'request':50} {'estimate':>14} {'cpu ms':>9} {'wall ms':>9} {'ratio':>6} "
          f"{'budget':>7}")
    for case in rows:
        ms = statistics.median(case.times) * 1e3
        wall = statistics.median(case.walls) * 1e3
        if case.estimate is None:
            what = "fixed" if case.fixed else "UNPRICED"
            print(f"{case.name:50} {what:>14} {ms:9.1f} {wall:9.1f} {'-':>6} {'-':>7}")
            continue
        within = "under" if case.estimate <= budget else "OVER"
        print(f"{case.name:50} {case.estimate:14,} {ms:9.1f} {wall:9.1f} "
              f"{ratios[case.name] / low:6.2f} {within:>7}")
    spread = max(ratios.values()) / low
    slow = [c for c in priced if c.estimate <= budget and statistics.median(c.times) >= 1.0]  # type: ignore[operator]
    unpriced = [c.name for c in rows if c.estimate is None and not c.fixed]
    worst = max(ratios, key=lambda name: ratios[name])
    print(f"\nratio spread (max/min time/estimate): {spread:.1f} (target <= 10); "
          f"slowest per unit: {worst}, fastest: {min(ratios, key=lambda n: ratios[n])}")
    print(f"ns per work unit: {low * 1e9:.3f} .. {max(ratios.values()) * 1e9:.3f}; "
          f"the budget {budget:,} is {max(ratios.values()) * budget:.2f} s at the slowest")
    print(f"under the budget but >= 1 s of CPU: {[c.name for c in slow] or 'none'}")
    if unpriced:
        print(f"requests the server does not price: {unpriced}")
    return spread <= 10 and not slow and not unpriced


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per row (median)")
    parser.add_argument("--row-seconds", type=float, default=1.0,
                        help="stop repeating a row once its runs took this long")
    parser.add_argument("--seconds", type=float, default=100.0,
                        help="past this long, each remaining row runs once (keeps a busy "
                        "machine's run under 3 minutes)")
    parser.add_argument("--quick", action="store_true", help="one timed run per row")
    parser.add_argument("--strict", action="store_true", help="exit 1 on a missed target")
    parser.add_argument("--only", default="", help="run the rows whose name holds this")
    parser.add_argument("--verbose", action="store_true", help="print each row as it ends")
    args = parser.parse_args()
    lifted = Settings(max_work=10**15, max_body_bytes=2**30)
    app = create_app(lifted)
    app.dependency_overrides[get_settings] = lambda: lifted
    estimates = Estimates()
    loop = asyncio.new_event_loop()
    state, stop = loop.run_until_complete(start(app))
    rows = [c for c in cases() if args.only in c.name]
    if not rows:
        raise SystemExit(f"no row's name holds {args.only!r} (names are as the table prints "
                         "them, e.g. 'steps AlexNet')")
    for case in cases()[:3]:  # the process's first requests pay for lazy imports
        run_case(app, loop, state, estimates, case, 2, args.row_seconds)
    began = time.perf_counter()
    for case in rows:
        late = time.perf_counter() - began > args.seconds
        run_case(app, loop, state, estimates, case, 1 if args.quick or late else args.repeats,
                 args.row_seconds)
        if args.verbose:
            print(f"{case.name:50} {case.estimate or 0:14,} "
                  f"{statistics.median(case.times) * 1e3:9.1f} cpu ms "
                  f"{statistics.median(case.walls) * 1e3:9.1f} wall ms", flush=True)
    print(f"{len(rows)} requests in {time.perf_counter() - began:.0f} s; times are medians "
          "of the runs after an untimed one, each as a new layer (one run for a row slower "
          "than --row-seconds)\n")
    stop.set()
    loop.run_until_complete(asyncio.gather(*_LIFESPAN))
    ok = report(rows, BUDGET)
    if args.strict and not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
