"""Bad input raises a clear error that names the argument; nothing fails silently."""

import math

import jax
import jax.numpy as jnp
import pytest

import optimizers as opt

BAD_HYPERPARAMETERS = [
    # (constructor, kwargs, exception, text the message must contain)
    (opt.sgd, {"learning_rate": -0.1}, ValueError, "learning_rate"),
    (opt.sgd, {"learning_rate": math.nan}, ValueError, "learning_rate"),
    (opt.sgd, {"learning_rate": math.inf}, ValueError, "learning_rate"),
    (opt.sgd, {"learning_rate": "fast"}, TypeError, "learning_rate"),
    (opt.sgd, {"learning_rate": 0.1, "momentum": 1.0}, ValueError, "momentum"),
    (opt.sgd, {"learning_rate": 0.1, "momentum": -0.5}, ValueError, "momentum"),
    (opt.sgd, {"learning_rate": 0.1, "nesterov": True}, ValueError, "nesterov"),
    (opt.adam, {"learning_rate": -1e-3}, ValueError, "learning_rate"),
    (opt.adam, {"learning_rate": 1e-3, "b1": 1.0}, ValueError, "b1"),
    (opt.adam, {"learning_rate": 1e-3, "b2": 1.5}, ValueError, "b2"),
    (opt.adam, {"learning_rate": 1e-3, "b1": -0.1}, ValueError, "b1"),
    (opt.adam, {"learning_rate": 1e-3, "eps": 0.0}, ValueError, "eps"),
    (opt.adam, {"learning_rate": 1e-3, "eps": -1e-8}, ValueError, "eps"),
    (opt.adamw, {"learning_rate": 1e-3, "weight_decay": -0.1}, ValueError, "weight_decay"),
    (opt.adamax, {"learning_rate": 1e-3, "b2": 1.0}, ValueError, "b2"),
    (opt.nadam, {"learning_rate": 1e-3, "b1": 2.0}, ValueError, "b1"),
    (opt.amsgrad, {"learning_rate": 1e-3, "eps": 0}, ValueError, "eps"),
    (opt.radam, {"learning_rate": 1e-3, "b2": 1.0}, ValueError, "b2"),
    (opt.adagrad, {"learning_rate": 0.1, "eps": 0.0}, ValueError, "eps"),
    (
        opt.adagrad,
        {"learning_rate": 0.1, "initial_accumulator_value": -1.0},
        ValueError,
        "initial_accumulator_value",
    ),
    (opt.rmsprop, {"learning_rate": 0.1, "decay": 1.0}, ValueError, "decay"),
    (opt.rmsprop, {"learning_rate": 0.1, "momentum": 1.2}, ValueError, "momentum"),
    (opt.adadelta, {"rho": 1.0}, ValueError, "rho"),
    (opt.adadelta, {"learning_rate": -1.0}, ValueError, "learning_rate"),
    (opt.adabound, {"final_lr": 0.0}, ValueError, "final_lr"),
    (opt.adabound, {"gamma": -1.0}, ValueError, "gamma"),
    (opt.amsbound, {"learning_rate": -1.0}, ValueError, "learning_rate"),
    (opt.lars, {"learning_rate": 0.1, "momentum": 1.0}, ValueError, "momentum"),
    (opt.lars, {"learning_rate": 0.1, "trust_coefficient": -1.0}, ValueError, "trust_coefficient"),
    (opt.lamb, {"learning_rate": 0.1, "b1": 1.0}, ValueError, "b1"),
    (opt.ranger, {"sync_period": 0}, ValueError, "sync_period"),
    (opt.ranger, {"slow_step_size": 0.0}, ValueError, "slow_step_size"),
    (opt.ranger_lars, {"slow_step_size": 1.5}, ValueError, "slow_step_size"),
]


@pytest.mark.parametrize(
    ("make", "kwargs", "error", "name"),
    BAD_HYPERPARAMETERS,
    ids=[f"{m.__name__}-{'-'.join(map(str, k.items()))}" for m, k, _, _ in BAD_HYPERPARAMETERS],
)
def test_bad_hyperparameter_names_the_argument(make, kwargs, error, name):
    with pytest.raises(error, match=name):
        make(**kwargs)


@pytest.mark.parametrize("period", [0, -3, 2.5])
def test_lookahead_sync_period_must_be_a_whole_number(period):
    with pytest.raises(ValueError, match="sync_period"):
        opt.lookahead(opt.sgd(0.1), sync_period=period)


def test_lookahead_inner_must_be_a_transformation():
    with pytest.raises(TypeError, match="inner"):
        opt.lookahead(opt.sgd, sync_period=5)


