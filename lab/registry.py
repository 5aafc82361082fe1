"""Every optimizer the book runs, by name, and the teaching variants that are not in the library.

:data:`OPTIMIZERS` maps the book's name of each optimizer to a factory whose
arguments are its hyperparameters: the widgets' ``optimizers=("sgd", "adam")``,
the benchmark chapter's table and the site explorers all look names up here, so
a method has one name everywhere.  Most factories are the library's own
(``optimizers.adam``); a few fix one of the library's options, so that each
slider means one thing: :func:`plain_gradient_descent` has no momentum argument,
:func:`heavy_ball` and :func:`nesterov_momentum` are ``sgd`` with momentum.

The variants below are built for one experiment each: gradient descent with the
schedules of chapter 1, the preconditioned step of chapter 3 (with a matrix P, with
P's entries as traced scalars, one learning rate per coordinate), and what a design
choice of chapter 5 does (Adam without bias correction, L2 regularisation against
decoupled weight decay).  They live here, once, built
from the library's building blocks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from optimizers import (
    GradientTransformation,
    adabound,
    adadelta,
    adagrad,
    adam,
    adamax,
    adamw,
    add_decayed_weights,
    amsbound,
    amsgrad,
    chain,
    identity,
    lamb,
    lars,
    lookahead,
    nadam,
    precondition,
    radam,
    ralamb,
    ranger,
    ranger_lars,
    rmsprop,
    scale_by_adam,
    scale_by_learning_rate,
    sgd,
)
from optimizers.schedules import exponential_decay
from optimizers.tree import moving_average, squared, tree_map, zeros_like
from optimizers.validation import check_decay, check_positive, check_same_tree

__all__ = [
    "OPTIMIZERS",
    "adam_l2",
    "adam_weight_decay",
    "adam_without_bias_correction",
    "get_optimizer",
    "heavy_ball",
    "lookahead_sgd",
    "nesterov_momentum",
    "per_coordinate_gd",
    "plain_gradient_descent",
    "preconditioned_gd",
    "preconditioned_gd_2d",
    "scale_by_adam_without_bias_correction",
    "scheduled_gradient_descent",
    "sgd_decoupled_weight_decay",
    "sgd_l2",
]


# --------------------------------------------------------------------------
# The optimizers, by name
# --------------------------------------------------------------------------


def plain_gradient_descent(learning_rate: Any) -> GradientTransformation:
    """Plain (stochastic) gradient descent ``θ_t = θ_{t−1} − α g_t``: ``sgd`` without momentum.

    A separate name so that a ``momentum`` slider leaves it alone.
    """
    return sgd(learning_rate)


def heavy_ball(learning_rate: Any, momentum: Any = 0.9) -> GradientTransformation:
    """Polyak's heavy ball ``v_t = β v_{t−1} + g_t``, ``θ_t = θ_{t−1} − α v_t``."""
    return sgd(learning_rate, momentum=momentum)


def nesterov_momentum(learning_rate: Any, momentum: Any = 0.9) -> GradientTransformation:
    """Nesterov's momentum ``θ_t = θ_{t−1} − α (g_t + β v_t)``."""
    return sgd(learning_rate, momentum=momentum, nesterov=True)


def lookahead_sgd(
    learning_rate: Any, sync_period: Any = 5, slow_step_size: Any = 0.5
) -> GradientTransformation:
    """Lookahead around plain gradient descent: k fast steps, then θ ← θ + α_s (φ − θ)."""
    return lookahead(sgd(learning_rate), sync_period, slow_step_size)


OPTIMIZERS: dict[str, Callable[..., GradientTransformation]] = {
    "sgd": plain_gradient_descent,
    "momentum": heavy_ball,
    "nesterov": nesterov_momentum,
    "adagrad": adagrad,
    "rmsprop": rmsprop,
    "adadelta": adadelta,
    "adam": adam,
    "adamax": adamax,
    "nadam": nadam,
    "amsgrad": amsgrad,
    "adamw": adamw,
    "radam": radam,
    "adabound": adabound,
    "amsbound": amsbound,
    "lars": lars,
    "lamb": lamb,
    "lookahead": lookahead_sgd,
    "ranger": ranger,
    "ralamb": ralamb,
    "ranger_lars": ranger_lars,
}
"""Name → factory for every optimizer a widget can show."""


def get_optimizer(name: str) -> Callable[..., GradientTransformation]:
    """The factory registered as ``name`` in :data:`OPTIMIZERS`."""
    if not isinstance(name, str) or name not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}; got {name!r}")
    return OPTIMIZERS[name]


# --------------------------------------------------------------------------
# Teaching variants (not in the library)
# --------------------------------------------------------------------------


class _AdamNoCorrectionState(NamedTuple):
    count: jax.Array
    mu: Any
    nu: Any


def scale_by_adam_without_bias_correction(
    b1: Any = 0.9, b2: Any = 0.999, eps: Any = 1e-8
) -> GradientTransformation:
    """NOT a package optimizer: Adam's direction *without* bias correction, ``m_t/(√s_t + ε)``.

    ``m_t = β₁ m_{t−1} + (1 − β₁) g_t`` and ``s_t = β₂ s_{t−1} + (1 − β₂) g_t²`` from
    ``m_0 = s_0 = 0``, used as they are.  Built for the bias-correction experiment only.
    """
    check_decay(b1, "b1")
    check_decay(b2, "b2")
    check_positive(eps, "eps")

    def init(params):
        zeros = zeros_like(params)
        return _AdamNoCorrectionState(count=jnp.zeros([], jnp.int32), mu=zeros, nu=zeros)

    def update(grads, state, params=None):
        check_same_tree(grads, state.mu, what="optimizer state")
        mu = moving_average(grads, state.mu, b1)
        nu = moving_average(squared(grads), state.nu, b2)
        updates = tree_map(lambda m, s: m / (jnp.sqrt(s) + eps), mu, nu)
        return updates, _AdamNoCorrectionState(count=state.count + 1, mu=mu, nu=nu)

    return GradientTransformation(init, update)


