"""Learning-rate schedules: functions ``step -> learning rate``.

Pass one as ``learning_rate`` to any optimizer.  ``step`` counts the updates
already taken, so the first update uses ``schedule(0)``.  Names and
arguments follow optax's schedules, and each is tested against them.
"""

from __future__ import annotations

from typing import Any, Callable

import jax.numpy as jnp

from optimizers.validation import check_learning_rate, check_non_negative, check_positive_int

__all__ = [
    "constant_schedule",
    "cosine_decay_schedule",
    "exponential_decay",
    "linear_schedule",
    "step_decay",
    "warmup_cosine_decay_schedule",
]

Schedule = Callable[[Any], Any]


def constant_schedule(value: float) -> Schedule:
    """``α_t = value``."""
    check_learning_rate(value, "value")
    return lambda step: jnp.full([], value, jnp.float32)


def exponential_decay(
    init_value: float, transition_steps: int, decay_rate: float, staircase: bool = False
) -> Schedule:
    """``α_t = α_0 · decay_rate^(t / transition_steps)`` (floored exponent if ``staircase``)."""
    check_learning_rate(init_value, "init_value")
    check_positive_int(transition_steps, "transition_steps")
    check_non_negative(decay_rate, "decay_rate")

    def schedule(step):
        exponent = jnp.asarray(step, jnp.float32) / transition_steps
        if staircase:
            exponent = jnp.floor(exponent)
        return init_value * decay_rate**exponent

    return schedule


def step_decay(init_value: float, step_size: int, decay_rate: float = 0.1) -> Schedule:
    """``α_t = α_0 · decay_rate^⌊t / step_size⌋``: drop by a factor every ``step_size`` steps.

    The schedule of torch.optim.lr_scheduler.StepLR (``gamma`` = ``decay_rate``).
    """
    check_positive_int(step_size, "step_size")
    return exponential_decay(init_value, step_size, decay_rate, staircase=True)


def linear_schedule(init_value: float, end_value: float, transition_steps: int) -> Schedule:
    """Linear from ``init_value`` at step 0 to ``end_value`` at ``transition_steps``, then flat.

    With ``init_value=0`` this is a linear warmup (Goyal et al. 2017).
    """
    check_learning_rate(init_value, "init_value")
    check_learning_rate(end_value, "end_value")
    check_positive_int(transition_steps, "transition_steps")

    def schedule(step):
        fraction = jnp.clip(jnp.asarray(step, jnp.float32), 0, transition_steps) / transition_steps
        return init_value + (end_value - init_value) * fraction

    return schedule


def cosine_decay_schedule(init_value: float, decay_steps: int, alpha: float = 0.0) -> Schedule:
    """Cosine annealing (Loshchilov and Hutter 2017), without restarts.

    ``α_t = α_0 [(1 − a) · ½(1 + cos(π min(t, T)/T)) + a]`` with T =
    ``decay_steps`` and a = ``alpha`` the final fraction of α_0.
    """
    check_learning_rate(init_value, "init_value")
    check_positive_int(decay_steps, "decay_steps")
    check_non_negative(alpha, "alpha")

    def schedule(step):
        t = jnp.minimum(jnp.asarray(step, jnp.float32), decay_steps)
        cosine = 0.5 * (1 + jnp.cos(jnp.pi * t / decay_steps))
        return init_value * ((1 - alpha) * cosine + alpha)

    return schedule


def warmup_cosine_decay_schedule(
    init_value: float,
    peak_value: float,
    warmup_steps: int,
    decay_steps: int,
    end_value: float = 0.0,
) -> Schedule:
    """Linear warmup from ``init_value`` to ``peak_value``, then cosine decay to ``end_value``.

    ``decay_steps`` is the total length including the warmup (optax's convention).
    """
    check_learning_rate(peak_value, "peak_value")
    check_positive_int(warmup_steps, "warmup_steps")
    if not decay_steps > warmup_steps:
        raise ValueError(
            f"decay_steps must exceed warmup_steps, got {decay_steps} <= {warmup_steps}"
        )
    warmup = linear_schedule(init_value, peak_value, warmup_steps)
    alpha = end_value / peak_value if peak_value else 0.0
    decay = cosine_decay_schedule(peak_value, decay_steps - warmup_steps, alpha)

    def schedule(step):
        step = jnp.asarray(step, jnp.float32)
        return jnp.where(step < warmup_steps, warmup(step), decay(step - warmup_steps))

    return schedule
