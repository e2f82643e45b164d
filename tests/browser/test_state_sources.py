"""Edits, sample images and filter banks as ordinary page state, in headless Chromium.

The page sends a hand edit as one entry of the spec's `edits` and an image or bank by name,
never whole arrays; a link (reload) brings the same view back. Expected numbers come from the
API (httpx), asked with the same small spec.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Page, Request, expect

from tests.browser.test_page import url_key

pytestmark = pytest.mark.browser


def open_page(page: Page, query: str = "") -> None:
    page.goto(f"/{query}")
    expect(page.locator("#app")).to_have_attribute("aria-busy", "false", timeout=30_000)
    expect(page.locator("#numpy-code")).to_contain_text("np.sum", timeout=30_000)


def layer_bodies(page: Page) -> list[dict[str, Any]]:
    """Every JSON body the page POSTs to the layer endpoints from now on, as sent."""
    bodies: list[dict[str, Any]] = []

    def on_request(request: Request) -> None:
        if request.method == "POST" and "/api/" in request.url and request.post_data:
            bodies.append({"url": request.url, "size": len(request.post_data),
                           "json": json.loads(request.post_data)})

    page.on("request", on_request)
    return bodies


def layer_of(body: dict[str, Any]) -> dict[str, Any]:
    """The layer spec inside a request body (steps/inverse wrap it in `layer`)."""
    found: dict[str, Any] = body["json"].get("layer", body["json"])
    return found


def api_step(api: httpx.Client, layer: dict[str, Any], t: int) -> dict[str, Any]:
    answer = api.post("/api/steps", json={"layer": layer, "start": t, "count": 1})
    answer.raise_for_status()
    step: dict[str, Any] = answer.json()["steps"][0]
    return step


def set_cell(page: Page, cell: str, value: str) -> None:
    # the edit boxes live in the settings drawer (issue 10): open it unless it is open
    if not page.locator("#drawer").is_visible():
        page.get_by_role("button", name="More settings").click()
    page.get_by_label("Cell to edit").fill(cell)
    page.get_by_label("New value").fill(value)
    page.get_by_role("button", name="Set value").click()
    expect(page.locator("#app")).to_have_attribute("aria-busy", "false", timeout=30_000)


def shown_value(page: Page) -> float:
    """The neuron's value at the end of the arithmetic line (shown to 4 digits), once the
    step has come: the page is no longer busy when its layer is drawn, which can be before
    the step's own answer arrives (the line is empty until then)."""
    expect(page.locator("#sums")).to_contain_text(re.compile("[=≈]"), timeout=30_000)
    return float(re.split("[=≈]", page.locator("#sums").inner_text())[-1])


def test_an_edit_goes_as_one_entry_and_a_reload_shows_the_same_numbers(
    page: Page, api: httpx.Client, artifacts: Path
) -> None:
    open_page(page, "?preset=alexnet-conv1")
    bodies = layer_bodies(page)
    set_cell(page, "X[0,0,0]", "9")
    layer = {**api.get("/api/presets/alexnet-conv1").json()["layer"],
             "edits": [{"array": "input", "index": [0, 0, 0], "value": 9}]}
    step = api_step(api, layer, 0)
    assert step["window"][0][0][0] == 9
    assert shown_value(page) == pytest.approx(step["pre"], rel=1e-3, abs=1e-4)
    assert "edits=X0.0.0%3D9" in page.url
    expect(page.get_by_role("status").filter(has_text="edited value")).to_have_text(
        "1 edited value: X[0,0,0] = 9")
    # every request after the edit carries the one edit, no arrays: AlexNet's ~190,000
    # numbers used to travel as nested JSON on each of them
    sent = list(bodies)
    assert {re.sub(r"\?.*", "", b["url"]).rsplit("/", 1)[1] for b in sent} >= {"forward", "steps"}
    for body in sent:
        spec = layer_of(body)
        assert body["size"] < 2_000, (body["url"], body["size"])
        assert spec["edits"] == [{"array": "input", "index": [0, 0, 0], "value": 9}]
        assert spec["input"].get("values") is None and spec["filters"].get("values") is None
    page.screenshot(path=str(artifacts / "edits-alexnet-x000.png"))
    page.reload()
    expect(page.locator("#app")).to_have_attribute("aria-busy", "false", timeout=30_000)
    assert shown_value(page) == pytest.approx(step["pre"], rel=1e-3, abs=1e-4)


def test_an_edited_weight_of_the_demo_is_drawn_in_the_grids_and_after_a_reload(
    page: Page, api: httpx.Client, artifacts: Path
) -> None:
    open_page(page)
    set_cell(page, "W1[0,2,1]", "-6")
    expect(page.locator("#edits-list")).to_have_text("1 edited value: W1[0,2,1] = -6")
    layer = {**api.get("/api/presets/cs231n-demo").json()["layer"],
             "edits": [{"array": "filters", "index": [1, 0, 2, 1], "value": -6}]}
    forward = api.post("/api/forward", json=layer).json()
    cell = page.get_by_role("table", name="Filter 1 depth slice 1").locator(
        '.cell[data-r="0"][data-c="2"]')
    out = page.get_by_role("table", name="Output activation map 1").locator(
        '.cell[data-r="2"][data-c="2"]')
    for _ in range(2):  # as edited, then from the link alone
        expect(cell).to_have_attribute("data-value", "-6")
        page.get_by_role("button", name="Last step").click()  # every neuron computed
        expect(out).to_have_attribute("data-value", f"{forward['output'][2][2][1]:g}")
        page.reload()
        expect(page.locator("#app")).to_have_attribute("aria-busy", "false", timeout=30_000)
    page.screenshot(path=str(artifacts / "edits-demo-w1.png"), full_page=True)


