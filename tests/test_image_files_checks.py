"""Tests of ssl_keras.image_files.checks: format sniffing and checking files."""

import pytest

from ssl_keras import image_files


def test_lying_extension_is_sniffed(image_folder):
    assert image_files.sniff_format(image_folder / "jpeg_bytes.png") == "jpeg"
    assert image_files.sniff_format(image_folder / "photo.webp") == "webp"


def test_check_image_files_rejects_an_unknown_on_error(tmp_path):
    with pytest.raises(ValueError, match="on_error must be 'raise' or 'warn', got 'skip'"):
        image_files.check_image_files([str(tmp_path / "a.png")], on_error="skip")
