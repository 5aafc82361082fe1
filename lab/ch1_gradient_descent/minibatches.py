"""Section "The noise falls like 1/B" (and its paragraph *What an epoch buys*); the B widget.

:func:`gradient_variance` measures the mini-batch gradient's variance against the batch
size B; :func:`epoch_budget` runs B = 1, 16 and n for the same budget of ``EPOCHS``
epochs; :func:`minibatch_figure` draws both, and :func:`batch_size_widget` moves B and α.
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from matplotlib.figure import Figure

from lab import plot, widgets
from lab.ch1_gradient_descent.static_frames import with_static_frames
from lab.ch1_gradient_descent.stochastic_runs import (
    EPOCHS,
    per_example_gradients,
    regression_problem,
    stochastic_run,
)
from lab.trajectory import Trajectory

__all__ = [
    "EPOCH_BATCH_SIZES",
    "BatchSizePanels",
    "BudgetRun",
    "EpochBudget",
    "FullBatchAtBestRate",
    "GradientVariance",
    "batch_size_widget",
    "budget_run",
    "epoch_budget",
    "full_batch_at_best_rate",
    "gap_after_epochs",
    "gradient_variance",
    "last_epoch_gap",
    "minibatch_figure",
]

EPOCH_BATCH_SIZES = (1, 16, 128)
"""The batch sizes compared per epoch (stochastic, mini-batch, and the full batch n = 128)."""


@functools.partial(jax.jit, static_argnums=0)
def _minibatch_deviations(loss_fn, theta, X, y, batch_sizes, keys):
    """``‖g_B − ∇L(θ)‖²`` for every batch size B and key."""
    full = jax.grad(loss_fn)(theta, X, y, X.shape[0])

    def deviation(batch_size, key):
        g = jax.grad(loss_fn)(theta, X, y, batch_size, key=key)
        return jnp.sum((g - full) ** 2)

    return jax.vmap(lambda b: jax.vmap(lambda k: deviation(b, k))(keys))(batch_sizes)


class GradientVariance(NamedTuple):
    """``E‖g_B − ∇L(θ)‖²`` against the batch size B: measured, and predicted.

    Attributes:
        batch_sizes: the batch sizes B (floats), up to n.
        measured: for each B, the mean of ``‖g_B − ∇L(θ)‖²`` over ``samples`` batches.
        predicted: for each B, ``σ²/B · (n − B)/(n − 1)`` (sampling without replacement).
        predicted_with_replacement: for each B, ``σ²/B``.
        sigma2: ``σ² = 1/n Σᵢ ‖∇ℓᵢ − ∇L‖²``, the variance of one example's gradient.
        samples: how many random batches per B.
    """

    batch_sizes: np.ndarray
    measured: np.ndarray
    predicted: np.ndarray
    predicted_with_replacement: np.ndarray
    sigma2: float
    samples: int


def gradient_variance(
    batch_sizes=(1, 2, 4, 8, 16, 32, 64, 128), samples=1000, theta=None
) -> GradientVariance:
    """The mini-batch gradient's variance at θ (default θ₀), over ``samples`` batches per B."""
    problem = regression_problem()
    n = problem.num_examples
    sizes = np.asarray(batch_sizes, np.float64)
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


class BudgetRun(NamedTuple):
    """Mini-batch gradient descent with batch size B for a budget of ``EPOCHS`` epochs.

    Attributes:
        batch_size: B.
        learning_rate: α (constant).
        run: the :class:`~lab.trajectory.Trajectory` of its ``⌈EPOCHS · n/B⌉`` steps.
    """

    batch_size: int
    learning_rate: float
    run: Trajectory

    @property
    def steps(self) -> int:
        """How many steps the budget buys: ``⌈EPOCHS · n/B⌉``."""
        return int(self.run.losses.size - 1)

    @property
    def first_epoch_gap(self) -> float:
        """``L(θ_t) − L_min`` after one epoch, at step ⌈n/B⌉."""
        return gap_after_epochs(self.run, self.batch_size)

    @property
    def last_epoch_gap(self) -> float:
        """The mean of ``L(θ_t) − L_min`` over the run's last epoch (its last ⌈n/B⌉ steps)."""
        return last_epoch_gap(self.run, self.batch_size)


