"""Check a user's own backprop against jax.grad and name the mistake.

The user's function (plain numpy, not traceable) runs on a few random
problems as concrete float64 numpy arrays. Its gradients are compared with the
truth, jax.grad of the reference cost, and with central finite differences
beside it; the course's own figure

    difference = ||g - g_approx|| / (||g|| + ||g_approx||)    (threshold 2e-7)

is printed so course users recognize it. A wrong gradient gets a diagnosis:
``reference.diagnose`` recomputes the gradients with known slips (missing 1/m,
1 - Z1**2, a sum over axis 0, ...) and names the slips that reproduce the
user's output on every problem.

Why these problems: m > 1 and n_x, n_h, n_y, m all different, so a transpose
or a wrong axis changes the shape; m differs between problems, so "off by a
factor m" is told apart from any constant; weights of scale 1, so tanh and
sigmoid leave their linear region (at the course's 0.01 scale, 1 - Z1**2 and
1 - A1**2 differ by ~5e-6 and a wrong derivative passes the course's own
check); and one problem has n_y = 3 output units. A course function that only
works for one output unit (``W2.T * dZ2``) raises there: the report says so,
and ``one_output=True`` checks the n_y = 1 problems alone.

Example, in a course notebook (hidden tanh, output sigmoid)::

    from reference.checker import check_backprop

    report = check_backprop(backward_propagation)   # your function
    print(report)          # the table and, for a wrong gradient, what is wrong
    assert report.passed
"""
import functools
import re
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from . import diagnose
from .diagnose import KEYS
from .finite_differences import finite_difference_grads
from .model import _grads_jit, hidden_activation

# (relative error vs autodiff, course difference) a gradient must stay under, by
# the precision the user computed in. 2e-7 is the course's threshold (float64);
# float32 rounding alone gives ~1e-7 to 1e-6, so it gets a looser bound.
TOLERANCES = {"float64": (1e-7, 2e-7), "float32": (1e-4, 1e-4), "float16": (1e-2, 1e-2)}
# A candidate mistake "explains" the user's output within this relative error.
MATCH_TOLERANCES = {"float64": 1e-6, "float32": 1e-3, "float16": 3e-2}
COURSE_THRESHOLD = 2e-7
FD_EPS = 1e-6
FORMS = ("backward", "grads")


@dataclass(frozen=True)
class Case:
    """One random problem: sizes and the seed its numbers are drawn from."""
    n_x: int
    n_h: int
    n_y: int
    m: int
    seed: int

    def __str__(self):
        return f"n_x={self.n_x} n_h={self.n_h} n_y={self.n_y} m={self.m}"


# All sizes differ inside each problem; m differs between problems; one has n_y > 1.
DEFAULT_CASES = (Case(3, 5, 1, 7, seed=11), Case(4, 6, 1, 9, seed=12), Case(2, 4, 3, 8, seed=13))


@dataclass(frozen=True, eq=False)
class Problem:
    """A case's arrays (float64 numpy): inputs, the forward pass, and the true gradients."""
    case: Case
    params: dict
    X: np.ndarray
    Y: np.ndarray
    cache: dict
    gp: np.ndarray          # g'(Z1), by jax.jvp of the reference activation
    truth: dict             # jax.grad of the reference cost
    fd: dict                # central finite differences of the reference cost

    def __getattr__(self, name):
        # c.W1, c.Z1, c.m ...: the names diagnose's formulas use.
        for table in ("params", "cache"):
            if name in self.__dict__.get(table, {}):
                return self.__dict__[table][name]
        if name in ("n_x", "n_h", "n_y", "m"):
            return getattr(self.case, name)
        raise AttributeError(name)

    @property
    def dZ2(self):
        return self.cache["A2"] - self.Y

    @property
    def dZ1(self):
        return (self.params["W2"].T @ self.dZ2) * self.gp


def _rounded(a, dtype):
    """a as the user will see it (rounded to dtype), kept in float64 for the truth."""
    return np.asarray(a, dtype=dtype).astype(np.float64)


