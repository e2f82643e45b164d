"""The ConvScope app, assembled: routers, error handlers, the body limit, static files, /docs.

Swagger UI is served from ``app/static/vendor/swagger-ui`` so the docs page loads nothing
from a CDN; ReDoc (which would) is off.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from app import errors
from app.cli import package_version
from app.config import Settings, get_settings
from app.routers import api, pages

STATIC = Path(__file__).parent / "static"
SWAGGER = "/static/vendor/swagger-ui"


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; ``settings`` fixes the body limit (default: from the environment).

    Examples
    --------
    >>> create_app(Settings(max_body_bytes=1024)).title
    'ConvScope'
    """
    settings = settings or get_settings()
    app = FastAPI(
        title="ConvScope",
        summary="The convolutional layer of the CS231n notes, computed and explained.",
        version=package_version(),
        docs_url=None,
        redoc_url=None,
    )
    errors.install(app)
    app.add_middleware(errors.BodyLimit, max_bytes=settings.max_body_bytes)
    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="ConvScope API",
            swagger_js_url=f"{SWAGGER}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER}/swagger-ui.css",
            swagger_favicon_url=f"{SWAGGER}/favicon-32x32.png",
            swagger_ui_parameters={"validatorUrl": None},
        )

    return app


app = create_app()
