"""Lesson 04 — cat vs turtle on gray photos. The sample's 40 turtles are gray and its 40 cats
colour, so "is the image gray?" alone separates them. Both classes are therefore converted
to gray (replicated to 3 channels) and a logistic regression on colour statistics shows the
colour signal is gone (it answers one class for everything: balanced accuracy 0.5), while
on the colour originals it separates the classes. Every image is cut to its central square
first: the turtles are all 3:2, the cats of many shapes, and stretching would leave the
aspect ratio as a cue. Split per class, seeded: 20 train pool / 5 validation / 15 test.
The denoiser is notebook 02's smoke recipe (U-Net, mixed noise, L1), pretrained within the
budget on gray real photos without labels: the train pool's cats and turtles, COCO-mini and
CamVid's training frames (never a validation or test image). Then notebook 04's
label-efficiency study (``transfer.label_efficiency``, LEVEL 2, the notebook's Budget):
linear probe on the frozen encoder vs the same network from scratch with augmentation vs
raw-pixel logistic regression, at 5 and 10 labels per class, scratch at both.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np
import tensorflow as tf

from ssl_keras import image_files, models, report, transfer

from .frame import (
    Context,
    PretrainConfig,
    lesson,
    prepare_square,
    pretrain_on_folder,
    rounded,
    split_per_class,
    stats,
    to_gray,
    write_png,
)

CLASSES = ("cat", "turtle")


@dataclasses.dataclass(frozen=True)
class CatTurtleConfig:
    """The recipe of lesson 04 (defaults: notebook 04 with the smoke profile's sizes).

    ``split``: images per class in the train pool, validation and test; ``label_counts``:
    labeled images per class of the study; ``pretrain_steps``: the denoiser's step budget
    (notebook 02's smoke recipe: 1200), cut short when ``pretrain_share`` of the lesson's
    minutes have passed; ``level``: the encoder cut (notebook 04's LEVEL).
    """

    size: int = 64
    split: tuple[int, int, int] = (20, 5, 15)
    label_counts: tuple[int, ...] = (5, 10)
    pretrain_steps: int = 1200
    pretrain_epochs: int = 8
    pretrain_share: float = 0.4
    pretrain_val: int = 16
    level: int = 2
    budget: transfer.Budget = dataclasses.field(
        default_factory=lambda: transfer.Budget(
            max_epochs=60, patience=8, batch_size=16, learning_rate=1e-3, head_learning_rate=1e-2
        )
    )


def cat_turtle_files(root: str | os.PathLike) -> dict[str, list[str]]:
    """The sample's image files per class: ``cat_web/*`` and ``turtle_roboflow/**`` (the
    Roboflow export's YOLO label files are not images and are skipped)."""
    root = Path(root)
    return {
        "cat": image_files.list_image_files(root / "cat_web"),
        "turtle": image_files.list_image_files(root / "turtle_roboflow", recursive=True),
    }


def colour_statistics(images) -> np.ndarray:
    """Per-image colour summaries, float32 ``(N, 8)``: the mean and standard deviation of
    the channel differences R−G, G−B, B−R and of the HSV saturation. All zero for a gray
    image. ``images``: float32 ``(N, H, W, 3)`` in [0, 1]."""
    array = np.asarray(images, np.float32)
    if array.ndim != 4 or array.shape[-1] != 3:
        raise ValueError(f"images must be (N, H, W, 3), got {array.shape}.")
    differences = np.stack(
        [
            array[..., 0] - array[..., 1],
            array[..., 1] - array[..., 2],
            array[..., 2] - array[..., 0],
        ],
        axis=-1,
    )
    saturation = tf.image.rgb_to_hsv(array)[..., 1].numpy()[..., None]
    channels = np.concatenate([differences, saturation], axis=-1)
    return np.concatenate([channels.mean(axis=(1, 2)), channels.std(axis=(1, 2))], axis=1)


def gray_histogram(images, bins: int = 16) -> np.ndarray:
    """Per-image histogram of gray levels (fractions, ``bins`` bins over [0, 1]) plus mean and
    standard deviation: float32 ``(N, bins + 2)``; what brightness and contrast alone say."""
    gray = np.asarray(images, np.float32)[..., 0]
    counts = [np.histogram(g, bins=bins, range=(0.0, 1.0))[0] / g.size for g in gray]
    extra = np.stack([gray.mean(axis=(1, 2)), gray.std(axis=(1, 2))], axis=1)
    return np.concatenate([np.asarray(counts), extra], axis=1).astype(np.float32)


def feature_baseline(features, y, features_test, y_test, label_counts, seeds) -> dict:
    """Logistic regression on standardised per-image ``features`` with the study's labeled
    subsets (:func:`ssl_keras.transfer.sample_per_class`): ``{n: [balanced test accuracy per
    seed]}``. Features constant over the subset give a constant answer: 0.5."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    scores: dict[int, list[float]] = {}
    for n in label_counts:
        for seed in seeds:
            subset = transfer.sample_per_class(y, n, seed)
            clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
            clf.fit(features[subset], y[subset])
            predicted = clf.predict(features_test)
            scores.setdefault(n, []).append(float(balanced_accuracy_score(y_test, predicted)))
    return scores


@lesson("04", "cat vs turtle transfer, both classes gray", needs=("cats_turtles",))
def cats_turtles_gray(context: Context, config: CatTurtleConfig | None = None) -> dict:
    """Notebook 04's study on the real cat and turtle photos, both classes gray."""
    config = config or CatTurtleConfig()
    files = cat_turtle_files(context.data / "cats_turtles")
    splits = split_per_class(files, config.split, seed=0)
    labeled = context.workdir / "cats_turtles"
    unlabeled = context.workdir / "unlabeled"
    colour: dict[str, list[np.ndarray]] = {}
    colour_labels: dict[str, list[int]] = {}
    for split, by_class in splits.items():
        for name, paths in by_class.items():
            for index, path in enumerate(paths):
                image = prepare_square(path, config.size)
                colour.setdefault(split, []).append(image.numpy())
                colour_labels.setdefault(split, []).append(CLASSES.index(name))
                gray = to_gray(image)
                write_png(gray, labeled / split / name / f"{index:03d}.png")
                if split == "train":  # the train pool, without labels, also pretrains
                    write_png(gray, unlabeled / f"{name}_{index:03d}.png")
    extra = {"coco_mini/val2017": 0, "camvid_segnet/train": 0}
    for sub in extra:
        if (context.data / sub).is_dir():
            for index, path in enumerate(image_files.list_image_files(context.data / sub)):
                image = to_gray(prepare_square(path, config.size))
                write_png(image, unlabeled / f"{sub.replace('/', '_')}_{index:03d}.png")
                extra[sub] += 1

    x_pool, y_pool, names = transfer.load_split(labeled / "train", config.size, CLASSES)
    x_val, y_val, _ = transfer.load_split(labeled / "val", config.size, names)
    x_test, y_test, _ = transfer.load_split(labeled / "test", config.size, names)
    colour_pool, colour_test = np.stack(colour["train"]), np.stack(colour["test"])
    y_colour_pool, y_colour_test = (np.asarray(colour_labels[s]) for s in ("train", "test"))
    counts = transfer.fitting_label_counts(config.label_counts, y_pool)
    seeds = context.seeds

    print(f"04: pretraining the denoiser on {len(os.listdir(unlabeled))} gray unlabeled photos")
    pretrain = PretrainConfig(
        config.size, config.pretrain_steps, config.pretrain_epochs, config.pretrain_val
    )
    denoiser, pretraining = pretrain_on_folder(
        unlabeled, pretrain, config.pretrain_share * context.minutes * 60, context.workdir
    )
    print(f"04: label-efficiency study at {list(counts)} labels per class, seeds {list(seeds)}")
    rows = transfer.label_efficiency(
        models.encoder_from(denoiser, level=config.level),
        x_pool,
        y_pool,
        x_val,
        y_val,
        x_test,
        y_test,
        counts,
        seeds=seeds,
        budget=config.budget,
        scratch_counts=counts,
    )
    restored = {
        f"{method}, {n}/class": [
            f"{r['restored_epoch']}/{r['epochs']}"
            for r in rows
            if r["method"] == method and r["n_per_class"] == n
        ]
        for method in ("SSL (frozen)", "scratch")
        for n in counts
    }
    trivial = {
        "colour statistics, colour originals": feature_baseline(
            colour_statistics(colour_pool),
            y_colour_pool,
            colour_statistics(colour_test),
            y_colour_test,
            counts,
            seeds,
        ),
        "colour statistics, gray": feature_baseline(
            colour_statistics(x_pool), y_pool, colour_statistics(x_test), y_test, counts, seeds
        ),
        "gray-level histogram": feature_baseline(
            gray_histogram(x_pool), y_pool, gray_histogram(x_test), y_test, counts, seeds
        ),
    }
    smallest = counts[0]
    arms = []
    baselines: dict[str, dict] = {}
    for method in transfer.METHODS:
        for n in counts:
            stat = stats(transfer.scores(rows, method, n))
            arms.append({"arm": method, "labels/class": n, **rounded(stat)})
            if method != "SSL (frozen)":
                baselines[f"{method}, {n}/class"] = stat
    for name, by_count in trivial.items():
        for n in counts:
            stat = stats(by_count[n])
            arms.append({"arm": name, "labels/class": n, **rounded(stat)})
            baselines[f"{name}, {n}/class"] = stat
    ssl = {n: transfer.scores(rows, "SSL (frozen)", n) for n in counts}
    separation = {}
    for n in counts:
        for other in ("scratch", "logistic regression"):
            separation[f"SSL (frozen) vs {other} at {n}/class"] = report.separation(
                ssl[n], transfer.scores(rows, other, n)
            )
        separation[f"SSL (frozen) vs gray-level histogram at {n}/class"] = report.separation(
            ssl[n], trivial["gray-level histogram"][n]
        )
    return {
        "data": {
            "what": "real cat (web, colour) and sea-turtle (Roboflow, gray) photos, both "
            f"converted to gray, central square at {config.size} px",
            "labeled": {name: len(paths) for name, paths in files.items()},
            "split_per_class": dict(zip(("train", "val", "test"), config.split, strict=True)),
            "split_seed": 0,
            "unlabeled_pretraining": {
                "cats_turtles train pool (labels unused)": len(x_pool),
                **extra,
            },
        },
        "ours": {
            "method": f"SSL (frozen) linear probe, {smallest}/class",
            "metric": "balanced test accuracy",
            **stats(ssl[smallest]),
        },
        "baselines": baselines,
        "anchor": {
            "value": None,
            "why": "no published result exists for this 80-photo sample or its gray protocol",
        },
        "details": {
            "arms": arms,
            "separation": separation,
            "restored_epoch_of_epochs_run": restored,
            "pretraining": pretraining,
            "budget": dataclasses.asdict(config.budget),
            "level": config.level,
            "label_counts": list(counts),
            "seeds": list(seeds),
        },
    }
