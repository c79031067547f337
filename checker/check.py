"""The checker's functions: check a function object here, or a learner's file in a child process.

``check_backprop(fn)`` and ``check_grads(fn)`` call a function of this
process (a notebook's, a test's): quick, but the function runs with the
checker's own rights. ``check_file(path)`` reads a .py or .ipynb, runs its
definitions and calls its function in a child process under a time and a
memory limit (checker.run), and returns a FileResult: the verdict, the
Report, and what the learner's code printed. In both, the verdict is
computed here from plain arrays.

Example, in a course notebook (hidden tanh, output sigmoid)::

    from checker import check_backprop

    report = check_backprop(backward_propagation)   # your function
    print(report)          # the table and, for a wrong gradient, what is wrong
    assert report.passed
"""

import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from reference import check_activation

from . import call, files, load, mistakes, sandbox, standins
from .problems import DEFAULT_CASES, Case, Problem, draw_cases, make_problem
from .report import TOLERANCES, Report, build_report, not_derived, sort_result
from .run import Captured, Limits, Place, clean_result, run_file

PASS, FAIL = "PASS", "FAIL"
OUTPUT_LINES = 40


@dataclass(frozen=True)
class Settings:
    """What the learner's network is and what their function is given."""

    activation: str = "tanh"
    output: str = "sigmoid"
    cases: tuple[Case, ...] = DEFAULT_CASES
    one_output: bool = False
    dtype: str = "float64"
    seed: int | None = None  # problems drawn from this seed (checker.problems.draw_cases) instead of ``cases``

    def check(self) -> tuple[str, tuple[Case, ...]]:
        """(dtype name, the cases to check on); ValueError names a bad setting."""
        if self.output not in ("sigmoid", "identity"):
            raise ValueError(f"unknown output {self.output!r}; choose sigmoid or identity")
        check_activation(self.activation)
        try:
            dtype = np.dtype(self.dtype).name
        except TypeError:
            dtype = str(self.dtype)
        if dtype not in TOLERANCES:
            raise ValueError(f"dtype must be one of {', '.join(TOLERANCES)}, got {dtype}")
        chosen = draw_cases(self.seed) if self.seed is not None else self.cases
        cases = tuple(case for case in chosen if case.n_y == 1) if self.one_output else tuple(chosen)
        if not cases:
            raise ValueError("no problems to check on")
        return dtype, cases

    def problems_cases(self) -> tuple[Case, ...]:
        """The cases checked on (the settings checked first)."""
        return self.check()[1]

    def problems(self) -> tuple[list[Problem], str]:
        """The problems (their truth computed, and cached), checked settings first (ValueError names a bad one)."""
        dtype, cases = self.check()
        return [make_problem(case, self.activation, self.output, dtype) for case in cases], dtype


def _check_function(fn: Callable[..., Any], form: str, settings: Settings, name: str | None) -> Report:
    if not callable(fn):
        raise ValueError(f"expected a function, got {type(fn).__name__}")
    problems, dtype = settings.problems()
    fn_name = name or str(getattr(fn, "__name__", "your function"))
    try:
        _, order, note = load.binding(fn, fn_name, form)
    except load.NotFound as e:
        raise ValueError(str(e)) from None
    code = getattr(fn, "__code__", None)
    user_files = {code.co_filename} if code is not None else set()
    runs = [
        sort_result(clean_result(call.call_user(fn, order, problem.inputs(dtype), user_files))) for problem in problems
    ]
    return build_report(
        fn_name,
        form,
        settings.activation,
        settings.output,
        problems,
        runs,
        dtype,
        notes=[note] if note else [],
        seed=settings.seed,
    )


