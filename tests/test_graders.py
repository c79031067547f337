"""One result, many formats: checker.graders turns one check into every grader's points and texts.

The points come from the report's per-gradient verdicts (``problems_passed``
counts the problems each gradient passed, with the same tolerances as its
verdict); Gradescope, PrairieLearn, Otter and nbgrader lay out the same
Grade. PrairieLearn's results validate against a schema written from its
documentation; nbgrader's reading of a cell's score is nbgrader's own
(``nbgrader.utils.determine_grade`` on a notebook run in a real kernel).
"""

import importlib.util
import json
from pathlib import Path

import jsonschema
import nbformat
import pytest
from nbgrader.utils import determine_grade

from checker import FileResult, check_backprop, graders, sandbox
from checker.assignment_run import check_in_process
from shallownet import check_cmd

TESTS = Path(__file__).parent
CORPUS = TESTS / "corpus"
GRADERS = TESTS / "fixtures" / "graders"
PRAIRIELEARN = json.loads((GRADERS / "prairielearn_results.schema.json").read_text())
GRADESCOPE = json.loads((GRADERS / "gradescope_results.schema.json").read_text())
COURSE = (CORPUS / "01_course_solution.py").read_text()
MISSING_ONE_OVER_M = COURSE.replace("dW1 = (1 / m) * np.dot(dZ1, X.T)", "dW1 = np.dot(dZ1, X.T)")
ONE_OUTPUT_ONLY = (CORPUS / "30_one_output_only.py").read_text()  # W2.T * dZ2: raises when n_y = 3


def function_of(source, name="backward_propagation"):
    env = {"__name__": "learner"}
    exec(compile(source, "learner.py", "exec"), env)
    return env[name]


@pytest.mark.parametrize(
    "source, points, per_gradient",
    [
        (COURSE, 4.0, {"dW1": 1.0, "db1": 1.0, "dW2": 1.0, "db2": 1.0}),
        (MISSING_ONE_OVER_M, 4.0, {"dW1": 0.0, "db1": 1.0, "dW2": 1.0, "db2": 1.0}),
        # Right on the four problems with one output unit, raises on the third (n_y = 3): 4/5 of each share.
        (ONE_OUTPUT_ONLY, 10.0, {"dW1": 2.0, "db1": 2.0, "dW2": 2.0, "db2": 2.0}),
    ],
)
def test_each_gradient_earns_its_share_by_the_problems_it_passed(source, points, per_gradient):
    report = check_backprop(function_of(source))
    grade = graders.grade(report, points)
    assert {test.name: test.score for test in grade.tests} == per_gradient
    assert {test.name: test.max_score for test in grade.tests} == dict.fromkeys(per_gradient, points / 4)
    assert grade.score == sum(per_gradient.values()) and grade.max_score == points
    assert grade.passed == report.passed == (grade.score == points)
    for test, row in zip(grade.tests, report.rows):  # never a verdict of its own
        assert (test.name, test.passed, test.problems_passed) == (row.name, row.passed, row.problems_passed)


def test_partial_credit_counts_only_the_problems_a_gradient_passed_and_says_why_the_others_failed():
    grade = graders.grade(check_backprop(function_of(ONE_OUTPUT_ONLY)), 4.0)
    dW1 = grade.tests[0]
    assert dW1.summary.startswith("dW1 right only where returned: 4 of 5 problems passed")
    assert not dW1.passed and dW1.score == 0.8
    assert any("one output unit" in text for text in dW1.diagnosis + grade.diagnoses)


