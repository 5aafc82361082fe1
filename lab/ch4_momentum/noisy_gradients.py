"""Section "Momentum with noisy gradients": the noise floor and the effective learning rate.

With mini-batch gradients the heavy ball at (α, β) settles at the noise floor of SGD
at ``α/(1 − β)``: along eigendirection i the excess loss is
``α σᵢ² (1 + β) / (2 (1 − β)(2 + 2β − αλᵢ))``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import NamedTuple

import jax
import numpy as np

from lab import plot, problems
from lab.trajectory import Trajectory
from optimizers.momentum import sgd

NOISE_STEPS = 3000
"""Steps of every mini-batch run (one compiled program)."""

NOISE_BATCH = 4
"""The mini-batch size B of the noise experiments."""

NOISE_BURN_IN = 300
"""Steps discarded before averaging the loss (runs start at the minimiser)."""

FLOOR_FROM = 1000
"""The step from which the floors of the runs from θ₀ = 0 are averaged."""


@functools.cache
def noise_problem() -> problems.Problem:
    """Least squares with n = 128 examples in d = 2 (``problems.linear_regression``)."""
    return problems.linear_regression(n=128, d=2)


def stationary_excess_loss(learning_rate, momentum, eigenvalue, noise_variance):
    """``½ λ Var(z)`` of ``z_t = (1 + β − αλ) z_{t−1} − β z_{t−2} − α ξ_t``, Var(ξ) = σ².

    The heavy ball along one eigendirection with noisy gradients, an AR(2)
    process; its stationary variance gives
    ``α σ² (1 + β) / (2 (1 − β)(2 + 2β − αλ))`` (inside the stability region).
    Broadcasts over arrays.
    """
    a, b = np.asarray(learning_rate, np.float64), np.asarray(momentum, np.float64)
    lam = np.asarray(eigenvalue, np.float64)
    return a * noise_variance * (1 + b) / (2 * (1 - b) * (2 + 2 * b - a * lam))


def noise_floor_prediction(learning_rate: float, momentum: float, batch_size: int = NOISE_BATCH):
    """The stationary excess loss ``E[L(θ_t)] − L_min`` of the heavy ball with mini-batches.

    Along eigenvector i of the Hessian H (eigenvalue λᵢ) the iterate is an
    AR(2) process driven by gradient noise of variance σᵢ²; its stationary
    variance gives ``½ λᵢ Var(zᵢ) = α σᵢ² (1 + β) / (2 (1 − β)(2 + 2β − αλᵢ))``.
    σᵢ² is the variance of a mini-batch gradient at the minimiser θ*:
    ``(1/B) (n − B)/(n − 1)`` times the per-example covariance of ``xᵢ rᵢ``
    (sampling without replacement).  The noise that grows with θ − θ* is
    neglected, so the formula is a small-α approximation.
    """
    problem = noise_problem()
    X, y = (np.asarray(a, np.float64) for a in problem.args)
    n = X.shape[0]
    H = X.T @ X / n
    residuals = X @ np.asarray(problem.minima[0], np.float64) - y
    per_example = X * residuals[:, None]
    covariance = per_example.T @ per_example / n / batch_size * (n - batch_size) / (n - 1)
    lam, V = np.linalg.eigh(H)
    sigma2 = np.diag(V.T @ covariance @ V)
    return float(np.sum(stationary_excess_loss(learning_rate, momentum, lam, sigma2)))


def mean_excess_loss(run: Trajectory, min_value: float, start: int) -> float:
    """The mean of ``L(θ_t) − L_min`` over ``t ≥ start``: a run's noise floor."""
    return float(np.mean(np.asarray(run.losses, np.float64)[start:] - min_value))


class HeavyBallNoiseFloor(NamedTuple):
    """The measured and predicted noise floor of one mini-batch heavy-ball run from θ*.

    Attributes:
        learning_rate, momentum: α and β.
        measured: the mean of ``L(θ_t) − L_min`` over t > ``NOISE_BURN_IN``.
        standard_error: its standard error from 10 blocks of the run.
        predicted: :func:`noise_floor_prediction`.
    """

    learning_rate: float
    momentum: float
    measured: float
    standard_error: float
    predicted: float


def noise_floor(learning_rate: float, momentum: float, seed: int = 0) -> HeavyBallNoiseFloor:
    """Run the heavy ball with mini-batches from the minimiser and average the excess loss."""
    problem = noise_problem()
    run = problem.run(
        sgd, NOISE_STEPS, problem.minima[0], key=jax.random.PRNGKey(seed),
        batch_size=NOISE_BATCH, learning_rate=learning_rate, momentum=momentum,
    )  # fmt: skip
    gaps = np.asarray(run.losses, np.float64)[NOISE_BURN_IN + 1 :] - problem.min_value
    blocks = np.array_split(gaps, 10)
    means = np.array([block.mean() for block in blocks])
    return HeavyBallNoiseFloor(
        learning_rate, momentum, float(gaps.mean()),
        float(means.std(ddof=1) / math.sqrt(len(means))),
        noise_floor_prediction(learning_rate, momentum),
    )  # fmt: skip


