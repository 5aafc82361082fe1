"""A small multilayer perceptron in plain JAX, and a compiled mini-batch training loop.

The parameters are a list with one ``{"w": W, "b": b}`` dict per layer, so
each weight matrix is its own pytree leaf: layer-wise methods (LARS, LAMB)
compute one trust ratio per matrix, as they do in a real network::

    from optimizers import adam
    from lab import data, nn
    import jax

    digits = data.digits()
    params = nn.init_mlp(jax.random.PRNGKey(0), [64, 32, 10])
    result = nn.train(adam, params, digits, steps=300, batch_size=64,
                      key=jax.random.PRNGKey(1), learning_rate=1e-2)
    result.val_accuracy
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from lab.trajectory import split_hyperparameters
from optimizers.base import apply_updates
from optimizers.validation import as_whole

__all__ = [
    "ACTIVATIONS",
    "TrainingResult",
    "accuracy",
    "compilation_count",
    "cross_entropy_loss",
    "init_mlp",
    "init_mlp_numpy",
    "mlp_apply",
    "train",
]

ACTIVATIONS: dict[str, Callable[[jax.Array], jax.Array]] = {
    "tanh": jnp.tanh,
    "relu": jax.nn.relu,
}
"""The hidden-layer nonlinearities :func:`mlp_apply` knows."""


def init_mlp(key: jax.Array, sizes: Sequence[int]) -> list[dict[str, jax.Array]]:
    """Parameters of an MLP with layer widths ``sizes`` (input, hidden …, output).

    Weights are drawn ``W ~ N(0, 1/fan_in)`` (LeCun initialisation, which
    keeps tanh units out of saturation); biases start at 0.
    """
    sizes = list(sizes)
    if len(sizes) < 2 or any(
        isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1 for s in sizes
    ):
        raise ValueError(f"sizes must be at least two whole numbers >= 1, got {sizes!r}")
    keys = jax.random.split(key, len(sizes) - 1)
    return [
        {
            "w": jax.random.normal(k, (fan_in, fan_out), jnp.float32) / np.sqrt(fan_in),
            "b": jnp.zeros(fan_out, jnp.float32),
        }
        for k, fan_in, fan_out in zip(keys, sizes[:-1], sizes[1:], strict=True)
    ]


def mlp_apply(params: list[dict[str, jax.Array]], x: jax.Array, activation: str = "tanh"):
    """The logits ``h_L``: ``h_0 = x``, ``h_l = σ(h_{l−1} W_l + b_l)``, no σ on the last layer."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}")
    sigma = ACTIVATIONS[activation]
    h = x
    for layer in params[:-1]:
        h = sigma(h @ layer["w"] + layer["b"])
    return h @ params[-1]["w"] + params[-1]["b"]


def cross_entropy_loss(params, x, y) -> jax.Array:
    """Mean cross-entropy ``L = 1/n Σᵢ [log Σ_c e^{z_ic} − z_{i,yᵢ}]`` of the logits z = MLP(x)."""
    log_probabilities = jax.nn.log_softmax(mlp_apply(params, x))
    return -jnp.mean(jnp.take_along_axis(log_probabilities, y[:, None], axis=1))


def accuracy(params, x, y) -> float:
    """The fraction of examples whose largest logit is the true class."""
    return float(_accuracy(params, x, y))


def _accuracy(params, x, y) -> jax.Array:
    return jnp.mean(jnp.argmax(mlp_apply(params, x), axis=1) == y)


class TrainingResult(NamedTuple):
    """The outcome of :func:`train`.

    Attributes:
        params: the trained parameters.
        losses: the mini-batch loss of each step, shape ``(steps,)`` (NumPy).
        val_loss: the cross-entropy on the validation set at the end.
        val_accuracy: the validation accuracy at the end.
        diverged_at: the first step whose loss was not finite or exceeded
            ``divergence_threshold · (1 + L_0)``, or ``None``.
    """

    params: Any
    losses: np.ndarray
    val_loss: float
    val_accuracy: float
    diverged_at: int | None


