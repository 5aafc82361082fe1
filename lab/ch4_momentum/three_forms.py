"""Section "The heavy ball, three ways": the forms agree, and the velocity is an average.

In the book's notation (``g_t = ∇L(θ_{t−1})``, ``v_0 = 0``) the heavy ball in the
package's form ``v_t = β v_{t−1} + g_t``, ``θ_t = θ_{t−1} − α v_t`` equals the form with
the learning rate inside (``v_t = β v_{t−1} − α g_t``, ``θ_t = θ_{t−1} + v_t``) for a
constant α, and the moving-average form (``m_t = β m_{t−1} + (1 − β) g_t``,
``θ_t = θ_{t−1} − α' m_t``) with ``α' = α/(1 − β)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from lab import plot
from lab.ch4_momentum.valley import STEPS, hessian, paraboloid, quadratic_gradient
from optimizers.momentum import sgd, trace
from optimizers.validation import as_decay, as_whole


def heavy_ball_inside(grad, theta0, learning_rate: float, momentum: float, steps: int):
    """The heavy ball with the learning rate inside the velocity (Sutskever et al. 2013).

    ``v_t = β v_{t−1} − α g_t``, ``θ_t = θ_{t−1} + v_t``, with ``v_0 = 0`` and
    ``g_t = ∇L(θ_{t−1}) = grad(θ_{t−1})``.  Returns θ₀ … θ_T, shape ``(T + 1, d)``.
    """
    theta = np.asarray(theta0, np.float64)
    velocity = np.zeros_like(theta)
    path = [theta]
    for _ in range(steps):
        velocity = momentum * velocity - learning_rate * grad(theta)
        theta = theta + velocity
        path.append(theta)
    return np.stack(path)


def heavy_ball_ema(grad, theta0, learning_rate: float, momentum: float, steps: int):
    """The heavy ball as an exponential moving average of the gradients.

    ``m_t = β m_{t−1} + (1 − β) g_t``, ``θ_t = θ_{t−1} − α' m_t`` with
    ``m_0 = 0``; here ``learning_rate`` is α'.  Returns θ₀ … θ_T.
    """
    theta = np.asarray(theta0, np.float64)
    average = np.zeros_like(theta)
    path = [theta]
    for _ in range(steps):
        average = momentum * average + (1 - momentum) * grad(theta)
        theta = theta - learning_rate * average
        path.append(theta)
    return np.stack(path)


def relative_gap(a: np.ndarray, b: np.ndarray) -> float:
    """``max_t ‖a_t − b_t‖ / ‖a_0‖``: float32 runs agree with float64 ones to about 10⁻⁷."""
    return float(np.max(np.linalg.norm(a - b, axis=-1)) / np.linalg.norm(a[0]))


class FormsCheck(NamedTuple):
    """The three forms of the heavy ball run side by side on the paraboloid.

    Attributes:
        learning_rate: α of the package's form (and of the form with α inside).
        momentum: β.
        ema_learning_rate: α' = α/(1 − β) of the moving-average form.
        package: θ₀ … θ_T of ``opt.sgd(α, momentum=β)`` (float32).
        inside: the same from :func:`heavy_ball_inside` (float64).
        ema: the same from :func:`heavy_ball_ema` with α' (float64).
        inside_gap: ``max_t ‖θ_t^package − θ_t^inside‖ / ‖θ₀‖``.
        ema_gap: the same for the moving-average form.
        naive_ema_gap: the gap if one forgot the rescaling and used α' = α.
    """

    learning_rate: float
    momentum: float
    ema_learning_rate: float
    package: np.ndarray
    inside: np.ndarray
    ema: np.ndarray
    inside_gap: float
    ema_gap: float
    naive_ema_gap: float


def forms_check(learning_rate: float = 0.05, momentum: float = 0.9, steps: int = STEPS):
    """Run the heavy ball in its three forms on the paraboloid; return a :class:`FormsCheck`."""
    alpha, beta = float(learning_rate), float(momentum)
    bowl = paraboloid()
    grad = quadratic_gradient(hessian(bowl))
    run = bowl.run(sgd, steps, learning_rate=alpha, momentum=beta)
    package = np.asarray(run.params, np.float64)
    inside = heavy_ball_inside(grad, bowl.start, alpha, beta, steps)
    ema = heavy_ball_ema(grad, bowl.start, alpha / (1 - beta), beta, steps)
    naive = heavy_ball_ema(grad, bowl.start, alpha, beta, steps)
    return FormsCheck(
        alpha, beta, alpha / (1 - beta), package, inside, ema,
        relative_gap(package, inside), relative_gap(package, ema), relative_gap(package, naive),
    )  # fmt: skip


def velocity_buildup(momentum: float = 0.9, steps: int = 60) -> np.ndarray:
    """The package's velocity under a constant gradient g = 1: v₁ … v_T of ``opt.trace(β)``.

    It should be ``v_t = (1 − β^t)/(1 − β)``, approaching 1/(1 − β).  (The
    exercise "Terminal velocity" calls it with its own β and T.)
    """
    tx = trace(as_decay(momentum, "momentum"))
    grads = jnp.ones(1)

    def step(state, _):
        updates, state = tx.update(grads, state)
        return state, updates[0]

    _, velocities = jax.lax.scan(step, tx.init(grads), None, length=as_whole(steps, "steps"))
    return np.asarray(velocities, np.float64)


class MovingAverage(NamedTuple):
    """How the velocity weighs past gradients, for a few β.

    Attributes:
        momenta: the β values, one curve each.
        ages: k = 0 … T − 1, the age of the gradient ``g_{t−k}`` in steps.
        weights: ``β^k``, the weight of that gradient in v_t; shape ``(len(momenta), T)``.
        steps: t = 1 … T.
        velocities: v₁ … v_T of ``opt.trace(β)`` under a constant gradient g = 1
            (:func:`velocity_buildup`); shape ``(len(momenta), T)``.
        predicted: ``(1 − β^t)/(1 − β)``, the same in closed form.
        windows: ``1/(1 − β)``, the total weight and the velocity's limit.
    """

    momenta: tuple[float, ...]
    ages: np.ndarray
    weights: np.ndarray
    steps: np.ndarray
    velocities: np.ndarray
    predicted: np.ndarray
    windows: np.ndarray


def moving_average(momenta: Sequence[float] = (0.5, 0.9, 0.97), steps: int = 60) -> MovingAverage:
    """The weights β^k and the measured velocity build-up for each β."""
    betas = np.asarray(momenta, np.float64)[:, None]
    ages, t = np.arange(steps), np.arange(1, steps + 1)
    velocities = np.stack([velocity_buildup(float(b), steps) for b in betas[:, 0]])
    return MovingAverage(
        tuple(float(b) for b in momenta), ages, betas**ages, t, velocities,
        (1 - betas**t) / (1 - betas), 1 / (1 - betas[:, 0]),
    )  # fmt: skip


def averaging_figure(average: MovingAverage):
    """Left: the weight β^k of the gradient k steps old.  Right: the velocity under a constant gradient.

    Section "The heavy ball, three ways" (figure ``mom_averaging``).  The right
    panel is measured with ``opt.trace``; the dotted lines mark 1/(1 − β), the
    total weight and the limit.  Returns the figure.
    """
    fig, (weights, buildup) = plot.figure(ncols=2, width=4.6, height=3.5)
    for i, beta in enumerate(average.momenta):
        color, window = plot.color(i + 1), average.windows[i]
        weights.plot(average.ages, average.weights[i], "-", color=color, linewidth=1.8,
                     label=f"β = {beta:g}: total weight 1/(1 − β) = {window:.3g}")  # fmt: skip
        weights.axvline(-1 / math.log(beta), color=color, linestyle=":", linewidth=1.2)
        buildup.plot(average.steps, average.predicted[i], "-", color=color, linewidth=1)
        buildup.plot(average.steps, average.velocities[i], "o", color=color, markersize=3,
                     label=f"β = {beta:g}")  # fmt: skip
        buildup.axhline(window, color=color, linestyle=":", linewidth=1.2)
    steps = average.steps.size
    weights.set_xlabel("age k of the gradient g_{t−k} (steps)")
    weights.set_ylabel("weight β^k in v_t")
    weights.set_title("how much a past gradient counts", fontsize=10)
    weights.set_xlim(0, steps - 1)
    weights.set_ylim(0, 1.05)
    weights.legend(fontsize=8, loc="upper right", framealpha=0.9)
    buildup.set_xlabel("step t")
    buildup.set_ylabel("v_t / g")
    buildup.set_title("velocity under a constant gradient g (opt.trace)", fontsize=10)
    buildup.set_xlim(0, steps)
    buildup.set_ylim(0, 1.15 / (1 - max(average.momenta)))
    buildup.legend(fontsize=8, loc="center right", framealpha=0.9)
    return fig
