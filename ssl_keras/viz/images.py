"""Labeled image grids: rows of images, binary predictions titled with their confidence,
and segmentation masks painted over their images.

Every function returns the Matplotlib figure.
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


def segmentation_grid(
    images: Sequence,
    truth: Sequence,
    prediction: Sequence,
    palette=None,
    class_names: Sequence[str] | None = None,
    alpha: float = 0.6,
    skip_class: int | None = None,
    title: str | None = None,
    cell_size: float = 2.2,
) -> plt.Figure:
    """Rows Input / Truth / Prediction: the images, then both masks as palette overlays.

    ``images``: float ``(N, H, W, 3)`` in [0, 1]; ``truth``, ``prediction``: int class
    indices ``(N, H, W)`` or ``(N, H, W, 1)``; ``palette``: uint8 ``(C, 3)`` RGB (default: the
    foreground palette of :mod:`ssl_keras.postprocess`, for 0/1 masks). ``skip_class``
    (e.g. 0 = background) leaves those pixels untinted. With ``class_names`` a legend of the
    classes that occur is added.
    """
    from ssl_keras import postprocess

    palette = postprocess.FOREGROUND_PALETTE if palette is None else np.asarray(palette, np.uint8)
    if not len(images) == len(truth) == len(prediction):
        raise ValueError(
            f"images, truth and prediction need the same length, got {len(images)}, "
            f"{len(truth)} and {len(prediction)}."
        )
    rows = {
        "Input": [_to_numpy(image) for image in images],
        "Truth": [
            postprocess.overlay(_to_numpy(i), m, palette, alpha, skip_class, outline=False)
            for i, m in zip(images, truth, strict=True)
        ],
        "Prediction": [
            postprocess.overlay(_to_numpy(i), m, palette, alpha, skip_class, outline=False)
            for i, m in zip(images, prediction, strict=True)
        ],
    }
    fig = image_grid(
        {
            k: [np.asarray(v, np.float32) / (255.0 if v.dtype == np.uint8 else 1.0) for v in vs]
            for k, vs in rows.items()
        },
        title=title,
        cell_size=cell_size,
    )
    if class_names is not None:
        present = np.unique(np.concatenate([np.ravel(truth), np.ravel(prediction)]))
        present = [int(c) for c in present if 0 <= c < min(len(class_names), len(palette))]
        handles = [
            plt.matplotlib.patches.Patch(color=palette[c] / 255.0, label=class_names[c])
            for c in present
        ]
        fig.legend(
            handles=handles,
            loc="lower center",
            ncol=min(6, len(handles)),
            fontsize=8,
            frameon=False,
        )
        fig.subplots_adjust(bottom=0.08 + 0.04 * ((len(handles) - 1) // 6 + 1))
    return fig


def prediction_grid(
    images: Sequence,
    labels: Sequence[int],
    probabilities: Sequence[float],
    class_names: Sequence[str],
    n_cols: int = 6,
    title: str | None = None,
    cell_size: float = 1.9,
) -> plt.Figure:
    """Images titled ``true / predicted (confidence)``: green when right, red when wrong.

    ``images``: float ``(N, H, W, 3)`` in [0, 1]; ``labels``: true class indices (0/1);
    ``probabilities``: the model's P(class 1) per image (a sigmoid output), so the predicted
    class is ``p > 0.5`` and its confidence ``max(p, 1 - p)``.
    """
    if len(class_names) != 2:
        raise ValueError(f"prediction_grid shows binary predictions; got {len(class_names)} names.")
    if not len(images) == len(labels) == len(probabilities):
        raise ValueError(
            f"images, labels and probabilities need the same length, got {len(images)}, "
            f"{len(labels)} and {len(probabilities)}."
        )
    if n_cols < 1 or not len(images):
        raise ValueError(f"need n_cols ≥ 1 and at least one image, got {n_cols}, {len(images)}.")
    n_rows = -(-len(images) // n_cols)
    fig, axes = plt.subplots(
        n_rows, n_cols, figsize=(cell_size * n_cols, (cell_size + 0.35) * n_rows), squeeze=False
    )
    for ax in axes.ravel():
        ax.axis("off")
    for ax, image, label, p in zip(axes.ravel(), images, labels, probabilities, strict=False):
        predicted = int(float(p) > 0.5)
        confidence = max(float(p), 1.0 - float(p))
        ax.imshow(_to_numpy(image))
        ax.set_title(
            f"true {class_names[int(label)]}\npred {class_names[predicted]} ({confidence:.0%})",
            fontsize=8,
            color="green" if predicted == int(label) else "red",
        )
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def captioned_rows(
    rows: Mapping[str, Sequence[tuple]],
    title: str | None = None,
    cell_size: float = 1.4,
) -> plt.Figure:
    """One labeled row per entry of ``rows``, each a sequence of ``(image, caption)`` cells
    (images in [0, 1], ``(H, W, 3)`` or gray); shorter rows leave their last cells empty."""
    if not rows:
        raise ValueError("rows is empty: pass at least one {'label': [(image, caption), ...]}.")
    n_cols = max(len(cells) for cells in rows.values())
    if n_cols == 0:
        raise ValueError("Every row is empty: give each row at least one (image, caption).")
    fig, axes = plt.subplots(
        len(rows),
        n_cols,
        figsize=(cell_size * n_cols, (cell_size + 0.25) * len(rows)),
        squeeze=False,
    )
    for r, (label, cells) in enumerate(rows.items()):
        for c in range(n_cols):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            if c < len(cells):
                image, caption = cells[c]
                ax.imshow(_to_numpy(image), cmap="gray", vmin=0.0, vmax=1.0)
                ax.set_title(str(caption), fontsize=8)
            else:
                ax.axis("off")
            if c == 0:
                ax.set_ylabel(label, fontsize=10)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
