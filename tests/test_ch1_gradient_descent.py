"""The lab of chapter 1, *Gradient descent* (``lab.ch1_gradient_descent``): the numbers the
chapter states, its figures, and its widgets."""

import math
import warnings

import matplotlib

matplotlib.use("Agg")

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lab import ch1_gradient_descent as gd
from lab import plot, problems
from lab.registry import plain_gradient_descent
from lab.trajectory import compilation_count
from optimizers import schedules, sgd


def png_shown(widget) -> str:
    (shown,) = widget.output.outputs
    return shown["data"]["image/png"]


# --------------------------------------------------------------------------
# 1. Landscapes
# --------------------------------------------------------------------------


def test_himmelblau_has_four_minima_four_saddles_and_one_maximum():
    points = gd.critical_points(problems.himmelblau())
    kinds = [p.kind for p in points]
    assert (kinds.count("minimum"), kinds.count("saddle"), kinds.count("maximum")) == (4, 4, 1)
    minima = np.array([p.theta for p in points if p.kind == "minimum"])
    for known in problems.himmelblau().minima:
        assert np.min(np.linalg.norm(minima - known, axis=1)) < 1e-3
    (maximum,) = [p for p in points if p.kind == "maximum"]
    np.testing.assert_allclose(maximum.theta, [-0.270845, -0.923039], atol=1e-3)
    assert maximum.loss == pytest.approx(181.617, abs=1e-2)
    assert all(p.hessian_eigenvalues[0] < 0 < p.hessian_eigenvalues[1] for p in points
               if p.kind == "saddle")  # fmt: skip


def test_the_saddle_problem_has_a_saddle_between_two_minima():
    points = gd.critical_points(problems.saddle())
    assert [p.kind for p in points] == ["minimum", "minimum", "saddle"]
    np.testing.assert_allclose(points[-1].hessian_eigenvalues, [-1.0, 1.0], atol=1e-5)
    assert points[0].loss == pytest.approx(-0.25)


def test_landscape_figure_marks_the_critical_points():
    points = gd.landscape_critical_points()
    assert points._fields == ("himmelblau", "saddle")
    fig = gd.landscape_figure(points)
    crosses = [line for ax in fig.axes for line in ax.lines if line.get_marker() == "X"]
    assert len(crosses) == 4 + 1
    assert plot.png_bytes(fig).startswith(b"\x89PNG")


def test_basins_agree_with_single_runs():
    found = gd.basins(resolution=21)
    assert found.labels.shape == (21, 21)
    assert found.fractions.sum() <= 1.0 and found.fractions.min() > 0.15
    rng = np.random.default_rng(0)
    for i, j in rng.integers(0, 21, size=(6, 2)):
        reached = gd.himmelblau_run(float(found.xs[j]), float(found.ys[i])).minimum_index
        assert reached == found.labels[i, j]


def test_one_slider_step_near_the_maximum_changes_the_minimum():
    first = gd.himmelblau_run(-0.30, -0.90).minimum_index
    assert first != gd.himmelblau_run(-0.25, -0.90).minimum_index


@pytest.fixture(scope="module")
def start_widget():
    return gd.starting_point_widget()


def test_starting_point_widget_moves_the_start_without_recompiling(start_widget):
    assert png_shown(start_widget).startswith("iVBORw0KGgo")
    start_widget.update(theta1=-0.3, theta2=-0.9)
    compiled = compilation_count()
    first_title = start_widget.figure.axes[0].get_title()
    start_widget.update(theta1=-0.25)
    assert compilation_count() == compiled
    assert start_widget.figure.axes[0].get_title() != first_title
    assert isinstance(start_widget.result, gd.HimmelblauRun)
    path = start_widget.result.run.params
    assert float(path[0, 0]) == pytest.approx(-0.25)


def test_saddle_escape_times_follow_the_prediction():
    escape = gd.saddle_escape(offsets=(1e-2, 1e-4, 1e-6))
    assert escape.steps_per_decade == pytest.approx(escape.predicted_steps_per_decade, rel=0.02)
    assert escape.predicted_steps_per_decade == pytest.approx(math.log(10) / math.log(1.1))
    assert np.all(escape.measured >= escape.predicted)  # the cubic term slows the escape a little
    assert np.all(escape.measured - escape.predicted < 4)


def test_escape_step_and_its_prediction():
    assert gd.predicted_escape_step(0.5, 0.1) == 0.0
    assert gd.predicted_escape_step(0.05, 0.1) == pytest.approx(math.log(10) / math.log(1.1))
    on_the_axis = problems.saddle().run(plain_gradient_descent, 100,
                                        np.array([1.5, 0.0], np.float32),
                                        learning_rate=0.1)  # fmt: skip
    assert gd.escape_step(on_the_axis) is None  # the gradient has no θ₂ component there
    with pytest.raises(ValueError, match="did not leave"):
        gd.saddle_escape(offsets=(1e-7,), steps=50)


