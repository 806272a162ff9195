"""The colorizer network: output size and range, unfreezing, compiling, one training step."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from ssl_keras import color, colorization
from tests._data import coco_folder


@pytest.mark.parametrize("size", [(32, 48), (40, 56), (17, 33)])
def test_colorizer_output_has_input_size(size):
    model = colorization.colorizer((None, None, 1), "small", decoder_filters=4, base_filters=4)
    ab = model(np.full((2, *size, 1), 50.0, np.float32))
    assert tuple(ab.shape) == (2, *size, 2)
    # zero-initialised head: the untrained model is the gray baseline
    assert float(tf.reduce_max(tf.abs(ab))) == 0.0


def test_colorizer_fixed_non_square_size_and_range():
    model = colorization.colorizer((48, 80, 1), "small", decoder_filters=4, base_filters=4)
    assert model.output_shape == (None, 48, 80, 2)
    assert model.get_layer("ab_tanh").activation.__name__ == "tanh"
    head = model.get_layer("ab_tanh")
    head.kernel.assign(tf.fill(head.kernel.shape, 10.0))
    ab = model(np.full((1, 48, 80, 1), 70.0, np.float32))
    assert float(tf.reduce_max(tf.abs(ab))) <= color.AB_RANGE


def test_vgg16_colorizer_frozen_then_block5():
    backbone = colorization.BackboneChoice("vgg16", None, "test, random weights")
    model = colorization.colorizer((32, 48, 1), backbone, decoder_filters=4)
    assert model.output_shape == (None, 32, 48, 2)
    assert model.get_layer("backbone_input").mode == "vgg16"
    unfrozen = colorization.unfreeze_top(model)
    assert unfrozen == ["block5_conv1", "block5_conv2", "block5_conv3"]
    trainable = {w.path.split("/")[0] for w in model.get_layer("backbone").trainable_weights}
    assert trainable == set(unfrozen)


def test_colorizer_bad_arguments():
    with pytest.raises(ValueError, match="one channel"):
        colorization.colorizer((32, 32, 3))
    with pytest.raises(ValueError, match="≥ 16"):
        colorization.colorizer((8, 32, 1))
    with pytest.raises(ValueError, match="backbone"):
        colorization.colorizer((32, 32, 1), "resnet")
    model = colorization.colorizer((32, 32, 1), "small", decoder_filters=2, base_filters=2)
    with pytest.raises(ValueError, match="loss"):
        colorization.compile_colorizer(model, "cross_entropy")


@pytest.mark.slow
def test_compile_colorizer_takes_a_learning_rate_schedule():
    model = colorization.colorizer((16, 16, 1), "small", decoder_filters=2, base_filters=2)
    schedule = keras.optimizers.schedules.CosineDecay(2e-3, decay_steps=4)
    colorization.compile_colorizer(model, "mae", schedule)
    lightness = np.full((2, 16, 16, 1), 50.0, np.float32)
    model.fit(lightness, np.ones((2, 16, 16, 2), np.float32), epochs=1, verbose=0)
    assert float(model.optimizer.learning_rate) == pytest.approx(float(schedule(1)))


@pytest.mark.slow
def test_vgg16_colorizer_one_step_on_real_photos_at_128(tmp_path, vgg16_weights_file):
    files = sorted(str(p) for p in coco_folder(tmp_path).glob("*.jpg"))[:4]
    train = colorization.lab_batches(colorization.color_images(files, 128, training=True), 2)
    lightness, ab = next(iter(train))
    assert lightness.shape == (2, 128, 128, 1) and ab.shape == (2, 128, 128, 2)
    keras.utils.set_random_seed(0)
    choice = colorization.choose_backbone("vgg16", weights=vgg16_weights_file)
    model = colorization.compile_colorizer(
        colorization.colorizer((128, 128, 1), choice, decoder_filters=8), "mae", 1e-3
    )
    backbone_before = model.get_layer("backbone").get_layer("block3_conv1").kernel.numpy()
    head_before = model.get_layer("ab_tanh").kernel.numpy()
    history = model.fit(train.take(1), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0]) and history.history["loss"][0] > 0
    assert not np.array_equal(model.get_layer("ab_tanh").kernel.numpy(), head_before)
    np.testing.assert_array_equal(
        model.get_layer("backbone").get_layer("block3_conv1").kernel.numpy(), backbone_before
    )
