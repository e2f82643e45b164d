"""The yardstick of ``bench_requests.py``: a bare FastAPI app with one endpoint answering the
same JSON as ConvScope's ``/api/health``, written as FastAPI's tutorial would write it.

Served by uvicorn with the same options as ConvScope, so the difference between the two is
what ConvScope's own middleware, routing and response path cost.
"""

from __future__ import annotations

from importlib.metadata import version

from fastapi import FastAPI

VERSION = version("convscope")

app = FastAPI()


@app.get("/api/health")
async def health() -> dict[str, str]:
    return {"status": "ok", "version": VERSION}
