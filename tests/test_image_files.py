"""Tests of ssl_keras.image_files: listing, sniffing, decoding every format, writing."""

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from ssl_keras import image_files
from tests._data import RGB


def test_lists_images_and_ignores_other_extensions(image_folder):
    names = [p.rsplit("/", 1)[-1] for p in image_files.list_image_files(image_folder)]
    assert "notes.txt" not in names
    assert len(names) == 10
    assert names == sorted(names)


def test_decodes_every_format_to_float_rgb(image_folder):
    for path in image_files.list_image_files(image_folder):
        image = image_files.load_image(path).numpy()
        assert image.shape == (20, 30, 3), path
        assert image.dtype == np.float32
        assert 0.0 <= image.min() and image.max() <= 1.0


def test_lossless_formats_keep_pixel_values(image_folder):
    expected = RGB / 255.0
    for name in ("bitmap.bmp", "photo.webp", "animated.gif"):
        image = image_files.load_image(image_folder / name).numpy()
        tolerance = 0.06 if name.endswith(".gif") else 1e-6  # GIF quantizes to 256 colors
        assert np.abs(image - expected).mean() < tolerance, name


def test_grayscale_and_sixteen_bit_become_three_equal_channels(image_folder):
    for name in ("gray.png", "sixteen_bit.png"):
        image = image_files.load_image(image_folder / name).numpy()
        assert np.allclose(image[..., 0], RGB[..., 0] / 255.0, atol=1e-4)
        assert np.array_equal(image[..., 0], image[..., 2])


def test_transparent_pixels_become_white(image_folder):
    image = image_files.load_image(image_folder / "rgba.png").numpy()
    assert np.allclose(image[:5, :5], 1.0)
    assert np.allclose(image[10:, 10:], RGB[10:, 10:] / 255.0, atol=1e-6)


def test_gif_first_frame(image_folder):
    image = image_files.load_image(image_folder / "animated.gif").numpy()
    assert np.abs(image - RGB / 255.0).mean() < np.abs(image - (255 - RGB) / 255.0).mean()


def test_lying_extension_is_sniffed(image_folder):
    assert image_files.sniff_format(image_folder / "jpeg_bytes.png") == "jpeg"
    assert image_files.sniff_format(image_folder / "photo.webp") == "webp"


def test_missing_and_empty_folders(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        image_files.list_image_files(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="No image files"):
        image_files.list_image_files(tmp_path / "empty")


def test_corrupt_file_raises_or_is_skipped(image_folder):
    bad = image_folder / "broken.jpg"
    bad.write_bytes(b"this is not a jpeg at all")
    with pytest.raises(ValueError, match="broken.jpg"):
        image_files.list_image_files(image_folder)
    with pytest.warns(UserWarning, match="broken.jpg"):
        paths = image_files.list_image_files(image_folder, on_error="warn")
    assert str(bad) not in paths


def test_truncated_image_names_the_file(tmp_path):
    path = tmp_path / "truncated.png"
    Image.fromarray(RGB).save(path)
    path.write_bytes(path.read_bytes()[:60])
    with pytest.raises(ValueError, match="truncated.png"):
        image_files.load_image(path)
    with pytest.raises(FileNotFoundError, match="missing.png"):
        image_files.load_image(tmp_path / "missing.png")


def test_uint8_read_matches_float_read(image_folder):
    for path in image_files.list_image_files(image_folder):
        as_uint8 = image_files.read_image_uint8(tf.constant(path))
        assert as_uint8.dtype == tf.uint8 and as_uint8.shape[-1] == 3
        as_float = image_files.read_image(tf.constant(path)).numpy()
        widened = tf.image.convert_image_dtype(as_uint8, tf.float32).numpy()
        # 8-bit files agree exactly; 16-bit and alpha-composited PNGs within rounding
        assert np.abs(widened - as_float).max() <= 0.5 / 255 + 1e-6, path


def _read(path):
    """Pixels as stored, in RGB(A) order (``cv2.imread`` gives BGR(A))."""
    import cv2

    pixels = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if pixels.ndim == 2:
        return pixels
    return cv2.cvtColor(pixels, cv2.COLOR_BGRA2RGBA if pixels.shape[-1] == 4 else cv2.COLOR_BGR2RGB)


@pytest.mark.parametrize("channels", [None, 1, 3, 4])
def test_write_image_uint8_keeps_pixels_and_leaves_no_temporary_file(tmp_path, channels):
    pixels = {None: RGB[..., 0], 1: RGB[..., :1], 3: RGB, 4: np.dstack([RGB, RGB[..., 0]])}
    path = tmp_path / "out.png"
    image_files.write_image(path, pixels[channels])
    expected = pixels[channels][..., 0] if channels == 1 else pixels[channels]
    np.testing.assert_array_equal(_read(path), expected)
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]


