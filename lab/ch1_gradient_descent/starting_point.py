"""Section "Where you start decides where you end": basins of attraction on Himmelblau's function.

:func:`basins` runs gradient descent from every start of a grid at once and labels each
start by the minimum it reaches; :func:`himmelblau_run` is one such run, and
:func:`starting_point_widget` lets the reader move its start over the basins.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from matplotlib.colors import ListedColormap

from lab import plot, problems, widgets
from lab.ch1_gradient_descent.static_frames import with_static_frames
from lab.registry import plain_gradient_descent
from lab.trajectory import Trajectory

__all__ = [
    "BASIN_STEPS",
    "HIMMELBLAU_LEARNING_RATE",
    "Basins",
    "HimmelblauRun",
    "StartingPointPanels",
    "basins",
    "himmelblau_run",
    "starting_point_widget",
]

BASIN_STEPS = 200
"""Steps of gradient descent from each start of the Himmelblau experiments."""

HIMMELBLAU_LEARNING_RATE = 0.01
"""The learning rate α on Himmelblau's function, below 2/λ_max at every minimum (the steepest
minimum has λ_max ≈ 134)."""

BASIN_COLORS = ("#9ecae1", "#fdae6b", "#a1d99b", "#dadaeb")
"""Pale fills for the basins of Himmelblau's four minima."""


@functools.partial(jax.jit, static_argnums=(0, 3))
def _descend_from(loss_fn, starts, args, steps, learning_rate):
    """θ_T of plain gradient descent from each start (vectorised over the starts)."""
    grad = jax.grad(loss_fn)

    def run(theta):
        return jax.lax.fori_loop(
            0, steps, lambda _, th: th - learning_rate * grad(th, *args), theta
        )

    return jax.vmap(run)(starts)


class Basins(NamedTuple):
    """Where gradient descent ends from every start on a grid.

    Attributes:
        xs, ys: the grid's coordinates θ₁ and θ₂.
        labels: ``labels[i, j]`` is the index (into ``problem.minima``) of the minimum
            reached from ``(xs[j], ys[i])``, or −1 (no minimum within 0.01, or diverged).
        fractions: the share of starts that reach each minimum, between 0 and 1.
    """

    xs: np.ndarray
    ys: np.ndarray
    labels: np.ndarray
    fractions: np.ndarray


def basins(
    problem: problems.Problem | None = None,
    learning_rate: float = HIMMELBLAU_LEARNING_RATE,
    steps: int = BASIN_STEPS,
    resolution: int = 121,
) -> Basins:
    """The basin of attraction of each known minimum under gradient descent with step α.

    Runs ``steps`` steps from each of ``resolution²`` starts in one vectorised,
    compiled call and labels each start by the minimum it reaches (default
    problem: Himmelblau's function).
    """
    problem = problems.himmelblau() if problem is None else problem
    (x0, x1), (y0, y1) = problem.bounds
    xs, ys = np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)
    X, Y = np.meshgrid(xs, ys)
    starts = jnp.asarray(np.stack([X.ravel(), Y.ravel()], axis=1), jnp.float32)
    ends = np.asarray(
        _descend_from(problem.loss_fn, starts, problem.args, steps, jnp.float32(learning_rate)),
        np.float64,
    )
    minima = np.stack(problem.minima).astype(np.float64)
    distances = np.linalg.norm(ends[:, None, :] - minima[None], axis=-1)
    distances = np.nan_to_num(distances, nan=np.inf)  # a diverged run reaches nothing
    nearest = np.argmin(distances, axis=1)
    labels = np.where(distances.min(axis=1) < 0.01, nearest, -1).reshape(X.shape)
    fractions = np.array([np.mean(labels == k) for k in range(len(minima))])
    return Basins(xs, ys, labels, fractions)


def _draw_basins(ax, found: Basins) -> None:
    colors = ListedColormap(["#ffffff", *BASIN_COLORS[: int(found.labels.max()) + 1]])
    (x0, x1), (y0, y1) = (found.xs[[0, -1]], found.ys[[0, -1]])
    ax.imshow(found.labels + 1, origin="lower", extent=(x0, x1, y0, y1), cmap=colors,
              vmin=0, vmax=colors.N - 1, interpolation="nearest", aspect="auto", zorder=0)  # fmt: skip


