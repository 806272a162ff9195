"""The 3-class pretext task, generated at run time inside ``tf.data``.

Every defect-free training image gets a label ``y`` drawn from its own seed and is changed
accordingly (all TensorFlow ops): ``0`` normal (photometric jitter only), ``1`` *cut-paste*
(a large patch, rectangle or random polygon, is cut, rotated, scaled, flipped, color-jittered
and pasted elsewhere), ``2`` *scar* (a thin rotated strip pasted the same way). Brightness,
contrast, saturation and hue jitter all keep R = G = B, so gray images stay gray.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import tensorflow as tf

from ssl_keras import augment, pipelines
from ssl_keras._checks import check_fraction, check_int, check_interval
from ssl_keras.noise import Seed, as_seed

AUTOTUNE = pipelines.AUTOTUNE
CLASS_NAMES = ("normal", "cutpaste", "scar")
NORMAL, CUTPASTE, SCAR = 0, 1, 2


@dataclasses.dataclass(frozen=True)
class PretextConfig:
    """Parameters of the pretext transforms; the defaults follow CutPaste.

    Sizes are fractions of the image, so one config serves 64 px and 1024 px images.

    Attributes:
        patch_area: cut-paste patch area as a fraction of the image area (before scaling).
        patch_aspect: width / height of the patch, drawn log-uniformly.
        patch_rotation: rotation of the pasted patch in degrees.
        patch_scale: scale factor of the pasted patch.
        flip_probability: chance that the patch is mirrored left-right.
        polygon_probability: chance that the cut-paste patch is a random star-shaped polygon
            inscribed in the rectangle instead of the rectangle itself.
        scar_width, scar_length: the scar strip's sides as fractions of the shorter image side.
        scar_rotation: rotation of the scar in degrees.
        brightness, contrast, saturation, hue: image-wide photometric jitter, applied to
            every class (so color alone never reveals the label): brightness delta,
            contrast and saturation factors in ``1 ± value``, hue delta (≤ 0.5).
        patch_jitter: color jitter of the pasted patch: brightness delta, contrast and
            saturation ``1 ± value``, hue delta ``value / 2``.
    """

    patch_area: tuple[float, float] = (0.02, 0.15)
    patch_aspect: tuple[float, float] = (0.3, 3.3)
    patch_rotation: tuple[float, float] = (-45.0, 45.0)
    patch_scale: tuple[float, float] = (0.8, 1.2)
    flip_probability: float = 0.5
    polygon_probability: float = 0.5
    scar_width: tuple[float, float] = (0.02, 0.06)
    scar_length: tuple[float, float] = (0.1, 0.3)
    scar_rotation: tuple[float, float] = (-45.0, 45.0)
    brightness: float = 0.1
    contrast: float = 0.1
    saturation: float = 0.1
    hue: float = 0.02
    patch_jitter: float = 0.1

    def __post_init__(self):
        check_interval(self.patch_area, "patch_area", 0.0, 1.0, low_open=True)
        check_interval(self.patch_aspect, "patch_aspect", 0.0, math.inf, low_open=True)
        check_interval(self.patch_rotation, "patch_rotation", -180.0, 180.0)
        check_interval(self.patch_scale, "patch_scale", 0.0, 4.0, low_open=True)
        check_interval(self.scar_width, "scar_width", 0.0, 1.0, low_open=True)
        check_interval(self.scar_length, "scar_length", 0.0, 1.0, low_open=True)
        check_interval(self.scar_rotation, "scar_rotation", -180.0, 180.0)
        for name in ("flip_probability", "polygon_probability"):
            value = getattr(self, name)
            if not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {value!r}.")
        for name in ("brightness", "contrast", "saturation", "patch_jitter"):
            check_fraction(getattr(self, name), name)
        if not 0.0 <= float(self.hue) <= 0.5:
            raise ValueError(f"hue must be in [0, 0.5], got {self.hue!r}.")


def _seeds(seed: tf.Tensor, n: int) -> list[tf.Tensor]:
    return tf.unstack(tf.random.experimental.stateless_split(seed, n))


def _uniform(seed: tf.Tensor, interval: tuple[float, float]) -> tf.Tensor:
    low, high = (float(v) for v in interval)
    return tf.random.stateless_uniform([], seed, low, high) if high > low else tf.constant(low)


def _paste(
    image: tf.Tensor,
    seed: tf.Tensor,
    height: tf.Tensor,
    width: tf.Tensor,
    angle: tf.Tensor,
    scale: tf.Tensor,
    flip: tf.Tensor,
    polygon: tf.Tensor,
    jitter: float,
) -> tuple[tf.Tensor, tf.Tensor]:
    """Cut a ``height × width`` patch, transform it and paste it inside the image.

    The transform maps every output pixel ``p`` to a source point
    ``q = c_src + F·R(-angle)·(p - c_dst) / scale`` (``F`` the optional mirror), so one
    affine warp of the whole image plus a mask in patch coordinates does the job.
    Returns the image and the float32 ``(H, W)`` mask of pasted pixels.

    The warp calls ``ImageProjectiveTransformV3`` directly: ``keras.ops.image.affine_transform``
    wraps the same kernel (identical output, same speed) but follows the Keras backend, which
    a ``tf.data`` map must not.
    """
    shape = tf.shape(image)
    rows, cols = tf.cast(shape[0], tf.float32), tf.cast(shape[1], tf.float32)
    height = tf.minimum(height, rows - 1.0)
    width = tf.minimum(width, cols - 1.0)
    s_row, s_col, s_poly, s_jitter = _seeds(seed, 4)
    # Pixel centres are integers 0 … n-1; the source box stays inside the image and the
    # pasted patch (its circumcircle) too, so the pasted area is exactly the patch area.
    src = tf.random.stateless_uniform([2], s_row) * tf.stack([rows - height, cols - width])
    src = src + tf.stack([height, width]) / 2.0 - 0.5
    radius = 0.5 * scale * tf.sqrt(height**2 + width**2)
    low = tf.minimum(radius, tf.stack([rows, cols]) / 2.0)
    high = tf.maximum(tf.stack([rows, cols]) - radius, tf.stack([rows, cols]) / 2.0)
    dst = low + tf.random.stateless_uniform([2], s_col) * (high - low) - 0.5

    theta = angle * (math.pi / 180.0)
    cos, sin = tf.cos(theta), tf.sin(theta)
    mirror = tf.where(flip, -1.0, 1.0)
    a0, a1 = mirror * cos / scale, mirror * sin / scale
    b0, b1 = -sin / scale, cos / scale
    a2 = src[1] - a0 * dst[1] - a1 * dst[0]
    b2 = src[0] - b0 * dst[1] - b1 * dst[0]
    transform = tf.reshape(tf.stack([a0, a1, a2, b0, b1, b2, 0.0, 0.0]), [1, 8])
    warped = tf.raw_ops.ImageProjectiveTransformV3(
        images=image[None],
        transforms=transform,
        output_shape=shape[:2],
        fill_value=0.0,
        interpolation="BILINEAR",
        fill_mode="REFLECT",
    )[0]
    warped = augment.color_jitter(warped, s_jitter, jitter, jitter, jitter, jitter / 2.0)

    yy, xx = tf.meshgrid(tf.range(rows), tf.range(cols), indexing="ij")
    dy, dx = yy - dst[0], xx - dst[1]
    u = mirror * (cos * dx + sin * dy) / scale  # patch coordinates (source frame)
    v = (-sin * dx + cos * dy) / scale
    nu, nv = u / (width / 2.0), v / (height / 2.0)
    inside_box = (tf.abs(nu) <= 1.0) & (tf.abs(nv) <= 1.0)
    # A random star-shaped polygon: radius 0.8 modulated by three harmonics, within the box.
    amplitudes = tf.random.stateless_uniform([3], s_poly, -0.12, 0.12)
    phases = tf.random.stateless_uniform([3], _seeds(s_poly, 1)[0], 0.0, 2 * math.pi)
    phi = tf.atan2(nv, nu)[..., None]
    harmonics = tf.constant([2.0, 3.0, 5.0])
    boundary = 0.8 + tf.reduce_sum(amplitudes * tf.cos(harmonics * phi + phases), -1)
    inside_polygon = tf.sqrt(nu**2 + nv**2) <= tf.clip_by_value(boundary, 0.35, 1.0)
    mask = tf.cast(tf.where(polygon, inside_polygon & inside_box, inside_box), tf.float32)
    return tf.where(mask[..., None] > 0, warped, image), mask


def pretext_label(seed: Seed) -> tf.Tensor:
    """The pretext label drawn from ``seed``: int32 scalar, uniform over {0, 1, 2}."""
    return tf.random.stateless_uniform([], as_seed(seed), 0, 3, dtype=tf.int32)


def _check_rgb(image: tf.Tensor, name: str = "image") -> tf.Tensor:
    image = tf.convert_to_tensor(image)
    if not image.dtype.is_floating:
        raise ValueError(
            f"{name} must be float32 in [0, 1], got dtype={image.dtype.name}. "
            "Convert with `tf.image.convert_image_dtype(image, tf.float32)`."
        )
    if image.shape.rank != 3 or image.shape[-1] not in (3, None):
        raise ValueError(
            f"{name} must be one RGB image (H, W, 3), got shape {image.shape}. Grayscale "
            "images: repeat the channel (`tf.image.grayscale_to_rgb`); mvtec_dataset does this."
        )
    return tf.cast(image, tf.float32)


def apply_pretext(
    image, label, seed: Seed, config: PretextConfig | None = None
) -> tuple[tf.Tensor, tf.Tensor]:
    """Apply the pretext transform of class ``label`` to one image.

    Args:
        image: float32 ``(H, W, 3)`` in [0, 1] (gray images as three equal channels).
        label: int 0 (normal), 1 (cut-paste) or 2 (scar); a Python int or int32 tensor.
        seed: int, pair of ints or int tensor ``[2]``; the same seed gives the same result.
        config: transform parameters, default :class:`PretextConfig`.

    Returns:
        ``(image, mask)``: the float32 ``(H, W, 3)`` image in [0, 1] and the int32
        ``(H, W, 1)`` mask of the pasted pixels (all zeros for label 0). Every class gets the
        same image-wide photometric jitter; label 0 gets nothing else (no geometric change).
    """
    config = config or PretextConfig()
    image = _check_rgb(image)
    if isinstance(label, (int, np.integer)) and not 0 <= int(label) <= 2:
        raise ValueError(f"label must be 0, 1 or 2 ({', '.join(CLASS_NAMES)}), got {label!r}.")
    label = tf.cast(label, tf.int32)
    s_jitter, s_params, s_paste, s_scar = _seeds(as_seed(seed), 4)
    jittered = augment.color_jitter(
        image, s_jitter, config.brightness, config.contrast, config.saturation, config.hue
    )
    shape = tf.cast(tf.shape(image)[:2], tf.float32)
    p = _seeds(s_params, 6)

    def normal():
        return jittered, tf.zeros_like(jittered[..., 0])

    def cutpaste():
        area = _uniform(p[0], config.patch_area) * shape[0] * shape[1]
        log_aspect = _uniform(p[1], tuple(math.log(a) for a in config.patch_aspect))
        aspect = tf.exp(log_aspect)
        draws = tf.random.stateless_uniform([2], p[2])
        return _paste(
            jittered,
            s_paste,
            height=tf.sqrt(area / aspect),
            width=tf.sqrt(area * aspect),
            angle=_uniform(p[3], config.patch_rotation),
            scale=_uniform(p[4], config.patch_scale),
            flip=draws[0] < config.flip_probability,
            polygon=draws[1] < config.polygon_probability,
            jitter=config.patch_jitter,
        )

    def scar():
        side = tf.reduce_min(shape)
        return _paste(
            jittered,
            s_scar,
            height=_uniform(p[0], config.scar_length) * side,
            width=_uniform(p[1], config.scar_width) * side,
            angle=_uniform(p[5], config.scar_rotation),
            scale=tf.constant(1.0),
            flip=tf.constant(False),
            polygon=tf.constant(False),
            jitter=config.patch_jitter,
        )

    out, mask = tf.switch_case(label, [normal, cutpaste, scar])
    out = tf.ensure_shape(out, image.shape)
    mask = tf.cast(mask[..., None] > 0, tf.int32)
    return out, mask


def pretext_sample(
    image, seed: Seed, config: PretextConfig | None = None
) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    """Draw a label from ``seed`` and apply it: ``(image (H, W, 3), label int32, mask (H, W, 1))``."""
    seed = as_seed(seed)
    label_seed, transform_seed = _seeds(seed, 2)
    label = pretext_label(label_seed)
    image, mask = apply_pretext(image, label, transform_seed, config)
    return image, label, mask


def pretext_dataset(
    images,
    batch_size: int = 16,
    seed: int = 0,
    config: PretextConfig | None = None,
    repeat: bool = True,
    shuffle: bool = True,
    with_masks: bool = False,
) -> tf.data.Dataset:
    """Batches of pretext examples generated on the fly inside ``tf.data``.

    Element ``i`` of the stream (counting across epochs, so every epoch sees new defects)
    gets the seed ``fold_in(seed, i)``, its label and its transform.

    Args:
        images: float32 ``(N, H, W, 3)`` array in [0, 1], or a ``tf.data.Dataset`` of
            ``(H, W, 3)`` images (e.g. the image component of ``mvtec_dataset``).
        batch_size: examples per batch.
        seed: base seed; the same seed gives the same stream.
        config: transform parameters, default :class:`PretextConfig`.
        repeat: repeat forever (training: pass ``steps_per_epoch`` to ``fit``); otherwise
            one pass (validation), the last batch possibly smaller.
        shuffle: shuffle the images (seeded, reshuffled every epoch).
        with_masks: yield ``(images, labels, masks)`` instead of ``(images, labels)``.

    Returns:
        A dataset of ``(float32 (B, H, W, 3), int32 (B,))`` batches (plus int32
        ``(B, H, W, 1)`` masks with ``with_masks``).
    """
    batch_size = check_int(batch_size, "batch_size")
    ds, count = pipelines.image_stream(images, channels=3, what="defect-free image")
    if shuffle:
        ds = ds.shuffle(count or 1024, seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    base = as_seed(seed)

    def make(index, image):
        out, label, mask = pretext_sample(
            image, tf.random.experimental.stateless_fold_in(base, index), config
        )
        return (out, label, mask) if with_masks else (out, label)

    ds = tf.data.Dataset.zip(tf.data.Dataset.counter(), ds)
    ds = ds.map(make, num_parallel_calls=AUTOTUNE)
    if repeat:
        return ds.batch(batch_size, drop_remainder=True).prefetch(AUTOTUNE)
    return pipelines.eval_batches(ds, batch_size)  # splits over any replica count
