"""checker: a right course backprop passes on every activation, and each planted mistake is named or located.

Mistakes are planted the way a course user makes them: one line of the
course's own numpy backprop (tests/fixtures/course_backprop.py) replaced.
"""

import re
from pathlib import Path

import numpy as np
import pytest

from checker import check_backprop, check_grads, diagnose
from checker.files import load_function
from checker.problems import DEFAULT_CASES, make_problem
from checker.report import TOLERANCES

FIXTURES = Path(__file__).parent / "fixtures"
COURSE = (FIXTURES / "course_backprop.py").read_text()

DZ2 = "dZ2 = A2 - Y"
DW2 = "dW2 = (1 / m) * np.dot(dZ2, A1.T)"
DB2 = "db2 = (1 / m) * np.sum(dZ2, axis=1, keepdims=True)"
DZ1 = "dZ1 = np.multiply(np.dot(W2.T, dZ2), 1 - np.power(A1, 2))"
DW1 = "dW1 = (1 / m) * np.dot(dZ1, X.T)"
DB1 = "db1 = (1 / m) * np.sum(dZ1, axis=1, keepdims=True)"
GRADS = '"dW1": dW1,\n             "db1": db1,\n             "dW2": dW2,\n             "db2": db2}'
SLOPE = "1 - np.power(A1, 2)"

# The derivative a course user writes for each hidden activation (course_backprop.py has tanh's).
RIGHT_SLOPES = {
    "tanh": SLOPE,
    "sigmoid": "A1 * (1 - A1)",
    "relu": '(cache["Z1"] >= 0)',
    "leaky_relu:0.2": 'np.where(cache["Z1"] >= 0, 1, 0.2)',
    "identity": "1",
}


def course_function(source=COURSE, name="backward_propagation"):
    namespace = {}
    exec(compile(source, "planted.py", "exec"), namespace)
    return namespace[name]


def planted(old, new, name="backward_propagation"):
    """The course's backprop with one piece of text replaced (the planted mistake)."""
    assert COURSE.count(old) == 1, old
    return course_function(COURSE.replace(old, new), name)


