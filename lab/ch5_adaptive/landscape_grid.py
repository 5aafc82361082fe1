"""A few methods on the four landscapes: their runs, their final gaps, the 2 × 2 figure."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from lab import plot
from lab.ch5_adaptive.landscapes import (
    LANDSCAPES,
    LEARNING_RATES,
    METHODS,
    final_gap,
    landscape,
    run_on_landscape,
)
from lab.trajectory import Trajectory

__all__ = ["LandscapeComparison", "landscape_comparison", "landscape_figure"]


class LandscapeComparison(NamedTuple):
    """Methods run on the four landscapes; one entry per method, in the order asked for.

    Attributes:
        names: the methods' keys in :data:`~lab.ch5_adaptive.landscapes.METHODS`
            (the same name may come twice, with two learning rates).
        labels: the legend labels, such as ``"Adam (α = 0.1)"``.
        learning_rates: the α of each method.
        runs: per method, landscape name → its :class:`~lab.trajectory.Trajectory`
            of :data:`~lab.ch5_adaptive.landscapes.STEPS` steps.
        gaps: per method, landscape name → L(θ_T) − L_min (``inf`` if the run diverged).
    """

    names: tuple[str, ...]
    labels: tuple[str, ...]
    learning_rates: tuple[float, ...]
    runs: tuple[dict[str, Trajectory], ...]
    gaps: tuple[dict[str, float], ...]


def landscape_comparison(methods: Sequence[str | tuple[str, float]]) -> LandscapeComparison:
    """Run each of ``methods`` on the four landscapes.

    Args:
        methods: names from :data:`~lab.ch5_adaptive.landscapes.METHODS`, or
            ``(name, α)`` pairs to override the method's α of
            :data:`~lab.ch5_adaptive.landscapes.LEARNING_RATES`.
    """
    entries = [
        (m, LEARNING_RATES[m]) if isinstance(m, str) else (m[0], float(m[1])) for m in methods
    ]
    runs = tuple(
        {where: run_on_landscape(name, where, alpha) for where in LANDSCAPES}
        for name, alpha in entries
    )
    return LandscapeComparison(
        names=tuple(name for name, _ in entries),
        labels=tuple(f"{METHODS[name][0]} (α = {alpha:g})" for name, alpha in entries),
        learning_rates=tuple(alpha for _, alpha in entries),
        runs=runs,
        gaps=tuple({w: final_gap(landscape(w), run[w]) for w in LANDSCAPES} for run in runs),
    )


def _gap_note(ax: Axes, text: str, row: int, rows: int) -> None:
    """The final gap (or where the run diverged) of run ``row``, stacked in the lower right."""
    ax.annotate(
        text, xy=(1.0, 0.0), xycoords="axes fraction",
        xytext=(-4, 4 + 13 * (rows - 1 - row)), textcoords="offset points",
        ha="right", va="bottom", fontsize=8, color=plot.color(row),
        bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none", "pad": 1.0},
    )  # fmt: skip


def _draw_landscape(ax: Axes, result: LandscapeComparison, where: str, legend: bool) -> None:
    """One panel: the contours of ``where``, every method's path and its final gap."""
    plot.contour(ax, landscape(where), levels=20)
    ax.set_title(where if where != "ill-conditioned paraboloid" else "paraboloid", fontsize=10)
    rows = len(result.labels)
    methods = zip(result.labels, result.runs, result.gaps, strict=True)
    for row, (label, runs, gaps) in enumerate(methods):
        run, gap = runs[where], gaps[where]
        plot.trajectory_line(ax, run, label if legend else None, plot.color(row))
        text = f"gap {gap:.1e}" if math.isfinite(gap) else f"diverged at {run.diverged_at}"
        _gap_note(ax, text, row, rows)
    ax.tick_params(labelsize=8)
    ax.set_xlabel("θ₁", fontsize=9)
    ax.set_ylabel("θ₂", fontsize=9)


def landscape_figure(result: LandscapeComparison) -> Figure:
    """Paths of a few methods on the four landscapes, in a 2 × 2 grid, with their final gaps.

    Draws the figures of the sections "Dividing by the gradient's own size",
    "RMSprop: a leaky average", "Adam: momentum meets RMSprop", "AMSGrad: when
    Adam does not converge", "RAdam: rectifying the early variance" and
    "AdaBound and AMSBound: from Adam to SGD".
    """
    fig, axes = plot.figure(ncols=2, nrows=2, width=3.4, height=3.0)
    for col, (ax, where) in enumerate(zip(axes, LANDSCAPES, strict=True)):
        _draw_landscape(ax, result, where, legend=col == 0)
    ncols = min(len(result.labels), 2)
    fig.legend(loc="outside lower center", ncols=ncols, fontsize=9, frameon=False)
    return fig
