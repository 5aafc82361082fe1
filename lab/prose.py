"""Numbers in a chapter's prose that read the same on the site and in a live notebook.

A hidden cell computes a value, asserts the claim the prose makes about it, and binds
the text the prose shows to a name::

    intro_final_loss = shown("intro_final_loss", final_loss, ".1e")

The Markdown then shows it with MyST's ``eval`` role, whose content is that name. In
JupyterLab (with jupyterlab-myst) the role evaluates the name in the kernel after Run
All; on the site, ``book/_ext/glued_eval.py`` reads the text glued under the same name,
from the same run.
"""

from __future__ import annotations

from typing import Any


def shown(name: str, value: Any, spec: str = "") -> str:
    """``format(value, spec)``, glued as ``name`` for the site; returns the text to bind to ``name``."""
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"name must be a Python identifier, got {name!r}")
    from myst_nb import glue  # the book's runtime, not the lab's: only a chapter calls this

    text = format(value, spec)
    glue(name, text, display=False)
    return text
