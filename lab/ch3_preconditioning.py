"""The experiments of the chapter *Preconditioning*: one function per figure or widget.

The chapter studies the preconditioned gradient step

    θ_t = θ_{t−1} − α P ∇L(θ_{t−1}),

which, in the package, is ``chain(precondition(P), scale_by_learning_rate(α))``.
On a quadratic ``L(θ) = ½ θᵀQθ`` with a symmetric positive-definite P it is plain
gradient descent on ``½ φᵀ P^{1/2} Q P^{1/2} φ`` (θ = P^{1/2} φ), whose eigenvalues
are those of PQ: P = Q⁻¹ makes them all 1, a diagonal P can only undo the scales
of the coordinates, and Newton's method takes P = ∇²L(θ_{t−1})⁻¹ at every step.

The quadratic figures and the rotation widget run :func:`preconditioned_gd_2d`,
whose preconditioner entries are *traced* floats: one compiled program serves every
P, every α and every Q (passed as ``loss_args``), so no slider move recompiles.
"""

from __future__ import annotations

import functools
import inspect
import math
from typing import Any, NamedTuple

import jax.numpy as jnp
import matplotlib
import numpy as np
from matplotlib.patches import Ellipse

import optimizers as opt
from lab import analysis, plot, problems, registry, widgets
from lab.newton import newton
from lab.problems import Problem
from lab.trajectory import Trajectory, trajectory

__all__ = [
    "Experiment",
    "adaptive_rotation_figure",
    "best_diagonal_condition_number",
    "damped_newton_widget",
    "jacobi",
    "log_cosh_loss",
    "newton_far_figure",
    "newton_rosenbrock_figure",
    "newton_saddle_figure",
    "per_coordinate_figure",
    "per_coordinate_gd",
    "per_coordinate_widget",
    "preconditioned_condition_number",
    "preconditioned_eigenvalues",
    "preconditioned_gd",
    "preconditioned_gd_2d",
    "preconditioner_comparison_figure",
    "rotated_preconditioners",
    "rotated_start",
    "rotation_condition_numbers",
    "rotation_widget",
    "scaled_correlated_quadratic",
]


class Experiment(NamedTuple):
    """A static figure and the numbers the chapter quotes from it (name → value)."""

    figure: Any
    numbers: dict[str, Any]


# --------------------------------------------------------------------------
# Preconditioned gradient descent
# --------------------------------------------------------------------------


def preconditioned_gd(P: Any, learning_rate: Any) -> opt.GradientTransformation:
    """``θ_t = θ_{t−1} − α P g_t``: ``chain(precondition(P), scale_by_learning_rate(α))``.

    ``P`` is a d×d matrix or a length-d vector (a diagonal preconditioner).
    """
    return opt.chain(opt.precondition(P), opt.scale_by_learning_rate(learning_rate))


def preconditioned_gd_2d(
    learning_rate: Any, p11: Any = 1.0, p12: Any = 0.0, p22: Any = 1.0
) -> opt.GradientTransformation:
    """Preconditioned gradient descent in 2-D with ``P = [[p11, p12], [p12, p22]]``.

    The entries are scalars, so :func:`~lab.trajectory.trajectory` traces
    them like the learning rate: every preconditioner shares one compiled program.
    """
    P = jnp.stack([jnp.stack([p11, p12]), jnp.stack([p12, p22])]).astype(jnp.float32)
    return preconditioned_gd(P, learning_rate)


def per_coordinate_gd(learning_rate_1: Any, learning_rate_2: Any) -> opt.GradientTransformation:
    """One learning rate per coordinate: ``θ_{t,i} = θ_{t−1,i} − α_i g_{t,i}``.

    The diagonal preconditioner ``P = diag(α₁, α₂)`` with a global α = 1.
    """
    rates = jnp.stack([jnp.asarray(learning_rate_1), jnp.asarray(learning_rate_2)])
    return preconditioned_gd(rates.astype(jnp.float32), 1.0)


def _as_matrix(P: Any, d: int, name: str = "P") -> np.ndarray:
    P = np.asarray(P, np.float64)
    if P.ndim == 1:
        P = np.diag(P)
    if P.shape != (d, d):
        raise ValueError(f"{name} must be a {d}×{d} matrix or a length-{d} vector, got {P.shape}")
    if not np.allclose(P, P.T, rtol=1e-9, atol=1e-12):
        raise ValueError(f"{name} must be symmetric")
    return P


def _entries(P: np.ndarray) -> dict[str, float]:
    """The hyperparameters p11, p12, p22 of :func:`preconditioned_gd_2d` for a 2×2 P."""
    P = _as_matrix(P, 2)
    return {"p11": float(P[0, 0]), "p12": float(P[0, 1]), "p22": float(P[1, 1])}


def preconditioned_eigenvalues(Q: Any, P: Any) -> np.ndarray:
    """The eigenvalues of PQ, ascending, computed as those of ``P^{1/2} Q P^{1/2}``.

    Both matrices must be symmetric, P positive definite (a vector P is a diagonal).
    """
    Q = np.asarray(Q, np.float64)
    if Q.ndim != 2 or Q.shape[0] != Q.shape[1]:
        raise ValueError(f"Q must be a square matrix, got shape {Q.shape}")
    P = _as_matrix(P, Q.shape[0])
    p, V = np.linalg.eigh(P)
    if p[0] <= 0:
        raise ValueError(f"P must be positive definite, its smallest eigenvalue is {p[0]:.3g}")
    root = V @ np.diag(np.sqrt(p)) @ V.T  # P^{1/2}
    return analysis.eigenvalues(root @ Q @ root)


