"""Section *Far from the minimum*: Newton on log cosh converges from 1.0 and diverges from 1.2.

``L(θ) = log cosh θ`` has ∇L = tanh θ and ∇²L = 1 − tanh² θ: far from 0 the curvature
vanishes and the Newton step ``−½ sinh 2θ`` overshoots.  The half step α = ½ and the
damped step μ = 1 converge from 1.2, linearly at rate ½.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from lab import plot
from lab.newton import newton
from lab.trajectory import Trajectory

__all__ = ["NewtonFarRuns", "log_cosh_loss", "newton_far_figure", "newton_far_runs"]


def log_cosh_loss(theta):
    """``L(θ) = Σᵢ log cosh θᵢ``: ∇L = tanh θ, ∇²L = diag(1 − tanh² θ), minimum 0 at 0.

    Far from 0 the curvature 1 − tanh² θ vanishes, so the Newton step
    −tanh θ/(1 − tanh² θ) = −½ sinh 2θ is huge.
    """
    return jnp.sum(jnp.log(jnp.cosh(theta)))


def _critical_start() -> float:
    """The start x_c > 0 with Newton's x₁ = −x_c: the root of sinh(2x) = 4x (bisection)."""
    low, high = 0.5, 2.0
    for _ in range(60):
        middle = (low + high) / 2
        if math.sinh(2 * middle) > 4 * middle:
            high = middle
        else:
            low = middle
    return (low + high) / 2


_LABELS = {
    "pure_from_1_0": "pure, θ₀ = 1.0",
    "pure_from_1_2": "pure, θ₀ = 1.2",
    "half_step_from_1_2": "α = 0.5, θ₀ = 1.2",
    "damped_from_1_2": "μ = 1, θ₀ = 1.2",
}


class NewtonFarRuns(NamedTuple):
    """Newton's method on log cosh from two starts, and two repairs of the far start.

    Attributes:
        steps: the number of steps T of each run.
        start: the far start θ₀ = 1.2 of the quadratic model.
        x1: where the pure Newton step from ``start`` lands, θ₀ − ½ sinh 2θ₀.
        model_minimum: the minimum value of the quadratic model at ``start``.
        curvature: L''(start) = 1 − tanh² θ₀.
        critical_start: θ_c > 0 whose Newton step lands at −θ_c (sinh 2θ_c = 4θ_c).
        pure_from_1_0, pure_from_1_2: pure Newton (α = 1, μ = 0) from 1.0 and 1.2.
        half_step_from_1_2: α = ½, μ = 0 from 1.2.
        damped_from_1_2: α = 1, μ = 1 from 1.2.
    """

    steps: int
    start: float
    x1: float
    model_minimum: float
    curvature: float
    critical_start: float
    pure_from_1_0: Trajectory
    pure_from_1_2: Trajectory
    half_step_from_1_2: Trajectory
    damped_from_1_2: Trajectory


def newton_far_runs(steps: int = 20) -> NewtonFarRuns:
    """Run the four Newton variants on log cosh, and the quadratic model's step from 1.2."""
    x0 = 1.2
    g, h = math.tanh(x0), 1.0 - math.tanh(x0) ** 2
    return NewtonFarRuns(
        steps=steps,
        start=x0,
        x1=x0 - g / h,  # the minimiser of the model: the Newton step
        model_minimum=math.log(math.cosh(x0)) - g**2 / (2 * h),
        curvature=h,
        critical_start=_critical_start(),
        pure_from_1_0=newton(log_cosh_loss, np.array([1.0]), steps),
        pure_from_1_2=newton(log_cosh_loss, np.array([x0]), steps),
        half_step_from_1_2=newton(log_cosh_loss, np.array([x0]), steps, learning_rate=0.5),
        damped_from_1_2=newton(log_cosh_loss, np.array([x0]), steps, damping=1.0),
    )


def _draw_model(ax: Axes, result: NewtonFarRuns) -> None:
    """The loss, the quadratic model at θ₀ and the Newton step to the model's minimum."""
    xs = np.linspace(-2.5, 2.5, 401)
    ax.plot(xs, np.log(np.cosh(xs)), color="black", linewidth=1.8, label="L(θ) = log cosh θ")
    x0, x1, h = result.start, result.x1, result.curvature
    g = math.tanh(x0)
    model = math.log(math.cosh(x0)) + g * (xs - x0) + 0.5 * h * (xs - x0) ** 2
    ax.plot(xs, model, "--", color=plot.color(0), label=f"quadratic model at θ₀ = {x0:g}")
    ax.plot([x0], [math.log(math.cosh(x0))], "o", color=plot.color(0))
    ax.plot([x1], [result.model_minimum], "x", color=plot.color(0), markersize=8, mew=2)
    ax.annotate(
        "", xy=(x1, math.log(math.cosh(x1))), xytext=(x0, math.log(math.cosh(x0))),
        arrowprops={"arrowstyle": "->", "color": plot.color(0), "linewidth": 1.5,
                    "connectionstyle": "arc3,rad=0.3"},
    )  # fmt: skip
    ax.plot([x1], [math.log(math.cosh(x1))], "o", color=plot.color(0), mfc="white", mew=2)
    ax.axvline(x1, color=plot.color(0), linewidth=0.8, alpha=0.6)
    ax.set_xlim(-2.5, 2.5)
    ax.set_ylim(-0.8, 2.5)
    ax.set_xlabel("θ")
    ax.set_title(f"the Newton step from {x0:g} lands at {x1:.2f}")
    ax.legend(loc="upper center", fontsize=8)


def _draw_distances(ax: Axes, result: NewtonFarRuns) -> None:
    """|θ_t| on a log scale for each run, with "diverged" where a run ran away."""
    for i, (name, label) in enumerate(_LABELS.items()):
        run = getattr(result, name)
        values = np.abs(np.asarray(run.params, np.float64)[:, 0])
        values = np.where(np.isfinite(values), np.maximum(values, 1e-30), np.nan)
        ax.semilogy(np.arange(values.size), values, "-o", color=plot.color(i), label=label,
                    markersize=3)  # fmt: skip
        if run.diverged_at is not None:
            last = run.diverged_at - 1
            ax.annotate("diverged", (last, values[last]), textcoords="offset points",
                        xytext=(4, 4), color=plot.color(i), fontsize=8)  # fmt: skip
    ax.set_xlabel("step t")
    ax.set_ylabel("|θ_t − θ*|")
    ax.set_title("distance to the minimum")
    ax.set_ylim(1e-13, 1e3)
    ax.set_xlim(0, result.steps)
    ax.legend(loc="lower left", fontsize=7.5)


def newton_far_figure(result: NewtonFarRuns) -> Figure:
    """Section *Far from the minimum*: the step from 1.2 | |θ_t| of the four runs.

    Left: the loss, the quadratic model at θ₀ = 1.2 and where its minimum sends
    the step.  Right: |θ_t| on a log scale for the pure step from 1.0 and 1.2, the
    half step α = ½ and the damped step μ = 1 from 1.2.
    """
    fig, (curve_ax, error_ax) = plot.figure(ncols=2, width=4.4, height=3.4)
    _draw_model(curve_ax, result)
    _draw_distances(error_ax, result)
    return fig
