"""Photo splits per profile or folder, colour photos as tf.data, Lab batches, mean ab."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import tensorflow as tf

from ssl_keras import color, colorization, image_files, pipelines
from ssl_keras.datasets import download
from tests._data import coco_folder, write_image


def _is_gray(path: str) -> bool:
    image = cv2.imread(path).astype(np.int16)
    return int(np.abs(np.diff(image, axis=-1)).max()) <= 8


def test_photo_splits_smoke_generates_the_offline_sets(tmp_path, monkeypatch):
    monkeypatch.setenv("SSL_KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(colorization.data, "SMOKE_STREET_SCENES", {"train": 4, "val": 2, "test": 2})
    monkeypatch.setattr(colorization.data, "SMOKE_PHOTO_CROPS", {"train": 3, "val": 1, "test": 1})
    splits = colorization.photo_splits("smoke")
    assert {k: len(v) for k, v in splits.items()} == {"train": 7, "val": 3, "test": 3}
    assert all(f.startswith(str(tmp_path / "data" / "colorize")) for f in sum(splits.values(), []))
    assert Path(splits["test"][0]).parent.name == "test"  # a street scene of the test split
    assert len(set(sum(splits.values(), []))) == 13
    assert colorization.photo_splits("smoke") == splits


def test_photo_splits_full_is_coco_val2017(tmp_path, monkeypatch):
    folder = coco_folder(tmp_path)
    calls = []

    def fetch(name, root, *args, **kwargs):
        calls.append((name, Path(root)))
        return folder.parent

    monkeypatch.setenv("SSL_KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(download, "fetch_dataset", fetch)
    splits = colorization.photo_splits("full", seed=0)
    assert calls == [("coco", tmp_path / "data")]
    everything = sorted(str(p) for p in folder.glob("*.jpg"))
    n = len(everything)
    assert {k: len(v) for k, v in splits.items()} == {
        "train": n - 2 * (n // 10),
        "val": n // 10,
        "test": n // 10,
    }
    assert sorted(sum(splits.values(), [])) == everything  # disjoint and complete
    assert colorization.photo_splits("full", seed=0) == splits
    assert colorization.photo_splits("full", seed=1)["test"] != splits["test"]


def test_photo_splits_user_folder(tmp_path):
    rng = np.random.default_rng(0)
    for i in range(20):
        sub = tmp_path / "photos" / ("a" if i % 2 else "b")
        sub.mkdir(parents=True, exist_ok=True)
        write_image(sub / f"{i}.png", rng.integers(0, 256, (20, 24, 3), dtype=np.uint8))
    splits = colorization.photo_splits("smoke", data=tmp_path / "photos", seed=3)
    assert {k: len(v) for k, v in splits.items()} == {"train": 16, "val": 2, "test": 2}
    assert len(set(sum(splits.values(), []))) == 20
    few = tmp_path / "few"
    few.mkdir()
    write_image(few / "one.png", np.zeros((20, 20, 3), np.uint8))
    with pytest.raises(ValueError, match="at least 3 photos"):
        colorization.photo_splits("smoke", data=few)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        colorization.photo_splits("smoke", data=tmp_path / "missing")


def test_color_images_skip_gray_photos(tmp_path):
    files = sorted(str(p) for p in coco_folder(tmp_path).glob("*.jpg"))
    gray = [f for f in files if _is_gray(f)]
    assert gray  # COCO val2017 has black-and-white photos stored as RGB JPEGs
    dataset = colorization.color_images(files, 32)
    assert len(dataset) == len(files) - len(gray)
    kept = pipelines.to_numpy(dataset)
    assert kept.shape == (len(files) - len(gray), 32, 32, 3)
    assert color.mean_chroma(kept).numpy().min() >= colorization.MIN_CHROMA
    everything = pipelines.to_numpy(colorization.color_images(files, 32, min_chroma=0))
    assert everything.shape[0] == len(files)
    # the gray ones are usable (ab = 0), just not worth training on
    lightness, ab = color.split_lab(image_files.load_image(gray[0], 32))
    assert float(tf.reduce_max(tf.abs(ab))) < 2.0 and float(tf.reduce_max(lightness)) > 0


def test_color_images_crops_flips_and_seeds(tmp_path):
    rng = np.random.default_rng(0)
    files = [write_image(tmp_path / f"{i}.png", rng.integers(0, 256, (40, 60, 3), np.uint8))
             for i in range(4)]  # fmt: skip
    evaluation = pipelines.to_numpy(colorization.color_images(files, 32))
    expected = pipelines.to_numpy(pipelines.image_dataset(files, 32, mode="center_crop"))
    np.testing.assert_allclose(evaluation, expected, atol=1 / 255 + 1e-6)  # uint8 cache
    training = colorization.color_images(files, 32, training=True, seed=5)
    first, second = pipelines.to_numpy(training), pipelines.to_numpy(training)
    assert first.shape == (4, 32, 32, 3) and first.dtype == np.float32
    assert not np.array_equal(first, second)  # new crops, flips and order every epoch
    again = pipelines.to_numpy(colorization.color_images(files, 32, training=True, seed=5))
    np.testing.assert_array_equal(first, again)  # the same seed, the same sequence
    with pytest.raises(ValueError, match="files is empty"):
        colorization.color_images([], 32)
    gray = write_image(tmp_path / "gray.png", np.full((40, 40, 3), 99, np.uint8))
    with pytest.raises(ValueError, match="are gray"):
        colorization.color_images([gray], 32)
    assert (
        len(colorization.lab_batches(colorization.color_images(files, 32, training=True), 3)) == 2
    )
    with pytest.raises(ValueError, match="batch_size"):
        colorization.lab_batches(colorization.color_images(files, 32), 0)


def test_mean_ab_of_arrays_and_datasets():
    rng = np.random.default_rng(4)
    images = rng.random((6, 8, 8, 3)).astype(np.float32)
    expected = color.rgb_to_lab(images).numpy()[..., 1:].reshape(-1, 2).mean(axis=0)
    np.testing.assert_allclose(colorization.mean_ab(images), expected, atol=1e-3)
    dataset = tf.data.Dataset.from_tensor_slices(images)
    np.testing.assert_allclose(colorization.mean_ab(dataset), expected, atol=1e-3)
    np.testing.assert_allclose(colorization.mean_ab(dataset.batch(4)), expected, atol=1e-3)