def test_chain_rejects_non_transformations():
    with pytest.raises(TypeError, match="argument 1"):
        opt.chain(opt.scale(1.0), lambda g: g)


STATEFUL = {
    "sgd-momentum": lambda: opt.sgd(0.1, momentum=0.9),
    "adam": lambda: opt.adam(0.1),
    "adagrad": lambda: opt.adagrad(0.1),
    "rmsprop": lambda: opt.rmsprop(0.1),
    "adadelta": lambda: opt.adadelta(),
    "adamax": lambda: opt.adamax(0.1),
    "amsgrad": lambda: opt.amsgrad(0.1),
    "adabound": lambda: opt.adabound(),
    "lamb": lambda: opt.lamb(0.1),
    "lookahead": lambda: opt.lookahead(opt.sgd(0.1)),
    "sgd": lambda: opt.sgd(0.1),
}


@pytest.mark.parametrize("name", sorted(STATEFUL))
def test_grads_with_another_structure_are_rejected(name):
    tx = STATEFUL[name]()
    params = {"w": jnp.ones((2, 2)), "b": jnp.zeros(2)}
    state = tx.init(params)
    with pytest.raises(TypeError, match="grads"):
        tx.update({"w": jnp.ones((2, 2))}, state, params)


@pytest.mark.parametrize("name", sorted(STATEFUL))
def test_grads_with_another_shape_are_rejected(name):
    """Without the check, a (1,)-shaped gradient would broadcast silently against the state."""
    tx = STATEFUL[name]()
    params = {"w": jnp.ones((2, 2)), "b": jnp.zeros(2)}
    state = tx.init(params)
    with pytest.raises(ValueError, match=r"grads\['b'\]"):
        tx.update({"w": jnp.ones((2, 2)), "b": jnp.zeros(1)}, state, params)


def test_structure_check_also_works_under_jit():
    tx = opt.adam(0.1)
    params = {"w": jnp.ones(3)}
    with pytest.raises(TypeError, match="grads"):
        jax.jit(tx.update)([jnp.ones(3)], tx.init(params), params)


@pytest.mark.parametrize("make", [opt.lamb, opt.lars, opt.adamw])
def test_transformations_that_need_params_say_so(make):
    tx = make(0.1)
    params = {"w": jnp.ones(3)}
    with pytest.raises(ValueError, match="params"):
        tx.update({"w": jnp.ones(3)}, tx.init(params))


def test_apply_updates_rejects_mismatched_updates():
    with pytest.raises(TypeError, match="updates"):
        opt.apply_updates({"w": jnp.ones(2)}, {"v": jnp.ones(2)})


def test_precondition_size_must_match_params():
    with pytest.raises(ValueError, match="matrix"):
        opt.precondition(jnp.ones((2, 3)))
    with pytest.raises(ValueError, match="matrix"):
        opt.precondition(jnp.eye(3)).init(jnp.ones(2))


def test_mask_with_wrong_structure_is_rejected():
    tx = opt.adamw(0.1, mask={"a": True})
    params = {"w": jnp.ones(2), "b": jnp.ones(2)}
    with pytest.raises(TypeError, match="mask"):
        tx.update(params, tx.init(params), params)


@pytest.mark.parametrize(
    ("make", "kwargs", "name"),
    [
        (
            opt.schedules.exponential_decay,
            {"init_value": 0.1, "transition_steps": 0, "decay_rate": 0.5},
            "transition_steps",
        ),
        (
            opt.schedules.cosine_decay_schedule,
            {"init_value": -0.1, "decay_steps": 10},
            "init_value",
        ),
        (
            opt.schedules.linear_schedule,
            {"init_value": 0.0, "end_value": 0.1, "transition_steps": -1},
            "transition_steps",
        ),
        (
            opt.schedules.warmup_cosine_decay_schedule,
            {"init_value": 0.0, "peak_value": 0.1, "warmup_steps": 10, "decay_steps": 5},
            "decay_steps",
        ),
        (opt.schedules.step_decay, {"init_value": 0.1, "step_size": 0}, "step_size"),
    ],
)
def test_bad_schedule_arguments(make, kwargs, name):
    with pytest.raises(ValueError, match=name):
        make(**kwargs)


def test_traced_hyperparameters_are_not_checked_but_still_work():
    """Inside jit a learning rate cannot be inspected; construction must not fail."""
    out = jax.jit(lambda lr: opt.sgd(lr).update(jnp.ones(2), opt.sgd(lr).init(jnp.ones(2)))[0])(
        jnp.float32(0.5)
    )
    assert out.tolist() == [-0.5, -0.5]
