"""Closed-form quadratic theory against direct computation and measured rates."""

import math

import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import optimizers as opt
from lab import analysis
from lab.trajectory import trajectory


def random_quadratic(seed, d=6, kappa=50.0):
    rng = np.random.default_rng(seed)
    V, _ = np.linalg.qr(rng.normal(size=(d, d)))
    lam = np.geomspace(1.0, kappa, d) * rng.uniform(0.5, 2.0)
    return V @ np.diag(lam) @ V.T, np.sort(lam)


def measured_rate(Q, make_optimizer, predicted, **hyperparameters):
    """Geometric-mean contraction of ‖θ_t‖ over the last half of a run of ½θᵀQθ.

    The run is long enough for ‖θ_t‖ to fall by ~1e-15 (if the prediction is
    right), and short enough not to underflow float32.
    """
    steps = int(np.clip(35 / -np.log(predicted), 40, 4000))
    run = trajectory(
        make_optimizer,
        lambda theta, Q: 0.5 * theta @ Q @ theta,
        np.ones(Q.shape[0]),
        steps,
        loss_args=(Q,),
        divergence_threshold=1e30,
        **hyperparameters,
    )
    norms = np.linalg.norm(np.asarray(run.params, dtype=np.float64), axis=1)
    half = steps // 2
    return (norms[steps] / norms[half]) ** (1.0 / (steps - half))


def test_eigendecomposition_reconstructs_q():
    Q, lam = random_quadratic(0)
    values, vectors = analysis.eigendecomposition(Q)
    np.testing.assert_allclose(values, lam, rtol=1e-10)
    np.testing.assert_allclose(vectors @ np.diag(values) @ vectors.T, Q, atol=1e-10)
    np.testing.assert_allclose(vectors.T @ vectors, np.eye(6), atol=1e-12)
    assert analysis.condition_number(Q) == pytest.approx(lam[-1] / lam[0])


def test_learning_rate_formulas_against_numpy():
    Q, lam = random_quadratic(1)
    assert analysis.max_stable_learning_rate(Q) == pytest.approx(2 / lam[-1])
    assert analysis.optimal_learning_rate(Q) == pytest.approx(2 / (lam[0] + lam[-1]))
    alpha = 0.7 / lam[-1]
    np.testing.assert_allclose(analysis.gd_contraction_factors(Q, alpha), 1 - alpha * lam)
    # the GD iteration matrix I − αQ has spectral radius max |1 − αλ|
    spectral_radius = np.max(np.abs(np.linalg.eigvals(np.eye(6) - alpha * Q)))
    assert analysis.gd_rate(Q, alpha) == pytest.approx(spectral_radius)


def test_optimal_rate_is_kappa_formula_and_is_the_minimum():
    Q, _ = random_quadratic(2)
    kappa = analysis.condition_number(Q)
    best = analysis.optimal_learning_rate(Q)
    assert analysis.gd_rate(Q, best) == pytest.approx((kappa - 1) / (kappa + 1))
    grid = np.linspace(0.01, 1.99, 500) * analysis.max_stable_learning_rate(Q)
    assert min(analysis.gd_rate(Q, a) for a in grid) >= analysis.gd_rate(Q, best) - 1e-12


def test_optimal_momentum_formulas_and_rate():
    Q, lam = random_quadratic(3)
    alpha, beta = analysis.optimal_momentum(Q)
    kappa = lam[-1] / lam[0]
    assert alpha == pytest.approx((2 / (math.sqrt(lam[0]) + math.sqrt(lam[-1]))) ** 2)
    assert beta == pytest.approx(((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)) ** 2)
    expected = (math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)
    assert analysis.momentum_rate(Q, alpha, beta) == pytest.approx(expected, rel=1e-4)
    assert expected < analysis.gd_rate(Q, analysis.optimal_learning_rate(Q))


