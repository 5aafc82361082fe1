"""Adagrad against SGD when one feature is rare: the problem, the runs, the figure."""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import NullLocator

from lab import plot, problems, registry
from lab.ch5_adaptive.recording import StateHistory, record_states
from lab.problems import Problem
from lab.trajectory import Trajectory

__all__ = [
    "SPARSE_BATCH",
    "SPARSE_STEPS",
    "SparseFeatureRuns",
    "sparse_feature_figure",
    "sparse_feature_runs",
    "sparse_regression",
]


def sparse_regression(
    n: int = 2000, frequency: float = 0.02, noise: float = 0.5, seed: int = 0
) -> Problem:
    """Least squares with one common and one rare feature.

    Example i has ``x_i1 ~ N(0, 1)`` and ``x_i2 = 1`` with probability
    ``frequency`` (else 0), like a rare word; ``y_i = x_iᵀθ_true + noise·ε_i`` with
    θ_true = (1, 2).  The loss ``1/n Σ ½ (x_iᵀθ − y_i)²`` has curvature about 1
    along θ₁ and about ``frequency`` along θ₂.  Start θ₀ = (−1.5, −1.5).
    """
    rng = np.random.default_rng(seed)
    common = rng.normal(size=n)
    rare = (rng.uniform(size=n) < frequency).astype(np.float64)
    X = np.stack([common, rare], axis=1)
    y = X @ np.array([1.0, 2.0]) + noise * rng.normal(size=n)
    minimiser = np.linalg.lstsq(X, y, rcond=None)[0]
    min_value = float(0.5 * np.mean((X @ minimiser - y) ** 2))
    return Problem(
        name=f"a rare feature (x₂ ≠ 0 in {rare.mean():.1%} of examples)",
        loss_fn=problems.linear_regression_loss,
        args=(jnp.asarray(X, jnp.float32), jnp.asarray(y, jnp.float32)),
        start=np.array([-1.5, -1.5], np.float32),
        minima=[minimiser.astype(np.float32)],
        min_value=min_value,
        bounds=((-2.0, 3.0), (-2.0, 3.5)),
        stochastic=True,
    )


SPARSE_STEPS = 2000
"""Steps of every run on :func:`sparse_regression` (one compilation per optimizer)."""
SPARSE_BATCH = 10
"""Examples per mini-batch on :func:`sparse_regression`."""


def _adagrad_rates(history: StateHistory, learning_rate: float, eps: float = 1e-7) -> np.ndarray:
    """α/√(s_t + ε) per coordinate from Adagrad's state (the first link of its chain)."""
    s = history.states[0].sum_of_squares
    return learning_rate / np.sqrt(s + eps)


class SparseFeatureRuns(NamedTuple):
    """SGD and Adagrad on :func:`sparse_regression`, over their first ``steps`` steps.

    Attributes:
        problem: the regression problem (its minimiser θ* is ``problem.minima[0]``).
        sgd_learning_rate, adagrad_learning_rate: the two α.
        steps: the steps shown, t = 0 … ``steps`` (of runs of :data:`SPARSE_STEPS`).
        batch_size: examples per mini-batch (:data:`SPARSE_BATCH`).
        frequency: the fraction of examples whose rare feature x₂ is 1.
        curvature_rare: the mean of x₂², the loss's curvature along θ₂ (κ ≈ 1/curvature_rare).
        sgd_params, adagrad_params: θ_0 … θ_steps, shape ``(steps + 1, 2)``.
        adagrad_rates: Adagrad's α/√(s_t + ε) after steps 1 … ``steps``, shape ``(steps, 2)``.
        sgd_error_common, sgd_error_rare: SGD's |θ_i − θ*_i| at the last step shown, i = 1, 2.
        adagrad_error_common, adagrad_error_rare: Adagrad's, likewise.
        adagrad_rate_common, adagrad_rate_rare: Adagrad's rates at the last step shown.
        rate_ratio: ``adagrad_rate_rare / adagrad_rate_common``.
    """

    problem: Problem
    sgd_learning_rate: float
    adagrad_learning_rate: float
    steps: int
    batch_size: int
    frequency: float
    curvature_rare: float
    sgd_params: np.ndarray
    adagrad_params: np.ndarray
    adagrad_rates: np.ndarray
    sgd_error_common: float
    sgd_error_rare: float
    adagrad_error_common: float
    adagrad_error_rare: float
    adagrad_rate_common: float
    adagrad_rate_rare: float
    rate_ratio: float


