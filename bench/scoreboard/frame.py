"""The scoreboard's frame: the lesson registry, the record every lesson returns, its checks, its
table and JSON, and the pieces several lessons share (seeded per-class splits, the gray
conversion, a wall-clock deadline, notebook 02's denoiser pretrained on a folder).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from ssl_keras import callbacks, denoising, image_files, report, resizing

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
    return Path(env) if env else Path(__file__).resolve().parents[3] / "shared" / "data"


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
    goal = details.get("goal")
    if goal:
        target = {k: v for k, v in goal.items() if k not in ("met", "short_by", "rule")}
        verdict = "met" if goal["met"] else f"missed by {goal['short_by']:.3g}"
        lines.append(f"goal {json.dumps(_json_safe(target))}: {verdict}")
    for arm, epochs in details.get("restored_epoch_of_epochs_run", {}).items():
        lines.append(f"{arm} — restored epoch / epochs run: {', '.join(epochs)}")
    over = record["wall_s"] > record["budget_min"] * 60
    lines.append(
        f"compute: {record['wall_s']} s wall, {record['cpu_s']} CPU s on {record['cpu']} "
        f"(budget {record['budget_min']} min{', exceeded' if over else ''})"
    )
    return "\n".join(lines)


def _cell(stat: Mapping[str, object], digits: int) -> str:
    value = f"{float(stat['mean']):.{digits}f}"
    if int(stat["n"]) > 1:
        value += f" ± {float(stat['half']):.{digits}f}"
    return value


def markdown(records: Sequence[Mapping[str, object]], digits: int = 3) -> str:
    """The scoreboard as one Markdown table, a row per lesson: ours (mean ± 95 % over the
    seeds), its baselines, the published anchor, the goal and the compute (CPU and wall
    minutes on the named CPU)."""
    rows = [
        "| lesson | metric | ours | baselines | published | goal | compute |",
        "|---|---|---|---|---|---|---|",
    ]
    for record in records:
        ours = record["ours"]
        baselines = "; ".join(
            f"{name} {_cell(stat, digits)}" for name, stat in record["baselines"].items()
        )
        anchor = record["anchor"]
        published = (
            f"{anchor['value']} ({anchor['source']})" if anchor["value"] is not None else "none"
        )
        goal = record.get("details", {}).get("goal")
        if goal:
            verdict = "met" if goal["met"] else f"missed by {goal['short_by']:.{digits}f}"
        else:
            verdict = "–"
        compute = (
            f"{record['cpu_s'] / 60:.0f} CPU-min, {record['wall_s'] / 60:.0f} min ({record['cpu']})"
        )
        cells = [
            f"{record['lesson']} {record['title']}",
            ours["metric"],
            f"{_cell(ours, digits)} ({ours['n']} seeds)",
            baselines,
            published,
            verdict,
            compute,
        ]
        rows.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(rows) + "\n"


def rounded(stat: Mapping[str, float]) -> dict[str, object]:
    return {"mean": stat["mean"], "± 95 %": stat["half"], "seeds": stat["n"]}


def deterministic(value: float) -> dict[str, float | int]:
    """A score with no seed to vary (a fixed rule on fixed data): one run, no interval."""
    return {"mean": float(value), "half": 0.0, "std": 0.0, "n": 1}


def at_least(name: str, target: float, mean: float, **extra: object) -> dict[str, object]:
    """A record's ``details["goal"]`` for "the mean reaches ``target``": ``{name: target,
    **extra, "met", "short_by"}`` (``short_by`` 0 when met)."""
    return {
        name: target,
        **extra,
        "met": mean >= target,
        "short_by": max(0.0, target - mean),
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


def prepare_square(path: str, size: int) -> tf.Tensor:
    """One file as the lesson sees it: its central square at ``size``² (colour)."""
    return resizing.center_crop(image_files.load_image(path), size)


def write_png(image: tf.Tensor, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = tf.image.convert_image_dtype(image, tf.uint8, saturate=True)
    tf.io.write_file(str(path), tf.io.encode_png(pixels))


class Deadline(keras.callbacks.Callback):
    """Stop training once ``seconds`` of wall time have passed (checked after each batch);
    ``stopped`` says whether it did. The callbacks after it still restore the best epoch."""

    def __init__(self, seconds: float):
        super().__init__()
        self.seconds = seconds
        self.stopped = False

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if time.perf_counter() - self.start > self.seconds:
            self.stopped = True
            self.model.stop_training = True


@dataclasses.dataclass(frozen=True)
class PretrainConfig:
    """Notebook 02's smoke recipe with these sizes: crops of ``size`` px (patches of half),
    at most ``steps`` optimizer steps over ``epochs`` epochs, ``val`` images held out for its
    early stopping."""

    size: int = 64
    steps: int = 1200
    epochs: int = 8
    val: int = 16


def pretrain_on_folder(
    folder: Path, config: PretrainConfig, seconds: float, workdir: Path, seed: int = 0
) -> tuple[keras.Model, dict[str, object]]:
    """Notebook 02's smoke recipe (``denoising.recipe("smoke")`` with ``config``'s sizes) on
    the unlabeled images of ``folder``, stopped after ``seconds``; returns the denoiser (best
    validation epoch restored) and what it used."""
    chosen = dataclasses.replace(
        denoising.recipe("smoke"),
        image_size=config.size,
        patch_size=config.size // 2,
        steps=config.steps,
        epochs=config.epochs,
        n_val=config.val,
        n_test=1,
    )
    files = image_files.list_image_files(folder)
    splits = denoising.split_pool(files, chosen.n_val, chosen.n_test, seed)
    # The lesson's own test images are never in this folder; the pool's one held-out image
    # is not needed here, so it trains too.
    splits["train"] += splits.pop("test")
    train, val = denoising.training_batches(splits, chosen, seed)
    keras.utils.set_random_seed(seed)
    model = denoising.compile_denoiser(denoising.build_denoiser(chosen), chosen)
    deadline = Deadline(seconds)
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
