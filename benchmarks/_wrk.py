"""Load-test plumbing shared by ``bench_load.py`` and ``bench_requests.py``: a server on a free
loopback port, wrk runs with a Lua body script, the server's memory.

The leading underscore keeps ``make bench`` from running it as a benchmark of its own.
Everything goes to 127.0.0.1 only and every wrk run is bounded by its duration.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"

# wrk's done() hook prints one machine-readable line per run.
DONE_LUA = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d %d %d %d\n", summary.requests,
    summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""

# The same JSON body on every request.
POST_LUA = r"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [==[BODY]==]
"""


def steps_lua(layer: object, total: int, position: tuple[int, int, int] | None = None,
              encoding: str | None = None) -> str:
    """A wrk script asking for one random step of ``layer`` per request (``total`` steps), so
    no answer is cached anywhere.

    ``position`` (the output's ``(H2, W2, K)``) makes it ask by ``position: [i, j, d]``
    instead of by ``start``, for servers whose ``/api/steps`` reads that; ``encoding`` asks
    for that encoding (the server's default when None).
    """
    asked = "" if encoding is None else f', "encoding": "{encoding}"'
    if position is None:
        pick = """'"start": ' .. math.random(0, TOTAL - 1)"""
    else:
        h2, w2, k = position
        pick = (f"""'"position": [' .. math.random(0, {h2 - 1}) .. ', ' .. """
                f"""math.random(0, {w2 - 1}) .. ', ' .. math.random(0, {k - 1}) .. ']'""")
    script = r"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local layer = [==[LAYER]==]
math.randomseed(7)
request = function()
  local body = '{"layer": ' .. layer .. ', ' .. PICK .. ', "count": 1ENCODING}'
  return wrk.format(nil, nil, nil, body)
end
"""
    return (script.replace("PICK", pick).replace("LAYER", json.dumps(layer))
            .replace("TOTAL", str(total)).replace("ENCODING", asked))


# ----------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` and its children (uvicorn's workers), in MiB."""
    total = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if int(proc.name) == pid or ppid == pid:
                status = (proc / "status").read_text()
                total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
        except (OSError, ValueError, AttributeError):
            continue  # a process that ended while being read
    return total / 1024


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of ``pid``'s threads so far, in seconds.

    Divided by the requests a wrk run completed, it is the server's CPU per request: on a
    busy machine requests/s measure the machine as much as the server, CPU per request far
    less so.
    """
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # a thread that ended while being read
        total += int(fields[11]) + int(fields[12])  # utime, stime in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


def convscope_command(port: int, workers: int = 1) -> list[str]:
    """``convscope serve`` on ``port``, as users start it."""
    return [str(Path(sys.executable).with_name("convscope")), "serve", "--host", HOST,
            "--port", str(port), "--workers", str(workers)]


def uvicorn_command(app: str, port: int) -> list[str]:
    """uvicorn serving the import string ``app`` with ``convscope serve``'s options."""
    return [sys.executable, "-m", "uvicorn", app, "--host", HOST, "--port", str(port),
            "--workers", "1"]


Cores = frozenset[int]


def split_cores() -> tuple[Cores, Cores] | None:
    """(the server's core, wrk's cores) on a machine with two cores or more, else None.

    Left to the scheduler, a one-worker server and wrk share the cores in turns: at times
    both run on one core while the other idles, and a process moved between cores starts
    with cold caches. Kept apart, each has its own: the server's figures measure the server.
    """
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        return None
    return frozenset(cores[:1]), frozenset(cores[1:])


def _on(cores: Cores | None) -> Callable[[], None] | None:
    """A ``preexec_fn`` that keeps the child (and every thread it starts) on ``cores``."""
    if cores is None:
        return None
    return lambda: os.sched_setaffinity(0, cores)


@contextmanager
def server(command: Sequence[str], port: int, what: str = "the server",
           health: str = "/api/health", cores: Cores | None = None) -> Iterator[tuple[str, int]]:
    """Run ``command`` (which listens on ``port``; on ``cores`` if given) until ``health``
    answers 200; yields (base URL, pid), and stops the process on exit."""
    process = subprocess.Popen(list(command), cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, start_new_session=True,
                               preexec_fn=_on(cores))
    url = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}{health}", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit(f"{what} did not answer {health} within 30 s")
            time.sleep(0.1)
        yield url, process.pid
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def fetch_json(url: str) -> object:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return json.loads(answer.read())


# ----------------------------------------------------------------------------- wrk


@dataclass(frozen=True)
class LoadRun:
    name: str
    connections: int
    requests: int
    seconds: float
    failed: int
    p50_ms: float
    p99_ms: float
    rss_before: float
    rss_after: float
    cpu_seconds: float = 0.0  # the server's CPU time during the run

    @property
    def cpu_per_request_us(self) -> float:
        return self.cpu_seconds / max(self.requests, 1) * 1e6

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def run_wrk(url: str, pid: int, name: str, path: str, script: str, connections: int,
            seconds: int, cores: Cores | None = None) -> LoadRun:
    """One wrk run (one thread, ``connections`` connections, ``seconds`` long; on ``cores``
    if given) of ``path`` with the Lua ``script``; failed counts connect/read/write errors,
    timeouts and non-2xx."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script + DONE_LUA)
    try:
        before = rss_mib(pid)
        cpu_before = cpu_seconds(pid)
        out = subprocess.run(
            [wrk, "-t", "1", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
             "-s", lua.name, f"{url}{path}"],
            capture_output=True, text=True, timeout=seconds + 60, check=True,
            preexec_fn=_on(cores),
        ).stdout
        after = rss_mib(pid)
        cpu = cpu_seconds(pid) - cpu_before
    finally:
        os.unlink(lua.name)
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    count, micros, connect, read, write, status, timeout, p50, p99 = map(int, line.split()[1:])
    return LoadRun(name, connections, count, micros / 1e6,
                   connect + read + write + status + timeout, p50 / 1e3, p99 / 1e3,
                   before, after, cpu)
