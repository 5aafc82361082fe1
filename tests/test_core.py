"""The core abstraction: composition, jit, scan, schedules, traced hyperparameters."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import optimizers as opt
from conftest import make_params, smooth_loss

ALL_OPTIMIZERS = {
    "sgd": lambda: opt.sgd(0.01, momentum=0.9, nesterov=True),
    "adagrad": lambda: opt.adagrad(0.1),
    "rmsprop": lambda: opt.rmsprop(0.01, centered=True, momentum=0.5),
    "adadelta": lambda: opt.adadelta(),
    "adam": lambda: opt.adam(0.01),
    "adamax": lambda: opt.adamax(0.01),
    "nadam": lambda: opt.nadam(0.01),
    "amsgrad": lambda: opt.amsgrad(0.01),
    "adamw": lambda: opt.adamw(0.01, weight_decay=0.1),
    "radam": lambda: opt.radam(0.01),
    "adabound": lambda: opt.adabound(0.01),
    "amsbound": lambda: opt.amsbound(0.01),
    "lars": lambda: opt.lars(0.5, weight_decay=0.01),
    "lamb": lambda: opt.lamb(0.01, weight_decay=0.01),
    "ralamb": lambda: opt.ralamb(0.01),
    "lookahead": lambda: opt.lookahead(opt.adam(0.01)),
    "ranger": lambda: opt.ranger(0.01),
    "ranger_lars": lambda: opt.ranger_lars(0.01),
    "preconditioned": lambda: opt.chain(
        opt.precondition(jnp.linspace(0.5, 2.0, 16)), opt.sgd(0.01)
    ),
}


def python_loop(tx, steps, update=None):
    update = update or tx.update
    params = make_params()
    state = tx.init(params)
    for _ in range(steps):
        updates, state = update(jax.grad(smooth_loss)(params), state, params)
        params = opt.apply_updates(params, updates)
    return params


@pytest.mark.parametrize("name", sorted(ALL_OPTIMIZERS))
def test_jit_and_eager_agree_and_descend(name):
    tx = ALL_OPTIMIZERS[name]()
    eager = python_loop(tx, 30)
    jitted = python_loop(tx, 30, update=jax.jit(tx.update))
    # Loose: RAdam's ρ_t cancels two numbers near 2000, and XLA's fused float32
    # arithmetic rounds it differently from eager evaluation (see radam's docstring).
    for a, b in zip(
        jax.tree_util.tree_leaves(eager), jax.tree_util.tree_leaves(jitted), strict=True
    ):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=2e-5)
    assert smooth_loss(jitted) < smooth_loss(make_params())


@pytest.mark.parametrize("name", sorted(ALL_OPTIMIZERS))
def test_works_inside_scan_and_keeps_structure(name):
    tx = ALL_OPTIMIZERS[name]()

    def step(carry, _):
        params, state = carry
        updates, state = tx.update(jax.grad(smooth_loss)(params), state, params)
        return (opt.apply_updates(params, updates), state), smooth_loss(params)

    params = make_params()
    (final, _), losses = jax.jit(lambda p: jax.lax.scan(step, (p, tx.init(p)), None, length=30))(
        params
    )
    assert jax.tree_util.tree_structure(final) == jax.tree_util.tree_structure(params)
    for leaf, start in zip(
        jax.tree_util.tree_leaves(final), jax.tree_util.tree_leaves(params), strict=True
    ):
        assert leaf.shape == start.shape and leaf.dtype == start.dtype
    assert losses.shape == (30,) and bool(jnp.all(jnp.isfinite(losses)))


def test_chain_composes_left_to_right():
    tx = opt.chain(opt.scale(2.0), opt.scale(-3.0))
    updates, _ = tx.update({"a": jnp.ones(2)}, tx.init({"a": jnp.ones(2)}))
    np.testing.assert_allclose(updates["a"], -6.0)
    adam_by_hand = opt.chain(opt.scale_by_adam(), opt.scale_by_learning_rate(0.01))
    by_hand = jax.tree_util.tree_leaves(python_loop(adam_by_hand, 20))
    packaged = jax.tree_util.tree_leaves(python_loop(opt.adam(0.01), 20))
    for a, b in zip(by_hand, packaged, strict=True):
        np.testing.assert_array_equal(a, b)


def test_apply_updates_adds_and_keeps_dtype():
    params = {"w": jnp.ones(3, jnp.bfloat16), "b": jnp.zeros(2)}
    new = opt.apply_updates(params, {"w": jnp.full(3, 0.5), "b": jnp.ones(2)})
    assert new["w"].dtype == jnp.bfloat16
    np.testing.assert_allclose(new["w"].astype(jnp.float32), 1.5)
    np.testing.assert_allclose(new["b"], 1.0)


def test_sgd_step_is_minus_learning_rate_times_gradient():
    tx = opt.sgd(0.1)
    grads = {"x": jnp.array([1.0, -2.0])}
    updates, _ = tx.update(grads, tx.init(grads))
    np.testing.assert_allclose(updates["x"], [-0.1, 0.2])


def test_schedule_as_learning_rate_is_used_step_by_step():
    schedule = opt.schedules.linear_schedule(1.0, 0.0, 4)
    tx = opt.sgd(schedule)
    params = {"x": jnp.zeros(())}
    state = tx.init(params)
    steps = []
    for _ in range(6):
        updates, state = tx.update({"x": jnp.ones(())}, state, params)
        steps.append(float(updates["x"]))
    np.testing.assert_allclose(steps, [-1.0, -0.75, -0.5, -0.25, 0.0, 0.0])


def test_hyperparameters_can_be_traced_jax_scalars():
    """Any float hyperparameter may be a traced JAX value (the basis of widgets and vmap)."""

    @jax.jit
    def final_loss(learning_rate, b1):
        tx = opt.adam(learning_rate, b1=b1)
        params = make_params()
        state = tx.init(params)
        for _ in range(10):
            updates, state = tx.update(jax.grad(smooth_loss)(params), state, params)
            params = opt.apply_updates(params, updates)
        return smooth_loss(params)

    traced = final_loss(jnp.float32(0.01), jnp.float32(0.8))
    concrete = smooth_loss(python_loop(opt.adam(0.01, b1=0.8), 10))
    np.testing.assert_allclose(traced, concrete, rtol=1e-5)
    losses = jax.vmap(final_loss, in_axes=(0, None))(jnp.array([0.001, 0.01, 0.1]), 0.9)
    assert losses.shape == (3,) and bool(jnp.all(jnp.diff(losses) < 0))


def test_precondition_with_inverse_hessian_solves_quadratic_in_one_step():
    Q = jnp.array([[3.0, 1.0], [1.0, 2.0]])
    theta = jnp.array([1.0, -2.0])
    tx = opt.chain(opt.precondition(jnp.linalg.inv(Q)), opt.scale_by_learning_rate(1.0))
    updates, _ = tx.update(Q @ theta, tx.init(theta), theta)
    np.testing.assert_allclose(opt.apply_updates(theta, updates), 0.0, atol=1e-6)


def test_lookahead_params_are_slow_weights_after_each_sync():
    """After k steps the params equal θ_0 + α(φ_k − θ_0), φ_k from k plain inner steps."""
    k, alpha = 3, 0.5
    inner_only = python_loop(opt.sgd(0.01), k)
    wrapped = python_loop(opt.lookahead(opt.sgd(0.01), sync_period=k, slow_step_size=alpha), k)
    start = make_params()
    expected = jax.tree_util.tree_map(lambda s, f: s + alpha * (f - s), start, inner_only)
    for a, b in zip(
        jax.tree_util.tree_leaves(wrapped), jax.tree_util.tree_leaves(expected), strict=True
    ):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_lookahead_with_slow_step_one_is_the_inner_optimizer():
    for a, b in zip(
        jax.tree_util.tree_leaves(python_loop(opt.lookahead(opt.adam(0.01), 4, 1.0), 25)),
        jax.tree_util.tree_leaves(python_loop(opt.adam(0.01), 25)),
        strict=True,
    ):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
