"""Embedding (issue 10, section 5): ``?embed=1`` in an iframe of a course page served on another
port, driven by postMessage; the share buttons and fullscreen on the full page.

The embedding app is a second instance whose frame-ancestors setting names the course page's
origin (the session's own app allows no framing at all); a stranger page on a third port is
framed beside it and posts the same messages, which must do nothing.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from playwright.sync_api import Frame, Locator, Page, expect

from app.config import Settings
from app.main import create_app
from tests.browser.test_layout import SHOWN, open_view
from tests.browser.test_page import QUIET, neuron, url_key
from tests.live_server import serving

pytestmark = pytest.mark.browser

DEMO = "cs231n-demo"
# 5 steps a second: slow enough that a pause sent after two steps lands long before the
# demo's 18th, fast enough that a wrongly obeyed play moves within half a second.
QUERY = f"?preset={DEMO}&speed=5&embed=1"

PARENT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A course page</title></head>
<body>
<h1>Week 5: convolutional layers</h1>
<iframe id="scope" src="{app}/{query}" width="960" height="640" title="ConvScope"></iframe>
<script>
window.stepped = [];
window.ready = null;
window.strangerSent = false;
addEventListener("message", (event) => {{
  const type = event.origin === "{app}" ? event.data.type : "";
  if (type === "convscope:stepped") window.stepped.push(event.data);
  if (type === "convscope:ready") window.ready = event.data;
  if (event.origin === "{stranger}" && event.data === "sent") window.strangerSent = true;
}});
window.send = (message) =>
  document.getElementById("scope").contentWindow.postMessage(message, "{app}");
window.addStranger = () => {{
  const frame = document.createElement("iframe");
  frame.src = "{stranger}/stranger.html";
  document.body.append(frame);
}};
</script>
</body></html>
"""

# Framed beside ConvScope on a third origin, which the setting does not name.
STRANGER = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Someone else</title></head>
<body><script>
const scope = parent.frames[0];
scope.postMessage({type: "convscope:step", t: 9}, "*");
scope.postMessage({type: "convscope:play"}, "*");
parent.postMessage("sent", "*");
</script></body></html>
"""


def static_site(pages: dict[str, str]) -> ThreadingHTTPServer:
    """A threaded HTTP server on a free loopback port answering ``pages`` (path -> HTML)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path.split("?")[0])
            if body is None:
                self.send_error(404)
                return
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


README = Path(__file__).resolve().parents[2] / "README.md"


def readme_deck(app_url: str) -> str:
    """A slide deck made of the README's own example (its origin made this test's app), over
    a frame of the demo."""
    after = README.read_text(encoding="utf-8").split("A slide deck that follows the frame:")[1]
    snippet = after.split("```html\n", 1)[1].split("```", 1)[0]
    return ('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>A deck</title>'
            f'</head><body><iframe src="{app_url}/?preset={DEMO}&embed=1" width="960" '
            'height="640" title="ConvScope"></iframe>'
            f'{snippet.replace("https://convscope.example.edu", app_url)}</body></html>')


@dataclass(frozen=True)
class Site:
    app: str  # the ConvScope instance that may be framed by `parent`
    parent: str  # the course page's origin
    stranger: str  # an origin the setting does not name


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    pages: dict[str, str] = {}
    parent, stranger = static_site(pages), static_site(pages)
    parent_origin = f"http://127.0.0.1:{parent.server_address[1]}"
    stranger_origin = f"http://127.0.0.1:{stranger.server_address[1]}"
    try:
        with serving(create_app(Settings(frame_ancestors=(parent_origin,)))) as app_url:
            pages["/parent.html"] = PARENT.format(app=app_url, query=QUERY,
                                                  stranger=stranger_origin)
            pages["/stranger.html"] = STRANGER
            pages["/deck.html"] = readme_deck(app_url)
            pages["/misfit.html"] = PARENT.format(
                app=app_url, query="?preset=ten-stride-2-invalid&embed=1",
                stranger=stranger_origin)
            yield Site(app_url, parent_origin, stranger_origin)
    finally:
        for server in (parent, stranger):
            server.shutdown()
            server.server_close()


def open_parent(page: Page, site: Site) -> Frame:
    """Open the course page; return ConvScope's frame once it has drawn its first step."""
    page.set_viewport_size({"width": 1000, "height": 760})
    page.goto(f"{site.parent}/parent.html")
    page.wait_for_function("window.ready !== null && window.stepped.length > 0", timeout=30_000)
    frame = page.locator("#scope").element_handle().content_frame()
    assert frame is not None
    return frame


def stepped(page: Page) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = page.evaluate("window.stepped")
    return result


def wait_for_step(page: Page, t: int) -> dict[str, Any]:
    """The frame's `stepped` message for step t (waiting for it)."""
    page.wait_for_function(f"window.stepped.some((m) => m.t === {t})", timeout=10_000)
    return next(m for m in stepped(page) if m["t"] == t)


def shown_step(frame: Frame) -> int:
    return int(frame.locator("#app").get_attribute("data-shown-step") or "-1")


def api_step(app_url: str, t: int) -> dict[str, Any]:
    with httpx.Client(base_url=app_url, timeout=30) as client:
        layer = client.get(f"/api/presets/{DEMO}").json()["layer"]
        answer = client.post("/api/steps", json={"layer": layer, "start": t, "count": 1,
                                                 "order": "depth_slice"})
    step: dict[str, Any] = answer.json()["steps"][0]
    return step


def test_a_parent_steps_the_frame_and_hears_the_apis_value(page: Page, site: Site) -> None:
    frame = open_parent(page, site)
    first = stepped(page)[0]
    assert first["t"] == 0
    assert page.evaluate("window.ready.total") == 18
    for t in (7, 12):
        page.evaluate(f"window.send({{type: 'convscope:step', t: {t}}})")
        message = wait_for_step(page, t)
        expected = api_step(site.app, t)
        assert [message[key] for key in "ijd"] == [expected[key] for key in "ijd"]
        assert message["value"] == pytest.approx(expected["post"])
        expect(frame.locator("#t-label")).to_have_text(f"step {t + 1} of 18")
    # a t past the end is the last step, as the End key gives
    page.evaluate("window.send({type: 'convscope:step', t: 500})")
    assert wait_for_step(page, 17)["d"] == 1
    # the step already on show is answered too (a deck re-syncing its label heard nothing)
    heard = len(stepped(page))
    page.evaluate("window.send({type: 'convscope:step', t: 17})")
    page.wait_for_function(f"window.stepped.length > {heard}", timeout=10_000)
    assert stepped(page)[-1]["t"] == 17


def test_the_readmes_slide_deck_says_the_step_the_frame_shows(page: Page, site: Site) -> None:
    # its caption counted from 0 ("step 4: V[1,1,0] = -10") under a frame saying "step 5 of 18"
    page.set_viewport_size({"width": 1000, "height": 760})
    page.goto(f"{site.parent}/deck.html")
    frame = page.locator("iframe").element_handle().content_frame()
    assert frame is not None
    expect(frame.locator("#app")).to_have_attribute("data-shown-step", "0", timeout=30_000)
    page.evaluate("show(4)")  # the README's own function
    expect(frame.locator("#t-label")).to_have_text("step 5 of 18")
    step = api_step(site.app, 4)
    expect(page.locator("#said")).to_have_text(
        f"step 5: V[{step['i']},{step['j']},{step['d']}] = {step['post']:g}")


