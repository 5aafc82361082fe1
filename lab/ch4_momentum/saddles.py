"""Section "Saddles and shallow minima": escaping a saddle, and overshooting a good minimum.

Near the saddle of ``problems.saddle()`` (curvature −1 along θ₂) gradient descent
multiplies θ₂ by ``1 + α`` per step and the heavy ball by the larger root of
``z² − (1 + β + α) z + β``.  On a tilted double well, which minimum the heavy ball ends
in depends on α, β and the start in no simple way (:func:`basin_sweep`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from lab import analysis, plot, problems
from lab.ch4_momentum.optimal_rates import measured_rate
from lab.ch4_momentum.valley import STEPS
from lab.trajectory import Trajectory
from optimizers.momentum import sgd
from optimizers.validation import as_positive

LEFT_START = (-2.2, 0.5)
"""The second start on the double well, above the deep well (the first is the problem's (2, 1))."""

SADDLE_SHOWN = 30
"""Steps of the saddle runs drawn in :func:`escape_figure`."""


def double_well_loss(theta, tilt, stiffness):
    """``L(θ) = ¼ θ₁⁴ − ½ θ₁² + c θ₁ + ½ k θ₂²`` with tilt c and stiffness k.

    ∇L = (θ₁³ − θ₁ + c, k θ₂).  For 0 < c < 2/(3√3) it has a deep minimum at
    θ₁ < 0 and a shallow one at θ₁ > 0, with a ridge between them.
    """
    x, y = theta[0], theta[1]
    return 0.25 * x**4 - 0.5 * x**2 + tilt * x + 0.5 * stiffness * y**2


def double_well(tilt: float = 0.3, stiffness: float = 1.0) -> problems.Problem:
    """A tilted double well: a deep minimum on the left, a shallow one on the right.

    The minima are the roots of θ₁³ − θ₁ + c = 0 (at θ₂ = 0), computed with NumPy;
    there are two only for 0 < c < 2/(3√3).
    """
    c, k = float(tilt), float(stiffness)
    deep, _, shallow = np.sort(np.roots([1.0, 0.0, -1.0, c]).real)
    value = lambda x: 0.25 * x**4 - 0.5 * x**2 + c * x  # noqa: E731
    return problems.Problem(
        name="tilted double well",
        loss_fn=double_well_loss,
        args=(jnp.float32(c), jnp.float32(k)),
        start=np.array([2.0, 1.0], np.float32),
        minima=[np.array([deep, 0.0], np.float32), np.array([shallow, 0.0], np.float32)],
        min_value=float(value(deep)),
        bounds=((-2.5, 2.5), (-1.5, 1.5)),
    )


def _ends_deep(run: Trajectory) -> bool:
    """Whether a run on the double well ended in the deep well (θ₁ < 0)."""
    return float(np.asarray(run.params)[-1, 0]) < 0


def _well(run: Trajectory) -> str:
    return "deep" if _ends_deep(run) else "shallow"


class SaddleGrowth(NamedTuple):
    """How fast θ₂ leaves the saddle of ``problems.saddle()`` (curvature −1 along θ₂).

    Attributes:
        learning_rate, momentum: α and β of the heavy ball (GD: β = 0).
        predicted_gd, predicted: the growth factor per step of GD, 1 + α, and
            the heavy ball's largest root of ``z² − (1 + β + α) z + β``.
        measured_gd, measured: the measured factors from a start 10⁻⁶ off the axis.
    """

    learning_rate: float
    momentum: float
    predicted_gd: float
    predicted: float
    measured_gd: float
    measured: float


def saddle_growth(learning_rate: float = 0.1, momentum: float = 0.9) -> SaddleGrowth:
    """Measure the escape factor near the saddle (linear regime: |θ₂| ≪ 1) and predict it."""
    alpha, beta = learning_rate, momentum
    problem = problems.saddle()
    x0 = np.array([1.5, 1e-6], np.float32)

    def factor(b):
        run = problem.run(sgd, STEPS, x0, learning_rate=alpha, momentum=b)
        return measured_rate(np.abs(np.asarray(run.params, np.float64)[:, 1]), 15, 30)

    root = np.max(np.abs(np.linalg.eigvals(analysis.momentum_iteration_matrix(-1.0, alpha, beta))))
    return SaddleGrowth(alpha, beta, 1 + alpha, float(root), factor(0.0), factor(beta))


class EscapeRuns(NamedTuple):
    """Gradient descent and the heavy ball on the saddle and on the double well.

    Attributes:
        learning_rate: α of every run.
        momentum: β of the heavy ball on the double well.
        saddle_momentum: β of the heavy ball on the saddle.
        saddle: label → run on ``problems.saddle()`` from its start (1.5, 0.01),
            gradient descent first, then the heavy ball.
        right: label → run on the double well from the right (2, 1), above the shallow well.
        left: label → run on the double well from :data:`LEFT_START`, above the deep well.
        gd_escape, heavy_ball_escape: on the saddle, the first step with |θ₂| > ½
            (``None``: not within :data:`STEPS` steps).
        gd_right_well, heavy_ball_right_well: "deep" or "shallow", where each run from
            the right ended.
        gd_left_well, heavy_ball_left_well: the same from the left.
    """

    learning_rate: float
    momentum: float
    saddle_momentum: float
    saddle: dict[str, Trajectory]
    right: dict[str, Trajectory]
    left: dict[str, Trajectory]
    gd_escape: int | None
    heavy_ball_escape: int | None
    gd_right_well: str
    heavy_ball_right_well: str
    gd_left_well: str
    heavy_ball_left_well: str


def _labels(alpha: float, beta: float) -> tuple[str, str]:
    return f"gradient descent, α = {alpha:g}", f"heavy ball, α = {alpha:g}, β = {beta:g}"


def _escape_step(run: Trajectory) -> int | None:
    """The first step with |θ₂| > ½, or ``None``."""
    left = np.flatnonzero(np.abs(np.asarray(run.params)[:, 1]) > 0.5)
    return int(left[0]) if left.size else None


def escape_runs(learning_rate: float = 0.1, momentum: float = 0.8, saddle_momentum: float = 0.9):
    """Run GD and the heavy ball on the saddle (β = ``saddle_momentum``) and the double well."""
    alpha, beta = learning_rate, momentum
    saddle, well = problems.saddle(), double_well()
    gd, heavy = _labels(alpha, beta)
    _, heavy_saddle = _labels(alpha, saddle_momentum)
    saddle_gd = saddle.run(sgd, STEPS, learning_rate=alpha, momentum=0.0)
    saddle_heavy = saddle.run(sgd, STEPS, learning_rate=alpha, momentum=saddle_momentum)
    runs = {}
    for name, x0 in (("right", well.start), ("left", np.array(LEFT_START, np.float32))):
        runs[name] = {
            gd: well.run(sgd, STEPS, x0, learning_rate=alpha, momentum=0.0),
            heavy: well.run(sgd, STEPS, x0, learning_rate=alpha, momentum=beta),
        }
    return EscapeRuns(
        alpha, beta, saddle_momentum, {gd: saddle_gd, heavy_saddle: saddle_heavy},
        runs["right"], runs["left"], _escape_step(saddle_gd), _escape_step(saddle_heavy),
        _well(runs["right"][gd]), _well(runs["right"][heavy]),
        _well(runs["left"][gd]), _well(runs["left"][heavy]),
    )  # fmt: skip


class BasinSweep(NamedTuple):
    """Where the heavy ball ends on the double well, for each β, from both starts.

    Attributes:
        learning_rate: α.
        momenta: the β values.
        right, left: per β, True if the run from that start ended in the deep well.
    """

    learning_rate: float
    momenta: np.ndarray
    right: np.ndarray
    left: np.ndarray


def basin_sweep(learning_rate: float = 0.1, momenta: Sequence[float] | None = None) -> BasinSweep:
    """Run the heavy ball on the double well for every β (one compiled program) from both starts.

    The exercise "Which well?" calls it with its own α.
    """
    alpha = as_positive(learning_rate, "learning_rate")
    betas = np.round(np.arange(0.0, 0.96, 0.05), 2) if momenta is None else np.asarray(momenta)
    well = double_well()
    ends = {}
    for name, x0 in (("right", well.start), ("left", np.array(LEFT_START, np.float32))):
        ends[name] = np.array(
            [
                _ends_deep(well.run(sgd, STEPS, x0, learning_rate=alpha, momentum=float(b)))
                for b in betas
            ]
        )
    return BasinSweep(alpha, betas, ends["right"], ends["left"])


def _paths(ax, problem: problems.Problem, runs: dict[str, Trajectory], title: str) -> None:
    """The contours of ``problem`` and each run's path, in the run colours."""
    plot.contour(ax, problem, levels=20)
    for i, (label, run) in enumerate(runs.items()):
        plot.trajectory_line(ax, run, label=label, color=plot.color(i))
    ax.set_title(title, fontsize=9.5)


def _basin_strip(ax, sweep: BasinSweep) -> None:
    """One row of squares per start: dark for the deep well, light for the shallow one."""
    deep, shallow = plot.color(3), "#f2c94c"
    for row, (name, ends) in enumerate(
        (("from (2, 1)", sweep.right), ("from (−2.2, 0.5)", sweep.left))
    ):
        colors = [deep if end else shallow for end in ends]
        ax.scatter(sweep.momenta, np.full(len(ends), row), c=colors, marker="s", s=120,
                   edgecolors="0.3", linewidths=0.5)  # fmt: skip
        ax.text(-0.03, row, name, ha="right", va="center", fontsize=8.5)
    ax.set_yticks([])
    ax.set_ylim(-0.7, 1.7)
    ax.set_xlim(-0.32, 1.0)
    ax.set_xticks(sweep.momenta[::2])
    ax.set_xlabel(f"momentum β of the heavy ball (α = {sweep.learning_rate:g}, {STEPS} steps)")
    ax.set_title(
        "where the heavy ball ends: green = deep well, yellow = shallow well", fontsize=9.5
    )
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)


