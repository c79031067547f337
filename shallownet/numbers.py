"""The one strict number grammar: command-line flags and CSV cells read numbers the same way.

Python's float() also takes "1_000", "infinity", "nan" and non-ASCII digits, none of which a data file or a flag
means as a number. Imports nothing heavy: the command line's --help stays fast.
"""

import argparse
import math
import re
from collections.abc import Callable

NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_WORDS = {
    **dict.fromkeys(("nan", "+nan", "-nan"), "NaN"),
    **dict.fromkeys(("inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"), "infinite value"),
}
_MISSING_WORDS = {"na", "n/a", "null", "none", "nil", "?", "-", "#n/a"}


def number_problem(text: str) -> str | None:
    """Why ``text`` is not a finite number (a short phrase), or None when it is one."""
    cell = text.strip()
    if NUMBER.fullmatch(cell):
        return None if math.isfinite(float(cell)) else "infinite value (too large for float64)"
    if not cell or cell.lower() in _WORDS:
        return _WORDS.get(cell.lower(), "empty cell")
    if cell.lower() in _MISSING_WORDS:
        return f"{cell!r} is a missing value, not a number"
    hint = ""
    if "_" in cell:
        hint = " (no '_' digit separators)"
    elif any(char.isspace() for char in cell):
        hint = " (no spaces inside a number)"
    elif "," in cell:
        hint = " (a decimal comma? write 1.5, not 1,5)"
    return f"{cell!r} is not a number{hint}"


def _argument(kind: str) -> Callable[[str], float | int]:
    """An argparse type reading a finite number or, for kind "whole number", one with no fractional part."""

    def parse(text: str) -> float | int:
        cell = text.strip()
        problem = number_problem(cell)
        if problem is None and kind == "whole number" and not float(cell).is_integer():
            problem = f"{cell!r} is not a whole number"
        if problem is not None:
            said = problem if repr(cell) in problem else f"{cell!r} is not a {kind} ({problem})"
            raise argparse.ArgumentTypeError(said)
        if kind != "whole number":
            return float(cell)
        return int(cell) if re.fullmatch(r"[+-]?[0-9]+", cell) else int(float(cell))  # exact, however many digits

    return parse


whole_argument = _argument("whole number")  # "5000", "1e6"; not "1_000"
number_argument = _argument("finite number")
