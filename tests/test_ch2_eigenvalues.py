"""Chapter 2 (``lab.ch2_eigenvalues``, ``book/eigenvalues.ipynb``): predictions match runs,
widgets never recompile."""

import math
import warnings

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from lab import analysis, curvature, plot
from lab import ch2_eigenvalues as eig
from lab.trajectory import compilation_count


@pytest.mark.parametrize("learning_rate", [0.01, 0.1, 0.17, 0.2, 0.21])
def test_the_eigenbasis_prediction_matches_the_run(learning_rate):
    run = eig.eigenbasis_run(learning_rate=learning_rate)
    assert run.max_relative_error < 1e-5
    np.testing.assert_allclose(run.factors, 1 - learning_rate * np.array(eig.EIGENVALUES))
    np.testing.assert_allclose(run.V @ np.diag(run.eigenvalues) @ run.V.T, run.Q, atol=1e-12)
    assert run.rate == pytest.approx(analysis.gd_rate(run.Q, learning_rate))


def test_the_prediction_holds_for_any_rotation_and_spectrum():
    for eigenvalues, angle in [((0.3, 4.0), 1.2), ((5.0, 2.0), 2.5), ((2.0, 2.0), 0.7)]:
        run = eig.eigenbasis_run(eigenvalues, angle, learning_rate=0.3)
        assert run.max_relative_error < 1e-5


def test_a_diverging_run_is_frozen_and_still_matches_before_it_diverged():
    run = eig.eigenbasis_run((1.0, 30.0), 0.0, learning_rate=1.0)
    assert run.trajectory.diverged_at is not None
    assert np.isnan(run.measured[-1]).all()
    assert run.max_relative_error < 1e-5


def test_stability_edge_at_two_over_lambda_max():
    edge = 2 / max(eig.EIGENVALUES)
    below = eig.eigenbasis_run(learning_rate=0.98 * edge, steps=eig.STEPS)
    above = eig.eigenbasis_run(learning_rate=1.02 * edge, steps=eig.STEPS)
    assert np.abs(below.measured[-1, 1]) < np.abs(below.measured[0, 1])
    assert np.abs(above.measured[-1, 1]) > np.abs(above.measured[0, 1])


def test_static_figures_have_their_panels():
    assert len(eig.zigzag_figure(eig.eigenbasis_run(), steps=12).axes) == 2
    runs = [eig.eigenbasis_run(learning_rate=a) for a in (0.1, 0.15, 0.21)]
    fig = eig.eigenbasis_figure(runs)
    assert len(fig.axes) == 3
    assert isinstance(fig, plot.NotebookFigure)
    assert len(eig.eigenbasis_figure(runs[:1]).axes) == 1


@pytest.fixture(scope="module")
def eigenvalue_widget():
    return eig.eigenvalue_widget()


def test_widget_figures_are_panels(eigenvalue_widget, rate_widget):
    for widget, kind in ((eigenvalue_widget, eig.EigenvaluePanels), (rate_widget, eig.RatePanels)):
        assert isinstance(widget.panels, kind) and isinstance(widget.panels, plot.Panels)
        assert widget.panels.figure is widget.figure


def test_eigenvalue_widget_shows_the_figure_at_the_default_values(eigenvalue_widget):
    (shown,) = eigenvalue_widget.output.outputs
    assert shown["data"]["image/png"] == plot.png_base64(eigenvalue_widget.figure)
    assert set(eigenvalue_widget.controls) == {
        "eigenvalue_1",
        "eigenvalue_2",
        "angle_degrees",
        "learning_rate",
    }
    assert eigenvalue_widget.result.max_relative_error < 1e-5


