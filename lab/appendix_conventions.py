"""The appendix on conventions: the *other* conventions, re-implemented in NumPy.

torch is not a dependency of the book, so each torch.optim rule that differs from
ours is written out here in a few lines of NumPy, transcribed from the pseudocode
in the torch.optim documentation (https://pytorch.org/docs/stable/optim.html, one
page per optimizer).  Each ``torch_*`` function replays a fixed sequence of
gradients and returns the parameter history; :func:`run_ours` does the same for a
package (or optax) optimizer, so both conventions see exactly the same gradients.

Notation (the book's): g_t the gradient of step t = 1, 2, …, θ₀ the start,
m_t and s_t the first and second moments, α the learning rate, ε ``eps``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

import optimizers as opt

__all__ = [
    "example_gradients",
    "lookahead_nesterov",
    "nadam_momentum_schedule",
    "quadratic_losses",
    "radam_rho",
    "run_ours",
    "sutskever_nesterov",
    "torch_adagrad",
    "torch_amsgrad",
    "torch_nadam",
    "torch_radam",
    "torch_rmsprop",
]


def _check_grads(grads):
    grads = np.asarray(grads, dtype=np.float64)
    if grads.ndim != 2 or grads.shape[0] < 1:
        raise ValueError(f"grads must have shape (steps, d) with steps >= 1, got {grads.shape}")
    if not np.all(np.isfinite(grads)):
        raise ValueError("grads must be finite")
    return grads


def _check_positive(value, name):
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive number, got {value}")


def example_gradients(steps: int = 10, dim: int = 3, scale: float = 1.0, seed: int = 0):
    """A fixed, reproducible gradient sequence g_1, …, g_T of shape (steps, dim).

    Standard normal noise around a mean of 0.5 per coordinate, times ``scale``.
    """
    if steps < 1 or dim < 1:
        raise ValueError(f"steps and dim must be >= 1, got steps={steps}, dim={dim}")
    _check_positive(scale, "scale")
    rng = np.random.default_rng(seed)
    return scale * (0.5 + rng.normal(size=(steps, dim)))


def run_ours(tx, grads, theta0=None):
    """Replay ``grads`` through a GradientTransformation (ours or optax's).

    Returns the history θ_1, …, θ_T as a float64 array of shape (steps, d); θ₀ defaults
    to zeros.  The gradients are fixed, so only the update rule differs between runs.
    """
    grads = _check_grads(grads)
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
    grads = _check_grads(grads)
    _check_positive(eps, "eps")
    theta = np.zeros(grads.shape[1]) if theta0 is None else np.array(theta0, dtype=np.float64)
    s = np.zeros_like(theta)
    history = []
    for g in grads:
        s = alpha * s + (1 - alpha) * g**2
        theta = theta - lr * g / (np.sqrt(s) + eps)
        history.append(theta.copy())
    return np.array(history)


def torch_adagrad(grads, lr, eps=1e-10, initial_accumulator_value=0.0, theta0=None):
    """torch.optim.Adagrad: ``s_t = s_{t−1} + g_t²`` from ``s_0 = 0``, ``θ_t = θ_{t−1} − α g_t/(√s_t + ε)``."""
    grads = _check_grads(grads)
    _check_positive(eps, "eps")
    theta = np.zeros(grads.shape[1]) if theta0 is None else np.array(theta0, dtype=np.float64)
    s = np.full_like(theta, initial_accumulator_value)
    history = []
    for g in grads:
        s = s + g**2
        theta = theta - lr * g / (np.sqrt(s) + eps)
        history.append(theta.copy())
    return np.array(history)


def nadam_momentum_schedule(steps, b1=0.9, psi=0.004):
    """torch.optim.NAdam's schedule ``μ_t = β₁ (1 − ½ · 0.96^{t ψ})`` for t = 1, …, steps."""
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    t = np.arange(1, steps + 1)
    return b1 * (1 - 0.5 * 0.96 ** (t * psi))


def torch_nadam(grads, lr, b1=0.9, b2=0.999, eps=1e-8, psi=0.004, theta0=None):
    """torch.optim.NAdam (Dozat's momentum schedule ``μ_t``, ``psi`` = torch's momentum_decay).

    ``m̄_t = μ_{t+1} m_t / (1 − ∏_{i≤t+1} μ_i) + (1 − μ_t) g_t / (1 − ∏_{i≤t} μ_i)``,
    ``θ_t = θ_{t−1} − α m̄_t / (√ŝ_t + ε)``, with m_t, s_t, ŝ_t as in Adam.
    """
    grads = _check_grads(grads)
    _check_positive(eps, "eps")
    mu = nadam_momentum_schedule(len(grads) + 1, b1, psi)
    theta = np.zeros(grads.shape[1]) if theta0 is None else np.array(theta0, dtype=np.float64)
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
    grads = _check_grads(grads)
    _check_positive(eps, "eps")
    theta = np.zeros(grads.shape[1]) if theta0 is None else np.array(theta0, dtype=np.float64)
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
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    t = np.arange(1, steps + 1)
    rho_inf = 2 / (1 - b2) - 1
    return rho_inf - 2 * t * b2**t / (1 - b2**t)


def torch_radam(grads, lr, b1=0.9, b2=0.999, eps=1e-8, theta0=None):
    """torch.optim.RAdam: rectify when ρ_t > 5, with ε added to the *raw* √s_t.

    ``θ_t = θ_{t−1} − α m̂_t r_t √(1 − β₂^t) / (√s_t + ε)`` (rectified) or ``− α m̂_t``.
    """
    grads = _check_grads(grads)
    _check_positive(eps, "eps")
    rho_inf = 2 / (1 - b2) - 1
    rho = radam_rho(len(grads), b2)
    theta = np.zeros(grads.shape[1]) if theta0 is None else np.array(theta0, dtype=np.float64)
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


def _check_quadratic(q_diag, theta0, lr, beta, steps):
    q_diag = np.asarray(q_diag, dtype=np.float64)
    theta0 = np.asarray(theta0, dtype=np.float64)
    if q_diag.shape != theta0.shape:
        raise ValueError(f"q_diag and theta0 must have the same shape, got {q_diag.shape}")
    if not 0 <= beta < 1:
        raise ValueError(f"beta must lie in [0, 1), got {beta}")
    _check_positive(lr, "lr")
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    return q_diag, theta0


def lookahead_nesterov(q_diag, theta0, lr, beta, steps):
    """Nesterov's original form on L(θ) = ½ θᵀ diag(q) θ: the gradient at the look-ahead point.

    ``v_t = β v_{t−1} − α ∇L(θ_{t−1} + β v_{t−1})``, ``θ_t = θ_{t−1} + v_t``.
    Returns (θ_1…θ_T, look-ahead points θ_t + β v_t), each of shape (steps, d).
    """
    q_diag, theta = _check_quadratic(q_diag, theta0, lr, beta, steps)
    v = np.zeros_like(theta)
    thetas, lookaheads = [], []
    for _ in range(steps):
        v = beta * v - lr * q_diag * (theta + beta * v)
        theta = theta + v
        thetas.append(theta.copy())
        lookaheads.append(theta + beta * v)
    return np.array(thetas), np.array(lookaheads)


def sutskever_nesterov(q_diag, theta0, lr, beta, steps):
    """``opt.sgd(α, β, nesterov=True)`` (= optax, torch) on ½ θᵀ diag(q) θ; history (steps, d)."""
    q_diag, theta0 = _check_quadratic(q_diag, theta0, lr, beta, steps)
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


def quadratic_losses(tx, q_diag, theta0, steps):
    """Run ``tx`` on L(θ) = ½ θᵀ diag(q) θ (∇L = q ⊙ θ); return (L(θ₀), L(θ_T))."""
    q_diag, theta0 = _check_quadratic(q_diag, theta0, 1.0, 0.0, steps)
    q = jnp.asarray(q_diag, jnp.float32)
    theta = jnp.asarray(theta0, jnp.float32)
    step = jax.jit(lambda theta, state: _step(tx, theta, state, q * theta))
    state = tx.init(theta)
    for _ in range(steps):
        theta, state = step(theta, state)
    return float(0.5 * q_diag @ theta0**2), float(0.5 * jnp.sum(q * theta**2))
