"""Browser tests: the real app under uvicorn in a thread, Debian's Chromium through Playwright.

Chromium comes from the system (``/usr/bin/chromium``), never from ``playwright install``; when
it is missing the tests fail with a message saying so, because a skipped browser test in CI
would hide a broken page.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page

from app.main import create_app
from tests.chromium import chromium_launch
from tests.live_server import serving

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """The app on a free port, served by uvicorn in a background thread for the session."""
    with serving(create_app()) as url:
        yield url


@pytest.fixture(scope="session")
def base_url(server_url: str) -> str:
    """pytest-playwright's base URL, so ``page.goto("/")`` opens the app."""
    return server_url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Launch Debian's Chromium headless; fail (never skip) when it is not installed."""
    return {**browser_type_launch_args, **chromium_launch()}


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


@pytest.fixture
def console_errors(page: Page) -> list[str]:
    """Every console error and uncaught exception of the page, collected as they happen."""
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


@pytest.fixture
def phone(browser: Browser, base_url: str) -> Iterator[Page]:
    """A 390x844 touch-screen phone, as test_touch.py makes one."""
    context = browser.new_context(
        base_url=base_url, viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True
    )
    yield context.new_page()
    context.close()
