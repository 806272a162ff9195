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


def test_standardization_follows_new_statistics_after_tracing(tmp_path):
    features = np.random.default_rng(1).normal(5.0, [1.0, 100.0, 0.1], (50, 3))
    inputs = keras.Input((3,))
    standardize = layers.Standardization(name="standardize")
    model = keras.Model(inputs, standardize(inputs))
    standardize.set_statistics(features)
    out = model.predict(features.astype(np.float32), verbose=0)
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-4)
    np.testing.assert_allclose(out.std(axis=0), 1.0, rtol=1e-3)
    standardize.set_statistics(features * 2.0 + 7.0)  # the traced predict sees the new ones
    shifted = model.predict((features * 2.0 + 7.0).astype(np.float32), verbose=0)
    np.testing.assert_allclose(shifted, out, rtol=1e-3, atol=1e-3)
    model.save(tmp_path / "standardize.keras")
    loaded = keras.saving.load_model(tmp_path / "standardize.keras", safe_mode=True)
    np.testing.assert_allclose(
        loaded.predict(features[:4].astype(np.float32) * 2 + 7, verbose=0), shifted[:4], rtol=1e-5
    )
    with pytest.raises(ValueError, match=r"\(N ≥ 2, 3\)"):
        standardize.set_statistics(features[:, :2])
    with pytest.raises(ValueError, match="epsilon"):
        layers.Standardization(epsilon=-1.0)
