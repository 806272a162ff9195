"""Data for tests: where the real dataset samples live (``../shared/data`` beside the
checkout, or ``$SSL_KERAS_SHARED_DATA``; tests that need a sample skip cleanly without it),
a small folder with one image file per supported format (:func:`write_image_folder`),
generated colour images with a model that returns them unchanged (:func:`colour_image`,
:func:`identity_denoiser`), a dataset's first element (:func:`first_element`), a copy of the
real COCO sample (:func:`coco_folder`) and image writing with OpenCV (:func:`write_image`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

if TYPE_CHECKING:
    import keras
    import tensorflow as tf

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


def first_element(ds: tf.data.Dataset):
    """The first element of ``ds`` as NumPy arrays (a tuple for (image, mask) datasets)."""
    return next(iter(ds.as_numpy_iterator()))


def colour_image(height: int, width: int, phase: float = 0.0) -> np.ndarray:
    """Smooth colour shapes with edges: float32 (H, W, 3) in [0.1, 0.9]."""
    y, x = np.mgrid[0:height, 0:width] / 24.0
    base = 0.5 + 0.3 * np.sin(5 * x + phase) * np.cos(3 * y)
    square = ((np.abs(x - x.mean()) < 0.4) & (np.abs(y - y.mean()) < 0.4)) * 0.1
    return np.stack([base, base[::-1] - square, np.full_like(base, 0.3) + square], -1).astype(
        np.float32
    )


def identity_denoiser(channels: int) -> keras.Model:
    """A residual U-Net with its head at zero (depth 2, base 4): outputs its input, at any size."""
    import dataclasses

    from ssl_keras import denoising

    small = dataclasses.replace(denoising.recipe("smoke"), depth=2, base_filters=4)
    return denoising.build_denoiser(small, channels)


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


def coco_folder(tmp_path: Path) -> Path:
    """A copy of the real COCO val2017 sample laid out as the download leaves it."""
    import shutil

    folder = tmp_path / "data" / "coco" / "val2017"
    shutil.copytree(shared("coco_mini", "val2017"), folder)
    return folder


def write_image(path, array: np.ndarray) -> str:
    """Save uint8 ``(H, W, 3)`` RGB or ``(H, W, 4)`` RGBA with OpenCV; returns the path."""
    import cv2

    data = cv2.cvtColor(array, cv2.COLOR_RGBA2BGRA if array.shape[-1] == 4 else cv2.COLOR_RGB2BGR)
    assert cv2.imwrite(str(path), data)
    return str(path)
