"""HTML pages: the visualizer itself. Owned by the front-end work (issue 3)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["pages"])
