"""Lesson 08 of bench/lessons_real.py on a tiny generated COCO layout: native-resolution
scoring, the all-foreground, centre-prior and colour + edge baselines, the seeded split and
the record."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))  # bench/ is a folder of scripts, not a package
from scoreboard import coco, frame  # noqa: E402

TINY = coco.CocoForegroundConfig(
    size=32,
    split=(4, 2, 3),
    depth=2,
    base_filters=4,
    batch_size=4,
    max_epochs=2,
    patience=1,
    log_every=1,
)
HEIGHT, WIDTH = 40, 56


@pytest.fixture()
def sample(tmp_path) -> Path:
    """A ``coco_mini`` layout: 9 JPEGs with a bright box each, an instances JSON with one
    polygon per image and, on the first image, an extra crowd region as uncompressed RLE."""
    rng = np.random.default_rng(0)
    root = tmp_path / "data" / "coco_mini"
    (root / "val2017").mkdir(parents=True)
    (root / "annotations").mkdir()
    images, annotations = [], []
    for index in range(9):
        pixels = rng.integers(0, 80, (HEIGHT, WIDTH, 3))
        top, left = 8 + index % 3, 10 + 2 * index
        pixels[top : top + 20, left : left + 24] = 230
        name = f"{index + 1:012d}.jpg"
        tf.io.write_file(str(root / "val2017" / name), tf.io.encode_jpeg(pixels.astype(np.uint8)))
        images.append({"id": index + 1, "file_name": name, "height": HEIGHT, "width": WIDTH})
        x0, y0, x1, y1 = left, top, left + 24, top + 20
        annotations.append(
            {
                "id": index + 1,
                "image_id": index + 1,
                "category_id": 1,
                "iscrowd": 0,
                "area": 480.0,
                "bbox": [x0, y0, 24, 20],
                "segmentation": [[x0, y0, x1, y0, x1, y1, x0, y1]],
            }
        )
    # Column-major run lengths: the first 5 columns (5 * HEIGHT pixels) are a crowd.
    annotations.append(
        {
            "id": 100,
            "image_id": 1,
            "category_id": 1,
            "iscrowd": 1,
            "area": 5.0 * HEIGHT,
            "bbox": [0, 0, 5, HEIGHT],
            "segmentation": {
                "counts": [0, 5 * HEIGHT, (WIDTH - 5) * HEIGHT],
                "size": [HEIGHT, WIDTH],
            },
        }
    )
    document = {
        "images": images,
        "annotations": annotations,
        "categories": [{"id": 1, "name": "box", "supercategory": "shape"}],
    }
    (root / "annotations" / "instances_val2017.json").write_text(json.dumps(document))
    return root.parent


def test_native_scores_resize_each_map_to_its_mask():
    truth_a = np.zeros((6, 8), np.int32)
    truth_a[:, :4] = 1
    truth_b = np.ones((10, 4), np.int32)
    left_half = np.array([[1.0, 0.0]])  # a (1, 2) map: left half foreground at any size
    result = coco.native_scores([left_half, np.ones((3, 3))], [truth_a, truth_b])
    np.testing.assert_allclose(result["dice"], [1.0, 1.0])
    everything = coco.native_scores([np.ones((1, 1))], [truth_a])
    np.testing.assert_allclose(everything["dice"], [2 * 24 / (24 + 48)])
    np.testing.assert_allclose(everything["iou"], [0.5])
    with pytest.raises(ValueError, match="one probability map per mask"):
        coco.native_scores([left_half], [truth_a, truth_b])
    with pytest.raises(ValueError, match="one \\(h, w\\) map"):
        coco.resize_map(np.ones((2, 2, 1)), (4, 4))


def test_centre_prior_is_the_mask_frequency_at_the_best_level():
    masks = np.zeros((4, 4, 4), np.int32)
    masks[:, 1:3, 1:3] = 1  # every mask holds the centre
    masks[0, 0, 0] = 1  # one stray corner pixel
    prior, level = coco.centre_prior(masks[..., None], (0.2, 0.5, 0.9))
    assert prior.shape == (4, 4) and prior.dtype == np.float32
    assert prior[1, 1] == 1.0 and prior[0, 0] == 0.25 and prior[3, 3] == 0.0
    assert level == 0.5  # 0.2 takes in the corner, which only one mask has
    with pytest.raises(ValueError, match="non-empty batch"):
        coco.centre_prior(np.zeros((0, 4, 4)), (0.5,))
    with pytest.raises(ValueError, match="at least one level"):
        coco.centre_prior(masks, ())


def bright_boxes(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Dark noisy 32×32 RGB images (float32 in [0, 1]) with one bright box each at a random
    place, and the box masks, int32 ``(count, 32, 32)``."""
    rng = np.random.default_rng(seed)
    images = rng.uniform(0.0, 0.3, (count, 32, 32, 3)).astype(np.float32)
    masks = np.zeros((count, 32, 32), np.int32)
    for image, mask in zip(images, masks, strict=True):
        top, left = rng.integers(0, 20, 2)
        image[top : top + 10, left : left + 12] = rng.uniform(0.8, 1.0, 3)
        mask[top : top + 10, left : left + 12] = 1
    return images, masks


