"""Security headers on every response, the frame and CORS settings, one error shape for every
refusal, and /docs rendering under the Content-Security-Policy in headless Chromium."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx2
import pytest
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from tests.chromium import chromium_launch
from tests.live_server import serving

JSON = {"content-type": "application/json"}
LAYER = {"input": {"shape": [5, 5, 1]}, "filters": {"count": 1, "size": 3}}


def policy_of(response: httpx2.Response) -> dict[str, str]:
    """The CSP header as {directive: sources}."""
    directives = [part.strip() for part in response.headers["content-security-policy"].split(";")]
    return {name: rest for name, _, rest in (d.partition(" ") for d in directives if d)}


@pytest.fixture
def crashing_client() -> Iterator[TestClient]:
    """The app plus a route that raises, as a bug in a handler would."""
    app = create_app(Settings(max_body_bytes=1000))

    @app.get("/api/crash")
    def crash() -> None:
        raise RuntimeError("a bug")

    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


# Every kind of answer the server gives: a page, JSON, a static file, the docs, and refusals
# from each layer (router, body limit, media type, schema, engine, a crash).
REQUESTS: dict[str, Callable[[TestClient], httpx2.Response]] = {
    "page": lambda c: c.get("/"),
    "docs": lambda c: c.get("/docs"),
    "openapi": lambda c: c.get("/openapi.json"),
    "health": lambda c: c.get("/api/health"),
    "static file": lambda c: c.get("/static/docs/swagger-init.js"),
    "geometry": lambda c: c.post("/api/geometry", json=LAYER),
    "unknown api path 404": lambda c: c.get("/api/nothing"),
    "unknown page 404": lambda c: c.get("/nothing"),
    "static 404": lambda c: c.get("/static/nothing.js"),
    "405": lambda c: c.put("/api/health"),
    "413": lambda c: c.post("/api/forward", content=b" " * 2000, headers=JSON),
    "415": lambda c: c.post("/api/forward", content=b"x", headers={"content-type": "text/xml"}),
    "415 no content type": lambda c: c.post("/api/forward", content=b"{}"),
    "415 upload type": lambda c: c.post("/api/images", content=b"GIF89a",
                                        headers={"content-type": "image/gif"}),
    "415 upload bytes": lambda c: c.post("/api/images", content=b"GIF89a",
                                         headers={"content-type": "image/png"}),
    "413 upload": lambda c: c.post("/api/images", headers={"content-type": "image/png"},
                                   content=b"\x89PNG\r\n\x1a\n" + bytes(10 * 2**20)),
    "404 preset": lambda c: c.get("/api/presets/nothing"),
    "404 sample image": lambda c: c.get("/api/images/nothing"),
    "404 filter bank": lambda c: c.get("/api/filter-banks/nothing"),
    "422 unknown bank": lambda c: c.post("/api/geometry", json={
        **LAYER, "input": {"shape": [5, 5, 3]}, "filters": {"size": 3, "bank": "nothing"}}),
    "422 schema": lambda c: c.post("/api/forward", json={"stride": "2"}),
    "422 engine": lambda c: c.post("/api/forward", json={**LAYER, "stride": 2,
                                                         "input": {"shape": [6, 6, 1]}}),
    "500": lambda c: c.get("/api/crash"),
}


@pytest.mark.parametrize("kind", REQUESTS)
def test_every_kind_of_response_carries_the_security_headers(
    crashing_client: TestClient, kind: str
) -> None:
    response = REQUESTS[kind](crashing_client)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"
    policy = policy_of(response)
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval'
    assert policy["style-src"] == "'self'"
    assert policy["img-src"] == "'self' data: blob:"
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe" not in response.headers["content-security-policy"]


@pytest.mark.parametrize(
    ("kind", "status", "loc", "kind_name"),
    [
        ("unknown api path 404", 404, ["path"], "not_found"),
        ("unknown page 404", 404, ["path"], "not_found"),
        ("static 404", 404, ["path"], "not_found"),
        ("405", 405, ["method"], "method_not_allowed"),
        ("413", 413, ["body"], "body_too_large"),
        ("415", 415, ["header", "content-type"], "unsupported_media_type"),
        ("415 no content type", 415, ["header", "content-type"], "unsupported_media_type"),
        ("415 upload type", 415, ["header", "content-type"], "unsupported_media_type"),
        ("415 upload bytes", 415, ["body"], "unsupported_media_type"),
        ("413 upload", 413, ["body"], "body_too_large"),
        ("404 preset", 404, ["path", "name"], "unknown_name"),
        ("404 sample image", 404, ["path", "name"], "unknown_name"),
        ("404 filter bank", 404, ["path", "name"], "unknown_name"),
        ("422 unknown bank", 422, ["body", "filters", "bank"], "unknown_name"),
        ("422 schema", 422, ["body", "input"], "missing"),
        ("422 engine", 422, ["body", "stride"], "layer_error"),
        ("500", 500, [], "internal_error"),
    ],
)
def test_every_refusal_has_the_one_error_shape(
    crashing_client: TestClient, kind: str, status: int, loc: list[str], kind_name: str
) -> None:
    response = REQUESTS[kind](crashing_client)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    details = response.json()["detail"]
    assert isinstance(details, list) and details
    assert all({"loc", "msg", "type"} <= set(entry) for entry in details)
    assert all(isinstance(entry["msg"], str) and entry["msg"] for entry in details)
    assert any(e["loc"] == loc and e["type"] == kind_name for e in details), details


def test_a_handlers_own_security_header_wins_and_repeats_do_not_pile_up() -> None:
    app = create_app(Settings())
    framed = HTMLResponse("<p>embeddable</p>", headers={"x-frame-options": "SAMEORIGIN"})

    @app.get("/framed")
    def page() -> HTMLResponse:
        return framed  # the same response object sent again and again

    with TestClient(app) as client:
        for _ in range(3):
            response = client.get("/framed")
            assert response.headers.get_list("x-frame-options") == ["SAMEORIGIN"]
            assert response.headers.get_list("x-content-type-options") == ["nosniff"]


def test_a_crash_does_not_leak_the_exception_text(crashing_client: TestClient) -> None:
    assert "a bug" not in crashing_client.get("/api/crash").text


def test_405_allow_lists_every_method_of_the_path(crashing_client: TestClient) -> None:
    response = crashing_client.delete("/api/forward")
    assert response.headers["allow"] == "POST"
    assert "DELETE is not allowed on /api/forward (allowed: POST)" in response.text
    assert crashing_client.put("/static/docs/swagger-init.js").headers["allow"] == "GET, HEAD"


def test_framing_by_self_only_sends_sameorigin() -> None:
    with TestClient(create_app(Settings(frame_ancestors=("self",)))) as client:
        response = client.get("/")
    assert policy_of(response)["frame-ancestors"] == "'self'"
    assert response.headers["x-frame-options"] == "SAMEORIGIN"


def test_framing_by_another_origin_is_left_to_csp() -> None:
    settings = Settings(frame_ancestors="self, https://lms.example.edu")
    with TestClient(create_app(settings)) as client:
        response = client.get("/")
    assert policy_of(response)["frame-ancestors"] == "'self' https://lms.example.edu"
    # X-Frame-Options cannot name another origin; sending DENY/SAMEORIGIN would contradict CSP.
    assert "x-frame-options" not in response.headers


@pytest.mark.parametrize(
    "bad", ["https://a.edu; script-src *", "'unsafe-inline'", "javascript:alert(1)", "*"]
)
def test_frame_ancestors_that_are_not_origins_are_refused_at_start(bad: str) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="frame_ancestors"):
        Settings(frame_ancestors=bad)


def test_frame_ancestors_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONVSCOPE_FRAME_ANCESTORS", "https://a.edu, https://*.b.edu")
    monkeypatch.setenv("CONVSCOPE_CORS_ORIGINS", "https://c.edu")
    settings = Settings()
    assert settings.frame_ancestors == ("https://a.edu", "https://*.b.edu")
    assert settings.cors_origins == ("https://c.edu",)


def test_cors_is_off_by_default(crashing_client: TestClient) -> None:
    origin = {"origin": "https://elsewhere.example"}
    response = crashing_client.get("/api/health", headers=origin)
    assert "access-control-allow-origin" not in response.headers
    preflight = crashing_client.options("/api/forward", headers={
        **origin, "access-control-request-method": "POST"})
    assert "access-control-allow-origin" not in preflight.headers


def test_cors_allows_only_the_configured_origins() -> None:
    app = create_app(Settings(cors_origins=("https://course.example.edu",)))
    with TestClient(app) as client:
        allowed = client.post("/api/geometry", json=LAYER,
                              headers={"origin": "https://course.example.edu"})
        other = client.post("/api/geometry", json=LAYER,
                            headers={"origin": "https://evil.example"})
        preflight = client.options("/api/forward", headers={
            "origin": "https://course.example.edu", "access-control-request-method": "POST",
            "access-control-request-headers": "content-type"})
    assert allowed.headers["access-control-allow-origin"] == "https://course.example.edu"
    assert "access-control-allow-origin" not in other.headers
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert preflight.headers["x-content-type-options"] == "nosniff"  # preflights too


def test_a_refused_cors_preflight_is_answered_in_the_one_error_shape() -> None:
    app = create_app(Settings(cors_origins=("https://course.example.edu",)))
    with TestClient(app) as client:
        refused = client.options("/api/forward", headers={
            "origin": "https://evil.example", "access-control-request-method": "POST"})
    assert refused.status_code == 400  # Starlette's own: text/plain "Disallowed CORS origin"
    assert refused.headers["content-type"] == "application/json"
    [entry] = refused.json()["detail"]
    assert entry["loc"] == ["header", "origin"] and entry["type"] == "cors_refused"
    assert "'https://evil.example': its origin is not allowed" in entry["msg"]
    assert "https://course.example.edu" in entry["msg"]
    assert refused.headers["x-content-type-options"] == "nosniff"


def test_docs_page_has_no_inline_script(crashing_client: TestClient) -> None:
    page = crashing_client.get("/docs").text
    assert "<script>" not in page.replace(" ", "")
    assert page.count("<script src=") == 2
    assert 'data-openapi-url="/openapi.json"' in page


# ----------------------------------------------------------------------------- in Chromium


@pytest.fixture(scope="module")
def live_url() -> Iterator[str]:
    """The app under uvicorn in a thread, so the browser gets the real headers."""
    app = create_app()

    @app.get("/inline-script", include_in_schema=False)
    def inline_script() -> HTMLResponse:
        return HTMLResponse(
            "<!doctype html><title>untouched</title><script>document.title='ran'</script>"
        )

    with serving(app) as url:
        yield url


# Recorded before any page script runs, so a violation during start-up is seen too.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${where}`);
});
"""


