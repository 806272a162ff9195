"""Natural-image crops: random windows of scikit-image's bundled photographs as PNG files.

A folder of real textures and edges for denoising and colorization that needs no download.
Layout written: ``<root>/00000.png …`` (RGB; gray photos are stored with three equal channels).
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from ssl_keras.datasets import photos
from ssl_keras.datasets.synthetic._io import generate_once, to_uint8, write_image


def photo_crops(
    root: str | os.PathLike,
    n: int = 256,
    size: int = 64,
    seed: int = 0,
    names: tuple[str, ...] = photos.COLOR_PHOTOS + photos.GRAY_PHOTOS,
    overwrite: bool = False,
) -> Path:
    """Write ``n`` random ``size``² crops (random photo, scale 0.5-1, flip) and return ``root``.

    Same arguments → same bytes.
    """
    if n < 1 or size < 8:
        raise ValueError(f"n must be ≥ 1 and size ≥ 8, got n={n}, size={size}.")
    params = {"n": n, "size": size, "seed": seed, "names": list(names)}

    def write(folder: Path) -> None:
        rng = np.random.default_rng(seed)
        sources = [photos.photo(name) for name in names]
        for i in range(n):
            source = sources[int(rng.integers(0, len(sources)))]
            scale = rng.uniform(0.5, 1.0)
            height, width = source.shape[:2]
            scale = max(scale, size / min(height, width))
            scaled = cv2.resize(
                source, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA
            )
            top = int(rng.integers(0, scaled.shape[0] - size + 1))
            left = int(rng.integers(0, scaled.shape[1] - size + 1))
            crop = scaled[top : top + size, left : left + size]
            if rng.random() < 0.5:
                crop = crop[:, ::-1]
            write_image(folder / f"{i:05d}.png", to_uint8(np.ascontiguousarray(crop)))

    return generate_once(root, "photo_crops", params, write, overwrite)
