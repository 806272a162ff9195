"""Plain-text tables, seed statistics and the headline results each notebook records.

``record_results`` prints a notebook's headline numbers and stores them as JSON in
``artifacts/results/``, where ``make run`` collects them into its summary table.
:func:`seed_stats` and :func:`separation` turn scores over seeds into the "mean ± 95 %
interval" a notebook reports and the margin its results cell asserts.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from ssl_keras.paths import artifacts_dir


@dataclass(frozen=True)
class SeedStats:
    """Scores of one arm over seeds: ``mean``, sample standard deviation ``std`` (ddof 1),
    ``half`` the half-width of the 95 % Student-t interval of the mean, ``n`` seeds."""

    mean: float
    std: float
    half: float
    n: int

    @property
    def low(self) -> float:
        return self.mean - self.half

    @property
    def high(self) -> float:
        return self.mean + self.half

    def format(self, digits: int = 3) -> str:
        """``"0.612 ± 0.021"`` (mean ± half-width of the 95 % interval)."""
        return f"{self.mean:.{digits}f} ± {self.half:.{digits}f}"


def seed_stats(values: Sequence[float], confidence: float = 0.95) -> SeedStats:
    """Mean, spread and the Student-t ``confidence`` interval of ``values`` (one per seed).

    Needs at least two finite values (one seed has no spread to report).
    """
    scores = np.asarray(values, dtype=np.float64).reshape(-1)
    if scores.size < 2:
        raise ValueError(f"Need scores from at least 2 seeds for an interval, got {scores.size}.")
    if not np.all(np.isfinite(scores)):
        raise ValueError(f"Scores must be finite, got {scores.tolist()}.")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}.")
    std = float(np.std(scores, ddof=1))
    half = float(stats.t.ppf(0.5 + confidence / 2, scores.size - 1) * std / math.sqrt(scores.size))
    return SeedStats(float(scores.mean()), std, half, int(scores.size))


def separation(better: Sequence[float], worse: Sequence[float]) -> float:
    """How many seed standard deviations separate two arms: ``(mean(better) − mean(worse)) /
    s``, with ``s`` the pooled sample standard deviation ``sqrt((s_a² + s_b²) / 2)``.

    A results cell asserts ``separation(a, b) >= 3`` for "a beats b": a gap that wide holds on
    other machines, whose floating-point differences move each arm by about one such
    deviation. Both arms without spread: ``±inf`` (or 0 when the means are equal).
    """
    a, b = seed_stats(better), seed_stats(worse)
    gap = a.mean - b.mean
    pooled = math.sqrt((a.std**2 + b.std**2) / 2)
    if pooled == 0:
        return 0.0 if gap == 0 else math.copysign(math.inf, gap)
    return gap / pooled


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
