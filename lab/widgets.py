"""Sliders that rerun an experiment and redraw its figure: the book's widgets.

Two builders cover every chapter:

* :func:`explore` — contours with the optimizers' paths on the left, their
  loss curves on the right, one slider per hyperparameter::

      from lab import problems, widgets

      widgets.explore(
          problems.ill_conditioned_paraboloid(),
          optimizers=("sgd", "momentum"),
          learning_rate=widgets.log_slider("α", 0.1, -3, 0),
          momentum=widgets.slider("β", 0.9, 0.0, 0.99),
      )

* :func:`interactive` — any figure: ``compute(**values)`` makes a result,
  ``draw(result)`` moves the figure's artists.

A slider move runs only the (already compiled) computation — slider values
are passed as floats, which :func:`~lab.trajectory.trajectory` traces,
so nothing recompiles — then moves the existing artists and replaces the
picture in an ``ipywidgets.Output``.  The picture is a PNG: it is there as
soon as the cell has run, so the executed notebook and the static site show
the figure at the default values.
"""

from __future__ import annotations

import base64
import inspect
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import ipywidgets
import jax
import numpy as np

from lab import plot, static_explorer
from lab import problems as problems_module
from lab.problems import Problem
from lab.registry import get_optimizer
from lab.trajectory import Trajectory

__all__ = [
    "Explorer",
    "ExplorerPanels",
    "Interactive",
    "Timing",
    "explore",
    "int_slider",
    "interactive",
    "log_slider",
    "slider",
]


# --------------------------------------------------------------------------
# Sliders with one look
# --------------------------------------------------------------------------

_STYLE = {"description_width": "110px"}
_LAYOUT = {"width": "460px"}


def _check_range(value: float, low: float, high: float, names: tuple[str, str, str]) -> None:
    for name, number in zip(names, (value, low, high), strict=True):
        if isinstance(number, bool) or not isinstance(number, (int, float, np.number)):
            raise TypeError(f"{name} must be a number, got {number!r}")
        if not np.isfinite(number):
            raise ValueError(f"{name} must be finite, got {number!r}")
    if not low < high:
        raise ValueError(f"{names[1]} must be smaller than {names[2]}, got {low} and {high}")
    if not low <= value <= high:
        raise ValueError(f"{names[0]} must lie in [{low}, {high}], got {value}")


