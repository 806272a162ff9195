"""Segmentation data: batching with the lockstep augmentation of :mod:`ssl_keras.augment`,
and the loaders' preprocessing that inference must repeat (:func:`preprocess`)."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from ssl_keras import augment, pipelines, resizing


def batches(
    ds: tf.data.Dataset,
    batch_size: int,
    training: bool = False,
    seed: int = 0,
    shuffle: int | None = 512,
    cache: bool = True,
    **augment_options,
) -> tf.data.Dataset:
    """Cache → (training: shuffle, lockstep augmentation) → batch → prefetch.

    Batching is :func:`ssl_keras.pipelines.batch` for training and
    :func:`ssl_keras.pipelines.eval_batches` otherwise, so it also works on several replicas.

    ``ds`` yields ``(image, mask)`` pairs of one size (e.g. a loader called with ``size``).
    Caching keeps the decoded, resized pairs in memory; augmentation happens after the cache,
    so it is new in every epoch. ``augment_options`` go to
    :func:`ssl_keras.augment.augment_pair`.
    """
    if not isinstance(batch_size, int | np.integer) or batch_size < 1:
        raise ValueError(f"batch_size must be an int ≥ 1, got {batch_size!r}.")
    if cache:
        ds = ds.cache()
    if training:
        if shuffle:
            ds = ds.shuffle(shuffle, seed=seed, reshuffle_each_iteration=True)
        ds = augment.augment_dataset(ds, seed=seed, **augment_options)
        return pipelines.batch(ds, int(batch_size))  # drops the remainder on several replicas
    return pipelines.eval_batches(ds, int(batch_size))  # splits over any replica count


def preprocess(image, size: int | tuple[int, int]) -> tf.Tensor:
    """The loaders' image preprocessing: bilinear, antialiased resize to ``size`` (float32
    ``(H, W, 3)`` or ``(N, H, W, 3)`` in [0, 1]); inference must use exactly this."""
    return resizing.resize(tf.convert_to_tensor(image, tf.float32), size)
