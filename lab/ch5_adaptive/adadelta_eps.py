"""Adadelta's hidden learning rate: runs with several ε, their step lengths and the figure."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import NullLocator

from lab import plot
from lab.ch5_adaptive.landscapes import STEPS, final_gap, landscape, run_on_landscape
from lab.trajectory import Trajectory

__all__ = ["ADADELTA_EPS", "AdadeltaEpsRuns", "adadelta_eps_runs", "adadelta_figure"]

ADADELTA_EPS = (1e-8, 1e-6, 1e-4)
"""The ε of the Adadelta figure: the package's default 10⁻⁶, and a factor 100 either side."""


class AdadeltaEpsRuns(NamedTuple):
    """Adadelta (α = 1, ρ = 0.9) on one landscape with several ε, for :data:`STEPS` steps.

    Attributes:
        where: the landscape (one of :data:`~lab.ch5_adaptive.landscapes.LANDSCAPES`).
        steps: T, the steps of every run.
        runs: ε → the run.
        step_lengths: ε → ‖θ_t − θ_{t−1}‖ for t = 1 … T, shape ``(T,)``.
        first_steps: ε → ‖θ_1 − θ_0‖, about √(2ε/(1 − ρ)) in 2-D.
        gaps: ε → L(θ_T) − L_min (``inf`` if the run diverged).
    """

    where: str
    steps: int
    runs: dict[float, Trajectory]
    step_lengths: dict[float, np.ndarray]
    first_steps: dict[float, float]
    gaps: dict[float, float]


def adadelta_eps_runs(
    where: str = "ill-conditioned paraboloid", eps_values=ADADELTA_EPS
) -> AdadeltaEpsRuns:
    """Adadelta (α = 1, ρ = 0.9) with each ε of ``eps_values`` on landscape ``where``.

    The first step is about √(ε/(1 − ρ)) long in each coordinate, and the steps
    grow from there: ε acts as Adadelta's hidden initial learning rate.
    """
    runs = {eps: run_on_landscape("adadelta", where, 1.0, eps=eps) for eps in eps_values}
    lengths = {
        eps: np.linalg.norm(np.diff(np.asarray(run.params, np.float64), axis=0), axis=1)
        for eps, run in runs.items()
    }
    return AdadeltaEpsRuns(
        where=where,
        steps=STEPS,
        runs=runs,
        step_lengths=lengths,
        first_steps={eps: float(length[0]) for eps, length in lengths.items()},
        gaps={eps: final_gap(landscape(where), run) for eps, run in runs.items()},
    )


def _draw_step_lengths(ax: Axes, result: AdadeltaEpsRuns) -> None:
    """Step length against t per ε, with the predicted first step √(2ε/(1 − ρ)) as a ring."""
    t = np.arange(1, result.steps + 1)
    for i, (eps, length) in enumerate(result.step_lengths.items()):
        ax.plot(t, length, color=plot.color(i), lw=1.4, label=f"ε = {eps:g}")
        ax.plot(1, math.sqrt(2 * eps / 0.1), "o", color=plot.color(i), ms=5, mfc="white")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_xlim(1, result.steps)
    ax.set_xlabel("step t")
    ax.set_title("step length ‖θ_t − θ_{t−1}‖  (○: √(2ε/(1 − ρ)))", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")


def adadelta_figure(result: AdadeltaEpsRuns) -> Figure:
    """The section "Adadelta: fixing the units": paths with several ε, and step lengths against t."""
    fig, (plane, lengths) = plot.figure(ncols=2, width=4.4, height=3.4)
    plot.contour(plane, landscape(result.where))
    plane.set_title(f"Adadelta on the {result.where}", fontsize=10)
    for i, (eps, run) in enumerate(result.runs.items()):
        plot.trajectory_line(plane, run, f"ε = {eps:g}", plot.color(i))
    _draw_step_lengths(lengths, result)
    return fig
