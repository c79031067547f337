"""Otter-Grader: the generated Python-format test file, run by the real otter-grader package.

The same file serves the learner's ``grader.check("backprop")`` (here with
the function's namespace, as a notebook's globals) and the teacher's local
``otter run`` (no Docker: Otter executes the notebook in a kernel, then runs
the file's test cases on its globals; here through Otter's own functions
behind ``otter generate`` and ``otter run``). Its points must be the Gradescope
results' points for the same code.
"""

import json
from pathlib import Path

import otter
import pytest
from otter.generate import main as otter_generate
from otter.nbmeta_config import NBMetadataConfig
from otter.run import main as otter_run
from otter.test_files import ExceptionTestFile, create_test_file

from checker import autograder, check_file, graders
from shallownet import cli

TESTS = Path(__file__).parent
GRADERS = TESTS / "fixtures" / "graders"
COURSE = (TESTS / "corpus" / "01_course_solution.py").read_text()
MISSING_ONE_OVER_M = COURSE.replace("dW1 = (1 / m) * np.dot(dZ1, X.T)", "dW1 = np.dot(dZ1, X.T)")
WRONG_DERIVATIVE = COURSE.replace("(1 - np.power(A1, 2))", "(1 - A1)")


@pytest.fixture(scope="module")
def tests_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("otter") / "tests"
    assert cli.main(["autograder", "otter", "--out", str(folder), "--points", "10"]) == 0
    return folder


def namespace(source):
    """The globals a notebook that ran ``source`` would have."""
    env = {"__name__": "__main__"}
    exec(compile(source, "notebook.py", "exec"), env)
    return env


def test_the_file_is_otters_python_format_with_a_case_per_gradient(tests_dir):
    text = (tests_dir / "backprop.py").read_text()
    assert "OK_FORMAT = False" in text
    test_file = create_test_file(str(tests_dir / "backprop.py"), NBMetadataConfig())
    assert isinstance(test_file, ExceptionTestFile)  # Otter read OK_FORMAT = False: its Python format
    assert test_file.name == "backprop"
    assert [(case.name, case.points, case.hidden) for case in test_file.test_cases] == [
        (key, 2.5, False) for key in ("dW1", "db1", "dW2", "db2")
    ]


@pytest.mark.parametrize(
    "source, score, failing, words",
    [
        (COURSE, 10.0, [], None),
        (MISSING_ONE_OVER_M, 7.5, ["dW1"], "missing 1/m: off by a factor m"),
        (WRONG_DERIVATIVE, 5.0, ["dW1", "db1"], "activation derivative"),
    ],
)
def test_grader_check_in_the_notebook_scores_and_explains(tests_dir, source, score, failing, words, monkeypatch):
    monkeypatch.chdir(tests_dir.parent)  # Otter logs each check to .OTTER_LOG in the working folder
    grader = otter.Notebook(tests_dir=str(tests_dir))
    result = grader.check("backprop", global_env=namespace(source))
    assert (result.score, result.possible) == (score, 10.0)
    failed = [r.test_case.name for r in result.test_case_results if not r.passed]
    assert failed == failing
    messages = "\n".join(r.message for r in result.test_case_results if not r.passed)
    if words:
        assert words in messages
        assert "isolation: none: check_backprop called your function in this process" in messages
    assert str(result) == repr(result)


def test_checking_again_after_fixing_a_helper_sees_the_fix(tests_dir, monkeypatch):
    # The same backward_propagation object, its helper redefined between two checks (a notebook's cells rerun).
    monkeypatch.chdir(tests_dir.parent)
    helper = "def scale(m):\n    return {}\n\n"
    source = helper.format("1") + COURSE.replace(
        "dW1 = (1 / m) * np.dot(dZ1, X.T)", "dW1 = scale(m) * np.dot(dZ1, X.T)"
    )
    env = namespace(source)
    grader = otter.Notebook(tests_dir=str(tests_dir))
    assert grader.check("backprop", global_env=env).score == 7.5
    exec(helper.format("1 / m"), env)
    assert grader.check("backprop", global_env=env).score == 10.0


def test_a_notebook_without_the_function_fails_every_case_with_a_hint(tests_dir, monkeypatch):
    monkeypatch.chdir(tests_dir.parent)
    result = otter.Notebook(tests_dir=str(tests_dir)).check("backprop", global_env={"np": None})
    assert result.score == 0
    assert all("backward_propagation is not defined: run the cell" in r.message for r in result.test_case_results)


def test_a_bad_setting_is_refused_when_the_file_is_written(tmp_path, capsys):
    assert cli.main(["autograder", "otter", "--out", str(tmp_path), "--activation", "softplus"]) == 2
    assert "softplus" in capsys.readouterr().err
    with pytest.raises(ValueError, match="Python names"):
        autograder.otter_test_file(name="back prop")


@pytest.mark.slow
def test_otter_run_grades_a_notebook_as_gradescope_does(tests_dir, tmp_path, monkeypatch, capsys):
    # `otter generate` packs the tests into Otter's autograder zip; `otter run` grades locally, without Docker
    # (Otter's own functions behind those two commands, here: the notebook still runs in a kernel of its own).
    # One notebook, with one wrong gradient: its passing cases earn their points and its failing case none, in
    # Otter's own total (a right notebook's 10 of 10 is grader.check's above, through the same test file).
    monkeypatch.chdir(tests_dir.parent)
    otter_generate(tests_dir="tests", output_path="autograder.zip")
    notebook = GRADERS / "missing_one_over_m.ipynb"
    otter_run(str(notebook), autograder="autograder.zip", output_dir=str(tmp_path), no_logo=True)
    assert "Total Score: 7.500 / 10.000" in capsys.readouterr().out
    otter_results = json.loads((tmp_path / "results.json").read_text())
    (graded,) = [test for test in otter_results["tests"] if test["name"] == "backprop"]
    gradescope = graders.gradescope_results(graders.grade(check_file(notebook), points=10))
    assert graded["score"] == gradescope["score"] == 7.5
    assert "AssertionError: dW1 wrong: 0 of 5 problems passed" in graded["output"]
    assert "missing 1/m: off by a factor m" in graded["output"]
