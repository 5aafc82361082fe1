"""How many frames the rendered site's explorers of the chapter's widgets show.

Each frame is one more run and redraw when a site build executes the notebook, so the
chapter keeps them few; :func:`with_static_frames` sets a widget's count.
"""

from __future__ import annotations

from lab import widgets

__all__ = ["STATIC_FRAMES", "with_static_frames"]

STATIC_FRAMES = 9
"""How many frames the rendered site's explorer of a widget shows. Each frame is one more run
and redraw when the notebook executes, so the chapter keeps them few."""


def with_static_frames(widget: widgets.Interactive, frames: int = STATIC_FRAMES):
    """The widget, its site explorer set to ``frames`` frames (computed when a site build
    displays it)."""
    widget.frames = frames
    return widget
