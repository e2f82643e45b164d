"""The page's layout (issue 10, section 1 and the phone of section 4), in headless Chromium.

On a laptop or a projector the picture is one screen: at 1280x720 and 1366x768, with the page
not scrolled, the transport, the input with its receptive-field outline, the active filter with
its bias, the arithmetic (``#numpy-code``, ``#sums``) and the current output neuron are each
wholly inside the window AND inside every scrolling box around them (so none is hidden in a
panel's scrolled-away part), and the one-screen block (``.screen``: strip, geometry, transport,
panels) ends within the window; only the real-images panel and the colour scale lie below it.
On a phone nothing is wider than the window.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.test_page import QUIET, api_step, preset_layer, slice_sums_total

pytestmark = pytest.mark.browser

PRESETS = ["cs231n-demo", "numpy-example", "example-2", "alexnet-conv1"]
LAPTOPS = [(1280, 720), (1366, 768)]

# True when the element's whole box is inside the window and inside the visible part of every
# ancestor that clips its content (a panel body scrolled elsewhere would hide it).
SHOWN = """
(node) => {
  const box = node.getBoundingClientRect();
  if (box.width === 0 || box.height === 0) return "has no size";
  const inside = (outer) => box.left >= outer.left - 1 && box.top >= outer.top - 1
    && box.right <= outer.right + 1 && box.bottom <= outer.bottom + 1;
  if (!inside({ left: 0, top: 0, right: innerWidth, bottom: innerHeight })) {
    return `outside the window: ${JSON.stringify(box)}`;
  }
  for (let up = node.parentElement; up; up = up.parentElement) {
    const style = getComputedStyle(up);
    if (style.overflowX === "visible" && style.overflowY === "visible") continue;
    const clip = up.getBoundingClientRect();
    if (!inside(clip)) return `clipped by ${up.id || up.className}: ${JSON.stringify(box)}`;
  }
  return "shown";
}
"""


# True when a tap at the element's centre lands on it (not on something drawn over it).
HIT = """
(node) => {
  const box = node.getBoundingClientRect();
  const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
  const mine = hit && (hit === node || node.contains(hit) || hit.control === node);
  return mine ? "hit" : `hit ${hit?.outerHTML.slice(0, 80)}`;
}
"""


def open_view(page: Page, query: str) -> None:
    page.goto(f"/{query}")
    expect(page.locator("#app")).to_have_attribute("aria-busy", "false", timeout=30_000)
    expect(page.locator("#numpy-code")).to_contain_text("np.sum", timeout=30_000)


def assert_shown(node: Locator, what: str) -> None:
    assert node.count() == 1, f"{what}: {node.count()} elements"
    assert node.evaluate(SHOWN) == "shown", what


@pytest.mark.parametrize("size", LAPTOPS, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("preset", PRESETS)
def test_the_picture_is_one_screen_at_every_step_shown(
    page: Page, preset: str, size: tuple[int, int], artifacts: Path
) -> None:
    assert_one_screen(page, preset, size, artifacts)


@pytest.mark.parametrize("preset", PRESETS)
def test_large_type_keeps_the_picture_one_screen_on_a_projector(
    page: Page, preset: str, artifacts: Path
) -> None:
    # the classroom option at a projector's 1280x720: the same one screen, in type 1.4 times
    # larger; the transport keeps to one row (first, last and the view tools folded behind
    # "More"; it took three), the masthead to one, so the panels keep their room
    assert_one_screen(page, preset, LAPTOPS[0], artifacts, large=True)
    rows = page.locator("#transport").evaluate(ROWS)
    assert rows == 1, f"the transport wraps to {rows} rows"
    assert page.locator(".masthead").evaluate(
        "n => [...n.querySelectorAll('.strip > *:not(.strip-errors)')].every((e) =>"
        " Math.abs(e.getBoundingClientRect().top - n.getBoundingClientRect().top) < 12)")
    assert page.locator("#numpy-code").evaluate("n => parseFloat(getComputedStyle(n).fontSize)"
                                                ) >= 16
    if preset == PRESETS[0]:
        # "More" unfolds them, a second row: the large-type switch is one click away
        more = page.get_by_role("button", name="More step and view controls")
        expect(page.get_by_label("Large type")).to_be_hidden()
        more.click()
        expect(more).to_have_attribute("aria-expanded", "true")
        expect(page.locator("#t-first")).to_be_visible()
        page.get_by_label("Large type").uncheck()
        expect(page.locator("html")).not_to_have_attribute("data-large", "")
        # normal type on a laptop: one strip, nothing to unfold
        expect(page.locator("#t-more")).to_have_count(0)
        expect(page.locator("#view-tools")).to_be_visible()


# How many rows the transport's shown controls lie on (their tops, to within a few pixels).
ROWS = """
(node) => {
  const tops = [...node.querySelectorAll("button, select, input, output, label")]
    .filter((e) => e.offsetParent && e.getClientRects().length)
    .map((e) => e.getBoundingClientRect()).filter((r) => r.width && r.height)
    .map((r) => r.top + r.height / 2);
  tops.sort((a, b) => a - b);
  let rows = 0, last = -Infinity;
  for (const y of tops) { if (y - last > 12) { rows += 1; last = y; } }
  return rows;
}
"""


def assert_one_screen(
    page: Page, preset: str, size: tuple[int, int], artifacts: Path, large: bool = False
) -> None:
    width, height = size
    page.set_viewport_size({"width": width, "height": height})
    # a step past the middle: the field low in the input, a later filter and output map, which
    # the panels must have scrolled into their own view
    total = {"cs231n-demo": 18, "numpy-example": 32, "example-2": 1280, "alexnet-conv1": 290400}
    t = total[preset] * 5 // 8 + 1
    open_view(page, f"?preset={preset}&t={t}{'&large=1' if large else ''}")
    expect(page.locator("#t-label")).to_contain_text(f"step {t + 1:,} of")
    expect(page.locator("#numpy-code")).not_to_contain_text("loading")
    assert page.evaluate("document.scrollingElement.scrollTop") == 0
    screen = page.locator(".screen").bounding_box()
    assert screen is not None and screen["y"] + screen["height"] <= height
    for selector in ("#t-play", "#t-forward", "#t-back", "#t-scrub", "#t-label", "#geometry-bar",
                     "#numpy-code", "#sums", "#preset", "#in-h", "#pad", "#drawer-toggle"):
        assert_shown(page.locator(selector), selector)
    field = page.locator("#input-grids .field-box:visible")
    if field.count():  # DOM grids: the outline of slice 0
        assert_shown(field.first, "receptive field outline")
    else:  # canvases: slice 0's canvas, the outline drawn on it
        slice0 = page.get_by_role("img", name=re.compile(r"^Input depth slice 0"))
        assert_shown(slice0, "input slice 0")
    if page.locator(".bank").count():  # a big bank on one canvas: the active row's box
        assert_shown(page.locator(".bank-active"), "active filter")
    else:
        assert_shown(page.locator(".filter.active"), "active filter")
        assert_shown(page.locator(".filter.active .bias"), "active filter's bias")
    neuron = page.locator("#output-grids .cell.mark-current")
    if neuron.count():
        assert_shown(neuron, "current output neuron")
    else:  # the atlas: every neuron is on the one canvas
        assert_shown(page.get_by_role("img", name=re.compile(r"^Output volume")), "output atlas")
    if size == LAPTOPS[0]:
        large_name = "-large" if large else ""
        page.screenshot(path=str(artifacts / f"layout-{preset}-{width}x{height}{large_name}.png"))


# Two rows of 44 px targets (WCAG's target size) and their gaps: the folded transport's most.
# It needs less (the label's line is not a target), so this bound fails at a third row.
TRANSPORT_MOST = 2 * 44 + 24
# Title (about 30 px), two rows of 36-44 px fields (the numbers' 11 px letters over their
# boxes, which beside them left W's box too narrow for three digits), the formula's two 20 px
# lines, the counts (wrapped on a phone: up to four 16 px lines at 390 px, since one line
# that scrolled sideways hid five of the seven) and the gaps between them.
MASTHEAD_MOST = 30 + 2 * 44 + 11 + 2 * 20 + 4 * 16 + 20


def transport_top(page: Page) -> float:
    box = page.locator("#transport").bounding_box()
    size = page.viewport_size
    assert box is not None and size is not None
    assert abs(box["y"] + box["height"] - size["height"]) <= 1, "the transport is not at the bottom"
    return float(box["y"])


def scroll_by_and_wait_quiet(page: Page, dy: float) -> None:
    """Scroll by ``dy`` as a reader would, then wait 800 ms of the page's clock from the
    scroll's event: past follow.js's quiet time after the reader's own scroll (700 ms), however
    late the event comes on a busy machine."""
    page.evaluate("""(dy) => new Promise((resolve) => {
      let timer = setTimeout(resolve, 800);  // a scroll that moves nothing fires no event
      addEventListener("scroll", () => {
        clearTimeout(timer);
        timer = setTimeout(resolve, 800);
      }, { once: true });
      scrollBy(0, dy);
    })""", dy)


def assert_in_band(page: Page, node: Locator, what: str) -> None:
    """`node` is wholly inside the window, above the fixed transport."""
    box = node.bounding_box()
    assert box is not None, what
    top = transport_top(page)
    assert box["y"] >= -1 and box["y"] + box["height"] <= top + 1, (
        f"{what} at y {box['y']:.0f}..{box['y'] + box['height']:.0f}, transport from {top:.0f}"
    )


def test_a_phone_gets_one_column_and_a_compact_transport_at_the_bottom(
    phone: Page, artifacts: Path
) -> None:
    page = phone
    for preset in PRESETS:
        open_view(page, f"?preset={preset}")
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 390, preset
        panels = [page.locator(f"#{name}-panel").bounding_box() for name in
                  ("input", "filters", "arithmetic", "output")]
        assert all(box is not None for box in panels)
        lefts = {round(box["x"]) for box in panels if box}
        assert len(lefts) == 1, f"{preset}: panels side by side at x = {lefts}"
        tops = [box["y"] for box in panels if box]
        assert tops == sorted(tops), preset
        top = transport_top(page)
        assert 844 - top <= TRANSPORT_MOST, f"{preset}: the transport is {844 - top:.0f} px tall"
        # the masthead is five short rows (title; preset and "More settings"; the seven
        # numbers; the formula's two lines as one row; the counts' wrapped lines): the picture
        # starts within MASTHEAD_MOST, a bound a second row of numbers breaks
        assert tops[0] <= MASTHEAD_MOST, f"{preset}: the input panel starts at {tops[0]:.0f} px"
        page.screenshot(path=str(artifacts / f"layout-phone-{preset}.png"))
        if preset == "cs231n-demo":
            # the demo's long title ends in an ellipsis before the arrow, not under it
            picker = page.locator("#preset")
            assert picker.evaluate("""e => {
                const context = document.createElement("canvas").getContext("2d");
                context.font = getComputedStyle(e).font;
                return context.measureText(e.selectedOptions[0].text).width > e.clientWidth;
            }""")
            assert picker.evaluate("e => getComputedStyle(e).textOverflow") == "ellipsis"
    # fields in 16 px type (a phone zooms into smaller ones on focus), the strip's >= 36 px tall
    small = page.locator("input:not([type=checkbox]):not([type=range]):not([type=file]), select"
                         ).evaluate_all(
        "els => els.filter(e => parseFloat(getComputedStyle(e).fontSize) < 16).map(e => e.id)")
    assert small == []
    low = page.locator(".strip input, .strip select").evaluate_all(
        "els => els.filter(e => e.offsetHeight < 36).map(e => e.id)")
    assert low == []
    # AlexNet's zoomable volumes: their buttons finger-sized
    heights = page.locator(".zoom-button:visible").evaluate_all(
        "els => els.map(e => e.offsetHeight)")
    assert heights and min(heights) >= 40, heights
    # the row under the thumb: targets of 44 px, none covering another
    for selector in ("#t-back", "#t-play", "#t-forward", "#t-scrub", "#t-more"):
        box = page.locator(selector).bounding_box()
        assert box is not None and box["height"] >= 40 and box["width"] >= 40, selector
        assert page.locator(selector).evaluate(HIT) == "hit", selector
    assert page.locator("#t-first").is_hidden() and page.locator("#view-tools").is_hidden()
    # "More" unfolds the rest above it: every control of the transport shown, a target, on top
    more = page.get_by_role("button", name="More step and view controls")
    expect(more).to_have_attribute("aria-expanded", "false")
    more.tap()
    expect(more).to_have_attribute("aria-expanded", "true")
    controls = page.locator("#transport").locator("button, select, input")
    shown = [controls.nth(n) for n in range(controls.count()) if controls.nth(n).is_visible()]
    names = {node.evaluate("e => e.id || e.textContent.trim()") for node in shown}
    assert {"t-first", "t-last", "t-speed", "t-loop", "view-3d", "copy-link"} <= names
    for node in shown:
        # a checkbox's target is its label
        tall = node.evaluate("e => (e.type === 'checkbox' ? e.labels[0] : e).offsetHeight")
        assert tall >= 40, node.evaluate("e => e.outerHTML")
        assert node.evaluate(HIT) == "hit", node.evaluate("e => e.outerHTML")
    # the page's end is padded by the unfolded transport's height: nothing lies under it
    # a function: an expression is polled through eval, which the page's CSP refuses
    page.wait_for_function("() => parseFloat(getComputedStyle(document.body).paddingBottom)"
                           " >= document.querySelector('#transport').offsetHeight")
    page.evaluate("window.scrollTo(0, document.scrollingElement.scrollHeight)")
    last = page.locator(".below > :last-child").bounding_box()
    assert last is not None and last["y"] + last["height"] <= transport_top(page) + 1
    page.screenshot(path=str(artifacts / "layout-phone-alexnet-more.png"))
    page.get_by_role("button", name="Step forward").tap()
    expect(page.locator("#t-label")).to_contain_text("step 2 of")
    more.tap()
    expect(page.locator("#t-first")).to_be_hidden()
    # from the keyboard: Tab from the scrubber reaches "More", Enter unfolds, Tab goes on to
    # the speed, and the first-step button is just before the row under the thumb
    page.locator("#t-scrub").focus()
    page.keyboard.press("Tab")
    expect(more).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.locator("#t-speed")).to_be_focused()
    page.locator("#t-back").focus()
    page.keyboard.press("Shift+Tab")
    expect(page.locator("#t-first")).to_be_focused()


@pytest.mark.parametrize("preset", ["cs231n-demo", "alexnet-224"])
def test_a_phone_in_large_type_keeps_to_its_width_and_a_two_row_transport(
    phone: Page, preset: str, artifacts: Path
) -> None:
    page = phone
    page.goto(f"/?preset={preset}&large=1")
    expect(page.locator("#app")).to_have_attribute("aria-busy", "false", timeout=30_000)
    expect(page.locator("html")).to_have_attribute("data-large", "")
    # the images' choices and the colour scale, in large type, widened the page to 528 px
    assert page.evaluate("[innerWidth, document.scrollingElement.scrollWidth]") == [390, 390]
    # grown with the type, the transport took three rows (a misfit's reason, four lines)
    assert 844 - transport_top(page) <= TRANSPORT_MOST, preset
    for selector in ("#t-more", "#t-misfit-fix" if "224" in preset else "#t-play"):
        box = page.locator(selector).bounding_box()
        assert box is not None and box["height"] >= 40 and box["x"] + box["width"] <= 390
    # the strip's numbers whole in their seventh of the width (AlexNet's 224 was cut to "22")
    cut = page.locator(".strip input[type=number]").evaluate_all(
        "els => els.filter(e => e.scrollWidth > e.clientWidth).map(e => e.id)")
    assert cut == []
    page.screenshot(path=str(artifacts / f"layout-phone-large-{preset}.png"))


def test_a_phone_held_sideways_gets_the_phone_layout_too(phone: Page, artifacts: Path) -> None:
    # 844x390: the laptop's one screen would leave the panels a few pixels of height
    page = phone
    page.set_viewport_size({"width": 844, "height": 390})
    open_view(page, "?preset=cs231n-demo")
    lefts = {round(box["x"]) for box in (page.locator(f"#{name}-panel").bounding_box()
                                         for name in ("input", "filters", "output")) if box}
    assert len(lefts) == 1, f"panels side by side at x = {lefts}"
    assert 390 - transport_top(page) <= TRANSPORT_MOST
    # the step's label beside the scrubber: folded, the transport is one row (the label's
    # own row above took 22 of the 390 px)
    label, scrub = page.locator("#t-label").bounding_box(), page.locator("#t-scrub").bounding_box()
    assert label and scrub and label["x"] >= scrub["x"] + scrub["width"]
    assert abs((label["y"] + label["height"] / 2) - (scrub["y"] + scrub["height"] / 2)) < 4
    assert 390 - transport_top(page) <= 56
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 844
    expect(page.get_by_role("button", name="More step and view controls")).to_be_visible()
    # the title, the preset, the seven numbers, "More settings" and the REST API link share
    # one row (every box crosses one line across the page): in three rows the masthead took
    # 72 px of the 390 and the picture started at 143
    boxes = page.evaluate("sels => sels.map(s => { const r = document.querySelector(s)"
                          ".getBoundingClientRect(); return [r.top, r.bottom, r.right]; })",
                          ["h1", "#preset", "#in-h", "#in-w", "#in-d", "#f-k", "#f-f",
                           "#stride", "#pad", "#drawer-toggle", ".api-link"])
    assert max(top for top, _, _ in boxes) < min(bottom for _, bottom, _ in boxes), boxes
    assert max(right for _, _, right in boxes) <= 844
    # the preset keeps room for its name's start ("AlexNet conv1: 227x227...")
    assert page.locator("#preset").bounding_box()["width"] >= 180  # type: ignore[index]
    # (the counts wrapped to two lines take 20 px of it)
    assert page.locator("#input-panel").bounding_box()["y"] <= 130  # type: ignore[index]
    page.screenshot(path=str(artifacts / "layout-phone-sideways.png"))
    # "More" opened: the view tools follow speed and loop on their row; in a row of their own
    # the unfolded transport took 211 of the 390 px
    page.get_by_role("button", name="More step and view controls").tap()
    for name in ("First step", "Copy link", "Large type", "Lines"):
        expect(page.get_by_role("button", name=name).or_(page.get_by_label(name)).first
               ).to_be_in_viewport()
    assert 390 - transport_top(page) <= 150
    page.screenshot(path=str(artifacts / "layout-phone-sideways-more.png"))


@pytest.mark.parametrize(
    ("name", "query"),
    [("3d", "?preset=cs231n-demo&view=3d"), ("alexnet-3d", "?preset=alexnet-conv1&view=3d"),
     ("dark", "?preset=cs231n-demo&theme=dark&t=7"), ("drawer", "?preset=cs231n-demo")],
)
def test_a_phone_keeps_the_3d_view_the_dark_theme_and_the_drawer_to_its_width(
    phone: Page, name: str, query: str, artifacts: Path
) -> None:
    page = phone
    open_view(page, query)
    if name == "drawer":
        page.get_by_role("button", name="More settings").tap()
        close = page.get_by_role("button", name="Close the settings")
        expect(close).to_be_visible()
        box = close.bounding_box()
        assert box is not None and box["height"] >= 40 and close.evaluate(HIT) == "hit"
    else:
        panel = "#output-panel" if name == "dark" else "#input-panel"
        page.locator(panel).evaluate("n => n.scrollIntoView()")
        transport_top(page)
    if "3d" in name:
        # the 3-D view's buttons are finger-sized
        heights = page.locator(".volume3d-bar button:visible").evaluate_all(
            "els => els.map(e => e.offsetHeight)")
        assert heights and min(heights) >= 40, heights
        block = page.locator("#input-panel .volume3d-block")
        expect(block).to_be_visible()
        box = block.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    if name == "dark":
        expect(page.locator("html")).to_have_attribute("data-look", "dark")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    page.screenshot(path=str(artifacts / f"layout-phone-{name}.png"))


@pytest.mark.parametrize(
    ("query", "current", "title"),
    [
        # the demo's output: the marked neuron runs down map 0's rows
        ("?preset=cs231n-demo&t=0", "#output-grids .cell.mark-current", "#output-title"),
        # AlexNet's 96 filters, one step each in depth-column order: the active row runs down
        # the bank, which scrolls inside its panel
        ("?preset=alexnet-conv1&order=depth_column", ".bank-active", "#filters-title"),
    ],
    ids=["demo-output", "alexnet-filters"],
)
def test_a_phone_keeps_the_current_neuron_of_the_panel_in_view_while_stepping(
    phone: Page, query: str, current: str, title: str, artifacts: Path
) -> None:
    page = phone
    open_view(page, query)
    if "order=" in query:  # a link without sizes keeps the order it names
        assert "order=depth_column" in page.url
    # the reader scrolls the current thing down to just above the transport, and touches the
    # panel (its title): the steps then carry it below, where the page must follow
    box = page.locator(current).bounding_box()
    assert box is not None
    scroll_by_and_wait_quiet(page, box["y"] + box["height"] - (transport_top(page) - 6))
    page.locator(title).tap()
    assert_in_band(page, page.locator(current), "the current thing before stepping")
    forward = page.get_by_role("button", name="Step forward")
    followed = False
    for n in range(2, 14):
        y = page.evaluate("window.scrollY")
        forward.tap()
        expect(page.locator("#t-label")).to_contain_text(f"step {n} of")
        expect(page.locator("#app")).to_have_attribute("data-shown-step", str(n - 1))
        assert_in_band(page, page.locator(current), f"the current thing at step {n}")
        followed = followed or page.evaluate("window.scrollY") > y
    assert followed, "the page never had to follow: the test proves nothing"
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    # the depth-column fan stays within the window (AlexNet's field and column are a screen
    # apart: 96 lines off it would only streak the panels between)
    off = page.locator(".conn-fan line:visible").evaluate_all(
        "ls => ls.filter(l => ['y1', 'y2'].some(k => +l.getAttribute(k) < 0"
        " || +l.getAttribute(k) > innerHeight + 60)).length"
    )
    assert off == 0, f"{off} lines run off the window"
    name = "demo" if "demo" in query else "alexnet"
    page.screenshot(path=str(artifacts / f"layout-phone-{name}-following.png"))


def test_a_phone_follows_a_playing_layer_to_its_last_step(phone: Page) -> None:
    page = phone
    open_view(page, "?preset=cs231n-demo&t=0")
    more = page.get_by_role("button", name="More step and view controls")
    more.tap()
    page.locator("#t-speed").select_option("20")
    more.tap()
    neuron = page.locator("#output-grids .cell.mark-current")
    box = neuron.bounding_box()
    assert box is not None
    scroll_by_and_wait_quiet(page, box["y"] + box["height"] - (transport_top(page) - 6))
    page.locator("#output-title").tap()
    y = page.evaluate("window.scrollY")
    page.get_by_role("button", name="Play").tap()
    # 18 steps at 20 a second; the player stops on the last (no loop)
    expect(page.locator("#t-play")).to_have_attribute("aria-label", "Pause")
    expect(page.locator("#t-play")).to_have_attribute("aria-label", "Play", timeout=10_000)
    expect(page.locator("#t-label")).to_contain_text("step 18 of 18")
    assert page.evaluate("window.scrollY") > y
    assert_in_band(page, neuron, "the last step's neuron")


def test_a_phone_page_stays_put_under_a_finger_and_follows_once_it_lifts(phone: Page) -> None:
    page = phone
    open_view(page, "?preset=cs231n-demo&t=0")
    box = page.locator("#output-grids .cell.mark-current").bounding_box()
    assert box is not None
    scroll_by_and_wait_quiet(page, box["y"] + box["height"] - (transport_top(page) - 6))
    title = page.locator("#output-title").bounding_box()
    assert title is not None
    cdp = page.context.new_cdp_session(page)
    # a finger resting on the output panel: steps (from the keyboard here) do not move the page
    finger = {"x": title["x"] + 10, "y": title["y"] + title["height"] / 2}
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [finger]})
    y = page.evaluate("window.scrollY")
    for n in range(2, 9):
        page.keyboard.press("ArrowRight")
        expect(page.locator("#app")).to_have_attribute("data-shown-step", str(n - 1))
    assert page.evaluate("window.scrollY") == y
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    page.keyboard.press("ArrowRight")
    expect(page.locator("#app")).to_have_attribute("data-shown-step", "8")
    # lifted, the finger was a tap on the output panel: the page follows its neuron again
    assert_in_band(page, page.locator("#output-grids .cell.mark-current"), "after the finger lifts")


RING = """e => {
  // the focus ring's outer box: the element's, grown by the outline's offset and width
  const r = e.getBoundingClientRect(), s = getComputedStyle(e);
  const out = parseFloat(s.outlineOffset) + parseFloat(s.outlineWidth);
  const ring = [r.left - out, r.top - out, r.right + out, r.bottom + out];
  let clip = [0, 0, innerWidth, innerHeight];
  for (let up = e.parentElement; up; up = up.parentElement) {
    const o = getComputedStyle(up);
    if (o.overflowX === "visible" && o.overflowY === "visible") continue;
    const b = up.getBoundingClientRect();
    const inner = [b.left + up.clientLeft, b.top + up.clientTop,
                   b.left + up.clientLeft + up.clientWidth, b.top + up.clientTop + up.clientHeight];
    clip = [Math.max(clip[0], inner[0]), Math.max(clip[1], inner[1]),
            Math.min(clip[2], inner[2]), Math.min(clip[3], inner[3])];
  }
  return ring[0] >= clip[0] - 0.5 && ring[1] >= clip[1] - 0.5 && ring[2] <= clip[2] + 0.5
    && ring[3] <= clip[3] + 0.5;
}"""


def test_focus_rings_are_drawn_whole(page: Page) -> None:
    # a zoomable output's ring was clipped by its panel's scroller (its sides gone), and a
    # panel's "?" lost the foot of its ring under the explanation laid over the lines
    page.set_viewport_size({"width": 1366, "height": 800})
    open_view(page, "?preset=alexnet-conv1")
    atlas = page.locator("#output-grids .zoom-grid").first
    atlas.focus()
    assert atlas.evaluate(RING)
    toggle = page.locator("#input-panel .explain-toggle")
    toggle.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")  # reached by keyboard: its ring shows
    expect(toggle).to_be_focused()
    # an outline is painted with its element: the button, ring and all, over the words
    on_top = toggle.evaluate("e => getComputedStyle(e).zIndex")
    under = page.locator("#input-what").evaluate("e => getComputedStyle(e).zIndex")
    assert on_top != "auto" and int(on_top) > int(under), (on_top, under)


def test_the_drawers_menus_and_boxes_are_targets_24_px_tall_at_least(page: Page) -> None:
    # the Activation and Connectivity menus were 19 px tall, 22 px apart (WCAG 2.5.8)
    open_view(page, "")
    page.get_by_role("button", name="More settings").click()
    expect(page.locator("#drawer")).to_be_visible()
    heights = page.locator("#drawer").locator("select, input").evaluate_all(
        "els => els.filter(e => e.offsetParent !== null)"
        ".map(e => [e.id, e.getBoundingClientRect().height])")
    assert {"activation", "connectivity", "fit", "seed"} <= {name for name, _ in heights}
    assert [name for name, tall in heights if tall < 24] == []


def test_the_keyboard_opens_and_closes_the_drawer_and_reaches_every_control(page: Page) -> None:
    open_view(page, "")
    drawer = page.locator("#drawer")
    toggle = page.get_by_role("button", name="More settings")
    expect(drawer).to_be_hidden()
    # every control of the one screen, the closed drawer's included (not the hidden
    # backward-mode panel's)
    wanted = set(page.locator(".screen").locator("input, select, button, textarea").evaluate_all(
        "els => els.filter(e => !e.disabled && !e.closest('[hidden]:not(#drawer)'))"
        ".map(e => e.id || e.getAttribute('aria-label'))"
    ))
    assert {"connectivity", "edit-value", "pad-left", "t-scrub", "in-h"} <= wanted
    reached: set[str] = set()
    opened = False
    for _ in range(160):
        page.keyboard.press("Tab")
        reached.add(page.evaluate(
            "document.activeElement.id || document.activeElement.getAttribute('aria-label')"
        ))
        if page.evaluate("document.activeElement.id") == "drawer-toggle" and not opened:
            page.keyboard.press("Enter")
            opened = True
            expect(drawer).to_be_visible()
            expect(toggle).to_have_attribute("aria-expanded", "true")
            # the focus went into the drawer, on its first setting (its Close button and
            # the notes' link, before it, are Shift+Tab away)
            assert page.evaluate("document.activeElement.id") == "f-fh"
            reached.add(page.evaluate("document.activeElement.id"))
            for _ in range(2):
                page.keyboard.press("Shift+Tab")
                reached.add(page.evaluate(
                    "document.activeElement.id || document.activeElement.getAttribute('aria-label')"
                ))
            page.keyboard.press("Tab")
            page.keyboard.press("Tab")
        if wanted <= reached:
            break
    assert wanted - reached == set()
    # Tabbing on out of the drawer closed it (it covers the controls the focus went to)
    expect(drawer).to_be_hidden()
    # Escape from inside the drawer closes it and hands the focus back to its toggle
    toggle.click()
    page.get_by_label("Connectivity").focus()
    page.keyboard.press("Escape")
    expect(drawer).to_be_hidden()
    expect(toggle).to_be_focused()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    # Space on the toggle opens it again; the Close button (Enter) closes it
    page.keyboard.press("Space")
    expect(drawer).to_be_visible()
    page.get_by_role("button", name="Close the settings").focus()
    page.keyboard.press("Enter")
    expect(drawer).to_be_hidden()
    expect(toggle).to_be_focused()


CENTRE_ELEMENT = ("(r => document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2)?.id)"
                  "(document.activeElement.getBoundingClientRect())")


# 1280x800: the drawer lies over its toggle and the strip's P; 640x400 (1280x800 at 200 %):
# it spans the width, over the whole strip; 1024x600: the toggle (second row) shows beside it
@pytest.mark.parametrize(("size", "toggle_covered"),
                         [((1280, 800), True), ((640, 400), True), ((1024, 600), False)])
def test_focus_leaving_the_drawer_for_a_control_it_hides_closes_it(
    page: Page, size: tuple[int, int], toggle_covered: bool
) -> None:
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_view(page, "?preset=cs231n-demo")
    drawer = page.locator("#drawer")
    toggle = page.get_by_role("button", name="More settings")
    toggle.focus()
    page.keyboard.press("Enter")
    expect(drawer).to_be_visible()
    page.get_by_role("button", name="Close the settings").focus()
    # Shift+Tab out of the drawer onto its toggle: where the drawer covers it, the drawer
    # closes and the focus stays on the toggle, now in sight; beside it, the drawer stays
    page.keyboard.press("Shift+Tab")
    expect(toggle).to_be_focused()
    assert page.evaluate(CENTRE_ELEMENT) == "drawer-toggle"
    if toggle_covered:
        expect(drawer).to_be_hidden()
        expect(toggle).to_have_attribute("aria-expanded", "false")
        return
    expect(drawer).to_be_visible()
    # on from the toggle to the strip's P: the drawer closes, as it covers the strip's right
    page.keyboard.press("Shift+Tab")
    expect(page.locator("#pad")).to_be_focused()
    expect(drawer).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")


@pytest.mark.parametrize("size", [(1280, 800), (640, 400)])
def test_escape_in_a_field_outside_the_open_drawer_closes_it(
    page: Page, size: tuple[int, int]
) -> None:
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_view(page, "?preset=cs231n-demo")
    drawer = page.locator("#drawer")
    page.get_by_role("button", name="More settings").click()
    expect(drawer).to_be_visible()
    # the state the keyboard review reached (the focus in P under the open drawer), made
    # directly: the drawer's focusout now closes it on the way there
    page.evaluate("document.querySelector('#pad').focus(); "
                  "document.querySelector('#drawer').hidden = false")
    expect(drawer).to_be_visible()
    page.keyboard.press("Escape")
    expect(drawer).to_be_hidden()
    expect(page.locator("#pad")).to_be_focused()
    # Escape then does what it does outside the drawer: the values stay as they were
    expect(page.locator("#pad")).to_have_value("1")


def test_a_hidden_explanation_stays_hidden_on_the_next_visit_not_in_the_link(page: Page) -> None:
    open_view(page, "")
    text = page.locator("#input-what")
    expect(text).to_be_visible()
    page.get_by_role("button", name="Hide the explanation of the input volume").click()
    expect(text).to_be_hidden()
    url = page.url
    open_view(page, url[url.index("?"):])
    expect(text).to_be_hidden()
    assert "explain" not in page.url
    expect(page.locator("#output-what")).to_be_visible()
    page.get_by_role("button", name="Show the explanation of the input volume").click()
    expect(text).to_be_visible()


@pytest.mark.parametrize("preset", PRESETS)
def test_large_type_keeps_the_3d_view_one_screen_on_a_projector(
    page: Page, preset: str, artifacts: Path
) -> None:
    # the 3-D view in the classroom's large type at 1280x720: the blocks' tools keep to one
    # compact row (they had wrapped to three or four and pushed the input block below the fold)
    page.set_viewport_size({"width": 1280, "height": 720})
    open_view(page, f"?preset={preset}&t=7&view=3d&large=1")
    page.screenshot(path=str(artifacts / f"volume3d-{preset}-1280x720-large.png"))
    assert page.evaluate("document.scrollingElement.scrollTop") == 0
    for selector in ("#transport", "#t-play", "#t-scrub", "#numpy-code", "#sums",
                     "#input-3d .volume3d-block", "#output-3d .volume3d-block"):
        assert_shown(page.locator(selector), selector)
    for which in ("input", "output"):
        # the overlay's drawn box (the field box or the current neuron on it) in the window
        page.evaluate("() => new Promise((done) => requestAnimationFrame("
                      "() => requestAnimationFrame(done)))")
        marks = page.evaluate(f"document.querySelector('#{which}-3d').volume3d.probe().marks")
        assert marks["box"] is not None, f"the {which} block's overlay is hidden"
        x0, y0, x1, y1 = marks["box"]
        assert 0 <= x0 < x1 <= 1280 and 0 <= y0 < y1 <= 720, f"{which} overlay at {marks['box']}"
        rows = page.locator(f"#{which}-3d .volume3d-bar").evaluate(ROWS)
        assert rows == 1, f"the {which} block's tools wrap to {rows} rows"


def test_switching_to_large_type_fits_the_grids_as_opening_in_it_does(
    browser: Browser, base_url: str
) -> None:
    # the views were fitted before the transport folded for large type: at 1366x768 the
    # switched page drew 52 px output cells where the same link opened in it drew 64
    def cells(page: Page) -> list[float]:
        return [page.locator(f"{grid} .cell").first.bounding_box()["width"]  # type: ignore[index]
                for grid in ("#input-grids", "#output-grids")]

    context = browser.new_context(base_url=base_url, viewport={"width": 1366, "height": 768})
    switched = context.new_page()
    switched.goto("/?preset=cs231n-demo")
    expect(switched.locator("#numpy-code")).to_contain_text("np.sum", timeout=30_000)
    switched.get_by_label("Large type").check()
    expect(switched.locator("html")).to_have_attribute("data-large", "")
    opened = context.new_page()
    opened.goto(switched.url)
    expect(opened.locator("#numpy-code")).to_contain_text("np.sum", timeout=30_000)
    want = cells(opened)
    # the switched page rebuilds two frames on: polled for up to 10 s, as a busy machine's
    # frames come late (1 s of polls was the whole allowance)
    for _ in range(200):
        if cells(switched) == pytest.approx(want, abs=1):
            break
        switched.wait_for_timeout(50)
    assert cells(switched) == pytest.approx(want, abs=1)
    context.close()


@pytest.mark.parametrize("size", [(1920, 1080), *LAPTOPS], ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_demos_volumes_fit_their_panels_once_the_masthead_is_filled(
    page: Page, size: tuple[int, int]
) -> None:
    # the grids were fitted to bodies the masthead's first answers then made shorter: at
    # 1920x1080 the input's last padding row was under its panel's edge (22 px to scroll)
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_view(page, "?preset=cs231n-demo")
    page.wait_for_function(
        """() => ["#input-grids", "#filter-grids", "#output-grids"].every((id) => {
            const body = document.querySelector(id);
            return body.scrollHeight <= body.clientHeight + 1;
        })""",
        timeout=5_000,
    )


@pytest.mark.parametrize("size", [(853, 480), (911, 512)], ids=["1280x720@150%", "1366x768@150%"])
def test_a_small_window_zoomed_to_150_percent_scrolls_one_column_of_panels(
    page: Page, size: tuple[int, int]
) -> None:
    # kept on one screen, the masthead and the transport left the grids 46 px of 480
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_view(page, "?preset=cs231n-demo")
    boxes = [page.locator(f"#{name}-panel").bounding_box() for name in
             ("input", "filters", "arithmetic", "output")]
    assert all(box is not None for box in boxes)
    assert len({round(box["x"]) for box in boxes if box}) == 1  # one column
    cell = page.locator("#input-grids .cell").first.bounding_box()
    assert cell is not None and cell["width"] >= 24
    assert_shown(page.locator("#input-grids .field-box:visible").first, "the field, on screen")


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1366, 768)])
def test_below_the_picture_the_scale_keeps_its_width_and_labels_stay_by_their_controls(
    page: Page, width: int, height: int
) -> None:
    # a phone's colour scale was 80 px ("−max0+max"), and at 1366 "Filter bank" ended one
    # row at the right while its menu began the next at the left
    page.set_viewport_size({"width": width, "height": height})
    open_view(page, "")
    ticks = page.locator(".legend-ticks").bounding_box()
    assert ticks is not None and ticks["width"] >= 200, ticks
    for name in ("image-sample", "image-bank"):
        label = page.locator(f"label[for={name}]").bounding_box()
        control = page.locator(f"#{name}").bounding_box()
        assert label is not None and control is not None
        beside = abs(label["y"] + label["height"] / 2 - control["y"] - control["height"] / 2) < 8
        under = 0 <= control["y"] - (label["y"] + label["height"]) < 8
        assert (beside and 0 <= control["x"] - (label["x"] + label["width"]) < 24) or (
            under and abs(control["x"] - label["x"]) < 2), (name, label, control)


def test_a_pin_keeps_the_transport_to_one_row_in_large_type_on_a_projector(page: Page) -> None:
    # the pinned neuron's note in the step label wrapped the transport to two rows (76 to
    # 123 px) at 1280x720 in large type; the label ends in "…" instead, its title whole
    page.set_viewport_size({"width": 1280, "height": 720})
    open_view(page, "?preset=alexnet-conv1&large=1&t=20")
    transport = page.locator("#transport")
    alone = transport.bounding_box()
    open_view(page, "?preset=alexnet-conv1&large=1&t=20&pin=o3.10.2")
    label = page.locator("#t-label")
    expect(label).to_have_attribute("title", "step 21 of 290,400 · pinned V[3,10,2] (step 6,226)")
    pinned = transport.bounding_box()
    assert alone is not None and pinned is not None
    assert pinned["height"] == alone["height"], (alone, pinned)


@pytest.mark.parametrize(("size", "large"), [((1024, 768), False), ((1280, 800), True)],
                         ids=["1024x768", "1280x800-large"])
def test_a_pinned_neurons_name_is_shown_whole_where_the_row_has_no_room_for_the_label(
    page: Page, size: tuple[int, int], large: bool
) -> None:
    # the label was one line ending in "…": "pinned V[54,…" left out which neuron it was
    page.set_viewport_size({"width": size[0], "height": size[1]})
    query = f"?preset=alexnet-conv1&t=5001{'&large=1' if large else ''}"
    open_view(page, query)
    alone = page.locator("#transport").bounding_box()
    open_view(page, query + "&pin=o54.54.95")
    label = page.locator("#t-label")
    expect(label).to_have_text("step 5,002 of 290,400 · pinned V[54,54,95] (step 290,400)")
    step, pinned = label.locator(".t-part0"), label.locator(".t-part1")
    expect(pinned).to_have_text(" · pinned V[54,54,95]")
    for part in (step, pinned):  # each whole, inside the label's box
        assert part.evaluate("e => e.scrollWidth <= e.clientWidth"), part.text_content()
        box, outer = part.bounding_box(), label.bounding_box()
        assert box and outer and box["y"] + box["height"] <= outer["y"] + outer["height"] + 0.5
    # the note under the step, in the row's height: the picture does not move on a pin
    assert step.bounding_box()["y"] < pinned.bounding_box()["y"]  # type: ignore[index]
    assert page.locator("#transport").bounding_box() == alone


def test_a_filters_slices_start_under_its_name_and_bias(page: Page) -> None:
    # in a wide panel (Example 1 at 1920x1080) the first slice sat on the line of "W0
    # b0 = 0.008082" and the other two under it: which slice was which was hard to tell
    page.set_viewport_size({"width": 1920, "height": 1080})
    open_view(page, "?preset=example-1")
    for f in (0, 1):
        row = page.locator("#filter-grids .filter").nth(f)
        bias = row.locator(".bias").bounding_box()
        tops = [g.bounding_box() for g in row.get_by_role("table").all()]
        assert bias is not None and len(tops) == 3 and all(tops)
        assert all(t is not None and t["y"] >= bias["y"] + bias["height"] for t in tops), (
            f, bias, tops)
        # in reading order, wrapped as the numbers need (three in a line left no cell room
        # for "-0.098": two thirds of the weights blank)
        order = [(round(t["y"]), t["x"]) for t in tops if t is not None]
        assert order == sorted(order), order
    texts = page.locator("#filter-grids .filter").nth(0).locator(".cell").all_text_contents()
    assert len(texts) == 75 and all(re.fullmatch(r"-?[\d.e-]+", t) for t in texts), texts


def test_a_banks_filter_shows_every_slices_numbers_at_one_type_size(page: Page) -> None:
    # the edges-and-blobs bank on the scene: slices 0 and 2 of W0 (-0.25s) drew no number at
    # all beside slice 1 (-0.5s) in 18 px cells, sized for all six filters at once
    page.set_viewport_size({"width": 1280, "height": 720})
    open_view(page, "?image=scene&bank=first-layer")
    # a short window has no room for cells the -0.25s fit: each slice keeps what fits it
    # (the filter's one type size had blanked slice 1's numbers too)
    texts = page.locator("#filter-grids .filter").nth(0).locator(".cell").all_text_contents()
    assert sum(t == "-1" for t in texts) == 1 and sum(t == "0.5" for t in texts) == 2, texts
    page.set_viewport_size({"width": 1280, "height": 800})
    open_view(page, "?image=scene&bank=first-layer")
    slices = page.locator("#filter-grids .filter").nth(0).get_by_role("table")
    expect(slices).to_have_count(3)
    for grid in slices.all():
        texts = grid.locator(".cell").all_text_contents()
        assert len(texts) == 25 and all(re.fullmatch(r"-?[\d.]+", t) for t in texts), texts
    sizes = {cell.evaluate("e => getComputedStyle(e).fontSize")
             for cell in page.locator("#filter-grids .filter").nth(0).locator(".cell").all()}
    assert len(sizes) == 1, sizes


def test_large_type_makes_the_grids_numbers_larger_in_a_short_window(page: Page) -> None:
    # At 1280x720 the grids have no more room in large type, so their cells stayed the
    # same size and the numbers, a fixed share of them, came out a little smaller.
    def sizes(query: str) -> dict[str, float]:
        open_view(page, query)
        return {panel: page.locator(f"{panel} .grid").first.evaluate(
            "e => parseFloat(getComputedStyle(e).fontSize)") for panel in
            ("#input-grids", "#filter-grids", "#products")}

    page.set_viewport_size({"width": 1280, "height": 720})
    normal = sizes("?preset=cs231n-demo")
    large = sizes("?preset=cs231n-demo&large=1")
    for panel, size in normal.items():
        assert large[panel] >= 1.15 * size, (panel, size, large[panel])


@pytest.mark.parametrize("act", ["none", "relu"])  # a ReLU's step text is a line longer
def test_large_type_beside_the_weight_gradient_keeps_the_active_filters_cells(
    page: Page, act: str
) -> None:
    # backward mode shares the filters' column with the weight gradient: in large type both
    # filters were kept in view at 18 px cells, where normal type drew them at 27 px, so
    # projecting made the weights smaller; the active filter now keeps its size, the other
    # scrolled to
    def cell(query: str) -> float:
        open_view(page, query)
        active = page.locator("#filter-grids .filter.active .cell").first
        return float(active.evaluate("e => e.getBoundingClientRect().height"))

    page.set_viewport_size({"width": 1440, "height": 900})
    normal = cell(f"?preset=cs231n-demo&mode=backward&act={act}")
    large = cell(f"?preset=cs231n-demo&mode=backward&large=1&act={act}")
    assert large >= 0.9 * normal > 20, (normal, large)
    # the filter of a step past the first scrolls into view
    open_view(page, "?preset=cs231n-demo&mode=backward&large=1&t=12")
    row = page.locator("#filter-grids .filter.active").bounding_box()
    body = page.locator("#filter-grids").bounding_box()
    assert row and body and body["y"] <= row["y"]
    assert row["y"] + row["height"] <= body["y"] + body["height"] + 1


def test_a_long_sum_in_a_short_window_keeps_its_total_within_reach(
    page: Page, api: httpx.Client
) -> None:
    # Example 2's 20 terms in large type at 1024x768 ran past the panel's bottom, which
    # clips: its total could not be reached, and the products were 0 px tall.
    page.set_viewport_size({"width": 1024, "height": 768})
    open_view(page, "?preset=example-2&large=1")
    sums = page.locator("#sums")
    expect(sums).to_contain_text(
        slice_sums_total(api_step(api, preset_layer(api, "example-2"), 0)))
    panel = page.locator("#arithmetic-panel").bounding_box()
    box = sums.bounding_box()
    assert panel and box and box["y"] + box["height"] <= panel["y"] + panel["height"]
    # the rest of it scrolls into view in its own box
    sums.evaluate("e => { e.scrollTop = e.scrollHeight; }")
    assert sums.evaluate("e => e.scrollHeight > e.clientHeight")
    products = page.locator("#products").bounding_box()
    assert products and products["height"] > 20


@pytest.mark.parametrize(("preset", "steps"), [("cs231n-demo", 18), ("numpy-example", 12)])
def test_stepping_in_large_type_on_a_4_3_projector_never_moves_the_products(
    page: Page, preset: str, steps: int
) -> None:
    # At 1024x768 in large type the demo's code line took three lines at one step
    # (Xp[:3,:3,:]) and four at the next (Xp[2:5,4:7,:]): stepping with the arrow key, the
    # products under it jumped 22 px down and back up every few steps (and the sums' lines,
    # 2 or 3 in the NumPy example, moved them too).
    page.set_viewport_size({"width": 1024, "height": 768})
    open_view(page, f"?preset={preset}&large=1")
    products = page.locator("#products")
    tops: list[float] = []
    for t in range(steps):
        expect(page.locator("#app")).to_have_attribute("data-shown-step", str(t))
        expect(page.locator("#numpy-code")).to_contain_text("np.sum")
        tops.append(products.evaluate("n => n.getBoundingClientRect().top"))
        page.keyboard.press("ArrowRight")
    assert max(tops) - min(tops) < 1, tops


@pytest.mark.parametrize("large", [False, True], ids=["normal", "large"])
def test_input_slices_that_cannot_all_fit_get_bigger_cells_not_fewer_whole_slices(
    page: Page, large: bool
) -> None:
    # At 1024x768 the demo's three padded 7x7 slices cannot all fit the input panel at the
    # 18 px numbers need, and the panel scrolls; its cells stayed at those 18 px although
    # the panel's room held as many whole slices with larger ones (and the scroll note, shown
    # after the fitting, then cut the last whole slice's bottom row).
    page.set_viewport_size({"width": 1024, "height": 768})
    open_view(page, f"?preset=cs231n-demo{'&large=1' if large else ''}")
    expect(page.locator("#input-grids .slices-note")).to_be_visible()
    figures = page.locator("#input-grids figure")
    expect(figures).to_have_count(3)
    whole = [figures.nth(d).locator(".grid").evaluate(SHOWN) == "shown" for d in range(3)]
    assert whole[0] and not whole[2], whole
    cell = page.locator("#input-grids .cell").first.bounding_box()
    assert cell is not None and cell["width"] >= 20, cell  # 18 before
    # the slices the panel shows whole are no fewer than at 18 px cells: at most one slice's
    # worth (7 cells and a caption) of the panel's height is left empty below them
    body = page.locator("#input-grids").bounding_box()
    last = figures.nth(sum(whole) - 1).bounding_box()
    assert body is not None and last is not None
    assert body["y"] + body["height"] - (last["y"] + last["height"]) < 7 * 19 + 16, (body, last)


def test_large_type_at_1024x768_keeps_the_masthead_to_two_rows_and_the_transport_to_one(
    page: Page,
) -> None:
    # a 4:3 projector: the masthead took three rows (the last for "More settings" alone) and
    # the transport two ("More" alone on the second), and the picture began 343 px down
    page.set_viewport_size({"width": 1024, "height": 768})
    open_view(page, "?preset=cs231n-demo&large=1")
    assert_transport_one_row(page)
    tops = page.locator(".masthead").evaluate(
        "n => [...n.querySelectorAll('h1, .api-link, .strip > *:not(.strip-errors)')]"
        ".map((e) => Math.round(e.getBoundingClientRect().top))")
    rows: list[int] = []
    for top in sorted(tops):
        if not rows or top - rows[-1] > 12:
            rows.append(top)
    assert len(rows) == 2, tops
    picture = page.locator("#volumes").bounding_box()
    assert picture is not None and picture["y"] < 280, picture


@pytest.mark.parametrize(("preset", "panel"), [("cs231n-demo", "#input-grids"),
                                               ("common-3-1-1", "#output-grids")])
def test_large_type_on_a_1280x720_projector_gives_the_volumes_cells_a_hall_reads(
    page: Page, preset: str, panel: str
) -> None:
    # the demo's three input slices were fitted all at once at 20 px cells (9 px digits) and
    # the common layer's two 8x8 maps at 21 px, half their panel empty: in large type the
    # volumes now keep the arithmetic's 24 px before growing (34 on screen) and scroll the rest
    page.set_viewport_size({"width": 1280, "height": 720})
    open_view(page, f"?preset={preset}&large=1")
    cell = page.locator(f"{panel} .cell").first.bounding_box()
    assert cell is not None and cell["width"] >= 33, cell
    # the slice or map the step is on stays in its panel's view
    grid = page.locator(f"{panel} .grid").first
    assert grid.evaluate(SHOWN) == "shown"


def test_a_misfit_in_large_type_keeps_its_suggestions_and_note_small_on_a_projector(
    page: Page,
) -> None:
    # the notes' W=10 constraint example in large type at 1280x720: the suggestions took three
    # rows of the formula strip and the transport's note two, and the misfit picture began
    # 435 px down
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto("/?preset=ten-stride-2-invalid&large=1")
    canvas = page.locator("#input-panel canvas.misfit-canvas")
    expect(canvas).to_have_count(1, timeout=30_000)
    assert_transport_one_row(page)
    bar = page.locator("#geometry-bar").bounding_box()
    assert bar is not None and bar["height"] < 160, bar
    box = canvas.bounding_box()
    assert box is not None and box["y"] < 500, box  # 555 before


def assert_transport_one_row(page: Page) -> None:
    """The transport's visible controls sit on one row: their middles within 12 px (the
    screen reader's 1 px labels, which ROWS counts, sit where they may)."""
    middles = page.locator("#transport").evaluate(
        "n => [...n.querySelectorAll('button, select, input, output')]"
        ".filter((e) => e.offsetParent).map((e) => e.getBoundingClientRect())"
        ".filter((r) => r.width > 2)"
        ".map((r) => r.top + r.height / 2)")
    assert max(middles) - min(middles) < 12, middles