def check_backprop(
    backward_propagation: Callable[..., Any],
    activation: str = "tanh",
    output: str = "sigmoid",
    *,
    cases: tuple[Case, ...] = DEFAULT_CASES,
    one_output: bool = False,
    dtype: str = "float64",
    name: str | None = None,
    seed: int | None = None,
) -> Report:
    """Check ``backward_propagation(parameters, cache, X, Y) -> {"dW1", "db1", "dW2", "db2"}`` in this process.

    The course's signature: ``parameters`` holds W1 b1 W2 b2, ``cache`` holds
    Z1 A1 Z2 A2 (computed here from the reference forward pass), X is
    (n_x, m), Y is (n_y, m); arguments named so in another order are passed
    by name. Called on plain numpy arrays in ``dtype``. ``one_output=True``
    keeps only the problems with n_y = 1; ``seed`` draws other problems of the same design
    (checker.problems.draw_cases). Returns a Report; ``print(report)``
    shows the table and the diagnoses.

    >>> import numpy as np
    >>> def backward_propagation(parameters, cache, X, Y):
    ...     m = X.shape[1]
    ...     W2 = parameters["W2"]
    ...     A1, A2 = cache["A1"], cache["A2"]
    ...     dZ2 = A2 - Y
    ...     dW2 = (1 / m) * np.dot(dZ2, A1.T)
    ...     db2 = (1 / m) * np.sum(dZ2, axis=1, keepdims=True)
    ...     dZ1 = np.multiply(np.dot(W2.T, dZ2), 1 - np.power(A1, 2))
    ...     dW1 = (1 / m) * np.dot(dZ1, X.T)
    ...     db1 = (1 / m) * np.sum(dZ1, axis=1, keepdims=True)
    ...     return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}
    >>> check_backprop(backward_propagation).passed
    True
    """
    return _check_function(
        backward_propagation, "backward", Settings(activation, output, cases, one_output, dtype, seed), name
    )


def check_grads(
    grads_fn: Callable[..., Any],
    activation: str = "tanh",
    output: str = "sigmoid",
    *,
    cases: tuple[Case, ...] = DEFAULT_CASES,
    one_output: bool = False,
    dtype: str = "float64",
    name: str | None = None,
    seed: int | None = None,
) -> Report:
    """Check ``grads_fn(parameters, X, Y) -> {"dW1", "db1", "dW2", "db2"}`` (does its own forward pass)."""
    return _check_function(grads_fn, "grads", Settings(activation, output, cases, one_output, dtype, seed), name)


# --- a learner's file, in a child process ---------------------------------------------------


@dataclass
class FileResult:
    """One file's check: the verdict, a one-line message, the Report when the function ran, what it printed."""

    target: str
    verdict: str
    message: str
    report: Report | None = None
    function: str | None = None
    notes: list = field(default_factory=list)
    ended: str | None = None  # how the learner's process ended early, if it did
    timed_out: bool = False
    named_nothing: bool = False  # FILE:NAME names no checkable function (a usage error)
    stdout: Captured | None = None
    stderr: Captured | None = None
    seconds: float = 0.0
    isolation: str = ""  # one line: which isolation ran the learner's code
    sha256: str = ""  # of the file as read before any learner code ran
    events: list = field(default_factory=list)  # what the guard reported: {"kind": kill|start|autodiff, "what"}

    @property
    def passed(self) -> bool:
        return self.verdict == PASS

    @property
    def failing(self) -> list[str]:
        return self.report.failing if self.report is not None else []

    def text(self, output_lines: int = OUTPUT_LINES) -> str:
        """The full text for a terminal: the report (or the notes and the message), then the captured output."""
        body = (
            str(self.report)
            if self.report is not None
            else "\n".join(
                [f"note: {n}" for n in self.notes]
                + [f"check of {self.target}: {self.message}", "", "result: FAIL, the gradients were not checked"]
            )
        )
        if self.isolation:
            body = f"isolation: {self.isolation}\n{body}"
        blocks = [
            output_block(what, captured, output_lines)
            for what, captured in (("stdout", self.stdout), ("stderr", self.stderr))
        ]
        return "\n".join([body] + ["\n".join(block) for block in blocks if block])


def output_block(what: str, captured: Captured | None, max_lines: int) -> list[str]:
    """The learner's captured output, capped, each line marked so that it cannot pass for the report."""
    if captured is None or not captured.bytes or max_lines <= 0:
        return []
    lines = captured.text.splitlines()
    count = captured.lines
    shown = lines[:max_lines]
    more = count - len(shown)
    header = f"--- {what} of your code: {count:,} line{'s' * (count != 1)}, {captured.bytes:,} bytes"
    header += f"; the first {len(shown)} ---" if more > 0 else " ---"
    return (
        ["", header] + [f"| {line}" for line in shown] + ([f"| ... {more:,} more lines not shown"] if more > 0 else [])
    )


