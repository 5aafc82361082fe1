"""Gradient descent on ``½ θᵀQθ`` seen in the eigenbasis of Q: the run, and its two figures.

Sections "A zig-zag, seen from the right angle" and "Predicted against measured".
With ``Q = VΛVᵀ`` and ``z = Vᵀθ``, gradient descent decouples exactly:
``z_{t,i} = (1 − αλᵢ)^t z_{0,i}``.  :func:`eigenbasis_run` measures ``z_t`` on a
compiled float32 run and predicts it in float64; the figures draw one or more runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from lab import analysis, plot, problems
from lab.ch2_eigenvalues.level_sets import (
    FAST,
    PATH,
    SLOW,
    axis_segment,
    decay_lines,
    ellipses,
    style_plane,
)
from lab.trajectory import Trajectory, trajectory
from optimizers.momentum import sgd

__all__ = [
    "ANGLE",
    "EIGENVALUES",
    "START",
    "STEPS",
    "EigenbasisRun",
    "eigenbasis_figure",
    "eigenbasis_run",
    "zigzag_figure",
]

EIGENVALUES = (1.0, 10.0)
"""(λ₁, λ₂) of the chapter's running 2-D example: κ = 10."""

ANGLE = 0.5
"""The rotation of its principal axes, in radians (about 29°)."""

START = (-4.0, 3.0)
"""θ₀ of the 2-D runs (``problems.quadratic``'s start), ‖θ₀‖ = 5."""

STEPS = 40
"""Steps T of every 2-D run in the figures and the eigenvalue widget (one compilation)."""


class EigenbasisRun(NamedTuple):
    """One gradient-descent run on ``½ θᵀQθ``, seen in the eigenbasis of Q.

    Attributes:
        Q: the 2×2 matrix (float64).
        eigenvalues: λ₁ ≤ λ₂, ascending (as ``analysis`` orders them).
        V: the orthonormal eigenvectors, one per column, ``Q = V diag(λ) Vᵀ``.
        learning_rate: α.
        factors: the contraction factors ``1 − αλᵢ`` (``analysis.gd_contraction_factors``).
        trajectory: the measured run (:func:`lab.trajectory`), θ₀ … θ_T.
        measured: ``z_t = Vᵀθ_t`` of the run, shape ``(T + 1, 2)``; NaN after a divergence.
        predicted: ``z_{t,i} = (1 − αλᵢ)^t z_{0,i}``, same shape (float64).
    """

    Q: np.ndarray
    eigenvalues: np.ndarray
    V: np.ndarray
    learning_rate: float
    factors: np.ndarray
    trajectory: Trajectory
    measured: np.ndarray
    predicted: np.ndarray

    @property
    def rate(self) -> float:
        """``max_i |1 − αλᵢ|``: the contraction of the slowest direction per step."""
        return float(np.max(np.abs(self.factors)))

    @property
    def max_relative_error(self) -> float:
        """``max_t max_i |measured − predicted| / max(‖z_t‖, ‖z₀‖ · 10⁻⁶)`` over the finite steps.

        The denominator is the size of the iterate itself: float32 arithmetic
        makes errors of about 10⁻⁷ relative to ‖θ_t‖ in every component.
        """
        finite = np.all(np.isfinite(self.measured), axis=1)
        scale = np.maximum(
            np.linalg.norm(self.predicted[finite], axis=1),
            1e-6 * np.linalg.norm(self.predicted[0]),
        )
        error = np.max(np.abs(self.measured[finite] - self.predicted[finite]), axis=1)
        return float(np.max(error / scale))


