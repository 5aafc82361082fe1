"""Chapter 4, "Momentum" (lab.ch4_momentum): the forms agree, the theory matches the runs,
the figures draw their results, and the widgets are fast."""

import math

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from lab import analysis, plot
from lab import ch4_momentum as mom
from lab.trajectory import compilation_count

PARABOLOID = np.diag([0.4, 4.0])


# --------------------------------------------------------------------------
# The three forms of the heavy ball, and Nesterov's look-ahead
# --------------------------------------------------------------------------


@pytest.mark.parametrize(("learning_rate", "momentum"), [(0.05, 0.9), (0.3, 0.5), (0.45, 0.0)])
def test_the_three_heavy_ball_forms_give_the_same_iterates(learning_rate, momentum):
    check = mom.forms_check(learning_rate, momentum, steps=60)
    assert check.inside_gap < 1e-5
    assert check.ema_gap < 1e-5
    assert check.ema_learning_rate == pytest.approx(learning_rate / (1 - momentum))
    if momentum > 0:
        assert check.naive_ema_gap > 1e-2  # forgetting α' = α/(1 − β) changes the method


def test_hand_computed_first_steps():
    """On L = ½ λ θ² with θ₀ = 1: θ₁ = 1 − αλ, θ₂ = θ₁ − αλθ₁ + β(θ₁ − θ₀)."""
    lam, alpha, beta = 2.0, 0.1, 0.5
    grad = lambda theta: lam * theta  # noqa: E731
    theta1 = 1 - alpha * lam
    theta2 = theta1 - alpha * lam * theta1 + beta * (theta1 - 1)
    inside = mom.heavy_ball_inside(grad, np.ones(1), alpha, beta, 2)[:, 0]
    ema = mom.heavy_ball_ema(grad, np.ones(1), alpha / (1 - beta), beta, 2)[:, 0]
    np.testing.assert_allclose(inside, [1, theta1, theta2])
    np.testing.assert_allclose(ema, [1, theta1, theta2])


def test_nesterov_lookahead_subtracts_the_gradient_at_the_lookahead_point():
    lam, alpha, beta = 2.0, 0.1, 0.5
    grad = lambda theta: lam * theta  # noqa: E731
    thetas, velocities = mom.nesterov_lookahead(grad, np.ones(1), alpha, beta, 2)
    v1 = -alpha * lam * 1.0  # v₀ = 0: the first step is a gradient step
    v2 = beta * v1 - alpha * lam * (1.0 + v1 + beta * v1)
    np.testing.assert_allclose(velocities[:, 0], [0, v1, v2])
    np.testing.assert_allclose(thetas[:, 0], [1, 1 + v1, 1 + v1 + v2])


@pytest.mark.parametrize(("learning_rate", "momentum"), [(0.05, 0.9), (0.2, 0.7)])
def test_package_nesterov_runs_the_lookahead_form_on_shifted_points(learning_rate, momentum):
    check = mom.nesterov_check(learning_rate, momentum, steps=80)
    assert check.shifted_gap < 1e-5
    assert check.unshifted_gap > 1e-2
    assert check.buffer_gap < 1e-4
    np.testing.assert_allclose(check.package[0], check.lookahead[0])


@pytest.mark.parametrize("momentum", [0.5, 0.9, 0.99])
def test_velocity_under_a_constant_gradient(momentum):
    v = mom.velocity_buildup(momentum, 50)
    t = np.arange(1, 51)
    np.testing.assert_allclose(v, (1 - momentum**t) / (1 - momentum), rtol=1e-5)


def test_moving_average_holds_the_measured_and_predicted_build_up():
    average = mom.moving_average((0.5, 0.9), steps=40)
    assert average.velocities.shape == average.predicted.shape == (2, 40)
    np.testing.assert_allclose(average.velocities[1], mom.velocity_buildup(0.9, 40))
    np.testing.assert_allclose(average.velocities, average.predicted, rtol=1e-5)
    np.testing.assert_allclose(average.weights[0, :3], [1, 0.5, 0.25])
    np.testing.assert_allclose(average.windows, [2, 10])


# --------------------------------------------------------------------------
# The quadratic theory
# --------------------------------------------------------------------------


def test_closed_form_radius_matches_the_iteration_matrices():
    rng = np.random.default_rng(1)
    for step, beta in zip(rng.uniform(-0.5, 4.5, 300), rng.uniform(0, 0.999, 300), strict=True):
        heavy = analysis.momentum_rate(np.eye(1), step, beta)
        nag = mom.nesterov_rate(np.eye(1), step, beta)
        assert mom.spectral_radius(step, beta) == pytest.approx(heavy, abs=1e-7)
        assert mom.spectral_radius(step, beta, nesterov=True) == pytest.approx(nag, abs=1e-7)


