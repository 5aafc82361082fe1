"""Shared fixtures: a nested pytree and a smooth loss to optimize it on."""

import jax
import jax.numpy as jnp
import matplotlib
import pytest

matplotlib.use("Agg")


def make_params():
    """A dict of matrix, vector and scalar: the shapes a real model has."""
    key_w, key_b = jax.random.split(jax.random.PRNGKey(42))
    return {
        "layer": {
            "w": jax.random.normal(key_w, (4, 3)),
            "b": jax.random.normal(key_b, (3,)),
        },
        "scale": jnp.asarray(0.7),
    }


def smooth_loss(params):
    """A convex but not quadratic loss, with different curvature per leaf."""
    w, b, s = params["layer"]["w"], params["layer"]["b"], params["scale"]
    targets = jnp.linspace(-1.0, 1.0, 12).reshape(4, 3)
    return (
        0.5 * jnp.sum((w - targets) ** 2 * jnp.arange(1.0, 13.0).reshape(4, 3))
        + jnp.sum(jnp.logaddexp(0.0, 3.0 * b))
        + 0.25 * (s - 2.0) ** 4
        + 0.1 * s**2
    )


@pytest.fixture
def params():
    return make_params()


def replay(tx, grads_sequence, apply):
    """Run ``tx`` from ``make_params()`` on a *given* sequence of gradients (stacked pytree).

    Comparing optimizers on the gradients one reference run produced keeps the
    comparison linear: on a real loss, Adam-like methods near a minimum amplify a
    last-bit rounding difference into a different (equally valid) trajectory.
    Returns the parameter history, stacked.
    """

    @jax.jit
    def loop(params, grads_sequence):
        def step(carry, grads):
            params, state = carry
            updates, state = tx.update(grads, state, params)
            params = apply(params, updates)
            return (params, state), params

        return jax.lax.scan(step, (params, tx.init(params)), grads_sequence)[1]

    return loop(make_params(), grads_sequence)


def descend(tx, apply, steps):
    """Run ``tx`` on ``smooth_loss``; return (parameter history, gradient history), stacked."""

    @jax.jit
    def loop(params):
        def step(carry, _):
            params, state = carry
            grads = jax.grad(smooth_loss)(params)
            updates, state = tx.update(grads, state, params)
            params = apply(params, updates)
            return (params, state), (params, grads)

        return jax.lax.scan(step, (params, tx.init(params)), None, length=steps)[1]

    return loop(make_params())
