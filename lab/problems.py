"""Test problems: a loss, its gradient, a start, the known minima and plotting bounds.

Every problem is a :class:`Problem`.  Its loss is a *module-level* function
``loss_fn(theta, *args)`` whose data (a matrix Q, the regression data …) are
passed as ``args``, so :func:`~lab.trajectory.trajectory` compiles it
once and every new Q, learning rate or batch size reuses the compiled program::

    from optimizers import sgd
    from lab import problems

    p = problems.quadratic(eigenvalues=(1.0, 10.0), angle=0.3)
    run = p.run(sgd, steps=50, learning_rate=0.1)

Quadratics are always ``L(θ) = ½ θᵀQθ``, so ``∇L(θ) = Qθ`` and the Hessian is Q.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

from lab.trajectory import Trajectory, trajectory

__all__ = [
    "PROBLEMS",
    "Problem",
    "beale",
    "beale_loss",
    "get",
    "himmelblau",
    "himmelblau_loss",
    "ill_conditioned_paraboloid",
    "linear_regression",
    "linear_regression_loss",
    "logistic_regression",
    "logistic_regression_loss",
    "quadratic",
    "quadratic_loss",
    "quadratic_matrix",
    "quadratic_nd",
    "rosenbrock",
    "rosenbrock_loss",
    "saddle",
    "saddle_loss",
]

Bounds = tuple[tuple[float, float], tuple[float, float]]


# --------------------------------------------------------------------------
# The Problem object
# --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class Problem:
    """A loss to minimise, with what we know about it.

    ``eq=False``: problems compare and hash by identity, so a problem (and
    its ``loss_fn``) can serve as a cache key.

    Attributes:
        name: a title for plots.
        loss_fn: ``loss_fn(theta, *args)``, a module-level JAX function.
            Stochastic problems' take ``loss_fn(theta, X, y, batch_size, key=None)``.
        args: the arrays passed after θ (Q, or the data X, y).
        start: the default starting point θ₀.
        minima: the known minimisers (may be empty).
        min_value: the minimal loss L_min, or ``None`` if unknown.
        bounds: ``((θ₁_min, θ₁_max), (θ₂_min, θ₂_max))`` for plotting 2-D problems.
        stochastic: whether :meth:`run` draws mini-batches.
    """

    name: str
    loss_fn: Callable[..., Any]
    args: tuple = dataclasses.field(default=(), repr=False)
    start: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(2, np.float32))
    minima: list = dataclasses.field(default_factory=list)
    min_value: float | None = None
    bounds: Bounds | None = None
    stochastic: bool = False

    def __post_init__(self):
        if not callable(self.loss_fn):
            raise TypeError(f"loss_fn must be callable, got {self.loss_fn!r}")
        if not isinstance(self.args, tuple):
            raise TypeError(f"args must be a tuple of arrays, got {type(self.args).__name__}")

    @property
    def dim(self) -> int:
        """The number of parameters d (θ ∈ ℝᵈ)."""
        return int(np.size(self.start))

    @property
    def num_examples(self) -> int:
        """n, the number of data points of a stochastic problem."""
        if not self.stochastic:
            raise ValueError(f"problem {self.name!r} has no data set: it is not stochastic")
        return int(self.args[0].shape[0])

    def _full_args(self, key, batch_size) -> tuple:
        """``args`` plus the batch size for stochastic problems (``None`` → all n)."""
        if not self.stochastic:
            if key is not None or batch_size is not None:
                raise ValueError(
                    f"key and batch_size apply only to stochastic problems, not to {self.name!r}"
                )
            return self.args
        if batch_size is None:
            batch_size = self.num_examples
        _check_batch_size(batch_size, self.num_examples)
        return (*self.args, jnp.asarray(batch_size, jnp.float32))

    def loss(self, theta, *, key=None, batch_size=None) -> jax.Array:
        """L(θ).  For a stochastic problem with a ``key``: the loss of one mini-batch."""
        args = self._full_args(key, batch_size)
        return _value(self.loss_fn, jnp.asarray(theta, jnp.float32), args, key)

    def grad(self, theta, *, key=None, batch_size=None) -> jax.Array:
        """∇L(θ) by automatic differentiation (a mini-batch gradient if ``key`` is given)."""
        args = self._full_args(key, batch_size)
        return _gradient(self.loss_fn, jnp.asarray(theta, jnp.float32), args, key)

    def run(
        self,
        make_optimizer: Callable[..., Any],
        steps: int,
        x0=None,
        *,
        key: jax.Array | None = None,
        batch_size: float | None = 32,
        **hyperparameters: Any,
    ) -> Trajectory:
        """Run ``make_optimizer(**hyperparameters)`` for ``steps`` steps from ``x0``.

        ``x0`` defaults to ``start``.  A thin wrapper around
        :func:`~lab.trajectory.trajectory`.  For a stochastic problem
        each step's gradient is that of a mini-batch of ``batch_size``
        examples drawn with ``key`` (default ``PRNGKey(0)``);
        ``batch_size=None`` means full-batch gradient descent.  The batch size
        is passed as data, so a new batch size does not recompile.
        Deterministic problems ignore ``batch_size`` and refuse a ``key``.
        """
        x0 = self.start if x0 is None else x0
        if np.shape(x0) != np.shape(self.start):
            raise ValueError(f"x0 must have shape {np.shape(self.start)}, got {np.shape(x0)}")
        if not self.stochastic:
            if key is not None:
                raise ValueError(f"key applies only to stochastic problems, not to {self.name!r}")
            return trajectory(
                make_optimizer, self.loss_fn, x0, steps, loss_args=self.args, **hyperparameters
            )
        if batch_size is not None and key is None:
            key = jax.random.PRNGKey(0)
        if batch_size is None:
            key = None
        loss_args = self._full_args(None, batch_size)
        return trajectory(
            make_optimizer, self.loss_fn, x0, steps, loss_args=loss_args, key=key, **hyperparameters
        )

    def loss_grid(self, resolution: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(xs, ys, Z)`` with ``Z[i, j] = L(xs[j], ys[i])`` over ``bounds``, for contours."""
        if self.bounds is None:
            raise ValueError(f"problem {self.name!r} has no plotting bounds (it is not 2-D)")
        if not isinstance(resolution, int) or resolution < 2:
            raise ValueError(f"resolution must be a whole number >= 2, got {resolution!r}")
        return _loss_grid(self, resolution)


