"""The running example and the first widget: section "A ball rolling down a valley".

The paraboloid ``L(θ) = 0.2 θ₁² + 2 θ₂²`` (κ = 10) is the valley every section
returns to; :data:`STEPS` is the length of every 2-D run of the chapter.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from lab import problems, widgets
from lab.trajectory import Trajectory
from optimizers.momentum import sgd
from optimizers.validation import as_decay, as_positive

STEPS = 100
"""Steps of every 2-D run in the figures and widgets (one compiled program each)."""

RED = "#b00000"
"""The colour of divergence: the stability edge, the unit circle, "does not converge"."""


@functools.cache
def paraboloid() -> problems.Problem:
    """The running example ``L(θ) = 0.2 θ₁² + 2 θ₂² = ½ θᵀ diag(0.4, 4) θ`` (κ = 10)."""
    return problems.ill_conditioned_paraboloid()


def hessian(problem: problems.Problem) -> np.ndarray:
    """Q of a quadratic problem ``½ θᵀQθ``, in float64."""
    return np.asarray(problem.args[0], np.float64)


def quadratic_gradient(Q: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """``θ ↦ Qθ``, the gradient of ``½ θᵀQθ``, in float64."""
    return lambda theta: Q @ theta


def first_below(values: np.ndarray, tol: float) -> int | None:
    """The first t with ``values[t] ≤ tol · values[0]``, or ``None``."""
    reached = np.flatnonzero(values <= tol * values[0])
    return int(reached[0]) if reached.size else None


def steps_below(run: Trajectory, fraction: float, min_value: float = 0.0) -> int | None:
    """The first t with ``L(θ_t) − L_min ≤ fraction · (L(θ₀) − L_min)``, or ``None``."""
    gaps = np.asarray(run.losses, np.float64) - min_value
    return first_below(np.where(np.isfinite(gaps), gaps, np.inf), fraction)


class StabilityCheck(NamedTuple):
    """Whether gradient descent and the heavy ball diverge on the paraboloid at one (α, β).

    Attributes:
        learning_rate: α, the same for both runs.
        momentum: β of the heavy ball (gradient descent is β = 0).
        gd_diverged: True if gradient descent diverged within :data:`STEPS` steps.
        heavy_ball_diverged: the same for the heavy ball.
    """

    learning_rate: float
    momentum: float
    gd_diverged: bool
    heavy_ball_diverged: bool


def stability_check(learning_rate: float, momentum: float) -> StabilityCheck:
    """Run gradient descent and the heavy ball on the paraboloid for :data:`STEPS` steps."""
    bowl = paraboloid()

    def diverged(beta: float) -> bool:
        run = bowl.run(sgd, STEPS, learning_rate=learning_rate, momentum=beta)
        return run.diverged_at is not None

    return StabilityCheck(learning_rate, momentum, diverged(0.0), diverged(momentum))


def paraboloid_widget(learning_rate: float = 0.45, momentum: float = 0.3) -> widgets.Explorer:
    """Gradient descent and the heavy ball on the paraboloid, with sliders for α and β.

    Section "A ball rolling down a valley".  The site's static explorer varies β
    at the default α.
    """
    return widgets.explore(
        paraboloid(),
        optimizers=("sgd", "momentum"),
        steps=STEPS,
        static="momentum",
        learning_rate=widgets.log_slider("α", as_positive(learning_rate, "learning_rate"), -2, 0),
        momentum=widgets.slider("β", as_decay(momentum, "momentum"), 0.0, 0.99, step=0.01),
    )
