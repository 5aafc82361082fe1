"""RAdam: the length ρ_t of the average, the rectifier r_t, and the variance they tame."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import NullLocator

from lab import plot
from optimizers.validation import as_decay

__all__ = [
    "AdaptiveRateVariance",
    "RadamRectification",
    "adaptive_rate_variance",
    "radam_figure",
    "radam_rectification",
    "radam_rectifier",
    "radam_rho",
    "radam_switch_step",
]


def radam_rho(t: Any, b2: float = 0.999) -> np.ndarray:
    """``ρ_t = ρ_∞ − 2t β₂^t/(1 − β₂^t)`` with ``ρ_∞ = 2/(1 − β₂) − 1`` (float64)."""
    b2 = as_decay(b2, "b2")
    if b2 == 0.0:
        raise ValueError("b2 must be > 0")
    t = np.asarray(t, np.float64)
    if np.any(t < 1):
        raise ValueError("t must be >= 1")
    rho_inf = 2.0 / (1.0 - b2) - 1.0
    return rho_inf - 2.0 * t * b2**t / (1.0 - b2**t)


def radam_rectifier(t: Any, b2: float = 0.999) -> np.ndarray:
    """``r_t = √((ρ_t − 4)(ρ_t − 2) ρ_∞ / ((ρ_∞ − 4)(ρ_∞ − 2) ρ_t))``, NaN where ρ_t ≤ 4."""
    rho = radam_rho(t, b2)
    rho_inf = 2.0 / (1.0 - b2) - 1.0
    ratio = (rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho)
    return np.sqrt(np.where(rho > 4, ratio, np.nan))


def radam_switch_step(b2: float = 0.999, threshold: float = 4.0, strict: bool = True) -> int:
    """The first step t whose ρ_t exceeds ``threshold`` (``>`` if ``strict``, else ``≥``).

    The paper (Liu et al. 2020) rectifies when ρ_t > 4; its reference code,
    optax and the package when ρ_t ≥ 5.
    """
    rho_inf = 2.0 / (1.0 - as_decay(b2, "b2")) - 1.0
    if not threshold < rho_inf:
        raise ValueError(f"threshold must be below ρ_∞ = {rho_inf:g}, got {threshold}")
    t = np.arange(1, 100_000)
    rho = radam_rho(t, b2)
    above = rho > threshold if strict else rho >= threshold
    return int(t[np.argmax(above)])


class AdaptiveRateVariance(NamedTuple):
    """Monte Carlo variance of Adam's adaptive learning rate ψ_t = 1/√ŝ_t, g_τ ~ N(0, 1).

    Attributes:
        t: the steps 1 … T.
        variance: Var[ψ_t] at each t.
        rectified: Var[r_t ψ_t] = r_t² Var[ψ_t] (NaN where ρ_t ≤ 4).
        approximation: Liu et al.'s ``ρ_t/(2(ρ_t − 2)(ρ_t − 4))`` (NaN where ρ_t ≤ 4).
        limit: its value at ρ_∞, the variance RAdam keeps at every rectified step.
        samples: the number of simulated gradient sequences.
    """

    t: np.ndarray
    variance: np.ndarray
    rectified: np.ndarray
    approximation: np.ndarray
    limit: float
    samples: int


def adaptive_rate_variance(
    steps: int = 200, samples: int = 20000, b2: float = 0.999, seed: int = 0
) -> AdaptiveRateVariance:
    """Monte Carlo variance of the adaptive learning rate ψ_t = 1/√ŝ_t for g_τ ~ N(0, 1).

    ŝ_t is Adam's bias-corrected second moment of ``samples`` independent
    gradient sequences (σ = 1).
    """
    rng = np.random.default_rng(seed)
    s = np.zeros(samples)
    variance = np.empty(steps)
    for t in range(1, steps + 1):
        s = b2 * s + (1 - b2) * rng.standard_normal(samples) ** 2
        variance[t - 1] = np.var(1.0 / np.sqrt(s / (1 - b2**t)))
    t = np.arange(1, steps + 1)
    rho = radam_rho(t, b2)
    with np.errstate(divide="ignore", invalid="ignore"):
        approximation = np.where(rho > 4, rho / (2 * (rho - 2) * (rho - 4)), np.nan)
    rho_inf = 2.0 / (1.0 - b2) - 1.0
    return AdaptiveRateVariance(
        t=t,
        variance=variance,
        rectified=radam_rectifier(t, b2) ** 2 * variance,
        approximation=approximation,
        limit=rho_inf / (2 * (rho_inf - 2) * (rho_inf - 4)),
        samples=samples,
    )


class RadamRectification(NamedTuple):
    """ρ_t, the two switch steps, the rectifier and the variance it tames, for one β₂.

    Attributes:
        b2: β₂.
        rho_inf: ρ_∞ = 2/(1 − β₂) − 1.
        paper_step: the first t with ρ_t > 4 (the paper's switch).
        code_step: the first t with ρ_t ≥ 5 (the reference code's, optax's and the package's).
        rho_before_paper_step, rho_paper_step, rho_code_step: ρ_t one step before
            the paper's switch, at it, and at the code's.
        r_paper_step, r_code_step, r_1000: the rectifier r_t at the paper's and the
            code's switch, and at t = 1000.
        t_r_half: the first t (of a log grid up to 10⁵) with r_t ≥ ½.
        variance: the Monte Carlo :class:`AdaptiveRateVariance`.
        variance_1, variance_10, variance_last: Var[ψ_t] at t = 1, 10 and ``mc_steps``.
        rectified_max: the largest Var[r_t ψ_t].
        variance_limit: ``variance.limit``.
        mc_steps: the steps of the Monte Carlo run.
    """

    b2: float
    rho_inf: float
    paper_step: int
    code_step: int
    rho_before_paper_step: float
    rho_paper_step: float
    rho_code_step: float
    r_paper_step: float
    r_code_step: float
    r_1000: float
    t_r_half: int
    variance: AdaptiveRateVariance
    variance_1: float
    variance_10: float
    variance_last: float
    rectified_max: float
    variance_limit: float
    mc_steps: int


_LONG = np.unique(np.logspace(0, 5, 400).astype(int))
"""The steps of the rectifier's panel, 1 … 10⁵ on a log grid."""


def radam_rectification(b2: float = 0.999) -> RadamRectification:
    """RAdam's switch steps, rectifier and the Monte Carlo variance of ψ_t for β₂ = ``b2``."""
    paper, code = radam_switch_step(b2, 4.0, True), radam_switch_step(b2, 5.0, False)
    mc = adaptive_rate_variance(b2=b2)
    return RadamRectification(
        b2=b2,
        rho_inf=2 / (1 - b2) - 1,
        paper_step=paper,
        code_step=code,
        rho_before_paper_step=float(radam_rho(paper - 1, b2)),
        rho_paper_step=float(radam_rho(paper, b2)),
        rho_code_step=float(radam_rho(code, b2)),
        r_paper_step=float(radam_rectifier(paper, b2)),
        r_code_step=float(radam_rectifier(code, b2)),
        r_1000=float(radam_rectifier(1000, b2)),
        t_r_half=int(_LONG[np.argmax(radam_rectifier(_LONG, b2) >= 0.5)]),
        variance=mc,
        variance_1=float(mc.variance[0]),
        variance_10=float(mc.variance[9]),
        variance_last=float(mc.variance[-1]),
        rectified_max=float(np.nanmax(mc.rectified)),
        variance_limit=float(mc.limit),
        mc_steps=int(mc.t[-1]),
    )


def _draw_rho(ax: Axes, result: RadamRectification) -> None:
    """ρ_t for the first steps, with the paper's and the code's thresholds and switch steps."""
    t = np.arange(1, 13)
    ax.plot(t, radam_rho(t, result.b2), "o-", color=plot.color(1), ms=4, lw=1.2)
    thresholds = [
        (4.0, "paper: ρ_t > 4", result.paper_step, plot.color(0)),
        (5.0, "code: ρ_t ≥ 5", result.code_step, plot.color(2)),
    ]
    for value, name, step, color in thresholds:
        ax.axhline(value, color=color, lw=1.0, ls="--", label=f"{name} from t = {step}")
        ax.plot(step, radam_rho(step, result.b2), "o", ms=9, mfc="none", mec=color, mew=1.6)
    ax.set_xlabel("step t")
    ax.set_title(f"ρ_t for β₂ = {result.b2:g} (ρ_∞ = {result.rho_inf:g})", fontsize=10)
    ax.legend(fontsize=8, loc="upper left")


def _draw_rectifier(ax: Axes, result: RadamRectification) -> None:
    ax.plot(_LONG, radam_rectifier(_LONG, result.b2), color=plot.color(1), lw=1.6)
    ax.set_xscale("log")
    ax.set_ylim(0, 1.05)
    ax.set_xlim(1, _LONG[-1])
    ax.set_xlabel("step t")
    ax.set_title("rectifier r_t", fontsize=10)


def _draw_variance(ax: Axes, mc: AdaptiveRateVariance) -> None:
    """Var[ψ_t] with Liu et al.'s approximation, and Var[r_t ψ_t] under its limit."""
    ax.plot(mc.t, mc.variance, color=plot.color(0), lw=1.4, label="Var[ψ_t] (Monte Carlo)")
    approximation = "ρ_t / (2(ρ_t − 2)(ρ_t − 4))"
    ax.plot(mc.t, mc.approximation, color="black", lw=0.9, ls=":", label=approximation)
    ax.plot(mc.t, mc.rectified, color=plot.color(1), lw=1.4, label="Var[r_t ψ_t]")
    ax.axhline(mc.limit, color="0.5", lw=0.8, ls="--")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_ylim(1e-5, 1e3)
    ax.set_xlim(1, mc.t[-1])
    ax.set_xlabel("step t")
    ax.set_title("variance of ψ_t = 1/√ŝ_t, g ~ N(0, 1)", fontsize=10)
    ax.legend(fontsize=7.5, loc="upper right")


def radam_figure(result: RadamRectification) -> Figure:
    """The section "RAdam: rectifying the early variance": ρ_t, r_t and the variance of ψ_t.

    Left, ρ_t and the two thresholds; middle, the rectifier r_t; right, the
    variance of ψ_t with and without it.
    """
    fig, (rho_ax, r_ax, var_ax) = plot.figure(ncols=3, width=3.6, height=3.3)
    _draw_rho(rho_ax, result)
    _draw_rectifier(r_ax, result)
    _draw_variance(var_ax, result.variance)
    return fig
