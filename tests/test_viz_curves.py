"""Curves and intervals of :mod:`ssl_keras.viz.curves`: mean ± interval per label."""

from __future__ import annotations

import matplotlib
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from ssl_keras import report, viz  # noqa: E402


def test_interval_plot_draws_one_series_per_arm() -> None:
    arms = {
        "pretrained": [report.seed_stats([0.7, 0.72, 0.71]), report.seed_stats([0.6, 0.62, 0.6])],
        "random": [report.seed_stats([0.5, 0.52, 0.49]), report.seed_stats([0.5, 0.5, 0.53])],
    }
    fig = viz.interval_plot(["enc1", "enc2"], arms, ylabel="accuracy", chance=0.5)
    assert len(fig.axes[0].containers) == 2
    plt.close(fig)
    with pytest.raises(ValueError, match="2 labels"):
        viz.interval_plot(["enc1", "enc2"], {"a": arms["random"][:1]}, ylabel="accuracy")
    with pytest.raises(ValueError, match="arms is empty"):
        viz.interval_plot(["enc1"], {}, ylabel="accuracy")
