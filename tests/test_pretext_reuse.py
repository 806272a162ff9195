"""Tests of ssl_keras.pretext.reuse: the encoders notebooks 02, 05 and 06 saved, read by 09."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from ssl_keras import anomaly, colorization, models, pretext
from ssl_keras.colorization.backbone import BackboneChoice
from ssl_keras.transfer import probe_features

LEVEL = 2


def _images(n=3, side=32, seed=0):
    return np.random.default_rng(seed).random((n, side, side, 3)).astype("float32")


def _by_notebook(folder):
    return {found.notebook: found for found in pretext.notebook_encoders(LEVEL, "smoke", folder)}


def _save_denoiser(folder, recipe=True):
    keras.utils.set_random_seed(0)
    unet = models.unet(
        (None, None, 3), depth=3, base_filters=8, output_activation=None, residual=True
    )
    (folder / "denoiser").mkdir(parents=True)
    unet.save(folder / "denoiser" / "denoiser.keras")
    if recipe:
        settings = {"profile": "smoke", "steps": 1200, "batch_size": 16, "patch_size": 32}
        settings |= {"pool": "generated", "depth": 3, "base_filters": 8}
        (folder / "denoiser" / "recipe.json").write_text(json.dumps(settings))
    return unet


def _save_colorizer(folder, backbone, stage_two=False):
    keras.utils.set_random_seed(0)
    model = colorization.colorizer((None, None, 1), backbone, decoder_filters=8, base_filters=8)
    if stage_two:
        colorization.unfreeze_top(model)
    (folder / "colorizer").mkdir(parents=True)
    model.save(folder / "colorizer" / "colorizer.keras")
    return model


def test_absent_artifacts_say_which_notebook_writes_them(tmp_path):
    found = pretext.notebook_encoders(LEVEL, "smoke", tmp_path)
    assert [f.notebook for f in found] == ["02", "05", "06"]
    for each in found:
        assert each.encoder is None
        assert f"run notebook {each.notebook}" in each.about
        assert "not read" in each.describe()
        with pytest.raises(ValueError, match="nothing to read"):
            each.features(_images())


def test_the_denoiser_is_read_at_the_level_at_any_size_and_its_recipe_told(tmp_path):
    unet = _save_denoiser(tmp_path)
    found = _by_notebook(tmp_path)["02"]
    assert found.encoder is not None
    assert "1,200 steps of 16 crops of 32 px" in found.about and "depth 3" in found.about
    for side in (32, 48):
        images = _images(side=side)
        expected = probe_features(models.encoder_from(unet, level=LEVEL), images)
        features = found.features(images)
        assert features.shape == (3, 2 * 16)  # level 2 of base 8: 16 channels, mean and SD
        np.testing.assert_allclose(features, expected, rtol=1e-5, atol=1e-5)


def test_a_denoiser_without_its_recipe_is_still_read(tmp_path):
    _save_denoiser(tmp_path, recipe=False)
    found = _by_notebook(tmp_path)["02"]
    assert found.encoder is not None and found.about == "its own recipe"


def test_cutpaste_saved_for_64_px_reads_32_px_images(tmp_path):
    keras.utils.set_random_seed(0)
    model = anomaly.pretext_model((64, 64, 3), depth=3, base_filters=8)
    folder = tmp_path / "06_anomaly_pretext" / "weave"  # the smoke profile's category
    folder.mkdir(parents=True)
    model.save(folder / "best.keras")
    found = _by_notebook(tmp_path)["06"]
    assert "'weave'" in found.name and found.encoder is not None
    small = found.features(_images(side=32))
    assert small.shape == (3, 32) and np.isfinite(small).all()
    images = _images(side=64)
    expected = probe_features(models.encoder_from(model, level=LEVEL), images)
    np.testing.assert_allclose(found.features(images), expected, rtol=1e-5, atol=1e-5)


def test_a_colorizer_on_a_frozen_denoiser_backbone_is_not_read(tmp_path):
    keras.utils.set_random_seed(0)
    source = models.unet((None, None, 3), depth=4, base_filters=8)
    encoder_path = tmp_path / "encoder.keras"
    models.encoder_from(source).save(encoder_path)
    backbone = BackboneChoice("denoiser", str(encoder_path), "test")
    for stage_two in (False, True):  # stage 2 trains the bottleneck only, above level 2
        folder = tmp_path / f"stage_two_{stage_two}"
        _save_colorizer(folder, backbone, stage_two)
        found = _by_notebook(folder)["05"]
        assert found.encoder is None and "frozen" in found.about, found.about


def test_a_colorizer_trained_end_to_end_is_read_on_rgb(tmp_path):
    model = _save_colorizer(tmp_path, "small")
    found = _by_notebook(tmp_path)["05"]
    assert found.encoder is not None and "colorization" in found.about
    images = _images(side=32)
    expected = probe_features(models.encoder_from(model, level=LEVEL), images)
    np.testing.assert_allclose(found.features(images), expected, rtol=1e-5, atol=1e-5)


def test_a_corrupt_artifact_names_the_file_and_the_fix(tmp_path):
    (tmp_path / "denoiser").mkdir()
    path = tmp_path / "denoiser" / "denoiser.keras"
    path.write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="denoiser.keras.*run notebook 02 again"):
        pretext.notebook_encoders(LEVEL, "smoke", tmp_path)


def test_a_level_the_encoder_lacks_names_the_file(tmp_path):
    _save_denoiser(tmp_path)
    with pytest.raises(ValueError, match=r"denoiser\.keras \(notebook 02\).*level 5"):
        pretext.notebook_encoders(5, "smoke", tmp_path)
