"""Sections "Random search: guess and compare" and "What each method costs as the dimension grows".

:func:`random_direction_alignment` measures why random search slows down with d (a
random direction captures 1/d of the gradient); :func:`evaluations_to_reduce` counts,
and :func:`gradient_timings` times, what random search, finite differences and
``jax.grad`` spend on the same problem in growing dimension; :func:`cost_figure` draws both.
"""

from __future__ import annotations

import functools
import timeit
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from matplotlib.figure import Figure

from lab import gradients, plot

__all__ = [
    "CostProblem",
    "CostToReduce",
    "GradientTimings",
    "RandomDirections",
    "cost_figure",
    "cost_problem",
    "evaluations_to_reduce",
    "gradient_timings",
    "random_direction_alignment",
]


class RandomDirections(NamedTuple):
    """How much of a gradient g a random direction u in ℝᵈ captures, ``E[cos²(g, u)]``.

    Attributes:
        dims: the dimensions d, as Python ints.
        mean_cos2: for each d, the mean of ``cos²(g, u)`` over ``samples`` random u.
        predicted: for each d, ``1/d`` (u uniform on the sphere).
        samples: how many random directions per d.
    """

    dims: tuple[int, ...]
    mean_cos2: np.ndarray
    predicted: np.ndarray
    samples: int


def random_direction_alignment(
    dims=(2, 10, 100, 1000), samples: int = 4000, seed: int = 0
) -> RandomDirections:
    """The mean of ``cos²`` between a fixed gradient g and a random direction u in ℝᵈ.

    For u uniform on the sphere, ``E[cos²(g, u)] = 1/d``: the best step along a
    random direction removes on average only 1/d of what a step along g
    would (on a quadratic with Q = I).  Computed with NumPy.
    """
    rng = np.random.default_rng(seed)
    measured = []
    for d in dims:
        g = rng.normal(size=d)
        u = rng.normal(size=(samples, d))
        cos = (u @ g) / (np.linalg.norm(u, axis=1) * np.linalg.norm(g))
        measured.append(float(np.mean(cos**2)))
    dims = tuple(int(d) for d in dims)
    return RandomDirections(dims, np.array(measured), 1 / np.array(dims, np.float64), samples)


def _diagonal_quadratic_loss(theta, eigenvalues):
    """``½ Σᵢ λᵢ θᵢ² = ½ θᵀQθ`` with Q = diag(λ): one evaluation costs O(d)."""
    return 0.5 * jnp.sum(eigenvalues * theta**2)


class CostProblem(NamedTuple):
    """The loss of the cost experiments in d dimensions, and its compiled gradients.

    Attributes:
        loss: ``L(θ) = ½ Σᵢ λᵢ θᵢ²`` with λ log-spaced from 1 to 10 (κ = 10 for every d), jitted.
        start: θ₀, standard normal (seeded by d).
        learning_rate: α = 2/(λ_min + λ_max).
        gradients: method → a jitted function θ ↦ :class:`~lab.gradients.NumericGradient`
            (``"autodiff"`` counts one gradient per call).
    """

    loss: Any
    start: jax.Array
    learning_rate: float
    gradients: dict


@functools.lru_cache(maxsize=8)
def cost_problem(d: int) -> CostProblem:
    """The :class:`CostProblem` in d dimensions, built (and compiled) once per d."""
    lam = jnp.asarray(np.logspace(0.0, 1.0, d), jnp.float32)
    loss = jax.jit(functools.partial(_diagonal_quadratic_loss, eigenvalues=lam))
    autodiff = jax.grad(loss)
    estimators = {
        "forward": jax.jit(lambda t: gradients.forward_difference(loss, t)),
        "central": jax.jit(lambda t: gradients.central_difference(loss, t)),
        "autodiff": jax.jit(lambda t: gradients.NumericGradient(autodiff(t), 1)),
    }
    start = jnp.asarray(np.random.default_rng(d).normal(size=d), jnp.float32)
    return CostProblem(loss, start, 2.0 / (float(lam[0]) + float(lam[-1])), estimators)


