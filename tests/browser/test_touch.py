"""Touch on a phone (issue 10, section 4): swipe and tap step, a tap pins, a pinch zooms.

Touches go in through the DevTools protocol (Input.dispatchTouchEvent), as a touch screen
delivers them, so the page sees real touch and pointer events with pointerType "touch".
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, CDPSession, Locator, Page, expect

from tests.browser.test_page import backward_step, contribution_sum

pytestmark = pytest.mark.browser

Point = tuple[float, float]


@pytest.fixture
def phone(browser: Browser, base_url: str) -> Iterator[tuple[Page, CDPSession]]:
    """A 390x844 touch-screen phone page and its DevTools session."""
    context = browser.new_context(
        base_url=base_url, viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True
    )
    page = context.new_page()
    yield page, context.new_cdp_session(page)
    context.close()


def tap(page: Page, target: Locator) -> None:
    """Tap the middle of `target`, where the page's mouse also is, as on a phone.

    A phone's compatibility mouse events come from where the finger last was. Chromium's
    headless shell keeps its own mouse where it was (the corner, on a new page) through a tap,
    and when the page changes under that mouse it sends a hover from there: the tapped grid
    heard the mouse leave it, and let its cell go.
    """
    box = target.bounding_box()
    assert box is not None, f"{target} is not on screen"
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    target.tap()


def touch(cdp: CDPSession, kind: str, points: list[Point]) -> None:
    points_json = [{"x": x, "y": y, "id": n} for n, (x, y) in enumerate(points)]
    cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points_json})


def drag(cdp: CDPSession, starts: list[Point], ends: list[Point], moves: int = 6) -> None:
    """Fingers down at `starts`, moved in even steps to `ends`, lifted."""
    touch(cdp, "touchStart", starts)
    for k in range(1, moves + 1):
        f = k / moves
        at = [
            (x0 + f * (x1 - x0), y0 + f * (y1 - y0))
            for (x0, y0), (x1, y1) in zip(starts, ends, strict=True)
        ]
        touch(cdp, "touchMove", at)
    touch(cdp, "touchEnd", [])


def settle_scrolling(page: Page) -> None:
    """Wait until the page's scroll (a fling included) has stood still for ten frames: a finger
    put down on a page still flinging stops the fling and is not the gesture it would be."""
    page.evaluate("""() => new Promise((resolve) => {
      let last = scrollY, still = 0, frames = 0;
      const look = () => {
        still = scrollY === last ? still + 1 : 0;
        last = scrollY;
        if (still >= 10 || ++frames > 600) resolve();
        else requestAnimationFrame(look);
      };
      requestAnimationFrame(look);
    })""")


def open_phone(page: Page, query: str) -> None:
    """Open ``query`` on the phone's page and wait until it has drawn a step."""
    page.goto(query)
    expect(page.locator("#numpy-code")).to_contain_text("np.sum", timeout=30_000)


def pin_of(page: Page) -> str:
    return str(page.evaluate("new URLSearchParams(location.search).get('pin') ?? ''"))


def test_swipes_and_taps_on_the_transport_step_and_a_tapped_neuron_is_pinned(
    phone: tuple[Page, CDPSession],
) -> None:
    page, cdp = phone
    open_phone(page, "/?preset=cs231n-demo&t=0")
    title = page.locator("#transport h2")
    title.scroll_into_view_if_needed()
    box = title.bounding_box()
    assert box is not None
    y = box["y"] + box["height"] / 2
    drag(cdp, [(300, y)], [(150, y)])  # swipe left: the next step
    expect(page.locator("#t-label")).to_have_text(re.compile(r"^step 2 of 18"))
    drag(cdp, [(150, y)], [(300, y)])  # swipe right: back
    expect(page.locator("#t-label")).to_have_text(re.compile(r"^step 1 of 18"))
    drag(cdp, [(300, y)], [(290, y + 120)])  # mostly down: a scroll, not a step
    expect(page.locator("#t-label")).to_have_text(re.compile(r"^step 1 of 18"))
    page.locator("#t-forward").tap()
    expect(page.locator("#t-label")).to_have_text(re.compile(r"^step 2 of 18"))
    # V[1,2,1] (map 1, row 1, column 2) pinned by a tap: its expression is shown
    neuron = page.get_by_role("table", name="Output activation map 1").locator(
        '.cell[data-r="1"][data-c="2"]'
    )
    neuron.tap()
    expect(page.locator("#numpy-code")).to_contain_text("V[1,2,1]")
    assert pin_of(page) == "o1.2.1"


