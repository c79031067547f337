"""Check a file of an assignment problem (cs231n's TwoLayerNet.loss, the course's week-2 propagate).

The file's code runs in the child every problem's file runs in (checker.run.run_child,
checker.child); it is called on each of the problem's draws
(checker.assignments) and what comes back is judged here against jax.grad of
the reference cost. Every returned key (the gradients, the loss or cost,
cs231n's scores) is judged by value: lists and np.matrix are read with
np.asarray; its shape must be the parameter's, except that an np.matrix,
always 2-D, may hold a vector as (1, n) and a Python number is a scalar.
The mistakes are named from the one table (checker.mistakes).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .assignments import Instance, Problem
from .judge import MATCH_TOLERANCES, Row, judge_row, near_miss, relative_error, scaled_error, within
from .mistakes import Diagnosis, Mistake, rows_of, words

MATCH_TOL = MATCH_TOLERANCES["float64"]  # a known mistake's variant explains a result within this
SHAPE_RULE = (
    "values read with np.asarray (lists, np.matrix, Python numbers); a shape must be the parameter's, "
    "except that an np.matrix (always 2-D) may hold a vector as (1, n)"
)


# --- what came back ---------------------------------------------------------------------------


@dataclass
class Value:
    array: np.ndarray | None
    was: str = ""
    why: str = ""  # why there is no array


def read_value(described: Any) -> Value:
    if isinstance(described, dict) and isinstance(described.get("array"), np.ndarray):
        return Value(np.asarray(described["array"], dtype=np.float64), str(described.get("was", ""))[:20])
    kind = str(described.get("type", "?"))[:40] if isinstance(described, dict) else "?"
    return Value(None, why=f"a {kind}, not a number or an array")


def read_output(problem: Problem, output: Any) -> tuple[dict[str, Value], str]:
    """({key: Value}, a problem with the returned structure or '') from one call's described output."""
    keys = problem.gradient_keys + (problem.value_key,)
    if not isinstance(output, dict):
        return {}, "nothing readable came back"
    items = output.get("items") if isinstance(output.get("items"), list) else None
    if output.get("kind") in ("tuple", "list") and items is not None:
        length = int(output.get("length", len(items)))
        dicts = [item for item in items if isinstance(item, dict) and item.get("kind") == "dict"]
        values = [item["value"] for item in items if isinstance(item, dict) and item.get("kind") == "value"]
        if length != 2 or len(dicts) != 1 or len(values) != 1:
            return {}, f"a {output.get('kind')} of {length} values came back; 2 belong: {problem.reads}"
        entries: dict = dicts[0]["entries"] if isinstance(dicts[0].get("entries"), dict) else {}
        found = {key: read_value(entries[key]) for key in problem.gradient_keys if key in entries}
        found[problem.value_key] = read_value(values[0])
        missing = [key for key in keys if key not in found]
        note = (
            f"missing {', '.join(missing)} (keys returned: {', '.join(sorted(entries)) or 'none'})" if missing else ""
        )
        return found, note
    value: dict = output["value"] if isinstance(output.get("value"), dict) else {}
    what = value.get("was") or value.get("type") or output.get("kind")
    if isinstance(value.get("array"), np.ndarray):
        what = f"{what} of shape {value['array'].shape}"
    return {}, f"a {what} came back; {problem.reads}"


# --- judging one key --------------------------------------------------------------------------


def shape_ok(value: Value, expected: tuple) -> bool:
    shape = value.array.shape if value.array is not None else None
    if shape == expected:
        return True
    if value.was in ("float", "int") and expected == ():
        return True
    return value.was == "np.matrix" and len(expected) == 1 and shape == (1, expected[0])


def value_error(value: Value, truth: np.ndarray, scale: np.ndarray | None = None) -> float | None:
    """The values' error (reshaped to the truth's shape when the sizes agree): relative, or over ``scale`` (the
    verdict's figure, checker.judge.scaled_error); None if the sizes differ."""
    if value.array is None or value.array.size != truth.size:
        return None
    values = value.array.reshape(truth.shape)
    return relative_error(values, truth) if scale is None else scaled_error(values, truth, scale)


