"""The lab of chapter 1, *Gradient descent*: what the chapter computes and draws.

Contributor map
---------------

* Notebook: ``book/gradient_descent.ipynb`` (imports this package as ``gd``).
* Tests: ``tests/test_ch1_gradient_descent.py``.
* Submodules, in the order of the chapter:

  - :mod:`~lab.ch1_gradient_descent.landscapes`: critical points found by Newton's
    method and classified by the Hessian; the three landscapes.
  - :mod:`~lab.ch1_gradient_descent.starting_point`: basins of attraction on
    Himmelblau's function, one run from a chosen start, the starting-point widget.
  - :mod:`~lab.ch1_gradient_descent.saddles`: escape times from the saddle's axis,
    measured and predicted; the saddle figure and widget.
  - :mod:`~lab.ch1_gradient_descent.finite_differences`: the error of difference
    quotients against the step h; the gradient-check demo.
  - :mod:`~lab.ch1_gradient_descent.gradient_cost`: random directions in ℝᵈ, and what
    random search, finite differences and ``jax.grad`` cost as d grows (counts, times).
  - :mod:`~lab.ch1_gradient_descent.learning_rates`: one step by the formula, the
    learning-rate thresholds, four regimes, the learning-rate widget.
  - :mod:`~lab.ch1_gradient_descent.stochastic_runs`: the regression problem and the
    one compiled stochastic run every mini-batch experiment uses.
  - :mod:`~lab.ch1_gradient_descent.minibatches`: the mini-batch gradient's variance
    against B, a budget of epochs spent with three batch sizes, the batch-size widget.
  - :mod:`~lab.ch1_gradient_descent.noise_floor`: constant and decaying learning rates
    against the noise floor.
  - :mod:`~lab.ch1_gradient_descent.static_frames`: how many frames the site's
    explorers of the widgets show.

Every computation returns a ``NamedTuple`` with documented fields; every ``*_figure``
takes such results and returns the figure; every widget figure is a
:class:`lab.plot.Panels` subclass.

What the prose glues and asserts, per section (``gd_*`` glue names)
-------------------------------------------------------------------

* *What we minimise, and why it is hard*: :func:`landscape_critical_points` →
  :class:`LandscapeCriticalPoints`; ``.himmelblau`` and ``.saddle`` are lists of
  :class:`CriticalPoint` whose ``kind``, ``theta``, ``loss`` and ``hessian_eigenvalues``
  are glued (counts of each kind, the maximum, the saddle's eigenvalues) and asserted
  (4 minima, 4 saddles, 1 maximum; minima at L = 0; the saddle at 0 with eigenvalues ∓1).
* *Where you start decides where you end*: :func:`basins` → :class:`Basins`;
  ``labels`` and ``fractions`` glued and asserted (every basin 20–30 %, every start
  ends at a minimum).  :func:`himmelblau_run` → :class:`HimmelblauRun`;
  ``minimum_index`` asserted (one slider step changes it) and ``run.losses`` asserted
  (a plateau near a saddle).
* *Saddle points slow gradient descent down*: :func:`saddle_escape` →
  :class:`SaddleEscape`; ``learning_rate``, ``offsets``, ``measured``, ``predicted``,
  ``steps_per_decade`` and ``predicted_steps_per_decade`` glued and asserted (within
  2 % per decade, 4 steps per run).
* *Random search: guess and compare*: :func:`random_direction_alignment` →
  :class:`RandomDirections`; ``dims``, ``samples``, ``mean_cos2`` and ``predicted``
  glued, ``mean_cos2 · d ≈ 1`` asserted.
* *Finite differences: measure the slope*: :func:`finite_difference_errors` →
  :class:`FiniteDifferenceErrors`; for each of ``quotients`` (a :class:`DifferenceError`)
  ``predicted_step``, ``bound``, ``reliable_step``, ``reliable_error`` and
  ``smallest_error`` glued and, with ``truncation_ratio``, asserted.
* *Checking a gradient*: :func:`gradient_check_demo` → :class:`GradientCheckDemo`;
  ``autodiff``, ``by_hand`` and ``slip`` (``relative_error``, ``evaluations``) glued
  and asserted.
* *What each method costs as the dimension grows*: :func:`evaluations_to_reduce` →
  :class:`CostToReduce` and :func:`gradient_timings` → :class:`GradientTimings`; every
  table at the largest d glued, the counts' growth with d asserted exactly.
* *The update rule*: :func:`one_step_decrease` → :class:`OneStep`; every field glued,
  formula = code asserted.
* *Four learning rates on one problem*: :func:`learning_rate_thresholds` →
  :class:`LearningRateThresholds` (every field glued) and :func:`learning_rate_runs` →
  :class:`LearningRateRuns` (each regime's ``final_loss``, ``diverged_at``, ``params``
  glued and asserted).
* *The noise falls like 1/B* (and its paragraph *What an epoch buys*): :func:`gradient_variance` →
  :class:`GradientVariance` (``measured``, ``predicted``, ``sigma2``, ``samples``) and
  :func:`epoch_budget` → :class:`EpochBudget`, whose :class:`BudgetRun` fields give
  ``steps``, ``first_epoch_gap`` and ``last_epoch_gap`` (glued and asserted).
* *Constant learning rates stall at a noise floor*: :func:`schedule_noise_floor` →
  :class:`ScheduleNoiseFloor`; ``large_floor`` and ``small_floor`` (``measured``,
  ``predicted``) and each setting's ``final_gap`` glued and asserted.

Every run is plain gradient descent ``θ_t = θ_{t−1} − α g_t`` with
``g_t = ∇L(θ_{t−1})`` (or a mini-batch estimate of it).  Single paths go
through :func:`lab.trajectory.trajectory`, with the numbers a slider
moves passed as traced values, so that widgets never recompile; the figures
reuse the widgets' compiled programs wherever they can, since compiling is
what a notebook spends most of its time on.
"""

