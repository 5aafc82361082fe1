"""Adaptive methods: per-coordinate step sizes from running gradient statistics.

Each ``scale_by_*`` building block returns a *direction* (the step before the
learning rate); the optimizer of the same name chains it with
:func:`~optimizers.scaling.scale_by_learning_rate`, which multiplies by −α.
Notation (the book's): g_t the gradient of step t, m_t and s_t the first- and
second-moment estimates, m̂_t and ŝ_t their bias-corrected versions, t = 1, 2, …
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from optimizers.base import GradientTransformation, chain
from optimizers.momentum import trace
from optimizers.scaling import scale_by_learning_rate
from optimizers.tree import bias_corrected, full_like, moving_average, squared, tree_map, zeros_like
from optimizers.validation import (
    check_decay,
    check_non_negative,
    check_positive,
    check_same_tree,
)
from optimizers.weight_decay import add_decayed_weights

__all__ = [
    "AdaDeltaState",
    "AdamState",
    "AmsgradState",
    "RmsState",
    "RssState",
    "adadelta",
    "adagrad",
    "adam",
    "adamax",
    "adamw",
    "amsgrad",
    "nadam",
    "radam",
    "rmsprop",
    "scale_by_adadelta",
    "scale_by_adam",
    "scale_by_adamax",
    "scale_by_amsgrad",
    "scale_by_nadam",
    "scale_by_radam",
    "scale_by_rms",
    "scale_by_rss",
]


def _check_adam_hyperparameters(b1, b2, eps, eps_root=0.0):
    check_decay(b1, "b1")
    check_decay(b2, "b2")
    check_positive(eps, "eps")
    check_non_negative(eps_root, "eps_root")


# --------------------------------------------------------------------------- Adagrad


class RssState(NamedTuple):
    sum_of_squares: Any  # s_t = s_0 + Σ g_τ²


def scale_by_rss(initial_accumulator_value: Any = 0.1, eps: Any = 1e-7) -> GradientTransformation:
    """Divide by the root of the summed squared gradients (Adagrad's scaling).

    ``s_t = s_{t−1} + g_t²``, ``u_t = g_t / √(s_t + ε)`` (and 0 where s_t = 0).
    """
    check_non_negative(initial_accumulator_value, "initial_accumulator_value")
    check_positive(eps, "eps")

    def init(params):
        return RssState(sum_of_squares=full_like(params, initial_accumulator_value))

    def update(grads, state, params=None):
        check_same_tree(grads, state.sum_of_squares, what="optimizer state")
        total = tree_map(lambda g, s: jnp.square(g) + s, grads, state.sum_of_squares)
        updates = tree_map(
            lambda g, s: jnp.where(s > 0, jax.lax.rsqrt(s + eps), 0.0) * g, grads, total
        )
        return updates, RssState(sum_of_squares=total)

    return GradientTransformation(init, update)


def adagrad(
    learning_rate: Any, initial_accumulator_value: Any = 0.1, eps: Any = 1e-7
) -> GradientTransformation:
    """Adagrad (Duchi, Hazan and Singer 2011).

    .. math::

        s_t = s_{t−1} + g_t^2, \\qquad θ_t = θ_{t−1} − α\\, g_t / \\sqrt{s_t + ε},

    with ``s_0 = initial_accumulator_value``.  Each coordinate's effective
    learning rate α/√s_t only ever shrinks.  Matches optax.adagrad exactly.
    torch.optim.Adagrad differs in two conventions: it starts from ``s_0 = 0``
    and puts ε outside the root, ``g / (√s_t + ε)`` with ε = 1e-10.
    """
    return chain(
        scale_by_rss(initial_accumulator_value, eps), scale_by_learning_rate(learning_rate)
    )


# --------------------------------------------------------------------------- RMSprop


class RmsState(NamedTuple):
    count: Any  # steps taken (bias correction only; () otherwise: no scalar op per step)
    mu: Any  # running mean of g (centered only; () otherwise, so no buffer is carried)
    nu: Any  # running mean of g²


def scale_by_rms(
    decay: Any = 0.9,
    eps: Any = 1e-8,
    initial_scale: Any = 0.0,
    eps_in_sqrt: bool = True,
    bias_correction: bool = False,
    centered: bool = False,
) -> GradientTransformation:
    """Divide by the root of a leaky average of squared gradients (RMSprop's scaling).

    ``s_t = β₂ s_{t−1} + (1 − β₂) g_t²`` (β₂ = ``decay``), then
    ``u_t = g_t / √(s_t + ε)`` (``eps_in_sqrt=True``) or ``g_t / (√s_t + ε)``.
    With ``centered=True`` the variance ``s_t − m_t²`` replaces s_t, where m_t is
    the leaky average of g_t.  The *updated* average s_t is used in step t.
    """
    check_decay(decay, "decay")
    check_positive(eps, "eps")
    check_non_negative(initial_scale, "initial_scale")

    def init(params):
        return RmsState(
            count=jnp.zeros([], jnp.int32) if bias_correction else (),
            mu=zeros_like(params) if centered else (),
            nu=full_like(params, initial_scale),
        )

    def update(grads, state, params=None):
        check_same_tree(grads, state.nu, what="optimizer state")
        count = state.count + 1 if bias_correction else state.count
        mu = moving_average(grads, state.mu, decay) if centered else state.mu
        nu = moving_average(squared(grads), state.nu, decay)
        mu_hat, nu_hat = mu, nu
        if bias_correction:
            mu_hat = bias_corrected(mu, decay, count)
            nu_hat = bias_corrected(nu, decay, count)
        if centered:
            nu_hat = tree_map(lambda n, m: n - jnp.square(m), nu_hat, mu_hat)
        if eps_in_sqrt:
            updates = tree_map(lambda g, n: g * jax.lax.rsqrt(n + eps), grads, nu_hat)
        else:
            updates = tree_map(lambda g, n: g / (jnp.sqrt(n) + eps), grads, nu_hat)
        return updates, RmsState(count=count, mu=mu, nu=nu)

    return GradientTransformation(init, update)


def rmsprop(
    learning_rate: Any,
    decay: Any = 0.9,
    eps: Any = 1e-8,
    initial_scale: Any = 0.0,
    eps_in_sqrt: bool = True,
    centered: bool = False,
    momentum: Any = None,
    nesterov: bool = False,
    bias_correction: bool = False,
) -> GradientTransformation:
    """RMSprop (Hinton, Srivastava and Swersky 2012, lecture 6e of *Neural Networks for ML*).

    .. math::

        s_t = β_2 s_{t−1} + (1 − β_2)\\, g_t^2, \\qquad
        θ_t = θ_{t−1} − α\\, g_t / \\sqrt{s_t + ε},

    with β₂ = ``decay``.  The freshly updated s_t divides g_t.  Optional
    ``centered`` (Graves 2013) and ``momentum`` (a velocity over the scaled
    steps, ``v_t = β v_{t−1} − α g_t/√(s_t + ε)``).  Matches optax.rmsprop with
    the same arguments.  torch.optim.RMSprop uses ``decay=0.99`` (its
    ``alpha``) and ε outside the root: pass ``eps_in_sqrt=False`` for that form.
    """
    if momentum is not None:
        check_decay(momentum, "momentum")
    elif nesterov:
        raise ValueError("nesterov=True needs a momentum value")
    links = [
        scale_by_rms(decay, eps, initial_scale, eps_in_sqrt, bias_correction, centered),
        scale_by_learning_rate(learning_rate),
    ]
    if momentum is not None:
        links.append(trace(momentum, nesterov))
    return chain(*links)


# --------------------------------------------------------------------------- Adadelta


class AdaDeltaState(NamedTuple):
    e_g: Any  # leaky average of g²
    e_x: Any  # leaky average of the squared steps Δ²


def scale_by_adadelta(rho: Any = 0.9, eps: Any = 1e-6) -> GradientTransformation:
    """Adadelta's unit-correcting scaling (Zeiler 2012).

    ``s_t = ρ s_{t−1} + (1 − ρ) g_t²``,
    ``Δ_t = √(x_{t−1} + ε) / √(s_t + ε) · g_t``,
    ``x_t = ρ x_{t−1} + (1 − ρ) Δ_t²``; returns Δ_t.
    """
    check_decay(rho, "rho")
    check_positive(eps, "eps")

    def init(params):
        return AdaDeltaState(e_g=zeros_like(params), e_x=zeros_like(params))

    def update(grads, state, params=None):
        check_same_tree(grads, state.e_g, what="optimizer state")
        e_g = moving_average(squared(grads), state.e_g, rho)
        steps = tree_map(
            lambda g, s, x: jnp.sqrt(x + eps) / jnp.sqrt(s + eps) * g, grads, e_g, state.e_x
        )
        e_x = moving_average(squared(steps), state.e_x, rho)
        return steps, AdaDeltaState(e_g=e_g, e_x=e_x)

    return GradientTransformation(init, update)


def adadelta(
    learning_rate: Any = 1.0, rho: Any = 0.9, eps: Any = 1e-6, weight_decay: Any = 0.0
) -> GradientTransformation:
    """Adadelta (Zeiler 2012): a step with the units of θ and no global learning rate.

    .. math::

        s_t &= ρ s_{t−1} + (1 − ρ) g_t^2, \\qquad
        Δ_t = \\frac{\\sqrt{x_{t−1} + ε}}{\\sqrt{s_t + ε}}\\, g_t, \\\\
        x_t &= ρ x_{t−1} + (1 − ρ) Δ_t^2, \\qquad θ_t = θ_{t−1} − α Δ_t .

    The paper has no α (i.e. α = 1, our default).  Matches
    ``optax.adadelta(learning_rate=1.0)`` and torch.optim.Adadelta (lr=1.0).
    Beware: ``optax.adadelta()`` with no learning rate skips the sign flip and
    *ascends*; ours descends.  ``weight_decay`` adds λ_wd θ to the gradient
    (L2, as torch does).
    """
    return chain(
        add_decayed_weights(weight_decay),
        scale_by_adadelta(rho, eps),
        scale_by_learning_rate(learning_rate),
    )


# --------------------------------------------------------------------------- Adam and friends


class AdamState(NamedTuple):
    count: jax.Array  # t, the number of steps taken
    mu: Any  # m_t
    nu: Any  # s_t (Adam, RAdam) or u_t, the ∞-norm (AdaMax)


def _adam_moments(grads, state, b1, b2):
    check_same_tree(grads, state.mu, what="optimizer state")
    mu = moving_average(grads, state.mu, b1)
    nu = moving_average(squared(grads), state.nu, b2)
    return state.count + 1, mu, nu


def _adam_direction(mu_hat, nu_hat, eps, eps_root):
    return tree_map(lambda m, v: m / (jnp.sqrt(v + eps_root) + eps), mu_hat, nu_hat)


def _nesterov_mu_hat(mu, grads, b1, count):
    """Dozat's look-ahead first moment ``β₁ m_t/(1 − β₁^{t+1}) + (1 − β₁) g_t/(1 − β₁^t)``."""
    return tree_map(
        lambda m, g: b1 * m + (1 - b1) * g,
        bias_corrected(mu, b1, count + 1),
        bias_corrected(grads, b1, count),
    )


def _init_adam(params):
    return AdamState(count=jnp.zeros([], jnp.int32), mu=zeros_like(params), nu=zeros_like(params))


def scale_by_adam(
    b1: Any = 0.9, b2: Any = 0.999, eps: Any = 1e-8, eps_root: Any = 0.0
) -> GradientTransformation:
    """Adam's direction ``m̂_t / (√(ŝ_t + ε_root) + ε)``; see :func:`adam`."""
    _check_adam_hyperparameters(b1, b2, eps, eps_root)

    def update(grads, state, params=None):
        count, mu, nu = _adam_moments(grads, state, b1, b2)
        updates = _adam_direction(
            bias_corrected(mu, b1, count), bias_corrected(nu, b2, count), eps, eps_root
        )
        return updates, AdamState(count=count, mu=mu, nu=nu)

    return GradientTransformation(_init_adam, update)


def adam(
    learning_rate: Any, b1: Any = 0.9, b2: Any = 0.999, eps: Any = 1e-8, eps_root: Any = 0.0
) -> GradientTransformation:
    """Adam (Kingma and Ba 2015).

    .. math::

        m_t &= β_1 m_{t−1} + (1 − β_1) g_t, \\qquad
        s_t = β_2 s_{t−1} + (1 − β_2) g_t^2, \\\\
        \\hat m_t &= m_t / (1 − β_1^t), \\qquad \\hat s_t = s_t / (1 − β_2^t), \\\\
        θ_t &= θ_{t−1} − α\\, \\hat m_t / (\\sqrt{\\hat s_t} + ε).

    Matches optax.adam and torch.optim.Adam exactly (ε outside the root on the
    bias-corrected ŝ_t; ``eps_root`` > 0 adds a term inside the root as optax does).
    """
    return chain(scale_by_adam(b1, b2, eps, eps_root), scale_by_learning_rate(learning_rate))


def scale_by_nadam(
    b1: Any = 0.9, b2: Any = 0.999, eps: Any = 1e-8, eps_root: Any = 0.0
) -> GradientTransformation:
    """Nadam's direction: Adam with Dozat's look-ahead first moment; see :func:`nadam`."""
    _check_adam_hyperparameters(b1, b2, eps, eps_root)

    def update(grads, state, params=None):
        count, mu, nu = _adam_moments(grads, state, b1, b2)
        mu_hat = _nesterov_mu_hat(mu, grads, b1, count)
        updates = _adam_direction(mu_hat, bias_corrected(nu, b2, count), eps, eps_root)
        return updates, AdamState(count=count, mu=mu, nu=nu)

    return GradientTransformation(_init_adam, update)


def nadam(
    learning_rate: Any, b1: Any = 0.9, b2: Any = 0.999, eps: Any = 1e-8, eps_root: Any = 0.0
) -> GradientTransformation:
    """Nadam: Nesterov momentum inside Adam (Dozat 2016).

    Adam with the first moment replaced by its look-ahead:

    .. math::

        \\bar m_t = β_1 \\frac{m_t}{1 − β_1^{t+1}} + (1 − β_1) \\frac{g_t}{1 − β_1^t},
        \\qquad θ_t = θ_{t−1} − α\\, \\bar m_t / (\\sqrt{\\hat s_t} + ε).

    Matches optax.nadam exactly (a constant β₁).  torch.optim.NAdam differs: it
    follows Dozat's *momentum schedule* β₁,t = β₁(1 − ½·0.96^{t·0.004}), which
    starts near β₁/2 (0.45 for β₁ = 0.9) and approaches β₁ only over thousands
    of steps, so its early steps differ markedly from ours.
    """
    return chain(scale_by_nadam(b1, b2, eps, eps_root), scale_by_learning_rate(learning_rate))


def scale_by_adamax(b1: Any = 0.9, b2: Any = 0.999, eps: Any = 1e-8) -> GradientTransformation:
    """AdaMax's direction ``m̂_t / u_t``; see :func:`adamax`."""
    _check_adam_hyperparameters(b1, b2, eps)

    def update(grads, state, params=None):
        check_same_tree(grads, state.mu, what="optimizer state")
        count = state.count + 1
        mu = moving_average(grads, state.mu, b1)
        nu = tree_map(lambda g, u: jnp.maximum(b2 * u, jnp.abs(g) + eps), grads, state.nu)
        updates = tree_map(lambda m, u: m / u, bias_corrected(mu, b1, count), nu)
        return updates, AdamState(count=count, mu=mu, nu=nu)

    return GradientTransformation(_init_adam, update)


def adamax(
    learning_rate: Any, b1: Any = 0.9, b2: Any = 0.999, eps: Any = 1e-8
) -> GradientTransformation:
    """AdaMax, Adam with the ℓ∞ norm (Kingma and Ba 2015, section 7.1).

    .. math::

        m_t = β_1 m_{t−1} + (1 − β_1) g_t, \\qquad
        u_t = \\max(β_2 u_{t−1}, |g_t| + ε), \\qquad
        θ_t = θ_{t−1} − α\\, \\frac{m_t}{(1 − β_1^t)\\, u_t}.

    u_t needs no bias correction.  ε sits inside the max, as in optax.adamax and
    torch.optim.Adamax, which this matches exactly (the paper has no ε).
    """
    return chain(scale_by_adamax(b1, b2, eps), scale_by_learning_rate(learning_rate))


class AmsgradState(NamedTuple):
    count: jax.Array
    mu: Any
    nu: Any
    nu_max: Any  # max_τ≤t ŝ_τ


def scale_by_amsgrad(
    b1: Any = 0.9, b2: Any = 0.999, eps: Any = 1e-8, eps_root: Any = 0.0
) -> GradientTransformation:
    """AMSGrad's direction ``m̂_t / (√(max_τ≤t ŝ_τ) + ε)``; see :func:`amsgrad`."""
    _check_adam_hyperparameters(b1, b2, eps, eps_root)

    def init(params):
        zeros = zeros_like(params)
        return AmsgradState(count=jnp.zeros([], jnp.int32), mu=zeros, nu=zeros, nu_max=zeros)

    def update(grads, state, params=None):
        count, mu, nu = _adam_moments(grads, state, b1, b2)
        nu_max = tree_map(jnp.maximum, state.nu_max, bias_corrected(nu, b2, count))
        updates = _adam_direction(bias_corrected(mu, b1, count), nu_max, eps, eps_root)
        return updates, AmsgradState(count=count, mu=mu, nu=nu, nu_max=nu_max)

    return GradientTransformation(init, update)


def amsgrad(
    learning_rate: Any, b1: Any = 0.9, b2: Any = 0.999, eps: Any = 1e-8, eps_root: Any = 0.0
) -> GradientTransformation:
    """AMSGrad (Reddi, Kale and Kumar 2018): Adam with a never-decreasing denominator.

    .. math::

        \\tilde s_t = \\max(\\tilde s_{t−1}, \\hat s_t), \\qquad
        θ_t = θ_{t−1} − α\\, \\hat m_t / (\\sqrt{\\tilde s_t} + ε).

    The maximum is taken of the *bias-corrected* ŝ_t, as optax.amsgrad does
    (matched exactly).  torch.optim.Adam(amsgrad=True) takes the maximum of the
    raw s_t and bias-corrects afterwards; the paper has no bias correction at all.
    """
    return chain(scale_by_amsgrad(b1, b2, eps, eps_root), scale_by_learning_rate(learning_rate))


def scale_by_radam(
    b1: Any = 0.9,
    b2: Any = 0.999,
    eps: Any = 1e-8,
    eps_root: Any = 0.0,
    threshold: Any = 5.0,
) -> GradientTransformation:
    """RAdam's rectified direction; see :func:`radam`."""
    _check_adam_hyperparameters(b1, b2, eps, eps_root)
    rho_inf = 2.0 / (1.0 - b2) - 1.0

    def update(grads, state, params=None):
        count, mu, nu = _adam_moments(grads, state, b1, b2)
        b2t = b2**count
        rho = rho_inf - 2 * count * b2t / (1 - b2t)
        rectifier = jnp.sqrt(
            (rho - 4.0) * (rho - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho)
        )
        mu_hat = bias_corrected(mu, b1, count)
        adaptive = _adam_direction(mu_hat, bias_corrected(nu, b2, count), eps, eps_root)
        updates = tree_map(
            lambda a, m: jnp.where(rho >= threshold, rectifier.astype(a.dtype) * a, m),
            adaptive,
            mu_hat,
        )
        return updates, AdamState(count=count, mu=mu, nu=nu)

    return GradientTransformation(_init_adam, update)


def radam(
    learning_rate: Any,
    b1: Any = 0.9,
    b2: Any = 0.999,
    eps: Any = 1e-8,
    eps_root: Any = 0.0,
    threshold: Any = 5.0,
) -> GradientTransformation:
    """Rectified Adam (Liu et al. 2020).

    With ρ_∞ = 2/(1 − β₂) − 1 and ρ_t = ρ_∞ − 2t β₂^t / (1 − β₂^t) (the length of
    the approximate simple moving average behind ŝ_t):

    .. math::

        r_t = \\sqrt{\\frac{(ρ_t − 4)(ρ_t − 2)\\, ρ_∞}{(ρ_∞ − 4)(ρ_∞ − 2)\\, ρ_t}},
        \\qquad
        θ_t = θ_{t−1} − α \\begin{cases}
            r_t\\, \\hat m_t / (\\sqrt{\\hat s_t} + ε) & ρ_t ≥ \\text{threshold} \\\\
            \\hat m_t & \\text{otherwise (SGD with momentum)}.
        \\end{cases}

    The paper switches on ρ_t > 4; its reference code, optax.radam and
    torch.optim.RAdam use 5, which we follow (``threshold=5.0``).  Matches
    optax.radam exactly.  torch.optim.RAdam matches too except for where ε
    enters in the rectified branch.

    Numerically, ρ_t subtracts two numbers close to 2/(1 − β₂) (2000 for the
    default β₂), and ρ_∞ is computed from the Python float β₂ while β₂^t uses
    its float32 rounding.  Like optax's, our float32 ρ_t is therefore low by
    up to about 0.04 in the first steps (ρ_5 = 4.961 instead of 4.996), which
    makes r_t slightly small just after the switch (by about 1 % at most, less
    as ρ_t grows); the switch itself still happens at t = 6 for the default
    β₂ = 0.999.
    """
    return chain(
        scale_by_radam(b1, b2, eps, eps_root, threshold), scale_by_learning_rate(learning_rate)
    )


def adamw(
    learning_rate: Any,
    b1: Any = 0.9,
    b2: Any = 0.999,
    eps: Any = 1e-8,
    eps_root: Any = 0.0,
    weight_decay: Any = 1e-4,
    mask: Any = None,
) -> GradientTransformation:
    """AdamW: Adam with decoupled weight decay (Loshchilov and Hutter 2019).

    .. math::

        θ_t = θ_{t−1} − α \\left( \\frac{\\hat m_t}{\\sqrt{\\hat s_t} + ε} + λ_{wd}\\, θ_{t−1} \\right),

    with m̂_t, ŝ_t as in :func:`~optimizers.adaptive.adam`, computed from the *raw*
    gradient: the decay never enters the moments.  (Adam with L2 instead adds
    λ_wd θ to g_t, and the adaptive scaling then shrinks the decay of
    coordinates with large gradients.)  Matches optax.adamw (default
    λ_wd = 1e-4) and torch.optim.AdamW (default 1e-2: pass it explicitly).
    """
    return chain(
        scale_by_adam(b1, b2, eps, eps_root),
        add_decayed_weights(weight_decay, mask),
        scale_by_learning_rate(learning_rate),
    )
