"""trajectory(): one compilation per program shape, divergence reported, not raised."""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import optimizers as opt
from lab.trajectory import compilation_count, trajectory


def quadratic_loss(theta, Q):
    return 0.5 * theta @ Q @ theta


def bowl(theta):
    return 0.5 * jnp.sum(jnp.array([1.0, 10.0]) * theta**2)


Q = jnp.diag(jnp.array([1.0, 10.0]))
X0 = jnp.array([1.0, 1.0])


def test_history_starts_at_x0_and_follows_the_update_rule():
    run = trajectory(opt.sgd, bowl, X0, 5, learning_rate=0.05)
    assert run.params.shape == (6, 2) and run.losses.shape == (6,)
    np.testing.assert_allclose(run.params[0], X0)
    expected = np.array([1.0, 1.0])
    for t in range(1, 6):
        expected = expected - 0.05 * np.array([1.0, 10.0]) * expected
        np.testing.assert_allclose(run.params[t], expected, rtol=1e-6)
    np.testing.assert_allclose(run.losses, [bowl(p) for p in run.params], rtol=1e-6)
    assert run.diverged_at is None


def test_new_hyperparameter_values_do_not_recompile():
    trajectory(opt.sgd, quadratic_loss, X0, 50, loss_args=(Q,), learning_rate=0.1, momentum=0.5)
    before = compilation_count()
    for lr, beta in [(0.01, 0.9), (0.15, 0.0), (1, 0.5), (np.float32(0.2), jnp.float32(0.3))]:
        trajectory(opt.sgd, quadratic_loss, X0, 50, loss_args=(Q,), learning_rate=lr, momentum=beta)
    # a new Q (same shape) and a new start do not recompile either
    trajectory(
        opt.sgd, quadratic_loss, -X0, 50, loss_args=(2 * Q,), learning_rate=0.1, momentum=0.5
    )
    assert compilation_count() == before


def test_a_new_program_does_compile():
    """The counter is not stuck: changing the step count or a static option compiles."""
    trajectory(opt.sgd, bowl, X0, 7, learning_rate=0.1, momentum=0.5)
    before = compilation_count()
    trajectory(opt.sgd, bowl, X0, 8, learning_rate=0.1, momentum=0.5)
    trajectory(opt.sgd, bowl, X0, 8, learning_rate=0.1, momentum=0.5, nesterov=True)
    assert compilation_count() == before + 2


def test_divergence_is_reported_and_history_is_clean():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run = trajectory(opt.sgd, bowl, X0, 200, learning_rate=0.25)  # 2/λ_max = 0.2
    assert run.diverged_at is not None and 1 <= run.diverged_at <= 200
    t = run.diverged_at
    assert np.all(np.isfinite(run.losses[:t])) and np.all(np.isnan(run.losses[t:]))
    assert np.all(np.isnan(run.params[t:]))
    assert np.isfinite(run.final_loss) and run.final_loss == float(run.losses[t - 1])


def test_divergence_to_infinity_is_caught_at_the_first_bad_step():
    run = trajectory(opt.sgd, bowl, X0, 100, learning_rate=1e30)
    assert run.diverged_at == 1


def test_converging_run_does_not_report_divergence():
    run = trajectory(opt.adam, bowl, X0, 300, learning_rate=0.05)
    assert run.diverged_at is None and run.final_loss < 1e-3


def test_pytree_start():
    def loss(params):
        return jnp.sum(params["a"] ** 2) + params["b"] ** 2

    run = trajectory(opt.adam, loss, {"a": jnp.ones(3), "b": jnp.array(2.0)}, 10, learning_rate=0.1)
    assert run.params["a"].shape == (11, 3) and run.params["b"].shape == (11,)


def test_stochastic_loss_uses_a_new_key_each_step_and_records_the_full_loss():
    targets = jax.random.normal(jax.random.PRNGKey(1), (64, 2))

    def loss(theta, targets, key=None):
        if key is None:
            return 0.5 * jnp.mean(jnp.sum((theta - targets) ** 2, axis=1))
        batch = jax.random.choice(key, targets, (8,))
        return 0.5 * jnp.mean(jnp.sum((theta - batch) ** 2, axis=1))

    run = trajectory(
        opt.sgd,
        loss,
        jnp.zeros(2),
        50,
        loss_args=(targets,),
        key=jax.random.PRNGKey(0),
        learning_rate=0.1,
    )
    np.testing.assert_allclose(run.losses[10], loss(run.params[10], targets), rtol=1e-6)
    steps = np.diff(np.asarray(run.params), axis=0)
    assert len({tuple(np.round(s, 6)) for s in steps[-10:]}) == 10  # noisy, not deterministic
    again = trajectory(
        opt.sgd,
        loss,
        jnp.zeros(2),
        50,
        loss_args=(targets,),
        key=jax.random.PRNGKey(0),
        learning_rate=0.1,
    )
    np.testing.assert_array_equal(run.params, again.params)  # but reproducible


@pytest.mark.parametrize("steps", [0, -1, 2.5, True])
def test_bad_steps(steps):
    with pytest.raises(ValueError, match="steps"):
        trajectory(opt.sgd, bowl, X0, steps, learning_rate=0.1)


def test_bad_hyperparameter_type():
    with pytest.raises(TypeError, match="learning_rate"):
        trajectory(opt.sgd, bowl, X0, 5, learning_rate=[0.1, 0.2])


def test_bad_hyperparameter_value_is_caught_before_tracing():
    """A negative learning rate is a Python number here, so the optimizer can check it."""
    with pytest.raises(ValueError, match="learning_rate"):
        opt.sgd(-0.1)
