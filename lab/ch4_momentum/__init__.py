"""Chapter 4, "Momentum": its computations, results, figures and widgets.

Contributor map
===============

* Notebook: ``book/momentum.ipynb`` (``from lab import ch4_momentum as mom``).
* Tests: ``tests/test_ch4_momentum.py``.
* This package, one submodule per idea (everything public is re-exported here):

  ====================  ======================================================================
  ``valley``            the running example (:func:`paraboloid`, :data:`STEPS`),
                        :func:`stability_check`, :func:`steps_below`, :func:`paraboloid_widget`
  ``three_forms``       the heavy ball written three ways (:func:`forms_check`) and the
                        velocity as a moving average (:func:`moving_average`,
                        :func:`averaging_figure`, :func:`velocity_buildup`)
  ``eigendirection``    one eigendirection: :func:`spectral_radius`, :func:`regime`,
                        :func:`critical_damping_steps`, :func:`eigendirection_widget`
  ``phase``             the rate over (α, β): :func:`phase_diagram`, :func:`phase_figure`
  ``optimal_rates``     Polyak's optimum: :func:`iteration_summary`, :func:`optimum_run`,
                        :func:`rates_figure`
  ``nesterov``          the look-ahead form (:func:`nesterov_check`), :func:`nesterov_rate`,
                        :func:`rate_curves`, :func:`nesterov_rate_figure`, :func:`nesterov_widget`
  ``noisy_gradients``   mini-batch noise floors: :func:`noise_runs`, :func:`noise_floor`,
                        :func:`noise_floor_prediction`, :func:`noise_figure`
  ``saddles``           :func:`saddle_growth`, :func:`escape_runs`, :func:`basin_sweep`,
                        :func:`double_well`, :func:`escape_figure`
  ====================  ======================================================================

What the prose glues and asserts, section by section (the results' fields):

* "A ball rolling down a valley": the widget's runs through :func:`steps_below`;
  :class:`StabilityCheck` ``gd_diverged``, ``heavy_ball_diverged`` at α = 0.6.
* "The heavy ball, three ways": :class:`FormsCheck` ``learning_rate``, ``momentum``,
  ``ema_learning_rate``, ``inside_gap``, ``ema_gap``, ``naive_ema_gap``; figure
  ``mom_averaging`` from :class:`MovingAverage`; :func:`velocity_buildup` against
  ``(1 − β^t)/(1 − β)``.
* "Momentum on a quadratic, one eigendirection at a time": :func:`critical_damping_steps`,
  :func:`regime` (asserted against ``analysis.momentum_rate``); the widget
  (:class:`DirectionResult`).
* "The phase diagram": :class:`PhaseDiagram` ``rates``, ``best`` (a :class:`GridPoint`
  ``learning_rate``, ``momentum``, ``rate``); the table from :class:`IterationSummary`
  ``gd_rate``, ``momentum_rate``, ``gd_steps``, ``momentum_steps`` at κ = 10 and 100.
* "Measured against predicted": :class:`OptimumRun` ``kappa``, ``max_relative_error``,
  ``window(t1, t2)`` (a :class:`RateWindow` ``measured``, ``low``, ``high``) and
  ``steps_to(tol)`` (a :class:`StepsToTolerance` ``gd``, ``heavy_ball``).
* "Nesterov's look-ahead": :class:`NesterovCheck` ``shifted_gap``, ``unshifted_gap``,
  ``buffer_gap``; figure ``mom_nag_rates`` from :class:`RateCurves`;
  :func:`nesterov_rate`; the widget's ``final_loss`` of both runs.
* "Momentum with noisy gradients": :class:`NoiseRuns` ``sgd_floor``, ``heavy_ball_floor``,
  ``effective_floor`` and ``floors`` (each a :class:`HeavyBallNoiseFloor` ``momentum``,
  ``measured``, ``standard_error``, ``predicted``); :data:`NOISE_BATCH`,
  :data:`NOISE_STEPS`, :data:`NOISE_BURN_IN`.
* "Saddles and shallow minima": :class:`SaddleGrowth` ``predicted_gd``, ``predicted``,
  ``measured_gd``, ``measured``; :class:`EscapeRuns` ``gd_escape``,
  ``heavy_ball_escape`` and the ``*_well`` fields; :class:`BasinSweep` ``momenta``,
  ``right``, ``left``; :func:`double_well` ``minima``.
* Exercises: :func:`velocity_buildup`, :func:`nesterov_rate`, :func:`phase_diagram` with
  ``nesterov=True``, :func:`basin_sweep` at α = 0.05 (these, and the widget builders,
  check their arguments: a reader calls them with their own values).
"""