def test_a_pinch_zooms_a_big_volume_and_a_tap_pins_its_cell(phone: tuple[Page, CDPSession]) -> None:
    page, cdp = phone
    page.goto("/?preset=alexnet-conv1")
    expect(page.locator("#app")).to_have_attribute("aria-busy", "false", timeout=60_000)
    grid = page.locator("#input-grids .zoom-grid").first
    grid.scroll_into_view_if_needed()
    before = float(grid.get_attribute("data-scale") or "nan")
    box = grid.locator("canvas").bounding_box()
    assert box is not None
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    # fingers 40 px apart spread to 160 px: four times the scale, about the fingers' midpoint
    drag(cdp, [(cx - 20, cy), (cx + 20, cy)], [(cx - 80, cy), (cx + 80, cy)])
    expect(grid).not_to_have_attribute("data-scale", f"{before:.2f}")
    after = float(grid.get_attribute("data-scale") or "nan")
    assert after == pytest.approx(4 * before, rel=0.05)
    assert pin_of(page) == ""  # a pinch is not a tap
    grid.locator("canvas").tap()
    expect(page).to_have_url(re.compile(r"[?&]pin=x\d+\.\d+"))


def test_a_tapped_input_cell_is_pinned_on_the_page_not_hidden_under_the_editor(
    phone: tuple[Page, CDPSession],
) -> None:
    # The tap opened the settings drawer, which fills a phone's screen, over the neurons the
    # pin marks (touch has no hover: the tap is the only way to see them).
    page, _ = phone
    open_phone(page, "/?preset=cs231n-demo&t=4")
    cell = page.get_by_role("table", name=re.compile(r"^Input depth slice 0")).locator(
        '.cell[data-r="2"][data-c="2"]')
    cell.tap()
    assert pin_of(page) == "x1.1"
    expect(page.locator("#drawer")).to_be_hidden()
    expect(page.locator("#sums")).to_contain_text("X[1,1,:] (Xp[2,2,:]) is read by the neurons")
    # the edit is ready for when the drawer is opened; opening it raises no keyboard
    assert page.locator("#edit-cell").input_value() == "X[1,1,0]"
    page.get_by_role("button", name="More settings").tap()
    expect(page.locator("#drawer")).to_be_visible()
    assert page.evaluate("document.activeElement.id") == "drawer-close"


def test_a_thumb_gets_44_px_targets_in_the_drawer_and_the_suggestions(
    phone: tuple[Page, CDPSession],
) -> None:
    # a misfit's suggestion buttons (the way to fix it) and every drawer field were 21-24 px
    page, _ = phone
    page.goto("/?preset=cs231n-demo&sh=3&sw=3")
    suggestions = page.locator("#geometry-suggestions .suggestion")
    expect(suggestions.first).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="More settings").tap()
    expect(page.locator("#drawer")).to_be_visible()
    heights = page.evaluate("""() => [...document.querySelectorAll(
        '#geometry-suggestions .suggestion, #drawer input, #drawer select, #drawer button')]
        .filter(e => e.getClientRects().length && e.type !== 'hidden')
        .map(e => [e.id || e.textContent.trim(), e.getBoundingClientRect().height])""")
    assert len(heights) > 20
    small = [(name, h) for name, h in heights if h < 43.5]
    assert small == [], small


def test_the_3d_hint_speaks_of_fingers_on_a_touch_screen(phone: tuple[Page, CDPSession]) -> None:
    page, _ = phone
    page.goto("/?preset=cs231n-demo&view=3d")
    hint = page.locator("#input-3d .volume3d-hint")
    expect(hint).to_have_text("drag sideways to turn · pinch to zoom · two fingers to move",
                              timeout=30_000)


# A finger's least target away from a phone: the laptop's controls grow to 2rem (wide.css)
FINGER_PX = 32
# what a tablet's finger may hit: every control outside the pictures (and their zoom), the
# drawer's too
TARGETS = """() => [...document.querySelectorAll('button, select, input, .api-link')]
    .filter(e => e.getClientRects().length && e.type !== 'hidden'
                 && (!e.closest('.panel-body') || e.matches('.zoom-button')))
    .map(e => { const box = (e.type === 'checkbox' ? e.closest('label') : e)
                  .getBoundingClientRect();
                return [e.id || e.className || e.textContent.trim(), box.width, box.height]; })"""
