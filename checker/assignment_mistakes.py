"""The assignments' known mistakes as one table: each row says what it changes and the words that name it.

A row's ``variant(instance, problem)`` recomputes, from the true
intermediates of a draw, the values a file making that mistake returns (a
list of alternatives: several codings of one mistake); a row explains a
learner's key when the learner's value equals a variant's on every draw
and differs from the truth. Rows of other kinds read shapes (``shape``),
which draws came out right (``draws``), or how the call ended
(``returns``, ``raises``). checker.assignment_check picks the fewest rows
that explain every wrong key.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .assignments import Instance, Problem

CONVENTION_WORDS = {
    "full": "reg * ΣW² with gradient 2 * reg * W (the 2017-2019 template)",
    "half": "0.5 * reg * ΣW² with gradient reg * W (the 2016 template)",
}
FACTOR = {"full": 1.0, "half": 0.5}


@dataclass(frozen=True)
class Mistake:
    """One row: the problem it belongs to, its name, how it is recognised, what the diagnosis says."""

    problem: str
    name: str
    kind: str  # "value", "shape", "draws", "returns", "raises"
    text: str  # may hold {convention}, {other}, {flag}
    variant: Callable[[Instance, Problem], list[dict]] | None = None


def _other(problem: Problem) -> str:
    return "half" if problem.reg_kind == "full" else "full"


def _penalty(case: Instance, kind: str) -> float:
    p = case.parts
    return FACTOR[kind] * case.draw.reg * float(np.sum(p["W1"] ** 2) + np.sum(p["W2"] ** 2))


def _reg_grad(case: Instance, kind: str, name: str) -> np.ndarray:
    return 2 * FACTOR[kind] * case.draw.reg * case.parts[name]


def _data_grads(case: Instance, dZ1: np.ndarray | None = None, H1: np.ndarray | None = None) -> dict:
    """dW1 db1 dW2 db2 of the data loss from dS, with a dZ1 or an H1 of a mistake's making."""
    p = case.parts
    H1 = p["H1"] if H1 is None else H1
    dZ1 = (p["dS"] @ p["W2"].T) * (p["Z1"] > 0) if dZ1 is None else dZ1
    return {"W1": p["X"].T @ dZ1, "b1": dZ1.sum(axis=0), "W2": H1.T @ p["dS"], "b2": p["dS"].sum(axis=0)}


def _with_reg(case: Instance, grads: dict, kind: str) -> dict:
    return {**grads, **{k: grads[k] + _reg_grad(case, kind, k) for k in ("W1", "W2") if k in grads}}


def _other_convention(case, problem):
    other = _other(problem)
    loss = case.truth["loss"] - _penalty(case, problem.reg_kind) + _penalty(case, other)
    return [
        {
            "loss": loss,
            **{
                k: case.truth[k] + _reg_grad(case, other, k) - _reg_grad(case, problem.reg_kind, k)
                for k in ["W1", "W2"]
            },
        }
    ]


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
    return [{"b1": case.truth["W1"].sum(axis=0), "b2": case.truth["W2"].sum(axis=0)}] + [
        {"b1": data["W1"].sum(axis=0), "b2": data["W2"].sum(axis=0)}
    ]


def _relu_mask_missing(case, problem):
    grads = _data_grads(case, dZ1=case.parts["dS"] @ case.parts["W2"].T)
    return [_with_reg(case, {"W1": grads["W1"], "b1": grads["b1"]}, problem.reg_kind)]


def _relu_by_clipping(case, problem):
    grads = _data_grads(case, dZ1=np.maximum(case.parts["dS"] @ case.parts["W2"].T, 0))
    return [_with_reg(case, {"W1": grads["W1"], "b1": grads["b1"]}, problem.reg_kind)]


def _dW2_pre_relu(case, problem):
    return [_with_reg(case, {"W2": _data_grads(case, H1=case.parts["Z1"])["W2"]}, problem.reg_kind)]


def _db1_without_1_over_N(case, problem):
    return [{"b1": case.parts["N"] * case.truth["b1"]}]


def _dw_without_1_over_m(case, problem):
    return [{"dw": case.parts["m"] * case.truth["dw"]}]


def _db_without_1_over_m(case, problem):
    return [{"db": case.parts["m"] * case.truth["db"]}]


def _cost_sign(case, problem):
    return [{"cost": -case.truth["cost"]}]


C, W = "cs231n", "week2"
TABLE = (
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
        _db1_without_1_over_N,
    ),
    Mistake(
        C,
        "class count from labels",
        "draws",
        "the class count taken from the labels (len(set(y)) or y.max() + 1): right only when every class is in y; "
        "take C from W2.shape[1] (or scores.shape[1])",
    ),
    Mistake(
        C,
        "class count hard-coded",
        "draws",
        "the class count hard-coded (10): right only for C = 10; take C from W2.shape[1] (or scores.shape[1])",
    ),
    Mistake(
        W, "dw without 1/m", "value", "dw without 1/m: off by a factor m (the number of examples)", _dw_without_1_over_m
    ),
    Mistake(
        W, "db without 1/m", "value", "db without 1/m: off by a factor m (the number of examples)", _db_without_1_over_m
    ),
    Mistake(
        W,
        "cost sign",
        "value",
        "the cost's sign is flipped: cost = -(1/m) * np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A))",
        _cost_sign,
    ),
    Mistake(
        W,
        "cost not scalar",
        "shape",
        "the cost is not reduced to a scalar: shape {shape} where () belongs; np.squeeze(cost) (the course's own "
        "line), or sum over the m examples",
    ),
    Mistake(
        W,
        "db shape",
        "shape",
        "db of shape {shape} where a scalar belongs: np.sum(A - Y) / m without axis or keepdims",
    ),
    Mistake(W, "three values returned", "returns", "propagate returns (grads, cost), 2 values; yours returned {count}"),
    Mistake(
        W,
        "assert copied wrong",
        "raises",
        "an assert in your code fails ({line}){right}: the assert is copied wrong; the course's asserts are "
        "dw.shape == w.shape, db.dtype == float, cost.shape == ()",
    ),
)


def rows_of(problem: Problem) -> tuple[Mistake, ...]:
    return tuple(row for row in TABLE if row.problem == problem.name)


def words(problem: Problem) -> dict:
    """The values a row's text is filled with, for the problem's convention."""
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
