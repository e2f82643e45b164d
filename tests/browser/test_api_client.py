"""The page's API client (static/js/api.js) on answers that break off or go wrong.

A request the page replaces is aborted, and the abort can land while the answer's body is
still arriving; the client must pass that on as an abort (which the page ignores), not report
it as a broken answer.
"""

from __future__ import annotations

from playwright.sync_api import Page

# The request is aborted after its answer's headers came and before its body is read, as
# when a newer request replaces a slow one: Chromium then fails the body's read with an abort.
ABORT_WHILE_READING = """async () => {
  const { fetchJson } = await import("/static/js/api.js");
  const realFetch = window.fetch;
  const controller = new AbortController();
  window.fetch = async (path, init) => {
    const response = await realFetch(path, init);
    controller.abort();
    return response;
  };
  try {
    await fetchJson("/api/presets", { signal: controller.signal });
    return { name: "none", message: "" };
  } catch (error) {
    return { name: error.name, message: error.message };
  } finally {
    window.fetch = realFetch;
  }
}"""

BROKEN_BODY = """async () => {
  const { fetchJson } = await import("/static/js/api.js");
  const realFetch = window.fetch;
  window.fetch = async () => new Response("<html>", { status: 200 });
  try {
    await fetchJson("/api/health");
    return { name: "none", message: "" };
  } catch (error) {
    return { name: error.name, message: error.message, status: error.status };
  } finally {
    window.fetch = realFetch;
  }
}"""


def test_an_abort_while_the_body_arrives_is_an_abort_not_a_bad_answer(page: Page) -> None:
    page.goto("/")
    outcome = page.evaluate(ABORT_WHILE_READING)
    assert outcome["name"] == "AbortError", outcome


def test_a_body_that_is_not_json_is_reported_with_its_status(page: Page) -> None:
    page.goto("/")
    outcome = page.evaluate(BROKEN_BODY)
    assert outcome == {
        "name": "Error",
        "message": "the server sent something that is not JSON (200)",
        "status": 200,
    }
