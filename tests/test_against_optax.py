"""Every optimizer against optax's, step for step, on a nested pytree.

optax's optimizer descends a smooth loss for 150 steps; ours replays the same
gradients from the same start (see ``conftest.replay``).  The parameters must
agree to float32 precision at every step.
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import optimizers as opt
from conftest import descend, make_params, replay, smooth_loss

STEPS = 150

CASES = {
    "sgd": (opt.sgd(0.01), optax.sgd(0.01)),
    "sgd-momentum": (opt.sgd(0.01, momentum=0.9), optax.sgd(0.01, momentum=0.9)),
    "sgd-nesterov": (
        opt.sgd(0.01, momentum=0.8, nesterov=True),
        optax.sgd(0.01, momentum=0.8, nesterov=True),
    ),
    "adagrad": (opt.adagrad(0.1), optax.adagrad(0.1)),
    "adagrad-init": (
        opt.adagrad(0.3, initial_accumulator_value=0.0, eps=1e-5),
        optax.adagrad(0.3, initial_accumulator_value=0.0, eps=1e-5),
    ),
    "rmsprop": (opt.rmsprop(0.01), optax.rmsprop(0.01)),
    "rmsprop-eps-outside": (
        opt.rmsprop(0.01, decay=0.99, eps_in_sqrt=False),
        optax.rmsprop(0.01, decay=0.99, eps_in_sqrt=False),
    ),
    "rmsprop-centered-momentum": (
        opt.rmsprop(0.005, centered=True, momentum=0.9),
        optax.rmsprop(0.005, centered=True, momentum=0.9),
    ),
    "rmsprop-nesterov-bias": (
        opt.rmsprop(0.005, momentum=0.5, nesterov=True, bias_correction=True),
        optax.rmsprop(0.005, momentum=0.5, nesterov=True, bias_correction=True),
    ),
    "adadelta": (opt.adadelta(), optax.adadelta(learning_rate=1.0)),
    "adadelta-decay": (
        opt.adadelta(0.5, rho=0.95, weight_decay=0.1),
        optax.adadelta(0.5, rho=0.95, weight_decay=0.1),
    ),
    "adam": (opt.adam(0.01), optax.adam(0.01)),
    "adam-betas": (
        opt.adam(0.02, b1=0.5, b2=0.9, eps=1e-6, eps_root=1e-8),
        optax.adam(0.02, b1=0.5, b2=0.9, eps=1e-6, eps_root=1e-8),
    ),
    "adamax": (opt.adamax(0.01), optax.adamax(0.01)),
    "adamax-betas": (opt.adamax(0.02, b1=0.8, b2=0.99), optax.adamax(0.02, b1=0.8, b2=0.99)),
    "nadam": (opt.nadam(0.01), optax.nadam(0.01)),
    "nadam-betas": (opt.nadam(0.01, b1=0.7, b2=0.95), optax.nadam(0.01, b1=0.7, b2=0.95)),
    "amsgrad": (opt.amsgrad(0.01), optax.amsgrad(0.01)),
    "amsgrad-betas": (opt.amsgrad(0.02, b1=0.5, b2=0.9), optax.amsgrad(0.02, b1=0.5, b2=0.9)),
    "adamw": (opt.adamw(0.01), optax.adamw(0.01)),
    "adamw-decay": (
        opt.adamw(0.01, weight_decay=0.1, b1=0.8),
        optax.adamw(0.01, weight_decay=0.1, b1=0.8),
    ),
    "adamw-mask": (
        opt.adamw(0.01, weight_decay=0.5, mask={"layer": {"w": True, "b": False}, "scale": True}),
        optax.adamw(0.01, weight_decay=0.5, mask={"layer": {"w": True, "b": False}, "scale": True}),
    ),
    "radam": (opt.radam(0.01), optax.radam(0.01)),
    "radam-threshold": (
        opt.radam(0.01, b2=0.99, threshold=4.0),
        optax.radam(0.01, b2=0.99, threshold=4.0),
    ),
    "lars": (opt.lars(0.5), optax.lars(0.5)),
    "lars-decay-nesterov": (
        opt.lars(0.5, weight_decay=0.01, momentum=0.8, nesterov=True, trust_coefficient=0.01),
        optax.lars(0.5, weight_decay=0.01, momentum=0.8, nesterov=True, trust_coefficient=0.01),
    ),
    "lamb": (opt.lamb(0.01), optax.lamb(0.01)),
    "lamb-decay": (opt.lamb(0.01, weight_decay=0.1), optax.lamb(0.01, weight_decay=0.1)),
    "schedule": (
        opt.adam(opt.schedules.cosine_decay_schedule(0.05, 100)),
        optax.adam(optax.cosine_decay_schedule(0.05, 100)),
    ),
    "weight-decay-schedule": (
        opt.chain(
            opt.add_decayed_weights(opt.schedules.linear_schedule(0.0, 0.1, 50)),
            opt.sgd(0.01),
        ),
        optax.chain(
            optax.add_decayed_weights(optax.linear_schedule(0.0, 0.1, 50)),
            optax.sgd(0.01),
        ),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_optax(name):
    ours, theirs = CASES[name]
    reference, grads = descend(theirs, optax.apply_updates, STEPS)
    history = replay(ours, grads, opt.apply_updates)
    for leaf, ref in zip(
        jax.tree_util.tree_leaves(history), jax.tree_util.tree_leaves(reference), strict=True
    ):
        assert np.all(np.isfinite(leaf))
        np.testing.assert_allclose(leaf, ref, rtol=2e-5, atol=2e-6)
    # the run must actually move: a frozen optimizer would "match" a frozen reference
    start = jax.tree_util.tree_leaves(make_params())
    final = jax.tree_util.tree_leaves(history)
    assert sum(float(jnp.max(jnp.abs(h[-1] - s))) for h, s in zip(final, start, strict=True)) > 1e-3


def test_optax_adadelta_without_learning_rate_ascends():
    """The trap the package avoids: optax.adadelta() climbs, ours descends."""
    ours, _ = descend(opt.adadelta(), opt.apply_updates, 20)
    theirs, _ = descend(optax.adadelta(), optax.apply_updates, 20)
    assert smooth_loss(jax.tree_util.tree_map(lambda h: h[-1], ours)) < smooth_loss(make_params())
    assert smooth_loss(jax.tree_util.tree_map(lambda h: h[-1], theirs)) > smooth_loss(make_params())
