"""Numbers and figures in a chapter's prose, the same on the site and in a live notebook.

A chapter is read in two places: on the site, which Jupyter Book builds from the executed
notebook, and live in JupyterLab (Binder), where jupyterlab-myst renders the Markdown
after Run All.  Both understand MyST's ``eval`` role and the ``figure`` directive, so
these are what the prose uses.

*A number.*  A hidden cell computes a value, asserts the claim the prose makes about it,
and glues the text the prose shows::

    glue("intro_final_loss", final_loss, ".1e")

The Markdown below it writes ``{eval}`glued.intro_final_loss```.  In JupyterLab the role
evaluates ``glued.intro_final_loss`` in the kernel: :data:`glued` holds every text glued
in it.  On the site, ``book/_ext/glued_eval.py`` reads the text myst-nb stored under the
same name from the same run.

*A figure.*  The cell that makes a figure saves it with :func:`save_figure`, and the
Markdown shows the file with a captioned, numbered ``figure`` directive::

    :::{figure} figures/mom_phase.png
    :name: mom-fig-phase
    :alt: …
    The caption, which may use {eval}`glued.mom_sqrt_09` and math.
    :::

The file is written next to the notebook when the cell runs (by Run All, ``make book``
or nbval), so a figure always comes from the run that made the numbers beside it.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from lab.plot import png_bytes

FIGURES = Path("figures")
"""Where :func:`save_figure` writes, relative to the kernel's working directory (the
notebook's folder in JupyterLab, in the book build and under nbval)."""

glued = types.SimpleNamespace()
"""Every text glued in this kernel by :func:`glue`, as attributes: ``glued.name``."""


def glue(name: str, value: Any, spec: str = "") -> None:
    """Glue ``format(value, spec)`` as ``name`` for the site and keep it as ``glued.name``.

    ``spec`` is a format specification (``".3g"``, ``".1%"``, ``""`` for ``str``), applied
    as myst-nb's ``glue:text`` role applies it: a float presentation type formats
    ``float(value)``, an integer one ``int(value)``, so NumPy and JAX scalars format like
    Python numbers.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"name must be a Python identifier, got {name!r}")
    if not isinstance(spec, str):
        raise TypeError(f"spec must be a format specification string, got {spec!r}")
    text = format(_as_formatted_type(value, spec), spec)
    _myst_nb_glue(name, text)
    setattr(glued, name, text)


GLUE_PREFIX = "application/papermill.record/"
"""The mime-type prefix of a glued output (``myst_nb.ext.glue.GLUE_PREFIX``)."""


def _myst_nb_glue(name: str, variable: Any) -> None:
    """``myst_nb.glue(name, variable, display=False)``, without importing myst-nb.

    Importing myst-nb in a kernel costs 2.5 s (through nbformat, jsonschema's format
    checkers build a grammar at import), every chapter's first glue paid it, and all a
    kernel needs of myst-nb is these lines.  ``tests/test_prose.py`` checks that they
    display exactly what myst-nb's own glue displays.
    """
    from IPython.core.formatters import format_display_data
    from IPython.display import display

    bundle, metadata = format_display_data(variable)
    metadata["scrapbook"] = {"name": name, "mime_prefix": GLUE_PREFIX}
    display(
        {GLUE_PREFIX + key: value for key, value in bundle.items()}, raw=True, metadata=metadata
    )


def _as_formatted_type(value: Any, spec: str) -> Any:
    presentation = spec[-1:]
    if presentation and presentation in "eEfFgGn%":
        return float(value)
    if presentation and presentation in "bcdoxX":
        return int(value)
    if presentation == "s":
        return str(value)
    return value


def save_figure(name: str, fig: Figure) -> None:
    """Write ``fig`` to ``figures/<name>.png`` for the Markdown's ``figure`` directive.

    The PNG is drawn at the figure's own dpi, as the notebook shows it, at zlib's default
    level 6 (within 3 % of level 9's size, in a quarter of its time).  Nothing is returned, so a cell that
    ends with this call shows nothing under it, except in Colab: Colab renders no MyST,
    so there the figure is shown under the cell instead.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"name must be a Python identifier, got {name!r}")
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    FIGURES.mkdir(exist_ok=True)
    path = FIGURES / f"{name}.png"
    path.write_bytes(png_bytes(fig, compress_level=6))
    if "google.colab" in sys.modules:
        from IPython.display import display

        display(fig)


def listing(items) -> str:
    """Names as prose: ``"a"``, ``"a and b"``, ``"a, b and c"``; a sentence glues the result."""
    items = [str(item) for item in items]
    if not items:
        raise ValueError("listing needs at least one item")
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
