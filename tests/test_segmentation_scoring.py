"""Segmentation scores, Keras metrics and the majority baseline on hand-made masks."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from ssl_keras import segmentation
from tests._masks import VOID, halves, multiclass_example, to_logits


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
    labels, logits = multiclass_example(3)
    metric = segmentation.mean_iou_metric(11, VOID)
    metric.update_state(labels, logits)
    matrix = segmentation.confusion_matrix(labels, logits.argmax(-1), 11, VOID)
    assert float(metric.result()) == pytest.approx(segmentation.scores(matrix).mean_iou, rel=1e-5)


def test_binary_metrics_on_hand_made_masks():
    truth, prediction = halves()
    for metric_class, half, expected_name in (
        (segmentation.DiceScore, 0.5, "dice"),
        (segmentation.IoUScore, 1 / 3, "iou"),
    ):
        metric = metric_class()
        assert metric.name == expected_name
        metric.update_state(truth, to_logits(truth))
        assert float(metric.result()) == pytest.approx(1.0)
        metric.reset_state()
        metric.update_state(truth, to_logits(prediction))
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
