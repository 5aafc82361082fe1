"""Test problems: losses, gradients, known minima, mini-batches, the registry."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lab import problems
from lab.trajectory import compilation_count
from optimizers import sgd

DETERMINISTIC_2D = ["quadratic", "ill_conditioned_paraboloid", "rosenbrock", "beale", "saddle",
                    "himmelblau"]  # fmt: skip


def finite_difference_grad(problem, theta, h=1e-2):
    """Central differences (h² error) of the float32 loss."""
    theta = np.asarray(theta, np.float32)
    grad = np.zeros_like(theta, dtype=np.float64)
    for i in range(theta.size):
        step = np.zeros_like(theta)
        step[i] = h
        grad[i] = (float(problem.loss(theta + step)) - float(problem.loss(theta - step))) / (2 * h)
    return grad


@pytest.mark.parametrize("name", [*DETERMINISTIC_2D, "quadratic_nd"])
def test_gradient_matches_finite_differences(name):
    problem = problems.get(name)
    rng = np.random.default_rng(1)
    for _ in range(3):
        theta = problem.start + rng.normal(scale=0.3, size=problem.dim).astype(np.float32)
        autodiff = np.asarray(problem.grad(theta))
        numeric = finite_difference_grad(problem, theta)
        scale = max(1.0, np.linalg.norm(autodiff))
        np.testing.assert_allclose(autodiff, numeric, atol=2e-3 * scale)


@pytest.mark.parametrize("name", list(problems.PROBLEMS))
def test_minima_have_zero_gradient_and_the_stated_value(name):
    problem = problems.get(name)
    assert problem.minima, f"{name} lists no minimum"
    for minimum in problem.minima:
        assert float(problem.loss(minimum)) == pytest.approx(problem.min_value, abs=1e-5)
        assert np.max(np.abs(np.asarray(problem.grad(minimum)))) < 1e-3


@pytest.mark.parametrize("name", [*DETERMINISTIC_2D, "linear_regression", "logistic_regression"])
def test_2d_problems_have_bounds_around_start_and_minima(name):
    problem = problems.get(name)
    (x_min, x_max), (y_min, y_max) = problem.bounds
    for x, y in [problem.start, *problem.minima]:
        assert x_min <= x <= x_max and y_min <= y <= y_max
    assert np.isfinite(float(problem.loss(problem.start)))
    # the known minimum is the lowest loss on the plotting grid
    _, _, Z = problem.loss_grid(60)
    assert np.min(Z) >= problem.min_value - 1e-4


def test_quadratic_gradient_is_q_theta():
    problem = problems.quadratic(eigenvalues=(2.0, 7.0), angle=0.4)
    Q = problems.quadratic_matrix((2.0, 7.0), 0.4)
    for theta in ([1.0, -2.0], [0.3, 0.5], [-4.0, 3.0]):
        theta = np.asarray(theta)
        np.testing.assert_allclose(problem.grad(theta), Q @ theta, rtol=1e-5, atol=1e-5)
        assert float(problem.loss(theta)) == pytest.approx(0.5 * theta @ Q @ theta, rel=1e-5)


def test_quadratic_matrix_has_the_stated_eigenvalues_and_eigenvectors():
    angle = 0.7
    Q = problems.quadratic_matrix((1.0, 10.0), angle)
    np.testing.assert_allclose(Q, Q.T)
    np.testing.assert_allclose(np.linalg.eigvalsh(Q), [1.0, 10.0])
    first = np.array([np.cos(angle), np.sin(angle)])
    np.testing.assert_allclose(Q @ first, 1.0 * first, atol=1e-12)


def test_quadratic_nd_has_the_stated_spectrum():
    eigenvalues = (0.5, 1.0, 4.0, 20.0, 100.0, 300.0)
    problem = problems.quadratic_nd(eigenvalues, seed=3)
    (Q,) = problem.args
    np.testing.assert_allclose(
        np.linalg.eigvalsh(np.asarray(Q, np.float64)), eigenvalues, rtol=1e-5
    )
    theta = problem.start
    np.testing.assert_allclose(problem.grad(theta), np.asarray(Q) @ theta, rtol=1e-4, atol=1e-5)
    assert problem.bounds is None
    # deterministic: the same seed gives the same problem
    again = problems.quadratic_nd(eigenvalues, seed=3)
    np.testing.assert_array_equal(again.start, problem.start)


def test_ill_conditioned_paraboloid_is_the_stated_function():
    problem = problems.ill_conditioned_paraboloid()
    theta = np.array([1.5, -0.5])
    assert float(problem.loss(theta)) == pytest.approx(0.2 * 1.5**2 + 2 * 0.5**2, rel=1e-6)
    np.testing.assert_allclose(problem.grad(theta), [0.4 * 1.5, 4 * -0.5], rtol=1e-6)


def test_saddle_has_a_saddle_at_the_origin():
    problem = problems.saddle()
    np.testing.assert_allclose(problem.grad([0.0, 0.0]), [0.0, 0.0])
    hessian = jax.jit(jax.hessian(problems.saddle_loss))(jnp.zeros(2))
    np.testing.assert_allclose(hessian, np.diag([1.0, -1.0]))
    assert float(problem.loss([0.0, 0.0])) > problem.min_value


def test_rosenbrock_minimum_moves_with_a():
    problem = problems.rosenbrock(a=2.0, b=10.0)
    np.testing.assert_allclose(problem.minima[0], [2.0, 4.0])
    assert np.max(np.abs(np.asarray(problem.grad(problem.minima[0])))) == 0.0


def test_linear_regression_minimiser_is_least_squares():
    problem = problems.linear_regression(n=200, d=3, noise=0.1, seed=5)
    X, y = (np.asarray(a, np.float64) for a in problem.args)
    expected = np.linalg.lstsq(X, y, rcond=None)[0]
    np.testing.assert_allclose(problem.minima[0], expected, rtol=1e-5)
    assert problem.bounds is None  # d = 3: nothing to plot


def test_logistic_regression_labels_and_loss():
    problem = problems.logistic_regression(n=300, d=2, seed=2)
    X, y = (np.asarray(a, np.float64) for a in problem.args)
    assert set(np.unique(y)) == {0.0, 1.0}
    theta = np.array([0.5, -1.0])
    p = 1 / (1 + np.exp(-X @ theta))
    expected = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert float(problem.loss(theta)) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("name", ["linear_regression", "logistic_regression"])
def test_mini_batch_loss_is_unbiased(name):
    problem = problems.get(name)
    theta = np.array([0.7, 0.4], np.float32)
    keys = jax.random.split(jax.random.PRNGKey(0), 2000)
    X, y = problem.args

    def batch_loss(key):
        return problem.loss_fn(theta, X, y, 16.0, key=key)

    batch_losses = np.asarray(jax.jit(jax.vmap(batch_loss))(keys))
    full = float(problem.loss(theta))
    assert batch_losses.std() > 0.01 * full  # the batches really differ
    standard_error = batch_losses.std() / np.sqrt(keys.shape[0])
    assert abs(batch_losses.mean() - full) < 4 * standard_error
    # and so is the mini-batch gradient
    batch_grad = jax.grad(lambda t, k: problem.loss_fn(t, X, y, 16.0, key=k))
    grads = np.asarray(jax.jit(jax.vmap(batch_grad, in_axes=(None, 0)))(jnp.asarray(theta), keys))
    np.testing.assert_allclose(grads.mean(axis=0), problem.grad(theta), atol=0.05)


def test_batch_weights_choose_exactly_batch_size_examples():
    weights = jax.jit(problems.batch_weights, static_argnums=0)(100, 10.0, jax.random.PRNGKey(4))
    assert int(np.sum(np.asarray(weights) > 0)) == 10
    assert float(jnp.sum(weights)) == pytest.approx(1.0)
    np.testing.assert_allclose(problems.batch_weights(100, 10.0), np.full(100, 0.01))


def test_a_new_batch_size_does_not_recompile():
    problem = problems.linear_regression()
    problem.run(sgd, 20, learning_rate=0.1, batch_size=8)
    compiled = compilation_count()
    runs = [problem.run(sgd, 20, learning_rate=0.1, batch_size=b) for b in (1, 16, 64.0, 512)]
    assert compilation_count() == compiled
    assert not np.allclose(runs[0].losses, runs[2].losses)
    # with every example in the batch, mini-batch SGD is full-batch gradient descent
    full = problem.run(sgd, 20, learning_rate=0.1, batch_size=None)
    np.testing.assert_allclose(runs[-1].losses, full.losses, rtol=1e-5)


def test_stochastic_run_depends_on_the_key():
    problem = problems.logistic_regression()
    a = problem.run(sgd, 10, learning_rate=0.5, key=jax.random.PRNGKey(0), batch_size=4)
    b = problem.run(sgd, 10, learning_rate=0.5, key=jax.random.PRNGKey(1), batch_size=4)
    c = problem.run(sgd, 10, learning_rate=0.5, key=jax.random.PRNGKey(0), batch_size=4)
    assert not np.allclose(a.losses, b.losses)
    np.testing.assert_array_equal(a.losses, c.losses)


def test_run_converges_on_a_quadratic_and_accepts_x0():
    problem = problems.quadratic(eigenvalues=(1.0, 4.0))
    run = problem.run(sgd, 200, learning_rate=0.3)
    assert run.diverged_at is None
    assert float(run.losses[-1]) < 1e-8
    np.testing.assert_allclose(run.params[0], problem.start)
    other = problem.run(sgd, 5, x0=np.array([1.0, 1.0]), learning_rate=0.3)
    np.testing.assert_allclose(other.params[0], [1.0, 1.0])


def test_problems_hash_by_identity():
    a, b = problems.quadratic(), problems.quadratic()
    assert a != b
    assert len({a, b, a}) == 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.name = "changed"


def test_get_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="name") as error:
        problems.get("rosenbrok")
    assert "rosenbrock" in str(error.value) and "himmelblau" in str(error.value)


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: problems.quadratic(eigenvalues=(1.0,)), "eigenvalues"),
        (lambda: problems.quadratic(eigenvalues=(1.0, np.inf)), "eigenvalues"),
        (lambda: problems.quadratic(angle="steep"), "angle"),
        (lambda: problems.quadratic_nd(eigenvalues=[]), "eigenvalues"),
        (lambda: problems.quadratic_nd(seed=-1), "seed"),
        (lambda: problems.rosenbrock(b=-1.0), "b"),
        (lambda: problems.linear_regression(n=1), "n"),
        (lambda: problems.logistic_regression(d=0), "d"),
        (lambda: problems.linear_regression().run(sgd, 5, learning_rate=0.1, batch_size=0), "batch_size"),
        (lambda: problems.linear_regression().loss([0.0, 0.0], batch_size=10_000), "batch_size"),
        (lambda: problems.beale().run(sgd, 5, key=jax.random.PRNGKey(0), learning_rate=0.1), "key"),
        (lambda: problems.beale().loss([0.0, 0.0], batch_size=4), "batch_size"),
        (lambda: problems.beale().run(sgd, 5, x0=[0.0, 0.0, 0.0], learning_rate=0.1), "x0"),
        (lambda: problems.quadratic_nd().loss_grid(), "bounds"),
    ],
)  # fmt: skip
def test_bad_input_names_the_argument(call, argument):
    with pytest.raises((ValueError, TypeError), match=argument):
        call()
