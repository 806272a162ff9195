"""Lesson 06 of bench/lessons_real.py on a tiny generated MVTec AD layout: the trivial
detector, the record of the whole recipe and a clear error for a missing category."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))  # bench/ is a folder of scripts, not a package
from scoreboard import frame, grid  # noqa: E402

TINY = grid.GridConfig(
    size=32,
    tile=16,
    tiles_per_image=4,
    epochs=2,
    patience=1,
    steps_per_epoch=2,
    batch_size=4,
    train_share=0.5,
)


def _write_png(path: Path, pixels: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tf.io.write_file(str(path), tf.io.encode_png(tf.constant(pixels[..., None], tf.uint8)))


def _grid(rng: np.random.Generator, size: int = 48) -> np.ndarray:
    """A gray lattice (aligned, as the MVTec grid photos roughly are) with noise, uint8
    ``(size, size)``."""
    lines = (np.arange(size) % 8 < 2).astype(float)
    lattice = np.maximum(lines[:, None], lines[None, :]) * 150 + 60
    return np.clip(lattice + rng.normal(0, 8, (size, size)), 0, 255).astype(np.uint8)


@pytest.fixture()
def sample(tmp_path) -> Path:
    """``mvtec_ad/grid`` in the real layout: 6 train/good, 2 test/good and 3 test/broken
    images (a bright square) with 0/255 masks in ``ground_truth/broken/*_mask.png``."""
    rng = np.random.default_rng(0)
    category = tmp_path / "data" / "mvtec_ad" / "grid"
    for index in range(6):
        _write_png(category / "train/good" / f"{index:03d}.png", _grid(rng))
    for index in range(2):
        _write_png(category / "test/good" / f"{index:03d}.png", _grid(rng))
    for index in range(3):
        image, mask = _grid(rng), np.zeros((48, 48), np.uint8)
        top = 8 + 10 * index
        image[top : top + 12, 10:22] = 255
        mask[top : top + 12, 10:22] = 255
        _write_png(category / "test/broken" / f"{index:03d}.png", image)
        _write_png(category / "ground_truth/broken" / f"{index:03d}_mask.png", mask)
    return tmp_path / "data"


def test_mean_deviation_scores_rank_a_departure_from_the_mean_good_image():
    rng = np.random.default_rng(1)
    train = rng.uniform(0.4, 0.6, (5, 8, 8, 3)).astype(np.float32)
    same, spot = train.mean(axis=0), train.mean(axis=0).copy()
    spot[2:4, 2:4] = 1.0
    scores, maps = grid.mean_deviation_scores(train, np.stack([same, spot]))
    assert scores.shape == (2,) and maps.shape == (2, 8, 8)
    assert scores[0] == pytest.approx(0.0, abs=1e-6) and scores[1] > 0.01
    assert maps[1, 2:4, 2:4].min() > maps[1].mean()
    with pytest.raises(ValueError, match="one size"):
        grid.mean_deviation_scores(train, train[:, :4])


def test_random_tiles_are_seeded_crops_of_each_image():
    images = np.arange(2 * 8 * 8 * 1, dtype=np.float32).reshape(2, 8, 8, 1)
    tiles = grid.random_tiles(images, 4, 3, seed=0)
    assert tiles.shape == (6, 4, 4, 1)
    for index, tile in enumerate(tiles):
        source = images[index // 3, ..., 0]  # image by image: 3 tiles of each
        top, left = np.argwhere(source == tile[0, 0, 0])[0]
        np.testing.assert_array_equal(source[top : top + 4, left : left + 4], tile[..., 0])
    np.testing.assert_array_equal(tiles, grid.random_tiles(images, 4, 3, seed=0))
    assert not np.array_equal(tiles, grid.random_tiles(images, 4, 3, seed=1))
    with pytest.raises(ValueError, match="tile must be in"):
        grid.random_tiles(images, 9, 3)


@pytest.mark.slow
def test_lesson_06_record_and_json(tmp_path, sample):
    context = frame.Context(sample, 0.2, (0, 1), tmp_path / "work")
    record = frame.run_lesson("06", context, config=TINY)
    assert record["lesson"] == "06"
    assert record["data"]["test_good"] == 2 and record["data"]["test_defect"] == 3
    assert record["data"]["train_good"] == 6
    assert record["ours"]["n"] == 2 and record["ours"]["metric"] == "image AUROC"
    assert 0.0 <= record["ours"]["mean"] <= 1.0
    baselines = record["baselines"]
    assert len(baselines) == 4
    assert all(stat["n"] == 2 and 0.0 <= stat["mean"] <= 1.0 for stat in baselines.values())
    # The bright square departs from the mean good image: the trivial detector finds it.
    trivial = "mean |deviation| from the mean good image"
    assert baselines[f"{trivial}, image AUROC"]["mean"] == 1.0
    assert baselines[f"{trivial}, pixel AUROC"]["mean"] > 0.9
    details = record["details"]
    arms = {(row["arm"], row["AUROC"]) for row in details["arms"]}
    assert ("CutPaste 3-way pretext encoder + Gaussian", "pixel") in arms
    assert ("untrained (random init) encoder + Gaussian", "image, broken") in arms
    assert [run["seed"] for run in details["training"]] == [0, 1]
    assert all(run["steps"] >= 1 and run["budget_s"] > 0 for run in details["training"])
    assert len(details["restored_epoch_of_epochs_run"]["pretext"]) == 2
    goal = details["goal"]
    assert goal["short_by"] == pytest.approx(max(0.0, 0.90 - record["ours"]["mean"]))
    assert goal["met"] == (record["ours"]["mean"] >= 0.90)
    assert record["anchor"]["value"] == 0.999 and "scratch" in record["anchor"]["compute"]
    assert record["data"]["pretext_trained_on"] == "4 random 16² tiles per good image"
    table = frame.format_record(record)
    assert "== 06" in table and "pretext vs untrained, image AUROC" in table
    loaded = json.loads(frame.write_json([record], tmp_path / "scores.json").read_text())
    assert loaded[0]["ours"] == pytest.approx(record["ours"])


def test_lesson_06_names_a_missing_category(tmp_path, sample):
    context = frame.Context(sample, 1.0, (0, 1), tmp_path / "work")
    with pytest.raises(FileNotFoundError, match="screw.*train.*good"):
        frame.run_lesson("06", context, config=grid.GridConfig(category="screw"))
