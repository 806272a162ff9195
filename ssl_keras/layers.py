"""Serializable building blocks of the U-Nets: a conv block, a pad/crop pair, a pooling
of texture statistics for probes and a standardisation whose statistics can change.

Every layer here is registered with ``keras.saving.register_keras_serializable`` and has a
``get_config``, so models that use them save to ``.keras`` and load with ``safe_mode=True``
(no ``Lambda`` layers). They use only ``keras.ops`` and Keras layers, so they also run on
Keras 3's JAX and PyTorch backends.

Tensors are NHWC (``channels_last``); the dtype follows the layer's dtype policy (float32,
or float16/bfloat16 under mixed precision).
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from ssl_keras._checks import check_int

PAD_MODES = ("constant", "reflect", "symmetric")


@keras.saving.register_keras_serializable(package="ssl_keras")
class ConvBlock(keras.layers.Layer):
    """Two ``Conv2D(3×3, same) → BatchNormalization → ReLU`` units: the U-Net's basic block.

    Input ``(N, H, W, C_in)``, output ``(N, H, W, filters)``; spatial size is preserved.
    With ``batch_norm=False`` the convolutions carry a bias instead of a BN layer (a bias
    before BN is redundant, so it is left out when BN is used).

    Sublayers are attributes (``conv1``, ``bn1``, ``conv2``, ``bn2``), so freezing only the
    BN layers of a block (inference mode for fine-tuning) is ``block.bn1.trainable = False``.

    Args:
        filters: output channels of both convolutions (≥ 1).
        kernel_size: odd side of the square kernels (≥ 1).
        batch_norm: insert ``BatchNormalization`` after each convolution.
        kernel_initializer: initializer of the convolution kernels (name or object).
        activation: activation after each unit (name, e.g. ``"relu"``).
        batch_norm_trainable: ``False`` freezes only the BN sublayers (inference mode), as
            :func:`ssl_keras.models.set_trainable_levels` does; kept in the config so a
            saved fine-tuning model reloads in the same state.
        bn_momentum: momentum of the BN moving statistics in (0, 1). Keras' 0.99 averages
            over ~100 steps; for runs of a few hundred steps 0.9 lets the statistics used at
            inference catch up with the weights.
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int = 3,
        batch_norm: bool = True,
        kernel_initializer: str | keras.initializers.Initializer = "he_normal",
        activation: str = "relu",
        batch_norm_trainable: bool = True,
        bn_momentum: float = 0.99,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not 0.0 < float(bn_momentum) < 1.0:
            raise ValueError(f"bn_momentum must be in (0, 1), got {bn_momentum!r}.")
        self.bn_momentum = float(bn_momentum)
        self.filters = check_int(filters, "filters")
        self.kernel_size = check_int(kernel_size, "kernel_size")
        self.batch_norm = bool(batch_norm)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.activation = keras.activations.get(activation)
        common = {
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "padding": "same",
            "use_bias": not self.batch_norm,
            "kernel_initializer": self.kernel_initializer,
            "dtype": self.dtype_policy,
        }
        self.conv1 = keras.layers.Conv2D(name="conv1", **common)
        self.conv2 = keras.layers.Conv2D(name="conv2", **common)
        if self.batch_norm:
            self.bn1, self.bn2 = (
                keras.layers.BatchNormalization(
                    momentum=self.bn_momentum, name=bn_name, dtype=self.dtype_policy
                )
                for bn_name in ("bn1", "bn2")
            )
        else:
            self.bn1 = self.bn2 = None
        self.act = keras.layers.Activation(self.activation, name="act", dtype=self.dtype_policy)
        if not self.trainable:
            # `trainable=False` from a saved config reaches only this layer, and re-assigning
            # the same value is a no-op on the TF backend; freeze the sublayers directly so
            # the BN layers also run in inference mode after loading.
            for sublayer in (self.conv1, self.conv2, self.bn1, self.bn2, self.act):
                if sublayer is not None:
                    sublayer.trainable = False
        elif self.batch_norm and not batch_norm_trainable:
            self.bn1.trainable = False
            self.bn2.trainable = False

    def build(self, input_shape) -> None:
        self.conv1.build(input_shape)
        shape = tuple(input_shape[:-1]) + (self.filters,)
        self.conv2.build(shape)
        if self.batch_norm:
            self.bn1.build(shape)
            self.bn2.build(shape)

    def call(self, inputs, training=None):
        x = self.conv1(inputs)
        if self.batch_norm:
            x = self.bn1(x, training=training)
        x = self.act(x)
        x = self.conv2(x)
        if self.batch_norm:
            x = self.bn2(x, training=training)
        return self.act(x)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.filters,)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "kernel_size": self.kernel_size,
                "batch_norm": self.batch_norm,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "activation": keras.activations.serialize(self.activation),
                "batch_norm_trainable": bool(self.bn1.trainable) if self.batch_norm else True,
                "bn_momentum": float(self.bn1.momentum) if self.batch_norm else self.bn_momentum,
            }
        )
        return config


