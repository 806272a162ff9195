"""Colorizing at any resolution, in strips, and the colorize command on files and folders."""

from __future__ import annotations

import cv2
import keras
import numpy as np
import pytest

from ssl_keras import cli, color, colorization
from tests._data import write_image


@pytest.fixture(scope="module")
def trained_model(tmp_path_factory) -> str:
    """A tiny colorizer fitted for a few steps to 'top half blue, bottom half green'."""
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    images = np.empty((16, 32, 32, 3), np.float32)
    images[:, :16] = [0.2, 0.4, 0.9]
    images[:, 16:] = [0.2, 0.7, 0.2]
    images = np.clip(images * rng.uniform(0.6, 1.1, (16, 1, 1, 1)), 0, 1).astype(np.float32)
    lightness, ab = color.split_lab(images)
    model = colorization.colorizer((32, 32, 1), "small", decoder_filters=4, base_filters=4)
    # eager steps: a tiny model trains faster than tf.function traces it
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mae", run_eagerly=True)
    model.fit(lightness, ab, batch_size=8, epochs=8, verbose=0)
    path = tmp_path_factory.mktemp("model") / "tiny.keras"
    model.save(path)
    return str(path)


def _cli(*argv: str) -> int:
    return cli.main(list(argv))


@pytest.mark.slow
def test_colorize_keeps_original_resolution_and_lightness(trained_model):
    model = colorization.load_colorizer(trained_model)
    gray = np.repeat(np.linspace(0.2, 0.8, 50, dtype=np.float32)[:, None], 70, axis=1)
    image = np.repeat(gray[..., None], 3, axis=-1)  # 50×70 gray, model size 32×32
    out = colorization.colorize(model, image)
    assert out.shape == (50, 70, 3)
    # L comes from the original image: only a and b are predicted
    np.testing.assert_allclose(
        color.rgb_to_lab(out)[..., 0].numpy(), color.rgb_to_lab(image)[..., 0].numpy(), atol=1.0
    )
    assert color.colorfulness(out) > 1.0  # it learned some color
    with pytest.raises(ValueError, match="too small"):
        colorization.colorize(model, np.zeros((8, 40, 3), np.float32))


@pytest.mark.slow
def test_colorize_in_strips_equals_the_whole_image(trained_model, monkeypatch):
    """The colour conversions run in strips of rows to bound memory on large photos; the
    result must not depend on where the strips are cut."""
    model = colorization.load_colorizer(trained_model)
    rng = np.random.default_rng(5)
    images = rng.uniform(0, 1, (2, 37, 45, 3)).astype(np.float32)
    whole = colorization.colorize(model, images)
    monkeypatch.setattr(colorization.inference, "STRIP_PIXELS", 7 * 45 * 2)  # 7 rows per strip
    assert colorization.inference._strip_rows(45, 2) == 7
    np.testing.assert_allclose(colorization.colorize(model, images), whole, atol=1e-6)
    np.testing.assert_allclose(colorization.colorize(model, images[1]), whole[1], atol=1e-6)


@pytest.mark.slow
def test_cli_file_and_folder(trained_model, tmp_path):
    rng = np.random.default_rng(3)
    folder = tmp_path / "in"
    folder.mkdir()
    write_image(folder / "rgb.png", rng.integers(0, 256, (40, 60, 3), dtype=np.uint8))
    rgba = rng.integers(0, 256, (33, 47, 4), dtype=np.uint8)
    write_image(folder / "rgba.png", rgba)
    assert cv2.imwrite(str(folder / "gray16.png"), rng.integers(0, 65536, (36, 36), np.uint16))
    assert cv2.imwrite(str(folder / "gray.jpg"), rng.integers(0, 256, (64, 48), np.uint8))

    out_file = tmp_path / "out.png"
    assert _cli("colorize", "--input", str(folder / "rgba.png"), "--model", trained_model,
                "--output", str(out_file)) == 0  # fmt: skip
    assert cv2.imread(str(out_file)).shape == (33, 47, 3)

    out_dir = tmp_path / "out"
    assert _cli("colorize", "--input", str(folder), "--model", trained_model,
                "--output", str(out_dir)) == 0  # fmt: skip
    written = sorted(p.name for p in out_dir.iterdir())
    assert written == ["gray.png", "gray16.png", "rgb.png", "rgba.png"]
    assert cv2.imread(str(out_dir / "gray16.png")).shape == (36, 36, 3)


