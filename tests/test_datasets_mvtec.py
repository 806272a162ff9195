"""Tests of ssl_keras.datasets.mvtec: an MVTec AD category → (image, mask, label, defect)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from ssl_keras.datasets import mvtec


def test_mvtec_on_synthetic(sets):
    train = list(mvtec.mvtec_dataset(sets["mvtec"], "weave", "train", size=32).as_numpy_iterator())
    assert len(train) == 5 and all(m.max() == 0 and label == 0 for _, m, label, _ in train)
    test = list(mvtec.mvtec_dataset(sets["mvtec"], "weave", "test", size=32).as_numpy_iterator())
    assert len(test) == 3 + 3 * 2
    kinds = [k.decode() for *_, k in test]
    assert sorted(set(kinds)) == ["contamination", "good", "hole", "scratch"]
    for image, mask, label, kind in test:
        assert image.shape == (32, 32, 3) and mask.shape == (32, 32, 1) and mask.dtype == np.int32
        np.testing.assert_array_equal(
            image[..., 0], image[..., 2]
        )  # gray category → 3 equal channels
        assert set(np.unique(mask).tolist()) <= {0, 1}
        assert label == int(kind != b"good") and (mask.max() == 1) == (kind != b"good")
    assert mvtec.mvtec_categories(sets["mvtec"]) == ["cap", "weave"]


def test_mvtec_bad_inputs(sets, tmp_path):
    root = tmp_path / "mv"
    (root / "thing" / "test" / "good").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="train/good"):
        mvtec.mvtec_dataset(root, "thing")
    with pytest.raises(FileNotFoundError, match="nothing"):
        mvtec.mvtec_dataset(root, "nothing")
    source = sets["mvtec"] / "cap"
    (root / "cap" / "train" / "good").mkdir(parents=True)
    (root / "cap" / "test" / "crack").mkdir(parents=True)
    (root / "cap" / "train" / "good" / "000.png").write_bytes(
        (source / "train" / "good" / "000.png").read_bytes()
    )
    (root / "cap" / "test" / "crack" / "000.png").write_bytes(
        (source / "test" / "crack" / "000.png").read_bytes()
    )
    with pytest.raises(ValueError, match=r"crack/000\.png.*has no mask.*000_mask\.png"):
        mvtec.mvtec_dataset(root, "cap", "test")
    (root / "cap" / "ground_truth" / "crack").mkdir(parents=True)
    cv2.imwrite(
        str(root / "cap" / "ground_truth" / "crack" / "000_mask.png"), np.zeros((10, 10), np.uint8)
    )
    with pytest.raises(ValueError, match="000_mask.png"):
        mvtec.mvtec_dataset(root, "cap", "test")


def test_mvtec_mask_names_of_other_tools(sets, tmp_path):
    source = sets["mvtec"] / "weave"
    masks = sorted((source / "ground_truth" / "hole").glob("*_mask.png"))
    for scheme, pattern in (("{stem}.png", None), ("{stem}_gt.png", "{stem}_gt.png")):
        root = tmp_path / scheme.replace("{stem}", "x")
        for sub in ("train/good", "test/good", "test/hole"):
            (root / "weave" / sub).mkdir(parents=True)
            for file in (source / sub).glob("*.png"):
                (root / "weave" / sub / file.name).write_bytes(file.read_bytes())
        (root / "weave" / "ground_truth" / "hole").mkdir(parents=True)
        for mask in masks:
            stem = mask.name.removesuffix("_mask.png")
            renamed = root / "weave" / "ground_truth" / "hole" / scheme.format(stem=stem)
            renamed.write_bytes(mask.read_bytes())
        if pattern is not None:  # not one of the names tried by default
            with pytest.raises(ValueError, match=r"has no mask.*mask_pattern"):
                mvtec.mvtec_files(root, "weave", "test")
        images, found, labels, _ = mvtec.mvtec_files(root, "weave", "test", mask_pattern=pattern)
        assert [Path(m).name for m in found if m] == [
            scheme.format(stem=m.name.removesuffix("_mask.png")) for m in masks
        ]
        assert labels.count(1) == len(masks)
        served = list(mvtec.mvtec_dataset(root, "weave", "test", size=32, mask_pattern=pattern))
        assert sum(int(np.max(mask)) for _, mask, _, _ in served) == len(masks)
    with pytest.raises(ValueError, match="mask_pattern must be a file name containing"):
        mvtec.mvtec_files(root, "weave", "test", mask_pattern="gt.png")
