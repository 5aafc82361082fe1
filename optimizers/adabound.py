"""AdaBound and AMSBound: Adam whose per-coordinate step is clipped into a
band that narrows to SGD's constant step (Luo, Xiong, Liu and Sun 2019)."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from optimizers.base import GradientTransformation, chain
from optimizers.scaling import scale
from optimizers.tree import moving_average, squared, tree_map, zeros_like
from optimizers.validation import (
    check_decay,
    check_learning_rate,
    check_positive,
    check_same_tree,
)
from optimizers.weight_decay import add_decayed_weights

__all__ = ["AdaBoundState", "adabound", "amsbound", "scale_by_adabound"]


class AdaBoundState(NamedTuple):
    count: jax.Array
    mu: Any  # m_t
    nu: Any  # s_t
    nu_max: Any  # max_τ≤t s_τ (AMSBound only; kept at 0 for AdaBound)


def scale_by_adabound(
    learning_rate: Any = 1e-3,
    final_lr: Any = 0.1,
    b1: Any = 0.9,
    b2: Any = 0.999,
    gamma: Any = 1e-3,
    eps: Any = 1e-8,
    amsbound: bool = False,
) -> GradientTransformation:
    """The clipped step ``η_t ⊙ m_t`` of :func:`adabound` (positive: a step *up* the gradient).

    The learning rate lives inside the clip, so unlike the other blocks this
    one takes it; chain with ``scale(-1.0)`` to descend.  With a schedule,
    the bounds' ``final_lr`` is scaled by α_t/α_0, as the reference code does.
    """
    check_learning_rate(learning_rate)
    check_positive(final_lr, "final_lr")
    check_decay(b1, "b1")
    check_decay(b2, "b2")
    check_positive(gamma, "gamma")
    check_positive(eps, "eps")
    scheduled = callable(learning_rate) and not isinstance(learning_rate, jax.Array)

    def init(params):
        zeros = zeros_like(params)
        return AdaBoundState(count=jnp.zeros([], jnp.int32), mu=zeros, nu=zeros, nu_max=zeros)

    def update(grads, state, params=None):
        check_same_tree(grads, state.mu, what="optimizer state")
        count = state.count + 1
        t = count.astype(jnp.float32)
        mu = moving_average(grads, state.mu, b1)
        nu = moving_average(squared(grads), state.nu, b2)
        nu_max = tree_map(jnp.maximum, state.nu_max, nu) if amsbound else state.nu_max
        alpha = learning_rate(state.count) if scheduled else learning_rate
        final = final_lr * alpha / learning_rate(0) if scheduled else final_lr
        lower = final * (1 - 1 / (gamma * t + 1))
        upper = final * (1 + 1 / (gamma * t))
        step_size = alpha * jnp.sqrt(1 - b2**t) / (1 - b1**t)

        def clipped_step(m, v):
            return jnp.clip(step_size / (jnp.sqrt(v) + eps), lower, upper) * m

        updates = tree_map(clipped_step, mu, nu_max if amsbound else nu)
        return updates, AdaBoundState(count=count, mu=mu, nu=nu, nu_max=nu_max)

    return GradientTransformation(init, update)


def adabound(
    learning_rate: Any = 1e-3,
    final_lr: Any = 0.1,
    b1: Any = 0.9,
    b2: Any = 0.999,
    gamma: Any = 1e-3,
    eps: Any = 1e-8,
    weight_decay: Any = 0.0,
) -> GradientTransformation:
    """AdaBound (Luo et al. 2019): Adam's per-coordinate step clipped to a band.

    With m_t, s_t Adam's (raw) moments and α* = ``final_lr``:

    .. math::

        η_l(t) = α^*\\Big(1 − \\frac{1}{γ t + 1}\\Big), \\qquad
        η_u(t) = α^*\\Big(1 + \\frac{1}{γ t}\\Big), \\\\
        η_t = \\operatorname{clip}\\!\\Big(\\frac{α \\sqrt{1 − β_2^t}}{(1 − β_1^t)(\\sqrt{s_t} + ε)},\\;
              η_l(t),\\; η_u(t)\\Big), \\qquad
        θ_t = θ_{t−1} − η_t ⊙ m_t .

    Early on the band is wide and the method is Adam; as t grows both bounds
    tend to α*, i.e. SGD with momentum and learning rate α*.  This is the
    authors' reference code (``adabound`` on PyPI), which folds the bias
    corrections into the step; the paper's Algorithm 2 instead divides the
    clipped rate by √t and omits bias correction.  ``weight_decay`` adds
    λ_wd θ to the gradient (L2), as the reference does.
    """
    return chain(
        add_decayed_weights(weight_decay),
        scale_by_adabound(learning_rate, final_lr, b1, b2, gamma, eps, amsbound=False),
        scale(-1.0),
    )


def amsbound(
    learning_rate: Any = 1e-3,
    final_lr: Any = 0.1,
    b1: Any = 0.9,
    b2: Any = 0.999,
    gamma: Any = 1e-3,
    eps: Any = 1e-8,
    weight_decay: Any = 0.0,
) -> GradientTransformation:
    """AMSBound (Luo et al. 2019): :func:`adabound` with AMSGrad's running maximum.

    Identical to AdaBound except that s_t in the denominator is replaced by its
    running maximum ``max_τ≤t s_τ`` (of the raw second moment, kept beside the
    moving average, as in the authors' reference code).
    """
    return chain(
        add_decayed_weights(weight_decay),
        scale_by_adabound(learning_rate, final_lr, b1, b2, gamma, eps, amsbound=True),
        scale(-1.0),
    )
