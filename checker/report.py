"""The verdict: the learner's arrays against the truth, the table, and what is wrong.

Everything here runs in the checker's own process, on arrays that came back
from the learner's function (copied out of the child process, or out of a
call in this process by check_backprop). The figures:

    relative error    ||g - jax.grad|| / ||jax.grad||          (and against finite differences)
    course difference ||g - g_approx|| / (||g|| + ||g_approx||) (threshold 2e-7, the course's)

taken at the worst problem, with the tolerance of the least precise dtype
the learner computed in. A gradient passes only when it came back, with the
right shape, from every problem, within both tolerances.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import diagnose, mistakes
from .diagnose import KEYS
from .judge import (
    COURSE_THRESHOLD,
    MATCH_TOLERANCES,
    TOLERANCES,
    Row,
    course_difference,
    judge_row,
    least_precise,
    near_miss,
    relative_error,
)
from .mistakes import Diagnosis
from .problems import SYMBOLIC_SHAPES, Problem, dims_of, expected_shape, symbolic

# --- what one call gave --------------------------------------------------------------------


@dataclass
class Run:
    """One call of the learner's function, sorted: valid arrays by key, one-line problems, or the error."""

    grads: dict = field(default_factory=dict)  # key -> float64 copy of a valid array
    dtypes: dict = field(default_factory=dict)  # key -> the dtype the learner returned
    near: dict = field(default_factory=dict)  # missing key -> (the learner's key, float64 array)
    problems: list = field(default_factory=list)  # one-line texts
    error: dict | None = None  # checker.call.describe_error's record
    matrix: bool = False  # np.matrix values came back


def _value_problem(key, value):
    """A one-line text when a returned value cannot be a gradient array, else None."""
    if "array" not in value:
        kind = value["type"]
        if kind == "NoneType":
            return f"{key} is None: its formula is not written yet (the template's {key} = None?)"
        return f"{key} is a {kind}, not a numpy array"
    array = value["array"]
    if not np.issubdtype(array.dtype, np.floating):
        return f"{key} has dtype {array.dtype}; a gradient is a floating-point array (float64)"
    if not np.all(np.isfinite(array)):
        kind = "NaN" if np.isnan(array).any() else "inf"
        return f"{key} contains {kind} ({np.count_nonzero(~np.isfinite(array))} of {array.size} entries)"
    return None


def _near_key(key, keys):
    """'dw1' or 'W1' for 'dW1': the learner's key when it is almost right, else None."""
    for name in keys:
        if name.lower() == key.lower() or name == key[1:]:
            return name
    return None


def sort_result(result):
    """A Run from one call's result (checker.call.call_user's, cleaned); None (not run) gives an empty Run."""
    run = Run()
    if result is None:
        return run
    if "error" in result:
        run.error = result["error"]
        return run
    out = result["output"]
    if out["kind"] != "dict":
        hint = "; return the grads dict alone" if out.get("holds_dict") else ""
        run.problems.append(f"returned a {out['kind']}, not a dict with keys dW1 db1 dW2 db2{hint}")
        return run
    entries = out["entries"]
    for key in KEYS:
        if key not in entries:
            near = _near_key(key, entries)
            run.problems.append(f"the returned dict has no key {key!r}" + (f" (found {near!r})" if near else ""))
            if near and "array" in entries[near] and _value_problem(near, entries[near]) is None:
                run.near[key] = (near, entries[near]["array"].astype(np.float64))
            continue
        problem = _value_problem(key, entries[key])
        if problem:
            run.problems.append(problem)
            continue
        array = entries[key]["array"]
        run.matrix |= entries[key].get("matrix", False)
        run.dtypes[key] = array.dtype
        run.grads[key] = array.astype(np.float64)
    return run


# --- the table ---------------------------------------------------------------------------


def _worst(values):
    return max(values) if values else None


def _shape_text(key, runs, problems):
    """Symbolic shape for the table, from the first problem whose shape is wrong."""
    want = SYMBOLIC_SHAPES[key]
    for run, problem in zip(runs, problems):
        if key in run.grads and run.grads[key].shape != expected_shape(problem.case, key):
            return f"{symbolic(run.grads[key].shape, dims_of(problem.case))} want {want}", False
    got_any = any(key in run.grads for run in runs)
    return (f"{want} ok" if got_any else f"{want} -"), got_any