# (id, line replaced, its replacement, gradients that must fail, words the diagnosis must contain)
PLANTED = [
    ("missing 1/m", DW1, "dW1 = np.dot(dZ1, X.T)", {"dW1"}, "missing 1/m"),
    ("1/m twice", DW2, "dW2 = (1 / m) * np.dot(dZ2, A1.T) / m", {"dW2"}, "1/m applied twice"),
    ("keepdims missing", DB1, "db1 = (1 / m) * np.sum(dZ1, axis=1)", {"db1"}, "keepdims missing"),
    ("sum over axis 0", DB2, "db2 = (1 / m) * np.sum(dZ2, axis=0, keepdims=True)", {"db2"}, "sum over the wrong axis"),
    ("sum over everything", DB1, "db1 = (1 / m) * np.sum(dZ1)", {"db1"}, "np.sum(dZ1) without axis=1"),
    ("no sum at all", DB2, "db2 = dZ2 / m", {"db2"}, "the sum over the examples is missing"),
    ("transposed", DW1, "dW1 = (1 / m) * np.dot(X, dZ1.T)", {"dW1"}, "transposed"),
    ("sign flipped", DW2, "dW2 = -(1 / m) * np.dot(dZ2, A1.T)", {"dW2"}, "sign flipped"),
    ("sign flipped in dZ2", DZ2, "dZ2 = Y - A2", {"dW1", "db1", "dW2", "db2"}, "dZ2 = Y - A2 instead of A2 - Y"),
    (
        "1 - Z1**2",
        DZ1,
        'dZ1 = np.multiply(np.dot(W2.T, dZ2), 1 - np.power(cache["Z1"], 2))',
        {"dW1", "db1"},
        "dW1, db1: activation derivative written 1 - Z1**2",
    ),
    (
        "sigmoid' for tanh",
        SLOPE,
        "A1 * (1 - A1)",
        {"dW1", "db1"},
        "sigmoid's derivative A1 * (1 - A1) used for the tanh hidden layer",
    ),
    ("derivative omitted", DZ1, "dZ1 = np.dot(W2.T, dZ2)", {"dW1", "db1"}, "activation derivative omitted"),
    (
        "derivative from A2",
        SLOPE,
        "1 - np.power(A2, 2)",
        {"dW1", "db1", "dW2", "db2"},
        "activation derivative taken from the output layer's A2",
    ),
    (
        "dZ2 from A1",
        DZ2,
        "dZ2 = A1 - Y",
        {"dW1", "db1", "dW2", "db2"},
        "dZ2 = A1 - Y: the hidden layer's activation A1 where the output's A2 belongs",
    ),
    ("dZ2 from Z2", DZ2, 'dZ2 = cache["Z2"] - Y', {"dW1", "db1", "dW2", "db2"}, "dZ2 = Z2 - Y"),
    ("X in dW2", DW2, "dW2 = (1 / m) * np.dot(dZ2, X.T)", {"dW2"}, "the input X where the hidden activation A1"),
    ("A1 in dW1", DW1, "dW1 = (1 / m) * np.dot(dZ1, A1.T)", {"dW1"}, "the hidden activation A1 where the input X"),
    (
        "swapped layers",
        GRADS,
        '"dW1": dW2,\n             "db1": db2,\n             "dW2": dW1,\n             "db2": db1}',
        {"dW1", "db1", "dW2", "db2"},
        "dW1: gradients swapped between layers: dW1 holds the formula of dW2",
    ),
    (
        "np.dot for *",
        DZ1,
        "dZ1 = np.dot(np.dot(W2.T, dZ2), 1 - np.power(A1, 2))",
        {"dW1", "db1", "dW2", "db2"},
        "matrix product (np.dot) of two (n_h, m) arrays: the element-wise product (* or np.multiply) belongs",
    ),
    (
        "@ for *",
        DZ1,
        "dZ1 = (W2.T @ dZ2) @ (1 - A1 ** 2)",
        {"dW1", "db1", "dW2", "db2"},
        "several explanations fit: the element-wise product (*) belongs there",
    ),
    (
        "* for np.dot",
        DW2,
        "dW2 = (1 / m) * dZ2 * A1.T",
        {"dW1", "db1", "dW2", "db2"},
        "shapes that chain as a matrix product: np.dot belongs there",
    ),
    (
        "* for np.dot, no sum",
        DW2,
        "dW2 = (1 / m) * dZ2 * A1",
        {"dW1", "db1", "dW2", "db2"},
        "dW2: element-wise product where the matrix product belongs",
    ),
    (
        "two slips",
        DB1,
        "db1 = np.sum(dZ1, axis=1)",
        {"db1"},
        "keepdims missing: shape (n,) where (n, 1) belongs; add keepdims=True to np.sum; and missing 1/m",
    ),
]


@pytest.mark.parametrize("old, new, failing, words", [case[1:] for case in PLANTED], ids=[case[0] for case in PLANTED])
def test_planted_mistake_is_named(old, new, failing, words):
    report = check_backprop(planted(old, new))
    assert {row.name for row in report.rows if not row.passed} == failing
    assert not report.passed
    assert words in "\n".join(report.diagnoses)
    assert words in str(report)


@pytest.mark.parametrize("activation, output", [(h, "sigmoid") for h in RIGHT_SLOPES] + [("tanh", "identity")])
def test_right_backprop_passes_with_no_diagnosis(activation, output):
    report = check_backprop(planted(SLOPE, RIGHT_SLOPES[activation]), activation, output)
    assert report.passed, str(report)
    assert report.diagnoses == [] and report.problems == []
    assert report.dtype_out == "float64"
    for row in report.rows:
        assert row.rel_autodiff < 1e-12 and row.course_difference < 2e-7
    assert "result: PASS" in str(report)


def test_grads_form_passes():
    assert check_grads(course_function(name="grads")).passed


