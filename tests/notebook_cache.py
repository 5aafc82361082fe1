"""Each of the book's notebooks executes once per test run: nbval runs it, the site reads it.

nbval executes every code cell of a notebook as a test, in one kernel per notebook.
This plugin listens to the kernel messages nbval reads and hands them to nbclient's
own message handling, the code the site build uses to execute a notebook, so the
outputs, glued values and widget state come out as a build would store them. When
every cell of a notebook has passed, the executed notebook goes into a jupyter-cache
folder, the cache Jupyter Book reads with ``execute_notebooks: cache``: the ``site``
fixture builds from it and executes only what nbval did not run cleanly.

Loaded by the root ``conftest.py``. Works alone and under pytest-xdist: the
controller makes the folder and tells the workers (``workerinput``).
``--notebook-cache DIR`` keeps the folder after the run.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest
from filelock import FileLock
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionComplete
from nbval.plugin import IPyNbCell, IPyNbFile

from lab.static_explorer import SITE_VARIABLE

CACHED, FAILED = "cached", "failed"
SIGNATURE, STOP = "NOTEBOOK-CACHE", "STOP"  # file names in the folder
LIVE_REPORT = "live-notebooks.json"  # Run All and slider times, written by the live test
_RECORDER = pytest.StashKey["NotebookRecorder"]()


def pytest_addoption(parser):
    parser.addoption(
        "--notebook-cache",
        type=Path,
        help="keep this run's executed notebooks and site build in this folder (emptied first)",
    )


def pytest_configure(config):
    config.pluginmanager.register(RunOrder(), "notebook-cache-run-order")
    # nbval's kernels inherit this: their outputs become the site, static explorers included
    os.environ[SITE_VARIABLE] = "1"
    if hasattr(config, "workerinput"):  # an xdist worker: the controller chose the folder
        config.notebook_cache = Path(config.workerinput["notebook_cache"])
        return
    chosen = config.getoption("notebook_cache")
    config.notebook_cache = chosen or Path(tempfile.mkdtemp(prefix="book-notebooks-"))
    config.remove_notebook_cache = chosen is None
    config.pluginmanager.register(EarlyStop(config), "notebook-cache-early-stop")
    if chosen is not None:
        _empty(chosen)
    (config.notebook_cache / SIGNATURE).write_text("notebooks executed by nbval in one run\n")
    _share_compiled_programs(config.notebook_cache / "jax")


def _share_compiled_programs(folder: Path) -> None:
    """JAX's persistent compilation cache for this run, in the folder: a program one kernel
    compiled (nbval's, the live JupyterLab test's) or one worker compiled, the next loads.

    Set before the workers start, so they and every kernel they start inherit it. Every
    program is kept however fast it compiled; a size limit turns on the cache's file lock,
    which two processes writing and reading at once need.
    """
    os.environ.update(
        JAX_COMPILATION_CACHE_DIR=str(folder),
        JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0",
        JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES="0",
        JAX_COMPILATION_CACHE_MAX_SIZE=str(4 * 2**30),
    )


def _empty(folder: Path) -> None:
    """Empty a folder given with --notebook-cache: a previous run's build must not be reused."""
    if folder.exists() and any(folder.iterdir()):
        if not (folder / SIGNATURE).exists():
            raise pytest.UsageError(
                f"--notebook-cache {folder}: not empty, and not a notebook cache"
            )
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    node.workerinput["notebook_cache"] = str(node.config.notebook_cache)


class EarlyStop:
    """On the controller: once the run cannot finish every notebook, tell the waiting site.

    That is when a worker crashed (its notebooks may never finish) or when the run
    stops at a failure (-x, --maxfail, --stepwise).
    """

    def __init__(self, config):
        self.config, self.failures = config, 0

    def stop(self) -> None:
        (self.config.notebook_cache / STOP).touch()

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node, error):
        if error:
            self.stop()

    def pytest_runtest_logreport(self, report):
        if report.failed:
            self.failures += 1
            maxfail = self.config.getoption("maxfail")
            if (maxfail and self.failures >= maxfail) or self.config.getoption("stepwise", False):
                self.stop()


def pytest_terminal_summary(terminalreporter, config):
    """Each chapter's Run All time and slider response in JupyterLab, when the live test ran."""
    report = Path(getattr(config, "notebook_cache", ".")) / LIVE_REPORT
    if not report.is_file():
        return
    terminalreporter.section("JupyterLab (tests/test_live_notebooks.py): Run All, one slider move")
    for name, run in json.loads(report.read_text()).items():
        slider = (
            "no slider"
            if run["slider_milliseconds"] is None
            else f"{run['slider_milliseconds']} ms"
        )
        terminalreporter.line(
            f"{name:<18} Run All {run['run_all_seconds']:6.1f} s   slider {slider}"
        )


def pytest_unconfigure(config):
    if getattr(config, "remove_notebook_cache", False):
        shutil.rmtree(config.notebook_cache, ignore_errors=True)


