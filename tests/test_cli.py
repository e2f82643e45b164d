"""The ``convscope`` console script: version, help, argument checks and a real server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from app import cli
from tests.installed import installed_script
from tests.live_server import free_port

ROOT = Path(__file__).resolve().parents[1]


def _console_script() -> str:
    """The installed ``convscope`` entry point, next to this interpreter when in a venv."""
    return installed_script(
        "convscope", "the convscope console script is not installed (pip install -e .)"
    )


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_console_script(), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


def _project_version() -> str:
    # Read from pyproject.toml, not importlib.metadata, so the test does not trust the code's
    # own way of finding the version.
    with (ROOT / "pyproject.toml").open("rb") as f:
        return str(tomllib.load(f)["project"]["version"])


def test_version_prints_the_pyproject_version() -> None:
    result = _run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"convscope {_project_version()}"


def test_serve_help_lists_every_option_with_its_default() -> None:
    result = _run("serve", "--help")
    assert result.returncode == 0
    for option in ("--host", "--port", "--workers", "--reload"):
        assert option in result.stdout
    assert "127.0.0.1" in result.stdout
    assert "8000" in result.stdout


def test_no_command_prints_help_and_exits_2() -> None:
    result = _run()
    assert result.returncode == 2
    assert "serve" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["serve", "--workers", "0"], "0 is not at least 1"),
        (["serve", "--workers", "two"], "'two' is not an integer"),
        (["serve", "--port", "70000"], "port 70000 is outside 0-65535"),
        (["serve", "--reload", "--workers", "2"], "--reload runs a single process"),
    ],
)
def test_bad_arguments_exit_2_naming_the_value(args: list[str], message: str) -> None:
    result = _run(*args)
    assert result.returncode == 2
    assert message in result.stderr


def test_bad_workers_environment_variable_is_refused_like_the_option() -> None:
    result = _run("serve", env={**os.environ, "CONVSCOPE_WORKERS": "-1"})
    assert result.returncode == 2
    assert "-1 is not at least 1" in result.stderr


def test_python_dash_m_runs_the_command_like_the_script() -> None:
    # `python -m app.cli` from a checkout (no installed script) must run the command, not
    # import the module and exit 0 in silence, which looks like a server that died at once.
    def module(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "app.cli", *args], capture_output=True,
                              text=True, cwd=ROOT, timeout=60, check=False)

    result = module("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"convscope {_project_version()}"
    bad = module("serve", "--workers", "0")
    assert bad.returncode == 2
    assert "0 is not at least 1" in bad.stderr


def test_importing_the_cli_loads_neither_the_app_nor_uvicorn() -> None:
    code = "import sys, app.cli; print('app.main' in sys.modules, 'uvicorn' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.split() == ["False", "False"]


def test_serve_hands_uvicorn_the_app_import_string_and_options(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def fake_run(*args: Any, **kwargs: Any) -> None:
        calls.append((args, kwargs))

    import uvicorn

    monkeypatch.setattr(uvicorn, "run", fake_run)
    monkeypatch.setenv("CONVSCOPE_WORKERS", "3")
    status = cli.main(["serve", "--host", "0.0.0.0", "--port", "8123"])
    assert status == 0
    assert calls == [
        (
            ("app.main:app",),
            {"host": "0.0.0.0", "port": 8123, "workers": 3, "reload": False},
        )
    ]


def _get_json(url: str) -> tuple[int, Any]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return int(response.status), json.loads(response.read())


def test_serve_answers_health_on_the_chosen_port() -> None:
    port = free_port()
    server = subprocess.Popen(
        [_console_script(), "serve", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        answer: tuple[int, Any] | None = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                answer = _get_json(f"http://127.0.0.1:{port}/api/health")
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            output, _ = server.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            output, _ = server.communicate()
    assert answer is not None, f"no answer on port {port}; server said:\n{output}"
    status, body = answer
    assert status == 200
    assert body == {"status": "ok", "version": _project_version()}
    # SIGINT is uvicorn's graceful stop: the process must end by itself, cleanly.
    assert server.returncode == 0, output
