"""Drawing a 2-D quadratic and its eigenbasis: level-set ellipses, eigenvector axes, |z_{t,i}|.

Small helpers shared by the static figures (:mod:`.eigenbasis`) and the
eigenvalue widget (:mod:`.eigenvalue_panels`), so that both look alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.ticker import NullLocator

from lab import plot

if TYPE_CHECKING:
    from lab.ch2_eigenvalues.eigenbasis import EigenbasisRun

LEVELS = (1.6, 1.25, 1.0, 0.75, 0.5, 0.3, 0.15, 0.05)
"""Level sets drawn, as multiples of the ellipse through θ₀."""

Z_LIMITS = (1e-6, 1e4)
"""The y-range of the |z_{t,i}| panels: float32 round-off (≈ 6·10⁻⁸ ‖θ‖) stays below it."""

SLOW, FAST, PATH = plot.color(1), plot.color(2), plot.color(0)
"""Colours of the slow (λ_min) and fast (λ_max) eigendirections and of the path."""

_CIRCLE = np.stack([np.cos(np.linspace(0, 2 * np.pi, 121)), np.sin(np.linspace(0, 2 * np.pi, 121))])


def ellipses(eigenvalues: np.ndarray, V: np.ndarray, through: np.ndarray) -> list[np.ndarray]:
    """Level sets ``½ θᵀQθ = c`` of Q = V diag(λ) Vᵀ: θ = V diag(√(2c/λ)) (cos s, sin s).

    One 2×121 array of points per multiple in :data:`LEVELS` of the level through ``through``.
    """
    z0 = V.T @ through
    level = 0.5 * float(np.sum(eigenvalues * z0**2)) or 1.0
    semi_axes = np.sqrt(2 * level / np.maximum(eigenvalues, 1e-12))
    return [V @ (scale * semi_axes[:, None] * _CIRCLE) for scale in LEVELS]


def style_plane(ax, title: str, labels: tuple[str, str], limit: float = 5.0) -> None:
    """Square axes ``[−limit, limit]²`` that never rescale, with the minimum marked by a star."""
    ax.set_xlim(-limit, limit)
    ax.set_ylim(-limit, limit)
    ax.set_autoscale_on(False)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.set_title(title)
    ax.plot(0, 0, marker="*", markersize=12, color="white", markeredgecolor="black", zorder=5)


def axis_segment(direction: np.ndarray, limit: float = 5.0) -> np.ndarray:
    """A segment along ``direction`` through 0 that crosses the whole plane (2×2: x row, y row)."""
    return np.outer([-1.5 * limit, 1.5 * limit], direction).T


def log_magnitude(values: np.ndarray) -> np.ndarray:
    """|values| for a log axis: zeros sit far below the axis instead of warning."""
    magnitude = np.abs(np.asarray(values, np.float64))
    return np.where(np.isfinite(magnitude), np.maximum(magnitude, 1e-300), np.nan)


def decay_lines(ax, run: EigenbasisRun, legend: str | None = "full") -> dict[str, list]:
    """|z_{t,i}| measured (dots) and predicted (lines), one colour per eigendirection.

    ``legend`` is ``"full"`` (one entry per line), ``"compact"`` (two grey entries,
    quicker to redraw in a widget) or ``None``.  Returns the artists,
    ``{"predicted": [line₁, line₂], "measured": [dots₁, dots₂]}``.
    """
    t = np.arange(run.measured.shape[0])
    artists: dict[str, list] = {"predicted": [], "measured": []}
    for i, color in enumerate((SLOW, FAST)):
        predicted = rf"predicted $|1-\alpha\lambda_{i + 1}|^t\,|z_{{0,{i + 1}}}|$"
        (line,) = ax.plot(t, log_magnitude(run.predicted[:, i]), color=color, linewidth=1.6,
                          label=predicted)  # fmt: skip
        (dots,) = ax.plot(t, log_magnitude(run.measured[:, i]), "o", color=color,
                          markersize=3.5, markerfacecolor="white",
                          label=rf"measured $|z_{{t,{i + 1}}}|$")  # fmt: skip
        artists["predicted"].append(line)
        artists["measured"].append(dots)
    _style_decay_axes(ax, t[-1])
    if legend == "full":
        ax.legend(loc="upper right", fontsize=8, framealpha=0.9, ncol=2)
    elif legend == "compact":
        proxies = [
            Line2D([], [], color="0.35", linewidth=1.6, label="predicted |1 − αλᵢ|ᵗ |z₀,ᵢ|"),
            Line2D([], [], color="0.35", marker="o", markersize=3.5, markerfacecolor="white",
                   linestyle="none", label="measured |z_t,i|"),
        ]  # fmt: skip
        ax.legend(handles=proxies, loc="upper right", fontsize=8, framealpha=0.9)
    return artists


def _style_decay_axes(ax, last_step: int) -> None:
    ax.set_yscale("log")
    ax.set_ylim(*Z_LIMITS)
    ax.set_yticks([10.0**k for k in range(-6, 5, 2)])
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_xlim(0, last_step)
    ax.set_autoscale_on(False)
    ax.set_xlabel("step t")
    ax.set_ylabel("|z_t,i|: distance along eigenvector i")
