"""The variance Lookahead removes on a noisy quadratic: the formula, and a measurement of it.

Section "The variance it removes" of ``book/wrappers.ipynb``:
:func:`lookahead_variance_ratio` is equation ``wrap-eq-variance`` (the exercise
"wrap-exercise-variance" calls it), :func:`lookahead_variance` measures the ratio
over many chains of the package's ``lookahead(sgd(α), k, α_s)``, and
:func:`lookahead_variance_figure` draws both.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from matplotlib.figure import Figure

import optimizers as opt
from lab import plot


def lookahead_variance_ratio(
    slow_step_size: Any, sync_period: int, learning_rate: float, curvature: float
) -> Any:
    """Predicted stationary Var[θ]/Var[SGD] on ½λθ² with gradient noise (a = 1 − αλ):

    ``α_s (1 + a^k) / (2 − α_s (1 − a^k))``; equal to 1 at α_s = 1.
    """
    a = 1.0 - learning_rate * curvature
    ak = a**sync_period
    return slow_step_size * (1 + ak) / (2 - slow_step_size * (1 - ak))


@functools.partial(jax.jit, static_argnames=("steps",))
def _stationary_variance(slow_step_size, sync_period, learning_rate, curvature, noise, steps):
    """Variance over chains of the held params at the syncs of the second half of the run."""

    def one_chain(alpha_s, xi):
        tx = opt.lookahead(opt.sgd(learning_rate), sync_period, alpha_s)
        theta0 = jnp.zeros(1, jnp.float32)

        def step(carry, x):
            p, state = carry
            updates, state = tx.update(curvature * p + x, state, p)
            p = opt.apply_updates(p, updates)
            return (p, state), p[0]

        _, path = jax.lax.scan(step, (theta0, tx.init(theta0)), xi[:, None])
        return path

    paths = jax.vmap(lambda s: jax.vmap(lambda x: one_chain(s, x))(noise))(slow_step_size)
    t = jnp.arange(1, steps + 1)
    keep = ((t % sync_period) == 0) & (t > steps // 2)
    mean = jnp.sum(jnp.where(keep, paths, 0.0), axis=(1, 2)) / (jnp.sum(keep) * noise.shape[0])
    return jnp.sum(jnp.where(keep, (paths - mean[:, None, None]) ** 2, 0.0), axis=(1, 2)) / (
        jnp.sum(keep) * noise.shape[0]
    )


class VarianceAtSyncPeriod(NamedTuple):
    """Var[θ]/V_SGD of Lookahead's slow weights at one sync period, per slow step size.

    Fields:
        sync_period: k.
        measured: the measured ratio at each α_s of
            :attr:`LookaheadVariance.slow_step_sizes` (float32, dimensionless).
        predicted: :func:`lookahead_variance_ratio` at the same α_s.
        relative_error: max over α_s of |measured/predicted − 1|.
    """

    sync_period: int
    measured: np.ndarray
    predicted: np.ndarray
    relative_error: float


class LookaheadVariance(NamedTuple):
    """Measured and predicted stationary variance of Lookahead around SGD on ½λθ².

    Gradients g_t = λθ + ξ_t with ξ_t ~ N(0, 1).

    Fields:
        learning_rate: α of the inner SGD.
        curvature: λ.
        chains: the number of independent chains measured.
        steps: steps per chain (the syncs of the second half are measured).
        sgd_variance: V_SGD = α²/(1 − a²), a = 1 − αλ: SGD's stationary variance.
        slow_step_sizes: the α_s measured (float32), 0.5 and 1.0 among them.
        k5: the ratios at k = 5.
        k20: the ratios at k = 20.
    """

    learning_rate: float
    curvature: float
    chains: int
    steps: int
    sgd_variance: float
    slow_step_sizes: np.ndarray
    k5: VarianceAtSyncPeriod
    k20: VarianceAtSyncPeriod


def _at_sync_period(k, slow, noise, learning_rate, curvature, steps, sgd_variance):
    measured = _stationary_variance(
        jnp.asarray(slow),
        jnp.float32(k),
        jnp.float32(learning_rate),
        jnp.float32(curvature),
        noise,
        steps,
    )
    ratio = np.asarray(measured) / sgd_variance
    predicted = lookahead_variance_ratio(slow, k, learning_rate, curvature)
    error = float(np.max(np.abs(ratio / predicted - 1)))
    return VarianceAtSyncPeriod(k, ratio, predicted, error)


def lookahead_variance(
    learning_rate: float = 0.2, curvature: float = 1.0, chains: int = 400, steps: int = 600
) -> LookaheadVariance:
    """Measured and predicted Var[θ]/Var[SGD] against α_s for k = 5 and k = 20.

    On L = ½λθ² with g_t = λθ + ξ_t, ξ_t ~ N(0, 1): SGD's stationary variance is
    ``α²/(1 − a²)``, a = 1 − αλ; Lookahead's slow weights have
    :func:`lookahead_variance_ratio` times it.  Measured over ``chains``
    independent chains, at the syncs of the second half of ``steps`` steps.
    """
    rng = np.random.default_rng(3)
    noise = jnp.asarray(rng.normal(size=(chains, steps)), jnp.float32)
    slow = np.array([0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0], np.float32)
    a = 1 - learning_rate * curvature
    sgd_variance = learning_rate**2 / (1 - a**2)
    k5, k20 = (
        _at_sync_period(k, slow, noise, learning_rate, curvature, steps, sgd_variance)
        for k in (5, 20)
    )
    return LookaheadVariance(learning_rate, curvature, chains, steps, sgd_variance, slow, k5, k20)


def lookahead_variance_figure(result: LookaheadVariance) -> Figure:
    """Predicted curves and measured dots of Var[θ]/Var[SGD] against α_s, for k = 5 and 20.

    Draws section "The variance it removes" (figure ``wrap-fig-variance``).
    """
    alpha, curvature = result.learning_rate, result.curvature
    fig, ax = plot.figure(ncols=1, width=5.6, height=3.4)
    grid = np.linspace(0.02, 1.0, 100)
    for i, at_k in enumerate((result.k5, result.k20)):
        k = at_k.sync_period
        predicted = lookahead_variance_ratio(grid, k, alpha, curvature)
        ax.plot(grid, predicted, color=plot.color(i), lw=1.4, label=f"predicted, k = {k}")
        ax.plot(
            result.slow_step_sizes,
            at_k.measured,
            "o",
            color=plot.color(i),
            ms=5,
            label=f"measured, k = {k}",
        )
    ax.set_xlabel("slow step size α_s")
    ax.set_ylabel("Var[θ] / Var[SGD]")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.1)
    ax.set_title(f"½λθ² with noisy gradients, α = {alpha:g}, λ = {curvature:g}", fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    return fig
