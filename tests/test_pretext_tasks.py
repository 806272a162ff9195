"""Tests of ssl_keras.pretext.tasks: five pretext tasks on one U-Net encoder and budget."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from ssl_keras import color, models, pretext

TINY = pretext.PretextBudget(steps=4, batch_size=8, epochs=2, depth=2, base_filters=4, patch=4)


def _images(n=12, size=16, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).random((n, size, size, 3)).astype(np.float32)


@pytest.mark.parametrize("task", pretext.TASKS)
def test_every_task_batches_its_examples(task):
    element = next(iter(pretext.pretext_batches(task, _images(), TINY, seed=0)))
    assert element[0].shape == (8, 16, 16, 3)
    targets = {
        "denoising": (8, 16, 16, 3),
        "colorization": (8, 16, 16, 2),
        "cutpaste": (8,),
        "rotation": (8,),
        "inpainting": (8, 16, 16, 3),
    }
    assert element[1].shape == targets[task]
    assert len(element) == (3 if task == "inpainting" else 2)


def test_colorization_inputs_are_gray_and_targets_are_scaled_ab():
    images = _images(4)
    gray, ab = pretext.gray_and_ab(images)
    gray = gray.numpy()
    np.testing.assert_array_equal(gray[..., 0], gray[..., 1])
    np.testing.assert_array_equal(gray[..., 0], gray[..., 2])
    lab = color.rgb_to_lab(images).numpy()
    np.testing.assert_allclose(ab.numpy(), lab[..., 1:] / 100.0, atol=1e-6)


@pytest.mark.parametrize("task", pretext.TASKS)
def test_every_task_trains_the_same_encoder(task):
    model, unet = pretext.pretext_network(task, 16, TINY)
    reference = models.unet((16, 16, 3), depth=2, base_filters=4)
    encoder, expected = models.encoder_from(unet), models.encoder_from(reference)
    assert [w.shape for w in encoder.weights] == [w.shape for w in expected.weights]
    # The model trained shares the encoder's variables: training one trains the other.
    shared = {id(v) for v in model.weights}
    assert all(id(v) in shared for v in encoder.trainable_weights)


def test_training_moves_the_encoder_and_is_seeded():
    images = _images()
    first, history = pretext.train_pretext("rotation", images, TINY, seed=1)
    again, _ = pretext.train_pretext("rotation", images, TINY, seed=1)
    start = pretext.untrained_unet(16, TINY, seed=1)
    assert len(history["loss"]) == 2 and "accuracy" in history
    trained = models.encoder_from(first).weights
    for a, b in zip(trained, models.encoder_from(again).weights, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    initial = models.encoder_from(start).weights
    moved = [
        not np.array_equal(a.numpy(), c.numpy()) for a, c in zip(trained, initial, strict=True)
    ]
    assert any(moved)


def test_the_denoising_unet_starts_as_the_identity():
    _, unet = pretext.pretext_network("denoising", 16, TINY)
    images = _images(2)
    np.testing.assert_allclose(unet(images, training=False).numpy(), images, atol=1e-6)


def test_load_or_train_reuses_only_a_matching_cache(tmp_path):
    images = _images()
    first, trained = pretext.load_or_train("inpainting", images, tmp_path, TINY, seed=0)
    assert trained and (tmp_path / "inpainting_seed0.keras").is_file()
    again, trained_again = pretext.load_or_train("inpainting", images, tmp_path, TINY, seed=0)
    assert not trained_again
    for a, b in zip(first.weights, again.weights, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    other = dataclasses.replace(TINY, steps=6)
    assert pretext.load_or_train("inpainting", images, tmp_path, other, seed=0)[1]
    assert pretext.load_or_train("inpainting", images[:-1], tmp_path, other, seed=0)[1]
    random, made = pretext.load_or_train("random", images, tmp_path, TINY, seed=0)
    assert made and random.name == "random_unet"
    assert not list(tmp_path.glob("*.partial*"))


@pytest.mark.parametrize("task", pretext.TASKS)
def test_tasks_train_on_random_crops_and_read_whole_images_later(task):
    cropped = dataclasses.replace(TINY, crop=8)
    first = next(iter(pretext.pretext_batches(task, _images(), cropped, seed=0)))
    again = next(iter(pretext.pretext_batches(task, _images(), cropped, seed=0)))
    assert first[0].shape == (8, 8, 8, 3)
    np.testing.assert_array_equal(first[0].numpy(), again[0].numpy())
    _, unet = pretext.pretext_network(task, 16, cropped)
    features = pretext.encoder_features(unet, _images(3, size=24))
    assert features.shape == (3, 2 * 4 * 2**2)  # mean and SD of the bottleneck's channels


def test_crops_come_from_the_images():
    images = np.zeros((4, 16, 16, 3), np.float32)
    images[:, 4:8, 4:8] = 1.0  # one bright square: crops see it or part of it, or not
    cropped = dataclasses.replace(TINY, crop=8)
    clean = next(iter(pretext.pretext_batches("colorization", images, cropped, seed=0)))[0]
    assert set(np.unique(np.round(clean.numpy(), 4))) <= {0.0, 1.0}
    assert 0 < clean.numpy().mean() < 1


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(crop=12), r"multiple of 2\*\*depth = 8"),
        (dict(batch_size=6), "multiple of 4"),
        (dict(steps=5, epochs=2), "equal epochs"),
        (dict(ratio=1.0), "ratio"),
        (dict(sigma=0.0), "sigma"),
        (dict(depth=0), "depth"),
    ],
)
def test_bad_budgets_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        pretext.PretextBudget(**kwargs)


@pytest.mark.parametrize(
    "images, message",
    [
        (np.zeros((2, 16, 12, 3), np.float32), "square"),
        (np.zeros((2, 16, 16, 1), np.float32), "RGB"),
        (np.zeros((2, 16, 16, 3), np.uint8), "float"),
        (np.full((2, 16, 16, 3), 2.0, np.float32), r"\[0, 1\]"),
        (np.zeros((0, 16, 16, 3), np.float32), "empty"),
    ],
)
def test_bad_images_are_named(images, message):
    with pytest.raises(ValueError, match=message):
        pretext.pretext_batches("denoising", images, TINY)


def test_a_crop_larger_than_the_images_is_named():
    with pytest.raises(ValueError, match="larger than the images"):
        pretext.pretext_batches("rotation", _images(), dataclasses.replace(TINY, crop=32))


def test_unknown_task_lists_the_known_ones():
    with pytest.raises(ValueError, match="denoising, colorization, cutpaste, rotation"):
        pretext.pretext_batches("jigsaw", _images(), TINY)
    with pytest.raises(ValueError, match="jigsaw"):
        pretext.load_or_train("jigsaw", _images(), "unused", TINY)


def test_streams_are_seeded():
    for task in ("denoising", "colorization"):
        a = next(iter(pretext.pretext_batches(task, _images(), TINY, seed=3)))
        b = next(iter(pretext.pretext_batches(task, _images(), TINY, seed=3)))
        c = next(iter(pretext.pretext_batches(task, _images(), TINY, seed=4)))
        np.testing.assert_array_equal(a[0].numpy(), b[0].numpy())
        assert not np.array_equal(a[0].numpy(), c[0].numpy())
    assert tf.executing_eagerly()


@pytest.mark.parametrize("task", pretext.TASKS)
def test_examples_show_inputs_with_targets_or_classes(task):
    cells = pretext.examples(task, _images(), TINY, n=4, seed=0)
    assert len(cells) == 4
    for image, caption in cells:
        assert image.shape == (16, 16, 3) and 0.0 <= image.min() and image.max() <= 1.0
        assert isinstance(caption, str) and caption
    captions = [c for _, c in cells]
    if task == "rotation":
        assert captions == ["0°", "90°", "180°", "270°"]
        np.testing.assert_allclose(np.rot90(cells[0][0], 1), cells[1][0], atol=1e-6)
    elif task == "cutpaste":
        assert set(captions) <= {"normal", "cutpaste", "scar"}
    else:
        assert captions[0] != captions[1] and captions[0::2] == [captions[0]] * 2


def test_colorization_example_target_is_the_colour_image():
    images = _images()
    cells = pretext.examples("colorization", images, TINY, n=2, seed=0)
    gray, target = cells[0][0], cells[1][0]
    assert np.allclose(gray[..., 0], gray[..., 1])
    assert any(np.allclose(target, image, atol=2e-3) for image in images)


def test_examples_want_no_more_than_a_batch():
    with pytest.raises(ValueError, match="fewer than n=9"):
        pretext.examples("cutpaste", _images(), TINY, n=9)


def test_unlabeled_pool_of_a_small_profile(home):
    from ssl_keras import profiles

    small = dataclasses.replace(
        profiles.SMOKE,
        image_size=32,
        toy_pets=profiles.ToyPets(n_train=2, n_test=1, n_unlabeled=12),
        pretext=dataclasses.replace(profiles.SMOKE.pretext, image_size=32, n_unlabeled=10),
    )
    pool = pretext.unlabeled_pool(small)
    assert pool.shape == (10, 32, 32, 3) and pool.dtype == np.float32
    assert 0.0 <= pool.min() and pool.max() <= 1.0
    with pytest.raises(ValueError, match="n_unlabeled = 20"):
        pretext.unlabeled_pool(
            dataclasses.replace(small, pretext=dataclasses.replace(small.pretext, n_unlabeled=20))
        )
