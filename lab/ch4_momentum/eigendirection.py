"""The experiments of the chapter "Momentum".

Every figure and widget of the chapter is one call here.  The facts behind
them, in the book's notation (``g_t = ∇L(θ_{t−1})``, ``v_0 = 0``):

* the heavy ball (Polyak 1964) in the package's form
  ``v_t = β v_{t−1} + g_t``, ``θ_t = θ_{t−1} − α v_t`` equals the form with the
  learning rate inside (``v_t = β v_{t−1} − α g_t``, ``θ_t = θ_{t−1} + v_t``) for
  a constant α, and the moving-average form
  (``m_t = β m_{t−1} + (1 − β) g_t``, ``θ_t = θ_{t−1} − α' m_t``) with
  ``α' = α/(1 − β)``;
* Nesterov's look-ahead ``v_t = β v_{t−1} − α ∇L(θ_{t−1} + β v_{t−1})``,
  ``θ_t = θ_{t−1} + v_t`` is the package's ``nesterov=True`` run on the shifted
  points ``θ̃_t = θ_t + β v_t``;
* on ``L(θ) = ½ θᵀQθ`` each eigendirection evolves by
  ``T = [[1 + β − αλ, −β], [1, 0]]``: it converges iff ``0 < αλ < 2 + 2β`` and,
  at Polyak's optimal (α, β), every direction contracts by
  ``(√κ − 1)/(√κ + 1)`` per step.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from matplotlib import colormaps

from lab import analysis, plot, problems, widgets
from lab.trajectory import Trajectory, trajectory
from optimizers.momentum import sgd, trace
from optimizers.validation import as_whole as _whole

__all__ = [
    "REGIMES",
    "BasinSweep",
    "EscapeRuns",
    "FormsCheck",
    "NesterovCheck",
    "NoiseFloor",
    "OptimumRun",
    "PhaseDiagram",
    "SaddleGrowth",
    "averaging_figure",
    "basin_sweep",
    "critical_damping_steps",
    "double_well",
    "double_well_loss",
    "eigendirection_widget",
    "escape_figure",
    "escape_runs",
    "forms_check",
    "heavy_ball_ema",
    "heavy_ball_inside",
    "iteration_summary",
    "mean_excess_loss",
    "measured_rate",
    "nesterov_check",
    "nesterov_iteration_matrix",
    "nesterov_lookahead",
    "nesterov_rate",
    "nesterov_rate_figure",
    "nesterov_widget",
    "noise_figure",
    "noise_floor",
    "noise_floor_prediction",
    "noise_problem",
    "optimum_run",
    "paraboloid",
    "paraboloid_widget",
    "phase_diagram",
    "phase_figure",
    "rates_figure",
    "regime",
    "saddle_growth",
    "spectral_radius",
    "stability_check",
    "stationary_excess_loss",
    "steps_below",
    "velocity_buildup",
]

STEPS = 100
"""Steps of every 2-D run in the figures and widgets (one compiled program each)."""

RATE_STEPS = 800
"""Steps of the rate runs: GD at κ = 100 needs 691 steps to shrink ‖θ‖ a millionfold."""

TOLERANCE = 1e-6
"""The accuracy asked for in iteration counts: ‖θ_t‖ ≤ tol · ‖θ₀‖."""

_RED = "#b00000"


# --------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"{name} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return float(value)


def _positive(value: Any, name: str) -> float:
    number = _number(value, name)
    if number <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return number


def _momentum(value: Any, name: str = "momentum") -> float:
    number = _number(value, name)
    if not 0 <= number < 1:
        raise ValueError(f"{name} must lie in [0, 1), got {value!r}")
    return number


@functools.cache
def paraboloid() -> problems.Problem:
    """The running example ``L(θ) = 0.2 θ₁² + 2 θ₂² = ½ θᵀ diag(0.4, 4) θ`` (κ = 10)."""
    return problems.ill_conditioned_paraboloid()


def _hessian(problem: problems.Problem) -> np.ndarray:
    return np.asarray(problem.args[0], np.float64)


def _quadratic_gradient(Q: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """``θ ↦ Qθ``, the gradient of ``½ θᵀQθ``, in float64."""
    return lambda theta: Q @ theta


# --------------------------------------------------------------------------
# 1. Three ways to write the heavy ball, and Nesterov's look-ahead
# --------------------------------------------------------------------------


def heavy_ball_inside(grad, theta0, learning_rate: float, momentum: float, steps: int):
    """The heavy ball with the learning rate inside the velocity (Sutskever et al. 2013).

    ``v_t = β v_{t−1} − α g_t``, ``θ_t = θ_{t−1} + v_t``, with ``v_0 = 0`` and
    ``g_t = ∇L(θ_{t−1}) = grad(θ_{t−1})``.  Returns θ₀ … θ_T, shape ``(T + 1, d)``.
    """
    theta = np.asarray(theta0, np.float64)
    velocity = np.zeros_like(theta)
    path = [theta]
    for _ in range(_whole(steps, "steps")):
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
    for _ in range(_whole(steps, "steps")):
        average = momentum * average + (1 - momentum) * grad(theta)
        theta = theta - learning_rate * average
        path.append(theta)
    return np.stack(path)


def nesterov_lookahead(grad, theta0, learning_rate, momentum, steps):
    """Nesterov's momentum in its look-ahead form (Sutskever et al. 2013).

    ``v_t = β v_{t−1} − α ∇L(θ_{t−1} + β v_{t−1})``,
    ``θ_t = θ_{t−1} + v_t``: the gradient is taken where the velocity is
    about to carry θ.  Mind the sign: the velocity *subtracts* the
    gradient.  Returns ``(θ₀ … θ_T, v₀ … v_T)``.
    """
    theta = np.asarray(theta0, np.float64)
    velocity = np.zeros_like(theta)
    path, velocities = [theta], [velocity]
    for _ in range(_whole(steps, "steps")):
        lookahead = theta + momentum * velocity
        velocity = momentum * velocity - learning_rate * grad(lookahead)
        theta = theta + velocity
        path.append(theta)
        velocities.append(velocity)
    return np.stack(path), np.stack(velocities)


def _relative_gap(a: np.ndarray, b: np.ndarray) -> float:
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
    alpha = _positive(learning_rate, "learning_rate")
    beta = _momentum(momentum)
    bowl = paraboloid()
    grad = _quadratic_gradient(_hessian(bowl))
    run = bowl.run(sgd, _whole(steps, "steps"), learning_rate=alpha, momentum=beta)
    package = np.asarray(run.params, np.float64)
    inside = heavy_ball_inside(grad, bowl.start, alpha, beta, steps)
    ema = heavy_ball_ema(grad, bowl.start, alpha / (1 - beta), beta, steps)
    naive = heavy_ball_ema(grad, bowl.start, alpha, beta, steps)
    return FormsCheck(
        alpha, beta, alpha / (1 - beta), package, inside, ema,
        _relative_gap(package, inside), _relative_gap(package, ema), _relative_gap(package, naive),
    )  # fmt: skip


class NesterovCheck(NamedTuple):
    """Nesterov's look-ahead form against the package's ``nesterov=True``.

    Attributes:
        package: θ̃₀ … θ̃_T of ``opt.sgd(α, β, nesterov=True)`` (float32).
        lookahead: θ₀ … θ_T of :func:`nesterov_lookahead` (float64).
        velocity: v₀ … v_T of the look-ahead form.
        shifted_gap: ``max_t ‖θ̃_t − (θ_t + β v_t)‖ / ‖θ₀‖``: zero up to rounding.
        unshifted_gap: ``max_t ‖θ̃_t − θ_t‖ / ‖θ₀‖``: the sequences themselves differ.
        buffer_gap: ``‖v^out_T − (−v_T/α)‖ / ‖v_T/α‖``, the package's buffer against the
            look-ahead velocity.
    """

    package: np.ndarray
    lookahead: np.ndarray
    velocity: np.ndarray
    shifted_gap: float
    unshifted_gap: float
    buffer_gap: float


def nesterov_check(learning_rate: float = 0.05, momentum: float = 0.9, steps: int = STEPS):
    """Compare the look-ahead form with ``opt.sgd(..., nesterov=True)`` on the paraboloid."""
    alpha = _positive(learning_rate, "learning_rate")
    beta = _momentum(momentum)
    steps = _whole(steps, "steps")
    bowl = paraboloid()
    Q = _hessian(bowl)
    run = bowl.run(sgd, steps, learning_rate=alpha, momentum=beta, nesterov=True)
    package = np.asarray(run.params, np.float64)
    thetas, velocities = nesterov_lookahead(_quadratic_gradient(Q), bowl.start, alpha, beta, steps)
    shifted = thetas + beta * velocities
    # the package's buffer v^out_t = β v^out_{t−1} + g_t, g_t taken at θ̃_{t−1}, in float64
    buffer = np.zeros(2)
    for phi in package[:-1]:
        buffer = beta * buffer + Q @ phi
    target = -velocities[-1] / alpha
    return NesterovCheck(
        package, thetas, velocities,
        _relative_gap(package, shifted), _relative_gap(package, thetas),
        float(np.linalg.norm(buffer - target) / np.linalg.norm(target)),
    )  # fmt: skip


def velocity_buildup(momentum: float = 0.9, steps: int = 60) -> np.ndarray:
    """The package's velocity under a constant gradient g = 1: v₁ … v_T of ``opt.trace(β)``.

    It should be ``v_t = (1 − β^t)/(1 − β)``, approaching 1/(1 − β).
    """
    beta = _momentum(momentum)
    tx = trace(beta)
    grads = jnp.ones(1)

    def step(state, _):
        updates, state = tx.update(grads, state)
        return state, updates[0]

    _, velocities = jax.lax.scan(step, tx.init(grads), None, length=_whole(steps, "steps"))
    return np.asarray(velocities, np.float64)


def averaging_figure(momenta: Sequence[float] = (0.5, 0.9, 0.97), steps: int = 60):
    """Left: the weight β^k of the gradient k steps old.  Right: the velocity under a constant gradient.

    The right panel is measured with ``opt.trace``; the dotted lines mark
    1/(1 − β), the total weight and the limit.  Returns the figure.
    """
    fig, (weights, buildup) = plot.figure(ncols=2, width=4.6, height=3.5)
    ages = np.arange(steps)
    for i, beta in enumerate(momenta):
        color = plot.color(i + 1)
        window = 1 / (1 - beta)
        weights.plot(ages, beta**ages, "-", color=color, linewidth=1.8,
                     label=f"β = {beta:g}: total weight 1/(1 − β) = {window:.3g}")  # fmt: skip
        weights.axvline(-1 / math.log(beta), color=color, linestyle=":", linewidth=1.2)
        v = velocity_buildup(beta, steps)
        t = np.arange(1, steps + 1)
        buildup.plot(t, (1 - beta**t) / (1 - beta), "-", color=color, linewidth=1)
        buildup.plot(t, v, "o", color=color, markersize=3, label=f"β = {beta:g}")
        buildup.axhline(window, color=color, linestyle=":", linewidth=1.2)
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
    buildup.set_ylim(0, 1.15 / (1 - max(momenta)))
    buildup.legend(fontsize=8, loc="center right", framealpha=0.9)
    return fig


# --------------------------------------------------------------------------
# 2. The quadratic theory: one eigendirection at a time
# --------------------------------------------------------------------------


def _characteristic(step, momentum, nesterov: bool):
    """``(s, p)`` of the characteristic polynomial ``z² − s z + p`` of one eigendirection.

    Heavy ball: ``s = 1 + β − αλ``, ``p = β``.  Nesterov: ``s = (1 + β)(1 − αλ)``,
    ``p = β(1 − αλ)``.  ``step`` is αλ.
    """
    h, b = np.asarray(step, np.float64), np.asarray(momentum, np.float64)
    if nesterov:
        return (1 + b) * (1 - h), b * (1 - h)
    return 1 + b - h, b + 0 * h


def spectral_radius(step, momentum, nesterov: bool = False) -> np.ndarray:
    """ρ, the largest |root| of ``z² − s z + p`` for arrays αλ = ``step`` and β (broadcast).

    Vectorised closed form: real roots ``(s ± √(s² − 4p))/2`` if the
    discriminant is ≥ 0, else a complex pair of modulus √p.
    """
    s, p = _characteristic(step, momentum, nesterov)
    disc = s**2 - 4 * p
    root = np.sqrt(np.abs(disc))
    real = np.maximum(np.abs(s + root), np.abs(s - root)) / 2
    return np.where(disc >= 0, real, np.sqrt(np.abs(p)))


REGIMES = ("does not converge", "overdamped", "underdamped", "overdamped, sign-flipping")
"""The names of the codes :func:`regime` returns (0, 1, 2, 3)."""


def regime(step, momentum) -> np.ndarray:
    """The heavy ball's regime per eigendirection, as codes into :data:`REGIMES`.

    With ``h = αλ``: 0 does not converge (``h ≤ 0`` or ``h ≥ 2 + 2β``); 1 overdamped,
    two positive real roots (``h < (1 − √β)²``); 2 underdamped, a complex
    pair of modulus √β (``(1 − √β)² ≤ h ≤ (1 + √β)²``, critical damping at the
    ends); 3 overdamped with negative roots, the iterate flips sign every step.
    """
    h, b = np.broadcast_arrays(np.asarray(step, np.float64), np.asarray(momentum, np.float64))
    codes = np.full(h.shape, 2)
    codes = np.where(h < (1 - np.sqrt(b)) ** 2, 1, codes)
    codes = np.where(h > (1 + np.sqrt(b)) ** 2, 3, codes)
    return np.where((h <= 0) | (h >= 2 + 2 * b), 0, codes)


def nesterov_iteration_matrix(eigenvalue: float, learning_rate: float, momentum: float):
    """Nesterov's 2×2 matrix along one eigendirection, acting on ``(z̃_{t−1}, z̃_{t−2})``.

    From ``z̃_t = (1 + β)(1 − αλ) z̃_{t−1} − β(1 − αλ) z̃_{t−2}`` (look-ahead points):
    ``T = [[(1 + β)(1 − αλ), −β(1 − αλ)], [1, 0]]``.
    """
    c = 1.0 - learning_rate * eigenvalue
    return np.array([[(1.0 + momentum) * c, -momentum * c], [1.0, 0.0]])


def nesterov_rate(Q, learning_rate: float, momentum: float) -> float:
    """Nesterov's asymptotic rate on ``½ θᵀQθ``: the largest spectral radius over Q's eigenvalues."""
    return float(
        max(
            np.max(
                np.abs(np.linalg.eigvals(nesterov_iteration_matrix(lam, learning_rate, momentum)))
            )
            for lam in analysis.eigenvalues(Q)
        )
    )


class PhaseDiagram(NamedTuple):
    """The heavy ball's (or Nesterov's) rate on a grid of (α, β) for a set of eigenvalues.

    Attributes:
        learning_rates: the α grid (columns).
        momenta: the β grid (rows).
        eigenvalues: the λᵢ.
        rates: ``max_i ρ(αλᵢ, β)``, shape ``(len(momenta), len(learning_rates))``.
    """

    learning_rates: np.ndarray
    momenta: np.ndarray
    eigenvalues: np.ndarray
    rates: np.ndarray

    @property
    def best(self) -> tuple[float, float, float]:
        """``(α, β, ρ)`` of the grid point with the smallest rate."""
        row, col = np.unravel_index(np.argmin(self.rates), self.rates.shape)
        return (
            float(self.learning_rates[col]),
            float(self.momenta[row]),
            float(self.rates[row, col]),
        )


def phase_diagram(
    eigenvalues: Sequence[float] = (0.4, 4.0),
    learning_rates: np.ndarray | None = None,
    momenta: np.ndarray | None = None,
    nesterov: bool = False,
) -> PhaseDiagram:
    """``max_i ρ(αλᵢ, β)`` on a grid, by :func:`spectral_radius` broadcast over (β, α, λ).

    ``nesterov=True`` gives Nesterov's rates instead of the heavy ball's.
    """
    lam = np.asarray(eigenvalues, np.float64)
    if lam.ndim != 1 or lam.size == 0 or not np.all(np.isfinite(lam)):
        raise ValueError(
            f"eigenvalues must be a non-empty list of finite numbers, got {eigenvalues!r}"
        )
    if learning_rates is None:
        learning_rates = np.linspace(0.0, 2.2 / lam.max() * 2, 441)[1:]
    if momenta is None:
        momenta = np.linspace(0.0, 0.99, 397)
    alphas, betas = np.asarray(learning_rates, np.float64), np.asarray(momenta, np.float64)
    steps = alphas[None, :, None] * lam[None, None, :]
    rates = spectral_radius(steps, betas[:, None, None], nesterov).max(axis=-1)
    return PhaseDiagram(alphas, betas, lam, rates)


_RATE_CMAP = colormaps["viridis"].with_extremes(bad="#e6e6e6")
"""Rates from 0 (dark) to 1 (yellow); diverging cells (masked) light grey."""


def _rate_image(ax, rates, extent):
    """Rates as colours (viridis from 0 to 1), divergence (ρ ≥ 1) in light grey."""
    shown = np.ma.masked_where(rates >= 1, rates)
    return ax.imshow(shown, origin="lower", extent=extent, aspect="auto", cmap=_RATE_CMAP,
                     vmin=0, vmax=1, interpolation="nearest")  # fmt: skip


def _regime_curves(ax, momenta: np.ndarray, scale: float = 1.0, labels: bool = True) -> None:
    """Critical damping αλ = (1 ± √β)² (dashed) and the stability edge αλ = 2 + 2β (red)."""
    b = momenta
    ax.plot((1 - np.sqrt(b)) ** 2 / scale, b, "--", color="white", linewidth=1.4,
            label="critical damping αλ = (1 ± √β)²" if labels else None)  # fmt: skip
    ax.plot((1 + np.sqrt(b)) ** 2 / scale, b, "--", color="white", linewidth=1.4)
    ax.plot((2 + 2 * b) / scale, b, "-", color=_RED, linewidth=1.8,
            label="stability edge αλ = 2 + 2β" if labels else None)  # fmt: skip


_STEP_LIMIT = 4.2
_BETA_GRID = np.linspace(0.0, 0.995, 400)


def _single_direction_panel(ax, legend: bool = True) -> None:
    """ρ(αλ, β) of one eigendirection with the regime boundaries and names."""
    steps = np.linspace(0.0, _STEP_LIMIT, 421)
    rates = spectral_radius(steps[None, :], _BETA_GRID[:, None])
    _rate_image(ax, rates, (0, _STEP_LIMIT, 0, _BETA_GRID[-1]))
    _regime_curves(ax, _BETA_GRID, labels=legend)
    ax.set_xlim(0, _STEP_LIMIT)
    ax.set_ylim(0, 1)
    ax.set_xlabel("αλ  (learning rate × curvature)")
    ax.set_ylabel("momentum β")
    text = {"fontsize": 8, "ha": "center", "va": "center"}
    ax.text(1.6, 0.62, "underdamped:\ncomplex roots, ρ = √β", color="white", **text)
    ax.text(0.42, 0.04, "over-\ndamped", color="white", **text)
    ax.text(3.55, 0.45, "diverges\nρ > 1", color=_RED, **text)
    ax.annotate("sign-flipping", xy=(1.98, 0.06), xytext=(2.75, 0.04), color="0.25",
                arrowprops={"arrowstyle": "->", "color": "0.25"}, fontsize=8)  # fmt: skip
    if legend:
        ax.legend(loc="upper left", fontsize=7.5, framealpha=0.9)


def phase_figure(eigenvalues: Sequence[float] = (0.4, 4.0)):
    """The regimes of one eigendirection, and the rate of the whole paraboloid, in (α, β).

    Returns ``(figure, diagram)`` with the :class:`PhaseDiagram` of the right panel.
    """
    fig, (single, bowl) = plot.figure(ncols=2, width=4.9, height=4.1)
    _single_direction_panel(single)
    single.set_title("one eigendirection: rate ρ and regime", fontsize=10)
    diagram = phase_diagram(eigenvalues)
    alphas, betas = diagram.learning_rates, diagram.momenta
    image = _rate_image(bowl, diagram.rates, (alphas[0], alphas[-1], 0, betas[-1]))
    Q = np.diag(diagram.eigenvalues)
    levels = (0.6, 0.7, 0.8, 0.9, 0.95)
    contours = bowl.contour(alphas, betas, np.where(diagram.rates < 1, diagram.rates, np.nan),
                            levels=levels, colors="white", linewidths=0.8)  # fmt: skip
    bowl.clabel(contours, fmt="%.2g", fontsize=7)
    a_opt, b_opt = analysis.optimal_momentum(Q)
    bowl.plot(a_opt, b_opt, "*", color="white", markeredgecolor="black", markersize=15,
              label=f"Polyak's optimum: ρ = {analysis.momentum_rate(Q, a_opt, b_opt):.3f}")  # fmt: skip
    a_gd = analysis.optimal_learning_rate(Q)
    bowl.plot(a_gd, 0.0, "o", color="white", markeredgecolor="black", markersize=8, clip_on=False,
              label=f"best gradient descent: ρ = {analysis.gd_rate(Q, a_gd):.3f}")  # fmt: skip
    lam_text = ", ".join(f"{x:g}" for x in diagram.eigenvalues)
    bowl.set_title(f"paraboloid, λ = {lam_text}: worst rate over both", fontsize=10)
    bowl.set_xlabel("learning rate α")
    bowl.set_ylabel("momentum β")
    bowl.set_xlim(alphas[0], alphas[-1])
    bowl.set_ylim(0, 1)
    bowl.legend(loc="upper right", fontsize=7.5, framealpha=0.9)
    fig.colorbar(image, ax=[single, bowl], shrink=0.9, label="rate ρ per step (grey: diverges)")
    return fig, diagram


# --------------------------------------------------------------------------
# 3. Measured rates at Polyak's optimum
# --------------------------------------------------------------------------


def critical_damping_steps(momentum: float) -> tuple[float, float]:
    """The two values of αλ where ``(1 + β − αλ)² = 4β``: ``(1 − √β)²`` and ``(1 + √β)²``."""
    root = math.sqrt(_momentum(momentum))
    return (1 - root) ** 2, (1 + root) ** 2


def measured_rate(norms: np.ndarray, start: int, stop: int) -> float:
    """``(‖θ_stop‖ / ‖θ_start‖)^(1/(stop − start))``: the average contraction per step."""
    norms = np.asarray(norms, np.float64)
    if not 0 <= start < stop < norms.size:
        raise ValueError(f"need 0 <= start < stop < {norms.size}, got {start}, {stop}")
    return float((norms[stop] / norms[start]) ** (1.0 / (stop - start)))


class OptimumRun(NamedTuple):
    """Gradient descent at α* and the heavy ball at Polyak's (α, β) on ``½ θᵀ diag(λ) θ``.

    Attributes:
        eigenvalues: (λ_min, λ_max).
        kappa: κ.
        gd_learning_rate: α* = 2/(λ_min + λ_max).
        gd_rate: (κ − 1)/(κ + 1) (``analysis.gd_rate``).
        learning_rate, momentum: Polyak's (α, β) (``analysis.optimal_momentum``).
        rate: ``analysis.momentum_rate`` there, (√κ − 1)/(√κ + 1).
        gd_norms, norms: ‖θ_t‖ of the two runs, t = 0 … T.
        gd_predicted: ``ρ_GD^t ‖θ₀‖`` (exact in 2-D at α*).
        predicted: ``ρ^t (Σᵢ z_{0,i}² (1 + (1 − rᵢ) t)²)^½`` with the double
            roots ``r = +√β`` (λ_min) and ``−√β`` (λ_max): exact at the optimum.
        start: θ₀.
    """

    eigenvalues: tuple[float, float]
    kappa: float
    gd_learning_rate: float
    gd_rate: float
    learning_rate: float
    momentum: float
    rate: float
    gd_norms: np.ndarray
    norms: np.ndarray
    gd_predicted: np.ndarray
    predicted: np.ndarray
    start: np.ndarray

    def window(self, start: int, stop: int) -> tuple[float, float, float]:
        """``(measured, low, high)``: the heavy ball's measured rate over [start, stop] and its bounds.

        With ``‖θ_t‖ = ρ^t · (a + b t)``-type growth (a, b ≥ 0) the ratio over the
        window lies between ρ and ``ρ (stop/start)^(1/(stop − start))``.
        """
        measured = measured_rate(self.norms, start, stop)
        return measured, self.rate, self.rate * (stop / start) ** (1.0 / (stop - start))

    def steps_to(self, tol: float = TOLERANCE) -> tuple[int | None, int | None]:
        """The first t with ‖θ_t‖ ≤ tol ‖θ₀‖, for gradient descent and for the heavy ball."""
        return _first_below(self.gd_norms, tol), _first_below(self.norms, tol)

    @property
    def max_relative_error(self) -> float:
        """The largest ``|measured − predicted| / predicted`` of either run, while ‖θ_t‖ > 10⁻²⁵."""
        errors = []
        for measured, predicted in (
            (self.gd_norms, self.gd_predicted),
            (self.norms, self.predicted),
        ):
            keep = predicted > 1e-25
            errors.append(np.max(np.abs(measured[keep] - predicted[keep]) / predicted[keep]))
        return float(max(errors))


def _first_below(norms: np.ndarray, tol: float) -> int | None:
    reached = np.flatnonzero(norms <= tol * norms[0])
    return int(reached[0]) if reached.size else None


def stability_check(learning_rate: float, momentum: float) -> dict[str, bool]:
    """Whether gradient descent and the heavy ball diverge on the paraboloid at (α, β).

    Returns ``{"gd": diverged, "heavy_ball": diverged}`` for ``STEPS`` steps.
    """
    alpha, beta = _positive(learning_rate, "learning_rate"), _momentum(momentum)
    bowl = paraboloid()
    return {
        name: bowl.run(sgd, STEPS, learning_rate=alpha, momentum=b).diverged_at is not None
        for name, b in (("gd", 0.0), ("heavy_ball", beta))
    }


def steps_below(run: Trajectory, fraction: float, min_value: float = 0.0) -> int | None:
    """The first t with ``L(θ_t) − L_min ≤ fraction · (L(θ₀) − L_min)``, or ``None``."""
    gaps = np.asarray(run.losses, np.float64) - min_value
    return _first_below(np.where(np.isfinite(gaps), gaps, np.inf), fraction)


def mean_excess_loss(run: Trajectory, min_value: float, start: int) -> float:
    """The mean of ``L(θ_t) − L_min`` over ``t ≥ start``: a run's noise floor."""
    return float(np.mean(np.asarray(run.losses, np.float64)[start:] - min_value))