# the round "?" stays drawn small; its target reaches past the circle (the point a finger
# lands 3 px outside each side of it still opens it)
TOGGLE_REACH = """() => [...document.querySelectorAll('.explain-toggle')]
    .filter(e => e.getClientRects().length)
    .map(e => { const b = e.getBoundingClientRect(), x = b.x + b.width / 2,
                      y = b.y + b.height / 2, far = b.width / 2 + 3;
                return [[x - far, y], [x + far, y], [x, y - far], [x, y + far]]
                  .every(([px, py]) => document.elementFromPoint(px, py) === e); })"""


@pytest.mark.parametrize("size", [(820, 1180), (1180, 820)])
def test_a_tablet_keeps_the_laptop_layout_with_targets_a_finger_can_hit(
    browser: Browser, base_url: str, size: tuple[int, int]
) -> None:
    # wider than a phone, a touch screen got the laptop's 13-21 px fields, menus and boxes, and
    # then kept 30 px transport buttons and 26 px zoom buttons (their own rules outranked the
    # finger's)
    width, height = size
    context = browser.new_context(base_url=base_url, viewport={"width": width, "height": height},
                                  has_touch=True, is_mobile=True)
    page = context.new_page()
    page.goto("/?image=stripes&bank=sobel")
    expect(page.locator("#output-shape")).to_have_text("62x62x2", timeout=30_000)
    assert page.locator("#phone-css").evaluate("link => !matchMedia(link.media).matches")
    targets = page.evaluate(TARGETS)
    toggles = page.evaluate(TOGGLE_REACH)
    page.goto("/?preset=alexnet-conv1")
    expect(page.locator("#output-shape")).to_have_text("55x55x96", timeout=30_000)
    page.get_by_role("button", name="More settings").tap()
    expect(page.locator("#drawer")).to_be_visible()
    targets += page.evaluate(TARGETS)
    context.close()
    names = {name for name, _, _ in targets}
    assert {"t-forward", "pad", "stride"} <= names and any("zoom-button" in n for n in names)
    small = [(name, w, h) for name, w, h in targets
             if min(w, h) < FINGER_PX and "explain-toggle" not in name]
    assert small == [], small
    assert len(toggles) >= 4 and all(toggles), toggles


def test_a_pinned_neuron_keeps_an_upright_tablets_transport_one_height(
    browser: Browser, base_url: str
) -> None:
    # at 820 px the pin's note in the step label wrapped the transport a row taller, so the
    # picture moved under the finger and a second tap pinned another neuron
    context = browser.new_context(base_url=base_url, viewport={"width": 820, "height": 1180},
                                  has_touch=True, is_mobile=True)
    page = context.new_page()
    open_phone(page, "/?preset=cs231n-demo&t=1")
    transport = page.locator("#transport")
    before = transport.bounding_box()
    neuron = page.get_by_role("table", name="Output activation map 0").locator(
        '.cell[data-r="1"][data-c="1"]'
    )
    neuron.tap()
    expect(page.locator("#t-label")).to_contain_text("pinned V[1,1,0]")
    assert pin_of(page) == "o1.1.0"
    assert transport.bounding_box() == before
    context.close()


def test_a_finger_moved_up_a_3d_block_on_a_phone_scrolls_the_page(
    phone: tuple[Page, CDPSession],
) -> None:
    # the block spans the phone's width and half its height: a vertical drag on it turned it
    # and the page could not be scrolled past it; sideways it still turns
    page, cdp = phone
    page.goto("/?preset=cs231n-demo&view=3d&t=4")
    block = page.locator("#input-3d canvas.volume3d-block")
    expect(block).to_be_visible(timeout=30_000)
    block.scroll_into_view_if_needed()
    box = block.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.7
    scrolled, cam = page.evaluate("scrollY"), page.evaluate(
        "new URLSearchParams(location.search).get('cam')")
    drag(cdp, [(x, y)], [(x, y - 200)], moves=10)
    settle_scrolling(page)
    assert page.evaluate("scrollY") > scrolled + 50
    assert page.evaluate("new URLSearchParams(location.search).get('cam')") == cam
    # the scroll's fling may have carried the block off the screen (a busy machine's fling ran
    # 900 px past it): back in view, turn it by the middle of the part of it in view
    block.scroll_into_view_if_needed()
    settle_scrolling(page)
    box, view = block.bounding_box(), page.viewport_size
    assert box is not None and view is not None
    top, bottom = max(box["y"], 0), min(box["y"] + box["height"], view["height"])
    assert bottom - top > 40, (box, view)
    y = (top + bottom) / 2
    drag(cdp, [(x - 80, y)], [(x + 80, y)], moves=10)
    expect(page).not_to_have_url(re.compile(rf"cam={re.escape(cam or '')}(&|$)"))


