"""The segmentation U-Net: pretrained encoder copied, seeded, restartable."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from ssl_keras import models, segmentation


def test_unet_copies_the_pretrained_encoder_and_is_seeded():
    denoiser = models.unet(
        (None, None, 3), depth=2, base_filters=4, residual=True, output_activation=None
    )
    seeded = segmentation.unet((12, 20, 3), 5, depth=2, base_filters=4, seed=3)
    again = segmentation.unet((12, 20, 3), 5, depth=2, base_filters=4, seed=3)
    for a, b in zip(seeded.get_weights(), again.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    pretrained = segmentation.unet(
        (12, 20, 3), 5, depth=2, base_filters=4, dropout=0.2, pretrained=denoiser, seed=3
    )
    for block in ("enc1", "enc2", "bottleneck"):  # convolutions and BN statistics
        for a, b in zip(
            pretrained.get_layer(block).get_weights(),
            denoiser.get_layer(block).get_weights(),
            strict=True,
        ):
            np.testing.assert_array_equal(a, b)
    assert not np.array_equal(
        pretrained.get_layer("enc1").get_weights()[0], seeded.get_layer("enc1").get_weights()[0]
    )
    assert pretrained.output_shape == (None, 12, 20, 5)
    with pytest.raises(ValueError, match="depth"):
        segmentation.unet((16, 16, 3), 5, depth=3, base_filters=4, pretrained=denoiser)
    with pytest.raises(ValueError, match="seed"):
        segmentation.unet((16, 16, 3), 5, depth=2, base_filters=4, seed=-1)


@pytest.mark.slow
def test_restart_replays_a_fresh_run_without_recompiling():
    images = np.random.default_rng(0).random((8, 16, 16, 3), dtype=np.float32)
    masks = np.random.default_rng(1).integers(0, 3, (8, 16, 16, 1)).astype(np.int32)
    model = segmentation.unet((16, 16, 3), 3, depth=2, base_filters=4, seed=0)
    with pytest.raises(ValueError, match="not compiled"):
        segmentation.restart(model, model.get_weights())
    start = model.get_weights()
    model.compile(
        optimizer=keras.optimizers.Adam(0.01),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit(images, masks, batch_size=4, epochs=2, shuffle=False, verbose=0)
    first = model.get_weights()
    segmentation.restart(model, start)
    assert int(model.optimizer.iterations) == 0
    assert float(model.optimizer.learning_rate) == pytest.approx(0.01)
    for a, b in zip(model.get_weights(), start, strict=True):
        np.testing.assert_array_equal(a, b)
    model.fit(images, masks, batch_size=4, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), first, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)
    with pytest.raises(ValueError, match="do not fit"):
        segmentation.restart(model, start[:-1])
