"""Images and filter banks under /api: real pictures as ordinary layer inputs.

``GET/POST /api/images`` answer ``input: {shape, values}`` that drops into a layer spec's
``input`` unchanged, and ``/api/filter-banks`` answer ``values``/``bias`` in the shapes of the
spec's ``filters.values``/``filters.bias``; ``/api/forward`` and ``/api/steps`` need nothing new.
Uploads are read into memory (under :class:`app.errors.BodyLimit`'s cap for this path) and
never stored.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from app import costs, images
from app.config import Settings, SettingsDep
from app.encoding import Encoding, OrjsonResponse, encode
from app.errors import (
    OVER_LIMIT,
    Refusal,
    media_type,
    sent_as,
    unknown_name,
    unsupported_media,
)
from app.lean import no_unknown_query
from app.routing import heavy_work_of, run_heavy
from app.schemas import (
    ErrorResult,
    FilterBankResult,
    ImageResult,
    SampleImageResult,
    limit,
    name_in_path,
)
from engine.errors import LayerError
from engine.filterbanks import BANKS, FilterBank

# unknown query parameters are refused here as on every API route (app.lean)
router = APIRouter(prefix="/api", tags=["images"], dependencies=[Depends(no_unknown_query)])

# Our readers walk a file's chunks or markers in Python, in time that grows with its bytes:
# a large upload is walked off the event loop, which meanwhile serves other requests (a
# thread's hop costs a small one more than its walk).
PROBE_INLINE_BYTES = 256 * 1024

ScaleQuery = Annotated[
    images.Scale, Query(description="unit: values in [0, 1]; byte: 0..255")
]
MaxSideQuery = Annotated[
    int | None,
    Query(ge=1, json_schema_extra=limit("max_image_side"),
          description="resize so the longer side is at most this "
          "(default and upper bound: the server's max_image_side, this schema's maximum)"),
]
EncodingQuery = Annotated[
    Encoding, Query(description="json (default, as every endpoint): nested lists; compact: "
                    "base64 float64 (the page asks for it), so that sent back as a layer's "
                    "input the values are the server's own")
]

UPLOAD_TYPES = ("image/png", "image/jpeg", "application/octet-stream")
NOT_FOUND: dict[int | str, dict[str, object]] = {
    404: {"model": ErrorResult, "description": "No such name; the message lists the known ones"},
}
BAD_SIDE: dict[int | str, dict[str, object]] = {
    422: {"model": ErrorResult, "description": "max_side over the server's max_image_side, or "
          "a query parameter it does not take"},
}
UPLOAD_REFUSALS: dict[int | str, dict[str, object]] = {
    413: {"model": ErrorResult, "description": "Over CONVSCOPE_MAX_UPLOAD_BYTES (default 10 MiB)"},
    415: {"model": ErrorResult, "description": "Not PNG or JPEG (Content-Type or magic bytes)"},
    422: {"model": ErrorResult, "description": "Empty, truncated or corrupt, too many pixels "
          "in the header (decompression bomb), or max_side over the limit"},
}
UPLOAD_BODY = {
    "required": True,
    "description": "The raw bytes of one PNG or JPEG image, sent as image/png, image/jpeg or "
    "application/octet-stream (the bytes are checked by their first bytes, whatever the "
    "Content-Type says); anything else is refused with 415. Transparent pixels are laid over "
    "white and a greyscale image gives three equal channels",
    # minLength: an empty body is refused (422 empty_image), so the schema says so too
    "content": {kind: {"schema": {"type": "string", "format": "binary", "minLength": 1}}
                for kind in UPLOAD_TYPES},
}


def fitted_side(max_side: int | None, settings: Settings) -> int:
    """The longer side an image is resized to: ``max_side``, or the server's limit when none
    is given; over the limit, a 422."""
    if max_side is None:
        return settings.max_image_side
    if max_side > settings.max_image_side:
        limit = settings.limit("max_image_side")
        raise Refusal(422, ["query", "max_side"],
                      "the query's " + limit.over([f"max_side is {max_side:,}"]),
                      OVER_LIMIT, limit.ctx)
    return max_side


def refuse_non_image(content_type: str | None) -> None:
    """415 for an upload whose Content-Type is none of :data:`UPLOAD_TYPES`, saying what to
    send (the bytes are then read by their first bytes, :func:`app.images.sniff`)."""
    kind, _ = media_type(content_type)
    if kind not in UPLOAD_TYPES:
        raise unsupported_media(f"{sent_as(kind)}, not an image this server reads: send "
                                "image/png or image/jpeg (or application/octet-stream: the bytes "
                                "say which)")


def _answer(image: images.Decoded, name: str | None, scale: images.Scale,
            encoding: Encoding) -> Response:
    values = images.scaled(image.pixels, scale)  # (H, W, 3)
    shape = list(values.shape)
    return OrjsonResponse({
        "name": name,
        "format": image.format,
        "original_shape": list(image.original_size),
        "shape": shape,
        "scale": scale,
        # float64 even compact: sent back as a layer's input, an upload's pixels must be the
        # numbers a sample's are (k/255 rounded to float32 left sums meant to cancel at 3e-8)
        "input": {"shape": shape, "values": encode(values, encoding, "float64")},
    })


def _bank(bank: FilterBank) -> FilterBankResult:
    return FilterBankResult(
        name=bank.name, title=bank.title, explanation=bank.explanation, count=bank.count,
        size=bank.size, names=list(bank.names), explanations=list(bank.explanations),
        values=bank.weights.tolist(), bias=bank.bias.tolist(),
    )


@router.get("/images")
def samples() -> list[SampleImageResult]:
    """The sample images shipped with the server: names, descriptions, sizes."""
    sizes = images.sample_sizes()
    return [
        SampleImageResult(name=name, description=text, height=sizes[name][0],
                          width=sizes[name][1])
        for name, text in images.SAMPLES.items()
    ]


@router.get("/images/{name}", response_model=ImageResult, responses={**NOT_FOUND, **BAD_SIDE})
def sample(
    name: Annotated[str, name_in_path("sample image", images.SAMPLES)], settings: SettingsDep,
    scale: ScaleQuery = "unit", max_side: MaxSideQuery = None, encoding: EncodingQuery = "json",
) -> Response:
    """A sample image as a layer input (``input`` drops into a layer spec)."""
    side = fitted_side(max_side, settings)
    if name not in images.SAMPLES:
        raise unknown_name("sample image", name, images.SAMPLES)
    return _answer(images.sample(name, side), name, scale, encoding)


@router.post("/images", response_model=ImageResult, responses=UPLOAD_REFUSALS,
             openapi_extra={"requestBody": UPLOAD_BODY})
async def upload(
    request: Request, settings: SettingsDep, scale: ScaleQuery = "unit",
    max_side: MaxSideQuery = None, encoding: EncodingQuery = "json",
) -> Response:
    """Your own PNG or JPEG as the raw body (not multipart), decoded in memory, never stored;
    resized so the longer side is at most ``max_side``."""
    side = fitted_side(max_side, settings)
    refuse_non_image(request.headers.get("content-type"))
    body = await request.body()  # BodyLimit stops it at max_upload_bytes
    # priced before decoding, at the size its header declares (an empty body is refused here)
    if len(body) > PROBE_INLINE_BYTES:
        kind, declared, layout = await run_in_threadpool(
            images.probe, body, settings.max_image_pixels)
    else:
        kind, declared, layout = images.probe(body, settings.max_image_pixels)
    try:
        costs.check_budget(costs.image_cost(kind, declared, side, encoding, len(body), layout),
                           settings)
    except LayerError as error:  # no layer here: its pixels or its parts are the cost
        reason = error.reason
        if layout.buffered:
            reason += (f"; a progressive JPEG ({layout.scans} scans) costs several times "
                       "what the same picture saved as a baseline JPEG does")
        # with the budget's figures (limit, setting, needed), as a layer's refusal gives them
        raise Refusal(422, ["body"], reason, error.kind, error.ctx) from None
    # Decoding and the answer (megabytes of JSON) are CPU work and memory: off the event loop,
    # in a turn of the heavy requests', which the answer holds until it is sent.
    heavy_work_of(request.scope)

    def decoded() -> Response:
        image = images.decode_probed(body, kind, declared, side)
        return _answer(image, None, scale, encoding)

    return await run_heavy(decoded)


@router.get("/filter-banks")
def filter_banks() -> list[FilterBankResult]:
    """Every filter bank: names, one-line explanations, weights (K, F, F, 3) and biases (K,)."""
    return [_bank(bank) for bank in BANKS.values()]


@router.get("/filter-banks/{name}", responses=NOT_FOUND)
def filter_bank(name: Annotated[str, name_in_path("filter bank", BANKS)]) -> FilterBankResult:
    """One filter bank; its ``values`` and ``bias`` drop into a layer spec's ``filters``."""
    if name not in BANKS:
        raise unknown_name("filter bank", name, BANKS)
    return _bank(BANKS[name])
