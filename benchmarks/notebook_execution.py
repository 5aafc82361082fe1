"""How long does each chapter take to execute, and how much memory does its kernel need?

Executes every notebook of the book (``_toc.yml`` order) in a fresh kernel
with nbclient's ``jupyter execute``, writing the executed copy to a temporary
folder (``book/`` keeps its stripped notebooks), and prints per notebook:

* the wall time of the whole ``jupyter execute`` run, kernel start-up included;
* the peak resident memory (RSS) of the kernel: the processes ``jupyter execute``
  starts, sampled every 20 ms with psutil (the sum over the kernel and any
  process it starts; ``jupyter execute``'s own memory is not counted, as a Binder
  user's notebook server is there anyway).

    python benchmarks/notebook_execution.py [notebook names ...]
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import yaml
from common import ROOT, summarize, summary_row, table

TIME_TARGET = 30.0  # seconds per chapter
MEMORY_TARGET = 1e9  # bytes per chapter
TOTAL_TARGET = 180.0  # seconds for the whole book
SAMPLE = 0.02


def notebooks() -> list[Path]:
    """The book's notebooks, in the order of ``_toc.yml``."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]] + [c["file"] for part in toc["parts"] for c in part["chapters"]]
    return [ROOT / f"{f}.ipynb" for f in files if (ROOT / f"{f}.ipynb").exists()]


def kernel_rss(process: psutil.Process) -> int:
    """Bytes resident in the processes ``process`` started (the kernel and its children)."""
    total = 0
    for child in process.children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):  # it may have just ended
            total += child.memory_info().rss
    return total


def execute(notebook: Path, output_dir: str) -> tuple[float, int]:
    """(seconds, peak kernel RSS in bytes) of executing ``notebook`` in a fresh kernel."""
    output = Path(output_dir) / notebook.name
    command = [
        sys.executable, "-m", "jupyter", "execute", "--timeout=600", f"--output={output}",
        str(notebook),
    ]  # fmt: skip
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=notebook.parent, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    watched, peak = psutil.Process(process.pid), 0
    while process.poll() is None:
        try:
            peak = max(peak, kernel_rss(watched))
        except psutil.NoSuchProcess:
            break
        time.sleep(SAMPLE)
    seconds = time.perf_counter() - start
    if process.wait() != 0:
        sys.exit(f"{notebook.name} failed:\n{process.stderr.read().decode()[-2000:]}")
    return seconds, peak


def main() -> None:
    chosen = set(sys.argv[1:])
    paths = [p for p in notebooks() if not chosen or p.stem in chosen]
    results = []
    with tempfile.TemporaryDirectory() as output_dir:
        for path in paths:
            seconds, peak = execute(path, output_dir)
            results.append((path.stem, seconds, peak))
            print(f"  {path.stem}: {seconds:.1f} s, {peak / 1e6:.0f} MB", flush=True)
    total = sum(seconds for _, seconds, _ in results)
    print("\nnotebook execution: a fresh kernel each (jupyter execute)")
    rows = [(name, seconds, f"{peak / 1e6:.0f}") for name, seconds, peak in results]
    print(table(["notebook", "seconds", "peak kernel MB"], [*rows, ("total", total, "")]))
    slowest = max(results, key=lambda r: r[1])
    largest = max(results, key=lambda r: r[2])
    summarize(
        [
            summary_row(
                "execution",
                f"slowest notebook ({slowest[0]})",
                f"{slowest[1]:.1f} s",
                f"<= {TIME_TARGET:g} s",
                slowest[1] <= TIME_TARGET,
            ),
            summary_row(
                "execution",
                f"largest kernel peak RSS ({largest[0]})",
                f"{largest[2] / 1e6:.0f} MB",
                f"<= {MEMORY_TARGET / 1e9:g} GB",
                largest[2] <= MEMORY_TARGET,
            ),
            summary_row(
                "execution",
                f"whole book, one after the other ({len(results)} notebooks)",
                f"{total:.0f} s",
                f"<= {TOTAL_TARGET:g} s",
                total <= TOTAL_TARGET,
            ),
        ]
    )


if __name__ == "__main__":
    main()
