"""Tests of ssl_keras.pretext.segment: frozen-encoder segmentation for every pretext arm."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from ssl_keras import models, pretext

TINY = pretext.PretextBudget(steps=4, batch_size=8, epochs=2, depth=2, base_filters=4, patch=4)


def _pairs(n=8, size=(8, 12), seed=0) -> tf.data.Dataset:
    """Bright pixels are class 1, dark ones class 0; a few pixels are void (2)."""
    rng = np.random.default_rng(seed)
    masks = rng.integers(0, 2, (n, *size)).astype(np.int32)
    images = (0.2 + 0.6 * masks[..., None] + 0.05 * rng.random((n, *size, 3))).astype(np.float32)
    masks[:, 0, 0] = 2
    return tf.data.Dataset.from_tensor_slices((images, masks[..., None]))


@pytest.fixture(scope="module")
def arms():
    return {"a": pretext.untrained_unet(16, TINY, 0), "b": pretext.untrained_unet(16, TINY, 1)}


def test_rows_are_seeded_and_the_encoders_stay_frozen(arms):
    before = [w.copy() for w in models.encoder_from(arms["a"]).get_weights()]
    args = (arms, _pairs(), _pairs(seed=1), 2, 2, TINY, (0, 1))
    rows = pretext.frozen_segmentation_study(*args, steps=4, batch_size=4)
    assert [(r["method"], r["seed"]) for r in rows] == [("a", 0), ("b", 0), ("a", 1), ("b", 1)]
    assert all(0.0 <= r["mean_iou"] <= 1.0 for r in rows)
    assert pretext.frozen_segmentation_study(*args, steps=4, batch_size=4) == rows
    for kept, now in zip(before, models.encoder_from(arms["a"]).get_weights(), strict=True):
        np.testing.assert_array_equal(kept, now)


def test_an_easy_scene_is_segmented_over_a_frozen_random_encoder(arms):
    rows = pretext.frozen_segmentation_study(
        {"a": arms["a"]},
        _pairs(16),
        _pairs(8, seed=2),
        2,
        2,
        TINY,
        (0,),
        steps=120,
        batch_size=8,
        learning_rate=1e-2,
    )
    assert rows[0]["mean_iou"] > 0.8


def test_sizes_the_unet_cannot_pool_are_named(arms):
    with pytest.raises(ValueError, match=r"9×12.*multiples of 2\*\*depth = 4"):
        pretext.frozen_segmentation_study(
            arms, _pairs(size=(9, 12)), _pairs(size=(9, 12)), 2, 2, TINY, (0,)
        )