def gradient_row(key, runs, problems, dtype):
    """One gradient over the problems, by the one judge (checker.judge.judge_row)."""
    values = [
        run.grads[key] if key in run.grads and run.grads[key].shape == expected_shape(problem.case, key) else None
        for run, problem in zip(runs, problems)
    ]
    return judge_row(
        key,
        _shape_text(key, runs, problems),
        values,
        [problem.truth[key] for problem in problems],
        [problem.scale[key] for problem in problems],
        returned=any(key in run.grads for run in runs),
        fds=[problem.fd[key] for problem in problems],
        dtype=dtype,
    )


def overall_course_difference(runs, problems):
    """The course's figure with all four gradients flattened into one vector, worst problem."""
    worst = None
    for run, problem in zip(runs, problems):
        if any(k not in run.grads or run.grads[k].shape != problem.fd[k].shape for k in KEYS):
            return None
        flat = np.concatenate([run.grads[k].ravel() for k in KEYS])
        approx = np.concatenate([problem.fd[k].ravel() for k in KEYS])
        difference = course_difference(flat, approx)
        worst = difference if worst is None else max(worst, difference)
    return worst


# --- what is wrong ---------------------------------------------------------------------------


@dataclass
class KeyDiagnosis:
    """One failing gradient's texts, and what the location search may use."""

    texts: list
    lines: frozenset | None = None  # the lines its one explanation names
    unknown: bool = False  # wrong, with the right shapes, and no known slip fits
    kind: str = "mistake"  # the Diagnosis kind of its texts (checker.mistakes.KINDS)


def diagnose_key(key, row, runs, problems, variants, match_tol, dtype="float64"):
    """What is wrong with one failing gradient."""
    user = {i: run.grads[key] for i, run in enumerate(runs) if key in run.grads}
    if not user:
        near = [run.near.get(key) for run in runs]
        if all(near) and all(
            relative_error(array, problem.truth[key]) <= match_tol for (_, array), problem in zip(near, problems)
        ):
            return KeyDiagnosis([_told("the right values under a misspelt key", found=near[0][0], key=key)])
        return KeyDiagnosis([])
    if not any(np.any(array) for array in user.values()):
        return KeyDiagnosis([_told("a gradient all zeros", key=key)])
    right = [
        i
        for i in user
        if user[i].shape == problems[i].truth[key].shape
        and relative_error(user[i], problems[i].truth[key]) <= match_tol
    ]
    if len(right) == len(user) and len(user) < len(problems):
        ran = ", ".join(str(i + 1) for i in sorted(user))
        return KeyDiagnosis(
            [f"right on problems {ran}; the other problems gave no gradient (see the problems listed)"], kind="partial"
        )
    if len(right) == len(user):
        error = row.error if row.error is not None else row.rel_autodiff
        return KeyDiagnosis([near_miss(key, error, dtype)], kind="near miss")
    found = diagnose.explain(key, user, problems, variants, match_tol)
    if found:
        return KeyDiagnosis([e.text for e in found], found[0].lines if len(found) == 1 else None)
    single = [i for i in user if problems[i].case.n_y == 1]
    if single and set(single) == set(right):
        return KeyDiagnosis([_told("code for one output unit only")], kind="one output")
    numbers = (
        f"relative error {row.rel_autodiff:.2e} vs autodiff, {row.rel_fd:.2e} vs finite differences"
        if row.rel_autodiff is not None
        else f"shape {row.shape}"
    )
    return KeyDiagnosis([f"no known mistake matches ({numbers})"], unknown=row.shape_ok, kind="unknown")


def _told(name, **fields):
    """The text of one of week 3's "told" rows of the mistake table."""
    return mistakes.row("week3", name).fill(**fields)


def where_to_look(rows, found, runs, problems, activation, match_tol):
    """Lines that say where the mistakes no known slip names must be (and what dZ1 line the code has)."""
    unknown = {key for key, diagnosis in found.items() if diagnosis.unknown}
    if not unknown:
        return []
    right = {row.name for row in rows if row.passed}
    known = {key: diagnosis.lines for key, diagnosis in found.items() if diagnosis.lines is not None}
    text, fits = diagnose.locate(right, known, unknown, activation)
    named = tuple(sorted(unknown, key=KEYS.index))
    lines = [Diagnosis(text, "where", named, frozenset().union(*map(set, fits)))] if text else []
    if fits and any("dZ1" in fit for fit in fits) and not any("dZ2" in fit for fit in fits):
        user = {k: {i: run.grads[k] for i, run in enumerate(runs) if k in run.grads} for k in ("dW1", "db1")}
        implied = diagnose.implied_derivative(problems, user["dW1"], user["db1"], activation, match_tol)
        lines += [Diagnosis(implied, "implied", ("dW1", "db1"), frozenset({"dZ1"}))] if implied else []
    return lines


