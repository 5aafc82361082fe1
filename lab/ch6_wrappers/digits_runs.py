"""The digits MLP trained many times by one compiled program (sections on LARS/LAMB and warmup).

Compilations are the main cost of the chapter: every digits run goes through ONE
compiled program, :func:`train_many`, vectorised over :data:`RUNS` runs whose
optimizer, batch size, learning rate and warmup are all data (one-hot choices,
masks, numbers).  :func:`all_runs` pads any set of runs to that width, so moving a
slider never recompiles.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

import optimizers as opt
from lab import data, nn
from lab.nn import init_mlp_numpy
from optimizers.schedules import linear_schedule

SIZES = (64, 32, 10)
"""Layer widths of the digits MLP (64 pixels, 32 hidden units, 10 classes)."""
BATCH_SIZES = (8, 32, 128, 512)
"""The batch sizes B of the large-batch experiment."""
BASE_BATCH = 8
"""B₀: the batch size at which each optimizer's base learning rate α₀ is set."""
BATCH_STEPS = 200
"""Steps T of every digits run (the same for every B)."""

BASE_LEARNING_RATES = {"sgd": 0.05, "adam": 2e-3, "lars": 0.5, "lamb": 4e-3}
"""α₀ at B₀ = 8; linear scaling uses α = α₀ B / B₀."""

NAMES = ("sgd", "adam", "lars", "lamb")
"""The four optimizers of the large-batch experiment, in the order of every one-hot choice."""
LABELS = {"sgd": "SGD + momentum", "adam": "Adam", "lars": "LARS", "lamb": "LAMB"}
"""How figures and legends name the four optimizers."""

RUNS = 16
"""Rows of every call of the compiled training program: 4 optimizers × 4 batch sizes."""


def make_optimizer(name: str) -> Callable[[Any], opt.GradientTransformation]:
    """``learning_rate → optimizer`` for one of :data:`NAMES`."""
    if name == "sgd":
        return lambda lr: opt.sgd(lr, momentum=0.9)
    if name == "adam":
        return lambda lr: opt.adam(lr)
    if name == "lars":
        # the trust ratio on the weight matrices, not on the biases (You et al. 2017)
        return lambda lr: opt.lars(lr, momentum=0.9, trust_ratio_mask=_weights_only)
    if name == "lamb":
        return lambda lr: opt.lamb(lr)
    raise ValueError(f"name must be one of {', '.join(NAMES)}; got {name!r}")


def _weights_only(params):
    return [{"w": True, "b": False} for _ in params]


@functools.cache
def digits_setup():
    """(the digits data set, the MLP's initial params, the rows of every step's batch).

    ``batches[t]`` holds :data:`BATCH_SIZES`' largest number of training-row
    indices; a run with batch size B uses the first B of them.
    """
    digits = data.digits()
    params = init_mlp_numpy(SIZES)
    rng = np.random.default_rng(0)
    n = digits.x_train.shape[0]
    batches = jnp.asarray(rng.integers(0, n, size=(BATCH_STEPS, max(BATCH_SIZES))), jnp.int32)
    return digits, params, batches


def _weighted_loss(params, x, y, weights):
    """``Σᵢ wᵢ ℓᵢ``: with wᵢ = 1/B on the first B rows and 0 elsewhere, the mean over a batch of B."""
    log_p = jax.nn.log_softmax(nn.mlp_apply(params, x))
    return -jnp.sum(weights * jnp.take_along_axis(log_p, y[:, None], axis=1)[:, 0])


def _all_four(learning_rate, choice) -> opt.GradientTransformation:
    """The four optimizers side by side; the update is the chosen one's ``uᵢ`` (``choice`` one-hot).

    With a one-hot ``choice`` this is exactly the chosen optimizer (the others'
    states advance but are never used): the choice is data, so one compiled
    program trains all four.
    """
    txs = [make_optimizer(name)(learning_rate) for name in NAMES]

    def init(params):
        return tuple(tx.init(params) for tx in txs)

    def update(grads, state, params=None):
        results = [tx.update(grads, s, params) for tx, s in zip(txs, state, strict=True)]
        updates = jax.tree_util.tree_map(
            lambda *us: sum(jnp.where(c > 0, u, 0.0) for c, u in zip(choice, us, strict=True)),
            *[u for u, _ in results],
        )
        return updates, tuple(s for _, s in results)

    return opt.GradientTransformation(init, update)