def optimum_run(eigenvalues: Sequence[float] = (0.4, 4.0), start=(-4.0, 1.0)) -> OptimumRun:
    """Run GD at α* and the heavy ball at Polyak's optimum; predict ‖θ_t‖ exactly.

    At the optimum both eigendirections are critically damped: T has a double
    root r, and ``z_t = z_0 (1 + (1 − r) t) r^t`` (from ``z_{−1} = z_0``, i.e. v₀ = 0).
    """
    lam = np.asarray(eigenvalues, np.float64)
    if lam.shape != (2,) or not (0 < lam[0] < lam[1]):
        raise ValueError(f"eigenvalues must be two numbers 0 < λ_min < λ_max, got {eigenvalues!r}")
    Q = np.diag(lam)
    x0 = np.asarray(start, np.float32)
    a_gd = analysis.optimal_learning_rate(Q)
    alpha, beta = analysis.optimal_momentum(Q)

    def norms(**hyper):
        run = trajectory(sgd, problems.quadratic_loss, x0, RATE_STEPS, loss_args=(Q,), **hyper)
        return np.linalg.norm(np.asarray(run.params, np.float64), axis=1)

    t = np.arange(RATE_STEPS + 1)
    z0 = np.asarray(start, np.float64)
    rho = math.sqrt(beta)
    roots = np.array([rho, -rho])
    gd_rate = analysis.gd_rate(Q, a_gd)
    with np.errstate(under="ignore"):
        growth = (1 + (1 - roots)[None, :] * t[:, None]) * z0[None, :]
        predicted = rho**t * np.linalg.norm(growth, axis=1)
        gd_predicted = gd_rate**t * np.linalg.norm(z0)
    return OptimumRun(
        (float(lam[0]), float(lam[1])), float(lam[1] / lam[0]), a_gd, gd_rate, alpha, beta,
        analysis.momentum_rate(Q, alpha, beta),
        norms(learning_rate=a_gd, momentum=0.0), norms(learning_rate=alpha, momentum=beta),
        gd_predicted, predicted, z0,
    )  # fmt: skip


