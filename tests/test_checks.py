"""The students' self-checks: right answers pass, and each kind of wrong answer is named."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import optimizers as opt
from coursework import checks
from optimizers.base import GradientTransformation

tree_map = jax.tree_util.tree_map


def hand_written_adam(bias_correction=True, eps_inside=False, sign=-1.0, offset=0):
    """Adam written out leaf by leaf, with one of the classic mistakes switched on."""

    def make(learning_rate, b1, b2, eps):
        def init(params):
            return 0, tree_map(jnp.zeros_like, params), tree_map(jnp.zeros_like, params)

        def update(grads, state, params=None):
            t, m, s = state
            t += 1
            m = tree_map(lambda m, g: b1 * m + (1 - b1) * g, m, grads)
            s = tree_map(lambda s, g: b2 * s + (1 - b2) * g**2, s, grads)

            def step(m, s):
                if bias_correction:
                    m, s = m / (1 - b1 ** (t + offset)), s / (1 - b2 ** (t + offset))
                root = jnp.sqrt(s + eps) if eps_inside else jnp.sqrt(s) + eps
                return sign * learning_rate * m / root

            return tree_map(step, m, s), (t, m, s)

        return GradientTransformation(init, update)

    return make


def test_a_correct_adam_passes_every_case():
    report = checks.check_adam(hand_written_adam())
    assert report.ok and report.score == 1.0
    assert report.total == 6  # 3 pytrees × 2 settings
    assert "agree" in report.feedback


@pytest.mark.parametrize(
    ("student", "named"),
    [
        (hand_written_adam(bias_correction=False), "without bias correction"),
        (hand_written_adam(eps_inside=True), "ε inside the square root"),
        (hand_written_adam(sign=1.0), "sign flipped"),
        (hand_written_adam(offset=1), "off by one"),
    ],
)
def test_adam_mistakes_are_recognised(student, named):
    report = checks.check_adam(student)
    assert not report.ok
    assert "Likely cause" in report.feedback and named in report.feedback
    assert "First difference" in report.feedback and "expected" in report.feedback


def test_the_first_difference_names_step_leaf_and_index():
    def adam_wrong_on_bias_leaf(learning_rate, b1, b2, eps):
        right = opt.adam(learning_rate, b1, b2, eps)

        def update(grads, state, params=None):
            updates, state = right.update(grads, state, params)
            if isinstance(updates, dict):
                updates = {**updates, "s": updates["s"] * 2}
            return updates, state

        return GradientTransformation(right.init, update)

    report = checks.check_adam(adam_wrong_on_bias_leaf)
    assert report.passed == 4 and report.total == 6  # only the dict cases fail
    assert "leaf `['s']`" in report.feedback and "step t = 1" in report.feedback
    assert "index ()" in report.feedback


def test_a_state_that_is_not_carried_over_is_suspected():
    def forgetful(learning_rate, momentum):
        inner = opt.sgd(learning_rate, momentum=momentum)

        def update(grads, state, params=None):
            updates, _ = inner.update(grads, state, params)
            return updates, state  # returns the old state

        return GradientTransformation(inner.init, update)

    report = checks.check_heavy_ball(forgetful)
    assert report.score == 0.0
    assert "step 2 does not" in report.feedback and "new* state" in report.feedback


def test_a_constant_factor_is_reported():
    report = checks.check_gradient_descent(lambda learning_rate: opt.sgd(learning_rate / 2))
    assert "times 0.5" in report.feedback


@pytest.mark.parametrize(
    ("check", "student", "named"),
    [
        (
            checks.check_heavy_ball,
            lambda learning_rate, momentum: opt.sgd(learning_rate, momentum, nesterov=True),
            "Nesterov momentum",
        ),
        (
            checks.check_nesterov,
            lambda learning_rate, momentum: opt.sgd(learning_rate, momentum),
            "heavy ball momentum",
        ),
        (
            checks.check_gradient_descent,
            lambda learning_rate: opt.sgd(1.0),
            "without the learning rate",
        ),
        (
            checks.check_gradient_descent,
            lambda learning_rate: opt.chain(opt.sgd(learning_rate), opt.scale(-1.0)),
            "ascent",
        ),
    ],
)
def test_momentum_and_gd_mistakes_are_recognised(check, student, named):
    report = check(student)
    assert not report.ok and named in report.feedback


def test_dampened_momentum_is_recognised():
    def dampened(learning_rate, momentum):
        return opt.chain(
            opt.trace(momentum), opt.scale(1 - momentum), opt.scale_by_learning_rate(learning_rate)
        )

    report = checks.check_heavy_ball(dampened)
    assert "exponential moving average" in report.feedback


def test_dampened_nesterov_is_recognised():
    """torch's dampening=β with Nesterov: v_t = β v + (1 − β) g, step −α (g_t + β v_t)."""

    def dampened(learning_rate, momentum):
        def update(grads, velocity, params=None):
            velocity = jax.tree_util.tree_map(
                lambda v, g: momentum * v + (1 - momentum) * g, velocity, grads
            )
            updates = jax.tree_util.tree_map(
                lambda g, v: -learning_rate * (g + momentum * v), grads, velocity
            )
            return updates, velocity

        return opt.GradientTransformation(
            lambda params: jax.tree_util.tree_map(jnp.zeros_like, params), update
        )

    report = checks.check_nesterov(dampened)
    assert not report.ok and "exponential moving average" in report.feedback


