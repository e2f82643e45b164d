"""The ``convscope`` command: serve the visualizer with uvicorn.

``convscope serve`` starts the FastAPI app in ``app.main``; ``convscope --version`` prints the
installed version. The app is named to uvicorn as an import string and never imported here,
so ``--help`` and ``--version`` work even where the app cannot start, and ``--reload`` and
``--workers`` (which need an import string) work at all.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from functools import cache
from importlib.metadata import PackageNotFoundError, version

APP_IMPORT = "app.main:app"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
# The Dockerfile sets this so a container's worker count is a run-time choice, not a rebuild.
WORKERS_ENV = "CONVSCOPE_WORKERS"
ENGINE_THREADS_ENV = "CONVSCOPE_ENGINE_THREADS"


@cache
def package_version() -> str:
    """Return the installed ConvScope version, read once per process (reading the installed
    metadata searches the file system: more work than the rest of a health request).

    Returns
    -------
    str
        The distribution's version, or ``"0+unknown"`` when the package runs from a source
        tree that was never installed (no metadata to read).

    Examples
    --------
    >>> package_version().count(".") >= 1 or package_version() == "0+unknown"
    True
    """
    try:
        return version("convscope")
    except PackageNotFoundError:
        return "0+unknown"


def _positive_int(text: str) -> int:
    """Parse a count that must be at least 1 (argparse ``type=``)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not at least 1")
    return value


def _port(text: str) -> int:
    """Parse a TCP port, 0-65535 (0 lets the OS choose; argparse ``type=``)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port {value} is outside 0-65535")
    return value


def build_parser(environ: Mapping[str, str] | None = None) -> argparse.ArgumentParser:
    """Build the ``convscope`` argument parser.

    Parameters
    ----------
    environ : Mapping[str, str], optional
        Where to read ``CONVSCOPE_WORKERS`` (the default for ``--workers``); ``os.environ``
        when omitted. The value is checked when ``serve`` is parsed.

    Returns
    -------
    argparse.ArgumentParser
        Parses ``--version`` and ``serve [--host] [--port] [--workers] [--reload]``.

    Examples
    --------
    >>> args = build_parser({}).parse_args(["serve", "--port", "9000"])
    >>> (args.command, args.host, args.port, args.workers, args.reload)
    ('serve', '127.0.0.1', 9000, 1, False)
    >>> build_parser({"CONVSCOPE_WORKERS": "3"}).parse_args(["serve"]).workers
    3
    """
    env = os.environ if environ is None else environ
    parser = argparse.ArgumentParser(
        prog="convscope",
        description="ConvScope: an interactive visualizer of the convolutional layer.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="serve the visualizer and its REST API over HTTP",
        description="Serve the visualizer and its REST API (uvicorn).",
    )
    serve.add_argument(
        "--host", default=DEFAULT_HOST, help="address to bind (default: %(default)s)"
    )
    serve.add_argument(
        "--port", type=_port, default=DEFAULT_PORT, help="port to bind (default: %(default)s)"
    )
    serve.add_argument(
        "--workers",
        type=_positive_int,
        # A string default goes through `type`, so a bad CONVSCOPE_WORKERS is reported
        # like a bad --workers instead of crashing later inside uvicorn.
        default=env.get(WORKERS_ENV, "1"),
        help=f"worker processes (default: ${WORKERS_ENV} or 1)",
    )
    serve.add_argument(
        "--reload",
        action="store_true",
        help="restart when the code changes (development; one worker)",
    )
    return parser


def engine_threads_env(workers: int, environ: Mapping[str, str], cores: int) -> dict[str, str]:
    """``CONVSCOPE_ENGINE_THREADS`` for ``workers`` processes sharing ``cores``, unless set.

    Each process splits a large convolution over its engine threads; several processes each
    splitting over every core would run more threads than there are cores.

    >>> engine_threads_env(2, {}, cores=8)
    {'CONVSCOPE_ENGINE_THREADS': '4'}
    >>> engine_threads_env(4, {}, cores=2), engine_threads_env(1, {}, cores=2)
    ({'CONVSCOPE_ENGINE_THREADS': '1'}, {})
    >>> engine_threads_env(4, {"CONVSCOPE_ENGINE_THREADS": "2"}, cores=2)
    {}
    """
    if workers == 1 or ENGINE_THREADS_ENV in environ:
        return {}
    return {ENGINE_THREADS_ENV: str(max(1, cores // workers))}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``convscope`` command line.

    Parameters
    ----------
    argv : Sequence[str], optional
        Arguments without the program name; ``sys.argv[1:]`` when omitted.

    Returns
    -------
    int
        The process exit status: 0 after the server stops, 2 when no command was given.
        Bad arguments exit through argparse with status 2 and a message on stderr.

    Examples
    --------
    A refused argument ends the process before any server starts:

    >>> main(["serve", "--workers", "0"])
    Traceback (most recent call last):
    SystemExit: 2
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command != "serve":
        parser.print_help()
        return 2
    if args.reload and args.workers > 1:
        # uvicorn would silently drop the workers; say so instead.
        parser.error("--reload runs a single process; drop --workers or --reload")

    os.environ.update(engine_threads_env(args.workers, os.environ, os.cpu_count() or 1))
    # Imported here: uvicorn pulls in asyncio machinery that --help and --version do not need.
    import uvicorn

    uvicorn.run(
        APP_IMPORT,
        host=args.host,
        port=args.port,
        workers=args.workers,
        reload=args.reload,
    )
    return 0


# `python -m app.cli serve` (no installed script needed, e.g. from a checkout with PYTHONPATH)
# otherwise imports the module and exits 0 without serving or saying anything.
if __name__ == "__main__":
    sys.exit(main())
