"""Execute notebooks and print a table: notebook, status, wall time, CPU time, peak memory,
headline metrics; then each notebook's slowest cells.

Used by ``make run`` (in place) and ``bench/notebooks.py`` (copies in another folder). Each
notebook runs in a fresh process with its own kernel, the notebook's folder as the working
directory, so the peak resident memory reported is that notebook's kernel alone. Headline
metrics are the ``artifacts/results/<notebook>.json`` its results cell writes
(``ssl_keras.report.record_results``).

    python tools/run_notebooks.py notebooks/*.ipynb [--out executed/] [--timeout 1800]
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from ssl_keras import paths


def _children_usage() -> tuple[float, float]:
    """CPU seconds and peak resident memory (MB) of this process's finished children: here,
    the notebook's kernel."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0


def _first_line(source: str) -> str:
    """The first line of a cell that is not a comment (cells open with NBVAL markers)."""
    lines = [line.strip() for line in source.splitlines()]
    code = [line for line in lines if line and not line.startswith("#")]
    return (code or lines or [""])[0]


TIMING_KEYS = ("iopub.execute_input", "shell.execute_reply")


def cell_seconds(notebook: nbformat.NotebookNode) -> list[tuple[int, float, str]]:
    """``(index, seconds, first line)`` of every executed code cell, slowest first, from the
    times nbclient records in each cell's metadata (``iopub.execute_input`` to
    ``shell.execute_reply``); cells without both are left out."""
    timed = []
    for index, cell in enumerate(notebook.cells):
        execution = cell.get("metadata", {}).get("execution", {})
        if cell.cell_type != "code" or not all(key in execution for key in TIMING_KEYS):
            continue
        start, end = (
            datetime.fromisoformat(execution[key].replace("Z", "+00:00")) for key in TIMING_KEYS
        )
        timed.append((index, (end - start).total_seconds(), _first_line(cell.source)))
    return sorted(timed, key=lambda row: -row[1])


def move_stderr(notebook: nbformat.NotebookNode, name: str) -> int:
    """Take the stderr streams out of the executed ``notebook`` and print them to this
    process's stderr instead; return how many were moved.

    TensorFlow's C++ runtime writes lines such as the oneDNN notice (on CPUs where oneDNN's
    custom operations are on) before any Python logging setting can reach it, so they differ
    between machines; nbval does not compare stderr, and the stored notebooks keep none.
    """
    moved = 0
    for index, cell in enumerate(notebook.cells):
        kept = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                print(f"[{name} cell {index} stderr] {output['text'].rstrip()}", file=sys.stderr)
                moved += 1
            else:
                kept.append(output)
        if "outputs" in cell:
            cell["outputs"] = kept
    return moved


SEED_LINE = re.compile(r"^SEED = \d+", re.MULTILINE)


def set_seed(notebook: nbformat.NotebookNode, seed: int, name: str) -> None:
    """Replace the notebook's ``SEED = <n>`` line (the first code cell that has one) by
    ``SEED = seed``, so one notebook can be run over several seeds without editing it."""
    for cell in notebook.cells:
        if cell.cell_type == "code" and SEED_LINE.search(cell.source):
            cell.source = SEED_LINE.sub(f"SEED = {seed}", cell.source, count=1)
            return
    raise ValueError(f"{name} has no 'SEED = <n>' line in a code cell; it cannot take --seed.")


def run_notebook(
    path: Path, timeout: int, out: Path | None = None, seed: int | None = None
) -> dict:
    """Execute ``path``; write it back in place, or to ``out`` when given. Return status,
    wall seconds, the kernel's CPU seconds, peak kernel memory (MB), the three slowest cells
    (:func:`cell_seconds`) and the recorded headline metrics. ``seed`` replaces the
    notebook's ``SEED`` (:func:`set_seed`); the notebook then runs from its own folder as
    always, and is written only to ``out``."""
    if seed is not None and out is None:
        raise ValueError("a notebook run with another seed must be written to --out")
    results_file = paths.artifacts_dir("results") / f"{path.stem}.json"
    results_file.unlink(missing_ok=True)
    notebook = nbformat.read(path, as_version=4)
    if seed is not None:
        set_seed(notebook, seed, path.name)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent.resolve())}},
    )
    start = time.perf_counter()
    status = "ok"
    try:
        client.execute()
    except CellExecutionError as error:
        status = "FAILED"
        print(f"\n{path.name} failed:\n{str(error)[-3000:]}", file=sys.stderr)
    seconds = time.perf_counter() - start
    move_stderr(notebook, path.name)
    nbformat.write(notebook, out if out is not None else path)
    metrics = json.loads(results_file.read_text()) if results_file.exists() else {}
    cpu_s, peak_mb = _children_usage()
    return {
        "status": status,
        "seconds": seconds,
        "cpu_s": cpu_s,
        "peak_mb": peak_mb,
        "slowest": cell_seconds(notebook)[:3],
        "metrics": metrics,
    }


