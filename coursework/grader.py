"""Grade a directory of submitted notebooks against an assignment's graded checks.

Each submission ``<student>.ipynb`` is executed in a fresh kernel, in its own
scratch directory (also its ``HOME``), by a child process with a time limit per
cell and for the whole notebook; then the instructor's ``check`` cells run in the
same kernel.  The kit's set-up cells (the assignment's imports, before its first
tagged cell) have a limit of their own and do not count against the student's
time: a slow machine must not cost a correct submission its points.  A question
scores its points times the fraction of its check's cases that pass.  Results:
``grades.csv`` (one row per student) and ``feedback/<student>.md``.

Every submission is read into memory before any runs, and the results are written
after all have run, so a submission that crashes, hangs or deletes files does not
break the grading of the others.  This is protection against accidents, not a
sandbox: grade untrusted code in a container or a throw-away machine.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import json
import os
import select
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import psutil

from coursework import CHECK_TAG, INSTRUCTOR_TAG, SOLUTION_TAG


@dataclasses.dataclass(frozen=True)
class Question:
    """A graded check of the assignment: its name, its points and the code that runs it."""

    name: str
    points: float
    source: str


@dataclasses.dataclass
class Grade:
    """One submission's result: points per question, the status of its run and the feedback."""

    student: str
    status: str
    points: dict[str, float]
    feedback: dict[str, str]
    errors: list[str]

    @property
    def total(self) -> float:
        return round(sum(self.points.values()), 2)


def questions(assignment: Path) -> list[Question]:
    """The graded checks of an instructor notebook, in order."""
    notebook = nbformat.read(assignment, as_version=4)
    found = []
    for cell in notebook.cells:
        if CHECK_TAG in cell.metadata.get("tags", []):
            grade = cell.metadata.get("grade")
            if not grade or "question" not in grade or "points" not in grade:
                raise ValueError(
                    f"{assignment.name}: a check cell needs metadata "
                    '{"grade": {"question": ..., "points": ...}}'
                )
            found.append(Question(grade["question"], float(grade["points"]), cell.source))
    if not found:
        raise ValueError(f"{assignment.name} has no cells tagged {CHECK_TAG!r}")
    names = [q.name for q in found]
    if len(set(names)) != len(names):
        raise ValueError(f"{assignment.name}: question names repeat: {names}")
    return found


def setup_sources(assignment: Path) -> frozenset[str]:
    """The kit's set-up cells: the untagged code cells before the assignment's first tagged one."""
    notebook = nbformat.read(assignment, as_version=4)
    tags = {SOLUTION_TAG, CHECK_TAG, INSTRUCTOR_TAG}
    found = set()
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        if tags & set(cell.metadata.get("tags", [])):
            break
        found.add(cell.source)
    return frozenset(found)


def questions_table(assignments: list[Path]) -> str:
    """A Markdown table, one row per assignment: its questions, their points and the total."""
    lines = ["| assignment | questions (points) | total |", "|---|---|---:|"]
    for path in assignments:
        qs = questions(path)
        listed = ", ".join(f"{q.name} ({q.points:g})" for q in qs)
        lines.append(f"| `{path.name}` | {listed} | {sum(q.points for q in qs):g} |")
    return "\n".join(lines)


def _kill_tree(process: subprocess.Popen) -> None:
    """Kill a child process and everything it started (the kernel has its own session).

    Only while the child still runs: once it has been waited for, its pid may
    belong to an unrelated process.
    """
    if process.poll() is not None:
        return
    try:
        parent = psutil.Process(process.pid)
        family = [*parent.children(recursive=True), parent]
    except psutil.NoSuchProcess:
        return
    for member in family:
        with contextlib.suppress(psutil.NoSuchProcess):
            member.kill()
    psutil.wait_procs(family, timeout=10)


@dataclasses.dataclass(frozen=True)
class Limits:
    """Seconds a submission may take.

    ``cell``: each of its cells and each check; ``total``: all of them together,
    counted from the first cell that is not the kit's set-up (a backstop for code that
    ignores interrupts); ``setup``: the kit's set-up cells, each and together.
    """

    cell: int = 60
    total: int = 600
    setup: int = 600

    def __post_init__(self):
        for name, value in dataclasses.asdict(self).items():
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"limits: {name} must be a positive whole number of seconds")


