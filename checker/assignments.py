"""Problems as descriptions: cs231n's two-layer net and the course's week-2 propagate, and their truth.

A Problem says what a learner's function computes and how it is called and
read, as data (layout, hidden layer, output and loss, regularisation,
signature, what comes back); the truth of each draw is jax.grad of the
cost reference.problem_costs writes from those same words. The learner's
code runs in a child process (checker.child) and sees only the
inputs of each draw.

Why these draws. cs231n: N, D, H and C differ inside each draw (a transpose
or a wrong axis changes a shape); C varies (3, 10, 5, 4), two draws leave a
class out of the labels (a middle one, the top one), so a class count
taken from ``len(set(y))`` or ``y.max() + 1`` is right only on the others,
and one draw has C = 10 (CIFAR's), so a hard-coded 10 is right there only;
reg differs between draws, so a reg slip is not a constant factor. Week 2:
n_x and m differ, m varies, b is a Python float as the course's tests pass it.

``draws(name, seed)`` draws problems of that same design with other sizes,
regs and numbers from ``seed``: the command line draws a fresh seed for each
run (the report shows it, ``--seed`` reproduces the run), so code tuned to
the documented draws meets others. ``DRAWS`` (seed None) stays fixed for
check_in_process and the tests.
"""

import ast
import functools
from dataclasses import dataclass, replace

import jax
import numpy as np

from reference import problem_costs

REG_CONVENTIONS = ("full", "half")


@dataclass(frozen=True)
class Problem:
    """One assignment's function, described: the network, the loss, the call, the results."""

    name: str  # --problem NAME
    title: str
    layout: str  # "columns" (X (n_x, m)) or "rows" (X (N, D))
    hidden: str | None  # None: no hidden layer; else an activation name
    output: str  # "sigmoid", "softmax" or "identity" (with its loss)
    reg_kind: str  # "none", "full" (λΣW²) or "half" (½λΣW²)
    reg_per_m: bool  # the course's 1/m on the penalty
    signature: str  # how the learner's function is called
    reads: str  # how its results are read
    function: str  # the function or method the file must define
    klass: str | None = None  # the class holding it (cs231n's TwoLayerNet)
    gradient_keys: tuple[str, ...] = ()
    value_key: str = "loss"  # the scalar returned beside the gradients

    def description(self) -> dict:
        """The words reference.problem_costs reads."""
        return {
            "layout": self.layout,
            "hidden": self.hidden,
            "output": self.output,
            "reg_kind": self.reg_kind,
            "reg_per_m": self.reg_per_m,
        }

    def with_network(self, activation: str, output: str) -> "Problem":
        """Week 3's network, as ``shallownet check --activation --output`` sets it."""
        return replace(self, hidden=activation, output=output)

    def with_convention(self, convention: str) -> "Problem":
        if convention not in REG_CONVENTIONS:
            raise ValueError(f"--reg-convention must be full or half, got {convention!r}")
        return replace(self, reg_kind=convention) if self.reg_kind in REG_CONVENTIONS else self


