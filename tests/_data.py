"""Data for tests: where the real dataset samples live (``../shared/data`` beside the
checkout, or ``$SSL_KERAS_SHARED_DATA``; tests that need a sample skip cleanly without it),
and a small folder with one image file per supported format (:func:`write_image_folder`)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

SHARED_DATA = Path(
    os.environ.get("SSL_KERAS_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)


def shared(*parts: str) -> Path:
    """Path of a sample under the shared data folder; skips the calling test when absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data sample not found at {path}")
    return path


def random_images(n: int, height: int, width: int, channels: int = 3, seed: int = 0) -> np.ndarray:
    """float32 ``(n, height, width, channels)`` uniform in [0, 1), seeded."""
    return np.random.default_rng(seed).random((n, height, width, channels), dtype=np.float32)


RGB = (np.arange(20 * 30 * 3).reshape(20, 30, 3) % 251).astype(np.uint8)


def _save(path, image, **kwargs):
    image.save(path, **kwargs)
    return str(path)


def write_image_folder(tmp_path: Path) -> Path:
    """``tmp_path/images`` with one file per supported case, named after it (plus a .txt)."""
    from PIL import Image

    folder = tmp_path / "images"
    folder.mkdir()
    _save(folder / "plain.jpg", Image.fromarray(RGB), quality=95)
    _save(folder / "upper.JPEG", Image.fromarray(RGB), quality=95)
    _save(folder / "gray.png", Image.fromarray(RGB[..., 0]))
    palette = Image.fromarray(RGB).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    palette.info["transparency"] = 0
    _save(folder / "palette_alpha.png", palette)
    rgba = np.dstack([RGB, np.full(RGB.shape[:2], 255, np.uint8)])
    rgba[:5, :5, 3] = 0  # transparent corner
    _save(folder / "rgba.png", Image.fromarray(rgba))
    _save(folder / "sixteen_bit.png", Image.fromarray(RGB[..., 0].astype(np.uint16) * 257))
    _save(folder / "bitmap.bmp", Image.fromarray(RGB))
    frames = [Image.fromarray(RGB), Image.fromarray(255 - RGB)]
    frames[0].save(folder / "animated.gif", save_all=True, append_images=frames[1:])
    _save(folder / "photo.webp", Image.fromarray(RGB), lossless=True)
    _save(folder / "jpeg_bytes.png", Image.fromarray(RGB), format="JPEG")  # lying extension
    (folder / "notes.txt").write_text("not an image")
    return folder
