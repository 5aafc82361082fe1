"""Comparing them all: any subset of the chapter's methods on any landscape, each with its α."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import NamedTuple

import ipywidgets
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.text import Text

from lab import blitting, plot, widgets
from lab.ch5_adaptive.landscapes import (
    LANDSCAPES,
    LEARNING_RATES,
    METHODS,
    STEPS,
    landscape,
    run_on_landscape,
)
from lab.trajectory import Trajectory
from optimizers.validation import as_whole

__all__ = [
    "COMPARED",
    "SLIDER_LEARNING_RATES",
    "ComparisonPanels",
    "ComparisonRuns",
    "RunArtists",
    "StabilityEdge",
    "comparison_widget",
    "stability_edge",
]

COMPARED = tuple(name for name in METHODS if name != "adam_no_correction")
"""The methods the comparison widget offers (every optimizer of the chapter, SGD and momentum)."""


class ComparisonRuns(NamedTuple):
    """What the comparison widget shows.

    Attributes:
        where: the landscape (one of :data:`~lab.ch5_adaptive.landscapes.LANDSCAPES`).
        runs: label such as ``"Adam (α = 0.1)"`` → the method's run of
            :data:`~lab.ch5_adaptive.landscapes.STEPS` steps, in the order of the menu.
        methods: the methods' names (``"adam"``), in the order of ``runs``.
    """

    where: str
    runs: dict[str, Trajectory]
    methods: tuple[str, ...]


class RunArtists(NamedTuple):
    """The artists of one run in the comparison: its path, its loss curve, its divergence text."""

    path: plot.TrajectoryArtists
    curve: Line2D
    message: Text


class ComparisonPanels(plot.Panels):
    """The figure of "Comparing them all": contours and paths beside the loss curves.

    A new landscape redraws the contours; a new choice of methods replaces the
    lines; a new learning rate only moves existing lines and relabels them.

    Attributes:
        plane: the contour axes; losses: the loss-curve axes.
        where: the landscape drawn.
        methods: the methods drawn, in order.
        artists: label → the :class:`RunArtists` of that run.
    """

    def __init__(self):
        self.figure, (self.plane, self.losses) = plot.figure(ncols=2, width=4.4, height=3.7)
        self.where: str | None = None
        self.methods: tuple[str, ...] = ()
        self.artists: dict[str, RunArtists] = {}
        self.losses.set_title("L(θ_t) − L_min", fontsize=10)
        self.losses.set_xlabel("step t")
        self.losses.set_yscale("log")
        self.losses.set_xlim(0, STEPS)

    def _set_landscape(self, where: str) -> None:
        self._remove_runs()
        self.plane.clear()
        plot.contour(self.plane, landscape(where))
        self.plane.set_title(where, fontsize=10)
        blitting.add_still(self.figure, self.plane.get_children())  # the landscape stays put
        self.where = where

    def _remove_runs(self) -> None:
        for artists in self.artists.values():
            for artist in (artists.path.path, artists.path.end, artists.curve, artists.message):
                if artist.axes is not None:
                    artist.remove()
        self.artists, self.methods = {}, ()

    def _add_runs(self, result: ComparisonRuns) -> None:
        self._remove_runs()
        self.methods = result.methods
        for row, (label, run) in enumerate(result.runs.items()):
            color = plot.color(row)
            self.artists[label] = RunArtists(
                path=plot.trajectory_line(self.plane, run, label, color),
                curve=self.losses.plot([], [], color=color, lw=1.5, label=label)[0],
                message=plot.divergence_message(self.plane, run, label, color=color, row=row),
            )
        legend = self.losses.get_legend()
        if legend is not None:
            legend.remove()
        if result.runs:
            self.losses.legend(fontsize=8, loc="lower left", framealpha=0.9)

    def _relabel_runs(self, labels: list[str]) -> None:
        """New labels (new learning rates) for the runs drawn: same artists, new texts."""
        self.artists = dict(zip(labels, self.artists.values(), strict=True))
        for label, artists in self.artists.items():
            artists.path.path.set_label(label)
            artists.curve.set_label(label)
        plot.relabel_legend(self.losses.get_legend(), labels)

    def create(self, result: ComparisonRuns) -> None:
        self._set_landscape(result.where)
        self._add_runs(result)

    def update(self, result: ComparisonRuns) -> None:
        if result.where != self.where:
            self._set_landscape(result.where)
        if result.methods != self.methods:
            self._add_runs(result)
        elif list(result.runs) != list(self.artists):
            self._relabel_runs(list(result.runs))
        min_value = landscape(result.where).min_value
        for label, run in result.runs.items():
            artists = self.artists[label]
            plot.update_trajectory_line(artists.path, run)
            plot.update_loss_curve(artists.curve, run, min_value)
            plot.update_divergence_message(artists.message, run, label)
        if result.runs:
            plot.set_loss_axis_limits(self.losses, [a.curve for a in self.artists.values()])


def _label(name: str) -> str:
    return METHODS[name][0]


SLIDER_LEARNING_RATES = 10.0 ** np.linspace(-4, 1, 101)
"""The α an α slider of the comparison widget can show: 10⁻⁴ … 10 in steps of 10^0.05."""


class StabilityEdge(NamedTuple):
    """Where a method's runs on a landscape start to diverge, over a grid of α.

    Attributes:
        stable: the largest α of the grid whose run did not diverge.
        diverges: the next α of the grid, the first whose run diverged.
        step: the step at which that run diverged.
        monotone: whether every α below ``diverges`` is stable and every one from it on is not.
    """

    stable: float
    diverges: float
    step: int
    monotone: bool


def stability_edge(name: str, where: str, learning_rates=SLIDER_LEARNING_RATES) -> StabilityEdge:
    """The :class:`StabilityEdge` of method ``name`` on landscape ``where`` (α increasing)."""
    steps = [run_on_landscape(name, where, float(a)).diverged_at for a in learning_rates]
    first = next((i for i, step in enumerate(steps) if step is not None), None)
    if first is None or first == 0:
        raise ValueError(f"{name} on {where}: the grid of α must start stable and end diverging")
    monotone = all(s is None for s in steps[:first]) and all(s is not None for s in steps[first:])
    return StabilityEdge(
        float(learning_rates[first - 1]), float(learning_rates[first]), steps[first], monotone
    )


def _alpha_sliders() -> dict[str, ipywidgets.FloatLogSlider]:
    """``alpha_<name>`` → a log slider for each method's α, from its :data:`LEARNING_RATES`."""
    sliders = {}
    for name in COMPARED:
        slider = widgets.log_slider(f"α {_label(name)}", LEARNING_RATES[name], -4, 1)
        slider.layout.width = "330px"
        slider.style.description_width = "120px"
        sliders[f"alpha_{name}"] = slider
    return sliders