class NoiseRuns(NamedTuple):
    """Three mini-batch runs from θ₀ = 0, and the heavy ball's floor for several β.

    Attributes:
        learning_rate, momentum: α and β.
        sgd: SGD at α (``NOISE_STEPS`` steps, batches of ``NOISE_BATCH``).
        heavy_ball: the heavy ball at (α, β), on the same mini-batches.
        effective: SGD at the effective learning rate α/(1 − β), same mini-batches.
        sgd_floor, heavy_ball_floor, effective_floor: the mean of ``L(θ_t) − L_min``
            over t ≥ :data:`FLOOR_FROM` of each run (:func:`mean_excess_loss`).
        floors: a :class:`HeavyBallNoiseFloor` (from θ*) for each β of the sweep, in order.
    """

    learning_rate: float
    momentum: float
    sgd: Trajectory
    heavy_ball: Trajectory
    effective: Trajectory
    sgd_floor: float
    heavy_ball_floor: float
    effective_floor: float
    floors: tuple[HeavyBallNoiseFloor, ...]


def noise_runs(
    learning_rate: float = 0.01,
    momentum: float = 0.9,
    momenta: Sequence[float] = (0.0, 0.5, 0.75, 0.9, 0.95),
) -> NoiseRuns:
    """Run SGD, the heavy ball and SGD at α/(1 − β) from θ₀ = 0, and the floors from θ*."""
    alpha, beta = learning_rate, momentum
    problem = noise_problem()
    key = jax.random.PRNGKey(1)

    def run(a: float, b: float) -> Trajectory:
        return problem.run(
            sgd, NOISE_STEPS, key=key, batch_size=NOISE_BATCH, learning_rate=a, momentum=b
        )

    runs = run(alpha, 0.0), run(alpha, beta), run(alpha / (1 - beta), 0.0)
    floors = tuple(mean_excess_loss(r, problem.min_value, FLOOR_FROM) for r in runs)
    return NoiseRuns(alpha, beta, *runs, *floors, tuple(noise_floor(alpha, b) for b in momenta))


_SMOOTH = 100
"""The running mean (in steps) drawn over the raw losses in :func:`noise_figure`."""


def _loss_curves(ax, runs: NoiseRuns) -> None:
    """The three runs' excess losses: every step thin, a running mean thick."""
    alpha, beta = runs.learning_rate, runs.momentum
    curves = {
        f"SGD, α = {alpha:g}": runs.sgd,
        f"heavy ball, α = {alpha:g}, β = {beta:g}": runs.heavy_ball,
        f"SGD, α/(1 − β) = {alpha / (1 - beta):g}": runs.effective,
    }
    for i, (label, run) in enumerate(curves.items()):
        gaps = np.asarray(run.losses, np.float64) - noise_problem().min_value
        smooth = np.convolve(gaps, np.ones(_SMOOTH) / _SMOOTH, mode="valid")
        color = plot.color(i + 1)
        ax.plot(np.arange(gaps.size), np.maximum(gaps, 1e-7), color=color, linewidth=0.5,
                alpha=0.3)  # fmt: skip
        ax.plot(np.arange(smooth.size) + _SMOOTH // 2, smooth, color=color, linewidth=1.8,
                label=label)  # fmt: skip
    ax.set_yscale("log")
    ax.set_ylim(1e-5, 10)
    ax.set_xlim(0, NOISE_STEPS)
    ax.set_xlabel("step t")
    ax.set_ylabel("L(θ_t) − L_min")
    ax.set_title(f"mini-batches of B = {NOISE_BATCH} from θ₀ = 0", fontsize=10)
    ax.legend(fontsize=7.5, loc="upper right", framealpha=0.9)


def _floors(ax, runs: NoiseRuns) -> None:
    """The floor against β: predicted for the heavy ball and for SGD at α/(1 − β), measured."""
    alpha, floors = runs.learning_rate, runs.floors
    betas = np.linspace(0.0, max(f.momentum for f in floors), 200)
    ax.plot(betas, [noise_floor_prediction(alpha, b) for b in betas], color=plot.color(2),
            linewidth=1.8, label="predicted, heavy ball (α, β)")  # fmt: skip
    ax.plot(betas, [noise_floor_prediction(alpha / (1 - b), 0.0) for b in betas], "--",
            color=plot.color(3), linewidth=1.4, label="predicted, SGD at α/(1 − β)")  # fmt: skip
    ax.errorbar([f.momentum for f in floors], [f.measured for f in floors],
                yerr=[2 * f.standard_error for f in floors], fmt="o", color=plot.color(2),
                markerfacecolor="white", capsize=3, label="measured (± 2 s.e.)")  # fmt: skip
    ax.set_yscale("log")
    ax.set_xlabel("momentum β")
    ax.set_ylabel("noise floor E[L(θ_t)] − L_min")
    ax.set_title(f"α = {alpha:g}: the floor grows like 1/(1 − β)", fontsize=10)
    ax.legend(fontsize=7.5, loc="upper left", framealpha=0.9)


def noise_figure(runs: NoiseRuns):
    """Left: loss curves of SGD at α, the heavy ball at (α, β), SGD at α/(1 − β), from θ₀ = 0.

    Right: the noise floor of the heavy ball at α against β, measured and predicted,
    and that of SGD at the effective learning rate α/(1 − β).  Section "Momentum
    with noisy gradients" (figure ``mom_noise``); draws :func:`noise_runs`.
    Returns the figure.
    """
    fig, (left, right) = plot.figure(ncols=2, width=4.7, height=3.7)
    _loss_curves(left, runs)
    _floors(right, runs)
    return fig
