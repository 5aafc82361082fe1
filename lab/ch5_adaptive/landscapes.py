"""The four landscapes every method of the chapter runs on, behind one loss function.

Compilations are the chapter's main cost, so the landscapes share one loss
function, :func:`landscape_loss`, that picks Rosenbrock, Beale, the saddle or
the ill-conditioned paraboloid by a *traced* index: one compiled
:func:`~lab.trajectory.trajectory` per optimizer serves all four landscapes,
every figure and the comparison widget.  :func:`run_on_landscape` is that one
way to run a method; :data:`METHODS` and :data:`LEARNING_RATES` say which
methods there are and the α each runs with.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from lab import problems, registry
from lab.problems import Problem
from lab.trajectory import Trajectory
from optimizers.base import GradientTransformation

__all__ = [
    "EXPLICIT_DEFAULTS",
    "LANDSCAPES",
    "LEARNING_RATES",
    "METHODS",
    "STEPS",
    "final_gap",
    "landscape",
    "landscape_loss",
    "largest_stable_learning_rate",
    "run_on_landscape",
]

LANDSCAPES = ("Rosenbrock", "Beale", "saddle", "ill-conditioned paraboloid")
"""The four 2-D landscapes every method of the chapter runs on, in this order."""

_BUILDERS = {
    "Rosenbrock": problems.rosenbrock,
    "Beale": problems.beale,
    "saddle": problems.saddle,
    "ill-conditioned paraboloid": problems.ill_conditioned_paraboloid,
}

STEPS = 300
"""Steps T of every run on the landscapes (one compilation per optimizer serves them all)."""


def landscape_loss(theta, index, Q):
    """The loss of landscape number ``index`` of :data:`LANDSCAPES` at θ.

    0: Rosenbrock ``(1 − θ₁)² + 100 (θ₂ − θ₁²)²``; 1: Beale; 2: the saddle
    ``½θ₁² − ½θ₂² + ¼θ₂⁴``; 3: the paraboloid ``½ θᵀQθ``.  The index is data
    (``jax.lax.switch``), so a new landscape needs no new compilation.
    """
    branches = (
        lambda th: problems.rosenbrock_loss(th, 1.0, 100.0),
        problems.beale_loss,
        problems.saddle_loss,
        lambda th: problems.quadratic_loss(th, Q),
    )
    return jax.lax.switch(index, branches, theta)


@functools.cache
def landscape(name: str) -> Problem:
    """The shared landscape ``name`` (one of :data:`LANDSCAPES`) as a :class:`~lab.problems.Problem`.

    Start, minima, bounds and title are those of :mod:`lab.problems`; only
    the loss is :func:`landscape_loss` with the landscape's index.  Cached: the
    same name returns the same object (so its contour grid is computed once).
    """
    original = _BUILDERS[name]()
    Q = problems.ill_conditioned_paraboloid().args[0]
    index = jnp.asarray(LANDSCAPES.index(name), jnp.int32)
    return dataclasses.replace(original, loss_fn=landscape_loss, args=(index, Q))


# --------------------------------------------------------------------------
# The methods, by name
# --------------------------------------------------------------------------

_LABELS = {
    "sgd": "SGD",
    "momentum": "momentum",
    "adagrad": "Adagrad",
    "rmsprop": "RMSprop",
    "adadelta": "Adadelta",
    "adam": "Adam",
    "adamax": "AdaMax",
    "nadam": "Nadam",
    "amsgrad": "AMSGrad",
    "adamw": "AdamW",
    "radam": "RAdam",
    "adabound": "AdaBound",
    "amsbound": "AMSBound",
}

METHODS: dict[str, tuple[str, Callable[..., GradientTransformation]]] = {
    **{name: (label, registry.OPTIMIZERS[name]) for name, label in _LABELS.items()},
    "adam_no_correction": ("Adam, no bias correction", registry.adam_without_bias_correction),
}
"""Name → (label, factory) of every method the chapter runs on the landscapes.

The factories are :data:`lab.registry.OPTIMIZERS`' (and the registry's teaching
variant :func:`~lab.registry.adam_without_bias_correction`); the labels are the chapter's.
"""

LEARNING_RATES: dict[str, float] = {
    "sgd": 1e-3,
    "momentum": 1e-3,
    "adagrad": 0.5,
    "rmsprop": 0.03,
    "adadelta": 1.0,
    "adam": 0.1,
    "adam_no_correction": 0.1,
    "adamax": 0.1,
    "nadam": 0.1,
    "amsgrad": 0.1,
    "adamw": 0.1,
    "radam": 0.01,
    "adabound": 0.1,
    "amsbound": 0.1,
}
"""One α per method, the same on all four landscapes.

SGD's and momentum's are half the largest α that is stable on Rosenbrock, the
steepest landscape (see :func:`largest_stable_learning_rate`): a safe margin.
"""

EXPLICIT_DEFAULTS: dict[str, dict[str, float]] = {
    "adam": {"b1": 0.9, "b2": 0.999},
    "adadelta": {"eps": 1e-6},
}
"""Defaults passed explicitly (as traced numbers), so that the experiments that move
them (the bias-correction widget, the Adadelta ε figure) reuse the same compiled program."""


def run_on_landscape(
    name: str, where: str, learning_rate: float | None = None, **hyper: Any
) -> Trajectory:
    """Method ``name`` on landscape ``where`` for :data:`STEPS` steps (α defaults to its own).

    Every run of a method on the landscapes goes through here with the same
    hyperparameter names, so each method compiles exactly once.
    """
    _, factory = METHODS[name]
    alpha = LEARNING_RATES[name] if learning_rate is None else learning_rate
    hyper = {**EXPLICIT_DEFAULTS.get(name, {}), **hyper}
    return landscape(where).run(factory, STEPS, learning_rate=float(alpha), **hyper)


def final_gap(problem: Problem, run: Trajectory) -> float:
    """L(θ_T) − L_min of ``run`` on ``problem``, or inf if the run diverged."""
    if run.diverged_at is not None:
        return math.inf
    return max(float(run.losses[-1]) - float(problem.min_value), 0.0)


def largest_stable_learning_rate(
    name: str, where: str, low: float = 1e-3, high: float = 3.0, iterations: int = 8
) -> float:
    """The largest α whose :data:`STEPS`-step run of method ``name`` on ``where`` does not diverge.

    Bisection on log α between ``low`` (which must be stable) and ``high`` (which
    must not be), to a factor of ``(high/low)^(2^−iterations)``; every run reuses
    the method's one compiled program.  Returns the stable end of the final bracket.
    """

    def stable(alpha: float) -> bool:
        return run_on_landscape(name, where, alpha).diverged_at is None

    if not stable(low):
        raise ValueError(f"{name} diverges on {where} even at α = {low:g}")
    if stable(high):
        return high
    for _ in range(iterations):
        middle = math.sqrt(low * high)
        low, high = (middle, high) if stable(middle) else (low, middle)
    return low
