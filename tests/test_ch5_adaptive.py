"""Chapter 5, adaptive methods (lab.ch5_adaptive): formulas against the package, claims, widgets."""

import math
import warnings

import matplotlib

matplotlib.use("Agg")

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import optimizers as opt
from lab import ch5_adaptive as ada
from lab import nn, plot, problems, registry, static_explorer
from lab.trajectory import compilation_count

RNG = np.random.default_rng(7)


# --------------------------------------------------------------------------
# The shared landscapes and the runners
# --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ada.LANDSCAPES)
def test_the_landscape_loss_is_the_original_problem(name):
    original = {
        "Rosenbrock": problems.rosenbrock(),
        "Beale": problems.beale(),
        "saddle": problems.saddle(),
        "ill-conditioned paraboloid": problems.ill_conditioned_paraboloid(),
    }[name]
    shared = ada.landscape(name)
    assert shared is ada.landscape(name)  # cached: contours are computed once
    assert shared.bounds == original.bounds and shared.min_value == original.min_value
    for theta in RNG.uniform(-1.5, 1.5, size=(5, 2)):
        assert float(shared.loss(theta)) == pytest.approx(float(original.loss(theta)), rel=1e-6)
        np.testing.assert_allclose(shared.grad(theta), original.grad(theta), rtol=1e-5)


def test_one_compilation_per_method_serves_all_four_landscapes():
    ada.run_on_landscape("adam", "Beale")
    compiled = compilation_count()
    for where in ada.LANDSCAPES:
        for alpha in (0.01, 0.1, 0.3):
            ada.run_on_landscape("adam", where, alpha)
    assert compilation_count() == compiled


def test_lockstep_paths_match_separate_runs():
    problem = ada.landscape("ill-conditioned paraboloid")
    together = ada.lockstep_paths((opt.adam, opt.rmsprop), problem, learning_rate=0.05)
    for path, factory in zip(together, (opt.adam, opt.rmsprop), strict=True):
        alone = problem.run(factory, ada.STEPS, learning_rate=0.05)
        np.testing.assert_allclose(path, np.asarray(alone.params), rtol=1e-5, atol=1e-6)


