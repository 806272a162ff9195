"""Image noise as TensorFlow ops: Gaussian, salt-and-pepper, speckle and Poisson.

Every function takes a float32 image ``(H, W, C)`` or batch ``(N, H, W, C)`` with values in
[0, 1] and returns the same shape and dtype, clipped to [0, 1]. Randomness comes from
TensorFlow's *stateless* RNG: the same ``seed`` (an int or a pair of ints) always gives the
same noise, on every run and inside ``tf.data.Dataset.map``.

>>> noisy = gaussian(images, sigma=25 / 255, seed=0)
>>> ds = ds.map(lambda x: salt_and_pepper(x, amount=0.05, seed=(7, 0)))
"""

from __future__ import annotations

import math
from collections.abc import Callable

import tensorflow as tf

from ssl_keras._checks import as_image_tensor, check_range

Seed = int | tuple[int, int] | tf.Tensor


def as_seed(seed: Seed) -> tf.Tensor:
    """Turn an int, a pair of ints, or an int tensor of shape [2] into a stateless-RNG seed."""
    if tf.is_tensor(seed):
        seed = tf.cast(seed, tf.int64)
        return tf.stack([seed, tf.zeros_like(seed)]) if seed.shape.rank == 0 else seed
    if isinstance(seed, int):
        return tf.constant([seed, 0], tf.int64)
    try:
        first, second = (int(s) for s in seed)
    except (TypeError, ValueError):
        raise ValueError(f"seed must be an int or a pair of ints, got {seed!r}.") from None
    return tf.constant([first, second], tf.int64)


def _pixel_shape(images: tf.Tensor) -> tf.Tensor:
    """Shape of ``images`` with the channel axis set to 1 (one draw per pixel)."""
    return tf.concat([tf.shape(images)[:-1], [1]], axis=0)


def standard_normal(shape, seed: Seed = 0) -> tf.Tensor:
    """Float32 N(0, 1) samples of ``shape`` from one stateless 32-bit draw per pair of values.

    Box–Muller on the two 16-bit halves of each random word: the high half sets the angle,
    the low half the radius. Values are cut at ±4.85 (probability 1.2·10⁻⁶ under a true
    normal) and the radius takes 65,536 levels — far below the 1/255 step of an 8-bit image.
    On CPU this is about twice as fast as ``tf.random.stateless_normal`` (four uniform draws
    per pair there), and the noise draw is what limits a denoiser's input pipeline.
    """
    shape = tf.convert_to_tensor(shape, tf.int32)
    count = tf.reduce_prod(shape)
    pairs = (count + 1) // 2
    words = tf.random.stateless_uniform(
        [pairs], as_seed(seed), minval=None, maxval=None, dtype=tf.int32
    )
    words = tf.bitcast(words, tf.uint32)
    low = tf.cast(tf.bitwise.bitwise_and(words, 0xFFFF), tf.float32)
    high = tf.cast(tf.bitwise.right_shift(words, 16), tf.float32)
    radius = tf.sqrt(-2.0 * tf.math.log((low + 0.5) * (1.0 / 65536.0)))
    angle = high * (2.0 * math.pi / 65536.0)
    values = tf.concat([radius * tf.cos(angle), radius * tf.sin(angle)], axis=0)
    return tf.reshape(values[:count], shape)


def gaussian(images, sigma: float = 25 / 255, seed: Seed = 0) -> tf.Tensor:
    """Additive white Gaussian noise with standard deviation ``sigma`` (in [0, 1] units).

    ``sigma=25/255`` is the classic "σ = 25" of the denoising literature.
    """
    images = as_image_tensor(images)
    check_range(sigma, "sigma", 0.0, 1.0)
    noise = standard_normal(tf.shape(images), seed)
    return tf.clip_by_value(images + sigma * noise, 0.0, 1.0)


