"""Server settings: every limit the API enforces, overridable from ``CONVSCOPE_*`` variables.

Tests replace :func:`get_settings` through ``app.dependency_overrides``; the body-size limit
is applied when the app is built (it guards the socket, before any handler runs), so tests of
it build their own app with ``create_app(Settings(...))``.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """The API's limits. Each is checked before any array is allocated.

    Examples
    --------
    >>> Settings(max_side=64).max_side
    64
    """

    model_config = SettingsConfigDict(env_prefix="CONVSCOPE_", frozen=True, extra="ignore")

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
        2_000_000_000, ge=1,
        description="Budget of multiply-adds one request may ask for "
        "(AlexNet conv1 forward is 105,415,200).",
    )
    max_elements: int = Field(
        50_000_000, ge=1,
        description="Largest number of array elements one request may materialise "
        "(inputs, weights, outputs, gradients; 50M float64 = 400 MB).",
    )
    max_steps: int = Field(1000, ge=1, description="Largest `count` of one /api/steps range.")


@lru_cache
def get_settings() -> Settings:
    """The settings read once from the environment (a FastAPI dependency)."""
    return Settings()
