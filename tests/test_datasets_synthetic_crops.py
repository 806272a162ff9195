"""Tests of ssl_keras.datasets.synthetic.crops: seeded photo crops named after their photograph."""

from __future__ import annotations

import cv2
import pytest

from ssl_keras.datasets.synthetic import crops


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


def test_crops_are_size_squared_rgb(tmp_path):
    root = crops.photo_crops(tmp_path / "crops", n=3, size=24, seed=0, names=("coffee", "moon"))
    for path in root.glob("*.png"):
        image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        assert image.shape == (24, 24, 3) and image.dtype.name == "uint8"


def test_same_seed_same_bytes_other_seed_other_crops(tmp_path):
    def written(folder: str, seed: int) -> dict[str, bytes]:
        root = crops.photo_crops(tmp_path / folder, n=4, size=16, seed=seed, names=("coffee",))
        return {path.name: path.read_bytes() for path in sorted(root.glob("*.png"))}

    first = written("a", 3)
    assert written("b", 3) == first
    assert written("c", 4) != first


@pytest.mark.parametrize(("n", "size"), [(0, 16), (4, 7)])
def test_bad_count_or_size_names_both(tmp_path, n, size):
    with pytest.raises(ValueError, match=rf"n must be ≥ 1 and size ≥ 8, got n={n}, size={size}\."):
        crops.photo_crops(tmp_path / "crops", n=n, size=size)
