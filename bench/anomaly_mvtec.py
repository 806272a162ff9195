"""Benchmark the anomaly pipeline: image and pixel AUROC, training time, per category.

    python bench/anomaly_mvtec.py [--size 64] [--epochs 8] [--steps 40] [--json]

Trains the 3-class pretext model (``ssl_keras.anomaly.run_category``) on each synthetic
MVTec-layout category (generated into a temporary folder: 200 train, 30 good + 3×10 defect
test images) and on the real MVTec AD ``grid`` sample in ``../shared/data/mvtec_ad`` when
present. That sample is tiny (25 train, 3 good + 11 defective test images), so its AUROC
rests on 33 good/defect pairs: read it as a smoke check of the real format, not as a score.
Published context: CutPaste 3-way averages 95.2 image AUROC over MVTec AD (grid 99.9).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import ssl_keras  # noqa: F401  (quiets TensorFlow's start-up logging)
from ssl_keras import anomaly, report, runtime
from ssl_keras.datasets import synthetic

SHARED = Path(
    os.environ.get("SSL_KERAS_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=64, help="image side in pixels")
    parser.add_argument("--grid-size", type=int, default=128, help="image side for real grid")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--steps", type=int, default=40, help="steps per epoch")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    runtime.setup(seed=42)

    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        root = synthetic.mvtec_like(
            Path(tmp) / "anomaly", n_train=200, n_test_good=30, n_test_defect=10, size=128
        )
        print(f"generated synthetic categories in {time.perf_counter() - start:.1f} s", flush=True)
        for category in ("weave", "cap"):
            runs.append(("synthetic", root, category, args.size))
        if (SHARED / "mvtec_ad" / "grid").is_dir():
            runs.append(("real sample", SHARED / "mvtec_ad", "grid", args.grid_size))
        else:
            print(f"real MVTec AD sample not found at {SHARED / 'mvtec_ad'}: skipped")
        rows = []
        for source, folder, category, size in runs:
            # The real sample has only 25 good training images: hold out none, so the
            # threshold columns stay empty rather than resting on 5 images.
            holdout = 0.0 if source == "real sample" else 0.2
            result = anomaly.run_category(
                folder,
                category,
                size=size,
                epochs=args.epochs,
                steps_per_epoch=args.steps,
                holdout=holdout,
            )
            m = result.metrics
            rows.append(
                {
                    "category": category,
                    "data": source,
                    "px": size,
                    "train": m["n_train"],
                    "test good/defect": f"{m['n_test_good']}/{m['n_test_defect']}",
                    "image AUROC": m["image_auroc"],
                    "pixel AUROC": m["pixel_auroc"],
                    "pretext acc": m.get("pretext_accuracy", float("nan")),
                    "recall@95%good": m.get("recall", float("nan")),
                    "train s": m["train_seconds"],
                }
            )
            print(f"{category}: {m}", flush=True)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(report.format_table(rows, digits=3))


if __name__ == "__main__":
    main()