def _unparsed(source: files.Source) -> list[dict[str, Any]]:
    """The cells or blocks files skipped for a SyntaxError, as the loader's skipped entries: where, what they
    would have defined, why (so that a function reading a helper defined there is told so, not "not defined")."""
    entries = []
    for where, text, reason in source.skipped:
        names = re.findall(r"^\s*(?:def|class)\s+(\w+)", text, re.MULTILINE)
        if names:
            why = re.sub(r" \([^()]* skipped\)$", "", reason)
            entries.append({"where": where, "names": names, "why": why, "fix": "fix that line, and check again"})
    return entries


def _in_a_skipped_cell(source: files.Source, name: str) -> str:
    """'backward_propagation is defined in cell 5, which the checker skipped: ...' or ''."""
    for entry in _unparsed(source):
        if name in entry["names"]:
            return f"{name} is defined in {entry['where']}, which the checker skipped: {entry['why']}"
    return ""


@dataclass(frozen=True)
class Submission:
    """A file read (and hashed) before any learner code runs, with the helper modules it imports from beside it."""

    target: files.Target
    source: files.Source | None
    problem: str = ""  # why it cannot be read (then source is None)
    helpers: tuple[tuple[str, str], ...] = ()  # (name.py, text) of the modules it imports from its folder
    notes: tuple[str, ...] = ()  # stand-ins given for the course's helper modules


def read_submission(target: files.Target, others: frozenset[Path] = frozenset()) -> Submission:
    """Read ``target`` and the helper modules beside it that it imports, none of ``others`` (classmates' files)."""
    try:
        source = files.read_source(target.path)
    except files.FileProblem as e:
        return Submission(target, None, str(e))
    helpers = files.helper_modules(source, others | {target.path.resolve()})
    present = {name.removesuffix(".py") for name, _ in helpers}
    stand_ins = [
        (name, text)
        for name, text in ((name, standins.standin(name)) for name in files.imported_names(source))
        if text is not None and name not in present
    ]
    notes = tuple(
        f"{name} is not beside the file: the checker's stand-in for the course's module gives its pure helpers"
        for name, _ in stand_ins
    )
    helpers += tuple((f"{name}.py", text) for name, text in stand_ins)
    return Submission(target, source, helpers=helpers, notes=notes)


def check_file(
    target: files.Target | str | os.PathLike[str],
    settings: Settings = Settings(),
    limits: Limits = Limits(),
    form: str = "auto",
    *,
    isolation: sandbox.Isolation | str = "auto",
    submission: Submission | None = None,
    hidden: tuple[str, ...] = (),
) -> FileResult:
    """Check the function of one file (checker.files.Target, or a path) in a child process.

    ``isolation``: a checker.sandbox.Isolation, or a mode ("auto", "required": SandboxUnavailable where no
    sandbox starts, "none"). ``submission``: the file as read before (checker.batch reads a class's files
    before any of them runs). ``hidden``: more folders the sandbox must not show (the file's own folder is
    always hidden: only its copy, in a private working folder, is visible).
    """
    if not isinstance(target, files.Target):
        target = files.Target(Path(target))
    problems, dtype = settings.problems()

    def run(source: files.Source, place: Place) -> tuple[Any, list[str]]:
        inputs = [problem.inputs(dtype) for problem in problems]
        return run_file(source, target.function, form, inputs, limits, place), []

    def judge(child: Any, result: FileResult, source: files.Source) -> Report:
        runs = [sort_result(outcome) for outcome in child.results]
        report = build_report(
            f"{result.function} in {target.path.name}",
            child.loaded["form"],
            settings.activation,
            settings.output,
            problems,
            runs,
            dtype,
            ended=child.ended,
            skipped=child.loaded["skipped"] + _unparsed(source),
            notes=result.notes,
            memory_mb=limits.memory_mb,
            global_m=child.loaded.get("global_m"),
            events=child.events,
            seed=settings.seed,
        )
        _name_empty_blocks(report, runs, source)
        return report

    return check_with(
        target,
        target.function or load.DEFAULT_FUNCTION,
        run,
        judge,
        isolation=isolation,
        submission=submission,
        hidden=hidden,
    )