def run_in_child(
    path: Path, timeout: int, out: Path | None = None, seed: int | None = None
) -> dict:
    """:func:`run_notebook` in a fresh Python process, so memory peaks are per notebook."""
    command = [sys.executable, __file__, str(path), "--timeout", str(timeout), "--single"]
    if out is not None:
        command += ["--out", str(out)]
    if seed is not None:
        command += ["--seed", str(seed)]
    finished = subprocess.run(command, stdout=subprocess.PIPE, text=True)
    lines = finished.stdout.strip().splitlines()
    try:  # the child prints its outcome last, also when a cell failed
        return json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):  # it crashed before that
        nan = float("nan")
        return {"status": "FAILED", "seconds": nan, "cpu_s": nan, "peak_mb": nan, "metrics": {}}


def print_table(rows: list[tuple[str, dict]]) -> None:
    """One row per notebook; "cores" is the kernel's CPU time over the wall time (2.0: both
    cores of a 2-core machine busy throughout)."""
    print(
        f"{'notebook':<34} {'status':<7} {'wall':>7} {'CPU':>7} {'cores':>5}  {'peak RSS':>9}  "
        "headline metrics"
    )
    for name, outcome in rows:
        metrics = ", ".join(f"{k}={v}" for k, v in outcome["metrics"].items()) or "-"
        cpu = outcome.get("cpu_s", float("nan"))
        print(
            f"{name:<34} {outcome['status']:<7} {outcome['seconds']:>6.0f}s {cpu:>6.0f}s "
            f"{cpu / outcome['seconds']:>5.2f}  {outcome['peak_mb']:>7.0f}MB  {metrics}"
        )
    total = sum(outcome["seconds"] for _, outcome in rows)
    cpu_total = sum(outcome.get("cpu_s", float("nan")) for _, outcome in rows)
    print(f"{'total':<34} {'':<7} {total:>6.0f}s {cpu_total:>6.0f}s {cpu_total / total:>5.2f}")


def print_slowest(rows: list[tuple[str, dict]]) -> None:
    """Each notebook's slowest cells: index, seconds, share of the notebook's wall time and
    the cell's first line of code."""
    print("slowest cells (cell index, wall seconds, share of the notebook, first line):")
    for name, outcome in rows:
        for index, seconds, line in outcome.get("slowest", []):
            share = seconds / outcome["seconds"]
            print(f"  {name[:2]} cell {index:>2} {seconds:>6.0f}s {share:>4.0%}  {line[:60]}")


def run_all(
    notebooks: list[Path], timeout: int, out: Path | None = None, seed: int | None = None
) -> list[tuple[str, dict]]:
    """Run each notebook in its own process, in name order; print progress as it goes."""
    rows = []
    for path in sorted(notebooks):
        print(f"running {path.name} ...", flush=True)
        target = out / path.name if out is not None else None
        outcome = run_in_child(path, timeout, target, seed)
        rows.append((path.name, outcome))
        print(f"  {outcome['status']} in {outcome['seconds']:.0f} s", flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    parser.add_argument("--out", type=Path, help="write executed copies here (default: in place)")
    parser.add_argument("--seed", type=int, help="replace each notebook's SEED (needs --out)")
    parser.add_argument("--single", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    for path in args.notebooks:
        if not path.is_file():
            parser.error(f"{path} does not exist")
    if args.single:  # the child process of run_in_child: one notebook, JSON on the last line
        outcome = run_notebook(args.notebooks[0], args.timeout, args.out, args.seed)
        print(json.dumps(outcome))
        return 0 if outcome["status"] == "ok" else 1
    if args.seed is not None and args.out is None:
        parser.error("--seed needs --out: the committed notebooks keep SEED = 0")
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
    rows = run_all(args.notebooks, args.timeout, args.out, args.seed)
    print()
    print_table(rows)
    print()
    print_slowest(rows)
    return 0 if all(o["status"] == "ok" for _, o in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
