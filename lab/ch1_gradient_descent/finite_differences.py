"""Sections "Finite differences: measure the slope" and "Checking a gradient".

:func:`finite_difference_errors` measures the V-shaped error of forward and central
difference quotients of ``exp`` against the step h, in float64 and float32 (NumPy);
:func:`finite_difference_figure` draws it.  :func:`gradient_check_demo` checks three
gradients of a quadratic, one of them wrong, against central differences.
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np
from matplotlib.figure import Figure

from lab import gradients, plot, problems

__all__ = [
    "DifferenceError",
    "FiniteDifferenceErrors",
    "GradientCheckDemo",
    "finite_difference_errors",
    "finite_difference_figure",
    "gradient_check_demo",
]


class DifferenceError(NamedTuple):
    """How the error of one difference quotient depends on h, in one precision.

    Attributes:
        dtype: ``"float64"`` or ``"float32"``, the precision of the arithmetic.
        method: ``"forward"`` or ``"central"``.
        machine_epsilon: ε_mach of ``dtype``.
        errors: the relative error ``|quotient − f'(x)| / |f'(x)|`` at each step of
            :attr:`FiniteDifferenceErrors.steps`.
        predicted_step: h*, the minimiser of the error bound (:func:`~lab.gradients.default_step`).
        bound: the bound at h*: ``h*/2 + ε_mach/h*`` (forward) or ``h*²/6 + ε_mach/(2h*)``
            (central), relative, for exp (whose value and derivatives are equal).
        reliable_step: the h whose *reliable error* is smallest.
        reliable_error: that error: the largest error among the seven steps nearest to h
            (within a factor 1.8 either way), what one can count on near h.
        smallest_error: the smallest error of any single step, a lucky cancellation.
        truncation_ratio: the error at h = 0.05 divided by the leading truncation
            term (h/2 or h²/6); close to 1 when truncation dominates.
    """

    dtype: str
    method: str
    machine_epsilon: float
    errors: np.ndarray
    predicted_step: float
    bound: float
    reliable_step: float
    reliable_error: float
    smallest_error: float
    truncation_ratio: float


class FiniteDifferenceErrors(NamedTuple):
    """The errors of the difference quotients of ``exp`` at x, against the step h.

    Attributes:
        x: where the derivative is taken.
        steps: the 193 steps h, log-spaced from 10⁻¹⁶ to 1.
        float64_forward, float64_central, float32_forward, float32_central: a
            :class:`DifferenceError` for each precision and method.
    """

    x: float
    steps: np.ndarray
    float64_forward: DifferenceError
    float64_central: DifferenceError
    float32_forward: DifferenceError
    float32_central: DifferenceError

    @property
    def quotients(self) -> tuple[DifferenceError, ...]:
        """The four :class:`DifferenceError`, float64 first, forward before central."""
        return self[2:]


def _leading_term(method: str, h):
    """The leading truncation error of a quotient of exp, relative: h/2 or h²/6."""
    return h / 2 if method == "forward" else h**2 / 6


def _reliable(errors: np.ndarray, window: int = 7) -> np.ndarray:
    """The largest error among the ``window`` nearest steps of each step (its upper envelope)."""
    padded = np.pad(errors, window // 2, mode="edge")
    return np.lib.stride_tricks.sliding_window_view(padded, window).max(axis=1)


def _difference_error(dtype, method: str, steps, errors, error_at_05: float) -> DifferenceError:
    """The :class:`DifferenceError` of one quotient from its errors at ``steps`` and at 0.05."""
    eps = gradients.machine_epsilon(dtype)
    h = gradients.default_step(method, dtype)
    bound = _leading_term(method, h) + (eps / h if method == "forward" else eps / (2 * h))
    reliable = _reliable(errors)
    k = int(np.argmin(reliable))
    return DifferenceError(
        dtype.__name__, method, eps, errors, h, bound, float(steps[k]), float(reliable[k]),
        float(errors.min()), float(error_at_05 / _leading_term(method, 0.05)),
    )  # fmt: skip


def finite_difference_errors(x: float = 1.0) -> FiniteDifferenceErrors:
    """The errors of forward and central quotients of ``exp`` at x, in float64 and float32.

    Computed in NumPy at 193 steps from 10⁻¹⁶ to 1, and at h = 0.05 (for the truncation ratio).
    """
    steps = np.logspace(-16, 0, 193)
    derivative = math.exp(x)
    found = []
    for dtype in (np.float64, np.float32):
        curves = gradients.derivative_errors(np.exp, derivative, x, steps, dtype)
        at_05 = gradients.derivative_errors(np.exp, derivative, x, [0.05], dtype)
        for method, errors, error_at_05 in zip(("forward", "central"), curves, at_05, strict=True):
            found.append(_difference_error(dtype, method, steps, errors, error_at_05[0]))
    return FiniteDifferenceErrors(x, steps, *found)


def _draw_precision(ax, steps: np.ndarray, forward: DifferenceError, central: DifferenceError):
    """One panel: both quotients' errors, their predicted best steps, truncation and round-off."""
    for i, quotient in enumerate((forward, central)):
        shown = np.where(quotient.errors > 0, quotient.errors, np.nan)
        ax.loglog(steps, shown, ".", markersize=3, color=plot.color(i),
                  label=f"{quotient.method} differences")  # fmt: skip
        ax.axvline(quotient.predicted_step, color=plot.color(i), linestyle="--", linewidth=1)
    truncation = steps[steps > 1e-3]
    ax.loglog(truncation, truncation / 2, "-", color="black", linewidth=0.8, label="h/2, h²/6")
    ax.loglog(truncation, truncation**2 / 6, "-", color="black", linewidth=0.8)
    eps = forward.machine_epsilon
    roundoff = steps[steps < 1e-1]
    ax.loglog(roundoff, eps / roundoff, ":", color="black", linewidth=1, label="ε_mach / h")
    ax.set_ylim(1e-17 if forward.dtype == "float64" else 1e-9, 1e1)
    ax.set_xlabel("step h")
    ax.set_ylabel("relative error of the derivative")
    ax.set_title(f"{forward.dtype}: ε_mach = {eps:.1e}")
    ax.legend(fontsize=8, loc="lower left")
    ax.minorticks_off()


