"""Citations that read as text in JupyterLab and Colab and cite the bibliography on the site.

jupyterlab-myst has no bibliography (every ``{cite}`` role shows its bare key, marked "not
found") and Colab renders no MyST, so a chapter writes a citation as a Markdown link whose
text is what the site prints and whose target names the form and the BibTeX keys::

    [Duchi et al. [2011]](cite:t:duchi2011)          narrative, like {cite:t}`duchi2011`
    [[Kingma and Ba, 2015]](cite:p:kingma2015)        parenthetical, like {cite:p}`kingma2015`

Before a page is parsed, this extension turns each such link back into sphinxcontrib-bibtex's
role, so the site links the citation to the bibliography and lists the paper there.
``tests/test_book.py`` checks that every link's text is what the site prints for it.
"""

from __future__ import annotations

import re

CITATION = re.compile(r"\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(cite:([pt]):([\w,-]+)\)")
"""``[text](cite:<p|t>:<key>[,<key>…])``; the text may hold one level of brackets."""


def as_role(match: re.Match) -> str:
    return f"{{cite:{match[1]}}}`{match[2]}`"


def citations_to_roles(app, docname: str, source: list[str]) -> None:
    source[0] = CITATION.sub(as_role, source[0])


def setup(app):
    app.connect("source-read", citations_to_roles)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
