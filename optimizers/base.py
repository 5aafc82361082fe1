"""The core abstraction: a gradient transformation is a pair of pure functions.

Following optax's convention, an optimizer is a :class:`GradientTransformation`::

    state = tx.init(params)
    updates, state = tx.update(grads, state, params)
    params = apply_updates(params, updates)        # θ_t = θ_{t-1} + updates

``updates`` are *added* to the parameters, so a descent step is negative.
Transformations compose with :func:`chain`: the output of one is the input of
the next, which is how the book builds Adam from a first moment and an RMS
scaling, AdamW from Adam and weight decay, and so on.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp

from optimizers.validation import check_same_tree

__all__ = [
    "EmptyState",
    "GradientTransformation",
    "apply_updates",
    "chain",
    "identity",
    "init_empty_state",
    "stateless",
]

Params = Any
Updates = Any
State = Any


class EmptyState(NamedTuple):
    """The state of a transformation that remembers nothing."""


class GradientTransformation(NamedTuple):
    """An optimizer or a building block of one.

    Attributes:
        init: ``init(params) -> state``.
        update: ``update(grads, state, params=None) -> (updates, new_state)``.
    """

    init: Callable[[Params], State]
    update: Callable[..., tuple[Updates, State]]


def init_empty_state(params: Params) -> EmptyState:
    """The ``init`` of a stateless transformation."""
    del params
    return EmptyState()


def stateless(transform: Callable[[Updates], Updates]) -> GradientTransformation:
    """A transformation without state: ``u_t = transform(g_t)``, leaf structure checked."""

    def update(grads, state, params=None):
        if params is not None:
            check_same_tree(grads, params)
        return transform(grads), state

    return GradientTransformation(init_empty_state, update)


def identity() -> GradientTransformation:
    """Pass the gradients through unchanged: ``u_t = g_t``."""
    return stateless(lambda grads: grads)


def chain(*transformations: GradientTransformation) -> GradientTransformation:
    """Compose transformations left to right.

    ``chain(a, b).update(g, ...)`` feeds ``g`` through ``a`` then ``b``; the
    state is the tuple of the links' states.
    """
    for i, tx in enumerate(transformations):
        if not isinstance(tx, GradientTransformation):
            raise TypeError(
                f"chain() argument {i} must be a GradientTransformation, got {type(tx).__name__}"
            )

    def init(params):
        return tuple(tx.init(params) for tx in transformations)

    def update(grads, state, params=None):
        if not isinstance(state, tuple) or len(state) != len(transformations):
            raise TypeError(
                "state does not come from this chain's init: expected a tuple of "
                f"{len(transformations)} states"
            )
        new_states = []
        for tx, link_state in zip(transformations, state, strict=True):
            grads, link_state = tx.update(grads, link_state, params)
            new_states.append(link_state)
        return grads, tuple(new_states)

    return GradientTransformation(init, update)


def apply_updates(params: Params, updates: Updates) -> Params:
    """``θ + u`` leaf by leaf, keeping each parameter's dtype."""
    check_same_tree(updates, params, name="updates")
    return jax.tree_util.tree_map(
        lambda p, u: jnp.asarray(p + u).astype(jnp.result_type(p)), params, updates
    )