def iteration_summary(kappa: float, tol: float = TOLERANCE) -> dict[str, float]:
    """Rates and step counts from the rates alone, for a condition number κ.

    ``gd_rate = (κ − 1)/(κ + 1)``, ``momentum_rate = (√κ − 1)/(√κ + 1)`` and
    ``⌈log tol / log ρ⌉`` for each (``analysis.iterations_to_tolerance``).
    """
    kappa = _positive(kappa, "kappa")
    if kappa < 1:
        raise ValueError(f"kappa must be >= 1, got {kappa!r}")
    Q = np.diag([1.0, kappa])
    alpha, beta = analysis.optimal_momentum(Q)
    gd = analysis.gd_rate(Q, analysis.optimal_learning_rate(Q))
    heavy = analysis.momentum_rate(Q, alpha, beta)
    return {
        "gd_rate": gd,
        "momentum_rate": heavy,
        "gd_steps": analysis.iterations_to_tolerance(gd, tol),
        "momentum_steps": analysis.iterations_to_tolerance(heavy, tol),
    }


def rates_figure(eigenvalues: Sequence[float] = (1.0, 100.0), start=(-4.0, 3.0)):
    """‖θ_t‖ measured (dots) and predicted (lines) for GD at α* and the heavy ball at the optimum.

    Returns ``(figure, run)`` with the :class:`OptimumRun`.
    """
    run = optimum_run(eigenvalues, start)
    fig, ax = plot.figure(ncols=1, width=7.2, height=3.9)
    t = np.arange(RATE_STEPS + 1)
    floor = 1e-13
    for norms, predicted, color, name, rate in (
        (run.gd_norms, run.gd_predicted, plot.color(1), "gradient descent at α*", run.gd_rate),
        (run.norms, run.predicted, plot.color(0), "heavy ball at Polyak's (α, β)", run.rate),
    ):
        every = max(1, round(-1 / math.log(rate) / 3))
        shown = t[::every]
        ax.plot(shown, np.maximum(norms[::every], floor), "o", color=color, markersize=3.5,
                markerfacecolor="white", label=f"{name}: measured")  # fmt: skip
        ax.plot(t, np.maximum(predicted, floor), "-", color=color, linewidth=1.4,
                label=f"predicted, rate {rate:.4f}")  # fmt: skip
    ax.plot(t, run.rate**t * np.linalg.norm(run.start), ":", color=plot.color(0), linewidth=1.2,
            label="ρ^t ‖θ₀‖ without the factor t")  # fmt: skip
    ax.axhline(TOLERANCE * np.linalg.norm(run.start), color="0.4", linewidth=0.8)
    ax.text(RATE_STEPS * 0.99, TOLERANCE * np.linalg.norm(run.start) * 1.6, "10⁻⁶ ‖θ₀‖",
            ha="right", fontsize=8, color="0.3")  # fmt: skip
    ax.set_yscale("log")
    ax.set_ylim(1e-12, 30)
    ax.set_xlim(0, RATE_STEPS)
    ax.set_xlabel("step t")
    ax.set_ylabel("distance to the minimum ‖θ_t‖")
    lam = ", ".join(f"{x:g}" for x in run.eigenvalues)
    ax.set_title(f"½θᵀQθ with λ = {lam} (κ = {run.kappa:g})", fontsize=10)
    ax.legend(fontsize=8, loc="upper right", framealpha=0.9)
    return fig, run


