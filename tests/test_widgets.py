"""Widgets: slider moves rerun without recompiling, move the artists, and show divergence."""

import warnings

import matplotlib

matplotlib.use("Agg")

import ipywidgets
import jax.numpy as jnp
import numpy as np
import pytest

from lab import plot, problems, registry, widgets
from lab.trajectory import compilation_count
from optimizers import GradientTransformation


def build(problem=None, optimizers=("sgd",), **controls):
    controls = controls or {"learning_rate": widgets.log_slider("α", 0.1, -3, 0.5)}
    problem = problems.ill_conditioned_paraboloid() if problem is None else problem
    return widgets.explore(problem, optimizers, steps=60, **controls)


@pytest.fixture(scope="module")
def explorer():
    return build(
        optimizers=("sgd", "momentum"),
        learning_rate=widgets.log_slider("α", 0.1, -3, 0.5),
        momentum=widgets.slider("β", 0.5, 0.0, 0.99),
    )


def path_data(explorer, label):
    return np.array(explorer.panels.paths[label].path.get_xydata())


def test_explore_shows_the_figure_at_the_default_values(explorer):
    assert isinstance(explorer.widget, ipywidgets.VBox)
    (shown,) = explorer.output.outputs
    assert shown["data"]["image/png"] == plot.png_base64(explorer.figure)
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["image/png"].startswith("iVBORw0KGgo")
    assert set(explorer.trajectories) == {"sgd", "momentum"}


def test_learning_rate_moves_the_lines_without_recompiling(explorer):
    explorer.update(learning_rate=0.05)
    compiled = compilation_count()
    previous = path_data(explorer, "sgd")
    for learning_rate in (0.01, 0.2, 0.3, 0.45):
        explorer.update(learning_rate=learning_rate)
        current = path_data(explorer, "sgd")
        assert not np.allclose(previous, current, equal_nan=True)
        previous = current
    assert compilation_count() == compiled
    assert explorer.controls["learning_rate"].value == pytest.approx(0.45)


def test_a_hyperparameter_reaches_only_the_optimizers_that_take_it(explorer):
    explorer.update(learning_rate=0.1, momentum=0.2)
    sgd_before = path_data(explorer, "sgd")
    momentum_before = path_data(explorer, "momentum")
    explorer.update(momentum=0.8)
    np.testing.assert_array_equal(path_data(explorer, "sgd"), sgd_before)
    assert not np.allclose(path_data(explorer, "momentum"), momentum_before)


def test_a_divergent_learning_rate_shows_the_message(explorer):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        explorer.update(learning_rate=2.0, momentum=0.5)
    run = explorer.trajectories["sgd"]
    assert run.diverged_at is not None
    message = explorer.panels.messages["sgd"].get_text()
    assert message == f"sgd: diverged at step {run.diverged_at}"
    explorer.update(learning_rate=0.1)
    assert explorer.panels.messages["sgd"].get_text() == ""


def test_moving_a_slider_updates_the_figure(explorer):
    explorer.update(learning_rate=0.1)
    updates = len(explorer.timings)
    before = explorer.output.outputs[0]["data"]["image/png"]
    explorer.controls["learning_rate"].value = 0.3  # what a reader's slider does
    assert len(explorer.timings) == updates + 1
    assert explorer.output.outputs[0]["data"]["image/png"] != before
    assert explorer.trajectories["sgd"].params[1, 0] != pytest.approx(-4.0 + 0.1 * 1.6)


def test_every_update_is_timed(explorer):
    """Timings are recorded for the benchmarks; this test does not judge them."""
    before = len(explorer.timings)
    for learning_rate in np.geomspace(0.01, 0.4, 6):
        explorer.update(learning_rate=float(learning_rate))
    recent = explorer.timings[before:]
    assert len(recent) == 6 and all(t.compute > 0 and t.draw > 0 for t in recent)


def test_update_rejects_unknown_names_and_values_outside_the_slider(explorer):
    with pytest.raises(ValueError, match="b1"):
        explorer.update(b1=0.9)
    with pytest.raises(ValueError, match="learning_rate"):
        explorer.update(learning_rate=100.0)
    assert explorer.controls["learning_rate"].value <= 10**0.5
    explorer.update(learning_rate=0.1)
    with pytest.raises(ValueError, match="momentum"):
        explorer.update(learning_rate=0.2, momentum=5.0)
    assert explorer.controls["learning_rate"].value == pytest.approx(0.1)  # all or nothing


def test_unknown_optimizer_names_the_argument():
    with pytest.raises(ValueError, match="optimizer") as error:
        registry.get_optimizer("adamm")
    assert "adam" in str(error.value)
    with pytest.raises(ValueError, match="optimizer"):
        build(optimizers=("sgd", "adamm"))


