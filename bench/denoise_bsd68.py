"""Classical Gaussian-denoising benchmark: the package's U-Net on BSD68 and Set12 (gray)
and on Kodak24 (colour).

Protocol (as in the DnCNN / FFDNet / DRUNet papers): train on 400 gray BSD images
(``Train400``), test on BSD68 and Set12 with additive white Gaussian noise σ = 15, 25, 50
(in 0–255 units) that is *not* clipped; PSNR of the clipped output against the clean image.

``--colour``: the same U-Net with three channels, trained on real colour photographs that are
not in the test set (CamVid train + val frames and COCO-mini val2017; a training file whose
bytes equal a test file's is dropped) and tested on Kodak24 (500×500 crops) with colour AWGN,
PSNR over the RGB channels; OpenCV's colour non-local means
(:func:`ssl_keras.baselines.nl_means`, blind ``h`` from the noise estimate) runs on the same
noisy images beside the published CBM3D / CDnCNN / FFDNet / DRUNet numbers. ``--train`` and
``--test`` take your own folders (any image format the package reads, TIFF included).

The model is :func:`ssl_keras.models.unet` with one gray channel, **residual** (output =
input + a learned correction, head initialised at zero, as DnCNN predicts the noise). By
default it is trained *blind* on σ drawn uniformly from [0, 55] per patch, so one model serves
all three levels (as DnCNN-B); ``--sigma 25`` trains for one level only (as DnCNN-S, whose
published numbers are per-level models) and evaluates that level. Training runs for a
wall-clock budget with a cosine learning-rate decay over the budget (time-based, so the
schedule ends when the budget does whatever the machine's speed), compiled by
:func:`ssl_keras.training.compile_model` (XLA as Keras chooses: off on CPUs, where it was
measured slower). The CPU time of the process is printed beside the wall time.

    .venv/bin/python bench/denoise_bsd68.py --minutes 10
    .venv/bin/python bench/denoise_bsd68.py --minutes 30 --sigma 25 --json out.json
    .venv/bin/python bench/denoise_bsd68.py --minutes 30 --sigma 25 --colour --json out.json
    .venv/bin/python bench/denoise_bsd68.py --cpu-minutes 60 --eval-every 5 --sigma 25 \
        --precision auto --json out.json

``--cpu-minutes`` budgets the process's CPU time instead of wall time (the cosine schedule
follows it), ``--eval-every`` scores the first test set along the way and reports the
budget point where the model first passes BM3D (CBM3D for colour): the time to quality.
``--precision`` picks the Keras policy (:func:`ssl_keras.runtime.choose_precision`).

Data: ``$SSL_KERAS_SHARED_DATA/denoise`` or ``../shared/data/denoise`` beside the checkout
(``--data`` to choose), holding ``Train400/``, ``BSD68/``, ``Set12/`` and ``Kodak24/`` image
folders; the colour training photos are ``camvid_segnet/{train,val}`` and
``coco_mini/val2017`` beside it.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import math
import os
import sys
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

import ssl_keras  # noqa: F401  (quiets TensorFlow's start-up logging)
from ssl_keras import (
    baselines,
    denoising,
    image_files,
    metrics,
    models,
    noise,
    report,
    runtime,
    training,
)
from ssl_keras.datasets import denoise_sets

SIGMAS = (15, 25, 50)
# Published PSNR (dB) from data/README.md of the shared samples: {set: {method: (σ15, σ25, σ50)}}.
PUBLISHED = {
    "Set12": {
        "BM3D": (32.37, 29.97, 26.72),
        "DnCNN-S": (32.86, 30.44, 27.18),
        "DRUNet": (33.25, 30.94, 27.90),
    },
    "BSD68": {
        "BM3D": (31.08, 28.57, 25.60),
        "DnCNN-S": (31.73, 29.23, 26.23),
        "DRUNet": (31.91, 29.48, 26.59),
    },
    # Colour AWGN, RGB PSNR on the 500×500 crops (DPIR paper's table).
    "Kodak24": {
        "CBM3D": (34.28, 32.15, 28.46),
        "CDnCNN": (34.60, 32.14, 28.95),
        "FFDNet": (34.63, 32.13, 28.98),
        "DRUNet": (35.31, 32.89, 29.86),
    },
}
GRAY_TESTS = ("BSD68", "Set12")
COLOUR_TESTS = ("Kodak24",)
COLOUR_BASELINE = "nl_means"


def default_data() -> Path:
    env = os.environ.get("SSL_KERAS_SHARED_DATA")
    base = Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"
    return base / "denoise"


def colour_train_folders(data: Path) -> list[Path]:
    """The colour training photographs beside the denoising sets: CamVid train + val frames
    and COCO-mini val2017."""
    shared = data.parent
    return [
        shared / "camvid_segnet" / "train",
        shared / "camvid_segnet" / "val",
        shared / "coco_mini" / "val2017",
    ]


def _digest(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def training_files(train: list[Path], tests: list[Path]) -> list[str]:
    """The image files of the ``train`` folders, less any inside a ``tests`` folder or with
    the same bytes as a test file (so no test image is trained on), sorted per folder."""
    test_files = [f for folder in tests for f in image_files.list_image_files(folder)]
    held_out = {_digest(f) for f in test_files}
    test_roots = [folder.resolve() for folder in tests]
    files = []
    for folder in train:
        for file in image_files.list_image_files(folder):
            inside = any(root in Path(file).resolve().parents for root in test_roots)
            if not inside and _digest(file) not in held_out:
                files.append(file)
    return files


def load_images(files: list[str], gray: bool) -> list[np.ndarray]:
    """Each file as float32 ``(H, W, 1)`` (``gray``, exact for gray files) or ``(H, W, 3)``
    in [0, 1], at its own size."""
    images = (image_files.load_image(f) for f in files)
    return [(denoise_sets.to_gray(image) if gray else image).numpy() for image in images]


def training_batches(
    images: list[np.ndarray],
    patch: int,
    batch_size: int,
    sigma_range: tuple[float, float],
    seed: int,
) -> tf.data.Dataset:
    """Endless ``(noisy, clean)`` batches of random ``patch``² crops with random flips and
    unclipped Gaussian noise of σ ~ U[sigma_range] (0–255 units) per crop; ``images`` of
    any sizes of at least ``patch``² (gray or RGB, all alike)."""
    small = [image.shape for image in images if min(image.shape[:2]) < patch]
    if small:
        raise ValueError(f"Training images must be at least {patch} px a side, got {small[0]}.")
    channels = images[0].shape[-1]
    ds = tf.data.Dataset.from_generator(
        lambda: iter(images), output_signature=tf.TensorSpec((None, None, channels), tf.float32)
    )
    ds = ds.cache().repeat()

    def crop(index, image):
        seeds = tf.random.experimental.stateless_split(tf.stack([seed, index]), 4)
        x = tf.image.stateless_random_crop(image, (patch, patch, channels), seed=seeds[0])
        x = tf.image.stateless_random_flip_left_right(x, seed=seeds[1])
        x = tf.image.stateless_random_flip_up_down(x, seed=seeds[2])
        low, high = sigma_range
        sigma = tf.random.stateless_uniform([], seeds[3], low / 255.0, high / 255.0 + 1e-9)
        noisy = x + sigma * noise.standard_normal(tf.shape(x), seeds[3][::-1])
        return noisy, x

    ds = ds.enumerate().map(
        lambda i, x: crop(tf.cast(i, tf.int64), x), num_parallel_calls=tf.data.AUTOTUNE
    )
    ds = ds.shuffle(2048, seed=seed)
    return ds.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


class TimeBudget(keras.callbacks.Callback):
    """Stop training after ``seconds`` of ``clock`` (wall time by default; pass
    ``time.process_time`` for CPU time); the learning rate follows a cosine from its initial
    value to 1 % of it over the budget, by elapsed time.

    ``checkpoint(model, elapsed)``, when given, is called each time another ``every`` seconds
    of the budget have passed (and once at the end); the time it takes is not counted, so
    measuring the model along the way does not shorten its training.
    """

    def __init__(
        self,
        seconds: float,
        initial_rate: float,
        clock=time.perf_counter,
        every: float | None = None,
        checkpoint=None,
    ):
        super().__init__()
        self.seconds, self.initial_rate, self.clock = seconds, initial_rate, clock
        self.every, self.checkpoint = every, checkpoint
        self.start = self.paused = 0.0
        self.next_mark = every if every else math.inf
        self.steps = 0

    def elapsed(self) -> float:
        return self.clock() - self.start - self.paused

    def _check(self, elapsed: float) -> None:
        begin = self.clock()
        self.checkpoint(self.model, elapsed)
        self.paused += self.clock() - begin

    def on_train_begin(self, logs=None):
        self.start, self.paused = self.clock(), 0.0

    def on_train_batch_begin(self, batch, logs=None):
        done = min(self.elapsed() / self.seconds, 1.0)
        factor = 0.01 + 0.99 * 0.5 * (1.0 + math.cos(math.pi * done))
        self.model.optimizer.learning_rate.assign(self.initial_rate * factor)

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        elapsed = self.elapsed()
        if elapsed > self.seconds:
            self.model.stop_training = True
            if self.checkpoint is not None:
                self._check(elapsed)
        elif self.checkpoint is not None and elapsed >= self.next_mark:
            self.next_mark += self.every
            self._check(elapsed)


def time_to_quality(curve: list[dict], target: float) -> float | None:
    """The first budget point (``curve`` rows of ``minutes`` and ``psnr``, in order) whose
    PSNR reaches ``target``, in minutes; ``None`` if none does."""
    for point in curve:
        if point["psnr"] >= target:
            return point["minutes"]
    return None


def evaluate(
    model: keras.Model,
    images: list[np.ndarray],
    sigma: float,
    seed: int,
    baseline: str | None = None,
) -> tuple:
    """Mean PSNR (dB, over all channels) of noisy input (clipped for the metric only), of the
    denoised output and, with ``baseline`` (a name of :data:`ssl_keras.baselines.DENOISERS`),
    of that classical denoiser on the same unclipped noisy images (else ``None``)."""
    noisy_scores, denoised_scores, baseline_scores = [], [], []
    for i, clean in enumerate(images):
        rng = np.random.default_rng([seed, int(sigma), i])
        noisy = clean + (sigma / 255.0) * rng.standard_normal(clean.shape).astype(np.float32)
        output = np.clip(model.predict(noisy[None], verbose=0)[0], 0.0, 1.0)
        noisy_scores.append(float(metrics.psnr(np.clip(noisy, 0.0, 1.0), clean)))
        denoised_scores.append(float(metrics.psnr(output, clean)))
        if baseline:
            baseline_scores.append(float(metrics.psnr(baselines.denoise(noisy, baseline), clean)))
    classical = float(np.mean(baseline_scores)) if baseline else None
    return float(np.mean(noisy_scores)), float(np.mean(denoised_scores)), classical


def train_denoiser(
    images: list[np.ndarray],
    sigma_range: tuple[float, float],
    seconds: float,
    seed: int = 0,
    depth: int = 3,
    base_filters: int = 32,
    patch: int = 48,
    batch_size: int = 16,
    learning_rate: float = 1e-3,
    cpu_time: bool = False,
    every: float | None = None,
    checkpoint=None,
) -> tuple[keras.Model, dict[str, object]]:
    """Notebook 02's residual U-Net (:func:`ssl_keras.denoising.build_denoiser`, head at zero)
    with as many channels as ``images``, trained with MSE on :func:`training_batches` for
    ``seconds`` of wall time, or of this process's CPU time with ``cpu_time`` (cosine learning
    rate over the budget), weights seeded by ``seed``, in the global Keras precision
    policy. ``checkpoint`` and ``every``: see :class:`TimeBudget`. Returns the model and what
    training used: ``steps``, ``minutes``, ``cpu_minutes``, ``first_loss``, ``last_loss``,
    ``parameters``."""
    channels = images[0].shape[-1]
    recipe = dataclasses.replace(denoising.recipe("smoke"), depth=depth, base_filters=base_filters)
    keras.utils.set_random_seed(seed)
    model = denoising.build_denoiser(
        recipe, channels, name="gray_denoiser" if channels == 1 else "colour_denoiser"
    )
    # One step per call: the budget callback counts and stops step by step.
    training.compile_model(
        model, keras.optimizers.Adam(learning_rate), loss="mse", steps_per_execution=1
    )
    clock = time.process_time if cpu_time else time.perf_counter
    budget = TimeBudget(seconds, learning_rate, clock, every, checkpoint)
    start, cpu_start = time.perf_counter(), time.process_time()
    history = model.fit(
        training_batches(images, patch, batch_size, sigma_range, seed),
        epochs=10**6,
        steps_per_epoch=100,
        shuffle=False,  # the dataset shuffles itself; Keras would warn that it ignores True
        callbacks=[budget],
        verbose=0,
    )
    losses = history.history["loss"]
    return model, {
        "steps": budget.steps,
        "minutes": (time.perf_counter() - start) / 60,
        "cpu_minutes": (time.process_time() - cpu_start) / 60,
        "budget_minutes": budget.elapsed() / 60,
        "first_loss": float(losses[0]),
        "last_loss": float(losses[-1]),
        "parameters": models.count_params(model),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    budget = parser.add_mutually_exclusive_group(required=True)
    budget.add_argument("--minutes", type=float, help="training budget in wall-clock minutes")
    budget.add_argument(
        "--cpu-minutes", type=float, help="training budget in CPU-minutes of this process"
    )
    parser.add_argument(
        "--eval-every",
        type=float,
        help="also score the first test set at the trained σ (25 when blind) every this many "
        "budget minutes (not counted in the budget): the time-to-quality curve",
    )
    parser.add_argument(
        "--precision",
        choices=runtime.PRECISIONS,
        default="float32",
        help="Keras precision policy (runtime.choose_precision; auto measures bfloat16 once)",
    )
    parser.add_argument("--data", type=Path, default=default_data())
    parser.add_argument("--base-filters", type=int, default=32)
    parser.add_argument("--depth", type=int, default=3)
    parser.add_argument("--patch", type=int, default=48)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--max-sigma", type=float, default=55.0, help="blind range [0, max]")
    parser.add_argument("--sigma", type=int, choices=SIGMAS, help="train and test one level")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save", type=Path, help="write the trained model (.keras)")
    parser.add_argument("--json", type=Path, help="write the results as JSON")
    parser.add_argument(
        "--colour",
        action="store_true",
        help="RGB: train on colour photos (CamVid + COCO-mini), test on Kodak24",
    )
    parser.add_argument(
        "--train",
        type=Path,
        action="append",
        help="training image folder (repeatable); default Train400, with --colour "
        "camvid_segnet/{train,val} and coco_mini/val2017 beside --data",
    )
    parser.add_argument(
        "--test",
        type=Path,
        action="append",
        help="test image folder (repeatable); default BSD68 and Set12, with --colour Kodak24",
    )
    args = parser.parse_args(argv)
    gray = not args.colour
    default_train = [args.data / "Train400"] if gray else colour_train_folders(args.data)
    train_folders = args.train or default_train
    test_folders = args.test or [args.data / n for n in (GRAY_TESTS if gray else COLOUR_TESTS)]
    for folder in train_folders + test_folders:
        if not folder.is_dir():
            parser.error(f"{folder} not found; pass --data, --train or --test to point to it")

    keras.utils.set_random_seed(args.seed)
    train = load_images(training_files(train_folders, test_folders), gray)
    tests = {
        folder.name: load_images(image_files.list_image_files(folder), gray)
        for folder in test_folders
    }
    counts = "; ".join(f"{name}: {len(images)}" for name, images in tests.items())
    print(
        f"{' + '.join(f'{f.parent.name}/{f.name}' for f in train_folders)}: {len(train)} "
        f"training images; {counts}; "
        f"{os.cpu_count()} CPUs",
        flush=True,
    )
    sigma_range = (args.sigma, args.sigma) if args.sigma else (0.0, args.max_sigma)
    sigmas = (args.sigma,) if args.sigma else SIGMAS
    policy, why = runtime.choose_precision(f"CPU ({os.cpu_count()} cores)", args.precision)
    keras.mixed_precision.set_global_policy(policy)
    print(f"precision {policy} ({why}) on {runtime.cpu_name()}", flush=True)
    curve: list[dict] = []
    curve_set, curve_sigma = next(iter(tests)), args.sigma or 25
    clock_name = "CPU-min" if args.cpu_minutes else "wall-min"

    def checkpoint(model: keras.Model, elapsed: float) -> None:
        _, psnr, _ = evaluate(model, tests[curve_set], curve_sigma, args.seed)
        curve.append({"minutes": elapsed / 60, "psnr": psnr})
        print(
            f"  {elapsed / 60:6.1f} {clock_name}: {curve_set} σ={curve_sigma} {psnr:.2f} dB",
            flush=True,
        )

    model, trained = train_denoiser(
        train,
        sigma_range,
        (args.cpu_minutes or args.minutes) * 60.0,
        seed=args.seed,
        depth=args.depth,
        base_filters=args.base_filters,
        patch=args.patch,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        cpu_time=bool(args.cpu_minutes),
        every=args.eval_every * 60.0 if args.eval_every else None,
        checkpoint=checkpoint if args.eval_every else None,
    )
    print(f"U-Net depth {args.depth}, base {args.base_filters}: {trained['parameters']}")
    noise_kind = f"σ={args.sigma}" if args.sigma else f"blind σ∈[0, {args.max_sigma:g}]"
    print(
        f"trained ({noise_kind}) {trained['steps']} steps of {args.batch_size}×{args.patch}² "
        f"patches in {trained['minutes']:.1f} wall-min ({trained['cpu_minutes']:.1f} CPU-min); "
        f"loss {trained['first_loss']:.5f} → {trained['last_loss']:.5f}",
        flush=True,
    )
    if args.save:
        model.save(args.save)

    rows = []
    results = {
        "steps": trained["steps"],
        "minutes": trained["minutes"],
        "cpu_minutes": trained["cpu_minutes"],
        "precision": policy,
        "cpu": runtime.cpu_name(),
        "args": vars(args),
    }
    if curve:
        anchor = "BM3D" if curve_set in ("BSD68", "Set12") else "CBM3D"
        target = PUBLISHED.get(curve_set, {}).get(anchor, (None,) * 3)[SIGMAS.index(curve_sigma)]
        results["curve"] = {
            "set": curve_set,
            "sigma": curve_sigma,
            "clock": clock_name,
            "points": curve,
        }
        if target is not None:
            reached = time_to_quality(curve, target)
            results["curve"][f"to_{anchor}"] = reached
            print(
                f"{curve_set} σ={curve_sigma}: {anchor} ({target:.2f} dB) "
                + (
                    f"passed after {reached:.1f} {clock_name}"
                    if reached is not None
                    else f"not passed in {curve[-1]['minutes']:.1f} {clock_name} "
                    f"(best {max(p['psnr'] for p in curve):.2f} dB)"
                )
            )
    baseline = None if gray else COLOUR_BASELINE
    for name, images in tests.items():
        for k, sigma in enumerate(SIGMAS):
            if sigma not in sigmas:
                continue
            noisy, ours, classical = evaluate(model, images, sigma, args.seed, baseline)
            row = {"set": name, "sigma": sigma, "noisy": noisy, "U-Net (ours)": ours}
            if baseline:
                row[f"{baseline} (OpenCV)"] = classical
                results[f"{name}_sigma{sigma}_{baseline}"] = classical
            row.update({m: v[k] for m, v in PUBLISHED.get(name, {}).items()})
            rows.append(row)
            results[f"{name}_sigma{sigma}"] = ours
    print(report.format_table(rows))
    for name, anchor in (("BSD68", "BM3D"), ("Kodak24", "CBM3D")):
        if f"{name}_sigma25" in results:
            ours, published = results[f"{name}_sigma25"], PUBLISHED[name][anchor][1]
            print(
                f"{name} σ=25: {ours:.2f} dB, {ours - published:+.2f} dB vs {anchor} "
                f"({published:.2f})"
            )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
