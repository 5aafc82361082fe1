"""Chapter 7, *Choosing an optimizer*: one benchmark, several views.

Contributor map:

:notebook: ``book/benchmark.ipynb`` (``from lab import ch7_benchmark as bench``)
:module: ``lab/ch7_benchmark.py``, this one module (under 800 lines, and the exercise
    on the target sets ``bench.TOLERANCE`` and calls ``bench.tuned(result)`` again,
    which only works while the constant and :func:`tuned` share one module)
:tests: ``tests/test_ch7_benchmark.py``

What runs.  Every optimizer of :data:`lab.registry.OPTIMIZERS` runs on the same tasks:

* five deterministic tasks, :func:`task_gap`: Rosenbrock, Beale and the
  saddle in ℝ², an ill-conditioned quadratic ½ θᵀQθ in 100 dimensions
  (κ = 1000) and a logistic regression in ℝ¹⁰.  One compiled program per
  optimizer runs every task, learning rate and seed at once
  (:func:`sweep_tasks`: per task, a ``jax.vmap`` of a ``jax.lax.scan``);
* a 64–32–10 MLP on the digits with mini-batches of 32 (:func:`sweep_mlp`),
  again one program per optimizer, vmapped over learning rates and seeds.

:func:`benchmark` runs both sweeps into a :class:`Benchmark`; everything else reads
that result, without new runs.  :func:`tuned` is the table of :class:`TunedRun` rows
(optimizer → task → the run at the tuned α) behind the tables and the findings.

Section by section (notebook heading: computation → what the prose glues and asserts):

*The rules of the benchmark*
    the constants :data:`COMPARED`, :data:`LEARNING_RATES`, :data:`SEEDS`, :data:`STEPS`
    and :data:`TASKS` give ``bench_count``, ``bench_grid_size``, ``bench_seeds``,
    ``bench_steps`` and ``bench_runs``; :func:`benchmark` → :class:`Benchmark`
    (``result.names`` asserted to be :data:`COMPARED`).
*Steps to the target*
    :func:`steps_table` and :func:`alpha_table` (shown as Markdown tables);
    :func:`fastest` → :class:`FastestTuned`: ``winner_count``
    (asserted ≥ 3), ``mean_steps`` (``bench_rosenbrock_solvers``, asserted fewer than
    half and all with momentum; ``bench_adam_quadratic``, ``bench_sgd_quadratic``);
    :func:`tuned`: ``best["sgd"]["MLP"].alpha / best["adam"]["MLP"].alpha`` (asserted
    > 10) and ``best["adam"]["Rosenbrock"].alpha`` (``bench_adam_rosenbrock_alpha``);
    :func:`radam_early_steps` → :class:`RAdamEarlySteps`: ``gradient_norm``,
    ``safe_alpha``, ``first_bad_alpha``, ``blowup_step`` (asserted ≤ 6), ``diverged``.
*The network on the digits*
    :func:`mlp_table` (a Markdown table); :func:`accuracy_spread` →
    :class:`AccuracySpread`: ``best``, ``worst``, ``spread``, ``seed_std`` (glued in
    percentage points; asserted ``spread < 0.03`` and ``spread < 4 seed_std``).
*Sensitivity to the learning rate*
    :func:`sensitivity_figure` (``figures/bench_heatmap.png``); :func:`alpha_sensitivity` →
    :class:`AlphaSensitivity`: ``widths`` (the ``bench_width_*`` numbers; asserted:
    Adam wider than SGD on Beale, AdaBound and AMSBound the widest on both landscapes,
    no other method above half a decade on Rosenbrock), ``small_alphas`` (how many:
    ``bench_adabound_small_alpha``) and ``adabound_finals`` (asserted equal there to
    three digits).
*Exercises*
    the tuning budget: :func:`sweep_tasks` for Adam with β₁ = 0.5, registered under a
    new name (``bench_adam_b05_final`` against ``bench_adam_b09_final``).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from lab import data, nn, plot, problems, registry
from lab.nn import init_mlp_numpy
from optimizers.base import apply_updates
from optimizers.validation import as_whole as _whole

__all__ = [
    "COLUMNS",
    "COMPARED",
    "DIMENSION",
    "LEARNING_RATES",
    "MLP_SIZES",
    "SEEDS",
    "STEPS",
    "TASKS",
    "TOLERANCE",
    "AccuracySpread",
    "AlphaSensitivity",
    "Benchmark",
    "FastestTuned",
    "MLPSweep",
    "RAdamEarlySteps",
    "TaskArrays",
    "TaskSetup",
    "TunedRun",
    "accuracy_spread",
    "alpha_sensitivity",
    "alpha_table",
    "benchmark",
    "fastest",
    "mlp_table",
    "radam_early_steps",
    "sensitivity_figure",
    "steps_table",
    "steps_to_target",
    "sweep_mlp",
    "sweep_tasks",
    "task_gap",
    "task_setup",
    "tuned",
    "tuning_width",
]

TASKS = ("Rosenbrock", "Beale", "saddle", "quadratic (d = 100, κ = 1000)", "logistic regression")
"""The deterministic tasks, in the order of their index in :func:`task_gap`."""

DIMENSION = 100
"""Dimension d of the ill-conditioned quadratic."""

LOGISTIC_D = 10
"""Features of the logistic regression (its θ ∈ ℝ¹⁰)."""

STEPS = 300
"""Steps T of every run."""

LEARNING_RATES = tuple(float(a) for a in np.logspace(-4, 1, 11))
"""The log grid of α tried for every optimizer on every task: 10⁻⁴ … 10, half a decade apart."""

SEEDS = 3
"""Runs per (optimizer, task, α): the start θ₀ (tasks) or the initialisation and batches (MLP)."""

TOLERANCE = 1e-2
"""A run reaches the target when L(θ_t) − L_min ≤ TOLERANCE · (L(θ₀) − L_min)."""

MLP_SIZES = (64, 32, 10)
BATCH_SIZE = 32
MLP_TARGET = 0.3
"""Target of the MLP: a moving average (β = 0.9) of the mini-batch loss below 0.3."""


def _names(names: Sequence[str] | None) -> tuple[str, ...]:
    if names is None:
        return COMPARED
    if isinstance(names, str) or not names:
        raise ValueError(f"names must be a non-empty sequence of optimizer names, got {names!r}")
    for name in names:
        registry.get_optimizer(name)
    return tuple(names)


# --------------------------------------------------------------------------
# The deterministic tasks
# --------------------------------------------------------------------------


class TaskArrays(NamedTuple):
    """The data of the tasks that have data (a pytree: the compiled sweep takes it as an argument).

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
        starts: θ₀ of each task of :data:`TASKS`, in order (in ℝ², ℝ², ℝ², ℝ¹⁰⁰ and ℝ¹⁰; float32).
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
    """L(θ) − L_min of task number ``index`` of :data:`TASKS`.

    0: Rosenbrock ``(1 − θ₁)² + 100 (θ₂ − θ₁²)²``; 1: Beale; 2: the saddle
    ``½θ₁² − ½θ₂² + ¼θ₂⁴``; 3: ``½ θᵀQθ``; 4: the logistic cross-entropy
    ``1/n Σᵢ [log(1 + e^{zᵢ}) − yᵢ zᵢ]``, zᵢ = xᵢᵀθ.
    """
    return _task_losses(arrays)[index](theta) - min_values[index]