def adam_without_bias_correction(
    learning_rate: Any, b1: Any = 0.9, b2: Any = 0.999, eps: Any = 1e-8
) -> GradientTransformation:
    """NOT a package optimizer: Adam with the bias correction removed, for the experiment.

    ``θ_t = θ_{t−1} − α m_t / (√s_t + ε)``: :func:`scale_by_adam_without_bias_correction`
    chained with the learning rate.  With β₁ = 0 it is RMSprop with ε outside the root.
    """
    return chain(
        scale_by_adam_without_bias_correction(b1, b2, eps),
        scale_by_learning_rate(learning_rate),
    )


def adam_l2(learning_rate: Any, weight_decay: Any = 0.0) -> GradientTransformation:
    """Adam on the L2-regularised loss ``L + ½ λ_wd ‖θ‖²``: the decay is added to g_t *before* Adam.

    ``chain(add_decayed_weights(λ_wd), adam(α))``, so λ_wd θ enters m_t and s_t.
    """
    return chain(add_decayed_weights(weight_decay), adam(learning_rate))


def adam_weight_decay(
    learning_rate: Any, weight_decay: Any = 0.0, decoupled: Any = 1.0
) -> GradientTransformation:
    """Adam + L2 (``decoupled = 0``) or AdamW (``decoupled = 1``) in one program.

    ``chain(add_decayed_weights((1 − d) λ_wd), scale_by_adam(), add_decayed_weights(d λ_wd),
    scale_by_learning_rate(α))``: with d = 0 the second decay adds exactly 0 and this
    is :func:`adam_l2`; with d = 1 the first adds 0 and this is ``adamw``.  Since d
    is a number, the digits experiment compiles one training program for both.
    """
    return chain(
        add_decayed_weights((1.0 - decoupled) * weight_decay),
        scale_by_adam(),
        add_decayed_weights(decoupled * weight_decay),
        scale_by_learning_rate(learning_rate),
    )


def sgd_l2(learning_rate: Any, weight_decay: Any = 0.0) -> GradientTransformation:
    """SGD on ``L + ½ λ_wd ‖θ‖²``: ``θ_t = θ_{t−1} − α (g_t + λ_wd θ_{t−1})``."""
    return chain(add_decayed_weights(weight_decay), sgd(learning_rate))


def sgd_decoupled_weight_decay(
    learning_rate: Any, weight_decay: Any = 0.0
) -> GradientTransformation:
    """SGD with decoupled decay, built like AdamW: direction, then decay, then ``−α``.

    ``chain(identity(), add_decayed_weights(λ_wd), scale_by_learning_rate(α))``:
    ``θ_t = θ_{t−1} − α g_t − α λ_wd θ_{t−1}``.
    """
    return chain(
        identity(),
        add_decayed_weights(weight_decay),
        scale_by_learning_rate(learning_rate),
    )


def scheduled_gradient_descent(learning_rate, step_decay=1.0, inverse_time=0.0):
    """Gradient descent with ``α_t = α₀ · r^t / (1 + t/τ)``, r = ``step_decay``, 1/τ = ``inverse_time``.

    The exponential part is ``optimizers.exponential_decay``.  With
    r = 1 and 1/τ = 0 the rate is constant; with 1/τ = 0 it decays
    exponentially; with r = 1 it is the inverse-time schedule.  All three
    numbers are traced by :func:`~lab.trajectory.trajectory`, so one
    compiled program serves every schedule of the chapter.
    """
    exponential = exponential_decay(learning_rate, 1, step_decay)

    def schedule(step):
        return exponential(step) / (1.0 + inverse_time * jnp.asarray(step, jnp.float32))

    return sgd(schedule)


def preconditioned_gd(P: Any, learning_rate: Any) -> GradientTransformation:
    """``θ_t = θ_{t−1} − α P g_t``: ``chain(precondition(P), scale_by_learning_rate(α))``.

    ``P`` is a d×d matrix or a length-d vector (a diagonal preconditioner).
    """
    return chain(precondition(P), scale_by_learning_rate(learning_rate))


def preconditioned_gd_2d(
    learning_rate: Any, p11: Any = 1.0, p12: Any = 0.0, p22: Any = 1.0
) -> GradientTransformation:
    """Preconditioned gradient descent in 2-D with ``P = [[p11, p12], [p12, p22]]``.

    The entries are scalars, so :func:`~lab.trajectory.trajectory` traces
    them like the learning rate: every preconditioner shares one compiled program.
    """
    P = jnp.stack([jnp.stack([p11, p12]), jnp.stack([p12, p22])]).astype(jnp.float32)
    return preconditioned_gd(P, learning_rate)


def per_coordinate_gd(learning_rate_1: Any, learning_rate_2: Any) -> GradientTransformation:
    """One learning rate per coordinate: ``θ_{t,i} = θ_{t−1,i} − α_i g_{t,i}``.

    The diagonal preconditioner ``P = diag(α₁, α₂)`` with a global α = 1.
    """
    rates = jnp.stack([jnp.asarray(learning_rate_1), jnp.asarray(learning_rate_2)])
    return preconditioned_gd(rates.astype(jnp.float32), 1.0)
