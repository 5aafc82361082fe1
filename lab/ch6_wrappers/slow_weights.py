"""Lookahead's fast and slow weights on a noisy quadratic, and the widget that shows them.

Section "Lookahead: k steps forward, one step back" of ``book/wrappers.ipynb``:
:func:`lookahead_path` runs SGD inside Lookahead (k, α_s and α are traced numbers,
so moving a slider never recompiles), :func:`lookahead_against_sgd` runs it beside
plain SGD on the same noise, and :func:`lookahead_widget` draws both.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

import optimizers as opt
from lab import plot, widgets

LOOKAHEAD_Q = np.diag([1.0, 10.0])
"""Q of the noisy quadratic ½θᵀQθ of the Lookahead widget (κ = 10)."""
LOOKAHEAD_STEPS = 120
"""Steps of every run of the Lookahead widget."""
_LOOKAHEAD_NOISE = 1.0


@functools.cache
def _lookahead_noise(steps: int = LOOKAHEAD_STEPS, seed: int = 0) -> jnp.ndarray:
    rng = np.random.default_rng(seed)
    return jnp.asarray(rng.normal(size=(steps, 2)), jnp.float32)


@jax.jit
def lookahead_scan(theta0, Q, noise, learning_rate, sync_period, slow_step_size, sigma):
    """SGD inside Lookahead on ½θᵀQθ with gradient noise σξ_t: fast and slow weights per step.

    g_t = Qφ_{t−1} + σ ξ_t.  ``sync_period`` is a traced number (rounded), so
    moving k does not recompile.
    """
    k = jnp.maximum(jnp.round(sync_period), 1.0)
    tx = opt.lookahead(opt.sgd(learning_rate), k, slow_step_size)

    def step(carry, xi):
        phi, state = carry
        grads = Q @ phi + sigma * xi
        inner, inner_state = tx.update(grads, state, phi)
        fast = phi - learning_rate * grads  # the inner SGD step, before any sync
        new_phi = opt.apply_updates(phi, inner)
        return (new_phi, inner_state), (fast, inner_state.slow, new_phi)

    _, (fast, slow, params) = jax.lax.scan(step, (theta0, tx.init(theta0)), noise)
    return fast, slow, params


class LookaheadPath(NamedTuple):
    """SGD inside Lookahead on ½θᵀQθ (Q = :data:`LOOKAHEAD_Q`), step by step.

    Each array has shape (T + 1, 2), T = :data:`LOOKAHEAD_STEPS`; row 0 is the
    start θ₀ = (2, 1.5), row t the state after step t.

    Fields:
        fast: the fast weights φ_t after the inner SGD step t, before any sync.
        slow: the slow weights θ after step t (they move only at syncs).
        params: what the caller holds after step t (φ between syncs, θ at syncs).
        sync_period: k, the slider's value rounded to a whole number ≥ 1.
    """

    fast: np.ndarray
    slow: np.ndarray
    params: np.ndarray
    sync_period: int


def lookahead_path(
    sync_period: float = 5.0,
    slow_step_size: float = 0.5,
    learning_rate: float = 0.1,
    sigma: float = _LOOKAHEAD_NOISE,
) -> LookaheadPath:
    """Fast weights φ_t (before any sync), slow weights θ and held params, step by step.

    Gradient noise σξ_t with the same ξ_t for every call (one compiled program).
    """
    theta0 = jnp.asarray([2.0, 1.5], jnp.float32)
    fast, slow, params = lookahead_scan(
        theta0,
        jnp.asarray(LOOKAHEAD_Q, jnp.float32),
        _lookahead_noise(),
        jnp.float32(learning_rate),
        jnp.float32(sync_period),
        jnp.float32(slow_step_size),
        jnp.float32(sigma),
    )
    start = np.asarray(theta0)[None]
    return LookaheadPath(
        fast=np.concatenate([start, np.asarray(fast)]),
        slow=np.concatenate([start, np.asarray(slow)]),
        params=np.concatenate([start, np.asarray(params)]),
        sync_period=max(round(float(sync_period)), 1),
    )


class LookaheadAgainstSGD(NamedTuple):
    """What the Lookahead widget shows: Lookahead and plain SGD on the same noise.

    Fields:
        lookahead: the :class:`LookaheadPath` at the chosen k, α_s and α.
        sgd: the same with α_s = 1, which makes Lookahead plain SGD.
    """

    lookahead: LookaheadPath
    sgd: LookaheadPath


def lookahead_against_sgd(
    sync_period: float, slow_step_size: float, learning_rate: float
) -> LookaheadAgainstSGD:
    """:func:`lookahead_path` at (k, α_s, α) and at (k, 1, α): Lookahead and plain SGD."""
    return LookaheadAgainstSGD(
        lookahead_path(sync_period, slow_step_size, learning_rate),
        lookahead_path(sync_period, 1.0, learning_rate),
    )


def _quadratic_loss(params: np.ndarray) -> np.ndarray:
    """½θᵀQθ of each row of ``params``, with Q = :data:`LOOKAHEAD_Q`."""
    return 0.5 * np.einsum("ti,ij,tj->t", params, LOOKAHEAD_Q, params)


_LOSS_TOP = 30.0
"""The loss panel's top, above the start's loss (13.25), so no curve starts clipped."""


class LookaheadPanels(plot.Panels):
    """Left: the paths on the contours of ½θᵀQθ.  Right: the loss of the held params per step."""

    def __init__(self):
        self.figure, (self.plane, self.dist) = plot.figure(ncols=2, width=4.3, height=3.6)
        x = np.linspace(-2.5, 2.5, 101)
        X, Y = np.meshgrid(x, x)
        Z = 0.5 * (LOOKAHEAD_Q[0, 0] * X**2 + LOOKAHEAD_Q[1, 1] * Y**2)
        self.plane.contour(X, Y, Z, levels=np.geomspace(0.05, 30, 10), colors="0.8", linewidths=0.7)
        self.plane.plot([0], [0], "k*", ms=9, zorder=2.1)  # the minimum, above the paths
        self.plane.set_xlim(-2.5, 2.5)
        self.plane.set_ylim(-2.5, 2.5)
        self.plane.set_aspect("equal")
        self.plane.set_title("½θᵀQθ, Q = diag(1, 10), noisy gradients", fontsize=10)
        self.dist.set_yscale("log")
        self.dist.set_ylim(1e-3, _LOSS_TOP)
        self.dist.set_xlim(0, LOOKAHEAD_STEPS)
        self.dist.set_xlabel("step t")
        self.dist.set_title("L(θ_t) of the held params", fontsize=10)

    def create(self, result: LookaheadAgainstSGD) -> None:
        (self.sgd,) = self.plane.plot([], [], color="0.6", lw=0.7, label="plain SGD")
        (self.fast,) = self.plane.plot([], [], color=plot.color(0), lw=0.9, label="fast weights φ")
        (self.slow,) = self.plane.plot(
            [], [], "o-", color=plot.color(1), lw=1.8, ms=4, label="slow weights θ"
        )
        self.plane.legend(fontsize=8, loc="lower left")
        t = np.arange(LOOKAHEAD_STEPS + 1)
        (self.sgd_loss,) = self.dist.plot(t, t * 0.0 + 1, color="0.6", lw=1.0, label="plain SGD")
        (self.lookahead_loss,) = self.dist.plot(
            t, t * 0.0 + 1, color=plot.color(1), lw=1.5, label="Lookahead"
        )
        self.dist.legend(fontsize=8, loc="upper right")

    def update(self, result: LookaheadAgainstSGD) -> None:
        run, sgd = result.lookahead, result.sgd
        self.sgd.set_data(sgd.params[:, 0], sgd.params[:, 1])
        self.fast.set_data(run.fast[:, 0], run.fast[:, 1])
        syncs = run.slow[:: run.sync_period]
        self.slow.set_data(syncs[:, 0], syncs[:, 1])
        self.sgd_loss.set_ydata(np.clip(_quadratic_loss(sgd.params), 1e-3, _LOSS_TOP))
        self.lookahead_loss.set_ydata(np.clip(_quadratic_loss(run.params), 1e-3, _LOSS_TOP))


def lookahead_widget(frames: int | None = 9) -> widgets.Interactive:
    """Fast and slow weights of SGD inside Lookahead on a noisy quadratic.

    Shown in section "Lookahead: k steps forward, one step back".  Controls: k (a
    float slider, rounded inside: the sync period stays a traced number), α_s and
    α.  Plain SGD (α_s = 1, which makes Lookahead the identity) runs on the same
    noise for comparison.  The site explores α_s (``frames`` values; ``None``: no
    static explorer).
    """
    panels = LookaheadPanels()
    controls = {
        "sync_period": widgets.slider("k", 5.0, 1.0, 20.0, 1.0),
        "slow_step_size": widgets.slider("α_s", 0.5, 0.05, 1.0, 0.05),
        "learning_rate": widgets.slider("α", 0.1, 0.01, 0.19, 0.01),
    }
    widget = widgets.interactive(
        lookahead_against_sgd, panels.draw, controls, panels.figure, static="slow_step_size"
    )
    widget.panels = panels
    widget.frames = frames
    return widget
