"""Tests of ssl_keras.pipelines: image datasets, random crops, noisy pairs, batching, holdout."""

import warnings

import numpy as np
import pytest
import tensorflow as tf

from ssl_keras import image_files, pipelines


@pytest.mark.parametrize("mode", ["resize", "center_crop", "random_crop"])
@pytest.mark.parametrize("size", [16, (13, 29), 64])
def test_image_dataset_sizes(image_folder, mode, size):
    paths = image_files.list_image_files(image_folder)
    images = pipelines.to_numpy(pipelines.image_dataset(paths, size, mode=mode, seed=1))
    height, width = (size, size) if isinstance(size, int) else size
    assert images.shape == (len(paths), height, width, 3)
    assert images.min() >= 0.0 and images.max() <= 1.0


def test_random_crops_are_seeded(image_folder):
    paths = image_files.list_image_files(image_folder)

    def crops(seed):
        return pipelines.to_numpy(pipelines.image_dataset(paths, 8, "random_crop", seed=seed))

    assert np.array_equal(crops(3), crops(3))
    assert not np.array_equal(crops(3), crops(4))


def test_random_crops_change_every_pass_without_repeat(image_folder):
    """Each epoch over a dataset that is not repeated sees new windows, reproducibly."""
    paths = image_files.list_image_files(image_folder)
    dataset = pipelines.image_dataset(paths, 8, "random_crop", seed=3)
    first, second = pipelines.to_numpy(dataset), pipelines.to_numpy(dataset)
    assert not np.array_equal(first, second)
    again = pipelines.image_dataset(paths, 8, "random_crop", seed=3)
    assert np.array_equal(pipelines.to_numpy(again), first)
    assert np.array_equal(pipelines.to_numpy(again), second)


def test_full_frame_random_crop_is_the_whole_image(image_folder):
    path = str(image_folder / "plain.jpg")
    crop = pipelines.to_numpy(pipelines.image_dataset([path], (20, 30), "random_crop"))[0]
    assert np.array_equal(crop, image_files.read_image(tf.constant(path)).numpy())


def test_batches_of_pairs(image_folder):
    paths = image_files.list_image_files(image_folder)
    clean = pipelines.image_dataset(paths, 16, "random_crop", seed=0)
    ds = pipelines.batch(pipelines.noisy_pairs(clean, "mixed", seed=0), 4, shuffle=10)
    noisy, target = next(iter(ds))
    assert noisy.shape == target.shape == (4, 16, 16, 3)
    assert noisy.dtype == tf.float32


def test_bad_arguments(image_folder):
    paths = image_files.list_image_files(image_folder)
    with pytest.raises(ValueError, match="mode"):
        pipelines.image_dataset(paths, 16, mode="zoom")
    with pytest.raises(ValueError, match="size"):
        pipelines.image_dataset(paths, (0, 16))
    with pytest.raises(ValueError, match="empty"):
        pipelines.image_dataset([], 16)
    clean = pipelines.image_dataset(paths, 16)
    with pytest.raises(ValueError, match="needs a level"):
        pipelines.noisy_pairs(clean, "gaussian")
    with pytest.raises(ValueError, match="Unknown noise"):
        pipelines.noisy_pairs(clean, "blur", 0.1)
    with pytest.raises(ValueError, match="batch_size"):
        pipelines.batch(clean, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        image_files.list_image_files(image_folder)  # a clean folder gives no warning


def test_noisy_batches_match_shapes_and_are_seeded(image_folder):
    paths = image_files.list_image_files(image_folder)
    clean = pipelines.image_dataset(paths, 16, "center_crop")

    def first(seed):
        return next(iter(pipelines.noisy_batches(clean, 4, "gaussian", 0.1, seed=seed)))

    noisy, target = first(0)
    assert noisy.shape == target.shape == (4, 16, 16, 3)
    assert np.array_equal(noisy, first(0)[0]) and not np.array_equal(noisy, first(1)[0])
    with pytest.raises(ValueError, match="batch_size"):
        pipelines.noisy_batches(clean, 0)


def test_holdout_splits_first_elements_for_validation():
    pairs = tf.data.Dataset.range(10)
    train, val = pipelines.holdout(pairs, n_val=3, n_train=4)
    assert list(val.as_numpy_iterator()) == [0, 1, 2]
    assert list(train.as_numpy_iterator()) == [3, 4, 5, 6]
    train_all, _ = pipelines.holdout(pairs, n_val=3)
    assert list(train_all.as_numpy_iterator()) == list(range(3, 10))


def test_holdout_refuses_to_leave_no_training_data():
    with pytest.raises(ValueError, match=r"has 8 elements.*n_val=8.*lower n_val"):
        pipelines.holdout(tf.data.Dataset.range(8), n_val=8)
    with pytest.raises(ValueError, match="n_val must be an int"):
        pipelines.holdout(tf.data.Dataset.range(8), n_val=0)


def test_noisy_batches_are_batch_then_noise(image_folder):
    paths = image_files.list_image_files(image_folder)
    clean = pipelines.image_dataset(paths, 8, "center_crop")
    batches = pipelines.batch(clean, 3, shuffle=4, seed=2, drop_remainder=True, prefetch=False)
    expected = pipelines.to_numpy(pipelines.noisy_pairs(batches, "gaussian", 0.1, seed=2))
    noisy = pipelines.noisy_batches(
        clean, 3, "gaussian", 0.1, seed=2, shuffle=4, drop_remainder=True
    )
    for got, want in zip(pipelines.to_numpy(noisy), expected, strict=True):
        np.testing.assert_array_equal(got, want)
    assert len(expected[0]) == len(paths) // 3 * 3


def test_image_stream_takes_arrays_and_datasets_of_single_images():
    images = np.random.default_rng(0).random((3, 4, 5, 3))
    ds, count = pipelines.image_stream(images)
    assert count == 3 and ds.element_spec.shape == (4, 5, 3)
    assert ds.element_spec.dtype == tf.float32
    np.testing.assert_allclose(np.stack(list(ds.as_numpy_iterator())), images, rtol=1e-6)
    passed, none = pipelines.image_stream(ds)
    assert passed is ds and none is None


@pytest.mark.parametrize(
    "images, kwargs, message",
    [
        (np.zeros((2, 4, 4, 1), np.float32), dict(channels=3), r"\(N, H, W, 3\)"),
        (np.zeros((2, 4, 4, 3), np.uint8), {}, "float"),
        (np.zeros((4, 4, 3), np.float32), {}, r"\(N, H, W, C\)"),
        (np.zeros((0, 4, 4, 3), np.float32), dict(what="good image"), "one good image"),
        (tf.data.Dataset.from_tensor_slices(np.zeros((4, 4, 4, 3))).batch(2), {}, "single"),
    ],
)
def test_image_stream_names_bad_input(images, kwargs, message):
    with pytest.raises(ValueError, match=message):
        pipelines.image_stream(images, **kwargs)
