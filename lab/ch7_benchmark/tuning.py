"""Tuning: each optimizer's α grid, grown until its best α is inside it; the tuned runs."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numpy as np

from lab.ch7_benchmark.runs import (
    DEFAULT_LEARNING_RATES,
    GRID,
    MAX_GROWTH,
    NETWORK,
    NETWORK_REPORT_SEEDS,
    NETWORK_STEPS,
    REPORT_SEEDS,
    SCORE_CEILING,
    STEPS,
    TASKS,
    TUNING_SEEDS,
    _names,
    grid,
    sweep_network,
    sweep_tasks,
)
from optimizers.validation import as_whole as _whole

TOLERANCE = 1e-2
"""A run reaches the target when L(θ_t) − L_min ≤ TOLERANCE · (L(θ₀) − L_min)."""

# --------------------------------------------------------------------------
# Tuning: each optimizer's grid, grown until its best α is inside it
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


def _task_steps(gaps: np.ndarray, tolerance: float = TOLERANCE) -> np.ndarray:
    """Steps to the target (a gap ``tolerance`` times the first) for every run of ``gaps``."""
    return _held(gaps, tolerance * gaps[..., 0])


def _choose(primary: np.ndarray, secondary: np.ndarray) -> int:
    """The grid index with the lowest mean ``primary`` over seeds, then lowest mean ``secondary``.

    Both are (α, seeds) arrays; a mean with an ``inf`` is ``inf``.  Exact ties go to
    the larger α (a flat stretch of the grid is not an optimum at its low end).
    """
    first = np.mean(primary, axis=1)
    second = np.mean(np.where(np.isfinite(secondary), secondary, 1e30), axis=1)
    return int(np.lexsort((-np.arange(len(first)), second, first))[0])


class TaskGrid(NamedTuple):
    """One optimizer on one deterministic task over its α grid.

    Attributes:
        alphas: the grid, ascending (float32 values), shape (G,).
        gaps: L(θ_t) − L_min, shape (G, seeds, T + 1): the :data:`TUNING_SEEDS`
            tuning seeds first, then the :data:`REPORT_SEEDS` reported ones;
            ``inf`` from the step a run diverged.
    """

    alphas: np.ndarray
    gaps: np.ndarray

    def choice(self, tolerance: float = TOLERANCE) -> int:
        """The tuned grid index: fewest mean steps on the tuning seeds, then lowest final gap."""
        tuning = self.gaps[:, :TUNING_SEEDS]
        return _choose(_task_steps(tuning, tolerance), tuning[..., -1])


class NetworkGrid(NamedTuple):
    """One optimizer on the network over its α grid (tuning seeds only).

    Attributes:
        alphas: the grid, ascending (float32 values), shape (G,).
        val_loss: the validation loss after T steps, shape (G, :data:`TUNING_SEEDS`).
    """

    alphas: np.ndarray
    val_loss: np.ndarray

    def choice(self) -> int:
        """The tuned grid index: the lowest mean validation loss after T steps."""
        return _choose(self.val_loss, self.val_loss)


def _merge(old, new):
    """Two grids of one (optimizer, task) as one, sorted by α (same class as ``old``)."""
    if old is None:
        return new
    order = np.argsort(np.concatenate([old.alphas, new.alphas]))
    return type(old)(*(np.concatenate([a, b])[order] for a, b in zip(old, new, strict=True)))


def _edge(current) -> int:
    """-1 when ``current``'s choice is its lowest α, +1 when its highest, 0 when inside."""
    index = current.choice()
    return -1 if index == 0 else 1 if index == len(current.alphas) - 1 else 0


def _beyond(current, name: str, side: int) -> float:
    """The offset (in decades) of the whole grid that extends ``current`` beyond ``side``."""
    decades = np.log10(current.alphas / DEFAULT_LEARNING_RATES[name])
    edge = decades.min() if side < 0 else decades.max()
    return round(2 * (edge + side * (GRID[-1] + 0.5))) / 2


def _grow(grids: dict, run_chunk) -> int:
    """Extend, in place, each grid whose choice sits on an edge by a whole grid beyond it.

    ``grids`` maps (name, column) to a :class:`TaskGrid` or :class:`NetworkGrid`;
    ``run_chunk(offsets)`` runs the grids ``grid(name, offset)`` of the keys of
    ``offsets`` (one program call for all of them).  At most :data:`MAX_GROWTH`
    rounds; returns how many ran.
    """
    for rounds in range(MAX_GROWTH):
        offsets = {key: _beyond(g, key[0], _edge(g)) for key, g in grids.items() if _edge(g) != 0}
        if not offsets:
            return rounds
        for key, new in run_chunk(offsets).items():
            grids[key] = _merge(grids[key], new)
    return MAX_GROWTH


