"""Every chapter as a Binder reader gets it: JupyterLab with jupyterlab-myst, Run All, in Chromium.

A JupyterLab server from this environment (binder/jupyterlab.txt) serves a copy of
``book/``. Each notebook of the table of contents is opened, run with Run All and read
back as its reader sees it, then compared with the page the site built from nbval's run
of the same notebook:

* no raw MyST markup, no unknown role or directive;
* every number the page shows in its prose (``{eval}`glued.name```) is there;
* at least as many figures (captioned figures and widget pictures) as the page has
  figures and explorers, every one of them loaded;
* a slider moved with the keyboard redraws its widget's picture (the time from the key
  press to the new picture is recorded in ``live-notebooks.json``);
* no error output and no console error after Run All.

Chapters run one at a time in one JupyterLab tab; each notebook is closed and its kernel
shut down before the next opens. The kernels share JAX's compilation cache with nbval's run
(``tests/notebook_cache.py``), so the Run All times recorded here are with programs already
compiled; a reader's first Run All also compiles them.
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import NamedTuple

import nbformat
import pytest
from myst_nb.ext.glue import extract_glue_data_cell
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from conftest import ROOT, toc_pages
from lab.static_explorer import SITE_VARIABLE
from tests.notebook_cache import LIVE_REPORT

NOTEBOOKS = [page for page in toc_pages() if (ROOT / f"{page}.ipynb").exists()]
RAW_MYST = ["{glue", "{eval", ":::{", "```{", "{cite", "{ref", "{numref", "{eq}", "{term"]
EVAL_ROLES = re.compile(r"\{eval\}`([^`]*)`")
UNRENDERED = ["Unknown Directive", "Unknown Role", "Cross reference target was not found"]
SETTINGS = {  # JupyterLab's settings for the test: render every cell, never write the copy back
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}
# Generous limits that only catch a hang: Run All takes 5-50 s a chapter here.
RUN_ALL_TIMEOUT_MS = 900_000
START_TIMEOUT_MS = 300_000
FIGURES_TIMEOUT_MS = 60_000  # they load about 2 s after the last cell
QUEUED_TIMEOUT_MS = 100_000  # Run All marks every cell queued at once, in milliseconds


class SliderMove(NamedTuple):
    """One arrow key on a widget's first slider (right, or left if it is at its top).

    Attributes:
        changed: whether the widget's picture changed.
        milliseconds: from the key press to the new picture in the page.
    """

    changed: bool
    milliseconds: float


class LiveRun(NamedTuple):
    """What a reader sees in one chapter after Run All.

    Attributes:
        text: the notebook's visible text.
        run_all_seconds: from the Run All click to the last cell's execution count.
        figures: captioned figures and widget pictures shown, every image loaded.
        unloaded_images: images in the notebook that did not load.
        error_outputs: outputs of type error.
        console_errors: the browser console's errors during Run All.
        slider: the slider test's result, or None for a chapter without sliders.
        dialogs: the text of any dialog that was open (none is expected).
        glued: the texts this run glued, by name (from the notebook saved after the run).
    """

    text: str
    run_all_seconds: float
    figures: int
    unloaded_images: int
    error_outputs: int
    console_errors: list[str]
    slider: SliderMove | None
    dialogs: list[str]
    glued: dict[str, str]


class LiveServer(NamedTuple):
    """A JupyterLab server for the test.

    Attributes:
        url: its base URL.
        folder: the folder it serves, holding the copy of ``book/``.
    """

    url: str
    folder: Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api(url: str, path: str, method: str = "GET"):
    request = urllib.request.Request(f"{url}{path}", method=method)
    with urllib.request.urlopen(request, timeout=30) as response:
        body = response.read()
    return json.loads(body) if body else None


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    """A JupyterLab server on localhost serving a fresh copy of book/; its base URL."""
    folder = tmp_path_factory.mktemp("live")
    ignore = shutil.ignore_patterns("_build", "figures", ".ipynb_checkpoints")
    shutil.copytree(ROOT / "book", folder / "book", ignore=ignore)
    settings = folder / "settings"
    for name, values in SETTINGS.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(json.dumps(values))
    port = free_port()
    command = [
        *(sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root"),
        *("--ip=127.0.0.1", f"--port={port}", "--IdentityProvider.token="),
        "--ServerApp.disable_check_xsrf=True",  # the test shuts kernels down through the API
        "--LabApp.expose_app_in_browser=True",  # window.jupyterapp: open, run and close notebooks
    ]
    # a reader's kernel: no static explorers (the site's), the live widgets instead
    env = {k: v for k, v in os.environ.items() if k != SITE_VARIABLE}
    env["JUPYTERLAB_SETTINGS_DIR"] = str(settings)
    log = (folder / "jupyterlab.log").open("w")
    server = subprocess.Popen(command, cwd=folder, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_MS / 1000  # it starts in about 3 s
    while True:
        try:
            api(url, "/api/status")
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"JupyterLab did not start: see {log.name}") from None
            time.sleep(0.5)
    yield LiveServer(url, folder)
    server.terminate()
    server.wait(timeout=60)
    log.close()


ALL_RUN = """() => {
  const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
    .map(p => p.textContent);
  return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p));
}"""

ANY_STARTED = """() => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
  .some(p => /\\[(\\*|\\d+)\\]/.test(p.textContent))"""

FIGURES = """() => {
  const loaded = img => img.complete && img.naturalWidth > 0;
  const captioned = [...document.querySelectorAll('.jp-Notebook figure img')].filter(loaded);
  const pictures = [...document.querySelectorAll('.jp-Notebook .jupyter-widgets img')]
    .filter(loaded);
  const unloaded = [...document.querySelectorAll('.jp-Notebook img')].filter(i => !loaded(i));
  return [captioned.length + pictures.length, unloaded.length];
}"""

IMAGES_LOADED = """() => [...document.querySelectorAll('.jp-Notebook img')]
  .every(img => img.complete && img.naturalWidth > 0)"""

OPEN_SOLUTIONS = """() => document.querySelectorAll('.jp-Notebook details')
  .forEach(d => { d.open = true; })"""

# The first slider's widget: its picture is the image in the same widget box.
MOVE_SLIDER = """async () => {
  const handle = document.querySelector('.jp-Notebook .noUi-handle');
  if (!handle) return null;
  const box = handle.closest('.jp-OutputArea-output');
  const picture = () => [...box.querySelectorAll('img')].map(i => i.src).join();
  const before = picture();
  const atMax = Number(handle.getAttribute('aria-valuenow'))
    >= Number(handle.getAttribute('aria-valuemax'));
  handle.focus();
  const start = performance.now();
  const key = atMax ? 'ArrowLeft' : 'ArrowRight';  // a slider may start at its top
  handle.dispatchEvent(new KeyboardEvent('keydown', {key, bubbles: true}));
  while (performance.now() - start < 60000) {
    await new Promise(r => requestAnimationFrame(r));
    if (picture() !== before) return [true, performance.now() - start];
  }
  return [false, performance.now() - start];
}"""


NOT_FOUND = "Failed to load resource: the server responded with a status of 404 (Not Found)"


def without_early_figure_requests(errors: list[str], missing: list[str], unloaded: int):
    """Run All renders every Markdown cell at once, before the kernel has saved the figures;
    the Markdown renders again, with the figures, when its numbers arrive. A 404 for a
    figure file is expected then, if every image has loaded in the end."""
    early = all("/files/book/figures/" in url for url in missing) and unloaded == 0
    return [e for e in errors if not (early and e == NOT_FOUND)]


def saved_glue(page, notebook: Path) -> dict[str, str]:
    """Save the notebook (File > Save, Ctrl+S) and read the texts its run glued."""
    before = notebook.stat().st_mtime_ns
    page.locator(".jp-Notebook").first.click(position={"x": 5, "y": 5})
    page.keyboard.press("Control+s")
    deadline = time.monotonic() + FIGURES_TIMEOUT_MS / 1000
    while True:  # until the file has changed and is whole (the server writes it in place)
        if notebook.stat().st_mtime_ns != before:
            try:
                cells = nbformat.read(notebook, as_version=4).cells
                break
            except (nbformat.reader.NotJSONError, json.JSONDecodeError):
                pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{notebook.name} was not saved")
        time.sleep(0.2)
    return {
        name: ast.literal_eval(output["data"]["text/plain"])
        for cell in cells
        if cell.cell_type == "code"
        for name, output in extract_glue_data_cell(cell)
    }


OPEN = """async path => { await window.jupyterapp.commands.execute('docmanager:open', {path}); }"""
RUN_ALL_ENABLED = """() => window.jupyterapp.commands.isEnabled('notebook:run-all-cells')"""
# The notebook's kernel has started and is connected, and waits for work.
KERNEL_READY = """() => {
  const context = window.jupyterapp.shell.currentWidget.sessionContext;
  const kernel = context.session?.kernel;
  return context.isReady && kernel?.connectionStatus === 'connected' && kernel.status === 'idle';
}"""
KERNEL_STATE = """() => {
  const context = window.jupyterapp.shell.currentWidget.sessionContext;
  const kernel = context.session?.kernel;
  return `ready ${context.isReady}, ${kernel?.connectionStatus}, ${kernel?.status}`;
}"""
# what Run > Run All Cells runs, on the notebook just opened (the current one)
RUN_ALL = """() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }"""
CLOSE = """() => { window.jupyterapp.shell.currentWidget.dispose(); }"""
# Every Markdown cell's {eval} roles answered: jupyterlab-myst asks the kernel once the cell is
# parsed, so an answer can arrive after the last code cell has run.
EVALUATED = """() => window.jupyterapp.shell.currentWidget.content.widgets.every(cell => {
  if (cell.model.type !== 'markdown') return true;
  const roles = (cell.model.sharedModel.getSource().match(/\\{eval\\}`/g) || []).length;
  return (cell.model.getMetadata('user_expressions') || []).length === roles;
})"""
SHOWS_ALL = """texts => {
  const shown = document.querySelector('.jp-Notebook').innerText;
  return texts.every(t => shown.includes(t));
}"""
# jupyterlab-myst evaluates a Markdown cell's {eval} roles when Run All reaches the cell,
# from the cell's parsed MyST: Run All waits until every Markdown cell is rendered.
MARKDOWN_RENDERED = """() => {
  const cells = [...document.querySelectorAll('.jp-Notebook .jp-MarkdownCell')];
  return cells.length > 0 && cells.every(c => c.classList.contains('jp-mod-rendered')
    && c.querySelector('.jp-RenderedMarkdown, .jp-RenderedMyST, .myst') !== null);
}"""


def run_all(page, attempts: int = 3) -> None:
    """Run All, and wait until a cell has started.

    A run queues every cell at once (their prompts turn to [*]). In CI, twice, the first
    notebook of a fresh server queued none, with no error; the command is then given again,
    which cannot run a cell twice since none was queued.
    """
    for _ in range(attempts):
        page.evaluate(RUN_ALL)
        try:
            page.wait_for_function(ANY_STARTED, timeout=QUEUED_TIMEOUT_MS)
            return
        except PlaywrightTimeout:
            continue
    state = page.evaluate(KERNEL_STATE)
    raise AssertionError(f"Run All started no cell in {attempts} attempts (kernel: {state})")


@pytest.fixture(scope="module")
def lab_page(browser, jupyterlab):
    """One JupyterLab tab for every chapter, as a reader opens one chapter after another."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{jupyterlab.url}/lab/workspaces/test?reset")
    page.wait_for_function("() => window.jupyterapp?.shell", timeout=START_TIMEOUT_MS)
    page.wait_for_selector(".jp-DirListing", timeout=START_TIMEOUT_MS)  # the app has started
    yield page
    page.close()


def run_chapter(page, server: LiveServer, name: str) -> LiveRun:
    """Open ``book/<name>.ipynb`` in JupyterLab, Run All, read it, save it; then close it and
    shut its kernel down."""
    url, notebook = server.url, server.folder / "book" / f"{name}.ipynb"
    errors: list[str] = []
    missing: list[str] = []  # files a Markdown cell asked for before Run All reached its figure

    def on_console(message):
        if message.type == "error":
            errors.append(message.text)

    def on_error(error):
        errors.append(str(error))

    def on_response(response):
        if response.status == 404:
            missing.append(response.url)

    listeners = {"console": on_console, "pageerror": on_error, "response": on_response}
    for event, listener in listeners.items():
        page.on(event, listener)
    try:
        page.evaluate(OPEN, f"book/{name}.ipynb")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=START_TIMEOUT_MS)
        page.wait_for_selector(
            ".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=START_TIMEOUT_MS
        )
        page.wait_for_function(MARKDOWN_RENDERED, timeout=START_TIMEOUT_MS, polling=200)
        dialogs = [d.inner_text() for d in page.locator(".jp-Dialog").all()]
        if dialogs:
            return LiveRun("", 0.0, 0, 0, 0, errors, None, dialogs, {})
        page.wait_for_function(KERNEL_READY, timeout=START_TIMEOUT_MS, polling=200)
        page.wait_for_function(RUN_ALL_ENABLED, timeout=START_TIMEOUT_MS)
        errors.clear()  # before Run All the figures' files do not exist yet
        started = time.monotonic()
        run_all(page)
        page.wait_for_function(ALL_RUN, timeout=RUN_ALL_TIMEOUT_MS, polling=200)
        run_all_seconds = time.monotonic() - started
        # the Markdown renders again once its numbers are evaluated, and loads the figures;
        # whatever does not arrive within the wait, the tests report as missing
        with contextlib.suppress(PlaywrightTimeout):
            page.wait_for_function(EVALUATED, timeout=FIGURES_TIMEOUT_MS, polling=200)
        with contextlib.suppress(PlaywrightTimeout):
            page.wait_for_function(IMAGES_LOADED, timeout=FIGURES_TIMEOUT_MS, polling=200)
        glued = saved_glue(page, notebook)
        page.evaluate(OPEN_SOLUTIONS)
        numbers = [glued[n] for n in shown_names(f"book/{name}") if n in glued]
        with contextlib.suppress(PlaywrightTimeout):
            page.wait_for_function(SHOWS_ALL, arg=numbers, timeout=FIGURES_TIMEOUT_MS, polling=200)
        figures, unloaded = page.evaluate(FIGURES)
        errors = without_early_figure_requests(errors, missing, unloaded)
        text = page.inner_text(".jp-Notebook")
        error_outputs = page.locator(".jp-OutputArea-output[data-mime-type*='error']").count()
        moved = page.evaluate(MOVE_SLIDER)
        slider = SliderMove(*moved) if moved else None
        dialogs = [d.inner_text() for d in page.locator(".jp-Dialog").all()]
        return LiveRun(
            text, run_all_seconds, figures, unloaded, error_outputs, errors, slider, dialogs, glued
        )
    finally:
        for event, listener in listeners.items():
            page.remove_listener(event, listener)
        with contextlib.suppress(Exception):
            page.evaluate(CLOSE)
        for kernel in api(url, "/api/kernels"):
            api(url, f"/api/kernels/{kernel['id']}", method="DELETE")


@pytest.fixture(scope="module")
def live(lab_page, jupyterlab, request):
    """``live(name)``: the chapter's LiveRun, run once (chapters run in the order asked)."""
    runs: dict[str, LiveRun | Exception] = {}

    def get(name: str) -> LiveRun:
        if name not in runs:  # a failed run is not repeated for each test that reads it
            try:
                runs[name] = run_chapter(lab_page, jupyterlab, name)
            except Exception as error:  # kept, and raised again for each test of the chapter
                runs[name] = error
        if isinstance(runs[name], Exception):
            raise runs[name]
        assert runs[name].dialogs == [], f"a dialog stopped the run: {runs[name].dialogs}"
        return runs[name]

    yield get
    report = {
        name: {
            "run_all_seconds": round(run.run_all_seconds, 1),
            "slider_milliseconds": run.slider and round(run.slider.milliseconds, 1),
        }
        for name, run in runs.items()
        if isinstance(run, LiveRun)
    }
    (request.config.notebook_cache / LIVE_REPORT).write_text(json.dumps(report))


def site_numbers(site, page: str) -> dict[str, str]:
    """The texts nbval's run glued in the chapter, as the site shows them."""
    html, _ = site
    glued = json.loads((html.parent / "jupyter_execute" / f"{page}.glue.json").read_text())
    return {name: ast.literal_eval(out["data"]["text/plain"]) for name, out in glued.items()}


def shown_names(page: str) -> list[str]:
    notebook = json.loads((ROOT / f"{page}.ipynb").read_text())
    prose = "".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "markdown")
    return [expression.removeprefix("glued.") for expression in EVAL_ROLES.findall(prose)]


def site_figures(site, page: str) -> int:
    html, _ = site
    text = (html / f"{page}.html").read_text()
    return text.count('<figure class="align-default"') + text.count('class="optimizers-explorer"')


@pytest.mark.parametrize("page", NOTEBOOKS)
def test_run_all_renders_every_role_and_directive(live, page):
    run = live(page.removeprefix("book/"))
    assert [raw for raw in RAW_MYST if raw in run.text] == []
    assert [marker for marker in UNRENDERED if marker in run.text] == []


MEASURED_TIMES = {  # chapter 1 times gradients: these numbers differ from run to run
    f"gd_time_{what}"
    for what in ("forward", "central", "autodiff", "ratio", "loss", "autodiff_per_loss")
}


@pytest.mark.parametrize("page", NOTEBOOKS)
def test_run_all_shows_every_number_the_site_shows(live, site, page):
    """Each number in the prose is shown, as this run computed it, and is the site's number
    (nbval's run of the same notebook) unless it is a measured time."""
    run = live(page.removeprefix("book/"))
    on_site = site_numbers(site, page)
    names = shown_names(page)
    assert names, f"{page} shows no computed number"
    not_shown = [f"{n} = {run.glued.get(n)}" for n in names if run.glued.get(n) not in run.text]
    assert not_shown == []
    differ = [
        f"{n}: {run.glued[n]} here, {on_site[n]} on the site"
        for n in names
        if run.glued[n] != on_site[n] and n not in MEASURED_TIMES
    ]
    assert differ == []


@pytest.mark.parametrize("page", NOTEBOOKS)
def test_run_all_shows_at_least_the_sites_figures(live, site, page):
    run = live(page.removeprefix("book/"))
    assert run.unloaded_images == 0
    assert run.figures >= site_figures(site, page)


@pytest.mark.parametrize("page", NOTEBOOKS)
def test_run_all_has_no_errors(live, page):
    run = live(page.removeprefix("book/"))
    assert run.error_outputs == 0
    assert run.console_errors == []


@pytest.mark.parametrize("page", NOTEBOOKS)
def test_a_slider_move_redraws_its_widget(live, page):
    run = live(page.removeprefix("book/"))
    if run.slider is None:
        pytest.skip(f"{page} has no slider")
    assert run.slider.changed, f"the picture did not change within {run.slider.milliseconds} ms"
