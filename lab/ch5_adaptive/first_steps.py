"""The first step of RMSprop and of Adadelta, from the package and from the formula.

With zero-initialised averages the first step has a closed form: RMSprop's is
about ``−α sign(g_1)/√(1 − β₂)``, Adadelta's about ``−√(ε/(1 − ρ)) sign(g_1)``
whatever the size of g_1 — ε, not a learning rate, sets Adadelta's first step.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax.numpy as jnp

from lab import registry

__all__ = ["AdadeltaFirstStep", "RmspropFirstStep", "adadelta_first_step", "rmsprop_first_step"]


class RmspropFirstStep(NamedTuple):
    """RMSprop's first step θ_1 − θ_0 per unit of α (s_0 = 0).

    Attributes:
        package: the package's update for α = 1.
        formula: ``−g_1/√((1 − β₂) g_1² + ε)``, dividing by the freshly updated s_1.
        approximation: ``−sign(g_1)/√(1 − β₂)`` (ε neglected).
        with_previous_average: ``−g_1/√ε``, what dividing by the previous s_0 = 0 would give.
        gradient: g_1.
        decay: β₂.
    """

    package: float
    formula: float
    approximation: float
    with_previous_average: float
    gradient: float
    decay: float


def rmsprop_first_step(
    gradient: float = 0.5, decay: float = 0.9, eps: float = 1e-8
) -> RmspropFirstStep:
    """RMSprop's first step per unit of α, from the package and from the formula.

    With s_0 = 0 the freshly updated average is ``s_1 = (1 − β₂) g_1²``, so
    ``θ_1 − θ_0 = −α g_1/√((1 − β₂) g_1² + ε) ≈ −α sign(g_1)/√(1 − β₂)``.
    Returns an :class:`RmspropFirstStep`.
    """
    tx = registry.OPTIMIZERS["rmsprop"](1.0, decay=decay, eps=eps)
    g = jnp.asarray([gradient], jnp.float32)
    updates, _ = tx.update(g, tx.init(g), g)
    return RmspropFirstStep(
        package=float(updates[0]),
        formula=-gradient / math.sqrt((1 - decay) * gradient**2 + eps),
        approximation=-math.copysign(1.0, gradient) / math.sqrt(1 - decay),
        with_previous_average=-gradient / math.sqrt(eps),
        gradient=gradient,
        decay=decay,
    )


class AdadeltaFirstStep(NamedTuple):
    """Adadelta's first step θ_1 − θ_0 (s_0 = x_0 = 0, α = 1).

    Attributes:
        package: the package's update.
        formula: ``−√ε/√((1 − ρ) g_1² + ε) · g_1``.
        approximation: ``−√(ε/(1 − ρ)) sign(g_1)``.
        gradient: g_1.
        rho: ρ, the decay of both averages.
        eps: ε.
    """

    package: float
    formula: float
    approximation: float
    gradient: float
    rho: float
    eps: float


def adadelta_first_step(
    gradient: float = 0.5, rho: float = 0.9, eps: float = 1e-6
) -> AdadeltaFirstStep:
    """Adadelta's first step, from the package and from the formula.

    With s_0 = x_0 = 0: ``Δ_1 = √ε/√((1 − ρ) g_1² + ε) · g_1 ≈ √ε/√(1 − ρ) · sign(g_1)``,
    whatever the size of g_1: ε, not a learning rate, sets the first step.
    Returns an :class:`AdadeltaFirstStep`.
    """
    tx = registry.OPTIMIZERS["adadelta"](rho=rho, eps=eps)
    g = jnp.asarray([gradient], jnp.float32)
    updates, _ = tx.update(g, tx.init(g), g)
    return AdadeltaFirstStep(
        package=float(updates[0]),
        formula=-math.sqrt(eps) / math.sqrt((1 - rho) * gradient**2 + eps) * gradient,
        approximation=-math.copysign(math.sqrt(eps / (1 - rho)), gradient),
        gradient=gradient,
        rho=rho,
        eps=eps,
    )
