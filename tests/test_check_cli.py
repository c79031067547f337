"""``shallownet check FILE[:FUNCTION]``, one file: the report on stdout, exit 0 pass / 1 fail / 2 usage error.

Each check runs the learner's file in a child process (checker.run); the
folder, glob and many-file forms are tested on the corpus (test_checker_corpus.py).
"""

import argparse
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


def parsed(*argv):
    """The check command's arguments as its own parser reads them (nothing is checked)."""
    parser = argparse.ArgumentParser()
    check_cmd.add_arguments(parser)
    return parser.parse_args([str(COURSE), *argv])


# The checker reads its flags with the project's one number grammar (checker.numbers), as shallownet reads
# --lr and CSV cells: a plain number, spaces around it allowed; a whole number may be written 2.0 or 1e3.
@pytest.mark.parametrize(
    "flag, text, value",
    [
        ("--jobs", "2", 2),
        ("--jobs", "2.0", 2),
        ("--jobs", " 3 ", 3),
        ("--jobs", "1e3", 1000),
        ("--timeout", "0.5", 0.5),
        ("--timeout", "1e3", 1000.0),
        ("--timeout", "86400", 86400.0),
        ("--memory", "16777216", 16777216),
        ("--memory", "0", 0),
        ("--seed", "0", 0),
        ("--seed", "123456789012345678901234567890", 123456789012345678901234567890),
        ("--seed", "1e30", 10**30),  # exactly: float("1e30") is 10**30 + 19884624838656
        ("--points", "10", 10.0),
        ("--show-output", "0", 0),
    ],
)
def test_number_flags_read_plain_numbers(flag, text, value):
    found = getattr(parsed(flag, text), flag[2:].replace("-", "_"))
    assert found == value and type(found) is type(value)


@pytest.mark.parametrize(
    "flag, text, message",
    [
        ("--jobs", "1_000", "'1_000' is not a number (no '_' digit separators)"),
        ("--jobs", "\u0661\u0662", "'\u0661\u0662' is not a number"),  # Arabic-Indic 12: int() reads it
        ("--jobs", "2.5", "'2.5' is not a whole number"),
        ("--jobs", "0", "must be a whole number > 0, got 0"),
        ("--jobs", "0x10", "'0x10' is not a number"),
        ("--jobs", "1.0000000000000000001", "'1.0000000000000000001' is not a whole number"),  # float() says 1.0
        ("--timeout", "nan", "'nan' is not a finite number (NaN)"),
        ("--timeout", "inf", "'inf' is not a finite number (infinite value)"),
        ("--timeout", "1e400", "'1e400' is not a finite number (infinite value (too large for float64))"),
        ("--timeout", "-1", "must be a finite number > 0 and <= 86400, got -1"),
        ("--timeout", "0", "must be a finite number > 0 and <= 86400, got 0"),
        ("--timeout", "1e300", "must be a finite number > 0 and <= 86400, got 1e300"),  # was an OverflowError
        ("--timeout", "1,5", "'1,5' is not a number (a decimal comma? write 1.5, not 1,5)"),
        ("--memory", "-1", "must be a whole number >= 0 and <= 16777216, got -1"),
        ("--memory", "1e30", "must be a whole number >= 0 and <= 16777216, got 1e30"),  # was an OverflowError
        ("--memory", "4 096", "'4 096' is not a number (no spaces inside a number)"),
        ("--seed", "1.5", "'1.5' is not a whole number"),
        ("--seed", "1e-400", "'1e-400' is not a whole number"),  # float() says 0.0
        ("--points", "", "'' is not a finite number (empty cell)"),
    ],
)
def test_number_flags_refuse_what_is_not_a_plain_number_in_one_line(capsys, flag, text, message):
    code, out, err = check(capsys, COURSE, flag, text)
    assert code == 2 and out == ""
    assert err.strip().splitlines()[-1] == f"shallownet check: error: argument {flag}: {message}"


def test_a_leaky_relu_slope_in_other_digits_is_refused_in_one_line(capsys):
    code, out, err = check(capsys, COURSE, "--activation", "leaky_relu:\u0661")  # float() reads it as 1.0
    assert code == 2 and out == ""
    assert err.strip().splitlines() == ["shallownet check: error: leaky_relu slope must be a number, got '\u0661'"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--memory", "1_000"], "argument --memory: '1_000' is not a number (no '_' digit separators)"),
        (["--timeout", "nan"], "argument --timeout: 'nan' is not a finite number (NaN)"),
        (["--points", "-4"], "argument --points: must be a finite number > 0, got -4"),
    ],
)
def test_the_autograder_command_reads_its_numbers_alike(tmp_path, capsys, argv, message):
    cli = pytest.importorskip("shallownet.cli")
    assert cli.main(["autograder", "gradescope", "--out", str(tmp_path / "a.zip"), *argv]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [f"shallownet autograder: error: {message}"]
    assert not (tmp_path / "a.zip").exists()


def test_through_the_shallownet_command(capsys):
    cli = pytest.importorskip("shallownet.cli")
    assert cli.main(["check", f"{NOTEBOOK}:backward_propagation"]) == 0
    assert "result: PASS" in capsys.readouterr().out
    assert cli.main(["check", "missing.py"]) == 2
