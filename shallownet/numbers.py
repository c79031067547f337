"""The one strict number grammar: command-line flags and CSV cells read numbers the same way.

An optional sign, digits with an optional decimal point, an optional exponent;
surrounding spaces allowed. Python's float() also takes "1_000", "infinity",
"nan" and non-ASCII digits, none of which a data file or a flag means as a
number; ``number_problem`` says in a short phrase what the text is instead.
Used by shallownet.config (the flags of train and sweep), shallownet.data
(CSV cells), and meant for the checker's flags too (``--timeout nan``).
Imports nothing heavy: the command line's --help stays fast.
"""

import argparse
import math
import re
from collections.abc import Callable
from typing import Any

NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NAN_WORDS = {"nan", "+nan", "-nan"}
_INF_WORDS = {"inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"}
_MISSING_WORDS = {"na", "n/a", "null", "none", "nil", "?", "-", "#n/a"}


def number_problem(text: str) -> str | None:
    """Why ``text`` is not a finite number (a short phrase), or None when it is one."""
    cell = text.strip()
    if NUMBER.fullmatch(cell):
        return None if math.isfinite(float(cell)) else "infinite value (too large for float64)"
    low = cell.lower()
    if not cell:
        return "empty cell"
    if low in _NAN_WORDS:
        return "NaN"
    if low in _INF_WORDS:
        return "infinite value"
    if low in _MISSING_WORDS:
        return f"{cell!r} is a missing value, not a number"
    hint = ""
    if "_" in cell:
        hint = " (no '_' digit separators)"
    elif any(char.isspace() for char in cell):
        hint = " (no spaces inside a number)"
    elif "," in cell:
        hint = " (a decimal comma? write 1.5, not 1,5)"
    return f"{cell!r} is not a number{hint}"


def parse_number(text: str) -> float:
    """A finite float from ``text`` (see NUMBER); ValueError says why not."""
    problem = number_problem(text)
    if problem is not None:
        raise ValueError(problem)
    return float(text.strip())


def parse_whole(text: str) -> int:
    """An int from ``text``: a number with no fractional part ("5000", "1e6"); ValueError otherwise."""
    value = parse_number(text)
    cell = text.strip()
    if re.fullmatch(r"[+-]?[0-9]+", cell):
        return int(cell)  # exact, however many digits
    if not value.is_integer():
        raise ValueError(f"{cell!r} is not a whole number")
    return int(value)


def _strict(parse: Callable[[str], Any], kind: str) -> Callable[[str], Any]:
    """An argparse type that reads ``text`` with ``parse`` (the strict grammar above), naming what it expected."""

    def parse_text(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as e:
            said = str(e) if repr(text.strip()) in str(e) else f"{text.strip()!r} is not a {kind} ({e})"
            raise argparse.ArgumentTypeError(said) from None

    return parse_text


# argparse types: a whole number ("5000", "1e6"; not "1_000") and a finite number, in the grammar above.
whole_argument = _strict(parse_whole, "whole number")
number_argument = _strict(parse_number, "finite number")
