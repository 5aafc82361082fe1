"""Plots: artists are created and moved, diverging runs draw without warnings."""

import warnings

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.colors import to_rgba

from lab import plot, problems
from optimizers import sgd

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def paraboloid():
    return problems.ill_conditioned_paraboloid()


@pytest.fixture(scope="module")
def healthy(paraboloid):
    return paraboloid.run(sgd, 60, learning_rate=0.3)


@pytest.fixture(scope="module")
def diverging(paraboloid):
    # λ_max = 4, so any α > 2/4 diverges
    run = paraboloid.run(sgd, 60, learning_rate=0.7)
    assert run.diverged_at is not None
    assert np.isnan(np.asarray(run.losses)[-1])
    return run


def test_figure_has_white_backgrounds():
    fig, axes = plot.figure(ncols=2)
    assert len(axes) == 2
    assert to_rgba(fig.get_facecolor()) == to_rgba("white")
    for ax in axes:
        assert to_rgba(ax.get_facecolor()) == to_rgba("white")
    _, ax = plot.figure(ncols=1)
    assert isinstance(ax, matplotlib.axes.Axes)
    with pytest.raises(ValueError, match="ncols"):
        plot.figure(ncols=0)


def test_contour_covers_the_bounds_and_marks_the_minima(paraboloid):
    _, ax = plot.figure(ncols=1)
    contours = plot.contour(ax, paraboloid)
    assert len(contours.levels) == 25
    assert ax.get_xlim() == paraboloid.bounds[0]
    assert ax.get_ylim() == paraboloid.bounds[1]
    stars = [line for line in ax.lines if line.get_marker() == "*"]
    assert len(stars) == len(paraboloid.minima)
    with pytest.raises(TypeError, match="problem"):
        plot.contour(ax, "paraboloid")
    with pytest.raises(ValueError, match="levels"):
        plot.contour(ax, paraboloid, levels=1)


@pytest.mark.parametrize("log_levels", [True, False])
def test_contour_of_every_2d_problem_draws_without_warnings(log_levels):
    for name in ["quadratic", "rosenbrock", "beale", "saddle", "himmelblau", "linear_regression"]:
        fig, ax = plot.figure(ncols=1)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            plot.contour(ax, problems.get(name), log_levels=log_levels, resolution=50)
            assert plot.png_bytes(fig).startswith(PNG_SIGNATURE)


def test_diverging_run_draws_without_warnings_and_keeps_the_axes(paraboloid, diverging):
    fig, (plane, losses) = plot.figure(ncols=2)
    plot.contour(plane, paraboloid)
    limits = (plane.get_xlim(), plane.get_ylim())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        artists = plot.trajectory_line(plane, diverging, label="sgd")
        line = plot.loss_curve(losses, diverging, label="sgd", min_value=paraboloid.min_value)
        text = plot.divergence_message(plane, diverging)
        png = plot.png_bytes(fig)
    assert png.startswith(PNG_SIGNATURE)
    assert (plane.get_xlim(), plane.get_ylim()) == limits
    # the path stops at the divergence: NaN from there on
    xs, _ = artists.path.get_data()
    assert np.all(np.isfinite(xs[: diverging.diverged_at]))
    assert np.all(np.isnan(xs[diverging.diverged_at :]))
    assert np.all(np.isfinite(artists.end.get_data()[0]))
    assert text.get_text() == f"diverged at step {diverging.diverged_at}"
    assert losses.get_yscale() == "log"
    assert np.all(np.asarray(line.get_ydata())[np.isfinite(line.get_ydata())] > 0)


def test_update_functions_move_existing_artists(paraboloid, healthy, diverging):
    fig, (plane, losses) = plot.figure(ncols=2)
    plot.contour(plane, paraboloid)
    artists = plot.trajectory_line(plane, healthy, color=plot.color(1))
    line = plot.loss_curve(losses, healthy, min_value=0.0)
    text = plot.divergence_message(plane, healthy)
    assert text.get_text() == ""
    before = np.array(artists.path.get_xydata())
    n_lines = len(plane.lines)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plot.update_trajectory_line(artists, diverging)
        plot.update_loss_curve(line, diverging, min_value=0.0)
        plot.update_divergence_message(text, diverging, label="sgd")
        plot.set_loss_axis_limits(losses, [line])
        plot.png_bytes(fig)
    assert len(plane.lines) == n_lines  # moved, not added
    assert not np.allclose(before, artists.path.get_xydata(), equal_nan=True)
    assert text.get_text().startswith("sgd: diverged at step")
    low, high = losses.get_ylim()
    assert 0 < low < high and np.isfinite(high)


