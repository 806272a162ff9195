"""Resizing and cropping single images (or batches) as TensorFlow ops, usable in ``tf.data``.

Float images stay in [0, 1]: bilinear resizing with antialiasing (downscaling averages the
source pixels), then clipped, since the filter can overshoot by rounding. The loaders bring
images to one size by a ``mode`` (:data:`MODES`, :func:`to_size`, :func:`map_to_size`).
"""

from __future__ import annotations

from collections.abc import Sequence

import tensorflow as tf

from ssl_keras._checks import check_size
from ssl_keras.noise import Seed, as_seed

MODES = ("resize", "center_crop", "random_crop")


def resize(image: tf.Tensor, size: int | tuple[int, int]) -> tf.Tensor:
    """Resize an image (or batch) to ``size`` with bilinear interpolation.

    Antialiasing is on, so downscaling averages over the source pixels like area resizing
    instead of skipping them; upscaling is plain bilinear.
    """
    height, width = check_size(size)
    resized = tf.image.resize(image, (height, width), method="bilinear", antialias=True)
    return tf.clip_by_value(resized, 0.0, 1.0)  # the filter may overshoot by float rounding


def resize_shorter_side(image: tf.Tensor, side: int) -> tf.Tensor:
    """Resize so the shorter side equals ``side``, keeping the aspect ratio."""
    shape = tf.cast(tf.shape(image)[-3:-1], tf.float32)
    scale = tf.cast(side, tf.float32) / tf.reduce_min(shape)
    new_shape = tf.cast(tf.round(shape * scale), tf.int32)
    new_shape = tf.maximum(new_shape, side)
    resized = tf.image.resize(image, new_shape, method="bilinear", antialias=True)
    return tf.clip_by_value(resized, 0.0, 1.0)


def center_crop(image: tf.Tensor, size: int | tuple[int, int]) -> tf.Tensor:
    """Scale the shorter side to fit, then cut the central ``size`` window."""
    height, width = check_size(size)
    image = resize_shorter_side(image, max(height, width))
    return tf.image.resize_with_crop_or_pad(image, height, width)


def random_crop(image: tf.Tensor, size: int | tuple[int, int], seed: Seed) -> tf.Tensor:
    """A ``size`` window at a seeded random position; images smaller than ``size`` are first
    scaled up (shorter side) so a crop always fits. Float [0, 1] or uint8 images; the crop
    keeps the input's dtype and channel count."""
    height, width = check_size(size)
    shape = tf.shape(image)
    too_small = tf.logical_or(shape[0] < height, shape[1] < width)

    def upscale() -> tf.Tensor:
        scaled = resize_shorter_side(tf.image.convert_image_dtype(image, tf.float32), side)
        return tf.image.convert_image_dtype(scaled, image.dtype, saturate=True)

    side = max(height, width)
    image = tf.cond(too_small, upscale, lambda: image)
    crop_shape = tf.stack([height, width, tf.shape(image)[-1]])
    return tf.image.stateless_random_crop(image, crop_shape, seed=as_seed(seed))


def check_mode(mode: str, modes: Sequence[str] = MODES) -> str:
    """Return ``mode``; ``ValueError`` naming the valid ``modes`` (a subset of :data:`MODES`,
    those a loader offers) when it is none of them."""
    if mode not in modes:
        names = [repr(m) for m in modes]
        valid = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
        raise ValueError(f"mode must be {valid}, got {mode!r}.")
    return mode


def to_size(
    image: tf.Tensor, size: int | tuple[int, int], mode: str = "resize", seed: Seed | None = None
) -> tf.Tensor:
    """Bring one image to ``size`` by ``mode``: ``"resize"`` (stretch, :func:`resize`),
    ``"center_crop"`` (keep the aspect ratio, cut the middle, :func:`center_crop`) or
    ``"random_crop"`` (a window at a position drawn from ``seed``, :func:`random_crop`).

    ``image``: float32 in [0, 1] or uint8, ``(H, W, C)``; random crops of uint8 images are
    cut before the conversion, which is cheaper. Returns float32 ``(height, width, C)`` in
    [0, 1].
    """
    check_mode(mode)
    if mode == "random_crop":
        if seed is None:
            raise ValueError("mode='random_crop' needs a seed, e.g. seed=0.")
        return tf.image.convert_image_dtype(random_crop(image, size, seed), tf.float32)
    image = tf.image.convert_image_dtype(image, tf.float32)
    return resize(image, size) if mode == "resize" else center_crop(image, size)


def map_to_size(
    ds: tf.data.Dataset,
    size: int | tuple[int, int],
    mode: str = "resize",
    seeds: tf.data.Dataset | None = None,
) -> tf.data.Dataset:
    """Map :func:`to_size` over a dataset of images. ``"random_crop"`` zips every image with
    the next seed of ``seeds``, a dataset of stateless seeds such as
    :func:`ssl_keras.pipelines.element_seeds` (which draws new ones on every pass)."""
    check_mode(mode)
    if mode != "random_crop":
        return ds.map(lambda image: to_size(image, size, mode), num_parallel_calls=tf.data.AUTOTUNE)
    if seeds is None:
        raise ValueError("mode='random_crop' needs seeds, e.g. pipelines.element_seeds(0).")
    return tf.data.Dataset.zip(ds, seeds).map(
        lambda image, seed: to_size(image, size, mode, seed), num_parallel_calls=tf.data.AUTOTUNE
    )
