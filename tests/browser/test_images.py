"""The Real images panel in headless Chromium: maps drawn equal /api/forward's, uploads made
here with Pillow are shown, and refusals show the server's own message.

Expected colours come from the page's documented scale (ColorBrewer PuOr stops, symmetric
about zero, each filter's two maps scaled to the largest |value| of its map before ReLU),
computed here in Python from the API's numbers.
"""

from __future__ import annotations

import base64
import io
import itertools
import re
from collections.abc import Callable
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Page, Route, expect
from refusal_words import over_budget

from app.config import Settings
from app.main import create_app
from tests.api.test_api_images import bomb_png
from tests.live_server import serving

pytestmark = pytest.mark.browser

STOPS = [(-1.0, (84, 39, 136)), (-0.5, (178, 171, 210)), (0.0, (247, 247, 247)),
         (0.5, (253, 184, 99)), (1.0, (179, 88, 6))]


def puor(value: float, max_abs: float) -> tuple[float, float, float]:
    x = max(-1.0, min(1.0, value / max_abs))
    for (x0, c0), (x1, c1) in itertools.pairwise(STOPS):
        if x <= x1:
            f = (x - x0) / (x1 - x0)
            return tuple(a + f * (b - a) for a, b in zip(c0, c1, strict=True))  # type: ignore[return-value]
    return STOPS[-1][1]


def array(compact: Any) -> np.ndarray:
    raw = base64.b64decode(compact["data"])
    return np.frombuffer(raw, dtype="<f4").reshape(compact["shape"]).astype(np.float64)


def canvas_rgb(page: Page, label: str) -> np.ndarray:
    """The canvas's own pixels (not the scaled screen), as (H, W, 3)."""
    data = page.get_by_role("img", name=label, exact=True).evaluate(
        "c => ({w: c.width, h: c.height, "
        "px: Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data)})"
    )
    return np.array(data["px"], dtype=float).reshape(data["h"], data["w"], 4)[:, :, :3]


def open_panel(page: Page) -> None:
    page.goto("/")
    expect(page.locator("#images-panel")).to_have_attribute("aria-busy", "false", timeout=30_000)


