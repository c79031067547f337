"""Run an assignment file in its child process, judge it, and serve the command line (``--problem``).

``check_assignment_file(target, problem)`` returns the checker's FileResult
(verdict, one-line message, report, captured output, isolation, hash), so
the command's lines, CSV and JSON (checker.batch) serve these problems as
they serve the week-3 one. The file runs as a week-3 file does: in the
sandbox of checker.sandbox (checker.run.Child, started with the assignment
child's module), with a copy of the file and the helper modules it imports
in a private working folder, a scrubbed environment and the guard; what the
guard reports (autodiff, signals, processes) fails or notes it as there.
``plan`` is the command's hook: it picks each file's problem (``--problem
NAME``, or recognised from what the file defines) and gives checker.batch
the check of each file, or None when no file is an assignment's.
"""

import argparse
import re
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import files, sandbox
from .assignment_check import SHAPE_RULE, judge, name_mistakes, read_output, read_value
from .assignments import PROBLEMS, WEEK3, Problem, defines_a_checked_function, instances, recognise
from .check import FileResult, Submission, check_file, check_with
from .judge import COURSE_THRESHOLD, TOLERANCES
from .judge import rule_text as judge_rule
from .report import Report, not_derived
from .run import ChildRun, Limits, Place, run_child


def _clean(message: Any) -> dict:
    """A call's result with only dicts, lists, strings, numbers and arrays (what the judge reads)."""
    if isinstance(message, dict):
        return {str(k)[:80]: _clean(v) for k, v in list(message.items())[:60]}
    if isinstance(message, list):
        return [_clean(v) for v in message[:60]]  # type: ignore[return-value]
    if isinstance(message, (np.ndarray, str, int, float, bool)) or message is None:
        return message[:2000] if isinstance(message, str) else message  # type: ignore[return-value]
    raise ValueError("result")


def python2_helpers(
    helpers: Sequence[tuple[str, str]], folder: str = ""
) -> tuple[dict[str, dict[str, str]], list[str]]:
    """The helper modules (checker.files.helper_modules: (name.py, text)) that parse only as Python 2.

    ({module: {"filename" (in ``folder``; the child's working folder when ''), "source" rewritten by
    checker.files (print statements as calls)}}, notes). Python 3 helpers are imported as they are.
    """
    import ast
    import os

    rewritten_helpers, notes = {}, []
    for name, text in helpers:
        try:
            ast.parse(text)
            continue  # Python 3 already: imported as it is
        except (ValueError, MemoryError, RecursionError):
            continue
        except SyntaxError:
            pass
        rewritten, why = files.prepared(text, name)
        if rewritten is not None:
            rewritten_helpers[name.removesuffix(".py")] = {"filename": os.path.join(folder, name), "source": rewritten}
            notes += [f"helper module {note}" for note in why]
    return rewritten_helpers, notes


def run_assignment(source: files.Source, problem: Problem, limits: Limits, place: Place, seed: int | None) -> ChildRun:
    """The file's calls on each draw, in its child (checker.run.run_child, as every problem's file runs): one
    result per draw (None: not run), each the child's description of what came back."""
    helpers, _ = python2_helpers(place.files)
    request = {"problem": problem.name, "klass": problem.klass, "function": problem.function, "helpers": helpers}
    calls = [{"problem": problem.name, "inputs": instance.inputs} for instance in instances(problem, seed)]
    read = (_clean, lambda reply: _clean(reply.get("calls")))
    return run_child(source, {**request, "what": "draw"}, calls, limits, place, read, 2 * limits.timeout)


def _error_lines(problem: Problem, calls: list) -> list[str]:
    """Each distinct exception the learner's code raised, with the draw and the traceback's last lines."""
    lines, seen = [], set()
    for i, call in enumerate(calls):
        for part, what in (("main", "with y"), ("scores", "without y (the scores)")):
            error = (call or {}).get(part, {}).get("error") if isinstance(call, dict) else None
            if not isinstance(error, dict):
                continue
            text = f"{error.get('type')}: {error.get('message')}"
            if text in seen:
                continue
            seen.add(text)
            call_text = f"called {what} " if problem.name == "cs231n" else ""
            lines.append(f"raised {text} ({call_text}on draw {i + 1})")
            tail = str(error.get("traceback") or "").splitlines()[-4:]
            lines += [f"    {line}" for line in tail]
    return lines


