"""The lessons as learners get them: helpers from the installed package, a first cell that says what to install,
Chinese summaries that say what the English says, and 03's check of the sums independent of the library.

The notebooks import ``shallownet.lessons`` (figures, exercises), which ships in the wheel; nothing is imported
from beside the notebooks. tests/test_notebooks_from_wheel.py runs all six from a wheel outside the repository.
"""

import re
import subprocess
import sys

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError

import shallownet.lessons
from shallownet.lessons import require_extra
from test_notebooks import NAMES, NOTEBOOKS, _committed, build

INSTALL_LINE = "%pip install 'shallownet[notebooks]'"


def _first_code_cell(name):
    return next(cell for cell in _committed(name).cells if cell.cell_type == "code")


@pytest.mark.parametrize("name", NAMES)
def test_first_cell_names_the_install_before_anything_is_imported(name, tmp_path):
    # A kernel without shallownet (-S: no site-packages, -I: not even the current folder), as Colab starts.
    cell = _first_code_cell(name).source
    assert cell.index('find_spec("shallownet")') < cell.index("import jax"), "the check must come before any import"
    run = subprocess.run([sys.executable, "-I", "-S", "-c", cell], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("ModuleNotFoundError: shallownet is not installed: run  " + INSTALL_LINE), last
    assert "no restart" in last


@pytest.mark.parametrize("name", NAMES)
def test_first_markdown_cell_tells_colab_users_the_one_install_line(name):
    first = next(cell for cell in _committed(name).cells if cell.cell_type == "markdown").source
    assert "Colab" in first and "JupyterHub" in first and f"`{INSTALL_LINE}`" in first and "No restart" in first


def test_lessons_name_the_extra_when_one_of_its_modules_is_missing():
    require_extra()  # everything is here in the test environment
    with pytest.raises(ModuleNotFoundError, match=re.escape(INSTALL_LINE)) as missing:
        require_extra({"no_such_module_for_the_lessons": "no-such-dist"})
    assert missing.value.name == "no_such_module_for_the_lessons"
    assert "\n" not in str(missing.value) and "no-such-dist" in str(missing.value)


def test_notebooks_import_their_helpers_from_the_package_only():
    assert not (NOTEBOOKS / "figures.py").exists() and not (NOTEBOOKS / "exercises.py").exists()
    assert shallownet.lessons.__file__.startswith(str(NOTEBOOKS.parent / "shallownet"))
    for name in NAMES:
        code = "\n".join(cell.source for cell in _committed(name).cells if cell.cell_type == "code")
        assert not re.search(r"^\s*(import (figures|exercises)|from (figures|exercises) import)", code, re.M), name


# --- the Chinese summaries ----------------------------------------------------------------------------------

NUMBER = re.compile(r"(?<![\w.])\d+(?:,\d{3})*(?:\.\d+)?")


def _chinese_summary(nb):
    """The text of the last 小结 / 答 section, from where its Chinese starts."""
    cells = [c.source for c in nb.cells if c.cell_type == "markdown" and re.search(r"^## .*(小结|答)", c.source, re.M)]
    text = cells[-1]
    return text[text.index("小结") :], text


def _numbers(text):
    text = re.sub(r"\\frac(\d)(\d)", r"\1/\2", text)  # \frac14 is 1/4, not fourteen
    text = re.sub(r"\^\{?-?\d+\}?|_\{?\d+\}?|\[\d\]|\{\[\d\]\}", " ", text)  # exponents, sub- and layer indices
    return set(NUMBER.findall(text))


def _english_and_outputs(nb, summary_cell):
    parts = [c.source for c in nb.cells if c.cell_type == "markdown" and c.source != summary_cell]
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", "") + output.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


@pytest.mark.parametrize("name", NAMES)
def test_every_number_in_the_chinese_summary_is_in_the_notebook(name):
    nb = _committed(name)
    summary, cell = _chinese_summary(nb)
    rest = _english_and_outputs(nb, cell)
    missing = [n for n in sorted(_numbers(summary)) if not re.search(rf"(?<![\d.]){re.escape(n)}(?!\d)", rest)]
    assert not missing, f"the Chinese summary says {missing}, which neither the English nor an output says"


def test_the_summary_number_check_catches_a_number_that_is_nowhere_else():
    nb = _committed("05_planar_data")
    summary, cell = _chinese_summary(nb)
    assert "12,345.6" not in _english_and_outputs(nb, cell)
    assert "12,345.6" in _numbers(summary + " 准确率 12,345.6%")


# --- 03's check of the sums ----------------------------------------------------------------------------------

SUMS_CELL = "own_sums = "
# Planted just before that cell: the library's shared backward pass with db1 off by 1%, in its sums and in the
# averages derived from them (manual.backward is the sums / m), as a slip in the one implementation would be.
PLANT = """
_library = {name: getattr(manual, name) for name in ("backward_sums", "backward", "grads")}
def _plant(name):
    def planted(*args, **kwargs):
        grads = dict(_library[name](*args, **kwargs))
        grads["db1"] = grads["db1"] * 1.01
        return grads
    return planted
for _name in _library:
    setattr(manual, _name, _plant(_name))
g_manual = manual.grads(params, X, Y)
"""
# The check as it was: the library's sums against the library's averages. Under the plant it still passes.
OLD_CHECK = """
g_sum = manual.backward_sums(params, cache, X, Y)
for k in params:
    step_sum, step_mean = params[k] - 0.01 * g_sum["d" + k], params[k] - (0.01 * m) * g_manual["d" + k]
    np.testing.assert_allclose(step_sum, step_mean, rtol=1e-12)
print("the old check passes the plant")
"""


def _notebook_03_up_to_the_sums_planted():
    nb = _committed("03_why_one_over_m")
    end = next(i for i, cell in enumerate(nb.cells) if cell.cell_type == "code" and SUMS_CELL in cell.source)
    planted = [nbformat.v4.new_code_cell(PLANT), nbformat.v4.new_code_cell(OLD_CHECK)]
    nb.cells = nb.cells[:end] + planted + [nb.cells[end]]
    return nb


@pytest.mark.slow
def test_03s_sums_check_fails_when_the_librarys_sums_are_wrong(tmp_path):
    # As committed the cell holds: the notebook's own run (tests/test_notebooks_from_wheel.py) proves that.
    nb = _notebook_03_up_to_the_sums_planted()
    with pytest.raises(CellExecutionError) as failed:
        build.execute(nb, cwd=tmp_path)
    assert "library's db1" in str(failed.value)  # the cell's check on the library is what stops it ...
    old = nb.cells[-2]
    assert "the old check passes the plant" in "".join(o.get("text", "") for o in old.outputs)  # ... not the old