def test_pixel_features_shape_dtype_and_position():
    images, _ = bright_boxes(2, seed=0)
    features = coco.pixel_features(images[:, :, :24])
    assert features.shape == (2, 32, 24, 11) and features.dtype == np.float32
    assert np.isfinite(features).all()
    lightness, x, y, distance = (features[..., i] for i in (0, 8, 9, 10))
    assert 0.0 <= lightness.min() and lightness.max() <= 100.0
    assert x[0, 0, 0] < x[0, 0, -1] and y[0, 0, 0] < y[0, -1, 0]
    assert distance.max() <= np.sqrt(0.5) and distance[0, 16, 12] < distance[0, 0, 0]
    np.testing.assert_allclose(features[..., 3:6].mean(axis=(1, 2)), 0.0, atol=1e-3)
    assert coco.pixel_features(images[:1], sigmas=(1.0,)).shape == (1, 32, 32, 10)
    with pytest.raises(ValueError, match=r"\(N, H, W, 3\), got shape \(32, 32, 3\)"):
        coco.pixel_features(images[0])
    with pytest.raises(ValueError, match="divide 0–255 images by 255"):
        coco.pixel_features(images * 255)


def test_colour_edge_baseline_beats_all_foreground_on_held_out_boxes():
    from ssl_keras import segmentation

    train_images, train_masks = bright_boxes(6, seed=1)
    test_images, test_masks = bright_boxes(3, seed=2)
    classifier, level = coco.colour_edge_baseline(
        train_images, train_masks[..., None], TINY.prior_thresholds
    )
    assert level in TINY.prior_thresholds
    probabilities = classifier(test_images)
    assert probabilities.shape == (3, 32, 32) and probabilities.dtype == np.float32
    assert 0.0 <= probabilities.min() and probabilities.max() <= 1.0
    again, _ = coco.colour_edge_baseline(train_images, train_masks, TINY.prior_thresholds)
    np.testing.assert_array_equal(again(test_images), probabilities)  # seeded, deterministic
    ours = segmentation.binary_scores(probabilities >= level, test_masks)["dice"].mean()
    everything = segmentation.binary_scores(np.ones_like(test_masks), test_masks)["dice"].mean()
    assert everything < 0.3 and ours > 0.9


def test_colour_edge_baseline_rejects_bad_inputs():
    images, masks = bright_boxes(2, seed=0)
    with pytest.raises(
        ValueError, match=r"matching images \(2, 32, 32, 3\), got shape \(2, 16, 16\)"
    ):
        coco.colour_edge_baseline(images, masks[:, :16, :16], (0.5,))
    with pytest.raises(ValueError, match="non-empty RGB batch"):
        coco.colour_edge_baseline(images[..., :1], masks, (0.5,))
    with pytest.raises(ValueError, match="at least one level"):
        coco.colour_edge_baseline(images, masks, ())
    with pytest.raises(ValueError, match="only background"):
        coco.colour_edge_baseline(images, np.zeros_like(masks), (0.5,))


@pytest.mark.slow
def test_lesson_08_record_and_json(tmp_path, sample, capsys):
    context = frame.Context(sample, 1.0, (0, 1), tmp_path / "work")
    record = frame.run_lesson("08", context, config=TINY)
    assert record["lesson"] == "08" and record["budget_min"] == 1.0
    data = record["data"]
    assert data["images"] == 9 and data["split"] == {"train": 4, "val": 2, "test": 3}
    assert len(data["test_images"]) == 3
    assert record["ours"]["n"] == 2 and 0.0 <= record["ours"]["mean"] <= 1.0
    # All foreground on 40×56 images with a 24×20 box; the crowd adds 5 columns to image 1.
    box = 24 * 20
    expected = {}
    for name in data["test_images"]:
        area = box + (5 * HEIGHT if name == f"{1:012d}.jpg" else 0)
        expected[name] = 2 * area / (area + HEIGHT * WIDTH)
    all_foreground = record["baselines"]["all foreground"]
    assert all_foreground["mean"] == pytest.approx(np.mean(list(expected.values())))
    assert all_foreground["n"] == 1 and all_foreground["half"] == 0.0
    prior = [name for name in record["baselines"] if name.startswith("centre prior")]
    assert len(prior) == 1 and record["baselines"][prior[0]]["mean"] > all_foreground["mean"]
    details = record["details"]
    level = details["colour_edge_level"]
    colour_edge = f"colour + edge pixel classifier (≥ {level:.2f})"
    assert level in TINY.prior_thresholds
    assert record["baselines"][colour_edge]["mean"] > all_foreground["mean"] + 0.2
    assert {f"{colour_edge}, Dice", f"{colour_edge}, IoU"} <= {a["arm"] for a in details["arms"]}
    assert any(colour_edge in claim for claim in details["separation"])
    assert len(details["restored_epoch_of_epochs_run"]["U-Net"]) == 2
    assert details["goal"]["met"] == (details["goal"]["short_by"] == 0.0)
    assert record["anchor"]["value"] is None and record["anchor"]["why"]
    assert "restored the weights of epoch" in capsys.readouterr().out
    table = frame.format_record(record)
    assert "ours: U-Net" in table and "all foreground" in table
    path = frame.write_json([record], tmp_path / "out" / "scores.json")
    assert json.loads(path.read_text())[0]["ours"] == pytest.approx(record["ours"])


def test_lesson_08_errors_name_the_split_and_the_folder(tmp_path, sample):
    context = frame.Context(sample, 1.0, (0, 1), tmp_path / "work")
    too_many = dataclasses.replace(TINY, split=(6, 2, 3))
    with pytest.raises(ValueError, match="has 9 images"):
        frame.run_lesson("08", context, config=too_many)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match="coco_mini"):
        frame.run_lesson("08", dataclasses.replace(context, data=empty))
