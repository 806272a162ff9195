"""The colorizer network ``L → ab`` on a backbone (:mod:`~ssl_keras.colorization.backbone`),
stage-2 unfreezing and compiling."""

from __future__ import annotations

from collections.abc import Sequence

import keras

from ssl_keras import color, models, runtime, training
from ssl_keras._checks import check_fraction, check_int
from ssl_keras.colorization.backbone import (
    BACKBONES,
    DEPTH,
    MIN_SIDE,
    BackboneChoice,
    build_backbone,
    choose_backbone,
)
from ssl_keras.layers import ConvBlock, CropToMatch, PadToMultiple


def colorizer(
    input_shape: Sequence[int | None] = (None, None, 1),
    backbone: BackboneChoice | str = "small",
    decoder_filters: int = 32,
    base_filters: int = 16,
    batch_norm: bool = True,
    batch_norm_momentum: float = 0.9,
    name: str = "colorizer",
) -> keras.Model:
    """Build the colorizer ``L (N, H, W, 1) in [0, 100] → ab (N, H, W, 2) in Lab units``.

    Args:
        input_shape: ``(H, W, 1)``; H and W may be ``None``. Sizes that are not multiples of
            16 are padded inside the model (symmetric) and cropped back, so the output
            always has the input's height and width.
        backbone: a :class:`BackboneChoice` (from :func:`choose_backbone`, e.g.
            ``choose_backbone("vgg16", weights="vgg16.weights.h5")`` for a local weights
            file) or a kind: ``"vgg16"`` (ImageNet weights, needs them cached or a
            network), ``"denoiser"`` (the default encoder path) or ``"small"``.
        decoder_filters: channels of the finest decoder block ``dec1``; doubled per level.
        base_filters: width of the ``"small"`` backbone's first level (ignored otherwise).
        batch_norm: BatchNormalization in the decoder blocks and the ``"small"`` backbone.
        batch_norm_momentum: momentum of those BN layers' moving statistics. Keras's 0.99
            needs several hundred steps to forget its initial values, so after a short
            training inference-mode predictions (validation, test) fall apart; 0.9 forgets
            in tens of steps. (Used in training only; a reloaded model has Keras's default.)
        name: model name.

    Pretrained backbones are frozen (stage 1: only the decoder trains; BatchNorm in
    inference mode); the ``"small"`` one trains with the decoder. See :func:`unfreeze_top`
    for stage 2.
    """
    if isinstance(backbone, str):
        if backbone not in BACKBONES:
            raise ValueError(f"backbone must be one of {BACKBONES}, got {backbone!r}.")
        backbone = (
            BackboneChoice("vgg16", "imagenet", "requested")
            if backbone == "vgg16"
            else choose_backbone(backbone)
        )
    try:
        height, width, channels = tuple(input_shape)
    except (TypeError, ValueError):
        raise ValueError(
            f"input_shape must be (height, width, 1), e.g. (64, 64, 1), got {input_shape!r}."
        ) from None
    if channels != 1:
        raise ValueError(
            f"The colorizer's input is L, one channel; got input_shape {input_shape!r}."
        )
    for side, label in ((height, "height"), (width, "width")):
        if side is not None:
            check_int(side, f"input_shape {label} (or None)", low=MIN_SIDE)
    decoder_filters = check_int(decoder_filters, "decoder_filters")
    base_filters = check_int(base_filters, "base_filters")
    batch_norm_momentum = check_fraction(batch_norm_momentum, "batch_norm_momentum")

    features, prepare = build_backbone(backbone, base_filters, batch_norm)
    if backbone.pretrained:
        features.trainable = False  # stage 1; frozen BatchNorm runs in inference mode

    multiple = 2**DEPTH
    needs_padding = any(side is None or side % multiple for side in (height, width))
    inputs = keras.Input(shape=(height, width, 1), name="lightness")
    x = PadToMultiple(multiple, mode="symmetric", name="pad")(inputs) if needs_padding else inputs
    skips = features(prepare(x))
    x = skips[-1]
    for level in range(DEPTH, 0, -1):
        x = keras.layers.UpSampling2D(2, interpolation="bilinear", name=f"dec{level}_upsample")(x)
        x = keras.layers.Concatenate(name=f"dec{level}_concat")([skips[level - 1], x])
        x = ConvBlock(
            decoder_filters * 2 ** (level - 1), batch_norm=batch_norm, name=f"dec{level}"
        )(x)
    if needs_padding:
        x = CropToMatch(name="crop")([x, inputs])
    # Zero-initialised head: the untrained model predicts ab = 0, exactly the gray baseline.
    x = keras.layers.Conv2D(
        2, 1, activation="tanh", kernel_initializer="zeros", dtype="float32", name="ab_tanh"
    )(x)
    outputs = keras.layers.Rescaling(color.AB_RANGE, dtype="float32", name="ab")(x)
    model = keras.Model(inputs, outputs, name=name)
    blocks = [model.get_layer(f"dec{level}") for level in range(1, DEPTH + 1)]
    if not backbone.pretrained:
        blocks += [layer for layer in features.layers if isinstance(layer, ConvBlock)]
    for block in blocks:
        if block.batch_norm:
            block.bn1.momentum = block.bn2.momentum = batch_norm_momentum
    return model


