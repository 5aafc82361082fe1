"""Optimizers against independent references other than optax.

* torch.optim, where its conventions coincide with ours (the others are
  documented in the docstrings and the conventions appendix);
* small NumPy references written from the papers for the methods optax does
  not have (AdaBound, AMSBound) or shapes differently (Lookahead).
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import torch

import optimizers as opt
from conftest import make_params, replay, smooth_loss

STEPS = 150
grad_fn = jax.jit(jax.grad(smooth_loss))


def leaves(tree):
    return [np.asarray(x, dtype=np.float32) for x in jax.tree_util.tree_leaves(tree)]


def unflatten(arrays):
    structure = jax.tree_util.tree_structure(make_params())
    return jax.tree_util.tree_unflatten(structure, [jnp.asarray(a) for a in arrays])


def replay_ours(tx, grads):
    """Our optimizer on the reference run's gradients (a list of lists of arrays)."""
    stacked = unflatten([np.stack([g[i] for g in grads]) for i in range(len(grads[0]))])
    history = leaves(replay(tx, stacked, opt.apply_updates))
    return [[leaf[step] for leaf in history] for step in range(len(grads))]


def run_torch(make_torch_optimizer, steps=STEPS):
    """A torch.optim optimizer on ``smooth_loss``: (parameter history, gradient history)."""
    tensors = [torch.tensor(a, requires_grad=True) for a in leaves(make_params())]
    optimizer = make_torch_optimizer(tensors)
    history, grads_history = [], []
    for _ in range(steps):
        grads = leaves(grad_fn(unflatten([t.detach().numpy() for t in tensors])))
        for t, g in zip(tensors, grads, strict=True):
            t.grad = torch.tensor(g)
        optimizer.step()
        history.append([t.detach().numpy().copy() for t in tensors])
        grads_history.append(grads)
    return history, grads_history


def assert_histories_close(ours, reference, rtol=1e-5, atol=1e-5):
    """Equal to float32 precision at every step.

    The absolute tolerance allows for 150 steps of size ~α = 0.01 each carrying a
    relative rounding difference of a few ulps (a torch or eager reference rounds
    differently from our fused, jitted code).
    """
    for step, (a, b) in enumerate(zip(ours, reference, strict=True), start=1):
        for x, y in zip(a, b, strict=True):
            np.testing.assert_allclose(x, y, rtol=rtol, atol=atol, err_msg=f"step {step}")


TORCH_CASES = {
    "sgd": (opt.sgd(0.01), lambda p: torch.optim.SGD(p, lr=0.01)),
    "sgd-momentum": (
        opt.sgd(0.01, momentum=0.9),
        lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9),
    ),
    "sgd-nesterov": (
        opt.sgd(0.01, momentum=0.9, nesterov=True),
        lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9, nesterov=True),
    ),
    "adam": (opt.adam(0.01), lambda p: torch.optim.Adam(p, lr=0.01)),
    "adam-betas": (
        opt.adam(0.01, b1=0.8, b2=0.95, eps=1e-6),
        lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.8, 0.95), eps=1e-6),
    ),
    "adamw": (
        opt.adamw(0.01, weight_decay=0.05),
        lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.05),
    ),
    "adamax": (opt.adamax(0.01), lambda p: torch.optim.Adamax(p, lr=0.01)),
    "adadelta": (opt.adadelta(), lambda p: torch.optim.Adadelta(p, lr=1.0)),
    "rmsprop": (
        opt.rmsprop(0.01, decay=0.99, eps_in_sqrt=False),
        lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.99),
    ),
    "rmsprop-centered-momentum": (
        opt.rmsprop(0.005, decay=0.99, eps_in_sqrt=False, centered=True, momentum=0.9),
        lambda p: torch.optim.RMSprop(p, lr=0.005, alpha=0.99, centered=True, momentum=0.9),
    ),
}


@pytest.mark.parametrize("name", sorted(TORCH_CASES))
def test_matches_torch(name):
    ours, theirs = TORCH_CASES[name]
    reference, grads = run_torch(theirs)
    assert_histories_close(replay_ours(ours, grads), reference)


def test_adagrad_matches_torch_once_conventions_align():
    """torch starts the accumulator at 0 and puts ε outside the root: with s_0 = 0 and a
    tiny ε both forms agree, which pins down everything else in the update."""
    ours = opt.adagrad(0.1, initial_accumulator_value=0.0, eps=1e-20)
    theirs = lambda p: torch.optim.Adagrad(p, lr=0.1, eps=1e-10)  # noqa: E731
    reference, grads = run_torch(theirs)
    assert_histories_close(replay_ours(ours, grads), reference, rtol=1e-4, atol=1e-5)


# --------------------------------------------------------------------------- AdaBound


def adabound_reference(params, grads_fn, steps, lr, final_lr, betas, gamma, eps, amsbound, wd):
    """Luo et al. (2019), as in the authors' released code, one array at a time in NumPy."""
    params = [np.array(p, dtype=np.float64) for p in params]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    v_max = [np.zeros_like(p) for p in params]
    b1, b2 = betas
    history, grads_history = [], []
    for t in range(1, steps + 1):
        grads = grads_fn(params)
        grads_history.append(grads)
        for i, (p, g) in enumerate(zip(params, grads, strict=True)):
            g = g + wd * p
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            if amsbound:
                v_max[i] = np.maximum(v_max[i], v[i])
            denom = np.sqrt(v_max[i] if amsbound else v[i]) + eps
            step_size = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
            lower = final_lr * (1 - 1 / (gamma * t + 1))
            upper = final_lr * (1 + 1 / (gamma * t))
            params[i] = p - np.clip(step_size / denom, lower, upper) * m[i]
        history.append([p.astype(np.float32) for p in params])
    return history, grads_history


