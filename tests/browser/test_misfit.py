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
from refusal_words import over_budget

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
    page: Page, api: httpx.Client, artifacts: Path, preset: str, console_errors: list[str]
) -> None:
    geometry = geometry_of(api, preset)
    h, w = geometry["height"], geometry["width"]
    page.goto(f"/?preset={preset}")
    pixels, at = misfit_canvas(page)
    # the page asks for no forward of a layer the geometry says does not fit: the refused
    # request was an error in the console of every misfit
    assert console_errors == []
    x0, y0, cell, row0, col0 = (at[k] for k in ("x0", "y0", "cell", "row0", "col0"))
    hp = h["size"] + h["pad_before"] + h["pad_after"]
    wp = w["size"] + w["pad_before"] + w["pad_after"]
    # "padded" only where padding grows the input (it read "10x10x1, padded 10x10x1")
    depth = api.get(f"/api/presets/{preset}").json()["layer"]["input"]["shape"][2]
    size = f"{h['size']}x{w['size']}x{depth}"
    expect(page.locator("#input-shape")).to_have_text(
        f"{size}: does not fit" if (hp, wp) == (h["size"], w["size"])
        else f"{size}, padded {hp}x{wp}x{depth}: does not fit")

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
    # the last layer's numbers are gone: nothing to step through in a layer with no output;
    # the output panel says why it is empty instead of drawing neurons
    expect(page.locator("#numpy-code")).to_have_text("")
    expect(page.locator("#output-grids .cell, #output-grids canvas")).to_have_count(0)
    expect(page.locator("#misfit-output")).to_contain_text("4.5 x 4.5")
    expect(page.locator("#t-play")).to_be_disabled()
    expect(page.locator("#app")).not_to_have_class(re.compile(r"\bstale\b"))
    # chosen from the keyboard: the button goes with the misfit, the focus stays on the bar
    # that then reads the layer that fits (on <body> the next Space would play it)
    page.get_by_role("button", name=re.compile(r"^stride 1 gives")).press("Enter")
    # (10 - 3)/1 + 1 = 8
    expect(page.locator("#output-shape")).to_have_text("8x8x1", timeout=30_000)
    expect(page.locator("#numpy-code")).to_contain_text("np.sum")
    expect(page.locator("#input-panel canvas.misfit-canvas")).to_have_count(0)
    expect(page.get_by_role("table", name="Input depth slice 0")).to_be_visible()
    # redrawn fitting: the step's panels and the transport are back, the misfit's words gone
    expect(page.locator(".filter.active")).to_have_count(1)
    expect(page.locator("#output-grids .cell.mark-current")).to_have_count(1)
    expect(page.locator("#misfit-arithmetic, #misfit-output")).to_have_count(0)
    expect(page.locator("#t-misfit")).to_have_count(0)
    expect(page.locator("#t-play")).to_be_enabled()
    expect(page.locator("#t-label")).to_have_text("step 1 of 64")
    expect(page.locator("#geometry-bar")).to_be_focused()
    expect(page.locator("#geometry-bar")).to_have_attribute("data-fits", "yes")
    page.screenshot(path=str(artifacts / "misfit-suggestion-applied.png"))


# The demo at 6x6 and stride 2: (6 - 3 + 2*1)/2 + 1 = 3.5, two filters (DOM grids).
DEMO_MISFIT = "/?preset=cs231n-demo&h=6&w=6&sh=2&sw=2"


def test_a_misfit_with_no_padding_slices_x_itself(page: Page) -> None:
    # the code line wrote Xp[...] for a layer with no padding, whose input is X itself
    page.goto("/?h=7&w=7&d=1&k=1&f=3&s=3&p=0")
    misfit_canvas(page)
    # windows at 0 and 3 fit 7 cells; the one at 6 reads 6..8, of which only 6 is there
    expect(page.locator("#misfit-arithmetic .numpy")).to_have_text(
        "X[6:9, 6:9, :]  # 1x1x1, but W0 is 3x3x1")