from lab.ch4_momentum.eigendirection import (
    EIGEN_STEPS,
    REGIMES,
    DirectionPanels,
    DirectionResult,
    critical_damping_steps,
    direction_run,
    eigendirection_widget,
    regime,
    spectral_radius,
)
from lab.ch4_momentum.nesterov import (
    NesterovCheck,
    RateCurves,
    nesterov_check,
    nesterov_iteration_matrix,
    nesterov_lookahead,
    nesterov_rate,
    nesterov_rate_figure,
    nesterov_widget,
    rate_curves,
)
from lab.ch4_momentum.noisy_gradients import (
    FLOOR_FROM,
    NOISE_BATCH,
    NOISE_BURN_IN,
    NOISE_STEPS,
    HeavyBallNoiseFloor,
    NoiseRuns,
    mean_excess_loss,
    noise_figure,
    noise_floor,
    noise_floor_prediction,
    noise_problem,
    noise_runs,
    stationary_excess_loss,
)
from lab.ch4_momentum.optimal_rates import (
    RATE_STEPS,
    TOLERANCE,
    IterationSummary,
    OptimumRun,
    RateWindow,
    StepsToTolerance,
    iteration_summary,
    measured_rate,
    optimum_run,
    rates_figure,
)
from lab.ch4_momentum.phase import GridPoint, PhaseDiagram, phase_diagram, phase_figure
from lab.ch4_momentum.saddles import (
    LEFT_START,
    SADDLE_SHOWN,
    BasinSweep,
    EscapeRuns,
    SaddleGrowth,
    basin_sweep,
    double_well,
    double_well_loss,
    escape_figure,
    escape_runs,
    saddle_growth,
)
from lab.ch4_momentum.three_forms import (
    FormsCheck,
    MovingAverage,
    averaging_figure,
    forms_check,
    heavy_ball_ema,
    heavy_ball_inside,
    moving_average,
    velocity_buildup,
)
from lab.ch4_momentum.valley import (
    STEPS,
    StabilityCheck,
    paraboloid,
    paraboloid_widget,
    stability_check,
    steps_below,
)

__all__ = [
    "EIGEN_STEPS",
    "FLOOR_FROM",
    "LEFT_START",
    "NOISE_BATCH",
    "NOISE_BURN_IN",
    "NOISE_STEPS",
    "RATE_STEPS",
    "REGIMES",
    "SADDLE_SHOWN",
    "STEPS",
    "TOLERANCE",
    "BasinSweep",
    "DirectionPanels",
    "DirectionResult",
    "EscapeRuns",
    "FormsCheck",
    "GridPoint",
    "HeavyBallNoiseFloor",
    "IterationSummary",
    "MovingAverage",
    "NesterovCheck",
    "NoiseRuns",
    "OptimumRun",
    "PhaseDiagram",
    "RateCurves",
    "RateWindow",
    "SaddleGrowth",
    "StabilityCheck",
    "StepsToTolerance",
    "averaging_figure",
    "basin_sweep",
    "critical_damping_steps",
    "direction_run",
    "double_well",
    "double_well_loss",
    "eigendirection_widget",
    "escape_figure",
    "escape_runs",
    "forms_check",
    "heavy_ball_ema",
    "heavy_ball_inside",
    "iteration_summary",
    "mean_excess_loss",
    "measured_rate",
    "moving_average",
    "nesterov_check",
    "nesterov_iteration_matrix",
    "nesterov_lookahead",
    "nesterov_rate",
    "nesterov_rate_figure",
    "nesterov_widget",
    "noise_figure",
    "noise_floor",
    "noise_floor_prediction",
    "noise_problem",
    "noise_runs",
    "optimum_run",
    "paraboloid",
    "paraboloid_widget",
    "phase_diagram",
    "phase_figure",
    "rate_curves",
    "rates_figure",
    "regime",
    "saddle_growth",
    "spectral_radius",
    "stability_check",
    "stationary_excess_loss",
    "steps_below",
    "velocity_buildup",
]
