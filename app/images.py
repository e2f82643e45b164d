"""Images as layer inputs: the shipped samples and uploaded PNG/JPEG, decoded in memory.

Every refusal is an :class:`app.errors.Refusal` of the body, with an HTTP status and a
sentence that names the limit or the reason; nothing here writes to disk. The order of checks
matters for safety:

1. the byte count (413), by :class:`app.errors.BodyLimit` before the body is read in full;
2. the magic bytes (415): only PNG and JPEG reach Pillow at all;
3. the header's width*height, read by our own reader (:func:`probe`: a PNG's IHDR first, as
   the standard puts it, a JPEG's frame header within :data:`JPEG_MARKERS` markers, else a
   422), against ``max_image_pixels`` (422) and priced *before* decoding, so a small file that
   would inflate to gigabytes never allocates them; decoding holds Pillow to that size
   (Pillow's own bomb check, at ``Image.MAX_IMAGE_PIXELS``, is caught too). The parts
   decoding walks besides the pixels (:func:`read_layout`: a PNG's chunks, a JPEG's markers
   and scans) are counted by our own bounded reader too, refused past what any encoder
   writes (422) and priced;
4. decoding (422 for truncated or corrupt data), then resizing so the longer side is at most
   ``max_side``.
"""

from __future__ import annotations

import io
import re
import struct
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from app.config import ServerLimit, setting_name
from app.errors import Refusal

SAMPLES_DIR = Path(__file__).resolve().parent / "sample_images"
# The most marker segments a JPEG is read through, to find its size and then to its end (EOI):
# a camera's file has a dozen or two before the frame header (APPn, DQT, DHT, COM), a
# progressive one a few more between its scans; a file of millions of empty comments would
# hold the event loop while they were read, and Pillow reads those before the first scan
# in Python.
JPEG_MARKERS = 1024
# The most chunks a PNG is read through (to its IEND). Pillow reads every chunk, in Python
# (benchmarks/README.md, "Figures behind the code's choices"), so each is priced besides
# (app/costs.py, PNG_CHUNK); this bounds our own walk of them, on the event loop. A real
# encoder writes a handful of ancillary chunks and its pixels in IDAT chunks of 8 KiB (libpng)
# or more: a 10 MiB upload is about 1,300 of them. An animated PNG's later frames are not read.
PNG_CHUNKS = 10_000
# The most scans (SOS markers) a JPEG may have. A progressive JPEG's decoder keeps every
# coefficient of the image and walks all of a scan's blocks per scan, so each scan is priced
# (app/costs.py, SCAN_BLOCK); this bounds the count whatever the image's size. libjpeg's
# progressive script writes 10 scans (6 for greyscale), a baseline JPEG has 1.
JPEG_SCANS = 100
# Where a JPEG's entropy-coded data ends: a 0xFF byte there is always followed by 0x00 (a
# stuffed byte) or a restart marker (RST0..RST7), so the next other one begins a marker.
_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7]")
# A JPEG's frame headers (SOF0..SOF15 but DHT, JPG and DAC, which share the range), those of
# progressive frames (SOF2, SOF6, SOF10, SOF14: the decoder keeps every coefficient, even of a
# file cut after its first scan), and the markers without a length (TEM, RST0..RST7, SOI).
FRAME_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
PROGRESSIVE_FRAMES = frozenset((0xC2, 0xC6, 0xCA, 0xCE))
LENGTHLESS_MARKERS = frozenset((0x01, *range(0xD0, 0xD9)))
# Pillow's reducing_gap: 3 is where it calls the two-stage result all but equal to Lanczos
# alone (its documentation of Image.resize).
REDUCING_GAP = 3.0
UPLOAD_PATH = "/api/images"

Scale = Literal["unit", "byte"]
ByteImage = npt.NDArray[np.uint8]

# name -> what it shows; scripts/make_sample_images.py draws exactly these.
SAMPLES: dict[str, str] = {
    "vertical-edge": "Black on the left, white on the right: one vertical edge (Sobel-x's case).",
    "stripes": "Four patches of stripes at 0, 45, 90 and 135 degrees.",
    "color-blobs": "Red, green, blue and yellow blobs on grey: for the colour-opponent filters.",
    "checkerboard": "An 8x8-pixel checkerboard: edges both ways and corners.",
    "scene": "A synthetic photo: sky gradient, sun, hills, a house and a tree, with noise.",
}

