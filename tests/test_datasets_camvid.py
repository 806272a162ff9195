"""Tests of ssl_keras.datasets.camvid: SegNet index and 32-color layouts → (image, mask)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from ssl_keras.datasets import camvid, palettes
from tests._data import first_element as _first


def test_camvid_on_street_scenes(sets):
    ds = camvid.camvid_dataset(sets["street"], "val", size=(36, 48))
    items = list(ds.as_numpy_iterator())
    assert len(items) == 3
    image, mask = items[0]
    assert image.shape == (36, 48, 3) and image.dtype == np.float32
    assert mask.shape == (36, 48, 1) and mask.dtype == np.int32
    assert 0 <= mask.min() and mask.max() <= palettes.CAMVID_VOID


def test_camvid_color_layout_matches_index_layout(sets):
    index = list(camvid.camvid_dataset(sets["street"], "train").as_numpy_iterator())
    color = list(camvid.camvid_color_dataset(sets["street"], "train").as_numpy_iterator())
    assert len(index) == len(color) == 6
    for (image_a, mask_a), (image_b, mask_b) in zip(index, color, strict=True):
        np.testing.assert_array_equal(image_a, image_b)
        np.testing.assert_array_equal(mask_a, mask_b)


def test_camvid_color_table_formats(sets, tmp_path):
    table_csv = camvid.read_color_table(sets["street"])
    (tmp_path / "label_colors.txt").write_text((sets["street"] / "label_colors.txt").read_text())
    assert camvid.read_color_table(tmp_path) == table_csv == palettes.CAMVID32_COLORS
    with pytest.raises(FileNotFoundError, match="class_dict.csv or label_colors.txt"):
        camvid.read_color_table(tmp_path / "nowhere")


def _camvid_pair(root: Path, name: str, label: np.ndarray, split: str = "train") -> None:
    (root / split).mkdir(parents=True, exist_ok=True)
    (root / f"{split}annot").mkdir(parents=True, exist_ok=True)
    image = palettes.CAMVID_PALETTE[label]
    cv2.imwrite(str(root / split / name), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(root / f"{split}annot" / name), label)


def test_camvid_image_and_mask_stay_aligned_after_resize(tmp_path):
    label = np.zeros((60, 80), np.uint8)
    label[:, 20:] = 3
    label[30:, 50:] = 8
    label[10:20, 5:15] = 5
    _camvid_pair(tmp_path, "x.png", label)
    image, mask = _first(camvid.camvid_dataset(tmp_path, "train", size=(45, 61)))
    expected = palettes.CAMVID_PALETTE[mask[..., 0]].astype(np.float32) / 255
    agreement = np.mean(np.abs(image - expected).max(axis=-1) < 0.05)
    assert agreement > 0.9  # only pixels on class borders are blended
    assert set(np.unique(mask).tolist()) == {0, 3, 5, 8}  # nearest: no invented classes


def test_camvid_bad_inputs(tmp_path):
    label = np.zeros((12, 16), np.uint8)
    _camvid_pair(tmp_path, "a.png", label)
    with pytest.raises(FileNotFoundError, match="nowhere"):
        camvid.camvid_dataset(tmp_path / "nowhere")
    cv2.imwrite(str(tmp_path / "train" / "b.png"), np.zeros((12, 16, 3), np.uint8))
    with pytest.raises(ValueError, match=r"b\.png.*has no mask"):
        camvid.camvid_dataset(tmp_path)
    (tmp_path / "train" / "b.png").unlink()
    cv2.imwrite(str(tmp_path / "trainannot" / "c.png"), label)
    with pytest.raises(ValueError, match=r"c\.png.*has no image"):
        camvid.camvid_dataset(tmp_path)
    (tmp_path / "trainannot" / "c.png").unlink()
    cv2.imwrite(str(tmp_path / "trainannot" / "a.png"), np.zeros((10, 16), np.uint8))
    with pytest.raises(ValueError, match=r"a\.png.*image"):
        camvid.camvid_dataset(tmp_path)
    cv2.imwrite(str(tmp_path / "trainannot" / "a.png"), np.full((12, 16), 14, np.uint8))
    with pytest.raises(ValueError, match="class index 14"):
        camvid.camvid_dataset(tmp_path)
    cv2.imwrite(str(tmp_path / "trainannot" / "a.png"), np.zeros((12, 16, 3), np.uint8))
    with pytest.raises(ValueError, match="3 channels"):
        camvid.camvid_dataset(tmp_path)
    cv2.imwrite(str(tmp_path / "trainannot" / "a.png"), label)
    (tmp_path / "train.txt").write_text(
        "/SegNet/CamVid/train/zz.png /SegNet/CamVid/trainannot/zz.png\n"
    )
    with pytest.raises(FileNotFoundError, match="zz.png"):
        camvid.camvid_dataset(tmp_path)
    (tmp_path / "train.txt").write_text(
        "/SegNet/CamVid/train/a.png /SegNet/CamVid/trainannot/a.png\n"
    )
    assert len(list(camvid.camvid_dataset(tmp_path))) == 1


def test_camvid_color_unknown_colors(sets, tmp_path):
    root = tmp_path / "colors"
    (root / "train").mkdir(parents=True)
    (root / "train_labels").mkdir()
    (root / "class_dict.csv").write_text((sets["street"] / "class_dict.csv").read_text())
    cv2.imwrite(str(root / "train" / "x.png"), np.zeros((8, 8, 3), np.uint8))
    label = np.zeros((8, 8, 3), np.uint8)  # Void
    label[:4] = palettes.CAMVID32_COLORS["Road"][::-1]
    label[0, 0] = (1, 2, 3)
    cv2.imwrite(str(root / "train_labels" / "x_L.png"), label)
    with pytest.raises(ValueError, match=r"x_L\.png.*not in the color table"):
        camvid.camvid_color_dataset(root)
    with pytest.warns(UserWarning, match="1 label file"):
        ds = camvid.camvid_color_dataset(root, on_unknown_color="warn")
    _, mask = _first(ds)
    assert mask[0, 0, 0] == 11 and mask[1, 0, 0] == 3 and mask[7, 7, 0] == 11
