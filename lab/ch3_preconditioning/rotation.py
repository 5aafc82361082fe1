"""Section *Rotation breaks a diagonal preconditioner*: Q = R(φ) diag(1, κ) R(φ)ᵀ.

The eigenvalues of Q do not depend on the angle φ, so gradient descent and Newton do
not care about it; a diagonal preconditioner fits only when the axes align.  This
module computes; :mod:`.rotation_panels` draws the widget and
:mod:`.adaptive_rotation` the figure over all angles.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

import optimizers as opt
from lab import plot, problems
from lab.ch3_preconditioning.preconditioned_step import entries_2d
from lab.ch3_preconditioning.spectrum import jacobi
from lab.registry import preconditioned_gd_2d
from lab.trajectory import Trajectory, trajectory

__all__ = [
    "RotatedPreconditioners",
    "RotationConditionNumbers",
    "RotationRuns",
    "rotated_preconditioners",
    "rotated_start",
    "rotation_condition_numbers",
    "rotation_runs",
]

ROTATION_STEPS = 100
"""The steps of every run on the rotated quadratic."""

ADAM_LEARNING_RATE = 0.1
"""Adam's α on the rotated quadratic."""

_START = np.array([-4.0, 1.5])  # θ₀ in the eigenbasis of Q; it turns with Q

LABELS = {
    "none": "no preconditioner",
    "jacobi": "Jacobi, P = diag(Q)⁻¹",
    "newton": "Newton, P = Q⁻¹",
    "adam": f"Adam, α = {ADAM_LEARNING_RATE:g}",
    "frozen_diagonal": "P = diag(Q)⁻¹ of the unrotated Q",
}
"""Legend names of the methods on the rotated quadratic, by field name."""

COLORS = {
    "none": plot.color(1),
    "jacobi": plot.color(0),
    "newton": plot.color(3),
    "adam": plot.color(4),
    "frozen_diagonal": plot.color(8),
}
"""Colours of the methods on the rotated quadratic, by field name."""


class RotatedPreconditioners(NamedTuple):
    """Q = R(φ) diag(1, κ) R(φ)ᵀ and four preconditioners for it.

    Each field is a 2×2 matrix for one angle, a stack of shape ``(n, 2, 2)`` for n angles.

    Attributes:
        Q: the rotated matrix.
        none: P = I.
        jacobi: P = diag(Q)⁻¹, recomputed for the rotated Q.
        frozen_diagonal: P = diag(1, 1/κ), the Jacobi (= exact) preconditioner of the
            *unrotated* Q, kept as the problem turns.
        newton: P = Q⁻¹.
    """

    Q: np.ndarray
    none: np.ndarray
    jacobi: np.ndarray
    frozen_diagonal: np.ndarray
    newton: np.ndarray


def rotated_preconditioners(angle: Any, condition: float) -> RotatedPreconditioners:
    """Q = R(angle) diag(1, κ) R(angle)ᵀ and four preconditioners, for angles in radians."""
    if not (isinstance(condition, (int, float, np.number)) and condition >= 1):
        raise ValueError(f"condition must be a number >= 1, got {condition!r}")
    Q = problems.quadratic_matrix((1.0, float(condition)), np.asarray(angle, np.float64))
    eye = np.broadcast_to(np.eye(2), Q.shape)  # eye * v[..., None, :] is diag(v), stacked
    return RotatedPreconditioners(
        Q=Q,
        none=eye,
        jacobi=eye * jacobi(Q)[..., None, :],
        frozen_diagonal=eye * np.array([1.0, 1.0 / condition]),
        newton=np.linalg.inv(Q),
    )


class RotationConditionNumbers(NamedTuple):
    """κ(PQ) per angle for each preconditioner of :class:`RotatedPreconditioners`.

    Each field is an array with one κ(PQ) (dimensionless, ≥ 1) per angle asked for.
    """

    none: np.ndarray
    jacobi: np.ndarray
    frozen_diagonal: np.ndarray
    newton: np.ndarray


def rotation_condition_numbers(condition: float, angles_degrees) -> RotationConditionNumbers:
    """κ(PQ) of each preconditioner of :func:`rotated_preconditioners`, per angle (degrees).

    All angles at once (the widget redraws 91 of them per κ move).  PQ is
    similar to the symmetric P^{1/2} Q P^{1/2}, so its eigenvalues are real.
    """
    angles = np.radians(np.ravel(np.asarray(angles_degrees, np.float64)))
    rotated = rotated_preconditioners(angles, condition)
    curves = {}
    for kind in RotationConditionNumbers._fields:
        eigenvalues = np.linalg.eigvals(getattr(rotated, kind) @ rotated.Q).real
        curves[kind] = eigenvalues.max(axis=1) / eigenvalues.min(axis=1)
    return RotationConditionNumbers(**curves)


def rotated_start(angle: float) -> np.ndarray:
    """θ₀ = R(angle) (−4, 1.5): the start turns with Q, so that only the axes change.

    A method that is invariant under rotations (gradient descent, Newton) then
    takes the same path at every angle, turned; a diagonal one does not.
    """
    return (problems.rotation(float(angle)) @ _START).astype(np.float32)


def _no_overshoot_learning_rate(Q: np.ndarray, P: np.ndarray) -> float:
    """α = 1/λ_max(PQ): the largest step that overshoots along no eigendirection of PQ.

    Every factor 1 − αλᵢ(PQ) then lies in [0, 1), so paths do not zig-zag, and the
    rate is 1 − 1/κ(PQ).  PQ is similar to P^{1/2} Q P^{1/2}, so its eigenvalues
    are real; taken directly here, as the rotation widget asks for three per move.
    """
    return float(1.0 / np.linalg.eigvals(P @ Q).real.max())


class RotationRuns(NamedTuple):
    """The runs on the rotated quadratic from :func:`rotated_start`, one per method.

    Attributes:
        none, jacobi, newton: preconditioned gradient descent with P = I, diag(Q)⁻¹
            and Q⁻¹, each at α = 1/λ_max(PQ).
        adam: Adam with α = :data:`ADAM_LEARNING_RATE`.
    """

    none: Trajectory
    jacobi: Trajectory
    newton: Trajectory
    adam: Trajectory


def rotation_runs(angle: float, condition: float, steps: int = ROTATION_STEPS) -> RotationRuns:
    """GD without P, with Jacobi's P and with Q⁻¹ (α = 1/λ_max(PQ)), and Adam, on Q(angle, κ)."""
    rotated = rotated_preconditioners(angle, condition)
    Q32 = (rotated.Q.astype(np.float32),)  # NumPy: jit takes it as it is, no conversion per move
    start = rotated_start(angle)
    runs = {}
    for kind in ("none", "jacobi", "newton"):
        P = getattr(rotated, kind)
        runs[kind] = trajectory(
            preconditioned_gd_2d, problems.quadratic_loss, start, steps, loss_args=Q32,
            learning_rate=_no_overshoot_learning_rate(rotated.Q, P), **entries_2d(P),
        )  # fmt: skip
    runs["adam"] = trajectory(
        opt.adam, problems.quadratic_loss, start, steps,
        loss_args=Q32, learning_rate=ADAM_LEARNING_RATE,
    )  # fmt: skip
    return RotationRuns(**runs)
