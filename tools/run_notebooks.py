"""Execute notebooks in place and print a table: notebook, status, wall time, peak memory,
headline metrics.

Used by ``make run``. Each notebook runs in its own kernel with the notebook's folder as the
working directory; its headline metrics are the ``artifacts/results/<notebook>.json`` that
its results cell writes (``ssl_keras.report.record_results``).

    python tools/run_notebooks.py notebooks/*.ipynb [--timeout 1200]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from ssl_keras import paths


def _peak_children_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0


def run_notebook(path: Path, timeout: int) -> dict:
    """Execute ``path`` in place; return status, seconds and the recorded headline metrics."""
    results_file = paths.artifacts_dir("results") / f"{path.stem}.json"
    results_file.unlink(missing_ok=True)
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    status = "ok"
    try:
        client.execute()
    except CellExecutionError as error:
        status = "FAILED"
        print(f"\n{path.name} failed:\n{str(error)[-3000:]}", file=sys.stderr)
    seconds = time.perf_counter() - start
    nbformat.write(notebook, path)
    metrics = json.loads(results_file.read_text()) if results_file.exists() else {}
    return {"status": status, "seconds": seconds, "metrics": metrics}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    args = parser.parse_args(argv)
    rows = []
    for path in sorted(args.notebooks):
        if not path.is_file():
            parser.error(f"{path} does not exist")
        print(f"running {path.name} ...", flush=True)
        outcome = run_notebook(path, args.timeout)
        outcome["peak_mb"] = _peak_children_mb()
        rows.append((path.name, outcome))
        print(f"  {outcome['status']} in {outcome['seconds']:.0f} s", flush=True)
    print()
    print(f"{'notebook':<34} {'status':<7} {'wall':>7}  {'peak RSS*':>9}  headline metrics")
    for name, outcome in rows:
        metrics = ", ".join(f"{k}={v}" for k, v in outcome["metrics"].items()) or "-"
        print(
            f"{name:<34} {outcome['status']:<7} {outcome['seconds']:>6.0f}s  "
            f"{outcome['peak_mb']:>7.0f}MB  {metrics}"
        )
    print("* largest kernel so far (maximum resident memory of finished child processes)")
    return 0 if all(o["status"] == "ok" for _, o in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
