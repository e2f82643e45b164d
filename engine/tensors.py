"""Deterministic fills, so that a layer is reproducible from its spec alone.

A :class:`Fill` plus a shape and a *stream* number always gives the same array: the stream
keeps the input, the weights, the biases and the upstream gradient of one seed independent
of each other (they would be identical sequences otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from engine.errors import LayerError

FillKind = Literal["integers", "uniform", "normal", "zeros", "ones"]

FloatArray = npt.NDArray[np.float64]

KINDS: tuple[FillKind, ...] = ("integers", "uniform", "normal", "zeros", "ones")
# the kinds that draw between ``low`` and ``high`` (the others ignore them): only these need
# low <= high
BOUNDED_KINDS: tuple[FillKind, ...] = ("integers", "uniform")
# the kinds that draw nothing: every value is the same
CONSTANT_KINDS: tuple[FillKind, ...] = ("zeros", "ones")
# The largest bound or spread a fill takes: whole numbers up to it are exact in float64, and
# a draw between bounds further apart would not be finite.
MAX_FILL = 2.0**53

# One stream per role, so one seed fills a whole layer without repeating itself.
STREAM_INPUT = 0
STREAM_WEIGHTS = 1
STREAM_BIAS = 2
STREAM_UPSTREAM = 3


@dataclass(frozen=True)
class Fill:
    """How to make an array's values.

    ``integers`` draws whole numbers in ``[low, high]`` (both ends included), which keeps the
    arithmetic checkable by hand (the CS231n demo uses inputs 0..2, weights -1..1, biases
    0..1). ``uniform`` draws floats in ``[low, high)``; ``normal`` uses ``mean`` and ``std``.
    """

    kind: FillKind = "integers"
    seed: int = 0
    low: float = 0
    high: float = 2
    mean: float = 0.0
    std: float = 1.0


INPUT_INTEGERS = Fill("integers", low=0, high=2)
WEIGHT_INTEGERS = Fill("integers", low=-1, high=1)
BIAS_INTEGERS = Fill("integers", low=0, high=1)
# The biases made beside weights the caller gave: none. A filter given by its values is one
# the caller knows whole, and a seeded bias beside it shifted every output they checked.
NO_BIAS = Fill("zeros")


def bias_fill_for(weights_given: bool) -> Fill:
    """The biases' fill where the caller names none: zeros beside given weights, else the
    seeded integers 0..1.

    >>> bias_fill_for(True).kind, bias_fill_for(False).kind
    ('zeros', 'integers')
    """
    return NO_BIAS if weights_given else BIAS_INTEGERS


def fill(shape: tuple[int, ...], how: Fill, stream: int = STREAM_INPUT) -> FloatArray:
    """An array of ``shape`` made by ``how``, the same every time.

    >>> made = fill((2, 3), Fill("integers", seed=7, low=0, high=2))
    >>> drawn = np.random.default_rng([7, STREAM_INPUT]).integers(0, 2, (2, 3), endpoint=True)
    >>> bool((made == drawn).all()), made.dtype.name
    (True, 'float64')
    >>> bool((fill((4,), Fill("ones")) == 1).all())
    True
    """
    if how.kind not in KINDS:
        raise LayerError("fill.kind", f"{how.kind!r} is not a fill; fills are "
                         f"{', '.join(map(repr, KINDS))}")
    if how.seed < 0:
        raise LayerError("fill.seed", f"seed {how.seed} is negative; seeds are 0 or more")
    for name in ("low", "high", "mean", "std"):
        value = getattr(how, name)
        if not np.isfinite(value) or abs(value) > MAX_FILL:
            raise LayerError(f"fill.{name}", f"{name} is {value}; fills take finite numbers "
                             f"from -{MAX_FILL:g} to {MAX_FILL:g}")
    if how.kind in BOUNDED_KINDS and how.low > how.high:
        raise LayerError("fill.low", f"low {how.low:g} is above high {how.high:g}")
    if how.kind == "normal" and how.std < 0:
        raise LayerError("fill.std", f"std {how.std} is negative")
    if how.kind == "zeros":
        return np.zeros(shape)
    if how.kind == "ones":
        return np.ones(shape)
    rng = np.random.default_rng([how.seed, stream])
    if how.kind == "integers":
        low, high = int(np.ceil(how.low)), int(np.floor(how.high))
        return rng.integers(low, high, size=shape, endpoint=True).astype(np.float64)
    if how.kind == "uniform":
        return rng.uniform(how.low, how.high, size=shape)
    return rng.normal(how.mean, how.std, size=shape)
