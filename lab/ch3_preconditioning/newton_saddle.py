"""Section *At a saddle point*: Newton's step heads for the stationary point; damping fixes it.

``L(θ) = ½θ₁² − ½θ₂² + ¼θ₂⁴`` (:func:`lab.problems.saddle`) has ``∇²L = diag(1, 3θ₂² − 1)``,
indefinite for |θ₂| < 1/√3.  There the Newton step goes to the saddle; the damped step
``−α (∇²L + μI)⁻¹ ∇L`` with μ > 1 escapes.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from matplotlib.figure import Figure

import optimizers as opt
from lab import plot, problems, widgets
from lab.newton import newton
from lab.problems import Problem
from lab.trajectory import Trajectory

__all__ = [
    "DampedNewtonFrame",
    "DampedNewtonPanels",
    "NewtonSaddleRuns",
    "damped_newton_widget",
    "newton_saddle_figure",
    "newton_saddle_runs",
]


class NewtonSaddleRuns(NamedTuple):
    """Gradient descent and Newton's method from (1.5, 0.01) on the saddle problem.

    Attributes:
        problem: :func:`lab.problems.saddle`, minima at (0, ±1), saddle at the origin.
        gd_run, newton_run: the two :class:`~lab.trajectory.Trajectory` objects.
        alpha_gd: gradient descent's learning rate.
        steps: the number of steps T of each run.
        newton_end: Newton's θ_T (float64).
        newton_params: Newton's θ_0 … θ_T, shape ``(T + 1, 2)``.
        newton_end_loss: Newton's L(θ_T).
        newton_end_hessian_eigenvalues: the eigenvalues of ∇²L(θ_T) for Newton's θ_T,
            ascending; (−1, 1) at the saddle.
        newton_theta2_after_one_step: θ₂ after Newton's first step.
        gd_end: gradient descent's θ_T.
        gd_end_loss: gradient descent's L(θ_T).
        min_value: L_min of the problem.
    """

    problem: Problem
    gd_run: Trajectory
    newton_run: Trajectory
    alpha_gd: float
    steps: int
    newton_end: np.ndarray
    newton_params: np.ndarray
    newton_end_loss: float
    newton_end_hessian_eigenvalues: np.ndarray
    newton_theta2_after_one_step: float
    gd_end: np.ndarray
    gd_end_loss: float
    min_value: float


def newton_saddle_runs(steps: int = 80) -> NewtonSaddleRuns:
    """Run gradient descent (α = 0.1) and Newton's method from the saddle problem's start."""
    saddle = problems.saddle()
    alpha_gd = 0.1
    run_gd = saddle.run(opt.sgd, steps, learning_rate=alpha_gd)
    run_newton = newton(saddle.loss_fn, saddle.start, steps)
    end = np.asarray(run_newton.params[-1], np.float64)
    hessian = np.diag([1.0, 3 * end[1] ** 2 - 1.0])
    return NewtonSaddleRuns(
        problem=saddle,
        gd_run=run_gd,
        newton_run=run_newton,
        alpha_gd=alpha_gd,
        steps=steps,
        newton_end=end,
        newton_params=np.asarray(run_newton.params, np.float64),
        newton_end_loss=float(run_newton.losses[-1]),
        newton_end_hessian_eigenvalues=np.linalg.eigvalsh(hessian),
        newton_theta2_after_one_step=float(run_newton.params[1][1]),
        gd_end=np.asarray(run_gd.params[-1], np.float64),
        gd_end_loss=float(run_gd.losses[-1]),
        min_value=saddle.min_value,
    )


def newton_saddle_figure(result: NewtonSaddleRuns) -> Figure:
    """Section *At a saddle point*: the paths on the contours (✕ the saddle) | losses."""
    fig, (plane, losses) = plot.figure(ncols=2, width=4.3, height=3.4)
    plot.contour(plane, result.problem)
    plane.plot(0, 0, marker="X", markersize=10, color="white", markeredgecolor="black")
    runs = {
        f"gradient descent, α = {result.alpha_gd:g}": result.gd_run,
        "Newton": result.newton_run,
    }
    for i, (label, run) in enumerate(runs.items()):
        color = plot.color(1 - i)
        plot.trajectory_line(plane, run, label, color)
        plot.loss_curve(losses, run, label, color, result.min_value)
    plane.set_title("paths from θ₀ = (1.5, 0.01); ✕ the saddle")
    losses.set_title("L(θ_t) − L_min")
    losses.legend(loc="center right", fontsize=8)
    return fig


# --------------------------------------------------------------------------
# Damped Newton: a widget
# --------------------------------------------------------------------------

_GD_LEARNING_RATE = 0.1
_NEWTON_LABEL = "damped Newton"
_GD_LABEL = f"gradient descent, α = {_GD_LEARNING_RATE:g}"


class DampedNewtonFrame(NamedTuple):
    """What the damped-Newton widget shows for one position of its sliders.

    Attributes:
        newton_run: damped Newton's :class:`~lab.trajectory.Trajectory` at the sliders' α, μ.
        gd_run: gradient descent at α = 0.1, for comparison (the same for every frame).
        status: a sentence saying where Newton's run ended (the figure's title).
    """

    newton_run: Trajectory
    gd_run: Trajectory
    status: str


def where_it_ended(run: Trajectory) -> str:
    """A sentence saying whether a run on the saddle problem ended at the saddle or a minimum.

    Judged by ∇L = (θ₁, θ₂³ − θ₂) and ∇²L = diag(1, 3θ₂² − 1) at its last point.
    """
    if run.diverged_at is not None:
        return f"Newton diverged at step {run.diverged_at}"
    points = np.asarray(run.params, np.float64)
    finite = np.all(np.isfinite(points), axis=1)
    x, y = points[np.flatnonzero(finite)[-1]]
    gradient = math.hypot(x, y**3 - y)
    if gradient > 1e-3:
        return f"Newton ends at ({x:.2f}, {y:.2f}): not stationary"
    kind = "a minimum" if 3 * y**2 - 1 > 0 else "the saddle"
    return f"Newton ends at {kind} ({x:.2f}, {y:.2f})"


class DampedNewtonPanels(plot.Panels):
    """Saddle contours with the damped Newton and gradient-descent paths | losses."""

    def __init__(self, problem: Problem):
        self.problem = problem
        self.figure, (self.plane, self.losses) = plot.figure(ncols=2, width=4.3, height=3.5)
        plot.contour(self.plane, problem)
        self.plane.plot(0, 0, marker="X", markersize=10, color="white", markeredgecolor="black")
        self.losses.set_title("L(θ_t) − L_min")

    def _runs(self, frame: DampedNewtonFrame) -> dict[str, Trajectory]:
        return {_NEWTON_LABEL: frame.newton_run, _GD_LABEL: frame.gd_run}

    def create(self, frame: DampedNewtonFrame) -> None:
        self.paths, self.curves = {}, {}
        for i, (label, run) in enumerate(self._runs(frame).items()):
            color = plot.color(i)
            self.paths[label] = plot.trajectory_line(self.plane, run, label, color)
            self.curves[label] = plot.loss_curve(
                self.losses, run, label, color, self.problem.min_value
            )
        self.losses.legend(loc="lower left", fontsize=8)
        self.message = plot.divergence_message(self.plane, frame.newton_run, "Newton")

    def update(self, frame: DampedNewtonFrame) -> None:
        for label, run in self._runs(frame).items():
            plot.update_trajectory_line(self.paths[label], run)
            plot.update_loss_curve(self.curves[label], run, self.problem.min_value)
        plot.update_divergence_message(self.message, frame.newton_run, "Newton")
        self.plane.set_title(frame.status, fontsize=10)
        plot.set_loss_axis_limits(self.losses, list(self.curves.values()))


def damped_newton_widget(
    learning_rate: float = 1.0, damping: float = 1.5, steps: int = 80
) -> widgets.Interactive:
    """Section *At a saddle point*: damped Newton ``θ_t = θ_{t−1} − α (∇²L + μI)⁻¹ ∇L``.

    Sliders: α and μ.  For μ < 1 = −λ_min(∇²L(0)) the damped Hessian is
    indefinite near the saddle and the step can lead into it; for μ > 1 it is
    positive definite and the step escapes; large μ approaches gradient descent
    with step α/μ.  Gradient descent (α = 0.1) is shown for comparison.
    """
    saddle = problems.saddle()
    panels = DampedNewtonPanels(saddle)
    gd = saddle.run(opt.sgd, steps, learning_rate=_GD_LEARNING_RATE)

    def compute(learning_rate: float, damping: float) -> DampedNewtonFrame:
        run = newton(
            saddle.loss_fn, saddle.start, steps,
            learning_rate=float(learning_rate), damping=float(damping),
        )  # fmt: skip
        return DampedNewtonFrame(run, gd, where_it_ended(run))

    controls = {
        "damping": widgets.slider("μ", damping, 0.0, 4.0, step=0.05),
        "learning_rate": widgets.slider("α", learning_rate, 0.05, 1.0, step=0.05),
    }
    interactive = widgets.interactive(
        compute, panels.draw, controls, panels.figure, static="damping"
    )
    interactive.panels = panels
    return interactive
