"""The runs of the benchmark: the tasks, the network, and the two compiled programs that run them.

Every optimizer runs inside TWO compiled programs, one for all five tasks
(:func:`_task_program`) and one for the network (:func:`_network_program`), each a
``lax.scan`` over the steps in which the gradient of every run of every optimizer is
one batched computation and each optimizer's update is vmapped over its runs.  α and
the seeds are data, so growing a grid or running the report seeds reuses them.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from lab import data, nn, problems, registry
from lab.nn import init_mlp_numpy
from optimizers.base import apply_updates
from optimizers.validation import as_whole as _whole

TASKS = ("Rosenbrock", "Beale", "saddle", "quadratic (d = 100, κ = 1000)", "logistic regression")
"""The deterministic tasks, in the order of their index in :func:`task_gap`."""
NETWORK = "MLP"
"""The column of the network (a 64–32–10 MLP on the digits, mini-batches of 32)."""
COLUMNS = ("Rosenbrock", "Beale", "saddle", "quadratic", "logistic", NETWORK)
"""Short column headers of the tables: the tasks of :data:`TASKS`, then the network."""

DIMENSION = 100
"""Dimension d of the ill-conditioned quadratic; every task's θ is padded to it."""
LOGISTIC_D = 10
"""Features of the logistic regression (its θ ∈ ℝ¹⁰)."""
START_SPREAD = ((0.25, 0.25), (0.25, 0.25), (0.25, 0.01), (1.0,), (1.0,))
"""Per task, the standard deviation of the seeds' starts θ₀ + σ ξ around the task's θ₀
(one value for every coordinate, or one per coordinate): the saddle's θ₂ stays near 0."""

STEPS = 200
"""Steps T of every run on a task: the same number of gradient evaluations for every optimizer."""
NETWORK_STEPS = 120
"""Steps T of every run on the network (mini-batches of 32: about 2.7 passes over its data)."""
TUNING_SEEDS = 3
"""Seeds 0, 1, 2: the runs on which α is chosen."""
REPORT_SEEDS = 5
"""Seeds of the deterministic tasks reported in the tables (after the tuning seeds)."""
GRID = tuple(k / 2 for k in range(-4, 5))
"""The first grid of every optimizer: α = default · 10^g for these g (half a decade apart)."""
NETWORK_REPORT_SEEDS = (len(GRID) * TUNING_SEEDS - 1) // 2
"""Seeds of the network reported at the tuned α and at the default α (13: the program's width)."""
MAX_GROWTH = 3
"""How many times a grid may be extended by a whole grid beyond the edge its optimum sits on."""

GOOD_FACTOR = 2.0
"""An α is *good* when its steps to target (tasks) or validation loss (network) are
within this factor of the best α's."""
SCORE_CEILING = 7.0
"""Decades of reduction L(θ_T) − L_min versus L(θ₀) − L_min that count at most (float32)."""

MLP_SIZES = (64, 32, 10)
BATCH_SIZE = 32
VALIDATION_ROWS = 180
"""The digits' held-out rows split in two: the first 180 validate (tuning), the rest test."""

DEFAULT_LEARNING_RATES = {
    "sgd": 1e-3,  # torch.optim.SGD's default
    "momentum": 1e-3,  # torch.optim.SGD's default
    "nesterov": 1e-3,  # torch.optim.SGD's default
    "adagrad": 1e-2,  # torch.optim.Adagrad
    "rmsprop": 1e-2,  # torch.optim.RMSprop
    "adadelta": 1.0,  # Zeiler 2012 has no α; torch.optim.Adadelta and the package use 1
    "adam": 1e-3,  # Kingma and Ba 2015, torch.optim.Adam
    "adamax": 2e-3,  # Kingma and Ba 2015, torch.optim.Adamax
    "nadam": 2e-3,  # torch.optim.NAdam
    "amsgrad": 1e-3,  # torch.optim.Adam(amsgrad=True)
    "adamw": 1e-3,  # torch.optim.AdamW
    "radam": 1e-3,  # torch.optim.RAdam
    "adabound": 1e-3,  # Luo et al. 2019's code, and the package
    "amsbound": 1e-3,  # Luo et al. 2019's code, and the package
    "lars": 1.0,  # no framework default; with η = 0.001 a layer moves 0.1 % of its norm
    "lamb": 1e-3,  # the reference implementations' default
    "lookahead": 1e-3,  # its base, SGD
    "ranger": 1e-3,  # Wright 2019's code, and the package
    "ralamb": 1e-3,  # the package
    "ranger_lars": 1e-3,  # the package
}
"""Each optimizer's documented default α: the centre of its grid and the untuned baseline."""

COMPARED = tuple(registry.OPTIMIZERS)
"""The optimizers the chapter compares: all of :data:`lab.registry.OPTIMIZERS`."""