def preconditioned_condition_number(Q: Any, P: Any) -> float:
    """κ(PQ) = λ_max(PQ)/λ_min(PQ): the condition number preconditioned GD sees."""
    lam = preconditioned_eigenvalues(Q, P)
    if lam[0] <= 0:
        raise ValueError("Q must be positive definite")
    return float(lam[-1] / lam[0])


def jacobi(Q: Any) -> np.ndarray:
    """The Jacobi (diagonal) preconditioner ``P = diag(Q)⁻¹``, as the vector of its diagonal.

    For a stack of matrices (shape ``(n, d, d)``), the stack of their vectors.
    """
    Q = np.asarray(Q, np.float64)
    diagonal = np.diagonal(Q, axis1=-2, axis2=-1)
    if np.any(diagonal <= 0):
        raise ValueError("Q must have a positive diagonal")
    return 1.0 / diagonal


def best_diagonal_condition_number(Q: Any, ratios: int = 4001) -> tuple[float, float]:
    """The smallest κ(PQ) over diagonal P = diag(1, r) in 2-D, by a search over r.

    The ratio r runs over ``ratios`` values, log-spaced around the Jacobi ratio
    q₁₁/q₂₂ (a factor 100 either way).  Returns ``(κ_best, r_best)``.
    """
    Q = _as_matrix(Q, 2, "Q")
    jacobi_ratio = Q[0, 0] / Q[1, 1]
    grid = jacobi_ratio * np.logspace(-2, 2, ratios)
    kappas = [preconditioned_condition_number(Q, [1.0, r]) for r in grid]
    best = int(np.argmin(kappas))
    return float(kappas[best]), float(grid[best])


def _optimal_learning_rate(Q: np.ndarray, P: np.ndarray) -> float:
    """α* = 2/(λ_min + λ_max) of PQ."""
    lam = preconditioned_eigenvalues(Q, P)
    return float(2.0 / (lam[0] + lam[-1]))


def _rate(kappa: float) -> float:
    """The rate (κ − 1)/(κ + 1) of gradient descent at α* on condition number κ."""
    return (kappa - 1.0) / (kappa + 1.0)


def _measured_rate(run: Trajectory, steps: int) -> float:
    """The per-step contraction of ‖θ‖ implied by the loss: (L_T/L_0)^{1/(2T)}."""
    losses = np.asarray(run.losses, np.float64)
    return float((losses[steps] / losses[0]) ** (1.0 / (2 * steps)))


# --------------------------------------------------------------------------
# Quadratic problems
# --------------------------------------------------------------------------


def scaled_correlated_quadratic(scales=(1.0, 4.0), correlation: float = 0.5) -> Problem:
    """``L(θ) = ½ θᵀQθ`` with ``Q = D C D``: two features of scales D, correlation ρ.

    ``D = diag(scales)`` and ``C = [[1, ρ], [ρ, 1]]``: Q is the Hessian of least
    squares on two features with standard deviations ``scales`` and correlation ρ.
    """
    scales = np.asarray(scales, np.float64)
    if scales.shape != (2,) or np.any(scales <= 0) or not np.all(np.isfinite(scales)):
        raise ValueError(f"scales must be two positive numbers, got {scales!r}")
    if not -1 < correlation < 1:
        raise ValueError(f"correlation must lie in (−1, 1), got {correlation!r}")
    C = np.array([[1.0, correlation], [correlation, 1.0]])
    Q = np.diag(scales) @ C @ np.diag(scales)
    return Problem(
        name=f"scales {scales[0]:g}, {scales[1]:g}; correlation {correlation:g}",
        loss_fn=problems.quadratic_loss,
        args=(jnp.asarray(Q, jnp.float32),),
        start=np.array([-4.0, 1.5], np.float32),
        minima=[np.zeros(2, np.float32)],
        min_value=0.0,
        bounds=((-5.0, 5.0), (-2.5, 2.5)),
    )


def _quadratic_matrix(problem: Problem) -> np.ndarray:
    return np.asarray(problem.args[0], np.float64)


def per_coordinate_figure(steps: int = 30) -> Experiment:
    """Gradient descent with one α against one learning rate per coordinate.

    The problem is the axis-aligned paraboloid ``Q = diag(λ₁, λ₂) = diag(0.4, 4)``.
    Gradient descent uses its best single rate α* = 2/(λ₁ + λ₂); the
    per-coordinate run uses α_i = 1/λ_i, i.e. P = Q⁻¹, and lands in one step.
    """
    bowl = problems.ill_conditioned_paraboloid()
    Q = _quadratic_matrix(bowl)
    lam = np.diag(Q)
    alpha_star = analysis.optimal_learning_rate(Q)
    single = bowl.run(preconditioned_gd_2d, steps, learning_rate=alpha_star)
    rates = 1.0 / lam
    per_coordinate = bowl.run(
        preconditioned_gd_2d, steps, learning_rate=1.0, **_entries(np.diag(rates))
    )
    fig, (plane, losses) = plot.figure(ncols=2, width=4.6, height=3.4)
    plot.contour(plane, bowl)
    runs = {
        f"one α = {alpha_star:.3g} for both": single,
        f"α₁ = 1/λ₁ = {rates[0]:g}, α₂ = 1/λ₂ = {rates[1]:g}": per_coordinate,
    }
    for i, (label, run) in enumerate(runs.items()):
        plot.trajectory_line(plane, run, label, plot.color(i))
        plot.loss_curve(losses, run, label, plot.color(i), bowl.min_value)
    plane.set_title("paths from θ₀ = (−4, 1)")
    losses.set_title("L(θ_t) − L_min")
    losses.legend(loc="center right", fontsize=8)
    numbers = {
        "lambda_1": float(lam[0]),
        "lambda_2": float(lam[1]),
        "kappa": analysis.condition_number(Q),
        "alpha_star": alpha_star,
        "rate": analysis.gd_rate(Q, alpha_star),
        "steps": steps,
        "gd_final_loss": float(single.losses[-1]),
        "start_loss": float(single.losses[0]),
        "per_coordinate_loss_after_one_step": float(per_coordinate.losses[1]),
        "per_coordinate_point_after_one_step": np.asarray(per_coordinate.params[1]),
        "learning_rate_1": float(rates[0]),
        "learning_rate_2": float(rates[1]),
    }
    return Experiment(fig, numbers)