@functools.partial(jax.jit, static_argnames=("make_optimizer", "steps", "batch_size", "static"))
def _train(make_optimizer, steps, batch_size, static, params, traced, data, key):
    """``steps`` optimizer steps on random mini-batches, as one compiled ``lax.scan``."""
    x_train, y_train, x_val, y_val = data
    tx = make_optimizer(**traced, **dict(static))

    def step(carry, step_key):
        params, state = carry
        rows = jax.random.choice(step_key, x_train.shape[0], (batch_size,), replace=False)
        loss, grads = jax.value_and_grad(cross_entropy_loss)(params, x_train[rows], y_train[rows])
        updates, state = tx.update(grads, state, params)
        return (apply_updates(params, updates), state), loss

    init = (params, tx.init(params))
    (params, _), losses = jax.lax.scan(step, init, jax.random.split(key, steps))
    return params, losses, cross_entropy_loss(params, x_val, y_val), _accuracy(params, x_val, y_val)


def train(
    make_optimizer: Callable[..., Any],
    params,
    data,
    steps: int,
    batch_size: int,
    key: jax.Array,
    *,
    divergence_threshold: float = 100.0,
    **hyperparameters: Any,
) -> TrainingResult:
    """Train an MLP with ``make_optimizer(**hyperparameters)`` on mini-batches.

    Each step draws ``batch_size`` distinct training examples at random
    (with ``key``), takes the gradient g_t of their mean cross-entropy and
    applies the optimizer's update.  The whole loop is one ``lax.scan`` under
    ``jit``; as in :func:`~lab.trajectory.trajectory`, numeric
    hyperparameters are traced, so a new learning rate reuses the compiled
    program (a new ``steps`` or ``batch_size`` compiles a new one).

    Args:
        make_optimizer: a factory such as ``optimizers.adam``.
        params: the initial parameters (see :func:`init_mlp`).
        data: a :class:`~lab.data.Dataset` (x_train, y_train, x_val, y_val).
        steps: number of optimizer steps.
        batch_size: examples per mini-batch, at most the training-set size.
        key: a ``jax.random`` key for the batches.
        divergence_threshold: the run has diverged at the first step whose
            mini-batch loss is not finite or exceeds this factor times
            ``1 + L_0``.  (A cross-entropy 100 times its start means logits
            in the hundreds: with tanh units the loss can grow huge while
            staying finite.)  Training is not stopped; ``diverged_at`` reports it.
        **hyperparameters: keyword arguments of ``make_optimizer``.
    """
    if not callable(make_optimizer):
        raise TypeError(f"make_optimizer must be callable, got {make_optimizer!r}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a whole number >= 1, got {steps!r}")
    x_train, y_train, x_val, y_val = data
    n = x_train.shape[0]
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or not 1 <= batch_size <= n:
        raise ValueError(f"batch_size must be a whole number between 1 and {n}, got {batch_size!r}")
    static, traced = split_hyperparameters(hyperparameters)
    arrays = (x_train, y_train, x_val, y_val)
    params, losses, val_loss, val_accuracy = _train(
        make_optimizer, steps, batch_size, static, params, traced, arrays, key
    )
    losses = np.asarray(losses)
    with np.errstate(invalid="ignore"):
        bad = np.flatnonzero(
            ~np.isfinite(losses) | (losses > divergence_threshold * (1 + abs(losses[0])))
        )
    return TrainingResult(
        params=params,
        losses=losses,
        val_loss=float(val_loss),
        val_accuracy=float(val_accuracy),
        diverged_at=int(bad[0]) if bad.size else None,
    )


def compilation_count() -> int:
    """How many training programs :func:`train` has compiled in this process."""
    return _train._cache_size()


def init_mlp_numpy(sizes: Sequence[int], seed: int = 0) -> list[dict[str, jax.Array]]:
    """The initialisation of :func:`init_mlp` (W ~ N(0, 1/fan_in), b = 0), drawn by NumPy.

    The same structure and distribution; the numbers differ.  JAX's random number
    generator compiles for about a second on a CPU; NumPy's costs nothing.
    """
    rng = np.random.default_rng(as_whole(seed, "seed", 0))
    sizes = [as_whole(s, "sizes") for s in sizes]
    return [
        {
            "w": jnp.asarray(rng.normal(size=(fan_in, fan_out)) / np.sqrt(fan_in), jnp.float32),
            "b": jnp.zeros(fan_out, jnp.float32),
        }
        for fan_in, fan_out in itertools.pairwise(sizes)
    ]
