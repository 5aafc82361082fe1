"""Three ways to find a downhill direction: random search, finite differences, autodiff.

* :func:`random_search` only compares loss values: propose a random step, keep
  it if the loss went down.
* :func:`forward_difference` and :func:`central_difference` estimate each
  partial derivative from loss values at nearby points, at the price of
  d + 1 or 2d evaluations of L for θ ∈ ℝᵈ.
* ``jax.grad`` (automatic differentiation) computes the exact gradient with
  one forward and one backward pass, whatever d is.

:func:`gradient_check` compares a gradient (``jax.grad`` or a hand-derived
one) with central differences, and :func:`derivative_errors` measures how
the error of a difference quotient depends on its step h.
"""

from __future__ import annotations

import functools
import math
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

__all__ = [
    "GradientCheck",
    "NumericGradient",
    "RandomSearch",
    "central_difference",
    "default_step",
    "derivative_errors",
    "forward_difference",
    "gradient_check",
    "machine_epsilon",
    "random_search",
    "relative_error",
]

METHODS = ("forward", "central")


class NumericGradient(NamedTuple):
    """A finite-difference gradient and what it cost.

    Attributes:
        gradient: the estimate of ∇L(θ), shaped like θ.
        evaluations: how many times L was evaluated (d + 1 forward, 2d central).
    """

    gradient: jax.Array
    evaluations: int


class GradientCheck(NamedTuple):
    """The outcome of :func:`gradient_check`.

    Attributes:
        relative_error: ``‖g − g_num‖ / max(‖g‖, ‖g_num‖)``.
        gradient: the gradient being checked, g.
        numeric: the finite-difference estimate g_num.
        evaluations: evaluations of L the estimate cost.
    """

    relative_error: float
    gradient: jax.Array
    numeric: jax.Array
    evaluations: int


class RandomSearch(NamedTuple):
    """The history of :func:`random_search`.

    Attributes:
        losses: the best loss found after each evaluation; ``losses[0] = L(θ₀)``,
            so ``losses[k]`` is what k + 1 evaluations of L achieved.
        theta: the best point found.
        evaluations: the number of evaluations of L, ``len(losses)``.
    """

    losses: jax.Array
    theta: jax.Array
    evaluations: int


# --------------------------------------------------------------------------
# Argument checks
# --------------------------------------------------------------------------


def _check_loss(loss: Any) -> None:
    if not callable(loss):
        raise TypeError(f"loss must be callable, got {loss!r}")


def _as_vector(theta: Any, name: str = "theta") -> jax.Array:
    try:
        vector = jnp.asarray(theta)
    except TypeError:
        raise TypeError(f"{name} must be an array of numbers, got {theta!r}") from None
    if vector.ndim != 1 or vector.size == 0:
        raise ValueError(
            f"{name} must be a non-empty vector (shape (d,)), got shape {vector.shape}"
        )
    if not jnp.issubdtype(vector.dtype, jnp.floating):
        vector = vector.astype(jnp.float32)
    return vector


def _check_method(method: Any) -> str:
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    return method