def _descend(make_optimizer, gap, steps):
    """``run(α, θ₀)``: the T + 1 values of ``gap`` along T steps of the optimizer at α."""

    def run(alpha, theta0):
        tx = make_optimizer(alpha)

        def step(carry, _):
            theta, state = carry
            updates, state = tx.update(jax.grad(gap)(theta), state, theta)
            theta = apply_updates(theta, updates)
            return (theta, state), gap(theta)

        _, gaps = jax.lax.scan(step, (theta0, tx.init(theta0)), None, length=steps)
        return jnp.concatenate([gap(theta0)[None], gaps])

    return run


@functools.partial(jax.jit, static_argnames=("name", "steps"))
def _sweep_tasks(name, steps, learning_rates, starts, arrays, min_values):
    make_optimizer = registry.get_optimizer(name)
    curves = []
    for index, start in enumerate(starts):
        gap = functools.partial(task_gap, index=index, arrays=arrays, min_values=min_values)
        curves.append(jax.vmap(_descend(make_optimizer, gap, steps))(learning_rates, start))
    return jnp.stack(curves)


def sweep_tasks(name: str, steps: int = STEPS, seeds: int = SEEDS) -> np.ndarray:
    """Optimizer ``name`` on every task, α of :data:`LEARNING_RATES` and seed: one compiled call.

    Seed s starts at the task's θ₀ plus 0.1 · N(0, I) (seed 0 unperturbed).  Each
    task is its own ``vmap`` over (α, seed) of a ``lax.scan``, all five in one
    program.  Returns L(θ_t) − L_min, shape (tasks, α, seeds, T + 1), with ``inf``
    where a run diverged (a non-finite loss).  The exercise on the tuning budget
    calls it for an optimizer the reader registers, so its arguments are checked.
    """
    registry.get_optimizer(name)
    steps, seeds = _whole(steps, "steps"), _whole(seeds, "seeds")
    arrays, starts, min_values = task_setup()
    rng = np.random.default_rng(0)
    k = len(LEARNING_RATES)
    theta0 = []
    for start in starts:
        noise = 0.1 * rng.normal(size=(seeds, start.size))
        noise[0] = 0.0
        runs = np.broadcast_to(start + noise.astype(np.float32), (k, seeds, start.size))
        theta0.append(jnp.asarray(runs.reshape(k * seeds, start.size)))
    alphas = jnp.asarray(np.repeat(np.asarray(LEARNING_RATES, np.float32), seeds))
    gaps = _sweep_tasks(name, steps, alphas, tuple(theta0), arrays, jnp.asarray(min_values))
    gaps = np.asarray(gaps, np.float64).reshape(len(TASKS), k, seeds, steps + 1)
    return _diverged_as_inf(gaps)


