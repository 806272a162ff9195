"""The scoreboard: each notebook's recipe run on real images, beside a trivial baseline and
the published number.

Every lesson is one function in :data:`LESSONS` that runs the notebook's own package calls on
the real samples (``../shared/data`` beside the checkout, ``$SSL_KERAS_SHARED_DATA``, or
``--data``) and returns a record::

    {"lesson", "title", "data": {what and how many real images},
     "ours": {"method", "metric", "mean", "half", "std", "n"},
     "baselines": {name: {"mean", "half", "std", "n"}},
     "anchor": {"value", "source", "compute"} or {"value": None, "why"},
     "details": {...}, "budget_min", "cpu", "wall_s", "cpu_s"}

``half`` is the half-width of the 95 % Student-t interval over ``n`` seeds
(:func:`ssl_keras.report.seed_stats`). The script prints one table per lesson and writes all
records as JSON (``--json``). ``--minutes`` is each lesson's CPU budget.

    .venv/bin/python bench/lessons_real.py --lessons 04 --minutes 10 --json scoreboard.json

Lessons:

* **04 — cat vs turtle on gray photos.** The sample's 40 turtles are gray and its 40 cats
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

import argparse
import dataclasses
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from ssl_keras import callbacks, denoising, models, pipelines, report, runtime, transfer

RECORD_KEYS = (
    "lesson",
    "title",
    "data",
    "ours",
    "baselines",
    "anchor",
    "budget_min",
    "cpu",
    "wall_s",
    "cpu_s",
)
STAT_KEYS = ("mean", "half", "n")
CLASSES = ("cat", "turtle")


@dataclasses.dataclass(frozen=True)
class Context:
    """What every lesson gets: the real-sample root ``data``, its CPU budget in ``minutes``,
    the ``seeds`` of its repeated runs and a scratch folder ``workdir`` (never the repository)."""

    data: Path
    minutes: float
    seeds: tuple[int, ...]
    workdir: Path


@dataclasses.dataclass(frozen=True)
class Lesson:
    """A registered lesson: its ``title``, the sub-folders of the data root it ``needs`` and
    the function that runs it (``run(context, **options) -> record`` without cpu and times)."""

    name: str
    title: str
    needs: tuple[str, ...]
    run: Callable[..., dict]


LESSONS: dict[str, Lesson] = {}


def lesson(name: str, title: str, needs: Sequence[str]) -> Callable[[Callable], Callable]:
    """Register a lesson function under ``name`` (e.g. ``"04"``) in :data:`LESSONS`."""

    def register(run: Callable[..., dict]) -> Callable[..., dict]:
        LESSONS[name] = Lesson(name, title, tuple(needs), run)
        return run

    return register


def default_data() -> Path:
    """``$SSL_KERAS_SHARED_DATA``, else ``../shared/data`` beside the checkout."""
    env = os.environ.get("SSL_KERAS_SHARED_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"


def cpu_model() -> str:
    """The processor's model name as ``lscpu`` prints it (``/proc/cpuinfo`` as fallback)."""
    try:
        listing = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        listing = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").is_file() else ""
    for line in listing.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() in ("model name", "model"):
            return value.strip()
    return "unknown"


def stats(values: Sequence[float]) -> dict[str, float | int]:
    """Scores over seeds as ``{"mean", "half", "std", "n"}`` (95 % Student-t half-width)."""
    summary = report.seed_stats(values)
    return {"mean": summary.mean, "half": summary.half, "std": summary.std, "n": summary.n}


def check_record(record: Mapping[str, object]) -> None:
    """Raise ``ValueError`` naming what a lesson record lacks (see the module docstring)."""
    missing = [key for key in RECORD_KEYS if key not in record]
    if missing:
        raise ValueError(f"Lesson record lacks {missing}; a record holds {list(RECORD_KEYS)}.")
    measured = {"ours": record["ours"], **dict(record["baselines"])}
    for name, entry in measured.items():
        if not all(key in entry for key in STAT_KEYS):
            raise ValueError(f"Record entry {name!r} needs {list(STAT_KEYS)}, got {list(entry)}.")
    anchor = record["anchor"]
    if "value" not in anchor or (anchor["value"] is None and not anchor.get("why")):
        raise ValueError("The anchor needs a 'value', or value None and a 'why'.")