def test_the_parent_hears_the_steps_it_asks_for_while_the_pointer_rests_on_a_neuron(
    page: Page, site: Site
) -> None:
    # a hovered neuron was the one on show, and no `stepped` came until the pointer left
    frame = open_parent(page, site)
    frame.get_by_role("table", name="Output activation map 1").locator(".cell").nth(4).hover()
    expect(frame.locator("#numpy-code")).to_contain_text("V[1,1,1]")
    page.evaluate("window.send({type: 'convscope:step', t: 5})")
    assert wait_for_step(page, 5)["value"] == pytest.approx(api_step(site.app, 5)["post"])
    expect(frame.locator("#numpy-code")).to_contain_text("V[1,2,0]")  # step 5 is shown


def test_a_framed_misfit_is_ready_with_no_steps_and_links_out(page: Page, site: Site) -> None:
    page.set_viewport_size({"width": 1000, "height": 760})
    page.goto(f"{site.parent}/misfit.html")
    page.wait_for_function("window.ready !== null", timeout=30_000)
    assert page.evaluate("window.ready.total") == 0
    frame = page.locator("#scope").element_handle().content_frame()
    assert frame is not None
    out = frame.locator("#open-full")
    # a link from the start (it had no href until hovered: no link, and out of the Tab order)
    expect(out).to_have_attribute("href", re.compile(r"^(?!.*embed=).*preset=ten-stride-2-invalid"))
    # the frame has no formula bar: its note points to the full page, which has one
    note = frame.locator("#embed-note")
    expect(note).to_have_text("H2 = 4.5, W2 = 4.5: the layer does not fit; the full page "
                              "(ConvScope ↗) says why and what would fit")
    expect(frame.locator("#geometry-bar")).to_be_hidden()


