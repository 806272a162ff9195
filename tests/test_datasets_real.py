"""The real-format loaders on samples of the real datasets (skipped when absent)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ssl_keras.datasets import camvid, classfolders, coco, denoise_sets, mvtec
from tests._data import shared


def test_camvid_segnet_sample():
    root = shared("camvid_segnet")
    items = list(camvid.camvid_dataset(root, "val", size=(180, 240)).as_numpy_iterator())
    assert len(items) == 20
    image, mask = items[0]
    assert (
        image.shape == (180, 240, 3)
        and image.dtype == np.float32
        and 0 <= image.min() <= image.max() <= 1
    )
    assert mask.shape == (180, 240, 1) and mask.dtype == np.int32
    classes = np.unique(np.concatenate([m.ravel() for _, m in items]))
    assert classes.min() >= 0 and classes.max() <= 11 and len(classes) >= 10
    assert len(camvid.camvid_files(root, "train")[0]) == 60  # train.txt prefixes rewritten


def test_camvid_sample_alignment_after_resize():
    root = shared("camvid_segnet")
    full_image, full_mask = next(iter(camvid.camvid_dataset(root, "val").as_numpy_iterator()))
    small_image, small_mask = next(
        iter(camvid.camvid_dataset(root, "val", size=(90, 120)).as_numpy_iterator())
    )
    # Nearest resize by 4: each small label is one of the labels in its 4x4 source block.
    blocks = full_mask[..., 0].reshape(90, 4, 120, 4).transpose(0, 2, 1, 3).reshape(90, 120, 16)
    assert np.all((blocks == small_mask[..., :1]).any(axis=-1))
    # Antialiased bilinear by 4 ≈ the block average of the image.
    means = full_image.reshape(90, 4, 120, 4, 3).mean(axis=(1, 3))
    assert np.abs(means - small_image).mean() < 0.02


def test_mvtec_grid_sample():
    root = shared("mvtec_ad")
    train = list(mvtec.mvtec_dataset(root, "grid", "train", size=128).as_numpy_iterator())
    assert len(train) == 25 and train[0][0].shape == (128, 128, 3)
    test = list(mvtec.mvtec_dataset(root, "grid", "test", size=256).as_numpy_iterator())
    assert len(test) == 14
    labels = np.array([label for _, _, label, _ in test])
    assert labels.sum() == 11 and (labels == 0).sum() == 3
    for image, mask, label, _ in test:
        np.testing.assert_array_equal(image[..., 0], image[..., 1])  # grayscale category
        assert set(np.unique(mask).tolist()) <= {0, 1}
        assert (mask.max() == 1) == bool(label)


def test_coco_mini_sample(tmp_path):
    root = shared("coco_mini")
    ds, names = coco.coco_dataset(root, "val2017", size=96, cache_dir=tmp_path / "fg")
    masks = np.stack([m for _, m in ds.as_numpy_iterator()])
    assert names == ["background", "foreground"] and masks.shape == (79, 96, 96, 1)
    assert set(np.unique(masks).tolist()) == {0, 1}
    ds, names = coco.coco_dataset(
        root, "val2017", size=64, mode="category", cache_dir=tmp_path / "cat"
    )
    assert len(names) == 81 and max(int(m.max()) for _, m in ds.as_numpy_iterator()) <= 80
    document = json.loads((root / "annotations" / "instances_val2017.json").read_text())
    crowd_image = next(a["image_id"] for a in document["annotations"] if a["iscrowd"])
    stem = f"{crowd_image:012d}"
    from pycocotools.coco import COCO

    api = COCO(str(root / "annotations" / "instances_val2017.json"))
    crowd = [a for a in api.loadAnns(api.getAnnIds(imgIds=[crowd_image], iscrowd=True))]
    stored = __import__("cv2").imread(str(tmp_path / "fg" / f"{stem}.png"), 0)
    assert stored[api.annToMask(crowd[0]).astype(bool)].min() == 1  # crowd RLE is foreground


def test_cats_and_turtles_as_two_classes():
    cats = shared("cats_turtles", "cat_web")
    turtles = [
        shared("cats_turtles", "turtle_roboflow", split, "images")
        for split in ("train", "valid", "test")
    ]
    ds, names = classfolders.class_folder_dataset({"cat": cats, "turtle": turtles}, size=64)
    items = list(ds.as_numpy_iterator())
    labels = np.array([label for _, label in items])
    assert names == ["cat", "turtle"] and (labels == 0).sum() == 40 and (labels == 1).sum() == 40
    images = np.stack([i for i, _ in items])
    assert images.shape == (80, 64, 64, 3) and 0 <= images.min() and images.max() <= 1


@pytest.mark.parametrize(("name", "count"), [("BSD68", 68), ("Set12", 12)])
def test_denoise_sets(name, count):
    folder = shared("denoise", name)
    images = list(denoise_sets.denoise_dataset(folder, gray=True).as_numpy_iterator())
    assert len(images) == count
    assert all(i.ndim == 3 and i.shape[-1] == 1 and i.dtype == np.float32 for i in images)
    assert {i.shape[:2] for i in images} <= {(321, 481), (481, 321), (256, 256), (512, 512)}