def escape_figure(runs: EscapeRuns, sweep: BasinSweep):
    """The saddle; the double well from the right and from the left; where each β ends.

    Section "Saddles and shallow minima" (figure ``mom_escape``).  Top: the paths
    of :func:`escape_runs` (the saddle's first :data:`SADDLE_SHOWN` steps).  Bottom:
    ``sweep`` (:func:`basin_sweep`), the well the heavy ball reaches for each β
    from either start.  Returns the figure.
    """
    fig, first = plot.figure(ncols=1, width=11.0, height=5.0)
    first.remove()
    grid = fig.add_gridspec(2, 3, height_ratios=(3.3, 1.0))
    axes = [fig.add_subplot(grid[0, i]) for i in range(3)]
    strip = fig.add_subplot(grid[1, :])
    for ax in (*axes, strip):
        ax.set_facecolor("white")
    shown = {
        label: Trajectory(run.params[: SADDLE_SHOWN + 1], run.losses[: SADDLE_SHOWN + 1], None)
        for label, run in runs.saddle.items()
    }
    well = double_well()
    _paths(axes[0], problems.saddle(), shown, f"saddle: {SADDLE_SHOWN} steps from (1.5, 0.01)")
    _paths(axes[1], well, runs.right, f"double well: {STEPS} steps from (2, 1)")
    _paths(axes[2], well, runs.left, f"double well: {STEPS} steps from {LEFT_START}")
    axes[0].legend(loc="lower left", fontsize=7, framealpha=0.9)
    axes[1].legend(loc="lower left", fontsize=7, framealpha=0.9)
    _basin_strip(strip, sweep)
    return fig