def _diverged_as_inf(values: np.ndarray) -> np.ndarray:
    """Once a run's loss is non-finite (or above 10⁶) it stays ``inf``."""
    bad = ~np.isfinite(values) | (values > 1e6)
    bad = np.maximum.accumulate(bad, axis=-1)
    return np.where(bad, np.inf, np.maximum(values, 0.0))


# --------------------------------------------------------------------------
# The MLP on the digits
# --------------------------------------------------------------------------


@functools.partial(jax.jit, static_argnames=("name",))
def _sweep_mlp(name, learning_rates, params, batches, digits):
    make_optimizer = registry.get_optimizer(name)
    x_train, y_train, x_val, y_val = digits

    def run(alpha, params, rows):
        tx = make_optimizer(alpha)

        def step(carry, batch):
            params, state = carry
            loss, grads = jax.value_and_grad(nn.cross_entropy_loss)(
                params, x_train[batch], y_train[batch]
            )
            updates, state = tx.update(grads, state, params)
            return (apply_updates(params, updates), state), loss

        (params, _), losses = jax.lax.scan(step, (params, tx.init(params)), rows)
        logits = nn.mlp_apply(params, x_val)
        accuracy = jnp.mean(jnp.argmax(logits, axis=1) == y_val)
        return losses, nn.cross_entropy_loss(params, x_val, y_val), accuracy

    return jax.vmap(run)(learning_rates, params, batches)


class MLPSweep(NamedTuple):
    """One optimizer training the 64–32–10 MLP at every α of :data:`LEARNING_RATES` and seed.

    Attributes:
        losses: the mini-batch cross-entropy of every step, shape (α, seeds, T);
            ``inf`` from the step a run diverged on.
        val_loss: the validation cross-entropy after T steps, shape (α, seeds);
            ``inf`` for a diverged run.
        val_accuracy: the validation accuracy after T steps (a fraction, 0 to 1),
            shape (α, seeds); NaN for a diverged run.
    """

    losses: np.ndarray
    val_loss: np.ndarray
    val_accuracy: np.ndarray


