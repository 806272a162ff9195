"""Tests of the anomaly plots of :mod:`ssl_keras.viz.anomaly`: ROC curves, map overlays,
embedding scatter."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from ssl_keras import viz  # noqa: E402


def test_plots():
    rng = np.random.default_rng(0)
    labels = np.r_[np.zeros(10), np.ones(10)]
    fig = viz.roc_curves({"gauss": (rng.random(20) + labels, labels)}, title="ROC")
    assert "AUROC" in fig.axes[0].get_legend().get_texts()[0].get_text()
    images = rng.random((2, 16, 16, 3)).astype(np.float32)
    masks = np.zeros((2, 16, 16), np.int32)
    masks[0, 4:8, 4:8] = 1
    fig = viz.anomaly_overlays(images, masks, rng.random((2, 16, 16)), col_titles=["a", "b"])
    assert [fig.axes[i].get_ylabel() for i in (0, 2, 4)] == ["Input", "Truth", "Anomaly map"]
    fig = viz.embedding_scatter(rng.random((6, 2)), ["good"] * 3 + ["defect"] * 3)
    assert len(fig.axes[0].get_legend().get_texts()) == 2
    with pytest.raises(ValueError, match="share"):
        viz.anomaly_overlays(images, masks[:1], rng.random((2, 16, 16)))
    plt.close("all")


def test_roc_curves_take_pixel_maps():
    """Scores and labels of any shape (pixel maps and masks) are flattened together."""
    rng = np.random.default_rng(0)
    masks = np.zeros((2, 8, 8), np.int64)
    masks[:, 2:5, 2:5] = 1
    maps = masks + rng.normal(0.0, 0.5, masks.shape)
    fig = viz.roc_curves({"pixels": (maps, masks)})
    assert "pixels (AUROC" in fig.axes[0].get_legend().get_texts()[0].get_text()
    plt.close(fig)
