"""Closed-form results for quadratics ``L(θ) = ½ θᵀQθ`` (so ∇L = Qθ).

Gradient descent ``θ_t = θ_{t−1} − α Q θ_{t−1}`` acts on each eigendirection of Q
separately: the component along eigenvector i is multiplied by ``1 − αλᵢ`` per
step.  Everything here follows from that, and from the 2×2 version of it for
the heavy ball.  All functions take a symmetric positive-(semi)definite Q as
an array and compute in float64 with NumPy.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "condition_number",
    "eigendecomposition",
    "eigenvalues",
    "gd_contraction_factors",
    "gd_rate",
    "iterations_to_tolerance",
    "max_stable_learning_rate",
    "momentum_iteration_matrix",
    "momentum_rate",
    "optimal_learning_rate",
    "optimal_momentum",
    "optimal_nesterov",
]


def _symmetric(Q) -> np.ndarray:
    Q = np.asarray(Q, dtype=np.float64)
    if Q.ndim != 2 or Q.shape[0] != Q.shape[1]:
        raise ValueError(f"Q must be a square matrix, got shape {Q.shape}")
    if not np.allclose(Q, Q.T, rtol=1e-6, atol=1e-12):
        raise ValueError("Q must be symmetric (the Hessian of ½ θᵀQθ)")
    return Q


def eigendecomposition(Q) -> tuple[np.ndarray, np.ndarray]:
    """``(λ, V)`` with Q = V diag(λ) Vᵀ, eigenvalues ascending, V orthonormal."""
    return np.linalg.eigh(_symmetric(Q))


def eigenvalues(Q) -> np.ndarray:
    """The eigenvalues of Q, ascending."""
    return np.linalg.eigvalsh(_symmetric(Q))


def _positive_spectrum(Q) -> np.ndarray:
    lam = eigenvalues(Q)
    if lam[0] <= 0:
        raise ValueError(f"Q must be positive definite, its smallest eigenvalue is {lam[0]:.3g}")
    return lam


def condition_number(Q) -> float:
    """κ = λ_max / λ_min."""
    lam = _positive_spectrum(Q)
    return float(lam[-1] / lam[0])


def max_stable_learning_rate(Q) -> float:
    """GD converges iff ``0 < α < 2/λ_max``: every ``|1 − αλᵢ| < 1``."""
    return float(2.0 / eigenvalues(Q)[-1])


def optimal_learning_rate(Q) -> float:
    """``α* = 2/(λ_min + λ_max)``, which balances ``|1 − αλ_min| = |1 − αλ_max|``."""
    lam = _positive_spectrum(Q)
    return float(2.0 / (lam[0] + lam[-1]))


def gd_contraction_factors(Q, learning_rate: float) -> np.ndarray:
    """``1 − αλᵢ`` for each eigenvalue (ascending): the factor per step along direction i."""
    return 1.0 - learning_rate * eigenvalues(Q)


def gd_rate(Q, learning_rate: float) -> float:
    """The worst-case contraction per step, ``max_i |1 − αλᵢ|``.

    At α* it equals (κ − 1)/(κ + 1); above 1 the iteration diverges.
    """
    return float(np.max(np.abs(gd_contraction_factors(Q, learning_rate))))


def momentum_iteration_matrix(eigenvalue: float, learning_rate: float, momentum: float):
    """The 2×2 matrix T with ``(x_t, x_{t−1}) = T (x_{t−1}, x_{t−2})`` along one eigendirection.

    The heavy ball ``θ_t = θ_{t−1} − αQθ_{t−1} + β(θ_{t−1} − θ_{t−2})`` gives
    ``T = [[1 + β − αλ, −β], [1, 0]]``.
    """
    a, b, lam = learning_rate, momentum, eigenvalue
    return np.array([[1.0 + b - a * lam, -b], [1.0, 0.0]])


def momentum_rate(Q, learning_rate: float, momentum: float) -> float:
    """The heavy ball's asymptotic rate: the largest spectral radius of T over Q's eigenvalues.

    It converges iff ``0 < αλᵢ < 2 + 2β`` for all i (and 0 ≤ β < 1).
    """
    radii = [
        np.max(np.abs(np.linalg.eigvals(momentum_iteration_matrix(lam, learning_rate, momentum))))
        for lam in eigenvalues(Q)
    ]
    return float(max(radii))


def optimal_momentum(Q) -> tuple[float, float]:
    """Polyak's optimal heavy-ball parameters ``(α, β)``.

    ``α = (2/(√λ_min + √λ_max))²`` and ``β = ((√κ − 1)/(√κ + 1))²``, giving the
    rate (√κ − 1)/(√κ + 1), against GD's (κ − 1)/(κ + 1).
    """
    lam = _positive_spectrum(Q)
    lo, hi = math.sqrt(lam[0]), math.sqrt(lam[-1])
    learning_rate = (2.0 / (lo + hi)) ** 2
    momentum = ((hi - lo) / (hi + lo)) ** 2
    return float(learning_rate), float(momentum)


def optimal_nesterov(Q) -> tuple[float, float]:
    """Nesterov momentum's best constant parameters ``(α, β)`` on ½θᵀQθ (Lessard et al. 2016).

    ``α = 4/(3λ_max + λ_min)`` and ``β = (√(3κ+1) − 2)/(√(3κ+1) + 2)``, giving the
    rate 1 − 2/√(3κ+1): slower than the tuned heavy ball's 1 − 2/(√κ + 1).
    """
    lam = _positive_spectrum(Q)
    root = math.sqrt(3.0 * lam[-1] / lam[0] + 1.0)
    return float(4.0 / (3.0 * lam[-1] + lam[0])), float((root - 2.0) / (root + 2.0))


def iterations_to_tolerance(rate: float, tolerance: float) -> float:
    """Steps t with ``rate^t ≤ tolerance``: ``⌈log(tol)/log(rate)⌉`` (∞ if rate ≥ 1)."""
    if not 0 < tolerance < 1:
        raise ValueError(f"tolerance must lie in (0, 1), got {tolerance}")
    if rate >= 1:
        return math.inf
    if rate <= 0:
        return 1.0
    return float(math.ceil(math.log(tolerance) / math.log(rate)))
