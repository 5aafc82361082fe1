"""Figures that look alike in every chapter: contours, trajectories, loss curves.

The functions draw on a given matplotlib ``Axes`` and return the artists they
create, so that a widget can later move them (``update_*``) instead of
drawing a new figure.  Two rules keep diverging runs harmless:

* the contour axes are fixed to the problem's bounds, so a run that flies
  off never rescales the picture (lines are clipped at the frame);
* after a divergence a :class:`~lab.trajectory.Trajectory` holds NaN,
  which simply ends a line; no function here warns about NaN or inf.

Figures have explicit white backgrounds so they stay readable in a dark theme.
They are ``NotebookFigure`` objects on an Agg canvas, not pyplot figures:
a notebook shows one where it is the last expression of a cell, never a second
time at the end of the cell as pyplot's inline backend would.
"""

from __future__ import annotations

import base64
import io
from typing import NamedTuple

import numpy as np
import PIL.Image
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.text import Text
from matplotlib.ticker import NullLocator

from lab import blitting
from lab.problems import Problem
from lab.trajectory import Trajectory

__all__ = [
    "COLORS",
    "LOSS_CEILING",
    "LOSS_FLOOR",
    "NotebookFigure",
    "Panels",
    "TrajectoryArtists",
    "color",
    "contour",
    "divergence_message",
    "divergence_text",
    "figure",
    "loss_curve",
    "loss_values",
    "message_box",
    "png_base64",
    "png_bytes",
    "relabel_legend",
    "set_limits",
    "set_loss_axis_limits",
    "trajectory_line",
    "update_divergence_message",
    "update_loss_curve",
    "update_trajectory_line",
]

COLORS = (
    "#d62728",  # red
    "#1f77b4",  # blue
    "#ff7f0e",  # orange
    "#2ca02c",  # green
    "#9467bd",  # purple
    "#8c564b",  # brown
    "#e377c2",  # pink
    "#17becf",  # cyan
    "#7f7f7f",  # grey
    "#bcbd22",  # olive
)
"""The colours of the first, second, … run in a figure; red comes first, as it stands out on the contours."""

LOSS_FLOOR = 1e-12
"""Loss-curve values below this (L − L_min of 0, or float32 round-off) are drawn at it."""

BACKGROUND = "white"


def color(index: int) -> str:
    """The colour of the ``index``-th run in a figure."""
    return COLORS[index % len(COLORS)]


# --------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------


class NotebookFigure(Figure):
    """A matplotlib figure that shows itself as a PNG in a notebook (``_repr_png_``).

    It is not registered with pyplot, so the inline backend never shows it a
    second time at the end of a cell; put ``fig`` on a cell's last line to
    display it.
    """

    def _repr_png_(self) -> bytes:
        return png_bytes(self)