def preconditioner_comparison_figure(steps: int = 30) -> Experiment:
    """No preconditioner, Jacobi ``diag(Q)⁻¹`` and ``Q⁻¹``, each at its own optimal α.

    On :func:`scaled_correlated_quadratic`.  Returns the figure (paths, losses) and,
    per preconditioner, κ(PQ), α*, the predicted rate (κ − 1)/(κ + 1) and the rate
    measured from the run.
    """
    problem = scaled_correlated_quadratic()
    Q = _quadratic_matrix(problem)
    preconditioners = {
        "none (P = I)": np.eye(2),
        "Jacobi (P = diag(Q)⁻¹)": np.diag(jacobi(Q)),
        "Newton (P = Q⁻¹)": np.linalg.inv(Q),
    }
    fig, (plane, losses) = plot.figure(ncols=2, width=4.6, height=3.4)
    plot.contour(plane, problem)
    numbers: dict[str, Any] = {"Q": Q}
    for i, (label, P) in enumerate(preconditioners.items()):
        kappa = preconditioned_condition_number(Q, P)
        alpha = _optimal_learning_rate(Q, P)
        run = problem.run(preconditioned_gd_2d, steps, learning_rate=alpha, **_entries(P))
        name = ("none", "jacobi", "newton")[i]
        numbers[f"{name}_kappa"] = kappa
        numbers[f"{name}_alpha"] = alpha
        numbers[f"{name}_predicted_rate"] = _rate(kappa)
        numbers[f"{name}_final_loss"] = float(run.losses[-1])
        numbers[f"{name}_steps_to_1e-6"] = analysis.iterations_to_tolerance(_rate(kappa), 1e-6)
        if kappa > 1 + 1e-9:
            numbers[f"{name}_measured_rate"] = _measured_rate(run, steps)
        legend = f"{label}: κ = {kappa:.3g}"
        plot.trajectory_line(plane, run, legend, plot.color(i))
        plot.loss_curve(losses, run, legend, plot.color(i), problem.min_value)
    numbers["steps"] = steps
    numbers["start_loss"] = float(problem.loss(problem.start))
    plane.set_title("paths, each at its optimal α")
    losses.set_title("L(θ_t) − L_min")
    losses.legend(loc="center right", fontsize=8)
    return Experiment(fig, numbers)


# --------------------------------------------------------------------------
# Rotating the quadratic
# --------------------------------------------------------------------------

ROTATION_KINDS = ("none", "Jacobi", "frozen diagonal", "Newton")
"""The preconditioners compared on the rotated quadratic (see :func:`rotated_preconditioners`)."""


def rotated_preconditioners(angle: Any, condition: float) -> tuple[np.ndarray, dict]:
    """Q = R(angle) diag(1, κ) R(angle)ᵀ and four preconditioners for it.

    * ``none``: P = I;
    * ``Jacobi``: P = diag(Q)⁻¹, recomputed for the rotated Q;
    * ``frozen diagonal``: P = diag(1, 1/κ), the Jacobi (= exact) preconditioner of
      the *unrotated* Q, kept as the problem turns;
    * ``Newton``: P = Q⁻¹.

    Returns ``(Q, {kind: P})``: 2×2 matrices for one angle (radians), stacks of
    them, shape ``(n, 2, 2)``, for ``n`` angles.
    """
    if not (isinstance(condition, (int, float, np.number)) and condition >= 1):
        raise ValueError(f"condition must be a number >= 1, got {condition!r}")
    Q = problems.quadratic_matrix((1.0, float(condition)), np.asarray(angle, np.float64))
    eye = np.broadcast_to(np.eye(2), Q.shape)  # eye * v[..., None, :] is diag(v), stacked
    return Q, {
        "none": eye,
        "Jacobi": eye * jacobi(Q)[..., None, :],
        "frozen diagonal": eye * np.array([1.0, 1.0 / condition]),
        "Newton": np.linalg.inv(Q),
    }


def rotation_condition_numbers(condition: float, angles_degrees) -> dict[str, np.ndarray]:
    """κ(PQ) of each preconditioner of :func:`rotated_preconditioners`, per angle (degrees).

    All angles at once (the widget redraws 91 of them per κ move).  PQ is
    similar to the symmetric P^{1/2} Q P^{1/2}, so its eigenvalues are real.
    """
    angles = np.radians(np.ravel(np.asarray(angles_degrees, np.float64)))
    Q, preconditioners = rotated_preconditioners(angles, condition)
    curves = {}
    for kind in ROTATION_KINDS:
        eigenvalues = np.linalg.eigvals(preconditioners[kind] @ Q).real
        curves[kind] = eigenvalues.max(axis=1) / eigenvalues.min(axis=1)
    return curves


_ROTATION_START = np.array([-4.0, 1.5])  # θ₀ in the eigenbasis of Q; it turns with Q
_ROTATION_STEPS = 100
_ADAM_LEARNING_RATE = 0.1


