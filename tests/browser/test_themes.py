"""Light and dark themes, the theme toggle and large type (issue 10, section 4).

Contrast is measured from the page's computed styles with WCAG 2's formula: every visible text
element's colour against its effective background (the first opaque ancestor background, with
translucent layers and gradients composited), 4.5:1 for text and 3:1 for large text and for the
borders of form controls.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.browser

DEMO = "/?preset=cs231n-demo&t=4"
MISFIT = "/?preset=cs231n-demo&h=6&w=6&sh=2&sw=2"  # (6 - 3 + 2*1)/2 + 1 = 3.5: refused
LARGE_FACTOR = 1.4  # css/theme.css --type-scale

# The walk that runs in the page (its header comment dropped: the rest is one arrow function).
MEASURE = "\n".join(
    line
    for line in (Path(__file__).parent / "measure_contrast.js").read_text().splitlines()
    if not line.startswith("//")
)

# Machado, Oliveira & Fernandes (2009) full-severity simulation matrices, on linear RGB.
CVD = {
    "protanopia": [
        [0.152286, 1.052583, -0.204868],
        [0.114503, 0.786281, 0.099216],
        [-0.003882, -0.048116, 1.051998],
    ],
    "deuteranopia": [
        [0.367322, 0.860646, -0.227968],
        [0.280085, 0.672501, 0.047413],
        [-0.011820, 0.042940, 0.968881],
    ],
    "tritanopia": [
        [1.255528, -0.076749, -0.178779],
        [-0.078411, 0.930809, 0.147602],
        [0.004733, 0.691367, 0.303900],
    ],
}


def linear(rgb: Any) -> np.ndarray:
    c = np.asarray(rgb, dtype=float)[..., :3] / 255
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def luminance(rgb: Any) -> float:
    return float(linear(rgb) @ [0.2126, 0.7152, 0.0722])


def contrast(a: Any, b: Any) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def lab(rgb: Any) -> np.ndarray:
    xyz = np.array(
        [[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]
    ) @ linear(rgb)
    t = xyz / [0.95047, 1.0, 1.08883]
    f = np.where(t > 0.008856, np.cbrt(t), 7.787 * t + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def seen_by(rgb: Any, deficiency: str) -> np.ndarray:
    """`rgb` as a person with `deficiency` sees it, back in sRGB 0-255."""
    s = np.clip(np.array(CVD[deficiency]) @ linear(rgb), 0, 1)
    return np.where(s <= 0.0031308, 12.92 * s, 1.055 * s ** (1 / 2.4) - 0.055) * 255


def delta_e(a: Any, b: Any) -> float:
    return float(np.linalg.norm(lab(a) - lab(b)))


def is_large(text: dict[str, Any]) -> bool:
    """WCAG's large text: 18 pt (24 px), or 14 pt (18.66 px) bold."""
    return bool(text["px"] >= 24 or (text["px"] >= 18.66 and text["weight"] >= 700))


def failures(page: Page) -> list[str]:
    measured = page.evaluate(MEASURE)
    assert len(measured["texts"]) > 100, "the walk found too little text to judge"
    bad = []
    for text in measured["texts"]:
        need = 3.0 if is_large(text) else 4.5
        worst = min(contrast(text["ink"], bg) for bg in text["bgs"])
        if worst < need:
            bad.append(f"{text['where']}: {worst:.2f} < {need}")
    for control in measured["controls"]:
        edges = [contrast(control["own"], bg) for bg in control["around"]]
        if control["border"]:
            edges += [min(contrast(control["border"], bg) for bg in control["around"])]
        if max(edges) < 3.0:
            bad.append(f"{control['where']}: control edge {max(edges):.2f} < 3")
    return bad


def open_drawn(page: Page, path: str) -> None:
    page.goto(path)
    expect(page.locator("#app")).to_have_attribute("aria-busy", "false", timeout=30_000)


def open_settings(page: Page) -> None:
    """Open the settings drawer, so its text is judged too (by keyboard: the pointer stays put)."""
    page.locator("#drawer-toggle").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#drawer")).to_be_visible()


@pytest.fixture(params=["light", "dark"])
def themed(
    request: pytest.FixtureRequest, browser: Browser, base_url: str
) -> Iterator[tuple[str, Page]]:
    """A 1280x720 page whose system asks for the light or the dark scheme."""
    context = browser.new_context(
        base_url=base_url, color_scheme=request.param, viewport={"width": 1280, "height": 720}
    )
    yield request.param, context.new_page()
    context.close()


