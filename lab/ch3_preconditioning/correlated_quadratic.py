"""Section *What a preconditioner does to the condition number*: none, Jacobi and Q⁻¹.

The problem is least squares on two features of different scales and correlation ρ,
``Q = D C D``.  Jacobi's ``P = diag(Q)⁻¹ = D⁻²`` removes the scales and leaves the
correlation, κ(PQ) = (1 + ρ)/(1 − ρ); ``P = Q⁻¹`` makes κ(PQ) = 1.
"""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
import numpy as np
from matplotlib.figure import Figure

from lab import analysis, plot, problems
from lab.ch3_preconditioning.preconditioned_step import entries_2d
from lab.ch3_preconditioning.spectrum import (
    jacobi,
    measured_rate,
    optimal_learning_rate,
    preconditioned_condition_number,
    rate,
)
from lab.problems import Problem
from lab.registry import preconditioned_gd_2d
from lab.trajectory import Trajectory

__all__ = [
    "PreconditionedRun",
    "PreconditionerComparison",
    "preconditioner_comparison",
    "preconditioner_comparison_figure",
    "scaled_correlated_quadratic",
]


def scaled_correlated_quadratic(scales=(1.0, 4.0), correlation: float = 0.5) -> Problem:
    """``L(θ) = ½ θᵀQθ`` with ``Q = D C D``: two features of scales D, correlation ρ.

    ``D = diag(scales)`` and ``C = [[1, ρ], [ρ, 1]]``: Q is the Hessian of least
    squares on two features with standard deviations ``scales`` and correlation ρ.
    """
    scales = np.asarray(scales, np.float64)
    if scales.shape != (2,) or np.any(scales <= 0) or not np.all(np.isfinite(scales)):
        raise ValueError(f"scales must be two positive numbers, got {scales!r}")
    if not -1 < correlation < 1:
        raise ValueError(f"correlation must lie in (−1, 1), got {correlation!r}")
    C = np.array([[1.0, correlation], [correlation, 1.0]])
    Q = np.diag(scales) @ C @ np.diag(scales)
    return Problem(
        name=f"scales {scales[0]:g}, {scales[1]:g}; correlation {correlation:g}",
        loss_fn=problems.quadratic_loss,
        args=(jnp.asarray(Q, jnp.float32),),
        start=np.array([-4.0, 1.5], np.float32),
        minima=[np.zeros(2, np.float32)],
        min_value=0.0,
        bounds=((-5.0, 5.0), (-2.5, 2.5)),
    )


class PreconditionedRun(NamedTuple):
    """Preconditioned gradient descent with one P, at its optimal α, on the Q = DCD bowl.

    Attributes:
        label: the legend's name, e.g. ``"Jacobi (P = diag(Q)⁻¹)"``.
        P: the 2×2 preconditioner.
        kappa: κ(PQ) = λ_max(PQ)/λ_min(PQ).
        alpha: its optimal learning rate α* = 2/(λ_min(PQ) + λ_max(PQ)).
        predicted_rate: the contraction of ‖θ‖ per step, (κ − 1)/(κ + 1).
        measured_rate: the contraction measured from the run, (L_T/L_0)^{1/(2T)};
            ``None`` when κ = 1 (the run lands in one step, there is no rate to measure).
        final_loss: L(θ_T).
        steps_to_tolerance: the steps the predicted rate needs to shrink the error
            by the comparison's ``tolerance`` (⌈log tol / log rate⌉).
        run: the :class:`~lab.trajectory.Trajectory`.
    """

    label: str
    P: np.ndarray
    kappa: float
    alpha: float
    predicted_rate: float
    measured_rate: float | None
    final_loss: float
    steps_to_tolerance: float
    run: Trajectory


class PreconditionerComparison(NamedTuple):
    """No preconditioner, Jacobi's and Q⁻¹ on :func:`scaled_correlated_quadratic`.

    Attributes:
        problem: the bowl ``½ θᵀQθ``, Q = DCD with scales (1, 4) and ρ = ½.
        Q: its 2×2 matrix, float64.
        steps: the number of steps T of each run.
        start_loss: L(θ₀).
        tolerance: the error reduction ``steps_to_tolerance`` counts steps to (10⁻⁶).
        none, jacobi, newton: a :class:`PreconditionedRun` with P = I, P = diag(Q)⁻¹
            and P = Q⁻¹.
    """

    problem: Problem
    Q: np.ndarray
    steps: int
    start_loss: float
    tolerance: float
    none: PreconditionedRun
    jacobi: PreconditionedRun
    newton: PreconditionedRun


def _run_with(problem: Problem, label: str, P: np.ndarray, steps: int, tolerance: float):
    Q = np.asarray(problem.args[0], np.float64)
    kappa = preconditioned_condition_number(Q, P)
    alpha = optimal_learning_rate(Q, P)
    run = problem.run(preconditioned_gd_2d, steps, learning_rate=alpha, **entries_2d(P))
    return PreconditionedRun(
        label=label,
        P=P,
        kappa=kappa,
        alpha=alpha,
        predicted_rate=rate(kappa),
        measured_rate=measured_rate(run, steps) if kappa > 1 + 1e-9 else None,
        final_loss=float(run.losses[-1]),
        steps_to_tolerance=analysis.iterations_to_tolerance(rate(kappa), tolerance),
        run=run,
    )


def preconditioner_comparison(steps: int = 30, tolerance: float = 1e-6) -> PreconditionerComparison:
    """Run no preconditioner, Jacobi ``diag(Q)⁻¹`` and ``Q⁻¹``, each at its own optimal α."""
    problem = scaled_correlated_quadratic()
    Q = np.asarray(problem.args[0], np.float64)
    return PreconditionerComparison(
        problem=problem,
        Q=Q,
        steps=steps,
        start_loss=float(problem.loss(problem.start)),
        tolerance=tolerance,
        none=_run_with(problem, "none (P = I)", np.eye(2), steps, tolerance),
        jacobi=_run_with(problem, "Jacobi (P = diag(Q)⁻¹)", np.diag(jacobi(Q)), steps, tolerance),
        newton=_run_with(problem, "Newton (P = Q⁻¹)", np.linalg.inv(Q), steps, tolerance),
    )


def preconditioner_comparison_figure(result: PreconditionerComparison) -> Figure:
    """Section *What a preconditioner does to the condition number*: paths | losses."""
    fig, (plane, losses) = plot.figure(ncols=2, width=4.6, height=3.4)
    plot.contour(plane, result.problem)
    for i, preconditioned in enumerate((result.none, result.jacobi, result.newton)):
        legend = f"{preconditioned.label}: κ = {preconditioned.kappa:.3g}"
        plot.trajectory_line(plane, preconditioned.run, legend, plot.color(i))
        plot.loss_curve(losses, preconditioned.run, legend, plot.color(i), result.problem.min_value)
    plane.set_title("paths, each at its optimal α")
    losses.set_title("L(θ_t) − L_min")
    losses.legend(loc="center right", fontsize=8)
    return fig
