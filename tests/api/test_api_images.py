"""Images and filter banks through the API: samples, uploads and their limits, banks, and
images feeding /api/forward and /api/steps unchanged.

Expectations come from Pillow run here on the same bytes, from hand arithmetic written out
below, or from the images' own construction (e.g. the vertical edge at column 32).
"""

from __future__ import annotations

import base64
import io
import re
import struct
import threading
import zlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app import costs, images
from app.config import Settings
from app.errors import Refusal
from app.main import create_app
from app.routers import images as routers_images
from app.routers.images import UPLOAD_TYPES

Json = Any


def array(compact: Json) -> np.ndarray:
    """Answer values, nested lists (the default encoding) or a compact {"dtype", "shape",
    "data"} object, as a NumPy array."""
    if isinstance(compact, list):
        return np.asarray(compact, dtype=np.float64)
    raw = base64.b64decode(compact["data"])
    return np.frombuffer(raw, dtype="<" + {"float32": "f4", "float64": "f8"}[compact["dtype"]]
                         ).reshape(compact["shape"])


def png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8), "RGB").save(buffer, "PNG")
    return buffer.getvalue()


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(width: int = 50_000, height: int = 50_000) -> bytes:
    """A well-formed PNG whose header declares width x height greyscale pixels; the few rows
    of zeros it holds compress to a few hundred bytes (a real bomb would hold them all)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grey
    rows = zlib.compress(b"\x00" * (width + 1) * 4)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", rows)
            + chunk(b"IEND", b""))


def upload(client: TestClient, body: bytes | Iterator[bytes], kind: str = "image/png",
           query: str = "") -> Any:
    return client.post(f"/api/images{query}", content=body, headers={"content-type": kind})


def message(answer: Any) -> str:
    return " ".join(d["msg"] for d in answer.json()["detail"])


# ----------------------------------------------------------------------------- samples


def test_sample_list_names_every_shipped_png_with_its_size(client: TestClient) -> None:
    answer = client.get("/api/images")
    assert answer.status_code == 200
    listed = {s["name"]: (s["height"], s["width"]) for s in answer.json()}
    assert set(listed) == {"vertical-edge", "stripes", "color-blobs", "checkerboard", "scene"}
    for name, size in listed.items():
        with Image.open(images.SAMPLES_DIR / f"{name}.png") as image:
            assert size == (image.height, image.width)


def test_vertical_edge_sample_is_black_then_white_from_column_32(client: TestClient) -> None:
    answer = client.get("/api/images/vertical-edge")
    assert answer.status_code == 200
    body = answer.json()
    x = array(body["input"]["values"])
    assert body["shape"] == body["input"]["shape"] == [64, 64, 3]
    assert body["scale"] == "unit" and body["name"] == "vertical-edge"
    np.testing.assert_array_equal(x[:, :32], 0.0)
    np.testing.assert_array_equal(x[:, 32:], 1.0)


def test_byte_scale_gives_0_to_255_and_unit_scale_the_same_over_255(client: TestClient) -> None:
    unit = array(client.get("/api/images/scene?scale=unit").json()["input"]["values"])
    byte = array(client.get("/api/images/scene?scale=byte").json()["input"]["values"])
    with Image.open(images.SAMPLES_DIR / "scene.png") as image:
        pixels = np.asarray(image.convert("RGB"), dtype=np.float64)
    np.testing.assert_array_equal(byte, pixels)
    np.testing.assert_allclose(unit, pixels / 255.0, rtol=1e-6)
    assert byte.max() > 200 and unit.max() <= 1.0


def test_max_side_shrinks_the_longer_side_keeping_the_aspect(client: TestClient) -> None:
    body = client.get("/api/images/scene?max_side=48").json()  # 72x96 -> 36x48
    assert body["shape"] == [36, 48, 3]
    assert body["original_shape"] == [72, 96]


def test_max_side_over_the_server_limit_is_refused_naming_it(client: TestClient) -> None:
    answer = client.get("/api/images/scene?max_side=1000")
    assert answer.status_code == 422
    assert "256" in message(answer) and answer.json()["detail"][0]["loc"] == ["query", "max_side"]


def test_unknown_sample_is_404_listing_the_known_ones(client: TestClient) -> None:
    answer = client.get("/api/images/mona-lisa")
    assert answer.status_code == 404
    assert "vertical-edge" in message(answer)


# ----------------------------------------------------------------------------- uploads


def test_png_upload_is_resized_to_256_on_the_longer_side(client: TestClient) -> None:
    pixels = np.zeros((150, 300, 3))
    pixels[:] = (200, 100, 50)
    answer = upload(client, png(pixels))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["format"] == "PNG" and body["name"] is None
    assert body["original_shape"] == [150, 300]
    assert body["shape"] == [128, 256, 3]  # 300 -> 256, 150 * 256/300 = 128
    x = array(body["input"]["values"])
    np.testing.assert_allclose(x, np.broadcast_to(np.array([200, 100, 50]) / 255, x.shape),
                               rtol=1e-6)


def test_small_upload_keeps_its_pixels_exactly_in_byte_scale(client: TestClient) -> None:
    pixels = np.random.default_rng(3).integers(0, 256, size=(7, 5, 3))
    body = upload(client, png(pixels), query="?scale=byte").json()
    np.testing.assert_array_equal(array(body["input"]["values"]), pixels)
    assert body["shape"] == [7, 5, 3]


def test_an_uploads_compact_input_sent_back_is_the_servers_own_numbers(
    client: TestClient,
) -> None:
    # float32 k/255 left sums meant to cancel at +-3e-8: an uploaded picture's ReLU zeros
    # differed from the same picture's as a sample
    pixels = np.random.default_rng(5).integers(0, 256, size=(6, 7, 3))
    answer = upload(client, png(pixels), query="?encoding=compact").json()
    assert answer["input"]["values"]["dtype"] == "float64"
    assert np.array_equal(array(answer["input"]["values"]), pixels / 255)
    layer = {"input": answer["input"], "filters": {"count": 1, "size": 1,
             "values": [[[[1.0, -1.0, 0.0]]]], "bias": [0.0]}}
    direct = {**layer, "input": {"shape": [6, 7, 3], "values": (pixels / 255).tolist()}}
    out, expected = (array(client.post("/api/forward", json=body).json()["output"])
                     for body in (layer, direct))
    assert np.array_equal(out, expected)


def test_jpeg_upload_is_read(client: TestClient) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (30, 160, 220)).save(buffer, "JPEG", quality=95)
    answer = upload(client, buffer.getvalue(), kind="image/jpeg", query="?scale=byte")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["format"] == "JPEG" and body["shape"] == [20, 40, 3]
    np.testing.assert_allclose(array(body["input"]["values"]).mean(axis=(0, 1)),
                               [30, 160, 220], atol=4)  # JPEG is lossy


def test_a_jpeg_of_two_pictures_is_read_as_its_first(client: TestClient) -> None:
    # a multi-picture JPEG (MPO: many phones' and cameras' files) was refused as "not a JPEG"
    buffer = io.BytesIO()
    first, second = (Image.new("RGB", (40, 20), color) for color in [(30, 160, 220), (0, 0, 0)])
    first.save(buffer, "MPO", save_all=True, append_images=[second], quality=95)
    answer = upload(client, buffer.getvalue(), kind="image/jpeg", query="?scale=byte")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["format"] == "JPEG" and body["shape"] == [20, 40, 3]
    np.testing.assert_allclose(array(body["input"]["values"]).mean(axis=(0, 1)),
                               [30, 160, 220], atol=4)


def test_transparent_png_is_composited_on_white(client: TestClient) -> None:
    buffer = io.BytesIO()
    Image.new("RGBA", (4, 4), (0, 0, 0, 0)).save(buffer, "PNG")
    body = upload(client, buffer.getvalue(), query="?scale=byte").json()
    np.testing.assert_array_equal(array(body["input"]["values"]), 255.0)


@pytest.mark.parametrize(("pixels", "key", "mode"), [
    ([[0, 128, 255]], 0, "L"),
    ([[[1, 2, 3], [4, 5, 6]]], (1, 2, 3), "RGB"),
    ([[0, 30000]], 0, "I;16"),
])
def test_a_colour_keyed_png_is_composited_on_white_too(
    client: TestClient, pixels: list[Any], key: Any, mode: str
) -> None:
    # a grey or truecolour PNG's tRNS makes one value transparent; only alpha channels and
    # palettes were laid over white, so the keyed pixel kept its colour
    values = np.array(pixels, np.uint16 if mode == "I;16" else np.uint8)
    image = Image.fromarray(values)
    assert image.mode == mode
    buffer = io.BytesIO()
    image.save(buffer, "PNG", transparency=key)
    assert Image.open(io.BytesIO(buffer.getvalue())).convert("RGBA").getpixel((0, 0))[3] == 0
    body = upload(client, buffer.getvalue(), query="?scale=byte").json()
    got = array(body["input"]["values"])
    assert got[0, 0].tolist() == [255, 255, 255]  # the keyed pixel, on white
    assert got[0, 1].tolist() != [255, 255, 255]  # the others keep theirs


@pytest.mark.parametrize(("orientation", "shape"), [(1, [8, 16]), (3, [8, 16]), (6, [16, 8]),
                                                    (8, [16, 8])])
def test_an_exif_turned_jpegs_original_shape_is_the_upright_pictures(
    client: TestClient, orientation: int, shape: list[int]
) -> None:
    # stored 16 wide and 8 tall; orientations 5-8 stand it on its side: 8 wide, 16 tall. The
    # pixels were turned, but original_shape said the stored [8, 16]
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    Image.new("RGB", (16, 8), (200, 30, 30)).save(buffer, "JPEG", exif=exif.tobytes())
    body = upload(client, buffer.getvalue(), kind="image/jpeg").json()
    assert body["shape"][:2] == shape and body["original_shape"] == shape, body["shape"]


def test_upload_over_10_mb_is_413_naming_the_limit(client: TestClient) -> None:
    body = b"\x89PNG\r\n\x1a\n" + bytes(10 * 2**20)
    answer = upload(client, body)
    assert answer.status_code == 413
    assert "10,485,760 bytes" in message(answer)
    # the upload's own limit, and the bytes its Content-Length declared: how far over it is
    assert answer.json()["detail"][0]["ctx"] == {
        "limit": 10 * 2**20, "setting": "CONVSCOPE_MAX_UPLOAD_BYTES", "needed": len(body)}


def test_upload_between_the_json_body_limit_and_the_upload_limit_is_not_refused_for_size(
    client: TestClient,
) -> None:
    # 9 MB: over the 8 MiB JSON body limit, under the 10 MB upload limit; so the refusal is
    # about the (zero-filled, corrupt) content, not the size.
    answer = upload(client, png(np.zeros((8, 8, 3)))[:-20] + bytes(9 * 10**6))
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["type"] == "image_corrupt"  # its content, not its size


def test_chunked_upload_without_length_is_cut_off_at_the_limit() -> None:
    # The limit guards the socket, before any handler: it is set when the app is built.
    def chunks() -> Iterator[bytes]:
        for _ in range(100):
            yield bytes(100)

    with TestClient(create_app(Settings(max_upload_bytes=1000))) as small:
        answer = upload(small, chunks())
    assert answer.status_code == 413
    assert answer.request.headers.get("content-length") is None
    assert "1,000 bytes" in message(answer)
    assert "CONVSCOPE_MAX_UPLOAD_BYTES" in message(answer)
    assert answer.json()["detail"][0]["type"] == "body_too_large"


@pytest.mark.parametrize(
    ("body", "kind", "named"),
    [
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/png", "GIF"),
        (b"hello, this is text", "image/png", "not a PNG or JPEG"),
        (b"hello, this is text", "text/plain", "text/plain"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/png", "text"),
    ],
)
def test_non_png_jpeg_uploads_are_415_naming_what_they_are(
    client: TestClient, body: bytes, kind: str, named: str
) -> None:
    answer = upload(client, body, kind=kind)
    assert answer.status_code == 415
    assert named in message(answer)


@pytest.fixture
def pillow_never_opens(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pillow's open, the very function app.images calls, made to fail the test: what is
    refused must be refused from the bytes by our own reader, before Pillow reads them."""

    def never(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("Pillow was asked to open it")

    monkeypatch.setattr(Image, "open", never)


def test_decompression_bomb_is_refused_from_its_header_before_decoding(
    client: TestClient, pillow_never_opens: None
) -> None:
    data = bomb_png()
    assert len(data) < 10_000  # small on the wire, 2.5 G pixels declared
    answer = upload(client, data)
    assert answer.status_code == 422
    text = message(answer)
    assert "50000x50000" in text and "2,500,000,000" in text and "40,000,000" in text
    # the figures as numbers too, as a budget's refusal gives them
    assert answer.json()["detail"][0]["ctx"] == {
        "limit": 40_000_000, "setting": "CONVSCOPE_MAX_IMAGE_PIXELS", "needed": 50_000**2}


def test_an_upload_over_the_work_budget_is_refused_at_the_body_as_an_image_refusal(
    client: TestClient, override_settings: Any
) -> None:
    # 6000x6000 passes the pixel limit here but its decoding is priced over the budget: no
    # layer is involved, so the refusal is the upload's own (it said ["body", "body"] and
    # layer_error)
    override_settings(max_image_pixels=10**8)
    answer = upload(client, bomb_png(6000, 6000))
    assert answer.status_code == 422
    [entry] = answer.json()["detail"]
    assert (entry["loc"], entry["type"]) == (["body"], "image_too_many_pixels")
    assert "CONVSCOPE_MAX_WORK" in entry["msg"]


def test_an_upload_whose_parts_drive_it_over_the_budget_is_refused_as_too_complex(
    client: TestClient, override_settings: Any, pillow_never_opens: None
) -> None:
    # one pixel and 5,000 empty chunks, under the chunk bound, over a small budget: the
    # chunks are the dearest part, so the refusal is no "too many pixels" one
    override_settings(max_work=10**8)
    answer = upload(client, padded_png(5_000))
    assert answer.status_code == 422
    [entry] = answer.json()["detail"]
    assert (entry["loc"], entry["type"]) == (["body"], "image_too_complex")
    assert "PNG chunks read (5,003)" in entry["msg"] and "CONVSCOPE_MAX_WORK" in entry["msg"]


@pytest.mark.parametrize("side, off_loop", [(8, False), (700, True)])
def test_a_large_upload_is_walked_off_the_event_loop(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, side: int, off_loop: bool
) -> None:
    # a noise PNG of 8x8 (a few hundred bytes) is walked where it is; 700x700 (1.4 MB) in a
    # worker thread, so the event loop serves others meanwhile
    threads: list[str] = []
    probe = images.probe

    def watched(data: bytes, max_pixels: int) -> Any:
        threads.append(threading.current_thread().name)
        return probe(data, max_pixels)

    monkeypatch.setattr(images, "probe", watched)
    data = png(np.random.default_rng(1).integers(0, 256, size=(side, side, 3)))
    assert (len(data) > routers_images.PROBE_INLINE_BYTES) is off_loop
    assert upload(client, data, query="?encoding=compact").status_code == 200
    # the first walk prices the upload (decoding, on a heavy request's thread, walks it again)
    assert threads[0].startswith("AnyIO worker thread") is off_loop


def test_pillows_own_bomb_check_is_a_422_too(
    client: TestClient, override_settings: Any
) -> None:
    # our pixel limit and work budget pass it; Pillow's own check must catch it
    override_settings(max_image_pixels=10**12, max_work=10**15)
    answer = upload(client, bomb_png())
    assert answer.status_code == 422
    assert "decompression bomb" in message(answer).lower()


def test_truncated_png_is_422_not_500(client: TestClient) -> None:
    data = png(np.random.default_rng(0).integers(0, 256, size=(64, 64, 3)))
    answer = upload(client, data[: len(data) // 2])
    assert answer.status_code == 422
    assert "truncated or corrupt" in message(answer)


def test_a_png_signature_over_garbage_is_refused_without_python_internals(
    client: TestClient,
) -> None:
    # a header that reads (4x4 grey), then garbage: Pillow's own complaint, its internals cut
    header = (b"\x00\x00\x00\rIHDR" + (4).to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0])
              + b"\x00\x00\x00\x00")
    answer = upload(client, b"\x89PNG\r\n\x1a\n" + header + bytes(range(256)) * 4)
    assert answer.status_code == 422
    text = message(answer)
    assert "truncated or corrupt" in text
    assert "object at 0x" not in text and "BytesIO" not in text, text
    # no header at all: said by our own reader, before Pillow sees a byte
    answer = upload(client, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    assert answer.json()["detail"][0]["type"] == "image_corrupt"
    assert "its IHDR chunk is not first" in message(answer)


def test_empty_upload_is_422(client: TestClient) -> None:
    answer = upload(client, b"")
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["type"] == "empty_image"
    assert "empty" in message(answer)


@pytest.mark.parametrize("side", [8, 600])  # probed inline, and in the thread pool
def test_an_upload_is_walked_by_the_probe_once(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, side: int
) -> None:
    # the probe walks every chunk or segment of the file: pricing it and decoding it share
    # one walk (a file of a million chunks walked twice costs twice)
    walks: list[int] = []
    probe = images.probe

    def counted(data: bytes, max_pixels: int) -> Any:
        walks.append(len(data))
        return probe(data, max_pixels)

    monkeypatch.setattr(images, "probe", counted)
    noise = np.random.default_rng(side).integers(0, 256, (side, side, 3), dtype=np.uint8)
    body = png(noise)
    assert (len(body) > routers_images.PROBE_INLINE_BYTES) == (side > 100)
    answer = upload(client, body)
    assert answer.status_code == 200, answer.text
    assert walks == [len(body)]


# ----------------------------------------------------------------------------- filter banks


def test_every_filter_bank_is_k_f_f_3_with_k_names_and_biases(client: TestClient) -> None:
    banks = client.get("/api/filter-banks").json()
    assert {"sobel", "prewitt", "laplacian", "blur", "sharpen", "oriented-edges",
            "color-blobs", "identity"} <= {b["name"] for b in banks}
    for b in banks:
        w = np.array(b["values"])
        assert w.shape == (b["count"], b["size"], b["size"], 3), b["name"]
        assert len(b["bias"]) == len(b["names"]) == len(b["explanations"]) == b["count"]


def test_one_bank_by_name_and_404_for_unknown(client: TestClient) -> None:
    sobel = client.get("/api/filter-banks/sobel").json()
    assert sobel["names"] == ["sobel-x", "sobel-y"]
    np.testing.assert_allclose(np.array(sobel["values"])[0, :, :, 2] * 4,  # B: a quarter
                               [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    answer = client.get("/api/filter-banks/nope")
    assert answer.status_code == 404 and "sobel" in message(answer)


# ----------------------------------------------------------------------------- into a layer


def image_layer(client: TestClient, image: str, bank: str, activation: str = "none") -> Json:
    """A layer spec made only of the two answers, copied in unchanged."""
    picture = client.get(f"/api/images/{image}").json()
    filters = client.get(f"/api/filter-banks/{bank}").json()
    return {
        "input": picture["input"],
        "filters": {"count": filters["count"], "size": filters["size"],
                    "values": filters["values"], "bias": filters["bias"]},
        "activation": activation,
    }


def test_sobel_x_on_the_vertical_edge_peaks_on_the_edge_columns(client: TestClient) -> None:
    # By hand: output column j sees input columns j..j+2; Sobel-x's column sums are -4, 0, 4
    # and the channel shares (1/4, 1/2, 1/4) sum to 1, so V[i, j, 0] = 4 * (x[j+2] - x[j]):
    # 4 where the window straddles the edge at column 32 (j = 30, 31), 0 elsewhere.
    answer = client.post("/api/forward?encoding=compact",
                         json=image_layer(client, "vertical-edge", "sobel", "relu"))
    assert answer.status_code == 200, answer.text
    pre = array(answer.json()["output_pre"])
    assert pre.shape == (62, 62, 2)
    expected = np.zeros(62)
    expected[[30, 31]] = 4.0
    for i in range(62):
        np.testing.assert_allclose(pre[i, :, 0], expected, atol=1e-5)
    np.testing.assert_allclose(pre[:, :, 1], 0, atol=1e-5)  # Sobel-y: no vertical change
    assert int(np.argmax(pre[10, :, 0])) == 30


def test_steps_walk_an_image_layer_like_any_other(client: TestClient) -> None:
    layer = image_layer(client, "vertical-edge", "sobel")
    # depth_slice order: filter 0's positions row-major, so step 31 is (i, j, d) = (0, 31, 0).
    answer = client.post("/api/steps", json={"layer": layer, "start": 31, "count": 1})
    assert answer.status_code == 200, answer.text
    step = answer.json()["steps"][0]
    assert (step["i"], step["j"], step["d"]) == (0, 31, 0)
    window = np.array(step["window"])
    np.testing.assert_array_equal(window[:, :, 0], [[0, 1, 1]] * 3)  # columns 31, 32, 33
    assert step["pre"] == pytest.approx(4.0)  # (1 + 2 + 1) * (1 - 0), the channel shares summed
    total = client.post("/api/steps", json={"layer": layer, "start": 0, "count": 1}).json()
    assert total["total"] == 62 * 62 * 2


def test_a_wrong_content_type_is_told_every_type_the_upload_takes(client: TestClient) -> None:
    # application/octet-stream is read too (the bytes say which), but the 415 named two types
    image = png(np.zeros((2, 2, 3), dtype=np.uint8))
    said = message(upload(client, image, kind="application/json"))
    assert all(kind in said for kind in UPLOAD_TYPES), said
    assert upload(client, image, kind="application/octet-stream").status_code == 200


def test_a_jpeg_of_endless_markers_before_its_frame_is_refused_by_our_reader(
    client: TestClient, pillow_never_opens: None
) -> None:
    # 2.6 million empty comments before the frame header took seconds to walk, on the
    # event loop; a camera's file has a dozen or two markers there
    comments = b"\xff\xfe\x00\x02" * (images.JPEG_MARKERS + 1)
    frame = b"\xff\xc0\x00\x0b\x08\x00\x04\x00\x04\x01\x01\x11\x00"
    answer = upload(client, b"\xff\xd8" + comments + frame, kind="image/jpeg")
    assert answer.status_code == 422 and answer.json()["detail"][0]["type"] == "image_corrupt"
    assert f"among its first {images.JPEG_MARKERS} markers" in message(answer)


def test_an_image_is_decoded_only_at_the_size_it_was_priced_at(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # priced at the header's size by our reader; should Pillow read another, nothing decodes
    image = png(np.zeros((4, 4, 3), dtype=np.uint8))
    monkeypatch.setattr(images, "read_header", lambda data, kind: ((3, 3), ""))
    with pytest.raises(images.Refusal) as refused:
        images.decode(image, max_side=256, max_pixels=10_000)
    assert refused.value.msg == "the PNG's header declares 3x3, but Pillow reads 4x4"


@pytest.mark.parametrize(("data", "said"), [
    # the SOI marker alone: a JPEG cut short, not a file of another kind (a 415 said "not a
    # PNG or JPEG file (it starts with b'\xff\xd8')")
    (b"\xff\xd8", "the file ends at byte 2, before its frame header (SOF)"),
    # a quantisation table's segment promises 67 bytes and the file stops at 20
    (b"\xff\xd8\xff\xdb\x00\x43" + bytes(14), "the file ends at byte 20, before its frame"),
    (b"\xff\xd8\x00\x00\x00\x00", "byte 2 is not a marker where one should begin"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "the file ends before its IHDR chunk"),
])
def test_a_file_cut_short_or_broken_is_refused_saying_where(
    client: TestClient, data: bytes, said: str
) -> None:
    answer = upload(client, data, kind="image/png" if data[:1] == b"\x89" else "image/jpeg")
    assert answer.status_code == 422 and answer.json()["detail"][0]["type"] == "image_corrupt"
    assert said in message(answer)


def padded_png(chunks: int) -> bytes:
    """A 1x1 PNG with ``chunks`` empty private ancillary chunks between IHDR and IDAT (any
    reader skips them; Pillow reads each one, in Python)."""
    data = png(np.zeros((1, 1, 3)))
    return data[:33] + chunk(b"zzZz", b"") * chunks + data[33:]  # 33: signature and IHDR


def test_a_png_of_more_chunks_than_any_encoder_writes_is_refused_by_our_reader(
    client: TestClient, pillow_never_opens: None
) -> None:
    # 870,000 empty chunks (10 MB) took Pillow 4.6 s of CPU and 100 MB, priced at its 1x1 pixel
    # IHDR, the padding and IDAT before IEND: one chunk over the bound
    answer = upload(client, padded_png(images.PNG_CHUNKS - 1))
    assert answer.status_code == 422
    [entry] = answer.json()["detail"]
    assert (entry["loc"], entry["type"]) == (["body"], "image_too_complex")
    assert f"more than {images.PNG_CHUNKS:,} chunks" in entry["msg"]


def test_a_pngs_chunks_are_counted_to_its_end_and_no_further() -> None:
    data = padded_png(5)
    assert images.read_layout(data, "PNG").chunks == 8  # IHDR, 5, IDAT, IEND
    # past IEND nothing is read, by Pillow or by us
    assert images.read_layout(data + chunk(b"zzZz", b"") * 3, "PNG").chunks == 8


def jpeg(width: int = 64, height: int = 48, **options: Any) -> bytes:
    """A JPEG of noise (so its scans carry data), 4:2:0 unless ``options`` say otherwise."""
    pixels = np.random.default_rng(3).integers(0, 256, (height, width, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", **options)
    return buffer.getvalue()


def scans(data: bytes) -> list[tuple[int, int]]:
    """Where each scan of ``data`` begins and ends: its SOS marker to the next marker (in
    the data a 0xFF is followed by 0x00, a stuffed byte, or by a restart marker)."""
    found, at = [], 2
    while data[at + 1] != 0xD9:  # to EOI
        end = at + 2 + int.from_bytes(data[at + 2 : at + 4], "big")
        if data[at + 1] == 0xDA:
            while data[end] != 0xFF or data[end + 1] == 0 or 0xD0 <= data[end + 1] <= 0xD7:
                end += 1
            found.append((at, end))
        at = end
    return found


def test_a_jpeg_of_endless_markers_after_its_frame_is_refused_by_our_reader(
    client: TestClient, pillow_never_opens: None
) -> None:
    # 2.6 million empty comments between the frame header and the scan took Pillow's parser
    # ~5 s, priced at an 8x8 image
    data = jpeg(8, 8)
    first = scans(data)[0][0]
    padded = data[:first] + b"\xff\xfe\x00\x02" * images.JPEG_MARKERS + data[first:]
    answer = upload(client, padded, kind="image/jpeg")
    assert answer.status_code == 422
    [entry] = answer.json()["detail"]
    assert (entry["loc"], entry["type"]) == (["body"], "image_too_complex")
    assert f"more than {images.JPEG_MARKERS:,} markers before its end" in entry["msg"]


def test_a_jpeg_of_more_scans_than_any_encoder_writes_is_refused_by_our_reader(
    client: TestClient, pillow_never_opens: None
) -> None:
    # one 61-byte scan repeated 1,000 times: each walks all of the image's blocks again
    data = jpeg(progressive=True)
    start, end = scans(data)[1]
    repeated = data[:end] + data[start:end] * (images.JPEG_SCANS - 9) + data[end:]
    assert images.read_layout(data[:end] + data[start:end] * (images.JPEG_SCANS - 10)
                              + data[end:], "JPEG").scans == images.JPEG_SCANS
    answer = upload(client, repeated, kind="image/jpeg")
    assert answer.status_code == 422
    [entry] = answer.json()["detail"]
    assert (entry["loc"], entry["type"]) == (["body"], "image_too_complex")
    assert f"more than {images.JPEG_SCANS} scans" in entry["msg"]


def test_a_progressive_jpegs_scans_and_blocks_are_counted() -> None:
    # 64x48 at 4:2:0: luma 8x6 = 48 blocks, each chroma 4x3 = 12. libjpeg's progressive
    # script: DC of all three (72), luma AC 1-5 (48), Cr and Cb AC (12 each), luma AC 6-63
    # (48), luma's refinement (48), DC refinement (72), Cr, Cb and luma refinements (12, 12, 48)
    layout = images.read_layout(jpeg(progressive=True), "JPEG")
    assert (layout.scans, layout.blocks_held) == (10, 72)
    assert layout.blocks_scanned == 72 + 48 + 12 + 12 + 48 + 48 + 72 + 12 + 12 + 48
    # one scan: decoded as it is read, no coefficients held; restart markers are inside it
    assert images.read_layout(jpeg(), "JPEG") == images.Layout(scans=1)
    assert images.read_layout(jpeg(restart_marker_blocks=2), "JPEG") == images.Layout(scans=1)


def test_a_jpeg_with_bytes_between_its_markers_is_refused_not_left_uncounted(
    client: TestClient,
) -> None:
    # Pillow and the decoder skip stray bytes before a marker; scans behind them, not counted
    # by our reader, would be decoded unpriced
    data = jpeg(progressive=True)
    first = scans(data)[0][0]
    answer = upload(client, data[:first] + b"\x00" + data[first:], kind="image/jpeg")
    assert answer.status_code == 422
    [entry] = answer.json()["detail"]
    assert (entry["loc"], entry["type"]) == (["body"], "image_corrupt")
    assert f"byte {first} is not a marker where one should begin" in entry["msg"]


def test_a_16_bit_png_is_scaled_to_bytes_not_clipped() -> None:
    # Pillow's own convert("L") clips 16-bit values at 255: 25,700 would read as white
    grey = np.array([[0, 257 * 100], [32768, 65535]], dtype=np.uint16)
    buffer = io.BytesIO()
    Image.fromarray(grey).save(buffer, "PNG")
    decoded = images.decode(buffer.getvalue(), max_side=64, max_pixels=10_000)
    assert decoded.pixels[:, :, 0].tolist() == [[0, 100], [128, 255]]  # 32768/257 = 127.5
    assert (decoded.pixels[:, :, 0] == decoded.pixels[:, :, 2]).all()  # grey stays grey


def png16(samples: np.ndarray, colour_type: int) -> bytes:
    """A 16-bit PNG of ``samples`` ((H, W) grey, colour type 0, or (H, W, 3) RGB, type 2),
    written by hand: Pillow writes no 16-bit colour PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    h, w = samples.shape[:2]
    rows = samples.astype(">u2").reshape(h, -1)
    raw = b"".join(b"\0" + row.tobytes() for row in rows)  # filter 0 on every row
    header = struct.pack(">IIBBBBB", w, h, 16, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


def test_a_16_bit_grey_png_reads_as_the_same_bytes_as_a_16_bit_colour_one() -> None:
    # a grey one was rounded (65,280 -> 254) where Pillow takes a colour one's high byte
    # (65,280 -> 255): the same grey, one level apart in the two
    samples = np.array([[65280, 255, 32896, 257 * 100, 65535, 0]], dtype=np.uint16)
    grey = images.decode(png16(samples, 0), max_side=64, max_pixels=10_000).pixels
    colour = images.decode(png16(np.repeat(samples[..., None], 3, axis=2), 2),
                           max_side=64, max_pixels=10_000).pixels
    assert grey[0, :, 0].tolist() == [255, 0, 128, 100, 255, 0]
    np.testing.assert_array_equal(grey, colour)


def test_a_progressive_jpeg_cut_after_its_first_scan_is_priced_as_progressive() -> None:
    # its frame says progressive, so the decoder keeps every block whatever scans follow: cut
    # after one scan it was priced as a baseline file (no blocks held) and decoded at the cost
    # of the whole progressive one
    data = jpeg(progressive=True)
    _, end = scans(data)[0]
    cut = images.read_layout(data[:end] + b"\xff\xd9", "JPEG")
    assert (cut.scans, cut.buffered, cut.blocks_held) == (1, True, 72)
    whole = images.read_layout(data, "JPEG")
    assert whole.buffered and whole.blocks_held == cut.blocks_held
    assert not images.read_layout(jpeg(), "JPEG").buffered
    one, two = (costs.image_cost("JPEG", (64, 48), 64, "compact", len(d), layout)
                for d, layout in ((data[:end], cut), (data[:end], images.Layout(scans=1))))
    assert sum(i.work for i in one) > sum(i.work for i in two)  # priced as what it is


def test_a_png_of_exactly_the_chunk_limit_is_read() -> None:
    # the limit counts the chunks before IEND: 10,000 of them were refused as "more than"
    at_limit = padded_png(images.PNG_CHUNKS - 2)  # IHDR, the padding, IDAT: the limit
    assert images.read_layout(at_limit, "PNG").chunks == images.PNG_CHUNKS + 1  # and IEND
    with pytest.raises(Refusal, match=f"more than {images.PNG_CHUNKS:,} chunks"):
        images.read_layout(padded_png(images.PNG_CHUNKS - 1), "PNG")


def markers_before_eoi(data: bytes) -> int:
    """The marker segments of a JPEG between SOI and EOI (each scan's one), its scans' data
    skipped."""
    ends = dict(scans(data))  # each SOS's start -> where its data ends
    count, at = 0, 2
    while data[at + 1] != 0xD9:
        count += 1
        at = ends.get(at, at + 2 + int.from_bytes(data[at + 2 : at + 4], "big"))
    return count


def test_a_jpeg_of_exactly_the_marker_limit_is_read() -> None:
    # the limit counts the markers before EOI: 1,024 of them were refused as "more than"
    data = jpeg(8, 8)
    first = scans(data)[0][0]
    room = images.JPEG_MARKERS - markers_before_eoi(data)
    assert 0 < room < images.JPEG_MARKERS
    at_limit = data[:first] + b"\xff\xfe\x00\x02" * room + data[first:]
    assert markers_before_eoi(at_limit) == images.JPEG_MARKERS
    assert images.read_layout(at_limit, "JPEG").scans == 1
    over = data[:first] + b"\xff\xfe\x00\x02" * (room + 1) + data[first:]
    with pytest.raises(Refusal, match=f"more than {images.JPEG_MARKERS:,} markers"):
        images.read_layout(over, "JPEG")


def test_a_baseline_jpeg_of_one_component_a_scan_is_buffered_and_its_frame_read_once() -> None:
    # libjpeg keeps every block when the first scan has fewer components than the frame (a
    # baseline file may send them one scan each); only the first frame header sizes the image
    frame = bytes([8, 0, 16, 0, 16, 3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0])  # 16x16: 3 x 4 blocks
    sof = b"\xff\xc0" + (2 + len(frame)).to_bytes(2, "big") + frame
    huge = (b"\xff\xc0" + (2 + len(frame)).to_bytes(2, "big") + frame[:1]
            + bytes([0xEA, 0x60] * 2) + frame[5:])  # a second frame header, 60000x60000

    def scan(component: int) -> bytes:
        header = bytes([1, component, 0, 0, 63, 0])
        return b"\xff\xda" + (2 + len(header)).to_bytes(2, "big") + header + b"\x00\x12"

    one_each = b"\xff\xd8" + sof + huge + scan(1) + scan(2) + scan(3) + b"\xff\xd9"
    layout = images.read_layout(one_each, "JPEG")
    assert (layout.buffered, layout.scans, layout.blocks_held) == (True, 3, 12)
    assert layout.blocks_scanned == 12
    all_three = bytes([3, 1, 0, 2, 0, 3, 0, 0, 63, 0])
    interleaved = (b"\xff\xd8" + sof + b"\xff\xda" + (2 + len(all_three)).to_bytes(2, "big")
                   + all_three + b"\x00\x12\xff\xd9")
    assert images.read_layout(interleaved, "JPEG") == images.Layout(scans=1)


def test_a_pngs_frame_control_without_animation_does_not_end_its_count() -> None:
    # only an animated PNG's first frame is read: a stray fcTL in a still PNG is one more chunk
    data = padded_png(0)
    iend = data.rindex(b"IEND") - 4
    stray = data[:iend] + chunk(b"fcTL", b"\x00" * 26) + chunk(b"zzZz", b"") * 3 + data[iend:]
    assert images.read_layout(stray, "PNG").chunks == 2 + 4 + 1  # IHDR, IDAT, the four, IEND


def test_a_jpegs_bytes_are_priced_by_its_kind_and_frame() -> None:
    # a PNG pays no JPEG bytes; a buffered JPEG its bytes at the progressive price
    def item(kind: str, layout: images.Layout, size: int = 1000) -> int:
        found = [i for i in costs.image_cost(kind, (64, 48), 64, "compact", size, layout)
                 if i.what.startswith("JPEG bytes")]
        return found[0].work

    assert item("PNG", images.Layout(chunks=3)) == 0
    assert item("JPEG", images.Layout(scans=1)) == 1000 * costs.JPEG_BYTE
    assert item("JPEG", images.Layout(scans=1, buffered=True)) == 1000 * costs.PROGRESSIVE_BYTE


@pytest.mark.parametrize(("make", "query", "limit", "dearest", "kind"), [
    # one pixel behind a 600 KB ancillary chunk: its bytes, inflated, are the dearest work
    (lambda: png(np.zeros((1, 1, 3)))[:33] + chunk(b"zzZz", bytes(600_000))
     + png(np.zeros((1, 1, 3)))[33:], "", {"max_work": 5 * 10**7}, "PNG bytes inflated",
     "image_too_complex"),
    # a PNG one column wide and 20,000 rows tall: decoding its rows is the dearest work, and
    # it is the picture's size (fewer rows fix it), not its file's make
    (lambda: png(np.zeros((20_000, 1, 3))), "", {"max_work": 5 * 10**7}, "PNG rows decoded",
     "image_too_many_pixels"),
    # a plain 64x64 PNG: its pixels as numbers are the most numbers held
    (lambda: png(np.zeros((64, 64, 3))), "", {"max_elements": 1_000}, "pixels as numbers",
     "image_too_many_pixels"),
    # a progressive JPEG shrunk to 4x3: the coefficients it holds outnumber its pixels
    (lambda: jpeg(progressive=True), "?max_side=4", {"max_elements": 500},
     "JPEG coefficients held", "image_too_complex"),
], ids=["png-bytes-work", "png-rows-work", "png-pixels-numbers",
        "jpeg-coefficients-numbers"])
def test_an_upload_over_a_budget_is_typed_by_its_dearest_part(
    client: TestClient, override_settings: Any, make: Any, query: str, limit: dict[str, int],
    dearest: str, kind: str,
) -> None:
    # work and numbers held alike: a refusal's type names what drove it over, the pixels or
    # the file's parts (a numbers refusal was typed layer_error: no layer is involved)
    override_settings(**limit)
    answer = upload(client, make(), "image/jpeg" if "JPEG" in dearest else "image/png", query)
    assert answer.status_code == 422
    [entry] = answer.json()["detail"]
    assert (entry["loc"], entry["type"]) == (["body"], kind), entry
    assert re.search(rf"the most, [\d,]+, (goes to|are) {dearest}", entry["msg"]), entry["msg"]
    # the budget's figures as a layer's refusal gives them: the page says how far over it is
    [(setting, value)] = limit.items()
    ctx = entry.get("ctx", {})
    assert (ctx.get("limit"), ctx.get("setting")) == (value, f"CONVSCOPE_{setting.upper()}")
    assert ctx["needed"] > value, ctx
    assert (f"would cost {ctx['needed']:,} " in entry["msg"]
            or f"would materialise {ctx['needed']:,} " in entry["msg"]), entry