CS231N = Problem(
    name="cs231n",
    title="cs231n assignment 1, TwoLayerNet.loss",
    layout="rows",
    hidden="relu",
    output="softmax",
    reg_kind="full",
    reg_per_m=False,
    signature="net = TwoLayerNet(D, H, C); net.params = {W1, b1, W2, b2}; net.loss(X, y, reg) and net.loss(X)",
    reads="(loss, grads) with grads W1 b1 W2 b2, each the shape of its parameter; the scores (N, C) when y is None",
    function="loss",
    klass="TwoLayerNet",
    gradient_keys=("W1", "b1", "W2", "b2"),
    value_key="loss",
)
WEEK2 = Problem(
    name="week2",
    title="the course's week 2, propagate (logistic regression)",
    layout="columns",
    hidden=None,
    output="sigmoid",
    reg_kind="none",
    reg_per_m=False,
    signature="propagate(w, b, X, Y): w (n_x, 1), b a Python float, X (n_x, m), Y (1, m)",
    reads="(grads, cost): grads {dw (n_x, 1), db a scalar}, cost a scalar (shape ())",
    function="propagate",
    gradient_keys=("dw", "db"),
    value_key="cost",
)
WEEK3 = Problem(
    name="week3",
    title="the course's week 3, backward_propagation",
    layout="columns",
    hidden="tanh",
    output="sigmoid",
    reg_kind="none",
    reg_per_m=False,
    signature="backward_propagation(parameters, cache, X, Y): parameters W1 b1 W2 b2, cache Z1 A1 Z2 A2, "
    "X (n_x, m), Y (n_y, m); or grads(parameters, X, Y)",
    reads="a dict dW1 db1 dW2 db2, each the shape of its parameter",
    function="backward_propagation",
    gradient_keys=("dW1", "db1", "dW2", "db2"),
    value_key="",
)
PROBLEMS = {problem.name: problem for problem in (WEEK3, CS231N, WEEK2)}


@dataclass(frozen=True)
class Draw:
    """One draw's sizes and seed; ``left_out`` is a class its labels never hold (cs231n)."""

    sizes: tuple[int, ...]  # cs231n: (N, D, H, C); week 2: (n_x, m)
    seed: int
    reg: float = 0.0
    left_out: int | None = None

    def text(self, problem: Problem) -> str:
        if problem.layout == "rows":
            N, D, H, C = self.sizes
            gap = f", class {self.left_out} not in y" if self.left_out is not None else ""
            return f"N={N} D={D} H={H} C={C} reg={self.reg:g}{gap}"
        n_x, m = self.sizes
        return f"n_x={n_x} m={m}"


DRAWS = {
    "cs231n": (
        Draw((7, 4, 5, 3), seed=31, reg=0.25),
        Draw((12, 5, 6, 10), seed=32, reg=0.1),
        Draw((9, 6, 4, 5), seed=33, reg=0.4, left_out=2),
        Draw((8, 2, 7, 4), seed=34, reg=0.15, left_out=3),
    ),
    "week2": (Draw((4, 7), seed=21), Draw((3, 9), seed=22), Draw((6, 5), seed=23), Draw((2, 11), seed=24)),
}


def _distinct_sizes(rng: np.random.Generator, ranges: list[tuple[int, int]], taken: set[int]) -> tuple[int, ...]:
    """One size from each (low, high) inclusive range, all different; the first (N or m) not in ``taken``."""
    while True:
        sizes = tuple(int(rng.integers(low, high + 1)) for low, high in ranges)
        if len(set(sizes)) == len(sizes) and sizes[0] not in taken:
            return sizes


def _cs231n_draws(rng: np.random.Generator) -> tuple[Draw, ...]:
    """Four draws of DRAWS["cs231n"]'s design: C = 10 in the second, three other Cs from 3-6; the third leaves a
    middle class out of y, the fourth the top one; N, D, H, C differ inside each; N and reg differ between."""
    others = [int(c) for c in rng.choice([3, 4, 5, 6], size=3, replace=False)]
    classes = [others[0], 10, others[1], others[2]]
    regs = [float(r) for r in rng.choice(np.arange(5, 50) / 100, size=4, replace=False)]
    found: list[Draw] = []
    for i, C in enumerate(classes):
        # Every class but one at least once, and N, D, H differ from C and from each other.
        ranges = [(C + 2, C + 8), (2, 7), (3, 8)]
        while True:
            N, D, H = _distinct_sizes(rng, ranges, {draw.sizes[0] for draw in found})
            if C not in (N, D, H):
                break
        left_out = None if i < 2 else (int(rng.integers(1, C - 1)) if i == 2 else C - 1)
        found.append(Draw((N, D, H, C), seed=int(rng.integers(2**31)), reg=regs[i], left_out=left_out))
    return tuple(found)


