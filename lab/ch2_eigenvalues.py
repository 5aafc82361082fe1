"""The experiments of the chapter "Eigenvalue learning-rate analysis".

Every figure and widget of the chapter is one call here.  The quadratics are
``L(θ) = ½ θᵀQθ`` (so ∇L = Qθ), run with :func:`lab.trajectory` and
:func:`lab.problems.quadratic_loss` with Q passed as a *traced*
argument (``loss_args=(Q,)``): a new eigenvalue, rotation or learning rate
reuses the compiled program.  Predictions come from :mod:`lab.analysis`.

The chapter's facts, in the notation of the book, with ``z = Vᵀθ`` the
coordinates in the eigenbasis of ``Q = VΛVᵀ``:

* ``z_{t,i} = (1 − αλᵢ)^t z_{0,i}`` exactly (gradient descent decouples);
* stable iff ``α < 2/λ_max``; fastest at ``α* = 2/(λ_min + λ_max)``, where the
  rate ``max_i |1 − αλᵢ|`` is ``(κ − 1)/(κ + 1)``;
* ``‖θ_t‖ ≤ ρ^t ‖θ₀‖`` with ρ that rate, so at most
  ``⌈log(tol)/log(ρ)⌉`` steps reach ``‖θ_t‖ ≤ tol ‖θ₀‖``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import NullFormatter, NullLocator, ScalarFormatter

from lab import analysis, curvature, data, nn, plot, problems, widgets
from lab.trajectory import Trajectory, trajectory
from optimizers.momentum import sgd
from optimizers.validation import as_positive as _positive
from optimizers.validation import as_whole as _whole

__all__ = [
    "CrossEntropySweep",
    "DenseCheck",
    "EigenbasisRun",
    "IterationSweep",
    "LearningRateSweep",
    "NetworkProblem",
    "RateRun",
    "cross_entropy_sweep",
    "dense_hessian_check",
    "eigenbasis_figure",
    "eigenbasis_run",
    "eigenvalue_widget",
    "iterations_figure",
    "iterations_sweep",
    "learning_rate_sweep",
    "network_problem",
    "rate_run",
    "rate_widget",
    "squared_error_loss",
    "sweep_figure",
    "zigzag_figure",
]

EIGENVALUES = (1.0, 10.0)
"""(λ₁, λ₂) of the chapter's running 2-D example: κ = 10."""

ANGLE = 0.5
"""The rotation of its principal axes, in radians (about 29°)."""

START = (-4.0, 3.0)
"""θ₀ of the 2-D runs (``problems.quadratic``'s start), ‖θ₀‖ = 5."""

STEPS = 40
"""Steps T of every 2-D run in the figures and the eigenvalue widget (one compilation)."""

Z_LIMITS = (1e-6, 1e4)
"""The y-range of the |z_{t,i}| panels: float32 round-off (≈ 6·10⁻⁸ ‖θ‖) stays below it."""


# --------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------


def _tolerance(value: Any) -> float:
    tol = _positive(value, "tol")
    if tol >= 1:
        raise ValueError(f"tol must lie in (0, 1), got {value!r}")
    return tol


# --------------------------------------------------------------------------
# Gradient descent in the eigenbasis: predicted against measured
# --------------------------------------------------------------------------


class EigenbasisRun(NamedTuple):
    """One gradient-descent run on ``½ θᵀQθ``, seen in the eigenbasis of Q.

    Attributes:
        Q: the 2×2 matrix (float64).
        eigenvalues: λ₁ ≤ λ₂, ascending (as ``analysis`` orders them).
        V: the orthonormal eigenvectors, one per column, ``Q = V diag(λ) Vᵀ``.
        learning_rate: α.
        factors: the contraction factors ``1 − αλᵢ`` (``analysis.gd_contraction_factors``).
        trajectory: the measured run (:func:`lab.trajectory`), θ₀ … θ_T.
        measured: ``z_t = Vᵀθ_t`` of the run, shape ``(T + 1, 2)``; NaN after a divergence.
        predicted: ``z_{t,i} = (1 − αλᵢ)^t z_{0,i}``, same shape (float64).
    """

    Q: np.ndarray
    eigenvalues: np.ndarray
    V: np.ndarray
    learning_rate: float
    factors: np.ndarray
    trajectory: Trajectory
    measured: np.ndarray
    predicted: np.ndarray

    @property
    def rate(self) -> float:
        """``max_i |1 − αλᵢ|``: the contraction of the slowest direction per step."""
        return float(np.max(np.abs(self.factors)))

    @property
    def max_relative_error(self) -> float:
        """``max_t max_i |measured − predicted| / max(‖z_t‖, ‖z₀‖ · 10⁻⁶)`` over the finite steps.

        The denominator is the size of the iterate itself: float32 arithmetic
        makes errors of about 10⁻⁷ relative to ‖θ_t‖ in every component.
        """
        finite = np.all(np.isfinite(self.measured), axis=1)
        scale = np.maximum(
            np.linalg.norm(self.predicted[finite], axis=1),
            1e-6 * np.linalg.norm(self.predicted[0]),
        )
        error = np.max(np.abs(self.measured[finite] - self.predicted[finite]), axis=1)
        return float(np.max(error / scale))


