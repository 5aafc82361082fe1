"""Hessian-vector products and power iteration against dense Hessians (jax.hessian + eigvalsh)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree

from conftest import make_params, smooth_loss
from lab import curvature, nn, problems


def dense_hessian(loss, params, *args):
    """H of ``loss`` at ``params`` as a d×d float64 matrix, flattened like ``ravel_pytree``."""
    flat, unravel = ravel_pytree(params)
    return np.asarray(jax.hessian(lambda f: loss(unravel(f), *args))(flat), np.float64)


def random_symmetric(eigenvalues, seed=0):
    rng = np.random.default_rng(seed)
    V, _ = np.linalg.qr(rng.normal(size=(len(eigenvalues), len(eigenvalues))))
    Q = V @ np.diag(eigenvalues) @ V.T
    return jnp.asarray((Q + Q.T) / 2, jnp.float32)


def tiny_network():
    """An MLP 5–4–3 on 16 random points: 39 parameters in a list of {"w", "b"} dicts."""
    key_params, key_x, key_y = jax.random.split(jax.random.PRNGKey(3), 3)
    params = nn.init_mlp(key_params, [5, 4, 3])
    x = jax.random.normal(key_x, (16, 5))
    y = jax.random.randint(key_y, (16,), 0, 3)
    return params, x, y


def test_hessian_vector_product_of_a_quadratic_is_q_times_v():
    Q = random_symmetric([0.5, 2.0, 7.0])
    theta = jnp.array([1.0, -2.0, 0.5])
    v = jnp.array([0.3, 0.1, -1.0])
    hv = curvature.hessian_vector_product(problems.quadratic_loss, theta, v, Q)
    np.testing.assert_allclose(hv, Q @ v, rtol=1e-6, atol=1e-6)


def test_hessian_vector_product_on_a_pytree_matches_the_dense_hessian():
    params = make_params()
    leaves, tree = jax.tree_util.tree_flatten(params)
    keys = jax.random.split(jax.random.PRNGKey(7), len(leaves))
    v = jax.tree_util.tree_unflatten(
        tree, [jax.random.normal(k, jnp.shape(x)) for k, x in zip(keys, leaves, strict=True)]
    )
    hv = curvature.hessian_vector_product(smooth_loss, params, v)
    assert jax.tree_util.tree_structure(hv) == jax.tree_util.tree_structure(params)
    expected = dense_hessian(smooth_loss, params) @ np.asarray(ravel_pytree(v)[0], np.float64)
    np.testing.assert_allclose(ravel_pytree(hv)[0], expected, rtol=1e-4, atol=1e-4)


def test_hessian_vector_product_is_the_derivative_of_the_gradient():
    params, x, y = tiny_network()
    v = jax.tree_util.tree_map(jnp.ones_like, params)
    hv = ravel_pytree(curvature.hessian_vector_product(nn.cross_entropy_loss, params, v, x, y))[0]
    eps = 1e-2
    grad = jax.grad(nn.cross_entropy_loss)
    shifted = [
        ravel_pytree(
            grad(jax.tree_util.tree_map(lambda p, d, s=s: p + s * eps * d, params, v), x, y)
        )[0]
        for s in (1.0, -1.0)
    ]
    central = (shifted[0] - shifted[1]) / (2 * eps)
    np.testing.assert_allclose(hv, central, rtol=2e-2, atol=2e-3)


@pytest.mark.parametrize("eigenvalues", [[0.1, 1.0, 3.0, 10.0], [1.0, 1.5, 2.0, 9.0, 9.5, 10.0]])
def test_largest_eigenvalue_of_a_quadratic_matches_eigvalsh(eigenvalues):
    Q = random_symmetric(eigenvalues, seed=len(eigenvalues))
    theta = jnp.zeros(len(eigenvalues))
    top = curvature.largest_eigenvalue(problems.quadratic_loss, theta, Q, iterations=300)
    assert top.eigenvalue == pytest.approx(np.linalg.eigvalsh(np.asarray(Q))[-1], rel=1e-4)
    assert top.residual < 1e-2
    assert float(jnp.linalg.norm(top.vector)) == pytest.approx(1.0, rel=1e-5)
    assert top.estimates.shape == (300,)


def test_largest_eigenvalue_of_a_network_matches_the_dense_hessian():
    params, x, y = tiny_network()
    top = curvature.largest_eigenvalue(nn.cross_entropy_loss, params, x, y, iterations=300)
    eigenvalues = np.linalg.eigvalsh(dense_hessian(nn.cross_entropy_loss, params, x, y))
    assert top.eigenvalue == pytest.approx(eigenvalues[-1], rel=1e-3)
    assert jax.tree_util.tree_structure(top.vector) == jax.tree_util.tree_structure(params)
    v = ravel_pytree(top.vector)[0]
    H = dense_hessian(nn.cross_entropy_loss, params, x, y)
    assert float(v @ H @ v) == pytest.approx(eigenvalues[-1], rel=1e-3)


def test_largest_eigenvalue_of_a_pytree_loss_matches_the_dense_hessian():
    params = make_params()
    top = curvature.largest_eigenvalue(smooth_loss, params, iterations=300)
    expected = np.linalg.eigvalsh(dense_hessian(smooth_loss, params))[-1]
    assert top.eigenvalue == pytest.approx(expected, rel=1e-3)


def test_a_dominant_negative_eigenvalue_is_shifted_away():
    Q = random_symmetric([-5.0, 1.0, 2.0])
    theta = jnp.zeros(3)
    dominant = curvature.power_iteration(problems.quadratic_loss, theta, Q, iterations=200)
    assert dominant.eigenvalue == pytest.approx(-5.0, rel=1e-4)
    top = curvature.largest_eigenvalue(problems.quadratic_loss, theta, Q, iterations=200)
    assert top.eigenvalue == pytest.approx(2.0, rel=1e-3)


def test_an_all_negative_spectrum_gives_the_one_closest_to_zero():
    Q = random_symmetric([-4.0, -2.5, -1.0])
    top = curvature.largest_eigenvalue(problems.quadratic_loss, jnp.zeros(3), Q, iterations=200)
    assert top.eigenvalue == pytest.approx(-1.0, rel=1e-3)


def test_the_saddle_has_largest_eigenvalue_one():
    top = curvature.largest_eigenvalue(problems.saddle_loss, jnp.zeros(2), iterations=50)
    assert top.eigenvalue == pytest.approx(1.0, rel=1e-5)  # Hessian diag(1, −1)


def test_new_params_and_data_of_the_same_shape_do_not_recompile():
    params, x, y = tiny_network()
    curvature.largest_eigenvalue(nn.cross_entropy_loss, params, x, y, iterations=20)
    compiled = curvature.compilation_count()
    moved = jax.tree_util.tree_map(lambda p: 1.5 * p, params)
    curvature.largest_eigenvalue(nn.cross_entropy_loss, moved, 2.0 * x, y, iterations=20)
    curvature.power_iteration(nn.cross_entropy_loss, moved, x, y, iterations=20, shift=-0.5)
    assert curvature.compilation_count() == compiled


def test_the_key_chooses_the_start_but_not_the_answer():
    Q = random_symmetric([1.0, 2.0, 6.0])
    answers = [
        curvature.largest_eigenvalue(
            problems.quadratic_loss, jnp.zeros(3), Q, iterations=100, key=jax.random.PRNGKey(k)
        )
        for k in range(3)
    ]
    assert not np.allclose(answers[0].estimates[0], answers[1].estimates[0])
    for answer in answers:
        assert answer.eigenvalue == pytest.approx(6.0, rel=1e-4)


@pytest.mark.parametrize(
    ("call", "error", "argument"),
    [
        (lambda: curvature.largest_eigenvalue("loss", jnp.zeros(2)), TypeError, "loss"),
        (
            lambda: curvature.largest_eigenvalue(problems.saddle_loss, jnp.zeros(2), iterations=0),
            ValueError,
            "iterations",
        ),
        (
            lambda: curvature.power_iteration(problems.saddle_loss, jnp.zeros(2), iterations=2.5),
            ValueError,
            "iterations",
        ),
        (
            lambda: curvature.power_iteration(problems.saddle_loss, jnp.zeros(2), shift="1"),
            TypeError,
            "shift",
        ),
        (
            lambda: curvature.hessian_vector_product(
                problems.saddle_loss, jnp.zeros(2), jnp.zeros(3)
            ),
            ValueError,
            "vector",
        ),
        (
            lambda: curvature.hessian_vector_product(smooth_loss, make_params(), [jnp.zeros(2)]),
            ValueError,
            "vector",
        ),
        (
            lambda: curvature.hessian_vector_product(None, jnp.zeros(2), jnp.zeros(2)),
            TypeError,
            "loss",
        ),
    ],
)
def test_bad_input_names_the_argument(call, error, argument):
    with pytest.raises(error, match=argument):
        call()


@pytest.mark.parametrize("seed", range(4))
def test_a_spectrum_with_ends_of_equal_magnitude_still_gives_the_top(seed):
    # At the saddle the Hessian is diag(1, −1): plain power iteration never settles there.
    top = curvature.largest_eigenvalue(
        problems.saddle_loss, jnp.zeros(2), iterations=50, key=jax.random.PRNGKey(seed)
    )
    assert top.eigenvalue == pytest.approx(1.0, rel=1e-4)
    Q = random_symmetric([-3.0, 0.5, 3.0], seed=seed)
    top = curvature.largest_eigenvalue(problems.quadratic_loss, jnp.zeros(3), Q, iterations=200)
    assert top.eigenvalue == pytest.approx(3.0, rel=1e-3)
