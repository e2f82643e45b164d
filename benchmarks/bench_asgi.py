"""Request cost in process: the CPU time the app spends per request, with no server and no wrk.

Not a test: it prints figures. ``bench_requests.py`` measures what users see (uvicorn under
wrk), but its figures move with everything else the machine runs. This calls the ASGI apps
directly, ``app(scope, receive, send)`` inside their lifespan (as uvicorn would, minus the
HTTP parsing and the socket), and reads the process's CPU time (``time.process_time``) over
a batch of requests, so it is steady enough on a shared machine to compare two versions of
the code. The cases are ``bench_requests.py``'s:

- ``bare health``: ``benchmarks/_bare_app.py``'s ``/api/health``, the yardstick;
- ``health``: ConvScope's ``/api/health``;
- ``alexnet step``: ``POST /api/steps``, one AlexNet conv1 step at a seeded random position
  per request (the same body as the wrk script's);
- ``demo forward``: ``POST /api/forward`` of the CS231n demo preset.

Each round runs every case (a batch of ``--requests`` each, after an untimed warm-up batch),
the cases taking turns; each case's figure is its lowest round (noise only adds time).
Every answer's status is checked (200).

``--profile CASE`` runs one batch of that case under cProfile and prints the functions that
took the most time (own and cumulative). ``--compare DIR`` times another checkout of the
project (a directory with its own ``app/``, e.g. ``git worktree add /tmp/base main``) against
this one: each round runs this script once in each checkout, in turns, as subprocesses, and
the summary gives both figures and their ratio.

    .venv/bin/python -m benchmarks.bench_asgi [--requests 4000] [--rounds 3]
    .venv/bin/python -m benchmarks.bench_asgi --profile "alexnet step"
    .venv/bin/python -m benchmarks.bench_asgi --compare /tmp/base --rounds 4
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import random
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the checkout importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ALEXNET_OUTPUT = (55, 55, 96)  # the notes' AlexNet conv1 output volume
CASES = ("bare health", "health", "alexnet step", "demo forward")


@dataclass
class Case:
    """A case: the app it calls, its method and path, and how to make each request's body."""

    name: str
    app: Any
    method: str
    path: str
    body: Callable[[random.Random], bytes] | None = None
    times: list[float] = field(default_factory=list)  # CPU seconds per request, per round


def _scope(case: Case, body: bytes, state: dict[str, Any]) -> dict[str, Any]:
    headers = [(b"host", b"127.0.0.1"), (b"user-agent", b"bench")]
    if case.method == "POST":
        headers += [(b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode())]
    return {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
        "method": case.method, "scheme": "http", "path": case.path,
        "raw_path": case.path.encode(), "query_string": b"", "headers": headers,
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "root_path": "",
        "state": dict(state),  # uvicorn gives each request a shallow copy of the lifespan's
    }


async def _request(case: Case, body: bytes, state: dict[str, Any]) -> tuple[int, bytes]:
    """(status, answer bytes) of one request through the case's ASGI app."""
    status, chunks = 0, []
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:  # the request is over: a disconnect never comes
            await asyncio.Event().wait()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await case.app(_scope(case, body, state), receive, send)
    return status, b"".join(chunks)


async def _batch(case: Case, bodies: list[bytes], state: dict[str, Any]) -> float:
    """CPU seconds per request over ``bodies``, one request after the other."""
    began = time.process_time()
    for body in bodies:
        status, answer = await _request(case, body, state)
        if status != 200:
            raise SystemExit(f"{case.name}: status {status}: {answer[:300]!r}")
    return (time.process_time() - began) / len(bodies)


def _lifespan(app: Any) -> AbstractAsyncContextManager[Any]:
    """The app's lifespan as uvicorn runs it: its state is what each request's scope gets."""
    return app.router.lifespan_context(app)  # type: ignore[no-any-return]


def cases() -> list[Case]:
    from app.answers import preset_spec
    from app.main import app
    from benchmarks._bare_app import app as bare
    from engine.presets import PRESETS

    alexnet_spec = PRESETS["alexnet-conv1"]
    demo_spec = PRESETS["cs231n-demo"]
    # Written as the wrk scripts write them: Python's json, from the preset's answer.
    alexnet = json.dumps(preset_spec(alexnet_spec).model_dump(mode="json")).encode()
    demo = json.dumps(preset_spec(demo_spec).model_dump(mode="json")).encode()
    h2, w2, k = ALEXNET_OUTPUT

    def step(rng: random.Random) -> bytes:  # as the wrk script asks (benchmarks/_wrk.py)
        position = f"[{rng.randrange(h2)}, {rng.randrange(w2)}, {rng.randrange(k)}]"
        return b'{"layer": ' + alexnet + b', "position": ' + position.encode() + b', "count": 1}'

    return [
        Case("bare health", bare, "GET", "/api/health"),
        Case("health", app, "GET", "/api/health"),
        Case("alexnet step", app, "POST", "/api/steps", step),
        Case("demo forward", app, "POST", "/api/forward", lambda rng: demo),
    ]