def eigenbasis_run(
    eigenvalues: Sequence[float] = EIGENVALUES,
    angle: float = ANGLE,
    learning_rate: float = 0.17,
    steps: int = STEPS,
    x0: Sequence[float] = START,
) -> EigenbasisRun:
    """Run gradient descent on ``½ θᵀQθ`` and compare it with ``z_{t,i} = (1 − αλᵢ)^t z_{0,i}``.

    ``Q = R(angle) diag(λ) R(angle)ᵀ`` (``problems.quadratic_matrix``) is
    passed to the compiled run as data, so new eigenvalues or a new angle do
    not recompile.
    """
    learning_rate = _positive(learning_rate, "learning_rate")
    steps = _whole(steps, "steps")
    Q = problems.quadratic_matrix(eigenvalues, angle)
    run = trajectory(
        sgd, problems.quadratic_loss, np.asarray(x0, np.float32), steps,
        loss_args=(Q,), learning_rate=learning_rate,
    )  # fmt: skip
    lam, V = analysis.eigendecomposition(Q)
    factors = analysis.gd_contraction_factors(Q, learning_rate)
    measured = np.asarray(run.params, np.float64) @ V  # row t is (Vᵀθ_t)ᵀ
    t = np.arange(steps + 1)[:, None]
    with np.errstate(over="ignore"):
        predicted = factors[None, :] ** t * (np.asarray(x0, np.float64) @ V)[None, :]
    return EigenbasisRun(Q, lam, V, learning_rate, factors, run, measured, predicted)


# --------------------------------------------------------------------------
# Drawing quadratics: level sets are ellipses
# --------------------------------------------------------------------------

_LEVELS = (1.6, 1.25, 1.0, 0.75, 0.5, 0.3, 0.15, 0.05)
"""Level sets drawn, as multiples of the ellipse through θ₀."""

_CIRCLE = np.stack([np.cos(np.linspace(0, 2 * np.pi, 121)), np.sin(np.linspace(0, 2 * np.pi, 121))])
_SLOW, _FAST, _PATH = plot.color(1), plot.color(2), plot.color(0)


def _ellipses(eigenvalues: np.ndarray, V: np.ndarray, through: np.ndarray) -> list[np.ndarray]:
    """Level sets ``½ θᵀQθ = c`` of Q = V diag(λ) Vᵀ: θ = V diag(√(2c/λ)) (cos s, sin s)."""
    z0 = V.T @ through
    level = 0.5 * float(np.sum(eigenvalues * z0**2)) or 1.0
    semi_axes = np.sqrt(2 * level / np.maximum(eigenvalues, 1e-12))
    return [V @ (scale * semi_axes[:, None] * _CIRCLE) for scale in _LEVELS]


def _style_plane(ax, title: str, labels: tuple[str, str], limit: float = 5.0) -> None:
    ax.set_xlim(-limit, limit)
    ax.set_ylim(-limit, limit)
    ax.set_autoscale_on(False)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.set_title(title)
    ax.plot(0, 0, marker="*", markersize=12, color="white", markeredgecolor="black", zorder=5)


def _axis_segment(direction: np.ndarray, limit: float = 5.0) -> np.ndarray:
    return np.outer([-1.5 * limit, 1.5 * limit], direction).T


def zigzag_figure(
    eigenvalues: Sequence[float] = EIGENVALUES,
    angle: float = ANGLE,
    learning_rate: float = 0.17,
    steps: int = 12,
):
    """The same gradient-descent path in the θ-plane and in the eigenbasis z = Vᵀθ.

    Left: the path zig-zags across the rotated ellipses.  Right: in z the
    ellipses are aligned with the axes and each coordinate moves on its own.
    Returns the figure.
    """
    run = eigenbasis_run(eigenvalues, angle, learning_rate, STEPS)
    shown = Trajectory(run.trajectory.params[: steps + 1], run.trajectory.losses, None)
    in_z = Trajectory(run.measured[: steps + 1], run.trajectory.losses, None)
    fig, (plane, eigen) = plot.figure(ncols=2, width=4.4, height=4.2)
    lam, V = run.eigenvalues, run.V
    start = np.asarray(START, np.float64)
    for ellipse in _ellipses(lam, V, start):
        plane.plot(*ellipse, color="0.6", linewidth=0.8)
    for ellipse in _ellipses(lam, np.eye(2), V.T @ start):
        eigen.plot(*ellipse, color="0.6", linewidth=0.8)
    for i, color in enumerate((_SLOW, _FAST)):
        plane.plot(*_axis_segment(V[:, i]), "--", color=color, linewidth=1.3,
                   label=f"eigenvector of λ = {lam[i]:g}")  # fmt: skip
        eigen.plot(*_axis_segment(np.eye(2)[i]), "--", color=color, linewidth=1.3)
    plot.trajectory_line(plane, shown, color=_PATH)
    plot.trajectory_line(eigen, in_z, color=_PATH)
    _style_plane(plane, f"θ-plane: {steps} steps of α = {learning_rate:g}", ("θ₁", "θ₂"))
    _style_plane(eigen, "the same steps in z = Vᵀθ", ("z₁ (slow, λ_min)", "z₂ (fast, λ_max)"))
    plane.legend(loc="lower left", fontsize=8, framealpha=0.9)
    return fig


