"""Momentum (the heavy ball and Nesterov's look-ahead) and SGD."""

from __future__ import annotations

from typing import Any, NamedTuple

from optimizers.base import GradientTransformation, chain, identity
from optimizers.scaling import scale_by_learning_rate
from optimizers.tree import tree_map, zeros_like
from optimizers.validation import check_decay, check_same_tree

__all__ = ["TraceState", "sgd", "trace"]


class TraceState(NamedTuple):
    trace: Any  # the velocity v_t, shaped like the params


def trace(decay: Any, nesterov: bool = False) -> GradientTransformation:
    """Accumulate a velocity: the heavy ball, or Nesterov's variant.

    .. math::

        v_t = β v_{t−1} + g_t, \\qquad
        u_t = v_t \\;\\text{(heavy ball)} \\quad\\text{or}\\quad
        u_t = g_t + β v_t \\;\\text{(Nesterov)}

    with ``v_0 = 0`` and β = ``decay``.  The learning rate is applied
    afterwards (``sgd`` chains :func:`~optimizers.scaling.scale_by_learning_rate`), so the step is
    ``θ_t = θ_{t−1} − α u_t``.  This is the form of optax.trace and of
    torch.optim.SGD (with ``dampening=0``).  The Nesterov form is Bengio,
    Boulanger-Lewandowski and Pascanu's (2013) rewriting of Nesterov's (1983) method,
    as Sutskever et al. (2013) wrote it with the gradient at the look-ahead point
    ``θ + βv``, in terms of the gradient at θ itself.
    """
    check_decay(decay, "decay")

    def init(params):
        return TraceState(trace=zeros_like(params))

    def update(grads, state, params=None):
        check_same_tree(grads, state.trace, what="momentum buffer")
        velocity = tree_map(lambda g, v: g + decay * v, grads, state.trace)
        updates = tree_map(lambda g, v: g + decay * v, grads, velocity) if nesterov else velocity
        return updates, TraceState(trace=velocity)

    return GradientTransformation(init, update)


def sgd(learning_rate: Any, momentum: Any = None, nesterov: bool = False) -> GradientTransformation:
    """Stochastic gradient descent, optionally with (Nesterov) momentum.

    Without momentum: ``θ_t = θ_{t−1} − α g_t`` (Cauchy 1847; Robbins and Monro
    1951 for the stochastic version).  With momentum β (Polyak 1964)::

        v_t = β v_{t−1} + g_t
        θ_t = θ_{t−1} − α v_t                    (heavy ball)
        θ_t = θ_{t−1} − α (g_t + β v_t)          (nesterov=True; Nesterov 1983,
                                                  as rewritten by Bengio et al. 2013)

    Matches optax.sgd and torch.optim.SGD (``dampening=0``) exactly.

    Args:
        learning_rate: α, a number >= 0 or a schedule.
        momentum: β in [0, 1), or ``None`` for plain gradient descent.
        nesterov: use Nesterov's look-ahead form (needs ``momentum``).
    """
    if nesterov and momentum is None:
        raise ValueError("nesterov=True needs a momentum value")
    if momentum is not None:
        check_decay(momentum, "momentum")
    velocity = identity() if momentum is None else trace(momentum, nesterov)
    return chain(velocity, scale_by_learning_rate(learning_rate))