def _bodies(case: Case, count: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    return [b"" if case.body is None else case.body(rng) for _ in range(count)]


async def _run(chosen: list[Case], requests: int, rounds: int) -> None:
    apps = {id(c.app): c.app for c in chosen}
    states: dict[int, dict[str, Any]] = {}
    contexts = [_lifespan(app) for app in apps.values()]
    for key, context in zip(apps, contexts, strict=True):
        states[key] = dict(await context.__aenter__() or {})
    try:
        for case in chosen:  # warm-up: imports, caches, the layer
            await _batch(case, _bodies(case, min(requests, 500), 1), states[id(case.app)])
        for round_ in range(rounds):
            for case in chosen:
                bodies = _bodies(case, requests, 7 + round_)
                case.times.append(await _batch(case, bodies, states[id(case.app)]))
    finally:
        for context in reversed(contexts):
            await context.__aexit__(None, None, None)


async def _profile(case: Case, requests: int, top: int) -> None:
    async with _lifespan(case.app) as state:
        state = dict(state or {})
        await _batch(case, _bodies(case, min(requests, 500), 1), state)
        bodies = _bodies(case, requests, 7)
        profiler = cProfile.Profile()
        profiler.enable()
        await _batch(case, bodies, state)
        profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)


def _compare(other: Path, names: list[str], requests: int, rounds: int, batches: int) -> int:
    """Each round: this script once in ``other`` and once here, in turns, each timing
    ``batches`` batches of every case and keeping its lowest."""
    here = Path(__file__).resolve().parent.parent
    figures: dict[str, dict[str, list[float]]] = {"base": {}, "this": {}}
    for round_ in range(rounds):
        order = [("base", other), ("this", here)]
        if round_ % 2:
            order.reverse()
        for label, root in order:
            out = subprocess.run(
                [sys.executable, str(Path(__file__).resolve()), "--json", "--root", str(root),
                 "--rounds", str(batches),
                 "--requests", str(requests), "--cases", ",".join(names)],
                cwd=root, capture_output=True, text=True, check=True,
            ).stdout
            for name, seconds in json.loads(out.splitlines()[-1]).items():
                figures[label].setdefault(name, []).append(seconds)
            print(f"  round {round_ + 1} {label}: " + "  ".join(
                f"{name} {figures[label][name][-1] * 1e6:6.0f}" for name in names), flush=True)
    print(f"CPU us per request, lowest of {rounds} rounds ({other} = base):")
    for name in names:
        base, this = min(figures["base"][name]), min(figures["this"][name])
        print(f"  {name:13} base {base * 1e6:7.1f}  this {this * 1e6:7.1f}  "
              f"this/base {this / base:6.3f}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=4000, help="requests a batch")
    parser.add_argument("--rounds", type=int, default=3, help="timed batches of each case")
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated case names")
    parser.add_argument("--profile", metavar="CASE", help="profile one batch of CASE")
    parser.add_argument("--top", type=int, default=40, help="functions a profile lists")
    parser.add_argument("--compare", type=Path, metavar="DIR",
                        help="another checkout to time against this one, in turns")
    parser.add_argument("--batches", type=int, default=5,
                        help="with --compare: batches of each case a checkout's turn times")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)  # the checkout to time
    args = parser.parse_args(argv)
    if args.root is not None:
        sys.path.insert(0, str(args.root.resolve()))
    names = [n.strip() for n in args.cases.split(",")]
    if unknown := set(names + ([args.profile] if args.profile else [])) - set(CASES):
        parser.error(f"unknown cases {sorted(unknown)}; known: {', '.join(CASES)}")
    if args.compare is not None:
        return _compare(args.compare, names, args.requests, args.rounds, args.batches)
    by_name = {c.name: c for c in cases()}
    if args.profile:
        asyncio.run(_profile(by_name[args.profile], args.requests, args.top))
        return 0
    chosen = [by_name[n] for n in names]
    if not args.json:
        print(f"{args.requests} requests a batch, {args.rounds} round(s); load average "
              f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    asyncio.run(_run(chosen, args.requests, args.rounds))
    if args.json:
        import app

        print(f"# {Path(app.__file__).resolve().parent}", file=sys.stderr)
        print(json.dumps({c.name: min(c.times) for c in chosen}))
        return 0
    bare = by_name.get("bare health")
    print("CPU us per request (lowest round; each round's in brackets):")
    for case in chosen:
        share = "" if bare is None or not bare.times else (
            f"  bare/this {min(bare.times) / min(case.times):6.1%}")
        rounds = " ".join(f"{t * 1e6:.0f}" for t in case.times)
        print(f"  {case.name:13} {min(case.times) * 1e6:7.1f}  [{rounds}]{share}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