from lab.ch1_gradient_descent.finite_differences import (
    DifferenceError,
    FiniteDifferenceErrors,
    GradientCheckDemo,
    finite_difference_errors,
    finite_difference_figure,
    gradient_check_demo,
)
from lab.ch1_gradient_descent.gradient_cost import (
    CostProblem,
    CostToReduce,
    GradientTimings,
    RandomDirections,
    cost_figure,
    cost_problem,
    evaluations_to_reduce,
    gradient_timings,
    random_direction_alignment,
)
from lab.ch1_gradient_descent.landscapes import (
    CriticalPoint,
    LandscapeCriticalPoints,
    critical_points,
    landscape_critical_points,
    landscape_figure,
)
from lab.ch1_gradient_descent.learning_rates import (
    LEARNING_RATE_FRAMES,
    LEARNING_RATE_REGIMES,
    LearningRateRuns,
    LearningRateThresholds,
    OneStep,
    learning_rate_figure,
    learning_rate_runs,
    learning_rate_thresholds,
    learning_rate_widget,
    one_step_decrease,
)
from lab.ch1_gradient_descent.minibatches import (
    EPOCH_BATCH_SIZES,
    BatchSizePanels,
    BudgetRun,
    EpochBudget,
    FullBatchAtBestRate,
    GradientVariance,
    batch_size_widget,
    budget_run,
    epoch_budget,
    full_batch_at_best_rate,
    gap_after_epochs,
    gradient_variance,
    last_epoch_gap,
    minibatch_figure,
)
from lab.ch1_gradient_descent.noise_floor import (
    ConstantRateFloor,
    ScheduleNoiseFloor,
    ScheduleRuns,
    noise_floor_figure,
    schedule_noise_floor,
)
from lab.ch1_gradient_descent.saddles import (
    SADDLE_LOSS_FLOOR,
    SaddleEscape,
    SaddleOffsetPanels,
    SaddleOffsetRun,
    escape_step,
    predicted_escape_step,
    saddle_escape,
    saddle_figure,
    saddle_offset_run,
    saddle_widget,
)
from lab.ch1_gradient_descent.starting_point import (
    BASIN_STEPS,
    HIMMELBLAU_LEARNING_RATE,
    Basins,
    HimmelblauRun,
    StartingPointPanels,
    basins,
    himmelblau_run,
    starting_point_widget,
)
from lab.ch1_gradient_descent.static_frames import STATIC_FRAMES, with_static_frames
from lab.ch1_gradient_descent.stochastic_runs import (
    EPOCHS,
    per_example_gradients,
    regression_problem,
    stochastic_run,
)
from lab.registry import scheduled_gradient_descent

__all__ = [
    "BASIN_STEPS",
    "EPOCHS",
    "EPOCH_BATCH_SIZES",
    "HIMMELBLAU_LEARNING_RATE",
    "LEARNING_RATE_FRAMES",
    "LEARNING_RATE_REGIMES",
    "SADDLE_LOSS_FLOOR",
    "STATIC_FRAMES",
    "Basins",
    "BatchSizePanels",
    "BudgetRun",
    "ConstantRateFloor",
    "CostProblem",
    "CostToReduce",
    "CriticalPoint",
    "DifferenceError",
    "EpochBudget",
    "FiniteDifferenceErrors",
    "FullBatchAtBestRate",
    "GradientCheckDemo",
    "GradientTimings",
    "GradientVariance",
    "HimmelblauRun",
    "LandscapeCriticalPoints",
    "LearningRateRuns",
    "LearningRateThresholds",
    "OneStep",
    "RandomDirections",
    "SaddleEscape",
    "SaddleOffsetPanels",
    "SaddleOffsetRun",
    "ScheduleNoiseFloor",
    "ScheduleRuns",
    "StartingPointPanels",
    "basins",
    "batch_size_widget",
    "budget_run",
    "cost_figure",
    "cost_problem",
    "critical_points",
    "epoch_budget",
    "escape_step",
    "evaluations_to_reduce",
    "finite_difference_errors",
    "finite_difference_figure",
    "full_batch_at_best_rate",
    "gap_after_epochs",
    "gradient_check_demo",
    "gradient_timings",
    "gradient_variance",
    "himmelblau_run",
    "landscape_critical_points",
    "landscape_figure",
    "last_epoch_gap",
    "learning_rate_figure",
    "learning_rate_runs",
    "learning_rate_thresholds",
    "learning_rate_widget",
    "minibatch_figure",
    "noise_floor_figure",
    "one_step_decrease",
    "per_example_gradients",
    "predicted_escape_step",
    "random_direction_alignment",
    "regression_problem",
    "saddle_escape",
    "saddle_figure",
    "saddle_offset_run",
    "saddle_widget",
    "schedule_noise_floor",
    "scheduled_gradient_descent",
    "starting_point_widget",
    "stochastic_run",
    "with_static_frames",
]