@functools.lru_cache(maxsize=64)
def make_problem(case, activation="tanh", output="sigmoid", dtype="float64"):
    """Draw a case's problem and compute its forward pass and true gradients (cached)."""
    rng = np.random.default_rng(case.seed)
    params = {"W1": rng.normal(size=(case.n_h, case.n_x)), "b1": 0.5 * rng.normal(size=(case.n_h, 1)),
              "W2": rng.normal(size=(case.n_y, case.n_h)), "b2": 0.5 * rng.normal(size=(case.n_y, 1))}
    X = rng.normal(size=(case.n_x, case.m))
    Y = rng.integers(0, 2, size=(case.n_y, case.m)) if output == "sigmoid" else rng.normal(size=(case.n_y, case.m))
    params = {k: _rounded(v, dtype) for k, v in params.items()}
    X, Y = _rounded(X, dtype), _rounded(Y, dtype)
    g = hidden_activation(activation)
    Z1 = params["W1"] @ X + params["b1"]
    A1, gp = (np.asarray(a) for a in jax.jvp(g, (jnp.asarray(Z1),), (jnp.ones_like(Z1),)))
    Z2 = params["W2"] @ A1 + params["b2"]
    A2 = np.asarray(jax.nn.sigmoid(Z2)) if output == "sigmoid" else Z2
    as_numpy = lambda d: {k: np.asarray(v) for k, v in d.items()}  # noqa: E731
    truth = as_numpy(_grads_jit(params, X, Y, activation=activation, output=output))
    fd = as_numpy(finite_difference_grads(params, X, Y, activation, output, eps=FD_EPS))
    return Problem(case, params, X, Y, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}, gp, truth, fd)


def expected_shape(case, key):
    return {"dW1": (case.n_h, case.n_x), "db1": (case.n_h, 1),
            "dW2": (case.n_y, case.n_h), "db2": (case.n_y, 1)}[key]


# --- running the user's function ------------------------------------------------------

@dataclass
class Run:
    """What one call of the user's function gave: arrays by key, problems found, or the error."""
    grads: dict = field(default_factory=dict)       # key -> float64 copy of a valid array
    dtypes: dict = field(default_factory=dict)      # key -> the dtype the user returned
    problems: list = field(default_factory=list)    # one-line texts
    error: BaseException | None = None
    traceback: str = ""


def _fresh_inputs(p, dtype):
    """Copies in the user's dtype: their code may modify what it is given."""
    cast = lambda a: np.array(a, dtype=dtype)  # noqa: E731
    return ({k: cast(v) for k, v in p.params.items()}, {k: cast(v) for k, v in p.cache.items()},
            cast(p.X), cast(p.Y))


def _value_problem(key, value):
    """A one-line text when ``value`` cannot be a gradient array, else None."""
    if isinstance(value, (list, tuple)):
        return f"{key} is a {type(value).__name__}, not a numpy array"
    if isinstance(value, (int, float, complex)) and not isinstance(value, np.generic)\
            or not hasattr(value, "__array__"):
        return f"{key} is a {type(value).__name__}, not a numpy array"
    a = np.asarray(value)
    if not np.issubdtype(a.dtype, np.floating):
        return f"{key} has dtype {a.dtype}; a gradient is a floating-point array (float64)"
    if not np.all(np.isfinite(a)):
        kind = "NaN" if np.isnan(a).any() else "inf"
        return f"{key} contains {kind} ({np.count_nonzero(~np.isfinite(a))} of {a.size} entries)"
    return None


def _near_key(key, keys):
    """'dw1' or 'W1' for 'dW1': a hint when the user's key is almost right."""
    for k in keys:
        if isinstance(k, str) and (k.lower() == key.lower() or k == key[1:]):
            return f" (found {k!r})"
    return ""


def run_user(fn, form, p, dtype):
    """Call the user's function on one problem and sort what comes back."""
    params, cache, X, Y = _fresh_inputs(p, dtype)
    run = Run()
    try:
        out = fn(params, cache, X, Y) if form == "backward" else fn(params, X, Y)
    except (Exception, SystemExit) as e:  # the user's code: report it, never crash the checker
        run.error = e
        run.traceback = "".join(traceback.format_exception(type(e), e, e.__traceback__.tb_next))
        return run
    if not isinstance(out, Mapping):
        hint = "; return the grads dict alone" if isinstance(out, tuple) and any(
            isinstance(o, Mapping) for o in out) else ""
        run.problems.append(f"returned a {type(out).__name__}, not a dict with keys dW1 db1 dW2 db2{hint}")
        return run
    for key in KEYS:
        if key not in out:
            run.problems.append(f"the returned dict has no key {key!r}{_near_key(key, out)}")
            continue
        problem = _value_problem(key, out[key])
        if problem:
            run.problems.append(problem)
            continue
        a = np.asarray(out[key])
        run.dtypes[key] = a.dtype
        run.grads[key] = a.astype(np.float64)
    return run


# --- the report -------------------------------------------------------------------------

