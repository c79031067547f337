"""Name the mistake in a learner's gradients, or say where it must be.

For every problem the checker knows the true intermediates (Z1, A1, Z2, A2,
dZ2 = A2 - Y, g'(Z1), dZ1). From them this module builds "wrong" gradients,
each the result of one or two slips a course learner makes (missing 1/m,
1 - Z1**2 for tanh', a sum over axis 0, a transpose, dW2 where W2 belongs, a
bias gradient summed from the weight gradient, ...), and keeps the slips
that reproduce the learner's output on *every* problem. A slip that explains
one problem by coincidence fails on the next: the problems differ in m, n_x,
n_h and n_y, so a factor m, a transpose or a wrong axis cannot hide.

When no known slip fits, ``locate`` reads the pattern of right and wrong
gradients as a dependency graph of the six lines of the backward pass
(dZ2 feeds all four; dZ1 feeds dW1 and db1) and names the fewest lines that
explain it; ``implied_derivative`` undoes dW1 on the probe problem (X with
orthonormal columns) to read the dZ1 the code computed and the g'(Z1) it
implies, and names it when it is a simple expression in A1 or Z1.

A function that raised leaves no gradients to match; ``error_hints`` reads
its exception (numpy's shape errors with the shapes named n_x, n_h, n_y, m; a
name the loader skipped; NumPy 2's removed names; a template's None) and the
course-named arrays left in its frame.

Everything here is plain float64 numpy on concrete arrays: the learner's code
is not traceable, and the truth was computed beforehand by jax.grad.
"""

import itertools
import re
from dataclasses import dataclass
from functools import partial
from itertools import product
from typing import Any

import numpy as np

from . import mistakes
from .mistakes import MAX_SLIPS, right_slope_text
from .problems import PROBE_SCALE, dims_of, symbolic

KEYS = ("dW1", "db1", "dW2", "db2")
PARTNER = {"dW1": "dW2", "dW2": "dW1", "db1": "db2", "db2": "db1"}
# The six lines of the backward pass, and the lines each gradient is computed through.
LINES = ("dZ2", "dW2", "db2", "dZ1", "dW1", "db1")
PATHS: dict[str, set[str]] = {
    "dW2": {"dZ2", "dW2"},
    "db2": {"dZ2", "db2"},
    "dW1": {"dZ2", "dZ1", "dW1"},
    "db1": {"dZ2", "dZ1", "db1"},
}


@dataclass(frozen=True)
class Slip:
    """A row of the mistake table with its text filled in: how many slips it counts as, the line it is in.

    ``line`` is one of LINES; None means the line of the gradient being built.
    """

    text: str
    count: int = 1
    line: str | None = None


def _slip(row: mistakes.Mistake, **fields: Any) -> Slip:
    return Slip(row.fill(**fields), row.count, row.line)


@dataclass(frozen=True)
class Explanation:
    """Slips that together reproduce a learner's gradient on every problem, and the lines they are in."""

    text: str
    lines: frozenset


def _try(compute, *args):
    """compute(*args), or None where numpy refuses the shapes (the learner's code would have raised too)."""
    try:
        with np.errstate(all="ignore"):
            return compute(*args)
    except ValueError:
        return None


def _dZ1(W2, dZ2, g_prime):
    """dZ1 = W2ᵀ dZ2 * g'(Z1), or None where the shapes do not fit."""
    return _try(lambda: (W2.T @ dZ2) * g_prime)


def _rows(kind, activation="tanh", output="sigmoid"):
    """Week 3's rows of one kind that apply to the network."""
    base = activation.partition(":")[0]
    return [row for row in mistakes.rows_of("week3", kind) if row.applies(base, output)]


def slope_slips(activation, output="sigmoid"):
    """Wrong versions of g'(Z1): [(Slip, f(problem) -> (n_h, m) array or None)], from the table."""
    fields = mistakes.slope_words(activation)
    return [(_slip(row, **fields), partial(_slope, row, fields["base"])) for row in _rows("slope", activation, output)]