def test_a_misfit_keeps_its_filters_and_says_which_window_hangs_off_the_edge(
    page: Page, api: httpx.Client, artifacts: Path
) -> None:
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(DEMO_MISFIT)
    misfit_canvas(page)
    layer = {**api.get("/api/presets/cs231n-demo").json()["layer"]}
    layer["input"] = {**layer["input"], "shape": [6, 6, 3]}
    layer["stride"] = 2
    geometry = api.post("/api/geometry", json=layer).json()
    made = api.post("/api/input", json=layer).json()
    assert geometry["valid"] is False
    # The filters do not depend on the fit: both drawn, each with the API's bias, none active.
    filters = page.locator("#filters-panel .filter")
    expect(filters).to_have_count(len(made["bias"]))
    assert len(made["bias"]) == 2
    for k, bias in enumerate(made["bias"]):
        expect(filters.nth(k).locator(".bias")).to_have_text(f"b{k} = {bias:g}")
        expect(filters.nth(k).get_by_role("table", name=re.compile(r"^Filter \d depth slice"))
               ).to_have_count(3)
    expect(page.locator("#filters-panel .filter.active")).to_have_count(0)
    # the panel's title has the API's filter shape
    expect(page.locator("#filters-shape")).to_have_text("2 x 3x3x3")
    # The arithmetic names the hanging window where the API puts it: rows and columns from
    # overhang_start over the filter's span, the missing ones past the padded input's edge.
    h, w = geometry["height"], geometry["width"]
    hp = h["size"] + h["pad_before"] + h["pad_after"]
    rows = (h["overhang_start"], h["overhang_start"] + h["span"] - 1)
    cols = (w["overhang_start"], w["overhang_start"] + w["span"] - 1)
    assert rows == (6, 8) and hp == 8  # worked by hand: windows at 0, 2, 4 fit; 6..8 does not
    words = page.locator("#misfit-arithmetic")
    expect(words).to_be_visible()
    expect(words).to_contain_text(
        f"V[{h['whole_windows']},{w['whole_windows']},:] would read rows {rows[0]}–{rows[1]} "
        f"and columns {cols[0]}–{cols[1]}"
    )
    expect(words).to_contain_text(f"row {hp} and column {hp} are not there")
    window = f"Xp[{rows[0]}:{rows[1] + 1}, {cols[0]}:{cols[1] + 1}, :]"
    expect(words).to_contain_text(f"{window}  # 2x2x3")
    expect(page.locator("#misfit-output")).to_contain_text(f"{h['exact']} x {w['exact']}")
    for suggestion in (s for s in geometry["suggestions"] if s["field"] == "fit"):
        size = "x".join(str(n) for n in [*suggestion["output"], 2])
        expect(page.locator("#misfit-output")).to_contain_text(
            f'fit="{suggestion["value"]}": {size}')
    # every panel in the one screen, none blank
    for panel in ("#input-panel", "#filters-panel", "#arithmetic-panel", "#output-panel"):
        box = page.locator(panel).bounding_box()
        assert box is not None and box["width"] > 150 and box["y"] + box["height"] <= 720, panel
    # the transport: no steps, saying why; its button takes the reader to the suggestions
    expect(page.locator("#t-play")).to_be_disabled()
    expect(page.locator("#t-scrub")).to_be_disabled()
    expect(page.locator("#t-misfit")).to_contain_text(f"H2 = {h['exact']}, W2 = {w['exact']}")
    page.get_by_role("button", name="Show the suggestions").click()
    expect(page.locator("#geometry-suggestions .suggestion").first).to_be_focused()
    page.mouse.move(0, 0)
    page.screenshot(path=str(artifacts / "misfit-panels-1280x720.png"))
    # as a student sees it elsewhere: a laptop, the dark theme (the panels redrawn in it)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.emulate_media(color_scheme="dark")
    expect(page.locator("html")).to_have_attribute("data-look", "dark")
    expect(page.locator("#misfit-arithmetic")).to_be_visible()
    expect(filters).to_have_count(2)
    page.screenshot(path=str(artifacts / "misfit-panels-1366x768-dark.png"))


def test_a_misfits_filters_mark_the_values_set_by_hand(page: Page) -> None:
    # the filters of a misfit are drawn (they need no output size), and so are the weights
    # and biases a reader set: marked as on a layer that fits
    page.goto(DEMO_MISFIT + "&edits=W1.0.1.2%3D-1;b0%3D3")
    misfit_canvas(page)
    weights = page.locator("#filters-panel").get_by_role("table", name="Filter 1 depth slice 2")
    marked = weights.locator(".cell.mark-edited")
    expect(marked).to_have_count(1)
    assert marked.get_attribute("data-value") == "-1"
    expect(page.locator("#filters-panel .cell.mark-edited")).to_have_count(1)
    biases = page.locator("#filters-panel .bias")
    assert biases.evaluate_all("els => els.map(e => e.classList.contains('edited'))") == [
        True, False]


def test_a_misfit_quotes_the_formula_bars_number_everywhere(
    page: Page, api: httpx.Client
) -> None:
    # stride 3 over the demo's 5x5, no padding: (5 - 3 + 0)/3 + 1 = 5/3 on both axes, which
    # the page used to print as 1.6666666666666667 beside the bar's 1.667
    page.goto("/?preset=cs231n-demo&h=5&w=5&sh=3&sw=3&pt=0&pb=0&pl=0&pr=0")
    misfit_canvas(page)
    layer = {**api.get("/api/presets/cs231n-demo").json()["layer"], "stride": 3, "padding": 0}
    geometry = api.post("/api/geometry", json=layer).json()
    h, w = geometry["height"], geometry["width"]
    assert h["exact"] == w["exact"] == pytest.approx(5 / 3)
    # 5/3 is no three-decimal number: the bar says "≈", and so does every quote of it
    shown = h["arithmetic"].rsplit(" ≈ ", 1)[1]
    assert shown == "1.667" and w["arithmetic"].endswith(" ≈ 1.667")
    expect(page.locator("#geometry-height")).to_contain_text(h["arithmetic"])
    expect(page.locator("#t-misfit-text")).to_have_text(
        f"No steps: the layer does not fit (H2 ≈ {shown}, W2 ≈ {shown}).")
    expect(page.locator("#misfit-output")).to_contain_text(f"{shown} x {shown} neurons")
    expect(page.locator("#misfit-arithmetic")).to_contain_text(f"(H2 ≈ {shown}, W2 ≈ {shown})")
    expect(page.locator(".field-error").filter(has_text="does not fit")).to_contain_text(
        f"H2 ≈ {shown}, W2 ≈ {shown}: the layer does not fit")
    assert "1.666" not in page.locator("body").inner_text()



