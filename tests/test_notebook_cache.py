"""The notebooks nbval executes are what a site build would have executed (tests/notebook_cache.py)."""

import os
import subprocess
import sys

import nbformat
import pytest
from jupyter_cache import get_cache
from jupyter_cache.executors.utils import single_nb_execution

from conftest import ROOT

CELLS = [
    "print('hello')\nimport ipywidgets as widgets\nslider = widgets.IntSlider(3)\nslider",
    "from myst_nb import glue\nglue('answer', 42, display=False)\nglue('shown', 'text')",
    "from IPython.display import clear_output, display\n"
    "print('gone')\nclear_output(wait=True)\nprint('kept')",
    "out = widgets.Output()\nwith out:\n    print('inside the widget')\nout",
    "handle = display('first', display_id=True)\nhandle.update('second')",
    "import sys\nprint('to stderr', file=sys.stderr)\n1 + 1",
]


def notebook(cells):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def run_nbval(folder, path):
    """nbval on one notebook, with the plugin and nothing of the repository's configuration."""
    (folder / "pytest.ini").write_text("[pytest]\n")
    command = [
        *(sys.executable, "-m", "pytest", path.name, "--nbval-lax", "--nbval-current-env"),
        *("-p", "tests.notebook_cache", "--notebook-cache", "cache", "-p", "no:cacheprovider"),
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(command, cwd=folder, capture_output=True, text=True, env=env, timeout=600)


def outputs(nb):
    """Each code cell's outputs without the parts that differ between two runs."""

    def plain(output):
        data = {k: v for k, v in output.get("data", {}).items() if "widget-view" not in k}
        return (output.output_type, output.get("name"), output.get("text"), data)

    return [[plain(o) for o in c.outputs] for c in nb.cells if c.cell_type == "code"]


def widget_models(nb):
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    return sorted(model["model_name"] for model in state.values())


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """(the notebook nbval's run cached, the notebook a build executes directly, nbval's log)."""
    folder = tmp_path_factory.mktemp("recorded")
    path = folder / "example.ipynb"
    nbformat.write(notebook(CELLS), path)
    run = run_nbval(folder, path)
    assert run.returncode == 0, run.stdout + run.stderr
    source = nbformat.read(path, as_version=4)
    _, cached = get_cache(folder / "cache" / "jupyter_cache").merge_match_into_notebook(source)
    direct = nbformat.read(path, as_version=4)
    result = single_nb_execution(direct, cwd=folder, timeout=300, allow_errors=False)
    assert result.err is None
    return cached, direct, run


def test_nbval_passes_every_cell(executed):
    _, _, run = executed
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"{len(CELLS)} passed" in run.stdout


def test_outputs_are_those_of_a_direct_execution(executed):
    cached, direct, _ = executed
    assert outputs(cached) == outputs(direct)
    # what the plugin must get right: a cleared output, an Output widget's capture,
    # an updated display and the glued values
    assert outputs(cached)[2] == [("stream", "stdout", "kept\n", {})]
    assert outputs(cached)[4][0][3] == {"text/plain": "'second'"}
    glued = [data for _, _, _, data in outputs(cached)[1]]
    assert glued[0] == {"application/papermill.record/text/plain": "42"}


def test_widget_state_and_execution_counts_are_those_of_a_direct_execution(executed):
    cached, direct, _ = executed
    assert widget_models(cached) == widget_models(direct)
    assert "OutputModel" in widget_models(cached) and "IntSliderModel" in widget_models(cached)
    counts = [c.execution_count for c in cached.cells]
    assert counts == [c.execution_count for c in direct.cells] == list(range(1, len(CELLS) + 1))


def test_a_failing_notebook_is_not_cached(tmp_path):
    path = tmp_path / "failing.ipynb"
    nbformat.write(notebook(["x = 1", "raise ValueError('no')", "y = 2"]), path)
    run = run_nbval(tmp_path, path)
    assert run.returncode == 1 and "1 failed" in run.stdout
    assert [p.read_text() for p in (tmp_path / "cache").glob("*.done")] == ["failed"]
    with pytest.raises(KeyError):
        get_cache(tmp_path / "cache" / "jupyter_cache").match_cache_notebook(
            nbformat.read(path, as_version=4)
        )