def _decay_lines(ax, run: EigenbasisRun, legend: str | None = "full") -> dict[str, list]:
    """|z_{t,i}| measured (dots) and predicted (lines), one colour per eigendirection.

    ``legend`` is ``"full"`` (one entry per line), ``"compact"`` (two grey entries,
    quicker to redraw in a widget) or ``None``.
    """
    t = np.arange(run.measured.shape[0])
    artists: dict[str, list] = {"predicted": [], "measured": []}
    for i, color in enumerate((_SLOW, _FAST)):
        (line,) = ax.plot(t, _shown(run.predicted[:, i]), color=color, linewidth=1.6,
                          label=rf"predicted $|1-\alpha\lambda_{i + 1}|^t\,|z_{{0,{i + 1}}}|$")  # fmt: skip
        (dots,) = ax.plot(t, _shown(run.measured[:, i]), "o", color=color, markersize=3.5,
                          markerfacecolor="white", label=rf"measured $|z_{{t,{i + 1}}}|$")  # fmt: skip
        artists["predicted"].append(line)
        artists["measured"].append(dots)
    ax.set_yscale("log")
    ax.set_ylim(*Z_LIMITS)
    ax.set_yticks([10.0**k for k in range(-6, 5, 2)])
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_xlim(0, t[-1])
    ax.set_autoscale_on(False)
    ax.set_xlabel("step t")
    ax.set_ylabel("|z_t,i|: distance along eigenvector i")
    if legend == "full":
        ax.legend(loc="upper right", fontsize=8, framealpha=0.9, ncol=2)
    elif legend == "compact":
        proxies = [
            Line2D([], [], color="0.35", linewidth=1.6, label="predicted |1 − αλᵢ|ᵗ |z₀,ᵢ|"),
            Line2D([], [], color="0.35", marker="o", markersize=3.5, markerfacecolor="white",
                   linestyle="none", label="measured |z_t,i|"),
        ]  # fmt: skip
        ax.legend(handles=proxies, loc="upper right", fontsize=8, framealpha=0.9)
    return artists


def _shown(values: np.ndarray) -> np.ndarray:
    """|values| for a log axis: zeros sit far below the axis instead of warning."""
    magnitude = np.abs(np.asarray(values, np.float64))
    return np.where(np.isfinite(magnitude), np.maximum(magnitude, 1e-300), np.nan)


def eigenbasis_figure(learning_rates: Sequence[float] = (0.17, 0.21), **kwargs: Any):
    """Predicted against measured |z_{t,i}| for each learning rate, one panel each.

    ``kwargs`` go to :func:`eigenbasis_run`.  Returns ``(figure, runs)``.
    """
    runs = [eigenbasis_run(learning_rate=a, **kwargs) for a in learning_rates]
    fig, axes = plot.figure(ncols=len(runs), width=4.6, height=3.8)
    axes = axes if isinstance(axes, list) else [axes]
    for k, (ax, run) in enumerate(zip(axes, runs, strict=True)):
        _decay_lines(ax, run, legend="full" if k == 0 else None)
        factors = ", ".join(f"{f:+.2f}" for f in run.factors)
        ax.set_title(f"α = {run.learning_rate:g}: factors 1 − αλᵢ = {factors}", fontsize=10)
    return fig, runs


# --------------------------------------------------------------------------
# Widget 1: eigenvalues, rotation and α
# --------------------------------------------------------------------------

_FACTOR_RANGE = (-3.0, 1.25)