@pytest.mark.slow
def test_cli_errors_write_nothing(trained_model, tmp_path, capsys):
    image = write_image(tmp_path / "ok.png", np.full((32, 32, 3), 128, np.uint8))
    not_image = tmp_path / "notes.png"
    not_image.write_text("not an image")
    tiny = write_image(tmp_path / "tiny.png", np.full((8, 8, 3), 128, np.uint8))
    bad_model = tmp_path / "broken.keras"
    bad_model.write_text("garbage")
    out = tmp_path / "out"
    cases = [
        (image, str(tmp_path / "missing.keras"), "does not exist"),
        (image, str(bad_model), "Cannot load model"),
        (image, image, "must be a Keras 3 '.keras' file"),
        (str(not_image), trained_model, "not a readable image"),
        (tiny, trained_model, "too small"),
        (str(tmp_path / "nope.png"), trained_model, "does not exist"),
    ]
    for source, model, message in cases:
        code = _cli("colorize", "--input", source, "--model", model, "--output", str(out / "x.png"))
        assert code != 0
        assert message in capsys.readouterr().err
    # a folder with one non-image file: error before anything is written
    folder = tmp_path / "mixed"
    folder.mkdir()
    write_image(folder / "a.png", np.full((32, 32, 3), 90, np.uint8))
    (folder / "b.png").write_text("not an image")
    assert _cli("colorize", "--input", str(folder), "--model", trained_model,
                "--output", str(out)) != 0  # fmt: skip
    assert not out.exists() or not any(out.iterdir())
    leftovers = [p for p in tmp_path.rglob("*") if p.name.startswith(".colorize-")]
    assert leftovers == []


@pytest.mark.slow
def test_cli_refuses_colliding_output_names_up_front(trained_model, tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    write_image(folder / "x.png", np.full((32, 32, 3), 120, np.uint8))
    assert cv2.imwrite(str(folder / "x.jpg"), np.full((32, 32, 3), 60, np.uint8))
    out = tmp_path / "out"
    code = _cli("colorize", "--input", str(folder), "--model", trained_model, "--output", str(out))
    err = capsys.readouterr().err
    assert code != 0
    assert "x.jpg" in err and "x.png" in err and "rename" in err
    assert not out.exists() or not any(out.iterdir())  # refused before anything is written


@pytest.mark.slow
def test_cli_streams_and_leaves_only_complete_files(trained_model, tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    write_image(folder / "a.png", np.full((32, 40, 3), 90, np.uint8))
    pixels = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    whole = bytearray(cv2.imencode(".png", pixels)[1].tobytes())
    (folder / "b.png").write_bytes(whole[: len(whole) // 2])  # a PNG header, then cut off
    write_image(folder / "c.png", np.full((32, 32, 3), 150, np.uint8))
    out = tmp_path / "out"
    code = _cli("colorize", "--input", str(folder), "--model", trained_model, "--output", str(out))
    err = capsys.readouterr().err
    # A file cut short is found by its missing end when the folder is listed: nothing starts.
    assert code != 0 and "b.png" in err and "does not decode" in err
    assert not out.exists() or not list(out.iterdir())
    # A file that ends well but is corrupt inside fails only when decoded: the images before
    # it are finished, whole, and nothing is half-written.
    whole[len(whole) // 2 : len(whole) // 2 + 40] = bytes(40)
    (folder / "b.png").write_bytes(bytes(whole))
    code = _cli("colorize", "--input", str(folder), "--model", trained_model, "--output", str(out))
    err = capsys.readouterr().err
    assert code != 0 and "b.png" in err
    assert sorted(p.name for p in out.iterdir()) == ["a.png"]
    assert cv2.imread(str(out / "a.png")).shape == (32, 40, 3)
    assert "on_error" not in err
