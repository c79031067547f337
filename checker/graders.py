"""The checker's result in the formats graders read: Gradescope, PrairieLearn, Otter-Grader, nbgrader.

One function, ``grade``, turns a check's result (a FileResult from
``check_file`` or a class run, a Report from ``check_backprop`` in a
notebook, or check_in_process for cs231n's or week 2's problem) into a
Grade: one test per gradient (dW1 db1 dW2 db2; an assignment's returned
results) with its share of the points, partial credit by the problems
(draws) it passed, and its feedback. The
writers below only lay that Grade out in each tool's format; none of them
looks at arrays or tolerances again, so every platform gives the same
points for the same code.

Feedback names the mistake (the checker's diagnoses) and the figures of the
learner's own gradients (relative errors), never the values of the right
gradients. What the learner's code printed and its tracebacks are shown as
code, marked as theirs.

    from checker import check_file
    from checker.graders import grade, gradescope_results

    results = gradescope_results(grade(check_file("hw.ipynb"), points=10))
"""

import contextlib
import importlib.metadata
import io
import json
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .check import FileResult, Settings, check_backprop, output_block
from .diagnose import KEYS
from .judge import Row
from .report import Report, result_line

IN_PROCESS = "none: check_backprop called your function in this process (the notebook's kernel), no sandbox"
OUTPUT_LINES = 30  # lines of the learner's own output shown in a grader's feedback


def checker_version() -> str:
    """The installed shallownet's version (the checker ships in it)."""
    try:
        return importlib.metadata.version("shallownet")
    except importlib.metadata.PackageNotFoundError:
        return "unknown (not installed)"


@dataclass(frozen=True)
class GradientGrade:
    """One gradient's test: points earned of its share, on how many problems it was right, what to tell."""

    name: str  # dW1, db1, dW2, db2
    score: float
    max_score: float
    passed: bool
    problems_passed: int
    problems: int
    summary: str  # one line: verdict, problems passed, the learner's own figures
    diagnosis: tuple[str, ...] = ()  # what is wrong with it, from the checker's diagnoses


@dataclass(frozen=True)
class Grade:
    """A whole submission's grade, from one check: tests per gradient, the overall texts, and the metadata."""

    target: str
    passed: bool
    result: str  # the report's result line ("PASS, ..." / "FAIL, ...")
    headline: str  # the likeliest reason it failed, or that it passed
    tests: tuple[GradientGrade, ...]
    problems: tuple[str, ...] = ()  # the report's problems: bad output, errors, a process that ended
    diagnoses: tuple[str, ...] = ()  # the report's diagnoses (grouped, where to look, raised: ...)
    notes: tuple[str, ...] = ()
    tracebacks: tuple[str, ...] = ()  # the learner's own, labelled
    printed: tuple[str, ...] = ()  # the learner's captured stdout/stderr, capped, each line marked
    metadata: dict[str, Any] = field(default_factory=dict)  # isolation, seed, checker version, settings

    @property
    def score(self) -> float:
        return _round(sum(test.score for test in self.tests))

    @property
    def max_score(self) -> float:
        return _round(sum(test.max_score for test in self.tests))

    @property
    def fraction(self) -> float:
        """The score in [0, 1]."""
        return self.score / self.max_score if self.max_score else 0.0


def _round(value: float) -> float:
    """Points as a teacher reads them: 2.5, not 2.4999999999999996."""
    return round(value, 6) + 0.0


def _figures(row: Row) -> str:
    if row.rel_autodiff is None:
        return f"shape {row.shape}"
    course = "" if row.course_difference is None else f", course difference {row.course_difference:.1e}"
    return f"shape {row.shape}; your worst relative error {row.rel_autodiff:.1e} vs autodiff{course}"


