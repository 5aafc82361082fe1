"""Schedules, RAdam's rectifier as a warmup, and Adam with and without warmup on the digits MLP.

Section "Schedules and warmup" of ``book/wrappers.ipynb``:
:func:`schedules_and_rectifier` with :func:`schedules_figure` (figure
``wrap-fig-schedules``), and :func:`warmup_runs` with :func:`warmup_figure`
(figure ``wrap-fig-warmup``).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from lab import plot
from lab.ch5_adaptive import radam_rectifier
from lab.ch6_wrappers.digits_runs import BASE_BATCH, BATCH_STEPS, all_runs
from optimizers.schedules import (
    constant_schedule,
    cosine_decay_schedule,
    exponential_decay,
    linear_schedule,
    step_decay,
    warmup_cosine_decay_schedule,
)
from optimizers.validation import as_whole

WARMUP_BATCH = 32
"""The batch size of the warmup experiment."""


class SchedulesAndRectifier(NamedTuple):
    """The package's schedules over T steps, and RAdam's rectifier r_t beside linear warmups.

    Fields:
        steps: t = 0, …, T − 1 of the schedules.
        labels: the name of each schedule, as the figure's legend shows it.
        values: α_t/α of each schedule (peak α = 1), shape (len(labels), T).
        b2: β₂ of the rectifier.
        rectifier_steps: t = 1, …, 6/(1 − β₂) of the rectifier.
        rectifier: r_t at those steps (0 before the rectifier switches on).
        warmup_length: 2/(1 − β₂), in steps.
        equivalent_warmup: w, the length in steps of the linear warmup with the same
            total deficit Σ_t (1 − r_t) = w/2.
        r_at_length: r_t at t = 2/(1 − β₂).
        r_half_step: the first step t with r_t ≥ ½.
        step_value_500: α_t/α of the step schedule (×0.1 every 400) at t = 500.
        cosine_mid: α_t/α of the cosine schedule at t = T/2.
        warmup_first: α_t/α of the warmup + cosine schedule at t = 0.
    """

    steps: np.ndarray
    labels: tuple[str, ...]
    values: np.ndarray
    b2: float
    rectifier_steps: np.ndarray
    rectifier: np.ndarray
    warmup_length: float
    equivalent_warmup: float
    r_at_length: float
    r_half_step: int
    step_value_500: float
    cosine_mid: float
    warmup_first: float


def _schedules(total: int) -> dict:
    """Label → schedule (peak 1) of the left panel of ``wrap-fig-schedules``."""
    return {
        "constant": constant_schedule(1.0),
        "exponential, ×0.5 per 200": exponential_decay(1.0, 200, 0.5),
        "step, ×0.1 every 400": step_decay(1.0, 400, 0.1),
        "cosine": cosine_decay_schedule(1.0, total),
        "warmup 100 + cosine": warmup_cosine_decay_schedule(0.0, 1.0, 100, total),
        "linear warmup 200": linear_schedule(0.0, 1.0, 200),
    }


def schedules_and_rectifier(total_steps: int = 1000, b2: float = 0.999) -> SchedulesAndRectifier:
    """The package's schedules over ``total_steps``, and RAdam's r_t for β₂ = ``b2``.

    The equivalent warmup is the length w of the linear warmup with the same
    total deficit Σ_t (1 − r_t) = w/2.
    """
    t = np.arange(total_steps)
    schedules = _schedules(total_steps)
    values = np.stack([np.asarray(jax.vmap(s)(jnp.asarray(t))) for s in schedules.values()])
    column = {label: row for label, row in zip(schedules, values, strict=True)}
    horizon = int(6 / (1 - b2))
    steps = np.arange(1, horizon + 1)
    r = np.nan_to_num(radam_rectifier(steps, b2), nan=0.0)
    length = 2 / (1 - b2)
    return SchedulesAndRectifier(
        steps=t,
        labels=tuple(schedules),
        values=values,
        b2=b2,
        rectifier_steps=steps,
        rectifier=r,
        warmup_length=length,
        equivalent_warmup=2 * float(np.sum(1 - r)),
        r_at_length=float(r[int(length) - 1]),
        r_half_step=int(steps[np.argmax(r >= 0.5)]),
        step_value_500=float(column["step, ×0.1 every 400"][500]),
        cosine_mid=float(column["cosine"][total_steps // 2]),
        warmup_first=float(column["warmup 100 + cosine"][0]),
    )


def _draw_schedules(ax: Axes, result: SchedulesAndRectifier) -> None:
    for i, (label, values) in enumerate(zip(result.labels, result.values, strict=True)):
        # the constant is drawn last and dashed: at 1 it runs under the warmups' flat parts
        style = {"ls": "--", "zorder": 3} if label == "constant" else {}
        ax.plot(result.steps, values, color=plot.color(i), lw=1.4, label=label, **style)
    ax.set_xlabel("step t")
    ax.set_ylabel("α_t / α")
    ax.set_title("opt.schedules", fontsize=10)
    ax.legend(fontsize=7.5, loc="upper right")
    ax.set_ylim(0, 1.1)


def _draw_rectifier(ax: Axes, result: SchedulesAndRectifier) -> None:
    steps, length, equivalent = (
        result.rectifier_steps,
        result.warmup_length,
        result.equivalent_warmup,
    )
    ax.plot(
        steps,
        result.rectifier,
        color=plot.color(1),
        lw=1.6,
        label=f"RAdam's r_t, β₂ = {result.b2:g}",
    )
    ax.plot(
        steps,
        np.minimum(steps / length, 1),
        color="0.3",
        lw=1.2,
        ls="--",
        label=f"linear warmup, 2/(1 − β₂) = {length:.0f} steps",
    )
    ax.plot(
        steps,
        np.minimum(steps / equivalent, 1),
        color=plot.color(0),
        lw=1.8,
        ls=":",
        label=f"linear warmup, same deficit: {equivalent:.0f} steps",
    )
    ax.set_xlabel("step t")
    ax.set_title("the rectifier is a warmup", fontsize=10)
    ax.legend(fontsize=7.5, loc="lower right")
    ax.set_ylim(0, 1.05)
    ax.set_xlim(0, steps[-1])


def schedules_figure(result: SchedulesAndRectifier) -> Figure:
    """Left: the package's schedules.  Right: RAdam's r_t against two linear warmups.

    Draws section "Schedules and warmup" (figure ``wrap-fig-schedules``).
    """
    fig, (left, right) = plot.figure(ncols=2, width=4.6, height=3.4)
    _draw_schedules(left, result)
    _draw_rectifier(right, result)
    return fig


class WarmupRuns(NamedTuple):
    """Adam on the digits MLP at B = :data:`WARMUP_BATCH`, with and without a linear warmup.

    Row i of each array is the run at ``learning_rates[i]``; T = :data:`BATCH_STEPS`.
    Each pair of runs is repeated for ``orders`` data orders: at the larger α one
    run is chaotic enough that the order alone moves its accuracy by a few points.

    Fields:
        learning_rates: the peak α of each pair of runs, as given.
        warmup: w, the warmup's length in steps (α_t rises from α/w to α over w steps).
        batch_size: B = :data:`WARMUP_BATCH`.
        orders: how many data orders each setting was run with (0, 1, …).
        losses_none: the mini-batch losses without warmup in order 0, shape (len(α), T).
        losses_warmup: the mini-batch losses with the warmup in order 0, shape (len(α), T).
        accuracy_none: the validation accuracy without warmup (fractions), per α and
            order, shape (len(α), orders).
        accuracy_warmup: the validation accuracy with the warmup, shape (len(α), orders).
    """

    learning_rates: tuple[float, ...]
    warmup: float
    batch_size: int
    orders: int
    losses_none: np.ndarray
    losses_warmup: np.ndarray
    accuracy_none: np.ndarray
    accuracy_warmup: np.ndarray

    @property
    def mean_gain(self) -> np.ndarray:
        """Per α: the mean over orders of the accuracy with warmup minus without."""
        return np.mean(self.accuracy_warmup - self.accuracy_none, axis=1)

    @property
    def order_spread(self) -> float:
        """The largest change of one setting's accuracy from one data order to another."""
        both = np.concatenate([self.accuracy_none, self.accuracy_warmup])
        return float(np.max(np.ptp(both, axis=1)))


