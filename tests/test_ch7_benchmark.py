"""Tests of lab.ch7_benchmark: the programs against direct runs, the protocol, the findings."""

import jax
import numpy as np
import pytest

import optimizers as opt
from lab import ch7_benchmark as bench
from lab import nn, problems, registry
from lab.ch7_benchmark import runs, tuning

SMALL = ("sgd", "adam", "radam", "adabound", "lamb")


@pytest.fixture(scope="module")
def small():
    # radam and adabound: the sections' results read their rows; lamb: a per-array trust ratio
    return bench.benchmark(SMALL, steps=60, network_steps=40)


def test_task_gap_matches_the_problems_padded_or_not():
    setup = bench.task_setup()
    rosenbrock = problems.rosenbrock()
    padded = np.zeros(bench.DIMENSION, np.float32)
    padded[:2] = setup.starts[0]
    for theta in (setup.starts[0], padded):
        gap = bench.task_gap(theta, 0, setup.arrays, setup.min_values)
        assert float(gap) == pytest.approx(float(rosenbrock.loss(rosenbrock.start)), rel=1e-5)
    theta = setup.starts[3]  # the quadratic ½ θᵀQθ at θ₀
    expected = 0.5 * theta @ np.asarray(setup.arrays.Q) @ theta
    assert float(bench.task_gap(theta, 3, setup.arrays, setup.min_values)) == pytest.approx(
        expected, rel=1e-4
    )


def test_quadratic_has_the_stated_condition_number():
    lam = np.linalg.eigvalsh(np.asarray(bench.task_setup().arrays.Q, np.float64))
    assert lam.max() / lam.min() == pytest.approx(1000.0, rel=1e-3)


def test_starts_differ_by_seed_and_keep_the_saddle_near_its_ridge():
    starts = bench.task_starts([0, 1, 2])
    assert starts.shape == (len(bench.TASKS), 3, bench.DIMENSION)
    assert not np.allclose(starts[:, 0], starts[:, 1])
    assert np.all(starts[:3, :, 2:] == 0) and np.all(starts[4, :, runs.LOGISTIC_D :] == 0)
    assert np.all(np.abs(starts[2, :, 1]) < 0.1)  # θ₂ of the saddle: 0.01 + 0.01 ξ


@pytest.mark.parametrize(
    ("name", "alpha"), [("adam", 1e-2), ("lamb", 1e-2), ("adabound", 1e-2), ("momentum", 1e-4)]
)
def test_the_task_program_is_each_optimizer_run_alone(name, alpha):
    """Padding to d = 100 and running twenty optimizers in one loop change nothing."""
    steps = 40
    theta0 = bench.task_starts([0])[1, 0, :2]  # Beale, seed 0
    gaps = bench.sweep_tasks([name, "sgd"], np.full((2, len(bench.TASKS), 1), alpha), [0], steps)
    tx = registry.get_optimizer(name)(alpha)
    theta, state = jax.numpy.asarray(theta0), tx.init(jax.numpy.asarray(theta0))
    loss = problems.beale_loss
    expected = [float(loss(theta))]
    for _ in range(steps):
        updates, state = tx.update(jax.grad(loss)(theta), state, theta)
        theta = opt.apply_updates(theta, updates)
        expected.append(float(loss(theta)))
    assert np.all(np.isfinite(expected))
    np.testing.assert_allclose(gaps[0, 1, 0, 0], expected, rtol=2e-5, atol=1e-7)


@pytest.mark.parametrize("name", ["adam", "lamb"])
def test_the_network_program_is_each_optimizer_run_alone(name):
    alpha, steps, seed = 0.01, 15, 4
    sweep = bench.sweep_network([name, "sgd"], [[alpha], [alpha]], [seed], steps)
    digits = runs._digits_split()
    params = nn.init_mlp_numpy(bench.MLP_SIZES, seed=seed)
    rows = np.random.default_rng(100 + seed).integers(0, digits[0].shape[0], (steps, 32))
    tx = registry.get_optimizer(name)(alpha)
    state = tx.init(params)
    for batch in rows:
        grads = jax.grad(nn.cross_entropy_loss)(params, digits[0][batch], digits[1][batch])
        updates, state = tx.update(grads, state, params)
        params = opt.apply_updates(params, updates)
    expected = float(nn.cross_entropy_loss(params, digits[4], digits[5]))
    assert sweep.test_loss[0, 0] == pytest.approx(expected, rel=1e-4)


