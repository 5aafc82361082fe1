"""Run inside the student's kernel by the grader: one graded check, on a fresh copy of the checks.

The check's source comes from the instructor's notebook, not the submission, and
its ``check_*`` names are taken from a freshly reloaded :mod:`coursework.checks` (and the
references it compares against, :mod:`lab.registry` and :mod:`lab.analysis`, are reloaded
first), so a submission that redefines ``check_adam`` or ``lab.registry.heavy_ball`` does not
change its grade.
"""

from __future__ import annotations

import ast
import importlib
import traceback
from typing import Any

MARKER = "@@coursework-grade@@"
"""Prefix of the line that carries a check's result in the kernel's output."""


def run_check(source: str, namespace: dict[str, Any]) -> dict[str, Any]:
    """Execute a check cell's ``source`` in a copy of ``namespace``; the last line is the report.

    Returns ``{"passed", "total", "feedback"}``, or ``{"error": ...}`` if the
    check could not run (e.g. the student's function is not defined).
    """
    import coursework.checks as checks
    import lab.analysis
    import lab.registry

    # the references the checks compare against, fresh: a submission may have patched them
    importlib.reload(lab.analysis)
    importlib.reload(lab.registry)
    checks = importlib.reload(checks)
    scope = dict(namespace)
    scope.update({name: getattr(checks, name) for name in checks.__all__})
    try:
        tree = ast.parse(source)
        *body, last = tree.body
        if not isinstance(last, ast.Expr):
            return {"error": "the check cell must end with an expression (the report)"}
        exec(compile(ast.Module(body=body, type_ignores=[]), "<check>", "exec"), scope)
        report = eval(compile(ast.Expression(last.value), "<check>", "eval"), scope)
    except Exception as error:
        return {"error": traceback.format_exception_only(type(error), error)[-1].strip()}
    if not isinstance(report, checks.Report):
        return {"error": f"the check returned a {type(report).__name__}, not a Report"}
    return {"passed": report.passed, "total": report.total, "feedback": report.feedback}