def _open_in_chromium(url: str, act: Callable[[Any], None]) -> tuple[list[str], list[str]]:
    """Open ``url``, run ``act(page)``, return (CSP violations, console errors)."""
    from playwright.sync_api import sync_playwright

    launch = chromium_launch()
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch)
        try:
            page = browser.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.add_init_script(RECORD_VIOLATIONS)
            page.goto(url)
            act(page)
            violations: list[str] = page.evaluate("window.__violations")
        finally:
            browser.close()
    return violations, errors


@pytest.mark.browser
def test_docs_render_and_run_a_request_under_the_csp(live_url: str) -> None:
    def try_health(page: Any) -> None:
        page.get_by_text("/api/health", exact=True).click()
        page.get_by_role("button", name="Try it out").click()
        page.get_by_role("button", name="Execute").click()
        page.locator(".live-responses-table .response-col_status").first.wait_for()
        body = page.locator(".live-responses-table .microlight").first.inner_text()
        assert '"status": "ok"' in body
        # Every operation of the schema is listed.
        assert page.locator(".opblock").count() >= 8
        # and a layer endpoint's "Try it out" runs as given: the schema's example is the
        # notes' demo (it was a body of placeholders the server refused)
        forward = page.locator(".opblock", has=page.get_by_text("/api/forward", exact=True))
        forward.get_by_text("/api/forward", exact=True).click()
        forward.get_by_role("button", name="Try it out").click()
        forward.get_by_role("button", name="Execute").click()
        status = forward.locator(".live-responses-table tbody .response-col_status").first
        status.wait_for()
        assert status.inner_text().strip() == "200"
        answer = forward.locator(".live-responses-table .microlight").first.inner_text()
        assert '"output_shape": [\n      3,\n      3,\n      2\n    ]' in answer

    violations, errors = _open_in_chromium(f"{live_url}/docs", try_health)
    assert violations == []
    assert errors == []


@pytest.mark.browser
def test_the_page_runs_under_the_csp(live_url: str) -> None:
    def wait_for_numbers(page: Any) -> None:
        page.wait_for_load_state("networkidle")

    violations, errors = _open_in_chromium(f"{live_url}/", wait_for_numbers)
    assert violations == []
    assert errors == []



@pytest.mark.browser
def test_an_inline_script_is_blocked_and_seen(live_url: str) -> None:
    # A page with an inline <script> (served by a route only this module's app has) must not
    # run it, and the recorder must see the block: otherwise the two tests above would pass
    # however the pages were written.
    def title_stays(page: Any) -> None:
        page.wait_for_load_state("load")
        assert page.title() == "untouched"

    violations, _ = _open_in_chromium(f"{live_url}/inline-script", title_stays)
    assert any(v.startswith("script-src") and " inline " in v for v in violations), violations