@pytest.mark.parametrize("amsbound", [False, True])
@pytest.mark.parametrize(
    ("lr", "final_lr", "gamma", "wd"), [(1e-3, 0.1, 1e-3, 0.0), (0.05, 0.02, 0.05, 0.01)]
)
def test_adabound_matches_reference(amsbound, lr, final_lr, gamma, wd):
    make = opt.amsbound if amsbound else opt.adabound

    def grads_fn(arrays):
        return leaves(grad_fn(unflatten([a.astype(np.float32) for a in arrays])))

    reference, grads = adabound_reference(
        leaves(make_params()),
        grads_fn,
        STEPS,
        lr,
        final_lr,
        (0.9, 0.999),
        gamma,
        1e-8,
        amsbound,
        wd,
    )
    ours = replay_ours(make(lr, final_lr=final_lr, gamma=gamma, weight_decay=wd), grads)
    assert_histories_close(ours, reference, rtol=1e-4, atol=1e-5)


def test_adabound_tends_to_sgd_with_momentum():
    """Once the band has closed, AdaBound's step is final_lr · m_t: SGD-with-momentum-like."""
    tx = opt.adabound(1e-3, final_lr=0.1, gamma=1.0)
    params = {"x": jnp.ones(3)}
    state = tx.init(params)
    for _ in range(5000):
        updates, state = tx.update({"x": jnp.array([1e-3, 1.0, 1e3])}, state, params)
    mu = state[1].mu["x"]
    np.testing.assert_allclose(updates["x"], -0.1 * mu, rtol=2e-3)


# --------------------------------------------------------------------------- Lookahead


def lookahead_reference(params, inner, steps, k, alpha):
    """Zhang et al. (2019), Algorithm 1, literally: outer loop over slow weights θ,
    inner loop of k fast steps φ with optimizer A, then θ ← θ + α(φ − θ), φ ← θ."""
    slow = params
    fast = params
    state = inner.init(params)
    # jitted like ours: RAdam's ρ_t = ρ_∞ − 2tβ₂^t/(1 − β₂^t) cancels two numbers near
    # 2000, and an eager float32 evaluation rounds it ~1e-4 differently at t ≈ 5.
    update = jax.jit(inner.update)
    history, grads_history = [], []
    while len(history) < steps:
        fast = slow
        for _ in range(k):
            grads = grad_fn(fast)
            updates, state = update(grads, state, fast)
            fast = opt.apply_updates(fast, updates)
            history.append(leaves(fast))
            grads_history.append(leaves(grads))
        slow = jax.tree_util.tree_map(lambda s, f: s + alpha * (f - s), slow, fast)
        history[-1] = leaves(slow)  # after k steps the caller sees the synchronised weights
    return history[:steps], grads_history[:steps]


@pytest.mark.parametrize(("k", "alpha"), [(5, 0.5), (3, 0.8), (1, 0.3)])
@pytest.mark.parametrize("inner_name", ["sgd-momentum", "adam"])
def test_lookahead_matches_paper(k, alpha, inner_name):
    make_inner = {
        "sgd-momentum": lambda: opt.sgd(0.02, momentum=0.9),
        "adam": lambda: opt.adam(0.05),
    }[inner_name]
    reference, grads = lookahead_reference(make_params(), make_inner(), STEPS, k, alpha)
    ours = replay_ours(opt.lookahead(make_inner(), sync_period=k, slow_step_size=alpha), grads)
    assert_histories_close(ours, reference)


def test_lookahead_matches_optax_lookahead():
    """optax keeps (fast, slow) in the params; at each sync its fast weights are our params."""
    k, alpha = 4, 0.5
    tx = optax.lookahead(optax.adam(0.05), sync_period=k, slow_step_size=alpha)
    params = optax.LookaheadParams.init_synced(make_params())
    state = tx.init(params)
    reference, grads = [], []
    for _ in range(STEPS):
        grads.append(leaves(grad_fn(params.fast)))
        updates, state = tx.update(grad_fn(params.fast), state, params)
        params = optax.apply_updates(params, updates)
        reference.append(leaves(params.fast))
    ours = replay_ours(opt.lookahead(opt.adam(0.05), sync_period=k, slow_step_size=alpha), grads)
    assert_histories_close(ours, reference)


def test_ranger_is_radam_in_lookahead():
    inner = opt.radam(0.01, b1=0.95, b2=0.999, eps=1e-5)
    reference, grads = lookahead_reference(make_params(), inner, STEPS, 6, 0.5)
    assert_histories_close(replay_ours(opt.ranger(0.01), grads), reference)


def test_ranger_lars_is_ralamb_in_lookahead():
    inner = opt.ralamb(0.01, weight_decay=0.01)
    reference, grads = lookahead_reference(make_params(), inner, STEPS, 6, 0.5)
    ours = replay_ours(opt.ranger_lars(0.01, weight_decay=0.01), grads)
    assert_histories_close(ours, reference)


def test_ralamb_is_radam_direction_with_trust_ratio():
    """Ralamb equals optax's chain of the same pieces (RAdam, decay, trust ratio, −α)."""
    reference_tx = optax.chain(
        optax.scale_by_radam(),
        optax.add_decayed_weights(0.01),
        optax.scale_by_trust_ratio(),
        optax.scale(-0.01),
    )
    params = make_params()
    state = reference_tx.init(params)
    update = jax.jit(reference_tx.update)
    reference, grads = [], []
    for _ in range(STEPS):
        grads.append(leaves(grad_fn(params)))
        updates, state = update(grad_fn(params), state, params)
        params = optax.apply_updates(params, updates)
        reference.append(leaves(params))
    ours = replay_ours(opt.ralamb(0.01, weight_decay=0.01), grads)
    assert_histories_close(ours, reference)