def sparse_feature_runs(
    sgd_learning_rate: float = 0.1, adagrad_learning_rate: float = 0.5, shown: int = 500
) -> SparseFeatureRuns:
    """SGD against Adagrad when one feature is rare (:func:`sparse_regression`).

    Both run :data:`SPARSE_STEPS` steps (the length every regression run of the
    chapter shares, so that each method compiles once) on the same mini-batches;
    the result keeps the first ``shown``.
    """
    problem = sparse_regression()
    common = {"batch_size": SPARSE_BATCH, "seed": 1}
    sgd, adagrad = registry.OPTIMIZERS["sgd"], registry.OPTIMIZERS["adagrad"]
    sgd_run = record_states(sgd, problem, SPARSE_STEPS, learning_rate=sgd_learning_rate, **common)
    ada_run = record_states(
        adagrad, problem, SPARSE_STEPS, learning_rate=adagrad_learning_rate, **common
    )
    rates = _adagrad_rates(ada_run, adagrad_learning_rate)[:shown]
    target = np.asarray(problem.minima[0], np.float64)
    sgd_params, ada_params = sgd_run.params[: shown + 1], ada_run.params[: shown + 1]
    sgd_error, ada_error = np.abs(sgd_params[-1] - target), np.abs(ada_params[-1] - target)
    features = np.asarray(problem.args[0])
    return SparseFeatureRuns(
        problem=problem,
        sgd_learning_rate=sgd_learning_rate,
        adagrad_learning_rate=adagrad_learning_rate,
        steps=shown,
        batch_size=SPARSE_BATCH,
        frequency=float(np.mean(features[:, 1])),
        curvature_rare=float(np.mean(features[:, 1] ** 2)),
        sgd_params=sgd_params,
        adagrad_params=ada_params,
        adagrad_rates=rates,
        sgd_error_common=float(sgd_error[0]),
        sgd_error_rare=float(sgd_error[1]),
        adagrad_error_common=float(ada_error[0]),
        adagrad_error_rare=float(ada_error[1]),
        adagrad_rate_common=float(rates[-1, 0]),
        adagrad_rate_rare=float(rates[-1, 1]),
        rate_ratio=float(rates[-1, 1] / rates[-1, 0]),
    )


def _labelled_paths(result: SparseFeatureRuns) -> dict[str, np.ndarray]:
    return {
        f"SGD (α = {result.sgd_learning_rate:g})": result.sgd_params,
        f"Adagrad (α = {result.adagrad_learning_rate:g})": result.adagrad_params,
    }


def _draw_paths_and_errors(plane: Axes, errors: Axes, result: SparseFeatureRuns) -> None:
    """The paths over the contours, and each coordinate's error |θ_t,i − θ*_i| against t."""
    plot.contour(plane, result.problem)
    plane.set_title(
        f"paths, {result.steps} steps (mini-batches of {result.batch_size})", fontsize=10
    )
    t = np.arange(result.steps + 1)
    target = np.asarray(result.problem.minima[0], np.float64)
    for i, (label, params) in enumerate(_labelled_paths(result).items()):
        run = Trajectory(params, np.zeros(len(t)), None)
        plot.trajectory_line(plane, run, label, plot.color(i))
        error = np.abs(params - target)
        errors.plot(t, error[:, 0], color=plot.color(i), lw=1.4, label=f"{label}: θ₁")
        errors.plot(t, error[:, 1], color=plot.color(i), lw=1.4, ls="--", label=f"{label}: θ₂")
    errors.set_yscale("log")
    errors.set_xlabel("step t")
    errors.set_title("error |θ_t,i − θ*_i|  (solid θ₁, dashed θ₂)", fontsize=10)
    errors.set_xlim(0, result.steps)
    errors.yaxis.set_minor_locator(NullLocator())
    plane.legend(fontsize=8, loc="upper left")


def _draw_rates(ax: Axes, result: SparseFeatureRuns) -> None:
    """Adagrad's effective learning rate of each coordinate against SGD's constant α."""
    steps, rates = np.arange(1, result.steps + 1), result.adagrad_rates
    ax.plot(steps, rates[:, 0], color=plot.color(1), lw=1.6, label="Adagrad, θ₁ (common)")
    ax.plot(steps, rates[:, 1], color=plot.color(1), lw=1.6, ls="--", label="Adagrad, θ₂ (rare)")
    ax.axhline(result.sgd_learning_rate, color=plot.color(0), lw=1.4, label="SGD, both")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("step t")
    ax.set_title("effective learning rate α/√(s_t + ε)", fontsize=10)
    ax.legend(fontsize=8, loc="lower left")


def sparse_feature_figure(result: SparseFeatureRuns) -> Figure:
    """The section "Adagrad: accumulate the squares": SGD against Adagrad on a rare feature.

    Three panels: the paths over the contours of the full loss; the error
    ``|θ_{t,i} − θ*_i|`` of each coordinate; Adagrad's effective learning rate
    α/√(s_t + ε) of each coordinate against SGD's constant α.
    """
    fig, (plane, errors, rates) = plot.figure(ncols=3, width=3.6, height=3.3)
    _draw_paths_and_errors(plane, errors, result)
    _draw_rates(rates, result)
    return fig
