"""Newton's method: the step against its formula and a NumPy reference, no recompilation,
divergence reported as in trajectory(), clear errors for bad input."""

import warnings

import jax.numpy as jnp
import numpy as np
import pytest

from lab import problems
from lab.newton import compilation_count, newton, newton_step

Q = np.array([[3.0, 1.0], [1.0, 2.0]])
X0 = np.array([1.0, -2.0])


def rosenbrock_reference(x0, steps, a=1.0, b=100.0, learning_rate=1.0, damping=0.0):
    """Damped Newton on Rosenbrock in float64 NumPy, with the gradient and Hessian by hand."""
    x = np.array(x0, np.float64)
    history = [x.copy()]
    for _ in range(steps):
        u, v = x
        gradient = np.array([-2 * (a - u) - 4 * b * u * (v - u**2), 2 * b * (v - u**2)])
        hessian = np.array(
            [[2 - 4 * b * (v - u**2) + 8 * b * u**2, -4 * b * u], [-4 * b * u, 2 * b]]
        )
        x = x - learning_rate * np.linalg.solve(hessian + damping * np.eye(2), gradient)
        history.append(x.copy())
    return np.array(history)


def log_cosh(theta):
    return jnp.sum(jnp.log(jnp.cosh(theta)))


def test_one_newton_step_solves_a_quadratic():
    run = newton(problems.quadratic_loss, X0, 3, loss_args=(Q,))
    np.testing.assert_allclose(run.params[0], X0)
    np.testing.assert_allclose(run.params[1], [0.0, 0.0], atol=1e-6)
    assert run.params.shape == (4, 2) and run.losses.shape == (4,)
    assert run.diverged_at is None


def test_damped_step_follows_the_formula_on_a_quadratic():
    """θ₁ = θ₀ − α (Q + μI)⁻¹ Q θ₀."""
    alpha, mu = 0.7, 2.5
    run = newton(problems.quadratic_loss, X0, 1, loss_args=(Q,), learning_rate=alpha, damping=mu)
    expected = X0 - alpha * np.linalg.solve(Q + mu * np.eye(2), Q @ X0)
    np.testing.assert_allclose(run.params[1], expected, rtol=1e-5)


def test_large_damping_approaches_a_gradient_step():
    """For μ ≫ ‖H‖ the step −α(H + μI)⁻¹g is close to −(α/μ) g."""
    mu = 1e4
    run = newton(problems.quadratic_loss, X0, 1, loss_args=(Q,), damping=mu)
    np.testing.assert_allclose(run.params[1], X0 - (Q @ X0) / mu, rtol=1e-6)


@pytest.mark.parametrize("damping, learning_rate", [(0.0, 1.0), (5.0, 0.5)])
def test_matches_a_numpy_reference_on_rosenbrock(damping, learning_rate):
    banana = problems.rosenbrock()
    x0 = np.array([-1.2, 1.0])
    run = newton(
        banana.loss_fn, x0, 6, loss_args=banana.args, learning_rate=learning_rate, damping=damping
    )
    reference = rosenbrock_reference(x0, 6, learning_rate=learning_rate, damping=damping)
    np.testing.assert_allclose(run.params, reference, rtol=2e-3, atol=2e-4)


def test_newton_step_is_one_step_of_newton():
    banana = problems.rosenbrock()
    x0 = np.array([-1.2, 1.0])
    step = newton_step(banana.loss_fn, x0, loss_args=banana.args, learning_rate=0.5, damping=1.0)
    run = newton(banana.loss_fn, x0, 1, loss_args=banana.args, learning_rate=0.5, damping=1.0)
    np.testing.assert_allclose(step, run.params[1], rtol=1e-6)


def test_quadratic_convergence_near_the_minimum():
    """On Rosenbrock with a = 0 (minimum at 0) the error exponent doubles: e_t ≈ C e_{t−1}²."""
    banana = problems.rosenbrock(a=0.0)
    run = newton(banana.loss_fn, banana.start, 10, loss_args=banana.args)
    errors = np.linalg.norm(np.asarray(run.params, np.float64), axis=1)
    final_phase = errors[(errors > 0) & (errors < 1e-3)]
    assert final_phase.size >= 3
    logs = np.log(final_phase)
    orders = np.diff(logs[1:]) / np.diff(logs[:-1])
    np.testing.assert_allclose(orders, 2.0, atol=0.1)