# --------------------------------------------------------------------------
# Widget: one eigendirection (phase diagram, roots, iterates)
# --------------------------------------------------------------------------

EIGEN_STEPS = 40
"""Steps shown by the eigendirection widget."""


class DirectionResult(NamedTuple):
    """One eigendirection ``z_t`` of the heavy ball at (αλ, β), run with the package."""

    step: float
    momentum: float
    roots: np.ndarray
    rate: float
    regime: int
    trajectory: Trajectory


def _direction_run(step: float, momentum: float) -> DirectionResult:
    """``½ λ z²`` with λ = 1 from z₀ = 1, so α = αλ; the roots of T from ``analysis``."""
    run = trajectory(
        sgd, problems.quadratic_loss, np.ones(1, np.float32), EIGEN_STEPS,
        loss_args=(np.eye(1),), learning_rate=step, momentum=momentum,
    )  # fmt: skip
    roots = np.linalg.eigvals(analysis.momentum_iteration_matrix(1.0, step, momentum))
    rate = float(np.max(np.abs(roots)))
    return DirectionResult(step, momentum, roots, rate, int(regime(step, momentum)), run)


class DirectionPanels:
    """The figure of :func:`eigendirection_widget`.

    Top left: the (αλ, β) phase diagram with the current point.  Top right:
    the two roots of ``z² − (1 + β − αλ) z + β`` in the complex plane, with the
    unit circle and the circle of radius √β.  Bottom: the iterates z_t.
    """

    def __init__(self):
        self.figure, first = plot.figure(ncols=1, width=9.0, height=6.2)
        first.remove()
        grid = self.figure.add_gridspec(2, 2, height_ratios=(1.35, 1.0), width_ratios=(1.25, 1.0))
        self.phase = self.figure.add_subplot(grid[0, 0])
        self.plane = self.figure.add_subplot(grid[0, 1])
        self.iterates = self.figure.add_subplot(grid[1, :])
        for ax in (self.phase, self.plane, self.iterates):
            ax.set_facecolor("white")
        self.created = False

    def _create(self, result: DirectionResult) -> None:
        _single_direction_panel(self.phase, legend=False)
        self.phase.set_xticks([0, 1, 2, 3, 4])
        self.phase.set_yticks([0, 0.5, 1])

        self.phase.set_title("regime of (αλ, β)", fontsize=10)
        (self.point,) = self.phase.plot([], [], "o", color=plot.color(0), markersize=10,
                                        markeredgecolor="white", markeredgewidth=1.5)  # fmt: skip
        ax = self.plane
        circle = np.linspace(0, 2 * np.pi, 200)
        ax.plot(np.cos(circle), np.sin(circle), color=_RED, linewidth=1.2, label="|z| = 1")
        (self.radius,) = ax.plot([], [], "--", color="0.4", linewidth=1.0, label="|z| = √β")
        ax.axhline(0, color="0.7", linewidth=0.8)
        ax.axvline(0, color="0.7", linewidth=0.8)
        (self.roots,) = ax.plot([], [], "o", color=plot.color(0), markersize=9, label="roots of T")
        ax.set_xlim(-1.6, 1.6)
        ax.set_ylim(-1.25, 1.25)
        ax.set_xticks([-1, 0, 1])
        ax.set_yticks([-1, 0, 1])
        ax.set_aspect("equal", adjustable="box")
        ax.set_autoscale_on(False)
        ax.set_xlabel("Re z")
        ax.set_ylabel("Im z")
        ax.legend(loc="upper right", fontsize=7.5, framealpha=0.9)
        ax = self.iterates
        t = np.arange(EIGEN_STEPS + 1)
        (self.envelope_top,) = ax.plot([], [], ":", color="0.5", linewidth=1.0, label="±ρ^t")
        (self.envelope_bottom,) = ax.plot([], [], ":", color="0.5", linewidth=1.0)
        (self.line,) = ax.plot(t, np.zeros_like(t, dtype=float), "-o", color=plot.color(0),
                               markersize=3, linewidth=1.2, label="z_t (measured)")  # fmt: skip
        ax.axhline(0, color="0.6", linewidth=0.8)
        ax.set_xlim(0, EIGEN_STEPS)
        ax.set_ylim(-1.6, 1.6)
        ax.set_xticks(np.arange(0, EIGEN_STEPS + 1, 10))
        ax.set_yticks([-1, 0, 1])
        ax.set_autoscale_on(False)
        ax.set_xlabel("step t")
        ax.set_ylabel("z_t / z₀ along the eigenvector")
        ax.legend(loc="upper right", fontsize=8, framealpha=0.9)
        self.message = plot.divergence_message(ax, result.trajectory)
        self.created = True

    def draw(self, result: DirectionResult) -> None:
        if not self.created:
            self._create(result)
        h, b = result.step, result.momentum
        self.point.set_data([min(h, _STEP_LIMIT)], [b])
        circle = np.linspace(0, 2 * np.pi, 200)
        self.radius.set_data(np.sqrt(b) * np.cos(circle), np.sqrt(b) * np.sin(circle))
        shown = np.clip(result.roots.real, -1.55, 1.55)
        self.roots.set_data(shown, np.clip(result.roots.imag, -1.2, 1.2))
        t = np.arange(EIGEN_STEPS + 1)
        with np.errstate(over="ignore"):
            envelope = np.minimum(result.rate**t, 10.0)
        self.envelope_top.set_data(t, envelope)
        self.envelope_bottom.set_data(t, -envelope)
        z = np.asarray(result.trajectory.params, np.float64)[:, 0]
        self.line.set_data(t, z)
        plot.update_divergence_message(self.message, result.trajectory)
        name = REGIMES[result.regime]
        color = _RED if result.regime == 0 else "black"
        self.plane.set_title(f"roots of T: ρ = {result.rate:.3g}", fontsize=10)
        self.iterates.set_title(f"αλ = {h:.3g}, β = {b:.3g}: {name}", fontsize=10, color=color)


