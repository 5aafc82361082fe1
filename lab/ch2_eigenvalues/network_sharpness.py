"""The chapter's network and its sharpness λ_max.

Section "Beyond quadratics: the sharpness of a network".  An MLP 64–32–10 (tanh)
on 512 digits, trained on the squared error to one-hot targets; λ_max of its
Hessian at θ₀ by power iteration on Hessian-vector products
(:func:`lab.curvature.largest_eigenvalue`), and a dense check on a narrower
network (the exercise "eig-exercise-dense").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from lab import curvature, data, nn
from optimizers.validation import as_whole

__all__ = [
    "POWER_ITERATIONS",
    "DenseCheck",
    "NetworkProblem",
    "dense_hessian_check",
    "network_problem",
    "squared_error_loss",
]

POWER_ITERATIONS = 100
"""Hessian-vector products per power iteration (one compiled program)."""


def squared_error_loss(params, x, targets):
    """``L(θ) = 1/n Σᵢ ½ ‖MLP_θ(xᵢ) − yᵢ‖²`` with one-hot targets yᵢ.

    The logits regress on the targets, so the curvature does not fade as the network
    becomes confident.
    """
    residuals = nn.mlp_apply(params, x) - targets
    return 0.5 * jnp.mean(jnp.sum(residuals**2, axis=1))


class NetworkProblem(NamedTuple):
    """The chapter's network: an MLP 64–32–10 (tanh) on digits, full batch.

    Attributes:
        params: θ₀ (``nn.init_mlp``, a list of {"w", "b"} layers).
        x: the training images used (n × 64, standardised).
        labels: their classes 0–9.
        targets: the one-hot targets (n × 10) of :func:`squared_error_loss`.
        sharpness: the :class:`~lab.curvature.Eigenpair` of λ_max at θ₀ (its
            ``eigenvalue`` λ_max, ``residual`` ‖Hv − λv‖, ``estimates`` per iteration).
    """

    params: Any
    x: jax.Array
    labels: jax.Array
    targets: jax.Array
    sharpness: curvature.Eigenpair

    @property
    def num_parameters(self) -> int:
        """d, the number of scalar parameters (the Hessian is d × d)."""
        return sum(int(np.size(p)) for p in jax.tree_util.tree_leaves(self.params))

    @property
    def predicted_learning_rate(self) -> float:
        """2/λ_max(θ₀): the largest stable α of the quadratic model at initialisation."""
        return 2.0 / self.sharpness.eigenvalue


def network_problem(
    sizes: Sequence[int] = (64, 32, 10), examples: int = 512, seed: int = 0
) -> NetworkProblem:
    """The MLP at initialisation, its data, and λ_max of the squared-error loss there.

    ``examples`` (a whole number ≥ 2, at most the size of the digits' training
    set) are the first training images; ``seed`` draws θ₀.
    """
    examples = as_whole(examples, "examples", 2)
    digits = data.digits()
    if examples > digits.x_train.shape[0]:
        raise ValueError(f"examples must be at most {digits.x_train.shape[0]}, got {examples}")
    x, labels = digits.x_train[:examples], digits.y_train[:examples]
    targets = jax.nn.one_hot(labels, sizes[-1])
    params = nn.init_mlp(jax.random.PRNGKey(seed), list(sizes))
    top = curvature.largest_eigenvalue(
        squared_error_loss, params, x, targets, iterations=POWER_ITERATIONS
    )
    return NetworkProblem(params, x, labels, targets, top)


class DenseCheck(NamedTuple):
    """λ_max of a network small enough to form its Hessian, computed two ways.

    Attributes:
        power_iteration: λ_max by power iteration on Hessian-vector products
            (:data:`POWER_ITERATIONS` of them).
        dense: λ_max by ``jax.hessian`` and ``numpy.linalg.eigvalsh`` (float64).
        num_parameters: d, the size of the d × d Hessian formed.
    """

    power_iteration: float
    dense: float
    num_parameters: int


def dense_hessian_check(
    problem: NetworkProblem, sizes: Sequence[int] = (64, 8, 10), seed: int = 0
) -> DenseCheck:
    """λ_max by power iteration and by ``jax.hessian`` + ``numpy.linalg.eigvalsh``.

    For a narrower network on the same examples, so that the dense d×d
    Hessian stays cheap to form and to diagonalise.
    """
    params = nn.init_mlp(jax.random.PRNGKey(seed), list(sizes))
    x, targets = problem.x, problem.targets
    flat, unravel = ravel_pytree(params)
    hessian = jax.jit(jax.hessian(lambda f: squared_error_loss(unravel(f), x, targets)))(flat)
    dense = float(np.linalg.eigvalsh(np.asarray(hessian, np.float64))[-1])
    power = curvature.largest_eigenvalue(
        squared_error_loss, params, x, targets, iterations=POWER_ITERATIONS
    ).eigenvalue
    return DenseCheck(power, dense, int(flat.size))