@pytest.mark.parametrize(("query", "size", "roomier"), [
    ("?preset=cs231n-demo&large=1", (800, 600), (1280, 720)),
    ("?preset=cs231n-demo&large=1", (900, 700), (1280, 720)),
    ("?preset=cs231n-demo&t=4&embed=1&large=1", (800, 450), (640, 360)),
    ("?preset=cs231n-demo&t=4&embed=1&large=1", (720, 405), (640, 360)),
], ids=["800x600", "900x700", "frame-800x450", "frame-720x405"])
def test_large_type_on_a_narrow_window_folds_speed_and_loop_to_keep_the_transport_one_row(
    page: Page, query: str, size: tuple[int, int], roomier: tuple[int, int]
) -> None:
    # on an 800x600 screen speed and loop took the transport a second row (140 px of the 600),
    # and in an 800x450 or 720x405 slide's frame "More" took a row of its own: rows the
    # panels needed (a pinned neuron's products 49 px tall instead of 4 in the frame)
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_view(page, query)
    assert_transport_one_row(page)
    expect(page.locator("#t-speed")).to_be_hidden()
    more = page.get_by_role("button", name="More step and view controls")
    expect(more).to_have_attribute("aria-controls", re.compile(r"\bt-speed t-loop\b"))
    more.click()
    expect(page.locator("#t-speed")).to_be_visible()
    expect(page.get_by_label("Loop")).to_be_visible()
    # a wider window keeps them on the row, where they fit; so does a 640 px frame, whose
    # step label needs the row's room (its transport is two rows anyway)
    page.set_viewport_size({"width": roomier[0], "height": roomier[1]})
    expect(more).to_have_attribute("aria-controls", "t-first t-last t-goto view-tools")
    more.click()
    expect(more).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#t-speed")).to_be_visible()
    if roomier[0] > 1000:
        assert_transport_one_row(page)


