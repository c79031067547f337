"""The six notebooks run as a learner runs them, and every ``assert`` in them holds: from the built wheel alone,
installed non-editable with the ``notebooks`` extra into a fresh venv, in a folder outside the repository.

This is the one place the notebooks run top to bottom. .ci/run builds the wheel, makes the venv and points
``SHALLOWNET_LESSONS_PYTHON`` at its interpreter; the README's plain test run skips this module (its other
notebook tests, tests/test_notebooks.py and tests/test_lessons.py, need no kernel but 03's planted one).
``SHALLOWNET_LESSONS_PYTHON=build`` makes it build the wheel and the venv itself (about a minute with pip's
cache warm):

    SHALLOWNET_LESSONS_PYTHON=build .venv/bin/python -m pytest tests/test_notebooks_from_wheel.py
"""

import os
import subprocess
import sys
import venv
from pathlib import Path

import nbformat
import pytest

from test_notebooks import NAMES, NOTEBOOKS, _committed, build

REPO = NOTEBOOKS.parent
GIVEN = os.environ.get("SHALLOWNET_LESSONS_PYTHON", "")
pytestmark = pytest.mark.skipif(
    not GIVEN, reason="run by .ci/run's lessons step; here: SHALLOWNET_LESSONS_PYTHON=build pytest this file"
)


def _run(*command, **kwargs):
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    assert done.returncode == 0, f"{' '.join(map(str, command))}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return done.stdout


def _wheel_python(folder):
    """A fresh venv with only the wheel built from this checkout and its [notebooks] extra; its interpreter."""
    dist = folder / "dist"
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(REPO))
    [wheel] = dist.glob("shallownet-*.whl")
    venv.create(folder / "venv", with_pip=True)
    python = folder / "venv" / "bin" / "python"
    _run(str(python), "-m", "pip", "install", "-q", f"{wheel}[notebooks]")
    return python


@pytest.fixture(scope="module")
def lessons_python(tmp_path_factory):
    return _wheel_python(tmp_path_factory.mktemp("wheel")) if GIVEN == "build" else Path(GIVEN)


def test_the_venv_holds_the_wheel_not_this_checkout(lessons_python, tmp_path):
    where = _run(
        str(lessons_python),
        "-c",
        "import shallownet.lessons, checker, manual, reference; print(shallownet.__file__)",
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    ).strip()
    assert "site-packages" in where and not Path(where).resolve().is_relative_to(REPO), where
    assert not list(Path(where).parent.parent.glob("__editable__*")), "an editable install, not the wheel"


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_from_the_wheel_outside_the_repository_and_its_claims_hold(
    name, lessons_python, tmp_path, monkeypatch
):
    monkeypatch.delenv("PYTHONPATH", raising=False)
    assert not tmp_path.resolve().is_relative_to(REPO)
    nb = _committed(name)
    nb.cells.append(nbformat.v4.new_code_cell("import shallownet, os; print(shallownet.__file__, os.getcwd())"))
    build.execute(nb, cwd=tmp_path, python=lessons_python)  # raises CellExecutionError when any cell fails
    shown = "".join(o.get("text", "") for o in nb.cells[-1].outputs).split()
    assert Path(shown[0]).is_relative_to(lessons_python.parent.parent) and Path(shown[1]) == tmp_path, shown
