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
from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.transforms import Bbox

__all__ = [
    "add_still",
    "artists",
    "moving_layer",
    "paint",
    "set_moving",
    "set_still",
    "still_artists",
]

_STILL, _BACKGROUND, _LAYER = "_still_artists", "_still_background", "_moving_layer"


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


def add_still(figure: Figure, still: Iterable[Artist]) -> None:
    """Say that these artists, made after :func:`set_still`, never move either.

    E.g. a new landscape's contours, drawn when a widget's first result is known.
    """
    getattr(figure, _STILL).update(still)
    setattr(figure, _BACKGROUND, None)


def set_moving(figure: Figure, moving: Iterable[Artist]) -> None:
    """Say that these artists, once still, move from now on (e.g. a title that shows a value)."""
    still = getattr(figure, _STILL)
    moving = [artist for artist in moving if artist in still]
    if moving:
        still.difference_update(moving)
        setattr(figure, _BACKGROUND, None)


def still_artists(figure: Figure) -> list[Artist]:
    """The artists of the figure said to be still (none without :func:`set_still`)."""
    still = getattr(figure, _STILL, set())
    return [artist for artist in artists(figure) if artist in still]


def moving_layer(figure: Figure) -> list[Artist]:
    """The moving artists with every artist a full draw paints above them, in its order.

    A still artist above them is left out when it lies clear of everywhere they can paint
    (a moving artist clipped to its axes paints inside them: a title above the axes, a
    legend outside them stays in the background).  Empty, so the figure is drawn in full,
    for a figure without :func:`set_still`, without moving artists, or with an image in the
    layer (matplotlib draws animated images into the background too).
    """
    still = getattr(figure, _STILL, None)
    if still is None:
        return []
    containers = (*figure.axes, figure)
    fresh = [container for container in containers if not container.stale]
    layer = _layer(figure, still, containers)
    for container in fresh:  # measuring extents marks some artists stale (a spine's path)
        container.stale = False
    return layer


def _layer(figure: Figure, still: set[Artist], containers) -> list[Artist]:
    """:func:`moving_layer`, computed container by container (it may mark artists stale)."""
    renderer = figure.canvas.get_renderer()
    layer: list[Artist] = []
    for container in containers:  # the figure's own artists are drawn last
        children = _children(container)
        moving = [c for c in children if c not in still]
        if not moving:
            continue
        floor = min(c.get_zorder() for c in moving)
        reach = [_reach(c) for c in moving]
        above = [
            c
            for c in children
            if c.get_zorder() >= floor and (c not in still or _overlaps(c, reach, renderer))
        ]
        layer.extend(sorted(above, key=methodcaller("get_zorder")))  # stable, as draw()
    if any(isinstance(artist, AxesImage) for artist in layer):
        return []
    return layer


def _reach(artist: Artist) -> Bbox | None:
    """Where ``artist`` can paint, in pixels: its clip box, or ``None`` for anywhere."""
    box = artist.get_clip_box() if artist.get_clip_on() else None
    return None if box is None else Bbox(box.get_points())


def _overlaps(artist: Artist, reach: list[Bbox | None], renderer) -> bool:
    """Whether ``artist``, with a margin of 2 pixels, meets one of the regions ``reach``.

    An axis counts as meeting them: its ticks and grid lines lie inside the axes too.
    """
    if isinstance(artist, Axis) or any(region is None for region in reach):
        return True
    extent = artist.get_window_extent(renderer).padded(2)
    return any(extent.overlaps(region) for region in reach)


def paint(figure: Figure) -> bool:
    """Draw ``figure`` on its canvas: the background and the moving layer over it.

    The background and the layer are drawn again (and kept) when the figure is stale,
    i.e. when anything outside the moving layer changed since the last paint.  Returns
    whether the kept background served, so that only the moving layer was drawn.
    """
    canvas = figure.canvas
    background, layer = getattr(figure, _BACKGROUND, None), getattr(figure, _LAYER, [])
    reused = bool(layer) and background is not None and not figure.stale
    if reused:  # nothing outside the layer changed, so the layer is the one of last time
        canvas.restore_region(background)
    else:
        engine = figure.get_layout_engine()
        if engine is not None:
            engine.execute(figure)  # the layer depends on where the axes and texts are
        layer = moving_layer(figure)
        if getattr(figure, _STILL, None) is not None:
            in_layer = set(layer)
            for artist in artists(figure):  # animated: left out of the background, and
                artist.set_animated(artist in in_layer)  # its changes leave the figure fresh
        canvas.draw()
        setattr(figure, _BACKGROUND, canvas.copy_from_bbox(figure.bbox) if layer else None)
        setattr(figure, _LAYER, layer)
    renderer = canvas.get_renderer()
    for artist in layer:
        artist.draw(renderer)
    for container in (*figure.axes, figure):  # drawing changed nothing that shows, yet some
        container.stale = False  # draws mark it stale (a legend sizes its frame, an axis its ticks)
    return reused
