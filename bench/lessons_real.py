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
records as JSON (``--json``). ``--minutes`` is each lesson's budget; ``NAME=MINUTES`` items give one lesson its own.

    .venv/bin/python bench/lessons_real.py --lessons 04 --minutes 10 --json scoreboard.json

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


def lesson_minutes(items: Sequence[str], names: Sequence[str], error) -> dict[str, float]:
    """``--minutes`` items → ``{lesson: minutes}`` for ``names``: a bare number sets every
    lesson's budget (default 10), ``NAME=MINUTES`` one lesson's. Calls ``error(message)`` for
    a value that is not a positive number or a name that is not a lesson."""
    default, single = 10.0, {}
    for item in items:
        name, _, value = item.rpartition("=")
        try:
            minutes = float(value)
        except ValueError:
            minutes = math.nan
        if not minutes > 0 or not math.isfinite(minutes):
            error(f"--minutes takes positive numbers or NAME=MINUTES items, got {item!r}.")
        if name and name not in LESSONS:
            error(f"--minutes names lesson {name!r}, which is not one of {sorted(LESSONS)}.")
        if name:
            single[name] = minutes
        else:
            default = minutes
    return {name: single.get(name, default) for name in names}


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
    parser.add_argument("--seeds", type=int, default=5, help="seeds of each repeated run (≥ 2)")
    parser.add_argument("--data", type=Path, default=default_data(), help="real-sample root")
    parser.add_argument("--json", type=Path, default=None, help="write all records here")
    parser.add_argument(
        "--markdown", type=Path, default=None, help="write the scoreboard table (Markdown) here"
    )
    args = parser.parse_args(argv)
    if args.seeds < 2:
        parser.error(f"--seeds must be ≥ 2 for an interval, got {args.seeds}.")
    unknown = [name for name in args.lessons if name not in LESSONS]
    if unknown:
        parser.error(f"Unknown lesson(s) {unknown}; choose from {sorted(LESSONS)}.")
    args.minutes = lesson_minutes(args.minutes, args.lessons, parser.error)
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
                args.data, args.minutes[name], tuple(range(args.seeds)), Path(workdir)
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