def build(problem: Problem, why: str, name: str, run: ChildRun, notes: list[str], seed: int | None = None) -> Report:
    """The report on one file's calls; what the guard reported (run.events) fails it as in week 3."""
    draws = instances(problem, seed)
    calls = run.results
    got, structure = _results(problem, calls)
    notes = notes + sorted({str(call["note"]) for call in calls if isinstance(call, dict) and call.get("note")})
    rows = judge(problem, draws, got)
    diagnoses = name_mistakes(problem, draws, got, rows, [c or {} for c in calls])
    for row in rows:  # each result's own diagnoses, by the results each explains
        row.diagnosis = [text for text in diagnoses if row.name in text.gradients]
    problems = ([run.ended] if run.ended else []) + sorted(set(structure)) + _error_lines(problem, calls)
    reg = (
        f"; regularisation {problem.reg_kind} (--reg-convention {problem.reg_kind})"
        if problem.reg_kind != "none"
        else ""
    )
    texts = [instance.draw.text(problem) for instance in draws]
    header = [
        f"check of {name}: problem {problem.name} ({problem.title}), picked: {why}",
        f"called: {problem.signature}{reg}",
        f"{len(draws)} draws: " + "; ".join(texts),
        f"results read: {problem.reads}; {SHAPE_RULE}",
        f"{judge_rule('float64')} (error: against jax.grad of the reference cost)",
    ]
    if seed is not None:
        header.insert(2, f"draws from seed {seed} (--seed {seed} checks on the same draws)")
    gradients = [row for row in rows if row.name in problem.gradient_keys]
    conduct = not_derived(gradients, run.events)
    tolerance = TOLERANCES["float64"]
    return Report(
        name, "", problem.hidden or "", problem.output, tuple(texts), "float64", "float64", tolerance,
        COURSE_THRESHOLD, rows, None, problems, diagnoses, [], notes, run.ended, seed, conduct, header, problem.name,
    )  # fmt: skip


def _results(problem: Problem, calls: list) -> tuple[list[dict], list[str]]:
    """Each draw's results read ({key: Value}), and what was wrong with the returned structure."""
    got, structure = [], []
    for call in calls:
        main = call.get("main", {}) if isinstance(call, dict) else {}
        values, note = read_output(problem, main.get("output")) if "output" in main else ({}, "")
        if note:
            structure.append(note)
        if problem.name == "cs231n" and isinstance(call, dict) and "output" in call.get("scores", {}):
            output = call["scores"]["output"]
            values["scores"] = read_value(output.get("value") if isinstance(output, dict) else None)
        got.append(values)
    return got, structure


_ONE_OVER = re.compile(r"(?<![\w.])1\s*/\s*(?:m|N|num_\w+|X\.shape\[\d\])\b")


def _division_note(source: files.Source) -> list[str]:
    """A file read as Python 2 that writes 1/m: there it is 0 for an integer m; the checker runs Python 3."""
    python2 = any("Python 2" in note for note in source.notes)
    if python2 and any(_ONE_OVER.search(cell.source) for cell in source.cells):
        return [
            "this file reads as Python 2, where 1/m with an integer m is 0 (integer division); the checker runs "
            "Python 3, where it is 1/m: write 1.0 / m for Python 2"
        ]
    return []


def check_assignment_file(
    target: files.Target,
    problem: Problem,
    limits: Limits = Limits(),
    why: str = "--problem",
    *,
    isolation: sandbox.Isolation | str = "auto",
    submission: Submission | None = None,
    hidden: tuple[str, ...] = (),
    seed: int | None = None,
) -> FileResult:
    """Check one file as ``problem`` in a child process, by the one path of every problem's file
    (checker.check.check_with: ``isolation``, ``submission``, ``hidden`` as there); ``seed``: the draws' (None:
    fixed)."""

    def run(source: files.Source, place: Place) -> tuple[ChildRun, list[str]]:
        return run_assignment(source, problem, limits, place, seed), python2_helpers(place.files)[1]

    def judged(child: ChildRun, result: FileResult, source: files.Source) -> Report:
        notes = result.notes + _division_note(source)
        return build(problem, why, f"{result.function} in {target.path.name}", child, notes, seed)

    return check_with(target, problem.function, run, judged, isolation=isolation, submission=submission, hidden=hidden)


def pick(target: files.Target, forced: str, convention: str) -> tuple[Problem, str]:
    """(the problem a file is checked as, why): ``--problem NAME``, else recognised from what it defines.

    Files are read here, one after the other: ast.parse from several threads at once can fail in
    CPython 3.11 (SystemError: AST constructor recursion depth mismatch).
    """
    if forced in PROBLEMS:
        return PROBLEMS[forced].with_convention(convention), f"--problem {forced}"
    try:
        source = files.read_source(target.path)
    except files.FileProblem:
        return WEEK3, "unreadable"
    problem, why = recognise([cell.source for cell in source.cells])
    return problem.with_convention(convention), why


