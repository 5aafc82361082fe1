"""Tests of lab.ch7_benchmark: shapes, the targets, tuning and bad input."""

import numpy as np
import pytest

from lab import ch7_benchmark as bench
from lab import problems


@pytest.fixture(scope="module")
def small():
    return bench.benchmark(["sgd", "adam"], steps=60, seeds=2)


def test_task_gap_matches_the_problems():
    arrays, starts, mins = bench.task_setup()
    rosenbrock = problems.rosenbrock()
    gap = bench.task_gap(starts[0], 0, arrays, mins)
    assert float(gap) == pytest.approx(float(rosenbrock.loss(rosenbrock.start)), rel=1e-5)
    # the quadratic ½ θᵀQθ at θ₀
    theta = starts[3]
    expected = 0.5 * theta @ np.asarray(arrays["Q"]) @ theta
    assert float(bench.task_gap(theta, 3, arrays, mins)) == pytest.approx(expected, rel=1e-4)


def test_quadratic_has_the_stated_condition_number():
    arrays, _, _ = bench.task_setup()
    lam = np.linalg.eigvalsh(np.asarray(arrays["Q"], np.float64))
    assert lam.max() / lam.min() == pytest.approx(1000.0, rel=1e-3)


def test_sweep_shapes_and_divergence(small):
    gaps = small.tasks["sgd"]
    assert gaps.shape == (len(bench.TASKS), len(bench.LEARNING_RATES), 2, 61)
    # α = 10 makes SGD diverge on Rosenbrock: recorded as inf, not NaN
    assert np.isinf(gaps[0, -1, 0, -1])
    assert not np.any(np.isnan(gaps))
    mlp = small.mlp["adam"]
    assert mlp.losses.shape == (len(bench.LEARNING_RATES), 2, 60)
    assert np.nanmax(mlp.val_accuracy) > 0.8


def test_steps_to_target():
    curves = np.array([[5.0, 3.0, 1.0, 0.5], [5.0, 4.0, 4.0, 4.0]])
    np.testing.assert_array_equal(bench.steps_to_target(curves, 1.0), [2.0, np.inf])


def test_tables_and_widths(small):
    table = bench.steps_table(small)
    assert table.count("\n") == 1 + len(small.names)
    assert "| adam |" in bench.mlp_table(small)
    width = bench.tuning_width(small, "adam", "Beale")
    assert 0 <= width <= 0.5 * len(bench.LEARNING_RATES)
    tuned = bench.tuned(small)
    assert tuned["adam"]["Beale"]["alpha"] in bench.LEARNING_RATES


def test_one_compilation_per_optimizer(small):
    before = bench._sweep_tasks._cache_size()
    bench.sweep_tasks("sgd", steps=60, seeds=2)
    assert bench._sweep_tasks._cache_size() == before


def test_bad_input(small):
    with pytest.raises(ValueError, match="optimizer"):
        bench.sweep_tasks("nope")
    with pytest.raises(ValueError, match="steps"):
        bench.sweep_tasks("sgd", steps=0)
    with pytest.raises(ValueError, match="names"):
        bench.benchmark("sgd")
    with pytest.raises(ValueError, match="task"):
        bench.tuning_width(small, "sgd", "Himmelblau")
    with pytest.raises(ValueError, match="task"):
        bench.sensitivity_figure(small, "Himmelblau")


def test_a_run_must_stay_below_the_target():
    # reaches 1.0 at t = 2 and stays: counted; dips to 0.5 at t = 2, then climbs out: not counted
    curves = np.array([[5.0, 3.0, 1.0, 0.5], [5.0, 3.0, 0.5, 2.0]])
    np.testing.assert_array_equal(bench._held(curves, 1.0), [2.0, np.inf])


def test_every_optimizer_is_compared_by_default():
    from lab import registry

    assert tuple(registry.OPTIMIZERS) == bench.COMPARED