def _slope(row, base, problem):
    return _try(row.compute, problem, base)


def dz2_slips(output):
    """Wrong versions of dZ2 = A2 - Y: [(Slip, f(problem) -> array or None)], from the table."""
    return [(_slip(row), partial(_try, row.compute)) for row in _rows("dZ2", output=output)]


# (the upstream slip or None for none, [(dZ2, dZ1) per problem], the layers "1" "2" it changes)
Variant = tuple[Slip | None, list[tuple[Any, Any]], tuple[str, ...]]


def upstream_variants(problems, activation, output):
    """[(Slip or None, [(dZ2, dZ1) per problem], layers it touches)]; slips that change nothing are dropped."""
    variants: list[Variant] = [(None, [(problem.dZ2, problem.dZ1) for problem in problems], ("1", "2"))]
    for slip, wrong_dZ2 in dz2_slips(output):
        per_problem = []
        for problem in problems:
            dZ2 = wrong_dZ2(problem)
            dZ1 = None if dZ2 is None else _dZ1(problem.W2, dZ2, problem.g_prime)
            per_problem.append((dZ2, dZ1))
        variants.append((slip, per_problem, ("1", "2")))
    for slip, wrong_slope in slope_slips(activation, output):
        per_problem = [(problem.dZ2, _times(problem.W2.T @ problem.dZ2, wrong_slope(problem))) for problem in problems]
        if not all(_same(dZ1, problem.dZ1) for (_, dZ1), problem in zip(per_problem, problems)):
            variants.append((slip, per_problem, ("1",)))
    for row in _rows("weight"):
        per_problem = [(problem.dZ2, _dZ1(row.compute(problem), problem.dZ2, problem.g_prime)) for problem in problems]
        variants.append((_slip(row), per_problem, ("1",)))
    return variants


def _times(a, b):
    return None if b is None else _try(lambda: a * b)


def _same(a, b, tol=1e-12):
    if a is None or b is None or np.shape(a) != np.shape(b):
        return False
    return bool(np.linalg.norm(a - b) <= tol * max(np.linalg.norm(b), 1e-300))


# --- building each gradient from (dZ2, dZ1), right and wrong -------------------------


def builders(key):
    """[(Slip or None, f(dZ, problem) -> array or None)] for one gradient; dZ is dZ1 or dZ2 as the key needs.
    The first is the right formula; the others are the table's builders of that gradient."""
    layer = key[-1]
    gradient = "db" if key.startswith("db") else key
    found: list[tuple[Slip | None, Any]] = [(None, partial(_call_builder, mistakes.RIGHT_BUILDERS[gradient], layer))]
    for row in _rows("build"):
        if row.gradient == gradient:
            found.append((_slip(row, **mistakes.sum_words(layer)), partial(_call_builder, row.compute, layer)))
    return found


def _call_builder(compute, layer, dZ, problem):
    return compute(dZ, problem, layer)


SHAPE_OPS = [(None, lambda grad: grad)] + [(_slip(row), row.compute) for row in _rows("shape")]


# --- scale: the one number that separates many slips ---------------------------------


def scale_slip(factors, ms, tol):
    """Name the per-problem factors (user = factor * candidate), or return False when they tell no story."""
    named = [(lambda m: 1.0, None)] + [(row.compute, _slip(row)) for row in _rows("scale") if row.compute]
    for expected, slip in named:
        if all(abs(factor - expected(m)) <= tol * abs(expected(m)) for factor, m in zip(factors, ms)):
            return slip
    first = factors[0]
    if first != 0 and all(abs(factor - first) <= tol * abs(first) for factor in factors):
        return _slip(mistakes.row("week3", "an unexplained constant factor"), factor=first)
    return False