def _pattern(text):
    """A text with its numbers blanked: the same slip on problems of other sizes."""
    return re.sub(r"\d+", "#", str(text))


def error_lines(runs, problems, output, skipped, memory_mb):
    """Hints from the learner's exceptions and the course-named arrays left in their frame."""
    hints, patterns = [], set()
    for run, problem in zip(runs, problems):
        if run.error is None or _pattern(run.error["type"] + run.error["message"]) in patterns:
            continue
        patterns.add(_pattern(run.error["type"] + run.error["message"]))
        hints += diagnose.error_hints(run.error, problem, skipped, problems, memory_mb)
        hints += diagnose.locals_hints(run.error["locals"], problem, diagnose.dz2_slips(output))
    raised = [problem.case for run, problem in zip(runs, problems) if run.error is not None]
    if raised and all(case.n_y > 1 for case in raised) and any(problem.case.n_y == 1 for problem in problems):
        hints.append(_told("code that raises with several output units"))
    one_output = _told("code that raises with several output units")
    return [
        Diagnosis(f"raised: {hint}", "one output" if hint == one_output else "raised") for hint in dict.fromkeys(hints)
    ]


def problem_lines(runs):
    """Each distinct problem once (as first seen), with the problems (cases) it happened on."""
    seen: dict[str, tuple[str, list[int]]] = {}
    for i, run in enumerate(runs, 1):
        texts = list(run.problems)
        if run.error is not None:
            texts.append(f"raised {run.error['type']}: {run.error['message']}".rstrip(": "))
        for text in texts:
            seen.setdefault(_pattern(text), (text, []))[1].append(i)
    every = len(runs)
    return [
        f"{text} ({'every problem' if len(numbers) == every else 'problems ' + ', '.join(map(str, numbers))})"
        for text, numbers in seen.values()
    ]


def tracebacks(fn_name, runs, problems):
    """The learner's own traceback, once per distinct error line, labelled as theirs."""
    shown, out = set(), []
    for run, problem in zip(runs, problems):
        if run.error is None or _pattern(run.error["type"] + run.error["message"]) in shown:
            continue
        shown.add(_pattern(run.error["type"] + run.error["message"]))
        out.append(
            f"--- traceback from your code ({fn_name}, problem {problem.case}) ---\n{run.error['traceback'].rstrip()}"
        )
    return out


# --- the report ---------------------------------------------------------------------------


@dataclass
class Report:
    """A check's result, for every problem; ``print(report)`` shows the table, ``report.passed`` is the verdict.

    Week 3's header is made from its fields (function, form, network, problems, dtypes); an assignment's
    (cs231n, week 2) comes in ``header``: the problem picked and why, the call, the draws, how results are read.
    """

    function: str
    form: str
    activation: str
    output: str
    cases: tuple  # week 3's problems, an assignment's draws (their texts)
    dtype_in: str
    dtype_out: str
    tolerance: float
    course_threshold: float
    rows: list
    overall_course_difference: float | None
    problems: list  # bad output, errors, a process that ended: one line each
    diagnoses: list  # Diagnosis values: "dW1, db1: what is wrong", "where to look: ..."
    tracebacks: list  # the learner's own tracebacks, labelled
    notes: list = field(default_factory=list)  # how the function was found and called, what was skipped
    ended: str | None = None  # how the learner's process ended early, if it did
    seed: int | None = None  # the seed the problems were drawn from (None: fixed problems)
    conduct: list = field(default_factory=list)  # what fails the file whatever its numbers (autodiff, signals)
    header: list = field(default_factory=list)  # an assignment's header lines
    problem: str = "week3"  # the problem's name (checker.assignments.PROBLEMS)

    @property
    def noun(self) -> str:
        return "gradients" if self.problem == "week3" else "results"

    @property
    def headline(self) -> str:
        """The one line that says most: that it passed, or the likeliest reason it failed."""
        if self.passed:
            return (
                "all four gradients are right" if self.problem == "week3" else f"all {len(self.rows)} results are right"
            )
        if self.conduct:
            return self.conduct[0]
        if self.ended:
            return self.ended
        if self.diagnoses:
            return mistakes.first(self.diagnoses)
        return self.problems[0] if self.problems else f"{', '.join(self.failing)} wrong"

    @property
    def passed(self) -> bool:
        return bool(self.rows) and all(row.passed for row in self.rows) and not self.problems and not self.conduct

    @property
    def failing(self) -> list[str]:
        return [row.name for row in self.rows if not row.passed]

    @property
    def result_line(self) -> str:
        return result_line(self)

    def row(self, name: str) -> Row:
        return next(row for row in self.rows if row.name == name)

    def __str__(self) -> str:
        return format_report(self)


