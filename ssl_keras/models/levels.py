"""Finding and reusing the encoder levels of a U-Net by their stable layer names.

:func:`find_levels` locates the named blocks (see :mod:`ssl_keras.models`) in a U-Net, an
encoder or a model nesting one (a classifier). From there the encoder can be cut out
(:func:`encoder_from`), inspected (:func:`feature_extractor`), copied into a fresh model
(:func:`load_encoder_weights`) and partly frozen (:func:`set_trainable_levels`).

**Fine-tuning and BatchNorm.** Keras transfer-learning guides call a frozen base with
``training=False``. In Keras 3 that recorded argument does not survive ``fit()``: a
functional model passes the outer ``training=True`` on to nested models
(keras-team/keras#20285). What does hold is that a ``BatchNormalization`` layer with
``trainable=False`` always runs in inference mode, so
:func:`~ssl_keras.models.heads.classifier` and :func:`set_trainable_levels` keep BN layers
frozen through their ``trainable`` flag.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

import keras
import numpy as np

from ssl_keras.layers import ConvBlock

_ENC = re.compile(r"enc(\d+)")
_UNET_NAMES = "layers named 'enc1'…'encN' and 'bottleneck' (as built by ssl_keras.models.unet)"


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
    For an independent copy, build a fresh :func:`~ssl_keras.models.builder.unet` and use
    :func:`load_encoder_weights`.

    Args:
        model: a model from :func:`~ssl_keras.models.builder.unet` (or an encoder / classifier
            built from one).
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
        model: a model from :func:`~ssl_keras.models.builder.unet` (or an encoder built from one).
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
        target: model to write into (a :func:`~ssl_keras.models.builder.unet`, encoder or
            :func:`~ssl_keras.models.heads.classifier`).
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
        model: a :func:`~ssl_keras.models.heads.classifier`, an encoder from
            :func:`encoder_from`, or a :func:`~ssl_keras.models.builder.unet`.
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