@pytest.mark.parametrize("gray", [True, False])
def test_write_image_float_is_scaled_and_rounded(tmp_path, gray):
    pixels = RGB[..., 0] if gray else RGB
    path = tmp_path / "float.png"
    image_files.write_image(path, pixels.astype(np.float32) / 255)
    np.testing.assert_array_equal(_read(path), pixels)
    image_files.write_image(path, np.full((4, 5, 3), 0.5019, np.float64))  # overwrites
    assert (_read(path) == 128).all()
    assert [p.name for p in tmp_path.iterdir()] == ["float.png"]


def test_write_image_compression_changes_bytes_not_pixels(tmp_path):
    image_files.write_image(tmp_path / "fast.png", RGB, png_compression=0)
    image_files.write_image(tmp_path / "small.png", RGB, png_compression=9)
    assert (tmp_path / "fast.png").stat().st_size > (tmp_path / "small.png").stat().st_size
    np.testing.assert_array_equal(_read(tmp_path / "fast.png"), _read(tmp_path / "small.png"))
    image_files.write_image(tmp_path / "low.jpg", RGB, jpeg_quality=20, png_compression=0)
    image_files.write_image(tmp_path / "high.jpg", RGB, jpeg_quality=98)
    assert (tmp_path / "low.jpg").stat().st_size < (tmp_path / "high.jpg").stat().st_size


def test_write_image_errors_name_the_path(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    for path in (tmp_path / "missing" / "x.png", blocker / "x.png"):
        with pytest.raises(image_files.ImageWriteError, match="not an existing folder") as raised:
            image_files.write_image(path, RGB)
        assert str(path) in str(raised.value)
        assert isinstance(raised.value, OSError) and isinstance(raised.value, ValueError)
    with pytest.raises(image_files.ImageWriteError, match=r"out\.xyz.*no image format"):
        image_files.write_image(tmp_path / "out.xyz", RGB)
    (tmp_path / "taken.png").mkdir()  # a folder where the file should go
    with pytest.raises(image_files.ImageWriteError, match=r"taken\.png"):
        image_files.write_image(tmp_path / "taken.png", RGB)
    with pytest.raises(ValueError, match=r"in \[0, 1\].*max=250"):
        image_files.write_image(tmp_path / "f.png", RGB.astype(np.float32))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file", "taken.png"]


def test_write_image_unwritable_folder(tmp_path, monkeypatch):
    import os

    import cv2

    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):  # root ignores the folder's permissions
            monkeypatch.setattr(cv2, "imwrite", lambda *args: False)
        with pytest.raises(image_files.ImageWriteError, match=r"locked/x\.png.*writable"):
            image_files.write_image(folder / "x.png", RGB)
    finally:
        folder.chmod(0o700)
    assert list(folder.iterdir()) == []


def test_find_image_files_matches_names_only(tmp_path):
    for name in ("b.PNG", "a.jpg", "notes.txt", ".hidden.png", "sub/c.png", ".cache/d.png"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    names = [p.relative_to(tmp_path).as_posix() for p in image_files.find_image_files(tmp_path)]
    assert names == [".hidden.png", "a.jpg", "b.PNG"]
    deep = image_files.find_image_files(tmp_path, recursive=True, skip_hidden=True)
    assert [p.relative_to(tmp_path).as_posix() for p in deep] == ["a.jpg", "b.PNG", "sub/c.png"]
    assert image_files.find_image_files(tmp_path, extensions=(".JPG",)) == [tmp_path / "a.jpg"]
