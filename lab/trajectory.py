"""Run an optimizer for many steps in one compiled call.

:func:`trajectory` is what every experiment and widget in the book is built
on.  The loop is a ``jax.lax.scan`` under ``jax.jit``, and the numeric
hyperparameters are *traced arguments*: moving a learning-rate slider reuses
the compiled function instead of compiling a new one.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from optimizers.base import apply_updates
from optimizers.tree import tree_map, where

__all__ = ["Trajectory", "compilation_count", "split_hyperparameters", "trajectory"]


class Trajectory(NamedTuple):
    """The history of one run.

    Attributes:
        params: the parameters θ_0 … θ_T, stacked along a new leading axis
            (a pytree like ``x0``).  Entries after a divergence are NaN.
        losses: L(θ_0) … L(θ_T), shape ``(steps + 1,)``; NaN after a divergence.
        diverged_at: the first step t whose θ_t was non-finite or whose loss
            exceeded the divergence threshold, or ``None``.
    """

    params: Any
    losses: jax.Array
    diverged_at: int | None

    @property
    def final_loss(self) -> float:
        """The last finite loss of the run."""
        finite = jnp.isfinite(self.losses)
        return float(self.losses[jnp.max(jnp.where(finite, jnp.arange(finite.size), 0))])


def split_hyperparameters(hyperparameters: dict[str, Any]) -> tuple[tuple, dict[str, jax.Array]]:
    """Split keyword hyperparameters into static ones and traced float32 scalars.

    Returns ``(static, traced)``: ``static`` a sorted tuple of ``(name, value)``
    pairs (hashable, part of the compilation key), ``traced`` a dict of arrays.
    """
    static = tuple(sorted((k, v) for k, v in hyperparameters.items() if _is_static(v)))
    traced = {k: _as_traced(k, v) for k, v in hyperparameters.items() if not _is_static(v)}
    return static, traced


def _is_static(value: Any) -> bool:
    """Booleans, strings, ``None`` and callables shape the program; numbers are data."""
    return value is None or isinstance(value, (bool, str)) or callable(value)


def _host(value: Any, dtype: Any = None) -> Any:
    """``value`` as a NumPy array, which ``jit`` takes as it is; a tracer stays a tracer.

    About 1 µs instead of the 30 µs of ``jnp.asarray``, which matters when a
    slider move runs a 2-D trajectory in 20 µs.  Every argument goes the same
    way (NumPy and JAX arrays alike), so the compiled program is shared.
    """
    try:
        return np.asarray(value, dtype)
    except jax.errors.TracerArrayConversionError:
        return jnp.asarray(value, dtype)


def _as_traced(name: str, value: Any) -> Any:
    """One dtype for every number, so 1, 1.0, np.float32(1) share a compilation."""
    try:
        traced = _host(value, np.float32)
    except (TypeError, ValueError):
        traced = None
    if traced is None or traced.ndim != 0:
        raise TypeError(
            f"hyperparameter {name} must be a scalar number, bool, string or callable, "
            f"got {value!r}"
        )
    return traced


def _as_argument(value: Any) -> Any:
    """Python numbers become float32 scalars, so 1 and 1.0 share a compilation."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return np.asarray(value, np.float32)
    return tree_map(_host, value)


@functools.cache
def _default_key() -> jax.Array:
    """``PRNGKey(0)``, made once (making it costs more than a 2-D run)."""
    with jax.ensure_compile_time_eval():  # a concrete key even if first asked for under a trace
        return jax.random.PRNGKey(0)


def _all_finite(tree: Any) -> jax.Array:
    leaves = [jnp.all(jnp.isfinite(x)) for x in jax.tree_util.tree_leaves(tree)]
    return jnp.all(jnp.stack(leaves))


