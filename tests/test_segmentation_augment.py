"""Segmentation batching with lockstep augmentation (the augmentation itself:
tests/test_augment.py)."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from ssl_keras import augment, segmentation


def _blocky_pair(height: int = 48, width: int = 48):
    """An image of 8×8 blocks and the mask of its bright red blocks."""
    blocks = np.random.default_rng(0).random((height // 8, width // 8, 3)).astype(np.float32)
    image = np.kron(blocks, np.ones((8, 8, 1), np.float32))
    mask = (image[..., :1] > 0.5).astype(np.int32)
    return tf.constant(image), tf.constant(mask)


def test_segmentation_exports_the_lockstep_augmentation():
    assert segmentation.augment_pair is augment.augment_pair
    assert segmentation.augment_dataset is augment.augment_dataset


def test_batches_and_bad_options():
    image, mask = _blocky_pair()
    ds = tf.data.Dataset.from_tensors((image, mask)).repeat(5)
    train = segmentation.batches(ds, 2, training=True, seed=1, hflip=True, vflip=True)
    shapes = [(x.shape, y.shape) for x, y in train.as_numpy_iterator()]
    assert shapes[0] == ((2, 48, 48, 3), (2, 48, 48, 1)) and len(shapes) == 3
    with pytest.raises(ValueError, match="crop_scale"):
        segmentation.batches(ds, 2, training=True, crop_scale=(0.8, 0.2))
    with pytest.raises(ValueError, match="batch_size"):
        segmentation.batches(ds, 0)
