"""Small pytree helpers used by the transformations (leaf-by-leaf arithmetic)."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

tree_map = jax.tree_util.tree_map


def zeros_like(tree: Any) -> Any:
    return tree_map(jnp.zeros_like, tree)


def full_like(tree: Any, value: Any) -> Any:
    return tree_map(lambda x: jnp.full_like(x, value), tree)


def moving_average(new: Any, average: Any, decay: Any) -> Any:
    """``decay · average + (1 − decay) · new``, leaf by leaf."""
    return tree_map(lambda x, m: decay * m + (1 - decay) * x, new, average)


def squared(tree: Any) -> Any:
    return tree_map(jnp.square, tree)


def bias_corrected(moment: Any, decay: Any, count: jax.Array) -> Any:
    """``moment / (1 − decay^t)``: undo the pull towards the zero initialisation."""
    correction = 1 - decay**count
    return tree_map(lambda m: m / correction.astype(m.dtype), moment)


def global_norm(tree: Any) -> jax.Array:
    return jnp.sqrt(sum(jnp.sum(jnp.square(x)) for x in jax.tree_util.tree_leaves(tree)))


def where(condition: Any, on_true: Any, on_false: Any) -> Any:
    """``jnp.where`` leaf by leaf with one scalar condition."""
    return tree_map(lambda a, b: jnp.where(condition, a, b), on_true, on_false)
