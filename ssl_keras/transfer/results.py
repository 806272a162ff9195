"""Reading the study's rows: per-seed scores of one arm, and confusion counts."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ssl_keras import metrics


def scores(
    rows: Sequence[dict[str, object]],
    method: str,
    n_per_class: int,
    metric: str = "balanced_accuracy",
) -> list[float]:
    """The per-seed ``metric`` of ``method`` at ``n_per_class`` labels, in seed order."""
    found = [
        float(r[metric]) for r in rows if r["method"] == method and r["n_per_class"] == n_per_class
    ]
    if not found:
        raise ValueError(f"No rows for {method!r} at {n_per_class} labels per class.")
    return found


def confusion(y_true, y_pred, n_classes: int = 2) -> np.ndarray:
    """Confusion counts, int64 ``(n_classes, n_classes)``: rows = truth, columns = prediction
    (:func:`ssl_keras.metrics.confusion_matrix`, except that a true label outside
    ``0…n_classes-1`` raises instead of being skipped: every test image must count)."""
    truth = np.asarray(y_true).astype(np.int64)
    if truth.size and (truth.min() < 0 or truth.max() >= n_classes):
        raise ValueError(f"y_true holds labels outside 0…{n_classes - 1}.")
    return metrics.confusion_matrix(truth, np.asarray(y_pred).astype(np.int64), n_classes)
