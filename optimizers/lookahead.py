"""Lookahead and the combinations built on it: Ranger and RangerLARS."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from optimizers.adaptive import radam
from optimizers.base import GradientTransformation
from optimizers.tree import tree_map
from optimizers.trust_ratio import ralamb
from optimizers.validation import check_positive_int, check_same_tree, check_unit_interval

__all__ = ["LookaheadState", "lookahead", "ranger", "ranger_lars"]


class LookaheadState(NamedTuple):
    inner_state: Any  # the wrapped optimizer's state
    slow: Any  # θ, the slow weights (the caller's params are the fast weights φ)
    count: jax.Array  # fast steps taken


def lookahead(
    inner: GradientTransformation, sync_period: Any = 5, slow_step_size: Any = 0.5
) -> GradientTransformation:
    """Lookahead (Zhang, Lucas, Hinton and Ba 2019): k steps forward, one step back.

    The caller's params are the *fast* weights φ; the state keeps the *slow*
    weights θ (initially equal to φ).  Every step the inner optimizer A moves φ;
    every k = ``sync_period`` steps, with α_s = ``slow_step_size``:

    .. math::

        θ \\leftarrow θ + α_s (φ − θ), \\qquad φ \\leftarrow θ .

    Between syncs the returned updates are A's; at a sync they move the params
    to the new slow weights.  So after a multiple of k steps the params *are*
    the slow weights, which are what one evaluates.  The inner state is kept
    across syncs (the paper's default).  This is optax.lookahead's algorithm
    with the slow weights moved from the params into the state.
    """
    if not isinstance(inner, GradientTransformation):
        raise TypeError(f"inner must be a GradientTransformation, got {type(inner).__name__}")
    check_positive_int(sync_period, "sync_period")
    check_unit_interval(slow_step_size, "slow_step_size")

    def init(params):
        return LookaheadState(
            inner_state=inner.init(params), slow=params, count=jnp.zeros([], jnp.int32)
        )

    def update(grads, state, params=None):
        if params is None:
            raise ValueError("lookahead needs params: call update(grads, state, params)")
        check_same_tree(grads, state.slow, what="slow weights")
        inner_updates, inner_state = inner.update(grads, state.inner_state, params)
        fast = tree_map(lambda p, u: p + u, params, inner_updates)
        count = state.count + 1
        sync = count % sync_period == 0
        slow = tree_map(
            lambda s, f: jnp.where(sync, s + slow_step_size * (f - s), s), state.slow, fast
        )
        updates = tree_map(lambda u, s, p: jnp.where(sync, s - p, u), inner_updates, slow, params)
        return updates, LookaheadState(inner_state=inner_state, slow=slow, count=count)

    return GradientTransformation(init, update)


def ranger(
    learning_rate: Any = 1e-3,
    b1: Any = 0.95,
    b2: Any = 0.999,
    eps: Any = 1e-5,
    threshold: Any = 5.0,
    sync_period: Any = 6,
    slow_step_size: Any = 0.5,
) -> GradientTransformation:
    """Ranger: RAdam inside Lookahead (Wright 2019): ``lookahead(radam(...), 6, 0.5)``.

    The defaults are those of the original Ranger code (β₁ = 0.95, ε = 1e-5,
    k = 6, α_s = 0.5).  That code adds ε to √s_t before bias correction; we
    use :func:`~optimizers.adaptive.radam`'s form, so steps agree to within ε's effect.
    """
    inner = radam(learning_rate, b1=b1, b2=b2, eps=eps, threshold=threshold)
    return lookahead(inner, sync_period, slow_step_size)


def ranger_lars(
    learning_rate: Any = 1e-3,
    b1: Any = 0.9,
    b2: Any = 0.999,
    eps: Any = 1e-8,
    threshold: Any = 5.0,
    weight_decay: Any = 0.0,
    sync_period: Any = 6,
    slow_step_size: Any = 0.5,
) -> GradientTransformation:
    """RangerLARS (also "Over9000"): Ralamb inside Lookahead.

    ``lookahead(ralamb(...), sync_period, slow_step_size)``: RAdam's rectified
    step, LAMB's layer-wise trust ratio, and Lookahead's slow weights.
    """
    inner = ralamb(
        learning_rate, b1=b1, b2=b2, eps=eps, threshold=threshold, weight_decay=weight_decay
    )
    return lookahead(inner, sync_period, slow_step_size)
