"""The problems a learner's backprop is called on, and their truth (jax.grad and finite differences).

Why these problems: m > 1 and n_x, n_h, n_y, m all different, so a transpose
or a wrong axis changes the shape; m differs between problems, so "off by a
factor m" is told apart from any constant; weights of scale 1, so tanh and
sigmoid leave their linear region (at the course's 0.01 scale, 1 - Z1**2 and
1 - A1**2 differ by ~5e-6 and a wrong derivative passes the course's own
check); and one problem has n_y = 3 output units, where a course function
that only works for one output unit (``W2.T * dZ2``) raises.

The fourth problem is a probe: its X has orthonormal columns scaled by
PROBE_SCALE (XᵀX = s² I, which needs n_x >= m), so dW1 = dZ1 Xᵀ / m can be
undone: dZ1 = m dW1 X / s². From the learner's own dW1 the checker reads the
dZ1 their code computed, and from it the activation derivative their code
implies (checker.diagnose.implied_derivative).

A fifth problem is of realistic size, like the course's flower data: m of a
few hundred, two to five correlated input features with offsets (XᵀX far from
a multiple of I), a few hidden units, one output unit. A function that gives
the right answer only when m is small, or only on the probe, fails there.

``draw_cases(seed)`` draws problems of the same design with other sizes and
numbers; the command line draws a fresh seed for every run (the report
shows it; ``--seed`` reproduces a run), so code tuned to the documented
problems meets others. ``DEFAULT_CASES`` stays fixed for the function API.

The truth is computed here, in the checker's process: jax.grad of the cost
reference.problem_costs writes from week 3's description
(checker.assignments.WEEK3 with the network's activation and output, the
same words every problem is described in), and central finite differences
beside it; the learner's code only ever sees the inputs.
"""

import functools
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

import reference
from reference import problem_costs

from .assignments import WEEK3

FD_EPS = 1e-6
PROBE_SCALE = 1.5
SYMBOLIC_SHAPES = {"dW1": "(n_h, n_x)", "db1": "(n_h, 1)", "dW2": "(n_y, n_h)", "db2": "(n_y, 1)"}


@dataclass(frozen=True)
class Case:
    """One problem: sizes, the seed its numbers are drawn from, and whether X is the probe's."""

    n_x: int
    n_h: int
    n_y: int
    m: int
    seed: int
    probe: bool = False
    realistic: bool = False

    def __str__(self):
        tag = " (probe)" if self.probe else " (realistic)" if self.realistic else ""
        return f"n_x={self.n_x} n_h={self.n_h} n_y={self.n_y} m={self.m}{tag}"


# All sizes differ inside each problem; m differs between problems; one has n_y > 1; then the probe, then
# one of realistic size.
DEFAULT_CASES = (
    Case(3, 5, 1, 7, seed=11),
    Case(4, 6, 1, 9, seed=12),
    Case(2, 4, 3, 8, seed=13),
    Case(6, 5, 1, 4, seed=14, probe=True),
    Case(2, 4, 1, 400, seed=15, realistic=True),
)


def _distinct(rng, ranges, taken_m=()):
    """Sizes drawn from ``ranges`` (name -> (low, high) inclusive), all different, none 1, m not in taken_m."""
    while True:
        sizes = {name: int(rng.integers(low, high + 1)) for name, (low, high) in ranges.items()}
        values = [v for name, v in sizes.items() if name != "n_y" or v > 1]
        if len(set(values)) == len(values) and 1 not in values and sizes["m"] not in taken_m:
            return sizes


def draw_cases(seed):
    """Five problems of DEFAULT_CASES' design, sizes and numbers drawn from ``seed`` (an int)."""
    rng = np.random.default_rng(seed)
    cases: list[Case] = []
    ms: list[int] = []
    for n_y, probe in ((1, False), (1, False), (3, False), (1, True)):
        ranges = {"n_x": (2, 6), "n_h": (3, 8), "n_y": (n_y, n_y), "m": (5, 12)}
        if probe:  # XᵀX = s² I needs n_x >= m
            ranges = {"n_x": (5, 8), "n_h": (3, 8), "n_y": (1, 1), "m": (3, 5)}
        sizes = _distinct(rng, ranges, ms)
        ms.append(sizes["m"])
        cases.append(Case(**sizes, seed=int(rng.integers(2**31)), probe=probe))
    sizes = _distinct(rng, {"n_x": (2, 5), "n_h": (4, 10), "n_y": (1, 1), "m": (200, 500)})
    cases.append(Case(**sizes, seed=int(rng.integers(2**31)), realistic=True))
    return tuple(cases)


