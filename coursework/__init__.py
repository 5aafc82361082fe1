"""Course assignments: student versions and an autograder for the notebooks in ``book/assignments``.

An assignment is a notebook, stored in its *instructor* form (with solutions), that
marks its parts with cell tags:

``solution``
    A code cell with the instructor's answer between ``# BEGIN SOLUTION`` and
    ``# END SOLUTION`` (the whole cell if there are no markers).  Text after
    ``# BEGIN SOLUTION:`` is the hint the student version shows.
``check``
    A graded self-check, e.g. ``check_adam(adam)``: a cell whose last line is an
    expression that evaluates to an :class:`coursework.checks.Report`.  Its
    metadata ``{"grade": {"question": "adam", "points": 3}}`` names the question
    and its points.  Students run these cells to check themselves; the grader runs
    the instructor's copy of them after the student's notebook.
``instructor``
    A cell for the instructor version only (e.g. asserts on the solutions);
    dropped from the student version.

:mod:`coursework.student` writes the student versions; :mod:`coursework.grader`
grades a directory of submissions.  Command line: ``python -m coursework --help``.
"""

SOLUTION_TAG = "solution"
CHECK_TAG = "check"
INSTRUCTOR_TAG = "instructor"
