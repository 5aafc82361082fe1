"""AdaBound and AMSBound: Adam's per-coordinate rate, clipped to a band that closes on α*."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import NullLocator

from lab import plot, registry
from lab.ch5_adaptive.rare_feature import SPARSE_BATCH, SPARSE_STEPS, sparse_regression
from lab.ch5_adaptive.recording import StateHistory, record_states

__all__ = ["ADABOUND_STEPS", "BoundedRates", "adabound_bounds", "adabound_figure", "adabound_run"]

ADABOUND_STEPS = SPARSE_STEPS
"""Steps of the AdaBound run on the regression problem."""


def adabound_bounds(
    t: Any, final_lr: float = 0.1, gamma: float = 1e-3
) -> tuple[np.ndarray, np.ndarray]:
    """``η_l(t) = α*(1 − 1/(γt + 1))`` and ``η_u(t) = α*(1 + 1/(γt))``, ``α* = final_lr``."""
    t = np.asarray(t, np.float64)
    return final_lr * (1 - 1 / (gamma * t + 1)), final_lr * (1 + 1 / (gamma * t))


def _adabound_rates(
    history: StateHistory, learning_rate, final_lr, gamma, b1=0.9, b2=0.999, eps=1e-8
):
    """Adam's per-coordinate rate ``α√(1 − β₂^t)/((1 − β₁^t)(√s_t + ε))`` and its clipped value."""
    state = history.states[1]  # chain(add_decayed_weights, scale_by_adabound, scale(−1))
    t = state.count.astype(np.float64)[:, None]
    raw = learning_rate * np.sqrt(1 - b2**t) / ((1 - b1**t) * (np.sqrt(state.nu) + eps))
    lower, upper = adabound_bounds(t, final_lr, gamma)
    return raw, np.clip(raw, lower, upper)


class BoundedRates(NamedTuple):
    """AdaBound's per-coordinate rates along a run on the regression problem.

    Attributes:
        learning_rate: α, Adam's learning rate inside AdaBound.
        final_lr: α*, where the band closes.
        gamma: γ, how fast it closes.
        steps: T, the steps of the run.
        raw: Adam's rate α√(1 − β₂^t)/((1 − β₁^t)(√s_t + ε)) after steps 1 … T, shape ``(T, 2)``.
        clipped: the rate AdaBound uses, ``raw`` clipped to [η_l(t), η_u(t)].
        update_difference: the largest |θ_t − θ_{t−1} + clipped_t ⊙ m_t| over the
            largest step: how far the package's update is from −η_t ⊙ m_t.
        lower_1, upper_1: η_l(1) and η_u(1).
        lower_end, upper_end: η_l(T) and η_u(T).
        raw_end, clipped_end: ``raw`` and ``clipped`` at step T, shape ``(2,)``.
        within_10_percent: the step from which η_l ≥ 0.9 α* and η_u ≤ 1.1 α* (10/γ).
        clipped_fraction_end: the fraction of coordinates whose rate is clipped at step T.
    """

    learning_rate: float
    final_lr: float
    gamma: float
    steps: int
    raw: np.ndarray
    clipped: np.ndarray
    update_difference: float
    lower_1: float
    upper_1: float
    lower_end: float
    upper_end: float
    raw_end: np.ndarray
    clipped_end: np.ndarray
    within_10_percent: int
    clipped_fraction_end: float


