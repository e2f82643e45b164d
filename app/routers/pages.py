"""HTML pages: the visualizer itself.

The page is a static shell; every number it shows is fetched by the browser from ``/api``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

# Resolved from this file, not the working directory, so an installed package finds them.
TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))

router = APIRouter(tags=["pages"])


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def index(request: Request) -> HTMLResponse:
    """The animated conv layer: controls, geometry, volumes, arithmetic and transport."""
    return templates.TemplateResponse(request, "index.html", {"title": "ConvScope"})