class EigenvaluePanels:
    """The figure of :func:`eigenvalue_widget` and the artists a slider move updates.

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
        self.created = False

    def _create(self, run: EigenbasisRun) -> None:
        self.ellipses = [self.plane.plot([], [], color="0.6", linewidth=0.8)[0] for _ in _LEVELS]
        self.axes_lines = [
            self.plane.plot([], [], "--", color=c, linewidth=1.3)[0] for c in (_SLOW, _FAST)
        ]
        self.path = plot.trajectory_line(self.plane, run.trajectory, color=_PATH)
        self.message = plot.divergence_message(self.plane, run.trajectory)
        _style_plane(self.plane, "path on the level sets of ½θᵀQθ", ("θ₁", "θ₂"))
        self.lines = _decay_lines(self.decay, run, legend="compact")
        self._create_number_line()
        self.created = True

    def _create_number_line(self) -> None:
        ax = self.line
        low, high = _FACTOR_RANGE
        ax.add_patch(Rectangle((-1, -1), 2, 2, color=plot.color(3), alpha=0.15, linewidth=0))
        ax.axhline(0, color="0.3", linewidth=1)
        for x in (-1, 0, 1):
            ax.axvline(x, color="0.3", linewidth=0.8, linestyle=":" if x == 0 else "-")
        ax.text(0.5, -0.85, "shrinks, same sign", ha="center", fontsize=8, color="0.25")
        ax.text(-0.5, -0.85, "shrinks, flips sign", ha="center", fontsize=8, color="0.25")
        ax.text((low - 1) / 2, -0.85, "grows, flips sign: diverges", ha="center", fontsize=8,
                color="#b00000")  # fmt: skip
        self.points = [ax.plot([], [], "o", color=c, markersize=9)[0] for c in (_SLOW, _FAST)]
        self.labels = [
            ax.text(0, 0.35, "", ha="center", fontsize=9, color=c) for c in (_SLOW, _FAST)
        ]
        ax.set_xlim(low, high)
        ax.set_ylim(-1, 1)
        ax.set_xticks([-3, -2, -1, 0, 1])
        ax.set_yticks([])
        ax.set_xlabel("contraction factor 1 − αλᵢ per step (green: the stable band |1 − αλ| < 1)")

    def draw(self, run: EigenbasisRun) -> None:
        if not self.created:
            self._create(run)
        lam, V = run.eigenvalues, run.V
        for artist, ellipse in zip(
            self.ellipses, _ellipses(lam, V, np.asarray(START)), strict=True
        ):
            artist.set_data(*ellipse)
        for i, artist in enumerate(self.axes_lines):
            artist.set_data(*_axis_segment(V[:, i]))
        plot.update_trajectory_line(self.path, run.trajectory)
        plot.update_divergence_message(self.message, run.trajectory)
        t = np.arange(run.measured.shape[0])
        for i in range(2):
            self.lines["predicted"][i].set_data(t, _shown(run.predicted[:, i]))
            self.lines["measured"][i].set_data(t, _shown(run.measured[:, i]))
        self._draw_factors(run)
        alpha = run.learning_rate
        self.decay.set_title(
            f"α = {alpha:.3g}:  2/λ_max = {2 / lam[-1]:.3g},  α* = {2 / (lam[0] + lam[-1]):.3g},"
            f"  rate {run.rate:.3g}",
            fontsize=10,
        )

    def _draw_factors(self, run: EigenbasisRun) -> None:
        low, high = _FACTOR_RANGE
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


def eigenvalue_widget(
    eigenvalues: Sequence[float] = EIGENVALUES,
    angle_degrees: float = 30.0,
    learning_rate: float = 0.15,
    steps: int = STEPS,
) -> widgets.Interactive:
    """Sliders for λ₁, λ₂, the rotation and α; the path, the per-direction decay and the factors.

    Q is passed to the compiled run as data (``loss_args``), so no slider
    recompiles anything.  The rendered site's static explorer varies α.
    """
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


# --------------------------------------------------------------------------
# Widget 2: the rate function and the iteration count
# --------------------------------------------------------------------------

RATE_STEPS = 8000
"""Steps of the runs behind the iteration counts (κ up to 1000 at tol 10⁻⁶ needs 6908)."""

RATE_ANGLE = math.pi / 6
RATE_START = (1.0, 0.0)
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
        condition_number: κ.
        learning_rate: α.
        rate: ρ = max(|1 − α/κ|, |1 − α|).
        predicted: ``analysis.iterations_to_tolerance(ρ, tol)`` (∞ if ρ ≥ 1).
        measured: the first t with ‖θ_t‖ ≤ tol ‖θ₀‖, or ``None`` within the steps run.
        trajectory: the run.
    """

    condition_number: float
    learning_rate: float
    rate: float
    predicted: float
    measured: int | None
    trajectory: Trajectory


def rate_run(condition_number: float, learning_rate: float, tol: float = TOLERANCE) -> RateRun:
    """Run GD on ``½ θᵀQθ`` with eigenvalues (1/κ, 1) and count the steps to ``tol``."""
    kappa = _positive(condition_number, "condition_number")
    if kappa < 1:
        raise ValueError(f"condition_number must be >= 1, got {condition_number!r}")
    alpha = _positive(learning_rate, "learning_rate")
    tol = _tolerance(tol)
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


