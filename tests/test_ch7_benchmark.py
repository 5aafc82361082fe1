"""Tests of lab.ch7_benchmark: shapes, the targets, tuning, the section results and bad input."""

import numpy as np
import pytest

from lab import ch7_benchmark as bench
from lab import problems


@pytest.fixture(scope="module")
def small():
    # radam and adabound: the sections' results read their rows
    return bench.benchmark(["sgd", "adam", "radam", "adabound"], steps=60, seeds=2)


def test_task_gap_matches_the_problems():
    setup = bench.task_setup()
    rosenbrock = problems.rosenbrock()
    gap = bench.task_gap(setup.starts[0], 0, setup.arrays, setup.min_values)
    assert float(gap) == pytest.approx(float(rosenbrock.loss(rosenbrock.start)), rel=1e-5)
    # the quadratic ½ θᵀQθ at θ₀
    theta = setup.starts[3]
    expected = 0.5 * theta @ np.asarray(setup.arrays.Q) @ theta
    gap = bench.task_gap(theta, 3, setup.arrays, setup.min_values)
    assert float(gap) == pytest.approx(expected, rel=1e-4)


def test_quadratic_has_the_stated_condition_number():
    lam = np.linalg.eigvalsh(np.asarray(bench.task_setup().arrays.Q, np.float64))
    assert lam.max() / lam.min() == pytest.approx(1000.0, rel=1e-3)


def test_sweep_shapes_and_divergence(small):
    gaps = small.tasks["sgd"]
    assert gaps.shape == (len(bench.TASKS), len(bench.LEARNING_RATES), 2, 61)
    # α = 10 makes SGD diverge on Rosenbrock: recorded as inf, not NaN
    assert np.isinf(gaps[0, -1, 0, -1])
    assert not np.any(np.isnan(gaps))
    mlp = small.mlp["adam"]
    assert mlp.losses.shape == (len(bench.LEARNING_RATES), 2, 60)
    assert mlp.val_loss.shape == mlp.val_accuracy.shape == (len(bench.LEARNING_RATES), 2)
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
    assert tuned["adam"]["Beale"].alpha in bench.LEARNING_RATES


def test_tuned_rows(small):
    tuned = bench.tuned(small)
    assert list(tuned) == list(small.names)
    for name in small.names:
        assert list(tuned[name]) == [*bench.TASKS, "MLP"]
        for task, run in tuned[name].items():
            assert isinstance(run, bench.TunedRun)
            assert run.steps.shape == run.final.shape == (2,)
            assert (run.accuracy is None) == (task != "MLP")
    # the row at the tuned α is the sweep's row at that α
    run = tuned["adam"]["Beale"]
    index = bench.LEARNING_RATES.index(run.alpha)
    np.testing.assert_array_equal(run.final, small.tasks["adam"][1, index, :, -1])


def test_the_tolerance_is_read_when_tuning(small, monkeypatch):
    """The exercise sets ``bench.TOLERANCE = 1e-6`` and calls ``tuned`` again, without new runs."""
    loose = bench.tuned(small)["adam"]["quadratic (d = 100, κ = 1000)"]
    monkeypatch.setattr(bench, "TOLERANCE", 1e-6)
    strict = bench.tuned(small)["adam"]["quadratic (d = 100, κ = 1000)"]
    assert np.all(strict.steps >= np.min(loose.steps))
    assert not np.array_equal(strict.steps, loose.steps)


def test_fastest(small):
    race = bench.fastest(small)
    tuned = bench.tuned(small)
    assert list(race.mean_steps) == [*bench.TASKS, "MLP"]
    for task, row in race.mean_steps.items():
        for name, steps in row.items():
            assert np.all(np.isfinite(tuned[name][task].steps))
            assert steps == pytest.approx(np.mean(tuned[name][task].steps))
        for name in set(small.names) - set(row):  # left out: some seed missed the target
            assert not np.all(np.isfinite(tuned[name][task].steps))
        if row:
            assert race.winners[task] == min(row, key=row.get)
    assert race.winner_count == len(set(race.winners.values()))


def test_radam_early_steps(small):
    radam = bench.radam_early_steps(small)
    # ∇L(−1.5, 2) of Rosenbrock = (−155, −50)
    assert radam.gradient_norm == pytest.approx(np.hypot(155.0, 50.0), rel=1e-5)
    assert radam.safe_alpha * radam.gradient_norm == pytest.approx(1.0)
    assert radam.diverged.shape == (len(bench.LEARNING_RATES),)
    assert radam.first_bad_alpha == bench.LEARNING_RATES[radam.first_bad_index]
    assert radam.diverged[radam.first_bad_index]
    assert np.isinf(small.tasks["radam"][0, radam.first_bad_index, 0, radam.blowup_step])
    assert np.isfinite(small.tasks["radam"][0, radam.first_bad_index, 0, radam.blowup_step - 1])


def test_accuracy_spread(small):
    network = bench.accuracy_spread(small)
    assert list(network.accuracies) == list(small.names)
    assert network.best == max(network.accuracies.values())
    assert network.spread == pytest.approx(network.best - network.worst)
    assert 0 <= network.spread <= 1 and network.seed_std >= 0


def test_alpha_sensitivity(small):
    sensitivity = bench.alpha_sensitivity(small)
    assert set(sensitivity.widths) == {"Rosenbrock", "Beale"}
    assert sensitivity.widths["Beale"]["adam"] == bench.tuning_width(small, "adam", "Beale")
    assert sensitivity.small_alphas == pytest.approx((1e-4, 10**-3.5, 1e-3))
    assert sensitivity.adabound_finals.shape == (3,)


def test_sensitivity_figure(small):
    fig = bench.sensitivity_figure(small)
    heat_maps = [ax for ax in fig.axes if ax.images]
    assert len(heat_maps) == 2
    assert heat_maps[0].images[0].get_array().shape == (len(small.names), len(bench.LEARNING_RATES))


def test_one_compilation_per_optimizer(small):
    before = bench._sweep_tasks._cache_size()
    bench.sweep_tasks("sgd", steps=60, seeds=2)
    assert bench._sweep_tasks._cache_size() == before


def test_bad_input():
    """What a reader passes: the optimizers to compare, and the sweep of the budget exercise."""
    with pytest.raises(ValueError, match="optimizer"):
        bench.sweep_tasks("nope")
    with pytest.raises(ValueError, match="steps"):
        bench.sweep_tasks("sgd", steps=0)
    with pytest.raises(ValueError, match="names"):
        bench.benchmark("sgd")


def test_a_run_must_stay_below_the_target():
    # reaches 1.0 at t = 2 and stays: counted; dips to 0.5 at t = 2, then climbs out: not counted
    curves = np.array([[5.0, 3.0, 1.0, 0.5], [5.0, 3.0, 0.5, 2.0]])
    np.testing.assert_array_equal(bench._held(curves, 1.0), [2.0, np.inf])


def test_every_optimizer_is_compared_by_default():
    from lab import registry

    assert tuple(registry.OPTIMIZERS) == bench.COMPARED