def _task_grids(names, steps) -> tuple[dict, int]:
    """Every (optimizer, task) grid, grown until inside; and how many growth rounds ran."""
    seeds = range(TUNING_SEEDS + REPORT_SEEDS)

    def run_chunk(offsets: dict) -> dict:
        alphas = [[grid(n, offsets.get((n, t), 0.0)) for t in TASKS] for n in names]
        gaps = sweep_tasks(names, np.asarray(alphas), seeds, steps)
        return {
            (n, t): TaskGrid(alphas[o][i], gaps[o, i])
            for o, n in enumerate(names)
            for i, t in enumerate(TASKS)
            if (n, t) in offsets
        }

    grids = run_chunk({(n, t): 0.0 for n in names for t in TASKS})
    return grids, _grow(grids, run_chunk)


def _network_grids(names, steps) -> tuple[dict, int]:
    """Every optimizer's network grid on the tuning seeds, grown until inside."""
    seeds = np.tile(np.arange(TUNING_SEEDS), len(GRID))

    def run_chunk(offsets: dict) -> dict:
        alphas = np.asarray([grid(n, offsets.get((n, NETWORK), 0.0)) for n in names])
        sweep = sweep_network(names, np.repeat(alphas, TUNING_SEEDS, axis=1), seeds, steps)
        shape = (len(GRID), TUNING_SEEDS)
        return {
            (n, NETWORK): NetworkGrid(alphas[o], sweep.val_loss[o].reshape(shape))
            for o, n in enumerate(names)
            if (n, NETWORK) in offsets
        }

    grids = run_chunk({(n, NETWORK): 0.0 for n in names})
    return grids, _grow(grids, run_chunk)


class NetworkReport(NamedTuple):
    """The network at one α on the :data:`NETWORK_REPORT_SEEDS` reported seeds.

    Attributes:
        alpha: the learning rate.
        test_loss: the test cross-entropy after T steps, per seed (``inf``: diverged).
        test_accuracy: the test accuracy after T steps, per seed (a fraction; NaN: diverged).
    """

    alpha: float
    test_loss: np.ndarray
    test_accuracy: np.ndarray


def _network_reports(names, grids: dict, steps) -> tuple[dict, dict]:
    """Each optimizer's network at its tuned α and at its default α, on the reported seeds."""
    k = NETWORK_REPORT_SEEDS
    seeds = np.arange(TUNING_SEEDS, TUNING_SEEDS + k)
    tuned_alphas = [float(grids[n, NETWORK].alphas[grids[n, NETWORK].choice()]) for n in names]
    default_alphas = [float(np.float32(DEFAULT_LEARNING_RATES[n])) for n in names]
    width = len(GRID) * TUNING_SEEDS  # the program's width: 2k slots and one spare
    alphas = np.asarray(
        [
            [a] * k + [d] * k + [a] * (width - 2 * k)
            for a, d in zip(tuned_alphas, default_alphas, strict=True)
        ]
    )
    slots = np.concatenate([seeds, seeds, seeds[: width - 2 * k]])
    sweep = sweep_network(names, alphas, slots, steps)

    def report(o: int, part: slice, alpha: float) -> NetworkReport:
        return NetworkReport(alpha, sweep.test_loss[o, part], sweep.test_accuracy[o, part])

    tuned = {n: report(o, slice(0, k), tuned_alphas[o]) for o, n in enumerate(names)}
    default = {n: report(o, slice(k, 2 * k), default_alphas[o]) for o, n in enumerate(names)}
    return tuned, default


class Benchmark(NamedTuple):
    """Every run of the chapter (section *The rules of the benchmark*).

    Attributes:
        names: the optimizers, by their :data:`lab.registry.OPTIMIZERS` name, in table order.
        tasks: (name, task of :data:`TASKS`) → its :class:`TaskGrid`.
        network: name → its :class:`NetworkGrid` (tuning seeds).
        network_tuned: name → its :class:`NetworkReport` at the tuned α.
        network_default: name → its :class:`NetworkReport` at the default α.
        growth_rounds: how many times some grid had to be extended (tasks, network).
    """

    names: tuple[str, ...]
    tasks: dict[tuple[str, str], TaskGrid]
    network: dict[str, NetworkGrid]
    network_tuned: dict[str, NetworkReport]
    network_default: dict[str, NetworkReport]
    growth_rounds: tuple[int, int]


