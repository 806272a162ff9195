"""Feature-map heatmaps: mirror-padded feature maps, the border share of a map's energy,
and rows of maps painted over their image.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np

from ssl_keras.viz.images import _to_numpy


def _heatmap(feature_map: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    import cv2

    array = np.asarray(feature_map, np.float32)
    array = cv2.resize(array, (size[1], size[0]), interpolation=cv2.INTER_LINEAR)
    low, high = float(array.min()), float(array.max())
    return (array - low) / (high - low) if high > low else np.zeros_like(array)


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
