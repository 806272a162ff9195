"""PSNR and SSIM: known values, identity, noise, bad shapes."""

import numpy as np
import pytest

from ssl_keras import metrics, noise


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