def _padded(size: int | None, multiple: int) -> int | None:
    return None if size is None else -(-size // multiple) * multiple


@keras.saving.register_keras_serializable(package="ssl_keras")
class PadToMultiple(keras.layers.Layer):
    """Pad height and width up to the next multiple of ``multiple`` (no-op when divisible).

    Input ``(N, H, W, C)``, output ``(N, ceil(H/m)·m, ceil(W/m)·m, C)``, same dtype. The
    padding is split as evenly as possible (the extra pixel goes to the bottom/right), which
    :class:`CropToMatch` undoes exactly. Works with sizes unknown at build time (``None``).

    Args:
        multiple: the size multiple (``2**depth`` for a U-Net of ``depth`` poolings), ≥ 1.
        mode: ``"constant"`` (zeros, works at any size), ``"reflect"`` (needs each side's
            padding < the size, i.e. H, W > multiple/2) or ``"symmetric"``.
    """

    def __init__(self, multiple: int, mode: str = "constant", **kwargs):
        super().__init__(**kwargs)
        self.multiple = check_int(multiple, "multiple")
        if mode not in PAD_MODES:
            raise ValueError(f"mode must be one of {PAD_MODES}, got {mode!r}.")
        self.mode = mode

    def call(self, inputs):
        shape = ops.shape(inputs)
        # `(-size) % m` is the padding to the next multiple; sizes may be symbolic tensors.
        pad_h = (-shape[1]) % self.multiple
        pad_w = (-shape[2]) % self.multiple
        top, left = pad_h // 2, pad_w // 2
        pad_width = [[0, 0], [top, pad_h - top], [left, pad_w - left], [0, 0]]
        return ops.pad(inputs, pad_width, mode=self.mode)

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        return (batch, _padded(height, self.multiple), _padded(width, self.multiple), channels)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"multiple": self.multiple, "mode": self.mode})
        return config


@keras.saving.register_keras_serializable(package="ssl_keras")
class CropToMatch(keras.layers.Layer):
    """Crop ``x`` to the height and width of ``reference``: the inverse of :class:`PadToMultiple`.

    Called on ``[x, reference]`` with ``x`` of shape ``(N, H', W', C)`` and ``reference`` of
    shape ``(N, H, W, C_ref)``, ``H ≤ H'``, ``W ≤ W'``; returns ``(N, H, W, C)``. The crop
    offset is ``(H' - H) // 2`` (resp. width), matching the padding split of
    :class:`PadToMultiple`. Only the shape of ``reference`` is used.
    """

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError("CropToMatch must be called on a list [x, reference].")
        x, reference = inputs
        x_shape, ref_shape = ops.shape(x), ops.shape(reference)
        top = (x_shape[1] - ref_shape[1]) // 2
        left = (x_shape[2] - ref_shape[2]) // 2
        return ops.slice(x, [0, top, left, 0], [x_shape[0], ref_shape[1], ref_shape[2], x_shape[3]])

    def compute_output_shape(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) != 2:
            raise ValueError("CropToMatch must be called on a list [x, reference].")
        x_shape, ref_shape = input_shape
        return (x_shape[0], ref_shape[1], ref_shape[2], x_shape[3])