def build_report(
    name: str,
    form: str,
    activation: str,
    output: str,
    problems: Sequence[Problem],
    runs: Sequence[Run],
    dtype_in: str,
    *,
    ended: str | None = None,
    skipped: Sequence[dict[str, Any]] = (),
    notes: Sequence[str] = (),
    memory_mb: int = 0,
    global_m: dict[str, Any] | None = None,
    events: Sequence[dict[str, str]] = (),
    seed: int | None = None,
) -> Report:
    """The Report on ``runs`` (one Run per problem); ``ended`` says how the child ended early, if it did."""
    dtype_out = least_precise([dtype for run in runs for dtype in run.dtypes.values()], dtype_in)
    tol, course_tol = TOLERANCES[dtype_out], COURSE_THRESHOLD
    match_tol = MATCH_TOLERANCES[dtype_out]
    rows = [gradient_row(k, runs, problems, dtype_out) for k in KEYS]
    variants = diagnose.upstream_variants(problems, activation, output)
    found = {
        row.name: diagnose_key(row.name, row, runs, problems, variants, match_tol, dtype_out)
        for row in rows
        if not row.passed
    }
    for row in rows:
        row.diagnosis = found[row.name].texts if row.name in found else []
    diagnoses = diagnose.group(found)
    diagnoses += where_to_look(rows, found, runs, problems, activation, match_tol)
    diagnoses += error_lines(runs, problems, output, list(skipped), memory_mb)
    if found:
        diagnoses += _module_m(global_m, runs, problems)
    conduct = not_derived(rows, events)
    problems_text = problem_lines(runs) + ([ended] if ended else [])
    notes = list(notes) + (
        ["your function returned np.matrix values (read as arrays)"] if any(run.matrix for run in runs) else []
    )
    return Report(
        name,
        form,
        activation,
        output,
        tuple(problem.case for problem in problems),
        dtype_in,
        dtype_out,
        tol,
        course_tol,
        rows,
        overall_course_difference(runs, problems),
        problems_text,
        diagnoses,
        tracebacks(name, runs, problems),
        notes,
        ended,
        seed,
        conduct,
    )


def _module_m(global_m: dict[str, Any] | None, runs: Sequence[Run], problems: Sequence[Problem]) -> list[Diagnosis]:
    """A function that reads a module-level m (unless a NameError for m already told it)."""
    read_m = any(run.error is not None and run.error.get("name") == "m" for run in runs)
    if not global_m or not global_m.get("functions") or read_m:
        return []
    value = f" (= {global_m['value']})" if global_m.get("value") else ""
    ms = ", ".join(str(problem.m) for problem in problems)
    functions = global_m["functions"]
    text = (
        f"{_names(functions)} read{'s' * (len(functions) == 1)} a module-level m{value}: inside the function m must "
        f"come from X.shape[1] (the problems have m = {ms})"
    )
    return [Diagnosis(text, "module m")]


