"""The package against the formulas: AdaMax, Nadam and RAdam, and Adam's scale invariance.

Each check feeds the package's optimizer a sequence of gradients (with
:func:`~lab.ch5_adaptive.recording.replay`) or runs it on a landscape, and
compares with the chapter's equations written out in NumPy.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

import optimizers as opt
from lab import registry
from lab.ch5_adaptive.landscapes import EXPLICIT_DEFAULTS, METHODS, STEPS, landscape, landscape_loss
from lab.ch5_adaptive.recording import random_gradients, replay
from lab.ch5_adaptive.rectifier import radam_rectifier, radam_switch_step
from lab.trajectory import trajectory
from optimizers.validation import as_positive

__all__ = [
    "FormulaAgreement",
    "LossScalingCheck",
    "RadamCheck",
    "adamax_check",
    "loss_scaling_check",
    "nadam_check",
    "radam_check",
]


class FormulaAgreement(NamedTuple):
    """How closely the package follows a formula over a run of random gradients.

    Attributes:
        relative_difference: the largest |package − formula| / |formula| over all
            steps and coordinates.
        steps: the number of gradients fed in.
    """

    relative_difference: float
    steps: int


def adamax_check(
    b2: float = 0.999, eps: float = 1e-8, steps: int = 50, seed: int = 0
) -> FormulaAgreement:
    """AdaMax's u_t from the package's state against ``max_τ≤t β₂^{t−τ} (|g_τ| + ε)``.

    The recursion ``u_t = max(β₂ u_{t−1}, |g_t| + ε)`` from u_0 = 0 unrolls to that
    maximum, the limit p → ∞ of ``((1 − β₂^p) Σ β₂^{p(t−τ)} |g_τ|^p)^{1/p}``.
    """
    grads = random_gradients(steps, seed)
    _, states = replay(opt.scale_by_adamax(b2=b2, eps=eps), grads)
    worst = 0.0
    for t in range(1, steps + 1):
        weights = b2 ** np.arange(t - 1, -1, -1, dtype=np.float64)[:, None]
        expected = np.max(weights * (np.abs(grads[:t]) + eps), axis=0)
        worst = max(worst, float(np.max(np.abs(states.nu[t - 1] - expected) / expected)))
    return FormulaAgreement(worst, steps)


def nadam_check(
    b1: float = 0.9, b2: float = 0.999, steps: int = 20, seed: int = 1
) -> FormulaAgreement:
    """Nadam's update from the package against the formula, at every one of ``steps`` steps.

    ``m̄_t = β₁ m_t/(1 − β₁^{t+1}) + (1 − β₁) g_t/(1 − β₁^t)`` and
    ``u_t = −α m̄_t/(√ŝ_t + ε)`` with α = 1, m_t and s_t Adam's moments.
    """
    grads = random_gradients(steps, seed)
    updates, _ = replay(registry.OPTIMIZERS["nadam"](1.0, b1=b1, b2=b2), grads)
    m = s = np.zeros(3)
    worst = 0.0
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        s = b2 * s + (1 - b2) * g**2
        m_bar = b1 * m / (1 - b1 ** (t + 1)) + (1 - b1) * g / (1 - b1**t)
        expected = -m_bar / (np.sqrt(s / (1 - b2**t)) + 1e-8)
        worst = max(worst, float(np.max(np.abs(updates[t - 1] - expected) / np.abs(expected))))
    return FormulaAgreement(worst, steps)


class RadamCheck(NamedTuple):
    """RAdam's update against Adam's on the same gradients.

    Attributes:
        before: the largest relative deviation of RAdam's update from −α m̂_t before
            the switch (α = 1).
        after: the largest relative deviation of RAdam's update / Adam's from r_t
            from the switch on (limited by float32, see :func:`radam_check`).
        switch: the package's switch step, the first t with ρ_t ≥ 5.
        steps: the number of gradients fed in.
    """

    before: float
    after: float
    switch: int
    steps: int


def radam_check(b2: float = 0.999, steps: int = 30, seed: int = 2) -> RadamCheck:
    """RAdam's update against Adam's on the same gradients: the ratio is r_t once rectified.

    Before the switch (ρ_t < 5 in the package) RAdam's update is −α m̂_t; after
    it, r_t times Adam's.  The second deviation is limited by float32: the package
    computes ρ_t as the difference of two numbers near ρ_∞, and loses a few hundredths.
    """
    grads = random_gradients(steps, seed)
    u_radam, states = replay(registry.OPTIMIZERS["radam"](1.0, b2=b2), grads)
    u_adam, _ = replay(registry.OPTIMIZERS["adam"](1.0, b2=b2), grads)
    t = np.arange(1, steps + 1)
    m_hat = states[0].mu / (1 - 0.9 ** t[:, None])
    switch = radam_switch_step(b2, 5.0, strict=False)
    early, late = t < switch, t >= switch
    before = np.max(np.abs(u_radam[early] + m_hat[early]) / np.abs(m_hat[early]))
    ratio = u_radam[late] / u_adam[late]
    after = np.max(np.abs(ratio / radam_rectifier(t[late], b2)[:, None] - 1))
    return RadamCheck(float(before), float(after), switch, steps)


class LossScalingCheck(NamedTuple):
    """Adam's and SGD's paths on the paraboloid and on ``factor`` times it.

    Attributes:
        adam: the largest coordinate difference of Adam's two paths (α = 0.1).
        sgd: the same for SGD (α = 0.001, stable for both losses).
        factor: c, the factor the loss is multiplied by.
        steps: the steps of each path.
    """

    adam: float
    sgd: float
    factor: float
    steps: int


def _paraboloid_path(name: str, alpha: float, scale: float) -> np.ndarray:
    """Method ``name``'s path on ``scale`` times the paraboloid (Q → cQ: no new compilation)."""
    paraboloid = landscape("ill-conditioned paraboloid")
    index, Q = paraboloid.args
    run = trajectory(
        METHODS[name][1], landscape_loss, paraboloid.start, STEPS,
        loss_args=(index, scale * Q), learning_rate=alpha, **EXPLICIT_DEFAULTS.get(name, {}),
    )  # fmt: skip
    return np.asarray(run.params, np.float64)


def loss_scaling_check(factor: float = 100.0) -> LossScalingCheck:
    """Adam's path on the paraboloid ``½ θᵀQθ`` and on ``factor`` times it: identical up to ε.

    Scaling the loss by c scales g_t by c, m_t by c and √s_t by c, so Adam's
    step is unchanged (ε aside); SGD's step scales by c.  Both runs use
    :func:`~lab.ch5_adaptive.landscapes.landscape_loss` with Q replaced by cQ.
    """
    factor = as_positive(factor, "factor")
    difference = {}
    for name, alpha in (("adam", 0.1), ("sgd", 1e-3)):
        original, scaled = (_paraboloid_path(name, alpha, c) for c in (1.0, factor))
        difference[name] = float(np.max(np.abs(original - scaled)))
    return LossScalingCheck(difference["adam"], difference["sgd"], factor, STEPS)
