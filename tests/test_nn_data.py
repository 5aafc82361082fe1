"""The digits data set and the MLP: shapes, standardisation, gradients, training."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lab import data, nn
from optimizers import adam, lamb, sgd


@pytest.fixture(scope="module")
def digits():
    return data.digits()


@pytest.fixture(scope="module")
def params():
    return nn.init_mlp(jax.random.PRNGKey(0), [64, 32, 10])


def test_the_bundled_digits_are_scikit_learns():
    from sklearn.datasets import load_digits

    features, labels = load_digits(return_X_y=True)
    ours = data._bundled_digits()
    np.testing.assert_array_equal(ours[0], features)
    np.testing.assert_array_equal(ours[1], labels)


def test_digits_shapes_and_types(digits):
    assert digits.x_train.shape == (1438, 64) and digits.x_val.shape == (359, 64)
    assert digits.y_train.shape == (1438,) and digits.y_val.shape == (359,)
    assert digits.x_train.dtype == jnp.float32 and digits.x_val.dtype == jnp.float32
    assert jnp.issubdtype(digits.y_train.dtype, jnp.integer)
    assert set(np.unique(digits.y_train)) == set(range(10))


def test_digits_are_standardised_with_training_statistics(digits):
    x = np.asarray(digits.x_train, np.float64)
    np.testing.assert_allclose(x.mean(axis=0), 0.0, atol=1e-5)
    std = x.std(axis=0)
    varying = std > 0
    np.testing.assert_allclose(std[varying], 1.0, rtol=1e-4)
    assert varying.sum() >= 60  # only a few corner pixels are always blank
    # the validation set is transformed with the training statistics, so it is only roughly so
    assert np.abs(np.asarray(digits.x_val).mean()) < 0.1


def test_digits_split_is_deterministic_and_cached(digits):
    assert data.digits() is digits
    other = data.digits(seed=1)
    assert not np.array_equal(other.y_val, digits.y_val)
    assert data.digits(validation_fraction=0.5).x_val.shape[0] == 898  # round(0.5 · 1797)


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [({"validation_fraction": 1.0}, "validation_fraction"), ({"seed": -2}, "seed")],
)
def test_digits_bad_input_names_the_argument(kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        data.digits(**kwargs)


def test_init_mlp_has_one_leaf_per_layer_weight(params):
    assert [layer["w"].shape for layer in params] == [(64, 32), (32, 10)]
    assert [layer["b"].shape for layer in params] == [(32,), (10,)]
    assert len(jax.tree_util.tree_leaves(params)) == 4
    assert float(jnp.std(params[0]["w"])) == pytest.approx(1 / 8, rel=0.1)  # N(0, 1/fan_in)
    with pytest.raises(ValueError, match="sizes"):
        nn.init_mlp(jax.random.PRNGKey(0), [64])


def test_mlp_apply_gives_logits(params, digits):
    logits = nn.mlp_apply(params, digits.x_val)
    assert logits.shape == (359, 10)
    relu_logits = nn.mlp_apply(params, digits.x_val, activation="relu")
    assert not np.allclose(logits, relu_logits)
    with pytest.raises(ValueError, match="activation"):
        nn.mlp_apply(params, digits.x_val, activation="sigmoid")


def test_cross_entropy_of_an_untrained_network_is_near_log_10(params, digits):
    loss = float(nn.cross_entropy_loss(params, digits.x_val, digits.y_val))
    assert loss == pytest.approx(np.log(10), rel=0.3)
    assert 0.0 <= nn.accuracy(params, digits.x_val, digits.y_val) <= 0.3


def test_mlp_gradient_matches_finite_differences(params, digits):
    x, y = digits.x_train[:50], digits.y_train[:50]
    leaves, tree = jax.tree_util.tree_flatten(params)
    grads = jax.tree_util.tree_leaves(jax.grad(nn.cross_entropy_loss)(params, x, y))
    rng = np.random.default_rng(7)
    h = 5e-3
    loss = jax.jit(nn.cross_entropy_loss)
    for _ in range(3):  # directional derivatives along random unit directions
        direction = [rng.normal(size=leaf.shape).astype(np.float32) for leaf in leaves]
        norm = np.sqrt(sum(np.sum(d**2) for d in direction))
        direction = [d / norm for d in direction]

        def loss_at(step, direction=direction):
            moved = [p + step * d for p, d in zip(leaves, direction, strict=True)]
            return float(loss(tree.unflatten(moved), x, y))

        numeric = (loss_at(h) - loss_at(-h)) / (2 * h)
        analytic = sum(float(jnp.vdot(g, d)) for g, d in zip(grads, direction, strict=True))
        assert numeric == pytest.approx(analytic, rel=2e-2, abs=2e-4)


def test_sgd_training_decreases_the_loss_and_learns(params, digits):
    result = nn.train(sgd, params, digits, steps=300, batch_size=64,
                      key=jax.random.PRNGKey(1), learning_rate=0.1)  # fmt: skip
    assert result.losses.shape == (300,)
    assert result.losses[-20:].mean() < 0.5 * result.losses[:20].mean()
    assert result.val_accuracy > 0.85
    assert result.diverged_at is None
    assert result.val_loss == pytest.approx(
        float(nn.cross_entropy_loss(result.params, digits.x_val, digits.y_val)), rel=1e-4
    )


def test_new_learning_rates_do_not_recompile(params, digits):
    key = jax.random.PRNGKey(2)
    nn.train(adam, params, digits, 300, 64, key, learning_rate=1e-3)
    compiled = nn.compilation_count()
    results = [nn.train(adam, params, digits, 300, 64, key, learning_rate=lr)
               for lr in (3e-3, 1e-2, 3e-2)]  # fmt: skip
    assert nn.compilation_count() == compiled
    assert len({float(r.losses[-1]) for r in results}) == 3


def test_layerwise_optimizer_trains_the_mlp(params, digits):
    result = nn.train(lamb, params, digits, 200, 64, jax.random.PRNGKey(3), learning_rate=0.01)
    assert result.val_accuracy > 0.85


def test_divergence_is_reported(params, digits):
    result = nn.train(sgd, params, digits, 300, 64, jax.random.PRNGKey(4), learning_rate=1e6)
    assert result.diverged_at is not None
    assert result.losses[result.diverged_at] > 100 * (1 + result.losses[0])


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [({"steps": 0}, "steps"), ({"batch_size": 5000}, "batch_size"), ({"batch_size": 8.0}, "batch_size")],
)  # fmt: skip
def test_train_bad_input_names_the_argument(params, digits, kwargs, argument):
    arguments = {"steps": 10, "batch_size": 8, **kwargs}
    with pytest.raises(ValueError, match=argument):
        nn.train(sgd, params, digits, key=jax.random.PRNGKey(0), learning_rate=0.1, **arguments)
