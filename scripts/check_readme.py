"""Run the README's shell examples against a live server and compare what they print.

Every fenced ``sh`` block that is directly followed by a ``text`` block is run with bash
from the checkout root, and every such ``python`` block with this interpreter; its stdout
must equal the ``text`` block (but for a final newline, which curl does not print). Blocks
without a following ``text`` block (``make run`` and the like) are not run.

    .venv/bin/python scripts/check_readme.py                 # starts `convscope serve` itself
    .venv/bin/python scripts/check_readme.py --url http://127.0.0.1:8000   # a running server

Exit status: 0 when every example printed what the README says, 1 otherwise.
"""

from __future__ import annotations

import argparse
import itertools
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README_URL = "http://127.0.0.1:8000"
# How each runnable language is run; the code goes in as the last argument.
RUNNERS = {"sh": ["bash", "-o", "pipefail", "-c"], "python": [sys.executable, "-c"]}
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Example:
    """One shell block of the README and the output the README shows for it."""

    line: int
    language: str
    command: str
    expected: str


def examples(text: str) -> list[Example]:
    """The ``sh`` and ``python`` blocks that are immediately followed by a ``text`` block.

    >>> examples("```sh\\necho hi\\n```\\n```text\\nhi\\n```\\n")
    [Example(line=1, language='sh', command='echo hi\\n', expected='hi\\n')]
    """
    found: list[Example] = []
    blocks = list(FENCE.finditer(text))
    for block, after in itertools.pairwise(blocks):
        adjacent = text[block.end() : after.start()].strip() == ""
        if block.group(1) in RUNNERS and after.group(1) == "text" and adjacent:
            line = text.count("\n", 0, block.start()) + 1
            found.append(Example(line, block.group(1), block.group(2), after.group(2)))
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _server() -> Iterator[str]:
    """A `convscope serve` on a free port, stopped on exit."""
    port = _free_port()
    convscope = Path(sys.executable).parent / "convscope"
    proc = subprocess.Popen(
        [str(convscope), "serve", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/health", timeout=2).close()
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit(f"convscope serve did not answer on port {port}") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def run(url: str) -> int:
    """Run every example against ``url``; report each failure on stderr; return 0 or 1."""
    failures = 0
    found = examples((ROOT / "README.md").read_text())
    for example in found:
        command = example.command.replace(README_URL, url)
        result = subprocess.run(
            [*RUNNERS[example.language], command],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0 or result.stdout.rstrip("\n") != example.expected.rstrip("\n"):
            failures += 1
            sys.stderr.write(
                f"README.md:{example.line}: exit {result.returncode}\n"
                f"--- expected\n{example.expected}--- got\n{result.stdout}{result.stderr}\n"
            )
    # Not pytest's "N passed" wording: CI reads the last such line as the test count.
    sys.stdout.write(f"README examples: {len(found) - failures} ok, {failures} wrong\n")
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running server (default: start one on a free port)")
    args = parser.parse_args(argv)
    if args.url:
        return run(args.url.rstrip("/"))
    with _server() as url:
        return run(url)


if __name__ == "__main__":
    raise SystemExit(main())
