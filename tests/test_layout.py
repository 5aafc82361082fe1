"""The layout shows the architecture: a small optimizer library, the book's lab beside it.

``optimizers/`` is the library a reader can take into their own training code: it
imports jax and numpy and nothing else, and it stays small enough to read in an
afternoon.  ``lab/`` holds what the chapters run and draw, ``coursework/`` the
course kit; each layer imports only the ones below it.
"""

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "optimizers"
LAB = ROOT / "lab"
PRESENTATION = {"matplotlib", "ipywidgets", "sklearn", "IPython"}


def lines(path: Path) -> int:
    return len(path.read_text().splitlines())


def imported_packages(path: Path) -> set[str]:
    """The top-level names a module imports (absolute imports only; the project uses no others)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_importing_the_library_loads_no_plotting_widgets_or_notebook_code():
    code = (
        "import sys, optimizers\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {sorted(PRESENTATION)!r}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("path", sorted(LIBRARY.glob("*.py")), ids=lambda p: p.name)
def test_library_modules_import_only_jax_numpy_and_the_standard_library(path):
    third_party = imported_packages(path) - set(sys.stdlib_module_names)
    assert third_party <= {"jax", "numpy", "optimizers"}, f"{path.name} imports {third_party}"


def test_the_library_is_small_enough_to_read_in_an_afternoon():
    total = sum(lines(path) for path in LIBRARY.rglob("*.py"))
    assert total < 2000, f"optimizers/ has {total} lines"


@pytest.mark.parametrize("path", sorted(LAB.rglob("*.py")), ids=lambda p: str(p.relative_to(LAB)))
def test_no_lab_module_is_over_800_lines(path):
    assert lines(path) <= 800


def test_no_lab_module_repeats_a_library_module_name():
    library = {path.stem for path in LIBRARY.glob("*.py")} - {"__init__"}
    lab = {path.stem for path in LAB.rglob("*.py")} - {"__init__"}
    lab |= {path.name for path in LAB.rglob("*") if path.is_dir() and path.name != "__pycache__"}
    assert library & lab == set()


@pytest.mark.parametrize("path", sorted(LAB.rglob("*.py")), ids=lambda p: str(p.relative_to(LAB)))
def test_the_lab_does_not_import_the_course_kit(path):
    assert "coursework" not in imported_packages(path)


def test_pyproject_lists_only_jax_and_numpy_for_the_library():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert sorted(project["dependencies"]) == ["jax", "numpy"]
    assert {"matplotlib", "ipywidgets", "scikit-learn"} <= set(
        project["optional-dependencies"]["lab"]
    )
