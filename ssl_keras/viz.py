"""Plots for the notebooks: labeled image grids, metric-vs-level curves, training curves.

Every function returns the Matplotlib figure; notebooks end the cell with ``plt.show()``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np


def _to_numpy(image) -> np.ndarray:
    array = np.asarray(image, dtype=np.float32)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    return np.clip(array, 0.0, 1.0)


def image_grid(
    rows: Mapping[str, Sequence],
    col_titles: Sequence[str] | None = None,
    title: str | None = None,
    cell_size: float = 2.2,
    cmap: str = "gray",
) -> plt.Figure:
    """A grid with one labeled row per entry of ``rows`` (``{"Clean": images, "Noisy": ...}``).

    Each value is a sequence (or batch array) of images in [0, 1], ``(H, W, 3)`` or
    ``(H, W)``/``(H, W, 1)`` for gray; all rows need the same number of images.
    """
    if not rows:
        raise ValueError("rows is empty: pass at least one {'label': images} entry.")
    counts = {label: len(images) for label, images in rows.items()}
    n_cols = max(counts.values())
    if len(set(counts.values())) != 1:
        raise ValueError(f"Every row needs the same number of images, got {counts}.")
    if col_titles is not None and len(col_titles) != n_cols:
        raise ValueError(f"col_titles has {len(col_titles)} entries for {n_cols} columns.")
    fig, axes = plt.subplots(
        len(rows), n_cols, figsize=(cell_size * n_cols, cell_size * len(rows)), squeeze=False
    )
    for r, (label, images) in enumerate(rows.items()):
        for c in range(n_cols):
            ax = axes[r, c]
            ax.imshow(_to_numpy(images[c]), cmap=cmap, vmin=0.0, vmax=1.0)
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(label, fontsize=11)
            if r == 0 and col_titles is not None:
                ax.set_title(col_titles[c], fontsize=10)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def level_plot(
    levels: Sequence[float],
    curves: Mapping[str, Sequence[float]],
    xlabel: str,
    ylabel: str,
    title: str | None = None,
    ax: plt.Axes | None = None,
) -> plt.Figure:
    """Lines of a metric (e.g. PSNR in dB) against a noise level, one per label in ``curves``."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(4.5, 3.4))
    else:
        fig = ax.figure
    for label, values in curves.items():
        if len(values) != len(levels):
            raise ValueError(f"curve {label!r} has {len(values)} values for {len(levels)} levels.")
        ax.plot(levels, values, marker="o", label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def noise_levels_figure(
    levels: Mapping[str, Sequence[float]],
    psnr: Mapping[str, Sequence[float]],
    ssim: Mapping[str, Sequence[float]],
    level_labels: Mapping[str, str],
) -> plt.Figure:
    """PSNR and SSIM of noisy vs clean against the level, one panel pair per noise type."""
    kinds = list(levels)
    fig, axes = plt.subplots(2, len(kinds), figsize=(3.6 * len(kinds), 6.0), squeeze=False)
    for c, kind in enumerate(kinds):
        for r, (name, values, unit) in enumerate((("PSNR", psnr, " (dB)"), ("SSIM", ssim, ""))):
            ax = axes[r, c]
            ax.plot(levels[kind], values[kind], marker="o")
            ax.set_xlabel(level_labels[kind])
            ax.set_ylabel(name + unit)
            ax.grid(alpha=0.3)
            if levels[kind][0] > levels[kind][-1]:
                ax.invert_xaxis()  # noise grows to the right in every panel
            if r == 0:
                ax.set_title(kind.replace("_", " "))
    fig.suptitle("Noisy vs clean: quality falls as the noise level rises")
    fig.tight_layout()
    return fig


def training_curves(
    history, metrics: Sequence[str] = ("loss",), title: str | None = None
) -> plt.Figure:
    """Training and validation curves from a Keras ``History`` (or its ``history`` dict)."""
    logs = getattr(history, "history", history)
    missing = [m for m in metrics if m not in logs]
    if missing:
        raise ValueError(f"History has no {missing}; it has {sorted(logs)}.")
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.5 * len(metrics), 3.4), squeeze=False)
    for ax, metric in zip(axes[0], metrics, strict=True):
        epochs = np.arange(1, len(logs[metric]) + 1)
        ax.plot(epochs, logs[metric], marker="o", label="train")
        if f"val_{metric}" in logs:
            ax.plot(epochs, logs[f"val_{metric}"], marker="o", label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
