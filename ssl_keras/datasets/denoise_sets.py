"""Denoising benchmark sets (BSD68, Set12, Train400/BSD400; Kodak24 in colour) or any folder.

Layout: a flat folder of gray or colour images (PNG, JPEG, BMP, GIF, WebP, or TIFF at 8 or 16
bits), e.g. ``<root>/BSD68/test001.png``, of any sizes and orientations. BSD68, Set12 and
Train400 are gray; ``gray=True`` serves one channel, as denoising papers evaluate them;
colour sets (Kodak24) are served as RGB (``gray=False``) and scored on the three channels.
"""

from __future__ import annotations

import os

import tensorflow as tf

from ssl_keras import image_files, pipelines, resizing
from ssl_keras._checks import check_size

AUTOTUNE = pipelines.AUTOTUNE
DENOISE_SETS = ("BSD68", "Set12", "Train400")


def to_gray(image: tf.Tensor) -> tf.Tensor:
    """RGB ``(H, W, 3)`` → ``(H, W, 1)``: the first channel when all three are equal (gray
    stored as RGB, values unchanged), else ITU-R 601 luma.

    Not ``tf.image.rgb_to_grayscale``: it is about 3× faster but weights red 0.2989 (the
    weights sum to 0.9999), so it is up to 1e-4 off and not exact on gray images."""
    equal = tf.reduce_all(image[..., :1] == image[..., 1:2]) & tf.reduce_all(
        image[..., 1:2] == image[..., 2:3]
    )
    weights = tf.constant([0.299, 0.587, 0.114], image.dtype)
    return tf.cond(
        equal,
        lambda: image[..., :1],
        lambda: tf.reduce_sum(image * weights, axis=-1, keepdims=True),
    )


def denoise_dataset(
    folder: str | os.PathLike,
    size: int | tuple[int, int] | None = None,
    mode: str = "resize",
    gray: bool = False,
    seed: int = 0,
    recursive: bool = False,
    on_error: str = "raise",
) -> tf.data.Dataset:
    """Clean images from ``folder`` for denoising: float32 ``(H, W, C)`` in [0, 1].

    ``C`` is 1 with ``gray=True`` (exact for gray files), else 3. ``size=None`` keeps each
    image's own size (evaluate unbatched, or pass the images as a list to
    :func:`ssl_keras.denoising.evaluate`); otherwise ``mode`` is ``"resize"``
    (bilinear, antialiased), ``"center_crop"`` or ``"random_crop"`` (seeded, a new window per
    element). Pair with :func:`ssl_keras.pipelines.noisy_pairs` to add noise.
    """
    resizing.check_mode(mode)
    paths = image_files.list_image_files(folder, recursive=recursive, on_error=on_error)
    ds = tf.data.Dataset.from_tensor_slices(paths).map(
        image_files.read_image, num_parallel_calls=AUTOTUNE
    )
    if size is not None:
        ds = resizing.map_to_size(ds, check_size(size), mode, pipelines.element_seeds(seed))
    if gray:
        ds = ds.map(to_gray, num_parallel_calls=AUTOTUNE)
    return ds
