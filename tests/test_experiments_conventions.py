"""The re-implemented torch.optim conventions of the conventions appendix."""

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


def test_nesterov_forms_differ_by_the_lookahead_shift():
    thetas, lookaheads = cv.lookahead_nesterov([1.0, 10.0], [1.0, 1.0], 0.05, 0.9, 10)
    sutskever = cv.sutskever_nesterov([1.0, 10.0], [1.0, 1.0], 0.05, 0.9, 10)
    np.testing.assert_allclose(sutskever, lookaheads, atol=1e-6)
    assert np.abs(sutskever - thetas).max() > 0.1


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
    start, optax_end = cv.quadratic_losses(optax.adadelta(), [1.0, 10.0], [1.0, 1.0], 50)
    _, ours_end = cv.quadratic_losses(opt.adadelta(), [1.0, 10.0], [1.0, 1.0], 50)
    assert optax_end > start > ours_end


@pytest.mark.parametrize(
    "call",
    [
        lambda: cv.torch_rmsprop(np.ones(3), 0.1),
        lambda: cv.torch_adagrad(np.ones((2, 2)), 0.1, eps=0.0),
        lambda: cv.example_gradients(0),
        lambda: cv.lookahead_nesterov([1.0], [1.0, 2.0], 0.1, 0.5, 3),
        lambda: cv.lookahead_nesterov([1.0], [1.0], 0.1, 1.0, 3),
        lambda: cv.torch_nadam(np.array([[np.nan]]), 0.1),
        lambda: cv.radam_rho(0),
    ],
)
def test_bad_input_raises(call):
    with pytest.raises(ValueError):
        call()
