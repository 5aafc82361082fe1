"""Small Sphinx fixes for the book's pages (loaded from _config.yml's local_extensions)."""

from __future__ import annotations

import re

NAMEDTUPLE_FIELD = re.compile(r"^Alias for field number \d+$")


def drop_namedtuple_field_aliases(app, what, name, obj, options, lines):
    """NamedTuple fields document themselves as "Alias for field number N": say nothing instead."""
    if len(lines) == 1 and NAMEDTUPLE_FIELD.match(lines[0].strip()):
        lines.clear()


def setup(app):
    app.connect("autodoc-process-docstring", drop_namedtuple_field_aliases)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
