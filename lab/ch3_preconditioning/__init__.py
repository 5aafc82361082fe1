"""Chapter 3, *Preconditioning*: what the notebook ``book/preconditioning.ipynb`` runs and draws.

The chapter studies the preconditioned gradient step

    θ_t = θ_{t−1} − α P ∇L(θ_{t−1}),

which, in the package, is ``chain(precondition(P), scale_by_learning_rate(α))``.
On a quadratic ``L(θ) = ½ θᵀQθ`` with a symmetric positive-definite P it is plain
gradient descent on ``½ φᵀ P^{1/2} Q P^{1/2} φ`` (θ = P^{1/2} φ), whose eigenvalues
are those of PQ: P = Q⁻¹ makes them all 1, a diagonal P can only undo the scales
of the coordinates, and Newton's method takes P = ∇²L(θ_{t−1})⁻¹ at every step.

Tests: ``tests/test_ch3_preconditioning.py``.  Each computation returns a
``NamedTuple`` whose docstring says what each field is; ``xxx_figure(result)`` draws
it; the widgets are :class:`lab.plot.Panels` subclasses.

Submodules
----------

``preconditioned_step``
    :func:`entries_2d`, P's entries as the traced hyperparameters of
    :func:`preconditioned_gd_2d`.  The preconditioned step itself, :func:`preconditioned_gd`,
    its 2-D form with traced entries (one compiled program for every P) and
    :func:`per_coordinate_gd` are teaching variants of :mod:`lab.registry`, re-exported here.
``spectrum``
    the eigenvalues and condition number of PQ, Jacobi's ``diag(Q)⁻¹``, the best
    diagonal P in 2-D (:class:`BestDiagonal`).  The exercises call these with the
    reader's own matrices, so they check their arguments.
``per_coordinate``
    one learning rate per coordinate: :class:`PerCoordinateRuns`, the figure, the widget.
``correlated_quadratic``
    ``Q = DCD`` (:func:`scaled_correlated_quadratic`) and no preconditioner, Jacobi and
    Q⁻¹ on it: :class:`PreconditionerComparison` of three :class:`PreconditionedRun`.
``rotation``
    ``Q = R(φ) diag(1, κ) R(φ)ᵀ``: :class:`RotatedPreconditioners`,
    :class:`RotationConditionNumbers` (κ(PQ) per angle), :class:`RotationRuns`.
``rotation_panels``
    the rotation widget: :class:`RotationPanels`, :class:`RotationFrame`.
``adaptive_rotation``
    Adagrad, Adam and Jacobi against the angle: :class:`AdaptiveRotationLosses`.
``newton_convergence``
    Newton against gradient descent on Rosenbrock: :class:`NewtonRosenbrockRuns`.
``newton_saddle``
    Newton into the saddle (:class:`NewtonSaddleRuns`) and the damped-Newton widget
    (:class:`DampedNewtonPanels`, :class:`DampedNewtonFrame`).
``newton_far``
    Newton on log cosh from far away, halved and damped: :class:`NewtonFarRuns`.

What the prose glues and asserts, section by section
----------------------------------------------------

*One learning rate per coordinate* — :func:`per_coordinate_runs`: ``lambda_1``,
``lambda_2``, ``kappa``, ``alpha_star``, ``rate``, ``steps``, ``start_loss``,
``gd_final_loss``, ``learning_rate_1``, ``learning_rate_2``,
``per_coordinate_loss_after_one_step``, ``per_coordinate_point_after_one_step``; the
defaults of :func:`per_coordinate_widget`.

*The preconditioned gradient step* — computed in the notebook with the library.

*What a preconditioner does to the condition number* — :func:`preconditioner_comparison`:
``Q``, ``steps`` and, for each of ``none``, ``jacobi``, ``newton``: ``kappa``, ``alpha``,
``predicted_rate``, ``measured_rate``, ``final_loss``, ``steps_to_tolerance``;
:func:`preconditioned_eigenvalues`, :func:`jacobi`,
:func:`best_diagonal_condition_number` (``condition_number``).

*Rotation breaks a diagonal preconditioner* — :func:`rotation_condition_numbers`:
``none``, ``jacobi``, ``frozen_diagonal``, ``newton`` at 0°, 45°, 90°.

*Adaptive methods are diagonal preconditioners* — :func:`adaptive_rotation_losses`:
``angles_degrees``, ``steps``, ``none``, ``jacobi``, ``newton``, ``adagrad``, ``adam``.

*Newton's method: the preconditioner that follows the curvature* —
:func:`newton_rosenbrock_runs`: ``newton_steps``, ``gd_steps``, ``alpha_gd``,
``errors_newton``, ``errors_gd``, ``losses_newton``, ``orders``, ``start_loss``.

*At a saddle point* — :func:`newton_saddle_runs`: ``newton_theta2_after_one_step``,
``alpha_gd``, ``steps``, ``gd_end_loss``, ``newton_end_loss``, ``newton_end``,
``newton_params``, ``newton_end_hessian_eigenvalues``, ``min_value``.

*Far from the minimum* — :func:`newton_far_runs`: ``x1``, ``curvature``,
``critical_start``, ``pure_from_1_0``, ``pure_from_1_2``, ``half_step_from_1_2``,
``damped_from_1_2``.

*Exercises* — :func:`scaled_correlated_quadratic`, :func:`best_diagonal_condition_number`,
:func:`preconditioned_eigenvalues`, :func:`rotation_condition_numbers`
(``frozen_diagonal``), :func:`log_cosh_loss`, :func:`preconditioned_gd`, and
``critical_start`` of :func:`newton_far_runs`.
"""