def sweep_mlp(name: str, steps: int = STEPS, seeds: int = SEEDS) -> MLPSweep:
    """Optimizer ``name`` trains the 64–32–10 MLP for every α and seed, in one compiled call.

    Seed s draws the initialisation (W ~ N(0, 1/fan_in)) and the T mini-batches of
    32 examples (with replacement) with NumPy.  Diverged runs have ``inf`` losses.
    """
    digits = data.digits()
    n = digits.x_train.shape[0]
    inits = [init_mlp_numpy(MLP_SIZES, seed=s) for s in range(seeds)]
    batches = [
        np.random.default_rng(100 + s).integers(0, n, (steps, BATCH_SIZE)) for s in range(seeds)
    ]
    k = len(LEARNING_RATES)
    params = jax.tree_util.tree_map(lambda *leaves: jnp.stack(leaves * k), *inits)
    rows = jnp.asarray(np.stack(batches * k), jnp.int32)
    alphas = jnp.asarray(np.repeat(np.asarray(LEARNING_RATES, np.float32), seeds))
    losses, val_loss, accuracy = _sweep_mlp(name, alphas, params, rows, tuple(digits))
    losses = _diverged_as_inf(np.asarray(losses, np.float64).reshape(k, seeds, steps))
    val_loss = np.asarray(val_loss, np.float64).reshape(k, seeds)
    val_loss = np.where(np.isfinite(val_loss) & np.isfinite(losses[..., -1]), val_loss, np.inf)
    accuracy = np.asarray(accuracy, np.float64).reshape(k, seeds)
    accuracy = np.where(np.isfinite(val_loss), accuracy, np.nan)
    return MLPSweep(losses, val_loss, accuracy)


def _smoothed(losses: np.ndarray, beta: float = 0.9) -> np.ndarray:
    """The bias-corrected moving average of the mini-batch losses along the last axis."""
    out = np.empty_like(losses)
    average = np.zeros(losses.shape[:-1])
    for t in range(losses.shape[-1]):
        average = beta * average + (1 - beta) * losses[..., t]
        out[..., t] = average / (1 - beta ** (t + 1))
    return out


# --------------------------------------------------------------------------
# The rules of the benchmark: everything, in one result
# --------------------------------------------------------------------------


class Benchmark(NamedTuple):
    """Both sweeps for every compared optimizer (section *The rules of the benchmark*).

    Attributes:
        names: the optimizers, by their :data:`lab.registry.OPTIMIZERS` name, in table order.
        tasks: name → the :func:`sweep_tasks` array L(θ_t) − L_min, shape
            (tasks, α, seeds, T + 1), ``inf`` after a divergence.
        mlp: name → the :class:`MLPSweep` of the network.
    """

    names: tuple[str, ...]
    tasks: dict[str, np.ndarray]
    mlp: dict[str, MLPSweep]


COMPARED = tuple(registry.OPTIMIZERS)
"""The optimizers the chapter compares: all of :data:`lab.registry.OPTIMIZERS`.

Compilation is the cost: two programs per optimizer (the tasks and the MLP),
about 1.5 s each on two cores."""


def benchmark(
    names: Sequence[str] | None = None, steps: int = STEPS, seeds: int = SEEDS
) -> Benchmark:
    """Both sweeps for every optimizer in ``names`` (default: :data:`COMPARED`)."""
    names = _names(names)
    tasks = {name: sweep_tasks(name, steps, seeds) for name in names}
    mlp = {name: sweep_mlp(name, steps, seeds) for name in names}
    return Benchmark(names, tasks, mlp)


# --------------------------------------------------------------------------
# Tuning: the best α of each optimizer on each task
# --------------------------------------------------------------------------


def steps_to_target(curves: np.ndarray, target: np.ndarray | float) -> np.ndarray:
    """The first t with ``curves[..., t] ≤ target`` (``inf`` if never), over the last axis."""
    reached = curves <= np.asarray(target)[..., None]
    first = np.argmax(reached, axis=-1).astype(np.float64)
    return np.where(reached.any(axis=-1), first, np.inf)


def _held(curves: np.ndarray, target: np.ndarray | float) -> np.ndarray:
    """Steps to ``target``, counted only for runs that are still at or below it at step T.

    A run that dips below the target and then climbs out again (an α on the
    edge of instability) has not *reached* it: its count is ``inf``.
    """
    steps = steps_to_target(curves, target)
    return np.where(curves[..., -1] <= target, steps, np.inf)


def _task_steps(gaps: np.ndarray) -> np.ndarray:
    """Steps to the target for every (task, α, seed)."""
    return _held(gaps, TOLERANCE * gaps[..., 0])


def _mlp_steps(sweep: MLPSweep) -> np.ndarray:
    return _held(_smoothed(sweep.losses), MLP_TARGET) + 1


