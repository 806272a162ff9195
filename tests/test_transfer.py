"""Transfer helpers of notebooks 03 and 04: data of a profile, streamed feature summaries,
label counts, steps per epoch and balanced scores (tiny sizes)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from ssl_keras import denoising, models, paths, profiles, transfer
from ssl_keras.datasets import download, synthetic

TINY = dataclasses.replace(
    denoising.recipe("smoke"), image_size=16, patch_size=16, base_filters=4, depth=2
)


@pytest.fixture()
def home(tmp_path, monkeypatch):
    """Data and artifacts under a temporary folder."""
    monkeypatch.setenv("SSL_KERAS_HOME", str(tmp_path))
    return tmp_path


@pytest.fixture(scope="module")
def extractor():
    """Every level of a tiny random U-Net (trained BatchNorm statistics are not needed)."""
    tf.keras.utils.set_random_seed(0)
    return models.feature_extractor(denoising.build_denoiser(TINY))


def test_streamed_statistics_equal_the_in_memory_result(extractor):
    images = np.random.default_rng(0).random((7, 16, 16, 3), dtype=np.float32)
    maps = extractor.predict(images, verbose=0)
    streamed = transfer.feature_statistics(extractor, images, batch_size=3)
    assert list(streamed.pooled) == list(maps) == ["enc1", "enc2", "bottleneck"]
    for level, full in maps.items():
        assert streamed.pooled[level].shape == (7, full.shape[-1])
        assert streamed.pooled[level].dtype == np.float32
        np.testing.assert_allclose(streamed.pooled[level], full.mean(axis=(1, 2)), atol=1e-5)
        assert streamed.mean_activation[level] == pytest.approx(float(full.mean()), abs=1e-5)
        assert streamed.inactive_fraction[level] == pytest.approx(float((full <= 0).mean()))
    from_dataset = transfer.pooled_features(
        extractor, tf.data.Dataset.from_tensor_slices((images, np.zeros(7))).batch(4)
    )
    for level in maps:
        np.testing.assert_allclose(from_dataset[level], streamed.pooled[level], atol=1e-5)


def test_feature_statistics_of_an_encoder_and_bad_inputs(extractor):
    encoder = models.encoder_from(denoising.build_denoiser(TINY), level=1)
    images = np.random.default_rng(1).random((5, 16, 16, 3), dtype=np.float32)
    pooled = transfer.pooled_features(encoder, images, batch_size=2)
    assert list(pooled) == ["features"] and pooled["features"].shape == (5, 4)
    with pytest.raises(ValueError, match="non-empty batch"):
        transfer.feature_statistics(extractor, images[:0])
    with pytest.raises(ValueError, match="non-empty batch"):
        transfer.feature_statistics(extractor, images[0])
    with pytest.raises(ValueError, match="batch_size"):
        transfer.feature_statistics(extractor, images, batch_size=0)
    empty = tf.data.Dataset.from_tensor_slices(images[:0]).batch(2)
    with pytest.raises(ValueError, match="images is empty"):
        transfer.feature_statistics(extractor, empty)


def test_fitting_label_counts_keep_what_the_smallest_class_supplies():
    # Balanced CIFAR cats vs turtles: 500 per class, 14 per class kept for validation.
    labels = np.repeat([0, 1], 500 - 14)
    assert transfer.fitting_label_counts(profiles.FULL.label_counts, labels) == (
        10,
        25,
        50,
        100,
        250,
    )
    unbalanced = np.array([0] * 30 + [1] * 12)
    assert transfer.fitting_label_counts((5, 10, 25), unbalanced) == (5, 10)
    with pytest.raises(ValueError, match="smallest class has 12"):
        transfer.fitting_label_counts((25, 50), unbalanced)
    with pytest.raises(ValueError, match="≥ 1"):
        transfer.fitting_label_counts((0, 5), unbalanced)
    with pytest.raises(ValueError, match="empty"):
        transfer.fitting_label_counts((5,), [])


def test_steps_per_epoch_never_zero():
    assert transfer.steps_per_epoch(100, 16) == 6
    assert transfer.steps_per_epoch(32, 32) == 1
    with pytest.raises(ValueError, match="20 training examples are fewer than one batch of 32"):
        transfer.steps_per_epoch(20, 32)
    with pytest.raises(ValueError, match="n_examples"):
        transfer.steps_per_epoch(0, 32)
    with pytest.raises(ValueError, match="batch_size"):
        transfer.steps_per_epoch(10, 0)


def test_constant_answers_score_one_half_balanced():
    # Identical images: every arm can only give one answer for all test images.
    x = np.full((8, 16, 16, 3), 0.5, np.float32)
    y = np.array([0, 1] * 4)
    x_test = np.full((12, 16, 16, 3), 0.5, np.float32)
    y_test = np.array([0] * 9 + [1] * 3)
    encoder = models.encoder_from(denoising.build_denoiser(TINY), level=1)
    rows = transfer.label_efficiency(
        encoder, x, y, x_test, y_test, (2,), seeds=(0,), steps=2, batch_size=4, verbose=False
    )
    assert len(rows) == len(transfer.METHODS)
    for row in rows:
        assert row["balanced_accuracy"] == 0.5, row
        assert row["accuracy"] in (0.75, 0.25), row
    assert transfer.summarize(rows)["scratch"]["mean"] == [0.5]
    assert transfer.summarize(rows, "accuracy")["scratch"]["mean"][0] in (0.75, 0.25)
    with pytest.raises(ValueError, match="no 'auroc'"):
        transfer.summarize(rows, "auroc")


def test_labeled_root_smoke_generates_the_toy_pets(home):
    root = transfer.labeled_root("smoke")
    assert root == paths.data_dir("synthetic", "toy_pets")
    x, y, names = transfer.load_split(root / "test", 64)
    assert names == ["cat", "turtle"] and np.bincount(y).tolist() == [100, 100]


def test_labeled_root_full_uses_the_cifar_download(home, monkeypatch):
    calls = []

    def fake_cifar(root, **options):
        calls.append(root)
        return synthetic.toy_pets(root, n_train=3, n_test=2, n_unlabeled=0, size=32)

    monkeypatch.setattr(download, "cifar_cats_turtles", fake_cifar)
    root = transfer.labeled_root("full")
    assert calls == [paths.data_dir("cifar_cats_turtles")] and root == calls[0]
    x, y, _ = transfer.load_split(root / "train", 128)
    assert x.shape == (6, 128, 128, 3) and np.bincount(y).tolist() == [3, 3]


def test_pool_files_full_are_the_coco_val2017_photos(home, monkeypatch):
    def fake_fetch(name, root="data", **options):
        assert name == "coco" and root == paths.data_dir()
        folder = root / "coco"
        synthetic.photo_crops(folder / "val2017", n=9, size=24, seed=0)
        return folder

    monkeypatch.setattr(download, "fetch_dataset", fake_fetch)
    chosen = denoising.recipe("full")
    assert chosen.pool == "coco_val2017" and (chosen.n_val, chosen.n_test) == (500, 500)
    files = denoising.pool_files(chosen)
    assert len(files) == 9 and all("val2017" in f for f in files)
    small = dataclasses.replace(chosen, n_val=2, n_test=3)
    splits = denoising.split_pool(denoising.pool_files(small), small.n_val, small.n_test, 5)
    assert [len(splits[k]) for k in ("train", "val", "test")] == [4, 2, 3]
    with pytest.raises(ValueError, match="Unknown pool"):
        denoising.pool_files(dataclasses.replace(chosen, pool="imagenet"))


def test_data_and_artifacts_follow_ssl_keras_home(tmp_path, monkeypatch):
    # As on Colab with Drive mounted: a folder that does not exist yet, "~" allowed.
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("SSL_KERAS_HOME", "~/drive/MyDrive/ssl-keras")
    drive = tmp_path / "drive" / "MyDrive" / "ssl-keras"
    assert paths.data_dir("cifar_cats_turtles") == drive / "data" / "cifar_cats_turtles"
    assert denoising.artifacts_folder() == drive / "artifacts" / "denoiser"
    assert (drive / "artifacts" / "denoiser").is_dir()  # created for the denoiser to land in
