"""The run configuration: one source for every setting's default, validation, flags, saved form and docs."""

import argparse
import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest

from checker import autograder, numbers
from shallownet import cli, config, data
from shallownet.config import ConfigError, RunConfig

DOC = Path(__file__).parent.parent / "docs" / "training.md"


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"seed": -1}, r"seed \(--seed\) must be a whole number >= 0, got -1"),
        ({"hidden_units": 0}, r"hidden_units \(--hidden-units\) must be a whole number >= 1"),
        ({"hidden_units": 2.5}, "must be a whole number, got 2.5"),
        ({"hidden_units": True}, "must be a whole number, got True"),
        ({"iterations": 0}, r"iterations \(--iterations\) must be a whole number >= 1, got 0"),
        ({"lr": 0}, r"lr \(--lr\) must be a finite number > 0"),
        ({"lr": -1}, "must be a finite number > 0, got -1.0"),
        ({"lr": math.nan}, "must be a finite number > 0, got nan"),
        ({"lr": math.inf}, "must be a finite number > 0, got inf"),
        ({"activation": "leaky_relu:nan"}, "leaky_relu slope must be a finite number, got 'nan'"),
        ({"activation": "leaky_relu:1_0"}, "leaky_relu slope must be a finite number, got '1_0'"),
        ({"activation": "swish"}, "unknown activation 'swish'"),
        ({"output": "softmax"}, "output .* must be one of sigmoid, identity"),
        ({"dtype": "float16"}, "must be one of float32, float64"),
        ({"test_split": 1.0}, r"test_split \(--test-split\) must be in \[0, 1\), got 1.0"),
        ({"test_split": -0.1}, r"must be in \[0, 1\)"),
        ({"devices": 999}, r"devices \(--devices\) must be a whole number between 1 and 64, got 999"),
        ({"chunk": 2**31}, "chunk .* between 1 and 2147483647"),
        ({"checkpoint_every": 0}, "checkpoint_every .* must be a finite number >= 0.1"),
        ({"checkpoint_every": 1e-9}, r"checkpoint_every \(--checkpoint-every\) must be .* >= 0.1, got 1e-09"),
        ({"labels": ["y", "y"]}, r"labels \(--label\) names 'y' more than once"),
        ({"labels": []}, "must be one or more column names"),
        ({"standardize": "yes"}, "must be true or false"),
        ({"hidden": 4}, "unknown settings: hidden; the settings are data, labels, hidden_units"),
    ],
)
def test_a_bad_setting_is_refused_naming_it_and_its_flag(settings, message):
    with pytest.raises(ConfigError, match=message):
        RunConfig.of(settings)


def accepted(make):
    try:
        make()
    except ValueError:  # ConfigError is one
        return False
    return True


# What a flag or a saved run configuration can hold: Python and numpy numbers of every kind, and not numbers.
LEARNING_RATES = [1.2, 1, 1e-300, 5e-324, 1e308, np.float32(0.5), np.float64(2.0), np.int64(3)]
LEARNING_RATES += [0, 0.0, -0.0, -1, -1e-300, math.nan, math.inf, -math.inf, True, False, "1.2", None]


@pytest.mark.parametrize("lr", LEARNING_RATES, ids=repr)
def test_the_lr_setting_accepts_exactly_the_learning_rates_the_library_trains_with(lr):
    """RunConfig names the flag in its message; the library (every network of a stack) has the one rule."""
    from shallownet import stack, train

    params = train.init_params(2, 3, 1)
    library = lambda: stack.Stack([params], 2, 1, 10, lr=lr, activation="tanh", dtype="float64")  # noqa: E731
    assert accepted(lambda: RunConfig(lr=lr)) == accepted(library)
    assert accepted(library) == (not isinstance(lr, (bool, str)) and lr is not None and math.isfinite(lr) and lr > 0)


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"seed": 0},
        {"seed": 10**30},
        {"activation": "leaky_relu:0.2"},
        {"activation": "leaky_relu"},
        {"test_split": 0.0},
        {"test_split": 0.99},
        {"devices": 64},
        {"chunk": 2**31 - 1},
        {"lr": 1},
        {"labels": "y"},
        {"labels": ["y1", "y2"]},
        {"checkpoint_every": 0.1},
    ],
)
def test_a_good_setting_is_accepted_and_normalized(settings):
    made = RunConfig.of(settings)
    assert isinstance(made.lr, float) and isinstance(made.labels, tuple)


