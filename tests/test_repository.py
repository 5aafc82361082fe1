"""Repository hygiene: notebooks stored stripped, requirements pinned, nothing machine-specific."""

import json
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def tracked_files():
    listing = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [ROOT / name for name in listing if (ROOT / name).is_file()]


NOTEBOOKS = sorted(ROOT.glob("book/**/*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks under book/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_is_stored_without_outputs(path):
    notebook = json.loads(path.read_text())
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"cell {index} has stored outputs"
            assert cell.get("execution_count") is None, f"cell {index} has an execution count"


def test_requirements_are_pinned():
    files = ["requirements.txt", "requirements-dev.txt", "binder/jupyterlab.txt"]
    for name in files:
        for line in (ROOT / name).read_text().splitlines():
            line = line.split("#")[0].strip()
            if not line or line == "-e .[lab,course]":
                continue
            if line.startswith("-r "):
                assert line[3:] in files, f"{name} includes {line[3:]}, which is not checked"
                continue
            assert re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[A-Za-z0-9_.+\-]+", line), f"{name}: {line}"


def test_jupyter_book_stays_on_1x():
    pins = dict(
        line.split("==")
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if "==" in line
    )
    assert pins["jupyter-book"].startswith("1.")


def test_requirements_install_the_package_itself():
    assert "-e .[lab,course]" in (ROOT / "requirements.txt").read_text().splitlines()


def test_no_machine_specific_paths_in_the_repository():
    pattern = re.compile(r"/(work|root|home|tmp)/[A-Za-z]")
    offenders = [
        str(path.relative_to(ROOT))
        for path in tracked_files()
        if path.suffix in {".py", ".md", ".ipynb", ".yml", ".toml", ".txt", ".bib", ".cfg", ""}
        and pattern.search(path.read_text(errors="ignore"))
    ]
    assert offenders == []