def _names(names: Sequence[str] | None) -> tuple[str, ...]:
    if names is None:
        return COMPARED
    if isinstance(names, str) or not names:
        raise ValueError(f"names must be a non-empty sequence of optimizer names, got {names!r}")
    for name in names:
        registry.get_optimizer(name)
    return tuple(names)


def grid(name: str, offset: float = 0.0) -> np.ndarray:
    """``name``'s α grid: default · 10^(g + offset) for g in :data:`GRID` (float32 values)."""
    exponents = np.asarray(GRID) + offset
    return (DEFAULT_LEARNING_RATES[name] * 10.0**exponents).astype(np.float32)


# --------------------------------------------------------------------------
# The deterministic tasks
# --------------------------------------------------------------------------


class TaskArrays(NamedTuple):
    """The data of the tasks that have data (a pytree: the compiled program takes it).

    Attributes:
        Q: the quadratic's matrix, 100 × 100, eigenvalues geometric from 1 to 1000 (κ = 1000).
        X: the logistic regression's features, 256 × 10.
        y: its labels in {0, 1}, 256 of them.
    """

    Q: jax.Array
    X: jax.Array
    y: jax.Array


class TaskSetup(NamedTuple):
    """What the deterministic tasks start from.

    Attributes:
        arrays: the tasks' data, a :class:`TaskArrays`.
        starts: each task's θ₀, in order (in ℝ², ℝ², ℝ², ℝ¹⁰⁰ and ℝ¹⁰; float32).
        min_values: L_min of each task, shape (5,) (float32).
    """

    arrays: TaskArrays
    starts: tuple[np.ndarray, ...]
    min_values: np.ndarray


@functools.cache
def task_setup() -> TaskSetup:
    """The tasks' data, their starts θ₀ and their minimum values L_min (built once)."""
    quadratic = problems.quadratic_nd(np.geomspace(1.0, 1000.0, DIMENSION), seed=0)
    logistic = problems.logistic_regression(n=256, d=LOGISTIC_D, seed=0)
    arrays = TaskArrays(Q=quadratic.args[0], X=logistic.args[0], y=logistic.args[1])
    tasks = (problems.rosenbrock(), problems.beale(), problems.saddle(), quadratic, logistic)
    starts = tuple(np.asarray(problem.start, np.float32) for problem in tasks)
    mins = np.asarray([float(problem.min_value) for problem in tasks], np.float32)
    return TaskSetup(arrays, starts, mins)


def task_starts(seeds: Sequence[int]) -> np.ndarray:
    """θ₀ of each task for each seed, zero-padded to :data:`DIMENSION`: shape (5, seeds, d).

    Seed s starts at θ₀ + σ ξ, ξ ~ N(0, I) drawn by ``default_rng(1000 + s)``, with
    σ from :data:`START_SPREAD`.
    """
    setup = task_setup()
    out = np.zeros((len(TASKS), len(seeds), DIMENSION), np.float32)
    for column, seed in enumerate(seeds):
        rng = np.random.default_rng(1000 + seed)
        for row, (start, spread) in enumerate(zip(setup.starts, START_SPREAD, strict=True)):
            out[row, column, : start.size] = start + np.asarray(spread) * rng.normal(
                size=start.size
            )
    return out


def _task_losses(arrays: TaskArrays) -> tuple:
    """The losses L of :data:`TASKS`, in order, with the data in ``arrays`` bound."""
    return (
        lambda theta: problems.rosenbrock_loss(theta, 1.0, 100.0),
        problems.beale_loss,
        problems.saddle_loss,
        lambda theta: problems.quadratic_loss(theta, arrays.Q),
        lambda theta: problems.logistic_regression_loss(theta, arrays.X, arrays.y, 256),
    )


def task_gap(theta, index: int, arrays: TaskArrays, min_values):
    """L(θ) − L_min of task number ``index`` of :data:`TASKS`, θ unpadded or padded to d.

    0: Rosenbrock ``(1 − θ₁)² + 100 (θ₂ − θ₁²)²``; 1: Beale; 2: the saddle
    ``½θ₁² − ½θ₂² + ¼θ₂⁴``; 3: ``½ θᵀQθ``; 4: the logistic cross-entropy
    ``1/n Σᵢ [log(1 + e^{zᵢ}) − yᵢ zᵢ]``, zᵢ = xᵢᵀθ.
    """
    size = (2, 2, 2, DIMENSION, LOGISTIC_D)[index]
    return _task_losses(arrays)[index](theta[:size]) - min_values[index]


_FAST_COMPILE = {"xla_backend_optimization_level": 1, "xla_cpu_use_fusion_emitters": False}
"""XLA options of the two programs: with twenty optimizers in one loop body, LLVM's
full optimisation takes 17 s of the network program's compilation and these take 5 s,
for the same run time (2.2–2.9 s per call; measured on this project's 2-core CPU machine)."""


