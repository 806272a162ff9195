"""Noisy-pair throughput: the package's tf.data pipeline vs a plain Python loop.

Both read the same JPEG files from disk, cut a random crop, add Gaussian noise and yield
batches of (noisy, clean) float32 pairs. Printed per crop size:

* python loop — cv2.imread + NumPy per image, as a first attempt would be written;
* tf.data, first epoch — files read and decoded in parallel;
* tf.data, later epochs — the package default (`cache=True`) keeps the decoded uint8 images
  in memory, so only the crop, the conversion to float and the noise are recomputed.

Later epochs report the median over epochs 2…N (each epoch is short, so one is noisy).
Target: tf.data ≥ 5× the loop and ≥ 1,000 img/s at 128 px on 2 cores.

    python bench/pipeline.py [--files 512] [--epochs 8] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from functools import partial

import cv2
import numpy as np
import tensorflow as tf

import ssl_keras  # noqa: F401  (quiets TensorFlow logging)
from ssl_keras import pipelines
from ssl_keras.datasets import photos

SOURCE_SIDE = 256


def write_files(folder: str, count: int, seed: int = 0) -> list[str]:
    """``count`` JPEG files of SOURCE_SIDE² random crops of the bundled photographs."""
    rng = np.random.default_rng(seed)
    images = list(photos.photos(photos.COLOR_PHOTOS + photos.GRAY_PHOTOS).values())
    paths = []
    for i in range(count):
        image = images[i % len(images)]
        y = rng.integers(0, image.shape[0] - SOURCE_SIDE + 1)
        x = rng.integers(0, image.shape[1] - SOURCE_SIDE + 1)
        crop = np.round(image[y : y + SOURCE_SIDE, x : x + SOURCE_SIDE] * 255).astype(np.uint8)
        path = os.path.join(folder, f"{i:05d}.jpg")
        cv2.imwrite(path, cv2.cvtColor(crop, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 90])
        paths.append(path)
    return paths


def python_loop(paths: list[str], size: int, batch: int, sigma: float, seed: int):
    rng = np.random.default_rng(seed)
    noisy, clean = [], []
    for path in paths:
        image = cv2.cvtColor(cv2.imread(path), cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0
        y = rng.integers(0, image.shape[0] - size + 1)
        x = rng.integers(0, image.shape[1] - size + 1)
        crop = image[y : y + size, x : x + size]
        clean.append(crop)
        noisy.append(np.clip(crop + rng.normal(0.0, sigma, crop.shape), 0, 1).astype(np.float32))
        if len(clean) == batch:
            yield np.stack(noisy), np.stack(clean)
            noisy, clean = [], []


def timed_epochs(make_iterable, epochs: int) -> list[float]:
    """Images per second of each epoch."""
    rates = []
    for _ in range(epochs):
        start, count = time.perf_counter(), 0
        for noisy, _clean in make_iterable():
            count += int(noisy.shape[0])
        rates.append(count / (time.perf_counter() - start))
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=512)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    sigma = 25 / 255
    results = []
    with tempfile.TemporaryDirectory() as folder:
        paths = write_files(folder, args.files)
        for size in (64, 128):
            loop = timed_epochs(
                partial(python_loop, paths, size, args.batch, sigma, 0), args.epochs
            )
            clean = pipelines.image_dataset(paths, size, mode="random_crop", seed=0)
            ds = pipelines.noisy_batches(clean, args.batch, "gaussian", sigma, seed=0)
            rates = timed_epochs(partial(iter, ds), args.epochs)
            results.append(
                {
                    "size": size,
                    "python_loop_img_s": float(np.median(loop)),
                    "tfdata_first_epoch_img_s": rates[0],
                    "tfdata_cached_img_s": float(np.median(rates[1:])),
                }
            )
    print(
        f"{args.files} JPEG files of {SOURCE_SIDE}², batch {args.batch}, Gaussian σ=25/255, "
        f"{os.cpu_count()} CPU cores, TF {tf.__version__}"
    )
    print(
        f"{'crop':>5}  {'python loop':>12}  {'tf.data 1st':>12}  {'tf.data cached':>15}  "
        f"{'ratio 1st':>9}  {'ratio cached':>12}"
    )
    for r in results:
        print(
            f"{r['size']:>4}²  {r['python_loop_img_s']:>8.0f} img/s  "
            f"{r['tfdata_first_epoch_img_s']:>8.0f} img/s  {r['tfdata_cached_img_s']:>11.0f} img/s  "
            f"{r['tfdata_first_epoch_img_s'] / r['python_loop_img_s']:>8.1f}×  "
            f"{r['tfdata_cached_img_s'] / r['python_loop_img_s']:>11.1f}×"
        )
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=2)


if __name__ == "__main__":
    main()