def run_lesson(name: str, context: Context, **options) -> dict:
    """Run lesson ``name`` and return its checked record with ``budget_min`` (the context's
    minutes), ``cpu``, ``wall_s`` (seconds)
    and ``cpu_s`` (CPU seconds of this process, all threads) added.

    Raises ``ValueError`` for an unknown lesson and ``FileNotFoundError`` naming a missing
    data folder.
    """
    if name not in LESSONS:
        raise ValueError(f"Unknown lesson {name!r}; choose from {sorted(LESSONS)}.")
    chosen = LESSONS[name]
    if not context.data.is_dir():
        raise FileNotFoundError(
            f"Data folder {str(context.data)!r} does not exist: pass --data with the folder of "
            "the real samples (or set SSL_KERAS_SHARED_DATA)."
        )
    for needed in chosen.needs:
        if not (context.data / needed).is_dir():
            raise FileNotFoundError(
                f"Lesson {name} needs the folder {str(context.data / needed)!r}, which does "
                "not exist: put the samples there or pass --data with another root."
            )
    wall, cpu = time.perf_counter(), time.process_time()
    record = {"lesson": name, "title": chosen.title, **chosen.run(context, **options)}
    record.update(
        budget_min=context.minutes,
        cpu=cpu_model(),
        wall_s=round(time.perf_counter() - wall, 1),
        cpu_s=round(time.process_time() - cpu, 1),
    )
    check_record(record)
    return record


def _json_safe(value):
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        return _json_safe(value.item())
    return value


def write_json(records: Sequence[Mapping[str, object]], path: str | os.PathLike) -> Path:
    """Write the records as a JSON list (infinite separations as strings); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_json_safe(list(records)), indent=1) + "\n", encoding="utf-8")
    return path


def _row(entry: str, stat: Mapping[str, object]) -> dict[str, object]:
    return {
        "entry": entry,
        "score": float(stat["mean"]),
        "± 95 %": float(stat["half"]),
        "seeds": int(stat["n"]),
    }


def format_record(record: Mapping[str, object]) -> str:
    """The lesson's table: ours, the baselines, the anchor, then any details it carries."""
    ours = record["ours"]
    rows = [_row(f"ours: {ours.get('method', '')}", ours)]
    rows += [_row(name, stat) for name, stat in record["baselines"].items()]
    anchor = record["anchor"]
    if anchor["value"] is None:
        published = f"published anchor: none ({anchor['why']})"
    else:
        published = f"published anchor: {anchor['value']} ({anchor['source']}; {anchor['compute']})"
    lines = [
        f"== {record['lesson']} · {record['title']} — {ours.get('metric', '')}",
        f"data: {json.dumps(_json_safe(record['data']))}",
        report.format_table(rows, digits=3),
        published,
    ]
    details = record.get("details", {})
    if details.get("arms"):
        lines += ["", report.format_table(details["arms"], digits=3)]
    for claim, value in details.get("separation", {}).items():
        lines.append(f"{claim}: {value:.1f} pooled seed SDs")
    for arm, epochs in details.get("restored_epoch_of_epochs_run", {}).items():
        lines.append(f"{arm} — restored epoch / epochs run: {', '.join(epochs)}")
    over = record["wall_s"] > record["budget_min"] * 60
    lines.append(
        f"compute: {record['wall_s']} s wall, {record['cpu_s']} CPU s on {record['cpu']} "
        f"(budget {record['budget_min']} min{', exceeded' if over else ''})"
    )
    return "\n".join(lines)


# ---- lesson 04: cat vs turtle, both classes gray -----------------------------------------


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
        "cat": pipelines.list_image_files(root / "cat_web"),
        "turtle": pipelines.list_image_files(root / "turtle_roboflow", recursive=True),
    }


