"""Notebook 09's comparison over pretext seeds: which pretext task learns the best features?

The notebook trains each pretext task once (``SEED``) and reads it with five labeled
subsets; this script repeats the notebook's recipe for several ``SEED`` values (each trains
every task anew, draws its own subsets, heads and batch orders) and reports

* the ranked table at each label count, mean ± 95 % interval over the pretext seeds of each
  seed's mean over its five labeled subsets — the intervals include the spread of the
  pretext training itself;
* the standard deviation of that per-seed mean for every arm and protocol: the
  ``profiles.Pretext.seed_sd`` values notebook 09's results cell measures its gaps in.

Default data: the profile's offline default (toy pets and their unlabeled pool). With
``--data`` (the real samples, ``../shared/data``): the sample's cat and turtle photos, both
classes made gray so colour cannot give the class away (as the scoreboard's row 04), 25
labeled and 15 test images per class; the unlabeled pool is the sample's COCO-mini and
CamVid training photos in colour (colorization needs colour) plus the labeled photos'
gray versions, without labels.

    .venv/bin/python bench/pretext_compare.py --seeds 5 --json pretext_offline.json
    .venv/bin/python bench/pretext_compare.py --data ../shared/data --seeds 5

``--segmentation`` adds the frozen-encoder protocol on notebook 07's task
(:func:`ssl_keras.pretext.frozen_segmentation_study`): each arm's encoder frozen under a
decoder trained for 150 steps of 16 scenes at 48×64 (07's loss, class weights and
augmentation), mean IoU on the test scenes; offline the 32 labeled street scenes of 07's
seed study, with ``--data`` the CamVid sample's 60 training and 20 validation scenes.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import ssl_keras  # noqa: F401  (first: quiets TensorFlow's start-up logging)
from ssl_keras import image_files, losses, paths, pretext, report, runtime, segmentation, transfer
from ssl_keras.datasets import camvid, palettes, synthetic

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/ is a folder of scripts

from scoreboard.cats_turtles import CLASSES, cat_turtle_files  # noqa: E402
from scoreboard.frame import prepare_square, split_per_class, to_gray  # noqa: E402


def offline_data(profile):
    """The notebook's data: (pool, x_train, y_train, x_test, y_test, what)."""
    root, size = pretext.labeled_root(profile), profile.pretext.image_size
    x_train, y_train, names = transfer.load_split(root / "train", size)
    x_test, y_test, _ = transfer.load_split(root / "test", size, names)
    pool = pretext.unlabeled_pool(profile)
    what = f"toy pets: {len(pool)} unlabeled, {len(y_train)} labeled, {len(y_test)} test"
    return pool, x_train, y_train, x_test, y_test, what


def real_data(data: Path, size: int):
    """The real samples: gray cats and turtles (25 train / 15 test per class, seeded) and a
    colour pool of COCO-mini and CamVid training photos plus the labeled photos in gray."""
    splits = split_per_class(cat_turtle_files(data / "cats_turtles"), (25, 1, 14), seed=0)
    arrays = {}
    for split in ("train", "test"):
        images, labels = [], []
        for name, files in splits[split].items():
            images += [to_gray(prepare_square(f, size)).numpy() for f in files]
            labels += [CLASSES.index(name)] * len(files)
        arrays[split] = (np.stack(images).astype(np.float32), np.asarray(labels, np.int32))
    photos = []
    for sub in ("coco_mini/val2017", "camvid_segnet/train"):
        if (data / sub).is_dir():
            photos += [
                prepare_square(f, size).numpy() for f in image_files.list_image_files(data / sub)
            ]
    if not photos:
        raise FileNotFoundError(
            f"No COCO-mini or CamVid photos under {data}: the pool needs coco_mini/val2017/ or "
            "camvid_segnet/train/ (see the data README)."
        )
    pool = np.concatenate([np.stack(photos).astype(np.float32), arrays["train"][0]])
    (x_train, y_train), (x_test, y_test) = arrays["train"], arrays["test"]
    what = (
        f"real: {len(photos)} colour photos + {len(x_train)} gray labeled photos unlabeled; "
        f"{len(y_train)} labeled and {len(y_test)} test gray cats and turtles"
    )
    return pool, x_train, y_train, x_test, y_test, what


