"""Color spaces for colorization: sRGB ↔ CIE Lab as TensorFlow ops, VGG input from L, and
the Hasler–Süsstrunk colorfulness metric.

Lab separates lightness ``L`` (what a grayscale photo keeps) from the two color channels
``a`` (green–red) and ``b`` (blue–yellow), so a colorizer sees ``L`` and predicts ``ab``.
The conversion follows scikit-image's ``rgb2lab``/``lab2rgb`` (sRGB gamma, D65 white, 2°
observer), so results agree with it to a few hundredths of a Lab unit.

Ranges: RGB float32 in [0, 1]; ``L`` in [0, 100]; ``a`` and ``b`` roughly in [-128, 127]
(the sRGB gamut spans a ∈ [-86.2, 98.3], b ∈ [-107.9, 94.5], hence :data:`AB_RANGE`).
Every function accepts ``(..., 3)`` tensors: single images, batches, and symbolic tensors
inside ``tf.data.Dataset.map``.

>>> lab = rgb_to_lab(images)                  # (N, H, W, 3)
>>> L, ab = split_lab(images)                 # (N, H, W, 1), (N, H, W, 2)
>>> rgb = lab_to_rgb(merge(L, predicted_ab))  # back to [0, 1]
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from ssl_keras._checks import check_int

# sRGB (linear) → CIE XYZ, the matrix scikit-image uses (rows: X, Y, Z).
_XYZ_FROM_RGB = np.array(
    [
        [0.412453, 0.357580, 0.180423],
        [0.212671, 0.715160, 0.072169],
        [0.019334, 0.119193, 0.950227],
    ]
)
_RGB_FROM_XYZ = np.linalg.inv(_XYZ_FROM_RGB)
# D65 reference white, 2° observer.
_WHITE = np.array([0.95047, 1.0, 1.08883])
_EPSILON = 0.008856  # (6/29)**3: where the cube root switches to the linear segment
_KAPPA = 7.787  # slope of the linear segment
_DELTA = 0.2068966  # 6/29

AB_RANGE = 110.0
"""Half-width of the ``ab`` range a colorizer predicts: ``tanh · AB_RANGE`` covers the sRGB
gamut (|a|, |b| ≤ 108) without wasting the tanh's steep middle."""

VGG_MEAN_BGR = (103.939, 116.779, 123.68)
"""ImageNet channel means subtracted by ``keras.applications.vgg16.preprocess_input``."""


def _check_channels(tensor: tf.Tensor, channels: int, name: str) -> tf.Tensor:
    tensor = tf.convert_to_tensor(tensor)
    if not tensor.dtype.is_floating:
        raise ValueError(
            f"{name} must be floating point, got dtype={tensor.dtype.name}. Convert uint8 "
            "images with `tf.image.convert_image_dtype(images, tf.float32)`."
        )
    if tensor.shape.rank is not None and (
        tensor.shape.rank < 1 or tensor.shape[-1] not in (None, channels)
    ):
        raise ValueError(
            f"{name} must have {channels} channels in the last axis, got shape {tensor.shape}."
        )
    return tf.cast(tensor, tf.float32)


def _matmul_channels(x: tf.Tensor, matrix: np.ndarray) -> tf.Tensor:
    """``x[..., i] = sum_j matrix[i, j] · x[..., j]`` for a 3×3 ``matrix``."""
    return tf.tensordot(x, tf.constant(matrix.T, tf.float32), axes=[[-1], [0]])


def _srgb_to_linear(rgb: tf.Tensor) -> tf.Tensor:
    # max() keeps pow's gradient finite where the other branch of `where` is taken.
    curve = tf.pow((tf.maximum(rgb, 0.04045) + 0.055) / 1.055, 2.4)
    return tf.where(rgb > 0.04045, curve, rgb / 12.92)


def _linear_to_srgb(linear: tf.Tensor) -> tf.Tensor:
    curve = 1.055 * tf.pow(tf.maximum(linear, 0.0031308), 1.0 / 2.4) - 0.055
    return tf.where(linear > 0.0031308, curve, 12.92 * linear)


def _f(t: tf.Tensor) -> tf.Tensor:
    return tf.where(t > _EPSILON, tf.pow(tf.maximum(t, _EPSILON), 1.0 / 3.0), _KAPPA * t + 16 / 116)


