"""Where an installed console script is: the project's own, or a tool a test drives."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest


def installed_script(name: str, missing: str) -> str:
    """The path of console script ``name``; fail the test with ``missing`` when there is none.

    The one beside this interpreter comes first: in a venv that is the one its pip installed,
    whatever else is on PATH.
    """
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        pytest.fail(missing)
    return found
