"""Segmentation machinery: lockstep augmentation in tf.data, metrics, baselines, evaluation.

Images are float32 RGB ``(H, W, 3)`` in [0, 1]; masks int32 ``(H, W, 1)`` of class indices
(0/1 for foreground masks; CamVid's void is 11), as the loaders in
:mod:`ssl_keras.datasets` return them.

* **Augmentation** (:func:`augment_pair`, :func:`augment_dataset`): flips, rotations by 90°,
  random resized crops and color jitter, drawn ONCE per pair from a seed and applied to the
  image (bilinear) and the mask (nearest neighbour) together, so they stay aligned; color
  jitter touches the image only. Pure TensorFlow ops, stateless and seeded.
* **Metrics**: confusion-matrix based per-class IoU, mean IoU (void excluded) and pixel
  accuracy (:func:`confusion_matrix`, :func:`scores`); Keras metrics for training logs
  (:func:`mean_iou_metric`, :class:`DiceScore`, :class:`IoUScore`); per-image binary Dice /
  IoU in NumPy (:func:`binary_scores`).
* **Baseline**: predict the most frequent class everywhere (:func:`majority_class`,
  :func:`constant_prediction_confusion`): the floor any model must clear.
* **Evaluation**: :func:`predict_masks` and :func:`evaluate` run a model over a dataset.
* **Models and seed runs**: :func:`unet` builds the multi-class U-Net, its encoder optionally
  copied from a pretrained U-Net (notebook 02's denoiser); :func:`restart` starts a new run
  on a compiled model without tracing its training step again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

from ssl_keras import image_files, models, pipelines, resizing
from ssl_keras._checks import check_range
from ssl_keras.metrics import class_indices
from ssl_keras.metrics import confusion_matrix as confusion_matrix  # re-exported: notebook 07
from ssl_keras.noise import Seed, as_seed
from ssl_keras.training import restart as restart  # re-exported: the seed runs of notebook 07

AUTOTUNE = tf.data.AUTOTUNE


# --------------------------------------------------------------------------- augmentation


def _random_resized_box(draws: tf.Tensor, scale: tuple[float, float], ratio: float) -> tf.Tensor:
    """A normalized ``[y0, x0, y1, x1]`` box covering a fraction in ``scale`` of the image,
    its aspect changed by at most ``ratio`` (or ``1/ratio``), from 4 uniform draws."""
    area = scale[0] + (scale[1] - scale[0]) * draws[0]
    log_ratio = np.log(ratio) * (2.0 * draws[1] - 1.0)
    aspect = tf.exp(log_ratio)
    height = tf.minimum(tf.sqrt(area / aspect), 1.0)
    width = tf.minimum(tf.sqrt(area * aspect), 1.0)
    y0 = (1.0 - height) * draws[2]
    x0 = (1.0 - width) * draws[3]
    return tf.stack([y0, x0, y0 + height, x0 + width])


def augment_pair(
    image: tf.Tensor,
    mask: tf.Tensor,
    seed: Seed,
    hflip: bool = True,
    vflip: bool = False,
    rotate90: bool = False,
    crop_scale: tuple[float, float] | None = (0.5, 1.0),
    crop_ratio: float = 4 / 3,
    color_jitter: float = 0.1,
) -> tuple[tf.Tensor, tf.Tensor]:
    """Augment an image and its mask in lockstep; the output has the input's shapes.

    Args:
        image: float32 ``(H, W, 3)`` in [0, 1].
        mask: int ``(H, W, 1)`` class indices (its dtype is kept).
        seed: a stateless seed (int or shape-``(2,)`` tensor); same seed, same augmentation.
        hflip, vflip: flip left-right / up-down with probability 1/2.
        rotate90: rotate by a random multiple of 90° (by 0° or 180° only when H ≠ W, so
            the shape is kept).
        crop_scale: ``(low, high)`` fraction of the image area a random crop covers before
            it is resized back to ``(H, W)`` (image bilinear, mask nearest); ``None``: no crop.
        crop_ratio: the crop's aspect ratio differs from the image's by at most this factor.
        color_jitter: strength in [0, 1) of random brightness, contrast, saturation and hue
            changes (image only); 0 turns them off.

    Returns:
        ``(image float32 (H, W, 3) in [0, 1], mask (H, W, 1) of the input dtype)``.
    """
    if crop_scale is not None:
        low, high = (float(v) for v in crop_scale)
        if not 0.0 < low <= high <= 1.0:
            raise ValueError(
                f"crop_scale must be (low, high) with 0 < low ≤ high ≤ 1, got {crop_scale!r}."
            )
        crop_scale = (low, high)
    check_range(crop_ratio, "crop_ratio", 1.0, 10.0)
    check_range(color_jitter, "color_jitter", 0.0, 0.99)
    image = tf.convert_to_tensor(image, tf.float32)
    mask = tf.convert_to_tensor(mask)
    mask_dtype = mask.dtype
    seeds = tf.random.experimental.stateless_split(as_seed(seed), num=6)
    draws = tf.random.stateless_uniform([7], seed=seeds[0])

    if hflip:
        flip = draws[0] < 0.5
        image = tf.cond(flip, lambda: tf.reverse(image, [1]), lambda: image)
        mask = tf.cond(flip, lambda: tf.reverse(mask, [1]), lambda: mask)
    if vflip:
        flip = draws[1] < 0.5
        image = tf.cond(flip, lambda: tf.reverse(image, [0]), lambda: image)
        mask = tf.cond(flip, lambda: tf.reverse(mask, [0]), lambda: mask)
    if rotate90:
        turns = tf.cast(tf.floor(draws[2] * 4.0), tf.int32) % 4
        shape = tf.shape(image)
        turns = tf.where(tf.equal(shape[0], shape[1]), turns, 2 * (turns // 2))
        static = image.shape
        image = tf.image.rot90(image, turns)
        mask = tf.image.rot90(mask, turns)
        # Odd turns only happen on square images, so the static shape is unchanged.
        image.set_shape(static)
        mask.set_shape(static[:2].concatenate([mask.shape[-1]]))
    if crop_scale is not None:
        box = _random_resized_box(draws[3:], crop_scale, crop_ratio)[None]
        size = tf.shape(image)[:2]
        static_image, static_mask = image.shape, mask.shape
        image = tf.image.crop_and_resize(image[None], box, [0], size, method="bilinear")[0]
        mask = tf.image.crop_and_resize(
            tf.cast(mask, tf.float32)[None], box, [0], size, method="nearest"
        )[0]
        mask = tf.cast(tf.round(mask), mask_dtype)
        image.set_shape(static_image)
        mask.set_shape(static_mask)
    if color_jitter > 0:
        image = tf.image.stateless_random_brightness(image, color_jitter, seeds[1])
        image = tf.image.stateless_random_contrast(
            image, 1.0 - color_jitter, 1.0 + color_jitter, seeds[2]
        )
        image = tf.image.stateless_random_saturation(
            tf.clip_by_value(image, 0.0, 1.0), 1.0 - color_jitter, 1.0 + color_jitter, seeds[3]
        )
        image = tf.image.stateless_random_hue(image, color_jitter / 4.0, seeds[4])
    return tf.clip_by_value(image, 0.0, 1.0), tf.cast(mask, mask_dtype)


def augment_dataset(ds: tf.data.Dataset, seed: int = 0, **options) -> tf.data.Dataset:
    """Map :func:`augment_pair` over a dataset of ``(image, mask)`` pairs.

    Every pair gets its own seed from a ``tf.data.Dataset.random(seed)`` stream that is
    redrawn on each pass, so every epoch sees new augmentations, and the same ``seed`` gives
    the same sequence of augmentations on every run. ``options`` go to :func:`augment_pair`.
    """
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}.")
    # Validate the options once, eagerly, instead of failing inside the tf.data graph.
    augment_pair(tf.zeros((4, 4, 3)), tf.zeros((4, 4, 1), tf.int32), 0, **options)
    seeds = tf.data.Dataset.random(seed=int(seed), rerandomize_each_iteration=True).batch(2)
    return tf.data.Dataset.zip((ds, seeds)).map(
        lambda pair, pair_seed: augment_pair(pair[0], pair[1], pair_seed, **options),
        num_parallel_calls=AUTOTUNE,
    )


def batches(
    ds: tf.data.Dataset,
    batch_size: int,
    training: bool = False,
    seed: int = 0,
    shuffle: int | None = 512,
    cache: bool = True,
    **augment_options,
) -> tf.data.Dataset:
    """Cache → (training: shuffle, lockstep augmentation) → batch → prefetch.

    Batching is :func:`ssl_keras.pipelines.batch` for training and
    :func:`ssl_keras.pipelines.eval_batches` otherwise, so it also works on several replicas.

    ``ds`` yields ``(image, mask)`` pairs of one size (e.g. a loader called with ``size``).
    Caching keeps the decoded, resized pairs in memory; augmentation happens after the cache,
    so it is new in every epoch. ``augment_options`` go to :func:`augment_pair`.
    """
    if not isinstance(batch_size, int | np.integer) or batch_size < 1:
        raise ValueError(f"batch_size must be an int ≥ 1, got {batch_size!r}.")
    if cache:
        ds = ds.cache()
    if training:
        if shuffle:
            ds = ds.shuffle(shuffle, seed=seed, reshuffle_each_iteration=True)
        ds = augment_dataset(ds, seed=seed, **augment_options)
        return pipelines.batch(ds, int(batch_size))  # drops the remainder on several replicas
    return pipelines.eval_batches(ds, int(batch_size))  # splits over any replica count


def preprocess(image, size: int | tuple[int, int]) -> tf.Tensor:
    """The loaders' image preprocessing: bilinear, antialiased resize to ``size`` (float32
    ``(H, W, 3)`` or ``(N, H, W, 3)`` in [0, 1]); inference must use exactly this."""
    return resizing.resize(tf.convert_to_tensor(image, tf.float32), size)


# --------------------------------------------------------------------- confusion matrices


@dataclasses.dataclass(frozen=True)
class Scores:
    """Metrics from a confusion matrix. ``iou[c]`` is NaN for a class absent from both the
    truth and the prediction; ``mean_iou`` averages the others (Keras ``MeanIoU`` does the
    same)."""

    pixel_accuracy: float
    iou: np.ndarray
    mean_iou: float
    confusion: np.ndarray

    def table(self, class_names: Sequence[str] | None = None) -> list[dict[str, object]]:
        """Rows ``{"class", "IoU", "pixels (truth)"}`` for :func:`ssl_keras.report.format_table`."""
        names = list(class_names) if class_names is not None else []
        rows = []
        for index, value in enumerate(self.iou):
            name = names[index] if index < len(names) else str(index)
            rows.append(
                {
                    "class": name,
                    "IoU": "-" if np.isnan(value) else float(value),
                    "pixels (truth)": int(self.confusion[index].sum()),
                }
            )
        return rows


def scores(confusion: np.ndarray) -> Scores:
    """Pixel accuracy, per-class IoU and mean IoU of a square confusion matrix (rows =
    truth). Void is excluded by the matrix itself (see :func:`confusion_matrix`)."""
    matrix = np.asarray(confusion, dtype=np.int64)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.shape[0] == 0:
        raise ValueError(f"confusion must be a square (C, C) matrix, got shape {matrix.shape}.")
    true_positives = np.diag(matrix).astype(np.float64)
    union = matrix.sum(axis=0) + matrix.sum(axis=1) - true_positives
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = np.where(union > 0, true_positives / union, np.nan)
    total = matrix.sum()
    accuracy = float(true_positives.sum() / total) if total else float("nan")
    mean_iou = float(np.nanmean(iou)) if np.any(union > 0) else float("nan")
    return Scores(accuracy, iou, mean_iou, matrix)


def class_pixel_counts(masks, n_classes: int, ignore_class: int | None = None) -> np.ndarray:
    """Pixels per class, int64 ``(n_classes,)``, from integer masks (an array of any shape, or a
    ``tf.data.Dataset`` of ``(image, mask)`` pairs or batches). Void is not counted."""
    if isinstance(masks, tf.data.Dataset):
        counts = np.zeros(n_classes, np.int64)
        with image_files.naming_bad_files():
            for _, mask in masks.as_numpy_iterator():
                counts += class_pixel_counts(mask, n_classes, ignore_class)
        return counts
    labels = class_indices(masks, "masks").reshape(-1)
    keep = (labels >= 0) & (labels < n_classes)
    if ignore_class is not None:
        keep &= labels != ignore_class
    return np.bincount(labels[keep], minlength=n_classes)[:n_classes]


def majority_class(pixel_counts: Sequence[int]) -> int:
    """The class with the most (non-void) training pixels."""
    counts = np.asarray(pixel_counts)
    if counts.ndim != 1 or counts.size == 0 or counts.sum() <= 0:
        raise ValueError(f"pixel_counts must be a non-empty 1-D count vector, got {counts!r}.")
    return int(np.argmax(counts))


def constant_prediction_confusion(truth_counts: Sequence[int], class_index: int) -> np.ndarray:
    """Confusion matrix of predicting ``class_index`` at every pixel of a set whose truth has
    ``truth_counts`` pixels per class: the majority-class baseline, with no model."""
    counts = np.asarray(truth_counts, dtype=np.int64).reshape(-1)
    if not 0 <= class_index < counts.size:
        raise ValueError(f"class_index must be in 0…{counts.size - 1}, got {class_index}.")
    matrix = np.zeros((counts.size, counts.size), np.int64)
    matrix[:, class_index] = counts
    return matrix


# --------------------------------------------------------------------------- Keras metrics


def mean_iou_metric(
    n_classes: int, ignore_class: int | None = None, name: str = "mean_iou"
) -> keras.metrics.MeanIoU:
    """Keras's built-in ``MeanIoU`` set up for logits ``(N, H, W, C)`` (argmax inside) and
    sparse masks, skipping ``ignore_class`` pixels: the training-time mIoU."""
    return keras.metrics.MeanIoU(
        num_classes=n_classes, ignore_class=ignore_class, sparse_y_pred=False, name=name
    )


class _BinaryOverlap(keras.metrics.Metric):
    """Accumulates true positives, false positives and false negatives of binary masks over
    all pixels seen (dataset-level, not per-image averages)."""

    def __init__(self, from_logits: bool = True, threshold: float = 0.5, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        check_range(threshold, "threshold", 0.0, 1.0, low_open=True)
        self.from_logits = bool(from_logits)
        self.threshold = float(threshold)
        self.tp = self.add_variable(shape=(), initializer="zeros", name="tp")
        self.fp = self.add_variable(shape=(), initializer="zeros", name="fp")
        self.fn = self.add_variable(shape=(), initializer="zeros", name="fn")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = keras.ops.convert_to_tensor(y_pred, "float32")
        probabilities = keras.ops.sigmoid(y_pred) if self.from_logits else y_pred
        predicted = keras.ops.cast(probabilities >= self.threshold, "float32")
        truth = keras.ops.cast(keras.ops.convert_to_tensor(y_true) > 0, "float32")
        self.tp.assign_add(keras.ops.sum(predicted * truth))
        self.fp.assign_add(keras.ops.sum(predicted * (1.0 - truth)))
        self.fn.assign_add(keras.ops.sum((1.0 - predicted) * truth))

    def reset_state(self):
        for variable in (self.tp, self.fp, self.fn):
            variable.assign(0.0)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "from_logits": self.from_logits,
            "threshold": self.threshold,
        }


@keras.saving.register_keras_serializable(package="ssl_keras")
class DiceScore(_BinaryOverlap):
    """Dice (F1) of thresholded binary masks, ``2·TP / (2·TP + FP + FN)``, over all pixels
    seen; 1 when neither truth nor prediction has foreground."""

    def __init__(self, from_logits=True, threshold=0.5, name="dice", dtype=None):
        super().__init__(from_logits, threshold, name=name, dtype=dtype)

    def result(self):
        denominator = 2.0 * self.tp + self.fp + self.fn
        return keras.ops.where(denominator > 0, 2.0 * self.tp / (denominator + 1e-12), 1.0)


@keras.saving.register_keras_serializable(package="ssl_keras")
class IoUScore(_BinaryOverlap):
    """Foreground IoU (Jaccard) of thresholded binary masks, ``TP / (TP + FP + FN)``, over
    all pixels seen; 1 when neither truth nor prediction has foreground."""

    def __init__(self, from_logits=True, threshold=0.5, name="iou", dtype=None):
        super().__init__(from_logits, threshold, name=name, dtype=dtype)

    def result(self):
        denominator = self.tp + self.fp + self.fn
        return keras.ops.where(denominator > 0, self.tp / (denominator + 1e-12), 1.0)


def binary_scores(predicted, truth) -> dict[str, np.ndarray]:
    """Per-image Dice and IoU of binary masks (NumPy), each ``(N,)`` float64 in [0, 1].

    ``predicted`` and ``truth``: bool or 0/1 arrays ``(N, H, W)`` or ``(N, H, W, 1)`` (a
    single ``(H, W)`` mask counts as one image). An image where both are empty scores 1.
    """
    prediction = np.asarray(predicted)
    target = np.asarray(truth)
    if prediction.shape != target.shape:
        raise ValueError(
            f"predicted and truth must have the same shape, got {prediction.shape} and "
            f"{target.shape}."
        )
    if prediction.ndim == 2:
        prediction, target = prediction[None], target[None]
    prediction = prediction.reshape(prediction.shape[0], -1) > 0
    target = target.reshape(target.shape[0], -1) > 0
    intersection = (prediction & target).sum(axis=1).astype(np.float64)
    sizes = prediction.sum(axis=1) + target.sum(axis=1)
    union = sizes - intersection
    with np.errstate(divide="ignore", invalid="ignore"):
        dice = np.where(sizes > 0, 2.0 * intersection / sizes, 1.0)
        iou = np.where(union > 0, intersection / union, 1.0)
    return {"dice": dice, "iou": iou}


# ------------------------------------------------------------------------------ evaluation


def head_activation(model: keras.Model) -> str:
    """Name of the output layer's activation (``"linear"`` for logits, ``"sigmoid"``, ...)."""
    layer = model.layers[-1]
    activation = getattr(layer, "activation", None)
    return getattr(activation, "__name__", "linear") if activation is not None else "linear"


