"""Classical Gaussian-denoising benchmark: the package's U-Net on BSD68 and Set12.

Protocol (as in the DnCNN / FFDNet / DRUNet papers): train on 400 gray BSD images
(``Train400``), test on BSD68 and Set12 with additive white Gaussian noise σ = 15, 25, 50
(in 0–255 units) that is *not* clipped; PSNR of the clipped output against the clean image.

The model is :func:`ssl_keras.models.unet` with one gray channel, **residual** (output =
input + a learned correction, head initialised at zero, as DnCNN predicts the noise). By
default it is trained *blind* on σ drawn uniformly from [0, 55] per patch, so one model serves
all three levels (as DnCNN-B); ``--sigma 25`` trains for one level only (as DnCNN-S, whose
published numbers are per-level models) and evaluates that level. Training runs for a
wall-clock budget with a cosine learning-rate decay over the budget (time-based, so the
schedule ends when the budget does whatever the machine's speed). XLA is on (``jit_compile``;
no op determinism here). The CPU time of the process is printed beside the wall time.

    .venv/bin/python bench/denoise_bsd68.py --minutes 10
    .venv/bin/python bench/denoise_bsd68.py --minutes 30 --sigma 25 --json out.json

Data: ``$SSL_KERAS_SHARED_DATA/denoise`` or ``../shared/data/denoise`` beside the checkout
(``--data`` to choose), holding ``Train400/``, ``BSD68/`` and ``Set12/`` image folders.
"""

from __future__ import annotations

import argparse
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
from ssl_keras import metrics, models, noise, report
from ssl_keras.datasets import denoise

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
}


def default_data() -> Path:
    env = os.environ.get("SSL_KERAS_SHARED_DATA")
    base = Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"
    return base / "denoise"


def load_gray(folder: Path) -> list[np.ndarray]:
    """Every image of ``folder`` as float32 ``(H, W, 1)`` in [0, 1] (exact for gray files)."""
    ds = denoise.denoise_dataset(folder, gray=True)
    return [image.numpy() for image in ds]


def training_batches(
    images: list[np.ndarray],
    patch: int,
    batch_size: int,
    sigma_range: tuple[float, float],
    seed: int,
) -> tf.data.Dataset:
    """Endless ``(noisy, clean)`` batches of random ``patch``² crops with random flips and
    unclipped Gaussian noise of σ ~ U[sigma_range] (0–255 units) per crop."""
    # Train400 images are all 180×180; crop every image to the smallest one's size to stack.
    height = min(image.shape[0] for image in images)
    width = min(image.shape[1] for image in images)
    stacked = np.stack([image[:height, :width] for image in images])
    ds = tf.data.Dataset.from_tensor_slices(stacked).cache().repeat()

    def crop(index, image):
        seeds = tf.random.experimental.stateless_split(tf.stack([seed, index]), 4)
        x = tf.image.stateless_random_crop(image, (patch, patch, 1), seed=seeds[0])
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
    """Stop training after ``seconds``; the learning rate follows a cosine from its initial
    value to 1 % of it over the budget, by elapsed time."""

    def __init__(self, seconds: float, initial_rate: float):
        super().__init__()
        self.seconds, self.initial_rate = seconds, initial_rate
        self.start = 0.0
        self.steps = 0

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def on_train_batch_begin(self, batch, logs=None):
        done = min((time.perf_counter() - self.start) / self.seconds, 1.0)
        factor = 0.01 + 0.99 * 0.5 * (1.0 + math.cos(math.pi * done))
        self.model.optimizer.learning_rate.assign(self.initial_rate * factor)

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        if time.perf_counter() - self.start > self.seconds:
            self.model.stop_training = True


def evaluate(model: keras.Model, images: list[np.ndarray], sigma: float, seed: int) -> tuple:
    """Mean PSNR (dB) of noisy input (clipped for the metric only) and of the denoised output."""
    noisy_scores, denoised_scores = [], []
    for i, clean in enumerate(images):
        rng = np.random.default_rng([seed, int(sigma), i])
        noisy = clean + (sigma / 255.0) * rng.standard_normal(clean.shape).astype(np.float32)
        output = np.clip(model.predict(noisy[None], verbose=0)[0], 0.0, 1.0)
        noisy_scores.append(float(metrics.psnr(np.clip(noisy, 0.0, 1.0), clean)))
        denoised_scores.append(float(metrics.psnr(output, clean)))
    return float(np.mean(noisy_scores)), float(np.mean(denoised_scores))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, required=True, help="training wall-clock budget")
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
    args = parser.parse_args(argv)
    for name in ("Train400", "BSD68", "Set12"):
        if not (args.data / name).is_dir():
            parser.error(f"{args.data / name} not found; pass --data <folder with {name}/>")

    keras.utils.set_random_seed(args.seed)
    train = load_gray(args.data / "Train400")
    tests = {name: load_gray(args.data / name) for name in ("BSD68", "Set12")}
    print(
        f"Train400: {len(train)} images; BSD68: {len(tests['BSD68'])}; Set12: "
        f"{len(tests['Set12'])}; {os.cpu_count()} CPUs",
        flush=True,
    )
    model = models.unet(
        (None, None, 1),
        depth=args.depth,
        base_filters=args.base_filters,
        output_channels=1,
        output_activation=None,
        residual=True,
        name="gray_denoiser",
    )
    head = model.get_layer("head")
    head.kernel.assign(tf.zeros_like(head.kernel))
    model.compile(optimizer=keras.optimizers.Adam(args.learning_rate), loss="mse", jit_compile=True)
    print(f"U-Net depth {args.depth}, base {args.base_filters}: {models.count_params(model)}")
    sigma_range = (args.sigma, args.sigma) if args.sigma else (0.0, args.max_sigma)
    sigmas = (args.sigma,) if args.sigma else SIGMAS
    budget = TimeBudget(args.minutes * 60.0, args.learning_rate)
    start, cpu_start = time.perf_counter(), time.process_time()
    history = model.fit(
        training_batches(train, args.patch, args.batch_size, sigma_range, args.seed),
        epochs=10**6,
        steps_per_epoch=100,
        callbacks=[budget],
        verbose=0,
    )
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    losses = history.history["loss"]
    noise_kind = f"σ={args.sigma}" if args.sigma else f"blind σ∈[0, {args.max_sigma:g}]"
    print(
        f"trained ({noise_kind}) {budget.steps} steps of {args.batch_size}×{args.patch}² "
        f"patches in {seconds / 60:.1f} wall-min ({cpu_seconds / 60:.1f} CPU-min); "
        f"loss {losses[0]:.5f} → {losses[-1]:.5f}",
        flush=True,
    )
    if args.save:
        model.save(args.save)

    rows = []
    results = {
        "steps": budget.steps,
        "minutes": seconds / 60,
        "cpu_minutes": cpu_seconds / 60,
        "args": vars(args),
    }
    for name, images in tests.items():
        for k, sigma in enumerate(SIGMAS):
            if sigma not in sigmas:
                continue
            noisy, ours = evaluate(model, images, sigma, args.seed)
            row = {"set": name, "sigma": sigma, "noisy": noisy, "U-Net (ours)": ours}
            row.update({m: v[k] for m, v in PUBLISHED[name].items()})
            rows.append(row)
            results[f"{name}_sigma{sigma}"] = ours
    print(report.format_table(rows))
    if "BSD68_sigma25" in results:
        gap = results["BSD68_sigma25"] - PUBLISHED["BSD68"]["BM3D"][1]
        print(f"BSD68 σ=25: {results['BSD68_sigma25']:.2f} dB, {gap:+.2f} dB vs BM3D (28.57)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
