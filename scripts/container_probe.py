"""Check a running ConvScope container from inside it; run by ``scripts/container-check.sh``.

``container-check.sh`` pipes this file into the container's own interpreter
(``docker exec -i NAME python - --port 8000 --workers 2``), so every request goes to the
server over the container's 127.0.0.1, and the process checks see the container's /proc.
Standard library only: it runs with whatever Python the image has.

Checks, each failing with a message that says what was expected:

- ``GET /api/health`` is ``{"status": "ok", ...}``;
- ``GET /`` is the HTML page (its title, its stylesheet, which is fetched too);
- ``POST /api/forward`` with the CS231n demo layer (5x5x3 input, two 3x3x3 filters, stride
  2, pad 1) answers a 3x3x2 output that equals the notes' naive loops recomputed here from
  the answer's own padded input, filters and biases, and whose first depth slice and biases
  are the values the README documents for the seeded fills;
- this process, the server (PID 1) and every other process run as a non-root user;
- the server runs ``--workers`` worker processes (from ``CONVSCOPE_WORKERS``).

The forward answer's body goes to stdout, so the caller can compare it with the host's
code (``--compare FILE`` on the host does that); progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

# The CS231n demo of the notes, with the API's default seeded fills.
DEMO_SPEC: dict[str, Any] = {
    "input": {"shape": [5, 5, 3]},
    "filters": {"count": 2, "size": 3},
    "stride": 2,
    "padding": 1,
}
# V[:, :, 0] and b for that spec, as documented in the README (checked there by
# scripts/check_readme.py against the host's server), so a container that answers
# different numbers is caught even where the host cannot compute them.
DEMO_OUTPUT_SLICE_0 = [[-6.0, -3.0, -5.0], [-6.0, -10.0, 3.0], [-1.0, 0.0, -1.0]]
DEMO_BIAS = [1.0, 0.0]
STRIDE = 2


class ProbeError(Exception):
    """A check failed; the message says what was expected and what came."""


def _log(message: str) -> None:
    sys.stderr.write(f"   probe: {message}\n")


def _request(
    url: str, body: dict[str, Any] | None = None, timeout: float = 30.0
) -> tuple[int, str, bytes]:
    """Send GET (or POST JSON when ``body`` is given); return status, content type, body."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="GET" if body is None else "POST")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, answer.headers.get("Content-Type", ""), answer.read()
    except urllib.error.HTTPError as error:
        raise ProbeError(f"{url} answered {error.code}: {error.read()[:300]!r}") from None
    except (urllib.error.URLError, OSError) as error:
        raise ProbeError(f"{url} did not answer: {error}") from None


def check_health(base: str) -> None:
    """``/api/health`` answers ``{"status": "ok", "version": ...}``."""
    status, kind, body = _request(f"{base}/api/health")
    health = json.loads(body)
    if status != 200 or "application/json" not in kind or health.get("status") != "ok":
        raise ProbeError(f"/api/health: expected 200 JSON status ok, got {status} {kind} {body!r}")
    _log(f"/api/health: {health}")


def check_page(base: str) -> None:
    """``/`` is the HTML page, and the stylesheet it links is served too."""
    status, kind, body = _request(f"{base}/")
    page = body.decode("utf-8", "replace")
    if status != 200 or "text/html" not in kind:
        raise ProbeError(f"/: expected 200 text/html, got {status} {kind}")
    for marker in ("<title>ConvScope", '<main id="app"', "/static/css/convscope.css"):
        if marker not in page:
            raise ProbeError(f"/: the page lacks {marker!r}")
    status, kind, css = _request(f"{base}/static/css/convscope.css")
    if status != 200 or "text/css" not in kind or not css:
        raise ProbeError(f"/static/css/convscope.css: expected 200 text/css, got {status} {kind}")
    _log(f"/: {len(body)} bytes of HTML, stylesheet {len(css)} bytes")


def naive_forward(
    xp: list[list[list[float]]], w: list[list[list[list[float]]]], b: list[float]
) -> list[list[list[float]]]:
    """The notes' loops: ``V[i,j,k] = sum(Xp[iS:iS+F, jS:jS+F, :] * W_k) + b_k``.

    Examples
    --------
    >>> naive_forward([[[1.0], [2.0]], [[3.0], [4.0]]], [[[[1.0], [1.0]], [[1.0], [1.0]]]], [0.5])
    [[[10.5]]]
    """
    size = len(w[0])
    height = (len(xp) - size) // STRIDE + 1
    width = (len(xp[0]) - size) // STRIDE + 1
    out = []
    for i in range(height):
        row = []
        for j in range(width):
            column = []
            for k, filter_k in enumerate(w):
                total = b[k]
                for a in range(size):
                    for c in range(size):
                        for d, weight in enumerate(filter_k[a][c]):
                            total += xp[i * STRIDE + a][j * STRIDE + c][d] * weight
                column.append(total)
            row.append(column)
        out.append(row)
    return out