def run_submission(
    content: bytes, qs: list[Question], setup: frozenset[str], limits: Limits
) -> dict:
    """Execute one submission (its bytes) in a scratch directory; the raw result of the run."""
    with tempfile.TemporaryDirectory(prefix="grading-") as scratch:
        scratch = Path(scratch)
        (scratch / "submission.ipynb").write_bytes(content)
        checks = [{"question": q.name, "points": q.points, "source": q.source} for q in qs]
        (scratch / "checks.json").write_text(json.dumps({"setup": sorted(setup), "checks": checks}))
        result_path, log = scratch / "result.json", scratch / "log"
        started, signal = os.pipe()  # the child writes a byte when the student's cells start
        command = [
            sys.executable, "-m", "coursework.execute", "submission.ipynb", "checks.json",
            "result.json", "--cell-timeout", str(limits.cell), "--setup-timeout",
            str(limits.setup), "--started-fd", str(signal),
        ]  # fmt: skip
        env = {**os.environ, "HOME": str(scratch), "MPLBACKEND": "Agg"}
        try:
            with open(log, "wb") as stderr:
                process = subprocess.Popen(
                    command,
                    cwd=scratch,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=stderr,
                    pass_fds=(signal,),
                )
            os.close(signal)
            try:
                stopped = _wait(process, started, limits)
            finally:
                _kill_tree(process)
        finally:
            os.close(started)
        if stopped:
            return {"status": stopped, "results": {}}
        if not result_path.exists():
            tail = log.read_text(errors="replace").strip().splitlines()[-1:] or ["no message"]
            return {"status": f"the grading run failed ({tail[0]})", "results": {}}
        return json.loads(result_path.read_text())


def _wait(process: subprocess.Popen, started: int, limits: Limits) -> str | None:
    """Wait for the run; None if it ended within the limits, else why it was stopped.

    ``started`` is the pipe on which the child says the student's cells have begun.
    """
    deadline, student_time = time.monotonic() + limits.setup, False
    while True:
        if not student_time and select.select([started], [], [], 0)[0] and os.read(started, 1):
            deadline, student_time = time.monotonic() + limits.total, True
        try:
            process.wait(timeout=0.25)
            return None
        except subprocess.TimeoutExpired:
            pass
        if time.monotonic() > deadline:
            if student_time:
                return f"stopped after the time limit of {limits.total} s"
            return f"stopped: the kit's set-up cells ran past {limits.setup} s"


def score(student: str, run: dict, qs: list[Question]) -> Grade:
    """Points and feedback per question from a run's raw result."""
    points, feedback = {}, {}
    for q in qs:
        result = run.get("results", {}).get(q.name)
        if result is None:
            points[q.name] = 0.0
            feedback[q.name] = f"Not graded: {run['status']}."
        elif "error" in result:
            points[q.name] = 0.0
            feedback[q.name] = f"The check could not run: {result['error'].rstrip('.')}."
        else:
            fraction = result["passed"] / result["total"] if result["total"] else 0.0
            points[q.name] = round(q.points * fraction, 2)
            feedback[q.name] = (
                f"{result['passed']} of {result['total']} cases pass. {result['feedback']}"
            )
    return Grade(student, run["status"], points, feedback, run.get("errors", []))


def grade(
    assignment: Path,
    submissions: Path,
    out_dir: Path,
    limits: Limits = Limits(),
) -> list[Grade]:
    """Grade every ``*.ipynb`` in ``submissions``; write ``grades.csv`` and ``feedback/``."""
    assignment, submissions, out_dir = Path(assignment), Path(submissions), Path(out_dir)
    if not assignment.is_file():
        raise ValueError(f"assignment is not a notebook file: {assignment}")
    if not submissions.is_dir():
        raise ValueError(f"submissions is not a directory: {submissions}")
    qs, setup = questions(assignment), setup_sources(assignment)
    contents = {path.stem: path.read_bytes() for path in sorted(submissions.glob("*.ipynb"))}
    if not contents:
        raise ValueError(f"submissions has no .ipynb files: {submissions}")
    grades = []
    for student, content in contents.items():
        run = run_submission(content, qs, setup, limits)
        grades.append(score(student, run, qs))
    write_results(grades, qs, out_dir, assignment.stem)
    return grades


def write_results(grades: list[Grade], qs: list[Question], out_dir: Path, title: str) -> None:
    """``grades.csv`` (student, points per question, total, maximum, status) and feedback files."""
    (out_dir / "feedback").mkdir(parents=True, exist_ok=True)
    maximum = sum(q.points for q in qs)
    with open(out_dir / "grades.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", *(q.name for q in qs), "total", "maximum", "status"])
        for g in grades:
            row = [g.student, *(g.points[q.name] for q in qs), g.total, maximum, g.status]
            writer.writerow(row)
    for g in grades:
        lines = [f"# {title}: {g.student}", "", f"**{g.total:g} of {maximum:g} points.**", ""]
        for q in qs:
            lines += [
                f"## {q.name} ({g.points[q.name]:g} of {q.points:g})",
                "",
                g.feedback[q.name],
                "",
            ]
        if g.errors:
            lines += ["## Cells that raised an error", "", *(f"- {e}" for e in g.errors), ""]
        (out_dir / "feedback" / f"{g.student}.md").write_text("\n".join(lines))
