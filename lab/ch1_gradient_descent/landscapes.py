"""Section "What we minimise, and why it is hard": critical points, found and classified.

Newton's method from a grid of starts finds every point where ∇L(θ) = 0 in a 2-D
problem's plotting box; the Hessian's eigenvalues there say whether it is a minimum,
a maximum or a saddle.  :func:`landscape_figure` draws three landscapes with them.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from matplotlib.figure import Figure

from lab import plot, problems

__all__ = [
    "CriticalPoint",
    "LandscapeCriticalPoints",
    "critical_points",
    "landscape_critical_points",
    "landscape_figure",
]


class CriticalPoint(NamedTuple):
    """A point where ∇L(θ) = 0, with its kind read off the Hessian's eigenvalues.

    Attributes:
        theta: the point θ, float64.
        loss: L(θ).
        hessian_eigenvalues: the eigenvalues of ∇²L(θ), ascending.
        kind: ``"minimum"`` (all > 0), ``"maximum"`` (all < 0) or ``"saddle"`` (mixed signs).
    """

    theta: np.ndarray
    loss: float
    hessian_eigenvalues: np.ndarray
    kind: str


@functools.partial(jax.jit, static_argnums=(0, 3))
def _newton_from(loss_fn, starts, args, iterations):
    """Newton's method ``θ ← θ − ∇²L(θ)⁻¹ ∇L(θ)`` from each start: it finds critical points of
    any kind.  Returns the end points, ‖∇L‖, L and the Hessian's eigenvalues there.
    """
    grad = jax.grad(loss_fn)
    hessian = jax.hessian(loss_fn)

    def solve(theta):
        def step(theta, _):
            return theta - jnp.linalg.solve(hessian(theta, *args), grad(theta, *args)), None

        theta, _ = jax.lax.scan(step, theta, None, length=iterations)
        return (
            theta, jnp.linalg.norm(grad(theta, *args)), loss_fn(theta, *args),
            jnp.linalg.eigvalsh(hessian(theta, *args)),
        )  # fmt: skip

    return jax.vmap(solve)(starts)


def critical_points(
    problem: problems.Problem, grid: int = 15, tolerance: float = 1e-3
) -> list[CriticalPoint]:
    """Every critical point of a 2-D problem inside its bounds, found by Newton's method.

    Newton's method is started from a ``grid × grid`` lattice over the plotting
    box; the points where it lands with ``‖∇L‖ < tolerance`` are merged (within
    10⁻³) and classified by the eigenvalues of the Hessian ``∇²L`` there.

    Returns:
        A list of :class:`CriticalPoint`, sorted by loss.
    """
    (x0, x1), (y0, y1) = problem.bounds
    X, Y = np.meshgrid(np.linspace(x0, x1, grid), np.linspace(y0, y1, grid))
    starts = jnp.asarray(np.stack([X.ravel(), Y.ravel()], axis=1), jnp.float32)
    ends, grad_norms, losses, spectra = (
        np.asarray(a, np.float64) for a in _newton_from(problem.loss_fn, starts, problem.args, 40)
    )
    inside = (ends[:, 0] >= x0) & (ends[:, 0] <= x1) & (ends[:, 1] >= y0) & (ends[:, 1] <= y1)
    result: list[CriticalPoint] = []
    for k in np.flatnonzero(np.isfinite(grad_norms) & (grad_norms < tolerance) & inside):
        if all(np.linalg.norm(ends[k] - known.theta) > 1e-3 for known in result):
            lam = spectra[k]
            kind = "minimum" if lam[0] > 0 else "maximum" if lam[-1] < 0 else "saddle"
            result.append(CriticalPoint(ends[k], float(losses[k]), lam, kind))
    return sorted(result, key=lambda c: c.loss)


class LandscapeCriticalPoints(NamedTuple):
    """The critical points of the chapter's two non-convex landscapes.

    (The third landscape, the bowl ``½ θᵀQθ`` with Q ≻ 0, has just one: its minimum at 0.)

    Attributes:
        himmelblau: the :class:`CriticalPoint` list of Himmelblau's function, sorted by loss.
        saddle: the :class:`CriticalPoint` list of the saddle problem, sorted by loss.
    """

    himmelblau: list[CriticalPoint]
    saddle: list[CriticalPoint]


def landscape_critical_points() -> LandscapeCriticalPoints:
    """The critical points of Himmelblau's function and of the saddle problem."""
    return LandscapeCriticalPoints(
        critical_points(problems.himmelblau()), critical_points(problems.saddle())
    )


_MARKERS = {"saddle": ("X", "#d62728"), "maximum": ("^", "#ff7f0e")}


def _mark_critical_points(ax, points: list[CriticalPoint]) -> None:
    """Saddles (✕) and maxima (▲); minima are starred by :func:`lab.plot.contour`."""
    for point in points:
        if point.kind in _MARKERS:
            marker, color = _MARKERS[point.kind]
            ax.plot(*point.theta, marker=marker, markersize=10, color=color,
                    markeredgecolor="black", linestyle="none")  # fmt: skip


def landscape_figure(points: LandscapeCriticalPoints) -> Figure:
    """Section "What we minimise, and why it is hard": three landscapes side by side.

    A convex bowl, Himmelblau's four minima and a saddle between two minima, with
    the saddles and maxima of ``points`` marked.
    """
    landscapes = (
        ("convex: one minimum", problems.quadratic(eigenvalues=(1.0, 4.0), angle=0.5), []),
        ("Himmelblau: four minima", problems.himmelblau(), points.himmelblau),
        ("a saddle between two minima", problems.saddle(), points.saddle),
    )
    fig, axes = plot.figure(ncols=3, width=4.0, height=3.8)
    for ax, (title, problem, marked) in zip(axes, landscapes, strict=True):
        plot.contour(ax, problem)
        _mark_critical_points(ax, marked)
        ax.set_title(title)
    return fig