class CostToReduce(NamedTuple):
    """What it cost to reduce L(θ₀) tenfold on :func:`cost_problem`, per method and dimension.

    Every table maps the dimension d to a count.

    Attributes:
        dims: the dimensions d.
        random_search: evaluations of L random search needed (mean over the seeds).
        forward_differences: evaluations of L gradient descent spent on forward
            differences (d + 1 per gradient).
        central_differences: the same with central differences (2d per gradient).
        autodiff_gradients: gradients (``jax.grad`` calls) gradient descent needed.
        gd_steps: the steps gradient descent took, the same with every kind of gradient.
    """

    dims: tuple
    random_search: dict
    forward_differences: dict
    central_differences: dict
    autodiff_gradients: dict
    gd_steps: dict


def _first_reaching(losses, target) -> int | None:
    hits = np.flatnonzero(np.asarray(losses) <= target)
    return int(hits[0]) if hits.size else None


def _descend_until(loss, theta, learning_rate, target, estimate) -> tuple[int, int]:
    """Gradient descent with gradients from ``estimate`` until ``L(θ_t) ≤ target``.

    Returns ``(what the gradients cost, steps)``.
    """
    spent, steps = 0, 0
    while float(loss(theta)) > target:
        if steps >= 1000:
            raise RuntimeError("gradient descent did not reach the target in 1000 steps")
        gradient = estimate(theta)
        theta = theta - learning_rate * gradient.gradient
        spent, steps = spent + int(gradient.evaluations), steps + 1
    return spent, steps


def _random_search_cost(problem: CostProblem, d: int, target: float, seeds: int) -> float:
    """Evaluations of L random search needs to reach ``target``, the mean over ``seeds`` runs."""
    budget = 12 * d + 100
    counts = [
        _first_reaching(search.losses, target)
        for search in (
            gradients.random_search(problem.loss, problem.start, budget, jax.random.PRNGKey(k))
            for k in range(seeds)
        )
    ]
    if any(c is None for c in counts):
        raise RuntimeError(f"random search did not reach the target in {budget} evaluations")
    return float(np.mean(counts)) + 1  # losses[k]: what k + 1 evaluations did


def evaluations_to_reduce(dims=(10, 100, 1000), factor: float = 10.0, seeds: int = 2):
    """What it costs each method to reduce the loss ``factor``-fold, as d grows.

    On :func:`cost_problem` (equally hard in every dimension), random search
    (the mean over ``seeds`` runs) counts evaluations of L; gradient descent
    with α = 2/(λ_min + λ_max) runs with forward differences, central
    differences and ``jax.grad``, and each counts what its gradients cost
    (d + 1 or 2d evaluations of L, or one gradient).  Returns a :class:`CostToReduce`.
    """
    result = {name: {} for name in ("random", "forward", "central", "autodiff", "steps")}
    for d in dims:
        problem = cost_problem(d)
        target = float(problem.loss(problem.start)) / factor
        result["random"][d] = _random_search_cost(problem, d, target, seeds)
        for name, estimate in problem.gradients.items():
            spent, steps = _descend_until(
                problem.loss, problem.start, problem.learning_rate, target, estimate
            )
            result[name][d] = spent
            if result["steps"].setdefault(d, steps) != steps:
                raise RuntimeError("finite differences changed the number of steps")
    return CostToReduce(
        tuple(dims), result["random"], result["forward"], result["central"],
        result["autodiff"], result["steps"],
    )  # fmt: skip


class GradientTimings(NamedTuple):
    """Seconds per call on :func:`cost_problem`, the fastest of several repeats.

    Every table maps the dimension d to seconds per call.

    Attributes:
        dims: the dimensions d.
        loss: one evaluation of L.
        forward: one forward-difference gradient.
        central: one central-difference gradient.
        autodiff: one ``jax.grad`` gradient.
    """

    dims: tuple
    loss: dict
    forward: dict
    central: dict
    autodiff: dict


