"""Lesson 07 — CamVid at the labels' resolution. Notebook 07's U-Net (its augmentation, class
weights, BatchNorm momentum; the encoder pretrained by notebook 02's recipe on the unlabeled
training frames within a share of the budget) on the 60 real training frames at 120×160,
10 of them held out for early stopping on mIoU; the 20 val frames, never seen in training
or selection, scored at 360×480 with the logits upsampled bilinearly before the argmax
(void ignored). Baselines: the majority class and the per-pixel prior of the training
labels; anchor SegNet-Basic 46.3 mIoU.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import keras
import numpy as np
import tensorflow as tf

from ssl_keras import callbacks, denoising

from .frame import (
    Context,
    Deadline,
    PretrainConfig,
    at_least,
    deterministic,
    lesson,
    pretrain_on_folder,
    stats,
)


@dataclasses.dataclass(frozen=True)
class CamVidConfig:
    """The recipe of lesson 07 (notebook 07's settings; its smoke profile's encoder).

    ``size``: the model's input (height, width), 4:3 like CamVid; ``selection``: training
    images held out (seeded) for early stopping on their mean IoU, so the val images stay
    unseen; ``max_epochs`` / ``patience``: of each seed's run, which also stops when its share
    of the budget is spent; ``pretrain_share``: of the budget spent pretraining notebook 02's
    denoiser on the unlabeled training frames for the encoder (0: from scratch), with at most
    ``pretrain_steps`` at ``pretrain_size`` px; ``fit_share``: of each seed's slice spent in
    ``fit`` (the rest goes to evaluation at the native resolution).
    """

    size: tuple[int, int] = (120, 160)
    batch_size: int = 8
    learning_rate: float = 2e-3
    dropout: float = 0.2
    bn_momentum: float = 0.9
    augment: Mapping[str, object] = dataclasses.field(
        default_factory=lambda: {"hflip": True, "crop_scale": (0.6, 1.0), "color_jitter": 0.1}
    )
    selection: int = 10
    max_epochs: int = 400
    patience: int = 15
    pretrain_share: float = 0.2
    pretrain_size: int = 64
    pretrain_steps: int = 1200
    pretrain_epochs: int = 8
    pretrain_val: int = 8
    fit_share: float = 0.85


CAMVID_CLASSES = 11  # SegNet classes 0-10; 11 is void


CAMVID_GOAL = 0.45  # mean IoU over the 11 classes on the val images, 60 training images


def upsample_classes(logits, size: tuple[int, int]) -> np.ndarray:
    """Class scores at the model's size → classes at the labels' size: float32 logits
    ``(N, h, w, C)`` resized bilinearly to ``size`` = (H, W), then the argmax: int32
    ``(N, H, W)``."""
    scores = tf.convert_to_tensor(logits, tf.float32)
    if scores.shape.rank != 4:
        raise ValueError(f"logits must be (N, h, w, C), got shape {tuple(scores.shape)}.")
    resized = tf.image.resize(scores, size, method="bilinear")
    return tf.argmax(resized, axis=-1, output_type=tf.int32).numpy()


def native_confusion(
    model: keras.Model, images: tf.data.Dataset, masks: tf.data.Dataset, batch_size: int
) -> np.ndarray:
    """Confusion matrix (11 × 11, void not counted) of ``model`` scored at the labels' own
    resolution: ``images`` yields float32 ``(h, w, 3)`` at the model's size, ``masks`` the
    int32 ``(H, W, 1)`` labels of the same files in the same order at their stored size; each
    image's logits are upsampled bilinearly to its label's size before the argmax."""
    from ssl_keras import segmentation
    from ssl_keras.datasets import palettes

    matrix = np.zeros((CAMVID_CLASSES, CAMVID_CLASSES), np.int64)
    labels = masks.as_numpy_iterator()
    for batch in images.batch(batch_size):
        logits = model(batch, training=False)
        for one in logits:
            truth = next(labels)
            predicted = upsample_classes(one[None], truth.shape[:2])
            matrix += segmentation.confusion_matrix(
                truth, predicted, CAMVID_CLASSES, palettes.CAMVID_VOID
            )
    return matrix


def stack_masks(masks: tf.data.Dataset) -> np.ndarray:
    """The masks of a dataset as int32 ``(N, H, W)``; ``ValueError`` when their sizes differ
    (a per-pixel statistic needs one size)."""
    arrays = [mask[..., 0] for mask in masks.as_numpy_iterator()]
    sizes = sorted({array.shape for array in arrays})
    if len(sizes) != 1:
        raise ValueError(
            f"The label images have several sizes {sizes}; the per-pixel prior needs one. "
            "Resize the labels (nearest neighbour) to one size first."
        )
    return np.stack(arrays).astype(np.int32)


def pixel_prior(masks: np.ndarray, fallback: int) -> np.ndarray:
    """The most frequent class at each pixel position over training masks int ``(N, H, W)``
    (void and other indices ≥ 11 not counted): int32 ``(H, W)``; ``fallback`` (the majority
    class) where a position is void in every mask."""
    masks = np.asarray(masks)
    if masks.ndim != 3 or masks.shape[0] == 0:
        raise ValueError(f"masks must be (N, H, W) with N ≥ 1, got shape {masks.shape}.")
    counts = np.stack([(masks == c).sum(axis=0) for c in range(CAMVID_CLASSES)])
    prior = np.argmax(counts, axis=0).astype(np.int32)
    prior[counts.sum(axis=0) == 0] = fallback
    return prior


@lesson("07", "CamVid segmentation at 360×480", needs=("camvid_segnet",))
def camvid_native(context: Context, config: CamVidConfig | None = None) -> dict:
    """Notebook 07's recipe on the real CamVid sample, scored at the labels' resolution.

    The U-Net (transposed convs, dropout, BN momentum 0.9, median-frequency class weights,
    void ignored, notebook 07's augmentation and learning rate; encoder from notebook 02's
    denoiser pretrained on the unlabeled training frames) trains on the 60 training images
    at ``config.size``, minus ``config.selection`` held out for early stopping (best epoch
    restored); one run per seed in an equal share of the budget. The 20 val images, never
    seen in training or selection, are predicted at the model's size and their logits
    upsampled bilinearly to 360×480: mean IoU over the 11 classes (void ignored), per-class
    IoU, pixel accuracy. Baselines: the majority training class everywhere, and the most
    frequent training class at each pixel position. Anchor: SegNet-Basic, 46.3 mIoU.
    """
    from ssl_keras import losses, segmentation
    from ssl_keras.datasets import camvid, palettes

    config = config or CamVidConfig()
    root = context.data / "camvid_segnet"
    recipe = denoising.recipe("smoke")
    void = palettes.CAMVID_VOID
    names = list(palettes.CAMVID_CLASSES[:CAMVID_CLASSES])
    n_train = len(camvid.camvid_files(root, "train")[0])
    n_val = len(camvid.camvid_files(root, "val")[0])
    if not 1 <= config.selection < n_train:
        raise ValueError(
            f"selection={config.selection} must leave training images: the train split has "
            f"{n_train}; choose 1…{n_train - 1}."
        )
    held_out = np.zeros(n_train, bool)
    held_out[np.random.default_rng(0).permutation(n_train)[: config.selection]] = True
    held_out_tensor = tf.constant(held_out)

    def part(pairs: tf.data.Dataset, keep_held_out: bool) -> tf.data.Dataset:
        chosen = pairs.enumerate().filter(
            lambda index, pair: tf.equal(tf.gather(held_out_tensor, index), keep_held_out)
        )
        # A filter hides the length; stating it lets Keras count an epoch's steps.
        count = int(held_out.sum()) if keep_held_out else int((~held_out).sum())
        return chosen.map(lambda index, pair: pair).apply(
            tf.data.experimental.assert_cardinality(count)
        )

    train_pairs = camvid.camvid_dataset(root, "train", size=config.size)
    fit_pairs, select_pairs = part(train_pairs, False), part(train_pairs, True)
    pixel_counts = segmentation.class_pixel_counts(fit_pairs.batch(16), CAMVID_CLASSES, void)
    weights = losses.median_frequency_weights(pixel_counts)
    select_ds = segmentation.batches(select_pairs, config.batch_size)
    val_images = camvid.camvid_dataset(root, "val", size=config.size).map(lambda i, m: i)
    val_masks = camvid.camvid_dataset(root, "val").map(lambda i, m: m)

    train_native = stack_masks(camvid.camvid_dataset(root, "train").map(lambda i, m: m))
    val_native = stack_masks(val_masks)
    native_size = tuple(int(s) for s in val_native.shape[1:])
    train_counts = segmentation.class_pixel_counts(train_native, CAMVID_CLASSES, void)
    val_counts = segmentation.class_pixel_counts(val_native, CAMVID_CLASSES, void)
    majority = segmentation.majority_class(train_counts)
    majority_scores = segmentation.scores(
        segmentation.constant_prediction_confusion(val_counts, majority)
    )
    if train_native.shape[1:] != val_native.shape[1:]:
        raise ValueError(
            f"Training labels are {train_native.shape[1:]} and val labels {native_size}; the "
            "per-pixel prior needs one size."
        )
    prior = pixel_prior(train_native, majority)
    prior_scores = segmentation.scores(
        segmentation.confusion_matrix(
            val_native, np.broadcast_to(prior, val_native.shape), CAMVID_CLASSES, void
        )
    )

    budget = context.minutes * 60
    pretrained, pretraining = None, {"encoder": "from scratch (pretrain_share 0)"}
    if config.pretrain_share > 0:
        print(f"07: pretraining the denoiser on the {n_train} training frames, labels unused")
        pretrained, pretraining = pretrain_on_folder(
            root / "train",
            PretrainConfig(
                size=config.pretrain_size,
                steps=config.pretrain_steps,
                epochs=config.pretrain_epochs,
                val=config.pretrain_val,
            ),
            config.pretrain_share * budget,
            context.workdir,
        )
    seeds = context.seeds
    fit_seconds = (1 - config.pretrain_share) * budget * config.fit_share / len(seeds)

    def build(seed: int | None, source: keras.Model | None, name: str) -> keras.Model:
        return segmentation.unet(
            (*config.size, 3),
            CAMVID_CLASSES,
            recipe.depth,
            recipe.base_filters,
            config.dropout,
            pretrained=source,
            seed=seed,
            bn_momentum=config.bn_momentum,
            name=name,
        )

    model = build(None, None, "segmenter")
    model.compile(
        optimizer=keras.optimizers.Adam(config.learning_rate),
        loss=losses.sparse_categorical_crossentropy(void, class_weights=weights),
        metrics=[segmentation.mean_iou_metric(CAMVID_CLASSES, void)],
    )
    runs = []
    for seed in seeds:
        segmentation.restart(model, build(seed, pretrained, "start").get_weights())
        fit_ds = segmentation.batches(
            fit_pairs, config.batch_size, training=True, seed=seed, **config.augment
        )
        fitted = callbacks.standard(
            context.workdir / f"camvid_seed{seed}",
            monitor="val_mean_iou",
            mode="max",
            patience=config.patience,
            log_every=10,
        )
        best = next(c for c in fitted if isinstance(c, callbacks.BestEpoch))
        print(f"07: seed {seed}, at most {fit_seconds:.0f} s of training")
        history = model.fit(
            fit_ds,
            validation_data=select_ds,
            epochs=config.max_epochs,
            callbacks=[*fitted, Deadline(fit_seconds)],
            verbose=0,
        )
        result = segmentation.scores(native_confusion(model, val_images, val_masks, 4))
        runs.append(
            {
                "seed": seed,
                "mean_iou": result.mean_iou,
                "pixel_accuracy": result.pixel_accuracy,
                "iou": result.iou,
                "restored": f"{best.restored_epoch}/{len(history.history['loss'])}",
                "best_selection_miou": float(max(history.history["val_mean_iou"])),
            }
        )

    miou = [run["mean_iou"] for run in runs]
    ours = stats(miou)
    per_class = np.nanmean(np.stack([run["iou"] for run in runs]), axis=0)
    arms = [
        {"class": name, "IoU ours (seed mean)": float(value), "IoU per-pixel prior": float(p)}
        for name, value, p in zip(names, per_class, prior_scores.iou, strict=True)
    ]
    accuracy = stats([run["pixel_accuracy"] for run in runs])
    print(
        f"07: pixel accuracy ours {accuracy['mean']:.3f} ± {accuracy['half']:.3f}, majority "
        f"class {majority_scores.pixel_accuracy:.3f}, per-pixel prior "
        f"{prior_scores.pixel_accuracy:.3f}; goal mIoU {CAMVID_GOAL}: "
        + ("met" if ours["mean"] >= CAMVID_GOAL else f"missed by {CAMVID_GOAL - ours['mean']:.3f}")
    )
    return {
        "data": {
            "what": f"real CamVid (SegNet layout) frames, labels scored at {native_size}",
            "train": n_train,
            "early_stopping_held_out_of_train": config.selection,
            "val_scored": n_val,
            "model_input": list(config.size),
        },
        "ours": {
            "method": f"notebook 07 U-Net at {config.size[0]}×{config.size[1]}, logits "
            "upsampled bilinearly",
            "metric": f"val mean IoU, 11 classes, void ignored, at {native_size}",
            **ours,
        },
        "baselines": {
            f"majority class ({names[majority]})": deterministic(majority_scores.mean_iou),
            "per-pixel prior (training labels)": deterministic(prior_scores.mean_iou),
        },
        "anchor": {
            "value": 0.463,
            "source": "SegNet-Basic, Badrinarayanan et al. (TPAMI 2017), CamVid 11-class test mIoU",
            "compute": "367 training images at 360×480, GPU training; scored on the 233 "
            "test images, not on these 20 val images",
        },
        "details": {
            "arms": arms,
            "pixel_accuracy": {
                "ours": accuracy,
                "majority class": majority_scores.pixel_accuracy,
                "per-pixel prior": prior_scores.pixel_accuracy,
            },
            "per_seed_mean_iou": miou,
            "restored_epoch_of_epochs_run": {"U-Net": [run["restored"] for run in runs]},
            "best_selection_mean_iou": [run["best_selection_miou"] for run in runs],
            "goal": at_least("mean_iou", CAMVID_GOAL, ours["mean"]),
            "pretraining": pretraining,
            "fit_seconds_per_seed": round(fit_seconds, 1),
            "config": dataclasses.asdict(config),
            "seeds": list(seeds),
        },
    }