def test_a_finger_moved_up_a_zoomable_picture_on_a_phone_scrolls_the_page(
    phone: tuple[Page, CDPSession],
) -> None:
    # AlexNet's input slices fill a phone's width and most of its height: a vertical swipe on
    # one panned the picture and never scrolled the page; sideways it still pans
    page, cdp = phone
    page.goto("/?preset=alexnet-conv1")
    expect(page.locator("#app")).to_have_attribute("aria-busy", "false", timeout=60_000)
    grid = page.locator("#input-grids .zoom-grid").first
    canvas = grid.locator("canvas")
    # zoomed in, so a pan has room to move the picture either way
    grid.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    drag(cdp, [(cx - 20, cy), (cx + 20, cy)], [(cx - 80, cy), (cx + 80, cy)])
    # the zoom settled into the link, the view follows step 1's field to the volume's corner
    expect(page).to_have_url(re.compile(r"[?&]zoom=i\d"))
    expect(grid).to_have_attribute("data-corner", "0.000 0.000")
    settle_scrolling(page)
    corner = grid.get_attribute("data-corner")
    box = canvas.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, min(box["y"] + box["height"] * 0.7, 700)
    scrolled = page.evaluate("scrollY")
    drag(cdp, [(x, y)], [(x + 10, y - 200)], moves=10)
    settle_scrolling(page)
    assert page.evaluate("scrollY") > scrolled + 50
    assert grid.get_attribute("data-corner") == corner
    canvas.scroll_into_view_if_needed()
    settle_scrolling(page)
    box = canvas.bounding_box()
    assert box is not None
    y = box["y"] + box["height"] / 2
    drag(cdp, [(x + 80, y)], [(x - 80, y)], moves=10)
    expect(grid).not_to_have_attribute("data-corner", corner or "")
    assert pin_of(page) == ""  # neither drag was a tap


def test_large_type_on_a_phone_keeps_every_filter_whole(phone: tuple[Page, CDPSession]) -> None:
    # the projector's rule (the active filter at 34 px, the rest scrolling inside the panel)
    # ran on a phone too: W0 alone at 50 px, W1 in a scroll area inside the page's own scroll
    page, _ = phone
    open_phone(page, "/?preset=cs231n-demo&t=4&large=1")
    grids = page.locator("#filter-grids")
    assert grids.evaluate("e => e.scrollHeight <= e.clientHeight + 1")  # nothing scrolls inside
    width = page.locator("#filter-grids .cell").first.evaluate(
        "e => e.getBoundingClientRect().width")
    cell = page.locator("#input-grids .cell").first.evaluate("e => e.getBoundingClientRect().width")
    assert width <= cell, (width, cell)  # the weights no bigger than the input's cells


def test_every_number_in_the_strip_opens_a_phones_digit_keypad(
    phone: tuple[Page, CDPSession],
) -> None:
    # H, W and D asked for the digit keypad, K, F, S and P for the full keyboard
    page, _ = phone
    open_phone(page, "/?preset=cs231n-demo")
    modes = page.locator(".strip input[type=number]").evaluate_all(
        "inputs => inputs.map(i => [i.id, i.inputMode])")
    assert len(modes) == 7 and all(mode == "numeric" for _, mode in modes), modes


