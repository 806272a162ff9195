"""Tests of ssl_keras.datasets.denoise_sets: image folders for denoising, gray or color."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ssl_keras.datasets import denoise_sets


def test_denoise_gray_and_color(tmp_path):
    rng = np.random.default_rng(0)
    gray = rng.integers(0, 256, (20, 24), dtype=np.uint8)
    cv2.imwrite(str(tmp_path / "g.png"), gray)
    cv2.imwrite(str(tmp_path / "h.png"), rng.integers(0, 256, (20, 24, 3), dtype=np.uint8))
    images = list(denoise_sets.denoise_dataset(tmp_path, gray=True).as_numpy_iterator())
    assert [i.shape for i in images] == [(20, 24, 1), (20, 24, 1)]
    np.testing.assert_allclose(images[0][..., 0], gray / 255.0, atol=1e-6)  # gray is exact
    crops = list(
        denoise_sets.denoise_dataset(
            tmp_path, size=16, mode="random_crop", seed=1
        ).as_numpy_iterator()
    )
    assert [c.shape for c in crops] == [(16, 16, 3)] * 2
    with pytest.raises(ValueError, match="'resize', 'center_crop' or 'random_crop'"):
        denoise_sets.denoise_dataset(tmp_path, size=16, mode="stretch")
    with pytest.raises(FileNotFoundError):
        denoise_sets.denoise_dataset(tmp_path / "BSD68")