def test_momentum_iteration_matrix_reproduces_the_heavy_ball():
    lam, alpha, beta = 3.0, 0.2, 0.6
    T = analysis.momentum_iteration_matrix(lam, alpha, beta)
    x_prev, x = 1.0, 0.8
    for _ in range(5):
        x_next = x - alpha * lam * x + beta * (x - x_prev)
        np.testing.assert_allclose(T @ [x, x_prev], [x_next, x])
        x_prev, x = x, x_next


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_predicted_gd_rate_matches_measured(seed):
    Q, _ = random_quadratic(seed, kappa=20.0)
    for fraction in (0.3, 1.0):
        alpha = fraction * analysis.optimal_learning_rate(Q)
        predicted = analysis.gd_rate(Q, alpha)
        measured = measured_rate(Q, opt.sgd, predicted, learning_rate=alpha)
        assert measured == pytest.approx(predicted, abs=2e-3)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_predicted_heavy_ball_rate_matches_measured(seed):
    """sgd(α, β) is the heavy ball θ_t = θ_{t−1} − αQθ_{t−1} + β(θ_{t−1} − θ_{t−2})."""
    Q, _ = random_quadratic(seed, kappa=20.0)
    alpha, beta = analysis.optimal_momentum(Q)
    for a, b in [(alpha, beta), (0.5 * alpha, 0.5)]:
        predicted = analysis.momentum_rate(Q, a, b)
        measured = measured_rate(Q, opt.sgd, predicted, learning_rate=a, momentum=b)
        # at the optimum T has a double eigenvalue (a Jordan block), so ‖θ_t‖ ~ t ρ^t:
        # the measured rate approaches ρ only slowly from above
        assert predicted - 2e-3 <= measured <= predicted + 2e-2


def test_divergence_beyond_two_over_lambda_max():
    Q, lam = random_quadratic(4, kappa=10.0)
    stable = trajectory(
        opt.sgd,
        lambda t, Q: 0.5 * t @ Q @ t,
        jnp.ones(6),
        200,
        loss_args=(Q,),
        learning_rate=0.99 * 2 / lam[-1],
    )
    unstable = trajectory(
        opt.sgd,
        lambda t, Q: 0.5 * t @ Q @ t,
        jnp.ones(6),
        200,
        loss_args=(Q,),
        learning_rate=1.05 * 2 / lam[-1],
    )
    assert stable.diverged_at is None and unstable.diverged_at is not None


def test_iterations_to_tolerance():
    assert analysis.iterations_to_tolerance(0.5, 1e-3) == 10
    assert analysis.iterations_to_tolerance(1.0, 1e-3) == math.inf
    with pytest.raises(ValueError, match="tolerance"):
        analysis.iterations_to_tolerance(0.5, 2.0)


def test_bad_matrices_are_rejected():
    with pytest.raises(ValueError, match="square"):
        analysis.eigenvalues(np.ones((2, 3)))
    with pytest.raises(ValueError, match="symmetric"):
        analysis.eigenvalues(np.array([[1.0, 2.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="positive definite"):
        analysis.optimal_learning_rate(np.diag([1.0, -1.0]))


@settings(max_examples=60, deadline=None)
@given(
    st.floats(0.01, 100.0),
    st.floats(0.01, 100.0),
    st.floats(0.0, 0.999),
)
def test_heavy_ball_convergence_region(lam_a, lam_b, beta):
    """Property: the heavy ball converges iff 0 < αλ < 2 + 2β for every eigenvalue."""
    Q = np.diag([lam_a, lam_b])
    lam_max = max(lam_a, lam_b)
    for margin in (0.98, 1.02):
        alpha = margin * (2 + 2 * beta) / lam_max
        rate = analysis.momentum_rate(Q, alpha, beta)
        assert (rate < 1) == (margin < 1) or abs(rate - 1) < 1e-2


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.01, 100.0), min_size=2, max_size=5), st.floats(0.01, 0.99))
def test_gd_rate_below_one_iff_alpha_below_two_over_lambda_max(lams, fraction):
    """Property: stability is exactly α < 2/λ_max."""
    Q = np.diag(lams)
    alpha = fraction * analysis.max_stable_learning_rate(Q)
    assert analysis.gd_rate(Q, alpha) < 1
    assert analysis.gd_rate(Q, 2.05 * analysis.max_stable_learning_rate(Q) / 2) > 1


def test_optimal_nesterov_formulas_and_rate():
    from lab import ch4_momentum as mom

    Q, lam = random_quadratic(3)
    alpha, beta = analysis.optimal_nesterov(Q)
    kappa = lam[-1] / lam[0]
    root = math.sqrt(3 * kappa + 1)
    assert alpha == pytest.approx(4 / (3 * lam[-1] + lam[0]))
    assert beta == pytest.approx((root - 2) / (root + 2))
    rate = mom.nesterov_rate(Q, alpha, beta)
    assert rate == pytest.approx(1 - 2 / root, rel=1e-6)
    assert analysis.momentum_rate(Q, *analysis.optimal_momentum(Q)) < rate
