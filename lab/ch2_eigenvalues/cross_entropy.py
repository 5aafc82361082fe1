"""The same network trained on the cross-entropy: the prediction 2/λ_max(θ₀) is far too cautious.

End of section "Beyond quadratics: the sharpness of a network": with ``nn.train``
(cross-entropy, full batch) the sharpness at θ₀ is smaller, and the loss hardly
blows up at all as the softmax saturates; large steps hurt the accuracy instead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import jax
import numpy as np

from lab import curvature, data, nn
from lab.ch2_eigenvalues.network_sharpness import POWER_ITERATIONS, NetworkProblem
from optimizers.momentum import sgd

__all__ = ["CrossEntropySweep", "cross_entropy_sweep"]


class CrossEntropySweep(NamedTuple):
    """``nn.train`` (cross-entropy, full batch) at α = factor · 2/λ_max(θ₀).

    Attributes:
        sharpness: λ_max of the cross-entropy loss at θ₀.
        factors: α in units of 2/λ_max(θ₀).
        diverged_at: per run, ``nn.train``'s divergence step or −1.
        val_accuracy: per run, the validation accuracy at the end (a fraction in [0, 1]).
    """

    sharpness: float
    factors: np.ndarray
    diverged_at: np.ndarray
    val_accuracy: np.ndarray

    @property
    def first_diverging_factor(self) -> float:
        """The smallest factor of the grid whose run diverged (``nan`` if none did)."""
        bad = np.flatnonzero(self.diverged_at >= 0)
        return float(self.factors[bad[0]]) if bad.size else math.nan

    def table(self) -> list[tuple[float, float, bool]]:
        """``(factor, validation accuracy, diverged)`` for each run, as plain values."""
        return [
            (float(f), round(float(a), 3), bool(d >= 0))
            for f, a, d in zip(self.factors, self.val_accuracy, self.diverged_at, strict=True)
        ]


def cross_entropy_sweep(
    problem: NetworkProblem,
    factors: Sequence[float] = tuple(2.0**k for k in range(11)),
    steps: int = 50,
) -> CrossEntropySweep:
    """The same network trained with ``nn.train`` (cross-entropy) on the same examples.

    Full batch (``batch_size`` = n), α traced: one compiled program for the grid.
    """
    top = curvature.largest_eigenvalue(
        nn.cross_entropy_loss, problem.params, problem.x, problem.labels,
        iterations=POWER_ITERATIONS,
    )  # fmt: skip
    digits = data.digits()
    dataset = data.Dataset(problem.x, problem.labels, digits.x_val, digits.y_val)
    n = int(problem.x.shape[0])
    diverged, accuracy = [], []
    for factor in factors:
        result = nn.train(
            sgd, problem.params, dataset, steps=steps, batch_size=n,
            key=jax.random.PRNGKey(1), learning_rate=float(factor * 2 / top.eigenvalue),
        )  # fmt: skip
        diverged.append(-1 if result.diverged_at is None else result.diverged_at)
        accuracy.append(result.val_accuracy)
    return CrossEntropySweep(
        top.eigenvalue, np.asarray(factors, np.float64), np.array(diverged), np.array(accuracy)
    )
