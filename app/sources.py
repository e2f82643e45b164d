"""Arrays a layer spec names instead of sending: a sample image and a filter bank.

``input.image: {name, scale, max_side}`` stands for the sample's pixels and ``filters.bank``
for the bank's weights and biases, so a spec that uses them stays a few hundred bytes (and is
a layer-cache key, :mod:`app.layer_cache`) instead of carrying the numbers. The shapes the spec
declares must be the named arrays' own: the geometry and the budget are settled from the spec
alone, before any picture is decoded.
"""

from __future__ import annotations

from dataclasses import dataclass

from app import images
from app.config import Settings
from app.encoding import FloatArray
from app.schemas import ImageSourceSpec, LayerSpec
from engine.errors import LayerError, listing, refuse_all
from engine.filterbanks import BANKS, FilterBank
from engine.geometry import LayerShape


@dataclass(frozen=True)
class Named:
    """The arrays a spec's names stand for (None: not named, the spec's values or fill)."""

    x: FloatArray | None = None  # (H, W, 3)
    weights: FloatArray | None = None  # (K, F, F, 3)
    bias: FloatArray | None = None  # (K,)


def check_names(spec: LayerSpec, shape: LayerShape, settings: Settings) -> None:
    """Refuse the names in ``spec`` that do not fit its sizes ``shape``, from the spec and the
    shipped files' headers alone: /api/geometry and /api/inverse refuse what the endpoints
    that make the arrays refuse, without making them."""
    refuse_all(lambda: _image_side(spec, shape, settings), lambda: _bank_of(spec, shape))


def named_arrays(spec: LayerSpec, shape: LayerShape, settings: Settings) -> Named:
    """The sample image and filter bank ``spec`` names, checked against its sizes ``shape``
    (the spec's own, as :func:`app.convert.read` read them).

    Examples
    --------
    >>> from app.schemas import FiltersSpec, InputSpec
    >>> spec = LayerSpec(input=InputSpec(shape=[64, 64, 3]),
    ...                  filters=FiltersSpec(count=2, size=3, bank="sobel"))
    >>> named = named_arrays(spec, LayerShape.square(64, 3, 2, 3), Settings())
    >>> named.x is None, named.weights.shape, named.bias.tolist()
    (True, (2, 3, 3, 3), [0.0, 0.0])
    """
    x = None
    side = _image_side(spec, shape, settings)
    source = spec.input.image
    if source is not None and side is not None:
        x = images.scaled(images.sample(source.name, side).pixels, source.scale)  # (H, W, 3)
        _same_shape(shape, source.name, side, x.shape)  # the header's promise kept
    bank = _bank_of(spec, shape)
    if bank is None:
        return Named(x)
    bias = None if spec.filters.bias is not None else bank.bias
    return Named(x, bank.weights, bias)


def _image_side(spec: LayerSpec, shape: LayerShape, settings: Settings) -> int | None:
    """The max_side the spec's sample image is made at (None: no image), once its shape there
    is the spec's. Its limit was checked with the spec's other limits
    (:func:`app.convert.read`, before any of this module is called)."""
    source = spec.input.image
    if source is None:
        return None
    side = made_side(source, settings)
    _same_shape(shape, source.name, side, images.sample_shape(source.name, side))
    return side


def made_side(source: ImageSourceSpec, settings: Settings) -> int:
    """The max_side a sample image is made at: the one sent, else this server's limit."""
    return settings.max_image_side if source.max_side is None else source.max_side


def image_shape_said(source: ImageSourceSpec, settings: Settings) -> str:
    """The shape a sample image is made at, as a refusal of a spec without it says it: at
    this server's limit where the max_side sent is over it (refused beside)."""
    side = made_side(source, settings)
    at = f"at max_side {side:,}"
    if side > settings.max_image_side:
        side = settings.max_image_side
        at = f"at max_side {side:,}, this server's most"
    shape = list(images.sample_shape(source.name, side))
    said = f"{shape}: the shape of sample image {source.name!r} {at}"
    if max(shape[:2]) <= settings.max_side:
        return said
    # a shape the layer's own limit refuses is no help: the image's side that gives one it takes
    fits = list(images.sample_shape(source.name, settings.max_side))
    return (f"{said}, over this server's input limit of {settings.max_side:,} "
            f"(CONVSCOPE_MAX_SIDE); with input.image.max_side {settings.max_side:,} it is {fits}")


def _same_shape(shape: LayerShape, name: str, side: int, image: tuple[int, ...]) -> None:
    declared = [shape.height, shape.width, shape.depth]
    if list(image) != declared:
        raise LayerError("input.shape", f"{declared} is not the shape of sample image "
                         f"{name!r} at max_side {side}: {list(image)}")


def _bank_of(spec: LayerSpec, shape: LayerShape) -> FilterBank | None:
    """The filter bank the spec names (None: none), once it fits the spec's sizes."""
    name = spec.filters.bank
    if name is None:
        return None
    bank = BANKS[name]
    if spec.connectivity != "shared":
        raise LayerError("filters.bank", f"bank {name!r} holds shared weights: it needs "
                         "connectivity 'shared'")
    count, height, width, depth = bank.weights.shape
    # each size of the layer's that differs from the bank's, and what would fit it: "the
    # layer asks for 2 of 3x3x1" left the reader to find which of three fields to change
    differ = [(said, fix) for said, fix, same in (
        (f"filters.count is {shape.filters}", f"filters.count {count}",
         shape.filters == count),
        (f"filters.size is {shape.filter_height}x{shape.filter_width}",
         f"filters.size {height if height == width else [height, width]}",
         (shape.filter_height, shape.filter_width) == (height, width)),
        (f"the input is {shape.depth} deep", f"an input {depth} deep", shape.depth == depth),
    ) if not same]
    if differ:
        raise LayerError("filters.bank", f"bank {name!r} is {count} filters of "
                         f"{height}x{width}x{depth}, but " + listing([s for s, _ in differ])
                         + ": give " + listing([f for _, f in differ]) + ", or another bank")
    return bank