# A JPEG starts with its SOI marker, FF D8 (a file of those two bytes alone is a JPEG cut
# short, which the header reader says, not a file of another kind)
_MAGIC = {b"\x89PNG\r\n\x1a\n": "PNG", b"\xff\xd8": "JPEG"}
_KNOWN_OTHERS = {
    b"GIF87a": "a GIF", b"GIF89a": "a GIF", b"BM": "a BMP", b"RIFF": "a RIFF (WebP?) file",
    b"%PDF": "a PDF", b"II*\x00": "a TIFF", b"MM\x00*": "a TIFF", b"<": "text (HTML or SVG?)",
}


@dataclass(frozen=True)
class Decoded:
    """An image as ``pixels`` ``(H, W, 3)`` uint8 plus where it came from."""

    pixels: ByteImage  # (H, W, 3)
    format: str  # "PNG" or "JPEG"
    original_size: tuple[int, int]  # (height, width) before resizing


def sniff(data: bytes) -> str:
    """``"PNG"`` or ``"JPEG"`` from the first bytes, else a 415 :class:`Refusal`.

    Examples
    --------
    >>> sniff(b"\\x89PNG\\r\\n\\x1a\\n....")
    'PNG'
    >>> sniff(b"GIF89a...")
    Traceback (most recent call last):
    ...
    app.errors.Refusal: 415: the upload is a GIF, not a PNG or JPEG: only PNG and JPEG are read
    """
    for magic, kind in _MAGIC.items():
        if data.startswith(magic):
            return kind
    what = next((name for magic, name in _KNOWN_OTHERS.items() if data.startswith(magic)),
                "not a PNG or JPEG file")
    if what == "not a PNG or JPEG file":
        raise Refusal(415, ["body"], f"the upload is {what} (it starts with {data[:8]!r}): "
                      "only PNG and JPEG are read", "unsupported_media_type")
    raise Refusal(415, ["body"], f"the upload is {what}, not a PNG or JPEG: only PNG and JPEG "
                  "are read", "unsupported_media_type")


