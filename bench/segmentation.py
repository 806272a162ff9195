"""Segmentation on real data under a fixed CPU budget: CamVid (11 classes) and COCO foreground.

CamVid: a U-Net (transposed-conv decoder, dropout, median-frequency class weights, void
ignored) trains on the SegNet-layout ``train`` split of ``--camvid`` for ``--minutes`` of
wall time, then reports per-class IoU, mean IoU, pixel accuracy and the majority-class
baseline on its ``val`` split, plus training throughput. Published context on the full
CamVid (367 training images at 360×480): SegNet-Basic 46.3 mIoU, plain U-Net
reimplementations about 49.

COCO: a one-channel U-Net (Dice + BCE) trains on the first images of ``--coco`` (a COCO
layout folder, e.g. 79 val2017 images) for ``--coco-minutes`` and reports per-image Dice
and IoU on the held-out rest, with and without post-processing. Context: foreground Dice
0.73-0.75 after training on the full COCO train set (118 k images).

    python bench/segmentation.py [--minutes 5] [--coco-minutes 2] [--size 120 160]
                                 [--camvid ../shared/data/camvid_segnet]
                                 [--coco ../shared/data/coco_mini] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import keras
import numpy as np

import ssl_keras  # noqa: F401  (quiets TensorFlow logging)
from ssl_keras import losses, models, postprocess, report, runtime, segmentation
from ssl_keras.datasets import camvid, coco, palettes

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
N_CLASSES, VOID = 11, palettes.CAMVID_VOID


# BatchNormalization momentum: Keras' 0.99 needs far more steps than a CPU budget of minutes
# allows for the moving statistics (used at inference) to reach the data's.
BN_MOMENTUM = 0.9


class TimeBudget(keras.callbacks.Callback):
    """Stop training at the end of the first epoch that finishes after ``seconds``; record
    per-epoch wall times (the first includes tracing)."""

    def __init__(self, seconds: float):
        super().__init__()
        self.seconds = seconds
        self.epoch_seconds: list[float] = []

    def on_train_begin(self, logs=None):
        self._start = time.perf_counter()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_seconds.append(time.perf_counter() - self._epoch_start)
        if time.perf_counter() - self._start >= self.seconds:
            self.model.stop_training = True


def throughput(budget: TimeBudget, n_images: int) -> dict[str, float]:
    """Training images per second, overall and without the first (tracing) epoch."""
    epochs = len(budget.epoch_seconds)
    result = {
        "epochs": epochs,
        "train_seconds": sum(budget.epoch_seconds),
        "img_per_s": epochs * n_images / sum(budget.epoch_seconds),
    }
    if epochs > 1:
        result["img_per_s_steady"] = (epochs - 1) * n_images / sum(budget.epoch_seconds[1:])
    return result


def bench_camvid(root: Path, size: tuple[int, int], minutes: float, args) -> dict:
    train_pairs = camvid.camvid_dataset(root, "train", size=size)
    val_pairs = camvid.camvid_dataset(root, "val", size=size)
    n_train = len(camvid.camvid_files(root, "train")[0])
    counts = segmentation.class_pixel_counts(train_pairs.batch(16), N_CLASSES, VOID)
    weights = losses.median_frequency_weights(counts)
    train = segmentation.batches(
        train_pairs,
        args.batch_size,
        training=True,
        seed=0,
        hflip=True,
        crop_scale=(0.6, 1.0),
        color_jitter=0.1,
    )
    val = segmentation.batches(val_pairs, args.batch_size)
    model = models.unet(
        (*size, 3),
        depth=4,
        base_filters=args.base_filters,
        dropout=0.3,
        output_channels=N_CLASSES,
        output_activation=None,
        bn_momentum=BN_MOMENTUM,
    )
    model.compile(
        optimizer=keras.optimizers.Adam(args.learning_rate),
        loss=losses.sparse_categorical_crossentropy(VOID, class_weights=weights),
        metrics=[segmentation.mean_iou_metric(N_CLASSES, VOID)],
    )
    budget = TimeBudget(minutes * 60)
    model.fit(train, epochs=100_000, callbacks=[budget], verbose=0)
    result = segmentation.evaluate(model, val, N_CLASSES, VOID)
    val_counts = segmentation.class_pixel_counts(val_pairs.batch(16), N_CLASSES, VOID)
    baseline = segmentation.scores(
        segmentation.constant_prediction_confusion(val_counts, segmentation.majority_class(counts))
    )
    print(f"\nCamVid val ({root}), {size[0]}x{size[1]}, {len(budget.epoch_seconds)} epochs")
    print(report.format_table(result.table(palettes.CAMVID_CLASSES[:N_CLASSES]), digits=3))
    return {
        "mean_iou": result.mean_iou,
        "pixel_accuracy": result.pixel_accuracy,
        "per_class_iou": {
            name: (None if np.isnan(v) else round(float(v), 4))
            for name, v in zip(palettes.CAMVID_CLASSES, result.iou, strict=False)
        },
        "majority_baseline_mean_iou": baseline.mean_iou,
        "majority_baseline_pixel_accuracy": baseline.pixel_accuracy,
        "params": models.count_params(model).total,
        **throughput(budget, n_train),
    }


def bench_coco(root: Path, size: tuple[int, int], minutes: float, args) -> dict:
    with tempfile.TemporaryDirectory() as cache:  # the shared data folder is read-only
        pairs, _ = coco.coco_dataset(root, "val2017", size=size, cache_dir=cache)
        n = int(pairs.cardinality())
        n_val = max(1, n // 4)
        train_pairs = pairs.take(n - n_val).cache()
        val_pairs = pairs.skip(n - n_val).cache()
        train = segmentation.batches(
            train_pairs,
            args.batch_size,
            training=True,
            seed=0,
            hflip=True,
            vflip=False,
            crop_scale=(0.6, 1.0),
            color_jitter=0.1,
        )
        val = segmentation.batches(val_pairs, args.batch_size)
        model = models.unet(
            (*size, 3),
            depth=4,
            base_filters=args.base_filters,
            output_channels=1,
            output_activation=None,
            bn_momentum=BN_MOMENTUM,
        )
        model.compile(
            optimizer=keras.optimizers.Adam(args.learning_rate),
            loss=losses.BCEDiceLoss(),
            metrics=[segmentation.DiceScore()],
        )
        budget = TimeBudget(minutes * 60)
        model.fit(train, epochs=100_000, callbacks=[budget], verbose=0)
        _, truth, probabilities = segmentation.predict_masks(model, val)
    raw = segmentation.binary_scores(postprocess.threshold(probabilities), truth)
    cleaned = segmentation.binary_scores(postprocess.clean_batch(probabilities), truth)
    everything = segmentation.binary_scores(np.ones_like(truth), truth)
    return {
        "n_train": n - n_val,
        "n_val": n_val,
        "dice": float(raw["dice"].mean()),
        "iou": float(raw["iou"].mean()),
        "dice_postprocessed": float(cleaned["dice"].mean()),
        "iou_postprocessed": float(cleaned["iou"].mean()),
        "dice_all_foreground_baseline": float(everything["dice"].mean()),
        "foreground_fraction": float(truth.mean()),
        **throughput(budget, n - n_val),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--camvid", type=Path, default=SHARED / "camvid_segnet")
    parser.add_argument("--coco", type=Path, default=SHARED / "coco_mini")
    parser.add_argument("--minutes", type=float, default=5.0, help="CamVid training budget")
    parser.add_argument("--coco-minutes", type=float, default=2.0, help="COCO training budget")
    parser.add_argument("--size", type=int, nargs=2, default=(120, 160), metavar=("H", "W"))
    parser.add_argument("--coco-size", type=int, nargs=2, default=(96, 128), metavar=("H", "W"))
    parser.add_argument("--base-filters", type=int, default=16)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--learning-rate", type=float, default=2e-3)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    rt = runtime.setup(seed=42, profile="smoke", data="real samples (../shared/data)")
    results = {"device": rt.device, "args": {k: str(v) for k, v in vars(args).items()}}
    if args.minutes > 0:
        results["camvid"] = bench_camvid(args.camvid, tuple(args.size), args.minutes, args)
    if args.coco_minutes > 0:
        results["coco"] = bench_coco(args.coco, tuple(args.coco_size), args.coco_minutes, args)
    rows = []
    if "camvid" in results:
        c = results["camvid"]
        rows.append(
            {
                "task": "CamVid val mIoU (11 cl.)",
                "value": c["mean_iou"],
                "baseline": c["majority_baseline_mean_iou"],
                "epochs": c["epochs"],
                "img/s": c.get("img_per_s_steady", c["img_per_s"]),
            }
        )
        rows.append(
            {
                "task": "CamVid val pixel accuracy",
                "value": c["pixel_accuracy"],
                "baseline": c["majority_baseline_pixel_accuracy"],
                "epochs": c["epochs"],
                "img/s": c.get("img_per_s_steady", c["img_per_s"]),
            }
        )
    if "coco" in results:
        c = results["coco"]
        for key in ("dice", "dice_postprocessed", "iou"):
            rows.append(
                {
                    "task": f"COCO-mini val {key}",
                    "value": c[key],
                    "baseline": c["dice_all_foreground_baseline"] if key.startswith("dice") else "",
                    "epochs": c["epochs"],
                    "img/s": c.get("img_per_s_steady", c["img_per_s"]),
                }
            )
    print()
    print(report.format_table(rows, digits=3))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