@jax.jit
def train_many(params, learning_rates, warmups, choices, weights, batches, arrays):
    """Train one MLP per row of (``learning_rates``, ``choices``, ``weights``), with ``vmap``.

    Step t uses the rows ``batches[t]`` of the training set, weighted by
    ``weights`` (1/B on the first B, 0 elsewhere): a batch of B examples, with
    the batch size as data; ``choices`` picks the optimizer (see :func:`_all_four`).
    Returns each run's mini-batch losses and validation accuracy.
    """
    x_train, y_train, x_val, y_val = arrays

    def one_run(lr, warmup, choice, w):
        # α_t rises linearly from α/w to α over w steps (w = 1: constant α)
        tx = _all_four(linear_schedule(lr / warmup, lr, warmup), choice)

        def step(carry, rows):
            p, state = carry
            loss, grads = jax.value_and_grad(_weighted_loss)(p, x_train[rows], y_train[rows], w)
            updates, state = tx.update(grads, state, p)
            return (opt.apply_updates(p, updates), state), loss

        (p, _), losses = jax.lax.scan(step, (params, tx.init(params)), batches)
        correct = jnp.argmax(nn.mlp_apply(p, x_val), axis=1) == y_val
        return losses, jnp.mean(correct)

    return jax.vmap(one_run)(learning_rates, warmups, choices, weights)


def _batch_weights(batch_sizes) -> jnp.ndarray:
    largest = max(BATCH_SIZES)
    rows = np.arange(largest)
    return jnp.asarray([(rows < b) / b for b in batch_sizes], jnp.float32)


class LinearScalingRuns(NamedTuple):
    """Digits runs of one optimizer at several batch sizes, α scaled linearly with B.

    Fields:
        name: the optimizer, one of :data:`NAMES`.
        base_learning_rate: α₀, the learning rate at B₀ = :data:`BASE_BATCH`.
        batch_sizes: the batch size B of each run.
        learning_rates: α_B = α₀ B / B₀ of each run (float32), shape (len(B),).
        losses: the mini-batch loss at each of the T = :data:`BATCH_STEPS` steps
            (nan or inf once a run diverged), shape (len(B), T).
        accuracy: the validation accuracy after T steps (a fraction in [0, 1]),
            shape (len(B),).
    """

    name: str
    base_learning_rate: float
    batch_sizes: tuple[int, ...]
    learning_rates: np.ndarray
    losses: np.ndarray
    accuracy: np.ndarray


def all_runs(settings, batch_sizes) -> list[LinearScalingRuns]:
    """One :class:`LinearScalingRuns` per (name, α₀, w) of ``settings``, in one vectorised call.

    w is the length of a linear warmup in steps (1: none).  Runs are padded to
    :data:`RUNS` rows, so every call has the same shapes and reuses the one
    compiled :func:`train_many`.
    """
    digits, params, batches = digits_setup()
    rows = [
        (name, alpha0 * b / BASE_BATCH, b, float(warmup))
        for name, alpha0, warmup in settings
        for b in batch_sizes
    ]
    if len(rows) > RUNS:
        raise ValueError(f"at most {RUNS} runs per call, got {len(rows)}")
    padded = rows + [rows[-1]] * (RUNS - len(rows))
    rates = jnp.asarray([r[1] for r in padded], jnp.float32)
    choices = jnp.asarray([[float(r[0] == n) for n in NAMES] for r in padded], jnp.float32)
    weights = _batch_weights([r[2] for r in padded])
    warmups = jnp.asarray([r[3] for r in padded], jnp.float32)
    losses, accuracy = train_many(params, rates, warmups, choices, weights, batches, tuple(digits))
    losses, accuracy = np.asarray(losses), np.asarray(accuracy)
    out = []
    for i, (name, alpha0, _) in enumerate(settings):
        block = slice(i * len(batch_sizes), (i + 1) * len(batch_sizes))
        rates_i = np.asarray([r[1] for r in rows[block]], np.float32)
        out.append(
            LinearScalingRuns(
                name, alpha0, tuple(batch_sizes), rates_i, losses[block], accuracy[block]
            )
        )
    return out
