"""Shared fixtures: a nested pytree and a smooth loss, the built site, and a headless Chromium."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import matplotlib
import pytest
import yaml
from filelock import FileLock

from tests.notebook_cache import wait_for_notebooks

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
JUPYTER_BOOK = Path(sys.executable).parent / "jupyter-book"


def make_params():
    """A dict of matrix, vector and scalar: the shapes a real model has."""
    key_w, key_b = jax.random.split(jax.random.PRNGKey(42))
    return {
        "layer": {
            "w": jax.random.normal(key_w, (4, 3)),
            "b": jax.random.normal(key_b, (3,)),
        },
        "scale": jnp.asarray(0.7),
    }


def smooth_loss(params):
    """A convex but not quadratic loss, with different curvature per leaf."""
    w, b, s = params["layer"]["w"], params["layer"]["b"], params["scale"]
    targets = jnp.linspace(-1.0, 1.0, 12).reshape(4, 3)
    return (
        0.5 * jnp.sum((w - targets) ** 2 * jnp.arange(1.0, 13.0).reshape(4, 3))
        + jnp.sum(jnp.logaddexp(0.0, 3.0 * b))
        + 0.25 * (s - 2.0) ** 4
        + 0.1 * s**2
    )


@pytest.fixture
def params():
    return make_params()


def replay(tx, grads_sequence, apply):
    """Run ``tx`` from ``make_params()`` on a *given* sequence of gradients (stacked pytree).

    Comparing optimizers on the gradients one reference run produced keeps the
    comparison linear: on a real loss, Adam-like methods near a minimum amplify a
    last-bit rounding difference into a different (equally valid) trajectory.
    Returns the parameter history, stacked.
    """

    @jax.jit
    def loop(params, grads_sequence):
        def step(carry, grads):
            params, state = carry
            updates, state = tx.update(grads, state, params)
            params = apply(params, updates)
            return (params, state), params

        return jax.lax.scan(step, (params, tx.init(params)), grads_sequence)[1]

    return loop(make_params(), grads_sequence)


def descend(tx, apply, steps):
    """Run ``tx`` on ``smooth_loss``; return (parameter history, gradient history), stacked."""

    @jax.jit
    def loop(params):
        def step(carry, _):
            params, state = carry
            grads = jax.grad(smooth_loss)(params)
            updates, state = tx.update(grads, state, params)
            params = apply(params, updates)
            return (params, state), (params, grads)

        return jax.lax.scan(step, (params, tx.init(params)), None, length=steps)[1]

    return loop(make_params())


@pytest.fixture(scope="session")
def site(request):
    """Build the whole book once per test run; return (html folder, build log).

    The build reads the notebooks nbval executed in this run (``tests/notebook_cache.py``)
    and executes only those it did not run cleanly. Under pytest-xdist every worker has
    its own session: the first to get here builds into the run's shared folder, the
    others wait for it and read the same build.
    """
    shared = request.config.notebook_cache
    out, log_file = shared / "book", shared / "book-build.json"
    with FileLock(shared / "book-build.lock"):
        if not log_file.exists():
            executed_by_nbval = wait_for_notebooks(request.session)
            returncode, log = _build_book(out, shared)
            log_file.write_text(json.dumps([returncode, log, _names(executed_by_nbval)]))
    returncode, log, _ = json.loads(log_file.read_text())
    assert returncode == 0, f"the book did not build cleanly:\n{log[-6000:]}"
    return out / "_build" / "html", log


@pytest.fixture(scope="session")
def nbval_outcomes(site, request):
    """``{notebook path relative to the repository: "cached" | "failed"}`` for this run."""
    return json.loads((request.config.notebook_cache / "book-build.json").read_text())[2]


def _names(outcomes: dict[Path, str]) -> dict[str, str]:
    return {path.resolve().relative_to(ROOT).as_posix(): o for path, o in outcomes.items()}


def _build_book(out: Path, shared: Path) -> tuple[int, str]:
    """``jupyter-book build -W`` with the repository's configuration, reading the cache."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["execute"].update(execute_notebooks="cache", cache=str(shared / "jupyter_cache"))
    extensions = config["sphinx"]["local_extensions"]  # relative to the configuration file
    config["sphinx"]["local_extensions"] = {k: str(ROOT / v) for k, v in extensions.items()}
    config_file = shared / "_config.yml"
    config_file.write_text(yaml.safe_dump(config, sort_keys=False))
    command = [str(JUPYTER_BOOK), "build", str(ROOT), "-W", "-n", "--keep-going", "--all"]
    result = subprocess.run(
        [*command, "--config", str(config_file), "--path-output", str(out)],
        capture_output=True,
        text=True,
        timeout=1200,
        cwd=ROOT,
    )
    return result.returncode, result.stdout + result.stderr


def toc_pages():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        for chapter in part["chapters"]:
            pages.append(chapter["file"])
            pages.extend(section["file"] for section in chapter.get("sections", []))
    return pages


CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        message = "Debian's chromium is needed: `apt-get install chromium` (.ci/run does it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def browser():
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    executable = chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()
