"""Plain-text tables and the headline results each notebook records.

``record_results`` prints a notebook's headline numbers and stores them as JSON in
``artifacts/results/``, where ``make run`` collects them into its summary table.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence

from ssl_keras.paths import artifacts_dir


def _cell(value, digits: int) -> str:
    if isinstance(value, float):
        return "inf" if math.isinf(value) else f"{value:.{digits}f}"
    return str(value)


def format_table(
    rows: Sequence[Mapping[str, object]], columns: Sequence[str] | None = None, digits: int = 2
) -> str:
    """Render a list of dicts as an aligned text table (floats rounded to ``digits``)."""
    if not rows:
        raise ValueError("rows is empty: nothing to tabulate.")
    columns = list(columns or rows[0].keys())
    cells = [[_cell(row.get(c, ""), digits) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(lines)


def record_results(notebook: str, results: Mapping[str, float], digits: int = 3) -> None:
    """Print ``name = value`` lines (rounded) and save them to ``artifacts/results/<notebook>.json``."""
    rounded = {
        k: (round(float(v), digits) if isinstance(v, int | float) else v)
        for k, v in results.items()
    }
    path = artifacts_dir("results") / f"{notebook}.json"
    path.write_text(json.dumps(rounded, indent=2) + "\n", encoding="utf-8")
    for key, value in rounded.items():
        print(f"{key} = {value}")
