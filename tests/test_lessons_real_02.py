"""Lessons 02-gray and 02-colour of bench/lessons_real.py on tiny generated test sets: the
record, the noisy-input baseline against the σ it was given, test images kept out of
training, the budget split and the per-lesson ``--minutes`` items."""

from __future__ import annotations

import math
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))  # bench/ is a folder of scripts, not a package
import lessons_real  # noqa: E402
from scoreboard import denoise, frame  # noqa: E402

TINY = denoise.DenoiseConfig(depth=2, base_filters=4, patch=16, batch_size=4)


def _write(path: Path, rng: np.random.Generator, size: tuple[int, int], gray: bool) -> None:
    """A smooth mid-gray image (values 0.3–0.7, so σ 25 noise is almost never clipped)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ramp = np.linspace(0.3, 0.7, size[1], dtype=np.float32)[None, :]
    base = np.broadcast_to(ramp, size) + 0.02 * rng.standard_normal(size)
    pixels = np.round(np.clip(base, 0, 1) * 255).astype(np.uint8)
    image = pixels if gray else np.stack([pixels, pixels[::-1], pixels[:, ::-1]], axis=-1)
    Image.fromarray(image).save(path)


@pytest.fixture()
def data(tmp_path) -> Path:
    """``denoise/{Train400,BSD68,Set12,Kodak24}`` and the colour training folders; one
    Train400 file has the bytes of a BSD68 file (it must not be trained on)."""
    rng = np.random.default_rng(0)
    root = tmp_path / "data"
    for index in range(5):
        _write(root / "denoise" / "Train400" / f"test_{index:03d}.png", rng, (40, 40), True)
    for index in range(3):
        _write(root / "denoise" / "BSD68" / f"test{index:03d}.png", rng, (32, 48), True)
    for index in range(2):
        _write(root / "denoise" / "Set12" / f"{index:02d}.png", rng, (32, 32), True)
        _write(root / "denoise" / "Kodak24" / f"kodim{index:02d}.png", rng, (36, 36), False)
    for sub in ("camvid_segnet/train", "camvid_segnet/val", "coco_mini/val2017"):
        for index in range(2):
            _write(root / sub / f"{index:04d}.png", rng, (30, 40), False)
    shutil.copy(root / "denoise" / "BSD68" / "test000.png", root / "denoise" / "Train400" / "x.png")
    return root


def _context(data: Path, tmp_path: Path, minutes: float = 0.1) -> frame.Context:
    return frame.Context(data, minutes, (0, 1), tmp_path / "work")


@pytest.mark.parametrize(
    ("name", "headline", "trained", "tested"),
    [
        ("02-gray", "BSD68", 5, {"BSD68": 3, "Set12": 2}),
        ("02-colour", "Kodak24", 6, {"Kodak24": 2}),
    ],
)
@pytest.mark.slow
def test_lesson_02_record(data, tmp_path, name, headline, trained, tested):
    record = frame.run_lesson(name, _context(data, tmp_path), config=TINY)
    frame.check_record(record)
    assert record["data"]["train"]["images"] == trained  # the copy of a BSD68 file is dropped
    assert record["data"]["test"] == tested
    assert record["ours"]["n"] == 2 and record["ours"]["metric"] == f"{headline} PSNR (dB)"
    noisy = record["baselines"]["noisy input"]
    # Unclipped σ = 25 on images that σ rarely pushes out of [0, 1]: PSNR = 20·log10(255/25).
    assert noisy["n"] == 2 and abs(noisy["mean"] - 20 * math.log10(255 / 25)) < 0.15
    classical = next(v for k, v in record["baselines"].items() if k.startswith("nl_means"))
    assert classical["n"] == 1 and classical["mean"] > noisy["mean"]
    goal = record["details"]["goal"]
    anchor = {"02-gray": 28.57, "02-colour": 32.15 - 0.5}[name]
    assert goal["psnr_db"] == pytest.approx(anchor)
    assert goal["met"] == (record["ours"]["mean"] >= anchor)
    assert len(record["details"]["training"]) == 2
    assert all(run["steps"] >= 1 for run in record["details"]["training"])
    text = frame.format_record(record)
    assert "goal" in text and headline in text
    frame.write_json([record], tmp_path / "out.json")
    table = frame.markdown([record, record]).splitlines()
    assert len(table) == 4 and table[2].startswith(f"| {name} ")
    assert ("met" if goal["met"] else "missed by") in table[2] and "(2 seeds)" in table[2]
    record["baselines"]["mean |x|"] = record["baselines"]["noisy input"]
    assert frame.markdown([record]).splitlines()[2].count(" | ") == 6  # "|" in a cell escaped


def test_every_seed_trains_equally_long(data, tmp_path, monkeypatch, capsys):
    """The first seed's scoring also runs the classical baseline, which is slow; the seeds after
    it must not pay for that with training time."""
    given = []

    def fake_train(images, sigma_range, seconds, seed=0, **options):
        given.append(seconds)
        return None, {"steps": 1, "minutes": 1.0, "cpu_minutes": 0.9 if seed == 1 else 1.9}

    def fake_evaluate(model, images, sigma, seed, baseline=None):
        if baseline is not None:
            time.sleep(1.0)
        return 20.0, 25.0, (24.0 if baseline is not None else None)

    monkeypatch.setattr(denoise.denoise_bsd68, "train_denoiser", fake_train)
    monkeypatch.setattr(denoise.denoise_bsd68, "evaluate", fake_evaluate)
    context = frame.Context(data, 1.0, (0, 1, 2), tmp_path / "work")
    record = frame.run_lesson("02-gray", context, config=TINY)
    assert given == [pytest.approx(60 * TINY.train_share / 3)] * 3
    assert [run["train_seconds"] for run in record["details"]["training"]] == [17.0] * 3
    # seed 1 left the CPU idle for half its time: flagged, and said in the output
    assert record["details"]["stalled_seeds"] == [1]
    assert "seed(s) [1]" in capsys.readouterr().out
    assert denoise.stalled_seeds([0, 1], [{"minutes": 1, "cpu_minutes": 2}] * 2) == []


def test_lesson_02_names_a_missing_test_set(data, tmp_path):
    shutil.rmtree(data / "denoise" / "Kodak24")
    with pytest.raises(FileNotFoundError, match="Kodak24"):
        frame.run_lesson("02-colour", _context(data, tmp_path), config=TINY)


def test_minutes_items_give_single_lessons_their_own_budget(data):
    args = lessons_real.parse_args(
        ["--lessons", "02-gray", "04", "--minutes", "7", "02-gray=30", "--data", str(data)]
    )
    assert args.minutes == {"02-gray": 30.0, "04": 7.0}
    assert lessons_real.parse_args(["--lessons", "04", "--data", str(data)]).minutes == {"04": 10}
    for bad in (["0"], ["x"], ["99=3"], ["04=-1"], ["nan"]):
        with pytest.raises(SystemExit):
            lessons_real.parse_args(["--lessons", "04", "--data", str(data), "--minutes", *bad])


def test_seeds_items_give_single_lessons_their_own_count(data):
    args = lessons_real.parse_args(
        ["--lessons", "02-gray", "04", "--seeds", "5", "02-gray=3", "--data", str(data)]
    )
    assert args.seeds == {"02-gray": 3, "04": 5}
    assert all(isinstance(n, int) for n in args.seeds.values())
    assert lessons_real.parse_args(["--lessons", "04", "--data", str(data)]).seeds == {"04": 5}
    for bad in (["1"], ["2.5"], ["04=1"], ["99=3"], ["x"], ["0"]):
        with pytest.raises(SystemExit):
            lessons_real.parse_args(["--lessons", "04", "--data", str(data), "--seeds", *bad])
