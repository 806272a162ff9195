"""Lesson 07 of bench/lessons_real.py on a tiny generated CamVid folder: scoring at the labels'
own resolution, the per-pixel prior, and one end-to-end record."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))  # bench/ is a folder of scripts, not a package
from scoreboard import camvid, frame  # noqa: E402

NATIVE = (36, 48)  # (H, W) of the generated frames and labels: CamVid's 4:3 at a tenth


def _write_png(path: Path, pixels: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tf.io.write_file(str(path), tf.io.encode_png(tf.constant(pixels, tf.uint8)))


def _scene(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A street-like frame: sky (0) above, road (3) below, a car (8) box; void (11) borders.
    The image's colour follows the class, so the classes can be learned."""
    label = np.zeros(NATIVE, np.uint8)
    label[NATIVE[0] // 2 :] = 3
    top, left = rng.integers(14, 22), rng.integers(4, 30)
    label[top : top + 10, left : left + 14] = 8
    label[:, :2] = 11
    colours = {0: (120, 170, 240), 3: (90, 90, 90), 8: (200, 30, 30), 11: (0, 0, 0)}
    image = np.zeros((*NATIVE, 3), np.int64)
    for index, colour in colours.items():
        image[label == index] = colour
    image += rng.integers(-15, 16, image.shape)
    return np.clip(image, 0, 255), label


@pytest.fixture()
def data(tmp_path) -> Path:
    """``camvid_segnet`` in the SegNet layout: RGB PNG frames, mode-L index labels 0-11 and
    list files with the ``/SegNet/CamVid/...`` prefix."""
    rng = np.random.default_rng(0)
    root = tmp_path / "data"
    base = root / "camvid_segnet"
    for split, count in (("train", 8), ("val", 3)):
        lines = []
        for index in range(count):
            image, label = _scene(rng)
            name = f"{split}_{index:03d}.png"
            _write_png(base / split / name, image)
            _write_png(base / f"{split}annot" / name, label[..., None])
            lines.append(f"/SegNet/CamVid/{split}/{name} /SegNet/CamVid/{split}annot/{name}")
        (base / f"{split}.txt").write_text("\n".join(lines) + "\n")
    return root


def test_upsampled_logits_match_labels_at_the_native_size():
    # Left half class 0, right half class 1 at 9×12; bilinear logits upsampled 4× put the
    # boundary exactly between columns 23 and 24 of 36×48.
    logits = np.zeros((1, 9, 12, 11), np.float32)
    logits[0, :, :6, 0] = 5.0
    logits[0, :, 6:, 1] = 5.0
    classes = camvid.upsample_classes(logits, NATIVE)
    expected = np.zeros(NATIVE, np.int32)
    expected[:, 24:] = 1
    assert classes.shape == (1, *NATIVE) and classes.dtype == np.int32
    np.testing.assert_array_equal(classes[0], expected)
    with pytest.raises(ValueError, match="logits must be"):
        camvid.upsample_classes(np.zeros((9, 12, 11)), NATIVE)


def test_pixel_prior_is_the_most_frequent_class_per_position():
    masks = np.array([[[0, 1], [11, 2]], [[0, 2], [11, 2]], [[3, 2], [11, 11]]])
    prior = camvid.pixel_prior(masks, fallback=5)
    # Void never votes: a position void in every mask gets the fallback (majority) class.
    np.testing.assert_array_equal(prior, [[0, 2], [5, 2]])
    with pytest.raises(ValueError, match="N ≥ 1"):
        camvid.pixel_prior(np.zeros((0, 2, 2)), fallback=0)


def test_stack_masks_names_mixed_sizes():
    masks = tf.data.Dataset.from_generator(
        lambda: iter([np.zeros((4, 6, 1), np.int32), np.zeros((6, 8, 1), np.int32)]),
        output_signature=tf.TensorSpec((None, None, 1), tf.int32),
    )
    with pytest.raises(ValueError, match="several sizes"):
        camvid.stack_masks(masks)


def test_native_confusion_of_a_constant_model_is_the_majority_baseline(data):
    import keras

    from ssl_keras import segmentation
    from ssl_keras.datasets import camvid as camvid_data

    root = data / "camvid_segnet"
    # A model whose logits always favour class 3 (road), whatever its input size.
    inputs = keras.Input((12, 16, 3))
    logits = keras.layers.Conv2D(11, 1, kernel_initializer="zeros", bias_initializer="zeros")
    model = keras.Model(inputs, logits(inputs))
    bias = np.zeros(11, np.float32)
    bias[3] = 1.0
    model.layers[-1].set_weights([np.zeros((1, 1, 3, 11), np.float32), bias])
    images = camvid_data.camvid_dataset(root, "val", size=(12, 16)).map(lambda i, m: i)
    masks = camvid_data.camvid_dataset(root, "val").map(lambda i, m: m)
    matrix = camvid.native_confusion(model, images, masks, batch_size=2)
    counts = segmentation.class_pixel_counts(camvid.stack_masks(masks), 11, 11)
    np.testing.assert_array_equal(matrix, segmentation.constant_prediction_confusion(counts, 3))
    assert matrix.sum() == 3 * NATIVE[0] * (NATIVE[1] - 2)  # void columns not counted


@pytest.mark.slow
def test_lesson_07_record_on_a_tiny_camvid_folder(data, tmp_path):
    config = camvid.CamVidConfig(
        size=(12, 16),
        batch_size=4,
        selection=2,
        max_epochs=2,
        patience=1,
        pretrain_share=0.0,  # lesson 04's tests cover the denoiser's pretraining
    )
    context = frame.Context(data, 0.5, (0, 1), tmp_path / "work")
    record = frame.run_lesson("07", context, config=config)
    assert record["lesson"] == "07"
    ours = record["ours"]
    assert ours["n"] == 2 and 0.0 <= ours["mean"] <= 1.0
    assert f"{NATIVE}" in ours["metric"]
    majority, prior = record["baselines"].values()
    assert list(record["baselines"])[1] == "per-pixel prior (training labels)"
    # The scenes are sky above and road below: the prior gets both, the majority class one.
    assert prior["mean"] > majority["mean"] and prior["n"] == majority["n"] == 1
    details = record["details"]
    assert len(details["arms"]) == 11
    assert len(details["restored_epoch_of_epochs_run"]["U-Net"]) == 2
    assert details["pretraining"] == {"encoder": "from scratch (pretrain_share 0)"}
    assert details["goal"]["short_by"] == pytest.approx(max(0.0, 0.45 - ours["mean"]))
    text = frame.format_record(record)
    assert "SegNet-Basic" in text and "per-pixel prior" in text