def _fastest(function, theta, repeats: int, block_seconds: float = 5e-3) -> float:
    """Seconds per call: the fastest of ``repeats`` blocks of calls, after one call that compiles.

    A block repeats the call until it lasts ``block_seconds`` (like ``timeit``'s
    autorange, shorter): a gradient of 15 µs timed alone is mostly timer and
    scheduler noise on a shared machine.
    """
    call = lambda: jax.block_until_ready(function(theta))  # noqa: E731
    call()
    number = 1
    while timeit.timeit(call, number=number) < block_seconds:
        number *= 2
    return min(timeit.repeat(call, number=number, repeat=repeats)) / number


def gradient_timings(dims=(10, 100, 1000), repeats: int = 5) -> GradientTimings:
    """Wall time of L, and of its gradient by forward / central differences and by ``jax.grad``.

    On :func:`cost_problem`, with every function compiled whole by ``jax.jit``
    (no Python overhead inside), run once, then timed ``repeats`` times; the
    fastest time counts.  The numbers depend on the machine; their growth
    with d does not.
    """
    result = {name: {} for name in ("loss", "forward", "central", "autodiff")}
    for d in dims:
        problem = cost_problem(d)
        result["loss"][d] = _fastest(problem.loss, problem.start, repeats)
        for name, function in problem.gradients.items():
            result[name][d] = _fastest(function, problem.start, repeats)
    return GradientTimings(tuple(dims), *result.values())


def _draw_counts(ax, costs: CostToReduce) -> None:
    """Evaluations (or gradients) to reduce L tenfold against d, one line per method."""
    dims = np.array(costs.dims)
    series = (
        ("random search (evaluations of L)", costs.random_search, "o-"),
        ("GD, forward differences (evaluations of L)", costs.forward_differences, "s-"),
        ("GD, central differences (evaluations of L)", costs.central_differences, "^-"),
        ("GD, jax.grad (gradients)", costs.autodiff_gradients, "D-"),
    )
    for i, (label, values, style) in enumerate(series):
        ax.loglog(dims, [values[d] for d in costs.dims], style, color=plot.color(i),
                  label=label, markersize=5)  # fmt: skip
    ax.set_xlabel("dimension d")
    ax.set_ylabel("cost to reduce L tenfold")
    ax.set_title("evaluations (machine-independent)")
    ax.legend(fontsize=7.5, loc="upper left")


def _draw_timings(ax, timings: GradientTimings) -> None:
    """Milliseconds per gradient against d, and one evaluation of L (dashed)."""
    dims = np.array(timings.dims)
    series = (
        ("one evaluation of L", timings.loss),
        ("forward differences", timings.forward),
        ("central differences", timings.central),
        ("jax.grad", timings.autodiff),
    )
    for i, (label, values) in enumerate(series):
        style = "--" if i == 0 else "-"
        ax.loglog(dims, [values[d] * 1e3 for d in timings.dims], style, marker="o",
                  color=plot.color(8 if i == 0 else i), label=label, markersize=5)  # fmt: skip
    ax.set_xlabel("dimension d")
    ax.set_ylabel("milliseconds per gradient")
    ax.set_title("wall time on the machine that built this page")
    ax.legend(fontsize=8, loc="upper left")


def cost_figure(costs: CostToReduce, timings: GradientTimings) -> Figure:
    """Section "What each method costs as the dimension grows": counts and wall times against d.

    Left: evaluations to reduce L tenfold against d.  Right: milliseconds per gradient.
    """
    fig, (counts, seconds) = plot.figure(ncols=2, width=4.8, height=3.8)
    _draw_counts(counts, costs)
    _draw_timings(seconds, timings)
    for ax in (counts, seconds):
        ax.minorticks_off()
    return fig
