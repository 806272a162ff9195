"""Tests of ssl_keras.datasets.classfolders: class folders of mixed formats → (image, label)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from ssl_keras.datasets import classfolders


def test_class_folders_on_toy_pets(sets):
    ds, names = classfolders.class_folder_dataset(sets["pets"] / "train", size=(40, 36))
    items = list(ds.as_numpy_iterator())
    assert names == ["cat", "turtle"] and len(items) == 12
    images = np.stack([i for i, _ in items])
    labels = np.array([label for _, label in items])
    assert images.shape == (12, 40, 36, 3) and images.dtype == np.float32
    assert 0.0 <= images.min() and images.max() <= 1.0
    assert labels.dtype == np.int32 and labels.tolist() == [0] * 6 + [1] * 6


def _write_odd_images(folder: Path) -> list[str]:
    """One file of each awkward kind a web-scraped class folder holds."""
    from PIL import Image

    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 255, (30, 40, 3), dtype=np.uint8)
    cv2.imwrite(str(folder / "a.JPEG"), rgb)
    cv2.imwrite(str(folder / "b.bmp"), rgb)
    cv2.imwrite(str(folder / "c.webp"), rgb)
    cv2.imwrite(str(folder / "d.png"), rgb[..., 0])  # grayscale
    _, jpeg = cv2.imencode(".jpg", rgb)
    (folder / "lying.png").write_bytes(jpeg.tobytes())  # the name says PNG, the bytes are JPEG
    palette = Image.fromarray(rgb).convert("P", palette=Image.Palette.ADAPTIVE)
    palette.info["transparency"] = 0
    palette.save(folder / "e.png", transparency=0)
    Image.fromarray(np.dstack([rgb, np.full((30, 40), 128, np.uint8)])).save(folder / "f.png")
    return sorted(p.name for p in folder.iterdir())


def test_class_folders_read_mixed_formats(tmp_path):
    _write_odd_images(tmp_path / "odd")
    (tmp_path / "plain").mkdir()
    cv2.imwrite(str(tmp_path / "plain" / "x.jpg"), np.zeros((8, 8, 3), np.uint8))
    (tmp_path / ".ipynb_checkpoints").mkdir()  # ignored
    ds, names = classfolders.class_folder_dataset(tmp_path, size=16)
    items = list(ds.as_numpy_iterator())
    assert names == ["odd", "plain"] and len(items) == 8
    assert all(i.shape == (16, 16, 3) and 0 <= i.min() and i.max() <= 1 for i, _ in items)


def test_class_folders_corrupt_file_warns_or_raises(tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        cv2.imwrite(str(tmp_path / name / "ok.png"), np.zeros((8, 8, 3), np.uint8))
    (tmp_path / "a" / "broken.jpg").write_bytes(b"this is not an image")
    with pytest.warns(UserWarning, match="broken.jpg"):
        ds, _ = classfolders.class_folder_dataset(tmp_path, size=8)
    assert len(list(ds)) == 2
    with pytest.raises(ValueError, match="broken.jpg"):
        classfolders.class_folder_dataset(tmp_path, size=8, on_error="raise")


def test_class_folders_bad_layouts(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing"):
        classfolders.class_folder_dataset(tmp_path / "missing", size=8)
    (tmp_path / "cat").mkdir()
    cv2.imwrite(str(tmp_path / "cat" / "x.png"), np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(ValueError, match="at least two"):
        classfolders.class_folder_dataset(tmp_path, size=8)
    (tmp_path / "turtle").mkdir()
    with pytest.raises(ValueError, match="'turtle' has no image files"):
        classfolders.class_folder_dataset(tmp_path, size=8)
    with pytest.raises(ValueError, match="'dog' has no folder"):
        classfolders.class_folder_dataset(tmp_path, size=8, class_names=["cat", "dog"])
    with pytest.raises(ValueError, match="mode must be 'resize' or 'center_crop'"):
        classfolders.class_folder_dataset(tmp_path, size=8, mode="random_crop")
