"""Lesson 05 of bench/lessons_real.py on a tiny generated layout: the record, the gray and
mean-colour baselines against a direct computation, test photos kept out of training, and
the errors for missing folders."""

from __future__ import annotations

import dataclasses
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import skimage.color
import skimage.io
import tensorflow as tf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))  # bench/ is a folder of scripts, not a package
from scoreboard import colorize as lesson05  # noqa: E402
from scoreboard import frame  # noqa: E402

TINY = lesson05.ColorizeConfig(
    size=32,
    batch_size=4,
    decoder_filters=4,
    selection=3,
    steps_per_epoch=2,
    max_epochs=2,
    patience=1,
    log_every=1,
    pretrain_size=32,
    pretrain_steps=4,
    pretrain_epochs=2,
    pretrain_val=2,
)
KODAK_SHAPE = (40, 48)


def colour_photo(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """uint8 RGB: a few coloured rectangles on a coloured ground, with some noise."""
    pixels = np.broadcast_to(rng.integers(30, 220, 3), (height, width, 3)).copy()
    for _ in range(4):
        top, left = rng.integers(0, height // 2), rng.integers(0, width // 2)
        pixels[top : top + height // 2, left : left + width // 2] = rng.integers(0, 256, 3)
    noisy = pixels + rng.integers(-10, 11, pixels.shape)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def write(path: Path, pixels: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    encode = tf.io.encode_png if path.suffix == ".png" else tf.io.encode_jpeg
    tf.io.write_file(str(path), encode(pixels))


@pytest.fixture()
def sample(tmp_path) -> Path:
    """CamVid train (6) / val (3) PNGs and COCO-mini JPEGs (4, one of them a copy of a Kodak
    photo, which training must drop), and 3 Kodak24 PNGs of 40×48."""
    rng = np.random.default_rng(0)
    data = tmp_path / "data"
    for index in range(6):
        write(data / "camvid_segnet" / "train" / f"f{index}.png", colour_photo(rng, 48, 64))
    for index in range(3):
        write(data / "camvid_segnet" / "val" / f"v{index}.png", colour_photo(rng, 48, 64))
    for index in range(3):
        write(data / "coco_mini" / "val2017" / f"{index:012d}.jpg", colour_photo(rng, 56, 40))
    for index in range(3):
        write(
            data / "denoise" / "Kodak24" / f"kodim{index + 1:02d}.png",
            colour_photo(rng, *KODAK_SHAPE),
        )
    shutil.copy(
        data / "denoise" / "Kodak24" / "kodim01.png", data / "coco_mini" / "val2017" / "copy.png"
    )
    return data


def direct_psnr(images: list[np.ndarray], ab: np.ndarray) -> float:
    """Mean PSNR of each image's own L with a constant ``ab``, by scikit-image and NumPy."""
    values = []
    for image in images:
        lab = skimage.color.rgb2lab(image)
        lab[..., 1:] = ab
        error = np.mean((skimage.color.lab2rgb(lab) - image) ** 2)
        values.append(10 * np.log10(1.0 / error))
    return float(np.mean(values))


def test_training_photos_drop_the_test_images(sample):
    files = lesson05.training_photos(sample)
    assert len(files) == 12  # 6 + 3 + 3: the copy of kodim01 is dropped
    assert not any(Path(f).name == "copy.png" for f in files)


def test_constant_colour_and_scores(sample):
    kodak = [
        np.asarray(skimage.io.imread(f), np.float32) / 255
        for f in sorted((sample / "denoise" / "Kodak24").iterdir())
    ]
    gray = lesson05.constant_colour(kodak, np.zeros(2, np.float32))
    assert all(image.shape == (*KODAK_SHAPE, 3) for image in gray)
    np.testing.assert_allclose(gray[0][..., 0], gray[0][..., 2], atol=1e-3)  # no colour
    perfect = lesson05.scores(kodak, kodak)
    assert perfect["ssim"] == pytest.approx(1.0) and perfect["colorfulness_error"] == 0.0
    with pytest.raises(ValueError, match="one prediction per image"):
        lesson05.scores(gray[:2], kodak)


@pytest.mark.slow
def test_lesson_05_record_and_json(tmp_path, sample, capsys):
    context = frame.Context(sample, 0.5, (0, 1), tmp_path / "work")
    record = frame.run_lesson("05", context, config=TINY)
    assert record["lesson"] == "05" and record["budget_min"] == 0.5
    data = record["data"]
    assert data["train"]["photos"] == 12 and data["train"]["early_stopping_held_out"] == 3
    assert data["test"]["images"] == 3 and data["test"]["sizes"] == [KODAK_SHAPE]
    assert record["ours"]["n"] == 2 and np.isfinite(record["ours"]["mean"])
    kodak = [
        np.asarray(skimage.io.imread(f), np.float64) / 255
        for f in sorted((sample / "denoise" / "Kodak24").iterdir())
    ]
    gray = record["baselines"]["gray (ab = 0)"]
    assert gray["mean"] == pytest.approx(direct_psnr(kodak, np.zeros(2)), abs=0.05)
    assert gray["n"] == 1 and gray["half"] == 0.0
    details = record["details"]
    mean_ab = np.array(details["mean_ab_of_training_photos"])
    mean_colour = record["baselines"]["mean colour (training photos)"]
    assert mean_colour["mean"] == pytest.approx(direct_psnr(kodak, mean_ab), abs=0.05)
    gains = details["per_seed_gain_db"]
    psnr = [run["psnr"] for run in details["per_seed"]]
    np.testing.assert_allclose(gains, np.array(psnr) - gray["mean"], atol=1e-3)
    assert "denoising" in details["backbone"]
    assert len(details["restored_epoch_of_epochs_run"]["colorizer"]) == 2
    assert details["goal"]["met"] == (details["goal"]["short_by"] == 0.0)
    assert record["anchor"]["value"] is None and record["anchor"]["why"]
    assert "restored the weights of epoch" in capsys.readouterr().out
    table = frame.format_record(record)
    assert "ours: notebook 05 colorizer" in table and "gray (ab = 0)" in table
    assert "goal" in table
    path = frame.write_json([record], tmp_path / "out" / "scores.json")
    assert json.loads(path.read_text())[0]["ours"] == pytest.approx(record["ours"])


def test_lesson_05_errors_name_the_folder_and_the_selection(tmp_path, sample):
    context = frame.Context(sample, 0.5, (0, 1), tmp_path / "work")
    with pytest.raises(ValueError, match="there are 12"):
        frame.run_lesson("05", context, config=dataclasses.replace(TINY, selection=12))
    shutil.rmtree(sample / "denoise" / "Kodak24")
    with pytest.raises(FileNotFoundError, match="Kodak24"):
        frame.run_lesson("05", context, config=TINY)
