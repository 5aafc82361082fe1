"""The course tools: student versions, and the autograder run on real submissions.

Graded both ways, as an instructor would: the instructor versions score full marks,
the generated student versions score zero without breaking the grader, a wrong Adam
earns partial credit with the right feedback, and submissions that hang, kill their
kernel or delete files do not disturb the grading of the others.
"""

import csv
import json
from pathlib import Path

import nbformat
import psutil
import pytest

from coursework import grader
from coursework.execute import TIMEOUT
from coursework.student import edited_copy, stub_source, student_version, write_student_versions

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = sorted((ROOT / "book" / "assignments").glob("*.ipynb"))


def test_there_is_an_assignment_per_part():
    assert [p.name[:5] for p in ASSIGNMENTS] == ["part1", "part2", "part3"]


# --------------------------------------------------------------------------
# Student versions
# --------------------------------------------------------------------------


def test_stub_source_replaces_the_marked_block_and_keeps_the_rest():
    source = (
        "def f(x):\n"
        '    """Doc."""\n'
        "    # BEGIN SOLUTION: return twice x\n"
        "    return 2 * x\n"
        "    # END SOLUTION\n"
        "\n"
        "y = 1"
    )
    stub = stub_source(source)
    assert "return 2 * x" not in stub and "SOLUTION" not in stub
    assert "    # TODO: return twice x\n    raise NotImplementedError('return twice x')" in stub
    assert stub.startswith('def f(x):\n    """Doc."""') and stub.endswith("y = 1")
    namespace = {}
    exec(stub, namespace)
    with pytest.raises(NotImplementedError, match="twice"):
        namespace["f"](1)


def test_stub_source_without_markers_and_with_unbalanced_ones():
    assert "raise NotImplementedError" in stub_source("x = 42")
    with pytest.raises(ValueError, match="END"):
        stub_source("# BEGIN SOLUTION\nx = 1")
    with pytest.raises(ValueError, match="BEGIN"):
        stub_source("x = 1\n# END SOLUTION")


@pytest.mark.parametrize("path", ASSIGNMENTS, ids=lambda p: p.stem)
def test_student_version_has_no_solutions(path):
    instructor = nbformat.read(path, as_version=4)
    student = student_version(instructor)
    solutions = [c for c in instructor.cells if "solution" in c.metadata.get("tags", [])]
    assert solutions, "an assignment without solution cells"
    student_text = "\n".join(c.source for c in student.cells)
    student_code = [
        line.strip()
        for c in student.cells
        if c.cell_type == "code"
        for line in c.source.splitlines()
        if not line.strip().startswith(("#", "raise NotImplementedError"))
    ]
    for cell in solutions:
        hidden = cell.source.split("# BEGIN SOLUTION")[1].split("# END SOLUTION")[0]
        body = [line.strip() for line in hidden.splitlines()[1:] if line.strip()]
        assert body and not set(body) & set(student_code)
    assert student_text.count("raise NotImplementedError") >= len(solutions)
    assert not any("instructor" in c.metadata.get("tags", []) for c in student.cells)
    checks = [c for c in student.cells if "check" in c.metadata.get("tags", [])]
    assert len(checks) == len(grader.questions(path))


def test_write_student_versions(tmp_path):
    written = write_student_versions(ROOT / "book" / "assignments", tmp_path)
    assert [p.name for p in written] == [p.name for p in ASSIGNMENTS]
    with pytest.raises(ValueError, match="source_dir"):
        write_student_versions(tmp_path / "nothing-here", tmp_path / "out")


# --------------------------------------------------------------------------
# Questions and grading
# --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ASSIGNMENTS, ids=lambda p: p.stem)
def test_every_assignment_is_out_of_ten_points(path):
    questions = grader.questions(path)
    assert len(questions) >= 3
    assert sum(q.points for q in questions) == 10


def test_a_check_cell_without_points_is_refused(tmp_path):
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("check_adam(adam)", metadata={"tags": ["check"]})]
    )
    path = tmp_path / "broken.ipynb"
    nbformat.write(notebook, path)
    with pytest.raises(ValueError, match="grade"):
        grader.questions(path)


