"""Tests of ssl_keras.datasets.synthetic.street: SegNet layout, class colors, varied scenes."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
import skimage.color

from ssl_keras.datasets import palettes, synthetic
from ssl_keras.datasets.synthetic import street

SEGNET = {name: i for i, name in enumerate(palettes.CAMVID_CLASSES)}


@pytest.fixture(scope="module")
def scenes() -> list[tuple[np.ndarray, np.ndarray]]:
    """40 scenes (96×128): Lab image float64 (H, W, 3) and SegNet labels (H, W)."""
    rng = np.random.default_rng(7)
    out = []
    for _ in range(40):
        image, label32 = street.render_street(rng, 96, 128)
        out.append((skimage.color.rgb2lab(image), street.to_segnet_labels(label32)))
    return out


def _class_ab(scenes, name: str) -> np.ndarray:
    """Every pixel's (a, b) of one SegNet class, ``(N, 2)``."""
    return np.concatenate([lab[label == SEGNET[name], 1:] for lab, label in scenes])


def test_colors_follow_the_class(scenes):
    sky, tree = _class_ab(scenes, "Sky").mean(0), _class_ab(scenes, "Tree").mean(0)
    road, pavement = _class_ab(scenes, "Road"), _class_ab(scenes, "Pavement")
    assert sky[1] < -8  # blue
    assert tree[0] < -10 and tree[1] > 10  # green
    assert np.hypot(*road.mean(0)) < 5 and np.hypot(*pavement.mean(0)) < 8  # gray
    assert np.median(np.hypot(road[:, 0], road[:, 1])) < 8
    building = _class_ab(scenes, "Building")
    assert building[:, 0].mean() > 3 and building[:, 1].mean() > 5  # brick, beige, cream


def test_class_explains_most_of_the_color(scenes):
    """Knowing what a pixel is tells most of its color (as in photographs), so a colorizer
    that recognises things from L can predict ab."""
    first, rest = scenes[:30], scenes[30:]
    labels = np.concatenate([label.ravel() for _, label in rest])
    ab = np.concatenate([lab[..., 1:].reshape(-1, 2) for lab, _ in rest])
    means = np.zeros((palettes.CAMVID_VOID + 1, 2))
    for index in range(palettes.CAMVID_VOID + 1):
        pixels = np.concatenate([lab[label == index, 1:] for lab, label in first])
        means[index] = pixels.mean(0) if len(pixels) else 0.0
    residual = ((ab - means[labels]) ** 2).sum()
    total = ((ab - ab.mean(0)) ** 2).sum()
    assert 1 - residual / total > 0.5


def test_layouts_vary(scenes):
    horizons, building_sides, vanishing = [], [], []
    for _, label in scenes:
        sky_rows = np.flatnonzero((label == SEGNET["Sky"]).mean(1) > 0.3)
        horizons.append(sky_rows.max() if len(sky_rows) else 0)
        building = label == SEGNET["Building"]
        left, right = building[:, :64].mean(), building[:, 64:].mean()
        building_sides.append(int(left > 0.02) + int(right > 0.02))
        road_cols = np.flatnonzero(label == SEGNET["Road"]) % 128
        vanishing.append(np.median(road_cols))
    assert np.std(horizons) > 0.05 * 96  # camera height and pitch change
    assert {0, 1, 2} <= set(building_sides)  # open roads, one-sided and two-sided streets
    assert np.std(vanishing) > 0.05 * 128  # the road runs to different places


def test_marker_records_the_generator_version(tmp_path):
    root = synthetic.street_scenes(tmp_path / "s", 1, 1, 1, (48, 64))
    assert json.loads((root / ".complete.json").read_text())["version"] == street.VERSION


def test_street_scenes_layout(sets):
    root = sets["street"]
    for split, count in (("train", 6), ("val", 3), ("test", 3)):
        lines = (root / f"{split}.txt").read_text().splitlines()
        assert len(lines) == count
        assert (
            lines[0].startswith(f"/SegNet/CamVid/{split}/")
            and f" /SegNet/CamVid/{split}annot/" in lines[0]
        )
    label = cv2.imread(str(next((root / "trainannot").iterdir())), cv2.IMREAD_UNCHANGED)
    assert label.ndim == 2 and label.dtype == np.uint8 and label.max() <= 11
    labels = np.concatenate(
        [cv2.imread(str(p), cv2.IMREAD_UNCHANGED).ravel() for p in (root / "trainannot").iterdir()]
    )
    assert {0, 1, 3, 4, 8}.issubset(
        set(np.unique(labels).tolist())
    )  # sky, building, road, pavement, car
