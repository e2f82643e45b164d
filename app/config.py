"""Server settings: every limit the API enforces, overridable from ``CONVSCOPE_*`` variables.

Handlers take them as :data:`SettingsDep`; tests replace :func:`get_settings` through
``app.dependency_overrides``. The body-size limits are applied when the app is built (they
guard the socket, before any handler runs), so tests of them build their own app with
``create_app(Settings(...))``.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any

from fastapi import Depends
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from engine.errors import listing

# An origin as browsers send it (scheme://host[:port]); a leading "*." allows subdomains in
# CSP's frame-ancestors. Anything else (spaces, ';', quotes) could smuggle a directive into
# the Content-Security-Policy header, so it is refused when the server starts.
ORIGIN = re.compile(r"https?://(\*\.)?[A-Za-z0-9.-]+(:[0-9]{1,5})?")
Origins = Annotated[tuple[str, ...], NoDecode]


def _origin_list(value: Any) -> Any:
    """``"https://a.edu, https://b.edu"`` (how an environment variable says it) as a tuple."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


ENV_PREFIX = "CONVSCOPE_"


def setting_name(field: str) -> str:
    """The environment variable that sets :class:`Settings` field ``field``; a name that is
    no field is a KeyError, so a message cannot name a setting that does not exist.

    >>> setting_name("max_work")
    'CONVSCOPE_MAX_WORK'
    >>> setting_name("max_wrok")
    Traceback (most recent call last):
    ...
    KeyError: "no setting 'max_wrok'"
    """
    if field not in Settings.model_fields:
        raise KeyError(f"no setting {field!r}")
    return ENV_PREFIX + field.upper()


@dataclass(frozen=True)
class ServerLimit:
    """One of this server's limits as an over_limit refusal says it: its value and the
    setting that sets it, in the sentence and in the ``ctx`` alike (:meth:`Settings.limit`).

    >>> limit = Settings(max_side=4).limit("max_side")
    >>> limit.over(["x is 5", "y is 6"])
    "x is 5 and y is 6, over this server's limit of 4 (CONVSCOPE_MAX_SIDE)"
    >>> limit.ctx
    {'limit': 4, 'setting': 'CONVSCOPE_MAX_SIDE'}
    """

    value: int
    setting: str  # the environment variable, CONVSCOPE_...

    @property
    def ctx(self) -> dict[str, Any]:
        """The refusal's ``ctx``: for a client that acts on the limit without reading the
        sentence."""
        return {"limit": self.value, "setting": self.setting}

    def needing(self, needed: int) -> dict[str, Any]:
        """The ``ctx`` of a budget's refusal: the limit and what the request would need, in
        the same units, so a client can say how far over it is without reading the sentence.

        >>> Settings().limit("max_work").needing(12)["needed"]
        12
        """
        return self.ctx | {"needed": needed}

    def over(self, parts: Sequence[str]) -> str:
        """The numbers sent over this limit (``"x is 5"`` each) and the limit."""
        return f"{listing(parts)}, over this server's limit of {self.value:,} ({self.setting})"