def eigendirection_widget(step: float = 0.5, momentum: float = 0.3) -> widgets.Interactive:
    """Sliders for αλ and β: the regime, the roots of T and the iterates of one eigendirection.

    Every move runs the package's compiled heavy ball (α and β are traced).
    The site's static explorer varies αλ at the default β.
    """
    panels = DirectionPanels()

    def compute(step, momentum):
        return _direction_run(float(step), float(momentum))

    controls = {
        "step": widgets.slider("αλ", _number(step, "step"), 0.01, 3.0, step=0.01),
        "momentum": widgets.slider("β", _momentum(momentum), 0.0, 0.99, step=0.01),
    }
    widget = widgets.interactive(compute, panels.draw, controls, panels.figure, static="step")
    widget.panels = panels
    return widget


# --------------------------------------------------------------------------
# Widgets on the paraboloid
# --------------------------------------------------------------------------


def paraboloid_widget(learning_rate: float = 0.45, momentum: float = 0.3) -> widgets.Explorer:
    """Gradient descent and the heavy ball on the paraboloid, with sliders for α and β.

    The site's static explorer varies β at the default α.
    """
    return widgets.explore(
        paraboloid(),
        optimizers=("sgd", "momentum"),
        steps=STEPS,
        static="momentum",
        learning_rate=widgets.log_slider("α", _positive(learning_rate, "learning_rate"), -2, 0),
        momentum=widgets.slider("β", _momentum(momentum), 0.0, 0.99, step=0.01),
    )


