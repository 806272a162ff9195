"""Tests of ssl_keras.image_files.decoding: every format to float32 RGB, and uint8 reads."""

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from ssl_keras import image_files
from tests._data import RGB


def test_decodes_every_format_to_float_rgb(image_folder):
    for path in image_files.list_image_files(image_folder):
        image = image_files.load_image(path).numpy()
        assert image.shape == (20, 30, 3), path
        assert image.dtype == np.float32
        assert 0.0 <= image.min() and image.max() <= 1.0


def test_lossless_formats_keep_pixel_values(image_folder):
    expected = RGB / 255.0
    for name in ("bitmap.bmp", "photo.webp", "animated.gif"):
        image = image_files.load_image(image_folder / name).numpy()
        tolerance = 0.06 if name.endswith(".gif") else 1e-6  # GIF quantizes to 256 colors
        assert np.abs(image - expected).mean() < tolerance, name


def test_grayscale_and_sixteen_bit_become_three_equal_channels(image_folder):
    for name in ("gray.png", "sixteen_bit.png"):
        image = image_files.load_image(image_folder / name).numpy()
        assert np.allclose(image[..., 0], RGB[..., 0] / 255.0, atol=1e-4)
        assert np.array_equal(image[..., 0], image[..., 2])


def test_transparent_pixels_become_white(image_folder):
    image = image_files.load_image(image_folder / "rgba.png").numpy()
    assert np.allclose(image[:5, :5], 1.0)
    assert np.allclose(image[10:, 10:], RGB[10:, 10:] / 255.0, atol=1e-6)


def test_gif_first_frame(image_folder):
    image = image_files.load_image(image_folder / "animated.gif").numpy()
    assert np.abs(image - RGB / 255.0).mean() < np.abs(image - (255 - RGB) / 255.0).mean()


def test_truncated_image_names_the_file(tmp_path):
    path = tmp_path / "truncated.png"
    Image.fromarray(RGB).save(path)
    path.write_bytes(path.read_bytes()[:60])
    with pytest.raises(ValueError, match="truncated.png"):
        image_files.load_image(path)
    with pytest.raises(FileNotFoundError, match="missing.png"):
        image_files.load_image(tmp_path / "missing.png")


def test_uint8_read_matches_float_read(image_folder):
    for path in image_files.list_image_files(image_folder):
        as_uint8 = image_files.read_image_uint8(tf.constant(path))
        assert as_uint8.dtype == tf.uint8 and as_uint8.shape[-1] == 3
        as_float = image_files.read_image(tf.constant(path)).numpy()
        widened = tf.image.convert_image_dtype(as_uint8, tf.float32).numpy()
        # 8-bit files agree exactly; 16-bit and alpha-composited PNGs within rounding
        assert np.abs(widened - as_float).max() <= 0.5 / 255 + 1e-6, path
