"""CARLA driving scenes in the layout of the Coursera U-Net lab.

Layout::

    <root>/CameraRGB/000026.png     RGB (or RGBA) camera frames
    <root>/CameraMask/000026.png    same names; the class index is stored in one channel
                                    (the others are 0), so the label is the channel maximum

Also written by :func:`ssl_keras.datasets.synthetic.carla_scenes`.
"""

from __future__ import annotations

import os

import tensorflow as tf

from ssl_keras.datasets import _common

_LAYOUT = "  <root>/CameraRGB/*.png and <root>/CameraMask/*.png with the same file names"


def carla_files(root: str | os.PathLike) -> tuple[list[str], list[str]]:
    """Paired ``(image paths, mask paths)``; ``ValueError`` names an unpaired file."""
    base = _common.require_dir(root, "CARLA", _LAYOUT)
    image_dir = _common.require_dir(base / "CameraRGB", "CARLA image", _LAYOUT)
    mask_dir = _common.require_dir(base / "CameraMask", "CARLA mask", _LAYOUT)
    return _common.pair_folders(image_dir, mask_dir, "CARLA")


def carla_dataset(
    root: str | os.PathLike,
    size: int | tuple[int, int] | None = None,
    num_classes: int | None = 23,
    validate: bool = True,
) -> tf.data.Dataset:
    """``(image, mask)`` pairs: float32 RGB ``(H, W, 3)`` in [0, 1] and int32 ``(H, W, 1)``
    class indices (max over the mask's channels; nearest resize). The Coursera data has 23
    classes; ``validate`` checks sizes and ``index < num_classes`` for every mask first."""
    images, masks = carla_files(root)
    if validate:
        _common.validate_pairs(images, masks, num_classes=num_classes, reduce_channels=True)
    return _common.paired_dataset(images, masks, size, read_mask=_common.read_max_channel_mask)