def budget_run(batch_size: int, learning_rate: float) -> BudgetRun:
    """:func:`stochastic_run` (seed 0) cut to what B-example batches buy in ``EPOCHS`` epochs."""
    run = stochastic_run(batch_size, jax.random.PRNGKey(0), learning_rate)
    n = regression_problem().num_examples
    return BudgetRun(batch_size, learning_rate, _sliced(run, math.ceil(EPOCHS * n / batch_size)))


class EpochBudget(NamedTuple):
    """The same budget of ``EPOCHS`` epochs spent with three batch sizes, at the same α.

    Attributes:
        stochastic: the :class:`BudgetRun` with B = 1.
        minibatch: the :class:`BudgetRun` with B = 16.
        full_batch: the :class:`BudgetRun` with B = n = 128.
    """

    stochastic: BudgetRun
    minibatch: BudgetRun
    full_batch: BudgetRun


def epoch_budget(learning_rate: float = 0.1) -> EpochBudget:
    """A :class:`BudgetRun` for each batch size of :data:`EPOCH_BATCH_SIZES`."""
    return EpochBudget(*(budget_run(b, learning_rate) for b in EPOCH_BATCH_SIZES))


class FullBatchAtBestRate(NamedTuple):
    """The full batch (B = n) for the same budget, at its own best rate instead of a shared α.

    Attributes:
        condition_number: κ = λ_max/λ_min of the Hessian XᵀX/n of the regression loss.
        learning_rate: α* = 2/(λ_min + λ_max), the best constant rate for that Hessian.
        budget: the :class:`BudgetRun` at α*.
    """

    condition_number: float
    learning_rate: float
    budget: BudgetRun


def full_batch_at_best_rate() -> FullBatchAtBestRate:
    """:func:`budget_run` with B = n at α* = 2/(λ_min + λ_max) of the loss's Hessian XᵀX/n."""
    problem = regression_problem()
    X = np.asarray(problem.args[0], np.float64)
    curvatures = np.linalg.eigvalsh(X.T @ X / problem.num_examples)  # L = mean of ½ r²
    best = 2 / (curvatures[0] + curvatures[-1])
    return FullBatchAtBestRate(
        float(curvatures[-1] / curvatures[0]),
        float(best),
        budget_run(problem.num_examples, float(best)),
    )


def _epochs(traj: Trajectory, batch_size: float, n: int) -> np.ndarray:
    """The x-axis per epoch: after step t, t·B examples' gradients have been computed."""
    return np.arange(np.asarray(traj.losses).size) * batch_size / n


def _draw_variance(ax, variance: GradientVariance, n: int) -> None:
    """Measured variance (dots) against B < n, with both predictions."""
    partial = variance.batch_sizes < n
    sizes = variance.batch_sizes[partial]
    ax.loglog(sizes, variance.predicted_with_replacement[partial], ":", color="black",
              linewidth=1, label="σ²/B")  # fmt: skip
    ax.loglog(sizes, variance.predicted[partial], "-", color="black", linewidth=1.2,
              label="σ²/B · (n − B)/(n − 1)")  # fmt: skip
    ax.loglog(sizes, variance.measured[partial], "o", color=plot.color(0),
              label=f"measured ({variance.samples} batches each)")  # fmt: skip
    ax.set_xlabel("batch size B")
    ax.set_ylabel("E‖g_B − ∇L(θ₀)‖²")
    ax.set_title("gradient noise shrinks like 1/B")
    ax.legend(fontsize=8, loc="lower left")
    ax.minorticks_off()


