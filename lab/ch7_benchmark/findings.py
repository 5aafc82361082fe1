"""What the chapter reads from the runs: tables, findings and the sensitivity heat map."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import jax
import matplotlib
import numpy as np
from matplotlib.patches import Rectangle

from lab import plot, problems
from lab.ch7_benchmark.runs import (
    COLUMNS,
    DEFAULT_LEARNING_RATES,
    GOOD_FACTOR,
    NETWORK,
    NETWORK_REPORT_SEEDS,
    TASKS,
    TUNING_SEEDS,
)
from lab.ch7_benchmark.tuning import Benchmark, _task_steps, at_default, tuned

# --------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------


def _format_steps(values: np.ndarray) -> str:
    """``mean ± std`` of the seeds that reached the target, with how many did when not all."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return f"— (0/{values.size})"
    text = f"{np.mean(finite):.0f} ± {np.std(finite):.0f}"
    return text if finite.size == values.size else f"{text} ({finite.size}/{values.size})"


def _table(header: Sequence[str], rows) -> str:
    lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def steps_table(result: Benchmark) -> str:
    """Steps to the target at each optimizer's tuned α: mean ± std over the reported seeds.

    Section *Steps to the target*, the first table (Markdown); a count in brackets
    says how many reported seeds reached the target when not all did.
    """
    best = tuned(result)
    rows = [[n, *(_format_steps(best[n][t].steps) for t in TASKS)] for n in result.names]
    return _table(["optimizer", *COLUMNS[: len(TASKS)]], rows)


def alpha_table(result: Benchmark) -> str:
    """Each optimizer's default α and tuned α per column (*Steps to the target*, second table)."""
    best = tuned(result)
    rows = [
        [
            n,
            f"{DEFAULT_LEARNING_RATES[n]:.2g}",
            *(f"{best[n][c].alpha:.2g}" for c in (*TASKS, NETWORK)),
        ]
        for n in result.names
    ]
    return _table(["optimizer", "default", *COLUMNS], rows)


def _mean_std(values: np.ndarray, scale: float = 1.0, digits: int = 3) -> str:
    finite = values[np.isfinite(values)]
    if finite.size < values.size:
        return f"diverged ({values.size - finite.size}/{values.size})"
    return f"{scale * np.mean(values):.{digits}f} ± {scale * np.std(values):.{digits}f}"


def network_table(result: Benchmark) -> str:
    """The network at the default α and tuned, on the reported seeds (Markdown, best first).

    Section *The network on the digits*: default and tuned α, test loss and test
    accuracy (mean ± std over :data:`NETWORK_REPORT_SEEDS` seeds).
    """
    best, default = tuned(result), at_default(result)
    order = sorted(result.names, key=lambda n: -np.mean(best[n][NETWORK].score))
    rows = []
    for n in order:
        b, d = best[n][NETWORK], default[n][NETWORK]
        rows.append(
            [
                n,
                f"{d.alpha:.2g}",
                _mean_std(d.final),
                f"{np.mean(d.score):.1f} %",
                f"{b.alpha:.2g}",
                _mean_std(b.final),
                _mean_std(b.score, digits=1) + " %",
            ]
        )
    header = ["optimizer", "default α", "test loss", "accuracy", "tuned α", "test loss", "accuracy"]
    return _table(header, rows)


# --------------------------------------------------------------------------
# Findings
# --------------------------------------------------------------------------