def _updater(make_optimizer):
    """``update(α, g, state, θ) → (θ, state)``: one step of the optimizer built at α."""

    def update(alpha, grads, state, params):
        updates, state = make_optimizer(alpha).update(grads, state, params)
        return apply_updates(params, updates), state

    return update


@functools.partial(jax.jit, static_argnames=("names", "steps"), compiler_options=_FAST_COMPILE)
def _task_program(names, steps, alphas, starts, arrays, min_values):
    """Every optimizer of ``names`` on every task: gaps L(θ_t) − L_min, shape (O, 5, R, T + 1).

    ``alphas`` (O, 5, R): the α of each run; ``starts`` (5, R, d): θ₀ of each run.
    The padding of the 2-D tasks and the regression stays zero: its gradient is zero,
    and every optimizer here maps a zero gradient with a zero state to a zero step.
    """
    makers = [registry.get_optimizer(name) for name in names]
    per_task = [
        jax.vmap(
            jax.vmap(
                jax.value_and_grad(
                    functools.partial(task_gap, index=i, arrays=arrays, min_values=min_values)
                )
            )
        )
        for i in range(len(TASKS))
    ]

    def gaps_and_grads(thetas):  # (O, 5, R, d) → (O, 5, R), (O, 5, R, d)
        pairs = [f(thetas[:, i]) for i, f in enumerate(per_task)]
        return jnp.stack([p[0] for p in pairs], 1), jnp.stack([p[1] for p in pairs], 1)

    thetas = jnp.broadcast_to(starts, (len(names), *starts.shape))
    states = tuple(
        jax.vmap(jax.vmap(lambda a, th, make=make: make(a).init(th)))(alphas[o], thetas[o])
        for o, make in enumerate(makers)
    )

    def step(carry, _):
        thetas, states = carry
        gaps, grads = gaps_and_grads(thetas)
        moved = [
            jax.vmap(jax.vmap(_updater(make)))(alphas[o], grads[o], states[o], thetas[o])
            for o, make in enumerate(makers)
        ]
        return (jnp.stack([m[0] for m in moved]), tuple(m[1] for m in moved)), gaps

    (thetas, _), gaps = jax.lax.scan(step, (thetas, states), None, length=steps)
    final, _ = gaps_and_grads(thetas)
    return jnp.moveaxis(jnp.concatenate([gaps, final[None]]), 0, -1)


def _diverged_as_inf(values: np.ndarray) -> np.ndarray:
    """Once a run's loss is non-finite (or above 10⁶) it stays ``inf``."""
    bad = ~np.isfinite(values) | (values > 1e6)
    bad = np.maximum.accumulate(bad, axis=-1)
    return np.where(bad, np.inf, np.maximum(values, 0.0))


def sweep_tasks(names: Sequence[str], alphas, seeds: Sequence[int], steps: int = STEPS):
    """Runs of every optimizer on every task at the α in ``alphas`` and the seeds ``seeds``.

    ``alphas`` has shape (len(names), 5, G).  Returns L(θ_t) − L_min with shape
    (O, 5, G, seeds, T + 1), ``inf`` from the step a run diverged.  One call of the
    compiled program per (``names``, G, seeds, T); α and the starts are data.
    """
    names = _names(names)
    steps = _whole(steps, "steps")
    seeds = [_whole(s, "seeds", 0) for s in seeds]
    alphas = np.asarray(alphas, np.float32)
    if alphas.ndim != 3 or alphas.shape[:2] != (len(names), len(TASKS)):
        raise ValueError(
            f"alphas must have shape ({len(names)}, {len(TASKS)}, G), got {alphas.shape}"
        )
    g, s = alphas.shape[2], len(seeds)
    setup = task_setup()
    starts = np.repeat(task_starts(seeds)[:, None], g, axis=1).reshape(len(TASKS), g * s, -1)
    per_run = np.repeat(alphas, s, axis=2)
    gaps = _task_program(
        names,
        steps,
        jnp.asarray(per_run),
        jnp.asarray(starts),
        setup.arrays,
        jnp.asarray(setup.min_values),
    )
    gaps = np.asarray(gaps, np.float64).reshape(len(names), len(TASKS), g, s, steps + 1)
    return _diverged_as_inf(gaps)


# --------------------------------------------------------------------------
# The network on the digits
# --------------------------------------------------------------------------


