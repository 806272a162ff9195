"""The confusion-matrix heatmap of :mod:`ssl_keras.viz.confusion`."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from ssl_keras import viz  # noqa: E402


def test_confusion_plot_writes_the_counts_in_the_cells():

    fig = viz.confusion_matrix_plot(np.array([[64, 36], [12, 88]]), ["cat", "turtle"])
    texts = sorted(t.get_text() for t in fig.axes[0].texts)
    assert texts == ["12\n12 %", "36\n36 %", "64\n64 %", "88\n88 %"]
    plt.close(fig)
    with pytest.raises(ValueError, match="2 class names for a 3×3"):
        viz.confusion_matrix_plot(np.eye(3, dtype=int), ["cat", "turtle"])
