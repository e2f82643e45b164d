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
from engine.geometry import AxisGeometry, Geometry

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
    down = along(x_padded, geometry.height, 0)  # (H2, Wp, D, Fh)
    picked = along(down, geometry.width, 1)  # (H2, W2, D, Fh, Fw)
    return picked.transpose(0, 1, 3, 4, 2)  # (H2, W2, Fh, Fw, D)


def along(a: npt.NDArray[Any], axis_geometry: AxisGeometry, axis: int) -> npt.NDArray[Any]:
    """The windows of one axis of ``a`` as a read-only view: ``axis`` becomes the output
    positions along it (every stride's start, up to the axis's output size) and a new last
    axis the window's taps (every dilation's cell).

    >>> from engine.geometry import LayerShape, resolve
    >>> g = resolve(LayerShape(1, 6, 1, 1, 1, 2, stride_w=3, dilation_w=2)).width
    >>> along(np.arange(6), g, 0).tolist()  # windows at 0 and 3, their taps 2 apart
    [[0, 2], [3, 5]]
    """
    g = axis_geometry
    spans = sliding_window_view(a, g.span, axis=axis)
    index = [slice(None)] * spans.ndim
    index[axis] = slice(None, (g.output - 1) * g.stride + 1, g.stride)
    index[-1] = slice(None, None, g.dilation)
    return spans[tuple(index)]