def _check_batch_size(batch_size, n: int) -> None:
    if isinstance(batch_size, jax.core.Tracer):
        return
    if isinstance(batch_size, bool) or not 1 <= float(batch_size) <= n:
        raise ValueError(f"batch_size must lie between 1 and n = {n}, got {batch_size!r}")


def _call(loss_fn, theta, args, key):
    if key is None:
        return loss_fn(theta, *args)
    return loss_fn(theta, *args, key=key)


_value = jax.jit(_call, static_argnums=0)
_gradient = jax.jit(jax.grad(_call, argnums=1), static_argnums=0)


@functools.partial(jax.jit, static_argnums=0)
def _values_at(loss_fn, thetas, args):
    return jax.lax.map(lambda theta: loss_fn(theta, *args), thetas, batch_size=512)


@functools.lru_cache(maxsize=32)
def _loss_grid(problem: Problem, resolution: int):
    (x_min, x_max), (y_min, y_max) = problem.bounds
    xs = np.linspace(x_min, x_max, resolution)
    ys = np.linspace(y_min, y_max, resolution)
    X, Y = np.meshgrid(xs, ys)
    points = jnp.asarray(np.stack([X.ravel(), Y.ravel()], axis=1), jnp.float32)
    args = problem._full_args(None, None)
    Z = np.asarray(_values_at(problem.loss_fn, points, args), np.float64).reshape(X.shape)
    return xs, ys, Z


def _as_point(values) -> np.ndarray:
    return np.asarray(values, np.float32)