def test_eigenvalue_widget_sliders_never_recompile(eigenvalue_widget):
    eigenvalue_widget.update(learning_rate=0.1)
    compiled = compilation_count()
    panels = eigenvalue_widget.panels
    previous = np.array(panels.ellipses[0].get_xydata())
    for values in (
        {"eigenvalue_1": 0.3},
        {"eigenvalue_2": 25.0},
        {"angle_degrees": 120.0},
        {"learning_rate": 0.05},
        {"eigenvalue_1": 2.0, "eigenvalue_2": 3.0, "angle_degrees": 10.0, "learning_rate": 0.4},
    ):
        eigenvalue_widget.update(**values)
        assert eigenvalue_widget.result.max_relative_error < 1e-5
    assert compilation_count() == compiled
    assert not np.allclose(previous, panels.ellipses[0].get_xydata())


def test_static_explorers_vary_one_slider_without_recompiling(eigenvalue_widget, rate_widget):
    compiled = compilation_count()
    for widget, control in (
        (eigenvalue_widget, "learning_rate"),
        (rate_widget, "condition_number"),
    ):
        assert widget.static == control
        before = widget.controls[control].value
        html = widget.static_html()
        assert html.count("<img") >= 10
        assert widget.controls[control].value == before  # the controls end where they started
    assert compilation_count() == compiled


def test_eigenvalue_widget_moves_without_compiling(eigenvalue_widget):
    """Speed is measured in benchmarks; here, only that a move runs compiled code."""
    eigenvalue_widget.update(learning_rate=0.05)
    compiled = compilation_count()
    for learning_rate in np.geomspace(0.01, 0.19, 5):
        eigenvalue_widget.update(learning_rate=float(learning_rate))
    assert compilation_count() == compiled


def test_eigenvalue_widget_shows_divergence_as_a_message(eigenvalue_widget):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        eigenvalue_widget.update(eigenvalue_1=1.0, eigenvalue_2=30.0, learning_rate=0.5)
    run = eigenvalue_widget.result
    assert run.trajectory.diverged_at is not None
    assert "diverged at step" in eigenvalue_widget.panels.message.get_text()
    labels = [label.get_text() for label in eigenvalue_widget.panels.labels]
    assert any(f"{1 - 15.0:.3g}" in text for text in labels)  # the factor −14, shown at the edge
    eigenvalue_widget.update(eigenvalue_2=10.0, learning_rate=0.1)
    assert eigenvalue_widget.panels.message.get_text() == ""


@pytest.fixture(scope="module")
def rate_widget():
    return eig.rate_widget()


def test_rate_widget_counts_no_more_steps_than_predicted(rate_widget):
    compiled = compilation_count()
    for kappa, alpha in [(10.0, 1.2), (10.0, 2 / 1.1), (100.0, 1.5), (3.0, 0.5)]:
        result = rate_widget.update(condition_number=kappa, learning_rate=alpha)
        assert result.measured is not None
        assert result.measured <= result.predicted
        assert result.rate == pytest.approx(max(abs(1 - alpha / kappa), abs(1 - alpha)), rel=1e-9)
    assert compilation_count() == compiled


def test_rate_widget_at_the_optimum_in_2d_meets_the_bound(rate_widget):
    result = rate_widget.update(condition_number=10.0, learning_rate=1.82)
    best = eig.rate_run(10.0, 2 / 1.1)
    assert abs(best.measured - best.predicted) <= 1  # both directions contract by exactly ρ
    assert result.measured is not None


def test_rate_widget_reports_divergence_and_slow_runs(rate_widget):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rate_widget.update(condition_number=10.0, learning_rate=2.2)
    assert "diverged" in rate_widget.panels.note.get_text()
    assert math.isinf(rate_widget.result.predicted)
    rate_widget.update(condition_number=1000.0, learning_rate=0.05)
    assert rate_widget.result.measured is None
    assert "not reached" in rate_widget.panels.note.get_text()
    rate_widget.update(condition_number=10.0, learning_rate=1.2)
    assert rate_widget.panels.note.get_text() == ""