def fit_factor(user, candidate, tol):
    """The factor with user ~ factor * candidate (least squares), or None when the shapes or the pattern differ."""
    if candidate is None or np.shape(user) != np.shape(candidate):
        return None
    norm_squared = float(np.vdot(candidate, candidate))
    if norm_squared == 0.0 or not np.isfinite(norm_squared):
        return None
    factor = float(np.vdot(user, candidate)) / norm_squared
    if factor == 0.0 or np.linalg.norm(user - factor * candidate) > tol * abs(factor) * np.sqrt(norm_squared):
        return None
    return factor


# --- the search -----------------------------------------------------------------------


def _candidates(key, problems, variants):
    """Yield (slips, [candidate per problem]) for every mix of upstream slip, builder, shape op and swap."""
    for source in (key, PARTNER[key]):
        swap = (
            None
            if source == key
            else _slip(mistakes.row("week3", "gradients swapped between layers"), key=key, source=source)
        )
        layer = source[-1]
        for (upstream, per_problem, touches), (build, formula), (op, reshape) in product(
            variants, builders(source), SHAPE_OPS
        ):
            if upstream is not None and layer not in touches:
                continue
            slips = [slip for slip in (upstream, build, op, swap) if slip is not None]
            if sum(slip.count for slip in slips) > MAX_SLIPS:
                continue
            arrays = []
            for (dZ2, dZ1), problem in zip(per_problem, problems):
                dZ = dZ1 if layer == "1" else dZ2
                built = None if dZ is None else _try(formula, dZ, problem)
                arrays.append(None if built is None else _try(reshape, np.asarray(built)))
            yield slips, arrays


def explain(key, user, problems, variants, tol):
    """The simplest explanations of the learner's ``key`` over every problem that returned it.

    ``user`` maps problem index -> float64 array. Returns Explanations (one per
    explanation found at the smallest slip count; several when several fit),
    empty when none fits.
    """
    indices = sorted(user)
    ms = [problems[i].m for i in indices]
    found: dict[int, dict[str, frozenset[str]]] = {}  # slip count -> {text: lines}
    for slips, arrays in _candidates(key, problems, variants):
        factors = [fit_factor(user[i], arrays[i], tol) for i in indices]
        if any(factor is None for factor in factors):
            continue
        scale = scale_slip(factors, ms, 10 * tol)
        if scale is False:
            continue
        slips = slips + ([scale] if scale is not None else [])
        count = sum(slip.count for slip in slips)
        if count and count <= MAX_SLIPS:
            text = "; and ".join(slip.text for slip in slips)
            found.setdefault(count, {}).setdefault(text, frozenset(slip.line or key for slip in slips))
    if not found:
        return []
    return [Explanation(text, lines) for text, lines in found[min(found)].items()]


def group(found):
    """{key: KeyDiagnosis} -> Diagnoses "dW1, db1: text", one per distinct explanation (several: numbered)."""
    by_text: dict[str, list[str]] = {}
    kinds: dict[str, str] = {}
    lines_of: dict[str, frozenset[str]] = {}
    for key in KEYS:
        diagnosis = found.get(key)
        if diagnosis is None or not diagnosis.texts:
            continue
        texts = diagnosis.texts
        text = (
            texts[0]
            if len(texts) == 1
            else "several explanations fit: " + " | ".join(f"({number}) {text}" for number, text in enumerate(texts, 1))
        )
        by_text.setdefault(text, []).append(key)
        kinds.setdefault(text, diagnosis.kind)
        lines_of.setdefault(text, diagnosis.lines or frozenset())
    lines = [
        mistakes.Diagnosis(f"{', '.join(keys)}: {text}", kinds[text], tuple(keys), lines_of[text])
        for text, keys in by_text.items()
    ]
    sign = mistakes.row("week3", "sign flipped").text
    if all(found.get(k) is not None and found[k].texts == [sign] for k in KEYS):
        lines.append(mistakes.Diagnosis(mistakes.row("week3", "all four signs flipped").text, "mistake", KEYS))
    return lines


# --- where a mistake no slip names must be ---------------------------------------------


