"""Steps to a tolerance as κ grows, measured against the bounds (section "How many steps?").

At α* = 2/(λ_min + λ_max) the rate is ρ = (κ − 1)/(κ + 1), so at most
``N(ρ, tol) = ⌈ln(1/tol)/ln(1/ρ)⌉`` steps reach ``‖θ_t‖ ≤ tol ‖θ₀‖``, and at
least ``N(ρ, tol/c)`` with c the share of θ₀ in the two extreme eigendirections.
:func:`iterations_sweep` checks both on d-dimensional quadratics.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from lab import analysis, plot, problems
from lab.ch2_eigenvalues.level_sets import PATH, SLOW
from lab.ch2_eigenvalues.rate_panels import RATE_STEPS, TOLERANCE, steps_to_tolerance
from optimizers.momentum import sgd

__all__ = ["IterationSweep", "iterations_figure", "iterations_sweep"]


class IterationSweep(NamedTuple):
    """Measured against predicted steps to ``‖θ_t‖ ≤ tol ‖θ₀‖`` at α* for each κ.

    At α* the two extreme eigendirections contract by exactly ρ per step and
    the others by less, so with ``c = √(z²_{0,min} + z²_{0,max}) / ‖z₀‖``
    (the share of θ₀ in the extreme directions)

        c ρ^t ≤ ‖θ_t‖ / ‖θ₀‖ ≤ ρ^t.

    Attributes:
        condition_numbers: κ of each quadratic (λ_max = 1, λ_min = 1/κ).
        rates: ρ = (κ − 1)/(κ + 1), ``analysis.gd_rate`` at α*.
        predicted: ``analysis.iterations_to_tolerance(ρ, tol)``: the steps the
            upper bound ρ^t needs, an upper bound on the measured steps.
        lower: ``analysis.iterations_to_tolerance(ρ, tol/c)``: the steps the
            lower bound c ρ^t needs, a lower bound on the measured steps.
        measured: the first t with ``‖θ_t‖ ≤ tol ‖θ₀‖`` (NaN if not within ``RATE_STEPS``).
        shares: c for each κ.
        distances: ``‖θ_t‖ / ‖θ₀‖`` of each run, shape ``(len(κ), RATE_STEPS + 1)``.
        tol: the tolerance.
        dim: the dimension d.
    """

    condition_numbers: np.ndarray
    rates: np.ndarray
    predicted: np.ndarray
    lower: np.ndarray
    measured: np.ndarray
    shares: np.ndarray
    distances: np.ndarray
    tol: float
    dim: int

    def table(self) -> list[tuple[float, int, int, int]]:
        """``(κ, lower bound, measured, upper bound)`` for each κ, as plain numbers."""
        return [
            (float(k), int(lo), int(m), int(hi))
            for k, lo, m, hi in zip(
                self.condition_numbers, self.lower, self.measured, self.predicted, strict=True
            )
        ]


def iterations_sweep(
    condition_numbers: Sequence[float] = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
    dim: int = 10,
    tol: float = TOLERANCE,
    seed: int = 0,
) -> IterationSweep:
    """Gradient descent at α* = 2/(λ_min + λ_max) on d-dimensional quadratics of growing κ.

    Each quadratic has eigenvalues spaced geometrically from 1/κ to 1 and the
    same random eigenvectors and start (``problems.quadratic_nd(…, seed)``),
    so only κ changes; every run reuses one compiled program.
    """
    rows = [_steps_at_optimum(float(kappa), dim, tol, seed) for kappa in condition_numbers]
    columns = list(zip(*rows, strict=True))
    measured = np.array([np.nan if m is None else m for m in columns[4]], np.float64)
    return IterationSweep(
        np.array(columns[0]), np.array(columns[1]), np.array(columns[2]), np.array(columns[3]),
        measured, np.array(columns[5]), np.stack(columns[6]), tol, dim,
    )  # fmt: skip


def _steps_at_optimum(kappa: float, dim: int, tol: float, seed: int) -> tuple:
    """``(κ, ρ, upper-bound steps, lower-bound steps, measured steps, c, distances)`` of one run."""
    problem = problems.quadratic_nd(np.geomspace(1.0 / kappa, 1.0, dim), seed=seed)
    Q = np.asarray(problem.args[0], np.float64)
    alpha = analysis.optimal_learning_rate(Q)
    rho = analysis.gd_rate(Q, alpha)
    run = problem.run(sgd, RATE_STEPS, learning_rate=alpha)
    distances = np.linalg.norm(np.asarray(run.params, np.float64), axis=1)
    distances = distances / distances[0]
    measured = steps_to_tolerance(distances, tol)
    _, V = analysis.eigendecomposition(Q)
    z0 = V.T @ np.asarray(problem.start, np.float64)
    share = math.sqrt(z0[0] ** 2 + z0[-1] ** 2) / float(np.linalg.norm(z0))
    lower = analysis.iterations_to_tolerance(rho, min(tol / share, 0.999999))
    predicted = analysis.iterations_to_tolerance(rho, tol)
    return kappa, rho, predicted, lower, measured, share, distances


def iterations_figure(sweep: IterationSweep, example: float = 100.0):
    """Section "How many steps?": steps against κ, and one run between its bounds.

    Left: steps to the tolerance against κ (log–log), with the upper bound, its
    asymptote (κ/2)·ln(1/tol), the lower bounds and the measured counts.
    Right: ‖θ_t‖/‖θ₀‖ of the run whose κ is closest to ``example``, between
    c·ρ^t and ρ^t.  Returns the figure.
    """
    fig, (counts, run) = plot.figure(ncols=2, width=4.9, height=4.1)
    _draw_counts(counts, sweep)
    _draw_example_run(run, sweep, int(np.argmin(np.abs(sweep.condition_numbers - example))))
    return fig


def _draw_counts(ax, sweep: IterationSweep) -> None:
    kappas = np.geomspace(1, sweep.condition_numbers.max(), 300)
    bound = [analysis.iterations_to_tolerance((k - 1) / (k + 1), sweep.tol) for k in kappas]
    ax.plot(kappas, bound, color="black", linewidth=2, label="upper bound: ρ^t reaches tol")
    ax.plot(kappas, kappas / 2 * math.log(1 / sweep.tol), ":", color="0.4", linewidth=1.3,
            label="(κ/2)·ln(1/tol)")  # fmt: skip
    ax.plot(sweep.condition_numbers, sweep.lower, "v", color=SLOW, markersize=9,
            label="lower bound: c·ρ^t reaches tol")  # fmt: skip
    ax.plot(sweep.condition_numbers, sweep.measured, "o", color=PATH, markersize=5,
            label="measured")  # fmt: skip
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("condition number κ")
    ax.set_ylabel(f"steps t to ‖θ_t‖ ≤ {sweep.tol:g}·‖θ₀‖")
    ax.set_title(f"GD at α* on {sweep.dim}-dimensional quadratics", fontsize=10)
    ax.legend(loc="upper left", fontsize=8, framealpha=0.9)


def _draw_example_run(ax, sweep: IterationSweep, k: int) -> None:
    rho, share = sweep.rates[k], sweep.shares[k]
    stop = int(min(sweep.distances.shape[1] - 1, 1.15 * sweep.predicted[k]))
    t = np.arange(stop + 1)
    ax.plot(
        t, sweep.distances[k, : stop + 1], color=PATH, linewidth=2.2, label="measured ‖θ_t‖/‖θ₀‖"
    )
    ax.plot(t, rho**t, "--", color="black", linewidth=1.3, label="upper bound ρ^t")
    ax.plot(t, share * rho**t, "--", color=SLOW, linewidth=1.3,
            label=f"lower bound c·ρ^t, c = {share:.2f}")  # fmt: skip
    ax.axhline(sweep.tol, color="0.4", linewidth=1, linestyle=":")
    for steps, color in ((sweep.predicted[k], "black"), (sweep.measured[k], PATH)):
        ax.axvline(steps, color=color, linewidth=1, linestyle=":")
    ax.set_yscale("log")
    ax.set_xlim(0, stop)
    ax.set_ylim(sweep.tol / 20, 2)
    ax.set_xlabel("step t")
    ax.set_ylabel("‖θ_t‖ / ‖θ₀‖")
    ax.set_title(
        f"κ = {sweep.condition_numbers[k]:g}: measured {sweep.measured[k]:.0f} steps, "
        f"bound {sweep.predicted[k]:.0f}",
        fontsize=10,
    )
    ax.legend(loc="lower left", fontsize=8, framealpha=0.9)
