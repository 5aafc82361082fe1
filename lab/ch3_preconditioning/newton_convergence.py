"""Section *Newton's method: the preconditioner that follows the curvature*: Rosenbrock.

Newton's method takes P = ∇²L(θ_{t−1})⁻¹ at every step.  On Rosenbrock's function
with a = 0 it converges quadratically (the number of correct digits doubles per step)
where gradient descent, at the largest stable α, crawls along the valley.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

import optimizers as opt
from lab import plot, problems
from lab.newton import newton
from lab.problems import Problem
from lab.trajectory import Trajectory

__all__ = ["NewtonRosenbrockRuns", "newton_rosenbrock_figure", "newton_rosenbrock_runs"]


class NewtonRosenbrockRuns(NamedTuple):
    """Newton's method and gradient descent on ``L(θ) = θ₁² + 100 (θ₂ − θ₁²)²``.

    Attributes:
        problem: Rosenbrock's function with a = 0, minimum θ* = 0, start (−1.5, 2).
        newton_run, gd_run: the two :class:`~lab.trajectory.Trajectory` objects.
        alpha_gd: gradient descent's learning rate.
        newton_steps, gd_steps: their numbers of steps.
        errors_newton, errors_gd: the errors e_t = ‖θ_t − θ*‖, t = 0 … T (float64).
        losses_newton: L(θ_t) along Newton's run (not monotone: the full step overshoots).
        smallest_curvatures: the smallest eigenvalue of ∇²L(θ_t) at Newton's iterates
            θ_0 … θ_{T−1} (float64); all positive means every Newton direction descends.
        slopes: g_tᵀ(θ_{t+1} − θ_t), the first-order change of the loss along each Newton
            step (float64): negative for a step in a descent direction, 0 once it stops.
        orders: the measured orders of convergence log(e_{t+1}/e_t) / log(e_t/e_{t−1})
            over Newton's positive errors; 2 for quadratic convergence.
        start_loss: L(θ₀).
    """

    problem: Problem
    newton_run: Trajectory
    gd_run: Trajectory
    alpha_gd: float
    newton_steps: int
    gd_steps: int
    errors_newton: np.ndarray
    errors_gd: np.ndarray
    losses_newton: np.ndarray
    smallest_curvatures: np.ndarray
    slopes: np.ndarray
    orders: np.ndarray
    start_loss: float


def newton_rosenbrock_runs(newton_steps: int = 10, gd_steps: int = 1000) -> NewtonRosenbrockRuns:
    """Run Newton's method and gradient descent (α = 2·10⁻³) from (−1.5, 2).

    With a = 0 the minimum is the origin, where float32 resolves errors down to
    1e−38, so the doubling of correct digits stays visible for longer than near (1, 1).
    """
    banana = problems.rosenbrock(a=0.0)
    run_newton = newton(banana.loss_fn, banana.start, newton_steps, loss_args=banana.args)
    alpha_gd = 2e-3
    run_gd = banana.run(opt.sgd, gd_steps, learning_rate=alpha_gd)
    errors_newton = np.linalg.norm(np.asarray(run_newton.params, np.float64), axis=1)
    logs = np.log10(errors_newton[errors_newton > 0])
    points = np.asarray(run_newton.params, np.float64)
    gradients, hessians = _gradient_and_hessian(points[:-1])
    return NewtonRosenbrockRuns(
        problem=banana,
        newton_run=run_newton,
        gd_run=run_gd,
        alpha_gd=alpha_gd,
        newton_steps=newton_steps,
        gd_steps=gd_steps,
        errors_newton=errors_newton,
        errors_gd=np.linalg.norm(np.asarray(run_gd.params, np.float64), axis=1),
        losses_newton=np.asarray(run_newton.losses, np.float64),
        smallest_curvatures=np.linalg.eigvalsh(hessians)[:, 0],
        slopes=np.einsum("ti,ti->t", gradients, np.diff(points, axis=0)),
        orders=np.diff(logs[1:]) / np.diff(logs[:-1]),
        start_loss=float(run_newton.losses[0]),
    )


def _gradient_and_hessian(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """∇L and ∇²L of ``L(θ) = θ₁² + 100 (θ₂ − θ₁²)²`` at each row of ``points``, in float64."""
    x, y = points[:, 0], points[:, 1]
    gradients = np.stack([2 * x - 400 * x * (y - x**2), 200 * (y - x**2)], axis=1)
    hessians = np.empty((len(points), 2, 2))
    hessians[:, 0, 0] = 2 - 400 * y + 1200 * x**2
    hessians[:, 0, 1] = hessians[:, 1, 0] = -400 * x
    hessians[:, 1, 1] = 200.0
    return gradients, hessians


def _draw_paths(plane: Axes, result: NewtonRosenbrockRuns) -> None:
    plot.contour(plane, result.problem)
    label_gd = f"gradient descent, α = {result.alpha_gd:g}"
    plot.trajectory_line(plane, result.gd_run, label_gd, plot.color(1))
    plot.trajectory_line(plane, result.newton_run, "Newton", plot.color(0))
    plane.set_title("Rosenbrock (a = 0), from (−1.5, 2)")
    plane.legend(loc="lower right", fontsize=7.5)


def _draw_errors(ax: Axes, result: NewtonRosenbrockRuns) -> None:
    """‖θ_t − θ*‖ against t on log–log axes (t ≥ 1; Newton's exact zeros left out)."""
    errors_newton, errors_gd = result.errors_newton, result.errors_gd
    t_newton, t_gd = np.arange(errors_newton.size), np.arange(errors_gd.size)
    ax.loglog(t_gd[1:], errors_gd[1:], color=plot.color(1), label="gradient descent")
    shown = (errors_newton > 0) & (t_newton > 0)
    ax.loglog(t_newton[shown], errors_newton[shown], "-o", color=plot.color(0), label="Newton",
              markersize=3.5)  # fmt: skip
    ax.set_xlabel("step t")
    ax.set_ylabel("‖θ_t − θ*‖")
    ax.set_title("error (log–log)")
    ax.legend(loc="lower left", fontsize=8)


def _draw_order(ax: Axes, errors_newton: np.ndarray) -> None:
    """log e_t against log e_{t−1} for Newton's consecutive positive errors, slopes 2 and 1."""
    usable = np.flatnonzero(errors_newton > 0)
    logs = np.log10(errors_newton[usable])
    pairs = np.stack([logs[:-1], logs[1:]], axis=1)[usable[1:] == usable[:-1] + 1]
    ax.plot(pairs[:, 0], pairs[:, 1], "o", color=plot.color(0), label="Newton's steps")
    line = np.array([-20.0, 1.0])
    ax.plot(line, 2 * line, "--", color="black", linewidth=1, label=r"slope 2: $e_t = e_{t-1}^2$")
    ax.plot(line, line, ":", color="grey", linewidth=1, label=r"slope 1: $e_t = e_{t-1}$")
    ax.set_xlim(-20, 1)
    ax.set_ylim(-40, 2)
    ax.set_xlabel(r"$\log_{10} e_{t-1}$")
    ax.set_ylabel(r"$\log_{10} e_t$")
    ax.set_title("order of convergence")
    ax.legend(loc="lower right", fontsize=7.5)


def newton_rosenbrock_figure(result: NewtonRosenbrockRuns) -> Figure:
    """Section *Newton's method: the preconditioner that follows the curvature*.

    Panels: the paths; the error ‖θ_t − θ*‖ against t (log–log); log e_t against
    log e_{t−1} for Newton.
    """
    fig, (plane, error_ax, order_ax) = plot.figure(ncols=3, width=3.4, height=3.4)
    _draw_paths(plane, result)
    _draw_errors(error_ax, result)
    _draw_order(order_ax, result.errors_newton)
    return fig
