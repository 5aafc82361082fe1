"""Finite differences, gradient checks and random search (lab.gradients)."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lab import gradients


def smooth_loss(theta):
    """A non-quadratic loss with a known gradient."""
    return jnp.sum(jnp.sin(theta) * jnp.arange(1.0, theta.size + 1.0)) + 0.25 * jnp.sum(theta**4)


def smooth_gradient(theta):
    return jnp.cos(theta) * jnp.arange(1.0, theta.size + 1.0) + theta**3


THETA = jnp.array([0.3, -1.2, 0.7, 2.0], jnp.float32)


def test_machine_epsilon_and_default_steps():
    assert gradients.machine_epsilon(jnp.float32) == 2.0**-23
    assert gradients.machine_epsilon(np.float64) == 2.0**-52
    assert gradients.default_step("forward", np.float64) == pytest.approx(math.sqrt(2 * 2.0**-52))
    assert gradients.default_step("central", jnp.float32) == pytest.approx(
        (1.5 * 2.0**-23) ** (1 / 3)
    )
    with pytest.raises(ValueError, match="method"):
        gradients.default_step("backward")


@pytest.mark.parametrize(
    ("difference", "evaluations", "tolerance"),
    [(gradients.forward_difference, 5, 2e-3), (gradients.central_difference, 8, 2e-4)],
)
def test_finite_differences_estimate_the_gradient_and_count_evaluations(
    difference, evaluations, tolerance
):
    estimate = difference(smooth_loss, THETA)
    assert estimate.evaluations == evaluations  # d + 1 forward, 2d central, d = 4
    assert estimate.gradient.shape == THETA.shape
    error = gradients.relative_error(estimate.gradient, smooth_gradient(THETA))
    assert error < tolerance


def test_float64_differences_are_far_more_accurate():
    with jax.enable_x64(True):
        theta = jnp.asarray(np.asarray(THETA), jnp.float64)
        forward = gradients.forward_difference(smooth_loss, theta)
        central = gradients.central_difference(smooth_loss, theta)
        assert forward.gradient.dtype == jnp.float64
        exact = smooth_gradient(theta)
        assert gradients.relative_error(forward.gradient, exact) < 1e-7
        assert gradients.relative_error(central.gradient, exact) < 1e-9


def test_truncation_error_is_first_order_forward_and_second_order_central():
    """Halving a large h halves the forward error and quarters the central one."""
    theta = jnp.array([0.5], jnp.float32)

    def loss(t):
        return jnp.sum(jnp.exp(t))

    exact = math.exp(0.5)
    for difference, order in ((gradients.forward_difference, 1), (gradients.central_difference, 2)):
        big = abs(float(difference(loss, theta, step=0.2).gradient[0]) - exact)
        small = abs(float(difference(loss, theta, step=0.1).gradient[0]) - exact)
        assert big / small == pytest.approx(2**order, rel=0.1)


def test_the_step_as_represented_is_used():
    """At θ = 1000 in float32, 1000 + 1e-3 is not 1000.001: dividing by h would err by 2.3%."""
    theta = jnp.array([1000.0], jnp.float32)
    estimate = gradients.forward_difference(lambda t: jnp.sum(3.0 * t), theta, step=1e-3)
    assert float(estimate.gradient[0]) == pytest.approx(3.0, rel=1e-6)


def test_finite_differences_work_inside_jit():
    jitted = jax.jit(lambda t: gradients.central_difference(smooth_loss, t).gradient)
    np.testing.assert_allclose(jitted(THETA), smooth_gradient(THETA), rtol=1e-3, atol=1e-3)


def test_relative_error():
    g = np.array([1.0, -2.0, 2.0])
    assert gradients.relative_error(g, g) == 0.0
    assert gradients.relative_error(2 * g, g) == pytest.approx(0.5)
    assert gradients.relative_error(-g, g) == pytest.approx(2.0)
    assert gradients.relative_error(np.zeros(3), np.zeros(3)) == 0.0
    with pytest.raises(ValueError, match="same size"):
        gradients.relative_error(np.zeros(3), np.zeros(2))


def test_gradient_check_passes_correct_gradients_and_fails_wrong_ones():
    Q = jnp.array([[2.0, 0.5], [0.5, 1.0]])

    def loss(theta):
        return 0.5 * theta @ Q @ theta

    theta = jnp.array([1.0, -2.0])
    assert gradients.gradient_check(loss, theta).relative_error < 1e-4  # jax.grad
    assert gradients.gradient_check(loss, theta, lambda t: Q @ t).relative_error < 1e-4
    slip = gradients.gradient_check(loss, theta, lambda t: 2 * Q @ t)
    assert slip.relative_error == pytest.approx(0.5, abs=1e-4)
    assert slip.evaluations == 4
    forward = gradients.gradient_check(loss, theta, method="forward")
    assert forward.evaluations == 3 and forward.relative_error < 1e-2


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: gradients.forward_difference("loss", THETA), TypeError, "loss"),
        (lambda: gradients.central_difference(smooth_loss, jnp.ones((2, 2))), ValueError, "theta"),
        (lambda: gradients.central_difference(smooth_loss, jnp.ones(0)), ValueError, "theta"),
        (lambda: gradients.forward_difference(smooth_loss, THETA, step=0.0), ValueError, "step"),
        (lambda: gradients.forward_difference(smooth_loss, THETA, step="h"), TypeError, "step"),
        (lambda: gradients.gradient_check(smooth_loss, THETA, method="left"), ValueError, "method"),
        (lambda: gradients.gradient_check(smooth_loss, THETA, gradient=3), TypeError, "gradient"),
        (
            lambda: gradients.gradient_check(smooth_loss, THETA, gradient=lambda t: t[:2]),
            ValueError,
            "gradient",
        ),
        (
            lambda: gradients.random_search(smooth_loss, THETA, 1, jax.random.PRNGKey(0)),
            ValueError,
            "evaluations",
        ),
        (
            lambda: gradients.random_search(smooth_loss, THETA, 10, jax.random.PRNGKey(0), -1.0),
            ValueError,
            "step_size",
        ),
    ],
)
def test_bad_input_is_refused(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_derivative_errors_draw_the_v():
    steps = np.logspace(-14, -1, 53)
    forward, central = gradients.derivative_errors(np.exp, math.e, 1.0, steps, np.float64)
    assert forward.shape == central.shape == steps.shape
    # truncation: relative errors h/2 and h²/6 at large h
    assert forward[-1] == pytest.approx(steps[-1] / 2, rel=0.05)
    assert central[-1] == pytest.approx(steps[-1] ** 2 / 6, rel=0.05)
    # round-off: large errors at tiny h, the best error in between near h*
    assert forward[0] > 1e-4 and central[0] > 1e-4
    best = steps[np.argmin(forward)]
    assert 0.1 < best / gradients.default_step("forward", np.float64) < 10
    assert central.min() < 1e-10 < forward.min()  # ε^(2/3) against ε^(1/2)


def test_derivative_errors_in_float32_are_coarser():
    steps = np.logspace(-6, -1, 21)
    _, central64 = gradients.derivative_errors(np.exp, math.e, 1.0, steps, np.float64)
    _, central32 = gradients.derivative_errors(np.exp, math.e, 1.0, steps, np.float32)
    assert central32.min() > 100 * central64.min()


def test_derivative_errors_refuses_bad_input():
    with pytest.raises(ValueError, match="dtype"):
        gradients.derivative_errors(np.exp, 1.0, 0.0, [1e-3], np.float16)
    with pytest.raises(ValueError, match="steps"):
        gradients.derivative_errors(np.exp, 1.0, 0.0, [0.0])
    with pytest.raises(ValueError, match="derivative"):
        gradients.derivative_errors(np.exp, 0.0, 0.0, [1e-3])
    with pytest.raises(TypeError, match="f"):
        gradients.derivative_errors("exp", 1.0, 0.0, [1e-3])
    with pytest.raises(TypeError, match="f must return"):
        gradients.derivative_errors(lambda x: np.exp(x).astype(np.float64), 1.0, 0.0, [1e-3],
                                    np.float32)  # fmt: skip


def test_random_search_only_goes_down_and_is_reproducible():
    def sphere(theta):
        return 0.5 * jnp.sum(theta**2)

    theta0 = jnp.ones(10)
    search = gradients.random_search(sphere, theta0, 400, jax.random.PRNGKey(3))
    losses = np.asarray(search.losses)
    assert search.evaluations == losses.size == 400
    assert losses[0] == pytest.approx(5.0)
    assert np.all(np.diff(losses) <= 0)  # the best loss so far never rises
    assert losses[-1] < 1e-2 * losses[0]  # the one-fifth rule keeps it making progress
    assert float(sphere(search.theta)) == pytest.approx(losses[-1])
    again = gradients.random_search(sphere, theta0, 400, jax.random.PRNGKey(3))
    np.testing.assert_array_equal(again.losses, search.losses)


def test_random_search_needs_more_evaluations_in_more_dimensions():
    def sphere(theta):
        return 0.5 * jnp.sum(theta**2)

    def evaluations_to_tenfold(d):
        search = gradients.random_search(sphere, jnp.ones(d), 40 * d, jax.random.PRNGKey(0))
        losses = np.asarray(search.losses)
        return int(np.flatnonzero(losses <= losses[0] / 10)[0]) + 1

    assert evaluations_to_tenfold(40) > 4 * evaluations_to_tenfold(4)
