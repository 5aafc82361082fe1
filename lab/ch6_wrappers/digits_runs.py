"""The digits MLP trained by one compiled program (sections on LARS/LAMB and warmup).

Compilations are the main cost of the chapter: every digits run goes through ONE
compiled program, :func:`train`, whose optimizer, batch size, learning rate and
warmup are all data (an index, a mask of rows, numbers), so moving a slider never
recompiles.  A run costs the same at every batch size (the batch is always
:data:`BATCH_SIZES`' largest number of rows, weighted), about 50 ms on one core.
:func:`run` remembers each run, so a widget recomputes only the run whose slider moved.
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
def digits_setup(order: int = 0):
    """(the digits data set, the MLP's initial params, the rows of every step's batch).

    ``batches[t]`` holds :data:`BATCH_SIZES`' largest number of training-row
    indices; a run with batch size B uses the first B of them.  ``order`` seeds
    the draw of the rows (the data order); the data and the initial params are
    the same for every order.
    """
    digits = data.digits()
    params = init_mlp_numpy(SIZES)
    rng = np.random.default_rng(order)
    n = digits.x_train.shape[0]
    batches = jnp.asarray(rng.integers(0, n, size=(BATCH_STEPS, max(BATCH_SIZES))), jnp.int32)
    return digits, params, batches


def _weighted_loss(params, x, y, weights):
    """``Σᵢ wᵢ ℓᵢ``: with wᵢ = 1/B on the first B rows and 0 elsewhere, the mean over a batch of B."""
    log_p = jax.nn.log_softmax(nn.mlp_apply(params, x))
    return -jnp.sum(weights * jnp.take_along_axis(log_p, y[:, None], axis=1)[:, 0])


@jax.jit
def train(params, choice, learning_rate, warmup, weights, batches, arrays):
    """Train the MLP once with optimizer ``NAMES[choice]``; its losses and validation accuracy.

    Step t uses the rows ``batches[t]`` of the training set, weighted by
    ``weights`` (1/B on the first B, 0 elsewhere): a batch of B examples, with the
    batch size as data.  α_t rises linearly from α/w to α over the first
    w = ``warmup`` steps (w = 1: constant α).  ``lax.switch`` runs only the chosen
    optimizer's branch, so one program serves all four at the cost of one.
    """
    x_train, y_train, x_val, y_val = arrays

    def run_with(name):
        def one_run(learning_rate, warmup, weights):
            alpha = linear_schedule(learning_rate / warmup, learning_rate, warmup)
            tx = make_optimizer(name)(alpha)

            def step(carry, rows):
                p, state = carry
                loss, grads = jax.value_and_grad(_weighted_loss)(
                    p, x_train[rows], y_train[rows], weights
                )
                updates, state = tx.update(grads, state, p)
                return (opt.apply_updates(p, updates), state), loss

            (p, _), losses = jax.lax.scan(step, (params, tx.init(params)), batches)
            correct = jnp.argmax(nn.mlp_apply(p, x_val), axis=1) == y_val
            return losses, jnp.mean(correct)

        return one_run

    branches = [run_with(name) for name in NAMES]
    return jax.lax.switch(choice, branches, learning_rate, warmup, weights)


class DigitsRun(NamedTuple):
    """One run of the digits MLP (see :func:`run`).

    Fields:
        losses: the mini-batch loss at each of the :data:`BATCH_STEPS` steps (nan or
            inf once the run diverged), float32.
        accuracy: the validation accuracy after the last step, in [0, 1].
    """

    losses: np.ndarray
    accuracy: float


def run(
    name: str, learning_rate: float, batch_size: int, warmup: float = 1.0, order: int = 0
) -> DigitsRun:
    """Optimizer ``name`` at α = ``learning_rate`` (float32) and batch size B = ``batch_size``.

    ``warmup``: w of a linear warmup (1: none); ``order``: the data order (see
    :func:`digits_setup`).  Remembered: the widgets and figures that ask for the
    same run share it.
    """
    return _remembered_run(name, float(learning_rate), int(batch_size), float(warmup), int(order))


@functools.lru_cache(maxsize=512)
def _remembered_run(
    name: str, learning_rate: float, batch_size: int, warmup: float, order: int
) -> DigitsRun:
    digits, params, batches = digits_setup(order)
    losses, accuracy = train(
        params,
        NAMES.index(name),
        jnp.float32(learning_rate),
        jnp.float32(warmup),
        _batch_weights([batch_size])[0],
        batches,
        tuple(digits),
    )
    return DigitsRun(np.asarray(losses), float(accuracy))


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


def scaled_learning_rate(base_learning_rate: float, batch_size: int) -> float:
    """α_B = α₀ B / B₀ (the linear scaling rule), rounded to float32 as the runs use it."""
    return float(np.float32(base_learning_rate * batch_size / BASE_BATCH))


def all_runs(settings, batch_sizes, order: int = 0) -> list[LinearScalingRuns]:
    """One :class:`LinearScalingRuns` per (name, α₀, w) of ``settings``: α = α₀ B / B₀ at each B.

    w is the length of a linear warmup in steps (1: none); ``order`` the data order.
    """
    out = []
    for name, alpha0, warmup in settings:
        rates = np.asarray([scaled_learning_rate(alpha0, b) for b in batch_sizes], np.float32)
        runs = [
            run(name, float(rate), b, float(warmup), order)
            for rate, b in zip(rates, batch_sizes, strict=True)
        ]
        out.append(
            LinearScalingRuns(
                name,
                alpha0,
                tuple(batch_sizes),
                rates,
                np.stack([r.losses for r in runs]),
                np.array([r.accuracy for r in runs]),
            )
        )
    return out
