"""The book builds with warnings as errors, and the pages say what they should.

This is the build CI relies on: `jupyter-book build -W -n --keep-going` into a fresh
folder. It reads each notebook nbval executed cleanly in the same run and executes
the others itself (tests/notebook_cache.py).
"""

import inspect
import json
import re
from html import unescape

import nbformat
import pytest
from jupyter_cache import get_cache
from myst_nb.ext.glue import extract_glue_data_cell

import optimizers
from conftest import ROOT, toc_pages
from coursework.grader import Limits


def test_build_has_no_warnings(site):
    _, log = site
    warnings = [
        line for line in log.splitlines() if "WARNING" in line and "Kernel is running" not in line
    ]
    assert warnings == []


def test_each_notebook_nbval_ran_is_read_not_executed_again(site, nbval_outcomes, request):
    _, log = site
    notebooks_in_toc = [f"{p}.ipynb" for p in toc_pages() if (ROOT / f"{p}.ipynb").exists()]
    collected = {item.path.relative_to(ROOT).as_posix() for item in request.session.items}
    if not set(notebooks_in_toc) <= collected:
        pytest.skip("nbval did not run every chapter in this session (e.g. this file alone)")
    for name in notebooks_in_toc:
        assert nbval_outcomes.get(name) == "cached", f"{name}: {nbval_outcomes.get(name)}"
        assert f"{name}: Using cached notebook" in log
    assert "Executing notebook" not in log


NOTEBOOKS = [page for page in toc_pages() if (ROOT / f"{page}.ipynb").exists()]
EVAL_ROLE = re.compile(r"\{eval\}`([^`]*)`")


@pytest.mark.parametrize("page", NOTEBOOKS)
def test_each_number_is_glued_above_the_text_that_shows_it(site, nbval_outcomes, page, request):
    """JupyterLab evaluates a Markdown cell's ``{eval}`glued.name``` when Run All reaches the
    cell, so ``name`` must be glued by a code cell above it (the site would not notice)."""
    if nbval_outcomes.get(f"{page}.ipynb") != "cached":
        pytest.skip(f"nbval did not run {page} cleanly in this session")
    source = nbformat.read(ROOT / f"{page}.ipynb", as_version=4)
    cache = get_cache(request.config.notebook_cache / "jupyter_cache")
    _, executed = cache.merge_match_into_notebook(source)
    glued_so_far, late = set(), []
    for index, cell in enumerate(executed.cells):
        if cell.cell_type == "code":
            glued_so_far |= {name for name, _ in extract_glue_data_cell(cell)}
        elif cell.cell_type == "markdown":
            for expression in EVAL_ROLE.findall(cell.source):
                if expression.removeprefix("glued.") not in glued_so_far:
                    late.append(f"cell {index}: {expression}")
    assert late == [], f"{page}: shown before the cell that glues it: {late}"


CITATION_LINK = re.compile(r"\[((?:[^\[\]]|\[[^\[\]]*\])*)\]\(cite:[pt]:[\w,-]+\)")
SITE_CITATION = re.compile(r'<span class="bibtex-citation"[^>]*>(.*?)</span>', re.S)


@pytest.mark.parametrize("page", NOTEBOOKS)
def test_each_citation_reads_as_the_site_prints_it(site, page):
    """A citation is a link whose text JupyterLab and Colab show (book/_ext/citation_links.py):
    that text must be what the site prints for the same citation, in the same order."""
    html, _ = site
    notebook = json.loads((ROOT / f"{page}.ipynb").read_text())
    written = [
        match[1]
        for cell in notebook["cells"]
        if cell["cell_type"] == "markdown"
        for match in CITATION_LINK.finditer("".join(cell["source"]))
    ]
    text = (html / f"{page}.html").read_text()
    main = text[text.index("<main") :]
    printed = [
        " ".join(unescape(re.sub(r"<[^>]+>", "", span)).split())
        for span in SITE_CITATION.findall(main)
    ]
    assert written == printed
    assert "{cite" not in json.dumps(notebook), f"{page}: a cite role JupyterLab shows as a key"


