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
sum(|term|)`` with ``gamma_n`` about ``n * eps / 2``, taken twice over and with each term at
most its window's largest ``|x|`` times ``|w|``:

    bound = (n + 1) * eps * (max |x| over the window * sum |w| + |b|)

A sum no larger than that is set to exactly 0: its sign is not known, and exact arithmetic
on values like these would most often have given 0. A sum that really is that small and not
0 is reported as 0 too; its size is then below what the computation could resolve anyway.
Layers of whole numbers add exactly (up to ``2**53``) and are left alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.floating[Any]]

# Values :func:`whole_numbers` looks at before it looks at all of them.
WHOLE_SAMPLE = 64


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
    eps = np.finfo(dtype).eps
    scale = np.multiply(window_max, weight_size) + np.abs(bias)
    return np.asarray((taps + 1) * eps * scale)


def settle(pre: Array, bound: npt.ArrayLike) -> Array:
    """``pre`` with every value no larger than ``bound`` (broadcast) set to 0, in place.

    >>> settle(np.array([2.8e-17, -6.9e-18, 0.25]), 1.5e-13).tolist()
    [0.0, 0.0, 0.25]
    """
    pre[np.abs(pre) <= bound] = 0
    return pre


def window_max(windows: Array) -> Array:
    """The largest ``|x|`` of each window: ``windows`` is ``(n, ...)`` or ``(n, taps)``."""
    flat = windows.reshape(windows.shape[0], -1)
    if flat.shape[1] == 0:
        return np.zeros(flat.shape[0], flat.dtype)
    largest: Array = np.maximum(flat.max(axis=1), -flat.min(axis=1))  # no |x| copy
    return largest


def whole_numbers(*arrays: Array) -> bool:
    """Whether every value of every array is a whole number (integer dtypes are).

    A few values spread over each array are looked at first, every array's before any full
    pass: a layer of measured or random floats fails on them at once. Spread, because a
    padded input starts with a row of zeros; every array's first, because an image's pixels
    are whole numbers where its filters are not.

    >>> whole_numbers(np.array([1.0, -2.0, 0.0]), np.array([3], dtype=np.int64))
    True
    >>> whole_numbers(np.array([1.0, 2.5]))
    False
    """
    # views of contiguous arrays, as a layer's are
    flats = [a.reshape(-1) for a in arrays if np.issubdtype(a.dtype, np.floating)]
    samples = [flat[:: max(1, flat.size // WHOLE_SAMPLE)] for flat in flats]
    return all(np.array_equal(part, np.trunc(part)) for part in (*samples, *flats))
