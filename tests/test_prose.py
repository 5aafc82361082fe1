"""lab.prose: a number is formatted once, glued for the site and kept for the kernel; a figure is saved."""

import sys
import types

import numpy as np
import PIL.Image
import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from lab import plot
from lab.prose import glue, glued, save_figure


def test_glue_formats_once_glues_the_text_and_keeps_it_for_the_eval_role():
    InteractiveShell.instance()  # glue displays through IPython, as in a kernel
    with capture_output() as captured:
        assert glue("final_loss", 0.000123456, ".2e") is None  # nothing shown under the cell
        glue("steps", 60)
    assert [output.data for output in captured.outputs] == [
        {"application/papermill.record/text/plain": "'1.23e-04'"},
        {"application/papermill.record/text/plain": "'60'"},
    ]
    assert [output.metadata for output in captured.outputs] == [
        {"scrapbook": {"name": "final_loss", "mime_prefix": "application/papermill.record/"}},
        {"scrapbook": {"name": "steps", "mime_prefix": "application/papermill.record/"}},
    ]
    assert (glued.final_loss, glued.steps) == ("1.23e-04", "60")


def test_glue_displays_exactly_what_myst_nb_glue_displays():
    from myst_nb import glue as myst_nb_glue

    from lab import prose

    InteractiveShell.instance()
    with capture_output() as ours:
        prose._myst_nb_glue("alpha", "0.45")
    with capture_output() as theirs:
        myst_nb_glue("alpha", "0.45", display=False)
    assert [(o.data, o.metadata) for o in ours.outputs] == [
        (o.data, o.metadata) for o in theirs.outputs
    ]
    assert ours.outputs  # something was displayed
    from myst_nb.ext.glue import GLUE_PREFIX

    assert prose.GLUE_PREFIX == GLUE_PREFIX


@pytest.mark.parametrize(
    ("value", "spec", "text"),
    [
        (np.float32(0.45), ".3g", "0.45"),  # a float presentation formats float(value)
        (np.int64(7), ".1f", "7.0"),
        (np.float64(12.0), "d", "12"),  # an integer presentation formats int(value)
        (np.int64(1_000_000), ",", "1,000,000"),
        (0.25, ".0%", "25%"),
        (3, "s", "3"),
        ("adam", "", "adam"),
    ],
)
def test_glue_formats_like_the_glue_text_role(value, spec, text):
    InteractiveShell.instance()
    with capture_output():
        glue("formatted", value, spec)
    assert glued.formatted == text


@pytest.mark.parametrize("name", ["not a name", "1st", "", None])
def test_names_must_be_identifiers(name, tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="name must be a Python identifier"):
        glue(name, 1.0)
    monkeypatch.chdir(tmp_path)
    fig, _ = plot.figure(ncols=1)
    with pytest.raises(ValueError, match="name must be a Python identifier"):
        save_figure(name, fig)


def test_glue_names_a_spec_that_is_not_a_string():
    with pytest.raises(TypeError, match="spec must be a format specification"):
        glue("alpha", 0.1, 3)


def test_save_figure_writes_the_png_the_figure_directive_shows(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a kernel runs in the notebook's folder
    fig, ax = plot.figure(ncols=1, width=2.0, height=1.5, dpi=100)
    ax.plot([0, 1], [1, 0])
    assert save_figure("demo", fig) is None  # a cell ending with it shows nothing
    with PIL.Image.open(tmp_path / "figures" / "demo.png") as image:
        assert (image.format, image.size) == ("PNG", (200, 150))  # the figure's own size and dpi
    with pytest.raises(TypeError, match="fig must be a matplotlib Figure"):
        save_figure("demo", ax)


def test_save_figure_shows_the_figure_in_colab_only(tmp_path, monkeypatch):
    """Colab cannot render the figure directive, so the figure appears under its cell there."""
    monkeypatch.chdir(tmp_path)
    InteractiveShell.instance()
    fig, _ = plot.figure(ncols=1, width=2.0, height=1.5)
    with capture_output() as elsewhere:
        save_figure("demo", fig)
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    with capture_output() as colab:
        save_figure("demo", fig)
    assert elsewhere.outputs == []
    assert [sorted(output.data) for output in colab.outputs] == [["image/png", "text/plain"]]


def test_listing_joins_names_as_prose():
    from lab.prose import listing

    assert listing(["saddle"]) == "saddle"
    assert listing(["saddle", "MLP"]) == "saddle and MLP"
    assert listing(["a", "b", "c"]) == "a, b and c"
    with pytest.raises(ValueError, match="item"):
        listing([])
