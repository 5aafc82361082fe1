"""Polyak's optimum measured against predicted: sections "The phase diagram" (the table of
rates and step counts) and "Measured against predicted" (‖θ_t‖ at the optimum).

At Polyak's optimal (α, β) every eigendirection of ``½ θᵀQθ`` contracts by
``(√κ − 1)/(√κ + 1)`` per step, against ``(κ − 1)/(κ + 1)`` for gradient descent at
``α* = 2/(λ_min + λ_max)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from lab import analysis, plot, problems
from lab.ch4_momentum.valley import first_below
from lab.trajectory import trajectory
from optimizers.momentum import sgd

RATE_STEPS = 800
"""Steps of the rate runs: GD at κ = 100 needs 691 steps to shrink ‖θ‖ a millionfold."""

TOLERANCE = 1e-6
"""The accuracy asked for in iteration counts: ‖θ_t‖ ≤ tol · ‖θ₀‖."""


class IterationSummary(NamedTuple):
    """Rates and step counts from the rates alone, for a condition number κ.

    Attributes:
        kappa: κ = λ_max/λ_min.
        tolerance: the accuracy asked for, ‖θ_t‖ ≤ tol · ‖θ₀‖.
        gd_rate: (κ − 1)/(κ + 1), gradient descent at α* (per step).
        momentum_rate: (√κ − 1)/(√κ + 1), the heavy ball at Polyak's (α, β).
        gd_steps: ``⌈log tol / log gd_rate⌉`` (``analysis.iterations_to_tolerance``).
        momentum_steps: the same for the heavy ball.
    """

    kappa: float
    tolerance: float
    gd_rate: float
    momentum_rate: float
    gd_steps: int
    momentum_steps: int


def iteration_summary(kappa: float, tol: float = TOLERANCE) -> IterationSummary:
    """The rates of gradient descent and the heavy ball at their optima, and the steps to ``tol``."""
    Q = np.diag([1.0, kappa])
    alpha, beta = analysis.optimal_momentum(Q)
    gd = analysis.gd_rate(Q, analysis.optimal_learning_rate(Q))
    heavy = analysis.momentum_rate(Q, alpha, beta)
    return IterationSummary(
        float(kappa), tol, gd, heavy,
        int(analysis.iterations_to_tolerance(gd, tol)),
        int(analysis.iterations_to_tolerance(heavy, tol)),
    )  # fmt: skip


def measured_rate(norms: np.ndarray, start: int, stop: int) -> float:
    """``(‖θ_stop‖ / ‖θ_start‖)^(1/(stop − start))``: the average contraction per step."""
    norms = np.asarray(norms, np.float64)
    return float((norms[stop] / norms[start]) ** (1.0 / (stop - start)))


class RateWindow(NamedTuple):
    """The heavy ball's measured rate over the steps [start, stop], and its bounds.

    Attributes:
        start, stop: the window, in steps.
        measured: ``(‖θ_stop‖ / ‖θ_start‖)^(1/(stop − start))``.
        low: ρ, the predicted rate.
        high: ``ρ (stop/start)^(1/(stop − start))``: with ‖θ_t‖ = ρ^t (a + b t)
            (a, b ≥ 0) the measured ratio lies between ``low`` and ``high``.
    """

    start: int
    stop: int
    measured: float
    low: float
    high: float


class StepsToTolerance(NamedTuple):
    """The first t with ‖θ_t‖ ≤ tol ‖θ₀‖ in the runs of an :class:`OptimumRun`.

    Attributes:
        tolerance: tol.
        gd: that step for gradient descent at α* (``None``: not within the run).
        heavy_ball: that step for the heavy ball at Polyak's (α, β).
    """

    tolerance: float
    gd: int | None
    heavy_ball: int | None


class OptimumRun(NamedTuple):
    """Gradient descent at α* and the heavy ball at Polyak's (α, β) on ``½ θᵀ diag(λ) θ``.

    Attributes:
        eigenvalues: (λ_min, λ_max).
        kappa: κ.
        gd_learning_rate: α* = 2/(λ_min + λ_max).
        gd_rate: (κ − 1)/(κ + 1) (``analysis.gd_rate``).
        learning_rate, momentum: Polyak's (α, β) (``analysis.optimal_momentum``).
        rate: ``analysis.momentum_rate`` there, (√κ − 1)/(√κ + 1).
        gd_norms, norms: ‖θ_t‖ of the two runs, t = 0 … T (T = :data:`RATE_STEPS`).
        gd_predicted: ``ρ_GD^t ‖θ₀‖`` (exact in 2-D at α*).
        predicted: ``ρ^t (Σᵢ z_{0,i}² (1 + (1 − rᵢ) t)²)^½`` with the double
            roots ``r = +√β`` (λ_min) and ``−√β`` (λ_max): exact at the optimum.
        start: θ₀.
    """

    eigenvalues: tuple[float, float]
    kappa: float
    gd_learning_rate: float
    gd_rate: float
    learning_rate: float
    momentum: float
    rate: float
    gd_norms: np.ndarray
    norms: np.ndarray
    gd_predicted: np.ndarray
    predicted: np.ndarray
    start: np.ndarray

    def window(self, start: int, stop: int) -> RateWindow:
        """The heavy ball's measured rate over [start, stop] and its bounds."""
        measured = measured_rate(self.norms, start, stop)
        high = self.rate * (stop / start) ** (1.0 / (stop - start))
        return RateWindow(start, stop, measured, self.rate, high)

    def steps_to(self, tol: float = TOLERANCE) -> StepsToTolerance:
        """The first t with ‖θ_t‖ ≤ tol ‖θ₀‖, for gradient descent and for the heavy ball."""
        return StepsToTolerance(tol, first_below(self.gd_norms, tol), first_below(self.norms, tol))

    @property
    def max_relative_error(self) -> float:
        """The largest ``|measured − predicted| / predicted`` of either run, while ‖θ_t‖ > 10⁻²⁵."""
        errors = []
        for measured, predicted in (
            (self.gd_norms, self.gd_predicted),
            (self.norms, self.predicted),
        ):
            keep = predicted > 1e-25
            errors.append(np.max(np.abs(measured[keep] - predicted[keep]) / predicted[keep]))
        return float(max(errors))