def refusals(page: Page) -> list[str]:
    """Every API answer of 400 or more the page gets from now on ("422 /api/geometry")."""
    refused: list[str] = []
    page.on("response", lambda response: refused.append(
        f"{response.status} {response.url.split('/api/', 1)[-1]}")
        if "/api/" in response.url and response.status >= 400 else None)
    return refused


def test_an_edit_outside_the_layer_is_removed_and_the_page_says_which(
    page: Page, console_errors: list[str]
) -> None:
    # "edit removed" spoke of undoing an edit that never reached the layer; and the edit was
    # sent only to come back a 422, a red line in the console
    refused = refusals(page)
    page.goto("/?preset=cs231n-demo&h=5&edits=X9.9.0%3D1;b1%3D4")
    expect(page.locator("#error-data")).to_have_text(
        "X[9,9,0] is not a cell of this layer: that edit is left out.", timeout=30_000)
    expect(page.locator("#numpy-code")).to_contain_text("np.sum", timeout=30_000)
    expect(page).to_have_url(re.compile(r"edits=b1%3D4(&|$)"))  # written within 250 ms
    expect(page.locator("#app")).not_to_have_class(re.compile(r"\bstale\b"))
    page.goto("/?preset=cs231n-demo&h=5&edits=X9.9.0%3D1;W5.0.0.0%3D2;b1%3D4")
    expect(page.locator("#error-data")).to_have_text(
        "X[9,9,0], W5[0,0,0] are not cells of this layer: those edits are left out.",
        timeout=30_000)
    expect(page.locator("#numpy-code")).to_contain_text("np.sum", timeout=30_000)
    assert refused == [] and console_errors == [], (refused, console_errors)
    # a locally connected layer's weights have one set per output position, whose number
    # the geometry answer gives: its edits are judged against it before anything else is
    # sent (they went to the server and came back a 422)
    page.goto("/?preset=cs231n-demo&conn=local&edits=W3.0.0.0.0.0%3D1;W0.0.0.0%3D2;"
              "W0.2.1.2.2.2%3D7;b0.0.0%3D4")
    # W0[0,0,0] (four numbers) before the geometry is asked, W[3,0,0] against its answer
    expect(page.locator("#error-data")).to_have_text(
        "W0[0,0,0] is not a cell of this layer: that edit is left out. This layer's weights "
        "are W[i,j,d][row,col,depth] and its biases b[i,j,d]. W[3,0,0][0,0,0] is not a cell "
        "of this layer: that edit is left out.", timeout=30_000)
    expect(page).to_have_url(re.compile(r"edits=W0\.2\.1\.2\.2\.2%3D7%3Bb0\.0\.0%3D4(&|$)"))
    expect(page.locator("#numpy-code")).to_contain_text("np.sum", timeout=30_000)
    # a misfit's weights have no output size to judge, but their filter, row and column do
    page.goto("/?preset=cs231n-demo&conn=local&h=6&w=6&edits=W0.0.5.0.0.0%3D1;W9.9.0.0.0.0%3D2")
    expect(page.locator("#error-data")).to_have_text(
        "W[0,0,5][0,0,0] is not a cell of this layer: that edit is left out.", timeout=30_000)
    expect(page.locator("#app")).to_have_class(re.compile(r"\bmisfit\b"), timeout=30_000)
    assert refused == [] and console_errors == [], (refused, console_errors)


def test_a_links_size_no_layer_has_is_said_and_never_sent(
    page: Page, console_errors: list[str]
) -> None:
    # s=0 and k=0 went to the server, came back 422s (red lines in the console), and the
    # page said a larger server would compute them
    refused = refusals(page)
    # nor over this server's limits (its max_side and max_filters, in the page's body): sent,
    # they came back 422s too
    open_page(page, "?preset=cs231n-demo&s=0&k=0&dh=1.5&seed=-1&w=5000&d=5000")
    note = page.locator("#error-general")
    for said in ("s=0 (a whole number, 1 to 4,096)", "k=0 (a whole number, 1 to 4,096)",
                 "dh=1.5 (a whole number, 1 to 4,096)",
                 "seed=-1 (a whole number, 0 to 9,007,199,254,740,991)",
                 "w=5000 (a whole number, 1 to 4,096)", "d=5000 (a whole number, 1 to 4,096)"):
        expect(note).to_contain_text(said)
    expect(page.locator("#output-shape")).to_have_text("3x3x2")  # the preset's own S and K
    assert refused == [] and console_errors == [], (refused, console_errors)
    # a box's 0 stride is said beside the box, and nothing is sent
    page.locator("#stride").fill("0")
    page.locator("#stride").press("Enter")
    expect(page.locator("#error-stride")).to_have_text(
        'Stride S (both axes) must be a whole number, 1 to 4,096, not "0"')
    page.locator("#pad").fill("0")
    page.locator("#pad").press("Enter")
    expect(page.locator("#output-shape")).to_have_text("2x2x2")  # (5 - 3)/2 + 1: padding 0 is fine
    assert refused == [] and console_errors == [], (refused, console_errors)
    # text that is no number (600 nines) reads as "" in a number box: it quoted "" beside a
    # box full of digits
    page.locator("#stride").fill("")
    page.locator("#stride").focus()
    page.keyboard.insert_text("9" * 600)
    page.locator("#stride").press("Enter")
    expect(page.locator("#error-stride")).to_have_text(
        "Stride S (both axes) must be a whole number, 1 to 4,096: what was typed is not a "
        "number")


