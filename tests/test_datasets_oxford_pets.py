"""Tests of ssl_keras.datasets.oxford_pets: trimaps, species and breed labels, quirks."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from ssl_keras.datasets import oxford_pets


@pytest.fixture
def pets_root(tmp_path):
    """A tiny copy of the Oxford-IIIT Pet layout with its real quirks."""
    images = tmp_path / "images"
    trimaps = tmp_path / "annotations" / "trimaps"
    images.mkdir()
    trimaps.mkdir(parents=True)
    rows = [("Abyssinian_1", 1, 1, 1), ("Abyssinian_2", 1, 1, 1), ("beagle_1", 2, 2, 1)]
    for i, (stem, *_rest) in enumerate(rows):
        rgb = np.full((24, 32, 3), 40 * (i + 1), np.uint8)
        # one ".jpg" that really holds PNG bytes, as in the real archive
        Image.fromarray(rgb).save(images / f"{stem}.jpg", format="PNG" if i == 1 else "JPEG")
        trimap = np.full((24, 32), 2, np.uint8)  # background
        trimap[6:18, 8:24] = 1  # pet
        trimap[6, 8:24] = 3  # border
        Image.fromarray(trimap).save(trimaps / f"{stem}.png")
    (trimaps / "._Abyssinian_1.png").write_bytes(b"\x00\x05\x16\x07 resource fork")
    lines = ["#Image CLASS-ID SPECIES BREED ID"] + [" ".join(map(str, r)) for r in rows]
    for split in ("list", "trainval", "test"):
        (tmp_path / "annotations" / f"{split}.txt").write_text("\n".join(lines) + "\n")
    return tmp_path


def test_trimaps_become_background_pet_border(pets_root):
    ds, names = oxford_pets.oxford_pets_dataset(pets_root, "trainval")
    assert names == ["background", "pet", "border"]
    pairs = list(ds.as_numpy_iterator())
    assert len(pairs) == 3
    image, mask = pairs[0]
    assert image.shape == (24, 32, 3) and mask.shape == (24, 32, 1) and mask.dtype == np.int32
    assert mask[0, 0, 0] == 0 and mask[10, 10, 0] == 1 and mask[6, 10, 0] == 2
    assert set(np.unique(mask)) == {0, 1, 2}


def test_resize_keeps_classes(pets_root):
    ds, _ = oxford_pets.oxford_pets_dataset(pets_root, "test", size=(13, 17))
    image, mask = next(ds.as_numpy_iterator())
    assert image.shape == (13, 17, 3) and mask.shape == (13, 17, 1)
    assert set(np.unique(mask)) <= {0, 1, 2}


def test_species_and_breed_labels(pets_root):
    ds, names = oxford_pets.oxford_pets_dataset(pets_root, "list", size=16, task="species")
    assert names == ["cat", "dog"]
    assert [int(label) for _, label in ds.as_numpy_iterator()] == [0, 0, 1]
    ds, names = oxford_pets.oxford_pets_dataset(pets_root, "list", task="breed")
    assert names == ["Abyssinian", "beagle"]


def test_bad_inputs(pets_root, tmp_path_factory):
    with pytest.raises(ValueError, match="split"):
        oxford_pets.oxford_pets_dataset(pets_root, "val")
    with pytest.raises(ValueError, match="task"):
        oxford_pets.oxford_pets_dataset(pets_root, task="depth")
    with pytest.raises(FileNotFoundError, match="annotations"):
        oxford_pets.oxford_pets_dataset(tmp_path_factory.mktemp("empty"))
    Image.fromarray(np.full((24, 32), 7, np.uint8)).save(
        pets_root / "annotations" / "trimaps" / "beagle_1.png"
    )
    with pytest.raises(ValueError, match="beagle_1.png"):
        oxford_pets.oxford_pets_dataset(pets_root)
    (pets_root / "annotations" / "trimaps" / "beagle_1.png").unlink()
    with pytest.raises(FileNotFoundError, match="beagle_1.png"):
        oxford_pets.oxford_pets_dataset(pets_root)
    (pets_root / "images" / "Abyssinian_2.jpg").unlink()
    with pytest.raises(FileNotFoundError, match="Abyssinian_2.jpg"):
        oxford_pets.oxford_pets_dataset(pets_root, task="species")
    (pets_root / "annotations" / "test.txt").write_text("Abyssinian_1 99 1 1\n")
    with pytest.raises(ValueError, match="out of range"):
        oxford_pets.read_split(pets_root, "test")