def test_every_text_passes_wcag_aa_contrast_in_both_system_themes(
    themed: tuple[str, Page], artifacts: Path
) -> None:
    scheme, page = themed
    open_drawn(page, DEMO)
    expect(page.locator("html")).to_have_attribute("data-look", scheme)
    expect(page.locator("#sums")).not_to_be_empty()
    page.locator("#output-grids .cell").nth(5).hover()  # marks, a field and a hovered neuron
    open_settings(page)
    assert failures(page) == []
    page.keyboard.press("Escape")
    page.locator("#transport").evaluate("n => n.scrollIntoView()")
    page.mouse.move(0, 0)
    page.screenshot(path=str(artifacts / f"theme-{scheme}.png"))
    open_drawn(page, MISFIT)
    expect(page.locator("#geometry-bar")).to_have_attribute("data-fits", "no")
    open_settings(page)
    assert failures(page) == []


def test_value_scale_stays_apart_from_the_panel_and_under_colour_blindness(
    themed: tuple[str, Page],
) -> None:
    scheme, page = themed
    open_drawn(page, DEMO)
    drawn = page.evaluate(
        """async () => {
      const c = await import("/static/js/render/colors.js");
      return { stops: [-1, -0.5, 0, 0.5, 1].map((x) => c.rgb(x, 1)),
               panel: c.resolveColor("var(--panel)") };
    }"""
    )
    neg, neg_mid, zero, pos_mid, pos = drawn["stops"]
    panel = drawn["panel"][:3]
    assert luminance(panel) < 0.05 if scheme == "dark" else luminance(panel) > 0.9
    # the ends are seen against the panel like a control's edge (3:1); zero stays a step apart
    assert contrast(neg, panel) >= 3.0
    assert contrast(pos, panel) >= 3.0
    assert contrast(zero, panel) > 1.05
    # the sign reads without colour vision's red-green or blue-yellow axis: CIELAB distance
    # between -x and +x, and from zero, stays large under each full deficiency
    for deficiency in CVD:
        seen = [seen_by(c, deficiency) for c in (neg, neg_mid, zero, pos_mid, pos)]
        assert delta_e(seen[0], seen[4]) > 40, deficiency
        assert delta_e(seen[1], seen[3]) > 35, deficiency
        assert min(delta_e(seen[2], s) for s in (seen[0], seen[4])) > 40, deficiency


def test_toggle_forces_a_theme_remembers_it_and_a_link_overrides_it(
    page: Page, artifacts: Path
) -> None:
    page.emulate_media(color_scheme="light")
    page.set_viewport_size({"width": 1280, "height": 720})
    open_drawn(page, DEMO)
    before = page.locator("#output-grids .cell").first.evaluate(
        "n => getComputedStyle(n).backgroundColor"
    )
    page.get_by_label("Theme").select_option("dark")
    expect(page.locator("html")).to_have_attribute("data-look", "dark")
    assert "theme=dark" in page.url
    # the canvases and cells were redrawn in the dark scale (two frames after the switch)
    page.wait_for_function(
        "before => getComputedStyle(document.querySelector('#output-grids .cell'))"
        ".backgroundColor !== before", arg=before, timeout=5_000)
    assert failures(page) == []
    # a page opened later without a theme in its link keeps the choice (localStorage)
    open_drawn(page, "/?preset=cs231n-demo")
    expect(page.locator("html")).to_have_attribute("data-look", "dark")
    expect(page.get_by_label("Theme")).to_have_value("dark")
    # an instructor's link forces its own
    open_drawn(page, "/?preset=cs231n-demo&theme=light")
    expect(page.locator("html")).to_have_attribute("data-look", "light")
    page.get_by_label("Theme").select_option("auto")
    page.emulate_media(color_scheme="dark")
    expect(page.locator("html")).to_have_attribute("data-look", "dark")


def test_large_type_scales_the_code_and_the_cells_and_stays_readable(
    page: Page, artifacts: Path
) -> None:
    page.set_viewport_size({"width": 1280, "height": 720})
    open_drawn(page, DEMO)
    size = "n => parseFloat(getComputedStyle(n).fontSize)"
    width = "n => n.getBoundingClientRect().width"
    code = page.locator("#numpy-code").evaluate(size)
    product = page.locator("#products .cell").first.evaluate(width)
    cell = page.locator("#output-grids .cell").first.evaluate(width)
    page.get_by_label("Large type").check()
    expect(page.locator("html")).to_have_attribute("data-large", "")
    assert "large=1" in page.url
    assert page.locator("#numpy-code").evaluate(size) == pytest.approx(
        code * LARGE_FACTOR, rel=0.01
    )
    # grids fitted to their room grow as far as the room allows, and no further: fitted
    # before they grow, they never overflow their panel (they did: grown after fitting, the
    # demo's two maps went under the panel's fold); the products, which a reader checks by
    # hand, stop shrinking at 24 px before large type grows them, and scroll below that
    grown = page.locator("#products .cell").first.evaluate(width)
    assert grown >= min(product * LARGE_FACTOR, 24 * LARGE_FACTOR) - 1, (product, grown)
    assert page.locator("#output-grids .cell").first.evaluate(width) >= cell - 1
    assert page.locator("#output-grids").evaluate("n => n.scrollHeight <= n.clientHeight + 1")
    page.reload()
    expect(page.get_by_label("Large type")).to_be_checked()
    # judge the drawn page, not the frame before the first step arrives
    expect(page.locator("#app")).to_have_attribute("aria-busy", "false", timeout=30_000)
    expect(page.locator("#numpy-code")).to_contain_text("np.sum", timeout=30_000)
    assert failures(page) == []
    page.locator("#input-panel").evaluate("n => n.scrollIntoView()")
    page.screenshot(path=str(artifacts / "theme-large-type.png"))


