"""axe-core's WCAG rules over the page's states, and the keyboard's way into panels that scroll.

axe (Deque's engine, the one browsers' own audits run) checks what a screen reader or keyboard
user would miss: names, roles, labels, focusable scrollers. Its script comes with the test
dependency axe-playwright-python, so nothing is fetched; it is injected through Playwright's
evaluate, which the page's CSP does not govern.
"""

from __future__ import annotations

import re
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


# ----------------------------------------------------------------------------- what is said


def ready(page: Page, path: str) -> None:
    page.goto(path)
    expect(page.locator("#app")).to_have_attribute("aria-busy", "false", timeout=30_000)


def test_space_on_a_layer_with_no_steps_says_why_not_playing(page: Page) -> None:
    # it said "Playing" at every Space while nothing moved
    ready(page, "/?preset=ten-stride-2-invalid")
    page.locator("body").press(" ")
    expect(page.locator("#announce")).to_contain_text("No steps: the layer does not fit")
    expect(page.locator("#announce")).not_to_contain_text("Playing")


@pytest.mark.parametrize("key", ["ArrowRight", "ArrowLeft", "Home", "End", "PageDown", "p",
                                 "x", "Shift+ArrowDown", "]"])
def test_a_key_that_steps_or_pins_on_a_layer_with_no_steps_says_why(page: Page, key: str) -> None:
    # they said nothing at all (the keyboard review): Space alone said "No steps"
    ready(page, "/?preset=ten-stride-2-invalid")
    page.evaluate("document.querySelector('#announce')?.replaceChildren()")
    before = page.url
    page.locator("body").press(key)
    expect(page.locator("#announce")).to_have_text(
        "No steps: the layer does not fit (H2 = 4.5, W2 = 4.5).")
    assert page.url == before  # no step and no pin asked for


def test_a_new_layer_is_said_with_its_output_and_steps(page: Page) -> None:
    # S from 2 to 1 took the demo from 18 steps to 50 and nothing was said: step 1's words
    # were the same
    ready(page, "/?preset=cs231n-demo")
    page.locator("#stride").fill("1")
    page.locator("#stride").press("Enter")
    expect(page.locator("#announce")).to_contain_text("New layer: output 5x5x2, 50 steps",
                                                      timeout=30_000)


def test_an_edit_is_said_as_new_values_not_as_a_new_layer(page: Page) -> None:
    # an edited cell was said as "New layer: output 3x3x2, 18 steps" (the keyboard review):
    # the layer's sizes are the same, only its numbers changed
    ready(page, "/?preset=cs231n-demo")
    page.get_by_role("button", name="More settings").click()
    page.get_by_label("Cell to edit").fill("X[0,0,0]")
    page.get_by_label("New value").fill("9")
    page.get_by_role("button", name="Set value").click()
    said = page.locator("#announce")
    expect(said).to_have_text(re.compile(r"^New values: output 3x3x2 recomputed, \d+ neurons? "
                                         r"changed$"), timeout=30_000)
    assert "edits=X0.0.0%3D9" in page.url, page.url
    # a size changed after it is a new layer again
    page.keyboard.press("Escape")
    page.locator("#stride").fill("1")
    page.locator("#stride").press("Enter")
    expect(said).to_have_text("New layer: output 5x5x2, 50 steps", timeout=30_000)


def test_the_layer_drawn_before_a_misfit_is_said_when_it_comes_back(page: Page) -> None:
    # back from a misfit to the layer drawn before it, nothing was said: the misfit's
    # "No steps" simply went (the keyboard review)
    ready(page, "/?preset=cs231n-demo")
    stride = page.locator("#stride")
    stride.fill("3")
    stride.press("Enter")
    expect(page.locator("#app")).to_have_class(re.compile(r"\bmisfit\b"))
    page.evaluate("document.querySelector('#announce')?.replaceChildren()")
    stride.fill("2")
    stride.press("Enter")
    expect(page.locator("#app")).not_to_have_class(re.compile(r"\bmisfit\b"))
    expect(page.locator("#announce")).to_have_text("New layer: output 3x3x2, 18 steps")


def test_letting_go_of_a_pin_from_the_go_to_box_is_said_with_the_step(page: Page) -> None:
    # "Unpinned: ..." was replaced in the same moment by "Step 5"
    ready(page, "/?preset=cs231n-demo")
    box = page.locator("#t-goto-input")
    box.fill("X[1,1]")
    box.press("Enter")
    expect(page.locator("#announce")).to_contain_text("Pinned X[1,1,:]")
    box.fill("5")
    box.press("Enter")
    said = page.locator("#announce")
    # two sentences: "... the playhead Step 5" ran together
    expect(said).to_have_text("Unpinned: stepping follows the playhead. Step 5")


