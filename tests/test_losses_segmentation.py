"""Segmentation losses, metrics, baselines and lockstep augmentation on hand-made masks."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from ssl_keras import losses, models, segmentation

VOID = 11


def _halves(size: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Truth = left half, prediction = top half of a square: they overlap in a quarter."""
    truth = np.zeros((1, size, size, 1), np.float32)
    truth[:, :, : size // 2] = 1
    prediction = np.zeros_like(truth)
    prediction[:, : size // 2] = 1
    return truth, prediction


def _logits(probabilities: np.ndarray) -> np.ndarray:
    return np.where(probabilities > 0.5, 20.0, -20.0).astype(np.float32)


# ---------------------------------------------------------------------------------- Dice


def test_dice_perfect_empty_and_half_overlap():
    truth, prediction = _halves()
    dice = losses.DiceLoss(from_logits=False, smooth=1e-6)
    assert float(dice(truth, truth)) == pytest.approx(0.0, abs=1e-6)
    # Half overlap: |A∩B| = 16, |A| + |B| = 64 → Dice 0.5.
    assert float(dice(truth, prediction)) == pytest.approx(0.5, abs=1e-6)
    empty = np.zeros_like(truth)
    assert float(dice(empty, empty)) == pytest.approx(0.0, abs=1e-6)  # nothing to find: perfect
    assert float(dice(empty, np.ones_like(truth))) == pytest.approx(1.0, abs=1e-6)
    assert float(dice(truth, empty)) == pytest.approx(1.0, abs=1e-6)


def test_dice_from_logits_and_default_smoothing():
    truth, prediction = _halves()
    from_logits = losses.DiceLoss()(truth, _logits(prediction))
    assert float(from_logits) == pytest.approx(1 - 33 / 65, abs=1e-4)  # smooth = 1
    per_image = losses.soft_dice(
        np.concatenate([truth, truth]), np.concatenate([truth, prediction]), from_logits=False
    )
    np.testing.assert_allclose(per_image.numpy(), [1.0, 33 / 65], atol=1e-6)


def test_bce_dice_combines_both_terms():
    truth, prediction = _halves()
    logits = _logits(prediction)
    combined = losses.BCEDiceLoss()(truth, logits)
    bce = keras.losses.BinaryCrossentropy(from_logits=True)(truth, logits)
    dice = losses.DiceLoss()(truth, logits)
    assert float(combined) == pytest.approx(float(bce) + float(dice), rel=1e-5)
    assert float(losses.BCEDiceLoss()(truth, _logits(truth))) < 1e-6
    only_dice = losses.BCEDiceLoss(bce_weight=0.0)(truth, logits)
    assert float(only_dice) == pytest.approx(float(dice), rel=1e-6)


@pytest.mark.parametrize(
    "kwargs", [{"bce_weight": 0, "dice_weight": 0}, {"bce_weight": -1}, {"smooth": 0}]
)
def test_bce_dice_rejects_bad_settings(kwargs):
    with pytest.raises(ValueError):
        losses.BCEDiceLoss(**kwargs)


# ----------------------------------------------------------------- sparse CE with void


def _multiclass_example(seed: int = 0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 12, (2, 6, 6, 1))  # 0-10 classes, 11 = void
    logits = rng.normal(size=(2, 6, 6, 11)).astype(np.float32)
    return labels, logits


def test_sparse_ce_ignores_void_pixels():
    labels, logits = _multiclass_example()
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
    labels, logits = _multiclass_example()
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


# ---------------------------------------------------------------------- metrics, baseline


def test_confusion_matrix_scores_perfect_and_known_values():
    truth = np.array([[0, 0, 1, 1], [2, 2, 2, VOID]])
    perfect = segmentation.scores(segmentation.confusion_matrix(truth, truth, 3, VOID))
    assert perfect.mean_iou == 1.0 and perfect.pixel_accuracy == 1.0
    prediction = np.array([[0, 1, 1, 1], [2, 2, 0, 0]])
    result = segmentation.scores(segmentation.confusion_matrix(truth, prediction, 3, VOID))
    # class 0: TP 1, union 3; class 1: TP 2, union 3; class 2: TP 2, union 3.
    np.testing.assert_allclose(result.iou, [1 / 3, 2 / 3, 2 / 3])
    assert result.mean_iou == pytest.approx(5 / 9)
    assert result.pixel_accuracy == pytest.approx(5 / 7)  # the void pixel is not counted
    rows = result.table(["a", "b", "c"])
    assert rows[0]["class"] == "a" and rows[2]["pixels (truth)"] == 3


def test_mean_iou_ignores_void_and_absent_classes():
    truth = np.array([0, 0, 1, VOID, VOID])
    good = np.array([0, 0, 1, 0, 0])
    wrong_on_void = np.array([0, 0, 1, 1, 2])
    a = segmentation.scores(segmentation.confusion_matrix(truth, good, 4, VOID))
    b = segmentation.scores(segmentation.confusion_matrix(truth, wrong_on_void, 4, VOID))
    assert a.mean_iou == b.mean_iou == 1.0
    assert np.isnan(a.iou[2]) and np.isnan(a.iou[3])  # never seen, never predicted
    with pytest.raises(ValueError, match="outside"):
        segmentation.confusion_matrix(truth, np.array([0, 0, 7, 0, 0]), 4, VOID)
    with pytest.raises(ValueError, match="integer"):
        segmentation.confusion_matrix(truth, truth.astype(np.float32), 4, VOID)


def test_keras_mean_iou_matches_confusion_matrix():
    labels, logits = _multiclass_example(3)
    metric = segmentation.mean_iou_metric(11, VOID)
    metric.update_state(labels, logits)
    matrix = segmentation.confusion_matrix(labels, logits.argmax(-1), 11, VOID)
    assert float(metric.result()) == pytest.approx(segmentation.scores(matrix).mean_iou, rel=1e-5)


def test_binary_metrics_on_hand_made_masks():
    truth, prediction = _halves()
    for metric_class, half, expected_name in (
        (segmentation.DiceScore, 0.5, "dice"),
        (segmentation.IoUScore, 1 / 3, "iou"),
    ):
        metric = metric_class()
        assert metric.name == expected_name
        metric.update_state(truth, _logits(truth))
        assert float(metric.result()) == pytest.approx(1.0)
        metric.reset_state()
        metric.update_state(truth, _logits(prediction))
        assert float(metric.result()) == pytest.approx(half, rel=1e-5)
        metric.reset_state()
        metric.update_state(np.zeros_like(truth), np.full_like(truth, -5.0))
        assert float(metric.result()) == 1.0  # empty truth, empty prediction
        probabilities = metric_class(from_logits=False, threshold=0.7)
        probabilities.update_state(truth, truth * 0.8)
        assert float(probabilities.result()) == pytest.approx(1.0)
    scores = segmentation.binary_scores(
        np.concatenate([truth, prediction, np.zeros_like(truth)]),
        np.concatenate([truth, truth, np.zeros_like(truth)]),
    )
    np.testing.assert_allclose(scores["dice"], [1.0, 0.5, 1.0])
    np.testing.assert_allclose(scores["iou"], [1.0, 1 / 3, 1.0])


def test_majority_baseline():
    counts = segmentation.class_pixel_counts(np.array([0, 0, 0, 1, 2, VOID, VOID]), 3, VOID)
    np.testing.assert_array_equal(counts, [3, 1, 1])
    majority = segmentation.majority_class(counts)
    baseline = segmentation.scores(segmentation.constant_prediction_confusion(counts, majority))
    assert majority == 0
    assert baseline.pixel_accuracy == pytest.approx(0.6)
    assert baseline.mean_iou == pytest.approx(0.6 / 3)  # IoU 3/5 for class 0, 0 for the others
    ds = tf.data.Dataset.from_tensor_slices(
        (np.zeros((2, 2, 2, 3), np.float32), np.array([[[[0], [1]], [[1], [VOID]]]] * 2))
    )
    np.testing.assert_array_equal(segmentation.class_pixel_counts(ds, 3, VOID), [2, 4, 0])


def test_evaluate_and_predict_masks_on_a_tiny_model():
    model = models.unet(
        (16, 16, 3), depth=1, base_filters=2, output_channels=3, output_activation=None
    )
    images = np.random.default_rng(0).random((3, 16, 16, 3), dtype=np.float32)
    masks = np.random.default_rng(1).integers(0, 4, (3, 16, 16, 1)).astype(np.int32)
    ds = tf.data.Dataset.from_tensor_slices((images, masks)).batch(2)
    result = segmentation.evaluate(model, ds, 3, ignore_class=3)
    assert result.confusion.sum() == int((masks != 3).sum())
    _, truth, predicted = segmentation.predict_masks(model, ds)
    assert truth.shape == predicted.shape == (3, 16, 16) and predicted.dtype == np.int32
    binary = models.unet(
        (16, 16, 3), depth=1, base_filters=2, output_channels=1, output_activation=None
    )
    _, _, probabilities = segmentation.predict_masks(binary, ds)
    assert (
        probabilities.shape == (3, 16, 16) and 0 <= probabilities.min() <= probabilities.max() <= 1
    )


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


# ------------------------------------------------------------ pretrained U-Net and restarts


def test_unet_copies_the_pretrained_encoder_and_is_seeded():
    denoiser = models.unet(
        (None, None, 3), depth=2, base_filters=4, residual=True, output_activation=None
    )
    seeded = segmentation.unet((12, 20, 3), 5, depth=2, base_filters=4, seed=3)
    again = segmentation.unet((12, 20, 3), 5, depth=2, base_filters=4, seed=3)
    for a, b in zip(seeded.get_weights(), again.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    pretrained = segmentation.unet(
        (12, 20, 3), 5, depth=2, base_filters=4, dropout=0.2, pretrained=denoiser, seed=3
    )
    for block in ("enc1", "enc2", "bottleneck"):  # convolutions and BN statistics
        for a, b in zip(
            pretrained.get_layer(block).get_weights(),
            denoiser.get_layer(block).get_weights(),
            strict=True,
        ):
            np.testing.assert_array_equal(a, b)
    assert not np.array_equal(
        pretrained.get_layer("enc1").get_weights()[0], seeded.get_layer("enc1").get_weights()[0]
    )
    assert pretrained.output_shape == (None, 12, 20, 5)
    with pytest.raises(ValueError, match="depth"):
        segmentation.unet((16, 16, 3), 5, depth=3, base_filters=4, pretrained=denoiser)
    with pytest.raises(ValueError, match="seed"):
        segmentation.unet((16, 16, 3), 5, depth=2, base_filters=4, seed=-1)


def test_restart_replays_a_fresh_run_without_recompiling():
    images = np.random.default_rng(0).random((8, 16, 16, 3), dtype=np.float32)
    masks = np.random.default_rng(1).integers(0, 3, (8, 16, 16, 1)).astype(np.int32)
    model = segmentation.unet((16, 16, 3), 3, depth=2, base_filters=4, seed=0)
    with pytest.raises(ValueError, match="not compiled"):
        segmentation.restart(model, model.get_weights())
    start = model.get_weights()
    model.compile(
        optimizer=keras.optimizers.Adam(0.01),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit(images, masks, batch_size=4, epochs=2, shuffle=False, verbose=0)
    first = model.get_weights()
    segmentation.restart(model, start)
    assert int(model.optimizer.iterations) == 0
    assert float(model.optimizer.learning_rate) == pytest.approx(0.01)
    for a, b in zip(model.get_weights(), start, strict=True):
        np.testing.assert_array_equal(a, b)
    model.fit(images, masks, batch_size=4, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), first, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)
    with pytest.raises(ValueError, match="do not fit"):
        segmentation.restart(model, start[:-1])


# -------------------------------------------------------------------- lockstep augmentation


def _blocky_pair(height: int = 48, width: int = 48, seed: int = 0):
    """An image of 8×8 blocks whose red channel is 0.1 or 0.9, and the mask red > 0.5:
    a mask drawn from the image, so any misalignment shows."""
    rng = np.random.default_rng(seed)
    blocks = rng.random((height // 8, width // 8, 3)).astype(np.float32)
    blocks[..., 0] = np.where(blocks[..., 0] > 0.5, 0.9, 0.1)
    image = np.kron(blocks, np.ones((8, 8, 1), np.float32))
    mask = (image[..., :1] > 0.5).astype(np.int32)
    return tf.constant(image), tf.constant(mask)


@pytest.mark.parametrize("seed", range(6))
def test_geometric_augmentation_keeps_image_and_mask_aligned(seed):
    image, mask = _blocky_pair()
    options = {"hflip": True, "vflip": True, "rotate90": True, "color_jitter": 0.0}
    no_crop_image, no_crop_mask = segmentation.augment_pair(
        image, mask, seed, crop_scale=None, **options
    )
    np.testing.assert_array_equal(no_crop_mask.numpy(), (no_crop_image.numpy()[..., :1] > 0.5))
    cropped_image, cropped_mask = segmentation.augment_pair(
        image, mask, seed, crop_scale=(0.3, 0.6), **options
    )
    assert cropped_image.shape == image.shape and cropped_mask.shape == mask.shape
    assert cropped_mask.dtype == tf.int32
    agreement = np.mean(cropped_mask.numpy() == (cropped_image.numpy()[..., :1] > 0.5))
    assert agreement > 0.97, agreement  # bilinear vs nearest differ only on block borders
    assert set(np.unique(cropped_mask.numpy())) <= {0, 1}


def test_color_jitter_changes_only_the_image():
    image, mask = _blocky_pair()
    plain = segmentation.augment_pair(image, mask, 7, color_jitter=0.0)
    jittered = segmentation.augment_pair(image, mask, 7, color_jitter=0.3)
    np.testing.assert_array_equal(plain[1].numpy(), jittered[1].numpy())
    assert not np.allclose(plain[0].numpy(), jittered[0].numpy())
    assert 0.0 <= jittered[0].numpy().min() and jittered[0].numpy().max() <= 1.0


def test_augmentation_is_seeded_and_keeps_non_square_shapes():
    image, mask = _blocky_pair(32, 48)
    a = segmentation.augment_pair(image, mask, (3, 4), vflip=True, rotate90=True)
    b = segmentation.augment_pair(image, mask, (3, 4), vflip=True, rotate90=True)
    c = segmentation.augment_pair(image, mask, (3, 5), vflip=True, rotate90=True)
    np.testing.assert_array_equal(a[0].numpy(), b[0].numpy())
    assert not np.array_equal(a[0].numpy(), c[0].numpy())
    for seed in range(8):
        out_image, out_mask = segmentation.augment_pair(image, mask, seed, rotate90=True)
        assert out_image.shape == (32, 48, 3) and out_mask.shape == (32, 48, 1)


def test_augment_dataset_is_reproducible_and_new_each_epoch():
    pairs = [_blocky_pair(seed=s) for s in range(4)]
    ds = tf.data.Dataset.from_tensor_slices(
        (np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs]))
    )
    augmented = segmentation.augment_dataset(ds, seed=5, rotate90=True)
    first = [m for _, m in augmented.as_numpy_iterator()]
    second = [m for _, m in augmented.as_numpy_iterator()]
    again = [
        m for _, m in segmentation.augment_dataset(ds, seed=5, rotate90=True).as_numpy_iterator()
    ]
    assert any(not np.array_equal(x, y) for x, y in zip(first, second, strict=True))
    for x, y in zip(first, again, strict=True):
        np.testing.assert_array_equal(x, y)
    for image, mask in augmented.as_numpy_iterator():
        assert np.mean(mask == (image[..., :1] > 0.5)) > 0.9  # jitter may shift a few blocks


def test_batches_and_bad_augmentation_options():
    image, mask = _blocky_pair()
    ds = tf.data.Dataset.from_tensors((image, mask)).repeat(5)
    train = segmentation.batches(ds, 2, training=True, seed=1, hflip=True, vflip=True)
    shapes = [(x.shape, y.shape) for x, y in train.as_numpy_iterator()]
    assert shapes[0] == ((2, 48, 48, 3), (2, 48, 48, 1)) and len(shapes) == 3
    with pytest.raises(ValueError, match="crop_scale"):
        segmentation.augment_dataset(ds, crop_scale=(0.8, 0.2))
    with pytest.raises(ValueError, match="color_jitter"):
        segmentation.augment_pair(image, mask, 0, color_jitter=2.0)
    with pytest.raises(ValueError, match="batch_size"):
        segmentation.batches(ds, 0)
