"""The pretext classifier: a U-Net encoder and a projection head mapping images to logits."""

from __future__ import annotations

from collections.abc import Sequence

import keras

from ssl_keras import models, runtime
from ssl_keras._checks import check_fraction, check_int
from ssl_keras.layers import ConvBlock


def pretext_model(
    input_shape: Sequence[int | None] = (64, 64, 3),
    encoder: keras.Model | None = None,
    depth: int = 3,
    base_filters: int = 16,
    hidden: int = 128,
    n_classes: int = 3,
    batch_norm: bool = True,
    bn_momentum: float = 0.9,
    name: str = "pretext",
) -> keras.Model:
    """Encoder + projection head for the pretext task: image → logits over ``n_classes``.

    Layers: ``encoder`` (nested U-Net encoder, :func:`ssl_keras.models.encoder_from`) →
    ``embedding`` (global average pooling) → ``projection`` (Dense + ReLU) → ``logits``.
    Train with ``SparseCategoricalCrossentropy(from_logits=True)``.

    Args:
        input_shape: ``(H, W, 3)``; H and W may be ``None``.
        encoder: a pretrained encoder (e.g. of notebook 02's denoising U-Net); default: a
            fresh one from ``models.unet(input_shape, depth, base_filters)``. The model is
            built under :func:`ssl_keras.runtime.scope`; under a multi-replica strategy,
            load or build ``encoder`` inside that scope too. The encoder is used as it is,
            not copied: training the pretext model trains its weights, and its BatchNorm
            layers take ``bn_momentum`` (a U-Net sharing those layers, as
            :func:`ssl_keras.models.encoder_from` makes one, sees both). Pass
            ``keras.models.clone_model(encoder)`` with its weights set to keep the original.
        depth, base_filters, batch_norm: size and normalization of the fresh encoder
            (ignored when ``encoder`` is given).
        bn_momentum: momentum of the encoder's BatchNormalization moving statistics. Keras's
            0.99 averages over ~100 steps, which lags behind the weights in a short run
            (inference-mode accuracy then trails training-mode accuracy badly); 0.9 keeps up.
        hidden: units of the projection layer.
        n_classes: pretext classes (3).
        name: model name.

    Returns:
        A model mapping float32 ``(N, H, W, 3)`` to float32 logits ``(N, n_classes)``.
    """
    with runtime.scope():  # a model to train: under the active strategy
        if encoder is None:
            unet = models.unet(
                input_shape,
                depth=depth,
                base_filters=base_filters,
                batch_norm=batch_norm,
                name=f"{name}_unet",
            )
            encoder = models.encoder_from(unet, name="encoder")
        hidden = check_int(hidden, "hidden")
        bn_momentum = check_fraction(bn_momentum, "bn_momentum")
        for layer in encoder.layers:
            if isinstance(layer, ConvBlock) and layer.batch_norm:
                layer.bn1.momentum = layer.bn2.momentum = bn_momentum
        inputs = keras.Input(shape=tuple(input_shape), name="image")
        features = encoder(inputs)
        embedding = keras.layers.GlobalAveragePooling2D(name="embedding")(features)
        x = keras.layers.Dense(hidden, activation="relu", name="projection")(embedding)
        logits = keras.layers.Dense(n_classes, dtype="float32", name="logits")(x)
        return keras.Model(inputs, logits, name=name)
