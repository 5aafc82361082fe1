"""Full-batch gradient descent on the network across α = factor · 2/λ_max(θ₀).

Section "Beyond quadratics: the sharpness of a network", the test of the
prediction: which learning rates diverge, and where the sharpness ends up —
at about 2/α once α exceeds the prediction (the edge of stability).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import jax
import numpy as np
from matplotlib.ticker import NullFormatter, ScalarFormatter

from lab import curvature, plot
from lab.ch2_eigenvalues.level_sets import SLOW
from lab.ch2_eigenvalues.network_sharpness import (
    POWER_ITERATIONS,
    NetworkProblem,
    squared_error_loss,
)
from lab.trajectory import Trajectory, trajectory
from optimizers.momentum import sgd

__all__ = ["LearningRateSweep", "learning_rate_sweep", "sweep_figure"]


class LearningRateSweep(NamedTuple):
    """Full-batch gradient descent on the network at α = factor · 2/λ_max(θ₀).

    Attributes:
        factors: α in units of the prediction 2/λ_max(θ₀) (a log grid).
        learning_rates: the α themselves.
        losses: L(θ_t) of each run, shape ``(len(factors), steps + 1)``; NaN after divergence.
        diverged_at: the step at which each run diverged, or −1.
        final_sharpness: λ_max at the last step of each run (NaN if it diverged).
        initial_sharpness: λ_max(θ₀), the sharpness at initialisation.
    """

    factors: np.ndarray
    learning_rates: np.ndarray
    losses: np.ndarray
    diverged_at: np.ndarray
    final_sharpness: np.ndarray
    initial_sharpness: float

    @property
    def predicted(self) -> float:
        """2/λ_max(θ₀): the largest stable α of the quadratic model at initialisation."""
        return 2.0 / self.initial_sharpness

    @property
    def first_diverging(self) -> float:
        """The smallest α of the grid whose run diverged (``nan`` if none did)."""
        bad = np.flatnonzero(self.diverged_at >= 0)
        return float(self.learning_rates[bad[0]]) if bad.size else math.nan

    @property
    def last_converging(self) -> float:
        """The largest α below :attr:`first_diverging` (the grid's last stable point)."""
        bad = np.flatnonzero(self.diverged_at >= 0)
        stop = bad[0] if bad.size else len(self.factors)
        return float(self.learning_rates[stop - 1]) if stop > 0 else math.nan

    def monotone(self) -> np.ndarray:
        """Whether each run's loss decreased at every step."""
        with np.errstate(invalid="ignore"):
            return np.array([np.all(np.diff(row[np.isfinite(row)]) <= 0) for row in self.losses])


def learning_rate_sweep(
    problem: NetworkProblem,
    factors: Sequence[float] = tuple(2 ** (k / 4) for k in range(-4, 13)),
    steps: int = 300,
) -> LearningRateSweep:
    """Train with full-batch GD at α = factor · 2/λ_max(θ₀) for each factor (increasing).

    Every run is :func:`lab.trajectory` of :func:`squared_error_loss`
    with the data and α traced: one compiled program for the whole grid.  A
    run has diverged when its loss exceeds 10⁶ (1 + L(θ₀)).  The sharpness at
    the end of each run that did not diverge is measured by power iteration.
    """
    factors = np.asarray(factors, np.float64)
    predicted = problem.predicted_learning_rate
    runs = [_train(problem, float(factor * predicted), steps) for factor in factors]
    losses, diverged, sharpness = zip(*runs, strict=True)
    return LearningRateSweep(
        factors, factors * predicted, np.array(losses), np.array(diverged),
        np.array(sharpness), problem.sharpness.eigenvalue,
    )  # fmt: skip


def _train(problem: NetworkProblem, learning_rate: float, steps: int):
    """``(losses, diverged_at or −1, final λ_max or NaN)`` of one full-batch GD run."""
    run = trajectory(
        sgd, squared_error_loss, problem.params, steps,
        loss_args=(problem.x, problem.targets), learning_rate=learning_rate,
    )  # fmt: skip
    losses = np.asarray(run.losses, np.float64)
    if run.diverged_at is not None:
        return losses, run.diverged_at, math.nan
    final = jax.tree_util.tree_map(lambda p: p[-1], run.params)
    top = curvature.largest_eigenvalue(
        squared_error_loss, final, problem.x, problem.targets, iterations=POWER_ITERATIONS
    )
    return losses, -1, top.eigenvalue


def sweep_figure(sweep: LearningRateSweep, shown: Sequence[int] = ()):
    """Section "Beyond quadratics: the sharpness of a network": loss curves and final sharpness.

    Left: loss curves for some α; ``shown`` are indices into the sweep
    (default: the first, the one nearest the prediction, and the last three up
    to the first divergence).  Right: λ_max at the end of training against α,
    with 2/α, λ_max(θ₀) and the prediction 2/λ_max(θ₀).  Returns the figure.
    """
    fig, (curves, sharp) = plot.figure(ncols=2, width=4.8, height=3.9)
    if not shown:
        bad = np.flatnonzero(sweep.diverged_at >= 0)
        last = bad[0] if bad.size else len(sweep.factors) - 1
        shown = sorted({0, int(np.argmin(np.abs(sweep.factors - 1))), last - 2, last - 1, last})
    _draw_loss_curves(curves, sweep, shown)
    _draw_final_sharpness(sharp, sweep)
    return fig


def _draw_loss_curves(ax, sweep: LearningRateSweep, shown: Sequence[int]) -> None:
    for k, index in enumerate(shown):
        traj = Trajectory(None, sweep.losses[index], None)
        label = f"α = {sweep.factors[index]:.2f} · 2/λ₀"
        plot.loss_curve(ax, traj, label=label, color=plot.color(k + 1))
    ax.set_ylim(3e-2, 1e1)
    ax.set_title("training loss of full-batch GD", fontsize=10)
    ax.legend(loc="upper right", fontsize=8, framealpha=0.9)


def _draw_final_sharpness(ax, sweep: LearningRateSweep) -> None:
    alphas = np.geomspace(sweep.learning_rates[0] * 0.8, sweep.learning_rates[-1] * 1.25, 100)
    ax.plot(alphas, 2 / alphas, "--", color="#b00000", linewidth=1.3, label="2/α")
    ax.axhline(sweep.initial_sharpness, color="0.4", linestyle=":", linewidth=1.3,
               label="λ_max(θ₀)")  # fmt: skip
    ok = sweep.diverged_at < 0
    ax.plot(sweep.learning_rates[ok], sweep.final_sharpness[ok], "o", color=SLOW,
            markersize=7, label="λ_max at the end of training")  # fmt: skip
    ax.axvline(sweep.predicted, color="black", linewidth=1.2, label="predicted 2/λ_max(θ₀)")
    if np.isfinite(sweep.first_diverging):
        ax.axvspan(sweep.first_diverging, alphas[-1], color="#b00000", alpha=0.08,
                   linewidth=0, label="diverged")  # fmt: skip
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(alphas[0], alphas[-1])
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_minor_formatter(NullFormatter())
        axis.set_major_formatter(ScalarFormatter())
    ax.set_xticks([0.1, 0.2, 0.5, 1, 2])
    ax.set_yticks([1, 2, 5, 10, 20])
    ax.set_xlabel("learning rate α")
    ax.set_ylabel("sharpness λ_max of the Hessian")
    ax.set_title("the curvature adapts to the step size", fontsize=10)
    ax.legend(loc="lower left", fontsize=8, framealpha=0.9)
