"""AdamW: L2 regularisation against decoupled weight decay, on a landscape and on the digits MLP."""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import numpy as np
from matplotlib.figure import Figure

from lab import data, nn, plot, registry
from lab.ch5_adaptive.landscapes import STEPS, landscape
from lab.ch5_adaptive.recording import lockstep_paths

__all__ = [
    "DIGITS_BATCH",
    "DIGITS_SIZES",
    "DIGITS_STEPS",
    "DigitsWeightDecay",
    "L2VersusDecoupled",
    "weight_decay_digits",
    "weight_decay_digits_figure",
    "weight_decay_identity",
]


class L2VersusDecoupled(NamedTuple):
    """How far the L2-regularised path is from the decoupled-decay path, for SGD and for Adam.

    Attributes:
        sgd: the largest coordinate difference of SGD + L2 (:func:`lab.registry.sgd_l2`)
            and SGD with decoupled decay (:func:`lab.registry.sgd_decoupled_weight_decay`).
        adam: the same for Adam + L2 (:func:`lab.registry.adam_l2`) and AdamW.
        learning_rate: α.
        weight_decay: λ_wd.
        steps: the steps of each path.
    """

    sgd: float
    adam: float
    learning_rate: float
    weight_decay: float
    steps: int


def weight_decay_identity(
    learning_rate: float = 0.01,
    weight_decay: float = 0.1,
    where: str = "ill-conditioned paraboloid",
) -> L2VersusDecoupled:
    """L2 regularisation against decoupled weight decay, for SGD and for Adam.

    Runs :data:`~lab.ch5_adaptive.landscapes.STEPS` steps of each pair on a landscape
    (with :func:`~lab.ch5_adaptive.recording.lockstep_paths`): the SGD paths agree up
    to round-off, the Adam paths clearly do not.
    """
    factories = (
        registry.sgd_l2, registry.sgd_decoupled_weight_decay,
        registry.adam_l2, registry.OPTIMIZERS["adamw"],
    )  # fmt: skip
    sgd_a, sgd_b, adam_a, adam_b = lockstep_paths(
        factories, landscape(where), learning_rate=learning_rate, weight_decay=weight_decay
    )
    return L2VersusDecoupled(
        sgd=float(np.max(np.abs(sgd_a - sgd_b))),
        adam=float(np.max(np.abs(adam_a - adam_b))),
        learning_rate=learning_rate,
        weight_decay=weight_decay,
        steps=STEPS,
    )


DIGITS_SIZES = (64, 32, 10)
"""The MLP's layer sizes: 8 × 8 pixels, 32 hidden units, 10 digits."""
DIGITS_STEPS = 300
"""Training steps of each digits run."""
DIGITS_BATCH = 64
"""Examples per mini-batch of each digits run."""


@functools.cache
def _digits_setup():
    """The digits data, the initial MLP (64–32–10) and which input pixels are always blank."""
    digits = data.digits()
    params = nn.init_mlp_numpy(DIGITS_SIZES)
    blank = np.all(np.asarray(digits.x_train) == 0, axis=0)
    return digits, params, blank


def _train_digits(**hyper) -> nn.TrainingResult:
    """:func:`lab.registry.adam_weight_decay` on the digits: one compiled training program."""
    digits, params, _ = _digits_setup()
    hyper = {k: float(v) for k, v in hyper.items()}
    return nn.train(
        registry.adam_weight_decay, params, digits, DIGITS_STEPS, DIGITS_BATCH,
        jax.random.PRNGKey(1), **hyper,
    )  # fmt: skip


class DigitsWeightDecay(NamedTuple):
    """Adam + L2 against AdamW on the digits MLP: the first layer's weights after training.

    Norms are of the first layer's weights, split into those from the input pixels
    that are blank in every training image and those from the other pixels, each
    divided by the same norm after a run without decay.

    Attributes:
        blank_pixels: how many input pixels are blank in every training image.
        steps: training steps.
        learning_rate: α.
        weight_decay: λ_wd.
        predicted_adamw_blank: (1 − αλ_wd)^steps, AdamW's shrink of the blank weights.
        no_decay_accuracy: validation accuracy without decay.
        no_decay_blank_change: the largest change of a blank weight without decay (0: no gradient).
        adam_l2_blank, adam_l2_other: Adam + L2's norm ratios (blank, other pixels).
        adam_l2_accuracy: Adam + L2's validation accuracy.
        adamw_blank, adamw_other, adamw_accuracy: AdamW's, likewise.
    """

    blank_pixels: int
    steps: int
    learning_rate: float
    weight_decay: float
    predicted_adamw_blank: float
    no_decay_accuracy: float
    no_decay_blank_change: float
    adam_l2_blank: float
    adam_l2_other: float
    adam_l2_accuracy: float
    adamw_blank: float
    adamw_other: float
    adamw_accuracy: float