def test_a_frames_note_of_its_links_mistakes_keeps_to_two_lines_and_goes_at_a_step(
    page: Page,
) -> None:
    # in a slide's frame it stayed through steps and play, and a long one took the picture's
    # room (the instructor review)
    page.set_viewport_size({"width": 400, "height": 360})  # a narrow slide's frame
    keys = "&".join(f"an-unknown-key-{n}=1" for n in range(9))
    page.goto(f"/?preset=cs231n-demo&t=4&embed=1&{keys}")
    note = page.locator("#embed-note")
    expect(note).to_contain_text("an-unknown-key-0 (no such key)", timeout=30_000)
    size = float(note.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
    height = note.bounding_box()["height"]  # type: ignore[index]
    assert note.evaluate("e => e.scrollHeight") > height  # it has more to say than it shows
    assert height <= 2 * 1.5 * size  # two lines
    page.locator("#t-forward").click()
    expect(page.locator("#numpy-code")).to_contain_text("V[1,2,0]")
    expect(note).to_be_hidden()


def test_play_reports_increasing_steps_and_pause_stops_them(page: Page, site: Site) -> None:
    frame = open_parent(page, site)
    # the pause sent by the course page as it hears the third step (not after a round trip to
    # the test, which a busy machine may make last until the demo's 18 steps have run out)
    page.evaluate("""() => new Promise((resolve) => {
      const pauseAtThree = () => {
        if (window.stepped.length < 3) return;
        removeEventListener("message", pauseAtThree);
        window.send({type: "convscope:pause"});
        resolve();
      };
      addEventListener("message", pauseAtThree);
      window.send({type: "convscope:play"});
    })""")
    expect(frame.get_by_role("button", name="Play")).to_be_visible()
    # the step the player stopped on may still be on its way from a busy server: it is shown,
    # and told, when it comes; what is heard and shown is taken after that
    label = re.match(r"step (\d+) of", frame.locator("#t-label").inner_text())
    assert label
    t = int(label.group(1)) - 1
    assert t < 17, t  # paused, not played out: a pause not obeyed runs on to the last step
    expect(frame.locator("#app")).to_have_attribute("data-shown-step", str(t))
    page.wait_for_function(f"window.stepped.at(-1).t === {t}", timeout=10_000)
    heard = [m["t"] for m in stepped(page)]
    # strictly increasing from the first step (a busy machine may show two steps in a frame)
    assert heard[0] == 0 and all(a < b for a, b in itertools.pairwise(heard))
    assert len(heard) >= 3
    paused_at = shown_step(frame)
    # three steps' time at 5 steps/s, and ten frames, of the frame's own clock (the test's
    # could end before a busy machine's player drew any step)
    frame.evaluate(QUIET, 600)
    assert shown_step(frame) == paused_at
    assert [m["t"] for m in stepped(page)] == heard


def test_messages_from_an_origin_not_configured_do_nothing(page: Page, site: Site) -> None:
    frame = open_parent(page, site)
    page.evaluate("window.addStranger()")
    page.wait_for_function("window.strangerSent", timeout=10_000)
    # the course page's own step comes after the stranger's two messages
    page.evaluate("window.send({type: 'convscope:step', t: 2})")
    wait_for_step(page, 2)
    # what a wrongly obeyed play at 5 steps/s would move in, and ten frames, of the frame's
    # own clock
    frame.evaluate(QUIET, 500)
    assert [m["t"] for m in stepped(page)] == [0, 2]
    assert shown_step(frame) == 2
    expect(frame.get_by_role("button", name="Play")).to_be_visible()


def test_embed_mode_shows_the_picture_and_transport_and_steps_by_keyboard(
    page: Page, site: Site, artifacts: Path
) -> None:
    frame = open_parent(page, site)
    hidden = (".masthead", "#preset", "#geometry", "#images-panel", "#copy-link", "#copy-embed",
              "#copy-call", "#theme-choice")
    shown = ("#transport", "#input-panel", "#filters-panel", "#output-panel", "#t-play", "#t-scrub")
    for selector in hidden:
        expect(frame.locator(selector)).to_be_hidden()
    for selector in shown:
        expect(frame.locator(selector)).to_be_visible()
    # The panels' explanations and their "?" toggles stay out of a frame: the course page says
    # what the picture shows, and a toggle for a text that is never shown would do nothing.
    # "Open in ConvScope" leads to the full page, explanations included.
    for selector in (".explain-toggle", ".what"):
        assert frame.locator(selector).count() >= 5, selector
        for node in frame.locator(selector).all():
            expect(node).to_be_hidden()
    # the masthead's h1 hidden, a frame still has one heading to start from (unseen)
    heading = frame.get_by_role("heading", level=1)
    expect(heading).to_have_count(1)
    expect(heading).to_have_text("ConvScope: a convolutional layer, step by step")
    page.screenshot(path=str(artifacts / "embed-in-a-course-page.png"))
    entries = page.evaluate("history.length")
    frame.locator("#input-title").click()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert wait_for_step(page, 2)["t"] == 2
    page.keyboard.press("End")
    wait_for_step(page, 17)
    # a frame's steps never become entries of the course page's history
    assert page.evaluate("history.length") == entries
    link = frame.get_by_role("link", name="Open in ConvScope")
    link.hover()
    href = link.get_attribute("href") or ""
    assert href.startswith(f"{site.app}/?") and url_key(href, "t") == "17"
    assert url_key(href, "embed") is None  # the full page: embed at its default, left out


class IframeTag(HTMLParser):
    """The attributes of the first <iframe> of some HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.attrs: dict[str, str | None] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "iframe" and not self.attrs:
            self.attrs = dict(attrs)


def test_copy_link_and_embed_code_copy_this_views_url(
    page: Page, base_url: str, artifacts: Path
) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    page.goto(f"/?preset={DEMO}&t=4")
    expect(page.locator("#app")).to_have_attribute("data-shown-step", "4", timeout=30_000)
    url = page.url
    assert url_key(url, "embed") is None and url_key(url, "t") == "4"
    picture = page.locator("#volumes").bounding_box()
    help_line = page.locator("#transport-what")
    covered = """([status, help]) => {
        const a = status.getBoundingClientRect(), b = help.getBoundingClientRect();
        return a.width > 1 && a.height > 1 && a.left < b.right && b.left < a.right
            && a.top < b.bottom && b.top < a.bottom;
    }"""
    row = page.locator("#copy-embed").bounding_box()
    page.locator("#copy-link").click()
    expect(page.locator("#share-status")).to_have_text("Copied the link.")
    # told on the button; the status (heard, not seen) no longer lies over the keys' help
    expect(page.locator("#copy-link")).to_have_text("Copied")
    assert not page.evaluate(covered, [page.locator("#share-status").element_handle(),
                                       help_line.element_handle()])
    assert page.locator("#copy-embed").bounding_box() == row  # the row kept its place
    expect(page.locator("#copy-link")).to_have_text("Copy link", timeout=5_000)
    # said over the page: the picture stays put (a status wrapping the tools' row moved it)
    assert page.locator("#volumes").bounding_box() == picture
    assert page.evaluate("navigator.clipboard.readText()") == url
    page.get_by_role("button", name="Copy embed code").click()
    # this server lets no site frame the page (the default): the snippet alone would show
    # the browser's refusal, so the copy says what to set
    expect(page.locator("#share-status")).to_have_text(
        "Copied the embed code. This server lets no site show it in a frame yet: start it with"
        " CONVSCOPE_FRAME_ANCESTORS set to your course site's origin.")
    assert page.locator("#volumes").bounding_box() == picture
    code = page.evaluate("navigator.clipboard.readText()")
    page.locator("#transport").screenshot(path=str(artifacts / "share-tools.png"))
    tag = IframeTag()
    tag.feed(code)
    assert code.endswith("</iframe>")
    # the view's own link, embedded: embed is the one key it adds (the page's link, at
    # the default, leaves it out)
    assert "embed=" not in url
    src = dict(parse_qsl(urlsplit(tag.attrs["src"]).query, keep_blank_values=True))
    assert src == {**dict(parse_qsl(urlsplit(url).query, keep_blank_values=True)), "embed": "1"}
    size = (tag.attrs["width"], tag.attrs["height"])
    assert size == ("1024", "640") and tag.attrs["loading"] == "lazy"
    # the whole layer, its padding too: a screen reader heard a different layer without it
    assert tag.attrs["title"] == "ConvScope: 5x5x3 input, 2 filters 3x3, stride 2, padding 1"
    # the snippet's address opens the same step, embedded
    page.goto(str(tag.attrs["src"]))
    expect(page.locator("#app")).to_have_attribute("data-shown-step", "4", timeout=30_000)
    expect(page.locator(".masthead")).to_be_hidden()
    expect(page.locator("#preset")).to_be_hidden()
    page.screenshot(path=str(artifacts / "embed-mode.png"))


def test_the_demo_embedded_at_the_snippets_size_shows_every_panel_whole(
    page: Page, base_url: str
) -> None:
    # at the old snippet's 960x640 the input's third slice and the products' last were under
    # their panels' feet: an audience saw half the layer without someone scrolling
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    open_view(page, f"?preset={DEMO}&t=4")
    page.get_by_role("button", name="Copy embed code").click()
    expect(page.locator("#share-status")).to_contain_text("Copied the embed code.")
    tag = IframeTag()
    tag.feed(page.evaluate("navigator.clipboard.readText()"))
    width, height = int(tag.attrs["width"] or 0), int(tag.attrs["height"] or 0)
    page.set_viewport_size({"width": width, "height": height})
    open_view(page, f"?preset={DEMO}&t=4&embed=1")
    page.evaluate(QUIET, 300)
    scrolling = page.locator("#volumes .panel-body").evaluate_all(
        "bodies => bodies.filter(b => b.offsetParent && b.scrollHeight > b.clientHeight + 2)"
        ".map(b => b.id)")
    assert scrolling == []
    expect(page.locator("#volumes .panel.more-below")).to_have_count(0)


def copied_call(page: Page) -> tuple[str, dict[str, Any]]:
    """Click "Copy curl"; the command's URL and its JSON body."""
    page.get_by_role("button", name="Copy curl").click()
    expect(page.locator("#share-status")).to_have_text("Copied the API call.")
    command = page.evaluate("navigator.clipboard.readText()")
    found = re.fullmatch(r"curl -s -X POST '([^']+)' -H 'Content-Type: application/json' "
                         r"-d '(.*)'", command)
    assert found is not None, command
    return found[1], json.loads(found[2].replace("'\\''", "'"))


@pytest.mark.parametrize(("query", "layer"), [
    # the demo as it is: its name alone
    (f"?preset={DEMO}&t=4", {"preset": DEMO}),
    # changed sizes, seed, order, an edit and the backward view: what differs, over the preset
    (f"?preset={DEMO}&t=7&h=7&w=7&seed=3&order=depth_column&mode=backward&edits=b1%3D3", None),
    # a layer that fits no preset's sizes
    ("?preset=alexnet-conv1&t=1000&act=relu&fill=uniform&seed=2", None),
    # an engineer's ResNet stem typed over the demo: every size said, none left to the demo's
    (f"?preset={DEMO}&t=5&h=224&w=224&d=3&k=64&f=7&s=2&p=3&fit=floor",
     {"preset": DEMO, "input": {"shape": [224, 224, 3]}, "filters": {"count": 64, "size": 7},
      "stride": 2, "padding": 3, "dilation": 1, "fit": "floor"}),
])
def test_copy_api_call_asks_the_api_for_the_step_on_show(
    page: Page, base_url: str, api: httpx.Client, query: str, layer: dict[str, Any] | None
) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    page.goto(query)
    t = url_key(base_url + query, "t")
    expect(page.locator("#app")).to_have_attribute("data-shown-step", t or "0", timeout=30_000)
    url, body = copied_call(page)
    assert url == f"{base_url}/api/steps"
    if layer is not None:
        assert body["layer"] == layer
    assert body["layer"]["preset"] in query and body["start"] == int(t or 0)
    answer = api.post("/api/steps", json=body)
    assert answer.status_code == 200, answer.text
    (step,) = answer.json()["steps"]
    # the same neuron and the same sum the page shows
    expect(page.locator("#numpy-code")).to_have_text(step["expression"])
    if "mode=backward" in query:
        assert step["upstream"] is not None and step["weight_gradient"] is not None


def test_copy_api_call_of_a_pinned_neuron_asks_for_that_neuron(
    page: Page, base_url: str, api: httpx.Client
) -> None:
    # the command asked for the playhead's V[0,0,0] while the arithmetic showed V[54,54,95]
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    page.goto("/?preset=alexnet-conv1&t=3&pin=o54.54.95")
    expect(page.locator("#numpy-code")).to_contain_text("V[54,54,95] = ", timeout=30_000)
    _, body = copied_call(page)
    assert body == {"layer": {"preset": "alexnet-conv1"}, "position": [54, 54, 95]}
    (step,) = api.post("/api/steps", json=body).json()["steps"]
    expect(page.locator("#numpy-code")).to_have_text(step["expression"])


def test_copy_api_call_of_a_pinned_input_cell_asks_for_its_readers(
    page: Page, base_url: str, api: httpx.Client
) -> None:
    # the arithmetic named X[1,2,:]'s readers and the command asked for the playhead's step
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    page.goto(f"/?preset={DEMO}&mode=backward&pin=x1.2")
    sums = page.locator("#sums")
    expect(sums).to_contain_text("X[1,2,:] (Xp[2,3,:]) is read by", timeout=30_000)
    url, body = copied_call(page)
    assert url == f"{base_url}/api/inverse"
    assert body == {"layer": {"preset": DEMO}, "cell": [1, 2]}
    taps = api.post("/api/inverse", json=body).json()["taps"]
    for i, j in {(tap["i"], tap["j"]) for tap in taps}:  # the readers the page names
        expect(sums).to_contain_text(f"V[{i},{j},:]")


def test_copy_api_call_of_a_misfit_asks_for_its_geometry(
    page: Page, base_url: str, api: httpx.Client
) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    page.goto(f"/?preset={DEMO}&h=6&w=6")
    expect(page.locator("#app")).to_have_class(re.compile(r"\bmisfit\b"), timeout=30_000)
    url, body = copied_call(page)
    assert url == f"{base_url}/api/geometry"
    # sizes of its own: every size said, the stride and padding that make it a misfit too
    # (the demo's, which the command left to the preset)
    assert body == {"preset": DEMO, "input": {"shape": [6, 6, 3]},
                    "filters": {"count": 2, "size": 3}, "stride": 2, "padding": 1, "dilation": 1}
    answer = api.post("/api/geometry", json=body).json()
    assert answer["valid"] is False and "3.5 is not an integer" in answer["error"]["message"]


def test_without_a_clipboard_the_text_is_selected_in_a_field(page: Page, artifacts: Path) -> None:
    # As on plain http from a LAN address: not a secure context, so no clipboard API at all.
    page.add_init_script(
        "Object.defineProperty(Navigator.prototype, 'clipboard', { get: () => undefined })"
    )
    page.goto(f"/?preset={DEMO}&t=2")
    expect(page.locator("#app")).to_have_attribute("data-shown-step", "2", timeout=30_000)
    page.get_by_role("button", name="Copy link").click()
    field = page.get_by_label("To copy:")
    expect(field).to_be_visible()
    expect(field).to_have_value(page.url)
    expect(page.locator("#share-status")).to_contain_text("the link is selected")
    selected = page.evaluate(
        "(() => { const f = document.activeElement;"
        " return [f.id, f.selectionStart, f.selectionEnd, f.value.length]; })()"
    )
    assert selected[:2] == ["share-text", 0] and selected[2] == selected[3]
    page.locator("#transport").screenshot(path=str(artifacts / "share-fallback.png"))


def test_fullscreen_shows_the_picture_and_its_label_follows(page: Page, artifacts: Path) -> None:
    page.goto(f"/?preset={DEMO}")
    expect(page.locator("#app")).to_have_attribute("data-shown-step", "0", timeout=30_000)
    page.get_by_role("button", name="Fullscreen", exact=True).click()
    expect(page.get_by_role("button", name="Exit fullscreen")).to_be_visible()
    assert page.evaluate("document.fullscreenElement.id") == "app"
    # (the controls outside #app stay laid out under the fullscreen layer: not checkable)
    # the notes' arithmetic stays in view for a class: the formula and the counts
    expect(page.locator("#geometry-height")).to_be_visible()
    expect(page.locator("#geometry-height")).to_contain_text("(5 - 3 + 2*1)/2 + 1 = 3")
    expect(page.locator("#count-params")).to_be_visible()
    expect(page.locator("#output-panel")).to_be_visible()
    toggles = page.locator(".explain-toggle")
    assert toggles.count() >= 4  # one per panel: none would pass the loop below
    for toggle in toggles.all():  # as in a frame: the picture only
        expect(toggle).to_be_hidden()
    # the connection lines are drawn in it (their layer hung off the body, outside #app, and
    # Fullscreen showed none though Lines stayed on)
    assert page.evaluate(
        "document.fullscreenElement.contains(document.querySelector('svg.connections'))")
    expect(page.locator("svg.connections .conn-out line")).to_have_count(1)
    page.screenshot(path=str(artifacts / "fullscreen.png"))
    page.keyboard.press("Escape")
    expect(page.get_by_role("button", name="Fullscreen", exact=True)).to_be_visible()
    assert page.evaluate("document.fullscreenElement") is None
    expect(page.locator("#preset")).to_be_visible()
    expect(page.locator("#geometry")).to_be_visible()


def test_origins_are_matched_as_frame_ancestors_reads_them(page: Page) -> None:
    page.goto(f"/?preset={DEMO}")
    cases = [
        ("https://lms.example.edu", ["https://lms.example.edu"], True),
        ("https://lms.example.edu:443", ["https://lms.example.edu"], True),  # the default port
        ("https://lms.example.edu:8443", ["https://lms.example.edu"], False),
        ("http://lms.example.edu", ["https://lms.example.edu"], False),
        ("https://a.b.example.edu", ["https://*.example.edu"], True),
        ("https://example.edu", ["https://*.example.edu"], False),
        ("https://evilexample.edu", ["https://*.example.edu"], False),
        ("https://lms.example.edu.evil.org", ["https://lms.example.edu"], False),
        ("null", ["https://lms.example.edu", "self"], False),  # a sandboxed frame
        (page.evaluate("location.origin"), ["self"], True),
        ("https://lms.example.edu", [], False),
    ]
    answers = page.evaluate(
        """async (cases) => {
            const { originAllowed } = await import("/static/js/embed.js");
            return cases.map(([origin, patterns]) => originAllowed(origin, patterns));
        }""",
        [[origin, patterns] for origin, patterns, _ in cases],
    )
    assert answers == [allowed for _, _, allowed in cases]


def test_a_slides_16_by_9_frame_keeps_the_four_panels_a_sideways_phone_does_not(
    page: Page, artifacts: Path
) -> None:
    # 800x450, a slide's usual frame: under 561 px tall, which on a full page means a phone held
    # sideways (the phone layout showed the input volume only); a frame keeps the one screen.
    def shown(node: Locator, what: str) -> None:
        assert node.count() >= 1, what
        assert node.first.evaluate(SHOWN) == "shown", what

    page.set_viewport_size({"width": 800, "height": 450})
    for preset, t in (("cs231n-demo", 4), ("alexnet-conv1", 4000)):
        open_view(page, f"?preset={preset}&t={t}&embed=1")
        assert page.evaluate("[scrollY, document.scrollingElement.scrollHeight]") == [0, 450]
        for selector in ("#transport", "#t-play", "#t-scrub", "#numpy-code", "#sums"):
            shown(page.locator(selector), f"{preset}: {selector}")
        # two rows of controls, no third: the lines' key took one, from the picture
        transport = page.locator("#transport").bounding_box()
        assert transport is not None and transport["height"] <= 90, transport
        field = page.locator("#input-grids .field-box:visible")
        slice0 = page.get_by_role("img", name=re.compile(r"^Input depth slice 0"))
        shown(field if field.count() else slice0, f"{preset}: the field's outline")
        bank = page.locator(".bank-active")
        if bank.count():  # 96 filters on one canvas: the active row, wider than the panel
            row, grids = bank.bounding_box(), page.locator("#filter-grids").bounding_box()
            assert row is not None and grids is not None
            assert grids["x"] <= row["x"] < grids["x"] + grids["width"], f"{preset}: {row}"
            bottom = grids["y"] + grids["height"]
            assert grids["y"] <= row["y"] and row["y"] + row["height"] <= bottom, preset
        else:
            shown(page.locator(".filter.active"), f"{preset}: active filter")
        neuron = page.locator("#output-grids .cell.mark-current")
        if neuron.count():
            shown(neuron, f"{preset}: current output neuron")
        else:  # the atlas of 96 maps, taller than the panel, which scrolls it inside itself
            atlas = page.get_by_role("img", name=re.compile(r"^Output volume")).bounding_box()
            assert atlas is not None and atlas["x"] >= 0 and atlas["x"] + atlas["width"] <= 800
            assert 0 <= atlas["y"] < 450, f"{preset}: the output atlas at {atlas}"
        page.screenshot(path=str(artifacts / f"embed-{preset}-800x450.png"))
    # the same height on a full page (no touch, so only the size decides): the phone layout
    page.set_viewport_size({"width": 844, "height": 390})
    open_view(page, "?preset=cs231n-demo&t=4")
    lefts = {round(box["x"]) for box in (page.locator(f"#{name}-panel").bounding_box()
                                         for name in ("input", "filters", "output")) if box}
    assert len(lefts) == 1, f"panels side by side at x = {lefts}"
    assert page.evaluate("document.scrollingElement.scrollWidth") == 844
    expect(page.get_by_role("button", name="More step and view controls")).to_be_visible()


@pytest.mark.parametrize(("width", "height"), [(700, 400), (640, 360), (599, 400)])
def test_a_small_frame_keeps_the_pinned_neurons_panels_side_by_side(
    page: Page, api: httpx.Client, artifacts: Path, width: int, height: int
) -> None:
    # A 700x400 frame took the one-column layout: it showed the input volume alone, and the
    # pinned neuron's arithmetic and output lay below the frame's foot. From 600 px wide a
    # frame keeps the four panels; narrower, one column is the only way its numbers fit.
    page.set_viewport_size({"width": width, "height": height})
    open_view(page, "?preset=cs231n-demo&t=4&pin=o1.1.1&embed=1")
    lefts = [box["x"] for box in (page.locator(f"#{name}-panel").bounding_box()
                                  for name in ("input", "filters", "arithmetic", "output"))
             if box is not None]
    page.screenshot(path=str(artifacts / f"embed-pinned-{width}x{height}.png"))
    if width < 600:
        assert len(set(lefts)) == 1, f"one column: panels at x = {lefts}"
        return
    assert lefts == sorted(lefts) and len(set(lefts)) == 4, f"side by side: {lefts}"
    assert page.evaluate("[scrollY, document.scrollingElement.scrollHeight]") == [0, height]
    pinned = page.locator("#output-grids .cell.mark-current")
    expect(pinned).to_have_text(f"{neuron(api, 'cs231n-demo', 1, 1, 1):g}")
    box = pinned.bounding_box()
    assert box is not None and 0 <= box["y"] <= height - box["height"], box
    assert box["x"] + box["width"] <= width, box
    expect(page.locator("#numpy-code")).to_contain_text("V[1,1,1]")
    assert page.locator("#numpy-code").evaluate(SHOWN) == "shown"


@pytest.mark.parametrize(("width", "height"), [(640, 360), (700, 400)])
def test_a_small_frame_of_a_misfit_scrolls_no_panel_sideways(
    page: Page, width: int, height: int
) -> None:
    # at 640x360 the misfit's 3x3 weights kept 36 px cells in a 91 px panel (a slice wider
    # than the panel was taken for one that fits), and the output's note could not break
    # fit="floor": both scrolled sideways
    page.set_viewport_size({"width": width, "height": height})
    page.goto("/?preset=ten-stride-2-invalid&embed=1")
    expect(page.locator("#filter-grids .filter")).to_have_count(1, timeout=30_000)
    expect(page.locator("#output-grids .misfit-empty")).to_be_visible()
    sideways = page.locator(".panel-body").evaluate_all(
        "bodies => bodies.filter(b => b.offsetParent && b.scrollWidth > b.clientWidth + 1)"
        ".map(b => [b.id, b.scrollWidth, b.clientWidth])")
    assert sideways == []
    # the weights still show their numbers
    expect(page.locator("#filter-grids .cell").first).to_have_text(re.compile(r"^-?\d$"))


def test_copying_the_embed_code_where_framing_is_allowed_just_says_copied(
    page: Page, site: Site
) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.app)
    page.goto(f"{site.app}/?preset={DEMO}")
    expect(page.locator("#numpy-code")).to_contain_text("np.sum", timeout=30_000)
    page.get_by_role("button", name="Copy embed code").click()
    expect(page.locator("#share-status")).to_have_text("Copied the embed code.")


