"""Property-based tests (hypothesis) for invariances the book relies on."""

import jax.numpy as jnp
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import optimizers as opt

# XLA on the CPU flushes subnormal float32 results to zero: keep |g| ≥ 1e-30 (or 0), so that
# α·g with α ≥ 1e-6 stays a normal number (a run drew g = 1e-45 and got −0.0 for −α g).
magnitudes = st.floats(float(np.float32(1e-30)), 100, width=32)
elements = st.one_of(st.just(0.0), magnitudes, magnitudes.map(lambda x: -x))
vectors = arrays(np.float32, st.integers(1, 6), elements=elements)
positive = st.floats(1e-3, 1e3)


def first_update(tx, grads):
    return tx.update(grads, tx.init(grads), jnp.ones_like(grads))[0]


@settings(max_examples=50, deadline=None)
@given(
    vectors, st.one_of(st.just(0.0), st.floats(1e-6, 10.0))
)  # no denormal steps: XLA flushes them
def test_sgd_step_is_minus_alpha_g(g, alpha):
    np.testing.assert_allclose(first_update(opt.sgd(alpha), jnp.asarray(g)), -alpha * g, rtol=1e-6)


@settings(max_examples=50, deadline=None)
@given(vectors, st.floats(1e-4, 1.0))
def test_adam_first_step_is_alpha_times_sign(g, alpha):
    """Bias correction makes Adam's first step α·g/(|g| + ε): ±α wherever |g| ≫ ε."""
    u = np.asarray(first_update(opt.adam(alpha), jnp.asarray(g)))
    big = np.abs(g) > 1e-3
    np.testing.assert_allclose(u[big], -alpha * np.sign(g[big]), rtol=1e-4)
    assert np.all(np.abs(u) <= alpha * (1 + 1e-6))


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        arrays(np.float32, 3, elements=st.floats(-100, 100, width=32)), min_size=3, max_size=8
    ),
    positive,
)
def test_adam_is_invariant_to_gradient_scale(grads, c):
    """Adam's updates do not change when every gradient is multiplied by c > 0 (up to ε)."""
    grads = [jnp.asarray(g) + 1.0 for g in grads]  # keep |g| ≫ ε
    tx = opt.adam(0.1, eps=1e-12)
    params = jnp.zeros(3)
    state_a = state_b = tx.init(params)
    for g in grads:
        u_a, state_a = tx.update(g, state_a, params)
        u_b, state_b = tx.update(c * g, state_b, params)
    np.testing.assert_allclose(u_a, u_b, rtol=2e-3, atol=1e-6)


@settings(max_examples=30, deadline=None)
@given(vectors, positive)
def test_trust_ratio_makes_update_norm_proportional_to_param_norm(g, scale):
    """LAMB/LARS: after the trust ratio, ‖u‖ = η‖θ‖ whatever the size of the gradient."""
    g = jnp.asarray(g) + 0.5
    params = scale * jnp.ones_like(g)
    tx = opt.scale_by_trust_ratio(trust_coefficient=0.1)
    u, _ = tx.update(g, tx.init(params), params)
    np.testing.assert_allclose(jnp.linalg.norm(u), 0.1 * jnp.linalg.norm(params), rtol=1e-4)


@settings(max_examples=30, deadline=None)
@given(st.floats(0.0, 0.99), st.integers(1, 40))
def test_momentum_velocity_is_a_geometric_sum(beta, steps):
    """With a constant gradient g, v_t = g(1 − β^t)/(1 − β): the window 1/(1 − β)."""
    tx = opt.trace(beta)
    g = jnp.array([1.0])
    state = tx.init(g)
    for _ in range(steps):
        u, state = tx.update(g, state)
    np.testing.assert_allclose(u, (1 - beta**steps) / (1 - beta), rtol=1e-4)