@dataclass(frozen=True)
class Plan:
    """Each file's problem and why, the seed of the draws: what checker.batch runs for each file."""

    picks: tuple[tuple[Problem, str], ...]  # (problem, why it was picked)
    helpers: frozenset[Path]  # targets that define no checked function: they may travel as helper modules
    seed: int
    settings: Any  # week 3's Settings (its network, dtype, problems), for the files that are week 3's
    limits: Limits
    form: str = "auto"  # week 3's --form

    def check(
        self, i: int, submission: Submission, isolation: sandbox.Isolation, hidden: tuple[str, ...]
    ) -> FileResult:
        problem, why = self.picks[i]
        target = submission.target
        if problem.name == WEEK3.name:
            return check_file(
                target, self.settings, self.limits, self.form, isolation=isolation, submission=submission, hidden=hidden
            )
        return check_assignment_file(
            target, problem, self.limits, why, isolation=isolation, submission=submission, hidden=hidden, seed=self.seed
        )

    @property
    def week3(self) -> bool:
        return any(problem.name == WEEK3.name for problem, _ in self.picks)

    def settings_block(self) -> dict[str, Any]:
        """The JSON's settings: the seed, the one tolerance, each problem's description (an assignment's draws);
        week 3's options (activation, output, dtype, its problems) when some file is week 3's, at the top as
        before and under "week3"."""
        block: dict[str, Any] = {"seed": self.seed, "tolerance": TOLERANCES["float64"], "problems": {}}
        for problem in dict.fromkeys(problem for problem, _ in self.picks):
            block["problems"][problem.name] = {
                "problem": problem.name,
                "title": problem.title,
                "reg_convention": problem.reg_kind if problem.reg_kind in ("full", "half") else None,
                "signature": problem.signature,
                "reads": problem.reads,
                "draws": self.draws(problem),
            }
        if self.week3:
            week3 = {**asdict(self.settings), "cases": [str(case) for case in self.settings.problems_cases()]}
            block = {**week3, **block, "week3": week3}
        return block

    def draws(self, problem: Problem) -> list[str]:
        if problem.name == WEEK3.name:
            return [str(case) for case in self.settings.problems_cases()]
        return [instance.draw.text(problem) for instance in instances(problem, self.seed)]


def plan(targets: Sequence[files.Target], args: argparse.Namespace, settings: Any, limits: Limits, seed: int) -> Plan:
    """Each file's problem, its truth computed here, before checker.batch's threads share it."""
    picks = tuple(pick(target, args.problem, args.reg_convention) for target in targets)
    for problem in {problem for problem, _ in picks}:
        if problem.name == WEEK3.name:
            settings.problems()
        else:
            instances(problem, seed)
    return Plan(picks, _helper_modules(targets), seed, settings, limits, getattr(args, "form", "auto"))


def _helper_modules(targets: Sequence[files.Target]) -> frozenset[Path]:
    """The targets that define none of the checked functions (a layer_utils.py beside the class's files): a
    submission that imports one gets a copy of it; a file that is a submission never travels to another."""
    found = set()
    for target in targets:
        try:
            source = files.read_source(target.path)
        except files.FileProblem:
            continue
        if not defines_a_checked_function([cell.source for cell in source.cells]):
            found.add(target.path.resolve())
    return frozenset(found)


# --- in this process: for code you trust (tests, your own notebook) -------------------------------


def load_in_process(path: str, problem: Problem) -> Any:
    """The class or function a file of ``problem`` defines, its definitions run in this process.

    Read as the child reads it (cells, Python 2 prints and names, helper modules beside the file),
    but with this process's rights: for files you trust. ``check_assignment_file`` isolates instead.
    """
    from . import assignment_child, load

    source = files.read_source(path)
    namespace: dict[str, Any] = {"__name__": load.NAMESPACE, "__file__": str(path), **assignment_child.PY2_NAMES}
    assignment_child._install_past()
    assignment_child.install_helpers(python2_helpers(files.helper_modules(source), source.folder)[0])
    sys.path.insert(0, source.folder)
    try:
        load.run_definitions(source.cells, namespace)
    finally:
        sys.path.remove(source.folder)
    user_files = {cell.filename for cell in source.cells}
    found, _ = assignment_child.find(namespace, problem.name, problem.klass, problem.function, user_files)
    return found


def check_in_process(obj: Any, problem: str | Problem, convention: str = "full", seed: int | None = None) -> Report:
    """Check a class (cs231n: its ``loss``) or a function (week 2: ``propagate``) of this process, on the fixed
    draws (``seed`` None) or on draws from ``seed``.

    >>> from checker.assignment_run import check_in_process
    >>> report = check_in_process(TwoLayerNet, "cs231n")      # doctest: +SKIP
    >>> print(report); assert report.passed                    # doctest: +SKIP
    """
    import copy

    from . import assignment_child

    chosen = (PROBLEMS[problem] if isinstance(problem, str) else problem).with_convention(convention)
    method = getattr(obj, chosen.function, obj) if isinstance(obj, type) else obj
    code = getattr(method, "__code__", None)
    user_files = {code.co_filename} if code is not None else set()
    calls = [
        assignment_child.call_problem(chosen.name, obj, copy.deepcopy(instance.inputs), user_files)
        for instance in instances(chosen, seed)
    ]
    name = getattr(obj, "__name__", "your code") + (f".{chosen.function}" if isinstance(obj, type) else "")
    run = ChildRun(results=[_clean(call) for call in calls])
    return build(chosen, "given in this process", name, run, [], seed)
