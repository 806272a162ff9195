import numpy as np
import pytest

from ssl_keras import baselines, metrics, noise


@pytest.fixture(scope="module")
def clean():
    # smooth shapes plus texture, so denoisers have something to keep
    y, x = np.mgrid[0:48, 0:40] / 40.0
    base = 0.5 + 0.3 * np.sin(6 * x) * np.cos(4 * y)
    image = np.stack([base, base[::-1], np.full_like(base, 0.4)], -1).astype(np.float32)
    return np.stack([image, image[:, ::-1]])


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


def test_psnr_known_values():
    a = np.zeros((1, 16, 16, 3), np.float32)
    b = np.full((1, 16, 16, 3), 0.1, np.float32)
    assert metrics.psnr(b, a)[0] == pytest.approx(20.0, abs=1e-4)  # 10·log10(1 / 0.01)
    assert np.isinf(metrics.psnr(a, a)[0])


def test_ssim_identity_and_noise(clean):
    assert metrics.ssim(clean, clean) == pytest.approx([1.0, 1.0])
    assert np.all(metrics.ssim(noise.gaussian(clean, 0.2, seed=1), clean) < 0.9)


def test_metric_errors(clean):
    with pytest.raises(ValueError, match="same shape"):
        metrics.psnr(clean, clean[:, :32])
    with pytest.raises(ValueError, match="at least 11"):
        metrics.ssim(clean[:, :8, :8], clean[:, :8, :8])
