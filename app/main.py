"""The ConvScope app, assembled: routers, error handlers, the body limit, security headers,
static files, /docs.

Swagger UI is served from ``app/static/vendor/swagger-ui`` so the docs page loads nothing
from a CDN, and started by a script of its own (``app/routers/docs.py``) so it runs under the
Content-Security-Policy; ReDoc (which would load from a CDN) is off.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp

from app import engine_threads, errors, images, openapi, routing, security
from app.cli import package_version
from app.config import Settings, get_settings, setting_name, settings_from_env
from app.routers import api, docs, pages
from app.routers import images as images_router
from app.static_files import StaticFromMemory

STATIC = Path(__file__).parent / "static"


class ConvScope(FastAPI):
    """FastAPI, without the layers of its middleware stack that pass every request of this
    app straight through: each is a call in and out per request and nothing else."""

    def __init__(self, *, telemetry_on: bool, **kwargs: Any) -> None:
        self.telemetry_on = telemetry_on
        super().__init__(**kwargs)

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        idle = idle_layers(self)
        top, above, layer = stack, None, stack
        while layer is not self.router:
            below: ASGIApp = layer.app  # type: ignore[attr-defined]
            if isinstance(layer, idle):
                if above is None:
                    top = below
                else:
                    above.app = below  # type: ignore[attr-defined]
            else:
                above = layer
            layer = below
        return top


def idle_layers(app: ConvScope) -> tuple[type, ...]:
    """FastAPI's own layers that have nothing to do in ``app``: its body limit when no
    ``max_body_size`` is set (ConvScope's own, :class:`app.errors.BodyLimit`, has a limit per
    path), and the exception telemetry while its OpenTelemetry is off (it reports to a
    request's telemetry, which then never exists). None for a FastAPI without them."""
    idle: list[type] = []
    try:
        from fastapi._body_limit import AppBodyLimitMiddleware
    except ImportError:
        pass
    else:
        if getattr(app, "max_body_size", None) is None:
            idle.append(AppBodyLimitMiddleware)
    try:
        from fastapi.telemetry._asgi import ExceptionTelemetryMiddleware
    except ImportError:
        pass
    else:
        if not app.telemetry_on:
            idle.append(ExceptionTelemetryMiddleware)
    return tuple(idle)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app under ``settings`` (default: from the environment): its body limit,
    frame policy, CORS and engine threads, the limits its handlers enforce and those its
    OpenAPI document states, all one object (the handlers read the environment's while the
    document stated the given ones: max_steps 5 published, a count of 10 answered).

    Examples
    --------
    >>> create_app(Settings(max_body_bytes=1024)).title
    'ConvScope'
    """
    given = settings
    settings = settings or settings_from_env()
    app = ConvScope(
        telemetry_on=settings.telemetry,
        title="ConvScope",
        summary="The convolutional layer of the CS231n notes, computed and explained.",
        version=package_version(),
        docs_url=None,
        redoc_url=None,
        # a path with a slash too many is a 404 in the one error shape that names the path
        # without it (a 307 with no body left curl's user with nothing to read)
        redirect_slashes=False,
        # While serving, large convolutions split over the app's own threads, and heavy
        # requests compute a few at a time.
        lifespan=engine_threads.lifespan(settings),
        **telemetry(settings.telemetry),
    )
    errors.install(app)
    # One limit per path: image uploads have their own, larger one.
    app.add_middleware(
        errors.BodyLimit,
        default=errors.Limit(settings.max_body_bytes, setting_name("max_body_bytes")),
        paths={images.UPLOAD_PATH: errors.Limit(settings.max_upload_bytes,
                                                setting_name("max_upload_bytes"))},
        seconds=settings.body_seconds,
    )
    security.install(app, settings)  # last: its headers wrap every other layer's answers
    for router in (api.router, images_router.router, pages.router, docs.router):
        routing.add_routes(app, router)
    app.mount("/static", StaticFromMemory(directory=STATIC), name="static")
    app.router.middleware_stack = routing.PathTable(app.router)
    if given is not None:  # the handlers' settings (get_settings) are these too
        app.dependency_overrides[get_settings] = lambda: given
    openapi.install(app, settings)  # bounds in the schema: this server's settings
    return app


def telemetry(enabled: bool) -> dict[str, Any]:
    """FastAPI's options for its own OpenTelemetry: all off unless ``enabled`` (and none
    to give a FastAPI without them).

    With no provider configured FastAPI would trace nothing anyway, but it looks for one on
    every request; turned off, it does not look.

    Examples
    --------
    >>> telemetry(True)
    {}
    """
    if enabled or "telemetry" not in inspect.signature(FastAPI.__init__).parameters:
        return {}
    return {"telemetry": {"tracing": False, "metrics": False, "logs": False}}


app = create_app()
