"""Draw the sample images shipped in ``app/sample_images/`` (NumPy only; Pillow writes the PNGs).

Every picture is made here from arithmetic, so the project owns it outright, and the same
run makes the same bytes. Run from the repository root::

    .venv/bin/python scripts/make_sample_images.py
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.images import SAMPLES, SAMPLES_DIR

Rgb = npt.NDArray[np.float64]  # (H, W, 3) in [0, 1]
SIDE = 64


def vertical_edge() -> Rgb:
    """Columns 0..31 black, 32..63 white."""
    x = np.zeros((SIDE, SIDE, 3))
    x[:, SIDE // 2 :] = 1.0
    return x


def stripes() -> Rgb:
    """Four 32x32 quadrants of stripes (period 8 px) rising at 0, 45, 90 and 135 degrees."""
    r, c = np.mgrid[0:32, 0:32].astype(np.float64)
    patches = []
    for theta in (0, 45, 90, 135):
        t = np.radians(theta)
        along = c * np.cos(t) - r * np.sin(t)  # distance along the direction (up = -row)
        patches.append((np.floor(along / 4) % 2 == 0).astype(np.float64))
    top = np.hstack(patches[:2])
    bottom = np.hstack(patches[2:])
    grey = np.vstack([top, bottom])  # (64, 64)
    return np.repeat(grey[:, :, None], 3, axis=2)


def color_blobs() -> Rgb:
    """Red, green, blue and yellow discs (radius 9) on mid grey."""
    x = np.full((SIDE, SIDE, 3), 0.5)
    r, c = np.mgrid[0:SIDE, 0:SIDE]
    blobs = {(16, 16): (1, 0, 0), (16, 48): (0, 1, 0), (48, 16): (0, 0, 1), (48, 48): (1, 1, 0)}
    for (cr, cc), colour in blobs.items():
        x[(r - cr) ** 2 + (c - cc) ** 2 <= 81] = colour
    return x


def checkerboard() -> Rgb:
    """8x8-pixel squares, white in the top-left corner."""
    r, c = np.mgrid[0:SIDE, 0:SIDE]
    grey = ((r // 8 + c // 8) % 2 == 0).astype(np.float64)
    return np.repeat(grey[:, :, None], 3, axis=2)


def scene() -> Rgb:
    """A 72x96 landscape: sky gradient, sun, two hills, a house with a roof and a tree."""
    h, w = 72, 96
    r, c = np.mgrid[0:h, 0:w].astype(np.float64)
    x = np.zeros((h, w, 3))
    sky = r / h
    x[..., 0] = 0.35 + 0.4 * sky
    x[..., 1] = 0.55 + 0.3 * sky
    x[..., 2] = 0.95 - 0.2 * sky
    x[(r - 14) ** 2 + (c - 76) ** 2 <= 49] = (1.0, 0.85, 0.2)  # sun
    far = r > 44 + 8 * np.sin(c / 15)
    x[far] = (0.3, 0.55, 0.25)
    near = r > 54 - 6 * np.cos(c / 20)
    x[near] = (0.2, 0.45, 0.15)
    x[40:58, 20:40] = (0.8, 0.75, 0.65)  # house wall
    roof = (r >= 28) & (r < 40) & (np.abs(c - 30) <= (r - 28) + 1)
    x[roof] = (0.6, 0.15, 0.1)
    x[48:58, 27:33] = (0.35, 0.2, 0.1)  # door
    x[42:47, 23:27] = x[42:47, 33:37] = (0.6, 0.8, 0.95)  # windows
    x[44:60, 64:67] = (0.4, 0.25, 0.1)  # trunk
    x[(r - 38) ** 2 + (c - 65) ** 2 <= 64] = (0.1, 0.4, 0.12)  # crown
    noise = np.random.default_rng(0).normal(0, 0.03, size=x.shape)  # sensor-like grain
    return np.clip(x + noise, 0, 1)


DRAW: dict[str, Callable[[], Rgb]] = {
    "vertical-edge": vertical_edge,
    "stripes": stripes,
    "color-blobs": color_blobs,
    "checkerboard": checkerboard,
    "scene": scene,
}


def main() -> None:
    if set(DRAW) != set(SAMPLES):
        raise SystemExit(f"app.images.SAMPLES {sorted(SAMPLES)} and DRAW {sorted(DRAW)} differ")
    SAMPLES_DIR.mkdir(exist_ok=True)
    for name, draw in DRAW.items():
        pixels = np.round(draw() * 255).astype(np.uint8)
        path = SAMPLES_DIR / f"{name}.png"
        Image.fromarray(pixels, "RGB").save(path, "PNG", optimize=True)
        sys.stdout.write(f"{path}: {pixels.shape[0]}x{pixels.shape[1]}\n")


if __name__ == "__main__":
    main()