@pytest.mark.parametrize("beta", [0.0, 0.3, 0.5, 0.9])
def test_stability_edges(beta):
    heavy_edge, nag_edge = 2 + 2 * beta, (2 + 2 * beta) / (1 + 2 * beta)
    assert (
        mom.spectral_radius(0.99 * heavy_edge, beta)
        < 1
        < mom.spectral_radius(1.01 * heavy_edge, beta)
    )
    assert mom.spectral_radius(0.99 * nag_edge, beta, True) < 1
    assert mom.spectral_radius(1.01 * nag_edge, beta, True) > 1
    assert mom.spectral_radius(1e-3, beta) < 1 < mom.spectral_radius(-1e-3, beta)


@pytest.mark.parametrize("beta", [0.1, 0.3, 0.8])
def test_regimes_and_critical_damping(beta):
    low, high = mom.critical_damping_steps(beta)
    for h in (low, high):  # the discriminant vanishes: a double root ±√β
        assert (1 + beta - h) ** 2 == pytest.approx(4 * beta)
        assert mom.spectral_radius(h, beta) == pytest.approx(math.sqrt(beta), abs=1e-6)
    middle = 0.5 * (low + high)
    assert mom.regime(0.5 * low, beta) == 1
    assert mom.regime(middle, beta) == 2
    assert mom.spectral_radius(middle, beta) == pytest.approx(math.sqrt(beta))
    assert mom.regime(0.5 * (high + 2 + 2 * beta), beta) == 3
    assert mom.regime(2.01 + 2 * beta, beta) == 0
    assert mom.regime(0.0, beta) == 0
    assert mom.regime(low, beta) == mom.regime(high, beta) == 4  # a double root
    assert mom.REGIMES[int(mom.regime(1.0, 0.0))] == "critically damped"  # one step to zero


def test_phase_diagram_finds_polyaks_optimum():
    diagram = mom.phase_diagram((0.4, 4.0))
    alpha, beta = analysis.optimal_momentum(PARABOLOID)
    rate = analysis.momentum_rate(PARABOLOID, alpha, beta)
    best = diagram.best
    assert rate - 1e-9 <= best.rate < rate + 0.01
    assert best.learning_rate == pytest.approx(alpha, abs=0.02)
    assert best.momentum == pytest.approx(beta, abs=0.02)
    assert diagram.rates.shape == (diagram.momenta.size, diagram.learning_rates.size)


def test_nesterov_grid_optimum_is_lessards_and_slower_than_polyaks():
    kappa = 10.0
    alpha = 4 / (3 * 4.0 + 0.4)
    beta = (math.sqrt(3 * kappa + 1) - 2) / (math.sqrt(3 * kappa + 1) + 2)
    rate = mom.nesterov_rate(PARABOLOID, alpha, beta)
    assert rate == pytest.approx(1 - 2 / math.sqrt(3 * kappa + 1))
    grid = mom.phase_diagram(
        (0.4, 4.0), np.linspace(0.2, 0.4, 201), np.linspace(0, 0.9, 226), nesterov=True
    )
    assert rate - 1e-9 <= grid.best.rate < rate + 0.01
    assert analysis.momentum_rate(PARABOLOID, *analysis.optimal_momentum(PARABOLOID)) < rate


@pytest.mark.parametrize(
    ("eigenvalues", "window"), [((0.4, 4.0), (10, 30)), ((1.0, 100.0), (20, 60))]
)
def test_measured_rates_at_the_optimum(eigenvalues, window):
    run = mom.optimum_run(eigenvalues)
    assert run.max_relative_error < 1e-2
    measured = run.window(*window)
    assert (measured.start, measured.stop) == window
    kappa = eigenvalues[1] / eigenvalues[0]
    assert measured.low == pytest.approx((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1))
    assert measured.low <= measured.measured <= measured.high * (1 + 1e-4)
    reached = run.steps_to(1e-6)
    summary = mom.iteration_summary(run.kappa)
    assert abs(reached.gd - summary.gd_steps) <= 1
    assert summary.momentum_steps <= reached.heavy_ball < 1.5 * summary.momentum_steps


def test_iteration_summary_for_kappa_100():
    summary = mom.iteration_summary(100.0)
    assert summary.gd_rate == pytest.approx(99 / 101)
    assert summary.momentum_rate == pytest.approx(9 / 11)
    assert summary.gd_steps == 691
    assert summary.momentum_steps == 69
    assert isinstance(summary.gd_steps, int) and isinstance(summary.momentum_steps, int)


