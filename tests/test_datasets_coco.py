"""Tests of ssl_keras.datasets.coco: COCO instances → foreground or category masks."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ssl_keras.datasets import coco
from tests._data import first_element as _first


def test_coco_foreground_and_category_masks(sets, tmp_path):
    from pycocotools.coco import COCO

    ds, names = coco.coco_dataset(sets["coco"], "val2017", cache_dir=tmp_path / "fg")
    assert names == ["background", "foreground"]
    api = COCO(str(sets["coco"] / "annotations" / "instances_val2017.json"))
    first_id = sorted(api.getImgIds())[0]
    union = np.zeros((api.imgs[first_id]["height"], api.imgs[first_id]["width"]), bool)
    for ann in api.loadAnns(api.getAnnIds(imgIds=[first_id], iscrowd=None)):
        union |= api.annToMask(ann).astype(bool)
    image, mask = _first(ds)
    assert image.shape[:2] == mask.shape[:2] == union.shape
    np.testing.assert_array_equal(mask[..., 0], union.astype(np.int32))  # crowd RLE included
    ds, names = coco.coco_dataset(
        sets["coco"], "val2017", size=(32, 40), mode="category", cache_dir=tmp_path / "cat"
    )
    assert names == ["background", "disk", "square", "triangle", "star"]
    masks = np.stack([m for _, m in ds.as_numpy_iterator()])
    assert masks.shape == (5, 32, 40, 1) and masks.max() <= 4 and masks.max() >= 1


def test_coco_bad_inputs(sets, tmp_path):
    document = json.loads((sets["coco"] / "annotations" / "instances_train2017.json").read_text())
    root = tmp_path / "coco"
    (root / "annotations").mkdir(parents=True)
    (root / "train2017").mkdir()
    for info in document["images"][1:]:
        (root / "train2017" / info["file_name"]).write_bytes(
            (sets["coco"] / "train2017" / info["file_name"]).read_bytes()
        )
    (root / "annotations" / "instances_train2017.json").write_text(json.dumps(document))
    missing = document["images"][0]["file_name"]
    with pytest.raises(FileNotFoundError, match=missing):
        coco.coco_dataset(root, "train2017")
    with pytest.warns(UserWarning, match="Skipped 1 COCO images"):
        ds, _ = coco.coco_dataset(root, "train2017", on_missing="warn")
    assert len(list(ds)) == len(document["images"]) - 1
    document["images"][1]["height"] += 3
    (root / "annotations" / "instances_train2017.json").write_text(json.dumps(document))
    with (
        pytest.raises(ValueError, match=document["images"][1]["file_name"]),
        pytest.warns(UserWarning),
    ):
        coco.coco_dataset(root, "train2017", on_missing="warn")
    with pytest.raises(FileNotFoundError, match="instances_val2017.json"):
        coco.coco_dataset(root, "val2017")
