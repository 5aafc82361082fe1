"""Section "The phase diagram": the heavy ball's rate over (α, β) for a whole spectrum."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from lab import analysis, plot
from lab.ch4_momentum.eigendirection import rate_image, single_direction_panel, spectral_radius


class GridPoint(NamedTuple):
    """One point of a :class:`PhaseDiagram`: (α, β) and the rate ρ there."""

    learning_rate: float
    momentum: float
    rate: float


class PhaseDiagram(NamedTuple):
    """The heavy ball's (or Nesterov's) rate on a grid of (α, β) for a set of eigenvalues.

    Attributes:
        learning_rates: the α grid (columns).
        momenta: the β grid (rows).
        eigenvalues: the λᵢ.
        rates: ``max_i ρ(αλᵢ, β)``, shape ``(len(momenta), len(learning_rates))``.
    """

    learning_rates: np.ndarray
    momenta: np.ndarray
    eigenvalues: np.ndarray
    rates: np.ndarray

    @property
    def best(self) -> GridPoint:
        """The grid point with the smallest rate."""
        row, col = np.unravel_index(np.argmin(self.rates), self.rates.shape)
        return GridPoint(
            float(self.learning_rates[col]),
            float(self.momenta[row]),
            float(self.rates[row, col]),
        )


def phase_diagram(
    eigenvalues: Sequence[float] = (0.4, 4.0),
    learning_rates: np.ndarray | None = None,
    momenta: np.ndarray | None = None,
    nesterov: bool = False,
) -> PhaseDiagram:
    """``max_i ρ(αλᵢ, β)`` on a grid, by :func:`spectral_radius` broadcast over (β, α, λ).

    ``nesterov=True`` gives Nesterov's rates instead of the heavy ball's.  (The
    exercise "Nesterov tuned for a quadratic" searches its own grid with it.)
    """
    lam = np.asarray(eigenvalues, np.float64)
    if lam.ndim != 1 or lam.size == 0 or not np.all(np.isfinite(lam)):
        raise ValueError(
            f"eigenvalues must be a non-empty list of finite numbers, got {eigenvalues!r}"
        )
    if learning_rates is None:
        learning_rates = np.linspace(0.0, 2.2 / lam.max() * 2, 441)[1:]
    if momenta is None:
        momenta = np.linspace(0.0, 0.99, 397)
    alphas, betas = np.asarray(learning_rates, np.float64), np.asarray(momenta, np.float64)
    steps = alphas[None, :, None] * lam[None, None, :]
    rates = spectral_radius(steps, betas[:, None, None], nesterov).max(axis=-1)
    return PhaseDiagram(alphas, betas, lam, rates)


def _optima(ax, Q: np.ndarray) -> None:
    """Polyak's optimum (star) and the best gradient descent (dot on β = 0), with their rates."""
    a_opt, b_opt = analysis.optimal_momentum(Q)
    ax.plot(a_opt, b_opt, "*", color="white", markeredgecolor="black", markersize=15,
            label=f"Polyak's optimum: ρ = {analysis.momentum_rate(Q, a_opt, b_opt):.3f}")  # fmt: skip
    a_gd = analysis.optimal_learning_rate(Q)
    ax.plot(a_gd, 0.0, "o", color="white", markeredgecolor="black", markersize=8, clip_on=False,
            label=f"best gradient descent: ρ = {analysis.gd_rate(Q, a_gd):.3f}")  # fmt: skip


def _whole_spectrum_panel(ax, diagram: PhaseDiagram):
    """The worst rate over all eigenvalues, its contours and the two optima; returns the image."""
    alphas, betas = diagram.learning_rates, diagram.momenta
    image = rate_image(ax, diagram.rates, (alphas[0], alphas[-1], 0, betas[-1]))
    levels = (0.6, 0.7, 0.8, 0.9, 0.95)
    contours = ax.contour(alphas, betas, np.where(diagram.rates < 1, diagram.rates, np.nan),
                          levels=levels, colors="white", linewidths=0.8)  # fmt: skip
    ax.clabel(contours, fmt="%.2g", fontsize=7)
    _optima(ax, np.diag(diagram.eigenvalues))
    lam_text = ", ".join(f"{x:g}" for x in diagram.eigenvalues)
    ax.set_title(f"paraboloid, λ = {lam_text}: worst rate over both", fontsize=10)
    ax.set_xlabel("learning rate α")
    ax.set_ylabel("momentum β")
    ax.set_xlim(alphas[0], alphas[-1])
    ax.set_ylim(0, 1)
    ax.legend(loc="upper right", fontsize=7.5, framealpha=0.9)
    return image


def phase_figure(diagram: PhaseDiagram):
    """The regimes of one eigendirection, and the rate of the whole paraboloid, in (α, β).

    Section "The phase diagram" (figure ``mom_phase``); the right panel draws
    ``diagram`` (:func:`phase_diagram`).  Returns the figure.
    """
    fig, (single, bowl) = plot.figure(ncols=2, width=4.9, height=4.1)
    single_direction_panel(single)
    single.set_title("one eigendirection: rate ρ and regime", fontsize=10)
    image = _whole_spectrum_panel(bowl, diagram)
    fig.colorbar(image, ax=[single, bowl], shrink=0.9, label="rate ρ per step (grey: diverges)")
    return fig
