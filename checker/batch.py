"""Many files at once (a teacher's class): each in its own child process, a line each, a CSV and a JSON.

One file's crash, hang or flood of output does not touch the others: each
gets its own process and its own limits (checker.run). ``jobs`` files run
side by side (threads here only wait on the children). Lines come out in
the order the files were given, as soon as every file before them is done.
"""

import contextlib
import csv
import hashlib
import io
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from typing import Any

from . import sandbox
from .check import FileResult, Settings, Submission, check_file, read_submission
from .files import Target
from .run import Captured, Limits, stop_children

CSV_COLUMNS = (
    "file",
    "verdict",
    "function",
    "failing",
    "message",
    "ended",
    "seconds",
    "output_lines",
    "notes",
    "isolation",
    "sha256",
)
PARTIAL = "INCOMPLETE"
CheckOne = Callable[
    [int, Submission, sandbox.Isolation, tuple[str, ...]], FileResult
]  # the verdict of the CSV's last row when the check was interrupted


class Interrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM, through the CLI) during a batch: ``results`` holds the files checked before it."""

    def __init__(self, results: list[FileResult], total: int) -> None:
        super().__init__(f"interrupted after {len(results)} of {total} files")
        self.results, self.total = results, total


def check_files(
    targets: Sequence[Target],
    settings: Settings = Settings(),
    limits: Limits = Limits(),
    form: str = "auto",
    jobs: int = 1,
    on_result: Callable[[int, FileResult], object] | None = None,
    progress: Any = None,
    *,
    isolation: sandbox.Isolation | str = "auto",
    hidden: Sequence[str] = (),
    check: "CheckOne | None" = None,
    helpers: frozenset = frozenset(),
) -> list[FileResult]:
    """[FileResult] for ``targets`` (checker.files.Target), in their order.

    Every file (and the helper modules it imports) is read and hashed before any learner code runs; each then
    runs in its own sandbox (``isolation``, see checker.sandbox), where no other submission, no folder of
    ``hidden`` (the report's) and none of the checker's packages is visible. ``on_result(i, result)`` is
    called in order as results become ready; ``progress`` is a tqdm-like object whose ``update(1)`` is called
    as each file finishes. Ctrl-C stops the children and raises Interrupted with the files done so far.
    ``helpers``: targets that are helper modules, not submissions (a file importing one gets a copy).
    ``check(i, submission, isolation, hidden)`` checks file i (default: week 3's check_file with ``settings``,
    ``limits`` and ``form``; checker.assignment_run's plan routes each file to its problem).
    """
    if isinstance(isolation, str):
        isolation = sandbox.isolation(isolation)
    if check is None:
        check = week3(settings, limits, form)
    # No submission travels to another; ``helpers`` (resolved paths of targets that define nothing checked) may.
    paths = frozenset(target.path.resolve() for target in targets)
    submissions = [read_submission(target, paths - helpers) for target in targets]
    folders = tuple(sorted({str(path.parent) for path in paths} | {os.path.realpath(h) for h in hidden}))
    results: list[FileResult] = []
    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    try:
        futures = [pool.submit(check, i, submission, isolation, folders) for i, submission in enumerate(submissions)]
        if progress is not None:
            for future in futures:
                future.add_done_callback(lambda _: progress.update(1))
        for i, future in enumerate(futures):  # in the files' order, each as soon as it and those before are done
            results.append(future.result())
            if on_result is not None:
                on_result(i, results[i])
    except KeyboardInterrupt:
        pool.shutdown(wait=False, cancel_futures=True)
        stop_children()
        pool.shutdown(wait=True)
        raise Interrupted(results, len(targets)) from None
    pool.shutdown(wait=True)
    for result, submission in zip(results, submissions):
        changed = changed_on_disk(submission)
        if changed:
            result.notes.append(changed)
    return results


def week3(settings: Settings, limits: Limits, form: str) -> CheckOne:
    """The check of one week-3 file (checker.check.check_file), its truth computed now, before the threads."""
    settings.problems()

    def check(i: int, submission: Submission, isolation: sandbox.Isolation, hidden: tuple[str, ...]) -> FileResult:
        return check_file(
            submission.target, settings, limits, form, isolation=isolation, submission=submission, hidden=hidden
        )

    return check


def changed_on_disk(submission: Submission) -> str:
    """A note when the file on disk is not what was read before any code ran (the check used what was read)."""
    if submission.source is None:
        return ""
    try:
        now = hashlib.sha256(submission.target.path.read_bytes().decode("utf-8-sig").encode("utf-8")).hexdigest()
    except (OSError, UnicodeDecodeError):
        now = "unreadable"
    if now == submission.source.sha256:
        return ""
    return (
        "this file changed on disk while the class was checked; the check used the copy read (sha256 "
        f"{submission.source.sha256[:12]}) before any code ran"
    )


def summary_line(result: FileResult, width: int = 0) -> str:
    """'FAIL  hw/bob.ipynb  dW1 db1  dW1, db1: activation derivative ...' (one line)."""
    failing = " ".join(result.failing) or "-"
    message = " ".join(result.message.split())
    return f"{result.verdict}  {result.target.ljust(width)}  {failing.ljust(15)}  {message}"


def totals_line(results: Sequence[FileResult]) -> str:
    passed = sum(result.passed for result in results)
    return f"{len(results)} file{'s' * (len(results) != 1)}: {passed} pass, {len(results) - passed} fail"


def row(result: FileResult) -> dict[str, Any]:
    """The CSV row of one file."""
    lines = sum(captured.lines for captured in (result.stdout, result.stderr) if captured is not None)
    return {
        "file": result.target,
        "verdict": result.verdict,
        "function": result.function or "",
        "failing": " ".join(result.failing),
        "message": result.message,
        "ended": result.ended or "",
        "seconds": f"{result.seconds:.2f}",
        "output_lines": lines,
        "notes": " | ".join(result.notes),
        "isolation": result.isolation,
        "sha256": result.sha256,
    }


def write_atomically(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it over ``path``: a reader sees the old
    file or the whole new one, never a half-written one, and a crash leaves no partial file."""
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix=".shallownet-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def write_csv(results: Sequence[FileResult], path: str | os.PathLike[str], total: int | None = None) -> None:
    """One row per file, CSV_COLUMNS, UTF-8 with a header (Excel reads it as it is), written atomically.

    ``total`` > len(results): the check was interrupted; a last row says so (verdict INCOMPLETE).
    """
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    writer.writerows(row(result) for result in results)
    if total is not None and total > len(results):
        writer.writerow({"file": "", "verdict": PARTIAL, "message": partial_line(len(results), total)})
    write_atomically(path, buffer.getvalue())


def partial_line(done: int, total: int) -> str:
    return f"the check was interrupted: {done} of {total} files checked; the others have no row"


def _captured(captured: Captured | None) -> dict[str, Any] | None:
    if captured is None:
        return None
    return {"lines": captured.lines, "bytes": captured.bytes, "head": captured.text, "truncated": captured.truncated}


def as_json(result: FileResult) -> dict[str, Any]:
    """Everything about one file: the CSV's fields, the per-gradient figures, the full report, the output."""
    report = result.report
    gradients = (
        []
        if report is None
        else [
            {
                "name": gradient.name,
                "shape": gradient.shape,
                "rel_autodiff": gradient.rel_autodiff,
                "rel_fd": gradient.rel_fd,
                "course_difference": gradient.course_difference,
                "error": gradient.error,
                "passed": gradient.passed,
                "diagnosis": gradient.diagnosis,
            }
            for gradient in report.rows
        ]
    )
    return {
        **row(result),
        "seconds": round(result.seconds, 3),
        "failing": result.failing,
        "notes": result.notes,
        "timed_out": result.timed_out,
        "problems": [] if report is None else report.problems,
        "diagnoses": [] if report is None else report.diagnoses,
        "gradients": gradients,
        "report": result.text(output_lines=0),
        "stdout": _captured(result.stdout),
        "stderr": _captured(result.stderr),
        "events": result.events,
        "seed": None if report is None else report.seed,
    }


def write_json(
    results: Sequence[FileResult],
    path: str | os.PathLike[str],
    settings: Settings | dict[str, Any],
    limits: Limits,
    total: int | None = None,
) -> None:
    """Everything, written atomically; ``total`` > len(results) marks it partial (an interrupted check).

    ``settings``: week 3's Settings, or a block already made (the assignments': problem, convention, seed).
    """
    partial = total is not None and total > len(results)
    block = settings if isinstance(settings, dict) else {**asdict(settings), "cases": [str(c) for c in settings.cases]}
    document: dict[str, Any] = {
        "settings": block,
        "limits": asdict(limits),
        "summary": totals_line(results),
        "partial": partial,
        "checked": len(results),
        "total": len(results) if total is None else total,
        "files": [as_json(result) for result in results],
    }
    if partial:
        document["summary"] += f"; {partial_line(len(results), total or 0)}"
    write_atomically(path, json.dumps(document, indent=2) + "\n")
