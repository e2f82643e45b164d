"""The project says things in its own words and names no package registry or mirror.

1. No git-tracked file (vendored files under app/static/vendor aside) repeats a run of 10
   consecutive words of the CS231n conv-layer notes. The notes are not in the project: the
   test reads them from ``$CONVSCOPE_NOTES`` or ``../shared/seed/conv-layer-notes.txt`` beside
   the checkout when they are there, and otherwise from ``tests/notes-fingerprint.txt``, the
   SHA-256 digests of the notes' runs that ``scripts/notes_fingerprint.py`` writes (so it runs
   on any clone). When the notes are there, the stored digests must match them.
2. No tracked file names a host of this machine's apt or pip configuration, nor a well-known
   package registry: scripts read mirrors from the machine (scripts/build-base-image.sh).

Words are cut the way the workplace's before-stop hook cuts them, so both find the same runs.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.notes_fingerprint import (
    FINGERPRINT,
    NOTES_ENV,
    ROOT,
    RUN,
    digest,
    fingerprint,
    notes_path,
    read_fingerprint,
    runs,
    words,
)

VENDORED = "app/static/vendor/"

# Well-known package registries and mirrors, spelled in parts so this file does not name them.
WELL_KNOWN_HOSTS = {
    ".".join(parts)
    for parts in (
        ("pypi", "org"),
        ("pypi", "python", "org"),
        ("files", "pythonhosted", "org"),
        ("registry", "npmjs", "org"),
        ("registry", "yarnpkg", "com"),
        ("deb", "debian", "org"),
        ("security", "debian", "org"),
        ("snapshot", "debian", "org"),
        ("ftp", "debian", "org"),
        ("archive", "ubuntu", "com"),
        ("security", "ubuntu", "com"),
        ("ports", "ubuntu", "com"),
        ("dl-cdn", "alpinelinux", "org"),
        ("proxy", "golang", "org"),
        ("index", "crates", "io"),
        ("static", "crates", "io"),
        ("rubygems", "org"),
        ("repo1", "maven", "org"),
        ("repo", "maven", "apache", "org"),
        ("conda", "anaconda", "org"),
        ("repo", "anaconda", "com"),
        ("download", "pytorch", "org"),
        ("deb", "nodesource", "com"),
        ("packages", "cloud", "google", "com"),
        ("download", "docker", "com"),
        # container registries: the base image is found by its short name
        ("docker", "io"),
        ("quay", "io"),
        ("ghcr", "io"),
        ("gcr", "io"),
    )
}
_URL_HOST = re.compile(r"[a-z][a-z0-9+.\-]*://(?:[^@/\s'\"]*@)?([a-z0-9.\-]+)", re.IGNORECASE)
PIP_FILES = (
    Path("/etc/pip.conf"),
    Path("/etc/xdg/pip/pip.conf"),
    Path.home() / ".config" / "pip" / "pip.conf",
    Path.home() / ".pip" / "pip.conf",
)


def url_hosts(text: str) -> set[str]:
    """The host names of every URL in ``text``: lower case, dotted names only, and no IP
    addresses (a local apt proxy at 127.0.0.1 is not a name the project must avoid)."""
    found = {host.lower().rstrip(".") for host in _URL_HOST.findall(text)}
    return {host for host in found if "." in host and not re.fullmatch(r"[\d.]+", host)}


def apt_hosts(apt: Path = Path("/etc/apt")) -> set[str]:
    """Hosts in apt's sources files: one-line ``.list`` and deb822 ``.sources``, comments too."""
    hosts: set[str] = set()
    for path in apt.rglob("*"):
        if path.is_file() and path.suffix in (".list", ".sources"):
            hosts |= url_hosts(path.read_text("utf-8", errors="ignore"))
    return hosts


def pip_hosts() -> set[str]:
    """Hosts in pip's configuration: its files, ``pip config list`` and PIP_* variables."""
    texts = [path.read_text("utf-8", errors="ignore") for path in PIP_FILES if path.is_file()]
    listed = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    texts.append(listed.stdout)
    texts += [value for name, value in os.environ.items() if name.startswith("PIP_")]
    hosts = set().union(*(url_hosts(text) for text in texts))
    # trusted-host takes bare names.
    for text in texts:
        for names in re.findall(r"trusted[-_]host\W+([^\n']+)", text, re.IGNORECASE):
            hosts |= {name.lower() for name in names.split() if "." in name}
    return hosts


def tracked_texts() -> dict[str, str]:
    """Every git-tracked text file of the project but the vendored ones, by path."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, timeout=60, check=True
    )
    texts = {}
    for name in listed.stdout.decode().split("\0"):
        if not name or name.startswith(VENDORED):
            continue
        try:
            texts[name] = (ROOT / name).read_text("utf-8")
        except (UnicodeDecodeError, OSError):
            continue  # binary (PNGs) or deleted in the work tree
    return texts


def notes_digests() -> set[str]:
    """The digests to check against: the notes' own when they are here, else the stored ones."""
    notes = notes_path()
    if os.environ.get(NOTES_ENV) and not notes.is_file():
        pytest.fail(f"{NOTES_ENV} names {notes}, which is not a file")
    stored = read_fingerprint()
    if notes.is_file():
        fresh = fingerprint(notes.read_text("utf-8"))
        assert fresh == stored, (
            f"{FINGERPRINT.relative_to(ROOT)} does not match {notes}: "
            "run .venv/bin/python scripts/notes_fingerprint.py"
        )
    return stored


