"""Chapter 6, wrapper methods (lab.ch6_wrappers): compositions, formulas against simulation, widgets."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.figure import Figure

import optimizers as opt
from lab import ch6_wrappers as wrap
from lab.ch6_wrappers import composition, digits_runs, slow_weights


def test_named_combinations_are_their_one_line_compositions():
    check = wrap.composition_check()
    for name in ("ranger", "ralamb", "ranger_lars", "lamb"):
        assert getattr(check, name) == 0.0, name
    assert check.ranger_vs_radam > 1e-3
    assert check.steps == 8


def test_lookahead_with_k_1_and_unit_slow_step_is_the_inner_optimizer():
    params = {"w": np.ones((3, 2), np.float32)}
    inner = composition.run_eagerly(opt.adam(0.1), params, 5)
    wrapped = composition.run_eagerly(opt.lookahead(opt.adam(0.1), 1, 1.0), params, 5)
    assert composition.largest_difference(inner, wrapped) < 1e-7


@pytest.mark.parametrize("k", [1, 3, 20])
def test_variance_ratio_formula(k):
    # α_s = 1 is plain SGD; the ratio is below 1 for α_s < 1 and tends to α_s/(2 − α_s)
    assert wrap.lookahead_variance_ratio(1.0, k, 0.2, 1.0) == pytest.approx(1.0)
    assert wrap.lookahead_variance_ratio(0.5, k, 0.2, 1.0) < 1.0
    assert wrap.lookahead_variance_ratio(0.5, 500, 0.2, 1.0) == pytest.approx(1 / 3, rel=1e-6)


def test_variance_ratio_against_a_direct_ar1_computation():
    a, k, alpha_s, alpha = 0.8, 5, 0.3, 0.2
    v_sgd = alpha**2 / (1 - a**2)
    noise = v_sgd * (1 - a ** (2 * k))
    c = 1 - alpha_s * (1 - a**k)
    direct = alpha_s**2 * noise / (1 - c**2) / v_sgd
    assert wrap.lookahead_variance_ratio(alpha_s, k, alpha, 1.0) == pytest.approx(direct)


def test_measured_lookahead_variance_matches_the_prediction():
    variance = wrap.lookahead_variance()
    assert variance.k5.relative_error < 0.08
    assert variance.k20.relative_error < 0.08
    assert (variance.k5.sync_period, variance.k20.sync_period) == (5, 20)
    assert isinstance(wrap.lookahead_variance_figure(variance), Figure)


def test_lookahead_path_syncs_every_k_steps():
    run = wrap.lookahead_path(sync_period=4.0, slow_step_size=0.5, learning_rate=0.1)
    assert run.sync_period == 4
    # the held params equal the slow weights at each sync, and slow weights only move there
    np.testing.assert_allclose(run.params[4::4], run.slow[4::4], atol=1e-6)
    moved = np.any(np.diff(run.slow, axis=0) != 0, axis=1)
    steps = np.flatnonzero(moved) + 1
    assert np.all(steps % 4 == 0)


def test_lookahead_widget_does_not_recompile():
    widget = wrap.lookahead_widget(frames=None)
    assert isinstance(widget.panels, slow_weights.LookaheadPanels)
    before = slow_weights.lookahead_scan._cache_size()
    for k in (2.0, 7.0, 13.0):
        widget.update(sync_period=k, slow_step_size=0.3, learning_rate=0.05)
    assert slow_weights.lookahead_scan._cache_size() == before
    assert isinstance(widget.result, wrap.LookaheadAgainstSGD)
    assert widget.result.lookahead.sync_period == 13


def test_large_batch_claims():
    runs = wrap.large_batch_comparison()
    assert [run.name for run in runs] == ["sgd", "adam", "lars", "lamb"]
    assert min(run.accuracy[1] for run in runs) > 0.9
    assert runs.sgd.accuracy[-1] > 0.9 and runs.adam.accuracy[-1] > 0.9
    assert runs.lamb.accuracy[-1] < 0.85
    assert isinstance(wrap.large_batch_figure(runs), Figure)


def test_large_batch_widget_does_not_recompile():
    widget = wrap.large_batch_widget(frames=None)
    before = digits_runs.train._cache_size()
    widget.update(log2_batch=5.0, alpha_lamb=4e-4)
    widget.update(log2_batch=9.0, alpha_sgd=0.2)
    assert digits_runs.train._cache_size() == before
    assert widget.result.batch_size == 512
    assert [curve.name for curve in widget.result.curves] == ["sgd", "adam", "lars", "lamb"]


def test_large_batch_widget_runs_only_what_moved():
    wrap.large_batch_comparison()  # the chapter's figure, before the widget
    misses = digits_runs._remembered_run.cache_info().misses
    widget = wrap.large_batch_widget(frames=None)
    assert digits_runs._remembered_run.cache_info().misses == misses  # the figure's runs at B = 512
    widget.update(alpha_adam=3.3e-3)  # one optimizer's α₀ at one B: one new run
    assert digits_runs._remembered_run.cache_info().misses == misses + 1
    widget.update(log2_batch=3.0)  # the other three are the figure's runs, remembered
    assert digits_runs._remembered_run.cache_info().misses == misses + 2
    widget.update(log2_batch=9.0)
    assert digits_runs._remembered_run.cache_info().misses == misses + 2
    at_512 = wrap.large_batch_runs("adam", 3.3e-3, (512,))
    adam = widget.result.curves[1]
    np.testing.assert_array_equal(adam.losses, at_512.losses[0])
    assert adam.learning_rate == float(at_512.learning_rates[0])


def test_trust_ratio_table():
    ratios = wrap.trust_ratios()
    names = [row.name for row in ratios.rows]
    assert names == ["layer 1 w", "layer 1 b", "layer 2 w", "layer 2 b"]
    assert ratios.weight_ratio_spread >= 1


def test_rectifier_is_a_warmup_of_about_two_over_one_minus_b2():
    schedules = wrap.schedules_and_rectifier()
    assert 0.8 < schedules.equivalent_warmup / schedules.warmup_length < 1.25
    assert schedules.step_value_500 == pytest.approx(0.1)
    assert schedules.values.shape == (len(schedules.labels), 1000)
    assert isinstance(wrap.schedules_figure(schedules), Figure)


def test_bad_input_raises():
    # large_batch_runs is what exercise wrap-exercise-sqrt invites the reader to call
    with pytest.raises(ValueError, match="name"):
        wrap.large_batch_runs("adagrad")
    with pytest.raises(ValueError, match="base_learning_rate"):
        wrap.large_batch_runs("sgd", -1.0)
    with pytest.raises(ValueError, match="batch_sizes"):
        wrap.large_batch_runs("sgd", 0.1, (4096,))


def test_square_root_scaling_rescues_lamb_at_the_largest_batch():
    # the claim of the exercise on square-root scaling
    largest = wrap.BATCH_SIZES[-1]
    alpha0 = wrap.BASE_LEARNING_RATES["lamb"] * np.sqrt(wrap.BASE_BATCH / largest)
    assert wrap.large_batch_runs("lamb", alpha0).accuracy[-1] > 0.9


def test_warmup_of_one_step_is_no_warmup_and_warmup_changes_the_run():
    no_warmup = wrap.warmup_runs((0.01,), warmup=1.0).losses_warmup[0]
    alpha0 = 0.01 * wrap.BASE_BATCH / wrap.WARMUP_BATCH
    constant = wrap.large_batch_runs("adam", alpha0, (wrap.WARMUP_BATCH,)).losses[0]
    np.testing.assert_array_equal(no_warmup, constant)
    runs = wrap.warmup_runs((0.1,), warmup=50.0, orders=2)
    assert not np.allclose(runs.losses_none[0], runs.losses_warmup[0])
    assert runs.accuracy_none.shape == runs.accuracy_warmup.shape == (1, 2)
    gain = runs.accuracy_warmup[0] - runs.accuracy_none[0]
    assert runs.mean_gain[0] == pytest.approx(gain.mean())
    assert isinstance(wrap.warmup_figure(runs), Figure)


def test_data_orders_differ_and_order_zero_is_the_default():
    assert not np.allclose(
        digits_runs.run("adam", 0.01, 32, order=1).losses,
        digits_runs.run("adam", 0.01, 32).losses,
    )
    np.testing.assert_array_equal(
        digits_runs.run("adam", 0.01, 32, order=0).losses,
        wrap.large_batch_runs("adam", 0.01 * wrap.BASE_BATCH / 32, (32,)).losses[0],
    )


def test_the_lookahead_loss_panel_starts_below_its_top():
    from lab.ch6_wrappers import slow_weights

    start = np.array([[2.0, 1.5]])
    assert slow_weights._quadratic_loss(start)[0] < slow_weights._LOSS_TOP


def test_the_large_batch_widget_names_the_runs_that_diverge():
    widget = wrap.large_batch_widget(frames=None)
    assert widget.panels.message.get_text() == "diverged: LAMB"  # at B = 512, as the text says
    widget.update(log2_batch=3.0)
    assert widget.panels.message.get_text() == ""  # at the base batch every run trains
    widget.update(log2_batch=9.0, alpha_lars=10 ** widget.controls["alpha_lars"].max)
    assert "LARS" in widget.panels.message.get_text()