def _week2_draws(rng: np.random.Generator) -> tuple[Draw, ...]:
    """Four draws of DRAWS["week2"]'s design: n_x and m differ inside each, m differs between."""
    found: list[Draw] = []
    for _ in range(4):
        m, n_x = _distinct_sizes(rng, [(5, 12), (2, 7)], {draw.sizes[1] for draw in found})
        found.append(Draw((n_x, m), seed=int(rng.integers(2**31))))
    return tuple(found)


def draws(name: str, seed: int | None = None) -> tuple[Draw, ...]:
    """The draws of problem ``name``: the fixed DRAWS when ``seed`` is None, else drawn from ``seed``."""
    if seed is None:
        return DRAWS[name]
    rng = np.random.default_rng([seed, list(PROBLEMS).index(name) - 1])  # week 3's problems: checker.problems
    return _cs231n_draws(rng) if name == "cs231n" else _week2_draws(rng)


@dataclass(frozen=True, eq=False)
class Instance:
    """A drawn problem: the learner's inputs (numpy, float64), the truth, and the intermediates mistakes use."""

    draw: Draw
    inputs: dict  # what the child passes: cs231n {params, X, y, reg}; week 2 {w, b, X, Y}
    truth: dict  # learner's keys -> arrays, plus the value key (loss or cost) and "scores" (cs231n)
    parts: dict  # intermediates (Z1, H1, P, dS ... or A, dZ) for the mistakes' formulas
    scale: dict  # each result's formula with every term made positive (checker.judge.scaled_error)


def _labels(rng, N, C, left_out):
    """N integer labels in 0..C-1: every class at least once, or every class but ``left_out``."""
    classes = [c for c in range(C) if c != left_out]
    y = np.array(classes + list(rng.choice(classes, size=N - len(classes))))
    rng.shuffle(y)
    return y


def _float64(truth):
    """jax's results as numpy, each asserted float64 (the truth is computed in float64 or not at all)."""
    arrays = jax.tree.map(np.asarray, truth)
    for leaf in jax.tree.leaves(arrays):
        assert leaf.dtype == np.float64, f"the truth must be float64, got {leaf.dtype}"
    return arrays