@keras.saving.register_keras_serializable(package="ssl_keras")
class MeanStdPooling2D(keras.layers.Layer):
    """Global mean and standard deviation of each channel over space, concatenated.

    Input ``(N, H, W, C)``, output ``(N, 2·C)``: the ``C`` means (what
    ``GlobalAveragePooling2D`` gives) followed by the ``C`` standard deviations. The
    standard deviation says how strongly a channel's response varies across the image — how
    much of a texture it sees — which the mean alone averages away; texture descriptors
    built on first- and second-order statistics of filter responses work the same way.
    Keras has no built-in for it. ``epsilon`` is added to the variance before the square
    root, so the gradient stays finite on a constant channel.
    """

    def __init__(self, epsilon: float = 1e-6, **kwargs):
        super().__init__(**kwargs)
        if not epsilon > 0:
            raise ValueError(f"epsilon must be > 0, got {epsilon!r}.")
        self.epsilon = float(epsilon)

    def call(self, inputs):
        mean = ops.mean(inputs, axis=(1, 2), keepdims=True)
        variance = ops.mean(ops.square(inputs - mean), axis=(1, 2))  # two passes: stable
        mean = ops.squeeze(mean, axis=(1, 2))
        return ops.concatenate([mean, ops.sqrt(variance + self.epsilon)], axis=-1)

    def compute_output_shape(self, input_shape):
        channels = input_shape[-1]
        return (input_shape[0], None if channels is None else 2 * channels)

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="ssl_keras")
class Standardization(keras.layers.Layer):
    """``(x − mean) / std`` over the last axis, with ``mean`` and ``std`` held in
    non-trainable variables that :meth:`set_statistics` overwrites.

    ``keras.layers.Normalization`` turns its adapted statistics into constant tensors, and a
    traced ``fit``/``predict`` keeps the constants it captured: measured with Keras 3.15,
    ``predict`` after a second ``adapt`` still standardises with the first statistics while
    an eager call uses the new ones. A model that is compiled once and then standardised
    anew for each encoder it is given (:class:`ssl_keras.pretext.finetune.FineTuner`) needs
    statistics that live in variables, which this layer keeps. Input and output ``(N, F)``.
    """

    def __init__(self, epsilon: float = 1e-6, **kwargs):
        super().__init__(**kwargs)
        if not epsilon > 0:
            raise ValueError(f"epsilon must be > 0, got {epsilon!r}.")
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        features = input_shape[-1]
        if features is None:
            raise ValueError("Standardization needs a known last axis (the feature count).")
        self.mean = self.add_weight(
            name="mean", shape=(features,), initializer="zeros", trainable=False
        )
        self.std = self.add_weight(
            name="std", shape=(features,), initializer="ones", trainable=False
        )

    def set_statistics(self, features) -> None:
        """Standardise with the mean and standard deviation of ``features`` (``(N, F)``)."""
        array = np.asarray(features, np.float64)
        if array.ndim != 2 or array.shape[1] != self.mean.shape[0] or len(array) < 2:
            raise ValueError(
                f"features must be (N ≥ 2, {self.mean.shape[0]}), got shape {array.shape}."
            )
        self.mean.assign(array.mean(axis=0).astype("float32"))
        self.std.assign(np.sqrt(array.var(axis=0) + self.epsilon).astype("float32"))

    def call(self, inputs):
        mean = ops.cast(self.mean, inputs.dtype)
        std = ops.cast(self.std, inputs.dtype)
        return (inputs - mean) / std

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}
