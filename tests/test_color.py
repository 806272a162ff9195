"""Lab conversion, VGG input preparation and colourfulness (ssl_keras.color)."""

from __future__ import annotations

import warnings

import keras
import numpy as np
import pytest
import skimage.color
import tensorflow as tf

from ssl_keras import color


@pytest.fixture(scope="module")
def rgb() -> np.ndarray:
    rng = np.random.default_rng(0)
    image = rng.random((24, 20, 3)).astype(np.float32)
    image[0, :4] = 0.0  # black, white, mid gray and the primaries: the gamut's corners
    image[1, :4] = 1.0
    image[2, :4] = 0.5
    image[3, :3] = np.eye(3)
    return image


def test_rgb_to_lab_agrees_with_scikit_image(rgb):
    ours = color.rgb_to_lab(rgb).numpy()
    np.testing.assert_allclose(ours, skimage.color.rgb2lab(rgb), atol=2e-3)
    assert ours.dtype == np.float32 and ours.shape == rgb.shape


def test_lab_to_rgb_agrees_with_scikit_image():
    rng = np.random.default_rng(1)
    lab = np.concatenate(
        [rng.uniform(0, 100, (16, 16, 1)), rng.uniform(-110, 110, (16, 16, 2))], axis=-1
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-image warns about out-of-gamut colors
        expected = skimage.color.lab2rgb(lab)
    ours = color.lab_to_rgb(lab.astype(np.float32)).numpy()
    np.testing.assert_allclose(ours, expected, atol=1e-4)
    assert ours.min() >= 0.0 and ours.max() <= 1.0


def test_lab_round_trip_batch(rgb):
    batch = np.stack([rgb, rgb[::-1]])
    back = color.lab_to_rgb(color.rgb_to_lab(batch)).numpy()
    np.testing.assert_allclose(back, batch, atol=1e-4)


def test_split_and_merge_in_tf_data(rgb):
    ds = tf.data.Dataset.from_tensor_slices(np.stack([rgb, rgb])).map(
        color.split_lab, num_parallel_calls=tf.data.AUTOTUNE
    )
    lightness, ab = next(iter(ds))
    assert lightness.shape == (24, 20, 1) and ab.shape == (24, 20, 2)
    assert 0.0 <= float(tf.reduce_min(lightness)) and float(tf.reduce_max(lightness)) <= 100.0
    np.testing.assert_allclose(color.lab_parts_to_rgb(lightness, ab).numpy(), rgb, atol=1e-4)


def test_gray_image_has_zero_ab_and_exact_gray_inverse():
    gray = np.repeat(np.linspace(0, 1, 256, dtype=np.float32)[:, None, None], 3, axis=-1)
    lightness, ab = color.split_lab(gray)
    assert float(tf.reduce_max(tf.abs(ab))) < 1e-2
    np.testing.assert_allclose(color.lightness_to_gray(lightness).numpy(), gray[..., :1], atol=1e-5)


def test_vgg_input_matches_preprocess_input_on_gray_rgb():
    rng = np.random.default_rng(2)
    gray = np.repeat(rng.random((2, 12, 10, 1)).astype(np.float32), 3, axis=-1)
    expected = keras.applications.vgg16.preprocess_input(gray * 255.0)
    lightness = color.rgb_to_lab(gray)[..., :1]
    np.testing.assert_allclose(color.vgg_input(lightness).numpy(), expected, atol=1e-2)
    layer = color.LightnessInput("vgg16")
    np.testing.assert_allclose(np.asarray(layer(lightness)), expected, atol=1e-2)


def test_lightness_input_gray_mode_and_config():
    layer = color.LightnessInput("gray", channels=1)
    restored = color.LightnessInput.from_config(layer.get_config())
    out = np.asarray(restored(np.full((1, 4, 4, 1), 100.0, np.float32)))
    assert out.shape == (1, 4, 4, 1)
    np.testing.assert_allclose(out, 1.0, atol=1e-5)
    with pytest.raises(ValueError, match="mode"):
        color.LightnessInput("rgb")
    with pytest.raises(ValueError, match="3 channels"):
        color.LightnessInput("vgg16", channels=1)


def test_colorfulness(rgb):
    gray = np.full((8, 8, 3), 0.4, np.float32)
    assert color.colorfulness(gray) == pytest.approx(0.0, abs=1e-6)
    red = np.zeros((8, 8, 3), np.float32)
    red[..., 0] = 1.0
    # rg = 255, yb = 127.5, no spread: 0.3 · sqrt(255² + 127.5²)
    assert color.colorfulness(red) == pytest.approx(0.3 * np.hypot(255.0, 127.5), rel=1e-5)
    scores = color.colorfulness(np.stack([gray, rgb[:8, :8]]))
    assert scores.shape == (2,) and scores[1] > 20


def test_mean_chroma_is_zero_for_gray_only(rgb):
    gray = np.repeat(np.linspace(0, 1, 64, dtype=np.float32).reshape(8, 8, 1), 3, axis=-1)
    scores = color.mean_chroma(np.stack([gray, rgb[:8, :8]])).numpy()
    assert scores.shape == (2,) and scores[0] < 0.01 and scores[1] > 20
    lab = skimage.color.rgb2lab(rgb)
    expected = np.hypot(lab[..., 1], lab[..., 2]).mean()
    assert float(color.mean_chroma(rgb)) == pytest.approx(expected, rel=1e-3)


def test_color_bad_inputs():
    with pytest.raises(ValueError, match="3 channels"):
        color.rgb_to_lab(np.zeros((4, 4, 4), np.float32))
    with pytest.raises(ValueError, match="floating point"):
        color.rgb_to_lab(np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(ValueError, match="rgb must be"):
        color.colorfulness(np.zeros((4, 3), np.float32))
    with pytest.raises(ValueError, match="rgb must be"):
        color.mean_chroma(np.zeros((4, 3), np.float32))
