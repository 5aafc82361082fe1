"""The chapter *Adaptive methods* (``book/adaptive.ipynb``): its computations, results and figures.

Every adaptive method of the chapter is a choice of a numerator (the gradient
g_t or a moving average m_t of it) and a denominator (a root of accumulated
squared gradients s_t) in the per-coordinate step

    θ_t = θ_{t−1} − α · numerator_t / (√(denominator_t) + ε).

A computation returns a ``NamedTuple`` whose docstring says what each field is; a
figure function takes it and returns the figure.  The notebook imports this
package as ``ada``; its tests are ``tests/test_ch5_adaptive.py``.

Submodules (each re-exported here):

* :mod:`~lab.ch5_adaptive.landscapes` — the four landscapes behind one traced loss,
  :data:`METHODS` (labels; factories from :data:`lab.registry.OPTIMIZERS`),
  :data:`LEARNING_RATES`, :func:`run_on_landscape` (one compilation per method),
  :func:`largest_stable_learning_rate`;
* :mod:`~lab.ch5_adaptive.landscape_grid` — :func:`landscape_comparison` →
  :class:`LandscapeComparison`, drawn by :func:`landscape_figure`;
* :mod:`~lab.ch5_adaptive.recording` — :func:`record_states` (runs that keep the
  optimizer's state), :func:`replay` (given gradients through a transformation),
  :func:`lockstep_paths`;
* :mod:`~lab.ch5_adaptive.rare_feature` — Adagrad: :func:`sparse_regression`,
  :func:`sparse_feature_runs` → :class:`SparseFeatureRuns`, :func:`sparse_feature_figure`;
* :mod:`~lab.ch5_adaptive.first_steps` — RMSprop's and Adadelta's first steps:
  :class:`RmspropFirstStep`, :class:`AdadeltaFirstStep`;
* :mod:`~lab.ch5_adaptive.adadelta_eps` — :func:`adadelta_eps_runs` →
  :class:`AdadeltaEpsRuns`, :func:`adadelta_figure`;
* :mod:`~lab.ch5_adaptive.bias_correction` — :func:`moment_check` →
  :class:`ConstantGradientMoments`, :func:`bias_correction_factor`, the widget
  :func:`bias_correction_widget` (:class:`BiasCorrectionPanels` of :class:`BiasCorrectionRuns`);
* :mod:`~lab.ch5_adaptive.effective_rates` — :func:`effective_rates` →
  :class:`EffectiveRates`, :func:`effective_learning_rate_figure`;
* :mod:`~lab.ch5_adaptive.formula_checks` — the package against the formulas:
  :func:`adamax_check`, :func:`nadam_check` → :class:`FormulaAgreement`,
  :func:`radam_check` → :class:`RadamCheck`, :func:`loss_scaling_check` →
  :class:`LossScalingCheck`;
* :mod:`~lab.ch5_adaptive.online_counterexample` — AMSGrad: :func:`online_run` →
  :class:`OnlineRun`, :func:`amsgrad_counterexample` → :class:`AmsgradCounterexample`,
  :func:`amsgrad_counterexample_figure`;
* :mod:`~lab.ch5_adaptive.decoupled_decay` — AdamW: :func:`weight_decay_identity` →
  :class:`L2VersusDecoupled`, :func:`weight_decay_digits` → :class:`DigitsWeightDecay`,
  :func:`weight_decay_digits_figure`;
* :mod:`~lab.ch5_adaptive.rectifier` — RAdam: :func:`radam_rho`, :func:`radam_rectifier`
  (also used by chapter 6), :func:`radam_switch_step`, :func:`adaptive_rate_variance` →
  :class:`AdaptiveRateVariance`, :func:`radam_rectification` → :class:`RadamRectification`,
  :func:`radam_figure`;
* :mod:`~lab.ch5_adaptive.bounded_rates` — AdaBound: :func:`adabound_bounds`,
  :func:`adabound_run` → :class:`BoundedRates`, :func:`adabound_figure`;
* :mod:`~lab.ch5_adaptive.comparison` — :func:`comparison_widget`
  (:class:`ComparisonPanels` of :class:`ComparisonRuns`).

What the prose glues and asserts, section by section:

* "Dividing by the gradient's own size": :data:`STEPS`, :data:`LEARNING_RATES`,
  :func:`largest_stable_learning_rate` per landscape; ``LandscapeComparison.gaps`` of
  SGD and Adam.
* "Adagrad: accumulate the squares": ``SparseFeatureRuns`` ``batch_size, steps,
  frequency, curvature_rare, sgd_error_rare, adagrad_error_rare, adagrad_rate_common,
  adagrad_rate_rare, rate_ratio``.
* "RMSprop: a leaky average": ``RmspropFirstStep`` ``package, formula, approximation,
  with_previous_average``; ``LandscapeComparison.gaps`` of Adagrad, RMSprop, Adadelta.
* "Adadelta: fixing the units": ``AdadeltaFirstStep`` ``package, formula``;
  ``AdadeltaEpsRuns`` ``first_steps[ε], gaps[ε]``.
* "Adam: momentum meets RMSprop": ``LandscapeComparison.gaps`` of momentum, RMSprop,
  Adam; "Bias correction, derived": ``ConstantGradientMoments`` ``steps, m, m_formula,
  s, s_formula, s_fraction, count``; "What goes wrong without it":
  :func:`bias_correction_factor`; "Effective learning rates over time":
  ``EffectiveRates`` ``learning_rate, steps, adagrad_slope, adagrad_common,
  rmsprop_common, adam_common, rmsprop_rare_min, rmsprop_rare_max``.
* "Two variations on Adam: AdaMax and Nadam": ``FormulaAgreement``
  ``relative_difference, steps`` of each.
* "AMSGrad: when Adam does not converge": ``AmsgradCounterexample`` ``b2, steps,
  adam_final_x, amsgrad_final_x, adam_regret, amsgrad_regret, regret_limit``;
  ``OnlineRun.x`` of the paper's uncorrected Adam; ``LandscapeComparison.gaps`` of
  Adam, AdaMax, Nadam, AMSGrad.
* "AdamW: decoupled weight decay": ``L2VersusDecoupled`` ``sgd, adam``;
  ``DigitsWeightDecay`` ``blank_pixels, steps, predicted_adamw_blank, adamw_blank,
  adam_l2_blank, adamw_other, adam_l2_other, adamw_accuracy, adam_l2_accuracy,
  no_decay_blank_change``.
* "RAdam: rectifying the early variance": ``RadamRectification`` ``paper_step,
  code_step, rho_before_paper_step, rho_paper_step, rho_code_step, r_paper_step,
  r_code_step, r_1000, t_r_half, variance_1, variance_10, variance_last, mc_steps,
  rectified_max, variance_limit``; ``RadamCheck`` ``before, after, switch``;
  ``LandscapeComparison.gaps`` of Adam and RAdam at two α.
* "AdaBound and AMSBound: from Adam to SGD": ``BoundedRates`` ``lower_1, upper_1,
  within_10_percent, steps, lower_end, upper_end, update_difference, raw_end,
  clipped_end, clipped_fraction_end``; :func:`adabound_bounds`;
  ``LandscapeComparison.gaps`` of Adam, AdaBound, AMSBound.
* "Exercises": :func:`replay`, :func:`bias_correction_factor`, ``LossScalingCheck``
  ``adam, sgd``, :func:`radam_switch_step`, :func:`radam_rho`, ``OnlineRun`` with C = 10.
"""