class RatePanels:
    """The figure of :func:`rate_widget`: ρ(α) for the current κ, and steps against κ."""

    ALPHAS = np.linspace(0.0, 2.5, 501)
    KAPPAS = np.geomspace(1.0, 1000.0, 300)
    N_LIMITS = (0.8, 3e6)

    def __init__(self, tol: float = TOLERANCE):
        self.tol = tol
        self.figure, (self.rates, self.counts) = plot.figure(ncols=2, width=4.3, height=3.6)
        self.created = False

    def _create(self) -> None:
        ax = self.rates
        ax.axhline(1.0, color="#b00000", linewidth=1, linestyle=":")
        ax.axvspan(2.0, self.ALPHAS[-1], color="#b00000", alpha=0.08, linewidth=0)
        ax.text(2.05, 0.3, "α > 2/λ_max:\ndiverges", fontsize=8, color="#b00000", va="top")
        (self.slow,) = ax.plot([], [], "--", color=_SLOW, linewidth=1.2, label="|1 − αλ_min|")
        (self.fast,) = ax.plot([], [], "--", color=_FAST, linewidth=1.2, label="|1 − αλ_max|")
        (self.worst,) = ax.plot([], [], color="black", linewidth=2, label="ρ(α): their max")
        (self.best,) = ax.plot([], [], "s", color="black", markersize=7, label="α*")
        (self.current,) = ax.plot([], [], "o", color=_PATH, markersize=9)
        self.current_line = ax.axvline(0, color=_PATH, linewidth=1)
        ax.set_xlim(self.ALPHAS[0], self.ALPHAS[-1])
        ax.set_ylim(0, 1.6)
        ax.set_yticks([0, 0.5, 1, 1.5])
        ax.set_xlabel("learning rate α  (λ_max = 1)")
        ax.set_ylabel("contraction per step")
        ax.legend(loc="lower left", fontsize=8, framealpha=0.9)
        ax = self.counts
        optimal = [
            analysis.iterations_to_tolerance((k - 1) / (k + 1), self.tol) for k in self.KAPPAS
        ]
        ax.plot(self.KAPPAS, optimal, color="black", linewidth=2, label="predicted bound at α*")
        ax.plot(self.KAPPAS, self.KAPPAS / 2 * math.log(1 / self.tol), ":", color="0.4",
                linewidth=1.2, label="(κ/2)·ln(1/tol)")  # fmt: skip
        (self.at_alpha,) = ax.plot([], [], color=_PATH, linewidth=1.4,
                                   label="predicted bound at your α")  # fmt: skip
        (self.measured,) = ax.plot([], [], "o", color=_PATH, markersize=9,
                                   markerfacecolor="white", markeredgewidth=2,
                                   label="measured")  # fmt: skip
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(self.KAPPAS[0], self.KAPPAS[-1])
        ax.set_ylim(*self.N_LIMITS)
        ax.xaxis.set_minor_locator(NullLocator())
        ax.yaxis.set_minor_locator(NullLocator())
        ax.set_yticks([10.0**k for k in range(0, 7)])
        ax.set_xlabel("condition number κ = λ_max/λ_min")
        ax.set_ylabel(f"steps to ‖θ_t‖ ≤ {self.tol:g}·‖θ₀‖")
        ax.legend(loc="upper left", fontsize=8, framealpha=0.9)
        self.note = ax.text(0.97, 0.04, "", transform=ax.transAxes, ha="right", va="bottom",
                            fontsize=9, color="#b00000")  # fmt: skip
        self.created = True

    def draw(self, result: RateRun) -> None:
        if not self.created:
            self._create()
        kappa, alpha = result.condition_number, result.learning_rate
        a = self.ALPHAS
        self.slow.set_data(a, np.abs(1 - a / kappa))
        self.fast.set_data(a, np.abs(1 - a))
        self.worst.set_data(a, rate_function(a, (1 / kappa, 1.0)))
        best = 2 / (1 + 1 / kappa)
        self.best.set_data([best], [(kappa - 1) / (kappa + 1)])
        self.current.set_data([alpha], [min(result.rate, 1.58)])
        self.current_line.set_xdata([alpha, alpha])
        rho = rate_function(alpha, np.stack([1 / self.KAPPAS, np.ones_like(self.KAPPAS)], axis=1))
        counts = [analysis.iterations_to_tolerance(r, self.tol) for r in rho]
        self.at_alpha.set_data(self.KAPPAS, np.where(np.isfinite(counts), counts, np.nan))
        measured = result.measured
        shown = measured if measured is not None else np.nan
        self.measured.set_data([kappa], [max(shown, self.N_LIMITS[0] * 1.3)])
        if result.trajectory.diverged_at is not None:
            note = f"diverged at step {result.trajectory.diverged_at}: α > 2/λ_max = 2"
        elif measured is None:
            note = f"not reached in {RATE_STEPS} steps"
        else:
            note = ""
        self.note.set_text(note)
        predicted = "∞" if math.isinf(result.predicted) else f"{result.predicted:.0f}"
        self.rates.set_title(
            f"κ = {kappa:.3g}, α = {alpha:.3g}: ρ = {result.rate:.4g}", fontsize=10
        )
        self.counts.set_title(
            f"predicted ≤ {predicted} steps, measured {measured if measured is not None else '—'}",
            fontsize=10,
        )


def rate_widget(
    condition_number: float = 10.0, learning_rate: float = 1.2, tol: float = TOLERANCE
) -> widgets.Interactive:
    """Sliders for κ and α (with λ_max = 1): the rate function and the steps to ``tol``.

    Each move runs gradient descent for :data:`RATE_STEPS` steps on the 2-D
    quadratic with eigenvalues (1/κ, 1), with Q and α traced (no recompilation).
    The rendered site's static explorer varies κ.
    """
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


# --------------------------------------------------------------------------
# Steps to a tolerance as κ grows
# --------------------------------------------------------------------------


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
    dim = _whole(dim, "dim", 2)
    tol = _tolerance(tol)
    rows = []
    for kappa in condition_numbers:
        kappa = _positive(kappa, "condition_numbers")
        if kappa < 1:
            raise ValueError(f"condition_numbers must be >= 1, got {kappa!r}")
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
        rows.append((kappa, rho, predicted, lower, measured, share, distances))
    columns = list(zip(*rows, strict=True))
    measured = np.array([np.nan if m is None else m for m in columns[4]], np.float64)
    return IterationSweep(
        np.array(columns[0]), np.array(columns[1]), np.array(columns[2]), np.array(columns[3]),
        measured, np.array(columns[5]), np.stack(columns[6]), tol, dim,
    )  # fmt: skip


