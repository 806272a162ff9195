"""What a frozen encoder's features say (tiny sizes): streamed feature summaries, the pooled
features a probe reads and the probe classifier."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from ssl_keras import denoising, models, transfer

TINY = dataclasses.replace(
    denoising.recipe("smoke"), image_size=16, patch_size=16, base_filters=4, depth=2
)


@pytest.fixture(scope="module")
def extractor():
    """Every level of a tiny random U-Net (trained BatchNorm statistics are not needed)."""
    tf.keras.utils.set_random_seed(0)
    return models.feature_extractor(denoising.build_denoiser(TINY))


def test_streamed_statistics_equal_the_in_memory_result(extractor):
    images = np.random.default_rng(0).random((7, 16, 16, 3), dtype=np.float32)
    maps = extractor.predict(images, verbose=0)
    streamed = transfer.feature_statistics(extractor, images, batch_size=3)
    assert list(streamed.pooled) == list(maps) == ["enc1", "enc2", "bottleneck"]
    for level, full in maps.items():
        assert streamed.pooled[level].shape == (7, full.shape[-1])
        assert streamed.pooled[level].dtype == np.float32
        np.testing.assert_allclose(streamed.pooled[level], full.mean(axis=(1, 2)), atol=1e-5)
        assert streamed.mean_activation[level] == pytest.approx(float(full.mean()), abs=1e-5)
        assert streamed.inactive_fraction[level] == pytest.approx(float((full <= 0).mean()))
    from_dataset = transfer.pooled_features(
        extractor, tf.data.Dataset.from_tensor_slices((images, np.zeros(7))).batch(4)
    )
    for level in maps:
        np.testing.assert_allclose(from_dataset[level], streamed.pooled[level], atol=1e-5)


def test_feature_statistics_of_an_encoder_and_bad_inputs(extractor):
    encoder = models.encoder_from(denoising.build_denoiser(TINY), level=1)
    images = np.random.default_rng(1).random((5, 16, 16, 3), dtype=np.float32)
    pooled = transfer.pooled_features(encoder, images, batch_size=2)
    assert list(pooled) == ["features"] and pooled["features"].shape == (5, 4)
    with pytest.raises(ValueError, match="non-empty batch"):
        transfer.feature_statistics(extractor, images[:0])
    with pytest.raises(ValueError, match="non-empty batch"):
        transfer.feature_statistics(extractor, images[0])
    with pytest.raises(ValueError, match="batch_size"):
        transfer.feature_statistics(extractor, images, batch_size=0)
    empty = tf.data.Dataset.from_tensor_slices(images[:0]).batch(2)
    with pytest.raises(ValueError, match="images is empty"):
        transfer.feature_statistics(extractor, empty)


def test_probe_classifier_standardises_pooled_features_and_unfreezes_the_top():
    tf.keras.utils.set_random_seed(0)
    encoder = models.encoder_from(denoising.build_denoiser(TINY), level=2)
    images = np.random.default_rng(2).random((6, 16, 16, 3), dtype=np.float32)
    model = transfer.probe_classifier(encoder, images, hidden=8, dropout=0.1)
    pooled = transfer.probe_features(encoder, images)
    maps = np.asarray(encoder.predict(images, verbose=0))
    channels = maps.shape[-1]
    # Means then standard deviations over space, channel by channel.
    np.testing.assert_allclose(pooled[:, :channels], maps.mean(axis=(1, 2)), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(pooled[:, channels:], maps.std(axis=(1, 2)), rtol=1e-3, atol=1e-3)
    standardize = model.get_layer("standardize")
    np.testing.assert_allclose(np.ravel(standardize.mean), pooled.mean(axis=0), rtol=1e-4)
    np.testing.assert_allclose(np.ravel(standardize.variance), pooled.var(axis=0), rtol=1e-3)
    frozen = models.count_params(model)
    assert frozen.trainable == 2 * channels * 8 + 8 + 8 + 1  # the head only
    linear = transfer.probe_classifier(encoder, images)  # the default: a linear probe
    assert models.count_params(linear).trainable == 2 * channels + 1
    with pytest.raises(ValueError, match="hidden"):
        transfer.probe_classifier(encoder, images, hidden=-1)
    with pytest.raises(ValueError, match="dropout"):
        transfer.probe_classifier(encoder, images, dropout=1.0)
    with pytest.raises(ValueError, match="non-empty batch"):
        transfer.probe_features(encoder, images[0])
    probabilities = model.predict(images, verbose=0)
    assert probabilities.shape == (6, 1) and np.all((probabilities >= 0) & (probabilities <= 1))
    assert models.set_trainable_levels(model, 1) == ["enc2"]
    assert models.count_params(model).trainable > frozen.trainable
