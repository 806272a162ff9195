"""Tests of ssl_keras.anomaly.scores: AUROC helpers, threshold, precision and recall."""

from __future__ import annotations

import numpy as np
import pytest

from ssl_keras import anomaly


def test_auroc_helpers_on_a_known_case():
    scores = [0.1, 0.4, 0.35, 0.8]
    labels = [0, 0, 1, 1]
    assert anomaly.image_auroc(scores, labels) == pytest.approx(0.75)
    by_type = anomaly.auroc_by_defect(
        [0.1, 0.2, 0.9, 0.15, 0.8], [0, 0, 1, 1, 1], ["good", "good", "hole", "hole", "crack"]
    )
    assert by_type == {"overall": pytest.approx(5 / 6), "crack": 1.0, "hole": pytest.approx(0.75)}
    with pytest.raises(ValueError, match="good"):
        anomaly.image_auroc([0.1, 0.2], [1, 1])
    with pytest.raises(ValueError, match="match"):
        anomaly.image_auroc([0.1, 0.2], [0, 1, 1])


def test_threshold_and_precision_recall():
    threshold = anomaly.threshold_from_good(np.arange(101.0), quantile=0.95)
    assert threshold == pytest.approx(95.0)
    counts = anomaly.precision_recall([1, 2, 96, 97, 50, 99], [0, 0, 0, 1, 1, 1], threshold)
    assert (counts["tp"], counts["fp"], counts["fn"], counts["tn"]) == (2, 1, 1, 2)
    assert counts["precision"] == pytest.approx(2 / 3) and counts["recall"] == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="empty"):
        anomaly.threshold_from_good([])


def test_pixel_auroc_checks_shapes_and_masks():
    maps = np.zeros((2, 4, 4), np.float32)
    masks = np.zeros((2, 4, 4, 1), np.int32)
    maps[0, 1, 1] = masks[0, 1, 1] = 1
    assert anomaly.pixel_auroc(maps, masks) == 1.0
    with pytest.raises(ValueError, match="differ"):
        anomaly.pixel_auroc(maps, np.zeros((2, 8, 8)))
    with pytest.raises(ValueError, match="empty"):
        anomaly.pixel_auroc(maps, np.zeros_like(masks))
