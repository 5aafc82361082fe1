"""MyST's ``eval`` role on the site: ``{eval}`glued.name``` shows the text glued as ``name``.

One role for both places a chapter is read. In JupyterLab, jupyterlab-myst evaluates
``glued.name`` in the kernel, where :func:`lab.prose.glue` kept the formatted text. The
site executes each notebook whole (``make book``) or reads it from a cache (``make
test``), never inline, so myst-nb's own ``eval`` role has no kernel to ask; this one
reads the text glued under the same name. An expression of another form, or a name that
was not glued, is a warning: an error under ``-W``.
"""

from __future__ import annotations

import re

from myst_nb.core.variables import RetrievalError, create_warning, render_variable_outputs
from myst_nb.ext.glue.utils import retrieve_glue_data
from myst_nb.ext.utils import RoleBase

GLUED_NAME = re.compile(r"glued\.([A-Za-z_]\w*)")


class GluedEvalRole(RoleBase):
    """The text glued as ``name``, for the role's content ``glued.name``, shown inline."""

    def run(self):
        match = GLUED_NAME.fullmatch(self.text)
        if match is None:
            message = f"eval: {self.text!r} is not of the form glued.name (lab.prose.glue)"
            return [], [create_warning(message, self.document, self.line, subtype="eval")]
        try:
            output = retrieve_glue_data(self.document, match[1])
        except RetrievalError as error:
            return [], [create_warning(str(error), self.document, self.line, subtype="eval")]
        output.metadata["strip_text_quotes"] = True
        nodes = render_variable_outputs(
            [output], self.document, self.line, self.source, inline=True
        )
        return nodes, []


def setup(app):
    app.add_role("eval", GluedEvalRole(), override=True)  # after myst-nb's own
    return {"parallel_read_safe": True, "parallel_write_safe": True}
