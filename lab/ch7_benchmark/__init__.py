"""Chapter 7, *Choosing an optimizer* (``book/benchmark.ipynb``): one fair benchmark, several views.

The notebook imports this package as ``from lab import ch7_benchmark as bench``; its
tests are ``tests/test_ch7_benchmark.py``.

The protocol, fair by construction:

* **Every optimizer gets its own α grid**, centred on its documented default
  (:data:`DEFAULT_LEARNING_RATES`), :data:`GRID` decades around it, and grown by a
  whole grid beyond an edge until the tuned α lies at least one grid point inside.
* **Tuned on some seeds, reported on others.**  Seeds move what matters: the start
  θ₀ of the deterministic tasks (:func:`task_starts`), the initialisation and the
  order of the mini-batches of the network.  α is chosen on :data:`TUNING_SEEDS`
  seeds; the tables report others (:data:`REPORT_SEEDS` on the tasks,
  :data:`NETWORK_REPORT_SEEDS` on the network).
* **Tuned for what is reported**: the fewest steps to a hundredfold reduction of
  the loss gap on the tasks (:data:`TOLERANCE`); on the network, the validation
  loss after the budget, reported as loss and accuracy on a test set that tuning
  never saw.
* **Two baselines**: each optimizer at its default α, and tuned.

Submodules, in the order of the chapter:

* :mod:`~lab.ch7_benchmark.runs`: the tasks (:func:`task_setup`, :func:`task_starts`,
  :func:`task_gap`) and the network, and the two compiled programs that run every
  optimizer on them (:func:`sweep_tasks`, :func:`sweep_network` → :class:`NetworkSweep`).
* :mod:`~lab.ch7_benchmark.tuning`: the grids (:class:`TaskGrid`, :class:`NetworkGrid`),
  their growth, :func:`benchmark` → :class:`Benchmark`, and the cells of the tables:
  :func:`tuned` and :func:`at_default` → :class:`TunedRun`.
* :mod:`~lab.ch7_benchmark.findings`: the tables (:func:`steps_table`,
  :func:`alpha_table`, :func:`network_table`, :func:`choice_table`), the findings
  (:func:`fastest`, :func:`radam_early_steps`, :func:`accuracy_spread`,
  :func:`tuning_against_choice`, :func:`alpha_sensitivity`) and
  :func:`sensitivity_figure`.

Every number the prose glues (``bench_*``) is computed from one :class:`Benchmark`
in the notebook, and every claim the prose makes about it is asserted there.
"""

from lab.ch7_benchmark.findings import (
    AccuracySpread,
    AlphaSensitivity,
    FastestTuned,
    RAdamEarlySteps,
    TuningAgainstChoice,
    accuracy_spread,
    alpha_sensitivity,
    alpha_table,
    choice_table,
    fastest,
    network_table,
    radam_early_steps,
    sensitivity_figure,
    steps_table,
    tuning_against_choice,
    tuning_width,
)
from lab.ch7_benchmark.runs import (
    BATCH_SIZE,
    COLUMNS,
    COMPARED,
    DEFAULT_LEARNING_RATES,
    DIMENSION,
    GOOD_FACTOR,
    GRID,
    MAX_GROWTH,
    MLP_SIZES,
    NETWORK,
    NETWORK_REPORT_SEEDS,
    NETWORK_STEPS,
    REPORT_SEEDS,
    SCORE_CEILING,
    STEPS,
    TASKS,
    TUNING_SEEDS,
    NetworkSweep,
    TaskArrays,
    TaskSetup,
    grid,
    sweep_network,
    sweep_tasks,
    task_gap,
    task_setup,
    task_starts,
)
from lab.ch7_benchmark.tuning import (
    TOLERANCE,
    Benchmark,
    NetworkGrid,
    NetworkReport,
    TaskGrid,
    TunedRun,
    at_default,
    benchmark,
    steps_to_target,
    tuned,
)

__all__ = [
    "BATCH_SIZE",
    "COLUMNS",
    "COMPARED",
    "DEFAULT_LEARNING_RATES",
    "DIMENSION",
    "GOOD_FACTOR",
    "GRID",
    "MAX_GROWTH",
    "MLP_SIZES",
    "NETWORK",
    "NETWORK_REPORT_SEEDS",
    "NETWORK_STEPS",
    "REPORT_SEEDS",
    "SCORE_CEILING",
    "STEPS",
    "TASKS",
    "TOLERANCE",
    "TUNING_SEEDS",
    "AccuracySpread",
    "AlphaSensitivity",
    "Benchmark",
    "FastestTuned",
    "NetworkGrid",
    "NetworkReport",
    "NetworkSweep",
    "RAdamEarlySteps",
    "TaskArrays",
    "TaskGrid",
    "TaskSetup",
    "TunedRun",
    "TuningAgainstChoice",
    "accuracy_spread",
    "alpha_sensitivity",
    "alpha_table",
    "at_default",
    "benchmark",
    "choice_table",
    "fastest",
    "grid",
    "network_table",
    "radam_early_steps",
    "sensitivity_figure",
    "steps_table",
    "steps_to_target",
    "sweep_network",
    "sweep_tasks",
    "task_gap",
    "task_setup",
    "task_starts",
    "tuned",
    "tuning_against_choice",
    "tuning_width",
]
