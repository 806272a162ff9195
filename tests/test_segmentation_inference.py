"""Running a segmentation model over a dataset."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from ssl_keras import models, segmentation


def test_evaluate_and_predict_masks_on_a_tiny_model():
    model = models.unet(
        (16, 16, 3), depth=1, base_filters=2, output_channels=3, output_activation=None
    )
    images = np.random.default_rng(0).random((3, 16, 16, 3), dtype=np.float32)
    masks = np.random.default_rng(1).integers(0, 4, (3, 16, 16, 1)).astype(np.int32)
    ds = tf.data.Dataset.from_tensor_slices((images, masks)).batch(2)
    result = segmentation.evaluate(model, ds, 3, ignore_class=3)
    assert result.confusion.sum() == int((masks != 3).sum())
    _, truth, predicted = segmentation.predict_masks(model, ds)
    assert truth.shape == predicted.shape == (3, 16, 16) and predicted.dtype == np.int32
    binary = models.unet(
        (16, 16, 3), depth=1, base_filters=2, output_channels=1, output_activation=None
    )
    _, _, probabilities = segmentation.predict_masks(binary, ds)
    assert (
        probabilities.shape == (3, 16, 16) and 0 <= probabilities.min() <= probabilities.max() <= 1
    )
