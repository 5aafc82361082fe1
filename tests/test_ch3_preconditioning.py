"""Chapter 3, *Preconditioning* (:mod:`lab.ch3_preconditioning`): formulas, results, figures, widgets."""

import math
import warnings

import jax
import jax.numpy as jnp
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import optimizers as opt
from lab import ch3_preconditioning as pre
from lab import newton as newton_module
from lab import plot
from lab.ch3_preconditioning import newton_convergence
from lab.trajectory import compilation_count

RNG = np.random.default_rng(3)


def random_spd(d, rng=RNG):
    A = rng.normal(size=(d, d))
    return A @ A.T + 0.5 * np.eye(d)


# --------------------------------------------------------------------------
# The preconditioned step and the condition number of PQ
# --------------------------------------------------------------------------


def test_preconditioned_gd_is_theta_minus_alpha_p_g():
    Q, P = random_spd(3), random_spd(3)
    theta = jnp.array([1.0, -2.0, 0.5])
    g = jnp.asarray(Q, jnp.float32) @ theta
    tx = pre.preconditioned_gd(P, 0.1)
    updates, _ = tx.update(g, tx.init(theta), theta)
    expected = np.asarray(theta) - 0.1 * P @ np.asarray(g)
    np.testing.assert_allclose(opt.apply_updates(theta, updates), expected, rtol=1e-5)


def test_the_2d_and_per_coordinate_versions_build_the_same_step():
    theta, g = jnp.array([1.0, -2.0]), jnp.array([0.3, 4.0])
    P = np.array([[2.0, 0.5], [0.5, 1.0]])
    full = pre.preconditioned_gd(P, 0.2)
    entries = pre.preconditioned_gd_2d(0.2, 2.0, 0.5, 1.0)
    u_full, _ = full.update(g, full.init(theta), theta)
    u_entries, _ = entries.update(g, entries.init(theta), theta)
    np.testing.assert_allclose(u_full, u_entries, rtol=1e-6)
    per_coordinate = pre.per_coordinate_gd(0.5, 0.1)
    u, _ = per_coordinate.update(g, per_coordinate.init(theta), theta)
    np.testing.assert_allclose(u, [-0.5 * 0.3, -0.1 * 4.0], rtol=1e-6)


@pytest.mark.parametrize("d", [2, 3, 5])
def test_preconditioned_eigenvalues_are_those_of_pq(d):
    Q, P = random_spd(d), random_spd(d)
    direct = np.sort(np.linalg.eigvals(P @ Q).real)
    np.testing.assert_allclose(pre.preconditioned_eigenvalues(Q, P), direct, rtol=1e-9)
    assert pre.preconditioned_condition_number(Q, np.linalg.inv(Q)) == pytest.approx(1.0)
    assert pre.preconditioned_condition_number(Q, np.eye(d)) == pytest.approx(
        np.linalg.cond(Q), rel=1e-9
    )


@pytest.mark.parametrize("rho", [-0.9, -0.3, 0.0, 0.5, 0.95])
def test_jacobi_in_2d_gives_one_plus_rho_over_one_minus_rho_and_is_the_best_diagonal(rho):
    problem = pre.scaled_correlated_quadratic(scales=(0.7, 5.0), correlation=rho)
    Q = np.asarray(problem.args[0], np.float64)
    kappa = pre.preconditioned_condition_number(Q, pre.jacobi(Q))
    assert kappa == pytest.approx((1 + abs(rho)) / (1 - abs(rho)), rel=1e-5)
    best, ratio = pre.best_diagonal_condition_number(Q)
    assert best == pytest.approx(kappa, rel=1e-5)
    assert ratio == pytest.approx(Q[0, 0] / Q[1, 1], rel=1e-2)