@dataclass(frozen=True, eq=False)
class Problem:
    """A case's arrays (float64 numpy): inputs, the forward pass, and the true gradients."""

    case: Case
    params: dict
    X: np.ndarray
    Y: np.ndarray
    cache: dict
    g_prime: np.ndarray  # g'(Z1), by jax.jvp of the reference activation
    truth: dict  # jax.grad of the reference cost
    fd: dict  # central finite differences of the reference cost

    def __getattr__(self, name):
        # problem.W1, problem.Z1, problem.m ...: the names diagnose's formulas use.
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
        return (self.params["W2"].T @ self.dZ2) * self.g_prime

    @functools.cached_property
    def scale(self):
        """Each gradient's formula with every term made positive (|dZ2| |A1|ᵀ / m ...): the size of what its
        sums add up. Rounding errs by a few units of the dtype's precision times this, however much the sums
        cancel (db2 = Σ(A2 - Y) / m can be near 0), so errors are judged against it."""
        dZ2 = np.abs(self.dZ2)
        dZ1 = (np.abs(self.params["W2"]).T @ dZ2) * np.abs(self.g_prime)
        m = self.case.m
        return {
            "dW1": dZ1 @ np.abs(self.X).T / m,
            "db1": dZ1.sum(axis=1, keepdims=True) / m,
            "dW2": dZ2 @ np.abs(self.cache["A1"]).T / m,
            "db2": dZ2.sum(axis=1, keepdims=True) / m,
        }

    def inputs(self, dtype):
        """Fresh copies in the learner's dtype: {parameters, cache, X, Y} (their code may change them)."""
        return {
            "parameters": {k: np.array(v, dtype=dtype) for k, v in self.params.items()},
            "cache": {k: np.array(v, dtype=dtype) for k, v in self.cache.items()},
            "X": np.array(self.X, dtype=dtype),
            "Y": np.array(self.Y, dtype=dtype),
        }


def _rounded(a, dtype):
    """a as the learner will see it (rounded to dtype), kept in float64 for the truth."""
    return np.asarray(a, dtype=dtype).astype(np.float64)


def _as_numpy(arrays):
    return {k: np.asarray(v) for k, v in arrays.items()}


def _realistic_X(rng, n_x, m):
    """(n_x, m) features as data comes: correlated, of unequal scales, not centred (XᵀX far from s² I)."""
    mixing = rng.normal(size=(n_x, n_x)) + 2.0 * np.eye(n_x)
    return mixing @ rng.normal(size=(n_x, m)) + rng.normal(scale=2.0, size=(n_x, 1))


def _probe_X(rng, n_x, m):
    """(n_x, m) with orthonormal columns times PROBE_SCALE: XᵀX = PROBE_SCALE² I."""
    Q, _ = np.linalg.qr(rng.normal(size=(n_x, m)))
    return PROBE_SCALE * Q


@functools.lru_cache(maxsize=64)
def make_problem(case, activation="tanh", output="sigmoid", dtype="float64"):
    """Draw a case's problem and compute its forward pass and true gradients (cached)."""
    rng = np.random.default_rng(case.seed)
    params = {
        "W1": rng.normal(size=(case.n_h, case.n_x)),
        "b1": 0.5 * rng.normal(size=(case.n_h, 1)),
        "W2": rng.normal(size=(case.n_y, case.n_h)),
        "b2": 0.5 * rng.normal(size=(case.n_y, 1)),
    }
    if case.probe:
        X = _probe_X(rng, case.n_x, case.m)
    elif case.realistic:
        X = _realistic_X(rng, case.n_x, case.m)
    else:
        X = rng.normal(size=(case.n_x, case.m))
    Y = rng.integers(0, 2, size=(case.n_y, case.m)) if output == "sigmoid" else rng.normal(size=(case.n_y, case.m))
    params = {k: _rounded(v, dtype) for k, v in params.items()}
    X, Y = _rounded(X, dtype), _rounded(Y, dtype)
    Z1 = params["W1"] @ X + params["b1"]
    forward, g_prime, truth, fd = (
        _as_numpy(table) for table in _forward_and_truth(params, X, Y, {"Z1": Z1}, activation=activation, output=output)
    )
    for name, value in {**forward, **g_prime, **truth, **fd}.items():
        assert value.dtype == np.float64, f"{name} is {value.dtype}: the truth must be float64"
    return Problem(case, params, X, Y, {"Z1": Z1, **forward}, g_prime["g_prime"], truth, fd)


@functools.partial(
    jax.jit, static_argnames=("activation", "output"), compiler_options=problem_costs.TRUTH_COMPILER_OPTIONS
)
def _forward_and_truth(params, X, Y, Z1, *, activation, output):
    """({A1, Z2, A2}, {g_prime}, jax.grad of the reference cost, its central differences) in one program.

    Every check draws fresh shapes, and each distinct program compiles once per shape: one program per problem
    instead of one per step (jvp, sigmoid, value_and_grad, finite differences) is ~5 compilations instead of ~30.
    """
    # jvp with a tangent of ones: g(Z1) and, element by element, g'(Z1).
    A1, g_prime = jax.jvp(reference.hidden_activation(activation), (Z1["Z1"],), (jnp.ones_like(Z1["Z1"]),))
    Z2 = jnp.dot(params["W2"], A1) + params["b2"]
    A2 = jax.nn.sigmoid(Z2) if output == "sigmoid" else Z2
    description = WEEK3.with_network(activation, output).description()
    _, grads = problem_costs.problem_value_and_grads(params, X, Y, **description)
    truth = {f"d{name}": value for name, value in grads.items()}
    fd = reference.finite_difference_grads(params, X, Y, activation, output, eps=FD_EPS)
    return {"A1": A1, "Z2": Z2, "A2": A2}, {"g_prime": g_prime}, truth, fd


def expected_shape(case, key):
    return {"dW1": (case.n_h, case.n_x), "db1": (case.n_h, 1), "dW2": (case.n_y, case.n_h), "db2": (case.n_y, 1)}[key]


def dims_of(case):
    return {"n_x": case.n_x, "n_h": case.n_h, "n_y": case.n_y, "m": case.m}


def symbolic(shape, dims):
    """(5, 7) -> '(n_h, m)' using the case's sizes; sizes that name nothing stay numbers."""
    names = {v: k for k, v in dims.items() if v != 1}
    parts = [names.get(int(n), str(n)) for n in shape]
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
