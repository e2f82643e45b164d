"""The 3-D volume view (issue 10, section 3), driven in headless Chromium.

The view draws on canvases, so it exposes where it drew things (``volume3d.probe()`` and
``volume3d.corners(r, c, k)`` on ``#input-3d`` / ``#output-3d``); the expectations about which
cells and which neuron come from the REST API.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image, ImageChops
from playwright.sync_api import Browser, Page, expect

from tests.browser.test_page import PAGE_UPSTREAM, QUIET, forward_arrays, said_value

pytestmark = pytest.mark.browser

Json = Any
Point = tuple[float, float]


def open_page(page: Page, query: str) -> None:
    page.goto(f"/{query}")
    expect(page.locator("#app")).to_have_attribute("aria-busy", "false", timeout=30_000)
    expect(page.locator("#numpy-code")).to_contain_text("np.sum", timeout=30_000)


def turn_input_block(page: Page) -> None:
    """Drag across the input block's centre, 40 px right and 20 px down."""
    canvas = page.locator("#input-3d .volume3d-block")
    canvas.scroll_into_view_if_needed()
    area = canvas.bounding_box()
    assert area is not None
    x, y = area["x"] + area["width"] / 2, area["y"] + area["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 40, y + 20, steps=4)
    page.mouse.up()


def probe(page: Page, which: str) -> Json:
    """Where the `which` block (input or output) drew its field or neuron, after a paint."""
    page.evaluate(
        "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
    )
    return page.evaluate(f"document.querySelector('#{which}-3d').volume3d.probe()")


def corners(page: Page, which: str, r: int, c: int, k: int) -> list[Point]:
    found: list[list[float]] = page.evaluate(
        f"document.querySelector('#{which}-3d').volume3d.corners({r}, {c}, {k})"
    )
    return [(x, y) for x, y in found]


def api_step(api: httpx.Client, preset: str, t: int, order: str = "depth_slice") -> Json:
    layer = api.get(f"/api/presets/{preset}").json()["layer"]
    answer = api.post("/api/steps", json={"layer": layer, "start": t, "count": 1, "order": order})
    answer.raise_for_status()
    return answer.json()["steps"][0]


def hull(points: list[Point]) -> list[Point]:
    """Convex hull, counter-clockwise (Andrew's monotone chain)."""
    ordered = sorted(set(points))

    def cross(o: Point, a: Point, b: Point) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[Point] = []
    upper: list[Point] = []
    for chain, seq in ((lower, ordered), (upper, list(reversed(ordered)))):
        for p in seq:
            while len(chain) >= 2 and cross(chain[-2], chain[-1], p) <= 0:
                chain.pop()
            chain.append(p)
    return lower[:-1] + upper[:-1]


def inside(polygon: list[Point], p: Point, slack: float = 0.5) -> bool:
    """True when p is inside the counter-clockwise convex polygon (within `slack` px)."""
    for a, b in zip(polygon, polygon[1:] + polygon[:1], strict=True):
        edge = (b[0] - a[0], b[1] - a[1])
        length = (edge[0] ** 2 + edge[1] ** 2) ** 0.5
        if (edge[0] * (p[1] - a[1]) - edge[1] * (p[0] - a[0])) / length < -slack:
            return False
    return True


def test_toggle_puts_view_3d_in_the_url_and_a_reload_keeps_it(page: Page) -> None:
    # a link from before the 3-D view (no `view` key) opens the flat slices
    open_page(page, "?preset=cs231n-demo")
    toggle = page.get_by_role("button", name="3-D view")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    expect(page.locator("#input-3d")).to_be_hidden()
    expect(page.get_by_role("table", name="Input depth slice 0")).to_be_visible()
    toggle.click()
    expect(page).to_have_url(re.compile(r"[?&]view=3d(&|$)"))
    expect(page.locator("#input-3d .volume3d-block")).to_be_visible()
    expect(page.locator("#output-3d .volume3d-block")).to_be_visible()
    expect(page.get_by_role("table", name="Input depth slice 0")).to_be_hidden()
    page.reload()
    expect(page.locator("#app")).to_have_attribute("aria-busy", "false", timeout=30_000)
    expect(page.get_by_role("button", name="3-D view")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#input-3d .volume3d-block")).to_be_visible()
    page.get_by_role("button", name="3-D view").click()
    expect(page).to_have_url(re.compile(r"^(?!.*[?&]view=)"))
    expect(page.get_by_role("table", name="Input depth slice 0")).to_be_visible()


def test_field_box_encloses_every_cell_of_the_field_through_the_full_depth(
    page: Page, api: httpx.Client, artifacts: Path
) -> None:
    t = 4  # the notes' demo: V[1,1,0], a field away from the corner
    open_page(page, f"?preset=cs231n-demo&view=3d&t={t}")
    step = api_step(api, "cs231n-demo", t)
    rows = list(range(*step["rows"]))
    cols = list(range(*step["cols"]))
    seen = probe(page, "input")
    assert seen["field"]["rows"] == [rows[0], rows[-1]]
    assert seen["field"]["cols"] == [cols[0], cols[-1]]
    box = [(x, y) for x, y in seen["field"]["box"]]
    outline = hull(box)
    cells = [
        p
        for r in rows
        for c in cols
        for k in range(seen["depth"])
        for p in corners(page, "input", r, c, k)
    ]
    assert all(inside(outline, p) for p in cells)
    # tight: each corner of the box is a corner of a cell of the field
    for corner in box:
        assert min(abs(corner[0] - p[0]) + abs(corner[1] - p[1]) for p in cells) < 0.5
    # and a cell just outside the field is not inside the box
    outside = corners(page, "input", rows[-1] + 1, cols[-1] + 1, 0)
    assert not all(inside(outline, p) for p in outside)
    page.locator("#input-panel").screenshot(path=artifacts / "volume3d-demo-input.png")


def test_current_neuron_is_drawn_on_its_depth_slice_after_stepping(
    page: Page, api: httpx.Client, artifacts: Path
) -> None:
    # every key but these is the notes demo's own default
    open_page(page, "?preset=cs231n-demo&h=5&view=3d&order=depth_column")
    for _ in range(3):
        page.get_by_role("button", name="Step forward").click()
    step = api_step(api, "cs231n-demo", 3, order="depth_column")
    seen = probe(page, "output")
    neuron = seen["neuron"]
    assert (neuron["i"], neuron["j"], neuron["d"]) == (step["i"], step["j"], step["d"]) == (0, 1, 1)
    assert seen["cut"] == step["d"]
    on_slice = corners(page, "output", step["i"], step["j"], step["d"])[:4]
    on_slice_before = corners(page, "output", step["i"], step["j"], step["d"] - 1)[:4]
    near = [min(abs(a[0] - b[0]) + abs(a[1] - b[1]) for b in on_slice) for a in neuron["corners"]]
    assert max(near) < 0.5
    moved = zip(neuron["corners"], on_slice_before, strict=True)
    assert min(abs(a[0] - b[0]) + abs(a[1] - b[1]) for a, b in moved) > 2
    page.locator("#output-panel").screenshot(path=artifacts / "volume3d-demo-output.png")


def test_dragging_turns_both_blocks(page: Page) -> None:
    open_page(page, "?preset=cs231n-demo&view=3d")
    before = probe(page, "input")
    turn_input_block(page)
    page.mouse.move(2, 2)  # a pointer resting on a cell shows that cell, not the step's field
    after = probe(page, "input")
    assert after["yaw"] == pytest.approx(before["yaw"] - 0.4, abs=0.02)
    assert after["pitch"] == pytest.approx(before["pitch"] + 0.2, abs=0.02)
    assert after["field"]["box"] != before["field"]["box"]
    assert probe(page, "output")["yaw"] == after["yaw"]



def test_the_keyboard_turns_zooms_and_moves_a_focused_block_without_stepping(page: Page) -> None:
    # the blocks turned, zoomed and moved by pointer alone: a keyboard could not reach them
    open_page(page, "?preset=cs231n-demo&view=3d&t=4")
    before = probe(page, "input")
    block = page.locator("#input-3d .volume3d-block")
    block.focus()
    expect(page.locator("#input-3d .volume3d-hint")).to_contain_text("arrows turn")
    # and a screen reader hears them with each block (the hint beside it went unread)
    for name in ("input", "output"):
        expect(page.locator(f"#{name}-3d .volume3d-block")).to_have_accessible_description(
            "Keys: arrows turn the block, + and − zoom, Shift+arrows move it")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowDown")
    turned = probe(page, "input")
    # 15 degrees each way, both blocks; the arrows did not step the layer
    assert turned["yaw"] == pytest.approx(before["yaw"] + 0.2618, abs=0.01)
    assert turned["pitch"] == pytest.approx(before["pitch"] + 0.2618, abs=0.01)
    assert probe(page, "output")["yaw"] == turned["yaw"]
    expect(page).to_have_url(re.compile(r"[?&]t=4(&|$)"))
    page.keyboard.press("+")
    page.keyboard.press("+")
    zoomed = probe(page, "input")
    assert zoomed["zoom"] == pytest.approx(1.5625, rel=0.01)
    expect(page).to_have_url(re.compile(r"[?&]zoom=i1\.56(&|$)"))
    page.keyboard.press("Shift+ArrowRight")
    moved = probe(page, "input")
    assert moved["field"]["box"][0][0] == pytest.approx(zoomed["field"]["box"][0][0] + 24, abs=0.5)
    expect(page).not_to_have_url(re.compile(r"pin=[^&]"))  # Shift+arrows moved the block, not a pin
    page.keyboard.press("-")
    assert probe(page, "input")["zoom"] == pytest.approx(1.25, rel=0.01)
    # Space still plays; away from the block the arrows step again and the hint is the pointer's
    page.keyboard.press("Space")
    expect(page.get_by_role("button", name="Pause")).to_be_visible()
    page.keyboard.press("Space")
    page.locator("body").focus()
    block.evaluate("e => e.blur()")
    expect(page.locator("#input-3d .volume3d-hint")).to_contain_text("drag to turn")


def test_alexnet_draws_in_3d_with_numbers_only_when_zoomed_in(
    page: Page, console_errors: list[str], artifacts: Path
) -> None:
    open_page(page, "?preset=alexnet-conv1&view=3d&t=30000")
    seen = probe(page, "input")
    assert (seen["rows"], seen["cols"], seen["depth"]) == (227, 227, 3)
    assert seen["paints"] > 0
    assert seen["numbers"] == 0  # colours only at this scale
    output = probe(page, "output")
    assert (output["rows"], output["cols"], output["depth"]) == (55, 55, 96)
    # the front slice is painted: a pixel at the middle of cell (113, 113) is opaque
    alpha = page.evaluate(
        """() => {
          const box = document.querySelector('#input-3d');
          const canvas = box.querySelector(".volume3d-block");
          const rect = canvas.getBoundingClientRect();
          const c = box.volume3d.corners(113, 113, 0);
          const x = (c[0][0] + c[2][0]) / 2 - rect.left;
          const y = (c[0][1] + c[2][1]) / 2 - rect.top;
          const r = canvas.width / rect.width;
          const ctx = canvas.getContext('2d');
          return ctx.getImageData(Math.round(x * r), Math.round(y * r), 1, 1).data[3];
        }"""
    )
    assert alpha == 255
    page.locator("#input-3d").get_by_role("button", name="Zoom to the field").click()
    page.locator("#output-3d").get_by_role("button", name="Zoom to the neuron").click()
    zoomed = probe(page, "input")
    assert zoomed["zoom"] > 4
    assert zoomed["numbers"] > 50
    assert probe(page, "output")["numbers"] > 10
    for which in ("input", "output"):
        shot = artifacts / f"volume3d-alexnet-{which}-zoomed.png"
        page.locator(f"#{which}-panel").screenshot(path=shot)
    assert console_errors == []


def test_a_misfit_is_drawn_flat_and_the_next_preset_opens_in_3d_again(page: Page) -> None:
    open_page(page, "?preset=cs231n-demo&view=3d")
    page.get_by_label("Preset").select_option("ten-stride-2-invalid")
    expect(page.locator("#input-shape")).to_contain_text("does not fit")
    # a layer that does not fit has no output to draw in 3-D: its misfit drawing shows instead
    expect(page.locator("#input-3d")).to_be_hidden()
    expect(page.locator("#input-grids")).to_be_visible()
    page.get_by_label("Preset").select_option("cs231n-demo")
    expect(page.locator("#numpy-code")).to_contain_text("np.sum", timeout=30_000)
    expect(page).to_have_url(re.compile(r"[?&]view=3d(&|$)"))
    expect(page.locator("#input-3d .volume3d-block")).to_be_visible()
    assert probe(page, "input")["field"]["rows"] == [0, 2]


# Every number the 3-D input canvas draws in its next paint: [text, font] (the blocks' numbers
# are set in "DejaVu Sans Mono"; the labels around the block are not).
NUMBER_FONTS = """
() => new Promise((done) => {
  const canvas = document.querySelector('#input-3d .volume3d-block');
  const ctx = canvas.getContext('2d');
  const seen = [];
  ctx.fillText = function (text, x, y) {
    if (this.font.includes('DejaVu')) seen.push([text, this.font]);
    return CanvasRenderingContext2D.prototype.fillText.call(this, text, x, y);
  };
  document.querySelector('#input-3d').querySelector('button').click();  // Reset view: a paint
  requestAnimationFrame(() => requestAnimationFrame(() => {
    delete ctx.fillText;
    done(seen);
  }));
})
"""


def test_a_block_shows_its_numbers_at_one_type_size(page: Page) -> None:
    # the demo's input at the default zoom: its front slice and the sides facing the eye
    # differ in cell size on screen, yet every number of the block is set at one size
    open_page(page, "?preset=cs231n-demo&view=3d")
    drawn: list[list[str]] = page.evaluate(NUMBER_FONTS)
    assert len(drawn) > 49  # at least the 7x7 front slice
    assert len({font for _, font in drawn}) == 1
    size = float(drawn[0][1].split("px")[0])
    assert size == pytest.approx(probe(page, "input")["font"], abs=1e-3)
    assert 8 <= size <= 13


def test_hidden_flat_grids_wait_in_3d_and_are_right_again_back_in_flat(
    page: Page, api: httpx.Client
) -> None:
    open_page(page, "?preset=cs231n-demo&h=5&order=depth_column")
    # (by label: a role query does not find the hidden grid)
    neuron = page.locator('[aria-label="Output activation map 1"]')
    expect(neuron.locator('.cell[data-r="0"][data-c="0"]')).to_have_attribute("data-value", "")
    page.get_by_role("button", name="3-D view").click()
    for _ in range(3):
        page.get_by_role("button", name="Step forward").click()
    expect(page.locator("#app")).to_have_attribute("data-shown-step", "3")
    assert probe(page, "output")["neuron"]["d"] == 1
    # step 1 computed V[0,0,1]; the hidden flat map was not redrawn for it
    expect(neuron.locator('.cell[data-r="0"][data-c="0"]')).to_have_attribute("data-value", "")
    page.get_by_role("button", name="3-D view").click()
    step = api_step(api, "cs231n-demo", 3, order="depth_column")
    current = page.locator("#output-grids .mark-current")
    expect(current).to_have_count(1)
    grid = page.get_by_role("table", name=f"Output activation map {step['d']}")
    cell = grid.locator(f'.cell[data-r="{step["i"]}"][data-c="{step["j"]}"]')
    expect(cell).to_have_class(re.compile(r"\bmark-current\b"))
    assert float(cell.get_attribute("data-value") or "nan") == pytest.approx(step["post"])
    first = api_step(api, "cs231n-demo", 1, order="depth_column")
    done = neuron.locator(f'.cell[data-r="{first["i"]}"][data-c="{first["j"]}"]')
    assert float(done.get_attribute("data-value") or "nan") == pytest.approx(first["post"])
    field = page.get_by_role("table", name="Input depth slice 0").locator(".in-field")
    taps = {(r, c) for r in range(*step["rows"]) for c in range(*step["cols"])}
    got = {
        (int(n.get_attribute("data-r") or -1), int(n.get_attribute("data-c") or -1))
        for n in field.all()
    }
    assert got == taps
    # and the field's outline is drawn around those cells, not collapsed in a corner
    box = page.get_by_role("table", name="Input depth slice 0").locator(".field-box")
    outline = box.bounding_box()
    assert outline is not None and outline["width"] > 40


def centre_of(points: list[Point]) -> Point:
    return (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))


def readout(page: Page, which: str, at: Point) -> str:
    """Hover client point `at` and answer what the `which` block's readout says."""
    page.mouse.move(*at)
    text = page.locator(f"#{which}-3d .volume3d-readout")
    expect(text).to_be_visible()
    return text.inner_text()


def value_of(text: str) -> float:
    return float(text.split(" = ")[1].split(" ")[0])


def test_hover_in_3d_reads_out_the_cell_under_the_pointer_and_a_click_pins_its_neuron(
    page: Page, api: httpx.Client, artifacts: Path
) -> None:
    page.set_viewport_size({"width": 1280, "height": 720})
    open_page(page, "?preset=cs231n-demo&view=3d&t=4")
    layer = api.get("/api/presets/cs231n-demo").json()["layer"]
    forward = api.post("/api/forward", json=layer).json()
    xp, out = forward["padded_input"], forward["output"]
    page.locator("#input-3d .volume3d-block").scroll_into_view_if_needed()
    # the front face of padded cell (2, 3) of slice 0, found by projecting its corners
    text = readout(page, "input", centre_of(corners(page, "input", 2, 3, 0)[:4]))
    assert text.startswith("X[1,2,0] = ") and text.endswith("(Xp[2,3,0])")
    assert value_of(text) == pytest.approx(xp[2][3][0])
    # a cell of the deepest slice, on the block's right side (x = its last column's far edge)
    side = [corners(page, "input", 4, 6, 2)[n] for n in (1, 2, 5, 6)]
    assert readout(page, "input", centre_of(side)) == "zero padding Xp[4,6,2] = 0"

    # the output: a neuron computed by step 1, then its own step is shown (hover = flat hover)
    text = readout(page, "output", centre_of(corners(page, "output", 0, 1, 0)[:4]))
    assert text.startswith("V[0,1,0] = ")
    assert value_of(text) == pytest.approx(out[0][1][0])
    expect(page.locator("#numpy-code")).to_contain_text("V[0,1,0]")
    page.screenshot(path=artifacts / "volume3d-hover-demo.png")
    step = api.post("/api/steps", json={"layer": layer, "position": [0, 1, 0], "count": 1})
    pinned = step.json()["start"]
    page.mouse.down()
    page.mouse.up()
    expect(page).to_have_url(re.compile(r"[?&]pin=o0\.1\.0(&|$)"))
    page.mouse.move(2, 2)  # off the canvas: the pin, not the hover, holds the step now
    expect(page.locator("#app")).to_have_attribute("data-shown-step", str(pinned))
    # a neuron of depth slice 1 on the output's right side, not computed yet at t = 4
    side = [corners(page, "output", 1, 2, 1)[n] for n in (1, 2, 5, 6)]
    assert readout(page, "output", centre_of(side)) == "V[1,2,1] = not yet computed"

    # turned and zoomed: the input is picked through the new projection, near a cell's corner
    canvas = page.locator("#input-3d .volume3d-block").bounding_box()
    assert canvas is not None
    x, y = canvas["x"] + canvas["width"] / 2, canvas["y"] + canvas["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 120, y - 30, steps=6)
    page.mouse.up()
    page.mouse.wheel(0, -300)
    seen = probe(page, "input")
    assert seen["zoom"] > 1.5 and seen["yaw"] < -0.5
    cell = corners(page, "input", 3, 2, 0)[:4]
    middle = centre_of(cell)
    for corner in cell:  # 95 % of the way from the middle to each corner
        near = (
            middle[0] + 0.95 * (corner[0] - middle[0]),
            middle[1] + 0.95 * (corner[1] - middle[1]),
        )
        text = readout(page, "input", near)
        assert text.startswith("X[2,1,0] = ")
        assert value_of(text) == pytest.approx(xp[3][2][0])


# The connection lines as drawn after the next frames: {group, data, at: [x1, y1, x2, y2]}.
LINES = """
() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve(
  Array.from(document.querySelectorAll("svg.connections line")).map((l) => ({
    group: l.parentNode.getAttribute("class"), data: { ...l.dataset },
    at: [l.x1, l.y1, l.x2, l.y2].map((a) => a.baseVal.value),
  }))))))
"""


def near(a: Point, b: Point, slack: float = 2.0) -> bool:
    return abs(a[0] - b[0]) <= slack and abs(a[1] - b[1]) <= slack


def on_outline(p: Point, quad: list[Point], slack: float = 2.0) -> bool:
    """True when p is within `slack` px of an edge of the quadrilateral."""
    for a, b in zip(quad, quad[1:] + quad[:1], strict=True):
        ex, ey = b[0] - a[0], b[1] - a[1]
        t = max(0.0, min(1.0, ((p[0] - a[0]) * ex + (p[1] - a[1]) * ey) / (ex * ex + ey * ey)))
        if abs(p[0] - a[0] - t * ex) <= slack and abs(p[1] - a[1] - t * ey) <= slack:
            return True
    return False


def aims_at(at: list[float], target: Point, slack: float = 2.0) -> bool:
    """True when the line through segment `at` passes within `slack` px of `target`."""
    x1, y1, x2, y2 = at
    length = ((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5
    return abs((x2 - x1) * (target[1] - y1) - (y2 - y1) * (target[0] - x1)) / length <= slack


def check_3d_lines(page: Page, step: Json, depth_out: int) -> None:
    """The beams start at the middle of the field's face on each input slice, one a slice
    (four corner lines a slice crossed the block's numbers); the filter line and the fan's
    lines aim at their neuron's centre and end on its cell's outline (within 2 px)."""
    found: list[Json] = page.evaluate(LINES)
    rows, cols = list(range(*step["rows"])), list(range(*step["cols"]))
    r0, r1, c0, c1 = rows[0], rows[-1], cols[0], cols[-1]
    beams = [line for line in found if line["group"] == "conn-beam"]
    assert sorted(int(line["data"]["slice"]) for line in beams) == [0, 1, 2]
    for line in beams:
        ch = int(line["data"]["slice"])
        face = [  # the slice's front face (index 0-3 of corners(): its nearer plane)
            corners(page, "input", r0, c0, ch)[0], corners(page, "input", r0, c1, ch)[1],
            corners(page, "input", r1, c1, ch)[2], corners(page, "input", r1, c0, ch)[3]]
        assert line["data"]["corner"] == "centre"
        # from the middle of the face, drawn from its edge (it covered the middle number)
        assert on_outline((line["at"][0], line["at"][1]), face)
        assert aims_at(line["at"], centre_of(face))
    cell = corners(page, "output", step["i"], step["j"], step["d"])[:4]
    outs = [line for line in found if line["group"] == "conn-out"]
    assert len(outs) == 1
    assert on_outline((outs[0]["at"][2], outs[0]["at"][3]), cell)
    assert aims_at(outs[0]["at"], centre_of(cell))
    fans = [line for line in found if line["group"] == "conn-fan"]
    assert sorted(int(line["data"]["d"]) for line in fans) == list(range(depth_out))
    box = probe(page, "input")["field"]["box"]
    for line in fans:
        d = int(line["data"]["d"])
        cell = corners(page, "output", step["i"], step["j"], d)[:4]
        assert on_outline((line["at"][2], line["at"][3]), cell)
        assert aims_at(line["at"], centre_of(cell))
        assert any(near((line["at"][0], line["at"][1]), (x, y)) for x, y in box)


def test_3d_lines_join_the_field_box_the_filter_and_the_neurons_of_the_column(
    page: Page, api: httpx.Client, artifacts: Path
) -> None:
    page.set_viewport_size({"width": 1280, "height": 720})
    open_page(page, "?preset=cs231n-demo&h=5&view=3d&order=depth_column&t=2")
    page.get_by_role("button", name="Step forward").click()
    expect(page.locator("#app")).to_have_attribute("data-shown-step", "3")
    check_3d_lines(page, api_step(api, "cs231n-demo", 3, order="depth_column"), 2)
    # turned (both blocks turn together): the ends follow the new projection
    canvas = page.locator("#output-3d .volume3d-block").bounding_box()
    assert canvas is not None
    x, y = canvas["x"] + 30, canvas["y"] + canvas["height"] - 30
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 50, y + 25, steps=5)
    page.mouse.up()
    page.mouse.move(2, 2)  # no cell hovered: the lines are the playhead's step's
    expect(page.locator("#app")).to_have_attribute("data-shown-step", "3")
    assert probe(page, "input")["yaw"] > 0.9
    check_3d_lines(page, api_step(api, "cs231n-demo", 3, order="depth_column"), 2)
    page.screenshot(path=artifacts / "volume3d-lines-demo.png")


def test_hovered_product_and_weight_in_3d_cut_the_input_open_at_their_slice(
    page: Page, api: httpx.Client
) -> None:
    t, k, r, c, ch = 12, 1, 2, 1, 2
    open_page(page, f"?preset=cs231n-demo&view=3d&t={t}")
    layer = api.get("/api/presets/cs231n-demo").json()["layer"]
    steps = api.post(
        "/api/steps", json={"layer": layer, "start": 0, "count": t + 1, "order": "depth_slice"}
    ).json()["steps"]
    step = steps[t]
    # a product: the block opens at its slice, and its line ends on its input cell's centre
    page.get_by_role("table", name=f"Products depth slice {ch}").locator(
        f'.cell[data-r="{r}"][data-c="{c}"]'
    ).hover()
    assert probe(page, "input")["cut"] == ch
    found: list[Json] = page.evaluate(LINES)
    to_input = [line for line in found if line["data"].get("to") == "input"]
    assert len(to_input) == 1
    xr, xc = range(*step["rows"])[r], range(*step["cols"])[c]
    cell = centre_of(corners(page, "input", xr, xc, ch)[:4])
    assert near((to_input[0]["at"][2], to_input[0]["at"][3]), cell)
    # a weight: every input cell it multiplied so far, outlined on that slice of the block
    expected = {(range(*s["rows"])[r], range(*s["cols"])[c]) for s in steps if s["d"] == k}
    page.get_by_role("table", name=f"Filter {k} depth slice {ch}").locator(
        f'.cell[data-r="{r}"][data-c="{c}"]'
    ).hover()
    assert probe(page, "input")["cut"] == ch
    path = page.locator("svg.connection-marks path.conn-cells").get_attribute("d") or ""
    quads = [
        [(float(x), float(y)) for x, y in re.findall(r"([-\d.]+) ([-\d.]+)", part)]
        for part in path.split("M")[1:]
    ]
    assert len(quads) == len(expected) == 4
    for xr, xc in expected:
        drawn = corners(page, "input", xr, xc, ch)[:4]
        assert any(all(near(a, b) for a, b in zip(q, drawn, strict=True)) for q in quads)


def beam_starts_on_field_centres(page: Page, step: Json) -> int:
    """Each centre beam (one line a slice) leaves the middle of the field's rectangle on its
    slice's front face, drawn from its edge; answers how many there are."""
    found: list[Json] = page.evaluate(LINES)
    beams = [line for line in found if line["group"] == "conn-beam"]
    rows, cols = list(range(*step["rows"])), list(range(*step["cols"]))
    for line in beams:
        ch = int(line["data"]["slice"])
        quad = [
            corners(page, "input", rows[0], cols[0], ch)[0],
            corners(page, "input", rows[0], cols[-1], ch)[1],
            corners(page, "input", rows[-1], cols[-1], ch)[2],
            corners(page, "input", rows[-1], cols[0], ch)[3],
        ]
        assert on_outline((line["at"][0], line["at"][1]), quad)
        assert aims_at(line["at"], centre_of(quad))
    return len(beams)


def test_3d_views_of_example_2_alexnet_and_the_dark_theme_at_1280x720(
    page: Page, api: httpx.Client, artifacts: Path
) -> None:
    page.set_viewport_size({"width": 1280, "height": 720})
    # Example 2's 20 input slices: one line a slice, from the middle of the field on it
    open_page(page, "?preset=example-2&view=3d&t=40")
    step = api_step(api, "example-2", 40)
    assert beam_starts_on_field_centres(page, step) >= 10
    page.screenshot(path=artifacts / "volume3d-example-2.png")
    # AlexNet conv1: one line from each of its three slices too (four corner lines a slice
    # crossed the block's numbers)
    open_page(page, "?preset=alexnet-conv1&view=3d&t=30000")
    assert beam_starts_on_field_centres(page, api_step(api, "alexnet-conv1", 30000)) == 3
    page.screenshot(path=artifacts / "volume3d-alexnet.png")
    # the dark theme: the canvas stays see-through over the dark panel
    open_page(page, "?preset=cs231n-demo&view=3d&t=4&theme=dark&order=depth_column&h=5")
    shot = page.locator("#output-3d .volume3d-block").screenshot()
    corner = Image.open(io.BytesIO(shot)).convert("L").getpixel((6, 6))
    assert isinstance(corner, int) and corner < 60
    page.screenshot(path=artifacts / "volume3d-dark.png")


def test_a_tap_on_a_block_shows_the_cell_and_pins_its_neuron(
    browser: Browser, base_url: str, api: httpx.Client
) -> None:
    context = browser.new_context(
        base_url=base_url, viewport={"width": 1280, "height": 720}, has_touch=True
    )
    try:
        page = context.new_page()
        open_page(page, "?preset=cs231n-demo&view=3d&t=4")
        page.locator("#output-3d .volume3d-block").scroll_into_view_if_needed()
        target = centre_of(corners(page, "output", 1, 0, 0)[:4])
        page.touchscreen.tap(*target)
        expect(page).to_have_url(re.compile(r"[?&]pin=o1\.0\.0(&|$)"))
        layer = api.get("/api/presets/cs231n-demo").json()["layer"]
        out = api.post("/api/forward", json=layer).json()["output"]
        text = page.locator("#output-3d .volume3d-readout").inner_text()
        assert text.startswith("V[1,0,0] = ") and value_of(text) == pytest.approx(out[1][0][0])
        expect(page.locator("#numpy-code")).to_contain_text("V[1,0,0]")
    finally:
        context.close()


def test_a_tap_leaves_no_hover_behind_the_steps_and_the_readout_move_on(
    browser: Browser, base_url: str
) -> None:
    # a tap worked as a hover that never ended: with its pin released, the arithmetic kept
    # the tapped neuron while the playhead stepped, and its readout stayed (the phone review)
    context = browser.new_context(base_url=base_url, viewport={"width": 390, "height": 844},
                                  device_scale_factor=3, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        open_page(page, "?preset=cs231n-demo&view=3d&t=4")
        page.locator("#output-3d .volume3d-block").scroll_into_view_if_needed()
        readout = page.locator("#output-3d .volume3d-readout")
        target = centre_of(corners(page, "output", 0, 0, 0)[:4])
        page.touchscreen.tap(*target)
        expect(page).to_have_url(re.compile(r"[?&]pin=o0\.0\.0(&|$)"))
        expect(readout).to_contain_text("V[0,0,0] = ")
        page.touchscreen.tap(*target)  # the pin released
        expect(page).to_have_url(re.compile(r"^(?!.*[?&]pin=)"))
        expect(page.locator("#numpy-code")).to_contain_text("V[1,1,0]")  # step 4's again
        page.locator("#t-forward").tap()  # the block holds the focus: its arrows turn it
        expect(page.locator("#numpy-code")).to_contain_text("V[1,2,0]")
        expect(readout).to_be_hidden()
    finally:
        context.close()


Box = tuple[float, float, float, float]


def box_meets_polygon(box: Box, polygon: list[Point]) -> bool:
    """True when the rectangle and the convex polygon overlap (separating axes)."""
    x0, y0, x1, y1 = box
    rect = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    axes = [(1.0, 0.0), (0.0, 1.0)] + [
        (b[1] - a[1], a[0] - b[0]) for a, b in zip(polygon, polygon[1:] + polygon[:1], strict=True)
    ]
    for ax, ay in axes:
        r = [x * ax + y * ay for x, y in rect]
        p = [x * ax + y * ay for x, y in polygon]
        if max(r) <= min(p) or max(p) <= min(r):
            return False
    return True


def segment_meets_box(at: list[float], box: Box) -> bool:
    """True when segment `at` [x1, y1, x2, y2] passes through the rectangle (sampled per px)."""
    x1, y1, x2, y2 = at
    n = max(2, int(((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5))
    return any(
        box[0] < x1 + (x2 - x1) * s / n < box[2] and box[1] < y1 + (y2 - y1) * s / n < box[3]
        for s in range(n + 1)
    )


@pytest.mark.parametrize(
    ("query", "texts"),
    [
        # the demo's block is its padded input: Hp and Wp, not the strip's H and W (5)
        ("?preset=cs231n-demo&view=3d&t=4", {"Wp = 7", "Hp = 7", "D = 3", "Xp[:, :, 0]"}),
        ("?preset=alexnet-conv1&view=3d&t=30000", {"W = 227", "H = 227", "D = 3", "X[:, :, 0]"}),
    ],
)
def test_size_labels_sit_outside_the_block_clear_of_the_field_and_the_lines(
    page: Page, query: str, texts: set[str]
) -> None:
    page.set_viewport_size({"width": 1280, "height": 720})
    open_page(page, query)
    lines: list[Json] = page.evaluate(LINES)
    assert lines
    for which in ("input", "output"):
        found = probe(page, which)
        rows, cols, depth = found["rows"], found["cols"], found["depth"]
        # the block's silhouette: the corner cells' corners
        block = hull(
            [
                p
                for r in (0, rows - 1)
                for c in (0, cols - 1)
                for k in (0, depth - 1)
                for p in corners(page, which, r, c, k)
            ]
        )
        boxes = [tuple(label["box"]) for label in found["labels"]]
        if which == "input":
            assert {label["text"] for label in found["labels"]} == texts
            field = hull([(x, y) for x, y in found["field"]["box"]])
            assert not any(box_meets_polygon(box, field) for box in boxes)
        else:
            assert len(boxes) == 4
        for box in boxes:
            assert not box_meets_polygon(box, block), (which, box)
            assert not any(segment_meets_box(line["at"], box) for line in lines), (which, box)
        for n, a in enumerate(boxes):
            for b in boxes[n + 1 :]:
                assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]


@pytest.mark.parametrize(
    "size", [(1024, 768), (1280, 720), (1920, 1080)], ids=lambda s: f"{s[0]}x{s[1]}"
)
def test_large_type_grows_the_blocks_labels_and_keeps_every_one(
    page: Page, size: tuple[int, int]
) -> None:
    # The blocks' sizes and the cut slice's name were drawn at 12 px whatever the type: in
    # large type on a projector the hall read the blocks' numbers but not "Hp = 7" or
    # "X[:, :, 0]". Grown, none may be left out for want of room beside a block that fills a
    # 1024 px window's narrow panel.
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_page(page, "?preset=cs231n-demo&view=3d&t=7&large=1")
    expect(page.locator("html")).to_have_attribute("data-large", "")
    for which, texts in (("input", {"Hp = 7", "Wp = 7", "D = 3", "Xp[:, :, 0]"}),
                         ("output", {"H2 = 3", "W2 = 3", "K = 2", "V[:, :, 0]"})):
        labels = probe(page, which)["labels"]
        assert {label["text"] for label in labels} == texts, (which, labels)
        for label in labels:
            px = re.search(r"([\d.]+)px", label["font"])
            assert px and float(px.group(1)) >= 15, (which, label)  # 12 px before
        boxes = [label["box"] for label in labels]
        for n, a in enumerate(boxes):
            for b in boxes[n + 1 :]:
                assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (which, a, b)


# The largest alpha (0-255) a canvas holds within a pixel of each client point.
ALPHA_NEAR = """
([selector, points]) => {
  const canvas = document.querySelector(selector);
  const rect = canvas.getBoundingClientRect();
  const scale = canvas.width / canvas.clientWidth;
  const ctx = canvas.getContext('2d');
  return points.map(([x, y]) => {
    const px = Math.round((x - rect.left - canvas.clientLeft) * scale);
    const py = Math.round((y - rect.top - canvas.clientTop) * scale);
    const data = ctx.getImageData(px - 1, py - 1, 3, 3).data;
    let most = 0;
    for (let n = 3; n < data.length; n += 4) most = Math.max(most, data[n]);
    return most;
  });
}
"""


def test_playing_redraws_the_small_overlay_not_the_blocks_and_a_pause_leaves_its_step_drawn(
    page: Page, api: httpx.Client
) -> None:
    page.set_viewport_size({"width": 1280, "height": 720})
    open_page(page, "?preset=alexnet-conv1&view=3d&t=30300")
    page.get_by_label("Speed").select_option("1000")
    before = {which: probe(page, which) for which in ("input", "output")}
    page.get_by_role("button", name="Play").click()
    # played until both overlays have been drawn ten times more and the page shows a step 100
    # on (about a sixth of a second at 60 frames a second; a busy machine draws fewer frames
    # in any fixed time)
    page.wait_for_function("""(before) => ["input", "output"].every((which) =>
        document.querySelector(`#${which}-3d`).volume3d.probe().marks.paints
          - before[which] >= 10)
      && Number(document.querySelector("#app").dataset.shownStep) > 30300 + 100""",
        arg={which: before[which]["marks"]["paints"] for which in ("input", "output")},
        timeout=20_000)
    page.get_by_role("button", name="Pause").click()
    t = int(page.locator("#app").get_attribute("data-shown-step") or 0)
    assert t > 30300 + 100
    after = {which: probe(page, which) for which in ("input", "output")}
    for which in ("input", "output"):
        # the blocks were drawn when playing began (no numbers), maybe once more as the
        # recoloured cells grew, and on the pause; the overlay every frame
        marks = after[which]["marks"]["paints"] - before[which]["marks"]["paints"]
        blocks = after[which]["paints"] - before[which]["paints"]
        assert marks >= 10 and blocks <= 4, (which, marks, blocks)
    # paused: the overlay shows the step's field box and neuron, where they are projected
    step = api_step(api, "alexnet-conv1", t)
    rows, cols = list(range(*step["rows"])), list(range(*step["cols"]))
    marks = after["input"]["marks"]
    assert marks["field"] == [rows[0], rows[-1], cols[0], cols[-1]]
    x0, y0, x1, y1 = marks["box"]
    box = after["input"]["field"]["box"]
    assert all(x0 <= x <= x1 and y0 <= y <= y1 for x, y in box)
    alphas = page.evaluate(ALPHA_NEAR, ["#input-3d .volume3d-marks", box])
    assert min(alphas) > 128, alphas
    neuron = after["output"]["marks"]["neuron"]
    assert neuron == [step["i"], step["j"], step["d"]]
    cell = after["output"]["neuron"]["corners"]
    alphas = page.evaluate(ALPHA_NEAR, ["#output-3d .volume3d-marks", cell])
    assert min(alphas) > 128, alphas


def test_turning_draws_the_blocks_again(page: Page) -> None:
    open_page(page, "?preset=cs231n-demo&view=3d&t=4")
    before = probe(page, "input")
    pixels = page.locator("#input-3d .volume3d-block").screenshot()
    canvas = page.locator("#input-3d .volume3d-block")
    canvas.scroll_into_view_if_needed()
    area = canvas.bounding_box()
    assert area is not None
    x, y = area["x"] + 20, area["y"] + 20
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 30, y, steps=3)
    page.mouse.up()
    page.mouse.move(2, 2)
    after = probe(page, "input")
    assert after["yaw"] != before["yaw"]
    assert after["paints"] > before["paints"]
    assert page.locator("#input-3d .volume3d-block").screenshot() != pixels
    # and the overlay follows: the field box's corners are inside it
    x0, y0, x1, y1 = after["marks"]["box"]
    assert all(x0 <= x <= x1 and y0 <= y <= y1 for x, y in after["field"]["box"])


def test_a_playing_frame_shows_what_the_paused_view_of_its_step_shows(
    page: Page, artifacts: Path
) -> None:
    # while playing, the output's cells recoloured since its block was drawn are drawn again
    # on the overlay: the two canvases together must show what a paused page draws
    page.set_viewport_size({"width": 1280, "height": 720})
    query = "?preset=alexnet-conv1&view=3d"
    # the connection lines (over the canvases, and drawn less often while playing) hidden
    no_lines = "() => { document.querySelector('svg.connections').style.display = 'none'; }"
    open_page(page, f"{query}&t=30300")
    page.evaluate(no_lines)
    page.get_by_label("Speed").select_option("1000")
    page.get_by_role("button", name="Play").click()
    # stopped at a frame before the recoloured cells cover a tenth of the view (about 650
    # steps here), when the block would be drawn whole again: in the first frame whose overlay
    # shows a neuron 300 steps on (about 0.3 s at 60 frames a second; looked at every frame,
    # not after a wall-clock time a busy machine draws fewer frames in), every frame after it
    # withheld; the frame already asked for is drawn before the look
    seen = page.evaluate("""() => new Promise((resolve) => {
      const raf = window.requestAnimationFrame.bind(window);
      const block = document.querySelector("#output-3d").volume3d;
      const start = performance.now();
      const look = () => {
        const n = block.probe().marks.neuron;
        const t = n ? (n[2] * 55 + n[0]) * 55 + n[1] : 0;
        if (t >= 30300 + 300 || performance.now() - start > 20000) {
          window.requestAnimationFrame = () => 0;
          raf(() => raf(() => resolve(block.probe())));
        } else raf(look);
      };
      raf(look);
    })""")
    assert seen["marks"]["region"]
    i, j, d = seen["marks"]["neuron"]
    t = (d * 55 + i) * 55 + j  # depth-slice order
    assert t > 30300 + 100
    playing = {
        which: page.locator(f"#{which}-3d .volume3d-block").screenshot()
        for which in ("input", "output")
    }
    fresh = page.context.new_page()
    fresh.set_viewport_size({"width": 1280, "height": 720})
    open_page(fresh, f"{query}&t={t}")
    fresh.evaluate(no_lines)
    probe(fresh, "output")
    for which in ("input", "output"):
        a = Image.open(io.BytesIO(playing[which])).convert("RGB")
        b = Image.open(io.BytesIO(fresh.locator(f"#{which}-3d .volume3d-block").screenshot()))
        b = b.convert("RGB")
        assert a.size == b.size
        r, g, bl = ImageChops.difference(a, b).split()
        most = ImageChops.lighter(ImageChops.lighter(r, g), bl)  # each pixel's largest difference
        off = sum(most.histogram()[25:])
        a.save(artifacts / f"volume3d-playing-{which}.png")
        b.save(artifacts / f"volume3d-paused-{which}.png")
        assert off < 0.002 * a.size[0] * a.size[1], (which, off)
    fresh.close()


def test_playing_fast_in_depth_column_order_keeps_the_cut_and_a_pause_cuts_at_the_neuron(
    page: Page,
) -> None:
    # AlexNet conv1 in depth-column order: step 20000 is on depth slice 32
    open_page(page, "?preset=alexnet-conv1&view=3d&order=depth_column&t=20000")
    assert "order=depth_column" in page.url
    assert probe(page, "output")["cut"] == 20000 % 96 == 32
    page.get_by_label("Speed").select_option("1000")
    page.get_by_role("button", name="Play").click()
    # until the overlay's neuron has left slice 32 (0.5 s of the test's clock could pass in a
    # busy machine's few frames before the first step was drawn)
    page.wait_for_function("""() => {
      const n = document.querySelector("#output-3d").volume3d.probe().marks.neuron;
      return n !== null && n[2] !== 32;
    }""", timeout=20_000)
    playing = probe(page, "output")
    assert playing["neuron"]["d"] != 32 or playing["marks"]["neuron"][2] != 32
    assert playing["cut"] == 32
    blocks = playing["paints"]
    # 300 ms and ten frames of the page's clock (the test's 300 ms could hold no frame on a
    # busy machine, and a block drawn again every frame go unseen): the neuron moved through
    # the slices; the output block was not drawn again for it
    page.evaluate(QUIET, 300)
    assert probe(page, "output")["paints"] - blocks <= 1
    page.get_by_role("button", name="Pause").click()
    paused = probe(page, "output")
    assert paused["cut"] == paused["neuron"]["d"]
    t = int(page.locator("#app").get_attribute("data-shown-step") or 0)
    assert t > 20000 and paused["neuron"]["d"] == t % 96


def assert_overlay_holds_the_neuron(page: Page) -> None:
    """The neuron's marker is drawn on the output's overlay, where its cell is: the overlay's
    box holds the cell's corners."""
    marks = page.locator("#output-3d canvas.volume3d-marks").bounding_box()
    assert marks is not None
    for x, y in probe(page, "output")["neuron"]["corners"]:
        assert marks["x"] - 1 <= x <= marks["x"] + marks["width"] + 1
        assert marks["y"] - 1 <= y <= marks["y"] + marks["height"] + 1


@pytest.mark.parametrize("ratio", [2, 3])
def test_a_high_density_screen_draws_the_blocks_at_their_own_size(
    browser: Browser, base_url: str, ratio: int, artifacts: Path
) -> None:
    # An emulated density reported the canvases' device px as CSS px: the view was drawn
    # twice (three times) its size, labels huge and the field box and neuron off their cells
    context = browser.new_context(
        base_url=base_url, viewport={"width": 1366, "height": 768}, device_scale_factor=ratio
    )
    page = context.new_page()
    open_page(page, "?preset=cs231n-demo&t=4&view=3d")
    probe(page, "output")
    blocks = page.locator("canvas.volume3d-block")
    assert blocks.count() >= 2  # the input's and the output's: none would pass the loop
    for block in blocks.all():
        held, shown = block.evaluate("c => [c.width, c.clientWidth]")  # its content box
        assert abs(held - shown * ratio) <= ratio + 1, (held, shown)
    assert_overlay_holds_the_neuron(page)
    page.locator("#output-panel").screenshot(path=artifacts / f"volume3d-density-{ratio}.png")
    context.close()


@pytest.mark.parametrize(("viewport", "ratio", "query"), [
    ((1180, 820), 2, "?preset=cs231n-demo&view=3d&t=0"),
    ((390, 844), 3, "?preset=alexnet-conv1&view=3d&t=3100"),
])
def test_the_highlights_overlay_is_shown_at_its_own_size_on_a_dense_screen(
    browser: Browser, base_url: str, viewport: tuple[int, int], ratio: int, query: str,
    artifacts: Path,
) -> None:
    # the overlay's first 300x150 px, kept while the highlights fitted them, were shown as
    # 300x150 CSS px: the field box and the neuron's outline came out 2-3 times too big and
    # off their cells (the phone and tablet review)
    width, height = viewport
    context = browser.new_context(base_url=base_url, viewport={"width": width, "height": height},
                                  device_scale_factor=ratio)
    page = context.new_page()
    open_page(page, query)
    probe(page, "output")
    overlays = page.locator("canvas.volume3d-marks:visible")
    expect(overlays).to_have_count(2)
    for overlay in overlays.all():
        held, shown = overlay.evaluate("c => [[c.width, c.height], "
                                       "[c.getBoundingClientRect().width, "
                                       "c.getBoundingClientRect().height]]")
        assert all(abs(n - css * ratio) <= 1 for n, css in zip(held, shown, strict=True)), (
            held, shown)
    assert_overlay_holds_the_neuron(page)
    page.locator("#output-panel").screenshot(path=artifacts / f"volume3d-overlay-{width}.png")
    context.close()


def reopened(page: Page, browser: Any) -> tuple[Json, Json]:
    """The input and output blocks as page's link opens them in a fresh page."""
    fresh = browser.new_page(base_url=page.url.split("/?")[0], viewport=page.viewport_size)
    try:
        fresh.goto(page.url)
        expect(fresh.locator("#numpy-code")).to_contain_text("np.sum", timeout=30_000)
        return probe(fresh, "input"), probe(fresh, "output")
    finally:
        fresh.close()


def test_a_turned_3d_view_opens_at_its_angle_from_its_link(page: Page, browser: Any) -> None:
    # a rotated 3-D view copied as a link reopened at the first angle
    open_page(page, "?preset=cs231n-demo&view=3d")
    turn_input_block(page)
    turned = probe(page, "input")
    expect(page).to_have_url(re.compile(r"[?&]cam=-?\d+_-?\d+(&|$)"))
    seen, _ = reopened(page, browser)
    # whole degrees in the link: within half a degree (0.009 radians)
    assert seen["yaw"] == pytest.approx(turned["yaw"], abs=0.009)
    assert seen["pitch"] == pytest.approx(turned["pitch"], abs=0.009)
    # Back to the first view's link: the first angle again
    open_page(page, "?preset=cs231n-demo&view=3d")
    assert probe(page, "input")["yaw"] == pytest.approx(0.62, abs=0.009)


def test_a_zoomed_3d_view_opens_zoomed_from_its_link(page: Page, browser: Any) -> None:
    # a wheel zoom left zoom= out of the link, so the shared 3-D view opened whole
    open_page(page, "?preset=cs231n-demo&view=3d&t=4")
    canvas = page.locator("#input-3d .volume3d-block").bounding_box()
    assert canvas is not None
    page.mouse.move(canvas["x"] + canvas["width"] / 2, canvas["y"] + canvas["height"] / 2)
    page.mouse.wheel(0, -300)
    zoomed = probe(page, "input")["zoom"]
    assert zoomed > 1.5
    expect(page).to_have_url(re.compile(r"[?&]zoom=i\d+(\.\d+)?(&|$)"))
    seen, other = reopened(page, browser)
    assert seen["zoom"] == pytest.approx(zoomed, rel=0.01)  # two decimals in the link
    assert other["zoom"] == 1
    # the view's buttons are zooms by hand too: reset writes the whole block back
    page.get_by_role("button", name="Reset view of the input block").click()
    expect(page).not_to_have_url(re.compile(r"zoom=i"))


def test_a_zoomed_block_stays_zoomed_through_large_type_as_its_link_opens_it(
    page: Page, browser: Any
) -> None:
    # zoomed with +, then Large type: the page drew the whole block again while its link kept
    # zoom=o1.25, which opened the block zoomed (the instructor review)
    page.set_viewport_size({"width": 1280, "height": 720})
    open_page(page, "?preset=cs231n-demo&view=3d")
    page.locator("#output-3d .volume3d-block").focus()
    page.keyboard.press("+")
    expect(page).to_have_url(re.compile(r"[?&]zoom=o1\.25(&|$)"))
    page.get_by_label("Large type").check()
    expect(page.locator("html")).to_have_attribute("data-large", "")
    expect(page).to_have_url(re.compile(r"[?&]zoom=o1\.25(&|$)"))
    live = probe(page, "output")
    assert live["zoom"] == pytest.approx(1.25, rel=0.01)
    _, linked = reopened(page, browser)
    assert linked["zoom"] == pytest.approx(live["zoom"], rel=0.01)
    # the same neuron at the same place on screen, not just the same factor
    corner = live["neuron"]["corners"][0]
    assert linked["neuron"]["corners"][0] == pytest.approx(corner, abs=2)


def test_an_embed_shorter_than_a_laptop_keeps_the_blocks_inside_their_panels(page: Page) -> None:
    # An embed takes the wide layout from 600 px at any height, but the blocks shrank to
    # their panel only from 561 px tall: in an 800x450 frame the input block ran 16 px past.
    page.set_viewport_size({"width": 800, "height": 450})
    page.goto("/?embed=1&preset=cs231n-demo&t=4&view=3d")
    expect(page.locator("#input-3d canvas.volume3d-block")).to_be_visible(timeout=30_000)
    for panel in ("input", "output"):
        bottoms = page.evaluate(f"""() => [
            document.querySelector('#{panel}-3d canvas.volume3d-block')
                .getBoundingClientRect().bottom,
            document.querySelector('#{panel}-panel').getBoundingClientRect().bottom]""")
        assert bottoms[0] <= bottoms[1], (panel, bottoms)


@pytest.mark.parametrize(("size", "large"), [((844, 390), ""), ((780, 360), ""),
                                             ((844, 390), "&large=1"), ((390, 844), "")])
def test_a_phone_shows_each_block_whole_in_its_panel(
    phone: Page, size: tuple[int, int], large: str
) -> None:
    # the one-column panel fits between the window's top and the transport, and the block
    # kept volume3d.css's 220 px at least: held sideways at 844x390 the input panel's last
    # 46 px, the block's foot and its width's label, were cut off (109 px in large type)
    page = phone
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(f"/?preset=cs231n-demo&view=3d{large}")
    expect(page.locator("#input-3d canvas.volume3d-block")).to_be_visible(timeout=30_000)
    for panel in ("input", "output"):
        fits = page.evaluate(f"""() => {{
            const body = document.querySelector('#{panel}-panel');
            const block = document.querySelector('#{panel}-3d canvas.volume3d-block');
            return [body.scrollHeight - body.clientHeight,
                    body.getBoundingClientRect().bottom - block.getBoundingClientRect().bottom,
                    block.getBoundingClientRect().height];
        }}""")
        cut, below, height = fits
        assert cut <= 1 and below >= -1, (panel, fits)
        # where the panel has room the block keeps volume3d.css's height (48 % of the window)
        assert height >= (120 if size[1] < 500 else 0.48 * size[1] - 1), (panel, fits)


@pytest.mark.parametrize(("screen", "size", "query"), [
    ("page", (1024, 600), "?preset=alexnet-conv1&view=3d&mode=backward&large=1"),
    ("phone", (780, 360), "?preset=cs231n-demo&view=3d&large=1"),
])
def test_a_block_with_no_room_under_its_panels_tools_is_a_scroll_away_and_said_so(
    request: pytest.FixtureRequest, screen: str, size: tuple[int, int], query: str
) -> None:
    # the block keeps 120 px at the least; where the panel's head, words and tools left less,
    # it was cut at the panel's foot with nothing saying so: a 1024x600 window in large type
    # showed the output block's first label alone, a sideways phone lost the block's foot
    page: Page = request.getfixturevalue(screen)  # a phone is a touch screen
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(f"/{query}")
    expect(page.locator("#app")).to_have_attribute("aria-busy", "false", timeout=30_000)
    for name in ("input", "output"):
        panel, box = page.locator(f"#{name}-panel"), page.locator(f"#{name}-3d")
        expect(panel).to_have_class(re.compile(r"\bmore-below\b"))
        expect(box).to_have_attribute("tabindex", "0")  # a keyboard scrolls it too
        down, across = box.evaluate("b => [b.scrollHeight - b.clientHeight, "
                                    "b.scrollWidth - b.clientWidth]")
        assert down > 2 and across <= 0, (name, down, across)  # nothing scrolls sideways
        box.evaluate("b => { b.scrollTop = b.scrollHeight; }")
        expect(panel).not_to_have_class(re.compile(r"\bmore-below\b"))  # its end reached
        block, foot = page.evaluate(f"""() => [
            document.querySelector('#{name}-3d .volume3d-block').getBoundingClientRect(),
            document.querySelector('#{name}-panel').getBoundingClientRect().bottom]""")
        assert block["height"] >= 119 and block["bottom"] <= foot, (name, block, foot)


def test_a_screen_reader_hears_the_value_of_the_blocks_neuron_and_pinned_cell(
    page: Page, api: httpx.Client
) -> None:
    # the blocks said where the neuron and the field are, not a number of either
    layer = api.get("/api/presets/alexnet-conv1").json()["layer"]
    arrays = forward_arrays(api, layer)
    out, xp = arrays["output"], arrays["padded_input"]
    open_page(page, "?preset=alexnet-conv1&view=3d&t=4000")
    # depth-slice order, 55x55 neurons a map: step 4,000 is V[17,40,1]
    d, rest = divmod(4000, 55 * 55)
    i, j = divmod(rest, 55)
    output = page.locator("#output-3d .volume3d-block")
    name = f"V[{i},{j},{d}]"
    expect(output).to_have_attribute("aria-label", re.compile(
        rf"^output volume in 3-D, 55x55x96: current neuron {re.escape(name)} = \S+ on depth"
        rf" slice {d}$"))
    assert said_value(output.get_attribute("aria-label") or "", name) == out[i, j, d]
    # pinned (P), the neuron is said as pinned, as the step's label says it (the phone review)
    page.locator("body").press("p")
    expect(output).to_have_attribute("aria-label", re.compile(
        rf": pinned neuron {re.escape(name)} = \S+ on depth slice {d}$"))
    page.keyboard.press("Escape")
    expect(output).to_have_attribute("aria-label",
                                     re.compile(rf": current neuron {re.escape(name)}"))
    # X pins the corner cell of the neuron's field, drawn on the slice the block is cut at (0)
    step = api_step(api, "alexnet-conv1", 4000)
    row, col = step["rows"][0], step["cols"][0]
    pin_field_corner_and_hear_it(page, xp, row, col, (0, 0))


def test_a_pinned_cell_of_a_padded_input_is_named_by_its_place_in_the_input(
    page: Page, api: httpx.Client
) -> None:
    # the block draws the padded input; a screen reader hears the cell as the arithmetic
    # writes it, X[row, col] of the input itself (the padding is not the input's)
    layer = api.get("/api/presets/cs231n-demo").json()["layer"]
    top, _, left, _ = api.post("/api/geometry", json=layer).json()["padding"]
    assert top and left  # padded: a padded place and the input's differ
    xp = forward_arrays(api, layer)["padded_input"]
    t = 4  # the notes' demo: V[1,1,0], whose field's corner is inside the input
    open_page(page, f"?preset=cs231n-demo&view=3d&t={t}")
    step = api_step(api, "cs231n-demo", t)
    row, col = step["rows"][0], step["cols"][0]
    assert row >= top and col >= left, (row, col)
    pin_field_corner_and_hear_it(page, xp, row, col, (top, left))


def pin_field_corner_and_hear_it(
    page: Page, xp: Any, row: int, col: int, pads: tuple[int, int]
) -> None:
    """Press X (pin padded cell (row, col), the current field's corner): the link names the
    cell in the input, and the input block says it there with the padded input's value."""
    top, left = pads
    page.locator("body").press("x")
    expect(page).to_have_url(re.compile(rf"[?&]pin=x{row - top}\.{col - left}(&|$)"))
    block = page.locator("#input-3d .volume3d-block")
    cell = f"X[{row - top},{col - left},0]"
    expect(block).to_have_attribute("aria-label", re.compile(
        rf": pinned cell {re.escape(cell)} = \S+ on depth slice 0$"))
    assert said_value(block.get_attribute("aria-label") or "", cell) == xp[row, col, 0]


def test_the_input_block_says_the_rows_and_columns_of_the_field(
    page: Page, api: httpx.Client
) -> None:
    # step 1 of the demo, V[0,1,0]: its field's rows and columns differ, so neither can stand
    # in for the other
    step = api_step(api, "cs231n-demo", 1)
    rows, cols = range(*step["rows"]), range(*step["cols"])
    assert (rows[0], rows[-1]) != (cols[0], cols[-1])
    open_page(page, "?preset=cs231n-demo&view=3d&t=1")
    expect(page.locator("#input-3d .volume3d-block")).to_have_attribute("aria-label", re.compile(
        rf": receptive field rows {rows[0]}-{rows[-1]}, columns {cols[0]}-{cols[-1]} of the "
        r"padded input, all 3 depth slices$"))


def test_on_a_1920x1080_screen_the_blocks_take_their_panels_room(page: Page) -> None:
    # the block canvas stopped at volume3d.css's 460 px: on a 1920x1080 screen the panels'
    # lower 300 px were empty under both blocks
    page.set_viewport_size({"width": 1920, "height": 1080})
    open_page(page, "?preset=cs231n-demo&view=3d&t=7")
    for which in ("input", "output"):
        canvas, panel = page.evaluate(f"""() => {{
            const canvas = document.querySelector('#{which}-3d .volume3d-block');
            return [canvas.getBoundingClientRect().toJSON(),
                    canvas.closest('.panel').getBoundingClientRect().toJSON()];
        }}""")
        assert canvas["height"] > 600, (which, canvas)
        assert panel["bottom"] - 24 <= canvas["bottom"] <= panel["bottom"], (which, canvas, panel)
        # its bitmap is its box's pixels: nothing stretched
        bitmap = page.evaluate(f"""() => {{
            const c = document.querySelector('#{which}-3d .volume3d-block');
            return [c.width / c.clientWidth, c.height / c.clientHeight];
        }}""")
        assert bitmap == pytest.approx([1, 1], abs=0.01), (which, bitmap)


def test_large_type_grows_the_blocks_numbers_as_it_grows_their_labels(page: Page) -> None:
    # in large type the 3-D labels grew from 12 to 17 px but the input block's numbers stayed
    # at half their cell, 12 px on a 1920x1080 projector, as in normal type
    page.set_viewport_size({"width": 1920, "height": 1080})
    open_page(page, "?preset=cs231n-demo&view=3d&t=7")
    normal = probe(page, "input")["font"]
    open_page(page, "?preset=cs231n-demo&view=3d&t=7&large=1")
    expect(page.locator("html")).to_have_attribute("data-large", "")
    large = probe(page, "input")["font"]
    assert normal >= 8 and large >= 1.3 * normal, (normal, large)


def test_a_misfit_keeps_the_3d_choice_with_its_toggle_waiting(page: Page) -> None:
    # a 3-D link to a misfit drew it flat with the toggle unpressed, and a press then did
    # nothing to see; the choice is kept, the toggle waits, the blocks come with a fit
    page.goto("/?preset=ten-stride-2-invalid&view=3d")
    toggle = page.locator("#view-3d")
    expect(toggle).to_have_attribute("aria-disabled", "true", timeout=30_000)
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(toggle).to_have_attribute("title", re.compile("comes back once it fits"))
    expect(page.locator("#app")).to_have_attribute("data-view", "flat")
    # waiting, it stays in the Tab order (a disabled button left it, and its reason with it),
    # and a press, by pointer or by key, changes nothing
    toggle.focus()
    expect(toggle).to_be_focused()
    toggle.click(force=True)  # Playwright's own wait would refuse an aria-disabled button
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    assert "view=3d" in page.url
    expect(page.locator("#app")).to_have_attribute("data-view", "flat")
    page.locator("#geometry-bar .suggestion", has_text="stride 1 gives 8x8").click()
    expect(page.locator("#app")).to_have_attribute("data-view", "3d", timeout=30_000)
    expect(toggle).not_to_have_attribute("aria-disabled", "true")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    toggle.click()
    expect(page.locator("#app")).to_have_attribute("data-view", "flat")


def test_a_pinned_neurons_block_cell_says_its_value_before_the_playhead_reaches_it(
    page: Page,
) -> None:
    # the arithmetic showed the pinned V[1,2,1]'s value while its cell on the block said
    # "not yet computed" (the playhead at step 1)
    page.goto("/?preset=cs231n-demo&view=3d&t=0&pin=o1.2.1")
    expect(page.locator("#numpy-code")).to_contain_text("V[1,2,1]", timeout=30_000)
    page.locator("#output-3d .volume3d-block").scroll_into_view_if_needed()
    side = [corners(page, "output", 1, 2, 1)[n] for n in (1, 2, 5, 6)]
    text = readout(page, "output", centre_of(side))
    assert text.startswith("V[1,2,1] = ") and text != "V[1,2,1] = not yet computed", text
    # a neuron neither reached nor pinned still says so
    other = [corners(page, "output", 2, 2, 1)[n] for n in (1, 2, 5, 6)]
    assert readout(page, "output", centre_of(other)) == "V[2,2,1] = not yet computed"


def cell_colours(page: Page, which: str, cells: list[tuple[int, int, int]]) -> list[list[int]]:
    """The RGB the `which` block drew a quarter of the way from each cell's top-left corner to
    its centre (clear of its number), on the face its corners project to."""
    return page.evaluate(
        """([which, cells]) => {
          const box = document.querySelector(`#${which}-3d`);
          const canvas = box.querySelector(".volume3d-block");
          const rect = canvas.getBoundingClientRect();
          const ratio = canvas.width / rect.width;
          const ctx = canvas.getContext("2d");
          return cells.map(([r, c, k]) => {
            const q = box.volume3d.corners(r, c, k);
            const x = (3 * q[0][0] + (q[0][0] + q[2][0]) / 2) / 4 - rect.left;
            const y = (3 * q[0][1] + (q[0][1] + q[2][1]) / 2) / 4 - rect.top;
            const pixel = ctx.getImageData(Math.round(x * ratio), Math.round(y * ratio), 1, 1);
            return [...pixel.data.slice(0, 3)];
          });
        }""",
        [which, cells],
    )


def test_backward_modes_gradients_switch_colours_the_blocks_with_dx_and_dv(
    page: Page, api: httpx.Client
) -> None:
    # the blocks drew the values only: a student in 3-D saw no gradient at all
    open_page(page, "?preset=cs231n-demo&mode=backward&view=3d&act=relu")
    layer = {**api.get("/api/presets/cs231n-demo").json()["layer"], "activation": "relu"}
    upstream = PAGE_UPSTREAM
    grads = api.post("/api/backward", json={"layer": layer, "upstream": upstream}).json()
    dv, dx, db = grads["upstream"], grads["dx"], grads["db"]
    pre = api.post("/api/forward", json=layer).json()["output_pre"]
    switch = page.get_by_role("button", name="Gradients")
    ranges = page.locator("#legend .legend-ranges")
    expect(switch).to_have_attribute("aria-pressed", "false")
    expect(ranges).not_to_contain_text("dV")
    front = [(i, j, 0) for i in range(3) for j in range(3)]
    probe(page, "output")  # painted
    values = cell_colours(page, "output", front)
    # zoomed in on the input first: the switch draws the same cells, where they were
    canvas = page.locator("#input-3d .volume3d-block").bounding_box()
    assert canvas is not None
    page.mouse.move(canvas["x"] + canvas["width"] / 2, canvas["y"] + canvas["height"] / 2)
    page.mouse.wheel(0, -200)
    zoomed = probe(page, "input")
    assert zoomed["zoom"] > 1.2

    switch.click()
    expect(page).to_have_url(re.compile(r"[?&]blocks=gradients(&|$)"))
    expect(switch).to_have_attribute("aria-pressed", "true")
    expect(ranges).to_have_text(re.compile(
        r"^dX: max ±\S+ · weights: max ±\S+ · dV: max ±1 · products and dW: per step$"))
    block = page.locator("#output-3d .volume3d-block")
    # what a screen reader hears is what is drawn: the neuron's dV, not its value
    gate = f"the ReLU shuts it: pre {pre[0][0][0]:g} ≤ 0; " if pre[0][0][0] <= 0 else ""
    expect(block).to_have_attribute("aria-label", "upstream gradient dV in 3-D, 3x3x2: current "
                                    f"neuron dV[0,0,0] = {dv[0][0][0]:g} ({gate}the map's db[0] = "
                                    f"{db[0]:g}) on depth slice 0")
    expect(page.locator("#input-3d .volume3d-block")).to_have_attribute(
        "aria-label", re.compile(r"^input gradient dX in 3-D, 7x7x3: receptive field"))
    again = probe(page, "input")
    assert (again["zoom"], again["pan"]) == (zoomed["zoom"], zoomed["pan"])
    page.get_by_role("button", name="Reset view of the input block").click()
    # the output block's cells are coloured by dV, faded where the ReLU shuts it: equal
    # colours exactly where both are alike
    probe(page, "output")
    coloured = cell_colours(page, "output", front)
    assert coloured != values
    shut = [pre[i][j][0] <= 0 for i, j, _ in front]
    assert any(shut) and not all(shut)
    for a, (i, j, _) in enumerate(front):
        for b, (p, q, _) in enumerate(front):
            alike = dv[i][j][0] == dv[p][q][0] and shut[a] == shut[b]
            assert (coloured[a] == coloured[b]) == alike, (a, b)
    # what a hovered cell says: dV and its map's db; dX; a padding cell keeps no gradient
    text = readout(page, "output", centre_of(corners(page, "output", 0, 1, 0)[:4]))
    gate = f"the ReLU shuts it: pre {pre[0][1][0]:g} ≤ 0; " if pre[0][1][0] <= 0 else ""
    assert text == f"dV[0,1,0] = {dv[0][1][0]:g} ({gate}the map's db[0] = {db[0]:g})"
    text = readout(page, "input", centre_of(corners(page, "input", 2, 3, 0)[:4]))
    assert text.startswith("dX[1,2,0] = ") and value_of(text) == pytest.approx(dx[1][2][0])
    side = [corners(page, "input", 4, 6, 2)[n] for n in (1, 2, 5, 6)]
    assert readout(page, "input", centre_of(side)) == "zero padding Xp[4,6,2]: no gradient kept"
    # a reload keeps it; the values again on a second press; forward mode has no switch
    page.reload()
    expect(page.get_by_role("button", name="Gradients")).to_have_attribute("aria-pressed", "true")
    expect(ranges).to_contain_text("dV: max ±1")
    page.get_by_role("button", name="Gradients").click()
    expect(page).to_have_url(re.compile(r"^(?!.*[?&]blocks=)"))
    expect(block).to_have_attribute("aria-label", re.compile(r"^output volume in 3-D"))
    open_page(page, "?preset=cs231n-demo&view=3d&blocks=gradients")
    expect(page.get_by_role("button", name="Gradients")).to_be_hidden()
    expect(ranges).not_to_contain_text("dV")
