"""Color jitter and lockstep image + mask augmentation."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from ssl_keras import augment


def _blocky_pair(height: int = 48, width: int = 48, seed: int = 0):
    """An image of 8×8 blocks whose red channel is 0.1 or 0.9, and the mask red > 0.5:
    a mask drawn from the image, so any misalignment shows."""
    rng = np.random.default_rng(seed)
    blocks = rng.random((height // 8, width // 8, 3)).astype(np.float32)
    blocks[..., 0] = np.where(blocks[..., 0] > 0.5, 0.9, 0.1)
    image = np.kron(blocks, np.ones((8, 8, 1), np.float32))
    mask = (image[..., :1] > 0.5).astype(np.int32)
    return tf.constant(image), tf.constant(mask)


def _photo(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((16, 16, 3)).astype(np.float32)


def test_color_jitter_is_seeded_and_stays_in_range():
    image = _photo()
    strengths = {"brightness": 0.5, "contrast": 0.5, "saturation": 0.5, "hue": 0.2}
    first = augment.color_jitter(image, (1, 2), **strengths).numpy()
    again = augment.color_jitter(image, (1, 2), **strengths).numpy()
    other = augment.color_jitter(image, (1, 3), **strengths).numpy()
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    assert first.dtype == np.float32 and first.shape == image.shape
    assert 0.0 <= first.min() and first.max() <= 1.0
    assert not np.allclose(first, image)


def test_color_jitter_without_strength_is_the_identity():
    image = _photo(1)
    np.testing.assert_array_equal(augment.color_jitter(image, 5).numpy(), image)


def test_color_jitter_keeps_gray_images_gray():
    gray = np.repeat(_photo(2)[..., :1], 3, axis=-1)
    out = augment.color_jitter(gray, 3, 0.2, 0.2, 0.2, 0.1).numpy()
    assert np.allclose(out[..., 0], out[..., 1]) and np.allclose(out[..., 0], out[..., 2])


@pytest.mark.parametrize(
    "name, value",
    [("brightness", -0.1), ("contrast", 1.5), ("saturation", 2.0), ("hue", 0.6)],
)
def test_color_jitter_rejects_a_bad_strength_by_name(name, value):
    with pytest.raises(ValueError, match=name):
        augment.color_jitter(_photo(), 0, **{name: value})


@pytest.mark.parametrize("seed", range(6))
def test_geometric_augmentation_keeps_image_and_mask_aligned(seed):
    image, mask = _blocky_pair()
    options = {"hflip": True, "vflip": True, "rotate90": True, "color_jitter": 0.0}
    no_crop_image, no_crop_mask = augment.augment_pair(
        image, mask, seed, crop_scale=None, **options
    )
    np.testing.assert_array_equal(no_crop_mask.numpy(), (no_crop_image.numpy()[..., :1] > 0.5))
    cropped_image, cropped_mask = augment.augment_pair(
        image, mask, seed, crop_scale=(0.3, 0.6), **options
    )
    assert cropped_image.shape == image.shape and cropped_mask.shape == mask.shape
    assert cropped_mask.dtype == tf.int32
    agreement = np.mean(cropped_mask.numpy() == (cropped_image.numpy()[..., :1] > 0.5))
    assert agreement > 0.97, agreement  # bilinear vs nearest differ only on block borders
    assert set(np.unique(cropped_mask.numpy())) <= {0, 1}


def test_color_jitter_changes_only_the_image():
    image, mask = _blocky_pair()
    plain = augment.augment_pair(image, mask, 7, color_jitter=0.0)
    jittered = augment.augment_pair(image, mask, 7, color_jitter=0.3)
    np.testing.assert_array_equal(plain[1].numpy(), jittered[1].numpy())
    assert not np.allclose(plain[0].numpy(), jittered[0].numpy())
    assert 0.0 <= jittered[0].numpy().min() and jittered[0].numpy().max() <= 1.0


def test_augmentation_is_seeded_and_keeps_non_square_shapes():
    image, mask = _blocky_pair(32, 48)
    a = augment.augment_pair(image, mask, (3, 4), vflip=True, rotate90=True)
    b = augment.augment_pair(image, mask, (3, 4), vflip=True, rotate90=True)
    c = augment.augment_pair(image, mask, (3, 5), vflip=True, rotate90=True)
    np.testing.assert_array_equal(a[0].numpy(), b[0].numpy())
    assert not np.array_equal(a[0].numpy(), c[0].numpy())
    for seed in range(8):
        out_image, out_mask = augment.augment_pair(image, mask, seed, rotate90=True)
        assert out_image.shape == (32, 48, 3) and out_mask.shape == (32, 48, 1)


def test_augment_dataset_is_reproducible_and_new_each_epoch():
    pairs = [_blocky_pair(seed=s) for s in range(4)]
    ds = tf.data.Dataset.from_tensor_slices(
        (np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs]))
    )
    augmented = augment.augment_dataset(ds, seed=5, rotate90=True)
    first = [m for _, m in augmented.as_numpy_iterator()]
    second = [m for _, m in augmented.as_numpy_iterator()]
    again = [m for _, m in augment.augment_dataset(ds, seed=5, rotate90=True).as_numpy_iterator()]
    assert any(not np.array_equal(x, y) for x, y in zip(first, second, strict=True))
    for x, y in zip(first, again, strict=True):
        np.testing.assert_array_equal(x, y)
    for image, mask in augmented.as_numpy_iterator():
        assert np.mean(mask == (image[..., :1] > 0.5)) > 0.9  # jitter may shift a few blocks


def test_bad_augmentation_options():
    image, mask = _blocky_pair()
    ds = tf.data.Dataset.from_tensors((image, mask)).repeat(5)
    with pytest.raises(ValueError, match="crop_scale"):
        augment.augment_dataset(ds, crop_scale=(0.8, 0.2))
    with pytest.raises(ValueError, match="color_jitter"):
        augment.augment_pair(image, mask, 0, color_jitter=2.0)
