"""Section "Batch, stochastic and mini-batch gradient descent": the problem and its runs.

Every stochastic run of the chapter is :func:`stochastic_run`: ``EPOCHS · n`` steps of
:func:`lab.registry.scheduled_gradient_descent` on :func:`regression_problem`, with the batch size,
the learning rate and the schedule as traced numbers, so that one compiled program
serves the figures and the widget.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from lab import problems
from lab.registry import scheduled_gradient_descent
from lab.trajectory import Trajectory

__all__ = [
    "EPOCHS",
    "per_example_gradients",
    "regression_problem",
    "stochastic_run",
]

EPOCHS = 8
"""The budget of every stochastic run, in epochs (passes over the n examples)."""


@functools.lru_cache(maxsize=1)
def regression_problem() -> problems.Problem:
    """The chapter's data set: linear regression with n = 128 examples, d = 2, noise 0.5."""
    return problems.linear_regression(n=128, d=2, noise=0.5, seed=0)


def per_example_gradients(problem: problems.Problem, theta) -> jax.Array:
    """``∇ℓᵢ(θ)`` for every example i, shape (n, d): the loss of a one-example data set."""
    X, y = problem.args
    theta = jnp.asarray(theta, jnp.float32)
    return _per_example(problem.loss_fn, theta, X, y)


@functools.partial(jax.jit, static_argnums=0)
def _per_example(loss_fn, theta, X, y):
    return jax.vmap(lambda x, t: jax.grad(loss_fn)(theta, x[None], t[None], 1.0))(X, y)


def stochastic_run(batch_size, key, learning_rate, step_decay=1.0, inverse_time=0.0) -> Trajectory:
    """``EPOCHS · n`` steps of (mini-batch) gradient descent on :func:`regression_problem`.

    Every stochastic run of the chapter goes through here, with the same
    factory (:func:`scheduled_gradient_descent`) and number of steps, and
    its numbers (batch size, learning rate, schedule) as traced values: one
    compiled program serves the figures and the widget.
    """
    problem = regression_problem()
    return problem.run(
        scheduled_gradient_descent, EPOCHS * problem.num_examples, key=key,
        batch_size=float(batch_size), learning_rate=float(learning_rate),
        step_decay=float(step_decay), inverse_time=float(inverse_time),
    )  # fmt: skip