class NotebookRecorder:
    """Builds the executed copy of one notebook from the kernel messages nbval receives."""

    def __init__(self, notebook_file: IPyNbFile):
        self.path = Path(notebook_file.path)
        self.source = notebook_file.nb  # nbval's own copy, which it compares against: untouched
        self.notebook = copy.deepcopy(notebook_file.nb)
        # nbclient's message handling, on nbval's kernel connection: it answers an Output
        # widget's capture as a front end does (the one message it sends)
        self.client = NotebookClient(self.notebook, record_timing=False)
        self.client.reset_execution_trackers()
        self.client.kc = notebook_file.kernel.kc
        self.cell_index: int | None = None
        self.message_id: str | None = None
        self.executed: set[int] = set()
        self.failed = False
        self._listen(notebook_file)

    def _listen(self, notebook_file: IPyNbFile) -> None:
        """Wrap the two calls nbval makes per cell: send the code, read a message."""
        kernel = notebook_file.kernel
        send, receive = kernel.execute_cell_input, notebook_file.get_kernel_message

        def execute_cell_input(*args, **kwargs):
            self.message_id = send(*args, **kwargs)
            return self.message_id

        def get_kernel_message(timeout=None, stream="iopub"):
            message = receive(timeout=timeout, stream=stream)
            if stream == "iopub":
                self.receive(message)
            return message

        kernel.execute_cell_input = execute_cell_input
        notebook_file.get_kernel_message = get_kernel_message

    def start(self, cell) -> None:
        self.cell_index = next(i for i, c in enumerate(self.source.cells) if c is cell)
        self.executed.add(self.cell_index)
        self.message_id = None
        self.notebook.cells[self.cell_index].outputs = []  # as nbclient starts a cell
        self.client.clear_before_next_output = False

    def receive(self, message: dict) -> None:
        if self.message_id is None or message["parent_header"].get("msg_id") != self.message_id:
            return
        cell = self.notebook.cells[self.cell_index]
        with contextlib.suppress(CellExecutionComplete):
            self.client.process_message(message, cell, self.cell_index)

    def finish(self, folder: Path) -> str:
        """Cache the executed notebook if every code cell ran and passed; return which."""
        code_cells = {i for i, c in enumerate(self.source.cells) if c.cell_type == "code"}
        outcome = CACHED if self.executed == code_cells and not self.failed else FAILED
        if outcome == CACHED:
            self._number_cells()
            self.client.set_widgets_metadata()
            bundle = CacheBundleIn(self.notebook, str(self.path), data={"executed_by": "nbval"})
            with FileLock(folder / "cache.lock"):
                get_cache(folder / "jupyter_cache").cache_notebook_bundle(
                    bundle, check_validity=False, overwrite=True
                )
        return outcome

    def _number_cells(self) -> None:
        """Execution counts 1, 2, 3, … as a build gives them (nbval keeps no history)."""
        code_cells = (c for c in self.notebook.cells if c.cell_type == "code")
        for count, cell in enumerate(code_cells, start=1):
            cell.execution_count = count
            for output in cell.outputs:
                if output.output_type == "execute_result":
                    output.execution_count = count


def _marker(folder: Path, notebook: Path) -> Path:
    return folder / f"{notebook.resolve().as_posix().replace('/', '%')}.done"


def _mark(folder: Path, notebook: Path, outcome: str) -> None:
    """Say a notebook is done, atomically: a reader never sees half a marker."""
    marker = _marker(folder, notebook)
    partial = marker.with_suffix(".partial")
    partial.write_text(outcome)
    os.replace(partial, marker)


class RunOrder:
    """Notebooks first, then the test files, and last the files that need the site.

    The site waits for every notebook, so a worker that reaches it has none of its
    own left to run (pytest-xdist's ``loadfile`` with ``--no-loadscope-reorder`` hands
    out files in this order). Registered in ``pytest_configure``, after pytest's
    cache plugin, so that this sort comes after its reordering (--ff, --nf).
    """

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_collection_modifyitems(self, items):
        result = yield
        needs_site = {item.path for item in items if "site" in getattr(item, "fixturenames", ())}

        def group(item) -> int:
            if isinstance(item, IPyNbCell):
                return 0
            return 2 if item.path in needs_site else 1

        items.sort(key=group)  # stable: the order within each group stays
        return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    if isinstance(item, IPyNbCell):
        notebook_file = item.parent
        if _RECORDER not in notebook_file.stash:
            notebook_file.stash[_RECORDER] = NotebookRecorder(notebook_file)
        notebook_file.stash[_RECORDER].start(item.cell)
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if isinstance(item, IPyNbCell) and (report.failed or report.skipped):
        recorder = item.parent.stash.get(_RECORDER, None)
        if recorder is not None:
            recorder.failed = True
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    try:
        return (yield)
    finally:
        if isinstance(item, IPyNbCell) and (nextitem is None or nextitem.parent is not item.parent):
            _finish(item.parent, item.config.notebook_cache)


def _finish(notebook_file: IPyNbFile, folder: Path) -> None:
    """After a notebook's last cell: cache it if it passed, and mark it done whatever happens."""
    outcome = FAILED
    try:
        recorder = notebook_file.stash.get(_RECORDER, None)  # None: no cell ran
        if recorder is not None:
            outcome = recorder.finish(folder)
    finally:
        _mark(folder, Path(notebook_file.path), outcome)


def wait_for_notebooks(session, timeout: float = 1200) -> dict[Path, str]:
    """The outcome of each notebook nbval has finished in this run, once it is worth building.

    Called by the ``site`` fixture before it builds. In one process the notebooks
    collected before the site have run already: no wait. Under pytest-xdist, wait
    until the other worker has finished every notebook, unless the run stops early
    (a crashed worker, -x). A notebook not done by then is executed by the build
    itself, and ``test_book.py`` reports it as executed twice.
    """
    config = session.config
    folder = config.notebook_cache
    notebooks = {Path(item.parent.path) for item in session.items if isinstance(item, IPyNbCell)}
    if hasattr(config, "workerinput"):
        deadline = time.monotonic() + timeout
        while not all(_marker(folder, n).exists() for n in notebooks):
            if (folder / STOP).exists() or time.monotonic() > deadline:
                break
            time.sleep(1)
    return {n: _marker(folder, n).read_text() for n in notebooks if _marker(folder, n).exists()}