def test_loss_values_guard_zeros_and_nans(healthy):
    values = plot.loss_values(healthy._replace(losses=np.array([1.0, 0.0, -1e-9, np.nan])), 0.0)
    np.testing.assert_array_equal(values[:3], [1.0, plot.LOSS_FLOOR, plot.LOSS_FLOOR])
    assert np.isnan(values[3])


def test_loss_curve_without_a_known_minimum_uses_a_linear_scale_for_negative_losses(healthy):
    _, ax = plot.figure(ncols=1)
    negative = healthy._replace(losses=np.linspace(0.5, -0.2, healthy.losses.size))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plot.loss_curve(ax, negative)
    assert ax.get_yscale() == "linear"


def test_trajectory_line_needs_a_2d_run():
    run = problems.quadratic_nd().run(sgd, 5, learning_rate=0.001)
    _, ax = plot.figure(ncols=1)
    with pytest.raises(ValueError, match="traj"):
        plot.trajectory_line(ax, run._replace(params=np.zeros(6)))


def test_figures_show_themselves_as_png():
    fig, _ = plot.figure(ncols=1)
    assert fig._repr_png_().startswith(PNG_SIGNATURE)  # what a notebook calls for `fig`
    assert plot.png_base64(fig).startswith("iVBORw0KGgo")  # base64 of the PNG signature


def _loss_axis(values):
    """A log loss axis with one curve of ``values``, fitted once."""
    _fig, ax = plot.figure(ncols=1)
    (line,) = ax.plot(np.arange(len(values)), values)
    ax.set_yscale("log")
    plot.set_loss_axis_limits(ax, [line])
    return ax, line


def _decades(ax):
    return tuple(round(v) for v in np.log10(ax.get_ylim()))


def test_a_loss_axis_is_fitted_to_whole_decades_then_stays_while_the_curves_fit():
    ax, line = _loss_axis([1.0, 1e-3, 1e-6])
    assert _decades(ax) == (-7, 1)  # 1e-6 / 1.5 and 1 · 1.5, out to whole decades
    line.set_ydata([1.0, 1e-2, 1e-3])  # inside, and fills 4 of its 8 decades
    plot.set_loss_axis_limits(ax, [line])
    assert _decades(ax) == (-7, 1)
    line.set_ydata([10.0, 1.0, 0.1])  # above: the range grows to hold it
    plot.set_loss_axis_limits(ax, [line])
    assert _decades(ax) == (-7, 2)
    line.set_ydata([1e9, 1e-5, 1e-11])  # on both sides: it grows again
    plot.set_loss_axis_limits(ax, [line])
    assert _decades(ax) == (-12, 10)
    line.set_ydata([1.0, 0.9, 0.8])  # 2 decades of 22: less than a tenth, fitted anew
    plot.set_loss_axis_limits(ax, [line])
    assert _decades(ax) == (-1, 1)


def test_a_loss_axis_set_by_other_code_is_fitted_anew():
    ax, line = _loss_axis([1.0, 1e-3, 1e-6])
    ax.set_ylim(1e-20, 1e5)
    plot.set_loss_axis_limits(ax, [line])
    assert _decades(ax) == (-7, 1)


def test_a_diverging_curve_leaves_through_the_top_of_the_loss_axis():
    ax, _line = _loss_axis([2.0, 1e2, 1e9, 1e30])
    assert _decades(ax)[1] == int(np.ceil(np.log10(2.0 * plot.LOSS_CEILING * 1.5)))


def test_set_limits_leaves_an_unchanged_axis_fresh():
    fig, ax = plot.figure(ncols=1)
    ax.set_xlim(0, 1)
    plot.png_bytes(fig)
    assert not fig.stale
    plot.set_limits(ax, x=(0, 1))
    assert not fig.stale  # matplotlib's own set_xlim would have marked it stale
    plot.set_limits(ax, y=(0, 2))
    assert fig.stale and ax.get_ylim() == (0, 2)


def test_relabel_legend_changes_the_texts_of_the_same_legend():
    _fig, ax = plot.figure(ncols=1)
    ax.plot([0, 1], label="a")
    ax.plot([1, 0], label="b")
    legend = ax.legend()
    plot.relabel_legend(legend, ["c", "d"])
    assert ax.get_legend() is legend
    assert [t.get_text() for t in legend.get_texts()] == ["c", "d"]
    with pytest.raises(ValueError, match="labels"):
        plot.relabel_legend(legend, ["only one"])
