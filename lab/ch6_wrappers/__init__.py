"""Chapter 6, *Wrapper methods* (``book/wrappers.ipynb``): what the chapter runs and draws.

A wrapper takes any base optimizer A and changes what is done with A's step:
LARS and LAMB rescale it per layer (the trust ratio), Lookahead averages the
weights it produces, a schedule rescales it over time.  The notebook imports this
package as ``from lab import ch6_wrappers as wrap``; its tests are
``tests/test_ch6_wrappers.py``.

Convention: a computation returns a NamedTuple whose docstring documents every
field; a figure function takes that result and returns the figure; a widget's
figure is a :class:`lab.plot.Panels` subclass.

Submodules, in the order of the chapter:

* :mod:`~lab.ch6_wrappers.composition`: each named optimizer against its one-line
  composition (:func:`composition_check` → :class:`CompositionCheck`).
* :mod:`~lab.ch6_wrappers.digits_runs`: the digits MLP trained by ONE compiled
  program (``train``, each run remembered by ``run``) whose optimizer, batch size,
  learning rate and warmup are data; the constants :data:`BATCH_SIZES`, :data:`BASE_BATCH`,
  :data:`BATCH_STEPS`, :data:`BASE_LEARNING_RATES`; :class:`LinearScalingRuns`.
* :mod:`~lab.ch6_wrappers.lars_lamb`: per-layer norms (:func:`trust_ratios` →
  :class:`TrustRatios`), the linear scaling rule over batch sizes
  (:func:`large_batch_runs`, :func:`large_batch_comparison` → :class:`LargeBatchRuns`,
  :func:`large_batch_figure`) and :func:`large_batch_widget`.
* :mod:`~lab.ch6_wrappers.slow_weights`: Lookahead's fast and slow weights on a noisy
  quadratic (:func:`lookahead_path` → :class:`LookaheadPath`) and :func:`lookahead_widget`.
* :mod:`~lab.ch6_wrappers.variance_removed`: equation ``wrap-eq-variance``
  (:func:`lookahead_variance_ratio`) against simulation (:func:`lookahead_variance` →
  :class:`LookaheadVariance`, :func:`lookahead_variance_figure`).
* :mod:`~lab.ch6_wrappers.warmup`: schedules and RAdam's rectifier
  (:func:`schedules_and_rectifier` → :class:`SchedulesAndRectifier`,
  :func:`schedules_figure`), Adam with and without warmup (:func:`warmup_runs` →
  :class:`WarmupRuns`, :func:`warmup_figure`).

What the prose glues (``wrap_*``) and asserts, per section of the notebook:

* "A wrapper is one line": ``CompositionCheck.steps``, ``.ranger``,
  ``.ranger_vs_radam``; asserts ``.ranger``, ``.ralamb``, ``.ranger_lars``, ``.lamb``
  are exactly 0 and ``.ranger_vs_radam`` > 1e-3.
* "Why layers need their own step": ``TrustRatios.rows`` (printed) and
  ``.weight_ratio_spread`` (glued; asserted between 1 and 2).
* "An experiment, and its limits": ``LargeBatchRuns.<sgd|adam|lars|lamb>.accuracy``
  at B = 32, 128, 512 (glued and asserted: all > 0.9 at B = 32, SGD and Adam > 0.9
  at 512, LAMB < 0.85 at 128 and 512, LARS worse at 512 than at 32), and
  :data:`BATCH_STEPS`, :data:`BASE_LEARNING_RATES`, :data:`BASE_BATCH`.
* "The variance it removes": ``LookaheadVariance.chains``, ``.learning_rate``,
  ``.k20.measured`` and ``.k20.predicted`` at α_s = 0.5 (the latter asserted ≈ 1/3),
  ``.k5.relative_error`` and ``.k20.relative_error`` (asserted < 0.08), and
  ``.k5.measured`` (asserted < 1 for every α_s < 1).
* "Schedules and warmup": ``SchedulesAndRectifier.warmup_length``,
  ``.equivalent_warmup`` (asserted within 5 % of it), ``.r_half_step`` (asserted below
  half of it), ``.r_at_length``; asserts ``.cosine_mid`` = 0.5 and
  ``.step_value_500`` = 0.1.  ``WarmupRuns.warmup``, ``.batch_size``, ``.orders``,
  ``.accuracy_none`` and ``.accuracy_warmup`` (means over orders, glued at α = 0.1),
  ``.mean_gain`` (its largest size asserted below half of ``.order_spread``, also glued).
"""

from lab.ch6_wrappers.composition import CompositionCheck, composition_check
from lab.ch6_wrappers.digits_runs import (
    BASE_BATCH,
    BASE_LEARNING_RATES,
    BATCH_SIZES,
    BATCH_STEPS,
    LinearScalingRuns,
)
from lab.ch6_wrappers.lars_lamb import (
    BatchCurves,
    LargeBatchRuns,
    LayerNorms,
    TrustRatios,
    large_batch_comparison,
    large_batch_figure,
    large_batch_runs,
    large_batch_widget,
    trust_ratios,
)
from lab.ch6_wrappers.slow_weights import (
    LOOKAHEAD_Q,
    LookaheadAgainstSGD,
    LookaheadPath,
    lookahead_path,
    lookahead_widget,
)
from lab.ch6_wrappers.variance_removed import (
    LookaheadVariance,
    VarianceAtSyncPeriod,
    lookahead_variance,
    lookahead_variance_figure,
    lookahead_variance_ratio,
)
from lab.ch6_wrappers.warmup import (
    WARMUP_BATCH,
    SchedulesAndRectifier,
    WarmupRuns,
    schedules_and_rectifier,
    schedules_figure,
    warmup_figure,
    warmup_runs,
)

__all__ = [
    "BASE_BATCH",
    "BASE_LEARNING_RATES",
    "BATCH_SIZES",
    "BATCH_STEPS",
    "LOOKAHEAD_Q",
    "WARMUP_BATCH",
    "BatchCurves",
    "CompositionCheck",
    "LargeBatchRuns",
    "LayerNorms",
    "LinearScalingRuns",
    "LookaheadAgainstSGD",
    "LookaheadPath",
    "LookaheadVariance",
    "SchedulesAndRectifier",
    "TrustRatios",
    "VarianceAtSyncPeriod",
    "WarmupRuns",
    "composition_check",
    "large_batch_comparison",
    "large_batch_figure",
    "large_batch_runs",
    "large_batch_widget",
    "lookahead_path",
    "lookahead_variance",
    "lookahead_variance_figure",
    "lookahead_variance_ratio",
    "lookahead_widget",
    "schedules_and_rectifier",
    "schedules_figure",
    "trust_ratios",
    "warmup_figure",
    "warmup_runs",
]
