"""The page's shell: its module preload list is the page's modules on disk."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from app.routers.pages import module_urls

JS = Path(__file__).resolve().parents[2] / "app" / "static" / "js"


def test_the_page_preloads_every_module_on_disk_but_its_entry_point(client: TestClient) -> None:
    on_disk = {
        "/static/js/" + os.path.relpath(os.path.join(folder, name), JS).replace(os.sep, "/")
        for folder, _, names in os.walk(JS)
        for name in names
        if name.endswith(".js")
    }
    page = client.get("/")
    assert page.status_code == 200
    preloaded = re.findall(r'<link rel="modulepreload" href="([^"]+)">', page.text)
    assert len(preloaded) == len(set(preloaded))
    assert set(preloaded) == on_disk - {"/static/js/main.js"}
    # The two the hand-written list once missed.
    assert {"/static/js/images.js", "/static/js/render/gallery.js"} <= set(preloaded)
    assert '<script type="module" src="/static/js/main.js"></script>' in page.text
    for url in preloaded:
        assert client.get(url).status_code == 200, url


def test_module_urls_follows_the_files(tmp_path: Path) -> None:
    (tmp_path / "js" / "render").mkdir(parents=True)
    for name in ("main.js", "b.js", "render/a.js", "render/notes.txt"):
        (tmp_path / "js" / name).write_text("")
    assert module_urls(tmp_path) == ["/static/js/b.js", "/static/js/render/a.js"]


def test_the_page_names_the_origins_that_may_frame_it_and_whose_messages_it_obeys() -> None:
    settings = Settings(frame_ancestors="self, https://lms.example.edu")
    with TestClient(create_app(settings)) as client:
        page = client.get("/")
    body = re.search(r"<body([^>]*)>", page.text)
    assert body is not None
    assert 'data-frame-ancestors="self https://lms.example.edu"' in body.group(1)
    assert "embed" not in body.group(1)


@pytest.mark.parametrize(("settings", "said"), [
    (Settings(), "up to 10 MiB; resized to at most 256 px"),
    (Settings(max_upload_bytes=25 * 2**20, max_image_side=512),
     "up to 25 MiB; resized to at most 512 px"),
])
def test_the_upload_label_states_this_servers_limits(settings: Settings, said: str) -> None:
    # it said "up to 10 MB; resized to at most 256 px" whatever the server took: a 10.2 MB
    # photo is within 10 MiB, and a server of CONVSCOPE_MAX_IMAGE_SIDE=512 resized to 512
    with TestClient(create_app(settings)) as client:
        page = client.get("/").text
    label = re.search(r'<label for="image-upload">([^<]*)</label>', page)
    assert label is not None
    assert label.group(1) == f"Or upload a PNG or JPEG ({said})"


def test_embed_1_marks_the_body_before_any_script_runs(client: TestClient) -> None:
    cases = (("?embed=1", True), ("?embed=true", True), ("?embed=0", False), ("", False))
    for query, marked in cases:
        body = re.search(r"<body([^>]*)>", client.get(f"/{query}").text)
        assert body is not None
        assert ('class="embed"' in body.group(1)) is marked, query
        assert 'data-frame-ancestors=""' in body.group(1)


def test_a_links_forced_look_is_on_html_before_any_script_runs(client: TestClient) -> None:
    cases = (
        ("?theme=dark", ' data-theme="dark"'),
        ("?theme=light&large=1", ' data-theme="light" data-large'),
        ("?large=true", " data-large"),
        ("?theme=auto&large=0", ""),
        ('?theme="><script>', ""),  # only the two names are mirrored, never the raw value
        ("", ""),
    )
    for query, attributes in cases:
        html = re.search(r'<html lang="en"([^>]*)>', client.get(f"/{query}").text)
        assert html is not None, query
        assert html.group(1) == attributes, query
    # the remembered theme (no theme in the link) is put on <html> by a classic script in <head>
    page = client.get("/").text
    assert page.index('<script src="/static/early/look.js"></script>') < page.index("<body")
    assert client.get("/static/early/look.js").status_code == 200