def test_a_layer_too_large_for_the_server_is_said_from_its_geometry_alone(
    page: Page, console_errors: list[str]
) -> None:
    # its forward was sent only to be refused as the geometry answer could have said
    refused = refusals(page)
    page.goto("/?preset=alexnet-conv1&conn=local")
    note = page.locator("#refused-note")
    expect(note).to_contain_text("a server started with larger limits computes",
                                 timeout=30_000)
    expect(page.locator("#error-general")).to_contain_text(
        "More settings: Too big for this server: ")
    expect(page.locator("#error-general")).to_contain_text(
        "Computing this layer would materialise")
    expect(page.locator("#error-general")).to_contain_text("CONVSCOPE_MAX_ELEMENTS")
    # the server's field names in the page's words, with the article right ("which a
    # smaller the input size would cut")
    page.goto("/?h=1024&w=1024&d=64&k=64&f=3&p=1")
    expect(page.locator("#error-input .why-text")).to_contain_text(
        "for the matrix product (1,048,576 positions x 576 weights), which a smaller input would "
        "cut", timeout=30_000)
    assert refused == [] and console_errors == [], (refused, console_errors)


def test_only_a_refusal_over_the_servers_limits_says_a_larger_server_would_compute_it(
    page: Page,
) -> None:
    # the note said "a server started with larger limits computes this one" of any refusal
    refusal = {"detail": [{"loc": ["body", "filters", "fill", "seed"], "type": "less_than_equal",
                           "msg": "filters.fill.seed is 2**60: it must be at most 2**53 - 1"}]}
    page.route("**/api/geometry", lambda route: route.fulfill(status=422, json=refusal))
    page.goto("/?preset=cs231n-demo")
    note = page.locator("#refused-note")
    expect(note).to_have_text("Nothing to draw: the server would not compute this layer (why is "
                              "in red above).", timeout=30_000)
    refusal["detail"][0]["type"] = "over_limit"
    page.reload()
    expect(note).to_contain_text("a server started with larger limits computes",
                                 timeout=30_000)


def test_a_sample_image_and_a_bank_live_in_the_url(
    page: Page, api: httpx.Client, artifacts: Path
) -> None:
    page.goto("/")
    expect(page.locator("#images-panel")).to_have_attribute("aria-busy", "false", timeout=30_000)
    bodies = layer_bodies(page)
    page.get_by_label("Sample image", exact=True).select_option("stripes")
    page.get_by_label("Filter bank", exact=True).select_option("oriented-edges")
    spec = {"input": {"shape": [64, 64, 3], "image": {"name": "stripes"}},
            "filters": {"count": 4, "size": 3, "bank": "oriented-edges"}, "activation": "relu"}
    expected = api.post("/api/geometry", json=spec).json()["output_shape"]
    assert expected == [62, 62, 4]
    expect(page.locator("#output-shape")).to_have_text("62x62x4", timeout=30_000)
    expect(page.get_by_role("img", name="edge-45 activation map after ReLU")).to_be_visible()
    assert "image=stripes" in page.url and "bank=oriented-edges" in page.url
    expect(page.locator("#preset-description")).to_have_text(
        'Your layer: image "stripes" and filter bank "oriented-edges" (from Real images '
        "below), with the settings shown here.")
    last = layer_of(bodies[-1])
    assert last["input"] == {"shape": [64, 64, 3], "image": {"name": "stripes"}}
    assert last["filters"]["bank"] == "oriented-edges"
    assert max(b["size"] for b in bodies) < 2_000
    # the preset list is the server's alone: no pseudo-presets for images, only the
    # picker's "your own layer", which names no preset and cannot be picked
    presets = [p["name"] for p in api.get("/api/presets").json()]
    assert page.get_by_label("Preset").locator("option").evaluate_all(
        "os => os.map(o => [o.value, o.disabled])") == [["", True]] + [[p, False] for p in presets]
    expect(page.get_by_label("Preset")).to_have_value("")
    page.screenshot(path=str(artifacts / "images-stripes-oriented-edges.png"), full_page=True)
    page.reload()
    expect(page.locator("#output-shape")).to_have_text("62x62x4", timeout=30_000)
    expect(page.get_by_label("Sample image", exact=True)).to_have_value("stripes")
    expect(page.get_by_label("Filter bank", exact=True)).to_have_value("oriented-edges")
    expect(page.get_by_role("img", name="edge-45 activation map after ReLU")).to_be_visible()


def test_a_hand_written_preset_link_keeps_every_key_it_names(
    page: Page, api: httpx.Client
) -> None:
    # no sizes: the preset gives the rest, and the edits, the order, the step and the pin
    # named here are the view's (they used to be dropped for the preset's own)
    open_page(page, "?preset=cs231n-demo&edits=X1.2.0%3D5;b1%3D3&order=depth_column&t=4"
                    "&pin=o0.1.1")
    assert re.search(r"[?&]edits=X1\.2\.0%3D5%3Bb1%3D3(&|$)", page.url), page.url
    assert url_key(page.url, "order") == "depth_column" and url_key(page.url, "t") == "4"
    assert url_key(page.url, "pin") == "o0.1.1"
    expect(page.locator("#edits-list")).to_have_text("2 edited values: X[1,2,0] = 5, b1 = 3")
    layer = {**api.get("/api/presets/cs231n-demo").json()["layer"],
             "edits": [{"array": "input", "index": [1, 2, 0], "value": 5},
                       {"array": "bias", "index": [1], "value": 3}]}

    def step(**where: object) -> dict[str, Any]:
        answer = api.post("/api/steps", json={"layer": layer, "count": 1,
                                              "order": "depth_column", **where})
        answer.raise_for_status()
        found: dict[str, Any] = answer.json()["steps"][0]
        return found

    assert [step(start=4)[axis] for axis in "ijd"] == [0, 2, 0]  # depth-column order's step 4
    # the pinned neuron's field holds the edited input cell, and it adds the edited bias
    pinned = step(position=[0, 1, 1])
    assert pinned["window"][2][1][0] == 5 and pinned["bias"] == 3
    assert shown_value(page) == pytest.approx(pinned["pre"])
    # the edited bias is the one drawn beside filter 1
    expect(page.locator("#filters-panel")).to_contain_text("b1 = 3")