def test_truth_built_from_intermediates_equals_autodiff_and_finite_differences():
    # The "wrong" gradients are built from these intermediates: with no slip they must be the truth.
    for case in DEFAULT_CASES:
        problem = make_problem(case, "tanh", "sigmoid")
        for key in ("dW1", "db1", "dW2", "db2"):
            dZ = problem.dZ1 if key.endswith("1") else problem.dZ2
            built = diagnose.builders(key)[0][1](dZ, problem)
            assert built.dtype == np.float64
            np.testing.assert_allclose(built, problem.truth[key], rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(built, problem.fd[key], rtol=1e-6, atol=1e-8)


def test_problems_leave_no_room_for_a_mistake_to_hide():
    sizes = [(case.n_x, case.n_h, case.n_y, case.m) for case in DEFAULT_CASES]
    assert all(len(set(size)) == 4 and size[3] > 1 for size in sizes)
    assert len({size[3] for size in sizes}) == len(sizes)
    assert {size[2] == 1 for size in sizes} == {True, False}
    for case in DEFAULT_CASES:
        problem = make_problem(case, "tanh", "sigmoid")
        # Out of tanh's linear region: 1 - Z1**2 and 1 - A1**2 differ by O(1), not 5e-6.
        assert np.abs(problem.Z1**2 - problem.A1**2).max() > 0.5


def test_several_explanations_are_all_listed():
    # With an identity hidden layer A1 = Z1, so the course's 1 - A1**2 is both slips at once.
    report = check_backprop(course_function(), activation="identity")
    text = "\n".join(report.diagnoses)
    assert "dW1, db1: several explanations fit: (1) activation derivative written 1 - Z1**2" in text
    assert "(2) tanh's derivative 1 - A1**2 used for the identity hidden layer" in text


@pytest.mark.parametrize(
    "activation, slope, words",
    [
        (
            "sigmoid",
            SLOPE,
            "tanh's derivative 1 - A1**2 used for the sigmoid hidden layer; sigmoid'(Z1) = A1 * (1 - A1)",
        ),
        ("relu", "1", "activation derivative omitted: dZ1 = np.dot(W2.T, dZ2) needs the factor relu'(Z1) = (Z1 >= 0)"),
        ("leaky_relu:0.2", '(cache["Z1"] >= 0)', "ReLU's derivative (Z1 >= 0) used for leaky_relu"),
    ],
)
def test_wrong_derivative_is_named_for_other_activations(activation, slope, words):
    report = check_backprop(planted(SLOPE, slope), activation)
    assert words in "\n".join(report.diagnoses)


def test_no_known_mistake_matches_gives_the_numbers():
    report = check_backprop(planted(DW1, "dW1 = (1 / m) * np.dot(dZ1, X.T) + 0.1"))
    row = report.row("dW1")
    assert row.diagnosis == [
        f"no known mistake matches (relative error {row.rel_autodiff:.2e} vs autodiff, "
        f"{row.rel_fd:.2e} vs finite differences)"
    ]


def test_a_factor_no_mistake_explains_is_reported_as_such():
    report = check_backprop(planted(DW1, "dW1 = 2 * (1 / m) * np.dot(dZ1, X.T)"))
    assert report.row("dW1").diagnosis == [
        "off by a constant factor 2 on every problem; no known mistake gives that factor"
    ]


def test_all_zeros_is_told():
    report = check_backprop(planted(DB2, "db2 = np.zeros((W2.shape[0], 1))"))
    assert report.row("db2").diagnosis == ["db2 is all zeros: is its formula written yet?"]


def test_a_slip_must_explain_every_problem():
    # Off by m on the first problem only: "missing 1/m" explains one problem, not all.
    report = check_backprop(planted(DW1, "dW1 = np.dot(dZ1, X.T) / (1 if m == 7 else m)"))
    assert report.row("dW1").diagnosis[0].startswith("no known mistake matches")


def test_code_for_one_output_unit_is_told_and_passes_on_those_problems():
    one_output_only = planted(DZ1, "dZ1 = np.multiply(W2.T * dZ2, 1 - np.power(A1, 2))")
    report = check_backprop(one_output_only)
    assert not report.passed
    assert "your code runs only with one output unit (n_y = 1)" in "\n".join(report.diagnoses)
    assert "right on problems 1, 2, 4" in "\n".join(report.diagnoses)
    assert check_backprop(one_output_only, one_output=True).passed


def test_float32_code_passes_with_float32_tolerance_printed():
    report = check_backprop(course_function(name="backward_propagation_float32"))
    assert report.passed, str(report)
    assert report.dtype_out == "float32" and report.tolerance == TOLERANCES["float32"]
    assert "your gradients are float32 (inputs float64): pass when error <= 2e-06 of the gradient's scale" in str(
        report
    )


def test_float32_code_mistake_is_named():
    report = check_backprop(planted(DW1, "dW1 = np.dot(dZ1, X.T)", name="backward_propagation_float32"))
    assert report.row("dW1").diagnosis == ["missing 1/m: off by a factor m (the number of examples); divide by m once"]


def test_float32_code_that_raises_is_explained_without_round_off_noise():
    report = check_backprop(planted(DZ2, "dZ2 = A1 - Y", name="backward_propagation_float32"))
    assert report.diagnoses == [
        "raised: matrix product of (n_h, 1) and (n_h, m): the inner sizes differ; check the .T",
        "raised: dZ2 = A1 - Y: the hidden layer's activation A1 where the output's A2 belongs (dZ2 = A2 - Y)",
        "raised: an element-wise operation on (n_h, m) and (n_y, m), shapes that do not match",
    ]


def test_float32_inputs():
    report = check_backprop(course_function(), dtype="float32")
    assert report.passed and report.dtype_in == "float32"


BAD = [
    ("reads_a_missing_cache_key", "raised KeyError: 'A0'"),
    ("misnamed_keys", "the returned dict has no key 'dW1' (found 'dw1')"),
    ("returns_lists", "dW1 is a list, not a numpy array"),
    ("returns_integers", "dW1 has dtype int64; a gradient is a floating-point array"),
    ("returns_nan", "db1 contains NaN (5 of 5 entries) (every problem)"),
    ("returns_grads_and_cost", "returned a tuple, not a dict with keys dW1 db1 dW2 db2; return the grads dict alone"),
    ("forgets_to_return", "returned a NoneType, not a dict"),
]


@pytest.mark.parametrize("name, words", BAD, ids=[b[0] for b in BAD])
def test_bad_output_is_reported_clearly(name, words):
    fn, _ = load_function(FIXTURES / "bad_backprops.py", name)
    report = check_backprop(fn)
    assert not report.passed
    assert any(words in line for line in report.problems), report.problems
    assert words in str(report)


def test_user_traceback_is_shown_and_labelled():
    fn, _ = load_function(FIXTURES / "bad_backprops.py", "reads_a_missing_cache_key")
    text = str(check_backprop(fn))
    assert "--- traceback from your code (reads_a_missing_cache_key, problem n_x=3 n_h=5 n_y=1 m=7) ---" in text
    assert 'A0 = cache["A0"]' in text and "call.py" not in text and 'File "<' not in text
    assert "raised: your code looks up 'A0'; the cache holds Z1 A1 Z2 A2, the parameters W1 b1 W2 b2" in text


def test_user_code_cannot_change_the_truth():
    fn, _ = load_function(FIXTURES / "bad_backprops.py", "changes_its_inputs")
    assert check_backprop(fn).passed
    assert check_backprop(fn).passed
    assert check_backprop(course_function()).passed


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"activation": "softplus"}, "unknown activation"),
        ({"output": "softmax"}, "unknown output"),
        ({"dtype": "int32"}, "dtype must be one of"),
    ],
)
def test_bad_arguments_raise_one_line(kwargs, words):
    with pytest.raises(ValueError, match=words):
        check_backprop(course_function(), **kwargs)