def unfreeze_top(model: keras.Model) -> list[str]:
    """Stage 2: make the deepest backbone block trainable (VGG16 ``block5``; a U-Net encoder's
    ``bottleneck``), keeping BatchNorm in inference mode. Re-``compile`` afterwards with a
    low learning rate (e.g. 1e-5 for VGG16). Returns the names of the unfrozen layers."""
    try:
        features = model.get_layer("backbone")
    except ValueError:
        raise ValueError(
            f"Model {model.name!r} has no 'backbone' layer; build it with colorizer()."
        ) from None
    if any(layer.name.startswith("block5_conv") for layer in features.layers):
        features.trainable = False  # flip twice: TF skips assigning an unchanged flag
        features.trainable = True
        for layer in features.layers:
            layer.trainable = layer.name.startswith("block5_conv")
        return [layer.name for layer in features.layers if layer.trainable and layer.weights]
    return models.set_trainable_levels(features, 1)


def compile_colorizer(
    model: keras.Model,
    loss: str | keras.losses.Loss = "huber",
    learning_rate: float | keras.optimizers.schedules.LearningRateSchedule = 1e-3,
) -> keras.Model:
    """Compile with Adam and ``loss`` on ab in Lab units, tracking the mean absolute ab error.

    ``loss``: ``"mse"``, ``"mae"`` (L1), ``"huber"`` (Huber with δ = 5 Lab units: L2 for small
    errors, L1 for large ones) or a Keras loss. ``learning_rate``: a number or a Keras
    schedule (e.g. ``CosineDecay``, so the last epochs settle and the final weights are a
    fair model to compare). The optimizer is created under the strategy
    ``model`` was built under (:func:`ssl_keras.runtime.scope`): build the model inside
    ``rt.strategy.scope()`` to train it on every replica.
    """
    named = {
        "mse": keras.losses.MeanSquaredError(name="mse"),
        "mae": keras.losses.MeanAbsoluteError(name="mae"),
        "huber": keras.losses.Huber(delta=5.0, name="huber"),
    }
    if isinstance(loss, str):
        if loss not in named:
            raise ValueError(f"loss must be one of {sorted(named)} or a keras Loss, got {loss!r}.")
        loss = named[loss]
    with runtime.scope(model):  # the optimizer lives under the model's strategy
        optimizer = keras.optimizers.Adam(learning_rate)
    return training.compile_model(
        model,
        optimizer=optimizer,
        loss=loss,
        metrics=[keras.metrics.MeanAbsoluteError(name="ab_mae")],
        steps_per_execution=1,
    )