def test_sweeps_mark_divergence_as_inf_and_reuse_their_program():
    alphas = np.stack([[bench.grid("sgd")] * len(bench.TASKS)])
    gaps = bench.sweep_tasks(["sgd"], alphas * 1e4, [0, 1], steps=30)
    assert gaps.shape == (1, len(bench.TASKS), len(bench.GRID), 2, 31)
    assert np.isinf(gaps[0, 0, -1, 0, -1]) and not np.isnan(gaps).any()
    before = runs._task_program._cache_size()
    bench.sweep_tasks(["sgd"], alphas, [0, 1], steps=30)  # other α: data, not a new program
    assert runs._task_program._cache_size() == before


def test_steps_to_target_and_a_run_must_stay_below_it():
    curves = np.array([[5.0, 3.0, 1.0, 0.5], [5.0, 4.0, 4.0, 4.0]])
    np.testing.assert_array_equal(bench.steps_to_target(curves, 1.0), [2.0, np.inf])
    curves = np.array([[5.0, 3.0, 1.0, 0.5], [5.0, 3.0, 0.5, 2.0]])  # the second climbs out
    np.testing.assert_array_equal(tuning._held(curves, 1.0), [2.0, np.inf])


def test_grids_are_centred_on_the_default_and_grow_beyond_an_edge():
    alphas = bench.grid("adam")
    assert alphas[len(alphas) // 2] == pytest.approx(bench.DEFAULT_LEARNING_RATES["adam"])
    assert alphas[-1] / alphas[0] == pytest.approx(10 ** (bench.GRID[-1] - bench.GRID[0]))
    flat = bench.NetworkGrid(alphas, np.linspace(1.0, 0.1, len(alphas))[:, None])  # best at top
    assert tuning._edge(flat) == 1
    offset = tuning._beyond(flat, "adam", 1)
    assert bench.grid("adam", offset)[0] == pytest.approx(alphas[-1] * 10**0.5, rel=1e-5)

    def run_chunk(offsets):  # the loss keeps falling up to α = 10, then rises
        out = {}
        for key, off in offsets.items():
            a = bench.grid("adam", off)
            out[key] = bench.NetworkGrid(a, np.abs(np.log10(a) - 1.0)[:, None])
        return out

    grids = {("adam", "MLP"): bench.NetworkGrid(alphas, np.abs(np.log10(alphas) - 1.0)[:, None])}
    assert tuning._grow(grids, run_chunk) == 1
    grown = grids["adam", "MLP"]
    assert len(grown.alphas) == 2 * len(alphas) and np.all(np.diff(grown.alphas) > 0)
    assert grown.alphas[grown.choice()] == pytest.approx(10.0, rel=1e-5)
    assert tuning._edge(grown) == 0


def test_every_tuned_alpha_is_interior_and_rows_report_other_seeds(small):
    best, default = bench.tuned(small), bench.at_default(small)
    assert list(best) == list(SMALL)
    for name in SMALL:
        assert list(best[name]) == [*bench.TASKS, bench.NETWORK]
        for column, run in best[name].items():
            assert isinstance(run, bench.TunedRun) and run.interior, (name, column)
            if column == bench.NETWORK:
                assert run.steps is None
                assert run.final.shape == (bench.NETWORK_REPORT_SEEDS,)
            else:
                assert run.steps.shape == run.final.shape == (bench.REPORT_SEEDS,)
                assert np.all((run.score >= 0) & (run.score <= bench.SCORE_CEILING))
        assert default[name]["Beale"].alpha == pytest.approx(bench.DEFAULT_LEARNING_RATES[name])
    # a tuned task cell is its grid's reported seeds at the chosen α
    g = small.tasks["adam", "Beale"]
    run = best["adam"]["Beale"]
    index = int(np.flatnonzero(g.alphas == np.float32(run.alpha))[0])
    np.testing.assert_array_equal(run.final, g.gaps[index, bench.TUNING_SEEDS :, -1])


def test_the_tolerance_is_an_argument_of_tuning(small):
    """The exercise tunes again for a millionfold reduction, without new runs."""
    quadratic = "quadratic (d = 100, κ = 1000)"
    loose = bench.tuned(small)["adam"][quadratic]
    strict = bench.tuned(small, tolerance=1e-6)["adam"][quadratic]
    assert np.all(strict.steps >= np.min(loose.steps))
    assert not np.array_equal(strict.steps, loose.steps)


def test_tables(small):
    for table in (bench.steps_table(small), bench.alpha_table(small), bench.network_table(small)):
        assert table.count("\n") == 1 + len(SMALL)
    assert "| adam |" in bench.network_table(small)
    choice = bench.tuning_against_choice(small)
    assert bench.choice_table(choice).count("\n") == 1 + len(bench.COLUMNS)


def test_fastest(small):
    race = bench.fastest(small)
    best = bench.tuned(small)
    assert list(race.mean_steps) == list(bench.TASKS)
    for task, row in race.mean_steps.items():
        for name, steps in row.items():
            assert steps == pytest.approx(np.mean(best[name][task].steps))
        for name in set(SMALL) - set(row):  # left out: some reported seed missed the target
            assert not np.all(np.isfinite(best[name][task].steps))
        if row:
            assert race.winners[task] == min(row, key=row.get)
    assert race.winner_count == len(set(race.winners.values()))


def test_tuning_against_choice_is_computed_from_the_two_baselines(small):
    choice = bench.tuning_against_choice(small)
    best, default = bench.tuned(small), bench.at_default(small)
    tuned_scores = [np.mean(best[n]["Beale"].score) for n in SMALL]
    default_scores = [np.mean(default[n]["Beale"].score) for n in SMALL]
    assert choice.tuning_gain["Beale"] == pytest.approx(
        np.median(np.subtract(tuned_scores, default_scores))
    )
    assert choice.choice_gain["Beale"] == pytest.approx(
        max(default_scores) - np.median(default_scores)
    )
    assert choice.tuned_spread["Beale"] == pytest.approx(
        max(tuned_scores) - np.median(tuned_scores)
    )
    assert set(choice.tuning_wins) == {
        c for c in choice.tuning_gain if choice.tuning_gain[c] > choice.choice_gain[c]
    }


def test_radam_early_steps(small):
    radam = bench.radam_early_steps(small)
    # ∇L(−1.5, 2) of Rosenbrock = (−155, −50)
    assert radam.gradient_norm == pytest.approx(np.hypot(155.0, 50.0), rel=1e-5)
    assert radam.safe_alpha * radam.gradient_norm == pytest.approx(1.0)
    first = int(np.flatnonzero(radam.alphas == np.float32(radam.first_bad_alpha))[0])
    assert radam.diverged[first:].all()
    assert radam.grey_alpha <= radam.first_bad_alpha
    gaps = small.tasks["radam", "Rosenbrock"].gaps[first, 0]
    assert np.isinf(gaps[radam.blowup_step]) and np.isfinite(gaps[radam.blowup_step - 1])


def test_accuracy_spread(small):
    network = bench.accuracy_spread(small)
    assert list(network.accuracies) == list(SMALL)
    assert network.best == max(network.accuracies.values())
    assert network.spread == pytest.approx(network.best - network.worst)
    assert network.standard_error == pytest.approx(
        network.seed_std / np.sqrt(bench.NETWORK_REPORT_SEEDS)
    )
    assert network.resolution == pytest.approx(2 * np.sqrt(2) * network.standard_error)
    best = max(network.accuracies, key=network.accuracies.get)
    assert best in network.tied_with_best
    for name, accuracy in network.accuracies.items():
        assert (name in network.tied_with_best) == (accuracy >= network.best - network.resolution)


def test_alpha_sensitivity(small):
    sensitivity = bench.alpha_sensitivity(small)
    assert set(sensitivity.widths) == {"Rosenbrock", "Beale", bench.NETWORK}
    assert sensitivity.widths["Beale"]["adam"] == bench.tuning_width(small, "adam", "Beale")
    for column, widths in sensitivity.widths.items():
        assert sensitivity.widest[column] == max(widths.values())


def test_sensitivity_figure_draws_every_row_and_marks_its_tuned_alpha(small):
    fig = bench.sensitivity_figure(small)
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert len(panels) == 2
    for ax in panels:
        meshes = [c for c in ax.collections if c.__class__.__name__ == "QuadMesh"]
        assert len(meshes) == len(SMALL)
        assert len(ax.lines) == len(SMALL)  # one dot per row


def test_bad_input():
    """What a reader passes: the optimizers to compare, and the sweeps of the exercises."""
    with pytest.raises(ValueError, match="optimizer"):
        bench.sweep_tasks(["nope"], np.ones((1, 5, 1)), [0])
    with pytest.raises(ValueError, match="steps"):
        bench.sweep_tasks(["sgd"], np.ones((1, 5, 1)), [0], steps=0)
    with pytest.raises(ValueError, match="alphas"):
        bench.sweep_tasks(["sgd"], np.ones((1, 4, 1)), [0])
    with pytest.raises(ValueError, match="names"):
        bench.benchmark("sgd")


def test_every_optimizer_is_compared_and_has_a_default():
    assert tuple(registry.OPTIMIZERS) == bench.COMPARED
    assert set(bench.DEFAULT_LEARNING_RATES) == set(bench.COMPARED)
    # where the package's factory has a default α, the benchmark's default is that one
    import inspect

    for name, factory in registry.OPTIMIZERS.items():
        default = inspect.signature(factory).parameters["learning_rate"].default
        if default is not inspect.Parameter.empty:
            assert bench.DEFAULT_LEARNING_RATES[name] == default, name
