"""The project's one strict number grammar: the checker's flags, shallownet's flags and CSV cells read numbers alike.

Python's int() and float() also take "1_000", "infinity", "nan", " 5\\n" and non-ASCII digits ("١٢"), none of
which a data file or a flag means as a number. The standard library only: the checker imports nothing of
shallownet (tests/test_independence.py), so the grammar lives here and shallownet's config and data import it;
``shallownet --help`` and ``import checker.numbers`` stay fast.
"""

import argparse
import decimal
import math
import re
from collections.abc import Callable
from typing import Any

# [0-9], not \d: \d matches every Unicode digit.
NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_WORDS = {
    **dict.fromkeys(("nan", "+nan", "-nan"), "NaN"),
    **dict.fromkeys(("inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"), "infinite value"),
}
_MISSING_WORDS = {"na", "n/a", "null", "none", "nil", "?", "-", "#n/a"}


def number_problem(text: str) -> str | None:
    """Why ``text`` is not a finite number (a short phrase), or None when it is one (spaces around it allowed)."""
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


def argument(
    kind: str = "finite number", low: float | None = None, above: bool = False, high: float | None = None
) -> Callable[[str], Any]:
    """An argparse type reading a finite number or, for kind "whole number", one with no fractional part ("1e6"
    and "2.0" are whole); with ``low``, one >= low (> low with ``above``); with ``high``, one <= high. Its
    message is one line, which argparse prefixes with the flag."""

    def parse(text: str) -> float | int:
        cell = text.strip()
        problem = number_problem(cell)
        # Decimal reads the grammar's text exactly: 1e30 is 10**30 and 1.0000000000000000001 is not whole,
        # where float() would round both.
        whole = decimal.Decimal(cell) if problem is None and kind == "whole number" else None
        if whole is not None and whole != whole.to_integral_value():
            problem = f"{cell!r} is not a whole number"
        if problem is not None:
            said = problem if repr(cell) in problem else f"{cell!r} is not a {kind} ({problem})"
            raise argparse.ArgumentTypeError(said)
        value = float(cell) if whole is None else int(whole)
        too_low = low is not None and (value <= low if above else value < low)
        if too_low or (high is not None and value > high):
            bounds = [f"{'>' if above else '>='} {_shown(low)}"] if low is not None else []
            bounds += [f"<= {_shown(high)}"] if high is not None else []
            raise argparse.ArgumentTypeError(f"must be a {kind} {' and '.join(bounds)}, got {cell}")
        return value

    return parse


def _shown(bound: float) -> str:
    """A bound as the grammar would read it back: 86400, not 86,400 or 86400.0."""
    return str(int(bound)) if float(bound).is_integer() and abs(bound) < 2**53 else f"{bound:g}"


whole_argument = argument("whole number")  # "5000", "1e6", "2.0"; not "1_000", "2.5"
number_argument = argument("finite number")
positive_argument = argument("finite number", low=0, above=True)  # the checker's --points
count_argument = argument("whole number", low=0)  # --seed, --show-output
positive_count_argument = argument("whole number", low=0, above=True)  # --jobs