@pytest.mark.parametrize("preset", ["cs231n-demo", "alexnet-conv1"])
def test_large_type_on_a_wide_screen_keeps_first_last_and_go_to_on_the_row(
    page: Page, preset: str
) -> None:
    # at 1920x1080 in large type the row had room to spare (its scrubber over 1,000 px long),
    # yet first, last and the typed go-to were folded behind "More" with the view tools: asked
    # "and V[1,0,0]?", a lecturer had to unfold the tools to type it
    page.set_viewport_size({"width": 1920, "height": 1080})
    open_view(page, f"?preset={preset}&large=1")
    for control in ("#t-first", "#t-last", "#t-goto-input"):
        expect(page.locator(control)).to_be_visible()
    assert_transport_one_row(page)
    more = page.get_by_role("button", name="More step and view controls")
    expect(more).to_have_attribute("aria-controls", "view-tools")
    box = page.locator("#t-goto-input")
    box.fill("V[1,0,0]")
    box.press("Enter")
    expect(page.locator("#numpy-code")).to_contain_text("V[1,0,0] = np.sum(")
    # the colour key stays on the row beside them (a hall reads the colours from it)
    expect(page.locator("#transport .scale-key")).to_be_visible()
    # a 1280 projector has no such room: they fold, and "More" names what it unfolds
    page.set_viewport_size({"width": 1280, "height": 720})
    expect(box).to_be_hidden()
    expect(page.locator("#t-first")).to_be_hidden()
    expect(more).to_have_attribute("aria-controls", "t-first t-last t-goto view-tools")
    assert_transport_one_row(page)


