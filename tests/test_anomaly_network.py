"""Tests of ssl_keras.anomaly.network: the pretext classifier."""

from __future__ import annotations

from ssl_keras import anomaly


def test_pretext_model_builds_its_fresh_encoder_with_or_without_batch_norm():
    for batch_norm in (True, False):
        model = anomaly.pretext_model((16, 16, 3), depth=2, base_filters=4, batch_norm=batch_norm)
        kinds = {type(layer).__name__ for layer in model.get_layer("encoder")._flatten_layers()}
        assert ("BatchNormalization" in kinds) == batch_norm
