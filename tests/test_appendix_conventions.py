"""The re-implemented torch.optim conventions of the conventions appendix (lab.appendix_conventions)."""

import numpy as np
import optax
import pytest

import optimizers as opt
from lab import appendix_conventions as cv

GRADS = cv.example_gradients(10)


def test_rmsprop_agrees_once_decay_and_eps_align():
    torch_like = cv.torch_rmsprop(GRADS, 0.01)
    aligned = cv.run_ours(opt.rmsprop(0.01, decay=0.99, eps_in_sqrt=False), GRADS)
    np.testing.assert_allclose(aligned, torch_like, atol=1e-6)
    assert np.abs(cv.run_ours(opt.rmsprop(0.01), GRADS) - torch_like).max() > 1e-2


def test_adagrad_first_torch_step_is_alpha_times_sign():
    torch_like = cv.torch_adagrad(GRADS, 0.1)
    np.testing.assert_allclose(torch_like[0], -0.1 * np.sign(GRADS[0]), rtol=1e-8)
    aligned = cv.run_ours(opt.adagrad(0.1, initial_accumulator_value=0.0), GRADS)
    np.testing.assert_allclose(aligned, torch_like, atol=1e-6)


def test_example_gradients_are_reproducible():
    assert GRADS.shape == (10, 3)
    np.testing.assert_array_equal(GRADS, cv.example_gradients(10))
    np.testing.assert_allclose(cv.example_gradients(10, scale=2.0), 2 * GRADS)


def test_nesterov_forms_differ_by_the_lookahead_shift():
    original = cv.lookahead_nesterov([1.0, 10.0], [1.0, 1.0], 0.05, 0.9, 10)
    assert original.thetas.shape == original.lookaheads.shape == (10, 2)
    package = cv.package_nesterov([1.0, 10.0], [1.0, 1.0], 0.05, 0.9, 10)
    np.testing.assert_allclose(package, original.lookaheads, atol=1e-6)
    assert np.abs(package - original.thetas).max() > 0.1


def test_the_original_nesterov_takes_the_gradient_at_the_lookahead_point():
    q, lr, beta = np.array([1.0, 10.0]), 0.05, 0.9
    original = cv.lookahead_nesterov(q, [1.0, 1.0], lr, beta, 3)
    # v_1 = −α q θ₀ (v_0 = 0); the next look-ahead point is θ_1 + β v_1
    v1 = -lr * q * np.array([1.0, 1.0])
    np.testing.assert_allclose(original.thetas[0], 1.0 + v1)
    np.testing.assert_allclose(original.lookaheads[0], original.thetas[0] + beta * v1)


def test_nadam_schedule_starts_near_half_beta():
    mu = cv.nadam_momentum_schedule(2)
    np.testing.assert_allclose(mu[0], 0.9 * (1 - 0.5 * 0.96**0.004))
    assert 0.44 < mu[0] < 0.46
    ours, theirs = cv.run_ours(opt.nadam(0.01), GRADS), cv.torch_nadam(GRADS, 0.01)
    np.testing.assert_allclose(ours, cv.run_ours(optax.nadam(0.01), GRADS), atol=1e-6)
    assert np.abs(ours - theirs).max() > 1e-3


def test_torch_nadam_with_constant_schedule_is_close_to_ours():
    """With ψ huge μ_t = β₁ for every t; torch's products of μ then equal β₁^t as ours."""
    theirs = cv.torch_nadam(GRADS, 0.01, psi=1e6)
    np.testing.assert_allclose(theirs, cv.run_ours(opt.nadam(0.01), GRADS), atol=1e-6)


def test_amsgrad_conventions_differ_when_gradients_shrink():
    grads = np.concatenate([cv.example_gradients(5), cv.example_gradients(15, scale=0.1, seed=1)])
    ours, theirs = cv.run_ours(opt.amsgrad(0.01), grads), cv.torch_amsgrad(grads, 0.01)
    np.testing.assert_allclose(ours[0], theirs[0], atol=1e-6)  # one value: no maximum yet
    assert np.abs(ours - theirs).max() > 1e-3


def test_radam_threshold_and_eps():
    rho = cv.radam_rho(6)
    assert rho[4] < 5 < rho[5] and rho[3] < 4 < rho[4]
    np.testing.assert_allclose(
        cv.run_ours(opt.radam(0.01), GRADS), cv.torch_radam(GRADS, 0.01), atol=1e-4
    )
    tiny = cv.example_gradients(10, scale=1e-7)
    assert np.abs(cv.run_ours(opt.radam(0.01), tiny) - cv.torch_radam(tiny, 0.01)).max() > 1e-4


def test_adadelta_without_learning_rate_ascends_in_optax():
    optax_run = cv.quadratic_losses(optax.adadelta(), [1.0, 10.0], [1.0, 1.0], 50)
    ours = cv.quadratic_losses(opt.adadelta(), [1.0, 10.0], [1.0, 1.0], 50)
    assert optax_run.start == ours.start == pytest.approx(0.5 * (1.0 + 10.0))
    assert optax_run.end > optax_run.start > ours.end
