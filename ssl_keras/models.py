"""U-Net builder, encoder extraction by layer name, weight transfer and a classification head.

One builder, :func:`unet`, serves every notebook: denoising (3 channels out, sigmoid or
residual), binary segmentation (1 channel, logits or sigmoid) and multi-class segmentation
(``n_classes`` channels, logits). Its blocks have stable names, so the pretrained encoder can
be cut out (:func:`encoder_from`), inspected (:func:`feature_extractor`), copied into a fresh
model (:func:`load_encoder_weights`) and topped with a classifier (:func:`classifier`,
:func:`set_trainable_levels`).

Layer names of a ``unet(depth=N)`` (the U-Net "contract" the helpers rely on):

====================  ==========================================================
``image``             the input, ``(batch, H, W, C)`` float32
``pad``               only when H or W is unknown or not divisible by ``2**N``
``enc1`` … ``encN``   :class:`~ssl_keras.layers.ConvBlock` at 1/1 … 1/2**(N-1) scale,
                      ``base_filters * 2**(i-1)`` channels (the output before pooling)
``pool1`` … ``poolN`` 2×2 max pooling
``bottleneck``        ConvBlock at 1/2**N scale, ``base_filters * 2**N`` channels
``dec{i}_up``         upsampling to the scale of ``enc{i}`` (``dec{i}_upsample`` too
                      for bilinear)
``dec{i}_concat``     ``[enc{i}, dec{i}_up]`` along channels
``decN`` … ``dec1``   ConvBlock; ``dec{i}`` mirrors ``enc{i}`` (same scale and width),
                      so ``decN`` runs first and ``dec1`` last
``crop``              only with ``pad``: crops back to the input size
``head``              1×1 convolution to ``output_channels`` (float32 under mixed
                      precision, so losses and softmax stay stable)
``residual``          only with ``residual=True``: ``image + head``
====================  ==========================================================

**Sizes.** Any input size works: when H or W is not a multiple of ``2**depth`` (or unknown
at build time, ``None``), the model zero-pads inside itself up to the next multiple and
crops back before the head, so the output always has the input's height and width. A
size that is already a multiple gets no pad/crop layers at all.

**Fine-tuning and BatchNorm.** Keras transfer-learning guides call a frozen base with
``training=False``. In Keras 3 that recorded argument does not survive ``fit()``: a
functional model passes the outer ``training=True`` on to nested models
(keras-team/keras#20285). What does hold is that a ``BatchNormalization`` layer with
``trainable=False`` always runs in inference mode, so :func:`classifier` and
:func:`set_trainable_levels` keep BN layers frozen through their ``trainable`` flag.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import keras
import numpy as np

from ssl_keras._checks import check_fraction, check_int
from ssl_keras.layers import PAD_MODES, ConvBlock, CropToMatch, PadToMultiple

UPSAMPLING = ("transpose", "bilinear")
_ENC = re.compile(r"enc(\d+)")
_UNET_NAMES = "layers named 'enc1'…'encN' and 'bottleneck' (as built by ssl_keras.models.unet)"


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


class UNetLevels(NamedTuple):
    """The U-Net part of a model: the (sub)model holding the named blocks, and their names."""

    container: keras.Model
    encoder: list[str]  # "enc1", ..., in order
    bottleneck: bool

    @property
    def blocks(self) -> list[str]:
        """Encoder levels bottom (input side) to top, the bottleneck last if present."""
        return self.encoder + (["bottleneck"] if self.bottleneck else [])

    @property
    def depth(self) -> int:
        return len(self.encoder)

    def layer(self, block_name: str) -> keras.layers.Layer:
        return self.container.get_layer(block_name)

    def describe(self) -> str:
        first = self.layer("enc1")
        in_channels = first.conv1.kernel.shape[2]
        parts = [
            f"depth={self.depth}",
            f"base_filters={first.filters}",
            f"input channels={in_channels}",
            f"batch_norm={first.batch_norm}",
        ]
        if not self.bottleneck:
            parts.append("no bottleneck")
        return f"{self.container.name!r} ({', '.join(parts)})"


def find_levels(model, caller: str) -> UNetLevels:
    """Locate the named U-Net blocks in ``model`` or in a model nested in it (a classifier)."""
    if not isinstance(model, keras.Model):
        raise ValueError(f"{caller} expects a keras.Model, got {type(model).__name__}.")
    candidates = [model]
    while candidates:
        current = candidates.pop(0)
        names = {layer.name: layer for layer in current.layers}
        if isinstance(names.get("enc1"), ConvBlock):
            encoder = []
            while isinstance(names.get(f"enc{len(encoder) + 1}"), ConvBlock):
                encoder.append(f"enc{len(encoder) + 1}")
            bottleneck = isinstance(names.get("bottleneck"), ConvBlock)
            return UNetLevels(current, encoder, bottleneck)
        candidates.extend(layer for layer in current.layers if isinstance(layer, keras.Model))
    shown = ", ".join(layer.name for layer in model.layers[:8])
    more = ", ..." if len(model.layers) > 8 else ""
    raise ValueError(
        f"{caller} expects a U-Net or encoder with {_UNET_NAMES}; model {model.name!r} has "
        f"no ConvBlock named 'enc1' (its layers: {shown}{more})."
    )


def _resolve_level(levels: UNetLevels, level: int | str | None, caller: str) -> str:
    """Map ``None`` → 'bottleneck', ``i`` → 'enc{i}', and check a name exists."""
    if level is None:
        level = "bottleneck"
    elif isinstance(level, (int, np.integer)) and not isinstance(level, bool):
        if not 1 <= level <= levels.depth:
            raise ValueError(
                f"{caller}: level {level} is out of range for {levels.describe()}; use 1…"
                f"{levels.depth} or 'bottleneck'."
            )
        level = f"enc{level}"
    names = {layer.name for layer in levels.container.layers}
    allowed = [n for n in names if _ENC.fullmatch(n) or re.fullmatch(r"dec\d+", n)]
    allowed += [n for n in ("bottleneck", "head") if n in names]
    if not isinstance(level, str) or level not in allowed:
        raise ValueError(
            f"{caller}: unknown level {level!r} for {levels.describe()}; choose from "
            f"{sorted(allowed, key=_block_order)} or an int 1…{levels.depth}."
        )
    return level


def _block_order(block_name: str) -> tuple[int, int]:
    if match := _ENC.fullmatch(block_name):
        return (0, int(match.group(1)))
    if block_name == "bottleneck":
        return (1, 0)
    if match := re.fullmatch(r"dec(\d+)", block_name):
        return (2, -int(match.group(1)))
    return (3, 0)


def encoder_from(
    model: keras.Model, level: int | str | None = None, name: str | None = None
) -> keras.Model:
    """Cut the encoder out of a U-Net: a model from its input to ``level``, sharing weights.

    The returned model reuses the U-Net's layers (no copy): training one changes the other.
    For an independent copy, build a fresh :func:`unet` and use :func:`load_encoder_weights`.

    Args:
        model: a model from :func:`unet` (or an encoder / classifier built from one).
        level: ``None`` for the bottleneck, ``i`` (1…depth) or ``"enc{i}"`` for the output of
            encoder level ``i`` (before pooling), or another block name.
        name: model name; defaults to ``"{unet name}_encoder"``.

    Returns:
        A model mapping ``(N, H, W, C)`` to the block's features, e.g. the bottleneck
        ``(N, ceil(H/2**depth), ceil(W/2**depth), base_filters·2**depth)``.
    """
    levels = find_levels(model, "encoder_from")
    block_name = _resolve_level(levels, level, "encoder_from")
    container = levels.container
    return keras.Model(
        container.inputs,
        container.get_layer(block_name).output,
        name=name or f"{container.name}_encoder",
    )


def feature_extractor(
    model: keras.Model, levels: Iterable[int | str] | None = None, name: str | None = None
) -> keras.Model:
    """A model returning the feature maps of chosen U-Net blocks (for heatmaps, embeddings).

    Args:
        model: a model from :func:`unet` (or an encoder built from one).
        levels: block names or encoder level ints (or a single one); default: every encoder
            level and the bottleneck, ``("enc1", …, "encN", "bottleneck")``. Decoder blocks
            (``"dec{i}"``) and ``"head"`` are allowed too.
        name: model name; defaults to ``"{unet name}_features"``.

    Returns:
        A model whose output is a dict ``{block name: (N, h, w, channels) features}``;
        ``predict`` returns a dict of NumPy arrays (look maps up by name: the JAX backend
        sorts the keys). Weights are shared. When
        the U-Net pads internally (sizes not multiples of ``2**depth``), the maps have the
        padded size: a 61×67 input to a depth-3 U-Net gives ``enc1`` maps of 64×72, with
        the image at offset ``((64 - 61) // 2, (72 - 67) // 2)``.
    """
    found = find_levels(model, "feature_extractor")
    if levels is None:
        chosen = found.blocks
    elif isinstance(levels, (str, int, np.integer)):
        chosen = [levels]
    else:
        chosen = list(levels)
    if not chosen:
        raise ValueError(
            f"levels must be a non-empty sequence of block names or ints, got {levels!r}."
        )
    block_names = [_resolve_level(found, level, "feature_extractor") for level in chosen]
    outputs = {n: found.container.get_layer(n).output for n in block_names}
    return keras.Model(
        found.container.inputs, outputs, name=name or f"{found.container.name}_features"
    )


def load_encoder_weights(target: keras.Model, source: keras.Model) -> list[str]:
    """Copy the encoder blocks' weights (incl. BN statistics) of ``source`` into ``target``.

    Use it to initialise a fresh U-Net, encoder or classifier from a pretrained one. Every
    encoder block of ``source`` (``enc1``…, and ``bottleneck`` if present) must exist in
    ``target`` with the same shapes; full encoders must have the same depth. The decoder and
    heads of ``target`` are left untouched.

    Args:
        target: model to write into (a :func:`unet`, encoder or :func:`classifier`).
        source: model to read from (same kinds).

    Returns:
        The names of the copied blocks.
    """
    src = find_levels(source, "load_encoder_weights (source)")
    dst = find_levels(target, "load_encoder_weights (target)")

    def mismatch(why: str) -> ValueError:
        return ValueError(
            f"Cannot copy encoder weights from {src.describe()} into {dst.describe()}: {why}. "
            "Build the target with the same depth, base_filters, input channels and "
            "batch_norm as the source."
        )

    if src.bottleneck and dst.bottleneck and src.depth != dst.depth:
        raise mismatch(f"depth {src.depth} ≠ {dst.depth}")
    missing = [n for n in src.blocks if n not in dst.blocks]
    if missing:
        raise mismatch(f"the target has no block(s) {missing}")
    pairs = [(src.layer(n), dst.layer(n)) for n in src.blocks]
    for source_block, target_block in pairs:
        source_shapes = [tuple(w.shape) for w in source_block.weights]
        target_shapes = [tuple(w.shape) for w in target_block.weights]
        if source_shapes != target_shapes:
            raise mismatch(
                f"block {source_block.name!r} has weight shapes {source_shapes} in the source "
                f"and {target_shapes} in the target"
            )
    for source_block, target_block in pairs:
        target_block.set_weights(source_block.get_weights())
    return [block.name for block, _ in pairs]


def _set_trainable(layer: keras.layers.Layer, value: bool) -> None:
    """Set ``trainable`` on a layer and all its sublayers, even when it already has ``value``.

    On the TF backend ``layer.trainable = value`` is skipped when the attribute already holds
    ``value`` (its ``self.x = self.x`` short-circuit), so sublayers with a different flag
    (e.g. after loading a saved model) would keep it. Flipping twice always propagates.
    """
    layer.trainable = not value
    layer.trainable = value


def set_trainable_levels(
    model: keras.Model, n_top_levels: int, train_batch_norm: bool = False
) -> list[str]:
    """Freeze the encoder except its top ``n_top_levels`` blocks (stage-2 fine-tuning).

    Levels count from the top (the bottleneck, then ``encN``, ``encN-1``, …); 0 freezes the
    whole encoder (stage 1), ``depth + 1`` unfreezes all of it. Layers outside the encoder
    blocks (the classifier head; a U-Net's decoder) are made trainable. BatchNormalization
    layers stay frozen, hence in inference mode, unless ``train_batch_norm=True`` (see the
    module docstring for why ``training=False`` alone is not enough in Keras 3).

    Call ``compile()`` again afterwards: Keras reads ``trainable`` when compiling.

    Args:
        model: a :func:`classifier`, an encoder from :func:`encoder_from`, or a :func:`unet`.
        n_top_levels: number of top encoder blocks to train, 0 … number of blocks.
        train_batch_norm: also train (and update the statistics of) BN in unfrozen blocks.

    Returns:
        The names of the trainable encoder blocks, bottom to top.
    """
    found = find_levels(model, "set_trainable_levels")
    blocks = found.blocks
    if (
        isinstance(n_top_levels, bool)
        or not isinstance(n_top_levels, (int, np.integer))
        or not 0 <= n_top_levels <= len(blocks)
    ):
        raise ValueError(
            f"n_top_levels must be an int in 0…{len(blocks)} for {found.describe()} "
            f"(blocks {blocks}), got {n_top_levels!r}."
        )
    _set_trainable(model, True)
    _set_trainable(found.container, True)
    unfrozen = blocks[len(blocks) - n_top_levels :]
    for block_name in blocks:
        block = found.layer(block_name)
        _set_trainable(block, block_name in unfrozen)
        if block.batch_norm and not train_batch_norm:
            block.bn1.trainable = False
            block.bn2.trainable = False
    return unfrozen


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
        encoder: an encoder from :func:`encoder_from` (used as a nested model, weights
            shared) or a full :func:`unet` (its encoder is cut out first).
        n_classes: 2 gives one sigmoid unit (``binary_crossentropy``, labels 0/1); more gives
            a softmax over ``n_classes`` (``sparse_categorical_crossentropy``).
        hidden: units of the hidden ReLU layer; ``None`` or 0 omits it.
        dropout: rate in [0, 1) before the output layer; 0 omits it.
        freeze_encoder: freeze the whole encoder (stage 1, BN in inference mode); unfreeze
            top blocks later with :func:`set_trainable_levels`. ``False`` trains everything
            (the from-scratch baseline). Freezing a shared encoder also freezes those
            layers in the U-Net it came from.
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
