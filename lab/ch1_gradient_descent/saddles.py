"""Section "Saddle points slow gradient descent down": escape times from the saddle's axis.

On the saddle problem ``L(θ) = ½θ₁² − ½θ₂² + ¼θ₂⁴`` gradient descent from
``θ₀ = (1.5, δ)`` slides to the saddle at 0, lingers, and leaves once ``|θ₂| ≥ ½``:
after about ``ln(1/(2δ)) / ln(1 + α)`` steps.  :func:`saddle_escape` measures that for
several δ, :func:`saddle_figure` draws it, :func:`saddle_widget` moves δ and α.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from matplotlib.figure import Figure

from lab import plot, problems, widgets
from lab.ch1_gradient_descent.static_frames import with_static_frames
from lab.registry import plain_gradient_descent
from lab.trajectory import Trajectory

__all__ = [
    "SADDLE_LOSS_FLOOR",
    "SaddleEscape",
    "SaddleOffsetPanels",
    "SaddleOffsetRun",
    "escape_step",
    "predicted_escape_step",
    "saddle_escape",
    "saddle_figure",
    "saddle_offset_run",
    "saddle_widget",
]

SADDLE_LOSS_FLOOR = 1e-8
"""Below this, float32 cannot resolve L(θ) − L_min near L_min = −¼ (its spacing there is 3·10⁻⁸)."""


def escape_step(traj: Trajectory, threshold: float = 0.5) -> int | None:
    """The first step t with ``|θ_t,2| ≥ threshold``: when a run has left the saddle's axis."""
    second = np.abs(np.asarray(traj.params, np.float64)[:, 1])
    hits = np.flatnonzero(second >= threshold)
    return int(hits[0]) if hits.size else None


def predicted_escape_step(offset: float, learning_rate: float, threshold: float = 0.5) -> float:
    """``ln(threshold/δ) / ln(1 + α)``: steps for δ(1 + α)^t to reach the threshold.

    Near the saddle ∇L ≈ (θ₁, −θ₂), so gradient descent multiplies θ₂ by
    ``1 + α`` per step (and θ₁ by ``1 − α``).
    """
    return math.log(threshold / offset) / math.log1p(learning_rate)


class SaddleEscape(NamedTuple):
    """Escape times from the saddle for starts θ₀ = (1.5, δ), measured and predicted.

    Attributes:
        offsets: the offsets δ = θ₀,₂ from the saddle's attracting axis θ₂ = 0.
        measured: for each δ, the first step t with ``|θ_t,2| ≥ ½`` (as floats).
        predicted: for each δ, ``ln(0.5/δ) / ln(1 + α)`` steps.
        runs: the :class:`~lab.trajectory.Trajectory` from each start.
        learning_rate: α.
    """

    offsets: np.ndarray
    measured: np.ndarray
    predicted: np.ndarray
    runs: list
    learning_rate: float

    @property
    def steps_per_decade(self) -> float:
        """The least-squares slope of measured escape step against log₁₀(1/δ)."""
        return float(np.polyfit(-np.log10(self.offsets), self.measured, 1)[0])

    @property
    def predicted_steps_per_decade(self) -> float:
        """``ln 10 / ln(1 + α)``: each factor 10 closer to the axis costs this many steps."""
        return math.log(10.0) / math.log1p(self.learning_rate)


def saddle_escape(
    offsets=(1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7), learning_rate: float = 0.1, steps=300
) -> SaddleEscape:
    """Gradient descent on the saddle from ``θ₀ = (1.5, δ)`` for each offset δ.

    Raises ValueError if a run has not left the axis within ``steps`` steps.
    """
    problem = problems.saddle()
    offsets = np.asarray(offsets, np.float64)
    runs = [
        problem.run(plain_gradient_descent, steps, np.array([1.5, delta], np.float32),
                    learning_rate=learning_rate)
        for delta in offsets
    ]  # fmt: skip
    measured = [escape_step(run) for run in runs]
    if any(m is None for m in measured):
        raise ValueError(f"some runs did not leave the saddle within {steps} steps: {measured}")
    predicted = np.array([predicted_escape_step(delta, learning_rate) for delta in offsets])
    return SaddleEscape(offsets, np.array(measured, float), predicted, runs, learning_rate)


def _mark_saddle(ax) -> None:
    ax.plot(0, 0, marker="X", markersize=10, color="#d62728", markeredgecolor="black")


def _draw_escape_times(ax, escape: SaddleEscape) -> None:
    """Measured escape steps (dots) and the prediction (line) against log₁₀(1/δ)."""
    decades = -np.log10(escape.offsets)
    ax.plot(decades, escape.predicted, "-", color="black",
            label="prediction ln(0.5/δ) / ln(1 + α)")  # fmt: skip
    ax.plot(decades, escape.measured, "o", color=plot.color(0), label="measured")
    ax.set_xlabel("log₁₀(1/δ)")
    ax.set_ylabel("first step with |θ₂| ≥ 0.5")
    ax.set_title(f"escape time, α = {escape.learning_rate:g}")
    ax.legend(fontsize=8, loc="upper left")