def iterations_figure(sweep: IterationSweep, example: float = 100.0):
    """Left: steps to the tolerance against κ (log–log).  Right: one run against its bounds.

    ``example`` is the κ whose run the right panel shows.
    """
    fig, (counts, run) = plot.figure(ncols=2, width=4.9, height=4.1)
    kappas = np.geomspace(1, sweep.condition_numbers.max(), 300)
    bound = [analysis.iterations_to_tolerance((k - 1) / (k + 1), sweep.tol) for k in kappas]
    counts.plot(kappas, bound, color="black", linewidth=2,
                label="upper bound: ρ^t reaches tol")  # fmt: skip
    counts.plot(kappas, kappas / 2 * math.log(1 / sweep.tol), ":", color="0.4", linewidth=1.3,
                label="(κ/2)·ln(1/tol)")  # fmt: skip
    counts.plot(sweep.condition_numbers, sweep.lower, "v", color=_SLOW, markersize=9,
                label="lower bound: c·ρ^t reaches tol")  # fmt: skip
    counts.plot(sweep.condition_numbers, sweep.measured, "o", color=_PATH, markersize=5,
                label="measured")  # fmt: skip
    counts.set_xscale("log")
    counts.set_yscale("log")
    counts.set_xlabel("condition number κ")
    counts.set_ylabel(f"steps t to ‖θ_t‖ ≤ {sweep.tol:g}·‖θ₀‖")
    counts.set_title(f"GD at α* on {sweep.dim}-dimensional quadratics", fontsize=10)
    counts.legend(loc="upper left", fontsize=8, framealpha=0.9)
    k = int(np.argmin(np.abs(sweep.condition_numbers - example)))
    rho, share = sweep.rates[k], sweep.shares[k]
    stop = int(min(sweep.distances.shape[1] - 1, 1.15 * sweep.predicted[k]))
    t = np.arange(stop + 1)
    run.plot(
        t, sweep.distances[k, : stop + 1], color=_PATH, linewidth=2.2, label="measured ‖θ_t‖/‖θ₀‖"
    )
    run.plot(t, rho**t, "--", color="black", linewidth=1.3, label="upper bound ρ^t")
    run.plot(t, share * rho**t, "--", color=_SLOW, linewidth=1.3,
             label=f"lower bound c·ρ^t, c = {share:.2f}")  # fmt: skip
    run.axhline(sweep.tol, color="0.4", linewidth=1, linestyle=":")
    for steps, color in ((sweep.predicted[k], "black"), (sweep.measured[k], _PATH)):
        run.axvline(steps, color=color, linewidth=1, linestyle=":")
    run.set_yscale("log")
    run.set_xlim(0, stop)
    run.set_ylim(sweep.tol / 20, 2)
    run.set_xlabel("step t")
    run.set_ylabel("‖θ_t‖ / ‖θ₀‖")
    run.set_title(
        f"κ = {sweep.condition_numbers[k]:g}: measured {sweep.measured[k]:.0f} steps, "
        f"bound {sweep.predicted[k]:.0f}",
        fontsize=10,
    )
    run.legend(loc="lower left", fontsize=8, framealpha=0.9)
    return fig


# --------------------------------------------------------------------------
# Beyond quadratics: a small network
# --------------------------------------------------------------------------


def squared_error_loss(params, x, targets):
    """``L(θ) = 1/n Σᵢ ½ ‖MLP_θ(xᵢ) − yᵢ‖²`` with one-hot targets yᵢ (the logits regress on them)."""
    residuals = nn.mlp_apply(params, x) - targets
    return 0.5 * jnp.mean(jnp.sum(residuals**2, axis=1))


class NetworkProblem(NamedTuple):
    """The chapter's network: an MLP 64–32–10 (tanh) on digits, full batch.

    Attributes:
        params: θ₀ (``nn.init_mlp``, a list of {"w", "b"} layers).
        x: the training images used (n × 64, standardised).
        labels: their classes 0–9.
        targets: the one-hot targets (n × 10) of :func:`squared_error_loss`.
        sharpness: the :class:`~lab.curvature.Eigenpair` of λ_max at θ₀.
    """

    params: Any
    x: jax.Array
    labels: jax.Array
    targets: jax.Array
    sharpness: curvature.Eigenpair

    @property
    def num_parameters(self) -> int:
        return sum(int(np.size(p)) for p in jax.tree_util.tree_leaves(self.params))

    @property
    def predicted_learning_rate(self) -> float:
        """2/λ_max(θ₀): the largest stable α of the quadratic model at initialisation."""
        return 2.0 / self.sharpness.eigenvalue


POWER_ITERATIONS = 100
"""Hessian-vector products per power iteration (one compiled program)."""


