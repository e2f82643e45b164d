"""Static files answered from memory (app/static_files.py): the same answers as Starlette's
StaticFiles, without its thread-pool lookups, and never an outdated file."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.testclient import TestClient
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.static_files import StaticFromMemory

SHOWN = ("content-type", "content-length", "etag", "last-modified", "accept-ranges")


def mounted(static: StaticFiles) -> TestClient:
    return TestClient(Starlette(routes=[Mount("/static", static)]))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "a.js").write_text("export const a = 1;\n")
    (tmp_path / "b.css").write_text("body { color: red }\n")
    return tmp_path


@pytest.fixture
def both(folder: Path) -> Iterator[tuple[TestClient, TestClient]]:
    """The folder served from memory and by Starlette's StaticFiles."""
    with mounted(StaticFromMemory(directory=folder)) as kept, \
            mounted(StaticFiles(directory=folder)) as plain:
        yield kept, plain


@pytest.mark.parametrize("path", ["/static/js/a.js", "/static/b.css"])
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_file_gets_starlettes_answer(
    both: tuple[TestClient, TestClient], path: str, method: str
) -> None:
    kept, plain = both
    ours, theirs = kept.request(method, path), plain.request(method, path)
    assert ours.status_code == theirs.status_code == 200
    assert ours.content == theirs.content
    assert [ours.headers.get(name) for name in SHOWN] == [theirs.headers.get(name)
                                                          for name in SHOWN]
    assert int(ours.headers["content-length"]) == len((kept.get(path)).content) > 0


def test_a_known_etag_gets_304(both: tuple[TestClient, TestClient]) -> None:
    kept, _ = both
    tag = kept.get("/static/js/a.js").headers["etag"]
    again = kept.get("/static/js/a.js", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == tag
    assert kept.get("/static/js/a.js", headers={"If-None-Match": '"other"'}).status_code == 200


def test_an_edited_file_is_read_again(folder: Path) -> None:
    static = StaticFromMemory(directory=folder)
    with mounted(static) as client:
        first = client.get("/static/js/a.js")
        path = folder / "js" / "a.js"
        path.write_text("export const a = 22;\n")
        # a new modification time, as a save a second later gives it
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        second = client.get("/static/js/a.js")
    assert first.text == "export const a = 1;\n"
    assert second.text == "export const a = 22;\n"
    assert second.headers["etag"] != first.headers["etag"]
    assert second.headers["content-length"] == str(len(second.content))


def test_a_kept_file_is_answered_without_starlettes_lookup(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Starlette's lookup is the thread-pool round trip the memory saves; made to fail here, a
    # shipped file must still be answered, while any other path still goes through it
    def no_lookup(self: StaticFiles, path: str) -> tuple[str, None]:
        raise AssertionError(f"looked up {path}")

    monkeypatch.setattr(StaticFiles, "lookup_path", no_lookup)
    with mounted(StaticFromMemory(directory=folder)) as client:
        assert client.get("/static/js/a.js").text == "export const a = 1;\n"
        with pytest.raises(AssertionError, match="looked up"):
            client.get("/static/js/missing.js")


def test_what_is_not_a_kept_file_gets_starlettes_answer(
    both: tuple[TestClient, TestClient], folder: Path
) -> None:
    kept, plain = both
    # a file added after the start, a range, another method, a path out of the folder,
    # a folder, a file deleted after its first answer
    (folder / "late.js").write_text("late\n")
    asks = [("GET", "/static/late.js", {}), ("GET", "/static/js/a.js", {"Range": "bytes=0-5"}),
            ("POST", "/static/js/a.js", {}), ("GET", "/static/../secret", {}),
            ("GET", "/static/js", {})]
    for method, path, headers in asks:
        ours = kept.request(method, path, headers=headers)
        theirs = plain.request(method, path, headers=headers)
        assert (ours.status_code, ours.content) == (theirs.status_code, theirs.content), path
    assert kept.get("/static/js/a.js", headers={"Range": "bytes=0-5"}).content == b"export"
    assert kept.get("/static/b.css").status_code == 200
    (folder / "b.css").unlink()
    assert kept.get("/static/b.css").status_code == 404


def test_the_apps_page_files_are_kept() -> None:
    from app.main import STATIC, create_app

    with TestClient(create_app()) as client:
        answer = client.get("/static/js/main.js")
        assert answer.content == (STATIC / "js" / "main.js").read_bytes()
        assert answer.headers["content-type"] == "text/javascript; charset=utf-8"
        # the security headers wrap it, as every answer
        assert answer.headers["x-content-type-options"] == "nosniff"
        mount = next(route for route in client.app.routes  # type: ignore[attr-defined]
                     if getattr(route, "path", "") == "/static")
        assert "js/main.js" in mount.app.kept


def test_the_headers_a_middleware_adds_are_not_kept_with_the_file(folder: Path) -> None:
    # the kept headers are made once and sent with every answer; a middleware may add its
    # headers to the very list it is sent (ASGI allows it), and they must not pile up there
    def adding(app: ASGIApp) -> ASGIApp:
        async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
            async def add(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message["headers"].append((b"x-added", b"1"))
                await send(message)
            await app(scope, receive, add)
        return wrapped

    static = StaticFromMemory(directory=folder)
    with TestClient(Starlette(routes=[Mount("/static", adding(static))])) as client:
        answers = [client.request(method, "/static/b.css") for method in ("GET", "HEAD", "GET")]
    for answer in answers:
        names = [name for name, _ in answer.headers.multi_items()]
        assert names.count("x-added") == 1 and names.count("content-length") == 1, names
    assert answers[0].headers.multi_items() == answers[2].headers.multi_items()
