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
from app.schemas import LayerSpec
from engine.errors import LayerError
from engine.filterbanks import BANKS
from engine.geometry import LayerShape


@dataclass(frozen=True)
class Named:
    """The arrays a spec's names stand for (None: not named, the spec's values or fill)."""

    x: FloatArray | None = None  # (H, W, 3)
    weights: FloatArray | None = None  # (K, F, F, 3)
    bias: FloatArray | None = None  # (K,)


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
    x = _image(spec, shape, settings)
    weights, bias = _bank(spec, shape)
    return Named(x, weights, bias)


def _image(spec: LayerSpec, shape: LayerShape, settings: Settings) -> FloatArray | None:
    source = spec.input.image
    if source is None:
        return None
    if spec.input.values is not None:
        raise LayerError("input.image", "give the input's `values` or an `image`, not both")
    side = settings.max_image_side if source.max_side is None else source.max_side
    if side > settings.max_image_side:
        raise LayerError("input.image.max_side", f"{side} is over this server's limit of "
                         f"{settings.max_image_side} (CONVSCOPE_MAX_IMAGE_SIDE)")
    x = images.scaled(images.sample(source.name, side).pixels, source.scale)  # (H, W, 3)
    declared = [shape.height, shape.width, shape.depth]
    if list(x.shape) != declared:
        raise LayerError("input.shape", f"{declared} is not the shape of sample image "
                         f"{source.name!r} at max_side {side}: {list(x.shape)}")
    return x


def _bank(spec: LayerSpec, shape: LayerShape) -> tuple[FloatArray | None, FloatArray | None]:
    name = spec.filters.bank
    if name is None:
        return None, None
    if spec.filters.values is not None:
        raise LayerError("filters.bank", "give the filters' `values` or a `bank`, not both")
    bank = BANKS[name]
    if spec.connectivity != "shared":
        raise LayerError("filters.bank", f"bank {name!r} holds shared weights: it needs "
                         "connectivity 'shared'")
    asked = [shape.filters, shape.filter_height, shape.filter_width, shape.depth]
    if asked != list(bank.weights.shape):
        raise LayerError("filters.bank", f"bank {name!r} is {bank.count} filters of "
                         f"{bank.size}x{bank.size}x3, but the layer asks for {asked[0]} of "
                         f"{asked[1]}x{asked[2]}x{asked[3]} (count, size and input depth)")
    bias = None if spec.filters.bias is not None else bank.bias
    return bank.weights, bias
