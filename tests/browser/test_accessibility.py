"""axe-core's WCAG rules over the page's states, and the keyboard's way into panels that scroll.

axe (Deque's engine, the one browsers' own audits run) checks what a screen reader or keyboard
user would miss: names, roles, labels, focusable scrollers. Its script comes with the test
dependency axe-playwright-python, so nothing is fetched; it is injected through Playwright's
evaluate, which the page's CSP does not govern.
"""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

AXE = Axe()

# Every state a link can open that draws something of its own: modes, presets at real size, a
# misfit, the 3-D view, frames, large type, both themes, named image and bank, local weights
STATES = [
    "/?preset=cs231n-demo&t=4",
    "/?preset=cs231n-demo&mode=backward&t=7",
    "/?preset=alexnet-conv1&t=1000",
    "/?preset=alexnet-conv1&mode=backward&large=1",
    "/?preset=cs231n-demo&h=6&w=6&sh=2&sw=2",
    "/?preset=cs231n-demo&view=3d&theme=dark",
    "/?preset=cs231n-demo&embed=1&large=1",
    "/?preset=cs231n-demo&conn=local&mode=backward",
    "/?image=scene&bank=sobel&h=72&w=96&d=3&k=2&f=3&s=1&p=0",
]


def violations(page: Page) -> list[tuple[str, str, list[Any]]]:
    """axe's violations on the page as it is: (rule, impact, the first elements' selectors)."""
    found = AXE.run(page).response["violations"]
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"][:3]]) for v in found]


@pytest.mark.parametrize("path", STATES)
def test_axe_finds_no_violation(page: Page, path: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(path)
    expect(page.locator("#app")).to_have_attribute("aria-busy", "false", timeout=30_000)
    page.wait_for_timeout(500)  # the panels' sizes settled (their tab stops follow them)
    assert violations(page) == []


def test_a_panel_body_that_scrolls_is_a_tab_stop_and_one_that_fits_is_not(page: Page) -> None:
    # axe's scrollable-region-focusable: the input's slices ran on under the panel's foot with
    # no tab stop of their own in browsers that do not make scrollers one (Chromium does)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/?preset=cs231n-demo&mode=backward&t=7")
    expect(page.locator("#numpy-code")).to_contain_text("np.sum", timeout=30_000)
    grids = page.locator("#input-grids")
    assert grids.evaluate("e => e.scrollHeight - e.clientHeight") > 2  # it scrolls here
    expect(grids).to_have_attribute("tabindex", "0")
    # Tab reaches it, and Down scrolls it where Right still steps the layer
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "input-grids":
            break
    assert page.evaluate("document.activeElement.id") == "input-grids"
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(300)
    assert grids.evaluate("e => e.scrollTop") > 0
    page.keyboard.press("ArrowRight")
    expect(page.locator("#t-label")).to_contain_text("step 9 of 18")
    # on a screen tall enough for all of it, no tab stop
    page.set_viewport_size({"width": 1920, "height": 2400})
    expect(grids).not_to_have_attribute("tabindex", "0")


def test_axe_finds_no_violation_on_a_phone_or_in_the_settings(phone: Page) -> None:
    phone.goto("/?preset=cs231n-demo&mode=backward&t=4")
    expect(phone.locator("#numpy-code")).to_contain_text("np.sum", timeout=30_000)
    assert violations(phone) == []
    phone.get_by_role("button", name="More settings").click()
    expect(phone.locator("#drawer")).to_be_visible()
    assert violations(phone) == []