def _best(steps: np.ndarray, final: np.ndarray) -> int:
    """The α with the fewest mean steps to target (ties, or never: the lowest mean final loss).

    ``steps`` and ``final`` are (α, seeds) arrays.
    """
    mean_steps = np.mean(steps, axis=1)
    mean_final = np.mean(np.where(np.isfinite(final), final, 1e30), axis=1)
    return int(np.lexsort((mean_final, mean_steps))[0])


class TunedRun(NamedTuple):
    """One optimizer on one task at its tuned α: a row of the table :func:`tuned`.

    Attributes:
        alpha: the tuned learning rate α, a value of :data:`LEARNING_RATES`.
        steps: steps to the target at α, one per seed, shape (seeds,); ``inf`` for a
            seed that never reached it (or did not stay below it until step T).
        final: at α, per seed: L(θ_T) − L_min on a task, the validation loss on the MLP.
        accuracy: the MLP's validation accuracy at α per seed (a fraction); ``None``
            on the deterministic tasks.
    """

    alpha: float
    steps: np.ndarray
    final: np.ndarray
    accuracy: np.ndarray | None = None


def tuned(result: Benchmark) -> dict[str, dict[str, TunedRun]]:
    """The tuned runs: ``tuned(result)[name][task]`` for each optimizer and task (and ``"MLP"``).

    The tuned α has the fewest mean steps to the target (:data:`TOLERANCE` for the
    tasks, read at each call; :data:`MLP_TARGET` for the network, on its training
    loss); ties, and optimizers that never reach it, are broken by the final loss.
    """
    out: dict[str, dict[str, TunedRun]] = {}
    for name in result.names:
        gaps = result.tasks[name]
        steps = _task_steps(gaps)
        out[name] = {}
        for row, task in enumerate(TASKS):
            best = _best(steps[row], gaps[row, :, :, -1])
            out[name][task] = TunedRun(
                LEARNING_RATES[best], steps[row, best], gaps[row, best, :, -1]
            )
        sweep = result.mlp[name]
        mlp_steps = _mlp_steps(sweep)
        best = _best(mlp_steps, _smoothed(sweep.losses)[..., -1])
        out[name]["MLP"] = TunedRun(
            LEARNING_RATES[best], mlp_steps[best], sweep.val_loss[best], sweep.val_accuracy[best]
        )
    return out


# --------------------------------------------------------------------------
# Steps to the target
# --------------------------------------------------------------------------


COLUMNS = ("Rosenbrock", "Beale", "saddle", "quadratic", "logistic", "MLP")
"""Short column headers of the tables: the tasks of :data:`TASKS`, then the MLP."""


def _format_steps(values: np.ndarray) -> str:
    finite = values[np.isfinite(values)]
    if finite.size < values.size:
        return f"— ({finite.size}/{values.size})" if finite.size else "—"
    return f"{np.mean(values):.0f} ± {np.std(values):.0f}"


def _table(result: Benchmark, cell) -> str:
    """A Markdown table, one row per optimizer and one column per task; ``cell(run)`` fills it."""
    best = tuned(result)
    lines = ["| optimizer | " + " | ".join(COLUMNS) + " |", "|---|" + "---:|" * len(COLUMNS)]
    for name in result.names:
        cells = [cell(best[name][task]) for task in (*TASKS, "MLP")]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def steps_table(result: Benchmark) -> str:
    """A Markdown table: steps to the target (mean ± std over seeds) at each optimizer's tuned α.

    Section *Steps to the target*, the first table.
    """
    return _table(result, lambda run: _format_steps(run.steps))


def alpha_table(result: Benchmark) -> str:
    """A Markdown table: each optimizer's tuned α on each task (*Steps to the target*, second)."""
    return _table(result, lambda run: f"{run.alpha:.2g}")


class FastestTuned(NamedTuple):
    """Who is fastest at its tuned α, task by task (section *Steps to the target*).

    Attributes:
        mean_steps: task (of :data:`TASKS`, and ``"MLP"``) → optimizer → mean steps to
            the target over seeds, listing only the optimizers whose every seed reached it.
        winners: task → the optimizer with the fewest mean steps (tasks nobody solved omitted).
        winner_count: how many different optimizers are fastest somewhere.
    """

    mean_steps: dict[str, dict[str, float]]
    winners: dict[str, str]
    winner_count: int