def test_rotation_curves_jacobi_equals_none_at_45_degrees_and_frozen_reaches_kappa_squared():
    curves = pre.rotation_condition_numbers(25.0, [0.0, 45.0, 90.0])
    np.testing.assert_allclose(curves.none, 25.0, rtol=1e-9)
    np.testing.assert_allclose(curves.newton, 1.0, rtol=1e-9)
    np.testing.assert_allclose(curves.jacobi, [1.0, 25.0, 1.0], rtol=1e-9)
    # P = diag(1, 1/κ): det PQ = 1 and tr PQ = 2cos²φ + (κ + 1/κ) sin²φ = √κ̃ + 1/√κ̃
    trace = 1.0 + 0.5 * (25.0 + 1 / 25.0)
    root = (trace + math.sqrt(trace**2 - 4)) / 2
    np.testing.assert_allclose(curves.frozen_diagonal, [1.0, root**2, 625.0], rtol=1e-6)


def test_unrotated_jacobi_and_frozen_diagonal_are_q_inverse_and_stacks_follow_the_angles():
    one = pre.rotated_preconditioners(0.0, 25.0)
    np.testing.assert_allclose(one.Q, np.diag([1.0, 25.0]), atol=1e-12)
    for P in (one.jacobi, one.frozen_diagonal, one.newton):
        np.testing.assert_allclose(P, np.diag([1.0, 1 / 25.0]), atol=1e-12)
    stack = pre.rotated_preconditioners(np.radians([0.0, 30.0, 45.0]), 25.0)
    assert all(matrix.shape == (3, 2, 2) for matrix in stack)
    np.testing.assert_allclose(
        stack.newton @ stack.Q, np.broadcast_to(np.eye(2), (3, 2, 2)), atol=1e-9
    )


def test_rotated_start_turns_with_q_so_gradient_descent_does_not_see_the_angle():
    runs = [pre.rotation_runs(math.radians(d), 25.0, 30) for d in (0.0, 20.0, 45.0)]
    losses = [np.asarray(r.none.losses) for r in runs]
    np.testing.assert_allclose(losses[1], losses[0], rtol=1e-3)
    np.testing.assert_allclose(losses[2], losses[0], rtol=1e-3)


@pytest.mark.parametrize(
    "call, error, word",
    [
        (
            lambda: pre.preconditioned_eigenvalues(np.eye(2), [[1.0, 2.0], [0.0, 1.0]]),
            ValueError,
            "P",
        ),
        (lambda: pre.preconditioned_eigenvalues(np.eye(2), [-1.0, 1.0]), ValueError, "P"),
        (lambda: pre.preconditioned_eigenvalues(np.eye(2), np.eye(3)), ValueError, "P"),
        (lambda: pre.preconditioned_eigenvalues(np.ones(3), np.eye(3)), ValueError, "Q"),
        (lambda: pre.preconditioned_condition_number(-np.eye(2), np.eye(2)), ValueError, "Q"),
        (lambda: pre.jacobi(np.diag([1.0, -1.0])), ValueError, "Q"),
        (lambda: pre.scaled_correlated_quadratic(correlation=1.0), ValueError, "correlation"),
        (lambda: pre.scaled_correlated_quadratic(scales=(1.0, 0.0)), ValueError, "scales"),
        (lambda: pre.rotated_preconditioners(0.3, 0.5), ValueError, "condition"),
    ],
)
def test_bad_input_names_the_argument(call, error, word):
    with pytest.raises(error, match=word):
        call()


# --------------------------------------------------------------------------
# The static figures and their numbers
# --------------------------------------------------------------------------


def test_per_coordinate_rates_one_over_lambda_land_in_one_step():
    result = pre.per_coordinate_runs()
    assert result.learning_rate_1 == pytest.approx(1 / result.lambda_1)
    assert result.learning_rate_2 == pytest.approx(1 / result.lambda_2)
    assert result.per_coordinate_loss_after_one_step < 1e-10
    assert result.gd_final_loss > 1e-6 * result.start_loss
    assert result.rate == pytest.approx((result.kappa - 1) / (result.kappa + 1))
    assert plot.png_bytes(pre.per_coordinate_figure(result)).startswith(b"\x89PNG")


