"""Does each notebook's tf.data pipeline keep its model fed? Pipeline vs training img/s.

For every notebook that trains a model (02, 04, 05, 06, 07, 08) this builds the training
dataset and the model as the notebook does in the smoke profile: the same package calls,
synthetic data generators and arguments, seeds, batch size, model and ``compile``
arguments. Then, per notebook:

* pipeline img/s — the training dataset iterated on its own. A finite dataset is repeated,
  as ``fit`` runs it again epoch after epoch (shuffle buffers refill at each epoch start).
  Warm-up: one epoch plus two batches, which fills every cache and shuffle buffer; then
  ``--batches`` batches are timed;
* training img/s — ``--steps`` batches are taken from the same pipeline and held in memory,
  and the compiled model is fit on them twice: the first call (tracing) is left out, the
  second is timed. Validation and callbacks are not included;
* the ratio of the two, and whether the pipeline reaches 5× the training rate.

Synthetic data sets are generated once under ``data/`` (reused when present). Departures
from the notebooks: 04 puts its classifier on the frozen encoder of notebook 02's denoiser;
speed does not depend on the weights, so a freshly built denoiser of the same recipe stands
in (no pretraining run); only its first stage (frozen encoder) is timed. 05 trains the
same colorizer with MSE and then L1; the L1 one is timed, with the backbone the notebook
would pick (``choose_backbone("auto")``). Op determinism is off (the notebooks turn it on;
Keras leaves XLA off on a CPU either way). Each fit call has a fixed overhead, so small
``--steps`` understate the training rate (and overstate the ratio).

    python bench/input_pipelines.py [--only 02 05] [--batches 50] [--steps 20] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time

import ssl_keras  # noqa: F401  (before TensorFlow: quiets its start-up logging)

# isort: split
import keras
import tensorflow as tf

from ssl_keras import (
    anomaly,
    colorization,
    denoising,
    image_files,
    losses,
    models,
    paths,
    pipelines,
    runtime,
    segmentation,
    transfer,
)
from ssl_keras.datasets import camvid, coco, palettes, photos, synthetic

SEED = 0  # the notebooks' data seed
GOAL = 5.0  # pipeline img/s ≥ GOAL × training img/s


def nb02(rt):
    """Denoising pretraining: ``denoising.pretrain_denoiser``'s dataset, model and compile
    (:func:`ssl_keras.denoising.compile_denoiser`)."""
    recipe = denoising.recipe(rt.profile)
    files = denoising.pool_files(recipe, [])
    splits = denoising.split_pool(files, recipe.n_val, recipe.n_test, seed=SEED)
    ds = denoising.noisy_dataset(
        splits["train"],
        recipe.image_size,
        recipe.batch_size,
        "mixed",
        seed=SEED,
        training=True,
        patch_size=recipe.patch_size,
        gaussian_share=recipe.gaussian_share,
    )
    keras.utils.set_random_seed(SEED)
    model = denoising.compile_denoiser(denoising.build_denoiser(recipe), recipe)
    return ds, model, len(splits["train"])


def nb04(rt):
    """Cat vs turtle, stage 1: frozen encoder (level 2) + head on in-memory labeled images."""
    root = denoising.toy_pets_root(rt.profile)
    x_pool, y_pool, _ = transfer.load_split(root / "train", rt.profile.image_size)
    train_idx, _ = transfer.split_per_class(y_pool, 14, seed=SEED)
    x_train, y_train = x_pool[train_idx], y_pool[train_idx]
    ds = transfer.repeated_batches(x_train, y_train, rt.batch_size, seed=SEED)
    encoder = models.encoder_from(denoising.build_denoiser(denoising.recipe(rt.profile)), level=2)
    model = models.classifier(encoder, n_classes=2, hidden=128, dropout=0.3, freeze_encoder=True)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy", metrics=["accuracy"]
    )
    return ds, model, len(x_train)


def nb05(rt):
    """Colorization: street scenes + photo crops, random crops → (L, ab), L1 loss."""
    size = rt.profile.image_size
    counts = {"n_train": 192, "n_val": 32, "n_test": 32}  # street scenes per split
    street = synthetic.street_scenes(
        paths.data_dir("colorize", "street"), **counts, size=(96, 128), seed=SEED
    )
    crops = image_files.list_image_files(
        synthetic.photo_crops(
            paths.data_dir("colorize", "photo_crops"),
            n=128 + 16 + 16,
            size=size,
            seed=SEED,
            names=photos.COLOR_PHOTOS,
        )
    )
    files = image_files.list_image_files(street / "train") + crops[:128]
    images = pipelines.image_dataset(files, size, mode="random_crop", seed=SEED)
    ds = pipelines.batch(colorization.lab_pairs(images), rt.batch_size, shuffle=1024, seed=SEED)
    backbone = colorization.choose_backbone("auto")
    keras.utils.set_random_seed(rt.seed)
    with rt.strategy.scope():
        model = colorization.colorizer(
            (size, size, 1), backbone, decoder_filters=rt.profile.colorization.decoder_filters
        )
    colorization.compile_colorizer(model, "mae", 2e-3)
    return ds, model, len(files)


def nb06(rt):
    """Anomaly pretext task on the synthetic "weave" category (``anomaly.train_pretext``)."""
    root = synthetic.mvtec_like(
        paths.data_dir("anomaly"), n_train=200, n_test_good=30, n_test_defect=10, size=128
    )
    size = rt.profile.image_size
    data = anomaly.load_category(root, "weave", size, holdout=0.2, seed=SEED)
    ds = anomaly.pretext_dataset(data.train, rt.batch_size, seed=SEED)
    model = anomaly.pretext_model(
        (size, size, 3), depth=3, base_filters=rt.profile.base_filters, name="pretext"
    )
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return ds, model, len(data.train)


def nb07(rt):
    """CamVid-layout street scenes: augmented pairs, U-Net with class-weighted loss."""
    p = rt.profile
    size = (p.image_size * 3 // 4, p.image_size)
    counts = {"n_train": p.n_train, "n_val": p.n_val, "n_test": p.n_test}
    root = synthetic.street_scenes(
        paths.data_dir("street"), **counts, size=(96, 128), seed=SEED, color_labels=True
    )
    pairs = camvid.camvid_dataset(root, "train", size=size)
    n_classes, void = 11, palettes.CAMVID_VOID
    pixels = segmentation.class_pixel_counts(pairs.batch(64), n_classes, void)
    augment = {"hflip": True, "crop_scale": (0.6, 1.0), "color_jitter": 0.1}
    ds = segmentation.batches(pairs, rt.batch_size, training=True, seed=SEED, **augment)
    with rt.strategy.scope():
        model = models.unet(
            (*size, 3),
            depth=p.depth,
            base_filters=p.base_filters,
            upsampling="transpose",
            dropout=0.2,
            output_channels=n_classes,
            output_activation=None,
            kernel_initializer="he_normal",
        )
        model.compile(
            optimizer=keras.optimizers.Adam(2e-3),
            loss=losses.sparse_categorical_crossentropy(
                ignore_class=void, class_weights=losses.median_frequency_weights(pixels)
            ),
            metrics=[segmentation.mean_iou_metric(n_classes, void)],
        )
    return ds, model, len(camvid.camvid_files(root, "train")[0])


def nb08(rt):
    """COCO-layout shapes: foreground masks, strong augmentation, U-Net with BCE + Dice."""
    p = rt.profile
    root = synthetic.coco_instances(
        paths.data_dir("shapes_coco"), n_train=p.n_train, n_val=p.n_val, size=(96, 128), seed=SEED
    )
    pairs, _ = coco.coco_dataset(root, "train2017", size=p.image_size)
    augment = {
        "hflip": True,
        "vflip": True,
        "rotate90": True,
        "crop_scale": (0.5, 1.0),
        "color_jitter": 0.1,
    }
    ds = segmentation.batches(pairs, rt.batch_size, training=True, seed=SEED, **augment)
    with rt.strategy.scope():
        model = models.unet(
            (p.image_size, p.image_size, 3),
            depth=p.depth,
            base_filters=p.base_filters,
            output_channels=1,
            output_activation=None,
        )
        model.compile(
            optimizer=keras.optimizers.Adam(2e-3),
            loss=losses.BCEDiceLoss(),
            metrics=[segmentation.DiceScore(), segmentation.IoUScore()],
        )
    return ds, model, int(pairs.cardinality())


NOTEBOOKS = {"02": nb02, "04": nb04, "05": nb05, "06": nb06, "07": nb07, "08": nb08}


def pipeline_rate(ds: tf.data.Dataset, warmup: int, batches: int) -> tuple[float, list[int]]:
    """Images per second of ``batches`` batches after ``warmup`` untimed ones, and the
    shape ``(batch, height, width, channels)`` of the model inputs of the first batch."""
    iterator = iter(ds)
    shape = [int(n) for n in next(iterator)[0].shape]
    for _ in range(warmup - 1):
        next(iterator)
    start, count = time.perf_counter(), 0
    for _ in range(batches):
        count += int(next(iterator)[0].shape[0])
    return count / (time.perf_counter() - start), shape


def training_rate(model: keras.Model, ds: tf.data.Dataset, steps: int) -> float:
    """Images per second of ``fit`` on ``steps`` batches held in memory (second call)."""
    held = ds.take(steps).cache()
    count = sum(int(x.shape[0]) for x, *_ in held)  # fills the cache
    model.fit(held, epochs=1, verbose=0)  # traces the training step
    start = time.perf_counter()
    model.fit(held, epochs=1, verbose=0)
    return count / (time.perf_counter() - start)


def measure(name: str, rt, batches: int, steps: int) -> dict:
    ds, model, epoch_images = NOTEBOOKS[name](rt)
    if ds.cardinality() != tf.data.INFINITE_CARDINALITY:
        ds = ds.repeat()  # fit starts the dataset again every epoch
    warmup = math.ceil(epoch_images / rt.batch_size) + 2  # one epoch: caches filled
    pipeline, shape = pipeline_rate(ds, warmup, batches)
    training = training_rate(model, ds, steps)
    return {
        "notebook": name,
        "batch_size": shape[0],
        "image_size": shape[1:3],
        "epoch_images": epoch_images,
        "pipeline_img_s": pipeline,
        "training_img_s": training,
        "ratio": pipeline / training,
        "goal_met": pipeline >= GOAL * training,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=list(NOTEBOOKS), default=list(NOTEBOOKS))
    parser.add_argument("--batches", type=int, default=50, help="timed pipeline batches")
    parser.add_argument("--steps", type=int, default=20, help="timed training steps")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    rt = runtime.setup(seed=42, deterministic=False, profile="smoke", verbose=False)
    print(
        f"{os.cpu_count()} CPU cores, TF {tf.__version__}, Keras {keras.__version__}, "
        f"{rt.device}, {rt.precision}, profile {rt.profile.name}, {args.batches} pipeline batches, "
        f"{args.steps} training steps, goal: pipeline ≥ {GOAL:.0f}× training",
        flush=True,
    )
    rows = [measure(name, rt, args.batches, args.steps) for name in args.only]
    print(
        f"{'notebook':>8}  {'batch':>5}  {'image':>7}  {'pipeline img/s':>14}  "
        f"{'training img/s':>14}  {'ratio':>7}  {'goal met':>8}"
    )
    for r in rows:
        print(
            f"{r['notebook']:>8}  {r['batch_size']:>5}  {'×'.join(map(str, r['image_size'])):>7}  "
            f"{r['pipeline_img_s']:>14.0f}  {r['training_img_s']:>14.1f}  "
            f"{r['ratio']:>6.1f}×  {'yes' if r['goal_met'] else 'no':>8}"
        )
    if args.json:
        setting = {
            "cpu_count": os.cpu_count(),
            "tensorflow": tf.__version__,
            "precision": rt.precision,
        }
        setting.update(batches=args.batches, steps=args.steps, goal_ratio=GOAL)
        with open(args.json, "w") as handle:
            json.dump({**setting, "rows": rows}, handle, indent=2)


if __name__ == "__main__":
    main()
