"""Section "Nesterov's look-ahead": the two forms agree, the rates, and the widget.

Nesterov's look-ahead ``v_t = β v_{t−1} − α ∇L(θ_{t−1} + β v_{t−1})``,
``θ_t = θ_{t−1} + v_t`` is the package's ``nesterov=True`` run on the shifted points
``θ̃_t = θ_t + β v_t``.  Along one eigendirection its characteristic polynomial is
``z² − (1 + β)(1 − αλ) z + β(1 − αλ)``: stable for ``0 < αλ < (2 + 2β)/(1 + 2β)``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from lab import analysis, plot, widgets
from lab.ch4_momentum.eigendirection import spectral_radius
from lab.ch4_momentum.three_forms import relative_gap
from lab.ch4_momentum.valley import RED, STEPS, hessian, paraboloid, quadratic_gradient
from optimizers.momentum import sgd
from optimizers.validation import as_decay, as_positive


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
    for _ in range(steps):
        lookahead = theta + momentum * velocity
        velocity = momentum * velocity - learning_rate * grad(lookahead)
        theta = theta + velocity
        path.append(theta)
        velocities.append(velocity)
    return np.stack(path), np.stack(velocities)


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
    alpha, beta = learning_rate, momentum
    bowl = paraboloid()
    Q = hessian(bowl)
    run = bowl.run(sgd, steps, learning_rate=alpha, momentum=beta, nesterov=True)
    package = np.asarray(run.params, np.float64)
    thetas, velocities = nesterov_lookahead(quadratic_gradient(Q), bowl.start, alpha, beta, steps)
    shifted = thetas + beta * velocities
    # the package's buffer v^out_t = β v^out_{t−1} + g_t, g_t taken at θ̃_{t−1}, in float64
    buffer = np.zeros(2)
    for phi in package[:-1]:
        buffer = beta * buffer + Q @ phi
    target = -velocities[-1] / alpha
    return NesterovCheck(
        package, thetas, velocities,
        relative_gap(package, shifted), relative_gap(package, thetas),
        float(np.linalg.norm(buffer - target) / np.linalg.norm(target)),
    )  # fmt: skip


def nesterov_iteration_matrix(eigenvalue: float, learning_rate: float, momentum: float):
    """Nesterov's 2×2 matrix along one eigendirection, acting on ``(z̃_{t−1}, z̃_{t−2})``.

    From ``z̃_t = (1 + β)(1 − αλ) z̃_{t−1} − β(1 − αλ) z̃_{t−2}`` (look-ahead points):
    ``T = [[(1 + β)(1 − αλ), −β(1 − αλ)], [1, 0]]``.
    """
    c = 1.0 - learning_rate * eigenvalue
    return np.array([[(1.0 + momentum) * c, -momentum * c], [1.0, 0.0]])


def nesterov_rate(Q, learning_rate: float, momentum: float) -> float:
    """Nesterov's asymptotic rate on ``½ θᵀQθ``: the largest spectral radius over Q's eigenvalues.

    The exercises "Nesterov's stability range" and "Nesterov tuned for a
    quadratic" call it with their own values.
    """
    return float(
        max(
            np.max(
                np.abs(np.linalg.eigvals(nesterov_iteration_matrix(lam, learning_rate, momentum)))
            )
            for lam in analysis.eigenvalues(Q)
        )
    )


class RateCurves(NamedTuple):
    """ρ of one eigendirection against αλ, for the heavy ball and Nesterov at the same β.

    Attributes:
        momentum: β.
        learning_rate: α at which the paraboloid's eigendirections are marked.
        steps: the αλ grid (log-spaced from 10⁻³ to 4).
        heavy_ball, nesterov: ρ on that grid (:func:`spectral_radius`).
        heavy_ball_edge: 2 + 2β, where the heavy ball stops converging.
        nesterov_edge: (2 + 2β)/(1 + 2β), where Nesterov stops converging.
        directions: αλᵢ of the paraboloid's eigenvalues λᵢ at ``learning_rate``.
        heavy_ball_directions, nesterov_directions: ρ at those αλᵢ.
    """

    momentum: float
    learning_rate: float
    steps: np.ndarray
    heavy_ball: np.ndarray
    nesterov: np.ndarray
    heavy_ball_edge: float
    nesterov_edge: float
    directions: np.ndarray
    heavy_ball_directions: np.ndarray
    nesterov_directions: np.ndarray


def rate_curves(momentum: float = 0.9, learning_rate: float = 0.3) -> RateCurves:
    """The rates of both methods against αλ, and at the paraboloid's two directions."""
    steps = np.geomspace(1e-3, 4.0, 800)
    directions = learning_rate * hessian(paraboloid()).diagonal()
    return RateCurves(
        momentum, learning_rate, steps,
        spectral_radius(steps, momentum), spectral_radius(steps, momentum, nesterov=True),
        2 + 2 * momentum, (2 + 2 * momentum) / (1 + 2 * momentum), directions,
        spectral_radius(directions, momentum), spectral_radius(directions, momentum, True),
    )  # fmt: skip