def rotated_start(angle: float) -> np.ndarray:
    """θ₀ = R(angle) (−4, 1.5): the start turns with Q, so that only the axes change.

    A method that is invariant under rotations (gradient descent, Newton) then
    takes the same path at every angle, turned; a diagonal one does not.
    """
    return (problems.rotation(float(angle)) @ _ROTATION_START).astype(np.float32)


def _no_overshoot_learning_rate(Q: np.ndarray, P: np.ndarray) -> float:
    """α = 1/λ_max(PQ): the largest step that overshoots along no eigendirection of PQ.

    Every factor 1 − αλᵢ(PQ) then lies in [0, 1), so paths do not zig-zag, and the
    rate is 1 − 1/κ(PQ).  PQ is similar to P^{1/2} Q P^{1/2}, so its eigenvalues
    are real; taken directly here, as the rotation widget asks for three per move.
    """
    return float(1.0 / np.linalg.eigvals(P @ Q).real.max())


def _rotation_runs(angle: float, condition: float, steps: int = _ROTATION_STEPS) -> dict:
    """GD without P, with Jacobi's P and with Q⁻¹ (α = 1/λ_max(PQ)), and Adam, on Q(angle, κ)."""
    Q, preconditioners = rotated_preconditioners(angle, condition)
    Q32 = (Q.astype(np.float32),)  # NumPy: jit takes it as it is, no conversion per move
    start = rotated_start(angle)
    runs = {}
    for kind in ("none", "Jacobi", "Newton"):
        P = preconditioners[kind]
        entries = {"p11": float(P[0, 0]), "p12": float(P[0, 1]), "p22": float(P[1, 1])}
        runs[kind] = trajectory(
            preconditioned_gd_2d, problems.quadratic_loss, start, steps,
            loss_args=Q32, learning_rate=_no_overshoot_learning_rate(Q, P), **entries,
        )  # fmt: skip
    runs["Adam"] = trajectory(
        opt.adam, problems.quadratic_loss, start, steps,
        loss_args=Q32, learning_rate=_ADAM_LEARNING_RATE,
    )  # fmt: skip
    return runs


def _level_ellipses(ax, count: int, cmap_name: str = "viridis") -> list[Ellipse]:
    """Nested filled ellipses for the level sets of a 2-D quadratic (see _set_ellipses)."""
    cmap = matplotlib.colormaps[cmap_name]
    ax.set_facecolor(cmap(1.0))
    patches = []
    for color in cmap(np.linspace(1.0, 0.0, count)):
        patch = Ellipse((0.0, 0.0), 1.0, 1.0, facecolor=color, edgecolor="white", linewidth=0.3)
        ax.add_patch(patch)
        patches.append(patch)
    return patches


def _set_ellipses(patches: list[Ellipse], semi_axes, angle: float, condition: float) -> None:
    """Level sets of ½θᵀQθ, Q = R diag(1, κ) Rᵀ: semi-axes a along (cos, sin)(angle), a/√κ across."""
    for patch, a in zip(patches, semi_axes, strict=True):
        patch.set_width(2 * a)
        patch.set_height(2 * a / math.sqrt(condition))
        patch.set_angle(math.degrees(angle))


_ROTATION_LABELS = {
    "none": "no preconditioner",
    "Jacobi": "Jacobi, P = diag(Q)⁻¹",
    "Newton": "Newton, P = Q⁻¹",
    "Adam": f"Adam, α = {_ADAM_LEARNING_RATE:g}",
    "frozen diagonal": "P = diag(Q)⁻¹ of the unrotated Q",
}
_ROTATION_COLORS = {
    "none": plot.color(1),
    "Jacobi": plot.color(0),
    "Newton": plot.color(3),
    "Adam": plot.color(4),
    "frozen diagonal": plot.color(8),
}


class _RotationPanels:
    """Level sets and paths | loss curves | κ(PQ) against the angle, one legend below."""

    labels = _ROTATION_LABELS
    colors = _ROTATION_COLORS

    def __init__(self):
        self.figure, (self.plane, self.losses, self.kappas) = plot.figure(
            ncols=3, width=3.4, height=3.4
        )
        self.angles = np.linspace(0.0, 90.0, 91)
        self.semi_axes = np.geomspace(8.0, 0.08, 14)
        self.ellipses = _level_ellipses(self.plane, self.semi_axes.size)
        self.plane.plot(0, 0, marker="*", markersize=13, color="white", markeredgecolor="black")
        self.plane.set_xlim(-5, 5)
        self.plane.set_ylim(-5, 5)
        self.plane.set_aspect("equal", adjustable="box")
        self.plane.set_autoscale_on(False)
        self.plane.set_xlabel("θ₁")
        self.plane.set_ylabel("θ₂")
        self.losses.set_title("L(θ_t) − L_min")
        self.kappas.set_yscale("log")
        self.kappas.set_xlabel("rotation angle (degrees)")
        self.kappas.set_ylabel("κ(PQ)")
        self.kappas.set_title("κ(PQ) against the angle")
        self.kappas.set_xlim(0, 90)
        self.kappas.set_xticks([0, 15, 30, 45, 60, 75, 90])
        self.paths: dict[str, plot.TrajectoryArtists] = {}
        self.curves: dict[str, Any] = {}
        self.kappa_lines: dict[str, Any] = {}
        self.kappa_dots: dict[str, Any] = {}

    def draw(self, result) -> None:
        runs, curves, angle_degrees, condition = result
        _set_ellipses(self.ellipses, self.semi_axes, math.radians(angle_degrees), condition)
        self.plane.set_title(f"κ = {condition:.3g}, rotated by {angle_degrees:.0f}°")
        if not self.paths:
            self._create(runs, curves)
        for kind, run in runs.items():
            plot.update_trajectory_line(self.paths[kind], run)
            plot.update_loss_curve(self.curves[kind], run, 0.0)
        plot.set_loss_axis_limits(self.losses, list(self.curves.values()))
        for kind, values in curves.items():
            self.kappa_lines[kind].set_ydata(values)
            value = np.interp(angle_degrees, self.angles, values)
            self.kappa_dots[kind].set_data([angle_degrees], [value])
        highest = max(float(np.max(v)) for v in curves.values())
        self.kappas.set_ylim(0.7, max(highest * 1.6, 2.0))

    def _create(self, runs, curves) -> None:
        handles = {}
        for kind, run in runs.items():
            color = self.colors[kind]
            self.paths[kind] = plot.trajectory_line(self.plane, run, self.labels[kind], color)
            self.curves[kind] = plot.loss_curve(self.losses, run, self.labels[kind], color, 0.0)
            handles[kind] = self.curves[kind]
        for kind, values in curves.items():
            style = "--" if kind == "frozen diagonal" else "-"
            color = self.colors[kind]
            (self.kappa_lines[kind],) = self.kappas.plot(
                self.angles, values, style, color=color, label=self.labels[kind], linewidth=1.6
            )
            (self.kappa_dots[kind],) = self.kappas.plot(
                [0.0], [values[0]], "o", color=color, markersize=6
            )
        handles["frozen diagonal"] = self.kappa_lines["frozen diagonal"]
        self.figure.legend(
            list(handles.values()), [self.labels[k] for k in handles],
            loc="outside lower center", ncol=5, fontsize=8.5, frameon=False,
        )  # fmt: skip


