"""Repaint only what moved: how a widget's figure follows a slider quickly (blitting).

A slider move changes a few artists, the paths, the loss curves, a message, and leaves
the rest of the figure as it was: axes, tick labels, contours.  Drawing that rest is
most of a full redraw's time.  So the figure keeps a picture of its still part, its
*background*, and a move pastes the background back and draws only the *moving layer*
over it (matplotlib's `blitting
<https://matplotlib.org/stable/users/explain/animations/blitting.html>`_):

* the moving layer is what :meth:`lab.plot.Panels.create` made (and anything made after
  it), plus every still artist that a full draw paints above it (a higher or equal zorder
  in the same axes: spines, titles, the legend), drawn in a full draw's order, so the
  picture is pixel for pixel the one a full draw makes;
* its artists are ``animated``, which keeps them out of the background and, by
  matplotlib's own bookkeeping, keeps their changes from marking the figure stale;
* anything else that changes (an axis range, a title outside the layer) marks the figure
  stale, and the next paint draws everything and keeps the new background.

:func:`lab.plot.png_bytes` paints every figure through :func:`paint`; a figure without a
moving layer is simply drawn in full.
"""

from __future__ import annotations

from collections.abc import Iterable
from operator import methodcaller

from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.image import AxesImage

__all__ = ["artists", "moving_layer", "paint", "set_still"]

_STILL, _BACKGROUND = "_still_artists", "_still_background"


def _children(container: Figure | Axes) -> list[Artist]:
    """What ``container`` draws itself, in its own order (its background patch excluded)."""
    return [
        child
        for child in container.get_children()
        if child is not container.patch and not isinstance(child, Axes)
    ]


def artists(figure: Figure) -> list[Artist]:
    """Every artist the figure or one of its axes draws directly."""
    return [a for container in (*figure.axes, figure) for a in _children(container)]


def set_still(figure: Figure, still: Iterable[Artist]) -> None:
    """Say which artists of the figure never move: every other one, now or made later, moves."""
    setattr(figure, _STILL, set(still))
    setattr(figure, _BACKGROUND, None)


def moving_layer(figure: Figure) -> list[Artist]:
    """The moving artists with every artist a full draw paints above them, in its order.

    Empty, so the figure is drawn in full, for a figure without :func:`set_still`, without
    moving artists, or with an image in the layer (matplotlib draws animated images into
    the background too).
    """
    still = getattr(figure, _STILL, None)
    if still is None:
        return []
    layer: list[Artist] = []
    for container in (*figure.axes, figure):  # the figure's own artists are drawn last
        children = _children(container)
        floor = min((c.get_zorder() for c in children if c not in still), default=None)
        if floor is not None:
            above = [c for c in children if c.get_zorder() >= floor]
            layer.extend(sorted(above, key=methodcaller("get_zorder")))  # stable, as draw()
    if any(isinstance(artist, AxesImage) for artist in layer):
        return []
    return layer


def paint(figure: Figure) -> bool:
    """Draw ``figure`` on its canvas: the background and the moving layer over it.

    The background is drawn again (and kept) when the figure is stale, i.e. when anything
    outside the moving layer changed since the last paint.  Returns whether the kept
    background served, so that only the moving layer was drawn.
    """
    canvas, layer = figure.canvas, moving_layer(figure)
    background = getattr(figure, _BACKGROUND, None)
    reused = bool(layer) and background is not None and not figure.stale
    if reused:  # nothing outside the layer changed, so the layer is the one of last time
        canvas.restore_region(background)
    else:
        if getattr(figure, _STILL, None) is not None:
            in_layer = set(layer)
            for artist in artists(figure):  # animated: left out of the background, and
                artist.set_animated(artist in in_layer)  # its changes leave the figure fresh
        canvas.draw()
        setattr(figure, _BACKGROUND, canvas.copy_from_bbox(figure.bbox) if layer else None)
    renderer = canvas.get_renderer()
    for artist in layer:
        artist.draw(renderer)
    return reused
