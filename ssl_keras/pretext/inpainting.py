"""Masked-patch inpainting as a pretext task (context encoders, Pathak et al., CVPR 2016;
masked autoencoders, He et al., CVPR 2022).

The image is cut into a grid of square patches, a fixed share of them (``ratio``) is hidden
and filled with one flat value, and a U-Net learns to paint the hidden patches back. As in
MAE, only the hidden pixels count in the loss (:func:`masked_batches` yields them as sample
weights), so copying the visible pixels through the skip connections earns nothing.

MAE hides 75 % of 16-pixel patches of 224-pixel images; a CNN cannot drop hidden patches
from its input the way a transformer does, so they are filled (``fill``, mid-gray by
default) and the hiding ratio is lower by default (50 %), as in context-encoder style
training of convolutional networks.

Masks are drawn per batch with stateless ops: every image gets exactly
``round(ratio × patches)`` hidden patches, a new set in every batch and every epoch, the same
for the same seed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras
import tensorflow as tf

from ssl_keras import models, pipelines, runtime
from ssl_keras._checks import check_int
from ssl_keras.noise import Seed, as_seed

AUTOTUNE = pipelines.AUTOTUNE


def _check_ratio(ratio: float) -> float:
    ratio = float(ratio)
    if not 0.0 < ratio < 1.0:
        raise ValueError(
            f"ratio is the share of patches to hide and must be in (0, 1), got {ratio!r}."
        )
    return ratio


def patch_mask(
    batch: int, height: int, width: int, patch: int = 8, ratio: float = 0.5, seed: Seed = 0
) -> tf.Tensor:
    """Random patch masks, float32 ``(batch, height, width, 1)``: 1 on hidden pixels, 0 on
    visible ones.

    The image is covered by a grid of ``patch × patch`` cells (the last row and column cut
    short where ``patch`` does not divide the size); each mask hides exactly
    ``max(1, round(ratio × cells))`` cells, chosen uniformly without replacement.
    """
    patch = check_int(patch, "patch")
    ratio = _check_ratio(ratio)
    rows, cols = -(-int(height) // patch), -(-int(width) // patch)
    cells = rows * cols
    hidden = min(cells, max(1, round(ratio * cells)))
    scores = tf.random.stateless_uniform([batch, cells], as_seed(seed))
    # The `hidden` highest scores of each row are hidden: a uniform draw without replacement.
    kth = tf.math.top_k(scores, k=hidden).values[:, -1:]
    cell_mask = tf.cast(scores >= kth, tf.float32)
    grid = tf.reshape(cell_mask, [batch, rows, cols])
    pixels = tf.repeat(tf.repeat(grid, patch, axis=1), patch, axis=2)
    return pixels[:, :height, :width, None]


def hide_patches(images, mask, fill: float = 0.5) -> tf.Tensor:
    """``images`` (float ``(B, H, W, C)``) with the pixels where ``mask`` (``(B, H, W, 1)``)
    is 1 replaced by ``fill``."""
    images = tf.cast(images, tf.float32)
    return images * (1.0 - mask) + float(fill) * mask


def masked_example(images, seed: Seed, patch: int = 8, ratio: float = 0.5, fill: float = 0.5):
    """One training batch from clean images ``(B, H, W, C)`` in [0, 1]:
    ``(hidden, images, weights)`` — the images with patches hidden, the clean target and the
    float32 ``(B, H, W)`` loss weights (1 on hidden pixels, 0 elsewhere)."""
    images = tf.cast(images, tf.float32)
    shape = tf.shape(images)
    height, width = images.shape[1], images.shape[2]
    if height is None or width is None:
        raise ValueError(
            f"masked_example needs a known image size, got shape {images.shape}; resize or "
            "crop the images to one size first."
        )
    mask = patch_mask(shape[0], height, width, patch, ratio, seed)
    return hide_patches(images, mask, fill), images, mask[..., 0]


def masked_batches(
    images,
    batch_size: int = 32,
    seed: int = 0,
    patch: int = 8,
    ratio: float = 0.5,
    fill: float = 0.5,
    repeat: bool = True,
    shuffle: bool = True,
) -> tf.data.Dataset:
    """Batches ``(hidden, clean, weights)`` for ``fit``: float32 ``(B, H, W, C)`` inputs with
    patches hidden, the clean ``(B, H, W, C)`` targets and ``(B, H, W)`` per-pixel loss
    weights (1 on hidden pixels), which Keras applies as ``sample_weight``.

    Args:
        images: float ``(N, H, W, C)`` array in [0, 1], or a ``tf.data.Dataset`` of
            ``(H, W, C)`` images of one size (e.g. :func:`ssl_keras.pipelines.image_dataset`).
        batch_size: images per batch.
        seed: seeds the shuffle and the masks; the same seed gives the same stream.
        patch: side of the square patches in pixels.
        ratio: share of the patches hidden in each image, in (0, 1).
        fill: the value hidden pixels take (0.5: mid-gray).
        repeat: repeat forever (training); otherwise one pass with a smaller last batch.
        shuffle: shuffle the images (seeded, reshuffled every pass).
    """
    batch_size = check_int(batch_size, "batch_size")
    check_int(patch, "patch")
    _check_ratio(ratio)
    ds, count = pipelines.image_stream(images, what="unlabeled image")
    if shuffle:
        ds = ds.shuffle(count or 1024, seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    ds = ds.batch(batch_size, drop_remainder=repeat, num_parallel_calls=AUTOTUNE)

    def make(batch_seed, batch):
        return masked_example(batch, batch_seed, patch, ratio, fill)

    ds = tf.data.Dataset.zip(pipelines.element_seeds(seed), ds)
    return ds.map(make, num_parallel_calls=AUTOTUNE).prefetch(AUTOTUNE)


def inpainting_model(
    input_shape: Sequence[int | None] = (64, 64, 3),
    depth: int = 3,
    base_filters: int = 16,
    name: str = "inpainter",
) -> keras.Model:
    """The inpainting network: a U-Net (:func:`ssl_keras.models.unet`) with a sigmoid head
    that outputs the whole image, ``(N, H, W, C)`` in [0, 1]; train it with mean squared
    error and the weights of :func:`masked_batches`. Its encoder
    (:func:`ssl_keras.models.encoder_from`) is the one the pretext task trains."""
    with runtime.scope():
        return models.unet(
            input_shape,
            depth=depth,
            base_filters=base_filters,
            output_channels=int(input_shape[-1]),
            output_activation="sigmoid",
            name=name,
        )


def hidden_psnr(model: keras.Model, batches: tf.data.Dataset) -> float:
    """PSNR (dB) of ``model``'s output against the clean images over the hidden pixels only,
    pooled over every ``(hidden, clean, weights)`` batch of ``batches`` (as
    :func:`masked_batches` yields them with ``repeat=False``): how well the network paints
    what it could not see. Each pass over that dataset draws new masks; to score several
    models on the same masks, pass ``list(batches)`` (or ``batches.cache()``) to each."""
    squared, count = 0.0, 0.0
    for hidden, clean, weights in batches:
        predicted = tf.cast(model(hidden, training=False), tf.float32)
        error = tf.reduce_sum(tf.square(predicted - clean), axis=-1) * weights
        squared += float(tf.reduce_sum(error))
        count += float(tf.reduce_sum(weights)) * clean.shape[-1]
    if count == 0:
        raise ValueError("batches hold no hidden pixels: nothing to score.")
    return 10.0 * math.log10(1.0 / max(squared / count, 1e-12))