def line_text(line, activation):
    """The course's form of one line of the backward pass."""
    return {
        "dZ2": "dZ2 = A2 - Y",
        "dW2": "dW2 = np.dot(dZ2, A1.T) / m",
        "db2": "db2 = np.sum(dZ2, axis=1, keepdims=True) / m",
        "dZ1": f"dZ1 = np.dot(W2.T, dZ2) * ({right_slope_text(activation)})",
        "dW1": "dW1 = np.dot(dZ1, X.T) / m",
        "db1": "db1 = np.sum(dZ1, axis=1, keepdims=True) / m",
    }[line]


def wrong_lines(right, known, unknown):
    """The smallest sets of wrong lines that explain which gradients are right and wrong.

    ``right``: gradients that passed (every line on their path is right);
    ``known``: {gradient: lines its explanation names} (those lines wrong, the
    rest of its path right); ``unknown``: gradients wrong for no known reason
    (some line on their path is wrong). Returns the minimal sets, each minus
    the lines already named, as sorted tuples (empty list: no set fits).
    """
    named = set().union(*known.values()) if known else set()
    fits = []
    for size in range(len(LINES) + 1):
        for combination in itertools.combinations(LINES, size):
            wrong = set(combination)
            if any(wrong & PATHS[k] for k in right):
                continue
            if any(not lines <= wrong or wrong & (PATHS[k] - lines) for k, lines in known.items()):
                continue
            if all(wrong & PATHS[k] for k in unknown):
                fits.append(tuple(line for line in LINES if line in wrong - named))
        if fits:
            return list(dict.fromkeys(fits))
    return []


def _and(items):
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def locate(right, known, unknown, activation):
    """('where to look: ...', the fits) for the gradients no known slip explains; ('', []) when nothing fits."""
    fits = wrong_lines(right, known, unknown)
    if not fits or () in fits:  # nothing fits, or the lines already named explain it
        return "", []
    because = f"{_and(sorted(right, key=KEYS.index))} right" if right else "all four wrong"
    texts = [_and(line_text(line, activation) for line in fit) for fit in fits]
    dz1 = " (its factor np.dot(W2.T, dZ2), or g'(Z1))" if fits == [("dZ1",)] else ""
    if fits == [("dZ2",)]:
        dz1 = ", which all four gradients use"
    text = f"where to look ({_and(sorted(unknown, key=KEYS.index))} wrong, {because}): " + (
        f"the line {texts[0]}{dz1}" if len(texts) == 1 else "one of: " + " | ".join(texts)
    )
    return text, fits


# Element-wise derivatives seen in learners' code, in the course's notation, for naming an implied g'(Z1).
DERIVATIVE_FORMS = [
    ("1/A1", lambda problem: 1 / problem.A1),
    ("1 / (1 - A1**2)", lambda problem: 1 / (1 - problem.A1**2)),
    ("A1", lambda problem: problem.A1),
    ("Z1", lambda problem: problem.Z1),
    ("1/Z1", lambda problem: 1 / problem.Z1),
    ("1 - A1", lambda problem: 1 - problem.A1),
    ("1 + A1", lambda problem: 1 + problem.A1),
    ("1 + A1**2", lambda problem: 1 + problem.A1**2),
    ("A1**2", lambda problem: problem.A1**2),
    ("(1 - A1)**2", lambda problem: (1 - problem.A1) ** 2),
    ("2 * A1", lambda problem: 2 * problem.A1),
    ("-2 * A1", lambda problem: -2 * problem.A1),
    ("1 - 2 * A1", lambda problem: 1 - 2 * problem.A1),
    ("A1 * (1 + A1)", lambda problem: problem.A1 * (1 + problem.A1)),
    ("1 - np.tanh(A1)**2 (tanh applied twice)", lambda problem: 1 - np.tanh(problem.A1) ** 2),
    ("1 / np.cosh(Z1) (sech, not squared)", lambda problem: 1 / np.cosh(problem.Z1)),
    ("np.cosh(Z1)", lambda problem: np.cosh(problem.Z1)),
    ("np.exp(-Z1)", lambda problem: np.exp(-problem.Z1)),
    ("np.exp(Z1)", lambda problem: np.exp(problem.Z1)),
    ("(Z1 > 0)", lambda problem: (problem.Z1 > 0).astype(float)),
    ("(A1 > 0)", lambda problem: (problem.A1 > 0).astype(float)),
    ("1 - A1**2", lambda problem: 1 - problem.A1**2),
    ("A1 * (1 - A1)", lambda problem: problem.A1 * (1 - problem.A1)),
    ("1 - Z1**2", lambda problem: 1 - problem.Z1**2),
    ("Z1 * (1 - Z1)", lambda problem: problem.Z1 * (1 - problem.Z1)),
    ("1 (no factor)", lambda problem: np.ones_like(problem.Z1)),
]


