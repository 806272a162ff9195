"""The confusion-matrix heatmap: row shares as colours, compact counts in the cells.

Returns the Matplotlib figure.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np


def _compact_count(value: float) -> str:
    """``37``, ``1.2k``, ``3.4M``: a count short enough for a matrix cell."""
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= limit:
            return f"{value / limit:.1f}{suffix}"
    return f"{value:.0f}"


def confusion_matrix_plot(
    confusion,
    class_names: Sequence[str],
    normalize: bool = True,
    title: str | None = "Confusion matrix",
    annotate: bool | None = None,
) -> plt.Figure:
    """Heatmap of a confusion matrix (rows = truth, columns = prediction); with ``normalize``
    each row is divided by its total, so the diagonal is the per-class recall (the colours);
    ``annotate`` (default: up to 12 classes) writes each cell's count into it, and its share of
    the row as a percentage when there are at most 4 classes.

    Not ``sklearn.metrics.ConfusionMatrixDisplay``: it colours and writes the same numbers,
    while this plot colours the row shares (recall) and writes the counts behind them.
    """
    counts = np.asarray(confusion, dtype=np.float64)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1]:
        raise ValueError(f"confusion must be a square matrix, got shape {counts.shape}.")
    if len(class_names) != counts.shape[0]:
        raise ValueError(
            f"{len(class_names)} class names for a {counts.shape[0]}×{counts.shape[0]} matrix."
        )
    n = len(class_names)
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    matrix = shares if normalize else counts
    size = max(3.2, 1.2 + 0.5 * n)
    fig, ax = plt.subplots(figsize=(size + 1.2, size))
    shown = ax.imshow(matrix, cmap="Blues", vmin=0.0, vmax=1.0 if normalize else None)
    ax.set_xticks(
        range(n),
        class_names,
        rotation=60 if n > 4 else 0,
        ha="right" if n > 4 else "center",
        fontsize=8,
    )
    ax.set_yticks(range(n), class_names, fontsize=8)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    fig.colorbar(shown, ax=ax, label="fraction of the true class" if normalize else "count")
    if annotate if annotate is not None else n <= 12:
        dark = 0.6 * (matrix.max() or 1.0)
        for row in range(n):
            for col in range(n):
                text = _compact_count(counts[row, col])
                if n <= 4:
                    text += f"\n{100 * shares[row, col]:.0f} %"
                ax.text(
                    col,
                    row,
                    text,
                    ha="center",
                    va="center",
                    fontsize=10 if n <= 4 else 6,
                    color="white" if matrix[row, col] > dark else "black",
                )
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
