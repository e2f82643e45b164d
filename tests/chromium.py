"""Debian's Chromium as every browser check here launches it: the tests and the page benchmark.

Chromium comes from the system (``/usr/bin/chromium``), never from ``playwright install``: the
distribution package is available everywhere the project runs, Playwright's download is not.
"""

from __future__ import annotations

import shutil
from typing import Any

import pytest

# Headless, and quiet on the network: no QUIC, sync, component updates or other background
# requests, so a test or a benchmark measures only the page's own traffic.
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


def chromium_launch() -> dict[str, Any]:
    """Playwright's launch options for Debian's Chromium; fail (never skip) when it is missing.

    A skipped browser test in CI would hide a broken page, so a missing browser is a failure
    whose message says how to install it.
    """
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail(
            "chromium is not on PATH: install Debian's package (apt-get install chromium); "
            "the browser tests need it and must not be skipped"
        )
    return {"executable_path": chromium, "args": CHROMIUM_ARGS}