def probe_dZ1(probe, dW1, tol):
    """The dZ1 the learner's dW1 on the probe comes from (dW1 = dZ1 Xᵀ / m), or None if no dZ1 gives it."""
    if dW1 is None or dW1.shape != (probe.n_h, probe.n_x):
        return None
    D = probe.m * dW1 @ probe.X / PROBE_SCALE**2
    if np.linalg.norm(D @ probe.X.T / probe.m - dW1) > tol * max(np.linalg.norm(dW1), 1e-300):
        return None
    return D


def implied_derivative(problems, user_dW1, user_db1, activation, tol):
    """What the learner's dZ1 line computes, read from their dW1 on the probe ('' when it cannot be read).

    dZ1 = m dW1 X / s² on the probe; divided by the true W2ᵀ dZ2 it gives the
    g'(Z1) the code applied. Named when it is one of DERIVATIVE_FORMS and the
    name reproduces the learner's dW1 and db1 on every problem; otherwise
    shown at one point beside the right value. ``user_dW1``, ``user_db1``
    map problem index -> the learner's array.
    """
    probes = [i for i, problem in enumerate(problems) if problem.case.probe]
    if not probes:
        return ""
    probe = problems[probes[0]]
    D = probe_dZ1(probe, user_dW1.get(probes[0]), tol)
    if D is None:
        return ""
    P = probe.W2.T @ probe.dZ2
    mask = np.abs(P) > 1e-6 * np.abs(P).max()
    if not mask.any():
        return ""
    implied = D[mask] / P[mask]
    right = right_slope_text(activation)
    for name, form in DERIVATIVE_FORMS:
        with np.errstate(all="ignore"):
            values = np.asarray(form(probe), dtype=float)[mask]
        if not np.all(np.isfinite(values)) or np.linalg.norm(implied - values) > tol * np.linalg.norm(values):
            continue
        if np.linalg.norm(values - probe.g_prime[mask]) <= tol * np.linalg.norm(values):
            return ""  # the right derivative: the mistake is not in g'(Z1)
        everywhere = all(
            _reproduces(problem, form, user_dW1.get(i), user_db1.get(i), tol) for i, problem in enumerate(problems)
        )
        return (
            f"your dZ1 line computes np.dot(W2.T, dZ2) * ({name}): the activation derivative is written "
            f"{name.split(' (')[0]}; {activation.partition(':')[0]}'(Z1) = {right}"
            + ("" if everywhere else " (read on the probe problem; the other problems do not all agree)")
        )
    # The factor W2ᵀ dZ2 wrong and g'(Z1) right: D / g'(Z1) is then k dZ2 for some k other than W2ᵀ.
    g_prime_mask = np.abs(probe.g_prime) > 1e-6
    if g_prime_mask.all() and probe.n_y == 1:
        Q = D / probe.g_prime
        k = Q @ probe.dZ2.T / float(np.vdot(probe.dZ2, probe.dZ2))
        if np.linalg.norm(k @ probe.dZ2 - Q) <= tol * max(np.linalg.norm(Q), 1e-300):
            return (
                "your dZ1 line has g'(Z1) right but multiplies dZ2 by something other than W2.T: "
                f"dZ1 = np.dot(W2.T, dZ2) * ({right}) needs the parameter W2"
            )
    i = np.unravel_index(np.argmax(np.abs(P) * mask), P.shape)
    return (
        f"your dZ1 line applies an activation derivative that is no simple expression in A1 or Z1: "
        f"where Z1 = {probe.Z1[i]:.3g}, np.dot(W2.T, dZ2) is multiplied by {D[i] / P[i]:.4g}, "
        f"where {activation.partition(':')[0]}'(Z1) = {probe.g_prime[i]:.4g}"
    )