def rotation_widget(angle: float = 30.0, condition: float = 25.0) -> widgets.Interactive:
    """Rotate ``Q = R diag(1, κ) Rᵀ``: a diagonal preconditioner works only when the axes align.

    Sliders: the rotation angle (degrees) and κ.  Left: the paths of gradient
    descent (no preconditioner), Jacobi-preconditioned GD (P = diag(Q)⁻¹ recomputed
    for the rotated Q), Newton (P = Q⁻¹), each at its optimal α, and Adam; middle:
    their losses; right: κ(PQ) against the angle, also for the diagonal
    preconditioner of the unrotated Q (dashed).  Q and P reach the compiled
    runs as traced arrays and floats: no slider move recompiles.
    """
    panels = _RotationPanels()

    @functools.lru_cache(maxsize=64)
    def curves_for(condition: float) -> dict[str, np.ndarray]:
        return rotation_condition_numbers(condition, panels.angles)  # depends on κ only

    def compute(angle_degrees: float, condition: float):
        runs = _rotation_runs(math.radians(angle_degrees), condition)
        curves = curves_for(float(condition))
        return runs, curves, float(angle_degrees), float(condition)

    controls = {
        "angle_degrees": widgets.slider("angle (degrees)", angle, 0.0, 90.0, step=1.0),
        "condition": widgets.log_slider("κ = λ₂/λ₁", condition, 0.0, 2.0),
    }
    interactive = widgets.interactive(
        compute, panels.draw, controls, panels.figure, static="angle_degrees"
    )
    interactive.panels = panels
    return interactive


_ADAPTIVE = {"Adagrad": (opt.adagrad, 1.0)}


def adaptive_rotation_figure(
    condition: float = 25.0, steps: int = _ROTATION_STEPS, angles_degrees=None
) -> Experiment:
    """The loss after ``steps`` steps against the rotation angle of Q, per method.

    Gradient descent and Newton (α = 1/λ_max(PQ), as in :func:`rotation_widget`)
    do not care about the angle; Jacobi preconditioning and the adaptive methods
    (Adagrad α = 1, Adam α = 0.1), whose scalings are diagonal, do best when the
    axes align.  ``numbers`` holds each method's losses per angle.
    """
    angles = np.linspace(0.0, 90.0, 19) if angles_degrees is None else angles_degrees
    angles = np.asarray(angles, np.float64)
    finals: dict[str, list[float]] = {}
    for degrees in angles:
        radians = math.radians(degrees)
        runs = _rotation_runs(radians, condition, steps)
        Q32 = (jnp.asarray(problems.quadratic_matrix((1.0, condition), radians), jnp.float32),)
        for name, (factory, alpha) in _ADAPTIVE.items():
            runs[name] = trajectory(
                factory, problems.quadratic_loss, rotated_start(radians), steps,
                loss_args=Q32, learning_rate=alpha,
            )  # fmt: skip
        for name, run in runs.items():
            finals.setdefault(name, []).append(float(run.losses[-1]))
    labels = {
        **_RotationPanels.labels,
        **{name: f"{name}, α = {alpha:g}" for name, (_, alpha) in _ADAPTIVE.items()},
    }
    colors = {**_RotationPanels.colors, "Adagrad": plot.color(2)}
    fig, ax = plot.figure(ncols=1, width=6.4, height=3.6)
    for name in ("none", "Newton", "Jacobi", "Adagrad", "Adam"):
        shown = np.maximum(np.asarray(finals[name]), plot.LOSS_FLOOR)
        style = "-o" if name in _ADAPTIVE or name == "Adam" else "-"
        ax.plot(angles, shown, style, color=colors[name], label=labels[name],
                markersize=3.5, linewidth=1.6)  # fmt: skip
    ax.set_yscale("log")
    ax.set_xlabel("rotation angle of Q (degrees)")
    ax.set_ylabel(f"L(θ_{{{steps}}}) − L_min")
    ax.set_xlim(0, 90)
    ax.set_xticks([0, 15, 30, 45, 60, 75, 90])
    ax.set_title(f"loss after {steps} steps on ½θᵀQθ, κ = {condition:g}")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
    numbers: dict[str, Any] = {"angles": angles, "steps": steps, "condition": condition}
    numbers.update({name: np.asarray(values) for name, values in finals.items()})
    return Experiment(fig, numbers)