@pytest.mark.parametrize("width", [761, 820, 900])
def test_on_a_tablet_the_rest_api_link_keeps_to_the_strips_rows(page: Page, width: int) -> None:
    # at 761-870 px the link took a row of its own under the wrapped strip (the masthead 67-75
    # px tall instead of 47): the strip asked for 40 rem before it would share its rows
    page.set_viewport_size({"width": width, "height": 1180})
    open_view(page, "?preset=alexnet-conv1")
    boxes = page.evaluate("""() => ['.masthead', '.controls', '.api-link'].map((s) => {
      const box = document.querySelector(s).getBoundingClientRect();
      return [box.top, box.bottom]; })""")
    (head_top, head_bottom), (top, bottom), (link_top, link_bottom) = boxes
    assert top <= link_top and link_bottom <= bottom, boxes
    assert head_bottom - head_top <= bottom - top + 1, boxes
    expect(page.locator(".api-link")).to_be_visible()


# where the step label's text ends against where the label (or its step part) clips it
STEP_TEXT_CUT = """
() => {
  const label = document.querySelector('#t-label'), part = label.querySelector('.t-part0');
  const text = document.createRange();
  text.selectNodeContents(part);
  const edge = Math.min(label.getBoundingClientRect().right, part.getBoundingClientRect().right);
  return text.getBoundingClientRect().right - edge;
}
"""
VGG_SIZED = "?h=224&w=224&d=3&k=64&fh=3&fw=3&pt=1&pb=1&pl=1&pr=1&t=3000000"


