"""``shallownet check FILE[:FUNCTION]``, one file: the report on stdout, exit 0 pass / 1 fail / 2 usage error.

Each check runs the learner's file in a child process (checker.run); the
folder, glob and many-file forms are tested on the corpus (test_checker_corpus.py).
"""

from pathlib import Path

import pytest

from shallownet import check_cmd

FIXTURES = Path(__file__).parent / "fixtures"
NOTEBOOK = FIXTURES / "course_notebook.py"
COURSE = FIXTURES / "course_backprop.py"


# Checks that name no seed draw the session's one (tests/conftest.py): their true gradients (jax.grad and finite
# differences, a few compilations per drawn shape) are computed once for the whole session, not per test.
def check(capsys, *argv):
    code = check_cmd.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_course_notebook_export_passes(capsys):
    # Top-level data loading, plots, magics and missing course helpers must not stop the check.
    code, out, err = check(capsys, f"{NOTEBOOK}:backward_propagation")
    assert code == 0, out + err
    assert "note: testCases_v2 is not beside the file: the checker's stand-in for the course's module" in out
    assert "check of backward_propagation in course_notebook.py" in out
    assert "result: PASS, all four gradients are right" in out
    assert err == ""


def test_ipython_magics_pasted_into_the_file_are_skipped(tmp_path, capsys):
    user_file = tmp_path / "pasted.py"
    user_file.write_text("%matplotlib inline\n!pip install numpy\n" + NOTEBOOK.read_text())
    code, out, _ = check(capsys, user_file)
    assert code == 0
    assert "note: testCases_v2 is not beside the file: the checker's stand-in" in out


def test_function_name_defaults_to_the_course_one(capsys):
    assert check(capsys, NOTEBOOK)[0] == 0


def test_planted_mistake_fails_with_its_diagnosis(tmp_path, capsys):
    user_file = tmp_path / "my_backprop.py"
    user_file.write_text(NOTEBOOK.read_text().replace("(1 - np.power(A1, 2))", "(1 - np.power(cache['Z1'], 2))"))
    code, out, _ = check(capsys, f"{user_file}:backward_propagation")
    assert code == 1
    assert "dW1, db1: activation derivative written 1 - Z1**2 (Z1 where A1 belongs); tanh'(Z1) = 1 - A1**2" in out
    assert "result: FAIL, 2 of 4 gradients wrong" in out


def test_activation_option(capsys):
    code, out, _ = check(capsys, f"{COURSE}:backward_propagation", "--activation", "sigmoid")
    assert code == 1
    assert "tanh's derivative 1 - A1**2 used for the sigmoid hidden layer" in out


def test_grads_form_is_detected_and_can_be_named(capsys):
    assert check(capsys, f"{COURSE}:grads")[0] == 0
    code, out, _ = check(capsys, f"{COURSE}:grads", "--form", "grads")
    assert code == 0 and "grads(parameters, X, Y)" in out


def test_float32_inputs_and_tolerance_are_printed(capsys):
    code, out, _ = check(capsys, f"{COURSE}:backward_propagation", "--dtype", "float32")
    assert code == 0
    assert "your gradients are float32 (inputs float32): pass when error <= 2e-06 of the gradient's scale" in out


def test_code_that_raises_shows_its_own_traceback(capsys):
    code, out, _ = check(capsys, f"{FIXTURES / 'bad_backprops.py'}:reads_a_missing_cache_key")
    assert code == 1
    assert "--- traceback from your code (reads_a_missing_cache_key in bad_backprops.py" in out
    assert 'A0 = cache["A0"]' in out
    assert "raised KeyError: 'A0'" in out


def test_one_output_option(tmp_path, capsys):
    user_file = tmp_path / "one_output.py"
    user_file.write_text(NOTEBOOK.read_text().replace("np.dot(W2.T, dZ2) * (1", "W2.T * dZ2 * (1"))
    code, out, _ = check(capsys, user_file)
    assert code == 1 and "--one-output" in out
    assert check(capsys, user_file, "--one-output")[0] == 0


def test_syntax_error_in_the_file_is_a_failure_not_a_crash(tmp_path, capsys):
    user_file = tmp_path / "broken.py"
    user_file.write_text("import numpy as np\n\ndef backward_propagation(parameters, cache, X, Y)\n    return {}\n")
    code, out, _ = check(capsys, user_file)
    assert code == 1
    assert (
        "backward_propagation is defined in lines 3-4, which the checker skipped: line 3: SyntaxError: "
        "expected ':'" in out
    )


@pytest.mark.parametrize(
    "argv, words",
    [
        (["missing.py:backward_propagation"], "no such file: missing.py"),
        ([f"{COURSE}:backward"], "defines no function 'backward'; it defines sigmoid, forward_propagation"),
        ([f"{COURSE}:backward_propagation", "--activation", "softplus"], "unknown activation 'softplus'"),
    ],
)
def test_usage_errors_exit_2_with_one_line(capsys, argv, words):
    code, out, err = check(capsys, *argv)
    assert code == 2
    assert words in err and "Traceback" not in err + out
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "argv, words",
    [
        ([f"{FIXTURES / 'bad_backprops.py'}:not_a_function"], "'not_a_function' is an int, not a function"),
        (
            [f"{COURSE}:sigmoid"],
            "sigmoid takes 1 argument (x); expected (parameters, cache, X, Y) or (parameters, X, Y)",
        ),
    ],
)
def test_a_named_function_that_is_there_but_unfit_fails_with_exit_1(capsys, argv, words):
    # The name names something of the learner's: its problem is the learner's (FAIL), as in a folder.
    code, out, _ = check(capsys, *argv)
    assert code == 1
    assert words in out and "result: FAIL, the gradients were not checked" in out


def test_bad_option_is_a_usage_error(capsys):
    assert check(capsys, COURSE, "--output", "softmax")[0] == 2


@pytest.mark.parametrize("flag", ["--timeout", "--memory", "--jobs", "--seed", "--points"])
@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e400", "-1"])
def test_number_flags_refuse_nan_infinity_and_negatives_before_any_check(capsys, flag, value):
    code, _, err = check(capsys, COURSE, flag, value)
    assert code == 2
    assert f"argument {flag}" in err and "Traceback" not in err


def test_through_the_shallownet_command(capsys):
    cli = pytest.importorskip("shallownet.cli")
    assert cli.main(["check", f"{NOTEBOOK}:backward_propagation"]) == 0
    assert "result: PASS" in capsys.readouterr().out
    assert cli.main(["check", "missing.py"]) == 2
