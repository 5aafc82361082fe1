"""Section "Constant learning rates stall at a noise floor".

Stochastic gradient descent (B = 1) on the regression problem with three constant
learning rates and two decaying schedules, each from several seeds:
:func:`schedule_noise_floor` measures the floors of the constant rates and how low each
setting gets, against the prediction ``α tr(C)/4``; :func:`noise_floor_figure` draws it.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import numpy as np
from matplotlib.figure import Figure

from lab import plot
from lab.ch1_gradient_descent.stochastic_runs import (
    EPOCHS,
    per_example_gradients,
    regression_problem,
    stochastic_run,
)

__all__ = [
    "ConstantRateFloor",
    "ScheduleNoiseFloor",
    "ScheduleRuns",
    "noise_floor_figure",
    "schedule_noise_floor",
]


class ScheduleRuns(NamedTuple):
    """Stochastic gradient descent (B = 1) with one learning-rate setting, from several seeds.

    Attributes:
        label: the setting, as the figure's legend names it (``"α = 0.1 (constant)"`` …).
        runs: the :class:`~lab.trajectory.Trajectory` of each seed (0, 1, …).
        gaps: ``L(θ_t) − L_min`` at every step t, averaged over the seeds.
        final_gap: the mean of ``gaps`` over the last quarter of the run.
    """

    label: str
    runs: tuple
    gaps: np.ndarray
    final_gap: float


class ConstantRateFloor(NamedTuple):
    """The noise floor of a constant learning rate α, measured and predicted.

    Attributes:
        learning_rate: α.
        measured: the mean of the seed-averaged gap ``L(θ_t) − L_min`` over the second
            half of the run.
        predicted: ``α tr(C) / 4``, the small-α prediction, with C the covariance of
            one example's gradient at the minimiser θ*.
    """

    learning_rate: float
    measured: float
    predicted: float


class ScheduleNoiseFloor(NamedTuple):
    """Constant learning rates stall at a noise floor; decaying ones get below it.

    Attributes:
        constant_large: :class:`ScheduleRuns` with the large constant α (0.1).
        constant_small: with the small constant α (0.01).
        constant_slow: with the slow constant α (0.001).
        exponential: with α decaying exponentially from 0.1 to 0.001 over the run.
        inverse_time: with ``α_t = 0.1/(1 + t/20)`` (Robbins–Monro).
        large_floor: the :class:`ConstantRateFloor` of the large constant α.
        small_floor: the :class:`ConstantRateFloor` of the small constant α.
    """

    constant_large: ScheduleRuns
    constant_small: ScheduleRuns
    constant_slow: ScheduleRuns
    exponential: ScheduleRuns
    inverse_time: ScheduleRuns
    large_floor: ConstantRateFloor
    small_floor: ConstantRateFloor


def _constant_label(alpha: float) -> str:
    return f"α = {alpha:g} (constant)"


def _schedule_runs(label: str, setting: dict, seeds: int, steps: int) -> ScheduleRuns:
    """``seeds`` runs with the arguments ``setting`` of :func:`stochastic_run`, and their gaps."""
    min_value = regression_problem().min_value
    runs = tuple(stochastic_run(1, jax.random.PRNGKey(seed), **setting) for seed in range(seeds))
    losses = np.mean([np.asarray(run.losses, np.float64) for run in runs], axis=0)
    gaps = losses - min_value
    return ScheduleRuns(label, runs, gaps, float(np.mean(gaps[-(steps // 4) :])))


def _floor(runs: ScheduleRuns, alpha: float, trace_c: float, steps: int) -> ConstantRateFloor:
    return ConstantRateFloor(alpha, float(np.mean(runs.gaps[steps // 2 :])), alpha * trace_c / 4)


def schedule_noise_floor(
    large_rate: float = 0.1, small_rate: float = 0.01, slow_rate: float = 0.001, seeds: int = 3
) -> ScheduleNoiseFloor:
    """Stochastic gradient descent (B = 1) for ``EPOCHS`` epochs with each setting, ``seeds`` times.

    The constant rates ``large_rate`` and ``small_rate`` have their floors measured
    (over the second half of the run); ``slow_rate`` is too slow to reach its own.
    The schedules take α from 0.1 to 0.001 exponentially, and ``0.1/(1 + t/20)``.
    """
    problem = regression_problem()
    steps = EPOCHS * problem.num_examples
    settings = {
        "constant_large": (_constant_label(large_rate), {"learning_rate": large_rate}),
        "constant_small": (_constant_label(small_rate), {"learning_rate": small_rate}),
        "constant_slow": (_constant_label(slow_rate), {"learning_rate": slow_rate}),
        "exponential": ("exponential decay 0.1 → 0.001",
                        {"learning_rate": 0.1, "step_decay": 0.01 ** (1 / steps)}),
        "inverse_time": ("α₀/(1 + t/τ), α₀ = 0.1, τ = 20",
                         {"learning_rate": 0.1, "inverse_time": 1 / 20}),
    }  # fmt: skip
    runs = {
        name: _schedule_runs(label, setting, seeds, steps)
        for name, (label, setting) in settings.items()
    }
    per_example = np.asarray(per_example_gradients(problem, problem.minima[0]), np.float64)
    trace_c = float(np.trace(np.cov(per_example.T, bias=True)))
    return ScheduleNoiseFloor(
        **runs,
        large_floor=_floor(runs["constant_large"], large_rate, trace_c, steps),
        small_floor=_floor(runs["constant_small"], small_rate, trace_c, steps),
    )


def _smoothed(values: np.ndarray, window: int) -> np.ndarray:
    """Moving average over ``window`` consecutive values."""
    return np.convolve(values, np.ones(window) / window, mode="valid")


def noise_floor_figure(floor: ScheduleNoiseFloor) -> Figure:
    """Section "Constant learning rates stall at a noise floor": the gap against epochs.

    The large and the slow constant α and the two schedules: the gap averaged over
    the seeds and over a moving window of one epoch (B = 1 losses jump at every
    step), and the large α's predicted floor ``α tr(C)/4`` (dotted).
    """
    n = regression_problem().num_examples
    shown = (floor.constant_large, floor.constant_slow, floor.exponential, floor.inverse_time)
    fig, ax = plot.figure(ncols=1, width=8.6, height=3.9)
    for i, setting in enumerate(shown):
        smooth = _smoothed(setting.gaps, n)
        ax.semilogy((np.arange(smooth.size) + n) / n, smooth, color=plot.color(i),
                    label=setting.label, linewidth=1.6)  # fmt: skip
    large = floor.large_floor
    ax.axhline(large.predicted, color=plot.color(0), linestyle=":", linewidth=1.2,
               label=f"predicted floor α tr(C)/4, α = {large.learning_rate:g}")  # fmt: skip
    ax.set_xlabel("epochs (B = 1: n steps per epoch)")
    ax.set_ylabel("L(θ_t) − L_min")
    ax.set_title(f"stochastic gradient descent, mean of {len(floor.constant_large.runs)} runs")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    ax.minorticks_off()
    return fig