@pytest.mark.parametrize(("size", "query", "words"), [
    ((768, 1024), "?preset=alexnet-conv1&t=290399", "step 290,400 of 290,400"),
    ((1024, 768), VGG_SIZED, "step 3,000,001 of 3,211,264"),
    ((1280, 720), "?preset=alexnet-conv1&t=290399&large=1", "step 290,400 of 290,400"),
    ((1024, 768), VGG_SIZED + "&large=1", "step 3,000,001 of 3,211,264"),
    ((900, 1200), "?preset=alexnet-conv1&t=5000&large=1", "step 5,001 of 290,400"),
], ids=["tablet", "1024x768-millions", "projector-large", "1024x768-large-millions",
        "tablet-large"])
def test_the_step_label_is_never_cut_and_large_type_keeps_one_row(
    page: Page, size: tuple[int, int], query: str, words: str
) -> None:
    # squeezed beside the tools, the label cut its number: "step 290,400 of 290,40" on a
    # 1280x720 projector in large type, 26-84 px of it on an upright tablet, and a layer of
    # millions of neurons lost its last digits at 1024x768 in either type
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_view(page, query)
    expect(page.locator("#t-label .t-part0")).to_have_text(words)
    assert page.evaluate(STEP_TEXT_CUT) <= 0.5
    if "large=1" not in query:
        return
    # the scrubber gave the room, then speed and loop (behind "More") where they took "More"
    # to a row of its own; the transport keeps one row, the colours' key on it where it fits
    assert_transport_one_row(page)
    key = page.locator("#transport .scale-key")
    if key.is_visible():  # measured before the label's room was kept, it took a second row
        play, shown = page.locator("#t-play").bounding_box(), key.bounding_box()
        assert play is not None and shown is not None
        assert play["y"] <= shown["y"] + shown["height"] / 2 <= play["y"] + play["height"]
    if size == (1280, 720):
        expect(key).to_be_visible()
        expect(page.locator("#t-speed")).to_be_visible()
    if size == (1024, 768):
        expect(page.locator("#t-speed")).to_be_hidden()
        more = page.get_by_role("button", name="More step and view controls")
        expect(more).to_have_attribute("aria-controls", re.compile(r"\bt-speed t-loop\b"))


@pytest.mark.parametrize("large", [0, 1])
def test_the_numpy_line_breaks_between_indexes_never_inside_one(page: Page, large: int) -> None:
    # an upright tablet's arithmetic column broke it as "np.sum(Xp[2:" / "5,2:5,:] * W0)"
    page.set_viewport_size({"width": 820, "height": 1180})
    open_view(page, f"?preset=cs231n-demo&t=4&large={large}")
    code = page.locator("#numpy-code")
    expect(code).to_have_text("V[1,1,0] = np.sum(Xp[2:5,2:5,:] * W0) + b0")
    lines_of = """(node, word) => { const text = [...node.childNodes].find(
        n => n.nodeType === 3 && n.data.includes(word)); const range = document.createRange();
        const at = text.data.indexOf(word); range.setStart(text, at);
        range.setEnd(text, at + word.length);
        return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size; }"""
    assert code.evaluate("n => n.getClientRects().length") >= 1
    assert code.evaluate(lines_of, "2:5") == 1
    assert code.evaluate(lines_of, "Xp[2:5") == 1


@pytest.mark.parametrize(("width", "height", "grown"), [(1920, 1080, True), (1280, 720, False)])
def test_in_large_type_the_counts_grow_where_their_row_keeps_one_line(
    page: Page, width: int, height: int, grown: bool
) -> None:
    # the notes' AlexNet numbers (290,400 neurons, 34,944 parameters) were the smallest text
    # of a projected page in large type; grown all the way on a 1280 projector they would take
    # two lines, so they grow as far as one line allows (they stayed in the normal type)
    page.set_viewport_size({"width": width, "height": height})
    open_view(page, "?preset=alexnet-conv1")
    font = "e => parseFloat(getComputedStyle(e).fontSize)"
    normal = page.locator("#count-neurons").evaluate(font)
    page.get_by_label("Large type").check()
    expect(page.locator("#count-neurons")).to_have_text("290,400")
    # the page fits the counts two frames after the switch (main.js's redraw), in the normal
    # type until then: waited for until they have grown at all, and two frames more for the
    # refit its resize observer may make, not for 500 ms of the test's clock
    page.wait_for_function(f"() => ({font})(document.querySelector('#count-neurons'))"
                           f" > 1.05 * {normal}", timeout=10_000)
    page.evaluate("() => new Promise((done) => requestAnimationFrame("
                  "() => requestAnimationFrame(done)))")
    size = page.locator("#count-neurons").evaluate(font)
    if grown:
        assert size == pytest.approx(1.4 * normal, rel=0.02)
    else:  # grown, but not all the way
        assert 1.1 * normal < size < 0.99 * 1.4 * normal
    tops = page.locator(".counts > div:visible").evaluate_all(
        "items => new Set(items.map(i => Math.round(i.getBoundingClientRect().top))).size")
    assert tops == 1


@pytest.mark.parametrize(("width", "height", "preset", "large", "shown"), [
    (1920, 1080, "alexnet-conv1", False, True), (1024, 768, "cs231n-demo", False, True),
    (1366, 768, "alexnet-conv1", False, True), (1024, 768, "alexnet-conv1", False, False),
    (1024, 768, "alexnet-conv1", True, False),
])
def test_the_multiply_adds_count_shows_where_the_counts_keep_one_line(
    page: Page, width: int, height: int, preset: str, large: bool, shown: bool
) -> None:
    # the one count the notes do not list: it took the row to two lines at 1024 px (and the
    # panels a line of their room), so it shows only where the row has room for it (since the
    # row no longer repeats this layer's parameters, AlexNet's too at 1366 px)
    page.set_viewport_size({"width": width, "height": height})
    open_view(page, f"?preset={preset}{'&large=1' if large else ''}")
    madds = page.locator("#count-madds")
    want = "105,415,200" if preset == "alexnet-conv1" else "486"  # 290,400 x 363; 18 x 27
    expect(madds).to_have_text(want)
    expect(madds).to_be_visible() if shown else expect(madds).to_be_hidden()
    tops = page.locator(".counts > div:visible").evaluate_all(
        "items => new Set(items.map(i => Math.round(i.getBoundingClientRect().top))).size")
    assert tops == 1