def test_stability_check_between_the_two_edges():
    beyond = mom.stability_check(0.6, 0.3)
    assert (beyond.gd_diverged, beyond.heavy_ball_diverged) == (True, False)
    within = mom.stability_check(0.45, 0.3)
    assert (within.gd_diverged, within.heavy_ball_diverged) == (False, False)


# --------------------------------------------------------------------------
# Noise, saddles, double well
# --------------------------------------------------------------------------


def test_noise_floor_prediction_reduces_to_sgd_and_scales_like_the_effective_rate():
    alpha = 1e-3
    for beta in (0.5, 0.9):
        heavy = mom.noise_floor_prediction(alpha, beta)
        effective = mom.noise_floor_prediction(alpha / (1 - beta), 0.0)
        assert heavy == pytest.approx(effective, rel=0.02)
    assert mom.noise_floor_prediction(0.02, 0.0) == pytest.approx(
        2 * mom.noise_floor_prediction(0.01, 0.0), rel=0.02
    )


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_measured_noise_floor_matches_the_prediction(momentum):
    floor = mom.noise_floor(0.01, momentum)
    assert isinstance(floor, mom.HeavyBallNoiseFloor)
    assert abs(floor.measured - floor.predicted) < 3 * floor.standard_error + 0.15 * floor.predicted


def test_noise_runs_heavy_ball_settles_like_sgd_at_the_effective_rate():
    runs = mom.noise_runs(0.01, 0.9, momenta=(0.0,))
    assert 0.7 < runs.heavy_ball_floor / runs.effective_floor < 1.4
    assert runs.heavy_ball_floor > 4 * runs.sgd_floor
    problem = mom.noise_problem()
    excess = np.asarray(runs.sgd.losses, np.float64)[1000:] - problem.min_value  # from t = 1000
    assert runs.sgd_floor == pytest.approx(excess.mean(), rel=1e-12)
    assert [f.momentum for f in runs.floors] == [0.0]
    assert len(mom.noise_figure(runs).axes) == 2


def test_double_well_minima_are_stationary_and_ordered():
    well = mom.double_well()
    deep, shallow = well.minima
    for point in (deep, shallow):
        np.testing.assert_allclose(np.asarray(well.grad(point)), 0, atol=1e-5)
    assert float(well.loss(deep)) == pytest.approx(well.min_value, abs=1e-6)
    assert float(well.loss(deep)) < float(well.loss(shallow))


def test_saddle_growth_factors_match_the_roots():
    growth = mom.saddle_growth(0.1, 0.9)
    assert growth.measured_gd == pytest.approx(1.1, rel=1e-3)
    assert growth.measured == pytest.approx(growth.predicted, rel=1e-3)
    assert growth.predicted > growth.predicted_gd


def test_escape_and_overshoot():
    runs = mom.escape_runs(0.1, 0.8)
    assert (runs.gd_right_well, runs.heavy_ball_right_well) == ("shallow", "deep")
    assert (runs.gd_left_well, runs.heavy_ball_left_well) == ("deep", "shallow")
    assert runs.heavy_ball_escape < runs.gd_escape / 2
    assert len(runs.saddle) == len(runs.right) == len(runs.left) == 2


def test_basin_sweep_starts_with_gradient_descent():
    sweep = mom.basin_sweep(0.1, [0.0, 0.8])
    assert list(sweep.right) == [False, True]
    assert list(sweep.left) == [True, False]


# --------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------


def test_static_figures():
    assert len(mom.averaging_figure(mom.moving_average()).axes) == 2
    fig = mom.phase_figure(mom.phase_diagram())
    assert isinstance(fig, plot.NotebookFigure) and len(fig.axes) == 3  # two panels, a colorbar
    run = mom.optimum_run((1.0, 100.0), start=(-4.0, 3.0))
    assert len(mom.rates_figure(run).axes) == 1 and run.kappa == 100
    assert len(mom.nesterov_rate_figure(mom.rate_curves()).axes) == 1


def test_rate_curves_mark_the_paraboloids_directions():
    curves = mom.rate_curves(momentum=0.9, learning_rate=0.3)
    np.testing.assert_allclose(curves.directions, [0.12, 1.2])
    assert curves.nesterov_edge == pytest.approx(3.8 / 2.8)
    assert curves.nesterov_directions[1] < curves.heavy_ball_directions[1]
    assert mom.nesterov_rate(PARABOLOID, 0.3, 0.9) == pytest.approx(
        float(curves.nesterov_directions.max())
    )