def nesterov_widget(learning_rate: float = 0.3, momentum: float = 0.9) -> widgets.Explorer:
    """The heavy ball against Nesterov on the paraboloid at the same α and β.

    The site's static explorer varies α at the default β.
    """
    return widgets.explore(
        paraboloid(),
        optimizers=("momentum", "nesterov"),
        steps=STEPS,
        static="learning_rate",
        learning_rate=widgets.log_slider("α", _positive(learning_rate, "learning_rate"), -2, -0.3),
        momentum=widgets.slider("β", _momentum(momentum), 0.0, 0.99, step=0.01),
    )


def nesterov_rate_figure(momentum: float = 0.9, learning_rate: float = 0.3):
    """ρ per eigendirection against αλ, heavy ball and Nesterov at the same β.

    The paraboloid's two eigendirections at ``learning_rate`` are marked.
    Returns the figure.
    """
    beta = _momentum(momentum)
    steps = np.geomspace(1e-3, 4.0, 800)
    fig, ax = plot.figure(ncols=1, width=7.2, height=3.6)
    heavy = spectral_radius(steps, beta)
    nag = spectral_radius(steps, beta, nesterov=True)
    ax.plot(steps, heavy, color=plot.color(0), linewidth=2, label="heavy ball")
    ax.plot(steps, nag, color=plot.color(1), linewidth=2, label="Nesterov")
    ax.axhline(1.0, color=_RED, linewidth=0.8, linestyle=":")
    ax.axvline(2 + 2 * beta, color=plot.color(0), linewidth=1, linestyle="--")
    ax.axvline((2 + 2 * beta) / (1 + 2 * beta), color=plot.color(1), linewidth=1, linestyle="--")
    ax.text(2 + 2 * beta, 0.45, "2 + 2β ", color=plot.color(0), fontsize=8, ha="right",
            rotation=90)  # fmt: skip
    ax.text((2 + 2 * beta) / (1 + 2 * beta), 0.12, " (2 + 2β)/(1 + 2β)", color=plot.color(1),
            fontsize=8, ha="left", va="bottom", rotation=90)  # fmt: skip
    for lam in _hessian(paraboloid()).diagonal():
        h = learning_rate * lam
        ax.plot([h, h], [spectral_radius(h, beta, True), spectral_radius(h, beta)], "-",
                color="0.3", linewidth=1)  # fmt: skip
        ax.plot(h, spectral_radius(h, beta), "o", color=plot.color(0), markersize=7)
        ax.plot(h, spectral_radius(h, beta, True), "o", color=plot.color(1), markersize=7)
        ax.text(h, 0.04, f"αλ = {h:.3g}", ha="center", fontsize=8, color="0.3")

    ax.set_xscale("log")
    ax.set_xlim(steps[0], steps[-1])
    ax.set_ylim(0, 1.2)
    ax.set_xlabel("αλ (log scale)")
    ax.set_ylabel("rate ρ of the eigendirection")
    ax.set_title(f"β = {beta:g}; dots: the paraboloid's directions at α = {learning_rate:g}",
                 fontsize=10)  # fmt: skip
    ax.legend(loc="lower left", fontsize=8, framealpha=0.9)
    return fig