def read_header(data: bytes, kind: str) -> tuple[tuple[int, int] | None, str]:
    """``(width, height)`` as the PNG's IHDR or the JPEG's SOF marker declares it, read
    without Pillow (so even its header parser meets no huge image), or None and why: where
    the reader stopped.

    Examples
    --------
    >>> side = (50000).to_bytes(4, "big")
    >>> read_header(b"\\x89PNG\\r\\n\\x1a\\n" + b"\\x00\\x00\\x00\\rIHDR" + side + side, "PNG")
    ((50000, 50000), '')
    >>> read_header(b"\\xff\\xd8", "JPEG")
    (None, 'the file ends at byte 2, before its frame header (SOF)')
    """
    if kind == "PNG":
        if len(data) < 24 or data[12:16] != b"IHDR":
            return None, ("the file ends before its IHDR chunk" if len(data) < 24 else
                          "its IHDR chunk is not first, where the PNG standard puts it")
        return (int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")), ""
    at = 2  # after SOI; walk the marker segments up to the frame header (SOF0..SOF15)

    def ended(at: int) -> str:
        return f"the file ends at byte {at}, before its frame header (SOF)"

    for _ in range(JPEG_MARKERS):
        if at + 4 > len(data):
            return None, ended(min(at, len(data)))
        if data[at] != 0xFF:
            return None, f"byte {at} is not a marker where one should begin"
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in LENGTHLESS_MARKERS:
            at += 2
            continue
        length = int.from_bytes(data[at + 2 : at + 4], "big")
        if marker in FRAME_MARKERS:
            if at + 9 > len(data):
                return None, ended(len(data))
            height = int.from_bytes(data[at + 5 : at + 7], "big")
            width = int.from_bytes(data[at + 7 : at + 9], "big")
            return (width, height), ""
        at += 2 + length
    return None, f"no frame header (SOF) among its first {JPEG_MARKERS} markers"


@dataclass(frozen=True)
class Layout:
    """What decoding walks besides the pixels, as :func:`read_layout` counts it: a PNG's
    chunks, which Pillow reads one by one in Python; a JPEG's scans and, when it has more
    than one (a progressive JPEG), the 8x8 blocks its decoder keeps at full resolution
    whatever the scale it decodes at, and the blocks its scans walk, summed over the scans."""

    chunks: int = 0
    scans: int = 0
    blocks_held: int = 0
    blocks_scanned: int = 0
    # the decoder keeps every block until the last scan: a progressive frame, or a first scan
    # of fewer components than the frame (libjpeg's multi-scan mode), however many scans follow
    buffered: bool = False


def _too_complex(kind: str, what: str) -> Refusal:
    return Refusal(422, ["body"], f"the {kind} has {what}; nothing was decoded",
                   "image_too_complex")


def read_layout(data: bytes, kind: str) -> Layout:
    """The :class:`Layout` of a file whose header :func:`read_header` read, walked by our own
    bounded reader; a 422 :class:`Refusal` for more parts than any encoder writes. A file cut
    short or broken is counted as far as it reads (decoding then says what is wrong with it).

    >>> png = io.BytesIO()
    >>> Image.new("L", (4, 4)).save(png, "PNG")
    >>> read_layout(png.getvalue(), "PNG").chunks  # IHDR, IDAT, IEND
    3
    """
    if kind == "JPEG":
        return _jpeg_layout(data)
    at, chunks, animated, pixels_read = 8, 0, False, False
    while at + 8 <= len(data):
        length, name = struct.unpack_from(">I4s", data, at)
        if not name.isalpha():
            break  # not a chunk: Pillow stops here too, and says the file is broken
        chunks += 1
        if name == b"IEND" or (name == b"fcTL" and animated and pixels_read):
            break  # Pillow stops here too: an animated PNG's first frame is the image read
        if chunks > PNG_CHUNKS:
            raise _too_complex("PNG", f"more than {PNG_CHUNKS:,} chunks before its end (IEND), "
                               "more than any encoder writes (a 10 MiB image is about 1,300)")
        if name == b"acTL" and at + 12 <= len(data):
            animated = int.from_bytes(data[at + 8 : at + 12], "big") > 1
        pixels_read = pixels_read or name == b"IDAT"
        at += 12 + length
    return Layout(chunks=chunks)


def _jpeg_layout(data: bytes) -> Layout:
    """A JPEG's scans, walked from SOI to EOI: its marker segments (at most
    :data:`JPEG_MARKERS`, which Pillow reads in Python up to the first scan), each scan's
    entropy-coded data skipped at C speed (:data:`_NEXT_MARKER`), at most :data:`JPEG_SCANS`
    scans, and the blocks of each scan's components as the frame header (SOF) sizes them."""
    at, markers, scans, scanned = 2, 0, 0, 0
    blocks: dict[int, int] = {}  # component id -> its 8x8 blocks at full resolution
    buffered = False
    while at + 2 <= len(data):
        if data[at] != 0xFF:
            # Pillow would read on byte by byte in Python, then the decoder skip to the next
            # marker: scans not counted here would be decoded unpriced
            raise Refusal(422, ["body"], f"the JPEG is corrupt: byte {at} is not a marker "
                          "where one should begin; nothing was decoded", "image_corrupt")
        marker = data[at + 1]
        if marker == 0xD9:  # EOI: the image ends (an MPO's next picture is not read)
            break
        markers += 1
        if markers > JPEG_MARKERS:
            raise _too_complex("JPEG", f"more than {JPEG_MARKERS:,} markers before its end "
                               "(EOI), more than any encoder writes (a camera's file has a "
                               "few dozen)")
        if marker == 0xFF or marker in LENGTHLESS_MARKERS:  # a fill byte, or no length
            at += 1 if marker == 0xFF else 2
            continue
        length = int.from_bytes(data[at + 2 : at + 4], "big")
        segment = data[at + 4 : at + 2 + length]
        if marker in FRAME_MARKERS and not blocks:
            blocks = _component_blocks(segment)
            buffered = marker in PROGRESSIVE_FRAMES
        elif marker == 0xDA:
            scans += 1
            if scans == 1 and segment and segment[0] < len(blocks):
                buffered = True  # the other components come in later scans
            if scans > JPEG_SCANS:
                raise _too_complex("JPEG", f"more than {JPEG_SCANS} scans, more than any "
                                   "encoder writes (a progressive JPEG has about 10)")
            # its header: a count, then each component's id and its tables
            ids = segment[1 : 1 + 2 * segment[0] : 2] if segment else b""
            scanned += sum(blocks.get(component, 0) for component in ids)
            found = _NEXT_MARKER.search(data, at + 2 + length)
            at = found.start() if found else len(data)
            continue
        at += 2 + length
    if not buffered:  # decoded as it is read, at the scale asked for
        return Layout(scans=scans)
    return Layout(scans=scans, blocks_held=sum(blocks.values()), blocks_scanned=scanned,
                  buffered=True)


def _component_blocks(frame: bytes) -> dict[int, int]:
    """``component id -> 8x8 blocks`` of a JPEG frame header's (SOF's) body: each component
    at its sampling factors' share of the image's width and height.

    >>> frame = bytes([8, 0, 16, 0, 32, 2, 1, 0x22, 0, 2, 0x11, 1])  # 32x16, 2x2 luma
    >>> _component_blocks(frame)
    {1: 8, 2: 2}
    """
    if len(frame) < 6:
        return {}
    height, width = int.from_bytes(frame[1:3], "big"), int.from_bytes(frame[3:5], "big")
    parts = [frame[6 + 3 * i : 9 + 3 * i] for i in range(frame[5])]
    parts = [part for part in parts if len(part) == 3]
    most_h = max((part[1] >> 4 for part in parts), default=1) or 1
    most_v = max((part[1] & 15 for part in parts), default=1) or 1

    def up(n: int, d: int) -> int:  # n / d rounded up
        return -(-n // d)

    return {
        part[0]: up(up(width * (part[1] >> 4), most_h), 8)
        * up(up(height * (part[1] & 15), most_v), 8)
        for part in parts
    }


def _too_many_pixels(width: int, height: int, max_pixels: int) -> Refusal:
    # the limit and the pixels declared in ctx too, as a budget's refusal gives them
    limit = ServerLimit(max_pixels, setting_name("max_image_pixels"))
    return Refusal(
        422, ["body"], f"the image header declares {width}x{height} = {width * height:,} "
        f"pixels, over this server's limit of {max_pixels:,} ({limit.setting}); "
        "nothing was decoded", "image_too_many_pixels", limit.needing(width * height),
    )


def probe(data: bytes, max_pixels: int) -> tuple[str, tuple[int, int], Layout]:
    """``(kind, (width, height), layout)`` of an upload as its header declares it
    and :func:`read_layout` counts it, read by our own reader alone (Pillow's header parser,
    in Python, walks every chunk of a file of hundreds of thousands of them, and this runs on
    the event loop to price the upload). Decoding then holds the image to this size
    (:func:`decode`).

    >>> buffer = io.BytesIO()
    >>> Image.new("L", (40, 10)).save(buffer, "PNG")
    >>> kind, size, layout = probe(buffer.getvalue(), max_pixels=10_000)
    >>> kind, size, layout.chunks
    ('PNG', (40, 10), 3)
    """
    if not data:
        raise Refusal(422, ["body"], "the upload is empty: send the image's bytes as the body",
                      "empty_image")
    kind = sniff(data)
    declared, where = read_header(data, kind)
    if declared is None:
        raise Refusal(422, ["body"], f"the {kind}'s size could not be read from its header: "
                      f"{where}", "image_corrupt")
    if declared[0] * declared[1] > max_pixels:
        raise _too_many_pixels(*declared, max_pixels)
    return kind, declared, read_layout(data, kind)


# What Pillow may call an image of each kind: a JPEG holding more than one picture (MPO, as
# many cameras and phones write) is read as its first, the one every JPEG reader shows.
FORMATS_READ = {"PNG": {"PNG"}, "JPEG": {"JPEG", "MPO"}}


def decode(data: bytes, max_side: int, max_pixels: int) -> Decoded:
    """Decode PNG/JPEG ``data`` to RGB uint8, resized so the longer side is <= ``max_side``.

    Examples
    --------
    >>> buffer = io.BytesIO()
    >>> Image.new("RGB", (40, 10), (255, 0, 0)).save(buffer, "PNG")
    >>> image = decode(buffer.getvalue(), max_side=20, max_pixels=10_000)
    >>> image.pixels.shape, image.original_size, image.pixels[0, 0].tolist()
    ((5, 20, 3), (10, 40), [255, 0, 0])
    """
    kind, declared, _ = probe(data, max_pixels)
    return decode_probed(data, kind, declared, max_side)


def decode_probed(data: bytes, kind: str, declared: tuple[int, int], max_side: int) -> Decoded:
    """:func:`decode` of ``data`` whose :func:`probe` gave ``kind`` and the ``declared``
    (width, height): an upload priced by its probe is not walked a second time."""
    width, height = declared
    with _pillow(kind), Image.open(io.BytesIO(data), formats=[kind]) as image:
        if image.size != (width, height):  # priced at the header's size: decode no other
            raise Refusal(422, ["body"], f"the {kind}'s header declares {width}x{height}, but "
                          f"Pillow reads {image.size[0]}x{image.size[1]}", "image_corrupt")
        if image.format not in FORMATS_READ[kind]:
            raise Refusal(415, ["body"], f"the bytes look like {kind} but Pillow "
                          f"reads {image.format}", "unsupported_media_type")
        if kind == "JPEG":
            # Let the JPEG decoder scale down by 1/2..1/8 while decoding: less memory.
            image.draft("RGB", (max_side, max_side))
        image.load()
        # an EXIF orientation of 5 to 8 stands the stored picture on its side: the upright
        # image, the one answered, is as tall as the stored one is wide
        turned = image.getexif().get(ORIENTATION, 1) in (5, 6, 7, 8)
        pixels = _to_rgb(ImageOps.exif_transpose(image), max_side)
    return Decoded(pixels=pixels, format=kind,
                   original_size=(width, height) if turned else (height, width))


@contextmanager
def _pillow(kind: str) -> Iterator[None]:
    """Pillow's complaints about ``kind`` data as refusals: its bomb warning and error as too
    many pixels, truncated and corrupt data (reported with any of several exceptions) as
    corrupt."""
    try:
        with warnings.catch_warnings():
            # Pillow warns (then raises) past Image.MAX_IMAGE_PIXELS; make both a refusal.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    except Refusal:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise Refusal(422, ["body"], f"the image is a decompression bomb: {error}",
                      "image_too_many_pixels") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError,
            IndexError, TypeError) as error:
        # Some name the Python object Pillow read from ("<_io.BytesIO object at 0x...>"), of
        # no use to a client.
        reason = _OBJECT_REPR.sub("", str(error))
        raise Refusal(422, ["body"], f"the {kind} could not be decoded (truncated or "
                      f"corrupt?): {reason}", "image_corrupt") from None