@functools.partial(
    jax.jit, static_argnames=("make_optimizer", "loss", "steps", "static", "stochastic")
)
def _run(make_optimizer, loss, steps, static, stochastic, x0, traced, loss_args, key, limit):
    tx = make_optimizer(**traced, **dict(static))

    def training_loss(params, step_key):
        if stochastic:
            return loss(params, *loss_args, key=step_key)
        return loss(params, *loss_args)

    loss0 = loss(x0, *loss_args)
    threshold = limit * (1.0 + jnp.abs(loss0))

    def step(carry, inputs):
        params, state, diverged_at = carry
        t, step_key = inputs
        grads = jax.grad(training_loss)(params, step_key)
        updates, new_state = tx.update(grads, state, params)
        new_params = apply_updates(params, updates)
        new_loss = loss(new_params, *loss_args)
        bad = ~(_all_finite(new_params) & jnp.isfinite(new_loss) & (jnp.abs(new_loss) <= threshold))
        diverged_at = jnp.where((diverged_at < 0) & bad, t, diverged_at)
        healthy = diverged_at < 0
        nan_params = tree_map(lambda p: jnp.full_like(p, jnp.nan), new_params)
        record = (where(healthy, new_params, nan_params), jnp.where(healthy, new_loss, jnp.nan))
        carry = (where(healthy, new_params, params), where(healthy, new_state, state), diverged_at)
        return carry, record

    keys = jax.random.split(key, steps)
    inputs = (jnp.arange(1, steps + 1), keys)
    init = (x0, tx.init(x0), jnp.asarray(-1))
    (_, _, diverged_at), (params, losses) = jax.lax.scan(step, init, inputs)
    history = tree_map(lambda first, rest: jnp.concatenate([first[None], rest]), x0, params)
    return history, jnp.concatenate([loss0[None], losses]), diverged_at


def trajectory(
    make_optimizer: Callable[..., Any],
    loss: Callable[..., Any],
    x0: Any,
    steps: int,
    *,
    loss_args: tuple = (),
    key: jax.Array | None = None,
    divergence_threshold: float = 1e6,
    **hyperparameters: Any,
) -> Trajectory:
    """Run ``make_optimizer(**hyperparameters)`` on ``loss`` from ``x0`` for ``steps`` steps.

    Args:
        make_optimizer: a function returning a GradientTransformation, such as
            ``optimizers.sgd`` or ``lambda learning_rate: chain(...)``.  Reuse
            the same function object across calls: it is part of the cache key.
        loss: ``loss(params, *loss_args)``, a scalar JAX function.  For a
            stochastic problem it also takes ``key=``: the gradient of step t
            is taken of ``loss(params, *loss_args, key=k_t)`` (a mini-batch),
            and the recorded loss is the full ``loss(params, *loss_args)``.
        x0: the starting point θ_0, any pytree of arrays.
        steps: number of updates T.
        loss_args: extra arrays passed to ``loss``, traced (a Q matrix, a
            batch size ...): changing them does not recompile either.
        key: a ``jax.random`` key for stochastic problems, or ``None``.
        divergence_threshold: a run has diverged at step t when θ_t is not
            finite or ``|L(θ_t)|`` exceeds this factor times ``1 + |L(θ_0)|``.
            From then on the run is frozen and its history is NaN, so plots
            stop cleanly and no overflow warnings appear.
        **hyperparameters: keyword arguments of ``make_optimizer``.  Numbers
            are passed traced as float32 scalars (one compilation serves every
            value); booleans, strings, ``None`` and callables are static.

    Returns:
        A :class:`Trajectory` with ``steps + 1`` entries, θ_0 included.
    """
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 1:
        raise ValueError(f"steps must be a whole number >= 1, got {steps!r}")
    if not callable(make_optimizer):
        raise TypeError(f"make_optimizer must be callable, got {make_optimizer!r}")
    if not callable(loss):
        raise TypeError(f"loss must be callable, got {loss!r}")
    static, traced = split_hyperparameters(hyperparameters)
    x0 = tree_map(lambda x: _host(x, np.float32), x0)
    loss_args = tuple(_as_argument(a) for a in loss_args)
    stochastic = key is not None
    key = _default_key() if key is None else key
    limit = np.asarray(divergence_threshold, np.float32)
    params, losses, diverged_at = _run(
        make_optimizer, loss, steps, static, stochastic, x0, traced, loss_args, key, limit
    )
    diverged_at = int(diverged_at)
    return Trajectory(params, losses, None if diverged_at < 0 else diverged_at)


def compilation_count() -> int:
    """How many programs :func:`trajectory` has compiled so far in this process.

    Widgets and tests use it to check that a slider move compiles nothing.
    """
    return _run._cache_size()