def predict_masks(
    model: keras.Model, ds: tf.data.Dataset
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run ``model`` over batches of ``(image, mask)``; return NumPy ``(images, truth,
    output)``: images float32 ``(N, H, W, 3)``, truth int32 ``(N, H, W)``, and output
    float32 ``(N, H, W)`` foreground probabilities for a one-channel model (logits or
    sigmoid head) or int32 ``(N, H, W)`` argmax classes for a multi-channel one.

    Probabilities are returned as they are: threshold them with
    :func:`ssl_keras.postprocess.threshold`.
    """
    activation = head_activation(model)
    images, truths, outputs = [], [], []
    for image, mask in ds:
        output = model(image, training=False)
        if output.shape[-1] == 1:
            output = output[..., 0]
            if activation != "sigmoid":
                output = tf.sigmoid(output)
        else:
            output = tf.argmax(output, axis=-1, output_type=tf.int32)
        images.append(image.numpy())
        truths.append(tf.cast(mask[..., 0], tf.int32).numpy())
        outputs.append(output.numpy())
    if not images:
        raise ValueError("The dataset is empty: nothing to predict.")
    return np.concatenate(images), np.concatenate(truths), np.concatenate(outputs)


def evaluate(
    model: keras.Model, ds: tf.data.Dataset, n_classes: int, ignore_class: int | None = None
) -> Scores:
    """Per-class IoU, mean IoU and pixel accuracy of a multi-class model on batches of
    ``(image, mask)``; ``ignore_class`` pixels (void) are not counted."""
    matrix = np.zeros((n_classes, n_classes), np.int64)
    for image, mask in ds:
        predicted = tf.argmax(model(image, training=False), axis=-1, output_type=tf.int32)
        matrix += confusion_matrix(mask.numpy(), predicted.numpy(), n_classes, ignore_class)
    return scores(matrix)


# ------------------------------------------------------------------- models and seed runs


def unet(
    input_shape: Sequence[int | None],
    n_classes: int,
    depth: int,
    base_filters: int,
    dropout: float = 0.0,
    pretrained: keras.Model | None = None,
    seed: int | None = None,
    bn_momentum: float = 0.99,
    name: str = "segmenter",
) -> keras.Model:
    """The multi-class segmentation U-Net, from scratch or with a pretrained encoder.

    :func:`ssl_keras.models.unet` with ``Conv2DTranspose`` upsampling, ``he_normal``
    kernels, ``dropout`` after the deepest encoder block and the bottleneck, and a 1×1 head
    of ``n_classes`` logits: float32 ``(N, H, W, C)`` in [0, 1] → float32 logits
    ``(N, H, W, n_classes)``. With ``pretrained`` (a U-Net such as notebook 02's denoiser,
    or its encoder), the encoder blocks ``enc1``… and ``bottleneck`` (convolutions and BN
    statistics) are copied from it by :func:`ssl_keras.models.load_encoder_weights`; the
    decoder and head stay freshly initialised. Convolutions do not depend on the image size,
    so a denoiser trained on 64×64 crops fits 48×64 scenes. ``depth`` and ``base_filters``
    must match the pretrained model's (else ``ValueError`` naming the block).

    ``seed``: seeds Keras before building, so the same seed gives the same initial weights.
    ``bn_momentum``: of the BN moving statistics; 0.9 lets them catch up in runs of a few
    hundred steps, where 0.99 leaves validation scores lagging far behind training.
    """
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
            raise ValueError(f"seed must be a non-negative int or None, got {seed!r}.")
        keras.utils.set_random_seed(int(seed))
    model = models.unet(
        input_shape,
        depth=depth,
        base_filters=base_filters,
        upsampling="transpose",
        dropout=dropout,
        output_channels=n_classes,
        output_activation=None,
        kernel_initializer="he_normal",
        bn_momentum=bn_momentum,
        name=name,
    )
    if pretrained is not None:
        models.load_encoder_weights(model, pretrained)
    return model