def split_per_class(
    files: Mapping[str, Sequence[str]], counts: Sequence[int], seed: int = 0
) -> dict[str, dict[str, list[str]]]:
    """Cut each class's files into ``{"train", "val", "test"}`` with ``counts`` = (train,
    val, test) files per class, seeded; the splits are disjoint. Raises ``ValueError`` when a
    class has fewer files than ``sum(counts)``."""
    counts = [int(c) for c in counts]
    if len(counts) != 3 or min(counts) < 1:
        raise ValueError(f"counts must be 3 ints ≥ 1 (train, val, test), got {list(counts)}.")
    rng = np.random.default_rng(seed)
    splits: dict[str, dict[str, list[str]]] = {"train": {}, "val": {}, "test": {}}
    for name, members in files.items():
        members = sorted(str(m) for m in members)
        if len(members) < sum(counts):
            raise ValueError(
                f"Class {name!r} has {len(members)} images, fewer than the {sum(counts)} of "
                f"the split {counts} (train, val, test); lower the counts or add images."
            )
        order = [members[k] for k in rng.permutation(len(members))]
        ends = np.cumsum(counts)
        for split, start, end in zip(splits, (0, *ends[:2]), ends, strict=True):
            splits[split][name] = order[start:end]
    return splits


def to_gray(images) -> tf.Tensor:
    """Luma of RGB images replicated to 3 equal channels: float32 ``(..., H, W, 3)`` in
    [0, 1] → the same shape, every pixel gray, so colour carries nothing."""
    gray = tf.image.rgb_to_grayscale(tf.convert_to_tensor(images, tf.float32))
    return tf.repeat(gray, 3, axis=-1)


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


def _prepare(path: str, size: int) -> tf.Tensor:
    """One file as the lesson sees it: its central square at ``size``² (colour)."""
    return pipelines.center_crop(pipelines.load_image(path), size)


