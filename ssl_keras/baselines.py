"""Classical denoisers: the bar a learned denoiser has to beat.

Each function takes float images in [0, 1], one ``(H, W, 3)`` or a batch ``(N, H, W, 3)``
(NumPy or tensors), and returns a NumPy float32 array of the same shape in [0, 1].
Parameters left as ``None`` are set from the noise level that scikit-image's
``estimate_sigma`` measures in each image, so every baseline runs "blind", as the
learned denoiser does.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
from skimage.restoration import denoise_tv_chambolle, denoise_wavelet, estimate_sigma

from ssl_keras._checks import as_image_tensor


def _as_batch(images) -> tuple[np.ndarray, bool]:
    array = as_image_tensor(images).numpy()
    single = array.ndim == 3
    return (array[None] if single else array), single


def _per_image(images, function: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    batch, single = _as_batch(images)
    out = np.stack([function(image) for image in batch]).astype(np.float32)
    out = np.clip(out, 0.0, 1.0)
    return out[0] if single else out


def _sigma(image: np.ndarray) -> float:
    return float(np.mean(estimate_sigma(image, channel_axis=-1)))


def median(images, size: int = 3) -> np.ndarray:
    """Median filter over ``size``×``size`` windows per channel (the classic impulse-noise fix)."""
    if size not in (3, 5):
        raise ValueError(f"size must be 3 or 5 (OpenCV's float median), got {size!r}.")
    return _per_image(images, lambda x: cv2.medianBlur(np.ascontiguousarray(x), size))


def gaussian_blur(images, sigma: float | None = None) -> np.ndarray:
    """Gaussian low-pass filter; ``sigma`` in pixels (default grows with the noise level)."""

    def blur(x: np.ndarray) -> np.ndarray:
        s = sigma if sigma is not None else float(np.clip(8.0 * _sigma(x), 0.5, 2.0))
        return cv2.GaussianBlur(x, (0, 0), s)

    return _per_image(images, blur)


def nl_means(images, h: float | None = None) -> np.ndarray:
    """OpenCV's fast non-local means (color version; ``h`` in 0–255 units).

    The default ``h = 0.7·σ·255`` was the best of 0.6–1.2 × σ on scikit-image photos at
    Gaussian σ = 25/255 and 50/255 and Poisson noise.
    """

    def denoise(x: np.ndarray) -> np.ndarray:
        strength = h if h is not None else max(2.0, 0.7 * 255.0 * _sigma(x))
        uint8 = np.round(x * 255).astype(np.uint8)
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
    """BayesShrink soft-thresholded wavelet denoising in YCbCr (scikit-image)."""
    return _per_image(
        images,
        lambda x: denoise_wavelet(
            x, channel_axis=-1, convert2ycbcr=True, method="BayesShrink", rescale_sigma=True
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
