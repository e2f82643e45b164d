"""The connection lines (issue 10, section 2) in headless Chromium.

Every end point is compared with the boxes of the cells it must touch, read from the page's
own grids, and every cell from the REST API's steps (their ``rows``/``cols`` ranges in the
padded input); none is worked out with the page's code.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.browser.test_page import QUIET

pytestmark = pytest.mark.browser

Json = Any
Box = tuple[float, float, float, float]  # left, top, right, bottom (client px)
NEAR = 2.0  # px: an end point this close to its box touches it

# The lines the overlay holds now, after the frame that draws them.
LINES = """
() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve(
  Array.from(document.querySelectorAll("svg.connections line")).map((l) => ({
    group: l.parentNode.getAttribute("class"), data: { ...l.dataset },
    at: [l.x1, l.y1, l.x2, l.y2].map((a) => a.baseVal.value),
  }))))))
"""

# The union of the boxes of cells [[r, c], ...] of the grid labelled `label`.
CELLS_BOX = """
([label, cells]) => {
  const grid = document.querySelector(`[aria-label="${label}"]`);
  const boxes = cells.map(([r, c]) => grid.querySelector(`.cell[data-r="${r}"][data-c="${c}"]`)
    .getBoundingClientRect());
  return [Math.min(...boxes.map((b) => b.left)), Math.min(...boxes.map((b) => b.top)),
    Math.max(...boxes.map((b) => b.right)), Math.max(...boxes.map((b) => b.bottom))];
}
"""


def open_page(page: Page, query: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"/{query}")
    expect(page.locator("#app")).to_have_attribute("aria-busy", "false", timeout=30_000)
    expect(page.locator("#numpy-code")).to_contain_text("np.sum", timeout=30_000)


def api_steps(api: httpx.Client, layer: Json, start: int, count: int, order: str) -> list[Json]:
    answer = api.post(
        "/api/steps", json={"layer": layer, "start": start, "count": count, "order": order}
    )
    answer.raise_for_status()
    steps: list[Json] = answer.json()["steps"]
    return steps


def demo_layer(api: httpx.Client, filters: int = 2) -> Json:
    answer = api.get("/api/presets/cs231n-demo")
    answer.raise_for_status()
    layer: Json = answer.json()["layer"]
    layer["filters"]["count"] = filters
    return layer


def lines(page: Page, group: str) -> list[Json]:
    found: list[Json] = page.evaluate(LINES)
    return [line for line in found if line["group"] == f"conn-{group}"]


def cells_box(page: Page, label: str, cells: list[tuple[int, int]]) -> Box:
    box: list[float] = page.evaluate(CELLS_BOX, [label, [list(cell) for cell in cells]])
    return (box[0], box[1], box[2], box[3])


def redness(page: Page, box: Box) -> float:
    """How much redder than green the pixels inside ``box`` are, on average (0-255)."""
    left, top, right, bottom = box
    inset = 3  # the cell's own border aside
    shot = page.screenshot(clip={"x": left + inset, "y": top + inset,
                                 "width": right - left - 2 * inset,
                                 "height": bottom - top - 2 * inset})
    pixels = np.asarray(Image.open(io.BytesIO(shot)).convert("RGB"), dtype=float)
    return float(pixels[..., 0].mean() - pixels[..., 1].mean())


def field_cells(step: Json) -> list[tuple[int, int]]:
    return [(r, c) for r in range(*step["rows"]) for c in range(*step["cols"])]


def corner(box: Box, name: str) -> tuple[float, float]:
    left, top, right, bottom = box
    return {"tl": (left, top), "tr": (right, top), "br": (right, bottom), "bl": (left, bottom)}[
        name
    ]


def near(point: tuple[float, float], target: tuple[float, float]) -> bool:
    return abs(point[0] - target[0]) <= NEAR and abs(point[1] - target[1]) <= NEAR


def touches(point: tuple[float, float], box: Box) -> bool:
    """The point is on or inside the box (within NEAR px)."""
    x, y = point
    return box[0] - NEAR <= x <= box[2] + NEAR and box[1] - NEAR <= y <= box[3] + NEAR


def on_screen(box: Box, size: Json) -> bool:
    """At least half of the box is inside the viewport (the overlay's rule for a beam)."""
    width = min(box[2], size["width"]) - max(box[0], 0)
    height = min(box[3], size["height"]) - max(box[1], 0)
    inside = max(0.0, width) * max(0.0, height)
    return inside >= 0.5 * (box[2] - box[0]) * (box[3] - box[1])


def demo_slices_on_screen(page: Page, step: Json) -> tuple[list[Box], list[Box], list[int]]:
    """The demo's field box on each input slice, its filter's slices, and the slices whose
    field and filter slice are both on screen (at least one must be)."""
    d = step["d"]
    fields = [cells_box(page, f"Input depth slice {ch}", field_cells(step)) for ch in range(3)]
    slices = [cells_box(page, f"Filter {d} depth slice {ch}", [(0, 0), (2, 2)]) for ch in range(3)]
    size = page.viewport_size
    assert size is not None
    shown = [ch for ch in range(3) if on_screen(fields[ch], size) and on_screen(slices[ch], size)]
    assert shown
    return fields, slices, shown


def ends(line: Json) -> tuple[tuple[float, float], tuple[float, float]]:
    x1, y1, x2, y2 = line["at"]
    return (x1, y1), (x2, y2)


def test_lines_join_each_slice_of_the_field_to_the_filter_and_on_to_the_neuron(
    page: Page, api: httpx.Client, artifacts: Path
) -> None:
    open_page(page, "?preset=cs231n-demo")
    for _ in range(4):
        page.get_by_role("button", name="Step forward").click()
    expect(page.locator("#app")).to_have_attribute("data-shown-step", "4")
    step = api_steps(api, demo_layer(api), 4, 1, "depth_slice")[0]
    i, j, d = step["i"], step["j"], step["d"]
    # scrolled with no step taken: the lines must follow the page, not wait for a redraw
    page.locator("#input-panel").evaluate("e => e.scrollIntoView()")
    beams = lines(page, "beam")
    fields, slices, shown = demo_slices_on_screen(page, step)
    # four corner lines for each slice whose field and filter slice are on screen
    assert sorted((b["data"]["slice"], b["data"]["corner"]) for b in beams) == sorted(
        (str(ch), name) for ch in shown for name in ("tl", "tr", "br", "bl")
    )
    for beam in beams:
        ch = int(beam["data"]["slice"])
        field, weights = fields[ch], slices[ch]
        start, end = ends(beam)
        assert near(start, corner(field, beam["data"]["corner"])), (beam, field)
        assert near(end, corner(weights, beam["data"]["corner"])), (beam, weights)
    (out,) = lines(page, "out")
    row = page.get_by_role("group", name=f"Filter {d}", exact=True).bounding_box()
    assert row is not None
    start, end = ends(out)
    assert touches(start, (row["x"], row["y"], row["x"] + row["width"], row["y"] + row["height"]))
    assert touches(end, cells_box(page, f"Output activation map {d}", [(i, j)]))
    page.screenshot(path=artifacts / "connections-step.png")


def test_on_a_phones_one_column_each_slice_gets_one_line_centre_to_centre(
    page: Page, api: httpx.Client, artifacts: Path
) -> None:
    # stacked panels: a slice's beam runs down over the slices below it, so four corner lines
    # a slice would cover their numbers
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/?preset=cs231n-demo")
    expect(page.locator("#numpy-code")).to_contain_text("np.sum", timeout=30_000)
    step = api_steps(api, demo_layer(api), 0, 1, "depth_slice")[0]
    # the third slice's field and the filter's first slice in the window together; waited
    # for until the scroll's event has come (the overlay redraws on it, in the next frame:
    # a fixed 300 ms of the test's clock could pass before a busy machine's event)
    page.locator("#filters-panel").evaluate("""e => new Promise((resolve) => {
      addEventListener("scroll", () => resolve(), { once: true });
      const before = scrollY;
      scrollBy(0, e.getBoundingClientRect().top - 600);
      if (scrollY === before) throw new Error("the page did not scroll");
    })""")
    fields, slices, shown = demo_slices_on_screen(page, step)
    beams = lines(page, "beam")
    assert sorted((b["data"]["slice"], b["data"]["corner"]) for b in beams) == [
        (str(ch), "centre") for ch in shown
    ]
    for beam in beams:
        ch = int(beam["data"]["slice"])
        start, end = ends(beam)
        # centre to centre, drawn between the boxes' edges (ended at the middles, it covered
        # the field's and the slice's middle numbers)
        assert on_edge(start, fields[ch]), (beam, fields[ch])
        assert on_edge(end, slices[ch]), (beam, slices[ch])
        for middle in (centre_of(fields[ch]), centre_of(slices[ch])):
            assert passes_by(beam["at"], middle), (beam, middle)
    page.screenshot(path=artifacts / "connections-phone.png")


def on_edge(point: tuple[float, float], box: Box) -> bool:
    """The point is on the box's outline (within NEAR px)."""
    x, y = point
    inside = touches(point, box)
    return inside and min(abs(x - box[0]), abs(x - box[2]), abs(y - box[1]),
                          abs(y - box[3])) <= NEAR


def passes_by(at: list[float], point: tuple[float, float]) -> bool:
    """The line through segment ``at`` passes within NEAR px of the point."""
    x1, y1, x2, y2 = at
    length = ((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5
    return abs((x2 - x1) * (point[1] - y1) - (y2 - y1) * (point[0] - x1)) / length <= NEAR


@pytest.mark.parametrize(("query", "output"), [
    ("", "#output-grids"), ("&view=3d", "#output-3d canvas.volume3d-block")])
def test_on_a_phone_the_filter_joins_its_neuron_only_while_both_are_in_sight(
    page: Page, query: str, output: str
) -> None:
    # one column: the line from the filter ran down through the other filter and the whole
    # arithmetic panel to a neuron two panels below, out of sight (on the 3-D block too,
    # found by the phone review)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/?preset=cs231n-demo{query}")
    expect(page.locator("#numpy-code")).to_contain_text("np.sum", timeout=30_000)

    def shown(selector: str) -> bool:
        return bool(page.locator(selector).evaluate(
            "e => { const b = e.getBoundingClientRect();"
            " return b.bottom > 0 && b.top < innerHeight; }"))

    page.locator("#filters-panel").evaluate("e => e.scrollIntoView({block: 'start'})")
    page.evaluate(QUIET, 300)
    assert shown("#filter-grids") and not shown(output)
    assert lines(page, "out") == []
    # the first map of the output just under the arithmetic, in sight with the filter's
    # last row: the line comes back
    page.set_viewport_size({"width": 390, "height": 4000})
    page.evaluate(QUIET, 300)
    assert shown("#filter-grids") and shown(output)
    assert len(lines(page, "out")) == 1


def centre_of(box: Box) -> tuple[float, float]:
    return ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)


def test_depth_column_order_fans_out_to_every_neuron_of_the_column(
    page: Page, api: httpx.Client
) -> None:
    open_page(page, "?preset=cs231n-demo&h=5&k=4&order=depth_column&t=6")
    step = api_steps(api, demo_layer(api, filters=4), 6, 1, "depth_column")[0]
    fans = lines(page, "fan")
    assert sorted(int(f["data"]["d"]) for f in fans) == [0, 1, 2, 3]
    # all from one slice's outline of the field (the one nearest the column), each to its neuron
    fields = [cells_box(page, f"Input depth slice {ch}", field_cells(step)) for ch in range(3)]
    sources = {
        ch for ch, field in enumerate(fields) for fan in fans if touches(ends(fan)[0], field)
    }
    assert len(sources) == 1
    for fan in fans:
        start, end = ends(fan)
        assert touches(start, fields[min(sources)])
        neuron = cells_box(
            page, f"Output activation map {fan['data']['d']}", [(step["i"], step["j"])]
        )
        assert touches(end, neuron)
    assert [f["data"]["current"] for f in fans if f["data"]["d"] == str(step["d"])] == ["1"]


def test_hovering_a_product_draws_lines_to_its_input_cell_and_its_weight(
    page: Page, api: httpx.Client, artifacts: Path
) -> None:
    open_page(page, "?preset=cs231n-demo&t=10")
    step = api_steps(api, demo_layer(api), 10, 1, "depth_slice")[0]
    r, c, ch = 1, 2, 1
    page.get_by_role("table", name=f"Products depth slice {ch}").locator(
        f'.cell[data-r="{r}"][data-c="{c}"]'
    ).hover()
    pair = {line["data"]["to"]: line for line in lines(page, "pair")}
    assert set(pair) == {"input", "weight"}
    product = cells_box(page, f"Products depth slice {ch}", [(r, c)])
    cell = (range(*step["rows"])[r], range(*step["cols"])[c])
    targets = {
        "input": cells_box(page, f"Input depth slice {ch}", [cell]),
        "weight": cells_box(page, f"Filter {step['d']} depth slice {ch}", [(r, c)]),
    }
    for name, target in targets.items():
        start, end = ends(pair[name])
        assert touches(start, product), name
        assert touches(end, target), name
    page.screenshot(path=artifacts / "connections-product-hover.png")
    page.mouse.move(2, 2)
    assert lines(page, "pair") == []


def test_hovering_a_weight_highlights_every_input_cell_it_multiplied_so_far(
    page: Page, api: httpx.Client, artifacts: Path
) -> None:
    t, k, r, c, ch = 12, 1, 2, 1, 2
    open_page(page, f"?preset=cs231n-demo&t={t}")
    steps = api_steps(api, demo_layer(api), 0, t + 1, "depth_slice")
    expected = {(range(*s["rows"])[r], range(*s["cols"])[c]) for s in steps if s["d"] == k}
    assert len(expected) == 4  # filter 1's neurons up to step 12: steps 9..12
    boxes = [cells_box(page, f"Input depth slice {ch}", [cell]) for cell in sorted(expected)]
    before = [redness(page, box) for box in boxes]
    page.get_by_role("table", name=f"Filter {k} depth slice {ch}").locator(
        f'.cell[data-r="{r}"][data-c="{c}"]'
    ).hover()
    path = page.locator("svg.connection-marks path.conn-cells")
    expect(path).to_have_attribute("data-channel", str(ch))
    shown = {
        tuple(int(n) for n in cell.split(","))
        for cell in (path.get_attribute("data-cells") or "").split()
    }
    assert shown == expected
    # each highlighted square sits on its cell of input slice `ch`
    squares = re.findall(r"M([-\d.]+) ([-\d.]+)h([-\d.]+)v([-\d.]+)", path.get_attribute("d") or "")
    assert len(squares) == len(expected)
    # and shows: the marks were drawn under the input's grid, out of sight
    after = [redness(page, box) for box in boxes]
    assert all(a - b > 15 for a, b in zip(after, before, strict=True)), (before, after)
    for x, y, w, h in squares:
        assert any(
            near((float(x), float(y)), box[:2])
            and near((float(x) + float(w), float(y) + float(h)), box[2:])
            for box in boxes
        ), (x, y)
    # named as the NumPy line and the weight gradient's panel name the filter and its gradient,
    # and the input as the NumPy line does: padded, Xp (its cells may be padding's zeros)
    expect(page.locator(".conn-note")).to_have_text(
        f"W{k}[{r},{c},{ch}] multiplied the 4 cells of Xp[:, :, {ch}] in red so far, one for "
        f"each neuron of V[:, :, {k}]: its gradient dW[{k}][{r},{c},{ch}] adds up over all of "
        "them.")
    page.screenshot(path=artifacts / "connections-weight-hover.png")


def test_lines_switch_off_from_the_toolbar_and_rest_while_playing_for_reduced_motion(
    page: Page,
) -> None:
    page.emulate_media(reduced_motion="reduce")
    open_page(page, "?preset=cs231n-demo")
    overlay = page.locator("svg.connections")
    expect(overlay).to_be_visible()
    page.get_by_role("button", name="Play").click()
    expect(overlay).to_be_hidden()
    page.get_by_role("button", name="Pause").click()
    expect(overlay).to_be_visible()
    assert len(lines(page, "beam")) >= 4
    switch = page.get_by_role("button", name="Lines")
    switch.click()
    expect(switch).to_have_attribute("aria-pressed", "false")
    expect(overlay).to_be_hidden()
    expect(page.locator("svg.connection-marks")).to_be_hidden()  # the hover marks' layer too
    expect(page).to_have_url(re.compile(r"[?&]lines=0(&|$)"))
    page.reload()
    expect(page.locator("#numpy-code")).to_contain_text("np.sum", timeout=30_000)
    expect(page.get_by_role("button", name="Lines")).to_have_attribute("aria-pressed", "false")
    expect(overlay).to_be_hidden()


def test_lines_leave_with_the_layer_when_it_does_not_fit(page: Page) -> None:
    open_page(page, "?preset=cs231n-demo")
    overlay = page.locator("svg.connections")
    expect(overlay).to_be_visible()
    page.locator("#preset").select_option("ten-stride-2-invalid")
    expect(page.locator("#geometry-bar")).to_have_attribute("data-fits", "no", timeout=30_000)
    expect(overlay).to_be_hidden()


def test_on_alexnets_zoomable_canvases_the_lines_start_at_the_field(
    page: Page, api: httpx.Client
) -> None:
    open_page(page, "?preset=alexnet-conv1")
    answer = api.get("/api/presets/alexnet-conv1")
    answer.raise_for_status()
    step = api_steps(api, answer.json()["layer"], 0, 1, "depth_slice")[0]
    rows, cols = range(*step["rows"]), range(*step["cols"])
    page.locator("#input-panel").evaluate("e => e.scrollIntoView()")
    grid = page.get_by_role("img", name=re.compile(r"^Input depth slice 0,"))
    # the whole 227x227 slice fits its square canvas, clear of its edges by a ring: cell
    # (r, c) starts at (c - left)*s, (r - top)*s from the view's corner (top, left)
    box = grid.locator("canvas").bounding_box()
    assert box is not None
    scale = float(grid.get_attribute("data-scale") or "nan")
    top, left = map(float, (grid.get_attribute("data-corner") or "nan nan").split())
    assert box["width"] - 21 < 227 * scale <= box["width"]  # 10 px clear each side for rings
    assert left < 0 and top < 0  # centred: room on every side
    field = (
        box["x"] + (cols[0] - left) * scale,
        box["y"] + (rows[0] - top) * scale,
        box["x"] + (cols[-1] + 1 - left) * scale,
        box["y"] + (rows[-1] + 1 - top) * scale,
    )
    bank = page.locator("#filters-panel canvas").bounding_box()
    assert bank is not None
    beams = [b for b in lines(page, "beam") if b["data"]["slice"] == "0"]
    assert sorted(b["data"]["corner"] for b in beams) == ["bl", "br", "tl", "tr"]
    for beam in beams:
        start, end = ends(beam)
        assert near(start, corner(field, beam["data"]["corner"])), (beam, field)
        assert touches(
            end, (bank["x"], bank["y"], bank["x"] + bank["width"], bank["y"] + bank["height"])
        )


def test_captions_and_names_lie_over_the_lines_that_cross_them(page: Page) -> None:
    # at 1920x1080 the filter-to-neuron line ran through "products, slice 1": the captions,
    # the headings and the filters' names now cover the lines, as the arithmetic's text does
    page.set_viewport_size({"width": 1920, "height": 1080})
    crossed = 0
    for query in ("?preset=numpy-example&t=5", "?preset=example-1&mode=backward&t=30"):
        page.goto(f"/{query}")
        expect(page.locator("#numpy-code")).to_contain_text("np.sum", timeout=30_000)
        crossed += texts_over_lines(page)
    assert crossed >= 3  # the layouts do cross some: the check is not vacuous


def test_on_a_phone_the_panels_explanations_lie_over_the_lines_down_to_the_output(
    page: Page,
) -> None:
    # one column: the lines from the input's fields down to the filters ran through the
    # filters' explanation, striking its words through
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/?preset=cs231n-demo")
    expect(page.locator("#numpy-code")).to_contain_text("np.sum", timeout=30_000)
    # the filters' explanation in sight (the wrapped counts put it under the transport)
    page.locator("#filters-panel > .what").evaluate("e => e.scrollIntoView({block: 'center'})")
    page.evaluate(QUIET, 300)
    assert texts_over_lines(page, "#volumes .panel > .what") >= 1


def test_the_input_and_filter_numbers_lie_over_the_lines_that_cross_them(page: Page) -> None:
    # at 1280x720 the lines from the fields to the filter struck through a slice's row of 2s
    # and the filters' -1s: a student copying numbers off the screen had to guess them
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto("/?preset=cs231n-demo")
    expect(page.locator("#numpy-code")).to_contain_text("np.sum", timeout=30_000)
    cells = "#input-grids .grid-row > *, #filter-grids .grid-row > *"
    assert texts_over_lines(page, cells) >= 10


def test_the_inputs_scroll_note_lies_over_the_lines_that_cross_it(page: Page) -> None:
    # at 1024x768 the lines from the fields to the filter ran through "3 depth slices, the
    # field outlined on each: scroll this panel for the rest"
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto("/?preset=cs231n-demo")
    expect(page.locator("#numpy-code")).to_contain_text("np.sum", timeout=30_000)
    expect(page.locator("#input-grids .slices-note").first).to_be_visible()
    page.evaluate(QUIET, 300)
    assert texts_over_lines(page, "#input-grids .slices-note") >= 1


def texts_over_lines(page: Page, texts: str = "#volumes :is(.slice figcaption, .panel-head h2, "
                     ".filter-name, .filter > .bias, .panel > .what)") -> int:
    """How many captions, headings, names and explanations the lines cross, each checked to
    lie on top."""
    # each text's box as far as it shows: cut to the boxes that clip it (a panel body scrolled
    # past a filter's name hides it, and a line crossing where it would be crosses nothing)
    boxes: list[list[float]] = page.locator(texts).evaluate_all(
        "els => els.map(e => { const b = e.getBoundingClientRect();"
        " let box = [b.left, b.top, b.right, b.bottom];"
        " for (let up = e.parentElement; up; up = up.parentElement) {"
        "  const style = getComputedStyle(up);"
        "  if (style.overflowX === 'visible' && style.overflowY === 'visible') continue;"
        "  const c = up.getBoundingClientRect();"
        "  box = [Math.max(box[0], c.left), Math.max(box[1], c.top),"
        "         Math.min(box[2], c.right), Math.min(box[3], c.bottom)]; }"
        " return box; })")
    crossed = 0
    width, height = page.evaluate("[innerWidth, innerHeight]")
    for line in lines(page, "beam") + lines(page, "out"):
        (x1, y1), (x2, y2) = ends(line)
        for left, top, right, bottom in boxes:
            steps = 200
            points = [(x1 + (x2 - x1) * s / steps, y1 + (y2 - y1) * s / steps)
                      for s in range(steps + 1)]
            inside = [(x, y) for x, y in points
                      if left + 1 < x < right - 1 and top + 1 < y < bottom - 1
                      and 0 <= x < width and 0 <= y < height]  # what the eye can see
            if not inside:
                continue
            crossed += 1
            x, y = inside[len(inside) // 2]
            # what the eye sees there: the topmost element under the line is the text's own
            on_top = page.evaluate(
                "([x, y]) => { const svg = document.querySelector('svg.connections');"
                " svg.style.pointerEvents = 'auto'; svg.querySelectorAll('line')"
                ".forEach(l => l.style.pointerEvents = 'stroke');"
                " const hit = document.elementFromPoint(x, y);"
                " svg.style.pointerEvents = ''; svg.querySelectorAll('line')"
                ".forEach(l => l.style.pointerEvents = '');"
                " return hit.closest('svg') ? 'line' : 'text'; }", [x, y])
            assert on_top == "text", (line["group"], (x, y), (left, top, right, bottom))
    return crossed


def test_the_filter_to_neuron_line_passes_under_the_neurons_it_crosses(page: Page) -> None:
    # At step 2 the line runs along V[0,:,0] to V[0,2,0]; drawn over V[0,0,0] and V[0,1,0]
    # it struck out their minus signs ("-6" read "6" on a projector).
    open_page(page, "?preset=cs231n-demo&t=2")
    line = page.locator(".conn-out line").first
    expect(line).to_be_attached()
    colour = page.evaluate(
        "() => getComputedStyle(document.querySelector('.conn-out line')).stroke")
    rgb = np.array([int(v) for v in re.findall(r"\d+", colour)[:3]])
    for n in (0, 1):  # the two neurons before the current one in its row
        cell = page.locator("#output-grids .grid").first.locator(".cell").nth(n)
        shot = np.asarray(Image.open(io.BytesIO(cell.screenshot())).convert("RGB"), dtype=int)
        near = (np.abs(shot - rgb).sum(axis=2) < 40).sum()
        assert near == 0, (n, near)


@pytest.mark.parametrize("query", [
    "?preset=cs231n-demo",
    # oblong, in large type: the sum took two lines and the filter sat lower, so the line
    # climbed across the gap between the sum and "products, slice 0"
    "?preset=cs231n-demo&fh=3&fw=5&sh=1&sw=2&pl=2&pr=2&large=1",
])
def test_the_filter_to_neuron_line_passes_under_the_arithmetic_between_them(
    page: Page, query: str
) -> None:
    # drawn across the arithmetic panel, the line ran through its padding and the gaps
    # between the sum, the captions and the products' grids, as if it struck them out
    page.set_viewport_size({"width": 1280, "height": 720})
    open_page(page, query)
    page.evaluate(QUIET, 300)
    (out,) = lines(page, "out")
    panel = page.locator("#arithmetic-panel")
    box = panel.bounding_box()
    assert box is not None
    (x1, y1), (x2, y2) = ends(out)
    # the line does cross the panel: from the filter on its left to the neuron on its right,
    # entering it through its left side
    assert x1 < box["x"] and x2 > box["x"] + box["width"], (out, box)
    entering = y1 + (y2 - y1) * (box["x"] - x1) / (x2 - x1)
    assert box["y"] < entering < box["y"] + box["height"], (out, box)
    with_lines = np.asarray(Image.open(io.BytesIO(panel.screenshot())).convert("RGB"))
    page.evaluate("document.querySelector('svg.connections').style.display = 'none'")
    without = np.asarray(Image.open(io.BytesIO(panel.screenshot())).convert("RGB"))
    changed = np.argwhere(np.abs(with_lines.astype(int) - without).sum(axis=2) > 30)
    assert changed.size == 0, (changed.tolist(), with_lines.shape)


def test_a_big_volumes_zoom_buttons_lie_over_the_lines_that_cross_them(page: Page) -> None:
    # projected at 1024x768, the lines from AlexNet's field to W0 crossed the input's "Fit"
    # button and its "0.4 px per cell"
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto("/?preset=alexnet-conv1&large=1")
    expect(page.locator("#numpy-code")).to_contain_text("np.sum", timeout=30_000)
    page.evaluate(QUIET, 300)
    assert texts_over_lines(page, "#input-grids .zoom-bar > *") >= 1


def test_a_local_neurons_weight_is_named_as_its_numpy_line_names_it(page: Page) -> None:
    # it was "W[0][...]" (the filter's depth) under a line naming the neuron's W[1,1,0]
    open_page(page, "?preset=cs231n-demo&t=4&conn=local")
    expect(page.locator("#numpy-code")).to_contain_text("* W[1,1,0])")
    page.get_by_role("table", name="Filter 0 depth slice 2").locator(
        '.cell[data-r="2"][data-c="1"]').hover()
    expect(page.locator(".conn-note")).to_have_text(
        "this neuron's W[1,1,0][2,1,2] multiplies 1 cell of Xp[:, :, 2]: no other neuron uses it.")


def test_a_weights_note_names_the_unpadded_input_x(page: Page) -> None:
    # the note named X for every layer, the padded demo's padding zeros included (Xp there)
    open_page(page, "?preset=numpy-example&t=3")
    page.get_by_role("table", name="Filter 0 depth slice 0").locator(
        '.cell[data-r="0"][data-c="0"]').hover()
    expect(page.locator(".conn-note")).to_contain_text(
        "W0[0,0,0] multiplied the 4 cells of X[:, :, 0] in red so far")