def salt_and_pepper(
    images, amount: float = 0.05, salt_ratio: float = 0.5, seed: Seed = 0
) -> tf.Tensor:
    """Impulse noise: a fraction ``amount`` of pixels becomes white (salt) or black (pepper).

    A corrupted pixel is corrupted in all channels, as a dead or hot sensor pixel is.
    ``salt_ratio`` is the share of corrupted pixels that become white.
    """
    images = as_image_tensor(images)
    check_range(amount, "amount", 0.0, 1.0)
    check_range(salt_ratio, "salt_ratio", 0.0, 1.0)
    where_seed, which_seed = tf.unstack(tf.random.experimental.stateless_split(as_seed(seed), 2))
    corrupted = tf.random.stateless_uniform(_pixel_shape(images), where_seed) < amount
    salt = tf.random.stateless_uniform(_pixel_shape(images), which_seed) < salt_ratio
    values = tf.where(salt, 1.0, 0.0)
    return tf.where(corrupted, values, images)


def speckle(images, sigma: float = 0.2, seed: Seed = 0) -> tf.Tensor:
    """Multiplicative noise ``x + x·n`` with ``n ~ N(0, sigma²)`` (as in radar/ultrasound)."""
    images = as_image_tensor(images)
    check_range(sigma, "sigma", 0.0, 5.0)
    noise = standard_normal(tf.shape(images), seed)
    return tf.clip_by_value(images + images * sigma * noise, 0.0, 1.0)


def poisson(images, peak: float = 30.0, seed: Seed = 0) -> tf.Tensor:
    """Shot noise: each value is ``Poisson(x·peak) / peak``.

    ``peak`` is the photon count of a white pixel; lower peaks mean darker, noisier shots.
    """
    images = as_image_tensor(images)
    check_range(peak, "peak", 0.0, 1e6, low_open=True)
    counts = tf.random.stateless_poisson(
        tf.shape(images), as_seed(seed), lam=images * peak, dtype=tf.float32
    )
    return tf.clip_by_value(counts / peak, 0.0, 1.0)


NOISES: dict[str, Callable[..., tf.Tensor]] = {
    "gaussian": gaussian,
    "salt_and_pepper": salt_and_pepper,
    "speckle": speckle,
    "poisson": poisson,
}
"""Noise functions by name; each takes ``(images, level, seed=...)`` with its own level."""

LEVEL_NAMES = {
    "gaussian": "sigma",
    "salt_and_pepper": "amount",
    "speckle": "sigma",
    "poisson": "peak",
}


def add_noise(images, kind: str, level: float, seed: Seed = 0) -> tf.Tensor:
    """Apply the noise called ``kind`` (a key of :data:`NOISES`) at ``level``.

    ``level`` is σ for gaussian/speckle, the corrupted fraction for salt_and_pepper and the
    peak photon count for poisson.
    """
    if kind not in NOISES:
        raise ValueError(f"Unknown noise kind {kind!r}. Use one of: {', '.join(NOISES)}.")
    return NOISES[kind](images, level, seed=seed)


def mixed(
    images,
    sigma: float = 25 / 255,
    amount: float = 0.05,
    seed: Seed = 0,
    gaussian_share: float = 0.5,
) -> tf.Tensor:
    """Per image, Gaussian (σ = ``sigma``) with probability ``gaussian_share``, else
    salt-and-pepper (``amount``).

    Works on one image or a batch; the choice and the noise are both drawn from ``seed``.
    """
    if not 0.0 <= gaussian_share <= 1.0:
        raise ValueError(f"gaussian_share must be in [0, 1], got {gaussian_share!r}.")
    images = as_image_tensor(images)
    seeds = tf.random.experimental.stateless_split(as_seed(seed), num=3)
    batched = images.shape.rank == 4
    count = tf.shape(images)[0] if batched else 1
    use_gaussian = tf.random.stateless_uniform([count], seeds[0]) < gaussian_share
    use_gaussian = tf.reshape(use_gaussian, [-1, 1, 1, 1]) if batched else use_gaussian[0]
    return tf.where(
        use_gaussian,
        gaussian(images, sigma, seed=seeds[1]),
        salt_and_pepper(images, amount, seed=seeds[2]),
    )