def fastest(result: Benchmark) -> FastestTuned:
    """The mean steps of every optimizer that solves a task, and each task's fastest one."""
    best = tuned(result)
    mean_steps = {
        task: {
            name: float(np.mean(best[name][task].steps))
            for name in result.names
            if np.all(np.isfinite(best[name][task].steps))
        }
        for task in [*TASKS, "MLP"]
    }
    winners = {task: min(row, key=row.get) for task, row in mean_steps.items() if row}
    return FastestTuned(mean_steps, winners, len(set(winners.values())))


class RAdamEarlySteps(NamedTuple):
    """RAdam on Rosenbrock: its un-adapted first steps, α = 10⁻⁴ … 10 (*Steps to the target*).

    Attributes:
        diverged: per α of :data:`LEARNING_RATES`, True when every seed diverged.
        first_bad_index: the index of the smallest such α (0 if none diverged).
        first_bad_alpha: that α, the smallest on the grid at which RAdam always diverges.
        blowup_step: the step t at which seed 0 at ``first_bad_alpha`` became non-finite.
        gradient_norm: ‖∇L(θ₀)‖ = ‖g₁‖ at Rosenbrock's start θ₀ = (−1.5, 2) (float32 gradient).
        safe_alpha: 1/‖g₁‖, the α whose first step −α g₁ has length 1.
    """

    diverged: np.ndarray
    first_bad_index: int
    first_bad_alpha: float
    blowup_step: int
    gradient_norm: float
    safe_alpha: float


def radam_early_steps(result: Benchmark) -> RAdamEarlySteps:
    """Where RAdam's runs on Rosenbrock start to diverge, how fast, and the first gradient's size."""
    rosenbrock_runs = result.tasks["radam"][TASKS.index("Rosenbrock")]
    diverged = np.isinf(rosenbrock_runs[..., -1]).all(axis=1)
    first = int(np.argmax(diverged))
    blowup = int(np.argmax(np.isinf(rosenbrock_runs[first, 0])))
    rosenbrock = problems.rosenbrock()
    norm = float(np.linalg.norm(np.asarray(jax.grad(rosenbrock.loss)(rosenbrock.start))))
    return RAdamEarlySteps(diverged, first, LEARNING_RATES[first], blowup, norm, 1 / norm)


# --------------------------------------------------------------------------
# The network on the digits
# --------------------------------------------------------------------------


def mlp_table(result: Benchmark) -> str:
    """A Markdown table for the MLP: tuned α, steps to target, validation loss and accuracy.

    Section *The network on the digits*; rows sorted by mean validation accuracy.
    """
    best = tuned(result)
    lines = [
        "| optimizer | tuned α | steps to target | validation loss | validation accuracy |",
        "|---|---:|---:|---:|---:|",
    ]
    order = sorted(result.names, key=lambda n: -np.nan_to_num(np.mean(best[n]["MLP"].accuracy)))
    for name in order:
        run = best[name]["MLP"]
        lines.append(
            f"| {name} | {run.alpha:.2g} | {_format_steps(run.steps)} | "
            f"{np.mean(run.final):.3f} ± {np.std(run.final):.3f} | "
            f"{100 * np.mean(run.accuracy):.1f} ± {100 * np.std(run.accuracy):.1f} % |"
        )
    return "\n".join(lines)


class AccuracySpread(NamedTuple):
    """The network's validation accuracy at each tuned α (section *The network on the digits*).

    Accuracies are fractions (0 to 1); the notebook glues them in percent.

    Attributes:
        accuracies: optimizer → mean validation accuracy over seeds at its tuned α.
        best: the highest of them.
        worst: the lowest of them.
        spread: ``best − worst``.
        seed_std: the largest standard deviation over seeds of one optimizer's accuracy.
    """

    accuracies: dict[str, float]
    best: float
    worst: float
    spread: float
    seed_std: float


def accuracy_spread(result: Benchmark) -> AccuracySpread:
    """How far apart the tuned optimizers land on the network, against the seed-to-seed spread."""
    best = tuned(result)
    accuracies = {name: float(np.mean(best[name]["MLP"].accuracy)) for name in result.names}
    high, low = max(accuracies.values()), min(accuracies.values())
    seed_std = max(float(np.std(best[name]["MLP"].accuracy)) for name in result.names)
    return AccuracySpread(accuracies, high, low, high - low, seed_std)