def _first_layer(params) -> np.ndarray:
    return np.asarray(params[0]["w"], np.float64)


def weight_decay_digits(
    learning_rate: float = 0.01, weight_decay: float = 0.01
) -> DigitsWeightDecay:
    """Adam + L2 against AdamW on the digits MLP: what the decay does to each weight.

    The first layer's weights from pixels that are blank in every image get no
    gradient from the data, only the decay.  AdamW shrinks them by exactly
    (1 − αλ_wd) per step; Adam + L2 divides their decay gradient λ_wd θ by its own
    root mean square and takes full steps of about α, wiping them out.  All three
    runs (and the reference without decay) are :func:`lab.registry.adam_weight_decay`.
    """
    _, params, blank = _digits_setup()
    hyper = {"learning_rate": learning_rate, "weight_decay": weight_decay}
    l2 = _train_digits(**hyper, decoupled=0.0)
    adamw = _train_digits(**hyper, decoupled=1.0)
    free = _train_digits(**{**hyper, "weight_decay": 0.0}, decoupled=1.0)
    w_free, w_init = _first_layer(free.params), _first_layer(params)

    def ratio(run, pixels) -> float:
        w = _first_layer(run.params)
        return float(np.linalg.norm(w[pixels]) / np.linalg.norm(w_free[pixels]))

    return DigitsWeightDecay(
        blank_pixels=int(blank.sum()),
        steps=DIGITS_STEPS,
        learning_rate=learning_rate,
        weight_decay=weight_decay,
        predicted_adamw_blank=(1 - learning_rate * weight_decay) ** DIGITS_STEPS,
        no_decay_accuracy=free.val_accuracy,
        no_decay_blank_change=float(np.max(np.abs(w_free[blank] - w_init[blank]))),
        adam_l2_blank=ratio(l2, blank),
        adam_l2_other=ratio(l2, ~blank),
        adam_l2_accuracy=l2.val_accuracy,
        adamw_blank=ratio(adamw, blank),
        adamw_other=ratio(adamw, ~blank),
        adamw_accuracy=adamw.val_accuracy,
    )


def weight_decay_digits_figure(result: DigitsWeightDecay) -> Figure:
    """The section "AdamW: decoupled weight decay": first-layer norms under Adam + L2 and AdamW.

    Bars: the norm of the weights from the blank pixels and from the other pixels,
    divided by the norm after the same run without decay; the dotted line is
    AdamW's predicted (1 − αλ_wd)^T.
    """
    fig, ax = plot.figure(ncols=1, width=6.0, height=3.2)
    groups = ("weights from the blank pixels", "weights from the other pixels")
    x = np.arange(len(groups))
    bars = {
        "Adam + L2": (result.adam_l2_blank, result.adam_l2_other),
        "AdamW": (result.adamw_blank, result.adamw_other),
    }
    for i, (label, ratios) in enumerate(bars.items()):
        drawn = ax.bar(x + (i - 0.5) * 0.36, ratios, 0.34, color=plot.color(i), label=label)
        ax.bar_label(drawn, [f"{r:.2g}" for r in ratios], fontsize=9, padding=2)
    predicted = result.predicted_adamw_blank
    ax.axhline(
        predicted, color="0.3", lw=0.8, ls=":",
        label=f"(1 − αλ_wd)^{result.steps} = {predicted:.3g}",
    )  # fmt: skip
    ax.set_xticks(x, groups)
    ax.set_ylim(0, 1.3)
    ax.set_ylabel("norm ÷ norm without decay")
    ax.set_title(
        f"first-layer weights after {result.steps} steps, α = {result.learning_rate:g}, "
        f"λ_wd = {result.weight_decay:g}", fontsize=10,
    )  # fmt: skip
    ax.legend(fontsize=9, loc="upper left", ncols=3)
    return fig