def _gradient_grade(
    row: Row,
    problems: int,
    share: float,
    reasons: tuple[str, ...],
    conduct: tuple[str, ...] = (),
    what: str = "problems",
) -> GradientGrade:
    """``reasons``: the report's problems, told for a failing gradient that has no diagnosis of its own.
    ``conduct``: what the code did that fails the file whatever its numbers (our packages imported, a signal
    sent, autodiff): no credit for any gradient then, with that as the reason."""
    if conduct:
        summary = f"{row.name}: no credit: {conduct[0]}"
        return GradientGrade(row.name, 0.0, _round(share), False, 0, problems, summary, tuple(row.diagnosis) or conduct)
    verdict = (
        "right"
        if row.passed
        else "right only where returned"
        if row.right_where_returned and what == "problems"
        else "wrong"
        if row.returned
        else "not returned"
    )
    summary = f"{row.name} {verdict}: {row.problems_passed} of {problems} {what} passed ({_figures(row)})"
    score = share if row.passed else share * row.problems_passed / problems
    return GradientGrade(
        row.name,
        _round(score),
        _round(share),
        row.passed,
        row.problems_passed,
        problems,
        summary,
        tuple(row.diagnosis) or (() if row.passed else reasons),
    )


def grade(result: FileResult | Report, points: float = 4.0) -> Grade:
    """The Grade of one check: ``points`` shared equally by its tests, each by the problems it passed.

    Week 3: one test per gradient, dW1 db1 dW2 db2. An assignment (cs231n's
    TwoLayerNet.loss, week 2's propagate): one test per result the function returns (W1 b1 W2 b2 loss scores; dw db
    cost), each by the draws it passed. A FileResult without a report (a file
    that does not parse, a function not found, a process that died while
    loading) scores 0 on every gradient, with the checker's one-line message
    as the reason. Code that imported our packages, sent a signal or used
    autodiff scores 0 (the report's conduct).
    """
    if not (points > 0 and math.isfinite(points)):
        raise ValueError(f"points must be a positive number, got {points}")
    report: Report | None
    if isinstance(result, Report):
        target = result.function if result.problem == "week3" else result.header[0]
        report, isolation, notes, printed = result, IN_PROCESS, result.notes, []
    else:
        report, target, isolation, notes = result.report, result.target, result.isolation, result.notes
        printed = [
            line
            for what, captured in (("stdout", result.stdout), ("stderr", result.stderr))
            for line in output_block(what, captured, OUTPUT_LINES)
        ]
    metadata: dict[str, Any] = {"isolation": isolation or "not run", "checker_version": checker_version()}
    if report is None:
        assert isinstance(result, FileResult)
        return _not_checked(result, target, points, notes, printed, metadata)
    share = points / len(report.rows)
    week3 = report.problem == "week3"
    metadata |= {"seed": report.seed, "problems": [str(case) for case in report.cases]}
    if week3:
        metadata |= {"activation": report.activation, "output": report.output, "dtype": report.dtype_out}
    else:
        metadata["problem"] = report.header[0]
    metadata |= {"tolerance": report.tolerance, "course_threshold": report.course_threshold}
    conduct, reasons, what = tuple(report.conduct), tuple(report.problems), "problems" if week3 else "draws"
    return Grade(
        target,
        report.passed,
        result_line(report),
        report.headline,
        tuple(_gradient_grade(row, len(report.cases), share, reasons, conduct, what) for row in report.rows),
        reasons,
        (*conduct, *report.diagnoses),
        tuple(notes),
        tuple(report.tracebacks),
        tuple(printed),
        metadata,
    )


def _not_checked(
    result: FileResult, target: str, points: float, notes: list[str], printed: list[str], metadata: dict[str, Any]
) -> Grade:
    """A file whose function never ran: 0 on every gradient, the checker's one-line message as the reason."""
    share = points / len(KEYS)
    message = f"not checked: {result.message}"
    tests = tuple(GradientGrade(key, 0.0, _round(share), False, 0, 0, message) for key in KEYS)
    metadata["seed"] = None
    return Grade(
        target,
        False,
        "FAIL, the gradients were not checked",
        result.message,
        tests,
        notes=tuple(notes),
        printed=tuple(printed),
        metadata=metadata,
    )


