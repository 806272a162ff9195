"""Labeled image grids of :mod:`ssl_keras.viz.images`."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from ssl_keras import viz  # noqa: E402


def test_plots_return_figures():
    rng = np.random.default_rng(0)
    images = rng.random((4, 16, 16, 3), dtype=np.float32)
    fig = viz.prediction_grid(images, [0, 1, 0, 1], [0.1, 0.8, 0.7, 0.2], ["cat", "turtle"], 3)
    assert len(fig.axes) == 6
    with pytest.raises(ValueError, match="same length"):
        viz.prediction_grid(images, [0], [0.5, 0.5], ["cat", "turtle"])
    plt.close("all")


def test_captioned_rows_leaves_short_rows_empty():
    image = np.zeros((8, 8, 3), np.float32)
    fig = viz.captioned_rows({"a": [(image, "x"), (image, "y")], "b": [(image[..., 0], "z")]})
    axes = np.asarray(fig.axes).reshape(2, 2)
    assert [ax.get_title() for ax in axes[0]] == ["x", "y"] and axes[1, 0].get_title() == "z"
    assert not axes[1, 1].axison
    with pytest.raises(ValueError, match="rows is empty"):
        viz.captioned_rows({})
    with pytest.raises(ValueError, match="Every row is empty"):
        viz.captioned_rows({"a": []})
    plt.close("all")
