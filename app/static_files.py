"""The page's static files, answered from memory.

A page load fetches some seventy small files (the ES modules and style sheets, which have no
build step to join them). Starlette's :class:`~starlette.staticfiles.StaticFiles` looks each
one up and reads it on the thread pool, two round trips or more per file; for files this
small those cost more CPU than the rest of the request. Here the bytes of a file the app
ships are kept after its first read, with Starlette's own headers for it (type, length,
ETag, Last-Modified), and a request that names it is answered without leaving the event
loop. A file is checked against the disk at every request (one ``os.stat``: microseconds),
so an edited file is read again, as Starlette would.

Anything else (a file added after the start, a Range request, a method other than GET or
HEAD, a name that is no file) goes to Starlette's own path and gets its answers and refusals.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.staticfiles import NotModifiedResponse, StaticFiles
from starlette.types import Scope


class Kept:
    """One file's answer: its headers and bytes, and the stat they were made from.

    The headers are kept as Starlette reads them (for the ETag check) and as they are sent
    (encoded), both made once per version of the file rather than at every request.
    """

    __slots__ = ("body", "headers", "raw_headers", "stamp")

    def __init__(self, path: Path, stat: os.stat_result) -> None:
        self.stamp = (stat.st_mtime_ns, stat.st_size)
        # Starlette's FileResponse makes the headers from the stat alone, reading nothing
        made = FileResponse(path, stat_result=stat)
        self.headers = Headers(raw=made.raw_headers)
        self.raw_headers = tuple(made.raw_headers)
        self.body = path.read_bytes()


class KeptResponse(Response):
    """A kept file's answer (GET) or its headers alone (HEAD), sent with the headers as kept.

    Each answer gets its own list of them: a middleware may add its headers to the very list
    it is sent (ASGI allows it), and the kept ones must stay as they are. ``Response.__init__``
    is not called: it would encode the headers again, the work keeping them saves; this sets
    the four attributes ``Response.__call__`` sends from.
    """

    def __init__(self, kept: Kept, head: bool) -> None:
        self.status_code = 200
        self.background = None
        self.body = b"" if head else kept.body  # HEAD: the file's length stays in the headers
        self.raw_headers = list(kept.raw_headers)


class StaticFromMemory(StaticFiles):
    """:class:`StaticFiles` for the files under ``directory`` at the start, kept in memory.

    Examples
    --------
    >>> static = StaticFromMemory(directory=Path(__file__).parent / "static")
    >>> "js/main.js" in static.shipped and "../main.py" not in static.shipped
    True
    """

    def __init__(self, *, directory: Path) -> None:
        super().__init__(directory=directory)
        # only names found by walking the directory are answered here: a request's path
        # (normalised by Starlette, "../" and all) must be one of them
        self.shipped = {
            path.relative_to(directory).as_posix(): path
            for path in sorted(directory.rglob("*")) if path.is_file()
        }
        self.kept: dict[str, Kept] = {}

    def kept_file(self, path: str) -> Kept | None:
        """The file ``path``'s answer, read again if the file changed; None if it is gone."""
        full = self.shipped.get(path)
        if full is None:
            return None
        try:
            stat = os.stat(full)
        except OSError:
            self.kept.pop(path, None)
            return None
        kept = self.kept.get(path)
        if kept is None or kept.stamp != (stat.st_mtime_ns, stat.st_size):
            kept = self.kept[path] = Kept(full, stat)
        return kept

    async def get_response(self, path: str, scope: Scope) -> Response:
        request = Headers(scope=scope)
        plain = scope["method"] in ("GET", "HEAD") and "range" not in request
        kept = self.kept_file(path) if plain else None
        if kept is None:
            return await super().get_response(path, scope)
        if self.is_not_modified(kept.headers, request):
            return NotModifiedResponse(kept.headers)
        return KeptResponse(kept, head=scope["method"] == "HEAD")
