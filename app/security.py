"""Security headers on every response, and CORS only where configured.

The page and the API docs load scripts and styles from ``/static`` only, so the policy can
forbid inline script and ``eval`` outright: an injected ``<script>`` or ``onclick=`` runs
nowhere. Images may be ``data:``/``blob:`` URLs because the page draws volumes on canvases
and exports them, and Swagger UI's icons are ``data:`` SVGs.

Framing is refused unless :attr:`app.config.Settings.frame_ancestors` names who may embed
the pages (an LMS, a course site); cross-origin API calls are refused unless
:attr:`app.config.Settings.cors_origins` names who may make them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Settings
from app.errors import Refusal, answer, detail

# Directives other than frame-ancestors, which depends on the settings.
BASE_POLICY = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
)


def frame_ancestors(origins: tuple[str, ...]) -> str:
    """The CSP frame-ancestors source list for the configured origins.

    Examples
    --------
    >>> frame_ancestors(())
    "'none'"
    >>> frame_ancestors(("self", "https://lms.example.edu"))
    "'self' https://lms.example.edu"
    """
    if not origins:
        return "'none'"
    return " ".join("'self'" if origin == "self" else origin for origin in origins)


def x_frame_options(origins: tuple[str, ...]) -> str | None:
    """The legacy X-Frame-Options value, or None where it cannot say what CSP says.

    X-Frame-Options has no way to name another origin (ALLOW-FROM is dead), and browsers that
    know frame-ancestors ignore it anyway; so it is sent only when it agrees with the policy.

    Examples
    --------
    >>> x_frame_options(()), x_frame_options(("self",)), x_frame_options(("https://a.edu",))
    ('DENY', 'SAMEORIGIN', None)
    """
    if not origins:
        return "DENY"
    if origins == ("self",):
        return "SAMEORIGIN"
    return None


@dataclass(frozen=True)
class SecurityPolicy:
    """The headers every response carries, computed once from the settings.

    Examples
    --------
    >>> policy = SecurityPolicy.of(Settings())
    >>> dict(policy.headers)["x-content-type-options"]
    'nosniff'
    >>> "frame-ancestors 'none'" in dict(policy.headers)["content-security-policy"]
    True
    """

    headers: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, settings: Settings) -> SecurityPolicy:
        ancestors = frame_ancestors(settings.frame_ancestors)
        policy = "; ".join((*BASE_POLICY, f"frame-ancestors {ancestors}"))
        headers = [
            ("content-security-policy", policy),
            ("x-content-type-options", "nosniff"),
            # The app links nowhere that needs to know where a reader came from.
            ("referrer-policy", "no-referrer"),
            ("cross-origin-opener-policy", "same-origin"),
            ("permissions-policy", "camera=(), microphone=(), geolocation=(), payment=()"),
        ]
        frame = x_frame_options(settings.frame_ancestors)
        if frame is not None:
            headers.append(("x-frame-options", frame))
        return cls(tuple(headers))


class SecurityHeaders:
    """ASGI middleware: add the policy's headers to every HTTP response (a handler's own
    header of the same name wins), and answer an unhandled exception with a 500 in the API's
    error shape that carries them too.

    Starlette's own 500 is sent from outside every user middleware, so without the second
    part a crash would be the one response without the headers. The headers are encoded once;
    a response gets a new list (never the handler's list grown in place: a response object
    may be sent more than once).
    """

    def __init__(self, app: ASGIApp, policy: SecurityPolicy) -> None:
        self.app = app
        self.raw = [(name.encode("latin-1"), value.encode("latin-1"))
                    for name, value in policy.headers]
        self.names = frozenset(name for name, _ in self.raw)

    def with_policy(self, headers: Sequence[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        """``headers`` plus the policy's, but for those the handler set itself.

        Examples
        --------
        >>> middleware = SecurityHeaders(None, SecurityPolicy((("x-a", "1"), ("x-b", "2"))))
        >>> middleware.with_policy([(b"X-B", b"mine")])
        [(b'X-B', b'mine'), (b'x-a', b'1')]
        """
        own = {name.lower() for name, _ in headers} & self.names
        if not own:
            return [*headers, *self.raw]
        return [*headers, *(header for header in self.raw if header[0] not in own)]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = self.with_policy(message.get("headers", ()))
            await send(message)

        try:
            await self.app(scope, receive, with_headers)
        except Exception:
            if not started:
                crash = answer(500, [detail([], "Internal Server Error", "internal_error")])
                await crash(scope, receive, with_headers)
            raise  # for the server's log; Starlette sees the response started and adds none


class Cors(CORSMiddleware):
    """Starlette's CORS, its refused preflights in the API's one error shape (it answers a
    400 in plain text, "Disallowed CORS origin")."""

    def preflight_response(self, request_headers: Headers) -> Response:
        answer = super().preflight_response(request_headers)
        if answer.status_code != 400:
            return answer
        failures = bytes(answer.body).decode().removeprefix("Disallowed CORS ")
        origin = request_headers.get("origin", "")
        kept = {k: v for k, v in answer.headers.items() if k.lower().startswith("access-control")
                or k.lower() == "vary"}
        return Refusal(400, ["header", "origin"], f"this server refuses the CORS preflight from "
                       f"{origin!r}: its {failures} is not allowed (allowed origins: "
                       f"{', '.join(self.allow_origins) or 'none'}; methods GET, POST; header "
                       "Content-Type)", "cors_refused", headers=kept).response()


def install(app: Starlette, settings: Settings) -> None:
    """Add the headers middleware, and CORS when ``settings.cors_origins`` is set; keep the
    frame ancestors on ``app.state`` for the page.

    Call it after every other ``add_middleware`` so the headers middleware is the outermost
    (a 413 from the body limit carries the headers too); CORS goes inside it so preflight
    answers carry them as well.
    """
    if settings.cors_origins:
        app.add_middleware(
            Cors,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["content-type"],
            max_age=600,
        )
    app.add_middleware(SecurityHeaders, policy=SecurityPolicy.of(settings))
    # The page obeys postMessage from exactly the origins that may frame it (app/routers/pages.py).
    app.state.frame_ancestors = settings.frame_ancestors