# --------------------------------------------------------------------------
# 4. Noisy gradients: the noise floor and the effective learning rate
# --------------------------------------------------------------------------

NOISE_STEPS = 3000
"""Steps of every mini-batch run (one compiled program)."""

NOISE_BATCH = 4
"""The mini-batch size B of the noise experiments."""

NOISE_BURN_IN = 300
"""Steps discarded before averaging the loss (runs start at the minimiser)."""


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
    alpha = _positive(learning_rate, "learning_rate")
    beta = _momentum(momentum)
    problem = noise_problem()
    X, y = (np.asarray(a, np.float64) for a in problem.args)
    n = X.shape[0]
    H = X.T @ X / n
    residuals = X @ np.asarray(problem.minima[0], np.float64) - y
    per_example = X * residuals[:, None]
    covariance = per_example.T @ per_example / n / batch_size * (n - batch_size) / (n - 1)
    lam, V = np.linalg.eigh(H)
    sigma2 = np.diag(V.T @ covariance @ V)
    return float(np.sum(stationary_excess_loss(alpha, beta, lam, sigma2)))


class NoiseFloor(NamedTuple):
    """The measured and predicted noise floor of one mini-batch run from θ*.

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


def noise_floor(learning_rate: float, momentum: float, seed: int = 0) -> NoiseFloor:
    """Run the heavy ball with mini-batches from the minimiser and average the excess loss."""
    alpha = _positive(learning_rate, "learning_rate")
    beta = _momentum(momentum)
    problem = noise_problem()
    run = problem.run(
        sgd, NOISE_STEPS, problem.minima[0], key=jax.random.PRNGKey(_whole(seed, "seed", 0)),
        batch_size=NOISE_BATCH, learning_rate=alpha, momentum=beta,
    )  # fmt: skip
    gaps = np.asarray(run.losses, np.float64)[NOISE_BURN_IN + 1 :] - problem.min_value
    blocks = np.array_split(gaps, 10)
    means = np.array([block.mean() for block in blocks])
    return NoiseFloor(
        alpha, beta, float(gaps.mean()), float(means.std(ddof=1) / math.sqrt(len(means))),
        noise_floor_prediction(alpha, beta),
    )  # fmt: skip


_SMOOTH = 100
"""The running mean (in steps) drawn over the raw losses in :func:`noise_figure`."""


def noise_figure(
    learning_rate: float = 0.01, momentum: float = 0.9, momenta=(0.0, 0.5, 0.75, 0.9, 0.95)
):
    """Left: loss curves of SGD at α, the heavy ball at (α, β), SGD at α/(1 − β), from θ₀ = 0.

    Right: the noise floor of the heavy ball at α against β, measured and predicted,
    and that of SGD at the effective learning rate α/(1 − β).  Returns
    ``(figure, curves, floors)``: the three runs by label, and a
    :class:`NoiseFloor` per β.
    """
    alpha, beta = _positive(learning_rate, "learning_rate"), _momentum(momentum)
    problem = noise_problem()
    key = jax.random.PRNGKey(1)
    settings = {
        f"SGD, α = {alpha:g}": (alpha, 0.0),
        f"heavy ball, α = {alpha:g}, β = {beta:g}": (alpha, beta),
        f"SGD, α/(1 − β) = {alpha / (1 - beta):g}": (alpha / (1 - beta), 0.0),
    }
    curves = {
        label: problem.run(
            sgd, NOISE_STEPS, key=key, batch_size=NOISE_BATCH, learning_rate=a, momentum=b
        )
        for label, (a, b) in settings.items()
    }
    floors = [noise_floor(alpha, b) for b in momenta]
    fig, (left, right) = plot.figure(ncols=2, width=4.7, height=3.7)
    for i, (label, run) in enumerate(curves.items()):
        gaps = np.asarray(run.losses, np.float64) - problem.min_value
        smooth = np.convolve(gaps, np.ones(_SMOOTH) / _SMOOTH, mode="valid")
        color = plot.color(i + 1)
        left.plot(np.arange(gaps.size), np.maximum(gaps, 1e-7), color=color, linewidth=0.5,
                  alpha=0.3)  # fmt: skip
        left.plot(np.arange(smooth.size) + _SMOOTH // 2, smooth, color=color, linewidth=1.8,
                  label=label)  # fmt: skip
    left.set_yscale("log")
    left.set_ylim(1e-5, 10)
    left.set_xlim(0, NOISE_STEPS)
    left.set_xlabel("step t")
    left.set_ylabel("L(θ_t) − L_min")
    left.set_title(f"mini-batches of B = {NOISE_BATCH} from θ₀ = 0", fontsize=10)
    left.legend(fontsize=7.5, loc="upper right", framealpha=0.9)
    betas = np.linspace(0.0, max(momenta), 200)
    right.plot(betas, [noise_floor_prediction(alpha, b) for b in betas], color=plot.color(2),
               linewidth=1.8, label="predicted, heavy ball (α, β)")  # fmt: skip
    right.plot(betas, [noise_floor_prediction(alpha / (1 - b), 0.0) for b in betas], "--",
               color=plot.color(3), linewidth=1.4, label="predicted, SGD at α/(1 − β)")  # fmt: skip
    right.errorbar([f.momentum for f in floors], [f.measured for f in floors],
                   yerr=[2 * f.standard_error for f in floors], fmt="o", color=plot.color(2),
                   markerfacecolor="white", capsize=3, label="measured (± 2 s.e.)")  # fmt: skip
    right.set_yscale("log")
    right.set_xlabel("momentum β")
    right.set_ylabel("noise floor E[L(θ_t)] − L_min")
    right.set_title(f"α = {alpha:g}: the floor grows like 1/(1 − β)", fontsize=10)
    right.legend(fontsize=7.5, loc="upper left", framealpha=0.9)
    return fig, curves, floors


# --------------------------------------------------------------------------
# 5. Escaping a saddle and a shallow minimum
# --------------------------------------------------------------------------


def double_well_loss(theta, tilt, stiffness):
    """``L(θ) = ¼ θ₁⁴ − ½ θ₁² + c θ₁ + ½ k θ₂²`` with tilt c and stiffness k.

    ∇L = (θ₁³ − θ₁ + c, k θ₂).  For 0 < c < 2/(3√3) it has a deep minimum at
    θ₁ < 0 and a shallow one at θ₁ > 0, with a ridge between them.
    """
    x, y = theta[0], theta[1]
    return 0.25 * x**4 - 0.5 * x**2 + tilt * x + 0.5 * stiffness * y**2


def double_well(tilt: float = 0.3, stiffness: float = 1.0) -> problems.Problem:
    """A tilted double well: a deep minimum on the left, a shallow one on the right.

    The minima are the roots of θ₁³ − θ₁ + c = 0 (at θ₂ = 0), computed with NumPy.
    """
    c = _number(tilt, "tilt")
    if not 0 < c < 2 / (3 * math.sqrt(3)):
        raise ValueError(f"tilt must lie in (0, 2/(3√3)) for two minima, got {tilt!r}")
    k = _positive(stiffness, "stiffness")
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
    alpha, beta = _positive(learning_rate, "learning_rate"), _momentum(momentum)
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
        learning_rate, momentum: α (both) and β (the heavy ball).
        saddle: label → run on ``problems.saddle()`` from its start (1.5, 0.01).
        right: label → run on the double well from the right (2, 1), above the shallow well.
        left: label → run on the double well from the left (−2.2, 0.5), above the deep well.
        saddle_escape: label → first step with |θ₂| > ½, or ``None``.
    """

    learning_rate: float
    momentum: float
    saddle: dict[str, Trajectory]
    right: dict[str, Trajectory]
    left: dict[str, Trajectory]
    saddle_escape: dict[str, int | None]

    def final_well(self, which: str) -> dict[str, str]:
        """label → "deep" or "shallow": where each run on the double well ended."""
        runs = getattr(self, which)
        return {label: _well(run) for label, run in runs.items()}


