"""How long does the book take to build from scratch, and to rebuild with nothing changed?

Runs ``jupyter-book build . -n --keep-going --path-output <tmp>`` twice into
an empty temporary folder (the repository's own ``_build`` is left alone):

* clean: every notebook executed, every page written;
* cached: the same command again, nothing changed.  Sphinx re-reads only the
  documents that changed, so ``execute_notebooks: force`` re-executes none.

    python benchmarks/build_time.py [output folder, empty or new]

Given a folder, the built site stays there (``run_all.py`` measures its pages).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, summarize, summary_row, table

from lab.static_explorer import SITE_VARIABLE

CLEAN_TARGET = 240.0
CACHED_TARGET = 30.0


def build(output: str) -> tuple[float, str]:
    """(seconds, the tail of the log) of one build of the book into ``output``."""
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    command = [str(jupyter_book), "build", ".", "-n", "--keep-going", "--path-output", output]
    start = time.perf_counter()
    env = {**os.environ, SITE_VARIABLE: "1"}  # as `make book`: with the static explorers
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"the build failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return seconds, done.stdout


def executed(log: str) -> int:
    """How many notebooks a build executed (myst-nb logs one line per executed notebook)."""
    return log.count("Executed notebook in")


def main() -> None:
    if len(sys.argv) > 1:
        output = Path(sys.argv[1])
        if output.exists() and any(output.iterdir()):
            sys.exit(f"{output} is not empty: a clean build needs an empty folder")
        clean, clean_log = build(str(output))
        cached, cached_log = build(str(output))
    else:
        with tempfile.TemporaryDirectory() as output:
            clean, clean_log = build(output)
            cached, cached_log = build(output)
    print("book build: jupyter-book build . -n --keep-going into an empty folder, then again")
    rows = [
        ("clean", clean, executed(clean_log)),
        ("cached (nothing changed)", cached, executed(cached_log)),
    ]
    print(table(["build", "seconds", "notebooks executed"], rows))
    summarize(
        [
            summary_row(
                "build", "clean", f"{clean:.0f} s", f"<= {CLEAN_TARGET:g} s", clean <= CLEAN_TARGET
            ),
            summary_row(
                "build",
                "cached rebuild, nothing changed",
                f"{cached:.1f} s",
                f"<= {CACHED_TARGET:g} s",
                cached <= CACHED_TARGET,
            ),
        ]
    )


if __name__ == "__main__":
    main()
