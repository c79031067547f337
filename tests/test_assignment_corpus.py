"""The checker on learner-style files of cs231n's two-layer net and the course's week 2, checked as a class.

The files (tests/corpus_cs231n/, tests/corpus_week2/, written by
tests/corpus_assignments.py; no learner's work copied) are right ones in
Python 2 and 3, notebooks, helper modules beside the file, np.matrix and
lists, and one file per mistake of the table (checker.assignment_mistakes).
EXPECTED is the verdict a careful teacher gives each file, the table row
that must name its mistake, and words its one-line message must contain.
"""

import contextlib
import io
import json
from pathlib import Path

import pytest

from checker import cli
from checker.assignment_mistakes import TABLE
from checker.assignments import recognise

HERE = Path(__file__).parent
FAST = ["--timeout", "5", "--memory", "1024", "--jobs", "2", "--show-output", "0"]

EXPECTED = {
    "corpus_cs231n": {
        "01_right_full.py": ("PASS", None, "all 6 results are right"),
        "02_other_year_half.py": (
            "FAIL",
            "other convention",
            "you follow the other year's regularisation convention consistently",
        ),
        "03_python2_right.py": ("PASS", None, "all 6 results are right"),
        "04_reg_gradient_factor.py": ("FAIL", "reg gradient factor", "the reg gradient is the other year's"),
        "05_reg_gradient_missing.py": ("FAIL", "reg gradient missing", "W1, W2: the reg gradient is missing"),
        "06_biases_regularised.py": ("FAIL", "biases regularised", "b1, b2, loss: biases regularised"),
        "07_bias_from_weight_grads.py": ("FAIL", "bias from weight gradient", "b1, b2: bias gradients summed from"),
        "08_bias_keepdims.py": ("FAIL", "bias keepdims", "b1, b2: biases' gradients of shape (1, n)"),
        "09_relu_mask_missing.py": ("FAIL", "relu mask missing", "W1, b1: the ReLU mask is missing"),
        "10_relu_by_clipping.py": ("FAIL", "relu by clipping", "W1, b1: the ReLU mask applied by clipping"),
        "11_dW2_before_relu.py": ("FAIL", "dW2 pre-ReLU", "W2: dW2 from the pre-ReLU activations"),
        "12_db1_without_1_over_N.py": ("FAIL", "db1 without 1/N", "b1: db1 without 1/N"),
        "13_class_count_from_labels.py": ("FAIL", "class count from labels", "the class count taken from the labels"),
        "14_class_count_hard_coded.py": ("FAIL", "class count hard-coded", "the class count hard-coded (10)"),
        "15_notebook_python2.ipynb": ("PASS", None, "all 6 results are right"),
        "16_notebook_relu_mask_missing.ipynb": ("FAIL", "relu mask missing", "the ReLU mask is missing"),
        "18_np_matrix.py": ("PASS", None, "all 6 results are right"),
        "19_lists_returned.py": ("PASS", None, "all 6 results are right"),
        "20_calls_self_methods.py": ("PASS", None, "all 6 results are right"),
        "21_no_regularisation.py": ("FAIL", "no regularisation", "W1, W2, loss: no regularisation at all"),
        "with_helpers/17_helper_module.py": ("PASS", None, "all 6 results are right"),
        "with_helpers/layer_utils.py": ("FAIL", None, "defines no class with a loss method"),
    },
    "corpus_week2": {
        "01_right.py": ("PASS", None, "all 3 results are right"),
        "02_python2.py": ("PASS", None, "all 3 results are right"),
        "03_dw_without_1_over_m.py": ("FAIL", "dw without 1/m", "dw: dw without 1/m"),
        "04_db_without_1_over_m.py": ("FAIL", "db without 1/m", "db: db without 1/m"),
        "05_cost_sign.py": ("FAIL", "cost sign", "cost: the cost's sign is flipped"),
        "06_cost_not_reduced.py": ("FAIL", "cost not scalar", "shape (1, 1) where () belongs"),
        "07_db_shape.py": ("FAIL", "db shape", "db: db of shape (1, 1) where a scalar belongs"),
        "08_three_values.py": ("FAIL", "three values returned", "yours returned 3"),
        "09_assert_copied_wrong.py": (
            "FAIL",
            "assert copied wrong",
            "where your dw, db, cost are right: the assert is copied wrong",
        ),
        "10_notebook.ipynb": ("PASS", None, "all 3 results are right"),
        "12_cost_per_example.py": ("FAIL", "cost not scalar", "the cost is not reduced to a scalar"),
        "13_notebook_python2_cost_sign.ipynb": ("FAIL", "cost sign", "the cost's sign is flipped"),
        "with_helpers/11_helper_sigmod.py": ("PASS", None, "all 3 results are right"),
        "with_helpers/sigmod.py": ("FAIL", None, "defines no function propagate"),
    },
}
PROBLEM_OF = {"corpus_cs231n": "cs231n", "corpus_week2": "week2"}


def run_cli(arguments):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(arguments)
    return code, out.getvalue()


@pytest.fixture(scope="module", params=sorted(EXPECTED))
def checked(request, tmp_path_factory):
    folder = request.param
    report = tmp_path_factory.mktemp("report") / "class.json"
    code, _ = run_cli([str(HERE / folder), "--problem", PROBLEM_OF[folder], "--json", str(report), *FAST])
    files = {
        Path(entry["file"]).relative_to(HERE / folder).as_posix(): entry
        for entry in json.loads(report.read_text())["files"]
    }
    return folder, code, files


@pytest.mark.slow
def test_every_verdict_and_named_mistake_is_right(checked):
    folder, code, files = checked
    assert set(files) == set(EXPECTED[folder])
    assert code == 1  # some files fail
    for name, (verdict, _, words) in EXPECTED[folder].items():
        assert files[name]["verdict"] == verdict, (name, files[name]["message"])
        assert words in files[name]["message"], (name, files[name]["message"])


def test_every_mistake_of_the_table_has_a_file_that_makes_it():
    named = {row for table in EXPECTED.values() for _, row, _ in table.values() if row}
    assert named == {row.name for row in TABLE}


@pytest.mark.slow
def test_the_other_years_convention_passes_when_asked_for():
    code, text = run_cli([str(HERE / "corpus_cs231n/02_other_year_half.py"), "--reg-convention", "half", *FAST])
    assert code == 0, text
    assert "regularisation half (--reg-convention half)" in text
    code, text = run_cli([str(HERE / "corpus_cs231n/01_right_full.py"), "--reg-convention", "half", *FAST])
    assert code == 1
    assert "you follow the other year's regularisation convention consistently: reg * ΣW²" in text


@pytest.mark.slow
def test_the_problem_is_recognised_and_the_pick_stated():
    code, text = run_cli([str(HERE / "corpus_week2/01_right.py"), *FAST])
    assert code == 0, text
    assert (
        "problem week2 (the course's week 2, propagate (logistic regression)), picked: the file defines propagate"
        in text
    )


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("class TwoLayerNet(object):\n    def loss(self, X, y=None, reg=0.0):\n        pass\n", "cs231n"),
        ("def propagate(w, b, X, Y):\n    pass\n", "week2"),
        ("def backward_propagation(parameters, cache, X, Y):\n    pass\n", None),
        ("class TwoLayerNet:\n    def backward_propagation(self, parameters, cache, X, Y):\n        pass\n", None),
        ("def something_else(x):\n    pass\n", None),
    ],
)
def test_recognise_picks_by_what_the_file_defines(source, problem):
    found, why = recognise([source])
    assert (found.name if found else None) == problem, why
