"""Section "Momentum on a quadratic, one eigendirection at a time": regimes and the widget.

On ``L(θ) = ½ θᵀQθ`` each eigendirection of the heavy ball evolves by
``T = [[1 + β − αλ, −β], [1, 0]]``, whose characteristic polynomial is
``z² − (1 + β − αλ) z + β``: it converges iff ``0 < αλ < 2 + 2β``, is underdamped
(a complex pair of modulus √β) for ``(1 − √β)² ≤ αλ ≤ (1 + √β)²`` and overdamped
outside.  The drawing helpers of the (αλ, β) plane are shared with :mod:`.phase`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from matplotlib import colormaps

from lab import analysis, plot, problems, widgets
from lab.ch4_momentum.valley import RED
from lab.trajectory import Trajectory, trajectory
from optimizers.momentum import sgd
from optimizers.validation import as_decay, as_positive

EIGEN_STEPS = 40
"""Steps shown by the eigendirection widget."""

REGIMES = (
    "does not converge",
    "overdamped",
    "underdamped",
    "overdamped, sign-flipping",
    "critically damped",
)
"""The names of the codes :func:`regime` returns (0, 1, 2, 3, 4)."""


def _characteristic(step, momentum, nesterov: bool):
    """``(s, p)`` of the characteristic polynomial ``z² − s z + p`` of one eigendirection.

    Heavy ball: ``s = 1 + β − αλ``, ``p = β``.  Nesterov: ``s = (1 + β)(1 − αλ)``,
    ``p = β(1 − αλ)``.  ``step`` is αλ.
    """
    h, b = np.asarray(step, np.float64), np.asarray(momentum, np.float64)
    if nesterov:
        return (1 + b) * (1 - h), b * (1 - h)
    return 1 + b - h, b + 0 * h


def spectral_radius(step, momentum, nesterov: bool = False) -> np.ndarray:
    """ρ, the largest |root| of ``z² − s z + p`` for arrays αλ = ``step`` and β (broadcast).

    Vectorised closed form: real roots ``(s ± √(s² − 4p))/2`` if the
    discriminant is ≥ 0, else a complex pair of modulus √p.
    """
    s, p = _characteristic(step, momentum, nesterov)
    disc = s**2 - 4 * p
    root = np.sqrt(np.abs(disc))
    real = np.maximum(np.abs(s + root), np.abs(s - root)) / 2
    return np.where(disc >= 0, real, np.sqrt(np.abs(p)))


def regime(step, momentum) -> np.ndarray:
    """The heavy ball's regime per eigendirection, as codes into :data:`REGIMES`.

    With ``h = αλ``: 0 does not converge (``h ≤ 0`` or ``h ≥ 2 + 2β``); 1 overdamped,
    two positive real roots (``h < (1 − √β)²``); 2 underdamped, a complex
    pair of modulus √β (``(1 − √β)² < h < (1 + √β)²``); 3 overdamped with negative
    roots, the iterate flips sign every step; 4 critically damped, a double root ±√β,
    at the band's two ends (within 1e-9: e.g. αλ = 1 with β = 0, one step to zero).
    """
    h, b = np.broadcast_arrays(np.asarray(step, np.float64), np.asarray(momentum, np.float64))
    low, high = (1 - np.sqrt(b)) ** 2, (1 + np.sqrt(b)) ** 2
    codes = np.full(h.shape, 2)
    codes = np.where(h < low, 1, codes)
    codes = np.where(h > high, 3, codes)
    codes = np.where(
        np.isclose(h, low, rtol=0, atol=1e-9) | np.isclose(h, high, rtol=0, atol=1e-9), 4, codes
    )
    return np.where((h <= 0) | (h >= 2 + 2 * b), 0, codes)


def critical_damping_steps(momentum: float) -> tuple[float, float]:
    """The two values of αλ where ``(1 + β − αλ)² = 4β``: ``(1 − √β)²`` and ``(1 + √β)²``."""
    root = math.sqrt(momentum)
    return (1 - root) ** 2, (1 + root) ** 2


# --------------------------------------------------------------------------
# The (αλ, β) plane, drawn here and in the phase diagram
# --------------------------------------------------------------------------

_RATE_CMAP = colormaps["viridis"].with_extremes(bad="#e6e6e6")
"""Rates from 0 (dark) to 1 (yellow); diverging cells (masked) light grey."""

STEP_LIMIT = 4.2
"""The largest αλ of the single-direction panel."""

_BETA_GRID = np.linspace(0.0, 0.995, 400)


def rate_image(ax, rates, extent):
    """Rates as colours (viridis from 0 to 1), divergence (ρ ≥ 1) in light grey."""
    shown = np.ma.masked_where(rates >= 1, rates)
    return ax.imshow(shown, origin="lower", extent=extent, aspect="auto", cmap=_RATE_CMAP,
                     vmin=0, vmax=1, interpolation="nearest")  # fmt: skip


def _regime_curves(ax, momenta: np.ndarray, labels: bool = True) -> None:
    """Critical damping αλ = (1 ± √β)² (dashed) and the stability edge αλ = 2 + 2β (red)."""
    b = momenta
    ax.plot((1 - np.sqrt(b)) ** 2, b, "--", color="white", linewidth=1.4,
            label="critical damping αλ = (1 ± √β)²" if labels else None)  # fmt: skip
    ax.plot((1 + np.sqrt(b)) ** 2, b, "--", color="white", linewidth=1.4)
    ax.plot(2 + 2 * b, b, "-", color=RED, linewidth=1.8,
            label="stability edge αλ = 2 + 2β" if labels else None)  # fmt: skip


def single_direction_panel(ax, legend: bool = True) -> None:
    """ρ(αλ, β) of one eigendirection with the regime boundaries and names."""
    steps = np.linspace(0.0, STEP_LIMIT, 421)
    rates = spectral_radius(steps[None, :], _BETA_GRID[:, None])
    rate_image(ax, rates, (0, STEP_LIMIT, 0, _BETA_GRID[-1]))
    _regime_curves(ax, _BETA_GRID, labels=legend)
    ax.set_xlim(0, STEP_LIMIT)
    ax.set_ylim(0, 1)
    ax.set_xlabel("αλ  (learning rate × curvature)")
    ax.set_ylabel("momentum β")
    text = {"fontsize": 8, "ha": "center", "va": "center"}
    ax.text(1.6, 0.62, "underdamped:\ncomplex roots, ρ = √β", color="white", **text)
    ax.text(0.42, 0.04, "over-\ndamped", color="white", **text)
    ax.text(3.55, 0.45, "diverges\nρ > 1", color=RED, **text)
    ax.annotate("sign-flipping", xy=(1.98, 0.06), xytext=(2.75, 0.04), color="0.25",
                arrowprops={"arrowstyle": "->", "color": "0.25"}, fontsize=8)  # fmt: skip
    if legend:
        ax.legend(loc="upper left", fontsize=7.5, framealpha=0.9)


# --------------------------------------------------------------------------
# Widget: one eigendirection (phase diagram, roots, iterates)
# --------------------------------------------------------------------------


class DirectionResult(NamedTuple):
    """One eigendirection ``z_t`` of the heavy ball at (αλ, β), run with the package.

    Attributes:
        step: αλ (the run has λ = 1, so this is also α).
        momentum: β.
        roots: the two (complex) roots of ``z² − (1 + β − αλ) z + β``.
        rate: ρ = max |root|, the contraction per step.
        regime: the code of :func:`regime`, an index into :data:`REGIMES`.
        trajectory: z₀ = 1 … z_T of the package's heavy ball, T = :data:`EIGEN_STEPS`.
    """

    step: float
    momentum: float
    roots: np.ndarray
    rate: float
    regime: int
    trajectory: Trajectory


def direction_run(step: float, momentum: float) -> DirectionResult:
    """``½ λ z²`` with λ = 1 from z₀ = 1, so α = αλ; the roots of T from ``analysis``."""
    run = trajectory(
        sgd, problems.quadratic_loss, np.ones(1, np.float32), EIGEN_STEPS,
        loss_args=(np.eye(1),), learning_rate=step, momentum=momentum,
    )  # fmt: skip
    roots = np.linalg.eigvals(analysis.momentum_iteration_matrix(1.0, step, momentum))
    rate = float(np.max(np.abs(roots)))
    return DirectionResult(step, momentum, roots, rate, int(regime(step, momentum)), run)


_CIRCLE = np.linspace(0, 2 * np.pi, 200)


class DirectionPanels(plot.Panels):
    """The figure of :func:`eigendirection_widget`.

    Top left: the (αλ, β) phase diagram with the current point.  Top right:
    the two roots of ``z² − (1 + β − αλ) z + β`` in the complex plane, with the
    unit circle and the circle of radius √β.  Bottom: the iterates z_t.
    """

    def __init__(self):
        self.figure, first = plot.figure(ncols=1, width=9.0, height=6.2)
        first.remove()
        grid = self.figure.add_gridspec(2, 2, height_ratios=(1.35, 1.0), width_ratios=(1.25, 1.0))
        self.phase = self.figure.add_subplot(grid[0, 0])
        self.plane = self.figure.add_subplot(grid[0, 1])
        self.iterates = self.figure.add_subplot(grid[1, :])
        for ax in (self.phase, self.plane, self.iterates):
            ax.set_facecolor("white")
        self._phase_panel()
        self._root_plane()
        self._iterate_panel()

    def create(self, result: DirectionResult) -> None:
        """The artists that move, and the legends that name some of them."""
        # above the diagram's curves and labels, so a move repaints the dot alone
        (self.point,) = self.phase.plot([], [], "o", color=plot.color(0), markersize=10, zorder=6,
                                        markeredgecolor="white", markeredgewidth=1.5)  # fmt: skip
        (self.radius,) = self.plane.plot([], [], "--", color="0.4", linewidth=1.0, label="|z| = √β")
        (self.roots,) = self.plane.plot(
            [], [], "o", color=plot.color(0), markersize=9, label="roots of T"
        )
        self.plane.legend(loc="upper right", fontsize=7.5, framealpha=0.9)
        t = np.arange(EIGEN_STEPS + 1)
        (self.envelope_top,) = self.iterates.plot(
            [], [], ":", color="0.5", linewidth=1.0, label="±ρ^t"
        )
        (self.envelope_bottom,) = self.iterates.plot([], [], ":", color="0.5", linewidth=1.0)
        (self.line,) = self.iterates.plot(t, np.zeros_like(t, dtype=float), "-o", color=plot.color(0),
                                          markersize=3, linewidth=1.2, label="z_t (measured)")  # fmt: skip
        self.iterates.legend(loc="upper right", fontsize=8, framealpha=0.9)
        self.message = plot.divergence_message(self.iterates, result.trajectory)

    def _phase_panel(self) -> None:
        single_direction_panel(self.phase, legend=False)
        self.phase.set_xticks([0, 1, 2, 3, 4])
        self.phase.set_yticks([0, 0.5, 1])
        self.phase.set_title("regime of (αλ, β)", fontsize=10)

    def _root_plane(self) -> None:
        ax = self.plane
        ax.plot(np.cos(_CIRCLE), np.sin(_CIRCLE), color=RED, linewidth=1.2, label="|z| = 1")
        ax.axhline(0, color="0.7", linewidth=0.8)
        ax.axvline(0, color="0.7", linewidth=0.8)
        ax.set_xlim(-1.6, 1.6)
        ax.set_ylim(-1.25, 1.25)
        ax.set_xticks([-1, 0, 1])
        ax.set_yticks([-1, 0, 1])
        ax.set_aspect("equal", adjustable="box")
        ax.set_autoscale_on(False)
        ax.set_xlabel("Re z")
        ax.set_ylabel("Im z")

    def _iterate_panel(self) -> None:
        ax = self.iterates
        ax.axhline(0, color="0.6", linewidth=0.8)
        ax.set_xlim(0, EIGEN_STEPS)
        ax.set_ylim(-1.6, 1.6)
        ax.set_xticks(np.arange(0, EIGEN_STEPS + 1, 10))
        ax.set_yticks([-1, 0, 1])
        ax.set_autoscale_on(False)
        ax.set_xlabel("step t")
        ax.set_ylabel("z_t / z₀ along the eigenvector")

    def update(self, result: DirectionResult) -> None:
        h, b = result.step, result.momentum
        self.point.set_data([min(h, STEP_LIMIT)], [b])
        self.radius.set_data(np.sqrt(b) * np.cos(_CIRCLE), np.sqrt(b) * np.sin(_CIRCLE))
        shown = np.clip(result.roots.real, -1.55, 1.55)
        self.roots.set_data(shown, np.clip(result.roots.imag, -1.2, 1.2))
        t = np.arange(EIGEN_STEPS + 1)
        with np.errstate(over="ignore"):
            envelope = np.minimum(result.rate**t, 10.0)
        self.envelope_top.set_data(t, envelope)
        self.envelope_bottom.set_data(t, -envelope)
        self.line.set_data(t, np.asarray(result.trajectory.params, np.float64)[:, 0])
        plot.update_divergence_message(self.message, result.trajectory)
        color = RED if result.regime == 0 else "black"
        self.plane.set_title(f"roots of T: ρ = {result.rate:.3g}", fontsize=10)
        self.iterates.set_title(f"αλ = {h:.3g}, β = {b:.3g}: {REGIMES[result.regime]}",
                                fontsize=10, color=color)  # fmt: skip


def eigendirection_widget(step: float = 0.5, momentum: float = 0.3) -> widgets.Interactive:
    """Sliders for αλ and β: the regime, the roots of T and the iterates of one eigendirection.

    Section "Three regimes and a stability edge".  Every move runs the package's
    compiled heavy ball (α and β are traced).  The site's static explorer varies
    αλ at the default β.
    """
    panels = DirectionPanels()

    def compute(step, momentum):
        return direction_run(float(step), float(momentum))

    controls = {
        "step": widgets.slider("αλ", as_positive(step, "step"), 0.01, 3.0, step=0.01),
        "momentum": widgets.slider("β", as_decay(momentum, "momentum"), 0.0, 0.99, step=0.01),
    }
    widget = widgets.interactive(compute, panels.draw, controls, panels.figure, static="step")
    widget.panels = panels
    return widget