def test_unknown_hyperparameter_names_it():
    with pytest.raises(ValueError, match="momentum"):
        build(learning_rate=0.1, momentum=widgets.slider("β", 0.9, 0.0, 0.99))
    with pytest.raises(ValueError, match="learning_rate"):
        build(optimizers=("adam",), b1=0.9)  # adam needs a learning rate
    with pytest.raises(ValueError, match="batch_size"):  # not a stochastic problem
        build(learning_rate=0.1, batch_size=widgets.int_slider("B", 8, 1, 64))


def test_every_listed_optimizer_builds_and_steps():
    params = [jnp.array([1.0, -2.0]), jnp.array([0.5])]
    grads = [jnp.array([0.3, 0.1]), jnp.array([-0.2])]
    for name, factory in registry.OPTIMIZERS.items():
        tx = factory(learning_rate=0.1)
        assert isinstance(tx, GradientTransformation), name
        updates, _ = tx.update(grads, tx.init(params), params)
        assert all(np.all(np.isfinite(u)) for u in updates), name
        assert registry.get_optimizer(name) is factory


def test_sliders_report_on_release_only():
    learning_rate = widgets.log_slider("α", 0.01, -4, 0)
    assert isinstance(learning_rate, ipywidgets.FloatLogSlider)
    assert learning_rate.value == pytest.approx(0.01)
    assert learning_rate.continuous_update is False
    momentum = widgets.slider("β", 0.9, 0.0, 0.99)
    assert momentum.continuous_update is False and momentum.max == 0.99
    assert widgets.int_slider("k", 5, 1, 20).continuous_update is False


@pytest.mark.parametrize(
    ("make", "argument"),
    [
        (lambda: widgets.log_slider("α", 10.0, -3, 0), "value"),
        (lambda: widgets.log_slider("α", -1.0, -3, 0), "value"),
        (lambda: widgets.log_slider("α", 0.1, 0, -3), "min_exp"),
        (lambda: widgets.slider("β", 0.5, 1.0, 0.0), "min"),
        (lambda: widgets.slider("β", 0.5, 0.0, np.inf), "max"),
        (lambda: widgets.int_slider("k", 0, 1, 10), "value"),
    ],
)
def test_bad_slider_ranges_name_the_argument(make, argument):
    with pytest.raises((ValueError, TypeError), match=argument):
        make()


def test_stochastic_problem_with_a_batch_size_slider_does_not_recompile():
    explorer = widgets.explore(
        problems.linear_regression(),
        ("sgd",),
        steps=40,
        learning_rate=widgets.log_slider("α", 0.1, -3, 0),
        batch_size=widgets.int_slider("B", 16, 1, 512),
        seed=widgets.int_slider("seed", 0, 0, 9),
    )
    compiled = compilation_count()
    losses = [np.asarray(explorer.update(batch_size=b)["sgd"].losses) for b in (1, 8, 64, 512)]
    explorer.update(seed=3)
    assert compilation_count() == compiled
    assert not np.allclose(losses[0], losses[2])


def test_problem_without_bounds_gets_only_the_loss_panel():
    explorer = build(problems.quadratic_nd(), learning_rate=widgets.log_slider("α", 0.01, -3, -1))
    assert len(explorer.figure.axes) == 1
    assert explorer.panels.plane is None


def test_interactive_runs_compute_and_draw():
    fig, ax = plot.figure(ncols=1)
    (line,) = ax.plot([0, 1], [0, 0])
    calls = []

    def compute(slope, offset):
        calls.append((slope, offset))
        return slope

    def draw(slope):
        line.set_ydata([0, slope])

    widget = widgets.interactive(
        compute, draw, {"slope": widgets.slider("slope", 1.0, -2.0, 2.0), "offset": 3.0}, fig
    )
    assert calls == [(1.0, 3.0)]
    assert widget.result == 1.0
    widget.update(slope=-0.5)
    assert calls[-1] == (-0.5, 3.0)
    assert list(line.get_ydata()) == [0, -0.5]
    assert widget.output.outputs[0]["data"]["image/png"]
    with pytest.raises(ValueError, match="offset"):
        widget.update(offset=2.0)  # a fixed value, not a control
    with pytest.raises(TypeError, match="compute"):
        widgets.interactive(None, draw, {}, fig)


def test_an_error_during_a_slider_move_is_shown_not_lost():
    fig, _ = plot.figure(ncols=1)

    def compute(x):
        if x > 0.5:
            raise ValueError("x is too large")
        return x

    widget = widgets.interactive(
        compute, lambda result: None, {"x": widgets.slider("x", 0.1, 0, 1)}, fig
    )
    widget.controls["x"].value = 0.9
    figure_output, error = widget.output.outputs
    assert "image/png" in figure_output["data"]
    assert "x is too large" in error["text"]