def eigenbasis_run(
    eigenvalues: Sequence[float] = EIGENVALUES,
    angle: float = ANGLE,
    learning_rate: float = 0.17,
    steps: int = STEPS,
    x0: Sequence[float] = START,
) -> EigenbasisRun:
    """Run gradient descent on ``½ θᵀQθ`` and compare it with ``z_{t,i} = (1 − αλᵢ)^t z_{0,i}``.

    ``Q = R(angle) diag(λ) R(angle)ᵀ`` (``problems.quadratic_matrix``, which
    checks ``eigenvalues``) is passed to the compiled run as data, so new
    eigenvalues, a new angle or a new α do not recompile.
    """
    learning_rate = float(learning_rate)
    Q = problems.quadratic_matrix(eigenvalues, angle)
    run = trajectory(
        sgd, problems.quadratic_loss, np.asarray(x0, np.float32), steps,
        loss_args=(Q,), learning_rate=learning_rate,
    )  # fmt: skip
    lam, V = analysis.eigendecomposition(Q)
    factors = analysis.gd_contraction_factors(Q, learning_rate)
    measured = np.asarray(run.params, np.float64) @ V  # row t is (Vᵀθ_t)ᵀ
    t = np.arange(steps + 1)[:, None]
    with np.errstate(over="ignore"):
        predicted = factors[None, :] ** t * (np.asarray(x0, np.float64) @ V)[None, :]
    return EigenbasisRun(Q, lam, V, learning_rate, factors, run, measured, predicted)


def zigzag_figure(run: EigenbasisRun, steps: int = 12):
    """Section "A zig-zag, seen from the right angle": the first ``steps`` steps of ``run``.

    Left: the path zig-zags across the rotated ellipses, in the θ-plane.
    Right: the same points in the eigenbasis z = Vᵀθ, where the ellipses are
    aligned with the axes and each coordinate moves on its own.  The level sets
    are those through :data:`START`.  Returns the figure.
    """
    shown = Trajectory(run.trajectory.params[: steps + 1], run.trajectory.losses, None)
    in_z = Trajectory(run.measured[: steps + 1], run.trajectory.losses, None)
    fig, (plane, eigen) = plot.figure(ncols=2, width=4.4, height=4.2)
    lam, V = run.eigenvalues, run.V
    start = np.asarray(START, np.float64)
    for ellipse in ellipses(lam, V, start):
        plane.plot(*ellipse, color="0.6", linewidth=0.8)
    for ellipse in ellipses(lam, np.eye(2), V.T @ start):
        eigen.plot(*ellipse, color="0.6", linewidth=0.8)
    for i, color in enumerate((SLOW, FAST)):
        plane.plot(*axis_segment(V[:, i]), "--", color=color, linewidth=1.3,
                   label=f"eigenvector of λ = {lam[i]:g}")  # fmt: skip
        eigen.plot(*axis_segment(np.eye(2)[i]), "--", color=color, linewidth=1.3)
    plot.trajectory_line(plane, shown, color=PATH)
    plot.trajectory_line(eigen, in_z, color=PATH)
    title = f"θ-plane: {steps} steps of α = {run.learning_rate:g}"
    style_plane(plane, title, ("θ₁", "θ₂"))
    style_plane(eigen, "the same steps in z = Vᵀθ", ("z₁ (slow, λ_min)", "z₂ (fast, λ_max)"))
    plane.legend(loc="lower left", fontsize=8, framealpha=0.9)
    return fig


def eigenbasis_figure(runs: Sequence[EigenbasisRun]):
    """Section "Predicted against measured": |z_{t,i}| measured and predicted, a panel per run.

    The first panel carries the legend; each title gives α and the factors
    ``1 − αλᵢ``.  Returns the figure.
    """
    fig, axes = plot.figure(ncols=len(runs), width=4.6, height=3.8)
    axes = axes if isinstance(axes, list) else [axes]
    for k, (ax, run) in enumerate(zip(axes, runs, strict=True)):
        decay_lines(ax, run, legend="full" if k == 0 else None)
        factors = ", ".join(f"{f:+.2f}" for f in run.factors)
        ax.set_title(f"α = {run.learning_rate:g}: factors 1 − αλᵢ = {factors}", fontsize=10)
    return fig
