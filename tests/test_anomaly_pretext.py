"""Tests of ssl_keras.anomaly.pretext: the 3-class pretext transforms and their dataset."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from ssl_keras import anomaly

NO_JITTER = dict(brightness=0.0, contrast=0.0, saturation=0.0, hue=0.0, patch_jitter=0.0)


def _noise_image(size=(64, 64), seed=0) -> np.ndarray:
    return np.random.default_rng(seed).random((*size, 3)).astype(np.float32)


def test_label_distribution_is_uniform_and_seeded():
    images = np.zeros((4, 16, 16, 3), np.float32)
    stream = anomaly.pretext_dataset(images, batch_size=300, seed=5)
    labels = next(iter(stream))[1].numpy()
    counts = np.bincount(labels, minlength=3)
    assert counts.sum() == 300 and set(np.unique(labels)) == {0, 1, 2}
    assert (counts > 300 * 0.25).all() and (counts < 300 * 0.42).all(), counts

    again = next(iter(anomaly.pretext_dataset(images, batch_size=300, seed=5)))[1].numpy()
    other = next(iter(anomaly.pretext_dataset(images, batch_size=300, seed=6)))[1].numpy()
    np.testing.assert_array_equal(labels, again)  # exact for a fixed seed
    assert not np.array_equal(labels, other)


def test_same_seed_same_images():
    image = _noise_image((32, 32))
    for label in range(3):
        first, mask_a = anomaly.apply_pretext(image, label, seed=(3, 4))
        second, mask_b = anomaly.apply_pretext(image, label, seed=(3, 4))
        np.testing.assert_array_equal(first, second)
        np.testing.assert_array_equal(mask_a, mask_b)


def test_normal_class_is_not_changed_geometrically():
    image = _noise_image()
    out, mask = anomaly.apply_pretext(image, 0, seed=1, config=anomaly.PretextConfig(**NO_JITTER))
    np.testing.assert_array_equal(out, image)
    assert int(tf.reduce_sum(mask)) == 0
    # With the default photometric jitter, every pixel keeps its place: the jittered image
    # is a per-channel monotone function of the input, so the correlation stays near 1.
    gray = np.repeat(_noise_image()[..., :1], 3, axis=-1)
    out, mask = anomaly.apply_pretext(gray, 0, seed=2)
    assert int(tf.reduce_sum(mask)) == 0
    assert np.corrcoef(gray[..., 0].ravel(), out.numpy()[..., 0].ravel())[0, 1] > 0.95
    assert np.allclose(out[..., 0], out[..., 1]) and np.allclose(out[..., 0], out[..., 2])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cutpaste_changes_a_region_of_the_expected_area(seed):
    config = anomaly.PretextConfig(
        patch_area=(0.1, 0.1), patch_aspect=(2.0, 2.0), patch_scale=(1.0, 1.0),
        polygon_probability=0.0, **NO_JITTER,
    )  # fmt: skip
    image = _noise_image(seed=seed)
    out, mask = anomaly.apply_pretext(image, 1, seed=seed, config=config)
    out, mask = out.numpy(), mask.numpy()[..., 0].astype(bool)
    assert out.shape == image.shape and mask.shape == image.shape[:2]
    assert abs(mask.sum() - 0.1 * 64 * 64) < 0.1 * 0.1 * 64 * 64  # rotated rectangle, ±10 %
    np.testing.assert_array_equal(out[~mask], image[~mask])  # nothing changes outside
    assert np.abs(out[mask] - image[mask]).mean() > 0.1  # the pasted content is different


def test_polygon_patch_is_inside_its_rectangle():
    config = anomaly.PretextConfig(
        patch_area=(0.1, 0.1), patch_scale=(1.0, 1.0), polygon_probability=1.0, **NO_JITTER
    )
    for seed in range(3):
        _, mask = anomaly.apply_pretext(_noise_image(), 1, seed=seed, config=config)
        area = int(tf.reduce_sum(mask))
        assert 0.3 * 0.1 * 64 * 64 < area < 0.1 * 64 * 64 * 1.05


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_scar_is_a_thin_strip_of_the_expected_area(seed):
    config = anomaly.PretextConfig(scar_width=(0.05, 0.05), scar_length=(0.25, 0.25), **NO_JITTER)
    image = _noise_image(seed=seed)
    out, mask = anomaly.apply_pretext(image, 2, seed=seed, config=config)
    mask = mask.numpy()[..., 0].astype(bool)
    expected = (0.05 * 64) * (0.25 * 64)
    assert 0.7 * expected < mask.sum() < 1.3 * expected
    np.testing.assert_array_equal(out.numpy()[~mask], image[~mask])


def test_pretext_dataset_shapes_and_masks():
    images = np.stack([_noise_image((24, 20), seed=i) for i in range(5)])
    ds = anomaly.pretext_dataset(images, batch_size=4, seed=0, with_masks=True)
    x, y, m = next(iter(ds))
    assert x.shape == (4, 24, 20, 3) and x.dtype == tf.float32
    assert y.shape == (4,) and y.dtype == tf.int32
    assert m.shape == (4, 24, 20, 1) and m.dtype == tf.int32
    assert float(tf.reduce_min(x)) >= 0.0 and float(tf.reduce_max(x)) <= 1.0
    for label, mask in zip(y.numpy(), m.numpy(), strict=True):
        assert (mask.sum() == 0) == (label == 0)
    finite = anomaly.pretext_dataset(images, batch_size=4, repeat=False)
    assert sum(len(b[1]) for b in finite) == 5


def test_pretext_bad_inputs():
    with pytest.raises(ValueError, match="patch_area"):
        anomaly.PretextConfig(patch_area=(0.3, 0.1))
    with pytest.raises(ValueError, match="hue"):
        anomaly.PretextConfig(hue=0.8)
    with pytest.raises(ValueError, match="label"):
        anomaly.apply_pretext(_noise_image(), 3, seed=0)
    with pytest.raises(ValueError, match="RGB"):
        anomaly.apply_pretext(np.zeros((8, 8, 1), np.float32), 0, seed=0)
    with pytest.raises(ValueError, match="float"):
        anomaly.apply_pretext(np.zeros((8, 8, 3), np.uint8), 0, seed=0)
    with pytest.raises(ValueError, match="images"):
        anomaly.pretext_dataset(np.zeros((2, 8, 8), np.float32))