SCENE_SIZE = (48, 64)  # notebook 07's smoke input (height, width)
AUGMENT = {"hflip": True, "crop_scale": (0.6, 1.0), "color_jitter": 0.1}  # notebook 07's


def scenes(profile, data: Path | None):
    """Notebook 07's task for the frozen-encoder protocol: (labeled train pairs, test pairs,
    class weights, what). Offline: the first ``study_labeled`` generated street scenes (07's
    seed-study size) and the generated test split; ``data``: the CamVid sample's 60 training
    and 20 validation scenes. All at 48×64, 11 classes + void."""
    if data is None:
        root = synthetic.street_scenes(
            paths.data_dir("street"),
            n_train=profile.n_train,
            n_val=profile.n_val,
            n_test=profile.n_test,
            size=(96, 128),
            seed=0,
            color_labels=True,
        )
        train = camvid.camvid_dataset(root, "train", size=SCENE_SIZE)
        train = train.take(profile.segmentation.study_labeled)
        test, what = camvid.camvid_dataset(root, "test", size=SCENE_SIZE), "generated street"
    else:
        root = data / "camvid_segnet"
        train = camvid.camvid_dataset(root, "train", size=SCENE_SIZE)
        test, what = camvid.camvid_dataset(root, "val", size=SCENE_SIZE), "CamVid sample"
    counts = segmentation.class_pixel_counts(train.batch(64), 11, palettes.CAMVID_VOID)
    return train, test, losses.median_frequency_weights(counts), what


def one_seed(
    seed, pool, x_train, y_train, x_test, y_test, settings, cache, scene_data=None, n_subsets=5
):
    """Notebook 09's recipe with ``SEED = seed``: rows of the probe, the fine-tune and the
    supervised arm, each ``{"method", "n_per_class", "seed", "accuracy"}``."""
    size = pool.shape[1]
    budget = pretext.PretextBudget(
        steps=settings.steps,
        batch_size=settings.batch_size,
        depth=settings.depth,
        base_filters=settings.base_filters,
        patch=settings.patch,
        crop=settings.crop,
    )
    subsets = tuple(range(seed, seed + n_subsets))
    arms = {"random init": pretext.load_or_train("random", pool, cache, budget, seed)[0]}
    for task in pretext.TASKS:
        started = time.time()
        arms[task] = pretext.load_or_train(task, pool, cache, budget, seed)[0]
        print(f"  seed {seed}: {task} ready in {time.time() - started:.0f} s", flush=True)
    counts = transfer.fitting_label_counts(settings.label_counts, y_train)
    n_all = int(np.bincount(y_train).min())
    probe = pretext.probe_study(
        arms, x_train, y_train, x_test, y_test, counts, subsets, level=settings.level
    )
    n_classes = int(y_train.max()) + 1
    tuner = pretext.FineTuner(
        size,
        n_classes,
        settings.level,
        budget,
        pretext.FineTuneBudget(settings.fine_tune_steps, settings.fine_tune_batch),
    )
    fine = pretext.fine_tune_study(
        tuner, arms, x_train, y_train, x_test, y_test, settings.fine_tune_counts, subsets
    )
    supervisor = pretext.FineTuner(
        size, n_classes, settings.level, budget, pretext.FineTuneBudget(settings.supervised_steps)
    )
    supervised = pretext.fine_tune_study(
        supervisor,
        {"supervised, all labels": arms["random init"]},
        x_train,
        y_train,
        x_test,
        y_test,
        [n_all],
        subsets,
    )
    runs = {"probe": probe, "fine_tune": fine + supervised}
    if scene_data is not None:
        train_pairs, test_pairs, weights, _ = scene_data
        rows = pretext.frozen_segmentation_study(
            arms,
            train_pairs,
            test_pairs,
            11,
            palettes.CAMVID_VOID,
            budget,
            subsets,
            class_weights=weights,
            augment=AUGMENT,
        )
        runs["frozen_segmentation"] = [
            {"method": r["method"], "n_per_class": 0, "seed": r["seed"], "accuracy": r["mean_iou"]}
            for r in rows
        ]
    return runs


