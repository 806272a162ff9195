"""Tests of ssl_keras.image_files.writing: atomic writes, pixel scaling and errors."""

import numpy as np
import pytest

from ssl_keras import image_files
from tests._data import RGB


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
