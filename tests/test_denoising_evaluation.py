"""Tests of ssl_keras.denoising.evaluation: the score table, images of several sizes, gray
folders with TIFF files, and errors on bad images (tiny generated inputs)."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile
from PIL import Image

from ssl_keras import denoising, metrics
from tests._data import colour_image, identity_denoiser
from tests.test_denoising_recipes import TINY


def test_evaluate_table_and_best_classical():
    model = denoising.build_denoiser(TINY)  # the identity: scores equal the noisy input
    clean = np.random.default_rng(0).random((2, 16, 16, 3), dtype=np.float32) * 0.5 + 0.25
    result = denoising.evaluate(model, clean, methods=("median", "gaussian_blur"), seed=0)
    assert len(result.rows) == 2 * 4
    for kind in denoising.NOISE_LEVELS:
        assert result.score(kind, "U-Net") == pytest.approx(result.score(kind, "noisy input"))
        assert result.best_classical(kind) in ("median", "gaussian_blur")
        assert result.images[kind]["median"].shape == clean.shape
    with pytest.raises(ValueError, match="Unknown methods"):
        denoising.evaluate(model, clean, methods=("bm3d",))
    with pytest.raises(ValueError, match="batch"):
        denoising.evaluate(model, clean[0])


def test_evaluate_on_images_of_several_sizes():
    portrait, landscape = colour_image(48, 32), colour_image(32, 56, phase=1.0)
    model = identity_denoiser(3)
    levels = {"gaussian": 0.1}
    evaluation = denoising.evaluate(
        model, [portrait, landscape], levels, methods=["median", "nl_means"], seed=3
    )
    outputs = evaluation.images["gaussian"]
    for method in ("noisy input", "median", "nl_means", "U-Net"):
        assert [o.shape for o in outputs[method]] == [portrait.shape, landscape.shape]
    # The identity model returns the noisy input: its score is the noisy score.
    assert evaluation.score("gaussian", "U-Net") == pytest.approx(
        evaluation.score("gaussian", "noisy input"), abs=1e-4
    )
    assert evaluation.score("gaussian", "nl_means") > evaluation.score("gaussian", "noisy input")
    expected = np.mean(
        [
            metrics.psnr(outputs["median"][0][None], portrait[None])[0],
            metrics.psnr(outputs["median"][1][None], landscape[None])[0],
        ]
    )
    assert evaluation.score("gaussian", "median") == pytest.approx(float(expected), abs=1e-4)


def test_evaluate_list_of_one_size_matches_the_batch():
    images = [colour_image(32, 32), colour_image(32, 32, phase=2.0)]
    model = identity_denoiser(3)
    as_list = denoising.evaluate(model, images, {"gaussian": 0.1}, methods=["median"], seed=1)
    as_batch = denoising.evaluate(
        model, np.stack(images), {"gaussian": 0.1}, methods=["median"], seed=1
    )
    assert as_list.rows == as_batch.rows
    assert as_list.images["gaussian"]["median"].shape == (2, 32, 32, 3)


def test_evaluate_gray_folder_with_tiff(tmp_path):
    gray = np.round(colour_image(48, 32)[..., 0] * 255).astype(np.uint8)
    Image.fromarray(gray).save(tmp_path / "portrait.png")
    wide = np.round(colour_image(32, 56)[..., 1] * 65535).astype(np.uint16)
    tifffile.imwrite(tmp_path / "landscape.tif", wide, photometric="minisblack")
    evaluation = denoising.evaluate(
        identity_denoiser(1), tmp_path, {"gaussian": 0.1}, methods=["wavelet"], seed=0
    )
    shapes = [o.shape for o in evaluation.images["gaussian"]["wavelet"]]
    assert shapes == [(32, 56, 1), (48, 32, 1)]  # sorted file names: landscape, portrait


def test_denoise_rejects_bad_images():
    model = identity_denoiser(3)
    with pytest.raises(ValueError, match="Image 1 of the list"):
        denoising.apply_denoiser(model, [colour_image(16, 16), np.zeros((16, 16), np.float32)])
    with pytest.raises(ValueError, match="batch"):
        denoising.evaluate(model, np.zeros((16, 16, 3), np.float32), {"gaussian": 0.1})