from lab.ch5_adaptive.adadelta_eps import (
    ADADELTA_EPS,
    AdadeltaEpsRuns,
    adadelta_eps_runs,
    adadelta_figure,
)
from lab.ch5_adaptive.bias_correction import (
    BiasCorrectionPanels,
    BiasCorrectionRuns,
    ConstantGradientMoments,
    bias_correction_factor,
    bias_correction_runs,
    bias_correction_widget,
    moment_check,
)
from lab.ch5_adaptive.bounded_rates import (
    ADABOUND_STEPS,
    BoundedRates,
    adabound_bounds,
    adabound_figure,
    adabound_run,
)
from lab.ch5_adaptive.comparison import (
    COMPARED,
    SLIDER_LEARNING_RATES,
    ComparisonPanels,
    ComparisonRuns,
    RunArtists,
    StabilityEdge,
    comparison_widget,
    stability_edge,
)
from lab.ch5_adaptive.decoupled_decay import (
    DIGITS_BATCH,
    DIGITS_SIZES,
    DIGITS_STEPS,
    DigitsWeightDecay,
    L2VersusDecoupled,
    weight_decay_digits,
    weight_decay_digits_figure,
    weight_decay_identity,
)
from lab.ch5_adaptive.effective_rates import (
    EFFECTIVE_STEPS,
    EffectiveRates,
    effective_learning_rate_figure,
    effective_rates,
)
from lab.ch5_adaptive.first_steps import (
    AdadeltaFirstStep,
    RmspropFirstStep,
    adadelta_first_step,
    rmsprop_first_step,
)
from lab.ch5_adaptive.formula_checks import (
    FormulaAgreement,
    LossScalingCheck,
    RadamCheck,
    adamax_check,
    loss_scaling_check,
    nadam_check,
    radam_check,
)
from lab.ch5_adaptive.landscape_grid import (
    LandscapeComparison,
    landscape_comparison,
    landscape_figure,
)
from lab.ch5_adaptive.landscapes import (
    EXPLICIT_DEFAULTS,
    LANDSCAPES,
    LEARNING_RATES,
    METHODS,
    STEPS,
    final_gap,
    landscape,
    landscape_loss,
    largest_stable_learning_rate,
    run_on_landscape,
)
from lab.ch5_adaptive.online_counterexample import (
    AmsgradCounterexample,
    OnlineRun,
    amsgrad_counterexample,
    amsgrad_counterexample_figure,
    online_run,
)
from lab.ch5_adaptive.rare_feature import (
    SPARSE_BATCH,
    SPARSE_STEPS,
    SparseFeatureRuns,
    sparse_feature_figure,
    sparse_feature_runs,
    sparse_regression,
)
from lab.ch5_adaptive.recording import (
    StateHistory,
    lockstep_paths,
    minibatches,
    random_gradients,
    record_states,
    replay,
)
from lab.ch5_adaptive.rectifier import (
    AdaptiveRateVariance,
    RadamRectification,
    adaptive_rate_variance,
    radam_figure,
    radam_rectification,
    radam_rectifier,
    radam_rho,
    radam_switch_step,
)