def _reproduces(problem, form, dW1, db1, tol):
    """Whether dZ1 = W2ᵀ dZ2 * form gives the learner's dW1 and db1 on this problem (missing ones pass)."""
    with np.errstate(all="ignore"):
        dZ1 = (problem.W2.T @ problem.dZ2) * np.asarray(form(problem), dtype=float)
    built = {"dW1": dZ1 @ problem.X.T / problem.m, "db1": np.sum(dZ1, axis=1, keepdims=True) / problem.m}
    return all(user is None or _same(user, built[k], tol) for k, user in (("dW1", dW1), ("db1", db1)))


# --- a learner's function that raised -------------------------------------------------

_SHAPE = re.compile(r"\((\d+(?:\s*,\s*\d+)*)\s*,?\)")
# Names NumPy 2 removed that learners' code (written for NumPy 1) still uses, and what replaces them.
REMOVED_IN_NUMPY_2 = {
    "mat": "np.asmatrix (or better, plain arrays with np.dot or @)",
    "float": "float or np.float64",
    "int": "int or np.int64",
    "bool": "bool",
    "object": "object",
    "asscalar": "a.item()",
    "product": "np.prod",
    "alltrue": "np.all",
    "sometrue": "np.any",
    "cumproduct": "np.cumprod",
    "NaN": "np.nan",
    "Inf": "np.inf",
    "infty": "np.inf",
    "float_": "np.float64",
    "round_": "np.round",
}


def _shapes_in(message):
    return [tuple(int(n) for n in found.split(",") if n.strip()) for found in _SHAPE.findall(message)]


def numpy_error_hint(message, dims):
    """A hint for numpy's shape errors, with the shapes named n_x, n_h, n_y, m; '' when none applies."""
    shapes = _shapes_in(message)
    named = [symbolic(shape, dims) for shape in shapes]
    if "could not be broadcast" in message and len(shapes) >= 2:
        first, second = shapes[:2]
        if len(first) == 2 and len(second) == 2 and first[1] == second[0]:
            return mistakes.row("week3", "* where np.dot belongs, raising").fill(first=named[0], second=named[1])
        return f"an element-wise operation on {named[0]} and {named[1]}, shapes that do not match"
    if "not aligned" in message and len(shapes) >= 2:
        first, second = shapes[:2]
        if first == second:
            return mistakes.row("week3", "np.dot where * belongs").fill(first=named[0])
        return f"matrix product of {named[0]} and {named[1]}: the inner sizes differ; check the .T"
    sizes = re.search(r"size (\d+) is different from (\d+)", message)
    if "matmul" in message and sizes:
        first, second = (symbolic((int(n),), dims)[1:-2] for n in sizes.groups())
        return (
            f"matrix product (@) whose inner sizes differ ({first} vs {second}): several explanations fit: "
            f"the element-wise product (*) belongs there (matrix product where the element-wise product "
            f"belongs), or a .T is missing or misplaced"
        )
    return ""


def name_hint(name, skipped, problems):
    """Why a name the learner's function reads is not defined."""
    if name == "m":
        ms = ", ".join(str(problem.m) for problem in problems)
        return (
            f"your code reads m, which it never defines: m = X.shape[1] belongs inside the function "
            f"(m is the number of examples of each call: {ms} here)"
        )
    for entry in skipped:
        if name in entry["names"]:
            return f"{name} is defined at {entry['where']}, which the checker skipped: {entry['why']}; " + entry.get(
                "fix", f"define {name} inside the function, or without a call"
            )
    return (
        f"{name} is not defined: your file neither defines nor imports it where the checker can run it "
        "(imports, def and class statements, assignments that call nothing)"
    )