# --------------------------------------------------------------------------
# One learning rate per coordinate: a widget
# --------------------------------------------------------------------------


def _labelled(factory, label: str):
    """``factory`` under another name: :func:`lab.widgets.explore` labels runs by name."""

    def make(**hyperparameters):
        return factory(**hyperparameters)

    make.__signature__ = inspect.signature(factory)
    make.__name__ = label
    return make


_PER_COORDINATE = _labelled(per_coordinate_gd, "α₁, α₂ (diagonal P)")
_ONE_RATE = _labelled(registry.plain_gradient_descent, "one α = 2/(λ₁ + λ₂)")


def per_coordinate_widget(
    learning_rate_1: float = 1.5, learning_rate_2: float = 0.35, steps: int = 30
) -> widgets.Explorer:
    """Two sliders, one learning rate per coordinate, on ``½ θᵀ diag(0.4, 4) θ``.

    Coordinate i contracts by ``1 − α_i λ_i`` per step; for comparison, gradient
    descent with the best single rate 2/(λ₁ + λ₂).
    """
    bowl = problems.ill_conditioned_paraboloid()
    Q = _quadratic_matrix(bowl)
    lam = np.diag(Q)
    return widgets.explore(
        bowl,
        optimizers=(_ONE_RATE, _PER_COORDINATE),
        steps=steps,
        static="learning_rate_2",  # the rendered site varies α₂: 0.05 apart, 1/λ₂ and 2/λ₂ included
        learning_rate_1=widgets.slider("α₁", learning_rate_1, 0.0, 2.6 / lam[0], step=0.05),
        learning_rate_2=widgets.slider("α₂", learning_rate_2, 0.0, 3.2 / lam[1], step=0.005),
        learning_rate=analysis.optimal_learning_rate(Q),
    )


# --------------------------------------------------------------------------
# Newton's method
# --------------------------------------------------------------------------


def newton_rosenbrock_figure(newton_steps: int = 10, gd_steps: int = 1000) -> Experiment:
    """Newton's method against gradient descent on Rosenbrock's function with a = 0.

    ``L(θ) = θ₁² + 100 (θ₂ − θ₁²)²`` has its minimum at the origin, where float32
    resolves errors down to 1e−38, so the doubling of correct digits stays
    visible for longer than near (1, 1).  Panels: the paths; the error
    ‖θ_t − θ*‖ against t (log–log); log e_t against log e_{t−1} for Newton.
    """
    banana = problems.rosenbrock(a=0.0)
    run_newton = newton(banana.loss_fn, banana.start, newton_steps, loss_args=banana.args)
    alpha_gd = 2e-3
    run_gd = banana.run(opt.sgd, gd_steps, learning_rate=alpha_gd)
    errors_newton = np.linalg.norm(np.asarray(run_newton.params, np.float64), axis=1)
    errors_gd = np.linalg.norm(np.asarray(run_gd.params, np.float64), axis=1)
    fig, (plane, error_ax, order_ax) = plot.figure(ncols=3, width=3.4, height=3.4)
    plot.contour(plane, banana)
    plot.trajectory_line(plane, run_gd, f"gradient descent, α = {alpha_gd:g}", plot.color(1))
    plot.trajectory_line(plane, run_newton, "Newton", plot.color(0))
    plane.set_title("Rosenbrock (a = 0), from (−1.5, 2)")
    plane.legend(loc="lower right", fontsize=7.5)
    shown = slice(1, None)
    t_newton = np.arange(errors_newton.size)
    t_gd = np.arange(errors_gd.size)
    positive = errors_newton > 0
    error_ax.loglog(t_gd[shown], errors_gd[shown], color=plot.color(1), label="gradient descent")
    error_ax.loglog(
        t_newton[positive & (t_newton > 0)], errors_newton[positive & (t_newton > 0)], "-o",
        color=plot.color(0), label="Newton", markersize=3.5,
    )  # fmt: skip
    error_ax.set_xlabel("step t")
    error_ax.set_ylabel("‖θ_t − θ*‖")
    error_ax.set_title("error (log–log)")
    error_ax.legend(loc="lower left", fontsize=8)
    usable = np.flatnonzero(positive)
    logs = np.log10(errors_newton[usable])
    pairs = np.stack([logs[:-1], logs[1:]], axis=1)
    consecutive = usable[1:] == usable[:-1] + 1
    pairs = pairs[consecutive]
    order_ax.plot(pairs[:, 0], pairs[:, 1], "o", color=plot.color(0), label="Newton's steps")
    line = np.array([-20.0, 1.0])
    order_ax.plot(
        line, 2 * line, "--", color="black", linewidth=1, label=r"slope 2: $e_t = e_{t-1}^2$"
    )
    order_ax.plot(line, line, ":", color="grey", linewidth=1, label=r"slope 1: $e_t = e_{t-1}$")
    order_ax.set_xlim(-20, 1)
    order_ax.set_ylim(-40, 2)
    order_ax.set_xlabel(r"$\log_{10} e_{t-1}$")
    order_ax.set_ylabel(r"$\log_{10} e_t$")
    order_ax.set_title("order of convergence")
    order_ax.legend(loc="lower right", fontsize=7.5)
    orders = np.diff(logs[1:]) / np.diff(logs[:-1])  # log(e_{t+1}/e_t) / log(e_t/e_{t−1})
    numbers = {
        "errors_newton": errors_newton,
        "errors_gd": errors_gd,
        "losses_newton": np.asarray(run_newton.losses, np.float64),
        "orders": orders,
        "alpha_gd": alpha_gd,
        "gd_steps": gd_steps,
        "newton_steps": newton_steps,
        "start_loss": float(run_newton.losses[0]),
    }
    return Experiment(fig, numbers)


