"""Sections "The update rule" and "Four learning rates on one problem".

On the ill-conditioned paraboloid ``L(θ) = 0.2 θ₁² + 2 θ₂²`` (Q = diag(0.4, 4)):
:func:`one_step_decrease` checks the one-step formula against a real step,
:func:`learning_rate_thresholds` gives the learning rates that separate the regimes,
:func:`learning_rate_runs` runs one α per regime and :func:`learning_rate_figure` draws
them; :func:`learning_rate_widget` moves α.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from matplotlib.figure import Figure

from lab import analysis, plot, problems, widgets
from lab.ch1_gradient_descent.static_frames import with_static_frames
from lab.registry import plain_gradient_descent
from lab.trajectory import Trajectory

__all__ = [
    "LEARNING_RATE_FRAMES",
    "LEARNING_RATE_REGIMES",
    "LearningRateRuns",
    "LearningRateThresholds",
    "OneStep",
    "learning_rate_figure",
    "learning_rate_runs",
    "learning_rate_thresholds",
    "learning_rate_widget",
    "one_step_decrease",
]

LEARNING_RATE_REGIMES = {"crawls": 0.02, "converges": 0.2, "oscillates": 0.45, "diverges": 0.55}
"""One learning rate per regime on the ill-conditioned paraboloid (λ = 0.4, 4)."""

LEARNING_RATE_FRAMES = 13
"""How many frames the learning-rate widget's explorer shows, at α = 10^(−3 + k/4). They
include 0.1, 0.18 (smooth), 0.32 (zig-zag), 0.56 and 1 (divergent)."""

REGIME_STEPS = 60
"""Steps of every run on the paraboloid (the figure's and the widget's)."""


class OneStep(NamedTuple):
    """One gradient step on ``½ θᵀQθ`` from θ₀, computed by the formula and by the code.

    Attributes:
        learning_rate: α.
        loss_before: L(θ₀).
        loss_after: L(θ₁) of a real (float32) step.
        loss_after_formula: ``L(θ₀) − α‖g‖² + ½ α² gᵀQg`` with g = Qθ₀, in float64.
        best_learning_rate: α_g = ‖g‖² / gᵀQg, the best step along g (the loss
            decreases for 0 < α < 2α_g).
    """

    learning_rate: float
    loss_before: float
    loss_after: float
    loss_after_formula: float
    best_learning_rate: float


def one_step_decrease(learning_rate: float = 0.3, problem: problems.Problem | None = None):
    """``L(θ − αg) = L(θ) − α‖g‖² + ½ α² gᵀQg`` at θ₀, checked against a real step.

    The default problem is the ill-conditioned paraboloid.  Returns a :class:`OneStep`.
    """
    problem = problems.ill_conditioned_paraboloid() if problem is None else problem
    Q = np.asarray(problem.args[0], np.float64)
    theta = np.asarray(problem.start, np.float64)
    g = Q @ theta
    before = 0.5 * theta @ Q @ theta
    run = problem.run(  # the figure's program
        plain_gradient_descent, REGIME_STEPS, learning_rate=learning_rate
    )
    formula = before - learning_rate * g @ g + 0.5 * learning_rate**2 * g @ Q @ g
    return OneStep(
        learning_rate, float(before), float(run.losses[1]), float(formula),
        float(g @ g / (g @ Q @ g)),
    )  # fmt: skip


class LearningRateThresholds(NamedTuple):
    """The learning rates that separate the regimes of gradient descent on ``½ θᵀQθ``.

    Attributes:
        lambda_min, lambda_max: the smallest and largest eigenvalue of Q.
        oscillation: ``1/λ_max``; above it the steepest direction flips sign every step
            (``1 − αλ_max < 0``).
        optimal: ``2/(λ_min + λ_max)``, the fastest worst case.
        divergence: ``2/λ_max``; above it ``|1 − αλ_max| > 1`` and the run diverges.
    """

    lambda_min: float
    lambda_max: float
    oscillation: float
    optimal: float
    divergence: float


def learning_rate_thresholds(problem: problems.Problem | None = None) -> LearningRateThresholds:
    """The :class:`LearningRateThresholds` of a quadratic (default: the paraboloid)."""
    problem = problems.ill_conditioned_paraboloid() if problem is None else problem
    Q = np.asarray(problem.args[0], np.float64)
    lam = analysis.eigenvalues(Q)
    return LearningRateThresholds(
        lambda_min=float(lam[0]),
        lambda_max=float(lam[-1]),
        oscillation=float(1.0 / lam[-1]),
        optimal=analysis.optimal_learning_rate(Q),
        divergence=analysis.max_stable_learning_rate(Q),
    )


class LearningRateRuns(NamedTuple):
    """Gradient descent on the ill-conditioned paraboloid with one α per regime.

    Each field is the :class:`~lab.trajectory.Trajectory` of ``steps`` steps with the
    α of :data:`LEARNING_RATE_REGIMES` named like the field.

    Attributes:
        crawls: α = 0.02.
        converges: α = 0.2.
        oscillates: α = 0.45, between 1/λ_max and 2/λ_max.
        diverges: α = 0.55, above 2/λ_max.
    """

    crawls: Trajectory
    converges: Trajectory
    oscillates: Trajectory
    diverges: Trajectory


def learning_rate_runs(steps: int = REGIME_STEPS) -> LearningRateRuns:
    """``steps`` steps of gradient descent from θ₀ = (−4, 1) with each α of the four regimes."""
    problem = problems.ill_conditioned_paraboloid()
    return LearningRateRuns(**{
        regime: problem.run(plain_gradient_descent, steps, learning_rate=alpha)
        for regime, alpha in LEARNING_RATE_REGIMES.items()
    })  # fmt: skip


def learning_rate_figure(runs: LearningRateRuns) -> Figure:
    """Section "Four learning rates on one problem": one path per panel, and the loss gaps."""
    problem = problems.ill_conditioned_paraboloid()
    fig, unused = plot.figure(ncols=1, width=11.0, height=4.4)
    fig.delaxes(unused)
    axes = fig.subplot_mosaic([["0", "1", "loss"], ["2", "3", "loss"]], width_ratios=[1, 1, 1.15])
    for i, (regime, run) in enumerate(runs._asdict().items()):
        alpha = LEARNING_RATE_REGIMES[regime]
        ax = axes[str(i)]
        ax.set_facecolor("white")
        plot.contour(ax, problem, levels=15)
        plot.trajectory_line(ax, run, color=plot.color(i))
        plot.divergence_message(ax, run, color=plot.color(i))
        ax.set_title(f"α = {alpha:g}: {regime}", fontsize=10)
        ax.set_xlabel("")
        ax.set_ylabel("")
        plot.loss_curve(axes["loss"], run, label=f"α = {alpha:g} ({regime})",
                        color=plot.color(i), min_value=problem.min_value)  # fmt: skip
    axes["loss"].set_facecolor("white")
    axes["loss"].set_ylim(1e-11, 1e7)
    axes["loss"].set_title("loss gap L(θ_t) − L_min")
    axes["loss"].legend(loc="lower left", fontsize=8, framealpha=0.9)
    return fig


def learning_rate_widget(learning_rate: float = 0.1, steps: int = REGIME_STEPS):
    """Section "Four learning rates on one problem": a log-scale α slider (10⁻³ … 1).

    Gradient descent on the ill-conditioned paraboloid, drawn by :func:`lab.widgets.explore`.
    """
    widget = widgets.explore(
        problems.ill_conditioned_paraboloid(),
        optimizers=("sgd",),
        steps=steps,
        learning_rate=widgets.log_slider("α", learning_rate, -3.0, 0.0, step=0.02),
    )
    return with_static_frames(widget, LEARNING_RATE_FRAMES)