def test_not_a_function_is_refused():
    with pytest.raises(ValueError, match="expected a function, got int"):
        check_backprop(3)


def test_docstring_example_runs():
    import doctest

    import checker.check

    assert doctest.testmod(checker.check).attempted > 0
    assert doctest.testmod(checker.check).failed == 0


# Slips seen in real learners' code, beyond the list above.
REAL_SLIPS = [
    (
        "dW2 where W2 belongs",
        DZ1,
        "dZ1 = np.multiply(np.dot(dW2.T, dZ2), 1 - np.power(A1, 2))",
        {"dW1", "db1"},
        "dW1, db1: dZ1 = np.dot(dW2.T, dZ2) * g'(Z1): the gradient dW2 where the parameter W2 belongs",
    ),
    (
        "db2 summed from dW2",
        DB2,
        "db2 = np.sum(dW2, axis=1, keepdims=True)",
        {"db2"},
        "db2: db2 summed from the weight gradient dW2 (np.sum(dW2, axis=1, keepdims=True))",
    ),
    (
        "db1 summed from dW1",
        DB1,
        "db1 = np.sum(dW1)",
        {"db1"},
        "db1: db1 summed from the weight gradient dW1 (np.sum(dW1) adds up everything)",
    ),
]


@pytest.mark.parametrize(
    "old, new, failing, words", [case[1:] for case in REAL_SLIPS], ids=[case[0] for case in REAL_SLIPS]
)
def test_slips_from_real_code_are_named(old, new, failing, words):
    report = check_backprop(planted(old, new))
    assert {row.name for row in report.rows if not row.passed} == failing
    assert words in "\n".join(report.diagnoses)