@pytest.mark.parametrize(("width", "height"), [(960, 640), (800, 450)])
def test_a_frames_step_label_says_the_pinned_neuron_whole(
    page: Page, width: int, height: int
) -> None:
    # in a 960x640 frame the label read "step 5 of 18 · pinn…": the audience could
    # not see which neuron was pinned; the scrubber gives way and the transport keeps its rows
    page.set_viewport_size({"width": width, "height": height})
    open_view(page, "?preset=cs231n-demo&t=4&embed=1")
    rows = page.locator("#transport").evaluate("e => e.getBoundingClientRect().height")
    open_view(page, "?preset=cs231n-demo&t=4&pin=o1.2.1&embed=1")
    label = page.locator("#t-label")
    expect(label).to_have_text("step 5 of 18 · pinned V[1,2,1] (step 15)")
    assert label.evaluate("e => e.scrollWidth <= e.clientWidth")  # no "…"
    assert page.locator("#transport").evaluate(
        "e => e.getBoundingClientRect().height") == pytest.approx(rows, abs=1)


@pytest.mark.parametrize(("size", "large"), [((960, 640), True), ((640, 400), False),
                                             ((640, 400), True)],
                         ids=["960x640-large", "640x400", "640x400-large"])
def test_a_pin_keeps_a_frames_transport_to_its_height(
    page: Page, size: tuple[int, int], large: bool
) -> None:
    # the label, measured by its whole text, took a row of its own when a neuron was pinned
    # (55.7 to 102.8 px at 960x640 in large type): the picture jumped down in the frame
    page.set_viewport_size({"width": size[0], "height": size[1]})
    query = f"?preset=alexnet-conv1&t=5001&embed=1{'&large=1' if large else ''}"
    open_view(page, query)
    alone = page.locator("#transport").bounding_box()
    open_view(page, query + "&pin=o54.54.95")
    label = page.locator("#t-label")
    expect(label).to_have_text("step 5,002 of 290,400 · pinned V[54,54,95] (step 290,400)")
    pinned = label.locator(".t-part1")
    outer = label.bounding_box()
    box = pinned.bounding_box()
    assert outer and box and box["y"] + box["height"] <= outer["y"] + outer["height"] + 0.5
    assert pinned.evaluate("e => e.scrollWidth <= e.clientWidth")  # the pin's name whole
    assert page.locator("#transport").bounding_box() == alone


