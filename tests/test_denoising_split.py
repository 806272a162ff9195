"""The denoising pool's held-out test: whole source photographs, seeded, never in training."""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
import pytest

from ssl_keras import denoising
from ssl_keras.datasets.synthetic import crops
from tests.test_denoising import TINY


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


def test_source_photo_reads_crop_names():
    assert crops.source_photo("data/photo_crops_64/00003_coffee.png") == "coffee"
    assert crops.source_photo("00012_hubble_deep_field.png") == "hubble_deep_field"
    assert crops.source_photo("pets/unlabeled/00003.png") is None
    assert crops.source_photo("my_photos/IMG_0001.jpg") is None


def test_photo_crops_name_their_photograph(tmp_path):
    root = crops.photo_crops(tmp_path / "crops", n=6, size=16, seed=1, names=("coffee", "moon"))
    files = sorted(p.name for p in root.glob("*.png"))
    assert [f[:5] for f in files] == [f"{i:05d}" for i in range(6)]
    assert {crops.source_photo(f) for f in files} <= {"coffee", "moon"}


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


def test_training_batches_and_compile_follow_the_recipe(tmp_path):
    tiny = dataclasses.replace(TINY, patch_size=8, steps=10)
    files = crops.photo_crops(tmp_path / "crops", n=12, size=16, seed=0).glob("*.png")
    files = sorted(str(f) for f in files)
    splits = {"train": files[:8], "val": files[8:]}
    train, val = denoising.training_batches(splits, tiny, seed=2)
    noisy, clean = next(iter(train))
    assert noisy.shape == clean.shape == (4, 8, 8, 3)
    assert [tuple(b[0].shape) for b in val] == [(4, 16, 16, 3)]
    model = denoising.compile_denoiser(denoising.build_denoiser(tiny), tiny)
    schedule = model.optimizer.get_config()["learning_rate"]
    assert schedule["class_name"] == "CosineDecay"
    assert schedule["config"]["decay_steps"] == tiny.steps
    assert schedule["config"]["initial_learning_rate"] == pytest.approx(tiny.learning_rate)
    assert isinstance(model.optimizer, keras.optimizers.Adam) and model.loss == "mae"
    first = model.evaluate(val, verbose=0)
    model.fit(train, steps_per_epoch=4, epochs=1, verbose=0)
    assert np.isfinite(first) and model.optimizer.iterations.numpy() == 4
