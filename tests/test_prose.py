"""lab.prose: a number for the prose is formatted once, glued for the site and returned for the kernel."""

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from lab.prose import shown


def test_shown_returns_the_formatted_text_and_glues_it():
    InteractiveShell.instance()  # glue displays through IPython, as in a kernel
    with capture_output() as captured:
        assert shown("final_loss", 0.000123456, ".2e") == "1.23e-04"
        assert shown("steps", 60) == "60"
    glued = [output.data for output in captured.outputs]
    assert glued == [
        {"application/papermill.record/text/plain": "'1.23e-04'"},
        {"application/papermill.record/text/plain": "'60'"},
    ]
    assert [output.metadata for output in captured.outputs] == [
        {"scrapbook": {"name": "final_loss", "mime_prefix": "application/papermill.record/"}},
        {"scrapbook": {"name": "steps", "mime_prefix": "application/papermill.record/"}},
    ]


@pytest.mark.parametrize("name", ["not a name", "1st", "", None])
def test_shown_names_must_be_identifiers(name):
    with pytest.raises(ValueError, match="name must be a Python identifier"):
        shown(name, 1.0)
