"""Section *One learning rate per coordinate*: α_i = 1/λ_i on an axis-aligned bowl.

On ``½ θᵀ diag(λ₁, λ₂) θ`` coordinate i contracts by ``1 − α_i λ_i`` per step, so the
rates α_i = 1/λ_i (that is P = Q⁻¹) land on the minimum in one step, while gradient
descent with its best single rate α* = 2/(λ₁ + λ₂) crawls at (κ − 1)/(κ + 1).
"""

from __future__ import annotations

import inspect
from typing import NamedTuple

import numpy as np
from matplotlib.figure import Figure

from lab import analysis, plot, problems, registry, widgets
from lab.ch3_preconditioning.preconditioned_step import entries_2d
from lab.problems import Problem
from lab.registry import per_coordinate_gd, preconditioned_gd_2d
from lab.trajectory import Trajectory

__all__ = [
    "PerCoordinateRuns",
    "per_coordinate_figure",
    "per_coordinate_runs",
    "per_coordinate_widget",
]


class PerCoordinateRuns(NamedTuple):
    """Gradient descent with one α against one learning rate per coordinate.

    Attributes:
        problem: the bowl ``½ θᵀ diag(λ₁, λ₂) θ`` (:func:`lab.problems.ill_conditioned_paraboloid`).
        lambda_1, lambda_2: its eigenvalues λ₁ < λ₂, the diagonal of Q.
        kappa: κ = λ₂/λ₁.
        alpha_star: the best single rate α* = 2/(λ₁ + λ₂).
        rate: gradient descent's contraction per step at α*, (κ − 1)/(κ + 1).
        steps: the number of steps T of both runs.
        start_loss: L(θ₀).
        gd_final_loss: L(θ_T) of gradient descent at α*.
        learning_rate_1, learning_rate_2: the per-coordinate rates α_i = 1/λ_i.
        per_coordinate_loss_after_one_step: L(θ₁) with those rates (round-off level).
        per_coordinate_point_after_one_step: θ₁ with those rates, shape ``(2,)``.
        gradient_descent: the run at α* (a :class:`~lab.trajectory.Trajectory`).
        per_coordinate: the run with P = diag(1/λ₁, 1/λ₂) and α = 1.
    """

    problem: Problem
    lambda_1: float
    lambda_2: float
    kappa: float
    alpha_star: float
    rate: float
    steps: int
    start_loss: float
    gd_final_loss: float
    learning_rate_1: float
    learning_rate_2: float
    per_coordinate_loss_after_one_step: float
    per_coordinate_point_after_one_step: np.ndarray
    gradient_descent: Trajectory
    per_coordinate: Trajectory


def per_coordinate_runs(steps: int = 30) -> PerCoordinateRuns:
    """Run gradient descent at α* and the per-coordinate rates 1/λ_i on ``diag(0.4, 4)``."""
    bowl = problems.ill_conditioned_paraboloid()
    Q = np.asarray(bowl.args[0], np.float64)
    lam = np.diag(Q)
    alpha_star = analysis.optimal_learning_rate(Q)
    single = bowl.run(preconditioned_gd_2d, steps, learning_rate=alpha_star)
    rates = 1.0 / lam
    per_coordinate = bowl.run(
        preconditioned_gd_2d, steps, learning_rate=1.0, **entries_2d(np.diag(rates))
    )
    return PerCoordinateRuns(
        problem=bowl,
        lambda_1=float(lam[0]),
        lambda_2=float(lam[1]),
        kappa=analysis.condition_number(Q),
        alpha_star=alpha_star,
        rate=analysis.gd_rate(Q, alpha_star),
        steps=steps,
        start_loss=float(single.losses[0]),
        gd_final_loss=float(single.losses[-1]),
        learning_rate_1=float(rates[0]),
        learning_rate_2=float(rates[1]),
        per_coordinate_loss_after_one_step=float(per_coordinate.losses[1]),
        per_coordinate_point_after_one_step=np.asarray(per_coordinate.params[1]),
        gradient_descent=single,
        per_coordinate=per_coordinate,
    )


def per_coordinate_figure(result: PerCoordinateRuns) -> Figure:
    """Section *One learning rate per coordinate*: the two paths on the contours | their losses."""
    fig, (plane, losses) = plot.figure(ncols=2, width=4.6, height=3.4)
    plot.contour(plane, result.problem)
    runs = {
        f"one α = {result.alpha_star:.3g} for both": result.gradient_descent,
        f"α₁ = 1/λ₁ = {result.learning_rate_1:g}, α₂ = 1/λ₂ = {result.learning_rate_2:g}": (
            result.per_coordinate
        ),
    }
    for i, (label, run) in enumerate(runs.items()):
        plot.trajectory_line(plane, run, label, plot.color(i))
        plot.loss_curve(losses, run, label, plot.color(i), result.problem.min_value)
    plane.set_title("paths from θ₀ = (−4, 1)")
    losses.set_title("L(θ_t) − L_min")
    losses.legend(loc="center right", fontsize=8)
    return fig


def _labelled(factory, label: str):
    """``factory`` under another name: :func:`lab.widgets.explore` labels runs by name."""

    def make(**hyperparameters):
        return factory(**hyperparameters)

    make.__signature__ = inspect.signature(factory)
    make.__name__ = label
    return make


_PER_COORDINATE = _labelled(per_coordinate_gd, "α₁, α₂ (diagonal P)")
_ONE_RATE = _labelled(registry.plain_gradient_descent, "one α = 2/(λ₁ + λ₂)")


def per_coordinate_widget(
    learning_rate_1: float = 1.5, learning_rate_2: float = 0.35, steps: int = 30
) -> widgets.Explorer:
    """Section *One learning rate per coordinate*: two sliders, α₁ and α₂, on ``diag(0.4, 4)``.

    Coordinate i contracts by ``1 − α_i λ_i`` per step; for comparison, gradient
    descent with the best single rate 2/(λ₁ + λ₂).
    """
    bowl = problems.ill_conditioned_paraboloid()
    Q = np.asarray(bowl.args[0], np.float64)
    lam = np.diag(Q)
    return widgets.explore(
        bowl,
        optimizers=(_ONE_RATE, _PER_COORDINATE),
        steps=steps,
        static="learning_rate_2",  # the rendered site varies α₂: 0.05 apart, 1/λ₂ and 2/λ₂ included
        learning_rate_1=widgets.slider("α₁", learning_rate_1, 0.0, 2.6 / lam[0], step=0.05),
        learning_rate_2=widgets.slider("α₂", learning_rate_2, 0.0, 3.2 / lam[1], step=0.005),
        learning_rate=analysis.optimal_learning_rate(Q),
    )
