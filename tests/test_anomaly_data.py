"""Tests of ssl_keras.anomaly.data: loading an MVTec AD category and its bad folders."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import tensorflow as tf

from ssl_keras import anomaly


def test_load_category_and_bad_folders(mvtec_root, tmp_path):
    data = anomaly.load_category(mvtec_root, "weave", size=24, holdout=0.34)
    assert data.grayscale and data.train.shape == (4, 24, 24, 3) and len(data.holdout) == 2
    assert data.masks.shape == (len(data.test), 24, 24) and set(np.unique(data.masks)) <= {0, 1}
    assert data.masks[data.labels == 1].any(axis=(1, 2)).all()
    assert "weave: grayscale" in data.describe()
    assert not anomaly.load_category(mvtec_root, "cap", size=24).grayscale

    broken = tmp_path / "broken"
    shutil.copytree(mvtec_root / "cap", broken / "cap")
    shutil.rmtree(broken / "cap" / "train" / "good")
    with pytest.raises(FileNotFoundError, match="train/good"):
        anomaly.load_category(broken, "cap")

    no_mask = tmp_path / "no_mask"
    shutil.copytree(mvtec_root / "cap", no_mask / "cap")
    next((no_mask / "cap" / "ground_truth" / "crack").glob("*.png")).unlink()
    with pytest.raises(ValueError, match="no mask"):
        anomaly.load_category(no_mask, "cap")

    wrong_size = tmp_path / "wrong_size"
    shutil.copytree(mvtec_root / "cap", wrong_size / "cap")
    mask_path = next((wrong_size / "cap" / "ground_truth" / "crack").glob("*.png"))
    tf.io.write_file(str(mask_path), tf.io.encode_png(np.zeros((16, 16, 1), np.uint8)))
    with pytest.raises(ValueError, match="size"):
        anomaly.load_category(wrong_size, "cap")

    with pytest.raises(ValueError, match="holdout"):
        anomaly.load_category(mvtec_root, "cap", holdout=0.9)

    # Files that are no image, or that stop half-way, are named (no TensorFlow traceback).
    empty = tmp_path / "empty"
    shutil.copytree(mvtec_root / "cap", empty / "cap")
    zero = next((empty / "cap" / "test" / "crack").glob("*.png"))
    zero.write_bytes(b"")
    with pytest.raises(ValueError, match=rf"{zero.name}.*not an image"):
        anomaly.load_category(empty, "cap")
    truncated = tmp_path / "truncated"
    shutil.copytree(mvtec_root / "cap", truncated / "cap")
    cut = sorted((truncated / "cap" / "train" / "good").glob("*.png"))[1]
    cut.write_bytes(cut.read_bytes()[:200])
    with pytest.raises(ValueError, match=rf"{cut.name}.*does not decode: cut short"):
        anomaly.load_category(truncated, "cap")