@pytest.mark.parametrize(("query", "size"), [
    ("?preset=cs231n-demo&pin=o1.2.1&large=1", (960, 640)),
    ("?preset=cs231n-demo&pin=o1.2.1&large=1", (800, 600)),
    ("?preset=cs231n-demo&pin=o1.2.1&large=1", (1280, 720)),
    ("?preset=alexnet-conv1&pin=o54.54.95", (960, 640)),
    ("?preset=alexnet-conv1&pin=o54.54.95", (800, 600)),
], ids=["demo-large-960x640", "demo-large-800x600", "demo-large-1280x720",
        "alexnet-960x640", "alexnet-800x600"])
def test_a_frames_step_label_never_cuts_a_longer_pin_note(
    page: Page, query: str, size: tuple[int, int]
) -> None:
    # capped at 40 % of the frame the label read "step 5 of 18 · pinned V[1,2,1] (step …" in
    # large type at 960x640 (the embed code carries large=1), and AlexNet's pin was cut in
    # normal type: "Step to it (step 15)" in the arithmetic said the step the label did not
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_view(page, f"{query}&t=4&embed=1")
    label = page.locator("#t-label")
    expect(label).to_contain_text("pinned V[")
    text = label.text_content() or ""
    assert re.fullmatch(r"step 5 of [\d,]+ · pinned V\[[\d,]+\] \(step [\d,]+\)", text), text
    assert label.evaluate("e => e.scrollWidth <= e.clientWidth"), text  # no "…"
    box = label.bounding_box()
    transport = page.locator("#transport").bounding_box()
    assert box is not None and transport is not None
    assert box["x"] + box["width"] <= transport["x"] + transport["width"], (box, transport)
    # the scrubber keeps a thumb's travel beside it
    scrub = page.locator("#t-scrub").bounding_box()
    assert scrub is not None and scrub["width"] >= 64, scrub


