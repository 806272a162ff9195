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
    the row as a percentage when there are at most 4 classes."""
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


def _heatmap(feature_map: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    import cv2

    array = np.asarray(feature_map, np.float32)
    array = cv2.resize(array, (size[1], size[0]), interpolation=cv2.INTER_LINEAR)
    low, high = float(array.min()), float(array.max())
    return (array - low) / (high - low) if high > low else np.zeros_like(array)


def stage_curves(
    histories: Mapping[str, object], metrics: Sequence[str] = ("loss",), title: str | None = None
) -> plt.Figure:
    """Training and validation curves of consecutive training stages on one epoch axis.

    ``histories`` maps a stage label (e.g. ``"stage 1 (frozen)"``) to a Keras ``History`` (or
    its ``history`` dict), in training order; a dotted line marks where each stage begins.
    """
    if not histories:
        raise ValueError("histories is empty: pass {'stage label': history}.")
    logs = {label: getattr(h, "history", h) for label, h in histories.items()}
    for label, log in logs.items():
        missing = [m for m in metrics if m not in log]
        if missing:
            raise ValueError(f"History {label!r} has no {missing}; it has {sorted(log)}.")
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.8 * len(metrics), 3.4), squeeze=False)
    for ax, metric in zip(axes[0], metrics, strict=True):
        start = 0
        for i, (label, log) in enumerate(logs.items()):
            epochs = np.arange(start + 1, start + len(log[metric]) + 1)
            color = plt.rcParams["axes.prop_cycle"].by_key()["color"][i % 10]
            ax.plot(epochs, log[metric], color=color, label=f"{label}: train")
            if f"val_{metric}" in log:
                ax.plot(
                    epochs,
                    log[f"val_{metric}"],
                    color=color,
                    linestyle="--",
                    label=f"{label}: validation",
                )
            if start:
                ax.axvline(start + 0.5, color="gray", linestyle=":")
            start += len(log[metric])
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def roc_curves(
    curves: Mapping[str, tuple[Sequence[float], Sequence[int]]],
    title: str | None = None,
    ax: plt.Axes | None = None,
) -> plt.Figure:
    """ROC curves, one per ``{label: (scores, labels 0/1)}``, with the AUROC in the legend."""
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
        fpr, tpr, _ = roc_curve(labels, np.asarray(scores).ravel())
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


def label_efficiency_bands(
    summary: Mapping[str, Mapping[str, Sequence[float]]],
    chance: float | None = 0.5,
    title: str | None = "Label efficiency",
    ylabel: str = "balanced test accuracy",
) -> plt.Figure:
    """Score against labeled images per class, one line per method with a shaded band of
    the 95 % interval of the mean over seeds; ``summary`` is
    :func:`ssl_keras.transfer.summarize`'s output (``"counts"``, ``"mean"``, ``"half"``).
    A method measured at one label count shows as a point with an error bar."""
    if not summary:
        raise ValueError("summary is empty: run the label-efficiency study first.")
    fig, ax = plt.subplots(figsize=(6.0, 4.0))
    for method, values in summary.items():
        counts = np.asarray(values["counts"], np.float64)
        mean = np.asarray(values["mean"], np.float64)
        half = np.asarray(values["half"], np.float64)
        (line,) = ax.plot(counts, mean, marker="o", label=method)
        if len(counts) > 1:
            ax.fill_between(counts, mean - half, mean + half, color=line.get_color(), alpha=0.2)
        else:
            ax.errorbar(counts, mean, yerr=half, color=line.get_color(), capsize=4)
    if chance is not None:
        ax.axhline(chance, color="gray", linestyle=":", label="chance")
    ax.set_xscale("log")
    counts = sorted({c for values in summary.values() for c in values["counts"]})
    ax.set_xticks(counts, [str(c) for c in counts])
    ax.minorticks_off()
    ax.set_xlabel("labeled images per class")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def padded_feature_maps(
    extractor, images, pad: int = 32, batch_size: int = 16
) -> dict[str, np.ndarray]:
    """Feature maps of ``images`` computed on a reflect-padded copy, cropped back to the image.

    Every ``same`` convolution pads its input with zeros, so the cells near the image border
    see an artificial black frame; with ``pad`` pixels of mirrored image around it, the zeros
    fall outside what is kept. ``extractor``: a :func:`ssl_keras.models.feature_extractor`
    model (``{level: (n, h, w, C)}``); ``images``: float32 ``(N, H, W, 3)`` in [0, 1];
    ``pad`` ≥ 0 pixels per side (0: the plain maps), a multiple of every level's stride.
    Returns ``{level: float32 (N, h, w, C)}`` with the sizes of the unpadded maps.
    """
    array = np.asarray(images, np.float32)
    if array.ndim != 4 or len(array) == 0:
        raise ValueError(f"images must be a non-empty batch (N, H, W, C), got {array.shape}.")
    if isinstance(pad, bool) or not isinstance(pad, (int, np.integer)) or pad < 0:
        raise ValueError(f"pad must be an int ≥ 0 (pixels per side), got {pad!r}.")
    if batch_size < 1:
        raise ValueError(f"batch_size must be ≥ 1, got {batch_size}.")
    padded = np.pad(array, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="reflect")
    kept: dict[str, list[np.ndarray]] = {}
    for start in range(0, len(padded), batch_size):
        outputs = extractor.predict_on_batch(padded[start : start + batch_size])
        if not isinstance(outputs, dict):
            outputs = {"features": outputs}
        for level, maps in outputs.items():
            maps = np.asarray(maps, np.float32)
            stride = padded.shape[1] // maps.shape[1]
            if pad % stride:
                raise ValueError(
                    f"pad={pad} is not a multiple of level {level!r}'s stride {stride}: the "
                    f"crop would not line up; use a multiple of {stride}."
                )
            cut = pad // stride
            kept.setdefault(level, []).append(
                maps[:, cut : maps.shape[1] - cut, cut : maps.shape[2] - cut]
            )
    return {level: np.concatenate(parts) for level, parts in kept.items()}


def border_share(energy, band: float = 0.125) -> float:
    """The share of a non-negative map ``(h, w)``'s total that lies in its border band.

    The band is the outer ``band`` fraction of each side (at least one cell). A map spread
    evenly gives the band's share of the area (``border_share(np.ones((h, w)), band)``);
    1.0 means everything sits in the band. Needs a map of at least 3×3 cells.
    """
    array = np.asarray(energy, np.float64)
    if array.ndim != 2 or min(array.shape) < 3:
        raise ValueError(f"energy must be a 2-D map of at least 3×3 cells, got {array.shape}.")
    if not 0 < band < 0.5:
        raise ValueError(f"band must be a fraction in (0, 0.5), got {band}.")
    if np.any(array < 0) or not np.all(np.isfinite(array)):
        raise ValueError("energy must be finite and non-negative (e.g. squared activations).")
    total = array.sum()
    if total == 0:
        raise ValueError("The map is all zero: there is no energy to share out.")
    rows = max(1, int(array.shape[0] * band))
    cols = max(1, int(array.shape[1] * band))
    return float(1.0 - array[rows:-rows, cols:-cols].sum() / total)


def heatmap_rows(
    images,
    rows: Mapping[str, Mapping[str, np.ndarray]],
    title: str | None = None,
    cell_size: float = 2.0,
    alpha: float = 0.6,
) -> plt.Figure:
    """One labeled row per entry of ``rows``: the image, then each 2-D map painted over it.

    ``images``: one float image ``(H, W, 3)`` in [0, 1] for every row, or one per row
    ``(R, H, W, 3)``. ``rows`` maps a row label (e.g. ``"pretrained"``) to ``{panel title:
    (h, w) map}`` (e.g. ``{"enc1": channel mean, …}``); all rows need the same number of
    panels. Each map is upsampled to the image size and scaled to its own [0, 1] (bright =
    its strongest response in that panel).
    """
    if not rows:
        raise ValueError("rows is empty: pass {'row label': {'panel title': map}}.")
    counts = {label: len(panels) for label, panels in rows.items()}
    if len(set(counts.values())) != 1 or not min(counts.values()):
        raise ValueError(f"Every row needs the same, non-zero number of maps, got {counts}.")
    pictures = np.asarray(images, np.float32)
    if pictures.ndim == 3:
        pictures = np.repeat(pictures[None], len(rows), axis=0)
    if pictures.ndim != 4 or len(pictures) != len(rows):
        raise ValueError(
            f"images must be one (H, W, 3) image or one per row ({len(rows)}, H, W, 3), "
            f"got {np.shape(images)}."
        )
    n_cols = 1 + next(iter(counts.values()))
    fig, axes = plt.subplots(
        len(rows),
        n_cols,
        figsize=(cell_size * n_cols + 1.0, cell_size * len(rows) + 0.5),
        squeeze=False,
        layout="constrained",
    )
    for r, (label, panels) in enumerate(rows.items()):
        picture = _to_numpy(pictures[r])
        gray = picture.mean(axis=-1) if picture.ndim == 3 else picture
        axes[r, 0].imshow(picture, cmap="gray", vmin=0, vmax=1)
        axes[r, 0].set_ylabel(label, fontsize=11)
        for c, (name, panel) in enumerate(panels.items(), start=1):
            panel = np.asarray(panel, np.float32)
            if panel.ndim != 2:
                raise ValueError(f"{label!r} {name!r}: expected an (h, w) map, got {panel.shape}.")
            axes[r, c].imshow(gray, cmap="gray", vmin=0, vmax=1)
            shown = axes[r, c].imshow(
                _heatmap(panel, gray.shape), cmap="inferno", alpha=alpha, vmin=0, vmax=1
            )
            axes[r, c].set_title(name, fontsize=10)
    axes[0, 0].set_title("image", fontsize=10)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    if title:
        fig.suptitle(title, fontsize=12)
    fig.colorbar(shown, ax=axes, shrink=0.8, label="response, scaled per panel")
    return fig


def interval_plot(
    labels: Sequence[str],
    arms: Mapping[str, Sequence],
    ylabel: str,
    title: str | None = None,
    chance: float | None = None,
) -> plt.Figure:
    """Mean ± 95 % interval over seeds at each label (e.g. encoder level), one series per arm.

    ``arms`` maps an arm name to one :class:`ssl_keras.report.SeedStats` per label; the
    title gets a second line saying how many seeds the intervals are over.
    """
    if not arms:
        raise ValueError("arms is empty: pass {'arm': [SeedStats per label]}.")
    fig, ax = plt.subplots(figsize=(5.6, 3.8))
    positions = np.arange(len(labels), dtype=np.float64)
    offsets = np.linspace(-0.08, 0.08, len(arms)) if len(arms) > 1 else [0.0]
    for offset, (arm, stats) in zip(offsets, arms.items(), strict=True):
        if len(stats) != len(labels):
            raise ValueError(f"arm {arm!r} has {len(stats)} entries for {len(labels)} labels.")
        ax.errorbar(
            positions + offset,
            [s.mean for s in stats],
            yerr=[s.half for s in stats],
            marker="o",
            capsize=4,
            label=arm,
        )
    if chance is not None:
        ax.axhline(chance, color="gray", linestyle=":", label="chance")
    ax.set_xticks(positions, list(labels))
    ax.set_ylabel(ylabel)
    seeds = sorted({s.n for stats in arms.values() for s in stats})
    spread = f"mean ± 95 % interval over {'/'.join(map(str, seeds))} seeds"
    ax.set_title(f"{title}\n{spread}" if title else spread, fontsize=11)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9)
    fig.tight_layout()
    return fig