def adabound_run(
    learning_rate: float = 1e-3, final_lr: float = 0.1, gamma: float = 1e-3
) -> BoundedRates:
    """AdaBound on :func:`~lab.ch5_adaptive.rare_feature.sparse_regression` (mini-batches of 10).

    Reads Adam's rate and the clipped rate from the optimizer's state after every
    step, and checks the package's update against ``−η_t ⊙ m_t`` along the way.
    """
    history = record_states(
        registry.OPTIMIZERS["adabound"], sparse_regression(), ADABOUND_STEPS,
        batch_size=SPARSE_BATCH, seed=3,
        learning_rate=learning_rate, final_lr=final_lr, gamma=gamma,
    )  # fmt: skip
    raw, clipped = _adabound_rates(history, learning_rate, final_lr, gamma)
    lower, upper = adabound_bounds(np.arange(1, ADABOUND_STEPS + 1), final_lr, gamma)
    steps_taken = np.diff(history.params, axis=0)
    mu = history.states[1].mu
    difference = np.max(np.abs(steps_taken + clipped * mu)) / np.max(np.abs(steps_taken))
    first_lower, first_upper = adabound_bounds(1, final_lr, gamma)
    return BoundedRates(
        learning_rate=learning_rate,
        final_lr=final_lr,
        gamma=gamma,
        steps=ADABOUND_STEPS,
        raw=raw,
        clipped=clipped,
        update_difference=float(difference),
        lower_1=float(first_lower),
        upper_1=float(first_upper),
        lower_end=float(lower[-1]),
        upper_end=float(upper[-1]),
        raw_end=raw[-1],
        clipped_end=clipped[-1],
        # η_l ≥ 0.9 α* from t = 9/γ, η_u ≤ 1.1 α* from t = 10/γ
        within_10_percent=math.ceil(max(9 / gamma, 10 / gamma)),
        clipped_fraction_end=float(np.mean(clipped[-1] != raw[-1])),
    )


def _log_axes(ax: Axes, last: float) -> None:
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_xlim(1, last)
    ax.set_xlabel("step t")


def _draw_band(ax: Axes, final_lr: float, gamma: float) -> None:
    """η_l(t) and η_u(t) for γ and 10γ, closing in on α*."""
    long = np.logspace(0, 6, 300)
    for i, g in enumerate((gamma, 10 * gamma)):
        lower, upper = adabound_bounds(long, final_lr, g)
        style = "-" if i == 0 else "--"
        ax.plot(long, upper, style, color=plot.color(0), lw=1.4, label=f"η_u(t), γ = {g:g}")
        ax.plot(long, lower, style, color=plot.color(1), lw=1.4, label=f"η_l(t), γ = {g:g}")
    ax.axhline(final_lr, color="0.3", lw=0.8, ls=":")
    _log_axes(ax, long[-1])
    ax.set_title(f"the band around α* = {final_lr:g}", fontsize=10)
    ax.legend(fontsize=8, loc="upper right")


def _draw_rates(ax: Axes, result: BoundedRates) -> None:
    """Each coordinate's Adam rate (dashed) and the clipped rate it uses (solid), in the band."""
    t = np.arange(1, result.steps + 1)
    lower, upper = adabound_bounds(t, result.final_lr, result.gamma)
    ax.fill_between(t, lower, upper, color="0.9", label="band [η_l, η_u]")
    for coordinate in range(2):
        name = "θ₁ (common)" if coordinate == 0 else "θ₂ (rare)"
        color = plot.color(2 + coordinate)
        raw, clipped = result.raw[:, coordinate], result.clipped[:, coordinate]
        ax.plot(t, raw, color=color, lw=1.0, ls="--", label=f"Adam's rate, {name}")
        ax.plot(t, clipped, color=color, lw=1.6, label=f"clipped, {name}")
    _log_axes(ax, result.steps)
    ax.set_ylim(1e-4, 1e2)
    ax.set_title(f"AdaBound's per-coordinate rate (α = {result.learning_rate:g})", fontsize=10)
    ax.legend(fontsize=7.5, loc="upper right")


def adabound_figure(result: BoundedRates) -> Figure:
    """The section "AdaBound and AMSBound: from Adam to SGD": the band, and the clipped rates.

    Left: η_l(t) and η_u(t) for γ (and 10γ), closing in on α* = ``final_lr``.
    Right: each coordinate's Adam rate (dashed) and the clipped rate it actually
    uses (solid), inside the band.
    """
    fig, (bound_ax, rate_ax) = plot.figure(ncols=2, width=4.6, height=3.4)
    _draw_band(bound_ax, result.final_lr, result.gamma)
    _draw_rates(rate_ax, result)
    return fig
