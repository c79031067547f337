"""The assignments' judge in this process: every corpus file's verdict and named mistake, and the shape rule.

The corpus files (ours, trusted) are loaded here by checker.assignment_run.load_in_process, read as the
child reads them (notebook cells, Python 2 prints and names, helpers beside the file), and checked by
check_in_process: the same draws, truth, judge and mistake table as the command, without a child process.
"""

from pathlib import Path

import numpy as np
import pytest

from checker.assignment_check import Value, shape_ok
from checker.assignment_run import check_in_process, load_in_process
from checker.assignments import CS231N, PROBLEMS, WEEK2, draws, instances
from corpus_assignments import EXPECTED
from manual import logistic_propagate, two_layer_net

HERE = Path(__file__).parent
PROBLEM_OF = {"corpus_cs231n": "cs231n", "corpus_week2": "week2"}
FILES = [(folder, name) for folder, table in EXPECTED.items() for name in table]


# None: the fixed draws; the others: draws of the same design from a seed, as the command draws them each run.
SEEDS = (None, 2024)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("folder", "name"), FILES, ids=[f"{f}/{n}" for f, n in FILES])
def test_corpus_file_verdict_and_mistake_in_process(folder, name, seed):
    verdict, _, words = EXPECTED[folder][name]
    problem = PROBLEMS[PROBLEM_OF[folder]]
    try:
        found = load_in_process(str(HERE / folder / name), problem)
    except LookupError as e:  # a helper module: not a file of the problem
        assert verdict == "FAIL" and words in str(e)
        return
    report = check_in_process(found, problem, seed=seed)
    assert report.passed == (verdict == "PASS"), str(report)
    assert words in report.headline, str(report)


def test_the_other_convention_is_right_under_its_own_flag():
    found = load_in_process(str(HERE / "corpus_cs231n/02_other_year_half.py"), CS231N)
    assert check_in_process(found, CS231N, convention="half").passed


class ManualNet:
    """cs231n's class around manual's hand-derived formulas (jax arrays come back: read by value)."""

    def __init__(self, input_size, hidden_size, output_size):
        self.params = {}

    def loss(self, X, y=None, reg=0.0):
        if y is None:
            return np.asarray(two_layer_net.two_layer_forward(self.params, X)["S"])
        loss, grads = two_layer_net.two_layer_loss(self.params, X, y, reg, "full")
        return float(loss), {k: np.asarray(v) for k, v in grads.items()}


def test_manual_formulas_pass_the_checker():
    assert check_in_process(ManualNet, CS231N).passed
    assert check_in_process(lambda w, b, X, Y: logistic_propagate.propagate(w, b, X, Y), WEEK2).passed


@pytest.mark.parametrize(
    ("array", "was", "expected", "ok"),
    [
        (np.zeros(3), "ndarray", (3,), True),
        (np.zeros((1, 3)), "ndarray", (3,), False),  # the keepdims mistake
        (np.zeros((1, 3)), "np.matrix", (3,), True),  # np.matrix is always 2-D
        (np.zeros((3, 1)), "np.matrix", (3,), False),
        (np.zeros(()), "float", (), True),
        (np.zeros((1, 1)), "ndarray", (), False),  # db (1, 1) where a scalar belongs
        (np.zeros((2, 3)), "list", (2, 3), True),
    ],
)
def test_shape_rule(array, was, expected, ok):
    assert shape_ok(Value(array, was), expected) == ok


def test_draws_leave_classes_out_and_vary_C():
    draws = instances(CS231N)
    classes = [set(instance.inputs["y"].tolist()) for instance in draws]
    sizes = [instance.draw.sizes for instance in draws]
    assert sorted({C for *_, C in sizes}) == [3, 4, 5, 10]
    for instance, present in zip(draws, classes, strict=True):
        C = instance.draw.sizes[3]
        missing = set(range(C)) - present
        assert missing == ({instance.draw.left_out} if instance.draw.left_out is not None else set())
        assert len(set(instance.draw.sizes)) == 4  # N, D, H, C all differ
    assert all(instance.truth["W1"].dtype == np.float64 for instance in draws)


@pytest.mark.parametrize("seed", [0, 1, 7, 2024, 2**31 - 1])
def test_seeded_draws_keep_the_design(seed):
    cs231n = draws("cs231n", seed)
    assert draws("cs231n", seed) == cs231n  # the seed reproduces them
    assert cs231n != draws("cs231n", seed + 1)
    assert [draw.sizes[3] == 10 for draw in cs231n] == [False, True, False, False]
    assert [draw.left_out for draw in cs231n][:2] == [None, None]
    N3, C3, C4 = cs231n[2].sizes[0], cs231n[2].sizes[3], cs231n[3].sizes[3]
    assert 0 < cs231n[2].left_out < C3 - 1 and cs231n[3].left_out == C4 - 1 and N3 > C3
    assert len({draw.reg for draw in cs231n}) == 4 and len({draw.sizes[3] for draw in cs231n}) == 4
    assert all(len(set(draw.sizes)) == 4 for draw in cs231n)  # N, D, H, C all differ
    week2 = draws("week2", seed)
    assert all(n_x != m for n_x, m in (draw.sizes for draw in week2))
    assert len({m for _, m in (draw.sizes for draw in week2)}) == 4
    for instance in instances(CS231N, seed):  # every class but the left-out one is in y
        C, present = instance.draw.sizes[3], set(instance.inputs["y"].tolist())
        assert set(range(C)) - present == ({instance.draw.left_out} if instance.draw.left_out is not None else set())


def test_week2_b_is_a_python_float_and_truth_shapes_are_the_courses():
    for instance in instances(WEEK2):
        n_x, _ = instance.draw.sizes
        assert isinstance(instance.inputs["b"], float)
        assert instance.truth["dw"].shape == (n_x, 1)
        assert instance.truth["db"].shape == instance.truth["cost"].shape == ()