def _check_finite_numbers(values, name: str, length: int | None = None) -> np.ndarray:
    try:
        array = np.asarray(values, np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a sequence of numbers, got {values!r}") from None
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D sequence of numbers, got {values!r}")
    if length is not None and array.size != length:
        raise ValueError(f"{name} must have {length} entries, got {array.size}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite, got {values!r}")
    return array


def _check_angle(angle) -> float | np.ndarray:
    """A finite angle in radians: a number, or a NumPy array of them (a stack of angles)."""
    if isinstance(angle, np.ndarray) and angle.dtype.kind in "iuf":
        if not np.all(np.isfinite(angle)):
            raise ValueError("angle must be finite")
        return angle.astype(np.float64)
    if isinstance(angle, bool) or not isinstance(angle, (int, float, np.number)):
        raise TypeError(f"angle must be a number (radians), got {angle!r}")
    if not math.isfinite(angle):
        raise ValueError(f"angle must be finite, got {angle!r}")
    return float(angle)


def _check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a whole number >= 0, got {seed!r}")
    return int(seed)


# --------------------------------------------------------------------------
# Quadratics ½ θᵀQθ
# --------------------------------------------------------------------------


def quadratic_loss(theta, Q):
    """``L(θ) = ½ θᵀQθ``; its gradient is ``Qθ`` and its Hessian Q."""
    return 0.5 * theta @ Q @ theta


def rotation(angle: Any) -> np.ndarray:
    """The 2×2 rotation ``R(angle) = [[cos, −sin], [sin, cos]]`` (radians).

    For an array of angles, the stack of their rotations, shape ``angle.shape + (2, 2)``.
    """
    c, s = np.cos(angle), np.sin(angle)
    return np.stack([np.stack([c, -s], axis=-1), np.stack([s, c], axis=-1)], axis=-2)


def quadratic_matrix(eigenvalues=(1.0, 10.0), angle: Any = 0.0) -> np.ndarray:
    """``Q = R(angle) diag(λ₁, λ₂) R(angle)ᵀ`` as a float64 NumPy array.

    The eigenvector of λ₁ is ``(cos angle, sin angle)``, that of λ₂ is
    perpendicular to it.  For a NumPy array of angles, the stack of their
    matrices, shape ``angle.shape + (2, 2)``.
    """
    lam = _check_finite_numbers(eigenvalues, "eigenvalues", length=2)
    R = rotation(_check_angle(angle))
    return (R * lam) @ np.swapaxes(R, -1, -2)  # R diag(λ) Rᵀ, stacked or not


def _quadratic_minimum(lam: np.ndarray, d: int) -> tuple[list, float | None]:
    """A quadratic has its minimum 0 at θ = 0 if Q ⪰ 0, and none otherwise."""
    if np.min(lam) < 0:
        return [], None
    return [np.zeros(d, np.float32)], 0.0


def quadratic(eigenvalues=(1.0, 10.0), angle: float = 0.0) -> Problem:
    """``L(θ) = ½ θᵀQθ`` in 2-D with ``Q = R(angle) diag(λ) R(angle)ᵀ``.

    Args:
        eigenvalues: (λ₁, λ₂), the curvatures along the two principal axes.
            A negative eigenvalue makes θ = 0 a saddle (no minimum).
        angle: rotation of the principal axes, in radians.
    """
    Q = quadratic_matrix(eigenvalues, angle)
    lam = np.asarray(eigenvalues, np.float64)
    minima, min_value = _quadratic_minimum(lam, 2)
    return Problem(
        name=f"quadratic (λ = {lam[0]:g}, {lam[1]:g}; angle {angle:.2f} rad)",
        loss_fn=quadratic_loss,
        args=(jnp.asarray(Q, jnp.float32),),
        start=_as_point((-4.0, 3.0)),
        minima=minima,
        min_value=min_value,
        bounds=((-5.0, 5.0), (-5.0, 5.0)),
    )


def quadratic_nd(eigenvalues=(1.0, 3.0, 10.0, 30.0, 100.0), seed: int = 0) -> Problem:
    """``L(θ) = ½ θᵀQθ`` in d dimensions, ``Q = V diag(λ) Vᵀ`` with random orthogonal V.

    V and the start θ₀ (a standard normal point) are drawn with ``seed``.
    """
    lam = _check_finite_numbers(eigenvalues, "eigenvalues")
    rng = np.random.default_rng(_check_seed(seed))
    d = lam.size
    V, _ = np.linalg.qr(rng.normal(size=(d, d)))
    Q = V @ np.diag(lam) @ V.T
    minima, min_value = _quadratic_minimum(lam, d)
    return Problem(
        name=f"quadratic in {d} dimensions (κ = {np.max(lam) / np.min(np.abs(lam)):.3g})",
        loss_fn=quadratic_loss,
        args=(jnp.asarray((Q + Q.T) / 2, jnp.float32),),
        start=_as_point(rng.normal(size=d)),
        minima=minima,
        min_value=min_value,
    )


def ill_conditioned_paraboloid() -> Problem:
    """``L(θ) = 0.2 θ₁² + 2 θ₂² = ½ θᵀ diag(0.4, 4) θ``: condition number κ = 10."""
    return Problem(
        name="ill-conditioned paraboloid",
        loss_fn=quadratic_loss,
        args=(jnp.diag(jnp.array([0.4, 4.0], jnp.float32)),),
        start=_as_point((-4.0, 1.0)),
        minima=[np.zeros(2, np.float32)],
        min_value=0.0,
        bounds=((-5.0, 5.0), (-2.5, 2.5)),
    )


# --------------------------------------------------------------------------
# Classic 2-D test functions
# --------------------------------------------------------------------------


def rosenbrock_loss(theta, a, b):
    """``L(θ) = (a − θ₁)² + b (θ₂ − θ₁²)²``: a curved valley with its minimum 0 at (a, a²)."""
    x, y = theta[0], theta[1]
    return (a - x) ** 2 + b * (y - x**2) ** 2


def rosenbrock(a: float = 1.0, b: float = 100.0) -> Problem:
    """Rosenbrock's banana (Rosenbrock 1960): minimum 0 at (a, a²), start (−1.5, 2)."""
    a = _check_finite_numbers([a], "a")[0]
    b = _check_finite_numbers([b], "b")[0]
    if b <= 0:
        raise ValueError(f"b must be > 0, got {b}")
    x_max = max(2.0, abs(a) + 1.0)
    y_max = max(3.0, a**2 + 1.0)
    return Problem(
        name="Rosenbrock",
        loss_fn=rosenbrock_loss,
        args=(jnp.float32(a), jnp.float32(b)),
        start=_as_point((-1.5, 2.0)),
        minima=[_as_point((a, a**2))],
        min_value=0.0,
        bounds=((-x_max, x_max), (-1.0, y_max)),
    )


def beale_loss(theta):
    """``L(θ) = (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²``, θ = (x, y)."""
    x, y = theta[0], theta[1]
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def beale() -> Problem:
    """Beale's function (Beale 1958): flat plateaus, steep walls, minimum 0 at (3, ½)."""
    return Problem(
        name="Beale",
        loss_fn=beale_loss,
        start=_as_point((1.0, 1.5)),
        minima=[_as_point((3.0, 0.5))],
        min_value=0.0,
        bounds=((-4.5, 4.5), (-4.5, 4.5)),
    )


def saddle_loss(theta):
    """``L(θ) = ½ θ₁² − ½ θ₂² + ¼ θ₂⁴``.

    ∇L = (θ₁, θ₂³ − θ₂): a saddle at 0 (Hessian diag(1, −1)) and two minima
    (0, ±1) with L = −¼.  The quartic term keeps it bounded below.
    """
    x, y = theta[0], theta[1]
    return 0.5 * x**2 - 0.5 * y**2 + 0.25 * y**4


def saddle() -> Problem:
    """A saddle at the origin between two minima (0, ±1), L_min = −¼.

    The start (1.5, 0.01) lies just off the saddle's attracting axis θ₂ = 0:
    gradient descent first heads for the saddle, then slowly escapes it.
    """
    return Problem(
        name="saddle",
        loss_fn=saddle_loss,
        start=_as_point((1.5, 0.01)),
        minima=[_as_point((0.0, 1.0)), _as_point((0.0, -1.0))],
        min_value=-0.25,
        bounds=((-2.0, 2.0), (-1.6, 1.6)),
    )


def himmelblau_loss(theta):
    """``L(θ) = (x² + y − 11)² + (x + y² − 7)²``, θ = (x, y)."""
    x, y = theta[0], theta[1]
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


def himmelblau() -> Problem:
    """Himmelblau's function (Himmelblau 1972): four minima with L = 0.

    Which one an optimizer reaches depends on where it starts.
    """
    minima = [
        (3.0, 2.0),
        (-2.805118086952745, 3.131312518250573),
        (-3.779310253377747, -3.283185991286170),
        (3.584428340330492, -1.848126526964404),
    ]
    return Problem(
        name="Himmelblau",
        loss_fn=himmelblau_loss,
        start=_as_point((0.0, 0.0)),
        minima=[_as_point(m) for m in minima],
        min_value=0.0,
        bounds=((-5.0, 5.0), (-5.0, 5.0)),
    )


# --------------------------------------------------------------------------
# Stochastic problems: a loss that is a mean over n examples
# --------------------------------------------------------------------------


def batch_weights(n: int, batch_size, key=None) -> jax.Array:
    """The weight of each of the n examples in one (mini-)batch loss.

    Without a key every example weighs 1/n (the full loss).  With a key, the
    examples at the first ``batch_size`` positions of a random permutation
    weigh 1/batch_size and the others 0.  Each example is chosen with
    probability batch_size/n, so the mini-batch loss is an unbiased estimate
    of the full loss.  The batch is a *mask*, not a slice, so ``batch_size``
    may be a traced number and a new batch size needs no recompilation.
    """
    if key is None:
        return jnp.full(n, 1.0 / n)
    order = jax.random.permutation(key, n)
    in_batch = (jnp.arange(n) < batch_size).astype(jnp.float32)
    chosen = jnp.zeros(n).at[order].set(in_batch)
    return chosen / jnp.maximum(jnp.sum(chosen), 1.0)


def linear_regression_loss(theta, X, y, batch_size, key=None):
    """Mean squared error ``L(θ) = 1/n Σᵢ ½ (xᵢᵀθ − yᵢ)²`` (or over a mini-batch with ``key``)."""
    residuals = X @ theta - y
    return jnp.sum(batch_weights(X.shape[0], batch_size, key) * 0.5 * residuals**2)


def logistic_regression_loss(theta, X, y, batch_size, key=None):
    """Cross-entropy ``L(θ) = 1/n Σᵢ [log(1 + e^{zᵢ}) − yᵢ zᵢ]`` with ``zᵢ = xᵢᵀθ``, yᵢ ∈ {0, 1}."""
    z = X @ theta
    per_example = jax.nn.softplus(z) - y * z
    return jnp.sum(batch_weights(X.shape[0], batch_size, key) * per_example)


def _check_size(value, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return int(value)


def _bounds_around(points: list[np.ndarray], margin: float = 1.0) -> Bounds | None:
    """A square plotting box that contains every point with a margin (2-D only)."""
    stacked = np.stack(points)
    if stacked.shape[1] != 2:
        return None
    center = (stacked.max(axis=0) + stacked.min(axis=0)) / 2
    half = float(np.max(stacked.max(axis=0) - stacked.min(axis=0)) / 2 + margin)
    return tuple((float(c - half), float(c + half)) for c in center)


def linear_regression(n: int = 512, d: int = 2, noise: float = 0.5, seed: int = 0) -> Problem:
    """Least squares on n generated examples: ``yᵢ = xᵢᵀθ_true + noise · εᵢ``.

    xᵢ and εᵢ are standard normal, θ_true is uniform in [−2, 2]ᵈ, all drawn
    with ``seed``.  The minimiser is the least-squares solution
    ``θ* = (XᵀX)⁻¹Xᵀy``, computed in closed form.  Start: θ₀ = 0.
    """
    n, d = _check_size(n, "n", 2), _check_size(d, "d", 1)
    noise = _check_finite_numbers([noise], "noise")[0]
    rng = np.random.default_rng(_check_seed(seed))
    X = rng.normal(size=(n, d))
    theta_true = rng.uniform(-2.0, 2.0, size=d)
    y = X @ theta_true + noise * rng.normal(size=n)
    minimiser = np.linalg.lstsq(X, y, rcond=None)[0]
    min_value = float(0.5 * np.mean((X @ minimiser - y) ** 2))
    start = np.zeros(d, np.float32)
    return Problem(
        name=f"linear regression (n = {n}, d = {d})",
        loss_fn=linear_regression_loss,
        args=(jnp.asarray(X, jnp.float32), jnp.asarray(y, jnp.float32)),
        start=start,
        minima=[_as_point(minimiser)],
        min_value=min_value,
        bounds=_bounds_around([start, minimiser]),
        stochastic=True,
    )


def _logistic_minimiser(X: np.ndarray, y: np.ndarray, iterations: int = 50):
    """Newton's method in float64; ``None`` if it does not converge (separable data)."""
    theta = np.zeros(X.shape[1])
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(X @ theta)))
        gradient = X.T @ (p - y) / len(y)
        hessian = (X.T * (p * (1 - p))) @ X / len(y)
        theta = theta - np.linalg.solve(hessian, gradient)
        if np.linalg.norm(gradient) < 1e-12:
            return theta
    return theta if np.linalg.norm(gradient) < 1e-8 else None


