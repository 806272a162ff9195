"""Segmentation losses: soft Dice, BCE + Dice, and sparse cross-entropy that ignores void.

Binary losses take masks ``y_true`` of shape ``(N, H, W, 1)`` with values 0/1 (any int or
float dtype) and predictions ``y_pred`` of the same shape, logits (``from_logits=True``, the
default: a U-Net head without activation) or probabilities in [0, 1]. Multi-class losses take
class indices ``(N, H, W, 1)`` or ``(N, H, W)`` and logits ``(N, H, W, C)``.

Every loss class is registered as serializable, so a model compiled with it saves to and
loads from ``.keras`` files.

>>> model.compile(optimizer="adam", loss=losses.BCEDiceLoss())
>>> model.compile(optimizer="adam", loss=losses.sparse_categorical_crossentropy(ignore_class=11))
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
from keras import ops

from ssl_keras._checks import check_range


def _binary_pair(y_true, y_pred, from_logits: bool):
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(ops.convert_to_tensor(y_true), y_pred.dtype)
    probabilities = ops.sigmoid(y_pred) if from_logits else y_pred
    return y_true, probabilities


def soft_dice(y_true, y_pred, from_logits: bool = True, smooth: float = 1.0):
    """Soft Dice coefficient per image, in [0, 1] (1 = perfect overlap).

    ``(2·Σ p·t + smooth) / (Σ p + Σ t + smooth)`` over each image's pixels and channels, with
    ``p`` the predicted probabilities and ``t`` the 0/1 mask. ``smooth`` (> 0) makes an empty
    mask predicted empty score 1 instead of 0/0. Returns a float tensor of shape ``(N,)``.
    """
    check_range(smooth, "smooth", 0.0, 1e6, low_open=True)
    smooth = float(smooth)
    y_true, probabilities = _binary_pair(y_true, y_pred, from_logits)
    axes = tuple(range(1, len(probabilities.shape)))
    intersection = ops.sum(probabilities * y_true, axis=axes)
    total = ops.sum(probabilities, axis=axes) + ops.sum(y_true, axis=axes)
    return (2.0 * intersection + smooth) / (total + smooth)


@keras.saving.register_keras_serializable(package="ssl_keras")
class DiceLoss(keras.losses.Loss):
    """``1 - soft Dice`` per image (see :func:`soft_dice`), averaged over the batch.

    Insensitive to how much of the image is background, so small objects are not drowned
    out the way they are by pixel-wise cross-entropy.
    """

    def __init__(
        self,
        from_logits: bool = True,
        smooth: float = 1.0,
        reduction: str = "sum_over_batch_size",
        name: str = "dice_loss",
        dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.from_logits = bool(from_logits)
        check_range(smooth, "smooth", 0.0, 1e6, low_open=True)
        self.smooth = float(smooth)

    def call(self, y_true, y_pred):
        return 1.0 - soft_dice(y_true, y_pred, self.from_logits, self.smooth)

    def get_config(self) -> dict:
        return {**super().get_config(), "from_logits": self.from_logits, "smooth": self.smooth}


@keras.saving.register_keras_serializable(package="ssl_keras")
class BCEDiceLoss(keras.losses.Loss):
    """``bce_weight · binary cross-entropy + dice_weight · (1 - soft Dice)`` per image.

    Cross-entropy gives smooth per-pixel gradients from the first step; Dice optimizes the
    overlap that is finally measured. Both are averaged per image, then over the batch.
    """

    def __init__(
        self,
        from_logits: bool = True,
        bce_weight: float = 1.0,
        dice_weight: float = 1.0,
        smooth: float = 1.0,
        reduction: str = "sum_over_batch_size",
        name: str = "bce_dice_loss",
        dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        check_range(bce_weight, "bce_weight", 0.0, 1e6)
        check_range(dice_weight, "dice_weight", 0.0, 1e6)
        if bce_weight == 0 and dice_weight == 0:
            raise ValueError("bce_weight and dice_weight are both 0: the loss would be constant.")
        self.from_logits = bool(from_logits)
        self.bce_weight, self.dice_weight = float(bce_weight), float(dice_weight)
        check_range(smooth, "smooth", 0.0, 1e6, low_open=True)
        self.smooth = float(smooth)

    def call(self, y_true, y_pred):
        y_pred = ops.convert_to_tensor(y_pred)
        y_true = ops.cast(ops.convert_to_tensor(y_true), y_pred.dtype)
        bce = keras.losses.binary_crossentropy(y_true, y_pred, from_logits=self.from_logits)
        bce = ops.mean(bce, axis=tuple(range(1, len(bce.shape))))
        dice = 1.0 - soft_dice(y_true, y_pred, self.from_logits, self.smooth)
        return self.bce_weight * bce + self.dice_weight * dice

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "from_logits": self.from_logits,
            "bce_weight": self.bce_weight,
            "dice_weight": self.dice_weight,
            "smooth": self.smooth,
        }


@keras.saving.register_keras_serializable(package="ssl_keras")
class WeightedSparseCategoricalCrossentropy(keras.losses.Loss):
    """Sparse categorical cross-entropy with a weight per class and an ignored (void) class.

    Per image: ``Σ w[y]·CE / Σ w[y]`` over the pixels whose label is not ``ignore_class``
    (the weighted mean, as in PyTorch's ``CrossEntropyLoss(weight=...)``); images without
    valid pixels contribute 0. With equal weights this is the per-image mean cross-entropy
    over valid pixels, what ``keras.losses.SparseCategoricalCrossentropy(ignore_class=...)``
    computes over the batch.
    """

    def __init__(
        self,
        class_weights: Sequence[float],
        ignore_class: int | None = None,
        from_logits: bool = True,
        reduction: str = "sum_over_batch_size",
        name: str = "weighted_sparse_categorical_crossentropy",
        dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        weights = np.asarray(class_weights, dtype=np.float64).reshape(-1)
        if weights.size == 0 or not np.all(np.isfinite(weights)) or np.any(weights < 0):
            raise ValueError(
                f"class_weights must be a non-empty sequence of finite numbers ≥ 0 (one per "
                f"class), got {class_weights!r}."
            )
        self.class_weights = [float(w) for w in weights]
        self.ignore_class = None if ignore_class is None else int(ignore_class)
        self.from_logits = bool(from_logits)

    def call(self, y_true, y_pred):
        y_pred = ops.convert_to_tensor(y_pred)
        labels = ops.cast(ops.convert_to_tensor(y_true), "int32")
        if len(labels.shape) == len(y_pred.shape):
            labels = ops.squeeze(labels, axis=-1)
        n_classes = len(self.class_weights)
        if self.ignore_class is None:
            valid = ops.ones_like(labels, dtype="bool")
        else:
            valid = ops.not_equal(labels, self.ignore_class)
        safe = ops.where(valid, labels, 0)
        # Labels outside 0…C-1 (other than the ignored one) get weight 0 instead of an error.
        safe = ops.where(ops.logical_and(safe >= 0, safe < n_classes), safe, 0)
        ce = ops.sparse_categorical_crossentropy(safe, y_pred, from_logits=self.from_logits)
        weights = ops.take(ops.convert_to_tensor(self.class_weights, y_pred.dtype), safe)
        weights = weights * ops.cast(valid, y_pred.dtype)
        axes = tuple(range(1, len(ce.shape)))
        total = ops.sum(weights * ce, axis=axes)
        norm = ops.sum(weights, axis=axes)
        return ops.where(norm > 0, total / ops.maximum(norm, 1e-12), 0.0)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "class_weights": self.class_weights,
            "ignore_class": self.ignore_class,
            "from_logits": self.from_logits,
        }


def sparse_categorical_crossentropy(
    ignore_class: int | None = 11,
    class_weights: Sequence[float] | None = None,
    from_logits: bool = True,
) -> keras.losses.Loss:
    """The multi-class segmentation loss: Keras's built-in sparse cross-entropy with
    ``ignore_class`` (CamVid's void is 11), or :class:`WeightedSparseCategoricalCrossentropy`
    when ``class_weights`` (one weight per class, e.g. :func:`median_frequency_weights`)
    are given."""
    if class_weights is None:
        return keras.losses.SparseCategoricalCrossentropy(
            from_logits=from_logits, ignore_class=ignore_class
        )
    return WeightedSparseCategoricalCrossentropy(class_weights, ignore_class, from_logits)


def median_frequency_weights(
    pixel_counts: Sequence[int], max_weight: float | None = 10.0
) -> np.ndarray:
    """Median-frequency class weights (Eigen & Fergus; used by SegNet on CamVid).

    ``w_c = median(f) / f_c`` with ``f_c`` the fraction of (non-void) pixels of class ``c``.
    Classes never seen get weight 0 (nothing to weigh); weights are clipped at
    ``max_weight`` so a class seen in a handful of pixels does not dominate.
    Returns float32 ``(C,)``.
    """
    counts = np.asarray(pixel_counts, dtype=np.float64).reshape(-1)
    if counts.size == 0 or np.any(counts < 0) or counts.sum() <= 0:
        raise ValueError(
            f"pixel_counts must be non-negative counts per class with a positive sum, "
            f"got {pixel_counts!r}."
        )
    frequencies = counts / counts.sum()
    seen = frequencies > 0
    weights = np.zeros_like(frequencies)
    weights[seen] = np.median(frequencies[seen]) / frequencies[seen]
    if max_weight is not None:
        weights = np.minimum(weights, max_weight)
    return weights.astype(np.float32)