# The EXIF tag saying which way up a photo was taken (1 upright; 5 to 8 turned a quarter).
ORIENTATION = ExifTags.Base.Orientation

_OBJECT_REPR = re.compile(r"\s*<[\w.]+ object at 0x[0-9a-fA-F]+>")


def _to_rgb(image: Image.Image, max_side: int) -> ByteImage:
    """RGB uint8 ``(H, W, 3)``: transparency over white, 16 bits by their high byte, longer
    side capped.

    A colour key (a PNG's tRNS in a grey or truecolour image: one value transparent) counts
    as transparency as an alpha channel does:

    >>> grey = Image.fromarray(np.array([[0, 128]], np.uint8), "L")
    >>> grey.info["transparency"] = 0
    >>> _to_rgb(grey, 10).tolist()
    [[[255, 255, 255], [128, 128, 128]]]
    >>> wide = Image.fromarray(np.array([[0, 65535]], np.uint16))  # mode I;16
    >>> wide.info["transparency"] = 65535
    >>> _to_rgb(wide, 10).tolist()
    [[[0, 0, 0], [255, 255, 255]]]
    """
    key = image.info.get("transparency")
    keyed = None  # a 16-bit image's colour key, found before its values are scaled to 8 bits
    if image.mode in ("I;16", "I;16B", "I;16L", "I") and isinstance(key, int):
        keyed = np.array(image) == key
    if image.mode in ("I;16", "I;16B", "I;16L"):
        # Pillow's convert("L") clips 16-bit values at 255 instead of scaling them. Their high
        # byte, as Pillow reads a 16-bit colour PNG: a grey pixel and the same value in
        # every channel of a colour one give the same bytes (rounded, 65,280 was 254 in one
        # and 255 in the other).
        image = Image.fromarray((np.array(image, dtype=np.uint16) >> 8).astype(np.uint8))
    elif image.mode == "I":
        # 32-bit integers (a TIFF's, say) have no fixed top: scaled to their largest. In
        # place: the same sums as wide / top * 255 + 0.5, but one float64 copy of the image
        # rather than four (128 MB each at 4000x4000).
        wide = np.array(image, dtype=np.float64)
        wide /= max(float(wide.max()), 1.0)
        wide *= 255.0
        wide += 0.5
        image = Image.fromarray(np.clip(wide, 0, 255, out=wide).astype(np.uint8))
    if keyed is not None and keyed.any():
        image.putalpha(Image.fromarray(np.where(keyed, 0, 255).astype(np.uint8)))
    if image.mode in ("RGBA", "LA", "PA") or (
        image.mode in ("P", "L", "RGB") and "transparency" in image.info
    ):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    image = image.convert("RGB")
    size = capped_size(image.size, max_side)
    if size != image.size:
        # Whole factors first by box averaging, down to 3x the size, then Lanczos: its weights
        # span 6 source pixels per scale unit, so resized in one go, a long strip's output
        # pixels each weigh hundreds of thousands of source pixels (seconds, and hundreds of
        # MB of weights; benchmarks/README.md).
        image = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=REDUCING_GAP)
    return np.asarray(image, dtype=np.uint8).copy()  # (H, W, 3)


