"""Rotation prediction (RotNet: Gidaris et al., ICLR 2018) as a pretext task.

Every unlabeled image is shown in all four rotations, 0°, 90°, 180° and 270°, and the
network learns to tell which one it sees (label ``k`` for ``k × 90°``). To answer, it has to
know which way up objects are, so the encoder learns where heads, legs and horizons go.
The four rotations of an image sit in the same batch, as in the paper: each batch is
balanced over the labels, and no image is ever seen in one rotation only.

Everything runs on whole batches inside ``tf.data`` (``tf.image.rot90`` on ``(B, H, W, C)``),
so nothing happens per image in Python. Images must be square: a 90° turn of a non-square
image changes its shape, which would tell the label away.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import tensorflow as tf

from ssl_keras import pipelines
from ssl_keras._checks import check_int
from ssl_keras.anomaly.network import pretext_model

AUTOTUNE = pipelines.AUTOTUNE
CLASS_NAMES = ("0°", "90°", "180°", "270°")
N_ROTATIONS = len(CLASS_NAMES)


def _check_square(shape, name: str) -> None:
    height, width = shape[-3], shape[-2]
    if height is not None and width is not None and height != width:
        raise ValueError(
            f"{name} must be square for rotation prediction, got {height}×{width}: a 90° turn "
            "would change the shape and give the label away. Crop them square first "
            "(`image_dataset(..., mode='center_crop')` or 'random_crop')."
        )


def rotate_all(images) -> tuple[tf.Tensor, tf.Tensor]:
    """Each image in all four rotations.

    Args:
        images: float ``(B, H, W, C)`` with H == W (any value range; rotation keeps values).

    Returns:
        ``(rotated, labels)``: float32 ``(4·B, H, W, C)``, the whole batch turned by 0°, then
        by 90° (counter-clockwise), 180° and 270°; int32 ``(4·B,)`` labels ``k`` for ``k × 90°``.
    """
    images = tf.convert_to_tensor(images)
    if images.shape.rank != 4:
        raise ValueError(f"images must be a batch (B, H, W, C), got shape {images.shape}.")
    _check_square(images.shape, "images")
    images = tf.cast(images, tf.float32)
    rotated = tf.concat([tf.image.rot90(images, k) for k in range(N_ROTATIONS)], axis=0)
    labels = tf.repeat(tf.range(N_ROTATIONS, dtype=tf.int32), tf.shape(images)[0])
    return rotated, labels


def _square_stream(images) -> tuple[tf.data.Dataset, int | None]:
    ds, count = pipelines.image_stream(images, what="unlabeled image")
    _check_square(ds.element_spec.shape, "images")
    return ds, count


def rotation_dataset(
    images,
    batch_size: int = 32,
    seed: int = 0,
    repeat: bool = True,
    shuffle: bool = True,
    flip: bool = True,
) -> tf.data.Dataset:
    """Batches of rotation examples, ``(float32 (batch_size, H, W, C), int32 (batch_size,))``.

    Args:
        images: float ``(N, H, W, C)`` array in [0, 1] with H == W, or a ``tf.data.Dataset``
            of square ``(H, W, C)`` images (e.g. :func:`ssl_keras.pipelines.image_dataset`
            with random crops).
        batch_size: examples per batch, a multiple of 4: ``batch_size / 4`` images, each in
            its four rotations.
        seed: seeds the shuffle and the flips; the same seed gives the same stream.
        repeat: repeat forever (training: pass ``steps_per_epoch`` to ``fit``); otherwise one
            pass, the last batch possibly smaller (still four rotations per image).
        shuffle: shuffle the images (seeded, reshuffled every pass).
        flip: mirror each image left-right with probability 1/2 before rotating (a mirror
            image is still upright, so this adds views without touching the label).
    """
    batch_size = check_int(batch_size, "batch_size")
    if batch_size % N_ROTATIONS:
        raise ValueError(
            f"batch_size must be a multiple of {N_ROTATIONS} (each image comes in its four "
            f"rotations), got {batch_size}; use {N_ROTATIONS * max(1, round(batch_size / 4))}."
        )
    ds, count = _square_stream(images)
    if shuffle:
        ds = ds.shuffle(count or 1024, seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    per_batch = batch_size // N_ROTATIONS
    ds = ds.batch(per_batch, drop_remainder=repeat, num_parallel_calls=AUTOTUNE)

    def make(pair_seed, batch):
        if flip:
            batch = tf.image.stateless_random_flip_left_right(batch, pair_seed)
        return rotate_all(batch)

    ds = tf.data.Dataset.zip(pipelines.element_seeds(seed), ds)
    return ds.map(make, num_parallel_calls=AUTOTUNE).prefetch(AUTOTUNE)


def rotation_model(
    input_shape: Sequence[int | None] = (64, 64, 3),
    encoder: keras.Model | None = None,
    depth: int = 3,
    base_filters: int = 16,
    hidden: int = 128,
    name: str = "rotation",
) -> keras.Model:
    """The rotation classifier: U-Net encoder → global average pooling → Dense + ReLU → four
    logits (:func:`ssl_keras.anomaly.pretext_model` with ``n_classes=4``; the same head as
    the CutPaste pretext, so the two tasks differ only in what they ask)."""
    return pretext_model(
        input_shape,
        encoder=encoder,
        depth=depth,
        base_filters=base_filters,
        hidden=hidden,
        n_classes=N_ROTATIONS,
        name=name,
    )