__all__ = [
    "ADABOUND_STEPS",
    "ADADELTA_EPS",
    "COMPARED",
    "DIGITS_BATCH",
    "DIGITS_SIZES",
    "DIGITS_STEPS",
    "EFFECTIVE_STEPS",
    "EXPLICIT_DEFAULTS",
    "LANDSCAPES",
    "LEARNING_RATES",
    "METHODS",
    "SLIDER_LEARNING_RATES",
    "SPARSE_BATCH",
    "SPARSE_STEPS",
    "STEPS",
    "AdadeltaEpsRuns",
    "AdadeltaFirstStep",
    "AdaptiveRateVariance",
    "AmsgradCounterexample",
    "BiasCorrectionPanels",
    "BiasCorrectionRuns",
    "BoundedRates",
    "ComparisonPanels",
    "ComparisonRuns",
    "ConstantGradientMoments",
    "DigitsWeightDecay",
    "EffectiveRates",
    "FormulaAgreement",
    "L2VersusDecoupled",
    "LandscapeComparison",
    "LossScalingCheck",
    "OnlineRun",
    "RadamCheck",
    "RadamRectification",
    "RmspropFirstStep",
    "RunArtists",
    "SparseFeatureRuns",
    "StabilityEdge",
    "StateHistory",
    "adabound_bounds",
    "adabound_figure",
    "adabound_run",
    "adadelta_eps_runs",
    "adadelta_figure",
    "adadelta_first_step",
    "adamax_check",
    "adaptive_rate_variance",
    "amsgrad_counterexample",
    "amsgrad_counterexample_figure",
    "bias_correction_factor",
    "bias_correction_runs",
    "bias_correction_widget",
    "comparison_widget",
    "effective_learning_rate_figure",
    "effective_rates",
    "final_gap",
    "landscape",
    "landscape_comparison",
    "landscape_figure",
    "landscape_loss",
    "largest_stable_learning_rate",
    "lockstep_paths",
    "loss_scaling_check",
    "minibatches",
    "moment_check",
    "nadam_check",
    "online_run",
    "radam_check",
    "radam_figure",
    "radam_rectification",
    "radam_rectifier",
    "radam_rho",
    "radam_switch_step",
    "random_gradients",
    "record_states",
    "replay",
    "rmsprop_first_step",
    "run_on_landscape",
    "sparse_feature_figure",
    "sparse_feature_runs",
    "sparse_regression",
    "stability_edge",
    "weight_decay_digits",
    "weight_decay_digits_figure",
    "weight_decay_identity",
]