def test_a_hand_written_link_with_sizes_takes_the_rest_from_its_preset_or_the_apis_defaults(
    page: Page,
) -> None:
    # the preset it names gives what it leaves out (it took the default layer's stride 2 and
    # padding 1: a 4x3 output, where the preset's stride 1 and no padding give 5x5)
    open_page(page, "?preset=seven-stride-1&h=7")
    expect(page.locator("#output-shape")).to_have_text("5x5x1")
    assert "&sh=1&" in page.url and "&pt=0&" in page.url, page.url
    # sizes and no preset: what they leave out is what the API takes it to be (stride 1, no
    # padding, no dilation), as the same fields sent to /api/geometry give 9 - 3 + 1 = 7
    open_page(page, "?h=9&w=9&d=1&k=1&f=3")
    expect(page.locator("#output-shape")).to_have_text("7x7x1")
    assert "&sh=1&" in page.url and "&pt=0&" in page.url and "&dh=1&" in page.url, page.url


def test_a_link_key_the_page_cannot_use_is_said_not_silently_replaced(page: Page) -> None:
    open_page(page, "?h=10&w=10&d=1&k=1&f=5&s=1&p=same&mode=gradient&kernel=3&utm_source=lms")
    note = page.locator("#error-general")
    expect(note).to_contain_text("p=same (a whole number, 0 to 4,096)")
    expect(note).to_contain_text("mode=gradient (forward or backward)")
    expect(note).to_contain_text("kernel (no such key)")
    expect(note).not_to_contain_text("utm_source")  # a site's tracking key is no mistake
    expect(page.locator("#output-shape")).to_have_text("6x6x1")  # (10 - 5)/1 + 1, padding 0
    # a copied link says nothing of the kind
    open_page(page, "?" + page.url.split("?", 1)[1])
    expect(note).to_have_text("")
    # a zoom or an angle of no form, and a key given twice, were let go without a word
    open_page(page, "?preset=cs231n-demo&zoom=bad&cam=left&edits=X0.0.0%3D5&edits=b1%3D3")
    expect(note).to_contain_text("zoom=bad (how far the input and output are zoomed in, "
                                 "as i4_o8)")
    expect(note).to_contain_text("cam=left (the 3-D view's turn and tilt in degrees, as 45_20, "
                                 "the tilt -83 to 83)")
    expect(note).to_contain_text("edits=X0.0.0=5 (edits given again later: the last is used)")
    expect(page).to_have_url(re.compile(r"^(?!.*(zoom|cam)=).*edits=b1%3D3"))


def test_a_3d_tilt_past_the_views_own_is_said_not_quietly_changed(page: Page) -> None:
    # cam=45_95 opened at 45_83 and cam=720_-100 at 0_-83, each without a word
    open_page(page, "?preset=cs231n-demo&view=3d&cam=45_95")
    expect(page.locator("#error-general")).to_contain_text(
        "cam=45_95 (the 3-D view's turn and tilt in degrees, as 45_20, the tilt -83 to 83)")
    expect(page).to_have_url(re.compile(r"^(?!.*[?&]cam=)"))  # the first view's angle
    open_page(page, "?preset=cs231n-demo&view=3d&cam=720_-83")  # turns wrap; -83 is kept
    expect(page.locator("#error-general")).to_have_text("")
    expect(page).to_have_url(re.compile(r"[?&]cam=0_-83(&|$)"))


def test_a_links_zoom_of_a_volume_drawn_whole_is_said_and_left_out(page: Page) -> None:
    # zoom=i4_o8 on the 5x5 demo did nothing and stayed in the link, and so in every copy
    open_page(page, "?preset=cs231n-demo&zoom=i4_o8")
    expect(page.locator("#error-general")).to_contain_text(
        "The link's zoom=i4_o8 was left out for the input and output: this layer draws them "
        "whole, with no zoom.")
    expect(page).to_have_url(re.compile(r"^(?!.*[?&]zoom=)"))
    # AlexNet's volumes zoom: its link's zoom stays, and nothing is said
    open_page(page, "?preset=alexnet-conv1&zoom=i4_o2")
    expect(page).to_have_url(re.compile(r"[?&]zoom=i4_o2(&|$)"))
    expect(page.locator("#error-general")).to_have_text("")


def test_an_unknown_bank_in_a_link_leaves_the_layer_as_the_link_gives_it(page: Page) -> None:
    # ?bank=nope switched ReLU on (a bank's layer takes it) while the note said the layer's
    # own filters were shown
    open_page(page, "?bank=nope")
    expect(page.locator("#error-general")).to_contain_text(
        'The link\'s filter bank "nope" is unknown here; the layer\'s own filters are shown.')
    expect(page).to_have_url(re.compile(r"[?&]act=none&"))
    expect(page).to_have_url(re.compile(r"^(?!.*[?&]bank=)"))


