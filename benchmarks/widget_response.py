"""How fast does each chapter's widget answer a slider move?  (A benchmark, not a test.)

Builds every widget the chapters display, headless (matplotlib's Agg backend),
moves it a few times to warm up, then moves one slider at a time to random
values inside its range, ``MOVES`` times, and prints per widget:

* compute: the experiment's run (the widget's ``compute``, blocked until JAX
  has finished), median and 95th percentile;
* redraw: moving the figure's artists and rendering the PNG the notebook
  shows (the widget's ``draw`` plus its output), median and 95th percentile;
* layer only: the share of moves that repainted only the figure's moving layer
  over its kept background (:mod:`lab.blitting`) rather than the whole figure;
* compilations: XLA compilations anywhere in the process during the measured
  moves (JAX's ``backend_compile`` events), which must be 0.

Dropdowns and other non-numeric controls stay at their defaults.

    python benchmarks/widget_response.py
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import ipywidgets
import jax
import numpy as np
from common import median, p95, summarize, summary_row, table
from jax import monitoring

from lab import plot
from lab.book_widgets import WIDGETS

WARMUP = 3
MOVES = 30
COMPUTE_TARGET_MS = 1.0  # for widgets whose compute is 2-D trajectories
REDRAW_TARGET_MS = 100.0


_compilations = [0]


def _count_compilation(event: str, duration: float, **kwargs) -> None:
    if event == "/jax/core/compile/backend_compile_duration":
        _compilations[0] += 1


def random_value(control: ipywidgets.ValueWidget, rng: np.random.Generator) -> float:
    """A value a learner could pick: uniform over the slider (in the exponent for a log slider)."""
    low, high, step = control.min, control.max, control.step
    value = low + step * round(rng.uniform(0, 1) * (high - low) / step)
    value = min(max(value, low), high)
    if isinstance(control, ipywidgets.FloatLogSlider):
        return float(control.base**value)
    return int(value) if isinstance(control, ipywidgets.IntSlider) else float(value)


def blocking(compute):
    """``compute`` that returns only once JAX has finished (JAX dispatches asynchronously)."""

    def run(**values):
        return jax.block_until_ready(compute(**values))

    return run


_layer_only: list[bool] = []  # per picture: whether only the moving layer was repainted


def _recording_paint(figure) -> bool:
    _layer_only.append(_paint(figure))
    return _layer_only[-1]


_paint, plot.blitting.paint = plot.blitting.paint, _recording_paint


def measure(build, rng: np.random.Generator) -> dict:
    """Warm a widget up, then time ``MOVES`` single-slider moves."""
    widget = build()
    widget.compute = blocking(widget.compute)
    sliders = [name for name, c in widget.controls.items() if hasattr(c, "step")]

    def move(i):
        name = sliders[i % len(sliders)]
        widget.update(**{name: random_value(widget.controls[name], rng)})

    for i in range(WARMUP):
        move(i)
    before, first = _compilations[0], len(widget.timings)
    _layer_only.clear()
    for i in range(MOVES):
        move(i)
    timings = widget.timings[first:]
    compute = [1e3 * t.compute for t in timings]
    redraw = [1e3 * t.draw for t in timings]
    return {
        "sliders": len(sliders),
        "compute": (median(compute), p95(compute)),
        "redraw": (median(redraw), p95(redraw)),
        "compilations": _compilations[0] - before,
        "layer_only": 100 * np.mean(_layer_only) if _layer_only else 0.0,
    }


def main() -> None:
    monitoring.register_event_duration_secs_listener(_count_compilation)
    rng = np.random.default_rng(0)
    rows, results = [], []
    for chapter, name, build, two_d in WIDGETS:
        result = measure(build, rng)
        results.append((chapter, name, two_d, result))
        rows.append(
            (
                f"{chapter}/{name}",
                "2-D" if two_d else "other",
                result["sliders"],
                *result["compute"],
                *result["redraw"],
                f"{result['layer_only']:.0f} %",
                result["compilations"],
            )
        )
    print(f"widget response: {MOVES} single-slider moves per widget after {WARMUP} warm-up moves")
    print(
        table(
            [
                "widget",
                "kind",
                "sliders",
                "compute ms",
                "p95",
                "redraw ms",
                "p95",
                "layer only",
                "compiles",
            ],
            rows,
        )
    )
    summarize(summary_rows(results))


def summary_rows(results) -> list[dict]:
    two_d = [r for _, _, flag, r in results if flag]
    other = [r for _, _, flag, r in results if not flag]
    worst_2d = max(r["compute"][0] for r in two_d)
    worst_other = max(r["compute"][0] for r in other)
    worst_redraw = max(r["redraw"][0] for r in results_only(results))
    worst_redraw_p95 = max(r["redraw"][1] for r in results_only(results))
    compilations = sum(r["compilations"] for r in results_only(results))
    return [
        summary_row(
            "widgets",
            f"compute, 2-D trajectories (worst median of {len(two_d)})",
            f"{worst_2d:.2f} ms",
            f"<= {COMPUTE_TARGET_MS:g} ms",
            worst_2d <= COMPUTE_TARGET_MS,
        ),
        summary_row(
            "widgets",
            f"compute, other experiments (worst median of {len(other)})",
            f"{worst_other:.2f} ms",
            "none (DESIGN: < 50 ms)",
            None,
        ),
        summary_row(
            "widgets",
            f"redraw (worst median; worst p95 {worst_redraw_p95:.0f} ms)",
            f"{worst_redraw:.0f} ms",
            f"<= {REDRAW_TARGET_MS:g} ms",
            worst_redraw <= REDRAW_TARGET_MS,
        ),
        summary_row(
            "widgets",
            "compilations after warm-up (all widgets)",
            str(compilations),
            "0",
            compilations == 0,
        ),
    ]


def results_only(results):
    return [r for *_, r in results]


if __name__ == "__main__":
    main()