def test_each_figure_is_a_file_its_chapter_saved(site):
    """A ``figure`` directive shows ``figures/<name>.png``; the chapter's own run wrote it."""
    html, _ = site
    for page in NOTEBOOKS:
        notebook = json.loads((ROOT / f"{page}.ipynb").read_text())
        markdown = "".join(
            "".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "markdown"
        )
        code = "".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code")
        for name in re.findall(r"^:::\{figure\} figures/(\w+)\.png$", markdown, flags=re.M):
            assert f'save_figure("{name}", ' in code, (
                f"{page}: figures/{name}.png is not saved by it"
            )
            assert (html / "_images" / f"{name}.png").exists(), (
                f"{page}: {name}.png not on the site"
            )
        assert "{glue" not in markdown, f"{page}: a glue role or directive JupyterLab cannot show"


@pytest.mark.parametrize("page", toc_pages())
def test_every_page_in_the_toc_is_built(site, page):
    html, _ = site
    path = html / f"{page}.html"
    assert path.exists(), f"{page} missing from the site"
    text = path.read_text()
    assert "Traceback (most recent call last)" not in text
    assert 'class="output traceback' not in text


def test_intro_shows_the_executed_example_with_glued_numbers(site):
    html, _ = site
    text = (html / "book" / "intro.html").read_text()
    assert "The package in five lines" in text
    # the numbers are rendered, not left as roles: {eval} reads the glued text
    assert "glue:text" not in text and "{eval}" not in text and "intro_final_loss" not in text
    numbers = re.search(
        r"fell from\s*<span[^>]*>([0-9.e+-]+)</span>\s*to\s*<span[^>]*>([0-9.e+-]+)", text
    )
    assert numbers, "the glued loss values are missing"
    start, final = (float(x) for x in numbers.groups())
    assert start == pytest.approx(5.5) and final < 1e-3 * start
    # the figure is embedded with its caption and alt text
    assert re.search(r'<img[^>]+alt="Three optimization paths', text)
    assert "Three optimizers on the ill-conditioned paraboloid" in text
    # the Colab install cell is hidden on the site
    assert "google.colab" not in text


def test_intro_has_launch_buttons(site):
    html, _ = site
    text = (html / "book" / "intro.html").read_text()
    assert "mybinder.org/v2/gh/" in text and "book/intro.ipynb" in text
    assert "colab.research.google.com/github/" in text


def test_api_page_documents_every_public_name(site):
    html, _ = site
    text = (html / "book" / "api.html").read_text()
    documented = set(re.findall(r'id="optimizers\.[a-z_]+\.([A-Za-z_]+)"', text))
    functions = [n for n in optimizers.__all__ if not inspect.ismodule(getattr(optimizers, n))]
    missing = [name for name in functions if name not in documented]
    assert missing == []
    assert "Kingma and Ba 2015" in text  # docstrings carry the paper
    # docstring equations become display math (Adam's bias correction, AdaBound's clip)
    blocks = re.findall(r'<div class="math[^"]*">(.*?)</div>', text, flags=re.DOTALL)
    assert any(r"\hat m_t &amp;= m_t / (1 − β_1^t)" in block for block in blocks)
    assert any(r"\operatorname{clip}" in block for block in blocks)


def test_bibliography_lists_the_papers(site):
    html, _ = site
    text = (html / "book" / "bibliography.html").read_text()
    for needle in ["adam: a method for stochastic optimization", "lookahead optimizer", "1964"]:
        assert needle in text.lower()


def test_instructor_guide_states_the_graders_default_limits(site):
    html, _ = site
    page = (html / "book" / "instructors.html").read_text()
    text = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    limits = Limits()
    assert f"default {limits.cell} s per cell" in text
    assert f"default {limits.total} s per submission" in text
    assert f"default {limits.setup} s )" in text or f"default {limits.setup} s)" in text
    assert "{eval}" not in text and "guide_cell_limit" not in text
