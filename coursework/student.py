"""Student versions of the assignments: solutions replaced by stubs that raise.

Inside a cell tagged ``solution``::

    def heavy_ball(learning_rate, momentum):
        # BEGIN SOLUTION: return a GradientTransformation whose state is the velocity v
        ...the instructor's code...
        # END SOLUTION

becomes::

    def heavy_ball(learning_rate, momentum):
        # TODO: return a GradientTransformation whose state is the velocity v
        raise NotImplementedError("return a GradientTransformation whose state is the velocity v")

Cells tagged ``instructor`` are dropped; every output is cleared.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

from coursework import INSTRUCTOR_TAG, SOLUTION_TAG

BEGIN = re.compile(r"^(?P<indent>\s*)# BEGIN SOLUTION:?\s*(?P<hint>.*)$")
END = re.compile(r"^\s*# END SOLUTION\s*$")
DEFAULT_HINT = "write your solution here"


def _tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def _stub(indent: str, hint: str) -> list[str]:
    hint = hint.strip() or DEFAULT_HINT
    return [f"{indent}# TODO: {hint}", f"{indent}raise NotImplementedError({hint!r})"]


def stub_source(source: str) -> str:
    """``source`` with every BEGIN/END SOLUTION block replaced by a stub (all of it if unmarked).

    Raises ``ValueError`` for a BEGIN without its END (or the reverse).
    """
    lines = source.splitlines()
    if not any(BEGIN.match(line) for line in lines):
        if any(END.match(line) for line in lines):
            raise ValueError("# END SOLUTION without # BEGIN SOLUTION")
        return "\n".join(_stub("", DEFAULT_HINT))
    out: list[str] = []
    inside = False
    for line in lines:
        begin, end = BEGIN.match(line), END.match(line)
        if (begin and inside) or (end and not inside):
            raise ValueError(f"unbalanced solution markers at: {line.strip()!r}")
        if begin:
            out.extend(_stub(begin["indent"], begin["hint"]))
            inside = True
        elif end:
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError("# BEGIN SOLUTION without # END SOLUTION")
    return "\n".join(out)


def student_version(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of the instructor ``notebook`` for students: stubs, no instructor cells, no outputs."""
    student = nbformat.from_dict(notebook)
    cells = []
    for cell in student.cells:
        tags = _tags(cell)
        if INSTRUCTOR_TAG in tags:
            continue
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            if SOLUTION_TAG in tags:
                cell.source = stub_source(cell.source)
        cells.append(cell)
    student.cells = cells
    return student


def write_student_versions(source_dir: Path, out_dir: Path) -> list[Path]:
    """Write the student version of every notebook in ``source_dir`` into ``out_dir``."""
    source_dir, out_dir = Path(source_dir), Path(out_dir)
    notebooks = sorted(source_dir.glob("*.ipynb"))
    if not notebooks:
        raise ValueError(f"source_dir has no notebooks: {source_dir}")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in notebooks:
        notebook = nbformat.read(path, as_version=4)
        target = out_dir / path.name
        nbformat.write(student_version(notebook), target)
        written.append(target)
    return written


def edited_copy(path: Path, old: str, new: str) -> nbformat.NotebookNode:
    """The notebook at ``path`` with ``old`` replaced by ``new``: a deliberately wrong submission.

    ``old`` must occur in exactly one cell, so a solution that changes does not
    silently leave the copy correct.  Used by the instructor guide and the tests.
    """
    notebook = nbformat.read(path, as_version=4)
    cells = [cell for cell in notebook.cells if old in cell.source]
    if len(cells) != 1:
        raise ValueError(f"{old!r} must occur in exactly one cell of {path.name}, not {len(cells)}")
    cells[0].source = cells[0].source.replace(old, new)
    return notebook
