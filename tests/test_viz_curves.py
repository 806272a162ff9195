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
    points = viz.interval_plot(["denoising", "rotation"], arms, ylabel="accuracy", connect=False)
    assert all(line.get_linestyle() == "None" for line in points.axes[0].lines)
    plt.close(points)
    with pytest.raises(ValueError, match="2 labels"):
        viz.interval_plot(["enc1", "enc2"], {"a": arms["random"][:1]}, ylabel="accuracy")
    with pytest.raises(ValueError, match="arms is empty"):
        viz.interval_plot(["enc1"], {}, ylabel="accuracy")


def test_stage_curves_put_stages_on_one_axis():
    first = {"loss": [1.0, 0.8], "val_loss": [1.1, 0.9], "accuracy": [0.5, 0.6]}
    second = {"loss": [0.7], "val_loss": [0.8], "accuracy": [0.7]}
    fig = viz.stage_curves({"stage 1": first, "stage 2": second}, ["loss", "accuracy"])
    assert len(fig.axes) == 2
    assert fig.axes[0].lines[-1].get_xdata()[0] == 2.5  # the stage boundary
    with pytest.raises(ValueError, match="no \\['accuracy'\\]"):
        viz.stage_curves({"stage 1": {"loss": [1.0]}}, ["accuracy"])
    plt.close("all")


def test_label_efficiency_bands_shade_the_intervals():
    import matplotlib.pyplot as plt

    from ssl_keras import viz

    summary = {
        "SSL (frozen)": {"counts": [5, 10], "mean": [0.8, 0.9], "half": [0.05, 0.02]},
        "scratch": {"counts": [5], "mean": [0.6], "half": [0.1]},
    }
    fig = viz.label_efficiency_bands(summary, title="t")
    ax = fig.axes[0]
    assert len(ax.collections) >= 2  # one band, one error bar
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "SSL (frozen)",
        "scratch",
        "chance",
    ]
    plt.close(fig)
    with pytest.raises(ValueError, match="summary is empty"):
        viz.label_efficiency_bands({})
