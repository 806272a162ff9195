"""Tests of ssl_keras.resizing: crops and antialiased resizing."""

import numpy as np
import pytest
import tensorflow as tf

from ssl_keras import resizing


@pytest.mark.parametrize("dtype", [tf.uint8, tf.float32])
@pytest.mark.parametrize("channels", [1, 3, 4])
def test_random_crop_upscales_small_images_and_keeps_dtype(dtype, channels):
    image = tf.image.convert_image_dtype(tf.fill([5, 9, channels], 0.5), dtype)
    crop = resizing.random_crop(image, 12, seed=0)
    assert crop.shape == (12, 12, channels) and crop.dtype == dtype


def test_resize_downscaling_averages_instead_of_aliasing():
    stripes = np.zeros((64, 64, 3), np.float32)
    stripes[:, ::2] = 1.0
    small = resizing.resize(stripes, 8).numpy()
    assert np.allclose(small, 0.5, atol=0.05)


def test_check_mode_names_the_modes_a_loader_offers():
    assert resizing.check_mode("center_crop") == "center_crop"
    with pytest.raises(ValueError, match="'resize', 'center_crop' or 'random_crop', got 'zoom'"):
        resizing.check_mode("zoom")
    with pytest.raises(ValueError, match=r"must be 'resize' or 'center_crop', got 'random_crop'"):
        resizing.check_mode("random_crop", ("resize", "center_crop"))


@pytest.mark.parametrize("mode", resizing.MODES)
def test_to_size_gives_float_images_of_the_size_from_float_or_uint8(mode):
    pixels = np.random.default_rng(0).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    as_float = tf.image.convert_image_dtype(pixels, tf.float32)
    from_uint8 = resizing.to_size(tf.constant(pixels), (8, 12), mode, seed=1)
    from_float = resizing.to_size(as_float, (8, 12), mode, seed=1)
    assert from_float.shape == (8, 12, 3) and from_float.dtype == tf.float32
    np.testing.assert_allclose(from_uint8, from_float, atol=1e-6)
    assert 0.0 <= float(tf.reduce_min(from_float)) and float(tf.reduce_max(from_float)) <= 1.0


def test_map_to_size_crops_with_one_seed_per_element():
    images = np.random.default_rng(1).random((3, 20, 30, 3)).astype(np.float32)
    ds = tf.data.Dataset.from_tensor_slices(images)
    seeds = tf.data.Dataset.from_tensor_slices(np.arange(6, dtype=np.int64).reshape(3, 2))
    crops = list(resizing.map_to_size(ds, 8, "random_crop", seeds).as_numpy_iterator())
    for image, seed, crop in zip(images, np.arange(6).reshape(3, 2), crops, strict=True):
        np.testing.assert_array_equal(crop, resizing.to_size(image, 8, "random_crop", seed))
    resized = list(resizing.map_to_size(ds, 8).as_numpy_iterator())
    np.testing.assert_array_equal(resized[0], resizing.resize(images[0], 8))
    with pytest.raises(ValueError, match="needs seeds"):
        resizing.map_to_size(ds, 8, "random_crop")
    with pytest.raises(ValueError, match="needs a seed"):
        resizing.to_size(images[0], 8, "random_crop")
