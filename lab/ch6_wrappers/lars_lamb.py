"""LARS and LAMB on the digits MLP: per-layer ratios, and the linear scaling rule over batch sizes.

Section "LARS and LAMB: one step size per layer" of ``book/wrappers.ipynb``:
:func:`trust_ratios` ("Why layers need their own step"), :func:`large_batch_runs`,
:func:`large_batch_comparison` with :func:`large_batch_figure`, and
:func:`large_batch_widget` ("An experiment, and its limits").
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import numpy as np
from matplotlib.figure import Figure

from lab import nn, plot, widgets
from lab.ch6_wrappers import digits_runs
from lab.ch6_wrappers.digits_runs import (
    BASE_BATCH,
    BASE_LEARNING_RATES,
    BATCH_SIZES,
    BATCH_STEPS,
    LABELS,
    NAMES,
    LinearScalingRuns,
    all_runs,
    digits_setup,
    make_optimizer,
    scaled_learning_rate,
)
from optimizers.validation import as_positive


class LayerNorms(NamedTuple):
    """One parameter array of the digits MLP at initialisation.

    Fields:
        name: ``"layer l w"`` (weights) or ``"layer l b"`` (biases).
        theta_norm: ‖θ^(l)‖, the Euclidean norm of the array.
        grad_norm: ‖g^(l)‖, the norm of its full-batch gradient.
        ratio: ‖θ^(l)‖/‖g^(l)‖ (nan for the biases, which start at zero).
    """

    name: str
    theta_norm: float
    grad_norm: float
    ratio: float


class TrustRatios(NamedTuple):
    """Per-layer norms of the digits MLP at initialisation (see :func:`trust_ratios`).

    Fields:
        rows: one :class:`LayerNorms` per array, in the order layer 1 w, b, layer 2 w, b.
        weight_ratio_spread: the largest over the smallest ‖θ‖/‖g‖ of the weight
            matrices (≥ 1; 1 means every layer has the same ratio).
    """

    rows: tuple[LayerNorms, ...]
    weight_ratio_spread: float


def trust_ratios() -> TrustRatios:
    """Per layer of the digits MLP at initialisation: ‖θ‖, ‖g‖ and ‖θ‖/‖g‖ (full-batch g).

    One global α moves layer l by α‖g^(l)‖, a fraction α‖g^(l)‖/‖θ^(l)‖ of its
    weights; the spread of ‖θ‖/‖g‖ across layers is what LARS's trust ratio
    equalises.
    """
    digits, params, _ = digits_setup()
    grads = jax.grad(nn.cross_entropy_loss)(params, digits.x_train, digits.y_train)
    rows = []
    for i, (p, g) in enumerate(zip(params, grads, strict=True)):
        for kind in ("w", "b"):
            theta = float(np.linalg.norm(np.asarray(p[kind])))
            grad = float(np.linalg.norm(np.asarray(g[kind])))
            ratio = theta / grad if theta else math.nan
            rows.append(LayerNorms(f"layer {i + 1} {kind}", theta, grad, ratio))
    weights = [row.ratio for row in rows if row.name.endswith("w")]
    return TrustRatios(tuple(rows), max(weights) / min(weights))


def _check_batch_sizes(batch_sizes) -> tuple[int, ...]:
    sizes = tuple(int(b) for b in batch_sizes)
    if not sizes or any(b < 1 or b > max(BATCH_SIZES) for b in sizes):
        raise ValueError(f"batch_sizes must lie between 1 and {max(BATCH_SIZES)}, got {sizes}")
    return sizes


def large_batch_runs(
    name: str, base_learning_rate: float | None = None, batch_sizes=BATCH_SIZES
) -> LinearScalingRuns:
    """Optimizer ``name`` on the digits MLP for each batch size, α scaled linearly with B.

    α_B = α₀ B / B₀ with α₀ = ``base_learning_rate`` (default
    :data:`BASE_LEARNING_RATES`) and B₀ = :data:`BASE_BATCH`: the linear scaling
    rule (Goyal et al. 2017).  :data:`BATCH_STEPS` steps each, the same batches'
    first B rows for every B; one compiled program for every call.  Exercise
    "wrap-exercise-sqrt" calls it with the reader's own α₀.
    """
    make_optimizer(name)  # a clear error for an unknown name
    alpha0 = as_positive(
        BASE_LEARNING_RATES[name] if base_learning_rate is None else base_learning_rate,
        "base_learning_rate",
    )
    return all_runs(((name, alpha0, 1.0),), _check_batch_sizes(batch_sizes))[0]


class LargeBatchRuns(NamedTuple):
    """The four optimizers of the large-batch experiment over :data:`BATCH_SIZES`.

    Fields (one :class:`LinearScalingRuns` each, α₀ at B₀ = :data:`BASE_BATCH`):
        sgd: SGD with momentum 0.9.
        adam: Adam.
        lars: LARS with momentum 0.9, the trust ratio on the weight matrices only.
        lamb: LAMB.

    Iterating gives the four in this order.
    """

    sgd: LinearScalingRuns
    adam: LinearScalingRuns
    lars: LinearScalingRuns
    lamb: LinearScalingRuns


_DEFAULT_ALPHAS = tuple(BASE_LEARNING_RATES[name] for name in NAMES)


def large_batch_comparison(base_learning_rates=_DEFAULT_ALPHAS) -> LargeBatchRuns:
    """All four optimizers over :data:`BATCH_SIZES` with α₀ in the order sgd, adam, lars, lamb.

    Each of the 16 runs is remembered (:func:`~lab.ch6_wrappers.digits_runs.run`),
    so the figure and the widget at its initial values share them.
    """
    alphas = tuple(float(a) for a in base_learning_rates)
    settings = tuple((n, a, 1.0) for n, a in zip(NAMES, alphas, strict=True))
    return LargeBatchRuns(*all_runs(settings, BATCH_SIZES))


def large_batch_figure(runs: LargeBatchRuns) -> Figure:
    """Validation accuracy after :data:`BATCH_STEPS` steps against B, α scaled linearly.

    Draws section "An experiment, and its limits" (figure ``wrap-fig-large-batch``).
    """
    fig, ax = plot.figure(ncols=1, width=6.0, height=3.4)
    for i, run in enumerate(runs):
        ax.plot(
            run.batch_sizes,
            run.accuracy,
            "o-",
            color=plot.color(i),
            lw=1.6,
            label=f"{LABELS[run.name]} (α₀ = {run.base_learning_rate:g})",
        )
    ax.set_xscale("log", base=2)
    ax.set_xticks(BATCH_SIZES, [str(b) for b in BATCH_SIZES])
    ax.set_ylim(0, 1.02)
    ax.axhline(0.1, color="0.6", lw=0.8, ls=":")
    ax.set_xlabel(f"batch size B (α = α₀ B / {BASE_BATCH})")
    ax.set_ylabel("validation accuracy")
    ax.set_title(f"digits MLP after {BATCH_STEPS} steps, linear scaling rule", fontsize=10)
    ax.legend(fontsize=8, loc="lower left")
    return fig


class BatchCurve(NamedTuple):
    """One optimizer's digits run at one batch size.

    Fields:
        name: the optimizer, one of :data:`NAMES`.
        learning_rate: α = α₀ B / B₀ of the run.
        losses: the mini-batch loss at each of the :data:`BATCH_STEPS` steps.
        accuracy: the validation accuracy after the last step.
    """

    name: str
    learning_rate: float
    losses: np.ndarray
    accuracy: float


class BatchCurves(NamedTuple):
    """What the large-batch widget shows: every chosen optimizer's run at one batch size.

    Fields:
        batch_size: B, one of :data:`BATCH_SIZES`.
        curves: one :class:`BatchCurve` per optimizer shown.
    """

    batch_size: int
    curves: tuple[BatchCurve, ...]


def batch_curves(log2_batch: float, base_learning_rates, names=NAMES) -> BatchCurves:
    """The runs of ``names`` at B = the element of :data:`BATCH_SIZES` nearest 2^``log2_batch``.

    ``base_learning_rates`` are α₀ of all four :data:`NAMES`, in that order.
    """
    batch = int(2 ** round(float(log2_batch)))
    if batch not in BATCH_SIZES:
        batch = min(BATCH_SIZES, key=lambda b: abs(b - batch))
    alphas = dict(zip(NAMES, base_learning_rates, strict=True))
    curves = []
    for name in names:
        rate = scaled_learning_rate(float(alphas[name]), batch)
        one = digits_runs.run(
            name, rate, batch
        )  # remembered: only a run whose α₀ or B is new is computed
        curves.append(BatchCurve(name, rate, one.losses, one.accuracy))
    return BatchCurves(batch, tuple(curves))


class LargeBatchPanels(plot.Panels):
    """Training curves at one batch size: one loss line per optimizer, legend and title move."""

    def __init__(self):
        self.figure, self.ax = plot.figure(ncols=1, width=6.4, height=3.4)
        self.ax.set_yscale("log")
        self.ax.set_xlim(0, BATCH_STEPS)
        self.ax.set_ylim(1e-3, 30)
        self.ax.set_xlabel("step t")
        self.ax.set_ylabel("mini-batch loss (clipped at 30)")

    def create(self, result: BatchCurves) -> None:
        self.lines = [
            self.ax.plot([], [], color=plot.color(i), lw=1.3)[0] for i in range(len(result.curves))
        ]
        self.title = self.ax.set_title("", fontsize=10)
        self.message = plot.message_box(self.ax, "")
        self.legend = self.ax.legend(
            self.lines, self._labels(result), fontsize=8, loc="center right", framealpha=0.9
        )

    @staticmethod
    def _labels(result: BatchCurves) -> list[str]:
        return [
            f"{LABELS[curve.name]}: α = {curve.learning_rate:.3g}, val. acc. {curve.accuracy:.2f}"
            for curve in result.curves
        ]

    def update(self, result: BatchCurves) -> None:
        t = np.arange(1, BATCH_STEPS + 1)
        for line, curve in zip(self.lines, result.curves, strict=True):
            shown = np.where(np.isfinite(curve.losses), np.clip(curve.losses, 1e-3, 30), 30)
            line.set_data(t, shown)
        plot.relabel_legend(self.legend, self._labels(result))
        # a run that ends above the plot (or overflows) has diverged: say so, not just clip it
        diverged = [
            LABELS[c.name]
            for c in result.curves
            if not np.isfinite(c.losses[-1]) or c.losses[-1] > 30
        ]
        self.message.set_text(f"diverged: {', '.join(diverged)}" if diverged else "")
        self.title.set_text(f"B = {result.batch_size}, α = α₀ · {result.batch_size}/{BASE_BATCH}")


def large_batch_widget(names=NAMES, frames: int | None = 9) -> widgets.Interactive:
    """Training curves of the four optimizers at one batch size, with α₀ sliders.

    Shown in section "An experiment, and its limits".  Controls: ``log2_batch``
    (log₂ B, from 3 to 9) and one log slider per optimizer for α₀ (at B₀ = 8).
    A move computes only the runs it has not seen (one for an α₀ slider, at most four
    for B) with the one compiled :func:`~lab.ch6_wrappers.digits_runs.train`; B and α
    are data.  The site explores log₂ B (``frames`` values; ``None``: no
    static explorer).
    """
    panels = LargeBatchPanels()

    def compute(log2_batch, **alphas):
        chosen = tuple(float(alphas.get(f"alpha_{n}", BASE_LEARNING_RATES[n])) for n in NAMES)
        return batch_curves(log2_batch, chosen, names)

    controls = {"log2_batch": widgets.slider("log₂ B", 9.0, 3.0, 9.0, 2.0)}
    for name in names:
        value = BASE_LEARNING_RATES[name]
        exponent = math.floor(math.log10(value))
        controls[f"alpha_{name}"] = widgets.log_slider(
            f"α₀ {LABELS[name]}", value, exponent - 1, exponent + 2
        )
    widget = widgets.interactive(compute, panels.draw, controls, panels.figure, static="log2_batch")
    widget.panels = panels
    widget.frames = frames
    return widget
