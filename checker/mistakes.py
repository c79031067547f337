"""The known mistakes of every problem, as one table; and a diagnosis as a value.

Each row says which problem it belongs to (``week3``, ``cs231n``, ``week2``),
its name (the docs' first column), its ``kind`` (what the search does with
it), its text (with {fields} filled for the settings of a check) and, where
a mistake changes numbers, ``compute``: how to recompute, from the true
intermediates of a problem, what a learner making it returns. The searches
(checker.diagnose for week 3's backward pass, checker.assignment_check for
the assignments) iterate these rows and nothing else; docs/checker.md's
mistake lists are generated from them (``python -m checker.mistakes``) and
tests/test_mistakes.py holds the page to the table.

Week 3's rows are pieces a search combines (up to MAX_SLIPS): an upstream
slip (``dZ2``, ``slope`` for g'(Z1), ``weight`` for W2 in dZ1), a builder of
the gradient (``build``, for ``gradient`` dW1, dW2 or db), a reshape
(``shape``), a constant factor (``scale``) and a swap of the layers; rows of
kind ``told`` are diagnoses the report makes from the pattern of results
(one output unit, a misspelt key, the four signs). The assignments' rows are
whole mistakes: ``value`` (a variant of the results), ``shape``, ``draws``
(which draws come out right), ``returns`` and ``raises``.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

MAX_SLIPS = 3  # week 3: explanations with more slips than this are not searched


@dataclass(frozen=True)
class Mistake:
    """One row of the table."""

    problem: str  # week3, cs231n, week2
    name: str
    kind: str
    text: str  # may hold {fields}, filled by ``fill``
    compute: Callable[..., Any] | None = None
    line: str | None = None  # week 3: the line of the backward pass it is in (None: the gradient's own)
    count: int = 1  # week 3: how many slips it counts as
    gradient: str = ""  # week 3's builders: dW1, dW2 or db
    applies: Callable[[str, str], bool] = lambda activation, output: True  # week 3: (activation base, output)
    example: str = "tanh"  # week 3's slope rows: the hidden activation the docs show it for

    def fill(self, **fields: Any) -> str:
        return self.text.format(**fields) if fields else self.text


# --- a diagnosis as a value -------------------------------------------------------------------

# The order a report's one-line headline takes diagnoses in: the specific before the general.
KINDS = (
    "conduct",  # what fails the file whatever its numbers (autodiff, our packages, signals)
    "module m",  # a module-level m read inside the function
    "implied",  # the derivative the learner's dZ1 line implies, read from the probe
    "one output",  # code for one output unit only
    "where",  # the lines where an unnamed mistake must be
    "mistake",  # rows of the table that explain the results
    "raised",  # what the learner's exception says
    "near miss",  # right to a hair: numeric differences, or precision lost
    "partial",  # right where it returned, missing elsewhere
    "unknown",  # no known mistake matches
)


class Diagnosis(str):
    """A diagnosis: its text (the str itself, as reports, graders and JSON show it), its ``kind`` (one of
    KINDS: what ranks it), the ``gradients`` it explains and the ``lines`` of the backward pass it names."""

    kind: str
    gradients: tuple[str, ...]
    lines: frozenset[str]

    def __new__(
        cls, text: str, kind: str, gradients: tuple[str, ...] = (), lines: frozenset[str] = frozenset()
    ) -> "Diagnosis":
        if kind not in KINDS:
            raise ValueError(f"unknown diagnosis kind {kind!r}")
        self = super().__new__(cls, text)
        self.kind, self.gradients, self.lines = kind, tuple(gradients), frozenset(lines)
        return self


def rank(diagnosis: str) -> int:
    """A diagnosis's place in KINDS (a text that is no Diagnosis ranks with the table's mistakes)."""
    return KINDS.index(diagnosis.kind if isinstance(diagnosis, Diagnosis) else "mistake")


def first(diagnoses: list[str]) -> str:
    """The diagnosis a one-line summary shows: the best ranked, the first given among equals."""
    return min(diagnoses, key=rank)


# --- week 3: the pieces of a wrong backward pass --------------------------------------------------


def _w3(kind: str, name: str, text: str, compute: Callable[..., Any] | None = None, **more: Any) -> Mistake:
    """A week-3 row; an upstream piece (dZ2, g'(Z1), W2 in dZ1) is in the line it changes."""
    return Mistake(
        "week3", name, kind, text, compute, line={"dZ2": "dZ2", "slope": "dZ1", "weight": "dZ1"}.get(kind), **more
    )


def _sigmoid_only(activation: str, output: str) -> bool:
    return output == "sigmoid"


_DZ2_ROWS = (
    _w3(
        "dZ2",
        "dZ2 from the hidden layer's A1",
        "dZ2 = A1 - Y: the hidden layer's activation A1 where the output's A2 belongs (dZ2 = A2 - Y)",
        lambda p: p.A1 - p.Y,
    ),
    _w3(
        "dZ2",
        "dZ2 from the pre-activation Z2",
        "dZ2 = Z2 - Y: the pre-activation Z2 where the activation A2 belongs (dZ2 = A2 - Y)",
        lambda p: p.Z2 - p.Y,
        applies=_sigmoid_only,
    ),
    _w3(
        "dZ2",
        "sigmoid's derivative applied again",
        "dZ2 = (A2 - Y) * A2 * (1 - A2): the sigmoid's derivative applied again; A2 - Y already includes it",
        lambda p: (p.A2 - p.Y) * p.A2 * (1 - p.A2),
        applies=_sigmoid_only,
    ),
)


# Wrong g'(Z1); compute(problem, base) -> the (n_h, m) factor.
_SLOPE_ROWS = (
    _w3(
        "slope",
        "1 - Z1**2 for tanh'",
        "activation derivative written 1 - Z1**2 (Z1 where A1 belongs); {right}",
        lambda p, base: 1 - p.Z1**2,
    ),
    _w3(
        "slope",
        "sigmoid's derivative for another activation",
        "sigmoid's derivative A1 * (1 - A1) used for the {base} hidden layer; {right}",
        lambda p, base: p.A1 * (1 - p.A1),
    ),
    _w3(
        "slope",
        "tanh's derivative for another activation",
        "tanh's derivative 1 - A1**2 used for the {base} hidden layer; {right}",
        lambda p, base: 1 - p.A1**2,
        example="sigmoid",
    ),
    _w3(
        "slope",
        "Z1 * (1 - Z1) for sigmoid'",
        "activation derivative written Z1 * (1 - Z1) (Z1 where A1 belongs); {right}",
        lambda p, base: p.Z1 * (1 - p.Z1),
        example="sigmoid",
    ),
    _w3(
        "slope",
        "derivative omitted",
        "activation derivative omitted: dZ1 = np.dot(W2.T, dZ2) needs the factor {right}",
        lambda p, base: np.ones_like(p.Z1),
    ),
    _w3(
        "slope",
        "derivative from the output layer",
        "activation derivative taken from the output layer's A2 ({at_a2}); it belongs to the hidden layer: {right}",
        lambda p, base: np.broadcast_to((1 - p.A2**2) if base == "tanh" else p.A2 * (1 - p.A2), p.Z1.shape),
        applies=lambda activation, output: activation in ("tanh", "sigmoid"),
    ),
    _w3(
        "slope",
        "ReLU's derivative for leaky_relu",
        "ReLU's derivative (Z1 >= 0) used for leaky_relu: the slope for Z1 < 0 is missing; {right}",
        lambda p, base: (p.Z1 >= 0).astype(float),
        example="leaky_relu:0.01",
        applies=lambda activation, output: activation == "leaky_relu",
    ),
)


def _weight(layer: str, dZ: np.ndarray, p: Any) -> np.ndarray:
    return dZ @ (p.X if layer == "1" else p.A1).T / p.m


# Wrong builders of a gradient from its dZ; compute(dZ, problem, layer) -> the array. The right builder of each
# gradient is RIGHT_BUILDERS'.
_BUILD_ROWS = (
    _w3(
        "build",
        "A1 where X belongs",
        "dW1 = np.dot(dZ1, A1.T) / m: the hidden activation A1 where the input X belongs (dW1 = np.dot(dZ1, X.T) / m)",
        lambda dZ, p, layer: dZ @ p.A1.T / p.m,
        gradient="dW1",
    ),
    _w3(
        "build",
        "X where A1 belongs",
        "dW2 = np.dot(dZ2, X.T) / m: the input X where the hidden activation A1 belongs (dW2 = np.dot(dZ2, A1.T) / m)",
        lambda dZ, p, layer: dZ @ p.X.T / p.m,
        gradient="dW2",
    ),
    _w3(
        "build",
        "A2 where A1 belongs",
        "dW2 = np.dot(dZ2, A2.T) / m: the output activation A2 where the hidden activation A1 belongs "
        "(dW2 = np.dot(dZ2, A1.T) / m)",
        lambda dZ, p, layer: dZ @ p.A2.T / p.m,
        gradient="dW2",
    ),
    _w3(
        "build",
        "* where np.dot belongs",
        "element-wise product where the matrix product belongs: dW2 = dZ2 * A1 / m has one column per "
        "example; use np.dot(dZ2, A1.T) / m, which sums over them",
        lambda dZ, p, layer: dZ * p.A1 / p.m,
        gradient="dW2",
    ),
    _w3(
        "build",
        "sum over the wrong axis",
        "sum over the wrong axis: axis=0 adds up the units of each example; the examples are axis 1 ({right_sum})",
        lambda dZ, p, layer: np.sum(dZ, axis=0, keepdims=True) / p.m,
        gradient="db",
    ),
    _w3(
        "build",
        "wrong axis and keepdims missing",
        "sum over the wrong axis (axis=0) and keepdims missing; use {right_sum}",
        lambda dZ, p, layer: np.sum(dZ, axis=0) / p.m,
        count=2,
        gradient="db",
    ),
    _w3(
        "build",
        "sum without an axis",
        "np.sum({dz}) without axis=1 adds up everything to one number; use {right_sum}",
        lambda dZ, p, layer: np.sum(dZ) / p.m,
        gradient="db",
    ),
    _w3(
        "build",
        "no sum at all",
        "the sum over the examples is missing: {db} = {dz} / m keeps one column per example; {db} = {right_sum}",
        lambda dZ, p, layer: dZ / p.m,
        gradient="db",
    ),
    _w3(
        "build",
        "bias gradient summed from the weight gradient",
        "{db} summed from the weight gradient {dw} (np.sum({dw}, axis=1, keepdims=True)); the bias gradient "
        "sums {dz} over the examples: {db} = {right_sum}",
        lambda dZ, p, layer: np.sum(_weight(layer, dZ, p), axis=1, keepdims=True),
        gradient="db",
    ),
    _w3(
        "build",
        "bias gradient summed from the whole weight gradient",
        "{db} summed from the weight gradient {dw} (np.sum({dw}) adds up everything); the bias gradient sums "
        "{dz} over the examples: {db} = {right_sum}",
        lambda dZ, p, layer: np.sum(_weight(layer, dZ, p)),
        gradient="db",
    ),
)


# The right builder of each gradient (week 3): compute(dZ, problem, layer).
RIGHT_BUILDERS: dict[str, Callable[..., Any]] = {
    "dW1": lambda dZ, p, layer: dZ @ p.X.T / p.m,
    "dW2": lambda dZ, p, layer: dZ @ p.A1.T / p.m,
    "db": lambda dZ, p, layer: np.sum(dZ, axis=1, keepdims=True) / p.m,
}


# Week 3's reshapes, factors, swap, W2's stand-in, and what the report tells from the pattern.
_OTHER_ROWS = (
    _w3(
        "shape",
        "transposed gradient",
        "transposed: the factors of the matrix product are in the wrong order or a .T is misplaced",
        lambda grad: grad.T if grad.ndim == 2 else None,
    ),
    _w3(
        "shape",
        "keepdims missing",
        "keepdims missing: shape (n,) where (n, 1) belongs; add keepdims=True to np.sum",
        lambda grad: grad.reshape(-1) if grad.ndim == 2 and grad.shape[1] == 1 else None,
    ),
    _w3(
        "scale",
        "missing 1/m",
        "missing 1/m: off by a factor m (the number of examples); divide by m once",
        lambda m: float(m),
    ),
    _w3(
        "scale",
        "1/m applied twice",
        "1/m applied twice: off by a factor 1/m; divide by m once",
        lambda m: 1.0 / m,
    ),
    _w3("scale", "sign flipped", "sign flipped: -1 times the gradient", lambda m: -1.0),
    _w3(
        "scale",
        "sign flipped and missing 1/m",
        "sign flipped and missing 1/m (off by a factor -m)",
        lambda m: -float(m),
        count=2,
    ),
    _w3(
        "scale",
        "sign flipped and 1/m applied twice",
        "sign flipped and 1/m applied twice (off by a factor -1/m)",
        lambda m: -1.0 / m,
        count=2,
    ),
    _w3(
        "scale",
        "an unexplained constant factor",
        "off by a constant factor {factor:.6g} on every problem; no known mistake gives that factor",
        count=MAX_SLIPS,
    ),
    _w3(
        "swap",
        "gradients swapped between layers",
        "gradients swapped between layers: {key} holds the formula of {source}",
    ),
    _w3(
        "weight",
        "a gradient where a parameter belongs",
        "dZ1 = np.dot(dW2.T, dZ2) * g'(Z1): the gradient dW2 where the parameter W2 belongs "
        "(dZ1 = np.dot(W2.T, dZ2) * g'(Z1))",
        lambda p: p.dZ2 @ p.A1.T / p.m,
    ),
    _w3(
        "told",
        "all four signs flipped",
        "all four gradients have the wrong sign: dZ2 = Y - A2 instead of A2 - Y?",
    ),
    _w3(
        "told",
        "code for one output unit only",
        "right when n_y = 1 and wrong when n_y > 1: your code assumes one output unit (no known mistake matches "
        "the n_y > 1 values)",
    ),
    _w3(
        "told",
        "code that raises with several output units",
        "your code runs only with one output unit (n_y = 1); if your network never has more, check with "
        "one_output=True (CLI: --one-output)",
    ),
    _w3(
        "told",
        "the right values under a misspelt key",
        "your {found!r} holds the right {key}: the key must be {key!r} (keys are case-sensitive)",
    ),
    _w3("told", "a gradient all zeros", "{key} is all zeros: is its formula written yet?"),
    _w3(
        "raised",
        "* where np.dot belongs, raising",
        "element-wise product (*) of {first} and {second}, shapes that chain as a matrix product: np.dot belongs "
        "there (element-wise product where the matrix product belongs)",
    ),
    _w3(
        "raised",
        "np.dot where * belongs",
        "matrix product (np.dot) of two {first} arrays: the element-wise product (* or np.multiply) belongs there "
        "(matrix product where the element-wise product belongs)",
    ),
    _w3(
        "told",
        "an empty template block",
        "this block was left empty: {blocks} (between START CODE HERE and END CODE HERE); write the formulas "
        "there ({names} is computed there)",
    ),
)


# --- the assignments: cs231n's two-layer net and the course's week 2 ---------------------------------

CONVENTION_WORDS = {
    "full": "reg * ΣW² with gradient 2 * reg * W (the 2017-2019 template)",
    "half": "0.5 * reg * ΣW² with gradient reg * W (the 2016 template)",
}
FACTOR = {"full": 1.0, "half": 0.5}


def _other(problem: Any) -> str:
    return "half" if problem.reg_kind == "full" else "full"


def _penalty(case: Any, kind: str) -> float:
    p = case.parts
    return FACTOR[kind] * case.draw.reg * float(np.sum(p["W1"] ** 2) + np.sum(p["W2"] ** 2))


def _reg_grad(case: Any, kind: str, name: str) -> np.ndarray:
    return 2 * FACTOR[kind] * case.draw.reg * case.parts[name]


def _data_grads(case: Any, dZ1: np.ndarray | None = None, H1: np.ndarray | None = None) -> dict:
    """dW1 db1 dW2 db2 of the data loss from dS, with a dZ1 or an H1 of a mistake's making."""
    p = case.parts
    H1 = p["H1"] if H1 is None else H1
    dZ1 = (p["dS"] @ p["W2"].T) * (p["Z1"] > 0) if dZ1 is None else dZ1
    return {"W1": p["X"].T @ dZ1, "b1": dZ1.sum(axis=0), "W2": H1.T @ p["dS"], "b2": p["dS"].sum(axis=0)}


def _with_reg(case: Any, grads: dict, kind: str) -> dict:
    return {**grads, **{k: grads[k] + _reg_grad(case, kind, k) for k in ("W1", "W2") if k in grads}}


def _other_convention(case, problem):
    other = _other(problem)
    loss = case.truth["loss"] - _penalty(case, problem.reg_kind) + _penalty(case, other)
    swapped = {
        k: case.truth[k] + _reg_grad(case, other, k) - _reg_grad(case, problem.reg_kind, k) for k in ("W1", "W2")
    }
    return [{"loss": loss, **swapped}]


def _reg_grad_factor(case, problem):
    other = _other(problem)
    return [{k: case.truth[k] - _reg_grad(case, problem.reg_kind, k) + _reg_grad(case, other, k) for k in ("W1", "W2")}]


def _reg_grad_missing(case, problem):
    return [{k: case.truth[k] - _reg_grad(case, problem.reg_kind, k) for k in ("W1", "W2")}]


def _no_reg(case, problem):
    return [{"loss": case.truth["loss"] - _penalty(case, problem.reg_kind), **_reg_grad_missing(case, problem)[0]}]


def _biases_regularised(case, problem):
    f, reg = FACTOR[problem.reg_kind], case.draw.reg
    extra = f * reg * float(np.sum(case.parts["b1"] ** 2) + np.sum(case.parts["b2"] ** 2))
    biases = {k: case.truth[k] + 2 * f * reg * case.parts[k] for k in ("b1", "b2")}
    return [{"loss": case.truth["loss"] + extra, **biases}]


def _bias_from_weights(case, problem):
    data = _data_grads(case)
    return [
        {"b1": case.truth["W1"].sum(axis=0), "b2": case.truth["W2"].sum(axis=0)},
        {"b1": data["W1"].sum(axis=0), "b2": data["W2"].sum(axis=0)},
    ]


def _relu_mask_missing(case, problem):
    grads = _data_grads(case, dZ1=case.parts["dS"] @ case.parts["W2"].T)
    return [_with_reg(case, {"W1": grads["W1"], "b1": grads["b1"]}, problem.reg_kind)]


def _relu_by_clipping(case, problem):
    grads = _data_grads(case, dZ1=np.maximum(case.parts["dS"] @ case.parts["W2"].T, 0))
    return [_with_reg(case, {"W1": grads["W1"], "b1": grads["b1"]}, problem.reg_kind)]


def _dW2_pre_relu(case, problem):
    return [_with_reg(case, {"W2": _data_grads(case, H1=case.parts["Z1"])["W2"]}, problem.reg_kind)]


def _times_examples(key: str, count: str) -> Callable[[Any, Any], list[dict]]:
    """A variant: ``key`` times the number of examples (its 1/N or 1/m missing)."""
    return lambda case, problem: [{key: case.parts[count] * case.truth[key]}]


def _bias_keepdims(key, array, was, truth, close):
    return key in ("b1", "b2") and array.shape == (1,) + truth.shape and was != "np.matrix" and close(array, truth)


def _db_shape(key, array, was, truth, close):
    return key == "db" and array.shape in ((1,), (1, 1)) and close(array, truth)


def _cost_not_scalar(key, array, was, truth, close):
    return key == "cost" and array.shape != () and array.size > 0 and close(np.asarray(np.mean(array)), truth)


def _class_count_from_labels(instances, ok):
    full = [good for instance, good in zip(instances, ok, strict=True) if instance.draw.left_out is None]
    return bool(full) and all(full)


def _class_count_hard_coded(instances, ok):
    return all(good == (instance.draw.sizes[3] == 10) for instance, good in zip(instances, ok, strict=True))


def _returns_three(calls: list) -> bool:
    outputs = [call.get("main", {}).get("output") for call in calls if call]
    return bool(outputs) and all(
        isinstance(o, dict) and o.get("length", len(o.get("items") or [])) == 3 for o in outputs
    )


C, W = "cs231n", "week2"
ASSIGNMENT_ROWS = (
    Mistake(
        C,
        "other convention",
        "value",
        "you follow the other year's regularisation convention consistently: {other}; this check uses "
        "{convention} (--reg-convention {flag}); if your template is the other year's, check with "
        "--reg-convention {other_flag}",
        _other_convention,
    ),
    Mistake(
        C,
        "reg gradient factor",
        "value",
        "the reg gradient is the other year's: your loss adds {convention}'s penalty, so its gradient is "
        "{gradient}; yours is {other_gradient}",
        _reg_grad_factor,
    ),
    Mistake(
        C,
        "reg gradient missing",
        "value",
        "the reg gradient is missing: dW1 and dW2 need + {gradient}",
        _reg_grad_missing,
    ),
    Mistake(
        C,
        "no regularisation",
        "value",
        "no regularisation at all: the loss needs + {penalty} and dW1, dW2 need + {gradient}",
        _no_reg,
    ),
    Mistake(
        C,
        "biases regularised",
        "value",
        "biases regularised: the penalty is on W1 and W2 only, never on b1 and b2",
        _biases_regularised,
    ),
    Mistake(
        C,
        "bias from weight gradient",
        "value",
        "bias gradients summed from the weight gradients (np.sum(grads['W2'], axis=0)): db2 = np.sum(dscores, "
        "axis=0) and db1 = np.sum(dhidden, axis=0) sum the upstream gradients over the N rows",
        _bias_from_weights,
    ),
    Mistake(
        C,
        "bias keepdims",
        "shape",
        "biases' gradients of shape (1, n) (keepdims=True): b1 is (H,) and b2 is (C,); sum with axis=0 and no keepdims",
        _bias_keepdims,
    ),
    Mistake(
        C,
        "relu mask missing",
        "value",
        "the ReLU mask is missing: dhidden = dscores.dot(W2.T) needs dhidden[hidden <= 0] = 0 (ReLU's derivative)",
        _relu_mask_missing,
    ),
    Mistake(
        C,
        "relu by clipping",
        "value",
        "the ReLU mask applied by clipping the upstream gradient (np.maximum(dhidden, 0)): the mask reads the "
        "forward pass, dhidden[hidden <= 0] = 0, whatever the sign of the gradient",
        _relu_by_clipping,
    ),
    Mistake(
        C,
        "dW2 pre-ReLU",
        "value",
        "dW2 from the pre-ReLU activations (X.dot(W1) + b1): dW2 = hidden.T.dot(dscores) with hidden after the ReLU",
        _dW2_pre_relu,
    ),
    Mistake(
        C,
        "db1 without 1/N",
        "value",
        "db1 without 1/N: off by a factor N (the number of examples); divide the scores' gradient by N once",
        _times_examples("b1", "N"),
    ),
    Mistake(
        C,
        "class count from labels",
        "draws",
        "the class count taken from the labels (len(set(y)) or y.max() + 1): right only when every class is in y; "
        "take C from W2.shape[1] (or scores.shape[1])",
        _class_count_from_labels,
    ),
    Mistake(
        C,
        "class count hard-coded",
        "draws",
        "the class count hard-coded (10): right only for C = 10; take C from W2.shape[1] (or scores.shape[1])",
        _class_count_hard_coded,
    ),
    Mistake(
        W,
        "dw without 1/m",
        "value",
        "dw without 1/m: off by a factor m (the number of examples)",
        _times_examples("dw", "m"),
    ),
    Mistake(
        W,
        "db without 1/m",
        "value",
        "db without 1/m: off by a factor m (the number of examples)",
        _times_examples("db", "m"),
    ),
    Mistake(
        W,
        "cost sign",
        "value",
        "the cost's sign is flipped: cost = -(1/m) * np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A))",
        lambda case, problem: [{"cost": -case.truth["cost"]}],
    ),
    Mistake(
        W,
        "cost not scalar",
        "shape",
        "the cost is not reduced to a scalar: shape {shape} where () belongs; np.squeeze(cost) (the course's own "
        "line), or sum over the m examples",
        _cost_not_scalar,
    ),
    Mistake(
        W,
        "db shape",
        "shape",
        "db of shape {shape} where a scalar belongs: np.sum(A - Y) / m without axis or keepdims",
        _db_shape,
    ),
    Mistake(
        W,
        "three values returned",
        "returns",
        "propagate returns (grads, cost), 2 values; yours returned {count}",
        _returns_three,
    ),
    Mistake(
        W,
        "assert copied wrong",
        "raises",
        "an assert in your code fails ({line}){right}: the assert is copied wrong; the course's asserts are "
        "dw.shape == w.shape, db.dtype == float, cost.shape == ()",
    ),
)

# Rows of every problem: a result right to a hair, which no formula by hand gives.
EVERY_PROBLEM = "every"
NEAR_MISSES = (
    Mistake(
        EVERY_PROBLEM,
        "numeric differences",
        "told",
        "{key} agrees with jax.grad only to {error:.1e} of its scale: that is what numeric differences (finite "
        "differences of a cost) give, not a formula; a formula by hand agrees to about 1e-15",
    ),
    Mistake(
        EVERY_PROBLEM,
        "precision lost",
        "told",
        "{key} is off by {error:.1e} of its scale, more than {dtype} rounding gives (right {dtype} formulas stay "
        "within {tolerance:.0e}): a small slip, or precision lost",
    ),
)

TABLE: tuple[Mistake, ...] = _DZ2_ROWS + _SLOPE_ROWS + _BUILD_ROWS + _OTHER_ROWS + ASSIGNMENT_ROWS + NEAR_MISSES
PROBLEM_NAMES = ("week3", "cs231n", "week2")


def rows_of(problem: str, kind: str | None = None) -> tuple[Mistake, ...]:
    """The table's rows of one problem (by name; with the rows of every problem), of one kind if given."""
    return tuple(row for row in TABLE if row.problem in (problem, EVERY_PROBLEM) and (kind is None or row.kind == kind))


def row(problem: str, name: str) -> Mistake:
    return next(found for found in TABLE if found.problem in (problem, EVERY_PROBLEM) and found.name == name)


def words(problem: Any) -> dict:
    """The values an assignment row's text is filled with, for the problem's regularisation convention."""
    convention = problem.reg_kind if problem.reg_kind in FACTOR else "full"
    other = "half" if convention == "full" else "full"
    return {
        "convention": CONVENTION_WORDS[convention],
        "other": CONVENTION_WORDS[other],
        "flag": convention,
        "other_flag": other,
        "gradient": "2 * reg * W" if convention == "full" else "reg * W",
        "other_gradient": "reg * W" if convention == "full" else "2 * reg * W",
        "penalty": "reg * np.sum(W * W)" if convention == "full" else "0.5 * reg * np.sum(W * W)",
    }


def right_slope_text(activation: str) -> str:
    """g'(Z1) in the course's notation, for the diagnosis text."""
    base, _, param = activation.partition(":")
    return {
        "tanh": "1 - A1**2",
        "sigmoid": "A1 * (1 - A1)",
        "relu": "(Z1 >= 0)",
        "leaky_relu": f"np.where(Z1 >= 0, 1, {param or 0.01})",
        "identity": "1 (no factor)",
    }[base]


def slope_words(activation: str) -> dict:
    """The fields of week 3's slope rows for a hidden activation."""
    base = activation.partition(":")[0]
    return {
        "base": base,
        "right": f"{base}'(Z1) = {right_slope_text(activation)}",
        "at_a2": {"tanh": "1 - A2**2", "sigmoid": "A2 * (1 - A2)"}.get(base, ""),
    }


def sum_words(layer: str) -> dict:
    """The fields of week 3's bias-gradient rows for layer "1" or "2"."""
    return {
        "dz": f"dZ{layer}",
        "dw": f"dW{layer}",
        "db": f"db{layer}",
        "right_sum": f"np.sum(dZ{layer}, axis=1, keepdims=True) / m",
    }


# --- the docs' lists --------------------------------------------------------------------------

# What each row's text is filled with in the docs: the course's settings (tanh, layer 2; cs231n's full).
_DOC_FIELDS = {
    **slope_words("tanh"),
    **sum_words("2"),
    "factor": 3.5,
    "key": "dW1",
    "source": "dW2",
    "found": "dw1",
    "blocks": "cell 5",
    "names": "dW1",
    "shape": "(1, 1)",
    "error": 1.1e-9,
    "dtype": "float32",
    "tolerance": 2e-6,
    "first": "(n_h, m)",
    "second": "(m, n_h)",
    "count": 3,
    "line": "FILE line N",
    "right": " where your dw, db, cost are right",
    **{k: v for k, v in words(type("Full", (), {"reg_kind": "full"})()).items()},
}


def markdown(problem: str) -> str:
    """The mistake list of one problem as docs/checker.md shows it (a Markdown table)."""
    lines = ["| mistake | kind | what the diagnosis says |", "| --- | --- | --- |"]
    for found in rows_of(problem):
        fields = {**_DOC_FIELDS, **(slope_words(found.example) if found.kind == "slope" else {})}
        text = found.text.format(**fields).replace("|", "\\|")
        lines.append(f"| {found.name} | {found.kind} | `{text}` |")
    return "\n".join(lines)


def regenerate(page: str) -> str:
    """``page`` (docs/checker.md's text) with each problem's list between its markers rewritten from the table."""
    for problem in PROBLEM_NAMES:
        start, end = f"<!-- mistakes:{problem} -->", f"<!-- /mistakes:{problem} -->"
        before, found, rest = page.partition(start)
        if not found:
            raise ValueError(f"the page has no {start} marker")
        _, found, after = rest.partition(end)
        if not found:
            raise ValueError(f"the page has no {end} marker")
        page = f"{before}{start}\n{markdown(problem)}\n{end}{after}"
    return page


if __name__ == "__main__":  # python -m checker.mistakes docs/checker.md: rewrite the page's lists from the table
    import sys
    from pathlib import Path

    for name in sys.argv[1:]:
        path = Path(name)
        path.write_text(regenerate(path.read_text(encoding="utf-8")), encoding="utf-8")