def test_saddle_figure_shows_four_paths_and_every_escape_time():
    escape = gd.saddle_escape()
    fig = gd.saddle_figure(escape)
    plane, losses, times = fig.axes
    assert plane.get_title() == "paths from θ₀ = (1.5, δ)"
    assert len(losses.get_legend().get_texts()) == 4
    assert len(times.lines) == 2 and len(times.lines[1].get_xdata()) == len(escape.offsets)
    assert plot.png_bytes(fig).startswith(b"\x89PNG")


def test_saddle_widget_follows_the_offset_without_recompiling():
    widget = gd.saddle_widget()
    assert png_shown(widget).startswith("iVBORw0KGgo")
    compiled = compilation_count()
    escapes = []
    for offset in (1e-2, 1e-4, 1e-6):
        shown = widget.update(offset=offset)
        escapes.append(shown.measured)
        assert 0 <= shown.measured - shown.predicted < 4
    assert compilation_count() == compiled
    assert escapes[0] < escapes[1] < escapes[2]
    assert widget.update(offset=1e-7, learning_rate=0.02).measured is None
    assert "still on the axis" in widget.figure.axes[0].get_title()


# --------------------------------------------------------------------------
# 2. Where gradients come from
# --------------------------------------------------------------------------


def test_random_directions_capture_one_dth_of_the_gradient():
    alignment = gd.random_direction_alignment(dims=(3, 30, 300), samples=3000)
    assert alignment.dims == (3, 30, 300) and alignment.samples == 3000
    for d, mean_cos2 in zip(alignment.dims, alignment.mean_cos2, strict=True):
        assert mean_cos2 * d == pytest.approx(1.0, rel=0.1)
    np.testing.assert_allclose(alignment.predicted, [1 / 3, 1 / 30, 1 / 300])


def test_finite_difference_errors_match_the_theory():
    errors = gd.finite_difference_errors()
    assert [(e.dtype, e.method) for e in errors.quotients] == [
        (t, m) for t in ("float64", "float32") for m in ("forward", "central")
    ]
    for e in errors.quotients:
        assert e.truncation_ratio == pytest.approx(1.0, abs=0.05)
        assert 0.25 < e.reliable_step / e.predicted_step < 4
        assert e.bound / 4 < e.reliable_error < 1.25 * e.bound
        assert e.errors.shape == errors.steps.shape
    assert errors.float64_forward.predicted_step == pytest.approx(math.sqrt(2 * 2.0**-52))
    fig = gd.finite_difference_figure(errors)
    assert len(fig.axes) == 2


def test_gradient_check_demo_catches_the_slip():
    checks = gd.gradient_check_demo()
    assert checks.autodiff.relative_error < 1e-4
    assert checks.by_hand.relative_error < 1e-4
    assert checks.slip.relative_error == pytest.approx(0.5, abs=1e-4)


def test_counts_grow_with_d_except_for_autodiff():
    costs = gd.evaluations_to_reduce(dims=(4, 64), seeds=2)
    for d in costs.dims:
        steps = costs.gd_steps[d]
        assert costs.forward_differences[d] == steps * (d + 1)
        assert costs.central_differences[d] == steps * 2 * d
        assert costs.autodiff_gradients[d] == steps
    assert costs.random_search[64] > 5 * costs.random_search[4]
    problem = gd.cost_problem(64)
    assert problem.learning_rate == pytest.approx(2 / 11)
    assert gd.cost_problem(64) is problem  # built and compiled once


def test_timings_and_cost_figure():
    costs = gd.evaluations_to_reduce(dims=(4, 64), seeds=2)
    timings = gd.gradient_timings(dims=(4, 64), repeats=2)
    for table in (timings.loss, timings.forward, timings.central, timings.autodiff):
        assert set(table) == {4, 64} and all(0 < t < 1 for t in table.values())
    fig = gd.cost_figure(costs, timings)
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 4 and len(fig.axes[1].lines) == 4


# --------------------------------------------------------------------------
# 3. The update rule
# --------------------------------------------------------------------------


def test_one_step_decrease_formula():
    step = gd.one_step_decrease(0.3)
    assert step.loss_before == pytest.approx(5.2)
    assert step.loss_after == pytest.approx(step.loss_after_formula, rel=1e-6)
    # α_g = ‖g‖²/gᵀQg at θ₀ = (−4, 1), g = (−1.6, 4)
    assert step.best_learning_rate == pytest.approx(18.56 / 65.024)
    large = gd.one_step_decrease(
        0.55
    )  # beyond 2/λ_max = 0.5, below 2α_g: the first step still helps
    assert 0.5 < large.learning_rate < 2 * large.best_learning_rate
    assert large.loss_after < large.loss_before


