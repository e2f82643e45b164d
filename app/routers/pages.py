"""HTML pages: the visualizer itself.

The page is a static shell; every number it shows is fetched by the browser from ``/api``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app import answers
from app.config import SettingsDep
from app.encoding import MAX_MAGNITUDE
from app.schemas import MAX_WHOLE
from engine.presets import PRESETS

# Resolved from this file, not the working directory, so an installed package finds them.
TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"  # served at /static

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


def module_urls(static_dir: Path = STATIC_DIR) -> list[str]:
    """The URL of every page module under ``js/`` but ``main.js``, which the page loads itself.

    The page preloads all of them at once rather than import by import (its first render
    waits on the last one), so the list is read from the files, never written by hand.
    """
    return [
        f"/static/{path.relative_to(static_dir).as_posix()}"
        for path in sorted((static_dir / "js").rglob("*.js"))
        if path != static_dir / "js" / "main.js"
    ]


# Read once at start: the modules only change with a new release.
MODULE_URLS = module_urls()

router = APIRouter(tags=["pages"])


def byte_size(count: int) -> str:
    """``count`` bytes as a person reads a file's size: whole mebibytes or kibibytes where it is
    one, else the bytes themselves (a limit rounded up would promise more than it takes).

    >>> byte_size(10 * 2**20), byte_size(512 * 2**10), byte_size(1_000_000)
    ('10 MiB', '512 KiB', '1,000,000 bytes')
    """
    for unit, size in (("MiB", 2**20), ("KiB", 2**10)):
        if count >= size and count % size == 0:
            return f"{count // size:,} {unit}"
    return f"{count:,} bytes"


def embedded(request: Request) -> bool:
    """True for ``?embed=1`` (or ``true``), the rule of the page's url.js for a boolean key.

    The page reads the key itself too; the server marks the body as well so an embedded frame
    never paints the full page first.
    """
    return request.query_params.get("embed") in {"1", "true"}


def look(request: Request) -> dict[str, str]:
    """The look a link forces, as the attributes <html> gets (js/theme.js sets the same ones).

    ``theme=light|dark`` and ``large=1`` are read by the page too (url.js); mirrored here, the
    first paint already has them, where the page's modules would apply them a moment later
    and a forced dark page would flash light (or the reverse) first. ``theme=auto`` or none
    leaves the choice to the system, or to the toggle's remembered one (/static/early/look.js).
    """
    attributes: dict[str, str] = {}
    theme = request.query_params.get("theme")
    if theme in {"light", "dark"}:
        attributes["data-theme"] = theme
    if request.query_params.get("large") in {"1", "true"}:
        attributes["data-large"] = ""
    return attributes


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def index(request: Request, settings: SettingsDep) -> HTMLResponse:
    """The animated conv layer: controls, geometry, volumes, arithmetic and transport."""
    # The origins that may frame the page are the ones whose messages it obeys (js/embed.js).
    ancestors: tuple[str, ...] = getattr(request.app.state, "frame_ancestors", ())
    return templates.TemplateResponse(
        request,
        "index.html",
        {"title": "ConvScope", "modules": MODULE_URLS, "embed": embedded(request),
         "look": look(request),
         "frame_ancestors": " ".join(ancestors),
         # the longest steps range this server answers (js/steps.js asks for no more)
         "max_steps": settings.max_steps,
         # the presets this server's limits leave out of /api/presets, each with why: a
         # link naming one says so (it was "not one of ours"), with no refused request
         "left_out": {name: why for name, preset in PRESETS.items()
                      if (why := answers.preset_refused(preset, settings)) is not None},
         # the largest sizes this server takes: the boxes' max, and what a link or a box may
         # send (js/state.js mostFor); more would only come back refused
         "limits": {"side": settings.max_side, "depth": settings.max_depth,
                    "filters": settings.max_filters, "seed": MAX_WHOLE,
                    # the largest number, either way, a value or an edit may be
                    "magnitude": f"{MAX_MAGNITUDE:g}".replace("+", ""),
                    # what the images panel's upload takes, as its label says it
                    "upload": byte_size(settings.max_upload_bytes),
                    "image_side": settings.max_image_side}},
    )