def _f_inverse(t: tf.Tensor) -> tf.Tensor:
    return tf.where(t > _DELTA, tf.pow(t, 3.0), (t - 16 / 116) / _KAPPA)


def rgb_to_lab(rgb) -> tf.Tensor:
    """sRGB float32 ``(..., 3)`` in [0, 1] → Lab ``(..., 3)``: L in [0, 100], a/b in Lab units.

    Matches ``skimage.color.rgb2lab`` (D65, 2° observer). Values are clipped to [0, 1] first.
    """
    rgb = tf.clip_by_value(_check_channels(rgb, 3, "rgb"), 0.0, 1.0)
    xyz = _matmul_channels(_srgb_to_linear(rgb), _XYZ_FROM_RGB)
    fx, fy, fz = tf.unstack(_f(xyz / tf.constant(_WHITE, tf.float32)), axis=-1)
    return tf.stack([116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)], axis=-1)


def lab_to_rgb(lab) -> tf.Tensor:
    """Lab ``(..., 3)`` → sRGB float32 ``(..., 3)`` clipped to [0, 1].

    Matches ``skimage.color.lab2rgb``: colors outside the sRGB gamut are clipped, and a
    ``b`` so large that Z would turn negative is clipped to Z = 0, as scikit-image does.
    """
    lab = _check_channels(lab, 3, "lab")
    lightness, a, b = tf.unstack(lab, axis=-1)
    fy = (lightness + 16.0) / 116.0
    fx = fy + a / 500.0
    fz = tf.maximum(fy - b / 200.0, 0.0)
    xyz = _f_inverse(tf.stack([fx, fy, fz], axis=-1)) * tf.constant(_WHITE, tf.float32)
    linear = _matmul_channels(xyz, _RGB_FROM_XYZ)
    return tf.clip_by_value(_linear_to_srgb(tf.clip_by_value(linear, 0.0, 1.0)), 0.0, 1.0)


def split_lab(rgb) -> tuple[tf.Tensor, tf.Tensor]:
    """sRGB ``(..., 3)`` in [0, 1] → ``(L (..., 1) in [0, 100], ab (..., 2))``: a colorizer's
    input and target. Usable as ``ds.map(split_lab, num_parallel_calls=AUTOTUNE)``."""
    lab = rgb_to_lab(rgb)
    return lab[..., :1], lab[..., 1:]


def merge(lightness, ab) -> tf.Tensor:
    """Concatenate ``L (..., 1)`` and ``ab (..., 2)`` into Lab ``(..., 3)``."""
    lightness = _check_channels(lightness, 1, "lightness")
    ab = _check_channels(ab, 2, "ab")
    return tf.concat([lightness, ab], axis=-1)


def lab_parts_to_rgb(lightness, ab) -> tf.Tensor:
    """``lab_to_rgb(merge(L, ab))``: the colorized image in [0, 1]. ``ab = 0`` gives the gray
    image with exactly the input's lightness."""
    return lab_to_rgb(merge(lightness, ab))


def lightness_to_gray(lightness) -> tf.Tensor:
    """L ``(..., 1)`` in [0, 100] → the sRGB gray value ``(..., 1)`` in [0, 1] of that lightness.

    The exact inverse of L for neutral colors (``lab_to_rgb`` with a = b = 0): a gray RGB
    image comes back unchanged. The common shortcut ``L / 100`` is off by up to 0.034
    (9 gray levels) in the dark tones, because L is perceptual and sRGB is gamma-encoded.
    """
    lightness = _check_channels(lightness, 1, "lightness")
    luminance = _f_inverse((lightness + 16.0) / 116.0)  # Y of a neutral color; X/Xn = Z/Zn = Y
    return tf.clip_by_value(_linear_to_srgb(tf.clip_by_value(luminance, 0.0, 1.0)), 0.0, 1.0)