def test_the_panel_says_it_is_ready_only_once_a_chosen_file_is_read(page: Page) -> None:
    # the layer's first drawing said the panel was ready while its sample list was still on
    # its way and its controls unbound: a file chosen then was dropped, no answer, no message.
    # The list is held until the layer is drawn (held 1.5 s, the layer could come after it on
    # a busy machine, and the test pass without looking at that moment)
    held: list[Route] = []
    page.route("**/api/images", lambda route: held.append(route)
               if route.request.method == "GET" else route.continue_())
    page.goto("/")
    expect(page.locator("#numpy-code")).to_contain_text("np.sum", timeout=30_000)
    expect(page.locator("#app")).to_have_attribute("aria-busy", "false")
    assert held  # the layer is drawn, the sample list still on its way
    assert page.locator("#images-panel").get_attribute("aria-busy") == "true"
    for route in held:
        route.continue_()
    expect(page.locator("#images-panel")).to_have_attribute("aria-busy", "false", timeout=30_000)
    page.get_by_label(re.compile("upload a PNG or JPEG")).set_input_files(
        {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not an image at all"}
    )
    expect(page.get_by_role("alert")).to_contain_text("Refused:", timeout=10_000)


@pytest.mark.parametrize(("photo", "needed", "why"), [
    # an 8000x6000 photo's header was refused in the server's words alone: "Refused: the
    # image header declares 8000x6000 = 48,000,000 pixels, over this server's limit of
    # 40,000,000 (CONVSCOPE_MAX_IMAGE_PIXELS); nothing was decoded"
    (lambda: bomb_png(8000, 6000), lambda photo: 8000 * 6000,  # rows of zeros under its header
     "The image header declares 8000x6000 = 48,000,000 pixels, over this server's limit of "
     "{limit:,} (CONVSCOPE_MAX_IMAGE_PIXELS); nothing was decoded"),
    # a phone's 12 MB photo: "Refused: the body is over this server's limit of 10,485,760
    # bytes (CONVSCOPE_MAX_UPLOAD_BYTES)"
    (lambda: bomb_png(4000, 3000) + bytes(12_000_000), len,  # a header, then a photo's bytes
     "The body ({needed:,} bytes) is over this server's limit of {limit:,} bytes "
     "(CONVSCOPE_MAX_UPLOAD_BYTES)"),
], ids=["pixels", "bytes"])
def test_an_upload_over_a_limit_says_how_far_in_plain_words(
    page: Page, api: httpx.Client, photo: Callable[[], bytes], needed: Callable[[bytes], int],
    why: str,
) -> None:
    sent = photo()
    refused = api.post("/api/images", content=sent, headers={"content-type": "image/png"})
    ctx = refused.json()["detail"][0]["ctx"]
    assert ctx["needed"] == needed(sent)
    page.goto("/?image=stripes&bank=sobel")
    expect(page.locator("#images-panel")).to_have_attribute("aria-busy", "false", timeout=30_000)
    page.get_by_label(re.compile("upload a PNG or JPEG")).set_input_files(
        {"name": "photo.png", "mimeType": "image/png", "buffer": sent})
    said = page.locator("#image-message")
    lead = f"Too big for this server: {over_budget(ctx, 'it')}."
    expect(said).to_have_text(re.compile(rf"^{re.escape(lead)} Why\?"), timeout=10_000)
    assert "CONVSCOPE" not in said.evaluate("e => e.innerText")
    said.get_by_role("button", name="Why?").click()
    expect(said.locator(".why-text")).to_have_text(why.format(**ctx))


def test_an_upload_over_the_work_budget_says_how_far_in_plain_words(page: Page) -> None:
    # the server's sentence alone ("Refused: this request would cost 108,732,680 units of
    # work (each part weighed ...") where a layer over the budget led with how far over: the
    # upload's refusal gave no ctx to work it out from
    picture = png_bytes(np.zeros((300, 300, 3)))
    with serving(create_app(Settings(max_work=10_000_000))) as url:
        refused = httpx.post(f"{url}/api/images?encoding=compact", content=picture,
                             headers={"content-type": "image/png"})  # as the page asks
        ctx = refused.json()["detail"][0]["ctx"]
        assert ctx["setting"] == "CONVSCOPE_MAX_WORK", ctx
        page.goto(f"{url}/")
        expect(page.locator("#images-panel")).to_have_attribute("aria-busy", "false",
                                                                timeout=30_000)
        page.get_by_label(re.compile("upload a PNG or JPEG")).set_input_files(
            {"name": "flat.png", "mimeType": "image/png", "buffer": picture})
        said = page.locator("#image-message")
        lead = f"Too big for this server: {over_budget(ctx, 'it')}."
        expect(said).to_have_text(re.compile(rf"^{re.escape(lead)} Why\?"), timeout=10_000)
        said.get_by_role("button", name="Why?").click()
        expect(said.locator(".why-text")).to_contain_text(
            f"This request would cost {ctx['needed']:,} units of work")


def test_the_panel_is_not_left_busy_by_a_layer_that_does_not_fit(page: Page) -> None:
    # a link to a misfit drew no layer, and the panel said it was busy for good (a screen
    # reader may hold back a busy region's words)
    page.goto("/?preset=ten-stride-2-invalid")
    expect(page.locator("#geometry-bar")).to_have_attribute("data-fits", "no", timeout=30_000)
    expect(page.locator("#app")).to_have_attribute("aria-busy", "false")
    expect(page.locator("#images-panel")).to_have_attribute("aria-busy", "false")


def show_sobel_on_vertical_edge(page: Page) -> None:
    """Open the panel on the vertical-edge sample through the Sobel bank (its shape shown)."""
    open_panel(page)
    page.get_by_label("Sample image", exact=True).select_option("vertical-edge")
    page.get_by_label("Filter bank", exact=True).select_option("sobel")
    expect(page.locator("#image-shape")).to_have_text("64x64x3")


def forward_of(api: httpx.Client, image: str, bank: str) -> tuple[np.ndarray, np.ndarray]:
    picture = api.get(f"/api/images/{image}").json()
    filters = api.get(f"/api/filter-banks/{bank}").json()
    layer = {"input": picture["input"],
             "filters": {"count": filters["count"], "size": filters["size"],
                         "values": filters["values"], "bias": filters["bias"]},
             "activation": "relu"}
    answer = api.post("/api/forward?encoding=compact", json=layer)
    answer.raise_for_status()
    return array(answer.json()["output_pre"]), array(answer.json()["output"])


def test_sobel_x_maps_on_the_vertical_edge_equal_the_apis_forward(
    page: Page, api: httpx.Client
) -> None:
    show_sobel_on_vertical_edge(page)
    pre, post = forward_of(api, "vertical-edge", "sobel")
    max_abs = np.abs(pre[:, :, 0]).max()
    assert max_abs == pytest.approx(4.0, abs=1e-5)  # hand value: (1 + 2 + 1) * (1 - 0)
    for label, volume in (("before ReLU", pre), ("after ReLU", post)):
        drawn = canvas_rgb(page, f"sobel-x activation map {label}")
        assert drawn.shape == (62, 62, 3)
        expected = np.array([[puor(v, max_abs) for v in row] for row in volume[:, :, 0]])
        np.testing.assert_allclose(drawn, expected, atol=1.0)  # rounding of the blend
    # The edge columns 30 and 31 are the darkest orange; the rest is white (zero).
    drawn = canvas_rgb(page, "sobel-x activation map after ReLU")
    np.testing.assert_array_equal(drawn[5, 30], (179, 88, 6))
    np.testing.assert_array_equal(drawn[5, 10], (247, 247, 247))
    zeros = int((post[:, :, 0] == 0).sum())  # 62 * 60: all but the two edge columns
    assert zeros == 62 * 60
    figure = page.locator('#image-gallery figure[data-filter="0"]')
    expect(figure.locator(".gallery-zeros")).to_contain_text(
        f"{100 * zeros / (62 * 62):.1f}% ({zeros:,} of 3,844)"
    )


def test_clicking_a_map_steps_through_that_filter_as_the_pages_layer(
    page: Page, api: httpx.Client
) -> None:
    show_sobel_on_vertical_edge(page)
    page.get_by_role("img", name="sobel-y activation map before ReLU", exact=True).click()
    # depth_slice order: filter 1 starts after filter 0's 62 * 62 = 3,844 neurons.
    expect(page.locator("#t-label")).to_contain_text("step 3,845 of 7,688", timeout=30_000)
    expect(page.locator("#t-label")).to_be_in_viewport()  # and Play with it
    expect(page.get_by_role("button", name="Play")).to_be_in_viewport()
    assert "image=vertical-edge" in page.url and "bank=sobel" in page.url
    expect(page.locator("#numpy-code")).to_contain_text("W1", timeout=30_000)
    # The link alone brings the same layer and step back.
    page.reload()
    expect(page.locator("#t-label")).to_contain_text("step 3,845 of 7,688", timeout=30_000)
    expect(page.locator("#output-shape")).to_have_text("62x62x2")
    # from the keyboard, the focus goes with the view to Play (the gallery is drawn again:
    # it was left on <body>, where the next Space would play)
    page.get_by_role("button", name="Step through sobel-x").press("Enter")
    expect(page.locator("#t-label")).to_contain_text("step 1 of 7,688", timeout=30_000)
    expect(page.locator("#t-play")).to_be_focused()


def test_a_link_to_an_uploaded_image_says_it_reopens_with_a_sample(page: Page) -> None:
    page.goto("/?preset=img.upload.sobel")
    expect(page.get_by_role("alert")).to_contain_text("cannot be kept in a link", timeout=30_000)
    expect(page.locator("#output-shape")).to_have_text("62x62x2", timeout=30_000)


def test_a_framed_complete_link_to_an_upload_says_over_its_transport_what_it_shows(
    page: Page, api: httpx.Client
) -> None:
    # a frame shows no image panel and no controls: a link copied from a tab with an upload
    # opened a sample in a frame without a word (the panel said it, below the picture)
    page.goto("/?image=vertical-edge&bank=sobel")
    expect(page.locator("#app")).to_have_attribute("aria-busy", "false", timeout=30_000)
    expect(page).to_have_url(re.compile(r"[?&]image=vertical-edge(&|$)"))
    copied = page.url.replace("image=vertical-edge", "image=upload") + "&embed=1"
    assert "image=upload&" in copied and "preset=" in copied, copied
    page.goto(copied)  # a new tab has no upload
    note = page.locator("#embed-note")
    expect(note).to_have_text(
        'An uploaded image cannot be kept in a link: showing the sample "vertical-edge" instead.',
        timeout=30_000)
    expect(note).to_be_visible()
    # and what it says is what the frame shows: the sample through the link's bank
    _, output = forward_of(api, "vertical-edge", "sobel")
    expect(page.locator("#output-shape")).to_have_text("x".join(map(str, output.shape)))
    expect(page).to_have_url(re.compile(r"[?&]image=vertical-edge(&|$)"))


def png_bytes(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8), "RGB").save(buffer, "PNG")
    return buffer.getvalue()