# --- the report -------------------------------------------------------------------------------


def _keys(problem: Problem) -> tuple[str, ...]:
    return problem.gradient_keys + (problem.value_key,) + (("scores",) if problem.name == "cs231n" else ())


def _verdict(value: Value, instance: Instance, key: str) -> tuple[float | None, bool]:
    """(the error over the result's scale, whether it is right: the one rule, checker.judge, and the shape)."""
    truth = np.asarray(instance.truth[key])
    error = value_error(value, truth, np.asarray(instance.scale[key]))
    return error, within(error) and value.array is not None and shape_ok(value, truth.shape)


def judge(problem: Problem, draws: Sequence[Instance], got: list[dict[str, Value]]) -> list[Row]:
    """Each result over the draws, by the one judge (checker.judge.judge_row)."""
    rows = []
    for key in _keys(problem):
        truths = [np.asarray(instance.truth[key]) for instance in draws]
        values = [values.get(key, Value(None, why="not returned")) for values in got]
        shapes = [
            f"{value.array.shape} want {truth.shape}"
            for value, truth in zip(values, truths, strict=True)
            if value.array is not None and not shape_ok(value, truth.shape)
        ]
        missing = [str(i + 1) for i, value in enumerate(values) if value.array is None]
        shape = shapes[0] if shapes else "ok"
        if missing:
            shape = "not returned" if len(missing) == len(got) else f"none on draw {', '.join(missing)}"
        arrays = [
            value.array.reshape(truth.shape) if value.array is not None and shape_ok(value, truth.shape) else None
            for value, truth in zip(values, truths, strict=True)
        ]
        scales = [np.asarray(instance.scale[key]) for instance in draws]
        rows.append(judge_row(key, (shape, not shapes), arrays, truths, scales, returned=len(missing) < len(got)))
    return rows


def _worst(errors: list[float | None]) -> float | None:
    return max((e for e in errors if e is not None), default=None)


# --- naming the mistakes ----------------------------------------------------------------------


def _close(error: float | None) -> bool:
    """A mistake's variant reproduces a result (MATCH_TOL, relative)."""
    return error is not None and error <= MATCH_TOL


def _explains_value(row: Mistake, key: str, problem: Problem, draws: Sequence[Instance], got: list) -> bool:
    seen = differs = False
    for instance, values in zip(draws, got, strict=True):
        value = values.get(key)
        if value is None or value.array is None:
            continue
        assert row.compute is not None  # a "value" row
        alternatives = [alt[key] for alt in row.compute(instance, problem) if key in alt]
        if not alternatives:
            return False
        truth = np.asarray(instance.truth[key])
        matching = [np.asarray(a) for a in alternatives if _close(value_error(value, np.asarray(a)))]
        if not matching:
            return False
        seen = True
        differs |= any(relative_error(a, truth) > MATCH_TOL for a in matching)
    return seen and differs


def _explains_shape(row: Mistake, key: str, draws: Sequence[Instance], got: list) -> str | None:
    """The shape text the row names, when it explains the key on every draw that returned it."""
    shape_text = None
    for instance, values in zip(draws, got, strict=True):
        value = values.get(key)
        if value is None or value.array is None:
            continue
        assert row.compute is not None  # a "shape" row
        if not row.compute(key, value.array, value.was, np.asarray(instance.truth[key]), _close_arrays):
            return None
        shape_text = str(value.array.shape)
    return shape_text


def _close_arrays(a: np.ndarray, truth: np.ndarray) -> bool:
    return _close(value_error(Value(np.asarray(a)), truth))


def _right_draws(problem: Problem, draws: Sequence[Instance], got: list) -> list[bool]:
    """Per draw: every result right, in the right shape."""
    return [
        all(_verdict(values.get(key, Value(None)), instance, key)[1] for key in _keys(problem))
        for instance, values in zip(draws, got, strict=True)
    ]


