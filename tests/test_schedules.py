"""Schedules against optax's, and their defining values."""

import numpy as np
import optax
import pytest

from optimizers import schedules

STEPS = np.arange(0, 250)

PAIRS = {
    "constant": (schedules.constant_schedule(0.3), optax.constant_schedule(0.3)),
    "exponential": (
        schedules.exponential_decay(0.1, 20, 0.5),
        optax.exponential_decay(0.1, 20, 0.5),
    ),
    "exponential-staircase": (
        schedules.exponential_decay(0.1, 20, 0.5, staircase=True),
        optax.exponential_decay(0.1, 20, 0.5, staircase=True),
    ),
    "linear": (schedules.linear_schedule(0.0, 1.0, 50), optax.linear_schedule(0.0, 1.0, 50)),
    "cosine": (
        schedules.cosine_decay_schedule(0.2, 100, alpha=0.1),
        optax.cosine_decay_schedule(0.2, 100, alpha=0.1),
    ),
    "warmup-cosine": (
        schedules.warmup_cosine_decay_schedule(0.0, 1.0, 10, 200, end_value=0.01),
        optax.warmup_cosine_decay_schedule(0.0, 1.0, 10, 200, end_value=0.01),
    ),
}


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_matches_optax(name):
    ours, theirs = PAIRS[name]
    np.testing.assert_allclose(
        [float(ours(t)) for t in STEPS], [float(theirs(t)) for t in STEPS], rtol=1e-5, atol=1e-7
    )


def test_step_decay_drops_by_the_factor_every_step_size():
    schedule = schedules.step_decay(1.0, step_size=30, decay_rate=0.1)
    values = [float(schedule(t)) for t in (0, 29, 30, 59, 60, 90)]
    np.testing.assert_allclose(values, [1.0, 1.0, 0.1, 0.1, 0.01, 0.001], rtol=1e-6)


def test_warmup_cosine_has_its_peak_at_the_end_of_warmup_and_ends_at_end_value():
    schedule = schedules.warmup_cosine_decay_schedule(0.0, 2.0, 10, 110, end_value=0.2)
    values = np.array([float(schedule(t)) for t in range(0, 200)])
    assert values.argmax() == 10 and values[10] == pytest.approx(2.0)
    assert values[0] == 0.0 and values[5] == pytest.approx(1.0)
    assert values[110:] == pytest.approx(0.2)
    assert np.all(np.diff(values[10:111]) <= 1e-7)