def log_slider(
    description: str, value: float, min_exp: float, max_exp: float, step: float = 0.05
) -> ipywidgets.FloatLogSlider:
    """A slider over ``10^min_exp … 10^max_exp`` on a log scale (learning rates, ε).

    Like every slider here it reports a value only when released
    (``continuous_update=False``).
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or value <= 0:
        raise ValueError(f"value must be a number > 0 (on a log scale), got {value!r}")
    _check_range(float(np.log10(value)), min_exp, max_exp, ("log10(value)", "min_exp", "max_exp"))
    return ipywidgets.FloatLogSlider(
        value=value, base=10, min=min_exp, max=max_exp, step=step,
        description=description, readout_format=".3g", continuous_update=False,
        style=_STYLE, layout=_LAYOUT,
    )  # fmt: skip


def slider(
    description: str, value: float, min: float, max: float, step: float | None = None
) -> ipywidgets.FloatSlider:
    """A linear slider over ``[min, max]`` (momentum, decay rates, eigenvalues …).

    ``step`` defaults to a hundredth of the range.
    """
    _check_range(value, min, max, ("value", "min", "max"))
    step = (max - min) / 100 if step is None else step
    return ipywidgets.FloatSlider(
        value=value, min=min, max=max, step=step, description=description,
        readout_format=".3g", continuous_update=False, style=_STYLE, layout=_LAYOUT,
    )  # fmt: skip


def int_slider(
    description: str, value: int, min: int, max: int, step: int = 1
) -> ipywidgets.IntSlider:
    """A slider over the whole numbers ``min … max`` (a sync period, a batch size …)."""
    _check_range(value, min, max, ("value", "min", "max"))
    return ipywidgets.IntSlider(
        value=value, min=min, max=max, step=step, description=description,
        continuous_update=False, style=_STYLE, layout=_LAYOUT,
    )  # fmt: skip


# --------------------------------------------------------------------------
# The generic builder
# --------------------------------------------------------------------------


class Timing(NamedTuple):
    """Seconds spent on one update: running the experiment, and redrawing the figure."""

    compute: float
    draw: float


def _figure_output(fig) -> dict:
    """The figure as one notebook output (a PNG), as an ``Output`` widget stores it."""
    return {
        "output_type": "display_data",
        "data": {"image/png": plot.png_base64(fig), "text/plain": "<figure>"},
        "metadata": {},
    }


class Interactive:
    """Controls, a figure and the code that connects them.

    Attributes:
        widget: the ipywidgets container (controls above the picture).  The
            object itself displays as this widget in a notebook.
        figure: the matplotlib figure that ``draw`` updates.
        controls: name → control widget.
        fixed: name → fixed value, passed to ``compute`` like a control's.
        result: what ``compute`` returned for the current values.
        timings: a :class:`Timing` for every update so far.
        frames: how many frames the site's static explorer shows (``None``: no explorer).
    """

    def __init__(
        self,
        compute: Callable[..., Any],
        draw: Callable[[Any], Any],
        controls: Mapping[str, Any],
        figure,
        static: str | bool | None = None,
    ):
        if not callable(compute):
            raise TypeError(f"compute must be callable, got {compute!r}")
        if not callable(draw):
            raise TypeError(f"draw must be callable, got {draw!r}")
        self.compute, self.draw, self.figure = compute, draw, figure
        self.controls = {k: v for k, v in controls.items() if isinstance(v, ipywidgets.ValueWidget)}
        self.fixed = {k: v for k, v in controls.items() if k not in self.controls}
        self.output = ipywidgets.Output()
        self.result: Any = None
        self.timings: list[Timing] = []
        self._quiet = False
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.widget = ipywidgets.VBox([*self.controls.values(), self.output])
        self.static = self._static_control(static)
        self.frames = 13
        self._static_html: str | None = None
        self.update()
        self.figure.set_layout_engine("none")  # keep the first layout: later draws are faster

    @property
    def frames(self) -> int | None:
        return self._frames

    @frames.setter
    def frames(self, count: int | None) -> None:
        if count is not None and (
            isinstance(count, bool) or not isinstance(count, int) or count < 2
        ):
            raise ValueError(f"frames must be a whole number >= 2 or None, got {count!r}")
        self._frames = count

    def values(self) -> dict[str, Any]:
        """The current value of every control, and the fixed values."""
        return {**self.fixed, **{name: c.value for name, c in self.controls.items()}}

    def update(self, **values: Any) -> Any:
        """Set controls to ``values`` (others keep theirs), recompute and redraw.

        Returns the new result.  Raises ValueError for a name that is not a
        control, or a value outside its slider's range.
        """
        self._set_controls(values)
        start = time.perf_counter()
        result = self.compute(**self.values())
        computed = time.perf_counter()
        self.draw(result)
        self.output.outputs = (_figure_output(self.figure),)
        self.timings.append(Timing(computed - start, time.perf_counter() - computed))
        self.result = result
        return result

    def _set_controls(self, values: Mapping[str, Any]) -> None:
        """Move the controls to ``values`` without triggering updates; all or nothing."""
        unknown = sorted(set(values) - set(self.controls))
        if unknown:
            raise ValueError(
                f"unknown control {', '.join(unknown)}: the controls are "
                f"{', '.join(self.controls) or 'none'}"
            )
        old = {name: self.controls[name].value for name in values}
        self._quiet = True
        try:
            for name, value in values.items():
                control = self.controls[name]
                control.value = value
                if not _same(control.value, value):
                    low, high = _slider_range(control)
                    raise ValueError(
                        f"{name} = {value} is outside its slider's range [{low:g}, {high:g}]"
                    )
        except Exception:
            for name, value in old.items():
                self.controls[name].value = value
            raise
        finally:
            self._quiet = False

    def _on_change(self, change) -> None:
        if self._quiet:
            return
        try:
            self.update()
        except Exception as error:  # show it under the figure instead of losing it in a log
            message = {"output_type": "stream", "name": "stderr", "text": f"{error!r}\n"}
            self.output.outputs = (*self.output.outputs[:1], message)

    def _static_control(self, static: str | bool | None) -> str | None:
        """The control the static explorer varies: ``static``, else the first slider."""
        if static is False or not self.controls:
            return None
        if static is None or static is True:
            return next(iter(self.controls))
        if static not in self.controls:
            raise ValueError(
                f"static must name a control ({', '.join(self.controls)}), got {static!r}"
            )
        return static

    def static_html(self, frames: int = 13) -> str:
        """The figure over ``frames`` values of the static control, explorable without a kernel.

        Recomputes and redraws the figure at each value (the controls end where
        they started).  Cached: a notebook pays for it once, when it displays the widget.
        """
        if self.static is None:
            raise ValueError("this widget has no static control (static=False)")
        if self._static_html is None:
            control = self.controls[self.static]
            start_value, timings = control.value, len(self.timings)
            values = static_explorer.frame_values(control, frames)
            pngs = []
            try:
                for value in values:
                    self.update(**{self.static: value})
                    shown = self.output.outputs[0]["data"]["image/png"]  # drawn by update()
                    pngs.append(static_explorer.compress_png(base64.b64decode(shown)))
            finally:
                self.update(**{self.static: start_value})
                del self.timings[timings:]
            fixed = {
                c.description or name: c.value
                for name, c in self.controls.items()
                if name != self.static and isinstance(c.value, (int, float))
            }
            self._static_html = static_explorer.explorer_html(
                pngs,
                values,
                control.description or self.static,
                values.index(start_value),
                fixed,
                alt=f"interactive figure at {control.description or self.static}",
            )
        return self._static_html

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["image/png"] = plot.png_base64(self.figure)  # for viewers without widgets
        if self.static is not None and self.frames and static_explorer.for_the_site():
            bundle["text/html"] = self.static_html(self.frames)  # the site's, not dead sliders
        return bundle


def _same(shown: Any, wanted: Any) -> bool:
    """Whether a control took the value it was given (a slider clips values outside its range)."""
    if isinstance(shown, (int, float)) and isinstance(wanted, (int, float, np.number)):
        return bool(np.isclose(shown, wanted, rtol=1e-6, atol=0.0))
    return shown == wanted


def _slider_range(control) -> tuple[float, float]:
    """The smallest and largest value a slider can show."""
    if isinstance(control, ipywidgets.FloatLogSlider):
        return control.base**control.min, control.base**control.max
    return getattr(control, "min", float("nan")), getattr(control, "max", float("nan"))


def interactive(
    compute: Callable[..., Any],
    draw: Callable[[Any], Any],
    controls: Mapping[str, Any],
    figure,
    static: str | bool | None = None,
) -> Interactive:
    """A widget for a custom figure.

    Args:
        compute: ``compute(**values) -> result``, run on every control change
            with the current value of each control.  Keep it to compiled JAX
            calls with the values as arguments, so nothing recompiles.
        draw: ``draw(result)`` moves the artists of ``figure`` (``set_data`` …).
        controls: name → a slider (see :func:`slider`, :func:`log_slider`)
            or a fixed value.
        figure: the matplotlib figure (see :func:`lab.plot.figure`).
        static: the control whose range the rendered site can explore without a
            kernel (precomputed frames, see :mod:`lab.static_explorer`);
            default the first slider, ``False`` for none.

    The figure is drawn once at the initial values before this returns.
    """
    if not isinstance(controls, Mapping):
        raise TypeError(f"controls must be a mapping name → slider, got {controls!r}")
    return Interactive(compute, draw, controls, figure, static)


# --------------------------------------------------------------------------
# Optimizers on a test problem
# --------------------------------------------------------------------------

_DATA_CONTROLS = ("batch_size", "seed")  # stochastic problems: go to Problem.run


def _accepted(factory: Callable[..., Any]) -> tuple[set[str], set[str], bool]:
    """(all parameter names, required ones, whether it takes ``**kwargs``) of a factory."""
    parameters = inspect.signature(factory).parameters.values()
    names = {p.name for p in parameters if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    required = {
        p.name
        for p in parameters
        if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    }
    return names, required, any(p.kind is p.VAR_KEYWORD for p in parameters)


def _resolve_optimizers(optimizers) -> list[tuple[str, Callable[..., Any]]]:
    if isinstance(optimizers, str) or callable(optimizers):
        optimizers = (optimizers,)
    if not isinstance(optimizers, Sequence) or not optimizers:
        raise ValueError(f"optimizer: give one or more names or factories, got {optimizers!r}")
    resolved = []
    for entry in optimizers:
        if callable(entry):
            resolved.append((getattr(entry, "__name__", "optimizer"), entry))
        else:
            resolved.append((entry, get_optimizer(entry)))
    labels = [label for label, _ in resolved]
    if len(set(labels)) != len(labels):
        raise ValueError(f"optimizer names must differ, got {labels}")
    return resolved


def _as_hyperparameter(value: Any) -> Any:
    """Slider numbers become Python floats: one compiled program serves every value."""
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return float(value)
    return value


class ExplorerPanels(plot.Panels):
    """The figure of :func:`explore`: contours and paths (2-D problems) beside loss curves.

    Attributes:
        figure: the matplotlib figure.
        plane: the contour axes (``None`` for problems that are not 2-D).
        losses: the loss-curve axes.
        paths: label → the run's path artists (created at the first draw, moved by later ones).
        curves: label → the run's loss line.
        messages: label → the run's divergence text.
    """

    def __init__(self, problem: Problem, labels: list[str]):
        self.problem, self.labels = problem, labels
        if problem.bounds is not None:
            self.figure, (self.plane, self.losses) = plot.figure(ncols=2, width=4.3, height=3.7)
            plot.contour(self.plane, problem)
        else:
            self.figure, self.losses = plot.figure(ncols=1, width=5.5, height=3.7)
            self.plane = None
        self.losses.set_title("loss")
        self.paths: dict[str, plot.TrajectoryArtists] = {}
        self.curves: dict[str, Any] = {}
        self.messages: dict[str, Any] = {}

    def update(self, trajectories: dict[str, Trajectory]) -> None:
        min_value = self.problem.min_value
        for label, traj in trajectories.items():
            if self.plane is not None:
                plot.update_trajectory_line(self.paths[label], traj)
            plot.update_loss_curve(self.curves[label], traj, min_value)
            plot.update_divergence_message(self.messages[label], traj, self._prefix(label))
        plot.set_loss_axis_limits(self.losses, list(self.curves.values()))

    def _prefix(self, label: str) -> str | None:
        return label if len(self.labels) > 1 else None

    def create(self, trajectories: dict[str, Trajectory]) -> None:
        message_axes = self.plane if self.plane is not None else self.losses
        for row, (label, traj) in enumerate(trajectories.items()):
            color = plot.color(row)
            if self.plane is not None:
                self.paths[label] = plot.trajectory_line(self.plane, traj, label, color)
            self.curves[label] = plot.loss_curve(
                self.losses, traj, label, color, self.problem.min_value
            )
            self.messages[label] = plot.divergence_message(
                message_axes, traj, self._prefix(label), color=color, row=row
            )
        self.losses.legend(loc="upper right", fontsize=9, framealpha=0.9)


class Explorer(Interactive):
    """What :func:`explore` returns: an :class:`Interactive` whose result is the runs.

    Attributes:
        problem: the test problem.
        panels: the :class:`ExplorerPanels` (axes and artists).
        trajectories: label → :class:`~lab.trajectory.Trajectory` of
            the latest update.
    """

    problem: Problem
    panels: ExplorerPanels

    @property
    def trajectories(self) -> dict[str, Trajectory]:
        return self.result


def explore(
    problem: Problem | str,
    optimizers: Sequence[str | Callable[..., Any]] | str = ("sgd",),
    steps: int = 100,
    x0=None,
    static: str | bool | None = None,
    **controls: Any,
) -> Explorer:
    """Run optimizers on a problem, with a slider for each hyperparameter.

    Args:
        problem: a :class:`~lab.problems.Problem` or its registry name.
        optimizers: names from :data:`lab.registry.OPTIMIZERS` (or factories).
        steps: number of steps T of every run.
        x0: the start θ₀ (default: the problem's).
        static: the control the rendered site can explore without a kernel
            (default the first; ``False`` for none), see :func:`interactive`.
        **controls: hyperparameter name → slider (or a fixed value), e.g.
            ``learning_rate=log_slider("α", 0.1, -3, 0)``.  Each is passed
            only to the optimizers whose factory has a parameter of that name.
            Stochastic problems also take ``batch_size`` and ``seed`` (the
            mini-batch sampling), which go to the problem, not the optimizer.

    Returns:
        An :class:`Explorer`; display it (last line of a cell) to get the widget.
    """
    if isinstance(problem, str):
        problem = problems_module.get(problem)
    if not isinstance(problem, Problem):
        raise TypeError(f"problem must be a Problem or a problem name, got {problem!r}")
    resolved = _resolve_optimizers(optimizers)
    signatures = {label: _accepted(factory) for label, factory in resolved}
    data_controls = _DATA_CONTROLS if problem.stochastic else ()
    _check_controls(controls, signatures, data_controls)

    def compute(**values: Any) -> dict[str, Trajectory]:
        data = {}
        if problem.stochastic:
            data["key"] = jax.random.PRNGKey(int(values.pop("seed", 0)))
            data["batch_size"] = _as_hyperparameter(values.pop("batch_size", 32))
        runs = {}
        for label, factory in resolved:
            names, _, takes_any = signatures[label]
            hyperparameters = {
                k: _as_hyperparameter(v) for k, v in values.items() if takes_any or k in names
            }
            runs[label] = problem.run(factory, steps, x0, **data, **hyperparameters)
        return runs

    panels = ExplorerPanels(problem, [label for label, _ in resolved])
    explorer = Explorer(compute, panels.draw, controls, panels.figure, static)
    explorer.problem, explorer.panels = problem, panels
    return explorer


def _check_controls(controls, signatures, data_controls) -> None:
    """Every control must reach some optimizer; every required parameter needs a control."""
    for name in controls:
        if name in data_controls:
            continue
        if not any(name in names or takes_any for names, _, takes_any in signatures.values()):
            raise ValueError(
                f"unknown hyperparameter {name!r}: no optimizer among "
                f"{', '.join(signatures)} has a parameter of that name"
            )
    for label, (_, required, _) in signatures.items():
        missing = sorted(required - set(controls))
        if missing:
            raise ValueError(
                f"optimizer {label!r} needs {', '.join(missing)}: pass a slider or a value for it"
            )
