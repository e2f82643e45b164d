"""Receptive fields as views: every output position's window of the padded input, no copy.

Its own module so that :class:`engine.layer.Layer` (which keeps its windows) and
:mod:`engine.conv` (whose kernels read them) both import it without importing each other.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from engine.errors import LayerError
from engine.geometry import Geometry

Array = npt.NDArray[np.floating[Any]]


def check_shape(field: str, what: str, actual: tuple[int, ...], wanted: tuple[int, ...]) -> None:
    """Refuse an array of the wrong shape, at `field`, saying what it has and what is needed."""
    if actual != wanted:
        raise LayerError(
            field, f"{what} have shape {list(actual)} but the layer needs {list(wanted)}"
        )


def windows(x_padded: Array, geometry: Geometry) -> Array:
    """Every output position's receptive field, as a read-only view of ``x_padded``.

    ``windows(xp, g)[i, j]`` is ``xp[i*Sh : i*Sh + dh*(Fh-1) + 1 : dh, j*Sw : ... : dw, :]``,
    the region the notes write as ``X[rows, cols, :]``. No data is copied.

    Parameters
    ----------
    x_padded : ndarray, shape (Hp, Wp, D)
        The padded input; ``geometry.padded_shape`` (positions a ``fit="floor"`` layer drops
        are simply never looked at).
    geometry : Geometry
        The resolved layer.

    Returns
    -------
    ndarray, shape (H2, W2, Fh, Fw, D)
        A read-only strided view.

    Examples
    --------
    >>> from engine.geometry import LayerShape, resolve
    >>> g = resolve(LayerShape.square(11, 4, 2, 5, stride=2))
    >>> xp = np.arange(11 * 11 * 4.0).reshape(11, 11, 4)
    >>> w = windows(xp, g)
    >>> w.shape, bool((w[1, 0] == xp[2:7, :5, :]).all()), w.flags.writeable
    ((4, 4, 5, 5, 4), True, False)
    """
    check_shape("input.values", "padded input values", x_padded.shape, geometry.padded_shape)
    h, w = geometry.height, geometry.width
    spans = sliding_window_view(x_padded, (h.span, w.span), axis=(0, 1))  # (., ., D, span, span)
    picked = spans[
        : (h.output - 1) * h.stride + 1 : h.stride,
        : (w.output - 1) * w.stride + 1 : w.stride,
        :,
        :: h.dilation,
        :: w.dilation,
    ]  # (H2, W2, D, Fh, Fw)
    return picked.transpose(0, 1, 3, 4, 2)  # (H2, W2, Fh, Fw, D)
