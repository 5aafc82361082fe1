"""The wrappers chapter's experiments: compositions, formulas against simulation, widgets."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

import optimizers as opt
from lab import ch6_wrappers as wrap


def test_named_combinations_are_their_one_line_compositions():
    check = wrap.composition_check()
    for name in ("ranger", "ralamb", "ranger_lars", "lamb"):
        assert check[name] == 0.0, name
    assert check["ranger_vs_radam"] > 1e-3


def test_lookahead_with_k_1_and_unit_slow_step_is_the_inner_optimizer():
    params = {"w": np.ones((3, 2), np.float32)}
    inner = wrap._run_eagerly(opt.adam(0.1), params, 5)
    wrapped = wrap._run_eagerly(opt.lookahead(opt.adam(0.1), 1, 1.0), params, 5)
    assert wrap._largest_difference(inner, wrapped) < 1e-7


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
    numbers = wrap.lookahead_variance_figure().numbers
    assert numbers["relative_error_k5"] < 0.08
    assert numbers["relative_error_k20"] < 0.08


def test_lookahead_path_syncs_every_k_steps():
    run = wrap.lookahead_path(sync_period=4.0, slow_step_size=0.5, learning_rate=0.1)
    assert run["k"] == 4
    # the held params equal the slow weights at each sync, and slow weights only move there
    np.testing.assert_allclose(run["params"][4::4], run["slow"][4::4], atol=1e-6)
    moved = np.any(np.diff(run["slow"], axis=0) != 0, axis=1)
    steps = np.flatnonzero(moved) + 1
    assert np.all(steps % 4 == 0)


def test_lookahead_widget_does_not_recompile():
    widget = wrap.lookahead_widget(frames=None)
    before = wrap._lookahead_scan._cache_size()
    for k in (2.0, 7.0, 13.0):
        widget.update(sync_period=k, slow_step_size=0.3, learning_rate=0.05)
    assert wrap._lookahead_scan._cache_size() == before


def test_large_batch_claims():
    numbers = wrap.large_batch_figure().numbers
    assert min(numbers[k][1] for k in ("sgd", "adam", "lars", "lamb")) > 0.9
    assert numbers["sgd"][-1] > 0.9 and numbers["adam"][-1] > 0.9
    assert numbers["lamb"][-1] < 0.85


def test_large_batch_widget_does_not_recompile():
    widget = wrap.large_batch_widget(frames=None)
    before = wrap._train_many._cache_size()
    widget.update(log2_batch=5.0, alpha_lamb=4e-4)
    widget.update(log2_batch=9.0, alpha_sgd=0.2)
    assert wrap._train_many._cache_size() == before


def test_trust_ratio_table():
    ratios = wrap.trust_ratios()
    names = [row[0] for row in ratios["rows"]]
    assert names == ["layer 1 w", "layer 1 b", "layer 2 w", "layer 2 b"]
    assert ratios["weight_ratio_spread"] >= 1


def test_rectifier_is_a_warmup_of_about_two_over_one_minus_b2():
    numbers = wrap.schedules_figure().numbers
    assert 0.8 < numbers["equivalent_warmup"] / numbers["warmup_length"] < 1.25
    assert numbers["step_value_500"] == pytest.approx(0.1)


def test_bad_input_raises():
    with pytest.raises(ValueError, match="name"):
        wrap.large_batch_runs("adagrad")
    with pytest.raises(ValueError, match="base_learning_rate"):
        wrap.large_batch_runs("sgd", -1.0)
    with pytest.raises(ValueError, match="batch_sizes"):
        wrap.large_batch_runs("sgd", 0.1, (4096,))
    with pytest.raises(ValueError, match="learning_rate"):
        wrap.lookahead_variance_figure(learning_rate=0.0)
    with pytest.raises(ValueError, match="steps"):
        wrap.composition_check(0)


def test_square_root_scaling_rescues_lamb_at_the_largest_batch():
    # the claim of the exercise on square-root scaling
    largest = wrap.BATCH_SIZES[-1]
    alpha0 = wrap.BASE_LEARNING_RATES["lamb"] * np.sqrt(wrap.BASE_BATCH / largest)
    assert wrap.large_batch_runs("lamb", alpha0).accuracy[-1] > 0.9


def test_warmup_of_one_step_is_no_warmup_and_warmup_changes_the_run():
    no_warmup = wrap.warmup_runs((0.01,), warmup=1.0)[(0.01, 1.0)][0]
    alpha0 = 0.01 * wrap.BASE_BATCH / wrap.WARMUP_BATCH
    constant = wrap.large_batch_runs("adam", alpha0, (wrap.WARMUP_BATCH,)).losses[0]
    np.testing.assert_array_equal(no_warmup, constant)
    runs = wrap.warmup_runs((0.1,), warmup=50.0)
    assert not np.allclose(runs[(0.1, 1.0)][0], runs[(0.1, 50.0)][0])
    with pytest.raises(ValueError, match="warmup"):
        wrap.warmup_runs((0.1,), warmup=0.0)