class FastestTuned(NamedTuple):
    """Who is fastest at its tuned α, task by task (section *Steps to the target*).

    Attributes:
        mean_steps: task → optimizer → mean steps over the reported seeds, listing only
            the optimizers whose every reported seed reached the target.
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
            n: float(np.mean(best[n][task].steps))
            for n in result.names
            if np.all(np.isfinite(best[n][task].steps))
        }
        for task in TASKS
    }
    winners = {task: min(row, key=row.get) for task, row in mean_steps.items() if row}
    return FastestTuned(mean_steps, winners, len(set(winners.values())))


class TuningAgainstChoice(NamedTuple):
    """What tuning α buys against what choosing the optimizer buys, per column.

    Scores are those of :class:`TunedRun` (decades of reduction on a task, test
    accuracy in percent on the network), means over the reported seeds.

    Attributes:
        tuning_gain: column → the median over optimizers of (tuned score − default score):
            what tuning a typical optimizer's α buys.
        choice_gain: column → the best default score − the median default score: what
            picking the best optimizer buys, none of them tuned.
        tuned_spread: column → the best tuned score − the median tuned score: what the
            choice still buys once every optimizer is tuned.
        tuning_wins: the columns where ``tuning_gain > choice_gain``.
    """

    tuning_gain: dict[str, float]
    choice_gain: dict[str, float]
    tuned_spread: dict[str, float]
    tuning_wins: tuple[str, ...]


def tuning_against_choice(result: Benchmark) -> TuningAgainstChoice:
    """Tuning against choice, column by column (section *Tuning or choosing?*)."""
    best, default = tuned(result), at_default(result)
    gain, choice, spread = {}, {}, {}
    for column in (*TASKS, NETWORK):
        tuned_scores = np.array([np.mean(best[n][column].score) for n in result.names])
        default_scores = np.array([np.mean(default[n][column].score) for n in result.names])
        gain[column] = float(np.median(tuned_scores - default_scores))
        choice[column] = float(default_scores.max() - np.median(default_scores))
        spread[column] = float(tuned_scores.max() - np.median(tuned_scores))
    wins = tuple(c for c in gain if gain[c] > choice[c])
    return TuningAgainstChoice(gain, choice, spread, wins)


def choice_table(findings: TuningAgainstChoice) -> str:
    """The three gains of :class:`TuningAgainstChoice` per column (Markdown)."""
    unit = {**dict.fromkeys(TASKS, "decades"), NETWORK: "points"}
    rows = [
        [
            short,
            unit[c],
            f"{findings.tuning_gain[c]:.2f}",
            f"{findings.choice_gain[c]:.2f}",
            f"{findings.tuned_spread[c]:.2f}",
        ]
        for short, c in zip(COLUMNS, (*TASKS, NETWORK), strict=True)
    ]
    header = ["task", "unit", "tuning one α", "choosing, untuned", "choosing, tuned"]
    return _table(header, rows)


class RAdamEarlySteps(NamedTuple):
    """RAdam on Rosenbrock: its un-adapted first steps (*Steps to the target*).

    Attributes:
        alphas: RAdam's Rosenbrock grid.
        diverged: per α, True when every seed diverged.
        first_bad_alpha: the smallest α from which every α of the grid diverges on every seed.
        grey_alpha: the smallest α at which some tuning seed diverges: where the heat
            map's row (a mean over the tuning seeds) turns grey.
        blowup_step: the step t at which the first seed at ``first_bad_alpha`` became non-finite.
        gradient_norm: ‖∇L(θ₀)‖ = ‖g₁‖ at Rosenbrock's θ₀ = (−1.5, 2) (float32 gradient).
        safe_alpha: 1/‖g₁‖, the α whose first step −α g₁ has length 1.
    """

    alphas: np.ndarray
    diverged: np.ndarray
    first_bad_alpha: float
    grey_alpha: float
    blowup_step: int
    gradient_norm: float
    safe_alpha: float


def radam_early_steps(result: Benchmark) -> RAdamEarlySteps:
    """Where RAdam's runs on Rosenbrock start to diverge, how fast, and the first gradient's size."""
    g = result.tasks["radam", "Rosenbrock"]
    final = g.gaps[..., -1]
    every, some = np.isinf(final).all(axis=1), np.isinf(final[:, :TUNING_SEEDS]).any(axis=1)
    from_here = np.flip(np.logical_and.accumulate(np.flip(every)))  # this α and every larger one
    first = int(np.argmax(from_here)) if from_here.any() else len(g.alphas) - 1
    blowup = int(np.argmax(np.isinf(g.gaps[first, 0])))
    rosenbrock = problems.rosenbrock()
    norm = float(np.linalg.norm(np.asarray(jax.grad(rosenbrock.loss)(rosenbrock.start))))
    grey = float(g.alphas[int(np.argmax(some))]) if some.any() else float("inf")
    return RAdamEarlySteps(g.alphas, every, float(g.alphas[first]), grey, blowup, norm, 1 / norm)


class AccuracySpread(NamedTuple):
    """The network's test accuracy at each tuned α (section *The network on the digits*).

    Accuracies in percent, means over the :data:`NETWORK_REPORT_SEEDS` reported seeds.

    Attributes:
        accuracies: optimizer → mean test accuracy at its tuned α.
        best: the highest of them.
        worst: the lowest of them.
        spread: ``best − worst``.
        seed_std: the largest standard deviation over seeds of one optimizer's accuracy.
        standard_error: the largest standard error of one optimizer's mean (std/√seeds).
        resolution: two standard errors of a difference of two means, 2 σ √(2/seeds) with
            the largest σ: how far apart two means must be to be told apart.
        tied_with_best: the optimizers whose mean is within ``resolution`` of the best.
    """

    accuracies: dict[str, float]
    best: float
    worst: float
    spread: float
    seed_std: float
    standard_error: float
    resolution: float
    tied_with_best: tuple[str, ...]


def accuracy_spread(result: Benchmark) -> AccuracySpread:
    """How far apart the tuned optimizers land on the network, against the seed-to-seed spread."""
    best = tuned(result)
    scores = {n: best[n][NETWORK].score for n in result.names}
    accuracies = {n: float(np.mean(s)) for n, s in scores.items()}
    high, low = max(accuracies.values()), min(accuracies.values())
    std = max(float(np.std(s)) for s in scores.values())
    resolution = 2 * std * np.sqrt(2 / NETWORK_REPORT_SEEDS)
    tied = tuple(n for n, a in accuracies.items() if a >= high - resolution)
    standard_error = std / np.sqrt(NETWORK_REPORT_SEEDS)
    return AccuracySpread(accuracies, high, low, high - low, std, standard_error, resolution, tied)


# --------------------------------------------------------------------------
# Sensitivity to the learning rate
# --------------------------------------------------------------------------


def _good(metric: np.ndarray) -> np.ndarray:
    """Grid points whose mean metric is finite and within :data:`GOOD_FACTOR` of the best."""
    mean = np.mean(metric, axis=1)
    if not np.isfinite(mean).any():
        return np.zeros(mean.shape, bool)
    return np.isfinite(mean) & (mean <= GOOD_FACTOR * np.min(mean))


def _metric(result: Benchmark, name: str, column: str) -> tuple[np.ndarray, np.ndarray]:
    """(α grid, the tuning metric per α and tuning seed): steps on a task, loss on the network."""
    if column == NETWORK:
        g = result.network[name]
        return g.alphas, g.val_loss
    g = result.tasks[name, column]
    return g.alphas, _task_steps(g.gaps[:, :TUNING_SEEDS])


def tuning_width(result: Benchmark, name: str, column: str = "Rosenbrock") -> float:
    """How many decades of α are *good* for ``name`` in ``column`` (good points × ½ decade).

    Good: the mean over the tuning seeds of the steps to target (a task) or of the
    validation loss (the network) is within :data:`GOOD_FACTOR` of the best α's.
    """
    return 0.5 * int(np.sum(_good(_metric(result, name, column)[1])))


class AlphaSensitivity(NamedTuple):
    """How much tuning each method needs (section *Sensitivity to the learning rate*).

    Attributes:
        widths: column → optimizer → decades of good α (:func:`tuning_width`).
        narrowest: column → the smallest width.
        widest: column → the largest width.
    """

    widths: dict[str, dict[str, float]]
    narrowest: dict[str, float]
    widest: dict[str, float]


def alpha_sensitivity(result: Benchmark, columns=("Rosenbrock", "Beale", NETWORK)):
    """The widths of good α for every optimizer in ``columns``."""
    widths = {c: {n: tuning_width(result, n, c) for n in result.names} for c in columns}
    low = {c: min(w.values()) for c, w in widths.items()}
    high = {c: max(w.values()) for c, w in widths.items()}
    return AlphaSensitivity(widths, low, high)


def sensitivity_figure(result: Benchmark, task: str = "Rosenbrock"):
    """Heat maps of the final loss against α, one row per optimizer: ``task`` and the network.

    Section *Sensitivity to the learning rate* (``bench-fig-sensitivity``).  Left:
    log₁₀(L(θ_T) − L_min) on ``task``; right: log₁₀ of the network's validation
    loss (means over the tuning seeds).  Each row covers its own grid; grey cells
    diverged; a white dot marks the tuned α and a white frame the good α.
    """
    names = result.names
    fig, axes = plot.figure(ncols=2, width=4.6, height=0.3 * len(names) + 1.6)
    panels = (
        (
            task,
            lambda n: result.tasks[n, task].gaps[:, :TUNING_SEEDS, -1],
            f"{task}: log₁₀ (L(θ_T) − L_min)",
            (-8, 2),
        ),
        (NETWORK, lambda n: result.network[n].val_loss, "network: log₁₀ validation loss", (-1, 1)),
    )
    for ax, (column, final, title, limits) in zip(axes, panels, strict=True):
        grids = [_metric(result, name, column)[0] for name in names]
        ax.set_xscale("log")
        ax.set_xlim(min(g.min() for g in grids) / 2, max(g.max() for g in grids) * 2)
        for row, name in enumerate(names):
            alphas, metric = _metric(result, name, column)
            grid = result.network[name] if column == NETWORK else result.tasks[name, column]
            image = _heat_row(ax, row, alphas, np.mean(final(name), axis=1), limits)
            _mark_tuning(ax, row, alphas, grid.choice(), _good(metric))
        ax.set_ylim(len(names) - 0.5, -0.5)
        ax.set_yticks(range(len(names)), names, fontsize=8)
        ax.set_xlabel("learning rate α")
        ax.set_title(title, fontsize=10)
        fig.colorbar(image, ax=ax, shrink=0.8)
    return fig


def _heat_row(ax, row: int, alphas: np.ndarray, values: np.ndarray, limits):
    """One optimizer's row: log₁₀ ``values`` over cells centred on its α (grey: not finite)."""
    logs = np.log10(alphas)
    edges = 10 ** np.concatenate([[logs[0] - 0.25], (logs[1:] + logs[:-1]) / 2, [logs[-1] + 0.25]])
    with np.errstate(divide="ignore"):
        shown = np.where(np.isfinite(values), np.log10(np.maximum(values, 1e-12)), np.nan)
    cmap = matplotlib.colormaps["viridis"].with_extremes(bad="0.75")
    return ax.pcolormesh(
        edges,
        [row - 0.5, row + 0.5],
        np.ma.masked_invalid(shown[None]),
        cmap=cmap,
        vmin=limits[0],
        vmax=limits[1],
    )


def _mark_tuning(ax, row: int, alphas: np.ndarray, chosen: int, good: np.ndarray) -> None:
    """A white dot at the tuned α and a white frame from the lowest to the highest good α."""
    ax.plot(alphas[chosen], row, "o", color="white", ms=3.5, mec="black", mew=0.5)
    good = np.flatnonzero(good)
    if good.size:
        low, high = alphas[good[0]] * 10**-0.25, alphas[good[-1]] * 10**0.25
        frame = Rectangle((low, row - 0.42), high - low, 0.84, fill=False, ec="white", lw=1.0)
        ax.add_patch(frame)
