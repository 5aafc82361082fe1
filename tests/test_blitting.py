"""A slider move repaints only the moving layer, and the picture is the one a full draw makes.

How often a widget's moves repaint only the layer (and how fast) is measured by
``benchmarks/widget_response.py``.
"""

from __future__ import annotations

import base64
import io

import matplotlib
import matplotlib.patches

matplotlib.use("Agg")

import numpy as np
import PIL.Image
import pytest

from lab import blitting, plot
from lab.book_widgets import WIDGETS

MOVED = 3  # sliders moved per widget


def shown(widget) -> np.ndarray:
    """The picture under the widget, as pixels."""
    png = base64.b64decode(widget.output.outputs[0]["data"]["image/png"])
    return np.asarray(PIL.Image.open(io.BytesIO(png)).convert("RGB"))


def full_draw(figure) -> np.ndarray:
    """The figure drawn in full, its moving layer in place as any other artist, as pixels."""
    layer = [artist for artist in blitting.artists(figure) if artist.get_animated()]
    for artist in layer:
        artist.set_animated(False)
    try:
        figure.canvas.draw()
        return np.asarray(figure.canvas.buffer_rgba())[..., :3].copy()
    finally:
        for artist in layer:
            artist.set_animated(True)


def other_value(control) -> float:
    """A position three quarters along a slider."""
    low, high, step = control.min, control.max, control.step
    position = low + step * round(0.75 * (high - low) / step)
    if hasattr(control, "base"):  # a log slider's min and max are exponents
        return float(control.base**position)
    return type(control.value)(position)


@pytest.mark.parametrize("book_widget", WIDGETS, ids=lambda w: f"{w.chapter}/{w.name}")
def test_each_move_shows_what_a_full_draw_shows(book_widget, monkeypatch):
    layer_only = []  # per picture: whether only the moving layer was repainted
    paint = blitting.paint
    monkeypatch.setattr(plot.blitting, "paint", lambda fig: layer_only.append(paint(fig)))
    widget = book_widget.build()
    pictures = [shown(widget)]
    sliders = [name for name, control in widget.controls.items() if hasattr(control, "step")]
    for name in sliders[:MOVED]:
        control = widget.controls[name]
        for value in (other_value(control), control.value):  # there and back
            widget.update(**{name: value})
            pictures.append(shown(widget))
            np.testing.assert_array_equal(pictures[-1], full_draw(widget.figure), err_msg=name)
    assert any(not np.array_equal(pictures[0], p) for p in pictures), "no move changed it"
    assert any(layer_only[1:]), "no move repainted only the layer: nothing above was checked"


def test_a_still_change_draws_the_whole_figure_again():
    fig, ax = plot.figure(ncols=1)
    (line,) = ax.plot([0, 1], [1, 0])
    blitting.set_still(fig, [a for a in blitting.artists(fig) if a is not line])
    assert blitting.paint(fig) is False and line.get_animated()  # the first paint draws all
    line.set_ydata([0, 1])
    assert blitting.paint(fig) is True  # only the line moved
    ax.set_xlim(0, 2)
    assert blitting.paint(fig) is False  # the axis changed: everything again
    np.testing.assert_array_equal(np.asarray(fig.canvas.buffer_rgba())[..., :3], full_draw(fig))


def test_a_figure_without_moving_artists_is_drawn_in_full():
    fig, ax = plot.figure(ncols=1)
    ax.plot([0, 1], [1, 0])
    blitting.set_still(fig, blitting.artists(fig))
    assert blitting.paint(fig) is False and blitting.paint(fig) is False


def test_still_artists_clear_of_the_moving_ones_stay_in_the_background():
    fig, ax = plot.figure(ncols=1)
    ax.set_title("a title above the axes")
    (line,) = ax.plot([0, 1], [1, 0], label="moves")
    legend = ax.legend(loc="center")
    blitting.set_still(fig, [a for a in blitting.artists(fig) if a is not line])
    blitting.paint(fig)
    layer = blitting.moving_layer(fig)
    assert line in layer and legend in layer  # the legend is over the line: drawn after it
    assert ax.title not in layer  # the line is clipped to the axes: it never reaches the title
    line.set_clip_on(False)  # now the line could paint anywhere
    assert ax.title in blitting.moving_layer(fig)


def test_an_axis_above_moving_patches_is_repainted_with_them():
    fig, ax = plot.figure(ncols=1)
    ax.grid(True)  # grid lines lie inside the axes, where the patch paints
    blitting.set_still(fig, blitting.artists(fig))
    patch = ax.add_patch(matplotlib.patches.Rectangle((0.2, 0.2), 0.5, 0.5))  # zorder 1
    blitting.paint(fig)
    layer = blitting.moving_layer(fig)
    assert patch in layer and ax.xaxis in layer and ax.yaxis in layer
    patch.set_width(0.3)
    assert blitting.paint(fig) is True
    np.testing.assert_array_equal(np.asarray(fig.canvas.buffer_rgba())[..., :3], full_draw(fig))
