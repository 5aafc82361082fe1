"""The spectrum of PQ: what a preconditioner P does to the condition number of Q.

On ``L(θ) = ½ θᵀQθ`` with a symmetric positive-definite P, the preconditioned step is
plain gradient descent on ``½ φᵀ P^{1/2} Q P^{1/2} φ`` (θ = P^{1/2} φ), whose
eigenvalues are those of PQ.  These functions are the ones the exercises invite the
reader to call with matrices of their own, so they check their arguments.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from lab import analysis
from lab.trajectory import Trajectory

__all__ = [
    "BestDiagonal",
    "best_diagonal_condition_number",
    "jacobi",
    "preconditioned_condition_number",
    "preconditioned_eigenvalues",
]


def _as_matrix(P: Any, d: int, name: str = "P") -> np.ndarray:
    P = np.asarray(P, np.float64)
    if P.ndim == 1:
        P = np.diag(P)
    if P.shape != (d, d):
        raise ValueError(f"{name} must be a {d}×{d} matrix or a length-{d} vector, got {P.shape}")
    if not np.allclose(P, P.T, rtol=1e-9, atol=1e-12):
        raise ValueError(f"{name} must be symmetric")
    return P


def preconditioned_eigenvalues(Q: Any, P: Any) -> np.ndarray:
    """The eigenvalues of PQ, ascending, computed as those of ``P^{1/2} Q P^{1/2}``.

    Both matrices must be symmetric, P positive definite (a vector P is a diagonal).
    """
    Q = np.asarray(Q, np.float64)
    if Q.ndim != 2 or Q.shape[0] != Q.shape[1]:
        raise ValueError(f"Q must be a square matrix, got shape {Q.shape}")
    P = _as_matrix(P, Q.shape[0])
    p, V = np.linalg.eigh(P)
    if p[0] <= 0:
        raise ValueError(f"P must be positive definite, its smallest eigenvalue is {p[0]:.3g}")
    root = V @ np.diag(np.sqrt(p)) @ V.T  # P^{1/2}
    return analysis.eigenvalues(root @ Q @ root)


def preconditioned_condition_number(Q: Any, P: Any) -> float:
    """κ(PQ) = λ_max(PQ)/λ_min(PQ): the condition number preconditioned GD sees."""
    lam = preconditioned_eigenvalues(Q, P)
    if lam[0] <= 0:
        raise ValueError("Q must be positive definite")
    return float(lam[-1] / lam[0])


def jacobi(Q: Any) -> np.ndarray:
    """The Jacobi (diagonal) preconditioner ``P = diag(Q)⁻¹``, as the vector of its diagonal.

    For a stack of matrices (shape ``(n, d, d)``), the stack of their vectors.
    """
    Q = np.asarray(Q, np.float64)
    diagonal = np.diagonal(Q, axis1=-2, axis2=-1)
    if np.any(diagonal <= 0):
        raise ValueError("Q must have a positive diagonal")
    return 1.0 / diagonal


class BestDiagonal(NamedTuple):
    """The best diagonal preconditioner ``P = diag(1, r)`` of a 2×2 Q, found by a search.

    Attributes:
        condition_number: the smallest κ(PQ) found (dimensionless, ≥ 1).
        ratio: the ratio r = p₂₂/p₁₁ that gives it (Jacobi's is q₁₁/q₂₂).
    """

    condition_number: float
    ratio: float


def best_diagonal_condition_number(Q: Any, ratios: int = 4001) -> BestDiagonal:
    """The smallest κ(PQ) over diagonal P = diag(1, r) in 2-D, by a search over r.

    The ratio r runs over ``ratios`` values, log-spaced around the Jacobi ratio
    q₁₁/q₂₂ (a factor 100 either way).  Unpacks as ``κ_best, r_best = ...``.
    """
    Q = _as_matrix(Q, 2, "Q")
    jacobi_ratio = Q[0, 0] / Q[1, 1]
    grid = jacobi_ratio * np.logspace(-2, 2, ratios)
    kappas = [preconditioned_condition_number(Q, [1.0, r]) for r in grid]
    best = int(np.argmin(kappas))
    return BestDiagonal(float(kappas[best]), float(grid[best]))


def optimal_learning_rate(Q: np.ndarray, P: np.ndarray) -> float:
    """α* = 2/(λ_min + λ_max) of PQ."""
    lam = preconditioned_eigenvalues(Q, P)
    return float(2.0 / (lam[0] + lam[-1]))


def rate(kappa: float) -> float:
    """The rate (κ − 1)/(κ + 1) of gradient descent at α* on condition number κ."""
    return (kappa - 1.0) / (kappa + 1.0)


def measured_rate(run: Trajectory, steps: int) -> float:
    """The per-step contraction of ‖θ‖ implied by the loss: (L_T/L_0)^{1/(2T)}."""
    losses = np.asarray(run.losses, np.float64)
    return float((losses[steps] / losses[0]) ** (1.0 / (2 * steps)))