def test_learning_rate_thresholds_of_the_paraboloid():
    thresholds = gd.learning_rate_thresholds()
    assert thresholds.lambda_min == pytest.approx(0.4)
    assert thresholds.lambda_max == pytest.approx(4.0)
    assert thresholds.oscillation == pytest.approx(0.25)
    assert thresholds.optimal == pytest.approx(2 / 4.4)
    assert thresholds.divergence == pytest.approx(0.5)


def test_learning_rate_figure_shows_the_four_regimes_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        runs = gd.learning_rate_runs()
        fig = gd.learning_rate_figure(runs)
        plot.png_bytes(fig)
    assert runs._fields == ("crawls", "converges", "oscillates", "diverges")
    assert runs._fields == tuple(gd.LEARNING_RATE_REGIMES)
    assert runs.diverges.diverged_at is not None
    assert all(run.diverged_at is None for run in (runs.crawls, runs.converges, runs.oscillates))
    assert runs.oscillates.final_loss < runs.converges.final_loss < runs.crawls.final_loss
    messages = [t.get_text() for ax in fig.axes for t in ax.texts if t.get_text()]
    assert messages == [f"diverged at step {runs.diverges.diverged_at}"]


def test_learning_rate_widget_shows_divergence_and_never_recompiles():
    widget = gd.learning_rate_widget()
    widget.update(learning_rate=0.05)
    compiled = compilation_count()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for alpha in (0.001, 0.3, 0.49, 0.6, 1.0):
            widget.update(learning_rate=alpha)
            diverged = widget.trajectories["sgd"].diverged_at is not None
            assert diverged == (alpha > 0.5)
            assert bool(widget.panels.messages["sgd"].get_text()) == diverged
    assert compilation_count() == compiled


# --------------------------------------------------------------------------
# 4. Batch, stochastic and mini-batch
# --------------------------------------------------------------------------


def test_minibatch_variance_matches_the_finite_population_formula():
    variance = gd.gradient_variance(batch_sizes=(1, 8, 64, 128), samples=800)
    n = gd.regression_problem().num_examples
    assert n == 128
    partial = variance.batch_sizes < n
    np.testing.assert_allclose(variance.measured[partial], variance.predicted[partial], rtol=0.15)
    assert variance.measured[~partial][0] < 1e-10
    assert variance.predicted[0] == pytest.approx(variance.sigma2)


def test_per_example_gradients_average_to_the_gradient():
    problem = gd.regression_problem()
    theta = jnp.array([0.3, -0.7])
    per_example = gd.per_example_gradients(problem, theta)
    assert per_example.shape == (128, 2)
    np.testing.assert_allclose(per_example.mean(axis=0), problem.grad(theta), rtol=1e-5, atol=1e-6)


def test_scheduled_gradient_descent_produces_its_schedule():
    """On L(θ) = θ the gradient is 1, so θ_{t−1} − θ_t is the learning rate of step t."""

    def linear(theta):
        return jnp.sum(theta)

    def rates(**hyperparameters):
        run = problems.Problem("linear", linear, start=np.zeros(1, np.float32))
        run = run.run(gd.scheduled_gradient_descent, 30, divergence_threshold=1e30,
                      **hyperparameters)  # fmt: skip
        return -np.diff(np.asarray(run.params)[:, 0])

    steps = np.arange(30)
    np.testing.assert_allclose(rates(learning_rate=0.1), 0.1, rtol=1e-6)
    exponential = schedules.exponential_decay(0.1, 1, 0.9)
    np.testing.assert_allclose(rates(learning_rate=0.1, step_decay=0.9),
                               [float(exponential(t)) for t in steps], rtol=1e-5)  # fmt: skip
    np.testing.assert_allclose(rates(learning_rate=0.1, inverse_time=0.05),
                               0.1 / (1 + 0.05 * steps), rtol=1e-5)  # fmt: skip
    constant = problems.Problem("linear", linear, start=np.zeros(1, np.float32))
    np.testing.assert_allclose(
        constant.run(gd.scheduled_gradient_descent, 5, learning_rate=0.2).params,
        constant.run(sgd, 5, learning_rate=0.2).params,
    )


def test_stochastic_runs_share_one_program():
    gd.stochastic_run(1, jax.random.PRNGKey(0), 0.1)
    compiled = compilation_count()
    gd.stochastic_run(7, jax.random.PRNGKey(1), 0.05)
    gd.stochastic_run(128, jax.random.PRNGKey(2), 0.1, step_decay=0.999, inverse_time=0.01)
    assert compilation_count() == compiled


