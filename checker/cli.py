"""``shallownet check FILE_OR_FOLDER[:FUNCTION] ...``: check learners' own backprop and say what is wrong.

One file: its full report, then what the learner's code printed (capped).
A folder, a glob or several files: one line per file (verdict, failing
gradients, the first diagnosis) under a progress bar, and ``--report
FILE.csv`` / ``--json FILE`` for the whole class. Each file runs in its own
child process under ``--timeout`` seconds per call and ``--memory`` MB.

Exit code: 0 only when every file's four gradients were verified right, 1
when any file fails (wrong gradients, code that cannot run, a process that
exits, crashes or times out), 2 for a usage error (no such file, a
FILE:FUNCTION that names no function, a bad option).
"""

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .files import Target, expand

if TYPE_CHECKING:  # imported when a check runs: --help stays fast
    from .check import FileResult, Settings
    from .run import Limits

EXIT_PASS, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
DESCRIPTION = "Check your own backprop against jax.grad and say what is wrong with it."
EPILOG = (
    "exit code: 0 when every file's four gradients pass, 1 when any file fails, 2 for a usage error. "
    "Guide: docs/checker.md"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "targets",
        nargs="+",
        metavar="FILE_OR_FOLDER[:FUNCTION]",
        help="your .py or .ipynb file (FUNCTION defaults to backward_propagation, else the one "
        "function taking the course's arguments); a folder, a glob or several files check each",
    )
    parser.add_argument(
        "--activation",
        default="tanh",
        help="hidden activation: tanh (default), sigmoid, relu, leaky_relu[:slope], identity",
    )
    parser.add_argument(
        "--output",
        choices=("sigmoid", "identity"),
        default="sigmoid",
        help="output unit: sigmoid with cross-entropy (default) or identity with squared error",
    )
    parser.add_argument(
        "--form",
        choices=("auto", "backward", "grads"),
        default="auto",
        help="backward: f(parameters, cache, X, Y), the course's; grads: f(parameters, X, Y); "
        "auto (default): by the argument names, else their number",
    )
    parser.add_argument(
        "--one-output", action="store_true", help="check only the problems with one output unit (n_y = 1)"
    )
    parser.add_argument(
        "--dtype",
        choices=("float64", "float32"),
        default="float64",
        help="dtype of the arrays given to your function (default float64)",
    )
    parser.add_argument(
        "--timeout",
        type=_positive(float),
        default=5.0,
        metavar="SECONDS",
        help="time limit per call of your function (default 5; loading the file gets 4x, at least 20)",
    )
    parser.add_argument(
        "--memory",
        type=_positive(int, zero=True),
        default=4096,
        metavar="MB",
        help="address-space limit of the process running your code (default 4096; 0: none)",
    )
    parser.add_argument("--jobs", type=_positive(int), default=1, metavar="N", help="files checked side by side")
    parser.add_argument("--report", metavar="FILE.csv", help="write one CSV row per file")
    parser.add_argument("--json", metavar="FILE", help="write everything (reports, figures, output) as JSON")
    parser.add_argument(
        "--gradescope", metavar="results.json", help="write Gradescope's autograder results (one file checked)"
    )
    parser.add_argument(
        "--prairielearn", metavar="results.json", help="write PrairieLearn's external-grader results (one file checked)"
    )
    parser.add_argument(
        "--points", type=_positive(float), default=4.0, help="points of the whole check in those results (default 4)"
    )
    parser.add_argument(
        "--show-output",
        type=_positive(int, zero=True),
        default=40,
        metavar="LINES",
        help="lines of your code's stdout and stderr shown after a report (default 40)",
    )


def _positive(kind: Callable[[str], float], zero: bool = False) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value < 0 or (value == 0 and not zero):
            raise argparse.ArgumentTypeError(f"must be {'>= 0' if zero else '> 0'}, got {text}")
        return value

    return parse


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``check`` subcommand to a CLI (its func returns the exit code)."""
    parser = subparsers.add_parser(
        "check", help="check your own backward_propagation and name the mistake", description=DESCRIPTION, epilog=EPILOG
    )
    add_arguments(parser)
    parser.set_defaults(func=run)
    return parser


def _error(message: object) -> int:
    print(f"shallownet check: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def run(args: argparse.Namespace) -> int:
    """Check what the arguments name; print; write the CSV and JSON asked for; return the exit code."""
    from . import batch
    from .check import Settings, check_file
    from .run import Limits

    targets, many, errors = expand(args.targets)
    if errors:
        return _error("; ".join(errors))
    settings = Settings(args.activation, args.output, one_output=args.one_output, dtype=args.dtype)
    limits = Limits(timeout=args.timeout, memory_mb=args.memory)
    try:
        settings.check()
    except ValueError as e:  # an unknown activation or output
        return _error(e)
    if many and (args.gradescope or args.prairielearn):
        return _error("--gradescope and --prairielearn grade one submission: give one file")
    if many:
        results = _check_many(targets, settings, limits, args)
    else:
        result = check_file(targets[0], settings, limits, args.form)
        if result.named_nothing:
            return _error(result.message)
        print(result.text(args.show_output))
        results = [result]
    try:
        if args.report:
            batch.write_csv(results, args.report)
        if args.json:
            batch.write_json(results, args.json, settings, limits)
        if args.gradescope or args.prairielearn:
            _write_graders(results[0], args)
    except OSError as e:
        return _error(f"cannot write the report: {e}")
    return EXIT_PASS if all(result.passed for result in results) else EXIT_FAIL


def _write_graders(result: "FileResult", args: argparse.Namespace) -> None:
    from . import graders

    grade = graders.grade(result, args.points)
    if args.gradescope:
        graders.write_json(graders.gradescope_results(grade), args.gradescope)
    if args.prairielearn:
        graders.write_json(graders.prairielearn_results(grade), args.prairielearn)


def _check_many(
    targets: list[Target], settings: "Settings", limits: "Limits", args: argparse.Namespace
) -> "list[FileResult]":
    from tqdm import tqdm

    from . import batch

    width = max(len(str(target)) for target in targets)
    # disable=None: a bar on a terminal only, not in a log or a pipe.
    with tqdm(total=len(targets), desc="check", unit="file", file=sys.stderr, delay=0.5, disable=None) as bar:
        results = batch.check_files(
            targets,
            settings,
            limits,
            args.form,
            jobs=args.jobs,
            progress=bar,
            on_result=lambda _, result: tqdm.write(batch.summary_line(result, width), file=sys.stdout),
        )
    print(batch.totals_line(results))
    return results


def main(argv: Sequence[str] | None = None) -> int:
    """``shallownet check`` alone (the same as ``shallownet.cli.main(["check", ...])``); returns the exit code."""
    parser = argparse.ArgumentParser(prog="shallownet check", description=DESCRIPTION, epilog=EPILOG)
    add_arguments(parser)
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse's usage error (2) or --help (0)
        return e.code if isinstance(e.code, int) else EXIT_USAGE
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
