"""Section *Rotation breaks a diagonal preconditioner*: the widget that turns Q.

Sliders: the angle φ and κ.  Left: the level sets of ½θᵀQθ and the paths of
:func:`.rotation.rotation_runs`; middle: their losses; right: κ(PQ) against the angle
(:func:`.rotation.rotation_condition_numbers`), with a dot at the current angle.
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import matplotlib
import numpy as np
from matplotlib.patches import Ellipse

from lab import blitting, plot, widgets
from lab.ch3_preconditioning.rotation import (
    COLORS,
    LABELS,
    RotationConditionNumbers,
    RotationRuns,
    rotation_condition_numbers,
    rotation_runs,
)

__all__ = ["RotationFrame", "RotationPanels", "rotation_widget"]


class RotationFrame(NamedTuple):
    """What the rotation widget shows for one position of its sliders.

    Attributes:
        angle_degrees: the rotation angle φ of Q, in degrees.
        condition: κ = λ₂/λ₁ of Q.
        runs: the paths at this angle (:class:`~.rotation.RotationRuns`).
        condition_numbers: κ(PQ) at every angle of :attr:`RotationPanels.angles`
            (:class:`~.rotation.RotationConditionNumbers`).
    """

    angle_degrees: float
    condition: float
    runs: RotationRuns
    condition_numbers: RotationConditionNumbers


def _level_ellipses(ax, count: int, cmap_name: str = "viridis") -> list[Ellipse]:
    """Nested filled ellipses for the level sets of a 2-D quadratic (see _set_ellipses)."""
    cmap = matplotlib.colormaps[cmap_name]
    ax.set_facecolor(cmap(1.0))
    patches = []
    for color in cmap(np.linspace(1.0, 0.0, count)):
        patch = Ellipse((0.0, 0.0), 1.0, 1.0, facecolor=color, edgecolor="white", linewidth=0.3)
        ax.add_patch(patch)
        patches.append(patch)
    return patches


def _set_ellipses(patches: list[Ellipse], semi_axes, angle: float, condition: float) -> None:
    """Level sets of ½θᵀQθ, Q = R diag(1, κ) Rᵀ: semi-axes a along (cos, sin)(angle), a/√κ across."""
    for patch, a in zip(patches, semi_axes, strict=True):
        patch.set_width(2 * a)
        patch.set_height(2 * a / math.sqrt(condition))
        patch.set_angle(math.degrees(angle))


class RotationPanels(plot.Panels):
    """Level sets and paths | loss curves | κ(PQ) against the angle, one legend below."""

    angles = np.linspace(0.0, 90.0, 91)
    """The angles (degrees) of the κ(PQ) curves."""

    def __init__(self):
        self.figure, (self.plane, self.losses, self.kappas) = plot.figure(
            ncols=3, width=3.4, height=3.4
        )
        self.semi_axes = np.geomspace(8.0, 0.08, 14)
        self.plane.plot(0, 0, marker="*", markersize=13, color="white", markeredgecolor="black")
        self.plane.set_xlim(-5, 5)
        self.plane.set_ylim(-5, 5)
        self.plane.set_aspect("equal", adjustable="box")
        self.plane.set_autoscale_on(False)
        self.plane.set_axisbelow(True)  # the ticks point outwards, clear of the level sets
        self.plane.set_xlabel("θ₁")
        self.plane.set_ylabel("θ₂")
        self.losses.set_title("L(θ_t) − L_min")
        self.kappas.set_yscale("log")
        self.kappas.set_xlabel("rotation angle (degrees)")
        self.kappas.set_ylabel("κ(PQ)")
        self.kappas.set_title("κ(PQ) against the angle")
        self.kappas.set_xlim(0, 90)
        self.kappas.set_xticks([0, 15, 30, 45, 60, 75, 90])

    def create(self, frame: RotationFrame) -> None:
        self.ellipses = _level_ellipses(self.plane, self.semi_axes.size)  # they turn too
        self.paths, self.curves = {}, {}
        for kind, run in frame.runs._asdict().items():
            color, label = COLORS[kind], LABELS[kind]
            self.paths[kind] = plot.trajectory_line(self.plane, run, label, color)
            self.curves[kind] = plot.loss_curve(self.losses, run, label, color, 0.0)
        self.kappa_lines, self.kappa_dots = {}, {}
        for kind, values in frame.condition_numbers._asdict().items():
            style = "--" if kind == "frozen_diagonal" else "-"
            (self.kappa_lines[kind],) = self.kappas.plot(
                self.angles, values, style, color=COLORS[kind], label=LABELS[kind], linewidth=1.6
            )
            (self.kappa_dots[kind],) = self.kappas.plot(
                [0.0], [values[0]], "o", color=COLORS[kind], markersize=6
            )
        handles = {**self.curves, "frozen_diagonal": self.kappa_lines["frozen_diagonal"]}
        legend = self.figure.legend(
            list(handles.values()), [LABELS[k] for k in handles],
            loc="outside lower center", ncol=5, fontsize=8.5, frameon=False,
        )  # fmt: skip
        blitting.add_still(self.figure, [legend])  # below the panels, and it never changes

    def update(self, frame: RotationFrame) -> None:
        angle = frame.angle_degrees
        _set_ellipses(self.ellipses, self.semi_axes, math.radians(angle), frame.condition)
        self.plane.set_title(f"κ = {frame.condition:.3g}, rotated by {angle:.0f}°")
        for kind, run in frame.runs._asdict().items():
            plot.update_trajectory_line(self.paths[kind], run)
            plot.update_loss_curve(self.curves[kind], run, 0.0)
        plot.set_loss_axis_limits(self.losses, list(self.curves.values()))
        curves = frame.condition_numbers._asdict()
        for kind, values in curves.items():
            self.kappa_lines[kind].set_ydata(values)
            self.kappa_dots[kind].set_data([angle], [np.interp(angle, self.angles, values)])
        highest = max(float(np.max(v)) for v in curves.values())
        plot.set_limits(self.kappas, y=(0.7, 10 ** math.ceil(math.log10(highest * 1.6))))


def rotation_widget(angle: float = 30.0, condition: float = 25.0) -> widgets.Interactive:
    """Section *Rotation breaks a diagonal preconditioner*: rotate ``Q = R diag(1, κ) Rᵀ``.

    Sliders: the rotation angle (degrees) and κ.  Left: the paths of gradient
    descent (no preconditioner), Jacobi-preconditioned GD (P = diag(Q)⁻¹ recomputed
    for the rotated Q), Newton (P = Q⁻¹), each at α = 1/λ_max(PQ), and Adam; middle:
    their losses; right: κ(PQ) against the angle, also for the diagonal
    preconditioner of the unrotated Q (dashed).  Q and P reach the compiled
    runs as traced arrays and floats: no slider move recompiles.
    """
    panels = RotationPanels()

    @functools.lru_cache(maxsize=64)
    def curves_for(condition: float) -> RotationConditionNumbers:
        return rotation_condition_numbers(condition, panels.angles)  # depends on κ only

    def compute(angle_degrees: float, condition: float) -> RotationFrame:
        runs = rotation_runs(math.radians(angle_degrees), condition)
        curves = curves_for(float(condition))
        return RotationFrame(float(angle_degrees), float(condition), runs, curves)

    controls = {
        "angle_degrees": widgets.slider("angle (degrees)", angle, 0.0, 90.0, step=1.0),
        "condition": widgets.log_slider("κ = λ₂/λ₁", condition, 0.0, 2.0),
    }
    interactive = widgets.interactive(
        compute, panels.draw, controls, panels.figure, static="angle_degrees"
    )
    interactive.panels = panels
    return interactive