def test_words_are_cut_as_the_before_stop_hook_cuts_them() -> None:
    assert words("Padding P=(F-1)/2, stride S=1: the SAME size [5x5x3]; it's (W−F)!") == [
        "padding", "p=(f-1)/2,", "stride", "s=1:", "the", "same", "size", "[5x5x3]", "it",
        "s", "(w", "f)",
    ]


def test_a_copied_run_is_found_whatever_its_case_spacing_and_punctuation() -> None:
    source = "One two three four five six seven eight nine ten eleven."
    stored = fingerprint(source)
    assert len(stored) == 2  # two runs of 10 in 11 words
    copy = "# one  TWO three\n# four five six seven 'eight' nine ten!"
    assert any(digest(run) in stored for run in runs(copy))
    assert not any(digest(run) in stored for run in runs("two three four five six seven"))
    assert RUN == 10


def test_no_tracked_file_repeats_ten_words_of_the_notes() -> None:
    stored = notes_digests()
    assert len(stored) > 1000  # the notes' conv section has a few thousand words
    copied = {
        name: [run for run in runs(text) if digest(run) in stored][:2]
        for name, text in tracked_texts().items()
    }
    assert {name: found for name, found in copied.items() if found} == {}, (
        "say it in our own words and link the notes' section "
        "(https://cs231n.github.io/convolutional-networks/#conv)"
    )


def test_host_names_are_read_from_apt_sources_in_both_formats(tmp_path: Path) -> None:
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list").write_text(
        "# deb http://old.example.net/debian bookworm main\n"
        "deb [signed-by=/k.gpg] https://one.example.org/debian bookworm main\n"
    )
    (tmp_path / "sources.list.d" / "extra.sources").write_text(
        "Types: deb\nURIs: http://two.example.com/debian http://user@three.example.com/x\n"
        "URIs: http://127.0.0.1:3142/debian\n"
    )
    (tmp_path / "sources.list.d" / "off.list.disabled").write_text("deb http://no.example.org/ x\n")
    assert apt_hosts(tmp_path) == {
        "old.example.net", "one.example.org", "two.example.com", "three.example.com"
    }


def test_no_tracked_file_names_a_registry_or_mirror_host() -> None:
    hosts = apt_hosts() | pip_hosts() | WELL_KNOWN_HOSTS
    named = {
        name: sorted(host for host in hosts if host in text.lower())
        for name, text in tracked_texts().items()
    }
    assert {name: found for name, found in named.items() if found} == {}, (
        "read the mirror from the machine's configuration instead"
    )


def _mirrors(apt: Path, mirror: str | None = None) -> subprocess.CompletedProcess[str]:
    """``scripts/build-base-image.sh --mirrors`` with apt's sources in ``apt``."""
    env = {k: v for k, v in os.environ.items() if k not in ("MIRROR", "SECURITY_MIRROR")}
    env["APT_ETC"] = str(apt)
    if mirror:
        env["MIRROR"] = mirror
    script = ROOT / "scripts" / "build-base-image.sh"
    return subprocess.run(
        ["bash", str(script), "--mirrors"], env=env, capture_output=True, text=True, timeout=30,
        check=False,
    )


@pytest.mark.parametrize(
    ("sources", "expected"),
    [
        ({"sources.list": "deb [arch=amd64] http://m.example.org/debian/ bookworm main\n"},
         ["MIRROR=http://m.example.org/debian",
          "SECURITY_MIRROR=http://m.example.org/debian-security"]),
        ({"sources.list.d/d.sources":
          "Types: deb\n# URIs: http://old.example.org/debian\nURIs: http://a.example.org/debian\n"
          "Suites: bookworm\n\nTypes: deb\nURIs: http://b.example.org/debian-security\n"},
         ["MIRROR=http://a.example.org/debian",
          "SECURITY_MIRROR=http://b.example.org/debian-security"]),
    ],
)
def test_base_image_script_reads_the_debian_mirror_from_apt(
    tmp_path: Path, sources: dict[str, str], expected: list[str]
) -> None:
    (tmp_path / "sources.list.d").mkdir()
    for name, text in sources.items():
        (tmp_path / name).write_text(text)
    found = _mirrors(tmp_path)
    assert found.stdout.split() == expected, found.stderr
    own = _mirrors(tmp_path, mirror="http://own.example.org/debian")
    assert own.stdout.split()[0] == "MIRROR=http://own.example.org/debian"
    # No archive in apt's sources and no MIRROR: the script says what to set.
    for name in sources:
        (tmp_path / name).unlink()
    missing = _mirrors(tmp_path)
    assert missing.returncode == 1 and "set MIRROR=" in missing.stderr
