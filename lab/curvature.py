"""The curvature of any loss: Hessian-vector products and the largest Hessian eigenvalue.

Near a point θ every smooth loss looks like a quadratic,
``L(θ + δ) ≈ L(θ) + ∇L(θ)ᵀδ + ½ δᵀHδ``, whose Hessian H plays the part of Q.
Gradient descent is stable on that quadratic iff ``α < 2/λ_max(H)``, so λ_max(H),
the *sharpness*, is the number to know.  H itself has d² entries (25 million
for a network of 5000 parameters), but it is never needed: the product Hv is a
directional derivative of the gradient,

    Hv = d/dε ∇L(θ + εv) at ε = 0,

which JAX computes exactly, forward-over-reverse, as ``jax.jvp`` of
``jax.grad`` (Pearlmutter 1994), for about the cost of two gradients.  Power
iteration needs nothing else: repeat ``v ← Hv/‖Hv‖`` and read off the Rayleigh
quotient ``vᵀHv`` (LeCun, Simard and Pearlmutter 1993).

Everything works on any pytree of parameters (a list of ``{"w", "b"}`` layers,
a dict …): vectors v have the same structure as θ.

Example::

    from lab import curvature, data, nn
    import jax

    digits = data.digits()
    params = nn.init_mlp(jax.random.PRNGKey(0), [64, 32, 10])
    top = curvature.largest_eigenvalue(
        nn.cross_entropy_loss, params, digits.x_train, digits.y_train
    )
    top.eigenvalue, 2 / top.eigenvalue   # λ_max, and the step it predicts as stable
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

__all__ = [
    "Eigenpair",
    "compilation_count",
    "hessian_vector_product",
    "largest_eigenvalue",
    "power_iteration",
]


class Eigenpair(NamedTuple):
    """The result of a power iteration.

    Attributes:
        eigenvalue: the estimate λ = vᵀHv (a Python float).
        vector: the unit eigenvector estimate v, a pytree like θ.
        estimates: the Rayleigh quotient after each iteration, shape ``(iterations,)``.
        residual: ``‖Hv − λv‖``, how far (v, λ) is from an exact eigenpair.  For a
            symmetric H some eigenvalue lies within ``residual`` of λ.
    """

    eigenvalue: float
    vector: Any
    estimates: jax.Array
    residual: float


# --------------------------------------------------------------------------
# Hessian-vector products
# --------------------------------------------------------------------------


def _check_loss(loss: Any) -> None:
    if not callable(loss):
        raise TypeError(f"loss must be callable, got {loss!r}")


def _check_same_structure(params: Any, vector: Any) -> None:
    params_tree = jax.tree_util.tree_structure(params)
    vector_tree = jax.tree_util.tree_structure(vector)
    if params_tree != vector_tree:
        raise ValueError(
            f"vector must have the structure of params: got {vector_tree}, expected {params_tree}"
        )
    for p, v in zip(
        jax.tree_util.tree_leaves(params), jax.tree_util.tree_leaves(vector), strict=True
    ):
        if jnp.shape(p) != jnp.shape(v):
            raise ValueError(
                f"vector must have the shapes of params: a leaf of shape {jnp.shape(v)} "
                f"stands where params has {jnp.shape(p)}"
            )


def _hvp(loss, params, vector, args):
    """Forward-over-reverse: the derivative of ∇L along ``vector`` is Hv."""
    gradient = jax.grad(lambda p: loss(p, *args))
    return jax.jvp(gradient, (params,), (vector,))[1]


_hvp_jit = jax.jit(_hvp, static_argnums=0)


def hessian_vector_product(loss: Callable[..., Any], params: Any, vector: Any, *args: Any) -> Any:
    """Hv, the Hessian of ``loss(params, *args)`` at ``params`` times ``vector``, exactly.

    Computed as ``jax.jvp(jax.grad(loss), (params,), (vector,))``: the
    directional derivative ``d/dε ∇L(θ + εv)`` at ε = 0 (forward-mode
    differentiation of the reverse-mode gradient).  It costs about two
    gradient evaluations and never forms H.

    Args:
        loss: ``loss(params, *args)``, a scalar JAX function (module-level, so
            that the compiled program is reused).
        params: θ, any pytree of arrays.
        vector: v, a pytree with the structure and shapes of ``params``.
        *args: data passed to ``loss`` after θ (a matrix Q, a batch x, y …).

    Returns:
        Hv, a pytree like ``params``.
    """
    _check_loss(loss)
    _check_same_structure(params, vector)
    return _hvp_jit(loss, params, vector, args)


# --------------------------------------------------------------------------
# Power iteration on flat vectors
# --------------------------------------------------------------------------


def _flat_hvp(loss, params, args, shift):
    """``u ↦ (H − shift·I) u`` on the flattened parameter vector."""
    flat_params, unravel = ravel_pytree(params)

    def product(u):
        hv = _hvp(loss, params, unravel(u.astype(flat_params.dtype)), args)
        return ravel_pytree(hv)[0] - shift * u

    return flat_params, unravel, product


@functools.partial(jax.jit, static_argnames=("loss", "iterations"))
def _power_iteration(loss, iterations, params, args, key, shift):
    flat_params, unravel, product = _flat_hvp(loss, params, args, shift)
    start = jax.random.normal(key, flat_params.shape, flat_params.dtype)
    start = start / jnp.linalg.norm(start)

    def step(v, _):
        w = product(v)
        estimate = jnp.vdot(v, w)  # the Rayleigh quotient vᵀ(H − shift)v of the unit vector v
        norm = jnp.linalg.norm(w)
        v_next = jnp.where(norm > 0, w / jnp.where(norm > 0, norm, 1.0), v)
        return v_next, estimate

    v, estimates = jax.lax.scan(step, start, None, length=iterations)
    w = product(v)
    eigenvalue = jnp.vdot(v, w)
    residual = jnp.linalg.norm(w - eigenvalue * v)
    return eigenvalue + shift, unravel(v), estimates + shift, residual


def _check_iterations(iterations: Any) -> int:
    if isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 1:
        raise ValueError(f"iterations must be a whole number >= 1, got {iterations!r}")
    return iterations


def _check_shift(shift: Any) -> float:
    if isinstance(shift, bool) or not isinstance(shift, (int, float)) or not math.isfinite(shift):
        raise TypeError(f"shift must be a finite number, got {shift!r}")
    return float(shift)


def power_iteration(
    loss: Callable[..., Any],
    params: Any,
    *args: Any,
    iterations: int = 100,
    key: jax.Array | None = None,
    shift: float = 0.0,
) -> Eigenpair:
    """The dominant eigenpair of H − shift·I, by power iteration on Hessian-vector products.

    Starting from a random unit vector v₀ (drawn with ``key``), each iteration
    sets ``v ← (H − shift·I)v / ‖(H − shift·I)v‖``.  The component of v along
    each eigenvector shrinks, relative to the dominant one, by the factor
    ``|λᵢ − shift| / |λ_dom − shift|`` per iteration, so v turns towards the
    eigenvector whose eigenvalue is farthest from ``shift`` — the one of
    largest *magnitude* when ``shift = 0``.  The returned eigenvalue has the
    shift added back: it is an eigenvalue of H itself.

    Args:
        loss: ``loss(params, *args)``, a scalar JAX function.
        params: the point θ at which H = ∇²L(θ) is taken, any pytree.
        *args: data passed to ``loss`` after θ.
        iterations: number of Hessian-vector products (plus one for the final check).
        key: a ``jax.random`` key for v₀ (default ``PRNGKey(0)``).
        shift: σ in H − σI (see :func:`largest_eigenvalue`).

    Returns:
        An :class:`Eigenpair` (eigenvalue, unit vector, history, residual).
    """
    _check_loss(loss)
    iterations = _check_iterations(iterations)
    shift = _check_shift(shift)
    key = jax.random.PRNGKey(0) if key is None else key
    eigenvalue, vector, estimates, residual = _power_iteration(
        loss, iterations, params, args, key, jnp.asarray(shift, jnp.float32)
    )
    return Eigenpair(float(eigenvalue), vector, estimates, float(residual))


CONVERGED = 1e-3
"""A power iteration has converged when ``‖Hv − λv‖ ≤ CONVERGED · |λ|``."""


def largest_eigenvalue(
    loss: Callable[..., Any],
    params: Any,
    *args: Any,
    iterations: int = 100,
    key: jax.Array | None = None,
) -> Eigenpair:
    """λ_max, the algebraically largest eigenvalue of the Hessian of ``loss`` at ``params``.

    Plain power iteration finds the eigenvalue of largest *magnitude*, which
    at a saddle may be a negative one, and it does not settle at all when
    the two ends of the spectrum have nearly the same magnitude.  So: run it
    once; if it converged to an eigenvalue ≥ 0, that is λ_max.  Otherwise run
    it again on H − σI with σ = −‖Hv‖ (−ρ(H) or a little above), whose
    eigenvalues λᵢ − σ are all (nearly) ≥ 0, with λ_max − σ the largest; add
    σ back.  Every Rayleigh quotient vᵀHv of a unit vector is at most λ_max,
    so of the two estimates the larger is returned.  (If λ_min < 0 is the
    dominant one and converged, σ is λ_min itself: the fastest shift.)

    ``2 / λ_max`` is the largest learning rate with which gradient descent is
    stable on the local quadratic model of the loss at ``params``.

    Args:
        loss: ``loss(params, *args)``, a scalar JAX function.
        params: θ, any pytree.
        *args: data passed to ``loss`` after θ.
        iterations: Hessian-vector products per power iteration.
        key: a ``jax.random`` key for the starting vector.

    Returns:
        An :class:`Eigenpair` for λ_max.
    """
    first = power_iteration(loss, params, *args, iterations=iterations, key=key)
    if first.eigenvalue >= 0 and first.residual <= CONVERGED * abs(first.eigenvalue):
        return first
    radius = math.hypot(first.eigenvalue, first.residual)  # ‖Hv‖ for the final unit v
    second = power_iteration(loss, params, *args, iterations=iterations, key=key, shift=-radius)
    return second if second.eigenvalue >= first.eigenvalue else first


def compilation_count() -> int:
    """How many power-iteration programs have been compiled in this process."""
    return _power_iteration._cache_size()