@dataclass
class GradientRow:
    """One line of the table: a gradient's worst numbers over the problems, verdict, diagnosis."""
    name: str
    shape: str                      # "(n_h, n_x) ok" or "(n_x, n_h) want (n_h, n_x)"
    shape_ok: bool
    rel_autodiff: float | None      # ||g - jax.grad|| / ||jax.grad||
    rel_fd: float | None            # ||g - fd|| / ||fd||
    course_difference: float | None  # ||g - fd|| / (||g|| + ||fd||)
    passed: bool
    diagnosis: list = field(default_factory=list)


@dataclass
class Report:
    """The check's result; ``print(report)`` shows the table, ``report.passed`` is the verdict."""
    function: str
    form: str
    activation: str
    output: str
    cases: tuple
    dtype_in: str
    dtype_out: str
    tolerance: float
    course_threshold: float
    rows: list
    overall_course_difference: float | None
    problems: list        # bad output and errors, one line each
    diagnoses: list       # "dW1, db1: what is wrong"
    tracebacks: list      # the user's own tracebacks, labelled

    @property
    def passed(self):
        return bool(self.rows) and all(r.passed for r in self.rows) and not self.problems

    def row(self, name):
        return next(r for r in self.rows if r.name == name)

    def __str__(self):
        return format_report(self)


def _norm(a):
    return float(np.linalg.norm(np.ravel(a)))


def relative_error(g, truth):
    return _norm(g - truth) / max(_norm(truth), 1e-300)


def course_difference(g, approx):
    """The course's gradient-check figure over the flattened vectors."""
    denominator = _norm(g) + _norm(approx)
    return _norm(g - approx) / denominator if denominator else 0.0


def _worst(values):
    return max(values) if values else None


SYMBOLIC_SHAPES = {"dW1": "(n_h, n_x)", "db1": "(n_h, 1)", "dW2": "(n_y, n_h)", "db2": "(n_y, 1)"}


def _shape_text(key, runs, problems):
    """Symbolic shape for the table, from the first problem whose shape is wrong."""
    want = SYMBOLIC_SHAPES[key]
    for run, p in zip(runs, problems):
        if key in run.grads and run.grads[key].shape != expected_shape(p.case, key):
            return f"{diagnose.symbolic(run.grads[key].shape, diagnose.dims_of(p.case))} want {want}", False
    got_any = any(key in run.grads for run in runs)
    return (f"{want} ok" if got_any else f"{want} -"), got_any


def _row(key, runs, problems, tol, course_tol):
    shape, shape_ok = _shape_text(key, runs, problems)
    good = [(run.grads[key], p) for run, p in zip(runs, problems)
            if key in run.grads and run.grads[key].shape == expected_shape(p.case, key)]
    rel = _worst([relative_error(g, p.truth[key]) for g, p in good])
    rel_fd = _worst([relative_error(g, p.fd[key]) for g, p in good])
    course = _worst([course_difference(g, p.fd[key]) for g, p in good])
    passed = shape_ok and len(good) == len(problems) and rel <= tol and course <= course_tol
    return GradientRow(key, shape, shape_ok, rel, rel_fd, course, passed)


def _overall_course_difference(runs, problems):
    """The course's figure with all four gradients flattened into one vector, worst problem."""
    worst = None
    for run, p in zip(runs, problems):
        if any(k not in run.grads or run.grads[k].shape != p.fd[k].shape for k in KEYS):
            return None
        g = np.concatenate([run.grads[k].ravel() for k in KEYS])
        approx = np.concatenate([p.fd[k].ravel() for k in KEYS])
        d = course_difference(g, approx)
        worst = d if worst is None else max(worst, d)
    return worst


def _least_precise(dtypes, dtype_in):
    """The dtype name whose tolerance applies: the least precise of inputs and returned gradients."""
    names = [np.dtype(dtype_in).name] + [np.dtype(d).name for d in dtypes]
    known = [n for n in names if n in TOLERANCES]
    return max(known, key=lambda n: TOLERANCES[n][0]) if known else "float64"


# --- diagnosis --------------------------------------------------------------------------

def _diagnose_key(key, row, runs, problems, variants, match_tol):
    """Texts for one failing gradient: what the search found, or 'no known mistake matches'."""
    user = {i: run.grads[key] for i, run in enumerate(runs) if key in run.grads}
    if not user:
        return []
    if not any(np.any(a) for a in user.values()):
        return [f"{key} is all zeros: is its formula written yet?"]
    right = [i for i in user if user[i].shape == problems[i].truth[key].shape
             and relative_error(user[i], problems[i].truth[key]) <= match_tol]
    if len(right) == len(user) and len(user) < len(problems):
        ran = ", ".join(str(i + 1) for i in sorted(user))
        return [f"right on problems {ran}; the other problems gave no gradient (see the problems listed)"]
    if len(right) == len(user):
        return [f"the right formula, but relative error {row.rel_autodiff:.1e} is above the tolerance: "
                "precision is lost somewhere (float32 arithmetic?)"]
    found = diagnose.explain(key, user, problems, variants, match_tol)
    if found:
        return found
    single = [i for i in user if problems[i].case.n_y == 1]
    if single and set(single) == set(right):
        return ["right when n_y = 1 and wrong when n_y > 1: your code assumes one output unit "
                "(no known mistake matches the n_y > 1 values)"]
    numbers = (f"relative error {row.rel_autodiff:.2e} vs autodiff, {row.rel_fd:.2e} vs finite differences"
               if row.rel_autodiff is not None else f"shape {row.shape}")
    return [f"no known mistake matches ({numbers})"]


