"""Segmentation scores: per-class IoU, mean IoU and pixel accuracy from a confusion matrix,
the majority-class baseline, Keras metrics for training logs, per-image binary Dice / IoU."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

from ssl_keras import image_files
from ssl_keras._checks import check_range
from ssl_keras.metrics import class_indices


@dataclasses.dataclass(frozen=True)
class Scores:
    """Metrics from a confusion matrix. ``iou[c]`` is NaN for a class absent from both the
    truth and the prediction; ``mean_iou`` averages the others (Keras ``MeanIoU`` does the
    same)."""

    pixel_accuracy: float
    iou: np.ndarray
    mean_iou: float
    confusion: np.ndarray

    def table(self, class_names: Sequence[str] | None = None) -> list[dict[str, object]]:
        """Rows ``{"class", "IoU", "pixels (truth)"}`` for :func:`ssl_keras.report.format_table`."""
        names = list(class_names) if class_names is not None else []
        rows = []
        for index, value in enumerate(self.iou):
            name = names[index] if index < len(names) else str(index)
            rows.append(
                {
                    "class": name,
                    "IoU": "-" if np.isnan(value) else float(value),
                    "pixels (truth)": int(self.confusion[index].sum()),
                }
            )
        return rows


def scores(confusion: np.ndarray) -> Scores:
    """Pixel accuracy, per-class IoU and mean IoU of a square confusion matrix (rows =
    truth). Void is excluded by the matrix itself (see :func:`confusion_matrix`)."""
    matrix = np.asarray(confusion, dtype=np.int64)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.shape[0] == 0:
        raise ValueError(f"confusion must be a square (C, C) matrix, got shape {matrix.shape}.")
    true_positives = np.diag(matrix).astype(np.float64)
    union = matrix.sum(axis=0) + matrix.sum(axis=1) - true_positives
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = np.where(union > 0, true_positives / union, np.nan)
    total = matrix.sum()
    accuracy = float(true_positives.sum() / total) if total else float("nan")
    mean_iou = float(np.nanmean(iou)) if np.any(union > 0) else float("nan")
    return Scores(accuracy, iou, mean_iou, matrix)


def class_pixel_counts(masks, n_classes: int, ignore_class: int | None = None) -> np.ndarray:
    """Pixels per class, int64 ``(n_classes,)``, from integer masks (an array of any shape, or a
    ``tf.data.Dataset`` of ``(image, mask)`` pairs or batches). Void is not counted."""
    if isinstance(masks, tf.data.Dataset):
        counts = np.zeros(n_classes, np.int64)
        with image_files.naming_bad_files():
            for _, mask in masks.as_numpy_iterator():
                counts += class_pixel_counts(mask, n_classes, ignore_class)
        return counts
    labels = class_indices(masks, "masks").reshape(-1)
    keep = (labels >= 0) & (labels < n_classes)
    if ignore_class is not None:
        keep &= labels != ignore_class
    return np.bincount(labels[keep], minlength=n_classes)[:n_classes]


def majority_class(pixel_counts: Sequence[int]) -> int:
    """The class with the most (non-void) training pixels."""
    counts = np.asarray(pixel_counts)
    if counts.ndim != 1 or counts.size == 0 or counts.sum() <= 0:
        raise ValueError(f"pixel_counts must be a non-empty 1-D count vector, got {counts!r}.")
    return int(np.argmax(counts))


def constant_prediction_confusion(truth_counts: Sequence[int], class_index: int) -> np.ndarray:
    """Confusion matrix of predicting ``class_index`` at every pixel of a set whose truth has
    ``truth_counts`` pixels per class: the majority-class baseline, with no model."""
    counts = np.asarray(truth_counts, dtype=np.int64).reshape(-1)
    if not 0 <= class_index < counts.size:
        raise ValueError(f"class_index must be in 0…{counts.size - 1}, got {class_index}.")
    matrix = np.zeros((counts.size, counts.size), np.int64)
    matrix[:, class_index] = counts
    return matrix


def mean_iou_metric(
    n_classes: int, ignore_class: int | None = None, name: str = "mean_iou"
) -> keras.metrics.MeanIoU:
    """Keras's built-in ``MeanIoU`` set up for logits ``(N, H, W, C)`` (argmax inside) and
    sparse masks, skipping ``ignore_class`` pixels: the training-time mIoU."""
    return keras.metrics.MeanIoU(
        num_classes=n_classes, ignore_class=ignore_class, sparse_y_pred=False, name=name
    )


class _BinaryOverlap(keras.metrics.Metric):
    """Accumulates true positives, false positives and false negatives of binary masks over
    all pixels seen (dataset-level, not per-image averages)."""

    def __init__(self, from_logits: bool = True, threshold: float = 0.5, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        check_range(threshold, "threshold", 0.0, 1.0, low_open=True)
        self.from_logits = bool(from_logits)
        self.threshold = float(threshold)
        self.tp = self.add_variable(shape=(), initializer="zeros", name="tp")
        self.fp = self.add_variable(shape=(), initializer="zeros", name="fp")
        self.fn = self.add_variable(shape=(), initializer="zeros", name="fn")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = keras.ops.convert_to_tensor(y_pred, "float32")
        probabilities = keras.ops.sigmoid(y_pred) if self.from_logits else y_pred
        predicted = keras.ops.cast(probabilities >= self.threshold, "float32")
        truth = keras.ops.cast(keras.ops.convert_to_tensor(y_true) > 0, "float32")
        self.tp.assign_add(keras.ops.sum(predicted * truth))
        self.fp.assign_add(keras.ops.sum(predicted * (1.0 - truth)))
        self.fn.assign_add(keras.ops.sum((1.0 - predicted) * truth))

    def reset_state(self):
        for variable in (self.tp, self.fp, self.fn):
            variable.assign(0.0)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "from_logits": self.from_logits,
            "threshold": self.threshold,
        }


@keras.saving.register_keras_serializable(package="ssl_keras")
class DiceScore(_BinaryOverlap):
    """Dice (F1) of thresholded binary masks, ``2·TP / (2·TP + FP + FN)``, over all pixels
    seen; 1 when neither truth nor prediction has foreground."""

    def __init__(self, from_logits=True, threshold=0.5, name="dice", dtype=None):
        super().__init__(from_logits, threshold, name=name, dtype=dtype)

    def result(self):
        denominator = 2.0 * self.tp + self.fp + self.fn
        return keras.ops.where(denominator > 0, 2.0 * self.tp / (denominator + 1e-12), 1.0)


@keras.saving.register_keras_serializable(package="ssl_keras")
class IoUScore(_BinaryOverlap):
    """Foreground IoU (Jaccard) of thresholded binary masks, ``TP / (TP + FP + FN)``, over
    all pixels seen; 1 when neither truth nor prediction has foreground."""

    def __init__(self, from_logits=True, threshold=0.5, name="iou", dtype=None):
        super().__init__(from_logits, threshold, name=name, dtype=dtype)

    def result(self):
        denominator = self.tp + self.fp + self.fn
        return keras.ops.where(denominator > 0, self.tp / (denominator + 1e-12), 1.0)


def binary_scores(predicted, truth) -> dict[str, np.ndarray]:
    """Per-image Dice and IoU of binary masks (NumPy), each ``(N,)`` float64 in [0, 1].

    ``predicted`` and ``truth``: bool or 0/1 arrays ``(N, H, W)`` or ``(N, H, W, 1)`` (a
    single ``(H, W)`` mask counts as one image). An image where both are empty scores 1.
    """
    prediction = np.asarray(predicted)
    target = np.asarray(truth)
    if prediction.shape != target.shape:
        raise ValueError(
            f"predicted and truth must have the same shape, got {prediction.shape} and "
            f"{target.shape}."
        )
    if prediction.ndim == 2:
        prediction, target = prediction[None], target[None]
    prediction = prediction.reshape(prediction.shape[0], -1) > 0
    target = target.reshape(target.shape[0], -1) > 0
    intersection = (prediction & target).sum(axis=1).astype(np.float64)
    sizes = prediction.sum(axis=1) + target.sum(axis=1)
    union = sizes - intersection
    with np.errstate(divide="ignore", invalid="ignore"):
        dice = np.where(sizes > 0, 2.0 * intersection / sizes, 1.0)
        iou = np.where(union > 0, intersection / union, 1.0)
    return {"dice": dice, "iou": iou}
