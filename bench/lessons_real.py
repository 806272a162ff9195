"""The scoreboard: each notebook's recipe run on real images, beside a trivial baseline and
the published number.

Every lesson is one module of ``bench/scoreboard/`` whose function, registered in
``scoreboard.frame.LESSONS``, runs the notebook's own package calls on
the real samples (``../shared/data`` beside the checkout, ``$SSL_KERAS_SHARED_DATA``, or
``--data``) and returns a record::

    {"lesson", "title", "data": {what and how many real images},
     "ours": {"method", "metric", "mean", "half", "std", "n"},
     "baselines": {name: {"mean", "half", "std", "n"}},
     "anchor": {"value", "source", "compute"} or {"value": None, "why"},
     "details": {...}, "budget_min", "cpu", "wall_s", "cpu_s"}

``half`` is the half-width of the 95 % Student-t interval over ``n`` seeds
(:func:`ssl_keras.report.seed_stats`). The script prints one table per lesson and writes all
records as JSON (``--json``). ``--minutes`` is each lesson's budget and ``--seeds`` its number of seeds; ``NAME=VALUE`` items
give one lesson its own.

    .venv/bin/python bench/lessons_real.py --lessons 04 --minutes 10 --json scoreboard.json
    .venv/bin/python bench/lessons_real.py --minutes 8 02-gray=36 --seeds 5 02-gray=3

Lessons (each module's docstring gives the protocol):

* ``02-gray`` / ``02-colour`` (``scoreboard/denoise.py``): AWGN σ 25 on BSD68 and Set12 /
  Kodak24, notebook 02's residual U-Net (``bench/denoise_bsd68.py``'s training);
* ``04`` (``scoreboard/cats_turtles.py``): cat vs turtle with both classes gray;
* ``05`` (``scoreboard/colorize.py``): colorization trained on CamVid + COCO-mini, tested on
  Kodak24;
* ``06`` (``scoreboard/grid.py``): MVTec AD grid at 256 px;
* ``07`` (``scoreboard/camvid.py``): CamVid mIoU at the labels' 360×480;
* ``08`` (``scoreboard/coco.py``): COCO-mini foreground Dice.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import ssl_keras  # noqa: F401  (first: quiets TensorFlow's start-up logging)
from ssl_keras import runtime

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/ is a folder of scripts

from scoreboard import LESSONS  # noqa: E402  (registers every lesson)
from scoreboard.frame import (  # noqa: E402
    Context,
    default_data,
    format_record,
    markdown,
    run_lesson,
    write_json,
)


def lesson_values(
    items: Sequence[str], names: Sequence[str], error, *, default: float, option: str, whole: bool
) -> dict[str, float | int]:
    """``--minutes`` / ``--seeds`` items → ``{lesson: value}`` for ``names``: a bare number
    sets every lesson's value (else ``default``), ``NAME=VALUE`` one lesson's. Calls
    ``error(message)`` for a value that is not a positive number (a whole one ≥ 2 when
    ``whole``, as seeds must be for an interval) or a name that is not a lesson."""
    single = {}
    for item in items:
        name, _, text = item.rpartition("=")
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        valid = value > 0 and math.isfinite(value)
        if whole:
            valid = valid and value == int(value) and value >= 2
        if not valid:
            wanted = "whole numbers ≥ 2" if whole else "positive numbers"
            error(f"{option} takes {wanted} or NAME=VALUE items, got {item!r}.")
        if name and name not in LESSONS:
            error(f"{option} names lesson {name!r}, which is not one of {sorted(LESSONS)}.")
        if name:
            single[name] = value
        else:
            default = value
    cast = int if whole else float
    return {name: cast(single.get(name, default)) for name in names}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--lessons",
        nargs="+",
        default=sorted(LESSONS),
        help=f"which lessons to run, any of {' '.join(sorted(LESSONS))} (default: all)",
    )
    parser.add_argument(
        "--minutes",
        nargs="+",
        default=["10"],
        help="budget of each lesson in minutes, then NAME=MINUTES items for single lessons "
        "(e.g. --minutes 10 02-gray=30)",
    )
    parser.add_argument(
        "--seeds",
        nargs="+",
        default=["5"],
        help="seeds of each lesson's repeated runs (≥ 2), then NAME=N items for single "
        "lessons (e.g. --seeds 5 02-gray=3)",
    )
    parser.add_argument("--data", type=Path, default=default_data(), help="real-sample root")
    parser.add_argument("--json", type=Path, default=None, help="write all records here")
    parser.add_argument(
        "--markdown", type=Path, default=None, help="write the scoreboard table (Markdown) here"
    )
    args = parser.parse_args(argv)
    unknown = [name for name in args.lessons if name not in LESSONS]
    if unknown:
        parser.error(f"Unknown lesson(s) {unknown}; choose from {sorted(LESSONS)}.")
    args.minutes = lesson_values(
        args.minutes, args.lessons, parser.error, default=10.0, option="--minutes", whole=False
    )
    args.seeds = lesson_values(
        args.seeds, args.lessons, parser.error, default=5, option="--seeds", whole=True
    )
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
            context = Context(
                args.data, args.minutes[name], tuple(range(args.seeds[name])), Path(workdir)
            )
            record = run_lesson(name, context)
        print(format_record(record), flush=True)
        records.append(record)
        if args.json is not None:  # after each lesson, so a later failure keeps the earlier
            write_json(records, args.json)
        if args.markdown is not None:
            args.markdown.write_text(markdown(records), encoding="utf-8")
    return records


if __name__ == "__main__":
    main(sys.argv[1:])