@pytest.mark.parametrize(("size", "span", "stride"), [
    (5, 3, 3),  # 5/3: 1.667
    (4096, 4095, 4093),  # near whole: 1.00024, not the float's 1.0002443195699975
    (2050, 1, 2048),  # 2049/2048 + 1: 2.00049
    (20, 3, 16),  # 2.0625, a tie: the server rounds it to even, 2.062, not up to 2.063
])
def test_the_page_writes_an_output_size_as_the_servers_arithmetic_does(
    page: Page, api: httpx.Client, size: int, span: int, stride: int
) -> None:
    # the page quotes the size in its notes, the misfit panels and the transport (dom.js
    # exactText); each quote must be the number ending the formula bar's arithmetic
    layer = {"input": {"shape": [size, 1, 1]}, "filters": {"count": 1, "size": [span, 1]},
             "stride": [stride, 1]}
    height = api.post("/api/geometry", json=layer).json()["height"]
    page.goto("/")
    said = page.evaluate(
        """async (value) => (await import("/static/js/dom.js")).equalsText(value)""",
        height["exact"])
    assert height["arithmetic"].endswith(f" {said}"), (height["arithmetic"], said)

def test_alexnet_at_224_keeps_its_96_filters_drawn(page: Page) -> None:
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto("/?preset=alexnet-224")
    misfit_canvas(page)
    bank = page.get_by_role("img", name=re.compile(r"^Filters: "))
    expect(bank).to_have_attribute("aria-label", re.compile(r"^Filters: 96 filters of 11x11x3"))
    expect(bank.locator("canvas")).to_be_visible()
    expect(page.locator(".bank-active")).to_be_hidden()
    expect(page.locator("#misfit-arithmetic")).to_contain_text(
        "would read rows 216–226 and columns 216–226")
    expect(page.locator("#misfit-arithmetic")).to_contain_text("rows 224–226 and columns 224–226")
    # the parameters need no output size: 96 filters of 11*11*3 weights and a bias each
    expect(page.locator("#count-params")).to_have_text(f"{96 * (11 * 11 * 3 + 1):,}")
    expect(page.locator("#count-output")).to_have_text("—")
    expect(page.locator("#count-madds")).to_have_text("—")  # as many as the outputs: none yet
    # so are the unshared parameters, one set per output position: left out, where the row
    # read "Parameters 34,944 (— unshared)"
    shown = page.locator("#counts > div", has_text="Parameters").first.evaluate("e => e.innerText")
    assert " ".join(shown.split()) == "Parameters 34,944", shown
    # no padding: the zoomed picture's rows and columns are the input's own ("of the padded
    # input" was said of padding 0), the 224x224 input's apart from those past its edge
    # ("rows 208–226" read as rows it has)
    caption = page.locator("figure.slice.misfit > figcaption")
    expect(caption).to_have_text(re.compile(
        r"^X\[:, :, 0\], rows (\d+)–223 \(224–226 past the edge\) and columns \1–223 "
        r"\(224–226 past the edge\)$"))
    page.goto("/?preset=alexnet-224&pt=1&pb=1&pl=1&pr=1")
    misfit_canvas(page)
    expect(caption).to_have_text(re.compile(
        r"^X\[:, :, 0\], rows \d+–225 \(226 past the edge\) and columns \d+–225 "
        r"\(226 past the edge\) of the padded input$"))


def test_a_phone_in_a_misfit_gets_the_reason_and_a_way_to_the_suggestions(
    phone: Page, artifacts: Path
) -> None:
    page = phone
    page.goto("/?preset=ten-stride-2-invalid")
    misfit_canvas(page)
    transport = page.locator("#transport").bounding_box()
    assert transport is not None
    # one row at the bottom: the reason, "Suggestions" and "More" (no dead stepping buttons)
    assert abs(transport["y"] + transport["height"] - 844) <= 1
    assert transport["height"] <= 44 + 24, transport
    expect(page.locator("#t-misfit-text")).to_have_text(
        "No steps: the layer does not fit (H2 = 4.5, W2 = 4.5).")
    for hidden in ("#t-play", "#t-back", "#t-forward", "#t-scrub"):
        expect(page.locator(hidden)).to_be_hidden()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    fix = page.locator("#t-misfit-fix")
    box = fix.bounding_box()
    assert box is not None and box["height"] >= 40 and box["x"] + box["width"] <= 390
    page.screenshot(path=str(artifacts / "misfit-phone.png"))
    page.evaluate("window.scrollTo(0, document.scrollingElement.scrollHeight)")
    fix.tap()
    suggestion = page.get_by_role("button", name=re.compile(r"^stride 1 gives"))
    expect(page.locator("#geometry-suggestions .suggestion").first).to_be_focused()
    placed = suggestion.bounding_box()
    assert placed is not None
    assert placed["y"] >= 0 and placed["y"] + placed["height"] <= transport["y"]
    suggestion.tap()
    # fitting again: the stepping row is back
    expect(page.locator("#t-label")).to_have_text("step 1 of 64", timeout=30_000)
    expect(page.locator("#t-play")).to_be_visible()
    expect(page.locator("#t-misfit")).to_have_count(0)


def test_a_phones_misfit_row_is_tabbed_through_in_the_order_it_reads(phone: Page) -> None:
    # "Suggestions" sits left of "More" on the row, but Tab reached More first: More was
    # placed after the scrubber, before the step's label and the misfit's note
    phone.goto("/?preset=ten-stride-2-invalid")
    misfit_canvas(phone)
    fix = phone.locator("#t-misfit-fix")
    more = phone.get_by_role("button", name="More step and view controls")
    fix_box, more_box = fix.bounding_box(), more.bounding_box()
    assert fix_box is not None and more_box is not None and fix_box["x"] < more_box["x"]
    fix.focus()
    phone.keyboard.press("Tab")
    expect(more).to_be_focused()
    phone.keyboard.press("Shift+Tab")
    expect(fix).to_be_focused()


