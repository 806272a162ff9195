"""Tests of ssl_keras.models.heads: classifier outputs, saving, errors; the pooling layer
of the transfer heads (layers.MeanStdPooling2D)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from ssl_keras import models
from tests._data import random_images


def test_classifier_save_load_round_trip(tmp_path, tiny_unet):
    model = models.classifier(models.encoder_from(tiny_unet), n_classes=3, hidden=8)
    models.set_trainable_levels(model, 1)
    x = random_images(2, 32, 32)
    path = tmp_path / "classifier.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(model.predict(x, verbose=0), loaded.predict(x, verbose=0))
    # The frozen state survives loading, BN sublayers included (inference mode).
    assert models.count_params(loaded) == models.count_params(model)
    encoder = loaded.get_layer(model.layers[1].name)
    assert not encoder.get_layer("enc1").bn1.trainable
    assert encoder.get_layer("bottleneck").trainable
    assert not encoder.get_layer("bottleneck").bn1.trainable


def test_head_output_ranges(tiny_unet):
    x = random_images(4, 32, 32)
    images = keras.ops.convert_to_numpy(tiny_unet(x))
    assert images.min() >= 0.0 and images.max() <= 1.0
    binary = keras.ops.convert_to_numpy(models.classifier(tiny_unet, n_classes=2)(x))
    assert binary.shape == (4, 1) and binary.min() >= 0.0 and binary.max() <= 1.0
    multi = keras.ops.convert_to_numpy(models.classifier(tiny_unet, n_classes=4, hidden=None)(x))
    assert multi.shape == (4, 4)
    np.testing.assert_allclose(multi.sum(axis=1), 1.0, rtol=1e-5)


def test_bad_head_arguments(tiny_unet):
    with pytest.raises(ValueError, match="n_classes"):
        models.classifier(tiny_unet, n_classes=1)
    with pytest.raises(ValueError, match="dropout"):
        models.classifier(tiny_unet, dropout=1.5)