@pytest.mark.parametrize(("query", "size"), [
    ("?preset=alexnet-conv1&t=4&pin=o10.20.5", (960, 640)),
    ("?preset=alexnet-224", (960, 640)),  # a misfit: a narrower column
    ("?preset=alexnet-conv1&t=4000", (640, 360)), ("?preset=alexnet-224", (800, 450)),
])
def test_a_frames_filter_bank_keeps_its_biases_inside_the_panel(
    page: Page, query: str, size: tuple[int, int]
) -> None:
    # in a 960x640 frame AlexNet's bank canvas was 218 px in a 189 px panel: every
    # bias cut mid-digit ("b5 = 0.0326" for 0.03269); a misfit's 149 px showed "b0 = 0.0";
    # a 640x360 frame's 109 px keeps the slices and leaves the bias to the arithmetic
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(f"/{query}&embed=1")
    bank = page.locator("#filter-grids .bank canvas")
    expect(bank).to_be_visible(timeout=30_000)
    widths = page.evaluate("""() => [
        document.querySelector('#filter-grids .bank canvas').getBoundingClientRect().width,
        document.querySelector('#filter-grids').clientWidth]""")
    assert widths[0] <= widths[1], widths


@pytest.mark.parametrize(("fill", "whole"), [("", False), ("&fill=integers", True)])
def test_a_frames_products_show_the_whole_window_unless_cutting_it_keeps_numbers(
    page: Page, fill: str, whole: bool
) -> None:
    # in a 960x640 frame AlexNet's products (numbers like "-0.034", which need
    # more than the panel's 19 px a column) kept 24 px cells: 8 of 11 columns and no numbers.
    # A layer of whole numbers keeps 24 px: its products show there, and the panel scrolls.
    page.set_viewport_size({"width": 960, "height": 640})
    page.goto(f"/?preset=alexnet-conv1&t=4{fill}&embed=1")
    canvas = page.locator("#products .zoom-grid canvas").first
    expect(canvas).to_be_visible(timeout=30_000)
    width, room = page.evaluate("""() => [
        document.querySelector('#products .zoom-grid canvas').getBoundingClientRect().width,
        document.querySelector('#products').clientWidth]""")
    if whole:
        assert width == 11 * 24 > room, (width, room)
    else:
        assert width <= room, (width, room)


def test_after_a_clicked_fullscreen_space_plays_and_the_unfolded_tools_fold_again(
    page: Page,
) -> None:
    # a presenter clicked Fullscreen and pressed Space on the remote: the focused button
    # took it and left fullscreen; in large type the unfolded tools kept three rows on screen
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"/?preset={DEMO}&large=1&speed=5")
    expect(page.locator("#app")).to_have_attribute("data-shown-step", "0", timeout=30_000)
    page.locator("#t-more").click()
    expect(page.locator("#t-more")).to_have_attribute("aria-expanded", "true")
    page.get_by_role("button", name="Fullscreen", exact=True).click()
    page.wait_for_function("() => document.fullscreenElement?.id === 'app'")
    # folded away with the tools: Escape leaves, as the README says, or More unfolds it
    expect(page.locator("#t-more")).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Space")
    expect(page.locator("#t-play")).to_have_text("Pause")
    assert page.evaluate("document.fullscreenElement?.id") == "app"  # still fullscreen
    page.keyboard.press("Space")
    expect(page.locator("#t-play")).to_have_text("Play")


def test_fullscreen_fits_the_slices_again_where_the_window_keeps_its_size(page: Page) -> None:
    # A projector's browser already filling the screen (F11, a kiosk) does not resize the
    # window when the picture goes fullscreen; the folded controls gave the panels 130 px more
    # height, but the cells stayed as fitted before, and the demo's third input slice stayed
    # cut in large type at 1920 x 1080 (the headless browser keeps its size the same way)
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(f"/?preset={DEMO}&large=1")
    expect(page.locator("#app")).to_have_attribute("data-shown-step", "0", timeout=30_000)
    page.locator("#t-more").click()
    page.get_by_role("button", name="Fullscreen", exact=True).click()
    page.wait_for_function("() => document.fullscreenElement?.id === 'app'")
    whole = """() => {
      const body = document.querySelector('#input-grids').getBoundingClientRect();
      const slices = [...document.querySelectorAll('#input-grids figure.slice')];
      return slices.length === 3 && slices.every((s) => {
        const box = s.getBoundingClientRect();
        return box.top >= body.top && box.bottom <= body.bottom + 0.5;
      });
    }"""
    page.wait_for_function(whole, timeout=5_000)
    page.keyboard.press("Escape")  # out again: the room it had, the cells as fitted for it
    page.wait_for_function("() => !document.fullscreenElement")
    page.wait_for_function(f"() => !({whole})()", timeout=5_000)


