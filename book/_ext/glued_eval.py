"""MyST's ``eval`` role on the site: the text the notebook glued under the role's name.

One role for both places a chapter is read. In JupyterLab, jupyterlab-myst evaluates
``name`` in the kernel, where the chapter bound it to the formatted text
(:func:`lab.prose.shown`). The site executes each notebook whole (``make book``) or
reads it from a cache (``make test``), never inline, so myst-nb's own ``eval`` role has
no kernel to ask; this one reads the value glued under the same name. A name that was
not glued is a warning, an error under ``-W``.
"""

from __future__ import annotations

from myst_nb.core.variables import RetrievalError, create_warning, render_variable_outputs
from myst_nb.ext.glue.utils import retrieve_glue_data
from myst_nb.ext.utils import RoleBase


class GluedEvalRole(RoleBase):
    """The text glued under the role's content, a name, shown inline without quotes."""

    def run(self):
        if not self.text.isidentifier():
            message = f"eval: {self.text!r} is not a name (the book evaluates names only)"
            return [], [create_warning(message, self.document, self.line, subtype="eval")]
        try:
            output = retrieve_glue_data(self.document, self.text)
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
