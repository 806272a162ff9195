"""The labeled data of the study (tiny sizes): the class folders of a profile, splits read
into memory, the label counts that fit and steps per epoch."""

from __future__ import annotations

import numpy as np
import pytest

from ssl_keras import paths, profiles, transfer
from ssl_keras.datasets import download, synthetic


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


def test_load_split_names_the_files_it_could_not_decode(tmp_path):
    import cv2

    rng = np.random.default_rng(5)
    for name in ("cat", "turtle"):
        (tmp_path / name).mkdir()
        for i in range(4 if name == "cat" else 3):
            pixels = rng.integers(0, 256, (20, 24, 3), dtype=np.uint8)
            assert cv2.imwrite(str(tmp_path / name / f"{i}.jpg"), pixels)
    whole = (tmp_path / "cat" / "3.jpg").read_bytes()
    (tmp_path / "cat" / "3.jpg").write_bytes(whole[: len(whole) // 2])  # a truncated download
    # Files are checked per class folder: 1 of the cat folder's 4 is skipped.
    with pytest.warns(UserWarning, match=r"Skipped 1 of 4 image files.*cat/3\.jpg"):
        images, labels, names = transfer.load_split(tmp_path, 16)
    assert images.shape == (6, 16, 16, 3) and names == ["cat", "turtle"]
    assert np.bincount(labels).tolist() == [3, 3]


def test_sample_per_class_and_split():
    labels = np.array([0] * 6 + [1] * 4)
    picked = transfer.sample_per_class(labels, 3, seed=0)
    assert np.bincount(labels[picked]).tolist() == [3, 3]
    np.testing.assert_array_equal(picked, transfer.sample_per_class(labels, 3, seed=0))
    with pytest.raises(ValueError, match="Class 1 has 4"):
        transfer.sample_per_class(labels, 5)
    train, val = transfer.split_per_class(labels, 1, seed=0)
    assert len(val) == 2 and len(np.intersect1d(train, val)) == 0 and len(train) == 8


def test_load_split_rejects_one_class_and_empty_class(tmp_path):
    root = synthetic.toy_pets(tmp_path / "pets", n_train=3, n_test=1, n_unlabeled=0, size=16)
    x, y, names = transfer.load_split(root / "train", 16)
    assert x.shape == (6, 16, 16, 3) and names == ["cat", "turtle"]
    assert np.bincount(y).tolist() == [3, 3]
    with pytest.raises(ValueError, match="at least two"):
        transfer.load_split(root / "train", 16, class_names=["cat"])
    (root / "train" / "dog").mkdir()
    with pytest.raises(ValueError, match="'dog' has no image files"):
        transfer.load_split(root / "train", 16)


def test_repeated_batches_are_full_seeded_and_endless():
    x = np.arange(5, dtype=np.float32)[:, None]
    y = np.arange(5) % 2

    def first(seed, count=7):
        batches = transfer.repeated_batches(x, y, 2, seed=seed).take(count)
        return [(bx.numpy()[:, 0].tolist(), by.numpy().tolist()) for bx, by in batches]

    batches = first(0)
    assert len(batches) == 7 and all(len(bx) == len(by) == 2 for bx, by in batches)
    assert all(by == [int(v) % 2 for v in bx] for bx, by in batches)  # pairs stay together
    assert batches == first(0) and batches != first(1)
    with pytest.raises(ValueError, match="batch_size"):
        transfer.repeated_batches(x, y, 0)