def saddle_figure(escape: SaddleEscape) -> Figure:
    """Section "Saddle points slow gradient descent down": paths, losses and escape times.

    On the saddle ``½θ₁² − ½θ₂² + ¼θ₂⁴``: the paths and loss curves of four of the
    runs of ``escape`` (the 1st, 3rd, 5th and 7th offset), and every escape time.
    """
    problem = problems.saddle()
    fig, (plane, losses, times) = plot.figure(ncols=3, width=4.0, height=3.6)
    plot.contour(plane, problem)
    for i, k in enumerate([0, 2, 4, 6]):
        label = f"δ = 1e{round(math.log10(escape.offsets[k]))}"
        plot.trajectory_line(plane, escape.runs[k], label=label, color=plot.color(i))
        plot.loss_curve(losses, escape.runs[k], label=label, color=plot.color(i),
                        min_value=problem.min_value)  # fmt: skip
    _mark_saddle(plane)
    plane.set_title("paths from θ₀ = (1.5, δ)")
    losses.set_title("loss: plateaus at the saddle")
    losses.set_ylim(SADDLE_LOSS_FLOOR, 3.0)
    losses.legend(fontsize=8, loc="lower left")
    _draw_escape_times(times, escape)
    return fig


class SaddleOffsetRun(NamedTuple):
    """One run of the saddle widget: gradient descent from θ₀ = (1.5, δ).

    Attributes:
        run: the :class:`~lab.trajectory.Trajectory`.
        measured: the first step t with ``|θ_t,2| ≥ ½``, or None if the run never left the axis.
        predicted: ``ln(0.5/δ) / ln(1 + α)`` steps.
    """

    run: Trajectory
    measured: int | None
    predicted: float


def saddle_offset_run(offset: float, learning_rate: float, steps: int = 300) -> SaddleOffsetRun:
    """``steps`` steps of gradient descent on the saddle from θ₀ = (1.5, δ), with α and δ traced."""
    x0 = np.array([1.5, offset], np.float32)
    run = problems.saddle().run(plain_gradient_descent, steps, x0, learning_rate=learning_rate)
    return SaddleOffsetRun(run, escape_step(run), predicted_escape_step(offset, learning_rate))


class SaddleOffsetPanels(plot.Panels):
    """Section "Saddle points slow gradient descent down": the widget's two panels.

    Left: the contours, the saddle and the path.  Right: the loss gap, with the
    predicted escape step dashed.  Each result is a :class:`SaddleOffsetRun`.
    """

    def __init__(self):
        self.problem = problems.saddle()
        self.figure, (self.plane, self.losses) = plot.figure(ncols=2, width=4.3, height=3.7)
        plot.contour(self.plane, self.problem)
        _mark_saddle(self.plane)
        self.losses.set_title("loss gap L(θ_t) − L_min")

    def create(self, result: SaddleOffsetRun) -> None:
        run, min_value = result.run, self.problem.min_value
        self.path = plot.trajectory_line(self.plane, run)
        self.loss = plot.loss_curve(self.losses, run, min_value=min_value)
        self.predicted = self.losses.axvline(result.predicted, color="black", linestyle="--",
                                             linewidth=1, label="predicted escape")  # fmt: skip
        self.message = plot.divergence_message(self.plane, run)
        self.legend = self.losses.legend(fontsize=8, loc="lower left")
        self.losses.set_ylim(SADDLE_LOSS_FLOOR, 3.0)

    def update(self, result: SaddleOffsetRun) -> None:
        run = result.run
        plot.update_trajectory_line(self.path, run)
        plot.update_loss_curve(self.loss, run, self.problem.min_value)
        plot.update_divergence_message(self.message, run)
        self.predicted.set_xdata([result.predicted, result.predicted])
        plot.relabel_legend(self.legend, [_prediction_label(result, run.losses.size - 1)])
        self.plane.set_title(f"θ₀ = (1.5, {run.params[0, 1]:.1e}): {_escape_text(result)}")


def _prediction_label(result: SaddleOffsetRun, steps: int) -> str:
    """The legend's entry for the dashed line, which may lie beyond the plotted steps."""
    if result.predicted > steps:
        return f"predicted escape: step {result.predicted:.0f}, off the plot"
    if result.predicted <= 0:
        return "predicted escape: at the start"
    return "predicted escape"


def _escape_text(result: SaddleOffsetRun) -> str:
    """Where the run left the saddle's axis: the first step with |θ₂| ≥ ½."""
    if result.measured is None:
        return "still on the axis"
    if result.measured == 0:
        return "starts off the axis (|θ₂| ≥ ½)"
    return f"left at step {result.measured}"


def saddle_widget(offset: float = 1e-3, learning_rate: float = 0.1, steps: int = 300):
    """Section "Saddle points slow gradient descent down": sliders for δ and α.

    δ is the start's offset from the saddle's attracting axis, θ₀ = (1.5, δ).
    """
    panels = SaddleOffsetPanels()

    def compute(offset, learning_rate):
        return saddle_offset_run(offset, learning_rate, steps)

    controls = {
        "offset": widgets.log_slider("δ = θ₀,₂", offset, -7.0, 0.0, step=0.25),
        "learning_rate": widgets.slider("α", learning_rate, 0.02, 0.9, step=0.01),
    }
    return with_static_frames(widgets.interactive(compute, panels.draw, controls, panels.figure))