def test_record_states_follows_the_trajectory_and_counts_steps():
    problem = ada.landscape("Beale")
    history = ada.record_states(opt.adam, problem, 50, learning_rate=0.05)
    run = problem.run(opt.adam, 50, learning_rate=0.05)
    np.testing.assert_allclose(history.params, np.asarray(run.params), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(history.states[0].count, np.arange(1, 51))


def test_minibatches_are_seeded_and_in_range():
    a, b = ada.minibatches(100, 20, 5, seed=3), ada.minibatches(100, 20, 5, seed=3)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (20, 5) and a.min() >= 0 and a.max() < 100


def test_largest_stable_learning_rate_on_the_paraboloid_is_two_over_lambda_max():
    limit = ada.largest_stable_learning_rate("sgd", "ill-conditioned paraboloid")
    assert 0.5 <= limit < 0.52  # 2/λ_max = 0.5; just above it the growth is slow
    assert ada.run_on_landscape("sgd", "ill-conditioned paraboloid", 0.6).diverged_at is not None


def test_landscape_comparison_keeps_the_order_asked_for_and_marks_divergence():
    result = ada.landscape_comparison(["adam", ("radam", 0.1), "radam"])
    assert result.names == ("adam", "radam", "radam")
    assert result.labels == ("Adam (α = 0.1)", "RAdam (α = 0.1)", "RAdam (α = 0.01)")
    assert result.learning_rates == (0.1, 0.1, 0.01)
    fast = result.gaps[1]
    assert fast["Rosenbrock"] == math.inf and result.runs[1]["Rosenbrock"].diverged_at is not None
    assert all(set(gaps) == set(ada.LANDSCAPES) for gaps in result.gaps)
    run = result.runs[0]["Beale"]
    beale_gap = float(run.losses[-1]) - float(problems.beale().min_value)
    assert run.diverged_at is None and result.gaps[0]["Beale"] == pytest.approx(beale_gap)
    assert len(ada.landscape_figure(result).axes) == 4


# --------------------------------------------------------------------------
# Adagrad and RMSprop
# --------------------------------------------------------------------------


def test_sparse_regression_has_a_rare_feature_and_its_least_squares_minimum():
    problem = ada.sparse_regression(n=400, frequency=0.05, seed=1)
    X, y = (np.asarray(a, np.float64) for a in problem.args)
    assert set(np.unique(X[:, 1])) == {0.0, 1.0}
    assert 0.02 < X[:, 1].mean() < 0.09
    theta = np.asarray(problem.minima[0], np.float64)
    np.testing.assert_allclose(X.T @ (X @ theta - y), 0.0, atol=1e-3)  # normal equations


def test_adagrad_gives_the_rare_feature_a_larger_rate_and_gets_there_first():
    runs = ada.sparse_feature_runs()
    assert runs.rate_ratio > 3
    assert runs.adagrad_error_rare < 0.2 * runs.sgd_error_rare
    assert runs.sgd_params.shape == runs.adagrad_params.shape == (runs.steps + 1, 2)
    assert runs.adagrad_rates.shape == (runs.steps, 2)
    assert len(ada.sparse_feature_figure(runs).axes) == 3


def test_adagrad_rate_decays_like_one_over_root_t_and_rmsprop_does_not():
    rates = ada.effective_rates()
    assert rates.adagrad_slope == pytest.approx(-0.5, abs=0.05)
    assert rates.rmsprop_common > 10 * rates.adagrad_common
    assert rates.adam_common > 10 * rates.adagrad_common
    assert rates.adagrad_common == rates.rates["Adagrad"][-1, 0]
    assert len(ada.effective_learning_rate_figure(rates).axes) == 2


@pytest.mark.parametrize("gradient, decay", [(0.5, 0.9), (-3.0, 0.99), (0.05, 0.5)])
def test_rmsprop_divides_by_the_freshly_updated_average(gradient, decay):
    first = ada.rmsprop_first_step(gradient, decay)
    assert first.package == pytest.approx(first.formula, rel=1e-5)
    assert first.package == pytest.approx(first.approximation, rel=1e-3)


def test_adadelta_first_step_is_set_by_eps():
    for eps in (1e-8, 1e-6, 1e-4):
        first = ada.adadelta_first_step(gradient=2.0, eps=eps)
        assert first.package == pytest.approx(first.formula, rel=1e-5)
        assert abs(first.package) == pytest.approx(math.sqrt(eps / 0.1), rel=1e-2)
    runs = ada.adadelta_eps_runs()
    assert runs.first_steps[1e-4] / runs.first_steps[1e-8] == pytest.approx(100, rel=1e-2)
    assert runs.step_lengths[1e-6].shape == (ada.STEPS,)
    assert len(ada.adadelta_figure(runs).axes) == 2


# --------------------------------------------------------------------------
# Adam and its bias correction
# --------------------------------------------------------------------------


@pytest.mark.parametrize("steps", [1, 5, 40])
def test_moments_of_a_constant_gradient_are_one_minus_beta_to_the_t(steps):
    check = ada.moment_check(gradient=-1.3, steps=steps)
    assert check.m == pytest.approx(check.m_formula, rel=1e-5)
    assert check.s == pytest.approx(check.s_formula, rel=1e-4)
    assert check.count == steps


def test_uncorrected_adam_is_corrected_adam_times_the_factor():
    grads = np.full((30, 2), [0.4, -2.0])
    corrected, _ = ada.replay(opt.adam(1.0, eps=1e-12), grads)
    uncorrected, _ = ada.replay(registry.adam_without_bias_correction(1.0, eps=1e-12), grads)
    factor = ada.bias_correction_factor(np.arange(1, 31))
    np.testing.assert_allclose(uncorrected, corrected * factor[:, None], rtol=1e-4)
    assert factor[0] == pytest.approx(0.1 / math.sqrt(0.001))


def test_uncorrected_adam_with_beta1_zero_is_rmsprop_with_eps_outside():
    grads = RNG.normal(size=(25, 3))
    a, _ = ada.replay(registry.adam_without_bias_correction(0.1, b1=0.0, b2=0.9), grads)
    b, _ = ada.replay(opt.rmsprop(0.1, decay=0.9, eps_in_sqrt=False), grads)
    np.testing.assert_allclose(a, b, rtol=1e-6)


def test_bias_correction_factor_tiny_or_large_depending_on_beta2():
    assert ada.bias_correction_factor(1, 0.9, 0.9) < 0.35
    assert ada.bias_correction_factor(1, 0.9, 0.99) == pytest.approx(1.0)
    t = np.arange(1, 301)
    assert ada.bias_correction_factor(t, 0.9, 0.9999).max() > 20


def test_adamax_nadam_and_radam_match_their_formulas():
    assert ada.adamax_check().relative_difference < 1e-5
    assert ada.nadam_check().relative_difference < 1e-4
    check = ada.radam_check()
    assert check.switch == 6
    assert check.before < 1e-5 and check.after < 0.03


# --------------------------------------------------------------------------
# AMSGrad's counterexample
# --------------------------------------------------------------------------


@pytest.mark.parametrize("x0", [-1.0, 0.0, 1.0])
def test_adam_ends_at_the_worst_point_from_any_start(x0):
    assert ada.online_run(opt.adam, x0=x0).x[-1] == 1.0
    assert ada.online_run(registry.adam_without_bias_correction, x0=x0).x[-1] == 1.0  # the paper's
    assert ada.online_run(opt.amsgrad, x0=x0).x[-1] < -0.99


def test_online_regret_is_computed_against_the_best_fixed_point():
    run = ada.online_run(opt.adam, C=3.0, steps=300)
    g = np.where(np.arange(1, 301) % 3 == 1, 3.0, -1.0)
    np.testing.assert_array_equal(run.gradients, g)
    expected = (np.sum(g * run.x[:-1]) + abs(np.sum(g))) / 300
    assert run.average_regret[-1] == pytest.approx(expected)
    counter = ada.amsgrad_counterexample()
    assert counter.adam_regret == pytest.approx(2 / 3, abs=0.02)
    assert counter.amsgrad_regret < 0.02
    assert counter.adam_final_x == counter.adam.x[-1]
    assert len(ada.amsgrad_counterexample_figure(counter).axes) == 2


# --------------------------------------------------------------------------
# Weight decay
# --------------------------------------------------------------------------


def test_l2_and_decoupled_decay_agree_for_sgd_and_differ_for_adam():
    identity = ada.weight_decay_identity()
    assert identity.sgd < 1e-6
    assert identity.adam > 0.1


def test_the_switchable_weight_decay_is_exactly_adam_l2_or_adamw():
    problem = ada.landscape("Rosenbrock")
    hyper = {"learning_rate": 0.02, "weight_decay": 0.3}
    l2, w, switch_l2, switch_w = ada.lockstep_paths(
        (registry.adam_l2, opt.adamw, lambda **h: registry.adam_weight_decay(**h, decoupled=0.0),
         lambda **h: registry.adam_weight_decay(**h, decoupled=1.0)),
        problem, **hyper,
    )  # fmt: skip
    np.testing.assert_array_equal(switch_l2, l2)
    np.testing.assert_array_equal(switch_w, w)


def test_adamw_shrinks_blank_pixels_by_exactly_one_minus_alpha_lambda_per_step():
    decay = ada.weight_decay_digits()
    assert decay.no_decay_blank_change == 0.0
    assert decay.adamw_blank == pytest.approx(decay.predicted_adamw_blank, rel=1e-5)
    assert decay.adam_l2_blank < 1e-3
    assert decay.adam_l2_other < 0.6 < 0.95 < decay.adamw_other
    assert len(ada.weight_decay_digits_figure(decay).axes) == 1


def test_init_mlp_numpy_has_the_package_structure():
    params = nn.init_mlp_numpy((64, 32, 10))
    reference = nn.init_mlp(jax.random.PRNGKey(0), (64, 32, 10))
    assert jax.tree_util.tree_structure(params) == jax.tree_util.tree_structure(reference)
    assert np.std(np.asarray(params[0]["w"])) == pytest.approx(1 / 8, rel=0.05)


# --------------------------------------------------------------------------
# RAdam and AdaBound
# --------------------------------------------------------------------------


@pytest.mark.parametrize("b2", [0.9, 0.99, 0.999, 0.9999])
def test_rho_starts_at_one_and_switch_steps_hardly_depend_on_beta2(b2):
    assert ada.radam_rho(1, b2) == pytest.approx(1.0)
    assert ada.radam_switch_step(b2, 4.0, strict=True) == 5
    assert ada.radam_switch_step(b2, 5.0, strict=False) == 6
    rho = ada.radam_rho(np.arange(1, 8), b2)
    np.testing.assert_allclose(
        rho, np.arange(1, 8) - (1 - b2) * np.arange(1, 8) ** 2 / 6, atol=0.02
    )


def test_rectifier_is_nan_until_rho_exceeds_four_and_tends_to_one():
    r = ada.radam_rectifier(np.array([1, 4, 5, 10**6]))
    assert np.isnan(r[:2]).all() and 0 < r[2] < 0.05 and r[3] == pytest.approx(1.0, abs=1e-3)


def test_rectified_variance_stays_below_its_limit():
    radam = ada.radam_rectification()
    assert (radam.paper_step, radam.code_step) == (5, 6)
    assert radam.variance_1 > 1e3
    assert radam.rectified_max < 1.1 * radam.variance_limit
    assert len(ada.radam_figure(radam).axes) == 3


def test_adabound_bounds_close_on_final_lr():
    lower, upper = ada.adabound_bounds(np.array([1.0, 1e3, 1e6]), final_lr=0.1, gamma=1e-3)
    assert np.all(lower < 0.1) and np.all(upper > 0.1)
    assert lower[-1] == pytest.approx(0.1, rel=1e-3) and upper[-1] == pytest.approx(0.1, rel=1e-3)
    bound = ada.adabound_run()
    assert bound.update_difference < 1e-4
    assert bound.within_10_percent == 10_000
    assert bound.raw.shape == bound.clipped.shape == (bound.steps, 2)
    assert len(ada.adabound_figure(bound).axes) == 2


def test_loss_scaling_leaves_adam_unchanged_but_not_sgd():
    check = ada.loss_scaling_check(100.0)
    assert check.adam < 1e-5 and check.sgd > 1


# --------------------------------------------------------------------------
# Widgets: the figure at the defaults, no recompilation, honest divergence
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bias():
    return ada.bias_correction_widget(frames=None)


def test_bias_widget_shows_its_figure_and_the_factor(bias):
    (shown,) = bias.output.outputs
    assert shown["data"]["image/png"] == plot.png_base64(bias.figure)
    assert isinstance(bias.panels, plot.Panels) and bias.panels.figure is bias.figure
    _, y = bias.panels.factor_line.get_data()
    assert y[0] == pytest.approx(0.1 / math.sqrt(0.001))
    assert "3.16" in bias.panels.note.get_text()


def test_bias_widget_moves_never_recompile(bias):
    bias.update(b1=0.5)
    compiled = compilation_count()
    for values in (
        {"b1": 0.0},
        {"one_minus_b2": 0.1},
        {"one_minus_b2": 1e-4},
        {"learning_rate": 0.5},
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            bias.update(**values)
    assert compilation_count() == compiled
    bias.update(b1=0.9, one_minus_b2=1e-3, learning_rate=0.1)


def test_bias_widget_static_explorer_varies_one_minus_beta2(monkeypatch):
    monkeypatch.setenv(static_explorer.SITE_VARIABLE, "1")  # outputs for the site
    widget = ada.bias_correction_widget(frames=3)
    html = widget._repr_mimebundle_()["text/html"]
    assert html.count("<img") == 3 and "1 − β₂" in html


@pytest.fixture(scope="module")
def comparison():
    return ada.comparison_widget(frames=None)


def test_comparison_widget_draws_the_default_subset(comparison):
    (shown,) = comparison.output.outputs
    assert shown["data"]["image/png"] == plot.png_base64(comparison.figure)
    where, runs, methods = comparison.result
    assert where == "Rosenbrock" and len(runs) == 4
    assert methods == ("sgd", "adagrad", "rmsprop", "adam")
    assert isinstance(comparison.panels, plot.Panels)
    assert list(comparison.panels.artists) == list(runs)
    hidden = [n for n in ada.COMPARED if comparison.controls[f"alpha_{n}"].layout.display == "none"]
    assert set(hidden) == set(ada.COMPARED) - {"sgd", "adagrad", "rmsprop", "adam"}


def test_a_learning_rate_move_never_recompiles(comparison):
    compiled = compilation_count()
    for name in ("sgd", "adagrad", "rmsprop", "adam"):
        comparison.update(**{f"alpha_{name}": 0.003})
    comparison.update(alpha_adam=0.1, alpha_sgd=1e-3, alpha_adagrad=0.5, alpha_rmsprop=0.03)
    assert compilation_count() == compiled


def test_a_learning_rate_move_moves_and_relabels_the_same_lines(comparison):
    panels = comparison.panels
    curves, legend = [a.curve for a in panels.artists.values()], panels.losses.get_legend()
    comparison.update(alpha_adam=0.01)
    assert [a.curve for a in panels.artists.values()] == curves
    assert panels.losses.get_legend() is legend
    assert "Adam (α = 0.01)" in [t.get_text() for t in legend.get_texts()]
    assert list(panels.artists) == list(comparison.result.runs)
    comparison.update(alpha_adam=0.1)


def test_landscapes_are_data_and_new_subsets_compile_once(comparison):
    compiled = compilation_count()
    for where in ada.LANDSCAPES:
        comparison.update(where=where)
        assert comparison.panels.plane.get_title() == where
    assert compilation_count() == compiled  # switching landscapes compiles nothing
    comparison.update(methods=("adam", "nadam", "adamw"))
    after_first_visit = compilation_count()
    for where in ada.LANDSCAPES:
        comparison.update(where=where, methods=("adamw", "nadam"))
        comparison.update(methods=("adam", "nadam", "adamw"))
    assert compilation_count() == after_first_visit
    assert len(comparison.result[1]) == 3
    comparison.update(methods=("sgd", "adagrad", "rmsprop", "adam"), where="Rosenbrock")


def test_divergence_is_a_message_not_a_warning(comparison):
    comparison.update(methods=("adam", "radam"), where="Rosenbrock")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        comparison.update(alpha_radam=0.1)
    runs = comparison.result[1]
    label = next(label for label in runs if label.startswith("RAdam"))
    assert runs[label].diverged_at is not None
    message = comparison.panels.artists[label].message.get_text()
    assert "diverged at step" in message
    comparison.update(methods=("sgd", "adagrad", "rmsprop", "adam"), alpha_radam=0.01)


# --------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, error, word",
    [
        (lambda: ada.bias_correction_factor(0), ValueError, "t"),
        (lambda: ada.bias_correction_factor(1, b1=1.0), ValueError, "b1"),
        (lambda: ada.bias_correction_factor(1, b2="x"), TypeError, "b2"),
        (lambda: ada.radam_rho(0), ValueError, "t"),
        (lambda: ada.radam_switch_step(0.999, threshold=5000.0), ValueError, "threshold"),
        (lambda: ada.loss_scaling_check(factor=0.0), ValueError, "factor"),
        (lambda: ada.online_run(opt.adam, C=1.5), ValueError, "C"),
        (lambda: ada.online_run(opt.adam, steps=0), ValueError, "steps"),
        (lambda: ada.online_run(opt.adam, b2=1.0), ValueError, "b2"),
        (lambda: ada.comparison_widget(methods=("lbfgs",), frames=None), ValueError, "methods"),
        (lambda: ada.comparison_widget(where="Himmelblau", frames=None), ValueError, "where"),
        (lambda: registry.scale_by_adam_without_bias_correction(b1=-0.1), ValueError, "b1"),
    ],
)
def test_bad_input_names_the_argument(call, error, word):
    with pytest.raises(error, match=word):
        call()


def test_landscape_values_are_traced_not_static():
    """The landscape index is an int32 array: a new landscape is new data, not a new program."""
    index, Q = ada.landscape("saddle").args
    assert isinstance(index, jax.Array) and index.dtype == jnp.int32
    assert Q.shape == (2, 2)


def test_stability_edge_brackets_the_first_divergence():
    edge = ada.stability_edge("radam", "Rosenbrock")
    assert edge.monotone and edge.stable < edge.diverges
    assert ada.run_on_landscape("radam", "Rosenbrock", edge.stable).diverged_at is None
    assert ada.run_on_landscape("radam", "Rosenbrock", edge.diverges).diverged_at == edge.step
    with pytest.raises(ValueError, match="grid"):
        ada.stability_edge("radam", "Rosenbrock", [1.0, 2.0])  # diverges from the start
