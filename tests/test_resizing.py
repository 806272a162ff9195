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