@pytest.mark.parametrize(
    "slope, words",
    [
        (
            "1 / A1",
            "your dZ1 line computes np.dot(W2.T, dZ2) * (1/A1): the activation derivative is written 1/A1; "
            "tanh'(Z1) = 1 - A1**2",
        ),
        ("(1 + A1 ** 2)", "np.dot(W2.T, dZ2) * (1 + A1**2)"),
        ("np.exp(-cache['Z1'])", "np.dot(W2.T, dZ2) * (np.exp(-Z1))"),
    ],
)
def test_a_wrong_derivative_no_slip_names_is_read_from_the_probe(slope, words):
    report = check_backprop(planted(SLOPE, slope))
    assert report.failing == ["dW1", "db1"]
    text = "\n".join(report.diagnoses)
    assert (
        "where to look (dW1 and db1 wrong, dW2 and db2 right): the line dZ1 = np.dot(W2.T, dZ2) * (1 - A1**2)"
        " (its factor np.dot(W2.T, dZ2), or g'(Z1))" in text
    )
    assert words in text and "the other problems do not all agree" not in text
    assert report.headline.startswith("your dZ1 line computes")


def test_a_derivative_that_is_no_simple_expression_is_shown_at_one_point():
    report = check_backprop(planted(SLOPE, "(1 - np.abs(A1))"))
    implied = [line for line in report.diagnoses if line.startswith("your dZ1 line")]
    [line] = implied
    assert "no simple expression in A1 or Z1: where Z1 = " in line and "tanh'(Z1) = " in line
    # The number shown is the code's own derivative at that point: 1 - |tanh(Z1)|.
    z1, factor = (
        float(x)
        for x in re.findall(
            r"where Z1 = ([-\d.e]+), np.dot\(W2.T, dZ2\) is multiplied by "
            r"([-\d.e]+)",
            line,
        )[0]
    )
    assert factor == pytest.approx(1 - abs(np.tanh(z1)), rel=1e-2)


def test_a_wrong_factor_before_a_right_derivative_is_told_apart():
    report = check_backprop(planted(DZ1, "dZ1 = np.multiply(np.dot(W2.T + 0.3, dZ2), 1 - np.power(A1, 2))"))
    assert "your dZ1 line has g'(Z1) right but multiplies dZ2 by something other than W2.T" in "\n".join(
        report.diagnoses
    )


@pytest.mark.parametrize(
    "old, new, words",
    [
        (
            DB2,
            "db2 = (1 / m) * np.sum(dZ2 * A2, axis=1, keepdims=True)",
            "where to look (db2 wrong, dW1, db1 and dW2 right): the line db2 = np.sum(dZ2, axis=1, keepdims=True) / m",
        ),
        (
            DW1,
            "dW1 = (1 / m) * np.dot(dZ1, X.T) + 0.1",
            "where to look (dW1 wrong, db1, dW2 and db2 right): the line dW1 = np.dot(dZ1, X.T) / m",
        ),
        (
            DZ2,
            "dZ2 = A2 - Y + 0.05 * A2 ** 3",
            "where to look (dW1, db1, dW2 and db2 wrong, all four wrong): the line dZ2 = A2 - Y, which all four "
            "gradients use",
        ),
    ],
)
def test_a_mistake_no_slip_names_is_located_from_which_gradients_are_right(old, new, words):
    report = check_backprop(planted(old, new))
    assert words in report.diagnoses


