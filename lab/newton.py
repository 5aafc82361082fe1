"""Newton's method: the preconditioner is the inverse Hessian, recomputed at every step.

One step minimises the second-order Taylor model of L around θ_{t−1}::

    m(θ) = L(θ_{t−1}) + g_tᵀ(θ − θ_{t−1}) + ½ (θ − θ_{t−1})ᵀ H_t (θ − θ_{t−1}),

with g_t = ∇L(θ_{t−1}) and H_t = ∇²L(θ_{t−1}).  Setting ∇m = 0 gives the step

.. math::

    θ_t = θ_{t−1} − α\\, (H_t + μ I)^{−1} g_t,

where α = 1, μ = 0 is the pure Newton step, a step size α < 1 shortens it, and a
damping μ > 0 (Levenberg 1944, Marquardt 1963) blends it with gradient descent:
for large μ the step is close to −(α/μ) g_t.  It is the preconditioned update
θ_t = θ_{t−1} − α P_t g_t with P_t = (H_t + μI)⁻¹.

:func:`newton` runs it like :func:`~lab.trajectory.trajectory` runs a
first-order optimizer: a ``jax.lax.scan`` under ``jax.jit`` with α and μ traced
(a new value does not recompile), the Hessian from ``jax.hessian``, and the same
divergence convention (the run freezes, its history is NaN from then on).
"""

from __future__ import annotations

import functools
import math
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from lab.trajectory import Trajectory, _as_argument, _host
from optimizers.tree import tree_map

__all__ = ["compilation_count", "newton", "newton_step"]


def _flat_loss(loss: Callable[..., Any], unravel: Callable[[jax.Array], Any]):
    """The loss as a function of the flattened parameter vector."""

    def flat(vector, *loss_args):
        return loss(unravel(vector), *loss_args)

    return flat


def _damped_newton_step(flat_loss, vector, loss_args, learning_rate, damping):
    """``−α (H + μI)⁻¹ g`` at ``vector`` (flat): the update that is added to θ."""
    g = jax.grad(flat_loss)(vector, *loss_args)
    H = jax.hessian(flat_loss)(vector, *loss_args)
    damped = H + damping * jnp.eye(vector.shape[0], dtype=H.dtype)
    return -learning_rate * jnp.linalg.solve(damped, g)


def newton_step(
    loss: Callable[..., Any],
    params: Any,
    *,
    learning_rate: Any = 1.0,
    damping: Any = 0.0,
    loss_args: tuple = (),
) -> Any:
    """One (damped) Newton step from ``params``: θ − α (∇²L(θ) + μI)⁻¹ ∇L(θ).

    ``params`` may be any pytree of arrays; the Hessian is taken with respect
    to all of its entries (flattened).  Not jitted: for one step by hand.
    """
    _check_callable(loss)
    _check_number(learning_rate, "learning_rate")
    _check_number(damping, "damping")
    params = tree_map(lambda x: jnp.asarray(x, jnp.float32), params)
    vector, unravel = ravel_pytree(params)
    loss_args = tuple(_as_argument(a) for a in loss_args)
    flat = _flat_loss(loss, unravel)
    update = _damped_newton_step(flat, vector, loss_args, learning_rate, damping)
    return unravel(vector + update)


@functools.partial(jax.jit, static_argnames=("loss", "steps", "unravel"))
def _run(loss, steps, unravel, x0, learning_rate, damping, loss_args, limit):
    flat_loss = _flat_loss(loss, unravel)
    loss0 = flat_loss(x0, *loss_args)
    threshold = limit * (1.0 + jnp.abs(loss0))

    def step(carry, t):
        vector, diverged_at = carry
        new = vector + _damped_newton_step(flat_loss, vector, loss_args, learning_rate, damping)
        new_loss = flat_loss(new, *loss_args)
        bad = ~(jnp.all(jnp.isfinite(new)) & jnp.isfinite(new_loss))
        bad = bad | (jnp.abs(new_loss) > threshold)
        diverged_at = jnp.where((diverged_at < 0) & bad, t, diverged_at)
        healthy = diverged_at < 0
        record = (
            jnp.where(healthy, new, jnp.nan),
            jnp.where(healthy, new_loss, jnp.nan),
        )
        return (jnp.where(healthy, new, vector), diverged_at), record

    init = (x0, jnp.asarray(-1))
    (_, diverged_at), (vectors, losses) = jax.lax.scan(step, init, jnp.arange(1, steps + 1))
    history = jnp.concatenate([x0[None], vectors])
    return jax.vmap(unravel)(history), jnp.concatenate([loss0[None], losses]), diverged_at


