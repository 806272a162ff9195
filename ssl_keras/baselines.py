"""Classical denoisers: the bar a learned denoiser has to beat.

Each function takes float images, gray or colour: one image ``(H, W)``, ``(H, W, 1)`` or
``(H, W, 3)``, or a batch ``(N, H, W, 1)`` / ``(N, H, W, 3)`` (NumPy or tensors), and returns
a NumPy float32 array of the same shape in [0, 1]. Values outside [0, 1] (unclipped additive
Gaussian noise, as the published denoising protocol feeds its methods) are clipped to [0, 1]
before filtering. Parameters left as ``None`` are set from the noise level that
scikit-image's ``estimate_sigma`` measures in each (clipped) image, so every baseline runs
"blind", as the learned denoiser does.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
import tensorflow as tf
from skimage.restoration import denoise_tv_chambolle, denoise_wavelet, estimate_sigma

GRAY_NLM_FACTOR = 0.9
"""``h / (σ·255)`` of gray non-local means: the best of 0.7–1.1 on 8 BSD68 images at
Gaussian σ = 25/255 (26.1 dB; 0.7 gave 24.8 dB)."""


def _as_batch(images) -> tuple[np.ndarray, tuple[int, ...]]:
    """``images`` as a clipped float32 batch ``(N, H, W, C)`` and the caller's shape."""
    array = images.numpy() if tf.is_tensor(images) else np.asarray(images)
    if not np.issubdtype(array.dtype, np.floating):
        raise ValueError(
            f"images must be floating point in [0, 1], got dtype={array.dtype}. "
            "Convert uint8 images with `images.astype('float32') / 255`."
        )
    if array.ndim == 2:
        batch = array[None, ..., None]
    elif array.ndim == 3:
        batch = array[None]
    elif array.ndim == 4:
        batch = array
    else:
        raise ValueError(
            f"images must be (H, W), (H, W, C) or (N, H, W, C), got shape {array.shape}."
        )
    if batch.shape[-1] not in (1, 3):
        raise ValueError(
            f"images must have 1 (gray) or 3 (RGB) channels last, got shape {array.shape}; "
            "give a gray batch as (N, H, W, 1)."
        )
    if not np.all(np.isfinite(batch)):
        raise ValueError("images hold NaN or infinite values; denoisers need finite pixels.")
    return np.clip(batch, 0.0, 1.0).astype(np.float32), array.shape


def _per_image(images, function: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    batch, shape = _as_batch(images)
    out = np.stack([function(np.ascontiguousarray(image)).reshape(image.shape) for image in batch])
    return np.clip(out, 0.0, 1.0).astype(np.float32).reshape(shape)


def _sigma(image: np.ndarray) -> float:
    """Noise level estimated in ``image``; 0 for a flat one, where scikit-image finds no
    detail coefficient and returns NaN (which OpenCV's blur then rejects)."""
    return float(np.mean(np.nan_to_num(estimate_sigma(image, channel_axis=-1), nan=0.0)))


def median(images, size: int = 3) -> np.ndarray:
    """Median filter over ``size``×``size`` windows per channel (the classic impulse-noise fix)."""
    if size not in (3, 5):
        raise ValueError(f"size must be 3 or 5 (OpenCV's float median), got {size!r}.")
    return _per_image(images, lambda x: cv2.medianBlur(x, size))


def gaussian_blur(images, sigma: float | None = None) -> np.ndarray:
    """Gaussian low-pass filter; ``sigma`` in pixels (default grows with the noise level)."""

    def blur(x: np.ndarray) -> np.ndarray:
        s = sigma if sigma is not None else float(np.clip(8.0 * _sigma(x), 0.5, 2.0))
        return cv2.GaussianBlur(x, (0, 0), s)

    return _per_image(images, blur)


def nl_means(images, h: float | None = None) -> np.ndarray:
    """OpenCV's fast non-local means (``h`` in 0–255 units), colour-aware on RGB images.

    RGB: ``fastNlMeansDenoisingColored`` (patches compared in CIELab, luminance and colour
    filtered with the same ``h``); gray: ``fastNlMeansDenoising``. Both work on 8 bits (the
    clipped input rounded). The default ``h = 0.7·σ·255`` on RGB was the best of 0.6–1.2 × σ
    on scikit-image photos at Gaussian σ = 25/255 and 50/255 and Poisson noise; on gray
    images ``h = GRAY_NLM_FACTOR·σ·255``.
    """

    def denoise(x: np.ndarray) -> np.ndarray:
        gray = x.shape[-1] == 1
        factor = GRAY_NLM_FACTOR if gray else 0.7
        strength = h if h is not None else max(2.0, factor * 255.0 * _sigma(x))
        uint8 = np.round(x * 255).astype(np.uint8)
        if gray:
            out = cv2.fastNlMeansDenoising(uint8[..., 0], None, strength, 7, 21)
        else:
            out = cv2.fastNlMeansDenoisingColored(uint8, None, strength, strength, 7, 21)
        return out.astype(np.float32) / 255.0

    return _per_image(images, denoise)


def total_variation(images, weight: float | None = None) -> np.ndarray:
    """Chambolle total-variation denoising (scikit-image); default weight ≈ 1.5·σ."""

    def denoise(x: np.ndarray) -> np.ndarray:
        w = weight if weight is not None else max(0.01, 1.5 * _sigma(x))
        return denoise_tv_chambolle(x, weight=w, channel_axis=-1)

    return _per_image(images, denoise)


def wavelet(images) -> np.ndarray:
    """BayesShrink soft-thresholded wavelet denoising (scikit-image), in YCbCr on RGB."""
    return _per_image(
        images,
        lambda x: denoise_wavelet(
            x,
            channel_axis=-1,
            convert2ycbcr=x.shape[-1] == 3,
            method="BayesShrink",
            rescale_sigma=True,
        ),
    )


DENOISERS: dict[str, Callable[..., np.ndarray]] = {
    "median": median,
    "gaussian_blur": gaussian_blur,
    "nl_means": nl_means,
    "total_variation": total_variation,
    "wavelet": wavelet,
}
"""The classical denoisers by name, each called as ``f(images)``."""


def denoise(images, method: str, **params) -> np.ndarray:
    """Apply the classical denoiser called ``method`` (a key of :data:`DENOISERS`)."""
    if method not in DENOISERS:
        raise ValueError(f"Unknown denoiser {method!r}. Use one of: {', '.join(DENOISERS)}.")
    return DENOISERS[method](images, **params)
