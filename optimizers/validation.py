"""Argument checks shared by every transformation.

A teaching library should fail loudly and say which argument is wrong.  Each
check accepts a concrete number (Python, NumPy or a concrete JAX scalar) and
validates it; a traced JAX value (inside ``jit``, ``vmap`` or ``grad``) cannot
be inspected, so it is passed through unchecked.
"""

from __future__ import annotations

import math
from typing import Any

import jax
import numpy as np

__all__ = [
    "as_decay",
    "as_positive",
    "as_unit",
    "as_whole",
    "check_decay",
    "check_learning_rate",
    "check_non_negative",
    "check_positive",
    "check_positive_int",
    "check_same_tree",
    "check_unit_interval",
]


def _is_traced(value: Any) -> bool:
    return isinstance(value, jax.core.Tracer)


def _as_float(value: Any, name: str) -> float | None:
    """``float(value)``, or ``None`` for traced values; TypeError if not a number."""
    if _is_traced(value):
        return None
    if isinstance(value, bool) or not isinstance(
        value, (int, float, np.number, np.ndarray, jax.Array)
    ):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    if np.ndim(value) != 0:
        raise TypeError(f"{name} must be a scalar, got an array of shape {np.shape(value)}")
    return float(value)


def check_learning_rate(value: Any, name: str = "learning_rate") -> None:
    """A learning rate is a finite number >= 0, or a schedule ``step -> rate``."""
    if callable(value) and not isinstance(value, jax.Array):
        return
    x = _as_float(value, name)
    if x is not None and not (math.isfinite(x) and x >= 0):
        raise ValueError(f"{name} must be a finite number >= 0 (or a schedule), got {x}")


def check_decay(value: Any, name: str) -> None:
    """Decay rates (momentum, b1, b2, rho) lie in [0, 1)."""
    x = _as_float(value, name)
    if x is not None and not (0.0 <= x < 1.0):
        raise ValueError(f"{name} must lie in [0, 1), got {x}")


def check_unit_interval(value: Any, name: str) -> None:
    """Interpolation weights (Lookahead's slow step size) lie in (0, 1]."""
    x = _as_float(value, name)
    if x is not None and not (0.0 < x <= 1.0):
        raise ValueError(f"{name} must lie in (0, 1], got {x}")


def check_positive(value: Any, name: str) -> None:
    """Strictly positive and finite (eps, final_lr, gamma)."""
    x = _as_float(value, name)
    if x is not None and not (math.isfinite(x) and x > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {x}")


def check_non_negative(value: Any, name: str) -> None:
    """Finite and >= 0 (weight decay, initial accumulator values)."""
    if callable(value) and not isinstance(value, jax.Array):
        return
    x = _as_float(value, name)
    if x is not None and not (math.isfinite(x) and x >= 0):
        raise ValueError(f"{name} must be a finite number >= 0, got {x}")


def check_positive_int(value: Any, name: str) -> None:
    """A whole number >= 1 (Lookahead's sync period)."""
    x = _as_float(value, name)
    if x is not None and not (x >= 1 and float(x).is_integer()):
        raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")


def check_same_tree(tree: Any, reference: Any, name: str = "grads", what: str = "params") -> None:
    """``tree`` must have the pytree structure and leaf shapes of ``reference``.

    Without this check a gradient of the wrong shape would broadcast silently
    against the optimizer state.  Runs at trace time, so it costs nothing
    under ``jit``.
    """
    tree_def = jax.tree_util.tree_structure(tree)
    ref_def = jax.tree_util.tree_structure(reference)
    if tree_def != ref_def:
        raise TypeError(
            f"{name} has pytree structure {tree_def}, but the {what} it must match "
            f"has structure {ref_def}"
        )
    paths = jax.tree_util.tree_flatten_with_path(tree)[0]
    for (path, leaf), ref_leaf in zip(paths, jax.tree_util.tree_leaves(reference), strict=True):
        if np.shape(leaf) != np.shape(ref_leaf):
            where = jax.tree_util.keystr(path) or "the leaf"
            raise ValueError(
                f"{name}{where} has shape {np.shape(leaf)}, but the {what} it must match "
                f"has shape {np.shape(ref_leaf)}"
            )


# Checks that also return the value as a Python number, for the experiment builders,
# whose arguments are always concrete (never traced).


def _real(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"{name} must be a number, got {value!r}")
    return float(value)


def as_positive(value: Any, name: str) -> float:
    """``float(value)``, which must be finite and > 0."""
    number = _real(value, name)
    if not (math.isfinite(number) and number > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return number


def as_decay(value: Any, name: str) -> float:
    """``float(value)``, which must lie in [0, 1)."""
    number = _real(value, name)
    if not 0.0 <= number < 1.0:
        raise ValueError(f"{name} must lie in [0, 1), got {value!r}")
    return number


def as_unit(value: Any, name: str) -> float:
    """``float(value)``, which must lie in (0, 1]."""
    number = _real(value, name)
    if not 0.0 < number <= 1.0:
        raise ValueError(f"{name} must lie in (0, 1], got {value!r}")
    return number


def as_whole(value: Any, name: str, minimum: int = 1) -> int:
    """``int(value)`` for an integer ``value >= minimum`` (a bool or float is refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return int(value)