def per_seed_means(runs: dict[int, dict]) -> dict[str, dict[tuple[str, int], list[float]]]:
    """protocol → (arm, label count) → one mean over the labeled subsets per pretext seed."""
    out: dict[str, dict[tuple[str, int], list[float]]] = {}
    for rows_by_protocol in runs.values():
        for protocol, rows in rows_by_protocol.items():
            keys = dict.fromkeys((r["method"], r["n_per_class"]) for r in rows)
            for key in keys:
                values = [r["accuracy"] for r in rows if (r["method"], r["n_per_class"]) == key]
                out.setdefault(protocol, {}).setdefault(key, []).append(float(np.mean(values)))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5, help="pretext seeds (SEED = 0…n−1)")
    parser.add_argument("--data", type=Path, help="the real samples (default: offline toy pets)")
    parser.add_argument("--cache", type=Path, help="folder for the pretext U-Nets")
    parser.add_argument("--json", type=Path, help="write every run's rows and the summary here")
    parser.add_argument(
        "--segmentation",
        action="store_true",
        help="also the frozen-encoder protocol on notebook 07's task (mean IoU at 48×64)",
    )
    args = parser.parse_args(argv)
    if args.seeds < 2:
        parser.error("--seeds must be ≥ 2: an interval needs two pretext seeds")
    rt = runtime.setup(seed=0)
    settings = rt.profile.pretext
    if args.data is None:
        pool, x_train, y_train, x_test, y_test, what = offline_data(rt.profile)
    else:
        if not (args.data / "cats_turtles").is_dir():
            parser.error(f"{args.data} has no cats_turtles/ folder: pass the real-sample root")
        pool, x_train, y_train, x_test, y_test, what = real_data(
            args.data, rt.profile.pretext.image_size
        )
    scene_data = scenes(rt.profile, args.data) if args.segmentation else None
    if scene_data is not None:
        what += f"; frozen-encoder segmentation on the {scene_data[3]} scenes"
    print(what, flush=True)
    cache = args.cache or Path(tempfile.mkdtemp(prefix="pretext_compare_"))
    started, runs = time.time(), {}
    for seed in range(args.seeds):
        runs[seed] = one_seed(
            seed, pool, x_train, y_train, x_test, y_test, settings, cache, scene_data
        )
    wall = time.time() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    means = per_seed_means(runs)
    summary = {}
    for protocol, by_key in means.items():
        print(
            f"\n{protocol}: mean ± 95 % interval over {args.seeds} pretext seeds "
            "(each seed: the mean over its 5 labeled subsets), and the SD of that mean"
        )
        for n in sorted({n for _, n in by_key}):
            ranked = sorted(
                ((arm, report.seed_stats(v)) for (arm, k), v in by_key.items() if k == n),
                key=lambda item: -item[1].mean,
            )
            label = "mean IoU" if protocol == "frozen_segmentation" else f"{n} labels per class"
            print(
                f"  {label}: "
                + ", ".join(f"{arm} {s.format()} (SD {s.std:.3f})" for arm, s in ranked)
            )
            for arm, s in ranked:
                summary[f"{protocol}/{arm}/{n}"] = {"mean": s.mean, "half": s.half, "std": s.std}
    cpu = usage.ru_utime + usage.ru_stime
    print(
        f"\n{what}; {wall / 60:.1f} wall-minutes, {cpu / 60:.1f} CPU-minutes, {os.cpu_count()} CPUs"
    )
    if args.json:
        args.json.write_text(
            json.dumps(
                {"data": what, "runs": runs, "summary": summary, "wall_s": wall, "cpu_s": cpu},
                indent=1,
            ),
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