def _check_choice(methods: Sequence[str], where: str) -> None:
    for name in methods:
        if name not in COMPARED:
            raise ValueError(f"methods must be among {', '.join(COMPARED)}; got {name!r}")
    if where not in LANDSCAPES:
        raise ValueError(f"where must be one of {', '.join(LANDSCAPES)}; got {where!r}")


def _choice_controls(
    methods: Sequence[str], where: str
) -> tuple[ipywidgets.SelectMultiple, ipywidgets.Dropdown]:
    """The menu of methods (several may be chosen) and the landscape's drop-down."""
    chooser = ipywidgets.SelectMultiple(
        options=[(_label(n), n) for n in COMPARED], value=tuple(methods), rows=7,
        description="methods", style={"description_width": "70px"},
        layout={"width": "260px"},
    )  # fmt: skip
    dropdown = ipywidgets.Dropdown(
        options=list(LANDSCAPES), value=where, description="landscape",
        style={"description_width": "70px"}, layout={"width": "320px"},
    )  # fmt: skip
    return chooser, dropdown


def comparison_widget(
    methods: Sequence[str] = ("sgd", "adagrad", "rmsprop", "adam"),
    where: str = "Rosenbrock",
    static: str = "alpha_adam",
    frames: int | None = 9,
) -> widgets.Interactive:
    """The section "Comparing them all": any subset of the methods on any landscape.

    Controls: ``methods`` (a multiple selection), ``where`` (the landscape) and
    ``alpha_<name>`` (a log slider per method, from :data:`LEARNING_RATES`; the
    sliders of unselected methods are hidden).  Every run is
    :func:`~lab.ch5_adaptive.landscapes.run_on_landscape`, as in the figures: a
    method compiles once, at its first run; landscapes and learning rates are
    data.  The rendered site explores ``static`` over ``frames`` values (9 over
    α's five decades), computed when a site build displays it; ``None``: no explorer.
    The widget's ``panels`` is its :class:`ComparisonPanels`.
    """
    _check_choice(methods, where)
    chooser, dropdown = _choice_controls(methods, where)
    sliders = _alpha_sliders()
    panels = ComparisonPanels()

    # a slider move changes one method's α: the other runs are remembered, not redone
    remembered_run = functools.lru_cache(maxsize=256)(run_on_landscape)

    def compute(methods, where, **alphas) -> ComparisonRuns:
        runs = {}
        for name in methods:
            alpha = float(alphas[f"alpha_{name}"])
            runs[f"{_label(name)} (α = {alpha:.3g})"] = remembered_run(name, where, alpha)
        return ComparisonRuns(where, runs, tuple(methods))

    def show_chosen_sliders(change=None) -> None:
        for name in COMPARED:
            shown = name in chooser.value
            sliders[f"alpha_{name}"].layout.display = None if shown else "none"

    controls = {"methods": chooser, "where": dropdown, **sliders}
    widget = widgets.interactive(compute, panels.draw, controls, panels.figure, static=static)
    chooser.observe(show_chosen_sliders, names="value")
    show_chosen_sliders()
    grid = ipywidgets.GridBox(
        list(sliders.values()), layout={"grid_template_columns": "repeat(2, 340px)"}
    )
    widget.widget.children = (ipywidgets.HBox([chooser, dropdown]), grid, widget.output)
    widget.panels = panels
    widget.frames = None if frames is None else as_whole(frames, "frames", 2)
    return widget
