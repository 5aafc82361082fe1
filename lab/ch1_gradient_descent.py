"""The experiments of the chapter *Gradient descent*: one function per figure or widget.

Sections of the chapter and the functions behind them:

1. Landscapes: :func:`critical_points`, :func:`landscape_figure`, :func:`basins`,
   :func:`himmelblau_run`, :func:`starting_point_widget`, :func:`saddle_escape`,
   :func:`saddle_figure`, :func:`saddle_widget`.
2. Where gradients come from: :func:`random_direction_alignment`,
   :func:`finite_difference_figure`, :func:`gradient_check_demo`, :func:`cost_problem`,
   :func:`evaluations_to_reduce`, :func:`gradient_timings`, :func:`cost_figure`.
3. The update rule: :func:`one_step_decrease`, :func:`learning_rate_thresholds`,
   :func:`learning_rate_figure`, :func:`learning_rate_widget`.
4. Batch, stochastic, mini-batch: :func:`regression_problem`, :func:`gradient_variance`,
   :func:`scheduled_gradient_descent`, :func:`stochastic_run`, :func:`minibatch_figure`,
   :func:`noise_floor_figure`, :func:`batch_size_widget`.

Every run is plain gradient descent ``θ_t = θ_{t−1} − α g_t`` with
``g_t = ∇L(θ_{t−1})`` (or a mini-batch estimate of it).  Single paths go
through :func:`lab.trajectory.trajectory`, with the numbers a slider
moves passed as traced values, so that widgets never recompile; the figures
reuse the widgets' compiled programs wherever they can, since compiling is
what a notebook spends most of its time on.
"""

from __future__ import annotations

import functools
import math
import timeit
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from matplotlib.colors import ListedColormap

from lab import analysis, gradients, plot, problems, widgets
from lab.registry import plain_gradient_descent
from lab.trajectory import Trajectory
from optimizers import schedules
from optimizers.momentum import sgd

__all__ = [
    "BASIN_STEPS",
    "EPOCHS",
    "EPOCH_BATCH_SIZES",
    "HIMMELBLAU_LEARNING_RATE",
    "LEARNING_RATE_FRAMES",
    "LEARNING_RATE_REGIMES",
    "STATIC_FRAMES",
    "Basins",
    "CostProblem",
    "CostToReduce",
    "CriticalPoint",
    "DifferenceError",
    "GradientTimings",
    "GradientVariance",
    "NoiseFloor",
    "OneStep",
    "SaddleEscape",
    "basins",
    "batch_size_widget",
    "cost_figure",
    "cost_problem",
    "critical_points",
    "escape_step",
    "evaluations_to_reduce",
    "finite_difference_figure",
    "gap_after_epochs",
    "gradient_check_demo",
    "gradient_timings",
    "gradient_variance",
    "himmelblau_run",
    "landscape_figure",
    "last_epoch_gap",
    "learning_rate_figure",
    "learning_rate_thresholds",
    "learning_rate_widget",
    "minibatch_figure",
    "noise_floor_figure",
    "one_step_decrease",
    "per_example_gradients",
    "predicted_escape_step",
    "random_direction_alignment",
    "regression_problem",
    "saddle_escape",
    "saddle_figure",
    "saddle_widget",
    "scheduled_gradient_descent",
    "starting_point_widget",
    "stochastic_run",
]

BASIN_STEPS = 200
"""Steps of gradient descent from each start of the Himmelblau experiments."""

HIMMELBLAU_LEARNING_RATE = 0.01
"""The learning rate α on Himmelblau's function, below 2/λ_max at every minimum (the steepest
minimum has λ_max ≈ 134)."""

EPOCHS = 8
"""The budget of every stochastic run, in epochs (passes over the n examples)."""

BASIN_COLORS = ("#9ecae1", "#fdae6b", "#a1d99b", "#dadaeb")
"""Pale fills for the basins of Himmelblau's four minima."""


