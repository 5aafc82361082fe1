"""The experiments of the chapter *Adaptive methods*: one function per figure or widget.

Every adaptive method of the chapter is a choice of a numerator (the gradient
g_t or a moving average m_t of it) and a denominator (a root of accumulated
squared gradients s_t) in the per-coordinate step

    θ_t = θ_{t−1} − α · numerator_t / (√(denominator_t) + ε).

The sections of the chapter and the functions behind them:

* the shared landscapes: :func:`landscape`, :func:`landscape_figure`;
* Adagrad: :func:`sparse_regression`, :func:`sparse_feature_figure`;
* RMSprop: :func:`rmsprop_first_step`; all three: :func:`effective_learning_rate_figure`;
* Adadelta: :func:`adadelta_first_step`, :func:`adadelta_figure`;
* Adam: :func:`moment_check`, :func:`bias_correction_factor`,
  :func:`adam_without_bias_correction`, :func:`bias_correction_widget`;
* AdaMax and Nadam: :func:`adamax_check`, :func:`nadam_check`;
* AMSGrad: :func:`online_run`, :func:`amsgrad_counterexample_figure`;
* AdamW: :func:`weight_decay_identity`, :func:`weight_decay_digits_figure`;
* checks of the package against the formulas: :func:`replay`, :func:`radam_check`,
  :func:`loss_scaling_check`;
* RAdam: :func:`radam_rho`, :func:`radam_rectifier`, :func:`radam_switch_step`,
  :func:`radam_figure`;
* AdaBound: :func:`adabound_bounds`, :func:`adabound_figure`;
* all of them: :func:`comparison_widget`.

Compilations are the chapter's main cost, so the landscapes share one loss
function, :func:`landscape_loss`, that picks Rosenbrock, Beale, the saddle or
the ill-conditioned paraboloid by a *traced* index: one compiled
:func:`~lab.trajectory.trajectory` per optimizer serves all four
landscapes, every figure and the comparison widget.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import ipywidgets
import jax
import jax.numpy as jnp
import numpy as np
from matplotlib.ticker import NullLocator

import optimizers as opt
from lab import data, nn, plot, problems, registry, widgets
from lab.nn import init_mlp_numpy
from lab.problems import Problem
from lab.trajectory import Trajectory, split_hyperparameters, trajectory
from optimizers.base import GradientTransformation
from optimizers.validation import as_decay as _decay
from optimizers.validation import as_positive as _positive
from optimizers.validation import as_whole as _whole

__all__ = [
    "COMPARED",
    "LANDSCAPES",
    "LEARNING_RATES",
    "METHODS",
    "SPARSE_BATCH",
    "SPARSE_STEPS",
    "STEPS",
    "Experiment",
    "OnlineRun",
    "StateHistory",
    "adabound_bounds",
    "adabound_figure",
    "adadelta_figure",
    "adadelta_first_step",
    "adamax_check",
    "adaptive_rate_variance",
    "amsgrad_counterexample_figure",
    "bias_correction_factor",
    "bias_correction_widget",
    "comparison_widget",
    "effective_learning_rate_figure",
    "init_mlp_numpy",
    "landscape",
    "landscape_figure",
    "landscape_loss",
    "largest_stable_learning_rate",
    "lockstep_paths",
    "loss_scaling_check",
    "minibatches",
    "moment_check",
    "nadam_check",
    "online_run",
    "radam_check",
    "radam_figure",
    "radam_rectifier",
    "radam_rho",
    "radam_switch_step",
    "record_states",
    "replay",
    "rmsprop_first_step",
    "sparse_feature_figure",
    "sparse_regression",
    "weight_decay_digits_figure",
    "weight_decay_identity",
]


class Experiment(NamedTuple):
    """A static figure and the numbers the chapter quotes from it (name → value)."""

    figure: Any
    numbers: dict[str, Any]


# --------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------


# --------------------------------------------------------------------------
# The shared landscapes, behind one loss function
# --------------------------------------------------------------------------

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
    if name not in _BUILDERS:
        raise ValueError(f"name must be one of {', '.join(LANDSCAPES)}; got {name!r}")
    original = _BUILDERS[name]()
    Q = problems.ill_conditioned_paraboloid().args[0]
    index = jnp.asarray(LANDSCAPES.index(name), jnp.int32)
    return dataclasses.replace(original, loss_fn=landscape_loss, args=(index, Q))


# --------------------------------------------------------------------------
# The methods, by name
# --------------------------------------------------------------------------


METHODS: dict[str, tuple[str, Callable[..., GradientTransformation]]] = {
    "sgd": ("SGD", opt.sgd),
    "momentum": ("momentum", registry.heavy_ball),
    "adagrad": ("Adagrad", opt.adagrad),
    "rmsprop": ("RMSprop", opt.rmsprop),
    "adadelta": ("Adadelta", opt.adadelta),
    "adam": ("Adam", opt.adam),
    "adam_no_correction": ("Adam, no bias correction", registry.adam_without_bias_correction),
    "adamax": ("AdaMax", opt.adamax),
    "nadam": ("Nadam", opt.nadam),
    "amsgrad": ("AMSGrad", opt.amsgrad),
    "adamw": ("AdamW", opt.adamw),
    "radam": ("RAdam", opt.radam),
    "adabound": ("AdaBound", opt.adabound),
    "amsbound": ("AMSBound", opt.amsbound),
}
"""Name → (label, factory) of every method the chapter runs on the landscapes."""

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


def _method(name: str) -> tuple[str, Callable[..., GradientTransformation]]:
    if name not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {name!r}")
    return METHODS[name]


_EXPLICIT: dict[str, dict[str, float]] = {
    "adam": {"b1": 0.9, "b2": 0.999},
    "adadelta": {"eps": 1e-6},
}
"""Defaults passed explicitly (as traced numbers), so that the experiments that move
them (the bias-correction widget, the Adadelta ε figure) reuse the same compiled program."""


def _run(name: str, where: str, learning_rate: float | None = None, **hyper: Any) -> Trajectory:
    """Method ``name`` on landscape ``where`` for :data:`STEPS` steps (α defaults to its own).

    Every run of a method on the landscapes goes through here with the same
    hyperparameter names, so each method compiles exactly once.
    """
    _, factory = _method(name)
    alpha = LEARNING_RATES[name] if learning_rate is None else learning_rate
    hyper = {**_EXPLICIT.get(name, {}), **hyper}
    return landscape(where).run(factory, STEPS, learning_rate=float(alpha), **hyper)


def _gap(problem: Problem, run: Trajectory) -> float:
    """L(θ_T) − L_min, or inf if the run diverged."""
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
    low, high = _positive(low, "low"), _positive(high, "high")

    def stable(alpha: float) -> bool:
        return _run(name, where, alpha).diverged_at is None

    if not stable(low):
        raise ValueError(f"{name} diverges on {where} even at α = {low:g}")
    if stable(high):
        return high
    for _ in range(_whole(iterations, "iterations")):
        middle = math.sqrt(low * high)
        low, high = (middle, high) if stable(middle) else (low, middle)
    return low


def landscape_figure(methods: Sequence[str | tuple[str, float]]) -> Experiment:
    """Paths of a few methods on the four landscapes, in a 2 × 2 grid.

    Args:
        methods: names from :data:`METHODS`, or ``(name, α)`` pairs to override
            the method's α of :data:`LEARNING_RATES`.

    Returns the figure and ``numbers[label][landscape]`` = L(θ_T) − L_min (inf
    if the run diverged), with labels such as ``"Adam (α = 0.1)"``.
    """
    entries = [(m, None) if isinstance(m, str) else (m[0], float(m[1])) for m in methods]
    if not entries:
        raise ValueError("methods must name at least one method")
    fig, axes = plot.figure(ncols=2, nrows=2, width=3.4, height=3.0)
    numbers: dict[str, dict[str, float]] = {}
    for col, (ax, where) in enumerate(zip(axes, LANDSCAPES, strict=True)):
        problem = landscape(where)
        plot.contour(ax, problem, levels=20)
        ax.set_title(where if where != "ill-conditioned paraboloid" else "paraboloid", fontsize=10)
        for row, (name, alpha) in enumerate(entries):
            label_name, _ = _method(name)
            alpha = LEARNING_RATES[name] if alpha is None else alpha
            label = f"{label_name} (α = {alpha:g})"
            run = _run(name, where, alpha)
            plot.trajectory_line(ax, run, label if col == 0 else None, plot.color(row))
            gap = _gap(problem, run)
            numbers.setdefault(label, {})[where] = gap
            text = f"gap {gap:.1e}" if math.isfinite(gap) else f"diverged at {run.diverged_at}"
            ax.annotate(
                text, xy=(1.0, 0.0), xycoords="axes fraction",
                xytext=(-4, 4 + 13 * (len(entries) - 1 - row)), textcoords="offset points",
                ha="right", va="bottom", fontsize=8, color=plot.color(row),
                bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none", "pad": 1.0},
            )  # fmt: skip
        ax.tick_params(labelsize=8)
        ax.set_xlabel("θ₁", fontsize=9)
        ax.set_ylabel("θ₂", fontsize=9)
    fig.legend(loc="outside lower center", ncols=min(len(entries), 2), fontsize=9, frameon=False)
    return Experiment(fig, numbers)


# --------------------------------------------------------------------------
# Recording the optimizer's state along a run
# --------------------------------------------------------------------------


class StateHistory(NamedTuple):
    """A run with the optimizer state after every step.

    Attributes:
        params: θ_0 … θ_T stacked, shape ``(T + 1, d)``.
        states: the optimizer state after steps 1 … T, each leaf stacked along a
            new leading axis of length T.
    """

    params: np.ndarray
    states: Any


@functools.partial(jax.jit, static_argnames=("make_optimizer", "loss", "steps", "static"))
def _record(make_optimizer, loss, steps, static, x0, traced, loss_args, batches):
    """The scanned loop of :func:`record_states`; ``batches`` is ``None`` or (T, B) row indices."""
    tx = make_optimizer(**traced, **dict(static))

    def step(carry, rows):
        params, state = carry
        if rows is None:
            grads = jax.grad(loss)(params, *loss_args)
        else:  # a data problem: the mean loss over the rows of this step's mini-batch
            X, y = loss_args[:2]
            grads = jax.grad(loss)(params, X[rows], y[rows], jnp.float32(rows.shape[0]))
        updates, state = tx.update(grads, state, params)
        params = opt.apply_updates(params, updates)
        return (params, state), (params, state)

    init = (x0, tx.init(x0))
    _, (params, states) = jax.lax.scan(step, init, batches, length=steps)
    return jnp.concatenate([x0[None], params]), states


def minibatches(n: int, steps: int, batch_size: int, seed: int = 0) -> np.ndarray:
    """Row indices of ``steps`` mini-batches, shape ``(steps, batch_size)``.

    Each batch holds ``batch_size`` examples drawn uniformly *with* replacement
    (NumPy, seeded): drawing them outside the compiled loop keeps it free of
    random-number code, which compiles slowly.
    """
    rng = np.random.default_rng(_whole(seed, "seed", 0))
    return rng.integers(0, _whole(n, "n"), size=(_whole(steps, "steps"), batch_size))


def record_states(
    make_optimizer: Callable[..., GradientTransformation],
    problem: Problem,
    steps: int,
    *,
    batch_size: int | None = None,
    seed: int = 0,
    x0: Any = None,
    **hyperparameters: Any,
) -> StateHistory:
    """Run ``make_optimizer(**hyperparameters)`` on ``problem`` and keep every state.

    Like :func:`~lab.trajectory.trajectory` (numbers are traced, so one
    compilation serves every value), but it also returns the optimizer's state
    after each step, so a figure can read s_t, m_t or t from it.  For a
    stochastic (data) problem, step t uses the gradient of the mean loss over a
    mini-batch of ``batch_size`` examples (see :func:`minibatches`, seeded by ``seed``).
    The run starts at ``x0`` (default: the problem's start).
    """
    steps = _whole(steps, "steps")
    if not isinstance(problem, Problem):
        raise TypeError(f"problem must be a Problem, got {type(problem).__name__}")
    static, traced = split_hyperparameters(hyperparameters)
    batches = None
    if problem.stochastic:
        size = _whole(batch_size if batch_size is not None else 1, "batch_size")
        if size > problem.num_examples:
            raise ValueError(f"batch_size must be at most n = {problem.num_examples}, got {size}")
        batches = jnp.asarray(minibatches(problem.num_examples, steps, size, seed), jnp.int32)
    elif batch_size is not None:
        raise ValueError(f"batch_size applies only to stochastic problems, not {problem.name!r}")
    x0 = jnp.asarray(problem.start if x0 is None else x0, jnp.float32)
    if x0.shape != np.shape(problem.start):
        raise ValueError(f"x0 must have shape {np.shape(problem.start)}, got {x0.shape}")
    params, states = _record(
        make_optimizer, problem.loss_fn, steps, static, x0, traced, tuple(problem.args), batches
    )
    return StateHistory(np.asarray(params), jax.tree_util.tree_map(np.asarray, states))


# --------------------------------------------------------------------------
# Adagrad: a rare feature
# --------------------------------------------------------------------------


def sparse_regression(
    n: int = 2000, frequency: float = 0.02, noise: float = 0.5, seed: int = 0
) -> Problem:
    """Least squares with one common and one rare feature.

    Example i has ``x_i1 ~ N(0, 1)`` and ``x_i2 = 1`` with probability
    ``frequency`` (else 0), like a rare word; ``y_i = x_iᵀθ_true + noise·ε_i`` with
    θ_true = (1, 2).  The loss ``1/n Σ ½ (x_iᵀθ − y_i)²`` has curvature about 1
    along θ₁ and about ``frequency`` along θ₂.  Start θ₀ = (−1.5, −1.5).
    """
    n = _whole(n, "n", 10)
    if not 0 < frequency < 1:
        raise ValueError(f"frequency must lie in (0, 1), got {frequency!r}")
    rng = np.random.default_rng(_whole(seed, "seed", 0))
    common = rng.normal(size=n)
    rare = (rng.uniform(size=n) < frequency).astype(np.float64)
    X = np.stack([common, rare], axis=1)
    y = X @ np.array([1.0, 2.0]) + noise * rng.normal(size=n)
    minimiser = np.linalg.lstsq(X, y, rcond=None)[0]
    min_value = float(0.5 * np.mean((X @ minimiser - y) ** 2))
    return Problem(
        name=f"a rare feature (x₂ ≠ 0 in {rare.mean():.1%} of examples)",
        loss_fn=problems.linear_regression_loss,
        args=(jnp.asarray(X, jnp.float32), jnp.asarray(y, jnp.float32)),
        start=np.array([-1.5, -1.5], np.float32),
        minima=[minimiser.astype(np.float32)],
        min_value=min_value,
        bounds=((-2.0, 3.0), (-2.0, 3.5)),
        stochastic=True,
    )


SPARSE_STEPS = 2000
"""Steps of every run on :func:`sparse_regression` (one compilation per optimizer)."""
SPARSE_BATCH = 10
"""Examples per mini-batch on :func:`sparse_regression`."""


def _adagrad_rates(history: StateHistory, learning_rate: float, eps: float = 1e-7) -> np.ndarray:
    """α/√(s_t + ε) per coordinate from Adagrad's state (the first link of its chain)."""
    s = history.states[0].sum_of_squares
    return learning_rate / np.sqrt(s + eps)


def sparse_feature_figure(
    sgd_learning_rate: float = 0.1, adagrad_learning_rate: float = 0.5, shown: int = 500
) -> Experiment:
    """SGD against Adagrad when one feature is rare (:func:`sparse_regression`).

    Three panels over the first ``shown`` steps (of runs of :data:`SPARSE_STEPS`,
    the length every regression run of the chapter shares, so that each method
    compiles once): the paths over the contours of the full loss; the error
    ``|θ_{t,i} − θ*_i|`` of each coordinate; Adagrad's effective learning rate
    α/√(s_t + ε) of each coordinate against SGD's constant α.  The numbers are
    taken at step ``shown``.
    """
    sgd_learning_rate = _positive(sgd_learning_rate, "sgd_learning_rate")
    adagrad_learning_rate = _positive(adagrad_learning_rate, "adagrad_learning_rate")
    shown = _whole(shown, "shown")
    if shown > SPARSE_STEPS:
        raise ValueError(f"shown must be at most {SPARSE_STEPS}, got {shown}")
    problem = sparse_regression()
    common = {"batch_size": SPARSE_BATCH, "seed": 1}
    sgd_run = record_states(
        opt.sgd, problem, SPARSE_STEPS, learning_rate=sgd_learning_rate, **common
    )
    ada_run = record_states(
        opt.adagrad, problem, SPARSE_STEPS, learning_rate=adagrad_learning_rate, **common
    )
    rates = _adagrad_rates(ada_run, adagrad_learning_rate)[:shown]
    target = np.asarray(problem.minima[0], np.float64)
    fig, (plane, errors, lr_ax) = plot.figure(ncols=3, width=3.6, height=3.3)
    plot.contour(plane, problem)
    plane.set_title(f"paths, {shown} steps (mini-batches of {SPARSE_BATCH})", fontsize=10)
    t = np.arange(shown + 1)
    runs = {
        f"SGD (α = {sgd_learning_rate:g})": sgd_run.params[: shown + 1],
        f"Adagrad (α = {adagrad_learning_rate:g})": ada_run.params[: shown + 1],
    }
    for i, (label, params) in enumerate(runs.items()):
        plot.trajectory_line(
            plane, Trajectory(params, np.zeros(len(t)), None), label, plot.color(i)
        )
        error = np.abs(params - target)
        errors.plot(t, error[:, 0], color=plot.color(i), lw=1.4, label=f"{label}: θ₁")
        errors.plot(t, error[:, 1], color=plot.color(i), lw=1.4, ls="--", label=f"{label}: θ₂")
    errors.set_yscale("log")
    errors.set_xlabel("step t")
    errors.set_title("error |θ_t,i − θ*_i|  (solid θ₁, dashed θ₂)", fontsize=10)
    errors.set_xlim(0, shown)
    errors.yaxis.set_minor_locator(NullLocator())
    steps = np.arange(1, shown + 1)
    lr_ax.plot(steps, rates[:, 0], color=plot.color(1), lw=1.6, label="Adagrad, θ₁ (common)")
    lr_ax.plot(steps, rates[:, 1], color=plot.color(1), lw=1.6, ls="--", label="Adagrad, θ₂ (rare)")
    lr_ax.axhline(sgd_learning_rate, color=plot.color(0), lw=1.4, label="SGD, both")
    lr_ax.set_xscale("log")
    lr_ax.set_yscale("log")
    lr_ax.set_xlabel("step t")
    lr_ax.set_title("effective learning rate α/√(s_t + ε)", fontsize=10)
    lr_ax.legend(fontsize=8, loc="lower left")
    plane.legend(fontsize=8, loc="upper left")
    last = {
        name: np.abs(p[-1] - target)
        for name, p in zip(("sgd", "adagrad"), runs.values(), strict=True)
    }
    features = np.asarray(problem.args[0])
    numbers = {
        "frequency": float(np.mean(features[:, 1])),
        "steps": shown,
        "batch_size": SPARSE_BATCH,
        "sgd_error_rare": float(last["sgd"][1]),
        "sgd_error_common": float(last["sgd"][0]),
        "adagrad_error_rare": float(last["adagrad"][1]),
        "adagrad_error_common": float(last["adagrad"][0]),
        "adagrad_rate_common": float(rates[-1, 0]),
        "adagrad_rate_rare": float(rates[-1, 1]),
        "rate_ratio": float(rates[-1, 1] / rates[-1, 0]),
        "curvature_rare": float(np.mean(features[:, 1] ** 2)),
    }
    return Experiment(fig, numbers)


# --------------------------------------------------------------------------
# RMSprop, and the effective learning rates of all three
# --------------------------------------------------------------------------


def rmsprop_first_step(gradient: float = 0.5, decay: float = 0.9, eps: float = 1e-8) -> dict:
    """RMSprop's first step per unit of α, from the package and from the formula.

    With s_0 = 0 the freshly updated average is ``s_1 = (1 − β₂) g_1²``, so
    ``θ_1 − θ_0 = −α g_1/√((1 − β₂) g_1² + ε) ≈ −α sign(g_1)/√(1 − β₂)``.
    Returns the package's step, the formula's, and the approximation.
    """
    decay = _decay(decay, "decay")
    tx = opt.rmsprop(1.0, decay=decay, eps=eps)
    g = jnp.asarray([gradient], jnp.float32)
    updates, _ = tx.update(g, tx.init(g), g)
    formula = -gradient / math.sqrt((1 - decay) * gradient**2 + eps)
    stale = -gradient / math.sqrt(eps)  # dividing by the *previous* average s_0 = 0 instead
    return {
        "package": float(updates[0]),
        "formula": formula,
        "approximation": -math.copysign(1.0, gradient) / math.sqrt(1 - decay),
        "with_previous_average": stale,
        "gradient": gradient,
        "decay": decay,
    }


def _effective_rates(name: str, history: StateHistory, learning_rate: float) -> np.ndarray:
    """α/√(s_t + ε) (Adagrad, RMSprop) or α/(√ŝ_t + ε) (Adam), per step and coordinate.

    The package's defaults: ε = 1e-7 (Adagrad), 1e-8 inside the root (RMSprop),
    1e-8 outside it and β₂ = 0.999 (Adam).
    """
    state = history.states[0]
    if name == "Adagrad":
        return learning_rate / np.sqrt(state.sum_of_squares + 1e-7)
    if name == "RMSprop":
        return learning_rate / np.sqrt(state.nu + 1e-8)
    t = state.count.astype(np.float64)[:, None]
    s_hat = state.nu / (1 - 0.999**t)
    return learning_rate / (np.sqrt(s_hat) + 1e-8)


EFFECTIVE_STEPS = SPARSE_STEPS


def effective_learning_rate_figure(learning_rate: float = 0.05) -> Experiment:
    """The per-coordinate effective learning rate of Adagrad, RMSprop and Adam against t.

    All three run with the same α and their default decays on
    :func:`sparse_regression` with mini-batches of 10, *starting at the
    minimiser* ``θ*``: every gradient is mini-batch noise of a constant size, the
    regime of a long training run.  s_t is read from each optimizer's state after
    every step.  A coordinate's curve starts at its first non-zero gradient
    (before it, the step is 0 whatever the rate).  Returns the figure and, per
    method and coordinate, the final rate, plus Adagrad's slope of log-rate
    against log t over the last decade of steps.
    """
    learning_rate = _positive(learning_rate, "learning_rate")
    problem = sparse_regression()
    factories = {"Adagrad": opt.adagrad, "RMSprop": opt.rmsprop, "Adam": opt.adam}
    fig, axes = plot.figure(ncols=2, width=4.6, height=3.4)
    steps = np.arange(1, EFFECTIVE_STEPS + 1)
    numbers: dict[str, Any] = {"learning_rate": learning_rate, "steps": EFFECTIVE_STEPS}
    for i, (name, factory) in enumerate(factories.items()):
        history = record_states(
            factory, problem, EFFECTIVE_STEPS, batch_size=SPARSE_BATCH, seed=2,
            x0=problem.minima[0], learning_rate=learning_rate,
        )  # fmt: skip
        rates = _effective_rates(name, history, learning_rate)
        seen = np.cumsum(np.abs(np.diff(history.params, axis=0)) > 0, axis=0) > 0
        rates = np.where(seen, rates, np.nan)
        for coordinate, ax in enumerate(axes):
            ax.plot(steps, rates[:, coordinate], color=plot.color(i), lw=1.2, label=name)
            numbers[f"{name}_{coordinate + 1}"] = float(rates[-1, coordinate])
        if name == "Adagrad":
            late = steps >= EFFECTIVE_STEPS // 10
            numbers["adagrad_slope"] = float(
                np.polyfit(np.log(steps[late]), np.log(rates[late, 0]), 1)[0]
            )
        if name == "RMSprop":
            late = steps >= EFFECTIVE_STEPS // 10
            numbers["rmsprop_rare_max"] = float(np.nanmax(rates[late, 1]))
            numbers["rmsprop_rare_min"] = float(np.nanmin(rates[late, 1]))
    for coordinate, ax in enumerate(axes):
        ax.axhline(learning_rate, color="0.5", lw=0.8, ls=":")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("step t")
        ax.set_xlim(1, EFFECTIVE_STEPS)
        kind = "common feature" if coordinate == 0 else "rare feature"
        ax.set_title(f"θ{'₁₂'[coordinate]} ({kind})", fontsize=10)
    axes[0].set_ylabel("effective learning rate")
    axes[0].legend(fontsize=9, loc="lower left")
    return Experiment(fig, numbers)


# --------------------------------------------------------------------------
# Adadelta
# --------------------------------------------------------------------------


def adadelta_first_step(gradient: float = 0.5, rho: float = 0.9, eps: float = 1e-6) -> dict:
    """Adadelta's first step, from the package and from the formula.

    With s_0 = x_0 = 0: ``Δ_1 = √ε/√((1 − ρ) g_1² + ε) · g_1 ≈ √ε/√(1 − ρ) · sign(g_1)``,
    whatever the size of g_1: ε, not a learning rate, sets the first step.
    """
    rho = _decay(rho, "rho")
    eps = _positive(eps, "eps")
    tx = opt.adadelta(rho=rho, eps=eps)
    g = jnp.asarray([gradient], jnp.float32)
    updates, _ = tx.update(g, tx.init(g), g)
    return {
        "package": float(updates[0]),
        "formula": -math.sqrt(eps) / math.sqrt((1 - rho) * gradient**2 + eps) * gradient,
        "approximation": -math.copysign(math.sqrt(eps / (1 - rho)), gradient),
        "gradient": gradient,
        "rho": rho,
        "eps": eps,
    }


ADADELTA_EPS = (1e-8, 1e-6, 1e-4)


def adadelta_figure(
    where: str = "ill-conditioned paraboloid", eps_values=ADADELTA_EPS
) -> Experiment:
    """Adadelta (α = 1, ρ = 0.9) with several ε: paths, and step lengths against t.

    The first step is about √(ε/(1 − ρ)) long in each coordinate, and the steps
    grow from there: ε acts as Adadelta's hidden initial learning rate.
    Returns the figure and, per ε, the first step length ‖θ_1 − θ_0‖ and the gap
    L(θ_T) − L_min.
    """
    problem = landscape(where)
    fig, (plane, lengths) = plot.figure(ncols=2, width=4.4, height=3.4)
    plot.contour(plane, problem)
    plane.set_title(f"Adadelta on the {where}", fontsize=10)
    numbers: dict[str, Any] = {"steps": STEPS}
    t = np.arange(1, STEPS + 1)
    for i, eps in enumerate(eps_values):
        eps = _positive(eps, "eps")
        run = _run("adadelta", where, 1.0, eps=eps)
        label = f"ε = {eps:g}"
        plot.trajectory_line(plane, run, label, plot.color(i))
        step = np.linalg.norm(np.diff(np.asarray(run.params, np.float64), axis=0), axis=1)
        lengths.plot(t, step, color=plot.color(i), lw=1.4, label=label)
        lengths.plot(1, math.sqrt(2 * eps / 0.1), "o", color=plot.color(i), ms=5, mfc="white")
        numbers[f"first_step_{eps:g}"] = float(step[0])
        numbers[f"gap_{eps:g}"] = _gap(problem, run)
    lengths.set_xscale("log")
    lengths.set_yscale("log")
    lengths.yaxis.set_minor_locator(NullLocator())
    lengths.set_xlim(1, STEPS)
    lengths.set_xlabel("step t")
    lengths.set_title("step length ‖θ_t − θ_{t−1}‖  (○: √(2ε/(1 − ρ)))", fontsize=10)
    lengths.legend(fontsize=8, loc="lower right")
    return Experiment(fig, numbers)


# --------------------------------------------------------------------------
# Adam: the moments and their bias correction
# --------------------------------------------------------------------------


def moment_check(
    gradient: float = 0.7, b1: float = 0.9, b2: float = 0.999, steps: int = 10
) -> dict:
    """Adam's raw moments after ``steps`` steps of a constant gradient g, against the formula.

    With m_0 = s_0 = 0 and g_τ = g, ``m_t = (1 − β₁^t) g`` and ``s_t = (1 − β₂^t) g²``;
    the bias-corrected m̂_t and ŝ_t are exactly g and g².  Returns the package's
    m_t, s_t (read from the state) and the formula's.
    """
    b1, b2 = _decay(b1, "b1"), _decay(b2, "b2")
    steps = _whole(steps, "steps")
    _, states = replay(opt.scale_by_adam(b1, b2), np.full((steps, 1), gradient))
    return {
        "m": float(states.mu[-1, 0]),
        "s": float(states.nu[-1, 0]),
        "m_formula": (1 - b1**steps) * gradient,
        "s_formula": (1 - b2**steps) * gradient**2,
        "m_fraction": 1 - b1**steps,
        "s_fraction": 1 - b2**steps,
        "count": int(states.count[-1]),
        "gradient": gradient,
        "steps": steps,
    }


def bias_correction_factor(t: Any, b1: float = 0.9, b2: float = 0.999) -> np.ndarray:
    """``(1 − β₁^t)/√(1 − β₂^t)``: the uncorrected step over the corrected one, for a constant g.

    Uncorrected, ``m_t/√s_t = (1 − β₁^t) g / (√(1 − β₂^t) |g|)``; corrected, ``m̂_t/√ŝ_t =
    sign(g)``.  Above 1 the uncorrected step is longer, below 1 shorter.
    """
    b1, b2 = _decay(b1, "b1"), _decay(b2, "b2")
    if b2 == 0.0:
        raise ValueError("b2 must be > 0 for a bias-correction factor")
    t = np.asarray(t, np.float64)
    if np.any(t < 1):
        raise ValueError("t must be >= 1")
    return (1 - b1**t) / np.sqrt(1 - b2**t)


class _BiasPanels:
    """Paths of Adam with and without bias correction, the factor curve, and the losses."""

    LABELS = ("Adam", "Adam, no bias correction")

    def __init__(self, problem: Problem):
        self.problem = problem
        self.figure, (self.plane, self.factor, self.losses) = plot.figure(
            ncols=3, width=3.7, height=3.4
        )
        plot.contour(self.plane, problem)
        self.plane.set_title(problem.name, fontsize=10)
        self.factor.axhline(1.0, color="0.5", lw=0.8, ls=":")
        self.factor.set_xscale("log")
        self.factor.set_yscale("log")
        self.factor.set_xlim(1, STEPS)
        self.factor.set_ylim(0.1, 100)
        self.factor.set_xlabel("step t")
        self.factor.set_title("uncorrected ÷ corrected step (constant g)", fontsize=10)
        self.factor.yaxis.set_minor_locator(NullLocator())
        (self.factor_line,) = self.factor.plot([], [], color=plot.color(1), lw=1.8)
        (self.first,) = self.factor.plot([], [], "o", color=plot.color(1), mfc="white", ms=6)
        (self.peak,) = self.factor.plot([], [], "v", color="black", ms=6)
        self.note = self.factor.text(
            0.97, 0.97, "", transform=self.factor.transAxes, ha="right", va="top", fontsize=9
        )
        self.losses.set_title("L(θ_t) − L_min", fontsize=10)
        self.paths: dict[str, Any] = {}
        self.curves: dict[str, Any] = {}
        self.messages: dict[str, Any] = {}

    def draw(self, result) -> None:
        runs, t, factor = result
        if not self.paths:
            for i, label in enumerate(self.LABELS):
                color = plot.color(i)
                self.paths[label] = plot.trajectory_line(self.plane, runs[label], label, color)
                self.curves[label] = plot.loss_curve(
                    self.losses, runs[label], label, color, self.problem.min_value
                )
                self.messages[label] = plot.divergence_message(
                    self.plane, runs[label], label, color=color, row=i
                )
            self.losses.legend(fontsize=8, loc="lower left")
        for label in self.LABELS:
            plot.update_trajectory_line(self.paths[label], runs[label])
            plot.update_loss_curve(self.curves[label], runs[label], self.problem.min_value)
            plot.update_divergence_message(self.messages[label], runs[label], label)
        plot.set_loss_axis_limits(self.losses, list(self.curves.values()))
        self.factor_line.set_data(t, factor)
        self.first.set_data([1.0], [factor[0]])
        top = int(np.argmax(factor))
        self.peak.set_data([t[top]], [factor[top]])
        peak = (
            f"largest: ×{factor[top]:.3g} at t = {t[top]:g}" if top < len(t) - 1 else "rises to ×1"
        )
        self.note.set_text(f"t = 1: ×{factor[0]:.3g}\n{peak}")


def bias_correction_widget(
    b1: float = 0.9,
    one_minus_b2: float = 1e-3,
    learning_rate: float = 0.1,
    where: str = "ill-conditioned paraboloid",
    frames: int | None = 9,
) -> widgets.Interactive:
    """Adam with and without bias correction, with sliders for β₁, 1 − β₂ and α.

    The middle panel is :func:`bias_correction_factor`: at t = 1 the uncorrected
    step is (1 − β₁)/√(1 − β₂) times the corrected one — tiny for β₂ = 0.9,
    3.16 times longer for the default β₂ = 0.999.  The rendered site explores 1 − β₂
    over ``frames`` values (9, from 10⁻⁴ to 10⁻¹), precomputed here;
    ``None`` leaves it to the first display.
    """
    problem = landscape(where)
    panels = _BiasPanels(problem)
    t = np.arange(1, STEPS + 1, dtype=np.float64)

    def compute(b1: float, one_minus_b2: float, learning_rate: float):
        b2 = 1.0 - float(one_minus_b2)
        hyper = {"learning_rate": float(learning_rate), "b1": float(b1), "b2": b2}
        runs = {
            "Adam": _run("adam", where, **hyper),
            "Adam, no bias correction": _run("adam_no_correction", where, **hyper),
        }
        return runs, t, bias_correction_factor(t, b1, b2)

    controls = {
        "b1": widgets.slider("β₁", b1, 0.0, 0.99, 0.01),
        "one_minus_b2": widgets.log_slider("1 − β₂", one_minus_b2, -4, -1, 0.25),
        "learning_rate": widgets.log_slider("α", learning_rate, -3, 0),
    }
    widget = widgets.interactive(
        compute, panels.draw, controls, panels.figure, static="one_minus_b2"
    )
    widget.panels = panels
    if frames is not None:
        widget.static_html(frames=_whole(frames, "frames", 2))
    return widget


# --------------------------------------------------------------------------
# AdaMax and Nadam
# --------------------------------------------------------------------------


def replay(tx: GradientTransformation, grads: Any) -> tuple[np.ndarray, Any]:
    """Feed a given sequence of gradients (stacked along axis 0) through ``tx``.

    One compiled ``lax.scan``; returns the updates and the states after every
    step, as NumPy arrays.  The checks of the chapter compare these with the
    formulas.
    """

    def run(grads):
        def step(state, g):
            updates, state = tx.update(g, state)
            return state, (updates, state)

        return jax.lax.scan(step, tx.init(grads[0]), grads)[1]

    updates, states = jax.jit(run)(jnp.asarray(grads, jnp.float32))
    return np.asarray(updates, np.float64), jax.tree_util.tree_map(np.asarray, states)


def _random_gradients(steps: int, seed: int) -> jax.Array:
    """``steps`` gradients of a 3-vector, heavy-tailed so that maxima matter."""
    rng = np.random.default_rng(seed)
    return jnp.asarray(rng.standard_t(3, size=(steps, 3)), jnp.float32)


def adamax_check(b2: float = 0.999, eps: float = 1e-8, steps: int = 50, seed: int = 0) -> dict:
    """AdaMax's u_t from the package's state against ``max_τ≤t β₂^{t−τ} (|g_τ| + ε)``.

    The recursion ``u_t = max(β₂ u_{t−1}, |g_t| + ε)`` from u_0 = 0 unrolls to that
    maximum, the limit p → ∞ of ``((1 − β₂^p) Σ β₂^{p(t−τ)} |g_τ|^p)^{1/p}``.
    Returns the largest relative difference over all steps and coordinates.
    """
    b2 = _decay(b2, "b2")
    grads = np.asarray(_random_gradients(_whole(steps, "steps"), seed), np.float64)
    _, states = replay(opt.scale_by_adamax(b2=b2, eps=eps), grads)
    worst = 0.0
    for t in range(1, steps + 1):
        weights = b2 ** np.arange(t - 1, -1, -1, dtype=np.float64)[:, None]
        expected = np.max(weights * (np.abs(grads[:t]) + eps), axis=0)
        worst = max(worst, float(np.max(np.abs(states.nu[t - 1] - expected) / expected)))
    return {"relative_difference": worst, "steps": steps}


def nadam_check(b1: float = 0.9, b2: float = 0.999, steps: int = 20, seed: int = 1) -> dict:
    """Nadam's update from the package against the formula, at every one of ``steps`` steps.

    ``m̄_t = β₁ m_t/(1 − β₁^{t+1}) + (1 − β₁) g_t/(1 − β₁^t)`` and
    ``u_t = −α m̄_t/(√ŝ_t + ε)`` with α = 1, m_t and s_t Adam's moments.
    Returns the largest relative difference.
    """
    b1, b2 = _decay(b1, "b1"), _decay(b2, "b2")
    grads = np.asarray(_random_gradients(_whole(steps, "steps"), seed), np.float64)
    updates, _ = replay(opt.nadam(1.0, b1=b1, b2=b2), grads)
    m = s = np.zeros(3)
    worst = 0.0
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        s = b2 * s + (1 - b2) * g**2
        m_bar = b1 * m / (1 - b1 ** (t + 1)) + (1 - b1) * g / (1 - b1**t)
        expected = -m_bar / (np.sqrt(s / (1 - b2**t)) + 1e-8)
        worst = max(worst, float(np.max(np.abs(updates[t - 1] - expected) / np.abs(expected))))
    return {"relative_difference": worst, "steps": steps}


# --------------------------------------------------------------------------
# AMSGrad: Reddi, Kale and Kumar's counterexample
# --------------------------------------------------------------------------


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
    C = _positive(C, "C")
    if C <= 2:
        raise ValueError(f"C must be > 2 (else x = −1 is not the unique best point), got {C}")
    b2 = 1.0 / (1.0 + C**2) if b2 is None else b2
    b1, b2 = _decay(b1, "b1"), _decay(b2, "b2")
    f32 = functools.partial(jnp.asarray, dtype=jnp.float32)
    xs, gs = _online(
        make_optimizer, _whole(steps, "steps"), f32(C), f32(_positive(learning_rate, "learning_rate")),
        f32(b1), f32(b2), f32(x0),
    )  # fmt: skip
    xs, gs = np.asarray(xs, np.float64), np.asarray(gs, np.float64)
    played = np.cumsum(gs * xs[:-1])
    best = -np.abs(np.cumsum(gs))  # min over [−1, 1] of (Σ g_τ) x
    t = np.arange(1, len(gs) + 1)
    return OnlineRun(xs, gs, (played - best) / t)


def amsgrad_counterexample_figure(
    C: float = 3.0, steps: int = 3000, learning_rate: float = 0.5
) -> Experiment:
    """Adam drifts to x = +1, AMSGrad converges to the optimum x = −1.

    Both are the package's optimizers (bias correction and ε = 1e-8 included)
    with β₁ = 0, β₂ = 1/(1 + C²) and α_t = α/√t, in :func:`online_run`.
    Returns the figure (x_t and the average regret R_t/t) and the end points.
    """
    runs = {
        "Adam": online_run(opt.adam, C, steps, learning_rate),
        "AMSGrad": online_run(opt.amsgrad, C, steps, learning_rate),
    }
    fig, (xs_ax, regret_ax) = plot.figure(ncols=2, width=4.6, height=3.2)
    t = np.arange(steps + 1)
    for i, (label, run) in enumerate(runs.items()):
        xs_ax.plot(t, run.x, color=plot.color(i), lw=1.2, label=label)
        regret_ax.plot(t[1:], run.average_regret, color=plot.color(i), lw=1.5, label=label)
    limit = 2 * (C - 2) / 3
    regret_ax.axhline(limit, color="0.4", lw=0.8, ls="--")
    regret_ax.text(
        steps, limit + 0.15, f"2(C − 2)/3 = {limit:.3g}", ha="right", va="bottom", fontsize=9
    )
    xs_ax.axhline(-1.0, color="0.4", lw=0.8, ls="--")
    xs_ax.set_ylim(-1.1, 1.1)
    xs_ax.set_xscale("log")
    xs_ax.set_xlim(1, steps)
    xs_ax.set_xlabel("round t")
    xs_ax.set_title("the point x_t (optimum: x = −1)", fontsize=10)
    xs_ax.legend(fontsize=9, loc="center right")
    regret_ax.set_xscale("log")
    regret_ax.set_xlim(1, steps)
    regret_ax.set_xlabel("round t")
    regret_ax.set_title("average regret R_t / t", fontsize=10)
    numbers = {
        "C": C,
        "b2": 1 / (1 + C**2),
        "steps": steps,
        "learning_rate": learning_rate,
        "adam_final_x": float(runs["Adam"].x[-1]),
        "amsgrad_final_x": float(runs["AMSGrad"].x[-1]),
        "adam_regret": float(runs["Adam"].average_regret[-1]),
        "amsgrad_regret": float(runs["AMSGrad"].average_regret[-1]),
        "regret_limit": limit,
    }
    return Experiment(fig, numbers)


# --------------------------------------------------------------------------
# AdamW: decoupled weight decay
# --------------------------------------------------------------------------


def lockstep_paths(
    factories: Sequence[Callable[..., GradientTransformation]],
    problem: Problem,
    steps: int = STEPS,
    **hyperparameters: Any,
) -> list[np.ndarray]:
    """Run several optimizers side by side on a deterministic problem, in one compiled scan.

    Each ``factory(**hyperparameters)`` starts from ``problem.start`` and takes
    ``steps`` steps on ``problem.loss_fn``; returns each path θ_0 … θ_T as a
    ``(steps + 1, d)`` array.  One program for all of them compiles about twice
    as fast as one per optimizer.
    """
    if problem.stochastic:
        raise ValueError(f"problem must be deterministic, got the stochastic {problem.name!r}")
    steps = _whole(steps, "steps")
    hyper = {k: jnp.asarray(v, jnp.float32) for k, v in hyperparameters.items()}

    def run(x0, args, hyper):
        txs = [factory(**hyper) for factory in factories]

        def step(carry, _):
            carry = tuple(
                _step(tx, problem.loss_fn, args, params, state)
                for tx, (params, state) in zip(txs, carry, strict=True)
            )
            return carry, tuple(params for params, _ in carry)

        init = tuple((x0, tx.init(x0)) for tx in txs)
        return jax.lax.scan(step, init, None, length=steps)[1]

    x0 = jnp.asarray(problem.start, jnp.float32)
    paths = jax.jit(run)(x0, tuple(problem.args), hyper)
    start = np.asarray(x0, np.float64)[None]
    return [np.concatenate([start, np.asarray(p, np.float64)]) for p in paths]


def _step(tx, loss, args, params, state):
    grads = jax.grad(loss)(params, *args)
    updates, state = tx.update(grads, state, params)
    return opt.apply_updates(params, updates), state


def weight_decay_identity(
    learning_rate: float = 0.01,
    weight_decay: float = 0.1,
    where: str = "ill-conditioned paraboloid",
) -> dict:
    """L2 regularisation against decoupled weight decay, for SGD and for Adam.

    Runs :data:`STEPS` steps of each pair on a landscape (with :func:`lockstep_paths`)
    and returns the largest coordinate difference of the two paths: 0 up to
    round-off for SGD (:func:`sgd_l2` against :func:`sgd_decoupled_weight_decay`),
    clearly not 0 for Adam (:func:`adam_l2` against the package's ``adamw``).
    """
    sgd_a, sgd_b, adam_a, adam_b = lockstep_paths(
        (registry.sgd_l2, registry.sgd_decoupled_weight_decay, registry.adam_l2, opt.adamw), landscape(where),
        learning_rate=_positive(learning_rate, "learning_rate"),
        weight_decay=_positive(weight_decay, "weight_decay"),
    )  # fmt: skip
    return {
        "sgd": float(np.max(np.abs(sgd_a - sgd_b))),
        "adam": float(np.max(np.abs(adam_a - adam_b))),
        "learning_rate": learning_rate,
        "weight_decay": weight_decay,
        "steps": STEPS,
    }


DIGITS_SIZES = (64, 32, 10)
DIGITS_STEPS = 300
DIGITS_BATCH = 64


@functools.cache
def _digits_setup():
    """The digits data, the initial MLP (64–32–10) and which input pixels are always blank."""
    digits = data.digits()
    params = init_mlp_numpy(DIGITS_SIZES)
    blank = np.all(np.asarray(digits.x_train) == 0, axis=0)
    return digits, params, blank


def _train_digits(factory, **hyper) -> nn.TrainingResult:
    digits, params, _ = _digits_setup()
    hyper = {k: float(v) for k, v in hyper.items()}
    return nn.train(
        factory, params, digits, DIGITS_STEPS, DIGITS_BATCH, jax.random.PRNGKey(1), **hyper
    )


def weight_decay_digits_figure(
    learning_rate: float = 0.01, weight_decay: float = 0.01
) -> Experiment:
    """Adam + L2 against AdamW on the digits MLP: what the decay does to each weight.

    The first layer's weights from pixels that are blank in every image get no
    gradient from the data, only the decay.  AdamW shrinks them by exactly
    (1 − αλ_wd) per step; Adam + L2 divides their decay gradient λ_wd θ by its own
    root mean square and takes full steps of about α, wiping them out.  Returns
    the figure (norms relative to the same run without decay) and the numbers.
    All three runs (and the reference without decay) are :func:`adam_weight_decay`:
    one compiled training program.
    """
    learning_rate = _positive(learning_rate, "learning_rate")
    weight_decay = _positive(weight_decay, "weight_decay")
    _, params, blank = _digits_setup()

    def norms(p):
        w = np.asarray(p[0]["w"], np.float64)
        return np.linalg.norm(w[blank]), np.linalg.norm(w[~blank])

    hyper = {"learning_rate": learning_rate, "weight_decay": weight_decay}
    runs = {
        "Adam + L2": _train_digits(registry.adam_weight_decay, **hyper, decoupled=0.0),
        "AdamW": _train_digits(registry.adam_weight_decay, **hyper, decoupled=1.0),
    }
    reference = _train_digits(
        registry.adam_weight_decay, **{**hyper, "weight_decay": 0.0}, decoupled=1.0
    )
    free = norms(reference.params)
    w_free = np.asarray(reference.params[0]["w"], np.float64)
    w_init = np.asarray(params[0]["w"], np.float64)
    fig, ax = plot.figure(ncols=1, width=6.0, height=3.2)
    groups = ("weights from the blank pixels", "weights from the other pixels")
    x = np.arange(len(groups))
    numbers: dict[str, Any] = {
        "blank_pixels": int(blank.sum()),
        "steps": DIGITS_STEPS,
        "learning_rate": learning_rate,
        "weight_decay": weight_decay,
        "predicted_adamw_blank": (1 - learning_rate * weight_decay) ** DIGITS_STEPS,
        "no_decay_accuracy": reference.val_accuracy,
        "no_decay_blank_change": float(np.max(np.abs(w_free[blank] - w_init[blank]))),
    }
    for i, (label, run) in enumerate(runs.items()):
        blank_norm, other_norm = norms(run.params)
        ratios = (float(blank_norm / free[0]), float(other_norm / free[1]))
        bars = ax.bar(x + (i - 0.5) * 0.36, ratios, 0.34, color=plot.color(i), label=label)
        ax.bar_label(bars, [f"{r:.2g}" for r in ratios], fontsize=9, padding=2)
        key = "adam_l2" if i == 0 else "adamw"
        numbers[f"{key}_blank"] = ratios[0]
        numbers[f"{key}_other"] = ratios[1]
        numbers[f"{key}_accuracy"] = run.val_accuracy
    ax.axhline(
        numbers["predicted_adamw_blank"], color="0.3", lw=0.8, ls=":",
        label=f"(1 − αλ_wd)^{DIGITS_STEPS} = {numbers['predicted_adamw_blank']:.3g}",
    )  # fmt: skip
    ax.set_xticks(x, groups)
    ax.set_ylim(0, 1.3)
    ax.set_ylabel("norm ÷ norm without decay")
    ax.set_title(
        f"first-layer weights after {DIGITS_STEPS} steps, α = {learning_rate:g}, "
        f"λ_wd = {weight_decay:g}", fontsize=10,
    )  # fmt: skip
    ax.legend(fontsize=9, loc="upper left", ncols=3)
    return Experiment(fig, numbers)


# --------------------------------------------------------------------------
# RAdam: the variance of the adaptive learning rate
# --------------------------------------------------------------------------


def radam_rho(t: Any, b2: float = 0.999) -> np.ndarray:
    """``ρ_t = ρ_∞ − 2t β₂^t/(1 − β₂^t)`` with ``ρ_∞ = 2/(1 − β₂) − 1`` (float64)."""
    b2 = _decay(b2, "b2")
    if b2 == 0.0:
        raise ValueError("b2 must be > 0")
    t = np.asarray(t, np.float64)
    if np.any(t < 1):
        raise ValueError("t must be >= 1")
    rho_inf = 2.0 / (1.0 - b2) - 1.0
    return rho_inf - 2.0 * t * b2**t / (1.0 - b2**t)


def radam_rectifier(t: Any, b2: float = 0.999) -> np.ndarray:
    """``r_t = √((ρ_t − 4)(ρ_t − 2) ρ_∞ / ((ρ_∞ − 4)(ρ_∞ − 2) ρ_t))``, NaN where ρ_t ≤ 4."""
    rho = radam_rho(t, b2)
    rho_inf = 2.0 / (1.0 - b2) - 1.0
    ratio = (rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho)
    return np.sqrt(np.where(rho > 4, ratio, np.nan))


def radam_switch_step(b2: float = 0.999, threshold: float = 4.0, strict: bool = True) -> int:
    """The first step t whose ρ_t exceeds ``threshold`` (``>`` if ``strict``, else ``≥``).

    The paper (Liu et al. 2020) rectifies when ρ_t > 4; its reference code,
    optax and the package when ρ_t ≥ 5.
    """
    rho_inf = 2.0 / (1.0 - _decay(b2, "b2")) - 1.0
    if not threshold < rho_inf:
        raise ValueError(f"threshold must be below ρ_∞ = {rho_inf:g}, got {threshold}")
    t = np.arange(1, 100_000)
    rho = radam_rho(t, b2)
    above = rho > threshold if strict else rho >= threshold
    return int(t[np.argmax(above)])


def adaptive_rate_variance(
    steps: int = 200, samples: int = 20000, b2: float = 0.999, seed: int = 0
) -> dict[str, np.ndarray]:
    """Monte Carlo variance of the adaptive learning rate ψ_t = 1/√ŝ_t for g_τ ~ N(0, 1).

    ŝ_t is Adam's bias-corrected second moment of ``samples`` independent
    gradient sequences; returns t, Var[ψ_t], Var[r_t ψ_t] (NaN where ρ_t ≤ 4) and
    Liu et al.'s approximation ``Var[ψ_t] ≈ ρ_t/(2(ρ_t − 2)(ρ_t − 4))`` (σ = 1).
    """
    rng = np.random.default_rng(_whole(seed, "seed", 0))
    steps, samples = _whole(steps, "steps"), _whole(samples, "samples", 2)
    s = np.zeros(samples)
    variance = np.empty(steps)
    for t in range(1, steps + 1):
        s = b2 * s + (1 - b2) * rng.standard_normal(samples) ** 2
        variance[t - 1] = np.var(1.0 / np.sqrt(s / (1 - b2**t)))
    t = np.arange(1, steps + 1)
    rho = radam_rho(t, b2)
    with np.errstate(divide="ignore", invalid="ignore"):
        approximation = np.where(rho > 4, rho / (2 * (rho - 2) * (rho - 4)), np.nan)
    rho_inf = 2.0 / (1.0 - b2) - 1.0
    return {
        "t": t,
        "variance": variance,
        "rectified": radam_rectifier(t, b2) ** 2 * variance,
        "approximation": approximation,
        "limit": rho_inf / (2 * (rho_inf - 2) * (rho_inf - 4)),
    }


def radam_figure(b2: float = 0.999) -> Experiment:
    """ρ_t and the two thresholds; the rectifier r_t; the variance of ψ_t with and without it."""
    fig, (rho_ax, r_ax, var_ax) = plot.figure(ncols=3, width=3.6, height=3.3)
    t = np.arange(1, 13)
    rho = radam_rho(t, b2)
    paper, code = radam_switch_step(b2, 4.0, True), radam_switch_step(b2, 5.0, False)
    rho_ax.plot(t, rho, "o-", color=plot.color(1), ms=4, lw=1.2)
    thresholds = [
        (4.0, "paper: ρ_t > 4", paper, plot.color(0)),
        (5.0, "code: ρ_t ≥ 5", code, plot.color(2)),
    ]
    for value, name, step, color in thresholds:
        rho_ax.axhline(value, color=color, lw=1.0, ls="--", label=f"{name} from t = {step}")
        rho_ax.plot(step, radam_rho(step, b2), "o", ms=9, mfc="none", mec=color, mew=1.6)
    rho_ax.set_xlabel("step t")
    rho_ax.set_title(f"ρ_t for β₂ = {b2:g} (ρ_∞ = {2 / (1 - b2) - 1:g})", fontsize=10)
    rho_ax.legend(fontsize=8, loc="upper left")
    long = np.unique(np.logspace(0, 5, 400).astype(int))
    r_ax.plot(long, radam_rectifier(long, b2), color=plot.color(1), lw=1.6)
    r_ax.set_xscale("log")
    r_ax.set_ylim(0, 1.05)
    r_ax.set_xlim(1, long[-1])
    r_ax.set_xlabel("step t")
    r_ax.set_title("rectifier r_t", fontsize=10)
    mc = adaptive_rate_variance(b2=b2)
    var_ax.plot(
        mc["t"], mc["variance"], color=plot.color(0), lw=1.4, label="Var[ψ_t] (Monte Carlo)"
    )
    approximation = "ρ_t / (2(ρ_t − 2)(ρ_t − 4))"
    var_ax.plot(mc["t"], mc["approximation"], color="black", lw=0.9, ls=":", label=approximation)
    var_ax.plot(mc["t"], mc["rectified"], color=plot.color(1), lw=1.4, label="Var[r_t ψ_t]")
    var_ax.axhline(mc["limit"], color="0.5", lw=0.8, ls="--")
    var_ax.set_xscale("log")
    var_ax.set_yscale("log")
    var_ax.yaxis.set_minor_locator(NullLocator())
    var_ax.set_ylim(1e-5, 1e3)
    var_ax.set_xlim(1, mc["t"][-1])
    var_ax.set_xlabel("step t")
    var_ax.set_title("variance of ψ_t = 1/√ŝ_t, g ~ N(0, 1)", fontsize=10)
    var_ax.legend(fontsize=7.5, loc="upper right")
    numbers = {
        "b2": b2,
        "rho_inf": 2 / (1 - b2) - 1,
        "paper_step": paper,
        "code_step": code,
        "rho_paper_step": float(radam_rho(paper, b2)),
        "rho_before_paper_step": float(radam_rho(paper - 1, b2)),
        "rho_code_step": float(radam_rho(code, b2)),
        "r_paper_step": float(radam_rectifier(paper, b2)),
        "r_code_step": float(radam_rectifier(code, b2)),
        "r_1000": float(radam_rectifier(1000, b2)),
        "t_r_half": int(long[np.argmax(radam_rectifier(long, b2) >= 0.5)]),
        "variance_1": float(mc["variance"][0]),
        "variance_10": float(mc["variance"][9]),
        "variance_last": float(mc["variance"][-1]),
        "rectified_max": float(np.nanmax(mc["rectified"])),
        "variance_limit": float(mc["limit"]),
        "mc_steps": int(mc["t"][-1]),
    }
    return Experiment(fig, numbers)


# --------------------------------------------------------------------------
# AdaBound and AMSBound
# --------------------------------------------------------------------------


def adabound_bounds(
    t: Any, final_lr: float = 0.1, gamma: float = 1e-3
) -> tuple[np.ndarray, np.ndarray]:
    """``η_l(t) = α*(1 − 1/(γt + 1))`` and ``η_u(t) = α*(1 + 1/(γt))``, ``α* = final_lr``."""
    final_lr, gamma = _positive(final_lr, "final_lr"), _positive(gamma, "gamma")
    t = np.asarray(t, np.float64)
    if np.any(t < 1):
        raise ValueError("t must be >= 1")
    return final_lr * (1 - 1 / (gamma * t + 1)), final_lr * (1 + 1 / (gamma * t))


def _adabound_rates(
    history: StateHistory, learning_rate, final_lr, gamma, b1=0.9, b2=0.999, eps=1e-8
):
    """Adam's per-coordinate rate ``α√(1 − β₂^t)/((1 − β₁^t)(√s_t + ε))`` and its clipped value."""
    state = history.states[1]  # chain(add_decayed_weights, scale_by_adabound, scale(−1))
    t = state.count.astype(np.float64)[:, None]
    raw = learning_rate * np.sqrt(1 - b2**t) / ((1 - b1**t) * (np.sqrt(state.nu) + eps))
    lower, upper = adabound_bounds(t, final_lr, gamma)
    return raw, np.clip(raw, lower, upper)


ADABOUND_STEPS = SPARSE_STEPS


def adabound_figure(
    learning_rate: float = 1e-3, final_lr: float = 0.1, gamma: float = 1e-3
) -> Experiment:
    """The bounds against t, and the clipped per-coordinate rates of a run.

    Left: η_l(t) and η_u(t) for γ = ``gamma`` (and 10γ), closing in on
    ``α* = final_lr``.  Right: AdaBound on :func:`sparse_regression` (mini-batches of
    10): each coordinate's Adam rate (dashed) and the clipped rate it actually
    uses (solid), inside the band.  Checks the package's update against
    ``−η_t ⊙ m_t`` along the way (``numbers["update_difference"]``).
    """
    learning_rate = _positive(learning_rate, "learning_rate")
    fig, (bound_ax, rate_ax) = plot.figure(ncols=2, width=4.6, height=3.4)
    long = np.logspace(0, 6, 300)
    for i, g in enumerate((gamma, 10 * gamma)):
        lower, upper = adabound_bounds(long, final_lr, g)
        style = "-" if i == 0 else "--"
        bound_ax.plot(long, upper, style, color=plot.color(0), lw=1.4, label=f"η_u(t), γ = {g:g}")
        bound_ax.plot(long, lower, style, color=plot.color(1), lw=1.4, label=f"η_l(t), γ = {g:g}")
    bound_ax.axhline(final_lr, color="0.3", lw=0.8, ls=":")
    bound_ax.set_xscale("log")
    bound_ax.set_yscale("log")
    bound_ax.yaxis.set_minor_locator(NullLocator())
    bound_ax.set_xlim(1, long[-1])
    bound_ax.set_xlabel("step t")
    bound_ax.set_title(f"the band around α* = {final_lr:g}", fontsize=10)
    bound_ax.legend(fontsize=8, loc="upper right")
    problem = sparse_regression()
    history = record_states(
        opt.adabound, problem, ADABOUND_STEPS, batch_size=SPARSE_BATCH, seed=3,
        learning_rate=learning_rate, final_lr=final_lr, gamma=gamma,
    )  # fmt: skip
    raw, clipped = _adabound_rates(history, learning_rate, final_lr, gamma)
    t = np.arange(1, ADABOUND_STEPS + 1)
    lower, upper = adabound_bounds(t, final_lr, gamma)
    rate_ax.fill_between(t, lower, upper, color="0.9", label="band [η_l, η_u]")
    for coordinate in range(2):
        name = "θ₁ (common)" if coordinate == 0 else "θ₂ (rare)"
        color = plot.color(2 + coordinate)
        rate_ax.plot(
            t, raw[:, coordinate], color=color, lw=1.0, ls="--", label=f"Adam's rate, {name}"
        )
        rate_ax.plot(t, clipped[:, coordinate], color=color, lw=1.6, label=f"clipped, {name}")
    rate_ax.set_xscale("log")
    rate_ax.set_yscale("log")
    rate_ax.yaxis.set_minor_locator(NullLocator())
    rate_ax.set_xlim(1, ADABOUND_STEPS)
    rate_ax.set_ylim(1e-4, 1e2)
    rate_ax.set_xlabel("step t")
    rate_ax.set_title(f"AdaBound's per-coordinate rate (α = {learning_rate:g})", fontsize=10)
    rate_ax.legend(fontsize=7.5, loc="upper right")
    # the package's update equals −η_t ⊙ m_t with the clipped rate
    mu = history.states[1].mu
    steps_taken = np.diff(history.params, axis=0)
    difference = np.max(np.abs(steps_taken + clipped * mu)) / np.max(np.abs(steps_taken))
    numbers = {
        "final_lr": final_lr,
        "gamma": gamma,
        "learning_rate": learning_rate,
        "steps": ADABOUND_STEPS,
        "update_difference": float(difference),
        "lower_1": float(adabound_bounds(1, final_lr, gamma)[0]),
        "upper_1": float(adabound_bounds(1, final_lr, gamma)[1]),
        "lower_end": float(lower[-1]),
        "upper_end": float(upper[-1]),
        "clipped_end": clipped[-1],
        "raw_end": raw[-1],
        # η_l ≥ 0.9 α* from t = 9/γ, η_u ≤ 1.1 α* from t = 10/γ
        "within_10_percent": math.ceil(max(9 / gamma, 10 / gamma)),
        "clipped_fraction_end": float(np.mean(clipped[-1] != raw[-1])),
    }
    return Experiment(fig, numbers)


# --------------------------------------------------------------------------
# Comparing them all
# --------------------------------------------------------------------------

COMPARED = tuple(name for name in METHODS if name != "adam_no_correction")
"""The methods the comparison widget offers (every optimizer of the chapter, SGD and momentum)."""


class _ComparisonPanels:
    """Contours and paths of the chosen methods beside their loss curves.

    A new landscape redraws the contours; a new choice of methods replaces the
    lines; a new learning rate only moves existing lines.
    """

    def __init__(self):
        self.figure, (self.plane, self.losses) = plot.figure(ncols=2, width=4.4, height=3.7)
        self.where: str | None = None
        self.artists: dict[str, tuple] = {}
        self.losses.set_title("L(θ_t) − L_min", fontsize=10)
        self.losses.set_xlabel("step t")
        self.losses.set_yscale("log")
        self.losses.set_xlim(0, STEPS)

    def _set_landscape(self, where: str) -> None:
        self.plane.clear()
        plot.contour(self.plane, landscape(where))
        self.plane.set_title(where, fontsize=10)
        self.where = where
        self.artists = {}

    def _remove_runs(self) -> None:
        for path, curve, message in self.artists.values():
            for artist in (path.path, path.end, curve, message):
                if artist.axes is not None:
                    artist.remove()
        self.artists = {}

    def draw(self, result) -> None:
        where, runs = result
        if where != self.where:
            self._remove_runs()
            self._set_landscape(where)
        if list(runs) != list(self.artists):
            self._remove_runs()
            for row, (label, run) in enumerate(runs.items()):
                color = plot.color(row)
                path = plot.trajectory_line(self.plane, run, label, color)
                (curve,) = self.losses.plot([], [], color=color, lw=1.5, label=label)
                message = plot.divergence_message(self.plane, run, label, color=color, row=row)
                self.artists[label] = (path, curve, message)
            legend = self.losses.get_legend()
            if legend is not None:
                legend.remove()
            if runs:
                self.losses.legend(fontsize=8, loc="lower left", framealpha=0.9)
        min_value = landscape(where).min_value
        for label, run in runs.items():
            path, curve, message = self.artists[label]
            plot.update_trajectory_line(path, run)
            plot.update_loss_curve(curve, run, min_value)
            plot.update_divergence_message(message, run, label)
        if runs:
            plot.set_loss_axis_limits(self.losses, [a[1] for a in self.artists.values()])


def _label(name: str) -> str:
    return METHODS[name][0]


def comparison_widget(
    methods: Sequence[str] = ("sgd", "adagrad", "rmsprop", "adam"),
    where: str = "Rosenbrock",
    static: str = "alpha_adam",
    frames: int | None = 9,
) -> widgets.Interactive:
    """Any subset of the chapter's methods on any landscape, each with its own α slider.

    Controls: ``methods`` (a multiple selection), ``where`` (the landscape) and
    ``alpha_<name>`` (a log slider per method, from :data:`LEARNING_RATES`; the
    sliders of unselected methods are hidden).  Every run is
    ``_run(name, where, α)``, as in the figures: a method compiles
    once, at its first run; landscapes and learning rates are data.  The rendered
    site explores ``static`` over ``frames`` values (9 over α's five decades),
    precomputed here; ``None`` leaves it to the first display.
    """
    for name in methods:
        if name not in COMPARED:
            raise ValueError(f"methods must be among {', '.join(COMPARED)}; got {name!r}")
    if where not in LANDSCAPES:
        raise ValueError(f"where must be one of {', '.join(LANDSCAPES)}; got {where!r}")
    chooser = ipywidgets.SelectMultiple(
        options=[(_label(n), n) for n in COMPARED], value=tuple(methods), rows=7,
        description="methods", style={"description_width": "70px"},
        layout={"width": "260px"},
    )  # fmt: skip
    dropdown = ipywidgets.Dropdown(
        options=list(LANDSCAPES), value=where, description="landscape",
        style={"description_width": "70px"}, layout={"width": "320px"},
    )  # fmt: skip
    sliders = {}
    for name in COMPARED:
        slider = widgets.log_slider(f"α {_label(name)}", LEARNING_RATES[name], -4, 1)
        slider.layout.width = "330px"
        slider.style.description_width = "120px"
        sliders[f"alpha_{name}"] = slider
    panels = _ComparisonPanels()

    # a slider move changes one method's α: the other runs are remembered, not redone
    remembered_run = functools.lru_cache(maxsize=256)(_run)

    def compute(methods, where, **alphas):
        runs = {}
        for name in methods:
            alpha = float(alphas[f"alpha_{name}"])
            runs[f"{_label(name)} (α = {alpha:.3g})"] = remembered_run(name, where, alpha)
        return where, runs

    def show_chosen_sliders(change=None) -> None:
        for name in COMPARED:
            shown = name in chooser.value
            sliders[f"alpha_{name}"].layout.display = None if shown else "none"

    controls = {"methods": chooser, "where": dropdown, **sliders}
    widget = widgets.interactive(compute, panels.draw, controls, panels.figure, static=static)
    chooser.observe(show_chosen_sliders, names="value")
    show_chosen_sliders()
    grid = ipywidgets.GridBox(
        list(sliders.values()), layout={"grid_template_columns": "repeat(2, 340px)"}
    )
    widget.widget.children = (ipywidgets.HBox([chooser, dropdown]), grid, widget.output)
    widget.panels = panels
    if frames is not None:
        widget.static_html(frames=_whole(frames, "frames", 2))
    return widget


def radam_check(b2: float = 0.999, steps: int = 30, seed: int = 2) -> dict:
    """RAdam's update against Adam's on the same gradients: the ratio is r_t once rectified.

    Before the switch (ρ_t < 5 in the package) RAdam's update is −α m̂_t; after
    it, r_t times Adam's.  Returns the largest relative deviation of each; the
    second is limited by float32: the package computes ρ_t as the difference of
    two numbers near ρ_∞, and loses a few hundredths.
    """
    grads = np.asarray(_random_gradients(_whole(steps, "steps"), seed), np.float64)
    u_radam, states = replay(opt.radam(1.0, b2=b2), grads)
    u_adam, _ = replay(opt.adam(1.0, b2=b2), grads)
    t = np.arange(1, steps + 1)
    m_hat = states[0].mu / (1 - 0.9 ** t[:, None])
    switch = radam_switch_step(b2, 5.0, strict=False)
    early, late = t < switch, t >= switch
    before = np.max(np.abs(u_radam[early] + m_hat[early]) / np.abs(m_hat[early]))
    ratio = u_radam[late] / u_adam[late]
    after = np.max(np.abs(ratio / radam_rectifier(t[late], b2)[:, None] - 1))
    return {"before": float(before), "after": float(after), "switch": switch, "steps": steps}


def loss_scaling_check(factor: float = 100.0) -> dict:
    """Adam's path on the paraboloid ``½ θᵀQθ`` and on ``factor`` times it: identical up to ε.

    Scaling the loss by c scales g_t by c, m_t by c and √s_t by c, so Adam's
    step is unchanged (ε aside); SGD's step scales by c.  Both runs use
    :func:`landscape_loss` with Q replaced by cQ (no new compilation).  Returns the
    largest coordinate difference of the two paths, for Adam (α = 0.1) and for
    SGD (α = 0.001, stable for both losses).
    """
    factor = _positive(factor, "factor")
    paraboloid = landscape("ill-conditioned paraboloid")
    index, Q = paraboloid.args
    difference = {}
    for name, alpha in (("adam", 0.1), ("sgd", 1e-3)):
        paths = [
            np.asarray(
                trajectory(
                    METHODS[name][1],
                    landscape_loss,
                    paraboloid.start,
                    STEPS,
                    loss_args=(index, c * Q),
                    learning_rate=alpha,
                    **_EXPLICIT.get(name, {}),
                ).params,
                np.float64,
            )
            for c in (1.0, factor)
        ]
        difference[name] = float(np.max(np.abs(paths[0] - paths[1])))
    return {**difference, "factor": factor, "steps": STEPS}
