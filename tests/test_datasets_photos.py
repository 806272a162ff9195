"""Tests of ssl_keras.datasets.photos: bundled scikit-image photographs as float RGB and PNGs."""

from __future__ import annotations

import numpy as np
import pytest

from ssl_keras.datasets import photos


def test_color_photo_is_float_rgb_in_unit_range():
    image = photos.photo("astronaut")
    assert image.dtype == np.float32 and image.shape == (512, 512, 3)
    assert 0.0 <= image.min() and image.max() <= 1.0 and image.max() > 0.5


def test_gray_photo_repeats_one_channel():
    image = photos.photo("camera")
    assert image.shape == (512, 512, 3)
    assert np.array_equal(image[..., 0], image[..., 1])
    assert np.array_equal(image[..., 0], image[..., 2])


def test_unknown_photo_names_itself_and_the_choices():
    with pytest.raises(ValueError, match=r"Unknown photo 'lena'.*astronaut.*camera"):
        photos.photo("lena")


def test_photos_returns_the_named_ones(no_network):
    images = photos.photos(("coffee", "moon"))
    assert list(images) == ["coffee", "moon"]
    assert np.array_equal(images["coffee"], photos.photo("coffee"))


def test_write_photos_writes_pngs_and_keeps_existing_files(tmp_path):
    (tmp_path / "moon.png").write_bytes(b"kept")
    paths = photos.write_photos(tmp_path, ("coins", "moon"))
    assert paths == [str(tmp_path / "coins.png"), str(tmp_path / "moon.png")]
    assert (tmp_path / "coins.png").read_bytes().startswith(b"\x89PNG")
    assert (tmp_path / "moon.png").read_bytes() == b"kept"
