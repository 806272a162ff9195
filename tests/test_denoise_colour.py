"""Colour and gray denoising on tiny generated inputs: classical baselines on gray / RGB and
unclipped noise, TIFF decoding, and the colour training listing of bench/denoise_bsd68.py."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf
import tifffile
from PIL import Image

from ssl_keras import baselines, image_files, metrics
from ssl_keras.datasets import denoise_sets
from tests._data import colour_image, identity_denoiser

ROOT = Path(__file__).resolve().parents[1]
_SPEC = importlib.util.spec_from_file_location("denoise_bsd68", ROOT / "bench" / "denoise_bsd68.py")
denoise_bsd68 = importlib.util.module_from_spec(_SPEC)
sys.modules["denoise_bsd68"] = denoise_bsd68
_SPEC.loader.exec_module(denoise_bsd68)  # bench/ is a folder of scripts, not a package


def _awgn(image: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    """Unclipped additive white Gaussian noise (the published protocol)."""
    rng = np.random.default_rng(seed)
    return (image + sigma * rng.standard_normal(image.shape)).astype(np.float32)


@pytest.mark.parametrize("method", list(baselines.DENOISERS))
@pytest.mark.parametrize(
    "shape", [(40, 36), (40, 36, 1), (40, 36, 3), (2, 40, 36, 1), (2, 40, 36, 3)]
)
def test_baselines_take_gray_and_colour(method, shape):
    image = colour_image(40, 36) if shape[-1] == 3 else colour_image(40, 36)[..., :1]
    clean = np.broadcast_to(image, (2, *image.shape)) if len(shape) == 4 else image
    clean = clean.reshape(shape)
    out = baselines.denoise(_awgn(clean, 0.08), method)
    assert out.shape == shape and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0


@pytest.mark.parametrize("channels", [1, 3])
def test_nl_means_improves_unclipped_awgn(channels):
    clean = colour_image(64, 56)[..., :channels]
    noisy = _awgn(clean, 25 / 255)
    assert noisy.min() < 0.0  # the input leaves [0, 1]
    out = baselines.nl_means(noisy)
    before = float(metrics.psnr(np.clip(noisy, 0.0, 1.0), clean))
    assert float(metrics.psnr(out, clean)) > before + 3.0


@pytest.mark.parametrize("method", list(baselines.DENOISERS))
def test_unclipped_input_is_clipped_before_filtering(method):
    noisy = _awgn(np.clip(colour_image(32, 40) * 1.3 - 0.15, 0, 1), 0.15, seed=1)
    assert noisy.min() < 0.0 and noisy.max() > 1.0
    np.testing.assert_array_equal(
        baselines.denoise(noisy, method), baselines.denoise(np.clip(noisy, 0.0, 1.0), method)
    )


def test_baselines_reject_bad_images():
    with pytest.raises(ValueError, match="1 \\(gray\\) or 3 \\(RGB\\) channels"):
        baselines.median(np.zeros((8, 8, 2), np.float32))
    with pytest.raises(ValueError, match="NaN or infinite"):
        baselines.median(np.full((8, 8, 3), np.nan, np.float32))
    with pytest.raises(ValueError, match="shape"):
        baselines.median(np.zeros((1, 1, 8, 8, 3), np.float32))


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("suffix", [".tif", ".tiff"])
def test_tiff_round_trip(tmp_path, dtype, channels, suffix):
    top = np.iinfo(dtype).max
    rng = np.random.default_rng(channels)
    shape = (12, 20) if channels == 1 else (12, 20, 3)
    stored = rng.integers(0, top + 1, shape, dtype=dtype)
    path = tmp_path / f"image{suffix}"
    tifffile.imwrite(path, stored, photometric="minisblack" if channels == 1 else "rgb")
    assert image_files.list_image_files(tmp_path) == [str(path)]
    expected = stored.astype(np.float32) / top
    expected = np.repeat(expected[..., None], 3, -1) if channels == 1 else expected
    image = image_files.load_image(path).numpy()
    assert image.dtype == np.float32 and image.shape == (12, 20, 3)
    np.testing.assert_allclose(image, expected, atol=1e-6)
    # The same decoding inside tf.data, and the gray view of a gray TIFF is exact.
    served = next(iter(denoise_sets.denoise_dataset(tmp_path, gray=channels == 1))).numpy()
    np.testing.assert_allclose(served, expected[..., :1] if channels == 1 else expected, atol=1e-6)


def test_tiff_errors_name_the_file(tmp_path):
    path = tmp_path / "float.tif"
    tifffile.imwrite(path, np.zeros((4, 4), np.float32))
    with pytest.raises(ValueError, match="float.tif.*8- or 16-bit"):
        image_files.load_image(path)
    broken = tmp_path / "broken.tiff"
    broken.write_bytes(b"II*\x00" + b"\xff" * 12)
    with pytest.raises(ValueError, match="broken.tiff"):
        image_files.load_image(broken)


def test_colour_training_files_exclude_the_test_set(tmp_path):
    train, other, test = tmp_path / "train", tmp_path / "other", tmp_path / "test"
    for folder in (train, other, test):
        folder.mkdir()
    for k in range(3):
        image = np.round(colour_image(16, 16, phase=k) * 255).astype(np.uint8)
        Image.fromarray(image).save(train / f"photo{k}.png")
    test_image = np.round(colour_image(16, 16, phase=9.0) * 255).astype(np.uint8)
    Image.fromarray(test_image).save(test / "kodim01.png")
    (other / "copy_of_test.png").write_bytes((test / "kodim01.png").read_bytes())
    Image.fromarray(test_image[::-1]).save(other / "flipped.png")
    files = denoise_bsd68.training_files([train, other, test], [test])
    assert [Path(f).name for f in files] == [
        "photo0.png",
        "photo1.png",
        "photo2.png",
        "flipped.png",
    ]


def test_colour_training_batches_take_mixed_sizes():
    images = [colour_image(40, 64), colour_image(64, 48)]
    ds = denoise_bsd68.training_batches(images, 32, 4, (25.0, 25.0), seed=0)
    noisy, clean = next(iter(ds))
    assert noisy.shape == clean.shape == (4, 32, 32, 3)
    assert float(tf.reduce_min(noisy)) < 0.0 or float(tf.reduce_max(noisy)) > 1.0  # unclipped
    with pytest.raises(ValueError, match="at least 48 px"):
        denoise_bsd68.training_batches([colour_image(40, 64)], 48, 4, (25.0, 25.0), seed=0)


def test_bench_evaluate_scores_the_colour_baseline_on_the_same_noise():
    images = [colour_image(40, 48), colour_image(48, 40, phase=1.0)]
    noisy, ours, classical = denoise_bsd68.evaluate(
        identity_denoiser(3), images, 25, seed=0, baseline="nl_means"
    )
    # The identity returns the unclipped noisy input, clipped for the metric: the noisy score.
    assert ours == pytest.approx(noisy, abs=1e-4)
    assert classical > noisy + 3.0
    assert denoise_bsd68.evaluate(identity_denoiser(3), images, 25, seed=0)[2] is None


def test_colour_bench_folders_hold_no_kodak_image(shared_data):
    data = shared_data / "denoise"
    folders = denoise_bsd68.colour_train_folders(data)
    if not all(folder.is_dir() for folder in folders + [data / "Kodak24"]):
        pytest.skip("the colour training photos or Kodak24 are not among the shared samples")
    files = denoise_bsd68.training_files(folders, [data / "Kodak24"])
    listed = [f for folder in folders for f in image_files.list_image_files(folder)]
    assert len(files) == len(listed) > 100
    assert not any("Kodak24" in f for f in files)


class _FakeClock:
    """A clock that moves only when told to."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_time_budget_checkpoints_do_not_count_against_the_budget():
    clock = _FakeClock()
    seen = []

    def checkpoint(model, elapsed):
        seen.append(elapsed)
        clock.now += 100.0  # a slow evaluation: must not shorten training

    budget = denoise_bsd68.TimeBudget(10.0, 1e-3, clock, every=4.0, checkpoint=checkpoint)
    budget.set_model(keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)]))
    budget.model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    budget.model.stop_training = False
    budget.on_train_begin()
    steps = 0
    while not budget.model.stop_training:
        budget.on_train_batch_begin(steps)
        clock.now += 1.0  # one training step
        budget.on_train_batch_end(steps)
        steps += 1
        assert steps < 100, "the budget never stopped training"
    assert steps == 11  # 10 s of steps, evaluations excluded
    assert seen == [4.0, 8.0, 11.0]  # every 4 s of training, and once at the end
    # The cosine schedule has reached its floor by the budget's end.
    budget.on_train_batch_begin(steps)
    assert float(budget.model.optimizer.learning_rate) == pytest.approx(1e-5, rel=1e-4)


def test_time_to_quality_is_the_first_point_that_reaches_the_target():
    curve = [
        {"minutes": 5, "psnr": 27.9},
        {"minutes": 10, "psnr": 28.6},
        {"minutes": 15, "psnr": 28.5},
    ]
    assert denoise_bsd68.time_to_quality(curve, 28.57) == 10
    assert denoise_bsd68.time_to_quality(curve, 29.23) is None
    assert denoise_bsd68.time_to_quality([], 28.57) is None