def _draw_budget(ax, budget: EpochBudget, n: int, min_value: float) -> None:
    """The loss gap per epoch of each batch size's run."""
    for i, spent in enumerate(budget):
        name = "full batch" if spent.batch_size == n else f"B = {spent.batch_size}"
        ax.semilogy(_epochs(spent.run, spent.batch_size, n),
                    plot.loss_values(spent.run, min_value),
                    "-" if spent.steps > 20 else "o-", color=plot.color(i), markersize=4,
                    linewidth=0.7 if spent.batch_size == 1 else 1.6,
                    label=f"{name}: {spent.steps} steps")  # fmt: skip
    ax.set_xlabel("epochs (examples' gradients computed / n)")
    ax.set_ylabel("L(θ_t) − L_min")
    ax.set_title(f"same budget, α = {budget.stochastic.learning_rate:g}")
    ax.legend(fontsize=8, loc="lower left")
    ax.minorticks_off()


def minibatch_figure(variance: GradientVariance, budget: EpochBudget) -> Figure:
    """Section "The noise falls like 1/B": the noise against B, and what an epoch buys.

    Left: the mini-batch gradient's variance against B.  Right: the loss gap per
    epoch for the three batch sizes of ``budget`` (the paragraph *What an epoch buys*).
    """
    problem = regression_problem()
    fig, (noise, progress) = plot.figure(ncols=2, width=4.6, height=3.7)
    _draw_variance(noise, variance, problem.num_examples)
    _draw_budget(progress, budget, problem.num_examples, problem.min_value)
    return fig


class BatchSizePanels(plot.Panels):
    """Section "Constant learning rates stall at a noise floor" (Try it): the widget's panels.

    Left: the contours and the path.  Right: the loss gap per epoch.  Each result
    is a :class:`BudgetRun`.
    """

    def __init__(self):
        self.problem = regression_problem()
        self.figure, (self.plane, self.losses) = plot.figure(ncols=2, width=4.3, height=3.8)
        plot.contour(self.plane, self.problem)
        self.losses.set_yscale("log")
        self.losses.set_xlim(0, EPOCHS)
        self.losses.set_xlabel("epochs")
        self.losses.set_ylabel("L(θ_t) − L_min")
        self.losses.minorticks_off()

    def _curve(self, result: BudgetRun) -> tuple[np.ndarray, np.ndarray]:
        """The x (epochs) and y (loss gaps) of the loss curve."""
        n = self.problem.num_examples
        values = plot.loss_values(result.run, self.problem.min_value)
        return _epochs(result.run, result.batch_size, n), values

    def create(self, result: BudgetRun) -> None:
        self.path = plot.trajectory_line(self.plane, result.run)
        (self.loss,) = self.losses.plot(*self._curve(result), color=plot.color(0), linewidth=1.2)
        self.message = plot.divergence_message(self.plane, result.run)

    def update(self, result: BudgetRun) -> None:
        epochs, values = self._curve(result)
        plot.update_trajectory_line(self.path, result.run)
        self.loss.set_data(epochs, values)
        self.loss.set_marker("o" if values.size <= 40 else "")
        plot.update_divergence_message(self.message, result.run)
        plot.set_loss_axis_limits(self.losses, [self.loss])
        self.plane.set_title(f"B = {result.batch_size}: {values.size - 1} steps")
        finite = values[np.isfinite(values)]
        self.losses.set_title(f"{EPOCHS} epochs; last gap {finite[-1]:.2g}")


def batch_size_widget(batch_size: int = 16, learning_rate: float = 0.1):
    """Section "Constant learning rates stall at a noise floor" (Try it): sliders for B and α.

    The budget is fixed at ``EPOCHS`` epochs: a run takes ``⌈EPOCHS · n/B⌉`` steps,
    so B = 1 takes ``EPOCHS · n`` small noisy steps and B = n takes ``EPOCHS`` exact
    ones.  The batch size reaches the compiled loss as a traced number (the
    mini-batch is a mask), so moving it compiles nothing.
    """
    panels = BatchSizePanels()
    n = panels.problem.num_examples
    controls = {
        "batch_size": widgets.int_slider("batch size B", batch_size, 1, n),
        "learning_rate": widgets.log_slider("α", learning_rate, -3.0, 0.0, step=0.05),
    }
    widget = widgets.interactive(budget_run, panels.draw, controls, panels.figure)
    return with_static_frames(widget)