def test_an_embedded_misfit_offers_no_way_to_suggestions_it_leaves_out(page: Page) -> None:
    # a frame shows the picture and the transport only: the formula strip is not there
    page.set_viewport_size({"width": 960, "height": 540})
    page.goto("/?preset=ten-stride-2-invalid&embed=1")
    misfit_canvas(page)
    expect(page.locator("#geometry-suggestions")).to_be_hidden()
    expect(page.locator("#t-misfit-text")).to_be_visible()
    expect(page.locator("#t-misfit-fix")).to_be_hidden()
    expect(page.locator("#misfit-arithmetic")).to_contain_text("rows 8–10 and columns 8–10")
    expect(page.get_by_role("button", name="Show the suggestions")).to_be_hidden()


def test_an_input_size_suggestion_resizes_the_input_but_an_image_keeps_its_own(
    page: Page,
) -> None:
    page.goto("/")
    expect(page.locator("#numpy-code")).to_contain_text("np.sum", timeout=30_000)
    page.get_by_label("Preset").select_option("ten-stride-2-invalid")
    misfit_canvas(page)
    # (9 - 3)/2 + 1 = 4: the nearest smaller input that fits
    page.get_by_role("button", name="input 9x9 gives 4x4").click()
    expect(page.locator("#output-shape")).to_have_text("4x4x1", timeout=30_000)
    expect(page.get_by_label("Input height H")).to_have_value("9")
    # a sample image decides its size: (64 - 3)/2 + 1 = 31.5 is offered other fixes only
    page.goto("/?image=stripes&bank=sobel&sh=2&sw=2")
    expect(page.locator("#geometry-bar")).to_have_attribute("data-fits", "no", timeout=30_000)
    buttons = page.locator("#geometry-suggestions button")
    expect(buttons.filter(has_text="stride 1 gives")).to_have_count(1)
    expect(buttons.filter(has_text=re.compile(r"^input "))).to_have_count(0)


def test_a_filter_wider_than_its_input_is_said_so_and_fixed_from_a_suggestion(
    page: Page,
) -> None:
    # (3 - 5 + 0)/1 + 1 = -1 is whole: "not an integer" was wrong, and there were no buttons
    page.goto("/?preset=cs231n-demo&h=3&w=3&d=1&fh=5&fw=5&pt=0&pb=0&pl=0&pr=0&sh=1&sw=1")
    expect(page.locator("#geometry-width")).to_contain_text("= -1 ✗ no window fits",
                                                            timeout=30_000)
    # the formula's -1 is no count: "-1 x -1 neurons per depth slice" read as one
    expect(page.locator("#misfit-output p").first).to_have_text(
        "Empty: no window fits in the padded input, so the formula's H2 = -1 and W2 = -1 count"
        " no neurons: the filter spans 5 rows and 5 columns, the padded input has only 3 rows"
        " and 3 columns.")
    expect(page.locator("#misfit-arithmetic h3")).to_have_text(
        "No step: the first window hangs off the edge")
    page.get_by_role("button", name="padding 1 gives 1x1").click()
    expect(page.locator("#output-shape")).to_have_text("1x1x2", timeout=30_000)
    expect(page.locator("#numpy-code")).to_have_text("V[0,0,0] = np.sum(Xp[:5,:5,:] * W0) + b0")


def test_a_filter_too_tall_alone_names_its_one_axis(page: Page, api: httpx.Client) -> None:
    # a 5x3 filter on 3x3: (3 - 5)/1 + 1 = -1 down, (3 - 3)/1 + 1 = 1 across, which fits
    page.goto("/?preset=cs231n-demo&h=3&w=3&d=1&fh=5&fw=3&pt=0&pb=0&pl=0&pr=0&sh=1&sw=1")
    layer = {**api.get("/api/presets/cs231n-demo").json()["layer"], "stride": 1, "padding": 0,
             "input": {"shape": [3, 3, 1]}, "filters": {"count": 2, "size": [5, 3]}}
    geometry = api.post("/api/geometry", json=layer).json()
    assert (geometry["height"]["exact"], geometry["width"]["exact"]) == (-1, 1)
    expect(page.locator("#misfit-output p").first).to_have_text(
        "Empty: no window fits in the padded input, so the formula's H2 = -1 counts no neurons:"
        " the filter spans 5 rows, the padded input has only 3 rows.", timeout=30_000)


def test_the_notes_1d_layer_at_stride_3_reads_in_the_singular_where_it_is_one(
    page: Page,
) -> None:
    # "height: fits, 1 windows." and "would read rows 0 and columns 6-8"
    page.goto("/?preset=one-d-stride-1&sh=3&sw=3")
    expect(page.locator("#app")).to_have_class(re.compile(r"\bmisfit\b"), timeout=30_000)
    expect(page.get_by_text("height: fits, 1 window.", exact=False).first).to_be_attached()
    # the third window would start on the padding after the input (column 6 of 0-6): none;
    # every input cell is read, so what is left over is padding, not "cells unseen"
    expect(page.get_by_text("the next would start after the input's last cell",
                            exact=False).first).to_be_attached()
    expect(page.locator("#misfit-arithmetic h3")).to_have_text(
        "No step: the windows stop short of the padding's end")
    # the notes' fix along the width, P=2 each side, is offered with the height's 0 kept
    expect(page.get_by_role("button", name=re.compile(r"padding \[0, 2\]"))).to_be_attached()
    # six wide (input columns 1-6 of 0-7), the third window starts on the input's last cell
    page.goto("/?preset=one-d-stride-1&sh=3&sw=3&w=6")
    expect(page.get_by_text("would read row 0 and columns 6–8", exact=False)).to_be_visible(
        timeout=30_000)