def test_the_lines_button_is_described_by_its_colours(page: Page) -> None:
    # its description was the key's text run together, "field to filter filter to neuron
    # hovered product or weight", without the colours the title gives
    ready(page, "/?preset=cs231n-demo")
    button = page.locator("#lines-toggle")
    assert button.get_attribute("aria-describedby") is None
    description = button.evaluate("b => b.title")
    assert "grey from the field to the filter" in description


def test_a_pinned_neuron_is_said_as_pinned_and_past_the_playhead_not_on_the_map(
    page: Page,
) -> None:
    # the output canvas called it the current neuron, with a value the picture does not show
    ready(page, "/?preset=example-1&t=0&pin=o0.2.0")
    canvas = page.get_by_role("img", name=re.compile(r"V\[0,2,0\] = "))
    expect(canvas).to_have_accessible_name(re.compile(
        r": pinned neuron V\[0,2,0\] = -?[\d.e-]+ \(step 3: not on the map yet\)$"))
    page.goto("/?preset=example-1&t=5&pin=o0.2.0")
    # pinned, it is said as pinned (it was "current neuron", the playhead's word), as the 3-D
    # block says it too (the phone review)
    expect(page.get_by_role("img", name=re.compile(r"V\[0,2,0\] = "))).to_have_accessible_name(
        re.compile(r": pinned neuron V\[0,2,0\] = -?[\d.e-]+$"), timeout=30_000)
    page.keyboard.press("Escape")  # the pin let go: the playhead's neuron, at step 5
    expect(page.get_by_role("img", name=re.compile(r"^Output"))).to_have_accessible_name(
        re.compile(r": current neuron V\[\d+,\d+,\d+\] = -?[\d.e-]+$"))


def test_steps_of_the_last_layer_after_a_refusal_are_said_as_the_last_layers(
    page: Page,
) -> None:
    # AlexNet conv1 made locally connected is over the server's element limit: the picture
    # stays the shared layer's, faded, and its step's words were said as the new layer's
    ready(page, "/?preset=alexnet-conv1")
    page.locator("#drawer-toggle").click()
    page.locator("#connectivity").select_option("local")
    page.keyboard.press("Escape")  # the settings closed, the keys back to the player
    expect(page.locator("#app")).to_have_class(re.compile(r"\bstale\b"), timeout=30_000)
    page.locator("body").press("ArrowRight")
    expect(page.locator("#arithmetic-live")).to_contain_text(
        "Last layer drawn (the new one was refused): ", timeout=10_000)


def test_a_focused_step_slider_is_not_read_out_step_by_step_while_playing(page: Page) -> None:
    # its aria-valuetext was new at every step: a screen reader on the slider read "step 2
    # of 18", "step 3 of 18", ... without a pause (the accessibility review)
    ready(page, "/?preset=cs231n-demo&speed=5")
    scrub = page.locator("#t-scrub")
    expect(scrub).to_have_attribute("aria-valuetext", "step 1 of 18")
    scrub.focus()
    page.keyboard.press(" ")  # Space on the slider plays
    expect(page.locator("#t-play")).to_have_text("Pause")
    said = set()
    for _ in range(12):
        said.add(scrub.get_attribute("aria-valuetext"))
        page.wait_for_timeout(100)
    assert int(scrub.input_value()) >= 3  # it moved on while the text stood still
    assert said == {"playing"}
    page.keyboard.press(" ")
    expect(page.locator("#t-play")).to_have_text("Play")
    t = int(scrub.input_value())
    expect(scrub).to_have_attribute("aria-valuetext", f"step {t + 1} of 18")


@pytest.mark.parametrize("selector", ["#bank-edit summary", ".masthead a.api-link"])
def test_space_on_a_disclosure_or_a_link_is_its_own_not_play(page: Page, selector: str) -> None:
    # Space on "Edit the bank's weights" started playing and left it shut (Enter opened it)
    ready(page, "/?image=scene&bank=sobel&h=72&w=96&d=3&k=2&f=3&s=1&p=0")
    target = page.locator(selector).first
    target.focus()
    page.keyboard.press(" ")
    page.wait_for_timeout(300)
    expect(page.locator("#t-play")).to_have_text("Play")
    if "summary" in selector:
        assert page.locator("#bank-edit").evaluate("e => e.open") is True


