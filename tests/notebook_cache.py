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

CACHED, FAILED = "cached", "failed"
_RECORDER = pytest.StashKey["NotebookRecorder"]()


def pytest_addoption(parser):
    parser.addoption(
        "--notebook-cache",
        type=Path,
        help="keep the notebooks nbval executes in this jupyter-cache folder",
    )


def pytest_configure(config):
    if hasattr(config, "workerinput"):  # an xdist worker: the controller chose the folder
        config.notebook_cache = Path(config.workerinput["notebook_cache"])
        return
    chosen = config.getoption("notebook_cache")
    config.notebook_cache = chosen or Path(tempfile.mkdtemp(prefix="book-notebooks-"))
    config.notebook_cache.mkdir(parents=True, exist_ok=True)
    config.remove_notebook_cache = chosen is None


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    node.workerinput["notebook_cache"] = str(node.config.notebook_cache)


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
        """Cache the executed notebook if every code cell ran and passed; mark it done."""
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
        _marker(folder, self.path).write_text(outcome)
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


def pytest_collection_modifyitems(items):
    """Notebooks first, then the test files, and last the files that need the site.

    The site waits for every notebook, so a worker that reaches it has none of its
    own left to run (pytest-xdist's ``loadfile`` hands out files in this order).
    """

    def group(item) -> int:
        if isinstance(item, IPyNbCell):
            return 0
        return 2 if item.path in needs_site else 1

    needs_site = {item.path for item in items if "site" in getattr(item, "fixturenames", ())}
    items.sort(key=group)  # stable: the order within each group stays


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
    result = yield
    last_cell = nextitem is None or nextitem.parent is not item.parent
    if isinstance(item, IPyNbCell) and last_cell:
        recorder = item.parent.stash.get(_RECORDER, None)
        if recorder is not None:
            recorder.finish(item.config.notebook_cache)
        else:  # no cell ran (e.g. the kernel did not start)
            _marker(item.config.notebook_cache, Path(item.parent.path)).write_text(FAILED)
    return result


def wait_for_notebooks(session, timeout: float = 1200) -> dict[Path, str]:
    """Wait until every notebook this run gave nbval is done; return each one's outcome.

    Called by the ``site`` fixture before it builds. Waiting longer changes only how
    long the run takes, never a verdict: a notebook still running when ``timeout``
    passes is left out and the build executes it itself.
    """
    folder = session.config.notebook_cache
    notebooks = {Path(item.parent.path) for item in session.items if isinstance(item, IPyNbCell)}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not all(_marker(folder, n).exists() for n in notebooks):
        time.sleep(1)
    return {n: _marker(folder, n).read_text() for n in notebooks if _marker(folder, n).exists()}