def test_a_number_in_a_link_is_digits_only(page: Page) -> None:
    # "0x10" opened step 17, "1e1" step 11 and "5.0" read as 5, all without a word
    open_page(page, "?preset=cs231n-demo&t=0x10&s=1e1&k=2.0")
    note = page.locator("#error-general")
    expect(note).to_contain_text("t=0x10 (a step, 0 or more)")
    expect(note).to_contain_text("s=1e1 (a whole number, 1 to")
    expect(note).to_contain_text("k=2.0 (a whole number, 1 to")
    expect(page.locator("#t-label")).to_have_text("step 1 of 18")  # the preset's own step 0


def test_a_link_of_thousands_of_mistakes_names_a_few_and_keeps_the_picture(page: Page) -> None:
    # every one was listed: 2,000 unknown keys left the panels 0 px tall, and a copied
    # large-type link pasted twice at 1024x768 left the picture a 166 px strip
    page.set_viewport_size({"width": 1024, "height": 768})
    keys = "&".join(f"k{n}x=1" for n in range(2000))
    open_page(page, f"?preset=cs231n-demo&t=3&{keys}")
    expect(page.locator("#error-general")).to_have_text(
        "The link's " + ", ".join(f"k{n}x (no such key)" for n in range(8))
        + " and 1,992 more were left out.")
    assert page.locator("#volumes").bounding_box()["height"] > 300  # type: ignore[index]
    cells = ";".join(f"X{n}.0.0%3D1" for n in range(9, 3009))
    page.goto(f"/?preset=cs231n-demo&edits={cells}")
    expect(page.locator("#error-data")).to_have_text(
        ", ".join(f"X[{n},0,0]" for n in range(9, 17)) + " and 2,992 more are not cells of "
        "this layer: those edits are left out.", timeout=30_000)
    assert page.locator("#volumes").bounding_box()["height"] > 300  # type: ignore[index]


def test_a_key_added_to_a_copied_link_counts_and_a_link_pasted_twice_says_nothing(
    page: Page,
) -> None:
    # "&embed=1" added to a copied link, as the README says to, was the second of a key
    # given twice (when a link named every key, embed=0 among them), left out with a red note
    open_page(page, "?preset=cs231n-demo&t=4&embed=0&large=0")
    copied = page.url.split("?", 1)[1] + "&embed=0&large=0"
    open_page(page, f"?{copied}&embed=1&large=1&t=7")
    expect(page.locator(".masthead")).to_be_hidden()  # the picture and the transport only
    expect(page.locator("#copy-link")).to_be_hidden()
    expect(page).to_have_url(re.compile(r"[?&]t=7&.*embed=1.*large=1"))
    expect(page.locator("#error-general")).to_have_text("")
    # the same link twice over (pasted twice): every key the same, nothing to say
    open_page(page, "?preset=cs231n-demo&t=4")
    copied = page.url.split("?", 1)[1]
    open_page(page, f"?{copied}&{copied}")
    expect(page.locator("#error-general")).to_have_text("")
    expect(page).to_have_url(re.compile(r"[?&]t=4(&|$)"))


@pytest.mark.parametrize(("pin", "said"), [
    ("V2.3.1", "V[2,3,1] is not in this layer (its output is 3x3x2, its input 5x5x3)"),
    ("x5.0", "X[5,0,:] is not in this layer"),
    ("q7", 'The pin "q7" names no neuron'),
])
def test_a_links_pin_the_layer_does_not_have_is_said_and_let_go(
    page: Page, pin: str, said: str
) -> None:
    # the README's own pin=V2.3.1 on the demo (output 3x3x2) was dropped without a word
    open_page(page, f"?preset=cs231n-demo&pin={pin}")
    expect(page.locator("#error-general")).to_contain_text(said)
    expect(page.locator("#app")).to_have_attribute("data-shown-step", "0")
    expect(page).to_have_url(re.compile(r"^(?!.*[?&]pin=)"))  # let go: an empty pin
    open_page(page, "?preset=cs231n-demo&pin=o2.2.1")  # one it has: pinned, nothing said
    expect(page.locator("#error-general")).to_have_text("")
    assert url_key(page.url, "pin") == "o2.2.1", page.url


def test_a_links_step_past_the_last_is_said_and_the_last_shown(page: Page) -> None:
    # t=99 on the demo's 18 steps showed step 18 without a word, where a bad pin is said
    open_page(page, "?preset=cs231n-demo&t=99")
    expect(page.locator("#error-general")).to_contain_text(
        "The link's t=99 (step 100) is past this layer's 18 steps: the last is shown.")
    expect(page.locator("#t-label")).to_contain_text("step 18 of 18")
    expect(page).to_have_url(re.compile(r"[?&]t=17(&|$)"))
    # a layer made smaller on the page takes its last step without a word
    open_page(page, "?preset=cs231n-demo&t=17")
    page.locator("#f-k").fill("1")
    page.locator("#f-k").press("Enter")
    expect(page.locator("#t-label")).to_contain_text("of 9")
    expect(page.locator("#error-general")).to_have_text("")
    # nor one whose link the server refused (too much work), whatever its t: the link's
    # step was that layer's to check
    page.goto("/?h=512&w=512&d=64&k=512&f=3&t=999999999")
    expect(page.locator("#refused-note")).to_be_visible(timeout=30_000)
    for box in ("#in-d", "#f-k"):
        page.locator(box).fill("1")
        page.locator(box).press("Enter")
    expect(page.locator("#t-label")).to_contain_text("step 260,100 of 260,100", timeout=30_000)
    expect(page.locator("#error-general")).not_to_contain_text("The link's t=")