def edited(path: Path, old: str, new: str) -> bytes:
    """The notebook at ``path`` with ``old`` replaced by ``new`` in its one cell holding it."""
    return nbformat.writes(edited_copy(path, old, new)).encode()


def test_edited_copy_needs_exactly_one_occurrence():
    with pytest.raises(ValueError, match="exactly one cell"):
        edited_copy(ASSIGNMENTS[0], "this text is in no cell", "")


def appended(path: Path, source: str, at: int | None = None) -> bytes:
    notebook = nbformat.read(path, as_version=4)
    cell = nbformat.v4.new_code_cell(source)
    notebook.cells.insert(len(notebook.cells) if at is None else at, cell)
    return nbformat.writes(notebook).encode()


def rows(out_dir: Path) -> dict[str, dict[str, str]]:
    with open(out_dir / "grades.csv") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def student_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("student")
    write_student_versions(ROOT / "book" / "assignments", out)
    return out


def grade(tmp_path, assignment, submissions: dict[str, bytes], limits=None):
    folder = tmp_path / "submissions"
    folder.mkdir()
    for name, content in submissions.items():
        (folder / f"{name}.ipynb").write_bytes(content)
    out = tmp_path / "grades"
    grades = grader.grade(assignment, folder, out, limits or grader.Limits())
    return {g.student: g for g in grades}, out


def test_part2_instructor_full_student_zero_wrong_adam_partial(tmp_path, student_dir):
    assignment = ROOT / "book" / "assignments" / "part2_momentum_adam.ipynb"
    no_bias = edited(
        assignment, "m_hat, s_hat = m / (1 - b1**t), s / (1 - b2**t)", "m_hat, s_hat = m, s"
    )
    grades, out = grade(
        tmp_path,
        assignment,
        {
            "instructor": assignment.read_bytes(),
            "student": (student_dir / assignment.name).read_bytes(),
            "no_bias_correction": no_bias,
        },
    )
    assert grades["instructor"].total == 10
    assert grades["student"].total == 0 and grades["student"].status == "ok"
    wrong = grades["no_bias_correction"]
    assert wrong.points == {"heavy ball": 3.0, "Nesterov": 3.0, "Adam": 0.0}
    assert "Adam without bias correction" in wrong.feedback["Adam"]
    assert "1 − β₁ᵗ" in wrong.feedback["Adam"]
    table = rows(out)
    assert (
        table["no_bias_correction"]["total"] == "6.0" and table["instructor"]["maximum"] == "10.0"
    )
    feedback = (out / "feedback" / "no_bias_correction.md").read_text()
    assert "## Adam (0 of 4)" in feedback and "without bias correction" in feedback
    assert "not written yet" in (out / "feedback" / "student.md").read_text()


def test_part3_instructor_full_student_zero(tmp_path, student_dir):
    assignment = ROOT / "book" / "assignments" / "part3_wrappers.ipynb"
    grades, _ = grade(
        tmp_path,
        assignment,
        {
            "instructor": assignment.read_bytes(),
            "student": (student_dir / assignment.name).read_bytes(),
        },
    )
    assert grades["instructor"].total == 10
    assert grades["student"].total == 0


