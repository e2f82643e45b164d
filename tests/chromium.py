"""Debian's Chromium as every browser check here launches it: the tests and the page benchmark.

Chromium comes from the system, never from ``playwright install``: the distribution's packages
are available everywhere the project runs, Playwright's download is not. The tests prefer
``chromium-headless-shell`` (Debian's build of the same Chromium release without the desktop
browser around Blink, the binary Playwright itself runs headless): it lays out and paints the
page the same way for less CPU per page, and the browser suite is CPU-bound. Where only
``chromium`` is installed, they run that.
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


# the first of these on PATH is the one the tests launch
TEST_BROWSERS = ("chromium-headless-shell", "chromium")


def chromium_launch() -> dict[str, Any]:
    """Playwright's launch options for Debian's Chromium; fail (never skip) when it is missing.

    A skipped browser test in CI would hide a broken page, so a missing browser is a failure
    whose message says how to install it.
    """
    found = [path for path in map(shutil.which, TEST_BROWSERS) if path is not None]
    if not found:
        pytest.fail(
            "neither chromium-headless-shell nor chromium is on PATH: install Debian's package "
            "(apt-get install chromium-headless-shell); the browser tests need it and must not "
            "be skipped"
        )
    return {"executable_path": found[0], "args": CHROMIUM_ARGS}