def figure(ncols: int = 2, nrows: int = 1, width: float = 4.6, height: float = 3.8, dpi=100):
    """A white figure with ``nrows × ncols`` axes, each ``width × height`` inches.

    Returns ``(fig, axes)``: a single ``Axes`` for one panel, else a flat list.
    ``fig`` on the last line of a notebook cell shows the figure.
    """
    for name, value in (("ncols", ncols), ("nrows", nrows)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
    fig = NotebookFigure(
        figsize=(width * ncols, height * nrows),
        dpi=dpi,
        facecolor=BACKGROUND,
        layout="constrained",
    )
    FigureCanvasAgg(fig)  # render with Agg (see png_bytes), whatever the notebook's backend
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel().tolist()
    for ax in axes:
        ax.set_facecolor(BACKGROUND)
    return fig, axes[0] if len(axes) == 1 else axes


class Panels:
    """A figure that a widget redraws: its moving artists are made once, then only moved.

    The one way the book builds a figure that updates.  A subclass

    * makes the figure and everything that never moves (axes, contours, titles that
      stay) in ``__init__``, and sets ``self.figure``;
    * makes the artists that move in ``create(result)``, called with the first result
      (many artists need a first result to know how many lines, which labels …);
    * moves them in ``update(result)``, called for every result, the first included.

    ``draw(result)`` is what :func:`lab.widgets.interactive` calls on every slider move::

        class LossPanels(plot.Panels):
            def __init__(self):
                self.figure, self.ax = plot.figure(ncols=1)

            def create(self, run):
                self.line = plot.loss_curve(self.ax, run)

            def update(self, run):
                plot.update_loss_curve(self.line, run)

        panels = LossPanels()
        widgets.interactive(compute, panels.draw, controls, panels.figure)
    """

    figure: Figure
    _created: bool = False

    def create(self, result) -> None:
        """Make the artists that move, for the first ``result`` (default: none)."""

    def update(self, result) -> None:
        """Move the artists to show ``result``."""
        raise NotImplementedError(f"{type(self).__name__} must define update(result)")

    def draw(self, result) -> None:
        """Show ``result``: make the moving artists at the first call, then move them.

        What ``create`` made becomes the figure's moving layer (:mod:`lab.blitting`), and
        so does a text that ``update`` changes (a title that shows a value): a later
        picture repaints only that layer, unless something else changed too.
        """
        if not self._created:
            blitting.set_still(self.figure, blitting.artists(self.figure))
            self.create(result)
            self._created = True
        texts = [a for a in blitting.still_artists(self.figure) if isinstance(a, Text)]
        for text in texts:
            text.stale = False  # drawn as it is: set_text marks it stale if it changes
        self.update(result)
        blitting.set_moving(self.figure, [text for text in texts if text.stale])


def png_bytes(fig: Figure, compress_level: int = 1) -> bytes:
    """Render ``fig`` to PNG at its own dpi, e.g. for an ``IPython.display.Image``.

    Draws on the figure's Agg canvas and encodes the pixels with Pillow; a
    low ``compress_level`` (0–9) trades a few percent of size for speed
    (about 8 ms instead of 12 ms for a two-panel figure).
    """
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    blitting.paint(fig)
    pixels = PIL.Image.fromarray(np.asarray(fig.canvas.buffer_rgba())).convert("RGB")
    buffer = io.BytesIO()
    pixels.save(buffer, format="png", compress_level=compress_level)
    return buffer.getvalue()


def png_base64(fig: Figure) -> str:
    """:func:`png_bytes`, base64-encoded as notebooks store images."""
    return base64.b64encode(png_bytes(fig)).decode("ascii")


# --------------------------------------------------------------------------
# Contours of a 2-D loss
# --------------------------------------------------------------------------


def _contour_field(Z: np.ndarray, min_value: float | None, log_levels: bool) -> np.ndarray:
    """What the contours are drawn of: the loss, or log₁₀ of its gap above the minimum.

    On the log scale, evenly spaced levels of ``log₁₀(L − L_min)`` are dense
    near the minimum, where an optimizer spends most of its steps.  Gaps
    below a millionth of the largest are clipped (no log of zero, no warning).
    """
    finite = np.isfinite(Z)
    lowest = float(Z[finite].min())
    if not log_levels:
        return np.where(finite, Z, np.nan)
    low = lowest if min_value is None else min(float(min_value), lowest)
    gaps = np.where(finite, Z - low, np.nan)
    high = float(np.nanmax(gaps))
    floor = high * 1e-6 if high > 0 else 1.0
    return np.log10(np.maximum(np.where(finite, gaps, high), floor))


def contour(
    ax: Axes,
    problem: Problem,
    levels: int = 25,
    log_levels: bool = True,
    filled: bool = True,
    resolution: int = 200,
    cmap: str = "viridis",
    equal_aspect: bool = True,
):
    """Contours of ``problem``'s loss over its bounds, with the known minima marked (★).

    With ``log_levels`` the levels are evenly spaced in log₁₀(L − L_min).
    Fixes the axes limits to ``problem.bounds`` and turns autoscaling off, so
    trajectories drawn later never rescale the picture.  Returns the
    ``ContourSet``.
    """
    if not isinstance(problem, Problem):
        raise TypeError(f"problem must be a Problem, got {type(problem).__name__}")
    if isinstance(levels, bool) or not isinstance(levels, int) or levels < 2:
        raise ValueError(f"levels must be a whole number >= 2, got {levels!r}")
    xs, ys, Z = problem.loss_grid(resolution)
    field = _contour_field(Z, problem.min_value, log_levels)
    spread = float(np.nanmax(field) - np.nanmin(field)) or 1.0
    values = np.linspace(np.nanmin(field), np.nanmin(field) + spread, levels)
    if filled:
        contours = ax.contourf(xs, ys, field, levels=values, cmap=cmap, alpha=0.9)
        ax.contour(xs, ys, field, levels=values, colors="white", linewidths=0.3, alpha=0.6)
    else:
        contours = ax.contour(xs, ys, field, levels=values, cmap=cmap, linewidths=0.8)
    for point in problem.minima:
        ax.plot(*point[:2], marker="*", markersize=13, color="white", markeredgecolor="black")
    (x_min, x_max), (y_min, y_max) = problem.bounds
    ax.set_xlim(x_min, x_max)
    ax.set_ylim(y_min, y_max)
    ax.set_autoscale_on(False)
    if equal_aspect:
        ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel("θ₁")
    ax.set_ylabel("θ₂")
    ax.set_title(problem.name)
    return contours


# --------------------------------------------------------------------------
# Trajectories in the plane
# --------------------------------------------------------------------------


class TrajectoryArtists(NamedTuple):
    """The artists of one run in the plane: the path θ₀, θ₁, … and its last point."""

    path: Line2D
    end: Line2D


def _path_points(traj: Trajectory) -> np.ndarray:
    points = np.asarray(traj.params, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] < 2:
        raise ValueError(
            f"traj must be a run of a 2-D problem (params of shape (steps + 1, 2)), "
            f"got params of shape {points.shape}"
        )
    return points[:, :2]


def _last_finite(points: np.ndarray) -> np.ndarray:
    finite = np.all(np.isfinite(points), axis=1)
    if not finite.any():
        return np.full((1, 2), np.nan)
    return points[np.flatnonzero(finite)[-1]][None]


def trajectory_line(
    ax: Axes, traj: Trajectory, label: str | None = None, color: str | None = None
) -> TrajectoryArtists:
    """Draw the path θ₀ → θ₁ → … of a 2-D run; returns its artists.

    The start is the first dot; a ring marks where the run ended (its last
    finite point).  NaNs after a divergence simply end the line.  Move the artists
    to a new run with :func:`update_trajectory_line`.
    """
    points = _path_points(traj)
    color = COLORS[0] if color is None else color
    (path,) = ax.plot(
        points[:, 0], points[:, 1], "-o", color=color, label=label,
        markersize=2.5, linewidth=1.4, scalex=False, scaley=False,
    )  # fmt: skip
    end_point = _last_finite(points)
    (end,) = ax.plot(
        end_point[:, 0], end_point[:, 1], "o", color=color, markerfacecolor="white",
        markeredgewidth=2, markersize=7, scalex=False, scaley=False,
    )  # fmt: skip
    return TrajectoryArtists(path, end)


def update_trajectory_line(artists: TrajectoryArtists, traj: Trajectory) -> None:
    """Move existing path artists to a new run (``set_data``, no new artists)."""
    points = _path_points(traj)
    artists.path.set_data(points[:, 0], points[:, 1])
    end_point = _last_finite(points)
    artists.end.set_data(end_point[:, 0], end_point[:, 1])


# --------------------------------------------------------------------------
# Loss curves
# --------------------------------------------------------------------------


def loss_values(traj: Trajectory, min_value: float | None = None) -> np.ndarray:
    """What a loss curve shows: ``L(θ_t) − L_min`` (or L(θ_t)), floored at :data:`LOSS_FLOOR`.

    NaN (after a divergence) stays NaN, which ends the curve; nothing warns.
    """
    losses = np.asarray(traj.losses, dtype=np.float64)
    if min_value is not None:
        losses = losses - float(min_value)
    finite = np.isfinite(losses)
    return np.where(finite, np.maximum(np.where(finite, losses, 1.0), LOSS_FLOOR), np.nan)


def loss_curve(
    ax: Axes,
    traj: Trajectory,
    label: str | None = None,
    color: str | None = None,
    min_value: float | None = None,
) -> Line2D:
    """Plot the loss of each step on a log scale; returns the line.

    With ``min_value`` = L_min known (``problem.min_value``) the curve is the
    gap ``L(θ_t) − L_min``, whose slope on a log scale is the convergence
    rate.  Without it the raw loss is drawn, on a linear scale if it is ever
    ≤ 0.
    """
    values = loss_values(traj, min_value)
    raw = np.asarray(traj.losses, dtype=np.float64)
    log_scale = min_value is not None or not np.any(raw[np.isfinite(raw)] <= 0)
    if not log_scale:
        values = np.where(np.isfinite(raw), raw, np.nan)
    (line,) = ax.plot(np.arange(values.size), values, color=color, label=label, linewidth=1.6)
    ax.set_yscale("log" if log_scale else "linear")
    ax.yaxis.set_minor_locator(NullLocator())  # decades only: clearer, and redraws 15 ms faster
    ax.set_xlabel("step t")
    ax.set_ylabel("L(θ_t) − L_min" if min_value is not None else "L(θ_t)")
    ax.set_xlim(0, values.size - 1)
    return line


def update_loss_curve(line: Line2D, traj: Trajectory, min_value: float | None = None) -> None:
    """Give an existing loss curve the losses of a new run."""
    if line.axes is not None and line.axes.get_yscale() == "linear":
        values = np.asarray(traj.losses, dtype=np.float64)
    else:
        values = loss_values(traj, min_value)
    line.set_data(np.arange(values.size), values)


def set_limits(
    ax: Axes, x: tuple[float, float] | None = None, y: tuple[float, float] | None = None
) -> None:
    """Set the x and/or y range of ``ax``, only where it differs from the current one.

    matplotlib marks a figure stale on every ``set_xlim``/``set_ylim``, even to the range
    it already has, and a stale figure is repainted in full (:mod:`lab.blitting`); so a
    widget's ``update`` sets ranges through this.
    """
    for limits, current, setter in (
        (x, ax.get_xlim(), ax.set_xlim),
        (y, ax.get_ylim(), ax.set_ylim),
    ):
        if limits is not None and tuple(map(float, limits)) != tuple(map(float, current)):
            setter(*limits)


def set_loss_axis_limits(ax: Axes, lines: list[Line2D], margin: float = 1.5) -> None:
    """Fit the y-range of a loss axis to the finite values of ``lines``, and keep it steady.

    Called after :func:`update_loss_curve`; computes the limits itself (rather than
    ``relim``) so that NaN and huge values cannot produce warnings or a degenerate range.
    A log axis spans whole decades, so it always carries labelled ticks at both ends, and
    reaches at most :data:`LOSS_CEILING` times the highest starting loss: a diverging
    curve leaves through the top (its divergence message says where it ended).

    The range stays as it is while it holds every value and the values span at least a
    tenth of it (in decades on a log axis); a range that must change grows to hold the
    values when that still leaves them a tenth, and is fitted to them otherwise.  So a
    slider move mostly leaves the axis and its tick labels still: the eye compares one
    picture with the next, and the figure repaints only its curves (:mod:`lab.blitting`).
    """
    ys = [np.asarray(line.get_ydata(), np.float64) for line in lines]
    finite = [y[np.isfinite(y)] for y in ys]
    values = np.concatenate(finite) if finite else np.array([])
    if values.size == 0:
        return
    low, high = float(values.min()), float(values.max())
    log = ax.get_yscale() == "log"
    if log:
        starts = [float(y[0]) for y in finite if y.size]
        high = min(high, max(starts) * LOSS_CEILING)
        low, high = max(low, LOSS_FLOOR), max(high, LOSS_FLOOR)
        fitted = 10 ** np.floor(np.log10(low / margin)), 10 ** np.ceil(np.log10(high * margin))
    else:
        pad = 0.05 * (high - low) or 1.0
        fitted = low - pad, high + pad
    limits = _steady_range(ax, fitted, np.log10 if log else float)
    set_limits(ax, y=limits)
    setattr(ax, _FITTED, tuple(ax.get_ylim()))


LOSS_CEILING = 1e3
"""A log loss axis reaches at most this many times the highest starting loss."""

_FITTED = "_fitted_loss_range"  # the range set_loss_axis_limits gave an axis last


def _steady_range(ax: Axes, fitted: tuple[float, float], scale) -> tuple[float, float]:
    """The y-range to show ``fitted``: the axis's own if it serves, else grown, else ``fitted``."""
    current = ax.get_ylim()
    if getattr(ax, _FITTED, None) != tuple(current):  # never fitted, or set since by other code
        return fitted
    grown = min(current[0], fitted[0]), max(current[1], fitted[1])

    def width(limits):
        return scale(limits[1]) - scale(limits[0])

    return grown if width(fitted) >= width(grown) / 10 else fitted


def relabel_legend(legend: Legend, labels: list[str]) -> None:
    """Give a legend's entries new texts, in order, keeping the legend itself.

    A widget whose labels carry a slider's value (``"Adam (α = 0.01)"``) relabels its
    legend instead of making a new one, which would repaint the whole figure
    (:mod:`lab.blitting`); the legend's frame still fits the new texts.
    """
    texts = legend.get_texts()
    if len(labels) != len(texts):
        raise ValueError(f"labels must give one text per entry ({len(texts)}), got {len(labels)}")
    for text, label in zip(texts, labels, strict=True):
        text.stale_callback = _stale_legend(legend)  # a changed text is a changed legend
        text.set_text(label)


def _stale_legend(legend: Legend):
    """A stale callback that marks ``legend`` stale, as its own change would.

    matplotlib lets a legend's texts mark its axes stale directly, past a legend in a
    figure's moving layer (:mod:`lab.blitting`), which would force a full repaint.
    """

    def mark(artist, stale: bool) -> None:
        legend.stale = stale

    return mark


# --------------------------------------------------------------------------
# Divergence
# --------------------------------------------------------------------------


def divergence_text(traj: Trajectory, label: str | None = None) -> str:
    """``"diverged at step t"`` (prefixed with ``label``), or ``""`` for a healthy run."""
    if traj.diverged_at is None:
        return ""
    prefix = f"{label}: " if label else ""
    return f"{prefix}diverged at step {traj.diverged_at}"


def divergence_message(
    ax: Axes,
    traj: Trajectory,
    label: str | None = None,
    color: str = "#b00000",
    row: int = 0,
) -> Text:
    """A text box in the top-left corner of ``ax``: "diverged at step t", or empty.

    ``row`` stacks the messages of several runs.  Returns the ``Text`` artist
    (see :func:`update_divergence_message`), a :func:`message_box`.
    """
    return message_box(ax, divergence_text(traj, label), color, row)


def message_box(ax: Axes, text: str, color: str = "#b00000", row: int = 0) -> Text:
    """A boxed message in the top-left corner of ``ax`` (row ``row``), such as a divergence.

    It is clipped to the axes, inside which it sits, so that a widget's moves never need to
    repaint what lies outside them (titles, labels; see :mod:`lab.blitting`).
    """
    return ax.text(
        0.03, 0.97 - 0.09 * row, text,
        transform=ax.transAxes, ha="left", va="top", color=color, fontsize=10,
        fontweight="bold", bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": color},
        zorder=10, clip_on=True,
    )  # fmt: skip


def update_divergence_message(text: Text, traj: Trajectory, label: str | None = None) -> None:
    """Set the message for a new run (an empty text draws nothing, not even its box)."""
    text.set_text(divergence_text(traj, label))
