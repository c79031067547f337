"""The verdict on a returned result, one rule for every problem (week 3, cs231n, week 2).

A result is right on a draw when it has the right shape and its error,
||g - jax.grad|| / ||scale||, is within TOLERANCES of the precision it was
computed in. ``scale`` is the result's formula with every term made positive
(|dZ2| |A1|ᵀ / m for week 3's dW2, Σ|dZ2| / m for db2, |H1|ᵀ |dS| + 2 reg |W2|
for cs231n's W2 ...; each problem's instances give it): rounding errs by a
few units of the dtype's precision times that, however much the sums cancel
(db2 = Σ(A2 - Y) / m can be near 0, where a plain relative error explodes).

The tolerances are measured, not guessed (tests/test_checker_tolerance.py
re-measures them on every corpus): right float64 formulas stay at or below
~1e-15 of the scale, finite differences of a cost land at ~1e-10 and above;
1e-12 lies between with orders of margin both sides. A float32 result is
judged at float32's own precision against the float64 truth. The course's
gradient-check figure (threshold 2e-7) is shown beside it, not judged by.
"""

from dataclasses import dataclass, field

import numpy as np

from . import mistakes

# error/scale a result must stay within, by the precision it was computed in (the least precise of inputs and
# results).
TOLERANCES = {"float64": 1e-12, "float32": 2e-6, "float16": 1e-2}
# A known mistake "explains" a learner's result when it reproduces it within this relative error.
MATCH_TOLERANCES = {"float64": 1e-6, "float32": 1e-3, "float16": 3e-2}
COURSE_THRESHOLD = 2e-7  # the course's figure, ||g - g_approx|| / (||g|| + ||g_approx||), shown beside


def norm(array: np.ndarray) -> float:
    return float(np.linalg.norm(np.ravel(array)))


def relative_error(value: np.ndarray, truth: np.ndarray) -> float:
    """||value - truth|| / ||truth|| (the tables' "vs autodiff" and "vs finite diff" columns)."""
    return norm(value - truth) / max(norm(truth), 1e-300)


def scaled_error(value: np.ndarray, truth: np.ndarray, scale: np.ndarray) -> float:
    """||value - truth|| / ||scale||: the figure the verdict reads."""
    return norm(value - truth) / max(norm(scale), norm(truth), 1e-300)


def course_difference(value: np.ndarray, approx: np.ndarray) -> float:
    """The course's gradient-check figure over the flattened vectors."""
    denominator = norm(value) + norm(approx)
    return norm(value - approx) / denominator if denominator else 0.0


def within(error: float | None, dtype: str = "float64") -> bool:
    """The rule: an error (scaled_error) within the tolerance of the precision computed in."""
    return error is not None and error <= TOLERANCES[dtype]


def least_precise(dtypes: list, dtype_in: str) -> str:
    """The dtype name whose tolerance applies: the least precise of inputs and returned results."""
    names = [np.dtype(dtype_in).name] + [np.dtype(dtype).name for dtype in dtypes]
    known = [name for name in names if name in TOLERANCES]
    return max(known, key=TOLERANCES.__getitem__) if known else "float64"


def rule_text(dtype: str) -> str:
    """The rule in words, for a report's header."""
    return (
        f"pass when error <= {TOLERANCES[dtype]:.0e} of the result's scale ({dtype}); the course's figure "
        f"(threshold {COURSE_THRESHOLD:.0e}) is shown beside"
    )


def near_miss(key: str, error: float, dtype: str = "float64") -> str:
    """Why a result within a hair of the truth is not a PASS, by the precision it was computed in (the table's
    rows of every problem)."""
    if dtype == "float64":
        return mistakes.row("every", "numeric differences").fill(key=key, error=error)
    return mistakes.row("every", "precision lost").fill(key=key, error=error, dtype=dtype, tolerance=TOLERANCES[dtype])


@dataclass
class Row:
    """One result over every draw (a week-3 gradient, an assignment's W1 or loss): the table's line, the verdict,
    the diagnosis; the fields checker.batch's JSON and checker.graders read."""

    name: str
    shape: str  # "(n_h, n_x) ok", "(n_x, n_h) want (n_h, n_x)", "not returned" ...
    shape_ok: bool  # every returned value had the right shape
    rel_autodiff: float | None  # ||g - jax.grad|| / ||jax.grad||, worst draw
    rel_fd: float | None  # ||g - fd|| / ||fd|| (week 3: finite differences beside the truth)
    course_difference: float | None  # ||g - fd|| / (||g|| + ||fd||), the course's figure
    passed: bool
    diagnosis: list = field(default_factory=list)
    # Right on every draw that returned it, but missing from some: not wrong, yet not verified either.
    right_where_returned: bool = False
    returned: bool = True  # came back, with some shape, from at least one draw
    error: float | None = None  # ||g - jax.grad|| / ||scale||: the figure the verdict reads
    problems_passed: int = 0  # draws on which it came back right, in the right shape (graders' partial credit)


def _worst(values: list[float]) -> float | None:
    return max(values) if values else None


def judge_row(
    name: str,
    shape: tuple[str, bool],
    values: list[np.ndarray | None],
    truths: list[np.ndarray],
    scales: list[np.ndarray],
    *,
    returned: bool,
    fds: list[np.ndarray] | None = None,
    dtype: str = "float64",
) -> Row:
    """The one judge: ``values`` per draw (None where none came back in the right shape, else read in the
    truth's shape), each right when its error is within the rule; passed when right on every draw."""
    good = [i for i, value in enumerate(values) if value is not None]
    errors = [scaled_error(values[i], truths[i], scales[i]) for i in good]  # type: ignore[arg-type]
    right = [within(error, dtype) for error in errors]
    relatives = [relative_error(values[i], truths[i]) for i in good]  # type: ignore[arg-type]
    rel_fd = course = None
    if fds is not None:
        rel_fd = _worst([relative_error(values[i], fds[i]) for i in good])  # type: ignore[arg-type]
        course = _worst([course_difference(values[i], fds[i]) for i in good])  # type: ignore[arg-type]
    where_returned = shape[1] and bool(good) and all(right)
    row = Row(name, shape[0], shape[1], _worst(relatives), rel_fd, course, where_returned and len(good) == len(values))
    row.right_where_returned, row.returned = where_returned, returned
    row.error, row.problems_passed = _worst(errors), sum(right)
    return row