def test_minibatch_figure_gives_each_batch_size_the_same_budget():
    budget = gd.epoch_budget()
    n = gd.regression_problem().num_examples
    assert {spent.batch_size: int(spent.run.losses.size - 1) for spent in budget} == {
        1: gd.EPOCHS * n,
        16: gd.EPOCHS * n // 16,
        128: gd.EPOCHS,
    }
    assert [spent.steps for spent in budget] == [gd.EPOCHS * n, gd.EPOCHS * n // 16, gd.EPOCHS]
    min_value = gd.regression_problem().min_value
    gap_16 = budget.minibatch.run.final_loss - min_value
    assert gap_16 < (budget.full_batch.run.final_loss - min_value) / 10
    for spent in budget:  # the gaps after one epoch (step n/B) and over the last n/B steps
        losses = np.asarray(spent.run.losses, np.float64)
        per_epoch = -(-n // spent.batch_size)
        assert spent.first_epoch_gap == pytest.approx(losses[per_epoch] - min_value, rel=1e-12)
        last = losses[-per_epoch:].mean() - min_value
        assert spent.last_epoch_gap == pytest.approx(last, rel=1e-12)
    assert budget.full_batch.last_epoch_gap == pytest.approx(
        budget.full_batch.run.final_loss - min_value, rel=1e-6
    )  # with B = n an epoch is one step
    fig = gd.minibatch_figure(gd.gradient_variance(samples=50), budget)
    assert len(fig.axes) == 2


def test_noise_floor_is_proportional_to_the_learning_rate_and_schedules_get_below_it():
    floor = gd.schedule_noise_floor(seeds=2)
    fig = gd.noise_floor_figure(floor)
    assert len(fig.axes[0].lines) == 5  # four runs and the predicted floor
    assert 5 < floor.large_floor.measured / floor.small_floor.measured < 20
    for constant in (floor.large_floor, floor.small_floor):
        assert 0.5 < constant.measured / constant.predicted < 2
    assert (floor.large_floor.learning_rate, floor.small_floor.learning_rate) == (0.1, 0.01)
    settings = floor[:5]
    assert len({s.label for s in settings}) == 5 and all(len(s.runs) == 2 for s in settings)
    for schedule in (floor.exponential, floor.inverse_time):
        assert schedule.final_gap < floor.constant_large.final_gap / 5


@pytest.fixture(scope="module")
def batch_widget():
    return gd.batch_size_widget()


def test_batch_size_widget_spends_the_same_budget_without_recompiling(batch_widget):
    n = gd.regression_problem().num_examples
    batch_widget.update(batch_size=2)
    compiled = compilation_count()
    for batch_size in (1, 16, 50, 128):
        shown = batch_widget.update(batch_size=batch_size)
        assert shown.batch_size == batch_size
        assert int(shown.run.losses.size - 1) == math.ceil(gd.EPOCHS * n / batch_size)
        assert batch_widget.figure.axes[0].get_title().startswith(f"B = {batch_size}:")
    batch_widget.update(learning_rate=0.01)
    assert compilation_count() == compiled


def test_batch_size_widget_reports_divergence_within_the_budget(batch_widget):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run = batch_widget.update(batch_size=1, learning_rate=1.0).run
    assert run.diverged_at is not None
    message = [t for t in batch_widget.figure.axes[0].texts if t.get_text()]
    assert message and message[0].get_text() == f"diverged at step {run.diverged_at}"
    batch_widget.update(batch_size=16, learning_rate=0.1)
    assert not any(t.get_text() for t in batch_widget.figure.axes[0].texts)


def test_saddle_widget_says_where_the_run_and_the_prediction_are():
    widget = gd.saddle_widget()
    legend = widget.figure.axes[1].get_legend()
    widget.update(offset=1.0)  # |θ₂| ≥ ½ from the start
    assert "starts off the axis" in widget.figure.axes[0].get_title()
    assert legend.get_texts()[0].get_text() == "predicted escape: at the start"
    widget.update(offset=1e-7, learning_rate=0.02)  # ln(0.5/δ)/ln(1.02) ≈ 779 > 300 steps
    assert legend.get_texts()[0].get_text().endswith("off the plot")
    assert widget.figure.axes[1].get_legend() is legend


def test_full_batch_at_its_best_rate_uses_the_hessians_extreme_eigenvalues():
    best = gd.full_batch_at_best_rate()
    X = np.asarray(gd.regression_problem().args[0], np.float64)
    eigenvalues = np.linalg.eigvalsh(X.T @ X / X.shape[0])
    assert best.learning_rate == pytest.approx(2 / (eigenvalues[0] + eigenvalues[-1]))
    assert best.condition_number == pytest.approx(eigenvalues[-1] / eigenvalues[0])
    assert best.budget.batch_size == X.shape[0]
    assert best.budget.last_epoch_gap < gd.budget_run(X.shape[0], 0.1).last_epoch_gap
