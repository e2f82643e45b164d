"""REST API benchmark: time and body size of the heavy endpoints through the ASGI app.

Run ``.venv/bin/python -m benchmarks.bench_api`` (or ``python benchmarks/bench_api.py``).
Each case is timed with ``time.perf_counter`` around a ``TestClient`` call (so the figure is
server time plus the in-process client's overhead: an upper bound), best and median of
``--repeats`` runs after one warm-up. Targets: AlexNet conv1 ``/api/forward?encoding=compact``
<= 100 ms with a body <= 3 MB.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient

from app.main import app

ALEXNET: dict[str, Any] = {
    "input": {"shape": [227, 227, 3]},
    "filters": {"count": 96, "size": 11},
    "stride": 4,
}

CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("alexnet forward compact", "/api/forward?encoding=compact", ALEXNET),
    ("alexnet forward json", "/api/forward?encoding=json", ALEXNET),
    ("alexnet 1000 steps json", "/api/steps", {"layer": ALEXNET, "count": 1000}),
    ("alexnet 1000 steps compact", "/api/steps",
     {"layer": ALEXNET, "count": 1000, "encoding": "compact"}),
    ("alexnet 1000 steps + upstream, depth_column", "/api/steps",
     {"layer": ALEXNET, "count": 1000, "order": "depth_column", "upstream": {},
      "encoding": "compact"}),
    ("alexnet backward compact", "/api/backward?encoding=compact", {"layer": ALEXNET}),
]


def run(repeats: int) -> None:
    """Print one line per case: best and median milliseconds, body size."""
    with TestClient(app) as client:
        print(f"{'case':46} {'best ms':>8} {'median':>8} {'body MB':>8}")
        for name, path, body in CASES:
            client.post(path, json=body)  # warm-up: imports, BLAS threads, caches
            times, size = [], 0
            for _ in range(repeats):
                began = time.perf_counter()
                response = client.post(path, json=body)
                times.append(time.perf_counter() - began)
                if response.status_code != 200:
                    raise SystemExit(f"{name}: {response.status_code} {response.text[:300]}")
                size = len(response.content)
            print(f"{name:46} {min(times) * 1e3:8.1f} {statistics.median(times) * 1e3:8.1f} "
                  f"{size / 1e6:8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per case")
    run(parser.parse_args().repeats)


if __name__ == "__main__":
    main()
