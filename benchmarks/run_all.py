"""Run every benchmark, each in its own process, and print one table of the results.

Each script prints its own table as it goes; the summary rows they report
(see ``common.summarize``) are collected and printed together at the end.
The site built by ``build_time.py`` (in a temporary folder) is the one
``page_weight.py`` loads.

    python benchmarks/run_all.py        # what `make bench` runs
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from common import ROOT, SUMMARY_ENV, table, verdict

HERE = Path(__file__).resolve().parent


def run(script: str, *args: str, env: dict) -> None:
    print(f"\n=== {script} {' '.join(args)}".rstrip(), flush=True)
    subprocess.run([sys.executable, str(HERE / script), *args], cwd=ROOT, env=env, check=True)


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        summary = Path(scratch) / "summary.jsonl"
        env = {**os.environ, SUMMARY_ENV: str(summary)}
        site = Path(scratch) / "site"
        run("trajectory_latency.py", env=env)
        run("widget_response.py", env=env)
        run("throughput.py", env=env)
        run("notebook_execution.py", env=env)
        run("build_time.py", str(site), env=env)
        run("page_weight.py", str(site / "_build" / "html"), env=env)
        rows = [json.loads(line) for line in summary.read_text().splitlines()]
    print("\n=== summary (make bench)")
    print(
        table(
            ["area", "what", "measured", "target", "met"],
            [(r["area"], r["what"], r["measured"], r["target"], verdict(r["met"])) for r in rows],
        )
    )


if __name__ == "__main__":
    main()
