"""Section "Batch, stochastic and mini-batch gradient descent": the problem and its runs.

Every stochastic run of the chapter is :func:`stochastic_run`: ``EPOCHS · n`` steps of
:func:`scheduled_gradient_descent` on :func:`regression_problem`, with the batch size,
the learning rate and the schedule as traced numbers, so that one compiled program
serves the figures and the widget.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from lab import problems
from lab.trajectory import Trajectory
from optimizers import schedules
from optimizers.momentum import sgd

__all__ = [
    "EPOCHS",
    "per_example_gradients",
    "regression_problem",
    "scheduled_gradient_descent",
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


def scheduled_gradient_descent(learning_rate, step_decay=1.0, inverse_time=0.0):
    """Gradient descent with ``α_t = α₀ · r^t / (1 + t/τ)``, r = ``step_decay``, 1/τ = ``inverse_time``.

    The exponential part is ``optimizers.schedules.exponential_decay``.  With
    r = 1 and 1/τ = 0 the rate is constant; with 1/τ = 0 it decays
    exponentially; with r = 1 it is the inverse-time schedule.  All three
    numbers are traced by :func:`~lab.trajectory.trajectory`, so one
    compiled program serves every schedule of the chapter.
    """
    exponential = schedules.exponential_decay(learning_rate, 1, step_decay)

    def schedule(step):
        return exponential(step) / (1.0 + inverse_time * jnp.asarray(step, jnp.float32))

    return sgd(schedule)


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
