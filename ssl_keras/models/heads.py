"""Classification heads on a U-Net encoder: the head layers (:func:`classification_head`)
and a whole classifier model around an encoder (:func:`classifier`)."""

from __future__ import annotations

import keras

from ssl_keras._checks import check_fraction, check_int
from ssl_keras.models.levels import encoder_from, find_levels, set_trainable_levels


def classifier(
    encoder: keras.Model,
    n_classes: int = 2,
    hidden: int | None = 128,
    dropout: float = 0.3,
    freeze_encoder: bool = True,
    name: str = "classifier",
) -> keras.Model:
    """Put a classification head on a U-Net encoder: GAP → Dense(relu) → Dropout → Dense.

    Args:
        encoder: an encoder from :func:`~ssl_keras.models.levels.encoder_from` (used as a
            nested model, weights shared) or a full :func:`~ssl_keras.models.builder.unet` (its
            encoder is cut out first).
        n_classes: 2 gives one sigmoid unit (``binary_crossentropy``, labels 0/1); more gives
            a softmax over ``n_classes`` (``sparse_categorical_crossentropy``).
        hidden: units of the hidden ReLU layer; ``None`` or 0 omits it.
        dropout: rate in [0, 1) before the output layer; 0 omits it.
        freeze_encoder: freeze the whole encoder (stage 1, BN in inference mode); unfreeze
            top blocks later with :func:`~ssl_keras.models.levels.set_trainable_levels`.
            ``False`` trains everything (the from-scratch baseline). Freezing a shared encoder
            also freezes those layers in the U-Net it came from.
        name: model name.

    Returns:
        A model mapping float32 ``(N, H, W, C)`` images to float32 probabilities ``(N, 1)``
        in [0, 1] (2 classes) or ``(N, n_classes)`` summing to 1. If the encoder has a
        Dropout (``unet(dropout>0)``), it stays active during training even when frozen.
    """
    found = find_levels(encoder, "classifier")
    if "head" in {layer.name for layer in found.container.layers}:
        encoder = encoder_from(found.container)
    inputs = keras.Input(shape=tuple(encoder.inputs[0].shape[1:]), name="image")
    x = encoder(inputs)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    outputs = classification_head(x, n_classes, hidden, dropout)
    model = keras.Model(inputs, outputs, name=name)
    set_trainable_levels(model, 0 if freeze_encoder else len(found.blocks), train_batch_norm=True)
    return model


def classification_head(x, n_classes: int = 2, hidden: int | None = 128, dropout: float = 0.3):
    """The classification head on features ``x`` (a Keras tensor ``(N, D)``):
    ``[Dense(hidden, relu)] → [Dropout] → Dense``, one sigmoid unit for 2 classes, else a
    softmax over ``n_classes``; the output layer (``predictions``) computes in float32.
    ``hidden`` ``None`` or 0 and ``dropout`` 0 leave their layer out. Returns the output tensor.
    """
    n_classes = check_int(n_classes, "n_classes", low=2)
    if hidden is not None and (isinstance(hidden, bool) or hidden != 0):
        hidden = check_int(hidden, "hidden")
    dropout = check_fraction(dropout, "dropout")
    if hidden:
        x = keras.layers.Dense(hidden, activation="relu", name="hidden")(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name="dropout")(x)
    if n_classes == 2:
        return keras.layers.Dense(1, activation="sigmoid", dtype="float32", name="predictions")(x)
    return keras.layers.Dense(n_classes, activation="softmax", dtype="float32", name="predictions")(
        x
    )