def benchmark(
    names: Sequence[str] | None = None, steps: int = STEPS, network_steps: int = NETWORK_STEPS
) -> Benchmark:
    """Tune and report every optimizer in ``names`` (default: :data:`COMPARED`) on every task.

    ``steps``: T on the deterministic tasks; ``network_steps``: T on the network.
    """
    names = _names(names)
    for name in names:
        if name not in DEFAULT_LEARNING_RATES:
            raise ValueError(f"names: {name!r} has no entry in bench.DEFAULT_LEARNING_RATES")
    steps, network_steps = _whole(steps, "steps"), _whole(network_steps, "network_steps")
    # the two programs are independent: compile and run the tasks' while the network's
    # compiles (XLA releases the GIL; on two cores this saves a third of the time)
    with ThreadPoolExecutor(max_workers=1) as pool:
        on_tasks = pool.submit(_task_grids, names, steps)
        network, network_rounds = _network_grids(names, network_steps)
        tuned, default = _network_reports(names, network, network_steps)
        tasks, task_rounds = on_tasks.result()
    network = {n: network[n, NETWORK] for n in names}
    return Benchmark(names, tasks, network, tuned, default, (task_rounds, network_rounds))


# --------------------------------------------------------------------------
# The tuned runs, and the runs at the default α
# --------------------------------------------------------------------------


class TunedRun(NamedTuple):
    """One optimizer in one column at one α, on the reported seeds: a cell of the tables.

    Attributes:
        alpha: the learning rate (the tuned one, or the default).
        interior: whether α has at least one grid point on each side (tuned runs).
        steps: steps to the target per reported seed (``inf``: not reached, or not
            held until T); ``None`` for the network.
        final: per reported seed, L(θ_T) − L_min on a task, the test loss on the network.
        score: per reported seed: on a task, the decades of reduction of the gap,
            −log₁₀((L(θ_T) − L_min)/(L(θ₀) − L_min)) clipped to [0, SCORE_CEILING]
            (0 for a diverged run); on the network, the test accuracy in percent (0
            for a diverged run).
    """

    alpha: float
    interior: bool
    steps: np.ndarray | None
    final: np.ndarray
    score: np.ndarray


def _task_run(g: TaskGrid, index: int, tolerance: float = TOLERANCE) -> TunedRun:
    reported = g.gaps[index, TUNING_SEEDS:]
    with np.errstate(divide="ignore", invalid="ignore"):
        decades = -np.log10(reported[:, -1] / reported[:, 0])
    decades = np.clip(np.where(np.isfinite(reported[:, -1]), decades, 0.0), 0.0, SCORE_CEILING)
    interior = 0 < index < len(g.alphas) - 1
    return TunedRun(
        float(g.alphas[index]), interior, _task_steps(reported, tolerance), reported[:, -1], decades
    )


def _network_run(report: NetworkReport, interior: bool) -> TunedRun:
    score = 100 * np.nan_to_num(report.test_accuracy, nan=0.0)
    return TunedRun(report.alpha, interior, None, report.test_loss, score)


def tuned(result: Benchmark, tolerance: float = TOLERANCE) -> dict[str, dict[str, TunedRun]]:
    """``tuned(result)[name][column]``: each optimizer at its tuned α, on the reported seeds.

    Columns: :data:`TASKS`, then :data:`NETWORK`.  ``tolerance`` sets the target of
    the tasks: the exercise on the target tunes again for another one, without new runs.
    """
    out = {}
    for name in result.names:
        row = {}
        for task in TASKS:
            g = result.tasks[name, task]
            row[task] = _task_run(g, g.choice(tolerance), tolerance)
        network = result.network[name]
        row[NETWORK] = _network_run(result.network_tuned[name], _edge(network) == 0)
        out[name] = row
    return out


def at_default(result: Benchmark) -> dict[str, dict[str, TunedRun]]:
    """``at_default(result)[name][column]``: each optimizer at its default α, untuned."""
    out = {}
    for name in result.names:
        row = {}
        for task in TASKS:
            g = result.tasks[name, task]
            index = int(np.argmin(np.abs(np.log(g.alphas / DEFAULT_LEARNING_RATES[name]))))
            row[task] = _task_run(g, index)
        row[NETWORK] = _network_run(result.network_default[name], True)
        out[name] = row
    return out
