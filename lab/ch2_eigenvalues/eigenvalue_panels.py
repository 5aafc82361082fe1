"""The eigenvalue widget: sliders for λ₁, λ₂, the rotation and α (section "The best learning rate").

Each slider move is one :func:`~lab.ch2_eigenvalues.eigenbasis.eigenbasis_run`
(Q and α traced, no recompilation); :class:`EigenvaluePanels` moves the path,
the level sets, the |z_{t,i}| lines and the factors ``1 − αλᵢ`` on a number line.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from matplotlib.patches import Rectangle

from lab import plot, widgets
from lab.ch2_eigenvalues.eigenbasis import EIGENVALUES, START, STEPS, EigenbasisRun, eigenbasis_run
from lab.ch2_eigenvalues.level_sets import (
    FAST,
    LEVELS,
    PATH,
    SLOW,
    axis_segment,
    decay_lines,
    ellipses,
    log_magnitude,
    style_plane,
)
from optimizers.validation import as_whole

__all__ = ["EigenvaluePanels", "eigenvalue_widget"]

FACTOR_RANGE = (-3.0, 1.25)
"""The x-range of the number line of factors ``1 − αλᵢ``; factors outside sit at its edge."""


class EigenvaluePanels(plot.Panels):
    """The figure of :func:`eigenvalue_widget`, drawn from an :class:`EigenbasisRun`.

    Top left: the path on the level sets of ½ θᵀQθ, with the eigenvectors.
    Top right: |z_{t,i}| measured and predicted.  Bottom: the contraction
    factors 1 − αλᵢ on a number line with the stable band (−1, 1).
    """

    def __init__(self, steps: int = STEPS):
        self.figure, first = plot.figure(ncols=1, width=8.6, height=6.0)
        first.remove()
        grid = self.figure.add_gridspec(2, 2, height_ratios=(3.3, 1.0))
        self.plane = self.figure.add_subplot(grid[0, 0])
        self.decay = self.figure.add_subplot(grid[0, 1])
        self.line = self.figure.add_subplot(grid[1, :])
        for ax in (self.plane, self.decay, self.line):
            ax.set_facecolor("white")
        self.steps = steps
        _draw_number_line(self.line)

    def create(self, run: EigenbasisRun) -> None:
        self.ellipses = [self.plane.plot([], [], color="0.6", linewidth=0.8)[0] for _ in LEVELS]
        self.axes_lines = [
            self.plane.plot([], [], "--", color=c, linewidth=1.3)[0] for c in (SLOW, FAST)
        ]
        self.path = plot.trajectory_line(self.plane, run.trajectory, color=PATH)
        self.message = plot.divergence_message(self.plane, run.trajectory)
        style_plane(self.plane, "path on the level sets of ½θᵀQθ", ("θ₁", "θ₂"))
        self.lines = decay_lines(self.decay, run, legend="compact")
        self.points = [self.line.plot([], [], "o", color=c, markersize=9)[0] for c in (SLOW, FAST)]
        self.labels = [
            self.line.text(0, 0.35, "", ha="center", fontsize=9, color=c) for c in (SLOW, FAST)
        ]

    def update(self, run: EigenbasisRun) -> None:
        lam, V = run.eigenvalues, run.V
        for artist, ellipse in zip(self.ellipses, ellipses(lam, V, np.asarray(START)), strict=True):
            artist.set_data(*ellipse)
        for i, artist in enumerate(self.axes_lines):
            artist.set_data(*axis_segment(V[:, i]))
        plot.update_trajectory_line(self.path, run.trajectory)
        plot.update_divergence_message(self.message, run.trajectory)
        t = np.arange(run.measured.shape[0])
        for i in range(2):
            self.lines["predicted"][i].set_data(t, log_magnitude(run.predicted[:, i]))
            self.lines["measured"][i].set_data(t, log_magnitude(run.measured[:, i]))
        self._update_factors(run)
        self.decay.set_title(
            f"α = {run.learning_rate:.3g}:  2/λ_max = {2 / lam[-1]:.3g},"
            f"  α* = {2 / (lam[0] + lam[-1]):.3g},  rate {run.rate:.3g}",
            fontsize=10,
        )

    def _update_factors(self, run: EigenbasisRun) -> None:
        low, high = FACTOR_RANGE
        for i, (point, label) in enumerate(zip(self.points, self.labels, strict=True)):
            factor = float(run.factors[i])
            shown = min(max(factor, low + 0.05), high - 0.05)
            point.set_data([shown], [0.0])
            point.set_marker("o" if shown == factor else "<")
            label.set_position((shown, 0.3 if i == 0 else -0.55))
            label.set_text(f"λ = {run.eigenvalues[i]:.3g}: 1 − αλ = {factor:.3g}")
            label.set_ha(
                "left" if shown < low + 0.6 else "right" if shown > high - 0.6 else "center"
            )


def _draw_number_line(ax) -> None:
    """The fixed part of the bottom panel: the stable band (−1, 1) and what each region does."""
    low, high = FACTOR_RANGE
    ax.add_patch(Rectangle((-1, -1), 2, 2, color=plot.color(3), alpha=0.15, linewidth=0))
    ax.axhline(0, color="0.3", linewidth=1)
    for x in (-1, 0, 1):
        ax.axvline(x, color="0.3", linewidth=0.8, linestyle=":" if x == 0 else "-")
    ax.text(0.5, -0.85, "shrinks, same sign", ha="center", fontsize=8, color="0.25")
    ax.text(-0.5, -0.85, "shrinks, flips sign", ha="center", fontsize=8, color="0.25")
    ax.text((low - 1) / 2, -0.85, "grows, flips sign: diverges", ha="center", fontsize=8,
            color="#b00000")  # fmt: skip
    ax.set_xlim(low, high)
    ax.set_ylim(-1, 1)
    ax.set_xticks([-3, -2, -1, 0, 1])
    ax.set_yticks([])
    ax.set_xlabel("contraction factor 1 − αλᵢ per step (green: the stable band |1 − αλ| < 1)")


def eigenvalue_widget(
    eigenvalues: Sequence[float] = EIGENVALUES,
    angle_degrees: float = 30.0,
    learning_rate: float = 0.15,
    steps: int = STEPS,
) -> widgets.Interactive:
    """Sliders for λ₁, λ₂, the rotation and α; the path, the per-direction decay and the factors.

    Section "The best learning rate".  Q is passed to the compiled run as data
    (``loss_args``), so no slider recompiles anything.  The rendered site's
    static explorer varies α.  The starting values must lie in the sliders'
    ranges (λ in [0.1, 10^1.5], α in [0.01, 10^−0.3]); ``steps`` is a whole number ≥ 1.
    """
    steps = as_whole(steps, "steps")
    panels = EigenvaluePanels(steps)

    def compute(eigenvalue_1, eigenvalue_2, angle_degrees, learning_rate):
        return eigenbasis_run(
            (float(eigenvalue_1), float(eigenvalue_2)), math.radians(angle_degrees),
            float(learning_rate), steps,
        )  # fmt: skip

    controls = {
        "eigenvalue_1": widgets.log_slider("λ₁", eigenvalues[0], -1, 1.5),
        "eigenvalue_2": widgets.log_slider("λ₂", eigenvalues[1], -1, 1.5),
        "angle_degrees": widgets.slider("rotation (°)", angle_degrees, 0.0, 180.0, step=1.0),
        "learning_rate": widgets.log_slider("α", learning_rate, -2, -0.3, step=0.01),
    }
    widget = widgets.interactive(
        compute, panels.draw, controls, panels.figure, static="learning_rate"
    )
    widget.panels = panels
    return widget
