"""Tests of ssl_keras.models.builder: U-Net shapes, layer names, parameter counts, errors."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from ssl_keras import layers, models
from tests._data import random_images

TINY = {"base_filters": 4}


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
    out = model(random_images(2, *call_size))
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
    x = random_images(2, 61, 67)
    path = tmp_path / "unet.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    assert models.count_params(loaded) == models.count_params(model)
    momenta = {layer.bn1.momentum for layer in loaded.layers if hasattr(layer, "bn1")}
    assert momenta == {kwargs.get("bn_momentum", 0.99)}


@pytest.mark.slow
def test_training_steps_reduce_loss():
    keras.utils.set_random_seed(0)
    model = models.unet((32, 32, 3), depth=2, **TINY)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse", jit_compile=False)
    clean = random_images(4, 32, 32)
    noisy = np.clip(clean + 0.1 * np.random.default_rng(1).normal(size=clean.shape), 0, 1)
    losses = [float(model.train_on_batch(noisy, clean)) for _ in range(6)]
    assert losses[-1] < losses[0]


def test_residual_head_starts_from_the_input():
    model = models.unet((20, 20, 3), depth=2, residual=True, output_activation=None, **TINY)
    head = model.get_layer("head")
    head.set_weights([np.zeros(w.shape, "float32") for w in head.weights])
    x = random_images(2, 20, 20)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(x)), x, atol=1e-7)


def test_segmentation_configurations():
    multi = models.unet((33, 45, 3), depth=2, output_channels=6, output_activation=None, **TINY)
    binary = models.unet((33, 45, 3), depth=2, output_channels=1, **TINY)
    assert multi.output_shape == (None, 33, 45, 6)
    assert binary.output_shape == (None, 33, 45, 1)
    assert multi.get_layer("head").activation is keras.activations.linear


def test_mixed_precision_keeps_float32_outputs(tmp_path):
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        model = models.unet((None, None, 3), depth=2, **TINY)
        out = model(random_images(1, 21, 19))
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert keras.backend.standardize_dtype(out.dtype) == "float32" and tuple(out.shape) == (
        1,
        21,
        19,
        3,
    )
    assert model.get_layer("enc1").compute_dtype == "bfloat16"


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


def test_bad_count_params_and_pad_arguments():
    with pytest.raises(ValueError, match="count_params"):
        models.count_params(None)
    with pytest.raises(ValueError, match="multiple"):
        layers.PadToMultiple(0)
