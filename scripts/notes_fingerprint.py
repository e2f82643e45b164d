"""Fingerprint the CS231n notes so a test can spot copied sentences without holding the notes.

    .venv/bin/python scripts/notes_fingerprint.py            # rewrite tests/notes-fingerprint.txt
    CONVSCOPE_NOTES=/path/to/notes.txt .venv/bin/python scripts/notes_fingerprint.py

The notes (https://cs231n.github.io/convolutional-networks/) are not part of the project; this
workplace keeps a plain-text copy beside the checkout, at ``../shared/seed/conv-layer-notes.txt``.
The fingerprint keeps, for every run of ``RUN`` consecutive words of the notes, only the first
16 hex digits of the run's SHA-256: enough to tell whether a file repeats a run, useless for
reading the notes back. ``tests/test_own_words.py`` checks every tracked file against it, and
against the notes themselves whenever they are there.

The words are cut the way the workplace's before-stop hook cuts them (lower case, anything but
letters, digits and ``[].()-+*/=,:`` separates words), so the test and the hook agree.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUN = 10
NOTES_ENV = "CONVSCOPE_NOTES"
SEED = Path("..") / "shared" / "seed" / "conv-layer-notes.txt"  # from the checkout's root
FINGERPRINT = ROOT / "tests" / "notes-fingerprint.txt"
DIGITS = 16  # 64 bits: a chance match among a few thousand runs is out of reach

_SEPARATORS = re.compile(r"[^\w\[\]\.\(\)\-+*/=,:]+")


def words(text: str) -> list[str]:
    """``text`` cut into lower-case words, the before-stop hook's way.

    >>> words("The CONV layer's (W-F+2P)/S+1 = 4.5!")
    ['the', 'conv', 'layer', 's', '(w-f+2p)/s+1', '=', '4.5']
    """
    return _SEPARATORS.sub(" ", text.lower()).split()


def runs(text: str) -> Iterator[str]:
    """Every run of ``RUN`` consecutive words of ``text``, joined by single spaces."""
    cut = words(text)
    for start in range(len(cut) - RUN + 1):
        yield " ".join(cut[start : start + RUN])


def digest(run: str) -> str:
    """The fingerprint of one run: the first ``DIGITS`` hex digits of its SHA-256."""
    return hashlib.sha256(run.encode("utf-8")).hexdigest()[:DIGITS]


def fingerprint(text: str) -> set[str]:
    """The digests of every run of ``text``."""
    return {digest(run) for run in runs(text)}


def notes_path() -> Path:
    """Where the notes are: ``$CONVSCOPE_NOTES``, else the workplace's seed beside the checkout.

    The path may not exist (a clone elsewhere); callers decide what that means.
    """
    named = os.environ.get(NOTES_ENV)
    return Path(named) if named else (ROOT / SEED).resolve()


def read_fingerprint(path: Path = FINGERPRINT) -> set[str]:
    """The stored digests (comment lines skipped)."""
    lines = path.read_text("utf-8").splitlines()
    return {line for line in lines if line and not line.startswith("#")}


def write_fingerprint(notes: Path, path: Path = FINGERPRINT) -> int:
    """Write the digests of ``notes`` to ``path``, sorted; returns how many."""
    digests = sorted(fingerprint(notes.read_text("utf-8")))
    header = [
        f"# First {DIGITS} hex digits of the SHA-256 of every run of {RUN} consecutive words of",
        "# the CS231n conv-layer notes (not the words). Made by scripts/notes_fingerprint.py;",
        "# read by tests/test_own_words.py.",
    ]
    path.write_text("\n".join(header + digests) + "\n", "utf-8")
    return len(digests)


def main() -> int:
    notes = notes_path()
    if not notes.is_file():
        print(f"no notes at {notes}: set {NOTES_ENV} to the notes' text file", file=sys.stderr)
        return 1
    count = write_fingerprint(notes)
    print(f"{FINGERPRINT.relative_to(ROOT)}: {count} runs of {RUN} words from {notes}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
