"""Classical denoisers: shape and range kept, Gaussian noise smoothed, impulses removed."""

import numpy as np
import pytest

from ssl_keras import baselines, metrics, noise


@pytest.mark.parametrize("method", list(baselines.DENOISERS))
def test_denoisers_keep_shape_and_range(clean, method):
    noisy = noise.gaussian(clean, 0.1, seed=0).numpy()
    out = baselines.denoise(noisy, method)
    assert out.shape == clean.shape and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0
    single = baselines.denoise(noisy[0], method)
    assert single.shape == clean.shape[1:]


@pytest.mark.parametrize("method", ["gaussian_blur", "nl_means", "total_variation", "wavelet"])
def test_smoothing_denoisers_improve_gaussian_noise(clean, method):
    noisy = noise.gaussian(clean, 0.1, seed=0).numpy()
    assert metrics.quality(baselines.denoise(noisy, method), clean)["psnr"] > (
        metrics.quality(noisy, clean)["psnr"] + 2.0
    )


def test_median_removes_impulses(clean):
    noisy = noise.salt_and_pepper(clean, 0.05, seed=0).numpy()
    assert metrics.quality(baselines.median(noisy), clean)["psnr"] > (
        metrics.quality(noisy, clean)["psnr"] + 8.0
    )


def test_bad_denoiser_arguments(clean):
    with pytest.raises(ValueError, match="Unknown denoiser"):
        baselines.denoise(clean, "bm3d")
    with pytest.raises(ValueError, match="size must be 3 or 5"):
        baselines.median(clean, size=7)
    with pytest.raises(ValueError, match="floating point"):
        baselines.median((clean * 255).astype(np.uint8))