# --- markdown (Gradescope) ---------------------------------------------------------------------


def md_text(text: str) -> str:
    """Text shown as itself in markdown: the characters markdown or HTML would read escaped."""
    return re.sub(r"([\\`*_\[\]<>|~])", r"\\\1", text)


def md_code(text: str) -> str:
    """A fenced code block that the text cannot close (a fence longer than any run of backticks in it)."""
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", text)), default=0))
    return f"{fence}\n{text}\n{fence}"


def _md_list(title: str, lines: tuple[str, ...]) -> list[str]:
    return [f"**{title}**", ""] + [f"- {md_text(line)}" for line in lines] + [""] if lines else []


def _md_test_output(test: GradientGrade) -> str:
    lines = [md_text(test.summary)]
    if test.diagnosis:
        lines += [""] + [f"- {md_text(text)}" for text in test.diagnosis]
    return "\n".join(lines)


def markdown_output(grade: Grade) -> str:
    """The submission's feedback as markdown: verdict, problems, diagnoses, notes, the learner's output."""
    lines = [f"**{md_text(grade.result)}**", ""]
    if not grade.passed and grade.headline not in grade.diagnoses + grade.problems:
        lines += [md_text(grade.headline), ""]
    lines += _md_list("Problems", grade.problems) + _md_list("What is wrong", grade.diagnoses)
    lines += _md_list("Notes", grade.notes)
    if grade.tracebacks:
        lines += [md_code("\n\n".join(grade.tracebacks)), ""]
    if grade.printed:
        lines += [md_code("\n".join(line for line in grade.printed if line)), ""]
    lines += [
        f"Isolation: {md_text(grade.metadata['isolation'])}  ",
        f"Checker: shallownet {md_text(grade.metadata['checker_version'])}"
        + (f", problems' seed {grade.metadata['seed']}" if grade.metadata.get("seed") is not None else ""),
    ]
    return "\n".join(lines).rstrip() + "\n"


def gradescope_results(grade: Grade) -> dict[str, Any]:
    """Gradescope's autograder results (results.json): one visible test per gradient, markdown feedback."""
    return {
        "score": grade.score,
        "output": markdown_output(grade),
        "output_format": "md",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "extra_data": {**grade.metadata, "target": grade.target, "passed": grade.passed},
        "tests": [
            {
                "name": test.name,
                "number": str(number),
                "score": test.score,
                "max_score": test.max_score,
                "status": "passed" if test.passed else "failed",
                "output": _md_test_output(test),
                "output_format": "md",
                "visibility": "visible",
                "tags": ["backprop", test.name],
                "extra_data": {"problems_passed": test.problems_passed, "problems": test.problems},
            }
            for number, test in enumerate(grade.tests, 1)
        ],
    }


# --- plain text (PrairieLearn, Otter, nbgrader) ------------------------------------------------


def plain_output(grade: Grade) -> str:
    """The feedback as plain text, the same parts as the markdown."""
    headline = not grade.passed and grade.headline not in grade.diagnoses + grade.problems
    lines = [grade.result] + ([grade.headline] if headline else [])
    for title, texts in (("problems", grade.problems), ("what is wrong", grade.diagnoses), ("notes", grade.notes)):
        lines += [f"{title}:"] + [f"  {text}" for text in texts] if texts else []
    lines += list(grade.tracebacks) + [line for line in grade.printed if line]
    lines += [f"isolation: {grade.metadata['isolation']}", _version_line(grade)]
    return "\n".join(lines) + "\n"


def _version_line(grade: Grade) -> str:
    seed = grade.metadata.get("seed")
    return f"checker: shallownet {grade.metadata['checker_version']}" + (f", seed {seed}" if seed is not None else "")