def test_iteration_counts_lie_between_the_bounds():
    sweep = eig.iterations_sweep((1, 10, 100, 1000))
    assert np.all(sweep.lower <= sweep.measured)
    assert np.all(sweep.measured <= sweep.predicted)
    np.testing.assert_allclose(sweep.rates, [0, 9 / 11, 99 / 101, 999 / 1001], atol=1e-6)
    # the bound grows like (κ/2)·ln(1/tol) and never exceeds its ceiling
    assert np.all(sweep.predicted <= np.ceil(sweep.condition_numbers / 2 * math.log(1e6)))
    assert sweep.predicted[-1] / (1000 / 2 * math.log(1e6)) == pytest.approx(1, rel=1e-3)
    assert len(eig.iterations_figure(sweep).axes) == 2


@pytest.fixture(scope="module")
def network():
    return eig.network_problem()


def test_network_sharpness_is_an_eigenvalue(network):
    assert network.num_parameters == 64 * 32 + 32 + 32 * 10 + 10
    assert network.sharpness.residual < 1e-3 * network.sharpness.eigenvalue
    assert network.predicted_learning_rate == pytest.approx(2 / network.sharpness.eigenvalue)


def test_dense_hessian_check_agrees(network):
    check = eig.dense_hessian_check(network)
    assert check.power_iteration == pytest.approx(check.dense, rel=1e-4)
    assert check.num_parameters == 64 * 8 + 8 + 8 * 10 + 10


def test_learning_rate_sweep_finds_the_edge(network):
    compiled = compilation_count()
    sweep = eig.learning_rate_sweep(network, factors=(0.5, 1.0, 16.0), steps=40)
    assert list(sweep.diverged_at[:2]) == [-1, -1] and sweep.diverged_at[2] >= 0
    assert sweep.first_diverging == pytest.approx(16 * network.predicted_learning_rate)
    assert sweep.last_converging == pytest.approx(network.predicted_learning_rate)
    assert sweep.monotone()[0]
    assert np.isfinite(sweep.final_sharpness[:2]).all() and np.isnan(sweep.final_sharpness[2])
    assert compilation_count() - compiled <= 1  # one program for the whole grid
    assert sweep.initial_sharpness == network.sharpness.eigenvalue
    assert sweep.predicted == pytest.approx(network.predicted_learning_rate)
    assert len(eig.sweep_figure(sweep).axes) == 2


def test_cross_entropy_sweep_uses_nn_train(network):
    sweep = eig.cross_entropy_sweep(network, factors=(1.0, 2.0), steps=5)
    assert sweep.sharpness > 0
    assert list(sweep.diverged_at) == [-1, -1]
    assert sweep.val_accuracy.shape == (2,)
    assert math.isnan(sweep.first_diverging_factor)


def test_squared_error_loss_is_half_the_mean_squared_norm(network):
    x, targets = network.x[:4], network.targets[:4]
    zero = [{"w": 0 * layer["w"], "b": 0 * layer["b"]} for layer in network.params]
    assert float(eig.squared_error_loss(zero, x, targets)) == pytest.approx(0.5)
    assert curvature.compilation_count() >= 1


@pytest.mark.parametrize(
    ("call", "error", "argument"),
    [
        (lambda: eig.eigenbasis_run(eigenvalues=(1.0,)), ValueError, "eigenvalues"),
        (lambda: eig.eigenvalue_widget(steps=0), ValueError, "steps"),
        (lambda: eig.eigenvalue_widget(learning_rate=5.0), ValueError, "value"),
        (lambda: eig.rate_widget(tol=1.5), ValueError, "tol"),
        (lambda: eig.rate_widget(tol=0.0), ValueError, "tol"),
        (lambda: eig.rate_widget(condition_number=0.5), ValueError, "value"),
        (lambda: eig.network_problem(examples=10**6), ValueError, "examples"),
        (lambda: eig.network_problem(examples=1), ValueError, "examples"),
    ],
)
def test_bad_input_names_the_argument(call, error, argument):
    with pytest.raises(error, match=argument):
        call()


def test_a_rate_near_one_never_reads_as_one():
    from lab.ch2_eigenvalues.rate_panels import rate_text

    assert rate_text(0.5) == "0.5"
    assert rate_text(0.99999) == "1 − 1e-05"
    assert rate_text(1.00001) == "1 + 1e-05"
    assert rate_text(1.0) == "1"
