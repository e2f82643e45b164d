"""Sums that rounding cannot tell from zero, settled as zero.

A neuron's pre-activation is a sum of ``Fh*Fw*D`` products and a bias, and floating point
rounds each addition: a sum that is 0 in exact arithmetic (a flat patch of an image under a
filter whose weights add up to 0) comes out as a few units of 1e-17, and its sign depends on
the order of the additions. The forward's GEMM, a step's own sum and the running weight
gradient's products each add in their own order, so where ReLU's gate read that sign the
three disagreed about the same neuron: a step said "ReLU blocks it" while the forward let it
through, and a filter's running db depended on where a range of steps began.

Every path that computes pre-activations settles them here, with one bound, so they agree.
The bound is the classic one for a computed sum of ``n`` terms in any order (Higham,
*Accuracy and Stability of Numerical Algorithms*, section 3.1), ``|error| <= gamma_n *
sum(|term|)`` with ``gamma_n`` about ``n * eps / 2``, taken twice over:

    bound = (n + 1) * eps * (sum |x * w| over the window + |b|)

It is found in three passes, each only for the sums the one before leaves near 0, each
bound no larger than the one before: with the input's largest ``|x|`` times the filter's sum
of ``|w|`` (no window read), with the window's own largest ``|x|`` (its maxima alone), and
with the products' own sizes (its values times the filter's). The last matters where a
large input meets a zero weight: ``1e11 * 0 + 1e-5 * 1`` is 1e-5, not rounding. A sum under
the bound with the window's least ``|x|`` is under its own too, so the last pass reads only
the windows whose values differ widely (a flat patch's never).

A sum no larger than that is set to exactly 0: its sign is not known, and exact arithmetic
on values like these would most often have given 0. A sum that really is that small and not
0 is reported as 0 too; its size is then below what this bound can tell from rounding.
Layers whose every sum is exact in any order are left alone (:func:`sums_exact`): whole
numbers, and other multiples of a power of two whose sums fit the significand, as
``1e15 + 0.5 - 1e15`` does (0.5, never 0).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.floating[Any]]

# Values of each array :func:`sums_exact` looks at before it looks at all of them.
EXACT_SAMPLE = 64
# Values :func:`sums_exact` takes apart at a time: its temporaries are a few times this.
EXACT_PIECE = 2**18


def rounding_bound(
    window_max: npt.ArrayLike, weight_size: npt.ArrayLike, bias: npt.ArrayLike, taps: int,
    dtype: npt.DTypeLike,
) -> Array:
    """The largest rounding error a neuron's computed sum can carry: ``window_max`` is the
    largest ``|x|`` of its window, ``weight_size`` the sum of its filter's ``|w|``, ``bias``
    its bias and ``taps`` the number of products (all broadcast together).

    >>> float(rounding_bound(1.0, 24.0, 0.0, 27, np.float64))  # a Sobel pair on a unit image
    1.4921397450962104e-13
    """
    return terms_bound(np.multiply(window_max, weight_size), bias, taps, dtype)


def terms_bound(
    terms: npt.ArrayLike, bias: npt.ArrayLike, taps: int, dtype: npt.DTypeLike
) -> Array:
    """The same bound from the sum of the products' own sizes, ``terms`` (``sum |x * w|``):
    never above :func:`rounding_bound`'s, and far below it where a large input meets a small
    or zero weight (``1e11 * 0 + 1e-5 * 1`` is 1e-5, which the window's largest ``|x|`` took
    for rounding).

    >>> float(terms_bound(1e-5, 0.0, 2, np.float64)) < 1e-5 < float(rounding_bound(1e11, 1.0,
    ...     0.0, 2, np.float64))
    True
    """
    eps = np.finfo(dtype).eps
    return np.asarray((taps + 1) * eps * (np.asarray(terms) + np.abs(bias)))


def window_extremes(windows: Array) -> tuple[Array, Array]:
    """The largest and the least ``|x|`` of each window: ``windows`` is ``(n, ...)`` or
    ``(n, taps)``."""
    flat = np.abs(windows.reshape(windows.shape[0], -1))
    if flat.shape[1] == 0:
        none = np.zeros(flat.shape[0], flat.dtype)
        return none, none
    return flat.max(axis=1), flat.min(axis=1)


def _lowest_bit(values: Array) -> int | None:
    """The exponent of a bit at or below the lowest set bit of every value (each is a whole
    multiple of ``2**`` it): 0 for whole numbers, the lowest set bit itself otherwise; None
    when every value is 0. In pieces of :data:`EXACT_PIECE` values, for the temporaries."""
    lowest: int | None = None
    flat = values.reshape(-1)
    for top in range(0, flat.size, EXACT_PIECE):
        piece = flat[top:top + EXACT_PIECE]
        if np.array_equal(piece, np.trunc(piece)):  # whole numbers: the common case, cheaply
            low = 0 if piece.any() else None
        else:
            nonzero = piece[piece != 0].astype(np.float64)
            mantissa, exponent = np.frexp(nonzero)  # value = mantissa * 2**exponent
            digits = np.abs(np.ldexp(mantissa, 53)).astype(np.int64)  # its 53 bits, whole
            last = np.frexp((digits & -digits).astype(np.float64))[1] - 1  # lowest set bit
            low = int((exponent - 53 + last).min())
        if low is not None:
            lowest = low if lowest is None else min(lowest, low)
    return lowest


def _exact_in(dtype: np.dtype[Any], x: Array, weights: Array, bias: Array, taps: int,
              every_value: bool) -> bool:
    """:func:`sums_exact` on these values: all of them (``every_value``), or a sample, which
    can only make the sums look smaller than they are, and so only proves them inexact."""
    low_x, low_w, low_b = _lowest_bit(x), _lowest_bit(weights), _lowest_bit(bias)
    if low_x is None or low_w is None:  # no product but 0: each sum is its bias, exactly
        return True
    low = low_x + low_w  # every product, and so every sum, is a whole multiple of 2**low
    if low < int(np.frexp(np.finfo(dtype).smallest_subnormal)[1]) - 1:
        return False  # below the dtype's smallest step: the products themselves round
    if every_value and low_b is not None and low_b < low:
        return False  # a bias between the products' steps
    # As whole numbers of their lowest bits: the largest input, the largest sum of a filter's
    # |w| (exact as long as it is below 2**53, and at least that otherwise) and bias.
    terms = (np.ldexp(np.abs(x).max(), -low_x),
             np.ldexp(np.abs(weights).reshape(-1, taps).sum(axis=1).max(), -low_w),
             np.ldexp(np.abs(bias).max(initial=0.0), -low))
    if not all(math.isfinite(term) for term in terms):
        return False
    inputs, sizes, biases = (int(term) for term in terms)
    # every partial sum, in any order, is a whole multiple of 2**low no larger than this
    significand = int(np.finfo(dtype).nmant) + 1
    return inputs * sizes + biases < 1 << significand


def sums_exact(x: Array, weights: Array, bias: Array, taps: int, dtype: npt.DTypeLike) -> bool:
    """Whether every sum of a layer's ``taps`` products and its bias, added in ``dtype`` in any
    order, is exact: ``x`` is its input, ``weights`` its filters (one ``taps``-long row per
    filter once flattened, shared or one per neuron), ``bias`` its biases.

    So it is when every value is a whole multiple of a power of two, and every partial sum, a
    whole multiple of the products' lowest bit, fits the dtype's significand (53 bits for
    float64, 24 for float32). Whole numbers are the usual case; halves and quarters, and
    cancellations such as 1e15 + 0.5 - 1e15, are exact too.

    A few values spread over each array are looked at first (whole filters, as a sum scales
    with its filter's sum of ``|w|``): random and measured floats fail on them at once.
    Spread, because a padded input starts with a row of zeros.

    >>> one = np.ones((1, 3))
    >>> sums_exact(np.array([1e15, 0.5, -1e15]), one, np.zeros(1), 3, np.float64)
    True
    >>> sums_exact(np.array([0.1, 0.2, 0.3]), one, np.zeros(1), 3, np.float64)
    False
    >>> sums_exact(np.array([2.0**30, 1.0]), np.ones((1, 2)), np.zeros(1), 2, np.float32)
    False
    """
    kind = np.dtype(dtype)
    if x.size == 0 or weights.size == 0:
        return True
    filters = weights.reshape(-1, taps)
    return (_exact_in(kind, _spread(x), filters[:: max(1, filters.size // EXACT_SAMPLE)],
                      _spread(bias), taps, every_value=False)  # whole filters: see above
            and _exact_in(kind, x, weights, bias, taps, every_value=True))


def _spread(values: Array) -> Array:
    """About :data:`EXACT_SAMPLE` values spread over ``values``."""
    flat = values.reshape(-1)
    return flat[:: max(1, flat.size // EXACT_SAMPLE)]
