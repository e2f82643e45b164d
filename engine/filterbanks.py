"""Named banks of hand-made first-layer filters: edges, blurs, sharpening, colour blobs.

The notes say first-layer filters learn to fire on oriented edges and on patches of one colour
(https://cs231n.github.io/convolutional-networks/#conv). These banks are the classic hand-made
versions of both, shaped as the notes require: every filter is ``F x F x 3``, extending through
the full depth of an RGB input.

How a grey operator meets colour: its 2-D kernel is put on each channel times a luma weight,
``R/4 + G/2 + B/4`` (the luma of the YCoCg colour space, close to Rec. 601's 0.299/0.587/0.114).
The weights sum to 1, so a white-on-black edge gets exactly the grey kernel's response, and
they are powers of two, so the arithmetic is exact in binary: a flat area gives exactly 0, not
a rounding residue that ReLU would keep (equal thirds, 1/3 being inexact, leave such residues
and so miscount the zeros after ReLU). Colour filters weight the channels differently
(``opponent``).

All filters are applied as the layer applies them: a dot product with the window
(cross-correlation, no kernel flip), so Sobel-x is positive where brightness rises to the
right. Biases are zero.

A bank is ``weights`` ``(K, F, F, 3)``, ``bias`` ``(K,)``, and a name and a one-line
explanation per filter; its arrays are read-only because the banks are shared module data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

from engine.errors import LayerError

FloatArray = npt.NDArray[np.float64]

LUMA = (0.25, 0.5, 0.25)  # YCoCg's Y: exact in binary, sums to 1


@dataclass(frozen=True, eq=False)
class Kernel:
    """One named filter: ``weights`` ``(F, F, 3)`` and what it responds to."""

    name: str
    explanation: str
    weights: FloatArray  # (F, F, 3)


@dataclass(frozen=True, eq=False)
class FilterBank:
    """A named set of K filters of one size.

    ``weights`` is ``(K, F, F, 3)``, ``bias`` ``(K,)``, ``names`` and ``explanations`` have K
    entries each, in filter order.
    """

    name: str
    title: str
    explanation: str
    names: tuple[str, ...]
    explanations: tuple[str, ...]
    weights: FloatArray  # (K, F, F, 3)
    bias: FloatArray  # (K,)

    @property
    def size(self) -> int:
        """F, the filters' height and width."""
        return int(self.weights.shape[1])

    @property
    def count(self) -> int:
        """K, the number of filters."""
        return int(self.weights.shape[0])


def grey(kernel: npt.ArrayLike) -> FloatArray:
    """A 2-D kernel ``(F, F)`` as an ``(F, F, 3)`` filter on the luma ``R/4 + G/2 + B/4``.

    Examples
    --------
    >>> w = grey([[0, 0, 0], [0, 4, 0], [0, 0, 0]])
    >>> w.shape, w[1, 1].tolist()
    ((3, 3, 3), [1.0, 2.0, 1.0])
    """
    k = np.asarray(kernel, dtype=np.float64)  # (F, F)
    weighted: FloatArray = k[:, :, None] * np.asarray(LUMA)  # (F, F, 3)
    return weighted


def opponent(envelope: npt.ArrayLike, channel_weights: tuple[float, float, float]) -> FloatArray:
    """A colour filter: the 2-D ``envelope`` ``(F, F)`` times a weight per channel (R, G, B).

    Examples
    --------
    >>> w = opponent([[1.0]], (1.0, -1.0, 0.0))
    >>> w.shape, w[0, 0].tolist()
    ((1, 1, 3), [1.0, -1.0, 0.0])
    """
    env = np.asarray(envelope, dtype=np.float64)  # (F, F)
    return env[:, :, None] * np.asarray(channel_weights, dtype=np.float64)  # (F, F, 3)


def centred(weights: FloatArray, size: int) -> FloatArray:
    """``(F, F, 3)`` weights padded with zeros to ``(size, size, 3)``, kept in the centre.

    A 3x3 operator centred in a 5x5 filter gives the same response, shifted by nothing, so
    kernels of different sizes can share one bank.

    Examples
    --------
    >>> centred(grey([[4.0]]), 3)[:, :, 0].tolist()
    [[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]
    """
    f = weights.shape[0]
    if size < f or (size - f) % 2:
        raise LayerError("filters.size", f"cannot centre a {f}x{f} kernel in {size}x{size}")
    before = (size - f) // 2
    out = np.zeros((size, size, weights.shape[2]))  # (size, size, 3)
    out[before : before + f, before : before + f] = weights
    return out


# Binomial weights approximate a Gaussian and are exact in binary floating point (/16, /256).
_BINOMIAL_3 = np.outer([1, 2, 1], [1, 2, 1]) / 16.0
_BINOMIAL_5 = np.outer([1, 4, 6, 4, 1], [1, 4, 6, 4, 1]) / 256.0
_BINOMIAL_3.flags.writeable = _BINOMIAL_5.flags.writeable = False  # shared constants