def test_space_on_a_button_reached_by_keyboard_still_presses_it(page: Page) -> None:
    page.goto(f"/?preset={DEMO}")
    expect(page.locator("#app")).to_have_attribute("data-shown-step", "0", timeout=30_000)
    page.locator("#t-forward").focus()
    page.keyboard.press("Space")  # the button's own press: one step, no play
    expect(page.locator("#app")).to_have_attribute("data-shown-step", "1")
    expect(page.locator("#t-play")).to_have_text("Play")
    page.locator("#t-forward").click()  # a pointer's press gives the focus back: Space plays
    expect(page.locator("#app")).to_have_attribute("data-shown-step", "2")
    page.keyboard.press("Space")
    expect(page.locator("#t-play")).to_have_text("Pause")


@pytest.mark.parametrize(
    ("query", "control", "key"),
    [
        # Large type folded its own tools away and put the focus on More: Space opened it
        (f"?preset={DEMO}", "#large-type", "large"),
        # Loop kept the focus: Space unticked it again
        (f"?preset={DEMO}", "#t-loop", "loop"),
        # the zoom bar's + kept it: Space zoomed in again
        ("?preset=alexnet-conv1", "[aria-label='Zoom in on the output maps']", "zoom"),
    ],
    ids=["large-type", "loop", "zoom-in"],
)
def test_space_plays_after_a_pointer_uses_a_control(
    page: Page, query: str, control: str, key: str
) -> None:
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{query}&speed=1")
    expect(page.locator("#app")).to_have_attribute("data-shown-step", "0", timeout=30_000)
    before = page.url
    page.locator(control).click()
    page.wait_for_function(f"() => location.href !== {json.dumps(before)}")
    changed = url_key(page.url, key)
    assert changed is not None
    page.keyboard.press("Space")
    expect(page.locator("#t-play")).to_have_text("Pause")
    page.keyboard.press("Space")
    expect(page.locator("#t-play")).to_have_text("Play")
    assert url_key(page.url, key) == changed  # Space did not use the control again


def test_the_embed_codes_title_names_uneven_padding_and_dilation(
    page: Page, base_url: str
) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    page.goto(f"/?preset={DEMO}&pt=1&pb=1&pl=0&pr=2&dh=1&dw=2&t=0")
    expect(page.locator("#app")).to_have_attribute("data-shown-step", "0", timeout=30_000)
    page.get_by_role("button", name="Copy embed code").click()
    expect(page.locator("#share-status")).to_contain_text("Copied the embed code")
    tag = IframeTag()
    tag.feed(page.evaluate("navigator.clipboard.readText()"))
    assert tag.attrs["title"] == ("ConvScope: 5x5x3 input, 2 filters 3x3, stride 2, "
                                  "padding [1, 1, 0, 2], dilation 1x2")
    # one filter is "1 filter" (it said "1 filters")
    page.goto(f"/?preset={DEMO}&k=1&t=0")
    expect(page.locator("#app")).to_have_attribute("data-shown-step", "0", timeout=30_000)
    page.get_by_role("button", name="Copy embed code").click()
    expect(page.locator("#share-status")).to_contain_text("Copied the embed code")
    tag = IframeTag()
    tag.feed(page.evaluate("navigator.clipboard.readText()"))
    assert tag.attrs["title"] == "ConvScope: 5x5x3 input, 1 filter 3x3, stride 2, padding 1"


def test_a_frames_weights_in_large_type_are_never_smaller_than_in_normal_type(page: Page) -> None:
    # a 960x540 frame of the backward view in large type drew the demo's 3x3x3 weights in
    # 13 px cells, too small for their numbers, where normal type shows them at 18 px: the
    # filters' fit shrank the cells until the active filter fitted its short panel whole
    page.set_viewport_size({"width": 960, "height": 540})
    weights = page.get_by_role("table", name="Filter 0 depth slice 0").locator(".cell")

    def sizes() -> list[tuple[float, float, str]]:
        expect(page.locator("#backward-step")).to_contain_text("dW[0]")
        return weights.evaluate_all("""cells => cells.map((n) => [
            n.getBoundingClientRect().width, parseFloat(getComputedStyle(n).fontSize),
            n.textContent])""")

    open_view(page, "?preset=cs231n-demo&mode=backward&t=4&embed=1")
    normal = sizes()
    open_view(page, "?preset=cs231n-demo&mode=backward&t=4&embed=1&large=1")
    expect(page.locator("html")).to_have_attribute("data-large", "")
    large = sizes()
    assert all(text for _, _, text in normal), normal  # normal type shows every number
    for (width, font, text), (normal_width, normal_font, _) in zip(large, normal, strict=True):
        assert text, large  # ... and so does large type
        assert width >= normal_width and font >= normal_font, (large, normal)


@pytest.mark.parametrize("t", [4, 13], ids=["W0", "W1"])
def test_a_small_frames_backward_in_large_type_shows_the_active_filter_whole(
    page: Page, t: int
) -> None:
    # a 960x540 frame of the backward view in large type: the filters' 18 px cells wrap a
    # filter's three slices to two rows, and the stylesheet's two fifths of the column cut the
    # second row by 20 px. The filters now get the active filter's height, and the panels'
    # headings a little less type, so "Weight gradient" keeps one line and its first row of
    # slices stays whole under its text
    page.set_viewport_size({"width": 960, "height": 540})
    open_view(page, f"?preset=cs231n-demo&mode=backward&t={t}&embed=1&large=1")
    expect(page.locator("#backward-step")).to_contain_text(f"dW[{t // 9}]")
    active = page.locator("#filter-grids .filter.active")
    assert active.evaluate(SHOWN) == "shown"
    expect(active.locator(".grid")).to_have_count(3)  # none would pass the loop
    for grid in active.locator(".grid").all():
        assert grid.evaluate(SHOWN) == "shown", grid.get_attribute("aria-label")
        cell = grid.locator(".cell").first.bounding_box()
        assert cell is not None and cell["width"] >= 18, cell  # numbers readable
    for ch in (0, 1):
        grid = page.get_by_role("table", name=f"Contribution depth slice {ch}")
        assert grid.evaluate(SHOWN) == "shown", ch


def test_more_below_stays_one_line_in_a_small_large_type_frame(page: Page) -> None:
    # at 640x360 in large type the badge wrapped onto two lines and covered the panel's
    # last numbers
    page.set_viewport_size({"width": 640, "height": 360})
    page.goto("/?preset=cs231n-demo&t=4&embed=1&large=1")
    expect(page.locator("#numpy-code")).to_contain_text("np.sum", timeout=30_000)
    badges = page.locator("#volumes .panel.more-below")
    expect(badges.first).to_be_attached()
    heights = badges.evaluate_all(
        "ps => ps.map(p => { const s = getComputedStyle(p, '::after');"
        " return parseFloat(s.height) / parseFloat(s.lineHeight); })")
    assert heights and all(h < 1.5 for h in heights), heights