def newton_saddle_figure(steps: int = 80) -> Experiment:
    """From (1.5, 0.01), gradient descent escapes the saddle of ``problems.saddle()``; Newton does not.

    ``L(θ) = ½θ₁² − ½θ₂² + ¼θ₂⁴`` has ``∇²L = diag(1, 3θ₂² − 1)``: indefinite for
    |θ₂| < 1/√3.  There the Newton step heads for the stationary point, the saddle.
    """
    saddle = problems.saddle()
    alpha_gd = 0.1
    run_gd = saddle.run(opt.sgd, steps, learning_rate=alpha_gd)
    run_newton = newton(saddle.loss_fn, saddle.start, steps)
    fig, (plane, losses) = plot.figure(ncols=2, width=4.3, height=3.4)
    plot.contour(plane, saddle)
    plane.plot(0, 0, marker="X", markersize=10, color="white", markeredgecolor="black")
    runs = {f"gradient descent, α = {alpha_gd:g}": run_gd, "Newton": run_newton}
    for i, (label, run) in enumerate(runs.items()):
        color = plot.color(1 - i)
        plot.trajectory_line(plane, run, label, color)
        plot.loss_curve(losses, run, label, color, saddle.min_value)
    plane.set_title("paths from θ₀ = (1.5, 0.01); ✕ the saddle")
    losses.set_title("L(θ_t) − L_min")
    losses.legend(loc="center right", fontsize=8)
    end = np.asarray(run_newton.params[-1], np.float64)
    hessian = np.diag([1.0, 3 * end[1] ** 2 - 1.0])
    numbers = {
        "alpha_gd": alpha_gd,
        "steps": steps,
        "newton_end": end,
        "newton_params": np.asarray(run_newton.params, np.float64),
        "newton_end_loss": float(run_newton.losses[-1]),
        "newton_end_hessian_eigenvalues": np.linalg.eigvalsh(hessian),
        "newton_theta2_after_one_step": float(run_newton.params[1][1]),
        "gd_end": np.asarray(run_gd.params[-1], np.float64),
        "gd_end_loss": float(run_gd.losses[-1]),
        "min_value": saddle.min_value,
    }
    return Experiment(fig, numbers)


def log_cosh_loss(theta):
    """``L(θ) = Σᵢ log cosh θᵢ``: ∇L = tanh θ, ∇²L = diag(1 − tanh² θ), minimum 0 at 0.

    Far from 0 the curvature 1 − tanh² θ vanishes, so the Newton step
    −tanh θ/(1 − tanh² θ) = −½ sinh 2θ is huge.
    """
    return jnp.sum(jnp.log(jnp.cosh(theta)))


def _log_cosh_critical_start() -> float:
    """The start x_c > 0 with Newton's x₁ = −x_c: the root of sinh(2x) = 4x (bisection)."""
    low, high = 0.5, 2.0
    for _ in range(60):
        middle = (low + high) / 2
        if math.sinh(2 * middle) > 4 * middle:
            high = middle
        else:
            low = middle
    return (low + high) / 2


def newton_far_figure(steps: int = 20) -> Experiment:
    """Newton on log cosh: from x₀ = 1 it converges, from 1.2 it diverges; damping fixes it.

    Left: the loss, the quadratic model at x₀ = 1.2 and where its minimum sends
    the step.  Right: |θ_t| on a log scale for the pure step from 1.0 and 1.2, the
    half step α = ½ and the damped step μ = 1 from 1.2.
    """
    runs = {
        "pure, θ₀ = 1.0": newton(log_cosh_loss, np.array([1.0]), steps),
        "pure, θ₀ = 1.2": newton(log_cosh_loss, np.array([1.2]), steps),
        "α = 0.5, θ₀ = 1.2": newton(log_cosh_loss, np.array([1.2]), steps, learning_rate=0.5),
        "μ = 1, θ₀ = 1.2": newton(log_cosh_loss, np.array([1.2]), steps, damping=1.0),
    }
    fig, (curve_ax, error_ax) = plot.figure(ncols=2, width=4.4, height=3.4)
    xs = np.linspace(-2.5, 2.5, 401)
    curve_ax.plot(xs, np.log(np.cosh(xs)), color="black", linewidth=1.8, label="L(θ) = log cosh θ")
    x0 = 1.2
    g, h = math.tanh(x0), 1.0 - math.tanh(x0) ** 2
    model = math.log(math.cosh(x0)) + g * (xs - x0) + 0.5 * h * (xs - x0) ** 2
    curve_ax.plot(xs, model, "--", color=plot.color(0), label="quadratic model at θ₀ = 1.2")
    x1 = x0 - g / h  # the minimiser of the model: the Newton step
    model_minimum = math.log(math.cosh(x0)) - g**2 / (2 * h)
    curve_ax.plot([x0], [math.log(math.cosh(x0))], "o", color=plot.color(0))
    curve_ax.plot([x1], [model_minimum], "x", color=plot.color(0), markersize=8, mew=2)
    curve_ax.annotate(
        "", xy=(x1, math.log(math.cosh(x1))), xytext=(x0, math.log(math.cosh(x0))),
        arrowprops={"arrowstyle": "->", "color": plot.color(0), "linewidth": 1.5,
                    "connectionstyle": "arc3,rad=0.3"},
    )  # fmt: skip
    curve_ax.plot([x1], [math.log(math.cosh(x1))], "o", color=plot.color(0), mfc="white", mew=2)
    curve_ax.axvline(x1, color=plot.color(0), linewidth=0.8, alpha=0.6)
    curve_ax.set_xlim(-2.5, 2.5)
    curve_ax.set_ylim(-0.8, 2.5)
    curve_ax.set_xlabel("θ")
    curve_ax.set_title(f"the Newton step from 1.2 lands at {x1:.2f}")
    curve_ax.legend(loc="upper center", fontsize=8)
    for i, (label, run) in enumerate(runs.items()):
        values = np.abs(np.asarray(run.params, np.float64)[:, 0])
        values = np.where(np.isfinite(values), np.maximum(values, 1e-30), np.nan)
        error_ax.semilogy(np.arange(values.size), values, "-o", color=plot.color(i),
                          label=label, markersize=3)  # fmt: skip
        if run.diverged_at is not None:
            last = run.diverged_at - 1
            error_ax.annotate("diverged", (last, values[last]), textcoords="offset points",
                              xytext=(4, 4), color=plot.color(i), fontsize=8)  # fmt: skip
    error_ax.set_xlabel("step t")
    error_ax.set_ylabel("|θ_t − θ*|")
    error_ax.set_title("distance to the minimum")
    error_ax.set_ylim(1e-13, 1e3)
    error_ax.set_xlim(0, steps)
    error_ax.legend(loc="lower left", fontsize=7.5)
    numbers = {
        "x1_from_1.2": x1,
        "model_minimum": model_minimum,
        "curvature_at_1.2": h,
        "critical_start": _log_cosh_critical_start(),
        "steps": steps,
    }
    for label, run in runs.items():
        numbers[label] = run
    return Experiment(fig, numbers)