def _explained(
    row: Mistake, wrong: set, problem: Problem, draws: Sequence[Instance], got: list, calls: list
) -> tuple[set, str]:
    """(the keys the row explains, its text filled) for a row of any kind but "value"."""
    ok = _right_draws(problem, draws, got)
    if row.kind == "draws" and not all(ok) and row.compute is not None and row.compute(draws, ok):
        return set(wrong), row.text
    if row.kind == "returns" and row.compute is not None and row.compute(calls):
        return set(wrong), row.fill(count=3)
    if row.kind == "raises" and (found := _assertion(problem, draws, calls)):
        return set(wrong), row.fill(line=found[0], right=found[1])
    explained, text = set(), row.text
    if row.kind == "shape":
        for key in wrong:
            shape = _explains_shape(row, key, draws, got)
            if shape is not None:
                explained.add(key)
                text = row.fill(shape=shape)
    return explained, text


def name_mistakes(problem: Problem, draws: Sequence[Instance], got: list, rows: list, calls: list) -> list[Diagnosis]:
    """The fewest table rows that explain the wrong keys, each a Diagnosis ("W1, b1: text")."""
    near = _near_misses(draws, got, rows)
    wrong = {row.name for row in rows if not row.passed} - {d.gradients[0] for d in near}
    if not wrong:
        return near
    fill = words(problem)
    candidates: list[tuple[int, int, int, str, set]] = []
    for order, row in enumerate(rows_of(problem.name)):
        conflicts = 0
        if row.kind == "value":
            explained = {key for key in wrong if _explains_value(row, key, problem, draws, got)}
            judged = set(problem.gradient_keys + (problem.value_key,)) - wrong
            conflicts = sum(_changes(row, key, problem, draws) for key in judged)
            text = row.fill(**fill)
        else:
            explained, text = _explained(row, wrong, problem, draws, got, calls)
        if explained:
            candidates.append((-len(explained), conflicts, order, text, explained))
    named, left = [], set(wrong)
    for _, _, _, text, explained in sorted(candidates, key=lambda c: c[:3]):
        if explained & left:
            keys = sorted(explained & left, key=_keys(problem).index)
            named.append(Diagnosis(f"{', '.join(keys)}: {text}", "mistake", tuple(keys)))
            left -= explained
    return named + near


def _near_misses(draws: Sequence[Instance], got: list, rows: list) -> list[Diagnosis]:
    """A wrong result right to a hair on every draw (finite differences give that, no formula does)."""
    found = []
    for row in rows:
        values = [values.get(row.name, Value(None)) for values in got]
        truths = [np.asarray(instance.truth[row.name]) for instance in draws]
        close = all(
            value.array is not None and shape_ok(value, truth.shape) and _close(value_error(value, truth))
            for value, truth in zip(values, truths, strict=True)
        )
        if not row.passed and close and row.error is not None:
            found.append(Diagnosis(f"{row.name}: {near_miss(row.name, row.error)}", "near miss", (row.name,)))
    return found


def _changes(row: Mistake, key: str, problem: Problem, draws: Sequence[Instance]) -> bool:
    """Whether the row's variant changes a key the learner got right (a conflict with that mistake)."""
    assert row.compute is not None  # a "value" row
    for instance in draws:
        for alt in row.compute(instance, problem):
            if key in alt and relative_error(np.asarray(alt[key]), np.asarray(instance.truth[key])) > MATCH_TOL:
                return True
    return False


def _truth(instance: Instance, key: str) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(instance.truth[key]), np.asarray(instance.scale[key])


def _assertion(problem: Problem, draws: Sequence[Instance], calls: list) -> tuple[str, str] | None:
    errors = [call.get("main", {}).get("error") for call in calls if call]
    if not errors or not all(isinstance(e, dict) and e.get("assertion") for e in errors):
        return None
    arrays = errors[0].get("locals") or {}
    right = [
        name
        for name in ("dw", "db", "cost")
        if isinstance(arrays.get(name), np.ndarray)
        and within(value_error(Value(arrays[name]), *_truth(draws[0], name)))
    ]
    where = str(errors[0].get("line") or "an assert")
    return where, (f" where your {', '.join(right)} {'is' if len(right) == 1 else 'are'} right" if right else "")