def test_escape_figure_has_four_panels():
    sweep = mom.basin_sweep()
    fig = mom.escape_figure(mom.escape_runs(), sweep)
    assert len(fig.axes) == 4
    assert sweep.momenta.size == sweep.right.size == sweep.left.size


# --------------------------------------------------------------------------
# Widgets
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def direction_widget():
    return mom.eigendirection_widget()


def test_direction_widget_shows_its_figure(direction_widget):
    assert isinstance(direction_widget.panels, plot.Panels)
    (shown,) = direction_widget.output.outputs
    assert shown["data"]["image/png"] == plot.png_base64(direction_widget.figure)
    assert set(direction_widget.controls) == {"step", "momentum"}
    assert direction_widget.static == "step"
    result = direction_widget.result
    assert result.rate == pytest.approx(math.sqrt(0.3))
    assert mom.REGIMES[result.regime] == "underdamped"


def test_direction_widget_never_recompiles(direction_widget):
    direction_widget.update(step=0.4)
    compiled = compilation_count()
    for values in ({"step": 0.1}, {"momentum": 0.8}, {"step": 2.9, "momentum": 0.3}):
        direction_widget.update(**values)
    assert compilation_count() == compiled


def test_direction_widget_shows_divergence_as_a_message(direction_widget):
    result = direction_widget.update(step=3.0, momentum=0.3)
    assert result.trajectory.diverged_at is not None
    assert "diverged" in direction_widget.panels.message.get_text()
    assert direction_widget.panels.iterates.get_title().endswith("does not converge")
    result = direction_widget.update(step=0.5, momentum=0.3)
    assert direction_widget.panels.message.get_text() == ""


def test_direction_widget_static_explorer(direction_widget):
    html = direction_widget.static_html(frames=3)
    assert html.count("<img") == 3 and "β = 0.3" in html


@pytest.mark.parametrize("builder", [mom.paraboloid_widget, mom.nesterov_widget])
def test_paraboloid_widgets_never_recompile(builder):
    widget = builder()
    compiled = compilation_count()
    widget.update(learning_rate=0.2)
    widget.update(momentum=0.7)
    assert compilation_count() == compiled
    assert set(widget.controls) == {"learning_rate", "momentum"}
    assert len(widget.trajectories) == 2


def test_valley_widget_shows_momentum_beating_gradient_descent():
    widget = mom.paraboloid_widget()
    runs = widget.trajectories
    assert mom.steps_below(runs["momentum"], 1e-10) < 0.6 * mom.steps_below(runs["sgd"], 1e-10)
    assert widget.static == "momentum"


# --------------------------------------------------------------------------
# Bad input, where a reader passes their own values (exercises, widget builders)
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "argument"),
    [
        (lambda: mom.velocity_buildup(momentum=1.0), ValueError, "momentum"),
        (lambda: mom.velocity_buildup(steps=0), ValueError, "steps"),
        (lambda: mom.phase_diagram(eigenvalues=[]), ValueError, "eigenvalues"),
        (lambda: mom.basin_sweep(learning_rate=-0.1), ValueError, "learning_rate"),
        (lambda: mom.basin_sweep(learning_rate="fast"), TypeError, "learning_rate"),
        (lambda: mom.eigendirection_widget(momentum=1.2), ValueError, "momentum"),
        (lambda: mom.eigendirection_widget(step=-0.5), ValueError, "step"),
        (lambda: mom.paraboloid_widget(learning_rate=0.0), ValueError, "learning_rate"),
        (lambda: mom.nesterov_widget(momentum=-0.1), ValueError, "momentum"),
    ],
)
def test_bad_input_names_the_argument(call, error, argument):
    with pytest.raises(error, match=argument):
        call()


@pytest.mark.parametrize(
    ("learning_rate", "momentum", "eigenvalue"),
    [(0.1, 0.5, 1.0), (0.3, 0.9, 2.0), (0.05, 0.0, 3.0)],
)
def test_ar2_stationary_variance_formula(learning_rate, momentum, eigenvalue):
    """Simulate 4000 independent chains of the AR(2) recurrence; compare ½ λ Var(z) with the formula."""
    rng = np.random.default_rng(0)
    a1 = 1 + momentum - learning_rate * eigenvalue
    z, previous, samples = np.zeros(4000), np.zeros(4000), []
    for t in range(600):
        z, previous = a1 * z - momentum * previous - learning_rate * rng.normal(size=4000), z
        if t >= 300:
            samples.append(z)
    measured = 0.5 * eigenvalue * np.var(np.stack(samples))
    predicted = mom.stationary_excess_loss(learning_rate, momentum, eigenvalue, 1.0)
    assert measured == pytest.approx(float(predicted), rel=0.03)
