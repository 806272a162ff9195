"""Benchmark the datasets capability: synthetic generation time and loader throughput.

    python bench/datasets.py [--out /tmp/ssl_keras_bench] [--json]

Generates each smoke-size synthetic set (a few hundred 64-128 px images) from scratch and
times it ("files" counts images plus label PNGs), then reads the real samples in
``../shared/data`` (when present) through the loaders and reports images per second (one
full pass, unbatched, after one warm-up element).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from ssl_keras.datasets import camvid, classfolders, coco, denoise_sets, mvtec, synthetic

SHARED = Path(
    os.environ.get("SSL_KERAS_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)

GENERATORS = {
    "toy_pets 64px (200+100 /class, 400 pool)": lambda r: synthetic.toy_pets(r, 200, 100, 400, 64),
    "street_scenes 96x128 (96/24/24)": lambda r: synthetic.street_scenes(r, 96, 24, 24, (96, 128)),
    "carla_scenes 96x128 (96)": lambda r: synthetic.carla_scenes(r, 96, (96, 128)),
    "mvtec_like 128px (2 cat. x 114)": lambda r: synthetic.mvtec_like(r, size=128),
    "coco_instances 96x128 (64/16)": lambda r: synthetic.coco_instances(r, 64, 16, (96, 128)),
    "photo_crops 64px (256)": lambda r: synthetic.photo_crops(r, 256, 64),
}


def _count_images(folder: Path) -> int:
    return sum(1 for p in folder.rglob("*") if p.suffix in (".png", ".jpg"))


def _throughput(ds) -> tuple[int, float]:
    iterator = iter(ds)
    next(iterator)  # warm-up: graph tracing, thread pool start
    start, count = time.perf_counter(), 1
    for _ in iterator:
        count += 1
    return count, (count - 1) / max(time.perf_counter() - start, 1e-9)


def loaders(cache: Path) -> dict:
    cats = SHARED / "cats_turtles" / "cat_web"
    turtles = [
        SHARED / "cats_turtles" / "turtle_roboflow" / s / "images"
        for s in ("train", "valid", "test")
    ]
    return {
        "camvid_segnet val 360x480 → 180x240": (
            "camvid_segnet",
            lambda: camvid.camvid_dataset(SHARED / "camvid_segnet", "val", (180, 240)),
        ),
        "camvid_segnet train native 360x480": (
            "camvid_segnet",
            lambda: camvid.camvid_dataset(SHARED / "camvid_segnet", "train"),
        ),
        "mvtec grid test 1024² gray → 256²": (
            "mvtec_ad",
            lambda: mvtec.mvtec_dataset(SHARED / "mvtec_ad", "grid", "test", 256),
        ),
        "coco_mini fg masks → 128² (masks cached)": (
            "coco_mini",
            lambda: coco.coco_dataset(
                SHARED / "coco_mini", "val2017", 128, cache_dir=cache / "coco"
            )[0],
        ),
        "cats+turtles web photos → 128²": (
            "cats_turtles",
            lambda: classfolders.class_folder_dataset({"cat": cats, "turtle": turtles}, 128)[0],
        ),
        "BSD68 gray native": (
            "denoise/BSD68",
            lambda: denoise_sets.denoise_dataset(SHARED / "denoise" / "BSD68", gray=True),
        ),
        "Train400 gray 180² random crop 64²": (
            "denoise/Train400",
            lambda: denoise_sets.denoise_dataset(
                SHARED / "denoise" / "Train400", 64, "random_crop", gray=True
            ),
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", default=None, help="folder for generated sets (default: a temp folder)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    out = Path(args.out or tempfile.mkdtemp(prefix="ssl_keras_bench_"))
    rows = []
    for name, make in GENERATORS.items():
        root = out / name.split()[0]
        shutil.rmtree(root, ignore_errors=True)
        start = time.perf_counter()
        make(root)
        seconds = time.perf_counter() - start
        images = _count_images(root)
        rows.append(
            {
                "task": f"generate {name}",
                "images": images,
                "seconds": seconds,
                "img_per_s": images / seconds,
            }
        )
    for name, (needs, build) in loaders(out).items():
        if not (SHARED / needs).exists():
            rows.append(
                {
                    "task": f"load {name}",
                    "images": 0,
                    "seconds": float("nan"),
                    "img_per_s": float("nan"),
                }
            )
            continue
        start = time.perf_counter()
        ds = build()
        setup = time.perf_counter() - start
        count, rate = _throughput(ds)
        rows.append({"task": f"load {name}", "images": count, "seconds": setup, "img_per_s": rate})
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    print(f"{'task':<58} {'files':>7} {'setup/gen s':>11} {'img/s':>8}")
    for row in rows:
        print(
            f"{row['task']:<58} {row['images']:>7} {row['seconds']:>11.2f} {row['img_per_s']:>8.1f}"
        )
    print(f"(CPU threads: {os.cpu_count()}; generated sets in {out})")


if __name__ == "__main__":
    main()