def _write_png(image: tf.Tensor, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = tf.image.convert_image_dtype(image, tf.uint8, saturate=True)
    tf.io.write_file(str(path), tf.io.encode_png(pixels))


class _Deadline(keras.callbacks.Callback):
    """Stop training once ``seconds`` of wall time have passed (checked after each batch)."""

    def __init__(self, seconds: float):
        super().__init__()
        self.seconds = seconds

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if time.perf_counter() - self.start > self.seconds:
            self.model.stop_training = True


def pretrain_on_folder(
    folder: Path, config: CatTurtleConfig, seconds: float, workdir: Path, seed: int = 0
) -> tuple[keras.Model, dict[str, object]]:
    """Notebook 02's smoke recipe (``denoising.recipe("smoke")`` with ``config``'s steps) on
    the unlabeled images of ``folder``, stopped after ``seconds``; returns the denoiser (best
    validation epoch restored) and what it used."""
    chosen = dataclasses.replace(
        denoising.recipe("smoke"),
        image_size=config.size,
        patch_size=config.size // 2,
        steps=config.pretrain_steps,
        epochs=config.pretrain_epochs,
        n_val=config.pretrain_val,
        n_test=1,
    )
    files = pipelines.list_image_files(folder)
    splits = denoising.split_pool(files, chosen.n_val, chosen.n_test, seed)
    # The lesson's own test images are never in this folder; the pool's one held-out image
    # is not needed here, so it trains too.
    splits["train"] += splits.pop("test")
    train, val = denoising.training_batches(splits, chosen, seed)
    keras.utils.set_random_seed(seed)
    model = denoising.compile_denoiser(denoising.build_denoiser(chosen), chosen)
    deadline = _Deadline(seconds)
    fitted = callbacks.standard(workdir / "denoiser", patience=chosen.patience, log_every=2)
    history = model.fit(
        train,
        validation_data=val,
        epochs=chosen.epochs,
        steps_per_epoch=chosen.steps_per_epoch,
        callbacks=[*fitted, deadline],
        verbose=0,
    )
    used = {
        "recipe": "notebook 02 smoke recipe (residual U-Net, mixed noise, L1)",
        "steps": int(model.optimizer.iterations.numpy()),
        "planned_steps": chosen.steps,
        "batch": chosen.batch_size,
        "patch": chosen.patch_size,
        "train_images": len(splits["train"]),
        "val_images": len(splits["val"]),
        "best_val_loss": float(min(history.history["val_loss"])),
    }
    return model, used


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
                image = _prepare(path, config.size)
                colour.setdefault(split, []).append(image.numpy())
                colour_labels.setdefault(split, []).append(CLASSES.index(name))
                gray = to_gray(image)
                _write_png(gray, labeled / split / name / f"{index:03d}.png")
                if split == "train":  # the train pool, without labels, also pretrains
                    _write_png(gray, unlabeled / f"{name}_{index:03d}.png")
    extra = {"coco_mini/val2017": 0, "camvid_segnet/train": 0}
    for sub in extra:
        if (context.data / sub).is_dir():
            for index, path in enumerate(pipelines.list_image_files(context.data / sub)):
                image = to_gray(_prepare(path, config.size))
                _write_png(image, unlabeled / f"{sub.replace('/', '_')}_{index:03d}.png")
                extra[sub] += 1

    x_pool, y_pool, names = transfer.load_split(labeled / "train", config.size, CLASSES)
    x_val, y_val, _ = transfer.load_split(labeled / "val", config.size, names)
    x_test, y_test, _ = transfer.load_split(labeled / "test", config.size, names)
    colour_pool, colour_test = np.stack(colour["train"]), np.stack(colour["test"])
    y_colour_pool, y_colour_test = (np.asarray(colour_labels[s]) for s in ("train", "test"))
    counts = transfer.fitting_label_counts(config.label_counts, y_pool)
    seeds = context.seeds

    print(f"04: pretraining the denoiser on {len(os.listdir(unlabeled))} gray unlabeled photos")
    denoiser, pretraining = pretrain_on_folder(
        unlabeled, config, config.pretrain_share * context.minutes * 60, context.workdir
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
            arms.append({"arm": method, "labels/class": n, **_rounded(stat)})
            if method != "SSL (frozen)":
                baselines[f"{method}, {n}/class"] = stat
    for name, by_count in trivial.items():
        for n in counts:
            stat = stats(by_count[n])
            arms.append({"arm": name, "labels/class": n, **_rounded(stat)})
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


def _rounded(stat: Mapping[str, float]) -> dict[str, object]:
    return {"mean": stat["mean"], "± 95 %": stat["half"], "seeds": stat["n"]}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lessons", nargs="+", default=sorted(LESSONS), help="e.g. 04")
    parser.add_argument("--minutes", type=float, default=10.0, help="CPU budget per lesson")
    parser.add_argument("--seeds", type=int, default=5, help="seeds of each repeated run (≥ 2)")
    parser.add_argument("--data", type=Path, default=default_data(), help="real-sample root")
    parser.add_argument("--json", type=Path, default=None, help="write all records here")
    args = parser.parse_args(argv)
    if args.seeds < 2:
        parser.error(f"--seeds must be ≥ 2 for an interval, got {args.seeds}.")
    if args.minutes <= 0:
        parser.error(f"--minutes must be > 0, got {args.minutes}.")
    unknown = [name for name in args.lessons if name not in LESSONS]
    if unknown:
        parser.error(f"Unknown lesson(s) {unknown}; choose from {sorted(LESSONS)}.")
    if not args.data.is_dir():
        parser.error(
            f"Data folder {str(args.data)!r} does not exist: pass --data with the folder of "
            "the real samples (or set SSL_KERAS_SHARED_DATA)."
        )
    return args


def main(argv: Sequence[str] | None = None) -> list[dict]:
    args = parse_args(argv)
    runtime.setup(seed=0, profile="smoke", verbose=False)
    records = []
    for name in args.lessons:
        with tempfile.TemporaryDirectory(prefix=f"lesson{name}_") as workdir:
            context = Context(args.data, args.minutes, tuple(range(args.seeds)), Path(workdir))
            record = run_lesson(name, context)
        print(format_record(record), flush=True)
        records.append(record)
        if args.json is not None:  # after each lesson, so a later failure keeps the earlier
            write_json(records, args.json)
    return records


if __name__ == "__main__":
    main(sys.argv[1:])