def _exception_hints(fn, runs, problems, output):
    """Hints from the numpy errors and the course-named arrays in the user's failing frame."""
    filename = getattr(getattr(fn, "__code__", None), "co_filename", None)
    hints, patterns = [], set()
    for run, p in zip(runs, problems):
        if run.error is None or _pattern(run.error) in patterns:
            continue
        patterns.add(_pattern(run.error))
        hint = (f"your code looks up {run.error.args[0]!r}; the cache holds Z1 A1 Z2 A2, the parameters "
                "W1 b1 W2 b2" if isinstance(run.error, KeyError) and run.error.args
                else diagnose.numpy_error_hint(str(run.error), diagnose.dims_of(p.case)))
        hints += [hint] if hint else []
        frame = diagnose.user_frame(run.error.__traceback__, filename)
        hints += diagnose.locals_hints(frame, p, diagnose.dz2_slips(output))
    raised = [p.case for run, p in zip(runs, problems) if run.error is not None]
    if raised and all(c.n_y > 1 for c in raised) and any(c.n_y == 1 for c in (p.case for p in problems)):
        hints.append("your code runs only with one output unit (n_y = 1); if your network never has more, "
                      "check with one_output=True (CLI: --one-output)")
    return [f"raised: {h}" for h in dict.fromkeys(hints)]


def _pattern(text):
    """An error or problem text with its numbers blanked: the same slip on problems of other sizes."""
    return re.sub(r"\d+", "#", f"{type(text).__name__}: {text}")


def _problem_lines(runs):
    """Each distinct problem once (as first seen), with the problems (cases) it happened on."""
    seen = {}
    for i, run in enumerate(runs, 1):
        texts = list(run.problems)
        if run.error is not None:
            texts.append(f"raised {type(run.error).__name__}: {run.error}")
        for t in texts:
            seen.setdefault(_pattern(t), (t, []))[1].append(i)
    every = len(runs)
    return [f"{t} ({'every problem' if len(c) == every else 'problems ' + ', '.join(map(str, c))})"
            for t, c in seen.values()]


def _tracebacks(fn_name, runs, problems):
    """The user's own traceback, once per distinct error line, labelled as theirs."""
    shown, out = set(), []
    for run, p in zip(runs, problems):
        if run.error is None:
            continue
        if _pattern(run.error) in shown:
            continue
        shown.add(_pattern(run.error))
        out.append(f"--- traceback from your code ({fn_name}, problem {p.case}) ---\n{run.traceback.rstrip()}")
    return out


# --- the public functions ---------------------------------------------------------------

def _check(fn, form, activation, output, cases, one_output, dtype, name):
    if not callable(fn):
        raise ValueError(f"expected a function, got {type(fn).__name__}")
    if form not in FORMS:
        raise ValueError(f"unknown form {form!r}; choose backward or grads")
    if output not in ("sigmoid", "identity"):
        raise ValueError(f"unknown output {output!r}; choose sigmoid or identity")
    hidden_activation(activation)
    try:
        dtype_in = np.dtype(dtype).name
    except TypeError:
        dtype_in = str(dtype)
    if dtype_in not in TOLERANCES:
        raise ValueError(f"dtype must be one of {', '.join(TOLERANCES)}, got {dtype_in}")
    cases = tuple(c for c in cases if c.n_y == 1) if one_output else tuple(cases)
    if not cases:
        raise ValueError("no problems to check on")
    problems = [make_problem(c, activation, output, dtype_in) for c in cases]
    runs = [run_user(fn, form, p, dtype_in) for p in problems]
    dtype_out = _least_precise([d for run in runs for d in run.dtypes.values()], dtype_in)
    tol, course_tol = TOLERANCES[dtype_out]
    rows = [_row(k, runs, problems, tol, course_tol) for k in KEYS]
    variants = diagnose.upstream_variants(problems, activation, output)
    found = {r.name: _diagnose_key(r.name, r, runs, problems, variants, MATCH_TOLERANCES[dtype_out])
             for r in rows if not r.passed}
    for r in rows:
        r.diagnosis = found.get(r.name, [])
    fn_name = name or getattr(fn, "__name__", "your function")
    return Report(fn_name, form, activation, output, cases, dtype_in, dtype_out, tol, course_tol, rows,
                  _overall_course_difference(runs, problems), _problem_lines(runs),
                  diagnose.group(found) + _exception_hints(fn, runs, problems, output),
                  _tracebacks(fn_name, runs, problems))