def test_an_uploaded_png_is_shown_and_filtered(page: Page) -> None:
    rng = np.random.default_rng(7)
    pixels = rng.integers(0, 256, size=(20, 30, 3))
    open_panel(page)
    page.get_by_label(re.compile("upload a PNG or JPEG")).set_input_files(
        {"name": "noise.png", "mimeType": "image/png", "buffer": png_bytes(pixels)}
    )
    expect(page.locator("#image-shape")).to_have_text("20x30x3", timeout=30_000)
    expect(page.locator("#images-panel")).to_have_attribute("aria-busy", "false")
    np.testing.assert_array_equal(canvas_rgb(page, "The input image"), pixels)
    first = page.locator('#image-gallery figure[data-filter="0"] canvas').first
    expect(first).to_have_js_property("width", 28)  # 30 - 3 + 1 for a 3x3 bank


# (an upload over the byte limit is said in a few words first:
# test_an_upload_over_a_limit_says_how_far_in_plain_words)
@pytest.mark.parametrize(
    ("name", "mime", "body"),
    [
        ("notes.txt", "text/plain", b"not an image at all"),
        ("fake.png", "image/png", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
    ],
)
def test_a_refused_upload_shows_the_servers_message(
    page: Page, api: httpx.Client, name: str, mime: str, body: bytes
) -> None:
    answer = api.post("/api/images", content=body, headers={"content-type": mime})
    assert answer.status_code == 415
    server_message = answer.json()["detail"][0]["msg"]
    open_panel(page)
    page.get_by_label(re.compile("upload a PNG or JPEG")).set_input_files(
        {"name": name, "mimeType": mime, "buffer": body}
    )
    expect(page.get_by_role("alert")).to_contain_text(server_message, timeout=30_000)


def test_rounding_of_a_true_zero_is_drawn_and_counted_as_zero(
    page: Page, api: httpx.Client
) -> None:
    # Every row one colour: Sobel-x, which differences along the rows, is 0 at every neuron in
    # exact arithmetic, where floating point left ±1e-17 or so; drawn on a scale of that
    # noise the map was solid stripes ("scale ±9.02e-17"), and a neuron of +1e-17 was
    # counted as one ReLU let through. The engine settles such sums as 0 (engine/rounding.py).
    pixels = np.zeros((20, 40, 3), dtype=np.uint8)
    pixels[:10] = (30, 100, 90)
    pixels[10:] = (100, 90, 30)
    upload = api.post("/api/images", content=png_bytes(pixels),
                      headers={"content-type": "image/png"}).json()
    bank = api.get("/api/filter-banks/sobel").json()
    layer = {"input": upload["input"],
             "filters": {"count": 2, "size": 3, "values": bank["values"], "bias": bank["bias"]},
             "activation": "relu"}
    answer = api.post("/api/forward?encoding=compact", json=layer).json()
    pre = array(answer["output_pre"])
    assert (pre[:, :, 0] == 0).all()
    assert np.abs(pre[:, :, 1]).max() > 0.01  # the horizontal edge: a real response
    open_panel(page)
    page.get_by_label("Filter bank", exact=True).select_option("sobel")
    page.get_by_label(re.compile("upload a PNG or JPEG")).set_input_files(
        {"name": "two-rows.png", "mimeType": "image/png", "buffer": png_bytes(pixels)}
    )
    expect(page.locator("#image-shape")).to_have_text("20x40x3", timeout=30_000)
    for label in ("before ReLU", "after ReLU"):
        drawn = canvas_rgb(page, f"sobel-x activation map {label}")
        assert drawn.shape == (18, 38, 3)
        assert (drawn == (247, 247, 247)).all(), label  # the colour of 0
    stats = page.locator('#image-gallery figure[data-filter="0"] .gallery-zeros')
    expect(stats).to_have_text("zeros after ReLU: 100.0% (684 of 684); every value 0")
    expect(page.locator('#image-gallery figure[data-filter="1"] .gallery-zeros')).to_contain_text(
        "scale ±")


def test_back_and_forward_show_each_entrys_own_upload(page: Page) -> None:
    # Back after a second upload sent the second's 40x40 pixels under the first's 30x50
    # sizes: a 422 and a faded picture. Each entry keeps the upload it showed.
    rng = np.random.default_rng(3)
    first, second = rng.integers(0, 256, (30, 50, 3)), rng.integers(0, 256, (40, 40, 3))
    page.goto("/?image=stripes&bank=sobel")
    expect(page.locator("#images-panel")).to_have_attribute("aria-busy", "false", timeout=30_000)
    expect(page.locator("#image-shape")).to_have_text("64x64x3")
    chooser = page.get_by_label(re.compile("upload a PNG or JPEG"))
    for name, pixels in (("first.png", first), ("second.png", second)):
        chooser.set_input_files(
            {"name": name, "mimeType": "image/png", "buffer": png_bytes(pixels)})
        h, w = pixels.shape[:2]
        expect(page.locator("#image-shape")).to_have_text(f"{h}x{w}x3", timeout=30_000)

    def shows(pixels: np.ndarray | None, shape: str, name: str) -> None:
        expect(page.locator("#image-shape")).to_have_text(shape, timeout=30_000)
        expect(page.locator("#app")).to_have_attribute("aria-busy", "false", timeout=30_000)
        expect(page.locator("#image-sample option:checked")).to_contain_text(name)
        if pixels is not None:
            np.testing.assert_array_equal(canvas_rgb(page, "The input image"), pixels)
        assert not page.get_by_role("alert").filter(has_text="422").count()
        assert not page.locator(".error:visible, .refused:visible").filter(
            has_text="shape").count()

    page.go_back()
    shows(first, "30x50x3", "first.png")
    page.go_back()
    shows(None, "64x64x3", "stripes")
    page.go_forward()
    shows(first, "30x50x3", "first.png")
    page.go_forward()
    shows(second, "40x40x3", "second.png")


def test_a_layer_without_maps_shows_its_choices_and_no_earlier_maps(page: Page) -> None:
    # a stride of 2 on a 64x64 image under a 3x3 bank does not fit ((64 - 3)/2 + 1 = 31.5):
    # opened so, both choices said "none"; reached on the page, the stride-1 maps stayed
    page.goto("/?image=stripes&bank=sobel&s=2")
    expect(page.locator("#geometry-bar")).to_have_attribute("data-fits", "no", timeout=30_000)
    expect(page.locator("#app")).to_have_attribute("aria-busy", "false")
    expect(page.locator("#images-panel")).to_have_attribute("aria-busy", "false")
    expect(page.locator("#image-sample option:checked")).to_contain_text("stripes")
    expect(page.locator("#image-bank option:checked")).to_contain_text("Sobel")
    gallery = page.locator("#image-gallery")
    expect(gallery).to_contain_text("No activation maps: this layer does not fit")
    expect(gallery.locator("canvas")).to_have_count(0)

    page.goto("/?image=stripes&bank=sobel")
    expect(gallery.locator("canvas")).to_have_count(4, timeout=30_000)
    page.locator("#stride").fill("2")
    page.locator("#stride").press("Enter")
    expect(page.locator("#geometry-bar")).to_have_attribute("data-fits", "no", timeout=30_000)
    expect(gallery.locator("canvas")).to_have_count(0)
    expect(page.locator("#image-preview")).to_be_hidden()


def test_a_links_sizes_an_image_or_bank_replaces_are_said(page: Page) -> None:
    # the image's 64x64x3 and the bank's 2 filters of 3x3 replaced the link's own sizes
    # without a word
    page.goto("/?image=stripes&bank=sobel&h=32&w=32&k=5&f=5&conn=local&d=1")
    expect(page.locator("#app")).to_have_attribute("aria-busy", "false", timeout=30_000)
    note = page.locator("#error-general")
    expect(note).to_contain_text('The link\'s h=32, w=32, d=1 are not used: the image "stripes" '
                                 "sets h=64, w=64, d=3.")
    expect(note).to_contain_text('The link\'s k=5, fh=5, fw=5, conn=local are not used: the bank '
                                 '"sobel" sets k=2, fh=3, fw=3, conn=shared.')
    expect(page.locator("#output-shape")).to_have_text("62x62x2")
    # a copied link says nothing of the kind
    page.goto("/?" + page.url.split("?", 1)[1])
    expect(page.locator("#app")).to_have_attribute("aria-busy", "false", timeout=30_000)
    expect(page.locator("#output-shape")).to_have_text("62x62x2")
    expect(note).to_have_text("")
