"""Tests of ssl_keras.denoising.data: the unlabeled pool, its held-out test by whole source
photographs (seeded, never in training), noisy batches and mixed noise (tiny sizes)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from ssl_keras import denoising, paths
from ssl_keras.datasets import download, synthetic
from ssl_keras.datasets.synthetic import crops
from tests.test_denoising_recipes import TINY


def _pool(n_photos: int = 6, crops_per_photo: int = 10, n_single: int = 60) -> list[str]:
    """File names as the generated pool has them: crops named after their photograph, then
    single-source images."""
    names = [f"photo_{chr(ord('a') + k)}" for k in range(n_photos)]
    files = [
        f"crops/{k * crops_per_photo + i:05d}_{name}.png"
        for k, name in enumerate(names)
        for i in range(crops_per_photo)
    ]
    return files + [f"pets/unlabeled/{i:05d}.png" for i in range(n_single)]


def test_pool_sources_group_crops_by_photograph():
    files = _pool(n_photos=2, crops_per_photo=2, n_single=2)
    sources = denoising.pool_sources(files)
    assert sources[:4] == ["photo:photo_a", "photo:photo_a", "photo:photo_b", "photo:photo_b"]
    assert sources[4:] == files[4:]  # every other image is its own source


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_test_photographs_give_no_training_or_validation_image(seed):
    files = _pool()
    sources = denoising.pool_sources(files)
    splits = denoising.split_pool(files, n_val=10, n_test=20, seed=seed, sources=sources)
    source_of = dict(zip(files, sources, strict=True))
    used = {name: {source_of[f] for f in part} for name, part in splits.items()}
    assert not used["test"] & (used["train"] | used["val"])
    assert sorted(sum(splits.values(), [])) == sorted(files)
    # 60 crops of 120 files: half of the 20 test images are crops, i.e. one whole photograph
    test_photos = {s for s in used["test"] if s.startswith("photo:")}
    assert len(test_photos) == 1
    assert len(splits["test"]) == 20 and len(splits["val"]) == 10


def test_the_seed_picks_the_test_photographs():
    files = _pool(n_photos=12, crops_per_photo=5, n_single=60)
    sources = denoising.pool_sources(files)

    def photos(seed):
        test = denoising.split_pool(files, 10, 20, seed, sources)["test"]
        return {crops.source_photo(f) for f in test} - {None}

    assert photos(4) == photos(4)
    assert len({frozenset(photos(seed)) for seed in range(6)}) > 1


def test_without_sources_every_file_is_its_own_and_test_is_exact():
    files = _pool()
    splits = denoising.split_pool(files, n_val=7, n_test=9, seed=0)
    assert (len(splits["test"]), len(splits["val"])) == (9, 7)
    test_photos = {crops.source_photo(f) for f in splits["test"]} - {None}
    train_photos = {crops.source_photo(f) for f in splits["train"]} - {None}
    assert test_photos & train_photos  # crops are not kept together without sources


def test_split_pool_rejects_bad_sources_and_too_few_left():
    files = _pool(n_photos=2, crops_per_photo=10, n_single=0)
    with pytest.raises(ValueError, match="one source per file"):
        denoising.split_pool(files, 2, 2, sources=["a"] * 3)
    # test takes a whole photograph (10 crops): 10 left for 9 validation images + training
    with pytest.raises(ValueError, match="too few for 10 validation"):
        denoising.split_pool(files, 10, 2, sources=denoising.pool_sources(files))


def test_split_pool_is_disjoint_and_seeded():
    files = [f"f{i}.png" for i in range(20)]
    a = denoising.split_pool(files, n_val=3, n_test=4, seed=1)
    b = denoising.split_pool(files, n_val=3, n_test=4, seed=1)
    assert a == b
    assert (len(a["train"]), len(a["val"]), len(a["test"])) == (13, 3, 4)
    assert sorted(a["train"] + a["val"] + a["test"]) == sorted(files)
    with pytest.raises(ValueError, match="too few"):
        denoising.split_pool(files[:5], n_val=3, n_test=4)
    with pytest.raises(ValueError, match="n_val"):
        denoising.split_pool(files, n_val=0, n_test=4)


def test_pool_and_noisy_batches(home):
    files = denoising.pool_files(TINY)
    assert len(files) == TINY.n_photo_crops + TINY.n_unlabeled
    assert all(str(home) in f for f in files)
    train = denoising.noisy_dataset(files, 16, 4, training=True, patch_size=8, seed=3)
    noisy, clean = next(iter(train))
    assert noisy.shape == clean.shape == (4, 8, 8, 3)
    assert 0.0 <= float(np.min(noisy)) and float(np.max(noisy)) <= 1.0
    again, _ = next(
        iter(denoising.noisy_dataset(files, 16, 4, training=True, patch_size=8, seed=3))
    )
    np.testing.assert_array_equal(noisy, again)
    impulses, clean = next(iter(denoising.noisy_dataset(files, 16, 4, "salt_and_pepper")))
    changed = np.any(impulses.numpy() != clean.numpy(), axis=-1)
    assert 0.01 < changed.mean() < 0.1  # 5 % of the pixels, minus those already 0 or 1
    with pytest.raises(ValueError, match="level"):
        denoising.noisy_dataset(files, 16, 4, "speckle")


def test_mixed_noise_share_and_seed():
    images = np.full((64, 8, 8, 3), 0.5, np.float32)
    noisy = denoising.mixed_noise(images, seed=3, gaussian_share=0.75).numpy()
    impulse_only = np.all(np.isin(noisy, [0.0, 0.5, 1.0]).reshape(64, -1), axis=1)
    assert 0.1 < impulse_only.mean() < 0.4  # about a quarter got salt-and-pepper
    np.testing.assert_array_equal(noisy, denoising.mixed_noise(images, 3, 0.75).numpy())
    assert np.all(np.isin(denoising.mixed_noise(images, 1, 0.0).numpy(), [0.0, 0.5, 1.0]))
    with pytest.raises(ValueError, match="gaussian_share"):
        denoising.mixed_noise(images, 0, 1.5)


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