class Settings(BaseSettings):
    """The API's limits. Each is checked before any array is allocated.

    Examples
    --------
    >>> Settings(max_side=64).max_side
    64
    """

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="ignore")

    max_body_bytes: int = Field(
        8 * 2**20, ge=1,
        description="Largest request body in bytes; larger bodies get 413 before being read.",
    )
    max_side: int = Field(
        4096, ge=1,
        description="Largest input height/width, filter size, stride, dilation or padding.",
    )
    max_depth: int = Field(4096, ge=1, description="Largest input depth (channels).")
    max_filters: int = Field(4096, ge=1, description="Largest number of filters K.")
    max_work: int = Field(
        5_000_000_000, ge=1,
        description="Budget of work one request may ask for, estimated before it starts "
        "(app/costs.py): in units of one multiply-add of the engine's matrix product, "
        "array elements, numbers read or written, steps and taps each weighed by what it "
        "costs against one (docs/design.md, \"Costs\"). AlexNet conv1's compact forward is "
        "~0.41 billion with whole-number fills, ~0.54 billion for the alexnet-conv1 preset, "
        "whose real values add the check of sums near 0.",
    )
    max_elements: int = Field(
        50_000_000, ge=1,
        description="Largest number of array elements one request may materialise "
        "(inputs, weights, outputs, gradients; 50M float64 = 400 MB).",
    )
    max_steps: int = Field(1000, ge=1, description="Largest `count` of one /api/steps range.")
    max_edits: int = Field(
        1000, ge=0,
        description="Largest number of hand-typed `edits` one layer spec may carry.",
    )
    body_seconds: float = Field(
        30.0, gt=0, le=3600,
        description="Seconds a request's body may go without any of it arriving (from the "
        "request's start, or its last chunk); the request then gets 408 (body_timeout) and "
        "its connection is closed, so a client that stops sending cannot hold a connection "
        "open.",
    )
    max_upload_bytes: int = Field(
        10 * 2**20, ge=1,
        description="Largest uploaded image in bytes (POST /api/images); larger gets 413.",
    )
    max_image_side: int = Field(
        256, ge=1, description="Images are resized so their longer side is at most this."
    )
    max_image_pixels: int = Field(
        40_000_000, ge=1,
        description="Largest width*height an image header may declare; checked before "
        "decoding, so a small file that would inflate to gigabytes (a decompression bomb) "
        "is refused.",
    )
    frame_ancestors: Origins = Field(
        (),
        description="Origins allowed to embed the pages in a frame, comma-separated "
        "(`self` for this server's own); none by default (CSP frame-ancestors 'none'). An "
        "embedded page obeys postMessage from these origins only (js/embed.js).",
    )
    engine_threads: int = Field(
        0, ge=0,
        description="Threads one large convolution is split over while the server runs; BLAS "
        "itself then runs single-threaded (app/engine_threads.py). 0: one per core; 1: every "
        "request on its own thread (right when running as many worker processes as cores).",
    )
    heavy_requests: int = Field(
        0, ge=0,
        description="Requests whose priced work is too much for the event loop (an AlexNet "
        "forward, say) that compute at once; the others wait their turn, so memory and CPU "
        "stay bounded however many clients send them (app/routing.py). 0: one per core.",
    )
    waiting_requests: int = Field(
        64, ge=0,
        description="Such requests that may wait their turn; one more is answered 503 "
        "(server_busy, with Retry-After) at once instead of queueing without end.",
    )
    cors_origins: Origins = Field(
        (),
        description="Origins whose scripts may call the API cross-origin, comma-separated, "
        "or `*`; none by default (CORS off).",
    )
    telemetry: bool = Field(
        False,
        description="FastAPI's own OpenTelemetry (request spans, metrics and logs through "
        "the providers configured globally in the process); off by default: ConvScope sets "
        "up no provider, and looking for one costs every request.",
    )

    def limit(self, name: str) -> ServerLimit:
        """The limit ``name`` (a field, e.g. ``"max_work"``) with its setting's name."""
        value: int = getattr(self, name)
        return ServerLimit(value, setting_name(name))

    @field_validator("frame_ancestors", mode="before")
    @classmethod
    def _frame_ancestors(cls, value: Any) -> Any:
        found = _origin_list(value)
        for origin in found:
            if origin != "self" and not ORIGIN.fullmatch(origin):
                raise ValueError(f"{origin!r} is not `self` or an origin like https://lms.example.edu")
        return found

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _cors_origins(cls, value: Any) -> Any:
        found = _origin_list(value)
        for origin in found:
            if origin != "*" and not (ORIGIN.fullmatch(origin) and "*" not in origin):
                raise ValueError(f"{origin!r} is not `*` or an origin like https://lms.example.edu")
        return found


@lru_cache
def settings_from_env() -> Settings:
    """The settings read once from the environment."""
    return Settings()


async def get_settings() -> Settings:
    """The settings, as the FastAPI dependency that tests override.

    A coroutine so FastAPI calls it in the event loop: a plain function would cost every
    request a round trip through the thread pool.
    """
    return settings_from_env()


SettingsDep = Annotated[Settings, Depends(get_settings)]


async def settings_for(app: Any) -> Settings:
    """The settings ``app`` answers under (a test's override of :func:`get_settings`
    included), for code that runs before FastAPI solves a handler's dependencies."""
    provider = getattr(app, "dependency_overrides", {}).get(get_settings, get_settings)
    found = provider()
    settings: Settings = await found if inspect.isawaitable(found) else found
    return settings
