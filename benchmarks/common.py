"""Helpers the benchmark scripts share: statistics, tables, and the summary rows.

Every script prints its own table, then hands a few summary rows (a figure,
its target, whether it is met) to :func:`summarize`.  Run alone, a script just
prints them; under ``run_all.py`` (``make bench``) they are also appended to
the file named by ``$BENCH_SUMMARY``, and ``run_all.py`` prints them all as
one table at the end.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SUMMARY_ENV = "BENCH_SUMMARY"


def timed(fn: Callable[[], object]) -> float:
    """Seconds one call of ``fn()`` takes (wall clock)."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def p95(values: Sequence[float]) -> float:
    """The 95th percentile (linear interpolation, as NumPy does)."""
    return float(np.percentile(values, 95))


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table: the first column left-aligned, the others right-aligned."""
    cells = [[str(h) for h in header]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row):
        first = row[0].ljust(widths[0])
        return "  ".join([first] + [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)])

    return "\n".join([line(cells[0]), line(["-" * w for w in widths]), *map(line, cells[1:])])


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def summary_row(area: str, what: str, measured: str, target: str, met: bool | str | None) -> dict:
    """One line of the combined table: ``met`` is None where there is no target, and a
    word (e.g. ``"noise"``) where a measurement cannot tell."""
    return {"area": area, "what": what, "measured": measured, "target": target, "met": met}


def verdict(met: bool | str | None) -> str:
    if met is None:
        return "-"
    if isinstance(met, str):
        return met
    return "yes" if met else "NO"


def summarize(rows: Sequence[dict]) -> None:
    """Print the summary rows, and append them to ``$BENCH_SUMMARY`` if set."""
    print()
    print(
        table(
            ["summary", "measured", "target", "met"],
            [
                (f"{r['area']}: {r['what']}", r["measured"], r["target"], verdict(r["met"]))
                for r in rows
            ],
        )
    )
    path = os.environ.get(SUMMARY_ENV)
    if path:
        with open(path, "a") as file:
            for row in rows:
                file.write(json.dumps(row) + "\n")
