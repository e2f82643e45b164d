"""Request cost: ConvScope against a bare FastAPI app, both under wrk in the same run.

Not a test: it prints figures. It starts ConvScope (``app.main:app``) and the bare app of
``benchmarks/_bare_app.py`` (one endpoint answering the same health JSON) with the same uvicorn
options (one worker, 127.0.0.1, free ports), then loads them with ``wrk`` (``apt-get install
wrk``), one thread, at 16 and 64 connections, ``--seconds`` a run:

- ``bare health``: the bare app's ``/api/health``, the yardstick;
- ``health``: ConvScope's ``/api/health`` (target >= **80 %** of the bare app's requests/s);
- ``alexnet step``: ``POST /api/steps`` with one random step of the AlexNet conv1 preset per
  request (target >= **50 %**), in the API's default JSON;
- ``alexnet step, compact``: the same in the compact encoding, as the page asks for a step of
  that many values (same target);
- ``demo forward``: ``POST /api/forward`` of the CS231n demo preset (target >= **50 %**).

Each round runs every case at both connection counts, the bare app interleaved with the others,
so a busy moment of a shared machine hits both; the summary takes each case's best round and
divides by the bare app's best round at the same connection count. Both servers run on one
core and wrk on the others (``--no-pin`` leaves them to the scheduler): one worker uses one
core, and wrk sharing it in turns would measure the scheduler. ``--seconds 5`` is the
default: a quick, provisional figure; measure on a quiet machine for the record.

Beside requests/s each run reports the server's CPU time per request (its threads' user and
system time over the run, divided by the requests wrk completed), and the summary the bare
app's CPU per request over each case's (lowest of the rounds): where the server is the
bottleneck the two ratios agree, and on a busy machine, where wrk and the other jobs take the
cores in turns, the CPU ratio is the steadier guide.

    .venv/bin/python benchmarks/bench_requests.py [--seconds 5] [--rounds 2] [--strict] [--no-pin]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the checkout importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._wrk import (
    POST_LUA,
    LoadRun,
    fetch_json,
    free_port,
    run_wrk,
    server,
    split_cores,
    steps_lua,
    uvicorn_command,
)

CONNECTIONS = (16, 64)
TARGETS = {"health": 0.80, "alexnet step": 0.50, "alexnet step, compact": 0.50,
           "demo forward": 0.50}
ALEXNET_OUTPUT = (55, 55, 96)  # the notes' AlexNet conv1 output volume


def step_script(url: str, encoding: str | None = None) -> str:
    """The AlexNet single-step wrk script, asking the way this server's /api/steps reads
    (``position`` where the schema has it, else ``start``)."""
    alexnet = fetch_json(f"{url}/api/presets/alexnet-conv1")["layer"]  # type: ignore[index]
    schema = fetch_json(f"{url}/openapi.json")
    fields = schema["components"]["schemas"]["StepsRequest"]["properties"]  # type: ignore[index]
    h2, w2, k = ALEXNET_OUTPUT
    position = ALEXNET_OUTPUT if "position" in fields else None
    return steps_lua(alexnet, h2 * w2 * k, position, encoding)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=5, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of every case")
    parser.add_argument("--strict", action="store_true", help="exit 1 on a missed target")
    parser.add_argument("--no-pin", action="store_true",
                        help="leave the servers and wrk to the scheduler's choice of cores")
    args = parser.parse_args(argv)

    split = None if args.no_pin else split_cores()
    server_cores, wrk_cores = split if split is not None else (None, None)
    app_port, bare_port = free_port(), free_port()
    with server(uvicorn_command("app.main:app", app_port), app_port, "ConvScope",
                cores=server_cores) as (app_url, app_pid), server(
            uvicorn_command("benchmarks._bare_app:app", bare_port), bare_port, "the bare app",
            cores=server_cores) as (bare_url, bare_pid):
        demo = fetch_json(f"{app_url}/api/presets/cs231n-demo")["layer"]  # type: ignore[index]
        cases = [
            ("bare health", bare_url, bare_pid, "/api/health", ""),
            ("health", app_url, app_pid, "/api/health", ""),
            ("alexnet step", app_url, app_pid, "/api/steps", step_script(app_url)),
            ("alexnet step, compact", app_url, app_pid, "/api/steps",
             step_script(app_url, "compact")),
            ("demo forward", app_url, app_pid, "/api/forward",
             POST_LUA.replace("BODY", json.dumps(demo))),
        ]
        where = ("cores left to the scheduler" if split is None else
                 f"servers on core {sorted(split[0])}, wrk on {sorted(split[1])}")
        print(f"wrk -t1, {args.seconds} s a run, {args.rounds} round(s); load average "
              f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; {where}", flush=True)
        for name, url, pid, path, script in cases:  # warm-up: imports, caches, arenas
            run_wrk(url, pid, name, path, script, CONNECTIONS[0], min(args.seconds, 2),
                    wrk_cores)
        runs: list[LoadRun] = []
        for round_ in range(args.rounds):
            for connections in CONNECTIONS:
                for name, url, pid, path, script in cases:
                    run = run_wrk(url, pid, name, path, script, connections, args.seconds,
                                  wrk_cores)
                    runs.append(run)
                    print(f"  round {round_ + 1} {name:21} c={connections:<3} {run.rate:8.0f} "
                          f"req/s  p50 {run.p50_ms:7.2f} ms  p99 {run.p99_ms:7.2f} ms  "
                          f"CPU {run.cpu_per_request_us:6.0f} us/req  failed {run.failed}",
                          flush=True)
        print(f"load average at the end {os.getloadavg()[0]:.1f}")

    ok = all(run.failed == 0 for run in runs)
    print("best round of each, and its share of the bare app's best:")
    for connections in CONNECTIONS:
        def best(name: str, connections: int = connections) -> float:
            return max(r.rate for r in runs if r.name == name and r.connections == connections)

        def cpu(name: str, connections: int = connections) -> float:
            return min(r.cpu_per_request_us for r in runs
                       if r.name == name and r.connections == connections)

        bare = best("bare health")
        print(f"  c={connections:<3} bare health {bare:8.0f} req/s  CPU {cpu('bare health'):6.0f} "
              "us/req")
        for name, target in TARGETS.items():
            share = best(name) / bare
            ok = ok and share >= target
            print(f"  c={connections:<3} {name:21} {best(name):8.0f} req/s  {share:6.1%} of bare "
                  f"(target >= {target:.0%}){'' if share >= target else '  MISSED'}  CPU "
                  f"{cpu(name):6.0f} us/req, bare/this {cpu('bare health') / cpu(name):6.1%}")
    print("all targets met" if ok else "SOME TARGETS MISSED (or requests failed)")
    return 0 if ok or not args.strict else 1


if __name__ == "__main__":
    sys.exit(main())