def test_the_multiply_adds_count_shows_where_the_counts_take_two_lines_all_the_same(
    page: Page,
) -> None:
    # at 768 px AlexNet's row wraps with or without it: it was hidden, and the row took two
    # lines anyway
    page.set_viewport_size({"width": 768, "height": 1024})
    open_view(page, "?preset=alexnet-conv1")
    expect(page.locator("#count-madds")).to_be_visible()
    tops = page.locator(".counts > div:visible").evaluate_all(
        "items => new Set(items.map(i => Math.round(i.getBoundingClientRect().top))).size")
    assert tops == 2


@pytest.mark.parametrize(("preset", "t", "large"), [
    ("cs231n-demo", 0, False), ("cs231n-demo", 4, True), ("one-d-stride-2", 1, False)])
def test_the_fields_outline_sits_on_its_cells_alike_on_every_side(
    page: Page, preset: str, t: int, large: bool
) -> None:
    # the outline ran 8 px past the field's last column and row and 2 px before its first
    # (a content-box border added to a box already grown for it): on a projected demo it
    # took in a third of a cell the window does not read
    page.set_viewport_size({"width": 1366, "height": 768})
    open_view(page, f"?preset={preset}&t={t}{'&large=1' if large else ''}")
    grid = page.locator("#input-grids .grid").first
    box = grid.locator(".field-box").bounding_box()
    cells = [c for c in (cell.bounding_box() for cell in grid.locator(".in-field").all()) if c]
    assert box is not None and cells
    left = min(c["x"] for c in cells)
    top = min(c["y"] for c in cells)
    right = max(c["x"] + c["width"] for c in cells)
    bottom = max(c["y"] + c["height"] for c in cells)
    outside = [left - box["x"], top - box["y"], box["x"] + box["width"] - right,
               box["y"] + box["height"] - bottom]  # how far the outline reaches past each side
    assert all(0 < reach <= 3 for reach in outside), outside
    assert max(outside) - min(outside) <= 1, outside  # the same on every side