def logistic_regression(n: int = 512, d: int = 2, seed: int = 0) -> Problem:
    """Binary classification on n generated examples, cross-entropy loss.

    xᵢ is standard normal, θ_true uniform in [−2, 2]ᵈ, and the label
    yᵢ ∈ {0, 1} is 1 with probability σ(xᵢᵀθ_true), all drawn with ``seed``.
    The minimiser has no closed form; it is found by Newton's method (in
    float64) when the problem is built.  Start: θ₀ = 0.
    """
    n, d = _check_size(n, "n", 2), _check_size(d, "d", 1)
    rng = np.random.default_rng(_check_seed(seed))
    X = rng.normal(size=(n, d))
    theta_true = rng.uniform(-2.0, 2.0, size=d)
    y = (rng.uniform(size=n) < 1.0 / (1.0 + np.exp(-(X @ theta_true)))).astype(np.float64)
    minimiser = _logistic_minimiser(X, y)
    start = np.zeros(d, np.float32)
    if minimiser is None:  # separable data: the loss has no minimum
        minima, min_value, shown = [], None, [start, theta_true]
    else:
        z = X @ minimiser
        min_value = float(np.mean(np.logaddexp(0.0, z) - y * z))
        minima, shown = [_as_point(minimiser)], [start, minimiser]
    return Problem(
        name=f"logistic regression (n = {n}, d = {d})",
        loss_fn=logistic_regression_loss,
        args=(jnp.asarray(X, jnp.float32), jnp.asarray(y, jnp.float32)),
        start=start,
        minima=minima,
        min_value=min_value,
        bounds=_bounds_around(shown),
        stochastic=True,
    )


# --------------------------------------------------------------------------
# The registry
# --------------------------------------------------------------------------

PROBLEMS: dict[str, Callable[..., Problem]] = {
    "quadratic": quadratic,
    "quadratic_nd": quadratic_nd,
    "ill_conditioned_paraboloid": ill_conditioned_paraboloid,
    "rosenbrock": rosenbrock,
    "beale": beale,
    "saddle": saddle,
    "himmelblau": himmelblau,
    "linear_regression": linear_regression,
    "logistic_regression": logistic_regression,
}


def get(name: str, **kwargs: Any) -> Problem:
    """Build the problem registered as ``name``, e.g. ``get("rosenbrock", b=10.0)``."""
    if name not in PROBLEMS:
        raise ValueError(f"name must be one of {', '.join(PROBLEMS)}; got {name!r}")
    return PROBLEMS[name](**kwargs)