def test_a_narrow_panels_zoom_level_reads_as_one_line(page: Page) -> None:
    # in a 720x405 frame in large type the input and output panels left the level beside
    # their +, - and Fit a word wide: "0.4 px per cell" stood as a column, cut to "0 p p c"
    page.set_viewport_size({"width": 720, "height": 405})
    open_view(page, "?preset=alexnet-conv1&t=5001&embed=1&large=1")
    levels = page.locator("#volumes .zoom-level")
    expect(levels.first).to_have_text(re.compile(r"^[\d.]+ px per cell"))
    shapes = levels.evaluate_all("""ls => ls.filter(l => l.offsetParent).map(l => {
      const r = l.getBoundingClientRect();
      const panel = l.closest('.panel').getBoundingClientRect();
      // its height in font sizes: one line of normal line height is about 1.2
      return {ems: r.height / parseFloat(getComputedStyle(l).fontSize),
              inside: r.right <= panel.right + 0.5};
    })""")
    assert len(shapes) >= 2 and all(s["ems"] < 1.8 and s["inside"] for s in shapes), shapes


def test_a_body_squeezed_to_a_sliver_is_no_tab_stop(page: Page) -> None:
    # a 720x405 slide's frame in large type with a neuron pinned (800x450 until speed and
    # loop folded there, and the panels got the row they took): the products were a few px
    # tall, and Tab stopped on them (Chromium makes a scroller a tab stop), a focus ring
    # under the tag
    page.set_viewport_size({"width": 720, "height": 405})
    page.goto("/?preset=cs231n-demo&t=4&pin=o1.1.1&embed=1&large=1")
    expect(page.locator("#numpy-code")).to_contain_text("np.sum", timeout=30_000)
    products = page.locator("#products")
    assert products.evaluate("e => e.clientHeight") < 16  # the squeeze this test is about
    expect(products).to_have_attribute("tabindex", "-1")
    focused = set()
    for _ in range(40):
        page.keyboard.press("Tab")
        focused.add(page.evaluate("document.activeElement.id"))
    assert "products" not in focused
    # with room, the body is a scroller like any other (no tabindex of ours)
    page.set_viewport_size({"width": 1280, "height": 800})
    expect(products).not_to_have_attribute("tabindex", "-1")
    assert products.evaluate("e => e.clientHeight") >= 16


def test_the_backward_steps_sentence_is_never_cut_in_a_small_large_type_frame(
    page: Page,
) -> None:
    # 800x450 in large type: its four lines were capped at two fifths of the panel and
    # scrolled inside it, "db[0] += 0" under its foot with nothing saying so
    page.set_viewport_size({"width": 800, "height": 450})
    page.goto("/?preset=cs231n-demo&mode=backward&embed=1&large=1")
    step = page.locator("#backward-step")
    expect(step).to_contain_text("db[0] += ", timeout=30_000)
    height, whole = step.evaluate("e => [e.clientHeight, e.scrollHeight]")
    assert whole <= height + 1 and height >= 3 * 16, (height, whole)  # lines, all of them


def test_a_refused_copy_gives_way_when_the_focus_moves_on(page: Page) -> None:
    # the clipboard refused: the warning lay over Theme, Large type and Lines, hiding their
    # focus rings, for 12 s
    page.add_init_script(
        "navigator.clipboard.writeText = () => Promise.reject(new Error('refused'))")
    page.goto(f"/?preset={DEMO}")
    expect(page.locator("#app")).to_have_attribute("aria-busy", "false", timeout=30_000)
    page.locator("#copy-link").focus()
    page.keyboard.press("Enter")
    status = page.locator("#share-status")
    expect(status).to_contain_text("did not allow copying")
    field = page.locator("#share-text")
    expect(field).to_be_focused()
    page.locator("#lines-toggle").focus()  # past the share tools
    expect(status).to_have_text("")
    expect(field).to_be_hidden()  # it stayed open under the row
    # Escape in the field closes it and gives the focus back to the button that asked
    page.locator("#copy-call").focus()
    page.keyboard.press("Enter")
    expect(field).to_be_focused()
    page.keyboard.press("Escape")
    expect(field).to_be_hidden()
    expect(page.locator("#copy-call")).to_be_focused()
    expect(status).to_have_text("")


def test_a_refused_copy_on_a_phone_says_how_to_copy_without_keys(phone: Page) -> None:
    # a phone was told to press Ctrl+C
    phone.add_init_script(
        "navigator.clipboard.writeText = () => Promise.reject(new Error('refused'))")
    phone.goto(f"/?preset={DEMO}")
    expect(phone.locator("#app")).to_have_attribute("aria-busy", "false", timeout=30_000)
    phone.get_by_role("button", name="More step and view controls").click()
    phone.locator("#copy-link").click()
    expect(phone.locator("#share-status")).to_have_text(
        "The browser did not allow copying: the link is selected, touch and hold it, then "
        "choose Copy.")


def test_a_frames_link_past_its_last_step_keeps_every_note(page: Page) -> None:
    # the page's own move to the last step cleared the frame's note, as a reader's step does:
    # a link with t past the end, an unknown key and a pin the layer lacks said nothing
    page.set_viewport_size({"width": 640, "height": 360})
    page.goto("/?preset=cs231n-demo&t=99&pin=o7.7.7&foo=1&embed=1")
    expect(page.locator("#t-label")).to_contain_text("step 18 of 18", timeout=30_000)
    note = page.locator("#embed-note")
    for said in ("foo (no such key)", "t=99 (step 100) is past this layer's 18 steps",
                 "V[7,7,7] is not in this layer"):
        expect(note).to_contain_text(said)
    expect(page).to_have_url(re.compile(r"[?&]t=17(&|$)"))
    for said in ("foo (no such key)", "t=99 (step 100) is past this layer's 18 steps"):
        expect(note).to_contain_text(said)  # still, once the page has moved to the last
    page.locator("#t-back").click()  # a reader's step: the note goes
    expect(note).to_be_hidden()


def test_a_frames_refusal_opens_its_whole_reason_from_a_small_button(page: Page) -> None:
    # the frame's note is cut at two lines for the picture's room: the server's sentence
    # behind "Why?" was cut with it ("... over this server's limit of 50,000,000..."), and the
    # button took the transport's 1.9rem buttons' height in a line of small words
    page.set_viewport_size({"width": 800, "height": 450})
    page.goto("/?preset=alexnet-conv1&conn=local&embed=1")
    note = page.locator("#embed-note")
    expect(note).to_contain_text("Too big for this server: ", timeout=30_000)
    why = note.get_by_role("button", name="Why?")
    # no taller than a line of the note's words (a line is about 1.2 of their size)
    size = note.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    height = why.bounding_box()["height"]  # type: ignore[index]
    assert height <= 1.5 * size, (height, size)
    why.click()
    reason = note.locator(".why-text")
    expect(reason).to_contain_text("(CONVSCOPE_MAX_ELEMENTS); the most, ")
    # all of it on show: nothing of the note past its box
    assert note.evaluate("e => e.scrollHeight <= e.clientHeight + 1")
    assert reason.evaluate("""e => {
      const range = document.createRange();
      range.selectNodeContents(e);
      const rects = [...range.getClientRects()];
      const box = e.parentElement.getBoundingClientRect();
      return rects.length > 1 && rects.every((r) => r.bottom <= box.bottom + 1);
    }""")
    why.click()
    expect(reason).to_be_hidden()
