"""Weight decay as a transformation: L2 regularisation or decoupled decay, by position."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from optimizers.base import EmptyState, GradientTransformation
from optimizers.tree import tree_map
from optimizers.validation import check_non_negative, check_same_tree

__all__ = ["WeightDecayState", "add_decayed_weights", "masked_where"]


def masked_where(mask: Any, params: Any, transformed: Any, original: Any) -> Any:
    """Take ``transformed`` where the mask is True and ``original`` elsewhere.

    ``mask`` is ``None``/``True`` (everywhere), a pytree of booleans shaped like
    the params (or a prefix of it), or a function ``params -> such a pytree``.
    """
    if mask is None or mask is True:
        return transformed
    if callable(mask):
        mask = mask(params)
    if mask is False:
        return original
    is_leaf = lambda x: isinstance(x, bool)  # noqa: E731
    structure = jax.tree_util.tree_structure(mask, is_leaf=is_leaf)
    try:
        transformed_parts = structure.flatten_up_to(transformed)  # one subtree per mask leaf
    except ValueError as error:
        raise TypeError(f"mask does not match the params' pytree structure: {error}") from None
    original_parts = structure.flatten_up_to(original)
    mask_leaves = jax.tree_util.tree_leaves(mask, is_leaf=is_leaf)
    chosen = [
        t if m else o
        for m, t, o in zip(mask_leaves, transformed_parts, original_parts, strict=True)
    ]
    return structure.unflatten(chosen)


class WeightDecayState(NamedTuple):
    count: jax.Array  # for a weight-decay schedule


def add_decayed_weights(weight_decay: Any = 0.0, mask: Any = None) -> GradientTransformation:
    """Add λ_wd θ to the incoming updates: ``u_t = u_t + λ_wd θ_{t−1}``.

    Placed *before* an adaptive scaling this is L2 regularisation (the decay is
    rescaled with the gradient); placed *after* it, it is decoupled weight decay
    (AdamW).  ``weight_decay`` may be a schedule; ``mask`` selects the leaves
    that decay (see :func:`masked_where`).  Matches optax.add_decayed_weights.
    A weight decay of exactly 0 given as a Python number returns the updates
    untouched, so optimizers whose decay defaults to 0 do not read the params.
    """
    check_non_negative(weight_decay, "weight_decay")
    scheduled = callable(weight_decay) and not isinstance(weight_decay, jax.Array)

    def init(params):
        del params
        return WeightDecayState(count=jnp.zeros([], jnp.int32)) if scheduled else EmptyState()

    def update(updates, state, params=None):
        if params is None:
            raise ValueError("add_decayed_weights needs params: call update(grads, state, params)")
        check_same_tree(updates, params)
        if scheduled:
            rate = weight_decay(state.count)
            state = WeightDecayState(count=state.count + 1)
        elif isinstance(weight_decay, (int, float)) and weight_decay == 0:
            return updates, state  # a Python 0 adds nothing: no pass over the params at all
        else:
            rate = weight_decay
        decayed = tree_map(lambda u, p: u + rate * p, updates, params)
        return masked_where(mask, params, decayed, updates), state

    return GradientTransformation(init, update)