@pytest.mark.parametrize(
    "right, known, unknown, fits",
    [
        ({"dW2", "db2"}, {}, {"dW1", "db1"}, [("dZ1",)]),
        ({"db1", "dW2", "db2"}, {}, {"dW1"}, [("dW1",)]),
        ({"dW1", "db1", "dW2"}, {}, {"db2"}, [("db2",)]),
        (set(), {}, {"dW1", "db1", "dW2", "db2"}, [("dZ2",)]),
        ({"db2"}, {}, {"dW2", "dW1", "db1"}, [("dW2", "dZ1")]),
        # db1's slip is its own line (keepdims), so dZ1 is right and dW1's mistake is in its own line.
        ({"dW2", "db2"}, {"db1": frozenset({"db1"})}, {"dW1"}, [("dW1",)]),
        # Both layer-1 gradients wrong and nothing right: dZ2 alone explains all.
        ({"dW1", "db1"}, {}, {"dW2", "db2"}, [("dW2", "db2")]),
    ],
)
def test_wrong_lines_are_the_fewest_that_explain_the_pattern(right, known, unknown, fits):
    assert diagnose.wrong_lines(right, known, unknown) == fits


def test_the_probe_makes_dZ1_visible():
    # X with orthonormal columns: dW1 = dZ1 Xᵀ / m can be undone, dZ1 = m dW1 X / s².
    [probe] = [make_problem(case, "tanh", "sigmoid") for case in DEFAULT_CASES if case.probe]
    np.testing.assert_allclose(probe.X.T @ probe.X, diagnose.PROBE_SCALE**2 * np.eye(probe.m), atol=1e-12)
    recovered = diagnose.probe_dZ1(probe, probe.truth["dW1"], 1e-9)
    np.testing.assert_allclose(recovered, probe.dZ1, rtol=1e-9, atol=1e-12)
    assert diagnose.probe_dZ1(probe, probe.dZ1 @ probe.A1.T[:, : probe.n_x] + 1.0, 1e-9) is None


def test_keys_in_the_wrong_case_with_right_values_are_told_so():
    report = check_backprop(
        planted(GRADS, '"dw1": dW1,\n             "db1": db1,\n             "dW2": dW2,\n             "db2": db2}')
    )
    assert report.failing == ["dW1"]
    assert "dW1: your 'dw1' holds the right dW1: the key must be 'dW1' (keys are case-sensitive)" in report.diagnoses
    assert any("the returned dict has no key 'dW1' (found 'dw1')" in line for line in report.problems)


def test_arguments_named_as_the_course_in_another_order_are_passed_by_name():
    def backward(cache, Y, X, params):
        return course_function()(params, cache, X, Y)

    report = check_backprop(backward)
    assert report.passed, str(report)
    assert report.notes == ["arguments bound by name: backward(cache, Y, X, params)"]


def test_a_function_with_the_wrong_number_of_arguments_is_refused():
    with pytest.raises(
        ValueError,
        match=r"backward\(parameters, cache\) takes 2 arguments; the backward form "
        r"passes 4",
    ):
        check_backprop(lambda parameters, cache: {}, name="backward")


# The result line counts failing gradients by what they are, so right values missing from one problem are not
# called wrong (code written for one output unit), and gradients that never came back are not either.
RESULT_LINES = [
    ("right", COURSE, "result: PASS, all four gradients are right"),
    ("one slip", COURSE.replace(DW1, "dW1 = np.dot(dZ1, X.T)"), "result: FAIL, 1 of 4 gradients wrong"),
    (
        "one output unit only",
        COURSE.replace(DZ1, "dZ1 = W2.T * dZ2 * (1 - np.power(A1, 2))"),
        "result: FAIL, 4 of 4 gradients right only on the problems where your code returned them",
    ),
    ("misspelled keys", COURSE.replace('"dW1": dW1', '"dw1": dW1'), "result: FAIL, 1 of 4 gradients never returned"),
    (
        "one wrong, one missing",
        COURSE.replace(DW2, "dW2 = np.dot(dZ2, A1.T)").replace('"db1": db1', '"DB1": db1'),
        "result: FAIL, 1 of 4 gradients wrong; 1 of 4 gradients never returned",
    ),
]


@pytest.mark.parametrize("source, line", [case[1:] for case in RESULT_LINES], ids=[case[0] for case in RESULT_LINES])
def test_the_result_line_counts_wrong_partial_and_missing_gradients_apart(source, line):
    report = str(check_backprop(course_function(source)))
    assert [text for text in report.splitlines() if text.startswith("result:")] == [line]