from lab.ch3_preconditioning.adaptive_rotation import (
    AdaptiveRotationLosses,
    adaptive_rotation_figure,
    adaptive_rotation_losses,
)
from lab.ch3_preconditioning.correlated_quadratic import (
    PreconditionedRun,
    PreconditionerComparison,
    preconditioner_comparison,
    preconditioner_comparison_figure,
    scaled_correlated_quadratic,
)
from lab.ch3_preconditioning.newton_convergence import (
    NewtonRosenbrockRuns,
    newton_rosenbrock_figure,
    newton_rosenbrock_runs,
)
from lab.ch3_preconditioning.newton_far import (
    NewtonFarRuns,
    log_cosh_loss,
    newton_far_figure,
    newton_far_runs,
)
from lab.ch3_preconditioning.newton_saddle import (
    DampedNewtonFrame,
    DampedNewtonPanels,
    NewtonSaddleRuns,
    damped_newton_widget,
    newton_saddle_figure,
    newton_saddle_runs,
)
from lab.ch3_preconditioning.per_coordinate import (
    PerCoordinateRuns,
    per_coordinate_figure,
    per_coordinate_runs,
    per_coordinate_widget,
)
from lab.ch3_preconditioning.rotation import (
    RotatedPreconditioners,
    RotationConditionNumbers,
    RotationRuns,
    rotated_preconditioners,
    rotated_start,
    rotation_condition_numbers,
    rotation_runs,
)
from lab.ch3_preconditioning.rotation_panels import RotationFrame, RotationPanels, rotation_widget
from lab.ch3_preconditioning.spectrum import (
    BestDiagonal,
    best_diagonal_condition_number,
    jacobi,
    preconditioned_condition_number,
    preconditioned_eigenvalues,
)
from lab.registry import per_coordinate_gd, preconditioned_gd, preconditioned_gd_2d

__all__ = [
    "AdaptiveRotationLosses",
    "BestDiagonal",
    "DampedNewtonFrame",
    "DampedNewtonPanels",
    "NewtonFarRuns",
    "NewtonRosenbrockRuns",
    "NewtonSaddleRuns",
    "PerCoordinateRuns",
    "PreconditionedRun",
    "PreconditionerComparison",
    "RotatedPreconditioners",
    "RotationConditionNumbers",
    "RotationFrame",
    "RotationPanels",
    "RotationRuns",
    "adaptive_rotation_figure",
    "adaptive_rotation_losses",
    "best_diagonal_condition_number",
    "damped_newton_widget",
    "jacobi",
    "log_cosh_loss",
    "newton_far_figure",
    "newton_far_runs",
    "newton_rosenbrock_figure",
    "newton_rosenbrock_runs",
    "newton_saddle_figure",
    "newton_saddle_runs",
    "per_coordinate_figure",
    "per_coordinate_gd",
    "per_coordinate_runs",
    "per_coordinate_widget",
    "preconditioned_condition_number",
    "preconditioned_eigenvalues",
    "preconditioned_gd",
    "preconditioned_gd_2d",
    "preconditioner_comparison",
    "preconditioner_comparison_figure",
    "rotated_preconditioners",
    "rotated_start",
    "rotation_condition_numbers",
    "rotation_runs",
    "rotation_widget",
    "scaled_correlated_quadratic",
]
