"""A widget's figure, explorable without a kernel: precomputed frames behind a slider.

Readers of the rendered site have no Python kernel, so an ipywidgets slider
there moves nothing.  :func:`frame_values` picks the values of one control at
which to precompute the figure, and :func:`explorer_html` packs the frames
(palette PNGs, a few tens of kB each) with a plain HTML range input whose
inline handler shows the matching frame.  It needs no JavaScript library and
no network; in a live notebook the real widget is shown instead.

The frames cost a few seconds per widget, so a kernel computes them only when its
outputs become the site: when ``OPTIMIZERS_BOOK_SITE=1`` (:func:`for_the_site`), which
``make book`` and the tests' nbval run set.  A reader's kernel (JupyterLab, Binder,
Colab) shows the live widget and skips them.
"""

from __future__ import annotations

import base64
import html
import io
import os
from collections.abc import Sequence

import ipywidgets
import numpy as np
import PIL.Image

__all__ = ["SITE_VARIABLE", "compress_png", "explorer_html", "for_the_site", "frame_values"]

CSS_CLASS = "optimizers-explorer"
SITE_VARIABLE = "OPTIMIZERS_BOOK_SITE"


def for_the_site() -> bool:
    """Whether this kernel's outputs become the rendered site (``OPTIMIZERS_BOOK_SITE=1``)."""
    return os.environ.get(SITE_VARIABLE) == "1"


# Show frame i of the explorer that contains this input, and its value.
_ON_INPUT = (
    f"var e=this.closest('.{CSS_CLASS}'),i=+this.value;"
    "e.querySelectorAll('img').forEach(function(m,j){m.hidden=j!==i;});"
    "e.querySelector('output').textContent=JSON.parse(e.dataset.values)[i];"
)


def frame_values(control: ipywidgets.ValueWidget, count: int = 17) -> list[float]:
    """``count`` values spread over a slider's range, one of them its current value.

    Evenly spaced in the exponent for a log slider, in the value otherwise; the
    value nearest the slider's current one is replaced by it, so the first frame
    a reader sees is exactly the figure the notebook drew.
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 2:
        raise ValueError(f"count must be a whole number >= 2, got {count!r}")
    if isinstance(control, ipywidgets.FloatLogSlider):
        values = control.base ** np.linspace(control.min, control.max, count)
    elif isinstance(control, (ipywidgets.FloatSlider, ipywidgets.IntSlider)):
        values = np.linspace(control.min, control.max, count)
        if isinstance(control, ipywidgets.IntSlider):
            values = np.unique(np.round(values).astype(int))
    else:
        raise TypeError(f"control must be a numeric slider, got {type(control).__name__}")
    values = [v.item() for v in values]
    nearest = int(np.argmin([abs(v - control.value) for v in values]))
    values[nearest] = control.value
    return values


def compress_png(png: bytes, colors: int = 96) -> bytes:
    """Re-encode a figure PNG with a palette of ``colors`` colours (about 4× smaller).

    Line plots on white have few colours, so a fast octree palette loses
    nothing visible; it takes about 9 ms for a two-panel figure.
    """
    image = PIL.Image.open(io.BytesIO(png)).convert("RGB")
    palette = image.quantize(colors=colors, method=PIL.Image.Quantize.FASTOCTREE)
    buffer = io.BytesIO()
    palette.save(buffer, format="png")
    return buffer.getvalue()


def _format(value: float) -> str:
    return f"{value:.3g}"


def explorer_html(
    frames: Sequence[bytes],
    values: Sequence[float],
    label: str,
    start: int,
    fixed: dict[str, float] | None = None,
    alt: str = "figure",
) -> str:
    """HTML for a slider over precomputed PNG ``frames`` (one per entry of ``values``).

    Args:
        frames: PNG bytes, one per value.
        values: the control's value for each frame.
        label: the control's name as shown (e.g. ``"α"``).
        start: index of the frame shown first.
        fixed: the other controls' values, named in a note under the figure.
        alt: the alt text of the figure, completed with the frame's value.
    """
    if len(frames) != len(values) or not frames:
        raise ValueError(f"need one frame per value, got {len(frames)} and {len(values)}")
    if not 0 <= start < len(frames):
        raise ValueError(f"start must index a frame, got {start}")
    shown = [_format(v) for v in values]
    images = "".join(
        f'<img src="data:image/png;base64,{base64.b64encode(png).decode()}" '
        f'alt="{html.escape(alt)} ({html.escape(label)} = {value})"'
        f"{'' if i == start else ' hidden'}>"
        for i, (png, value) in enumerate(zip(frames, shown, strict=True))
    )
    others = ", ".join(f"{html.escape(k)} = {_format(v)}" for k, v in (fixed or {}).items())
    note = f"Precomputed for {len(frames)} values of {html.escape(label)}"
    note += f"; the other controls stay at {others}." if others else "."
    note += " Run the notebook to move every control."
    return (
        f'<div class="{CSS_CLASS}" data-values="{html.escape(str(shown).replace(chr(39), chr(34)))}">'
        f'<label>{html.escape(label)} <input type="range" min="0" max="{len(frames) - 1}" '
        f'step="1" value="{start}" aria-label="{html.escape(label)}" '
        f'oninput="{html.escape(_ON_INPUT)}"></label> '
        f"<output>{shown[start]}</output>"
        f"<div>{images}</div>"
        f'<p style="font-size: 0.85em; margin: 0.2em 0 0 0;">{note}</p>'
        "</div>"
    )