def check_forward(base: str) -> bytes:
    """``/api/forward`` on the demo equals the naive loops and the documented values."""
    status, kind, body = _request(f"{base}/api/forward", DEMO_SPEC)
    if status != 200 or "application/json" not in kind:
        raise ProbeError(f"/api/forward: expected 200 JSON, got {status} {kind}")
    answer = json.loads(body)
    shape = answer["geometry"]["output_shape"]
    if shape != [3, 3, 2]:
        raise ProbeError(f"/api/forward: output_shape {shape}, the notes' demo gives [3, 3, 2]")
    xp, w, b, v = answer["padded_input"], answer["filters"], answer["bias"], answer["output"]
    if (len(xp), len(xp[0]), len(xp[0][0])) != (7, 7, 3):
        raise ProbeError("/api/forward: the padded input is not 7x7x3 (5x5x3 with pad 1)")
    if any(value != 0 for value in xp[0][0] + xp[6][6]):
        raise ProbeError("/api/forward: the padded input's corners are not zero padding")
    expected = naive_forward(xp, w, b)
    if v != expected:
        raise ProbeError(f"/api/forward: output {v} differs from the naive loops {expected}")
    first_slice = [[v[i][j][0] for j in range(3)] for i in range(3)]
    if first_slice != DEMO_OUTPUT_SLICE_0 or b != DEMO_BIAS:
        raise ProbeError(
            f"/api/forward: V[:,:,0]={first_slice}, b={b}; the README documents "
            f"{DEMO_OUTPUT_SLICE_0}, {DEMO_BIAS}"
        )
    _log(f"/api/forward: 3x3x2, equals the naive loops, V[:,:,0]={first_slice}, b={b}")
    return body


def _status_fields(pid: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


def check_processes(workers: int) -> None:
    """No process runs as root, and PID 1 has ``workers`` uvicorn worker children."""
    if os.getuid() == 0 or os.geteuid() == 0:
        raise ProbeError("`exec` into the container runs as root: the image's USER is root")
    children = 0
    seen = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = _status_fields(entry.name)
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue  # the process ended while we looked
        seen += 1
        uids = fields["Uid"].split()
        if "0" in uids:
            raise ProbeError(f"process {entry.name} ({command.strip()}) runs as root: {uids}")
        if fields["PPid"] == "1" and "multiprocessing.spawn" in command:
            children += 1
    server = (Path("/proc/1/cmdline").read_bytes().replace(b"\0", b" ").decode()).strip()
    if "convscope" not in server or "serve" not in server:
        raise ProbeError(f"PID 1 is {server!r}, not `convscope serve`")
    if workers > 1 and children != workers:
        raise ProbeError(f"PID 1 has {children} worker processes, CONVSCOPE_WORKERS asks {workers}")
    _log(
        f"{seen} processes, none root (uid {os.getuid()}); PID 1 `{server}` "
        f"with {children if workers > 1 else 'no separate'} workers"
    )


def wait_healthy(base: str, timeout: float) -> None:
    """Poll ``/api/health`` until it answers, for at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            check_health(base)
            return
        except ProbeError as error:
            if time.monotonic() > deadline:
                raise ProbeError(f"not healthy after {timeout:.0f} s: {error}") from None
            time.sleep(0.5)


def compare(container_body: Path) -> None:
    """Compare the container's forward answer with the host code's (in-process)."""
    # Imported here: only the host side needs the app and its test client.
    from fastapi.testclient import TestClient

    from app.main import app

    host = TestClient(app).post("/api/forward", json=DEMO_SPEC)
    if host.status_code != 200:
        raise ProbeError(f"the host's app answered {host.status_code}: {host.text[:300]}")
    ours = json.loads(container_body.read_bytes())
    if host.json() != ours:
        raise ProbeError("the container's /api/forward answer differs from the host's code")
    _log(f"/api/forward: the container's answer equals the host's code ({len(host.content)} B)")


def main(argv: list[str] | None = None) -> int:
    """Run the checks (in the container) or the comparison (``--compare``, on the host)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--wait", type=float, default=0.0, help="seconds to wait for health")
    parser.add_argument("--compare", type=Path, help="host side: a saved forward answer")
    args = parser.parse_args(argv)
    try:
        if args.compare is not None:
            compare(args.compare)
            return 0
        base = f"http://127.0.0.1:{args.port}"
        if args.wait:
            wait_healthy(base, args.wait)
        check_health(base)
        check_page(base)
        body = check_forward(base)
        check_processes(args.workers)
    except ProbeError as error:
        sys.stderr.write(f"*** probe: {error}\n")
        return 1
    sys.stdout.write(body.decode() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
