"""Scaling by a constant, a learning rate, a schedule, or a preconditioner."""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from optimizers.base import EmptyState, GradientTransformation, stateless
from optimizers.tree import tree_map
from optimizers.validation import check_learning_rate, check_same_tree

__all__ = [
    "ScaleByScheduleState",
    "precondition",
    "scale",
    "scale_by_learning_rate",
    "scale_by_schedule",
]

Schedule = Callable[[jax.Array], jax.Array]


def scale(step_size: Any) -> GradientTransformation:
    """Multiply every update by a constant: ``u_t = c · g_t``."""
    return stateless(lambda grads: tree_map(lambda g: step_size * g, grads))


class ScaleByScheduleState(NamedTuple):
    count: jax.Array  # steps taken so far (0 before the first update)


def scale_by_schedule(step_size_fn: Schedule) -> GradientTransformation:
    """Multiply by ``step_size_fn(t − 1)`` at step t (the schedule starts at count 0)."""

    def init(params):
        del params
        return ScaleByScheduleState(count=jnp.zeros([], jnp.int32))

    def update(grads, state, params=None):
        if params is not None:
            check_same_tree(grads, params)
        step_size = step_size_fn(state.count)
        updates = tree_map(lambda g: jnp.asarray(step_size, g.dtype) * g, grads)
        return updates, ScaleByScheduleState(count=state.count + 1)

    return GradientTransformation(init, update)


def scale_by_learning_rate(learning_rate: Any, *, flip_sign: bool = True) -> GradientTransformation:
    """Multiply by ``−α`` (a descent step), where α is a number or a schedule.

    Args:
        learning_rate: α, a number >= 0 or a schedule ``count -> α``.
        flip_sign: negate (the default), so that ``apply_updates`` descends.
    """
    check_learning_rate(learning_rate)
    sign = -1 if flip_sign else 1
    if callable(learning_rate):
        return scale_by_schedule(lambda count: sign * learning_rate(count))
    return scale(sign * learning_rate)


def precondition(matrix: Any) -> GradientTransformation:
    """Multiply the flattened gradient by a preconditioner P: ``u_t = P g_t``.

    ``matrix`` is a d×d array (a full preconditioner) or a length-d vector
    (a diagonal one, i.e. one learning rate per coordinate), where d is the
    total number of parameters.  Chain with :func:`scale_by_learning_rate` for
    the preconditioned step ``θ_t = θ_{t−1} − α P g_t``.
    """
    P = jnp.asarray(matrix)
    if P.ndim not in (1, 2) or (P.ndim == 2 and P.shape[0] != P.shape[1]):
        raise ValueError(f"matrix must be a square matrix or a vector, got shape {P.shape}")

    def init(params):
        flat, _ = ravel_pytree(params)
        if flat.shape[0] != P.shape[0]:
            raise ValueError(
                f"matrix has size {P.shape[0]} but the params have {flat.shape[0]} entries"
            )
        return EmptyState()

    def update(grads, state, params=None):
        if params is not None:
            check_same_tree(grads, params)
        flat, unravel = ravel_pytree(grads)
        if flat.shape[0] != P.shape[0]:
            raise ValueError(f"grads have {flat.shape[0]} entries but matrix has size {P.shape[0]}")
        scaled = P * flat if P.ndim == 1 else P @ flat
        return unravel(scaled.astype(flat.dtype)), state

    return GradientTransformation(init, update)