def test_correct_wrappers_pass():
    assert checks.check_lookahead(opt.lookahead).ok
    assert checks.check_trust_ratio(opt.scale_by_trust_ratio).ok
    assert checks.check_lamb(
        lambda learning_rate, weight_decay: opt.lamb(learning_rate, weight_decay=weight_decay)
    ).ok


def test_lookahead_without_the_reset_is_recognised():
    def no_reset(inner, sync_period, slow_step_size):
        def init(params):
            return inner.init(params), params, 0

        def update(grads, state, params):
            inner_state, slow, count = state
            updates, inner_state = inner.update(grads, inner_state, params)
            count += 1
            if count % sync_period == 0:
                fast = opt.apply_updates(params, updates)
                slow = tree_map(lambda s, f: s + slow_step_size * (f - s), slow, fast)
            return updates, (inner_state, slow, count)

        return GradientTransformation(init, update)

    report = checks.check_lookahead(no_reset)
    assert report.score == 0.0
    assert "never resets the fast weights" in report.feedback


def test_a_global_trust_ratio_is_recognised():
    def global_ratio():
        def update(updates, state, params):
            p = opt.tree.global_norm(params)
            u = opt.tree.global_norm(updates)
            return tree_map(lambda x: x * p / u, updates), state

        return GradientTransformation(lambda params: (), update)

    report = checks.check_trust_ratio(global_ratio)
    assert "layer-wise" in report.feedback


def test_unimplemented_and_malformed_answers_are_reported_not_raised():
    def stub(learning_rate, b1, b2, eps):
        raise NotImplementedError("write adam")

    report = checks.check_adam(stub)
    assert report.score == 0.0 and "not written yet" in report.feedback

    def wrong_return(learning_rate):
        return GradientTransformation(lambda p: (), lambda g, s, p=None: g)

    assert "(updates, new_state)" in checks.check_gradient_descent(wrong_return).feedback

    def wrong_structure(learning_rate):
        return GradientTransformation(lambda p: (), lambda g, s, p=None: ([0.0], s))

    assert "structure of the gradients" in checks.check_gradient_descent(wrong_structure).feedback
    assert "not int" in checks.check_adam(3).feedback


def loss_rate(lam):
    kappa = lam.max() / lam.min()
    return ((kappa - 1) / (kappa + 1)) ** 2


@pytest.mark.parametrize(
    ("check", "answer", "named"),
    [
        (checks.check_stable_learning_rate, lambda lam: 1 / np.max(lam), "1/λ_max"),
        (checks.check_stable_learning_rate, lambda lam: 2 / lam[-1], "not sorted"),
        (
            checks.check_optimal_learning_rate,
            lambda lam: 1 / (lam.min() + lam.max()),
            "2 in the numerator",
        ),
        (checks.check_convergence_rate, lambda lam: loss_rate(lam), "rate of the *loss*"),
    ],
)
def test_eigenvalue_mistakes_are_recognised(check, answer, named):
    report = check(answer)
    assert not report.ok and named in report.feedback


def test_eigenvalue_answers_pass():
    kappa = lambda lam: lam.max() / lam.min()  # noqa: E731
    assert checks.check_stable_learning_rate(lambda lam: 2 / lam.max()).ok
    assert checks.check_optimal_learning_rate(lambda lam: 2 / (lam.min() + lam.max())).ok
    assert checks.check_convergence_rate(lambda lam: (kappa(lam) - 1) / (kappa(lam) + 1)).ok


def test_report_renders_and_serialises():
    report = checks.Report("Adam", 2, 4, "First difference: …")
    assert report.score == 0.5 and not report.ok
    assert report._repr_markdown_().startswith("❌ **Adam: 2 of 4 cases pass.**")
    assert report.as_dict()["score"] == 0.5


def test_registering_an_optimizer_does_not_change_the_reference(monkeypatch):
    """A student may register their own Adam in the registry to try it in a widget."""
    from lab import registry

    wrong = hand_written_adam(bias_correction=False)
    monkeypatch.setitem(registry.OPTIMIZERS, "adam", wrong)
    monkeypatch.setitem(
        registry.OPTIMIZERS, "sgd", lambda learning_rate: opt.sgd(2 * learning_rate)
    )
    assert not checks.check_adam(wrong).ok
    assert checks.check_adam(hand_written_adam()).ok
    assert checks.check_lookahead(opt.lookahead).ok
