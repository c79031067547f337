"""The checker on learner-style files of cs231n's two-layer net and the course's week 2, checked as a class.

The files (tests/corpus_cs231n/, tests/corpus_week2/, written by
tests/corpus_assignments.py; no learner's work copied) are right ones in
Python 2 and 3, notebooks, helper modules beside the file, np.matrix and
lists, and one file per mistake of the table (checker.mistakes).
EXPECTED (in tests/corpus_assignments.py) is the verdict a careful teacher
gives each file, the table row that must name its mistake, and words its
one-line message must contain. Here the files run as a class does, each in
its child process; tests/test_assignment_judge.py checks the same table in
this process, quickly.
"""

import contextlib
import io
import json
from pathlib import Path

import pytest

from checker import cli
from checker.assignments import recognise
from checker.mistakes import TABLE
from corpus_assignments import EXPECTED

HERE = Path(__file__).parent
FAST = ["--timeout", "5", "--memory", "1024", "--jobs", "2", "--show-output", "0"]

PROBLEM_OF = {"corpus_cs231n": "cs231n", "corpus_week2": "week2"}


# One seed for every run here: the drawn problems, and so their true gradients (a few compilations per drawn
# shape), are shared by the runs instead of drawn anew for each.
SEED = "20261206"


def run_cli(arguments):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main([*arguments, "--seed", SEED])
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
    assert named == {row.name for row in TABLE if row.problem in PROBLEM_OF.values()}


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
        ("def backward_propagation(parameters, cache, X, Y):\n    pass\n", "week3"),
        ("class TwoLayerNet:\n    def backward_propagation(self, parameters, cache, X, Y):\n        pass\n", "week3"),
        ("def something_else(x):\n    pass\n", "week3"),
    ],
)
def test_recognise_picks_by_what_the_file_defines(source, problem):
    found, why = recognise([source])
    assert found.name == problem, why


@pytest.mark.slow
def test_a_python2_file_writing_one_over_m_is_told_python3_divides():
    code, text = run_cli([str(HERE / "corpus_week2/02_python2.py"), *FAST])
    assert code == 0, text
    assert "note: this file reads as Python 2, where 1/m with an integer m is 0 (integer division)" in text
    _, text = run_cli([str(HERE / "corpus_week2/01_right.py"), *FAST])
    assert "integer division" not in text


HOSTILE = {
    "exits.py": ("import os\n\n\ndef propagate(w, b, X, Y):\n    os._exit(0)\n", "exited with status 0"),
    "sleeps.py": ("import time\n\n\ndef propagate(w, b, X, Y):\n    time.sleep(60)\n", "took longer than 2 s"),
    "raises_in_class.py": (
        "class TwoLayerNet:\n    def __init__(self, D, H, C):\n        raise SystemExit(3)\n\n"
        "    def loss(self, X, y=None, reg=0.0):\n        return X.sum()\n",
        "a float64 of shape () came back",
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_assignment_code_fails_with_a_clear_message(tmp_path, name):
    text, words = HOSTILE[name]
    (tmp_path / name).write_text(text)
    code, shown = run_cli([str(tmp_path / name), "--timeout", "1", "--memory", "1024", "--show-output", "0"])
    assert code == 1
    assert words in shown, shown
    if name == "raises_in_class.py":
        assert "note: TwoLayerNet(D, H, C) raised SystemExit: 3; built without __init__" in shown
