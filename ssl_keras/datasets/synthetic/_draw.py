"""Drawing primitives shared by the generators: smooth random fields, clutter, lighting.

All images here are float32 RGB ``(H, W, 3)`` in [0, 1]; every function takes a NumPy
``Generator`` so the caller's seed fixes the result.
"""

from __future__ import annotations

import colorsys

import cv2
import numpy as np


def smooth_field(rng: np.random.Generator, height: int, width: int, cells: int = 4) -> np.ndarray:
    """A smooth random field ``(H, W)`` in [0, 1]: a coarse grid of random values upsampled
    bicubically (low-frequency texture, shading)."""
    grid = rng.random((cells + 1, cells + 1)).astype(np.float32)
    field = cv2.resize(grid, (width, height), interpolation=cv2.INTER_CUBIC)
    low, high = float(field.min()), float(field.max())
    return (field - low) / max(high - low, 1e-6)


def random_color(
    rng: np.random.Generator,
    saturation: tuple[float, float] = (0.2, 0.9),
    value: tuple[float, float] = (0.25, 0.95),
) -> np.ndarray:
    """A random RGB color ``(3,)`` in [0, 1] drawn uniformly in hue."""
    rgb = colorsys.hsv_to_rgb(rng.random(), rng.uniform(*saturation), rng.uniform(*value))
    return np.array(rgb, dtype=np.float32)


def gradient_background(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Two random colors blended along a random direction, plus a low-frequency texture."""
    first, second = random_color(rng, value=(0.2, 0.9)), random_color(rng, value=(0.2, 0.9))
    angle = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    t = (np.cos(angle) * xx / width + np.sin(angle) * yy / height + 1.0) / 2.0
    t = np.clip(t + 0.3 * (smooth_field(rng, height, width, 3) - 0.5), 0, 1)[..., None]
    image = first * (1 - t) + second * t
    return image.astype(np.float32)


def add_clutter(image: np.ndarray, rng: np.random.Generator, count: int, scale: float) -> None:
    """Draw ``count`` random ellipses, triangles, rectangles and lines in place.

    ``scale`` is the typical size in pixels. Clutter shares colors and shapes with the
    objects, so color or the presence of a blob alone does not tell classes apart.
    """
    height, width = image.shape[:2]
    for _ in range(count):
        color = tuple(float(c) for c in random_color(rng))
        center = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        size = max(2, int(scale * rng.uniform(0.3, 1.2)))
        kind = rng.integers(0, 4)
        if kind == 0:
            axes = (size, max(1, int(size * rng.uniform(0.3, 1.0))))
            cv2.ellipse(
                image, center, axes, float(rng.uniform(0, 180)), 0, 360, color, -1, cv2.LINE_AA
            )
        elif kind == 1:
            points = np.array(center) + rng.integers(-size, size + 1, (3, 2))
            cv2.fillPoly(image, [points.astype(np.int32)], color, cv2.LINE_AA)
        elif kind == 2:
            corner = (center[0] + size, center[1] + int(size * rng.uniform(0.3, 1.0)))
            cv2.rectangle(image, center, corner, color, -1, cv2.LINE_AA)
        else:
            end = (
                center[0] + int(rng.integers(-2 * size, 2 * size)),
                center[1] + int(rng.integers(-2 * size, 2 * size)),
            )
            cv2.line(image, center, end, color, max(1, size // 4), cv2.LINE_AA)


def apply_lighting(
    image: np.ndarray, rng: np.random.Generator, strength: float = 0.35
) -> np.ndarray:
    """Multiply by a random directional light and a global gain; returns a new image."""
    height, width = image.shape[:2]
    angle = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    ramp = np.cos(angle) * (xx / width - 0.5) + np.sin(angle) * (yy / height - 0.5)
    gain = rng.uniform(0.75, 1.2) * (1.0 + strength * ramp)
    tint = 1.0 + rng.uniform(-0.06, 0.06, 3).astype(np.float32)
    return image * gain[..., None].astype(np.float32) * tint


def finish(image: np.ndarray, rng: np.random.Generator, noise: float = 0.02) -> np.ndarray:
    """Add mild Gaussian sensor noise and clip to [0, 1]."""
    noisy = image + rng.normal(0.0, noise, image.shape).astype(np.float32)
    return np.clip(noisy, 0.0, 1.0)


def blob_polygon(
    rng: np.random.Generator, center: tuple[float, float], radius: float, points: int = 12
) -> np.ndarray:
    """An irregular closed polygon ``(points, 2)`` int32 around ``center`` (x, y)."""
    angles = np.sort(rng.uniform(0, 2 * np.pi, points))
    radii = radius * rng.uniform(0.55, 1.0, points)
    xy = np.stack([center[0] + radii * np.cos(angles), center[1] + radii * np.sin(angles)], axis=1)
    return np.round(xy).astype(np.int32)