def vgg_input(lightness) -> tf.Tensor:
    """L ``(..., 1)`` in [0, 100] → a VGG16 input ``(..., 3)``: the gray image of that lightness
    on the 0–255 scale, three channels, run through ``keras.applications.vgg16.preprocess_input``
    (RGB → BGR and the ImageNet means subtracted; "caffe" mode, no scaling).

    For a gray RGB image ``g`` this equals ``preprocess_input(255 · g)`` exactly: the frozen
    VGG16 sees the same numbers it saw in ImageNet training for a black-and-white photo.
    """
    gray = 255.0 * lightness_to_gray(lightness)
    # Gray is equal in R, G and B, so the BGR flip is a no-op; only the means differ.
    return tf.concat([gray, gray, gray], axis=-1) - tf.constant(VGG_MEAN_BGR, tf.float32)


def mean_chroma(rgb) -> tf.Tensor:
    """Mean chroma ``sqrt(a² + b²)`` of each image in Lab units: 0 for a gray image.

    Args:
        rgb: float ``(H, W, 3)`` or ``(N, H, W, 3)`` in [0, 1]; a tensor inside ``tf.data``.

    Returns:
        float32 tensor ``()`` or ``(N,)``. Black-and-white photographs, also when stored as
        RGB, score below 0.1; the least colorful real photos seen here about 3.
    """
    rgb = _check_channels(rgb, 3, "rgb")
    if rgb.shape.rank not in (3, 4):
        raise ValueError(f"rgb must be (H, W, 3) or (N, H, W, 3), got shape {rgb.shape}.")
    ab = rgb_to_lab(rgb)[..., 1:]
    return tf.reduce_mean(tf.norm(ab, axis=-1), axis=[-2, -1])


def colorfulness(rgb) -> np.ndarray:
    """Hasler–Süsstrunk colorfulness of each image, on the paper's 0–255 scale.

    ``rg = R − G``, ``yb = (R + G)/2 − B``;
    ``M = sqrt(σ_rg² + σ_yb²) + 0.3 · sqrt(μ_rg² + μ_yb²)``. 0 for gray images, ≈ 15 "slightly
    colorful", ≈ 33 "moderately", ≈ 59 "quite", ≥ 82 "highly colorful" (their scale).

    Args:
        rgb: float ``(H, W, 3)`` or ``(N, H, W, 3)`` in [0, 1] (NumPy or tensor).

    Returns:
        float64 array ``()`` or ``(N,)``.
    """
    rgb = _check_channels(rgb, 3, "rgb")
    if rgb.shape.rank not in (3, 4):
        raise ValueError(f"rgb must be (H, W, 3) or (N, H, W, 3), got shape {rgb.shape}.")
    rgb = 255.0 * tf.clip_by_value(rgb, 0.0, 1.0)
    red, green, blue = tf.unstack(rgb, axis=-1)
    rg = red - green
    yb = 0.5 * (red + green) - blue
    axes = [-2, -1]
    spread = tf.sqrt(tf.math.reduce_variance(rg, axes) + tf.math.reduce_variance(yb, axes))
    mean = tf.sqrt(tf.reduce_mean(rg, axes) ** 2 + tf.reduce_mean(yb, axes) ** 2)
    return (spread + 0.3 * mean).numpy().astype(np.float64)


@keras.saving.register_keras_serializable(package="ssl_keras")
class LightnessInput(keras.layers.Layer):
    """Turn ``L (N, H, W, 1)`` in [0, 100] into a backbone's input (no weights).

    ``mode="vgg16"``: :func:`vgg_input`, ``(N, H, W, 3)`` for a VGG16 with ImageNet weights.
    ``mode="gray"``: :func:`lightness_to_gray` repeated to ``channels`` channels, in [0, 1],
    for backbones trained on [0, 1] images (the U-Net encoders of this package).
    """

    MODES = ("vgg16", "gray")

    def __init__(self, mode: str = "vgg16", channels: int = 3, **kwargs):
        super().__init__(**kwargs)
        if mode not in self.MODES:
            raise ValueError(f"mode must be one of {self.MODES}, got {mode!r}.")
        channels = check_int(channels, "channels")
        if mode == "vgg16" and channels != 3:
            raise ValueError(f"mode='vgg16' produces 3 channels, got channels={channels}.")
        self.mode = mode
        self.channels = channels

    def call(self, inputs):
        if self.mode == "vgg16":
            return vgg_input(inputs)
        gray = lightness_to_gray(inputs)
        return tf.concat([gray] * self.channels, axis=-1) if self.channels > 1 else gray

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.channels,)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"mode": self.mode, "channels": self.channels})
        return config