def test_the_picker_says_a_changed_layer_is_your_own_and_picking_the_preset_restores_it(
    page: Page, api: httpx.Client
) -> None:
    open_page(page, "?preset=cs231n-demo")
    picker = page.get_by_label("Preset")
    expect(picker).to_have_value("cs231n-demo")
    page.get_by_label("Input height H").fill("7")
    page.get_by_label("Input height H").press("Enter")
    expect(page.locator("#output-shape")).to_have_text("4x3x2")
    # the picker no longer claims the demo's 5x5 input; it names where the layer came from
    expect(picker).to_have_value("")
    title = api.get("/api/presets/cs231n-demo").json()["title"]
    expect(picker.locator("option:checked")).to_have_text(f"Your own layer, from: {title}")
    # so picking the demo is a change, and brings its layer back (it was a no-op before)
    picker.select_option("cs231n-demo")
    expect(page.locator("#output-shape")).to_have_text("3x3x2")
    expect(page.get_by_label("Input height H")).to_have_value("5")
    expect(picker).to_have_value("cs231n-demo")


def test_a_hand_written_image_link_opens_the_image_through_the_bank(page: Page) -> None:
    open_page(page, "?image=stripes&bank=sobel&t=7")
    expect(page.locator("#output-shape")).to_have_text("62x62x2", timeout=30_000)
    expect(page.get_by_label("Sample image", exact=True)).to_have_value("stripes")
    expect(page.get_by_label("Filter bank", exact=True)).to_have_value("sobel")
    assert "image=stripes" in page.url and "bank=sobel" in page.url and "act=relu" in page.url
    expect(page.locator("#t-label")).to_contain_text("step 8 of")
    # the picker names the image and the bank, not the demo the link's sizes started from,
    # short enough for its box (the description under it says them in full)
    expect(page.get_by_label("Preset").locator("option:checked")).to_have_text(
        'Image "stripes", bank "sobel"')


def test_an_old_image_layer_link_opens_as_image_and_bank(page: Page) -> None:
    page.goto("/?preset=img.stripes.prewitt&t=5")
    expect(page.locator("#output-shape")).to_have_text("62x62x2", timeout=30_000)
    expect(page.get_by_label("Sample image", exact=True)).to_have_value("stripes")
    expect(page.get_by_label("Filter bank", exact=True)).to_have_value("prewitt")
    assert "image=stripes" in page.url and "bank=prewitt" in page.url
    assert "preset=img." not in page.url
    expect(page.locator("#t-label")).to_contain_text("step 6 of")


def png_bytes(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8), "RGB").save(buffer, "PNG")
    return buffer.getvalue()


def test_an_upload_stays_in_the_tab_and_the_page_says_so(
    page: Page, artifacts: Path
) -> None:
    page.goto("/")
    expect(page.locator("#images-panel")).to_have_attribute("aria-busy", "false", timeout=30_000)
    note = page.locator("#image-upload-note")
    expect(note).not_to_contain_text("Your upload")
    pixels = np.random.default_rng(3).integers(0, 256, size=(12, 16, 3))
    page.get_by_label(re.compile("upload a PNG or JPEG")).set_input_files(
        {"name": "tiny.png", "mimeType": "image/png", "buffer": png_bytes(pixels)})
    expect(page.locator("#output-shape")).to_have_text("10x14x2", timeout=30_000)
    expect(note).to_be_visible()
    expect(note).to_contain_text("Your upload stays in this tab")
    assert "image=upload" in page.url
    page.screenshot(path=str(artifacts / "images-upload.png"), full_page=True)
    page.reload()
    expect(page.get_by_role("alert")).to_contain_text("cannot be kept in a link", timeout=30_000)
    expect(page.get_by_label("Sample image", exact=True)).to_have_value("vertical-edge")
    expect(page.locator("#output-shape")).to_have_text("62x62x2", timeout=30_000)


def test_weights_typed_in_the_bank_box_become_edits_over_the_bank(
    page: Page, api: httpx.Client
) -> None:
    page.goto("/?preset=img.vertical-edge.sobel")
    expect(page.locator("#output-shape")).to_have_text("62x62x2", timeout=30_000)
    bodies = layer_bodies(page)
    page.get_by_text("Edit the bank's weights").click()
    box = page.get_by_label("Filter bank weights and biases (JSON)")
    typed = json.loads(box.input_value())
    bank = api.get("/api/filter-banks/sobel").json()
    assert typed == {"values": bank["values"], "bias": bank["bias"]}
    typed["values"][0][1][1][0] = 2
    typed["bias"][1] = -0.5
    box.fill(json.dumps(typed))
    page.get_by_role("button", name="Apply weights").click()
    expect(page.locator("#edits-list")).to_have_text(
        "2 edited values: W0[1,1,0] = 2, b1 = -0.5", timeout=30_000)
    expect(page.locator("#app")).to_have_attribute("aria-busy", "false", timeout=30_000)
    spec = layer_of(bodies[-1])
    assert spec["filters"]["bank"] == "sobel"
    assert spec["edits"] == [{"array": "filters", "index": [0, 1, 1, 0], "value": 2},
                             {"array": "bias", "index": [1], "value": -0.5}]
    expect(box).to_have_value(json.dumps(typed, separators=(",", ":")))
    page.get_by_role("button", name="Reset to the bank").click()
    expect(page.locator("#edits-list")).to_have_text("")
    # the layer without the edits drawn: its drawing writes the bank's numbers into the box,
    # over a text typed before it lands
    expect(page.locator("#app")).to_have_attribute("aria-busy", "false", timeout=30_000)
    assert json.loads(box.input_value()) == {"values": bank["values"], "bias": bank["bias"]}
    # a refused text, then Reset: the bank's numbers back in the box and the error gone (with
    # no edit to drop, nothing was drawn again and both stayed)
    box.fill("{oops")
    page.get_by_role("button", name="Apply weights").click()
    expect(page.locator("#image-message")).to_contain_text("not valid JSON")
    expect(box).to_have_attribute("aria-invalid", "true")
    page.get_by_role("button", name="Reset to the bank").click()
    expect(page.locator("#image-message")).to_have_text("")
    expect(box).to_have_attribute("aria-invalid", "false")
    assert json.loads(box.input_value()) == {"values": bank["values"], "bias": bank["bias"]}