class _DampedNewtonPanels:
    """Saddle contours with the damped Newton and gradient-descent paths | losses."""

    def __init__(self, problem: Problem):
        self.problem = problem
        self.figure, (self.plane, self.losses) = plot.figure(ncols=2, width=4.3, height=3.5)
        plot.contour(self.plane, problem)
        self.plane.plot(0, 0, marker="X", markersize=10, color="white", markeredgecolor="black")
        self.losses.set_title("L(θ_t) − L_min")
        self.paths: dict[str, plot.TrajectoryArtists] = {}
        self.curves: dict[str, Any] = {}
        self.message = None

    def draw(self, result) -> None:
        runs, status = result
        newton_label = next(iter(runs))
        if not self.paths:
            for i, (label, run) in enumerate(runs.items()):
                color = plot.color(i)
                self.paths[label] = plot.trajectory_line(self.plane, run, label, color)
                self.curves[label] = plot.loss_curve(
                    self.losses, run, label, color, self.problem.min_value
                )
            self.losses.legend(loc="lower left", fontsize=8)
            self.message = plot.divergence_message(self.plane, runs[newton_label], "Newton")
        for label, run in runs.items():
            plot.update_trajectory_line(self.paths[label], run)
            plot.update_loss_curve(self.curves[label], run, self.problem.min_value)
        plot.update_divergence_message(self.message, runs[newton_label], "Newton")
        self.plane.set_title(status, fontsize=10)
        plot.set_loss_axis_limits(self.losses, list(self.curves.values()))


def _where_it_ended(run: Trajectory) -> str:
    """A sentence saying whether a run on the saddle problem ended at the saddle or a minimum.

    Judged by ∇L = (θ₁, θ₂³ − θ₂) and ∇²L = diag(1, 3θ₂² − 1) at its last point.
    """
    if run.diverged_at is not None:
        return f"Newton diverged at step {run.diverged_at}"
    points = np.asarray(run.params, np.float64)
    finite = np.all(np.isfinite(points), axis=1)
    x, y = points[np.flatnonzero(finite)[-1]]
    gradient = math.hypot(x, y**3 - y)
    if gradient > 1e-3:
        return f"Newton ends at ({x:.2f}, {y:.2f}): not stationary"
    kind = "a minimum" if 3 * y**2 - 1 > 0 else "the saddle"
    return f"Newton ends at {kind} ({x:.2f}, {y:.2f})"


def damped_newton_widget(
    learning_rate: float = 1.0, damping: float = 1.5, steps: int = 80
) -> widgets.Interactive:
    """Damped Newton ``θ_t = θ_{t−1} − α (∇²L + μI)⁻¹ ∇L`` on the saddle problem.

    Sliders: α and μ.  For μ < 1 = −λ_min(∇²L(0)) the damped Hessian is
    indefinite near the saddle and the step can lead into it; for μ > 1 it is
    positive definite and the step escapes; large μ approaches gradient descent
    with step α/μ.  Gradient descent (α = 0.1) is shown for comparison.
    """
    saddle = problems.saddle()
    panels = _DampedNewtonPanels(saddle)
    gd = saddle.run(opt.sgd, steps, learning_rate=0.1)

    def compute(learning_rate: float, damping: float):
        run = newton(
            saddle.loss_fn, saddle.start, steps,
            learning_rate=float(learning_rate), damping=float(damping),
        )  # fmt: skip
        label = "damped Newton"
        return {label: run, "gradient descent, α = 0.1": gd}, _where_it_ended(run)

    controls = {
        "damping": widgets.slider("μ", damping, 0.0, 4.0, step=0.05),
        "learning_rate": widgets.slider("α", learning_rate, 0.05, 1.0, step=0.05),
    }
    interactive = widgets.interactive(
        compute, panels.draw, controls, panels.figure, static="damping"
    )
    interactive.panels = panels
    return interactive
