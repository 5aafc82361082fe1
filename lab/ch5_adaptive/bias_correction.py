"""Adam's moments from zero, their bias correction, and what goes wrong without it."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from matplotlib.ticker import NullLocator

import optimizers as opt
from lab import plot, widgets
from lab.ch5_adaptive.landscapes import STEPS, landscape, run_on_landscape
from lab.ch5_adaptive.recording import replay
from lab.problems import Problem
from lab.trajectory import Trajectory
from optimizers.validation import as_decay, as_whole

__all__ = [
    "BiasCorrectionPanels",
    "BiasCorrectionRuns",
    "ConstantGradientMoments",
    "bias_correction_factor",
    "bias_correction_runs",
    "bias_correction_widget",
    "moment_check",
]


class ConstantGradientMoments(NamedTuple):
    """Adam's raw moments after ``steps`` steps of a constant gradient g, and the formulas.

    Attributes:
        m, s: the package's m_t and s_t (read from the state of ``scale_by_adam``).
        m_formula, s_formula: ``(1 − β₁^t) g`` and ``(1 − β₂^t) g²``.
        m_fraction, s_fraction: ``1 − β₁^t`` and ``1 − β₂^t``, the share of g (g²) they reach.
        count: the state's step counter t.
        gradient: g.
        steps: t.
    """

    m: float
    s: float
    m_formula: float
    s_formula: float
    m_fraction: float
    s_fraction: float
    count: int
    gradient: float
    steps: int


def moment_check(
    gradient: float = 0.7, b1: float = 0.9, b2: float = 0.999, steps: int = 10
) -> ConstantGradientMoments:
    """Adam's raw moments after ``steps`` steps of a constant gradient g, against the formula.

    With m_0 = s_0 = 0 and g_τ = g, ``m_t = (1 − β₁^t) g`` and ``s_t = (1 − β₂^t) g²``;
    the bias-corrected m̂_t and ŝ_t are exactly g and g².
    """
    _, states = replay(opt.scale_by_adam(b1, b2), np.full((steps, 1), gradient))
    return ConstantGradientMoments(
        m=float(states.mu[-1, 0]),
        s=float(states.nu[-1, 0]),
        m_formula=(1 - b1**steps) * gradient,
        s_formula=(1 - b2**steps) * gradient**2,
        m_fraction=1 - b1**steps,
        s_fraction=1 - b2**steps,
        count=int(states.count[-1]),
        gradient=gradient,
        steps=steps,
    )


def bias_correction_factor(t: Any, b1: float = 0.9, b2: float = 0.999) -> np.ndarray:
    """``(1 − β₁^t)/√(1 − β₂^t)``: the uncorrected step over the corrected one, for a constant g.

    Uncorrected, ``m_t/√s_t = (1 − β₁^t) g / (√(1 − β₂^t) |g|)``; corrected, ``m̂_t/√ŝ_t =
    sign(g)``.  Above 1 the uncorrected step is longer, below 1 shorter.
    """
    b1, b2 = as_decay(b1, "b1"), as_decay(b2, "b2")
    if b2 == 0.0:
        raise ValueError("b2 must be > 0 for a bias-correction factor")
    t = np.asarray(t, np.float64)
    if np.any(t < 1):
        raise ValueError("t must be >= 1")
    return (1 - b1**t) / np.sqrt(1 - b2**t)


class BiasCorrectionRuns(NamedTuple):
    """Adam with and without bias correction on one landscape, and the factor between them.

    Attributes:
        corrected: Adam's run (:data:`~lab.ch5_adaptive.landscapes.STEPS` steps).
        uncorrected: the same without bias correction
            (:func:`lab.registry.adam_without_bias_correction`).
        t: the steps 1 … T, as floats.
        factor: :func:`bias_correction_factor` at each t for the runs' β₁, β₂.
    """

    corrected: Trajectory
    uncorrected: Trajectory
    t: np.ndarray
    factor: np.ndarray


def bias_correction_runs(
    b1: float, b2: float, learning_rate: float, where: str = "ill-conditioned paraboloid"
) -> BiasCorrectionRuns:
    """Adam with and without bias correction (α, β₁, β₂ traced: no recompilation)."""
    hyper = {"learning_rate": float(learning_rate), "b1": float(b1), "b2": float(b2)}
    t = np.arange(1, STEPS + 1, dtype=np.float64)
    return BiasCorrectionRuns(
        corrected=run_on_landscape("adam", where, **hyper),
        uncorrected=run_on_landscape("adam_no_correction", where, **hyper),
        t=t,
        factor=bias_correction_factor(t, b1, b2),
    )


class BiasCorrectionPanels(plot.Panels):
    """The widget of "What goes wrong without it": paths, the factor curve and the losses.

    Attributes:
        plane: the contours with both paths.
        factor: the axes of :func:`bias_correction_factor` against t.
        losses: both loss curves.
        factor_line, first, peak, note: the factor curve, its value at t = 1, its
            largest value and the text that quotes both.
        paths, curves, messages: label → the run's path artists, loss line, divergence text.
    """

    LABELS = ("Adam", "Adam, no bias correction")

    def __init__(self, problem: Problem):
        self.problem = problem
        self.figure, (self.plane, self.factor, self.losses) = plot.figure(
            ncols=3, width=3.7, height=3.4
        )
        plot.contour(self.plane, problem)
        self.plane.set_title(problem.name, fontsize=10)
        self.factor.axhline(1.0, color="0.5", lw=0.8, ls=":")
        self.factor.set_xscale("log")
        self.factor.set_yscale("log")
        self.factor.set_xlim(1, STEPS)
        self.factor.set_ylim(0.1, 100)
        self.factor.set_xlabel("step t")
        self.factor.set_title("uncorrected ÷ corrected step (constant g)", fontsize=10)
        self.factor.yaxis.set_minor_locator(NullLocator())
        self.losses.set_title("L(θ_t) − L_min", fontsize=10)
        self.paths: dict[str, plot.TrajectoryArtists] = {}
        self.curves: dict[str, Any] = {}
        self.messages: dict[str, Any] = {}

    @staticmethod
    def _runs(result: BiasCorrectionRuns) -> dict[str, Trajectory]:
        runs = (result.corrected, result.uncorrected)
        return dict(zip(BiasCorrectionPanels.LABELS, runs, strict=True))

    def create(self, result: BiasCorrectionRuns) -> None:
        (self.factor_line,) = self.factor.plot([], [], color=plot.color(1), lw=1.8)
        (self.first,) = self.factor.plot([], [], "o", color=plot.color(1), mfc="white", ms=6)
        (self.peak,) = self.factor.plot([], [], "v", color="black", ms=6)
        self.note = self.factor.text(
            0.97, 0.97, "", transform=self.factor.transAxes, ha="right", va="top", fontsize=9
        )
        for i, (label, run) in enumerate(self._runs(result).items()):
            color = plot.color(i)
            self.paths[label] = plot.trajectory_line(self.plane, run, label, color)
            self.curves[label] = plot.loss_curve(
                self.losses, run, label, color, self.problem.min_value
            )
            self.messages[label] = plot.divergence_message(
                self.plane, run, label, color=color, row=i
            )
        self.losses.legend(fontsize=8, loc="lower left")

    def update(self, result: BiasCorrectionRuns) -> None:
        for label, run in self._runs(result).items():
            plot.update_trajectory_line(self.paths[label], run)
            plot.update_loss_curve(self.curves[label], run, self.problem.min_value)
            plot.update_divergence_message(self.messages[label], run, label)
        plot.set_loss_axis_limits(self.losses, list(self.curves.values()))
        t, factor = result.t, result.factor
        self.factor_line.set_data(t, factor)
        self.first.set_data([1.0], [factor[0]])
        top = int(np.argmax(factor))
        self.peak.set_data([t[top]], [factor[top]])
        last = top == len(t) - 1
        peak = "rises to ×1" if last else f"largest: ×{factor[top]:.3g} at t = {t[top]:g}"
        self.note.set_text(f"t = 1: ×{factor[0]:.3g}\n{peak}")


def bias_correction_widget(
    b1: float = 0.9,
    one_minus_b2: float = 1e-3,
    learning_rate: float = 0.1,
    where: str = "ill-conditioned paraboloid",
    frames: int | None = 9,
) -> widgets.Interactive:
    """Adam with and without bias correction, with sliders for β₁, 1 − β₂ and α.

    The section "What goes wrong without it".  The middle panel is
    :func:`bias_correction_factor`: at t = 1 the uncorrected step is
    (1 − β₁)/√(1 − β₂) times the corrected one — tiny for β₂ = 0.9, 3.16 times
    longer for the default β₂ = 0.999.  The rendered site explores 1 − β₂ over
    ``frames`` values (9, from 10⁻⁴ to 10⁻¹), computed when a site build displays it;
    ``None``: no explorer.  The widget's ``panels`` is its :class:`BiasCorrectionPanels`.
    """
    panels = BiasCorrectionPanels(landscape(where))

    def compute(b1: float, one_minus_b2: float, learning_rate: float) -> BiasCorrectionRuns:
        return bias_correction_runs(b1, 1.0 - float(one_minus_b2), learning_rate, where)

    controls = {
        "b1": widgets.slider("β₁", b1, 0.0, 0.99, 0.01),
        "one_minus_b2": widgets.log_slider("1 − β₂", one_minus_b2, -4, -1, 0.25),
        "learning_rate": widgets.log_slider("α", learning_rate, -3, 0),
    }
    widget = widgets.interactive(
        compute, panels.draw, controls, panels.figure, static="one_minus_b2"
    )
    widget.panels = panels
    widget.frames = None if frames is None else as_whole(frames, "frames", 2)
    return widget