def test_large_type_grows_the_numbers_drawn_on_canvases(page: Page, artifacts: Path) -> None:
    # Example 2's padded input (18x18x20) is drawn on zoomable canvases, one per depth slice;
    # zoomed in to the most (64 px a cell) its numbers fit at either type size.
    page.set_viewport_size({"width": 1280, "height": 720})
    drawn = {}
    for large in (False, True):
        open_drawn(page, "/?preset=example-2&t=4" + ("&large=1" if large else ""))
        grid = page.locator("#input-panel .zoom-grid").first
        for _ in range(4):  # x2 each, from a fit of about 10 px a cell
            page.get_by_role("button", name="Zoom in on the input").click()
        expect(grid).to_have_attribute("data-scale", "64.00")
        expect(grid).to_have_attribute("data-numbers", "yes")
        drawn[large] = float(grid.get_attribute("data-number-px") or 0)
    assert drawn[False] >= 12  # the canvases' largest type, or near it: not a shrunk one
    assert drawn[True] == pytest.approx(drawn[False] * LARGE_FACTOR, rel=0.01)
    grid.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "theme-large-example-2-zoomed.png"))
    # AlexNet at projection size, as a lecture hall sees it
    open_drawn(page, "/?preset=alexnet-conv1&large=1")
    expect(page.locator("#numpy-code")).to_contain_text("np.sum", timeout=30_000)
    page.screenshot(path=str(artifacts / "theme-large-alexnet.png"))


# Installed before the page's own scripts: the background and type size of <html> at every
# animation frame from the first, until two frames after the browser reports its first paint
# (a frame's rAF callbacks run just before that frame's style and paint).
FIRST_FRAMES = """
window.firstFrames = [];
const look = () => {
  const root = document.documentElement;
  const style = root && getComputedStyle(root);
  window.firstFrames.push({ at: performance.now(), page: style?.backgroundColor,
    px: parseFloat(style?.fontSize), painted: performance.getEntriesByType("paint").length });
  const after = window.firstFrames.filter((f) => f.painted).length;
  if (after < 2 && window.firstFrames.length < 600) requestAnimationFrame(look);
};
requestAnimationFrame(look);
"""


@pytest.mark.parametrize(
    ("system", "link", "remembered", "shown"),
    [
        ("light", "theme=dark", None, "dark"),
        ("dark", "theme=light", None, "light"),
        ("dark", "theme=light&large=1", "dark", "light"),  # the link beats the remembered one
        ("light", "", "dark", "dark"),  # a link naming no theme: the toggle's remembered one
    ],
)
def test_the_theme_a_page_opens_in_is_painted_from_the_first_frame(
    browser: Browser,
    base_url: str,
    artifacts: Path,
    system: str,
    link: str,
    remembered: str | None,
    shown: str,
) -> None:
    context = browser.new_context(
        base_url=base_url, color_scheme=system, viewport={"width": 1280, "height": 720}
    )
    page = context.new_page()
    if remembered:
        page.goto("/static/css/theme.css")  # the origin, without running the page
        page.evaluate(f"localStorage.setItem('convscope.theme', '{remembered}')")
    page.add_init_script(FIRST_FRAMES)
    page.goto(f"/?preset=cs231n-demo&{link}")
    expect(page.locator("html")).to_have_attribute("data-look", shown)
    # a function, not an expression: Playwright polls an expression through eval, which the
    # page's Content-Security-Policy refuses (an EvalError whenever it was not yet true)
    page.wait_for_function("() => window.firstFrames.filter((f) => f.painted).length >= 2")
    frames = page.evaluate("window.firstFrames")
    final = page.locator("html").evaluate("n => getComputedStyle(n).backgroundColor")
    if link == "theme=dark":  # a dark link on a light system, as a student opens it
        expect(page.locator("#app")).to_have_attribute("aria-busy", "false", timeout=30_000)
        page.mouse.move(0, 0)
        page.screenshot(path=str(artifacts / "theme-forced-dark.png"))
    context.close()
    colour = [int(v) for v in final[final.index("(") + 1 : -1].split(",")]
    assert luminance(colour) < 0.05 if shown == "dark" else luminance(colour) > 0.8
    assert frames[0]["painted"] == 0, "the probe must see the frames before the first paint"
    # every frame up to and after the first paint already had the page's final look
    assert {f["page"] for f in frames} == {final}
    assert {f["px"] for f in frames} == {16 * LARGE_FACTOR if "large=1" in link else 16}