def not_derived(rows: list[Row], events: Sequence[dict[str, str]]) -> list[str]:
    """Lines for what no formula derived (autodiff calls; signals sent): each fails the file. Marks the rows."""
    lines = []
    autodiff = list(dict.fromkeys(event["what"] for event in events if event["kind"] == "autodiff"))
    if autodiff:
        source = " and ".join(autodiff[:3])
        returned = [row for row in rows if row.returned]
        for row in returned:
            row.passed = False
            row.problems_passed = 0  # no credit on any problem either (graders read it)
            row.diagnosis = [f"{row.name} comes from {source}, not from a formula", *row.diagnosis]
        names = ", ".join(row.name for row in returned) or "the gradients"
        verb = "comes" if len(returned) == 1 else "come"
        lines.append(f"{names} {verb} from {source}, not from a formula: a PASS needs the formulas written by hand")
    imports = list(dict.fromkeys(event["what"] for event in events if event["kind"] == "import"))
    if imports:
        lines.append(
            f"your code imports {', '.join(imports[:3])}, the checker's own code (refused): a PASS needs the "
            "formulas written by hand"
        )
    kills = list(dict.fromkeys(event["what"] for event in events if event["kind"] == "kill"))
    if kills:
        lines.append(
            f"your code tried to send a signal ({', '.join(kills[:3])}); the checker refused it: code being "
            "checked may not signal any process"
        )
    return lines


def _names(functions):
    return ", ".join(functions)


# --- printing ---------------------------------------------------------------------------


def _fmt(x):
    return "-" if x is None else f"{x:.1e}"


def _cases_text(cases, seed=None):
    drawn = f" drawn from seed {seed}" if seed is not None else ""
    return f"{len(cases)} problems{drawn}, weights ~ N(0, 1): " + "; ".join(
        str(case).replace("(probe)", "(probe: X with orthonormal columns)") for case in cases
    )


def result_line(report: Report) -> str:
    """PASS, or FAIL with the failing results counted by kind: wrong, right only where returned, never returned."""
    if report.passed:
        return f"PASS, {report.headline}"
    failing = [row for row in report.rows if not row.passed]
    partial = sum(row.right_where_returned for row in failing)
    absent = sum(not row.returned for row in failing)
    wrong = len(failing) - partial - absent
    n, noun, where = len(report.rows), report.noun, "problems" if report.problem == "week3" else "draws"
    counts = [
        f"{wrong} of {n} {noun} wrong" if wrong else "",
        f"{partial} of {n} {noun} right only on the {where} where your code returned them" if partial else "",
        f"{absent} of {n} {noun} never returned" if absent else "",
    ]
    fallback = "for what the diagnosis says your code did" if report.conduct else "see the problems above"
    return "FAIL, " + ("; ".join(count for count in counts if count) or fallback)


def _header(report: Report) -> list[str]:
    """Week 3's header: the function and network, the problems, the dtypes and the rule."""
    thresholds = (
        f"error <= {report.tolerance:.0e} of the gradient's scale (one rule for every problem); the course "
        f"difference is shown beside it (the course's threshold {report.course_threshold:.0e})"
    )
    return [
        f"check of {report.function}: "
        + ("backward_propagation(parameters, cache, X, Y)" if report.form == "backward" else "grads(parameters, X, Y)")
        + f", activation {report.activation}, output {report.output}",
        _cases_text(report.cases, report.seed),
        f"your gradients are {report.dtype_out} (inputs {report.dtype_in}): pass when {thresholds}",
    ]


def format_report(report: Report) -> str:
    """The report as plain text: a header, the table, then problems, diagnoses and tracebacks."""
    lines = [f"note: {note}" for note in report.notes] + (report.header or _header(report)) + [""]
    name = "gradient" if report.problem == "week3" else "result"
    header = (name, "shape", "vs autodiff", "vs finite diff", "course difference", "error/scale", "verdict")
    table = [header] + [
        (
            row.name,
            row.shape,
            _fmt(row.rel_autodiff),
            _fmt(row.rel_fd),
            _fmt(row.course_difference),
            _fmt(row.error),
            "pass" if row.passed else "FAIL",
        )
        for row in report.rows
    ]
    widths = [max(len(cells[i]) for cells in table) for i in range(len(header))]
    lines += ["  ".join(cell.ljust(width) for cell, width in zip(cells, widths)).rstrip() for cells in table]
    if report.problem == "week3":
        lines += [
            "",
            f"course difference, all four flattened: {_fmt(report.overall_course_difference)} "
            f"(threshold {report.course_threshold:.0e})",
        ]
    if report.problems:
        lines += ["", "problems:"] + [f"  {line}" for line in report.problems]
    if report.conduct or report.diagnoses:
        lines += ["", "diagnosis:"] + [f"  {line}" for line in [*report.conduct, *report.diagnoses]]
    lines += ["", f"result: {result_line(report)}"]
    if report.tracebacks:
        lines += [""] + report.tracebacks
    return "\n".join(lines)
