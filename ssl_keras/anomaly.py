"""Self-supervised anomaly detection: a 3-class pretext task, density scores, anomaly maps.

The recipe follows CutPaste (Li et al., CVPR 2021, "3-way" variant):

1. **Pretext task, generated at run time.** Every defect-free training image gets a label
   ``y`` drawn from its own seed and is changed accordingly (all TensorFlow ops, usable in
   ``tf.data``): ``0`` normal (photometric jitter only), ``1`` *cut-paste* (a large patch,
   rectangle or random polygon, is cut, rotated, scaled, flipped, color-jittered and pasted
   elsewhere), ``2`` *scar* (a thin rotated strip pasted the same way). See
   :class:`PretextConfig`, :func:`apply_pretext`, :func:`pretext_dataset`.
2. **Encoder + projection head** (:func:`pretext_model`) trained with cross-entropy on ``y``.
3. **Density on embeddings.** :class:`GaussianDensity` fits a mean and a Ledoit-Wolf shrunk
   covariance to embeddings of good images; the anomaly score is the Mahalanobis distance
   (:class:`KNNScorer` is the nearest-neighbour alternative).
4. **Evaluation and localization.** Image AUROC overall and per defect type
   (:func:`auroc_by_defect`), a threshold from held-out good images
   (:func:`threshold_from_good`, :func:`precision_recall`), dense patch scores upsampled and
   smoothed into anomaly maps (:func:`anomaly_maps`) with pixel AUROC (:func:`pixel_auroc`).

Data comes from any MVTec AD category folder through :func:`load_category`, which relies on
:mod:`ssl_keras.datasets.mvtec` for the bad-input checks: a category without ``train/good``
raises ``FileNotFoundError``; a defect image without its mask, or a mask whose size differs
from its image, raises ``ValueError`` naming the file. Grayscale categories (MVTec ``grid``,
``screw``, ``zipper``) are served as three equal channels and stay gray through the pretext
transforms, since brightness, contrast, saturation and hue jitter all keep R = G = B.
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from collections.abc import Sequence
from typing import NamedTuple

import keras
import numpy as np
import tensorflow as tf

from ssl_keras import models, pipelines, runtime, training
from ssl_keras._checks import check_fraction, check_int, check_interval, check_size
from ssl_keras.callbacks import BestEpoch
from ssl_keras.layers import ConvBlock
from ssl_keras.noise import Seed, as_seed

AUTOTUNE = pipelines.AUTOTUNE
CLASS_NAMES = ("normal", "cutpaste", "scar")
NORMAL, CUTPASTE, SCAR = 0, 1, 2
POOLINGS = ("mean", "max", "meanmax")


# --- the pretext task ---------------------------------------------------------------------------


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


def _jitter(
    image: tf.Tensor,
    seed: tf.Tensor,
    brightness: float,
    contrast: float,
    saturation: float,
    hue: float,
) -> tf.Tensor:
    """Brightness, contrast, saturation and hue jitter of an RGB image, clipped to [0, 1]."""
    seeds = _seeds(seed, 4)
    if brightness > 0:
        image = tf.image.stateless_random_brightness(image, brightness, seeds[0])
    if contrast > 0:
        image = tf.image.stateless_random_contrast(image, 1 - contrast, 1 + contrast, seeds[1])
    if saturation > 0:
        image = tf.image.stateless_random_saturation(
            image, 1 - saturation, 1 + saturation, seeds[2]
        )
    if hue > 0:
        image = tf.image.stateless_random_hue(tf.clip_by_value(image, 0.0, 1.0), hue, seeds[3])
    return tf.clip_by_value(image, 0.0, 1.0)


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
    warped = _jitter(warped, s_jitter, jitter, jitter, jitter, jitter / 2.0)

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
    jittered = _jitter(
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
    if isinstance(images, tf.data.Dataset):
        ds, count = images, None
    else:
        array = np.asarray(images)
        if array.ndim != 4 or array.shape[-1] != 3 or not np.issubdtype(array.dtype, np.floating):
            raise ValueError(
                f"images must be a float (N, H, W, 3) array in [0, 1], got shape {array.shape} "
                f"and dtype {array.dtype}."
            )
        if len(array) == 0:
            raise ValueError("images is empty: pass at least one defect-free image.")
        ds, count = tf.data.Dataset.from_tensor_slices(array.astype(np.float32)), len(array)
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


# --- data -----------------------------------------------------------------------------------


class CategoryData(NamedTuple):
    """One MVTec AD category in memory (images float32 in [0, 1], masks int32 {0, 1}).

    ``train`` and ``holdout`` split ``train/good`` (the held-out good images set the
    threshold); ``test``, ``masks`` ``(M, H, W)``, ``labels`` (0 good / 1 defect) and
    ``defect_types`` come from ``test/``.
    """

    category: str
    train: np.ndarray
    holdout: np.ndarray
    test: np.ndarray
    masks: np.ndarray
    labels: np.ndarray
    defect_types: np.ndarray
    grayscale: bool

    def describe(self) -> str:
        kinds = sorted(set(self.defect_types.tolist()) - {"good"})
        gray = "grayscale" if self.grayscale else "RGB"
        return (
            f"{self.category}: {gray} {self.train.shape[1]}x{self.train.shape[2]}, "
            f"{len(self.train)} train + {len(self.holdout)} held-out good, test "
            f"{int((self.labels == 0).sum())} good + {int(self.labels.sum())} defective "
            f"({', '.join(kinds)})"
        )


def load_category(
    root: str | os.PathLike,
    category: str,
    size: int | tuple[int, int] = 64,
    holdout: float = 0.2,
    seed: int = 0,
    mask_pattern: str | None = None,
) -> CategoryData:
    """Load one MVTec AD category folder (real or :func:`~ssl_keras.datasets.synthetic.mvtec_like`).

    Args:
        root: the folder holding the category folders.
        category: e.g. ``"bottle"``, ``"grid"`` or the synthetic ``"weave"``, ``"cap"``.
        size: images and masks are resized to this (bilinear / nearest).
        holdout: fraction of ``train/good`` held out (seeded) to choose the threshold.
        seed: seed of the held-out split.
        mask_pattern: how the masks are named when neither ``000_mask.png`` nor ``000.png``
            (:data:`ssl_keras.datasets.mvtec.MASK_PATTERNS`) is, e.g. ``"{stem}_gt.png"``.

    Raises:
        FileNotFoundError: the category has no ``train/good`` (or no ``test``) folder.
        ValueError: a defect image has no mask, a mask's size differs from its image's, a
            file is no image or does not decode (named), or ``holdout`` leaves fewer than two
            training images.
    """
    from ssl_keras.datasets import mvtec

    holdout = check_fraction(holdout, "holdout")
    size = check_size(size)
    try:
        train = np.stack([x for x, *_ in mvtec.mvtec_dataset(root, category, "train", size)])
        test = list(
            mvtec.mvtec_dataset(
                root, category, "test", size, mask_pattern=mask_pattern
            ).as_numpy_iterator()
        )
    except (tf.errors.InvalidArgumentError, tf.errors.DataLossError, tf.errors.UnknownError):
        # A file that starts like an image but does not decode (truncated): name it.
        files = []
        for split in ("train", "test"):
            images, masks, _, _ = mvtec.mvtec_files(root, category, split, mask_pattern)
            files += images + [mask for mask in masks if mask]
        bad = pipelines.undecodable(files)
        if not bad:
            raise
        raise ValueError(
            f"Cannot decode {bad[0]!r}"
            f"{f' (and {len(bad) - 1} more files)' if len(bad) > 1 else ''}: it is truncated "
            "or corrupt. Re-save or remove it."
        ) from None
    n_holdout = int(round(holdout * len(train)))
    if len(train) - n_holdout < 2:
        raise ValueError(
            f"{category!r} has {len(train)} train/good images; holding out {n_holdout} "
            "leaves fewer than two to train on. Lower holdout or add images."
        )
    order = np.random.default_rng(seed).permutation(len(train))
    images = np.stack([t[0] for t in test])
    gray = bool(
        np.allclose(train[..., 0], train[..., 1]) and np.allclose(train[..., 0], train[..., 2])
    )
    return CategoryData(
        category=category,
        train=train[np.sort(order[n_holdout:])],
        holdout=train[np.sort(order[:n_holdout])],
        test=images,
        masks=np.stack([t[1][..., 0] for t in test]).astype(np.int32),
        labels=np.array([t[2] for t in test], np.int32),
        defect_types=np.array([t[3].decode() for t in test]),
        grayscale=gray,
    )


# --- model ----------------------------------------------------------------------------------


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
            load or build ``encoder`` inside that scope too.
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


def _as_images(images, name: str = "images") -> np.ndarray:
    array = np.asarray(images)
    if array.ndim != 4 or not np.issubdtype(array.dtype, np.floating):
        raise ValueError(
            f"{name} must be a float (N, H, W, C) array in [0, 1], got shape {array.shape} "
            f"and dtype {array.dtype}."
        )
    return array.astype(np.float32)


def embed(
    model: keras.Model,
    images,
    levels: str | Sequence[str] = "bottleneck",
    pooling: str = "mean",
    batch_size: int = 32,
) -> np.ndarray:
    """Image embeddings: globally pooled encoder features of ``levels``, concatenated.

    ``model`` is a :func:`pretext_model` (or any model holding a U-Net encoder); ``levels``
    are block names (``"enc1"``…, ``"bottleneck"``). ``pooling``: ``"mean"`` (global
    average, as the pretext head sees it), ``"max"`` (keeps a small defect's strongest
    response) or ``"meanmax"`` (both, concatenated). Returns float32 ``(N, D)``.
    """
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}.")
    levels = [levels] if isinstance(levels, str) else list(levels)
    extractor = models.feature_extractor(model, levels)
    maps = pipelines.predict(extractor, _as_images(images), batch_size)
    parts = []
    for level in levels:
        if pooling in ("mean", "meanmax"):
            parts.append(maps[level].mean(axis=(1, 2)))
        if pooling in ("max", "meanmax"):
            parts.append(maps[level].max(axis=(1, 2)))
    return np.concatenate(parts, -1).astype(np.float32)


def patch_features(
    model: keras.Model, images, level: str = "enc3", batch_size: int = 32
) -> np.ndarray:
    """Dense patch embeddings: the encoder's ``level`` feature map, float32 ``(N, h, w, C)``.

    Each position describes the image patch under its receptive field; ``enc{i}`` has
    stride ``2**(i-1)``.
    """
    extractor = models.feature_extractor(model, [level])
    return pipelines.predict(extractor, _as_images(images), batch_size)[level]


# --- scoring --------------------------------------------------------------------------------


def _as_matrix(x, name: str) -> np.ndarray:
    array = np.asarray(x, dtype=np.float64)
    if array.ndim != 2 or len(array) == 0:
        raise ValueError(f"{name} must be a non-empty (N, D) array, got shape {array.shape}.")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} holds NaN or Inf values; check the model's outputs.")
    return array


class GaussianDensity:
    """A Gaussian fitted to embeddings of good images; score = Mahalanobis distance.

    The covariance is shrunk towards a scaled identity (Ledoit-Wolf, chosen from the data,
    or a fixed ``shrinkage`` in [0, 1]), which keeps it invertible when there are fewer
    images than dimensions.

    >>> density = GaussianDensity().fit(train_embeddings)   # (N, D)
    >>> scores = density.score(test_embeddings)               # (M,), larger = more anomalous
    """

    def __init__(self, shrinkage: float | None = None):
        if shrinkage is not None and not 0.0 <= shrinkage <= 1.0:
            raise ValueError(
                f"shrinkage must be None (Ledoit-Wolf) or in [0, 1], got {shrinkage!r}."
            )
        self.shrinkage = shrinkage

    def fit(self, embeddings) -> GaussianDensity:
        """Fit mean ``(D,)``, covariance and precision ``(D, D)`` to ``(N, D)`` embeddings, N ≥ 2."""
        from sklearn.covariance import LedoitWolf, ShrunkCovariance

        x = _as_matrix(embeddings, "embeddings")
        if len(x) < 2:
            raise ValueError(f"fit needs at least 2 embeddings, got {len(x)}.")
        estimator = (
            LedoitWolf() if self.shrinkage is None else ShrunkCovariance(shrinkage=self.shrinkage)
        ).fit(x)
        self.mean_ = estimator.location_
        self.covariance_ = estimator.covariance_
        self.precision_ = estimator.precision_
        self.shrinkage_ = float(estimator.shrinkage_ if self.shrinkage is None else self.shrinkage)
        return self

    def score(self, embeddings) -> np.ndarray:
        """Mahalanobis distance of each row of ``(M, D)`` embeddings: float32 ``(M,)`` ≥ 0."""
        if not hasattr(self, "mean_"):
            raise ValueError("GaussianDensity is not fitted: call fit(good_embeddings) first.")
        x = _as_matrix(embeddings, "embeddings")
        if x.shape[1] != len(self.mean_):
            raise ValueError(
                f"embeddings have {x.shape[1]} dimensions, the density was fitted on "
                f"{len(self.mean_)}."
            )
        centered = x - self.mean_
        squared = np.einsum("nd,de,ne->n", centered, self.precision_, centered)
        return np.sqrt(np.maximum(squared, 0.0)).astype(np.float32)


class KNNScorer:
    """Mean Euclidean distance to the ``k`` nearest good embeddings (a non-Gaussian score)."""

    def __init__(self, k: int = 5):
        self.k = check_int(k, "k")

    def fit(self, embeddings) -> KNNScorer:
        """Store the ``(N, D)`` good embeddings (N ≥ 1)."""
        from sklearn.neighbors import NearestNeighbors

        x = _as_matrix(embeddings, "embeddings")
        self.index_ = NearestNeighbors(n_neighbors=min(self.k, len(x))).fit(x)
        self.dim_ = x.shape[1]
        return self

    def score(self, embeddings) -> np.ndarray:
        """Float32 ``(M,)`` mean distance to the nearest good embeddings."""
        if not hasattr(self, "index_"):
            raise ValueError("KNNScorer is not fitted: call fit(good_embeddings) first.")
        x = _as_matrix(embeddings, "embeddings")
        if x.shape[1] != self.dim_:
            raise ValueError(
                f"embeddings have {x.shape[1]} dimensions, the scorer was fitted on {self.dim_}."
            )
        distances, _ = self.index_.kneighbors(x)
        return distances.mean(axis=1).astype(np.float32)


def fit_patch_density(
    features, max_patches: int = 20000, seed: int = 0, shrinkage: float | None = None
) -> GaussianDensity:
    """One :class:`GaussianDensity` over all patch embeddings ``(N, h, w, C)`` of good images.

    At most ``max_patches`` randomly chosen (seeded) positions are used. One Gaussian for
    every position suits textures and roughly aligned objects; see the notebook's exercises.
    """
    features = np.asarray(features)
    if features.ndim != 4:
        raise ValueError(f"features must be (N, h, w, C), got shape {features.shape}.")
    flat = features.reshape(-1, features.shape[-1])
    if len(flat) > max_patches:
        flat = flat[np.random.default_rng(seed).choice(len(flat), max_patches, replace=False)]
    return GaussianDensity(shrinkage).fit(flat)


def anomaly_maps(
    scorer: GaussianDensity | KNNScorer,
    features,
    image_size: int | tuple[int, int],
    sigma: float = 4.0,
) -> np.ndarray:
    """Per-pixel anomaly maps: patch scores, bilinearly upsampled and Gaussian-smoothed.

    Args:
        scorer: fitted on patch embeddings of good images (:func:`fit_patch_density`).
        features: ``(N, h, w, C)`` from :func:`patch_features`.
        image_size: ``(H, W)`` of the images. A U-Net that padded its input (sizes not a
            multiple of ``2**depth``) gives maps of the padded size; the image is cut from
            their centre.
        sigma: standard deviation in pixels of the smoothing (0: none).

    Returns:
        float32 ``(N, H, W)``, larger = more anomalous.
    """
    import cv2

    features = np.asarray(features)
    if features.ndim != 4:
        raise ValueError(f"features must be (N, h, w, C), got shape {features.shape}.")
    height, width = check_size(image_size, "image_size")
    n, h, w, c = features.shape
    scores = scorer.score(features.reshape(-1, c)).reshape(n, h, w, 1)
    stride = 2 ** max(0, math.ceil(math.log2(max(height / h, width / w)) - 1e-9))
    up = tf.image.resize(scores, (h * stride, w * stride), "bilinear").numpy()[..., 0]
    top, left = (h * stride - height) // 2, (w * stride - width) // 2
    if top < 0 or left < 0:
        raise ValueError(
            f"features of {h}x{w} cannot cover a {height}x{width} image; pass the size of the "
            "images the features were computed from."
        )
    maps = up[:, top : top + height, left : left + width]
    if sigma > 0:
        maps = np.stack([cv2.GaussianBlur(m, (0, 0), sigma) for m in maps])
    return maps.astype(np.float32)


# --- evaluation -----------------------------------------------------------------------------


def _scores_labels(scores, labels) -> tuple[np.ndarray, np.ndarray]:
    scores = np.asarray(scores, dtype=np.float64).ravel()
    labels = np.asarray(labels).ravel()
    if scores.shape != labels.shape:
        raise ValueError(f"{scores.size} scores for {labels.size} labels; they must match.")
    if not np.isin(labels, (0, 1)).all():
        raise ValueError(
            f"labels must be 0 (good) / 1 (defect), got values {np.unique(labels)[:8]}."
        )
    return scores, labels.astype(np.int32)


def image_auroc(scores, labels) -> float:
    """Area under the ROC curve of anomaly ``scores`` (larger = defect) for 0/1 ``labels``.

    0.5 is chance, 1.0 perfect. Needs both good and defective samples.
    """
    from sklearn.metrics import roc_auc_score

    scores, labels = _scores_labels(scores, labels)
    if labels.min() == labels.max():
        raise ValueError(
            "AUROC needs good (0) and defective (1) samples; all labels are "
            f"{int(labels[0]) if labels.size else 'missing'}. Check the test folder."
        )
    return float(roc_auc_score(labels, scores))


def auroc_by_defect(scores, labels, defect_types) -> dict[str, float]:
    """``{"overall": AUROC, <defect type>: AUROC of good vs that type, ...}``."""
    scores, labels = _scores_labels(scores, labels)
    kinds = np.asarray(defect_types).ravel()
    if kinds.shape != labels.shape:
        raise ValueError(f"{kinds.size} defect types for {labels.size} labels; they must match.")
    result = {"overall": image_auroc(scores, labels)}
    for kind in sorted(set(kinds[labels == 1].tolist())):
        keep = (labels == 0) | (kinds == kind)
        result[kind] = image_auroc(scores[keep], labels[keep])
    return result


def pixel_auroc(maps, masks) -> float:
    """Pixel-level AUROC of anomaly ``maps`` ``(N, H, W)`` against 0/1 ``masks`` of the same
    shape (``(N, H, W, 1)`` accepted)."""
    maps = np.asarray(maps)
    masks = np.asarray(masks)
    if masks.ndim == maps.ndim + 1 and masks.shape[-1] == 1:
        masks = masks[..., 0]
    if maps.shape != masks.shape:
        raise ValueError(
            f"maps {maps.shape} and masks {masks.shape} differ: compute the maps at the "
            "masks' size (anomaly_maps(..., image_size=masks.shape[1:3]))."
        )
    if not masks.any():
        raise ValueError(
            "pixel AUROC needs defect pixels, but every mask is empty: check ground_truth/."
        )
    return image_auroc(maps.ravel(), (masks.ravel() > 0).astype(np.int32))


def threshold_from_good(good_scores, quantile: float = 0.95) -> float:
    """A threshold from scores of held-out good images: their ``quantile`` (e.g. 0.95 → about
    5 % of good images flagged)."""
    scores = np.asarray(good_scores, dtype=np.float64).ravel()
    if scores.size == 0:
        raise ValueError(
            "good_scores is empty: hold out some good images (load_category(holdout=...))."
        )
    if not 0.0 < quantile <= 1.0:
        raise ValueError(f"quantile must be in (0, 1], got {quantile!r}.")
    return float(np.quantile(scores, quantile))


def precision_recall(scores, labels, threshold: float) -> dict[str, float]:
    """Flag ``scores > threshold`` as defective; return precision, recall, F1 and the counts."""
    scores, labels = _scores_labels(scores, labels)
    flagged = scores > threshold
    tp = int((flagged & (labels == 1)).sum())
    fp = int((flagged & (labels == 0)).sum())
    fn = int((~flagged & (labels == 1)).sum())
    tn = int((~flagged & (labels == 0)).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
    }


def project_2d(embeddings, fit_on=None) -> tuple[np.ndarray, np.ndarray]:
    """PCA projection to 2-D: ``(points (N, 2), explained variance ratio (2,))``.

    The axes are fitted on ``fit_on`` (e.g. good embeddings only) or on ``embeddings``.
    """
    from sklearn.decomposition import PCA

    x = _as_matrix(embeddings, "embeddings")
    reference = x if fit_on is None else _as_matrix(fit_on, "fit_on")
    if reference.shape[1] != x.shape[1] or len(reference) < 2:
        raise ValueError(
            f"fit_on must have at least 2 rows of {x.shape[1]} dimensions, got {reference.shape}."
        )
    pca = PCA(n_components=2, random_state=0).fit(reference)
    return pca.transform(x).astype(np.float32), pca.explained_variance_ratio_


# --- one category, end to end ---------------------------------------------------------------


@dataclasses.dataclass
class CategoryResult:
    """What :func:`run_category` returns: headline ``metrics``, the trained ``model`` and
    its ``history`` dict, the test ``scores`` and anomaly ``maps``."""

    metrics: dict[str, float]
    model: keras.Model
    history: dict[str, list[float]]
    scores: np.ndarray
    maps: np.ndarray


def train_pretext(
    model: keras.Model,
    data: CategoryData,
    epochs: int = 4,
    steps_per_epoch: int = 40,
    batch_size: int = 16,
    learning_rate: float = 1e-3,
    seed: int = 0,
    config: PretextConfig | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    restore_best: bool = True,
) -> keras.callbacks.History:
    """Compile ``model`` (:func:`ssl_keras.training.compile_model`: Adam, cross-entropy on
    logits, accuracy) and train it on pretext batches of ``data.train``, validating on
    pretext versions of ``data.holdout`` (three fixed transforms per image).

    A short run oscillates from epoch to epoch; ``restore_best`` (with held-out images) ends
    with the weights of the epoch with the lowest validation loss, through an EarlyStopping
    of its own unless ``callbacks`` already decide (an EarlyStopping or a
    :class:`~ssl_keras.callbacks.BestEpoch`, as ``ssl_keras.callbacks.standard`` holds).
    ``batch_size`` is the global batch; the optimizer is created under the strategy
    ``model`` was built under."""
    with runtime.scope(model):
        optimizer = keras.optimizers.Adam(learning_rate)
    training.compile_model(
        model,
        optimizer=optimizer,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    train = pretext_dataset(data.train, batch_size, seed=seed, config=config)
    fit_args = {}
    callbacks = list(callbacks)
    if len(data.holdout):
        decided = any(isinstance(c, (keras.callbacks.EarlyStopping, BestEpoch)) for c in callbacks)
        if restore_best and not decided:
            callbacks.append(
                keras.callbacks.EarlyStopping(
                    monitor="val_loss", patience=epochs, restore_best_weights=True
                )
            )
        validation = np.concatenate([data.holdout] * 3)
        fit_args["validation_data"] = pretext_dataset(
            validation, batch_size, seed=seed + 1, config=config, repeat=False, shuffle=False
        ).cache()
    with pipelines.naming_bad_files():
        return model.fit(
            train,
            epochs=epochs,
            steps_per_epoch=steps_per_epoch,
            callbacks=callbacks,
            verbose=0,
            **fit_args,
        )


def run_category(
    root: str | os.PathLike,
    category: str,
    size: int = 64,
    epochs: int = 8,
    steps_per_epoch: int = 40,
    batch_size: int = 16,
    learning_rate: float = 1e-3,
    depth: int = 3,
    base_filters: int = 16,
    levels: str | Sequence[str] = ("enc3", "bottleneck"),
    pooling: str = "max",
    patch_level: str = "enc3",
    holdout: float = 0.2,
    seed: int = 0,
    callbacks: Sequence[keras.callbacks.Callback] = (),
) -> CategoryResult:
    """Train the pretext model on one category and evaluate it: the whole notebook in a call.

    Metrics: ``image_auroc``, ``auroc_<defect type>``, ``pixel_auroc``, ``precision``,
    ``recall`` (threshold: 95th percentile of held-out good scores), ``pretext_accuracy``
    (validation), ``train_seconds`` and the image counts.
    """
    keras.utils.set_random_seed(seed)
    data = load_category(root, category, size, holdout=holdout, seed=seed)
    model = pretext_model((size, size, 3), depth=depth, base_filters=base_filters)
    start = time.perf_counter()
    history = train_pretext(
        model,
        data,
        epochs=epochs,
        steps_per_epoch=steps_per_epoch,
        batch_size=batch_size,
        learning_rate=learning_rate,
        seed=seed,
        callbacks=callbacks,
    )
    seconds = time.perf_counter() - start
    density = GaussianDensity().fit(embed(model, data.train, levels, pooling))
    scores = density.score(embed(model, data.test, levels, pooling))
    aurocs = auroc_by_defect(scores, data.labels, data.defect_types)
    metrics: dict[str, float] = {"image_auroc": aurocs.pop("overall")}
    metrics.update({f"auroc_{kind}": value for kind, value in aurocs.items()})
    if len(data.holdout):
        holdout_scores = density.score(embed(model, data.holdout, levels, pooling))
        counts = precision_recall(scores, data.labels, threshold_from_good(holdout_scores))
        metrics.update(precision=counts["precision"], recall=counts["recall"])
    patch_density = fit_patch_density(patch_features(model, data.train, patch_level), seed=seed)
    maps = anomaly_maps(patch_density, patch_features(model, data.test, patch_level), size)
    metrics["pixel_auroc"] = pixel_auroc(maps, data.masks)
    logs = history.history
    if "val_accuracy" in logs:
        metrics["pretext_accuracy"] = float(logs["val_accuracy"][int(np.argmin(logs["val_loss"]))])
    metrics.update(
        train_seconds=seconds,
        n_train=len(data.train),
        n_test_good=int((data.labels == 0).sum()),
        n_test_defect=int(data.labels.sum()),
    )
    return CategoryResult(metrics, model, dict(logs), scores, maps)