def test_a_misfits_picture_is_described_once(page: Page) -> None:
    # the picture's label repeated the list of its words beside it, so it was read twice
    page.goto("/?preset=ten-stride-2-invalid")
    canvas = page.locator("#input-panel canvas.misfit-canvas")
    expect(canvas).to_have_count(1, timeout=30_000)
    label = canvas.get_attribute("aria-label") or ""
    words = page.locator(".misfit-notes li").all_inner_texts()
    assert words and label
    assert not any(line in label for line in words)
    assert "described in the list" in label


def test_a_misfit_is_told_beside_the_size_just_changed_when_it_could_fix_it(page: Page) -> None:
    # H made 6 on the demo marked S (the server's first field) in red
    page.goto("/?preset=cs231n-demo")
    expect(page.locator("#app")).to_have_attribute("aria-busy", "false", timeout=30_000)
    height = page.get_by_label("Input height H")
    height.fill("6")
    height.press("Enter")
    expect(page.locator("#error-input")).to_contain_text("does not fit")
    expect(height).to_have_attribute("aria-invalid", "true")
    for other in ("Input width W", "Stride S (both axes)"):
        expect(page.get_by_label(other)).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#error-stride")).to_have_text("")
    # a link that opens the misfit changed nothing: the server's field, the stride
    page.goto(DEMO_MISFIT)
    expect(page.locator("#error-stride")).to_contain_text("does not fit", timeout=30_000)
    expect(page.get_by_label("Stride S (both axes)")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#error-input")).to_have_text("")


def test_the_notes_one_d_example_at_stride_3_is_approximate_and_padded_along_its_width(
    page: Page,
) -> None:
    # the notes: stride 3 cannot be used on the 1-D example, (5 - 3 + 2)/3 + 1 = 7/3
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto("/?preset=one-d-stride-1&sw=3")
    expect(page.locator("#geometry-width")).to_contain_text("(5 - 3 + 2*1)/3 + 1 ≈ 2.333",
                                                             timeout=30_000)
    expect(page.locator("#t-misfit-text")).to_contain_text("W2 ≈ 2.333")
    first = page.locator("#geometry-suggestions .suggestion").first
    # padding all four sides made the one-row input five rows tall
    expect(first).to_have_text("padding [0, 2] (rows, columns) gives 1x3")
    first.click()
    expect(page.locator("#geometry-width")).to_contain_text("(5 - 3 + 2*2)/3 + 1 = 3")
    expect(page.locator("#input-shape")).to_have_text("1x5x1, padded 1x9x1")


def test_cells_a_stride_longer_than_the_window_jumps_over_are_hatched_and_said(
    page: Page, api: httpx.Client
) -> None:
    # 1x1 filters at stride 2 on a 10x10 input (5.5 positions): the page hatched only the last
    # row and column and said "the hatched cells are read by no neuron", though every odd
    # row and column is read by no whole window (fit="floor" leaves them all unseen)
    layer = {"input": {"shape": [10, 10, 1]}, "filters": {"count": 1, "size": 1}, "stride": 2}
    geometry = api.post("/api/geometry", json=layer).json()
    h, w = geometry["height"], geometry["width"]
    assert h["skipped"] == w["skipped"] == [1, 3, 5, 7, 9]
    floor = api.post("/api/geometry", json=layer | {"fit": "floor"}).json()
    assert floor["height"]["unseen"] == h["skipped"]
    page.goto("/?h=10&w=10&d=1&k=1&f=1&s=2&p=0")
    pixels, at = misfit_canvas(page)
    x0, y0, cell, row0, col0 = (at[k] for k in ("x0", "y0", "cell", "row0", "col0"))

    def hatched(r: int, c: int) -> bool:
        top, left = y0 + (r - row0) * cell, x0 + (c - col0) * cell
        inner = pixels[top + 1 : top + cell - 1, left + 1 : left + cell - 1]
        return bool(near(inner, HATCH).sum() > cell)

    # row r (or column c) is hatched exactly where no whole window reads it
    assert [hatched(r, 0) for r in range(10)] == [r in h["skipped"] for r in range(10)]
    assert [hatched(0, c) for c in range(10)] == [c in w["skipped"] for c in range(10)]
    notes = page.locator("#input-panel .misfit-notes")
    expect(notes).to_contain_text("4 rows before the last whole window's end are read by none: "
                                  "the stride, 2, is longer than the window's 1")
    expect(page.locator("#misfit-arithmetic")).to_contain_text(
        "some cells between the windows are read by none of them")


def test_a_pinned_cells_edit_button_goes_with_its_layer(page: Page) -> None:
    # it stayed on a misfit's page, and did nothing there
    page.goto("/?preset=cs231n-demo&pin=x1.1")
    edit = page.get_by_role("button", name="Edit X[1,1,:]")
    expect(edit).to_be_visible(timeout=30_000)
    page.get_by_label("Input width W").fill("6")
    page.get_by_label("Input width W").press("Enter")
    expect(page.locator("#app")).to_have_class(re.compile(r"\bmisfit\b"), timeout=30_000)
    expect(edit).to_be_hidden()


def test_a_projected_misfit_keeps_its_numbers_readable_and_its_overhang_in_view(
    page: Page, api: httpx.Client
) -> None:
    # in large type at 1280x720 the formula bar's suggestions leave the input panel some 220
    # px: fitted to them, the picture's cells were 16 px with 8 px digits, unreadable from
    # the back of a room. The cells keep a readable size and the panel shows the picture's
    # foot, where the window off the edge is
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto("/?preset=ten-stride-2-invalid&large=1")
    _, at = misfit_canvas(page)
    scale = page.evaluate("parseFloat(getComputedStyle(document.documentElement)"
                          ".getPropertyValue('--type-scale')) || 1")
    assert scale > 1
    assert at["cell"] >= round(20 * scale), (at, scale)
    geometry = geometry_of(api, "ten-stride-2-invalid")
    hang = geometry["height"]["overhang_start"]
    body = page.locator("#input-panel canvas.misfit-canvas").evaluate(
        "c => { let p = c.parentElement;"
        " while (p && p.scrollHeight <= p.clientHeight) p = p.parentElement;"
        " const box = p.getBoundingClientRect(), at = c.getBoundingClientRect();"
        " return {top: box.top, bottom: box.bottom, canvasTop: at.top, scrolled: p.scrollTop}; }")
    # the overhanging window's first row, on screen, is inside the scrolled panel
    row_top = body["canvasTop"] + at["y0"] + (hang - at["row0"]) * at["cell"]
    assert body["scrolled"] > 0, body
    assert body["top"] <= row_top and row_top + at["cell"] <= body["bottom"], (body, row_top)


def test_numbers_on_hatched_cells_are_cleared_of_the_stripes(page: Page) -> None:
    # the hatching of cells no whole window reads ran through their digits (hardest to read
    # in the dark theme); each number is now outlined in its cell's own colour
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto("/?preset=ten-stride-2-invalid")
    pixels, at = misfit_canvas(page)
    cell = at["cell"]
    assert cell >= 20  # numbers drawn
    centre, corners = 0, 0
    for r in range(at["row0"], at["row0"] + 9):  # the last column is dropped by floor: hatched
        top, left = at["y0"] + (r - at["row0"]) * cell, at["x0"] + (9 - at["col0"]) * cell
        box = pixels[top + 2 : top + cell - 2, left + 2 : left + cell - 2]
        side = box.shape[0]
        third = side // 3
        centre += int(near(box[third : side - third, third : side - third], HATCH).sum())
        corners += int(near(box[:third, :third], HATCH).sum())
    assert corners > 0  # the cells are hatched
    # the digit's outline clears the stripes from around it: the cell's middle third keeps
    # under two thirds of what a corner as large has (with the stripes through the digit it
    # kept more than the corner: the digit is narrower than the third)
    assert centre * 3 <= corners * 2, (centre, corners)


def test_a_suggestion_that_leaves_out_an_edit_names_it_as_the_page_does(page: Page) -> None:
    # the API numbers the spec's edits ("leave out edit 0"); the page calls that edit X[5,5,0]
    page.goto("/?preset=cs231n-demo&h=6&w=6&edits=X5.5.0%3D9")
    button = page.locator("#geometry-bar .suggestion", has_text="input 5x5 gives 3x3")
    expect(button).to_have_text("input 5x5 gives 3x3 (and leave out edit X[5,5,0], outside it)",
                                timeout=30_000)
    button.click()  # applied, the edit it names goes with it, unsaid: the reader chose it
    expect(page).to_have_url(re.compile(r"^(?!.*[?&]edits=).*[?&]h=5&w=5&"))
    expect(page.locator("#numpy-code")).to_contain_text("np.sum", timeout=30_000)
    expect(page.locator("#error-data")).to_be_empty()


def test_a_locally_connected_misfits_suggestions_name_the_edits_they_cut(page: Page) -> None:
    # the page asked the geometry without the local weight edits, and the API's "edit 0" (the
    # only edit it was sent, X[5,4,2]) was read against the page's list, where edit 0 is the
    # weight: the input's suggestion named the weight, and the filter's named nothing
    page.goto("/?preset=cs231n-demo&conn=local&h=6&edits=W2.2.1.2.2.2%3D5;X5.4.2%3D3")
    bar = page.locator("#geometry-bar")
    expect(bar.locator(".suggestion", has_text="input 5x5 gives 3x3")).to_have_text(
        "input 5x5 gives 3x3 (and leave out edit X[5,4,2], outside it)", timeout=30_000)
    expect(bar.locator(".suggestion", has_text="filter size 2x3 gives 4x3")).to_have_text(
        "filter size 2x3 gives 4x3 (and leave out edit W[2,2,1][2,2,2], outside it)")
    expect(bar.locator(".suggestion", has_text="input 7x5 gives 4x3")).to_have_text(
        "input 7x5 gives 4x3")
    # pressed, the weight edit it cuts goes and the input's edit stays
    bar.locator(".suggestion", has_text="filter size 2x3 gives 4x3").click()
    expect(page).to_have_url(re.compile(r"[?&]edits=X5\.4\.2%3D3(&|$)"))
    expect(page.locator("#numpy-code")).to_contain_text("np.sum", timeout=30_000)
    expect(page.locator("#error-data")).to_be_empty()


def test_a_pressed_suggestion_keeps_the_step_and_the_pin_as_typing_the_change_does(
    page: Page,
) -> None:
    # pressed, a suggestion took the view to step 1 with nothing pinned, where typing the
    # same padding kept step 7 and V[1,1,1], which the fixed layer still has
    page.goto("/?preset=cs231n-demo&t=6&pin=o1.1.1&edits=X1.2.0%3D5&s=3")
    button = page.locator("#geometry-bar .suggestion", has_text="padding 2 gives 3x3")
    expect(button).to_be_visible(timeout=30_000)
    button.click()
    expect(page.locator("#numpy-code")).to_contain_text("V[1,1,1]", timeout=30_000)
    expect(page).to_have_url(re.compile(r"[?&]t=6(&|$)"))
    expect(page).to_have_url(re.compile(r"[?&]pin=o1\.1\.1(&|$)"))
    expect(page.locator("#t-label")).to_contain_text("step 7 of 18")
    expect(page.locator("#error-data")).to_be_empty()
    # a pin the fixed layer does not have goes, and the page says why
    page.goto("/?preset=cs231n-demo&t=6&pin=o2.2.1&s=3")
    page.locator("#geometry-bar .suggestion", has_text="stride 4 gives 2x2").click()
    expect(page).to_have_url(re.compile(r"^(?!.*[?&]pin=)"), timeout=30_000)
    expect(page.locator("#t-label")).to_contain_text("step 7 of 8")
    expect(page.locator("#error-general")).to_contain_text("V[2,2,1] is not in this layer")


def test_a_suggestion_over_the_budget_applied_leaves_no_misfit_said(page: Page) -> None:
    # AlexNet on 224: "stride 1 gives 214x214 (over this server's work budget ...)", clicked,
    # left "No steps: the layer does not fit (H2 = 54.25 ...)", the input "does not fit" and
    # the misfit's arithmetic beside the refusal of a layer that fits (a student review)
    page.goto("/?preset=alexnet-224")
    expect(page.locator("#app")).to_have_class(re.compile(r"\bmisfit\b"), timeout=30_000)
    page.get_by_role("button", name=re.compile(r"^stride 1 gives 214x214")).click()
    expect(page.locator("#refused-note")).to_contain_text("Nothing to draw", timeout=30_000)
    expect(page.locator("#app")).not_to_have_class(re.compile(r"\bmisfit\b"))
    expect(page.locator("#geometry-bar")).to_have_attribute("data-fits", "yes")
    expect(page.locator("#transport")).not_to_contain_text("does not fit")
    expect(page.locator("#input-shape")).not_to_contain_text("does not fit")
    expect(page.locator("#products")).not_to_contain_text("would read")
    expect(page.locator("#input-grids")).to_be_empty()


def test_a_suggestion_over_the_budget_says_so_in_a_few_words(
    page: Page, api: httpx.Client
) -> None:
    # each such button said "(over this server's work budget of 5,000,000,000,
    # CONVSCOPE_MAX_WORK)": a figure and a setting a student cannot act on, nine times over
    # for a 2048x2048 input; the button says it shortly, its title in full
    layer = api.get("/api/presets/alexnet-224").json()["layer"]
    said = api.post("/api/geometry", json=layer).json()["suggestions"]
    over = [s for s in said if s["limit"]]
    assert [s["text"].split(" (")[0] for s in over] == ["stride 1 gives 214x214"]
    page.goto("/?preset=alexnet-224")
    buttons = page.locator("#geometry-suggestions .suggestion")
    expect(buttons).to_have_count(len(said), timeout=30_000)
    marked = buttons.and_(page.locator(".over-limit"))
    expect(marked).to_have_text(["stride 1 gives 214x214 (too big for this server)"])
    expect(marked).to_have_attribute("title", over[0]["text"])
    assert "CONVSCOPE_MAX_WORK" in over[0]["text"]
    # the others are the server's words as they are, and none names a setting
    assert buttons.all_inner_texts() == [
        s["text"] if not s["limit"] else "stride 1 gives 214x214 (too big for this server)"
        for s in said]
    expect(page.locator("#geometry-suggestions")).not_to_contain_text("CONVSCOPE")


def test_a_layer_over_the_budget_draws_with_the_filters_the_server_says_pass(
    page: Page, api: httpx.Client
) -> None:
    # the reason ends in "(at most N filters pass)", inside a sentence of 300 characters and
    # more; the note under it offers N in one press
    page.goto("/?preset=alexnet-224&sh=1&sw=1")
    note = page.locator("#refused-note")
    expect(note).to_contain_text("Nothing to draw", timeout=30_000)
    layer = {**api.get("/api/presets/alexnet-224").json()["layer"], "stride": 1}
    said = api.post("/api/geometry", json=layer).json()["over_limit"]
    fewer = said["filters_pass"]
    assert f"at most {fewer} filters pass" in said["message"]
    assert 1 < fewer < 96
    # what the page asks for at that count is within the budget
    assert api.post("/api/geometry", json={
        **layer, "filters": {**layer["filters"], "count": fewer}}).json()["over_limit"] is None
    page.evaluate("document.querySelector('#announce')?.replaceChildren()")
    note.get_by_role("button", name=f"Draw it with {fewer} filters").click()
    expect(page.locator("#output-shape")).to_have_text(f"214x214x{fewer}", timeout=60_000)
    expect(note).to_be_hidden()
    # the focus waits where the layer's words are (the button went with the note: the focus
    # fell to the body), and the layer is said, as any new layer is
    expect(page.locator("#arithmetic-panel")).to_be_focused()
    expect(page.locator("#error-filters")).to_have_text(
        f"Drawn with {fewer} of the 96 filters asked for: the most this server computes.")
    expect(page.locator("#announce")).to_contain_text(
        f"New layer: output 214x214x{fewer}, {214 * 214 * fewer:,} steps")
    expect(page.locator("#f-k")).to_have_value(str(fewer))
    expect(page).to_have_url(re.compile(rf"[?&]k={fewer}(&|$)"))


def test_backward_mode_offers_the_filters_its_gradients_pass_too(
    page: Page, api: httpx.Client
) -> None:
    # the gradients' budget is the tighter: the forward's count drew the layer with its
    # gradients refused
    layer = {**api.get("/api/presets/alexnet-224").json()["layer"], "stride": 1}
    said = api.post("/api/geometry", json=layer).json()
    forward = said["over_limit"]["filters_pass"]
    backward = said["backward_over_limit"]["filters_pass"]
    assert 1 < backward < forward < 96
    page.goto("/?preset=alexnet-224&sh=1&sw=1&mode=backward")
    note = page.locator("#refused-note")
    expect(note).to_contain_text("Nothing to draw", timeout=30_000)
    expect(note.get_by_role("button")).to_have_text(f"Draw it with {backward} filters")
    # the red reason says the forward's count: the note says why it offers fewer
    expect(page.locator("#error-filters")).to_contain_text(f"at most {forward} filters pass")
    expect(note).to_contain_text(f"This server computes it with fewer filters ({forward} for "
                                 f"the forward alone, {backward} with its gradients)")
    note.get_by_role("button").click()
    expect(page.locator("#output-shape")).to_have_text(f"214x214x{backward}", timeout=60_000)
    expect(page.locator("#backward-step")).to_contain_text("dW[0]", timeout=60_000)
    # the whole backward pass came (the page's "backward" once a layer has its upstream)
    expect(page.locator("#app")).to_have_class(re.compile(r"\bbackward\b"), timeout=60_000)
    expect(page.locator("#gradients-refused")).to_be_hidden()
    expect(page).to_have_url(re.compile(rf"[?&]k={backward}(&|$)"))
    # said beside K, where the refusal was: it changed, and the layer is not the one asked for
    expect(page.locator("#error-filters")).to_have_text(
        f"Drawn with {backward} of the 96 filters asked for: the most this server computes, "
        "gradients included.")
    expect(page.locator("#f-k")).not_to_have_attribute("aria-invalid", "true")


def test_gradients_over_the_budget_offer_the_filters_they_pass(
    page: Page, api: httpx.Client
) -> None:
    # 80 filters: the forward passes (82 do), the gradients do not (71 do); only a refused
    # forward offered a count, so the reader had to find 71 in the API
    layer = {**api.get("/api/presets/alexnet-224").json()["layer"], "stride": 1}
    layer["filters"] = {**layer["filters"], "count": 80}
    said = api.post("/api/geometry", json=layer).json()
    assert said["over_limit"] is None
    fewer = said["backward_over_limit"]["filters_pass"]
    assert 1 < fewer < 80
    page.goto("/?preset=alexnet-224&sh=1&sw=1&k=80&mode=backward")
    refused = page.locator("#gradients-refused")
    expect(refused).to_have_text(re.compile(re.escape(
        "dV, db and dX are not drawn: the whole backward pass is "
        f"{over_budget(said['backward_over_limit'])}. With fewer filters they are: Draw it with "
        f"{fewer} filters. Why?")), timeout=60_000)
    refused.get_by_role("button", name=f"Draw it with {fewer} filters").click()
    expect(page.locator("#output-shape")).to_have_text(f"214x214x{fewer}", timeout=60_000)
    expect(page.locator("#app")).to_have_class(re.compile(r"\bbackward\b"), timeout=60_000)
    expect(refused).to_be_hidden()
    expect(page.locator("#error-filters")).to_have_text(
        f"Drawn with {fewer} of the 80 filters asked for: the most this server computes, "
        "gradients included.")
    expect(page.locator("#arithmetic-panel")).to_be_focused()


def test_a_misfits_input_panel_says_what_its_picture_draws(page: Page) -> None:
    # the panel kept a fitting layer's words, "any zero padding hatched", over a picture whose
    # hatch is the cells no whole window reads, and its bars of windows were in no key
    page.goto("/?preset=ten-stride-2-invalid")
    misfit_canvas(page)
    words = page.locator("#input-what")
    shown = "(words) => words.innerText"  # what is on screen, hidden spans left out
    assert "the bars above and left of the input mark each window" in words.evaluate(shown)
    assert "zero padding hatched" not in words.evaluate(shown)
    expect(page.locator(".misfit-key li").first).to_have_text(
        "a window's rows (left) and columns (above)")
    # a layer that fits has its own words back
    page.get_by_role("button", name=re.compile(r"^stride 1 gives 8x8")).click()
    expect(page.locator("#app")).not_to_have_class(re.compile(r"\bmisfit\b"))
    expect(page.locator("#numpy-code")).to_contain_text("np.sum", timeout=30_000)
    assert "zero padding hatched" in words.evaluate(shown)
    assert "the bars above and left" not in words.evaluate(shown)
