"""Tests of ssl_keras.anomaly.recipe: pretext training on one category."""

from __future__ import annotations

import pytest

from ssl_keras import anomaly

pytestmark = pytest.mark.slow


def test_pretext_training_on_fewer_images_than_a_batch_returns(mvtec_root, deadline):
    data = anomaly.load_category(mvtec_root, "weave", size=24, holdout=0.34)  # 4 + 2 images
    model = anomaly.pretext_model((24, 24, 3), depth=2, base_filters=4, hidden=8)
    with deadline(240):
        history = anomaly.train_pretext(model, data, epochs=1, steps_per_epoch=2, batch_size=16)
    assert len(history.history["loss"]) == 1
