"""Browser tests: the real app under uvicorn in a thread, Debian's Chromium through Playwright.

Chromium comes from the system (``/usr/bin/chromium``), never from ``playwright install``; when
it is missing the tests fail with a message saying so, because a skipped browser test in CI
would hide a broken page.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from app.main import create_app

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """The app on a free port, served by uvicorn in a background thread for the session."""
    port = _free_port()
    config = uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the app did not start under uvicorn within 20 s")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def base_url(server_url: str) -> str:
    """pytest-playwright's base URL, so ``page.goto("/")`` opens the app."""
    return server_url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Launch Debian's Chromium headless; fail (never skip) when it is not installed."""
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail(
            "chromium is not on PATH: install Debian's package (apt-get install chromium); "
            "the browser tests need it and must not be skipped"
        )
    return {**browser_type_launch_args, "executable_path": chromium, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def api(server_url: str) -> Iterator[httpx.Client]:
    """An HTTP client on the same server, for the answers the page must agree with."""
    with httpx.Client(base_url=server_url, timeout=60) as client:
        yield client


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go (gitignored ``test-artifacts/``)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