def error_hints(error, problem, skipped, problems, memory_mb):
    """Hints from one error record (checker.call.describe_error) of the learner's code."""
    kind, message = error["type"], error["message"]
    if kind == "KeyError" and error.get("key"):
        key = error["key"].strip("'\"")
        course = {k.lower(): k for k in ("W1", "b1", "W2", "b2", "Z1", "A1", "Z2", "A2")}
        case_hint = (
            f" (keys are case-sensitive: {course[key.lower()]!r}, not {key!r})"
            if key.lower() in course and key != course[key.lower()]
            else ""
        )
        return [
            f"your code looks up {error['key']}; the cache holds Z1 A1 Z2 A2, the parameters W1 b1 W2 b2{case_hint}"
        ]
    if kind in ("NameError", "UnboundLocalError") and error.get("name"):
        return [name_hint(error["name"], skipped, problems)]
    removed = re.match(r"module 'numpy' has no attribute '(\w+)'", message) or re.match(
        r"`np\.(\w+)` was removed in the NumPy 2", message
    )
    if kind == "AttributeError" and removed:
        name = removed.group(1)
        instead = REMOVED_IN_NUMPY_2.get(name)
        return [
            f"np.{name} does not exist in NumPy {np.__version__}"
            + (f": NumPy 2 removed it; use {instead}" if instead else "")
        ]
    if kind == "AttributeError" and message.startswith("'dict' object has no attribute"):
        return [
            "a dict where an array belongs: does your function take the course's arguments in the course's "
            "order (parameters, cache, X, Y)?"
        ]
    if kind in ("TypeError", "AttributeError") and "NoneType" in message:
        nones = error.get("none_locals") or []
        if nones:
            return [
                f"your {_and(nones)} {'is' if len(nones) == 1 else 'are'} None: the template's "
                f"{_and(f'{n} = None' for n in nones)} {'is' if len(nones) == 1 else 'are'} not filled in yet"
            ]
        return ["an operation on None: a line of the template (... = None) not filled in yet?"]
    if kind == "MemoryError":
        return [f"your code ran out of memory: the checker's memory limit is {memory_mb} MB (--memory)"]
    if kind == "SystemExit":
        return ["your function called sys.exit(): the checker stopped it there; return the gradients instead"]
    hint = numpy_error_hint(message, dims_of(problem.case))
    return [hint] if hint else []


def locals_hints(arrays, problem, variants_dz2):
    """Course-named arrays in the learner's frame that are wrong, named after what they hold."""
    truth = {k: getattr(problem, k) for k in ("X", "Y", "W1", "b1", "W2", "b2", "Z1", "A1", "Z2", "A2", "dZ2", "dZ1")}
    hints = []
    for name, right in truth.items():
        value = arrays.get(name)
        if value is None or not np.issubdtype(value.dtype, np.floating):
            continue
        # Round-off of the learner's dtype (float32 code) is not a mistake.
        tol = max(1e-9, 1000 * np.finfo(value.dtype).eps)
        value = np.asarray(value, dtype=float)
        if _same(value, right, tol):
            continue
        holds = [other for other, v in truth.items() if other != name and _same(value, v, tol)]
        found = [f"your {name} holds {other}'s values" for other in holds[:1]]
        if name == "dZ2" and not found:
            found = [slip.text for slip, wrong_dZ2 in variants_dz2 if _same(value, wrong_dZ2(problem), tol)]
        if not found:
            dims = dims_of(problem.case)
            found = [
                f"your {name} has shape {symbolic(value.shape, dims)} where {symbolic(right.shape, dims)} belongs"
                if value.shape != right.shape
                else f"your {name} has the right shape but wrong values"
            ]
        hints += found
    return hints
