"""Natural-image crops: random windows of scikit-image's bundled photographs as PNG files.

A folder of real textures and edges for denoising and colorization that needs no download.
Layout written: ``<root>/00000_astronaut.png …``: the crop's index, then the photograph it was
cut from (:func:`source_photo` reads it back), so a held-out split can keep whole photographs
out of training. RGB; gray photos are stored with three equal channels.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import cv2
import numpy as np

from ssl_keras.datasets import photos
from ssl_keras.datasets.synthetic._io import generate_once, to_uint8, write_image

_CROP_NAME = re.compile(r"^\d{5}_(?P<photo>[a-z_]+)$")


def photo_crops(
    root: str | os.PathLike,
    n: int = 256,
    size: int = 64,
    seed: int = 0,
    names: tuple[str, ...] = photos.COLOR_PHOTOS + photos.GRAY_PHOTOS,
    overwrite: bool = False,
) -> Path:
    """Write ``n`` random ``size``² crops (random photo, scale 0.5-1, flip) and return ``root``.

    Files are named ``<index>_<photo>.png`` (e.g. ``00003_coffee.png``). Same arguments →
    same bytes.
    """
    if n < 1 or size < 8:
        raise ValueError(f"n must be ≥ 1 and size ≥ 8, got n={n}, size={size}.")
    # version 2: file names carry the source photograph
    params = {"n": n, "size": size, "seed": seed, "names": list(names), "version": 2}

    def write(folder: Path) -> None:
        rng = np.random.default_rng(seed)
        sources = [photos.photo(name) for name in names]
        for i in range(n):
            chosen = int(rng.integers(0, len(sources)))
            source = sources[chosen]
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
            write_image(
                folder / f"{i:05d}_{names[chosen]}.png", to_uint8(np.ascontiguousarray(crop))
            )

    return generate_once(root, "photo_crops", params, write, overwrite)


def source_photo(path: str | os.PathLike) -> str | None:
    """The photograph a crop written by :func:`photo_crops` was cut from (``"coffee"`` for
    ``…/00003_coffee.png``), or ``None`` for a file not named like one."""
    match = _CROP_NAME.match(Path(path).stem)
    return match["photo"] if match else None
