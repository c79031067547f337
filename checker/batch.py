"""Many files at once (a teacher's class): each in its own child process, a line each, a CSV and a JSON.

One file's crash, hang or flood of output does not touch the others: each
gets its own process and its own limits (checker.run). ``jobs`` files run
side by side (threads here only wait on the children). Lines come out in
the order the files were given, as soon as every file before them is done.
"""

import csv
import json
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .check import FileResult, Settings, check_file
from .files import Target
from .run import Captured, Limits

CSV_COLUMNS = ("file", "verdict", "function", "failing", "message", "ended", "seconds", "output_lines", "notes")


def check_files(
    targets: Sequence[Target],
    settings: Settings = Settings(),
    limits: Limits = Limits(),
    form: str = "auto",
    jobs: int = 1,
    on_result: Callable[[int, FileResult], object] | None = None,
    progress: Any = None,
) -> list[FileResult]:
    """[FileResult] for ``targets`` (checker.files.Target), in their order.

    ``on_result(i, result)`` is called in order as results become ready;
    ``progress`` is a tqdm-like object whose ``update(1)`` is called as each file finishes.
    """
    settings.problems()  # the truth is computed once, here, before the threads share it
    results: list[FileResult] = []
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(check_file, target, settings, limits, form) for target in targets]
        if progress is not None:
            for future in futures:
                future.add_done_callback(lambda _: progress.update(1))
        for i, future in enumerate(futures):  # in the files' order, each as soon as it and those before are done
            results.append(future.result())
            if on_result is not None:
                on_result(i, results[i])
    return results


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
    }


def write_csv(results: Sequence[FileResult], path: str | os.PathLike[str]) -> None:
    """One row per file, CSV_COLUMNS, UTF-8 with a header (Excel reads it as it is)."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(row(result) for result in results)


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
    }


def write_json(results: Sequence[FileResult], path: str | os.PathLike[str], settings: Settings, limits: Limits) -> None:
    document = {
        "settings": {**asdict(settings), "cases": [str(case) for case in settings.cases]},
        "limits": asdict(limits),
        "summary": totals_line(results),
        "files": [as_json(result) for result in results],
    }
    Path(path).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
