"""The notebook suite in the smoke profile: wall time and peak memory of every notebook.

Executes each notebook in a fresh process and kernel (``tools/run_notebooks.py``), writing the
executed copies to a temporary folder so the committed notebooks stay untouched, and prints
one row per notebook with its wall time, its kernel's CPU time (and how many cores that kept
busy on average), the peak resident memory of its kernel and its headline metrics, then the
three slowest cells of each, then the goals:

* every notebook ≤ 3 minutes on 2 CPU cores,
* the whole suite ≤ 15 minutes,
* peak memory ≤ 4 GB per notebook.

The notebooks run in order, because 03–05 reuse the denoiser that 02 saves under
``artifacts/``. Timings include kernel start and imports (~5 s each).

``--seed N`` runs every notebook with its ``SEED`` line set to ``N`` (the seed of its data
split, initial weights and batch order), and ``--precision`` sets ``SSL_KERAS_PRECISION`` for
the kernels, so the same script measures a lesson's spread over seeds and compares float32
with bfloat16 on one machine. Give each such run its own ``SSL_KERAS_HOME``, so no run
reuses the data or models another one generated or trained.

    python bench/notebooks.py [notebooks/0[1-3]*.ipynb] [--json out.json]
    SSL_KERAS_HOME=/tmp/s1 python bench/notebooks.py --seed 1 --precision mixed_bfloat16
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))  # tools/ is a folder of scripts, not a package

import run_notebooks  # noqa: E402

from ssl_keras import runtime  # noqa: E402

GOAL_EACH_S = 180
GOAL_SUITE_S = 900
GOAL_PEAK_MB = 4096


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "notebooks", nargs="*", type=Path, default=sorted((ROOT / "notebooks").glob("*.ipynb"))
    )
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--seed", type=int, help="run every notebook with SEED = this")
    parser.add_argument(
        "--precision",
        choices=runtime.PRECISIONS,
        help=f"set {runtime.PRECISION_VAR} for the notebooks (default: as the environment says)",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("SSL_KERAS_PROFILE", "smoke")
    if args.precision:
        os.environ[runtime.PRECISION_VAR] = args.precision
    print(
        f"profile {os.environ['SSL_KERAS_PROFILE']}, {os.cpu_count()} CPU cores "
        f"({runtime.cpu_name()}), {len(args.notebooks)} notebooks, seed "
        f"{'as committed' if args.seed is None else args.seed}, precision "
        f"{os.environ.get(runtime.PRECISION_VAR, 'unset')}",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as folder:
        rows = run_notebooks.run_all(args.notebooks, args.timeout, Path(folder), args.seed)
    print()
    run_notebooks.print_table(rows)
    print()
    run_notebooks.print_slowest(rows)
    total = sum(outcome["seconds"] for _, outcome in rows)
    slow = [name for name, o in rows if not o["seconds"] <= GOAL_EACH_S]
    heavy = [name for name, o in rows if not o["peak_mb"] <= GOAL_PEAK_MB]
    print()
    print(f"each ≤ {GOAL_EACH_S} s: {'met' if not slow else 'NOT met: ' + ', '.join(slow)}")
    print(
        f"suite ≤ {GOAL_SUITE_S} s: {'met' if total <= GOAL_SUITE_S else 'NOT met'} ({total:.0f} s)"
    )
    print(f"peak ≤ {GOAL_PEAK_MB} MB: {'met' if not heavy else 'NOT met: ' + ', '.join(heavy)}")
    if args.json:
        args.json.write_text(json.dumps(dict(rows), indent=2) + "\n")
    return 0 if all(o["status"] == "ok" for _, o in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