def test_the_saved_form_round_trips_and_carries_a_version():
    made = RunConfig.of({"hidden_units": 7, "labels": ["a", "b"], "lr": 0.5, "standardize": True})
    saved = made.to_dict()
    assert saved["version"] == config.VERSION and saved["labels"] == ["a", "b"]
    assert RunConfig.from_dict(saved) == made


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda saved: saved.update(version=99), "version 99"),
        (lambda saved: saved.pop("lr"), "lacks lr"),
        (lambda saved: saved.update(extra=1), "unknown settings: extra"),
        (lambda saved: saved.update(hidden_units="4"), "must be a whole number"),
    ],
)
def test_a_saved_form_that_is_not_this_versions_is_refused(change, message):
    saved = RunConfig().to_dict()
    change(saved)
    with pytest.raises(ConfigError, match=message):
        RunConfig.from_dict(saved)


def subparser(command):
    parser = cli.build_parser()
    action = next(a for a in parser._subparsers._group_actions if a.dest == "command")
    return action.choices[command]


@pytest.mark.parametrize("command", ["train", "sweep"])
def test_every_setting_of_a_command_has_its_flag_with_the_default_in_its_help(command):
    flags = {action.dest: action for action in subparser(command)._actions}
    for field in config.fields_of(command):
        action = flags[field.name]
        assert config.flag(field) in action.option_strings
        assert action.default is __import__("argparse").SUPPRESS  # given() tells defaults from asked-for
        assert "(default: " in action.help
    assert config.sweep_lists() == ("hidden_units", "lr", "activation")


def test_only_the_flags_given_are_settings():
    parser = cli.build_parser()
    args = parser.parse_args(["train", "--lr", "0.5", "--label", "a", "b", "--no-standardize"])
    assert config.given(args, "train") == {"lr": 0.5, "labels": ("a", "b"), "standardize": False}
    assert config.given(parser.parse_args(["train"]), "train") == {}


@pytest.mark.parametrize(
    "text, value",
    [
        ("5000", 5000),
        ("1e6", 1000000),
        ("+3", 3),
        (" 12 ", 12),
        ("123456789012345678901234567890", 123456789012345678901234567890),
    ],
)
def test_whole_numbers_on_the_command_line(text, value):
    assert numbers.whole_argument(text) == value


@pytest.mark.parametrize(
    "text, problem",
    [
        ("1.5", None),
        ("-.5", None),
        ("1e-3", None),
        ("  2  ", None),
        ("+1.", None),
        ("1_000", "no '_' digit separators"),
        ("1 000", "no spaces inside"),
        ("1,5", "decimal comma"),
        ("nan", "NaN"),
        ("-inf", "infinite value"),
        ("Infinity", "infinite value"),
        ("1e999", "too large"),
        ("NA", "missing value"),
        ("", "empty cell"),
        ("0x10", "is not a number"),
        ("\u0663", "is not a number"),
        ("TRUE", "is not a number"),
    ],
)
def test_what_a_number_is(text, problem):
    found = numbers.number_problem(text)
    assert (found is None) if problem is None else (problem in found)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--lr", "1_000"], "argument --lr: '1_000' is not a number (no '_' digit separators)"),
        (["train", "--lr", "nan"], "argument --lr: 'nan' is not a finite number (NaN)"),
        (["train", "--iterations", "2.5"], "argument --iterations: '2.5' is not a whole number"),
        (["sweep", "--hidden-units", "4", "x"], "argument --hidden-units: 'x' is not a number"),
    ],
)
def test_numbers_on_the_command_line_follow_the_same_grammar(capsys, argv, message):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def typed_flags(parser, found=None):
    """{(command, flag): its argparse type} of every flag that has one, through the subcommands."""
    found = {} if found is None else found
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                typed_flags(sub, found)
        elif action.type is not None:
            found[(parser.prog.split()[-1], (action.option_strings or [action.dest])[-1])] = action.type
    return found


