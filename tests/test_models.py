"""U-Net builder, encoder extraction, weight transfer, classifier head: shapes, counts, errors."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from ssl_keras import layers, models

TINY = {"base_filters": 4}


def _images(n: int, height: int, width: int, channels: int = 3, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((n, height, width, channels), dtype=np.float32)


def _block_params(c_in: int, filters: int, batch_norm: bool) -> tuple[int, int]:
    """(trainable, non-trainable) of two 3×3 Conv(+BN) units."""
    convs = 9 * c_in * filters + 9 * filters * filters
    if batch_norm:
        return convs + 2 * 2 * filters, 2 * 2 * filters  # gamma/beta; moving mean/var
    return convs + 2 * filters, 0  # biases


def _analytic_unet_params(
    c_in: int, depth: int, base: int, c_out: int, upsampling: str, batch_norm: bool
) -> tuple[int, int]:
    widths = [base * 2**i for i in range(depth + 1)]  # enc1..encN, bottleneck
    trainable = non_trainable = 0
    previous = c_in
    for width in widths:  # encoder levels and bottleneck
        t, n = _block_params(previous, width, batch_norm)
        trainable, non_trainable, previous = trainable + t, non_trainable + n, width
    for level in range(depth - 1, -1, -1):  # decoder, deepest first
        width, below = widths[level], widths[level + 1]
        kernel = 4 if upsampling == "transpose" else 9
        trainable += kernel * below * width + width
        t, n = _block_params(2 * width, width, batch_norm)
        trainable, non_trainable = trainable + t, non_trainable + n
    trainable += widths[0] * c_out + c_out
    return trainable, non_trainable


@pytest.fixture(scope="module")
def tiny_unet() -> keras.Model:
    """Depth 3, 4 base filters, any input size."""
    keras.utils.set_random_seed(1)
    return models.unet((None, None, 3), depth=3, **TINY)


@pytest.mark.parametrize(
    ("depth", "build_size", "call_size"),
    [
        (1, (32, 32), (32, 32)),
        (2, (33, 45), (33, 45)),
        (3, (61, 67), (61, 67)),
        (4, (32, 32), (32, 32)),
        (4, (None, None), (61, 67)),
        (2, (None, 40), (17, 40)),
    ],
)
def test_output_has_input_size(depth, build_size, call_size):
    model = models.unet((*build_size, 3), depth=depth, **TINY)
    assert model.output_shape == (None, *build_size, 3)
    out = model(_images(2, *call_size))
    assert tuple(out.shape) == (2, *call_size, 3)
    assert keras.backend.standardize_dtype(out.dtype) == "float32"


def test_pad_and_crop_only_when_needed():
    divisible = {layer.name for layer in models.unet((32, 64, 3), depth=3, **TINY).layers}
    odd = {layer.name for layer in models.unet((33, 64, 3), depth=3, **TINY).layers}
    assert not {"pad", "crop"} & divisible
    assert {"pad", "crop"} <= odd


def test_stable_layer_names():
    model = models.unet((32, 32, 3), depth=3, dropout=0.1, **TINY)
    names = {layer.name for layer in model.layers}
    expected = {"enc1", "enc2", "enc3", "bottleneck", "dec1", "dec2", "dec3", "head"}
    assert expected | {"enc3_dropout", "bottleneck_dropout"} <= names
    assert all(isinstance(model.get_layer(n), layers.ConvBlock) for n in expected - {"head"})


@pytest.mark.parametrize(
    ("depth", "upsampling", "batch_norm", "c_in", "c_out"),
    [(2, "transpose", True, 3, 3), (3, "bilinear", True, 1, 5), (2, "transpose", False, 3, 1)],
)
def test_parameter_count_matches_analytic(depth, upsampling, batch_norm, c_in, c_out):
    model = models.unet(
        (32, 32, c_in),
        depth=depth,
        base_filters=4,
        upsampling=upsampling,
        batch_norm=batch_norm,
        output_channels=c_out,
        output_activation=None,
    )
    counted = models.count_params(model)
    assert (counted.trainable, counted.non_trainable) == _analytic_unet_params(
        c_in, depth, 4, c_out, upsampling, batch_norm
    )
    assert counted.total == model.count_params()
    assert str(counted).endswith("non-trainable)")


def test_pad_crop_layers_invert_each_other():
    x = _images(1, 13, 22, channels=2)
    for mode in ("constant", "reflect", "symmetric"):
        padded = layers.PadToMultiple(8, mode=mode)(x)
        assert tuple(padded.shape) == (1, 16, 24, 2)
        np.testing.assert_array_equal(layers.CropToMatch()([padded, x]), x)


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
    features = extractor.predict(_images(2, 32, 48), verbose=0)
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
    padded = models.feature_extractor(tiny_unet, levels=1).predict(_images(1, 61, 67), verbose=0)
    assert padded["enc1"].shape == (1, 64, 72, 4)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"input_shape": (None, None, 3), "upsampling": "bilinear", "dropout": 0.2},
        {"input_shape": (61, 67, 3), "residual": True, "output_activation": None},
        {"input_shape": (None, None, 3), "bn_momentum": 0.9},
    ],
)
def test_save_load_round_trip(tmp_path, kwargs):
    model = models.unet(depth=2, **TINY, **kwargs)
    x = _images(2, 61, 67)
    path = tmp_path / "unet.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    assert models.count_params(loaded) == models.count_params(model)
    momenta = {layer.bn1.momentum for layer in loaded.layers if hasattr(layer, "bn1")}
    assert momenta == {kwargs.get("bn_momentum", 0.99)}


def test_classifier_save_load_round_trip(tmp_path, tiny_unet):
    model = models.classifier(models.encoder_from(tiny_unet), n_classes=3, hidden=8)
    models.set_trainable_levels(model, 1)
    x = _images(2, 32, 32)
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


def test_training_steps_reduce_loss():
    keras.utils.set_random_seed(0)
    model = models.unet((32, 32, 3), depth=2, **TINY)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse", jit_compile=False)
    clean = _images(4, 32, 32)
    noisy = np.clip(clean + 0.1 * np.random.default_rng(1).normal(size=clean.shape), 0, 1)
    losses = [float(model.train_on_batch(noisy, clean)) for _ in range(6)]
    assert losses[-1] < losses[0]


def test_head_output_ranges(tiny_unet):
    x = _images(4, 32, 32)
    images = keras.ops.convert_to_numpy(tiny_unet(x))
    assert images.min() >= 0.0 and images.max() <= 1.0
    binary = keras.ops.convert_to_numpy(models.classifier(tiny_unet, n_classes=2)(x))
    assert binary.shape == (4, 1) and binary.min() >= 0.0 and binary.max() <= 1.0
    multi = keras.ops.convert_to_numpy(models.classifier(tiny_unet, n_classes=4, hidden=None)(x))
    assert multi.shape == (4, 4)
    np.testing.assert_allclose(multi.sum(axis=1), 1.0, rtol=1e-5)


def test_residual_head_starts_from_the_input():
    model = models.unet((20, 20, 3), depth=2, residual=True, output_activation=None, **TINY)
    head = model.get_layer("head")
    head.set_weights([np.zeros(w.shape, "float32") for w in head.weights])
    x = _images(2, 20, 20)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(x)), x, atol=1e-7)


def test_segmentation_configurations():
    multi = models.unet((33, 45, 3), depth=2, output_channels=6, output_activation=None, **TINY)
    binary = models.unet((33, 45, 3), depth=2, output_channels=1, **TINY)
    assert multi.output_shape == (None, 33, 45, 6)
    assert binary.output_shape == (None, 33, 45, 1)
    assert multi.get_layer("head").activation is keras.activations.linear


def test_load_encoder_weights_copies_encoder_only(tiny_unet):
    fresh = models.unet((None, None, 3), depth=3, output_channels=1, **TINY)
    decoder_before = fresh.get_layer("dec1").get_weights()
    copied = models.load_encoder_weights(fresh, tiny_unet)
    assert copied == ["enc1", "enc2", "enc3", "bottleneck"]
    x = _images(1, 24, 24)
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


def test_frozen_encoder_keeps_weights_and_batchnorm_statistics():
    keras.utils.set_random_seed(2)
    base = models.unet((32, 32, 3), depth=2, **TINY)
    model = models.classifier(models.encoder_from(base), hidden=8)
    assert models.count_params(model).trainable == 8 * 16 + 8 + 8 + 1
    bn = base.get_layer("enc1").bn1
    before = [keras.ops.convert_to_numpy(w).copy() for w in base.get_layer("enc1").weights]
    model.compile(optimizer="adam", loss="binary_crossentropy")
    x, y = _images(8, 32, 32), np.array([0, 1] * 4, "float32")
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


def test_mixed_precision_keeps_float32_outputs(tmp_path):
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        model = models.unet((None, None, 3), depth=2, **TINY)
        out = model(_images(1, 21, 19))
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert keras.backend.standardize_dtype(out.dtype) == "float32" and tuple(out.shape) == (
        1,
        21,
        19,
        3,
    )
    assert model.get_layer("enc1").compute_dtype == "bfloat16"


def test_not_a_unet_is_rejected():
    plain = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(2, 3, name="conv")])
    for function in (models.encoder_from, models.feature_extractor, models.classifier):
        with pytest.raises(ValueError, match="enc1"):
            function(plain)
    with pytest.raises(ValueError, match="keras.Model"):
        models.encoder_from("unet.keras")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"depth": 0},
        {"depth": 2.5},
        {"base_filters": 0},
        {"upsampling": "nearest"},
        {"dropout": 1.0},
        {"dropout": -0.1},
        {"output_channels": 0},
        {"output_activation": "sigmoidal"},
        {"input_shape": (32, 32)},
        {"input_shape": (32, 0, 3)},
        {"input_shape": (32, 32, None)},
        {"kernel_initializer": "he_normall"},
        {"pad_mode": "edge"},
        {"bn_momentum": 1.0},
        {"residual": True, "output_channels": 1, "output_activation": None},
        {"residual": True},  # sigmoid head
    ],
)
def test_bad_unet_arguments(kwargs):
    with pytest.raises(ValueError):
        models.unet(**{"depth": 2, **TINY, **kwargs})


def test_bad_helper_arguments(tiny_unet):
    with pytest.raises(ValueError, match="out of range"):
        models.encoder_from(tiny_unet, level=4)
    with pytest.raises(ValueError, match="unknown level"):
        models.feature_extractor(tiny_unet, levels=["enc9"])
    with pytest.raises(ValueError, match="non-empty"):
        models.feature_extractor(tiny_unet, levels=[])
    with pytest.raises(ValueError, match="n_classes"):
        models.classifier(tiny_unet, n_classes=1)
    with pytest.raises(ValueError, match="dropout"):
        models.classifier(tiny_unet, dropout=1.5)
    encoder = models.encoder_from(tiny_unet)
    with pytest.raises(ValueError, match="n_top_levels"):
        models.set_trainable_levels(encoder, 5)
    with pytest.raises(ValueError, match="count_params"):
        models.count_params(None)
    with pytest.raises(ValueError, match="multiple"):
        layers.PadToMultiple(0)


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