# --------------------------------------------------------------------------
# Sensitivity to the learning rate
# --------------------------------------------------------------------------


def tuning_width(result: Benchmark, name: str, task: str = "Rosenbrock") -> float:
    """How many decades of α are *good* for ``name`` on ``task``.

    Good: every seed ends with L(θ_T) − L_min ≤ TOLERANCE · (L(θ₀) − L_min).
    Returns the width in decades (good grid points × ½, the grid's spacing).
    """
    gaps = result.tasks[name][TASKS.index(task)]
    good = np.all(gaps[..., -1] <= TOLERANCE * gaps[..., 0], axis=1)
    return 0.5 * int(np.sum(good))


class AlphaSensitivity(NamedTuple):
    """How much tuning each method needs (section *Sensitivity to the learning rate*).

    Attributes:
        widths: task (``"Rosenbrock"``, ``"Beale"``) → optimizer → decades of good α
            (:func:`tuning_width`).
        small_alphas: the α of the grid at most 10⁻³.
        adabound_finals: AdaBound's final gap L(θ_T) − L_min on Rosenbrock (seed 0) at
            each of ``small_alphas``.
    """

    widths: dict[str, dict[str, float]]
    small_alphas: tuple[float, ...]
    adabound_finals: np.ndarray


def alpha_sensitivity(result: Benchmark) -> AlphaSensitivity:
    """The widths of good α on Rosenbrock and Beale, and AdaBound's finals at small α."""
    widths = {
        task: {name: tuning_width(result, name, task) for name in result.names}
        for task in ("Rosenbrock", "Beale")
    }
    small = [i for i, alpha in enumerate(LEARNING_RATES) if alpha <= 1e-3]
    finals = result.tasks["adabound"][TASKS.index("Rosenbrock")][small, 0, -1]
    return AlphaSensitivity(widths, tuple(LEARNING_RATES[i] for i in small), finals)


def sensitivity_figure(result: Benchmark, task: str = "Rosenbrock"):
    """Heat maps of log₁₀ of the final loss against α, one row per optimizer: ``task`` and the MLP.

    Section *Sensitivity to the learning rate* (``bench-fig-sensitivity``).  Left:
    log₁₀(L(θ_T) − L_min) on ``task`` (mean over seeds); right: the MLP's validation
    loss.  Grey cells diverged.
    """
    row = TASKS.index(task)
    names = result.names
    left = np.array([np.mean(result.tasks[n][row, :, :, -1], axis=1) for n in names])
    right = np.array([np.mean(result.mlp[n].val_loss, axis=1) for n in names])
    fig, axes = plot.figure(ncols=2, width=4.6, height=0.28 * len(names) + 1.6)
    _heat_map(fig, axes[0], left, names, f"{task}: log₁₀ (L(θ_T) − L_min)", (-8, 2))
    _heat_map(fig, axes[1], right, names, "MLP: log₁₀ validation loss", (-1, 1))
    return fig


def _heat_map(fig, ax, values: np.ndarray, names, title: str, limits: tuple[float, float]):
    """log₁₀ ``values`` (optimizer × α) as an image with a colour bar; non-finite cells grey."""
    with np.errstate(divide="ignore"):
        logs = np.log10(np.maximum(values, 1e-12))
    masked = np.ma.masked_invalid(np.where(np.isfinite(values), logs, np.nan))
    image = ax.imshow(
        masked, aspect="auto", cmap=_diverged_grey_cmap(), vmin=limits[0], vmax=limits[1]
    )
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ticks = range(0, len(LEARNING_RATES), 2)
    ax.set_xticks(ticks, [f"{LEARNING_RATES[i]:.0e}" for i in ticks], fontsize=7, rotation=45)
    ax.set_xlabel("learning rate α")
    ax.set_title(title, fontsize=10)
    fig.colorbar(image, ax=ax, shrink=0.8)


def _diverged_grey_cmap():
    """Viridis with grey for diverged (masked) cells."""
    import matplotlib

    return matplotlib.colormaps["viridis"].with_extremes(bad="0.75")