@functools.partial(jax.jit, static_argnames=("names",), compiler_options=_FAST_COMPILE)
def _network_program(names, alphas, params, batches, digits):
    """Every optimizer of ``names`` trains the MLP once per slot: alphas (O, W), params (W, …).

    ``batches`` (W, T, B) are the training rows of each slot's steps.  Returns the
    mini-batch losses (O, W, T) and, after T steps, the validation loss, the test
    loss and the test accuracy, each (O, W).
    """
    x_train, y_train, x_val, y_val, x_test, y_test = digits
    makers = [registry.get_optimizer(name) for name in names]

    def loss_and_grad(p, rows):
        return jax.value_and_grad(nn.cross_entropy_loss)(p, x_train[rows], y_train[rows])

    every_run = jax.vmap(jax.vmap(loss_and_grad), in_axes=(0, None))  # over O, then W
    params = jax.tree_util.tree_map(lambda leaf: jnp.stack([leaf] * len(names)), params)
    states = tuple(
        jax.vmap(lambda a, p, make=make: make(a).init(p))(alphas[o], _pick(params, o))
        for o, make in enumerate(makers)
    )

    def step(carry, rows):
        params, states = carry
        losses, grads = every_run(params, rows)
        moved = [
            jax.vmap(_updater(make))(alphas[o], _pick(grads, o), states[o], _pick(params, o))
            for o, make in enumerate(makers)
        ]
        params = jax.tree_util.tree_map(lambda *leaves: jnp.stack(leaves), *[m[0] for m in moved])
        return (params, tuple(m[1] for m in moved)), losses

    (params, _), losses = jax.lax.scan(step, (params, states), jnp.moveaxis(batches, 1, 0))
    per_run = jax.vmap(
        jax.vmap(nn.cross_entropy_loss, in_axes=(0, None, None)), in_axes=(0, None, None)
    )
    logits = jax.vmap(jax.vmap(nn.mlp_apply, in_axes=(0, None)), in_axes=(0, None))(params, x_test)
    accuracy = jnp.mean(jnp.argmax(logits, axis=-1) == y_test, axis=-1)
    losses = jnp.moveaxis(losses, 0, -1)
    return losses, per_run(params, x_val, y_val), per_run(params, x_test, y_test), accuracy


def _pick(tree, index):
    return jax.tree_util.tree_map(lambda leaf: leaf[index], tree)


@functools.cache
def _digits_split() -> tuple:
    digits = data.digits()
    v = VALIDATION_ROWS
    return (
        digits.x_train,
        digits.y_train,
        digits.x_val[:v],
        digits.y_val[:v],
        digits.x_val[v:],
        digits.y_val[v:],
    )


class NetworkSweep(NamedTuple):
    """The network trained by each optimizer once per slot (α, seed) (see :func:`sweep_network`).

    Attributes (each with leading axes (optimizer, slot)):
        losses: the mini-batch cross-entropy of every step, (O, W, T); ``inf`` from
            the step a run diverged.
        val_loss: the validation cross-entropy after T steps (``inf`` if diverged).
        test_loss: the test cross-entropy after T steps (``inf`` if diverged).
        test_accuracy: the test accuracy after T steps, a fraction; NaN if diverged.
    """

    losses: np.ndarray
    val_loss: np.ndarray
    test_loss: np.ndarray
    test_accuracy: np.ndarray


def sweep_network(names: Sequence[str], alphas, seeds: Sequence[int], steps: int = NETWORK_STEPS):
    """Each optimizer trains the MLP once per slot: ``alphas`` (O, W), ``seeds`` (W,).

    Seed s draws the initialisation (W ~ N(0, 1/fan_in), by ``init_mlp_numpy(seed=s)``)
    and the T mini-batches of 32 rows (``default_rng(100 + s)``).  Returns a
    :class:`NetworkSweep`.
    """
    names = _names(names)
    steps = _whole(steps, "steps")
    seeds = [_whole(s, "seeds", 0) for s in seeds]
    alphas = np.asarray(alphas, np.float32)
    if alphas.shape != (len(names), len(seeds)):
        raise ValueError(f"alphas must have shape ({len(names)}, {len(seeds)}), got {alphas.shape}")
    digits = _digits_split()
    n = digits[0].shape[0]
    inits = [init_mlp_numpy(MLP_SIZES, seed=s) for s in seeds]
    params = jax.tree_util.tree_map(lambda *leaves: jnp.stack(leaves), *inits)
    rows = [np.random.default_rng(100 + s).integers(0, n, (steps, BATCH_SIZE)) for s in seeds]
    out = _network_program(
        names, jnp.asarray(alphas), params, jnp.asarray(np.stack(rows), jnp.int32), digits
    )
    losses, val_loss, test_loss, accuracy = (np.asarray(x, np.float64) for x in out)
    losses = _diverged_as_inf(losses)
    ok = np.isfinite(val_loss) & np.isfinite(losses[..., -1])
    return NetworkSweep(
        losses,
        np.where(ok, val_loss, np.inf),
        np.where(ok, test_loss, np.inf),
        np.where(ok, accuracy, np.nan),
    )