def test_measured_rates_match_the_condition_number_of_pq():
    result = pre.preconditioner_comparison()
    assert result.jacobi.kappa == pytest.approx(3.0)  # (1 + ρ)/(1 − ρ) with ρ = ½
    assert result.newton.kappa == pytest.approx(1.0)
    assert result.none.kappa > 20
    for run in (result.none, result.jacobi):
        assert run.measured_rate == pytest.approx(run.predicted_rate, rel=1e-3)
    assert result.newton.measured_rate is None  # κ = 1: one step, no rate to measure
    assert result.newton.final_loss < 1e-10
    assert plot.png_bytes(pre.preconditioner_comparison_figure(result)).startswith(b"\x89PNG")


def test_adaptive_methods_do_best_when_the_axes_align():
    result = pre.adaptive_rotation_losses(angles_degrees=[0.0, 45.0, 90.0])
    np.testing.assert_allclose(result.none, result.none[0], rtol=1e-3)
    assert result.jacobi[1] == pytest.approx(result.none[1], rel=1e-3)
    assert np.all(result.newton < 1e-10)
    for losses in (result.jacobi, result.adagrad, result.adam):
        assert losses[1] > 100 * max(losses[0], losses[2], 1e-12)
    assert plot.png_bytes(pre.adaptive_rotation_figure(result)).startswith(b"\x89PNG")


def test_newton_on_rosenbrock_converges_quadratically_and_gradient_descent_crawls():
    result = pre.newton_rosenbrock_runs()
    errors = result.errors_newton
    assert np.min(errors[errors > 0]) < 1e-30
    assert result.errors_gd[-1] > 0.05
    np.testing.assert_allclose(result.orders[-2:], 2.0, atol=0.1)
    # the loss rises although every Newton direction descends: the full step overshoots
    assert np.max(result.losses_newton) > 10 * result.start_loss
    assert np.all(result.smallest_curvatures > 0)
    moved = np.any(np.diff(np.asarray(result.newton_run.params), axis=0) != 0, axis=1)
    assert np.all(result.slopes[moved] < 0) and np.all(result.slopes[~moved] == 0)
    assert plot.png_bytes(pre.newton_rosenbrock_figure(result)).startswith(b"\x89PNG")


def test_rosenbrock_curvature_of_the_newton_run_agrees_with_jax():
    banana = pre.newton_rosenbrock_runs().problem
    points = np.array([[-1.5, 2.0], [0.3, -0.7], [1.2, 1.4]])
    gradients, hessians = newton_convergence._gradient_and_hessian(points)
    for point, gradient, hessian in zip(points, gradients, hessians, strict=True):
        theta = jnp.asarray(point, jnp.float32)
        np.testing.assert_allclose(
            jax.grad(banana.loss_fn)(theta, *banana.args), gradient, rtol=1e-5
        )
        np.testing.assert_allclose(
            jax.hessian(banana.loss_fn)(theta, *banana.args), hessian, rtol=1e-5
        )


def test_newton_stops_at_the_saddle_where_gradient_descent_escapes():
    result = pre.newton_saddle_runs()
    np.testing.assert_allclose(result.newton_end, 0.0, atol=1e-12)
    np.testing.assert_allclose(result.newton_end_hessian_eigenvalues, [-1.0, 1.0])
    assert result.gd_end_loss == pytest.approx(result.min_value, abs=1e-6)
    assert plot.png_bytes(pre.newton_saddle_figure(result)).startswith(b"\x89PNG")


