"""bench/lessons_real.py on tiny generated inputs: the record frame, the gray conversion that
removes the cat/turtle colour confound, the seeded split, and clear errors."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from ssl_keras import transfer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))  # bench/ is a folder of scripts, not a package
import lessons_real  # noqa: E402
from scoreboard import cats_turtles, frame  # noqa: E402

TINY = cats_turtles.CatTurtleConfig(
    size=32,
    split=(3, 2, 2),
    label_counts=(2,),
    pretrain_steps=8,
    pretrain_epochs=2,
    pretrain_val=2,
    budget=transfer.Budget(max_epochs=2, patience=1, batch_size=4, min_steps=2),
)


def _write(path: Path, pixels: np.ndarray, kind: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    encode = tf.io.encode_png if kind == "png" else tf.io.encode_jpeg
    tf.io.write_file(str(path), encode(tf.constant(pixels, tf.uint8)))


@pytest.fixture()
def sample(tmp_path) -> Path:
    """A tiny ``cats_turtles`` layout: colour cats (a JPEG among PNGs, as the real sample
    has JPEG bytes in a .png), gray turtles in a Roboflow export with a YOLO label file."""
    rng = np.random.default_rng(0)
    root = tmp_path / "data"
    for index in range(7):
        cat = rng.integers(0, 256, (40, 56, 3))
        cat[..., 0] = np.maximum(cat[..., 0], 180)  # reddish: the colour the cats carry
        _write(
            root / "cats_turtles/cat_web" / f"cat{index}.png", cat, "jpeg" if index == 0 else "png"
        )
        gray = np.repeat(rng.integers(0, 256, (48, 72, 1)), 3, axis=-1)
        folder = "train" if index < 5 else "test"
        _write(root / f"cats_turtles/turtle_roboflow/{folder}/images/t{index}.jpg", gray, "jpeg")
    labels = root / "cats_turtles/turtle_roboflow/train/labels/t0.txt"
    labels.parent.mkdir(parents=True)
    labels.write_text("0 0.1 0.1 0.2 0.2\n")
    return root


def test_gray_conversion_removes_colour_statistics():
    rng = np.random.default_rng(1)
    colour = rng.uniform(0, 1, (3, 16, 16, 3)).astype(np.float32)
    gray = frame.to_gray(colour).numpy()
    assert gray.shape == colour.shape
    np.testing.assert_array_equal(gray[..., 0], gray[..., 2])
    # The colour image carries colour statistics; its gray version has exactly those of a
    # plain gray image (none), the same for every image whatever its colours.
    assert np.abs(cats_turtles.colour_statistics(colour)).max() > 0.05
    stats_gray = cats_turtles.colour_statistics(gray)
    np.testing.assert_allclose(stats_gray, cats_turtles.colour_statistics(gray[::-1]), atol=1e-6)
    np.testing.assert_allclose(stats_gray, 0.0, atol=1e-6)


def test_colour_statistics_separate_colour_but_not_gray():
    rng = np.random.default_rng(2)
    reddish = rng.uniform(0, 1, (8, 8, 8, 3)).astype(np.float32)
    reddish[..., 0] = 1.0
    plain = np.repeat(rng.uniform(0, 1, (8, 8, 8, 1)), 3, axis=-1).astype(np.float32)
    images, labels = np.concatenate([reddish, plain]), np.repeat([0, 1], 8)
    colour = cats_turtles.colour_statistics(images)
    gray = cats_turtles.colour_statistics(frame.to_gray(images).numpy())
    on_colour = cats_turtles.feature_baseline(colour, labels, colour, labels, (3,), (0, 1))
    on_gray = cats_turtles.feature_baseline(gray, labels, gray, labels, (3,), (0, 1))
    assert on_colour[3] == [1.0, 1.0]
    assert on_gray[3] == [0.5, 0.5]  # one answer for every image: chance


def test_split_is_disjoint_and_seeded(sample):
    files = cats_turtles.cat_turtle_files(sample / "cats_turtles")
    assert {name: len(paths) for name, paths in files.items()} == {"cat": 7, "turtle": 7}
    splits = frame.split_per_class(files, (3, 2, 2), seed=0)
    for name in ("cat", "turtle"):
        chosen = [path for split in splits.values() for path in split[name]]
        assert [len(splits[s][name]) for s in ("train", "val", "test")] == [3, 2, 2]
        assert len(set(chosen)) == 7 and set(chosen) == set(files[name])
    assert frame.split_per_class(files, (3, 2, 2), seed=0) == splits
    assert frame.split_per_class(files, (3, 2, 2), seed=1) != splits
    with pytest.raises(ValueError, match="'cat' has 7 images"):
        frame.split_per_class(files, (5, 2, 2))


def test_unknown_lesson_and_missing_folders(tmp_path, sample):
    context = frame.Context(sample, 1.0, (0, 1), tmp_path / "work")
    with pytest.raises(ValueError, match="Unknown lesson '99'"):
        frame.run_lesson("99", context)
    missing = dataclasses.replace(context, data=tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="nowhere"):
        frame.run_lesson("04", missing)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match="cats_turtles"):
        frame.run_lesson("04", dataclasses.replace(context, data=empty))
    with pytest.raises(SystemExit):
        lessons_real.parse_args(["--lessons", "99", "--data", str(sample)])
    with pytest.raises(SystemExit):
        lessons_real.parse_args(["--data", str(tmp_path / "nowhere")])


def test_check_record_names_what_is_missing():
    with pytest.raises(ValueError, match="lacks"):
        frame.check_record({"lesson": "04"})
    record = {key: None for key in frame.RECORD_KEYS}
    record.update(ours={"mean": 0.5}, baselines={}, anchor={"value": None, "why": "none"})
    with pytest.raises(ValueError, match="'ours' needs"):
        frame.check_record(record)


@pytest.mark.slow
def test_lesson_04_record_and_json(tmp_path, sample):
    context = frame.Context(sample, 1.0, (0, 1), tmp_path / "work")
    record = frame.run_lesson("04", context, config=TINY)
    assert record["lesson"] == "04"
    assert record["data"]["labeled"] == {"cat": 7, "turtle": 7}
    assert record["ours"]["n"] == 2 and 0.0 <= record["ours"]["mean"] <= 1.0
    baselines = record["baselines"]
    assert {"scratch, 2/class", "logistic regression, 2/class"} <= set(baselines)
    # The colour confound is real on the originals and gone after the conversion.
    assert baselines["colour statistics, colour originals, 2/class"]["mean"] == 1.0
    assert baselines["colour statistics, gray, 2/class"]["mean"] == 0.5
    assert record["anchor"]["value"] is None and record["anchor"]["why"]
    assert record["wall_s"] > 0 and record["cpu_s"] > 0 and record["cpu"]
    assert record["budget_min"] == 1.0
    # Only the train pool pretrains: 3 images per class, no validation or test image.
    assert record["details"]["pretraining"]["train_images"] + 2 == 6
    table = frame.format_record(record)
    assert "ours: SSL (frozen)" in table and "published anchor: none" in table
    path = frame.write_json([record], tmp_path / "out" / "scores.json")
    loaded = json.loads(path.read_text())
    assert loaded[0]["ours"] == pytest.approx(record["ours"])
    assert set(frame.RECORD_KEYS) <= set(loaded[0])
