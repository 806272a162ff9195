"""Tests of ssl_keras.datasets.carla: CameraRGB/ and CameraMask/ pairs → (image, mask)."""

from __future__ import annotations

import numpy as np
import pytest

from ssl_keras.datasets import carla


def test_carla_on_synthetic(sets):
    items = list(carla.carla_dataset(sets["carla"], size=48).as_numpy_iterator())
    assert len(items) == 5
    image, mask = items[0]
    assert image.shape == (48, 48, 3) and mask.shape == (48, 48, 1) and mask.dtype == np.int32
    assert mask.max() <= 11 and len(np.unique(mask)) > 3
    (sets["carla"] / "CameraRGB" / "000004.png").rename(sets["carla"] / "extra.png")
    try:
        with pytest.raises(ValueError, match=r"000004\.png.*has no image"):
            carla.carla_dataset(sets["carla"])
    finally:
        (sets["carla"] / "extra.png").rename(sets["carla"] / "CameraRGB" / "000004.png")