def finite_difference_figure(errors: FiniteDifferenceErrors) -> Figure:
    """Section "Finite differences: measure the slope": the V-shaped error against h.

    Two panels, float64 and float32, each with the forward and central quotients'
    errors, the leading truncation terms (h/2, h²/6), the round-off term
    ε_mach/h, and the predicted best steps h* (dashed).
    """
    fig, (left, right) = plot.figure(ncols=2, width=4.6, height=3.6)
    _draw_precision(left, errors.steps, errors.float64_forward, errors.float64_central)
    _draw_precision(right, errors.steps, errors.float32_forward, errors.float32_central)
    return fig


class GradientCheckDemo(NamedTuple):
    """Three gradients of ``L(θ) = ½ θᵀQθ`` checked against central differences (float32).

    Attributes:
        autodiff: the :class:`~lab.gradients.GradientCheck` of ``jax.grad``.
        by_hand: that of the correct hand-derived gradient ``Qθ``.
        slip: that of the classic mistake ``2Qθ`` (forgetting the ½).
    """

    autodiff: gradients.GradientCheck
    by_hand: gradients.GradientCheck
    slip: gradients.GradientCheck


def gradient_check_demo(dim: int = 5, seed: int = 0) -> GradientCheckDemo:
    """Check ``jax.grad``, ``Qθ`` and ``2Qθ`` as gradients of ``½ θᵀQθ`` in ``dim`` dimensions."""
    problem = problems.quadratic_nd(eigenvalues=np.linspace(1.0, 10.0, dim), seed=seed)
    loss = functools.partial(problems.quadratic_loss, Q=problem.args[0])
    Q = problem.args[0]
    theta = jnp.asarray(problem.start)
    return GradientCheckDemo(
        autodiff=gradients.gradient_check(loss, theta),
        by_hand=gradients.gradient_check(loss, theta, lambda t: Q @ t),
        slip=gradients.gradient_check(loss, theta, lambda t: 2 * Q @ t),
    )
