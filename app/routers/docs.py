"""``/docs``: Swagger UI, vendored, started by an external script so it runs under the CSP.

FastAPI's ``get_swagger_ui_html`` writes an inline ``<script>``, which the
Content-Security-Policy (:mod:`app.security`) forbids; this page is the same Swagger UI with
its start-up code in ``app/static/docs/swagger-init.js``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
SWAGGER = "/static/vendor/swagger-ui"

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))

router = APIRouter(tags=["docs"])


@router.get("/docs", response_class=HTMLResponse, include_in_schema=False)
def docs(request: Request) -> HTMLResponse:
    """The interactive API documentation (Swagger UI) for ``/openapi.json``."""
    openapi_url = request.app.openapi_url or "/openapi.json"
    return templates.TemplateResponse(
        request, "docs.html",
        {"title": "ConvScope API", "swagger": SWAGGER, "openapi_url": openapi_url},
    )
