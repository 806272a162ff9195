"""Backbone choice: ImageNet VGG16 (downloaded, cached or a local file), the denoiser's encoder, offline fallbacks."""

from __future__ import annotations

import hashlib

import keras
import numpy as np
import pytest

from ssl_keras import colorization
from ssl_keras.datasets import download


def test_pretrained_unet_backbone_is_frozen(tmp_path):
    from ssl_keras import models

    unet = models.unet((None, None, 3), depth=4, base_filters=4)
    path = tmp_path / "encoder.keras"
    models.encoder_from(unet).save(path)
    choice = colorization.choose_backbone("denoiser", encoder_path=path)
    model = colorization.colorizer((32, 32, 1), choice, decoder_filters=4)
    backbone = model.get_layer("backbone")
    assert not backbone.trainable_weights
    np.testing.assert_array_equal(
        backbone.get_layer("enc2").conv1.kernel.numpy(),
        unet.get_layer("enc2").conv1.kernel.numpy(),
    )
    assert colorization.unfreeze_top(model) == ["bottleneck"]


def test_choose_backbone_offline_fallbacks(tmp_path, monkeypatch, no_network):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    missing = tmp_path / "nothing.keras"
    assert colorization.choose_backbone(encoder_path=missing).kind == "small"
    present = tmp_path / "encoder.keras"
    present.write_bytes(b"x")
    choice = colorization.choose_backbone(encoder_path=present)
    assert choice.kind == "denoiser" and "offline" in choice.describe()
    forced = colorization.choose_backbone("vgg16", encoder_path=present)
    assert (forced.kind, forced.weights) == ("vgg16", None)
    assert "random initialisation" in forced.describe()
    with pytest.raises(FileNotFoundError, match="notebook 02"):
        colorization.choose_backbone("denoiser", encoder_path=missing)
    with pytest.raises(ValueError, match="prefer"):
        colorization.choose_backbone("resnet")


def test_choose_backbone_takes_imagenet_weights_downloaded_then_cached(tmp_path, monkeypatch):
    payload = tmp_path / "served" / colorization.VGG16_WEIGHTS_FILE
    payload.parent.mkdir()
    payload.write_bytes(b"stand-in for the weights file" * 100)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(colorization.backbone, "VGG16_WEIGHTS_URL", payload.as_uri())
    monkeypatch.setattr(
        colorization.backbone, "VGG16_WEIGHTS_MD5", hashlib.md5(payload.read_bytes()).hexdigest()
    )
    cache = tmp_path / "keras" / "models" / colorization.VGG16_WEIGHTS_FILE
    choice = colorization.choose_backbone(encoder_path=tmp_path / "encoder.keras")
    assert (choice.kind, choice.weights) == ("vgg16", str(cache))
    assert cache.read_bytes() == payload.read_bytes() and "downloaded" in choice.reason
    assert "ImageNet weights" in choice.describe()
    payload.unlink()  # from now on only the cache can answer
    assert "cached" in colorization.choose_backbone().reason
    cache.write_bytes(b"truncated")  # a damaged cache is not used
    with pytest.raises(download.DownloadError, match="unavailable"):
        colorization.imagenet_weights()
    assert colorization.choose_backbone(encoder_path=tmp_path / "encoder.keras").kind == "small"


def test_vgg16_colorizer_from_local_weights_file(vgg16_weights_file, tmp_path):
    choice = colorization.choose_backbone("vgg16", weights=vgg16_weights_file)
    assert (choice.kind, choice.weights, choice.pretrained) == (
        "vgg16",
        str(vgg16_weights_file),
        True,
    )
    assert "vgg16.weights.h5" in choice.describe()
    keras.utils.set_random_seed(7)  # a fresh VGG16 would get other random weights
    model = colorization.colorizer((128, 128, 1), choice, decoder_filters=8)
    reference = keras.applications.VGG16(include_top=False, weights=None)
    reference.load_weights(vgg16_weights_file)
    backbone = model.get_layer("backbone")
    for name in ("block1_conv1", "block5_conv3"):
        np.testing.assert_array_equal(
            backbone.get_layer(name).kernel.numpy(), reference.get_layer(name).kernel.numpy()
        )
    assert not backbone.trainable_weights
    assert model.get_layer("backbone_input").mode == "vgg16"
    with pytest.raises(FileNotFoundError, match="not found"):
        colorization.choose_backbone("vgg16", weights=tmp_path / "missing.h5")
    with pytest.raises(ValueError, match="prefer='vgg16'"):
        colorization.choose_backbone("small", weights=vgg16_weights_file)