def check_with(
    target: files.Target,
    function: str,
    run: Callable[[files.Source, Place], tuple[Any, list[str]]],
    judge: Callable[[Any, "FileResult", files.Source], Report],
    *,
    isolation: sandbox.Isolation | str = "auto",
    submission: "Submission | None" = None,
    hidden: tuple[str, ...] = (),
) -> "FileResult":
    """The one path of every problem's file: read (or given), run in its child (``run(source, place)`` gives the
    checker.run.ChildRun and notes of its own), judged (``judge(child, result, source)`` gives the Report);
    ``function``: the name the problem looks for (told when a skipped cell defines it)."""
    started = time.monotonic()
    result, place, submission = begin_file(target, isolation, submission, hidden)
    source = submission.source
    if place is None or source is None:
        return result
    child, notes = run(source, place)
    result.stdout, result.stderr, result.ended, result.timed_out = (
        child.stdout,
        child.stderr,
        child.ended,
        child.timed_out,
    )
    result.notes = list(source.notes) + list(submission.notes) + notes + (child.loaded or {}).get("notes", [])
    if child.loaded is None:
        result.message = child.ended or "the process running your code ended without a word"
    elif "not_found" in child.loaded:
        in_skipped_cell = _in_a_skipped_cell(source, function)
        found = child.loaded["not_found"]
        result.message = in_skipped_cell or (f"{target.path.name} {found}" if found.startswith("defines") else found)
        # A usage error only when the name given names nothing in the file; a function that is there but has
        # another signature, or is a method, is the learner's problem: a FAIL (exit 1), as in a folder.
        result.named_nothing = target.function is not None and not in_skipped_cell and found.startswith("defines no")
    else:
        result.function = child.loaded["function"]
        result.report = judge(child, result, source)
        result.notes = result.report.notes
        result.verdict = PASS if result.report.passed else FAIL
        result.message = result.report.headline
    return end_file(result, child.events, started)


def begin_file(
    target: files.Target,
    isolation: sandbox.Isolation | str,
    submission: "Submission | None",
    hidden: tuple[str, ...],
) -> tuple[FileResult, Place | None, Submission]:
    """A FAIL result for ``target`` (its isolation line and hash filled in), the Place its code runs in and the
    file as read (the Submission); no Place when the file cannot be read (the result says why). Shared by every
    problem's check (week 3's check_file, checker.assignment_run's check_assignment_file)."""
    if isinstance(isolation, str):
        isolation = sandbox.isolation(isolation)
    submission = submission or read_submission(target)
    result = FileResult(str(target), FAIL, "", isolation=isolation.line)
    if submission.source is None:
        result.message = submission.problem
        return result, None, submission
    result.sha256 = submission.source.sha256
    return result, Place(isolation, (submission.source.folder, *hidden), submission.helpers), submission


def end_file(result: FileResult, events: list[dict[str, str]], started: float) -> FileResult:
    """What the guard reported, on the result: a refused signal fails it (named); processes started, noted."""
    result.events = events
    conduct = conduct_lines(events)
    if conduct and result.report is None:
        result.message = "; ".join([*conduct, result.message])
    started_processes = dict.fromkeys(event["what"] for event in events if event["kind"] == "start")
    result.notes += [f"your code started a process: {what}" for what in list(started_processes)[:3]]
    result.seconds = time.monotonic() - started
    return result


def _name_empty_blocks(report: Report, runs: list[Any], source: files.Source) -> None:
    """A gradient 'not defined' because the template's block was never filled: say so first."""
    undefined = {
        run.error.get("name")
        for run in runs
        if run.error is not None and run.error["type"] in ("NameError", "UnboundLocalError")
    }
    if report.passed or not undefined & set(call.COURSE_LOCALS):
        return
    blocks = files.empty_blocks(source)
    if blocks:
        names = ", ".join(sorted(undefined & set(call.COURSE_LOCALS)))
        text = mistakes.row("week3", "an empty template block").fill(blocks="; ".join(blocks), names=names)
        report.diagnoses.insert(0, mistakes.Diagnosis(text, "mistake"))


def conduct_lines(events: list[dict[str, str]]) -> list[str]:
    """What the learner's code did that fails it whatever its gradients (signals it tried to send, our packages
    it tried to import)."""
    return not_derived([], [event for event in events if event["kind"] in ("kill", "import")])