def _cs231n_instance(problem: Problem, draw: Draw) -> Instance:
    N, D, H, C = draw.sizes
    rng = np.random.default_rng(draw.seed)
    params = {
        "W1": rng.normal(size=(D, H)),
        "b1": 0.5 * rng.normal(size=H),
        "W2": rng.normal(size=(H, C)) / np.sqrt(H),
        "b2": 0.5 * rng.normal(size=C),
    }
    X = rng.normal(size=(N, D))
    y = _labels(rng, N, C, draw.left_out)
    loss, grads, scores = _float64(problem_costs.problem_truth(params, X, y, draw.reg, **problem.description()))
    Z1 = X @ params["W1"] + params["b1"]
    H1 = np.maximum(Z1, 0)
    S = np.asarray(scores)
    P = np.exp(S - S.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    onehot = np.eye(C)[y]
    truth = {k: np.asarray(v) for k, v in grads.items()}
    truth.update(loss=np.asarray(loss), scores=S)
    parts = {"Z1": Z1, "H1": H1, "P": P, "dS": (P - onehot) / N, "N": N, "C": C, "y": y}
    inputs = {"params": params, "X": X, "y": y, "reg": draw.reg}
    return Instance(
        draw, inputs, truth, {**params, **parts, "X": X}, _cs231n_scale(problem, draw, params, X, parts, truth)
    )


def _cs231n_scale(problem: Problem, draw: Draw, params: dict, X: np.ndarray, parts: dict, truth: dict) -> dict:
    """|H1|ᵀ |dS| + 2 f reg |W2| for W2, Σ|dS| for b2, and the same through the ReLU mask for W1 and b1."""
    reg_factor = 2 * draw.reg * (1.0 if problem.reg_kind == "full" else 0.5 if problem.reg_kind == "half" else 0.0)
    dS = np.abs(parts["dS"])
    dH = (dS @ np.abs(params["W2"]).T) * (parts["Z1"] > 0)
    return {
        "W1": np.abs(X).T @ dH + reg_factor * np.abs(params["W1"]),
        "b1": dH.sum(axis=0),
        "W2": parts["H1"].T @ dS + reg_factor * np.abs(params["W2"]),
        "b2": dS.sum(axis=0),
        "loss": np.abs(truth["loss"]),  # every term of the loss is positive
        "scores": parts["H1"] @ np.abs(params["W2"]) + np.abs(params["b2"]),
    }


def _week2_instance(problem: Problem, draw: Draw) -> Instance:
    n_x, m = draw.sizes
    rng = np.random.default_rng(draw.seed)
    w = rng.normal(size=(n_x, 1))
    b = float(rng.normal())
    X = rng.normal(size=(n_x, m))
    Y = rng.integers(0, 2, size=(1, m)).astype(np.float64)
    params = {"W1": w.T, "b1": np.asarray(b)}
    cost, grads, _ = _float64(problem_costs.problem_truth(params, X, Y, **problem.description()))
    truth = {"dw": np.asarray(grads["W1"]).T, "db": np.asarray(grads["b1"]), "cost": np.asarray(cost)}
    A = 1 / (1 + np.exp(-(w.T @ X + b)))
    dZ = np.abs(A - Y)
    scale = {"dw": np.abs(X) @ dZ.T / m, "db": np.asarray(dZ.sum() / m), "cost": np.abs(truth["cost"])}
    parts = {"A": A, "dZ": A - Y, "X": X, "m": m, "w": w}
    return Instance(draw, {"w": w, "b": b, "X": X, "Y": Y}, truth, parts, scale)


@functools.lru_cache(maxsize=16)
def instances(problem: Problem, seed: int | None = None) -> tuple[Instance, ...]:
    """The problem's draws (fixed, or from ``seed``) with their truth (cached per problem, convention and seed)."""
    jax.config.update("jax_enable_x64", True)
    make = _cs231n_instance if problem.layout == "rows" else _week2_instance
    return tuple(make(problem, draw) for draw in draws(problem.name, seed))


# --- which problem a file is ----------------------------------------------------------------


def _defines(tree: ast.AST) -> tuple[set[str], set[tuple[str, str]]]:
    """(top-level-ish function names, (class, method) pairs) a syntax tree defines."""
    functions, methods = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            methods |= {(node.name, item.name) for item in node.body if isinstance(item, ast.FunctionDef)}
        elif isinstance(node, ast.FunctionDef):
            functions.add(node.name)
    return functions, methods


def defines_a_checked_function(cell_sources: list[str]) -> bool:
    """Whether the code defines what some problem checks (backward_propagation, a class's loss, propagate):
    a submission. A file that defines none of them is a helper module (it may travel with its classmates)."""
    functions, methods = set(), set()
    for text in cell_sources:
        try:
            found = _defines(ast.parse(text))
        except SyntaxError:
            return True  # unknown: treated as a submission, never shared
        functions |= found[0]
        methods |= found[1]
    return bool({"backward_propagation", "propagate"} & functions) or any(m == "loss" for _, m in methods)


def recognise(cell_sources: list[str]) -> tuple[Problem, str]:
    """(the problem a file's code is, why) from what it defines; week 3's unless it is an assignment's."""
    functions, methods = set(), set()
    for text in cell_sources:
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        found = _defines(tree)
        functions |= found[0]
        methods |= found[1]
    if "backward_propagation" in functions:
        return WEEK3, "the file defines backward_propagation (the week-3 problem)"
    losses = sorted(cls for cls, method in methods if method == "loss")
    if losses:
        return CS231N, f"the file defines {losses[0]}.loss (cs231n's two-layer net)"
    if "propagate" in functions:
        return WEEK2, "the file defines propagate (the course's week 2)"
    return WEEK3, "the file defines neither TwoLayerNet.loss nor propagate: checked as week 3's"