def capped_size(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """``(width, height)`` scaled so the longer side is at most ``max_side``.

    >>> capped_size((640, 480), 320), capped_size((64, 48), 320), capped_size((1000, 1), 10)
    ((320, 240), (64, 48), (10, 1))
    """
    width, height = size
    if max(width, height) <= max_side:
        return size
    ratio = max_side / max(width, height)
    return max(1, round(width * ratio)), max(1, round(height * ratio))


def scaled(pixels: ByteImage, scale: Scale) -> npt.NDArray[np.float64]:
    """Pixel values as floats: ``unit`` in [0, 1] (divided by 255) or ``byte`` 0..255.

    Examples
    --------
    >>> scaled(np.array([[[0, 51, 255]]], dtype=np.uint8), "unit").tolist()
    [[[0.0, 0.2, 1.0]]]
    """
    values = pixels.astype(np.float64)
    return values / 255.0 if scale == "unit" else values


def sample(name: str, max_side: int) -> Decoded:
    """A shipped sample image by name (a KeyError for unknown names)."""
    if name not in SAMPLES:
        raise KeyError(name)
    data = (SAMPLES_DIR / f"{name}.png").read_bytes()
    return decode(data, max_side=max_side, max_pixels=10**7)


def sample_sizes() -> dict[str, tuple[int, int]]:
    """``name -> (height, width)`` of every shipped sample, read from the PNG headers."""
    return {name: _header_size(name)[::-1] for name in SAMPLES}


def sample_shape(name: str, max_side: int) -> tuple[int, int, int]:
    """The ``(H, W, 3)`` shape :func:`sample` gives ``name`` at ``max_side``, from its header
    alone (a KeyError for unknown names)."""
    if name not in SAMPLES:
        raise KeyError(name)
    width, height = capped_size(_header_size(name), max_side)
    return height, width, 3


@cache
def _header_size(name: str) -> tuple[int, int]:
    """A shipped sample's ``(width, height)``: the files do not change while serving."""
    with Image.open(SAMPLES_DIR / f"{name}.png", formats=["PNG"]) as image:
        return image.width, image.height
