"""A layer that does not fit is drawn, not blanked (issue 10, section 1): the misfit presets'
input with the last whole window, the overhanging one in red, the cells fit="floor" drops
hatched and the zeros fit="pad" adds in place. Positions are checked on the canvas's pixels
against the API's per-axis figures (compare coordinates), never against the page's own code.
"""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

OVERHANG_RED = (221, 17, 0)
HATCH = (11, 110, 153)
ADDED = (198, 222, 244)


def near(pixels: np.ndarray, colour: tuple[int, int, int], tolerance: int = 30) -> np.ndarray:
    """Where ``pixels`` (H, W, 3) are within ``tolerance`` of ``colour`` on every channel."""
    return np.all(np.abs(pixels.astype(int) - np.array(colour)) <= tolerance, axis=-1)


def misfit_canvas(page: Page) -> tuple[np.ndarray, dict[str, int]]:
    """The misfit picture's pixels (H, W, 3) and where its cells sit (x0, y0, cell, row0, col0)."""
    canvas = page.locator("#input-panel canvas.misfit-canvas")
    expect(canvas).to_have_count(1, timeout=30_000)
    url: str = canvas.evaluate("c => c.toDataURL('image/png')")
    image = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGB")
    layout: dict[str, str] = canvas.evaluate("c => ({...c.dataset})")
    return np.asarray(image), {key: int(value) for key, value in layout.items()}


def geometry_of(api: httpx.Client, preset: str) -> Any:
    layer = api.get(f"/api/presets/{preset}").json()["layer"]
    answer = api.post("/api/geometry", json=layer).json()
    assert answer["valid"] is False
    return answer


@pytest.mark.parametrize("preset", ["ten-stride-2-invalid", "alexnet-224"])
def test_a_misfit_preset_draws_its_overhang_drops_and_pad_zeros_where_the_api_says(
    page: Page, api: httpx.Client, artifacts: Path, preset: str
) -> None:
    geometry = geometry_of(api, preset)
    h, w = geometry["height"], geometry["width"]
    page.goto(f"/?preset={preset}")
    pixels, at = misfit_canvas(page)
    x0, y0, cell, row0, col0 = (at[k] for k in ("x0", "y0", "cell", "row0", "col0"))
    hp = h["size"] + h["pad_before"] + h["pad_after"]
    wp = w["size"] + w["pad_before"] + w["pad_after"]

    def box(r: int, c: int) -> np.ndarray:
        """The pixels of cell (r, c) of the padded input, one pixel in from its border."""
        top, left = y0 + (r - row0) * cell, x0 + (c - col0) * cell
        return pixels[top + 1 : top + cell - 1, left + 1 : left + cell - 1]

    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 20  # a picture, not a blank

    # The red window starts at the API's overhang start on both axes (its 3 px outline is
    # centred on the cell border).
    grid = pixels[y0:, x0:]
    red_y, red_x = np.nonzero(near(grid, OVERHANG_RED, 25))
    assert abs(int(red_x.min()) - (w["overhang_start"] - col0) * cell) <= 2
    assert abs(int(red_y.min()) - (h["overhang_start"] - row0) * cell) <= 2

    # The columns and rows fit="floor" drops are hatched, their neighbours are not.
    # the first row and column drawn: kept by floor, clear of both windows' outlines
    inside_row, inside_col = row0, col0
    assert inside_row < min(h["overhang_start"], hp - h["floor_drops"])
    assert inside_col < min(w["overhang_start"], wp - w["floor_drops"])
    for c in range(wp - w["floor_drops"], wp):
        assert near(box(inside_row, c), HATCH).sum() > cell
    for r in range(hp - h["floor_drops"], hp):
        assert near(box(r, inside_col), HATCH).sum() > cell
    assert near(box(inside_row, inside_col), HATCH).sum() == 0

    # The zeros fit="pad" adds are drawn in place, past the input's last row and column.
    for c in range(wp, wp + w["pad_adds"]):
        assert near(box(inside_row, c), ADDED, 6).mean() > 0.5
    for r in range(hp, hp + h["pad_adds"]):
        assert near(box(r, inside_col), ADDED, 6).mean() > 0.5
    assert near(box(inside_row, inside_col), ADDED, 6).mean() == 0

    # The words under it carry the API's figures.
    notes = page.locator("#input-panel .misfit-notes")
    expect(notes).to_contain_text(f"{w['whole_windows']} whole windows")
    expect(notes).to_contain_text(f"starts at column {w['overhang_start']}")
    page.locator("#input-panel").screenshot(path=str(artifacts / f"misfit-{preset}.png"))


def test_a_suggestion_makes_the_layer_fit_and_the_panels_come_back(
    page: Page, artifacts: Path
) -> None:
    page.goto("/")
    expect(page.locator("#numpy-code")).to_contain_text("np.sum", timeout=30_000)
    page.get_by_label("Preset").select_option("ten-stride-2-invalid")
    misfit_canvas(page)
    # the last layer's numbers are gone: nothing to step through in a layer with no output
    expect(page.locator("#numpy-code")).to_have_text("")
    expect(page.locator("#output-grids")).to_be_empty()
    expect(page.locator("#app")).not_to_have_class(re.compile(r"\bstale\b"))
    page.get_by_role("button", name=re.compile(r"^stride 1 gives")).click()
    # (10 - 3)/1 + 1 = 8
    expect(page.locator("#output-shape")).to_have_text("8x8x1", timeout=30_000)
    expect(page.locator("#numpy-code")).to_contain_text("np.sum")
    expect(page.locator("#input-panel canvas.misfit-canvas")).to_have_count(0)
    expect(page.get_by_role("group", name="Input depth slice 0")).to_be_visible()
    page.screenshot(path=str(artifacts / "misfit-suggestion-applied.png"))