def test_part1_misbehaving_submissions_do_not_disturb_the_others(tmp_path, student_dir):
    assignment = ROOT / "book" / "assignments" / "part1_gradient_descent.ipynb"
    submissions = tmp_path / "submissions"
    hangs = edited(
        assignment,
        "return 2.0 / np.max(lam)",
        "while True:\n        pass",
    )
    deletes = appended(
        assignment,
        "import pathlib, shutil\n"
        f"shutil.rmtree({str(submissions)!r}, ignore_errors=True)\n"
        f"shutil.rmtree({str(tmp_path / 'grades')!r}, ignore_errors=True)\n"
        "for path in pathlib.Path('.').iterdir():\n"
        "    path.unlink() if path.is_file() else shutil.rmtree(path)",
    )
    kills = appended(assignment, "import os\nos._exit(1)")
    crashes = appended(assignment, "raise RuntimeError('boom')", at=3)
    # a submission that replaces the check with one that always passes, and is wrong
    overriding = tmp_path / "overriding.ipynb"
    overriding.write_bytes(
        appended(
            assignment,
            "from coursework.checks import Report\n"
            "def check_gradient_descent(f):\n"
            "    return Report('gradient descent', 6, 6, 'fake')",
        )
    )
    cheats = edited(
        overriding,
        "return opt.GradientTransformation(init, update)",
        "return opt.sgd(2 * learning_rate)",
    )
    grades, out = grade(
        tmp_path,
        assignment,
        {
            "a_instructor": assignment.read_bytes(),
            "b_hangs": hangs,
            "c_deletes": deletes,
            "d_kills_its_kernel": kills,
            "e_crashes_one_cell": crashes,
            "f_student": (student_dir / assignment.name).read_bytes(),
            "g_overrides_a_check": cheats,
            "h_unreadable": b"{ not a notebook",
        },
        # every other cell of part 1 but the set-up takes at most 0.6 s, idle or busy
        grader.Limits(cell=15),
    )
    assert grades["a_instructor"].total == 10
    # the hanging cell is interrupted after 15 s; its question scores 0, the others still count
    hung = grades["b_hangs"]
    assert hung.points["stable learning rate"] == 0 and hung.total == 8
    assert "time limit of a cell" in hung.feedback["stable learning rate"]
    assert any("time limit" in e for e in hung.errors)
    # deleting the submissions, the results and its own folder breaks nothing
    assert grades["c_deletes"].total == 10
    assert grades["d_kills_its_kernel"].total == 0
    assert "kernel died" in grades["d_kills_its_kernel"].status
    assert grades["e_crashes_one_cell"].total == 10
    assert any("RuntimeError: boom" in e for e in grades["e_crashes_one_cell"].errors)
    assert grades["f_student"].total == 0
    cheat = grades["g_overrides_a_check"]
    assert cheat.points["gradient descent"] == 0 and "times 2" in cheat.feedback["gradient descent"]
    assert grades["h_unreadable"].total == 0 and "unreadable" in grades["h_unreadable"].status
    assert set(rows(out)) == set(grades)


def test_a_submission_that_ignores_interrupts_is_stopped_by_the_time_limit(tmp_path):
    """Its cell never ends, however fast the machine: the verdict does not depend on load."""
    assignment = ROOT / "book" / "assignments" / "part1_gradient_descent.ipynb"
    stubborn = appended(
        assignment,
        "while True:\n    try:\n        while True:\n            pass\n"
        "    except KeyboardInterrupt:\n        pass",
        at=3,
    )
    grades, _ = grade(tmp_path, assignment, {"stubborn": stubborn}, grader.Limits(cell=3, total=8))
    # the student's time started (the child's signal arrived) and ran out
    assert grades["stubborn"].status == "stopped after the time limit of 8 s"
    assert grades["stubborn"].total == 0
    assert psutil.Process().children(recursive=True) == []  # its kernel is gone too


IMPORTS, SLOW_SETUP = "from coursework.checks import Report", "import time\n\ntime.sleep(12)"


@pytest.fixture
def slow_setup_assignment(tmp_path):
    """A one-question assignment whose set-up takes longer than every limit but its own."""
    cells = [
        nbformat.v4.new_code_cell(IMPORTS),
        nbformat.v4.new_code_cell(SLOW_SETUP),
        nbformat.v4.new_code_cell("def answer():\n    return 42", metadata={"tags": ["solution"]}),
        nbformat.v4.new_code_cell(
            "Report('answer', int(answer() == 42), 1, 'return 42')",
            metadata={"tags": ["check"], "grade": {"question": "answer", "points": 10}},
        ),
    ]
    path = tmp_path / "slow_setup.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return path