def test_every_format_gives_the_same_points_and_carries_isolation_seed_and_version():
    grade = graders.grade(check_backprop(function_of(MISSING_ONE_OVER_M)), 10.0)
    gradescope = graders.gradescope_results(grade)
    prairielearn = graders.prairielearn_results(grade)
    jsonschema.Draft202012Validator(GRADESCOPE).validate(gradescope)
    jsonschema.Draft202012Validator(PRAIRIELEARN).validate(prairielearn)
    assert gradescope["score"] == 7.5 and prairielearn["score"] == 0.75
    assert [t["score"] for t in gradescope["tests"]] == [t["points"] for t in prairielearn["tests"]]
    assert [t["max_score"] for t in gradescope["tests"]] == [t["max_points"] for t in prairielearn["tests"]]
    assert prairielearn["tests"][0]["message"].startswith("dW1 wrong: 0 of 5 problems passed")
    assert "missing 1/m: off by a factor m" in prairielearn["tests"][0]["message"]
    assert prairielearn["message"] == "dW1: missing 1/m: off by a factor m (the number of examples); divide by m once"
    for metadata in (gradescope["extra_data"], prairielearn["extra_data"]):
        assert metadata["isolation"] == graders.IN_PROCESS  # check_backprop: no FileResult, no sandbox
        assert metadata["checker_version"] == "0.1.0"
        assert "seed" in metadata and metadata["seed"] is None  # check_backprop's fixed problems
    assert f"isolation: {graders.IN_PROCESS}" in prairielearn["output"]
    assert f"Isolation: {graders.md_text(graders.IN_PROCESS)}" in gradescope["output"]


def test_a_file_that_was_never_checked_scores_zero_everywhere_with_the_reason():
    result = FileResult("hw.py", "FAIL", "hw.py defines no function", isolation="bubblewrap sandbox")
    grade = graders.grade(result, 6)
    assert grade.score == 0 and grade.max_score == 6.0
    assert [test.summary for test in grade.tests] == ["not checked: hw.py defines no function"] * 4
    prairielearn = graders.prairielearn_results(grade)
    jsonschema.Draft202012Validator(PRAIRIELEARN).validate(prairielearn)
    assert prairielearn["score"] == 0 and prairielearn["extra_data"]["isolation"] == "bubblewrap sandbox"
    with pytest.raises(ValueError, match="points must be a positive number"):
        graders.grade(result, 0)


def test_code_that_imports_our_packages_or_signals_earns_nothing_whatever_its_gradients():
    report = check_backprop(function_of(COURSE))
    report.conduct = ["your code imports manual, the checker's own code (refused): a PASS needs the formulas"]
    grade = graders.grade(report, 4.0)
    assert grade.score == 0 and not grade.passed and all(test.score == 0 for test in grade.tests)
    assert all(test.diagnosis == tuple(report.conduct) for test in grade.tests)
    assert grade.tests[0].summary.startswith("dW1: no credit: your code imports manual")


def _assignment(name, folder="corpus_cs231n"):
    namespace = {"__name__": "learner"}
    exec(compile((TESTS / folder / name).read_text(), name, "exec"), namespace)
    return namespace


@pytest.mark.parametrize(
    "name, problem, folder, per_result",
    [
        ("01_right_full.py", "cs231n", "corpus_cs231n", dict.fromkeys(["W1", "b1", "W2", "b2", "loss", "scores"], 1)),
        ("01_right.py", "week2", "corpus_week2", dict.fromkeys(["dw", "db", "cost"], 1)),
        ("03_dw_without_1_over_m.py", "week2", "corpus_week2", {"dw": 0, "db": 1, "cost": 1}),
    ],
)
def test_an_assignment_is_graded_per_returned_result_by_the_draws_it_passed(name, problem, folder, per_result):
    namespace = _assignment(name, folder)
    report = check_in_process(namespace["TwoLayerNet" if problem == "cs231n" else "propagate"], problem)
    grade = graders.grade(report, 6.0)
    share = 6.0 / len(per_result)
    assert {test.name: test.score for test in grade.tests} == {k: v * share for k, v in per_result.items()}
    assert grade.passed == report.passed == all(per_result.values())
    for test, row in zip(grade.tests, report.rows):  # the report's verdicts, never the grader's own
        assert (test.name, test.passed, test.problems_passed, test.problems) == (
            row.name,
            row.passed,
            row.problems_passed,
            len(report.cases),
        )
    results = graders.gradescope_results(grade)
    jsonschema.Draft202012Validator(GRADESCOPE).validate(results)
    jsonschema.Draft202012Validator(PRAIRIELEARN).validate(graders.prairielearn_results(grade))
    assert f"problem {problem}" in results["extra_data"]["problem"]
    if not report.passed:
        dw = grade.tests[0]
        assert dw.summary.startswith(f"dw wrong: 0 of {len(report.cases)} draws passed")
        assert dw.diagnosis and all(text.startswith("dw") for text in dw.diagnosis)


