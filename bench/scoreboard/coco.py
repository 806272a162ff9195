"""Lesson 08 — COCO-mini foreground. Notebook 08's U-Net (Dice + BCE, its augmentation) on
binary masks (any object is foreground) of the 79 real val2017 images, split 49 / 10 / 20
(train / early stopping / held out), scored per image at its native resolution as
``ssl-keras segment`` does. Baselines: all foreground, a centre prior (how often each pixel
is foreground in the training masks, thresholded at the level that fits them best) and a
colour + edge pixel classifier (logistic regression on per-pixel Lab colour, colour
contrast, edge strength and position, fitted on the training and validation images). No
published anchor: COCO reports instance-mask AP over 80 categories, another task.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from ssl_keras import callbacks, models

from .frame import (
    Context,
    Deadline,
    lesson,
    rounded,
    split_per_class,
    stats,
)


@dataclasses.dataclass(frozen=True)
class CocoForegroundConfig:
    """The recipe of lesson 08: notebook 08's U-Net, loss, optimizer and augmentation.

    ``split``: images for training, validation (early stopping and the checkpoint) and the
    held-out test, drawn with ``split_seed``; ``size``: the square model input (notebook 08's
    ``full`` profile size; the smoke profile uses 64); ``max_epochs`` / ``patience``: early
    stopping on validation Dice, cut short when ``train_share`` of the lesson's minutes are
    spent; ``bn_momentum``: of the BN moving statistics (0.9, not Keras's 0.99: with 49
    training images an epoch is 4 steps, and at 0.99 the statistics used at evaluation lag
    far behind the weights); ``prior_thresholds``: the levels the centre-prior and colour +
    edge baselines choose from.
    """

    size: int = 128
    split: tuple[int, int, int] = (49, 10, 20)
    split_seed: int = 0
    depth: int = 4
    base_filters: int = 16
    batch_size: int = 16
    learning_rate: float = 2e-3
    bn_momentum: float = 0.9
    max_epochs: int = 300
    patience: int = 25
    train_share: float = 0.85
    threshold: float = 0.5
    log_every: int = 10
    prior_thresholds: tuple[float, ...] = tuple(round(0.05 * k, 2) for k in range(1, 20))
    augment: Mapping[str, object] = dataclasses.field(
        default_factory=lambda: {
            "hflip": True,
            "vflip": True,
            "rotate90": True,
            "crop_scale": (0.5, 1.0),
            "color_jitter": 0.1,
        }
    )


def resize_map(probabilities, shape: Sequence[int]) -> np.ndarray:
    """A probability map, float ``(h, w)`` in [0, 1], resized bilinearly (antialiased) to
    ``shape`` = ``(H, W)``: how ``ssl-keras segment`` brings predictions to the image size."""
    array = np.asarray(probabilities, np.float32)
    if array.ndim != 2:
        raise ValueError(f"probabilities must be one (h, w) map, got shape {array.shape}.")
    resized = tf.image.resize(array[..., None], tuple(int(s) for s in shape[:2]), antialias=True)
    return np.clip(resized[..., 0].numpy(), 0.0, 1.0)


def native_scores(
    probability_maps: Sequence[np.ndarray], truths: Sequence[np.ndarray], threshold: float = 0.5
) -> dict[str, np.ndarray]:
    """Per-image Dice and IoU (float64 ``(N,)`` in [0, 1]) of probability maps against
    binary masks of different sizes: map ``i`` (float ``(h, w)`` in [0, 1], any size) is
    resized to mask ``i``'s ``(H, W)`` (:func:`resize_map`) and thresholded at
    ``threshold``."""
    from ssl_keras import segmentation

    if len(probability_maps) != len(truths) or not truths:
        raise ValueError(
            f"Need one probability map per mask, got {len(probability_maps)} maps and "
            f"{len(truths)} masks."
        )
    dice, iou = [], []
    for probabilities, truth in zip(probability_maps, truths, strict=True):
        truth = np.asarray(truth)
        truth = truth.reshape(truth.shape[:2])
        predicted = resize_map(probabilities, truth.shape) >= threshold
        result = segmentation.binary_scores(predicted, truth > 0)
        dice.append(result["dice"][0])
        iou.append(result["iou"][0])
    return {"dice": np.array(dice), "iou": np.array(iou)}


def centre_prior(masks: np.ndarray, thresholds: Sequence[float]) -> tuple[np.ndarray, float]:
    """The "where are objects usually?" baseline, fitted on training masks.

    ``masks``: int or bool ``(N, S, S)`` or ``(N, S, S, 1)`` foreground masks at one size.
    Returns the foreground frequency per pixel, float32 ``(S, S)`` in [0, 1], and the level
    among ``thresholds`` whose thresholded map has the best mean Dice on those same masks.
    """
    from ssl_keras import segmentation

    array = np.asarray(masks)
    if array.ndim == 4 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim != 3 or array.shape[0] == 0:
        raise ValueError(f"masks must be a non-empty batch (N, S, S), got shape {array.shape}.")
    if not thresholds:
        raise ValueError("thresholds must name at least one level in (0, 1).")
    truth = array > 0
    prior = truth.mean(axis=0).astype(np.float32)
    fits = {
        float(t): segmentation.binary_scores(np.broadcast_to(prior >= t, truth.shape), truth)[
            "dice"
        ].mean()
        for t in thresholds
    }
    return prior, max(fits, key=fits.get)


def pixel_features(images, sigmas: Sequence[float] = (1.0, 2.0)) -> np.ndarray:
    """Hand-made colour and edge features of every pixel, for :func:`colour_edge_baseline`.

    ``images``: float RGB ``(N, H, W, 3)`` in [0, 1], as the U-Net sees them
    (``segmentation.preprocess(image, size)``). Returns float32 ``(N, H, W, 9 + len(sigmas))``,
    unscaled (the classifier standardises each feature): CIE Lab (L in [0, 100], a and b
    roughly in [-128, 127]); Lab minus the image's mean Lab, a crude colour-contrast saliency;
    the Sobel gradient magnitude of L after a Gaussian blur of each of ``sigmas`` (in pixels),
    i.e. edges at fine and coarse scale; and the pixel's position: x and y in [0, 1] and the
    distance to the image centre in [0, 0.71].
    """
    from skimage import color, filters

    array = np.asarray(images, np.float32)
    if array.ndim != 4 or array.shape[-1] != 3 or 0 in array.shape:
        raise ValueError(
            f"images must be a non-empty RGB batch (N, H, W, 3), got shape {array.shape}; "
            "add a batch axis to a single image with image[None]."
        )
    if array.min() < 0.0 or array.max() > 1.0:
        raise ValueError(
            f"images must hold values in [0, 1], got [{array.min():g}, {array.max():g}]; "
            "divide 0–255 images by 255 (segmentation.preprocess does)."
        )
    count, height, width, _ = array.shape
    lab = color.rgb2lab(array).astype(np.float32)
    contrast = lab - lab.mean(axis=(1, 2), keepdims=True)
    edges = [
        np.stack([filters.sobel(filters.gaussian(lightness, sigma=s)) for lightness in lab[..., 0]])
        for s in sigmas
    ]
    rows, columns = np.meshgrid(
        (np.arange(height) + 0.5) / height, (np.arange(width) + 0.5) / width, indexing="ij"
    )
    position = np.stack([columns, rows, np.hypot(columns - 0.5, rows - 0.5)], axis=-1)
    return np.concatenate(
        [
            lab,
            contrast,
            np.stack(edges, axis=-1).astype(np.float32),
            np.broadcast_to(position, (count, height, width, 3)).astype(np.float32),
        ],
        axis=-1,
    )


@dataclasses.dataclass(frozen=True)
class PixelClassifier:
    """A fitted per-pixel foreground classifier on :func:`pixel_features`.

    ``model``: a scikit-learn pipeline (standardisation, then a classifier) over the
    features; ``sigmas``: the edge scales the features were made with. Calling it on images
    float RGB ``(N, H, W, 3)`` in [0, 1] gives foreground probabilities, float32
    ``(N, H, W)`` in [0, 1].
    """

    model: object
    sigmas: tuple[float, ...] = (1.0, 2.0)

    def __call__(self, images) -> np.ndarray:
        features = pixel_features(images, self.sigmas)
        count, height, width, channels = features.shape
        probabilities = self.model.predict_proba(features.reshape(-1, channels))[:, 1]
        return probabilities.reshape(count, height, width).astype(np.float32)


def colour_edge_baseline(
    images,
    masks,
    thresholds: Sequence[float],
    seed: int = 0,
    max_pixels: int = 100_000,
) -> tuple[PixelClassifier, float]:
    """The "what does foreground look like?" baseline: a per-pixel classifier on colour and
    edges, fitted on training images.

    ``images``: float RGB ``(N, S, S, 3)`` in [0, 1]; ``masks``: int or bool ``(N, S, S)`` or
    ``(N, S, S, 1)`` foreground masks of those images. A logistic regression on the
    standardised :func:`pixel_features` is fitted on ``max_pixels`` pixels drawn with
    ``seed`` (stratified by class, so the result is deterministic and fitting takes seconds).
    Returns the fitted :class:`PixelClassifier` and the level among ``thresholds`` whose
    thresholded probabilities have the best mean Dice on those same masks.
    """
    from sklearn import linear_model, pipeline, preprocessing, utils

    from ssl_keras import segmentation

    array = np.asarray(masks)
    if array.ndim == 4 and array.shape[-1] == 1:
        array = array[..., 0]
    shape = np.shape(images)
    if array.ndim != 3 or array.shape != tuple(shape[:3]):
        raise ValueError(
            f"masks must be (N, S, S) or (N, S, S, 1) matching images {shape}, got shape "
            f"{np.shape(masks)}."
        )
    if not thresholds:
        raise ValueError("thresholds must name at least one level in (0, 1).")
    truth = array > 0
    if truth.all() or not truth.any():
        raise ValueError(
            "masks must hold both foreground and background pixels to fit a classifier, got "
            f"{'only foreground' if truth.any() else 'only background'}."
        )
    sigmas = (1.0, 2.0)
    features = pixel_features(images, sigmas)
    features = features.reshape(-1, features.shape[-1])
    labels = truth.reshape(-1)
    sample, sample_labels = utils.resample(
        features,
        labels,
        n_samples=min(max_pixels, labels.size),
        replace=False,
        stratify=labels,
        random_state=seed,
    )
    model = pipeline.make_pipeline(
        preprocessing.StandardScaler(), linear_model.LogisticRegression(max_iter=1000)
    )
    classifier = PixelClassifier(model.fit(sample, sample_labels), sigmas)
    probabilities = classifier(images)
    fits = {
        float(t): segmentation.binary_scores(probabilities >= t, truth)["dice"].mean()
        for t in thresholds
    }
    return classifier, max(fits, key=fits.get)


def _coco_segmenter(config: CocoForegroundConfig, seed: int) -> keras.Model:
    """Notebook 08's model cell: the U-Net with one logit channel, Adam, Dice + BCE."""
    from ssl_keras import losses, segmentation

    keras.utils.set_random_seed(seed)
    model = models.unet(
        (config.size, config.size, 3),
        depth=config.depth,
        base_filters=config.base_filters,
        output_channels=1,
        output_activation=None,
        bn_momentum=config.bn_momentum,
    )
    model.compile(
        optimizer=keras.optimizers.Adam(config.learning_rate),
        loss=losses.BCEDiceLoss(),
        metrics=[segmentation.DiceScore(), segmentation.IoUScore()],
    )
    return model