def test_setting_a_size_the_bank_decides_lets_go_of_the_bank_but_keeps_the_image(
    page: Page,
) -> None:
    page.goto("/?preset=img.vertical-edge.sobel")
    expect(page.locator("#output-shape")).to_have_text("62x62x2", timeout=30_000)
    page.get_by_label("Filters K").fill("3")
    page.get_by_label("Filters K").press("Enter")
    expect(page.locator("#output-shape")).to_have_text("62x62x3", timeout=30_000)
    expect(page.get_by_label("Filter bank", exact=True)).to_have_value("")
    expect(page.get_by_label("Sample image", exact=True)).to_have_value("vertical-edge")
    assert "bank=" not in page.url and "image=vertical-edge" in page.url, page.url
    expect(page.get_by_role("img", name="filter 2 activation map after ReLU")).to_be_visible()


def test_the_strips_letters_f_s_and_p_set_every_axis_in_a_hand_written_link(page: Page) -> None:
    # the notes' F = 3, S = 2, P = 1 written as the strip spells them (p and f were ignored)
    open_page(page, "?preset=seven-stride-1&f=3&s=2&p=1")
    for key in ("fh=3", "fw=3", "sh=2", "sw=2", "pt=1", "pb=1", "pl=1", "pr=1"):
        assert f"&{key}&" in page.url, (key, page.url)
    # (7 - 3 + 2*1)/2 + 1 = 4
    expect(page.locator("#geometry-width")).to_contain_text("(7 - 3 + 2*1)/2 + 1 = 4")
    # a per-axis key beside a shorthand wins
    open_page(page, "?preset=seven-stride-1&p=1&pl=0&pr=0")
    assert "&pt=1&" in page.url and "&pl=0&" in page.url, page.url


@pytest.mark.parametrize("order", ["depth_slice", "depth_column"])
def test_the_pages_step_numbers_and_window_starts_are_the_apis(
    page: Page, api: httpx.Client, order: str
) -> None:
    # the page numbers a pinned neuron's step and places its window itself (a click answers
    # without a round trip): on an oblong, strided, padded layer both must be the API's
    bodies = layer_bodies(page)
    query = f"?preset=cs231n-demo&h=9&w=12&k=3&sh=2&sw=3&pt=1&pb=1&pl=2&pr=1&order={order}"
    for i, j, d in [(0, 0, 0), (3, 2, 1), (4, 3, 2), (1, 3, 0)]:
        open_page(page, f"{query}&pin=o{i}.{j}.{d}")
        layer = next(layer_of(b) for b in bodies if b["url"].endswith("/api/geometry"))
        want = api.post("/api/steps", json={"layer": layer, "position": [i, j, d],
                                            "order": order}).json()["steps"][0]
        label = page.locator("#t-label")
        expect(label).to_contain_text(f"pinned V[{i},{j},{d}] (step {want['t'] + 1:,})")
        # the pinned neuron's code line names the API's window: its rows and columns
        rows, cols = want["rows"], want["cols"]
        expect(page.locator("#numpy-code")).to_contain_text(
            f"Xp[{rows[0] or ''}:{rows[1]},{cols[0] or ''}:{cols[1]},:]")


def test_a_links_unknown_names_bad_edits_and_speeds_are_said_and_left_out(page: Page) -> None:
    # these opened some other view with no word: an unknown preset (the default layer), an
    # unknown image (the image layer's stride 1, no padding and ReLU on the default layer),
    # edits that are no cell's (kept in the link, drawn nowhere), a speed the menu does not
    # offer (it showed blank) and a loop that is neither on nor off
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    open_page(page, "?preset=nope&t=3")
    note = page.locator("#error-general")
    expect(note).to_contain_text('The link\'s preset "nope" is not one of ours')
    expect(page.locator("#t-label")).to_contain_text("step 4 of 18")  # its other keys kept
    open_page(page, "?image=nope")
    expect(note).to_contain_text('The link\'s image "nope" is unknown here')
    expect(page.locator("#output-shape")).to_have_text("3x3x2")  # the demo's own layer
    expect(page.locator("#input-shape")).to_contain_text("padded 7x7x3")  # its padding 1
    assert "&sh=2&" in page.url and "&act=none&" in page.url, page.url  # not the image's
    # a copied link (every key) naming it is not asked for either
    copied = page.url.split("?", 1)[1] + "&image=nope"
    open_page(page, "?" + copied)
    expect(note).to_contain_text('The link\'s image "nope" is unknown here')
    assert not any("/api/images/nope" in url for url in requested)  # not asked for: no 404
    open_page(page, "?preset=cs231n-demo&edits=garbage;X0.0.0%3D5;X1.2.0%3Dabc"
                    "&speed=7&loop=maybe&" + "k" * 300 + "=1")
    expect(note).to_contain_text('edits "garbage", "X1.2.0=abc" (each X<row>.<col>.<depth>=')
    expect(note).to_contain_text("speed=7 (1, 2, 5, 20, 100, 300 or 1000 steps a second)")
    expect(note).to_contain_text("loop=maybe (1 or 0)")
    expect(note).to_contain_text("k" * 20 + "… (no such key)")
    assert "k" * 21 not in note.inner_text()  # a long key is cut, as a long value is
    expect(page.locator("#sums")).to_contain_text("(-8)")  # X[0,0,0] = 5 is drawn
    assert url_key(page.url, "edits") == "X0.0.0=5", page.url  # and the link keeps it alone
    expect(page.locator("#t-speed")).to_have_value("2")
    # the words true and false are flags too, and said nothing
    open_page(page, "?preset=cs231n-demo&loop=true&lines=false")
    expect(page.get_by_label("Loop")).to_be_checked()
    expect(page.get_by_role("button", name="Lines")).to_have_attribute("aria-pressed", "false")
    expect(note).to_have_text("")
    # a flag's value is its own, not a name every object answers to (a function was ticked)
    open_page(page, "?preset=cs231n-demo&loop=toString&lines=constructor")
    expect(note).to_contain_text("loop=toString (1 or 0), lines=constructor (1 or 0)")
    expect(page.get_by_label("Loop")).not_to_be_checked()
    page.get_by_role("button", name="Step forward").click()
    # the defaults, which a link leaves out
    assert (url_key(page.url, "loop"), url_key(page.url, "lines")) == (None, None), page.url
    # the speeds a link may name are the menu's
    options = page.locator("#t-speed option").evaluate_all("os => os.map(o => o.value)")
    assert options == ["1", "2", "5", "20", "100", "300", "1000"]