def test_every_number_flag_of_both_packages_reads_the_one_grammar_of_checker_numbers():
    running = argparse.ArgumentParser(prog="run-gradescope")
    autograder.run_arguments(running)
    flags = {**typed_flags(cli.build_parser()), **typed_flags(running)}
    grammar = {flag for flag, kind in flags.items() if kind.__module__ == numbers.__name__}
    # Every other typed flag reads text or a path: none reads a number with int() or float().
    assert {flags[flag] for flag in set(flags) - grammar} == {str, cli.path_argument, Path}
    checker_flags = [("check", f) for f in ("--timeout", "--memory", "--jobs", "--seed", "--points", "--show-output")]
    checker_flags += [("autograder", f) for f in ("--points", "--timeout", "--memory")]
    checker_flags += [("run-gradescope", "--timeout")]
    app_flags = [("train", "--lr"), ("train", "--iterations"), ("sweep", "--hidden-units"), ("sweep", "--seeds")]
    assert set(checker_flags + app_flags) <= grammar
    # The app's settings and CSV cells are read by the very objects the checker's flags use.
    assert {int: numbers.whole_argument, float: numbers.number_argument} == config.ARGUMENT_TYPES
    assert data.NUMBER is numbers.NUMBER and data.number_problem is config.number_problem is numbers.number_problem


def test_a_sweep_is_the_product_of_its_lists_each_validated_as_train_would():
    grid = config.sweep_grid({"hidden_units": (2, 3), "lr": (1.2, 0.5), "seed": 4})
    assert [(run.hidden_units, run.lr, run.seed) for run in grid] == [
        (2, 1.2, 4),
        (2, 0.5, 4),
        (3, 1.2, 4),
        (3, 0.5, 4),
    ]
    assert all(run.iterations == 5000 and run.dtype == "float64" and run.init == "course" for run in grid)
    with pytest.raises(ConfigError, match=r"lr .* got -1\.0"):
        config.sweep_grid({"lr": (1.2, -1.0)})
    with pytest.raises(ConfigError, match=r"activation .*unknown activation 'swish'"):
        config.sweep_grid({"activation": ("tanh", "swish")})


def test_seeds_are_random_inits_innermost_and_exclude_the_course_init():
    grid = config.sweep_grid({"hidden_units": (2,), "activation": ("tanh", "relu"), "seed": 7}, seeds=3)
    assert [(c.activation, c.seed, c.init) for c in grid] == [
        ("tanh", 7, "random"),
        ("tanh", 8, "random"),
        ("tanh", 9, "random"),
        ("relu", 7, "random"),
        ("relu", 8, "random"),
        ("relu", 9, "random"),
    ]
    assert [c.init for c in config.sweep_grid({}, seeds=1)] == ["random"] * 7
    assert [c.init for c in config.sweep_grid({"init": "course"}, seeds=1)] == ["course"] * 7
    with pytest.raises(ConfigError, match=r"seeds \(--seeds\) 3 needs --init random"):
        config.sweep_grid({"init": "course"}, seeds=3)
    with pytest.raises(ConfigError, match=r"seeds \(--seeds\) must be a whole number >= 1, got 0"):
        config.sweep_grid({}, seeds=0)


def test_the_docs_table_is_the_one_runconfig_generates():
    text = DOC.read_text()
    assert config.markdown_table() in text, (
        "regenerate the table: python -c 'from shallownet import config; print(config.markdown_table())'"
    )
    for field in dataclasses.fields(RunConfig):
        assert f"`{field.name}`" in text and config.flag(field) in text


def test_the_gradient_choices_are_the_engines_paths():
    """--gradients offers exactly the paths the engine has (config loads without JAX, so it keeps its own list)."""
    from shallownet import parallel

    assert RunConfig.__dataclass_fields__["gradients"].metadata["choices"] == parallel.GRAD_PATHS