def _check_positive_int(value: Any, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return int(value)


def _check_positive(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"{name} must be a number, got {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def _check_problem(problem: Any, two_d: bool = False) -> problems.Problem:
    if not isinstance(problem, problems.Problem):
        raise TypeError(f"problem must be a Problem, got {type(problem).__name__}")
    if two_d and problem.bounds is None:
        raise ValueError(f"problem {problem.name!r} must be 2-D with plotting bounds")
    return problem


STATIC_FRAMES = 9
"""How many frames the rendered site's explorer of a widget shows. Each frame is one more run
and redraw when the notebook executes, so the chapter keeps them few."""

LEARNING_RATE_FRAMES = 13
"""How many frames the learning-rate widget's explorer shows, at α = 10^(−3 + k/4). They
include 0.1, 0.18 (smooth), 0.32 (zig-zag), 0.56 and 1 (divergent)."""


def _with_static_frames(widget: widgets.Interactive, frames: int = STATIC_FRAMES):
    """Precompute the widget's static explorer with ``frames`` frames (it is cached)."""
    widget.static_html(frames=frames)
    return widget


def _sliced(traj: Trajectory, steps: int) -> Trajectory:
    """The first ``steps`` steps of a run (θ₀ … θ_steps); a later divergence is not reported.

    Sliced in NumPy: slicing a JAX array compiles a program per new length,
    i.e. per batch-size slider position.
    """
    params = jax.tree_util.tree_map(lambda p: np.asarray(p)[: steps + 1], traj.params)
    diverged = (
        traj.diverged_at if traj.diverged_at is not None and traj.diverged_at <= steps else None
    )
    return Trajectory(params, np.asarray(traj.losses)[: steps + 1], diverged)


# ==========================================================================
# 1. Landscapes: minima, saddles, basins
# ==========================================================================


class CriticalPoint(NamedTuple):
    """A point where ∇L(θ) = 0, with its kind read off the Hessian's eigenvalues.

    Attributes:
        theta: the point, float64.
        loss: L(θ).
        hessian_eigenvalues: ascending.
        kind: ``"minimum"`` (all > 0), ``"maximum"`` (all < 0) or ``"saddle"`` (mixed signs).
    """

    theta: np.ndarray
    loss: float
    hessian_eigenvalues: np.ndarray
    kind: str


@functools.partial(jax.jit, static_argnums=(0, 3))
def _newton_from(loss_fn, starts, args, iterations):
    """Newton's method ``θ ← θ − ∇²L(θ)⁻¹ ∇L(θ)`` from each start: it finds critical points of
    any kind.  Returns the end points, ‖∇L‖, L and the Hessian's eigenvalues there.
    """
    grad = jax.grad(loss_fn)
    hessian = jax.hessian(loss_fn)

    def solve(theta):
        def step(theta, _):
            return theta - jnp.linalg.solve(hessian(theta, *args), grad(theta, *args)), None

        theta, _ = jax.lax.scan(step, theta, None, length=iterations)
        return (
            theta, jnp.linalg.norm(grad(theta, *args)), loss_fn(theta, *args),
            jnp.linalg.eigvalsh(hessian(theta, *args)),
        )  # fmt: skip

    return jax.vmap(solve)(starts)


def critical_points(problem: problems.Problem, grid: int = 15, tolerance: float = 1e-3):
    """Every critical point of a 2-D problem inside its bounds, found by Newton's method.

    Newton's method is started from a ``grid × grid`` lattice over the plotting
    box; the points where it lands with ``‖∇L‖ < tolerance`` are merged (within
    10⁻³) and classified by the eigenvalues of the Hessian ``∇²L`` there.

    Returns:
        A list of :class:`CriticalPoint`, sorted by loss.
    """
    problem = _check_problem(problem, two_d=True)
    grid = _check_positive_int(grid, "grid", 2)
    (x0, x1), (y0, y1) = problem.bounds
    X, Y = np.meshgrid(np.linspace(x0, x1, grid), np.linspace(y0, y1, grid))
    starts = jnp.asarray(np.stack([X.ravel(), Y.ravel()], axis=1), jnp.float32)
    ends, grad_norms, losses, spectra = (
        np.asarray(a, np.float64) for a in _newton_from(problem.loss_fn, starts, problem.args, 40)
    )
    inside = (ends[:, 0] >= x0) & (ends[:, 0] <= x1) & (ends[:, 1] >= y0) & (ends[:, 1] <= y1)
    result: list[CriticalPoint] = []
    for k in np.flatnonzero(np.isfinite(grad_norms) & (grad_norms < tolerance) & inside):
        if all(np.linalg.norm(ends[k] - known.theta) > 1e-3 for known in result):
            lam = spectra[k]
            kind = "minimum" if lam[0] > 0 else "maximum" if lam[-1] < 0 else "saddle"
            result.append(CriticalPoint(ends[k], float(losses[k]), lam, kind))
    return sorted(result, key=lambda c: c.loss)


_MARKERS = {"saddle": ("X", "#d62728"), "maximum": ("^", "#ff7f0e")}


def _mark_critical_points(ax, points: list[CriticalPoint]) -> None:
    """Saddles (✕) and maxima (▲); minima are starred by :func:`lab.plot.contour`."""
    for point in points:
        if point.kind in _MARKERS:
            marker, color = _MARKERS[point.kind]
            ax.plot(*point.theta, marker=marker, markersize=10, color=color,
                    markeredgecolor="black", linestyle="none")  # fmt: skip


def landscape_figure():
    """Three landscapes: a convex bowl, Himmelblau's four minima, a saddle between two minima.

    Returns:
        ``(fig, points)``: the figure and the critical points of the two
        non-convex problems, keyed ``"himmelblau"`` and ``"saddle"`` (the bowl
        ``½ θᵀQθ`` with Q ≻ 0 has just one, its minimum at 0).
    """
    landscapes = {
        "convex: one minimum": problems.quadratic(eigenvalues=(1.0, 4.0), angle=0.5),
        "Himmelblau: four minima": problems.himmelblau(),
        "a saddle between two minima": problems.saddle(),
    }
    fig, axes = plot.figure(ncols=3, width=4.0, height=3.8)
    points = {}
    for ax, (title, problem) in zip(axes, landscapes.items(), strict=True):
        plot.contour(ax, problem)
        if problem.loss_fn is not problems.quadratic_loss:
            points[problem.name.lower()] = critical_points(problem)
            _mark_critical_points(ax, points[problem.name.lower()])
        ax.set_title(title)
    return fig, points


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
        xs, ys: the grid's coordinates.
        labels: ``labels[i, j]`` is the index of the minimum reached from
            ``(xs[j], ys[i])``, or −1 (no minimum within 0.01, or diverged).
        fractions: the share of starts that reach each minimum.
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
    compiled call and labels each start by the minimum it reaches.
    """
    problem = _check_problem(problems.himmelblau() if problem is None else problem, two_d=True)
    learning_rate = _check_positive(learning_rate, "learning_rate")
    steps = _check_positive_int(steps, "steps")
    resolution = _check_positive_int(resolution, "resolution", 2)
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


def himmelblau_run(theta1: float, theta2: float) -> tuple[int, Trajectory]:
    """Gradient descent (α = 0.01, 200 steps) on Himmelblau's function from (θ₁, θ₂).

    Returns ``(index of the minimum reached or −1, the run)``: what the widget shows.
    """
    problem = problems.himmelblau()
    x0 = np.array([theta1, theta2], np.float32)
    run = problem.run(
        plain_gradient_descent, BASIN_STEPS, x0, learning_rate=HIMMELBLAU_LEARNING_RATE
    )
    return _minimum_reached(problem, run), run


def starting_point_widget(theta1: float = -0.3, theta2: float = -0.4):
    """Sliders for the start θ₀ on Himmelblau's function, over the basins of its four minima.

    Left: the basins (coloured by the minimum gradient descent reaches from
    there with α = 0.01 in 200 steps), the contours, and the path from θ₀.
    Right: the loss ``L(θ_t)`` on a log scale (L_min = 0).  θ₀ is passed as
    data, so a slider move runs the compiled trajectory again, nothing more.
    """
    problem = problems.himmelblau()
    found = basins(problem)
    fig, (plane, losses) = plot.figure(ncols=2, width=4.3, height=3.9)
    _draw_basins(plane, found)
    plot.contour(plane, problem, filled=False, levels=20)
    plane.set_title("")
    losses.set_title("loss")
    artists: dict[str, Any] = {}

    def compute(theta1, theta2):
        return himmelblau_run(theta1, theta2)[1]

    def draw(traj):
        if not artists:
            artists["path"] = plot.trajectory_line(plane, traj, color="black")
            artists["loss"] = plot.loss_curve(losses, traj, color="black", min_value=0.0)
            artists["message"] = plot.divergence_message(plane, traj)
        plot.update_trajectory_line(artists["path"], traj)
        plot.update_loss_curve(artists["loss"], traj, 0.0)
        plot.update_divergence_message(artists["message"], traj)
        plot.set_loss_axis_limits(losses, [artists["loss"]])
        index = _minimum_reached(problem, traj)
        start = np.asarray(traj.params)[0]
        if index < 0:
            plane.set_title(f"from ({start[0]:.2f}, {start[1]:.2f}): no minimum reached")
        else:
            m = problem.minima[index]
            plane.set_title(
                f"from ({start[0]:.2f}, {start[1]:.2f}) to the minimum ({m[0]:.2f}, {m[1]:.2f})"
            )

    controls = {
        "theta1": widgets.slider("θ₀,₁", theta1, -5.0, 5.0, step=0.05),
        "theta2": widgets.slider("θ₀,₂", theta2, -5.0, 5.0, step=0.05),
    }
    return _with_static_frames(widgets.interactive(compute, draw, controls, fig))


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
    """Escape times from the saddle for starts (1.5, δ), measured and predicted."""

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


def saddle_escape(offsets=(1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7), learning_rate=0.1, steps=300):
    """Gradient descent on the saddle from ``θ₀ = (1.5, δ)`` for each offset δ."""
    problem = problems.saddle()
    learning_rate = _check_positive(learning_rate, "learning_rate")
    offsets = np.asarray(offsets, np.float64)
    if offsets.ndim != 1 or not np.all(offsets > 0):
        raise ValueError(f"offsets must be a 1-D sequence of numbers > 0, got {offsets!r}")
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


def saddle_figure(escape: SaddleEscape | None = None):
    """Paths, loss curves and escape times on the saddle ``½θ₁² − ½θ₂² + ¼θ₂⁴``.

    Returns ``(fig, escape)`` with the :class:`SaddleEscape` it shows.
    """
    escape = saddle_escape() if escape is None else escape
    problem = problems.saddle()
    fig, (plane, losses, times) = plot.figure(ncols=3, width=4.0, height=3.6)
    plot.contour(plane, problem)
    shown = [0, 2, 4, 6]
    for i, k in enumerate(shown):
        label = f"δ = 1e{round(math.log10(escape.offsets[k]))}"
        plot.trajectory_line(plane, escape.runs[k], label=label, color=plot.color(i))
        plot.loss_curve(losses, escape.runs[k], label=label, color=plot.color(i),
                        min_value=problem.min_value)  # fmt: skip
    plane.plot(0, 0, marker="X", markersize=10, color="#d62728", markeredgecolor="black")
    plane.set_title("paths from θ₀ = (1.5, δ)")
    losses.set_title("loss: plateaus at the saddle")
    losses.set_ylim(SADDLE_LOSS_FLOOR, 3.0)
    losses.legend(fontsize=8, loc="lower left")
    decades = -np.log10(escape.offsets)
    times.plot(decades, escape.predicted, "-", color="black",
               label="prediction ln(0.5/δ) / ln(1 + α)")  # fmt: skip
    times.plot(decades, escape.measured, "o", color=plot.color(0), label="measured")
    times.set_xlabel("log₁₀(1/δ)")
    times.set_ylabel("first step with |θ₂| ≥ 0.5")
    times.set_title(f"escape time, α = {escape.learning_rate:g}")
    times.legend(fontsize=8, loc="upper left")
    return fig, escape


def saddle_widget(offset: float = 1e-3, learning_rate: float = 0.1, steps: int = 300):
    """Sliders for the start's offset δ from the saddle's attracting axis, and for α."""
    problem = problems.saddle()
    fig, (plane, losses) = plot.figure(ncols=2, width=4.3, height=3.7)
    plot.contour(plane, problem)
    plane.plot(0, 0, marker="X", markersize=10, color="#d62728", markeredgecolor="black")
    losses.set_title("loss gap L(θ_t) − L_min")
    artists: dict[str, Any] = {}

    def compute(offset, learning_rate):
        x0 = np.array([1.5, offset], np.float32)
        run = problem.run(plain_gradient_descent, steps, x0, learning_rate=learning_rate)
        return run, escape_step(run), predicted_escape_step(offset, learning_rate)

    def draw(result):
        run, measured, predicted = result
        if not artists:
            artists["path"] = plot.trajectory_line(plane, run)
            artists["loss"] = plot.loss_curve(losses, run, min_value=problem.min_value)
            artists["predicted"] = losses.axvline(predicted, color="black", linestyle="--",
                                                  linewidth=1, label="predicted escape")  # fmt: skip
            artists["message"] = plot.divergence_message(plane, run)
            losses.legend(fontsize=8, loc="lower left")
        plot.update_trajectory_line(artists["path"], run)
        plot.update_loss_curve(artists["loss"], run, problem.min_value)
        plot.update_divergence_message(artists["message"], run)
        plot.set_loss_axis_limits(losses, [artists["loss"]])
        losses.set_ylim(SADDLE_LOSS_FLOOR, 3.0)
        artists["predicted"].set_xdata([predicted, predicted])
        escaped = f"left at step {measured}" if measured is not None else "still on the axis"
        plane.set_title(f"θ₀ = (1.5, {run.params[0, 1]:.1e}): {escaped}")

    controls = {
        "offset": widgets.log_slider("δ = θ₀,₂", offset, -7.0, 0.0, step=0.25),
        "learning_rate": widgets.slider("α", learning_rate, 0.02, 0.9, step=0.01),
    }
    return _with_static_frames(widgets.interactive(compute, draw, controls, fig))


# ==========================================================================
# 2. Where gradients come from
# ==========================================================================


def random_direction_alignment(dims=(2, 10, 100, 1000), samples: int = 4000, seed: int = 0):
    """The mean of ``cos²`` between a fixed gradient g and a random direction u in ℝᵈ.

    For u uniform on the sphere, ``E[cos²(g, u)] = 1/d``: the best step along a
    random direction removes on average only 1/d of what a step along g
    would (on a quadratic with Q = I).  Computed with NumPy.

    Returns:
        ``{d: measured mean cos²}``.
    """
    samples = _check_positive_int(samples, "samples")
    rng = np.random.default_rng(seed)
    result = {}
    for d in dims:
        d = _check_positive_int(d, "d")
        g = rng.normal(size=d)
        u = rng.normal(size=(samples, d))
        cos = (u @ g) / (np.linalg.norm(u, axis=1) * np.linalg.norm(g))
        result[d] = float(np.mean(cos**2))
    return result


class DifferenceError(NamedTuple):
    """How the error of one difference quotient depends on h, in one precision.

    Attributes:
        predicted_step: h*, the minimiser of the error bound (:func:`~lab.gradients.default_step`).
        bound: the bound at h*: ``h*/2 + ε_mach/h*`` (forward) or ``h*²/6 + ε_mach/(2h*)``
            (central), relative, for exp (whose value and derivatives are equal).
        reliable_step: the h whose *reliable error* is smallest.
        reliable_error: that error: the largest error among the seven steps nearest to h
            (within a factor 1.8 either way), what one can count on near h.
        smallest_error: the smallest error of any single step, a lucky cancellation.
        truncation_ratio: the error at h = 0.05 divided by the leading truncation
            term (h/2 or h²/6); close to 1 when truncation dominates.
    """

    predicted_step: float
    bound: float
    reliable_step: float
    reliable_error: float
    smallest_error: float
    truncation_ratio: float


def _reliable(errors: np.ndarray, window: int = 7) -> np.ndarray:
    """The largest error among the ``window`` nearest steps of each step (its upper envelope)."""
    padded = np.pad(errors, window // 2, mode="edge")
    return np.lib.stride_tricks.sliding_window_view(padded, window).max(axis=1)


def finite_difference_figure(x: float = 1.0):
    """The V-shaped error of difference quotients of ``exp`` at x, against the step h.

    Two panels, float64 and float32 (computed in NumPy), each with the
    forward and central quotients at 193 steps from 10⁻¹⁶ to 1, the leading
    truncation terms (h/2, h²/6), the round-off term ε_mach/h, and the
    predicted best steps h* (dashed).

    Returns:
        ``(fig, errors)`` with ``errors[(dtype name, method)]`` a :class:`DifferenceError`.
    """
    steps = np.logspace(-16, 0, 193)
    fig, axes = plot.figure(ncols=2, width=4.6, height=3.6)
    result = {}
    for ax, dtype in zip(axes, (np.float64, np.float32), strict=True):
        derivative = math.exp(x)
        forward, central = gradients.derivative_errors(np.exp, derivative, x, steps, dtype)
        at_05 = gradients.derivative_errors(np.exp, derivative, x, [0.05], dtype)
        eps = gradients.machine_epsilon(dtype)
        for i, (method, errors) in enumerate((("forward", forward), ("central", central))):
            shown = np.where(errors > 0, errors, np.nan)
            ax.loglog(steps, shown, ".", markersize=3, color=plot.color(i),
                      label=f"{method} differences")  # fmt: skip
            h = gradients.default_step(method, dtype)
            leading = (lambda t: t / 2) if method == "forward" else (lambda t: t**2 / 6)
            bound = leading(h) + (eps / h if method == "forward" else eps / (2 * h))
            reliable = _reliable(errors)
            k = int(np.argmin(reliable))
            result[(dtype.__name__, method)] = DifferenceError(
                h, bound, float(steps[k]), float(reliable[k]), float(errors.min()),
                float(at_05[i][0] / leading(0.05)),
            )  # fmt: skip
            ax.axvline(h, color=plot.color(i), linestyle="--", linewidth=1)
        truncation = steps[steps > 1e-3]
        ax.loglog(truncation, truncation / 2, "-", color="black", linewidth=0.8, label="h/2, h²/6")
        ax.loglog(truncation, truncation**2 / 6, "-", color="black", linewidth=0.8)
        roundoff = steps[steps < 1e-1]
        ax.loglog(roundoff, eps / roundoff, ":", color="black", linewidth=1, label="ε_mach / h")
        ax.set_ylim(1e-17 if dtype is np.float64 else 1e-9, 1e1)
        ax.set_xlabel("step h")
        ax.set_ylabel("relative error of the derivative")
        ax.set_title(f"{dtype.__name__}: ε_mach = {eps:.1e}")
        ax.legend(fontsize=8, loc="lower left")
        ax.minorticks_off()
    return fig, result


def gradient_check_demo(dim: int = 5, seed: int = 0) -> dict[str, gradients.GradientCheck]:
    """Check three gradients of ``L(θ) = ½ θᵀQθ`` against central differences (float32).

    ``"autodiff"`` is ``jax.grad``, ``"by hand"`` the correct ``Qθ`` and
    ``"slip"`` the classic mistake ``2Qθ`` (forgetting the ½).
    """
    problem = problems.quadratic_nd(eigenvalues=np.linspace(1.0, 10.0, dim), seed=seed)
    loss = functools.partial(problems.quadratic_loss, Q=problem.args[0])
    Q = problem.args[0]
    theta = jnp.asarray(problem.start)
    return {
        "autodiff": gradients.gradient_check(loss, theta),
        "by hand": gradients.gradient_check(loss, theta, lambda t: Q @ t),
        "slip": gradients.gradient_check(loss, theta, lambda t: 2 * Q @ t),
    }


def _diagonal_quadratic_loss(theta, eigenvalues):
    """``½ Σᵢ λᵢ θᵢ² = ½ θᵀQθ`` with Q = diag(λ): one evaluation costs O(d)."""
    return 0.5 * jnp.sum(eigenvalues * theta**2)


class CostProblem(NamedTuple):
    """The loss of the cost experiments in d dimensions, and its compiled gradients.

    Attributes:
        loss: ``L(θ) = ½ Σᵢ λᵢ θᵢ²`` with λ log-spaced from 1 to 10 (κ = 10 for every d), jitted.
        start: θ₀, standard normal (seeded by d).
        learning_rate: α = 2/(λ_min + λ_max).
        gradients: method → a jitted function θ ↦ :class:`~lab.gradients.NumericGradient`
            (``"autodiff"`` counts one gradient per call).
    """

    loss: Any
    start: jax.Array
    learning_rate: float
    gradients: dict


@functools.lru_cache(maxsize=8)
def cost_problem(d: int) -> CostProblem:
    """The :class:`CostProblem` in d dimensions, built (and compiled) once per d."""
    d = _check_positive_int(d, "d")
    lam = jnp.asarray(np.logspace(0.0, 1.0, d), jnp.float32)
    loss = jax.jit(functools.partial(_diagonal_quadratic_loss, eigenvalues=lam))
    autodiff = jax.grad(loss)
    estimators = {
        "forward": jax.jit(lambda t: gradients.forward_difference(loss, t)),
        "central": jax.jit(lambda t: gradients.central_difference(loss, t)),
        "autodiff": jax.jit(lambda t: gradients.NumericGradient(autodiff(t), 1)),
    }
    start = jnp.asarray(np.random.default_rng(d).normal(size=d), jnp.float32)
    return CostProblem(loss, start, 2.0 / (float(lam[0]) + float(lam[-1])), estimators)


class CostToReduce(NamedTuple):
    """Evaluations needed to reduce L(θ₀) tenfold, per method and dimension d."""

    dims: tuple
    random_search: dict
    forward_differences: dict
    central_differences: dict
    autodiff_gradients: dict
    gd_steps: dict


def _first_reaching(losses, target) -> int | None:
    hits = np.flatnonzero(np.asarray(losses) <= target)
    return int(hits[0]) if hits.size else None


def _descend_until(loss, theta, learning_rate, target, estimate) -> tuple[int, int]:
    """Gradient descent with gradients from ``estimate`` until ``L(θ_t) ≤ target``.

    Returns ``(what the gradients cost, steps)``.
    """
    spent, steps = 0, 0
    while float(loss(theta)) > target:
        if steps >= 1000:
            raise RuntimeError("gradient descent did not reach the target in 1000 steps")
        gradient = estimate(theta)
        theta = theta - learning_rate * gradient.gradient
        spent, steps = spent + int(gradient.evaluations), steps + 1
    return spent, steps


def evaluations_to_reduce(dims=(10, 100, 1000), factor: float = 10.0, seeds: int = 2):
    """What it costs each method to reduce the loss ``factor``-fold, as d grows.

    On :func:`cost_problem` (equally hard in every dimension), random search
    (the mean over ``seeds`` runs) counts evaluations of L; gradient descent
    with α = 2/(λ_min + λ_max) runs with forward differences, central
    differences and ``jax.grad``, and each counts what its gradients cost
    (d + 1 or 2d evaluations of L, or one gradient).
    """
    factor = _check_positive(factor, "factor")
    seeds = _check_positive_int(seeds, "seeds")
    result = {name: {} for name in ("random", "forward", "central", "autodiff", "steps")}
    for d in dims:
        problem = cost_problem(d)
        target = float(problem.loss(problem.start)) / factor
        budget = 12 * d + 100
        counts = [
            _first_reaching(search.losses, target)
            for search in (
                gradients.random_search(problem.loss, problem.start, budget, jax.random.PRNGKey(k))
                for k in range(seeds)
            )
        ]
        if any(c is None for c in counts):
            raise RuntimeError(f"random search did not reach the target in {budget} evaluations")
        result["random"][d] = float(np.mean(counts)) + 1  # losses[k]: what k + 1 evaluations did
        for name, estimate in problem.gradients.items():
            spent, steps = _descend_until(
                problem.loss, problem.start, problem.learning_rate, target, estimate
            )
            result[name][d] = spent
            if result["steps"].setdefault(d, steps) != steps:
                raise RuntimeError("finite differences changed the number of steps")
    return CostToReduce(
        tuple(dims), result["random"], result["forward"], result["central"],
        result["autodiff"], result["steps"],
    )  # fmt: skip


class GradientTimings(NamedTuple):
    """Seconds per call, the fastest of several repeats, per method and dimension d."""

    dims: tuple
    loss: dict
    forward: dict
    central: dict
    autodiff: dict


def _fastest(function, theta, repeats: int, block_seconds: float = 5e-3) -> float:
    """Seconds per call: the fastest of ``repeats`` blocks of calls, after one call that compiles.

    A block repeats the call until it lasts ``block_seconds`` (like ``timeit``'s
    autorange, shorter): a gradient of 15 µs timed alone is mostly timer and
    scheduler noise on a shared machine.
    """
    call = lambda: jax.block_until_ready(function(theta))  # noqa: E731
    call()
    number = 1
    while timeit.timeit(call, number=number) < block_seconds:
        number *= 2
    return min(timeit.repeat(call, number=number, repeat=repeats)) / number


def gradient_timings(dims=(10, 100, 1000), repeats: int = 5) -> GradientTimings:
    """Wall time of L, and of its gradient by forward / central differences and by ``jax.grad``.

    On :func:`cost_problem`, with every function compiled whole by ``jax.jit``
    (no Python overhead inside), run once, then timed ``repeats`` times; the
    fastest time counts.  The numbers depend on the machine; their growth
    with d does not.
    """
    repeats = _check_positive_int(repeats, "repeats")
    result = {name: {} for name in ("loss", "forward", "central", "autodiff")}
    for d in dims:
        problem = cost_problem(d)
        result["loss"][d] = _fastest(problem.loss, problem.start, repeats)
        for name, function in problem.gradients.items():
            result[name][d] = _fastest(function, problem.start, repeats)
    return GradientTimings(tuple(dims), *result.values())


def cost_figure(costs: CostToReduce, timings: GradientTimings):
    """Left: evaluations to reduce L tenfold against d.  Right: seconds per gradient against d."""
    fig, (counts, seconds) = plot.figure(ncols=2, width=4.8, height=3.8)
    dims = np.array(costs.dims)
    series = (
        ("random search (evaluations of L)", costs.random_search, "o-"),
        ("GD, forward differences (evaluations of L)", costs.forward_differences, "s-"),
        ("GD, central differences (evaluations of L)", costs.central_differences, "^-"),
        ("GD, jax.grad (gradients)", costs.autodiff_gradients, "D-"),
    )
    for i, (label, values, style) in enumerate(series):
        counts.loglog(dims, [values[d] for d in costs.dims], style, color=plot.color(i),
                      label=label, markersize=5)  # fmt: skip
    counts.set_xlabel("dimension d")
    counts.set_ylabel("cost to reduce L tenfold")
    counts.set_title("evaluations (machine-independent)")
    counts.legend(fontsize=7.5, loc="upper left")
    tdims = np.array(timings.dims)
    for i, (label, values) in enumerate((
        ("one evaluation of L", timings.loss),
        ("forward differences", timings.forward),
        ("central differences", timings.central),
        ("jax.grad", timings.autodiff),
    )):  # fmt: skip
        style = "--" if i == 0 else "-"
        seconds.loglog(tdims, [values[d] * 1e3 for d in timings.dims], style, marker="o",
                       color=plot.color(8 if i == 0 else i), label=label, markersize=5)  # fmt: skip
    seconds.set_xlabel("dimension d")
    seconds.set_ylabel("milliseconds per gradient")
    seconds.set_title("wall time on the machine that built this page")
    seconds.legend(fontsize=8, loc="upper left")
    for ax in (counts, seconds):
        ax.minorticks_off()
    return fig


# ==========================================================================
# 3. The update rule and the learning rate
# ==========================================================================


class OneStep(NamedTuple):
    """One gradient step on a quadratic, computed by the formula and by the code."""

    learning_rate: float
    loss_before: float
    loss_after: float
    loss_after_formula: float
    best_learning_rate: float


def one_step_decrease(learning_rate: float = 0.3, problem: problems.Problem | None = None):
    """``L(θ − αg) = L(θ) − α‖g‖² + ½ α² gᵀQg`` at θ₀, checked against a real step.

    Also returns the best step along g, ``α_g = ‖g‖² / gᵀQg`` (the minimiser
    of that parabola in α; the loss decreases for ``0 < α < 2α_g``).
    """
    problem = problems.ill_conditioned_paraboloid() if problem is None else problem
    Q = np.asarray(problem.args[0], np.float64)
    theta = np.asarray(problem.start, np.float64)
    g = Q @ theta
    before = 0.5 * theta @ Q @ theta
    run = problem.run(
        plain_gradient_descent, 60, learning_rate=learning_rate
    )  # the figure's program
    formula = before - learning_rate * g @ g + 0.5 * learning_rate**2 * g @ Q @ g
    return OneStep(
        learning_rate, float(before), float(run.losses[1]), float(formula),
        float(g @ g / (g @ Q @ g)),
    )  # fmt: skip


def learning_rate_thresholds(problem: problems.Problem | None = None) -> dict[str, float]:
    """The learning rates that separate the regimes of GD on ``½ θᵀQθ``.

    ``1/λ_max``: above it the steepest direction flips sign every step
    (``1 − αλ_max < 0``); ``2/(λ_min + λ_max)``: the fastest worst case;
    ``2/λ_max``: above it ``|1 − αλ_max| > 1`` and the run diverges.
    """
    problem = problems.ill_conditioned_paraboloid() if problem is None else problem
    Q = np.asarray(problem.args[0], np.float64)
    lam = analysis.eigenvalues(Q)
    return {
        "lambda_min": float(lam[0]),
        "lambda_max": float(lam[-1]),
        "oscillation": float(1.0 / lam[-1]),
        "optimal": analysis.optimal_learning_rate(Q),
        "divergence": analysis.max_stable_learning_rate(Q),
    }


LEARNING_RATE_REGIMES = {"crawls": 0.02, "converges": 0.2, "oscillates": 0.45, "diverges": 0.55}
"""One learning rate per regime on the ill-conditioned paraboloid (λ = 0.4, 4)."""


def learning_rate_figure(learning_rates: dict[str, float] | None = None, steps: int = 60):
    """Four learning rates on the ill-conditioned paraboloid: one path per panel, and the losses.

    Returns ``(fig, runs)``, runs keyed by regime ("crawls", "converges" …).
    """
    learning_rates = LEARNING_RATE_REGIMES if learning_rates is None else learning_rates
    if len(learning_rates) != 4:
        raise ValueError(f"learning_rates must name four regimes, got {len(learning_rates)}")
    problem = problems.ill_conditioned_paraboloid()
    runs = {
        regime: problem.run(plain_gradient_descent, steps, learning_rate=alpha)
        for regime, alpha in learning_rates.items()
    }
    fig, unused = plot.figure(ncols=1, width=11.0, height=4.4)
    fig.delaxes(unused)
    axes = fig.subplot_mosaic([["0", "1", "loss"], ["2", "3", "loss"]], width_ratios=[1, 1, 1.15])
    for i, (regime, run) in enumerate(runs.items()):
        ax = axes[str(i)]
        ax.set_facecolor("white")
        plot.contour(ax, problem, levels=15)
        plot.trajectory_line(ax, run, color=plot.color(i))
        plot.divergence_message(ax, run, color=plot.color(i))
        ax.set_title(f"α = {learning_rates[regime]:g}: {regime}", fontsize=10)
        ax.set_xlabel("")
        ax.set_ylabel("")
        plot.loss_curve(axes["loss"], run, label=f"α = {learning_rates[regime]:g} ({regime})",
                        color=plot.color(i), min_value=problem.min_value)  # fmt: skip
    axes["loss"].set_facecolor("white")
    axes["loss"].set_ylim(1e-11, 1e7)
    axes["loss"].set_title("loss gap L(θ_t) − L_min")
    axes["loss"].legend(loc="lower left", fontsize=8, framealpha=0.9)
    return fig, runs


def learning_rate_widget(learning_rate: float = 0.1, steps: int = 60):
    """Gradient descent on the ill-conditioned paraboloid with a log-scale α slider (10⁻³ … 1)."""
    widget = widgets.explore(
        problems.ill_conditioned_paraboloid(),
        optimizers=("sgd",),
        steps=steps,
        learning_rate=widgets.log_slider("α", learning_rate, -3.0, 0.0, step=0.02),
    )
    return _with_static_frames(widget, LEARNING_RATE_FRAMES)


# ==========================================================================
# 4. Batch, stochastic and mini-batch gradient descent
# ==========================================================================


@functools.lru_cache(maxsize=1)
def regression_problem() -> problems.Problem:
    """The chapter's data set: linear regression with n = 128 examples, d = 2, noise 0.5."""
    return problems.linear_regression(n=128, d=2, noise=0.5, seed=0)


def per_example_gradients(problem: problems.Problem, theta) -> jax.Array:
    """``∇ℓᵢ(θ)`` for every example i, shape (n, d): the loss of a one-example data set."""
    X, y = problem.args
    theta = jnp.asarray(theta, jnp.float32)
    return _per_example(problem.loss_fn, theta, X, y)


@functools.partial(jax.jit, static_argnums=0)
def _per_example(loss_fn, theta, X, y):
    return jax.vmap(lambda x, t: jax.grad(loss_fn)(theta, x[None], t[None], 1.0))(X, y)


@functools.partial(jax.jit, static_argnums=0)
def _minibatch_deviations(loss_fn, theta, X, y, batch_sizes, keys):
    """``‖g_B − ∇L(θ)‖²`` for every batch size B and key."""
    full = jax.grad(loss_fn)(theta, X, y, X.shape[0])

    def deviation(batch_size, key):
        g = jax.grad(loss_fn)(theta, X, y, batch_size, key=key)
        return jnp.sum((g - full) ** 2)

    return jax.vmap(lambda b: jax.vmap(lambda k: deviation(b, k))(keys))(batch_sizes)


class GradientVariance(NamedTuple):
    """``E‖g_B − ∇L‖²`` against the batch size B: measured, and predicted.

    ``predicted = σ²/B · (n − B)/(n − 1)`` (sampling without replacement),
    ``predicted_with_replacement = σ²/B``, with
    ``σ² = 1/n Σᵢ ‖∇ℓᵢ − ∇L‖²`` the variance of one example's gradient.
    """

    batch_sizes: np.ndarray
    measured: np.ndarray
    predicted: np.ndarray
    predicted_with_replacement: np.ndarray
    sigma2: float
    samples: int


def gradient_variance(batch_sizes=(1, 2, 4, 8, 16, 32, 64, 128), samples=1000, theta=None):
    """Measure the mini-batch gradient's variance at θ (default θ₀) over ``samples`` batches each."""
    problem = regression_problem()
    n = problem.num_examples
    samples = _check_positive_int(samples, "samples", 2)
    sizes = np.asarray(batch_sizes, np.float64)
    if sizes.ndim != 1 or not np.all((sizes >= 1) & (sizes <= n)):
        raise ValueError(f"batch_sizes must lie between 1 and n = {n}, got {batch_sizes!r}")
    theta = jnp.asarray(problem.start if theta is None else theta, jnp.float32)
    X, y = problem.args
    per_example = np.asarray(per_example_gradients(problem, theta), np.float64)
    sigma2 = float(np.mean(np.sum((per_example - per_example.mean(axis=0)) ** 2, axis=1)))
    keys = jax.random.split(jax.random.PRNGKey(0), samples)
    deviations = _minibatch_deviations(
        problem.loss_fn, theta, X, y, jnp.asarray(sizes, jnp.float32), keys
    )
    measured = np.asarray(jnp.mean(deviations, axis=1), np.float64)
    predicted = sigma2 / sizes * (n - sizes) / (n - 1)
    return GradientVariance(sizes, measured, predicted, sigma2 / sizes, sigma2, samples)


EPOCH_BATCH_SIZES = (1, 16, 128)
"""The batch sizes compared per epoch (stochastic, mini-batch, and the full batch n = 128)."""


def stochastic_run(batch_size, key, learning_rate, step_decay=1.0, inverse_time=0.0):
    """``EPOCHS · n`` steps of (mini-batch) gradient descent on :func:`regression_problem`.

    Every stochastic run of the chapter goes through here, with the same
    factory (:func:`scheduled_gradient_descent`) and number of steps, and
    its numbers (batch size, learning rate, schedule) as traced values: one
    compiled program serves the figures and the widget.
    """
    problem = regression_problem()
    return problem.run(
        scheduled_gradient_descent, EPOCHS * problem.num_examples, key=key,
        batch_size=float(batch_size), learning_rate=float(learning_rate),
        step_decay=float(step_decay), inverse_time=float(inverse_time),
    )  # fmt: skip


def _within_budget(run: Trajectory, batch_size: float) -> Trajectory:
    """The first ``EPOCHS · n / B`` steps of a run: what B-example batches buy in the budget."""
    n = regression_problem().num_examples
    return _sliced(run, math.ceil(EPOCHS * n / batch_size))


def last_epoch_gap(run: Trajectory, batch_size: float) -> float:
    """The mean of ``L(θ_t) − L_min`` over the last epoch of a run (its last ``⌈n/B⌉`` steps).

    A single step of a stochastic run is a noisy number; its mean over an epoch is not.
    """
    problem = regression_problem()
    steps = math.ceil(problem.num_examples / batch_size)
    return float(np.mean(np.asarray(run.losses, np.float64)[-steps:]) - problem.min_value)


def gap_after_epochs(run: Trajectory, batch_size: float, epochs: float = 1.0) -> float:
    """``L(θ_t) − L_min`` after ``epochs`` epochs, i.e. at step t = ⌈epochs · n/B⌉."""
    problem = regression_problem()
    step = math.ceil(epochs * problem.num_examples / batch_size)
    return float(np.asarray(run.losses, np.float64)[step] - problem.min_value)


def _epochs(traj: Trajectory, batch_size: float, n: int) -> np.ndarray:
    """The x-axis per epoch: after step t, t·B examples' gradients have been computed."""
    return np.arange(np.asarray(traj.losses).size) * batch_size / n


def minibatch_figure(variance: GradientVariance | None = None, learning_rate=0.1):
    """Left: the mini-batch gradient's variance against B.  Right: loss per epoch for three B.

    Returns ``(fig, runs)`` with the runs of the right panel, keyed by B.
    """
    variance = gradient_variance() if variance is None else variance
    problem = regression_problem()
    n = problem.num_examples
    fig, (noise, progress) = plot.figure(ncols=2, width=4.6, height=3.7)
    partial = variance.batch_sizes < n
    sizes = variance.batch_sizes[partial]
    noise.loglog(sizes, variance.predicted_with_replacement[partial], ":", color="black",
                 linewidth=1, label="σ²/B")  # fmt: skip
    noise.loglog(sizes, variance.predicted[partial], "-", color="black", linewidth=1.2,
                 label="σ²/B · (n − B)/(n − 1)")  # fmt: skip
    noise.loglog(sizes, variance.measured[partial], "o", color=plot.color(0),
                 label=f"measured ({variance.samples} batches each)")  # fmt: skip
    noise.set_xlabel("batch size B")
    noise.set_ylabel("E‖g_B − ∇L(θ₀)‖²")
    noise.set_title("gradient noise shrinks like 1/B")
    noise.legend(fontsize=8, loc="lower left")
    noise.minorticks_off()
    runs = {
        b: _within_budget(stochastic_run(b, jax.random.PRNGKey(0), learning_rate), b)
        for b in EPOCH_BATCH_SIZES
    }
    for i, (batch_size, run) in enumerate(runs.items()):
        name = "full batch" if batch_size == n else f"B = {batch_size}"
        steps = np.asarray(run.losses).size - 1
        progress.semilogy(_epochs(run, batch_size, n), plot.loss_values(run, problem.min_value),
                          "-" if steps > 20 else "o-", color=plot.color(i), markersize=4,
                          linewidth=0.7 if batch_size == 1 else 1.6,
                          label=f"{name}: {steps} steps")  # fmt: skip
    progress.set_xlabel("epochs (examples' gradients computed / n)")
    progress.set_ylabel("L(θ_t) − L_min")
    progress.set_title(f"same budget, α = {learning_rate:g}")
    progress.legend(fontsize=8, loc="lower left")
    progress.minorticks_off()
    return fig, runs


def scheduled_gradient_descent(learning_rate, step_decay=1.0, inverse_time=0.0):
    """Gradient descent with ``α_t = α₀ · r^t / (1 + t/τ)``, r = ``step_decay``, 1/τ = ``inverse_time``.

    The exponential part is ``optimizers.schedules.exponential_decay``.  With
    r = 1 and 1/τ = 0 the rate is constant; with 1/τ = 0 it decays
    exponentially; with r = 1 it is the inverse-time schedule.  All three
    numbers are traced by :func:`~lab.trajectory.trajectory`, so one
    compiled program serves every schedule of :func:`noise_floor_figure`.
    """
    exponential = schedules.exponential_decay(learning_rate, 1, step_decay)

    def schedule(step):
        return exponential(step) / (1.0 + inverse_time * jnp.asarray(step, jnp.float32))

    return sgd(schedule)


def _floor_schedules(steps: int) -> dict[str, dict[str, float]]:
    """The decaying schedules of :func:`noise_floor_figure`, as arguments of
    :func:`scheduled_gradient_descent`: 0.1 → 0.001 exponentially over the run, and 0.1/(1 + t/20).
    """
    return {
        "exponential decay 0.1 → 0.001": {"learning_rate": 0.1, "step_decay": 0.01 ** (1 / steps)},
        "α₀/(1 + t/τ), α₀ = 0.1, τ = 20": {"learning_rate": 0.1, "inverse_time": 1 / 20},
    }


class NoiseFloor(NamedTuple):
    """Stochastic gradient descent (B = 1) with constant and decaying learning rates.

    Attributes:
        runs: label → the runs, one per seed.
        final_gaps: label → mean of ``L(θ_t) − L_min`` over the last quarter of the run.
        floors: α → mean gap over the second half of a constant-α run.
        predicted_floors: α → ``α tr(C) / 4``, the small-α prediction, with C the
            covariance of one example's gradient at the minimiser θ*.
    """

    runs: dict
    final_gaps: dict
    floors: dict
    predicted_floors: dict


def _smoothed(values: np.ndarray, window: int) -> np.ndarray:
    """Moving average over ``window`` consecutive values."""
    return np.convolve(values, np.ones(window) / window, mode="valid")


def _constant_label(alpha: float) -> str:
    return f"α = {alpha:g} (constant)"


def noise_floor_figure(floor_rates=(0.1, 0.01), slow_rate: float = 0.001, seeds: int = 3):
    """Constant learning rates stall at a noise floor; decaying ones get lower.

    Runs stochastic gradient descent (B = 1) for ``EPOCHS`` epochs with each
    constant α of ``floor_rates`` (whose floors are measured over the second
    half), with the small constant ``slow_rate``, and with two decaying
    schedules, each with ``seeds`` different sequences of examples.  The
    figure shows the largest constant α, the slow one and the schedules: the
    gap averaged over the seeds and over a moving window of one epoch (B = 1
    losses jump at every step), and the predicted floor ``α tr(C)/4`` (dotted).

    Returns ``(fig, floor)`` with a :class:`NoiseFloor` whose gaps are seed averages.
    """
    problem = regression_problem()
    n = problem.num_examples
    steps = EPOCHS * n
    seeds = _check_positive_int(seeds, "seeds")
    settings = {_constant_label(a): {"learning_rate": a} for a in (*floor_rates, slow_rate)}
    settings.update(_floor_schedules(steps))
    runs, gaps = {}, {}
    for label, setting in settings.items():
        runs[label] = [
            stochastic_run(1, jax.random.PRNGKey(seed), **setting) for seed in range(seeds)
        ]
        losses = np.mean([np.asarray(run.losses, np.float64) for run in runs[label]], axis=0)
        gaps[label] = losses - problem.min_value
    final = {label: float(np.mean(gap[-(steps // 4) :])) for label, gap in gaps.items()}
    floors = {a: float(np.mean(gaps[_constant_label(a)][steps // 2 :])) for a in floor_rates}
    per_example = np.asarray(per_example_gradients(problem, problem.minima[0]), np.float64)
    trace_c = float(np.trace(np.cov(per_example.T, bias=True)))
    predicted = {a: a * trace_c / 4 for a in floor_rates}
    shown = [
        _constant_label(max(floor_rates)),
        _constant_label(slow_rate),
        *_floor_schedules(steps),
    ]
    fig, ax = plot.figure(ncols=1, width=8.6, height=3.9)
    for i, label in enumerate(shown):
        smooth = _smoothed(gaps[label], n)
        ax.semilogy((np.arange(smooth.size) + n) / n, smooth, color=plot.color(i),
                    label=label, linewidth=1.6)  # fmt: skip
    ax.axhline(predicted[max(floor_rates)], color=plot.color(0), linestyle=":", linewidth=1.2,
               label=f"predicted floor α tr(C)/4, α = {max(floor_rates):g}")  # fmt: skip
    ax.set_xlabel("epochs (B = 1: n steps per epoch)")
    ax.set_ylabel("L(θ_t) − L_min")
    ax.set_title(f"stochastic gradient descent, mean of {seeds} runs")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    ax.minorticks_off()
    return fig, NoiseFloor(runs, final, floors, predicted)


def batch_size_widget(batch_size: int = 16, learning_rate: float = 0.1):
    """Sliders for the batch size B and α, at a fixed budget of ``EPOCHS`` epochs.

    A run takes ``⌈EPOCHS · n/B⌉`` steps: B = 1 takes ``EPOCHS · n`` small noisy
    steps, B = n takes ``EPOCHS`` exact ones.  The batch size reaches the
    compiled loss as a traced number (the mini-batch is a mask), so moving it
    compiles nothing.
    """
    problem = regression_problem()
    n = problem.num_examples
    fig, (plane, losses) = plot.figure(ncols=2, width=4.3, height=3.8)
    plot.contour(plane, problem)
    losses.set_yscale("log")
    losses.set_xlim(0, EPOCHS)
    losses.set_xlabel("epochs")
    losses.set_ylabel("L(θ_t) − L_min")
    losses.minorticks_off()
    artists: dict[str, Any] = {}

    def compute(batch_size, learning_rate):
        run = stochastic_run(batch_size, jax.random.PRNGKey(0), learning_rate)
        return batch_size, _within_budget(run, batch_size)

    def draw(result):
        batch_size, run = result
        values = plot.loss_values(run, problem.min_value)
        epochs = _epochs(run, batch_size, n)
        if not artists:
            artists["path"] = plot.trajectory_line(plane, run)
            (artists["loss"],) = losses.plot(epochs, values, color=plot.color(0), linewidth=1.2)
            artists["message"] = plot.divergence_message(plane, run)
        plot.update_trajectory_line(artists["path"], run)
        artists["loss"].set_data(epochs, values)
        artists["loss"].set_marker("o" if values.size <= 40 else "")
        plot.update_divergence_message(artists["message"], run)
        plot.set_loss_axis_limits(losses, [artists["loss"]])
        plane.set_title(f"B = {batch_size}: {values.size - 1} steps")
        finite = values[np.isfinite(values)]
        losses.set_title(f"{EPOCHS} epochs; last gap {finite[-1]:.2g}")

    controls = {
        "batch_size": widgets.int_slider("batch size B", batch_size, 1, n),
        "learning_rate": widgets.log_slider("α", learning_rate, -3.0, 0.0, step=0.05),
    }
    return _with_static_frames(widgets.interactive(compute, draw, controls, fig))