def test_an_embedded_view_says_what_its_link_got_wrong(page: Page) -> None:
    # a frame shows no controls, so none of their messages: a refused layer's "why is in red
    # above" pointed at nothing, and an unknown image opened the default layer without a word
    page.goto("/?preset=alexnet-conv1&conn=local&embed=1")
    note = page.locator("#embed-note")
    expect(note).to_contain_text("Too big for this server: ", timeout=30_000)
    expect(note.locator(".why-text")).to_contain_text("Computing this layer would materialise")
    expect(note).to_be_visible()
    # the frame's layer fixed (its host going back to a good link): the note goes with it
    page.evaluate("""() => {
      history.pushState(null, "", "?preset=cs231n-demo&embed=1");
      dispatchEvent(new PopStateEvent("popstate"));
    }""")
    expect(page.locator("#numpy-code")).to_contain_text("np.sum", timeout=30_000)
    expect(note).to_have_text("")
    expect(note).to_be_hidden()
    open_page(page, "?image=nope&embed=1")
    expect(note).to_contain_text('The link\'s image "nope" is unknown here')
    open_page(page, "?preset=cs231n-demo&h=0&embed=1")  # a size no layer has, not sent
    expect(note).to_contain_text("h=0 (a whole number, 1 to 4,096)")
    # on the page itself the controls say it, not a second time
    open_page(page, "?image=nope")
    expect(page.locator("#error-general")).to_contain_text("unknown here")
    expect(note).to_be_hidden()


@pytest.mark.parametrize("query", ["?h=7&w=7", "?w=7", "?k=3", "?f=3", "?d=2"])
def test_any_size_without_a_preset_leaves_the_rest_at_the_apis_defaults(
    page: Page, query: str
) -> None:
    # only h did: ?w=7 kept the demo's stride 2 and padding 1 ((7 - 3 + 2*1)/2 + 1 = 4) where
    # the README says a link of sizes without a preset has stride 1 and no padding
    with page.expect_request(lambda request: "/api/forward" in request.url) as sent:
        page.goto(f"/{query}")
    layer = sent.value.post_data_json
    assert layer.get("stride", 1) in (1, [1], [1, 1]), layer
    assert layer.get("padding", 0) in (0, [0], [0, 0], [0, 0, 0, 0]), layer
    expect(page.locator("#app")).to_have_attribute("aria-busy", "false", timeout=30_000)
    expect(page.locator("#geometry-bar")).to_contain_text("2*0)/1 + 1")


def test_a_link_to_a_preset_a_smaller_server_leaves_out_says_which_sizes_refuse_it(
    page: Page, console_errors: list[str]
) -> None:
    # a server started with max_side 100 lists no AlexNet, and the page said of a link to it
    # that it was "not one of ours": its page and presets, as such a server serves them
    from fastapi.testclient import TestClient

    from app.config import Settings
    from app.main import create_app

    with TestClient(create_app(Settings(max_side=100, max_filters=40))) as small:
        html = small.get("/?preset=alexnet-conv1").text
        listed = small.get("/api/presets").json()
    assert "alexnet-conv1" not in [p["name"] for p in listed]
    page.route(re.compile(r"/\?preset=alexnet-conv1$"),
               lambda route: route.fulfill(body=html, content_type="text/html"))
    page.route("**/api/presets", lambda route: route.fulfill(json=listed))
    page.goto("/?preset=alexnet-conv1")
    expect(page.locator("#error-general")).to_have_text(
        "The link's preset \"alexnet-conv1\" is over this server's limits (the input's height is "
        "227, over this server's limit of 100 (CONVSCOPE_MAX_SIDE); the input's width is 227, "
        "over this server's limit of 100 (CONVSCOPE_MAX_SIDE); the number of filters is 96, over "
        "this server's limit of 40 (CONVSCOPE_MAX_FILTERS)): the default layer is shown with the "
        "link's other settings.", timeout=30_000)
    expect(page.locator("#output-shape")).to_have_text("3x3x2")
    # a name no server has is still no preset of ours; neither asked the server anything
    page.unroute("**/api/presets")
    page.goto("/?preset=lenet")
    expect(page.locator("#error-general")).to_have_text(
        "The link's preset \"lenet\" is not one of ours: the default layer is shown with the "
        "link's other settings.", timeout=30_000)
    assert console_errors == []
