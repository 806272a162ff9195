"""The ``ssl-keras`` command line: ``segment`` end to end on a tiny trained model, errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import keras
import numpy as np
import pytest
import tensorflow as tf

from ssl_keras import cli, image_files, losses, models, segmentation
from ssl_keras.datasets import _common

SIZE = 32


def _write_image(path: Path, height: int, width: int, seed: int) -> Path:
    """A dark background with a bright square: an easy foreground."""
    rng = np.random.default_rng(seed)
    pixels = (rng.random((height, width, 3)) * 60).astype(np.uint8)
    pixels[height // 4 : 3 * height // 4, width // 4 : 3 * width // 4] = 220
    cv2.imwrite(str(path), pixels)
    return path


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    """A U-Net with one logit channel, trained for a few steps to find bright squares."""
    folder = tmp_path_factory.mktemp("model")
    keras.utils.set_random_seed(0)  # the weights' initialisation, whatever ran before
    rng = np.random.default_rng(0)
    x = (rng.random((16, SIZE, SIZE, 3)) * 0.25).astype(np.float32)
    y = np.zeros((16, SIZE, SIZE, 1), np.int32)
    for i in range(16):
        top, left = rng.integers(0, SIZE // 2, 2)
        x[i, top : top + 12, left : left + 12] = 0.85
        y[i, top : top + 12, left : left + 12] = 1
    # Without BatchNorm: its moving statistics would need far more steps to settle.
    model = models.unet(
        (SIZE, SIZE, 3),
        depth=2,
        base_filters=4,
        output_channels=1,
        output_activation=None,
        batch_norm=False,
    )
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss=losses.BCEDiceLoss())
    model.fit(x, y, epochs=15, batch_size=8, verbose=0)
    path = folder / "tiny.keras"
    model.save(path)
    return path


@pytest.fixture
def images(tmp_path) -> Path:
    folder = tmp_path / "images"
    folder.mkdir()
    _write_image(folder / "wide.png", 45, 70, 1)
    _write_image(folder / "small.jpg", 27, 23, 2)
    (folder / "notes.txt").write_text("not an image, and no image extension: ignored")
    return folder


def _run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = cli.main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_help_lists_commands_and_options(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--help"])
    assert exit_info.value.code == 0
    assert "segment" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["segment", "--help"])
    out = capsys.readouterr().out
    assert exit_info.value.code == 0
    for option in ("--input", "--model", "--output", "--threshold", "--no-postprocess", "--size"):
        assert option in out
    assert cli.main([]) == 2


@pytest.mark.slow
def test_segment_folder_writes_outputs_at_original_size(tiny_model, images, tmp_path, capsys):
    out = tmp_path / "out"
    code, stdout, _ = _run(
        ["segment", "--input", str(images), "--model", str(tiny_model), "--output", str(out)],
        capsys,
    )
    assert code == 0
    assert "segmented 2 image(s)" in stdout
    written = sorted(p.name for p in out.iterdir())
    assert written == [
        f"{stem}_{kind}.png" for stem in ("small", "wide") for kind in ("cutout", "mask", "overlay")
    ]
    for stem, shape in (("wide", (45, 70)), ("small", (27, 23))):
        mask = cv2.imread(str(out / f"{stem}_mask.png"), cv2.IMREAD_UNCHANGED)
        overlay = cv2.imread(str(out / f"{stem}_overlay.png"), cv2.IMREAD_UNCHANGED)
        cutout = cv2.imread(str(out / f"{stem}_cutout.png"), cv2.IMREAD_UNCHANGED)
        assert mask.shape == shape and set(np.unique(mask)) <= {0, 255}
        assert overlay.shape == (*shape, 3) and cutout.shape == (*shape, 4)
        np.testing.assert_array_equal(cutout[..., 3], mask)
    wide = cv2.imread(str(out / "wide_mask.png"), cv2.IMREAD_UNCHANGED) > 0
    truth = np.zeros((45, 70), bool)
    truth[11:33, 17:52] = True
    assert segmentation.binary_scores(wide, truth)["dice"][0] > 0.8


@pytest.mark.slow
def test_threshold_and_no_postprocess(tiny_model, images, tmp_path, capsys):
    source = images / "wide.png"
    fractions = {}
    for name, extra in (("low", ["--threshold", "0.05"]), ("high", ["--threshold", "0.95"])):
        out = tmp_path / name
        code, _, _ = _run(
            [
                "segment",
                "-i",
                str(source),
                "-m",
                str(tiny_model),
                "-o",
                str(out),
                "--no-postprocess",
                *extra,
            ],
            capsys,
        )
        assert code == 0
        fractions[name] = (cv2.imread(str(out / "wide_mask.png"), cv2.IMREAD_UNCHANGED) > 0).mean()
    assert fractions["low"] >= fractions["high"]
    # --no-postprocess writes exactly the thresholded, resized probabilities of the
    # training preprocessing.
    model = keras.saving.load_model(tiny_model, compile=False)
    image = image_files.load_image(source)
    logits = model(segmentation.preprocess(image, SIZE)[None], training=False)
    probabilities = tf.image.resize(tf.sigmoid(logits), (45, 70), antialias=True)[0, ..., 0]
    expected = probabilities.numpy() >= 0.95
    written = cv2.imread(str(tmp_path / "high" / "wide_mask.png"), cv2.IMREAD_UNCHANGED) > 0
    np.testing.assert_array_equal(written, expected)
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["segment", "-i", str(source), "-m", str(tiny_model), "-o", "x", "-t", "1.5"])
    assert exit_info.value.code == 2


def test_preprocessing_is_the_loaders(images):
    source = str(images / "wide.png")
    mask = images.parent / "mask.png"
    cv2.imwrite(str(mask), np.zeros((45, 70), np.uint8))
    loaded, _ = next(iter(_common.paired_dataset([source], [str(mask)], SIZE)))
    np.testing.assert_array_equal(
        loaded.numpy(), segmentation.preprocess(image_files.load_image(source), SIZE).numpy()
    )


def _error(argv: list[str], capsys) -> str:
    code, _, err = _run(argv, capsys)
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("ssl-keras segment: error: ")
    return lines[0]


@pytest.mark.slow
def test_error_paths(tiny_model, images, tmp_path, capsys):
    out = tmp_path / "out"
    message = _error(
        ["segment", "-i", str(images), "-m", str(tmp_path / "missing.keras"), "-o", str(out)],
        capsys,
    )
    assert "missing.keras" in message and "does not exist" in message
    fake = tmp_path / "fake.png"
    fake.write_text("hello")
    message = _error(["segment", "-i", str(fake), "-m", str(tiny_model), "-o", str(out)], capsys)
    assert "not an image" in message
    message = _error(
        ["segment", "-i", str(tmp_path / "nope"), "-m", str(tiny_model), "-o", str(out)], capsys
    )
    assert "does not exist" in message
    bad_folder = tmp_path / "mixed"
    bad_folder.mkdir()
    _write_image(bad_folder / "good.png", 20, 20, 0)
    (bad_folder / "broken.jpg").write_text("not a jpeg")
    message = _error(
        ["segment", "-i", str(bad_folder), "-m", str(tiny_model), "-o", str(out)], capsys
    )
    assert "broken.jpg" in message
    assert "on_error" not in message  # a library option the command line does not have
    not_a_model = tmp_path / "text.keras"
    not_a_model.write_text("nothing")
    message = _error(["segment", "-i", str(images), "-m", str(not_a_model), "-o", str(out)], capsys)
    assert "cannot load model" in message
    assert not out.exists()  # nothing is written when the inputs are wrong


@pytest.mark.slow
def test_images_too_small_to_segment_are_refused_by_name(tiny_model, tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    cv2.imwrite(str(folder / "dot.png"), np.full((1, 1, 3), 200, np.uint8))
    out = tmp_path / "out"
    message = _error(["segment", "-i", str(folder), "-m", str(tiny_model), "-o", str(out)], capsys)
    assert "dot.png" in message and "1x1 px" in message and "at least 16 px" in message
    assert not out.exists() or not any(out.glob("dot_*"))


def test_unexpected_model_shapes(images, tmp_path, capsys):
    multi = tmp_path / "multi.keras"
    models.unet((SIZE, SIZE, 3), depth=1, base_filters=2, output_channels=3).save(multi)
    message = _error(
        ["segment", "-i", str(images), "-m", str(multi), "-o", str(tmp_path / "o")], capsys
    )
    assert "output shape" in message and "(None, 32, 32, 3)" in message
    gray = tmp_path / "gray.keras"
    models.unet((SIZE, SIZE, 1), depth=1, base_filters=2, output_channels=1).save(gray)
    assert "RGB" in _error(
        ["segment", "-i", str(images), "-m", str(gray), "-o", str(tmp_path / "o")], capsys
    )
    any_size = tmp_path / "any.keras"
    models.unet((None, None, 3), depth=1, base_filters=2, output_channels=1).save(any_size)
    assert "--size" in _error(
        ["segment", "-i", str(images), "-m", str(any_size), "-o", str(tmp_path / "o")], capsys
    )
    code, _, _ = _run(
        [
            "segment",
            "-i",
            str(images),
            "-m",
            str(any_size),
            "-o",
            str(tmp_path / "o"),
            "--size",
            "24",
            "24",
        ],
        capsys,
    )
    assert code == 0 and (tmp_path / "o" / "wide_overlay.png").is_file()
    assert not list((tmp_path / "o").glob(".*partial*"))


@pytest.mark.slow
def test_console_script(tiny_model, images, tmp_path):
    script = Path(sys.executable).with_name("ssl-keras")
    if not script.is_file():
        pytest.skip("the ssl-keras console script is not installed in this environment")
    result = subprocess.run(
        [
            str(script),
            "segment",
            "--input",
            str(images / "small.jpg"),
            "--model",
            str(tiny_model),
            "--output",
            str(tmp_path / "cli"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "small.jpg: 23x27" in result.stdout
    assert (tmp_path / "cli" / "small_cutout.png").is_file()
    failed = subprocess.run(
        [
            str(script),
            "segment",
            "-i",
            str(images),
            "-m",
            "nowhere.keras",
            "-o",
            str(tmp_path / "x"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert failed.returncode == 1
    assert failed.stderr.strip().splitlines()[-1].startswith("ssl-keras segment: error: model file")
