"""The effective learning rate of Adagrad, RMSprop and Adam over a long run of noise."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from matplotlib.figure import Figure

from lab import plot, registry
from lab.ch5_adaptive.rare_feature import SPARSE_BATCH, SPARSE_STEPS, sparse_regression
from lab.ch5_adaptive.recording import StateHistory, record_states

__all__ = ["EFFECTIVE_STEPS", "EffectiveRates", "effective_learning_rate_figure", "effective_rates"]

EFFECTIVE_STEPS = SPARSE_STEPS
"""Steps T of each run (the regression runs' length, so each method compiles once)."""

_METHODS = {"Adagrad": "adagrad", "RMSprop": "rmsprop", "Adam": "adam"}


class EffectiveRates(NamedTuple):
    """Adagrad's, RMSprop's and Adam's per-coordinate effective learning rates against t.

    Attributes:
        learning_rate: α, the same for all three.
        steps: T, the steps of each run.
        rates: method label ("Adagrad", "RMSprop", "Adam") → rates after steps
            1 … T, shape ``(T, 2)``: α/√(s_t + ε) (Adagrad, RMSprop) or
            α/(√ŝ_t + ε) (Adam); NaN before the coordinate's first non-zero gradient.
        adagrad_common, rmsprop_common, adam_common: each method's rate of θ₁
            (the common feature) at step T.
        adagrad_slope: the slope of log(Adagrad's θ₁ rate) against log t over the
            last decade of steps, T/10 ≤ t ≤ T (−½ for a rate ∝ 1/√t).
        rmsprop_rare_min, rmsprop_rare_max: the smallest and largest of RMSprop's
            θ₂ (rare feature) rates over that decade.
    """

    learning_rate: float
    steps: int
    rates: dict[str, np.ndarray]
    adagrad_common: float
    rmsprop_common: float
    adam_common: float
    adagrad_slope: float
    rmsprop_rare_min: float
    rmsprop_rare_max: float


def _rates_from_state(name: str, history: StateHistory, learning_rate: float) -> np.ndarray:
    """α/√(s_t + ε) (Adagrad, RMSprop) or α/(√ŝ_t + ε) (Adam), per step and coordinate.

    The package's defaults: ε = 1e-7 (Adagrad), 1e-8 inside the root (RMSprop),
    1e-8 outside it and β₂ = 0.999 (Adam).
    """
    state = history.states[0]
    if name == "Adagrad":
        return learning_rate / np.sqrt(state.sum_of_squares + 1e-7)
    if name == "RMSprop":
        return learning_rate / np.sqrt(state.nu + 1e-8)
    t = state.count.astype(np.float64)[:, None]
    s_hat = state.nu / (1 - 0.999**t)
    return learning_rate / (np.sqrt(s_hat) + 1e-8)


def _seen_rates(name: str, learning_rate: float) -> np.ndarray:
    """One method's rates from the minimiser on, NaN before a coordinate first moves."""
    problem = sparse_regression()
    history = record_states(
        registry.OPTIMIZERS[_METHODS[name]], problem, EFFECTIVE_STEPS, batch_size=SPARSE_BATCH,
        seed=2, x0=problem.minima[0], learning_rate=learning_rate,
    )  # fmt: skip
    rates = _rates_from_state(name, history, learning_rate)
    seen = np.cumsum(np.abs(np.diff(history.params, axis=0)) > 0, axis=0) > 0
    return np.where(seen, rates, np.nan)


def effective_rates(learning_rate: float = 0.05) -> EffectiveRates:
    """Adagrad, RMSprop and Adam, with the same α and their default decays, on noise alone.

    Each runs on :func:`~lab.ch5_adaptive.rare_feature.sparse_regression` with
    mini-batches of 10, *starting at the minimiser* θ*: every gradient is
    mini-batch noise of a constant size, the regime of a long training run.
    s_t is read from each optimizer's state after every step.
    """
    rates = {name: _seen_rates(name, learning_rate) for name in _METHODS}
    steps = np.arange(1, EFFECTIVE_STEPS + 1)
    late = steps >= EFFECTIVE_STEPS // 10
    slope = np.polyfit(np.log(steps[late]), np.log(rates["Adagrad"][late, 0]), 1)[0]
    return EffectiveRates(
        learning_rate=learning_rate,
        steps=EFFECTIVE_STEPS,
        rates=rates,
        adagrad_common=float(rates["Adagrad"][-1, 0]),
        rmsprop_common=float(rates["RMSprop"][-1, 0]),
        adam_common=float(rates["Adam"][-1, 0]),
        adagrad_slope=float(slope),
        rmsprop_rare_min=float(np.nanmin(rates["RMSprop"][late, 1])),
        rmsprop_rare_max=float(np.nanmax(rates["RMSprop"][late, 1])),
    )


def effective_learning_rate_figure(result: EffectiveRates) -> Figure:
    """The section "Effective learning rates over time": each method's rate, per coordinate.

    A coordinate's curve starts at its first non-zero gradient (before it, the
    step is 0 whatever the rate); the dotted line is α.
    """
    fig, axes = plot.figure(ncols=2, width=4.6, height=3.4)
    steps = np.arange(1, result.steps + 1)
    for coordinate, ax in enumerate(axes):
        for i, (name, rates) in enumerate(result.rates.items()):
            ax.plot(steps, rates[:, coordinate], color=plot.color(i), lw=1.2, label=name)
        ax.axhline(result.learning_rate, color="0.5", lw=0.8, ls=":")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("step t")
        ax.set_xlim(1, result.steps)
        kind = "common feature" if coordinate == 0 else "rare feature"
        ax.set_title(f"θ{'₁₂'[coordinate]} ({kind})", fontsize=10)
    axes[0].set_ylabel("effective learning rate")
    axes[0].legend(fontsize=9, loc="lower left")
    return fig