def test_the_kits_set_up_cells_do_not_count_against_the_students_time(
    tmp_path, slow_setup_assignment
):
    assert grader.setup_sources(slow_setup_assignment) == {IMPORTS, SLOW_SETUP}
    changed = edited(slow_setup_assignment, "time.sleep(12)", "time.sleep(12)  # mine now")
    grades, _ = grade(
        tmp_path,
        slow_setup_assignment,
        {"kit": slow_setup_assignment.read_bytes(), "edited_set_up": changed},
        # the student's cells and the check take about 10 ms; the set-up sleeps 12 s
        grader.Limits(cell=2, total=10, setup=120),
    )
    assert grades["kit"].total == 10 and grades["kit"].status == "ok"
    assert grades["kit"].errors == []
    # an edited set-up cell is the student's own cell, timed like the others: the sleep
    # is interrupted, and the rest still runs
    assert grades["edited_set_up"].errors == ["cell 2: " + TIMEOUT]
    assert grades["edited_set_up"].total == 10


def test_setup_sources_of_an_assignment_are_its_imports():
    part1 = ROOT / "book" / "assignments" / "part1_gradient_descent.ipynb"
    sources = grader.setup_sources(part1)
    assert len(sources) == 2 and any(s.startswith("import jax") for s in sources)


@pytest.mark.parametrize("field", ["cell", "total", "setup"])
@pytest.mark.parametrize("value", [0, -5, 2.5])
def test_limits_must_be_positive_whole_seconds(field, value):
    with pytest.raises(ValueError, match=f"limits: {field}"):
        grader.Limits(**{field: value})


def test_bad_grading_input(tmp_path):
    assignment = ROOT / "book" / "assignments" / "part1_gradient_descent.ipynb"
    with pytest.raises(ValueError, match="submissions"):
        grader.grade(assignment, tmp_path / "missing", tmp_path / "out")
    with pytest.raises(ValueError, match="submissions"):
        grader.grade(assignment, tmp_path, tmp_path / "out")
    with pytest.raises(ValueError, match="assignment"):
        grader.grade(tmp_path / "nope.ipynb", tmp_path, tmp_path / "out")


def test_a_forged_marker_line_does_not_set_the_grade(capsys):
    """The student's code runs inside the check, before the real marker line is printed:
    a function that prints a full-marks line of its own still gets its true score."""
    import optimizers as opt
    from coursework.execute import GRADING_CELL, _grading_output
    from coursework.kernel import MARKER

    forged = MARKER + json.dumps({"passed": 6, "total": 6, "feedback": ""})

    def gradient_descent(learning_rate):  # wrong (twice the step), and it forges its grade
        print(forged)
        return opt.sgd(2 * learning_rate)

    source = GRADING_CELL.format(marker=MARKER, source="check_gradient_descent(gradient_descent)")
    exec(source, {"gradient_descent": gradient_descent})
    text = capsys.readouterr().out
    assert forged in text
    result = _grading_output({"outputs": [{"output_type": "stream", "text": text}]})
    assert result["passed"] == 0 < result["total"]
    assert _grading_output({"outputs": []}) is None


def test_run_check_uses_fresh_checks_and_reports_what_went_wrong():
    import optimizers as opt
    from coursework.kernel import run_check

    def fake_check(f):
        return "all good"

    namespace = {"check_gradient_descent": fake_check, "gradient_descent": opt.sgd}
    result = run_check("check_gradient_descent(gradient_descent)", namespace)
    assert result["passed"] == result["total"] == 6
    assert "error" in run_check("x = 1", namespace)  # no expression at the end
    assert "NameError" in run_check("check_adam(adam)", namespace)["error"]
    assert "not a Report" in run_check("'a string'", namespace)["error"]


def test_run_check_compares_against_fresh_references_not_patched_ones():
    """A submission that replaces the registry's heavy ball with its own still gets its score."""
    import lab.registry
    import optimizers as opt
    from coursework.kernel import run_check

    original = lab.registry.heavy_ball

    def heavy_ball(learning_rate, momentum):  # wrong: an exponential moving average
        return opt.chain(opt.trace(momentum), opt.scale(1 - momentum), opt.scale(-learning_rate))

    lab.registry.heavy_ball = heavy_ball  # what a tampering submission would do
    try:
        result = run_check("check_heavy_ball(heavy_ball)", {"heavy_ball": heavy_ball})
    finally:
        lab.registry.heavy_ball = original
    assert result["passed"] == 0 < result["total"]