def _check_step(step: Any, name: str = "step") -> float:
    if isinstance(step, bool) or not isinstance(step, (int, float, np.number)):
        raise TypeError(f"{name} must be a number, got {step!r}")
    if not (math.isfinite(step) and step > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {step!r}")
    return float(step)


# --------------------------------------------------------------------------
# Finite differences
# --------------------------------------------------------------------------


def machine_epsilon(dtype: Any = jnp.float32) -> float:
    """ε_mach, the gap between 1 and the next number of ``dtype``: 2⁻²³ (float32), 2⁻⁵² (float64)."""
    return float(np.finfo(dtype).eps)


def default_step(method: str = "central", dtype: Any = jnp.float32) -> float:
    """The step h that minimises the error bound when L and its derivatives are of order one.

    Each computed value of L carries a relative round-off of up to ε_mach/2.
    The forward quotient's error is at most ``h/2 · |L''| + ε_mach |L| / h``,
    smallest at ``h* = √(2 ε_mach)``; the central quotient's is at most
    ``h²/6 · |L'''| + ε_mach |L| / (2h)``, smallest at ``h* = (3 ε_mach / 2)^(1/3)``.
    """
    eps = machine_epsilon(dtype)
    if _check_method(method) == "forward":
        return math.sqrt(2.0 * eps)
    return (1.5 * eps) ** (1.0 / 3.0)


@functools.partial(jax.jit, static_argnums=(0, 3))
def _difference_quotients(loss, theta, step, central):
    """All d partial difference quotients in one batched evaluation of L."""
    shifts = step * jnp.eye(theta.size, dtype=theta.dtype)
    plus = theta + shifts  # row i is θ + h eᵢ
    values = jax.vmap(loss)
    if central:
        minus = theta - shifts
        actual = jnp.diagonal(plus) - jnp.diagonal(minus)  # 2h as the computer rounds it
        return (values(plus) - values(minus)) / actual
    actual = jnp.diagonal(plus) - theta  # h as the computer rounds it
    return (values(plus) - loss(theta)) / actual


def forward_difference(loss: Callable[[Any], Any], theta: Any, step: float | None = None):
    """``gᵢ ≈ (L(θ + h eᵢ) − L(θ)) / h`` for i = 1 … d: d + 1 evaluations of L.

    The truncation error is ``h/2 · ∂²L/∂θᵢ²`` + O(h²).  ``step`` h defaults to
    :func:`default_step` for θ's dtype.  The divisor is the step as actually
    represented, ``(θᵢ + h) − θᵢ``, which removes one source of round-off.
    The d shifted points are evaluated in one batch (``jax.vmap``), so ``loss``
    must be a JAX function of a vector θ.

    Returns:
        A :class:`NumericGradient`.
    """
    _check_loss(loss)
    theta = _as_vector(theta)
    h = default_step("forward", theta.dtype) if step is None else _check_step(step)
    gradient = _difference_quotients(loss, theta, jnp.asarray(h, theta.dtype), False)
    return NumericGradient(gradient, theta.size + 1)


def central_difference(loss: Callable[[Any], Any], theta: Any, step: float | None = None):
    """``gᵢ ≈ (L(θ + h eᵢ) − L(θ − h eᵢ)) / (2h)`` for i = 1 … d: 2d evaluations of L.

    The truncation error is ``h²/6 · ∂³L/∂θᵢ³`` + O(h⁴): one power of h better
    than :func:`forward_difference`, for twice the evaluations.
    """
    _check_loss(loss)
    theta = _as_vector(theta)
    h = default_step("central", theta.dtype) if step is None else _check_step(step)
    gradient = _difference_quotients(loss, theta, jnp.asarray(h, theta.dtype), True)
    return NumericGradient(gradient, 2 * theta.size)


def relative_error(a: Any, b: Any) -> float:
    """``‖a − b‖ / max(‖a‖, ‖b‖)`` in float64: 0 when equal, ½ when one is twice the other.

    Two zero vectors have relative error 0.
    """
    a = np.asarray(a, np.float64).ravel()
    b = np.asarray(b, np.float64).ravel()
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same size, got {a.size} and {b.size}")
    scale = max(np.linalg.norm(a), np.linalg.norm(b))
    return 0.0 if scale == 0 else float(np.linalg.norm(a - b) / scale)


def gradient_check(
    loss: Callable[[Any], Any],
    theta: Any,
    gradient: Callable[[Any], Any] | None = None,
    method: str = "central",
    step: float | None = None,
) -> GradientCheck:
    """Compare a gradient with finite differences at θ.

    Args:
        loss: L, a JAX function of a vector θ.
        theta: where to check.
        gradient: the gradient function to check, e.g. a hand-derived
            ``lambda θ: Q @ θ``; default ``jax.grad(loss)``.
        method: ``"central"`` (default) or ``"forward"`` differences.
        step: the finite-difference step h (default :func:`default_step`).

    A correct gradient agrees to about the finite-difference error: roughly
    ε_mach^(2/3) with central differences, about 1e-5 in float32 and 1e-10 in
    float64.  A wrong one (a missing ½, a sign) is off by order one.
    """
    _check_loss(loss)
    theta = _as_vector(theta)
    if gradient is None:
        gradient = jax.grad(loss)
    elif not callable(gradient):
        raise TypeError(f"gradient must be callable or None, got {gradient!r}")
    difference = forward_difference if _check_method(method) == "forward" else central_difference
    numeric = difference(loss, theta, step)
    checked = jnp.asarray(gradient(theta))
    if checked.shape != theta.shape:
        raise ValueError(f"gradient(theta) must have shape {theta.shape}, got {checked.shape}")
    error = relative_error(checked, numeric.gradient)
    return GradientCheck(error, checked, numeric.gradient, numeric.evaluations)


def derivative_errors(
    f: Callable[[np.ndarray], np.ndarray],
    derivative: float,
    x: float,
    steps: Any,
    dtype: Any = np.float64,
) -> tuple[np.ndarray, np.ndarray]:
    """Relative errors of the forward and central difference quotients of a scalar f at x.

    Everything is computed in NumPy with ``dtype`` (float32 or float64):
    ``(f(x + h) − f(x)) / h`` and ``(f(x + h) − f(x − h)) / (2h)`` for each h in
    ``steps``, compared with the exact ``derivative`` f'(x).  ``f`` must keep
    the dtype of its argument (``np.exp``, ``np.sin`` …).

    Returns:
        ``(forward, central)``: arrays of ``|quotient − f'(x)| / |f'(x)|``.
    """
    if not callable(f):
        raise TypeError(f"f must be callable, got {f!r}")
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, got {dtype}")
    h = np.asarray(steps, np.float64)
    if h.ndim != 1 or h.size == 0 or not np.all(np.isfinite(h) & (h > 0)):
        raise ValueError("steps must be a non-empty 1-D sequence of finite numbers > 0")
    exact = float(derivative)
    if not math.isfinite(exact) or exact == 0:
        raise ValueError(f"derivative must be a finite non-zero number, got {derivative!r}")
    x = dtype.type(x)
    h = h.astype(dtype)
    with np.errstate(all="ignore"):
        forward = (f(x + h) - f(x)) / h
        central = (f(x + h) - f(x - h)) / (2 * h)
    if forward.dtype != dtype or central.dtype != dtype:
        raise TypeError(f"f must return {dtype} for {dtype} input, got {forward.dtype}")
    forward = np.abs(forward.astype(np.float64) - exact) / abs(exact)
    central = np.abs(central.astype(np.float64) - exact) / abs(exact)
    return forward, central


# --------------------------------------------------------------------------
# Random search
# --------------------------------------------------------------------------


@functools.partial(jax.jit, static_argnums=(0, 2))
def _random_search(loss, theta0, evaluations, key, step_size):
    d = theta0.size

    def step(carry, step_key):
        theta, value, sigma = carry
        proposal = theta + sigma * jax.random.normal(step_key, (d,), theta.dtype) / jnp.sqrt(d)
        proposed = loss(proposal)
        better = proposed < value
        theta = jnp.where(better, proposal, theta)
        value = jnp.where(better, proposed, value)
        sigma = jnp.where(better, 2.0 * sigma, sigma * 2.0**-0.25)
        return (theta, value, sigma), value

    value0 = loss(theta0)
    keys = jax.random.split(key, evaluations - 1)
    (theta, _, _), values = jax.lax.scan(step, (theta0, value0, step_size), keys)
    return jnp.concatenate([value0[None], values]), theta


def random_search(
    loss: Callable[[Any], Any],
    theta0: Any,
    evaluations: int,
    key: jax.Array,
    step_size: float = 1.0,
) -> RandomSearch:
    """(1 + 1) random search: try a random step, keep it if the loss goes down.

    From θ, propose ``θ' = θ + σ u`` with ``u ~ N(0, I/d)`` (a random direction of
    length about σ) and keep θ' if ``L(θ') < L(θ)``.  The step adapts by the
    one-fifth success rule (Rechenberg 1973): ``σ ← 2σ`` after a success,
    ``σ ← 2^(−1/4) σ`` after a failure, so σ holds steady when one proposal in
    five succeeds.  Only values of L are used, never a gradient.

    Args:
        loss: L, a JAX function of a vector θ.
        theta0: the start θ₀.
        evaluations: the budget of evaluations of L (θ₀'s included), >= 2.
        key: a ``jax.random`` key.
        step_size: the initial σ.
    """
    _check_loss(loss)
    theta0 = _as_vector(theta0, "theta0")
    if isinstance(evaluations, bool) or not isinstance(evaluations, int) or evaluations < 2:
        raise ValueError(f"evaluations must be a whole number >= 2, got {evaluations!r}")
    sigma = jnp.asarray(_check_step(step_size, "step_size"), theta0.dtype)
    losses, theta = _random_search(loss, theta0, evaluations, key, sigma)
    return RandomSearch(losses, theta, evaluations)