def optimum_run(eigenvalues: Sequence[float] = (0.4, 4.0), start=(-4.0, 1.0)) -> OptimumRun:
    """Run GD at α* and the heavy ball at Polyak's optimum; predict ‖θ_t‖ exactly.

    At the optimum both eigendirections are critically damped: T has a double
    root r, and ``z_t = z_0 (1 + (1 − r) t) r^t`` (from ``z_{−1} = z_0``, i.e. v₀ = 0).
    """
    lam = np.asarray(eigenvalues, np.float64)
    Q = np.diag(lam)
    x0 = np.asarray(start, np.float32)
    a_gd = analysis.optimal_learning_rate(Q)
    alpha, beta = analysis.optimal_momentum(Q)

    def norms(**hyper):
        run = trajectory(sgd, problems.quadratic_loss, x0, RATE_STEPS, loss_args=(Q,), **hyper)
        return np.linalg.norm(np.asarray(run.params, np.float64), axis=1)

    t = np.arange(RATE_STEPS + 1)
    z0 = np.asarray(start, np.float64)
    rho = math.sqrt(beta)
    roots = np.array([rho, -rho])
    gd_rate = analysis.gd_rate(Q, a_gd)
    with np.errstate(under="ignore"):
        growth = (1 + (1 - roots)[None, :] * t[:, None]) * z0[None, :]
        predicted = rho**t * np.linalg.norm(growth, axis=1)
        gd_predicted = gd_rate**t * np.linalg.norm(z0)
    return OptimumRun(
        (float(lam[0]), float(lam[1])), float(lam[1] / lam[0]), a_gd, gd_rate, alpha, beta,
        analysis.momentum_rate(Q, alpha, beta),
        norms(learning_rate=a_gd, momentum=0.0), norms(learning_rate=alpha, momentum=beta),
        gd_predicted, predicted, z0,
    )  # fmt: skip


_FLOOR = 1e-13
"""Norms below this (float32 round-off) are drawn at it."""


def _measured_and_predicted(ax, norms, predicted, color: str, name: str, rate: float) -> None:
    """One run: every few steps as dots (about three per e-fold), the prediction as a line."""
    t = np.arange(norms.size)
    every = max(1, round(-1 / math.log(rate) / 3))
    ax.plot(t[::every], np.maximum(norms[::every], _FLOOR), "o", color=color, markersize=3.5,
            markerfacecolor="white", label=f"{name}: measured")  # fmt: skip
    ax.plot(t, np.maximum(predicted, _FLOOR), "-", color=color, linewidth=1.4,
            label=f"predicted, rate {rate:.4f}")  # fmt: skip


def rates_figure(run: OptimumRun):
    """‖θ_t‖ measured (dots) and predicted (lines) for GD at α* and the heavy ball at the optimum.

    Section "Measured against predicted" (figure ``mom_rates``); draws an
    :class:`OptimumRun`.  Returns the figure.
    """
    fig, ax = plot.figure(ncols=1, width=7.2, height=3.9)
    t = np.arange(RATE_STEPS + 1)
    _measured_and_predicted(ax, run.gd_norms, run.gd_predicted, plot.color(1),
                            "gradient descent at α*", run.gd_rate)  # fmt: skip
    _measured_and_predicted(ax, run.norms, run.predicted, plot.color(0),
                            "heavy ball at Polyak's (α, β)", run.rate)  # fmt: skip
    ax.plot(t, run.rate**t * np.linalg.norm(run.start), ":", color=plot.color(0), linewidth=1.2,
            label="ρ^t ‖θ₀‖ without the factor t")  # fmt: skip
    ax.axhline(TOLERANCE * np.linalg.norm(run.start), color="0.4", linewidth=0.8)
    ax.text(RATE_STEPS * 0.99, TOLERANCE * np.linalg.norm(run.start) * 1.6, "10⁻⁶ ‖θ₀‖",
            ha="right", fontsize=8, color="0.3")  # fmt: skip
    ax.set_yscale("log")
    ax.set_ylim(1e-12, 30)
    ax.set_xlim(0, RATE_STEPS)
    ax.set_xlabel("step t")
    ax.set_ylabel("distance to the minimum ‖θ_t‖")
    lam = ", ".join(f"{x:g}" for x in run.eigenvalues)
    ax.set_title(f"½θᵀQθ with λ = {lam} (κ = {run.kappa:g})", fontsize=10)
    ax.legend(fontsize=8, loc="upper right", framealpha=0.9)
    return fig
