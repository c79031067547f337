"""``shallownet check FILE_OR_FOLDER[:FUNCTION] ...``: check learners' own backprop and say what is wrong.

One file: its full report, then what the learner's code printed (capped).
A folder, a glob or several files: one line per file (verdict, failing
gradients, the first diagnosis) under a progress bar, and ``--report
FILE.csv`` / ``--json FILE`` for the whole class. Each file runs in its own
child process under ``--timeout`` seconds per call and ``--memory`` MB.

Exit code: 0 only when every file's four gradients were verified right, 1
when any file fails (wrong gradients, code that cannot run, a process that
exits, crashes or times out), 2 for a usage error (no such file, a
FILE:FUNCTION that names no function, a bad option, ``--sandbox required``
where no sandbox starts), 130 when interrupted (Ctrl-C or SIGTERM: the
reports asked for are written with the files done so far, marked partial).
"""

import argparse
import contextlib
import secrets
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .files import Target, expand
from .numbers import argument, count_argument, positive_argument, positive_count_argument

if TYPE_CHECKING:  # imported when a check runs: --help stays fast
    from .assignment_run import Plan
    from .check import FileResult
    from .sandbox import Isolation

EXIT_PASS, EXIT_FAIL, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
# The largest limits the child can be given: a file's load gets 4 times --timeout, waited for by poll() in
# milliseconds in a C int (about 24.8 days: --timeout 1e300 ended in an OverflowError); --memory is set as
# RLIMIT_AS in bytes, a C long (--memory 1e30 did the same in the child).
MAX_SECONDS = 86_400
MAX_MEGABYTES = 2**24  # 16 TiB
seconds_argument = argument("finite number", low=0, above=True, high=MAX_SECONDS)
megabytes_argument = argument("whole number", low=0, high=MAX_MEGABYTES)  # 0: no limit
DESCRIPTION = "Check your own backprop against jax.grad and say what is wrong with it."
EPILOG = (
    "exit code: 0 when every file's four gradients pass, 1 when any file fails, 2 for a usage error. "
    "Guide: docs/checker.md"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The command's flags, in the order --help lists them; every number is read by checker.numbers' grammar."""
    for add in (_what_is_checked, _limits, _problems_and_reports, _graders_and_output):
        add(parser)


def _what_is_checked(parser: argparse.ArgumentParser) -> None:
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


def _limits(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--timeout",
        type=seconds_argument,
        default=5.0,
        metavar="SECONDS",
        help="time limit per call of your function (default 5; loading the file gets 4x, at least 20)",
    )
    parser.add_argument(
        "--memory",
        type=megabytes_argument,
        default=4096,
        metavar="MB",
        help="address-space limit of the process running your code (default 4096; 0: none)",
    )
    parser.add_argument(
        "--jobs", type=positive_count_argument, default=1, metavar="N", help="files checked side by side"
    )
    parser.add_argument(
        "--sandbox",
        choices=("auto", "required", "none", "bubblewrap", "unshare"),
        default="auto",
        help="run each file in a sandbox: auto (default) uses bubblewrap, else unshare, else a plain process "
        "and says so; required refuses to run without one; none never uses one; bubblewrap or unshare: that one",
    )


def _problems_and_reports(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--seed",
        type=count_argument,
        metavar="N",
        help="the seed the problems (week 3) and the draws (cs231n, week 2) come from (default: a fresh one each "
        "run, shown in the report)",
    )
    parser.add_argument("--report", metavar="FILE.csv", help="write one CSV row per file")
    parser.add_argument("--json", metavar="FILE", help="write everything (reports, figures, output) as JSON")
    parser.add_argument(
        "--problem",
        choices=("auto", "week3", "cs231n", "week2"),
        default="auto",
        help="what the file solves: week3 (backward_propagation), cs231n (TwoLayerNet.loss), week2 (propagate); "
        "auto (default): recognised from what the file defines",
    )
    parser.add_argument(
        "--reg-convention",
        choices=("full", "half"),
        default="full",
        help="cs231n's L2: full, reg * sum(W**2) (2017-2019, default), or half, 0.5 * reg * sum(W**2) (2016)",
    )


def _graders_and_output(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--gradescope", metavar="results.json", help="write Gradescope's autograder results (one file checked)"
    )
    parser.add_argument(
        "--prairielearn", metavar="results.json", help="write PrairieLearn's external-grader results (one file checked)"
    )
    parser.add_argument(
        "--points", type=positive_argument, default=4.0, help="points of the whole check in those results (default 4)"
    )
    parser.add_argument(
        "--show-output",
        type=count_argument,
        default=40,
        metavar="LINES",
        help="lines of your code's stdout and stderr shown after a report (default 40)",
    )


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


def fresh_seed() -> int:
    """The seed of problems drawn fresh for a check (``shallownet check``, a Gradescope submission) that names
    none: from the operating system's randomness, so that no file can be tuned to them in advance."""
    return secrets.randbelow(2**31)


def run(args: argparse.Namespace) -> int:
    """Check what the arguments name; print; write the CSV and JSON asked for; return the exit code."""
    from . import batch, sandbox
    from .check import Settings
    from .run import Limits

    targets, many, errors = expand(args.targets)
    if errors:
        return _error("; ".join(errors))
    seed = args.seed if getattr(args, "seed", None) is not None else fresh_seed()
    settings = Settings(args.activation, args.output, one_output=args.one_output, dtype=args.dtype, seed=seed)
    limits = Limits(timeout=args.timeout, memory_mb=args.memory)
    try:
        settings.check()
        isolation = sandbox.isolation(getattr(args, "sandbox", "auto"))
    except (ValueError, sandbox.SandboxUnavailable) as e:  # an unknown activation or output; no sandbox
        return _error(e)
    if many and (args.gradescope or args.prairielearn):
        return _error("--gradescope and --prairielearn grade one submission: give one file")
    # The reports' folders are hidden from the learners' code too (it must not find, read or forge them).
    written = (args.report, args.json, args.gradescope, args.prairielearn)
    hidden = tuple(str(Path(p).resolve().parent) for p in written if p)
    total = None
    from .assignment_run import plan as assignment_plan
    from .check import read_submission

    plan = assignment_plan(targets, args, settings, limits, seed)
    with _signals_as_interrupts():
        try:
            if many:
                results = _check_many(targets, args, isolation, hidden, plan)
            else:
                result = plan.check(0, read_submission(targets[0]), isolation, hidden)
                if result.named_nothing:
                    return _error(result.message)
                print(result.text(args.show_output))
                results = [result]
        except batch.Interrupted as e:
            results, total = e.results, e.total
            print(f"shallownet check: {batch.partial_line(len(results), total)}", file=sys.stderr)
    try:
        if args.report:
            batch.write_csv(results, args.report, total)
        if args.json:
            batch.write_json(results, args.json, plan.settings_block(), limits, total)
        if (args.gradescope or args.prairielearn) and results:
            _write_graders(results[0], args)
    except OSError as e:
        return _error(f"cannot write the report: {e}")
    if total is not None:
        return EXIT_INTERRUPTED
    return EXIT_PASS if all(result.passed for result in results) else EXIT_FAIL


@contextlib.contextmanager
def _signals_as_interrupts() -> Iterator[None]:
    """SIGTERM is handled as Ctrl-C while files are checked (in the main thread only): partial reports."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _write_graders(result: "FileResult", args: argparse.Namespace) -> None:
    from . import graders

    grade = graders.grade(result, args.points)
    if args.gradescope:
        graders.write_json(graders.gradescope_results(grade), args.gradescope)
    if args.prairielearn:
        graders.write_json(graders.prairielearn_results(grade), args.prairielearn)


def check_class(
    targets: list[Target],
    args: argparse.Namespace,
    isolation: "Isolation",
    hidden: tuple[str, ...],
    plan: "Plan",
    **reporting: Any,
) -> "list[FileResult]":
    """Each file checked as its problem (``plan``: week 3's, cs231n's or week 2's), read and hashed first, in
    the sandbox: the one path of ``shallownet check FOLDER`` and of Gradescope's run_autograder.

    ``args``: jobs (as parsed by add_arguments); ``reporting``: checker.batch.check_files's progress and
    on_result. Raises checker.batch.Interrupted on Ctrl-C, with the results so far.
    """
    from . import batch

    return batch.check_files(
        targets, jobs=args.jobs, isolation=isolation, hidden=hidden, check=plan.check, helpers=plan.helpers, **reporting
    )


def _check_many(
    targets: list[Target], args: argparse.Namespace, isolation: "Isolation", hidden: tuple[str, ...], plan: "Plan"
) -> "list[FileResult]":
    from tqdm import tqdm

    from . import batch

    width = max(len(str(target)) for target in targets)
    # disable=None: a bar on a terminal only, not in a log or a pipe.
    with tqdm(total=len(targets), desc="check", unit="file", file=sys.stderr, delay=0.5, disable=None) as bar:
        results = check_class(
            targets,
            args,
            isolation,
            hidden,
            plan,
            progress=bar,
            on_result=lambda _, result: _row(tqdm, batch.summary_line(result, width)),
        )
    # The class's settings on stderr: stdout is one line per file, then the totals. One seed serves week 3's
    # problems and the assignments' draws.
    print(f"isolation: {isolation.line}", file=sys.stderr)
    if plan.week3:
        print(f"problems drawn from seed {plan.seed} (--seed {plan.seed} checks on the same problems)", file=sys.stderr)
    if any(problem.name != "week3" for problem, _ in plan.picks):
        print(
            f"assignments' draws from seed {plan.seed} (--seed {plan.seed} checks on the same draws)", file=sys.stderr
        )
    print(batch.totals_line(results))
    return results


def _row(tqdm: Any, line: str) -> None:
    """One file's line on stdout, flushed: a teacher piping the run (tee, a log) sees each file as it ends."""
    tqdm.write(line, file=sys.stdout)
    sys.stdout.flush()


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