LEFT_START = (-2.2, 0.5)


def _well(run: Trajectory) -> str:
    return "deep" if float(np.asarray(run.params)[-1, 0]) < 0 else "shallow"


def _labels(alpha: float, beta: float) -> tuple[str, str]:
    return f"gradient descent, α = {alpha:g}", f"heavy ball, α = {alpha:g}, β = {beta:g}"


def escape_runs(learning_rate: float = 0.1, momentum: float = 0.8, saddle_momentum: float = 0.9):
    """Run GD and the heavy ball on the saddle (β = ``saddle_momentum``) and the double well."""
    alpha = _positive(learning_rate, "learning_rate")
    beta, beta_saddle = _momentum(momentum), _momentum(saddle_momentum, "saddle_momentum")
    saddle, well = problems.saddle(), double_well()
    gd, heavy = _labels(alpha, beta)
    _, heavy_saddle = _labels(alpha, beta_saddle)
    saddle_runs = {
        gd: saddle.run(sgd, STEPS, learning_rate=alpha, momentum=0.0),
        heavy_saddle: saddle.run(sgd, STEPS, learning_rate=alpha, momentum=beta_saddle),
    }
    escape = {}
    for label, run in saddle_runs.items():
        left = np.flatnonzero(np.abs(np.asarray(run.params)[:, 1]) > 0.5)
        escape[label] = int(left[0]) if left.size else None
    runs = {}
    for name, x0 in (("right", well.start), ("left", np.array(LEFT_START, np.float32))):
        runs[name] = {
            gd: well.run(sgd, STEPS, x0, learning_rate=alpha, momentum=0.0),
            heavy: well.run(sgd, STEPS, x0, learning_rate=alpha, momentum=beta),
        }
    return EscapeRuns(alpha, beta, saddle_runs, runs["right"], runs["left"], escape)


SADDLE_SHOWN = 30
"""Steps of the saddle runs drawn in :func:`escape_figure`."""


def escape_figure(learning_rate: float = 0.1, momentum: float = 0.8, saddle_momentum: float = 0.9):
    """The saddle; the double well from the right and from the left; where each β ends.

    Top: paths of gradient descent and the heavy ball (the saddle's first
    ``SADDLE_SHOWN`` steps).  Bottom: :func:`basin_sweep`, the well the heavy
    ball reaches for each β from either start.  Returns ``(figure, runs, sweep)``.
    """
    runs = escape_runs(learning_rate, momentum, saddle_momentum)
    sweep = basin_sweep(learning_rate)
    saddle, well = problems.saddle(), double_well()
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
    panels = (
        (axes[0], saddle, shown, f"saddle: {SADDLE_SHOWN} steps from (1.5, 0.01)"),
        (axes[1], well, runs.right, f"double well: {STEPS} steps from (2, 1)"),
        (axes[2], well, runs.left, f"double well: {STEPS} steps from {LEFT_START}"),
    )
    for ax, problem, trajectories, title in panels:
        plot.contour(ax, problem, levels=20)
        for i, (label, run) in enumerate(trajectories.items()):
            plot.trajectory_line(ax, run, label=label, color=plot.color(i))
        ax.set_title(title, fontsize=9.5)
    axes[0].legend(loc="lower left", fontsize=7, framealpha=0.9)
    axes[1].legend(loc="lower left", fontsize=7, framealpha=0.9)
    _basin_strip(strip, sweep)
    return fig, runs, sweep


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
    """Run the heavy ball on the double well for every β (one compiled program) from both starts."""
    alpha = _positive(learning_rate, "learning_rate")
    betas = np.round(np.arange(0.0, 0.96, 0.05), 2) if momenta is None else np.asarray(momenta)
    well = double_well()
    ends = {}
    for name, x0 in (("right", well.start), ("left", np.array(LEFT_START, np.float32))):
        ends[name] = np.array(
            [
                _well(well.run(sgd, STEPS, x0, learning_rate=alpha, momentum=float(b))) == "deep"
                for b in betas
            ]
        )
    return BasinSweep(alpha, betas, ends["right"], ends["left"])
