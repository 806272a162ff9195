"""Natural photographs bundled with scikit-image: real images that need no download.

They serve the noise, denoising and colorization notebooks offline. ``write_photos`` saves
them as PNG files so they travel through the same file → tf.data path as any user folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

# Bundled with scikit-image itself (no pooch download). Color photographs first.
COLOR_PHOTOS = (
    "astronaut",
    "chelsea",
    "coffee",
    "rocket",
    "immunohistochemistry",
    "hubble_deep_field",
)
GRAY_PHOTOS = ("camera", "moon", "coins", "clock", "brick", "grass", "gravel", "cell")


def photo(name: str) -> np.ndarray:
    """One bundled photograph as float32 RGB ``(H, W, 3)`` in [0, 1] (gray ones repeated)."""
    import skimage.data

    if name not in COLOR_PHOTOS + GRAY_PHOTOS:
        raise ValueError(
            f"Unknown photo {name!r}. Use one of: {', '.join(COLOR_PHOTOS + GRAY_PHOTOS)}."
        )
    image = getattr(skimage.data, name)()
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=-1)
    return image[..., :3].astype(np.float32) / 255.0


def photos(names: tuple[str, ...] = COLOR_PHOTOS) -> dict[str, np.ndarray]:
    """Several bundled photographs by name (see :func:`photo`)."""
    return {name: photo(name) for name in names}


def write_photos(
    folder: str | os.PathLike, names: tuple[str, ...] = COLOR_PHOTOS + GRAY_PHOTOS
) -> list[str]:
    """Save bundled photographs as PNG files in ``folder`` (skipping existing ones); return paths."""
    from ssl_keras import image_files

    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in names:
        path = root / f"{name}.png"
        if not path.exists():
            image_files.write_image(path, photo(name))
        paths.append(str(path))
    return paths