class _Unravel:
    """A hashable stand-in for ``ravel_pytree``'s unravel function (a jit cache key).

    Two parameter pytrees with the same structure, shapes and dtypes give equal
    keys, so a new start θ₀ of the same shape reuses the compiled program.
    """

    def __init__(self, example: Any):
        self.leaves, self.treedef = jax.tree_util.tree_flatten(example)
        self.shapes = tuple((tuple(np.shape(x)), np.dtype(x.dtype).name) for x in self.leaves)

    def ravel(self) -> Any:
        """The example as one flat vector (NumPy for NumPy leaves: no dispatch per call)."""
        if all(isinstance(x, np.ndarray) for x in self.leaves):
            return np.concatenate([x.ravel() for x in self.leaves])
        return ravel_pytree(self.treedef.unflatten(self.leaves))[0]

    def __call__(self, vector):
        # only called while tracing _run: build ravel_pytree's unravel then
        _, unravel = ravel_pytree(self.treedef.unflatten(self.leaves))
        return unravel(vector)

    def __hash__(self):
        return hash((self.treedef, self.shapes))

    def __eq__(self, other):
        return (
            isinstance(other, _Unravel)
            and self.treedef == other.treedef
            and self.shapes == other.shapes
        )


def newton(
    loss: Callable[..., Any],
    x0: Any,
    steps: int,
    *,
    learning_rate: Any = 1.0,
    damping: Any = 0.0,
    loss_args: tuple = (),
    divergence_threshold: float = 1e6,
) -> Trajectory:
    """Run (damped) Newton's method ``θ_t = θ_{t−1} − α (∇²L(θ_{t−1}) + μI)⁻¹ ∇L(θ_{t−1})``.

    Args:
        loss: ``loss(params, *loss_args)``, a scalar JAX function, twice
            differentiable.  Reuse the same function object across calls: it
            is part of the cache key.
        x0: the start θ₀, any pytree of arrays.
        steps: number of steps T.
        learning_rate: the step size α (1 for the pure Newton step), traced.
        damping: μ ≥ 0, added to the Hessian's diagonal, traced.
        loss_args: extra arrays passed to ``loss`` (traced).
        divergence_threshold: as in :func:`~lab.trajectory.trajectory`:
            the run has diverged at step t when θ_t or L(θ_t) is not finite or
            ``|L(θ_t)|`` exceeds this factor times ``1 + |L(θ₀)|``; from then
            on it is frozen and its history is NaN.  A singular ``H + μI``
            gives a non-finite step, so it counts as a divergence too.

    Returns:
        A :class:`~lab.trajectory.Trajectory` with ``steps + 1``
        entries, θ₀ included.  New values of α, μ, θ₀ (same shape) or
        ``loss_args`` reuse the compiled program.
    """
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 1:
        raise ValueError(f"steps must be a whole number >= 1, got {steps!r}")
    _check_callable(loss)
    _check_number(learning_rate, "learning_rate")
    _check_number(damping, "damping")
    _check_number(divergence_threshold, "divergence_threshold", minimum_exclusive=True)
    # NumPy arguments: jit takes them as they are, far cheaper than jnp.asarray per call
    x0 = tree_map(lambda x: _host(x, np.float32), x0)
    unravel = _Unravel(x0)
    vector = unravel.ravel()
    loss_args = tuple(_as_argument(a) for a in loss_args)
    params, losses, diverged_at = _run(
        loss,
        steps,
        unravel,
        vector,
        _host(learning_rate, np.float32),
        _host(damping, np.float32),
        loss_args,
        _host(divergence_threshold, np.float32),
    )
    diverged_at = int(diverged_at)
    return Trajectory(params, losses, None if diverged_at < 0 else diverged_at)


def compilation_count() -> int:
    """How many programs :func:`newton` has compiled so far in this process."""
    return _run._cache_size()


def _check_callable(loss) -> None:
    if not callable(loss):
        raise TypeError(f"loss must be callable, got {loss!r}")


def _check_number(value: Any, name: str, minimum_exclusive: bool = False) -> None:
    """A finite real number >= 0 (> 0 with ``minimum_exclusive``); traced values pass."""
    if isinstance(value, jax.core.Tracer):
        return
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number, jax.Array)):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    if np.ndim(value) != 0:
        raise TypeError(f"{name} must be a scalar, got an array of shape {np.shape(value)}")
    x = float(value)
    low_ok = x > 0 if minimum_exclusive else x >= 0
    if not (math.isfinite(x) and low_ok):
        bound = "> 0" if minimum_exclusive else ">= 0"
        raise ValueError(f"{name} must be a finite number {bound}, got {x}")
