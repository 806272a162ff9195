"""Tests of ssl_keras.datasets.synthetic.mvtec: graded synthetic defects."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ssl_keras.datasets import synthetic


def test_severity_tiers_run_from_obvious_to_subtle():
    tiers = synthetic.mvtec.severity_tiers(12)
    assert tiers == ["obvious"] * 4 + ["moderate"] * 4 + ["subtle"] * 4
    assert synthetic.mvtec.severity_tiers(2) == ["obvious", "moderate"]
    kinds = ["contamination"] * 3 + ["good"] * 2 + ["hole"] * 3
    np.testing.assert_array_equal(
        synthetic.mvtec.severities(kinds),
        ["obvious", "moderate", "subtle", "good", "good", "obvious", "moderate", "subtle"],
    )
    with pytest.raises(ValueError, match="n_test_defect"):
        synthetic.mvtec.severity_tiers(-1)
    with pytest.raises(ValueError, match="flat"):
        synthetic.mvtec.severities([["hole"]])


@pytest.mark.parametrize(
    "category, defect",
    [(c, d) for c, defects in synthetic.mvtec.DEFECTS.items() for d in defects],
)
def test_subtle_defects_change_the_image_far_less_than_obvious_ones(category, defect):
    # The same seed gives the same defect-free image underneath: the difference to it,
    # inside the mask, is what the defect changed.
    def change(severity, seed):
        good = synthetic.mvtec.render_good(np.random.default_rng(seed), category, 128)
        bad, mask = synthetic.mvtec.render_defect(
            np.random.default_rng(seed), category, defect, 128, severity
        )
        assert set(np.unique(mask).tolist()) == {0, 255}
        inside = mask > 0
        return np.abs(bad.astype(np.float32) - good)[inside].mean() / 255, inside.sum()

    obvious = [change(1.0, seed) for seed in range(4)]
    subtle = [change(0.0, seed) for seed in range(4)]
    assert np.mean([c for c, _ in subtle]) < 0.5 * np.mean([c for c, _ in obvious])
    assert np.mean([a for _, a in subtle]) < np.mean([a for _, a in obvious])  # smaller too
    with pytest.raises(ValueError, match="severity"):
        synthetic.mvtec.render_defect(np.random.default_rng(0), category, defect, 64, 1.5)


def test_mvtec_like_writes_tiers_in_file_order(tmp_path):
    root = synthetic.mvtec_like(
        tmp_path, ("weave",), n_train=2, n_test_good=1, n_test_defect=6, size=64, seed=3
    )
    areas = [
        (cv2.imread(str(path), cv2.IMREAD_GRAYSCALE) > 0).sum()
        for path in sorted((root / "weave" / "ground_truth" / "hole").glob("*_mask.png"))
    ]
    assert len(areas) == 6 and min(areas[:2]) > max(areas[4:])  # obvious holes are larger


def test_mvtec_like_layout(sets):
    root = sets["mvtec"]
    for category, defects in synthetic.mvtec.DEFECTS.items():
        assert len(list((root / category / "train" / "good").iterdir())) == 5
        for defect in defects:
            masks = sorted((root / category / "ground_truth" / defect).iterdir())
            assert [m.name for m in masks] == ["000_mask.png", "001_mask.png"]
            values = cv2.imread(str(masks[0]), cv2.IMREAD_UNCHANGED)
            assert set(np.unique(values).tolist()) == {0, 255}
    weave = cv2.imread(str(root / "weave" / "train" / "good" / "000.png"), cv2.IMREAD_UNCHANGED)
    assert weave.ndim == 2  # a grayscale category, like MVTec's grid