def _minimum_reached(problem: problems.Problem, traj: Trajectory) -> int:
    """Index of the minimum the run ended within 0.01 of, or −1."""
    end = np.asarray(traj.params, np.float64)[-1]
    if not np.all(np.isfinite(end)):
        return -1
    distances = [np.linalg.norm(end - m) for m in problem.minima]
    return int(np.argmin(distances)) if min(distances) < 0.01 else -1


class HimmelblauRun(NamedTuple):
    """One run of gradient descent on Himmelblau's function, and where it ended.

    Attributes:
        minimum_index: the index (into ``problems.himmelblau().minima``) of the minimum
            the run ended within 0.01 of, or −1 if none.
        run: the :class:`~lab.trajectory.Trajectory`, θ₀ … θ_200.
    """

    minimum_index: int
    run: Trajectory


def himmelblau_run(theta1: float, theta2: float) -> HimmelblauRun:
    """Gradient descent (α = 0.01, 200 steps) on Himmelblau's function from (θ₁, θ₂)."""
    problem = problems.himmelblau()
    x0 = np.array([theta1, theta2], np.float32)
    run = problem.run(
        plain_gradient_descent, BASIN_STEPS, x0, learning_rate=HIMMELBLAU_LEARNING_RATE
    )
    return HimmelblauRun(_minimum_reached(problem, run), run)


class StartingPointPanels(plot.Panels):
    """Section "Where you start decides where you end": the widget's two panels.

    Left: the basins, the contours and the path from θ₀.  Right: the loss on a log
    scale (L_min = 0).  Each result is a :class:`HimmelblauRun`.
    """

    def __init__(self, problem: problems.Problem, found: Basins):
        self.problem = problem
        self.figure, (self.plane, self.losses) = plot.figure(ncols=2, width=4.3, height=3.9)
        _draw_basins(self.plane, found)
        plot.contour(self.plane, problem, filled=False, levels=20)
        self.plane.set_title("")
        self.losses.set_title("loss")

    def create(self, result: HimmelblauRun) -> None:
        self.path = plot.trajectory_line(self.plane, result.run, color="black")
        self.loss = plot.loss_curve(self.losses, result.run, color="black", min_value=0.0)
        self.message = plot.divergence_message(self.plane, result.run)

    def update(self, result: HimmelblauRun) -> None:
        plot.update_trajectory_line(self.path, result.run)
        plot.update_loss_curve(self.loss, result.run, 0.0)
        plot.update_divergence_message(self.message, result.run)
        plot.set_loss_axis_limits(self.losses, [self.loss])
        start = np.asarray(result.run.params)[0]
        origin = f"from ({start[0]:.2f}, {start[1]:.2f})"
        if result.minimum_index < 0:
            self.plane.set_title(f"{origin}: no minimum reached")
        else:
            m = self.problem.minima[result.minimum_index]
            self.plane.set_title(f"{origin} to the minimum ({m[0]:.2f}, {m[1]:.2f})")


def starting_point_widget(theta1: float = -0.3, theta2: float = -0.4):
    """Section "Where you start decides where you end": sliders for the start θ₀.

    On Himmelblau's function, over the basins of its four minima.
    Left: the basins (coloured by the minimum gradient descent reaches from
    there with α = 0.01 in 200 steps), the contours, and the path from θ₀.
    Right: the loss ``L(θ_t)`` on a log scale (L_min = 0).  θ₀ is passed as
    data, so a slider move runs the compiled trajectory again, nothing more.
    """
    problem = problems.himmelblau()
    panels = StartingPointPanels(problem, basins(problem))
    controls = {
        "theta1": widgets.slider("θ₀,₁", theta1, -5.0, 5.0, step=0.05),
        "theta2": widgets.slider("θ₀,₂", theta2, -5.0, 5.0, step=0.05),
    }
    widget = widgets.interactive(himmelblau_run, panels.draw, controls, panels.figure)
    return with_static_frames(widget)
