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

import pytest
from playwright.sync_api import Locator, Page, expect

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
    width, height = size
    page.set_viewport_size({"width": width, "height": height})
    # a step past the middle: the field low in the input, a later filter and output map, which
    # the panels must have scrolled into their own view
    total = {"cs231n-demo": 18, "numpy-example": 32, "example-2": 1280, "alexnet-conv1": 290400}
    t = total[preset] * 5 // 8 + 1
    open_view(page, f"?preset={preset}&t={t}")
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
        page.screenshot(path=str(artifacts / f"layout-{preset}-{width}x{height}.png"))


def test_a_phone_gets_one_column_and_a_transport_at_the_bottom(
    page: Page, artifacts: Path
) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
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
        transport = page.locator("#transport").bounding_box()
        assert transport is not None and abs(transport["y"] + transport["height"] - 844) <= 1
        page.screenshot(path=str(artifacts / f"layout-phone-{preset}.png"))
    # scrolled down to the output, the transport is still at hand
    page.locator("#output-panel").scroll_into_view_if_needed()
    page.get_by_role("button", name="Step forward").click()
    expect(page.locator("#t-label")).to_contain_text("step 2 of")


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
            # the focus went into the drawer, on its first setting
            assert page.locator("#drawer :focus").count() == 1
            reached.add(page.evaluate("document.activeElement.id"))
        if wanted <= reached:
            break
    assert wanted - reached == set()
    # Escape from inside the drawer closes it and hands the focus back to its toggle
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
