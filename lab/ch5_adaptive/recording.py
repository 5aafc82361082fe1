"""Runs that keep what a trajectory forgets: the optimizer's state, given gradients, lockstep paths.

* :func:`record_states` runs an optimizer on a problem and keeps its state after
  every step (s_t, m_t, t), for the figures that read the effective learning rate;
* :func:`replay` feeds a given sequence of gradients through a transformation, for
  the checks of the package against the formulas;
* :func:`lockstep_paths` runs several optimizers side by side in one compiled scan.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

import optimizers as opt
from lab.ch5_adaptive.landscapes import STEPS
from lab.problems import Problem
from lab.trajectory import split_hyperparameters
from optimizers.base import GradientTransformation

__all__ = [
    "StateHistory",
    "lockstep_paths",
    "minibatches",
    "random_gradients",
    "record_states",
    "replay",
]


class StateHistory(NamedTuple):
    """A run with the optimizer state after every step.

    Attributes:
        params: θ_0 … θ_T stacked, shape ``(T + 1, d)``.
        states: the optimizer state after steps 1 … T, each leaf stacked along a
            new leading axis of length T.
    """

    params: np.ndarray
    states: Any


@functools.partial(jax.jit, static_argnames=("make_optimizer", "loss", "steps", "static"))
def _record(make_optimizer, loss, steps, static, x0, traced, loss_args, batches):
    """The scanned loop of :func:`record_states`; ``batches`` is ``None`` or (T, B) row indices."""
    tx = make_optimizer(**traced, **dict(static))

    def step(carry, rows):
        params, state = carry
        if rows is None:
            grads = jax.grad(loss)(params, *loss_args)
        else:  # a data problem: the mean loss over the rows of this step's mini-batch
            X, y = loss_args[:2]
            grads = jax.grad(loss)(params, X[rows], y[rows], jnp.float32(rows.shape[0]))
        updates, state = tx.update(grads, state, params)
        params = opt.apply_updates(params, updates)
        return (params, state), (params, state)

    init = (x0, tx.init(x0))
    _, (params, states) = jax.lax.scan(step, init, batches, length=steps)
    return jnp.concatenate([x0[None], params]), states


def minibatches(n: int, steps: int, batch_size: int, seed: int = 0) -> np.ndarray:
    """Row indices of ``steps`` mini-batches, shape ``(steps, batch_size)``.

    Each batch holds ``batch_size`` examples drawn uniformly *with* replacement
    (NumPy, seeded): drawing them outside the compiled loop keeps it free of
    random-number code, which compiles slowly.
    """
    rng = np.random.default_rng(seed)
    return rng.integers(0, n, size=(steps, batch_size))


def record_states(
    make_optimizer: Callable[..., GradientTransformation],
    problem: Problem,
    steps: int,
    *,
    batch_size: int = 1,
    seed: int = 0,
    x0: Any = None,
    **hyperparameters: Any,
) -> StateHistory:
    """Run ``make_optimizer(**hyperparameters)`` on ``problem`` and keep every state.

    Like :func:`~lab.trajectory.trajectory` (numbers are traced, so one
    compilation serves every value), but it also returns the optimizer's state
    after each step, so a figure can read s_t, m_t or t from it.  For a
    stochastic (data) problem, step t uses the gradient of the mean loss over a
    mini-batch of ``batch_size`` examples (see :func:`minibatches`, seeded by
    ``seed``); a deterministic problem ignores both.  The run starts at ``x0``
    (default: the problem's start).
    """
    static, traced = split_hyperparameters(hyperparameters)
    batches = None
    if problem.stochastic:
        rows = minibatches(problem.num_examples, steps, batch_size, seed)
        batches = jnp.asarray(rows, jnp.int32)
    x0 = jnp.asarray(problem.start if x0 is None else x0, jnp.float32)
    params, states = _record(
        make_optimizer, problem.loss_fn, steps, static, x0, traced, tuple(problem.args), batches
    )
    return StateHistory(np.asarray(params), jax.tree_util.tree_map(np.asarray, states))


def replay(tx: GradientTransformation, grads: Any) -> tuple[np.ndarray, Any]:
    """Feed a given sequence of gradients (stacked along axis 0) through ``tx``.

    One compiled ``lax.scan``; returns the updates and the states after every
    step, as NumPy arrays.  The checks of the chapter compare these with the
    formulas.
    """

    def run(grads):
        def step(state, g):
            updates, state = tx.update(g, state)
            return state, (updates, state)

        return jax.lax.scan(step, tx.init(grads[0]), grads)[1]

    updates, states = jax.jit(run)(jnp.asarray(grads, jnp.float32))
    return np.asarray(updates, np.float64), jax.tree_util.tree_map(np.asarray, states)


def random_gradients(steps: int, seed: int) -> np.ndarray:
    """``steps`` gradients of a 3-vector, heavy-tailed so that maxima matter (float32 values)."""
    rng = np.random.default_rng(seed)
    return np.asarray(jnp.asarray(rng.standard_t(3, size=(steps, 3)), jnp.float32), np.float64)


def _step(tx, loss, args, params, state):
    grads = jax.grad(loss)(params, *args)
    updates, state = tx.update(grads, state, params)
    return opt.apply_updates(params, updates), state


def lockstep_paths(
    factories: Sequence[Callable[..., GradientTransformation]],
    problem: Problem,
    steps: int = STEPS,
    **hyperparameters: Any,
) -> list[np.ndarray]:
    """Run several optimizers side by side on a deterministic problem, in one compiled scan.

    Each ``factory(**hyperparameters)`` starts from ``problem.start`` and takes
    ``steps`` steps on ``problem.loss_fn``; returns each path θ_0 … θ_T as a
    ``(steps + 1, d)`` array.  One program for all of them compiles about twice
    as fast as one per optimizer.
    """
    hyper = {k: jnp.asarray(v, jnp.float32) for k, v in hyperparameters.items()}

    def run(x0, args, hyper):
        txs = [factory(**hyper) for factory in factories]

        def step(carry, _):
            carry = tuple(
                _step(tx, problem.loss_fn, args, params, state)
                for tx, (params, state) in zip(txs, carry, strict=True)
            )
            return carry, tuple(params for params, _ in carry)

        init = tuple((x0, tx.init(x0)) for tx in txs)
        return jax.lax.scan(step, init, None, length=steps)[1]

    x0 = jnp.asarray(problem.start, jnp.float32)
    paths = jax.jit(run)(x0, tuple(problem.args), hyper)
    start = np.asarray(x0, np.float64)[None]
    return [np.concatenate([start, np.asarray(p, np.float64)]) for p in paths]
