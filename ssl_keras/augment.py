"""Data augmentation as stateless, seeded TensorFlow ops, usable in ``tf.data``: photometric
jitter of one image (:func:`color_jitter`) and image + mask augmentation in lockstep
(:func:`augment_pair`, :func:`augment_dataset`). The same seed gives the same augmentation.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from ssl_keras._checks import check_range
from ssl_keras.noise import Seed, as_seed

AUTOTUNE = tf.data.AUTOTUNE


def color_jitter(
    image: tf.Tensor,
    seed: Seed,
    brightness: float = 0.0,
    contrast: float = 0.0,
    saturation: float = 0.0,
    hue: float = 0.0,
) -> tf.Tensor:
    """Random brightness, contrast, saturation and hue changes of an RGB image, in that order.

    The strengths are Python numbers; 0 skips that change.

    Args:
        image: float32 ``(H, W, 3)`` (or ``(N, H, W, 3)``) in [0, 1].
        seed: a stateless seed (int or shape-``(2,)`` tensor), split into one seed per change.
        brightness: largest delta added to every pixel, in [0, 1].
        contrast, saturation: the factor is drawn from ``1 ± value``, value in [0, 1].
        hue: largest hue rotation (in turns), in [0, 0.5].

    Returns:
        float32 image of the input's shape in [0, 1]. Gray images (R = G = B) stay gray.
    """
    check_range(brightness, "brightness", 0.0, 1.0)
    check_range(contrast, "contrast", 0.0, 1.0)
    check_range(saturation, "saturation", 0.0, 1.0)
    check_range(hue, "hue", 0.0, 0.5)
    image = tf.convert_to_tensor(image, tf.float32)
    seeds = tf.unstack(tf.random.experimental.stateless_split(as_seed(seed), num=4))
    if brightness > 0:
        image = tf.image.stateless_random_brightness(image, brightness, seeds[0])
    if contrast > 0:
        image = tf.image.stateless_random_contrast(image, 1 - contrast, 1 + contrast, seeds[1])
    # Saturation and hue go through HSV, which expects [0, 1]: brightness and contrast may
    # have left it.
    if saturation > 0:
        image = tf.image.stateless_random_saturation(
            tf.clip_by_value(image, 0.0, 1.0), 1 - saturation, 1 + saturation, seeds[2]
        )
    if hue > 0:
        image = tf.image.stateless_random_hue(tf.clip_by_value(image, 0.0, 1.0), hue, seeds[3])
    return tf.clip_by_value(image, 0.0, 1.0)


# augment_pair's ``color_jitter`` argument shadows the function inside it.
_color_jitter = color_jitter


def _random_resized_box(draws: tf.Tensor, scale: tuple[float, float], ratio: float) -> tf.Tensor:
    """A normalized ``[y0, x0, y1, x1]`` box covering a fraction in ``scale`` of the image,
    its aspect changed by at most ``ratio`` (or ``1/ratio``), from 4 uniform draws."""
    area = scale[0] + (scale[1] - scale[0]) * draws[0]
    log_ratio = np.log(ratio) * (2.0 * draws[1] - 1.0)
    aspect = tf.exp(log_ratio)
    height = tf.minimum(tf.sqrt(area / aspect), 1.0)
    width = tf.minimum(tf.sqrt(area * aspect), 1.0)
    y0 = (1.0 - height) * draws[2]
    x0 = (1.0 - width) * draws[3]
    return tf.stack([y0, x0, y0 + height, x0 + width])


def augment_pair(
    image: tf.Tensor,
    mask: tf.Tensor,
    seed: Seed,
    hflip: bool = True,
    vflip: bool = False,
    rotate90: bool = False,
    crop_scale: tuple[float, float] | None = (0.5, 1.0),
    crop_ratio: float = 4 / 3,
    color_jitter: float = 0.1,
) -> tuple[tf.Tensor, tf.Tensor]:
    """Augment an image and its mask in lockstep; the output has the input's shapes.

    Args:
        image: float32 ``(H, W, 3)`` in [0, 1].
        mask: int ``(H, W, 1)`` class indices (its dtype is kept).
        seed: a stateless seed (int or shape-``(2,)`` tensor); same seed, same augmentation.
        hflip, vflip: flip left-right / up-down with probability 1/2.
        rotate90: rotate by a random multiple of 90° (by 0° or 180° only when H ≠ W, so
            the shape is kept).
        crop_scale: ``(low, high)`` fraction of the image area a random crop covers before
            it is resized back to ``(H, W)`` (image bilinear, mask nearest); ``None``: no crop.
        crop_ratio: the crop's aspect ratio differs from the image's by at most this factor.
        color_jitter: strength ``s`` in [0, 1) of random brightness, contrast and saturation
            changes and of hue changes ``s / 4`` (:func:`color_jitter`, image only); 0 turns
            them off.

    Returns:
        ``(image float32 (H, W, 3) in [0, 1], mask (H, W, 1) of the input dtype)``.
    """
    if crop_scale is not None:
        low, high = (float(v) for v in crop_scale)
        if not 0.0 < low <= high <= 1.0:
            raise ValueError(
                f"crop_scale must be (low, high) with 0 < low ≤ high ≤ 1, got {crop_scale!r}."
            )
        crop_scale = (low, high)
    check_range(crop_ratio, "crop_ratio", 1.0, 10.0)
    check_range(color_jitter, "color_jitter", 0.0, 0.99)
    image = tf.convert_to_tensor(image, tf.float32)
    mask = tf.convert_to_tensor(mask)
    mask_dtype = mask.dtype
    seeds = tf.random.experimental.stateless_split(as_seed(seed), num=2)
    draws = tf.random.stateless_uniform([7], seed=seeds[0])

    if hflip:
        flip = draws[0] < 0.5
        image = tf.cond(flip, lambda: tf.reverse(image, [1]), lambda: image)
        mask = tf.cond(flip, lambda: tf.reverse(mask, [1]), lambda: mask)
    if vflip:
        flip = draws[1] < 0.5
        image = tf.cond(flip, lambda: tf.reverse(image, [0]), lambda: image)
        mask = tf.cond(flip, lambda: tf.reverse(mask, [0]), lambda: mask)
    if rotate90:
        turns = tf.cast(tf.floor(draws[2] * 4.0), tf.int32) % 4
        shape = tf.shape(image)
        turns = tf.where(tf.equal(shape[0], shape[1]), turns, 2 * (turns // 2))
        static = image.shape
        image = tf.image.rot90(image, turns)
        mask = tf.image.rot90(mask, turns)
        # Odd turns only happen on square images, so the static shape is unchanged.
        image.set_shape(static)
        mask.set_shape(static[:2].concatenate([mask.shape[-1]]))
    if crop_scale is not None:
        box = _random_resized_box(draws[3:], crop_scale, crop_ratio)[None]
        size = tf.shape(image)[:2]
        static_image, static_mask = image.shape, mask.shape
        image = tf.image.crop_and_resize(image[None], box, [0], size, method="bilinear")[0]
        mask = tf.image.crop_and_resize(
            tf.cast(mask, tf.float32)[None], box, [0], size, method="nearest"
        )[0]
        mask = tf.cast(tf.round(mask), mask_dtype)
        image.set_shape(static_image)
        mask.set_shape(static_mask)
    strength = color_jitter
    image = _color_jitter(image, seeds[1], strength, strength, strength, strength / 4.0)
    return image, tf.cast(mask, mask_dtype)


def augment_dataset(ds: tf.data.Dataset, seed: int = 0, **options) -> tf.data.Dataset:
    """Map :func:`augment_pair` over a dataset of ``(image, mask)`` pairs.

    Every pair gets its own seed from a ``tf.data.Dataset.random(seed)`` stream that is
    redrawn on each pass, so every epoch sees new augmentations, and the same ``seed`` gives
    the same sequence of augmentations on every run. ``options`` go to :func:`augment_pair`.
    """
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}.")
    # Validate the options once, eagerly, instead of failing inside the tf.data graph.
    augment_pair(tf.zeros((4, 4, 3)), tf.zeros((4, 4, 1), tf.int32), 0, **options)
    seeds = tf.data.Dataset.random(seed=int(seed), rerandomize_each_iteration=True).batch(2)
    return tf.data.Dataset.zip((ds, seeds)).map(
        lambda pair, pair_seed: augment_pair(pair[0], pair[1], pair_seed, **options),
        num_parallel_calls=AUTOTUNE,
    )
