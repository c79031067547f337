"""The teaching notebooks: each runs top to bottom in a fresh kernel and its asserted claims hold.

Every notebook proves its claims with ``assert`` cells, so a wrong claim fails
here, not only an exception. The committed ``.ipynb`` files are generated from
``notebooks/src/*.py`` by ``notebooks/build.py`` and carry their outputs (the
plots GitHub shows); the fast test checks they are in step with their sources.
"""
import importlib.util
import os
import sys
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NAMES = (
    "01_why_one_over_m",
    "02_shapes_and_vectorization",
    "03_activation_functions",
    "04_random_initialization",
    "05_planar_data",
    "06_check_your_backprop",
)
WITH_PLOTS = {"01_why_one_over_m", "03_activation_functions", "04_random_initialization", "05_planar_data"}


def _load_build():
    spec = importlib.util.spec_from_file_location("notebooks_build", NOTEBOOKS / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = _load_build()


def _committed(name):
    return nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)


def test_every_notebook_source_is_listed_and_is_plain_python():
    paths = build.source_paths()
    assert tuple(p.stem for p in paths) == NAMES
    for p in paths:
        compile(p.read_text(encoding="utf-8"), str(p), "exec")   # no IPython magics: editors and linters read it


@pytest.mark.parametrize("name", NAMES)
def test_committed_notebook_matches_its_source_and_has_outputs(name):
    committed = _committed(name)
    generated = build.notebook_from_source(NOTEBOOKS / "src" / f"{name}.py")
    assert [(c.cell_type, c.source) for c in committed.cells] == \
        [(c.cell_type, c.source) for c in generated.cells], \
        f"notebooks/{name}.ipynb is out of date: run python notebooks/build.py {name[:2]}"
    code = [c for c in committed.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code), "committed without running every cell"
    outputs = [o for c in code for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    if name in WITH_PLOTS:
        assert any("image/png" in o.get("data", {}) for o in outputs), "no plot in the committed outputs"


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_and_its_claims_hold(name):
    nb = _committed(name)
    # One extra cell: the kernel must be this test's interpreter (the venv), not some other python3.
    nb.cells.append(nbformat.v4.new_code_cell("import sys; print(sys.executable)"))
    build.execute(nb)    # raises CellExecutionError when any cell fails, an assert included
    kernel_python = "".join(o.get("text", "") for o in nb.cells[-1].outputs).strip()
    assert os.path.realpath(kernel_python) == os.path.realpath(sys.executable)
    first = next(c for c in nb.cells if c.cell_type == "code")
    assert 'jax.config.update("jax_enable_x64", True)' in first.source   # verification in float64