# read-only views: the engine keeps no state a caller could change
KERNELS: Mapping[str, Kernel] = MappingProxyType({
    k.name: k
    for k in (
        Kernel("sobel-x", "Sobel: positive where brightness rises to the right (vertical edges)",
               grey([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])),
        Kernel("sobel-y", "Sobel: positive where brightness rises downward (horizontal edges)",
               grey([[-1, -2, -1], [0, 0, 0], [1, 2, 1]])),
        Kernel("prewitt-x", "Prewitt: like Sobel-x with equal row weights (less smoothing)",
               grey([[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]])),
        Kernel("prewitt-y", "Prewitt: like Sobel-y with equal column weights",
               grey([[-1, -1, -1], [0, 0, 0], [1, 1, 1]])),
        Kernel("laplacian", "Laplacian: second derivative; large at spots, lines and corners, "
               "zero on flat areas and even ramps",
               grey([[0, 1, 0], [1, -4, 1], [0, 1, 0]])),
        Kernel("gaussian-blur", "Gaussian blur (binomial 1-2-1): a weighted local average",
               grey(_BINOMIAL_3)),
        Kernel("box-blur", "Box blur: the plain average of the 3x3 window",
               grey(np.full((3, 3), 1.0 / 9.0))),
        Kernel("sharpen", "Sharpen: the pixel plus its difference from its four neighbours",
               grey([[0, -1, 0], [-1, 5, -1], [0, -1, 0]])),
        # Oriented detectors named by the direction brightness rises in (counter-clockwise
        # from "right", with up meaning smaller row numbers); the edge line is perpendicular.
        Kernel("edge-0", "Rises to the right (0 degrees): a vertical edge, dark on the left",
               grey([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])),
        Kernel("edge-45", "Rises to the upper right (45 degrees): an edge running from upper "
               "left to lower right",
               grey([[0, 1, 2], [-1, 0, 1], [-2, -1, 0]])),
        Kernel("edge-90", "Rises upward (90 degrees): a horizontal edge, dark below",
               grey([[1, 2, 1], [0, 0, 0], [-1, -2, -1]])),
        Kernel("edge-135", "Rises to the upper left (135 degrees): an edge running from lower "
               "left to upper right",
               grey([[2, 1, 0], [1, 0, -1], [0, -1, -2]])),
        Kernel("red-green", "Colour opponent: a blob more red than green (R minus G)",
               opponent(_BINOMIAL_5, (1.0, -1.0, 0.0))),
        Kernel("green-red", "Colour opponent: a blob more green than red (G minus R)",
               opponent(_BINOMIAL_5, (-1.0, 1.0, 0.0))),
        Kernel("blue-yellow", "Colour opponent: a blob more blue than yellow (B minus (R+G)/2)",
               opponent(_BINOMIAL_5, (-0.5, -0.5, 1.0))),
        Kernel("yellow-blue", "Colour opponent: a blob more yellow than blue ((R+G)/2 minus B)",
               opponent(_BINOMIAL_5, (0.5, 0.5, -1.0))),
        Kernel("identity-red", "Identity: copies the red channel", opponent([[1.0]], (1, 0, 0))),
        Kernel("identity-green", "Identity: copies the green channel",
               opponent([[1.0]], (0, 1, 0))),
        Kernel("identity-blue", "Identity: copies the blue channel",
               opponent([[1.0]], (0, 0, 1))),
    )
})


def make_bank(name: str, title: str, explanation: str, kernels: list[str],
              size: int | None = None) -> FilterBank:
    """A bank of the named :data:`KERNELS`, each centred in ``size`` x ``size`` (default:
    the largest kernel's size).

    Examples
    --------
    >>> bank = make_bank("pair", "Pair", "two", ["sobel-x", "red-green"])
    >>> bank.weights.shape, bank.bias.shape, bank.names
    ((2, 5, 5, 3), (2,), ('sobel-x', 'red-green'))
    """
    unknown = [k for k in kernels if k not in KERNELS]
    if unknown or not kernels:
        raise LayerError("filters.values", f"unknown filters {unknown}; known: {list(KERNELS)}")
    chosen = [KERNELS[k] for k in kernels]
    f = size or max(k.weights.shape[0] for k in chosen)
    weights = np.stack([centred(k.weights, f) for k in chosen])  # (K, F, F, 3)
    bias = np.zeros(len(chosen))  # (K,)
    weights.setflags(write=False)
    bias.setflags(write=False)
    return FilterBank(
        name=name, title=title, explanation=explanation,
        names=tuple(k.name for k in chosen), explanations=tuple(k.explanation for k in chosen),
        weights=weights, bias=bias,
    )


BANKS: Mapping[str, FilterBank] = MappingProxyType({
    b.name: b
    for b in (
        make_bank("sobel", "Sobel x and y", "Horizontal and vertical brightness gradients.",
                  ["sobel-x", "sobel-y"]),
        make_bank("prewitt", "Prewitt x and y", "Gradients without Sobel's centre weighting.",
                  ["prewitt-x", "prewitt-y"]),
        make_bank("laplacian", "Laplacian", "The second derivative: spots, lines and corners.",
                  ["laplacian"]),
        make_bank("blur", "Gaussian and box blur", "Two local averages: weighted and plain.",
                  ["gaussian-blur", "box-blur"]),
        make_bank("sharpen", "Sharpen", "Boosts each pixel against its neighbours.",
                  ["sharpen"]),
        make_bank("oriented-edges", "Edges at 0, 45, 90 and 135 degrees",
                  "Compass Sobel kernels: one edge orientation each.",
                  ["edge-0", "edge-45", "edge-90", "edge-135"]),
        make_bank("color-blobs", "Colour-opponent blobs",
                  "Red against green and blue against yellow, over a 5x5 Gaussian blob.",
                  ["red-green", "green-red", "blue-yellow", "yellow-blue"]),
        make_bank("identity", "Identity (R, G, B)",
                  "Each filter copies one channel: the output is the image itself.",
                  ["identity-red", "identity-green", "identity-blue"]),
        make_bank("first-layer", "Edges and colour blobs",
                  "The notes' first layer by hand: oriented edges and colour blotches, 5x5x3.",
                  ["edge-0", "edge-45", "edge-90", "edge-135", "red-green", "blue-yellow"]),
    )
})
