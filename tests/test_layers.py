"""Tests of ssl_keras.layers: padding and cropping to a multiple, mean-and-std pooling."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from ssl_keras import layers
from tests._data import random_images


def test_pad_crop_layers_invert_each_other():
    x = random_images(1, 13, 22, channels=2)
    for mode in ("constant", "reflect", "symmetric"):
        padded = layers.PadToMultiple(8, mode=mode)(x)
        assert tuple(padded.shape) == (1, 16, 24, 2)
        np.testing.assert_array_equal(layers.CropToMatch()([padded, x]), x)


def test_mean_std_pooling_matches_numpy_and_saves(tmp_path):
    maps = np.random.default_rng(3).normal(2.0, 3.0, (4, 5, 7, 6)).astype(np.float32)
    maps[0, ..., 1] = 1.5  # a constant channel: standard deviation ≈ 0, gradient finite
    pool = layers.MeanStdPooling2D()
    pooled = keras.ops.convert_to_numpy(pool(maps))
    assert pooled.shape == (4, 12) and pool.compute_output_shape((None, 5, 7, 6)) == (None, 12)
    np.testing.assert_allclose(pooled[:, :6], maps.mean(axis=(1, 2)), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(pooled[:, 6:], maps.std(axis=(1, 2)), rtol=1e-4, atol=2e-3)
    inputs = keras.Input((None, None, 6))
    model = keras.Model(inputs, layers.MeanStdPooling2D(name="pool")(inputs))
    model.save(tmp_path / "pool.keras")
    loaded = keras.saving.load_model(tmp_path / "pool.keras", safe_mode=True)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded(maps)), pooled, rtol=1e-6)
    with pytest.raises(ValueError, match="epsilon"):
        layers.MeanStdPooling2D(epsilon=0.0)