@pytest.mark.parametrize("large", ["", "&large=1"])
@pytest.mark.parametrize("sideways", [False, True])
def test_every_number_in_the_strip_shows_four_digits_whole_on_a_phone(
    phone: tuple[Page, CDPSession], large: str, sideways: bool
) -> None:
    # W's box, narrowed by its wide letter beside it, cut 227 to "22" and 1000 to "100"
    page, _ = phone
    if sideways:
        page.set_viewport_size({"width": 844, "height": 390})
    open_phone(page, f"/?h=1000&w=1000&d=1&k=1&f=1000&s=1000&p=0{large}")  # 1x1 output
    cut = page.locator(".strip input[type=number]").evaluate_all("""inputs => inputs.map(i => {
        const style = getComputedStyle(i);
        const room = i.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
        const measure = document.createElement("canvas").getContext("2d");
        measure.font = style.font;
        return [i.id, i.value, room, measure.measureText("4096").width];
    }).filter(([, , room, needs]) => room < needs)""")
    assert cut == []
    assert page.locator("#in-w").input_value() == "1000"


def test_a_phones_step_label_grows_with_large_type(phone: tuple[Page, CDPSession]) -> None:
    # the transport keeps the page's normal type in large type (two rows, 44 px targets), and
    # its step label, on a row of its own, was 13 px: smaller than without large type
    page, _ = phone
    sizes = []
    for large in ("", "&large=1"):
        open_phone(page, f"/?preset=cs231n-demo{large}")
        label = page.locator("#t-label")
        sizes.append(label.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
    assert sizes[1] >= 16 and sizes[1] >= sizes[0], sizes
    box = page.locator(".transport").bounding_box()
    assert box is not None and box["height"] <= 2 * 44 + 24  # still two rows


@pytest.mark.parametrize("query", ["?preset=alexnet-conv1", "?image=stripes&bank=sobel",
                                   "?preset=cs231n-demo&view=3d"])
def test_the_panels_buttons_are_44_px_for_a_thumb(
    phone: tuple[Page, CDPSession], query: str
) -> None:
    # the zoom and 3-D view buttons were 40 px, the bank editor's and the gallery's 19-21 px
    page, _ = phone
    page.goto(f"/{query}")
    expect(page.locator("#app")).to_have_attribute("aria-busy", "false", timeout=30_000)
    small = page.evaluate("""() => [...document.querySelectorAll(
        '#volumes button:not(.explain-toggle), #images-panel :is(button, summary)')]
        .filter(e => e.getClientRects().length)
        .map(e => [e.className || e.textContent.trim(), e.getBoundingClientRect().height])
        .filter(([, h]) => h < 43.5)""")
    assert small == []


@pytest.mark.parametrize("large", ["", "&large=1"])
def test_every_count_shows_on_a_phone_without_scrolling_sideways(
    phone: tuple[Page, CDPSession], large: str
) -> None:
    # the counts were one line that scrolled sideways, five of the seven out of sight behind a
    # fade; they wrap now, all of them inside the window, the multiply-adds included
    page, _ = phone
    open_phone(page, f"/?preset=alexnet-conv1{large}")
    row = page.locator(".counts")
    assert row.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
    boxes = page.locator(".counts > div:visible").evaluate_all(
        "items => items.map(i => [i.querySelector('dt').textContent, "
        "i.getBoundingClientRect().left, i.getBoundingClientRect().right])")
    names = [name for name, _, _ in boxes]
    assert "Multiply-adds" in names and "Parameters" in names and len(names) == 6, names
    assert all(left >= 0 and right <= 390 for _, left, right in boxes), boxes
    expect(page.locator("#count-madds")).to_have_text("105,415,200")


def test_the_unfolded_tray_folds_on_a_touch_elsewhere_or_escape(
    phone: tuple[Page, CDPSession],
) -> None:
    # it stayed open over two fifths of the screen whatever the finger did next
    page, _ = phone
    open_phone(page, "/?preset=cs231n-demo&t=4")
    transport, more = page.locator("#transport"), page.locator("#t-more")
    more.tap()
    expect(transport).not_to_have_class(re.compile(r"\bfolded\b"))
    expect(more).to_have_attribute("aria-expanded", "true")
    neuron = page.get_by_role("table", name="Output activation map 0").locator(
        '.cell[data-r="0"][data-c="1"]')
    neuron.tap()  # folds the tray, and pins the neuron as a tap does
    expect(transport).to_have_class(re.compile(r"\bfolded\b"))
    expect(page.locator("#numpy-code")).to_contain_text("V[0,1,0]")
    assert pin_of(page) == "o0.1.0"
    # Escape folds an open tray first; the next one lets the pin go
    more.tap()
    expect(transport).not_to_have_class(re.compile(r"\bfolded\b"))
    page.keyboard.press("Escape")
    expect(transport).to_have_class(re.compile(r"\bfolded\b"))
    assert pin_of(page) == "o0.1.0"
    page.keyboard.press("Escape")
    expect(page).to_have_url(re.compile(r"^(?!.*[?&]pin=)"))
    # a view chosen in the tray folds it: the gradients asked for were under it
    more.tap()
    expect(transport).not_to_have_class(re.compile(r"\bfolded\b"))
    page.get_by_role("button", name="Backward", exact=True).tap()
    expect(page).to_have_url(re.compile(r"[?&]mode=backward"))
    expect(transport).to_have_class(re.compile(r"\bfolded\b"))


def test_a_tap_that_lets_a_pin_go_shows_the_steps_neuron_again(
    phone: tuple[Page, CDPSession],
) -> None:
    # a tap's compatibility mousemove set a hover no finger ever cleared: unpinned, the
    # arithmetic stayed on the tapped V[0,0,0] while the label said step 5 (V[1,1,0])
    page, _ = phone
    open_phone(page, "/?preset=cs231n-demo&t=4")
    code = page.locator("#numpy-code")
    expect(code).to_contain_text("V[1,1,0]")
    neuron = page.get_by_role("table", name="Output activation map 0").locator(
        '.cell[data-r="0"][data-c="0"]')
    neuron.tap()
    expect(code).to_contain_text("V[0,0,0]")
    neuron.tap()  # the same neuron again: unpinned
    expect(page).to_have_url(re.compile(r"^(?!.*[?&]pin=)"))
    expect(code).to_contain_text("V[1,1,0]")


def test_a_pin_keeps_the_phones_transport_to_its_height_in_large_type(
    phone: tuple[Page, CDPSession],
) -> None:
    # with large type the pinned label broke into "(step / 290,400)" on a second line, and
    # the fixed transport grew over the picture (75 to 91 px)
    page, _ = phone
    open_phone(page, "/?preset=alexnet-conv1&t=5001&large=1")
    alone = page.locator("#transport").bounding_box()
    open_phone(page, "/?preset=alexnet-conv1&t=5001&large=1&pin=o54.54.95")
    label = page.locator("#t-label")
    expect(label).to_have_attribute(
        "title", "step 5,002 of 290,400 · pinned V[54,54,95] (step 290,400)")
    step = label.locator(".t-part0").bounding_box()
    pinned = label.locator(".t-part1").bounding_box()
    assert step and pinned and step["y"] == pinned["y"]  # the pin's name on the step's line
    assert page.locator("#transport").bounding_box() == alone


def test_a_pinned_input_cell_leaves_no_blank_room_in_the_arithmetic_on_a_phone(
    phone: tuple[Page, CDPSession],
) -> None:
    # with X[3,4,:] pinned the panel kept its products' room, 300 px of blank between the
    # cell's note and the output that marks its readers
    page, _ = phone
    open_phone(page, "/?preset=cs231n-demo&t=4")
    panel = page.locator("#arithmetic-panel")
    expect(page.locator("#products .slice")).to_have_count(3)
    with_step = panel.bounding_box()
    page.goto("/?preset=cs231n-demo&t=4&pin=x3.4")
    expect(page.locator("#sums")).to_have_text(
        "X[3,4,:] (Xp[4,5,:]) is read by the neurons at V[1,2,:] and V[2,2,:] (2 positions), "
        "through every filter "
        "(marked on the output)", timeout=30_000)
    expect(page.locator("#products")).to_be_hidden()
    expect(page.locator("#numpy-line")).to_be_hidden()
    pinned = panel.bounding_box()
    assert with_step and pinned and pinned["height"] < with_step["height"] - 250, (
        with_step, pinned)
    # the products come back whole with the playhead's step once the pin is let go
    expect(page.locator("#edit-pinned")).to_be_visible()  # the pin's page is ready for keys
    page.keyboard.press("Escape")
    expect(page.locator("#numpy-code")).to_contain_text("np.sum", timeout=30_000)
    expect(page.locator("#products")).to_be_visible()
    grids = page.locator("#products .slice")
    expect(grids).to_have_count(3)
    for n in range(3):
        box = grids.nth(n).bounding_box()
        assert box and box["height"] > 100, (n, box)


def test_a_tapped_product_shows_its_input_and_weight(
    phone: tuple[Page, CDPSession], api: httpx.Client
) -> None:
    # a finger has no hover, and a tap (a click) cleared the product it would have shown: on
    # a phone AlexNet's products, too small for their digits, said "Hover a product" forever
    page, _ = phone
    page.goto("/?preset=alexnet-conv1&t=100")
    expect(page.locator("#numpy-code")).to_contain_text("V[1,45,0]", timeout=30_000)
    readout = page.locator("#product-readout")
    expect(readout).to_have_text("Tap a product for its input × weight.")
    canvas = page.locator("#products canvas").first
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    page.touchscreen.tap(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.4)
    found = re.fullmatch(r"(\S+) × (\S+) = (\S+)\s+"
                         r"\(X\[(\d+),(\d+),(\d+)\] × W0\[(\d+),(\d+),(\d+)\]\)",
                         readout.inner_text())
    assert found is not None, readout.inner_text()
    r, c = int(found.group(7)), int(found.group(8))
    step = api.post("/api/steps", json={"layer": {"preset": "alexnet-conv1"}, "start": 100}
                    ).json()["steps"][0]
    assert float(found.group(3)) == pytest.approx(step["products"][r][c][0], rel=1e-3)
    # the demo's products are cells: a tap marks the pair in them too
    page.goto("/?preset=cs231n-demo&t=4")
    expect(page.locator("#numpy-code")).to_contain_text("V[1,1,0]", timeout=30_000)
    cell = page.get_by_role("table", name="Products depth slice 0").locator(".cell").nth(4)
    cell.scroll_into_view_if_needed()
    cell.tap()
    expect(cell).to_have_class(re.compile(r"\bpair\b"))
    # ...and its factors are written under the code line: on a phone the input and weight
    # cells the pair's lines run to are a screen or more above the products
    step = api.post("/api/steps", json={"layer": {"preset": "cs231n-demo"}, "start": 4}
                    ).json()["steps"][0]
    x, w, p = (step[name][1][1][0] for name in ("window", "weights", "products"))
    expect(readout).to_have_text(f"{x:g} × {w:g} = {p + 0.0:g}  (Xp[3,3,0] × W0[1,1,0])")


def test_a_tapped_weight_gradient_cell_writes_its_sum_where_the_step_is_said(
    phone: tuple[Page, CDPSession], api: httpx.Client
) -> None:
    # a cell's sum is its title, and a finger never shows a title: on a phone the dW grids
    # said nothing of how a cell was made
    page, _ = phone
    page.goto("/?preset=cs231n-demo&mode=backward&t=4")
    said = page.locator("#backward-step")
    expect(said).to_contain_text("dV[1,1,0] = 1", timeout=30_000)
    sentence = said.inner_text()
    layer = api.get("/api/presets/cs231n-demo").json()["layer"]
    step = backward_step(api, layer, 4)
    r, c, ch = 2, 1, 0
    cell = page.get_by_role("table", name="Contribution depth slice 0").locator(
        f'.cell[data-r="{r}"][data-c="{c}"]')
    cell.scroll_into_view_if_needed()
    pinned = re.compile(r"\bmark-pinned\b")
    tap(page, cell)
    expect(said).to_have_text(contribution_sum(step, r, c, ch))
    # the tapped cell is outlined, so the sum says which cell it is about
    expect(cell).to_have_class(pinned)
    expect(page.locator("#backward-panel .cell.mark-pinned")).to_have_count(1)
    running = page.get_by_role("table", name="Running weight gradient depth slice 0").locator(
        f'.cell[data-r="{r}"][data-c="{c}"]')
    tap(page, running)
    expect(said).to_have_text(f"running dW[0][{r},{c},{ch}] = "
                              f"{step['weight_gradient_running'][r][c][ch]:g} after step 5")
    expect(running).to_have_class(pinned)
    expect(cell).not_to_have_class(pinned)
    # a tap elsewhere gives the step's sentence back, and takes the outline away
    page.locator("#backward-panel h2").tap()  # no mouse moved first: the tap alone
    expect(said).to_have_text(sentence)
    expect(page.locator("#backward-panel .cell.mark-pinned")).to_have_count(0)