def gradient_text(test: GradientGrade) -> str:
    """One gradient's feedback as plain text: its summary, then what is wrong with it."""
    return "\n".join([test.summary] + [f"  {text}" for text in test.diagnosis])


def prairielearn_results(grade: Grade) -> dict[str, Any]:
    """PrairieLearn's external-grader results: score in [0, 1], one test per gradient with points/max_points."""
    return {
        "gradable": True,
        "score": _round(grade.fraction),
        "message": grade.headline if not grade.passed else grade.result,
        "output": plain_output(grade),
        "tests": [
            {
                "name": test.name,
                "description": f"{test.name}, checked on {test.problems or 'no'} problems",
                "points": test.score,
                "max_points": test.max_score,
                "message": gradient_text(test),
                "output": "",
            }
            for test in grade.tests
        ],
        "extra_data": {**grade.metadata, "target": grade.target},
    }


def write_json(document: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """Write a grader's document (results.json), whole or not at all."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, path)


# --- in a notebook: Otter's test cases and nbgrader's test cells ---------------------------------


_NOTEBOOK_GRADES: dict[tuple[Any, ...], Grade] = {}


def _notebook_grade(function: Callable[..., Any], activation: str, output: str, points: float, fresh: bool) -> Grade:
    """One check for a test file's four cases: ``fresh`` (the first case) checks again, the others reuse it.

    Checking afresh at each run of the file matters: a learner who fixes a
    helper the function calls, and checks again, has the same function object.
    """
    key = (function, activation, output, points)
    if fresh or key not in _NOTEBOOK_GRADES:
        Settings(activation, output).check()  # a bad setting is the teacher's error: raise it as itself
        _NOTEBOOK_GRADES.clear()  # keep only the latest: it holds the learner's function alive
        _NOTEBOOK_GRADES[key] = grade(check_backprop(function, activation, output), points)
    return _NOTEBOOK_GRADES[key]


def otter_check(
    env: dict[str, Any],
    gradient: str,
    function: str = "backward_propagation",
    activation: str = "tanh",
    output: str = "sigmoid",
    points: float = 4.0,
) -> None:
    """An Otter test case's body: AssertionError with the diagnosis unless ``gradient`` passed every problem.

    ``env`` is the notebook's global environment (Otter passes it to a test
    case's ``env`` argument); the function is looked up there by name.
    """
    found = env.get(function)
    if not callable(found):
        raise AssertionError(f"{function} is not defined: run the cell that defines it, then check again")
    result = _notebook_grade(found, activation, output, float(points), fresh=gradient == KEYS[0])
    test = next(test for test in result.tests if test.name == gradient)
    if not test.passed:
        told = any(text in result.headline for text in test.diagnosis)
        details = [gradient_text(test)] + ([] if told else [result.headline])
        raise AssertionError("\n".join(details + [f"isolation: {result.metadata['isolation']}", _version_line(result)]))


def nbgrader_score(
    backward_propagation: Callable[..., Any],
    points: float = 4.0,
    activation: str = "tanh",
    output: str = "sigmoid",
) -> float:
    """An nbgrader autograder cell's body: print the feedback (stdout) and return the points earned.

    Make it the cell's last expression: nbgrader reads a cell's final float
    as partial credit (give the cell the same points). Anything on stderr
    makes nbgrader give the cell 0, so the check's warnings (numpy's
    overflow in the learner's code, say) are caught and printed on stdout.
    """
    errors = io.StringIO()
    with contextlib.redirect_stderr(errors):
        result = grade(check_backprop(backward_propagation, activation, output), points)
    print(plain_output(result).rstrip())
    for test in result.tests:
        print(f"{test.name}: {test.score:g} of {test.max_score:g} points. {gradient_text(test)}")
    if errors.getvalue().strip():
        print("while checking, your code wrote on stderr:\n" + errors.getvalue().rstrip())
    return result.score
