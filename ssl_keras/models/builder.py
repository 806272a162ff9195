"""The U-Net builder (:func:`unet`) and a parameter count for any model (:func:`count_params`).

One builder serves every notebook: denoising (3 channels out, sigmoid or residual), binary
segmentation (1 channel, logits or sigmoid) and multi-class segmentation (``n_classes``
channels, logits). Its blocks have the stable names listed in :mod:`ssl_keras.models`, which
:mod:`~ssl_keras.models.levels` relies on.

**Sizes.** Any input size works: when H or W is not a multiple of ``2**depth`` (or unknown
at build time, ``None``), the model zero-pads inside itself up to the next multiple and
crops back before the head, so the output always has the input's height and width. A
size that is already a multiple gets no pad/crop layers at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import keras
import numpy as np

from ssl_keras._checks import check_fraction, check_int
from ssl_keras.layers import PAD_MODES, ConvBlock, CropToMatch, PadToMultiple

UPSAMPLING = ("transpose", "bilinear")


def _check_input_shape(input_shape) -> tuple[int | None, int | None, int]:
    try:
        height, width, channels = tuple(input_shape)
    except (TypeError, ValueError):
        raise ValueError(
            f"input_shape must be (height, width, channels), e.g. (None, None, 3) or "
            f"(128, 128, 3), got {input_shape!r}."
        ) from None
    for size, label in ((height, "height"), (width, "width")):
        if size is not None:
            check_int(size, f"input_shape {label} (or None)")
    return height, width, check_int(channels, "input_shape channels")


def _check_activation(activation: str | None, name: str):
    if activation is None:
        return None
    try:
        return keras.activations.get(activation)
    except (ValueError, TypeError):
        raise ValueError(
            f"{name}={activation!r} is not a Keras activation; use e.g. 'sigmoid', "
            "'softmax', 'linear' or None (logits)."
        ) from None


def unet(
    input_shape: Sequence[int | None] = (None, None, 3),
    depth: int = 4,
    base_filters: int = 32,
    upsampling: str = "transpose",
    dropout: float = 0.0,
    output_channels: int = 3,
    output_activation: str | None = "sigmoid",
    batch_norm: bool = True,
    kernel_initializer: str = "he_normal",
    residual: bool = False,
    pad_mode: str = "constant",
    bn_momentum: float = 0.99,
    name: str = "unet",
) -> keras.Model:
    """Build a U-Net as a functional ``keras.Model`` whose output has the input's size.

    Encoder: ``depth`` levels of ConvBlock (Conv-BN-ReLU ×2) + 2×2 max pooling, widths
    ``base_filters · 2**(i-1)``; bottleneck ConvBlock of width ``base_filters · 2**depth``;
    decoder: upsample ×2 → concatenate the skip → ConvBlock; 1×1 conv head.

    Args:
        input_shape: ``(H, W, C)``; H and W may be ``None`` (any size at call time). Sizes
            that are not multiples of ``2**depth`` are padded inside the model and cropped
            back (see the module docstring), so e.g. 61×67 inputs work.
        depth: number of poolings (encoder levels), ≥ 1.
        base_filters: channels of the first level, ≥ 1; doubled at each level.
        upsampling: ``"transpose"`` (``Conv2DTranspose`` 2×2, stride 2) or ``"bilinear"``
            (``UpSampling2D`` bilinear + 3×3 ``Conv2D``; no checkerboard artifacts).
        dropout: rate in [0, 1) of ``Dropout`` after the last encoder level
            (``enc{depth}_dropout``) and after the bottleneck (``bottleneck_dropout``).
        output_channels: channels of the head: 3 for RGB denoising, 1 for binary masks,
            ``n_classes`` for multi-class segmentation.
        output_activation: activation of the head: ``"sigmoid"`` (images in [0, 1],
            binary probabilities), ``None``/``"linear"`` (logits, e.g. with
            ``SparseCategoricalCrossentropy(from_logits=True)``), ``"softmax"``, ...
        batch_norm: BatchNormalization after every 3×3 convolution of the blocks.
        kernel_initializer: initializer of all convolution kernels.
        residual: predict a correction: output = input + head (denoising). Needs
            ``output_channels == C`` and a linear head (``output_activation`` None/"linear").
        pad_mode: how the internal padding fills: ``"constant"`` (zeros), ``"reflect"`` or
            ``"symmetric"`` (see :class:`~ssl_keras.layers.PadToMultiple`).
        bn_momentum: momentum of every BN layer's moving statistics (see
            :class:`~ssl_keras.layers.ConvBlock`); 0.9 suits runs of a few hundred steps.
        name: model name.

    Returns:
        A model mapping float32 ``(N, H, W, C)`` to float32 ``(N, H, W, output_channels)``.
    """
    height, width, channels = _check_input_shape(input_shape)
    depth = check_int(depth, "depth")
    base_filters = check_int(base_filters, "base_filters")
    if upsampling not in UPSAMPLING:
        raise ValueError(f"upsampling must be one of {UPSAMPLING}, got {upsampling!r}.")
    dropout = check_fraction(dropout, "dropout")
    output_channels = check_int(output_channels, "output_channels")
    activation = _check_activation(output_activation, "output_activation")
    if pad_mode not in PAD_MODES:
        raise ValueError(f"pad_mode must be one of {PAD_MODES}, got {pad_mode!r}.")
    try:
        initializer = keras.initializers.get(kernel_initializer)
    except (ValueError, TypeError):
        raise ValueError(
            f"kernel_initializer={kernel_initializer!r} is not a Keras initializer; use "
            "e.g. 'he_normal' or 'glorot_uniform'."
        ) from None
    if residual:
        if output_channels != channels:
            raise ValueError(
                f"residual=True adds the input to the prediction, so output_channels must "
                f"equal the input channels ({channels}), got {output_channels}."
            )
        if output_activation not in (None, "linear"):
            raise ValueError(
                f"residual=True needs a linear head (output_activation=None or 'linear'), "
                f"got {output_activation!r}: the activation would squash the prediction "
                "before the input is added."
            )

    def block(filters: int, block_name: str) -> ConvBlock:
        return ConvBlock(
            filters,
            batch_norm=batch_norm,
            kernel_initializer=initializer,
            bn_momentum=bn_momentum,
            name=block_name,
        )

    multiple = 2**depth
    needs_padding = any(size is None or size % multiple for size in (height, width))
    inputs = keras.Input(shape=(height, width, channels), name="image")
    x = PadToMultiple(multiple, mode=pad_mode, name="pad")(inputs) if needs_padding else inputs

    skips = []
    for level in range(1, depth + 1):
        x = block(base_filters * 2 ** (level - 1), f"enc{level}")(x)
        if dropout and level == depth:
            x = keras.layers.Dropout(dropout, name=f"enc{level}_dropout")(x)
        skips.append(x)
        x = keras.layers.MaxPooling2D(2, name=f"pool{level}")(x)

    x = block(base_filters * 2**depth, "bottleneck")(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name="bottleneck_dropout")(x)

    for level in range(depth, 0, -1):
        filters = base_filters * 2 ** (level - 1)
        if upsampling == "transpose":
            x = keras.layers.Conv2DTranspose(
                filters, 2, strides=2, kernel_initializer=initializer, name=f"dec{level}_up"
            )(x)
        else:
            x = keras.layers.UpSampling2D(2, interpolation="bilinear", name=f"dec{level}_upsample")(
                x
            )
            x = keras.layers.Conv2D(
                filters, 3, padding="same", kernel_initializer=initializer, name=f"dec{level}_up"
            )(x)
        x = keras.layers.Concatenate(name=f"dec{level}_concat")([skips[level - 1], x])
        x = block(filters, f"dec{level}")(x)

    if needs_padding:
        # Crop before the 1×1 head (pointwise, so the order does not matter) to keep the
        # head the float32 output layer under mixed precision.
        x = CropToMatch(name="crop")([x, inputs])
    outputs = keras.layers.Conv2D(
        output_channels,
        1,
        activation=activation,
        kernel_initializer=initializer,
        dtype="float32",
        name="head",
    )(x)
    if residual:
        outputs = keras.layers.Add(dtype="float32", name="residual")([inputs, outputs])
    return keras.Model(inputs, outputs, name=name)


class ParamCount(NamedTuple):
    """Trainable and non-trainable parameter counts; ``str()`` gives a one-line summary."""

    trainable: int
    non_trainable: int

    @property
    def total(self) -> int:
        return self.trainable + self.non_trainable

    def __str__(self) -> str:
        return (
            f"{self.total:,} parameters ({self.trainable:,} trainable, "
            f"{self.non_trainable:,} non-trainable)"
        )


def count_params(model: keras.Model) -> ParamCount:
    """Count a model's parameters: a width-stable replacement for ``model.summary()``.

    Shared weights count once. BN moving mean/variance are non-trainable, and so is every
    weight of a frozen layer.
    """
    if not isinstance(model, keras.layers.Layer):
        raise ValueError(
            f"count_params expects a Keras model or layer, got {type(model).__name__}."
        )
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    non_trainable = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    return ParamCount(trainable, non_trainable)
