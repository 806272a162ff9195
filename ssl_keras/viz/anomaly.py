"""Anomaly-detection plots: ROC curves of defect scores, anomaly maps over their images,
and a 2-D scatter of embeddings by group.

Every function returns the Matplotlib figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from ssl_keras.viz.images import _to_numpy


def roc_curves(
    curves: Mapping[str, tuple[Sequence[float], Sequence[int]]],
    title: str | None = None,
    ax: plt.Axes | None = None,
) -> plt.Figure:
    """ROC curves, one per ``{label: (scores, labels 0/1)}``, with the AUROC in the legend.

    Drawn from ``sklearn.metrics.roc_curve`` rather than ``RocCurveDisplay``, whose legend
    rounds the AUC to two decimals; notebook 06 compares AUROCs in the third.
    """
    from sklearn.metrics import roc_auc_score, roc_curve

    if not curves:
        raise ValueError("curves is empty: pass {'label': (scores, labels)}.")
    if ax is None:
        fig, ax = plt.subplots(figsize=(4.2, 3.8))
    else:
        fig = ax.figure
    for label, (scores, labels) in curves.items():
        labels = np.asarray(labels).ravel()
        if len(np.unique(labels)) != 2:
            raise ValueError(f"curve {label!r} needs labels of both classes 0 and 1.")
        scores = np.asarray(scores).ravel()
        fpr, tpr, _ = roc_curve(labels, scores)
        ax.plot(fpr, tpr, label=f"{label} (AUROC {roc_auc_score(labels, scores):.3f})")
    ax.plot([0, 1], [0, 1], color="gray", linestyle=":", linewidth=1, label="chance")
    ax.set_xlabel("false positive rate (good flagged)")
    ax.set_ylabel("true positive rate (defects found)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    if title:
        ax.set_title(title)
    return fig


def anomaly_overlays(
    images,
    masks,
    maps,
    col_titles: Sequence[str] | None = None,
    title: str | None = None,
    cell_size: float = 2.0,
    vmax: float | None = None,
) -> plt.Figure:
    """Three labeled rows: Input, Truth (mask outlined in red), Anomaly map over the image.

    ``images`` ``(N, H, W, 3)`` in [0, 1]; ``masks`` ``(N, H, W)`` or ``(N, H, W, 1)`` 0/1;
    ``maps`` ``(N, H, W)`` scores (one color scale for all, up to ``vmax``, default the
    99th percentile of ``maps``).
    """
    images, maps = np.asarray(images), np.asarray(maps)
    masks = np.asarray(masks)
    if masks.ndim == 4:
        masks = masks[..., 0]
    if not images.shape[:3] == masks.shape == maps.shape:
        raise ValueError(
            f"images {images.shape[:3]}, masks {masks.shape} and maps {maps.shape} must share "
            "(N, H, W)."
        )
    n = len(images)
    if col_titles is not None and len(col_titles) != n:
        raise ValueError(f"col_titles has {len(col_titles)} entries for {n} images.")
    vmax = float(np.percentile(maps, 99)) if vmax is None else vmax
    vmin = float(maps.min())
    fig, axes = plt.subplots(3, n, figsize=(cell_size * n, cell_size * 3), squeeze=False)
    for c in range(n):
        image = _to_numpy(images[c])
        cmap = "gray" if image.ndim == 2 else None
        axes[0, c].imshow(image, cmap=cmap, vmin=0, vmax=1)
        axes[1, c].imshow(image, cmap=cmap, vmin=0, vmax=1)
        if masks[c].any():
            axes[1, c].contour(masks[c], levels=[0.5], colors="red", linewidths=1.0)
        axes[2, c].imshow(image, cmap=cmap, vmin=0, vmax=1)
        shown = axes[2, c].imshow(maps[c], cmap="jet", alpha=0.5, vmin=vmin, vmax=vmax)
        for r in range(3):
            axes[r, c].set_xticks([])
            axes[r, c].set_yticks([])
        if col_titles is not None:
            axes[0, c].set_title(col_titles[c], fontsize=9)
    for r, label in enumerate(("Input", "Truth", "Anomaly map")):
        axes[r, 0].set_ylabel(label, fontsize=11)
    fig.colorbar(shown, ax=axes[2, :].tolist(), shrink=0.8, label="anomaly score")
    if title:
        fig.suptitle(title)
    return fig


def embedding_scatter(
    points,
    groups: Sequence[str],
    title: str | None = None,
    axis_labels: Sequence[str] = ("PC 1", "PC 2"),
    ax: plt.Axes | None = None,
) -> plt.Figure:
    """A 2-D scatter of ``points`` ``(N, 2)`` colored by group name (legend in first-seen order)."""
    points = np.asarray(points)
    groups = np.asarray(groups)
    if points.ndim != 2 or points.shape[1] != 2 or len(points) != len(groups):
        raise ValueError(
            f"points must be (N, 2) with one group name each, got {points.shape} and "
            f"{len(groups)} groups."
        )
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.0, 4.0))
    else:
        fig = ax.figure
    markers = "osD^vP*X"
    for i, name in enumerate(dict.fromkeys(groups.tolist())):
        chosen = points[groups == name]
        ax.scatter(chosen[:, 0], chosen[:, 1], s=18, alpha=0.7, marker=markers[i % 8], label=name)
    ax.set_xlabel(axis_labels[0])
    ax.set_ylabel(axis_labels[1])
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return fig
