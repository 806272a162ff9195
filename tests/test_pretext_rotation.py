"""Tests of ssl_keras.pretext.rotation: RotNet examples and the rotation classifier."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from ssl_keras import pretext, training


def _images(n=6, size=8, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).random((n, size, size, 3)).astype(np.float32)


def test_rotate_all_turns_the_batch_four_ways_with_labels():
    images = _images(3)
    rotated, labels = pretext.rotate_all(images)
    assert rotated.shape == (12, 8, 8, 3) and rotated.dtype == tf.float32
    np.testing.assert_array_equal(labels.numpy(), np.repeat(np.arange(4), 3))
    for k in range(4):
        expected = np.rot90(images, k, axes=(1, 2))
        np.testing.assert_array_equal(rotated.numpy()[3 * k : 3 * k + 3], expected)


@pytest.mark.parametrize(
    "images, message",
    [
        (np.zeros((2, 8, 6, 3), np.float32), "square"),
        (np.zeros((8, 8, 3), np.float32), r"\(B, H, W, C\)"),
    ],
)
def test_rotate_all_rejects_non_square_and_unbatched(images, message):
    with pytest.raises(ValueError, match=message):
        pretext.rotate_all(images)


def test_batches_are_balanced_seeded_and_cover_every_image():
    images = _images(6)
    first = [b for b in pretext.rotation_dataset(images, 8, seed=3, repeat=False)]
    again = [b for b in pretext.rotation_dataset(images, 8, seed=3, repeat=False)]
    other = [b for b in pretext.rotation_dataset(images, 8, seed=4, repeat=False)]
    assert [len(y) for _, y in first] == [8, 8, 8]  # 6 images × 4 rotations
    for _, y in first:
        assert np.bincount(y.numpy(), minlength=4).tolist() == [2, 2, 2, 2]
    for (x1, _), (x2, _) in zip(first, again, strict=True):
        np.testing.assert_array_equal(x1.numpy(), x2.numpy())
    assert not all(
        np.array_equal(a[0].numpy(), b[0].numpy()) for a, b in zip(first, other, strict=True)
    )
    # Without flips, the unrotated quarter of the pass is the images themselves, reordered.
    plain = pretext.rotation_dataset(images, 8, seed=3, repeat=False, flip=False)
    seen = np.concatenate([x.numpy()[y.numpy() == 0] for x, y in plain])
    assert sorted(map(bytes, seen)) == sorted(map(bytes, images))


def test_flips_mirror_some_images_but_never_change_the_upright_label():
    image = _images(1)
    stream = pretext.rotation_dataset(np.repeat(image, 16, axis=0), 64, seed=0, repeat=False)
    x, y = next(iter(stream))
    upright = x.numpy()[y.numpy() == 0]
    mirrored = np.array([np.array_equal(u, image[0, :, ::-1]) for u in upright])
    unchanged = np.array([np.array_equal(u, image[0]) for u in upright])
    assert (mirrored | unchanged).all() and mirrored.any() and unchanged.any()


def test_dataset_input_and_endless_stream():
    images = tf.data.Dataset.from_tensor_slices(_images(5, size=12))
    x, y = next(iter(pretext.rotation_dataset(images, 12, seed=0)))
    assert x.shape == (12, 12, 12, 3) and y.shape == (12,)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(images=_images(2), batch_size=6), "multiple of 4.*use 8"),
        (dict(images=_images(2, size=8)[:, :, :6], batch_size=8), "square"),
        (dict(images=np.zeros((0, 8, 8, 3), np.float32), batch_size=8), "empty"),
        (dict(images=np.zeros((2, 8, 8, 3), np.uint8), batch_size=8), "float"),
        (
            dict(images=tf.data.Dataset.from_tensor_slices(np.zeros((2, 8, 6, 3))), batch_size=8),
            "square",
        ),
        (
            dict(
                images=tf.data.Dataset.from_tensor_slices(np.zeros((2, 8, 8, 3))).batch(2),
                batch_size=8,
            ),
            "single",
        ),
    ],
)
def test_bad_input_is_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        pretext.rotation_dataset(**kwargs)


def test_model_gives_four_logits():
    model = pretext.rotation_model((16, 16, 3), depth=2, base_filters=4, hidden=8)
    assert model(np.zeros((2, 16, 16, 3), np.float32)).shape == (2, 4)


@pytest.mark.slow
def test_a_small_encoder_learns_which_way_is_up():
    # Dark at the top, bright at the bottom, plus noise: the orientation is in every pixel.
    rng = np.random.default_rng(0)
    ramp = np.linspace(0.0, 1.0, 16, dtype=np.float32)[None, :, None, None]
    images = np.clip(ramp + 0.2 * rng.standard_normal((64, 16, 16, 3)), 0, 1).astype(np.float32)
    tf.keras.utils.set_random_seed(0)
    model = pretext.rotation_model((16, 16, 3), depth=2, base_filters=8, hidden=16)
    training.compile_model(
        model,
        "adam",
        tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        ["accuracy"],
    )
    model.fit(
        pretext.rotation_dataset(images[:48], 32, seed=0), epochs=1, steps_per_epoch=60, verbose=0
    )
    held_out = pretext.rotation_dataset(images[48:], 32, seed=1, repeat=False, shuffle=False)
    accuracy = model.evaluate(held_out, verbose=0, return_dict=True)["accuracy"]
    assert accuracy > 0.8, accuracy  # chance is 0.25
