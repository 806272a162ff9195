"""Tests of ssl_keras.models.levels: encoder cut-out, feature maps, weight transfer, freezing."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from ssl_keras import denoising, models
from tests._data import random_images
from tests.test_denoising_recipes import TINY as TINY_RECIPE

TINY = {"base_filters": 4}


def test_encoder_shares_weights_with_unet(tiny_unet):
    encoder = models.encoder_from(tiny_unet)
    assert encoder.output_shape == (None, None, None, 32)
    kernel = tiny_unet.get_layer("enc2").conv1.kernel
    shared = encoder.get_layer("enc2").conv1.kernel
    original = keras.ops.convert_to_numpy(kernel).copy()
    try:
        shared.assign(keras.ops.zeros(shared.shape))
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(kernel), 0.0)
        kernel.assign(original)
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(shared), original)
    finally:
        kernel.assign(original)
    assert models.encoder_from(tiny_unet, level=2).output_shape == (None, None, None, 8)
    assert models.encoder_from(tiny_unet, level="enc1").output_shape[-1] == 4


def test_feature_extractor_level_shapes(tiny_unet):
    extractor = models.feature_extractor(tiny_unet)
    features = extractor.predict(random_images(2, 32, 48), verbose=0)
    shapes = {name: array.shape for name, array in features.items()}
    assert shapes == {
        "enc1": (2, 32, 48, 4),
        "enc2": (2, 16, 24, 8),
        "enc3": (2, 8, 12, 16),
        "bottleneck": (2, 4, 6, 32),
    }
    chosen = models.feature_extractor(tiny_unet, levels=(1, "dec2"))
    assert set(chosen.output) == {"enc1", "dec2"}
    assert set(models.feature_extractor(tiny_unet, levels="bottleneck").output) == {"bottleneck"}
    padded = models.feature_extractor(tiny_unet, levels=1).predict(
        random_images(1, 61, 67), verbose=0
    )
    assert padded["enc1"].shape == (1, 64, 72, 4)


def test_load_encoder_weights_copies_encoder_only(tiny_unet):
    fresh = models.unet((None, None, 3), depth=3, output_channels=1, **TINY)
    decoder_before = fresh.get_layer("dec1").get_weights()
    copied = models.load_encoder_weights(fresh, tiny_unet)
    assert copied == ["enc1", "enc2", "enc3", "bottleneck"]
    x = random_images(1, 24, 24)
    np.testing.assert_allclose(
        models.encoder_from(fresh).predict(x, verbose=0),
        models.encoder_from(tiny_unet).predict(x, verbose=0),
    )
    for before, after in zip(decoder_before, fresh.get_layer("dec1").get_weights(), strict=True):
        np.testing.assert_array_equal(before, after)
    # Copies, not shared variables.
    assert fresh.get_layer("enc1").conv1.kernel is not tiny_unet.get_layer("enc1").conv1.kernel


def test_load_encoder_weights_into_classifier(tiny_unet):
    target = models.classifier(models.unet((32, 32, 3), depth=3, **TINY))
    assert models.load_encoder_weights(target, models.encoder_from(tiny_unet, 2)) == [
        "enc1",
        "enc2",
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"depth": 2, **TINY}, "depth 3 ≠ 2"), ({"depth": 3, "base_filters": 8}, "base_filters=8")],
)
def test_load_encoder_weights_rejects_other_configurations(tiny_unet, kwargs, message):
    target = models.unet((32, 32, 3), **kwargs)
    with pytest.raises(ValueError, match=message) as info:
        models.load_encoder_weights(target, tiny_unet)
    assert "base_filters=4" in str(info.value)  # names both configurations


@pytest.mark.slow
def test_frozen_encoder_keeps_weights_and_batchnorm_statistics():
    keras.utils.set_random_seed(2)
    base = models.unet((32, 32, 3), depth=2, **TINY)
    model = models.classifier(models.encoder_from(base), hidden=8)
    assert models.count_params(model).trainable == 8 * 16 + 8 + 8 + 1
    bn = base.get_layer("enc1").bn1
    before = [keras.ops.convert_to_numpy(w).copy() for w in base.get_layer("enc1").weights]
    model.compile(optimizer="adam", loss="binary_crossentropy")
    x, y = random_images(8, 32, 32), np.array([0, 1] * 4, "float32")
    model.train_on_batch(x, y)
    after = [keras.ops.convert_to_numpy(w) for w in base.get_layer("enc1").weights]
    for old, new in zip(before, after, strict=True):
        np.testing.assert_array_equal(old, new)

    unfrozen = models.set_trainable_levels(model, 2)
    assert unfrozen == ["enc2", "bottleneck"]
    assert not base.get_layer("enc1").trainable and base.get_layer("enc2").trainable
    assert not base.get_layer("enc2").bn1.trainable  # BN stays in inference mode
    bn = base.get_layer("bottleneck").bn1
    kernel = base.get_layer("bottleneck").conv1.kernel
    moving_mean = keras.ops.convert_to_numpy(bn.moving_mean).copy()
    kernel_before = keras.ops.convert_to_numpy(kernel).copy()
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.train_on_batch(x, y)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(bn.moving_mean), moving_mean)
    assert not np.array_equal(keras.ops.convert_to_numpy(kernel), kernel_before)
    assert models.set_trainable_levels(model, 0) == []


def test_not_a_unet_is_rejected():
    plain = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(2, 3, name="conv")])
    for function in (models.encoder_from, models.feature_extractor, models.classifier):
        with pytest.raises(ValueError, match="enc1"):
            function(plain)
    with pytest.raises(ValueError, match="keras.Model"):
        models.encoder_from("unet.keras")


def test_bad_level_arguments(tiny_unet):
    with pytest.raises(ValueError, match="out of range"):
        models.encoder_from(tiny_unet, level=4)
    with pytest.raises(ValueError, match="unknown level"):
        models.feature_extractor(tiny_unet, levels=["enc9"])
    with pytest.raises(ValueError, match="non-empty"):
        models.feature_extractor(tiny_unet, levels=[])
    encoder = models.encoder_from(tiny_unet)
    with pytest.raises(ValueError, match="n_top_levels"):
        models.set_trainable_levels(encoder, 5)


def test_encoder_extraction_from_a_non_unet_is_a_clear_error():
    plain = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(2, 3, name="conv")])
    with pytest.raises(ValueError, match="no ConvBlock named 'enc1'"):
        models.encoder_from(plain)
    with pytest.raises(ValueError, match="expects a keras.Model"):
        models.encoder_from("denoiser.keras")


def test_loading_encoder_weights_into_another_depth_is_a_clear_error():
    source = denoising.build_denoiser(TINY_RECIPE)
    target = models.unet((None, None, 3), depth=3, base_filters=4)
    with pytest.raises(ValueError, match="depth 2 ≠ 3"):
        models.load_encoder_weights(target, source)