@pytest.mark.parametrize("size", [(1280, 720), (1366, 768)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_large_type_never_shrinks_the_weights(page: Page, size: tuple[int, int]) -> None:
    # the demo's weights took 22 px in large type at 1280x720 and 24 in normal type: their
    # slices were kept side by side, the filters panel half empty below them; a hall reads
    # the active filter at large type's least cell, the others scroll
    page.set_viewport_size({"width": size[0], "height": size[1]})
    widths = []
    for large in ("", "&large=1"):
        open_view(page, f"?preset=cs231n-demo&t=4{large}")
        box = page.locator("#filter-grids .cell").first.bounding_box()
        assert box is not None
        widths.append(box["width"])
        # the active filter whole in view (the others may scroll in large type)
        filters = page.locator("#filters-panel").bounding_box()
        active = page.locator("#filter-grids .filter.active").bounding_box()
        assert filters is not None and active is not None
        assert active["y"] + active["height"] <= filters["y"] + filters["height"]
        assert active["x"] + active["width"] <= filters["x"] + filters["width"]
    normal, grown = widths
    assert grown >= 34 > normal, widths  # 24 px grown by large type's 1.4


@pytest.mark.parametrize(("size", "large"), [((1920, 1080), True), ((1366, 768), False)],
                         ids=["1920x1080-large", "1366x768"])
def test_the_scrubber_gives_way_to_a_pinned_neurons_whole_label(
    page: Page, size: tuple[int, int], large: bool
) -> None:
    # capped at 30 % of the window, the label read "...pinned V[54,54,95] (step 29…" with
    # 550 px of scrubber beside it
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_view(page, f"?preset=alexnet-conv1&pin=o54.54.95&t=290000{'&large=1' if large else ''}")
    label = page.locator("#t-label")
    expect(label).to_have_text("step 290,001 of 290,400 · pinned V[54,54,95] (step 290,400)")
    assert label.evaluate("e => e.scrollWidth <= e.clientWidth")  # no "…"
    scrub = page.locator("#t-scrub").bounding_box()
    play = page.locator("#t-play").bounding_box()
    assert scrub is not None and play is not None
    assert scrub["width"] >= 128  # the scrubber keeps its least, 8rem
    assert abs(scrub["y"] + scrub["height"] / 2 - (play["y"] + play["height"] / 2)) < 8  # one row


def test_large_type_ticked_from_the_keyboard_leaves_the_focus_on_more(page: Page) -> None:
    # the box folds away with the tools it lies among: the focus fell to <body>, and the next
    # Space played the layer
    page.set_viewport_size({"width": 1280, "height": 720})
    open_view(page, "")
    large = page.get_by_label("Large type")
    large.focus()
    page.keyboard.press("Space")
    expect(page.locator("html")).to_have_attribute("data-large", "")
    more = page.get_by_role("button", name="More step and view controls")
    expect(more).to_be_focused()
    page.keyboard.press("Space")  # More unfolds the tools; the layer does not play
    expect(more).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#t-play")).to_have_attribute("aria-label", "Play")
    expect(large).to_be_checked()


def test_the_panels_scrolling_bodies_are_named_for_a_keyboard(page: Page) -> None:
    # 1280x800 at 200 %: the panels' scrolling bodies and the counts row become tab stops in
    # Chromium (a scroller with nothing focusable inside), and they had no name to say
    page.set_viewport_size({"width": 640, "height": 400})
    open_view(page, "?preset=cs231n-demo&mode=backward")
    for body, name in (("#input-grids", "Input volume 5x5x3, padded 7x7x3"),
                       ("#filter-grids", "Filters 2 x 3x3x3"), ("#products", "The arithmetic"),
                       ("#backward-grids", "Weight gradient"),
                       ("#output-grids", "Output volume 3x3x2"),
                       ("#counts", "The layer's counts")):
        expect(page.locator(body)).to_have_accessible_name(name)


@pytest.mark.parametrize("size", [(640, 400), (640, 360)], ids=["1280x800@200%", "1280x720@200%"])
def test_large_type_at_200_percent_shows_every_row_of_the_products(
    page: Page, size: tuple[int, int]
) -> None:
    # zoomed to 200 % a laptop gets the phone's column, each panel capped to the window's
    # height: the demo's products, fitted to a hall's 34 px cells, ran past the capped panel's
    # foot (191 px in a 135 px body) and their third row was cut
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_view(page, "?preset=cs231n-demo&large=1")
    products = page.locator("#products")
    room = products.evaluate("n => [n.scrollHeight, n.clientHeight]")
    assert room[0] <= room[1] + 1, room
    body = products.bounding_box()
    assert body is not None
    for ch in range(3):
        grid = page.get_by_role("table", name=f"Products depth slice {ch}")
        box = grid.bounding_box()
        assert box is not None and box["y"] + box["height"] <= body["y"] + body["height"] + 1, (
            ch, box, body)
        cell = grid.locator(".cell").last.bounding_box()
        assert cell is not None and cell["width"] >= 18, (ch, cell)  # numbers readable


def test_backward_at_1280x800_shows_both_filters_and_both_gradients_unscrolled(
    page: Page,
) -> None:
    # two fifths of the filters column scrolled W1 out of the filters panel (173 px of weights
    # in a 165 px body) while the weight gradient, below, had room to spare
    page.set_viewport_size({"width": 1280, "height": 800})
    open_view(page, "?preset=cs231n-demo&mode=backward&t=4")
    expect(page.locator("#backward-step")).to_contain_text("dW[0]")
    for body in ("#filter-grids", "#backward-grids"):
        room = page.locator(body).evaluate("n => [n.scrollHeight, n.clientHeight]")
        assert room[0] <= room[1] + 1, (body, room)
    for name in ("Filter 1 depth slice 2", "Running weight gradient depth slice 2"):
        grid = page.get_by_role("table", name=name)
        assert grid.evaluate(SHOWN) == "shown", name
        cell = grid.locator(".cell").last.bounding_box()
        assert cell is not None and cell["width"] >= 18, (name, cell)  # numbers readable


# Each grid of a scrolling body, "whole", "hidden" (wholly scrolled out) or "cut" (partly in
# view: its last row cut at the body's edge, by its border line at least; half a pixel kept
# for the layout's fractions).
GRIDS_WHOLE_OR_HIDDEN = """
(body) => {
  const outer = body.getBoundingClientRect();
  return [...body.querySelectorAll('.grid')].map((grid) => {
    const box = grid.getBoundingClientRect();
    if (box.top >= outer.bottom - 0.5 || box.bottom <= outer.top + 0.5) return 'hidden';
    return box.top >= outer.top - 0.5 && box.bottom <= outer.bottom + 0.5 ? 'whole' : 'cut';
  });
}
"""


@pytest.mark.parametrize("size", [(1280, 720), (1366, 768)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_large_type_backward_with_relu_cuts_no_gradient_mid_number(
    page: Page, size: tuple[int, int]
) -> None:
    # with ReLU the step's text takes four lines, and at 1280x720 the filters' estimated need
    # (a 3x3 filter 8 px taller than it is: its 1 px lines grown with large type) left the
    # column no split: the stylesheet's two fifths cut the step's contribution's last row by
    # 4 px, and the running dW's first row showed its top under it. Both groups cannot fit
    # under the four lines, so the contribution shows whole and the running sum scrolls whole
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_view(page, "?preset=cs231n-demo&mode=backward&t=4&large=1&act=relu")
    expect(page.locator("#backward-step")).to_contain_text("ReLU blocks it")
    body = page.locator("#backward-grids")
    shown = body.evaluate(GRIDS_WHOLE_OR_HIDDEN)
    assert shown[:3] == ["whole"] * 3, shown  # the contribution's three slices
    assert "cut" not in shown, shown
    for ch in range(3):
        cell = page.get_by_role("table", name=f"Contribution depth slice {ch}").locator(
            ".cell").last.bounding_box()
        assert cell is not None and cell["width"] >= 18, (ch, cell)  # numbers readable
    assert_shown(page.locator("#filter-grids .filter.active"), "the active filter")
    body.evaluate("n => { n.scrollTop = n.scrollHeight; }")
    assert body.evaluate(GRIDS_WHOLE_OR_HIDDEN)[3:] == ["whole"] * 3


@pytest.mark.parametrize("size", [(1280, 720), (1366, 768)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_large_type_backward_shows_the_steps_gradient_whole_under_its_text(
    page: Page, size: tuple[int, int]
) -> None:
    # the weight gradient kept a hall's 34 px cells in large type, two slices to a row in its
    # column: under its text a 1280x720 projector showed two rows of the first two slices, no
    # grid whole. At the numbers' 18 px a group is one row; both do not fit under the text,
    # so the step's contribution shows whole and the running sum scrolls
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_view(page, "?preset=cs231n-demo&mode=backward&t=4&large=1")
    expect(page.locator("#backward-step")).to_contain_text("dW[0]")
    for ch in range(3):
        grid = page.get_by_role("table", name=f"Contribution depth slice {ch}")
        assert grid.evaluate(SHOWN) == "shown", ch
        cell = grid.locator(".cell").last.bounding_box()
        assert cell is not None and cell["width"] >= 18, (ch, cell)
    assert_shown(page.locator("#filter-grids .filter.active"), "the active filter")
    # the rest is a scroll away, in a body the keyboard reaches by its name
    body = page.locator("#backward-grids")
    expect(body).to_have_accessible_name("Weight gradient")
    body.evaluate("n => { n.scrollTop = n.scrollHeight; }")
    assert page.get_by_role("table", name="Running weight gradient depth slice 0").evaluate(
        SHOWN) == "shown"


@pytest.mark.parametrize("size", [(1366, 768), (1280, 800)], ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("t", [4, 13], ids=["W0", "W1"])
def test_backward_with_relu_shows_each_filter_whole_or_scrolled_away(
    page: Page, size: tuple[int, int], t: int
) -> None:
    # with ReLU the step's text takes a line more, and both the filters and the weight
    # gradient no longer fit at their numbers' least cells: the filters got what the weight
    # gradient left, 166 px at 1366x768, a height between two filters' ends, so W1's slices
    # showed in the filters' body with their last row cut by 7 px. The body now ends where a
    # filter does; the other filter is a scroll away, and the weight gradient takes the rest
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_view(page, f"?preset=cs231n-demo&mode=backward&act=relu&t={t}")
    expect(page.locator("#backward-step")).to_contain_text("ReLU")
    assert_shown(page.locator("#filter-grids .filter.active"), "the active filter")
    for body in ("#filter-grids", "#backward-grids"):
        shown = page.locator(body).evaluate(GRIDS_WHOLE_OR_HIDDEN)
        assert "cut" not in shown, (body, shown)


@pytest.mark.parametrize("large", [False, True], ids=["normal", "large"])
def test_a_deep_filters_canvas_gradients_grow_to_the_panels_room(page: Page, large: bool) -> None:
    # a filter of over 4,000 weights draws the weight gradient on canvases, whose cells were
    # 3 px in any room: on a 2560x1440 screen a 64x64 filter's two 192 px slices sat in a
    # body 667 px tall. They now take the room (256 px, 4 px cells), and no more: the body
    # does not scroll
    page.set_viewport_size({"width": 2560, "height": 1440})
    open_view(page, f"?h=64&w=64&d=1&k=1&f=64&mode=backward{'&large=1' if large else ''}")
    expect(page.locator("#backward-step")).to_contain_text("dW[0]")
    body = page.locator("#backward-grids")
    sizes = [canvas.bounding_box() for canvas in body.locator(".canvas-grid canvas").all()]
    assert len(sizes) == 4, sizes  # a base and an overlay for each of the two slices
    for box in sizes:
        assert box is not None and box["width"] == box["height"] >= 64 * 4, sizes
    room = body.evaluate("n => [n.scrollWidth, n.clientWidth, n.scrollHeight, n.clientHeight]")
    assert room[0] <= room[1] and room[2] <= room[3], room


@pytest.mark.parametrize("size", [(1280, 720), (1366, 768)])
def test_a_wide_filters_weight_gradient_slices_fit_across_their_panel(
    page: Page, size: tuple[int, int]
) -> None:
    # AlexNet's 11-wide slices at the numbers' least cell were 320 px in a 260 px panel at
    # 1280x720, cut at their tenth column (and showed no numbers at that cell either)
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_view(page, "?preset=alexnet-conv1&mode=backward&t=15695")
    room = page.locator("#backward-grids").evaluate("e => e.getBoundingClientRect().right")
    grids = page.locator("#backward-grids .grid")
    expect(grids.first).to_be_visible()
    rights = grids.evaluate_all("gs => gs.map(g => g.getBoundingClientRect().right)")
    assert len(rights) == 6 and max(rights) <= room + 1, (rights, room)


def tab_of(panel: Locator) -> dict[str, float] | None:
    """The "more below" tab's box on ``panel`` (css/convscope.css), None when it has none."""
    box: dict[str, float] | None = panel.evaluate("""p => {
        const style = getComputedStyle(p, "::after");
        if (!p.classList.contains("more-below") || style.content === "none") return null;
        const r = p.getBoundingClientRect();
        const height = parseFloat(style.height);
        return {top: r.bottom - height, bottom: r.bottom};
    }""")
    return box


def test_a_panel_that_scrolls_says_more_below_until_its_end_is_reached(page: Page) -> None:
    # 960x540 in large type: the weight gradient's third slice was cut in half at the panel's
    # foot with nothing saying the rest was a scroll away (overlay scrollbars show nothing)
    page.set_viewport_size({"width": 960, "height": 540})
    open_view(page, "?preset=cs231n-demo&t=4&mode=backward&embed=1&large=1")
    backward = page.locator("#backward-panel")
    body = page.locator("#backward-grids")
    assert body.evaluate("e => e.scrollHeight > e.clientHeight + 2")
    expect(backward).to_have_class(re.compile(r"\bmore-below\b"))
    tab = tab_of(backward)
    assert tab is not None and tab["bottom"] - tab["top"] >= 8, tab
    # the tab sits on the foot, under the active filter the split keeps whole above it
    filters = page.locator("#filters-panel")
    if tab_of(filters) is not None:
        active = page.locator("#filter-grids .filter.active .grid").last.bounding_box()
        assert active is not None and active["y"] + active["height"] <= tab_of(filters)["top"] + 1  # type: ignore[index]
    # a sighted reader's cue only: a screen reader, which reads the body through, does not
    # hear "more below" (the tag's text has an empty alternative)
    assert "more below" not in backward.aria_snapshot()
    body.evaluate("e => { e.scrollTop = e.scrollHeight; }")
    expect(backward).not_to_have_class(re.compile(r"\bmore-below\b"))
    body.evaluate("e => { e.scrollTop = 0; }")
    expect(backward).to_have_class(re.compile(r"\bmore-below\b"))


def test_panels_that_hold_everything_say_nothing_more(page: Page) -> None:
    page.set_viewport_size({"width": 1280, "height": 720})
    open_view(page, "?preset=cs231n-demo&t=4")
    for name in ("input", "filters", "arithmetic", "output"):
        panel = page.locator(f"#{name}-panel")
        assert panel.evaluate(
            "p => { const b = p.querySelector('.panel-body'); "
            "return b.scrollHeight <= b.clientHeight + 2; }"), name
        assert tab_of(panel) is None, name


@pytest.mark.parametrize("view", ["flat", "3d"])
def test_the_share_buttons_take_no_row_of_their_own_at_1280(page: Page, view: str) -> None:
    # a third copy button ("Copy curl") first took the lines' toggle and legend onto a third
    # row of the transport at 1280x720, 34 px off the picture
    page.set_viewport_size({"width": 1280, "height": 720})
    open_view(page, f"?preset=cs231n-demo&t=4&view={view}")
    top = page.locator("#volumes").evaluate("e => e.getBoundingClientRect().top")
    without = page.evaluate("""() => new Promise((done) => {
        document.getElementById("copy-call").style.display = "none";
        requestAnimationFrame(() => requestAnimationFrame(() =>
            done(document.getElementById("volumes").getBoundingClientRect().top)));
    })""")
    assert top == without, (top, without)
    tools = page.locator("#view-tools")
    rows = tools.evaluate("t => new Set([...t.querySelectorAll('button:not([hidden])')]"
                          ".filter(b => b.offsetParent)"
                          ".map(b => Math.round(b.getBoundingClientRect().top))).size")
    assert rows == 1, rows


def test_a_960x540_frame_in_large_type_cuts_no_weight_gradient_slice_at_the_foot(
    page: Page,
) -> None:
    # the weight gradient's body ended 20 px into the contribution's second row of slices:
    # its third slice showed its first row only. The body now ends under the first row, the
    # third slice wholly under the foot, a scroll away (and the panel says so)
    page.set_viewport_size({"width": 960, "height": 540})
    open_view(page, "?preset=cs231n-demo&t=4&mode=backward&embed=1&large=1")
    body = page.locator("#backward-grids")
    shown = body.evaluate(GRIDS_WHOLE_OR_HIDDEN)
    assert shown[:2] == ["whole"] * 2 and "cut" not in shown, shown
    expect(page.locator("#backward-panel")).to_have_class(re.compile(r"\bmore-below\b"))
    third = page.get_by_role("table", name="Contribution depth slice 2")
    third.scroll_into_view_if_needed()
    assert third.evaluate(SHOWN) == "shown"


def test_what_the_filters_column_has_over_both_leasts_is_shared_by_need(page: Page) -> None:
    # in large type in a 1440x900 frame the active filter and the step's contribution fit,
    # both groups of the weight gradient do not: all 202 px over the two leasts went to the
    # filters, which showed W1 cut in half, and the running sum was wholly under its foot.
    # Each panel's share is now what it lacks, in whole filters and whole rows of slices
    page.set_viewport_size({"width": 1440, "height": 900})
    open_view(page, "?preset=numpy-example&t=4&mode=backward&embed=1&large=1")
    expect(page.locator("#backward-step")).to_contain_text("dW[0]")
    for body in ("#filter-grids", "#backward-grids"):
        shown = page.locator(body).evaluate(GRIDS_WHOLE_OR_HIDDEN)
        assert "cut" not in shown, (body, shown)
    assert_shown(page.locator("#filter-grids .filter.active"), "the active filter")
    for ch in range(4):
        assert_shown(page.get_by_role("table", name=f"Contribution depth slice {ch}"), f"dW {ch}")
    assert_shown(page.get_by_role("table", name="Running weight gradient depth slice 0"),
                 "a row of the running sum")


@pytest.mark.parametrize("embed", [False, True], ids=["page", "embed"])
def test_the_scrubber_keeps_its_place_as_the_step_gains_digits(page: Page, embed: bool) -> None:
    # "step 9 of 290,400" to "step 10 of ..." widened the label and the scrubber beside it
    # gave way a few px at each new digit: the thumb moved under the reader's pointer
    page.set_viewport_size({"width": 1440, "height": 900})
    open_view(page, f"?preset=alexnet-conv1&t=8{'&embed=1' if embed else ''}")
    scrub = page.locator("#t-scrub")
    label = page.locator("#t-label")
    expect(label).to_have_text("step 9 of 290,400")
    before = scrub.bounding_box()
    for t, shown in ((9, "step 10 of 290,400"), (99_999, "step 100,000 of 290,400")):
        page.evaluate("t => { const s = document.querySelector('#t-scrub');"
                      " s.value = String(t);"
                      " s.dispatchEvent(new Event('input', {bubbles: true})); }", t)
        expect(label).to_have_text(shown)
        assert scrub.bounding_box() == before, shown
    # the step's text itself is not cut to keep it so
    step = label.locator(".t-part0")
    assert step.evaluate("e => e.scrollWidth <= e.clientWidth")


def test_a_phone_held_sideways_keeps_its_scrubber_as_the_step_gains_digits(
    phone: Page,
) -> None:
    # beside the scrubber on a sideways phone, the step's label lost its reserved width (the
    # phone's own row had no need of it) and the scrubber narrowed 8 px at "step 10"
    page = phone
    page.set_viewport_size({"width": 844, "height": 390})
    open_view(page, "?preset=alexnet-conv1&t=8")
    scrub, label = page.locator("#t-scrub"), page.locator("#t-label")
    expect(label).to_have_text("step 9 of 290,400")
    before = scrub.bounding_box()
    page.evaluate("() => { const s = document.querySelector('#t-scrub'); s.value = '9';"
                  " s.dispatchEvent(new Event('input', {bubbles: true})); }")
    expect(label).to_have_text("step 10 of 290,400")
    assert scrub.bounding_box() == before


@pytest.mark.parametrize("width", [1024, 1230, 1250, 1440])
def test_the_lines_key_is_shown_only_where_it_keeps_the_switch_on_the_tools_row(
    page: Page, width: int
) -> None:
    # the Lines switch's key took a row of its own at 1024x768 (the picture began 35 px
    # lower), and with a fixed cutoff at 1230 px, still from 1230 to 1268
    page.set_viewport_size({"width": width, "height": 800})
    open_view(page, "?preset=cs231n-demo")
    page.evaluate(QUIET, 300)
    lines, copy = page.locator("#lines-toggle"), page.locator("#copy-link")
    lines_box, copy_box = lines.bounding_box(), copy.bounding_box()
    assert lines_box and copy_box and abs(lines_box["y"] - copy_box["y"]) < 2, width
    expect(lines).to_have_attribute("title", re.compile("grey from the field to the filter"))
    # the colours' key, the shorter, stays where it alone fits; the lines' gives way first
    if width >= 1230:
        expect(page.locator("#scale-key")).to_be_visible()
    if width == 1024:
        expect(page.locator("#lines-key")).to_be_hidden()
        expect(page.locator("#scale-key")).to_be_hidden()
        assert page.locator("#input-panel").bounding_box()["y"] < 230  # type: ignore[index]
    # growing the window brings the keys back where they fit
    page.set_viewport_size({"width": 1600, "height": 800})
    expect(page.locator("#lines-key")).to_be_visible()
    expect(page.locator("#scale-key")).to_be_visible()
    assert abs(lines.bounding_box()["y"] - copy.bounding_box()["y"]) < 2  # type: ignore[index]


@pytest.mark.parametrize(("theme", "purple", "orange"), [
    ("light", "rgb(84, 39, 136)", "rgb(179, 88, 6)"),
    ("dark", "rgb(182, 156, 240)", "rgb(247, 166, 74)"),
])
@pytest.mark.parametrize("embed", [False, True], ids=["page", "embed"])
def test_the_colour_key_is_on_screen_in_the_themes_colours(
    page: Page, theme: str, purple: str, orange: str, embed: bool
) -> None:
    # the colour scale's panel is under the picture: out of sight on a 1280x720 projector and
    # left out of a frame, so nothing on screen said what purple and orange meant
    page.set_viewport_size({"width": 1280, "height": 720} if not embed else
                           {"width": 960, "height": 540})
    open_view(page, f"?preset=cs231n-demo&theme={theme}{'&embed=1' if embed else ''}")
    key = page.get_by_role("img", name=re.compile("^Cell colours: purple below zero"))
    expect(key).to_be_visible()
    box = key.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 720 / (2 if embed else 4), box
    below = key.locator(".scale-below").evaluate("e => getComputedStyle(e).backgroundImage")
    above = key.locator(".scale-above").evaluate("e => getComputedStyle(e).backgroundImage")
    assert below.startswith("linear-gradient") and purple in below, below
    assert orange in above and purple not in above, above


@pytest.mark.parametrize("preset", ["alexnet-conv1", "alexnet-224"])
@pytest.mark.parametrize("size", [(1024, 768), (1280, 720)])
def test_a_big_banks_filter_names_stay_readable_in_large_type(
    page: Page, preset: str, size: tuple[int, int]
) -> None:
    # projected, AlexNet's W0..W95 and their biases were drawn at 8 px in a 1024x768 frame
    # (the plans shrank the type to keep "b0 = 0.008082" in the row); the biases now go by
    # value, then go, before the type drops under 11 px
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(f"/?preset={preset}&large=1")
    bank = page.locator("#filter-grids .bank")
    expect(bank).to_have_attribute("data-label-px", re.compile(r"^\d+$"), timeout=30_000)
    assert int(bank.get_attribute("data-label-px") or 0) >= 11
    # the row still fits the panel: no sideways scroll
    assert page.locator("#filter-grids").evaluate("e => e.scrollWidth <= e.clientWidth + 1")


@pytest.mark.parametrize(("width", "height", "shown"), [
    (1280, 720, True), (1920, 1080, True), (1024, 768, False)])
def test_large_type_keeps_the_colour_key_on_the_transports_row_where_it_fits(
    page: Page, width: int, height: int, shown: bool
) -> None:
    # large type folds the view tools behind More, and the colour key went with them: a
    # projected room had nothing on screen saying what purple and orange meant
    page.set_viewport_size({"width": width, "height": height})
    open_view(page, "?preset=cs231n-demo&large=1")
    page.evaluate(QUIET, 300)
    key, play = page.locator("#scale-key"), page.locator("#t-play")
    expect(page.locator("#copy-link")).to_be_hidden()  # the tools are folded
    play_box, speed_box = play.bounding_box(), page.locator("#t-speed").bounding_box()
    assert play_box and speed_box
    # the transport keeps to one row, the key or not
    assert abs((speed_box["y"] + speed_box["height"] / 2)
               - (play_box["y"] + play_box["height"] / 2)) < 4
    if not shown:
        expect(key).to_be_hidden()
        return
    expect(key).to_be_visible()
    box = key.bounding_box()
    assert box is not None
    assert play_box["y"] <= box["y"] + box["height"] / 2 <= play_box["y"] + play_box["height"]
    # unfolded, the tools are back around it
    page.get_by_role("button", name="More step and view controls").click()
    expect(page.locator("#copy-link")).to_be_visible()


# What a panel cuts off at its edge with no scroll to it: every shown element of a panel laid
# out in its flow (not placed by position) whose box runs past the panel's foot or right
# edge with no scroller between them. A panel body or a 3-D block's box that scrolls is such a
# scroller, and says "more below" (render/overflow.js).
CUT = """
() => {
  const cut = [];
  for (const panel of document.querySelectorAll('#volumes .panel')) {
    if (!panel.getClientRects().length) continue;
    const edge = panel.getBoundingClientRect();
    for (const node of panel.querySelectorAll('*')) {
      if (!node.getClientRects().length) continue;
      const style = getComputedStyle(node);
      if (style.visibility === 'hidden' || ['absolute', 'fixed'].includes(style.position)) continue;
      const box = node.getBoundingClientRect();
      if (box.width < 1 || box.height < 1) continue;
      let scroller = false;
      for (let up = node.parentElement; up && up !== panel; up = up.parentElement) {
        const s = getComputedStyle(up);
        if (/auto|scroll/.test(s.overflowX + s.overflowY)) { scroller = true; break; }
      }
      if (scroller) continue;
      const below = box.bottom - edge.bottom, right = box.right - edge.right;
      if (below > 1 || right > 1) {
        cut.push([panel.id, node.id || String(node.className.baseVal ?? node.className),
                  Math.round(below), Math.round(right)]);
      }
    }
  }
  return cut;
}
"""


@pytest.mark.parametrize("size", [(1280, 720), (1366, 768), (1024, 768), (1920, 1080),
                                  (768, 1024)], ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("large", ["", "&large=1"])
def test_no_panel_cuts_off_what_it_holds_with_no_scroll_to_it(
    page: Page, size: tuple[int, int], large: str
) -> None:
    # a 3-D block ran past its panel's foot with nothing saying so (a 1024x600 window in large
    # type showed the output block's first label alone); projectors' and laptops' sizes, in
    # both types, the states with the most in their panels; and an upright tablet, where the
    # arithmetic's "?" ran 10 px past its panel in large type ("arithmetic" had no break)
    page.set_viewport_size({"width": size[0], "height": size[1]})
    for query in ("?preset=alexnet-conv1&t=5000&mode=backward",
                  "?preset=cs231n-demo&t=4&view=3d&mode=backward",
                  "?h=64&w=64&d=3&k=8&fh=3&fw=3&sh=1&sw=1&dh=2&dw=2&pt=2&pb=2&pl=2&pr=2"
                  "&act=relu&t=20000"):
        open_view(page, query + large)
        assert page.evaluate(CUT) == [], query


# each shown panel's picture (its body, or its 3-D block's box) and its height
PICTURE_HEIGHTS = """
() => [...document.querySelectorAll('#volumes .panel')].filter((p) => p.getClientRects().length)
  .flatMap((p) => [...p.querySelectorAll(':scope > .panel-body, :scope > .volume3d')]
    .filter((b) => b.getClientRects().length).map((b) => [p.id, b.clientHeight]))
"""


@pytest.mark.parametrize(("size", "large"), [((1280, 590), "&large=1"), ((1024, 600), "")],
                         ids=["720p-under-bars-large", "1024x600"])
def test_a_short_window_keeps_each_picture_a_least_height_and_the_words_give_way(
    page: Page, size: tuple[int, int], large: str
) -> None:
    # the weight gradient's grids were squeezed to 0-28 px and Example 2's products to 1 px
    # under their explanations (a 720p projector under the browser's bars, in large type; an
    # image's ReLU step's four-line sentence then took the grids past the foot),
    # and at 1024x600 the backward step's sentence ran past the panel's foot
    page.set_viewport_size({"width": size[0], "height": size[1]})
    least = page.evaluate("() => parseFloat(getComputedStyle(document.documentElement)"
                          ".fontSize) * 3")
    for query in ("?preset=alexnet-conv1&t=5000&mode=backward",
                  "?preset=cs231n-demo&t=4&view=3d&mode=backward", "?preset=example-2&t=3",
                  "?image=color-blobs&mode=backward"):
        open_view(page, query + large)
        heights = page.evaluate(PICTURE_HEIGHTS)
        assert heights and min(h for _, h in heights) >= least - 1, (query, heights)
        assert page.evaluate(CUT) == [], query
        if "alexnet" in query and large:
            # the filters' words, squeezed under one line, show no half line, and no tab stop
            filters = page.locator("#filters-what")
            assert filters.evaluate("n => n.clientHeight") < 16
            expect(filters).to_have_class(re.compile(r"\bsliver\b"))
            expect(filters).to_have_css("visibility", "hidden")
            expect(filters).not_to_have_attribute("tabindex", re.compile("."))
        if "image" in query and large:
            # then the backward step's sentence, down to two lines: it scrolls and says so
            # (its four lines took the grids 58 px past the panel's foot)
            sentence = page.locator("#backward-step")
            expect(sentence).to_contain_text("ReLU shuts it")
            expect(sentence).to_have_class(re.compile(r"\bcut\b"))
            expect(sentence).to_have_attribute("tabindex", "0")
        if "cs231n-demo" not in query or large:
            continue
        # the squeezed words scroll, say so at their foot, and a keyboard reaches the rest
        words = page.locator("#backward-what")
        expect(words).to_have_class(re.compile(r"\bcut\b"))
        expect(words).to_have_attribute("tabindex", "0")
        words.evaluate("n => { n.scrollTop = n.scrollHeight; }")
        expect(words).not_to_have_class(re.compile(r"\bcut\b"))


def test_a_strip_and_a_column_of_cells_are_drawn_and_zoom(page: Page) -> None:
    # a 1x4096 input fitted to the panel's width was a canvas 0 px tall: "-20.0 px per cell",
    # a blank picture, + doing nothing; a 2000x3 one a canvas 80,000 px tall, which the
    # browser does not draw (65,535 device px a side at most)
    page.goto("/?h=1&w=4096&d=1&k=1&fh=1&fw=3")
    expect(page.locator("#app")).to_have_attribute("aria-busy", "false", timeout=30_000)
    level = page.locator("#input-panel .zoom-level")
    fitted = level.inner_text()
    scale = float(fitted.split()[0])
    assert scale > 0
    plus = page.locator("#input-panel .zoom-bar button", has_text="+")
    for _ in range(3):
        plus.click()
    expect(level).not_to_have_text(fitted)
    assert float(level.inner_text().split()[0]) > scale
    assert page.locator("#output-panel .zoom-level").inner_text().split()[0] != "-0.0"
    page.goto("/?h=2000&w=3&d=1&k=1&f=1")
    expect(page.locator("#app")).to_have_attribute("aria-busy", "false", timeout=30_000)
    sides = page.locator("#input-panel canvas").evaluate_all(
        "cs => cs.map(c => Math.max(c.width, c.height))")
    assert sides and max(sides) <= 8192 * 2, sides  # device px, at a ratio of up to 2


def test_a_bank_of_thousands_of_filters_is_drawn_to_its_last(page: Page) -> None:
    # 2,731 filters and more made one canvas over 65,535 px tall, which Chromium does not
    # draw: the Filters panel was blank. The bank is cut into canvases stacked as one.
    page.goto("/?h=3&w=3&d=1&k=2731&f=3")
    expect(page.locator("#app")).to_have_attribute("aria-busy", "false", timeout=30_000)
    pieces = page.locator("#filter-grids .bank canvas")
    sizes = pieces.evaluate_all("cs => cs.map(c => [c.width, c.height])")
    assert len(sizes) > 1 and max(h for _, h in sizes) <= 16_384, sizes
    # the last filter's row holds its name and weights: more than the background's colour
    colours = pieces.last.evaluate("""c => {
        const rows = 24, data = c.getContext('2d').getImageData(0, c.height - rows, c.width,
                                                                rows).data;
        const seen = new Set();
        for (let n = 0; n < data.length; n += 4) seen.add(data.slice(n, n + 4).join());
        return seen.size;
    }""")
    assert colours > 2, colours
    # hovering a weight of the last filter names it
    pieces.last.scroll_into_view_if_needed()
    box = pieces.last.bounding_box()
    assert box is not None
    for x in range(int(box["x"]) + 2, int(box["x"] + box["width"]), 3):
        page.mouse.move(x, box["y"] + box["height"] - 12)
        if pieces.last.get_attribute("title"):
            break
    expect(pieces.last).to_have_attribute("title", re.compile(r"^W2730\["))


def test_a_narrow_output_column_keeps_its_atlas_inside(page: Page) -> None:
    # a tablet (820x1180): AlexNet's output column is under 200 px wide, and the atlas, at
    # least 200 px, scrolled it sideways by 8 (the accessibility review)
    page.set_viewport_size({"width": 820, "height": 1180})
    page.goto("/?preset=alexnet-conv1")
    atlas = page.get_by_role("img", name=re.compile(r"^Output volume"))
    expect(atlas).to_be_visible(timeout=30_000)
    body = page.locator("#output-grids")
    inner, whole = body.evaluate("e => [e.clientWidth, e.scrollWidth]")
    assert inner < 200 and whole <= inner, (inner, whole)


def test_a_phones_input_slices_one_to_a_row_take_the_columns_width(phone: Page) -> None:
    # NumPy's example, 11x11x4, drew 18 px cells (under a finger's 24) in 210 of the column's
    # 361 px, one slice to a row and the panel scrolling anyway (the accessibility review)
    phone.goto("/?preset=numpy-example&t=5")
    slice0 = phone.get_by_role("table", name="Input depth slice 0")
    expect(slice0).to_be_visible(timeout=30_000)
    body = phone.locator("#input-grids")
    room, whole = body.evaluate("e => [e.clientWidth, e.scrollWidth]")
    width = slice0.evaluate("e => e.getBoundingClientRect().width")
    cell_width = slice0.locator(".cell").first.evaluate("e => e.getBoundingClientRect().width")
    assert cell_width >= 24 and width >= 0.9 * room and whole <= room, (cell_width, width, room)