def network_problem(
    sizes: Sequence[int] = (64, 32, 10), examples: int = 512, seed: int = 0
) -> NetworkProblem:
    """The MLP at initialisation, its data, and λ_max of the squared-error loss there."""
    examples = _whole(examples, "examples", 2)
    digits = data.digits()
    if examples > digits.x_train.shape[0]:
        raise ValueError(f"examples must be at most {digits.x_train.shape[0]}, got {examples}")
    x, labels = digits.x_train[:examples], digits.y_train[:examples]
    targets = jax.nn.one_hot(labels, sizes[-1])
    params = nn.init_mlp(jax.random.PRNGKey(seed), list(sizes))
    top = curvature.largest_eigenvalue(
        squared_error_loss, params, x, targets, iterations=POWER_ITERATIONS
    )
    return NetworkProblem(params, x, labels, targets, top)


class DenseCheck(NamedTuple):
    """λ_max of a network small enough to form its Hessian, computed two ways."""

    power_iteration: float
    dense: float
    num_parameters: int


def dense_hessian_check(
    problem: NetworkProblem, sizes: Sequence[int] = (64, 8, 10), seed: int = 0
) -> DenseCheck:
    """λ_max by power iteration and by ``jax.hessian`` + ``numpy.linalg.eigvalsh``.

    For a narrower network on the same examples, so that the dense d×d
    Hessian stays cheap to form and to diagonalise.
    """
    params = nn.init_mlp(jax.random.PRNGKey(seed), list(sizes))
    x, targets = problem.x, problem.targets
    flat, unravel = ravel_pytree(params)
    hessian = jax.jit(jax.hessian(lambda f: squared_error_loss(unravel(f), x, targets)))(flat)
    dense = float(np.linalg.eigvalsh(np.asarray(hessian, np.float64))[-1])
    power = curvature.largest_eigenvalue(
        squared_error_loss, params, x, targets, iterations=POWER_ITERATIONS
    ).eigenvalue
    return DenseCheck(power, dense, int(flat.size))


class LearningRateSweep(NamedTuple):
    """Full-batch gradient descent on the network at α = factor · 2/λ_max(θ₀).

    Attributes:
        factors: α in units of the prediction 2/λ_max(θ₀) (a log grid).
        learning_rates: the α themselves.
        losses: L(θ_t) of each run, shape ``(len(factors), steps + 1)``; NaN after divergence.
        diverged_at: the step at which each run diverged, or −1.
        final_sharpness: λ_max at the last step of each run (NaN if it diverged).
        predicted: 2/λ_max(θ₀).
    """

    factors: np.ndarray
    learning_rates: np.ndarray
    losses: np.ndarray
    diverged_at: np.ndarray
    final_sharpness: np.ndarray
    predicted: float

    @property
    def first_diverging(self) -> float:
        """The smallest α of the grid whose run diverged (``nan`` if none did)."""
        bad = np.flatnonzero(self.diverged_at >= 0)
        return float(self.learning_rates[bad[0]]) if bad.size else math.nan

    @property
    def last_converging(self) -> float:
        """The largest α below :attr:`first_diverging` (the grid's last stable point)."""
        bad = np.flatnonzero(self.diverged_at >= 0)
        stop = bad[0] if bad.size else len(self.factors)
        return float(self.learning_rates[stop - 1]) if stop > 0 else math.nan

    def monotone(self) -> np.ndarray:
        """Whether each run's loss decreased at every step."""
        with np.errstate(invalid="ignore"):
            return np.array([np.all(np.diff(row[np.isfinite(row)]) <= 0) for row in self.losses])


def learning_rate_sweep(
    problem: NetworkProblem,
    factors: Sequence[float] = tuple(2 ** (k / 4) for k in range(-4, 13)),
    steps: int = 300,
) -> LearningRateSweep:
    """Train with full-batch GD at α = factor · 2/λ_max(θ₀) for each factor.

    Every run is :func:`lab.trajectory` of :func:`squared_error_loss`
    with the data and α traced: one compiled program for the whole grid.  A
    run has diverged when its loss exceeds 10⁶ (1 + L(θ₀)).  The sharpness at
    the end of each run that did not diverge is measured by power iteration.
    """
    factors = np.array([_positive(f, "factors") for f in factors])
    if np.any(np.diff(factors) <= 0):
        raise ValueError("factors must increase")
    predicted = problem.predicted_learning_rate
    losses, diverged, sharpness = [], [], []
    for factor in factors:
        run = trajectory(
            sgd, squared_error_loss, problem.params, _whole(steps, "steps"),
            loss_args=(problem.x, problem.targets), learning_rate=float(factor * predicted),
        )  # fmt: skip
        losses.append(np.asarray(run.losses, np.float64))
        diverged.append(-1 if run.diverged_at is None else run.diverged_at)
        if run.diverged_at is None:
            final = jax.tree_util.tree_map(lambda p: p[-1], run.params)
            top = curvature.largest_eigenvalue(
                squared_error_loss, final, problem.x, problem.targets, iterations=POWER_ITERATIONS
            )
            sharpness.append(top.eigenvalue)
        else:
            sharpness.append(math.nan)
    return LearningRateSweep(
        factors, factors * predicted, np.array(losses), np.array(diverged),
        np.array(sharpness), predicted,
    )  # fmt: skip