def test_newton_far_from_the_minimum():
    result = pre.newton_far_runs()
    assert result.critical_start == pytest.approx(1.0886595, abs=1e-6)
    x = result.critical_start
    assert math.sinh(2 * x) == pytest.approx(4 * x)
    assert result.pure_from_1_0.diverged_at is None
    assert result.pure_from_1_2.diverged_at is not None
    assert result.x1 == pytest.approx(1.2 - 0.5 * math.sinh(2.4), rel=1e-9)
    assert result.curvature == pytest.approx(1 - math.tanh(1.2) ** 2, rel=1e-12)
    for run in (result.half_step_from_1_2, result.damped_from_1_2):
        assert abs(float(run.params[-1, 0])) < 1e-3
    assert plot.png_bytes(pre.newton_far_figure(result)).startswith(b"\x89PNG")


# --------------------------------------------------------------------------
# Widgets: the figure at the defaults, no recompilation, fast moves
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rotation():
    return pre.rotation_widget()


def test_rotation_widget_shows_its_figure(rotation):
    (shown,) = rotation.output.outputs
    assert shown["data"]["image/png"] == plot.png_base64(rotation.figure)
    frame = rotation.result
    assert isinstance(rotation.panels, plot.Panels)
    assert isinstance(frame, pre.RotationFrame)
    assert (frame.angle_degrees, frame.condition) == (30.0, 25.0)
    assert set(rotation.panels.paths) == {"none", "jacobi", "newton", "adam"}
    assert set(rotation.panels.kappa_lines) == {"none", "jacobi", "frozen_diagonal", "newton"}


def test_rotating_never_recompiles_and_moves_the_picture(rotation):
    rotation.update(angle_degrees=10.0, condition=20.0)
    compiled = compilation_count()
    path = rotation.panels.paths["jacobi"].path
    previous = np.array(path.get_xydata())
    for angle, condition in [(0.0, 20.0), (45.0, 20.0), (80.0, 5.0), (30.0, 100.0)]:
        rotation.update(angle_degrees=angle, condition=condition)
        current = np.array(path.get_xydata())
        assert not np.allclose(previous, current)
        previous = current
        dot = rotation.panels.kappa_dots["jacobi"].get_xydata()[0]
        assert dot[0] == pytest.approx(angle)
    assert compilation_count() == compiled


def test_rotation_widget_jacobi_is_exact_when_aligned_and_plain_gd_at_45_degrees(rotation):
    runs = rotation.update(angle_degrees=0.0, condition=25.0).runs
    assert float(runs.jacobi.losses[1]) < 1e-10
    runs = rotation.update(angle_degrees=45.0, condition=25.0).runs
    np.testing.assert_allclose(runs.jacobi.losses, runs.none.losses, rtol=1e-3)


def test_per_coordinate_widget_moves_without_recompiling_and_reports_divergence():
    explorer = pre.per_coordinate_widget()
    label = "α₁, α₂ (diagonal P)"
    assert set(explorer.trajectories) == {label, "one α = 2/(λ₁ + λ₂)"}
    compiled = compilation_count()
    explorer.update(learning_rate_1=2.5, learning_rate_2=0.25)
    assert float(explorer.trajectories[label].losses[1]) < 1e-10
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        explorer.update(learning_rate_2=0.62)  # beyond 2/λ₂ = 0.5
    assert explorer.trajectories[label].diverged_at is not None
    assert "diverged" in explorer.panels.messages[label].get_text()
    assert compilation_count() == compiled


def test_damped_newton_widget_escapes_for_damping_above_one_and_never_recompiles():
    widget = pre.damped_newton_widget()
    assert isinstance(widget.panels, plot.Panels)
    assert isinstance(widget.result, pre.DampedNewtonFrame)
    assert widget.panels.plane.get_title() == widget.result.status
    assert "minimum" in widget.panels.plane.get_title()
    compiled = newton_module.compilation_count()
    widget.update(damping=0.0, learning_rate=1.0)
    assert "saddle" in widget.panels.plane.get_title()
    for mu in (0.5, 1.0, 2.0, 4.0):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            widget.update(damping=mu)
    assert newton_module.compilation_count() == compiled
