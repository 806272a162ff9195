"""Image-quality metrics: PSNR and SSIM (TensorFlow's built-ins), per image and averaged.

Inputs are float images in [0, 1], ``(H, W, C)`` or ``(N, H, W, C)``, NumPy or tensors.
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
