"""Resizing and cropping single images (or batches) as TensorFlow ops, usable in ``tf.data``.

Float images stay in [0, 1]: bilinear resizing with antialiasing (downscaling averages the
source pixels), then clipped, since the filter can overshoot by rounding.
"""

from __future__ import annotations

import tensorflow as tf

from ssl_keras._checks import check_size
from ssl_keras.noise import Seed, as_seed


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