def warmup_runs(
    learning_rates=(0.01, 0.03, 0.1), warmup: float = 50.0, orders: int = 3
) -> WarmupRuns:
    """Adam on the digits MLP at B = :data:`WARMUP_BATCH`, with and without a linear warmup.

    For each α: w = 1 (no warmup) and w = ``warmup``, α_t rising from α/w to α
    over w steps (``opt.schedules.linear_schedule``), in each of ``orders`` data
    orders.  The same compiled program as the large-batch experiment.
    """
    rates = tuple(float(a) for a in learning_rates)
    orders = as_whole(orders, "orders")
    settings = tuple(
        ("adam", a * BASE_BATCH / WARMUP_BATCH, w) for a in rates for w in (1.0, float(warmup))
    )
    by_order = [all_runs(settings, (WARMUP_BATCH,), order) for order in range(orders)]

    def accuracy(first: int) -> np.ndarray:  # first = 0: no warmup, 1: warmup
        return np.array([[float(r.accuracy[0]) for r in runs[first::2]] for runs in by_order]).T

    return WarmupRuns(
        learning_rates=rates,
        warmup=float(warmup),
        batch_size=WARMUP_BATCH,
        orders=orders,
        losses_none=np.stack([r.losses[0] for r in by_order[0][0::2]]),
        losses_warmup=np.stack([r.losses[0] for r in by_order[0][1::2]]),
        accuracy_none=accuracy(0),
        accuracy_warmup=accuracy(1),
    )


def warmup_figure(runs: WarmupRuns) -> Figure:
    """Adam's training loss with (dashed) and without (solid) warmup, one colour per α.

    Draws section "Schedules and warmup" (figure ``wrap-fig-warmup``).
    """
    fig, ax = plot.figure(ncols=1, width=6.0, height=3.4)
    t = np.arange(1, BATCH_STEPS + 1)
    for i, a in enumerate(runs.learning_rates):
        for losses, accuracy, style, what in (
            (runs.losses_none[i], runs.accuracy_none[i, 0], "-", "no warmup"),
            (runs.losses_warmup[i], runs.accuracy_warmup[i, 0], "--", f"warmup {runs.warmup:g}"),
        ):
            smooth = np.convolve(np.nan_to_num(losses, nan=30.0), np.ones(10) / 10, mode="valid")
            ax.plot(
                t[9:],
                np.clip(smooth, 1e-4, 30),
                style,
                color=plot.color(i),
                lw=1.4,
                label=f"α = {a:g}, {what}: val. acc. {accuracy:.2f}",
            )
    ax.set_yscale("log")
    ax.set_xlim(0, BATCH_STEPS)
    ax.set_xlabel("step t")
    ax.set_ylabel("mini-batch loss (mean of 10)")
    ax.set_title(f"Adam on the digits MLP, B = {runs.batch_size}", fontsize=10)
    ax.legend(fontsize=7.5, loc="upper right", ncols=1)
    return fig
