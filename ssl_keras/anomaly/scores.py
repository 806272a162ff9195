"""Evaluation of anomaly scores: image, per-defect and pixel AUROC, threshold, precision/recall.

Labels are 0 (good) / 1 (defect); larger scores mean more anomalous.
"""

from __future__ import annotations

import numpy as np


def _scores_labels(scores, labels) -> tuple[np.ndarray, np.ndarray]:
    scores = np.asarray(scores, dtype=np.float64).ravel()
    labels = np.asarray(labels).ravel()
    if scores.shape != labels.shape:
        raise ValueError(f"{scores.size} scores for {labels.size} labels; they must match.")
    if not np.isin(labels, (0, 1)).all():
        raise ValueError(
            f"labels must be 0 (good) / 1 (defect), got values {np.unique(labels)[:8]}."
        )
    return scores, labels.astype(np.int32)


def image_auroc(scores, labels) -> float:
    """Area under the ROC curve of anomaly ``scores`` (larger = defect) for 0/1 ``labels``.

    0.5 is chance, 1.0 perfect. Needs both good and defective samples.
    """
    from sklearn.metrics import roc_auc_score

    scores, labels = _scores_labels(scores, labels)
    if labels.min() == labels.max():
        raise ValueError(
            "AUROC needs good (0) and defective (1) samples; all labels are "
            f"{int(labels[0]) if labels.size else 'missing'}. Check the test folder."
        )
    return float(roc_auc_score(labels, scores))


def auroc_by_defect(scores, labels, defect_types) -> dict[str, float]:
    """``{"overall": AUROC, <defect type>: AUROC of good vs that type, ...}``."""
    scores, labels = _scores_labels(scores, labels)
    kinds = np.asarray(defect_types).ravel()
    if kinds.shape != labels.shape:
        raise ValueError(f"{kinds.size} defect types for {labels.size} labels; they must match.")
    result = {"overall": image_auroc(scores, labels)}
    for kind in sorted(set(kinds[labels == 1].tolist())):
        keep = (labels == 0) | (kinds == kind)
        result[kind] = image_auroc(scores[keep], labels[keep])
    return result


def pixel_auroc(maps, masks) -> float:
    """Pixel-level AUROC of anomaly ``maps`` ``(N, H, W)`` against 0/1 ``masks`` of the same
    shape (``(N, H, W, 1)`` accepted)."""
    maps = np.asarray(maps)
    masks = np.asarray(masks)
    if masks.ndim == maps.ndim + 1 and masks.shape[-1] == 1:
        masks = masks[..., 0]
    if maps.shape != masks.shape:
        raise ValueError(
            f"maps {maps.shape} and masks {masks.shape} differ: compute the maps at the "
            "masks' size (anomaly_maps(..., image_size=masks.shape[1:3]))."
        )
    if not masks.any():
        raise ValueError(
            "pixel AUROC needs defect pixels, but every mask is empty: check ground_truth/."
        )
    return image_auroc(maps.ravel(), (masks.ravel() > 0).astype(np.int32))


def threshold_from_good(good_scores, quantile: float = 0.95) -> float:
    """A threshold from scores of held-out good images: their ``quantile`` (e.g. 0.95 → about
    5 % of good images flagged)."""
    scores = np.asarray(good_scores, dtype=np.float64).ravel()
    if scores.size == 0:
        raise ValueError(
            "good_scores is empty: hold out some good images (load_category(holdout=...))."
        )
    if not 0.0 < quantile <= 1.0:
        raise ValueError(f"quantile must be in (0, 1], got {quantile!r}.")
    return float(np.quantile(scores, quantile))


def precision_recall(scores, labels, threshold: float) -> dict[str, float]:
    """Flag ``scores > threshold`` as defective; return precision, recall, F1 (0 where
    undefined) and the counts ``tp``, ``fp``, ``fn``, ``tn`` (scikit-learn's)."""
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    scores, labels = _scores_labels(scores, labels)
    flagged = (scores > threshold).astype(np.int32)
    precision, recall, f1, _ = precision_recall_fscore_support(
        labels, flagged, average="binary", labels=[0, 1], zero_division=0.0
    )
    tn, fp, fn, tp = (int(n) for n in confusion_matrix(labels, flagged, labels=[0, 1]).ravel())
    return {
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
    }