def check_backprop(backward_propagation, activation="tanh", output="sigmoid", *, cases=DEFAULT_CASES,
                   one_output=False, dtype="float64", name=None):
    """Check ``backward_propagation(parameters, cache, X, Y) -> {"dW1", "db1", "dW2", "db2"}``.

    The course's signature: ``parameters`` holds W1 b1 W2 b2, ``cache`` holds
    Z1 A1 Z2 A2 (computed here from the reference forward pass), X is
    (n_x, m), Y is (n_y, m). Called on plain numpy arrays in ``dtype``.
    ``one_output=True`` keeps only the problems with n_y = 1. Returns a
    Report; ``print(report)`` shows the table and the diagnoses.

    >>> import numpy as np
    >>> def backward_propagation(parameters, cache, X, Y):
    ...     m = X.shape[1]
    ...     W2 = parameters["W2"]
    ...     A1, A2 = cache["A1"], cache["A2"]
    ...     dZ2 = A2 - Y
    ...     dW2 = (1 / m) * np.dot(dZ2, A1.T)
    ...     db2 = (1 / m) * np.sum(dZ2, axis=1, keepdims=True)
    ...     dZ1 = np.multiply(np.dot(W2.T, dZ2), 1 - np.power(A1, 2))
    ...     dW1 = (1 / m) * np.dot(dZ1, X.T)
    ...     db1 = (1 / m) * np.sum(dZ1, axis=1, keepdims=True)
    ...     return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}
    >>> check_backprop(backward_propagation).passed
    True
    """
    return _check(backward_propagation, "backward", activation, output, cases, one_output, dtype, name)


def check_grads(grads_fn, activation="tanh", output="sigmoid", *, cases=DEFAULT_CASES, one_output=False,
                dtype="float64", name=None):
    """Check ``grads_fn(parameters, X, Y) -> {"dW1", "db1", "dW2", "db2"}`` (does its own forward pass)."""
    return _check(grads_fn, "grads", activation, output, cases, one_output, dtype, name)


# --- printing ---------------------------------------------------------------------------

def _fmt(x):
    return "-" if x is None else f"{x:.1e}"


def format_report(r):
    """The report as plain text: a header, the table, then problems, diagnoses and tracebacks."""
    thresholds = (f"relative error <= {r.tolerance:.0e} and course difference <= {r.course_threshold:.0e}"
                  + (" (the course's threshold)" if r.course_threshold == COURSE_THRESHOLD else ""))
    lines = [
        f"check of {r.function}: "
        + ("backward_propagation(parameters, cache, X, Y)" if r.form == "backward" else "grads(parameters, X, Y)")
        + f", activation {r.activation}, output {r.output}",
        f"{len(r.cases)} random problems, weights ~ N(0, 1): " + "; ".join(str(c) for c in r.cases),
        f"your gradients are {r.dtype_out} (inputs {r.dtype_in}): pass when {thresholds}",
        "",
    ]
    header = ("gradient", "shape", "vs autodiff", "vs finite diff", "course difference", "verdict")
    table = [header] + [(row.name, row.shape, _fmt(row.rel_autodiff), _fmt(row.rel_fd),
                         _fmt(row.course_difference), "pass" if row.passed else "FAIL") for row in r.rows]
    widths = [max(len(t[i]) for t in table) for i in range(len(header))]
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(t, widths)).rstrip() for t in table]
    lines += ["", f"course difference, all four flattened: {_fmt(r.overall_course_difference)} "
                  f"(threshold {r.course_threshold:.0e})"]
    if r.problems:
        lines += ["", "problems:"] + [f"  {p}" for p in r.problems]
    if r.diagnoses:
        lines += ["", "diagnosis:"] + [f"  {d}" for d in r.diagnoses]
    lines += ["", "result: " + ("PASS, all four gradients are right" if r.passed else
                                f"FAIL, {sum(not row.passed for row in r.rows)} of 4 gradients wrong")]
    if r.tracebacks:
        lines += [""] + r.tracebacks
    return "\n".join(lines)
