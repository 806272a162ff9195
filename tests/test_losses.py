"""Losses on hand-made masks: Dice, BCE + Dice, sparse cross-entropy ignoring void, class weights."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from ssl_keras import losses, models, segmentation
from tests._masks import VOID, halves, multiclass_example, to_logits


def test_dice_perfect_empty_and_half_overlap():
    truth, prediction = halves()
    dice = losses.DiceLoss(from_logits=False, smooth=1e-6)
    assert float(dice(truth, truth)) == pytest.approx(0.0, abs=1e-6)
    # Half overlap: |A∩B| = 16, |A| + |B| = 64 → Dice 0.5.
    assert float(dice(truth, prediction)) == pytest.approx(0.5, abs=1e-6)
    empty = np.zeros_like(truth)
    assert float(dice(empty, empty)) == pytest.approx(0.0, abs=1e-6)  # nothing to find: perfect
    assert float(dice(empty, np.ones_like(truth))) == pytest.approx(1.0, abs=1e-6)
    assert float(dice(truth, empty)) == pytest.approx(1.0, abs=1e-6)


def test_dice_from_logits_and_default_smoothing():
    truth, prediction = halves()
    from_logits = losses.DiceLoss()(truth, to_logits(prediction))
    assert float(from_logits) == pytest.approx(1 - 33 / 65, abs=1e-4)  # smooth = 1
    per_image = losses.soft_dice(
        np.concatenate([truth, truth]), np.concatenate([truth, prediction]), from_logits=False
    )
    np.testing.assert_allclose(per_image.numpy(), [1.0, 33 / 65], atol=1e-6)


def test_bce_dice_combines_both_terms():
    truth, prediction = halves()
    logits = to_logits(prediction)
    combined = losses.BCEDiceLoss()(truth, logits)
    bce = keras.losses.BinaryCrossentropy(from_logits=True)(truth, logits)
    dice = losses.DiceLoss()(truth, logits)
    assert float(combined) == pytest.approx(float(bce) + float(dice), rel=1e-5)
    assert float(losses.BCEDiceLoss()(truth, to_logits(truth))) < 1e-6
    only_dice = losses.BCEDiceLoss(bce_weight=0.0)(truth, logits)
    assert float(only_dice) == pytest.approx(float(dice), rel=1e-6)


@pytest.mark.parametrize(
    "kwargs", [{"bce_weight": 0, "dice_weight": 0}, {"bce_weight": -1}, {"smooth": 0}]
)
def test_bce_dice_rejects_bad_settings(kwargs):
    with pytest.raises(ValueError):
        losses.BCEDiceLoss(**kwargs)


def test_sparse_ce_ignores_void_pixels():
    labels, logits = multiclass_example()
    loss = losses.sparse_categorical_crossentropy(ignore_class=VOID)
    valid = labels[..., 0] != VOID
    per_pixel = keras.losses.sparse_categorical_crossentropy(
        np.where(valid, labels[..., 0], 0), logits, from_logits=True
    ).numpy()
    assert float(loss(labels, logits)) == pytest.approx(per_pixel[valid].mean(), rel=1e-5)
    changed = logits.copy()
    changed[~valid] = 100.0 * np.random.default_rng(1).normal(size=(int((~valid).sum()), 11))
    assert float(loss(labels, changed)) == pytest.approx(float(loss(labels, logits)), rel=1e-6)


def test_weighted_sparse_ce():
    labels, logits = multiclass_example()
    uniform = losses.sparse_categorical_crossentropy(VOID, class_weights=[1.0] * 11)
    valid = labels[..., 0] != VOID
    per_pixel = keras.losses.sparse_categorical_crossentropy(
        np.where(valid, labels[..., 0], 0), logits, from_logits=True
    ).numpy()
    expected = np.mean([per_pixel[i][valid[i]].mean() for i in range(2)])  # per-image means
    assert float(uniform(labels, logits)) == pytest.approx(expected, rel=1e-5)
    # Weight 0 on class 3: its pixels stop counting, exactly as if they were void.
    weights = [1.0] * 11
    weights[3] = 0.0
    weighted = losses.sparse_categorical_crossentropy(VOID, class_weights=weights)
    as_void = np.where(labels == 3, VOID, labels)
    assert float(weighted(labels, logits)) == pytest.approx(
        float(uniform(as_void, logits)), rel=1e-5
    )
    with pytest.raises(ValueError, match="class_weights"):
        losses.sparse_categorical_crossentropy(VOID, class_weights=[1.0, -2.0])


def test_median_frequency_weights():
    weights = losses.median_frequency_weights([600, 300, 0, 100])
    # Frequencies 0.6, 0.3, 0.1 (unseen class: 0) → median 0.3 → 0.5, 1, 0, 3.
    np.testing.assert_allclose(weights, [0.5, 1.0, 0.0, 3.0], rtol=1e-6)
    np.testing.assert_allclose(losses.median_frequency_weights([1000, 1], max_weight=4.0)[1], 4.0)
    with pytest.raises(ValueError, match="pixel_counts"):
        losses.median_frequency_weights([0, 0])


def test_losses_and_metrics_survive_save_and_load(tmp_path):
    model = models.unet(
        (16, 16, 3), depth=1, base_filters=2, output_channels=1, output_activation=None
    )
    model.compile(
        optimizer="adam",
        loss=losses.BCEDiceLoss(dice_weight=0.5),
        metrics=[segmentation.DiceScore(), segmentation.IoUScore()],
    )
    x = np.random.default_rng(0).random((4, 16, 16, 3), dtype=np.float32)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert loaded.loss.dice_weight == 0.5
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    weighted = losses.WeightedSparseCategoricalCrossentropy([1.0, 2.0], ignore_class=5)
    clone = losses.WeightedSparseCategoricalCrossentropy.from_config(weighted.get_config())
    assert clone.class_weights == [1.0, 2.0] and clone.ignore_class == 5