@lesson("08", "COCO-mini foreground segmentation", needs=("coco_mini",))
def coco_foreground(context: Context, config: CocoForegroundConfig | None = None) -> dict:
    """**08 — COCO-mini foreground Dice.** The 79 val2017 photos of ``coco_mini`` with the
    real ``instances_val2017.json``; foreground = any annotated instance (crowd RLEs too),
    rasterized by the notebook's loader (``coco.coco_dataset``, pycocotools). A seeded split
    (seed 0) of the 79 images: 49 train / 10 validation (early stopping, checkpoint) / 20
    held-out test. Notebook 08's recipe from scratch (U-Net with one logit channel, Adam
    2e-3, Dice + BCE, its lockstep augmentation, ``callbacks.standard`` on validation Dice)
    at 128 px with BN momentum 0.9, trained to early stopping within the budget, once per
    seed. Test images are scored at their native resolution the way ``ssl-keras segment``
    predicts (bilinear resize of the probabilities, threshold 0.5): mean per-image Dice and
    IoU. Baselines on
    the same images, scored the same way: all-foreground; a centre prior (the per-pixel
    foreground frequency of the training masks, thresholded at the level that fits the
    training masks best); and a colour + edge pixel classifier (:func:`colour_edge_baseline`:
    logistic regression on per-pixel Lab colour, colour contrast, edge strength and position,
    fitted on the training and validation images at the model size, thresholded at the level
    that fits their masks best, applied to each test image resized as the U-Net sees it).
    """
    from ssl_keras import postprocess, segmentation
    from ssl_keras.datasets import coco

    config = config or CocoForegroundConfig()
    root = context.data / "coco_mini"
    cache = context.workdir / "coco_masks"
    pairs, _ = coco.coco_dataset(root, "val2017", size=config.size, cache_dir=cache)
    image_paths, _, _ = coco.build_coco_masks(
        root / "annotations" / "instances_val2017.json", root / "val2017", cache
    )
    splits = split_per_class({"images": image_paths}, config.split, seed=config.split_seed)
    position_of = {path: index for index, path in enumerate(image_paths)}
    members = {
        split: sorted(position_of[path] for path in by_class["images"])
        for split, by_class in splits.items()
    }
    resized = list(pairs.batch(64).as_numpy_iterator())
    x = np.concatenate([images for images, _ in resized])
    y = np.concatenate([masks for _, masks in resized])
    test_images, test_truths = [], []
    native, _ = coco.coco_dataset(root, "val2017", cache_dir=cache)
    for index, (image, mask) in enumerate(native.as_numpy_iterator()):
        if index in members["test"]:
            test_images.append(image)
            test_truths.append(mask[..., 0])

    pool = members["train"] + members["val"]
    prior, prior_level = centre_prior(y[pool], config.prior_thresholds)
    colour_edge, colour_edge_level = colour_edge_baseline(
        x[pool], y[pool], config.prior_thresholds, seed=config.split_seed
    )
    colour_edge_maps = colour_edge(
        np.stack([segmentation.preprocess(image, config.size).numpy() for image in test_images])
    )
    baselines_per_image = {
        "all foreground": native_scores([np.ones((1, 1))] * len(test_truths), test_truths),
        f"centre prior of the training masks (≥ {prior_level:.2f})": native_scores(
            [prior >= prior_level] * len(test_truths), test_truths
        ),
        f"colour + edge pixel classifier (≥ {colour_edge_level:.2f})": native_scores(
            list(colour_edge_maps), test_truths, threshold=colour_edge_level
        ),
    }

    def subset(split: str) -> tf.data.Dataset:
        return tf.data.Dataset.from_tensor_slices((x[members[split]], y[members[split]]))

    val_ds = segmentation.batches(subset("val"), config.batch_size)
    start, budget = time.monotonic(), config.train_share * context.minutes * 60
    per_seed: dict[str, list[float]] = {"Dice": [], "IoU": [], "Dice, cleaned": []}
    restored, stopped_by_budget = [], []
    for position, seed in enumerate(context.seeds):
        train_ds = segmentation.batches(
            subset("train"), config.batch_size, training=True, seed=seed, **config.augment
        )
        model = _coco_segmenter(config, seed)
        # Each seed may use what the seeds before it left of their share.
        timer = Deadline(start + budget * (position + 1) / len(context.seeds) - time.monotonic())
        standard = callbacks.standard(
            context.workdir / f"08_seed{seed}",
            monitor="val_dice",
            mode="max",
            patience=config.patience,
            log_every=config.log_every,
        )
        print(f"08: seed {seed}, U-Net on {len(members['train'])} training images", flush=True)
        model.fit(
            train_ds,
            validation_data=val_ds,
            epochs=config.max_epochs,
            callbacks=[*standard, timer],
            verbose=0,
        )
        best = next(c for c in standard if isinstance(c, callbacks.BestEpoch))
        restored.append(f"{best.restored_epoch}/{best.last_epoch}")
        stopped_by_budget.append(timer.stopped)
        maps = [
            tf.sigmoid(model(segmentation.preprocess(image, config.size)[None]))[0, ..., 0].numpy()
            for image in test_images
        ]
        scores = native_scores(maps, test_truths, config.threshold)
        cleaned = [  # the post-processing of ``ssl-keras segment``, scaled to the image
            segmentation.binary_scores(
                postprocess.clean(
                    resize_map(probabilities, truth.shape),
                    config.threshold,
                    scale=min(truth.shape) / config.size,
                ),
                truth > 0,
            )["dice"][0]
            for probabilities, truth in zip(maps, test_truths, strict=True)
        ]
        per_seed["Dice"].append(float(scores["dice"].mean()))
        per_seed["IoU"].append(float(scores["iou"].mean()))
        per_seed["Dice, cleaned"].append(float(np.mean(cleaned)))

    ours = stats(per_seed["Dice"])
    baselines = {
        name: {"mean": float(s["dice"].mean()), "half": 0.0, "std": 0.0, "n": 1}
        for name, s in baselines_per_image.items()
    }
    arms = [
        {"arm": f"U-Net, {metric}", **rounded(stats(values))} for metric, values in per_seed.items()
    ]
    for name, s in baselines_per_image.items():
        for metric in ("dice", "iou"):
            arms.append(
                {
                    "arm": f"{name}, {metric.replace('dice', 'Dice').replace('iou', 'IoU')}",
                    "mean": float(s[metric].mean()),
                    "± 95 %": 0.0,
                    "seeds": 1,
                }
            )
    separation = {
        f"U-Net Dice over {name}, in seed SDs of the U-Net (the baseline is deterministic)": (
            (ours["mean"] - stat["mean"]) / ours["std"] if ours["std"] > 0 else math.inf
        )
        for name, stat in baselines.items()
    }
    trivial = baselines["all foreground"]["mean"]
    target = trivial + 0.10
    return {
        "data": {
            "what": "coco_mini: COCO val2017 photos with the real instances_val2017.json; "
            "foreground = any annotated instance (crowds included)",
            "images": len(image_paths),
            "split": dict(zip(("train", "val", "test"), config.split, strict=True)),
            "split_seed": config.split_seed,
            "test_images": [Path(image_paths[i]).name for i in members["test"]],
            "test_foreground_fraction": float(np.mean([t.mean() for t in test_truths])),
            "scored_at": "native resolution of each test image",
        },
        "ours": {
            "method": f"U-Net (notebook 08 recipe, scratch, {config.size} px), threshold "
            f"{config.threshold}",
            "metric": "mean per-image Dice, held-out test",
            **ours,
        },
        "baselines": baselines,
        "anchor": {
            "value": None,
            "why": "no published result exists for binary any-object foreground on this "
            "79-image val2017 sample; COCO results are per-category instance mask AP on all "
            "5000 val2017 images, a different task and test set",
        },
        "details": {
            "arms": arms,
            "separation": separation,
            "restored_epoch_of_epochs_run": {"U-Net": restored},
            "stopped_by_time_budget": stopped_by_budget,
            "goal": {
                "target": f"Dice ≥ all foreground + 0.10 = {target:.3f}",
                "met": ours["mean"] >= target,
                "met_by_interval_low": ours["mean"] - ours["half"] >= target,
                "short_by": max(0.0, target - ours["mean"]),
            },
            "per_seed": per_seed,
            "seeds": list(context.seeds),
            "centre_prior_level": prior_level,
            "colour_edge_level": colour_edge_level,
            "config": dataclasses.asdict(config),
        },
    }
