"""``python -m coursework student|grade``: write student versions, or grade submissions."""

from __future__ import annotations

import argparse
from pathlib import Path

from coursework.grader import Limits, grade
from coursework.student import write_student_versions


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m coursework", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    student = commands.add_parser("student", help="write the student versions of the assignments")
    student.add_argument("source", type=Path, help="folder of instructor notebooks")
    student.add_argument("out", type=Path, help="folder for the student notebooks")

    grading = commands.add_parser("grade", help="grade a folder of submitted notebooks")
    grading.add_argument("assignment", type=Path, help="the instructor notebook")
    grading.add_argument("submissions", type=Path, help="folder of <student>.ipynb files")
    grading.add_argument("out", type=Path, help="folder for grades.csv and feedback/")
    default = Limits()
    grading.add_argument(
        "--cell-timeout", type=int, default=default.cell, help="seconds per cell and per check"
    )
    grading.add_argument(
        "--time-limit",
        type=int,
        default=default.total,
        help="seconds per submission, not counting the kit's set-up cells",
    )
    grading.add_argument(
        "--setup-timeout", type=int, default=default.setup, help="seconds for the set-up cells"
    )

    args = parser.parse_args(argv)
    if args.command == "student":
        for path in write_student_versions(args.source, args.out):
            print(path)
    else:
        limits = Limits(args.cell_timeout, args.time_limit, args.setup_timeout)
        grades = grade(args.assignment, args.submissions, args.out, limits)
        for g in grades:
            print(f"{g.student}: {g.total:g} ({g.status})")
        print(f"wrote {args.out / 'grades.csv'} and {args.out / 'feedback'}/")


if __name__ == "__main__":
    main()
