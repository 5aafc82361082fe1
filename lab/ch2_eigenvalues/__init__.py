"""Chapter 2, "Eigenvalue learning-rate analysis": what the chapter runs and draws.

The chapter is ``book/eigenvalues.ipynb``; it imports this package as
``from lab import ch2_eigenvalues as eig``.  Its tests are
``tests/test_ch2_eigenvalues.py`` (the widgets' response times are in
``benchmarks/widget_response.py``).

The quadratics are ``L(θ) = ½ θᵀQθ`` (so ∇L = Qθ), run with :func:`lab.trajectory`
and :func:`lab.problems.quadratic_loss` with Q passed as a *traced* argument
(``loss_args=(Q,)``): a new eigenvalue, rotation or learning rate reuses the
compiled program.  Predictions come from :mod:`lab.analysis`.  The chapter's
facts, with ``z = Vᵀθ`` the coordinates in the eigenbasis of ``Q = VΛVᵀ``:

* ``z_{t,i} = (1 − αλᵢ)^t z_{0,i}`` exactly (gradient descent decouples);
* stable iff ``α < 2/λ_max``; fastest at ``α* = 2/(λ_min + λ_max)``, where the
  rate ``max_i |1 − αλᵢ|`` is ``(κ − 1)/(κ + 1)``;
* ``‖θ_t‖ ≤ ρ^t ‖θ₀‖`` with ρ that rate, so at most
  ``⌈log(tol)/log(ρ)⌉`` steps reach ``‖θ_t‖ ≤ tol ‖θ₀‖``.

Submodules, in the order of the chapter:

* :mod:`.eigenbasis`: the running 2-D example (:data:`EIGENVALUES`, :data:`ANGLE`,
  :data:`START`, :data:`STEPS`), :func:`eigenbasis_run` → :class:`EigenbasisRun`
  (measured and predicted ``z_t``), :func:`zigzag_figure`, :func:`eigenbasis_figure`;
* :mod:`.level_sets`: drawing helpers shared by those figures and the eigenvalue
  widget (ellipses, eigenvector axes, the |z_{t,i}| panel, colours);
* :mod:`.eigenvalue_panels`: :class:`EigenvaluePanels` and :func:`eigenvalue_widget`;
* :mod:`.rate_panels`: :func:`rate_run` → :class:`RateRun`, :class:`RatePanels`,
  :func:`rate_widget`, and :func:`rate_function`, :func:`steps_to_tolerance`;
* :mod:`.step_counts`: :func:`iterations_sweep` → :class:`IterationSweep`,
  :func:`iterations_figure`;
* :mod:`.network_sharpness`: :func:`squared_error_loss`, :func:`network_problem` →
  :class:`NetworkProblem`, :func:`dense_hessian_check` → :class:`DenseCheck`;
* :mod:`.edge_of_stability`: :func:`learning_rate_sweep` → :class:`LearningRateSweep`,
  :func:`sweep_figure`;
* :mod:`.cross_entropy`: :func:`cross_entropy_sweep` → :class:`CrossEntropySweep`.

What the prose glues and asserts, per section of the notebook:

* "A zig-zag, seen from the right angle": ``zigzag_figure(eigenbasis_run(learning_rate=0.17),
  steps=12)`` (a figure only).
* "Predicted against measured": two :class:`EigenbasisRun` (α = 0.17 and 0.21) drawn by
  :func:`eigenbasis_figure`; glues and asserts ``max_relative_error``, ``factors[0]``,
  ``factors[1]`` and ``measured[-1]`` against ``measured[0]``.
* "The best learning rate": ``measured`` of an :class:`EigenbasisRun` at α* (the measured
  rate); the rest comes from :mod:`lab.analysis`.  The two widgets show
  :class:`EigenbasisRun` and :class:`RateRun`.
* "How many steps?": :class:`IterationSweep` ``condition_numbers``, ``lower``,
  ``measured``, ``predicted``, ``shares``, ``tol``, and ``table()``.
* "Beyond quadratics: the sharpness of a network": :class:`NetworkProblem`
  ``num_parameters``, ``sharpness`` (``eigenvalue``, ``residual``, ``estimates``),
  ``predicted_learning_rate``; :class:`LearningRateSweep` ``first_diverging``,
  ``last_converging``, ``predicted``, ``factors``, ``learning_rates``, ``diverged_at``,
  ``final_sharpness``, ``monotone()``; :class:`CrossEntropySweep` ``sharpness``,
  ``first_diverging_factor``, ``val_accuracy``, ``table()``.
* Exercises: the reader calls :func:`network_problem`, :func:`dense_hessian_check` and
  :func:`squared_error_loss` (so :func:`network_problem` checks its arguments).
"""

from lab.ch2_eigenvalues.cross_entropy import CrossEntropySweep, cross_entropy_sweep
from lab.ch2_eigenvalues.edge_of_stability import (
    LearningRateSweep,
    learning_rate_sweep,
    sweep_figure,
)
from lab.ch2_eigenvalues.eigenbasis import (
    ANGLE,
    EIGENVALUES,
    START,
    STEPS,
    EigenbasisRun,
    eigenbasis_figure,
    eigenbasis_run,
    zigzag_figure,
)
from lab.ch2_eigenvalues.eigenvalue_panels import EigenvaluePanels, eigenvalue_widget
from lab.ch2_eigenvalues.level_sets import Z_LIMITS
from lab.ch2_eigenvalues.network_sharpness import (
    POWER_ITERATIONS,
    DenseCheck,
    NetworkProblem,
    dense_hessian_check,
    network_problem,
    squared_error_loss,
)
from lab.ch2_eigenvalues.rate_panels import (
    RATE_STEPS,
    TOLERANCE,
    RatePanels,
    RateRun,
    rate_function,
    rate_run,
    rate_widget,
    steps_to_tolerance,
)
from lab.ch2_eigenvalues.step_counts import IterationSweep, iterations_figure, iterations_sweep

__all__ = [
    "ANGLE",
    "EIGENVALUES",
    "POWER_ITERATIONS",
    "RATE_STEPS",
    "START",
    "STEPS",
    "TOLERANCE",
    "Z_LIMITS",
    "CrossEntropySweep",
    "DenseCheck",
    "EigenbasisRun",
    "EigenvaluePanels",
    "IterationSweep",
    "LearningRateSweep",
    "NetworkProblem",
    "RatePanels",
    "RateRun",
    "cross_entropy_sweep",
    "dense_hessian_check",
    "eigenbasis_figure",
    "eigenbasis_run",
    "eigenvalue_widget",
    "iterations_figure",
    "iterations_sweep",
    "learning_rate_sweep",
    "network_problem",
    "rate_function",
    "rate_run",
    "rate_widget",
    "squared_error_loss",
    "steps_to_tolerance",
    "sweep_figure",
    "zigzag_figure",
]
