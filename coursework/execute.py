"""Execute one submission with the graded checks appended, in a fresh kernel; write the results.

    python -m coursework.execute submission.ipynb checks.json result.json --cell-timeout 60

Run by :mod:`coursework.grader` in a child process, in a scratch directory, so
that a submission that crashes its kernel, hangs, or deletes files cannot take
the grader down with it.  ``checks.json`` holds ``{"setup": [sources], "checks":
[{"question", "points", "source"}]}``; ``result.json`` gets ``{"status", "results",
"errors"}``.

The kit's set-up cells (the assignment's imports, found by their unchanged source)
get ``--setup-timeout``: a slow import is not the student's fault.  Every other cell
gets ``--cell-timeout``.  When the first other cell starts, one byte is written to
the pipe ``--started-fd`` (which the kernel does not inherit): the grader's time
limit for the student's work counts from then.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from coursework.kernel import MARKER

GRADING_CELL = """\
import json as _coursework_json
from coursework.kernel import run_check as _coursework_run_check
print({marker!r} + _coursework_json.dumps(_coursework_run_check({source!r}, globals())))
"""


def with_checks(notebook: nbformat.NotebookNode, checks: list[dict]) -> nbformat.NotebookNode:
    """The submission's code cells, then one grading cell per check."""
    cells = [
        nbformat.v4.new_code_cell(cell.source)
        for cell in notebook.cells
        if cell.cell_type == "code"
    ]
    for check in checks:
        source = GRADING_CELL.format(marker=MARKER, source=check["source"])
        cells.append(nbformat.v4.new_code_cell(source, metadata={"grading": check["question"]}))
    return nbformat.v4.new_notebook(cells=cells)


def _grading_output(cell) -> dict | None:
    """The check's result: the *last* marker line, which ``run_check`` prints after the
    student's code has run (a line the student's code prints comes earlier)."""
    found = None
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            for line in output.get("text", "").splitlines():
                if line.startswith(MARKER):
                    found = line
    return None if found is None else json.loads(found[len(MARKER) :])


TIMEOUT = "it ran past the time limit of a cell and was interrupted"


def _error_message(output) -> str:
    if output.get("ename") in {"KeyboardInterrupt", "CellTimeoutError"}:
        return TIMEOUT
    return f"{output.get('ename')}: {output.get('evalue')}"


def _cell_error(cell) -> dict | None:
    """``{"error": ...}`` if a grading cell raised (e.g. it ran past the time limit)."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return {"error": _error_message(output)}
    return None


def _errors(cells) -> list[str]:
    """One line per student cell that raised: its number and the exception."""
    lines = []
    for number, cell in enumerate(cells, start=1):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                lines.append(f"cell {number}: {_error_message(output)}")
    return lines


def execute(
    submission: Path,
    checks: list[dict],
    cell_timeout: int,
    setup: frozenset[str] = frozenset(),
    setup_timeout: int = 600,
    on_student_start: Callable[[], None] = lambda: None,
) -> dict:
    """Run the submission and its checks; return the status, each check's result and the errors.

    ``setup`` holds the sources of the kit's set-up cells; ``on_student_start`` is
    called once, when the first cell that is not one of them starts.
    """
    student_started = False

    def timeout(cell) -> int:
        return setup_timeout if cell.source in setup else cell_timeout

    def on_cell_start(cell, cell_index) -> None:
        nonlocal student_started
        if not student_started and cell.source not in setup:
            student_started = True
            on_student_start()

    try:
        notebook = nbformat.read(submission, as_version=4)
    except Exception as error:
        return {
            "status": f"unreadable notebook ({type(error).__name__})",
            "results": {},
            "errors": [],
        }
    graded = with_checks(notebook, checks)
    client = NotebookClient(
        graded,
        timeout_func=timeout,
        on_cell_start=on_cell_start,
        kernel_name="python3",
        allow_errors=True,
        interrupt_on_timeout=True,
        error_on_timeout={
            "ename": "CellTimeoutError",
            "evalue": "the cell ran past its time limit",
            "traceback": [],
        },
        resources={"metadata": {"path": str(submission.parent)}},
    )
    status = "ok"
    try:
        client.execute()
    except DeadKernelError:
        status = "the kernel died (the notebook crashed it, exited, or ran out of memory)"
    student_cells = [c for c in graded.cells if "grading" not in c.metadata]
    results = {}
    for cell in graded.cells:
        if "grading" in cell.metadata:
            result = _grading_output(cell) or _cell_error(cell)
            if result is not None:
                results[cell.metadata["grading"]] = result
    return {"status": status, "results": results, "errors": _errors(student_cells)}


def _signal(fd: int | None) -> Callable[[], None]:
    """A function that writes one byte to the pipe ``fd`` and closes it."""

    def signal() -> None:
        if fd is not None:
            os.write(fd, b"1")
            os.close(fd)

    return signal


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submission", type=Path)
    parser.add_argument("checks", type=Path)
    parser.add_argument("result", type=Path)
    parser.add_argument("--cell-timeout", type=int, default=60)
    parser.add_argument("--setup-timeout", type=int, default=600)
    parser.add_argument("--started-fd", type=int, help="a pipe to write one byte to")
    args = parser.parse_args(argv)
    grading = json.loads(args.checks.read_text())
    result = execute(
        args.submission.resolve(),
        grading["checks"],
        args.cell_timeout,
        frozenset(grading["setup"]),
        args.setup_timeout,
        _signal(args.started_fd),
    )
    args.result.write_text(json.dumps(result))


if __name__ == "__main__":
    main()
