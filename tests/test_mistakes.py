"""The known mistakes are one table: the searches read it, the docs' lists are made from it, diagnoses are values.

A diagnosis carries its kind, and a report's one-line headline ranks diagnoses by kind alone: a text that
happens to contain another kind's words does not move.
"""

from pathlib import Path

import pytest

from checker import check_backprop, diagnose, mistakes
from checker.mistakes import KINDS, TABLE, Diagnosis, first, markdown, regenerate, rows_of

DOCS = Path(__file__).parent.parent / "docs" / "checker.md"
KNOWN_KINDS = {
    "week3": {"dZ2", "slope", "build", "shape", "scale", "swap", "weight", "told", "raised"},
    "cs231n": {"value", "shape", "draws", "told"},
    "week2": {"value", "shape", "returns", "raises", "told"},
}


def test_the_docs_mistake_lists_are_the_table():
    page = DOCS.read_text(encoding="utf-8")
    assert regenerate(page) == page, "run: python -m checker.mistakes docs/checker.md"
    for problem in mistakes.PROBLEM_NAMES:
        assert markdown(problem) in page
        assert len(markdown(problem).splitlines()) == 2 + len(rows_of(problem))


@pytest.mark.parametrize("problem", mistakes.PROBLEM_NAMES)
def test_every_row_is_of_a_kind_its_search_reads_and_names_are_unique(problem):
    rows = rows_of(problem)
    assert rows and {row.kind for row in rows} <= KNOWN_KINDS[problem]
    assert len({row.name for row in rows}) == len(rows)
    for row in rows:
        needs_compute = (
            row.kind not in ("swap", "told", "raised", "raises") and row.name != "an unexplained constant factor"
        )
        assert (row.compute is not None) == needs_compute, row.name


def test_the_week3_search_builds_its_pieces_from_the_table():
    texts = {slip.text for key in diagnose.KEYS for slip, _ in diagnose.builders(key) if slip is not None}
    for row in rows_of("week3", "build"):
        layers = "12" if row.gradient == "db" else row.gradient[-1]
        assert {row.fill(**mistakes.sum_words(layer)) for layer in layers} <= texts, row.name
    assert [slip.text for slip, _ in diagnose.SHAPE_OPS[1:]] == [row.text for row in rows_of("week3", "shape")]
    slopes = {slip.text for slip, _ in diagnose.slope_slips("tanh")}
    assert len(slopes) == len([row for row in rows_of("week3", "slope") if row.applies("tanh", "sigmoid")])


def test_a_diagnosis_is_a_value_ranked_by_its_kind_not_its_words():
    where = Diagnosis("where to look (dW1 wrong): the line dW1 = ...", "where", ("dW1",), frozenset({"dW1"}))
    misleading = Diagnosis("no known mistake matches, though this text says where to look", "unknown", ("db1",))
    named = Diagnosis("db2: keepdims missing", "mistake", ("db2",))
    assert (where.kind, where.gradients, where.lines) == ("where", ("dW1",), frozenset({"dW1"}))
    assert first([misleading, named, where]) is where
    assert first([misleading, named]) is named
    assert [first([a, b]).kind for a, b in [(named, misleading), (misleading, named)]] == ["mistake", "mistake"]
    with pytest.raises(ValueError, match="unknown diagnosis kind"):
        Diagnosis("text", "no such kind")
    assert KINDS[0] == "conduct"


def test_a_report_s_diagnoses_carry_their_kind_and_gradients():
    source = (DOCS.parent.parent / "tests" / "fixtures" / "course_backprop.py").read_text()
    namespace: dict = {}
    exec(
        compile(source.replace("dW1 = (1 / m) * np.dot(dZ1, X.T)", "dW1 = np.dot(dZ1, X.T)"), "slip.py", "exec"),
        namespace,
    )
    report = check_backprop(namespace["backward_propagation"])
    [diagnosis] = report.diagnoses
    assert isinstance(diagnosis, Diagnosis)
    assert (diagnosis.kind, diagnosis.gradients) == ("mistake", ("dW1",))
    assert report.headline == diagnosis


def test_every_row_belongs_to_a_known_problem():
    assert {row.problem for row in TABLE} == {*mistakes.PROBLEM_NAMES, mistakes.EVERY_PROBLEM}
