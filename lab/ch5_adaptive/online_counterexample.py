"""AMSGrad: Reddi, Kale and Kumar's (2018) online problem on which Adam converges to the worst point."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from matplotlib.figure import Figure

from lab import plot, registry
from optimizers.base import GradientTransformation
from optimizers.validation import as_decay, as_positive, as_whole

__all__ = [
    "AmsgradCounterexample",
    "OnlineRun",
    "amsgrad_counterexample",
    "amsgrad_counterexample_figure",
    "online_run",
]


class OnlineRun(NamedTuple):
    """A run of the online problem f_t(x) = g_t x on [−1, 1].

    Attributes:
        x: the points x_0 … x_T (x_{t−1} is played in round t).
        gradients: g_1 … g_T.
        average_regret: R_t/t for t = 1 … T, with
            ``R_t = Σ_{τ≤t} f_τ(x_{τ−1}) − min_{x∈[−1,1]} Σ_{τ≤t} f_τ(x)``.
    """

    x: np.ndarray
    gradients: np.ndarray
    average_regret: np.ndarray


@functools.partial(jax.jit, static_argnames=("make_optimizer", "steps"))
def _online(make_optimizer, steps, C, learning_rate, b1, b2, x0):
    tx = make_optimizer(
        learning_rate=lambda count: learning_rate / jnp.sqrt(count + 1.0), b1=b1, b2=b2
    )  # α_t = α/√t at step t (the schedule is called with count = t − 1)

    def step(carry, t):
        x, state = carry
        g = jnp.where(t % 3 == 1, C, -1.0)
        updates, state = tx.update(g, state, x)
        x = jnp.clip(x + updates, -1.0, 1.0)  # the projection onto [−1, 1]
        return (x, state), (x, g)

    _, (xs, gs) = jax.lax.scan(step, (x0, tx.init(x0)), jnp.arange(1, steps + 1))
    return jnp.concatenate([x0[None], xs]), gs


def online_run(
    make_optimizer: Callable[..., GradientTransformation],
    C: float = 3.0,
    steps: int = 3000,
    learning_rate: float = 0.5,
    b1: float = 0.0,
    b2: float | None = None,
    x0: float = 0.0,
) -> OnlineRun:
    """Projected online optimisation of Reddi, Kale and Kumar's (2018) linear losses.

    Round t has ``f_t(x) = C x`` if t mod 3 = 1 and ``−x`` otherwise, on x ∈ [−1, 1];
    the best fixed point is x = −1 (for C > 2).  Each round: g_t = f_t'(x_{t−1}),
    one step of ``make_optimizer(learning_rate=α/√t, b1=β₁, b2=β₂)``, then the
    projection ``x_t = clip(x_{t−1} + u_t, −1, 1)``.  β₂ defaults to the
    paper's 1/(1 + C²).
    """
    C = as_positive(C, "C")
    if C <= 2:
        raise ValueError(f"C must be > 2 (else x = −1 is not the unique best point), got {C}")
    b2 = 1.0 / (1.0 + C**2) if b2 is None else b2
    b1, b2 = as_decay(b1, "b1"), as_decay(b2, "b2")
    f32 = functools.partial(jnp.asarray, dtype=jnp.float32)
    xs, gs = _online(
        make_optimizer, as_whole(steps, "steps"), f32(C),
        f32(as_positive(learning_rate, "learning_rate")), f32(b1), f32(b2), f32(x0),
    )  # fmt: skip
    xs, gs = np.asarray(xs, np.float64), np.asarray(gs, np.float64)
    played = np.cumsum(gs * xs[:-1])
    best = -np.abs(np.cumsum(gs))  # min over [−1, 1] of (Σ g_τ) x
    t = np.arange(1, len(gs) + 1)
    return OnlineRun(xs, gs, (played - best) / t)


class AmsgradCounterexample(NamedTuple):
    """Adam and AMSGrad on the online problem, in the setting of the paper's Theorem 1.

    Attributes:
        C: the large gradient.
        b2: β₂ = 1/(1 + C²) (β₁ = 0).
        steps: the rounds T.
        learning_rate: α of the step sizes α_t = α/√t.
        adam, amsgrad: the two :class:`OnlineRun`.
        adam_final_x, amsgrad_final_x: x_T of each.
        adam_regret, amsgrad_regret: R_T/T of each.
        regret_limit: 2(C − 2)/3, the average regret of sitting at x = +1.
    """

    C: float
    b2: float
    steps: int
    learning_rate: float
    adam: OnlineRun
    amsgrad: OnlineRun
    adam_final_x: float
    amsgrad_final_x: float
    adam_regret: float
    amsgrad_regret: float
    regret_limit: float


def amsgrad_counterexample(
    C: float = 3.0, steps: int = 3000, learning_rate: float = 0.5
) -> AmsgradCounterexample:
    """Adam drifts to x = +1, AMSGrad converges to the optimum x = −1.

    Both are the package's optimizers (bias correction and ε = 1e-8 included)
    with β₁ = 0, β₂ = 1/(1 + C²) and α_t = α/√t, in :func:`online_run`.
    """
    adam = online_run(registry.OPTIMIZERS["adam"], C, steps, learning_rate)
    amsgrad = online_run(registry.OPTIMIZERS["amsgrad"], C, steps, learning_rate)
    return AmsgradCounterexample(
        C=C,
        b2=1 / (1 + C**2),
        steps=steps,
        learning_rate=learning_rate,
        adam=adam,
        amsgrad=amsgrad,
        adam_final_x=float(adam.x[-1]),
        amsgrad_final_x=float(amsgrad.x[-1]),
        adam_regret=float(adam.average_regret[-1]),
        amsgrad_regret=float(amsgrad.average_regret[-1]),
        regret_limit=2 * (C - 2) / 3,
    )


def amsgrad_counterexample_figure(result: AmsgradCounterexample) -> Figure:
    """The section "AMSGrad: when Adam does not converge": x_t and the average regret R_t/t."""
    fig, (xs_ax, regret_ax) = plot.figure(ncols=2, width=4.6, height=3.2)
    t = np.arange(result.steps + 1)
    for i, (label, run) in enumerate((("Adam", result.adam), ("AMSGrad", result.amsgrad))):
        xs_ax.plot(t, run.x, color=plot.color(i), lw=1.2, label=label)
        regret_ax.plot(t[1:], run.average_regret, color=plot.color(i), lw=1.5, label=label)
    limit = result.regret_limit
    regret_ax.axhline(limit, color="0.4", lw=0.8, ls="--")
    regret_ax.text(
        result.steps, limit + 0.15, f"2(C − 2)/3 = {limit:.3g}", ha="right", va="bottom", fontsize=9
    )
    xs_ax.axhline(-1.0, color="0.4", lw=0.8, ls="--")
    xs_ax.set_ylim(-1.1, 1.1)
    xs_ax.set_title("the point x_t (optimum: x = −1)", fontsize=10)
    xs_ax.legend(fontsize=9, loc="center right")
    regret_ax.set_title("average regret R_t / t", fontsize=10)
    for ax in (xs_ax, regret_ax):
        ax.set_xscale("log")
        ax.set_xlim(1, result.steps)
        ax.set_xlabel("round t")
    return fig