def sweep_figure(sweep: LearningRateSweep, problem: NetworkProblem, shown: Sequence[int] = ()):
    """Left: loss curves for some α.  Right: λ_max at the end of training against α.

    ``shown`` are indices into the sweep (default: five spread over the grid).
    """
    fig, (curves, sharp) = plot.figure(ncols=2, width=4.8, height=3.9)
    if not shown:
        bad = np.flatnonzero(sweep.diverged_at >= 0)
        last = bad[0] if bad.size else len(sweep.factors) - 1
        shown = sorted({0, int(np.argmin(np.abs(sweep.factors - 1))), last - 2, last - 1, last})
    for k, index in enumerate(shown):
        traj = Trajectory(None, sweep.losses[index], None)
        label = f"α = {sweep.factors[index]:.2f} · 2/λ₀"
        plot.loss_curve(curves, traj, label=label, color=plot.color(k + 1))
    curves.set_ylim(3e-2, 1e1)
    curves.set_title("training loss of full-batch GD", fontsize=10)
    curves.legend(loc="upper right", fontsize=8, framealpha=0.9)
    alphas = np.geomspace(sweep.learning_rates[0] * 0.8, sweep.learning_rates[-1] * 1.25, 100)
    sharp.plot(alphas, 2 / alphas, "--", color="#b00000", linewidth=1.3, label="2/α")
    sharp.axhline(problem.sharpness.eigenvalue, color="0.4", linestyle=":", linewidth=1.3,
                  label="λ_max(θ₀)")  # fmt: skip
    ok = sweep.diverged_at < 0
    sharp.plot(sweep.learning_rates[ok], sweep.final_sharpness[ok], "o", color=_SLOW,
               markersize=7, label="λ_max at the end of training")  # fmt: skip
    sharp.axvline(sweep.predicted, color="black", linewidth=1.2, label="predicted 2/λ_max(θ₀)")
    if np.isfinite(sweep.first_diverging):
        sharp.axvspan(sweep.first_diverging, alphas[-1], color="#b00000", alpha=0.08,
                      linewidth=0, label="diverged")  # fmt: skip
    sharp.set_xscale("log")
    sharp.set_yscale("log")
    sharp.set_xlim(alphas[0], alphas[-1])
    for axis in (sharp.xaxis, sharp.yaxis):
        axis.set_minor_formatter(NullFormatter())
        axis.set_major_formatter(ScalarFormatter())
    sharp.set_xticks([0.1, 0.2, 0.5, 1, 2])
    sharp.set_yticks([1, 2, 5, 10, 20])
    sharp.set_xlabel("learning rate α")
    sharp.set_ylabel("sharpness λ_max of the Hessian")
    sharp.set_title("the curvature adapts to the step size", fontsize=10)
    sharp.legend(loc="lower left", fontsize=8, framealpha=0.9)
    return fig


class CrossEntropySweep(NamedTuple):
    """``nn.train`` (cross-entropy, full batch) at α = factor · 2/λ_max(θ₀).

    Attributes:
        sharpness: λ_max of the cross-entropy loss at θ₀.
        factors: α in units of 2/λ_max(θ₀).
        diverged_at: per run, ``nn.train``'s divergence step or −1.
        val_accuracy: per run, the validation accuracy at the end.
    """

    sharpness: float
    factors: np.ndarray
    diverged_at: np.ndarray
    val_accuracy: np.ndarray

    @property
    def first_diverging_factor(self) -> float:
        """The smallest factor of the grid whose run diverged (``nan`` if none did)."""
        bad = np.flatnonzero(self.diverged_at >= 0)
        return float(self.factors[bad[0]]) if bad.size else math.nan

    def table(self) -> list[tuple[float, float, bool]]:
        """``(factor, validation accuracy, diverged)`` for each run, as plain values."""
        return [
            (float(f), round(float(a), 3), bool(d >= 0))
            for f, a, d in zip(self.factors, self.val_accuracy, self.diverged_at, strict=True)
        ]


def cross_entropy_sweep(
    problem: NetworkProblem,
    factors: Sequence[float] = tuple(2.0**k for k in range(11)),
    steps: int = 50,
) -> CrossEntropySweep:
    """The same network trained with ``nn.train`` (cross-entropy) on the same examples.

    Full batch (``batch_size`` = n), α traced: one compiled program for the grid.
    """
    top = curvature.largest_eigenvalue(
        nn.cross_entropy_loss, problem.params, problem.x, problem.labels,
        iterations=POWER_ITERATIONS,
    )  # fmt: skip
    digits = data.digits()
    dataset = data.Dataset(problem.x, problem.labels, digits.x_val, digits.y_val)
    n = int(problem.x.shape[0])
    diverged, accuracy = [], []
    for factor in factors:
        result = nn.train(
            sgd, problem.params, dataset, steps=_whole(steps, "steps"), batch_size=n,
            key=jax.random.PRNGKey(1), learning_rate=float(factor * 2 / top.eigenvalue),
        )  # fmt: skip
        diverged.append(-1 if result.diverged_at is None else result.diverged_at)
        accuracy.append(result.val_accuracy)
    return CrossEntropySweep(
        top.eigenvalue, np.asarray(factors, np.float64), np.array(diverged), np.array(accuracy)
    )
