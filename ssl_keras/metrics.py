"""Scores: image quality (PSNR and SSIM, TensorFlow's built-ins, per image and averaged) and
the confusion matrix that classification and segmentation scores are read from.

Image inputs are float images in [0, 1], ``(H, W, C)`` or ``(N, H, W, C)``, NumPy or tensors.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from ssl_keras._checks import as_image_tensor

SSIM_MIN_SIDE = 11  # pixels a side: SSIM's Gaussian window


def _pair(prediction, target) -> tuple[tf.Tensor, tf.Tensor]:
    prediction = as_image_tensor(prediction, "prediction")
    target = as_image_tensor(target, "target")
    if prediction.shape != target.shape:
        raise ValueError(
            f"prediction and target must have the same shape, got {prediction.shape} and "
            f"{target.shape}."
        )
    return prediction, target


def psnr(prediction, target) -> np.ndarray:
    """Peak signal-to-noise ratio in dB per image (``max_val=1``); identical images give inf."""
    prediction, target = _pair(prediction, target)
    return tf.image.psnr(prediction, target, max_val=1.0).numpy()


def ssim(prediction, target) -> np.ndarray:
    """Structural similarity per image (11×11 Gaussian window, ``max_val=1``), in [-1, 1].

    Images must be at least 11 pixels on each side.
    """
    prediction, target = _pair(prediction, target)
    if min(prediction.shape[-3], prediction.shape[-2]) < SSIM_MIN_SIDE:
        raise ValueError(
            f"SSIM needs images of at least 11×11 pixels, got {tuple(prediction.shape)}."
        )
    return tf.image.ssim(prediction, target, max_val=1.0).numpy()


def quality(prediction, target) -> dict[str, float]:
    """Mean PSNR (dB) and mean SSIM over a batch, as plain floats."""
    return {
        "psnr": float(np.mean(psnr(prediction, target))),
        "ssim": float(np.mean(ssim(prediction, target))),
    }


# --------------------------------------------------------------------- confusion matrices


def class_indices(array, name: str) -> np.ndarray:
    """``array`` as int64 class indices; a float or object array raises ``ValueError`` naming
    ``name`` (take the argmax of logits, or threshold probabilities, first)."""
    values = np.asarray(array)
    if values.dtype == object or not (
        np.issubdtype(values.dtype, np.integer) or np.issubdtype(values.dtype, np.bool_)
    ):
        raise ValueError(
            f"{name} must hold integer class indices, got dtype={values.dtype}. Take the "
            "argmax of logits (or threshold probabilities) first."
        )
    return values.astype(np.int64)


def confusion_matrix(y_true, y_pred, n_classes: int, ignore_class: int | None = None) -> np.ndarray:
    """Pixel confusion matrix: int64 ``(n_classes, n_classes)``, rows = truth, cols = prediction.

    ``y_true`` and ``y_pred`` are integer class indices of the same number of pixels (any
    shape, e.g. ``(N, H, W, 1)`` and ``(N, H, W)``). Pixels whose truth is ``ignore_class``
    (CamVid's void, 11) or outside ``0…n_classes-1`` are not counted; a prediction outside
    that range raises ``ValueError``.

    Counted with one ``np.bincount``: scikit-learn's ``confusion_matrix`` gives the same
    counts but measured 36× slower (0.72 s against 0.02 s for 3.5 M pixels, 20 CamVid-size
    masks of 12 classes), and :func:`ssl_keras.segmentation.evaluate` counts every batch.
    """
    if not isinstance(n_classes, int | np.integer) or n_classes < 1:
        raise ValueError(f"n_classes must be an int ≥ 1, got {n_classes!r}.")
    truth = class_indices(y_true, "y_true").reshape(-1)
    prediction = class_indices(y_pred, "y_pred").reshape(-1)
    if truth.size != prediction.size:
        raise ValueError(
            f"y_true and y_pred must hold the same number of pixels, got {np.shape(y_true)} "
            f"and {np.shape(y_pred)}."
        )
    keep = (truth >= 0) & (truth < n_classes)
    if ignore_class is not None:
        keep &= truth != ignore_class
    truth, prediction = truth[keep], prediction[keep]
    if prediction.size and (prediction.min() < 0 or prediction.max() >= n_classes):
        raise ValueError(
            f"y_pred holds class {int(prediction.max())} (or a negative one), outside "
            f"0…{n_classes - 1}. Does the model have {n_classes} output channels?"
        )
    counts = np.bincount(truth * n_classes + prediction, minlength=n_classes * n_classes)
    return counts.reshape(n_classes, n_classes)