def test_works_on_a_pytree_of_parameters():
    def loss(params):
        return 0.5 * 3.0 * (params["w"] - 1.0) ** 2 + jnp.sum((params["b"] + 2.0) ** 2)

    x0 = {"w": jnp.asarray(5.0), "b": jnp.array([0.0, 1.0])}
    run = newton(loss, x0, 2)
    assert run.params["w"].shape == (3,) and run.params["b"].shape == (3, 2)
    np.testing.assert_allclose(run.params["w"][1], 1.0, rtol=1e-6)
    np.testing.assert_allclose(run.params["b"][1], [-2.0, -2.0], rtol=1e-6)


def test_new_step_size_damping_start_or_data_do_not_recompile():
    newton(problems.quadratic_loss, X0, 7, loss_args=(Q,), learning_rate=1.0, damping=0.0)
    before = compilation_count()
    for alpha, mu in [(0.5, 1.0), (1, 0), (np.float32(0.3), jnp.float32(2.0))]:
        newton(problems.quadratic_loss, X0, 7, loss_args=(Q,), learning_rate=alpha, damping=mu)
    newton(problems.quadratic_loss, -X0, 7, loss_args=(2 * Q,))
    assert compilation_count() == before
    newton(problems.quadratic_loss, X0, 8, loss_args=(Q,))  # a new step count is a new program
    assert compilation_count() == before + 1


def test_divergence_is_reported_not_raised():
    """From θ₀ = 1.2 the pure Newton step on log cosh, θ − ½ sinh 2θ, runs away."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run = newton(log_cosh, np.array([1.2]), 8)
    assert run.diverged_at is not None and run.diverged_at <= 4
    assert np.all(np.isnan(np.asarray(run.params)[run.diverged_at :]))
    assert np.all(np.isfinite(np.asarray(run.params)[: run.diverged_at]))
    np.testing.assert_allclose(run.params[1, 0], 1.2 - 0.5 * np.sinh(2.4), rtol=1e-5)
    assert np.isfinite(run.final_loss)


def test_damping_or_a_step_size_cures_the_divergence():
    for kwargs in ({"damping": 1.0}, {"learning_rate": 0.5}):
        run = newton(log_cosh, np.array([1.2]), 30, **kwargs)
        assert run.diverged_at is None
        assert abs(float(run.params[-1, 0])) < 1e-6


def test_newton_goes_to_the_saddle():
    saddle = problems.saddle()
    run = newton(saddle.loss_fn, saddle.start, 5)
    np.testing.assert_allclose(run.params[-1], [0.0, 0.0], atol=1e-12)


@pytest.mark.parametrize(
    "kwargs, error, word",
    [
        ({"steps": 0}, ValueError, "steps"),
        ({"steps": 2.5}, ValueError, "steps"),
        ({"learning_rate": -1.0}, ValueError, "learning_rate"),
        ({"learning_rate": float("nan")}, ValueError, "learning_rate"),
        ({"learning_rate": True}, TypeError, "learning_rate"),
        ({"damping": -0.1}, ValueError, "damping"),
        ({"damping": "big"}, TypeError, "damping"),
        ({"damping": np.ones(2)}, TypeError, "damping"),
        ({"divergence_threshold": 0.0}, ValueError, "divergence_threshold"),
    ],
)
def test_bad_input_names_the_argument(kwargs, error, word):
    arguments = {"steps": 3, **kwargs}
    steps = arguments.pop("steps")
    with pytest.raises(error, match=word):
        newton(problems.quadratic_loss, X0, steps, loss_args=(Q,), **arguments)


def test_a_loss_must_be_callable():
    with pytest.raises(TypeError, match="loss"):
        newton("not a function", X0, 3)
    with pytest.raises(TypeError, match="loss"):
        newton_step(None, X0)