@pytest.mark.parametrize("text", ["plain", "```\n**bold** <script>", "a ```` run", "`one` and ``two``"])
def test_the_learners_text_cannot_escape_its_code_block_or_render_as_markup(text):
    block = graders.md_code(text)
    fence = block.split("\n", 1)[0]
    assert set(fence) == {"`"} and fence not in text and block.endswith("\n" + fence)
    assert graders.md_text("**x** <b>_y_</b> [a](b)") == "\\*\\*x\\*\\* \\<b\\>\\_y\\_\\</b\\> \\[a\\](b)"


def test_check_writes_gradescope_and_prairielearn_results_for_one_file(tmp_path, capsys):
    learner = tmp_path / "hw.py"
    learner.write_text(MISSING_ONE_OVER_M)
    gradescope, prairielearn = tmp_path / "gs" / "results.json", tmp_path / "pl.json"
    argv = [str(learner), "--gradescope", str(gradescope), "--prairielearn", str(prairielearn), "--points", "8"]
    assert check_cmd.main(argv) == 1
    results = json.loads(gradescope.read_text())
    jsonschema.Draft202012Validator(GRADESCOPE).validate(results)
    assert results["score"] == 6.0 and results["extra_data"]["isolation"] == sandbox.isolation("auto").line
    assert isinstance(results["extra_data"]["seed"], int)  # the command line draws its problems
    assert json.loads(prairielearn.read_text())["score"] == 0.75
    assert "result: FAIL, 1 of 4 gradients wrong" in capsys.readouterr().out
    assert check_cmd.main([str(tmp_path), "--gradescope", str(gradescope)]) == 2  # one submission only


def _load_build():
    spec = importlib.util.spec_from_file_location("notebooks_build", TESTS.parent / "notebooks" / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _grade_cell(grade_id, source):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {
        "grade": True, "solution": False, "locked": True, "points": 4, "grade_id": grade_id, "schema_version": 3
    }  # fmt: skip
    return cell


@pytest.mark.slow
def test_nbgrader_reads_the_cells_score_as_partial_credit_and_the_learner_reads_the_diagnosis():
    # One kernel, three learners in turn: right, missing 1/m, and right but noisy on stderr (numpy warnings).
    noisy = COURSE.replace("    m = X.shape[1]", "    m = X.shape[1]\n    np.log(-np.ones(1))  # RuntimeWarning")
    call = "from checker.graders import nbgrader_score\n\nnbgrader_score(backward_propagation, points=4)"
    cells = []
    for name, source in (("right", COURSE), ("missing", MISSING_ONE_OVER_M), ("noisy", noisy)):
        cells += [nbformat.v4.new_code_cell(source), _grade_cell(f"backprop_{name}", call)]
    notebook = _load_build().execute(nbformat.v4.new_notebook(cells=cells))
    grades = [determine_grade(cell) for cell in notebook.cells if "nbgrader" in cell.metadata]
    assert grades == [(4.0, 4), (3.0, 4), (4.0, 4)]
    printed = [
        "".join(o.get("text", "") for o in cell.outputs) for cell in notebook.cells if "nbgrader" in cell.metadata
    ]
    assert printed[0].startswith("PASS, all four gradients are right")
    assert "dW1: 0 of 1 points. dW1 wrong: 0 of 5 problems passed" in printed[1]
    assert "missing 1/m: off by a factor m" in printed[1]
    assert "while checking, your code wrote on stderr:" in printed[2] and "RuntimeWarning" in printed[2]