def test_a_layer_a_fit_policy_makes_is_amber_not_red_and_readable_in_both_themes(
    themed: tuple[str, Page],
) -> None:
    # fit="floor" on the notes' 4.5 case draws a layer, but the bar said so in the red of a
    # refused one ("No symmetric padding fits" read as an error)
    _, page = themed
    open_drawn(page, "/?preset=ten-stride-2-invalid&fit=floor")
    expect(page.locator("#numpy-code")).to_contain_text("np.sum", timeout=30_000)
    bar = page.locator("#geometry-bar")
    expect(bar).to_have_attribute("data-fits", "policy")
    expect(page.locator("#geometry-width")).to_contain_text("= 4.5 → 4 used")
    colours = bar.evaluate(
        "b => [getComputedStyle(b).borderLeftColor,"
        " getComputedStyle(b.querySelector('.geometry-explain')).color]")
    refused = page.evaluate(
        "() => { const p = document.createElement('p'); p.style.color = 'var(--bad)';"
        " document.body.append(p); const c = getComputedStyle(p).color; p.remove(); return c; }")
    assert refused not in colours, colours
    assert failures(page) == []


def test_a_pinned_input_cells_marks_stay_clear_of_its_number(page: Page) -> None:
    # the pin's dashed ring sat 6 px inside the cell: at 1280x720 the demo's 20 px cells
    # showed "[0]" and "[1]" run together
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto("/?preset=cs231n-demo&pin=x2.2&t=4")
    pinned = page.locator("#input-grids .cell.mark-pinned").first
    expect(pinned).to_have_text("0", timeout=30_000)
    box, number, offset, ring = pinned.evaluate("""c => {
        const range = document.createRange();
        range.selectNodeContents(c);
        const s = getComputedStyle(c);
        return [c.getBoundingClientRect().toJSON(), range.getBoundingClientRect().toJSON(),
                parseFloat(s.outlineOffset), parseFloat(s.outlineWidth)];
    }""")
    assert offset >= 0, offset  # the dashed ring outside the cell
    inset = 3  # the solid ring inside it (box-shadow)
    assert box["left"] + inset <= number["left"] and number["right"] <= box["right"] - inset
    assert box["top"] + inset <= number["top"] and number["bottom"] <= box["bottom"] - inset
    assert ring == 2


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_forced_colours_keep_the_canvases_values_and_the_grids_marks(
    browser: Browser, base_url: str, scheme: str, artifacts: Path
) -> None:
    # Windows high contrast: every canvas was one flat block (the colour probe read the
    # system's text colour for every stop), and the marks drawn as inset shadows, the padding's
    # hatch and the lines between cells were gone
    context = browser.new_context(base_url=base_url, forced_colors="active", color_scheme=scheme,
                                  viewport={"width": 1280, "height": 800})
    page = context.new_page()
    open_drawn(page, "/?preset=alexnet-conv1&t=4")
    colours = page.locator("#input-panel canvas").first.evaluate("""canvas => {
        const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
        const seen = new Set();
        for (let i = 0; i < data.length; i += 4 * 97) seen.add(data.slice(i, i + 3).join());
        return seen.size; }""")
    assert colours > 20  # a value scale, not a block
    open_drawn(page, DEMO)
    current = page.locator("#output-panel .cell.mark-current")
    expect(current).to_have_count(1)
    assert current.evaluate("c => getComputedStyle(c).outlineStyle") == "solid"
    assert current.evaluate("c => parseFloat(getComputedStyle(c).outlineWidth)") >= 3
    field = page.locator("#input-panel .cell.in-field").first
    assert field.evaluate("c => getComputedStyle(c).outlineStyle") == "solid"
    pad = page.locator("#input-panel .cell.pad").first
    assert pad.evaluate("c => getComputedStyle(c).borderTopStyle") == "dashed"
    page.screenshot(path=str(artifacts / f"forced-colours-{scheme}.png"))
    context.close()
