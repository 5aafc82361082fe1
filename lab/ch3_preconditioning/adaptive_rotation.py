"""Section *Adaptive methods are diagonal preconditioners*: the loss against the angle.

Adagrad, RMSprop and Adam divide the gradient coordinate by coordinate: diagonal
preconditioners estimated from the gradients.  Like Jacobi's, they do best when the
axes of Q are the coordinate axes, and worst near 45°.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np
from matplotlib.figure import Figure

import optimizers as opt
from lab import plot, problems
from lab.ch3_preconditioning.rotation import (
    COLORS,
    LABELS,
    ROTATION_STEPS,
    rotated_start,
    rotation_runs,
)
from lab.trajectory import trajectory

__all__ = ["AdaptiveRotationLosses", "adaptive_rotation_figure", "adaptive_rotation_losses"]

ADAGRAD_LEARNING_RATE = 1.0
"""Adagrad's α on the rotated quadratic."""


class AdaptiveRotationLosses(NamedTuple):
    """The loss after ``steps`` steps on ½θᵀQθ, Q = R(φ) diag(1, κ) R(φ)ᵀ, per angle φ.

    Attributes:
        angles_degrees: the angles φ, in degrees, shape ``(n,)``.
        condition: κ of Q.
        steps: the number of steps T of every run (from :func:`.rotation.rotated_start`).
        none, jacobi, newton: L(θ_T) − L_min per angle, shape ``(n,)``, of gradient
            descent with P = I, diag(Q)⁻¹ and Q⁻¹ at α = 1/λ_max(PQ).
        adam: the same for Adam, α = 0.1.
        adagrad: the same for Adagrad, α = 1.
    """

    angles_degrees: np.ndarray
    condition: float
    steps: int
    none: np.ndarray
    jacobi: np.ndarray
    newton: np.ndarray
    adam: np.ndarray
    adagrad: np.ndarray


def adaptive_rotation_losses(
    condition: float = 25.0, steps: int = ROTATION_STEPS, angles_degrees=None
) -> AdaptiveRotationLosses:
    """Run the methods of the rotation widget, and Adagrad, at each angle (default 0°, 5° … 90°)."""
    angles = np.linspace(0.0, 90.0, 19) if angles_degrees is None else angles_degrees
    angles = np.asarray(angles, np.float64)
    finals: dict[str, list[float]] = {}
    for degrees in angles:
        radians = math.radians(degrees)
        runs = rotation_runs(radians, condition, steps)._asdict()
        Q32 = (jnp.asarray(problems.quadratic_matrix((1.0, condition), radians), jnp.float32),)
        runs["adagrad"] = trajectory(
            opt.adagrad, problems.quadratic_loss, rotated_start(radians), steps,
            loss_args=Q32, learning_rate=ADAGRAD_LEARNING_RATE,
        )  # fmt: skip
        for name, run in runs.items():
            finals.setdefault(name, []).append(float(run.losses[-1]))
    return AdaptiveRotationLosses(
        angles_degrees=angles,
        condition=condition,
        steps=steps,
        **{name: np.asarray(values) for name, values in finals.items()},
    )


def adaptive_rotation_figure(result: AdaptiveRotationLosses) -> Figure:
    """Section *Adaptive methods are diagonal preconditioners*: final loss against the angle.

    Gradient descent and Newton do not care about the angle; Jacobi preconditioning
    and the adaptive methods, whose scalings are diagonal, do best when the axes align.
    """
    labels = {**LABELS, "adagrad": f"Adagrad, α = {ADAGRAD_LEARNING_RATE:g}"}
    colors = {**COLORS, "adagrad": plot.color(2)}
    fig, ax = plot.figure(ncols=1, width=6.4, height=3.6)
    losses = result._asdict()
    for name in ("none", "newton", "jacobi", "adagrad", "adam"):
        shown = np.maximum(losses[name], plot.LOSS_FLOOR)
        style = "-o" if name in ("adagrad", "adam") else "-"
        ax.plot(result.angles_degrees, shown, style, color=colors[name], label=labels[name],
                markersize=3.5, linewidth=1.6)  # fmt: skip
    ax.set_yscale("log")
    ax.set_xlabel("rotation angle of Q (degrees)")
    ax.set_ylabel(f"L(θ) − L_min after {result.steps} steps")
    ax.set_xlim(0, 90)
    ax.set_xticks([0, 15, 30, 45, 60, 75, 90])
    ax.set_title(f"loss after {result.steps} steps on ½θᵀQθ, κ = {result.condition:g}")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
    return fig