def test_escape_folds_the_phones_tray_from_its_menus(phone: Page) -> None:
    # from the speed or the theme menu Escape did nothing: the menus are fields, which the
    # page's keys pass over, and the tray's Escape was one of those keys
    ready(phone, "/?preset=cs231n-demo")
    more = phone.get_by_role("button", name="More step and view controls")
    for menu in ("#t-speed", "#theme-choice"):
        more.click()
        expect(more).to_have_attribute("aria-expanded", "true")
        phone.locator(menu).focus()
        phone.keyboard.press("Escape")
        expect(more).to_have_attribute("aria-expanded", "false")
        expect(more).to_be_focused()


def test_a_view_chosen_in_the_phones_tray_is_said(phone: Page) -> None:
    # the tray folds and the focus goes to "More", so the toggle's new state went unheard
    ready(phone, "/?preset=cs231n-demo")
    more = phone.get_by_role("button", name="More step and view controls")
    said = phone.locator("#announce")
    for name, words in (("3-D view", "3-D view on"), ("3-D view", "3-D view off"),
                        ("Backward", "Backward on")):
        more.click()
        phone.get_by_role("button", name=name, exact=True).focus()
        phone.keyboard.press("Enter")
        expect(more).to_have_attribute("aria-expanded", "false")
        expect(said).to_contain_text(words)


@pytest.mark.parametrize(("path", "button"), [
    ("/?preset=alexnet-conv1", "Zoom in on the output maps"),
    ("/?preset=cs231n-demo&view=3d", "Reset view"),
])
def test_a_focus_ring_at_a_panels_edge_is_drawn_whole(page: Page, path: str, button: str) -> None:
    # the ring of the zoom bar's "+" and the 3-D view's first button lay partly outside the
    # panel body that scrolls, which cut its top and left off (the accessibility review)
    page.set_viewport_size({"width": 1366, "height": 768})
    ready(page, path)
    target = page.get_by_role("button", name=button).first
    for _ in range(120):  # reached from the keyboard, as the ring is drawn for it
        page.keyboard.press("Tab")
        if target.evaluate("e => e === document.activeElement"):
            break
    ring = target.evaluate("""e => {
        const s = getComputedStyle(e), r = e.getBoundingClientRect();
        const out = parseFloat(s.outlineWidth) + parseFloat(s.outlineOffset);
        let clip = e.parentElement;  // the nearest ancestor that clips
        while (clip && getComputedStyle(clip).overflow === 'visible') clip = clip.parentElement;
        const c = clip.getBoundingClientRect();
        return {style: s.outlineStyle, out, left: r.left - out - c.left, top: r.top - out - c.top,
                right: c.right - r.right - out};
    }""")
    assert ring["style"] == "solid" and ring["out"] > -3, ring  # a ring, seen
    assert min(ring["left"], ring["top"], ring["right"]) >= 0, ring


def test_a_pressed_view_button_is_not_drawn_in_the_focus_colour(page: Page) -> None:
    # Backward and the 3-D view, on, wore a ring of the focus colour: beside the button that
    # had the focus, two looked focused
    ready(page, "/?preset=cs231n-demo&mode=backward")
    pressed = page.locator("#mode-backward")
    expect(pressed).to_have_attribute("aria-pressed", "true")
    focus, shadow = pressed.evaluate("""e => {
        const probe = document.createElement('i');
        probe.style.color = 'var(--focus)';
        document.body.append(probe);
        const colour = getComputedStyle(probe).color;
        probe.remove();
        return [colour, getComputedStyle(e).boxShadow];
    }""")
    assert "inset" in shadow and focus not in shadow, (focus, shadow)


def test_backward_modes_panels_are_reached_in_the_order_they_are_seen(page: Page) -> None:
    # the weight gradient sits under the filters (column 2) but was reached after the
    # arithmetic (column 3): its section came later in the page (the accessibility review)
    page.set_viewport_size({"width": 1366, "height": 768})
    ready(page, "/?preset=cs231n-demo&mode=backward")
    reached: list[str] = []
    for _ in range(200):
        page.keyboard.press("Tab")
        what = page.evaluate("document.activeElement.matches('.explain-toggle')"
                             " && document.activeElement.getAttribute('aria-controls')")
        if what and what not in reached and what != "transport-what":
            reached.append(what)
        if what == "output-what":
            break
    assert reached == ["input-what", "filters-what", "backward-what", "arithmetic-what",
                       "output-what"]
