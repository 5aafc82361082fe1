"""The preconditioned gradient step ``θ_t = θ_{t−1} − α P ∇L(θ_{t−1})``, built from the library.

In the package it is ``chain(precondition(P), scale_by_learning_rate(α))``.  The 2-D
form takes the entries of P as scalars, so that :func:`~lab.trajectory.trajectory`
traces them like the learning rate: one compiled program serves every P, every α
and every Q (passed as ``loss_args``), and no slider move recompiles.
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np

import optimizers as opt

__all__ = ["entries_2d", "per_coordinate_gd", "preconditioned_gd", "preconditioned_gd_2d"]


def preconditioned_gd(P: Any, learning_rate: Any) -> opt.GradientTransformation:
    """``θ_t = θ_{t−1} − α P g_t``: ``chain(precondition(P), scale_by_learning_rate(α))``.

    ``P`` is a d×d matrix or a length-d vector (a diagonal preconditioner).
    """
    return opt.chain(opt.precondition(P), opt.scale_by_learning_rate(learning_rate))


def preconditioned_gd_2d(
    learning_rate: Any, p11: Any = 1.0, p12: Any = 0.0, p22: Any = 1.0
) -> opt.GradientTransformation:
    """Preconditioned gradient descent in 2-D with ``P = [[p11, p12], [p12, p22]]``.

    The entries are scalars, so :func:`~lab.trajectory.trajectory` traces
    them like the learning rate: every preconditioner shares one compiled program.
    """
    P = jnp.stack([jnp.stack([p11, p12]), jnp.stack([p12, p22])]).astype(jnp.float32)
    return preconditioned_gd(P, learning_rate)


def per_coordinate_gd(learning_rate_1: Any, learning_rate_2: Any) -> opt.GradientTransformation:
    """One learning rate per coordinate: ``θ_{t,i} = θ_{t−1,i} − α_i g_{t,i}``.

    The diagonal preconditioner ``P = diag(α₁, α₂)`` with a global α = 1.
    """
    rates = jnp.stack([jnp.asarray(learning_rate_1), jnp.asarray(learning_rate_2)])
    return preconditioned_gd(rates.astype(jnp.float32), 1.0)


def entries_2d(P: np.ndarray) -> dict[str, float]:
    """The hyperparameters ``p11, p12, p22`` of :func:`preconditioned_gd_2d` for a 2×2 P."""
    return {"p11": float(P[0, 0]), "p12": float(P[0, 1]), "p22": float(P[1, 1])}