def _edges(ax, curves: RateCurves) -> None:
    """The two stability edges as dashed verticals with their formulas."""
    heavy, nag = curves.heavy_ball_edge, curves.nesterov_edge
    ax.axvline(heavy, color=plot.color(0), linewidth=1, linestyle="--")
    ax.axvline(nag, color=plot.color(1), linewidth=1, linestyle="--")
    ax.text(heavy, 0.45, "2 + 2β ", color=plot.color(0), fontsize=8, ha="right", rotation=90)
    ax.text(nag, 0.12, " (2 + 2β)/(1 + 2β)", color=plot.color(1),
            fontsize=8, ha="left", va="bottom", rotation=90)  # fmt: skip


def _directions(ax, curves: RateCurves) -> None:
    """The paraboloid's eigendirections: both rates joined by a line, and αλ written below."""
    for h, heavy, nag in zip(
        curves.directions, curves.heavy_ball_directions, curves.nesterov_directions, strict=True
    ):
        ax.plot([h, h], [nag, heavy], "-", color="0.3", linewidth=1)
        ax.plot(h, heavy, "o", color=plot.color(0), markersize=7)
        ax.plot(h, nag, "o", color=plot.color(1), markersize=7)
        ax.text(h, 0.04, f"αλ = {h:.3g}", ha="center", fontsize=8, color="0.3")


def nesterov_rate_figure(curves: RateCurves):
    """ρ per eigendirection against αλ, heavy ball and Nesterov at the same β.

    Section "Nesterov's look-ahead" (figure ``mom_nag_rates``); draws
    :func:`rate_curves`, with the paraboloid's two eigendirections marked.
    Returns the figure.
    """
    fig, ax = plot.figure(ncols=1, width=7.2, height=3.6)
    ax.plot(curves.steps, curves.heavy_ball, color=plot.color(0), linewidth=2, label="heavy ball")
    ax.plot(curves.steps, curves.nesterov, color=plot.color(1), linewidth=2, label="Nesterov")
    ax.axhline(1.0, color=RED, linewidth=0.8, linestyle=":")
    _edges(ax, curves)
    _directions(ax, curves)
    ax.set_xscale("log")
    ax.set_xlim(curves.steps[0], curves.steps[-1])
    ax.set_ylim(0, 1.2)
    ax.set_xlabel("αλ (log scale)")
    ax.set_ylabel("rate ρ of the eigendirection")
    title = f"β = {curves.momentum:g}; dots: the paraboloid's directions at α = {curves.learning_rate:g}"
    ax.set_title(title, fontsize=10)
    ax.legend(loc="lower left", fontsize=8, framealpha=0.9)
    return fig


def nesterov_widget(learning_rate: float = 0.3, momentum: float = 0.9) -> widgets.Explorer:
    """The heavy ball against Nesterov on the paraboloid at the same α and β.

    Section "Nesterov's look-ahead".  The site's static explorer varies α at the
    default β.
    """
    return widgets.explore(
        paraboloid(),
        optimizers=("momentum", "nesterov"),
        steps=STEPS,
        static="learning_rate",
        learning_rate=widgets.log_slider(
            "α", as_positive(learning_rate, "learning_rate"), -2, -0.3
        ),
        momentum=widgets.slider("β", as_decay(momentum, "momentum"), 0.0, 0.99, step=0.01),
    )
