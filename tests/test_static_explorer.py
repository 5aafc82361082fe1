"""The static explorer: frame values, compression, and the HTML it produces."""

import io
import re

import ipywidgets
import numpy as np
import PIL.Image
import pytest

from lab import plot, problems, static_explorer, widgets


def test_frame_values_of_a_log_slider_are_log_spaced_and_include_the_value():
    control = widgets.log_slider("α", 0.3, -3, 0)
    values = static_explorer.frame_values(control, 7)
    grid = 10.0 ** np.linspace(-3, 0, 7)
    assert len(values) == 7 and values[5] == 0.3  # 10^-0.5 ≈ 0.316 is the nearest grid value
    np.testing.assert_allclose(np.delete(values, 5), np.delete(grid, 5))


def test_frame_values_of_linear_and_integer_sliders():
    assert static_explorer.frame_values(widgets.slider("β", 0.5, 0.0, 1.0), 5) == [
        0.0, 0.25, 0.5, 0.75, 1.0,
    ]  # fmt: skip
    values = static_explorer.frame_values(widgets.int_slider("k", 5, 1, 10), 4)
    assert values == [1, 5, 7, 10]  # 4, the nearest to 5, became 5


def test_frame_values_rejects_bad_input():
    with pytest.raises(ValueError, match="count"):
        static_explorer.frame_values(widgets.slider("β", 0.5, 0.0, 1.0), 1)
    with pytest.raises(TypeError, match="control"):
        static_explorer.frame_values(ipywidgets.Text("x"), 5)


def test_compress_png_keeps_the_picture_and_shrinks_it():
    fig, ax = plot.figure(ncols=1)
    plot.contour(ax, problems.rosenbrock())
    png = plot.png_bytes(fig)
    small = static_explorer.compress_png(png)
    assert len(small) < len(png) / 2
    a = np.asarray(PIL.Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)
    b = np.asarray(PIL.Image.open(io.BytesIO(small)).convert("RGB"), dtype=float)
    assert a.shape == b.shape and np.abs(a - b).mean() < 4.0


def test_explorer_html_has_one_visible_frame_and_a_slider():
    page = static_explorer.explorer_html([b"a", b"b", b"c"], [0.1, 0.2, 0.3], "α", 1, {"β": 0.9})
    assert page.count("<img") == 3 and page.count(" hidden>") == 2
    assert 'type="range"' in page and 'max="2"' in page and 'value="1"' in page
    assert "β = 0.9" in page and re.search(r'alt="[^"]*α = 0.2', page)
    with pytest.raises(ValueError, match="frame"):
        static_explorer.explorer_html([b"a"], [0.1, 0.2], "α", 0)
    with pytest.raises(ValueError, match="start"):
        static_explorer.explorer_html([b"a"], [0.1], "α", 3)


def test_a_widget_displays_its_static_explorer_and_keeps_its_state(monkeypatch):
    monkeypatch.setenv(static_explorer.SITE_VARIABLE, "1")  # outputs for the site
    explorer = widgets.explore(
        problems.ill_conditioned_paraboloid(),
        optimizers=("sgd",),
        steps=30,
        learning_rate=widgets.log_slider("α", 0.3, -3, 0),
    )
    before = explorer.trajectories["sgd"].losses
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    html = bundle["text/html"]
    assert html.count("<img") == 13 and html.count(" hidden>") == 12
    # the controls and the figure end where they were
    assert explorer.controls["learning_rate"].value == 0.3
    np.testing.assert_array_equal(explorer.trajectories["sgd"].losses, before)
    # frames differ: the slider really changes the picture
    frames = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    assert len(set(frames)) == 13


def test_a_readers_kernel_shows_the_live_widget_without_computing_frames(monkeypatch):
    monkeypatch.delenv(static_explorer.SITE_VARIABLE, raising=False)
    explorer = widgets.explore(
        problems.ill_conditioned_paraboloid(),
        optimizers=("sgd",),
        steps=30,
        learning_rate=widgets.log_slider("α", 0.3, -3, 0),
    )
    moves = len(explorer.timings)
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle and "image/png" in bundle
    assert "text/html" not in bundle
    assert len(explorer.timings) == moves  # no frame was computed
    monkeypatch.setenv(static_explorer.SITE_VARIABLE, "0")
    assert "text/html" not in explorer._repr_mimebundle_()


def test_static_control_must_be_a_control():
    with pytest.raises(ValueError, match="static"):
        widgets.explore(
            problems.ill_conditioned_paraboloid(),
            optimizers=("sgd",),
            static="momentum",
            learning_rate=widgets.log_slider("α", 0.3, -3, 0),
        )
    no_static = widgets.explore(
        problems.ill_conditioned_paraboloid(),
        optimizers=("sgd",),
        static=False,
        learning_rate=widgets.log_slider("α", 0.3, -3, 0),
    )
    assert "text/html" not in no_static._repr_mimebundle_()
