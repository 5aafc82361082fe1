"""The appendix on conventions: the *other* conventions, re-implemented in NumPy.

Contributor map:

:notebook: ``book/conventions.ipynb`` (``from lab import appendix_conventions as cv``)
:module: ``lab/appendix_conventions.py``, this one module
:tests: ``tests/test_appendix_conventions.py`` (the replays against our package and
    optax) and ``tests/test_conventions_against_torch.py`` (the replays against
    torch.optim itself, in float64)

torch is not a dependency of the book, so each torch.optim rule that differs from
ours is written out here in a few lines of NumPy, transcribed from the pseudocode
in the torch.optim documentation (https://pytorch.org/docs/stable/optim.html, one
page per optimizer).  Each ``torch_*`` function replays a fixed sequence of
gradients and returns the parameter history θ_1 … θ_T, shape (steps, d), float64;
:func:`run_ours` does the same for a package (or optax) optimizer, so both
conventions see exactly the same gradients.  The notebook's code cells call these
in view of the reader and take the largest difference of two histories.

Section by section (notebook heading: functions → what the prose glues and asserts):

*The table*
    :func:`example_gradients`: the ten gradients the sections replay.
*RMSprop: where ε sits, and the decay*
    :func:`torch_rmsprop`, :func:`run_ours` → ``conv_rms_default_diff`` (asserted
    > 0.05) and ``conv_rms_aligned_diff`` (asserted < 1e-6).
*Adagrad: the initial accumulator and ε*
    :func:`torch_adagrad` → ``conv_ada_first_ours``, ``conv_ada_default_diff``,
    ``conv_ada_aligned_diff``; asserted: torch's first step is −α sign(g₁).
*Nesterov momentum: the look-ahead form vs the gradient at θ*
    :func:`lookahead_nesterov` → :class:`LookaheadNesterovRun` (``thetas``,
    ``lookaheads``) against :func:`package_nesterov` → ``conv_nest_theta_diff``
    (asserted > 0.1), ``conv_nest_lookahead_diff`` (asserted < 1e-6).
*NAdam: a constant β₁ or a momentum schedule*
    :func:`nadam_momentum_schedule` (μ₁ is ``conv_nadam_mu1``), :func:`torch_nadam` →
    ``conv_nadam_diff``, ``conv_nadam_optax_diff``; ``conv_nadam_half_t`` is closed form.
*AMSGrad: the maximum of what*
    :func:`torch_amsgrad` → ``conv_ams_diff``, ``conv_ams_optax_diff``.
*RAdam: the threshold and where ε enters*
    :func:`radam_rho` (``conv_radam_rho5``, ``conv_radam_rho6``, the first rectified
    steps ``conv_radam_first_paper`` and ``conv_radam_first_code``), :func:`torch_radam`
    → ``conv_radam_diff``, ``conv_radam_tiny_ratio``.
*AdamW: the default decay*
    :func:`run_ours` on zero gradients → ``conv_adamw_ours``, ``conv_adamw_torch``.
*Adadelta: the learning rate that flips the sign*
    :func:`quadratic_losses` → :class:`QuadraticLosses` (``start``, ``end``):
    ``conv_adadelta_start``, ``conv_adadelta_optax``, ``conv_adadelta_ours``.

The functions take the appendix's fixed arguments and do not check them; the
optimizers' own constructors in :mod:`optimizers` check theirs.

Notation (the book's): g_t the gradient of step t = 1, 2, …, θ₀ the start,
m_t and s_t the first and second moments, α the learning rate, ε ``eps``.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

import optimizers as opt

__all__ = [
    "LookaheadNesterovRun",
    "QuadraticLosses",
    "example_gradients",
    "lookahead_nesterov",
    "nadam_momentum_schedule",
    "package_nesterov",
    "quadratic_losses",
    "radam_rho",
    "run_ours",
    "torch_adagrad",
    "torch_amsgrad",
    "torch_nadam",
    "torch_radam",
    "torch_rmsprop",
]


def _history_start(grads, theta0):
    """The gradients as a float64 (steps, d) array, and θ₀ (zeros unless given)."""
    grads = np.asarray(grads, dtype=np.float64)
    theta = np.zeros(grads.shape[1]) if theta0 is None else np.array(theta0, dtype=np.float64)
    return grads, theta


def example_gradients(steps: int = 10, dim: int = 3, scale: float = 1.0, seed: int = 0):
    """A fixed, reproducible gradient sequence g_1, …, g_T of shape (steps, dim).

    Standard normal noise around a mean of 0.5 per coordinate, times ``scale``.
    """
    rng = np.random.default_rng(seed)
    return scale * (0.5 + rng.normal(size=(steps, dim)))


def run_ours(tx, grads, theta0=None):
    """Replay ``grads`` through a GradientTransformation (ours or optax's).

    Returns the history θ_1, …, θ_T as a float64 array of shape (steps, d); θ₀ defaults
    to zeros.  The gradients are fixed, so only the update rule differs between runs.
    """
    grads = np.asarray(grads, dtype=np.float64)
    theta = jnp.zeros(grads.shape[1]) if theta0 is None else jnp.asarray(theta0, jnp.float32)
    step = jax.jit(lambda theta, state, g: _step(tx, theta, state, g))
    state = tx.init(theta)
    history = []
    for g in grads:
        theta, state = step(theta, state, jnp.asarray(g, jnp.float32))
        history.append(np.asarray(theta, dtype=np.float64))
    return np.array(history)


def _step(tx, theta, state, g):
    updates, state = tx.update(g, state, theta)
    return opt.apply_updates(theta, updates), state


def torch_rmsprop(grads, lr, alpha=0.99, eps=1e-8, theta0=None):
    """torch.optim.RMSprop: ``s_t = α_s s_{t−1} + (1 − α_s) g_t²``, ``θ_t = θ_{t−1} − α g_t/(√s_t + ε)``.

    torch calls the decay ``alpha`` (default 0.99) and puts ε *outside* the root.
    """
    grads, theta = _history_start(grads, theta0)
    s = np.zeros_like(theta)
    history = []
    for g in grads:
        s = alpha * s + (1 - alpha) * g**2
        theta = theta - lr * g / (np.sqrt(s) + eps)
        history.append(theta.copy())
    return np.array(history)


def torch_adagrad(grads, lr, eps=1e-10, initial_accumulator_value=0.0, theta0=None):
    """torch.optim.Adagrad: ``s_t = s_{t−1} + g_t²`` from ``s_0 = 0``, ``θ_t = θ_{t−1} − α g_t/(√s_t + ε)``."""
    grads, theta = _history_start(grads, theta0)
    s = np.full_like(theta, initial_accumulator_value)
    history = []
    for g in grads:
        s = s + g**2
        theta = theta - lr * g / (np.sqrt(s) + eps)
        history.append(theta.copy())
    return np.array(history)


def nadam_momentum_schedule(steps, b1=0.9, psi=0.004):
    """torch.optim.NAdam's schedule ``μ_t = β₁ (1 − ½ · 0.96^{t ψ})`` for t = 1, …, steps."""
    t = np.arange(1, steps + 1)
    return b1 * (1 - 0.5 * 0.96 ** (t * psi))


def torch_nadam(grads, lr, b1=0.9, b2=0.999, eps=1e-8, psi=0.004, theta0=None):
    """torch.optim.NAdam (Dozat's momentum schedule ``μ_t``, ``psi`` = torch's momentum_decay).

    ``m̄_t = μ_{t+1} m_t / (1 − ∏_{i≤t+1} μ_i) + (1 − μ_t) g_t / (1 − ∏_{i≤t} μ_i)``,
    ``θ_t = θ_{t−1} − α m̄_t / (√ŝ_t + ε)``, with m_t, s_t, ŝ_t as in Adam.
    """
    grads, theta = _history_start(grads, theta0)
    mu = nadam_momentum_schedule(len(grads) + 1, b1, psi)
    m, s, history = np.zeros_like(theta), np.zeros_like(theta), []
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        s = b2 * s + (1 - b2) * g**2
        m_bar = mu[t] * m / (1 - np.prod(mu[: t + 1])) + (1 - mu[t - 1]) * g / (1 - np.prod(mu[:t]))
        theta = theta - lr * m_bar / (np.sqrt(s / (1 - b2**t)) + eps)
        history.append(theta.copy())
    return np.array(history)


def torch_amsgrad(grads, lr, b1=0.9, b2=0.999, eps=1e-8, theta0=None):
    """torch.optim.Adam(amsgrad=True): the maximum of the *raw* s_t, bias-corrected afterwards.

    ``s^max_t = max(s^max_{t−1}, s_t)``, ``θ_t = θ_{t−1} − α m̂_t / (√(s^max_t/(1 − β₂^t)) + ε)``.
    """
    grads, theta = _history_start(grads, theta0)
    m, s, s_max, history = np.zeros_like(theta), np.zeros_like(theta), np.zeros_like(theta), []
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        s = b2 * s + (1 - b2) * g**2
        s_max = np.maximum(s_max, s)
        theta = theta - lr * m / (1 - b1**t) / (np.sqrt(s_max / (1 - b2**t)) + eps)
        history.append(theta.copy())
    return np.array(history)


def radam_rho(steps, b2=0.999):
    """RAdam's ``ρ_t = ρ_∞ − 2 t β₂^t / (1 − β₂^t)`` for t = 1, …, steps (float64)."""
    t = np.arange(1, steps + 1)
    rho_inf = 2 / (1 - b2) - 1
    return rho_inf - 2 * t * b2**t / (1 - b2**t)


def torch_radam(grads, lr, b1=0.9, b2=0.999, eps=1e-8, theta0=None):
    """torch.optim.RAdam: rectify when ρ_t > 5, with ε added to the *raw* √s_t.

    ``θ_t = θ_{t−1} − α m̂_t r_t √(1 − β₂^t) / (√s_t + ε)`` (rectified) or ``− α m̂_t``.
    """
    grads, theta = _history_start(grads, theta0)
    rho_inf = 2 / (1 - b2) - 1
    rho = radam_rho(len(grads), b2)
    m, s, history = np.zeros_like(theta), np.zeros_like(theta), []
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        s = b2 * s + (1 - b2) * g**2
        m_hat = m / (1 - b1**t)
        r = rho[t - 1]
        if r > 5:
            rect = np.sqrt((r - 4) * (r - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * r))
            theta = theta - lr * m_hat * rect * np.sqrt(1 - b2**t) / (np.sqrt(s) + eps)
        else:
            theta = theta - lr * m_hat
        history.append(theta.copy())
    return np.array(history)


class LookaheadNesterovRun(NamedTuple):
    """Nesterov's original (look-ahead) form on L(θ) = ½ θᵀ diag(q) θ, T steps.

    Attributes:
        thetas: θ_1 … θ_T, shape (steps, d) (float64).
        lookaheads: the look-ahead points θ_t + β v_t at which the next gradient is
            taken, same shape.
    """

    thetas: np.ndarray
    lookaheads: np.ndarray


def lookahead_nesterov(q_diag, theta0, lr, beta, steps) -> LookaheadNesterovRun:
    """Nesterov's original form on L(θ) = ½ θᵀ diag(q) θ: the gradient at the look-ahead point.

    ``v_t = β v_{t−1} − α ∇L(θ_{t−1} + β v_{t−1})``, ``θ_t = θ_{t−1} + v_t``.
    """
    q_diag = np.asarray(q_diag, dtype=np.float64)
    theta = np.asarray(theta0, dtype=np.float64)
    v = np.zeros_like(theta)
    thetas, lookaheads = [], []
    for _ in range(steps):
        v = beta * v - lr * q_diag * (theta + beta * v)
        theta = theta + v
        thetas.append(theta.copy())
        lookaheads.append(theta + beta * v)
    return LookaheadNesterovRun(np.array(thetas), np.array(lookaheads))


def package_nesterov(q_diag, theta0, lr, beta, steps):
    """``opt.sgd(α, β, nesterov=True)`` (= optax, torch) on ½ θᵀ diag(q) θ; history (steps, d)."""
    tx = opt.sgd(lr, momentum=beta, nesterov=True)
    theta = jnp.asarray(theta0, jnp.float32)
    q = jnp.asarray(q_diag, jnp.float32)
    state = tx.init(theta)
    history = []
    for _ in range(steps):
        updates, state = tx.update(q * theta, state, theta)
        theta = opt.apply_updates(theta, updates)
        history.append(np.asarray(theta, dtype=np.float64))
    return np.array(history)


class QuadraticLosses(NamedTuple):
    """An optimizer's loss L(θ) = ½ θᵀ diag(q) θ before and after its run.

    Attributes:
        start: L(θ₀) (float64).
        end: L(θ_T) after T steps (the float32 run's loss).
    """

    start: float
    end: float


def quadratic_losses(tx, q_diag, theta0, steps) -> QuadraticLosses:
    """Run ``tx`` on L(θ) = ½ θᵀ diag(q) θ (∇L = q ⊙ θ) for ``steps`` steps: L(θ₀) and L(θ_T)."""
    q_diag = np.asarray(q_diag, dtype=np.float64)
    theta0 = np.asarray(theta0, dtype=np.float64)
    q = jnp.asarray(q_diag, jnp.float32)
    theta = jnp.asarray(theta0, jnp.float32)
    step = jax.jit(lambda theta, state: _step(tx, theta, state, q * theta))
    state = tx.init(theta)
    for _ in range(steps):
        theta, state = step(theta, state)
    return QuadraticLosses(float(0.5 * q_diag @ theta0**2), float(0.5 * jnp.sum(q * theta**2)))
