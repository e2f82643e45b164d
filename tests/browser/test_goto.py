"""The transport's "Go to" box: a typed step, neuron or input cell is shown, and what the layer
does not have is refused in the box's own words (js/goto.js)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.test_page import current_step, open_page, url_key

# An oblong, strided, padded layer: 9x11x2 input, three 3x3 filters, stride 2, padding 1 ->
# 5x6x3, 90 steps; the step of a neuron depends on the order, which the page mirrors.
QUERY = "?h=9&w=11&d=2&k=3&fh=3&fw=3&sh=2&sw=2&pt=1&pb=1&pl=1&pr=1"
LAYER = {"input": {"shape": [9, 11, 2]}, "filters": {"count": 3, "size": 3},
         "stride": 2, "padding": 1}


def api_step_of(api: httpx.Client, position: list[int], order: str) -> Any:
    answer = api.post("/api/steps", json={"layer": LAYER, "position": position, "count": 1,
                                          "order": order})
    answer.raise_for_status()
    return answer.json()["start"]


def go_to(page: Page, text: str) -> None:
    box = page.get_by_label("Go to a step, a neuron V[i,j,d] or an input cell X[row,col]")
    box.fill(text)
    box.press("Enter")


@pytest.mark.parametrize("order", ["depth_slice", "depth_column"])
def test_a_typed_neuron_moves_the_playhead_to_the_apis_step_for_it(
    page: Page, api: httpx.Client, order: str
) -> None:
    open_page(page, f"{QUERY}&order={order}")
    for i, j, d in [(3, 4, 1), (0, 5, 2), (4, 0, 0)]:
        go_to(page, f"V[{i},{j},{d}]")
        t = api_step_of(api, [i, j, d], order)
        expect(page.locator("#numpy-code")).to_contain_text(f"V[{i},{j},{d}] = np.sum(")
        assert current_step(page) == t
        assert url_key(page.url, "t") == (str(t) if t else None), page.url  # 0: left out
    # the playhead there is where the page's own stepping goes on from
    page.keyboard.press("Escape")
    page.locator("#t-forward").click()
    assert current_step(page) == api_step_of(api, [4, 0, 0], order) + 1


def test_a_typed_step_input_cell_and_mistakes(page: Page) -> None:
    open_page(page, QUERY)
    go_to(page, "57")  # as the label counts: step 57 is t = 56
    expect(page.locator("#t-label")).to_contain_text("step 57 of 90")
    go_to(page, " step 9 ")
    expect(page.locator("#t-label")).to_contain_text("step 9 of 90")
    # an input cell is pinned (its readers marked), the playhead stays
    go_to(page, "X[8,10,:]")
    expect(page.locator("#t-label")).to_have_text("step 9 of 90 · pinned X[8,10,:]")
    assert url_key(page.url, "pin") == "x8.10", page.url
    box = page.locator("#t-goto-input")
    refusals = {
        "91": "There is no step 91: this layer's steps run from 1 to 90",
        "0": "There is no step 0",
        "V[5,0,0]": "V[5,0,0] is outside the output volume 5x6x3 (i 0 to 4, j 0 to 5, d 0 to 2)",
        "X[0,11]": "X[0,11] is outside the input volume 9x11x2 (rows 0 to 8, columns 0 to 10",
        "X[0,0,2]": "X[0,0,2] is outside the input volume 9x11x2",
        "V[1,2]": "Type a step (1 to 90), a neuron V[i,j,d] or an input cell X[row,col]",
        "-3": "Type a step (1 to 90)",
    }
    for typed, said in refusals.items():
        go_to(page, typed)
        expect(box).to_have_attribute("aria-invalid", "true")
        assert said in box.evaluate("n => n.validationMessage"), typed
        # nothing moved: the step and the pin stay
        expect(page.locator("#t-label")).to_have_text("step 9 of 90 · pinned X[8,10,:]")
    # correcting the entry clears the refusal
    box.fill("1")
    expect(box).not_to_have_attribute("aria-invalid", "true")
    assert box.evaluate("n => n.validationMessage") == ""


def test_thousands_as_the_label_writes_them_reach_alexnet_neurons(page: Page) -> None:
    open_page(page, "?preset=alexnet-conv1")
    go_to(page, "15,696")
    expect(page.locator("#t-label")).to_contain_text("step 15,696 of 290,400")
    go_to(page, "v[54, 54, 95]")  # spaces and either case: the last neuron
    expect(page.locator("#t-label")).to_contain_text("step 290,400 of 290,400")
    expect(page.locator("#numpy-code")).to_contain_text("V[54,54,95] = np.sum(X[216:227,216:227,:]")


def test_a_misfit_has_no_steps_to_go_to(page: Page) -> None:
    page.goto("/?preset=ten-stride-2-invalid")
    expect(page.locator("#t-misfit")).to_be_visible(timeout=30_000)
    expect(page.locator("#t-goto-input")).to_be_hidden()
    expect(page.locator("#t-goto-input")).to_be_disabled()


def test_the_box_gives_the_keys_back_and_adds_no_history_twice(page: Page) -> None:
    open_page(page, QUERY)
    box = page.locator("#t-goto-input")
    go_to(page, "V[3,4,1]")
    expect(page.locator("#numpy-code")).to_contain_text("V[3,4,1] = np.sum(")
    step = current_step(page)
    entries = page.evaluate("() => history.length")
    box.press("Enter")  # the same again: said, not a second entry Back would seem to skip
    box.press("Enter")
    assert page.evaluate("() => history.length") == entries
    # while it has the focus the box takes the keys; Escape gives them back to the page
    box.press("ArrowRight")
    assert current_step(page) == step
    # ...but Page Up and Down, a presenter's remote's back and next: a remote cannot send the
    # Escape, and a one-line box has no use for them
    box.press("PageDown")
    box.press("PageDown")
    box.press("PageUp")
    assert current_step(page) == step + 1
    expect(box).to_be_focused()  # the next entry still goes in the box
    box.press("Escape")
    # to the arithmetic, as "Step to it" does: a blur left the focus on the body
    expect(page.locator("#arithmetic-panel")).to_be_focused()
    page.keyboard.press("ArrowRight")
    assert current_step(page) == step + 2
    # "t" is the link's 0-based count, not the label's: not taken, so never off by one
    go_to(page, "t56")
    assert "Type a step (1 to 90)" in box.evaluate("n => n.validationMessage")
    assert current_step(page) == step + 2



def test_a_laptop_at_200_percent_zoom_goes_to_a_neuron_from_the_unfolded_tools(
    page: Page, api: httpx.Client
) -> None:
    # 1280x800 at 200 %: 640x400 CSS px, the phone layout, where the box was never shown and a
    # keyboard could reach step 150,000 of AlexNet only by moving a pin row by row
    page.set_viewport_size({"width": 640, "height": 400})
    open_page(page, QUERY)
    box = page.locator("#t-goto-input")
    expect(box).to_be_hidden()  # folded with the other extras: the picture keeps the room
    more = page.get_by_role("button", name="More step and view controls")
    assert "t-goto" in (more.get_attribute("aria-controls") or "").split()
    more.click()
    expect(box).to_be_visible()
    go_to(page, "V[3,4,1]")
    expect(page.locator("#numpy-code")).to_contain_text("V[3,4,1] = np.sum(")
    assert current_step(page) == api_step_of(api, [3, 4, 1], "depth_slice")
    # the box keeps to the phone's width
    assert page.evaluate("document.documentElement.scrollWidth") <= 640


def test_a_step_asked_for_while_a_new_layer_loads_is_refused_as_loading(page: Page) -> None:
    # read against the layer still drawn, V[54,54,95] was "outside the output volume 3x3x2"
    # while AlexNet conv1 loaded
    page.goto("/?preset=cs231n-demo")
    expect(page.locator("#app")).to_have_attribute("aria-busy", "false", timeout=30_000)
    held: list[Route] = []
    page.route("**/api/geometry", lambda route: held.append(route))
    page.locator("#preset").select_option("alexnet-conv1")
    expect(page.locator("#app")).to_have_attribute("aria-busy", "true")
    box = page.locator("#t-goto-input")
    box.fill("V[54,54,95]")
    box.press("Enter")
    expect(page.locator("#announce")).to_contain_text("The layer is still loading")
    expect(box).to_have_attribute("aria-invalid", "true")
    for route in held:
        route.continue_()
    page.unroute("**/api/geometry")
    expect(page.locator("#app")).to_have_attribute("aria-busy", "false", timeout=30_000)
    box.fill("V[54,54,95]")
    box.press("Enter")
    expect(page.locator("#t-label")).to_contain_text("step 290,400 of 290,400", timeout=30_000)
