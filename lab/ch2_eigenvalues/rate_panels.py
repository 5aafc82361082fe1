"""The rate widget: ρ(α) = max_i |1 − αλᵢ| and the steps to a tolerance.

Section "The best learning rate".  With λ_max = 1 and λ_min = 1/κ,
:func:`rate_run` runs gradient descent on the 2-D quadratic and counts the steps
to ``‖θ_t‖ ≤ tol ‖θ₀‖``; :class:`RatePanels` draws the V-shaped rate function
and the count against κ.  Also here: the two small
formulas the section "How many steps?" reuses, :func:`rate_function` and
:func:`steps_to_tolerance`.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
from matplotlib.ticker import NullLocator

from lab import analysis, blitting, plot, problems, widgets
from lab.ch2_eigenvalues.level_sets import FAST, PATH, SLOW
from lab.trajectory import Trajectory, trajectory
from optimizers.momentum import sgd
from optimizers.validation import as_positive

__all__ = [
    "RATE_STEPS",
    "TOLERANCE",
    "RatePanels",
    "RateRun",
    "rate_function",
    "rate_run",
    "rate_widget",
    "steps_to_tolerance",
]

RATE_STEPS = 8000
"""Steps of the runs behind the iteration counts (κ up to 1000 at tol 10⁻⁶ needs 6908)."""

RATE_ANGLE = math.pi / 6
"""The rotation of the 2-D quadratic of :func:`rate_run`, in radians."""

RATE_START = (1.0, 0.0)
"""θ₀ of :func:`rate_run`, ‖θ₀‖ = 1."""

TOLERANCE = 1e-6
"""The accuracy asked for: ‖θ_t − θ*‖ ≤ tol ‖θ₀ − θ*‖."""


def rate_function(learning_rates, eigenvalues) -> np.ndarray:
    """``ρ(α) = max_i |1 − αλᵢ|`` for each α (the worst contraction factor)."""
    alphas = np.asarray(learning_rates, np.float64)[..., None]
    return np.max(np.abs(1.0 - alphas * np.asarray(eigenvalues, np.float64)), axis=-1)


def steps_to_tolerance(distances: np.ndarray, tol: float) -> int | None:
    """The first t with ``distances[t] ≤ tol · distances[0]``, or ``None`` if never."""
    distances = np.asarray(distances, np.float64)
    reached = np.flatnonzero(np.isfinite(distances) & (distances <= tol * distances[0]))
    return int(reached[0]) if reached.size else None


class RateRun(NamedTuple):
    """Gradient descent on the 2-D quadratic with λ = (1/κ, 1), at one α.

    Attributes:
        condition_number: κ = λ_max/λ_min.
        learning_rate: α, in units of 1/λ_max (λ_max = 1).
        rate: ρ = max(|1 − α/κ|, |1 − α|), the contraction per step.
        predicted: ``analysis.iterations_to_tolerance(ρ, tol)``, steps (∞ if ρ ≥ 1).
        measured: the first step t with ‖θ_t‖ ≤ tol ‖θ₀‖, or ``None`` within
            :data:`RATE_STEPS` steps.
        trajectory: the run, θ₀ … θ_T with T = :data:`RATE_STEPS`.
    """

    condition_number: float
    learning_rate: float
    rate: float
    predicted: float
    measured: int | None
    trajectory: Trajectory


def rate_run(condition_number: float, learning_rate: float, tol: float = TOLERANCE) -> RateRun:
    """Run GD on ``½ θᵀQθ`` with eigenvalues (1/κ, 1) and count the steps to ``tol``.

    Q and α are traced: every κ and α reuse one compiled program.
    """
    kappa, alpha = float(condition_number), float(learning_rate)
    Q = problems.quadratic_matrix((1.0 / kappa, 1.0), RATE_ANGLE)
    run = trajectory(
        sgd, problems.quadratic_loss, np.asarray(RATE_START, np.float32), RATE_STEPS,
        loss_args=(Q,), learning_rate=alpha,
    )  # fmt: skip
    rho = analysis.gd_rate(Q, alpha)
    distances = np.linalg.norm(np.asarray(run.params, np.float64), axis=1)
    measured = steps_to_tolerance(distances, tol)
    predicted = analysis.iterations_to_tolerance(rho, tol)
    return RateRun(kappa, alpha, rho, predicted, measured, run)


class RatePanels(plot.Panels):
    """The figure of :func:`rate_widget`, drawn from a :class:`RateRun`.

    Left: ρ(α) for the current κ, its two branches, α* and the current α.
    Right: steps to ``tol`` against κ, the bounds at α* and at the current α,
    and the measured count at the current κ.
    """

    ALPHAS = np.linspace(0.0, 2.5, 501)
    KAPPAS = np.geomspace(1.0, 1000.0, 300)
    N_LIMITS = (0.8, 3e6)

    def __init__(self, tol: float = TOLERANCE):
        self.tol = tol
        self.figure, (self.rates, self.counts) = plot.figure(ncols=2, width=4.3, height=3.6)
        self._draw_rate_axes()
        self._draw_count_axes()

    def _draw_rate_axes(self) -> None:
        ax = self.rates
        ax.axhline(1.0, color="#b00000", linewidth=1, linestyle=":")
        ax.axvspan(2.0, self.ALPHAS[-1], color="#b00000", alpha=0.08, linewidth=0)
        ax.text(2.05, 0.3, "α > 2/λ_max:\ndiverges", fontsize=8, color="#b00000", va="top")
        ax.set_xlim(self.ALPHAS[0], self.ALPHAS[-1])
        ax.set_ylim(0, 1.6)
        ax.set_yticks([0, 0.5, 1, 1.5])
        ax.set_xlabel("learning rate α  (λ_max = 1)")
        ax.set_ylabel("contraction per step")

    def _draw_count_axes(self) -> None:
        ax = self.counts
        optimal = [
            analysis.iterations_to_tolerance((k - 1) / (k + 1), self.tol) for k in self.KAPPAS
        ]
        ax.plot(self.KAPPAS, optimal, color="black", linewidth=2, label="predicted bound at α*")
        ax.plot(self.KAPPAS, self.KAPPAS / 2 * math.log(1 / self.tol), ":", color="0.4",
                linewidth=1.2, label="(κ/2)·ln(1/tol)")  # fmt: skip
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(self.KAPPAS[0], self.KAPPAS[-1])
        ax.set_ylim(*self.N_LIMITS)
        ax.xaxis.set_minor_locator(NullLocator())
        ax.yaxis.set_minor_locator(NullLocator())
        ax.set_yticks([10.0**k for k in range(0, 7)])
        ax.set_xlabel("condition number κ = λ_max/λ_min")
        ax.set_ylabel(f"steps to ‖θ_t‖ ≤ {self.tol:g}·‖θ₀‖")

    def create(self, result: RateRun) -> None:
        ax = self.rates
        (self.slow,) = ax.plot([], [], "--", color=SLOW, linewidth=1.2, label="|1 − αλ_min|")
        (self.fast,) = ax.plot([], [], "--", color=FAST, linewidth=1.2, label="|1 − αλ_max|")
        (self.worst,) = ax.plot([], [], color="black", linewidth=2, label="ρ(α): their max")
        (self.best,) = ax.plot([], [], "s", color="black", markersize=7, label="α*")
        (self.current,) = ax.plot([], [], "o", color=PATH, markersize=9)
        self.current_line = ax.axvline(0, color=PATH, linewidth=1)
        ax = self.counts
        (self.at_alpha,) = ax.plot([], [], color=PATH, linewidth=1.4,
                                   label="predicted bound at your α")  # fmt: skip
        (self.measured,) = ax.plot([], [], "o", color=PATH, markersize=9,
                                   markerfacecolor="white", markeredgewidth=2,
                                   label="measured")  # fmt: skip
        # one legend below both panels, clear of the curves: a move repaints only these
        handles = [*self.rates.get_lines(), *self.counts.get_lines()]
        labeled = [h for h in handles if not h.get_label().startswith("_")]
        legend = self.figure.legend(handles=labeled, loc="outside lower center", ncol=4,
                                    fontsize=8, frameon=False)  # fmt: skip
        blitting.add_still(self.figure, [legend])  # it never changes
        self.note = ax.text(0.97, 0.04, "", transform=ax.transAxes, ha="right", va="bottom",
                            fontsize=9, color="#b00000")  # fmt: skip

    def update(self, result: RateRun) -> None:
        self._update_rates(result)
        self._update_counts(result)
        measured = "—" if result.measured is None else result.measured
        if math.isinf(result.predicted):
            predicted = "never converges (ρ ≥ 1)"
        else:
            predicted = f"predicted ≤ {result.predicted:.0f} steps"
        self.rates.set_title(
            f"κ = {result.condition_number:.3g}, α = {result.learning_rate:.3g}: "
            f"ρ = {rate_text(result.rate)}",
            fontsize=10,
        )
        self.counts.set_title(f"{predicted}, measured {measured}", fontsize=10)

    def _update_rates(self, result: RateRun) -> None:
        kappa, alpha, a = result.condition_number, result.learning_rate, self.ALPHAS
        self.slow.set_data(a, np.abs(1 - a / kappa))
        self.fast.set_data(a, np.abs(1 - a))
        self.worst.set_data(a, rate_function(a, (1 / kappa, 1.0)))
        self.best.set_data([2 / (1 + 1 / kappa)], [(kappa - 1) / (kappa + 1)])
        self.current.set_data([alpha], [min(result.rate, 1.58)])
        self.current_line.set_xdata([alpha, alpha])

    def _update_counts(self, result: RateRun) -> None:
        kappas = self.KAPPAS
        rho = rate_function(result.learning_rate, np.stack([1 / kappas, np.ones_like(kappas)], 1))
        counts = [analysis.iterations_to_tolerance(r, self.tol) for r in rho]
        self.at_alpha.set_data(kappas, np.where(np.isfinite(counts), counts, np.nan))
        shown = result.measured if result.measured is not None else np.nan
        self.measured.set_data([result.condition_number], [max(shown, self.N_LIMITS[0] * 1.3)])
        if result.trajectory.diverged_at is not None:
            note = f"diverged at step {result.trajectory.diverged_at}: α > 2/λ_max = 2"
        elif result.measured is None:
            note = f"not reached in {RATE_STEPS} steps"
        else:
            note = ""
        self.note.set_text(note)


def rate_text(rate: float) -> str:
    """ρ to four significant digits, but never "1" for a rate just below or above 1.

    A rate of 0.99999 still converges, slowly: it reads ``1 − 1e-05``.
    """
    text = f"{rate:.4g}"
    if text == "1" and rate != 1.0:
        sign = "−" if rate < 1 else "+"
        return f"1 {sign} {abs(1 - rate):.1g}"
    return text


def _tolerance(value: Any) -> float:
    tol = as_positive(value, "tol")
    if tol >= 1:
        raise ValueError(f"tol must lie in (0, 1), got {value!r}")
    return tol


def rate_widget(
    condition_number: float = 10.0, learning_rate: float = 1.2, tol: float = TOLERANCE
) -> widgets.Interactive:
    """Sliders for κ and α (with λ_max = 1): the rate function and the steps to ``tol``.

    Section "The best learning rate".  Each move runs gradient descent for
    :data:`RATE_STEPS` steps on the 2-D quadratic with eigenvalues (1/κ, 1),
    with Q and α traced (no recompilation).  The rendered site's static
    explorer varies κ.  ``tol`` must lie in (0, 1); κ in [1, 1000] and α in
    [0.01, 2.5] (the sliders' ranges).
    """
    tol = _tolerance(tol)
    panels = RatePanels(tol)

    def compute(condition_number, learning_rate):
        return rate_run(float(condition_number), float(learning_rate), tol)

    controls = {
        "condition_number": widgets.log_slider("κ", condition_number, 0, 3, step=0.02),
        "learning_rate": widgets.slider("α", learning_rate, 0.01, 2.5, step=0.01),
    }
    widget = widgets.interactive(
        compute, panels.draw, controls, panels.figure, static="condition_number"
    )
    widget.panels = panels
    return widget
